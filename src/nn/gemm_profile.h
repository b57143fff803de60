/* gemm_profile.h — where the product time goes, shape by shape: while
 * profiling is on, every gemm() call's wall time is summed per (transposes,
 * M, N, K, precision). For nmt-bench train --profile (docs/performance.md);
 * off, it costs gemm() one test of a flag. */
#ifndef NMT_GEMM_PROFILE_H
#define NMT_GEMM_PROFILE_H

typedef struct {
    int ta, tb, M, N, K;
    int precision; /* GemmPrecision it ran at */
    long calls;
    double seconds; /* summed over the threads that ran it */
} GemmShapeTime;

/* Start (clearing what was summed) or stop. Call outside parallel regions. */
void gemm_profile(int on);
/* The shapes seen, most time first, at most max of them; returns how many
 * there are in all (shapes beyond the first 4,096 are summed as one row with
 * M = N = K = 0). */
int gemm_profile_read(GemmShapeTime *out, int max);

/* For gemm(): 1 while profiling, and the time of one call. */
extern int gemm_profiling;
void gemm_profile_add(int ta, int tb, int M, int N, int K, int precision, double seconds);

#endif
