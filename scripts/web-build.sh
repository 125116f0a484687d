#!/usr/bin/env bash
# Builds the web page into web/dist (bundled with esbuild: ECharts and all code in one script,
# nothing fetched from a CDN at run time).
# Idempotent: `npm ci` runs only when web/node_modules is missing or package-lock.json changed
# since the last install; the bundle is rebuilt only when a source is newer than it.
# Usage: scripts/web-build.sh [--force]   (--force: rebuild the bundle even if up to date)
set -euo pipefail
cd "$(dirname "$0")/../web"

if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  echo "web-build: node and npm are needed to build the web page (Node.js >= 18)." >&2
  echo "           Debian/Ubuntu: sudo apt-get install nodejs npm   (or: make deps)" >&2
  exit 1
fi
node_major=$(node -p 'process.versions.node.split(".")[0]')
if (( node_major < 18 )); then
  echo "web-build: Node.js $(node --version) is too old; version 18 or newer is needed." >&2
  exit 1
fi

stamp=node_modules/.hybridrec-lock.sha256
lock_sum=$(sha256sum package-lock.json | cut -d' ' -f1)
if [[ ! -d node_modules || ! -f $stamp || "$(cat "$stamp")" != "$lock_sum" ]]; then
  echo "web-build: npm ci (package-lock.json changed or node_modules missing)"
  npm ci --no-audit --no-fund --loglevel=error
  echo "$lock_sum" > "$stamp"
fi

force=0
[[ "${1:-}" == "--force" ]] && force=1
if (( !force )) && [[ -f dist/assets/app.js && -f dist/index.html ]] &&
   [[ -z "$(find src index.html build.mjs tsconfig.json package-lock.json -newer dist/assets/app.js -print -quit)" ]]; then
  echo "web-build: web/dist is up to date"
  exit 0
fi
npx --no-install tsc --noEmit -p .
node build.mjs
