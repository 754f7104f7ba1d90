// Time and peak memory of one SHD training step (100 → 128 → 128 → 128 → 20 LIF, configs/shd.yaml)
// as the sequence grows to 10,000 steps and past, plain, checkpointed over layers under a memory
// budget, and in chunks of time: each point in its own process (benchmarks/step/step.ts), so each
// peak RSS is its own.
//
//   node dist/benchmarks/memory/long-t.js [--B 32] [--T 500,1000,2500,5000,10000] [--budget-mib 256] [--reps 2]
//     [--modes plain,checkpointed,chunked] [--time-chunk 1000] --out benchmarks/results/NAME.json
import { execFileSync } from "node:child_process";
import { existsSync, writeFileSync } from "node:fs";
import { cpus, loadavg } from "node:os";
import { dirname, join } from "node:path";
import { flag } from "../args.js";
import { fileURLToPath, pathToFileURL } from "node:url";
import type { StepTiming } from "../step/step.js";

const here = dirname(fileURLToPath(import.meta.url));

type Mode = "plain" | "checkpointed" | "chunked";
const MODES: readonly Mode[] = ["plain", "checkpointed", "chunked"];

export interface LongTRow extends StepTiming {
  mode: Mode;
}

export function longT(opts: { B: number; Ts: number[]; budgetMiB: number; reps: number; threads: number; modes?: readonly Mode[]; timeChunk?: number; log?: (l: string) => void }): LongTRow[] {
  const rows: LongTRow[] = [];
  for (const T of opts.Ts)
    for (const mode of opts.modes ?? ["plain", "checkpointed"]) {
      const args = [join(here, "../step/step.js"), "--config", "configs/shd.yaml", "--T", String(T), "--B", String(opts.B), "--density", "0.05",
        "--reps", String(opts.reps), "--threads", String(opts.threads), ...(mode === "checkpointed" ? ["--budget-mib", String(opts.budgetMiB)] : []),
        ...(mode === "chunked" ? ["--time-chunk", String(opts.timeChunk ?? 1000)] : [])];
      const r = JSON.parse(execFileSync(process.execPath, args, { encoding: "utf8" }).trim().split("\n").pop()!) as StepTiming;
      rows.push({ mode, ...r });
      opts.log?.(`T ${String(T).padStart(5)} ${mode.padEnd(12)} ${r.median.toFixed(2)} s (${r.min.toFixed(2)}–${r.max.toFixed(2)})  peak RSS ${r.peakRssMiB.toFixed(0)} MiB  load ${r.loadavg[0].toFixed(1)}`);
    }
  return rows;
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  const args = process.argv.slice(2);
  const value = (name: string, def?: string) => flag(args, name, def);
  const out = value("out");
  if (!out) throw new Error("--out: expected a new results file (benchmarks/results/NAME.json), received none");
  if (existsSync(out)) throw new Error(`--out: expected a new file (committed results are never overwritten), received ${out}, which exists`);
  const B = Number(value("B", "32")), budgetMiB = Number(value("budget-mib", "256")), reps = Number(value("reps", "2")), threads = Number(value("threads", "2"));
  const Ts = value("T", "500,1000,2500,5000,10000")!.split(",").map(Number);
  const modes = value("modes", "plain,checkpointed")!.split(",") as Mode[];
  const bad = modes.find((m) => !MODES.includes(m));
  if (bad) throw new Error(`--modes: expected a list of ${MODES.join(", ")}, received ${bad}`);
  const timeChunk = Number(value("time-chunk", "1000"));
  const started = loadavg();
  const rows = longT({ B, Ts, budgetMiB, reps, threads, modes, timeChunk, log: console.log });
  writeFileSync(out, JSON.stringify({
    benchmark: `SHD step (configs/shd.yaml) against sequence length T: ${modes.join(", ")}`, B, budgetMiB, threads, ...(modes.includes("chunked") ? { timeChunk } : {}),
    machine: { cpus: cpus().length, model: cpus()[0]?.model }, loadavgAtStart: started, loadavgAtEnd: loadavg(), rows,
  }, null, 2) + "\n");
  console.log(`wrote ${out}`);
}
