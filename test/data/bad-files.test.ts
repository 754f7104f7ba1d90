// The damaged inputs of issue #12, one by one: each must end in an ExodusError naming the file,
// what was expected and what was found — never a hang, a raw RangeError or silently wrong data.
import { defaultCacheDir } from "../../lib/data/cache-dir.js";
import { spawnSync, spawn } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { crc32 } from "node:zlib";
import { describe, expect, it } from "vitest";
import { ExodusError } from "../../lib/errors.js";
import { readAedat2 } from "../../lib/data/aedat2.js";
import { readAedat3, readGestureLabels, readTrialList } from "../../lib/data/aedat3.js";
import { removeStaleTemps } from "../../lib/data/cache.js";
import { openDataset } from "../../lib/data/loader.js";
import { readNpy } from "../../lib/data/npy.js";
import { listZip, readZipEntry } from "../../lib/data/zip.js";
import { Rng } from "../../lib/random.js";
import { FIXTURES, aedat2File, aedat3File, aedat3Packet, npyFile, randomEvents, tmp, zipFile } from "./helpers.js";

const ROOT = join(import.meta.dirname, "..", "..");

function thrown(f: () => unknown): Error {
  try {
    f();
  } catch (e) {
    return e as Error;
  }
  throw new Error("expected an error");
}

async function rejected(p: Promise<unknown>): Promise<Error> {
  try {
    await p;
  } catch (e) {
    return e as Error;
  }
  throw new Error("expected an error");
}

describe("HDF5", () => {
  it("a zeroed global-heap object is refused before h5wasm loops on it", () => {
    // h5wasm would spin forever inside the read, so the check runs in a child with a timeout.
    const bytes = readFileSync(join(FIXTURES, "shd_tiny.h5"));
    const gcol = bytes.indexOf("GCOL");
    expect(gcol).toBeGreaterThan(0);
    const bad = Buffer.from(bytes);
    bad.fill(0, gcol + 16 + 152, gcol + 16 + 152 + 16); // the second object's header
    const path = join(tmp(), "shd_train.h5");
    writeFileSync(path, bad);
    const script = `import("${join(ROOT, "dist", "lib", "data", "h5.js")}").then(async (m) => {
      try { const f = await m.AudioH5File.open(process.argv[1]); f.readRows(0, f.count); console.log("accepted"); }
      catch (e) { console.log(e.name + ": " + e.message); } })`;
    const r = spawnSync(process.execPath, ["-e", script, path], { timeout: 30_000, encoding: "utf8" });
    expect(r.signal, "the read hung").toBeNull();
    expect(r.stdout).toMatch(/^ExodusError: .*shd_train\.h5: global heap collection at byte \d+: object 0 at byte \d+: expected a size within the collection/);
  });
});

describe("HDF5 datatypes", () => {
  it("a vlen datatype that is not a sequence is refused before HDF5 aborts on it", async () => {
    // Found by the fuzzer: one byte of /spikes/times' datatype message made HDF5 call abort().
    const bad = readFileSync(join(FIXTURES, "ssc_tiny.h5"));
    expect(bad[1889]).toBe(0);
    bad[1889] = 0x23;
    const path = join(tmp(), "ssc_train.h5");
    writeFileSync(path, bad);
    const { AudioH5File } = await import("../../lib/data/h5.js");
    await expect(AudioH5File.open(path)).rejects.toThrow(/ssc_train\.h5: \/spikes\/times: expected ragged \(vlen\) float16\/32\/64 rows, received vlen of float16 \(16-byte elements: not a vlen sequence\)/);
  });
});

describe("zip", () => {
  const entries = [{ name: "cat/cifar10_cat_1.aedat", data: aedat2File(randomEvents(new Rng(3), 50, 1_000_000)) }];

  it("a central-directory extra length past the entry is a clean error", () => {
    const z = zipFile(entries);
    const cd = z.indexOf(Buffer.from([0x50, 0x4b, 0x01, 0x02]));
    z.writeUInt16LE(0xffff, cd + 30);
    const path = join(tmp(), "cat.zip");
    writeFileSync(path, z);
    const e = thrown(() => listZip(path));
    expect(e).toBeInstanceOf(ExodusError);
    expect(e.message).toMatch(/cat\.zip: central directory entry 0: expected name, extra field and comment .* within the directory/);
  });

  it("a ZIP64 locator pointing outside the file is a clean error", () => {
    const z = zipFile(entries);
    const eocd = z.length - 22;
    z.writeUInt32LE(0xffffffff, eocd + 16); // claims ZIP64
    const loc = Buffer.alloc(20);
    loc.writeUInt32LE(0x07064b50, 0);
    loc.writeBigUInt64LE(2n ** 40n, 8);
    const path = join(tmp(), "cat.zip");
    writeFileSync(path, Buffer.concat([z.subarray(0, eocd), loc, z.subarray(eocd)]));
    expect(() => listZip(path)).toThrow(/cat\.zip: ZIP64 end record offset: expected at most \d+, received 1099511627776 \(corrupt zip\)/);
  });

  it("an entry whose declared size is wrong is caught after inflating", () => {
    const z = zipFile(entries);
    const cd = z.indexOf(Buffer.from([0x50, 0x4b, 0x01, 0x02]));
    z.writeUInt32LE(10, cd + 24);
    const path = join(tmp(), "cat.zip");
    writeFileSync(path, z);
    const [entry] = listZip(path);
    expect(() => readZipEntry(path, entry)).toThrow(/cat\.zip: cat\/cifar10_cat_1\.aedat: deflate data corrupt|expected 10 bytes after inflating/);
  });
});

describe("AEDAT 2.0", () => {
  const ev = randomEvents(new Rng(5), 400, 1_300_000);

  it("a non-ASCII byte in a header line stays header", () => {
    const good = aedat2File(ev);
    const bad = Buffer.from(good);
    bad[20] = 0xe9; // inside "# This is a raw AE data file"
    const path = join(tmp(), "a.aedat");
    writeFileSync(path, bad);
    const e = readAedat2(path, undefined, () => {});
    expect(e.t.length).toBe(ev.length);
    expect(e.t[e.t.length - 1]).toBe(ev[ev.length - 1].t - ev[0].t);
  });

  it("little-endian data is refused with 'wrong byte order?'", () => {
    const good = aedat2File(ev);
    const start = good.length - 8 * ev.length;
    for (let o = start; o < good.length; o += 4) good.writeUInt32LE(good.readUInt32BE(o), o);
    const path = join(tmp(), "le.aedat");
    writeFileSync(path, good);
    const e = thrown(() => readAedat2(path));
    expect(e).toBeInstanceOf(ExodusError);
    expect(e.message).toMatch(/le\.aedat: expected big-endian DVS128 events \(AEDAT 2\.0\), received .*: wrong byte order\?/);
  });

  it("a few backward timestamps are read with a warning", () => {
    const b = aedat2File(ev);
    const start = b.length - 8 * ev.length;
    b.writeUInt32BE(5, start + 8 * 200 + 4);
    const path = join(tmp(), "w.aedat");
    writeFileSync(path, b);
    const warnings: string[] = [];
    readAedat2(path, undefined, (m) => warnings.push(m));
    expect(warnings.join()).toMatch(/w\.aedat: 1 of 400 \(0\.3 %\) timestamps going backwards; wrong byte order or a damaged file\?/);
  });
});

describe("AEDAT 3.1 and its lists", () => {
  const ev = randomEvents(new Rng(9), 100, 1_000_000);

  it("a negative timestamp is refused", () => {
    const pk = aedat3Packet(ev);
    pk.writeInt32LE(-5, 28 + 8 * 10 + 4);
    const path = join(tmp(), "user01_lab.aedat");
    writeFileSync(path, aedat3File([pk]));
    expect(() => readAedat3(path)).toThrow(/user01_lab\.aedat: event at byte \d+: expected a timestamp >= 0 µs, received -5/);
  });

  it("an unknown packet eventType is refused, known other types are skipped", () => {
    const path = join(tmp(), "user01_lab.aedat");
    writeFileSync(path, aedat3File([aedat3Packet(ev), aedat3Packet(ev.slice(0, 3), 0, [], 2)]));
    expect(readAedat3(path).t.length).toBe(ev.length);
    writeFileSync(path, aedat3File([aedat3Packet(ev), aedat3Packet(ev.slice(0, 3), 0, [], 77)]));
    expect(() => readAedat3(path)).toThrow(/user01_lab\.aedat: packet at byte \d+: expected an eventType 0\.\.12 \(AEDAT 3\.1; 1 = polarity\), received 77/);
  });

  it("a recording listed twice, or an interval repeated, is refused", () => {
    const dir = tmp();
    writeFileSync(join(dir, "trials_to_train.txt"), "user01_lab.aedat\nuser02_lab.aedat\nuser01_lab.aedat\n");
    expect(() => readTrialList(dir, "train")).toThrow(/trials_to_train\.txt: line 3: expected each recording once, received user01_lab\.aedat again \(first on line 1\)/);
    const csv = join(dir, "user01_lab_labels.csv");
    writeFileSync(csv, "class,startTime_usec,endTime_usec\n1,0,100\n1,0,100\n");
    expect(() => readGestureLabels(csv)).toThrow(/_labels\.csv: line 3: expected each labelled interval once, received a repeat of line 2/);
  });

  it("a labels CSV with only its header is refused (no data set of size 0)", () => {
    const csv = join(tmp(), "user01_lab_labels.csv");
    writeFileSync(csv, "class,startTime_usec,endTime_usec\n");
    expect(() => readGestureLabels(csv)).toThrow(/_labels\.csv: expected labelled intervals after the header, received none/);
  });
});

describe("npy shapes", () => {
  const rows = Array.from({ length: 39 }, (_, i) => [i % 128, 3, i % 2, i]);
  const write = (shape: string) => {
    const b = npyFile(rows);
    const hlen = b.readUInt16LE(8);
    const h = b.subarray(10, 10 + hlen).toString("latin1").replace("(39, 4)", shape);
    const hb = Buffer.from(h.length < hlen ? h.padEnd(hlen - 1) + "\n" : h, "latin1");
    const head = Buffer.from(b.subarray(0, 10));
    head.writeUInt16LE(hb.length, 8);
    const path = join(tmp(), "0.npy");
    writeFileSync(path, Buffer.concat([head, hb, b.subarray(10 + hlen)]));
    return path;
  };
  it.each([
    ["(-3, 4)", /0\.npy: expected a \.npy shape of non-negative integers, received \(-3, 4\)/],
    ["(#9, 4)", /0\.npy: expected a \.npy shape of non-negative integers, received \(#9, 4\)/],
    ["(38, 4)", /0\.npy: expected 1216 data bytes for shape \(38, 4\), received 1248: the file holds more than its header declares/],
  ])("shape %s", (shape, msg) => {
    expect(() => readNpy(write(shape))).toThrow(msg);
  });
});

describe("cache", () => {
  function shdRoot(): string {
    const root = tmp();
    copyFileSync(join(FIXTURES, "shd_tiny.h5"), join(root, "shd_train.h5"));
    return root;
  }

  /** Rewrites one u32 of the cache index and recomputes the header CRC, so only semantic checks remain. */
  function patchIndex(path: string, array: number, sample: number, value: number): void {
    const b = readFileSync(path);
    const jsonLen = b.readUInt32LE(8);
    const n = JSON.parse(b.toString("utf8", 16, 16 + jsonLen)).count;
    const indexStart = (16 + jsonLen + 7) & ~7;
    b.writeUInt32LE(value >>> 0, indexStart + 4 * n * array + 4 * sample);
    const offsetsStart = (indexStart + 20 * n + 7) & ~7;
    b.writeUInt32LE(crc32(b.subarray(16, offsetsStart + 8 * (n + 1))) >>> 0, 12);
    writeFileSync(path, b);
  }

  it("a label beyond the class count, hidden behind recomputed CRCs, makes the cache rebuild", async () => {
    const root = shdRoot();
    const ds = await openDataset({ name: "shd", root, split: "train", onWarning: () => {} });
    const want = Array.from(ds.labels);
    const path = ds.cachePath;
    await ds.close();
    patchIndex(path, 0, 1, 99);
    const warnings: string[] = [];
    const again = await openDataset({ name: "shd", root, split: "train", onWarning: (m) => warnings.push(m) });
    expect(warnings.join()).toMatch(/rebuilding the cache \(sample 1: label 99, expected -1 \(skipped\) or a class below 20 \(corrupt\)\)/);
    expect(Array.from(again.labels)).toEqual(want);
    await again.close();
  });

  it("nnz = 2^30 makes the cache rebuild instead of a RangeError", async () => {
    const root = shdRoot();
    const ds = await openDataset({ name: "shd", root, split: "train", onWarning: () => {} });
    const path = ds.cachePath;
    await ds.close();
    patchIndex(path, 2, 0, 2 ** 30);
    const warnings: string[] = [];
    const again = await openDataset({ name: "shd", root, split: "train", onWarning: (m) => warnings.push(m) });
    expect(warnings.join()).toMatch(/rebuilding the cache \(sample 0: 1073741824 non-zeros/);
    await again.sample(0);
    await again.close();
  });

  it("temporary files of dead builds are removed, a live one's kept", () => {
    const dir = tmp();
    const path = join(dir, "shd-train-0123.exocache");
    const dead = spawnSync(process.execPath, ["-e", "process.stdout.write(String(process.pid))"], { encoding: "utf8" }).stdout;
    writeFileSync(`${path}.tmp-${dead}-1`, "x");
    writeFileSync(`${path}.tmp-${process.pid}-2`, "x");
    writeFileSync(join(dir, `shd-test-4567.exocache.tmp-${dead}-3`), "x"); // another cache's debris
    removeStaleTemps(path);
    expect(readdirSync(dir).sort()).toEqual([`shd-train-0123.exocache.tmp-${process.pid}-2`]);
  });

  it("two processes opening one data set build its cache once", async () => {
    const root = shdRoot();
    const loader = join(ROOT, "dist", "lib", "data", "loader.js");
    const script = `import("${loader}").then(async (m) => {
      let built = false;
      const ds = await m.openDataset({ name: "shd", root: process.argv[1], split: "train", onProgress: () => (built = true), onWarning: () => {} });
      console.log(JSON.stringify({ built, size: ds.size })); await ds.close(); })`;
    const run = () =>
      new Promise<string>((res, rej) => {
        const c = spawn(process.execPath, ["-e", script, root]);
        let out = "";
        c.stdout.on("data", (d) => (out += d));
        c.on("exit", (code) => (code === 0 ? res(out) : rej(new Error(`child exited ${code}`))));
      });
    const outs = (await Promise.all([run(), run(), run()])).map((o) => JSON.parse(o));
    expect(outs.filter((o) => o.built).length).toBe(1);
    expect(outs.every((o) => o.size === 7)).toBe(true);
    expect(readdirSync(defaultCacheDir()).filter((f) => !f.endsWith(".exocache"))).toEqual([]); // no temporary or lock file left
  });
});

describe("empty splits", () => {
  it("a DVS Gesture split whose recordings hold no events in any interval is refused, not trained on", async () => {
    const dir = join(tmp(), "DvsGesture");
    mkdirSync(dir);
    const ev = randomEvents(new Rng(2), 50, 1_000_000);
    writeFileSync(join(dir, "user01_lab.aedat"), aedat3File([aedat3Packet(ev)]));
    writeFileSync(join(dir, "user01_lab_labels.csv"), "class,startTime_usec,endTime_usec\n1,5000000,6000000\n");
    writeFileSync(join(dir, "trials_to_train.txt"), "user01_lab.aedat\n");
    const e = await rejected(openDataset({ name: "dvs-gesture", root: dir, split: "train", onWarning: () => {} }));
    expect(e).toBeInstanceOf(ExodusError);
    expect(e.message).toMatch(/dvs-gesture train split in .*DvsGesture: expected samples to train or evaluate on, received 1, all without events/);
    expect(existsSync(defaultCacheDir())).toBe(true);
  });
});
