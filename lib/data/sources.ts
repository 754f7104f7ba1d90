// Where each data set's samples come from on disk: one SampleSource per (data set, split), which
// lists its files (their identity keys the cache) and streams (label, events) in a fixed order.
import { existsSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { ExodusError, MissingDataError } from "../errors.js";
import { CIFAR10_CLASSES, readAedat2 } from "./aedat2.js";
import { DVS128_SENSOR, gestureSamples, labelsPathOf, readGestureLabels, readTrialList } from "./aedat3.js";
import type { Events, SensorSize } from "./events.js";
import { AUDIO_SENSOR, AudioH5File } from "./h5.js";
import { readGestureNpy } from "./npy.js";
import { listZip, readZipEntry } from "./zip.js";
import { FRACTION_RULE, GESTURE_VALID_USERS, type TrainPart, gestureUser, inPart, partKey, stratifiedHoldout } from "./holdout.js";

export interface SourceSample {
  label: number;
  events: Events;
  /** Names the sample in messages: file, and row or interval. */
  id: string;
}

export interface SampleSource {
  sensor: SensorSize;
  /** Number of samples the source holds (before any skip). */
  count: number;
  /** Files whose identity (path, size, mtime) keys the cache. */
  files: string[];
  samples(): AsyncIterable<SourceSample>;
  /** Which part of the files this is, when not all of them (a held-out split, holdout.ts); keys the cache. */
  selection?: string;
}


function need(path: string, what: string): string {
  if (!existsSync(path)) throw new MissingDataError(`${path}: expected ${what}, received no such file (run \`exodus data download\` or pass the right root)`);
  return path;
}

// ---- SHD / SSC -----------------------------------------------------------------------------------
const CHUNK_ROWS = 256;

/** An SHD/SSC file; with `part`, the rows of that part of it (holdout.ts). */
export async function audioSource(path: string, part?: TrainPart): Promise<SampleSource> {
  need(path, "the HDF5 file of this split");
  const probe = await AudioH5File.open(path);
  const held = part && part !== "trainval" ? stratifiedHoldout(probe.labels) : undefined;
  const keep = (r: number) => !held || inPart(part!, held[r] === 1);
  let count = 0;
  for (let r = 0; r < probe.count; r++) if (keep(r)) count++;
  probe.close();
  return {
    sensor: AUDIO_SENSOR,
    count,
    files: [path],
    ...(part ? { selection: partKey(part, FRACTION_RULE) } : {}),
    async *samples() {
      const f = await AudioH5File.open(path);
      try {
        for (let r = 0; r < f.count; r += CHUNK_ROWS) {
          const n = Math.min(CHUNK_ROWS, f.count - r);
          const rows = f.readRows(r, n);
          for (let i = 0; i < n; i++) if (keep(r + i)) yield { label: f.labels[r + i], events: rows[i], id: `${path} row ${r + i}` };
        }
      } finally {
        f.close();
      }
    },
  };
}

// ---- DVS Gesture, original AEDAT 3.1 ---------------------------------------------------------------
/** The folder holding trials_to_train.txt: root itself or root/DvsGesture (the tarball's layout). */
export function gestureOriginalDir(root: string): string | undefined {
  for (const d of [root, join(root, "DvsGesture")]) if (existsSync(join(d, "trials_to_train.txt"))) return d;
  return undefined;
}

const USERS_RULE = `users ${GESTURE_VALID_USERS.join(", ")} held out`;
const userPart = (part: TrainPart | undefined, path: string) => !part || inPart(part, GESTURE_VALID_USERS.includes(gestureUser(path) ?? -1));

/** `part`: of the training recordings, the held-out users' (valid), the others (train) or all (trainval). */
export function gestureAedatSource(dir: string, split: "train" | "test", part?: TrainPart): SampleSource {
  const recordings = readTrialList(dir, split).filter((r) => userPart(part, r));
  if (recordings.length === 0) throw new ExodusError(`${join(dir, `trials_to_${split}.txt`)}: expected .aedat file names, received none`);
  let count = 0;
  for (const r of recordings) {
    need(r, "a recording named in the trial list");
    count += readGestureLabels(labelsPathOf(r)).length;
  }
  return {
    sensor: DVS128_SENSOR,
    count,
    files: recordings.flatMap((r) => [r, labelsPathOf(r)]),
    ...(part ? { selection: partKey(part, USERS_RULE) } : {}),
    async *samples() {
      for (const r of recordings) {
        const samples = gestureSamples(r);
        for (const [k, s] of samples.entries()) yield { label: s.label, events: s.events, id: `${r} interval ${k} (start ${s.start} µs)` };
      }
    },
  };
}

// ---- DVS Gesture, tonic's npy ----------------------------------------------------------------------
export function gestureNpyDir(root: string, split: "train" | "test"): string | undefined {
  const name = split === "train" ? "ibmGestureTrain" : "ibmGestureTest";
  for (const d of [join(root, name), join(root, "DVSGesture", name)]) if (existsSync(d)) return d;
  return undefined;
}

export function gestureNpySource(dir: string, part?: TrainPart): SampleSource {
  const files: { path: string; label: number }[] = [];
  for (const user of readdirSync(dir).sort()) {
    const ud = join(dir, user);
    if (!statSync(ud).isDirectory() || !userPart(part, `${user}_`)) continue;
    for (const f of readdirSync(ud).sort((a, b) => parseInt(a) - parseInt(b))) {
      const m = /^(\d+)\.npy$/.exec(f);
      if (!m) continue;
      const label = Number(m[1]);
      if (label > 10) throw new ExodusError(`${join(ud, f)}: expected a class file 0.npy..10.npy, received class ${label}`);
      files.push({ path: join(ud, f), label });
    }
  }
  if (files.length === 0) throw new MissingDataError(`${dir}: expected userNN_<light>/<class>.npy files, received none`);
  return {
    sensor: DVS128_SENSOR,
    count: files.length,
    files: files.map((f) => f.path),
    ...(part ? { selection: partKey(part, USERS_RULE) } : {}),
    async *samples() {
      for (const f of files) yield { label: f.label, events: readGestureNpy(f.path), id: f.path };
    },
  };
}

// ---- CIFAR10-DVS -----------------------------------------------------------------------------------
/** Common split: file indices 0–99 of each class test, 100–999 train. */
export function cifarSplitOf(index: number): "train" | "test" {
  return index < 100 ? "test" : "train";
}

export function cifarSource(root: string, split: "train" | "test", part?: TrainPart): SampleSource {
  type Item = { label: number; file: string; entry?: ReturnType<typeof listZip>[number] };
  const items: Item[] = [];
  const files: string[] = [];
  const pattern = /cifar10_([a-z]+)_(\d+)\.aedat$/;
  for (const [label, cls] of CIFAR10_CLASSES.entries()) {
    const dir = join(root, cls);
    const zip = join(root, `${cls}.zip`);
    const picked: { idx: number; item: Item }[] = [];
    if (existsSync(dir) && statSync(dir).isDirectory()) {
      for (const f of readdirSync(dir)) {
        const m = pattern.exec(f);
        if (m && cifarSplitOf(Number(m[2])) === split) picked.push({ idx: Number(m[2]), item: { label, file: join(dir, f) } });
      }
      files.push(...picked.map((p) => p.item.file));
    } else if (existsSync(zip)) {
      for (const entry of listZip(zip)) {
        const m = pattern.exec(entry.name);
        if (m && cifarSplitOf(Number(m[2])) === split) picked.push({ idx: Number(m[2]), item: { label, file: zip, entry } });
      }
      files.push(zip);
    } else throw new MissingDataError(`${root}: expected the class folder ${cls}/ or ${cls}.zip of CIFAR10-DVS, received neither`);
    if (picked.length === 0) throw new ExodusError(`${existsSync(dir) ? dir : zip}: expected cifar10_${cls}_<n>.aedat files for the ${split} split, received none`);
    picked.sort((a, b) => a.idx - b.idx);
    items.push(...picked.map((p) => p.item));
  }
  const held = part && part !== "trainval" ? stratifiedHoldout(items.map((it) => it.label)) : undefined;
  if (held) items.splice(0, items.length, ...items.filter((_, i) => inPart(part!, held[i] === 1)));
  return {
    sensor: DVS128_SENSOR,
    count: items.length,
    files,
    ...(part ? { selection: partKey(part, FRACTION_RULE) } : {}),
    async *samples() {
      for (const it of items) {
        if (it.entry) {
          const id = `${it.file}: ${it.entry.name}`;
          yield { label: it.label, events: readAedat2(id, readZipEntry(it.file, it.entry)), id };
        } else yield { label: it.label, events: readAedat2(it.file), id: it.file };
      }
    },
  };
}

