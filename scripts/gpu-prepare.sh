#!/usr/bin/env bash
# Prepares .gpu/ (git-ignored) so scripts/gpu-check.sh runs on a bare GPU machine: a compressed
# node binary, the OpenMP runtime, and the production dependencies. Run after `npm run build`.
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p .gpu/lib
[ -f build/Release/exodus.node ] || { echo "gpu-prepare: build/Release/exodus.node missing: run npm run build" >&2; exit 1; }
[ -f dist/bin/exodus.js ] || { echo "gpu-prepare: dist/ missing: run npm run build:ts" >&2; exit 1; }
node -e 'const i=require("./build/Release/exodus.node").info(); if(!i.cudaCompiled){console.error("gpu-prepare: this build has no CUDA backend");process.exit(1)}'
[ -f .gpu/node.xz ] || xz -T2 -9 -c "$(command -v node)" > .gpu/node.xz
# libgomp: the addon links it dynamically and a GPU box may not have it.
gomp=$(ldd build/Release/exodus.node | awk '/libgomp/ {print $3}')
[ -n "$gomp" ] && cp -L "$gomp" .gpu/lib/
rm -rf .gpu/deps && mkdir -p .gpu/deps
cp package.json package-lock.json .gpu/deps/
(cd .gpu/deps && npm ci --omit=dev --ignore-scripts --no-audit --no-fund >/dev/null)
du -sh .gpu | awk '{print "gpu-prepare: .gpu is " $1}'
