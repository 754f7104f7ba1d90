// How long a chunk of time (time-chunks.ts) fits a memory budget. A chunked step keeps one chunk's
// caches (what the layers keep per step, times the chunk's steps, plus the tensors in flight of a
// chunk's backward) and every boundary's neuron states; the output [T, B, out] and the input are
// the caller's in both the plain and the chunked step, so neither estimate counts them.
import type { Sequential } from "./sequential.js";
import { LIF } from "./lif.js";
import { forwardMemory, stepPeak } from "./memory.js";

const FLOAT = 4;

export interface TimeChunkPlan {
  /** Steps per chunk. */
  chunk: number;
  /** The estimated peak of the chunked step, in bytes. */
  peak: number;
}

/** The estimated peak bytes of a step over [T, B, …] in chunks of `chunk` steps. */
export function timeChunkPeak(net: Sequential, shape: readonly number[], chunk: number): number {
  const T = shape[0], c = Math.min(chunk, T);
  return c * perStep(net, shape) + Math.ceil(T / c) * boundaryBytes(net, shape);
}

/**
 * The longest chunk whose step fits `budget` bytes (fewest recomputes), or, when none does, the one
 * with the lowest estimated peak. The peak is a·c + s·⌈T/c⌉ for chunk length c: every c is tried.
 */
export function planTimeChunks(net: Sequential, shape: readonly number[], budget: number): TimeChunkPlan {
  const T = shape[0], a = perStep(net, shape), s = boundaryBytes(net, shape);
  let best: TimeChunkPlan | undefined;
  for (let c = T; c >= 1; c--) {
    const peak = a * c + s * Math.ceil(T / c);
    if (peak <= budget) return { chunk: c, peak };
    if (!best || peak < best.peak) best = { chunk: c, peak };
  }
  return best!;
}

/** A one-step chunk's peak (the plain step's estimate at T = 1): the step's peak is linear in its steps. */
function perStep(net: Sequential, shape: readonly number[]): number {
  return stepPeak(forwardMemory(net, [1, ...shape.slice(1)]));
}

/** Bytes of one boundary: every neuron layer's state (v) for the batch. */
function boundaryBytes(net: Sequential, shape: readonly number[]): number {
  const B = shape[1];
  let s = shape.slice(2), n = 0;
  for (const l of net.layers) {
    if (l instanceof LIF) n += s.reduce((a, b) => a * b, 1);
    s = l.outputShape(s);
  }
  return FLOAT * B * n;
}
