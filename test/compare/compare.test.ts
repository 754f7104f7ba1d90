// exodus compare on an in-memory task: same seed ⇒ same initial weights for every method and
// scale; an interrupted compare continues (finished runs kept, the unfinished one resumed) and
// ends with the metrics of an uninterrupted one; compare.html draws exactly the runs' metrics.
import { readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { planRuns, readMetrics, runCompare, type CompareResult } from "../../lib/compare/index.js";
import { buildModel } from "../../lib/train/model.js";
import type { EpochMetrics } from "../../lib/train/trainer.js";
import { tmp } from "../data/helpers.js";
import { memoryData, syntheticConfig } from "../train/helpers.js";

const data = () => ({
  train: memoryData({ size: 64, T: 30, features: [24], classes: 3, seed: 1 }),
  eval: memoryData({ size: 32, T: 30, features: [24], classes: 3, seed: 2 }),
});
const grid = { methods: ["exodus" as const, "slayer" as const], scales: [0.1, 1], seeds: [1, 2], epochs: 2 };
// initScale 2: both hidden layers spike at a few per cent from the start (at 1 the second is nearly silent).
const base = () => syntheticConfig({ device: "cpu", model: { kind: "mlp", hidden: [24, 24], initScale: 2 } }, { batchSize: 16 });

function compare(out: string, extra: Partial<Parameters<typeof runCompare>[0]> = {}): Promise<CompareResult> {
  return runCompare({ config: base(), out, grid, data: data(), quiet: true, log: () => {}, timing: { warmup: 0, repeats: 2 }, ...extra });
}
/** The interruption test's smaller grid: 2 methods × 1 scale × 2 seeds. */
const small = { ...grid, scales: [1] };

/** Metrics without wall-clock fields, which differ between any two runs. */
const stable = (ms: EpochMetrics[]) => ms.map((m) => ({ ...m, train: { ...m.train, seconds: 0, samplesPerSec: 0 }, time: undefined }));

describe("exodus compare", () => {
  it("gives every method and scale of one seed the same initial weights, and other seeds other weights", () => {
    const runs = planRuns(base(), tmp("exodus-compare-"), { methods: ["exodus", "slayer", "bptt"], scales: [0.01, 0.1, 1], seeds: [1, 2] });
    expect(runs).toHaveLength(18);
    const shape = { sampleShape: [30, 24], numClasses: 3 };
    const weights = runs.map((r) => {
      const m = buildModel(r.config, shape);
      const w = m.weights.map((x) => Array.from(x.param.value.toArray()));
      m.net.dispose();
      return w;
    });
    for (const [i, r] of runs.entries()) {
      expect(r.config.method).toBe(r.method);
      expect(r.config.neuron.surrogate.scale).toBe(r.scale);
      const first = runs.findIndex((q) => q.seed === r.seed);
      expect(weights[i]).toEqual(weights[first]);
    }
    const s1 = runs.findIndex((r) => r.seed === 1), s2 = runs.findIndex((r) => r.seed === 2);
    expect(weights[s1][0]).not.toEqual(weights[s2][0]);
    // Everything but method, scale, seed and output is the base config's.
    const strip = (c: (typeof runs)[number]["config"]) => ({ ...c, method: 0, output: 0, neuron: { ...c.neuron, surrogate: { ...c.neuron.surrogate, scale: 0 } }, train: { ...c.train, seed: 0 } });
    for (const r of runs) expect(strip(r.config)).toEqual(strip(runs[0].config));
  });

  it("continues an interrupted compare: finished runs kept, the unfinished one resumed, same metrics as without the interruption", async () => {
    const whole = await compare(tmp("exodus-compare-whole-"), { grid: small });
    expect(whole.run).toMatchObject({ interrupted: false, kept: [], resumed: [] });
    expect(whole.report.status).toEqual({ runs: 4, done: 4, interrupted: false });

    const out = tmp("exodus-compare-cut-");
    const ac = new AbortController();
    // In-memory batches never yield to the event loop, so the interruption comes from the data:
    // run 1 trains 2 × 4 batches; the 14th is the second of run 2's second epoch.
    const d = data();
    const batches = d.train.batches.bind(d.train);
    let served = 0;
    d.train.batches = async function* (o) {
      for await (const b of batches(o)) {
        if (++served === 14) ac.abort();
        yield b;
      }
    };
    const first = await compare(out, { grid: small, signal: ac.signal, data: d });
    expect(first.run.interrupted).toBe(true);
    expect(first.report.status).toMatchObject({ done: 1, interrupted: true });
    expect(first.run.started).toEqual(["exodus-scale1-seed1", "slayer-scale1-seed1"]);
    expect(readFileSync(first.html, "utf8")).toContain("1 of 4 runs finished");
    const keptDir = join(out, "exodus-scale1-seed1");
    const keptMtime = statSync(join(keptDir, "metrics.jsonl")).mtimeMs;

    const again = await compare(out, { grid: small });
    expect(again.run.kept).toEqual(["exodus-scale1-seed1"]);
    expect(again.run.resumed).toEqual(["slayer-scale1-seed1"]);
    expect(again.run.started).toEqual(["exodus-scale1-seed2", "slayer-scale1-seed2"]);
    expect(statSync(join(keptDir, "metrics.jsonl")).mtimeMs).toBe(keptMtime);
    for (const r of planRuns(base(), out, small)) {
      const a = readMetrics(join(whole.report.dir, r.name));
      expect(a).toHaveLength(2);
      expect(stable(readMetrics(r.dir))).toEqual(stable(a));
    }
    expect(again.report.cells.map((c) => [c.bestAcc, c.gradNormMean])).toEqual(whole.report.cells.map((c) => [c.bestAcc, c.gradNormMean]));

    // A third call has nothing left to train and reuses the timing.
    const third = await compare(out, { grid: small });
    expect(third.run).toMatchObject({ kept: expect.arrayContaining(["exodus-scale1-seed2"]), resumed: [], started: [] });
    expect(third.report.timing).toEqual(again.report.timing);
  }, 600_000);

  it("draws in compare.html exactly the runs' metrics: accuracy per epoch and mean gradient norm per layer, over seeds", async () => {
    const r = await compare(tmp("exodus-compare-html-"));
    const html = readFileSync(r.html, "utf8");
    // Self-contained: no external resources, no executable script.
    expect(html).not.toMatch(/<(img|link|iframe)\b|\bsrc=|url\(|@import/);
    expect(html.match(/<script\b[^>]*>/g)).toEqual(['<script type="application/json" id="compare-data">']);
    expect(html.match(/https?:\/\/[^"]+/g)?.every((u) => u === "http://www.w3.org/2000/svg")).toBe(true);

    const attr = (el: string, name: string) => el.match(new RegExp(`${name}="([^"]*)"`))![1].replace(/&quot;/g, '"');
    const lines = new Map([...html.matchAll(/<polyline [^>]*>/g)].map((m) => [attr(m[0], "data-series"), m[0]]));
    const runs = planRuns(base(), r.report.dir, grid);
    const mean = (v: number[]) => v.reduce((a, b) => a + b, 0) / v.length;
    const layers = Object.keys(readMetrics(runs[0].dir)[0].gradNorm);
    expect(layers).toEqual(["0.Linear", "2.Linear", "4.Linear"]);
    const ys: { acc: number[]; px: number[] }[] = [];
    const gs: { val: number[]; px: number[] }[] = [];
    for (const method of grid.methods)
      for (const scale of grid.scales) {
        const cell = runs.filter((x) => x.method === method && x.scale === scale).map((x) => readMetrics(x.dir));
        expect(cell).toHaveLength(2);
        const acc = [0, 1].map((e) => mean(cell.map((ms) => ms[e].eval!.acc)));
        const grad = layers.map((l) => mean(cell.map((ms) => mean(ms.map((m) => m.gradNorm[l])))));
        const a = lines.get(`acc|${method}|${scale}`)!;
        const g = lines.get(`grad|${method}|${scale}`)!;
        expect(JSON.parse(attr(a, "data-x"))).toEqual([1, 2]);
        expect(JSON.parse(attr(a, "data-y"))).toEqual(acc);
        expect(JSON.parse(attr(g, "data-y"))).toEqual(grad);
        const py = (el: string) => attr(el, "points").split(" ").map((p) => Number(p.split(",")[1]));
        ys.push({ acc, px: py(a) });
        gs.push({ val: grad, px: py(g) });
      }
    // The drawn points sit where the values say: pixel y is one affine map of the accuracy (of
    // log10 of the norm) across every panel, which share their y axis.
    const affine = (pairs: [number, number][], tol: number) => {
      // Least squares y = a + b·v; coordinates are written to 0.1 px.
      const n = pairs.length;
      const mv = pairs.reduce((s, p) => s + p[0], 0) / n, my = pairs.reduce((s, p) => s + p[1], 0) / n;
      const b = pairs.reduce((s, p) => s + (p[0] - mv) * (p[1] - my), 0) / pairs.reduce((s, p) => s + (p[0] - mv) ** 2, 0);
      expect(b).toBeLessThan(0); // up is larger
      for (const [v, y] of pairs) expect(Math.abs(my + b * (v - mv) - y)).toBeLessThan(tol);
    };
    affine(ys.flatMap((s) => s.acc.map((v, i) => [v, s.px[i]] as [number, number])), 0.12);
    affine(gs.flatMap((s) => s.val.map((v, i) => [Math.log10(v), s.px[i]] as [number, number])), 0.12);
    // The table's best accuracy is the mean over seeds of each seed's best.
    const best = mean(runs.filter((x) => x.method === "slayer" && x.scale === 1).map((x) => Math.max(...readMetrics(x.dir).map((m) => m.eval!.acc))));
    expect(html).toContain(`<td>${(100 * best).toFixed(1)} ± `);
    // The network learns and is not silent: otherwise the comparison says nothing.
    expect(Math.max(...r.report.cells.map((c) => c.bestAcc.mean))).toBeGreaterThan(0.5);
    expect(Math.min(...Object.values(r.report.timing!.spikeRates))).toBeGreaterThan(0.005);
    expect(Object.keys(r.report.timing!.methods)).toEqual(["exodus", "slayer"]);
  }, 600_000);
});
