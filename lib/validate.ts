// The checks of user-given options, config fields and command-line flags, once: every message
// reads "<field>: expected <what>, received <value>" and is a ConfigError, so the CLI prints it as
// one line. A value that is absent (undefined or null) takes the default where one is given.
import { ConfigError, describe } from "./errors.js";
import { didYouMean } from "./suggest.js";

export type Obj = Record<string, unknown>;

export function fail(field: string, expected: string, v: unknown): never {
  throw new ConfigError(`${field}: expected ${expected}, received ${describe(v)}`);
}

/** A mapping holding only `known` keys ({} when absent); `expected` describes it when it is not one. */
export function mapping(field: string, v: unknown, known: readonly string[], expected = `a mapping of ${known.join(", ")}`): Obj {
  if (v === undefined || v === null) return {};
  if (typeof v !== "object" || Array.isArray(v)) fail(field, expected, v);
  for (const k of Object.keys(v as Obj))
    if (!known.includes(k)) throw new ConfigError(`${field}.${k}: expected no such field (known: ${known.join(", ") || "none"}), received ${describe(k)}${didYouMean(k, known)}`);
  return v as Obj;
}

/** A finite number accepted by ok (described by what); required when dflt is undefined. */
export function number(field: string, v: unknown, dflt: number | undefined, ok: (x: number) => boolean, what: string): number {
  if (v === undefined || v === null) {
    if (dflt === undefined) fail(field, what, v);
    return dflt;
  }
  if (typeof v !== "number" || !Number.isFinite(v) || !ok(v)) fail(field, what, v);
  return v;
}

/** A number within bounds, the message naming them ("a finite number > 0 and < 100"). */
export function bounded(field: string, v: unknown, dflt: number, check: { min?: number; exclusiveMin?: boolean; max?: number; integer?: boolean } = {}): number {
  if (v === undefined || v === null) return dflt;
  const { min, exclusiveMin, max, integer } = check;
  const what = `${integer ? "an integer" : "a finite number"}${min !== undefined ? ` ${exclusiveMin ? ">" : ">="} ${min}` : ""}${max !== undefined ? `${min !== undefined ? " and" : ""} < ${max}` : ""}`;
  if (typeof v !== "number" || !Number.isFinite(v) || (integer && !Number.isInteger(v))) fail(field, what, v);
  if (min !== undefined && (exclusiveMin ? v <= min : v < min)) fail(field, what, v);
  if (max !== undefined && v >= max) fail(field, what, v);
  return v;
}

/** An integer >= min; required when dflt is undefined. */
export function int(field: string, v: unknown, dflt: number | undefined, min: number): number {
  return number(field, v, dflt, (x) => Number.isInteger(x) && x >= min, `an integer >= ${min}`);
}

export function bool(field: string, v: unknown, dflt: boolean): boolean {
  if (v === undefined || v === null) return dflt;
  if (typeof v !== "boolean") fail(field, "true or false", v);
  return v;
}

/** A string, one of `allowed` when given. */
export function str<T extends string>(field: string, v: unknown, dflt: T, allowed?: readonly T[]): T {
  if (v === undefined || v === null) return dflt;
  if (typeof v !== "string" || (allowed && !allowed.includes(v as T)))
    throw new ConfigError(`${field}: expected ${allowed ? `one of ${allowed.map((a) => JSON.stringify(a)).join(", ")}` : "a string"}, received ${describe(v)}${allowed ? didYouMean(v, allowed) : ""}`);
  return v as T;
}

// ---- command-line flags: strings, absent when not given ------------------------------------------------

function flagFail(flag: string, expected: string, v: string): never {
  throw new ConfigError(`${flag}: expected ${expected}, received ${JSON.stringify(v)}`);
}

/** An integer flag >= min. */
export function flagInt(flag: string, v: string, min?: number): number;
export function flagInt(flag: string, v: string | undefined, min?: number): number | undefined;
export function flagInt(flag: string, v: string | undefined, min = 1): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (v.trim() === "" || !Number.isInteger(n) || n < min) flagFail(flag, `an integer >= ${min}`, v);
  return n;
}

/** A number flag (its range is checked where it is used, e.g. with the config field it sets). */
export function flagNumber(flag: string, v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (v.trim() === "" || !Number.isFinite(n)) flagFail(flag, "a number", v);
  return n;
}

/** A number flag > 0. */
export function flagPositive(flag: string, v: string): number {
  const n = Number(v);
  if (v.trim() === "" || !Number.isFinite(n) || n <= 0) flagFail(flag, "a number > 0", v);
  return n;
}
