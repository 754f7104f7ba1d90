// Module.stateDict / loadStateDict / save / load with PyTorch's names and strictness, and a bare
// model.safetensors taken by `exodus eval` and `exodus export`.
import { copyFileSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { register as registerExport } from "../../bin/commands/export.js";
import { BatchNorm1d, LIF, Linear, Rng, Sequential, Tensor } from "../../lib/index.js";
import { readSafetensors, writeSafetensors } from "../../lib/io/safetensors.js";
import { validateConfig } from "../../lib/train/config.js";
import { evaluateRun } from "../../lib/train/eval.js";
import { train } from "../../lib/train/trainer.js";
import { runCommand } from "../cli-helpers.js";
import { tmp } from "../data/helpers.js";
import { quiet } from "../train/helpers.js";

const net = (seed: number) =>
  new Sequential(new Linear(6, 5, { rng: new Rng(seed) }), new BatchNorm1d(5), new LIF({ tauMem: [2, 3, 4, 5, 6], learnAlpha: true }), new Linear(5, 3, { bias: false, rng: new Rng(seed + 1) }));

describe("Module state", () => {
  it("stateDict holds the parameters and buffers by torch name, as the module's own tensors", () => {
    const a = net(1);
    const sd = a.stateDict();
    expect(Object.keys(sd)).toEqual(["0.weight", "0.bias", "1.weight", "1.bias", "2.alpha", "3.weight", "1.running_mean", "1.running_var", "1.num_batches_tracked"]);
    expect(sd["0.weight"].shape).toEqual([5, 6]);
    sd["3.weight"].set(new Float32Array(15).fill(0.5)); // the module's tensor, not a copy
    expect(a.parameters().find((p) => p.name === "3.weight")!.value.toArray()).toEqual(new Float32Array(15).fill(0.5));
  });

  it("loadStateDict copies another module's state; strict names what is missing or unexpected; a bad shape loads nothing", () => {
    const a = net(1);
    const b = net(7);
    a.forward(Tensor.randn([4, 2, 6], new Rng(3))).dispose(); // moves the running statistics
    expect(b.loadStateDict(a.stateDict())).toEqual({ missingKeys: [], unexpectedKeys: [] });
    for (const [k, v] of Object.entries(a.stateDict())) expect(b.stateDict()[k].toArray()).toEqual(v.toArray());

    const partial = { "0.weight": Tensor.zeros([5, 6]), "9.weight": Tensor.zeros([2]) };
    expect(() => b.loadStateDict(partial)).toThrow(/strict.*missing 0\.bias, .*unexpected 9\.weight.*strict: false/);
    expect(b.loadStateDict(partial, { strict: false })).toMatchObject({ unexpectedKeys: ["9.weight"] });
    expect(b.stateDict()["0.weight"].toArray().every((v) => v === 0)).toBe(true);
    const before = b.stateDict()["0.bias"].toArray();
    expect(() => b.loadStateDict({ "0.bias": Tensor.zeros([5]), "3.weight": Tensor.zeros([3, 4]) }, { strict: false })).toThrow(/3\.weight: expected shape \[3, 5\], received \[3, 4\]; nothing was loaded/);
    expect(b.stateDict()["0.bias"].toArray()).toEqual(before);
  });

  it("save / load round-trips through safetensors (torch's scalar num_batches_tracked), and loads torch-written files", () => {
    const dir = tmp("exodus-sd-");
    const a = net(1);
    a.forward(Tensor.randn([4, 2, 6], new Rng(3))).dispose();
    a.save(join(dir, "a.safetensors"));
    const file = readSafetensors(join(dir, "a.safetensors"));
    expect(file.tensors.get("1.num_batches_tracked")!.shape).toEqual([]);
    const b = net(9);
    b.load(join(dir, "a.safetensors"));
    for (const [k, v] of Object.entries(a.stateDict())) expect(b.stateDict()[k].toArray()).toEqual(v.toArray());
    // a plain safetensors file, as safetensors.torch.save_file writes it (no exodus metadata)
    writeSafetensors(join(dir, "torch.safetensors"), [...file.tensors].map(([name, t]) => ({ name, shape: t.shape, data: t.data.map((v) => v + 1) })));
    const c = net(9);
    c.load(join(dir, "torch.safetensors"));
    expect(c.stateDict()["3.weight"].toArray()).toEqual(a.stateDict()["3.weight"].toArray().map((v) => v + 1));
    expect(() => new Sequential(new Linear(6, 5)).load(join(dir, "a.safetensors"))).toThrow(/a\.safetensors: .*unexpected 1\.weight/);
  });
});

describe("a bare model.safetensors", () => {
  it("exodus eval and exodus export take it alone (it stores the config, the data shape and the position)", async () => {
    const cfg = validateConfig({ dataset: { name: "synthetic" }, train: { epochs: 1, limitBatches: 4 }, output: join(tmp("exodus-mf-"), "run"), device: "cpu" });
    await train({ config: cfg, progress: quiet() });
    const alone = join(tmp("exodus-mf-alone-"), "sub");
    mkdirSync(alone);
    copyFileSync(join(cfg.output, "model.safetensors"), join(alone, "model.safetensors"));
    const fromRun = await evaluateRun(cfg.output, { split: "valid" });
    const fromModel = await evaluateRun(join(alone, "model.safetensors"), { split: "valid" });
    expect(fromModel.acc).toBe(fromRun.acc);
    expect(fromModel.loss).toBe(fromRun.loss);
    expect(fromModel.checkpoint).toEqual(fromRun.checkpoint);
    const out = join(alone, "exported.safetensors");
    await runCommand(registerExport, "export", [join(alone, "model.safetensors"), "-o", out]);
    const a = readSafetensors(out).tensors;
    const b = readSafetensors(join(alone, "model.safetensors")).tensors;
    expect([...a.keys()]).toEqual([...b.keys()]);
    for (const [k, t] of a) expect(t.data).toEqual(b.get(k)!.data);
    // a model file without a config (Module.save) is not enough for the CLI, and says why
    new Sequential(new Linear(2, 2)).save(join(alone, "model-bare.safetensors"));
    await expect(evaluateRun(join(alone, "model-bare.safetensors"))).rejects.toThrow(/expected a model file with its config .* net\.load\(path\)/);
  });
});
