/* blas.c — see blas.h. */
#define _POSIX_C_SOURCE 200809L
#include "blas.h"

#include <cblas.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The best OpenBLAS kernel family this CPU can run, or NULL if we have no
 * opinion (then OpenBLAS' own choice stands). */
static const char *best_coretype(void) {
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
        __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512dq"))
        return "SkylakeX";
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return "Haswell";
    return NULL;
}

static int name_in(const char *name, const char *const *list) {
    for (; *list; list++)
        if (strcmp(name, *list) == 0) return 1;
    return 0;
}

/* Is OpenBLAS' chosen kernel family as good as `best`? */
static int kernels_ok(const char *chosen, const char *best) {
    static const char *const avx512[] = {"SkylakeX", "Cooperlake", "SapphireRapids", NULL};
    static const char *const avx2[] = {"Haswell", "Zen", "SkylakeX", "Cooperlake", "SapphireRapids", NULL};
    if (!best) return 1;
    if (strcmp(best, "SkylakeX") == 0) return name_in(chosen, avx512);
    return name_in(chosen, avx2);
}

void blas_setup(char **argv) {
    const char *chosen = openblas_get_corename();
    const char *best = best_coretype();
    if (!getenv("OPENBLAS_CORETYPE") && chosen && !kernels_ok(chosen, best)) {
        setenv("OPENBLAS_CORETYPE", best, 1);
        execv("/proc/self/exe", argv);
        /* If re-execution is impossible, go on with the slower kernels. */
    }
    openblas_set_num_threads(1);
}

const char *blas_kernel_name(void) {
    const char *name = openblas_get_corename();
    return name ? name : "unknown";
}

void gemm(int ta, int tb, int M, int N, int K, float alpha, const float *A, int lda, const float *B, int ldb,
          float beta, float *C, int ldc) {
    if (M <= 0 || N <= 0) return;
    if (K <= 0) { /* cblas would be fine, but keep beta semantics explicit */
        for (int i = 0; i < M; i++)
            for (int j = 0; j < N; j++) C[(size_t)i * ldc + j] = beta == 0.0f ? 0.0f : beta * C[(size_t)i * ldc + j];
        return;
    }
    cblas_sgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans, M, N, K, alpha, A, lda,
                B, ldb, beta, C, ldc);
}
