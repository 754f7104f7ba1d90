// `exodus data inspect <folder>`: a whole data-set folder (an SHD or SSC folder, the DVS Gesture
// root in either layout, the CIFAR10-DVS root) or the built-in `synthetic`: which data set and
// format was found, samples per split, the class histogram by name, event statistics, and a
// picture of one sample titled with its class. Reads through the same sources as training.
import { existsSync, statSync } from "node:fs";
import { join } from "node:path";
import { ExodusError } from "../errors.js";
import type { Events } from "./events.js";
import { type Stats, renderSample, stats } from "./inspect.js";
import { DATASETS, type DatasetInfo } from "./registry.js";
import { gestureNpyDir, gestureOriginalDir } from "./sources.js";

export interface SplitReport {
  samples: number;
  emptySamples: number;
  /** Samples per class name, every class listed (0 where absent). */
  classCounts: Record<string, number>;
}

export interface FolderReport {
  path: string;
  dataset: string;
  title: string;
  format: string;
  splits: Record<string, SplitReport | { missing: string }>;
  events: Stats;
  durationS: Stats;
  eventRate: Stats;
  picture?: { split: string; sample: number; class: string };
}

/** The data set a folder holds, and in which layout; undefined when none is recognised. */
export function detectDataset(root: string): { info: DatasetInfo; format: string } | undefined {
  if (root === "synthetic" && !existsSync(root)) return { info: DATASETS.synthetic, format: "generated in-process (lib/data/synthetic.ts)" };
  const has = (f: string) => existsSync(join(root, f));
  if (has("shd_train.h5") || has("shd_test.h5")) return { info: DATASETS.shd, format: "HDF5 (SHD: shd_<split>.h5)" };
  if (["train", "valid", "test"].some((s) => has(`ssc_${s}.h5`))) return { info: DATASETS.ssc, format: "HDF5 (SSC: ssc_<split>.h5)" };
  if (gestureOriginalDir(root)) return { info: DATASETS["dvs-gesture"], format: "AEDAT 3.1 + labels CSV (IBM's original DvsGesture)" };
  if (gestureNpyDir(root, "train") || gestureNpyDir(root, "test")) return { info: DATASETS["dvs-gesture"], format: "npy per class (tonic's ibmGestureTrain/ibmGestureTest)" };
  if (DATASETS["cifar10-dvs"].classes.some((c) => has(`${c}.zip`) || has(c))) return { info: DATASETS["cifar10-dvs"], format: "AEDAT 2.0 per class (CIFAR10-DVS folders or zips)" };
  return undefined;
}

export interface FolderOptions {
  sample?: number;
  /** Split to draw the sample from (default the first one present). */
  split?: string;
  picture?: "png" | "svg";
}

export async function inspectFolder(root: string, opts: FolderOptions = {}): Promise<{ report: FolderReport; picture?: Buffer }> {
  const found = detectDataset(root);
  if (!found) {
    if (!existsSync(root)) throw new ExodusError(`${root}: expected a data file, a data-set folder or "synthetic", received no such file or folder`);
    if (!statSync(root).isDirectory()) throw new ExodusError(`${root}: expected a data-set folder, received a file`);
    throw new ExodusError(
      `${root}: expected a data-set folder (shd_train.h5/shd_test.h5, ssc_<split>.h5, DvsGesture/ or ibmGestureTrain/, CIFAR10-DVS class folders or zips), received none of those`,
    );
  }
  const { info, format } = found;
  if (opts.split !== undefined && !info.splits.includes(opts.split))
    throw new ExodusError(`--split: expected one of ${info.splits.join(", ")} (${info.name}), received ${JSON.stringify(opts.split)}`);
  const splits: FolderReport["splits"] = {};
  const ev: number[] = [];
  const dur: number[] = [];
  const rate: number[] = [];
  const want = opts.sample ?? 0;
  let drawn: { events: Events; label: number; split: string } | undefined;
  let sensor: Parameters<typeof renderSample>[1] | undefined;
  // trainval is train + valid again: counting it would count every training sample twice.
  for (const split of info.splits.filter((x) => x !== "trainval")) {
    let source;
    try {
      source = await info.source(root, split);
    } catch (e) {
      splits[split] = { missing: (e as Error).message };
      continue;
    }
    sensor ??= source.sensor;
    const counts: Record<string, number> = Object.fromEntries(info.classes.map((c) => [c, 0]));
    let n = 0;
    let empty = 0;
    const drawHere = opts.picture && !drawn && (opts.split ?? split) === split;
    for await (const s of source.samples()) {
      if (drawHere && n === want) drawn = { events: s.events, label: s.label, split };
      n++;
      counts[info.classes[s.label] ?? String(s.label)] = (counts[info.classes[s.label] ?? String(s.label)] ?? 0) + 1;
      const k = s.events.t.length;
      ev.push(k);
      if (k === 0) {
        empty++;
        continue;
      }
      const seconds = s.events.t[k - 1] / 1e6;
      dur.push(seconds);
      if (seconds > 0) rate.push(k / seconds);
    }
    if (drawHere && !drawn) throw new ExodusError(`inspect --sample: expected an index in [0, ${n}) of the ${split} split, received ${want}`);
    splits[split] = { samples: n, emptySamples: empty, classCounts: counts };
  }
  if (Object.values(splits).every((s) => "missing" in s))
    throw new ExodusError(`${root}: looks like ${info.title} (${format}), but no split could be read: ${Object.values(splits).map((s) => (s as { missing: string }).missing).join("; ")}`);
  const report: FolderReport = { path: root, dataset: info.name, title: info.title, format, splits, events: stats(ev), durationS: stats(dur), eventRate: stats(rate) };
  if (!opts.picture || !drawn || !sensor) return { report };
  const cls = info.classes[drawn.label] ?? String(drawn.label);
  report.picture = { split: drawn.split, sample: want, class: cls };
  return { report, picture: renderSample(drawn.events, sensor, opts.picture, `${info.name} ${drawn.split} sample ${want}, class ${drawn.label} (${cls})`) };
}
