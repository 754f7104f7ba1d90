// Data-pipeline throughput: events/s of each format reader and of binning, and batches/s of the
// cached loader, as JSON on stdout. Not a test. Synthetic files are written to a temp folder in
// the real formats; SHD/SSC HDF5 is generated with Debian's h5py when /usr/bin/python3 has it,
// else the committed fixture is read repeatedly (noted in the output).
//
//   node dist/benchmarks/data/bench.js [--out results.json]
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { cpus, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { readAedat2 } from "../../lib/data/aedat2.js";
import { readAedat3 } from "../../lib/data/aedat3.js";
import { AudioH5File } from "../../lib/data/h5.js";
import { openDataset } from "../../lib/data/loader.js";
import { readGestureNpy } from "../../lib/data/npy.js";
import { type TransformSpec, normalizeTransform, toSparseFrames, FrameScratch } from "../../lib/data/transforms.js";
import { Rng } from "../../lib/random.js";
import { packageRoot } from "../../lib/native.js";
import { aedat2File, aedat3File, aedat3Packet, npyFile, randomEvents } from "../../test/data/helpers.js";

function time<T>(fn: () => T, minMs = 300): { ms: number; result: T } {
  let result = fn(); // warm-up
  let n = 0;
  const t0 = performance.now();
  do {
    result = fn();
    n++;
  } while (performance.now() - t0 < minMs);
  return { ms: (performance.now() - t0) / n, result };
}

const rate = (events: number, ms: number) => Math.round(events / (ms / 1000));

async function main(): Promise<void> {
  const outArg = process.argv.indexOf("--out");
  const dir = mkdtempSync(join(tmpdir(), "exodus-bench-data-"));
  const rng = new Rng(1);
  const results: Record<string, unknown> = {};
  try {
    // ---- DVS readers: 1M events each --------------------------------------------------------------
    const N = 1_000_000;
    const ev = randomEvents(rng, N, 6_000_000);
    const packets = [];
    for (let i = 0; i < N; i += 8192) packets.push(aedat3Packet(ev.slice(i, i + 8192)));
    writeFileSync(join(dir, "a3.aedat"), aedat3File(packets));
    writeFileSync(join(dir, "a2.aedat"), aedat2File(ev));
    writeFileSync(join(dir, "g.npy"), npyFile(ev.map((e) => [e.x, e.y, e.p, e.t / 1000])));
    const r3 = time(() => readAedat3(join(dir, "a3.aedat")));
    const r2 = time(() => readAedat2(join(dir, "a2.aedat")));
    const rn = time(() => readGestureNpy(join(dir, "g.npy")));
    results.readers = {
      aedat3_events_per_s: rate(N, r3.ms),
      aedat2_events_per_s: rate(N, r2.ms),
      npy_events_per_s: rate(N, rn.ms),
    };

    // ---- SHD/SSC HDF5 -----------------------------------------------------------------------------
    const h5 = join(dir, "shd_train.h5");
    const py = spawnSync("/usr/bin/python3", ["-c", H5_GENERATOR, h5], { encoding: "utf8" });
    let h5Note = "synthetic 2000 rows × ~8000 spikes (h5py)";
    let h5Path = h5;
    if (py.status !== 0) {
      h5Path = join(packageRoot(), "test", "fixtures", "data", "shd_tiny.h5");
      h5Note = "h5py unavailable: the 8-row fixture, read repeatedly (wasm call overhead dominates)";
    }
    const f = await AudioH5File.open(h5Path);
    const rh = time(() => {
      let n = 0;
      for (let r = 0; r < f.count; r += 256) for (const e of f.readRows(r, Math.min(256, f.count - r))) n += e.t.length;
      return n;
    });
    const shdEvents = rh.result;
    const shdRows = f.count;
    f.close();
    results.h5 = { events_per_s: rate(shdEvents, rh.ms), rows: shdRows, events: shdEvents, note: h5Note };

    // ---- binning -------------------------------------------------------------------------------------
    const dvs = readAedat3(join(dir, "a3.aedat"));
    const sensor = { width: 128, height: 128, polarities: 2 };
    const scratch = new FrameScratch();
    const modes: Record<string, TransformSpec> = {
      gesture_fixed_5ms_300_downsample: { downsample: { spatial: 0.5 }, frame: { mode: "fixed", binUs: 5000, steps: 300 } },
      cifar_time_bins_8: { frame: { mode: "timeBins", nTimeBins: 8 } },
      time_window_10ms_overlap_5ms: { frame: { mode: "timeWindow", timeWindow: 10000, overlap: 5000 } },
      event_count_10000: { frame: { mode: "eventCount", eventCount: 10000 } },
    };
    const binning: Record<string, number> = {};
    for (const [name, spec] of Object.entries(modes)) {
      const s = normalizeTransform(spec);
      binning[`${name}_events_per_s`] = rate(N, time(() => toSparseFrames(dvs, sensor, s, scratch)).ms);
    }
    results.binning = binning;

    // ---- cached loader: DVS Gesture-shaped batches [300, 16, 2, 64, 64] --------------------------------
    const root = join(dir, "gesture");
    for (let u = 0; u < 4; u++) {
      const ud = join(root, "ibmGestureTrain", `user0${u + 1}_lab`);
      mkdirSync(ud, { recursive: true });
      for (let c = 0; c < 11; c++) writeFileSync(join(ud, `${c}.npy`), npyFile(randomEvents(rng, 100_000, 1_500_000).map((e) => [e.x, e.y, e.p, e.t / 1000])));
    }
    const t0 = performance.now();
    const ds = await openDataset({ name: "dvs-gesture", root, split: "train" });
    const buildMs = performance.now() - t0;
    // Throughput alone, then the trainer's view: each step blocks the main thread for 200 ms (as a
    // device sync does) and we time how long it then waits for the next batch.
    const loaderRuns: Record<string, { batches_per_s: number; samples_per_s: number; wait_ms_per_batch_with_200ms_blocking_step: number }> = {};
    for (const workers of [0, 1]) {
      let batches = 0;
      let samples = 0;
      const t1 = performance.now();
      for (let epoch = 0; epoch < 2; epoch++)
        for await (const b of ds.batches({ batchSize: 16, shuffle: true, seed: epoch, device: "cpu", workers })) {
          batches++;
          samples += b.indices.length;
        }
      const s = (performance.now() - t1) / 1000;
      let waited = 0;
      let steps = 0;
      const it = ds.batches({ batchSize: 16, shuffle: true, seed: 9, device: "cpu", workers, dropLast: true })[Symbol.asyncIterator]();
      for (;;) {
        const w0 = performance.now();
        const r = await it.next();
        if (steps > 0) waited += performance.now() - w0; // the first batch has nothing to overlap with
        if (r.done) break;
        steps++;
        const busy = performance.now() + 200;
        while (performance.now() < busy); // a blocking training step
      }
      loaderRuns[`workers_${workers}`] = {
        batches_per_s: +(batches / s).toFixed(2),
        samples_per_s: Math.round(samples / s),
        wait_ms_per_batch_with_200ms_blocking_step: Math.round(waited / Math.max(1, steps - 1)),
      };
    }
    await ds.close();
    results.loader = {
      samples: ds.size,
      cache_build_samples_per_s: Math.round(ds.size / (buildMs / 1000)),
      batch_shape: [300, 16, 2, 64, 64],
      ...loaderRuns,
      note: "paper: DVS Gesture B=16, T=300 forward+backward ≈ 0.24 s per batch on a GTX 1080 Ti (EXODUS) → ≈ 4 batches/s needed",
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const out = { benchmark: "data", machine: { cpu: cpus()[0]?.model, cores: cpus().length, node: process.version, load_average_1m: +loadavg()[0].toFixed(2) }, date: new Date().toISOString(), ...results };
  const json = JSON.stringify(out, null, 2);
  if (outArg > 0) writeFileSync(process.argv[outArg + 1], json + "\n");
  console.log(json);
}

const H5_GENERATOR = `
import sys, h5py, numpy as np
rng = np.random.default_rng(0)
n = 2000
with h5py.File(sys.argv[1], "w") as f:
    t = f.create_dataset("spikes/times", (n,), dtype=h5py.vlen_dtype(np.dtype("float16")))
    u = f.create_dataset("spikes/units", (n,), dtype=h5py.vlen_dtype(np.dtype("uint16")))
    for i in range(n):
        k = int(rng.integers(6000, 10000))
        t[i] = np.sort(rng.uniform(0, 1.4, k)).astype(np.float16)
        u[i] = rng.integers(0, 700, k).astype(np.uint16)
    f.create_dataset("labels", data=rng.integers(0, 20, n).astype(np.uint16))
`;

main().catch((e) => {
  console.error(e);
  process.exitCode = 1;
});
