// ∂x of a stride-1 convolution over narrow images (width not a multiple of 8: the DVS nets' 4 × 4
// maps), as GEMM + col2im with the product turned around.
//
// Why: GEMM + col2im per image computes dcols [C·kh·kw, P] = Wᵀ·dy_i with N = P = 16 pixels, so
// every one of 4,800 images re-packs the whole 576 × 64 Wᵀ (the GEMM's A) for a one-panel
// product, and col2im then adds rows of 4 floats at a time with a bounds search per tap (perf:
// packing 15 %, col2im 25 %, the 6 × 16 tile 19 % of the ∂x). Here a chunk of images is one
// product with the pixels as rows: dcolsᵀ [images·P, kh·kw·C] = dyᵀ · W', W' = W with its
// columns ordered (ki, kj, ci). W' is packed once per chunk, the product is wide (AVX-512 6 × 32
// tiles where the CPU has them), the columns of a chunk stay in L2, and the scatter adds whole
// vectors of C channels per pixel and tap.
//
// Same bits as GEMM + col2im: every column element is the same K = cout loop of fmas from 0
// (gemm.cc's kernels accumulate k in order whatever the tile), and every pixel receives its taps
// in (ki, kj) order from 0, as col2im adds them.
#include "conv_pixel_major.h"

#include <algorithm>
#include <atomic>
#include <exception>
#include <mutex>
#include <vector>

#include "parallel.h"

namespace exo {
namespace cpu {

namespace {

// Images per chunk: the chunk's columns (P · kh·kw·C floats per image) within ~1 MiB, so the
// scatter reads them from L2 right after the product wrote them.
int chunk_images(size_t cols_per_image, int count) {
  size_t n = ((size_t)1 << 18) / std::max<size_t>(1, cols_per_image);
  return (int)std::max<size_t>(1, std::min<size_t>(n, (size_t)count));
}

}  // namespace

void conv_pixel_major_input_grad(const float* w, const float* dy, float* dx, const k::ConvGeom& g, int cout,
                                 int count) {
  const int C = g.c, H = g.h, W = g.w, KH = g.kh, KW = g.kw, HO = g.ho, WO = g.wo;
  const int P = HO * WO, R = C * KH * KW;
  // wp[co][(ki·KW + kj)·C + ci] = w[co][ci][ki][kj]: a tap's C channels side by side.
  std::vector<float> wp((size_t)cout * R);
  for (int co = 0; co < cout; ++co)
    for (int ci = 0; ci < C; ++ci)
      for (int t = 0; t < KH * KW; ++t) wp[(size_t)co * R + (size_t)t * C + ci] = w[((size_t)co * C + ci) * KH * KW + t];
  const int chunk = chunk_images((size_t)P * R, count);
  const size_t nchunks = ((size_t)count + chunk - 1) / chunk;
  const int threads = pool_threads();
  const size_t in = (size_t)C * H * W, outp = (size_t)cout * P;
  // Per thread: dyᵀ of a chunk [chunk·P, cout], its columns [chunk·P, R], one image's dx
  // channels-last [H·W, C].
  struct Scratch {
    std::vector<float> a, cols, px;
  };
  std::vector<Scratch> scratch((size_t)threads);
  for (auto& s : scratch) {
    s.a.resize((size_t)chunk * P * cout);
    s.cols.resize((size_t)chunk * P * R);
    s.px.resize((size_t)H * W * C);
  }
  std::atomic<bool> failing{false};
  std::exception_ptr failed;
  std::mutex failed_mutex;
  parallel_for(nchunks, [&](size_t ch, int slot) {
    if (failing.load(std::memory_order_relaxed)) return;
    Scratch& s = scratch[(size_t)slot];
    const int n0 = (int)ch * chunk, cnt = std::min(chunk, count - n0);
    for (int i = 0; i < cnt; ++i) {
      const float* dyn = dy + (size_t)(n0 + i) * outp;
      float* a = s.a.data() + (size_t)i * P * cout;
      for (int co = 0; co < cout; ++co)
        for (int p = 0; p < P; ++p) a[(size_t)p * cout + co] = dyn[(size_t)co * P + p];
    }
    try {
      // Inside a pool job gemm runs on this thread alone (pool_threads() is 1 there).
      gemm(false, false, cnt * P, R, cout, 1.f, s.a.data(), cout, wp.data(), R, 0.f, s.cols.data(), R);
    } catch (...) {
      // Out of memory for gemm's packing buffers: rethrown to the caller below.
      std::lock_guard<std::mutex> lock(failed_mutex);
      if (!failed) failed = std::current_exception();
      failing.store(true, std::memory_order_relaxed);
      return;
    }
    float* px = s.px.data();
    for (int i = 0; i < cnt; ++i) {
      const float* cols = s.cols.data() + (size_t)i * P * R;
      std::fill(px, px + (size_t)H * W * C, 0.f);
      for (int ki = 0; ki < KH; ++ki)
        for (int kj = 0; kj < KW; ++kj) {
          const size_t tap = (size_t)(ki * KW + kj) * C;
          for (int oy = 0; oy < HO; ++oy) {
            const int y = oy - g.ph + ki;
            if (y < 0 || y >= H) continue;
            for (int ox = 0; ox < WO; ++ox) {
              const int x = ox - g.pw + kj;
              if (x < 0 || x >= W) continue;
              float* d = px + ((size_t)y * W + x) * C;
              const float* c = cols + (size_t)(oy * WO + ox) * R + tap;
              for (int ci = 0; ci < C; ++ci) d[ci] += c[ci];
            }
          }
        }
      float* dxn = dx + (size_t)(n0 + i) * in;
      for (int ci = 0; ci < C; ++ci)
        for (int q = 0; q < H * W; ++q) dxn[(size_t)ci * H * W + q] = px[(size_t)q * C + ci];
    }
  }, threads);
  if (failed) std::rethrow_exception(failed);
}

}  // namespace cpu
}  // namespace exo
