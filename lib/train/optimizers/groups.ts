// Parameter groups: per-parameter optimiser options (PyTorch's param_groups). A group picks
// parameters by kind or by a glob over their state_dict names, and overrides lr (as a multiple of
// train.lr, so every schedule scales all groups alike) and weight decay. The usual use: no weight
// decay on neuron time constants and thresholds, whose "decay towards 0" means "no leak" or "fire
// on anything" rather than a smaller weight.
import type { Parameter } from "../../nn/module.js";
import { ExodusError } from "../../errors.js";

/** `params` of a group: a kind, or a glob over names ("*" any run of characters, e.g. "*.alpha"). */
export type GroupSelector = "neuron" | "bias" | "norm" | "weight" | string;

export interface ParamGroupSpec {
  params: GroupSelector;
  /** Multiplies the base learning rate for these parameters (default 1). */
  lrScale?: number;
  /** Replaces train.weightDecay for these parameters. */
  weightDecay?: number;
}

/** The resolved options of one parameter. */
export interface ParamOptions {
  lrScale: number;
  weightDecay: number;
}

/** Names of Linear / conv weights and weight-norm's factors: the only "weight" kind. */
const WEIGHT_LEAVES = new Set(["weight", "weight_g", "weight_v"]);

function leaf(name: string): string {
  return name.slice(name.lastIndexOf(".") + 1);
}

/** Batch norm's γ and β are "weight"/"bias" too; they are told apart by having a running_mean beside them. */
function kindOf(name: string, normPrefixes: Set<string>): "neuron" | "bias" | "norm" | "weight" {
  const prefix = name.slice(0, name.lastIndexOf(".") + 1);
  if (normPrefixes.has(prefix)) return "norm";
  const l = leaf(name);
  if (l === "bias") return "bias";
  if (WEIGHT_LEAVES.has(l)) return "weight";
  return "neuron"; // alpha, rho, beta, threshold, a synapse's decay: the neuron's own parameters
}

function globRegex(glob: string): RegExp {
  return new RegExp(`^${glob.split("*").map((s) => s.replace(/[.+?^${}()|[\]\\]/g, "\\$&")).join(".*")}$`);
}

export function selects(sel: GroupSelector, name: string, normPrefixes: Set<string>): boolean {
  if (sel === "neuron" || sel === "bias" || sel === "norm" || sel === "weight") return kindOf(name, normPrefixes) === sel;
  return globRegex(sel).test(name);
}

/**
 * Each parameter's options: the defaults, overridden by the first group that selects it (as a
 * parameter belongs to one torch param_group). `bufferNames` are the model's buffers, which mark
 * batch norm layers. A group that selects nothing is an error: it is a typo or a wrong model.
 */
export function resolveGroups(params: readonly Pick<Parameter, "name">[], groups: readonly ParamGroupSpec[], defaults: ParamOptions, bufferNames: readonly string[] = []): ParamOptions[] {
  const normPrefixes = new Set(bufferNames.filter((n) => n.endsWith("running_mean")).map((n) => n.slice(0, n.length - "running_mean".length)));
  const used = groups.map(() => false);
  const out = params.map((p) => {
    const g = groups.findIndex((s) => selects(s.params, p.name, normPrefixes));
    if (g < 0) return { ...defaults };
    used[g] = true;
    return { lrScale: groups[g].lrScale ?? 1, weightDecay: groups[g].weightDecay ?? defaults.weightDecay };
  });
  const unused = used.findIndex((u) => !u);
  if (unused >= 0)
    throw new ExodusError(`train.paramGroups[${unused}].params: expected a selector matching some parameter of this model (${params.map((p) => p.name).join(", ")}), received ${JSON.stringify(groups[unused].params)} which matches none (or only parameters an earlier group took)`);
  return out;
}
