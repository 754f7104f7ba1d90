// Where inputs enter a network: exodus is time-major, [T, B, …features] ("TBN"); batch-first
// [B, T, …] ("BTN", sinabs' and many data pipelines' layout) is accepted when said so and
// transposed on the way in and out. A rank that cannot be [T, B, …] is an error that says what to
// do, instead of a silent reading of [B, features] as time × features.
import { ConfigError, ShapeError, describe, shapeStr } from "./errors.js";
import { native, shifted } from "./native.js";
import { didYouMean } from "./suggest.js";
import { Tensor } from "./tensor.js";

export type Layout = "TBN" | "BTN";
export const LAYOUTS: readonly Layout[] = ["TBN", "BTN"];

export function checkLayout(what: string, v: unknown): Layout {
  if (v === undefined) return "TBN";
  if (typeof v !== "string" || !LAYOUTS.includes(v as Layout))
    throw new ConfigError(`${what}: expected "TBN" (time-major, the default) or "BTN" (batch-first), received ${describe(v)}${didYouMean(v, LAYOUTS)}`);
  return v as Layout;
}

/** Rejects an input that cannot be [T, B, …features] (or [B, T, …] for "BTN"). */
export function checkSequenceInput(what: string, x: Tensor, layout: Layout = "TBN"): void {
  if (x.rank >= 3) return;
  const order = layout === "TBN" ? "[T, B, …features] (time-major)" : "[B, T, …features] (batch-first, layout \"BTN\")";
  const hint =
    x.rank === 2
      ? `; for one sample of ${x.shape[0]} steps add a batch axis (x.reshape([${layout === "TBN" ? `${x.shape[0]}, 1` : `1, ${x.shape[0]}`}, ${x.shape[1]}])), for a batch of ${x.shape[0]} frames add a time axis (x.reshape([1, ${x.shape[0]}, ${x.shape[1]}]))`
      : "";
  throw new ShapeError(`${what}: expected an input ${order}, received ${shapeStr(x.shape)} (rank ${x.rank})${hint}`);
}

/**
 * x with its first two axes swapped ([A, B, …] → [B, A, …]), as a new tensor: one device copy per
 * row of the trailing dimensions, so it runs wherever x lives.
 */
export function swapLeadingAxes(x: Tensor): Tensor {
  if (x.rank < 2) throw new ShapeError(`swapLeadingAxes: expected a tensor of rank >= 2, received ${shapeStr(x.shape)}`);
  const [a, b, ...rest] = x.shape;
  const y = Tensor.empty([b, a, ...rest], x.device);
  const r = x.size / Math.max(1, a * b);
  if (r === 0) return y;
  for (let i = 0; i < a; i++)
    for (let j = 0; j < b; j++) native().copy({ src: shifted(x, (i * b + j) * r), dst: shifted(y, (j * a + i) * r), n: r });
  return y;
}

/** The time-major tensor for an input in `layout` (x itself for "TBN"; a new tensor for "BTN"). */
export function toTimeMajor(what: string, x: Tensor, layout: Layout): Tensor {
  checkSequenceInput(what, x, layout);
  return layout === "TBN" ? x : swapLeadingAxes(x);
}

/** A time-major result back in `layout` (y itself for "TBN"; for "BTN" a new tensor, y disposed). */
export function fromTimeMajor(y: Tensor, layout: Layout): Tensor {
  if (layout === "TBN") return y;
  const out = swapLeadingAxes(y);
  y.dispose();
  return out;
}
