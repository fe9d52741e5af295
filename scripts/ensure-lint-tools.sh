#!/usr/bin/env bash
# Installs ESLint and typescript-eslint into tools/lint/node_modules when missing or when its lock
# file changed. They live apart from the app's node_modules because typescript-eslint needs
# TypeScript 6's JavaScript API and the app compiles with TypeScript 7 (docs/decisions/0013).
set -euo pipefail
cd "$(dirname "$0")/../tools/lint"
if [ -f node_modules/.package-lock.json ] && [ node_modules/.package-lock.json -nt package-lock.json ]; then exit 0; fi
npm ci --ignore-scripts --no-audit --no-fund --loglevel=error
