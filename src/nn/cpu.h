/* cpu.h — one portable build that still uses the best instructions of the
 * CPU it runs on.
 *
 * The default build targets the x86-64 baseline, so it runs on any x86-64
 * CPU. The matrix products are OpenBLAS's, which picks its kernels at run
 * time (see blas.h). The project's own hot loops — the GRU gates, the
 * attention scores, the softmax sums — are marked NMT_HOT: GCC compiles
 * them three times (AVX-512 as in x86-64-v4, AVX2+FMA as in x86-64-v3,
 * and the baseline) and the dynamic loader binds the best one the CPU
 * supports, once, at start-up (an ifunc), so a call costs what it did.
 *
 * The build is ISO C (-std=c11), where GCC contracts no a*b+c into an FMA,
 * so every clone computes what a -march=native build computes, byte for
 * byte, as tests/compat checks.
 *
 * No clones when the compiler already targets AVX2 or better (make
 * NATIVE=1), under the sanitizers (AddressSanitizer's and ThreadSanitizer's
 * run-times start after the ifunc resolvers run, and an instrumented
 * resolver called before them crashes the program before main), or off
 * x86-64 and GCC/ELF. */
#ifndef NMT_CPU_H
#define NMT_CPU_H

#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__) && defined(__ELF__) && !defined(__AVX2__) && \
    !defined(__SANITIZE_ADDRESS__) && !defined(__SANITIZE_THREAD__) && !defined(NMT_NO_CLONES)
#define NMT_HOT __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
#else
#define NMT_HOT
#endif

/* A helper that sits in the hot loop of NMT_HOT functions must be inlined
 * into each clone: a copy GCC leaves out of line is compiled for the
 * baseline only (SSE2), whatever clone calls it. */
#define NMT_INLINE static inline __attribute__((always_inline))

#endif
