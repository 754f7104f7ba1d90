// TensorBoard event files, written without TensorFlow or any dependency: TensorBoard (and
// tensorboardX, torch.utils.tensorboard's reader, wandb's sync) read a folder of
// events.out.tfevents.* files, each a TFRecord stream of Event protocol buffers.
//
// TFRecord framing, per record: uint64 length (little endian), uint32 masked CRC-32C of those 8
// bytes, the data, uint32 masked CRC-32C of the data; mask(c) = ((c >>> 15) | (c << 17)) + 0xa282ead8.
// Event (tensorflow/core/util/event.proto): 1 wall_time double, 2 step int64, 3 file_version
// string (the first record: "brain.Event:2"), 5 summary Summary, 6 session_log SessionLog.
// Summary: 1 repeated Value; Value: 1 tag string, 2 simple_value float. SessionLog: 1 status enum
// (START = 1): TensorBoard drops the events of earlier files at or after a START's step, so a run
// resumed from a checkpoint does not show the steps a killed process logged past it twice.
import { appendFileSync, existsSync, mkdirSync } from "node:fs";
import { hostname } from "node:os";
import { join } from "node:path";

const CRC32C_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0x82f63b78 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

export function crc32c(b: Uint8Array): number {
  let c = 0xffffffff;
  for (let i = 0; i < b.length; i++) c = CRC32C_TABLE[(c ^ b[i]) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function masked(b: Uint8Array): number {
  const c = crc32c(b);
  return (((c >>> 15) | (c << 17)) + 0xa282ead8) >>> 0;
}

/** One TFRecord around data. */
export function tfRecord(data: Uint8Array): Buffer {
  const out = Buffer.alloc(16 + data.length);
  out.writeBigUInt64LE(BigInt(data.length), 0);
  out.writeUInt32LE(masked(out.subarray(0, 8)), 8);
  out.set(data, 12);
  out.writeUInt32LE(masked(data), 12 + data.length);
  return out;
}

// ---- protocol buffer encoding (the few wire types Event needs) ----------------------------------
function varint(v: number | bigint): number[] {
  let x = BigInt.asUintN(64, BigInt(v));
  const out: number[] = [];
  do {
    let byte = Number(x & 0x7fn);
    x >>= 7n;
    if (x) byte |= 0x80;
    out.push(byte);
  } while (x);
  return out;
}
const key = (field: number, wire: number) => varint((field << 3) | wire);
function bytesField(field: number, b: Uint8Array): number[] {
  return [...key(field, 2), ...varint(b.length), ...b];
}
function doubleField(field: number, v: number): number[] {
  const b = Buffer.alloc(8);
  b.writeDoubleLE(v);
  return [...key(field, 1), ...b];
}
function floatField(field: number, v: number): number[] {
  const b = Buffer.alloc(4);
  b.writeFloatLE(v);
  return [...key(field, 5), ...b];
}

function event(wallTime: number, step: number, body: number[]): Uint8Array {
  return Uint8Array.from([...doubleField(1, wallTime), ...key(2, 0), ...varint(step), ...body]);
}

export class EventWriter {
  readonly path: string;

  /** Starts a new events file in dir (TensorBoard reads every file of a folder, in name order). */
  constructor(dir: string, now = Date.now() / 1000) {
    mkdirSync(dir, { recursive: true });
    // Unique per writer: a resumed run in the same process and second gets its own file.
    const base = `events.out.tfevents.${Math.floor(now)}.${hostname().replace(/[^A-Za-z0-9._-]/g, "_")}.${process.pid}`;
    let n = 0;
    while (existsSync(join(dir, `${base}.${n}.exodus`))) n++;
    this.path = join(dir, `${base}.${n}.exodus`);
    this.write(event(now, 0, bytesField(3, Buffer.from("brain.Event:2"))));
  }

  private write(ev: Uint8Array): void {
    appendFileSync(this.path, tfRecord(ev));
  }

  /** Scalars at one step, one Summary (non-finite values are skipped: the guard reports them). */
  scalars(step: number, values: Record<string, number>, wallTime = Date.now() / 1000): void {
    const vals = Object.entries(values).filter(([, v]) => Number.isFinite(v))
      .map(([tag, v]) => bytesField(1, Uint8Array.from([...bytesField(1, Buffer.from(tag)), ...floatField(2, v)])));
    if (vals.length) this.write(event(wallTime, step, bytesField(5, Uint8Array.from(vals.flat()))));
  }

  /** A resumed run restarts at step: TensorBoard forgets what earlier files logged from there on. */
  sessionStart(step: number, wallTime = Date.now() / 1000): void {
    this.write(event(wallTime, step, bytesField(6, Uint8Array.from(key(1, 0).concat(varint(1))))));
  }
}
