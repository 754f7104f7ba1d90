// report.html for deep networks: more than 8 layers get layer × epoch heat maps with every layer's
// row and value (no legend to overflow), the loss is on a log axis, and curves that coincide get a
// note. Also compare.html's note when two methods' curves coincide.
import { describe, expect, it } from "vitest";
import { coincidenceNote, coincidentPairs } from "../../lib/coincide.js";
import { renderReport } from "../../lib/train/report.js";
import { LINE_LIMIT } from "../../lib/train/report-layers.js";
import type { EpochMetrics } from "../../lib/train/trainer.js";
import { Rng } from "../../lib/random.js";
import { syntheticConfig } from "./helpers.js";

function metrics(layers: number, epochs: number, seed: number): EpochMetrics[] {
  const rng = new Rng(seed);
  const grad = Array.from({ length: layers }, (_, i) => `${i}.block.${i % 3}.Conv2d`);
  const fire = Array.from({ length: layers - 1 }, (_, i) => `${i}.block.${i % 3}.LIF`);
  return Array.from({ length: epochs }, (_, e) => ({
    epoch: e + 1, step: 10 * (e + 1), method: "exodus",
    train: { loss: 2 / (e + 1), acc: 0.1 * e, samples: 100, seconds: 1, samplesPerSec: 100 },
    eval: { loss: 2.2 / (e + 1), acc: 0.09 * e, samples: 50 },
    gradNorm: Object.fromEntries(grad.map((g) => [g, 10 ** (rng.uniform() * 6 - 4)])),
    firingRate: Object.fromEntries(fire.map((f) => [f, rng.uniform() * 0.3])),
    time: { data: 0.1, forward: 0.3, backward: 0.5, optimizer: 0.05, eval: 0.2 },
  }));
}

const cells = (html: string) => [...html.matchAll(/<rect [^>]*data-layer="([^"]+)" data-x="(\d+)" data-y="([^"]*)"/g)].map((m) => ({ layer: m[1], x: Number(m[2]), y: Number(m[3]) }));

describe("report of a deep network", () => {
  it("17 layers: heat maps hold every layer's value at every epoch, every layer is labelled", () => {
    const ms = metrics(17, 12, 3);
    const html = renderReport(syntheticConfig(), ms);
    const c = cells(html);
    expect(c).toHaveLength(12 * 17 + 12 * 16);
    for (const m of ms) {
      for (const [l, v] of Object.entries(m.gradNorm)) expect(c.find((x) => x.layer === l && x.x === m.epoch)?.y).toBe(v);
      for (const [l, v] of Object.entries(m.firingRate)) expect(c.find((x) => x.layer === l && x.x === m.epoch)?.y).toBe(100 * v);
    }
    for (const l of [...Object.keys(ms[0].gradNorm), ...Object.keys(ms[0].firingRate)]) expect(html).toContain(`>${l}</text>`);
    expect(html).toMatch(/17 layers \(rows\) × 12 epochs; colour: ‖∂L\/∂W‖₂, log scale/);
    expect(html).toMatch(/loss \(nats, log scale\)/);
  });

  it(`up to ${LINE_LIMIT} layers: line charts, with a note when two layers' curves coincide`, () => {
    const ms = metrics(4, 5, 4);
    for (const m of ms) m.gradNorm["3.block.0.Conv2d"] = m.gradNorm["0.block.0.Conv2d"] * (1 + 1e-9);
    expect(renderReport(syntheticConfig(), ms)).not.toContain("Learning rate"); // no rates recorded: no panel
    ms.forEach((m, i) => (m.lr = 1e-3 * 0.5 ** i));
    const html = renderReport(syntheticConfig(), ms);
    expect(html).toContain("Learning rate (at each epoch's last step)");
    for (const m of ms) expect(html).toContain(`data-series="lr" data-x="${m.epoch}" data-y="${m.lr}"`);
    expect(cells(html)).toHaveLength(0);
    expect(html).toContain("0.block.0.Conv2d and 3.block.0.Conv2d coincide at every point (largest relative difference 1.0e-9): one curve is drawn over the other.");
    expect(html.match(/coincide at every point/g)).toHaveLength(1);
  });

  it("coincidence: same x and y within the tolerance at every finite point", () => {
    const a = { name: "EXODUS", points: [{ x: 1, y: 0.5 }, { x: 2, y: 0.7 }, { x: 3, y: NaN }] };
    const b = { name: "BPTT", points: [{ x: 1, y: 0.5 }, { x: 2, y: 0.7 * (1 + 3e-7) }, { x: 3, y: NaN }] };
    const c = { name: "SLAYER", points: [{ x: 1, y: 0.5 }, { x: 2, y: 0.71 }, { x: 3, y: 0.8 }] };
    expect(coincidentPairs([a, b, c]).map((p) => [p.a, p.b])).toEqual([["EXODUS", "BPTT"]]);
    expect(coincidentPairs([a, b], 1e-7)).toEqual([]);
    expect(coincidenceNote([a, { ...a, name: "copy" }])).toBe("EXODUS and copy coincide at every point (identical values): one curve is drawn over the other.");
    expect(coincidenceNote([a, c])).toBe("");
  });
});

describe("compare.html", () => {
  it("notes the methods whose curves coincide, under that panel only", async () => {
    const { renderCompareHtml } = await import("../../lib/compare/html.js");
    const { stat } = await import("../../lib/compare/aggregate.js");
    const cell = (method: string, scale: number, acc: number[], grad: number[]) => ({
      method, scale, runs: [{ name: `${method}-${scale}`, seed: 1, state: "done" as const, epochsDone: 2 }],
      evalEpochs: [1, 2], acc: acc.map((a) => stat([a])), trainEpochs: [1, 2], trainLoss: [stat([1]), stat([0.5])],
      gradNormByEpoch: {}, gradNormMean: { "0.Linear": stat([grad[0]]), "2.Linear": stat([grad[1]]) },
      gradNormFinal: {}, bestAcc: stat([Math.max(...acc)]), finalAcc: stat([acc[1]]), epochSeconds: stat([1]), backwardSeconds: stat([0.5]),
    });
    const html = renderCompareHtml({
      created: "now", dir: "/x", setup: "test", device: "cpu", epochs: 2, methods: ["exodus", "bptt", "slayer"], scales: [0.1, 1], seeds: [1],
      status: { runs: 6, done: 6, interrupted: false }, layers: ["0.Linear", "2.Linear"],
      cells: [
        cell("exodus", 0.1, [0.5, 0.6], [1, 2]), cell("bptt", 0.1, [0.5, 0.6], [1, 2 * (1 + 1e-8)]), cell("slayer", 0.1, [0.4, 0.5], [3, 4]),
        cell("exodus", 1, [0.5, 0.7], [1, 2]), cell("bptt", 1, [0.5, 0.65], [1.5, 2]), cell("slayer", 1, [0.4, 0.5], [3, 4]),
      ],
    } as never);
    const notes = [...html.matchAll(/<figcaption class="note">([^<]*)<\/figcaption>/g)].map((m) => m[1]);
    expect(notes).toEqual([
      "EXODUS and BPTT coincide at every point (identical values): one curve is drawn over the other.", // accuracy, scale 0.1
      "EXODUS and BPTT coincide at every point (largest relative difference 1.0e-8): one curve is drawn over the other.", // gradients, scale 0.1
    ]);
  });
});
