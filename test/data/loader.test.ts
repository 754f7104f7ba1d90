// openDataset end to end on small files: batch shapes and values, labels, seeded shuffling,
// prefetching, and the cache (hit, invalidation, corrupt/truncated rebuild).
import { copyFileSync, cpSync, existsSync, mkdirSync, readFileSync, readdirSync, statSync, truncateSync, utimesSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { CIFAR10_CLASSES } from "../../lib/data/aedat2.js";
import { openDataset, type Batch, type Dataset } from "../../lib/data/loader.js";
import { readGestureNpy } from "../../lib/data/npy.js";
import { Linear } from "../../lib/nn/linear.js";
import { Rng } from "../../lib/random.js";
import { SpikeIndex } from "../../lib/sparse.js";
import { Tensor } from "../../lib/tensor.js";
import { FIXTURES, aedat2File, aedat3File, aedat3Packet, randomEvents, tmp, zipFile } from "./helpers.js";

interface Twin {
  labels: number[];
  times: number[][];
  units: number[][];
}
const twin = JSON.parse(readFileSync(join(FIXTURES, "shd_tiny.h5.json"), "utf8")) as Twin;
const KEPT_ROWS = [0, 1, 2, 4, 5, 6, 7]; // row 3 holds no spikes: skipped

/** The paper's SHD frames of one row, computed independently: 4 ms bins × 250, channel / 7. */
function expectedShd(row: number): Float32Array {
  const out = new Float32Array(250 * 100);
  twin.times[row].forEach((s, i) => {
    const t = Math.trunc(Math.fround(Math.fround(s) * 1e6));
    const bin = Math.floor(t / 4000);
    if (bin < 250) out[bin * 100 + Math.trunc(twin.units[row][i] / 7)]++;
  });
  return out;
}

function shdRoot(): string {
  const root = tmp();
  copyFileSync(join(FIXTURES, "shd_tiny.h5"), join(root, "shd_train.h5"));
  return root;
}

async function collect(ds: Dataset, opts: Parameters<Dataset["batches"]>[0]): Promise<{ x: Float32Array; shape: number[]; labels: number[]; indices: number[] }[]> {
  const out = [];
  for await (const b of ds.batches(opts)) out.push({ x: b.x.toArray(), shape: [...b.x.shape], labels: Array.from(b.labels), indices: Array.from(b.indices) });
  return out;
}

describe("SHD through openDataset", () => {
  it("delivers [T, B, 100] batches equal to independently binned frames, labels right", async () => {
    const warnings: string[] = [];
    const ds = await openDataset({ name: "shd", root: shdRoot(), split: "train", onWarning: (m) => warnings.push(m) });
    expect(ds.size).toBe(7);
    expect(ds.skipped).toBe(1);
    expect(warnings.join()).toMatch(/skipped 1 sample\(s\) without events to bin: .*shd_train.h5 row 3/);
    expect(ds.numClasses).toBe(20);
    expect(ds.sampleShape).toEqual([250, 100]);
    const batches = await collect(ds, { batchSize: 3, device: "cpu" });
    expect(batches.map((b) => b.shape)).toEqual([[250, 3, 100], [250, 3, 100], [250, 1, 100]]);
    expect(batches.flatMap((b) => b.labels)).toEqual(KEPT_ROWS.map((r) => twin.labels[r]));
    let nonzero = 0;
    for (const b of batches) {
      const B = b.shape[1];
      b.indices.forEach((idx, j) => {
        const want = expectedShd(KEPT_ROWS[idx]);
        for (let t = 0; t < 250; t++)
          for (let c = 0; c < 100; c++) {
            const v = b.x[(t * B + j) * 100 + c];
            if (v !== want[t * 100 + c]) throw new Error(`sample ${idx} t ${t} c ${c}: ${v} != ${want[t * 100 + c]}`);
            if (v) nonzero++;
          }
      });
    }
    expect(nonzero).toBeGreaterThan(300);
    const one = await ds.sample(4);
    expect(Array.from(one.x)).toEqual(Array.from(expectedShd(KEPT_ROWS[4])));
    await ds.close();
  });

  it("shuffles reproducibly by seed, covers every sample once, drops the last partial batch on request", async () => {
    const ds = await openDataset({ name: "shd", root: shdRoot(), split: "train", onWarning: () => {} });
    const a = await collect(ds, { batchSize: 2, shuffle: true, seed: 5, device: "cpu", dropLast: true });
    const b = await collect(ds, { batchSize: 2, shuffle: true, seed: 5, device: "cpu", dropLast: true, prefetch: 0, workers: 0 });
    const w = await collect(ds, { batchSize: 2, shuffle: true, seed: 5, device: "cpu", dropLast: true, prefetch: 3, workers: 2 });
    w.forEach((x, k) => expect(Array.from(x.x)).toEqual(Array.from(b[k].x)));
    const c = await collect(ds, { batchSize: 7, shuffle: true, seed: 6, device: "cpu" });
    expect(a.length).toBe(3);
    expect(a.map((x) => x.indices)).toEqual(b.map((x) => x.indices));
    a.forEach((x, k) => expect(Array.from(x.x)).toEqual(Array.from(b[k].x)));
    expect([...c[0].indices].sort()).toEqual([0, 1, 2, 3, 4, 5, 6]);
    const d = await collect(ds, { batchSize: 7, shuffle: true, seed: 5, device: "cpu" });
    expect(c[0].indices).not.toEqual(d[0].indices);
    expect(d[0].indices.slice(0, 6)).toEqual(a.flatMap((x) => x.indices));
    expect(c[0].labels).toEqual(c[0].indices.map((i) => twin.labels[KEPT_ROWS[i]]));
    await ds.close();
  });

  it("gives a spike index built from the frames that equals the dense batch's, and feeds a first Linear layer with it", async () => {
    const ds = await openDataset({ name: "shd", root: shdRoot(), split: "train", onWarning: () => {} });
    const rng = new Rng(3);
    const w = Tensor.from(rng.fillUniform(new Float32Array(16 * 100), -1, 1), [16, 100]);
    let seen = 0;
    for await (const b of ds.batches({ batchSize: 3, shuffle: true, seed: 2, device: "cpu", spikeIndex: true })) {
      const ix = b.index!;
      expect(ix).toBeDefined();
      const rows = b.x.size / 100;
      const mine = new SpikeIndex();
      expect(ix.density).toBe(mine.build(b.x.reshape([rows, 100]), rows, 100));
      expect(ix.density).toBeGreaterThan(0);
      expect(Array.from(ix.linear(w).toArray())).toEqual(Array.from(mine.linear(w).toArray()));
      // The layer given the batch as an activation (x with its index) computes what it computes from x itself.
      const [a, c] = [new Linear(100, 16, { seed: 4 }), new Linear(100, 16, { seed: 4 })];
      const ya = a.forwardActivation(b).x, yc = c.forward(b.x);
      expect(Array.from(ya.toArray())).toEqual(Array.from(yc.toArray()));
      const g = Tensor.from(rng.fillUniform(new Float32Array(ya.size), -1, 1), ya.shape);
      a.backward(g);
      c.backward(g);
      expect(Array.from(a.weight.grad.toArray())).toEqual(Array.from(c.weight.grad.toArray()));
      seen++;
    }
    expect(seen).toBe(3);
    for await (const b of ds.batches({ batchSize: 3, device: "cpu" })) expect(b.index).toBeUndefined();
    await ds.close();
  });

  it("builds no index from frames whose indices do not ascend, and drops entries past T·F", () => {
    const f = (index: number[], count: number[]) => ({ index: Uint32Array.from(index), count: Uint32Array.from(count) });
    expect(SpikeIndex.fromFrames(2, 1, 4, [f([3, 1], [1, 1])])).toBeUndefined();
    const ix = SpikeIndex.fromFrames(2, 2, 4, [f([1, 5, 9], [2, 1, 7]), f([0, 3, 4], [1, 3, 1])])!;
    expect(ix.nnz).toBe(5); // index 9 lies past T·F = 8
    const w = Tensor.from(Float32Array.from({ length: 4 }, (_, i) => 10 ** i), [1, 4]);
    // rows (t, b): (0,0) = {1: 2}, (0,1) = {0: 1, 3: 3}, (1,0) = {1: 1}, (1,1) = {0: 1}
    expect(Array.from(ix.linear(w).toArray())).toEqual([20, 3001, 10, 1]);
  });

  it("disposes a batch when the loop moves on, unless retained", async () => {
    const ds = await openDataset({ name: "shd", root: shdRoot(), split: "train", onWarning: () => {} });
    const seen: Batch[] = [];
    for await (const b of ds.batches({ batchSize: 4, device: "cpu" })) seen.push(b);
    expect(seen.map((b) => b.x.disposed)).toEqual([true, true]);
    const kept: Batch[] = [];
    for await (const b of ds.batches({ batchSize: 4, device: "cpu", retain: true })) kept.push(b);
    expect(kept.map((b) => b.x.disposed)).toEqual([false, false]);
    kept.forEach((b) => b.x.dispose());
    await ds.close();
  });

  it("rejects bad options with clear messages", async () => {
    const root = shdRoot();
    await expect(openDataset({ name: "mnist", root, split: "train" })).rejects.toThrow(/data set: expected one of shd, ssc, dvs-gesture, cifar10-dvs, nmnist, events, synthetic, received "mnist"/);
    await expect(openDataset({ name: "shd", root, split: "dev" })).rejects.toThrow(/shd: expected split "train" or "valid" or "test" or "trainval", received "dev"/);
    await expect(openDataset({ name: "shd", root, split: "test" })).rejects.toThrow(/shd_test.h5: expected the HDF5 file of this split, received no such file/);
    const ds = await openDataset({ name: "shd", root, split: "train", onWarning: () => {} });
    await expect(ds.sample(7)).rejects.toThrow(/expected an index in \[0, 7\), received 7/);
    await expect(collect(ds, { batchSize: 0, device: "cpu" })).rejects.toThrow(/batchSize: expected an integer >= 1/);
    await ds.close();
  });
});

describe("cache", () => {
  const quiet = { onWarning: () => {} };
  async function open(root: string, extra: object = {}) {
    let built = 0;
    const ds = await openDataset({ name: "shd", root, split: "train", ...quiet, onProgress: (d) => (built = d), ...extra });
    const first = (await ds.sample(0)).x;
    await ds.close();
    return { built, path: ds.cachePath, first };
  }

  it("is built once, then hit", async () => {
    const root = shdRoot();
    const a = await open(root);
    const b = await open(root);
    expect(a.built).toBe(8);
    expect(b.built).toBe(0);
    expect(b.path).toBe(a.path);
  });

  it("is rebuilt when a transform parameter or the source file changes", async () => {
    const root = shdRoot();
    const a = await open(root);
    const c = await open(root, { transform: { downsample: { spatial: 1 / 7 }, frame: { mode: "fixed", binUs: 8000, steps: 125 } } });
    expect(c.built).toBe(8);
    expect(c.path).not.toBe(a.path);
    const later = new Date(statSync(join(root, "shd_train.h5")).mtimeMs + 5000);
    utimesSync(join(root, "shd_train.h5"), later, later);
    const d = await open(root);
    expect(d.built).toBe(8);
    expect(Array.from(d.first)).toEqual(Array.from(a.first));
  });

  it.each([
    ["a flipped header byte", (p: string) => flip(p, 20)],
    ["a flipped index byte", (p: string) => flip(p, statSync(p).size - 200 > 600 ? 600 : 100)],
    ["truncation", (p: string) => truncateSync(p, statSync(p).size - 10)],
    ["appended bytes", (p: string) => writeFileSync(p, Buffer.alloc(8, 1), { flag: "a" })],
    ["garbage", (p: string) => writeFileSync(p, "not a cache")],
  ])("is rebuilt after %s", async (_, damage) => {
    const root = shdRoot();
    const a = await open(root);
    damage(a.path);
    const warnings: string[] = [];
    const b = await open(root, { onWarning: (m: string) => warnings.push(m) });
    expect(b.built).toBe(8);
    expect(warnings.join()).toMatch(/rebuilding the cache \((bad magic|truncated|header\/index CRC mismatch|size \d+ bytes, expected \d+)/);
    expect(Array.from(b.first)).toEqual(Array.from(a.first));
  });

  it("detects a corrupt sample on read, removes the cache, and the next open rebuilds it", async () => {
    const root = shdRoot();
    const a = await open(root);
    flip(a.path, statSync(a.path).size - 3); // in the last sample's data
    const ds = await openDataset({ name: "shd", root, split: "train", ...quiet });
    await expect(ds.sample(6)).rejects.toThrow(/CRC mismatch \(corrupt cache\); the file was removed/);
    expect(existsSync(a.path)).toBe(false);
    const b = await open(root);
    expect(b.built).toBe(8);
  });

  it.each([0, 1])("detects a corrupt sample while batching (workers: %i)", async (workers) => {
    const root = shdRoot();
    const a = await open(root);
    flip(a.path, statSync(a.path).size - 3);
    const ds = await openDataset({ name: "shd", root, split: "train", ...quiet });
    await expect(collect(ds, { batchSize: 7, device: "cpu", workers })).rejects.toThrow(/sample 7: cache data CRC mismatch/);
    await ds.close();
  });
});

function flip(path: string, at: number): void {
  const buf = readFileSync(path);
  buf[at] ^= 0x5a;
  writeFileSync(path, buf);
}

describe("DVS Gesture", () => {
  it("tonic npy variant: [300, 2, 64, 64], first 1.5 s, 5 ms bins, x/2", async () => {
    const root = tmp();
    cpSync(join(FIXTURES, "gesture_npy"), root, { recursive: true });
    const ds = await openDataset({ name: "dvs-gesture", root, split: "train", cacheDir: join(root, "cache") });
    expect(ds.size).toBe(6);
    expect(ds.sampleShape).toEqual([300, 2, 64, 64]);
    expect(Array.from(ds.labels)).toEqual([0, 4, 10, 0, 4, 10]);
    const ev = readGestureNpy(join(root, "ibmGestureTrain", "user01_fluorescent", "10.npy"));
    const want = new Float32Array(300 * 2 * 64 * 64);
    let dropped = 0;
    for (let i = 0; i < ev.t.length; i++) {
      if (ev.t[i] >= 1_500_000) {
        dropped++;
        continue;
      }
      want[Math.floor(ev.t[i] / 5000) * 8192 + ev.p[i] * 4096 + (ev.y[i] >> 1) * 64 + (ev.x[i] >> 1)]++;
    }
    expect(dropped).toBeGreaterThan(0); // the fixture runs to 1.6 s: the crop matters
    const got = await ds.sample(2);
    expect(got.label).toBe(10);
    expect(Array.from(got.x)).toEqual(Array.from(want));
    const [b] = await collect(ds, { batchSize: 6, device: "cpu" });
    expect(b.shape).toEqual([300, 6, 2, 64, 64]);
    await ds.close();
    const test = await openDataset({ name: "dvs-gesture", root, split: "test", cacheDir: join(root, "cache") });
    expect(test.size).toBe(3);
    await test.close();
  });

  it("original AEDAT 3.1 release: one sample per labelled interval", async () => {
    const root = tmp();
    const dir = join(root, "DvsGesture");
    mkdirSync(dir);
    const rng = new Rng(3);
    for (const [name, split] of [["user01_lab", "train"], ["user02_led", "train"], ["user24_lab", "test"]]) {
      writeFileSync(join(dir, `${name}.aedat`), aedat3File([aedat3Packet(randomEvents(rng, 500, 4_000_000))]));
      writeFileSync(join(dir, `${name}_labels.csv`), "class,startTime_usec,endTime_usec\n1,100000,1800000\n7,2000000,3900000\n");
      writeFileSync(join(dir, `trials_to_${split}.txt`), `${name}.aedat\n`, { flag: "a" });
    }
    const ds = await openDataset({ name: "dvs-gesture", root, split: "train" });
    expect(ds.size).toBe(4);
    expect(Array.from(ds.labels)).toEqual([0, 6, 0, 6]);
    const s = await ds.sample(1);
    expect(s.x.reduce((a, b) => a + b, 0)).toBeGreaterThan(50);
    await ds.close();
    writeFileSync(join(dir, "trials_to_test.txt"), "user24_lab.aedat\nuser99_lab.aedat\n");
    await expect(openDataset({ name: "dvs-gesture", root, split: "test" })).rejects.toThrow(/user99_lab.aedat: expected a recording named in the trial list, received no such file/);
  });
});

describe("CIFAR10-DVS", () => {
  function makeRoot(zipped: boolean): string {
    const root = tmp();
    const rng = new Rng(9);
    for (const cls of CIFAR10_CLASSES) {
      const files = [0, 100, 101].map((i) => ({ name: `${cls}/cifar10_${cls}_${i}.aedat`, data: aedat2File(randomEvents(rng, 200, 1_200_000), 5_000_000 + i) }));
      if (zipped) writeFileSync(join(root, `${cls}.zip`), zipFile(files));
      else {
        mkdirSync(join(root, cls));
        for (const f of files) writeFileSync(join(root, f.name), f.data);
      }
    }
    return root;
  }

  it("bins into 8 tonic n_time_bins frames [8, 2, 128, 128]; folders and class zips agree", async () => {
    const a = await openDataset({ name: "cifar10-dvs", root: makeRoot(false), split: "train" });
    const z = await openDataset({ name: "cifar10-dvs", root: makeRoot(true), split: "train" });
    expect(a.size).toBe(20);
    expect(a.sampleShape).toEqual([8, 2, 128, 128]);
    expect(Array.from(a.labels)).toEqual(CIFAR10_CLASSES.flatMap((_, k) => [k, k]));
    const s = await a.sample(3);
    // n_time_bins drops every event at t >= t0 + 8·floor(dur/8); at least the last one
    const total = s.x.reduce((p, q) => p + q, 0);
    expect(total).toBeLessThan(200);
    expect(total).toBeGreaterThan(190);
    const ba = await collect(a, { batchSize: 8, shuffle: true, seed: 1, device: "cpu" });
    const bz = await collect(z, { batchSize: 8, shuffle: true, seed: 1, device: "cpu" });
    expect(ba.map((b) => b.shape)).toEqual([[8, 8, 2, 128, 128], [8, 8, 2, 128, 128], [8, 4, 2, 128, 128]]);
    ba.forEach((b, k) => expect(Buffer.from(b.x.buffer).equals(Buffer.from(bz[k].x.buffer))).toBe(true));
    await a.close();
    await z.close();
    const t = await openDataset({ name: "cifar10-dvs", root: makeRoot(true), split: "test" });
    expect(t.size).toBe(10);
    await t.close();
  });

  it("names a missing class", async () => {
    await expect(openDataset({ name: "cifar10-dvs", root: tmp(), split: "train" })).rejects.toThrow(/expected the class folder airplane\/ or airplane.zip/);
  });
});
