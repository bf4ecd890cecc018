#!/bin/sh
# build-web.sh - builds the browser UI into web/dist (Vue 3 + Vite from web/package-lock.json).
# `npm ci` runs only when the lock changed since the last install, so a rebuild is quick.
set -eu
cd "$(dirname "$0")/../web"
if ! command -v npm >/dev/null 2>&1; then
    echo "build-web: npm is missing; run scripts/install-deps.sh (Debian's nodejs and npm)" >&2
    exit 1
fi
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
    npm ci --no-audit --no-fund --loglevel=error
fi
npx --no-install vite build --logLevel warn
touch dist/index.html
