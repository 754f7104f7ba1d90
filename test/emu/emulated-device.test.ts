// The CUDA backend's code, run on the emulated device (EXODUS_CUDA=emulate, cuda/emu), in deferred
// mode (launches, async copies and event records wait for a synchronising call, as on the legacy
// default stream): the self-checks, gradcheck and the training checks against the CPU backend.
// Needs the emulated build (.ci/run makes it):
//   EXODUS_CUDA=emulate npx cmake-js compile --out build-emu
// or EXODUS_EMU_ADDON=path/to/exodus.node; skips with that message where it is absent.
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { packageRoot } from "../../lib/native.js";

const root = packageRoot();
const addon = process.env.EXODUS_EMU_ADDON ?? join(root, "build-emu", "Release", "exodus.node");
const cli = join(root, "dist", "bin", "exodus.js");
const present = existsSync(addon) && existsSync(cli);
if (!present)
  console.log(
    `emulated-device tests skipped: ${existsSync(cli) ? `no emulated build at ${addon}` : "dist/ is missing (npm run build:ts)"}; ` +
      "build it with `EXODUS_CUDA=emulate npx cmake-js compile --out build-emu` (or set EXODUS_EMU_ADDON)",
  );

function exodus(args: string[], extraEnv: Record<string, string> = {}) {
  const env = { ...process.env, EXODUS_ADDON: addon, EXODUS_EMU_DEFERRED: "1", EXODUS_DEVICE: "", ...extraEnv };
  const r = spawnSync(process.execPath, [cli, ...args], { cwd: root, env, encoding: "utf8", maxBuffer: 64 << 20 });
  return { status: r.status, out: r.stdout, err: r.stderr, all: `${r.stdout}\n${r.stderr}` };
}

interface Report {
  checks: number;
  failed: number;
  results: { group: string; name: string; pass: boolean; error?: string }[];
}

function failures(rep: Report): string {
  return rep.results.filter((r) => !r.pass).map((r) => `${r.group} ${r.name}: ${r.error ?? "over tolerance"}`).join("\n");
}

describe.skipIf(!present)("the CUDA backend on the emulated device (deferred mode)", () => {
  const dir = mkdtempSync(join(tmpdir(), "exodus-emu-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("is named plainly by exodus info and never chosen by device auto", () => {
    const r = exodus(["info", "--json"]);
    expect(r.status, r.all).toBe(0);
    const info = JSON.parse(r.out);
    expect(info.cuda.emulated).toBe(true);
    expect(info.cuda.usable).toBe(true);
    expect(info.cuda.devices[0].name).toMatch(/^EMULATED CUDA device \(host CPU, not a GPU/);
    const text = exodus(["info"]);
    expect(text.out).toMatch(/CUDA backend: EMULATED on the host CPU/);
    expect(text.out).toMatch(/default device: cpu/);
  });

  it("passes every self-check against the CPU backend", () => {
    const file = join(dir, "selftest.json");
    const r = exodus(["selftest", "--device", "cuda", "--json", file]);
    const rep = JSON.parse(readFileSync(file, "utf8")) as Report;
    expect(rep.failed, failures(rep)).toBe(0);
    expect(r.status, r.all.slice(-2000)).toBe(0);
    expect(rep.checks).toBeGreaterThan(100);
    expect(rep.results.some((x) => x.group === "gemm")).toBe(true);
  }, 300_000);

  it("passes gradcheck on cuda", () => {
    const r = exodus(["gradcheck", "--device", "cuda"]);
    expect(r.status, r.all.slice(-3000)).toBe(0);
    expect(r.out).toMatch(/PASS: largest exodus deviation/);
  }, 300_000);

  it("matches the CPU over two training steps of the full-size SHD net and the reduced DVS net", () => {
    for (const [filter, scale] of [["SHD", "full"], ["DVS", "reduced"]]) {
      const file = join(dir, `training-${filter}.json`);
      const r = exodus(["selftest", "--device", "cuda", "--training", "--scale", scale, "--filter", filter, "--json", file]);
      const rep = JSON.parse(readFileSync(file, "utf8")) as Report;
      expect(rep.checks, r.all.slice(-2000)).toBe(1);
      expect(rep.failed, failures(rep)).toBe(0);
      expect(rep.results[0].name).toMatch(scale === "full" ? /B=128, T=250 \(full\)/ : /\(reduced\)/);
    }
  }, 600_000);

  // Through the data loader, whose prefetching thread uploads the next batch while the last one's
  // kernels wait in the queue: a missing cudaEventRecord on the upload slot (planted once by hand)
  // made this fail in deferred mode and pass when run at once.
  it("trains through the loader like the CPU (gpu-check's train steps)", () => {
    const out = mkdtempSync(join(dir, "gpu-check-"));
    const env = { ...process.env, EXODUS_ADDON: addon, EXODUS_EMU_DEFERRED: "1", GPU_CHECK_ONLY: "^train-" };
    const r = spawnSync("bash", [join(root, "scripts/gpu-check.sh"), out], { cwd: root, env, encoding: "utf8", timeout: 240_000 });
    const summary = readFileSync(join(out, "summary.txt"), "utf8");
    expect(summary, summary).toMatch(/^train-compare +pass .*cuda matches cpu: .*every layer spikes/m);
    expect(r.status, summary).toBe(0);
  }, 300_000);

  it("rejects an unknown --scale with a clear message", () => {
    const r = exodus(["selftest", "--training", "--scale", "huge"]);
    expect(r.status).not.toBe(0);
    expect(r.all).toMatch(/--scale: expected "full" or "reduced", received "huge"/);
  });
});
