// The gradcheck comparison behind `exodus gradcheck`, on a small network: exodus matches bptt to
// float32 rounding, slayer does not, and the hidden layers fire.
import { describe, expect, it } from "vitest";
import { Device } from "../../lib/device.js";
import { gradcheck } from "../../lib/nn/gradcheck.js";

describe("gradcheck", () => {
  for (const neuron of ["lif", "iaf", "srm"] as const)
    it(`${neuron}: exodus ≡ bptt, slayer deviates`, () => {
      const r = gradcheck({ sizes: [30, 40, 40, 5], T: 120, batch: 4, neuron, device: Device.cpu, seed: 3, scale: 1,
        tauMem: 20, inputRate: 0.2, initScale: 3 });
      expect(r.sameSpikes).toBe(true);
      for (const l of r.layers) expect(l.deviation.exodus).toBeLessThan(1e-4);
      for (const l of r.layers.slice(0, -1)) {
        expect(l.spikeRate!).toBeGreaterThan(0.05);
        expect(l.deviation.slayer).toBeGreaterThan(0.1);
      }
    });
});
