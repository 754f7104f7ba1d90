// Where a config's training step keeps its memory: the estimate per plan step (nn/memory.ts) for
// the step benchmark's input shape, and the checkpoint segments a budget would give.
//   node dist/benchmarks/memory/where.js --config configs/cifar10-dvs.yaml --T 8 --B 16 [--budget-mib 2500]
import { flag } from "../args.js";
import { pathToFileURL } from "node:url";
import { autoCheckpoint, forwardMemory } from "../../lib/nn/memory.js";
import { loadConfig } from "../../lib/train/config.js";
import { buildModel } from "../../lib/train/model.js";
import { benchShape } from "../step/step.js";

const MiB = 2 ** 20;

export function where(config: string, T: number, B: number, budgetMiB?: number): string[] {
  const cfg = loadConfig(config, { device: "cpu", output: "/tmp/exodus-memory-where" });
  const { features, classes } = benchShape(cfg);
  const model = buildModel(cfg, { sampleShape: [T, ...features], numClasses: classes });
  const shape = [T, B, ...features];
  const m = forwardMemory(model.net, shape);
  const lines = m.steps.map((s) => {
    const names = model.net.layers.slice(s.start, s.start + s.span).map((l) => l.describe()).join(" + ");
    return `${String(s.start).padStart(3)}  ${names.padEnd(34)} kept ${(s.kept / MiB).toFixed(0).padStart(6)} MiB   out ${(s.output / MiB).toFixed(0).padStart(5)} MiB`;
  });
  lines.push(`kept by the layers ${(m.kept / MiB).toFixed(0)} MiB; largest tensor ${(m.largest / MiB).toFixed(0)} MiB`);
  if (budgetMiB !== undefined) {
    const { plan: p, inner } = autoCheckpoint(model.net, shape, budgetMiB * MiB);
    lines.push(`budget ${budgetMiB} MiB: segments at layers ${p.starts.join(", ")}, ${inner} blocks checkpointed inside; estimated peak ${(p.peak / MiB).toFixed(0)} MiB (plain ${(p.plain / MiB).toFixed(0)} MiB)`);
  }
  model.net.dispose();
  return lines;
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  const args = process.argv.slice(2);
  const value = (name: string, def?: string) => flag(args, name, def);
  const budget = value("budget-mib");
  for (const l of where(value("config", "configs/cifar10-dvs.yaml")!, Number(value("T", "8")), Number(value("B", "16")), budget === undefined ? undefined : Number(budget))) console.log(l);
}
