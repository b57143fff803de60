/* Tests of gemm() (src/nn/blas.h) on both backends: fp32 against a
 * double-precision reference with the textbook error bound, bf16 against
 * its derived bound, registered bf16 weights, int8 (the weights' round trip,
 * the exact integer formula, the analytic bound, what falls back), and
 * bit-identical results across threads, repeated calls and primitive-cache
 * evictions. */
#include <dirent.h>
#include <omp.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

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
    /* stale, the contract, where oneDNN multiplies bf16 (from the copy); where
     * it refuses bf16 (AVX2 without AVX-512) the OpenBLAS emulation rounds the
     * weights of the call: then always fresh */
    const int dnnl_bf16 = gemm_dnnl_makes(DNNL_BF16);
    int stale = memcmp(C3, C1, sizeof(float) * M * N) == 0, fresh = 1;
    for (int i = 0; i < M * N; i++) fresh &= C3[i] == 2.0f * C1[i];
    EXPECT_MSG(dnnl_bf16 ? stale : fresh, "oneDNN bf16 %d: stale %d, fresh %d", dnnl_bf16, stale, fresh);
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

/* ---- int8 ---- */

/* int8_quantize_row by its definition, in scalar code: q = round(x * (127 / m))
 * to nearest even, scale m / 127 (the vector path must give the same bytes). */
static float quantize_ref(const float *x, int n, int8_t *q) {
    float m = 0.0f;
    for (int j = 0; j < n; j++) m = fmaxf(m, fabsf(x[j]));
    if (m == 0.0f) {
        memset(q, 0, (size_t)n);
        return 0.0f;
    }
    const float inv = 127.0f / m;
    for (int j = 0; j < n; j++) q[j] = (int8_t)nearbyintf(x[j] * inv);
    return m / 127.0f;
}

static int int8_or_skip(void) {
    if (!gemm_int8_unavailable()) return 1;
    SKIP(gemm_int8_unavailable());
    return 0;
}

/* Every registered weight within s_n / 2 of its original (plus the last bit
 * of the float product s_n q: |w| 2^-22), s_n = max |row| / 127, |q| <= 127
 * and reaching 127 in each non-zero row; rows of zeros give zeros; a tensor
 * with a NaN is not used; the registry finds whole rows and column slices
 * of a tensor, never a block across tensors or at another row stride. */
static void test_int8_weights_round_trip(void) {
    enum { R0 = 37, C0 = 53, C1 = 300, R2 = 64, C2 = 128, R3 = 4, C3 = 8 };
    const GemmTensor t[] = {{0, R0, C0}, {R0 * C0, 1, C1}, {R0 * C0 + C1 + 5, R2, C2},
                            {R0 * C0 + C1 + 5 + R2 * C2, R3, C3}};
    const size_t n = t[3].offset + R3 * C3;
    Rng rng;
    rng_seed(&rng, 71, 0);
    float *w = random_floats(n, &rng);
    float *t2 = w + t[2].offset;
    for (int j = 0; j < C2; j++) t2[3 * C2 + j] = 0.0f;     /* a row of zeros */
    for (int j = 0; j < C2; j++) t2[5 * C2 + j] *= 1e-3f;   /* small */
    for (int j = 0; j < C2; j++) t2[7 * C2 + j] *= 1e4f;    /* large */
    w[t[3].offset + 9] = NAN;                                /* tensor 3 unusable */
    char err[200];
    EXPECT(gemm_int8_register(w, n, t, 4, err, sizeof err) == 0);
    EXPECT(gemm_int8_registered(w));
    int bad = 0, checked = 0, same_as_ref = 1;
    int8_t ref[C1];
    for (int k = 0; k < 3; k++)
        for (int r = 0; r < t[k].rows; r++) {
            const float *row = w + t[k].offset + (size_t)r * t[k].cols;
            const int8_t *q;
            const float *sc;
            if (!gemm_int8_find(row, 1, t[k].cols, t[k].cols, &q, &sc)) {
                bad++;
                continue;
            }
            const float s = *sc;
            same_as_ref &= quantize_ref(row, t[k].cols, ref) == s && memcmp(ref, q, (size_t)t[k].cols) == 0;
            int top = 0;
            for (int j = 0; j < t[k].cols; j++) {
                const double e = fabs((double)row[j] - (double)s * q[j]);
                if (!(e <= s / 2.0 + fabs(row[j]) * 0x1p-22) || q[j] < -127) bad++; /* -128 would break the symmetry */
                top = abs(q[j]) > top ? abs(q[j]) : top;
                checked++;
            }
            if (top != (s == 0.0f ? 0 : 127)) bad++;
        }
    EXPECT_MSG(bad == 0 && checked == R0 * C0 + C1 + R2 * C2, "%d of %d weights off", bad, checked);
    EXPECT(same_as_ref);
    const int8_t *q;
    const float *sc;
    EXPECT(gemm_int8_find(t2 + 3 * C2, 1, C2, C2, &q, &sc) && *sc == 0.0f && q[0] == 0 && q[C2 - 1] == 0);
    EXPECT(!gemm_int8_find(w + t[3].offset, R3, C3, C3, &q, &sc)); /* holds a NaN */
    /* a column slice (the decoder's Wx + E): the rows' scales, the copy at the same offsets */
    EXPECT(gemm_int8_find(t2 + 2 * C2 + 40, 10, 50, C2, &q, &sc));
    const int8_t *q2;
    const float *sc2;
    EXPECT(gemm_int8_find(t2 + 2 * C2, 1, C2, C2, &q2, &sc2) && q == q2 + 40 && sc == sc2);
    EXPECT(!gemm_int8_find(t2 + 2 * C2 + 40, 10, 100, C2, &q, &sc));  /* past the row's end */
    EXPECT(!gemm_int8_find(t2 + 2 * C2, 10, 50, C2 + 1, &q, &sc));    /* another row stride */
    EXPECT(!gemm_int8_find(t2 + 60 * C2, 8, C2, C2, &q, &sc));        /* past the tensor's last row */
    EXPECT(!gemm_int8_find(w + R0 * C0 - 3, 1, 10, 10, &q, &sc));     /* across two tensors */
    EXPECT(!gemm_int8_find(w + t[1].offset + C1 + 1, 1, 2, 2, &q, &sc)); /* between tensors */
    /* registering again keeps the first copy (readers may hold it); forgetting drops it */
    EXPECT(gemm_int8_find(w, 1, C0, C0, &q, &sc));
    const float s0 = *sc;
    for (int j = 0; j < C0; j++) w[j] *= 2.0f;
    EXPECT(gemm_int8_register(w, n, t, 4, err, sizeof err) == 0);
    EXPECT(gemm_int8_find(w, 1, C0, C0, &q2, &sc2) && q2 == q && *sc2 == s0);
    gemm_int8_forget(w);
    EXPECT(!gemm_int8_registered(w) && !gemm_int8_find(w, 1, C0, C0, &q, &sc));
    /* a table that does not fit the array */
    const GemmTensor over[] = {{0, 2, 10}, {15, 1, 10}};
    EXPECT(gemm_int8_register(w, n, over, 2, err, sizeof err) == -1);
    char want[200];
    snprintf(want, sizeof want, "int8 weights: tensor 1 (1 x 10 at 15) overlaps another or leaves the %zu floats", n);
    EXPECT_STR(err, want);
    const GemmTensor out[] = {{n - 5, 1, 10}};
    EXPECT(gemm_int8_register(w, n, out, 1, err, sizeof err) == -1 && !gemm_int8_registered(w));
    free(w);
}

/* W [N][LD] registered as one tensor, B = W + off (columns off .. off + K of
 * each row); C = alpha A B^T + beta C0 at GEMM_INT8. */
typedef struct {
    int M, N, K, LD, off;
    float alpha, beta;
    float *A, *W, *C0;
} Int8Case;

static Int8Case int8_case(int M, int N, int K, int LD, int off, float alpha, float beta, uint64_t seed) {
    Rng rng;
    rng_seed(&rng, seed, 4);
    Int8Case c = {M, N, K, LD, off, alpha, beta, NULL, NULL, NULL};
    c.A = random_floats((size_t)M * K, &rng);
    c.W = random_floats((size_t)N * LD, &rng);
    c.C0 = random_floats((size_t)M * N, &rng);
    /* rows of different magnitudes, as activations and weights have */
    for (int m = 0; m < M; m++)
        for (int k = 0; k < K; k++) c.A[(size_t)m * K + k] *= (float)(1 + m % 5) * 0.3f;
    for (int n = 0; n < N; n++)
        for (int k = 0; k < LD; k++) c.W[(size_t)n * LD + k] *= 0.05f * (float)(1 + n % 3);
    return c;
}

static float *int8_run(const Int8Case *c) {
    float *C = falloc((size_t)c->M * c->N);
    for (size_t i = 0; i < (size_t)c->M * c->N; i++) C[i] = c->beta == 0.0f ? NAN : c->C0[i];
    gemm(0, 1, c->M, c->N, c->K, c->alpha, c->A, c->K, c->W + c->off, c->LD, c->beta, C, c->N);
    return C;
}

/* The product is its formula, bit for bit: each row of A quantized
 * (quantize_ref), each row of W with the scale of its whole row, exact
 * integer sums, then alpha s_m s_n acc (+ beta c) in that order in float;
 * and within the analytic bound of fp32's exact product:
 *   |alpha| sum_k (|a_k| s_n / 2 + |w_k| s_m / 2 + s_m s_n / 4)
 * (|a - s_m q_a| <= s_m / 2, |w - s_n q_w| <= s_n / 2, and their product),
 * widened by 1e-5 of itself for the roundings of s = m / 127 and by 4 ulps
 * of the result and of beta c for the float scaling. */
static void check_int8(const Int8Case *c, int *bad, int *differ, double *worst) {
    float *C = int8_run(c);
    int8_t *qa = xmalloc((size_t)c->K), *qw = xmalloc((size_t)c->LD);
    float *sa = falloc((size_t)c->M), *sw = falloc((size_t)c->N);
    int8_t *QA = xmalloc((size_t)c->M * c->K), *QW = xmalloc((size_t)c->N * c->LD);
    for (int m = 0; m < c->M; m++) sa[m] = quantize_ref(c->A + (size_t)m * c->K, c->K, QA + (size_t)m * c->K);
    for (int n = 0; n < c->N; n++) sw[n] = quantize_ref(c->W + (size_t)n * c->LD, c->LD, QW + (size_t)n * c->LD);
    for (int m = 0; m < c->M; m++)
        for (int n = 0; n < c->N; n++) {
            const float *a = c->A + (size_t)m * c->K, *w = c->W + (size_t)n * c->LD + c->off;
            const int8_t *x = QA + (size_t)m * c->K, *y = QW + (size_t)n * c->LD + c->off;
            int32_t acc = 0;
            double ref = 0.0, bound = 0.0;
            for (int k = 0; k < c->K; k++) {
                acc += (int32_t)x[k] * y[k];
                ref += (double)a[k] * w[k];
                bound += fabs(a[k]) * sw[n] / 2 + fabs(w[k]) * sa[m] / 2 + (double)sa[m] * sw[n] / 4;
            }
            const float c0 = c->C0[(size_t)m * c->N + n], got = C[(size_t)m * c->N + n];
            const float r = c->alpha * sa[m];
            float want = r * sw[n] * (float)acc;
            if (c->beta != 0.0f) want += c->beta * c0;
            if (memcmp(&want, &got, sizeof got) != 0) (*bad)++;
            ref = c->alpha * ref + (c->beta != 0.0f ? (double)c->beta * c0 : 0.0);
            bound = fabs(c->alpha) * bound * (1 + 1e-5) + 4 * U32 * (fabs(got) + fabs(c->beta * c0));
            const double e = fabs(got - ref);
            if (!(e <= bound)) (*bad)++;
            if (e / bound > *worst) *worst = e / bound;
            *differ += e != 0.0;
        }
    free(C), free(qa), free(qw), free(sa), free(sw), free(QA), free(QW);
}

static void test_int8_product_formula_and_bound(void) {
    if (!int8_or_skip()) return;
    GemmBackend oldb = gemm_set_backend(GEMM_DNNL);
    GemmPrecision oldp = gemm_set_precision(GEMM_INT8);
    /* odd K (padded to 4 inside), 1 x 1 x 1, the shapes of the recipe
     * model (hidden 256, emb 256, vocabulary 8106; beam 5 x 32 sentences),
     * and column slices of wider rows */
    const int sh[][5] = {{1, 1, 1, 1, 0},       {7, 13, 5, 5, 0},      {33, 65, 129, 129, 0}, {3, 200, 17, 40, 9},
                         {64, 48, 1000, 1000, 0}, {72, 24, 63, 63, 0},  {40, 8106, 256, 256, 0},
                         {160, 768, 256, 256, 0}, {160, 256, 1024, 1024, 0}, {160, 768, 512, 768, 256}};
    const int ns = (int)(sizeof sh / sizeof sh[0]);
    int bad = 0, cases = 0;
    double worst = 0.0;
    for (int s = 0; s < ns; s++)
        for (int v = 0; v < 2; v++) {
            Int8Case c = int8_case(sh[s][0], sh[s][1], sh[s][2], sh[s][3], sh[s][4], v ? -0.75f : 1.0f,
                                   v ? 0.5f : 0.0f, 900 + (uint64_t)s);
            const GemmTensor whole = {0, c.N, c.LD};
            char err[200];
            EXPECT(gemm_int8_register(c.W, (size_t)c.N * c.LD, &whole, 1, err, sizeof err) == 0);
            int differ = 0, b0 = bad;
            check_int8(&c, &bad, &differ, &worst);
            if (bad > b0) fprintf(stderr, "  %d x %d x %d (ld %d, +%d) alpha %g beta %g: %d elements off\n", c.M, c.N,
                                  c.K, c.LD, c.off, c.alpha, c.beta, bad - b0);
            cases += differ > 0; /* int8 ran: not fp32's exact result */
            gemm_int8_forget(c.W);
            free(c.A), free(c.W), free(c.C0);
        }
    EXPECT_MSG(bad == 0, "%d elements off the formula or the bound (worst ratio %g)", bad, worst);
    EXPECT_MSG(cases >= 2 * ns - 1, "only %d of %d cases differ from the exact product", cases, 2 * ns);
    gemm_set_precision(oldp), gemm_set_backend(oldb);
}

/* At GEMM_INT8, what int8 does not cover runs at the fallback precision,
 * bit for bit: an unregistered W, a transposed operand, a row of A holding a
 * NaN (its result row is NaN, as in fp32), a tensor holding a NaN. None of
 * them counts as a refusal. */
static void test_int8_what_falls_back(void) {
    if (!int8_or_skip()) return;
    GemmBackend oldb = gemm_set_backend(GEMM_DNNL);
    GemmPrecision oldp = gemm_set_precision(GEMM_INT8);
    const GemmPrecision fb = gemm_int8_fallback();
    const long refused = gemm_int8_refused();
    for (int t = 0; t < 5; t++) {
        Case c = make_case(t == 2, t == 1 ? 0 : 1, 20, 36, 44, 0, 1.0f, 0.5f, 300 + (uint64_t)t);
        const size_t nb = (size_t)(c.tb ? c.N : c.K) * c.ldb;
        const GemmTensor whole = {0, c.tb ? c.N : c.K, c.ldb};
        char err[200];
        if (t == 3) c.A[5 * c.lda + 7] = NAN;
        if (t == 4) c.B[3] = INFINITY;
        if (t != 0) EXPECT(gemm_int8_register(c.B, nb, &whole, 1, err, sizeof err) == 0);
        float *got = run_case(&c);
        gemm_set_precision(fb);
        float *want = run_case(&c);
        gemm_set_precision(GEMM_INT8);
        EXPECT_MSG(memcmp(got, want, sizeof(float) * (size_t)c.M * c.ldc) == 0, "case %d differs from %s", t,
                   GEMM_PRECISION_NAMES[fb]);
        if (t == 3) EXPECT(isnan(got[5 * c.ldc]) && !isnan(got[4 * c.ldc]));
        gemm_int8_forget(c.B);
        free(got), free(want), free_case(&c);
    }
    EXPECT(gemm_int8_refused() == refused);
    gemm_set_precision(oldp), gemm_set_backend(oldb);
}

/* The names, the precision in use, the kernels' name; with OpenBLAS int8 is
 * unavailable and every product runs at the fallback (fp32 there). */
static void test_int8_settings(void) {
    GemmPrecision p = GEMM_FP32;
    EXPECT(gemm_parse_precision("int8", &p) == 0 && p == GEMM_INT8);
    EXPECT(gemm_parse_precision("int4", &p) == -1);
    EXPECT_STR(GEMM_PRECISION_NAMES[GEMM_INT8], "int8");
    EXPECT(GEMM_PRECISION_NAMES[3] == NULL);
    GemmBackend oldb = gemm_set_backend(GEMM_DNNL);
    GemmPrecision oldp = gemm_set_precision(GEMM_INT8);
    if (gemm_int8_unavailable()) {
        EXPECT(gemm_precision() == gemm_int8_fallback());
    } else {
        EXPECT(gemm_precision() == GEMM_INT8);
        EXPECT_MSG(strstr(blas_kernel_name(), " (int8; other products ") != NULL, "%s", blas_kernel_name());
    }
    gemm_set_backend(GEMM_OPENBLAS);
    EXPECT_STR(gemm_int8_unavailable(), "the products run on OpenBLAS, which has no int8 products");
    EXPECT(gemm_int8_fallback() == GEMM_FP32 && gemm_precision() == GEMM_FP32);
    Case c = make_case(0, 1, 9, 11, 13, 0, 1.0f, 0.0f, 77);
    const GemmTensor whole = {0, c.N, c.K};
    char err[200];
    EXPECT(gemm_int8_register(c.B, (size_t)c.N * c.K, &whole, 1, err, sizeof err) == 0);
    float *got = run_case(&c);
    gemm_set_precision(GEMM_FP32);
    float *want = run_case(&c);
    EXPECT(memcmp(got, want, sizeof(float) * (size_t)c.M * c.ldc) == 0);
    gemm_int8_forget(c.B);
    free(got), free(want), free_case(&c);
    gemm_set_precision(oldp), gemm_set_backend(oldb);
}

/* Where oneDNN may not use VNNI (ONEDNN_MAX_CPU_ISA=avx2, in a child
 * process: oneDNN reads it once), int8 is unavailable with the reason, the
 * precision in use is the fallback and the products are its own. Runs on
 * every CPU: on one without VNNI the cap changes nothing. */
static void test_int8_unavailable_without_vnni(void) {
    char self[4096], cmd[4200];
    const ssize_t len = readlink("/proc/self/exe", self, sizeof self - 1);
    EXPECT(len > 0);
    self[len > 0 ? len : 0] = '\0';
    snprintf(cmd, sizeof cmd, "ONEDNN_MAX_CPU_ISA=avx2 '%s' --isa-child 2>&1", self);
    FILE *p = popen(cmd, "r");
    char out[512] = "";
    size_t n = p ? fread(out, 1, sizeof out - 1, p) : 0;
    out[n] = '\0';
    EXPECT(p && pclose(p) == 0);
    char want[512];
    snprintf(want, sizeof want, "oneDNN's instruction set here is avx2, without VNNI\nprecision %s same 1\n",
             GEMM_PRECISION_NAMES[gemm_int8_fallback()]);
    EXPECT_STR(out, want);
}

static int isa_child(void) {
    gemm_set_backend(GEMM_DNNL);
    const char *why = gemm_int8_unavailable();
    printf("%s\n", why ? why : "available");
    Case c = make_case(0, 1, 9, 11, 13, 0, 1.0f, 0.0f, 78);
    const GemmTensor whole = {0, c.N, c.K};
    char err[200];
    gemm_int8_register(c.B, (size_t)c.N * c.K, &whole, 1, err, sizeof err);
    gemm_set_precision(GEMM_INT8);
    float *got = run_case(&c);
    printf("precision %s ", GEMM_PRECISION_NAMES[gemm_precision()]);
    gemm_set_precision(gemm_int8_fallback());
    float *want = run_case(&c);
    printf("same %d\n", memcmp(got, want, sizeof(float) * (size_t)c.M * c.ldc) == 0);
    gemm_int8_forget(c.B);
    free(got), free(want), free_case(&c);
    return 0;
}

/* The same product outside any parallel region (with 2 OpenMP threads
 * available) and on both threads of a parallel region: identical bits.
 * In int8, B is registered (as translation registers the model). */
static void check_threads(GemmPrecision p, int M, int N, int K) {
    GemmBackend oldb = gemm_set_backend(GEMM_DNNL);
    GemmPrecision oldp = gemm_set_precision(p);
    Case c = make_case(0, 1, M, N, K, 0, 1.0f, 1.0f, 21);
    const GemmTensor whole = {0, N, K};
    char err[200];
    if (p == GEMM_INT8) EXPECT(gemm_int8_register(c.B, (size_t)N * K, &whole, 1, err, sizeof err) == 0);
    int saved = omp_get_max_threads();
    omp_set_num_threads(2);
    float *ref = run_case(&c), *got[2] = {NULL, NULL};
#pragma omp parallel num_threads(2)
    got[omp_get_thread_num()] = run_case(&c);
    size_t bytes = sizeof(float) * (size_t)M * c.ldc;
    EXPECT(memcmp(ref, got[0], bytes) == 0);
    EXPECT(got[1] && memcmp(ref, got[1], bytes) == 0);
    omp_set_num_threads(saved);
    if (p == GEMM_INT8) gemm_int8_forget(c.B);
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

static void test_threads_int8_identical(void) {
    if (gemm_int8_unavailable()) {
        SKIP(gemm_int8_unavailable());
        return;
    }
    check_threads(GEMM_INT8, 256, 1024, 1792);
    check_threads(GEMM_INT8, 160, 8106, 256); /* the recipe model's output layer at beam 5 x 32 */
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

/* One implementation per product in every thread. A product recorded with
 * the second implementation on oneDNN's list (the jit gemm: what a thread
 * gets when brgemm declines the product there) runs that one on a new thread
 * too, with the same bits; the product next to it, recorded by whichever
 * thread comes first, runs one implementation everywhere as well. */
static void test_one_implementation_per_product(void) {
    if (!gemm_dnnl_available()) {
        SKIP("oneDNN has no CPU engine here");
        return;
    }
    GemmBackend oldb = gemm_set_backend(GEMM_DNNL);
    enum { M = 3, N = 40, K = 11 }; /* shapes no other test makes */
    EXPECT_MSG(strcmp(gemm_dnnl_impl(M, N, K, "gemm:jit"), "gemm:jit") == 0, "got %s",
               gemm_dnnl_impl(M, N, K, NULL));
    float A[M * (K + 1)], B[(K + 1) * N], C[3][M * N];
    for (int i = 0; i < M * (K + 1); i++) A[i] = 0.1f * (float)(i % 13) - 0.55f;
    for (int i = 0; i < (K + 1) * N; i++) B[i] = 0.03f * (float)(i % 29) - 0.4f;
    char impl[2][2][48];
    int saved = omp_get_max_threads();
    omp_set_num_threads(2);
    gemm(0, 0, M, N, K, 1.0f, A, K, B, N, 0.0f, C[2], N);
    const char *other = gemm_dnnl_impl(M, N, K + 1, NULL);
    char first_other[48];
    snprintf(first_other, sizeof first_other, "%s", other);
#pragma omp parallel num_threads(2)
    {
        const int t = omp_get_thread_num();
        gemm(0, 0, M, N, K, 1.0f, A, K, B, N, 0.0f, C[t], N);
        snprintf(impl[t][0], 48, "%s", gemm_dnnl_impl(M, N, K, NULL));
        snprintf(impl[t][1], 48, "%s", gemm_dnnl_impl(M, N, K + 1, NULL));
    }
    omp_set_num_threads(saved);
    for (int t = 0; t < 2; t++) {
        EXPECT_MSG(strcmp(impl[t][0], "gemm:jit") == 0, "thread %d: %s", t, impl[t][0]);
        EXPECT_MSG(strcmp(impl[t][1], first_other) == 0, "thread %d: %s, first %s", t, impl[t][1], first_other);
        EXPECT(memcmp(C[t], C[2], sizeof C[2]) == 0);
    }
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
    /* bf16 where oneDNN has no bf16 product (AVX2): the emulation says so */
    GemmPrecision oldp = gemm_set_precision(GEMM_BF16);
    const int dnnl_bf16 = gemm_dnnl_makes(DNNL_BF16);
    EXPECT_MSG(strncmp(blas_kernel_name(), dnnl_bf16 ? "oneDNN " : "OpenBLAS ", dnnl_bf16 ? 7 : 9) == 0 &&
                   (dnnl_bf16 || strstr(blas_kernel_name(), "(bf16 emulated; oneDNN: no matmul primitive")),
               "%s", blas_kernel_name());
    gemm_set_precision(oldp);
    gemm_set_backend(GEMM_OPENBLAS);
    EXPECT(strncmp(blas_kernel_name(), "OpenBLAS ", 9) == 0);
    gemm_set_backend(oldb);
}

int main(int argc, char **argv) {
    if (argc == 2 && !strcmp(argv[1], "--isa-child")) return isa_child();
    RUN(test_products_start_no_threads);
    RUN(test_fp32_dnnl_matches_reference);
    RUN(test_one_implementation_per_product);
    RUN(test_fp32_openblas_matches_reference);
    RUN(test_empty_sum_and_empty_output);
    RUN(test_bf16_rounding);
    RUN(test_bf16_dnnl_within_bound);
    RUN(test_bf16_openblas_emulation_within_bound);
    RUN(test_bf16_backends_agree);
    RUN(test_registered_weights);
    RUN(test_threads_fp32_identical);
    RUN(test_threads_bf16_identical);
    RUN(test_int8_weights_round_trip);
    RUN(test_int8_product_formula_and_bound);
    RUN(test_int8_what_falls_back);
    RUN(test_int8_settings);
    RUN(test_int8_unavailable_without_vnni);
    RUN(test_threads_int8_identical);
    RUN(test_cache_reuse_and_eviction);
    RUN(test_kernel_name);
    TEST_EXIT();
}
