#!/usr/bin/env bash
# Sets up everything the tests need (MNIST in the data directory, the Solidity toolchain and anvil from npm, a throwaway
# PostgreSQL, Debian's chromium, a Release-independent Debug build) and runs every test. The PostgreSQL server is stopped afterwards unless it was already running before this script.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export GENSYN_DATA_DIR="${GENSYN_DATA_DIR:-$ROOT/.gensyn}"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1
command -v dotnet >/dev/null 2>&1 || { echo "error: the .NET 10 SDK is required (dotnet not found on PATH)" >&2; exit 1; }
# ip, iptables and python3 for the network-namespace test (a worker behind a home-router firewall, Gensyn.Tests.Security.NatWorkerTests,
# which also needs root); installed with apt-get when missing and running as root, else that test fails and says why.
for need in ip:iproute2 iptables:iptables python3:python3; do
    tool="${need%%:*}" package="${need#*:}"
    command -v "$tool" >/dev/null 2>&1 || [[ -x "/usr/sbin/$tool" ]] && continue
    if [[ "$(id -u)" == 0 ]] && command -v apt-get >/dev/null 2>&1; then
        echo "$tool not found; installing $package (apt-get) for the network-namespace test" >&2
        apt-get install -y -q "$package" >&2 || { apt-get update -q >&2 && apt-get install -y -q "$package" >&2; } \
            || echo "warning: could not install $tool; NatWorkerTests will fail" >&2
    else
        echo "warning: $tool not found, and not root (or no apt-get) to install it; NatWorkerTests needs root, ip, iptables and python3" >&2
    fi
done
# Debian's chromium for the dashboard's browser tests (Gensyn.Tests.Dashboard), driven through Playwright's bundled driver
# with ExecutablePath (GENSYN_CHROMIUM overrides /usr/bin/chromium): no browser is downloaded at run time.
chromium="${GENSYN_CHROMIUM:-/usr/bin/chromium}"
if [[ ! -x "$chromium" ]]; then
    if [[ "$(id -u)" == 0 ]] && command -v apt-get >/dev/null 2>&1; then
        echo "$chromium not found; installing chromium (apt-get) for the dashboard's browser tests" >&2
        apt-get install -y -q chromium >&2 || { apt-get update -q >&2 && apt-get install -y -q chromium >&2; } || true
    fi
    [[ -x "$chromium" ]] || { echo "error: the browser tests need Chromium at $chromium: install Debian's chromium" \
        "package (apt-get install chromium) or set GENSYN_CHROMIUM" >&2; exit 1; }
fi
"$ROOT/scripts/fetch-mnist.sh" "$GENSYN_DATA_DIR"
# solc-js, OpenZeppelin and anvil (npm ci from contracts-sol/package-lock.json); fails if contracts-sol/out is stale.
"$ROOT/contracts-sol/build.sh" --check \
    || { echo "error: contracts-sol/build.sh failed: the chain tests need Node.js, npm and anvil (see the messages above)" >&2; exit 1; }
if "$ROOT/scripts/postgres.sh" status >/dev/null 2>&1; then pg_was_running=1; else pg_was_running=0; fi
GENSYN_TEST_POSTGRES="$("$ROOT/scripts/postgres.sh" start)" && [[ -n "$GENSYN_TEST_POSTGRES" ]] \
    || { echo "error: could not start PostgreSQL for the journal tests (scripts/postgres.sh); see the messages above" >&2; exit 1; }
export GENSYN_TEST_POSTGRES
if [[ "$pg_was_running" == 0 ]]; then trap '"$ROOT/scripts/postgres.sh" stop >/dev/null 2>&1 || true' EXIT; fi
dotnet build "$ROOT/Gensyn.sln" -nologo -v quiet -clp:ErrorsOnly
dotnet test "$ROOT/Gensyn.Tests/Gensyn.Tests.csproj" --no-build -nologo --logger "console;verbosity=normal" "$@"
