/* Tests of gemm() (src/nn/blas.h) on both backends: fp32 against a
 * double-precision reference with the textbook error bound, bf16 against
 * its derived bound, registered bf16 weights, and bit-identical results
 * across threads, repeated calls and primitive-cache evictions. */
#include <dirent.h>
#include <omp.h>
#include <stdint.h>
#include <string.h>

#include "nn/blas.h"
#include "nn/gemm_impl.h"
#include "nn/rng.h"
#include "sys/util.h"
#include "test.h"

typedef struct {
    int ta, tb, M, N, K, lda, ldb, ldc;
    float alpha, beta;
    float *A, *B, *C0;
} Case;

static const double U32 = 1.0 / (1 << 24), U16 = 1.0 / (1 << 8); /* unit roundoff of fp32, bf16 */

static float *random_floats(size_t n, Rng *rng) {
    float *x = falloc(n);
    for (size_t i = 0; i < n; i++) x[i] = 2.0f * rng_uniform(rng) - 1.0f;
    return x;
}

/* pad: extra columns in every stored row, so that lda/ldb/ldc exceed the width */
static Case make_case(int ta, int tb, int M, int N, int K, int pad, float alpha, float beta, uint64_t seed) {
    Rng rng;
    rng_seed(&rng, seed, 3);
    Case c = {ta, tb, M, N, K, (ta ? M : K) + pad, (tb ? K : N) + pad, N + pad, alpha, beta, NULL, NULL, NULL};
    c.A = random_floats((size_t)(ta ? K : M) * c.lda, &rng);
    c.B = random_floats((size_t)(tb ? N : K) * c.ldb, &rng);
    c.C0 = random_floats((size_t)M * c.ldc, &rng);
    return c;
}

static void free_case(Case *c) { free(c->A), free(c->B), free(c->C0); }

static double a_at(const Case *c, int i, int k) { return c->ta ? c->A[(size_t)k * c->lda + i] : c->A[(size_t)i * c->lda + k]; }
static double b_at(const Case *c, int k, int j) { return c->tb ? c->B[(size_t)j * c->ldb + k] : c->B[(size_t)k * c->ldb + j]; }

/* gemm() on a copy of C0; with beta 0 the copy starts as NaN (C must not be read) */
static float *run_case(const Case *c) {
    size_t n = (size_t)c->M * c->ldc;
    float *C = falloc(n);
    for (size_t i = 0; i < n; i++) C[i] = c->beta == 0.0f ? NAN : c->C0[i];
    gemm(c->ta, c->tb, c->M, c->N, c->K, c->alpha, c->A, c->lda, c->B, c->ldb, c->beta, C, c->ldc);
    return C;
}

/* Largest err / bound over C, where bound = rel * sum_k |alpha a b| + U32 (|ref| + |beta c|);
 * also checks that the padding columns of C are untouched. Returns -1 on a NaN. */
static double worst_ratio(const Case *c, const float *C, double rel) {
    double worst = 0.0;
    for (int i = 0; i < c->M; i++) {
        for (int j = 0; j < c->ldc; j++) {
            double got = C[(size_t)i * c->ldc + j], c0 = c->C0[(size_t)i * c->ldc + j];
            if (j >= c->N) {
                if (c->beta != 0.0f && got != c0) return -1;
                continue;
            }
            double ref = 0.0, mag = 0.0;
            for (int k = 0; k < c->K; k++) {
                ref += a_at(c, i, k) * b_at(c, k, j);
                mag += fabs(a_at(c, i, k) * b_at(c, k, j));
            }
            ref = c->alpha * ref + (c->beta != 0.0f ? c->beta * c0 : 0.0);
            double bound = rel * fabs(c->alpha) * mag + U32 * (fabs(ref) + fabs(c->beta * c0));
            if (isnan(got)) return -1;
            double r = fabs(got - ref) / bound;
            if (r > worst) worst = r;
        }
    }
    return worst;
}

static const int shapes[][3] = {{1, 1, 1}, {7, 13, 5}, {33, 65, 129}, {64, 48, 1000}, {3, 200, 17}};
static const float alphas[] = {1.0f, -0.75f}, betas[] = {0.0f, 1.0f, 0.5f};

/* fp32: worst-case bound for any summation order, (K + 2) u |alpha| sum |a b| */
static void check_fp32(GemmBackend backend) {
    GemmBackend old = gemm_set_backend(backend);
    int combos = 0, bad = 0;
    for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++)
        for (int t = 0; t < 4; t++)
            for (int pad = 0; pad <= 3; pad += 3)
                for (int a = 0; a < 2; a++)
                    for (int b = 0; b < 3; b++) {
                        Case c = make_case(t & 1, t >> 1, shapes[s][0], shapes[s][1], shapes[s][2], pad, alphas[a],
                                           betas[b], 100 + combos);
                        float *C = run_case(&c);
                        double r = worst_ratio(&c, C, (c.K + 2) * U32);
                        if (!(r >= 0 && r <= 1.0)) {
                            if (bad++ < 5)
                                fprintf(stderr, "  ta %d tb %d %dx%dx%d pad %d alpha %g beta %g: ratio %g\n", c.ta,
                                        c.tb, c.M, c.N, c.K, pad, c.alpha, c.beta, r);
                        }
                        combos++;
                        free(C), free_case(&c);
                    }
    EXPECT_MSG(bad == 0, "%d of %d cases outside the fp32 bound", bad, combos);
    gemm_set_backend(old);
}

static void test_fp32_dnnl_matches_reference(void) { check_fp32(GEMM_DNNL); }
static void test_fp32_openblas_matches_reference(void) { check_fp32(GEMM_OPENBLAS); }

static void test_empty_sum_and_empty_output(void) {
    float C[6] = {1, 2, 3, 4, 5, 6}, A[1] = {1}, B[1] = {1};
    gemm(0, 0, 2, 3, 0, 1.0f, A, 1, B, 3, 1.0f, C, 3);
    EXPECT(C[0] == 1 && C[5] == 6);
    gemm(0, 0, 2, 3, 0, 1.0f, A, 1, B, 3, 0.0f, C, 3);
    EXPECT(C[0] == 0 && C[5] == 0);
    C[0] = 7;
    gemm(0, 0, 0, 3, 4, 1.0f, A, 1, B, 3, 0.0f, C, 3);
    EXPECT(C[0] == 7);
}

/* Round to nearest even on the bits, NaN made quiet, subnormals kept (the
 * hardware instruction would flush them); the vector path of bf16_from_f32
 * agrees with the scalar one of bf16_round_f32, tails of rows included. */
static void test_bf16_rounding(void) {
    static const uint32_t in[][2] = {
        {0x3f808000u, 0x3f80u}, {0x3f818000u, 0x3f82u}, {0x3f808001u, 0x3f81u}, {0x00000001u, 0x0000u},
        {0x00018000u, 0x0002u}, {0x80008000u, 0x8000u}, {0x7f7fffffu, 0x7f80u}, {0x7f800000u, 0x7f80u},
        {0x7fc00001u, 0x7fc0u}, {0x7f800001u, 0x7fc0u}, {0xff800000u, 0xff80u}, {0x3f800000u, 0x3f80u}};
    enum { N = sizeof in / sizeof in[0], COLS = 37, ROWS = 30 };
    float x[N], rounded[N];
    uint16_t bits[N];
    for (int i = 0; i < N; i++) memcpy(&x[i], &in[i][0], sizeof x[i]);
    bf16_from_f32(x, 1, N, N, bits);
    bf16_round_f32(x, 1, N, N, rounded);
    for (int i = 0; i < N; i++) {
        uint32_t r;
        memcpy(&r, &rounded[i], sizeof r);
        EXPECT_MSG(bits[i] == in[i][1] && r == in[i][1] << 16, "%08x -> %04x / %08x, expected %04x", in[i][0],
                   bits[i], r, in[i][1]);
    }
    Rng rng;
    rng_seed(&rng, 5, 0);
    float src[ROWS * (COLS + 3)], ref[ROWS * COLS];
    uint16_t got[ROWS * COLS];
    for (int i = 0; i < ROWS * (COLS + 3); i++) {
        uint32_t u = (uint32_t)rng_next(&rng);
        memcpy(&src[i], &u, sizeof u); /* any bit pattern: NaNs, subnormals, ties */
    }
    bf16_from_f32(src, ROWS, COLS, COLS + 3, got);
    bf16_round_f32(src, ROWS, COLS, COLS + 3, ref);
    int same = 1;
    for (int i = 0; i < ROWS * COLS; i++) {
        uint32_t r;
        memcpy(&r, &ref[i], sizeof r);
        same &= got[i] == r >> 16;
    }
    EXPECT(same);
}

/* bf16: each factor is off by at most U16 relative, so a product by 2 U16 + U16^2,
 * plus the fp32 accumulation: rel = 2 U16 + U16^2 + (K + 2) U32. The test also
 * requires the worst case seen to reach half the bound: rounding really happens
 * and the bound is not loose (K = 1 makes single products reach it). */
static void check_bf16(GemmBackend backend) {
    GemmBackend oldb = gemm_set_backend(backend);
    GemmPrecision oldp = gemm_set_precision(GEMM_BF16);
    double worst = 0.0;
    int bad = 0;
    /* odd K run padded with a zero term (gemm_dnnl.c); 72 x 24 x 63 is a shape
     * whose unpadded AMX kernel dies of SIGILL in oneDNN 2.6 */
    const int sh[][3] = {{64, 64, 1}, {7, 13, 5}, {33, 65, 129}, {64, 48, 1000}, {72, 24, 63}};
    for (int s = 0; s < 5; s++)
        for (int t = 0; t < 4; t++)
            for (int b = 0; b < 2; b++) {
                Case c = make_case(t & 1, t >> 1, sh[s][0], sh[s][1], sh[s][2], 2, 1.0f, betas[b], 500 + s * 8 + t);
                float *C = run_case(&c);
                double r = worst_ratio(&c, C, 2 * U16 + U16 * U16 + (c.K + 2) * U32);
                if (!(r >= 0 && r <= 1.0)) bad++;
                if (r > worst) worst = r;
                free(C), free_case(&c);
            }
    EXPECT_MSG(bad == 0, "%d cases outside the bf16 bound (worst ratio %g)", bad, worst);
    EXPECT_MSG(worst > 0.5, "worst error only %g of the bf16 bound", worst);
    gemm_set_precision(oldp), gemm_set_backend(oldb);
}

static void test_bf16_dnnl_within_bound(void) { check_bf16(GEMM_DNNL); }
static void test_bf16_openblas_emulation_within_bound(void) { check_bf16(GEMM_OPENBLAS); }

/* Both backends round the factors the same way, so they may differ only by
 * fp32 summation order: (K + 2) U32 sum |a b|, far inside the bf16 bound. */
static void test_bf16_backends_agree(void) {
    GemmBackend oldb = gemm_backend();
    GemmPrecision oldp = gemm_set_precision(GEMM_BF16);
    Case c = make_case(0, 1, 40, 70, 300, 1, 1.0f, 1.0f, 9);
    gemm_set_backend(GEMM_DNNL);
    float *Cd = run_case(&c);
    gemm_set_backend(GEMM_OPENBLAS);
    float *Co = run_case(&c);
    double worst = 0.0;
    for (int i = 0; i < c.M; i++)
        for (int j = 0; j < c.N; j++) {
            double mag = fabs(c.C0[(size_t)i * c.ldc + j]);
            for (int k = 0; k < c.K; k++) mag += fabs(a_at(&c, i, k) * b_at(&c, k, j));
            double r = fabs((double)Cd[(size_t)i * c.ldc + j] - Co[(size_t)i * c.ldc + j]) / ((c.K + 2) * U32 * mag);
            if (r > worst) worst = r;
        }
    EXPECT_MSG(worst <= 1.0, "backends differ by %g of the fp32 bound", worst);
    free(Cd), free(Co), free_case(&c);
    gemm_set_precision(oldp), gemm_set_backend(oldb);
}

/* C = A W^T with W a sub-block (offset, row stride) of a registered array, like
 * the decoder's p->dec.Wx + E: the copy is used (stale until refreshed). */
static void test_registered_weights(void) {
    GemmBackend oldb = gemm_set_backend(GEMM_DNNL);
    GemmPrecision oldp = gemm_set_precision(GEMM_BF16);
    Rng rng;
    rng_seed(&rng, 11, 0);
    const int M = 16, N = 48, K = 40, LD = 56, OFF = 16; /* B = W + OFF, N x K inside N x LD */
    size_t nw = (size_t)N * LD;
    float *W = random_floats(nw, &rng), *A = random_floats((size_t)M * K, &rng), *Wc = falloc(nw);
    float *C1 = falloc((size_t)M * N), *C2 = falloc((size_t)M * N), *C3 = falloc((size_t)M * N);
    memcpy(Wc, W, nw * sizeof(float));
    EXPECT(gemm_weights_find(W + OFF, N, K, LD) == NULL);
    gemm_weights_register(W, nw);
    EXPECT(gemm_weights_find(W + OFF, N, K, LD) != NULL);
    EXPECT(gemm_weights_find(W + OFF, N, K + 1, LD) == NULL); /* would run past the end */
    gemm(0, 1, M, N, K, 1.0f, A, K, W + OFF, LD, 0.0f, C1, N);
    gemm(0, 1, M, N, K, 1.0f, A, K, Wc + OFF, LD, 0.0f, C2, N); /* unregistered: converted per call */
    double worst = 0.0;
    for (int i = 0; i < M * N; i++) worst = fmax(worst, fabs((double)C1[i] - C2[i]));
    EXPECT_MSG(worst <= (K + 2) * U32 * K, "registered and converted differ by %g", worst);
    for (size_t i = 0; i < nw; i++) W[i] *= 2.0f; /* exact in bf16 too */
    gemm(0, 1, M, N, K, 1.0f, A, K, W + OFF, LD, 0.0f, C3, N);
    EXPECT(memcmp(C3, C1, sizeof(float) * M * N) == 0); /* stale: the contract */
    gemm_weights_refresh(W);
    gemm(0, 1, M, N, K, 1.0f, A, K, W + OFF, LD, 0.0f, C3, N);
    int doubled = 1;
    for (int i = 0; i < M * N; i++) doubled &= C3[i] == 2.0f * C1[i];
    EXPECT(doubled);
    gemm_weights_forget(W);
    EXPECT(gemm_weights_find(W + OFF, N, K, LD) == NULL);
    free(W), free(A), free(Wc), free(C1), free(C2), free(C3);
    gemm_set_precision(oldp), gemm_set_backend(oldb);
}

/* The same product outside any parallel region (with 2 OpenMP threads
 * available) and on both threads of a parallel region: identical bits. */
static void check_threads(GemmPrecision p, int M, int N, int K) {
    GemmBackend oldb = gemm_set_backend(GEMM_DNNL);
    GemmPrecision oldp = gemm_set_precision(p);
    Case c = make_case(0, 1, M, N, K, 0, 1.0f, 1.0f, 21);
    int saved = omp_get_max_threads();
    omp_set_num_threads(2);
    float *ref = run_case(&c), *got[2] = {NULL, NULL};
#pragma omp parallel num_threads(2)
    got[omp_get_thread_num()] = run_case(&c);
    size_t bytes = sizeof(float) * (size_t)M * c.ldc;
    EXPECT(memcmp(ref, got[0], bytes) == 0);
    EXPECT(got[1] && memcmp(ref, got[1], bytes) == 0);
    omp_set_num_threads(saved);
    free(ref), free(got[0]), free(got[1]), free_case(&c);
    gemm_set_precision(oldp), gemm_set_backend(oldb);
}

static void test_threads_fp32_identical(void) {
    check_threads(GEMM_FP32, 256, 1024, 1792);
    check_threads(GEMM_FP32, 32, 1536, 512);
}

static void test_threads_bf16_identical(void) {
    check_threads(GEMM_BF16, 256, 1024, 1792);
    check_threads(GEMM_BF16, 32, 1536, 512);
}

/* Same shape again: from the cache; after 600 other shapes (past the cache's
 * 512 entries, so evicted and re-created): the same bits. */
static void test_cache_reuse_and_eviction(void) {
    GemmBackend oldb = gemm_set_backend(GEMM_DNNL);
    Case c = make_case(1, 0, 48, 96, 64, 1, 1.0f, 0.0f, 31);
    float *first = run_case(&c), *again = run_case(&c);
    size_t bytes = sizeof(float) * (size_t)c.M * c.ldc;
    EXPECT(memcmp(first, again, bytes) == 0);
    float A[16 * 40], B[40 * 8], C[16 * 8];
    for (int i = 0; i < 16 * 40; i++) A[i] = (float)(i % 5);
    for (int i = 0; i < 40 * 8; i++) B[i] = 1.0f;
    for (int m = 1; m <= 600; m++) gemm(0, 0, 1 + m % 16, 8, 1 + m / 16, 1.0f, A, 40, B, 8, 0.0f, C, 8);
    float *late = run_case(&c);
    EXPECT(memcmp(first, late, bytes) == 0);
    free(first), free(again), free(late), free_case(&c);
    gemm_set_backend(oldb);
}

static int thread_count(void) {
    int n = 0;
    DIR *d = opendir("/proc/self/task");
    if (!d) return -1;
    for (struct dirent *e; (e = readdir(d)) != NULL;) n += e->d_name[0] != '.';
    closedir(d);
    return n;
}

/* Run first, before any parallel region exists: with 2 OpenMP threads
 * allowed, a oneDNN product that used them would make libgomp start a
 * worker thread. None may appear. */
static void test_products_start_no_threads(void) {
    GemmBackend oldb = gemm_set_backend(GEMM_DNNL);
    int saved = omp_get_max_threads();
    omp_set_num_threads(2);
    int before = thread_count();
    Case c = make_case(0, 1, 512, 1024, 1024, 0, 1.0f, 0.0f, 41);
    float *C = run_case(&c);
    gemm_set_precision(GEMM_BF16);
    float *D = run_case(&c);
    gemm_set_precision(GEMM_FP32);
    EXPECT_MSG(before > 0 && thread_count() == before, "%d threads before, %d after", before, thread_count());
    EXPECT(omp_get_max_threads() == 2); /* and the setting is restored */
    omp_set_num_threads(saved);
    free(C), free(D), free_case(&c);
    gemm_set_backend(oldb);
}

static void test_kernel_name(void) {
    GemmBackend oldb = gemm_set_backend(GEMM_DNNL);
    EXPECT(strncmp(blas_kernel_name(), "oneDNN ", 7) == 0);
    gemm_set_backend(GEMM_OPENBLAS);
    EXPECT(strncmp(blas_kernel_name(), "OpenBLAS ", 9) == 0);
    gemm_set_backend(oldb);
}

int main(void) {
    RUN(test_products_start_no_threads);
    RUN(test_fp32_dnnl_matches_reference);
    RUN(test_fp32_openblas_matches_reference);
    RUN(test_empty_sum_and_empty_output);
    RUN(test_bf16_rounding);
    RUN(test_bf16_dnnl_within_bound);
    RUN(test_bf16_openblas_emulation_within_bound);
    RUN(test_bf16_backends_agree);
    RUN(test_registered_weights);
    RUN(test_threads_fp32_identical);
    RUN(test_threads_bf16_identical);
    RUN(test_cache_reuse_and_eviction);
    RUN(test_kernel_name);
    TEST_EXIT();
}
