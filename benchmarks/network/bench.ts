// Network benchmark, the paper's speed table (Bauer et al. 2023, Table 2): for each set-up, the
// whole network's forward and backward time per batch with BPTT, SLAYER and EXODUS on the same
// weights and the same random input spikes, and the PyTorch autograd BPTT peer of the same
// network in the same run. Medians of repeats after warm-up, with min–max; speed-ups are ratios of
// medians measured in this one run.
//
//   node dist/benchmarks/network/bench.js [--setups shd,ssc,dvs-gesture] [--device cpu|cuda] [--T n]
//     [--batch n] [--rate p] [--sweep-T 100,300,1000] [--repeats 5] [--warmup 1] [--threads n]
//     [--no-peer] [--out file.json] [--json] [--fresh-memory]
import { spawnSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { loadavg, platform } from "node:os";
import { dirname } from "node:path";
import { timeNetwork, randomSpikes, type MethodTiming, type Spread } from "../../lib/compare/timing.js";
import { parseDevice } from "../../lib/device.js";
import { packageRoot } from "../../lib/native.js";
import type { BackwardMethod } from "../../lib/nn/options.js";
import { Rng } from "../../lib/random.js";
import { machineInfo } from "../machine.js";
import { runtimeInfo, setCpuThreads } from "../../lib/runtime.js";
import { SETUPS, setup, type Setup } from "./setups.js";
import { peerMissing, referenceBlasNote, runPeer, type PeerResult } from "./peer.js";

// Fresh memory costs a page fault per 4 KiB page, which on this kind of VM costs more than the
// work itself (PyTorch's CPU backward in particular). A training loop reuses its memory, so both
// exodus and the peer run with glibc keeping freed memory in its heap. These variables must be
// set before the process starts: the script re-runs itself with them (unless --fresh-memory).
const HEAP_ENV = { MALLOC_MMAP_MAX_: "0", MALLOC_MMAP_THRESHOLD_: "33554432", MALLOC_TRIM_THRESHOLD_: "68719476736", EXODUS_HOST_CACHE_MB: "8192" };
const args = process.argv.slice(2);
if (!process.env.MALLOC_TRIM_THRESHOLD_ && !args.includes("--fresh-memory") && platform() === "linux") {
  const r = spawnSync(process.execPath, process.argv.slice(1), { stdio: "inherit", env: { ...process.env, ...HEAP_ENV, EXODUS_HOST_CACHE_MB: process.env.EXODUS_HOST_CACHE_MB ?? HEAP_ENV.EXODUS_HOST_CACHE_MB } });
  process.exit(r.status ?? 1);
}

function fail(msg: string): never {
  console.error(`exodus bench: ${msg}`);
  process.exit(2);
}
const flag = (name: string) => args.includes(`--${name}`);
const value = (name: string) => {
  const i = args.indexOf(`--${name}`);
  if (i < 0) return undefined;
  if (i + 1 >= args.length || args[i + 1].startsWith("--")) fail(`--${name}: expected a value, received none`);
  return args[i + 1];
};
const int = (name: string, dflt: number | undefined, min = 1) => {
  const v = value(name);
  if (v === undefined) return dflt;
  const n = Number(v);
  if (!Number.isInteger(n) || n < min) fail(`--${name}: expected an integer >= ${min}, received ${JSON.stringify(v)}`);
  return n;
};
const ints = (name: string) => value(name)?.split(",").map((s) => {
  const n = Number(s);
  if (!Number.isInteger(n) || n < 1) fail(`--${name}: expected comma-separated integers >= 1, received ${JSON.stringify(s)}`);
  return n;
});

const deviceSpec = value("device") ?? "cpu";
const device = parseDevice(deviceSpec);
const setupNames = (value("setups") ?? "shd,ssc,dvs-gesture").split(",").map((s) => s.trim());
for (const s of setupNames) if (!(SETUPS as readonly string[]).includes(s)) fail(`--setups: expected items among ${SETUPS.join(", ")}, received ${JSON.stringify(s)}`);
const repeats = int("repeats", 5)!;
const warmup = int("warmup", 1, 0)!;
const threads = int("threads", undefined);
const T = int("T", undefined);
const batch = int("batch", undefined);
const rateText = value("rate");
const rate = rateText === undefined ? undefined : Number(rateText);
if (rate !== undefined && !(rate > 0 && rate <= 1)) fail(`--rate: expected a spike probability in (0, 1], received ${JSON.stringify(rateText)}`);
const sweepT = ints("sweep-T") ?? [];
const json = flag("json");
const peerWanted = !flag("no-peer");
const out = value("out");
if (threads) setCpuThreads(threads);
const say = (s = "") => (json ? process.stderr : process.stdout).write(`${s}\n`);

const METHODS: BackwardMethod[] = ["bptt", "slayer", "exodus"];
const NAME: Record<string, string> = { exodus: "EXODUS", slayer: "SLAYER", bptt: "BPTT (exodus)" };
const info = runtimeInfo();
const machine = {
  ...machineInfo(info),
  exodus: info.version,
  gpu: device.isCuda ? info.cuda.devices[device.index]?.name : undefined,
  loadAverageStart: loadavg(),
};
const memory = process.env.MALLOC_TRIM_THRESHOLD_
  ? `freed memory kept in glibc's heap for exodus and the peer (MALLOC_MMAP_MAX_=${process.env.MALLOC_MMAP_MAX_} MALLOC_MMAP_THRESHOLD_=${process.env.MALLOC_MMAP_THRESHOLD_} MALLOC_TRIM_THRESHOLD_=${process.env.MALLOC_TRIM_THRESHOLD_}; EXODUS_HOST_CACHE_MB=${process.env.EXODUS_HOST_CACHE_MB ?? "default"})`
  : "default allocator: freed memory returned to the OS (fresh pages fault again)";
const missing = peerWanted ? peerMissing() : "skipped (--no-peer)";

const fmt = (s: number) => (s >= 10 ? s.toFixed(1) : s >= 1 ? s.toFixed(2) : s >= 0.01 ? s.toFixed(3) : s.toFixed(4));
const cell = (f: Spread, b: Spread) => `${fmt(f.median)} / ${fmt(b.median)}`;
const range = (s: Spread) => `${fmt(s.min)}–${fmt(s.max)}`;
const warnings: string[] = [];
const noisy = (what: string, s: Spread) => {
  if (s.max / s.min > 1.5) warnings.push(`${what}: max/min = ${(s.max / s.min).toFixed(1)} over ${s.samples.length} repeats`);
};

interface SetupResult {
  setup: string;
  label: string;
  T: number;
  batch: number;
  inputRate: number;
  spikeRates: Record<string, number>;
  network: string[];
  methods: Partial<Record<BackwardMethod, MethodTiming>>;
  peer: PeerResult | { error: string } | { skipped: string };
  speedup: { backwardVsBptt: Record<string, number>; backwardVsPeer: Record<string, number> | null; forwardVsPeer: Record<string, number> | null };
  /** Peer vs exodus BPTT on the same weights: loss difference and the largest relative weight-gradient-norm difference. */
  peerCheck: { lossDiff: number; gradNormRelDiff: number } | null;
}

function measure(s: Setup): SetupResult {
  const x = randomSpikes([s.T, s.batch, ...s.features], s.rate, 1, device);
  const rng = new Rng(2);
  const labels = Float32Array.from({ length: s.batch }, () => rng.int(s.classes));
  try {
    say(`  ${s.label}: exodus (${METHODS.join(", ")}, interleaved, ${warmup} warm-up + ${repeats} repeats)…`);
    const began = performance.now();
    const t = timeNetwork({
      config: s.config, shape: { sampleShape: [s.T, ...s.features], numClasses: s.classes }, x, labels, methods: METHODS, warmup, repeats,
      onRepeat: (done, total) => say(`    repeat ${done}/${total} (${((performance.now() - began) / 1000).toFixed(0)} s)`),
    });
    let peer: SetupResult["peer"] = { skipped: missing ?? "" };
    if (!missing) {
      say(`  ${s.label}: PyTorch peer…`);
      peer = runPeer(s, x, labels, { device: String(device), threads, warmup, repeats, env: process.env });
    }
    const m = t.methods;
    const bptt = m.bptt!.backward.median;
    const ok = "backward" in peer;
    const speedup = {
      backwardVsBptt: Object.fromEntries(METHODS.map((k) => [k, bptt / m[k]!.backward.median])),
      backwardVsPeer: ok ? Object.fromEntries(METHODS.map((k) => [k, (peer as PeerResult).backward.median / m[k]!.backward.median])) : null,
      forwardVsPeer: ok ? Object.fromEntries(METHODS.map((k) => [k, (peer as PeerResult).forward.median / m[k]!.forward.median])) : null,
    };
    let peerCheck: SetupResult["peerCheck"] = null;
    if (ok) {
      const p = peer as PeerResult;
      const ours = Object.values(m.bptt!.gradNorms);
      peerCheck = { lossDiff: Math.abs(p.loss - m.bptt!.loss), gradNormRelDiff: Math.max(...ours.map((g, i) => {
        const big = Math.max(Math.abs(g), Math.abs(p.gradNorms[i]));
        return big < 1e-12 ? 0 : Math.abs(g - p.gradNorms[i]) / big;
      })) };
    }
    for (const k of METHODS) {
      noisy(`${s.label} ${NAME[k]} forward`, m[k]!.forward);
      noisy(`${s.label} ${NAME[k]} backward`, m[k]!.backward);
    }
    if (ok) {
      noisy(`${s.label} torch peer forward`, (peer as PeerResult).forward);
      noisy(`${s.label} torch peer backward`, (peer as PeerResult).backward);
    }
    return { setup: s.name, label: s.label, T: s.T, batch: s.batch, inputRate: t.inputRate, spikeRates: t.spikeRates, network: t.summary, methods: m, peer, speedup, peerCheck };
  } finally {
    x.dispose();
  }
}

const started = new Date();
const t0 = performance.now();
say(`exodus network benchmark on ${device} — ${machine.cpu}, ${machine.cores} cores, ${machine.threads} exodus threads${machine.gpu ? `, ${machine.gpu}` : ""}`);
say(`${started.toISOString()}; load average ${machine.loadAverageStart.map((v) => v.toFixed(2)).join(" ")} (1, 5, 15 min)`);
say(`memory: ${memory}`);
say(`peer: ${missing ? `none — ${missing}` : `PyTorch autograd BPTT (${"/usr/bin/python3"}), same weights and inputs, run after exodus for each set-up`}\n`);

const results: SetupResult[] = [];
for (const name of setupNames) results.push(measure(setup(name, { device: String(device), T, batch, rate })));
const sweep: { setup: string; points: SetupResult[] }[] = [];
for (const name of sweepT.length ? setupNames : []) {
  const points: SetupResult[] = [];
  for (const Ts of sweepT) points.push(measure(setup(name, { device: String(device), T: Ts, batch, rate })));
  sweep.push({ setup: name, points });
}
const loadEnd = loadavg();

// ---- the paper-like table -----------------------------------------------------------------------
const peerName = results.find((r) => "peer" in r && "backward" in r.peer) ? ((results.find((r) => "backward" in r.peer)!.peer as PeerResult).peer) : "torch peer";
say(`\nSeconds per batch, forward / backward (median of ${repeats}; ${device}):\n`);
say(`| setup | EXODUS | SLAYER | BPTT (exodus) | BPTT (${peerName}) |`);
say("|---|---|---|---|---|");
for (const r of results) {
  const p = "backward" in r.peer ? cell(r.peer.forward, r.peer.backward) : "—";
  say(`| ${r.label} | ${cell(r.methods.exodus!.forward, r.methods.exodus!.backward)} | ${cell(r.methods.slayer!.forward, r.methods.slayer!.backward)} | ${cell(r.methods.bptt!.forward, r.methods.bptt!.backward)} | ${p} |`);
}
say(`\nBackward speed-up (ratio of medians, this run):\n`);
say("| setup | EXODUS vs BPTT (exodus) | SLAYER vs BPTT (exodus) | EXODUS vs torch BPTT | SLAYER vs torch BPTT |");
say("|---|---|---|---|---|");
const x = (v: number | undefined) => (v === undefined || !Number.isFinite(v) ? "—" : `${v.toFixed(1)}×`);
for (const r of results)
  say(`| ${r.label} | ${x(r.speedup.backwardVsBptt.exodus)} | ${x(r.speedup.backwardVsBptt.slayer)} | ${x(r.speedup.backwardVsPeer?.exodus)} | ${x(r.speedup.backwardVsPeer?.slayer)} |`);
say(`\nSpread, min–max seconds (forward / backward):\n`);
for (const r of results) {
  const parts = METHODS.map((k) => `${NAME[k]} ${range(r.methods[k]!.forward)} / ${range(r.methods[k]!.backward)}`);
  if ("backward" in r.peer) parts.push(`torch ${range(r.peer.forward)} / ${range(r.peer.backward)}`);
  say(`  ${r.label}: ${parts.join("; ")}`);
}
say(`\nActivity: ${results.map((r) => `${r.label}: input ${(100 * r.inputRate).toFixed(1)} %, spiking layers ${Object.values(r.spikeRates).map((v) => (100 * v).toFixed(1)).join(" / ")} %`).join("; ")}`);
for (const r of results) {
  if ("error" in r.peer) say(`peer failed on ${r.label}: ${r.peer.error}`);
  if (r.peerCheck) say(`peer check, ${r.label}: |loss − exodus BPTT loss| = ${r.peerCheck.lossDiff.toExponential(1)}, weight-gradient norms within ${(100 * r.peerCheck.gradNormRelDiff).toFixed(2)} % of exodus BPTT's`);
}
const firstPeer = [...results, ...sweep.flatMap((w) => w.points)].map((r) => r.peer).find((p): p is PeerResult => "backward" in p);
if (firstPeer) {
  say(`peer: ${firstPeer.peer}, ${firstPeer.threads} thread${firstPeer.threads > 1 ? "s" : ""}, BLAS ${firstPeer.blas.info} (${firstPeer.blas.libraries.join(", ") || "none loaded"})`);
  const note = referenceBlasNote(firstPeer);
  if (note) warnings.push(note);
}
if (sweep.length) {
  say(`\nT sweep: backward seconds per batch (median of ${repeats})\n`);
  say("| setup | T | EXODUS | SLAYER | BPTT (exodus) | torch BPTT | EXODUS vs BPTT | EXODUS vs torch |");
  say("|---|---|---|---|---|---|---|---|");
  for (const sw of sweep)
    for (const r of sw.points)
      say(`| ${sw.setup} | ${r.T} | ${fmt(r.methods.exodus!.backward.median)} | ${fmt(r.methods.slayer!.backward.median)} | ${fmt(r.methods.bptt!.backward.median)} | ${"backward" in r.peer ? fmt(r.peer.backward.median) : "—"} | ${x(r.speedup.backwardVsBptt.exodus)} | ${x(r.speedup.backwardVsPeer?.exodus)} |`);
}
say(`\nload average at the end ${loadEnd.map((v) => v.toFixed(2)).join(" ")}${machine.cores <= 4 && Math.max(...machine.loadAverageStart, ...loadEnd) > machine.cores ? ` — above the ${machine.cores} cores: other processes shared the CPU, figures are noisy` : ""}`);
for (const w of warnings) say(`warning: ${/^the peer/.test(w) ? "" : "noisy measurement, "}${w}`);
const noisyCount = warnings.filter((w) => !/^the peer/.test(w)).length;
if (noisyCount) say(`warning: ${noisyCount} measurement${noisyCount > 1 ? "s" : ""} spread by more than 1.5× (max/min); re-run on a quieter machine or with more --repeats`);

const git = spawnSync("git", ["rev-parse", "--short", "HEAD"], { cwd: packageRoot(), encoding: "utf8" });
const result = {
  benchmark: "network",
  date: started.toISOString(),
  commit: git.status === 0 ? git.stdout.trim() : null,
  command: `exodus bench ${args.filter((a) => a !== "--json").join(" ")}`.trim(),
  device: String(device),
  machine: { ...machine, loadAverageEnd: loadEnd },
  memory,
  settings: { repeats, warmup, threads: threads ?? machine.threads, peer: missing ? `none: ${missing}` : peerName, inputs: "Bernoulli spikes at the set-up's rate, seed 1; labels seed 2; weights: the config's initialisation, seed 1234" },
  setups: results,
  sweep,
  warnings,
  seconds: (performance.now() - t0) / 1000,
};
if (out) {
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, `${JSON.stringify(result, null, 1)}\n`);
  say(`\nwrote ${out}`);
}
if (json) process.stdout.write(`${JSON.stringify(result)}\n`);
say(`(${result.seconds.toFixed(0)} s)`);
