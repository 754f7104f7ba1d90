// 64-byte-aligned host blocks from plain malloc, for tensors and scratch buffers.
//
// glibc's aligned_alloc (2.36 and older) asks malloc for the size plus the alignment, more than a
// freed block of the same size holds, so it never reuses one: it carves a new block from the top
// of the heap, and when anything long-lived was allocated after the freed one (the wrappers of
// tensors awaiting the garbage collector's finaliser, in a synchronous loop) the heap grows by a
// block per call. malloc reuses a freed block of the same size; the alignment is done here, with
// malloc's own pointer kept just before the aligned one.
#pragma once
#include <cstddef>
#include <cstdint>
#include <cstdlib>

namespace exo {

inline float* aligned_host_alloc(size_t bytes) {
  void* raw = std::malloc(bytes + 64 + sizeof(void*));
  if (!raw) return nullptr;
  uintptr_t p = (reinterpret_cast<uintptr_t>(raw) + sizeof(void*) + 63) / 64 * 64;
  reinterpret_cast<void**>(p)[-1] = raw;
  return reinterpret_cast<float*>(p);
}

inline void aligned_host_free(float* p) {
  if (p) std::free(reinterpret_cast<void**>(p)[-1]);
}

}  // namespace exo
