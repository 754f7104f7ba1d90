// Training-step benchmark, side by side in one run (docs/performance.md):
//   shd      the SHD step (T 250, B 128) at 1 and 2 threads and PyTorch autograd BPTT of the same
//            network at 1 and 2 threads, all four interleaved in each of three rounds;
//   loaded   the SHD step at 1 and 2 threads with two competing busy processes (no peer);
//   ssc      the SSC step (same network, 35 classes), exodus and the peer at 1 and 2 threads;
//   dvs      the DVS Gesture step per sample (B 16, T 300, 1 % input events) with peak RSS, in a
//            child process of its own;
//   sweep    the sparse and dense Linear/Conv2d products over spike densities (the crossover);
//   tb       the SHD step over T and over B (cost should grow linearly in both);
//   memory   peak RSS of exodus and of the peer at every benchmarked SHD shape, T swept to 10,000;
//   surrogates  the SHD step with the exponential, triangle and rectangle surrogates, interleaved
//            (not in the default set: --only surrogates).
// The peer is fair by construction (docs/benchmarks.md): glibc keeps freed memory for both sides,
// its BLAS is read from its process and named, and against the reference BLAS no ratio is printed.
// Every figure carries the load average it was taken under. Writes benchmarks/results/<out>.
//
//   node dist/benchmarks/step/bench.js [--only shd,loaded,ssc,dvs,sweep,tb,memory] [--reps 7]
//     [--out step-cpu.json] [--no-torch] [--paper-peer] [--surrogate triangle]
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { cpus, loadavg } from "node:os";
import { dirname, isAbsolute, join, resolve } from "node:path";
import { packageRoot } from "../../lib/native.js";
import { blasVerdict, ensureHeapEnv, handicappedPeer, heapConditions, type PeerBlas } from "../peer-conditions.js";
import { densitySweep } from "./sweep.js";
import { type StepTiming, timeStep } from "./step.js";

ensureHeapEnv();

const args = process.argv.slice(2);
const value = (name: string, def: string) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : def;
};
const only = new Set(value("only", "shd,loaded,ssc,dvs,sweep,tb,memory").split(","));
const surrogate = value("surrogate", "");
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
  memory: heapConditions(),
  surrogate: surrogate || "the config's (exponential)",
};
const say = (line: string) => console.log(line);

/** Competing busy processes (one per core) for the `loaded` figures; returns a stop function. */
function busy(n: number): () => void {
  const kids: ChildProcess[] = [];
  for (let i = 0; i < n; i++) kids.push(spawn(process.execPath, ["-e", "for(;;){}"], { stdio: "ignore" }));
  return () => kids.forEach((k) => k.kill("SIGKILL"));
}

const med = (v: number[]) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)];

interface Peer {
  peer: string;
  threads: number;
  step_ms: number;
  min_ms: number;
  max_ms: number;
  blas: PeerBlas;
  peakRssMiB: number | null;
  loadavg: number[];
}

/** One run of the PyTorch step peer (benchmarks/peers/torch_shd_step.py) in the bench's own allocator environment. */
function torchPeer(o: { threads: number; classes?: number; T?: number; B?: number; repeats?: number; paper?: boolean }): Peer | { skipped: string } {
  const a = [join(root, "benchmarks/peers/torch_shd_step.py"), "--threads", String(o.threads), "--repeats", String(o.repeats ?? 2), "--classes", String(o.classes ?? 20),
    "--T", String(o.T ?? 250), "--B", String(o.B ?? 128)];
  if (o.paper) a.push("--per-step-indexing");
  const r = spawnSync("/usr/bin/python3", a, { encoding: "utf8", env: process.env, maxBuffer: 16 << 20 });
  if (r.status !== 0) return { skipped: (r.stderr || r.error?.message || "torch peer failed").trim().split("\n").pop()! };
  return { ...JSON.parse(r.stdout.trim().split("\n").pop()!), loadavg: loadavg() };
}
const timed = (p: Peer | { skipped: string } | undefined): p is Peer => p !== undefined && "step_ms" in p;

/**
 * exodus and the peer at 1 and 2 threads, all four interleaved in each round (a change in the
 * machine's load hits all alike); medians over the rounds. Without --no-torch, the peer too.
 */
interface SideBySide {
  error?: string;
  exodus?: Record<string, StepTiming & { rounds: number[] }>;
  torch?: Record<string, Peer & { median: number; rounds: number[] }>;
  blas?: ReturnType<typeof blasVerdict>;
  blasLibraries?: string[];
  /** Why no ratio is given (the peer on the reference BLAS). */
  withheld?: string;
  ratioBestVsBest?: number;
  ratioSameThreads?: Record<number, number>;
  ratioPerRound?: number[];
}

function sideBySide(config: string, classes: number, B: number, rounds: number, withPeer: boolean): SideBySide {
  const ours: Record<number, number[]> = { 1: [], 2: [] };
  const theirs: Record<number, Peer[]> = { 1: [], 2: [] };
  const timings: Record<string, StepTiming> = {};
  for (let r = 0; r < rounds; r++)
    for (const threads of [1, 2]) {
      const t = timeStep(join(root, config), { T: 250, B, density: 0.1, reps: Math.max(1, Math.floor(reps / rounds)), threads, surrogate });
      ours[threads].push(t.median);
      timings[`threads${threads}`] = t;
      if (withPeer) {
        const p = torchPeer({ threads, classes, B });
        if (timed(p)) theirs[threads].push(p);
        else return { error: p.skipped };
      }
    }
  const exodus = Object.fromEntries([1, 2].map((n) => [`threads${n}`, { ...timings[`threads${n}`], median: med(ours[n]), rounds: ours[n] }])) as Record<string, StepTiming & { rounds: number[] }>;
  if (!withPeer) return { exodus };
  const peerMed = (n: number) => med(theirs[n].map((p) => p.step_ms)) / 1000;
  const torch = Object.fromEntries([1, 2].map((n) => [`threads${n}`, { ...theirs[n][theirs[n].length - 1], median: peerMed(n), rounds: theirs[n].map((p) => p.step_ms / 1000) }]));
  const blas = theirs[1][0].blas;
  const withheld = handicappedPeer(blas);
  const oursBest = Math.min(exodus.threads1.median, exodus.threads2.median);
  const peerBest = Math.min(peerMed(1), peerMed(2));
  // Ratio spread: every round's exodus best against every round's peer best.
  const roundBest = (a: number[], b: number[]) => a.map((v, i) => Math.min(v, b[i]));
  const eb = roundBest(ours[1], ours[2]), pb = roundBest(theirs[1].map((p) => p.step_ms / 1000), theirs[2].map((p) => p.step_ms / 1000));
  const perRound = eb.map((e, i) => pb[i] / e);
  return {
    exodus, torch, blas: blasVerdict(blas), blasLibraries: blas.libraries,
    ...(withheld
      ? { withheld }
      : {
          ratioBestVsBest: peerBest / oursBest,
          ratioSameThreads: { 1: peerMed(1) / exodus.threads1.median, 2: peerMed(2) / exodus.threads2.median },
          ratioPerRound: perRound,
        }),
  };
}

function reportSideBySide(name: string, r: SideBySide): void {
  if (r.error || !r.exodus) return say(`${name}: peer failed: ${r.error}`);
  const e = r.exodus;
  say(`${name} step, exodus: 1 thread ${e.threads1.median.toFixed(3)} s, 2 threads ${e.threads2.median.toFixed(3)} s (rounds ${e.threads2.rounds.map((v) => v.toFixed(3)).join(", ")}; load ${e.threads2.loadavg[0].toFixed(1)})`);
  if (!r.torch) return;
  const t = r.torch;
  say(`${name} step, PyTorch BPTT (${r.blas!.name}): 1 thread ${t.threads1.median.toFixed(3)} s, 2 threads ${t.threads2.median.toFixed(3)} s (load ${loadavg()[0].toFixed(1)})`);
  if (r.withheld) return say(`${name}: ${r.withheld}`);
  const pr = r.ratioPerRound!;
  say(`  → exodus ${r.ratioBestVsBest!.toFixed(1)}× the peer, each at its best thread count (rounds ${Math.min(...pr).toFixed(1)}–${Math.max(...pr).toFixed(1)}×); at the same threads: 1 → ${r.ratioSameThreads![1].toFixed(1)}×, 2 → ${r.ratioSameThreads![2].toFixed(1)}×`);
}

function shdLoaded(): Record<string, StepTiming> {
  const stop = busy(cpus().length);
  try {
    return sideBySide("configs/shd.yaml", 20, 128, 3, false).exodus!;
  } finally {
    stop();
  }
}

const withPeer = !args.includes("--no-torch");
if (only.has("shd")) {
  const r = sideBySide("configs/shd.yaml", 20, 128, 3, withPeer);
  results.shd = r;
  reportSideBySide("SHD", r);
  if (withPeer && args.includes("--paper-peer")) {
    // The paper's own baseline (sinabs-style x[t] per step): a second peer, named as such, never the headline.
    const p = torchPeer({ threads: 1 , paper: true });
    (results.shd as Record<string, unknown>).paperPeer = p;
    if (timed(p)) say(`  paper's baseline peer (x[t] per step, O(T²) backward), 1 thread: ${(p.step_ms / 1000).toFixed(2)} s`);
  }
}
if (only.has("loaded")) {
  const loaded = shdLoaded();
  results.shdLoadedWith2BusyProcesses = loaded;
  say(`SHD step, + busy processes: 1 thread ${loaded.threads1.median.toFixed(3)} s, 2 threads ${loaded.threads2.median.toFixed(3)} s (load ${loaded.threads2.loadavg[0].toFixed(1)})`);
}

if (only.has("ssc")) {
  const r = sideBySide("configs/ssc.yaml", 35, 128, 2, withPeer);
  results.ssc = r;
  reportSideBySide("SSC", r);
}

/** One step timing in a child process of its own, so that its peak RSS is the step's. */
function childStep(config: string, T: number, B: number, density: number, reps: number): StepTiming {
  const a = [join(root, "dist/benchmarks/step/step.js"), "--config", join(root, config),
    "--B", String(B), "--T", String(T), "--density", String(density), "--reps", String(reps), "--threads", "2"];
  if (surrogate) a.push("--surrogate", surrogate);
  const r = spawnSync(process.execPath, a, { encoding: "utf8" });
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

if (only.has("memory")) {
  // Peak RSS of exodus (a child process per shape, 2 threads) and of the peer (its own process, 1
  // thread: its best on a loaded machine; its memory barely depends on it) at the SHD shapes; T
  // swept to 10,000 at B 32: time and memory should be linear.
  const shapes: [number, number][] = [[250, 128], [2000, 32], [250, 32], [1000, 32], [2500, 32], [5000, 32], [10000, 32]];
  const rows = [];
  for (const [T, B] of shapes) {
    const e = childStep("configs/shd.yaml", T, B, 0.1, T >= 5000 ? 1 : 2);
    const p = withPeer ? torchPeer({ threads: 1, T, B, repeats: 1 }) : undefined;
    const row = { T, B, exodus: { seconds: e.median, peakRssMiB: e.peakRssMiB, loadavg: e.loadavg }, torch: timed(p) ? { seconds: p.step_ms / 1000, peakRssMiB: p.peakRssMiB, threads: p.threads, loadavg: p.loadavg } : p };
    rows.push(row);
    say(`SHD T ${String(T).padStart(5)} B ${String(B).padStart(3)}: exodus ${e.median.toFixed(3)} s, ${(1e6 * e.median / (T * B)).toFixed(2)} µs per step·sample, peak RSS ${e.peakRssMiB.toFixed(0)} MiB` +
      (timed(p) ? `; PyTorch ${(p.step_ms / 1000).toFixed(2)} s, peak RSS ${p.peakRssMiB?.toFixed(0)} MiB` : "") + ` (load ${loadavg()[0].toFixed(1)})`);
  }
  results.memory = rows;
}

if (only.has("surrogates")) {
  // Each round times every surrogate once (2 threads), so a change in load hits all alike.
  const names = ["exponential", "triangle", "rectangle"];
  const steps: Record<string, number[]> = Object.fromEntries(names.map((n) => [n, []]));
  for (let r = 0; r < 4; r++)
    for (const n of names) steps[n].push(timeStep(join(root, "configs/shd.yaml"), { T: 250, B: 128, density: 0.1, reps: 2, threads: 2, surrogate: n }).median);
  results.surrogates = Object.fromEntries(names.map((n) => [n, { median: med(steps[n]), rounds: steps[n] }]));
  say(`SHD step by surrogate (2 threads, medians of 4 interleaved rounds): ${names.map((n) => `${n} ${med(steps[n]).toFixed(3)} s [${Math.min(...steps[n]).toFixed(3)}–${Math.max(...steps[n]).toFixed(3)}]`).join(", ")} (load ${loadavg()[0].toFixed(1)})`);
}

results.loadavgAtEnd = loadavg();
mkdirSync(dirname(out), { recursive: true });
writeFileSync(out, `${JSON.stringify(results, null, 2)}\n`);
console.log(`wrote ${out}`);
