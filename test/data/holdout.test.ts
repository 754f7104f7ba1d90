// Validation splits held out of the official training sets (lib/data/holdout.ts): exact,
// stratified, seeded and disjoint; "trainval" is the whole file set. SHD through an HDF5 file written here with h5py (skipped without it), DVS Gesture
// through tonic's npy layout, CIFAR10-DVS through class folders of AEDAT 2 files.
import { spawnSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { CIFAR10_CLASSES } from "../../lib/data/aedat2.js";
import { GESTURE_VALID_USERS, stratifiedHoldout } from "../../lib/data/holdout.js";
import { openDataset, type Dataset } from "../../lib/data/loader.js";
import { Rng } from "../../lib/random.js";
import { aedat2File, npyFile, randomEvents, tmp } from "./helpers.js";

const PY = "/usr/bin/python3";
const hasH5py = spawnSync(PY, ["-c", "import h5py, numpy"]).status === 0;

/** Every sample's label and first event, to compare splits as sets of samples. */
async function fingerprints(ds: Dataset): Promise<string[]> {
  const out: string[] = [];
  for (let i = 0; i < ds.size; i++) {
    const s = await ds.sample(i);
    let sum = 0;
    for (let k = 0; k < s.x.length; k++) sum += s.x[k] * ((k % 9973) + 1);
    out.push(`${s.label}:${sum}`);
  }
  return out;
}

async function splits(name: string, root: string) {
  const cacheDir = join(root, "cache");
  const open = (split: string) => openDataset({ name, root, split, cacheDir, onWarning: () => {} });
  const [train, valid, all] = [await open("train"), await open("valid"), await open("trainval")];
  const r = { train: await fingerprints(train), valid: await fingerprints(valid), all: await fingerprints(all), labels: { train: [...train.labels], valid: [...valid.labels] } };
  for (const d of [train, valid, all]) await d.close();
  return r;
}

function expectPartition(r: Awaited<ReturnType<typeof splits>>) {
  expect(r.valid.length).toBeGreaterThan(0);
  expect(r.train.length + r.valid.length).toBe(r.all.length);
  expect([...r.train, ...r.valid].sort()).toEqual([...r.all].sort());
  const v = new Set(r.valid);
  expect(r.train.filter((x) => v.has(x))).toEqual([]);
}

describe("held-out validation splits", () => {
  it("stratified: round(10 %) of every class, seeded, independent of other classes", () => {
    const rng = new Rng(4);
    const labels = Int32Array.from({ length: 937 }, () => rng.int(7));
    const held = stratifiedHoldout(labels);
    for (let c = 0; c < 7; c++) {
      const n = labels.filter((l) => l === c).length;
      expect(held.filter((h, i) => h === 1 && labels[i] === c).length).toBe(Math.round(0.1 * n));
    }
    expect(stratifiedHoldout(labels)).toEqual(held); // seeded
    expect(stratifiedHoldout(labels, 0.1, 1)).not.toEqual(held);
    // dropping another class's samples does not move this class's choice
    const only0 = Int32Array.from(labels.filter((l) => l === 0));
    const heldOnly0 = stratifiedHoldout(only0);
    expect([...heldOnly0]).toEqual([...held].filter((_, i) => labels[i] === 0));
  });

  it.skipIf(!hasH5py)("SHD: 10 % of each class's training samples, disjoint from train, and train + valid = trainval", async () => {
    const root = tmp();
    const script = `
import h5py, numpy as np, sys
rng = np.random.default_rng(3)
n = 120
with h5py.File(sys.argv[1], "w") as f:
    f["labels"] = np.arange(n, dtype=np.uint16) % 20
    t = f.create_dataset("spikes/times", (n,), dtype=h5py.vlen_dtype(np.float16))
    u = f.create_dataset("spikes/units", (n,), dtype=h5py.vlen_dtype(np.uint16))
    for i in range(n):
        k = 5 + i % 17
        t[i] = np.sort(rng.uniform(0, 0.9, k)).astype(np.float16)
        u[i] = rng.integers(0, 700, k).astype(np.uint16)
`;
    const r0 = spawnSync(PY, ["-c", script, join(root, "shd_train.h5")], { encoding: "utf8" });
    expect(r0.status, r0.stderr).toBe(0);
    const r = await splits("shd", root);
    expectPartition(r);
    expect(r.valid.length).toBe(20); // 6 per class → round(0.6) = 1 of each of 20 classes
    expect([...r.labels.valid].sort((a, b) => a - b)).toEqual(Array.from({ length: 20 }, (_, i) => i));
  });

  it("DVS Gesture (tonic's npy): the recordings of users 21–23 are valid", async () => {
    const root = tmp();
    const rng = new Rng(8);
    const users = ["user01_fluorescent", "user05_led", "user21_natural", "user22_lab", "user23_fluorescent_led"];
    for (const u of users) {
      const dir = join(root, "ibmGestureTrain", u);
      mkdirSync(dir, { recursive: true });
      for (const c of [0, 3, 10])
        writeFileSync(join(dir, `${c}.npy`), npyFile(randomEvents(rng, 200, 1_400_000, 128).map((e) => [e.x, e.y, e.p, e.t / 1000])));
    }
    expect(GESTURE_VALID_USERS).toEqual([21, 22, 23]);
    const r = await splits("dvs-gesture", root);
    expectPartition(r);
    expect(r.valid.length).toBe(9);
    expect(r.train.length).toBe(6);
  });

  it("CIFAR10-DVS: 10 % of each class's training recordings", async () => {
    const root = tmp();
    const rng = new Rng(9);
    for (const cls of CIFAR10_CLASSES) {
      mkdirSync(join(root, cls));
      for (let i = 100; i < 120; i++) writeFileSync(join(root, cls, `cifar10_${cls}_${i}.aedat`), aedat2File(randomEvents(rng, 50, 100_000, 128)));
    }
    const r = await splits("cifar10-dvs", root);
    expectPartition(r);
    expect(r.valid.length).toBe(20); // 2 of the 20 per class
    for (let c = 0; c < 10; c++) expect(r.labels.valid.filter((l) => l === c)).toHaveLength(2);
  });
});
