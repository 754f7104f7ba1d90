// A data set of your own: a folder of event files and a label table, described by
// <root>/dataset.yaml (the data set's config):
//
//   title: hand signs               # optional
//   sensor: {width: 64, height: 48, polarities: 2}
//   classes: [fist, palm, point]    # optional: else the table's labels, sorted
//   labels: labels.csv              # default; columns file,label,split (split: train, valid or test)
//   columns: [x, y, p, t]           # column order of .npy event files (default x, y, p, t)
//   timeUnit: us                    # us, ms or s: the unit of t in the event files
//
// Event files are .npy arrays (N, 4), or .csv files with a header naming x, y, p, t. Labels are
// class names (or indices into `classes`). Rows without a split, or with split train, are
// training data; without any valid row, valid is 10 % of each class of train, seeded (holdout.ts).
import { existsSync, readFileSync } from "node:fs";
import { isAbsolute, join, normalize, relative } from "node:path";
import { parse } from "yaml";
import { ExodusError, MissingDataError, describe } from "../errors.js";
import { allocEvents, checkInSensor, sortByTime, type Events, type SensorSize } from "./events.js";
import { FRACTION_RULE, type TrainPart, inPart, partKey, stratifiedHoldout } from "./holdout.js";
import { readNpy } from "./npy.js";
import type { SampleSource } from "./sources.js";

export const DESCRIPTOR = "dataset.yaml";
const UNITS = { us: 1, ms: 1e3, s: 1e6 } as const;
const COLS = ["x", "y", "p", "t"] as const;

export interface EventFolder {
  title: string;
  sensor: SensorSize;
  classes: string[];
  labels: string;
  columns: (typeof COLS)[number][];
  timeUnit: keyof typeof UNITS;
  rows: { file: string; label: number; split: "train" | "valid" | "test" }[];
}

function bad(file: string, what: string, expected: string, v: unknown): never {
  throw new ExodusError(`${file}: ${what}: expected ${expected}, received ${describe(v)}`);
}

/** Reads and checks <root>/dataset.yaml and its label table. */
export function readEventFolder(root: string): EventFolder {
  const path = join(root, DESCRIPTOR);
  if (!existsSync(path))
    throw new MissingDataError(`${root}: expected ${DESCRIPTOR} describing the data set (sensor, label table; see docs/data.md "Your own event data"), received no such file`);
  let raw: unknown;
  try {
    raw = parse(readFileSync(path, "utf8"));
  } catch (e) {
    throw new ExodusError(`${path}: invalid YAML: ${(e as Error).message.split("\n")[0]}`);
  }
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) bad(path, "the file", "a mapping with sensor and labels", raw);
  const d = raw as Record<string, unknown>;
  for (const k of Object.keys(d)) if (!["title", "sensor", "classes", "labels", "columns", "timeUnit"].includes(k)) bad(path, k, "no such field (known: title, sensor, classes, labels, columns, timeUnit)", k);
  const s = d.sensor as Record<string, unknown> | undefined;
  if (typeof s !== "object" || s === null) bad(path, "sensor", "{width, height, polarities}", s);
  const dim = (k: string) => {
    const v = s[k];
    if (typeof v !== "number" || !Number.isInteger(v) || v < 1 || v > 65535) bad(path, `sensor.${k}`, "an integer in 1..65535", v);
    return v;
  };
  const sensor = { width: dim("width"), height: dim("height"), polarities: dim("polarities") };
  if (sensor.polarities > 255) bad(path, "sensor.polarities", "at most 255", sensor.polarities);
  const timeUnit = (d.timeUnit ?? "us") as EventFolder["timeUnit"];
  if (!(timeUnit in UNITS)) bad(path, "timeUnit", '"us", "ms" or "s"', d.timeUnit);
  const columns = (d.columns ?? [...COLS]) as EventFolder["columns"];
  if (!Array.isArray(columns) || columns.length !== 4 || COLS.some((c) => !columns.includes(c))) bad(path, "columns", "the four names x, y, p, t in the .npy files' column order", d.columns);
  const labels = d.labels ?? "labels.csv";
  if (typeof labels !== "string") bad(path, "labels", "the label table's file name", labels);
  const table = inside(root, labels, path, "labels");
  if (!existsSync(table)) throw new MissingDataError(`${table}: expected the label table named by ${path} (columns file,label,split), received no such file`);
  const lines = readFileSync(table, "utf8").split(/\r?\n/).filter((l) => l.trim() !== "");
  const head = (lines.shift() ?? "").split(",").map((c) => c.trim());
  const [fi, li, si] = ["file", "label", "split"].map((c) => head.indexOf(c));
  if (fi < 0 || li < 0) bad(table, "header", "columns file and label (and split)", head.join(","));
  const cells = lines.map((l) => l.split(",").map((c) => c.trim()));
  let classes: string[];
  if (d.classes !== undefined) {
    if (!Array.isArray(d.classes) || d.classes.length < 2 || d.classes.some((c) => typeof c !== "string" && typeof c !== "number")) bad(path, "classes", "a list of at least 2 class names", d.classes);
    classes = (d.classes as unknown[]).map(String);
  } else classes = [...new Set(cells.map((c) => c[li]))].sort();
  const rows = cells.map((c, i) => {
    const where = `${table} line ${i + 2}`;
    const file = c[fi];
    if (!file) bad(where, "file", "an event file name", file);
    let label = classes.indexOf(c[li]);
    if (label < 0 && /^\d+$/.test(c[li] ?? "") && Number(c[li]) < classes.length && d.classes !== undefined) label = Number(c[li]);
    if (label < 0) bad(where, "label", `one of ${classes.join(", ")}`, c[li]);
    const split = si < 0 || !c[si] ? "train" : c[si];
    if (split !== "train" && split !== "valid" && split !== "test") bad(where, "split", '"train", "valid" or "test" (or empty: train)', split);
    return { file: inside(root, file, where, "file"), label, split: split as "train" | "valid" | "test" };
  });
  return { title: typeof d.title === "string" ? d.title : root, sensor, classes, labels: table, columns, timeUnit, rows };
}

/** A path named in the folder's files, kept inside the folder. */
function inside(root: string, name: string, where: string, what: string): string {
  const p = normalize(join(root, name));
  const rel = relative(root, p);
  if (isAbsolute(name) || rel.startsWith("..")) bad(where, what, "a path inside the data folder", name);
  return p;
}

function readEventFile(path: string, f: EventFolder): Events {
  if (!existsSync(path)) throw new MissingDataError(`${path}: expected the event file named in ${f.labels}, received no such file`);
  const scale = UNITS[f.timeUnit];
  let cols: number[][];
  if (path.endsWith(".npy")) {
    const a = readNpy(path);
    if (a.shape.length !== 2 || a.shape[1] !== 4) throw new ExodusError(`${path}: expected an (N, 4) array of ${f.columns.join(", ")}, received shape (${a.shape.join(", ")})`);
    cols = COLS.map((c) => {
      const j = f.columns.indexOf(c);
      return Array.from({ length: a.shape[0] }, (_, i) => Number(a.data[4 * i + j]));
    });
  } else if (path.endsWith(".csv")) {
    const lines = readFileSync(path, "utf8").split(/\r?\n/).filter((l) => l.trim() !== "");
    const head = (lines.shift() ?? "").split(",").map((c) => c.trim());
    const idx = COLS.map((c) => head.indexOf(c));
    if (idx.some((j) => j < 0)) throw new ExodusError(`${path}: expected a header naming x, y, p and t, received ${describe(head.join(","))}`);
    const rows = lines.map((l) => l.split(","));
    cols = idx.map((j) => rows.map((r) => Number(r[j])));
  } else throw new ExodusError(`${path}: expected a .npy or .csv event file, received ${describe(path.replace(/^.*\./, "."))}`);
  const n = cols[0].length;
  const e = allocEvents(n);
  for (let i = 0; i < n; i++) {
    const [x, y, p, t] = cols.map((c) => c[i]);
    if (![x, y, p].every((v) => Number.isInteger(v) && v >= 0) || !Number.isFinite(t))
      throw new ExodusError(`${path}: event ${i}: expected integers x, y, p >= 0 and a finite t, received x=${x}, y=${y}, p=${p}, t=${t}`);
    e.x[i] = x;
    e.y[i] = y;
    e.p[i] = p;
    e.t[i] = Math.round(t * scale);
  }
  // Times from the recording's first event: the frame bins count from t = 0.
  let t0 = Infinity;
  for (let i = 0; i < n; i++) t0 = Math.min(t0, e.t[i]);
  if (n) for (let i = 0; i < n; i++) e.t[i] -= t0;
  const out = sortByTime(e);
  checkInSensor(out, f.sensor, path);
  return out;
}

export function eventFolderSource(root: string, split: string): SampleSource {
  const f = readEventFolder(root);
  const hasValid = f.rows.some((r) => r.split === "valid");
  let rows: EventFolder["rows"];
  if (split === "test" || (split === "valid" && hasValid) || (split === "train" && hasValid)) rows = f.rows.filter((r) => r.split === split);
  else {
    // No valid rows: valid is held out of train; trainval is train (+ valid) either way.
    const pool = f.rows.filter((r) => r.split === "train" || (split === "trainval" && r.split === "valid"));
    const held = split === "trainval" ? undefined : stratifiedHoldout(pool.map((r) => r.label));
    rows = held ? pool.filter((_, i) => inPart(split as TrainPart, held[i] === 1)) : pool;
  }
  return {
    sensor: f.sensor,
    count: rows.length,
    files: [join(root, DESCRIPTOR), f.labels, ...rows.map((r) => r.file)],
    ...(split !== "test" && !hasValid ? { selection: partKey(split as TrainPart, FRACTION_RULE) } : {}),
    async *samples() {
      for (const r of rows) yield { label: r.label, events: readEventFile(r.file, f), id: r.file };
    },
  };
}
