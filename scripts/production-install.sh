#!/usr/bin/env bash
# The production install of docs/deployment.md, performed for real (CI runs it: .ci/run):
#   stage 1, this checkout: `npm ci` (with devDependencies) has built dist/ and the playground/dashboard bundles;
#   stage 2, a temp folder holding only what ships: `npm ci --omit=dev`, then `node dist/src/index.js` must answer
#   GET /healthz. Prints the stage-2 install time and package count. Exit 0 when the gateway answered.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -f dist/src/index.js ] || { echo "dist/ is not built: run npm ci (or npm run build) first"; exit 1; }

dir=$(mktemp -d -t gw-prod-XXXXXX)
gw=""
cleanup() { [ -n "$gw" ] && kill "$gw" 2>/dev/null; rm -rf "$dir"; }
trap cleanup EXIT

# What ships: the package files, the compiled gateway, the bundles, and the files it reads at run time.
mkdir -p "$dir/src/playground" "$dir/src/dashboard" "$dir/scripts"
cp package.json package-lock.json "$dir/"
cp scripts/prepare.js "$dir/scripts/"
cp -r dist schema fixtures "$dir/"
cp -r src/playground/dist "$dir/src/playground/"
cp -r src/dashboard/dist "$dir/src/dashboard/"
rm -rf "$dir"/dist/.build-test-*

SECONDS=0
added=$(cd "$dir" && npm ci --omit=dev --no-audit --no-fund 2>&1 | grep -E '^added' || true)
echo "production install: npm ci --omit=dev in ${SECONDS} s (${added:-?}), $(du -sh "$dir/node_modules" | cut -f1) in node_modules"

port=$(node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})')
(cd "$dir" && exec env -i PATH="$PATH" HOME="$dir" PORT="$port" HOST=127.0.0.1 NODE_ENV=production DATABASE_URL="file:$dir/data/gateway.db" \
  node dist/src/index.js >"$dir/gateway.log" 2>&1) &
gw=$!
for _ in $(seq 1 300); do   # wait for the condition (up to ~30 s), or for the process to die
  if curl -fsS "http://127.0.0.1:$port/healthz" >"$dir/healthz" 2>/dev/null; then
    echo "production install: node dist/src/index.js answered /healthz: $(cat "$dir/healthz")"
    exit 0
  fi
  kill -0 "$gw" 2>/dev/null || break
  sleep 0.1
done
echo "production install: the gateway did not answer /healthz"; cat "$dir/gateway.log"; exit 1
