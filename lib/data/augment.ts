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
// torchvision does, and compose into one lookup per sample: flip ∘ shift ∘ affine ∘ crop.
import { ConfigError, describe } from "../errors.js";
import { Rng } from "../random.js";
import type { SparseFrames } from "./transforms.js";

export interface AugmentSpec {
  flip?: { x: number; y: number; polarity: number };
  affine?: { degrees: number; translate: number; scale: [number, number] };
  crop?: { scale: [number, number] };
  shift?: { max: number };
  timeScale?: { min: number; max: number };
  timeJitter?: { std: number };
  drop?: { p: number };
  noise?: { events: number };
}

/** Frame geometry of a sample: steps × polarities × height × width. */
export interface FrameGeometry {
  steps: number;
  polarities: number;
  height: number;
  width: number;
}

// ---- validation ------------------------------------------------------------------------------------
type Obj = Record<string, unknown>;
const KEYS = ["flip", "affine", "crop", "shift", "timeScale", "timeJitter", "drop", "noise"] as const;

function fail(field: string, expected: string, v: unknown): never {
  throw new ConfigError(`${field}: expected ${expected}, received ${describe(v)}`);
}

function mapping(field: string, v: unknown, known: string[]): Obj {
  if (v === null || v === undefined) return {};
  if (typeof v !== "object" || Array.isArray(v)) fail(field, `a mapping of ${known.join(", ")}`, v);
  for (const k of Object.keys(v as Obj)) if (!known.includes(k)) fail(`${field}.${k}`, `no such field (known: ${known.join(", ")})`, k);
  return v as Obj;
}

function number(field: string, v: unknown, dflt: number | undefined, ok: (x: number) => boolean, what: string): number {
  if (v === undefined || v === null) {
    if (dflt === undefined) fail(field, what, v);
    return dflt;
  }
  if (typeof v !== "number" || !Number.isFinite(v) || !ok(v)) fail(field, what, v);
  return v;
}

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

// ---- the augmentation --------------------------------------------------------------------------------
/** Reusable dense accumulator (one per thread of work), as FrameScratch. */
export class AugmentScratch {
  dense = new Uint32Array(0);
  touched = new Uint32Array(1024);
}

/** The drawn spatial parameters of one sample (angle in degrees, shifts in pixels). */
export interface SpatialParams {
  flipX: boolean;
  flipY: boolean;
  crop?: { s: number; x0: number; y0: number };
  affine?: { angle: number; scale: number; tx: number; ty: number };
  sx: number;
  sy: number;
}

/**
 * The inverse spatial map of one sample: for each output pixel, the input pixel it takes (-1:
 * none), or null when no spatial augmentation applies. Draws its parameters from rng.
 */
function spatialMap(spec: AugmentSpec, H: number, W: number, rng: Rng): Int32Array | null {
  const flipX = spec.flip ? rng.uniform() < spec.flip.x : false;
  const flipY = spec.flip ? rng.uniform() < spec.flip.y : false;
  let crop: { s: number; x0: number; y0: number } | undefined;
  if (spec.crop) {
    const s = rng.range(spec.crop.scale[0], spec.crop.scale[1]);
    crop = { s, x0: rng.uniform() * W * (1 - s), y0: rng.uniform() * H * (1 - s) };
  }
  let affine: SpatialParams["affine"];
  if (spec.affine) {
    // torchvision RandomAffine.get_params: angle, then translations, then scale
    const { degrees, translate, scale } = spec.affine;
    const angle = rng.range(-degrees, degrees);
    const tx = Math.round(rng.range(-translate * W, translate * W));
    const ty = Math.round(rng.range(-translate * H, translate * H));
    affine = { angle, scale: rng.range(scale[0], scale[1]), tx, ty };
  }
  const sx = spec.shift ? rng.int(2 * spec.shift.max + 1) - spec.shift.max : 0;
  const sy = spec.shift ? rng.int(2 * spec.shift.max + 1) - spec.shift.max : 0;
  if (!flipX && !flipY && !crop && !affine && sx === 0 && sy === 0) return null;
  return inverseMap(H, W, { flipX, flipY, crop, affine, sx, sy });
}

/** For each output pixel of an H×W image, the input pixel under it (-1: outside). */
export function inverseMap(H: number, W: number, q: SpatialParams): Int32Array {
  const { flipX, flipY, crop, sx, sy } = q;
  const rad = ((q.affine?.angle ?? 0) * Math.PI) / 180;
  const affine = q.affine && { cos: Math.cos(rad), sin: Math.sin(rad), scale: q.affine.scale, tx: q.affine.tx, ty: q.affine.ty };
  const map = new Int32Array(H * W);
  for (let y = 0; y < H; y++)
    for (let x = 0; x < W; x++) {
      // pixel centre relative to the image centre
      let u = x + 0.5 - W / 2;
      let v = y + 0.5 - H / 2;
      if (flipX) u = -u;
      if (flipY) v = -v;
      u -= sx;
      v -= sy;
      if (affine) {
        // torchvision's inverse affine matrix without shear: input = [[cos, sin], [−sin, cos]]·(output − t)/scale
        const a = u - affine.tx;
        const b = v - affine.ty;
        u = (affine.cos * a + affine.sin * b) / affine.scale;
        v = (-affine.sin * a + affine.cos * b) / affine.scale;
      }
      if (crop) {
        u = crop.x0 + (u + W / 2) * crop.s - W / 2;
        v = crop.y0 + (v + H / 2) * crop.s - H / 2;
      }
      const ix = Math.floor(u + W / 2);
      const iy = Math.floor(v + H / 2);
      map[y * W + x] = ix >= 0 && ix < W && iy >= 0 && iy < H ? iy * W + ix : -1;
    }
  return map;
}

/** Output pixels per input pixel of an inverse map (CSR). */
function invert(map: Int32Array): { start: Int32Array; dst: Int32Array } {
  const start = new Int32Array(map.length + 1);
  for (const s of map) if (s >= 0) start[s + 1]++;
  for (let i = 0; i < map.length; i++) start[i + 1] += start[i];
  const fill = start.slice(0, map.length);
  const dst = new Int32Array(start[map.length]);
  for (let d = 0; d < map.length; d++) if (map[d] >= 0) dst[fill[map[d]]++] = d;
  return { start, dst };
}

/** Binomial(n, keep) by n Bernoulli draws (counts per bin are small). */
function thin(n: number, keep: number, rng: Rng): number {
  let k = 0;
  for (let i = 0; i < n; i++) if (rng.uniform() < keep) k++;
  return k;
}

/** The augmented frames of one sample (a new object; the input is not modified). */
export function augmentFrames(f: SparseFrames, g: FrameGeometry, spec: AugmentSpec, seed: number, scratch = new AugmentScratch()): SparseFrames {
  const rng = new Rng(seed);
  const { steps, polarities: P, height: H, width: W } = g;
  const HW = H * W;
  const F = P * HW;
  const map = spatialMap(spec, H, W, rng);
  const inv = map ? invert(map) : null;
  const flipP = spec.flip && P === 2 ? rng.uniform() < spec.flip.polarity : false;
  const ts = spec.timeScale ? rng.range(spec.timeScale.min, spec.timeScale.max) : 1;
  const keep = spec.drop ? 1 - spec.drop.p : 1;
  const jitter = spec.timeJitter?.std ?? 0;

  if (scratch.dense.length < steps * F) scratch.dense = new Uint32Array(steps * F);
  const dense = scratch.dense;
  let touched = scratch.touched;
  let nt = 0;
  const put = (idx: number, c: number) => {
    if (dense[idx] === 0) {
      if (nt === touched.length) {
        const grown = new Uint32Array(nt * 2);
        grown.set(touched);
        touched = scratch.touched = grown;
      }
      touched[nt++] = idx;
    }
    dense[idx] += c;
  };
  const place = (t: number, p: number, pix: number, c: number) => {
    if (t < 0 || t >= steps) return;
    const base = t * F + p * HW;
    if (!inv) put(base + pix, c);
    else for (let k = inv.start[pix]; k < inv.start[pix + 1]; k++) put(base + inv.dst[k], c);
  };
  const { index, count } = f;
  for (let j = 0; j < index.length; j++) {
    const idx = index[j];
    const t = Math.floor(idx / F);
    if (t >= steps) break;
    const rest = idx - t * F;
    let p = Math.floor(rest / HW);
    const pix = rest - p * HW;
    if (flipP) p = 1 - p;
    const c = keep < 1 ? thin(count[j], keep, rng) : count[j];
    if (c === 0) continue;
    const t2 = ts === 1 ? t : Math.floor(t * ts);
    if (jitter > 0) for (let e = 0; e < c; e++) place(t2 + Math.round(jitter * rng.normal()), p, pix, 1);
    else place(t2, p, pix, c);
  }
  for (let e = 0; e < (spec.noise?.events ?? 0); e++) put(rng.int(steps) * F + rng.int(P) * HW + rng.int(H) * W + rng.int(W), 1);

  const outIndex = touched.slice(0, nt).sort();
  const outCount = new Uint32Array(nt);
  for (let j = 0; j < nt; j++) {
    outCount[j] = dense[outIndex[j]];
    dense[outIndex[j]] = 0;
  }
  return { steps: f.steps, index: outIndex, count: outCount };
}

/** Whether a spec changes anything (an empty mapping does not). */
export function augments(spec: AugmentSpec | undefined): spec is AugmentSpec {
  return !!spec && KEYS.some((k) => spec[k] !== undefined);
}
