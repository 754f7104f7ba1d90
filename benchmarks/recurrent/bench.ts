// The recurrent SHD training step (docs/performance.md, Recurrent LIF): 100 inputs → 256 recurrent
// LIF → 20, B 128, T 250, input spikes at SHD's density, max-over-time readout, one full step
// (forward, loss, backward, no optimiser). exodus (the fused scans) and exodus's own BPTT tape,
// interleaved in each round so that both see the same machine load; the median per method and the
// load average. With --only one method runs alone, and the process's peak RSS is its memory.
//
//   node dist/benchmarks/recurrent/bench.js [--rounds 3] [--threads N] [--device cpu|cuda] [--only exodus|bptt]
import { loadavg } from "node:os";
import { parseDevice } from "../../lib/device.js";
import { native } from "../../lib/native.js";
import { Linear } from "../../lib/nn/linear.js";
import { RLIF } from "../../lib/nn/rlif.js";
import { Sequential } from "../../lib/nn/sequential.js";
import { Rng } from "../../lib/random.js";
import { Tensor, scope } from "../../lib/tensor.js";
import { readoutCrossEntropy } from "../../lib/train/loss.js";

const args = process.argv.slice(2);
const value = (name: string, def: string) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : def;
};
const rounds = Number(value("rounds", "3"));
const device = parseDevice(value("device", "cpu"));
if (args.includes("--threads")) native().setThreads({ threads: Number(value("threads", "1")) });
const T = 250, B = 128, IN = 100, H = 256, C = 20, DENSITY = 0.015;

const rng = new Rng(0);
const x = new Float32Array(T * B * IN);
for (let i = 0; i < x.length; i++) x[i] = rng.uniform() < DENSITY ? 1 : 0;
const labels = Int32Array.from({ length: B }, (_, b) => b % C);
const input = Tensor.from(x, [T, B, IN], device);

function net(backward: "exodus" | "bptt") {
  const r = new Rng(1);
  return new Sequential(new Linear(IN, H, { bias: false, rng: r, initScale: 3, device }), new RLIF({ size: H, tauMem: 30, rng: r, backward, device }),
    new Linear(H, C, { bias: false, rng: r, device }));
}
const methods = (args.includes("--only") ? [value("only", "exodus")] : ["exodus", "bptt"]) as ("exodus" | "bptt")[];
const nets = { exodus: net("exodus"), bptt: net("bptt") };
const times: Record<string, number[]> = { exodus: [], bptt: [] };
let spikes = 0;

function step(name: "exodus" | "bptt"): number {
  const n = nets[name];
  const t0 = performance.now();
  scope(() => {
    n.zeroGrad();
    const y = n.forward(input);
    const r = readoutCrossEntropy("max", y, labels);
    n.backward(r.dy!);
    native().synchronize({ device: device.type === "cpu" ? 0 : 1, index: device.index });
  });
  return performance.now() - t0;
}

for (const name of methods) step(name);
for (let r = 0; r < rounds; r++) for (const name of methods) times[name].push(step(name));
// The hidden layer's spike rate, to show the run is in a spiking regime.
scope(() => {
  const hidden = (nets.exodus.layers[1] as RLIF).forward((nets.exodus.layers[0] as Linear).forward(input));
  const s = hidden.toArray();
  spikes = s.reduce((a, b) => a + b, 0) / s.length;
});
const median = (a: number[]) => [...a].sort((p, q) => p - q)[Math.floor(a.length / 2)];
const out = {
  shape: { T, B, in: IN, hidden: H, classes: C, inputDensity: DENSITY }, device: String(device), threads: native().info().cpuThreads,
  hiddenSpikeRate: spikes, loadavg: loadavg(), medianMs: Object.fromEntries(methods.map((m) => [m, median(times[m])])), allMs: times,
  ...(methods.length === 2 ? { speedup: median(times.bptt) / median(times.exodus) } : { peakRssMiB: Math.round(process.resourceUsage().maxRSS / 1024) }),
};
console.log(JSON.stringify(out, null, 2));
