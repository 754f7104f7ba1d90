// Checkpoints of a training run, in safetensors (lib/io/safetensors.ts; layout in docs/formats.md).
//
// A run folder <out> holds, after every epoch (and on Ctrl-C):
//   checkpoint.safetensors       the last training state: the weights under the names of the
//                                equivalent torch.nn.Sequential ("0.weight", "1.alpha", …), the
//                                optimiser's slots ("optimizer.exp_avg.0.weight", "optimizer.exp_avg_sq.…",
//                                SGD's "optimizer.momentum_buffer.…"),
//                                and in __metadata__ the position, the seed (all randomness derives
//                                from seed + position, so that is the RNG state), best-so-far, the
//                                resolved config;
//   model.safetensors            the same weights alone, for torch's load_state_dict(strict=True);
//   checkpoint-best.safetensors, model-best.safetensors
//                                the same two at the best eval accuracy so far.
// Each file is written to a temporary name, fsync'd and renamed, so a crash leaves the old or the
// new file, never a torn one.
//
// Public API (the trainer, `exodus eval`, `exodus export` use only these):
//   resolveCheckpoint(pathOrRunDir, which?)  → the file a path means ("last" / "best" in a run dir)
//   loadCheckpoint(pathOrRunDir, which?)     → Checkpoint {path, runDir, config, state, weights, adam, legacy}
//   hasCheckpoint(runDir)                    → whether a run folder holds one (either format)
//   restoreWeights(tensors, ckpt)            → copies the weights into a model's parameters and
//                                              buffers, checking names and shapes (messages name the file)
//   stateTensors(tensors)                    → parameters + buffers as written (torch state_dict layout)
//   adamState(params, ckpt)                  → Adam.importState's argument, checked
//   optimizerState(params, ckpt, slots)      → an optimizers/ Optimizer's importState argument, checked
//   saveCheckpoint(runDir, state, weights, adam, {best}); saveModel(path, params, config)
//   loadModelFile(path)                      → weights + config of a model or checkpoint file
//   modelFromCheckpoint(pathOrRunDir, {which, device}) (from-checkpoint.ts)
//                                            → the BuiltModel with the weights restored
// Old checkpoints (checkpoint.json + checkpoint-<step>.bin, exodus ≤ 0.1) still load: validated
// (schema, CRC, the .bin inside the run folder) and returned in the same shape.
import { crc32 } from "node:zlib";
import { existsSync, readFileSync, readdirSync, rmSync, statSync } from "node:fs";
import { basename, dirname, join, resolve, sep } from "node:path";
import { ExodusError, describe, shapeStr } from "../errors.js";
import { type NamedTensor, decodeSafetensors, encodeSafetensors, readSafetensors, writeFileAtomic } from "../io/safetensors.js";
import type { Tensor } from "../tensor.js";

/** A parameter or a buffer (BatchNorm's running statistics): what a state_dict holds. */
export interface StateTensor {
  name: string;
  value: Tensor;
}

export const CHECKPOINT_FILE = "checkpoint.safetensors";
export const BEST_CHECKPOINT_FILE = "checkpoint-best.safetensors";
export const MODEL_FILE = "model.safetensors";
export const BEST_MODEL_FILE = "model-best.safetensors";
const LEGACY_FILE = "checkpoint.json";
/** Written into __metadata__["exodus.format"]. */
export const CHECKPOINT_FORMAT = "exodus-checkpoint/2";
export const MODEL_FORMAT = "exodus-model/2";
const M = "optimizer.exp_avg.";
const V = "optimizer.exp_avg_sq.";

export interface CheckpointState {
  /** Epoch being run (0-based) and how far: batches done, and whether its training part is over. */
  epoch: number;
  batch: number;
  phase: "train" | "eval";
  /** Optimiser steps so far (also drives the dropout seeds). */
  step: number;
  /** All randomness derives from the seed and the position above (see trainer.ts). */
  seed: number;
  /** Running sums of the epoch in progress. */
  partial: {
    lossSum: number; correct: number; seen: number; seconds: number; gradNormSums: number[]; gradSteps: number;
    /** Spikes and possible spikes of each spiking layer, and seconds per phase (absent in older checkpoints). */
    spikeSums?: number[]; possibleSums?: number[]; phaseSeconds?: { data: number; forward: number; backward: number; optimizer: number };
  };
  /** Best eval accuracy so far and its epoch (null before the first evaluation). */
  best: { epoch: number; acc: number } | null;
  /** The data's sample shape [T, …features] and class count, to rebuild the model without the data. */
  data?: { sampleShape: number[]; numClasses: number };
  /** Model selection, early stopping and the plateau schedule's counters (selection.ts, schedules.ts); plain JSON. */
  loop?: Record<string, unknown>;
  config: unknown;
}

export interface Checkpoint {
  /** The file read. */
  path: string;
  /** The run folder it belongs to. */
  runDir: string;
  state: CheckpointState;
  /** The resolved config the run was trained with. */
  config: unknown;
  /** Model weights and buffers by torch.nn.Sequential name ("0.weight", "1.running_mean", …). */
  weights: Map<string, { shape: number[]; data: Float32Array }>;
  /** Adam's step count and moments by parameter name; undefined before the first step. */
  adam?: { steps: number; m: Map<string, Float32Array>; v: Map<string, Float32Array> };
  /** Every optimiser slot ("optimizer.<slot>.<name>": exp_avg, exp_avg_sq, momentum_buffer) by slot, then parameter name. */
  slots?: Map<string, Map<string, Float32Array>>;
  /** Read from the old checkpoint.json + .bin format. */
  legacy: boolean;
}

export function hasCheckpoint(runDir: string): boolean {
  return existsSync(join(runDir, CHECKPOINT_FILE)) || existsSync(join(runDir, LEGACY_FILE));
}

/**
 * The checkpoint file a user's path means: a file as is; a run folder → its last checkpoint
 * (checkpoint.safetensors, else an old checkpoint.json) or, with which = "best", the best one.
 */
export function resolveCheckpoint(pathOrRunDir: string, which: "last" | "best" = "last"): string {
  const p = resolve(pathOrRunDir);
  if (!existsSync(p)) throw new ExodusError(`${pathOrRunDir}: expected a checkpoint file or a run folder, received no such file or folder`);
  if (!statSync(p).isDirectory()) return p;
  const candidates = which === "best" ? [BEST_CHECKPOINT_FILE] : [CHECKPOINT_FILE, LEGACY_FILE];
  for (const c of candidates) if (existsSync(join(p, c))) return join(p, c);
  const has = readdirSync(p).filter((f) => /\.(safetensors|json)$/.test(f));
  throw new ExodusError(
    `${pathOrRunDir}: expected a run folder holding ${candidates.join(" or ")}, received a folder with ${has.length ? has.join(", ") : "no checkpoint"}` +
      (which === "best" ? " (a best checkpoint is written after the first evaluation)" : "; train into it first, or pass the checkpoint file"),
  );
}

// ---- validation of the position fields ----------------------------------------------------------
function field(file: string, what: string, expected: string, v: unknown): never {
  throw new ExodusError(`${file}: ${what}: expected ${expected}, received ${describe(v)}; the checkpoint is damaged or not from exodus — resume from another one or start a new run`);
}
function int(file: string, what: string, v: unknown): number {
  if (typeof v !== "number" || !Number.isSafeInteger(v) || v < 0) field(file, what, "an integer >= 0", v);
  return v;
}
function num(file: string, what: string, v: unknown): number {
  if (typeof v !== "number" || !Number.isFinite(v) || v < 0) field(file, what, "a finite number >= 0", v);
  return v;
}
function obj(file: string, what: string, v: unknown): Record<string, unknown> {
  if (typeof v !== "object" || v === null || Array.isArray(v)) field(file, what, "an object", v);
  return v as Record<string, unknown>;
}

function validateState(file: string, raw: unknown, config: unknown): CheckpointState {
  const s = obj(file, "state", raw);
  const phase = s.phase;
  if (phase !== "train" && phase !== "eval") field(file, "state.phase", '"train" or "eval"', phase);
  const p = obj(file, "state.partial", s.partial);
  if (!Array.isArray(p.gradNormSums)) field(file, "state.partial.gradNormSums", "a list of numbers", p.gradNormSums);
  let best: CheckpointState["best"] = null;
  if (s.best !== undefined && s.best !== null) {
    const b = obj(file, "state.best", s.best);
    best = { epoch: int(file, "state.best.epoch", b.epoch), acc: num(file, "state.best.acc", b.acc) };
  }
  obj(file, "config", config);
  let data: CheckpointState["data"];
  if (s.data !== undefined) {
    const d = obj(file, "state.data", s.data);
    if (!Array.isArray(d.sampleShape) || d.sampleShape.length < 2) field(file, "state.data.sampleShape", "[T, …features]", d.sampleShape);
    data = { sampleShape: (d.sampleShape as unknown[]).map((x, i) => int(file, `state.data.sampleShape[${i}]`, x)), numClasses: int(file, "state.data.numClasses", d.numClasses) };
  }
  if (s.loop !== undefined) obj(file, "state.loop", s.loop);
  return {
    ...(data ? { data } : {}),
    ...(s.loop !== undefined ? { loop: s.loop as Record<string, unknown> } : {}),
    epoch: int(file, "state.epoch", s.epoch),
    batch: int(file, "state.batch", s.batch),
    phase,
    step: int(file, "state.step", s.step),
    seed: int(file, "state.seed", s.seed),
    partial: {
      lossSum: num(file, "state.partial.lossSum", p.lossSum),
      correct: int(file, "state.partial.correct", p.correct),
      seen: int(file, "state.partial.seen", p.seen),
      seconds: num(file, "state.partial.seconds", p.seconds),
      gradNormSums: (p.gradNormSums as unknown[]).map((x, i) => num(file, `state.partial.gradNormSums[${i}]`, x)),
      gradSteps: int(file, "state.partial.gradSteps", p.gradSteps),
      ...optionalPartials(file, p),
    },
    best,
    config,
  };
}

/** The firing-rate and phase-time sums of the epoch in progress (absent in older checkpoints). */
function optionalPartials(file: string, p: Record<string, unknown>): Partial<CheckpointState["partial"]> {
  const out: Partial<CheckpointState["partial"]> = {};
  const list = (key: "spikeSums" | "possibleSums") => {
    const v = p[key];
    if (v === undefined) return;
    if (!Array.isArray(v)) field(file, `state.partial.${key}`, "a list of numbers", v);
    out[key] = v.map((x, i) => num(file, `state.partial.${key}[${i}]`, x));
  };
  list("spikeSums");
  list("possibleSums");
  if (p.phaseSeconds !== undefined) {
    const t = obj(file, "state.partial.phaseSeconds", p.phaseSeconds);
    out.phaseSeconds = {
      data: num(file, "state.partial.phaseSeconds.data", t.data),
      forward: num(file, "state.partial.phaseSeconds.forward", t.forward),
      backward: num(file, "state.partial.phaseSeconds.backward", t.backward),
      optimizer: num(file, "state.partial.phaseSeconds.optimizer", t.optimizer),
    };
  }
  return out;
}

function parseJson(file: string, key: string, text: string | undefined): unknown {
  if (text === undefined) field(file, `__metadata__["${key}"]`, "a JSON string", undefined);
  try {
    return JSON.parse(text);
  } catch (e) {
    field(file, `__metadata__["${key}"]`, "valid JSON", `${(e as Error).message}`);
  }
}

/** Splits a checkpoint's tensors into weights and optimiser slots (Adam's moments checked to pair up). */
function splitTensors(file: string, tensors: Map<string, { shape: number[]; data: Float32Array }>, steps: number): Pick<Checkpoint, "weights" | "adam" | "slots"> {
  const weights = new Map<string, { shape: number[]; data: Float32Array }>();
  const slots = new Map<string, Map<string, Float32Array>>();
  for (const [name, t] of tensors) {
    const slot = /^optimizer\.([A-Za-z_]+)\./.exec(name);
    if (!slot) {
      weights.set(name, t);
      continue;
    }
    if (!slots.has(slot[1])) slots.set(slot[1], new Map());
    slots.get(slot[1])!.set(name.slice(slot[0].length), t.data);
  }
  if (steps === 0) return { weights };
  for (const [slot, map] of slots)
    for (const [name, x] of map) {
      const w = weights.get(name);
      if (!w || x.length !== w.data.length)
        throw new ExodusError(`${file}: tensor optimizer.${slot}.${name} (optimiser state after ${steps} steps) has ${w ? `${x.length} values, its weight ${w.data.length}` : "no weight of that name"}; the checkpoint is damaged`);
    }
  const m = slots.get("exp_avg");
  const v = slots.get("exp_avg_sq");
  if (!m && !v) return { weights, slots };
  // Adam's moments pair up.
  const [m2, v2] = [m ?? new Map<string, Float32Array>(), v ?? new Map<string, Float32Array>()];
  for (const [kind, map, other] of [[M, m2, v2], [V, v2, m2]] as const)
    for (const [name, x] of map) {
      const w = weights.get(name);
      const y = other.get(name);
      if (!w || x.length !== w.data.length || !y)
        throw new ExodusError(`${file}: tensor ${kind}${name} (Adam state after ${steps} steps) has ${w ? (y ? `${x.length} values, its weight ${w.data.length}` : `no ${kind === M ? V : M}${name} beside it`) : "no weight of that name"}; the checkpoint is damaged`);
    }
  return { weights, adam: { steps, m: m2, v: v2 }, slots };
}

function loadSafetensorsCheckpoint(file: string): Checkpoint {
  const { tensors, metadata } = readSafetensors(file);
  const format = metadata["exodus.format"];
  if (format === MODEL_FORMAT)
    throw new ExodusError(`${file}: expected a training checkpoint, received a weights-only model file; resume from ${join(dirname(file), CHECKPOINT_FILE)} (or ${BEST_CHECKPOINT_FILE})`);
  if (format !== CHECKPOINT_FORMAT)
    throw new ExodusError(`${file}: expected an exodus checkpoint (__metadata__["exodus.format"] = "${CHECKPOINT_FORMAT}"), received ${describe(format ?? null)}`);
  const config = parseJson(file, "config", metadata.config);
  const state = validateState(file, parseJson(file, "exodus.state", metadata["exodus.state"]), config);
  const steps = state.step;
  return { path: file, runDir: dirname(file), state, config, ...splitTensors(file, tensors, steps), legacy: false };
}

/** exodus ≤ 0.1: checkpoint.json (position, config, tensor table) + checkpoint-<step>.bin. */
function loadLegacyCheckpoint(file: string): Checkpoint {
  const dir = dirname(file);
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, "utf8"));
  } catch (e) {
    throw new ExodusError(`${file}: expected an exodus checkpoint (JSON), received ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}; the file is damaged — resume from another checkpoint or start a new run`);
  }
  const j = obj(file, "checkpoint", raw);
  if (j.version !== 1) field(file, "version", "1", j.version);
  const bin = j.bin;
  // Only a plain file name in the run folder: never a path that reaches outside it.
  if (typeof bin !== "string" || !/^checkpoint-\d+\.bin$/.test(bin) || basename(bin) !== bin) field(file, "bin", 'a file name "checkpoint-<step>.bin" in the run folder', bin);
  const binPath = join(dir, bin);
  if (!resolve(binPath).startsWith(resolve(dir) + sep)) field(file, "bin", "a file inside the run folder", bin);
  let bytes: Buffer;
  try {
    bytes = readFileSync(binPath);
  } catch (e) {
    throw new ExodusError(`${binPath}: expected the tensor data that ${file} refers to, received ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  if (typeof j.crc32 !== "number" || (crc32(bytes) >>> 0) !== j.crc32) throw new ExodusError(`${binPath}: checksum mismatch with ${file} (the file is damaged)`);
  if (bytes.length % 4 !== 0) throw new ExodusError(`${binPath}: expected float32 data (a multiple of 4 bytes), received ${bytes.length} bytes`);
  const all = new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
  if (!Array.isArray(j.tensors)) field(file, "tensors", "a list of {name, shape, offset, length}", j.tensors);
  const tensors = new Map<string, { shape: number[]; data: Float32Array }>();
  (j.tensors as unknown[]).forEach((t, i) => {
    const e = obj(file, `tensors[${i}]`, t);
    if (typeof e.name !== "string") field(file, `tensors[${i}].name`, "a string", e.name);
    const shape = Array.isArray(e.shape) ? (e.shape as unknown[]).map((d, k) => int(file, `tensors[${i}].shape[${k}]`, d)) : field(file, `tensors[${i}].shape`, "a list", e.shape);
    const offset = int(file, `tensors[${i}].offset`, e.offset);
    const length = int(file, `tensors[${i}].length`, e.length);
    if (shape.reduce((a, b) => a * b, 1) !== length) field(file, `tensors[${i}].length`, `${shape.reduce((a, b) => a * b, 1)} (the shape's size)`, length);
    if (offset + length > all.length) field(file, `tensors[${i}]`, `values within the ${all.length} of ${bin}`, `${offset}+${length}`);
    const name = e.name.replace(/^(param|buffer)\//, "").replace(/^adam\.m\//, M).replace(/^adam\.v\//, V);
    tensors.set(name, { shape, data: all.slice(offset, offset + length) });
  });
  const state = validateState(file, { ...j, best: null }, j.config);
  return { path: file, runDir: dir, state, config: j.config, ...splitTensors(file, tensors, state.step), legacy: true };
}

/** Reads and validates a checkpoint: a file, or a run folder (its last or best checkpoint). */
export function loadCheckpoint(pathOrRunDir: string, which: "last" | "best" = "last"): Checkpoint {
  const file = resolveCheckpoint(pathOrRunDir, which);
  if (file.endsWith(".json")) return loadLegacyCheckpoint(file);
  return loadSafetensorsCheckpoint(file);
}

/**
 * The shape a tensor is written with: torch keeps BatchNorm's num_batches_tracked 0-dimensional,
 * exodus as [1], so it is written [] and read back into [1].
 */
function fileShape(t: StateTensor): number[] {
  return t.name.endsWith("num_batches_tracked") && t.value.size === 1 ? [] : [...t.value.shape];
}

/** A module's state_dict entries: its parameters, then its buffers. */
export function moduleState(m: { parameters(): StateTensor[]; buffers(): StateTensor[] }): StateTensor[] {
  return [...m.parameters(), ...m.buffers()];
}

/** Parameters and buffers as the files hold them (names, torch shapes, host copies). */
export function stateTensors(tensors: readonly StateTensor[]): NamedTensor[] {
  return tensors.map((t) => ({ name: t.name, shape: fileShape(t), data: t.value.toArray() }));
}

/**
 * Copies a checkpoint's weights into a model's parameters and buffers (Sequential names),
 * requiring the same names and shapes both ways: a checkpoint of another model is an error,
 * never a partial load.
 */
export function restoreWeights(tensors: readonly StateTensor[], ckpt: Pick<Checkpoint, "path" | "weights">): void {
  const extra = new Set(ckpt.weights.keys());
  for (const p of tensors) {
    const w = ckpt.weights.get(p.name);
    extra.delete(p.name);
    if (!w) throw new ExodusError(`${ckpt.path}: expected tensor ${p.name} of shape ${shapeStr(p.value.shape)} for this model, received none (holds ${[...ckpt.weights.keys()].join(", ")}); is it a checkpoint of another model?`);
    const want = fileShape(p);
    const same = (s: readonly number[]) => w.shape.length === s.length && w.shape.every((d, i) => d === s[i]);
    if (!same(want) && !same(p.value.shape))
      throw new ExodusError(`${ckpt.path}: tensor ${p.name}: expected shape ${shapeStr(p.value.shape)} for this model, received ${shapeStr(w.shape)}; the config's model differs from the checkpoint's`);
  }
  if (extra.size) throw new ExodusError(`${ckpt.path}: holds tensors this model does not have (${[...extra].join(", ")}); the config's model differs from the checkpoint's`);
  for (const p of tensors) p.value.set(ckpt.weights.get(p.name)!.data);
}

/** Adam's state for these parameters from a checkpoint (every parameter needs both moments). */
export function adamState(params: readonly StateTensor[], ckpt: Pick<Checkpoint, "path" | "adam">): { steps: number; m: Float32Array[]; v: Float32Array[] } {
  const a = ckpt.adam;
  if (!a) return { steps: 0, m: [], v: [] };
  const get = (map: Map<string, Float32Array>, kind: string, p: StateTensor) => {
    const x = map.get(p.name);
    if (!x || x.length !== p.value.size)
      throw new ExodusError(`${ckpt.path}: expected tensor ${kind}${p.name} of ${p.value.size} values (Adam state after ${a.steps} steps), received ${x ? `${x.length} values` : "none"}; the checkpoint is damaged`);
    return x;
  };
  return { steps: a.steps, m: params.map((p) => get(a.m, M, p)), v: params.map((p) => get(a.v, V, p)) };
}

/** An optimiser's state for these parameters from a checkpoint: its slots by parameter order (every parameter needs each slot). */
export function optimizerState(params: readonly StateTensor[], ckpt: Pick<Checkpoint, "path" | "slots" | "state">, slotNames: readonly string[]): { steps: number; slots: Record<string, Float32Array[]> } {
  const steps = ckpt.state.step;
  if (steps === 0 || slotNames.length === 0) return { steps, slots: {} };
  const slots: Record<string, Float32Array[]> = {};
  for (const slot of slotNames) {
    const map = ckpt.slots?.get(slot);
    slots[slot] = params.map((p) => {
      const x = map?.get(p.name);
      if (!x || x.length !== p.value.size)
        throw new ExodusError(`${ckpt.path}: expected tensor optimizer.${slot}.${p.name} of ${p.value.size} values (the optimiser's state after ${steps} steps), received ${x ? `${x.length} values` : "none"}; was the run trained with another train.optimizer? Resume with the checkpoint's`);
      return x;
    });
  }
  return { steps, slots };
}

export interface SaveOptions {
  /** Also keep these files as the best checkpoint (the caller decides by eval accuracy). */
  best?: boolean;
}

/** Model-file metadata: the resolved config and what the tensors are. */
export function modelMetadata(config: unknown, extra: Record<string, string> = {}): Record<string, string> {
  return { format: "pt", "exodus.format": MODEL_FORMAT, config: JSON.stringify(config), ...extra };
}

export function saveCheckpoint(runDir: string, state: CheckpointState, weights: readonly NamedTensor[],
  adam: { m: readonly NamedTensor[]; v: readonly NamedTensor[] } | { slots: Record<string, readonly NamedTensor[]> } | undefined, opts: SaveOptions = {}): void {
  const config = JSON.stringify(state.config);
  const { config: _c, ...position } = state;
  const slots = adam === undefined ? {} : "slots" in adam ? adam.slots : { exp_avg: adam.m, exp_avg_sq: adam.v };
  const tensors = [...weights, ...Object.entries(slots).flatMap(([slot, ts]) => ts.map((t) => ({ ...t, name: `optimizer.${slot}.${t.name}` })))];
  const ckpt = encodeSafetensors(tensors, { "exodus.format": CHECKPOINT_FORMAT, "exodus.state": JSON.stringify(position), config });
  // The data's shape and the position too, so `exodus eval` / `export` can take the model file alone (model-file.ts).
  const model = encodeSafetensors(weights, modelMetadata(state.config, { "exodus.position": JSON.stringify({ epoch: state.epoch, step: state.step, ...(state.data ? { data: state.data } : {}) }) }));
  // The checkpoint last: it is what --resume reads, so it never points ahead of model.safetensors.
  writeFileAtomic(join(runDir, MODEL_FILE), model);
  writeFileAtomic(join(runDir, CHECKPOINT_FILE), ckpt);
  if (opts.best) {
    writeFileAtomic(join(runDir, BEST_MODEL_FILE), model);
    writeFileAtomic(join(runDir, BEST_CHECKPOINT_FILE), ckpt);
  }
  // A run resumed from an old-format checkpoint continues in the new one; drop the old files so
  // the folder has one truth.
  if (existsSync(join(runDir, LEGACY_FILE))) {
    rmSync(join(runDir, LEGACY_FILE), { force: true });
    for (const f of readdirSync(runDir)) if (/^checkpoint-\d+\.bin(\.tmp)?$/.test(f)) rmSync(join(runDir, f), { force: true });
  }
}

/** Weights of a model file (model.safetensors / model-best.safetensors) or any checkpoint. */
export function loadModelFile(path: string): { path: string; config: unknown; weights: Map<string, { shape: number[]; data: Float32Array }> } {
  const bytes = (() => {
    try {
      return readFileSync(path);
    } catch (e) {
      throw new ExodusError(`${path}: expected a readable safetensors file, received ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
    }
  })();
  const { tensors, metadata } = decodeSafetensors(bytes, path);
  if (metadata["exodus.format"] === CHECKPOINT_FORMAT) {
    const c = loadSafetensorsCheckpoint(path);
    return { path, config: c.config, weights: c.weights };
  }
  if (metadata["exodus.format"] !== MODEL_FORMAT)
    throw new ExodusError(`${path}: expected an exodus model file (__metadata__["exodus.format"] = "${MODEL_FORMAT}"), received ${describe(metadata["exodus.format"] ?? null)}`);
  return { path, config: parseJson(path, "config", metadata.config), weights: tensors };
}

/** Writes a model's parameters and buffers (Sequential names) as a weights-only model file, torch-loadable. */
export function saveModel(path: string, tensors: readonly StateTensor[], config: unknown = null): void {
  writeFileAtomic(path, encodeSafetensors(stateTensors(tensors), modelMetadata(config)));
}
