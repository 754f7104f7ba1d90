// N-MNIST in tonic's layout, on recordings this test writes: the 5-byte event format (polarity
// bit, 23-bit timestamps, y = 240 overflow markers adding 2^13 µs), the folder layout, the
// held-out validation split, frames, and a short training run.
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { openDataset } from "../../lib/data/loader.js";
import { readNmnistBin } from "../../lib/data/nmnist.js";
import { Rng } from "../../lib/random.js";
import { train } from "../../lib/train/trainer.js";
import { validateConfig } from "../../lib/train/config.js";
import { quiet } from "../train/helpers.js";
import { tmp } from "./helpers.js";

interface Ev { x: number; y: number; p: number; t: number }

/** Encodes events as N-MNIST .bin records, with an overflow marker (y = 240) before the first event at or after each of overflowAt. */
function encode(events: Ev[], overflowAt: number[] = []): Buffer {
  const out: number[] = [];
  let base = 0;
  for (const e of events) {
    while (overflowAt.length && e.t >= overflowAt[0]) {
      out.push(0, 240, 0, 0, 0); // marker: every later timestamp is 8192 µs later
      base += 8192;
      overflowAt.shift();
    }
    const ts = e.t - base;
    out.push(e.x, e.y, (e.p << 7) | ((ts >> 16) & 0x7f), (ts >> 8) & 0xff, ts & 0xff);
  }
  return Buffer.from(out);
}

function recording(rng: Rng, label: number): Ev[] {
  // class c: events in column band c·3 … c·3+2, over 300 ms
  const n = 200;
  return Array.from({ length: n }, () => ({ x: 3 * label + rng.int(3), y: rng.int(34), p: rng.int(2), t: rng.int(300_000) })).sort((a, b) => a.t - b.t);
}

function makeRoot(perClass: { train: number; test: number }): { root: string; events: Map<string, Ev[]> } {
  const root = tmp();
  const rng = new Rng(12);
  const events = new Map<string, Ev[]>();
  for (const [split, n] of [["Train", perClass.train], ["Test", perClass.test]] as const)
    for (let d = 0; d < 10; d++) {
      const dir = join(root, "NMNIST", split, String(d));
      mkdirSync(dir, { recursive: true });
      for (let k = 0; k < n; k++) {
        const ev = recording(rng, d);
        const path = join(dir, `${String(k + 1).padStart(5, "0")}.bin`);
        writeFileSync(path, encode(ev));
        events.set(path, ev);
      }
    }
  return { root, events };
}

describe("N-MNIST (tonic's layout)", () => {
  it("reads the 5-byte events, with overflow markers, sorted, inside 34×34×2", () => {
    const rng = new Rng(3);
    const ev = Array.from({ length: 300 }, () => ({ x: rng.int(34), y: rng.int(34), p: rng.int(2), t: rng.int(9_000_000) })).sort((a, b) => a.t - b.t);
    // 23 bits hold 8.39 s; past 8 s the writer inserts a marker every 8192 µs and stores the rest
    const markers = Array.from({ length: 200 }, (_, k) => 8_000_000 + 8192 * k);
    const dir = tmp();
    const path = join(dir, "1.bin");
    writeFileSync(path, encode(ev, [...markers]));
    const e = readNmnistBin(path);
    expect(Array.from(e.t)).toEqual(ev.map((x) => x.t));
    expect(Array.from(e.x)).toEqual(ev.map((x) => x.x));
    expect(Array.from(e.y)).toEqual(ev.map((x) => x.y));
    expect(Array.from(e.p)).toEqual(ev.map((x) => x.p));
    writeFileSync(path, Buffer.concat([encode(ev.slice(0, 3)), Buffer.from([1, 2])]));
    expect(() => readNmnistBin(path)).toThrow(/1\.bin: expected 5-byte N-MNIST events, received 17 bytes \(2 left over/);
    writeFileSync(path, encode([{ x: 40, y: 3, p: 0, t: 5 }]));
    expect(() => readNmnistBin(path)).toThrow(/expected events inside the 34×34×2 sensor, received event 0 at x=40/);
  });

  it("opens train / valid / test as [300, 2, 34, 34] 1 ms frames; valid is 10 % of each digit", async () => {
    const { root, events } = makeRoot({ train: 10, test: 2 });
    const open = (split: string) => openDataset({ name: "nmnist", root, split, onWarning: () => {} });
    const [tr, va, te] = [await open("train"), await open("valid"), await open("test")];
    expect([tr.size, va.size, te.size]).toEqual([90, 10, 20]);
    expect(tr.sampleShape).toEqual([300, 2, 34, 34]);
    expect([...va.labels].sort()).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    // frames: each event counted once at [floor(t / 1 ms), p, y, x]
    const s = await te.sample(3);
    const path = join(root, "NMNIST", "Test", "1", "00002.bin");
    const want = new Float32Array(300 * 2 * 34 * 34);
    for (const e of events.get(path)!) want[((Math.floor(e.t / 1000) * 2 + e.p) * 34 + e.y) * 34 + e.x] += 1;
    expect(s.label).toBe(1);
    expect(s.x).toEqual(want);
    for (const d of [tr, va, te]) await d.close();
    await expect(openDataset({ name: "nmnist", root: tmp(), split: "train" })).rejects.toThrow(/expected N-MNIST's Train\/<digit>\/<n>.bin \(tonic's NMNIST\/Train\/, from train.zip\), received no such folder/);
  });

  it("trains the default conv network on it", async () => {
    const { root } = makeRoot({ train: 4, test: 1 });
    const config = validateConfig({
      dataset: { name: "nmnist", root, transform: { frame: { mode: "fixed", binUs: 10_000, steps: 30 } } },
      model: { channels: [4, 8], extraConvs: 0, initScale: 4 }, train: { epochs: 1, batchSize: 4, evalSplit: "test" }, output: join(tmp(), "run"), device: "cpu",
    });
    const r = await train({ config, progress: quiet() });
    expect(r.epochs[0].train.samples).toBe(40);
    expect(r.epochs[0].eval!.samples).toBe(10);
    expect(Object.keys(r.epochs[0].gradNorm)).toEqual(["0.Conv2d", "4.Conv2d", "10.Linear"]);
  });
});
