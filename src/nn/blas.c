/* blas.c — see blas.h: backend choice, OpenBLAS set-up and the gemm() entry. */
#define _POSIX_C_SOURCE 200809L
#include "blas.h"

#include <cblas.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "nn/gemm_impl.h"
#include "nn/gemm_profile.h"
#include "sys/util.h"

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

/* ---- backend and precision, read from the environment once ---- */

static GemmBackend backend = GEMM_DNNL;
static GemmPrecision precision = GEMM_FP32;
static pthread_once_t env_once = PTHREAD_ONCE_INIT;

static int precision_from_env; /* NMT_GEMM_PRECISION named it */
/* Why NMT_GEMM or NMT_GEMM_PRECISION was refused ("" when both are fine):
 * kept rather than acted on, because a library must not end its host; the
 * tools die with it in blas_setup(), nmt_model_load() returns it. */
static char env_error[256];
static int dnnl_missing; /* oneDNN was asked for but has no CPU engine here */

static void read_env(void) {
    const char *b = getenv("NMT_GEMM"), *p = getenv("NMT_GEMM_PRECISION");
    if (b && *b) {
        if (!strcmp(b, "openblas")) backend = GEMM_OPENBLAS;
        else if (!strcmp(b, "dnnl") || !strcmp(b, "onednn")) backend = GEMM_DNNL;
        else snprintf(env_error, sizeof env_error, "NMT_GEMM=%s: expected openblas or dnnl", b);
    }
    if (p && *p) {
        if (gemm_parse_precision(p, &precision) == 0) precision_from_env = 1;
        else if (!env_error[0])
            snprintf(env_error, sizeof env_error, "NMT_GEMM_PRECISION=%s: expected fp32, bf16 or int8", p);
    }
    if (backend == GEMM_DNNL && !gemm_dnnl_available()) {
        dnnl_missing = 1;
        backend = GEMM_OPENBLAS;
    }
}

static void ready(void) { pthread_once(&env_once, read_env); }

/* ---- int8: can this CPU and oneDNN run it (examined once)? ---- */

static pthread_once_t int8_once = PTHREAD_ONCE_INIT;
static char int8_why[160]; /* "" when they can */
static atomic_long int8_refused;

static void int8_check(void) {
    int vnni = 0;
    if (!gemm_dnnl_available()) {
        snprintf(int8_why, sizeof int8_why, "oneDNN has no CPU engine here");
        return;
    }
    const char *isa = gemm_dnnl_isa(&vnni);
    /* without VNNI oneDNN would pair the byte products in 16-bit sums
     * (vpmaddubsw), which saturate: not the exact sums gemm_int8 needs */
    if (!vnni) snprintf(int8_why, sizeof int8_why, "oneDNN's instruction set here is %s, without VNNI", isa);
    else if (!gemm_dnnl_s8_works()) snprintf(int8_why, sizeof int8_why, "oneDNN refused an int8 product");
}

const char *gemm_int8_unavailable(void) {
    ready();
    if (backend != GEMM_DNNL) return "the products run on OpenBLAS, which has no int8 products";
    pthread_once(&int8_once, int8_check);
    return int8_why[0] ? int8_why : NULL;
}

GemmPrecision gemm_int8_fallback(void) {
    ready();
    /* bf16 where the CPU multiplies it natively: the quality of fp32 on the
     * Multi30k recipe (README, "Precision") at several times the product
     * rate; elsewhere it is emulated, no faster than fp32 */
    return backend == GEMM_DNNL && gemm_native_bf16() ? GEMM_BF16 : GEMM_FP32;
}

long gemm_int8_refused(void) { return atomic_load(&int8_refused); }

GemmBackend gemm_backend(void) { return ready(), backend; }
GemmPrecision gemm_precision(void) {
    ready();
    return precision == GEMM_INT8 && gemm_int8_unavailable() ? gemm_int8_fallback() : precision;
}

const char *gemm_env_error(void) {
    ready();
    return env_error[0] ? env_error : NULL;
}

int gemm_native_bf16(void) {
    __builtin_cpu_init();
    /* every CPU with AMX-BF16 so far also has AVX512_BF16 (and clang knows no "amx-bf16" here) */
    return __builtin_cpu_supports("avx512bf16");
}

GemmPrecision gemm_preferred_precision(void) {
    ready();
    if (precision_from_env) return precision;
    return gemm_int8_fallback();
}

const char *const GEMM_PRECISION_NAMES[] = {"fp32", "bf16", "int8", NULL};

int gemm_parse_precision(const char *name, GemmPrecision *p) {
    if (!strcmp(name, "fp32")) return *p = GEMM_FP32, 0;
    if (!strcmp(name, "bf16")) return *p = GEMM_BF16, 0;
    if (!strcmp(name, "int8")) return *p = GEMM_INT8, 0;
    return -1;
}

GemmBackend gemm_set_backend(GemmBackend b) {
    ready();
    GemmBackend old = backend;
    if (b == GEMM_DNNL && !gemm_dnnl_available()) die("oneDNN has no CPU engine here");
    backend = b;
    return old;
}

GemmPrecision gemm_set_precision(GemmPrecision p) {
    ready();
    GemmPrecision old = precision;
    precision = p;
    return old;
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
    const char *why = gemm_env_error();
    if (why) die("%s", why);
    if (dnnl_missing) fprintf(stderr, "warning: oneDNN has no CPU engine here; using OpenBLAS\n");
}

const char *blas_kernel_name(void) {
    static char text[2][3][240];
    const GemmPrecision p = gemm_precision();
    char *t = text[backend][p];
    if (!t[0]) {
        const char *core = openblas_get_corename();
        if (backend == GEMM_DNNL && p == GEMM_INT8)
            snprintf(t, sizeof text[0][0], "oneDNN %s (int8; other products %s)", gemm_dnnl_describe(DNNL_S8),
                     GEMM_PRECISION_NAMES[gemm_int8_fallback()]);
        else if (backend == GEMM_DNNL && p == GEMM_BF16 && !gemm_dnnl_makes(DNNL_BF16))
            /* oneDNN refuses bf16 (AVX2 without AVX-512): gemm_compute emulates it on OpenBLAS */
            snprintf(t, sizeof text[0][0], "OpenBLAS %s (bf16 emulated; oneDNN: %s)", core ? core : "unknown",
                     gemm_dnnl_describe(DNNL_BF16));
        else if (backend == GEMM_DNNL)
            snprintf(t, sizeof text[0][0], "oneDNN %s%s", gemm_dnnl_describe(p == GEMM_BF16 ? DNNL_BF16 : DNNL_F32),
                     p == GEMM_BF16 ? " (bf16)" : "");
        else
            snprintf(t, sizeof text[0][0], "OpenBLAS %s%s", core ? core : "unknown",
                     p == GEMM_BF16 ? " (bf16 emulated)" : "");
    }
    return t;
}

/* bf16 with OpenBLAS: round both factors to bf16 values (kept as floats),
 * then an fp32 product; exact products of such values fit in fp32, so this
 * is what a bf16 kernel computes, up to the order of the sums. */
static void openblas_bf16(int ta, int tb, int M, int N, int K, float alpha, const float *A, int lda, const float *B,
                          int ldb, float beta, float *C, int ldc) {
    int ar = ta ? K : M, ac = ta ? M : K, br = tb ? N : K, bc = tb ? K : N;
    float *a = gemm_thread_buffer(0, (size_t)ar * ac * sizeof(float));
    float *b = gemm_thread_buffer(1, (size_t)br * bc * sizeof(float));
    bf16_round_f32(A, ar, ac, lda, a);
    bf16_round_f32(B, br, bc, ldb, b);
    cblas_sgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans, M, N, K, alpha, a, ac,
                b, bc, beta, C, ldc);
}

static void gemm_compute(int ta, int tb, int M, int N, int K, float alpha, const float *A, int lda, const float *B,
                         int ldb, float beta, float *C, int ldc) {
    if (K <= 0) { /* an empty sum: keep beta semantics explicit (C not read when beta is 0) */
        for (int i = 0; i < M; i++)
            for (int j = 0; j < N; j++) C[(size_t)i * ldc + j] = beta == 0.0f ? 0.0f : beta * C[(size_t)i * ldc + j];
        return;
    }
    ready();
    GemmPrecision p = precision;
    if (p == GEMM_INT8) {
        /* C = A W^T with W registered: int8; anything else, or a product
         * oneDNN refuses in int8, at the fallback precision */
        if (!ta && tb && backend == GEMM_DNNL && !gemm_int8_unavailable()) {
            const int r = gemm_int8(M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
            if (r == 0) return;
            if (r < 0) atomic_fetch_add(&int8_refused, 1);
        }
        p = gemm_int8_fallback();
    }
    /* oneDNN refuses a product only when it cannot create or start the
     * primitive (out of memory, a shape it has no kernel for), before C is
     * written: OpenBLAS computes it instead, as a library must not end its
     * host over a product it can compute another way */
    if (backend == GEMM_DNNL && gemm_dnnl(ta, tb, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc, p == GEMM_BF16) == 0)
        return;
    if (p == GEMM_BF16) {
        openblas_bf16(ta, tb, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
    } else {
        cblas_sgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans, M, N, K, alpha, A,
                    lda, B, ldb, beta, C, ldc);
    }
}

void gemm(int ta, int tb, int M, int N, int K, float alpha, const float *A, int lda, const float *B, int ldb,
          float beta, float *C, int ldc) {
    if (M <= 0 || N <= 0) return;
    if (!gemm_profiling) {
        gemm_compute(ta, tb, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
        return;
    }
    const double t0 = now_seconds();
    gemm_compute(ta, tb, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
    gemm_profile_add(ta, tb, M, N, K, (int)gemm_precision(), now_seconds() - t0);
}
