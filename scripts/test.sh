#!/usr/bin/env bash
# Sets up everything the tests need (MNIST in the data directory, a Release-independent Debug build) and runs every test.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export GENSYN_DATA_DIR="${GENSYN_DATA_DIR:-$ROOT/.gensyn}"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1
command -v dotnet >/dev/null 2>&1 || { echo "error: the .NET 10 SDK is required (dotnet not found on PATH)" >&2; exit 1; }
"$ROOT/scripts/fetch-mnist.sh" "$GENSYN_DATA_DIR"
dotnet build "$ROOT/Gensyn.sln" -nologo -v quiet -clp:ErrorsOnly
dotnet test "$ROOT/Gensyn.Tests/Gensyn.Tests.csproj" --no-build -nologo --logger "console;verbosity=normal" "$@"
