// The experiment of `exodus compare` (the paper's Figure 2): one training run per
// method × surrogate scale × seed, each derived from one base config by changing only the method,
// neuron.surrogate.scale, train.seed (and train.epochs when asked) and the output folder. The
// weights and the data order derive from train.seed alone (lib/train/model.ts, trainer.ts), so
// the runs of one seed start from the same weights and see the same batches whatever the method
// and scale.
import { join } from "node:path";
import { ExodusError } from "../errors.js";
import type { BackwardMethod } from "../nn/options.js";
import type { TrainConfig } from "../train/config.js";

export const METHODS: readonly BackwardMethod[] = ["exodus", "slayer", "bptt"];

export interface CompareGrid {
  methods: BackwardMethod[];
  scales: number[];
  seeds: number[];
  /** Overrides train.epochs of the base config. */
  epochs?: number;
}

export interface PlannedRun {
  /** Folder name under the compare directory, e.g. "exodus-scale0.1-seed2". */
  name: string;
  method: BackwardMethod;
  scale: number;
  seed: number;
  dir: string;
  config: TrainConfig;
}

export function runName(method: string, scale: number, seed: number): string {
  return `${method}-scale${scale}-seed${seed}`;
}

/** The base config with one cell's method, scale, seed and epochs; output in dir/<name>. */
export function deriveConfig(base: TrainConfig, dir: string, method: BackwardMethod, scale: number, seed: number, epochs?: number): PlannedRun {
  const name = runName(method, scale, seed);
  const config = structuredClone(base);
  config.method = method;
  config.neuron.surrogate.scale = scale;
  config.train.seed = seed;
  if (epochs !== undefined) config.train.epochs = epochs;
  config.output = join(dir, name);
  return { name, method, scale, seed, dir: config.output, config };
}

/** Every run of the grid, ordered seed-major so that an early stop still covers every method and scale. */
export function planRuns(base: TrainConfig, dir: string, grid: CompareGrid): PlannedRun[] {
  const runs: PlannedRun[] = [];
  for (const seed of grid.seeds)
    for (const scale of grid.scales)
      for (const method of grid.methods) runs.push(deriveConfig(base, dir, method, scale, seed, grid.epochs));
  return runs;
}

function list(flag: string, text: string): string[] {
  const items = text.split(",").map((s) => s.trim());
  if (items.length === 0 || items.some((s) => s === "")) throw new ExodusError(`${flag}: expected a comma-separated list without empty items, received ${JSON.stringify(text)}`);
  if (new Set(items).size !== items.length) throw new ExodusError(`${flag}: expected distinct items, received ${JSON.stringify(text)}`);
  return items;
}

export function parseMethods(text: string): BackwardMethod[] {
  return list("--methods", text).map((m) => {
    if (!(METHODS as readonly string[]).includes(m)) throw new ExodusError(`--methods: expected items among ${METHODS.join(", ")}, received ${JSON.stringify(m)}`);
    return m as BackwardMethod;
  });
}

export function parseScales(text: string): number[] {
  const scales = list("--scales", text).map((s) => {
    const v = Number(s);
    if (!Number.isFinite(v) || v <= 0) throw new ExodusError(`--scales: expected surrogate scales > 0 (e.g. 0.01,0.1,1), received ${JSON.stringify(s)}`);
    return v;
  });
  if (new Set(scales).size !== scales.length) throw new ExodusError(`--scales: expected distinct values, received ${JSON.stringify(text)}`);
  return scales;
}

export function parseSeeds(text: string): number[] {
  return list("--seeds", text).map((s) => {
    const v = Number(s);
    if (!Number.isInteger(v) || v < 0 || v >= 2 ** 31) throw new ExodusError(`--seeds: expected integers in [0, 2^31), received ${JSON.stringify(s)}`);
    return v;
  });
}
