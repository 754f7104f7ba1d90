// Which optional instruction sets the CPU backend may use at run time. The addon is built for AVX2
// (portable); a few hot loops also have an AVX-512 twin (cpu/gemm_avx512.cc, the plain LIF
// backward in cpu/lif.cc, the delay window's ∂x block and correlation from the spikes in
// cpu/delay_window_dx_avx512.cc and cpu/delay_window_events.cc, the recurrent backward's R = Λ·V
// tile in cpu/packed_rows_gemm_avx512.cc, the RLIF exponential adjoint in
// cpu/exp_adjoint_avx512.cc, the direct conv ∂x blocks in cpu/conv_direct_avx512.cc) that
// computes the same operations in the same order, 16 lanes per
// instruction, and is taken only on a CPU (and OS) with AVX-512.
#pragma once

#if (defined(__x86_64__) || defined(__i386__)) && defined(__GNUC__) && defined(__AVX2__) && defined(__FMA__)
#define EXO_CPU_AVX512_SCANS 1
#else
#define EXO_CPU_AVX512_SCANS 0
#endif

namespace exo {
namespace cpu {

// Whether the AVX-512 twins may run: the CPU and OS support AVX-512F, and EXODUS_AVX512 is unset
// or 1 (0 turns them off, to compare or to rule them out; results are the same bits either way).
// Read once per process. Throws for another value of EXODUS_AVX512.
bool cpu_avx512_enabled();

}  // namespace cpu
}  // namespace exo
