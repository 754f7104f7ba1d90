// The C++ API of the exodus addon: devices, buffers and ops. No N-API types here: binding.cc
// translates. Every function validates what would crash and throws exo::Error; nothing aborts.
#pragma once
#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

namespace exo {

struct Error : std::runtime_error {
  using std::runtime_error::runtime_error;
};

enum class DevType : int { CPU = 0, CUDA = 1 };

struct Device {
  DevType type = DevType::CPU;
  int index = 0;
  bool cpu() const { return type == DevType::CPU; }
};

// A float32 allocation on one device. Views (offsets, shapes) are handled by the caller.
struct Buffer {
  float* data = nullptr;
  size_t size = 0;  // elements
  Device dev;
};

// ---- element-wise op codes (values shared with lib/native.ts) --------------------------------
enum class Unary : int {
  Copy = 0, Neg, Exp, Log, Abs, Sqrt, Square, Relu, Sigmoid, Tanh,
  Affine,   // a*x + b
  Clamp,    // min(max(x, a), b)
  Pow,      // x^a
  Step,     // x >= a ? 1 : 0
  Reciprocal,
  Count
};
enum class Binary : int { Add = 0, Sub, Mul, Div, Max, Min, Count };
enum class Reduce : int { Sum = 0, Mean, Max, Min, Argmax, Argmin, Count };

// ---- memory ------------------------------------------------------------------------------------
Buffer alloc(Device dev, size_t n);
void release(Buffer& b);
// Copy n floats between any two devices (host memory is addressed as Device{CPU}).
void copy(const float* src, Device src_dev, float* dst, Device dst_dev, size_t n);
void synchronize(Device dev);

// ---- ops: pointers must belong to `dev`; sizes are element counts -----------------------------
void fill(Device dev, float* y, size_t n, float v);
void unary(Device dev, Unary op, const float* x, float* y, size_t n, float a, float b);
// y[i] = op(x[i], w[(i / inner) % nb]): w broadcast over the leading and trailing axes of x.
void binary(Device dev, Binary op, const float* x, const float* w, float* y, size_t n, size_t nb,
            size_t inner);
// y = alpha*x + beta*y
void axpby(Device dev, float alpha, const float* x, float beta, float* y, size_t n);
// x viewed as [outer, axis, inner] -> y [outer, inner]; arg ops write float indices.
void reduce(Device dev, Reduce op, const float* x, float* y, size_t outer, size_t axis, size_t inner);
// C[M,N] = alpha * op(A) op(B) + beta * C, row-major; op(A) is [M,K], op(B) is [K,N].
void gemm(Device dev, bool trans_a, bool trans_b, int M, int N, int K, float alpha, const float* A,
          int lda, const float* B, int ldb, float beta, float* C, int ldc);
// Row-wise softmax cross-entropy over [rows, cols] logits with float class labels.
// loss[r] = -log softmax(x[r])[label[r]];  grad[r] = (softmax(x[r]) - onehot(label[r])) * grad_scale.
// Labels outside [0, cols) are rejected with an error naming the row.
void softmax_xent(Device dev, const float* logits, const float* labels, float* loss, float* grad,
                  int rows, int cols, float grad_scale);
void log_softmax(Device dev, const float* x, float* y, int rows, int cols);

// ---- runtime information -----------------------------------------------------------------------
struct CudaInfo {
  bool compiled = false;
  std::string archs;
  int runtime_version = 0;
  int driver_version = 0;
  int device_count = 0;
  std::string reason;  // why no device is usable, when device_count == 0
};
struct CudaDeviceInfo {
  std::string name;
  int major = 0, minor = 0;
  size_t total_mem = 0;
  int sm_count = 0;
};
CudaInfo cuda_info();
CudaDeviceInfo cuda_device_info(int index);
struct AllocatorStats {
  size_t in_use = 0, cached = 0, peak = 0, mallocs = 0;
};
AllocatorStats cuda_allocator_stats(int index);
void cuda_empty_cache();
int cpu_threads();
void set_cpu_threads(int n);

namespace cpu {
void fill(float* y, size_t n, float v);
void unary(Unary op, const float* x, float* y, size_t n, float a, float b);
void binary(Binary op, const float* x, const float* w, float* y, size_t n, size_t nb, size_t inner);
void axpby(float alpha, const float* x, float beta, float* y, size_t n);
void reduce(Reduce op, const float* x, float* y, size_t outer, size_t axis, size_t inner);
void gemm(bool ta, bool tb, int M, int N, int K, float alpha, const float* A, int lda,
          const float* B, int ldb, float beta, float* C, int ldc);
void softmax_xent(const float* logits, const float* labels, float* loss, float* grad, int rows,
                  int cols, float grad_scale);
void log_softmax(const float* x, float* y, int rows, int cols);
}  // namespace cpu

namespace gpu {
bool compiled();
Buffer alloc(int index, size_t n);
void release(Buffer& b);
void copy(const float* src, Device sd, float* dst, Device dd, size_t n);
void synchronize(int index);
void fill(int dev, float* y, size_t n, float v);
void unary(int dev, Unary op, const float* x, float* y, size_t n, float a, float b);
void binary(int dev, Binary op, const float* x, const float* w, float* y, size_t n, size_t nb,
            size_t inner);
void axpby(int dev, float alpha, const float* x, float beta, float* y, size_t n);
void reduce(int dev, Reduce op, const float* x, float* y, size_t outer, size_t axis, size_t inner);
void gemm(int dev, bool ta, bool tb, int M, int N, int K, float alpha, const float* A, int lda,
          const float* B, int ldb, float beta, float* C, int ldc);
void softmax_xent(int dev, const float* logits, const float* labels, float* loss, float* grad,
                  int rows, int cols, float grad_scale);
void log_softmax(int dev, const float* x, float* y, int rows, int cols);
CudaInfo info();
CudaDeviceInfo device_info(int index);
AllocatorStats allocator_stats(int index);
void empty_cache();
}  // namespace gpu

}  // namespace exo
