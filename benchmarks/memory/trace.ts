// Where a training step's live memory peaks: the host allocator's live bytes before and after every
// layer's forward and backward of one benchmark step (step.ts), printed around the highest peak.
//   node dist/benchmarks/memory/trace.js --config configs/cifar10-dvs.yaml --T 8 --B 2 [--budget-mib 312]
// Layers nested in a container are indented; a line marked * raised the peak.
import { pathToFileURL } from "node:url";
import { flag } from "../args.js";
import { native } from "../../lib/native.js";
import * as nn from "../../lib/nn/index.js";
import { Module } from "../../lib/nn/module.js";
import { timeStep } from "../step/step.js";

const MiB = 2 ** 20;
type Method = (this: Module, ...a: unknown[]) => unknown;

/** Runs one step with every layer class's forwardActivation/backward/backwardOwned wrapped; the lines around the peak. */
export function trace(config: string, T: number, B: number, budgetMiB?: number, around = 25): string[] {
  const log: string[] = [];
  let depth = 0;
  let last = 0;
  const undo: (() => void)[] = [];
  const protos = new Set<Record<string, Method>>();
  // Module's own too: the layers that inherit forwardActivation or backwardOwned (batch norm, Conv2d)
  protos.add(Module.prototype as unknown as Record<string, Method>);
  // and the classes between an exported layer and Module (batch norm's base, which has its own forwardActivation)
  for (const v of Object.values(nn))
    if (typeof v === "function" && v.prototype instanceof Module)
      for (let p = v.prototype; p && p !== Module.prototype; p = Object.getPrototypeOf(p)) protos.add(p as unknown as Record<string, Method>);
  for (const p of protos)
    for (const m of ["forwardActivation", "backward", "backwardOwned"]) {
      if (!Object.prototype.hasOwnProperty.call(p, m)) continue;
      const f = p[m];
      p[m] = function (this: Module, ...a: unknown[]) {
        const before = native().hostAllocatorStats().inUse;
        const at = log.push("") - 1;
        depth++;
        try {
          return f.apply(this, a);
        } finally {
          depth--;
          const s = native().hostAllocatorStats();
          log[at] = `${" ".repeat(depth)}${(this as Module).describe()}.${m}: live ${(before / MiB).toFixed(0)} -> ${(s.inUse / MiB).toFixed(0)} MiB, peak ${(s.peak / MiB).toFixed(0)}${s.peak > last ? " *" : ""}`;
          last = Math.max(last, s.peak);
        }
      };
      undo.push(() => (p[m] = f));
    }
  try {
    const r = timeStep(config, { T, B, density: 0.1, reps: 1, threads: 2, ...(budgetMiB !== undefined ? { budgetMiB } : {}) });
    const peakAt = log.reduce((k, l, i) => (l.endsWith("*") ? i : k), 0);
    return [...log.slice(Math.max(0, peakAt - around), peakAt + 8), `allocator peak ${(last / MiB).toFixed(0)} MiB, peak RSS ${r.peakRssMiB.toFixed(0)} MiB`];
  } finally {
    for (const u of undo) u();
  }
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  const args = process.argv.slice(2);
  const value = (name: string, def?: string) => flag(args, name, def);
  const budget = value("budget-mib");
  for (const l of trace(value("config", "configs/cifar10-dvs.yaml")!, Number(value("T", "8")), Number(value("B", "2")), budget === undefined ? undefined : Number(budget))) console.log(l);
}
