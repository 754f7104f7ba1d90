// Neuron-layer benchmark: forward and backward time per method (exodus, slayer, bptt) at T = 300,
// B·N = 128 × 4096, a T sweep showing linear growth, and the scans' bandwidth set against a memory
// copy measured in the same run. Prints ratios; writes benchmarks/results/neuron-<device>.json.
//
//   node dist/benchmarks/neuron/bench.js [--device cpu|cuda] [--quick] [--torch] [--fresh-memory] [--out file]
import { spawnSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { loadavg, platform } from "node:os";
import { dirname, join } from "node:path";
import { type Device, parseDevice, synchronize } from "../../lib/device.js";
import { LIF } from "../../lib/nn/lif.js";
import { type LifScanConfig, native } from "../../lib/native.js";
import { packageRoot } from "../../lib/native.js";
import * as ops from "../../lib/ops.js";
import { Rng } from "../../lib/random.js";
import { machineInfo } from "../machine.js";
import { runtimeInfo } from "../../lib/runtime.js";
import { Tensor } from "../../lib/tensor.js";

// Fresh memory costs a page fault per 4 KiB page, and on some machines (VMs in particular) that
// costs more than the scans themselves. A training loop would reuse its buffers (a caching
// allocator), so the run keeps freed memory in glibc's heap instead of returning it to the OS:
// the benchmark re-runs itself with these tunables unless they are set (or --fresh-memory).
const HEAP_TUNABLES = "glibc.malloc.mmap_max=0:glibc.malloc.trim_threshold=1099511627776";
if (!process.env.GLIBC_TUNABLES && !process.argv.includes("--fresh-memory") && platform() === "linux") {
  // The host cache (cuda/dispatch.cc) keeps freed blocks ≥ 1 MiB for reuse up to its cap; BPTT's
  // tape at T = 300 holds ~3 GB of per-step tensors, above the default 2 GiB.
  const env = { ...process.env, GLIBC_TUNABLES: HEAP_TUNABLES, EXODUS_HOST_CACHE_MB: process.env.EXODUS_HOST_CACHE_MB ?? "8192" };
  const r = spawnSync(process.execPath, process.argv.slice(1), { stdio: "inherit", env });
  process.exit(r.status ?? 1);
}
const args = process.argv.slice(2);
const flag = (name: string) => args.includes(`--${name}`);
const value = (name: string) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : undefined;
};
const quick = flag("quick");
const device = parseDevice(value("device") ?? "cpu");

/** Median seconds of `reps` runs of f (after one warm-up run). */
function time(f: () => void, reps: number): number {
  f();
  synchronize(device);
  const ts: number[] = [];
  for (let r = 0; r < reps; r++) {
    const t0 = performance.now();
    f();
    synchronize(device);
    ts.push((performance.now() - t0) / 1000);
  }
  ts.sort((a, b) => a - b);
  return ts[Math.floor(ts.length / 2)];
}

function input(T: number, N: number, d: Device): Tensor {
  // Drifting noise so that neurons fire (about 15-20 % of steps at τ = 30).
  const rng = new Rng(1);
  const x = new Float32Array(T * N);
  for (let i = 0; i < x.length; i++) x[i] = 0.1 + 0.5 * (rng.uniform() - 0.5) * 3.4;
  return Tensor.from(x, [T, N], d);
}

function cfg(T: number, N: number): LifScanConfig {
  return { T, N, P: 1, reset: 0, multiSpike: false, maxSpikes: 0, normInput: false, surrogate: 0, sgScale: 1, sgWidth: 0.5 };
}

/** The kernels alone on warm buffers: seconds per forward/backward scan, and a copy of one [T, N] array. */
function kernels(T: number, N: number, reps: number) {
  const n = native();
  const x = input(T, N, device);
  const g = ops.fill(Tensor.empty([T, N], device), 0.5);
  const s = ops.fill(Tensor.empty([T, N], device), 0), v = ops.fill(Tensor.empty([T, N], device), 0);
  const dx = ops.fill(Tensor.empty([T, N], device), 0), copyDst = ops.fill(Tensor.empty([T, N], device), 0);
  const state = Tensor.zeros([N], device), v0 = Tensor.zeros([N], device);
  const p = [Tensor.from([Math.exp(-1 / 30)], [1], device), Tensor.from([1], [1], device), Tensor.from([1], [1], device)];
  const c = cfg(T, N);
  const fwd = () => n.lifForward({ ...c, x, alpha: p[0], theta: p[1], m: p[2], state, s, v });
  const bwd = (method: number) => () => n.lifBackward({ ...c, method, alpha: p[0], theta: p[1], m: p[2], g, v, v0, dx });
  const forward = time(fwd, reps);
  const exodus = time(bwd(0), reps);
  const slayer = time(bwd(1), reps);
  const copy = time(() => ops.copy(x, copyDst), reps);
  let spikes = 0;
  const sa = s.toArray();
  for (let i = 0; i < sa.length; i++) spikes += sa[i];
  for (const t of [x, g, s, v, dx, copyDst, state, v0, ...p]) t.dispose();
  const bytes = 3 * 4 * T * N; // forward: x in, s and v out; backward: g and v in, dx out
  const copyBytes = 2 * 4 * T * N;
  return {
    seconds: { forward, exodus, slayer, copy },
    gbPerS: { forward: bytes / forward / 1e9, exodus: bytes / exodus / 1e9, slayer: bytes / slayer / 1e9, copy: copyBytes / copy / 1e9 },
    spikeRate: spikes / (T * N),
  };
}

interface LayerTiming {
  forward: number;
  backward: number;
  /** CPU seconds (all threads) in user and kernel mode; kernel time here is mostly page faults. */
  cpu: { forwardUser: number; forwardSys: number; backwardUser: number; backwardSys: number };
}

const median = (a: number[]) => (a.length ? [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)] : NaN);

/** Whole layers through the public API: forward and backward per method (median of reps, after a warm-up). */
function layers(T: number, B: number, F: number, reps: number, methods: readonly ("exodus" | "slayer" | "bptt")[]) {
  const x = input(T, B * F, device).reshape([T, B, F]);
  const dy = ops.fill(Tensor.empty([T, B, F], device), 0.5);
  const out: Record<string, LayerTiming> = {};
  for (const backward of methods) {
    const layer = new LIF({ tauMem: 30, backward, device });
    const r = backward === "bptt" ? Math.min(reps, 2) : reps;
    const m: Record<string, number[]> = { f: [], b: [], fu: [], fs: [], bu: [], bs: [] };
    for (let i = 0; i <= r; i++) {
      const c0 = process.cpuUsage();
      const t0 = performance.now();
      const s = layer.forward(x);
      synchronize(device);
      const t1 = performance.now();
      const c1 = process.cpuUsage();
      const dx = layer.backward(dy);
      synchronize(device);
      const t2 = performance.now();
      const c2 = process.cpuUsage();
      if (i > 0) {
        m.f.push((t1 - t0) / 1000);
        m.b.push((t2 - t1) / 1000);
        m.fu.push((c1.user - c0.user) / 1e6);
        m.fs.push((c1.system - c0.system) / 1e6);
        m.bu.push((c2.user - c1.user) / 1e6);
        m.bs.push((c2.system - c1.system) / 1e6);
      }
      s.dispose();
      dx.dispose();
    }
    out[backward] = {
      forward: median(m.f), backward: median(m.b),
      cpu: { forwardUser: median(m.fu), forwardSys: median(m.fs), backwardUser: median(m.bu), backwardSys: median(m.bs) },
    };
    layer.dispose();
  }
  x.dispose();
  dy.dispose();
  return out;
}

/** The PyTorch autograd BPTT peer (benchmarks/peers/torch_bptt.py), when Debian's python3-torch is there. */
function torchPeer(T: number, B: number, F: number): Record<string, unknown> | undefined {
  const script = join(packageRoot(), "benchmarks", "peers", "torch_bptt.py");
  const py = "/usr/bin/python3";
  const probe = spawnSync(py, ["-c", "import torch"], { encoding: "utf8" });
  if (probe.status !== 0) return undefined;
  const args = [script, "--T", String(T), "--B", String(B), "--N", String(F), "--repeats", "1", "--device", device.isCuda ? "cuda" : "cpu"];
  if (!device.isCuda) args.push("--threads", String(runtimeInfo().cpu.threads));
  const r = spawnSync(py, args, { encoding: "utf8", env: { ...process.env, GLIBC_TUNABLES: "" } });
  if (r.status !== 0) return { error: (r.stderr || "").split("\n").slice(-3).join(" ") };
  try {
    return JSON.parse(r.stdout.trim().split("\n").pop()!) as Record<string, unknown>;
  } catch {
    return { error: `unreadable output: ${r.stdout.slice(0, 200)}` };
  }
}

const t0 = performance.now();
const info = runtimeInfo();
const machine = {
  ...machineInfo(info),
  gpu: device.isCuda ? info.cuda.devices[device.index]?.name : undefined,
  memory: process.env.GLIBC_TUNABLES
    ? `freed memory kept in the heap (GLIBC_TUNABLES=${process.env.GLIBC_TUNABLES}, EXODUS_HOST_CACHE_MB=${process.env.EXODUS_HOST_CACHE_MB ?? "default"})`
    : "default allocator (fresh pages)",
  loadAverage: loadavg(),
};
console.log(`exodus neuron benchmark on ${device} (${machine.cpu}, ${machine.threads} threads${machine.gpu ? `, ${machine.gpu}` : ""})${quick ? ", quick" : ""}\n`);

// ---- main size: T = 300, B·N = 128 × 4096 --------------------------------------------------------------
const T = 300, B = 128, F = quick ? 1024 : 4096;
const reps = quick ? 3 : 5;
const k = kernels(T, B * F, reps);
console.log(`kernels on warm buffers, T=${T}, B·N=${B}×${F} (spike rate ${(100 * k.spikeRate).toFixed(1)} %)`);
console.log(`  forward scan     ${(1000 * k.seconds.forward).toFixed(1).padStart(8)} ms  ${k.gbPerS.forward.toFixed(1).padStart(6)} GB/s`);
console.log(`  exodus backward  ${(1000 * k.seconds.exodus).toFixed(1).padStart(8)} ms  ${k.gbPerS.exodus.toFixed(1).padStart(6)} GB/s`);
console.log(`  slayer backward  ${(1000 * k.seconds.slayer).toFixed(1).padStart(8)} ms  ${k.gbPerS.slayer.toFixed(1).padStart(6)} GB/s`);
console.log(`  memory copy      ${(1000 * k.seconds.copy).toFixed(1).padStart(8)} ms  ${k.gbPerS.copy.toFixed(1).padStart(6)} GB/s`);

// One untimed pass of every method first: the heap then holds the memory all of them need, so
// that no method pays the first-touch page faults of another (they cost seconds on some VMs).
layers(T, B, F, 0, ["exodus", "slayer", "bptt"]);
const L = layers(T, B, F, quick ? 2 : 3, ["exodus", "slayer", "bptt"]);
console.log(`\nlayers (LIF τ=30, public API, fresh output tensors each call; CPU s = user + kernel over all threads)`);
console.log("  method   forward ms  backward ms   fwd CPU s (user/sys)   bwd CPU s (user/sys)");
for (const [m, t] of Object.entries(L))
  console.log(`  ${m.padEnd(7)} ${(1000 * t.forward).toFixed(1).padStart(10)}  ${(1000 * t.backward).toFixed(1).padStart(11)}   ${`${t.cpu.forwardUser.toFixed(2)}/${t.cpu.forwardSys.toFixed(2)}`.padStart(20)}   ${`${t.cpu.backwardUser.toFixed(2)}/${t.cpu.backwardSys.toFixed(2)}`.padStart(20)}`);
// The torch peer takes minutes on a small CPU: only on request.
const torch = flag("torch") ? torchPeer(T, B, F) : undefined;
if (torch && !("error" in torch))
  console.log(`  torch autograd BPTT (peer): forward ${(torch.forward_ms as number).toFixed(1)} ms, backward ${(torch.backward_ms as number).toFixed(1)} ms`);
else if (torch) console.log(`  torch peer failed: ${torch.error}`);

// ---- T sweep: linear growth ----------------------------------------------------------------------------
const sweepN = 128 * 128;
const sweepT = quick ? [100, 300, 1000, 3000] : [100, 300, 1000, 3000, 10000];
const sweep: { T: number; forward: number; exodus: number; slayer: number; bptt?: { forward: number; backward: number } }[] = [];
console.log(`\nT sweep at B·N = 128×128: seconds per scan (and per T step, which is flat when the growth is linear)`);
console.log("      T    forward     exodus     slayer   exodus/T µs   bptt fwd+bwd");
for (const Ts of sweepT) {
  const r = kernels(Ts, sweepN, 3);
  const bp = Ts <= 1000 ? layers(Ts, 128, 128, 1, ["bptt"]).bptt : undefined;
  sweep.push({ T: Ts, forward: r.seconds.forward, exodus: r.seconds.exodus, slayer: r.seconds.slayer, bptt: bp });
  console.log(`  ${String(Ts).padStart(5)}  ${r.seconds.forward.toFixed(4).padStart(9)}  ${r.seconds.exodus.toFixed(4).padStart(9)}  ${r.seconds.slayer.toFixed(4).padStart(9)}  ${((1e6 * r.seconds.exodus) / Ts).toFixed(1).padStart(12)}  ${bp ? (bp.forward + bp.backward).toFixed(3).padStart(13) : "            —"}`);
}

const ratios = {
  exodusBackwardSpeedupVsBptt: L.bptt.backward / L.exodus.backward,
  exodusBackwardUserCpuSpeedupVsBptt: L.bptt.cpu.backwardUser / L.exodus.cpu.backwardUser,
  exodusBackwardSpeedupVsTorchBptt: torch && !("error" in torch) ? (torch.backward_ms as number) / 1000 / L.exodus.backward : null,
  slayerBackwardSpeedupVsBptt: L.bptt.backward / L.slayer.backward,
  exodusForwardSpeedupVsBptt: L.bptt.forward / L.exodus.forward,
  forwardScanBandwidthVsCopy: k.gbPerS.forward / k.gbPerS.copy,
  exodusScanBandwidthVsCopy: k.gbPerS.exodus / k.gbPerS.copy,
  sweepLinearity: (sweep[sweep.length - 1].exodus / sweep[sweep.length - 1].T) / (sweep[1].exodus / sweep[1].T),
};
console.log(`\nratios`);
console.log(`  exodus backward vs bptt backward: ${ratios.exodusBackwardSpeedupVsBptt.toFixed(1)}× faster (target ≥ 10×)`);
console.log(`  same, user CPU time only:         ${ratios.exodusBackwardUserCpuSpeedupVsBptt.toFixed(1)}× (page faults excluded)`);
if (ratios.exodusBackwardSpeedupVsTorchBptt !== null)
  console.log(`  exodus backward vs torch BPTT:    ${ratios.exodusBackwardSpeedupVsTorchBptt.toFixed(1)}× faster`);
console.log(`  slayer backward vs bptt backward: ${ratios.slayerBackwardSpeedupVsBptt.toFixed(1)}× faster`);
console.log(`  forward scan bandwidth / copy:    ${(100 * ratios.forwardScanBandwidthVsCopy).toFixed(0)} % (target ≥ 50 %)`);
console.log(`  exodus scan bandwidth / copy:     ${(100 * ratios.exodusScanBandwidthVsCopy).toFixed(0)} % (target ≥ 50 %)`);
console.log(`  time per step, T=${sweep[sweep.length - 1].T} vs T=${sweep[1].T}: ${ratios.sweepLinearity.toFixed(2)} (1 = linear)`);

const result = {
  benchmark: "neuron",
  date: new Date().toISOString(),
  device: String(device),
  quick,
  machine,
  sizes: { T, B, N: F },
  kernels: k,
  layers: L,
  torchPeer: torch ?? null,
  sweep: { neurons: sweepN, points: sweep },
  ratios,
  seconds: (performance.now() - t0) / 1000,
};
const outFile = value("out") ?? join(packageRoot(), "benchmarks", "results", `neuron-${device.isCuda ? "cuda" : "cpu"}.json`);
mkdirSync(dirname(outFile), { recursive: true });
writeFileSync(outFile, JSON.stringify(result, null, 2) + "\n");
console.log(`\nwrote ${outFile} (${result.seconds.toFixed(0)} s)`);
