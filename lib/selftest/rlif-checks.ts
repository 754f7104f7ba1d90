// Self-checks of the recurrent LIF layer (docs/neurons.md, Recurrent LIF): spikes, membranes and
// every gradient (∂x, ∂V, ∂α, ∂bias, ∂v0, ∂s0) of EXODUS, SLAYER and the BPTT tape, against the
// float64 op-by-op reference (lib/selftest/rlif-reference.ts); on CUDA against the CPU.
import type { Device } from "../device.js";
import { RLIF } from "../nn/rlif.js";
import type { Rng } from "../random.js";
import { Tensor } from "../tensor.js";
import { registerCheck } from "./registry.js";
import { rlifBackwardRef, rlifForwardRef } from "./rlif-reference.js";

const T = 60, B = 3, H = 16, N = B * H;
const alpha = Array.from({ length: H }, (_, i) => 0.8 + 0.18 * (i / H));

function run(d: Device, backward: "exodus" | "slayer" | "bptt", x: Float32Array, g: Float32Array, state: Float32Array[], w: Float32Array, bias: Float32Array): Float32Array[] {
  const layer = new RLIF({ size: H, alpha, bias: true, learnAlpha: true, backward, stateful: true, device: d });
  try {
    layer.weight.value.copyFrom(Tensor.from(w, [H, H], d));
    layer.parameters().find((p) => p.name === "bias")!.value.copyFrom(Tensor.from(bias, [H], d));
    layer.setState(state.map((s) => Tensor.from(s, [N], d)));
    const s = layer.forward(Tensor.from(x, [T, B, H], d));
    const dx = layer.backward(Tensor.from(g, [T, B, H], d));
    const grads = layer.parameters().map((p) => p.grad.toArray()); // weight, alpha, bias
    return [s.toArray(), dx.toArray(), ...grads, ...layer.stateGrads!.map((t) => t.toArray())];
  } finally {
    layer.dispose();
  }
}

for (const backward of ["exodus", "slayer", "bptt"] as const)
  registerCheck({
    name: `recurrent LIF, per-neuron α, bias, initial state (${backward})`,
    group: "neurons",
    tolerance: 2e-5,
    inputs: (rng: Rng) => ({
      x: rng.fillNormal(new Float32Array(T * N), 0.25, 0.7), g: rng.fillNormal(new Float32Array(T * N), 0, 1),
      v0: rng.fillNormal(new Float32Array(N), 0, 0.5), s0: Float32Array.from({ length: N }, () => (rng.uniform() < 0.3 ? 1 : 0)),
      w: rng.fillUniform(new Float32Array(H * H), -0.4, 0.4), bias: rng.fillNormal(new Float32Array(H), 0, 0.1),
    }),
    run: (d, i) => run(d, backward, i.x, i.g, [i.v0, i.s0], i.w, i.bias),
    reference: (i) => {
      const p = { T, B, H, alpha: alpha.map(Math.fround), theta: new Array(H).fill(1), bias: i.bias, w: i.w, reset: "subtract" as const, sg: { name: "exponential", scale: 1, width: 0.5 } };
      const f = rlifForwardRef(p, i.x, { v0: i.v0, s0: i.s0 });
      const r = rlifBackwardRef(p, f, i.g, { slayer: backward === "slayer" });
      return [f.s, r.dx, r.dw, r.dalpha, r.dbias, r.dv0, r.ds0];
    },
  });
