#!/usr/bin/env bash
# Tests the map components: unit tests of the value formats in Node, and browser tests of the
# committed bundle (frontend/static/map) in headless Chromium, offline, under the app's CSP.
# Needs Node 20+, npm, and Chromium at $CHROMIUM (default /usr/bin/chromium; Debian: apt-get install chromium).
set -euo pipefail
cd "$(dirname "$0")"
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund --loglevel=error
fi
CHROMIUM="${CHROMIUM:-/usr/bin/chromium}"
if [ ! -x "$CHROMIUM" ]; then
  echo "test.sh: Chromium not found at $CHROMIUM (apt-get install chromium, or set CHROMIUM)" >&2
  exit 1
fi
export CHROMIUM
exec node --test --test-concurrency=1 test/*.test.mjs
