// The sizes at which the CUDA code changes path, in one place. Under the emulated device
// (EXODUS_CUDA=emulate) they shrink, so that the paths a GPU takes only at billions of elements
// (the grid-stride loop's second lap, the 64-bit index arithmetic, several launches over the grid's
// z limit, a staging slot waited for) run at the sizes of the ordinary self-checks.
#pragma once
#include <cstddef>

namespace exo {
namespace gpu {
namespace limits {

#ifdef EXODUS_CUDA_EMULATE
constexpr size_t kGridStrideBlocks = 16;       // blocks of an element-wise grid; loops cover the rest
constexpr unsigned long long kIndex32 = 0x7fff;  // the largest count indexed in 32-bit arithmetic
constexpr int kGridZ = 3;                        // products of a batched GEMM per launch
constexpr unsigned kGridY = 5;                   // rows of a row reduction per launch
constexpr size_t kPinnedCap = size_t(64) << 10;  // bytes of pinned staging for batch uploads
constexpr size_t kPinnedMinSlot = 256;           // uint32 elements of the smallest staging slot
#else
constexpr size_t kGridStrideBlocks = 65535u * 32u;
constexpr unsigned long long kIndex32 = 0xffffffffull;
constexpr int kGridZ = 65535;  // the grid's z limit
constexpr unsigned kGridY = 65535;  // the grid's y limit
constexpr size_t kPinnedCap = size_t(64) << 20;
constexpr size_t kPinnedMinSlot = size_t(1) << 16;
#endif

}  // namespace limits
}  // namespace gpu
}  // namespace exo
