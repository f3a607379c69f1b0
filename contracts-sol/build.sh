#!/usr/bin/env bash
# Installs the Solidity toolchain (solc-js, OpenZeppelin, anvil) from package-lock.json when missing,
# then compiles src/*.sol into out/*.json. `build.sh --check` installs the same way but only verifies
# that the committed out/*.json match the sources (what scripts/test.sh runs).
set -euo pipefail
DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$DIR"
command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1 \
    || { echo "error: Node.js and npm are required to build contracts-sol (install nodejs and npm)" >&2; exit 1; }
if [[ ! -x node_modules/.bin/anvil || ! -d node_modules/solc || ! -d node_modules/@openzeppelin/contracts ]]; then
    npm ci --no-audit --no-fund --loglevel=error \
        || { echo "error: npm ci failed in contracts-sol; check access to the npm registry" >&2; exit 1; }
fi
[[ -x node_modules/@foundry-rs/anvil-linux-amd64/bin/anvil || -x node_modules/.bin/anvil ]] \
    || { echo "error: anvil was not installed (@foundry-rs/anvil); the chain tests need it" >&2; exit 1; }
if [[ "${1:-}" == "--check" ]]; then
    node compile.js --check
else
    node compile.js
fi
