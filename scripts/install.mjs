#!/usr/bin/env node
// npm install: use the prebuilt addon (prebuilds/, in the published tarball) when one matches
// this platform and loads; otherwise build from source with cmake-js (needs cmake and a C++17
// compiler; the CUDA backend too when nvcc is found). A git checkout has no prebuilds/ and always
// builds. EXODUS_BUILD_FROM_SOURCE=1 (or npm's --build-from-source) forces the source build.
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { createRequire } from "node:module";

/** cmake-js's CLI wherever npm put it (hoisted into the app's node_modules when installed). */
const cmakeJs = () => join(dirname(createRequire(import.meta.url).resolve("cmake-js/package.json")), "bin", "cmake-js");

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const forced = process.env.EXODUS_BUILD_FROM_SOURCE === "1" || process.env.npm_config_build_from_source === "true";

if (!forced && existsSync(join(root, "prebuilds"))) {
  // Load it in a child: a prebuild that cannot load here (an older glibc, another CPU) must fall
  // back to the source build, not fail the install.
  const probe = spawnSync(process.execPath, ["-e", `require("node-gyp-build")(${JSON.stringify(root)}).info()`], {
    cwd: root, env: { ...process.env, PREBUILDS_ONLY: "1" }, encoding: "utf8",
  });
  if (probe.status === 0) {
    console.error("exodus: using the prebuilt addon (no compiler needed)");
    process.exit(0);
  }
  const why = (probe.stderr.trim().split("\n").find((l) => /Error/.test(l)) ?? "unknown error").trim();
  // The prebuild needs the C library it was built against (or newer).
  const hint = /GLIBC_/.test(why) ? " (it needs a newer glibc)" : "";
  console.error(`exodus: the prebuilt addon does not load here: ${why}${hint}; building from source`);
}
const r = spawnSync(process.execPath, [cmakeJs(), "compile", "--out", "build"], { cwd: root, stdio: "inherit" });
if (r.status !== 0) {
  console.error("exodus: building the native addon failed; it needs cmake (>= 3.18) and a C++17 compiler (nvcc for the CUDA backend). See docs/formats.md, Packaging.");
  process.exit(r.status ?? 1);
}
