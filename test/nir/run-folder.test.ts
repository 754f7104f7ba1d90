// An imported graph is a model: `exodus import g.nir --out runs/x` writes a run folder that eval,
// train --resume (fine-tuning on the data set given in the command), export, run and the
// TypeScript API accept; the fine-tuned weights export and import back with identical outputs.
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { register as registerEval } from "../../bin/commands/eval.js";
import { register as registerExport } from "../../bin/commands/export.js";
import { register as registerImport } from "../../bin/commands/import.js";
import { register as registerRun } from "../../bin/commands/run.js";
import { register as registerTrain } from "../../bin/commands/train.js";
import { encodeNpy } from "../../lib/io/npy-write.js";
import { importNirFile, writeNir } from "../../lib/nir/index.js";
import { loadRunnable } from "../../lib/nir/simulate.js";
import { Rng } from "../../lib/random.js";
import { Tensor } from "../../lib/tensor.js";
import { loadCheckpoint } from "../../lib/train/checkpoint.js";
import { modelFromCheckpoint } from "../../lib/train/from-checkpoint.js";
import { tmp } from "../data/helpers.js";
import { nirCli } from "./helpers.js";
import { snntorch } from "./layouts.js";

const cli = (...args: string[]) => nirCli([registerImport, registerEval, registerTrain, registerExport, registerRun], ...args);

/** snnTorch's layout sized for the built-in synthetic task: 40 channels in, 10 classes out. */
function synthGraph() {
  const g = snntorch(9);
  const rng = new Rng(9);
  const w = (o: number, i: number, s: number) => Float32Array.from({ length: o * i }, () => (rng.uniform() - 0.3) * s);
  g.nodes.input.shape = { kind: "int", shape: [1], data: [40] };
  (g.nodes.fc1 as Record<string, unknown>).weight = { kind: "f32", shape: [6, 40], data: w(6, 40, 3) };
  (g.nodes.fc2 as Record<string, unknown>).weight = { kind: "f32", shape: [10, 6], data: w(10, 6, 4) };
  for (const k of ["tau_syn", "tau_mem", "r", "v_leak", "v_threshold", "v_reset"]) {
    const a = (g.nodes.lif2 as Record<string, { data: Float32Array }>)[k];
    (g.nodes.lif2 as Record<string, unknown>)[k] = { kind: "f32", shape: [10], data: Float32Array.from({ length: 10 }, (_, i) => a.data[i % 3]) };
  }
  (g.nodes.fc2 as Record<string, unknown>).bias = { kind: "f32", shape: [10], data: new Float32Array(10) };
  g.nodes.output.shape = { kind: "int", shape: [1], data: [10] };
  return g;
}

describe("an imported NIR graph as a run folder", () => {
  it("import --out → eval → train --resume (fine-tune) → export → import: identical outputs; run writes traces", async () => {
    const dir = tmp("exodus-nir-run-");
    const nir = join(dir, "snntorch.nir");
    await writeNir(nir, synthGraph());
    const run = join(dir, "run");
    expect(await cli("import", nir, "--dt", "1e-4", "--out", run, "--dataset", "synthetic")).toMatch(/run folder .*run \(exodus eval/);
    for (const f of ["graph.nir.json", "config.yaml", "checkpoint.safetensors", "model.safetensors"]) expect(existsSync(join(run, f))).toBe(true);
    await expect(cli("import", nir, "--dt", "1e-4", "--out", run)).rejects.toThrow(/already holds a run/);

    const before = JSON.parse(await cli("eval", run, "--json", "--picture", join(dir, "c.svg")));
    expect(before.samples).toBeGreaterThan(0);
    expect(before.checkpoint).toEqual({ epoch: 0, step: 0 });
    expect(Number.isFinite(before.loss)).toBe(true);
    expect(before.acc).toBeGreaterThanOrEqual(0);

    // fine-tune on the data set given in the command (the run was imported for synthetic: same here, via --set)
    await cli("train", "--resume", run, "--set", "dataset.name=synthetic", "--epochs", "1", "--limit-batches", "2", "--batch-size", "8");
    const ck = loadCheckpoint(run);
    expect(ck.state.step).toBe(2);
    const imported = await importNirFile(nir, { dt: 1e-4 });
    const w0 = imported.net.parameters().find((p) => p.name === "0.weight")!.value.toArray();
    const w1 = ck.weights.get("0.weight")!.data;
    expect(Array.from(w1)).not.toEqual(Array.from(w0)); // training moved the imported weights
    imported.net.dispose();

    // export the fine-tuned run and import it: the same network
    const out = join(dir, "tuned.nir");
    expect(await cli("export", run, "-o", out)).toMatch(/wrote .*tuned\.nir/);
    const back = await importNirFile(out);
    const { model } = modelFromCheckpoint(run);
    const rng = new Rng(3);
    const x = Tensor.from(Float32Array.from({ length: 30 * 2 * 40 }, () => (rng.uniform() < 0.3 ? 1 : 0)), [30, 2, 40]);
    model.net.eval();
    back.net.eval();
    const ya = model.net.forward(x).toArray(), yb = back.net.forward(x).toArray();
    expect(ya.some((v) => v !== 0)).toBe(true);
    expect(yb).toEqual(ya);
    model.net.dispose();
    back.net.dispose();

    // exodus run on the run folder (the TypeScript API's loader too) with an event list
    writeFileSync(join(dir, "ev.npy"), encodeNpy(Float32Array.of(0, 3, 0, 5, 2, 3, 7, 39), [4, 2]));
    const s = JSON.parse(await cli("run", run, "--input", join(dir, "ev.npy"), "--events", "--steps", "12", "--out", join(dir, "tr"), "--json"));
    expect(s.traces.map((t: { name: string }) => t.name)).toEqual(["lif1.spikes", "lif1.v", "lif2.spikes", "lif2.v", "output"]);
    expect(s.shape).toEqual([12, 1, 10]);
    const r = await loadRunnable(run);
    expect(r.inputShape).toEqual([40]);
    r.net.dispose();
    // a .nir file directly, with frames [T, B, 40]: the same output as the imported run (0 steps: same weights)
    const rng2 = new Rng(5);
    const frames = Float32Array.from({ length: 20 * 3 * 40 }, () => (rng2.uniform() < 0.3 ? 1 : 0));
    writeFileSync(join(dir, "frames.npy"), encodeNpy(frames, [20, 3, 40]));
    const f = JSON.parse(await cli("run", nir, "--dt", "1e-4", "--input", join(dir, "frames.npy"), "--out", join(dir, "tf"), "--json"));
    expect(f.shape).toEqual([20, 3, 10]);
    expect(readFileSync(join(dir, "tf", "output.csv"), "utf8").split("\n")[0]).toMatch(/^t,b0:n0,b0:n1,.*,b2:n9$/);
    await expect(cli("run", run, "--input", join(dir, "ev.npy"))).rejects.toThrow(/expected frames \[T, 40\] or \[T, B, 40\] \(or --events/);
  });
});
