// GEMM benchmark: GFLOP/s of exodus's SGEMM at the shapes of the paper's networks, measured in the
// same run as an optimised BLAS (numpy + OpenBLAS, run by Debian's python3) on the same shapes.
// Prints the ratio per shape and writes JSON. A benchmark, not a test: numbers vary with load.
//
//   node dist/benchmarks/gemm/bench.js [--device cpu|cuda] [--repeats 5] [--out file.json] [--no-peer]
import { spawnSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { cpus, hostname } from "node:os";
import { dirname, join } from "node:path";
import { parseDevice, synchronize } from "../../lib/device.js";
import { packageRoot } from "../../lib/native.js";
import * as ops from "../../lib/ops.js";
import { Rng } from "../../lib/random.js";
import { runtimeInfo } from "../../lib/runtime.js";
import { Tensor } from "../../lib/tensor.js";

interface Shape {
  label: string;
  M: number;
  N: number;
  K: number;
  ta?: boolean;
  tb?: boolean;
}

// T·B = 250·128 = 32000 rows for SHD/SSC; DVS Gesture convolutions as im2col products.
const SHAPES: Shape[] = [
  { label: "SHD layer 1 fwd  [32000x100]·[100x128]", M: 32000, N: 128, K: 100 },
  { label: "SHD layer 2 fwd  [32000x128]·[128x128]", M: 32000, N: 128, K: 128 },
  { label: "SHD readout fwd  [32000x128]·[128x20]", M: 32000, N: 20, K: 128 },
  { label: "SHD layer 2 dX   [32000x128]·[128x128]ᵀ", M: 32000, N: 128, K: 128, tb: true },
  { label: "SHD layer 2 dW   [32000x128]ᵀ·[32000x128]", M: 128, N: 128, K: 32000, ta: true },
  { label: "DVS conv im2col  [16384x144]·[144x32]", M: 16384, N: 32, K: 144 },
  { label: "CIFAR conv im2col [8192x576]·[576x64]", M: 8192, N: 64, K: 576 },
];

function arg(name: string, def?: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : def;
}

function timeOurs(s: Shape, device: ReturnType<typeof parseDevice>, repeats: number): number {
  const rng = new Rng(7);
  const a = Tensor.randn(s.ta ? [s.K, s.M] : [s.M, s.K], rng, { device });
  const b = Tensor.randn(s.tb ? [s.N, s.K] : [s.K, s.N], rng, { device });
  const c = Tensor.empty([s.M, s.N], device);
  const run = () => ops.gemm(c, a, b, { transA: s.ta, transB: s.tb });
  run();
  synchronize(device);
  let best = Infinity;
  for (let r = 0; r < repeats; r++) {
    const t0 = performance.now();
    run();
    synchronize(device);
    best = Math.min(best, performance.now() - t0);
  }
  a.dispose();
  b.dispose();
  c.dispose();
  return best;
}

function timePeer(shapes: Shape[], repeats: number): { blas: string; ms: number[] } | { error: string } {
  const py = process.env.EXODUS_PEER_PYTHON ?? "/usr/bin/python3";
  const script = join(packageRoot(), "benchmarks", "peers", "numpy_gemm.py");
  const r = spawnSync(py, [script], { input: JSON.stringify({ shapes, repeats }), encoding: "utf8", env: { ...process.env, OPENBLAS_NUM_THREADS: String(cpus().length) } });
  if (r.status !== 0) return { error: `${py} ${script} failed: ${r.stderr || r.error?.message}`.trim() };
  const out = JSON.parse(r.stdout) as { blas: string; numpy: string; results: { ms: number }[] };
  return { blas: `numpy ${out.numpy} (${out.blas})`, ms: out.results.map((x) => x.ms) };
}

function main(): void {
  const device = parseDevice(arg("--device", "cpu"));
  const repeats = Number(arg("--repeats", "5"));
  const usePeer = !process.argv.includes("--no-peer") && !device.isCuda;
  const info = runtimeInfo();
  const gflops = (s: Shape, ms: number) => (2 * s.M * s.N * s.K) / ms / 1e6;

  const ours = SHAPES.map((s) => timeOurs(s, device, repeats));
  const peer = usePeer ? timePeer(SHAPES, repeats) : { error: "peer skipped" };
  const rows = SHAPES.map((s, i) => {
    const p = "ms" in peer ? peer.ms[i] : undefined;
    return {
      ...s,
      oursMs: ours[i],
      oursGflops: gflops(s, ours[i]),
      peerMs: p,
      peerGflops: p ? gflops(s, p) : undefined,
      ratio: p ? p / ours[i] : undefined,
    };
  });

  console.log(`GEMM on ${device} (${info.cpu.threads} threads, ${info.cpu.isa}); peer: ${"blas" in peer ? peer.blas : peer.error}\n`);
  console.log(`${"shape".padEnd(42)} ${"exodus".padStart(12)} ${"peer".padStart(12)}  ratio`);
  for (const r of rows)
    console.log(
      `${r.label.padEnd(42)} ${r.oursGflops.toFixed(1).padStart(7)} GF/s ${(r.peerGflops?.toFixed(1) ?? "—").padStart(7)} GF/s  ${r.ratio?.toFixed(2) ?? "—"}`,
    );
  const ratios = rows.map((r) => r.ratio).filter((x): x is number => x !== undefined);
  const geo = ratios.length ? Math.exp(ratios.reduce((a, b) => a + Math.log(b), 0) / ratios.length) : undefined;
  if (geo !== undefined)
    console.log(`\ngeometric mean ratio exodus / peer: ${geo.toFixed(2)} (target >= 0.5); min ${Math.min(...ratios).toFixed(2)}`);

  const out = arg("--out", join(packageRoot(), "benchmarks", "results", `gemm-${device.type}.json`))!;
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(
    out,
    JSON.stringify(
      {
        date: new Date().toISOString(),
        machine: { host: hostname(), cpu: cpus()[0]?.model, cores: cpus().length, isa: info.cpu.isa },
        device: String(device),
        peer: "blas" in peer ? peer.blas : peer.error,
        geomeanRatio: geo,
        rows,
      },
      null,
      2,
    ),
  );
  console.log(`wrote ${out}`);
}

main();
