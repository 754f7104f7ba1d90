// CubaLIF and adLIF through the config: neuron.type "cubalif" (tauMem, tauSyn, learnable α and
// α_s) and "adlif" (tauMem, tauAdapt, a, b), layer-list entries, fields of other models refused by
// name, and `exodus gradcheck --neuron cubalif|adlif`'s comparison (exodus ≡ bptt, slayer deviates).
import { describe, expect, it } from "vitest";
import { Device } from "../../lib/device.js";
import { gradcheck } from "../../lib/nn/gradcheck.js";
import { AdLIF } from "../../lib/nn/adlif.js";
import { CubaLIF } from "../../lib/nn/cuba.js";
import { validateConfig } from "../../lib/train/config.js";
import { buildModel } from "../../lib/train/model.js";

const cfg = (neuron: Record<string, unknown>, model: Record<string, unknown> = { hidden: [8, 8] }) =>
  validateConfig({ dataset: { name: "shd" }, model, neuron, device: "cpu" });
const shape = { sampleShape: [20, 12], numClasses: 3 };

describe("CubaLIF config", () => {
  it("builds CubaLIF layers with tauMem, tauSyn and learnable decays", () => {
    const m = buildModel(cfg({ type: "cubalif", tauMem: 20, tauSyn: 4, reset: "zero", learn: ["alpha", "alphaSyn"] }), shape);
    expect(m.net.layers.map((l) => l.constructor.name)).toEqual(["Linear", "CubaLIF", "Linear", "CubaLIF", "Linear"]);
    const c = m.net.layers[1] as CubaLIF;
    expect(c.alphaSyn.toArray()[0]).toBeCloseTo(Math.exp(-1 / 4), 6);
    expect(c.alpha.toArray()[0]).toBeCloseTo(Math.exp(-1 / 20), 6);
    expect(c.reset).toBe("zero");
    expect(m.net.parameters().map((p) => p.name.split(".")[1]).filter((n) => n === "alphaSyn" || n === "alpha")).toHaveLength(4);
    m.net.dispose();
    expect(cfg({ type: "cubalif" }).neuron).toMatchObject({ type: "cubalif", tauSyn: 5 });
    const l = buildModel(cfg({}, { layers: [{ linear: { out: 8 } }, { cubalif: { tauSyn: 3 } }, { linear: {} }] }), shape);
    expect(l.net.layers.map((x) => x.constructor.name)).toEqual(["Linear", "CubaLIF", "Linear"]);
    expect((l.net.layers[1] as CubaLIF).alphaSyn.toArray()[0]).toBeCloseTo(Math.exp(-1 / 3), 6);
    l.net.dispose();
  });

  it("builds adLIF layers with tauMem, tauAdapt, a, b", () => {
    const m = buildModel(cfg({ type: "adlif", tauMem: 10, tauAdapt: 80, a: -0.2, b: 1.5, learn: ["a", "b", "beta"] }), shape);
    expect(m.net.layers.map((l) => l.constructor.name)).toEqual(["Linear", "AdLIF", "Linear", "AdLIF", "Linear"]);
    const l = m.net.layers[1] as AdLIF;
    expect(l.beta.toArray()[0]).toBeCloseTo(Math.exp(-1 / 80), 6);
    expect(l.a.toArray()[0]).toBeCloseTo(-0.2, 6);
    expect(l.b.toArray()[0]).toBeCloseTo(1.5, 6);
    expect([...l.learned].sort()).toEqual(["a", "b", "beta"]);
    m.net.dispose();
    expect(cfg({ type: "adlif" }).neuron).toMatchObject({ type: "adlif", tauAdapt: 150, a: 0.5, b: 1 });
  });

  it.each([
    ["a on alif", { type: "alif", a: 1 }, /^neuron\.a: expected no value for type "alif"/],
    ["tauSyn on lif", { type: "lif", tauSyn: 3 }, /^neuron\.tauSyn: expected no value for type "lif"/],
    ["tauAdapt on cubalif", { type: "cubalif", tauAdapt: 3 }, /^neuron\.tauAdapt: expected no value for type "cubalif"/],
    ["a negative tauSyn", { type: "cubalif", tauSyn: -1 }, /^neuron\.tauSyn: expected/],
    ["a parameter it lacks", { type: "cubalif", learn: ["rho"] }, /^neuron\.learn\[0\]: expected one of "alpha", "alphaSyn" for type "cubalif", received "rho"/],
  ])("rejects %s", (_, neuron, msg) => {
    expect(() => cfg(neuron)).toThrow(msg);
  });

  it.each(["cubalif", "adlif"] as const)("gradcheck %s: exodus ≡ bptt, slayer deviates, the hidden layers fire", (neuron) => {
    const r = gradcheck({ sizes: [30, 40, 40, 5], T: 120, batch: 4, neuron, device: Device.cpu, seed: 3, scale: 1,
      // adLIF scales its input by 1 − α (the papers' convention) and adapts: a shorter τ, denser input and larger weights make it fire.
      tauMem: neuron === "adlif" ? 5 : 20, inputRate: neuron === "adlif" ? 0.4 : 0.2, initScale: neuron === "adlif" ? 20 : 3 });
    expect(r.sameSpikes).toBe(true);
    for (const l of r.layers) expect(l.deviation.exodus).toBeLessThan(1e-4);
    for (const l of r.layers.slice(0, -1)) {
      expect(l.spikeRate!).toBeGreaterThan(0.05);
      expect(l.deviation.slayer).toBeGreaterThan(0.05);
    }
  });
});
