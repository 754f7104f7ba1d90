// Self-checks of the backend-table entries that layers reach only as speed paths (cuda/include/
// exodus/host_ops.h): the neuron scans that pack a spike bitmask, the LIF scan fused with
// AvgPool2d(2) and Dropout (forward and backward), the LIF backward over chunks of time, the spike
// index (built from a matrix, from a bitmask and from sparse frames, and its two Linear products,
// and a Linear over it fused with the LIF after it, both ways), the direct conv ∂x, and the
// nonzero count. Each calls its entry by name, so the check cannot pass through another path;
// where the device's backend lacks the entry the check is skipped (registry.ts `entries`).
import type { Device } from "../device.js";
import { codes, native } from "../native.js";
import type { Rng } from "../random.js";
import { Tensor } from "../tensor.js";
import { alifForwardRef, lifBackwardRef, lifForwardRef } from "./neuron-reference.js";
import { type ConvRefGeom, conv2dRef, hashUniformRef, poolRef } from "./reference.js";
import { registerCheck } from "./registry.js";

const T = 40, B = 2, C = 4, H = 8, W = 16, N = B * C * H * W;
const f32 = (a: number[]) => a.map(Math.fround);
const sg = { name: "exponential", scale: 1, width: 0.5 } as const;
const lifRef = { T, N, alpha: f32([Math.exp(-1 / 30)]), theta: [1], m: [1], reset: "subtract", sg } as const;

function noisy(rng: Rng, n: number, mean: number, std: number): Float32Array {
  return rng.fillNormal(new Float32Array(n), mean, std);
}
/** The bits of a packed mask (bit i % 8 of byte i / 8) as 0/1 floats. */
const bits = (mask: Uint8Array, n: number) => Float32Array.from({ length: n }, (_, i) => (mask[i >> 3] >> (i & 7)) & 1);
const maskBytes = (n: number) => new Uint8Array(Math.ceil(n / 64) * 8);
const nonzero = (s: ArrayLike<number>) => Float64Array.from(s, (v) => (v !== 0 ? 1 : 0));

function lifTensors(d: Device, x: Float32Array) {
  const c = codes();
  return {
    T, N, P: 1, reset: c.reset.subtract, multiSpike: false, maxSpikes: 0, normInput: false,
    surrogate: c.surrogate.exponential, sgScale: 1, sgWidth: 0.5,
    x: Tensor.from(x, [T, N], d), alpha: Tensor.from(lifRef.alpha, [1], d), theta: Tensor.from([1], [1], d), m: Tensor.from([1], [1], d),
    state: Tensor.zeros([N], d), v: Tensor.empty([T, N], d),
  };
}

registerCheck({
  name: `LIF forward + spike bitmask [T=${T}, N=${N}] s, v, mask`,
  group: "fast paths",
  tolerance: 1e-5,
  entries: ["lif_forward_masked"],
  inputs: (rng) => noisy(rng, T * N, 0.3, 0.8),
  run: (d, x) => {
    const a = lifTensors(d, x), s = Tensor.empty([T, N], d), mask = maskBytes(T * N);
    native().lifForward({ ...a, s, mask });
    return [s.toArray(), a.v.toArray(), bits(mask, T * N)];
  },
  reference: (x) => {
    const f = lifForwardRef(lifRef, x);
    return [f.s, f.v, nonzero(f.s)];
  },
});

const alifRef = { T, N, alpha: f32([0.9]), rho: f32([0.95]), beta: f32([0.5]), theta0: f32([0.8]), sg };
registerCheck({
  name: `ALIF forward + spike bitmask [T=${T}, N=${N}] s, v, b, mask`,
  group: "fast paths",
  tolerance: 2e-5,
  entries: ["alif_forward_masked"],
  inputs: (rng) => noisy(rng, T * N, 0.4, 0.8),
  run: (d, x) => {
    const c = codes(), p = (v: number[]) => Tensor.from(v, [1], d);
    const s = Tensor.empty([T, N], d), v = Tensor.empty([T, N], d), b = Tensor.empty([T, N], d), mask = maskBytes(T * N);
    native().alifForward({
      T, N, P: 1, surrogate: c.surrogate.exponential, sgScale: 1, sgWidth: 0.5, x: Tensor.from(x, [T, N], d),
      alpha: p(alifRef.alpha), rho: p(alifRef.rho), beta: p(alifRef.beta), theta0: p(alifRef.theta0),
      vState: Tensor.zeros([N], d), bState: Tensor.zeros([N], d), s, v, b, mask,
    });
    return [s.toArray(), v.toArray(), b.toArray(), bits(mask, T * N)];
  },
  reference: (x) => {
    const f = alifForwardRef(alifRef, x);
    return [f.s, f.v, f.b, nonzero(f.s)];
  },
});

// LIF → AvgPool2d(2) (→ Dropout) in one scan each way, against the three steps in float64.
for (const dropP of [undefined, 0.25]) {
  const seed = 4242, Np = N / 4;
  const factor = (i: number) => (dropP === undefined ? 1 : hashUniformRef(seed, i) >= dropP ? Math.fround(1 / (1 - dropP)) : 0);
  registerCheck({
    name: `LIF + AvgPool2d(2)${dropP ? ` + Dropout(${dropP})` : ""} fused [T=${T}, ${B}x${C}x${H}x${W}] y, spikes, v, dx`,
    group: "fast paths",
    tolerance: 1e-5,
    entries: ["lif_forward_pool2", "lif_backward_pool2"],
    inputs: (rng) => ({ x: noisy(rng, T * N, 0.4, 0.8), g: noisy(rng, T * Np, 0, 1) }),
    run: (d, { x, g }) => {
      const a = lifTensors(d, x), y = Tensor.empty([T, Np], d), dx = Tensor.empty([T, N], d);
      const drop = dropP === undefined ? {} : { dropoutP: dropP, dropoutSeed: seed };
      const spikes = native().lifForward({ ...a, y, poolWidth: W, ...drop });
      native().lifBackward({
        ...a, method: codes().grad.exodus, g: Tensor.from(g, [T, Np], d), v: a.v, v0: Tensor.zeros([N], d), dx, poolWidth: W, ...drop,
      });
      return [y.toArray(), Float32Array.of(spikes), a.v.toArray(), dx.toArray()];
    },
    reference: ({ x, g }) => {
      const f = lifForwardRef(lifRef, x);
      const gd = Float64Array.from(g, (v, i) => v * factor(i));
      const pool = poolRef("avg", f.s, gd, T * B * C, H, W, 2, 2);
      const y = Float64Array.from(pool.y, (v, i) => v * factor(i));
      const spikes = f.s.reduce((acc, v) => acc + v, 0);
      return [y, [spikes], f.v, lifBackwardRef(lifRef, f, x, pool.dx).dx];
    },
  });
}

// The LIF backward in chunks of time (lib/nn/time-chunks.ts): three chunks in reverse, λ carried
// across each boundary, against the float64 backward over all steps.
registerCheck({
  name: `LIF backward in 3 chunks of time, λ carried [T=${T}, N=${N}] dx, dv0`,
  group: "fast paths",
  tolerance: 1e-5,
  entries: ["lif_backward_carry"],
  inputs: (rng) => ({ x: noisy(rng, T * N, 0.4, 0.8), g: noisy(rng, T * N, 0, 1) }),
  run: (d, { x, g }) => {
    const a = lifTensors(d, x), s = Tensor.empty([T, N], d), dx = Tensor.empty([T, N], d), gt = Tensor.from(g, [T, N], d), dv0 = Tensor.empty([N], d);
    native().lifForward({ ...a, s });
    const cuts = [0, 13, 27, T];
    let lamIn: Tensor | undefined;
    for (let k = cuts.length - 2; k >= 0; k--) {
      const [t0, t1] = [cuts[k], cuts[k + 1]], lamOut = Tensor.empty([N], d);
      native().lifBackward({
        ...a, T: t1 - t0, method: codes().grad.exodus, g: gt.slice(t0, t1), v: a.v.slice(t0, t1), v0: Tensor.zeros([N], d), dx: dx.slice(t0, t1),
        ...(k === 0 ? { dv0 } : {}), ...(lamIn ? { lamIn } : {}), lamOut,
      });
      lamIn = lamOut;
    }
    return [dx.toArray(), dv0.toArray()];
  },
  reference: ({ x, g }) => {
    const b = lifBackwardRef(lifRef, lifForwardRef(lifRef, x), x, g);
    return [b.dx, b.dv0];
  },
});

// ---- the spike index -------------------------------------------------------------------------------
const R = 96, F = 200, O = 48;
function spikes(rng: Rng, n: number, density: number): Float32Array {
  return Float32Array.from({ length: n }, () => (rng.uniform() < density ? 1 + (rng.uniform() < 0.1 ? 1 : 0) : 0));
}
function linearRef(s: ArrayLike<number>, w: ArrayLike<number>, bias: ArrayLike<number>, g: ArrayLike<number>, dw0: ArrayLike<number>, rows: number) {
  const y = new Float64Array(rows * O), dw = Float64Array.from(dw0);
  for (let r = 0; r < rows; r++)
    for (let o = 0; o < O; o++) {
      let acc = bias[o];
      for (let f = 0; f < F; f++) acc += s[r * F + f] * w[o * F + f];
      y[r * O + o] = acc;
      for (let f = 0; f < F; f++) dw[o * F + f] += g[r * O + o] * s[r * F + f];
    }
  return [y, dw];
}
interface IndexInputs { s: Float32Array; w: Float32Array; bias: Float32Array; g: Float32Array; dw: Float32Array }
const indexInputs = (rng: Rng, rows: number): IndexInputs => ({
  s: spikes(rng, rows * F, 0.08), w: noisy(rng, O * F, 0, 0.5), bias: noisy(rng, O, 0, 0.5), g: noisy(rng, rows * O, 0, 1), dw: noisy(rng, O * F, 0, 0.1),
});
/** Both products from a built index; returns y and dw. */
function products(d: Device, ix: { offsets: Int32Array; cols: Int32Array; vals: Float32Array }, rows: number, p: IndexInputs): Float32Array[] {
  const y = Tensor.empty([rows, O], d), dw = Tensor.from(p.dw, [O, F], d);
  native().spikeIndexLinearForward({ ...ix, rows, inFeatures: F, w: Tensor.from(p.w, [O, F], d), outFeatures: O, y, bias: Tensor.from(p.bias, [O], d) });
  native().spikeIndexLinearWeightGrad({ ...ix, g: Tensor.from(p.g, [rows, O], d), rows, inFeatures: F, outFeatures: O, dw });
  return [y.toArray(), dw.toArray()];
}

for (const withMask of [false, true])
  registerCheck({
    name: `spike index of [${R}, ${F}]${withMask ? " from its bitmask" : ""}: s·Wᵀ + b, ∂W += gᵀ·s`,
    group: "fast paths",
    tolerance: 1e-5,
    entries: ["spike_index_build", "spike_index_linear_forward", "spike_index_linear_weight_grad"],
    inputs: (rng) => indexInputs(rng, R),
    run: (d, p) => {
      const ix = { offsets: new Int32Array(R + 1), cols: new Int32Array(R * F), vals: new Float32Array(R * F) };
      let mask: Uint8Array | undefined;
      if (withMask) {
        mask = maskBytes(R * F);
        p.s.forEach((v, i) => { if (v !== 0) mask![i >> 3] |= 1 << (i & 7); });
      }
      const built = native().spikeIndexBuild({ s: Tensor.from(p.s, [R, F], d), rows: R, inFeatures: F, ...ix, ...(mask ? { mask } : {}) });
      if (!built.complete) throw new Error(`spike index incomplete (${built.nnz} nonzeros)`);
      return [Float32Array.of(built.nnz), ...products(d, ix, R, p)];
    },
    reference: (p) => [[p.s.reduce((n, v) => n + (v !== 0 ? 1 : 0), 0)], ...linearRef(p.s, p.w, p.bias, p.g, p.dw, R)],
  });

// A Linear over the spike index and the LIF after it, in one scan each way, against float64 (the
// product rounded as the kernel rounds it): the scan, and the Linear's gradients from the LIF's ∂L/∂x.
{
  const Tl = 30, Bl = 5, Ol = 24, Nl = Bl * Ol, rows = Tl * Bl;
  const ref = { T: Tl, N: Nl, alpha: lifRef.alpha, theta: [1], m: [1], reset: "subtract", sg } as const;
  registerCheck({
    name: `Linear [${rows}, ${F}]·[${F}, ${Ol}] + b → LIF fused [T=${Tl}, B=${Bl}] s, v, ∂x, ∂W, ∂b`,
    group: "fast paths",
    tolerance: 1e-5,
    entries: ["spike_index_build", "lif_forward_linear", "lif_backward_linear"],
    inputs: (rng) => ({ s: spikes(rng, rows * F, 0.08), w: noisy(rng, Ol * F, 0.08, 0.3), bias: noisy(rng, Ol, 0, 0.3), g: noisy(rng, Tl * Nl, 0, 1), dw: noisy(rng, Ol * F, 0, 0.1), db: noisy(rng, Ol, 0, 0.1) }),
    run: (d, p) => {
      const ix = { offsets: new Int32Array(rows + 1), cols: new Int32Array(rows * F), vals: new Float32Array(rows * F) };
      native().spikeIndexBuild({ s: Tensor.from(p.s, [rows, F], d), rows, inFeatures: F, ...ix });
      const { x: _x, ...lifArgs } = lifTensors(d, new Float32Array(T * N)); // the config and parameters; this scan's own sizes
      const a = { ...lifArgs, T: Tl, N: Nl, state: Tensor.zeros([Nl], d), v: Tensor.empty([Tl, Nl], d) };
      const lin = { ...ix, rows, inFeatures: F, w: Tensor.from(p.w, [Ol, F], d), outFeatures: Ol };
      const s = Tensor.empty([Tl, Nl], d), dw = Tensor.from(p.dw, [Ol, F], d), db = Tensor.from(p.db, [Ol], d), dx = Tensor.empty([rows, F], d);
      native().lifForwardLinear({ ...a, ...lin, bias: Tensor.from(p.bias, [Ol], d), s });
      native().lifBackwardLinear({ ...a, ...lin, method: codes().grad.exodus, g: Tensor.from(p.g, [Tl, Nl], d), v0: Tensor.zeros([Nl], d), dw, db, dx });
      return [s.toArray(), a.v.toArray(), dx.toArray(), dw.toArray(), db.toArray()];
    },
    reference: (p) => {
      // x as the kernel rounds it (each spike's term is exact, so fma = one rounding of the sum), then float64 on
      const x = new Float64Array(Tl * Nl);
      for (let r = 0; r < rows; r++)
        for (let o = 0; o < Ol; o++) {
          let acc = 0;
          for (let f = 0; f < F; f++) if (p.s[r * F + f] !== 0) acc = Math.fround(acc + p.s[r * F + f] * p.w[o * F + f]);
          x[r * Ol + o] = Math.fround(acc + p.bias[o]);
        }
      const fw = lifForwardRef(ref, x);
      const gx = lifBackwardRef(ref, fw, x, p.g).dx; // ∂L/∂x [rows, Ol]
      const dx = new Float64Array(rows * F), dw = Float64Array.from(p.dw), db = Float64Array.from(p.db);
      for (let r = 0; r < rows; r++)
        for (let o = 0; o < Ol; o++) {
          const gv = gx[r * Ol + o];
          db[o] += gv;
          for (let f = 0; f < F; f++) {
            dx[r * F + f] += gv * p.w[o * F + f];
            dw[o * F + f] += gv * p.s[r * F + f];
          }
        }
      return [fw.s, fw.v, dx, dw, db];
    },
  });
}

// From a batch's sparse frames: sample b's ascending flat indices t·Fr + f and counts.
const Tf = 24, Bf = 4;
registerCheck({
  name: `spike index from sparse frames [T=${Tf}, B=${Bf}, F=${F}]: s·Wᵀ + b, ∂W += gᵀ·s`,
  group: "fast paths",
  tolerance: 1e-5,
  entries: ["spike_index_from_frames", "spike_index_linear_forward", "spike_index_linear_weight_grad"],
  inputs: (rng) => {
    const p = indexInputs(rng, Tf * Bf);
    // Sample-major frames whose batch (row t·B + b) is p.s.
    const frames = Array.from({ length: Bf }, (_, b) => {
      const index: number[] = [], count: number[] = [];
      for (let t = 0; t < Tf; t++)
        for (let f = 0; f < F; f++) {
          const v = p.s[(t * Bf + b) * F + f];
          if (v) index.push(t * F + f), count.push(v);
        }
      return { index: Uint32Array.from(index), count: Uint32Array.from(count) };
    });
    return { ...p, frames };
  },
  run: (d, p) => {
    const rows = Tf * Bf, ix = { offsets: new Int32Array(rows + 1), cols: new Int32Array(rows * F), vals: new Float32Array(rows * F) };
    const nnz = native().spikeIndexFromFrames({ T: Tf, B: Bf, F, index: p.frames.map((f) => f.index), count: p.frames.map((f) => f.count), ...ix });
    return [Float32Array.of(nnz), ...products(d, ix, rows, p)];
  },
  reference: (p) => [[p.s.reduce((n, v) => n + (v !== 0 ? 1 : 0), 0)], ...linearRef(p.s, p.w, p.bias, p.g, p.dw, Tf * Bf)],
});

registerCheck({
  name: "count nonzero [100003]",
  group: "fast paths",
  tolerance: 0,
  inputs: (rng) => spikes(rng, 100003, 0.13),
  run: (d, x) => {
    const out = Tensor.empty([1], d);
    native().countNonzero({ x: Tensor.from(x, [x.length], d), n: x.length, out });
    return [out.toArray()];
  },
  reference: (x) => [[x.reduce((n, v) => n + (v !== 0 ? 1 : 0), 0)]],
});

// ---- the direct conv input gradient --------------------------------------------------------------
const cg: ConvRefGeom = { n: 3, c: 8, h: 12, w: 16, cout: 12, kh: 3, kw: 3, s: 1, p: 1 };
registerCheck({
  name: `conv2d ∂x direct [${cg.n},${cg.c},${cg.h},${cg.w}] 3x3 pad 1 → ${cg.cout} channels`,
  group: "fast paths",
  tolerance: 1e-5,
  entries: ["conv_direct_input_grad"],
  inputs: (rng) => ({ x: noisy(rng, cg.n * cg.c * cg.h * cg.w, 0, 1), w: noisy(rng, cg.cout * cg.c * 9, 0, 0.5), dy: noisy(rng, cg.n * cg.cout * cg.h * cg.w, 0, 1) }),
  run: (d, { w, dy }) => {
    const dx = Tensor.empty([cg.n, cg.c, cg.h, cg.w], d);
    native().convInputGradDirect({
      w: Tensor.from(w, [cg.cout, cg.c, 3, 3], d), dy: Tensor.from(dy, [cg.n, cg.cout, cg.h, cg.w], d), dx,
      geom: { cin: cg.c, h: cg.h, w: cg.w, kh: 3, kw: 3, sh: 1, sw: 1, ph: 1, pw: 1 }, cout: cg.cout, count: cg.n,
    });
    return [dx.toArray()];
  },
  reference: ({ x, w, dy }) => [conv2dRef(x, w, dy, cg).dx],
});

// ---- the direct conv weight gradient (added to what dw held) -------------------------------------
const wg: ConvRefGeom = { n: 5, c: 3, h: 10, w: 16, cout: 6, kh: 3, kw: 3, s: 1, p: 1 };
registerCheck({
  name: `conv2d ∂W direct [${wg.n},${wg.c},${wg.h},${wg.w}] 3x3 pad 1 → ${wg.cout} channels, into a nonzero dw`,
  group: "fast paths",
  tolerance: 1e-5,
  entries: ["conv_direct_weight_grad"],
  inputs: (rng) => ({ x: noisy(rng, wg.n * wg.c * wg.h * wg.w, 0, 1), w: noisy(rng, wg.cout * wg.c * 9, 0, 0.5), dy: noisy(rng, wg.n * wg.cout * wg.h * wg.w, 0, 1), dw0: noisy(rng, wg.cout * wg.c * 9, 0, 1) }),
  run: (d, { x, dy, dw0 }) => {
    const dw = Tensor.from(dw0, [wg.cout, wg.c, 3, 3], d);
    native().convWeightGradDirect({
      x: Tensor.from(x, [wg.n, wg.c, wg.h, wg.w], d), dy: Tensor.from(dy, [wg.n, wg.cout, wg.h, wg.w], d), dw,
      geom: { cin: wg.c, h: wg.h, w: wg.w, kh: 3, kw: 3, sh: 1, sw: 1, ph: 1, pw: 1 }, cout: wg.cout, count: wg.n,
    });
    return [dw.toArray()];
  },
  reference: ({ x, w, dy, dw0 }) => [conv2dRef(x, w, dy, wg).dw.map((v, i) => v + dw0[i])],
});
