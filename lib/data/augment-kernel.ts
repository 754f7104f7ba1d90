// The augmentation kernel (augment.ts describes the transforms): typed arrays in, typed arrays
// out, depending on nothing but the generator of rng-core.ts (the one lib/random.ts uses, so one
// seed gives one stream everywhere). The same module runs in the augmentation worker threads
// (augment-thread.ts) and on the calling thread (tests, single samples).
import { rngNext, rngSeed } from "../rng-core.js";

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

/** Reusable buffers of the kernel: a dense accumulator of steps × features and the entries it touched. */
export interface KernelScratch {
  dense?: Uint32Array;
  touched?: Uint32Array;
}

interface KernelRng {
  uniform(): number;
  range(lo: number, hi: number): number;
  int(n: number): number;
  normal(): number;
}

/** The kernel's frame geometry (FrameGeometry). */
export type KernelGeometry = FrameGeometry;

/** The kernel's spatial parameters of one sample (angle in degrees, shifts in pixels). */
export interface SpatialParams {
  flipX: boolean;
  flipY: boolean;
  crop?: { s: number; x0: number; y0: number };
  affine?: { angle: number; scale: number; tx: number; ty: number };
  sx: number;
  sy: number;
}

function makeRng(seed: number): KernelRng {
  const s = new Uint32Array(4);
  rngSeed(seed, s);
  let spare: number | undefined;
  const u32 = () => rngNext(s);
  const uniform = () => u32() / 4294967296;
  return {
    uniform,
    range: (lo: number, hi: number) => lo + (hi - lo) * uniform(),
    int: (n: number) => Math.floor(uniform() * n),
    normal: () => {
      if (spare !== undefined) { const v = spare; spare = undefined; return v; }
      let u = 0;
      while (u === 0) u = uniform();
      const v = uniform();
      const r = Math.sqrt(-2 * Math.log(u));
      spare = r * Math.sin(2 * Math.PI * v);
      return r * Math.cos(2 * Math.PI * v);
    },
  };
}

/** For each output pixel of an H×W image, the input pixel under it (-1: outside). */
export function inverseMap(H: number, W: number, q: SpatialParams): Int32Array {
  const rad = ((q.affine ? q.affine.angle : 0) * Math.PI) / 180;
  const af = q.affine;
  const cos = Math.cos(rad), sin = Math.sin(rad);
  const map = new Int32Array(H * W);
  for (let y = 0; y < H; y++)
    for (let x = 0; x < W; x++) {
      // pixel centre relative to the image centre; undo flip, shift, affine, crop in turn
      let u = x + 0.5 - W / 2;
      let v = y + 0.5 - H / 2;
      if (q.flipX) u = -u;
      if (q.flipY) v = -v;
      u -= q.sx;
      v -= q.sy;
      if (af) {
        // torchvision's inverse affine matrix without shear: input = [[cos, sin], [-sin, cos]]·(output - t)/scale
        const a = u - af.tx, b = v - af.ty;
        u = (cos * a + sin * b) / af.scale;
        v = (-sin * a + cos * b) / af.scale;
      }
      if (q.crop) {
        u = q.crop.x0 + (u + W / 2) * q.crop.s - W / 2;
        v = q.crop.y0 + (v + H / 2) * q.crop.s - H / 2;
      }
      const ix = Math.floor(u + W / 2), iy = Math.floor(v + H / 2);
      map[y * W + x] = ix >= 0 && ix < W && iy >= 0 && iy < H ? iy * W + ix : -1;
    }
  return map;
}

// The spatial parameters, drawn in a fixed order (flips, crop, affine as torchvision's get_params, shift).
function drawSpatial(spec: AugmentSpec, H: number, W: number, rng: KernelRng): SpatialParams | null {
  const flipX = spec.flip ? rng.uniform() < spec.flip.x : false;
  const flipY = spec.flip ? rng.uniform() < spec.flip.y : false;
  let crop: SpatialParams["crop"];
  if (spec.crop) {
    const s = rng.range(spec.crop.scale[0], spec.crop.scale[1]);
    crop = { s, x0: rng.uniform() * W * (1 - s), y0: rng.uniform() * H * (1 - s) };
  }
  let affine: SpatialParams["affine"];
  if (spec.affine) {
    const a = spec.affine;
    const angle = rng.range(-a.degrees, a.degrees);
    const tx = Math.round(rng.range(-a.translate * W, a.translate * W));
    const ty = Math.round(rng.range(-a.translate * H, a.translate * H));
    affine = { angle, scale: rng.range(a.scale[0], a.scale[1]), tx, ty };
  }
  const sx = spec.shift ? rng.int(2 * spec.shift.max + 1) - spec.shift.max : 0;
  const sy = spec.shift ? rng.int(2 * spec.shift.max + 1) - spec.shift.max : 0;
  if (!flipX && !flipY && !crop && !affine && sx === 0 && sy === 0) return null;
  return { flipX, flipY, crop, affine, sx, sy };
}

/** The augmented frames (new arrays) of one sample's sparse frames; `scratch` ({} at first) is reused across calls. */
export function augmentFrames(index: Uint32Array, count: ArrayLike<number>, g: FrameGeometry, spec: AugmentSpec, seed: number, scratch: KernelScratch): { index: Uint32Array; count: Uint32Array } {
  const rng = makeRng(seed);
  const steps = g.steps, P = g.polarities, H = g.height, W = g.width;
  const HW = H * W, F = P * HW;
  const q = drawSpatial(spec, H, W, rng);
  // output pixels per input pixel (CSR of the inverse map)
  let start: Int32Array | null = null, dst: Int32Array | null = null;
  if (q) {
    const map = inverseMap(H, W, q);
    start = new Int32Array(HW + 1);
    for (let d = 0; d < HW; d++) if (map[d] >= 0) start[map[d] + 1]++;
    for (let i = 0; i < HW; i++) start[i + 1] += start[i];
    const fill = start.slice(0, HW);
    dst = new Int32Array(start[HW]);
    for (let d = 0; d < HW; d++) if (map[d] >= 0) dst[fill[map[d]]++] = d;
  }
  const flipP = spec.flip && P === 2 ? rng.uniform() < spec.flip.polarity : false;
  const ts = spec.timeScale ? rng.range(spec.timeScale.min, spec.timeScale.max) : 1;
  const keep = spec.drop ? 1 - spec.drop.p : 1;
  const jitter = spec.timeJitter ? spec.timeJitter.std : 0;

  if (!scratch.dense || scratch.dense.length < steps * F) scratch.dense = new Uint32Array(steps * F);
  if (!scratch.touched) scratch.touched = new Uint32Array(1 << 16);
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
  const place = (t: number, base: number, pix: number, c: number) => {
    if (t < 0 || t >= steps) return;
    const b = t * F + base;
    if (!start) put(b + pix, c);
    else for (let k = start[pix], e = start[pix + 1]; k < e; k++) put(b + dst![k], c);
  };
  for (let j = 0; j < index.length; j++) {
    const idx = index[j];
    const t = Math.floor(idx / F);
    if (t >= steps) break;
    const rest = idx - t * F;
    let p = Math.floor(rest / HW);
    const pix = rest - p * HW;
    if (flipP) p = 1 - p;
    let c = count[j];
    if (keep < 1) {
      let k = 0;
      for (let e = 0; e < c; e++) if (rng.uniform() < keep) k++;
      c = k;
    }
    if (c === 0) continue;
    const t2 = ts === 1 ? t : Math.floor(t * ts);
    if (jitter > 0) for (let e = 0; e < c; e++) place(t2 + Math.round(jitter * rng.normal()), p * HW, pix, 1);
    else place(t2, p * HW, pix, c);
  }
  const noise = spec.noise ? spec.noise.events : 0;
  for (let e = 0; e < noise; e++) put(rng.int(steps) * F + rng.int(P) * HW + rng.int(H) * W + rng.int(W), 1);

  const outIndex = touched.slice(0, nt).sort();
  const outCount = new Uint32Array(nt);
  for (let j = 0; j < nt; j++) {
    outCount[j] = dense[outIndex[j]];
    dense[outIndex[j]] = 0;
  }
  return { index: outIndex, count: outCount };
}
