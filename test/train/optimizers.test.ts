// The optimisers of `exodus train` against an independent float64 reference written here from the
// update rules (and against torch.optim where /usr/bin/python3 has torch): SGD, momentum,
// Nesterov, L2 and decoupled weight decay, per-parameter groups, gradient clipping by global norm.
import { spawnSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { newParameter, type Parameter } from "../../lib/nn/module.js";
import { Rng } from "../../lib/random.js";
import { Tensor } from "../../lib/tensor.js";
import { buildOptimizer, clipGradNorm, resolveGroups } from "../../lib/train/optimizers/index.js";
import { validateConfig } from "../../lib/train/config.js";
import type { OptimizerSpec } from "../../lib/train/optim-config.js";
import { maxRelError, randomArray } from "../helpers.js";
import { PY, hasTorch } from "../torch-python.js";

const SHAPES: [string, number[]][] = [["0.weight", [5, 7]], ["1.alpha", [7]], ["2.weight", [3, 5]]];
const STEPS = 6;

/** Parameters and one gradient per step, all seeded. */
function problem(seed: number) {
  const rng = new Rng(seed);
  const init = SHAPES.map(([, s]) => randomArray(rng, s.reduce((a, b) => a * b, 1), -1, 1));
  const grads = Array.from({ length: STEPS }, () => init.map((x) => randomArray(rng, x.length, -3, 3)));
  return { init, grads };
}

function params(init: Float32Array[]): Parameter[] {
  return SHAPES.map(([name, shape], i) => newParameter(name, Tensor.from(init[i], shape)));
}

interface Case { optimizer: OptimizerSpec; lr: number; weightDecay: number; groups: { params: string; lrScale?: number; weightDecay?: number }[]; factors: number[] }

/** Float64 reference of torch.optim's SGD / Adam / AdamW, written from their documented update rules. */
function reference(c: Case, init: Float32Array[], grads: Float32Array[][]): Float64Array[] {
  const p = init.map((x) => Float64Array.from(x));
  const opts = SHAPES.map(([name]) => {
    const g = c.groups.find((gr) => gr.params === "neuron" ? !name.endsWith("weight") : gr.params === name);
    return { lr: c.lr * (g?.lrScale ?? 1), wd: g?.weightDecay ?? c.weightDecay };
  });
  const s1 = p.map((x) => new Float64Array(x.length));
  const s2 = p.map((x) => new Float64Array(x.length));
  for (let t = 1; t <= grads.length; t++)
    p.forEach((w, i) => {
      const lr = opts[i].lr * c.factors[t - 1];
      const wd = opts[i].wd;
      const o = c.optimizer;
      for (let k = 0; k < w.length; k++) {
        let g = grads[t - 1][i][k];
        if (o.name === "sgd") {
          g += wd * w[k];
          if (o.momentum > 0) {
            s1[i][k] = t === 1 ? g : o.momentum * s1[i][k] + g;
            g = o.nesterov ? g + o.momentum * s1[i][k] : s1[i][k];
          }
          w[k] -= lr * g;
        } else {
          if (o.name === "adam") g += wd * w[k];
          else w[k] *= 1 - lr * wd;
          const [b1, b2] = o.betas;
          s1[i][k] = b1 * s1[i][k] + (1 - b1) * g;
          s2[i][k] = b2 * s2[i][k] + (1 - b2) * g * g;
          const mh = s1[i][k] / (1 - b1 ** t);
          const vh = s2[i][k] / (1 - b2 ** t);
          w[k] -= (lr * mh) / (Math.sqrt(vh) + o.eps);
        }
      }
    });
  return p;
}

function run(c: Case, init: Float32Array[], grads: Float32Array[][]): Float32Array[] {
  const ps = params(init);
  const opt = buildOptimizer({ optimizer: c.optimizer, paramGroups: c.groups, lr: c.lr, weightDecay: c.weightDecay }, ps);
  grads.forEach((g, t) => {
    ps.forEach((p, i) => p.grad.set(g[i]));
    opt.step(c.factors[t]);
  });
  const out = ps.map((p) => p.value.toArray());
  opt.dispose();
  return out;
}

const adam = (name: "adam" | "adamw"): OptimizerSpec => ({ name, betas: [0.9, 0.99], eps: 1e-8 });
const factors = [1, 0.5, 0.8, 1.2, 0.3, 1];
const CASES: Record<string, Case> = {
  "sgd": { optimizer: { name: "sgd", momentum: 0, nesterov: false }, lr: 0.05, weightDecay: 0, groups: [], factors },
  "sgd momentum, L2 decay": { optimizer: { name: "sgd", momentum: 0.9, nesterov: false }, lr: 0.05, weightDecay: 0.01, groups: [], factors },
  "sgd nesterov, neuron group without decay": { optimizer: { name: "sgd", momentum: 0.8, nesterov: true }, lr: 0.05, weightDecay: 0.05, groups: [{ params: "neuron", weightDecay: 0, lrScale: 0.5 }], factors },
  "adam, L2 decay": { optimizer: adam("adam"), lr: 0.01, weightDecay: 0.1, groups: [], factors },
  "adamw, decoupled decay, groups": { optimizer: adam("adamw"), lr: 0.01, weightDecay: 0.1, groups: [{ params: "neuron", weightDecay: 0 }, { params: "2.weight", lrScale: 3 }], factors },
};

describe("optimizers", () => {
  for (const [name, c] of Object.entries(CASES))
    it(`${name}: ${STEPS} steps equal a float64 reference`, () => {
      const { init, grads } = problem(11);
      const got = run(c, init, grads);
      const want = reference(c, init, grads);
      got.forEach((g, i) => {
        expect(maxRelError(g, want[i])).toBeLessThan(2e-5);
        expect(maxRelError(g, init[i])).toBeGreaterThan(1e-3); // it moved
      });
    });

  it("export/import of the state continues bit-exactly", () => {
    for (const c of Object.values(CASES)) {
      const { init, grads } = problem(5);
      const whole = run(c, init, grads);
      const ps = params(init);
      const cfg = { optimizer: c.optimizer, paramGroups: c.groups, lr: c.lr, weightDecay: c.weightDecay };
      const a = buildOptimizer(cfg, ps);
      for (let t = 0; t < 3; t++) {
        ps.forEach((p, i) => p.grad.set(grads[t][i]));
        a.step(c.factors[t]);
      }
      const st = a.exportState();
      a.dispose();
      const b = buildOptimizer(cfg, ps);
      b.importState(st);
      for (let t = 3; t < STEPS; t++) {
        ps.forEach((p, i) => p.grad.set(grads[t][i]));
        b.step(c.factors[t]);
      }
      ps.forEach((p, i) => expect(p.value.toArray()).toEqual(whole[i]));
      b.dispose();
    }
  });

  it("clips the global gradient norm as torch's clip_grad_norm_", () => {
    const { init, grads } = problem(3);
    const ps = params(init);
    ps.forEach((p, i) => p.grad.set(grads[0][i]));
    const norm = Math.sqrt(grads[0].reduce((s, g) => s + g.reduce((a, x) => a + x * x, 0), 0));
    expect(clipGradNorm(ps, null)).toBeCloseTo(norm, 3);
    expect(ps[0].grad.toArray()).toEqual(grads[0][0]); // null: measured, not clipped
    expect(clipGradNorm(ps, 1e6)).toBeCloseTo(norm, 3);
    expect(ps[0].grad.toArray()).toEqual(grads[0][0]); // below the bound: unchanged
    const got = clipGradNorm(ps, 2);
    expect(got).toBeCloseTo(norm, 3);
    const coef = 2 / (norm + 1e-6);
    ps.forEach((p, i) => expect(maxRelError(p.grad.toArray(), grads[0][i].map((x) => x * coef))).toBeLessThan(1e-6));
    expect(Math.sqrt(ps.reduce((s, p) => s + p.grad.toArray().reduce((a, x) => a + x * x, 0), 0))).toBeCloseTo(2, 4);
  });

  it("groups select neuron parameters, batch norm, biases and globs; a group matching nothing is an error", () => {
    const names = ["0.weight", "0.bias", "1.weight", "1.bias", "2.alpha", "3.block.0.weight_v", "3.block.0.weight_g", "3.block.1.threshold"].map((name) => ({ name }));
    const buffers = ["1.running_mean", "1.running_var"];
    const d = { lrScale: 1, weightDecay: 0.1 };
    const r = resolveGroups(names, [{ params: "neuron", weightDecay: 0 }, { params: "norm", lrScale: 2, weightDecay: 0 }, { params: "3.block.*", lrScale: 0.5 }], d, buffers);
    expect(r.map((o) => o.weightDecay)).toEqual([0.1, 0.1, 0, 0, 0, 0.1, 0.1, 0]);
    expect(r.map((o) => o.lrScale)).toEqual([1, 1, 2, 2, 1, 0.5, 0.5, 1]);
    expect(() => resolveGroups(names, [{ params: "*.tau" }], d, buffers)).toThrow(/train.paramGroups\[0\].params: expected a selector matching some parameter of this model .* received "\*.tau" which matches none/);
  });

  it("config: names, defaults and errors of the optimizer fields", () => {
    const v = (train: Record<string, unknown>) => validateConfig({ dataset: { name: "shd" }, train, device: "cpu" }).train;
    expect(v({}).optimizer).toEqual({ name: "adam", betas: [0.9, 0.999], eps: 1e-8 });
    expect(v({ optimizer: "adamw" }).optimizer.name).toBe("adamw");
    expect(v({ optimizer: { name: "sgd", momentum: 0.9, nesterov: true } }).optimizer).toEqual({ name: "sgd", momentum: 0.9, nesterov: true });
    expect(() => v({ optimizer: "rmsprop" })).toThrow(/train.optimizer.name: expected one of "adam", "adamw", "sgd", received "rmsprop"/);
    expect(() => v({ optimizer: { name: "sgd", betas: [0.9, 0.9] } })).toThrow(/train.optimizer.betas: expected no value for "sgd"/);
    expect(() => v({ optimizer: { name: "sgd", nesterov: true } })).toThrow(/train.optimizer.momentum: expected a value > 0 with nesterov: true/);
    expect(() => v({ paramGroups: [{ params: "neuron", decay: 0 }] })).toThrow(/train.paramGroups\[0\].decay: expected no such field/);
    expect(() => v({ clipGradNorm: 0 })).toThrow(/train.clipGradNorm: expected a finite number > 0/);
    expect(() => v({ earlyStopping: { minDelta: 0.1 } })).toThrow(/train.earlyStopping.patience: expected an integer >= 1/);
    expect(() => v({ selectMetric: "f1" })).toThrow(/train.selectMetric: expected one of "acc", "loss", received "f1"/);
  });

  it.skipIf(!hasTorch)("equals torch.optim (SGD Nesterov, Adam, AdamW with groups)", () => {
    const { init, grads } = problem(21);
    const cases = [CASES["sgd nesterov, neuron group without decay"], CASES["adam, L2 decay"], CASES["adamw, decoupled decay, groups"]];
    const script = `
import json, sys, torch
d = json.load(sys.stdin)
out = []
for c in d["cases"]:
    ps = [torch.nn.Parameter(torch.tensor(x, dtype=torch.float32)) for x in d["init"]]
    groups = []
    for i, (name, _) in enumerate(d["shapes"]):
        g = next((g for g in c["groups"] if (g["params"] == "neuron" and not name.endswith("weight")) or g["params"] == name), {})
        groups.append({"params": [ps[i]], "lr": c["lr"] * g.get("lrScale", 1), "weight_decay": g.get("weightDecay", c["weightDecay"])})
    o = c["optimizer"]
    if o["name"] == "sgd": opt = torch.optim.SGD(groups, lr=c["lr"], momentum=o["momentum"], nesterov=o["nesterov"])
    elif o["name"] == "adam": opt = torch.optim.Adam(groups, lr=c["lr"], betas=o["betas"], eps=o["eps"])
    else: opt = torch.optim.AdamW(groups, lr=c["lr"], betas=o["betas"], eps=o["eps"])
    base = [g["lr"] for g in opt.param_groups]
    for t, gs in enumerate(d["grads"]):
        for g, b in zip(opt.param_groups, base): g["lr"] = b * c["factors"][t]
        for p, g in zip(ps, gs): p.grad = torch.tensor(g, dtype=torch.float32)
        opt.step()
    out.append([p.detach().numpy().ravel().tolist() for p in ps])
print(json.dumps(out))
`;
    const r = spawnSync(PY, ["-c", script], { input: JSON.stringify({ cases, shapes: SHAPES, init: init.map((x) => [...x]), grads: grads.map((g) => g.map((x) => [...x])) }), encoding: "utf8", maxBuffer: 1 << 26 });
    expect(r.status, r.stderr).toBe(0);
    const torchOut = JSON.parse(r.stdout) as number[][][];
    cases.forEach((c, k) => run(c, init, grads).forEach((g, i) => expect(maxRelError(g, torchOut[k][i])).toBeLessThan(2e-5)));
  });
});
