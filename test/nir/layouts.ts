// NIR graphs laid out as other frameworks write them, generated here (no third-party files):
// which node types, field names, shapes, units and conventions each exporter uses, learnt from
// their exporters (Norse, sinabs, Rockpool, snnTorch, SpikingJelly) and the NIR paper's graphs.
// Values are random from fixed seeds.
import type { NirGraph } from "../../lib/nir/index.js";
import { type NirDict, f32, ints } from "../../lib/nir/hdf5.js";
import { Rng } from "../../lib/random.js";

const rand = (rng: Rng, n: number, lo: number, hi: number) => Float64Array.from({ length: n }, () => lo + (hi - lo) * rng.uniform());
const full = (n: number, v: number) => new Float64Array(n).fill(v);
const arr = (d: ArrayLike<number>, shape: number[]) => f32(d, shape);
const chain = (...names: string[]): [string, string][] => names.slice(1).map((n, i) => [names[i], n]);

/** Norse: Affine + LIF with τ in seconds (dt = 1e-4 not recorded), R = 1, v_reset 0, Output [n, 1, 1]. */
export function norse(seed = 1): NirGraph {
  const rng = new Rng(seed);
  return {
    nodes: {
      input: { type: "Input", shape: ints([4]) },
      "0": { type: "Affine", weight: arr(rand(rng, 24, -0.5, 1.5), [6, 4]), bias: arr(rand(rng, 6, 0, 0.2), [6]) },
      "1": { type: "LIF", tau: arr(rand(rng, 6, 5e-4, 2e-3), [6]), r: arr(full(6, 1), [6]), v_leak: arr(full(6, 0), [6]), v_threshold: arr(full(6, 0.3), [6]), v_reset: arr(full(6, 0), [6]) },
      "2": { type: "Affine", weight: arr(rand(rng, 18, -0.5, 1.5), [3, 6]), bias: arr(full(3, 0), [3]) },
      "3": { type: "LIF", tau: arr(full(3, 1e-3), [3]), r: arr(full(3, 1), [3]), v_leak: arr(full(3, 0), [3]), v_threshold: arr(full(3, 0.2), [3]), v_reset: arr(full(3, 0), [3]) },
      output: { type: "Output", shape: ints([3, 1, 1]) },
    },
    edges: chain("input", "0", "1", "2", "3", "output"),
    metadata: {},
  };
}

/** sinabs (N-MNIST CNN form): Conv2d with bias, IF without v_reset (pre-1.0), SumPool2d, torch's
 *  Flatten(start_dim 1) with a placeholder input_type, Affine; time in steps, no dt. */
export function sinabs(seed = 2): NirGraph {
  const rng = new Rng(seed);
  const ifNode = (shape: number[], theta: number): NirDict => {
    const n = shape.reduce((a, b) => a * b, 1);
    return { type: "IF", r: arr(full(n, 1), shape), v_threshold: arr(full(n, theta), shape) };
  };
  return {
    nodes: {
      input: { type: "Input", shape: ints([2, 8, 8]) },
      "0": { type: "Conv2d", weight: arr(rand(rng, 4 * 2 * 9, -0.4, 0.8), [4, 2, 3, 3]), bias: arr(rand(rng, 4, -0.1, 0.1), [4]), stride: ints([1, 1]), padding: ints([1, 1]), dilation: ints([1, 1]), groups: 1 },
      "1": ifNode([4, 8, 8], 0.5),
      "2": { type: "SumPool2d", kernel_size: ints([2, 2]), stride: ints([2, 2]), padding: ints([0, 0]) },
      "3": { type: "Flatten", start_dim: 1, end_dim: -1, input_type: { input: ints([0, 0, 0, 0]) } },
      "4": { type: "Affine", weight: arr(rand(rng, 5 * 64, -0.2, 0.4), [5, 64]), bias: arr(full(5, 0), [5]) },
      "5": ifNode([5], 1),
      output: { type: "Output", shape: ints([5]) },
    },
    edges: chain("input", "0", "1", "2", "3", "4", "5", "output"),
    metadata: {},
  };
}

/** sinabs with a 1-D convolution (its exporter writes nn.Conv1d as Conv1d: stride, padding,
 *  dilation as 1-tuples, bias), an LIF in steps (R = 1: norm_input), torch's Flatten, Affine, IF. */
export function sinabs1d(seed = 6): NirGraph {
  const rng = new Rng(seed);
  const n = 3 * 12;
  return {
    nodes: {
      input: { type: "Input", shape: ints([2, 12]) },
      "0": { type: "Conv1d", weight: arr(rand(rng, 3 * 2 * 3, -0.3, 0.9), [3, 2, 3]), bias: arr(rand(rng, 3, -0.1, 0.2), [3]), stride: ints([1]), padding: ints([1]), dilation: ints([1]), groups: 1 },
      "1": { type: "LIF", tau: arr(full(n, 4), [3, 12]), r: arr(full(n, 1), [3, 12]), v_leak: arr(full(n, 0), [3, 12]), v_threshold: arr(full(n, 0.3), [3, 12]) },
      "2": { type: "Flatten", start_dim: 1, end_dim: -1, input_type: { input: ints([0, 0, 0]) } },
      "3": { type: "Affine", weight: arr(rand(rng, 4 * n, -0.2, 0.5), [4, n]), bias: arr(full(4, 0), [4]) },
      "4": { type: "IF", r: arr(full(4, 1), [4]), v_threshold: arr(full(4, 1), [4]) },
      output: { type: "Output", shape: ints([4]) },
    },
    edges: chain("input", "0", "1", "2", "3", "4", "output"),
    metadata: {},
  };
}

/** Rockpool: Linear + CubaLIF (seconds, dt 1e-3 given by the user), r = τm·exp(−dt/τm)/dt, a bias as v_leak, no w_in. */
export function rockpool(seed = 3, dt = 1e-3): NirGraph {
  const rng = new Rng(seed);
  const tm = rand(rng, 4, 4e-3, 8e-3);
  return {
    nodes: {
      input: { type: "Input", shape: ints([6]) },
      "0_LinearTorch": { type: "Linear", weight: arr(rand(rng, 24, -0.5, 2), [4, 6]) },
      "1_LIFTorch": {
        type: "CubaLIF", tau_syn: arr(rand(rng, 4, 2e-3, 4e-3), [4]), tau_mem: arr(tm, [4]), r: arr(tm.map((t) => (t * Math.exp(-dt / t)) / dt), [4]),
        v_leak: arr(rand(rng, 4, 0.6, 1.4), [4]), v_threshold: arr(full(4, 1), [4]),
      },
      output: { type: "Output", shape: ints([4]) },
    },
    edges: chain("input", "0_LinearTorch", "1_LIFTorch", "output"),
    metadata: {},
  };
}

/** snnTorch: Affine + Leaky (LIF, τ = dt/(1 − β), r = β, dt = 1e-4) + Affine + Synaptic (CubaLIF). */
export function snntorch(seed = 4, dt = 1e-4): NirGraph {
  const rng = new Rng(seed);
  const beta = rand(rng, 6, 0.7, 0.95);
  const b2 = rand(rng, 3, 0.8, 0.9), a2 = rand(rng, 3, 0.5, 0.7);
  return {
    nodes: {
      input: { type: "Input", shape: ints([5]) },
      fc1: { type: "Affine", weight: arr(rand(rng, 30, -1, 3), [6, 5]), bias: arr(rand(rng, 6, 0, 0.3), [6]) },
      lif1: { type: "LIF", tau: arr(beta.map((b) => dt / (1 - b)), [6]), r: arr(beta, [6]), v_leak: arr(full(6, 0), [6]), v_threshold: arr(full(6, 1), [6]), v_reset: arr(full(6, 0), [6]) },
      fc2: { type: "Affine", weight: arr(rand(rng, 18, -1, 4), [3, 6]), bias: arr(full(3, 0), [3]) },
      lif2: { type: "CubaLIF", tau_syn: arr(a2.map((a) => dt / (1 - a)), [3]), tau_mem: arr(b2.map((b) => dt / (1 - b)), [3]), r: arr(b2, [3]), v_leak: arr(full(3, 0), [3]), v_threshold: arr(full(3, 1), [3]), v_reset: arr(full(3, 0), [3]) },
      output: { type: "Output", shape: ints([3]) },
    },
    edges: chain("input", "fc1", "lif1", "fc2", "lif2", "output"),
    metadata: {},
  };
}

/** snnTorch's RLeaky: a subgraph whose LIF feeds back through a Linear (a recurrent edge). */
export function snntorchRecurrent(): NirGraph {
  const g = snntorch();
  const lif1 = g.nodes.lif1;
  g.nodes.lif1 = {
    type: "NIRGraph",
    nodes: { input: { type: "Input", shape: ints([6]) }, lif: lif1, w_rec: { type: "Linear", weight: arr(full(36, 0.1), [6, 6]) }, output: { type: "Output", shape: ints([6]) } },
    edges: ["input", "lif", "lif", "w_rec", "w_rec", "lif", "lif", "output"], // [E, 2] flattened, as HDF5 stores it
  };
  return g;
}

/** SpikingJelly: Conv2d with bias, LIF (τ in steps × dt, R = 1: decay_input), a SEW-style residual
 *  (two LIF outputs summed into the next node), AvgPool2d, torch's Flatten, Affine, and a CUBALIF
 *  (w_in = τs/dt, r = τm/dt). dt 1e-4 is not recorded. */
export function spikingjelly(seed = 5, dt = 1e-4): NirGraph {
  const rng = new Rng(seed);
  const lif = (shape: number[], tauSteps: number): NirDict => {
    const n = shape.reduce((a, b) => a * b, 1);
    return { type: "LIF", tau: arr(full(n, tauSteps * dt), shape), r: arr(full(n, 1), shape), v_leak: arr(full(n, 0), shape), v_threshold: arr(full(n, 0.6), shape), v_reset: arr(full(n, 0), shape) };
  };
  const conv = (cin: number, cout: number): NirDict => ({
    type: "Conv2d", input_shape: ints([6, 6]), weight: arr(rand(rng, cout * cin * 9, -0.3, 0.9), [cout, cin, 3, 3]), bias: arr(rand(rng, cout, -0.1, 0.2), [cout]),
    stride: ints([1, 1]), padding: ints([1, 1]), dilation: ints([1, 1]), groups: 1,
  });
  const ts = 2 * dt, tm = 3 * dt;
  return {
    nodes: {
      input: { type: "Input", shape: ints([2, 6, 6]) },
      conv1: conv(2, 3), sn1: lif([3, 6, 6], 2),
      conv2: conv(3, 3), sn2: lif([3, 6, 6], 2),
      pool: { type: "AvgPool2d", kernel_size: ints([2, 2]), stride: ints([2, 2]), padding: ints([0, 0]) },
      flat: { type: "Flatten", start_dim: 1, end_dim: -1, input_type: { input: ints([1, 3, 3, 3]) } },
      fc: { type: "Affine", weight: arr(rand(rng, 4 * 27, -0.3, 0.9), [4, 27]), bias: arr(rand(rng, 4, 0, 0.1), [4]) },
      sn3: { type: "CubaLIF", tau_syn: arr(full(4, ts), [4]), tau_mem: arr(full(4, tm), [4]), r: arr(full(4, tm / dt), [4]), v_leak: arr(full(4, 0), [4]), v_threshold: arr(full(4, 0.5), [4]), v_reset: arr(full(4, 0), [4]), w_in: arr(full(4, ts / dt), [4]) },
      output: { type: "Output", shape: ints([4]) },
    },
    // SEW ADD: pool receives sn1 (the block's input) and sn2 (the block's output): their sum
    edges: [...chain("input", "conv1", "sn1", "conv2", "sn2", "pool", "flat", "fc", "sn3", "output"), ["sn1", "pool"]],
    metadata: {},
  };
}

/** The two-neuron LIF graph of the NIR paper's spike-representation check: Input/Output with
 *  input_type/output_type, Linear, a self-spiking LIF (v_leak above threshold), no v_reset. The
 *  paper's second threshold is 20 (it never fires in a short run); tests pass a lower one. */
export function twoNeurons(theta2 = 20): NirGraph {
  const one = (v: number) => arr([v], [1]);
  return {
    nodes: {
      in: { type: "Input", input_type: { input: ints([1]) } },
      linear1: { type: "Linear", weight: arr([1], [1, 1]) },
      lif1: { type: "LIF", tau: one(0.01), r: one(1), v_leak: one(1.2), v_threshold: one(1) },
      linear2: { type: "Linear", weight: arr([1], [1, 1]) },
      lif2: { type: "LIF", tau: one(0.01), r: one(1), v_leak: one(0), v_threshold: one(theta2) },
      out: { type: "Output", output_type: { output: ints([1]) } },
    },
    edges: chain("in", "linear1", "lif1", "linear2", "lif2", "out"),
    metadata: {},
  };
}
