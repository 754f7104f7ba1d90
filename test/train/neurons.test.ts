// The config's neuron section reaches the library: neuron.type (lif, iaf, alif, srm), the
// synaptic filter, learnable parameters, each validated with a message naming the field; and the
// SHD config trains with ALIF on the committed SHD-format fixture.
import { copyFileSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { register } from "../../bin/commands/train.js";
import { ALIF } from "../../lib/nn/alif.js";
import { ExpLeak } from "../../lib/nn/expleak.js";
import { LIF } from "../../lib/nn/lif.js";
import { SRM } from "../../lib/nn/srm.js";
import { validateConfig } from "../../lib/train/config.js";
import { buildModel } from "../../lib/train/model.js";
import { packageRoot } from "../../lib/native.js";
import { runCommand } from "../cli-helpers.js";
import { FIXTURES, tmp } from "../data/helpers.js";

const cfg = (neuron: Record<string, unknown>) => validateConfig({ dataset: { name: "shd" }, model: { hidden: [8, 8] }, neuron, device: "cpu" });

describe("neuron config", () => {
  it("builds each type, with a synapse before each neuron and learnable parameters", () => {
    const shape = { sampleShape: [20, 12], numClasses: 3 };
    const m = buildModel(cfg({ type: "alif", tauAdapt: 50, beta: 0.5, synapse: { tauSyn: 5, learn: true }, learn: ["alpha", "rho"] }), shape);
    const kinds = m.net.layers.map((l) => l.constructor.name);
    expect(kinds).toEqual(["Linear", "ExpLeak", "ALIF", "Linear", "ExpLeak", "ALIF", "Linear"]);
    const names = m.net.parameters().map((p) => p.name.split(".")[1]);
    expect(names.filter((n) => n === "alpha")).toHaveLength(2);
    expect(names.filter((n) => n === "rho")).toHaveLength(2);
    expect(names.filter((n) => n === "beta")).toHaveLength(2); // the synapses' β
    const alif = m.net.layers.find((l) => l instanceof ALIF) as ALIF;
    expect(alif.rho.toArray()[0]).toBeCloseTo(Math.exp(-1 / 50), 6);
    expect(alif.beta.toArray()[0]).toBeCloseTo(0.5, 6);
    expect((m.net.layers.find((l) => l instanceof ExpLeak) as ExpLeak).beta.toArray()[0]).toBeCloseTo(Math.exp(-1 / 5), 6);
    m.net.dispose();
    const srm = buildModel(cfg({ type: "srm", epsilon: [0, 0.5, 1, 0.5], nu: [-1, -0.5] }), shape);
    const s = srm.net.layers.find((l) => l instanceof SRM) as SRM;
    expect(Array.from(s.epsilon)).toEqual([0, 0.5, 1, 0.5]);
    expect(Array.from(s.nu)).toEqual([-1, -0.5]);
    srm.net.dispose();
    const lif = buildModel(cfg({ type: "lif", learn: ["alpha"] }), shape);
    expect((lif.net.layers.find((l) => l instanceof LIF) as LIF).learnAlpha).toBe(true);
    lif.net.dispose();
    expect(cfg({ type: "srm" }).neuron).toMatchObject({ type: "srm", tauSr: 10, tauRef: 1, scaleRef: 2 });
  });

  it.each([
    ["a field of another type", { type: "lif", tauAdapt: 10 }, /^neuron\.tauAdapt: expected no value for type "lif"/],
    ["tauMem on srm", { type: "srm", tauMem: 10 }, /^neuron\.tauMem: expected no value for type "srm"/],
    ["an unknown type", { type: "izhikevich" }, /^neuron\.type: expected one of "lif", "iaf", "alif", "srm"/],
    ["a negative beta", { type: "alif", beta: -1 }, /^neuron\.beta: expected a finite number >= 0/],
    ["a parameter the type lacks", { type: "lif", learn: ["alpha", "rho"] }, /^neuron\.learn\[1\]: expected one of "alpha" for type "lif", received "rho"/],
    ["learn on iaf", { type: "iaf", learn: ["alpha"] }, /^neuron\.learn\[0\]: expected nothing: type "iaf" has no learnable parameters/],
    ["learn not a list", { type: "alif", learn: "alpha" }, /^neuron\.learn: expected a list of parameter names/],
    ["a synapse without tauSyn", { synapse: {} }, /^neuron\.synapse\.tauSyn: expected a time constant/],
    ["a synapse field", { synapse: { tau: 3 } }, /^neuron\.synapse\.tau: expected no such field/],
    ["nu without epsilon", { type: "srm", nu: [-1] }, /^neuron\.nu: expected no value without epsilon/],
    ["kernels and time constants", { type: "srm", epsilon: [1], tauSr: 3 }, /^neuron\.tauSr: expected no value with explicit kernels/],
    ["an empty response kernel", { type: "srm", epsilon: [] }, /^neuron\.epsilon: expected a list of at least 1 numbers/],
  ])("rejects %s", (_, neuron, msg) => {
    expect(() => cfg(neuron)).toThrow(msg);
  });
});

describe("the SHD config with ALIF", () => {
  afterEach(() => {
    process.exitCode = undefined;
  });
  it("trains on the SHD-format fixture (learnable α, ρ, β, θ0 and a synapse)", async () => {
    const root = tmp("exodus-alif-data-");
    copyFileSync(join(FIXTURES, "shd_tiny.h5"), join(root, "shd_train.h5"));
    copyFileSync(join(FIXTURES, "shd_tiny.h5"), join(root, "shd_test.h5"));
    const shd = readFileSync(join(packageRoot(), "configs", "shd.yaml"), "utf8");
    expect(shd).toMatch(/type: lif/);
    const dir = tmp("exodus-alif-run-");
    const file = join(dir, "shd-alif.yaml");
    writeFileSync(file, shd.replace(/type: lif\n/, "type: alif\n  tauAdapt: 100\n  beta: 0.5\n  learn: [alpha, rho, beta, threshold]\n  synapse: { tauSyn: 5 }\n").replace(/hidden: \[128, 128, 128\]/, "hidden: [32, 32]"));
    const stdout = await runCommand(register, "train", [file, "--epochs", "2", "--data-root", root, "--out", join(dir, "run"), "--device", "cpu", "--json"]);
    const r = JSON.parse(stdout);
    expect(r.interrupted).toBe(false);
    expect(r.epochs).toHaveLength(2);
    for (const e of r.epochs) {
      expect(Number.isFinite(e.train.loss)).toBe(true);
      expect(e.train.samples).toBe(7);
    }
    expect(Object.keys(r.epochs[0].gradNorm)).toEqual(["0.Linear", "3.Linear", "6.Linear"]);
    expect(Object.values(r.epochs[0].gradNorm as Record<string, number>).every((g) => g > 0)).toBe(true);
  }, 120_000);
});
