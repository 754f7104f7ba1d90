// configs/shd-recurrent.yaml (recurrent CubaLIF, after Cramer et al. 2020 / Perez-Nieves et al. 2021)
// and configs/shd-adlif.yaml (2 recurrent adLIF layers, after SE-adLIF, Baronig et al. 2025) load,
// build the nets their comments describe for SHD's default shape (250 steps × 100 channels), and
// train one epoch through `exodus train` on the SHD-format fixture (too small for a held-out split:
// evaluated on test).
import { copyFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { register } from "../../bin/commands/train.js";
import { loadConfig } from "../../lib/train/config.js";
import { buildModel } from "../../lib/train/model.js";
import { runCommand } from "../cli-helpers.js";
import { FIXTURES, tmp } from "../data/helpers.js";

const CONFIGS = join(import.meta.dirname, "..", "..", "configs");
const count = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);

// initScale: the fixture's few samples carry far fewer events per step than SHD's, so the first
// layer is given larger weights there to spike at all (the trainer warns of a silent layer).
const shipped = [
  { name: "shd-recurrent", initScale: 5, layers: ["Linear", "RCubaLIF", "Linear"], weights: 100 * 256 + 256 * 256 + 256 * 20, learn: ["alpha", "alphaSyn"] },
  { name: "shd-adlif", initScale: 30, layers: ["Linear", "RAdLIF", "Linear", "RAdLIF", "Linear"], weights: 100 * 360 + 2 * 360 * 360 + 360 * 360 + 360 * 20, learn: ["alpha", "beta", "a", "b"] },
];

describe("the recurrent SHD configs", () => {
  for (const c of shipped) {
    it(`configs/${c.name}.yaml builds the described net`, () => {
      const cfg = loadConfig(join(CONFIGS, `${c.name}.yaml`), { device: "cpu" });
      const m = buildModel(cfg, { sampleShape: [250, 100], numClasses: 20 });
      try {
        expect(m.net.layers.map((l) => l.constructor.name)).toEqual(c.layers);
        const params = m.net.parameters();
        const weights = params.filter((p) => p.name.endsWith(".weight")).reduce((a, p) => a + count(p.value.shape), 0);
        expect(weights).toBe(c.weights);
        for (const n of c.learn) expect(params.some((p) => p.name === `1.${n}`)).toBe(true);
      } finally {
        m.net.dispose();
      }
    });

    it(`configs/${c.name}.yaml trains one epoch on the SHD-format fixture`, async () => {
      const root = tmp(`exodus-${c.name}-data-`);
      copyFileSync(join(FIXTURES, "shd_tiny.h5"), join(root, "shd_train.h5"));
      copyFileSync(join(FIXTURES, "shd_tiny.h5"), join(root, "shd_test.h5"));
      const dir = tmp(`exodus-${c.name}-run-`);
      const stdout = await runCommand(register, "train", [join(CONFIGS, `${c.name}.yaml`), "--epochs", "1", "--data-root", root, "--out", join(dir, "run"), "--device", "cpu", "--json", "--set", "train.evalSplit=test", "--set", `model.initScale=${c.initScale}`]);
      const r = JSON.parse(stdout);
      expect(r.epochs).toHaveLength(1);
      expect(Number.isFinite(r.epochs[0].train.loss)).toBe(true);
      expect(Object.keys(r.epochs[0].gradNorm)).toEqual(c.layers.map((l, i) => `${i}.${l}`));
      expect(Object.values(r.epochs[0].gradNorm as Record<string, number>).every((g) => g > 0), JSON.stringify(r.epochs[0])).toBe(true);
    }, 300_000);
  }
});
