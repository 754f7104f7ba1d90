// Self-checks of edge cases where a GPU kernel's launch shape or combine order could differ from
// the CPU's sequential scan: empty tensors (a zero-sized grid is a launch error on CUDA) and
// max/min/argmax/argmin with several NaNs (the first NaN must win, as on the CPU, even when it
// sits in another thread's or another block's share of the row).
import type { Device } from "../device.js";
import * as ops from "../ops.js";
import type { Rng } from "../random.js";
import { Tensor } from "../tensor.js";
import { registerCheck } from "./registry.js";

const REDUCE = ["sum", "mean", "max", "min", "argmax", "argmin"] as const;
type ReduceName = (typeof REDUCE)[number];

// Empty inputs: [0, 300] over axis 1 (the row kernel), [4, 300, 0] and [0, 7] over axis 1 (the strided one).
for (const [shape, axis] of [[[0, 300], 1], [[4, 300, 0], 1], [[0, 7], 1]] as [number[], number][])
  for (const op of REDUCE)
    registerCheck({
      name: `${op} of empty [${shape.join(", ")}] over axis ${axis}`,
      group: "edge",
      tolerance: 0,
      inputs: () => null,
      run: (d: Device) => {
        const y = (ops as unknown as Record<ReduceName, (x: Tensor, a: number) => Tensor>)[op](Tensor.empty(shape, d), axis);
        return [y.toArray(), Float32Array.of(...y.shape)];
      },
      reference: () => [new Float64Array(0), Float64Array.from(shape.filter((_, i) => i !== axis))],
    });

/** Sequential scan with the CPU's rule: a NaN beats every number; of two NaNs the first wins. */
function firstRef(op: ReduceName, row: ArrayLike<number>): number {
  let best = row[0];
  let at = 0;
  const better = op === "max" || op === "argmax" ? (a: number, b: number) => a > b : (a: number, b: number) => a < b;
  for (let j = 1; j < row.length; j++) {
    const v = row[j];
    if (better(v, best) || (Number.isNaN(v) && !Number.isNaN(best))) {
      best = v;
      at = j;
    }
  }
  return op === "argmax" || op === "argmin" ? at : best;
}

// NaNs at scattered positions of long rows (several per row, in different threads' and chunks' shares),
// and over a strided axis; plus exact ties, where the first index must win.
const nanCases: { label: string; rows: number; cols: number; nans: (rng: Rng, r: number) => number[] }[] = [
  { label: "rows [6, 5000], 3 NaNs a row", rows: 6, cols: 5000, nans: (rng) => [rng.int(5000), rng.int(5000), rng.int(5000)] },
  { label: "one row [1, 200000], NaNs at 190000 and 7", rows: 1, cols: 200000, nans: () => [190000, 7] },
  { label: "ties only [4, 3000] (values in {0, 1})", rows: 4, cols: 3000, nans: () => [] },
];
for (const c of nanCases)
  for (const op of ["max", "min", "argmax", "argmin"] as const)
    registerCheck({
      name: `${op} NaN/tie order, ${c.label}`,
      group: "edge",
      tolerance: 0,
      inputs: (rng) => {
        const x = Float32Array.from({ length: c.rows * c.cols }, () => (c.nans.length ? rng.uniform() * 4 - 2 : rng.int(2)));
        for (let r = 0; r < c.rows; r++) for (const j of c.nans(rng, r)) x[r * c.cols + j] = NaN;
        return x;
      },
      run: (d, x) => {
        const t = Tensor.from(x, [c.rows, c.cols], d);
        // Over the rows (contiguous) and, transposed in memory, over a strided axis.
        const tt = Tensor.from(transpose(x, c.rows, c.cols), [c.cols, c.rows], d);
        return [ops[op](t, 1).toArray(), ops[op](tt, 0).toArray()];
      },
      reference: (x) => {
        const rows = Array.from({ length: c.rows }, (_, r) => firstRef(op, x.subarray(r * c.cols, (r + 1) * c.cols)));
        return [Float64Array.from(rows), Float64Array.from(rows)];
      },
    });

function transpose(x: Float32Array, R: number, C: number): Float32Array {
  const y = new Float32Array(R * C);
  for (let r = 0; r < R; r++) for (let c = 0; c < C; c++) y[c * R + r] = x[r * C + c];
  return y;
}
