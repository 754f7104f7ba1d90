// Recurrent NIR graphs in the layouts snnTorch writes (generated here, random values from fixed
// seeds; no third-party files): RLeaky / RSynaptic as a subgraph {input, lif, w_rec, output} with
// edges input→lif, lif→w_rec, w_rec→lif, lif→output (snnTorch's export_nir: dt = 1e-4,
// τ = dt/(1 − β), r = τ/dt, w_in = τ_syn/dt, so every Euler gain is 1; w_rec a Linear, or an Affine
// when the recurrent layer has a bias), and the same graph flattened with dotted names as the NIR
// paper's braille files hold it ("lif1.lif", "lif1.w_rec" at the top level).
import type { NirGraph } from "../../lib/nir/index.js";
import { type NirDict, f32, ints } from "../../lib/nir/hdf5.js";
import { Rng } from "../../lib/random.js";

const rand = (rng: Rng, n: number, lo: number, hi: number) => Float64Array.from({ length: n }, () => lo + (hi - lo) * rng.uniform());
const full = (n: number, v: number) => new Float64Array(n).fill(v);
const chain = (...names: string[]): [string, string][] => names.slice(1).map((n, i) => [names[i], n]);

/** snnTorch's Leaky / RLeaky LIF node: τ = dt/(1 − β), r = τ/dt. */
function leaky(beta: Float64Array, theta: number, dt: number): NirDict {
  const n = beta.length;
  const tau = beta.map((b) => dt / (1 - b));
  return { type: "LIF", tau: f32(tau), r: f32(tau.map((t) => t / dt)), v_leak: f32(full(n, 0)), v_threshold: f32(full(n, theta)), v_reset: f32(full(n, 0)) };
}

/** snnTorch's Synaptic / RSynaptic CubaLIF node: τs = dt/(1 − α), τm = dt/(1 − β), r = τm/dt, w_in = τs/dt. */
function synaptic(alpha: Float64Array, beta: Float64Array, theta: number, dt: number): NirDict {
  const n = beta.length;
  const ts = alpha.map((a) => dt / (1 - a)), tm = beta.map((b) => dt / (1 - b));
  return {
    type: "CubaLIF", tau_syn: f32(ts), tau_mem: f32(tm), r: f32(tm.map((t) => t / dt)), w_in: f32(ts.map((t) => t / dt)),
    v_leak: f32(full(n, 0)), v_threshold: f32(full(n, theta)), v_reset: f32(full(n, 0)),
  };
}

/** The subgraph snnTorch writes for a recurrent layer of H neurons. */
function subgraph(lif: NirDict, rng: Rng, H: number, bias: boolean, scale: number): NirDict {
  const w = f32(rand(rng, H * H, -scale, scale), [H, H]);
  return {
    type: "NIRGraph",
    nodes: {
      input: { type: "Input", input_type: { input: ints([H]) } }, lif, w_rec: bias ? { type: "Affine", weight: w, bias: f32(rand(rng, H, -0.1, 0.2)) } : { type: "Linear", weight: w },
      output: { type: "Output", output_type: { output: ints([H]) } },
    },
    edges: ["input", "lif", "lif", "w_rec", "w_rec", "lif", "lif", "output"], // [E, 2] row-major, as HDF5 holds it
    metadata: {},
  };
}

/** fc1 → RLeaky (subgraph lif1) → fc2 → Leaky: 5 → H → 3, dt 1e-4 not recorded. */
export function rleaky(seed = 11, H = 6, opts: { bias?: boolean } = {}, dt = 1e-4): NirGraph {
  const rng = new Rng(seed);
  return {
    nodes: {
      input: { type: "Input", shape: ints([5]) },
      fc1: { type: "Affine", weight: f32(rand(rng, H * 5, -0.5, 1.5), [H, 5]), bias: f32(rand(rng, H, 0, 0.2)) },
      lif1: subgraph(leaky(rand(rng, H, 0.7, 0.95), 1, dt), rng, H, !!opts.bias, 0.6),
      fc2: { type: "Affine", weight: f32(rand(rng, 3 * H, -0.5, 1.5), [3, H]), bias: f32(full(3, 0)) },
      lif2: leaky(rand(rng, 3, 0.8, 0.9), 1, dt),
      output: { type: "Output", shape: ints([3]) },
    },
    edges: chain("input", "fc1", "lif1", "fc2", "lif2", "output"),
    metadata: {},
  };
}

/**
 * The NIR paper's braille net in snnTorch's layout (braille_noDelay_*: 12 taxel inputs → RSynaptic
 * → 7 letters), sizes reduced: fc1 → lif1 (recurrent CubaLIF; w_rec an Affine with `bias`, as in
 * braille_noDelay_bias_*, else a Linear) → fc2 → lif2, the second layer recurrent too when
 * `recurrentOut` (else a Synaptic, as in the paper).
 */
export function braille(seed = 12, H = 8, o: { recurrentOut: boolean; bias: boolean } = { recurrentOut: true, bias: true }, dt = 1e-4): NirGraph {
  const rng = new Rng(seed);
  const lif2 = synaptic(rand(rng, 7, 0.5, 0.7), rand(rng, 7, 0.8, 0.9), 1, dt);
  return {
    nodes: {
      input: { type: "Input", shape: ints([12]) },
      fc1: { type: "Affine", weight: f32(rand(rng, H * 12, -0.15, 0.25), [H, 12]), bias: f32(rand(rng, H, 0, 0.02)) },
      lif1: subgraph(synaptic(rand(rng, H, 0.5, 0.8), rand(rng, H, 0.8, 0.95), 1, dt), rng, H, o.bias, 0.5),
      fc2: { type: "Affine", weight: f32(rand(rng, 7 * H, -0.2, 0.4), [7, H]), bias: f32(rand(rng, 7, 0, 0.02)) },
      lif2: o.recurrentOut ? subgraph(lif2, rng, 7, o.bias, 0.5) : lif2,
      output: { type: "Output", shape: ints([7]) },
    },
    edges: chain("input", "fc1", "lif1", "fc2", "lif2", "output"),
    metadata: {},
  };
}

/** Every subgraph's inner nodes moved to the top level with dotted names, its Input/Output removed (the NIR paper's braille.nir). */
export function flattenDotted(g: NirGraph): NirGraph {
  const nodes: Record<string, NirDict> = {};
  const edges: [string, string][] = [];
  const entry = new Map<string, string>(), exit = new Map<string, string>();
  for (const [name, node] of Object.entries(g.nodes)) {
    if (node.type !== "NIRGraph") {
      nodes[name] = node;
      continue;
    }
    const inner = node.nodes as Record<string, NirDict>;
    const flat = node.edges as string[];
    const io = (t: string) => Object.keys(inner).find((k) => inner[k].type === t)!;
    for (const [k, v] of Object.entries(inner)) if (v.type !== "Input" && v.type !== "Output") nodes[`${name}.${k}`] = v;
    for (let i = 0; i < flat.length; i += 2) {
      const [a, b] = [flat[i], flat[i + 1]];
      if (a === io("Input")) entry.set(name, `${name}.${b}`);
      else if (b === io("Output")) exit.set(name, `${name}.${a}`);
      else edges.push([`${name}.${a}`, `${name}.${b}`]);
    }
  }
  for (const [a, b] of g.edges) edges.push([exit.get(a) ?? a, entry.get(b) ?? b]);
  return { nodes, edges, metadata: g.metadata };
}
