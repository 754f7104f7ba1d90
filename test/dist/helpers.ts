// Running `exodus train` under `mpirun -np N` (Open MPI) and alone, for the data-parallel tests.
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { loadModelFile } from "../../lib/train/checkpoint.js";

export const ROOT = join(import.meta.dirname, "..", "..");
const CLI = join(ROOT, "dist", "bin", "exodus.js");

/** Why the mpirun tests cannot run here, or undefined when they can. */
export function mpiMissing(): string | undefined {
  if (spawnSync("mpirun", ["--version"], { encoding: "utf8" }).status !== 0) return "mpirun not found (apt-get install openmpi-bin libopenmpi-dev)";
  if (!existsSync(CLI)) return "dist/bin/exodus.js not built (npx tsc -p tsconfig.json)";
  return undefined;
}

// One thread per rank (two ranks share this 2-core machine); root may run mpirun in CI containers.
const ENV = { OMP_NUM_THREADS: "1", OMPI_ALLOW_RUN_AS_ROOT: "1", OMPI_ALLOW_RUN_AS_ROOT_CONFIRM: "1", OMPI_MCA_btl_vader_single_copy_mechanism: "none" };

export function mpiArgs(np: number, args: string[], env: NodeJS.ProcessEnv): string[] {
  const pass = ["OMP_NUM_THREADS", "EXODUS_DIST_TIMEOUT", "EXODUS_DIST_BUCKET", "EXODUS_DIST_REDUCE", "EXODUS_ADDON"].filter((v) => v in env).flatMap((v) => ["-x", v]);
  return ["-np", String(np), "--oversubscribe", "--bind-to", "none", ...pass, process.execPath, CLI, "train", ...args];
}

export interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** `exodus train args` alone (np 1, no launcher) or under mpirun -np np. */
export function trainRun(np: number, args: string[], env: Record<string, string> = {}): Run {
  const e = { ...process.env, ...ENV, EXODUS_DIST_TIMEOUT: "60", ...env };
  const r = np === 1 ? spawnSync(process.execPath, [CLI, "train", ...args], { encoding: "utf8", env: e, timeout: 120_000 })
    : spawnSync("mpirun", mpiArgs(np, args, e), { encoding: "utf8", env: e, timeout: 120_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** mpirun in the background, for the signal tests. */
export function trainBackground(np: number, args: string[], env: Record<string, string> = {}): ChildProcess {
  const e = { ...process.env, ...ENV, ...env };
  return spawn("mpirun", mpiArgs(np, args, e), { env: e, stdio: ["ignore", "pipe", "pipe"] });
}

/** The node processes mpirun started, by rank (from their OMPI_COMM_WORLD_RANK). */
export function rankPids(mpirunPid: number): Map<number, number> {
  const out = new Map<number, number>();
  const kids = spawnSync("ps", ["-o", "pid=", "--ppid", String(mpirunPid)], { encoding: "utf8" }).stdout.split("\n").map((s) => Number(s.trim())).filter((n) => n > 0);
  for (const pid of kids) {
    try {
      const env = readFileSync(`/proc/${pid}/environ`, "utf8").split("\0");
      const rank = env.find((v) => v.startsWith("OMPI_COMM_WORLD_RANK="));
      if (rank) out.set(Number(rank.split("=")[1]), pid);
    } catch {
      // exited meanwhile
    }
  }
  return out;
}

/** Weights of a run folder's model.safetensors, by name. */
export function weightsOf(run: string): Map<string, Float32Array> {
  return new Map([...loadModelFile(join(run, "model.safetensors")).weights].map(([k, v]) => [k, v.data]));
}

/** Largest |a − b| over all weights, and whether every bit is equal. */
export function compareWeights(a: Map<string, Float32Array>, b: Map<string, Float32Array>): { maxAbs: number; identical: boolean; scale: number } {
  let maxAbs = 0;
  let scale = 0;
  let identical = a.size === b.size;
  for (const [k, x] of a) {
    const y = b.get(k)!;
    identical &&= Buffer.from(x.buffer, x.byteOffset, x.byteLength).equals(Buffer.from(y.buffer, y.byteOffset, y.byteLength));
    for (let i = 0; i < x.length; i++) {
      maxAbs = Math.max(maxAbs, Math.abs(x[i] - y[i]));
      scale = Math.max(scale, Math.abs(x[i]));
    }
  }
  return { maxAbs, identical, scale };
}

/** metrics.jsonl's epochs. */
export function metricsOf(run: string): { epoch: number; step: number; train: { loss: number; acc: number; samples: number }; eval?: { loss: number; acc: number; samples: number }; dist?: { ranks: number; bytesPerStep: number } }[] {
  return readFileSync(join(run, "metrics.jsonl"), "utf8").trim().split("\n").map((l) => JSON.parse(l));
}
