// Each reader against the events its file was written with, and every bad-input case.
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { readAedat2 } from "../../lib/data/aedat2.js";
import { gestureSamples, readAedat3, readGestureLabels } from "../../lib/data/aedat3.js";
import { AudioH5File, halfToFloat } from "../../lib/data/h5.js";
import { readGestureNpy, readNpy } from "../../lib/data/npy.js";
import { listZip, readZipEntry } from "../../lib/data/zip.js";
import { Rng } from "../../lib/random.js";
import { FIXTURES, type RawEvent, aedat2File, aedat3File, aedat3Packet, npyFile, randomEvents, tmp, zipFile } from "./helpers.js";

interface Twin {
  labels: number[];
  times: number[][];
  units: number[][];
}

describe("SHD/SSC HDF5", () => {
  it("decodes IEEE half floats", () => {
    expect(halfToFloat(0x3c00)).toBe(1);
    expect(halfToFloat(0xc000)).toBe(-2);
    expect(halfToFloat(0x0001)).toBe(2 ** -24);
    expect(halfToFloat(0x7bff)).toBe(65504);
    expect(halfToFloat(0x7c00)).toBe(Infinity);
    expect(halfToFloat(0x3555)).toBeCloseTo(0.333251953125, 12);
  });

  it.each(["shd_tiny.h5", "ssc_tiny.h5"])("reads %s: float16 times, uint16 units, labels, in chunks", async (name) => {
    const path = join(FIXTURES, name);
    const twin = JSON.parse(readFileSync(`${path}.json`, "utf8")) as Twin;
    const f = await AudioH5File.open(path);
    try {
      expect(Array.from(f.labels)).toEqual(twin.labels);
      // Two chunks of different sizes must give the same rows as one read.
      const rows = [...f.readRows(0, 3), ...f.readRows(3, f.count - 3)];
      expect(rows.length).toBe(twin.labels.length);
      let total = 0;
      rows.forEach((e, r) => {
        expect(Array.from(e.x)).toEqual(twin.units[r]);
        // tonic: t = trunc(float32(time) * 1e6)
        expect(Array.from(e.t)).toEqual(twin.times[r].map((s) => Math.trunc(Math.fround(Math.fround(s) * 1e6))));
        total += e.t.length;
      });
      expect(total).toBeGreaterThan(100);
    } finally {
      f.close();
    }
  });

  it("names the file for a non-HDF5 file", async () => {
    const p = join(tmp(), "fake.h5");
    writeFileSync(p, "class,startTime_usec\n1,2\n");
    await expect(AudioH5File.open(p)).rejects.toThrow(`${p}: expected an HDF5 file`);
  });

  it.each([0.1, 0.33, 0.5, 0.75, 0.95])("names the file for an HDF5 file truncated at %f of its size", async (frac) => {
    const src = readFileSync(join(FIXTURES, "shd_tiny.h5"));
    const p = join(tmp(), "cut.h5");
    writeFileSync(p, src.subarray(0, Math.floor(src.length * frac)));
    const attempt = async () => {
      const f = await AudioH5File.open(p);
      try {
        f.readRows(0, f.count);
      } finally {
        f.close();
      }
    };
    await expect(attempt()).rejects.toThrow(new RegExp(`^${p.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&")}: .*(truncated|corrupt|expected)`));
  });

  it("reports a file without the SHD layout", async () => {
    const h5 = (await import("h5wasm/node")).default;
    await h5.ready;
    const p = join(tmp(), "other.h5");
    const f = new h5.File(p, "w");
    f.create_dataset({ name: "labels", data: new Uint16Array([1, 2]) });
    f.close();
    await expect(AudioH5File.open(p)).rejects.toThrow(`${p}: expected a dataset /spikes/times`);
  });
});

describe("DVS Gesture AEDAT 3.1", () => {
  const rng = new Rng(7);
  const a = randomEvents(rng, 300, 2_000_000);
  const b = randomEvents(rng, 200, 1_000_000).map((e) => ({ ...e, t: e.t + 2 ** 31 + 5 })); // after one overflow

  function write(dir: string, opts: { labels?: string; bytes?: Buffer } = {}): string {
    const path = join(dir, "user01_led.aedat");
    const special = aedat3Packet([{ t: 5, x: 1, y: 1, p: 0 }], 0, [], 0); // type 0: skipped
    // Packets out of time order, and one invalid event: the reader must sort and drop it.
    const bytes = opts.bytes ?? aedat3File([aedat3Packet(a.slice(150)), special, aedat3Packet(a.slice(0, 150), 0, [3]), aedat3Packet(b, 1)]);
    writeFileSync(path, bytes);
    writeFileSync(join(dir, "user01_led_labels.csv"), opts.labels ?? "class,startTime_usec,endTime_usec\n3,100000,900000\n11,1000000,1500000\n3,2147483653,2148000000\n");
    return path;
  }

  it("reads polarity events with overflow, skipping other packets and invalid events, sorted", () => {
    const path = write(tmp());
    const e = readAedat3(path);
    const expected = [...a.filter((_, i) => i !== 3), ...b].map((v, i) => ({ ...v, i })).sort((u, v) => u.t - v.t || u.i - v.i);
    expect(e.t.length).toBe(expected.length);
    expect(Array.from(e.t)).toEqual(expected.map((v) => v.t));
    // ties in t may reorder between packets; compare the multiset per timestamp via sorted tuples
    const tuples = (xs: { t: number; x: number; y: number; p: number }[]) => xs.map((v) => `${v.t}:${v.x}:${v.y}:${v.p}`).sort();
    expect(tuples(Array.from(e.t, (t, i) => ({ t, x: e.x[i], y: e.y[i], p: e.p[i] })))).toEqual(tuples(expected));
  });

  it("splits a recording into labelled intervals, times from each start", () => {
    const path = write(tmp());
    const samples = gestureSamples(path);
    expect(samples.map((s) => s.label)).toEqual([2, 10, 2]);
    const inA = a.filter((v, i) => i !== 3 && v.t >= 100000 && v.t < 900000);
    expect(Array.from(samples[0].events.t)).toEqual(inA.map((v) => v.t - 100000));
    const inB = b.filter((v) => v.t >= 2147483653 && v.t < 2148000000);
    expect(samples[2].events.t.length).toBe(inB.length);
    expect(inB.length).toBeGreaterThan(0);
  });

  it.each([
    ["a truncated packet", (buf: Buffer) => buf.subarray(0, buf.length - 5), /truncated file/],
    ["a cut packet header", (buf: Buffer) => buf.subarray(0, buf.length - 8 * 200 - 20), /28-byte packet header/],
    ["a wrong magic", (buf: Buffer) => Buffer.concat([Buffer.from("#!AER-DAT2.0\r\n"), buf.subarray(14)]), /expected an AEDAT 3.1 file/],
    ["a corrupt packet header", (buf: Buffer) => {
      const b = Buffer.from(buf);
      b.writeInt32LE(0, buf.indexOf("#!END-HEADER\r\n") + 14 + 4); // eventSize of the first packet
      return b;
    }, /packet at byte \d+: expected eventSize > 0 .* \(corrupt file\)/],
    ["an event outside the sensor", (buf: Buffer) => {
      const b = Buffer.from(buf);
      b.writeUInt32LE(((200 << 17) | 1) >>> 0, buf.indexOf("#!END-HEADER\r\n") + 14 + 28);
      return b;
    }, /expected x, y < 128 \(DVS128\), received x=200/],
    ["no end of header", (buf: Buffer) => Buffer.from(buf.toString("latin1").replace("#!END-HEADER", "#END"), "latin1"), /#!END-HEADER/],
  ])("names the file for %s", (_, mutate, msg) => {
    const dir = tmp();
    const good = readFileSync(write(dir));
    const path = write(dir, { bytes: mutate(good) });
    expect(() => readAedat3(path)).toThrow(msg);
    expect(() => readAedat3(path)).toThrow(path);
  });

  it("rejects missing or malformed labels", () => {
    const dir = tmp();
    const path = write(dir, { labels: "class,startTime_usec,endTime_usec\n12,0,10\n" });
    expect(() => gestureSamples(path)).toThrow(/line 2: expected class 1..11/);
    write(dir, { labels: "cls,start\n1,2\n" });
    expect(() => readGestureLabels(join(dir, "user01_led_labels.csv"))).toThrow(/expected the header/);
    expect(() => readGestureLabels(join(dir, "nope_labels.csv"))).toThrow(/nope_labels.csv: expected the labels CSV/);
  });
});

describe("tonic DVS Gesture npy", () => {
  it("reads the fixture: (N, 4) x, y, p, t_ms → µs truncated", () => {
    const path = join(FIXTURES, "gesture_npy", "ibmGestureTrain", "user01_fluorescent", "4.npy");
    const raw = readNpy(path);
    const e = readGestureNpy(path);
    expect(raw.shape[1]).toBe(4);
    expect(e.t.length).toBe(raw.shape[0]);
    for (let i = 0; i < e.t.length; i++) {
      expect(e.x[i]).toBe(raw.data[4 * i]);
      expect(e.t[i]).toBe(Math.trunc(raw.data[4 * i + 3] * 1000));
    }
  });
  it("reads other dtypes and checks values", () => {
    const dir = tmp();
    writeFileSync(join(dir, "a.npy"), npyFile([[3, 4, 1, 2], [5, 6, 0, 7]], "<i8"));
    const e = readGestureNpy(join(dir, "a.npy"));
    expect(Array.from(e.t)).toEqual([2000, 7000]);
    expect(Array.from(e.y)).toEqual([4, 6]);
    writeFileSync(join(dir, "b.npy"), npyFile([[3, 4, 2, 2]]));
    expect(() => readGestureNpy(join(dir, "b.npy"))).toThrow(/row 0: expected 0 <= x, y < 128, p in \{0, 1\}/);
    writeFileSync(join(dir, "c.npy"), npyFile([[3, 4, 1]]));
    expect(() => readGestureNpy(join(dir, "c.npy"))).toThrow(/expected an \(N, 4\) array/);
    const good = npyFile([[3, 4, 1, 2], [5, 6, 0, 7]]);
    writeFileSync(join(dir, "d.npy"), good.subarray(0, good.length - 3));
    expect(() => readGestureNpy(join(dir, "d.npy"))).toThrow(/d.npy: expected 64 data bytes .* \(truncated file\)/);
    writeFileSync(join(dir, "e.npy"), "hello");
    expect(() => readGestureNpy(join(dir, "e.npy"))).toThrow(/e.npy: expected a .npy file/);
  });
});

describe("CIFAR10-DVS AEDAT 2.0", () => {
  const rng = new Rng(11);
  const events = randomEvents(rng, 400, 1_300_000);

  it("decodes jAER addresses: x = 127 - rawX, y = rawY, p = 1 - bit0, t from the first event", () => {
    const p = join(tmp(), "cifar10_cat_5.aedat");
    writeFileSync(p, aedat2File(events, 4_000_000, [10, 11]));
    const e = readAedat2(p);
    const kept = events.filter((_, i) => i !== 10 && i !== 11);
    expect(e.t.length).toBe(kept.length);
    expect(Array.from(e.x)).toEqual(kept.map((v) => v.x));
    expect(Array.from(e.y)).toEqual(kept.map((v) => v.y));
    expect(Array.from(e.p)).toEqual(kept.map((v) => v.p));
    expect(Array.from(e.t)).toEqual(kept.map((v) => v.t - kept[0].t));
  });

  it("undoes a 32-bit timestamp wrap", () => {
    const p = join(tmp(), "wrap.aedat");
    const ev: RawEvent[] = [{ t: 0, x: 1, y: 2, p: 0 }, { t: 100, x: 3, y: 4, p: 1 }];
    writeFileSync(p, aedat2File(ev, 2 ** 32 - 50));
    expect(Array.from(readAedat2(p).t)).toEqual([0, 100]);
  });

  it("reads entries inside a class zip (deflated and stored)", () => {
    for (const deflate of [true, false]) {
      const dir = tmp();
      const data = aedat2File(events);
      writeFileSync(join(dir, "cat.zip"), zipFile([{ name: "cat/", data: Buffer.alloc(0) }, { name: "cat/cifar10_cat_0.aedat", data }], deflate));
      const entries = listZip(join(dir, "cat.zip"));
      expect(entries.map((x) => x.name)).toEqual(["cat/", "cat/cifar10_cat_0.aedat"]);
      expect(readZipEntry(join(dir, "cat.zip"), entries[1]).equals(data)).toBe(true);
    }
  });

  it("names the file for truncation, a wrong format and a corrupt zip", () => {
    const dir = tmp();
    const good = aedat2File(events);
    writeFileSync(join(dir, "cut.aedat"), good.subarray(0, good.length - 3));
    expect(() => readAedat2(join(dir, "cut.aedat"))).toThrow(/cut.aedat: expected 8-byte events .*5 left over: truncated file/);
    writeFileSync(join(dir, "v3.aedat"), aedat3File([]));
    expect(() => readAedat2(join(dir, "v3.aedat"))).toThrow(/v3.aedat: expected an AEDAT 2.0 file/);
    const zip = zipFile([{ name: "cat/cifar10_cat_0.aedat", data: good }]);
    writeFileSync(join(dir, "cut.zip"), zip.subarray(0, zip.length - 30));
    expect(() => listZip(join(dir, "cut.zip"))).toThrow(/cut.zip: expected a zip file/);
    const flipped = Buffer.from(zip);
    flipped[60] ^= 0xff; // inside the deflated data
    writeFileSync(join(dir, "bad.zip"), flipped);
    const e = listZip(join(dir, "bad.zip"))[0];
    expect(() => readZipEntry(join(dir, "bad.zip"), e)).toThrow(/bad.zip: cat\/cifar10_cat_0.aedat: (CRC-32 mismatch|deflate data corrupt)/);
  });
});

