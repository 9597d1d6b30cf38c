#!/usr/bin/env bash
# Regenerates frontend/static/map from frontend/mapsrc (needs Node 20+ and npm).
# The output is committed; CI runs this and fails if `git diff` shows a change.
set -euo pipefail
cd "$(dirname "$0")"
npm ci --no-audit --no-fund --loglevel=error
node build.mjs
