#!/usr/bin/env bash
# Prepares .gpu/ (git-ignored) so scripts/gpu-check.sh runs on a bare GPU machine: a compressed
# node binary, the OpenMP runtime, and the production dependencies (less the build-only ones).
# Run after `npm run build`. Fails if build/Release + dist + .gpu would not fit the 64 MiB carry.
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p .gpu/lib
[ -f build/Release/exodus.node ] || { echo "gpu-prepare: build/Release/exodus.node missing: run npm run build" >&2; exit 1; }
[ -f dist/bin/exodus.js ] || { echo "gpu-prepare: dist/ missing: run npm run build:ts" >&2; exit 1; }
node -e 'const i=require("./build/Release/exodus.node").info(); if(!i.cudaCompiled){console.error("gpu-prepare: this build has no CUDA backend");process.exit(1)}'
[ -f .gpu/node.xz ] || xz -T2 -9 -c "$(command -v node)" > .gpu/node.xz
# libgomp: only an addon built before the OpenMP link was dropped (CMakeLists.txt) needs it.
gomp=$(ldd build/Release/exodus.node | awk '/libgomp/ {print $3}')
[ -n "$gomp" ] && cp -L "$gomp" .gpu/lib/
rm -rf .gpu/deps && mkdir -p .gpu/deps
cp package.json package-lock.json .gpu/deps/
(cd .gpu/deps && npm ci --omit=dev --ignore-scripts --no-audit --no-fund >/dev/null)
# Only needed to build the addon, which the GPU machine does not do.
rm -rf .gpu/deps/node_modules/{cmake-js,node-api-headers,node-addon-api,tar}
# What travels to the GPU machine: build/Release, dist and .gpu, under the device tool's 64 MiB.
# (All of build/ holds the object files too and is over it: carry build/Release only.)
for p in build/Release dist .gpu; do du -sk "$p"; done | awk '
  { total += $1; printf "gpu-prepare: %-14s %6.1f MiB\n", $2, $1 / 1024 }
  END {
    printf "gpu-prepare: carry total    %6.1f MiB (limit 64 MiB): carry build/Release, dist, .gpu\n", total / 1024
    if (total >= 62 * 1024) { print "gpu-prepare: too big to carry; drop unneeded files from .gpu/deps" > "/dev/stderr"; exit 1 }
  }'
