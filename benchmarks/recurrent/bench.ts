// The recurrent SHD training step (docs/performance.md, the recurrent SHD step): 100 inputs → 256
// recurrent LIF (or, with --neuron cubalif, recurrent CubaLIF with configs/shd-recurrent.yaml's τ) → 20, B 128, T 250, input spikes at
// SHD's density, max-over-time readout, one full step (forward, loss, backward, no optimiser).
// exodus (the fused scans), exodus's own BPTT tape and, with --peer, the PyTorch autograd BPTT peer
// of the same net (benchmarks/peers/torch_recurrent_step.py, OpenBLAS, at 1 and 2 threads, its
// best taken), interleaved in each round so that all see the same machine load; medians and the
// load average, and each step's CPU time (all threads; less moved by the load than the clock). Both sides run with glibc keeping freed memory (peer-conditions.ts). Peak memory:
// each exodus method once more alone in a child process (--only), the peer's own VmHWM.
//
// --surrogate triangle|rectangle gives the hidden layer (and the peer) a compact surrogate at its
// default width (exodus's: triangle 1, rectangle 0.5), whose backward needs Vᵀλ only inside the window.
//
//   node dist/benchmarks/recurrent/bench.js [--rounds 3] [--threads N] [--device cpu|cuda] [--neuron lif|cubalif]
//       [--surrogate exponential|triangle|rectangle] [--peer] [--out benchmarks/results/NAME.json] [--only exodus|bptt]
import { spawnSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { loadavg } from "node:os";
import { join } from "node:path";
import { parseDevice } from "../../lib/device.js";
import { native, packageRoot } from "../../lib/native.js";
import { Linear } from "../../lib/nn/linear.js";
import type { NeuronLayer } from "../../lib/nn/neuron.js";
import { RCubaLIF } from "../../lib/nn/rcuba.js";
import { RLIF } from "../../lib/nn/rlif.js";
import { Sequential } from "../../lib/nn/sequential.js";
import { Rng } from "../../lib/random.js";
import { Tensor, scope } from "../../lib/tensor.js";
import { readoutCrossEntropy } from "../../lib/train/loss.js";
import { HEAP_ENV, blasVerdict, ensureHeapEnv, handicappedPeer, heapConditions } from "../peer-conditions.js";
import { peakRssMiB } from "../step/step.js";

ensureHeapEnv();
const args = process.argv.slice(2);
const value = (name: string, def: string) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : def;
};
const rounds = Number(value("rounds", "3"));
const device = parseDevice(value("device", "cpu"));
const neuron = value("neuron", "lif") as "lif" | "cubalif";
if (neuron !== "lif" && neuron !== "cubalif") throw new Error(`--neuron: expected lif or cubalif, received ${neuron}`);
const surrogate = value("surrogate", "exponential") as "exponential" | "triangle" | "rectangle";
if (!["exponential", "triangle", "rectangle"].includes(surrogate))
  throw new Error(`--surrogate: expected exponential, triangle or rectangle, received ${surrogate}`);
if (args.includes("--threads")) native().setThreads({ threads: Number(value("threads", "1")) });
const T = 250, B = 128, IN = 100, H = 256, C = 20, DENSITY = 0.015;

const rng = new Rng(0);
const x = new Float32Array(T * B * IN);
for (let i = 0; i < x.length; i++) x[i] = rng.uniform() < DENSITY ? 1 : 0;
const labels = Int32Array.from({ length: B }, (_, b) => b % C);
const input = Tensor.from(x, [T, B, IN], device);

function net(backward: "exodus" | "bptt") {
  const r = new Rng(1);
  const rec = neuron === "lif" ? new RLIF({ size: H, tauMem: 30, rng: r, backward, device, surrogate })
    : new RCubaLIF({ size: H, tauMem: 5, tauSyn: 2.5, rng: r, backward, device, surrogate });
  // The first layer computes no ∂x, as in a training step (lib/train/model.ts) and in the peer,
  // whose input needs no gradient either.
  return new Sequential(new Linear(IN, H, { bias: false, rng: r, initScale: 3, inputGrad: false, device }), rec, new Linear(H, C, { bias: false, rng: r, device }));
}
const methods = (args.includes("--only") ? [value("only", "exodus")] : ["exodus", "bptt"]) as ("exodus" | "bptt")[];
const nets = { exodus: net("exodus"), bptt: net("bptt") };
const times: Record<string, number[]> = { exodus: [], bptt: [] };

// CPU time of each step too (user + system, all threads): under shared load it moves much less
// than the clock, so A/B comparisons on a busy machine read it alongside.
const cpuTimes: Record<string, number[]> = { exodus: [], bptt: [] };
const cpuNow = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};
function step(name: "exodus" | "bptt"): number {
  const n = nets[name];
  const t0 = performance.now(), c0 = cpuNow();
  scope(() => {
    n.zeroGrad();
    const y = n.forward(input);
    const r = readoutCrossEntropy("max", y, labels);
    n.backward(r.dy!);
    native().synchronize({ device: device.type === "cpu" ? 0 : 1, index: device.index });
  });
  cpuTimes[name].push(cpuNow() - c0);
  return performance.now() - t0;
}

interface Peer {
  threads: number;
  step_ms: number;
  peakRssMiB: number | null;
  blas: { info: string; libraries: string[] };
  hiddenSpikeRate: number;
}
/** One run of the PyTorch peer (its own median over --repeats steps after a warm-up). */
function peer(threads: number): Peer | { skipped: string } {
  const r = spawnSync("/usr/bin/python3", [join(packageRoot(), "benchmarks/peers/torch_recurrent_step.py"), "--threads", String(threads), "--repeats", "2",
    "--surrogate", surrogate],
    { encoding: "utf8", env: process.env, maxBuffer: 16 << 20 });
  if (r.status !== 0) return { skipped: (r.stderr || r.error?.message || "torch peer failed").trim().split("\n").pop()! };
  return JSON.parse(r.stdout.trim().split("\n").pop()!);
}
const withPeer = args.includes("--peer") && neuron === "lif";
const peers: Record<number, number[]> = { 1: [], 2: [] };
const peerRuns: (Peer | { skipped: string })[] = [];

for (const name of methods) step(name);
for (const name of methods) cpuTimes[name].length = 0; // the warm-up's
const load: number[][] = [];
for (let r = 0; r < rounds; r++) {
  for (const name of methods) {
    // An untimed step first in every round, as the peer's process takes one before its timed
    // steps: on this VM, memory a process left idle for seconds (while the peer ran) is slow to
    // touch again, up to 2× on the next step, and a fresh peer process never pays for that.
    step(name);
    cpuTimes[name].pop();
    times[name].push(step(name));
  }
  if (withPeer)
    for (const th of [1, 2]) {
      const p = peer(th);
      peerRuns.push(p);
      if ("step_ms" in p) peers[th].push(p.step_ms);
    }
  load.push(loadavg());
}
// The hidden layer's spike rate, to show the run is in a spiking regime.
// With a compact surrogate, also the share of the hidden layer's (t, b, i) inside the window
// |v − θ| < θ·width (θ = 1), where the backward needs Vᵀλ.
let windowShare: number | undefined;
const spikes = scope(() => {
  const hidden = nets.exodus.layers[1] as NeuronLayer;
  const s = hidden.forward((nets.exodus.layers[0] as Linear).forward(input)).toArray();
  // Not in the --only runs, whose peak memory the copy of v (32 MB) would raise.
  const v = surrogate !== "exponential" && methods.length > 1 ? hidden.membrane?.toArray() : undefined;
  if (v) {
    const w = surrogate === "triangle" ? 1 : 0.5;
    windowShare = v.reduce((n, x) => n + (Math.abs(x - 1) < w ? 1 : 0), 0) / v.length;
  }
  return s.reduce((a, b) => a + b, 0) / s.length;
});
const median = (a: number[]) => {
  const s = [...a].sort((p, q) => p - q), m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const spread = (a: number[]) => ({ min: Math.min(...a), max: Math.max(...a) });

/**
 * Each exodus method alone in a child process: its peak RSS, under glibc's default allocator
 * (freed memory returned to the OS), so that the peak is the live memory's, not what a kept heap
 * grew to.
 */
function alone(m: "exodus" | "bptt"): number | undefined {
  const a = [process.argv[1], "--only", m, "--rounds", "1", "--neuron", neuron, "--surrogate", surrogate, "--device", value("device", "cpu"), "--fresh-memory",
    ...(args.includes("--threads") ? ["--threads", value("threads", "1")] : [])];
  const env: Record<string, string | undefined> = { ...process.env };
  for (const k of Object.keys(HEAP_ENV)) delete env[k];
  const r = spawnSync(process.execPath, a, { encoding: "utf8", env });
  return r.status === 0 ? JSON.parse(r.stdout).peakRssMiB : undefined;
}

const out: Record<string, unknown> = {
  shape: { T, B, in: IN, hidden: H, classes: C, inputDensity: DENSITY, neuron, surrogate }, device: String(device), threads: native().info().cpuThreads,
  hiddenSpikeRate: spikes, hiddenWindowShare: windowShare, allocator: heapConditions(), loadavgPerRound: load,
  medianMs: Object.fromEntries(methods.map((m) => [m, median(times[m])])), spreadMs: Object.fromEntries(methods.map((m) => [m, spread(times[m])])), allMs: times,
  medianCpuMs: Object.fromEntries(methods.map((m) => [m, median(cpuTimes[m])])), allCpuMs: cpuTimes,
};
if (methods.length === 1) out.peakRssMiB = Math.round(peakRssMiB()); // VmHWM: getrusage's maxRSS carries the parent's over
else {
  out.speedupVsTape = median(times.bptt) / median(times.exodus);
  out.speedupVsTapePerRound = times.exodus.map((e, r) => times.bptt[r] / e);
  out.peakRssMiB = { exodus: alone("exodus"), bptt: alone("bptt"), allocator: "each alone, glibc's default allocator" };
}
if (withPeer) {
  const ok = peerRuns.filter((p): p is Peer => "step_ms" in p);
  out.peer = {
    runs: peerRuns, medianMsByThreads: Object.fromEntries([1, 2].filter((t) => peers[t].length).map((t) => [t, median(peers[t])])),
    blas: blasVerdict(ok[0]?.blas).name, peakRssMiB: ok.length ? Math.max(...ok.map((p) => p.peakRssMiB ?? 0)) : undefined,
  };
  const best = Math.min(...[1, 2].filter((t) => peers[t].length).map((t) => median(peers[t])));
  const withheld = handicappedPeer(ok[0]?.blas);
  if (withheld) out.peerRatioWithheld = withheld;
  else if (Number.isFinite(best)) {
    out.speedupVsPeerBest = best / median(times.exodus);
    // per round: the peer's faster thread count of that round against exodus's step of that round
    out.speedupVsPeerPerRound = times.exodus.map((e, r) => Math.min(...[1, 2].map((t) => peers[t][r] ?? Infinity)) / e);
  }
}
const text = JSON.stringify(out, null, 2);
console.log(text);
if (args.includes("--out")) writeFileSync(value("out", ""), text + "\n");
