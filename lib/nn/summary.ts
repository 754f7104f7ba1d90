// A network's summary: one row per layer (nested blocks indented) with its output shape per
// sample (without T and batch) and its parameter count, as `exodus train` prints it.
import type { Module } from "./module.js";

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
  return m.outputShape(s);
}

/** A short description: "Conv2d(2→64, 3×3)", "WeightNorm(Linear(1024→11))", "LIF". */
export function describeLayer(m: Module): string {
  return m.describe();
}

/** Rows of every layer, the layers inside a block (SEW, a nested Sequential) after their block's row. */
export function summaryRows(layers: readonly Module[], input: readonly number[], prefix = "", depth = 0): SummaryRow[] {
  return rowsOf(layers.map((l, i) => [String(i), l] as const), input, prefix, depth);
}

/** Rows of named layers each fed by the one before it (a SEW's "block.0", "block.1", …). */
function rowsOf(layers: readonly (readonly [string, Module])[], input: readonly number[], prefix: string, depth: number): SummaryRow[] {
  const rows: SummaryRow[] = [];
  let s = [...input];
  for (const [name, l] of layers) {
    const path = `${prefix}${name}`;
    const out = l.outputShape(s);
    rows.push({ path, depth, layer: l.describe(), output: out, params: count(l) }, ...rowsOf(l.namedLayers(), s, `${path}.`, depth + 1));
    s = out;
  }
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
