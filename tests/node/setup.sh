#!/usr/bin/env bash
# Installs the Node.js test harness dependencies (pomelo-protocol, ws) into tests/node/node_modules,
# only when node_modules is missing or package.json / package-lock.json changed since the last
# install. Safe to run repeatedly; exits 0 without doing anything when npm is unavailable.
set -euo pipefail
cd "$(dirname "$0")"

if ! command -v npm >/dev/null 2>&1; then
    echo "tests/node/setup.sh: npm not found; skipping (Node.js compatibility tests will be skipped)."
    exit 0
fi

stamp=node_modules/.hearth-setup-stamp
current=$(cat package.json package-lock.json 2>/dev/null | sha256sum | cut -d' ' -f1)
if [[ -d node_modules && -f $stamp && "$(cat "$stamp")" == "$current" ]]; then
    echo "tests/node/setup.sh: node_modules is up to date."
    exit 0
fi

echo "tests/node/setup.sh: installing Node.js test dependencies..."
npm install --no-audit --no-fund
# The lock file may have been written by this install: stamp what is there now.
cat package.json package-lock.json 2>/dev/null | sha256sum | cut -d' ' -f1 >"$stamp"
echo "tests/node/setup.sh: done."
