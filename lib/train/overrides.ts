// `--set key.path=value` for sweeps: any config field from the command line. The value is parsed
// as YAML (so `train.lr=3e-3` is a number, `model.hidden=[32,32]` a list, `loss.readout=max` a
// string) and written into the parsed file before validation, so it is typed and checked exactly
// like the same value in the file, and an error names the field.
import { parse, stringify } from "yaml";
import { ConfigError } from "../errors.js";
import type { TrainConfig } from "./types.js";

type Obj = Record<string, unknown>;

export interface SetOverride {
  /** "train.lr" */
  key: string;
  value: unknown;
  /** The argument as given, for messages. */
  text: string;
}

export function parseSet(text: string): SetOverride {
  const eq = text.indexOf("=");
  const key = eq < 0 ? "" : text.slice(0, eq).trim();
  if (eq < 0 || !/^[A-Za-z_][\w-]*(\.[A-Za-z_][\w-]*)*$/.test(key))
    throw new ConfigError(`--set: expected key.path=value (e.g. train.lr=3e-3, model.hidden=[32,32]), received ${JSON.stringify(text)}`);
  const raw = text.slice(eq + 1);
  let value: unknown;
  try {
    value = raw.trim() === "" ? null : parse(raw);
  } catch (e) {
    throw new ConfigError(`--set ${key}: expected a YAML value, received ${JSON.stringify(raw)} (${(e as Error).message.split("\n")[0]})`);
  }
  return { key, value, text };
}

/** A copy of the parsed config with each override written at its key path. */
export function applySets(raw: unknown, sets: SetOverride[]): unknown {
  if (sets.length === 0) return raw;
  const root: Obj = typeof raw === "object" && raw !== null && !Array.isArray(raw) ? structuredClone(raw as Obj) : {};
  for (const s of sets) {
    const parts = s.key.split(".");
    let node = root;
    for (let i = 0; i < parts.length - 1; i++) {
      const v = node[parts[i]];
      if (v === undefined || v === null) node[parts[i]] = {};
      else if (typeof v !== "object" || Array.isArray(v))
        throw new ConfigError(`--set ${s.key}: ${parts.slice(0, i + 1).join(".")} is ${JSON.stringify(v)}, not a mapping; it has no field ${parts[i + 1]}`);
      node = node[parts[i]] as Obj;
    }
    node[parts[parts.length - 1]] = s.value;
  }
  return root;
}

/** Prefixes a validation error caused by a --set value with that argument. */
export function blameSet(e: ConfigError, sets: SetOverride[]): ConfigError {
  const field = /^([\w.\-[\]]+):/.exec(e.message)?.[1];
  const s = field && [...sets].reverse().find((x) => field === x.key || field.startsWith(`${x.key}.`) || field.startsWith(`${x.key}[`));
  return s ? new ConfigError(`--set ${s.text}: ${e.message}`) : e;
}

/** The resolved config as YAML: every field the run used, defaults included (config.yaml of a run). */
export function resolvedConfigYaml(cfg: TrainConfig): string {
  const header =
    "# The resolved config of this run: the file's fields, the command-line overrides and every default.\n" +
    "# `exodus train <this file>` repeats the run (pick another output).\n";
  const note = cfg.dataset.transform ? "" : "# dataset.transform: the data set's default (docs/data.md)\n";
  return header + note + stringify(cfg, { lineWidth: 0 });
}
