// Training-step benchmark, side by side in one run (docs/performance.md):
//   shd      the SHD step (T 250, B 128) at 1 and 2 threads, interleaved, as the machine is and
//            with two competing busy processes, and PyTorch autograd BPTT of the same network;
//   ssc      the SSC step (same network, 35 classes) at 2 threads against PyTorch at 1 thread;
//   dvs      the DVS Gesture step per sample (B 16, T 300, 1 % input events) with peak RSS, in a
//            child process of its own;
//   sweep    the sparse and dense Linear/Conv2d products over spike densities (the crossover);
//   tb       the SHD step over T and over B (cost should grow linearly in both).
// Every figure carries the load average it was taken under. Writes benchmarks/results/<out>.
//
//   node dist/benchmarks/step/bench.js [--only shd,dvs,sweep] [--reps 7] [--out step-cpu.json] [--no-torch]
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { cpus, loadavg } from "node:os";
import { dirname, isAbsolute, join, resolve } from "node:path";
import { packageRoot } from "../../lib/native.js";
import { densitySweep } from "./sweep.js";
import { type StepTiming, timeStep } from "./step.js";

const args = process.argv.slice(2);
const value = (name: string, def: string) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : def;
};
const only = new Set(value("only", "shd,ssc,dvs,sweep,tb").split(","));
const reps = Number(value("reps", "7"));
const root = packageRoot();
// A bare name goes to benchmarks/results/; a path is taken as given. An existing file is never
// overwritten (committed results are kept): checked before anything runs.
const name = value("out", `step-cpu-${new Date().toISOString().slice(0, 16).replace(/[:T]/g, "")}.json`);
const out = isAbsolute(name) || name.includes("/") ? resolve(name) : join(root, "benchmarks/results", name);
if (existsSync(out)) {
  console.error(`bench: ${out} exists; results are never overwritten: pass another --out`);
  process.exit(1);
}
const results: Record<string, unknown> = {
  date: new Date().toISOString(), cpu: cpus()[0]?.model, cores: cpus().length, loadavgAtStart: loadavg(),
  note: "a shared machine: read every figure with the load average recorded next to it",
};

/** Competing busy processes (one per core) for the `loaded` figures; returns a stop function. */
function busy(n: number): () => void {
  const kids: ChildProcess[] = [];
  for (let i = 0; i < n; i++) kids.push(spawn(process.execPath, ["-e", "for(;;){}"], { stdio: "ignore" }));
  return () => kids.forEach((k) => k.kill("SIGKILL"));
}

function shd(loaded: boolean): Record<string, StepTiming> {
  const stop = loaded ? busy(cpus().length) : () => {};
  try {
    // Interleaved, so that a change in the machine's load hits both thread counts alike.
    const one: number[] = [], two: number[] = [];
    let last: Record<string, StepTiming> = {};
    for (let r = 0; r < 3; r++)
      for (const threads of [1, 2]) {
        const t = timeStep(join(root, "configs/shd.yaml"), { T: 250, B: 128, density: 0.1, reps: Math.max(1, Math.floor(reps / 3)), threads });
        (threads === 1 ? one : two).push(t.median);
        last[`threads${threads}`] = t;
      }
    const med = (v: number[]) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)];
    last = Object.fromEntries(Object.entries(last).map(([k, t]) => [k, { ...t, median: med(k === "threads1" ? one : two), rounds: k === "threads1" ? one : two }]));
    return last;
  } finally {
    stop();
  }
}

function torchPeer(threads: number, classes = 20): unknown {
  const r = spawnSync("/usr/bin/python3", [join(root, "benchmarks/peers/torch_shd_step.py"), "--threads", String(threads), "--repeats", "2", "--classes", String(classes)], {
    encoding: "utf8", env: { ...process.env, GLIBC_TUNABLES: "glibc.malloc.mmap_max=0:glibc.malloc.trim_threshold=1099511627776" },
  });
  if (r.status !== 0) return { skipped: (r.stderr || r.error?.message || "torch peer failed").trim().split("\n").pop() };
  return { ...JSON.parse(r.stdout.trim().split("\n").pop()!), loadavg: loadavg() };
}

if (only.has("shd")) {
  const quiet = shd(false);
  const loaded = shd(true);
  results.shd = { asIs: quiet, loadedWith2BusyProcesses: loaded };
  console.log(`SHD step, machine as is:   1 thread ${quiet.threads1.median.toFixed(3)} s, 2 threads ${quiet.threads2.median.toFixed(3)} s (load ${quiet.threads2.loadavg[0].toFixed(1)})`);
  console.log(`SHD step, + busy processes: 1 thread ${loaded.threads1.median.toFixed(3)} s, 2 threads ${loaded.threads2.median.toFixed(3)} s (load ${loaded.threads2.loadavg[0].toFixed(1)})`);
  if (!args.includes("--no-torch")) {
    const peers = [1, 2].map((t) => torchPeer(t)) as ({ step_ms?: number; threads?: number } & Record<string, unknown>)[];
    (results.shd as Record<string, unknown>).torch = peers;
    const best = Math.min(...peers.map((p) => p.step_ms ?? Infinity)) / 1000;
    const ours = Math.min(quiet.threads1.median, quiet.threads2.median);
    if (Number.isFinite(best)) {
      console.log(`  PyTorch BPTT best ${best.toFixed(2)} s (load ${loadavg()[0].toFixed(1)}) → exodus ${(best / ours).toFixed(1)}× faster`);
      (results.shd as Record<string, unknown>).ratioVsTorch = best / ours;
    }
  }
}

if (only.has("ssc")) {
  const ours = timeStep(join(root, "configs/ssc.yaml"), { T: 250, B: 128, density: 0.1, reps, threads: 2 });
  const peer = args.includes("--no-torch") ? undefined : (torchPeer(1, 35) as { step_ms?: number });
  results.ssc = { exodus: ours, torch: peer, ratioVsTorch: peer?.step_ms ? peer.step_ms / 1000 / ours.median : undefined };
  console.log(`SSC step: exodus ${ours.median.toFixed(3)} s (2 threads, load ${ours.loadavg[0].toFixed(1)})` +
    (peer?.step_ms ? `, PyTorch BPTT ${(peer.step_ms / 1000).toFixed(2)} s (1 thread, load ${loadavg()[0].toFixed(1)}) → ${(peer.step_ms / 1000 / ours.median).toFixed(1)}×` : ""));
}

/** One step timing in a child process of its own, so that its peak RSS is the step's. */
function childStep(config: string, T: number, B: number, density: number, reps: number): StepTiming {
  const r = spawnSync(process.execPath, [join(root, "dist/benchmarks/step/step.js"), "--config", join(root, config),
    "--B", String(B), "--T", String(T), "--density", String(density), "--reps", String(reps), "--threads", "2"], { encoding: "utf8" });
  if (r.status !== 0) throw new Error(`step child (${config}, T ${T}, B ${B}) failed: ${r.stderr}`);
  return JSON.parse(r.stdout.trim().split("\n").pop()!) as StepTiming;
}

if (only.has("dvs")) {
  const t = childStep("configs/dvs-gesture.yaml", 300, 16, 0.01, 2);
  results.dvs = { ...t, secondsPerSample: t.median / t.B };
  console.log(`DVS Gesture step: ${(t.median / t.B).toFixed(3)} s/sample (B ${t.B}, T ${t.T}; min ${(t.min / t.B).toFixed(3)}, max ${(t.max / t.B).toFixed(3)}), peak RSS ${t.peakRssMiB.toFixed(0)} MiB (load ${t.loadavg[0].toFixed(1)})`);
}

if (only.has("sweep")) results.sweep = densitySweep();

if (only.has("tb")) {
  const run = (T: number, B: number) => {
    const t = childStep("configs/shd.yaml", T, B, 0.1, 3);
    console.log(`SHD step T ${String(T).padStart(4)} B ${String(B).padStart(4)}: ${(t.median * 1000).toFixed(0).padStart(5)} ms = ${((t.median / (T * B)) * 1e6).toFixed(2)} µs per (step·sample), peak RSS ${t.peakRssMiB.toFixed(0)} MiB (load ${t.loadavg[0].toFixed(1)})`);
    return t;
  };
  results.tSweep = [125, 250, 500].map((T) => run(T, 128));
  results.bSweep = [32, 64, 256].map((B) => run(250, B));
}

mkdirSync(dirname(out), { recursive: true });
writeFileSync(out, `${JSON.stringify(results, null, 2)}\n`);
console.log(`wrote ${out}`);
