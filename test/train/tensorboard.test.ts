// TensorBoard event files read back by a reader written here from the formats' specifications,
// sharing no code with lib/train/tensorboard.ts: TFRecord framing (length, masked CRC-32C of the
// length, data, masked CRC-32C of the data; CRC-32C computed bit by bit from the Castagnoli
// polynomial) and the Event / Summary / SessionLog protocol buffers decoded field by field.
import { appendFileSync, readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { train } from "../../lib/train/trainer.js";
import { abortAfter, memoryData, quiet, syntheticConfig } from "./helpers.js";
import { EventWriter } from "../../lib/train/tensorboard.js";

/** CRC-32C (Castagnoli, reflected 0x82F63B78), one bit at a time. */
function crc32cBitwise(b: Uint8Array): number {
  let crc = ~0 >>> 0;
  for (const byte of b) {
    crc ^= byte;
    for (let k = 0; k < 8; k++) crc = (crc >>> 1) ^ (0x82f63b78 & -(crc & 1));
    crc >>>= 0;
  }
  return ~crc >>> 0;
}
const mask = (c: number) => ((((c >>> 15) | (c << 17)) >>> 0) + 0xa282ead8) >>> 0;

function records(buf: Buffer): Buffer[] {
  const out: Buffer[] = [];
  let o = 0;
  while (o < buf.length) {
    const len = Number(buf.readBigUInt64LE(o));
    expect(buf.readUInt32LE(o + 8)).toBe(mask(crc32cBitwise(buf.subarray(o, o + 8))));
    const data = buf.subarray(o + 12, o + 12 + len);
    expect(buf.readUInt32LE(o + 12 + len)).toBe(mask(crc32cBitwise(data)));
    out.push(data);
    o += 16 + len;
  }
  expect(o).toBe(buf.length);
  return out;
}

type Field = { n: number; wire: number; v: bigint | Buffer };
function fields(b: Buffer): Field[] {
  const out: Field[] = [];
  let o = 0;
  const varint = () => {
    let x = 0n;
    let shift = 0n;
    for (;;) {
      const byte = b[o++];
      x |= BigInt(byte & 0x7f) << shift;
      shift += 7n;
      if (!(byte & 0x80)) return x;
    }
  };
  while (o < b.length) {
    const k = Number(varint());
    const n = k >> 3;
    const wire = k & 7;
    if (wire === 0) out.push({ n, wire, v: varint() });
    else if (wire === 1) (out.push({ n, wire, v: b.subarray(o, o + 8) }), (o += 8));
    else if (wire === 5) (out.push({ n, wire, v: b.subarray(o, o + 4) }), (o += 4));
    else if (wire === 2) {
      const len = Number(varint());
      out.push({ n, wire, v: b.subarray(o, o + len) });
      o += len;
    } else throw new Error(`wire type ${wire}`);
  }
  return out;
}

interface Ev { wallTime: number; step: number; fileVersion?: string; scalars: Record<string, number>; sessionStart?: boolean }
function events(dir: string): Ev[] {
  return readdirSync(dir).sort().flatMap((f) => records(readFileSync(join(dir, f))).map((r) => {
    const ev: Ev = { wallTime: NaN, step: 0, scalars: {} };
    for (const f of fields(r)) {
      if (f.n === 1) ev.wallTime = (f.v as Buffer).readDoubleLE(0);
      else if (f.n === 2) ev.step = Number(f.v);
      else if (f.n === 3) ev.fileVersion = (f.v as Buffer).toString();
      else if (f.n === 5)
        for (const val of fields(f.v as Buffer).filter((x) => x.n === 1)) {
          const vf = fields(val.v as Buffer);
          ev.scalars[(vf.find((x) => x.n === 1)!.v as Buffer).toString()] = (vf.find((x) => x.n === 2)!.v as Buffer).readFloatLE(0);
        }
      else if (f.n === 6) ev.sessionStart = fields(f.v as Buffer).some((x) => x.n === 1 && x.v === 1n);
    }
    return ev;
  }));
}

const data = () => ({ train: memoryData({ size: 48, T: 20, features: [24], classes: 3, seed: 1 }), eval: memoryData({ size: 24, T: 20, features: [24], classes: 3, seed: 2 }) });
const lines = (p: string) => readFileSync(p, "utf8").trim().split("\n").map((l) => JSON.parse(l));

describe("TensorBoard event files and per-step metrics", () => {
  it("CRC-32C of the reader: the standard check value", () => {
    expect(crc32cBitwise(Buffer.from("123456789"))).toBe(0xe3069283);
  });

  it("hold every step record and epoch metric of the run, and a resume restarts the session at its checkpoint", async () => {
    const cfg = syntheticConfig({}, { epochs: 3, batchSize: 8, logEvery: 2, schedule: { name: "cosine", warmupSteps: 3 } });
    const ac = new AbortController();
    await train({ config: cfg, data: data(), progress: abortAfter(8, ac), signal: ac.signal }); // mid epoch 2 (6 steps per epoch)
    // what a process killed after its checkpoint would leave: a step past it, in both logs
    appendFileSync(join(cfg.output, "steps.jsonl"), `${JSON.stringify({ step: 10, epoch: 2, loss: 99, lr: 1, gradNorm: 1 })}\n`);
    new EventWriter(join(cfg.output, "tensorboard"), Date.now() / 1000 - 1).scalars(10, { "step/loss": 99 });
    await train({ config: cfg, data: data(), progress: quiet(), resume: true });

    const steps = lines(join(cfg.output, "steps.jsonl"));
    expect(steps.map((s) => s.step)).toEqual([2, 4, 6, 8, 10, 12, 14, 16, 18]);
    for (const s of steps) {
      expect(s.loss).toBeGreaterThan(0);
      expect(s.gradNorm).toBeGreaterThan(0);
      expect(s.epoch).toBe(Math.ceil(s.step / 6));
    }
    expect(steps[0].lr).toBeCloseTo(1e-2 * (2 / 3), 12); // step 2 of a 3-step warm-up
    const epochs = lines(join(cfg.output, "metrics.jsonl"));

    const evs = events(join(cfg.output, "tensorboard"));
    expect(readdirSync(join(cfg.output, "tensorboard"))).toHaveLength(3); // one file per writer
    expect(evs.filter((e) => e.fileVersion === "brain.Event:2")).toHaveLength(3);
    expect(evs.some((e) => e.step === 10 && e.scalars["step/loss"] === 99)).toBe(true); // still in the file, dropped by the START below
    for (const e of evs) expect(Math.abs(e.wallTime - Date.now() / 1000)).toBeLessThan(600);
    const start = evs.findIndex((e) => e.sessionStart);
    expect(evs[start].step).toBe(9); // the interrupted process saved its checkpoint after step 8
    // TensorBoard's view: a START at step s drops what earlier records logged at steps >= s.
    const seen = new Map<string, Map<number, number>>();
    for (const e of evs) {
      if (e.sessionStart) for (const m of seen.values()) for (const st of [...m.keys()]) if (st >= e.step) m.delete(st);
      for (const [tag, v] of Object.entries(e.scalars)) {
        if (!seen.has(tag)) seen.set(tag, new Map());
        seen.get(tag)!.set(e.step, v);
      }
    }
    const series = (tag: string) => [...(seen.get(tag) ?? new Map()).entries()].sort((a, b) => a[0] - b[0]);
    expect(series("step/loss")).toEqual(steps.map((s) => [s.step, Math.fround(s.loss)]));
    expect(series("step/lr")).toEqual(steps.map((s) => [s.step, Math.fround(s.lr)]));
    expect(series("step/grad_norm")).toEqual(steps.map((s) => [s.step, Math.fround(s.gradNorm)]));
    expect(series("valid/acc")).toEqual(epochs.map((m) => [m.step, Math.fround(m.eval.acc)]));
    expect(series("train/loss")).toEqual(epochs.map((m) => [m.step, Math.fround(m.train.loss)]));
    expect(series("grad_norm/2.Linear")).toEqual(epochs.map((m) => [m.step, Math.fround(m.gradNorm["2.Linear"])]));
    expect(series("firing_rate/1.LIF")).toEqual(epochs.map((m) => [m.step, Math.fround(m.firingRate["1.LIF"])]));
  });
});
