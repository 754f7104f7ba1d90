// What `--resume [path|last|best]` points at, and the config of a resumed run when no config file
// is given: the run folder's config.yaml (the run's hparams file) if present, else the resolved
// config stored in the checkpoint itself.
import { existsSync, statSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { loadCheckpoint } from "./checkpoint.js";
import { type ConfigOverrides, type TrainConfig, applyOverrides, loadConfig, validateConfig } from "./config.js";
import { ConfigError } from "../errors.js";
import { validateLoop } from "./optim-config.js";
import { defaultDevice } from "../device.js";

export interface ResumeSource {
  /** A checkpoint file or a run folder, for loadCheckpoint. */
  path: string;
  which: "last" | "best";
  /** The run folder the checkpoint belongs to (absolute). */
  runDir: string;
}

/**
 * A stored (resolved) config validated again: fields added since it was written get their
 * defaults; a resolved IAF config carries the LIF-only tauMem default, which validation refuses
 * in a user's file, so it is dropped first. A resolved layer list (model.layers as specs, not
 * YAML) does not validate again; it was valid when written and is used as stored.
 */
export function revalidateStored(config: unknown, patch: Record<string, unknown> = {}, overrides: ConfigOverrides = {}): TrainConfig {
  const c = { ...(config as Record<string, unknown>), ...patch };
  const n = c.neuron as Record<string, unknown> | undefined;
  if (n && n.type === "iaf") {
    const { tauMem: _t, ...rest } = n;
    c.neuron = rest;
  }
  const merged = applyOverrides(c, overrides) as Record<string, unknown>;
  try {
    return validateConfig(merged);
  } catch (e) {
    if (!(e instanceof ConfigError) || !(typeof c.model === "object" && c.model !== null && "layers" in c.model)) throw e;
    // Training-loop fields added since it was written take their defaults (optim-config.ts).
    const t = (merged.train ?? {}) as Record<string, unknown>;
    const train = { ...validateLoop({}, typeof t.lr === "number" ? t.lr : 1e-3), ...t };
    return { ...merged, train, device: merged.device === "auto" ? String(defaultDevice()) : merged.device } as unknown as TrainConfig;
  }
}

/** true / "last" / "best": the output folder's checkpoint; any other string: a file or a run folder. */
export function resumeSource(resume: boolean | string | undefined, out: string): ResumeSource | undefined {
  if (resume === undefined || resume === false) return undefined;
  if (resume === true || resume === "last" || resume === "best")
    return { path: out, which: resume === "best" ? "best" : "last", runDir: resolve(out) };
  const p = resolve(resume);
  const isDir = existsSync(p) && statSync(p).isDirectory();
  return { path: p, which: "last", runDir: isDir ? p : dirname(p) };
}

/** The config of `exodus train --resume <checkpoint or run folder>` without a config file: the run's own. */
export function resumedRunConfig(checkpointOrRunDir: string, overrides: ConfigOverrides): TrainConfig {
  const src = resumeSource(checkpointOrRunDir, checkpointOrRunDir)!;
  const yaml = join(src.runDir, "config.yaml");
  // Unless --out says otherwise, a resumed run continues in its own folder.
  const o = { ...overrides, output: overrides.output ?? src.runDir };
  if (existsSync(yaml)) return loadConfig(yaml, o);
  const ckpt = loadCheckpoint(src.path);
  try {
    // The stored config has the device it ran on resolved; the machine may differ now.
    return revalidateStored(ckpt.config, { device: "auto" }, o);
  } catch (e) {
    if (e instanceof ConfigError) throw new ConfigError(`${ckpt.path}: the stored config: ${e.message}`);
    throw e;
  }
}
