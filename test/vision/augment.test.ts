// Augmentation of sparse frames (dataset.augment): each transform against a direct dense
// computation, reproducibility from the seed, the affine map against torch's grid_sample with
// torchvision's matrix (skipped without torch), and the loader applying it to training batches only.
import { spawnSync } from "node:child_process";
import { cpSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { type AugmentSpec, augmentFrames, inverseMap, sampleSeed, validateAugment } from "../../lib/data/augment.js";
import { openDataset } from "../../lib/data/loader.js";
import type { SparseFrames } from "../../lib/data/transforms.js";
import { Rng } from "../../lib/random.js";
import { validateConfig } from "../../lib/train/config.js";
import { FIXTURES, tmp } from "../data/helpers.js";

const g = { steps: 12, polarities: 2, height: 10, width: 14 };
const F = g.polarities * g.height * g.width;

function randomFrames(seed: number, nnz = 400): SparseFrames {
  const rng = new Rng(seed);
  const set = new Set<number>();
  while (set.size < nnz) set.add(rng.int(g.steps * F));
  const index = Uint32Array.from([...set].sort((a, b) => a - b));
  return { steps: g.steps, index, count: Uint32Array.from(index, () => 1 + rng.int(3)) };
}

const dense = (f: SparseFrames) => {
  const d = new Float64Array(g.steps * F);
  f.index.forEach((i, j) => (d[i] = f.count[j]));
  return d;
};
const total = (f: SparseFrames) => f.count.reduce((a, b) => a + b, 0);
const at = (t: number, p: number, y: number, x: number) => ((t * g.polarities + p) * g.height + y) * g.width + x;
const aug = (spec: unknown, seed = 1, f = randomFrames(5)) => augmentFrames(f, g, validateAugment(spec), seed);

/** Sorted, distinct, positive output. */
function wellFormed(f: SparseFrames): void {
  for (let j = 1; j < f.index.length; j++) expect(f.index[j]).toBeGreaterThan(f.index[j - 1]);
  expect(f.count.every((c) => c > 0)).toBe(true);
}

describe("augmentation of sparse frames", () => {
  it("an empty spec is the identity; a spec is reproducible from the seed and differs across seeds", () => {
    const f = randomFrames(5);
    const id = aug({});
    expect(Array.from(id.index)).toEqual(Array.from(f.index));
    expect(Array.from(id.count)).toEqual(Array.from(f.count));
    const spec = { flip: { x: 0.5, polarity: 0.5 }, affine: { degrees: 20, translate: 0.1 }, drop: { p: 0.2 }, timeJitter: { std: 1 }, noise: { events: 30 } };
    const a = aug(spec, 7);
    const b = aug(spec, 7);
    expect(Array.from(a.index)).toEqual(Array.from(b.index));
    expect(Array.from(a.count)).toEqual(Array.from(b.count));
    const c = aug(spec, 8);
    expect(Array.from(c.index)).not.toEqual(Array.from(a.index));
    wellFormed(a);
  });

  it("flip x, y and polarity with probability 1 mirror every event", () => {
    const f = randomFrames(6);
    const d = dense(f);
    const out = dense(aug({ flip: { x: 1, y: 1, polarity: 1 } }, 3, f));
    for (let t = 0; t < g.steps; t++)
      for (let p = 0; p < 2; p++)
        for (let y = 0; y < g.height; y++)
          for (let x = 0; x < g.width; x++) expect(out[at(t, 1 - p, g.height - 1 - y, g.width - 1 - x)]).toBe(d[at(t, p, y, x)]);
  });

  it("shift translates by one drawn offset within ±max, empty where shifted in", () => {
    const f = randomFrames(7);
    const d = dense(f);
    const out = dense(aug({ shift: { max: 2 } }, 4, f));
    const matches: number[][] = [];
    for (let dy = -2; dy <= 2; dy++)
      for (let dx = -2; dx <= 2; dx++) {
        let ok = true;
        for (let t = 0; t < g.steps && ok; t++)
          for (let p = 0; p < 2 && ok; p++)
            for (let y = 0; y < g.height && ok; y++)
              for (let x = 0; x < g.width && ok; x++) {
                const sy = y - dy;
                const sx = x - dx;
                const want = sy >= 0 && sy < g.height && sx >= 0 && sx < g.width ? d[at(t, p, sy, sx)] : 0;
                ok = out[at(t, p, y, x)] === want;
              }
        if (ok) matches.push([dx, dy]);
      }
    expect(matches).toHaveLength(1);
  });

  it("timeScale maps step t to floor(t·s), summing what lands in one step", () => {
    const f = randomFrames(8);
    const d = dense(f);
    const out = dense(aug({ timeScale: { min: 0.5, max: 0.5 } }, 1, f));
    const want = new Float64Array(g.steps * F);
    for (let t = 0; t < g.steps; t++) for (let k = 0; k < F; k++) want[Math.floor(t * 0.5) * F + k] += d[t * F + k];
    expect(Array.from(out)).toEqual(Array.from(want));
  });

  it("drop keeps each event with probability 1 − p; noise adds exactly n events; jitter moves but keeps events", () => {
    const f = randomFrames(9, 3000);
    const kept = total(aug({ drop: { p: 0.3 } }, 2, f)) / total(f);
    expect(kept).toBeGreaterThan(0.66);
    expect(kept).toBeLessThan(0.74);
    expect(total(aug({ noise: { events: 57 } }, 2, f))).toBe(total(f) + 57);
    // jitter: events pushed out of [0, steps) are lost, the rest are kept; the frames do change
    const mid: SparseFrames = { steps: g.steps, index: Uint32Array.from([at(6, 0, 3, 3), at(6, 1, 5, 5)]), count: Uint32Array.from([40, 40]) };
    const j = aug({ timeJitter: { std: 1 } }, 3, mid);
    expect(total(j)).toBe(80);
    expect(j.index.length).toBeGreaterThan(2);
    wellFormed(j);
  });

  it("affine without rotation is a translation; the identity affine changes nothing", () => {
    const f = randomFrames(10);
    const id = aug({ affine: { degrees: 0, translate: 0 } }, 5, f);
    expect(Array.from(id.index)).toEqual(Array.from(f.index));
    const map = inverseMap(g.height, g.width, { flipX: false, flipY: false, sx: 0, sy: 0, affine: { angle: 0, scale: 1, tx: 2, ty: -1 } });
    for (let y = 0; y < g.height; y++)
      for (let x = 0; x < g.width; x++) {
        const sy = y + 1;
        const sx = x - 2;
        expect(map[y * g.width + x]).toBe(sy >= 0 && sy < g.height && sx >= 0 && sx < g.width ? sy * g.width + sx : -1);
      }
  });

  const torch = spawnSync("/usr/bin/python3", ["-c", "import torch"], { encoding: "utf8" }).status === 0;
  it.skipIf(!torch)("the affine map equals torch grid_sample (nearest) with torchvision's inverse matrix", () => {
    const H = 24;
    const W = 32;
    const cases = [[17.3, 3, -2, 1], [-12.9, -4, 1, 1.08], [5.5, 0, 0, 0.93], [-19.99, 2, 3, 1]];
    // torchvision.transforms.functional.affine on a tensor: _get_inverse_affine_matrix (center 0,
    // no shear), _gen_affine_grid, grid_sample(nearest, zeros, align_corners=False)
    const script = `
import json, math, sys, torch
import torch.nn.functional as F
q = json.load(sys.stdin); H, W = q["H"], q["W"]; res = []
for angle, tx, ty, s in q["cases"]:
    r = math.radians(angle)
    a, b, c, d = math.cos(r), -math.sin(r), math.sin(r), math.cos(r)
    m = [x / s for x in [d, -b, 0.0, -c, a, 0.0]]
    m[2] += m[0] * (-tx) + m[1] * (-ty)
    m[5] += m[3] * (-tx) + m[4] * (-ty)
    theta = torch.tensor(m, dtype=torch.float64).reshape(1, 2, 3)
    base = torch.empty(1, H, W, 3, dtype=torch.float64)
    base[..., 0].copy_(torch.linspace(-W * 0.5 + 0.5, W * 0.5 - 0.5, steps=W, dtype=torch.float64))
    base[..., 1].copy_(torch.linspace(-H * 0.5 + 0.5, H * 0.5 - 0.5, steps=H, dtype=torch.float64).unsqueeze(-1))
    base[..., 2].fill_(1)
    grid = base.view(1, H * W, 3).bmm(theta.transpose(1, 2) / torch.tensor([0.5 * W, 0.5 * H], dtype=torch.float64)).view(1, H, W, 2)
    img = torch.arange(1, H * W + 1, dtype=torch.float64).reshape(1, 1, H, W)
    o = F.grid_sample(img, grid, mode="nearest", padding_mode="zeros", align_corners=False)
    res.append([int(v) - 1 for v in o.flatten().tolist()])
print(json.dumps(res))`;
    const r = spawnSync("/usr/bin/python3", ["-c", script], { input: JSON.stringify({ H, W, cases }), encoding: "utf8" });
    expect(r.status, r.stderr).toBe(0);
    const want = JSON.parse(r.stdout) as number[][];
    cases.forEach(([angle, tx, ty, scale], k) => {
      const got = inverseMap(H, W, { flipX: false, flipY: false, sx: 0, sy: 0, affine: { angle, scale, tx, ty } });
      let differ = 0;
      for (let i = 0; i < H * W; i++) if (got[i] !== want[k][i]) differ++;
      // rounding ties at exact half pixels may fall either way
      expect(differ, `case ${k}`).toBeLessThanOrEqual(2);
    });
  });

  it("rejects bad specs by field", () => {
    expect(() => validateAugment({ flip: { x: 2 } })).toThrow(/^dataset\.augment\.flip\.x: expected a probability in \[0, 1\], received 2/);
    expect(() => validateAugment({ rotate: 10 })).toThrow(/^dataset\.augment\.rotate: expected no such field \(known: flip, affine, crop/);
    expect(() => validateAugment({ crop: { scale: [0.9, 0.8] } })).toThrow(/^dataset\.augment\.crop\.scale: expected \[min, max\] with 0 < min <= max <= 1, received/);
    expect(() => validateAugment({ timeScale: { min: 1.2, max: 1 } })).toThrow(/^dataset\.augment\.timeScale\.max: expected a factor >= min \(1\.2\), received 1/);
    expect(() => validateConfig({ dataset: { name: "dvs-gesture", augment: { drop: {} } } })).toThrow(/^dataset\.augment\.drop\.p: expected a probability in \[0, 1\), received undefined/);
    expect(validateAugment({ flip: {} })).toEqual({ flip: { x: 0.5, y: 0, polarity: 0 } });
  });
});

describe("augmented batches from the loader", () => {
  it("augments reproducibly from the batch seed, per sample; without augment the batches are the cached frames", async () => {
    const root = tmp("exodus-aug-");
    cpSync(join(FIXTURES, "cifar10_dvs"), root, { recursive: true });
    const ds = await openDataset({ name: "cifar10-dvs", root, split: "train", transform: { downsample: { spatial: 0.25 }, frame: { mode: "timeBins", nTimeBins: 4 } } });
    const spec: AugmentSpec = validateAugment({ affine: { degrees: 20, translate: 0.1 }, flip: { x: 0.5 } });
    const collect = async (o: { seed: number; augment?: AugmentSpec; batchSize?: number }) => {
      const out: number[][] = [];
      for await (const b of ds.batches({ batchSize: o.batchSize ?? 5, shuffle: true, seed: o.seed, augment: o.augment })) out.push(Array.from(b.x.toArray()));
      return out;
    };
    const plain = await collect({ seed: 1 });
    const a = await collect({ seed: 1, augment: spec });
    const b = await collect({ seed: 1, augment: spec });
    const c = await collect({ seed: 2, augment: spec });
    expect(a).toEqual(b);
    expect(a).not.toEqual(plain);
    expect(c).not.toEqual(a);
    expect(await collect({ seed: 1 })).toEqual(plain);
    // a sample's augmentation depends on the seed and its index only, not on the batch it lands in
    const one = await collect({ seed: 1, augment: spec, batchSize: 1 });
    const T = 4;
    const Fs = 2 * 32 * 32;
    const batch0 = a[0];
    const firstOfBatch = Array.from({ length: T }, (_, t) => batch0.slice(t * 5 * Fs, t * 5 * Fs + Fs)).flat();
    expect(one[0]).toEqual(firstOfBatch);
    // the worker threads run the same kernel as this thread
    let first = -1;
    for await (const bt of ds.batches({ batchSize: 1, shuffle: true, seed: 1 })) {
      first = bt.indices[0];
      break;
    }
    const { x } = await ds.sample(first);
    const index = Uint32Array.from(Array.from(x.keys()).filter((i) => x[i] !== 0));
    const mine = augmentFrames({ steps: T, index, count: Uint32Array.from(index, (i) => x[i]) }, { steps: T, polarities: 2, height: 32, width: 32 }, spec, sampleSeed(1, first));
    const mineDense = new Array(T * Fs).fill(0);
    mine.index.forEach((i, j) => (mineDense[i] = mine.count[j]));
    expect(one[0]).toEqual(mineDense);
    await ds.close();
  });
});
