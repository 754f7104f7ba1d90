// Validation of neuron options, with messages of the form "<what>: expected …, received …".
import { ConfigError, describe } from "../errors.js";
import { fail } from "../validate.js";

export { fail };
import { SURROGATES, type SurrogateName, codes } from "../native.js";
import { type DeviceLike, parseDevice } from "../device.js";
import type { Layout } from "../layout.js";
import { didYouMean } from "../suggest.js";

export type { SurrogateName };
export type BackwardMethod = "exodus" | "slayer" | "bptt";

export interface SurrogateOptions {
  name?: SurrogateName;
  /** The gradient scale a (default 1). */
  scale?: number;
  /** Width w relative to θ (exponential 0.5, boxcar 1, gaussian 0.5, triangle 1, rectangle 0.5) or steepness k (fast_sigmoid 10, arctan 1). */
  width?: number;
}

export interface Surrogate {
  name: SurrogateName;
  code: number;
  scale: number;
  width: number;
}

const defaultWidth: Record<SurrogateName, number> = { exponential: 0.5, boxcar: 1, gaussian: 0.5, fast_sigmoid: 10, arctan: 1, triangle: 1, rectangle: 0.5 };

export function positive(what: string, v: unknown): number {
  if (typeof v !== "number" || !Number.isFinite(v) || v <= 0) fail(what, "a finite number > 0", v);
  return v;
}

export function finite(what: string, v: unknown): number {
  if (typeof v !== "number" || !Number.isFinite(v)) fail(what, "a finite number", v);
  return v;
}

export function oneOf<T extends string>(what: string, v: unknown, allowed: readonly T[], dflt: T): T {
  if (v === undefined) return dflt;
  if (typeof v !== "string" || !allowed.includes(v as T))
    throw new ConfigError(`${what}: expected one of ${allowed.map((a) => `"${a}"`).join(", ")}, received ${describe(v)}${didYouMean(v, allowed)}`);
  return v as T;
}

export function parseSurrogate(layer: string, s: SurrogateOptions | SurrogateName | undefined): Surrogate {
  const o: SurrogateOptions = typeof s === "string" ? { name: s } : (s ?? {});
  if (typeof o !== "object" || Array.isArray(o)) fail(`${layer} surrogate`, "an object { name, scale, width } or a name", s);
  const name = oneOf(`${layer} surrogate.name`, o.name, SURROGATES, "exponential");
  const scale = o.scale === undefined ? 1 : finite(`${layer} surrogate.scale`, o.scale);
  if (scale < 0) fail(`${layer} surrogate.scale`, "a number >= 0", scale);
  const width = o.width === undefined ? defaultWidth[name] : positive(`${layer} surrogate.width`, o.width);
  return { name, code: codes().surrogate[name], scale, width };
}

/** A scalar or one value per neuron (an array or Float32Array of the neurons' feature size). */
export function paramValues(what: string, v: unknown, check: (what: string, x: number) => void): Float32Array {
  if (typeof v === "number") {
    check(what, v);
    return Float32Array.of(v);
  }
  if (Array.isArray(v) || v instanceof Float32Array) {
    if (v.length === 0) fail(what, "a number or a non-empty array", v);
    const a = Float32Array.from(v as ArrayLike<number>);
    for (let i = 0; i < a.length; i++) check(`${what}[${i}]`, a[i]);
    return a;
  }
  fail(what, "a number or an array of numbers (one per neuron)", v);
}

/** The neuron count P of per-neuron parameters, each given as P values or one. */
export function sharedLength(layer: string, named: readonly (readonly [string, ArrayLike<number>])[]): number {
  const P = Math.max(...named.map(([, v]) => v.length));
  for (const [name, v] of named) if (v.length !== 1 && v.length !== P) fail(`${layer} ${name}`, `${P} values (as many as the longest parameter) or one`, `${v.length} values`);
  return P;
}

/** The parameters a layer's `learn` option names, each once (all among `allowed`); none when absent. */
export function learnedParams<T extends string>(layer: string, v: unknown, allowed: readonly T[]): T[] {
  if (v === undefined) return [];
  if (!Array.isArray(v)) fail(`${layer} learn`, `an array of parameter names (${allowed.join(", ")})`, v);
  for (const n of v) if (!allowed.includes(n as T)) fail(`${layer} learn`, `names among ${allowed.join(", ")}`, n);
  return [...new Set(v as T[])];
}

/** Options every layer takes besides its own (layer-layout.ts). */
const SHARED_OPTIONS: readonly string[] = ["layout"];

/** Options must be an object of known keys (a layer's own, or shared). */
export function checkOptions(layer: string, opts: unknown, own: ReadonlySet<string>): void {
  if (typeof opts !== "object" || opts === null) fail(`${layer} options`, "an object", opts);
  const known = new Set([...own, ...SHARED_OPTIONS]);
  for (const k of Object.keys(opts))
    if (!known.has(k)) throw new ConfigError(`${layer} options: expected only known options (${[...known].join(", ")}), received ${describe(k)}${didYouMean(k, known)}`);
}

export function checkBackward(layer: string, v: unknown): BackwardMethod {
  return oneOf(`${layer} backward`, v, ["exodus", "slayer", "bptt"] as const, "exodus");
}

/**
 * A per-step decay given directly (`name` ∈ (0, 1], or (0, 1) when `open`) or as a time constant
 * (`tauName`, decay = exp(−dt/τ)), exactly one of them; `dflt` when neither is given (undefined:
 * one is required). dt (default 1) belongs to the time constant.
 */
export function decayValues(
  layer: string,
  o: { value: unknown; tau: unknown; dt: unknown },
  names: { value: string; tau: string },
  dflt: number | undefined,
  open = false,
): Float32Array {
  if (o.value !== undefined && o.tau !== undefined) fail(`${layer} options`, `either ${names.value} or ${names.tau}, not both`, "both");
  if (o.tau !== undefined) {
    const dt = o.dt === undefined ? 1 : positive(`${layer} dt`, o.dt);
    return paramValues(`${layer} ${names.tau}`, o.tau, positive).map((tau) => Math.exp(-dt / tau));
  }
  if (o.dt !== undefined) fail(`${layer} dt`, `no value unless ${names.tau} is given`, o.dt);
  if (o.value === undefined && dflt === undefined) fail(`${layer} options`, `${names.value} or ${names.tau}`, undefined);
  return paramValues(`${layer} ${names.value}`, o.value ?? dflt, (w, a) => {
    if (!(a > 0 && (open ? a < 1 : a <= 1))) fail(w, open ? "a decay in (0, 1)" : "a decay in (0, 1]", a);
  });
}

/**
 * What a neuron layer's constructor hands NeuronLayer's: its name, device, backward method, P and
 * state names, with `stateful` checked to be a boolean (CubaLIF, adLIF).
 */
export function layerBase(layer: string, opts: { device?: DeviceLike; backward?: unknown; stateful?: unknown; layout?: Layout }, P: number, states: readonly string[]) {
  if (opts.stateful !== undefined && typeof opts.stateful !== "boolean") fail(`${layer} stateful`, "true or false", opts.stateful);
  return { layout: opts.layout, name: layer, device: parseDevice(opts.device), backward: checkBackward(layer, opts.backward), stateful: !!opts.stateful, P, states };
}
