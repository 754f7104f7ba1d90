// `exodus bench` (the network table) through the built CLI, at a tiny size: per-method forward
// and backward seconds, speed-ups that are the ratios of those medians, the PyTorch peer on the
// same network (its loss and gradient norms equal exodus BPTT's) or a note that it is absent,
// and JSON written only where --out says.
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, readFileSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { SETUPS, setup } from "../../benchmarks/network/setups.js";
import { tmp } from "../data/helpers.js";

const root = join(import.meta.dirname, "..", "..");
const cli = join(root, "dist", "bin", "exodus.js");
const results = join(root, "benchmarks", "results");
const torch = spawnSync("/usr/bin/python3", ["-c", "import torch, numpy"]).status === 0;

describe("exodus bench (network)", () => {
  it("builds the paper's set-ups (docs/benchmarks.md)", () => {
    expect(SETUPS).toEqual(["shd", "ssc", "dvs-gesture"]);
    const shd = setup("shd", { device: "cpu" });
    expect(shd).toMatchObject({ T: 250, batch: 128, features: [100], classes: 20, label: "SHD, LIF, B=128, T=250" });
    expect(shd.config.model).toMatchObject({ kind: "mlp", hidden: [128, 128, 128] });
    expect(shd.config.neuron).toMatchObject({ type: "lif", tauMem: 30, threshold: 1, surrogate: { name: "exponential", width: 1 } });
    expect(shd.config.loss.readout).toBe("max");
    expect(setup("ssc", { device: "cpu" })).toMatchObject({ T: 250, batch: 64, classes: 35 });
    const dvs = setup("dvs-gesture", { device: "cpu", T: 40, batch: 2 });
    expect(dvs).toMatchObject({ T: 40, batch: 2, features: [2, 64, 64], classes: 11 });
    expect(dvs.config.model).toMatchObject({ kind: "conv", channels: [2, 4, 8, 16], extraConvs: 0 });
    expect(dvs.config.neuron).toMatchObject({ type: "iaf", threshold: 0.25 });
    expect(() => setup("mnist", { device: "cpu" })).toThrow(/--setups: expected items among shd, ssc, dvs-gesture, received "mnist"/);
  });

  it("prints per-method seconds and speed-ups over BPTT and the PyTorch peer as --json", () => {
    expect(existsSync(cli), "dist/ is missing: run npm run build:ts").toBe(true);
    const before = readdirSync(results).map((f) => [f, statSync(join(results, f)).mtimeMs]);
    const out = join(tmp("exodus-bench-"), "net.json");
    const stdout = execFileSync(process.execPath, [cli, "bench", "--setups", "shd", "--T", "30", "--batch", "4", "--repeats", "2", "--warmup", "0", "--threads", "1", "--json", "--out", out], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
    const r = JSON.parse(stdout.trim().split("\n").pop()!);
    expect(JSON.parse(readFileSync(out, "utf8"))).toEqual(r);
    expect(r.machine).toMatchObject({ cores: expect.any(Number), loadAverageStart: expect.any(Array), loadAverageEnd: expect.any(Array) });
    expect(r.memory).toMatch(/MALLOC_TRIM_THRESHOLD_=/);
    const [s] = r.setups;
    expect(s).toMatchObject({ setup: "shd", T: 30, batch: 4 });
    for (const m of ["bptt", "slayer", "exodus"]) {
      const t = s.methods[m];
      for (const k of ["forward", "backward"]) {
        expect(t[k].samples).toHaveLength(2);
        expect(t[k].median).toBeGreaterThan(0);
        expect(t[k].min).toBeLessThanOrEqual(t[k].median);
        expect(t[k].max).toBeGreaterThanOrEqual(t[k].median);
      }
      expect(s.speedup.backwardVsBptt[m]).toBeCloseTo(s.methods.bptt.backward.median / t.backward.median, 10);
    }
    // The same network and weights for every method: one forward, one loss.
    expect(s.methods.exodus.loss).toBeCloseTo(s.methods.bptt.loss, 5);
    expect(s.methods.slayer.loss).toBe(s.methods.exodus.loss);
    expect(Math.min(...Object.values(s.spikeRates as Record<string, number>))).toBeGreaterThan(0.01);
    if (torch) {
      expect(s.peer.backward.samples).toHaveLength(2);
      // Timed at exodus's thread count (1) and at each count up to the cores; the headline is its best.
      expect(s.peerRuns.map((p: { threads: number }) => p.threads)).toEqual(Array.from({ length: Math.min(r.machine.cores, 4) }, (_, i) => i + 1));
      const total = (p: { forward: { median: number }; backward: { median: number } }) => p.forward.median + p.backward.median;
      expect(total(s.peer)).toBe(Math.min(...s.peerRuns.map(total)));
      expect(s.peer.peakRssMiB).toBeGreaterThan(10);
      expect(s.peer.conditions.env.MALLOC_TRIM_THRESHOLD_).toBe("68719476736");
      expect(r.settings.peerBlas.kind).toMatch(/^(optimised|reference|unknown)$/);
      if (r.settings.peerBlas.kind === "reference") {
        expect(s.speedup.backwardVsPeer).toBeNull();
        expect(s.speedup.withheld).toMatch(/apt-get install libopenblas0-pthread/);
      } else {
        expect(s.speedup.backwardVsPeer.exodus).toBeCloseTo(s.peer.backward.median / s.methods.exodus.backward.median, 10);
        const same = s.peerRuns.find((p: { threads: number }) => p.threads === 1);
        expect(s.speedup.backwardVsPeerSameThreads.exodus).toBeCloseTo(same.backward.median / s.methods.exodus.backward.median, 10);
      }
      expect(s.peerCheck.lossDiff).toBeLessThan(1e-4);
      expect(s.peerCheck.gradNormRelDiff).toBeLessThan(1e-3);
    } else expect(s.peer.skipped).toMatch(/torch/);
    // Nothing under benchmarks/results/ changed.
    expect(readdirSync(results).map((f) => [f, statSync(join(results, f)).mtimeMs])).toEqual(before);
  }, 300_000);

  it("refuses to overwrite a committed results file", () => {
    const committed = join(results, "network-cpu.json");
    const before = readFileSync(committed, "utf8");
    const r = spawnSync(process.execPath, [cli, "bench", "--setups", "shd", "--T", "10", "--batch", "2", "--repeats", "1", "--warmup", "0", "--no-peer", "--out", committed], { encoding: "utf8" });
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/--out: .*network-cpu\.json exists; committed results are never overwritten: pass a new file name/);
    expect(readFileSync(committed, "utf8")).toBe(before);
  });

  it("names the unknown benchmark", () => {
    const r = spawnSync(process.execPath, [cli, "bench", "speed"], { encoding: "utf8" });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/bench: expected one of network, kernels, gemm, data, augment, received "speed"/);
  });
});
