// The fiber switch of the emulated device (see fiber.h): x86-64 System V, hand-written.
#include "fiber.h"

#include <sys/mman.h>

#include <cstdint>
#include <cstdlib>
#include <new>

#if !defined(__x86_64__)
#error "the emulated CUDA device's fiber switch is written for x86-64 only"
#endif

// exo_emu_switch(from = rdi, to = rsi): push the callee-saved registers and the x87/SSE control
// words (kernels do not change them, but a fiber must not leak them), save rsp, load the other.
asm(R"(
  .text
  .globl exo_emu_switch
  .type exo_emu_switch, @function
exo_emu_switch:
  .cfi_startproc
  pushq %rbp
  pushq %rbx
  pushq %r12
  pushq %r13
  pushq %r14
  pushq %r15
  subq $16, %rsp
  stmxcsr 8(%rsp)
  fnstcw (%rsp)
  movq %rsp, (%rdi)
  movq %rsi, %rsp
  fldcw (%rsp)
  ldmxcsr 8(%rsp)
  addq $16, %rsp
  popq %r15
  popq %r14
  popq %r13
  popq %r12
  popq %rbx
  popq %rbp
  ret
  .cfi_endproc
  .size exo_emu_switch, .-exo_emu_switch
)");

namespace exo {
namespace emu {

void* fiber_prepare(char* base, size_t size, void (*entry)()) {
  // From the top: a zero return address for entry (so it is entered with rsp = 8 mod 16, as
  // after a call), entry itself (where the switch's ret goes), six registers, the control words.
  uintptr_t top = (reinterpret_cast<uintptr_t>(base) + size) & ~uintptr_t(15);
  uint64_t* sp = reinterpret_cast<uint64_t*>(top);
  *--sp = 0;
  *--sp = reinterpret_cast<uint64_t>(entry);
  for (int i = 0; i < 6; ++i) *--sp = 0;
  uint32_t mxcsr;
  uint16_t fpucw;
  asm volatile("stmxcsr %0" : "=m"(mxcsr));
  asm volatile("fnstcw %0" : "=m"(fpucw));
  *--sp = mxcsr;
  *--sp = fpucw;
  return sp;
}

StackPool::~StackPool() {
  for (size_t i = 0; i < nfree_; ++i) munmap(free_[i] - 4096, size_ + 4096);
  std::free(free_);
}

char* StackPool::take() {
  if (nfree_) return free_[--nfree_];
  // A guard page below the stack: an overflow faults instead of corrupting a neighbour.
  void* p = mmap(nullptr, size_ + 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (p == MAP_FAILED) throw std::bad_alloc();
  mprotect(p, 4096, PROT_NONE);
  return static_cast<char*>(p) + 4096;
}

void StackPool::give(char* s) {
  if (nfree_ == cap_) {
    size_t cap = cap_ ? 2 * cap_ : 64;
    char** f = static_cast<char**>(std::realloc(free_, cap * sizeof(char*)));
    if (!f) {
      munmap(s - 4096, size_ + 4096);
      return;
    }
    free_ = f;
    cap_ = cap;
  }
  free_[nfree_++] = s;
}

}  // namespace emu
}  // namespace exo
