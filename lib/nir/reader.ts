// Reading one NIR node's fields with checks: every error names the file, the node, its type, the
// field, what was expected and what was received. Per-neuron values are kept in float64 (NIR files
// may hold τ in double) as one number when all neurons share it.
import { ExodusError, shapeStr } from "../errors.js";
import { type NirArray, type NirDict, type NirValue, isArray } from "./hdf5.js";

export const prod = (s: readonly number[]) => s.reduce((a, b) => a * b, 1);

export class NodeReader {
  constructor(readonly where: string, readonly name: string, readonly node: NirDict) {}
  fail(why: string): never {
    throw new ExodusError(`${this.where}: node ${this.name} (${String(this.node.type)}): ${why}`);
  }
  has(key: string): boolean {
    return this.node[key] !== undefined;
  }
  array(key: string): NirArray {
    const v = this.node[key];
    if (isArray(v)) return v;
    if (typeof v === "number") return { kind: "f64", shape: [], data: Float64Array.of(v) };
    this.fail(`expected a numeric dataset "${key}", received ${v === undefined ? "none" : typeof v}`);
  }
  values(key: string): number[] {
    const a = this.array(key);
    const d = Array.from(a.data as ArrayLike<number>);
    if (!d.every(Number.isFinite)) this.fail(`${key}: expected finite numbers, received ${d.find((x) => !Number.isFinite(x))}`);
    return d;
  }
  /** An integer or a pair of equal integers (kernel, stride, padding). */
  square(key: string, dflt?: number): number {
    if (this.node[key] === undefined && dflt !== undefined) return dflt;
    const d = this.values(key);
    if (!(d.length === 1 || (d.length === 2 && d[0] === d[1])) || !Number.isInteger(d[0])) this.fail(`${key}: expected one integer or two equal ones, received [${d.join(", ")}]`);
    return d[0];
  }
  int(key: string, dflt: number): number {
    const v = this.node[key];
    if (v === undefined) return dflt;
    const d = this.values(key);
    if (d.length !== 1 || !Number.isInteger(d[0])) this.fail(`${key}: expected an integer, received [${d.join(", ")}]`);
    return d[0];
  }
  meta(key: string): NirValue | undefined {
    const m = this.node.metadata;
    return typeof m === "object" && m !== null && !Array.isArray(m) && !isArray(m as NirValue) ? (m as NirDict)[key] : undefined;
  }
  /** Per-neuron values for a sample of the given shape: one number if all equal. */
  perNeuron(key: string, shape: readonly number[]): PerNeuronValues {
    const d = this.values(key);
    if (d.length !== 1 && d.length !== prod(shape)) this.fail(`${key}: expected ${prod(shape)} values (shape ${shapeStr(shape)}) or one, received ${d.length}`);
    return d.every((x) => x === d[0]) ? d[0] : Float64Array.from(d);
  }
}

/** One value for all neurons, or one per neuron of the sample. */
export type PerNeuronValues = number | Float64Array;

export function mapAll(v: PerNeuronValues, f: (x: number) => number): PerNeuronValues {
  return typeof v === "number" ? f(v) : v.map(f);
}
export function all(v: PerNeuronValues, p: (x: number) => boolean): boolean {
  return typeof v === "number" ? p(v) : v.every(p);
}
export function at(v: PerNeuronValues, i: number): number {
  return typeof v === "number" ? v : v[i];
}
/** Elementwise f over per-neuron values (a number when all are numbers). */
export function zip(n: number, vs: PerNeuronValues[], f: (...x: number[]) => number): PerNeuronValues {
  if (vs.every((v) => typeof v === "number")) return f(...(vs as number[]));
  return Float64Array.from({ length: n }, (_, i) => f(...vs.map((v) => at(v, i))));
}
/** For the layer options: float32 as exodus holds parameters. */
export function f32(v: PerNeuronValues): number | Float32Array {
  return typeof v === "number" ? v : Float32Array.from(v);
}
/** All n values (a shared value repeated). */
export function expand(v: PerNeuronValues, n: number): Float64Array {
  return typeof v === "number" ? new Float64Array(n).fill(v) : v;
}
