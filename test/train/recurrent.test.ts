// model.recurrent: the mlp's hidden layers become the neuron model's recurrent form (RLIF for lif),
// validated with messages naming the field; `exodus train` trains it on the SHD-format fixture.
import { copyFileSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { register } from "../../bin/commands/train.js";
import { packageRoot } from "../../lib/native.js";
import { RLIF } from "../../lib/nn/rlif.js";
import { validateConfig } from "../../lib/train/config.js";
import { buildModel } from "../../lib/train/model.js";
import { runCommand } from "../cli-helpers.js";
import { FIXTURES, tmp } from "../data/helpers.js";

const cfg = (model: Record<string, unknown>, neuron: Record<string, unknown> = {}) =>
  validateConfig({ dataset: { name: "shd" }, model, neuron, device: "cpu" });

describe("model.recurrent", () => {
  it("builds recurrent LIF layers of the hidden widths, each with its own V", () => {
    const m = buildModel(cfg({ hidden: [8, 6], recurrent: true }, { type: "lif", tauMem: 10, learn: ["alpha"] }), { sampleShape: [20, 12], numClasses: 3 });
    expect(m.net.layers.map((l) => l.constructor.name)).toEqual(["Linear", "RLIF", "Linear", "RLIF", "Linear"]);
    const r = m.net.layers.filter((l) => l instanceof RLIF) as RLIF[];
    expect(r.map((l) => l.weight.value.shape)).toEqual([[8, 8], [6, 6]]);
    expect(r[0].alpha.toArray()[0]).toBeCloseTo(Math.exp(-1 / 10), 6);
    expect(m.net.parameters().map((p) => p.name)).toEqual(["0.weight", "1.weight", "1.alpha", "2.weight", "3.weight", "3.alpha", "4.weight"]);
    expect(m.summary.join("\n")).toMatch(/RLIF\(8, recurrent\)/);
    m.net.dispose();
    const ff = buildModel(cfg({ hidden: [8], recurrent: false }), { sampleShape: [20, 12], numClasses: 3 });
    expect(ff.net.layers.map((l) => l.constructor.name)).toEqual(["Linear", "LIF", "Linear"]);
    ff.net.dispose();
  });

  it("builds the recurrent forms of CubaLIF, ALIF and adLIF (RCubaLIF, RALIF, RAdLIF) with their learnable parameters", () => {
    const want = { cubalif: ["RCubaLIF", ["alpha", "alphaSyn"]], alif: ["RALIF", ["alpha", "rho"]], adlif: ["RAdLIF", ["a", "b"]] } as const;
    for (const [type, [layer, learn]] of Object.entries(want)) {
      const m = buildModel(cfg({ hidden: [8], recurrent: true }, { type, tauMem: 10, learn: [...learn] }), { sampleShape: [20, 12], numClasses: 3 });
      expect(m.net.layers.map((l) => l.constructor.name)).toEqual(["Linear", layer, "Linear"]);
      const names = m.net.parameters().map((p) => p.name);
      expect(names.slice(0, 2)).toEqual(["0.weight", "1.weight"]);
      for (const n of learn) expect(names).toContain(`1.${n}`);
      expect(m.summary.join("\n")).toContain(`${layer}(8, recurrent)`);
      m.net.dispose();
    }
  });

  it("refuses what has no recurrent form, naming the field", () => {
    expect(() => cfg({ hidden: [8], recurrent: "yes" })).toThrow(/model\.recurrent.*true or false/);
    expect(() => cfg({ hidden: [8], recurrent: true }, { type: "srm" })).toThrow(/neuron\.type.*recurrent form.*lif.*alif.*cubalif.*adlif/);
    expect(() => validateConfig({ dataset: { name: "dvs-gesture" }, model: { kind: "conv", recurrent: true }, device: "cpu" })).toThrow(/model\.recurrent.*"mlp"/);
  });

  it("trains on the SHD-format fixture (exodus train)", async () => {
    const root = tmp("exodus-rlif-data-");
    copyFileSync(join(FIXTURES, "shd_tiny.h5"), join(root, "shd_train.h5"));
    copyFileSync(join(FIXTURES, "shd_tiny.h5"), join(root, "shd_test.h5"));
    const shd = readFileSync(join(packageRoot(), "configs", "shd.yaml"), "utf8");
    const dir = tmp("exodus-rlif-run-");
    const file = join(dir, "shd-rlif.yaml");
    writeFileSync(file, shd.replace(/hidden: \[128, 128, 128\]/, "hidden: [32, 32]\n  recurrent: true\n  initScale: 5"));
    const stdout = await runCommand(register, "train", [file, "--epochs", "2", "--data-root", root, "--out", join(dir, "run"), "--device", "cpu", "--json"]);
    const r = JSON.parse(stdout);
    expect(r.epochs).toHaveLength(2);
    for (const e of r.epochs) expect(Number.isFinite(e.train.loss)).toBe(true);
    expect(Object.keys(r.epochs[0].gradNorm)).toEqual(["0.Linear", "1.RLIF", "2.Linear", "3.RLIF", "4.Linear"]);
    expect(Object.values(r.epochs[0].gradNorm as Record<string, number>).every((g) => g > 0)).toBe(true);
  }, 120_000);
});
