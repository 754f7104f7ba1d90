// Chunks of time (lib/nn/time-chunks.ts): a Linear/LIF/IAF network run chunk by chunk, the reverse
// scans carrying their adjoint λ across chunk boundaries (lif_backward_carry), against the same
// network run whole: the output (logits or spikes), hence the loss, bit for bit; the input's
// gradient bit for bit (the scans' ∂x are, and the first Linear's ∂x rows are per step); the
// weight gradients (sums over all T·B rows, summed chunk by chunk) to float32 rounding, and both
// against a float64 reference of the whole step.
import { afterAll, describe, expect, it } from "vitest";
import { native } from "../../lib/native.js";
import { Rng } from "../../lib/random.js";
import { Tensor } from "../../lib/tensor.js";
import { IAF, LIF, Linear, Sequential } from "../../lib/nn/index.js";
import type { Module } from "../../lib/nn/module.js";
import { TimeChunked } from "../../lib/nn/time-chunks.js";
import { type LifRefParams, lifBackwardRef, lifForwardRef, relErr } from "../neurons/reference.js";

const F = 40, H = 32, C = 6;

// Linear → LIF → Linear → (LIF | IAF) [→ Linear readout]: seeded weights, scaled so the neurons fire.
function net(seed: number, readout: boolean, method: "exodus" | "slayer" = "exodus"): Sequential {
  const rng = new Rng(seed);
  const layers: Module[] = [
    new Linear(F, H, { rng, initScale: 4 }), new LIF({ tauMem: 8, backward: method }),
    new Linear(H, H, { rng, initScale: 4 }), readout ? new LIF({ tauMem: 5, threshold: 0.8, backward: method }) : new IAF({ backward: method }),
  ];
  if (readout) layers.push(new Linear(H, C, { rng }));
  return new Sequential(...layers);
}

/** Event counts (0, 1, 2) at the given density: an input a spiking dataset gives. */
function events(T: number, B: number, seed: number, density = 0.15): Tensor {
  const rng = new Rng(seed);
  const v = new Float32Array(T * B * F);
  for (let i = 0; i < v.length; i++) if (rng.uniform() < density) v[i] = rng.uniform() < 0.8 ? 1 : 2;
  return Tensor.from(v, [T, B, F]);
}

function randn(n: number, seed: number): Float32Array {
  const rng = new Rng(seed);
  return Float32Array.from({ length: n }, () => rng.normal());
}

interface Step {
  y: Float32Array;
  dx: Float32Array;
  grads: Float32Array[];
  /** Each neuron layer's spikes of the whole step (the unchunked run only). */
  spikes?: Float32Array[];
}

/** One step: forward, the loss Σ y·r (∂L/∂y = r), backward; chunk 0 runs the network whole. */
function step(n: Sequential, x: Tensor, r: Float32Array, chunk: number): Step {
  n.zeroGrad();
  let y: Tensor, dx: Tensor;
  let spikes: Float32Array[] | undefined;
  if (chunk === 0) {
    spikes = [];
    const s = spikes;
    y = n.forwardSteps({ x }, (i, out) => {
      if (n.layers[i] instanceof LIF) s.push(out.x.toArray());
    }).x;
    dx = n.backward(Tensor.from(r, y.shape));
  } else {
    const run = new TimeChunked(n, chunk);
    y = run.forward(x);
    dx = run.backward(Tensor.from(r, y.shape));
    run.dispose();
  }
  const out = { y: y.toArray(), dx: dx.toArray(), grads: n.parameters().map((p) => p.grad.toArray()), spikes };
  y.dispose();
  dx.dispose();
  return out;
}

/** The float64 step through the same layers, following the float32 run's spikes (lifForwardRef's forcedSpikes). */
function reference(n: Sequential, x: Tensor, r: Float32Array, spikes: Float32Array[], method: "exodus" | "slayer"): Float64Array[] {
  const [T, B] = x.shape;
  const rows = T * B;
  const acts: Float64Array[] = [Float64Array.from(x.toArray())];
  const fwd: unknown[] = [];
  let k = 0;
  for (const l of n.layers) {
    const a = acts[acts.length - 1];
    if (l instanceof Linear) {
      const W = l.weight.value.toArray(), b = l.bias?.value.toArray();
      const y = new Float64Array(rows * l.outFeatures);
      for (let i = 0; i < rows; i++)
        for (let o = 0; o < l.outFeatures; o++) {
          let s = b ? b[o] : 0;
          for (let f = 0; f < l.inFeatures; f++) s += a[i * l.inFeatures + f] * W[o * l.inFeatures + f];
          y[i * l.outFeatures + o] = s;
        }
      acts.push(y);
      fwd.push(undefined);
    } else {
      const lif = l as LIF;
      const p = lifParams(lif, T, a.length / T);
      const f = lifForwardRef(p, a, undefined, spikes[k++]);
      acts.push(f.s);
      fwd.push({ p, f });
    }
  }
  let g = Float64Array.from(r);
  const grads: Float64Array[] = [];
  for (let li = n.layers.length - 1; li >= 0; li--) {
    const l = n.layers[li], a = acts[li];
    if (l instanceof Linear) {
      const W = l.weight.value.toArray();
      const dW = new Float64Array(W.length), db = new Float64Array(l.outFeatures), dx = new Float64Array(a.length);
      for (let i = 0; i < rows; i++)
        for (let o = 0; o < l.outFeatures; o++) {
          const go = g[i * l.outFeatures + o];
          db[o] += go;
          for (let f = 0; f < l.inFeatures; f++) {
            dW[o * l.inFeatures + f] += go * a[i * l.inFeatures + f];
            dx[i * l.inFeatures + f] += go * W[o * l.inFeatures + f];
          }
        }
      grads.unshift(...(l.bias ? [dW, db] : [dW]));
      g = dx;
    } else {
      const { p, f } = fwd[li] as { p: LifRefParams; f: ReturnType<typeof lifForwardRef> };
      g = lifBackwardRef(p, f, a, g, { slayer: method === "slayer" }).dx;
    }
  }
  return grads;
}

function lifParams(l: LIF, T: number, N: number): LifRefParams {
  return {
    T, N, alpha: l.alpha.toArray(), theta: l.threshold.toArray(), m: l.resetAmount.toArray(), reset: l.reset,
    sg: { name: l.surrogate.name, scale: l.surrogate.scale, width: l.surrogate.width },
  };
}

const threads0 = 2;
afterAll(() => native().setThreads({ threads: threads0 }));

describe("chunks of time: Linear + LIF/IAF", () => {
  const T = 61, B = 3;
  for (const threads of [1, 2])
    for (const readout of [true, false])
      for (const method of ["exodus", "slayer"] as const)
        it(`${readout ? "logits" : "IAF spikes"}, ${method}, ${threads} thread${threads > 1 ? "s" : ""}: bit for bit, ∂W to rounding and against float64`, () => {
          native().setThreads({ threads });
          const n = net(3, readout, method);
          const x = events(T, B, 11);
          const r = randn(T * B * (readout ? C : H), 5);
          const whole = step(n, x, r, 0);
          const rate = whole.spikes!.map((s) => s.reduce((a, b) => a + b, 0) / s.length);
          for (const q of rate) expect(q).toBeGreaterThan(0.02); // the neurons fire, so resets and surrogates matter
          const ref = reference(n, x, r, whole.spikes!, method);
          for (let i = 0; i < ref.length; i++) expect(relErr(whole.grads[i], ref[i])).toBeLessThan(1e-5);
          for (const chunk of [1, 7, 16, 60, 61, 100]) {
            const c = step(n, x, r, chunk);
            expect(c.y).toEqual(whole.y); // the loss Σ y·r is then equal too
            expect(c.dx).toEqual(whole.dx);
            for (let i = 0; i < ref.length; i++) {
              expect(relErr(c.grads[i], whole.grads[i]), `chunk ${chunk}, grad ${i}`).toBeLessThan(2e-6);
              expect(relErr(c.grads[i], ref[i]), `chunk ${chunk}, grad ${i} vs float64`).toBeLessThan(1e-5);
            }
          }
          x.dispose();
          n.dispose();
        });

  it("a learned α (per neuron, normInput): its gradient summed chunk by chunk equals the whole step's to rounding", () => {
    const mk = () => new Sequential(new Linear(F, H, { seed: 5, initScale: 4 }), new LIF({ alpha: Array.from({ length: H }, (_, i) => 0.8 + 0.005 * i), learnAlpha: true, normInput: true, threshold: 0.3 }), new Linear(H, C, { seed: 6 }));
    const n = mk();
    const x = events(T, B, 14);
    const r = randn(T * B * C, 8);
    const whole = step(n, x, r, 0);
    const ia = n.parameters().findIndex((p) => p.name === "1.alpha");
    expect(ia).toBeGreaterThanOrEqual(0);
    expect(Math.max(...whole.grads[ia].map(Math.abs))).toBeGreaterThan(1e-3);
    for (const chunk of [5, 13, 30]) {
      const c = step(n, x, r, chunk);
      expect(c.y).toEqual(whole.y);
      for (let i = 0; i < whole.grads.length; i++) expect(relErr(c.grads[i], whole.grads[i]), `chunk ${chunk}, grad ${i}`).toBeLessThan(5e-6);
    }
    x.dispose();
    n.dispose();
  });

  it("fails without the carried adjoint (the test can tell)", () => {
    const n = net(4, true);
    const x = events(T, B, 12);
    const r = randn(T * B * C, 6);
    const whole = step(n, x, r, 0);
    // drop λ at every boundary: each chunk's scan then starts from 0, as separate sequences would
    for (const l of n.layers)
      if (l instanceof LIF) {
        let held: LIF["adjointCarry"];
        Object.defineProperty(l, "adjointCarry", { get: () => held, set: (v: LIF["adjointCarry"]) => (held = v && { out: v.out }), configurable: true });
      }
    const c = step(n, x, r, 10);
    expect(c.y).toEqual(whole.y);
    expect(c.dx).not.toEqual(whole.dx);
    expect(Math.max(...c.grads.slice(0, 3).map((g, i) => relErr(g, whole.grads[i])))).toBeGreaterThan(1e-3);
    x.dispose();
    n.dispose();
  });

  it("a stateful layer carries the last chunk's state on, as a whole forward does", () => {
    const mk = () => new Sequential(new Linear(F, H, { seed: 2, initScale: 4 }), new LIF({ tauMem: 8, stateful: true }));
    const a = mk(), b = mk();
    const x = events(20, 2, 13);
    const r = randn(20 * 2 * H, 7);
    step(a, x, r, 0);
    step(b, x, r, 6);
    expect((b.layers[1] as LIF).state!.toArray()).toEqual((a.layers[1] as LIF).state!.toArray());
    // and the next step starts from it in both
    expect(step(b, x, r, 6).y).toEqual(step(a, x, r, 0).y);
    x.dispose();
  });

  it("refuses what it cannot chunk, with the reason", () => {
    expect(() => new TimeChunked(new Sequential(new Linear(4, 4), new LIF({ backward: "bptt" })), 8)).toThrow(/bptt/);
    expect(() => new TimeChunked(net(1, true), 0)).toThrow(/integer number of time steps >= 1, received 0/);
    const run = new TimeChunked(net(1, true), 8);
    expect(() => run.backward(Tensor.zeros([4, 1, C]))).toThrow(/expected a forward first/);
  });
});
