// Running the planned runs so that an interrupted compare continues where it stopped: a run whose
// checkpoint covers all its epochs is kept as it is, one with an earlier checkpoint is resumed
// (the trainer resumes exactly), one without a checkpoint starts afresh. In-process one at a
// time, or as `exodus train` child processes for --jobs > 1.
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { stringify } from "yaml";
import { ExodusError } from "../errors.js";
import { packageRoot } from "../native.js";
import { hasCheckpoint, loadCheckpoint } from "../train/checkpoint.js";
import { Progress } from "../train/progress.js";
import { revalidateStored } from "../train/resume.js";
import { train, type TrainData } from "../train/trainer.js";
import type { PlannedRun } from "./plan.js";

export type RunState = "done" | "partial" | "new";

/** The first field (dotted path) where two configs differ, ignoring where files live and how long to train. */
export function differingField(a: unknown, b: unknown, path = ""): string | undefined {
  const free = new Set(["output", "device", "dataset.root", "train.epochs"]);
  if (free.has(path)) return undefined;
  if (typeof a === "object" && a !== null && typeof b === "object" && b !== null && !Array.isArray(a)) {
    const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
    for (const k of keys) {
      const d = differingField((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k], path ? `${path}.${k}` : k);
      if (d) return d;
    }
    return undefined;
  }
  return JSON.stringify(a) === JSON.stringify(b) ? undefined : path || "config";
}

/** Where a run stands: "done" when its checkpoint is past its last epoch. */
export function runState(run: PlannedRun): { state: RunState; epochsDone: number } {
  if (!hasCheckpoint(run.dir)) return { state: "new", epochsDone: 0 };
  const ck = loadCheckpoint(run.dir); // its errors name the file and what to do
  let stored: unknown = ck.config;
  try {
    stored = revalidateStored(ck.config); // defaults of fields added since it was written
  } catch {
    // compared as written
  }
  const differs = differingField(stored, run.config);
  if (differs)
    throw new ExodusError(`compare: ${run.dir} holds a run of other settings (its ${differs} differs from this compare's); choose another --out, or remove that folder to redo the run`);
  const epoch = ck.state.epoch;
  return { state: epoch >= run.config.train.epochs ? "done" : "partial", epochsDone: epoch };
}

export interface RunAllOptions {
  runs: PlannedRun[];
  jobs: number;
  signal?: AbortSignal;
  /** In-memory data sets instead of the config's (in-process runs only). */
  data?: { train: TrainData; eval: TrainData };
  /** Where progress lines go (stderr by default); quiet silences the trainers. */
  log?: (line: string) => void;
  quiet?: boolean;
  /** Called when a run finished all its epochs (tests use it to interrupt). */
  onRunDone?: (run: PlannedRun) => void;
}

export interface RunAllResult {
  interrupted: boolean;
  kept: string[];
  resumed: string[];
  started: string[];
}

/** The run's config as YAML next to its metrics: what `exodus train` needs to redo it alone. */
function writeRunConfig(run: PlannedRun): string {
  mkdirSync(run.dir, { recursive: true });
  const path = join(run.dir, "config.yaml");
  writeFileSync(path, `# written by exodus compare: ${run.method}, surrogate scale ${run.scale}, seed ${run.seed}\n${stringify(run.config)}`);
  return path;
}

/** A Progress whose lines start with the run's label, so interleaved runs stay readable. */
function labelledProgress(label: string, quiet: boolean): Progress {
  const err = process.stderr;
  return new Progress({ isTTY: err.isTTY, write: (s: string) => err.write(s.replace(/(^|\n|\r\x1b\[K)(?=[^\n\r])/g, `$1${label} `)) }, quiet);
}

export async function runAll(opts: RunAllOptions): Promise<RunAllResult> {
  const log = opts.log ?? ((l: string) => process.stderr.write(`${l}\n`));
  const result: RunAllResult = { interrupted: false, kept: [], resumed: [], started: [] };
  const todo: { run: PlannedRun; resume: boolean; index: number }[] = [];
  opts.runs.forEach((run, index) => {
    const { state, epochsDone } = runState(run);
    if (state === "done") result.kept.push(run.name);
    else {
      if (state === "partial") log(`compare: ${run.name} stopped after epoch ${epochsDone}; resuming it`);
      todo.push({ run, resume: state === "partial", index });
    }
  });
  if (result.kept.length) log(`compare: keeping ${result.kept.length} finished run${result.kept.length > 1 ? "s" : ""} (${result.kept.join(", ")})`);
  const total = opts.runs.length;
  const label = (t: (typeof todo)[number]) => `[${t.index + 1}/${total} ${t.run.name}]`;

  if (opts.jobs <= 1) {
    for (const t of todo) {
      if (opts.signal?.aborted) break;
      writeRunConfig(t.run);
      (t.resume ? result.resumed : result.started).push(t.run.name);
      log(`${label(t)} ${t.resume ? "resuming" : "training"} ${t.run.config.dataset.name} with ${t.run.method}, surrogate scale ${t.run.scale}, seed ${t.run.seed} on ${t.run.config.device}`);
      const r = await train({ config: t.run.config, resume: t.resume, signal: opts.signal, data: opts.data, progress: labelledProgress(label(t), opts.quiet ?? false) });
      if (r.interrupted) {
        result.interrupted = true;
        break;
      }
      opts.onRunDone?.(t.run);
    }
    return result;
  }

  if (opts.data) throw new ExodusError("compare: --jobs > 1 runs each training in its own process, which cannot use in-memory data; use jobs 1");
  const cli = join(packageRoot(), "dist", "bin", "exodus.js");
  if (!existsSync(cli)) throw new ExodusError(`compare --jobs: expected the built CLI at ${cli}, received no such file; build with npm run build:ts or use --jobs 1`);
  const children = new Set<ChildProcess>();
  const onAbort = () => {
    result.interrupted = true;
    for (const c of children) c.kill("SIGINT"); // each child checkpoints and exits 130
  };
  opts.signal?.addEventListener("abort", onAbort, { once: true });
  const failures: string[] = [];
  let next = 0;
  const worker = async () => {
    while (next < todo.length && !opts.signal?.aborted) {
      const t = todo[next++];
      const cfgPath = writeRunConfig(t.run);
      (t.resume ? result.resumed : result.started).push(t.run.name);
      log(`${label(t)} ${t.resume ? "resuming" : "training"} with ${t.run.method}, surrogate scale ${t.run.scale}, seed ${t.run.seed}`);
      const args = [cli, "train", cfgPath, "--out", t.run.dir, ...(t.resume ? ["--resume"] : [])];
      // Its own process group: a terminal's Ctrl-C reaches only compare, which passes one SIGINT
      // on (a second one would make the child quit without its checkpoint).
      const child = spawn(process.execPath, args, { stdio: ["ignore", "ignore", "pipe"], detached: true });
      children.add(child);
      let tail = "";
      child.stderr!.setEncoding("utf8").on("data", (s: string) => {
        const lines = (tail + s).split(/\r?\n|\r/);
        tail = lines.pop()!;
        for (const l of lines) if (l && !opts.quiet) log(`${label(t)} ${l}`);
      });
      const code = await new Promise<number | null>((res) => child.on("close", (c) => res(c)));
      children.delete(child);
      if (tail && !opts.quiet) log(`${label(t)} ${tail}`);
      if (code === 130) result.interrupted = true;
      else if (code !== 0) failures.push(`${t.run.name} (exit code ${code}; its log lines above say why)`);
      else opts.onRunDone?.(t.run);
    }
  };
  try {
    await Promise.all(Array.from({ length: Math.min(opts.jobs, todo.length) }, worker));
  } finally {
    opts.signal?.removeEventListener("abort", onAbort);
    for (const c of children) c.kill("SIGINT");
  }
  if (failures.length) throw new ExodusError(`compare: ${failures.length} run${failures.length > 1 ? "s" : ""} failed: ${failures.join("; ")}`);
  return result;
}
