// A network's summary: one row per layer (nested blocks indented) with its output shape per
// sample (without T and batch) and its parameter count, as `exodus train` prints it.
import { ShapeError, shapeStr } from "../errors.js";
import { BatchNorm1d, BatchNorm2d } from "./batchnorm.js";
import { Conv2d } from "./conv2d.js";
import { Dropout } from "./dropout.js";
import { Flatten } from "./flatten.js";
import { Linear } from "./linear.js";
import type { Module } from "./module.js";
import { AvgPool2d, MaxPool2d, SumPool2d } from "./pool.js";
import { Sequential } from "./sequential.js";
import { SEW } from "./sew.js";
import { WeightNorm } from "./weightnorm.js";

export interface SummaryRow {
  /** "3" or "3.block.0". */
  path: string;
  depth: number;
  layer: string;
  /** Output shape of one sample at one step, e.g. [64, 32, 32]. */
  output: number[];
  params: number;
}

const count = (m: Module) => m.parameters().reduce((n, p) => n + p.value.size, 0);

/** One step's output shape of m for input features s ([C, H, W] or [F]). */
export function outputShape(m: Module, s: readonly number[]): number[] {
  const spatial = (what: string) => {
    if (s.length !== 3) throw new ShapeError(`${what}: expected an input [C, H, W], received ${shapeStr(s)}`);
    return s as [number, number, number];
  };
  if (m instanceof WeightNorm) return outputShape(m.inner, s);
  if (m instanceof Sequential) return m.layers.reduce<number[]>((acc, l) => outputShape(l, acc), [...s]);
  if (m instanceof SEW) return outputShape(m.block, s);
  if (m instanceof Conv2d) {
    const [c, h, w] = spatial("Conv2d");
    if (c !== m.inChannels) throw new ShapeError(`Conv2d: expected ${m.inChannels} input channels, received ${shapeStr(s)}`);
    const k = m.weight.value.shape[2];
    const o = (n: number) => Math.floor((n + 2 * m.padding - k) / m.stride) + 1;
    return [m.outChannels, o(h), o(w)];
  }
  if (m instanceof AvgPool2d || m instanceof MaxPool2d || m instanceof SumPool2d) {
    const [c, h, w] = spatial(m.constructor.name);
    return [c, Math.floor(h / m.kernel), Math.floor(w / m.kernel)];
  }
  if (m instanceof Linear) {
    if (s[s.length - 1] !== m.inFeatures) throw new ShapeError(`Linear: expected ${m.inFeatures} input features, received ${shapeStr(s)}`);
    return [...s.slice(0, -1), m.outFeatures];
  }
  if (m instanceof Flatten) return [s.reduce((a, b) => a * b, 1)];
  // layers defined elsewhere (lib/nir: Conv1d, Dag) say their own output shape
  const own = (m as { sampleOutputShape?: (s: readonly number[]) => number[] }).sampleOutputShape;
  if (typeof own === "function") return own.call(m, s);
  return [...s];
}

/** A short description: "Conv2d(2→64, 3×3)", "WeightNorm(Linear(1024→11))", "LIF". */
export function describeLayer(m: Module): string {
  if (m instanceof WeightNorm) return `WeightNorm(${describeLayer(m.inner)})`;
  if (m instanceof Conv2d) {
    const k = m.weight.value.shape[2];
    return `Conv2d(${m.inChannels}→${m.outChannels}, ${k}×${k}${m.stride !== 1 ? `, stride ${m.stride}` : ""})`;
  }
  if (m instanceof Linear) return `Linear(${m.inFeatures}→${m.outFeatures}${m.bias ? ", bias" : ""})`;
  if (m instanceof BatchNorm1d || m instanceof BatchNorm2d) return `${m.constructor.name}(${m.numFeatures})`;
  if (m instanceof AvgPool2d || m instanceof MaxPool2d || m instanceof SumPool2d) return `${m.constructor.name}(${m.kernel})`;
  if (m instanceof Dropout) return `Dropout(${m.p})`;
  if (m instanceof SEW) return "SEW(ADD)";
  return m.constructor.name;
}

/** Rows of every layer, nested blocks after their block's row. */
export function summaryRows(layers: readonly Module[], input: readonly number[], prefix = "", depth = 0): SummaryRow[] {
  const rows: SummaryRow[] = [];
  let s = [...input];
  layers.forEach((l, i) => {
    const path = `${prefix}${i}`;
    const out = outputShape(l, s);
    rows.push({ path, depth, layer: describeLayer(l), output: out, params: count(l) });
    if (l instanceof SEW) rows.push(...summaryRows(l.block.layers, s, `${path}.block.`, depth + 1));
    s = out;
  });
  return rows;
}

/** The table: path, layer, output shape, parameters; then the total. */
export function formatSummary(rows: SummaryRow[], input: readonly number[]): string[] {
  const total = rows.filter((r) => r.depth === 0).reduce((n, r) => n + r.params, 0);
  const cells = rows.map((r) => [`${"  ".repeat(r.depth)}${r.path}`, r.layer, `[${r.output.join(", ")}]`, r.params.toLocaleString("en-US")]);
  const head = ["#", "layer", "output", "params"];
  const widths = head.map((h, k) => Math.max(h.length, ...cells.map((c) => c[k].length)));
  const line = (c: string[]) => c.map((v, k) => (k === 3 ? v.padStart(widths[k]) : v.padEnd(widths[k]))).join("  ").trimEnd();
  return [`input [T, B, ${input.join(", ")}]`, line(head), ...cells.map(line), `${total.toLocaleString("en-US")} parameters`];
}
