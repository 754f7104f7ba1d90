// SLAYER against EXODUS, and the generic SRM against its reference and against LIF.
import { describe, expect, it } from "vitest";
import { Device } from "../../lib/device.js";
import { SRM, type SRMOptions } from "../../lib/nn/srm.js";
import { Rng } from "../../lib/random.js";
import { Tensor } from "../../lib/tensor.js";
import { firingInput, normal, runLif } from "./helpers.js";
import { relErr, spikeRate, srmBackwardRef, srmForwardRef } from "./reference.js";

describe("SLAYER", () => {
  const T = 200, B = 4, F = 32, N = B * F;
  const rng = new Rng(11);
  const x = firingInput(rng, T, N, 0.3, 0.8);
  const g = normal(rng, T * N);

  it("equals EXODUS when there is no reset (m = 0) and no clamp", () => {
    const opts = { tauMem: 20, resetAmount: 0 } as const;
    const ex = runLif({ ...opts, backward: "exodus" }, [T, B, F], x, g);
    const sl = runLif({ ...opts, backward: "slayer" }, [T, B, F], x, g);
    expect(spikeRate(ex.s)).toBeGreaterThan(0.05);
    expect(relErr(sl.dx, ex.dx)).toBeLessThan(1e-6);
  });

  it("differs clearly from EXODUS (= BPTT) when the reset is active", () => {
    const opts = { alpha: 1 } as const; // IAF, subtract reset
    const ex = runLif({ ...opts, backward: "exodus" }, [T, B, F], x, g);
    const sl = runLif({ ...opts, backward: "slayer" }, [T, B, F], x, g);
    const bp = runLif({ ...opts, backward: "bptt" }, [T, B, F], x, g);
    expect(spikeRate(ex.s)).toBeGreaterThan(0.05);
    expect(relErr(bp.dx, ex.dx)).toBeLessThan(1e-5);
    expect(relErr(sl.dx, bp.dx)).toBeGreaterThan(0.5);
  });
});

function srmRun(opts: SRMOptions, shape: number[], a: Float32Array, g: Float32Array) {
  const layer = new SRM({ ...opts, device: Device.cpu });
  try {
    const at = Tensor.from(a, shape, Device.cpu);
    const s = layer.forward(at);
    const u = layer.membrane?.toArray();
    const da = layer.backward(Tensor.from(g, shape, Device.cpu));
    return { s: s.toArray(), u, da: da.toArray() };
  } finally {
    layer.dispose();
  }
}

describe("SRM", () => {
  const T = 150, B = 3, F = 16, N = B * F;
  const rng = new Rng(5);
  const a = firingInput(rng, T, N, 0.25, 0.6);
  const g = normal(rng, T * N);
  const sg = { name: "exponential" as const, scale: 1, width: 0.5 };

  for (const kind of [
    { label: "SLAYER default kernels (τ_sr 4, τ_ref 2)", opts: { tauSr: 4, tauRef: 2, scaleRef: 2, threshold: 1 } },
    { label: "custom kernels, multi-spike", opts: { epsilon: [0.2, 1, 0.6, 0.3, 0.1], nu: [-1.5, -0.8, -0.2], spikeFn: "multi" as const } },
  ]) {
    it(`${kind.label}: forward and EXODUS/SLAYER/BPTT backward against the reference`, () => {
      const layer = new SRM({ ...kind.opts, surrogate: sg });
      const p = { T, N, eps: layer.epsilon, nu: layer.nu, theta: layer.theta, multi: layer.multiSpike, sg };
      layer.dispose();
      const ex = srmRun({ ...kind.opts, surrogate: sg, backward: "exodus" }, [T, B, F], a, g);
      expect(spikeRate(ex.s)).toBeGreaterThan(0.05);
      const f = srmForwardRef(p, a, ex.s);
      expect(relErr(ex.u!, f.u)).toBeLessThan(1e-5);
      expect(relErr(ex.da, srmBackwardRef(p, f.u, g))).toBeLessThan(1e-5);
      const sl = srmRun({ ...kind.opts, surrogate: sg, backward: "slayer" }, [T, B, F], a, g);
      expect(relErr(sl.da, srmBackwardRef(p, f.u, g, true))).toBeLessThan(1e-5);
      expect(relErr(sl.da, ex.da)).toBeGreaterThan(0.05);
      const bp = srmRun({ ...kind.opts, surrogate: sg, backward: "bptt" }, [T, B, F], a, g);
      expect(Array.from(bp.s)).toEqual(Array.from(ex.s));
      expect(relErr(bp.da, ex.da)).toBeLessThan(1e-5);
    });
  }

  it("with exponential kernels equals LIF (spikes and EXODUS gradients)", () => {
    const alpha = 0.9, theta = 1, m = 1, T2 = 120;
    const eps = Float32Array.from({ length: T2 }, (_, k) => alpha ** k);
    const nu = Float32Array.from({ length: T2 }, (_, k) => -m * alpha ** (k + 1));
    const x = firingInput(new Rng(3), T2, N, 0.3, 0.8);
    const g2 = normal(new Rng(4), T2 * N);
    for (const backward of ["exodus", "slayer"] as const) {
      const srm = srmRun({ epsilon: eps, nu, threshold: theta, surrogate: sg, backward }, [T2, B, F], x, g2);
      const lif = runLif({ alpha, threshold: theta, surrogate: sg, backward }, [T2, B, F], x, g2);
      expect(spikeRate(lif.s)).toBeGreaterThan(0.05);
      expect(Array.from(srm.s)).toEqual(Array.from(lif.s));
      expect(relErr(srm.da, lif.dx)).toBeLessThan(1e-5);
    }
  });
});
