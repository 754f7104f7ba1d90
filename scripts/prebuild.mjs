#!/usr/bin/env node
// prepack: puts this platform's addon into prebuilds/<platform>-<arch>/node.napi[.glibc].node,
// where node-gyp-build finds it at run time and scripts/install.mjs at install time, so the
// packed tarball installs without cmake or a compiler. One .node holds the CPU backend and, when
// it was built with nvcc, the CUDA backend (cudart linked statically; without a usable GPU it
// falls back to the CPU at run time).
//
// The addon is build/Release/exodus.node when that is newer than every native source (the build
// `npm ci` / `npm run build:native` just made, with CUDA where nvcc was found); otherwise, or with
// EXODUS_PREBUILD_REBUILD=1, it is built here first. EXODUS_PREBUILD_USE_BUILD=1 takes the
// existing build as is (tests). For a release, `EXODUS_PREBUILD_REBUILD=1 npm pack` on the oldest
// glibc you support, with nvcc on PATH (the .node needs that glibc or newer).
// postpack (scripts/prebuild.mjs --clean) removes prebuilds/ again.
import { spawnSync } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, readdirSync, rmSync, statSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { createRequire } from "node:module";

/** cmake-js's CLI wherever npm put it (hoisted into the app's node_modules when installed). */
const cmakeJs = () => join(dirname(createRequire(import.meta.url).resolve("cmake-js/package.json")), "bin", "cmake-js");

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const built = join(root, "build", "Release", "exodus.node");
const glibc = process.platform === "linux" && !!process.report?.getReport?.().header?.glibcVersionRuntime;
const target = join(root, "prebuilds", `${process.platform}-${process.arch}`, `node.napi${glibc ? ".glibc" : ""}.node`);

if (process.argv.includes("--clean")) {
  rmSync(join(root, "prebuilds"), { recursive: true, force: true });
  process.exit(0);
}

/** Newest modification time of the files the addon is compiled from. */
function newestSource() {
  let t = statSync(join(root, "CMakeLists.txt")).mtimeMs;
  const walk = (dir) => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (/\.(cc|cu|cuh|h|hpp)$/.test(e.name)) t = Math.max(t, statSync(p).mtimeMs);
    }
  };
  walk(join(root, "cuda"));
  for (const f of readdirSync(root)) if (/^binding.*\.(cc|h)$/.test(f)) t = Math.max(t, statSync(join(root, f)).mtimeMs);
  return t;
}

const useBuild = process.env.EXODUS_PREBUILD_USE_BUILD === "1" && existsSync(built);
const fresh = existsSync(built) && statSync(built).mtimeMs >= newestSource();
if (!useBuild && (process.env.EXODUS_PREBUILD_REBUILD === "1" || !fresh)) {
  console.error(`prebuild: ${existsSync(built) ? "build/Release/exodus.node is older than the sources" : "no build yet"}; building the addon (cmake-js; CUDA when nvcc is found)`);
  const r = spawnSync(process.execPath, [cmakeJs(), "compile", "--out", "build"], { cwd: root, stdio: "inherit" });
  if (r.status !== 0) process.exit(r.status ?? 1);
}
mkdirSync(dirname(target), { recursive: true });
copyFileSync(built, target);
// Say what the tarball carries: load the copy in a child (a bad build fails the pack here).
const probe = spawnSync(process.execPath, ["-e", `const i = require(${JSON.stringify(target)}).info(); console.log(JSON.stringify({ cuda: i.cudaCompiled, archs: i.cudaArchs, isa: i.cpuIsa, version: i.version }))`], { encoding: "utf8" });
if (probe.status !== 0) {
  console.error(`prebuild: ${target} does not load: ${probe.stderr.trim()}`);
  rmSync(target);
  process.exit(1);
}
const info = JSON.parse(probe.stdout);
console.error(`prebuild: ${target.slice(root.length + 1)} (exodus ${info.version}, CPU ${info.isa}, CUDA ${info.cuda ? `compiled for ${info.archs}` : "not compiled"})`);
