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
# node.xz through a temporary file, verified before it replaces anything: an interrupted run must
# not leave a truncated archive that later runs would trust. Python's lzma where xz is missing.
lzma_py() { python3 -c 'import lzma, shutil, sys
mode = sys.argv[1]
if mode == "c":
    with open(sys.argv[2], "rb") as f, lzma.open(sys.argv[3], "wb", preset=9) as g: shutil.copyfileobj(f, g, 1 << 20)
else:
    with lzma.open(sys.argv[2]) as f: shutil.copyfileobj(f, open("/dev/null", "wb"), 1 << 20)' "$@"; }
xz_ok() { if command -v xz >/dev/null 2>&1; then xz -t "$1"; else lzma_py t "$1"; fi; }
if [ ! -f .gpu/node.xz ] || ! xz_ok .gpu/node.xz 2>/dev/null; then
  rm -f .gpu/node.xz.tmp
  if command -v xz >/dev/null 2>&1; then xz -T2 -9 -c "$(command -v node)" > .gpu/node.xz.tmp
  else lzma_py c "$(command -v node)" .gpu/node.xz.tmp; fi
  xz_ok .gpu/node.xz.tmp || { echo "gpu-prepare: the compressed node does not verify" >&2; exit 1; }
  mv -f .gpu/node.xz.tmp .gpu/node.xz
fi
# libgomp: only an addon built before the OpenMP link was dropped (CMakeLists.txt) needs it.
gomp=$(ldd build/Release/exodus.node | awk '/libgomp/ {print $3}')
[ -n "$gomp" ] && cp -L "$gomp" .gpu/lib/
rm -rf .gpu/deps && mkdir -p .gpu/deps
cp package.json package-lock.json .gpu/deps/
(cd .gpu/deps && npm ci --omit=dev --ignore-scripts --no-audit --no-fund >/dev/null)
# Only needed by cmake-js, which the GPU machine does not run. node-addon-api and node-api-headers
# stay: gpu-check.sh rebuilds the addon with plain cmake when the carried one does not load there.
rm -rf .gpu/deps/node_modules/{cmake-js,tar}
# What travels to the GPU machine: build/Release, dist and .gpu, under the device tool's 64 MiB.
# (All of build/ holds the object files too and is over it: carry build/Release only.)
for p in build/Release dist .gpu; do du -sk "$p"; done | awk '
  { total += $1; printf "gpu-prepare: %-14s %6.1f MiB\n", $2, $1 / 1024 }
  END {
    printf "gpu-prepare: carry total    %6.1f MiB (limit 64 MiB): carry build/Release, dist, .gpu\n", total / 1024
    if (total >= 62 * 1024) { print "gpu-prepare: too big to carry; drop unneeded files from .gpu/deps" > "/dev/stderr"; exit 1 }
  }'
