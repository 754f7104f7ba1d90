// Data augmentation of the training split (dataset.augment), applied to a sample's sparse frames
// (flat index t·F + (p·H + y)·W + x with a count) between the cache read and the batch scatter,
// so the cache stays the un-augmented pipeline output and evaluation never sees augmentation.
// Every draw comes from the sample's seed (the trainer's epoch seed mixed with the sample index):
// an augmented epoch is reproducible, and a resumed run sees exactly the same samples.
//
//   flip        tonic RandomFlipLR / RandomFlipUD / RandomFlipPolarity (probabilities)
//   affine      torchvision RandomAffine on the frames, as the paper's DVS Gesture code (degrees 20,
//               translate 0.1) and CIFAR10-DVS code (25, 0.15, scale 0.9–1.1): one rotation angle
//               uniform in ±degrees, a shift of round(uniform(±translate·size)) pixels and a zoom
//               uniform in scale, shared by every frame; nearest neighbour, empty outside
//   crop        a random crop of side fraction uniform in scale, resized back to the sensor (nearest)
//   shift       a random translation of up to `max` pixels in x and y (empty where shifted in)
//   timeScale   tonic TimeSkew on the frames: step t → floor(t·s), s uniform in [min, max]
//   timeJitter  tonic TimeJitter on the frames: every event moves round(N(0, std)) steps
//   drop        tonic DropEvent: every event is dropped with probability p
//   noise       tonic UniformNoise: `events` extra events at uniform (t, p, y, x)
// Spatial maps work by inverse mapping (each output pixel takes the input pixel under it), as
// torchvision does, and compose into one lookup per sample: flip ∘ shift ∘ affine ∘ crop. The
// kernel (augment-kernel.ts) runs in worker threads for the loader, off the training thread.
import { type Obj, fail, mapping, number } from "../validate.js";
import { type AugmentSpec, type FrameGeometry, type KernelScratch, type SpatialParams, augmentFrames as augmentSparse, inverseMap as kernelInverseMap } from "./augment-kernel.js";
import type { SparseFrames } from "./transforms.js";

export type { AugmentSpec, FrameGeometry } from "./augment-kernel.js";

// ---- validation ------------------------------------------------------------------------------------
const KEYS = ["flip", "affine", "crop", "shift", "timeScale", "timeJitter", "drop", "noise"] as const;

function range(field: string, v: unknown, dflt: [number, number], lo: number, hi: number): [number, number] {
  if (v === undefined || v === null) return dflt;
  const what = `[min, max] with ${lo} < min <= max <= ${hi}`;
  if (!Array.isArray(v) || v.length !== 2 || v.some((x) => typeof x !== "number" || !Number.isFinite(x)) || !(v[0] > lo && v[0] <= v[1] && v[1] <= hi))
    fail(field, what, v);
  return [v[0], v[1]];
}

const prob = (x: number) => x >= 0 && x <= 1;

/** Checks dataset.augment and fills in defaults. */
export function validateAugment(raw: unknown, field = "dataset.augment"): AugmentSpec {
  const a = mapping(field, raw, [...KEYS]);
  const out: AugmentSpec = {};
  if (a.flip !== undefined) {
    const f = mapping(`${field}.flip`, a.flip, ["x", "y", "polarity"]);
    const none = f.x === undefined && f.y === undefined && f.polarity === undefined;
    out.flip = {
      x: number(`${field}.flip.x`, f.x, none ? 0.5 : 0, prob, "a probability in [0, 1]"),
      y: number(`${field}.flip.y`, f.y, 0, prob, "a probability in [0, 1]"),
      polarity: number(`${field}.flip.polarity`, f.polarity, 0, prob, "a probability in [0, 1]"),
    };
  }
  if (a.affine !== undefined) {
    const f = mapping(`${field}.affine`, a.affine, ["degrees", "translate", "scale"]);
    out.affine = {
      degrees: number(`${field}.affine.degrees`, f.degrees, 0, (x) => x >= 0 && x <= 180, "degrees in [0, 180]"),
      translate: number(`${field}.affine.translate`, f.translate, 0, (x) => x >= 0 && x <= 1, "a fraction of the size in [0, 1]"),
      scale: range(`${field}.affine.scale`, f.scale, [1, 1], 0, 10),
    };
  }
  if (a.crop !== undefined) {
    const f = mapping(`${field}.crop`, a.crop, ["scale"]);
    out.crop = { scale: range(`${field}.crop.scale`, f.scale, [0.8, 1], 0, 1) };
  }
  if (a.shift !== undefined) {
    const f = mapping(`${field}.shift`, a.shift, ["max"]);
    out.shift = { max: number(`${field}.shift.max`, f.max, undefined, (x) => Number.isInteger(x) && x >= 0, "an integer number of pixels >= 0") };
  }
  if (a.timeScale !== undefined) {
    const f = mapping(`${field}.timeScale`, a.timeScale, ["min", "max"]);
    const min = number(`${field}.timeScale.min`, f.min, undefined, (x) => x > 0, "a factor > 0");
    const max = number(`${field}.timeScale.max`, f.max, undefined, (x) => x >= min, `a factor >= min (${min})`);
    out.timeScale = { min, max };
  }
  if (a.timeJitter !== undefined) {
    const f = mapping(`${field}.timeJitter`, a.timeJitter, ["std"]);
    out.timeJitter = { std: number(`${field}.timeJitter.std`, f.std, undefined, (x) => x > 0, "a standard deviation in steps > 0") };
  }
  if (a.drop !== undefined) {
    const f = mapping(`${field}.drop`, a.drop, ["p"]);
    out.drop = { p: number(`${field}.drop.p`, f.p, undefined, (x) => x >= 0 && x < 1, "a probability in [0, 1)") };
  }
  if (a.noise !== undefined) {
    const f = mapping(`${field}.noise`, a.noise, ["events"]);
    out.noise = { events: number(`${field}.noise.events`, f.events, undefined, (x) => Number.isInteger(x) && x >= 0, "an integer >= 0") };
  }
  return out;
}

/** The seed of sample `index` in the epoch whose batches were drawn with `seed`. */
export function sampleSeed(seed: number, index: number): number {
  return (Math.imul((seed >>> 0) ^ 0x5bd1e995, 0x9e3779b1) ^ Math.imul(index + 1, 0x85ebca6b)) >>> 0;
}

// ---- the augmentation (augment-kernel.ts) ---------------------------------------------------------
export type { SpatialParams } from "./augment-kernel.js";

/** Reusable scratch of the kernel (a dense accumulator of steps × features), one per thread of work. */
export type AugmentScratch = KernelScratch;

/** The augmented frames of one sample (new arrays; the input is not modified). */
export function augmentFrames(f: SparseFrames, g: FrameGeometry, spec: AugmentSpec, seed: number, scratch: AugmentScratch = {}): SparseFrames {
  const r = augmentSparse(f.index, f.count, g, spec, seed, scratch);
  return { steps: f.steps, index: r.index, count: r.count };
}

/** For each output pixel of an H×W image, the input pixel under it (-1: outside). */
export const inverseMap = (H: number, W: number, q: SpatialParams): Int32Array => kernelInverseMap(H, W, q);

/** Whether a spec changes anything (an empty mapping does not). */
export function augments(spec: AugmentSpec | undefined): spec is AugmentSpec {
  return !!spec && KEYS.some((k) => spec[k] !== undefined);
}
