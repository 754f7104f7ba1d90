// A mostly-zero float tensor kept compactly while it waits to be added (a SEW block's output
// gradient, kept for its skip sum while the block's backward runs, sew.ts): a bit per value saying
// whether its bit pattern is nonzero, and those values in order. Behind a 2×2 max pooling, at most
// one value in four is nonzero (the pooling's backward routes each gradient to its window's
// winner), so this takes 28 % of the floats or less. Exact: the values are copied bit for bit, and
// a negative zero counts as nonzero (its bit pattern is), so it comes back too.
//
// addSparse adds it to a tensor in chunks with the same native add as the dense sum, so the result
// is the dense ops.add(g, dy, g), bit for bit. CPU tensors only (a GPU's would cross the bus twice).
import type { Tensor } from "../tensor.js";
import { CHUNK, addByChunks, readChunks } from "./packed.js";

export interface SparseKept {
  shape: readonly number[];
  /** Per chunk: 1 bit per value (nonzero bit pattern), and the nonzero values in order. */
  bits: Uint8Array[];
  values: Float32Array[];
}

/**
 * x's nonzero values and where they are, or undefined when more than maxDensity of its values are
 * nonzero (then keeping the floats is about as small) or x is not on the CPU.
 */
export function packSparse(x: Tensor, maxDensity = 0.5): SparseKept | undefined {
  if (x.device.isCuda || x.size === 0) return undefined;
  const budget = Math.floor(x.size * maxDensity);
  const bits: Uint8Array[] = [];
  const values: Float32Array[] = [];
  let nonzero = 0;
  const found = new Float32Array(Math.min(x.size, CHUNK)); // a chunk's nonzero values, copied out once counted
  const done = readChunks(x, (v, u) => {
    const b = new Uint8Array(Math.ceil(u.length / 8));
    let n = 0;
    for (let j = 0; j < u.length; j++)
      if (u[j] !== 0) {
        b[j >> 3] |= 1 << (j & 7);
        found[n++] = v[j];
      }
    nonzero += n;
    if (nonzero > budget) return false;
    bits.push(b);
    values.push(found.slice(0, n));
    return true;
  });
  if (!done) return undefined;
  return { shape: [...x.shape], bits, values };
}

/** g += the kept tensor, in place (g has its shape), as ops.add(g, dense, g) would: the same native add, a chunk at a time. */
export function addSparse(g: Tensor, s: SparseKept): void {
  addByChunks(g, s.shape, "addSparse", (k, n, chunk) => {
    chunk.fill(0, 0, n);
    const b = s.bits[k];
    const vals = s.values[k];
    let at = 0;
    for (let i = 0; i < b.length && at < vals.length; i++) {
      const byte = b[i];
      if (byte === 0) continue;
      for (let j = 0; j < 8; j++) if ((byte >> j) & 1) chunk[i * 8 + j] = vals[at++];
    }
  });
}
