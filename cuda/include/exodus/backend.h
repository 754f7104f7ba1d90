// The one backend interface: every compute op, its signature written once in an X-macro list.
// From the lists come (1) the function table `Backend`, one instance per backend (CPU, CUDA, and
// "not built" whose entries explain how to get CUDA), chosen by device with exo::on(dev);
// (2) the declarations of the cpu:: and gpu:: implementations; (3) `supports`, which says per
// backend whether it has an op (the CPU has all; CUDA all but the host-memory speed paths of
// host_ops.h; "not built" none), so a caller asks the table and falls back to another entry
// instead of testing the device type. An entry is
//     X(name, (parameters), (arguments))
// and the backends implement  cpu::name(parameters)  and  gpu::name(int dev, parameters).
// Pointers belong to the device; sizes are element counts; arrays are time-major x[t * N + i].
// The binding validates every argument before a call, so the implementations may assume them.
#pragma once
#include <cstddef>
#include <cstdint>

#include "exodus/api.h"
#include "exodus/host_ops.h"
#include "exodus/neurons.h"
#include "exodus/recurrent.h"
#include "kernels/conv.cuh"
#include "kernels/optim.cuh"

// ---- element-wise, reductions, GEMM, losses ---------------------------------------------------
#define EXO_CORE_OPS(X)                                                                                     \
  X(fill, (float* y, size_t n, float v), (y, n, v))                                                         \
  X(unary, (Unary op, const float* x, float* y, size_t n, float a, float b), (op, x, y, n, a, b))            \
  /* y[i] = op(x[i], w[(i / inner) % nb]): w broadcast over the leading and trailing axes of x */          \
  X(binary, (Binary op, const float* x, const float* w, float* y, size_t n, size_t nb, size_t inner),       \
    (op, x, w, y, n, nb, inner))                                                                            \
  /* y = alpha*x + beta*y */                                                                                \
  X(axpby, (float alpha, const float* x, float beta, float* y, size_t n), (alpha, x, beta, y, n))            \
  /* x viewed as [outer, axis, inner] -> y [outer, inner]; arg ops write float indices */                   \
  X(reduce, (Reduce op, const float* x, float* y, size_t outer, size_t axis, size_t inner),                 \
    (op, x, y, outer, axis, inner))                                                                         \
  /* C[M,N] = alpha op(A) op(B) + beta C, row-major; op(A) is [M,K], op(B) is [K,N] */                       \
  X(gemm, (bool ta, bool tb, int M, int N, int K, float alpha, const float* A, int lda, const float* B,      \
           int ldb, float beta, float* C, int ldc),                                                         \
    (ta, tb, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc))                                                 \
  /* loss[r] = -log softmax(x[r])[label[r]]; grad[r] = (softmax - onehot)·scale; bad labels throw */         \
  X(softmax_xent, (const float* logits, const float* labels, float* loss, float* grad, int rows, int cols,   \
                   float grad_scale),                                                                       \
    (logits, labels, loss, grad, rows, cols, grad_scale))                                                   \
  X(log_softmax, (const float* x, float* y, int rows, int cols), (x, y, rows, cols))

// ---- spiking neurons (docs/neurons.md) and the element ops of the BPTT tape --------------------
#define EXO_NEURON_OPS(X)                                                                                   \
  /* state [N]: v0 in, v_post[T-1] out; s, v [T, N]: spikes and pre-reset potentials */                     \
  X(lif_forward, (const LifConfig& c, LifParams p, const float* x, float* state, float* s, float* v),       \
    (c, p, x, state, s, v))                                                                                 \
  /* h = ∂L/∂v or null; x only for ∂α with norm_input; dv0, dalpha [N] optional (summed over t) */          \
  X(lif_backward, (const LifConfig& c, NeuronGrad method, LifParams p, const float* g, const float* h,       \
                   const float* v, const float* x, const float* v0, float* dx, float* dv0, float* dalpha),  \
    (c, method, p, g, h, v, x, v0, dx, dv0, dalpha))                                                        \
  X(expleak_forward, (const ExpLeakConfig& c, const float* beta, const float* x, float* state, float* i),     \
    (c, beta, x, state, i))                                                                                 \
  X(expleak_backward, (const ExpLeakConfig& c, const float* beta, const float* grad_i, const float* i,       \
                       const float* i0, float* dx, float* di0, float* dbeta),                               \
    (c, beta, grad_i, i, i0, dx, di0, dbeta))                                                               \
  X(srm_forward, (const SrmConfig& c, const float* eps, const float* nu, const float* a, float* s, float* u), \
    (c, eps, nu, a, s, u))                                                                                  \
  /* q [T, N] workspace (σ·ψ on return) */                                                                  \
  X(srm_backward, (const SrmConfig& c, NeuronGrad method, const float* eps, const float* nu, const float* g, \
                   const float* u, float* q, float* da),                                                    \
    (c, method, eps, nu, g, u, q, da))                                                                      \
  /* vs, bs [N]: (v, b) state in, out; s, v, b [T, N]: spikes, pre-reset potentials, adaptation */         \
  X(alif_forward, (const AlifConfig& c, AlifParams p, const float* x, float* vs, float* bs, float* s, float* v,  \
                   float* b),                                                                               \
    (c, p, x, vs, bs, s, v, b))                                                                             \
  /* v0 [N] the v state the forward started from; dv0, db0 [N] and the parameter gradients optional */      \
  X(alif_backward, (const AlifConfig& c, NeuronGrad method, AlifParams p, const float* g, const float* v,    \
                    const float* b, const float* v0, float* dx, float* dv0, float* db0, AlifGrads grads),   \
    (c, method, p, g, v, b, v0, dx, dv0, db0, grads))                                                       \
  /* CubaLIF (kernels/cuba.cuh): vs, is [N] (v, i) state in, out; s, v, i [T, N]: spikes, pre-reset        \
     potentials, currents; parameters alpha_syn, alpha, theta [P] */                                        \
  X(cuba_forward, (const LifConfig& c, const float* alpha_syn, const float* alpha, const float* theta,       \
                   const float* x, float* vs, float* is, float* s, float* v, float* i),                     \
    (c, alpha_syn, alpha, theta, x, vs, is, s, v, i))                                                       \
  /* v0, i0 [N] the state the forward started from; dv0, di0, dalpha_syn, dalpha [N] optional */           \
  X(cuba_backward, (const LifConfig& c, NeuronGrad method, const float* alpha_syn, const float* alpha,      \
                    const float* theta, const float* g, const float* v, const float* i, const float* v0,    \
                    const float* i0, float* dx, float* dv0, float* di0, float* dalpha_syn, float* dalpha), \
    (c, method, alpha_syn, alpha, theta, g, v, i, v0, i0, dx, dv0, di0, dalpha_syn, dalpha))               \
  /* adLIF (kernels/adlif.cuh): vs, ws [N] (v, w) state in, out; s, v, w [T, N]: spikes, pre-reset        \
     potentials, adaptation; parameters alpha, beta, a, b, theta [P] */                                     \
  X(adlif_forward, (const LifConfig& c, const float* alpha, const float* beta, const float* a, const float* b, \
                    const float* theta, const float* x, float* vs, float* ws, float* s, float* v, float* w),  \
    (c, alpha, beta, a, b, theta, x, vs, ws, s, v, w))                                                      \
  /* x, v, w [T, N] of the forward; v0, w0 [N] its initial state; dv0, dw0 and the gradients [N] optional */ \
  X(adlif_backward, (const LifConfig& c, NeuronGrad method, const float* alpha, const float* beta,          \
                     const float* a, const float* b, const float* theta, const float* g, const float* x,     \
                     const float* v, const float* w, const float* v0, const float* w0, float* dx, float* dv0, \
                     float* dw0, float* dalpha, float* dbeta, float* da, float* db),                       \
    (c, method, alpha, beta, a, b, theta, g, x, v, w, v0, w0, dx, dv0, dw0, dalpha, dbeta, da, db))         \
  X(spike_fn, (const float* v, float* s, size_t n, const float* theta, size_t P, int multi, float max_spikes), \
    (v, s, n, theta, P, multi, max_spikes))                                                                 \
  /* y = σ(v)·g */                                                                                          \
  X(surrogate_grad, (Surrogate sg, const float* v, const float* g, float* y, size_t n, const float* theta,  \
                     size_t P, float scale, float width),                                                   \
    (sg, v, g, y, n, theta, P, scale, width))                                                               \
  /* recurrent LIF (neurons.h RlifConfig): vs, ss [N] the (v, s) state in, out; s, v [T, N] */              \
  X(rlif_forward, (const RlifConfig& c, RlifParams p, const float* x, float* vs, float* ss, float* s,       \
                   float* v),                                                                               \
    (c, p, x, vs, ss, s, v))                                                                                \
  /* h = ∂L/∂v or null; v0, s0 [N] the state the forward started from; dv0, ds0 [N] optional */             \
  X(rlif_backward, (const RlifConfig& c, NeuronGrad method, RlifParams p, const float* g, const float* h,    \
                    const float* v, const float* v0, const float* s0, float* dx, float* dv0, float* ds0,    \
                    RlifGrads grads),                                                                       \
    (c, method, p, g, h, v, v0, s0, dx, dv0, ds0, grads))

// ---- layer ops: batched GEMM, convolution, pooling, optimisers, dropout, data ------------------
#define EXO_LAYER_OPS(X)                                                                                    \
  /* C_b = alpha op(A_b) op(B_b) + beta C_b; X_b = X + b·strideX (stride 0 broadcasts; strideC 0 sums: */ \
  /* C = alpha Σ_b op(A_b) op(B_b) + beta C, the products added in order on the CPU) */                   \
  X(gemm_batched, (bool ta, bool tb, int M, int N, int K, float alpha, const float* A, int lda, size_t sa,   \
                   const float* B, int ldb, size_t sb, float beta, float* C, int ldc, size_t sc, int batch), \
    (ta, tb, M, N, K, alpha, A, lda, sa, B, ldb, sb, beta, C, ldc, sc, batch))                              \
  /* `count` images [C, H, W] <-> count x [C·kh·kw, Ho·Wo]; col2im overwrites dx */                         \
  X(im2col, (const float* x, float* cols, const k::ConvGeom& g, int count), (x, cols, g, count))            \
  X(col2im, (const float* cols, float* dx, const k::ConvGeom& g, int count), (cols, dx, g, count))          \
  /* planes of [H, W] -> [Ho, Wo]; arg (max only): the winning input index per output */                    \
  X(pool2d, (bool is_max, const float* x, float* y, float* arg, const k::PoolGeom& g, size_t planes),       \
    (is_max, x, y, arg, g, planes))                                                                         \
  X(pool2d_backward, (bool is_max, const float* dy, const float* arg, float* dx, const k::PoolGeom& g,       \
                      size_t planes),                                                                       \
    (is_max, dy, arg, dx, g, planes))                                                                       \
  X(adam_step, (float* p, const float* g, float* m, float* v, size_t n, const k::AdamConfig& c),            \
    (p, g, m, v, n, c))                                                                                     \
  /* mask[i] = (hash_uniform(seed, i) >= p) / (1 - p): inverted dropout */                                  \
  X(dropout_mask, (float* mask, size_t n, float p, unsigned long long seed), (mask, n, p, seed))            \
  /* y[i] = x[i] · mask[i] without the mask (its factors recomputed from the seed); y may be x */            \
  X(dropout_apply, (const float* x, float* y, size_t n, float p, unsigned long long seed), (x, y, n, p, seed)) \
  /* one sample's sparse frames into column b of a dense [T, B, F] (kernels/scatter.cuh); index and        \
     count are host arrays (uploaded first on CUDA) */                                                      \
  X(scatter_frames, (float* dst, int T, int B, int F, int b, const uint32_t* index, const uint32_t* count,   \
                     size_t n),                                                                             \
    (dst, T, B, F, b, index, count, n))                                                                     \
  /* every column b of a batch from index[b]/count[b] of n[b] events: on CUDA one packed pinned upload     \
     and one kernel on the default stream, no wait for the device */                                        \
  X(scatter_batch, (float* dst, int T, int B, int F, const uint32_t* const* index,                          \
                    const uint32_t* const* count, const size_t* n),                                         \
    (dst, T, B, F, index, count, n))

// ---- spike-sparse products (kernels/sparse.cuh) and the max-over-time readout's backward -------
#define EXO_SPARSE_OPS(X)                                                                                   \
  /* out[0] = the number of nonzero x[i] (a float: exact up to 2^24, then rounded) */                      \
  X(count_nonzero, (const float* x, size_t n, float* out), (x, n, out))                                     \
  /* y [R, Out] = s [R, F] · wᵀ, w [Out, F], from the nonzeros of s */                                      \
  X(sparse_linear_forward, (const float* s, int R, int F, const float* w, int Out, float* y),                \
    (s, R, F, w, Out, y))                                                                                   \
  /* dw [Out, F] += gᵀ · s, g [R, Out], from the nonzeros of s */                                           \
  X(sparse_linear_weight_grad, (const float* g, const float* s, int R, int F, int Out, float* dw),          \
    (g, s, R, F, Out, dw))                                                                                  \
  /* y [count, cout, Ho, Wo] = conv(x [count, C, H, W], w [cout, C, kh, kw]), from the nonzeros of x */      \
  X(sparse_conv_forward, (const float* x, const float* w, float* y, const k::ConvGeom& g, int cout,         \
                          int count),                                                                       \
    (x, w, y, g, cout, count))                                                                              \
  /* dw [cout, C, kh, kw] += the conv weight gradient for dy [count, cout, Ho, Wo] */                       \
  X(sparse_conv_weight_grad, (const float* x, const float* dy, float* dw, const k::ConvGeom& g, int cout,   \
                              int count),                                                                   \
    (x, dy, dw, g, cout, count))                                                                            \
  /* dy [T, n] = g [n] where t == arg [n] (float step indices), else 0 */                                   \
  X(max_time_backward, (const float* arg, const float* g, float* dy, int T, size_t n), (arg, g, dy, T, n))

// The ops every backend with a device has (CUDA kernels beside the CPU's).
#define EXO_BACKEND_OPS(X) EXO_CORE_OPS(X) EXO_NEURON_OPS(X) EXO_RECURRENT_OPS(X) EXO_LAYER_OPS(X) EXO_SPARSE_OPS(X)
// Every entry of the table: those and the CPU's host-memory speed paths (host_ops.h).
#define EXO_ALL_OPS(X) EXO_BACKEND_OPS(X) EXO_HOST_OPS(X)

#define EXO_UNPACK(...) __VA_ARGS__

namespace exo {

namespace cpu {
#define EXO_DECLARE_CPU(name, params, args) void name(EXO_UNPACK params);
EXO_ALL_OPS(EXO_DECLARE_CPU)
#undef EXO_DECLARE_CPU
}  // namespace cpu

namespace gpu {
#define EXO_DECLARE_GPU(name, params, args) void name(int dev, EXO_UNPACK params);
EXO_BACKEND_OPS(EXO_DECLARE_GPU)
#undef EXO_DECLARE_GPU
}  // namespace gpu

// Every entry by name, in table order; op_name(op) is its name as JavaScript sees it too.
enum class Op : int {
#define EXO_OP_ENUM(name, params, args) name,
  EXO_ALL_OPS(EXO_OP_ENUM)
#undef EXO_OP_ENUM
  Count
};
const char* op_name(Op op);

// One backend: a function per op, each taking the device index first (the CPU ignores it), and
// whether it has the op (an entry it lacks throws a clear error instead of computing).
struct Backend {
  const char* name;
#define EXO_MEMBER(name, params, args) void (*name)(int dev, EXO_UNPACK params);
  EXO_ALL_OPS(EXO_MEMBER)
#undef EXO_MEMBER
  bool has[(int)Op::Count];
  bool supports(Op op) const { return has[(int)op]; }
};

const Backend& cpu_backend();
// The CUDA backend, or in a build without nvcc a table whose every entry throws a clear error.
const Backend& cuda_backend();
inline const Backend& on(Device dev) { return dev.cpu() ? cpu_backend() : cuda_backend(); }

}  // namespace exo
