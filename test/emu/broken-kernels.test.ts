// Each class of bug the emulated device is there to catch, planted in a kernel of
// test/emu/broken_kernels.cu and compiled for this test only (g++ against cuda/emu, once plain and
// once with AddressSanitizer): an invalid launch configuration, a barrier some threads skip, a
// shuffle on a partial or divergent warp, an out-of-bounds read, and a missing cudaEventRecord
// that only the deferred (stream-order) mode exposes. A correct kernel with the same barriers and
// shuffles raises no alarm.
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { packageRoot } from "../../lib/native.js";

const root = packageRoot();
const gxx = spawnSync("g++", ["--version"], { encoding: "utf8" }).status === 0;
if (!gxx) console.log("broken-kernel tests skipped: g++ not found");
const asanLib = gxx ? spawnSync("g++", ["-print-file-name=libasan.so"], { encoding: "utf8" }).stdout.trim() : "";
const hasAsan = asanLib.startsWith("/");

function compile(out: string, asan: boolean): string {
  const sources = ["-x", "c++", "test/emu/broken_kernels.cu", "-x", "none", "cuda/emu/fiber.cc", "cuda/emu/runtime.cc", "cuda/emu/scheduler.cc"];
  const flags = ["-std=c++17", "-O1", "-g", "-Wno-unknown-pragmas", "-DEXODUS_CUDA_EMULATE=1", "-Icuda/emu", "-Icuda/include", "-Icuda"];
  if (asan) flags.push("-fsanitize=address", "-fno-omit-frame-pointer");
  const r = spawnSync("g++", [...flags, ...sources, "-o", out], { cwd: root, encoding: "utf8" });
  if (r.status !== 0) throw new Error(`compiling the broken kernels failed:\n${r.stderr.slice(-3000)}`);
  return out;
}

function run(bin: string, which: string, env: Record<string, string> = {}) {
  const r = spawnSync(bin, [which], { encoding: "utf8", env: { ...process.env, ASAN_OPTIONS: "detect_leaks=0", ...env } });
  return { status: r.status, out: r.stdout.trim(), err: r.stderr };
}

describe.skipIf(!gxx)("the emulated device catches planted kernel bugs", () => {
  const dir = mkdtempSync(join(tmpdir(), "exodus-broken-"));
  let bin = "";
  beforeAll(() => {
    bin = compile(join(dir, "broken"), false);
  }, 300_000);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("runs a correct kernel with shuffles and barriers without an alarm", () => {
    expect(run(bin, "ok").out).toBe("ok ok sum=-3 want=-3");
  });

  it("refuses invalid launch configurations with cudaErrorInvalidConfiguration", () => {
    expect(run(bin, "zero-grid").out).toMatch(/^zero-grid cudaErrorInvalidConfiguration .*grid \(0, 1, 1\).*a grid dimension is 0/);
    expect(run(bin, "grid-y").out).toMatch(/^grid-y cudaErrorInvalidConfiguration .*gridDim\.y exceeds 65535/);
    expect(run(bin, "block-size").out).toMatch(/^block-size cudaErrorInvalidConfiguration .*block \(2048, 1, 1\)/);
  });

  it("reports a barrier skipped by some threads, with the kernel, block and line", () => {
    expect(run(bin, "barrier").out).toMatch(
      /^barrier cudaErrorLaunchFailure .*kernel skipped_barrier .*block \(0, 0, 0\): barrier divergence: threads 0-15 wait at the __syncthreads at test\/emu\/broken_kernels\.cu:\d+ but threads 16-63 have exited/,
    );
  });

  it("reports a full-mask shuffle on a partial warp and on a divergent warp", () => {
    expect(run(bin, "partial-warp").out).toMatch(/^partial-warp cudaErrorLaunchFailure .*warp 1: the mask names lanes 16-31, which do not exist/);
    expect(run(bin, "divergent-shuffle").out).toMatch(/^divergent-shuffle cudaErrorLaunchFailure .*the mask names lane 16, which has exited/);
  });

  it("exposes a missing cudaEventRecord in deferred mode only", () => {
    // Immediately run, every upload has finished before the slot is reused: the bug hides.
    expect(run(bin, "stream-order").out.split("\n")).toEqual([
      "stream-order-recorded ok batch0[5]=1005 batch1[5]=2005",
      "stream-order-missing-record ok batch0[5]=1005 batch1[5]=2005",
    ]);
    expect(run(bin, "stream-order", { EXODUS_EMU_DEFERRED: "1" }).out.split("\n")).toEqual([
      "stream-order-recorded ok batch0[5]=1005 batch1[5]=2005",
      "stream-order-missing-record WRONG batch0[5]=2005 batch1[5]=2005",
    ]);
  });

  it.skipIf(!hasAsan)("catches an out-of-bounds read under AddressSanitizer, with its .cu line", () => {
    const asan = compile(join(dir, "broken-asan"), true);
    expect(run(asan, "ok").out).toBe("ok ok sum=-3 want=-3");  // fibers and ASan get along
    const r = run(asan, "oob");
    expect(r.status).not.toBe(0);
    expect(r.err).toMatch(/AddressSanitizer: heap-buffer-overflow/);
    expect(r.err).toMatch(/in off_by_one test\/emu\/broken_kernels\.cu:\d+/);
  }, 300_000);
});
