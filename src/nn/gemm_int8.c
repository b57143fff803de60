/* gemm_int8.c — int8 products (blas.h, GEMM_INT8): the registry of weights
 * kept as 8-bit integers with one scale per row, the quantization of a row,
 * and gemm_int8(), which quantizes A row by row, has oneDNN sum the integer
 * products in int32 and scales the sums back in one pass.
 *
 * The registry is read by every thread at every product without a lock:
 * an array's copy is built completely, then published in a slot with an
 * atomic store (release), and readers load the slots (acquire). Writers
 * (register, forget) take a mutex. Forgetting an array while a product
 * still reads it is the caller's error, as freeing the weights would be. */
#define _POSIX_C_SOURCE 200809L
#include <float.h>
#include <immintrin.h>
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nn/blas.h"
#include "nn/cpu.h"
#include "nn/gemm_impl.h"
#include "sys/util.h"

/* ---- quantizing a row ---- */

/* The largest |x|, and whether every x is finite: 16 lanes, and the
 * maximum is exact in any order, so the result is the scalar loop's. */
__attribute__((target("avx512f"))) static float absmax_avx512(const float *x, int n, int *finite) {
    const __m512 big = _mm512_set1_ps(FLT_MAX);
    __m512 m = _mm512_setzero_ps();
    __mmask16 bad = 0;
    int j = 0;
    for (; j + 16 <= n; j += 16) {
        __m512 a = _mm512_abs_ps(_mm512_loadu_ps(x + j));
        bad |= _mm512_cmp_ps_mask(a, big, _CMP_NLE_UQ); /* NaN or infinity */
        m = _mm512_max_ps(m, a);
    }
    float r = _mm512_reduce_max_ps(m);
    int ok = bad == 0;
    for (; j < n; j++) {
        float a = fabsf(x[j]);
        ok &= a <= FLT_MAX;
        r = a > r ? a : r;
    }
    *finite = ok;
    return r;
}

/* q = x * inv rounded to nearest even (the MXCSR default, as nearbyintf),
 * saturated to [-127, 127]. */
__attribute__((target("avx512f,avx512bw"))) static void scale_row_avx512(const float *x, int n, float inv, int8_t *q) {
    const __m512 v = _mm512_set1_ps(inv);
    const __m512i lo = _mm512_set1_epi32(-127), hi = _mm512_set1_epi32(127);
    int j = 0;
    for (; j + 16 <= n; j += 16) {
        __m512i r = _mm512_cvtps_epi32(_mm512_mul_ps(_mm512_loadu_ps(x + j), v));
        r = _mm512_min_epi32(_mm512_max_epi32(r, lo), hi);
        _mm_storeu_si128((__m128i *)(q + j), _mm512_cvtepi32_epi8(r));
    }
    for (; j < n; j++) {
        float r = nearbyintf(x[j] * inv);
        q[j] = (int8_t)(r > 127.0f ? 127 : r < -127.0f ? -127 : (int)r);
    }
}

static int have_avx512(void) { return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw"); }

int int8_quantize_row(const float *x, int n, int8_t *q, float *scale) {
    const int vec = have_avx512();
    int finite = 1;
    float m = 0.0f;
    if (vec) {
        m = absmax_avx512(x, n, &finite);
    } else {
        for (int j = 0; j < n; j++) {
            float a = fabsf(x[j]);
            finite &= a <= FLT_MAX;
            m = a > m ? a : m;
        }
    }
    if (!finite) return -1;
    if (m == 0.0f) {
        memset(q, 0, (size_t)n);
        *scale = 0.0f;
        return 0;
    }
    /* 127 / m can overflow for a tiny m (a subnormal row); such a row is zero to int8 */
    const float inv = 127.0f / m;
    if (!(inv <= FLT_MAX)) {
        memset(q, 0, (size_t)n);
        *scale = 0.0f;
        return 0;
    }
    *scale = m / 127.0f;
    if (vec) {
        scale_row_avx512(x, n, inv, q);
    } else {
        for (int j = 0; j < n; j++) {
            float r = nearbyintf(x[j] * inv);
            q[j] = (int8_t)(r > 127.0f ? 127 : r < -127.0f ? -127 : (int)r);
        }
    }
    return 0;
}

/* ---- the registry ---- */

typedef struct {
    size_t offset, end; /* floats [offset, end) of the array */
    int rows, cols;
    size_t first_scale; /* index of its first row's scale */
    int finite;         /* no NaN or infinity: only then is the copy used */
} Tensor;

typedef struct {
    const float *w;
    size_t n;
    int8_t *q;     /* [n], at the floats' offsets */
    float *scale;  /* one per row of every tensor */
    Tensor *t;     /* [count], by offset */
    int count;
} Int8Array;

enum { MAX_ARRAYS = 256 };
static _Atomic(Int8Array *) arrays[MAX_ARRAYS];
static atomic_int arrays_used; /* slots [0, arrays_used) may be taken */
static pthread_mutex_t registry_lock = PTHREAD_MUTEX_INITIALIZER;

static int slot_of(const float *w) {
    const int used = atomic_load_explicit(&arrays_used, memory_order_acquire);
    for (int i = 0; i < used; i++) {
        const Int8Array *a = atomic_load_explicit(&arrays[i], memory_order_acquire);
        if (a && a->w == w) return i;
    }
    return -1;
}

int gemm_int8_registered(const float *w) { return w && slot_of(w) >= 0; }

static void array_free(Int8Array *a) {
    if (!a) return;
    free(a->q), free(a->scale), free(a->t), free(a);
}

int gemm_int8_register(const float *w, size_t n, const GemmTensor *t, int count, char *err, size_t errsz) {
    size_t rows = 0, end = 0;
    for (int i = 0; i < count; i++) {
        const size_t size = (size_t)t[i].rows * (size_t)t[i].cols;
        if (t[i].rows <= 0 || t[i].cols <= 0 || t[i].offset < end || t[i].offset > n || size > n - t[i].offset) {
            snprintf(err, errsz, "int8 weights: tensor %d (%d x %d at %zu) overlaps another or leaves the %zu floats",
                     i, t[i].rows, t[i].cols, t[i].offset, n);
            return -1;
        }
        end = t[i].offset + size;
        rows += (size_t)t[i].rows;
    }
    pthread_mutex_lock(&registry_lock);
    if (slot_of(w) >= 0) { /* the copy made first stays: threads may be reading it */
        pthread_mutex_unlock(&registry_lock);
        return 0;
    }
    int s = 0;
    while (s < MAX_ARRAYS && atomic_load_explicit(&arrays[s], memory_order_relaxed)) s++;
    if (s == MAX_ARRAYS) {
        pthread_mutex_unlock(&registry_lock);
        snprintf(err, errsz, "int8 weights: more than %d arrays registered at once", MAX_ARRAYS);
        return -1;
    }
    Int8Array *a = xcalloc(1, sizeof *a);
    a->w = w, a->n = n, a->count = count;
    a->q = xcalloc(n ? n : 1, 1);
    a->scale = xmalloc(sizeof(float) * (rows ? rows : 1));
    a->t = xmalloc(sizeof(Tensor) * (size_t)(count ? count : 1));
    size_t first = 0;
    for (int i = 0; i < count; i++) {
        Tensor *x = &a->t[i];
        *x = (Tensor){t[i].offset, t[i].offset + (size_t)t[i].rows * t[i].cols, t[i].rows, t[i].cols, first, 1};
        for (int r = 0; r < x->rows; r++) {
            const size_t at = x->offset + (size_t)r * x->cols;
            if (int8_quantize_row(w + at, x->cols, a->q + at, &a->scale[first + r]) != 0) x->finite = 0;
        }
        first += (size_t)x->rows;
    }
    atomic_store_explicit(&arrays[s], a, memory_order_release);
    if (s >= atomic_load_explicit(&arrays_used, memory_order_relaxed))
        atomic_store_explicit(&arrays_used, s + 1, memory_order_release);
    pthread_mutex_unlock(&registry_lock);
    return 0;
}

void gemm_int8_forget(const float *w) {
    pthread_mutex_lock(&registry_lock);
    const int s = slot_of(w);
    Int8Array *a = NULL;
    if (s >= 0) a = atomic_exchange_explicit(&arrays[s], NULL, memory_order_acq_rel);
    pthread_mutex_unlock(&registry_lock);
    array_free(a);
}

int gemm_int8_find(const float *p, int rows, int cols, int ld, const int8_t **q, const float **scale) {
    const int used = atomic_load_explicit(&arrays_used, memory_order_acquire);
    const uintptr_t lo = (uintptr_t)p;
    for (int i = 0; i < used; i++) {
        const Int8Array *a = atomic_load_explicit(&arrays[i], memory_order_acquire);
        if (!a) continue;
        const uintptr_t w = (uintptr_t)a->w;
        if (lo < w || lo >= w + a->n * sizeof(float) || (lo - w) % sizeof(float)) continue;
        const size_t off = (lo - w) / sizeof(float);
        /* the tensor holding the first element: the last one starting at or before it */
        int l = 0, h = a->count - 1, k = -1;
        while (l <= h) {
            const int mid = l + (h - l) / 2;
            if (a->t[mid].offset <= off) k = mid, l = mid + 1;
            else h = mid - 1;
        }
        if (k < 0) return 0;
        const Tensor *x = &a->t[k];
        if (off >= x->end || !x->finite || ld != x->cols) return 0;
        const size_t row = (off - x->offset) / (size_t)x->cols, col = (off - x->offset) % (size_t)x->cols;
        if (col + (size_t)cols > (size_t)x->cols || row + (size_t)rows > (size_t)x->rows) return 0;
        *q = a->q + off;
        *scale = a->scale + x->first_scale + row;
        return 1;
    }
    return 0;
}

/* ---- the product ---- */

/* C = alpha s_a[m] s_b[n] acc[m][n] (+ beta C), each element on its own:
 * the same bits on every instruction set (no FMA contraction in ISO C). */
NMT_HOT static void scale_sums(int M, int N, const int32_t *acc, const float *sa, const float *sb, float alpha,
                               float beta, float *C, int ldc) {
    for (int m = 0; m < M; m++) {
        const float r = alpha * sa[m];
        const int32_t *s = acc + (size_t)m * N; /* compact: row stride N */
        float *c = C + (size_t)m * ldc;
        if (beta == 0.0f) {
            for (int n = 0; n < N; n++) c[n] = r * sb[n] * (float)s[n];
        } else {
            for (int n = 0; n < N; n++) c[n] = r * sb[n] * (float)s[n] + beta * c[n];
        }
    }
}

static size_t round64(size_t bytes) { return (bytes + 63) & ~(size_t)63; }

int gemm_int8(int M, int N, int K, float alpha, const float *A, int lda, const float *B, int ldb, float beta, float *C,
              int ldc) {
    const int8_t *wq;
    const float *ws;
    if (!gemm_int8_find(B, N, K, ldb, &wq, &ws)) return 1;
    /* K padded to a multiple of 4 with zeros (exact: a zero term adds 0):
     * VNNI and AMX sum groups of 4 bytes, and oneDNN 2.6's AMX kernels
     * misbehave on some odd K in bf16 (gemm_dnnl.c) */
    const int Kp = (K + 3) & ~3;
    /* slot 0: A's scales, then its s8 rows; slot 1: W padded (odd K only); slot 2: the sums */
    char *buf = gemm_thread_buffer(0, round64(sizeof(float) * (size_t)M) + (size_t)M * Kp);
    float *sa = (float *)buf;
    int8_t *qa = (int8_t *)(buf + round64(sizeof(float) * (size_t)M));
    for (int m = 0; m < M; m++) {
        if (int8_quantize_row(A + (size_t)m * lda, K, qa + (size_t)m * Kp, &sa[m]) != 0) return 1;
        memset(qa + (size_t)m * Kp + K, 0, (size_t)(Kp - K));
    }
    int ldq = ldb;
    if (Kp != K) {
        int8_t *wp = gemm_thread_buffer(1, (size_t)N * Kp);
        for (int n = 0; n < N; n++) {
            memcpy(wp + (size_t)n * Kp, wq + (size_t)n * ldb, (size_t)K);
            memset(wp + (size_t)n * Kp + K, 0, (size_t)(Kp - K));
        }
        wq = wp, ldq = Kp;
    }
    /* The sums are scaled while they are still in the cache: the product
     * runs on blocks of columns whose M x NB sums take about 256 KB (a
     * whole output layer's would go to memory and back). Every block is a
     * product of its own, exact like the whole, so the bits do not change. */
    int NB = (int)(((size_t)256 << 10) / (sizeof(int32_t) * (size_t)M)) & ~63;
    if (NB < 64) NB = 64;
    if (NB > N) NB = N;
    /* both block shapes made before C is written, so that a refusal leaves C as it was */
    if (!gemm_dnnl_s8_ready(M, NB, Kp, Kp, ldq) || (N % NB && !gemm_dnnl_s8_ready(M, N % NB, Kp, Kp, ldq))) return -1;
    int32_t *acc = gemm_thread_buffer(2, sizeof(int32_t) * (size_t)M * NB);
    for (int n0 = 0; n0 < N; n0 += NB) {
        const int nb = N - n0 < NB ? N - n0 : NB;
        if (gemm_dnnl_s8(M, nb, Kp, qa, Kp, wq + (size_t)n0 * ldq, ldq, acc) != 0) return -1;
        scale_sums(M, nb, acc, sa, ws + n0, alpha, beta, C + n0, ldc);
    }
    return 0;
}
