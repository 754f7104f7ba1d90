// Deliberately broken kernels, compiled only by test/emu/emulated-device.test.ts (g++ against
// cuda/emu): each shows that the emulated device catches one class of bug a GPU would let pass
// silently or report without a place. `broken_kernels CASE` prints one line:
//   CASE <cudaGetErrorName of the launch or of the synchronising call> <cudaGetErrorString>
// or, for the cases that compute, CASE ok/WRONG with the values. Launches go through the
// project's own EXO_LAUNCH macro (cuda/gpu/check.cuh).
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "gpu/check.cuh"

namespace {

// A correct block sum with both shuffles and barriers: no false alarm on correct code.
__global__ void block_sum(const float* x, float* out, int n) {
  __shared__ float warp_sums[32];
  float v = 0.f;
  for (int i = blockIdx.x * blockDim.x + threadIdx.x; i < n; i += gridDim.x * blockDim.x) v += x[i];
  for (int off = 16; off > 0; off /= 2) v += __shfl_down_sync(0xffffffffu, v, off);
  if (threadIdx.x % 32 == 0) warp_sums[threadIdx.x / 32] = v;
  __syncthreads();
  if (threadIdx.x == 0) {
    float s = 0.f;
    for (unsigned w = 0; w < blockDim.x / 32; ++w) s += warp_sums[w];
    atomicAdd(out, s);
  }
}

// Bug: only the first half-warp reaches the barrier.
__global__ void skipped_barrier(float* y) {
  if (threadIdx.x < 16) __syncthreads();
  y[threadIdx.x] = 1.f;
}

// Bug: a full-mask shuffle in a block of 48 threads (its second warp has 16 lanes).
__global__ void partial_warp_shuffle(float* y) {
  float v = (float)threadIdx.x;
  v += __shfl_down_sync(0xffffffffu, v, 1);
  y[threadIdx.x] = v;
}

// Bug: a full-mask shuffle reached by half of the warp.
__global__ void divergent_shuffle(float* y) {
  float v = (float)threadIdx.x;
  if (threadIdx.x < 16) v += __shfl_down_sync(0xffffffffu, v, 1);
  y[threadIdx.x] = v;
}

// Bug: the bound check is off by one (reads x[n]).
__global__ void off_by_one(const float* x, float* y, int n) {
  int i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i <= n) y[i % n] = x[i];
}

__global__ void copy_kernel(const unsigned* src, unsigned* dst, int n) {
  int i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i < n) dst[i] = src[i];
}

void report(const char* name, cudaError_t e) {
  std::printf("%s %s %s\n", name, cudaGetErrorName(e), cudaGetErrorString(e));
}

// What a launch ended in: its own error, else the one the next synchronising call returns.
void report_run(const char* name) {
  cudaError_t e = cudaGetLastError();
  if (e == cudaSuccess) e = cudaDeviceSynchronize();
  report(name, e);
}

// The batch upload's pattern (cuda/gpu/nn_ops.cu): a pinned slot is reused once its event says
// the upload that read it has passed. Without the record the event never becomes pending, so the
// second batch overwrites the slot before the first upload has read it.
int stream_order(bool record) {
  const int n = 64;
  std::vector<unsigned*> host;
  unsigned* dev_in = nullptr;
  unsigned* out[2];
  cudaEvent_t ev;
  cudaEventCreateWithFlags(&ev, cudaEventDisableTiming);
  void* h = nullptr;
  cudaHostAlloc(&h, n * sizeof(unsigned), cudaHostAllocDefault);
  cudaMalloc(&dev_in, n * sizeof(unsigned));
  for (auto& o : out) cudaMalloc(&o, n * sizeof(unsigned));
  std::vector<void*> extra;
  for (int b = 0; b < 2; ++b) {
    unsigned* slot = static_cast<unsigned*>(h);
    unsigned* dslot = dev_in;
    if (cudaEventQuery(ev) != cudaSuccess) {  // in flight: take a fresh slot
      void* h2 = nullptr;
      void* d2 = nullptr;
      cudaHostAlloc(&h2, n * sizeof(unsigned), cudaHostAllocDefault);
      cudaMalloc(&d2, n * sizeof(unsigned));
      extra.push_back(h2);
      extra.push_back(d2);
      slot = static_cast<unsigned*>(h2);
      dslot = static_cast<unsigned*>(d2);
    }
    for (int i = 0; i < n; ++i) slot[i] = 1000u * (b + 1) + i;
    cudaMemcpyAsync(dslot, slot, n * sizeof(unsigned), cudaMemcpyHostToDevice, 0);
    EXO_LAUNCH(1, 64, copy_kernel)(dslot, out[b], n);
    if (record) cudaEventRecord(ev, 0);
  }
  unsigned got[2][64];
  for (int b = 0; b < 2; ++b) cudaMemcpy(got[b], out[b], sizeof got[b], cudaMemcpyDeviceToHost);
  bool ok = got[0][5] == 1005 && got[1][5] == 2005;
  std::printf("%s %s batch0[5]=%u batch1[5]=%u\n", record ? "stream-order-recorded" : "stream-order-missing-record",
              ok ? "ok" : "WRONG", got[0][5], got[1][5]);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  std::string c = argc > 1 ? argv[1] : "";
  float *x = nullptr, *y = nullptr;
  cudaMalloc(&x, 1000 * sizeof(float));
  cudaMalloc(&y, 1000 * sizeof(float));
  if (c == "ok") {
    std::vector<float> h(1000);
    for (int i = 0; i < 1000; ++i) h[i] = (float)(i % 7) - 3.f;
    float zero = 0.f, sum = 0.f, want = 0.f;
    for (float v : h) want += v;
    cudaMemcpy(x, h.data(), 1000 * sizeof(float), cudaMemcpyHostToDevice);
    cudaMemcpy(y, &zero, sizeof zero, cudaMemcpyHostToDevice);
    EXO_LAUNCH(3, 128, block_sum)(x, y, 1000);
    cudaError_t e = cudaGetLastError();
    if (e == cudaSuccess) e = cudaMemcpy(&sum, y, sizeof sum, cudaMemcpyDeviceToHost);
    std::printf("ok %s sum=%g want=%g\n", e == cudaSuccess && sum == want ? "ok" : "WRONG", sum, want);
  } else if (c == "zero-grid") {
    EXO_LAUNCH(0, 128, skipped_barrier)(y);
    report("zero-grid", cudaGetLastError());
  } else if (c == "grid-y") {
    EXO_LAUNCH(dim3(1, 70000), 32, skipped_barrier)(y);
    report("grid-y", cudaGetLastError());
  } else if (c == "block-size") {
    EXO_LAUNCH(1, 2048, skipped_barrier)(y);
    report("block-size", cudaGetLastError());
  } else if (c == "barrier") {
    EXO_LAUNCH(2, 64, skipped_barrier)(y);
    report_run("barrier");
  } else if (c == "partial-warp") {
    EXO_LAUNCH(1, 48, partial_warp_shuffle)(y);
    report_run("partial-warp");
  } else if (c == "divergent-shuffle") {
    EXO_LAUNCH(1, 32, divergent_shuffle)(y);
    report_run("divergent-shuffle");
  } else if (c == "oob") {
    float* a = nullptr;
    cudaMalloc(&a, 100 * sizeof(float));  // exactly 100: the overread leaves the allocation
    EXO_LAUNCH(1, 128, off_by_one)(a, y, 100);
    report("oob", cudaDeviceSynchronize());
  } else if (c == "stream-order") {
    stream_order(true);
    stream_order(false);
  } else {
    std::fprintf(stderr, "unknown case '%s'\n", c.c_str());
    return 2;
  }
  return 0;
}
