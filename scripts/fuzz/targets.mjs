// What each fuzzed format is read by: the library's public entry points, as a user reaches them
// (openDataset builds the cache, so readers, sanity checks and the cache writer all run).
// A target gets the mutant laid out in a fresh folder and returns normally or throws.
import { copyFileSync, cpSync, mkdirSync, readdirSync, writeFileSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { ROOT } from "./seeds.mjs";

const dist = (p) => import(join(ROOT, "dist", "lib", p));

/** Reads every sample of an opened data set (the CRC and scatter paths), then closes it. */
async function drain(ds) {
  try {
    for (let i = 0; i < ds.size; i++) await ds.sample(i);
  } finally {
    await ds.close();
  }
}

export const TARGETS = {
  /** SHD-format .h5 as the train split of a data set. */
  async h5(file, dir, warn) {
    const { openDataset } = await dist("data/loader.js");
    const root = join(dir, "root");
    mkdirSync(root);
    copyFileSync(file, join(root, "shd_train.h5"));
    await drain(await openDataset({ name: "shd", root, split: "train", cacheDir: join(dir, "cache"), onWarning: warn }));
  },
  async aedat2(file, _dir, warn) {
    const { readAedat2 } = await dist("data/aedat2.js");
    const { checkInSensor } = await dist("data/events.js");
    const { DVS128_SENSOR } = await dist("data/aedat3.js");
    checkInSensor(readAedat2(file, undefined, warn), DVS128_SENSOR, file);
  },
  /** A DvsGesture folder (recording, labels, trial list), one of whose files is the mutant. */
  async aedat3(file, dir, warn, seedDir) {
    const { openDataset } = await dist("data/loader.js");
    const root = join(dir, "DvsGesture");
    cpSync(seedDir, root, { recursive: true });
    copyFileSync(file, join(root, basename(file).replace(/^m-/, "")));
    await drain(await openDataset({ name: "dvs-gesture", root, split: "train", cacheDir: join(dir, "cache"), onWarning: warn }));
  },
  async npy(file, _dir, warn) {
    const { readGestureNpy } = await dist("data/npy.js");
    readGestureNpy(file, warn);
  },
  /** A CIFAR10-DVS class archive: the directory, then every entry read and decoded. */
  async zip(file, _dir, warn) {
    const { listZip, readZipEntry } = await dist("data/zip.js");
    const { readAedat2 } = await dist("data/aedat2.js");
    for (const e of listZip(file)) if (e.name.endsWith(".aedat")) readAedat2(`${file}: ${e.name}`, readZipEntry(file, e), warn);
  },
  /** A cache file in place of a valid one: opened (validated or rebuilt) and read sample by sample. */
  async cache(file, dir, warn, seedDir) {
    const { openDataset } = await dist("data/loader.js");
    const cacheDir = join(dir, "cache");
    mkdirSync(cacheDir);
    const name = readdirSync(join(seedDir, "cache")).find((f) => f.endsWith(".exocache"));
    copyFileSync(file, join(cacheDir, name));
    await drain(await openDataset({ name: "shd", root: join(seedDir, "root"), split: "train", cacheDir, onWarning: warn }));
  },
  /** A run folder whose checkpoint has one mutated file, loaded through the public loader. */
  async checkpoint(file, dir, _warn, seedDir) {
    const { loadCheckpoint } = await dist("train/checkpoint.js");
    const run = join(dir, "run");
    cpSync(seedDir, run, { recursive: true });
    copyFileSync(file, join(run, basename(file).replace(/^m-/, "")));
    loadCheckpoint(run);
  },
  /** A config: loaded and validated, its model's memory estimated (loadConfig does that before any allocation). */
  async yaml(file) {
    const { loadConfig } = await dist("train/config.js");
    loadConfig(file, { device: "cpu" });
  },
};

/** Builds the seeds that come from the library's own writers (cache, checkpoint). */
export async function libSeeds(dir, seeds) {
  const { openDataset } = await dist("data/loader.js");
  const cacheSeed = join(dir, "cacheseed");
  mkdirSync(join(cacheSeed, "root"), { recursive: true });
  copyFileSync(seeds.h5[0], join(cacheSeed, "root", "shd_train.h5"));
  const ds = await openDataset({ name: "shd", root: join(cacheSeed, "root"), split: "train", cacheDir: join(cacheSeed, "cache"), onWarning: () => {} });
  await ds.close();
  const cacheFile = join(cacheSeed, "cache", readdirSync(join(cacheSeed, "cache")).find((f) => f.endsWith(".exocache")));

  // A real run folder: one short epoch of `train` on the fixture, in whatever format checkpoints have.
  copyFileSync(seeds.h5[0], join(cacheSeed, "root", "shd_test.h5"));
  const { validateConfig } = await dist("train/config.js");
  const { train } = await dist("train/trainer.js");
  const { Progress } = await dist("train/progress.js");
  const ck = join(dir, "ckseed");
  const config = validateConfig({ dataset: { name: "shd", root: join(cacheSeed, "root") }, model: { hidden: [8] }, train: { epochs: 1, batchSize: 4, limitBatches: 2, seed: 5, evalSplit: "test" }, output: ck, device: "cpu" });
  const write = process.stderr.write;
  process.stderr.write = () => true; // the fixture's empty sample is reported; not news here
  try {
    await train({ config, progress: new Progress(process.stderr, true) });
  } finally {
    process.stderr.write = write;
  }
  // The files the run folder's last checkpoint is loaded from (not the best-accuracy copy).
  const ckFiles = readdirSync(ck).filter((f) => f.startsWith("checkpoint") && !f.includes("best"));
  return {
    cache: { files: [cacheFile], dir: cacheSeed },
    checkpoint: { files: ckFiles.map((f) => join(ck, f)), dir: ck },
  };
}

export { writeFileSync, dirname };
