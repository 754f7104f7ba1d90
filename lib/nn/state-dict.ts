// A module's state as PyTorch has it: parameters and buffers by dotted name ("0.weight",
// "3.block.1.running_mean"), saved in safetensors under those names (the file `exodus train`
// writes as model.safetensors, which torch's load_state_dict(strict=True) takes). Module's
// stateDict / loadStateDict / save / load are these functions.
import { ExodusError, ShapeError, shapeStr } from "../errors.js";
import { readSafetensors } from "../io/safetensors.js";
import { Tensor } from "../tensor.js";
import { CHECKPOINT_FORMAT, loadModelFile, moduleState, saveModel } from "../train/checkpoint.js";
import type { Buffer, Parameter } from "./module.js";

/** Name → the module's own tensor (not a copy: writing into it changes the module). */
export type StateDict = Record<string, Tensor>;

/** A value to load: a tensor, host values, or { shape, data } as safetensors files are read. */
export type StateValue = Tensor | Float32Array | readonly number[] | { shape: readonly number[]; data: Float32Array };

export interface LoadStateDictOptions {
  /** Require exactly the module's names (default true, like torch); false loads what matches. */
  strict?: boolean;
}

/** What a non-strict load skipped, as torch reports it. */
export interface LoadStateDictResult {
  missingKeys: string[];
  unexpectedKeys: string[];
}

interface Stateful {
  parameters(): Parameter[];
  buffers(): Buffer[];
}

export function stateDict(m: Stateful): StateDict {
  const out: StateDict = {};
  for (const t of moduleState(m)) out[t.name] = t.value;
  return out;
}

function shapeOf(v: StateValue): readonly number[] | undefined {
  if (v instanceof Tensor) return v.shape;
  if (v instanceof Float32Array || Array.isArray(v)) return undefined;
  return (v as { shape: readonly number[] }).shape;
}

function dataOf(v: StateValue): ArrayLike<number> | Tensor {
  if (v instanceof Tensor || v instanceof Float32Array || Array.isArray(v)) return v as ArrayLike<number> | Tensor;
  return (v as { data: Float32Array }).data;
}

/** Same shape, or torch's 0-dimensional scalar for exodus's [1] (num_batches_tracked). */
function sameShape(a: readonly number[], b: readonly number[]): boolean {
  if (a.length === b.length) return a.every((d, i) => d === b[i]);
  const scalar = (s: readonly number[]) => s.length === 0 || (s.length === 1 && s[0] === 1);
  return scalar(a) && scalar(b);
}

/**
 * Copies dict's values into the module's parameters and buffers, checking every shape first (a
 * mismatch loads nothing). strict: missing or unexpected names are an error naming them.
 */
export function loadStateDict(m: Stateful, dict: Record<string, StateValue> | Map<string, StateValue>, opts: LoadStateDictOptions = {}, source = "loadStateDict"): LoadStateDictResult {
  const strict = opts.strict ?? true;
  const entries = dict instanceof Map ? dict : new Map(Object.entries(dict));
  const own = moduleState(m);
  const missingKeys = own.filter((t) => !entries.has(t.name)).map((t) => t.name);
  const names = new Set(own.map((t) => t.name));
  const unexpectedKeys = [...entries.keys()].filter((k) => !names.has(k));
  if (strict && (missingKeys.length || unexpectedKeys.length))
    throw new ExodusError(
      `${source}: expected exactly this module's tensors (strict), ` +
        [missingKeys.length ? `missing ${missingKeys.join(", ")}` : "", unexpectedKeys.length ? `unexpected ${unexpectedKeys.join(", ")}` : ""].filter(Boolean).join("; ") +
        `${unexpectedKeys.length ? ` (the module has ${[...names].join(", ") || "no tensors"})` : ""}; pass { strict: false } to load the names that match`,
    );
  const plan: { dst: Tensor; v: StateValue }[] = [];
  for (const t of own) {
    const v = entries.get(t.name);
    if (v === undefined) continue;
    const shape = shapeOf(v);
    const data = dataOf(v);
    const n = data instanceof Tensor ? data.size : data.length;
    if ((shape && !sameShape(shape, t.value.shape)) || n !== t.value.size)
      throw new ShapeError(`${source}: tensor ${t.name}: expected shape ${shapeStr(t.value.shape)}, received ${shape ? shapeStr(shape) : `${n} values`}; nothing was loaded`);
    plan.push({ dst: t.value, v });
  }
  for (const { dst, v } of plan) {
    const data = dataOf(v);
    if (data instanceof Tensor) dst.copyFrom(data);
    else dst.set(data);
  }
  return { missingKeys, unexpectedKeys };
}

/** Writes the state as a model file (torch names, torch-loadable); config is stored with it. */
export function saveStateDict(m: Stateful, path: string, opts: { config?: unknown } = {}): void {
  saveModel(path, moduleState(m), opts.config ?? null);
}

/**
 * Loads a model file, a training checkpoint (its weights) or any F32 safetensors file with
 * torch names (e.g. written by safetensors.torch.save_file) into the module.
 */
export function loadStateDictFile(m: Stateful, path: string, opts: LoadStateDictOptions = {}): LoadStateDictResult {
  const file = readSafetensors(path);
  const exodus = file.metadata["exodus.format"];
  const weights = exodus === CHECKPOINT_FORMAT || exodus?.startsWith("exodus-model/") ? loadModelFile(path).weights : file.tensors;
  return loadStateDict(m, weights, opts, path);
}
