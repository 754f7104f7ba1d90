// The published package: `npm pack` carries every file the native build needs (CMake's source
// globs and everything they #include, derived here from the sources, not listed by hand) and a
// prebuilt addon; the tarball installs into an empty folder with cmake, compilers and nvcc hidden
// from PATH (npm's cache first, the registry only for what it lacks) and `npx exodus info` and
// `npx exodus selftest` run there.
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, normalize } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { packageRoot } from "../lib/native.js";

const root = packageRoot();
const work = mkdtempSync(join(tmpdir(), "exodus-pack-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** The files CMakeLists.txt compiles and, transitively, the project headers they include. */
function nativeBuildInputs(): string[] {
  // CMake's own source globs: file(GLOB VAR [CONFIGURE_DEPENDS] ${CMAKE_SOURCE_DIR}/dir/pattern)
  const cmake = readFileSync(join(root, "CMakeLists.txt"), "utf8");
  const globs: [string, RegExp][] = [...cmake.matchAll(/file\(GLOB\s+\w+\s+(?:CONFIGURE_DEPENDS\s+)?\$\{CMAKE_SOURCE_DIR\}\/([^)\s]+)\)/g)].map((m) => {
    const pattern = m[1];
    const base = pattern.slice(pattern.lastIndexOf("/") + 1);
    return [pattern.includes("/") ? dirname(pattern) : "", new RegExp(`^${base.replace(/\./g, "\\.").replace(/\*/g, "[^/]*")}$`)];
  });
  expect(globs.length, "CMakeLists.txt's source globs").toBeGreaterThanOrEqual(4);
  const todo = globs.flatMap(([dir, re]) => readdirSync(join(root, dir)).filter((f) => re.test(f)).map((f) => join(dir, f)));
  const incBlock = /target_include_directories\(exodus[^)]*\)/.exec(cmake)?.[0] ?? "";
  const includeDirs = [...incBlock.matchAll(/\$\{CMAKE_SOURCE_DIR\}(?:\/([\w/]+))?(?=\s|\))/g)].map((m) => m[1] ?? "");
  expect(includeDirs, "CMakeLists.txt's include directories").toContain("");
  const seen = new Set<string>(["CMakeLists.txt"]);
  while (todo.length) {
    const f = todo.pop()!;
    if (seen.has(f)) continue;
    seen.add(f);
    for (const m of readFileSync(join(root, f), "utf8").matchAll(/^\s*#\s*include\s+"([^"]+)"/gm)) {
      const hit = [dirname(f), ...includeDirs].map((d) => join(d, m[1])).find((p) => existsSync(join(root, p)));
      if (hit) todo.push(normalize(hit));
      else if (!/^napi\.h$|^node_api\.h$/.test(m[1])) throw new Error(`${f} includes "${m[1]}", found in none of ${includeDirs.join(", ")}`);
    }
  }
  return [...seen].sort();
}

/** A PATH with node, npm and sh only: no cmake, make, C/C++ compiler or nvcc. */
function bareBin(): string {
  const bin = join(work, "bin");
  mkdirSync(bin, { recursive: true });
  for (const tool of ["node", "npm", "npx", "sh"]) {
    const p = execFileSync("sh", ["-c", `command -v ${tool}`], { encoding: "utf8" }).trim();
    symlinkSync(p, join(bin, tool));
  }
  return bin;
}

describe("npm package", () => {
  let tarball = "";
  let listed: string[] = [];

  it("npm pack carries the native build's sources and headers, dist/ and a prebuilt addon", () => {
    // EXODUS_PREBUILD_USE_BUILD: take this checkout's build as the prebuild instead of rebuilding it.
    const out = execFileSync("npm", ["pack", "--json", "--pack-destination", work], {
      cwd: root, encoding: "utf8", env: { ...process.env, EXODUS_PREBUILD_USE_BUILD: "1" }, stdio: ["ignore", "pipe", "pipe"],
    });
    const info = JSON.parse(out.slice(out.indexOf("[")))[0] as { filename: string; files: { path: string }[] };
    tarball = join(work, info.filename);
    listed = info.files.map((f) => f.path);
    const missing = nativeBuildInputs().filter((f) => !listed.includes(f));
    expect(missing, "files the native build needs but npm pack leaves out").toEqual([]);
    expect(listed).toEqual(expect.arrayContaining(["binding.h", "binding_neurons.cc", "binding_nn_ops.cc", "dist/bin/exodus.js", "dist/lib/index.js",
      "scripts/install.mjs", "prebuilds/linux-x64/node.napi.glibc.node"]));
    expect(listed.some((f) => f.startsWith("test/") || f.startsWith("build/") || f.startsWith("node_modules/"))).toBe(false);
    expect(existsSync(join(root, "prebuilds")), "postpack leaves no prebuilds/ in the checkout").toBe(false);
  }, 180_000);

  it.skipIf(process.platform !== "linux" || process.arch !== "x64")("installs with no compiler on PATH and runs exodus info and selftest", () => {
    expect(tarball).not.toBe("");
    const app = join(work, "app");
    mkdirSync(app);
    writeFileSync(join(app, "package.json"), JSON.stringify({ name: "exodus-pack-test", version: "1.0.0", private: true }));
    const env: NodeJS.ProcessEnv = { ...process.env, PATH: bareBin(), EXODUS_DEVICE: "" };
    for (const k of ["CC", "CXX", "CUDACXX", "CUDA_PATH", "EXODUS_ADDON", "npm_config_build_from_source"]) delete env[k];
    for (const k of Object.keys(env)) if (k.startsWith("npm_") || k.startsWith("VITEST")) delete env[k];
    expect(spawnSync("sh", ["-c", "command -v cmake || command -v c++ || command -v g++ || command -v nvcc"], { env }).status).not.toBe(0);
    const inst = spawnSync("npm", ["install", tarball, "--prefer-offline", "--no-audit", "--no-fund", "--foreground-scripts"], { cwd: app, env, encoding: "utf8" });
    expect(inst.status, `${inst.stdout}\n${inst.stderr}`.slice(-3000)).toBe(0);
    expect(inst.stderr + inst.stdout).toMatch(/using the prebuilt addon/);
    const pkg = join(app, "node_modules", "exodus-snn");
    expect(existsSync(join(pkg, "build")), "no source build happened").toBe(false);
    const infoOut = spawnSync("npx", ["--no-install", "exodus", "info"], { cwd: app, env, encoding: "utf8" });
    expect(infoOut.status, infoOut.stderr).toBe(0);
    expect(infoOut.stdout).toMatch(/^exodus \d+\.\d+\.\d+/);
    expect(infoOut.stdout).toMatch(/CPU backend: +\d+ threads/);
    const self = spawnSync("npx", ["--no-install", "exodus", "selftest"], { cwd: app, env, encoding: "utf8" });
    expect(self.status, `${self.stdout}\n${self.stderr}`.slice(-3000)).toBe(0);
    expect(self.stdout).toMatch(/\d+ passed, 0 failed/);
  }, 240_000);
});
