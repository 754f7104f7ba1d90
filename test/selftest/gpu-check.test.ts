// scripts/gpu-check.sh on a machine without a usable GPU: it must stop within seconds, say that
// no GPU was found, exit non-zero, and leave only summary.txt and one tarball (a device tool
// returns at most 8 files). Skipped where a GPU works (the real check runs for minutes).
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { cudaAvailable } from "../../lib/device.js";
import { native, packageRoot } from "../../lib/native.js";
import { tmp } from "../data/helpers.js";

const root = packageRoot();
const built = existsSync(join(root, "dist/bin/exodus.js"));
if (!built) console.log("gpu-check dry run skipped: dist/ is not built (npm run build:ts)");

describe.skipIf(cudaAvailable() || !built)("gpu-check.sh dry run without a GPU", () => {
  it("exits non-zero in seconds with summary.txt and one tarball", () => {
    const out = tmp("exodus-gpu-check-");
    const t0 = Date.now();
    const r = spawnSync("bash", [join(root, "scripts/gpu-check.sh"), out], { encoding: "utf8", timeout: 60_000 });
    const seconds = (Date.now() - t0) / 1000;
    expect(r.status).toBe(1);
    expect(seconds).toBeLessThan(30);
    expect(readdirSync(out).sort()).toEqual(["gpu-check.tgz", "summary.txt"]);
    const summary = readFileSync(join(out, "summary.txt"), "utf8");
    expect(summary).toMatch(/NO GPU FOUND/);
    expect(summary).toMatch(/nothing ran on a GPU/);
    expect(summary).not.toMatch(/\bpass\b/);
    const files = execFileSync("tar", ["-tzf", join(out, "gpu-check.tgz")], { encoding: "utf8" });
    expect(files).toMatch(/info\.json/);
  }, 60_000);

  // The steps' CUDA error is the runtime's (no driver): a build without the CUDA backend stops earlier.
  it.skipIf(!native().buildInfo().cudaCompiled)("with GPU_CHECK_WITHOUT_GPU runs every step, each failing into summary.txt and the tarball", () => {
    const out = tmp("exodus-gpu-check-");
    const r = spawnSync("bash", [join(root, "scripts/gpu-check.sh"), out], { encoding: "utf8", timeout: 120_000, env: { ...process.env, GPU_CHECK_WITHOUT_GPU: "1" } });
    expect(r.status).toBe(1);
    expect(readdirSync(out).sort()).toEqual(["gpu-check.tgz", "summary.txt"]);
    const summary = readFileSync(join(out, "summary.txt"), "utf8");
    for (const s of ["selftest-cuda", "training-cuda", "large-cuda", "gradcheck-cuda"]) expect(summary).toMatch(new RegExp(`^${s} +FAIL .*CUDA is not available`, "m"));
    expect(summary).toMatch(/SOME STEPS FAILED/);
    const files = execFileSync("tar", ["-tzf", join(out, "gpu-check.tgz")], { encoding: "utf8" });
    for (const s of ["selftest-cuda.log", "training-cuda.log", "large-cuda.log"]) expect(files).toContain(s);
  }, 120_000);

  it("skips the steps the global deadline leaves no time for", () => {
    const out = tmp("exodus-gpu-check-");
    const r = spawnSync("bash", [join(root, "scripts/gpu-check.sh"), out], { encoding: "utf8", timeout: 60_000, env: { ...process.env, GPU_CHECK_WITHOUT_GPU: "1", GPU_CHECK_DEADLINE: "1" } });
    expect(r.status).toBe(1);
    expect(readFileSync(join(out, "summary.txt"), "utf8")).toMatch(/^selftest-cuda +skip +deadline reached/m);
  }, 60_000);
});
