// Network benchmark, the paper's speed table (Bauer et al. 2023, Table 2): for each set-up, the
// whole network's forward and backward time per batch with BPTT, SLAYER and EXODUS on the same
// weights and the same random input spikes, and the PyTorch autograd BPTT peer of the same
// network in the same run. Medians of repeats after warm-up, with min–max; speed-ups are ratios of
// medians measured in this one run.
//
//   node dist/benchmarks/network/bench.js [--setups shd,ssc,dvs-gesture] [--device cpu|cuda] [--T n]
//     [--batch n] [--rate p] [--sweep-T 100,300,1000] [--repeats 5] [--warmup 1] [--threads n]
//     [--no-peer] [--out file.json] [--json] [--fresh-memory]
//
// The peer is made fair by construction (docs/benchmarks.md, "Fair peers"): glibc keeps freed
// memory for both sides, the peer is timed at exodus's thread count and at every count up to the
// cores (its best is the headline), its BLAS is read from its process's memory map and named, and
// against the netlib reference BLAS no speed-up over it is printed.
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { loadavg } from "node:os";
import { dirname, join, resolve } from "node:path";
import { timeNetwork, randomSpikes, type MethodTiming, type Spread } from "../../lib/compare/timing.js";
import { parseDevice } from "../../lib/device.js";
import { packageRoot } from "../../lib/native.js";
import type { BackwardMethod } from "../../lib/nn/options.js";
import { Rng } from "../../lib/random.js";
import { machineInfo } from "../machine.js";
import { runtimeInfo, setCpuThreads } from "../../lib/runtime.js";
import { SETUPS, setup, type Setup } from "./setups.js";
import { blasVerdict, ensureHeapEnv, handicappedPeer, heapConditions, peerThreadCounts } from "../peer-conditions.js";
import { peerMissing, runPeer, type PeerResult } from "./peer.js";

// Fresh memory costs a page fault per 4 KiB page, which on this kind of VM costs more than the
// work itself (PyTorch's CPU backward in particular). A training loop reuses its memory, so both
// exodus and the peer run with glibc keeping freed memory in its heap: the script re-runs itself
// with those variables (unless --fresh-memory).
ensureHeapEnv({ EXODUS_HOST_CACHE_MB: process.env.EXODUS_HOST_CACHE_MB ?? "8192" });
const args = process.argv.slice(2);

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
// Committed results are never replaced: a run writes a new file (checked before anything runs).
if (out && existsSync(out) && resolve(out).startsWith(join(packageRoot(), "benchmarks", "results")))
  fail(`--out: ${out} exists; committed results are never overwritten: pass a new file name`);
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
const memory = heapConditions();
// The same threads for exodus and the peer unless --threads says otherwise: all cores (or
// OMP_NUM_THREADS), as runtimeInfo reports them. The peer is also timed at its own best count.
const exodusThreads = threads ?? info.cpu.threads;
const peerThreads = device.isCuda ? [exodusThreads] : peerThreadCounts(exodusThreads, machine.cores);
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
  /** The peer at its best thread count (least forward + backward median) among `peerRuns`. */
  peer: PeerResult | { error: string } | { skipped: string };
  /** The peer at each thread count it was timed at (exodus's among them). */
  peerRuns: (PeerResult | { error: string })[];
  /** Speed-ups over the peer at its best thread count, and at exodus's; null where the peer failed or runs on the reference BLAS (`withheld` says why). */
  speedup: {
    backwardVsBptt: Record<string, number>;
    backwardVsPeer: Record<string, number> | null;
    forwardVsPeer: Record<string, number> | null;
    backwardVsPeerSameThreads: Record<string, number> | null;
    withheld?: string;
  };
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
    const peerRuns: SetupResult["peerRuns"] = [];
    if (!missing) {
      for (const n of peerThreads) {
        say(`  ${s.label}: PyTorch peer, ${n} thread${n > 1 ? "s" : ""}…`);
        peerRuns.push(runPeer(s, x, labels, { device: String(device), threads: n, warmup, repeats, env: process.env }));
      }
      const timed = peerRuns.filter((p): p is PeerResult => "backward" in p);
      const total = (p: PeerResult) => p.forward.median + p.backward.median;
      peer = timed.length ? timed.reduce((a, b) => (total(b) < total(a) ? b : a)) : peerRuns[0];
    }
    const m = t.methods;
    const bptt = m.bptt!.backward.median;
    const withheld = "backward" in peer ? handicappedPeer(peer.blas) : undefined;
    const ok = "backward" in peer && !withheld;
    const same = peerRuns.find((p): p is PeerResult => "backward" in p && p.threads === exodusThreads);
    const ratios = (p: PeerResult | undefined, k: "forward" | "backward") => (ok && p ? Object.fromEntries(METHODS.map((q) => [q, p[k].median / m[q]![k].median])) : null);
    const speedup: SetupResult["speedup"] = {
      backwardVsBptt: Object.fromEntries(METHODS.map((k) => [k, bptt / m[k]!.backward.median])),
      backwardVsPeer: ratios(peer as PeerResult, "backward"),
      forwardVsPeer: ratios(peer as PeerResult, "forward"),
      backwardVsPeerSameThreads: ratios(same, "backward"),
      ...(withheld ? { withheld } : {}),
    };
    let peerCheck: SetupResult["peerCheck"] = null;
    if ("backward" in peer) {
      const p = peer;
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
    for (const p of peerRuns)
      if ("backward" in p) {
        noisy(`${s.label} torch peer (${p.threads} threads) forward`, p.forward);
        noisy(`${s.label} torch peer (${p.threads} threads) backward`, p.backward);
      }
    return { setup: s.name, label: s.label, T: s.T, batch: s.batch, inputRate: t.inputRate, spikeRates: t.spikeRates, network: t.summary, methods: m, peer, peerRuns, speedup, peerCheck };
  } finally {
    x.dispose();
  }
}

const started = new Date();
const t0 = performance.now();
say(`exodus network benchmark on ${device} — ${machine.cpu}, ${machine.cores} cores, ${exodusThreads} exodus thread${exodusThreads > 1 ? "s" : ""}${machine.gpu ? `, ${machine.gpu}` : ""}`);
say(`${started.toISOString()}; load average ${machine.loadAverageStart.map((v) => v.toFixed(2)).join(" ")} (1, 5, 15 min)`);
say(`memory: ${memory}`);
say(`peer: ${missing ? `none — ${missing}` : `PyTorch autograd BPTT (${"/usr/bin/python3"}), same weights and inputs, run after exodus for each set-up at ${peerThreads.join(", ")} threads (the table: its best)`}\n`);

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
const threadsOf = (r: SetupResult) => ("backward" in r.peer ? ` @${r.peer.threads}t` : "");
say(`\nSeconds per batch, forward / backward (median of ${repeats}; ${device}):\n`);
say(`| setup | EXODUS | SLAYER | BPTT (exodus) | BPTT (${peerName}, its best thread count) |`);
say("|---|---|---|---|---|");
for (const r of results) {
  const p = "backward" in r.peer ? `${cell(r.peer.forward, r.peer.backward)}${threadsOf(r)}` : "—";
  say(`| ${r.label} | ${cell(r.methods.exodus!.forward, r.methods.exodus!.backward)} | ${cell(r.methods.slayer!.forward, r.methods.slayer!.backward)} | ${cell(r.methods.bptt!.forward, r.methods.bptt!.backward)} | ${p} |`);
}
say(`\nBackward speed-up (ratio of medians, this run):\n`);
say(`| setup | EXODUS vs BPTT (exodus) | SLAYER vs BPTT (exodus) | EXODUS vs torch BPTT, its best threads | SLAYER vs torch, best | EXODUS vs torch at ${exodusThreads} thread${exodusThreads > 1 ? "s" : ""} |`);
say("|---|---|---|---|---|---|");
const x = (v: number | undefined) => (v === undefined || !Number.isFinite(v) ? "—" : `${v.toFixed(1)}×`);
for (const r of results)
  say(`| ${r.label} | ${x(r.speedup.backwardVsBptt.exodus)} | ${x(r.speedup.backwardVsBptt.slayer)} | ${x(r.speedup.backwardVsPeer?.exodus)}${threadsOf(r)} | ${x(r.speedup.backwardVsPeer?.slayer)} | ${x(r.speedup.backwardVsPeerSameThreads?.exodus)} |`);
say(`\nSpread, min–max seconds (forward / backward):\n`);
for (const r of results) {
  const parts = METHODS.map((k) => `${NAME[k]} ${range(r.methods[k]!.forward)} / ${range(r.methods[k]!.backward)}`);
  for (const p of r.peerRuns) if ("backward" in p) parts.push(`torch @${p.threads}t ${range(p.forward)} / ${range(p.backward)} (median ${cell(p.forward, p.backward)})`);
  say(`  ${r.label}: ${parts.join("; ")}`);
}
say(`\nActivity: ${results.map((r) => `${r.label}: input ${(100 * r.inputRate).toFixed(1)} %, spiking layers ${Object.values(r.spikeRates).map((v) => (100 * v).toFixed(1)).join(" / ")} %`).join("; ")}`);
for (const r of results) {
  for (const p of r.peerRuns) if ("error" in p) say(`peer failed on ${r.label}: ${p.error}`);
  if (r.peerCheck) say(`peer check, ${r.label}: |loss − exodus BPTT loss| = ${r.peerCheck.lossDiff.toExponential(1)}, weight-gradient norms within ${(100 * r.peerCheck.gradNormRelDiff).toFixed(2)} % of exodus BPTT's`);
}
const firstPeer = [...results, ...sweep.flatMap((w) => w.points)].map((r) => r.peer).find((p): p is PeerResult => "backward" in p);
const blas = firstPeer ? blasVerdict(firstPeer.blas) : undefined;
if (firstPeer && blas) {
  say(`peer: ${firstPeer.peer}, BLAS: ${blas.name} (mapped: ${firstPeer.blas.libraries.join(", ") || "none"}; torch BLAS_INFO=${firstPeer.blas.info})`);
  const withheld = handicappedPeer(firstPeer.blas);
  if (withheld) warnings.push(withheld);
  else if (blas.kind === "unknown") warnings.push(`the peer's BLAS could not be identified (${blas.name}): check that it is an optimised one before quoting the speed-ups`);
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
for (const w of warnings) say(`warning: ${/^the (PyTorch )?peer/.test(w) ? "" : "noisy measurement, "}${w}`);
const noisyCount = warnings.filter((w) => !/^the (PyTorch )?peer/.test(w)).length;
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
  settings: { repeats, warmup, threads: exodusThreads, peerThreads, peer: missing ? `none: ${missing}` : peerName, peerBlas: blas ?? null, inputs: "Bernoulli spikes at the set-up's rate, seed 1; labels seed 2; weights: the config's initialisation, seed 1234" },
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
