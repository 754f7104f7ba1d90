// Self-checks of the layer ops training needs: convolution (forward and gradients), pooling,
// Adam, dropout masks, batched GEMM.
import { conv2d, conv2dBackward } from "../conv.js";
import { dropoutApply, dropoutMask } from "../dropout.js";
import { native } from "../native.js";
import { Adam } from "../optim.js";
import { pool2d, pool2dBackward } from "../pool.js";
import type { Rng } from "../random.js";
import { Tensor } from "../tensor.js";
import { type ConvRefGeom, adamRef, conv2dRef, convOut, gemmRef, hashUniformRef, poolRef } from "./reference.js";
import { registerCheck } from "./registry.js";

const rand = (rng: Rng, n: number, lo = -1, hi = 1) => rng.fillUniform(new Float32Array(n), lo, hi);

const convCases: (ConvRefGeom & { label: string })[] = [
  { label: "3x3 pad 1", n: 6, c: 2, h: 16, w: 16, cout: 8, kh: 3, kw: 3, s: 1, p: 1 },
  { label: "3x3 stride 2", n: 3, c: 5, h: 13, w: 11, cout: 4, kh: 3, kw: 3, s: 2, p: 1 },
  { label: "1x1", n: 4, c: 16, h: 8, w: 8, cout: 12, kh: 1, kw: 1, s: 1, p: 0 },
  { label: "3x3 pad 1, 8 channels (direct dx on the CPU)", n: 3, c: 8, h: 10, w: 16, cout: 6, kh: 3, kw: 3, s: 1, p: 1 },
  { label: "5x5 no pad", n: 2, c: 3, h: 12, w: 14, cout: 6, kh: 5, kw: 5, s: 1, p: 0 },
  // The first DVS conv's shape (2 → 16 channels, 3x3): its weight gradient [16, 18] is one product
  // over images × pixels on CUDA, in 16-row tiles; 24 channels take the 32-row tile.
  { label: "3x3 pad 1, DVS first layer", n: 10, c: 2, h: 18, w: 18, cout: 16, kh: 3, kw: 3, s: 1, p: 1 },
  { label: "3x3 stride 2, 24 channels", n: 7, c: 3, h: 15, w: 15, cout: 24, kh: 3, kw: 3, s: 2, p: 0 },
];
for (const g of convCases) {
  const [ho, wo] = convOut(g);
  const xs = [g.n, g.c, g.h, g.w];
  const ws = [g.cout, g.c, g.kh, g.kw];
  registerCheck({
    name: `conv2d ${g.label} [${xs}]→[${g.n},${g.cout},${ho},${wo}] y, dx, dW, db`,
    group: "conv",
    tolerance: 1e-5,
    inputs: (rng) => ({ x: rand(rng, g.n * g.c * g.h * g.w), w: rand(rng, g.cout * g.c * g.kh * g.kw), dy: rand(rng, g.n * g.cout * ho * wo) }),
    run: (d, { x, w, dy }) => {
      const X = Tensor.from(x, xs, d);
      const W = Tensor.from(w, ws, d);
      const y = conv2d(X, W, { stride: g.s, padding: g.p });
      const r = conv2dBackward(X, W, Tensor.from(dy, y.shape, d), { stride: g.s, padding: g.p, bias: true });
      return [y.toArray(), r.dx!.toArray(), r.dw.toArray(), r.db!.toArray()];
    },
    reference: ({ x, w, dy }) => {
      const r = conv2dRef(x, w, dy, g);
      const db = new Float64Array(g.cout);
      for (let i = 0; i < dy.length; i++) db[Math.floor(i / (ho * wo)) % g.cout] += dy[i];
      return [r.y, r.dx, r.dw, db];
    },
  });
}

for (const mode of ["avg", "max"] as const)
  for (const [h, w, k, s] of [[16, 16, 2, 2], [9, 7, 3, 2], [8, 8, 2, 1], [9, 7, 2, 2], [10, 11, 3, 3]]) {
    const planes = 12;
    const ho = Math.floor((h - k) / s) + 1;
    const wo = Math.floor((w - k) / s) + 1;
    registerCheck({
      name: `${mode} pool ${k}x${k}/${s} [${planes},${h},${w}] y, dx`,
      group: "pool",
      tolerance: 1e-6,
      inputs: (rng) => ({ x: rand(rng, planes * h * w), dy: rand(rng, planes * ho * wo) }),
      run: (d, { x, dy }) => {
        const r = pool2d(mode, Tensor.from(x, [planes, h, w], d), k, s);
        const dx = pool2dBackward(mode, Tensor.from(dy, r.y.shape, d), [planes, h, w], k, s, r.indices);
        return [r.y.toArray(), dx.toArray()];
      },
      reference: ({ x, dy }) => {
        const r = poolRef(mode, x, dy, planes, h, w, k, s);
        return [r.y, r.dx];
      },
    });
  }

for (const decoupled of [false, true])
  registerCheck({
    name: `adam 5 steps, weight decay ${decoupled ? "decoupled (AdamW)" : "L2"}`,
    group: "optim",
    tolerance: 1e-5,
    inputs: (rng) => ({ p: rand(rng, 3000), g: rand(rng, 3000, -0.1, 0.1) }),
    run: (d, { p, g }) => {
      const param = { value: Tensor.from(p, [3000], d), grad: Tensor.from(g, [3000], d) };
      const opt = new Adam([param], { lr: 0.01, weightDecay: 0.05, decoupled });
      for (let i = 0; i < 5; i++) opt.step();
      opt.dispose();
      return [param.value.toArray()];
    },
    reference: ({ p, g }) => [adamRef(p, g, 5, 0.01, 0.9, 0.999, 1e-8, 0.05, decoupled)],
  });

registerCheck({
  name: "dropout mask p=0.3 [4099]",
  group: "optim",
  tolerance: 0,
  inputs: () => ({ seed: 12345 }),
  run: (d, { seed }) => [dropoutMask([4099], 0.3, seed, d).toArray()],
  reference: ({ seed }) => [Float64Array.from({ length: 4099 }, (_, i) => (hashUniformRef(seed, i) >= 0.3 ? Math.fround(1 / 0.7) : 0))],
});

registerCheck({
  name: "dropout apply p=0.3 [4099] (no mask stored)",
  group: "optim",
  tolerance: 0,
  inputs: () => ({ seed: 777, x: Float32Array.from({ length: 4099 }, (_, i) => (i % 7 === 0 ? 0 : Math.sin(i) * 2)) }),
  run: (d, { seed, x }) => [dropoutApply(Tensor.from(x, [4099], d), 0.3, seed).toArray()],
  reference: ({ seed, x }) => [Float64Array.from(x, (v, i) => Math.fround(v * (hashUniformRef(seed, i) >= 0.3 ? Math.fround(1 / 0.7) : 0)))],
});

registerCheck({
  name: "gemm batched 9 x [20x30]·[30x25], shared A",
  group: "gemm",
  tolerance: 1e-5,
  inputs: (rng) => ({ a: rand(rng, 20 * 30), b: rand(rng, 9 * 30 * 25) }),
  run: (d, { a, b }) => {
    const A = Tensor.from(a, [20, 30], d);
    const B = Tensor.from(b, [9, 30, 25], d);
    const C = Tensor.empty([9, 20, 25], d);
    native().gemmBatched({ transA: false, transB: false, M: 20, N: 25, K: 30, alpha: 1, A, lda: 30, strideA: 0, B, ldb: 25, strideB: 750, beta: 0, C, ldc: 25, strideC: 500, batch: 9 });
    return [C.toArray()];
  },
  reference: ({ a, b }) => {
    const out = new Float64Array(9 * 500);
    for (let i = 0; i < 9; i++) out.set(gemmRef(false, false, 20, 25, 30, 1, a, b.subarray(i * 750, (i + 1) * 750), 0, []), i * 500);
    return [out];
  },
});

// strideC = 0: one output for the batch, C = α·Σ_b A_b·Bᵀ_b + β·C (the conv weight gradient's form).
// The row counts take each tile height (16, 32, 64 rows); 13 x 100 is long enough to be split.
for (const [M, N, K, batch] of [[16, 18, 45, 7], [24, 30, 100, 13], [40, 9, 64, 5]]) {
  registerCheck({
    name: `gemm summed over ${batch} x [${M}x${K}]·[${N}x${K}]ᵀ into one [${M}x${N}] (strideC 0) α=0.5 β=1.5`,
    group: "gemm",
    tolerance: 1e-5,
    inputs: (rng) => ({ a: rand(rng, batch * M * K), b: rand(rng, batch * N * K), c: rand(rng, M * N) }),
    run: (d, { a, b, c }) => {
      const A = Tensor.from(a, [batch, M, K], d);
      const B = Tensor.from(b, [batch, N, K], d);
      const C = Tensor.from(c, [M, N], d);
      native().gemmBatched({ transA: false, transB: true, M, N, K, alpha: 0.5, A, lda: K, strideA: M * K, B, ldb: K, strideB: N * K, beta: 1.5, C, ldc: N, strideC: 0, batch });
      return [C.toArray()];
    },
    reference: ({ a, b, c }) => {
      let out: Float64Array = Float64Array.from(c, (v) => 1.5 * v);
      for (let i = 0; i < batch; i++)
        out = gemmRef(false, true, M, N, K, 0.5, a.subarray(i * M * K, (i + 1) * M * K), b.subarray(i * N * K, (i + 1) * N * K), 1, out);
      return [out];
    },
  });
}

registerCheck({
  name: "scatter sparse frames into [T=50, B=4, F=300]",
  group: "data",
  tolerance: 0,
  inputs: (rng) =>
    Array.from({ length: 4 }, () => {
      // Sorted distinct flat indices t·F + f, some past T (dropped), with counts >= 1.
      const set = new Set<number>();
      while (set.size < 2000) set.add(rng.int(60 * 300));
      const index = Uint32Array.from([...set].sort((a, b) => a - b));
      return { index, count: Uint32Array.from(index, () => 1 + rng.int(5)) };
    }),
  run: (d, cols) => {
    const x = Tensor.zeros([50, 4, 300], d);
    cols.forEach((c, b) => native().scatterFrames({ dst: x, T: 50, B: 4, F: 300, b, index: c.index, count: c.count }));
    return [x.toArray()];
  },
  reference: (cols) => {
    const out = new Float64Array(50 * 4 * 300);
    cols.forEach((c, b) =>
      c.index.forEach((i, j) => {
        const t = Math.floor(i / 300);
        if (t < 50) out[(t * 4 + b) * 300 + (i % 300)] = c.count[j];
      }),
    );
    return [out];
  },
});
