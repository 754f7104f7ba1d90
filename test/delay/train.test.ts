// configs/shd-delays.yaml through `exodus train` on the SHD-format fixture (narrowed to 16 hidden
// neurons and 4 epochs): the delay layers train (finite losses, gradient norms > 0), the σ schedule
// runs from the trainer's epoch hook, and the saved model keeps σ (a buffer) at its decayed value.
import { copyFileSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { register } from "../../bin/commands/train.js";
import { DelayLinear } from "../../lib/nn/delay.js";
import { packageRoot } from "../../lib/native.js";
import { loadConfig } from "../../lib/train/config.js";
import { buildModel } from "../../lib/train/model.js";
import { Tensor } from "../../lib/tensor.js";
import { runCommand } from "../cli-helpers.js";
import { FIXTURES, tmp } from "../data/helpers.js";

describe("configs/shd-delays.yaml trains", () => {
  afterEach(() => {
    process.exitCode = undefined;
  });
  it("on the SHD-format fixture, with σ decayed per epoch and saved", async () => {
    const root = tmp("exodus-delay-data-");
    copyFileSync(join(FIXTURES, "shd_tiny.h5"), join(root, "shd_train.h5"));
    copyFileSync(join(FIXTURES, "shd_tiny.h5"), join(root, "shd_test.h5"));
    const dir = tmp("exodus-delay-run-");
    const file = join(dir, "shd-delays.yaml");
    const text = readFileSync(join(packageRoot(), "configs", "shd-delays.yaml"), "utf8").replace(/out: 256/g, "out: 16").replace("batchSize: 256", "batchSize: 4").replace("evalEvery: 1\n", "evalEvery: 1\n  evalSplit: test\n");
    writeFileSync(file, text);
    const out = join(dir, "run");
    const r = JSON.parse(await runCommand(register, "train", [file, "--epochs", "4", "--data-root", root, "--out", out, "--json"]));
    expect(r.interrupted).toBe(false);
    expect(r.epochs).toHaveLength(4);
    for (const e of r.epochs) expect(Number.isFinite(e.train.loss)).toBe(true);
    const norms = r.epochs[0].gradNorm as Record<string, number>;
    expect(Object.keys(norms).filter((k) => k.endsWith("DelayLinear"))).toHaveLength(3);
    expect(Object.values(norms).every((g) => g > 0)).toBe(true);
    // 4 epochs, decay over a quarter: σ is 0.5 from the second epoch on, and the saved model says so.
    const model = buildModel(loadConfig(file), { sampleShape: [100, 140], numClasses: 20 });
    model.net.load(join(out, "model.safetensors"));
    const delays = model.net.layers.filter((l): l is DelayLinear => l instanceof DelayLinear);
    expect(delays.map((l) => l.sigma)).toEqual([12.5, 12.5, 12.5]); // the constructor's, until a forward reads the buffer
    model.net.forward(Tensor.zeros([3, 1, 140]));
    expect(delays.map((l) => l.sigma)).toEqual([0.5, 0.5, 0.5]);
    model.net.dispose();
  }, 180_000);
});
