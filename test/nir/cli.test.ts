// `exodus export <run> --format nir` → `exodus import`, in-process: a trained run's network comes
// back with identical outputs; a subtractive-reset run needs --approximate-reset; safetensors export.
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { register as registerExport } from "../../bin/commands/export.js";
import { register as registerImport } from "../../bin/commands/import.js";
import { importNirFile } from "../../lib/nir/index.js";
import { readSafetensors } from "../../lib/io/safetensors.js";
import { Rng } from "../../lib/random.js";
import { Tensor } from "../../lib/tensor.js";
import { modelFromCheckpoint } from "../../lib/train/from-checkpoint.js";
import { train } from "../../lib/train/trainer.js";
import { tmp } from "../data/helpers.js";
import { memoryData, quiet, syntheticConfig } from "../train/helpers.js";
import { nirCli } from "./helpers.js";

const cli = (...args: string[]) => nirCli([registerExport, registerImport], ...args);

const data = () => ({ train: memoryData({ size: 32, T: 15, features: [24], classes: 3, seed: 1 }), eval: memoryData({ size: 16, T: 15, features: [24], classes: 3, seed: 2 }) });

describe("exodus export / import", () => {
  it("a trained run exports to NIR and imports with identical outputs", async () => {
    const cfg = syntheticConfig({ model: { kind: "mlp", hidden: [24, 24], initScale: 4 }, neuron: { type: "lif", tauMem: 10, threshold: 1, reset: "zero" } }, { epochs: 2 });
    await train({ config: cfg, data: data(), progress: quiet() });
    const nir = join(tmp("exodus-export-"), "run.nir");
    expect(await cli("export", cfg.output, "--format", "nir", "-o", nir, "--best")).toMatch(/wrote .*run.nir: NIR graph input → Linear → LIF → Linear → LIF → Linear → Output \(dt 1\)/);
    const info = JSON.parse(await cli("import", nir, "--json", "-o", join(tmp("exodus-import-"), "w.safetensors")));
    expect(info.inputShape).toEqual([24]);
    expect(info.layers.map((l: { layer: string }) => l.layer)).toEqual(["Linear", "LIF", "Linear", "LIF", "Linear"]);
    for (const rate of Object.values(info.spikeRates) as number[]) expect(rate).toBeGreaterThan(0.01); // the neurons fire
    const { model } = modelFromCheckpoint(cfg.output, { which: "best" });
    const imported = await importNirFile(nir);
    const r = new Rng(4);
    const x = Tensor.from(Float32Array.from({ length: 15 * 4 * 24 }, () => (r.uniform() < 0.3 ? 1 : 0)), [15, 4, 24]);
    for (const n of [model.net, imported.net]) {
      n.training = false;
      for (const l of n.layers) l.training = false;
    }
    expect(imported.net.forward(x).toArray()).toEqual(model.net.forward(x).toArray());
    model.net.dispose();
    imported.net.dispose();
  });

  it("a subtractive-reset run needs --approximate-reset for NIR; safetensors export gives torch names", async () => {
    const cfg = syntheticConfig({}, { epochs: 1 });
    await train({ config: cfg, data: data(), progress: quiet() });
    const dir = tmp("exodus-export-");
    await expect(cli("export", cfg.output, "-o", join(dir, "a.nir"))).rejects.toThrow(/subtractive reset .*--approximate-reset/);
    expect(await cli("export", cfg.output, "-o", join(dir, "a.nir"), "--approximate-reset")).toMatch(/wrote/);
    await cli("export", join(cfg.output, "checkpoint.safetensors"), "-o", join(dir, "w.safetensors"));
    expect([...readSafetensors(join(dir, "w.safetensors")).tensors.keys()]).toEqual(["0.weight", "2.weight", "4.weight"]);
    await expect(cli("export", cfg.output, "-o", join(dir, "a.onnx"))).rejects.toThrow(/--format: expected "nir" or "safetensors"/);
  });
});
