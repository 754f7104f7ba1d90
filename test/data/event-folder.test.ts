// A data set of your own (lib/data/event-folder.ts): dataset.yaml + labels.csv + event files
// (.npy and .csv), written here; splits from the table, valid held out when the table has none,
// frames checked against the events, errors that name the file, line and field.
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { openDataset } from "../../lib/data/loader.js";
import { Rng } from "../../lib/random.js";
import { train } from "../../lib/train/trainer.js";
import { validateConfig } from "../../lib/train/config.js";
import { quiet } from "../train/helpers.js";
import { npyFile, tmp } from "./helpers.js";

const SENSOR = { width: 12, height: 10, polarities: 2 };
type Ev = [number, number, number, number]; // x, y, p, t (ms)

function folder(opts: { perClass: number; valid: boolean; yaml?: string }): { root: string; events: Map<string, Ev[]> } {
  const root = tmp();
  const rng = new Rng(5);
  const events = new Map<string, Ev[]>();
  const rows = ["file,label,split"];
  const classes = ["fist", "palm", "point"];
  mkdirSync(join(root, "rec"));
  let k = 0;
  for (const [c, cls] of classes.entries())
    for (let i = 0; i < opts.perClass; i++) {
      const ev: Ev[] = Array.from({ length: 60 }, () => [4 * c + rng.int(4), rng.int(10), rng.int(2), 1000 + rng.int(160)]);
      const name = k % 2 ? `rec/${k}.npy` : `rec/${k}.csv`;
      if (k % 2) writeFileSync(join(root, name), npyFile(ev.map(([x, y, p, t]) => [t, x, y, p]))); // columns: [t, x, y, p]
      else writeFileSync(join(root, name), `t,x,y,p\n${ev.map(([x, y, p, t]) => `${t},${x},${y},${p}`).join("\n")}\n`);
      events.set(join(root, name), ev);
      const split = i < 2 ? "test" : opts.valid && i < 4 ? "valid" : i % 3 ? "train" : "";
      rows.push(`${name},${cls},${split}`);
      k++;
    }
  writeFileSync(join(root, "labels.csv"), rows.join("\n") + "\n");
  writeFileSync(join(root, "dataset.yaml"), opts.yaml ?? `title: hand signs\nsensor: {width: ${SENSOR.width}, height: ${SENSOR.height}, polarities: 2}\ncolumns: [t, x, y, p]\ntimeUnit: ms\n`);
  return { root, events };
}

describe("your own event data (dataset.yaml + labels.csv)", () => {
  it("splits by the table; frames equal the events, times from each recording's first event", async () => {
    const { root, events } = folder({ perClass: 12, valid: true });
    const open = (split: string) => openDataset({ name: "events", root, split, transform: { frame: { mode: "fixed", binUs: 20_000, steps: 8 } }, onWarning: () => {} });
    const [tr, va, te, all] = [await open("train"), await open("valid"), await open("test"), await open("trainval")];
    expect([tr.size, va.size, te.size, all.size]).toEqual([24, 6, 6, 30]);
    expect(tr.classes).toEqual(["fist", "palm", "point"]);
    expect(tr.sampleShape).toEqual([8, 2, 10, 12]);
    const s = await te.sample(2); // the third test row: class palm, its first recording (k = 12)
    expect(s.label).toBe(1);
    const ev = events.get(join(root, "rec/12.csv"))!;
    const t0 = Math.min(...ev.map((e) => e[3]));
    const want = new Float32Array(8 * 2 * 10 * 12);
    for (const [x, y, p, t] of ev) want[((Math.floor(((t - t0) * 1000) / 20_000) * 2 + p) * 10 + y) * 12 + x] += 1;
    expect(s.x).toEqual(want);
    for (const d of [tr, va, te, all]) await d.close();
  });

  it("without valid rows, valid is 10 % of each class of train", async () => {
    const { root } = folder({ perClass: 12, valid: false });
    const open = (split: string) => openDataset({ name: "events", root, split, onWarning: () => {} });
    const [tr, va] = [await open("train"), await open("valid")];
    expect([tr.size, va.size]).toEqual([27, 3]);
    expect([...va.labels].sort()).toEqual([0, 1, 2]);
    await tr.close();
    await va.close();
  });

  it("names the file, line and field of a bad description", async () => {
    const bad = async (yaml: string | undefined, table: string | undefined, re: RegExp) => {
      const { root } = folder({ perClass: 3, valid: false, yaml });
      if (table) writeFileSync(join(root, "labels.csv"), table);
      await expect(openDataset({ name: "events", root, split: "test", onWarning: () => {} })).rejects.toThrow(re);
    };
    await bad("sensor: {width: 12, height: 0, polarities: 2}\n", undefined, /dataset.yaml: sensor.height: expected an integer in 1..65535, received 0/);
    await bad("sensor: {width: 12, height: 10, polarities: 2}\nunits: ms\n", undefined, /dataset.yaml: units: expected no such field/);
    await bad(undefined, "file,label,split\nrec/0.csv,fist,test\nrec/1.npy,palm,dev\n", /labels.csv line 3: split: expected "train", "valid" or "test"/);
    await bad(undefined, "file,label,split\n../secret.csv,fist,test\n", /labels.csv line 2: file: expected a path inside the data folder, received "..\/secret.csv"/);
    await bad("sensor: {width: 5, height: 10, polarities: 2}\ncolumns: [t, x, y, p]\n", undefined, /rec\/\d+\.(csv|npy): expected events inside the 5×10×2 sensor/);
    await expect(openDataset({ name: "events", root: tmp(), split: "train" })).rejects.toThrow(/expected dataset.yaml describing the data set/);
  });

  it("trains from a config naming the folder", async () => {
    const { root } = folder({ perClass: 12, valid: true });
    const config = validateConfig({ dataset: { name: "events", root }, model: { channels: [4], extraConvs: 0, poolUntil: 5 }, train: { epochs: 1, batchSize: 6 }, output: join(tmp(), "run"), device: "cpu" });
    const r = await train({ config, progress: quiet() });
    expect(r.epochs[0].train.samples).toBe(24);
    expect(r.epochs[0].eval!.samples).toBe(6);
    expect(r.test?.samples).toBe(6);
  });
});
