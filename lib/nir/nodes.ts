// One NIR node → the exodus layers that compute it, given the per-sample shape reaching the node
// (conventions in convention.ts and docs/formats.md). Neurons: NIR's τ·dv/dt = (v_leak − v) + R·I
// stepped by forward Euler, v[t] = α·v[t−1] + (dt/τ)·v_leak + (dt/τ)·R·x[t] with α = 1 − dt/τ:
//   - the input gain R·dt/τ is exodus's 1, or normInput's 1 − α (R = 1), or else is folded into the
//     weights of the Linear/Conv2d before the neuron (or, with none, applied by a Scale layer);
//   - the leak drive (dt/τ)·v_leak is a constant added to the neuron's input (a Bias layer), exact.
import { type DeviceLike } from "../device.js";
import { shapeStr } from "../errors.js";
import { Conv2d } from "../nn/conv2d.js";
import { CubaLIF } from "../nn/cuba.js";
import { ExpLeak } from "../nn/expleak.js";
import { Flatten } from "../nn/flatten.js";
import { IAF, LIF } from "../nn/lif.js";
import { Linear } from "../nn/linear.js";
import type { Module } from "../nn/module.js";
import type { BackwardMethod, SurrogateOptions } from "../nn/options.js";
import { AvgPool2d, SumPool2d } from "../nn/pool.js";
import { DelayLinear } from "../nn/delay.js";
import { RLIF } from "../nn/rlif.js";
import { RCubaLIF } from "../nn/rcuba.js";
import { GAIN_TOL, decayFromTau } from "./convention.js";
import { isArray } from "./hdf5.js";
import { Conv1d } from "./conv1d.js";
import { Bias, Scale, Threshold } from "./layers.js";
import { DELAY_LINEAR } from "./delay-import.js";
import type { Recurrence } from "./recurrent.js";
import { NodeReader, type PerNeuronValues, all, expand, f32, mapAll, prod, zip } from "./reader.js";

export interface NodeContext {
  dt: number;
  /** Whether dt came from the graph or the caller (else it was assumed to be 1). */
  dtKnown: boolean;
  notes: string[];
  device?: DeviceLike;
  backward?: BackwardMethod;
  /** The layers computed just before this node's input, which a gain may be folded into ([] if shared). */
  before: Module[];
  /** The node's recurrent weights (a neuron ↔ w_rec cycle, recurrent.ts), if any. */
  recurrent?: Recurrence;
}

/** The shape without its size-1 dimensions (NIR writers add some, e.g. [1, 1, 1] for one neuron). */
export const squeeze = (s: readonly number[]) => s.filter((d) => d !== 1);
export const sameElements = (a: readonly number[], b: readonly number[]) => {
  const x = squeeze(a), y = squeeze(b);
  return x.length === y.length && x.every((d, i) => d === y[i]);
};

export const SUPPORTED = "Linear, Affine, Scale, Conv1d, Conv2d, AvgPool2d, SumPool2d, Flatten, LIF, IF, LI, I, CubaLIF, Threshold, Delay (next to a Linear), NIRGraph (subgraphs, recurrent LIF/CubaLIF)";

export function nodeLayers(r: NodeReader, inShape: readonly number[], ctx: NodeContext): { layers: Module[]; shape: number[] } {
  const { dt } = ctx;
  const type = String(r.node.type);
  let shape = [...inShape];
  const layers: Module[] = [];
  const common = { device: ctx.device, backward: ctx.backward };
  const n = () => prod(shape);

  /** Multiplies the input of the next neuron by gain: folded into the weights before it, else a Scale layer. */
  const gainOf = (gain: PerNeuronValues) => {
    if (all(gain, (x) => Math.abs(x - 1) <= GAIN_TOL)) return;
    const run = [...ctx.before, ...layers];
    let k = run.length - 1;
    while (k >= 0 && run[k] instanceof Bias && (run[k] as Bias).role === "bias") k--;
    const target = run[k];
    // per output neuron: row o of a Linear (and its bias) times g[o]; a Conv2d's channel c times
    // the gain its neurons share (exact in real arithmetic, one float32 rounding per weight)
    const g = expand(gain, n());
    const per = target instanceof Conv2d && shape.length === 3 ? shape[1] * shape[2] : target instanceof Conv1d && shape.length === 2 ? shape[1] : 1;
    const perUnit = Array.from({ length: g.length / per }, (_, u) => g[u * per]);
    const uniform = g.every((x, j) => x === perUnit[Math.floor(j / per)]);
    if ((target instanceof Linear || target instanceof Conv2d || target instanceof Conv1d) && uniform) {
      const scaleRows = (t: { set(d: Float32Array): void; toArray(): Float32Array }, unit: number) => t.set(t.toArray().map((x, j) => x * perUnit[Math.floor(j / unit) % perUnit.length]));
      for (const p of target.parameters()) scaleRows(p.value, p.value.size / perUnit.length);
      for (const l of run.slice(k + 1)) for (const p of l.parameters()) scaleRows(p.value, per); // a conv's Bias [C, H, W]
      const shared = perUnit.every((x) => x === perUnit[0]);
      ctx.notes.push(`node ${r.name}: input gain ${shared ? perUnit[0] : "R·dt/τ (per neuron)"} folded into the weights of the layer before it`);
      return;
    }
    layers.push(new Scale(shape, expand(gain, n()), ctx.device));
    ctx.notes.push(`node ${r.name}: input gain R·dt/τ applied by a Scale layer (nothing before it to fold it into)`);
  };
  const drive = (rate: PerNeuronValues, vLeak: PerNeuronValues) => {
    const c = zip(n(), [rate, vLeak], (a, b) => a * b);
    if (all(c, (x) => x === 0)) return;
    layers.push(new Bias(shape, expand(c, n()), { role: "drive", device: ctx.device }));
  };
  const surrogate = (): SurrogateOptions | undefined => {
    const s = r.meta("exodus_surrogate");
    if (typeof s !== "string") return undefined;
    try {
      return JSON.parse(s) as SurrogateOptions;
    } catch {
      return undefined;
    }
  };
  const reset = (): "subtract" | "zero" => {
    if (!r.has("v_reset")) {
      // NIR before 1.0 had no v_reset; the reference reader takes 0
      ctx.notes.push(`node ${r.name}: no v_reset (a file from before NIR 1.0); reset to 0 as the reference reader does`);
      return "zero";
    }
    if (!all(r.perNeuron("v_reset", shape), (x) => x === 0)) r.fail("v_reset other than 0: exodus neurons reset to 0 or subtract the threshold");
    return r.meta("exodus_reset") === "subtract" ? "subtract" : "zero";
  };
  const vLeak = (): PerNeuronValues => (r.has("v_leak") ? r.perNeuron("v_leak", shape) : 0);
  const decay = (key: string): PerNeuronValues => {
    const tau = r.perNeuron(key, shape);
    const a = mapAll(tau, (t) => decayFromTau(t, dt));
    if (!all(a, (x) => x > 0 && x <= 1)) {
      const t = typeof tau === "number" ? tau : Math.min(...tau);
      if (!ctx.dtKnown && t < 1)
        r.fail(`${key}: τ = ${t} is below the assumed dt = 1: the graph states time constants in seconds but records no dt; pass --dt, e.g. 1e-4 as Norse/snnTorch use`);
      r.fail(`${key}: expected τ >= dt = ${dt} (a decay 1 − dt/τ in (0, 1]), received τ = ${t}`);
    }
    return a;
  };
  const rate = (key: string) => mapAll(r.perNeuron(key, shape), (t) => dt / t);
  /** The recurrent V [H, H] (and bias) of ctx.recurrent with the neuron's input gain g folded into row i (g_i·V[i][·]). */
  const recurrentWeights = (g: PerNeuronValues): { weight: Float32Array; bias: Float32Array | undefined } => {
    const rec = new NodeReader(r.where, ctx.recurrent!.name, ctx.recurrent!.node);
    const H = n();
    const w = rec.array("weight");
    if (w.data.length !== H * H || squeeze(w.shape).length > 2) rec.fail(`weight: expected [${H}, ${H}] (the recurrent weights of node ${r.name}'s ${H} neurons), received ${shapeStr(w.shape)}`);
    const one = all(g, (x) => Math.abs(x - 1) <= GAIN_TOL);
    const gi = expand(g, H);
    if (!one) ctx.notes.push(`node ${rec.name}: the input gain of node ${r.name} folded into the recurrent weights`);
    const weight = Float32Array.from(w.data as ArrayLike<number>, (v, k) => (one ? v : v * gi[Math.floor(k / H)]));
    if (rec.node.type !== "Affine") return { weight, bias: undefined };
    const b = rec.values("bias");
    if (b.length !== H) rec.fail(`bias: expected ${H} values, received ${b.length}`);
    return { weight, bias: Float32Array.from(b, (v, k) => (one ? v : v * gi[k])) };
  };
  /** A recurrent layer's input: one vector of H neurons (singleton dimensions dropped by a view). */
  const recurrentInput = () => {
    if (squeeze(shape).length > 1) r.fail(`a recurrent neuron node over samples of shape ${shapeStr(shape)}: exodus's recurrent layers take a vector of neurons`);
    if (shape.length !== 1) layers.push(new Flatten());
    shape = [n()];
  };
  /** The recurrent layer make(hasBias) builds, given ctx.recurrent's weights with the input gain g folded in. */
  const recurrent = (g: PerNeuronValues, make: (bias: boolean) => RLIF | RCubaLIF) => {
    const { weight, bias } = recurrentWeights(g);
    const l = make(!!bias);
    l.weight.value.set(weight);
    if (bias) l.parameters().find((p) => p.name === "bias")!.value.set(bias);
    layers.push(l);
  };
  /** An RLIF of decay alpha with ctx.recurrent's weights (the gain g already applied to the input). */
  const recurrentLif = (g: PerNeuronValues, alpha: number | Float32Array) =>
    recurrent(g, (bias) => new RLIF({ size: n(), alpha, threshold: f32(r.perNeuron("v_threshold", shape)), reset: reset(), bias, learnAlpha: r.meta("exodus_learn_alpha") === 1, surrogate: surrogate(), ...common }));
  const weighted = (inFeatures: number) => {
    if (!sameElements(shape, [inFeatures])) r.fail(`expected an input of ${inFeatures} features, received samples of shape ${shapeStr(shape)}`);
    if (shape.length !== 1) layers.push(new Flatten()); // singleton dimensions: a view
  };

  switch (type) {
    case "Linear":
    case "Affine": {
      const w = r.array("weight");
      const ws = squeeze(w.shape.slice(0, -1)).length <= 1 && w.shape.length >= 2 ? [prod(w.shape.slice(0, -1)), w.shape[w.shape.length - 1]] : undefined;
      if (!ws) r.fail(`weight: expected [out, in], received ${shapeStr(w.shape)}`);
      const [o, i] = ws;
      weighted(i);
      const lin = new Linear(i, o, { bias: type === "Affine", device: common.device });
      lin.weight.value.set(Float32Array.from(w.data as ArrayLike<number>));
      if (lin.bias) {
        const b = r.values("bias");
        if (b.length !== o) r.fail(`bias: expected ${o} values, received ${b.length}`);
        lin.bias.value.set(Float32Array.from(b));
      }
      layers.push(lin);
      shape = [o];
      break;
    }
    case "Scale": {
      const s = r.values("scale");
      if (s.length !== 1 && s.length !== n()) r.fail(`scale: expected ${n()} values (shape ${shapeStr(shape)}) or one, received ${s.length}`);
      layers.push(new Scale(shape, s.length === 1 ? new Float64Array(n()).fill(s[0]) : s, ctx.device));
      break;
    }
    case "Threshold": {
      layers.push(new Threshold(shape, expand(r.perNeuron("threshold", shape), n()), ctx.device));
      break;
    }
    case "Conv2d": {
      const w = r.array("weight");
      if (w.shape.length !== 4 || w.shape[2] !== w.shape[3]) r.fail(`weight: expected [Cout, Cin, k, k], received ${shapeStr(w.shape)}`);
      const [co, ci, k] = w.shape;
      if (shape.length !== 3 || shape[0] !== ci) r.fail(`expected an input [${ci}, H, W], received samples of shape ${shapeStr(shape)}`);
      if (r.int("groups", 1) !== 1) r.fail("groups other than 1 (exodus convolutions are dense)");
      if (r.square("dilation", 1) !== 1) r.fail("dilation other than 1");
      const stride = r.square("stride", 1);
      const pad = r.node.padding === "same" ? (stride === 1 && k % 2 === 1 ? (k - 1) / 2 : r.fail('padding "same" needs stride 1 and an odd kernel')) : r.node.padding === "valid" ? 0 : r.square("padding", 0);
      const conv = new Conv2d(ci, co, { kernel: k, padding: pad, stride, device: ctx.device });
      conv.weight.value.set(Float32Array.from(w.data as ArrayLike<number>));
      layers.push(conv);
      const out = (m: number) => Math.floor((m + 2 * pad - k) / stride) + 1;
      shape = [co, out(shape[1]), out(shape[2])];
      const b = r.has("bias") ? r.values("bias") : [];
      if (b.length && b.length !== co) r.fail(`bias: expected ${co} values (one per output channel), received ${b.length}`);
      if (b.some((x) => x !== 0)) {
        const per = shape[1] * shape[2];
        layers.push(new Bias(shape, Float32Array.from({ length: n() }, (_, j) => b[Math.floor(j / per)]), { role: "bias", device: ctx.device }));
      }
      break;
    }
    case "Conv1d": {
      const w = r.array("weight");
      if (w.shape.length !== 3) r.fail(`weight: expected [Cout, Cin, k], received ${shapeStr(w.shape)}`);
      const [co, ci, k] = w.shape;
      if (shape.length !== 2 || shape[0] !== ci) r.fail(`expected an input [${ci}, L], received samples of shape ${shapeStr(shape)}`);
      if (r.int("groups", 1) !== 1) r.fail("groups other than 1 (exodus convolutions are dense)");
      if (r.square("dilation", 1) !== 1) r.fail("dilation other than 1");
      const stride = r.square("stride", 1);
      const pad = r.node.padding === "same" ? (stride === 1 && k % 2 === 1 ? (k - 1) / 2 : r.fail('padding "same" needs stride 1 and an odd kernel')) : r.node.padding === "valid" ? 0 : r.square("padding", 0);
      let conv: Conv1d;
      try {
        conv = new Conv1d(ci, co, k, pad, stride, ctx.device);
      } catch (e) {
        return r.fail((e as Error).message.replace(/^Conv1d: /, ""));
      }
      conv.weight1d = w.data as ArrayLike<number>;
      layers.push(conv);
      shape = [co, conv.outLength(shape[1])];
      const b = r.has("bias") ? r.values("bias") : [];
      if (b.length && b.length !== co) r.fail(`bias: expected ${co} values (one per output channel), received ${b.length}`);
      if (b.some((x) => x !== 0)) layers.push(new Bias(shape, Float32Array.from({ length: n() }, (_, j) => b[Math.floor(j / shape[1])]), { role: "bias", device: ctx.device }));
      break;
    }
    case "AvgPool2d":
    case "SumPool2d": {
      const k = r.square("kernel_size");
      if (r.square("stride", k) !== k) r.fail("a stride other than the kernel size (exodus pools non-overlapping windows)");
      if (r.square("padding", 0) !== 0) r.fail("padding other than 0");
      if (shape.length !== 3) r.fail(`expected an input [C, H, W], received samples of shape ${shapeStr(shape)}`);
      layers.push(type === "AvgPool2d" ? new AvgPool2d(k) : new SumPool2d(k));
      shape = [shape[0], Math.floor(shape[1] / k), Math.floor(shape[2] / k)];
      break;
    }
    case "Flatten": {
      const rank = shape.length;
      const s = r.int("start_dim", 1), e = r.int("end_dim", -1);
      const norm = (d: number) => (d < 0 ? d + rank : d);
      // exodus flattens whole samples; a partial flatten is the same when the dims it keeps are 1
      const kept = (a: number, b: number) => squeeze([...shape.slice(0, norm(a)), ...shape.slice(norm(b) + 1)]).length === 0;
      if (!kept(s, e)) {
        // torch's dims count the batch (sinabs, SpikingJelly write nn.Flatten's start_dim 1): read
        // that way, start_dim 1 flattens the whole sample
        if (!(s >= 1 && kept(s - 1, e < 0 ? e : e - 1)))
          r.fail(`start_dim ${s}, end_dim ${e} over samples of shape ${shapeStr(shape)}: exodus flattens a whole sample (start_dim 0, end_dim -1)`);
        ctx.notes.push(`node ${r.name}: start_dim ${s} read as torch's (counting the batch), as sinabs and SpikingJelly write it: the whole sample is flattened`);
      }
      const declared = flattenInput(r);
      // some writers store a placeholder input_type (sinabs: zeros); only a real one is checked
      if (declared && declared.every((d) => d >= 1) && prod(declared) !== n()) r.fail(`input_type: declares [${declared.join(", ")}], but the samples reaching it have shape ${shapeStr(shape)}`);
      layers.push(new Flatten());
      shape = [n()];
      break;
    }
    case "LIF": {
      if (ctx.recurrent) {
        // RLIF: v = α·v + x + V·s[t−1] (+ bias); NIR's gain g = R·dt/τ scales x, V·s and w_rec's bias alike
        recurrentInput();
        const g = zip(n(), [r.perNeuron("r", shape), rate("tau")], (x, k) => x * k);
        gainOf(g);
        drive(rate("tau"), vLeak());
        recurrentLif(g, f32(decay("tau")));
        break;
      }
      const alpha = decay("tau");
      const rr = r.perNeuron("r", shape);
      // g = R·dt/τ: 1 → plain; R = 1 → normInput (g = 1 − α); else folded
      const g = zip(n(), [rr, rate("tau")], (x, k) => x * k);
      const normInput = !all(g, (x) => Math.abs(x - 1) <= GAIN_TOL) && all(rr, (x) => Math.abs(x - 1) <= GAIN_TOL);
      if (!normInput) gainOf(g);
      // normInput scales the drive by 1 − α too: add v_leak itself
      drive(normInput ? 1 : rate("tau"), vLeak());
      layers.push(new LIF({ alpha: f32(alpha), threshold: f32(r.perNeuron("v_threshold", shape)), reset: reset(), normInput,
        learnAlpha: r.meta("exodus_learn_alpha") === 1, surrogate: surrogate(), ...common }));
      break;
    }
    case "IF": {
      if (ctx.recurrent) {
        // RLIF without a leak (α = 1): v = v + x + V·s[t−1], the gain R·dt folded as for LIF
        recurrentInput();
        const g = mapAll(r.perNeuron("r", shape), (x) => x * dt);
        gainOf(g);
        recurrentLif(g, 1);
        break;
      }
      gainOf(mapAll(r.perNeuron("r", shape), (x) => x * dt));
      layers.push(new IAF({ threshold: f32(r.perNeuron("v_threshold", shape)), reset: reset(), surrogate: surrogate(), ...common }));
      break;
    }
    case "LI": {
      const beta = decay("tau");
      gainOf(zip(n(), [r.perNeuron("r", shape), rate("tau")], (x, k) => x * k));
      drive(rate("tau"), vLeak());
      layers.push(new ExpLeak({ beta: f32(beta), learnBeta: r.meta("exodus_learn_beta") === 1, ...common }));
      break;
    }
    case "I": {
      gainOf(mapAll(r.perNeuron("r", shape), (x) => x * dt));
      layers.push(new ExpLeak({ beta: 1, ...common }));
      break;
    }
    case "CubaLIF": {
      // synaptic current (LI, input weight w_in) feeding a LIF: ExpLeak → LIF, the membrane
      // integrating the current of the same step; both gains fold into the weights before it
      // (and, for a recurrent CubaLIF, into V: its spikes enter the current as any input does)
      if (ctx.recurrent) recurrentInput();
      const beta = decay("tau_syn");
      const alpha = decay("tau_mem");
      const win = r.has("w_in") ? r.perNeuron("w_in", shape) : 1;
      if (r.has("v_leak_syn") || r.has("v_reset_syn")) r.fail("a synaptic leak or reset (fields v_leak_syn / v_reset_syn): exodus's synaptic filter has neither");
      const g = zip(n(), [win, rate("tau_syn"), r.perNeuron("r", shape), rate("tau_mem")], (w, ks, x, km) => w * ks * (x * km));
      gainOf(g);
      const threshold = f32(r.perNeuron("v_threshold", shape));
      const learn = (["alpha", "alphaSyn"] as const).filter((k) => r.meta(k === "alpha" ? "exodus_learn_alpha" : "exodus_learn_alpha_syn") === 1);
      const driven = !all(zip(n(), [rate("tau_mem"), vLeak()], (a, b) => a * b), (x) => x === 0);
      if (ctx.recurrent) {
        // RCubaLIF: i = α_s·i + x + V·s[t−1] (+ bias), v = α·v + i
        if (driven) r.fail(`v_leak ≠ 0 in a recurrent CubaLIF (recurrent weights ${ctx.recurrent.name}): exodus's RCubaLIF has no constant drive between its current and its membrane`);
        recurrent(g, (bias) => new RCubaLIF({ size: n(), alphaSyn: f32(beta), alpha: f32(alpha), threshold, reset: reset(), surrogate: surrogate(), learn, bias, ...common }));
        break;
      }
      // Without a leak drive it is one CubaLIF layer (the same recurrence, in one scan); a drive
      // enters between the current and the membrane, so then ExpLeak → Bias → LIF.
      if (!driven) {
        layers.push(new CubaLIF({ alphaSyn: f32(beta), alpha: f32(alpha), threshold, reset: reset(), surrogate: surrogate(), learn, ...common }));
        break;
      }
      layers.push(new ExpLeak({ beta: f32(beta), ...common }));
      drive(rate("tau_mem"), vLeak());
      layers.push(new LIF({ alpha: f32(alpha), threshold, reset: reset(), surrogate: surrogate(), ...common }));
      break;
    }
    case DELAY_LINEAR: {
      // a Linear/Affine merged with the Delay next to it (delay-import.ts); delays in seconds → whole steps
      const w = r.array("weight");
      if (w.shape.length < 2 || squeeze(w.shape.slice(0, -1)).length > 1) r.fail(`weight: expected [out, in], received ${shapeStr(w.shape)}`);
      const i = w.shape[w.shape.length - 1], o = w.data.length / i;
      weighted(i);
      const d = r.array("delays");
      const steps = Array.from(d.data as ArrayLike<number>, (sec) => {
        const k = sec / dt;
        if (!(Math.abs(k - Math.round(k)) <= 1e-6 * Math.max(1, k)))
          r.fail(`Delay: ${sec} s is not a whole number of steps of dt = ${dt} (exodus delays are integer steps)${ctx.dtKnown ? "" : "; the graph records no dt: pass --dt, e.g. 1e-4 as Norse/snnTorch use"}`);
        return Math.round(k);
      });
      const declared = r.meta("exodus_max_delay");
      const maxDelay = Math.max(0, ...steps, typeof declared === "number" && Number.isInteger(declared) ? declared : 0);
      const bias = r.node.linear_type === "Affine";
      // [o]: a delay per output neuron, kept so unless exodus wrote a per-synapse layer whose synapses into a neuron share it
      const perNeuron = d.shape.length === 1 && r.meta("exodus_per_neuron") !== 0;
      const l = new DelayLinear(i, o, { maxDelay, sigma: 0, perNeuron, bias, device: ctx.device });
      l.weight.value.set(Float32Array.from(w.data as ArrayLike<number>));
      l.delay.value.set(d.shape.length === 1 && !perNeuron ? Float32Array.from({ length: o * i }, (_, k) => steps[Math.floor(k / i)]) : Float32Array.from(steps));
      if (l.bias) l.bias.value.set(Float32Array.from(r.values("bias")));
      layers.push(l);
      shape = [o];
      break;
    }
    case "Delay":
      r.fail("a Delay exodus could not place next to a Linear");
    // falls through (fail never returns)
    case "Input":
    case "Output":
      r.fail("an Input/Output node inside the graph");
    // falls through (fail never returns)
    default:
      r.fail(`no exodus layer for NIR node type ${type} (supported: ${SUPPORTED})`);
  }
  return { layers, shape };
}

/** Flatten's input_type: an array, or (NIR ≥ 1.0) a group {input: array}. */
function flattenInput(r: NodeReader): number[] | undefined {
  const v = r.node.input_type;
  if (v === undefined) return undefined;
  const a = isArray(v) ? v : typeof v === "object" && !Array.isArray(v) && isArray((v as Record<string, never>).input) ? (v as Record<string, never>).input : undefined;
  if (!a) r.fail("input_type: expected an integer array or a group with an array \"input\"");
  return Array.from((a as { data: ArrayLike<number> }).data);
}
