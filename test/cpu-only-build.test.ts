// A machine without nvcc gets a working CPU-only addon: build one with nvcc hidden from PATH
// (EXODUS_CUDA=auto, as a user's install would), then load it in a child process and run ops.
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { delimiter, join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { packageRoot } from "../lib/native.js";

const root = packageRoot();

function pathWithoutNvcc(): string {
  return (process.env.PATH ?? "")
    .split(delimiter)
    .filter((dir) => dir && !existsSync(join(dir, "nvcc")))
    .join(delimiter);
}

describe("CPU-only build", () => {
  // EXODUS_CPU_ONLY_ADDON points at a build made beforehand (.ci/run makes one); otherwise build here.
  const prebuilt = process.env.EXODUS_CPU_ONLY_ADDON;
  const outDir = prebuilt ? undefined : mkdtempSync(join(tmpdir(), "exodus-cpu-only-"));
  let buildLog = "";
  afterAll(() => {
    if (outDir) rmSync(outDir, { recursive: true, force: true });
  });

  it("builds without nvcc on PATH", () => {
    if (prebuilt) return;
    const env = { ...process.env, PATH: pathWithoutNvcc(), EXODUS_CUDA: "auto" } as NodeJS.ProcessEnv;
    delete env.CUDACXX;
    delete env.CUDA_PATH;
    const cmakeJs = join(root, "node_modules", "cmake-js", "bin", "cmake-js");
    const r = spawnSync(process.execPath, [cmakeJs, "compile", "--out", outDir!], { cwd: root, env, encoding: "utf8" });
    buildLog = `${r.stdout}\n${r.stderr}`;
    expect(r.status, buildLog.slice(-3000)).toBe(0);
    expect(buildLog).toMatch(/nvcc not found, building the CPU backend only/);
  }, 900_000);

  it("loads, reports no CUDA, and computes on the CPU", () => {
    const addon = prebuilt ?? join(outDir!, "Release", "exodus.node");
    expect(existsSync(addon), `no addon at ${addon}: ${readdirSync(join(addon, "..", "..")).join(", ")}`).toBe(true);
    const script = `
      import { Tensor, ops, runtimeInfo, defaultDevice } from __LIB__;
      const i = runtimeInfo();
      const a = Tensor.from([1, 2, 3, 4, 5, 6], [2, 3]);
      const b = Tensor.from([1, 0, 0, 1, 1, 1], [3, 2]);
      const c = ops.matmul(a, b).toArray();
      let cudaError = "";
      try { Tensor.zeros([2], "cuda"); } catch (e) { cudaError = e.message; }
      console.log(JSON.stringify({ compiled: i.cuda.compiled, device: String(defaultDevice()), c: Array.from(c), cudaError }));
    `;
    // Load through the compiled library, as users run it (npm install builds dist/).
    const dist = join(root, "dist", "lib", "index.js");
    expect(existsSync(dist), "dist/ is missing: run npm run build:ts").toBe(true);
    const code = script.replace("__LIB__", JSON.stringify(dist));
    const out = execFileSync(process.execPath, ["--input-type=module", "-e", code], {
      env: { ...process.env, EXODUS_ADDON: addon, EXODUS_DEVICE: "" },
      encoding: "utf8",
    });
    const r = JSON.parse(out.trim().split("\n").pop()!);
    expect(r.compiled).toBe(false);
    expect(r.device).toBe("cpu");
    expect(r.c).toEqual([4, 5, 10, 11]);
    expect(r.cudaError).toMatch(/CUDA is not available.*not compiled/);
  });
});
