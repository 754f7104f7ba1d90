// Data-parallel training (lib/dist/, cuda/comm/mpi.cc): `mpirun -np 2` end to end on the built-in
// task and on the SHD-format fixture, against one process with the same global batches; resume
// across rank counts; SIGTERM on one rank; a hung rank; and the addon without MPI. The mpirun
// tests skip, saying why, where Open MPI is not installed.
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { native } from "../../lib/native.js";
import { detectLaunch } from "../../lib/dist/launch.js";
import { shardOf, shardRange } from "../../lib/dist/shard.js";
import { tinyShdRun, tmp } from "../data/helpers.js";
import { ROOT, compareWeights, metricsOf, mpiMissing, rankPids, trainBackground, trainRun, weightsOf } from "./helpers.js";

const missing = mpiMissing();
if (missing) console.warn(`test/dist/mpi.test.ts: skipping the mpirun tests: ${missing}`);
const withMpi = missing ? it.skip : it;

// Float32 rounding: one process sums a batch's gradient inside one GEMM, two ranks sum two halves
// and add them (weighted by their sizes), so the bits differ; over a few Adam steps the weights
// stay within a few ulps of weights of size ~1 (measured: 3e-8 after 6 steps).
const TOL = 2e-5;

describe("shards and launch variables", () => {
  it("split every batch into contiguous shares in the global order, covering it once", () => {
    for (const B of [1, 2, 5, 32, 33])
      for (const N of [1, 2, 3, 8]) {
        const idx = Int32Array.from({ length: B }, (_, i) => 100 + i);
        const parts = Array.from({ length: N }, (_, r) => Array.from(shardOf(idx, { rank: r, size: N })));
        expect(parts.flat()).toEqual(Array.from(idx));
        const sizes = parts.map((p) => p.length);
        expect(Math.max(...sizes) - Math.min(...sizes)).toBeLessThanOrEqual(1);
        expect(shardRange(B, { rank: N - 1, size: N })[1]).toBe(B);
      }
  });

  it("reads Open MPI, MPICH and Slurm variables; a job of one trains alone", () => {
    expect(detectLaunch({})).toBeUndefined();
    expect(detectLaunch({ OMPI_COMM_WORLD_SIZE: "1", OMPI_COMM_WORLD_RANK: "0" })).toBeUndefined();
    expect(detectLaunch({ OMPI_COMM_WORLD_SIZE: "4", OMPI_COMM_WORLD_RANK: "3", OMPI_COMM_WORLD_LOCAL_RANK: "1" })).toMatchObject({ rank: 3, size: 4, localRank: 1 });
    expect(detectLaunch({ PMI_SIZE: "2", PMI_RANK: "1" })).toMatchObject({ rank: 1, size: 2, localRank: 0, launcher: "mpirun (MPICH/Hydra)" });
    expect(detectLaunch({ SLURM_NTASKS: "16", SLURM_PROCID: "5", SLURM_LOCALID: "1" })).toMatchObject({ rank: 5, size: 16, localRank: 1, launcher: "srun" });
    expect(() => detectLaunch({ SLURM_NTASKS: "2", SLURM_PROCID: "2" })).toThrow(/SLURM_PROCID: expected a rank below SLURM_NTASKS=2, received 2/);
    expect(() => detectLaunch({ OMPI_COMM_WORLD_SIZE: "two", OMPI_COMM_WORLD_RANK: "0" })).toThrow(/OMPI_COMM_WORLD_SIZE: expected an integer >= 1 from the launcher, received "two"/);
  });
});

describe("without MPI", () => {
  it("the addon has no link-time dependency on libmpi or libnccl", () => {
    const addon = process.env.EXODUS_ADDON ?? join(ROOT, "build", "Release", "exodus.node");
    const r = spawnSync("readelf", ["-d", addon], { encoding: "utf8" });
    if (r.status !== 0) return; // no binutils: the /proc/maps check below still runs
    const needed = r.stdout.split("\n").filter((l) => l.includes("(NEEDED)"));
    expect(needed.length).toBeGreaterThan(0);
    expect(needed.join("\n")).not.toMatch(/mpi|nccl/i);
  });

  it("a process without a launcher trains without ever loading libmpi", () => {
    const out = join(tmp("exodus-dist-alone-"), "run");
    const code = `const { train } = await import(${JSON.stringify(join(ROOT, "dist/lib/train/trainer.js"))});
const { loadConfig } = await import(${JSON.stringify(join(ROOT, "dist/lib/train/config.js"))});
const { Progress } = await import(${JSON.stringify(join(ROOT, "dist/lib/train/progress.js"))});
const cfg = loadConfig(${JSON.stringify(join(ROOT, "configs/synthetic.yaml"))}, { epochs: 1, limitBatches: 2, output: ${JSON.stringify(out)}, device: "cpu" });
await train({ config: cfg, progress: new Progress(process.stderr, true) });
const maps = (await import("node:fs")).readFileSync("/proc/self/maps", "utf8");
console.log(JSON.stringify({ mpi: /libmpi|libnccl/.test(maps) }));`;
    const env = { ...process.env };
    for (const k of Object.keys(env)) if (/^(OMPI_|PMI_|PMIX_|SLURM_)/.test(k)) delete env[k];
    const r = spawnSync(process.execPath, ["--input-type=module", "-e", code], { encoding: "utf8", env, timeout: 60_000 });
    expect(r.stderr).toBe("");
    expect(JSON.parse(r.stdout.trim().split("\n").at(-1)!)).toEqual({ mpi: false });
  });

  it("asking for a missing MPI library is an error naming it and what to install", () => {
    expect(() => native().mpiInit({ library: "/nonexistent/libmpi.so.40" })).toThrow(/no MPI library could be loaded; tried:\n {2}\/nonexistent\/libmpi\.so\.40: .*\ninstall Open MPI or MPICH/);
    expect(() => native().mpiAllgather({ data: new Float64Array(2), timeoutS: 1 })).toThrow(/MPI is not initialised/);
  });
});

describe("the native exchange, one rank", () => {
  withMpi("sums in buckets exactly, and rejects wrong arguments naming them", () => {
    // A child process (MPI may be initialised once per process, and never in the test runner).
    const code = `const { native } = await import(${JSON.stringify(join(ROOT, "dist/lib/native.js"))});
const { Tensor } = await import(${JSON.stringify(join(ROOT, "dist/lib/tensor.js"))});
const a = native();
const info = a.mpiInit({});
const n = 10007;
const x = Float32Array.from({ length: n }, (_, i) => Math.sin(i) * 3);
const out = {};
for (const ordered of [true, false]) {
  const t = Tensor.from(x, [n]);
  const bytes = a.mpiWeightedSum({ x: t, n, weights: new Float64Array([0.25]), ordered, bucket: 999, timeoutS: 30 });
  const y = t.toArray();
  out[ordered ? "ordered" : "allreduce"] = { bytes, exact: y.every((v, i) => v === Math.fround(0.25 * x[i])) };
}
const errors = [];
for (const o of [{ weights: new Float64Array(2) }, { bucket: 0 }, { timeoutS: 0 }, { n: n + 1 }])
  try { a.mpiWeightedSum({ x: Tensor.from(x, [n]), n, weights: new Float64Array([1]), ordered: true, bucket: 64, timeoutS: 5, ...o }); } catch (e) { errors.push(e.message); }
const g = a.mpiAllgather({ data: new Float64Array([1.5, -2]), timeoutS: 5 });
a.mpiFinalize({});
console.log(JSON.stringify({ info, out, errors, gathered: Array.from(g) }));`;
    const env = { ...process.env, OMPI_ALLOW_RUN_AS_ROOT: "1", OMPI_ALLOW_RUN_AS_ROOT_CONFIRM: "1" };
    const r = spawnSync(process.execPath, ["--input-type=module", "-e", code], { encoding: "utf8", env, timeout: 60_000 });
    const res = JSON.parse(r.stdout.trim().split("\n").at(-1)!);
    expect(res.info).toMatchObject({ rank: 0, size: 1, implementation: "Open MPI" });
    expect(res.out).toEqual({ ordered: { bytes: 0, exact: true }, allreduce: { bytes: 0, exact: true } });
    expect(res.gathered).toEqual([1.5, -2]);
    expect(res.errors).toHaveLength(4);
    expect(res.errors[0]).toMatch(/mpiWeightedSum: weights must hold one weight per rank \(1\), received 2/);
    expect(res.errors[1]).toMatch(/mpiWeightedSum: bucket must be > 0/);
    expect(res.errors[2]).toMatch(/mpiWeightedSum: timeoutS must be a number of seconds > 0/);
    expect(res.errors[3]).toMatch(/mpiWeightedSum: x: view of 10008 elements at offset 0 exceeds its buffer of 10007/);
  }, 60_000);
});

/** A long 2-rank run in the background, once rank 0 reports progress, with its ranks' pids. */
async function longJobUnderWay(out: string, timeoutS: string) {
  const child = trainBackground(2, ["--epochs", "200", "--limit-batches", "40", "--batch-size", "16", "--set", "device=cpu", "--out", out], { EXODUS_DIST_TIMEOUT: timeoutS });
  let text = "";
  child.stderr!.on("data", (d) => (text += d));
  child.stdout!.on("data", (d) => (text += d));
  const exited = new Promise<number | null>((res) => child.on("exit", (code) => res(code)));
  const t0 = Date.now();
  while (!/epoch 1\/200 batch \d+/.test(text) && Date.now() - t0 < 60_000) await new Promise((r) => setTimeout(r, 100));
  const pids = rankPids(child.pid!);
  expect(pids.size).toBe(2);
  return { child, pids, exited, output: () => text };
}

describe("mpirun -np 2", () => {
  withMpi("the built-in task: the same global batches give one process's metrics and weights (uneven shards included)", () => {
    const dir = tmp("exodus-dist-synth-");
    // Batch 25: shards of 12 and 13 samples.
    const args = (out: string) => ["--epochs", "2", "--limit-batches", "5", "--batch-size", "25", "--set", "model.hidden=[32]", "--set", "device=cpu", "--out", join(dir, out)];
    const one = trainRun(1, args("one"));
    expect(one.status, one.stderr).toBe(0);
    const two = trainRun(2, args("two"));
    expect(two.status, two.stderr).toBe(0);
    expect(two.stderr).toMatch(/data-parallel: rank 0 of 2 \(mpirun \(Open MPI\)\), Open MPI/);
    expect(two.stderr).toMatch(/weights bit-identical on 2 ranks \(hash 0x[0-9a-f]{8}\)/);
    // Rank 1 reports nothing: one progress stream, one summary.
    expect(two.stderr.match(/^done: /gm)?.length).toBe(1);
    const [m1, m2] = [metricsOf(join(dir, "one")), metricsOf(join(dir, "two"))];
    expect(m2.length).toBe(2);
    for (let e = 0; e < 2; e++) {
      expect(m2[e].train.samples).toBe(m1[e].train.samples);
      expect(m2[e].eval!.samples).toBe(m1[e].eval!.samples);
      expect(m2[e].train.loss).toBeCloseTo(m1[e].train.loss, 4);
      expect(m2[e].eval!.loss).toBeCloseTo(m1[e].eval!.loss, 4);
      expect(m2[e].dist).toMatchObject({ ranks: 2 });
      expect(m2[e].dist!.bytesPerStep).toBeGreaterThan(0);
    }
    const c = compareWeights(weightsOf(join(dir, "one")), weightsOf(join(dir, "two")));
    expect(c.scale).toBeGreaterThan(0.05); // real weights, not zeros
    expect(c.maxAbs).toBeLessThan(TOL);
    // The rank-order sum is reproducible and independent of the bucketing: a second 2-rank run
    // with the gradient in 777-float buckets (pipelined over many messages) gives the same bits.
    const again = trainRun(2, args("again"), { EXODUS_DIST_BUCKET: "777" });
    expect(again.status, again.stderr).toBe(0);
    expect(compareWeights(weightsOf(join(dir, "two")), weightsOf(join(dir, "again"))).identical).toBe(true);
    // MPI_Allreduce instead: MPI's summation order, within rounding of the one-process run.
    const allreduce = trainRun(2, args("allreduce"), { EXODUS_DIST_REDUCE: "allreduce" });
    expect(allreduce.status, allreduce.stderr).toBe(0);
    expect(allreduce.stderr).toMatch(/MPI_Allreduce/);
    expect(compareWeights(weightsOf(join(dir, "one")), weightsOf(join(dir, "allreduce"))).maxAbs).toBeLessThan(TOL);
  }, 180_000);

  withMpi("the SHD-format fixture through the loader and its cache, with a last batch that leaves one rank empty", () => {
    // The fixture holds 7 samples (checked below; evaluated on test, so all 7 train): batches of 3
    // leave a last batch of 1, which rank 0 has no share of.
    const { root, dir, cfg } = tinyShdRun("exodus-dist-shd-", "batchSize: 3, seed: 3, epochs: 2", "device: cpu\n");
    const args = (out: string) => [cfg, "--data-root", root, "--out", join(dir, out)];
    const one = trainRun(1, args("one"));
    expect(one.status, one.stderr).toBe(0);
    const two = trainRun(2, args("two"));
    expect(two.status, two.stderr).toBe(0);
    const [m1, m2] = [metricsOf(join(dir, "one")), metricsOf(join(dir, "two"))];
    expect(m1[0].train.samples % 3).not.toBe(0);
    expect(m2.map((m) => [m.step, m.train.samples, m.eval!.samples])).toEqual(m1.map((m) => [m.step, m.train.samples, m.eval!.samples]));
    for (let e = 0; e < 2; e++) expect(m2[e].train.loss).toBeCloseTo(m1[e].train.loss, 4);
    const c = compareWeights(weightsOf(join(dir, "one")), weightsOf(join(dir, "two")));
    expect(c.scale).toBeGreaterThan(0.05);
    expect(c.maxAbs).toBeLessThan(TOL);
  }, 180_000);

  withMpi("batch norm and dropout: per-rank masks and statistics, the same weights and running statistics on every rank", () => {
    const dir = tmp("exodus-dist-bn-");
    const out = join(dir, "run");
    const cfg = join(dir, "bn.yaml");
    writeFileSync(cfg, "dataset: {name: synthetic}\nmodel: {layers: [{linear: {out: 32}}, {batchnorm: {}}, {lif: {}}, {dropout: 0.3}, {linear: {}}]}\n" +
      "train: {epochs: 2, limitBatches: 4, batchSize: 32, seed: 5}\ndevice: cpu\n");
    const r = trainRun(2, [cfg, "--out", out]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr.match(/weights bit-identical on 2 ranks/g)?.length).toBe(2);
    const w = weightsOf(out);
    const mean = [...w].find(([k]) => /running_mean/.test(k));
    expect(mean, [...w.keys()].join(", ")).toBeDefined();
    expect(mean![1].some((v) => v !== 0)).toBe(true);
  }, 120_000);

  withMpi("resumes a one-process checkpoint on 2 ranks and a 2-rank checkpoint alone", () => {
    const dir = tmp("exodus-dist-resume-");
    const base = ["--limit-batches", "4", "--batch-size", "32", "--set", "model.hidden=[32]", "--set", "device=cpu"];
    const straight = trainRun(1, [...base, "--epochs", "3", "--out", join(dir, "straight")]);
    expect(straight.status, straight.stderr).toBe(0);
    for (const [first, second, name] of [[1, 2, "a"], [2, 1, "b"]] as const) {
      const out = join(dir, name);
      const r1 = trainRun(first, [...base, "--epochs", "1", "--out", out]);
      expect(r1.status, r1.stderr).toBe(0);
      const r2 = trainRun(second, [...base, "--epochs", "3", "--out", out, "--resume"]);
      expect(r2.status, r2.stderr).toBe(0);
      expect(r2.stderr).toMatch(/resuming .* at epoch 2, batch 0 \(step 4\)/);
      expect(metricsOf(out).map((m) => m.step)).toEqual([4, 8, 12]);
      expect(compareWeights(weightsOf(join(dir, "straight")), weightsOf(out)).maxAbs).toBeLessThan(TOL);
    }
  }, 240_000);

  withMpi("SIGTERM on one rank stops both after the same step, with a checkpoint to resume from", async () => {
    const out = join(tmp("exodus-dist-sigterm-"), "run");
    const job = await longJobUnderWay(out, "60");
    process.kill(job.pids.get(1)!, "SIGTERM"); // rank 1 only
    const code = await job.exited;
    const stderr = job.output();
    expect(code).not.toBe(0); // rank 1 exits 143
    // during a training step or, when the signal lands after an epoch's last batch, during evaluation
    expect(stderr).toMatch(/interrupted(: checkpoint saved in .* \(epoch \d+, batch \d+\)| during evaluation: checkpoint saved in \S+); continue with --resume/);
    expect(existsSync(join(out, "checkpoint.safetensors"))).toBe(true);
    const resumed = trainRun(1, ["--epochs", "1", "--limit-batches", "40", "--batch-size", "16", "--set", "device=cpu", "--out", out, "--resume"]);
    expect(resumed.stderr).toMatch(/resuming .* at epoch \d+, batch \d+/);
  }, 120_000);

  withMpi("a hung rank makes the other exit with a clear error within the timeout", async () => {
    const out = join(tmp("exodus-dist-hang-"), "run");
    const { pids, exited, output, child } = await longJobUnderWay(out, "3");
    process.kill(pids.get(1)!, "SIGSTOP"); // hangs without dying: no launcher notices
    const stopped = Date.now();
    const code = await Promise.race([exited, new Promise<string>((r) => setTimeout(() => r("still running"), 45_000))]);
    if (code === "still running") {
      process.kill(pids.get(1)!, "SIGKILL");
      child.kill("SIGKILL");
    }
    expect(code).not.toBe("still running");
    expect(code).not.toBe(0);
    expect(Date.now() - stopped).toBeLessThan(40_000);
    expect(output()).toMatch(/distributed: .* did not complete within 3 s: another rank died, hangs or is far behind/);
    try {
      process.kill(pids.get(1)!, 0);
      expect(readFileSync(`/proc/${pids.get(1)}/status`, "utf8")).toMatch(/State:\s+Z/); // at most a zombie
    } catch {
      // gone: mpirun killed it
    }
  }, 120_000);
});
