// Fibers for the emulated device: one per thread of a block, switched by hand at barriers and
// shuffles. swapcontext would make a system call (the signal mask) per switch; a block of 256
// threads crossing two barriers per GEMM tile switches thousands of times per block.
#pragma once
#include <cstddef>

namespace exo {
namespace emu {

// Saves the callee-saved registers on the current stack, stores the stack pointer in *from,
// and continues on the stack `to` (one prepared by fiber_prepare or saved by an earlier switch).
extern "C" void exo_emu_switch(void** from, void* to);

// A stack pointer that, switched to, calls entry() on [base, base + size). entry must never return.
void* fiber_prepare(char* base, size_t size, void (*entry)());

// Stacks of one size, reused: a thread's stack is needed only while the thread is live.
class StackPool {
 public:
  explicit StackPool(size_t size) : size_(size) {}
  ~StackPool();
  char* take();
  void give(char* s);
  size_t size() const { return size_; }

 private:
  size_t size_;
  char** free_ = nullptr;
  size_t nfree_ = 0, cap_ = 0;
};

}  // namespace emu
}  // namespace exo
