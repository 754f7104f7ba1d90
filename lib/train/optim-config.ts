// Validation of the training-loop fields of a config's `train` section: optimizer, paramGroups,
// schedule, clipGradNorm, selectMetric, keepTop, earlyStopping, logEvery, tensorboard. Same conventions as config.ts:
// every error names the field, what was expected and what was received.
import { bounded as num, fail, mapping as object, str } from "../validate.js";
import { SCHEDULES, type ScheduleSpec } from "./schedules.js";
import type { ParamGroupSpec } from "./optimizers/groups.js";
import type { SelectionSettings } from "./selection.js";

export const OPTIMIZERS = ["adam", "adamw", "sgd"] as const;

export type OptimizerSpec =
  | { name: "adam" | "adamw"; betas: [number, number]; eps: number }
  | { name: "sgd"; momentum: number; nesterov: boolean };

export interface LoopSettings extends SelectionSettings {
  optimizer: OptimizerSpec;
  paramGroups: ParamGroupSpec[];
  schedule: ScheduleSpec;
  /** Clip the global gradient norm to this (torch clip_grad_norm_); null: no clipping. */
  clipGradNorm: number | null;
  /** Log the step's loss, lr and gradient norm every this many steps (steps.jsonl, TensorBoard); 0: never. */
  logEvery: number;
  /** Write TensorBoard event files to <out>/tensorboard. */
  tensorboard: boolean;
}

/** The fields validateConfig's `train` section accepts besides its own. */
export const LOOP_FIELDS = ["optimizer", "paramGroups", "schedule", "clipGradNorm", "selectMetric", "keepTop", "earlyStopping", "logEvery", "tensorboard"];

/** A field given as a bare name ("adamw") or a mapping with a name ({name: sgd, momentum: 0.9}). */
function named(field: string, v: unknown, dflt: string, known: string[]): Record<string, unknown> {
  if (v === undefined || v === null) return { name: dflt };
  if (typeof v === "string") return { name: v };
  return object(field, v, ["name", ...known]);
}

function optimizer(v: unknown): OptimizerSpec {
  const o = named("train.optimizer", v, "adam", ["betas", "eps", "momentum", "nesterov"]);
  const name = str("train.optimizer.name", o.name, "adam", OPTIMIZERS);
  if (name === "sgd") {
    for (const k of ["betas", "eps"]) if (o[k] !== undefined) fail(`train.optimizer.${k}`, 'no value for "sgd" (Adam and AdamW only)', o[k]);
    if (o.nesterov !== undefined && typeof o.nesterov !== "boolean") fail("train.optimizer.nesterov", "true or false", o.nesterov);
    const momentum = num("train.optimizer.momentum", o.momentum, 0, { min: 0, max: 1 });
    if (o.nesterov === true && momentum === 0) fail("train.optimizer.momentum", "a value > 0 with nesterov: true", o.momentum);
    return { name, momentum, nesterov: o.nesterov === true };
  }
  for (const k of ["momentum", "nesterov"]) if (o[k] !== undefined) fail(`train.optimizer.${k}`, `no value for "${name}" (sgd only)`, o[k]);
  let betas: [number, number] = [0.9, 0.999];
  if (o.betas !== undefined) {
    if (!Array.isArray(o.betas) || o.betas.length !== 2) fail("train.optimizer.betas", "two numbers in [0, 1), e.g. [0.9, 0.999]", o.betas);
    betas = [num("train.optimizer.betas[0]", o.betas[0], 0, { min: 0, max: 1 }), num("train.optimizer.betas[1]", o.betas[1], 0, { min: 0, max: 1 })];
  }
  return { name, betas, eps: num("train.optimizer.eps", o.eps, 1e-8, { min: 0, exclusiveMin: true, max: 1 }) };
}

function paramGroups(v: unknown): ParamGroupSpec[] {
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) fail("train.paramGroups", "a list of {params, lrScale?, weightDecay?}", v);
  return v.map((g, i) => {
    const f = `train.paramGroups[${i}]`;
    const o = object(f, g, ["params", "lrScale", "weightDecay"]);
    if (typeof o.params !== "string" || o.params === "")
      fail(`${f}.params`, '"neuron", "bias", "norm", "weight" or a glob over parameter names such as "*.alpha"', o.params);
    return {
      params: o.params,
      ...(o.lrScale !== undefined ? { lrScale: num(`${f}.lrScale`, o.lrScale, 1, { min: 0, max: 1e6 }) } : {}),
      ...(o.weightDecay !== undefined ? { weightDecay: num(`${f}.weightDecay`, o.weightDecay, 0, { min: 0, max: 1 }) } : {}),
    };
  });
}

function schedule(v: unknown, lr: number): ScheduleSpec {
  const s = named("train.schedule", v, "constant", ["warmupSteps", "minLr", "everyEpochs", "gamma", "pctStart", "divFactor", "finalDivFactor", "metric", "factor", "patience", "threshold"]);
  const name = str("train.schedule.name", s.name, "constant", SCHEDULES);
  const own: Record<(typeof SCHEDULES)[number], string[]> = {
    constant: ["warmupSteps"], cosine: ["warmupSteps", "minLr"], step: ["warmupSteps", "everyEpochs", "gamma"],
    onecycle: ["pctStart", "divFactor", "finalDivFactor"], plateau: ["warmupSteps", "metric", "factor", "patience", "threshold", "minLr"],
  };
  for (const k of Object.keys(s)) if (k !== "name" && !own[name].includes(k)) fail(`train.schedule.${k}`, `no value for "${name}" (it takes ${own[name].join(", ")})`, s[k]);
  const warmupSteps = num("train.schedule.warmupSteps", s.warmupSteps, 0, { min: 0, integer: true, max: 2 ** 31 });
  const minLr = () => {
    const m = num("train.schedule.minLr", s.minLr, 0, { min: 0 });
    if (m > lr) fail("train.schedule.minLr", `at most train.lr (${lr})`, m);
    return m;
  };
  switch (name) {
    case "constant":
      return { name, warmupSteps };
    case "cosine":
      return { name, warmupSteps, minLr: minLr() };
    case "step":
      return { name, warmupSteps, everyEpochs: num("train.schedule.everyEpochs", s.everyEpochs, 30, { min: 1, integer: true, max: 1e6 }), gamma: num("train.schedule.gamma", s.gamma, 0.1, { min: 0, exclusiveMin: true, max: 1 }) };
    case "onecycle":
      return {
        name,
        pctStart: num("train.schedule.pctStart", s.pctStart, 0.3, { min: 0, exclusiveMin: true, max: 1 }),
        divFactor: num("train.schedule.divFactor", s.divFactor, 25, { min: 1, max: 1e9 }),
        finalDivFactor: num("train.schedule.finalDivFactor", s.finalDivFactor, 1e4, { min: 1, max: 1e12 }),
      };
    case "plateau":
      return {
        name, warmupSteps,
        metric: str("train.schedule.metric", s.metric, "loss", ["loss", "acc"] as const),
        factor: num("train.schedule.factor", s.factor, 0.1, { min: 0, exclusiveMin: true, max: 1 }),
        patience: num("train.schedule.patience", s.patience, 10, { min: 0, integer: true, max: 1e6 }),
        threshold: num("train.schedule.threshold", s.threshold, 1e-4, { min: 0, max: 1 }),
        minLr: minLr(),
      };
  }
}

/** The loop fields of `train` (t: the raw section; lr: the validated train.lr). */
export function validateLoop(t: Record<string, unknown>, lr: number): LoopSettings {
  let earlyStopping: LoopSettings["earlyStopping"] = null;
  if (t.earlyStopping !== undefined && t.earlyStopping !== null) {
    const e = object("train.earlyStopping", t.earlyStopping, ["patience", "minDelta"]);
    if (e.patience === undefined) fail("train.earlyStopping.patience", "an integer >= 1 (evaluations without improvement before stopping)", undefined);
    earlyStopping = { patience: num("train.earlyStopping.patience", e.patience, 0, { min: 1, integer: true, max: 1e6 }), minDelta: num("train.earlyStopping.minDelta", e.minDelta, 0, { min: 0 }) };
  }
  return {
    optimizer: optimizer(t.optimizer),
    paramGroups: paramGroups(t.paramGroups),
    schedule: schedule(t.schedule, lr),
    clipGradNorm: t.clipGradNorm === undefined || t.clipGradNorm === null ? null : num("train.clipGradNorm", t.clipGradNorm, 0, { min: 0, exclusiveMin: true }),
    selectMetric: str("train.selectMetric", t.selectMetric, "acc", ["acc", "loss"] as const),
    keepTop: num("train.keepTop", t.keepTop, 0, { min: 0, integer: true, max: 1000 }),
    earlyStopping,
    logEvery: num("train.logEvery", t.logEvery, 10, { min: 0, integer: true, max: 2 ** 31 }),
    tensorboard: t.tensorboard === undefined || t.tensorboard === null ? true : typeof t.tensorboard === "boolean" ? t.tensorboard : fail("train.tensorboard", "true or false", t.tensorboard),
  };
}
