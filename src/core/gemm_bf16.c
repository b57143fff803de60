/* gemm_bf16.c — bf16 rounding, the registry of constant operands kept in
 * bf16 (blas.h) and per-thread scratch buffers. */
#define _POSIX_C_SOURCE 200809L
#include <immintrin.h>
#include <omp.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "core/blas.h"
#include "core/gemm_impl.h"
#include "core/util.h"

/* Branch-free so that the compiler can vectorize the loops below. */
static inline uint32_t bf16_bits(float f) {
    uint32_t u;
    memcpy(&u, &f, sizeof u);
    uint32_t rounded = (u + 0x7fffu + ((u >> 16) & 1u)) >> 16;
    uint32_t quiet_nan = (u >> 16) | 0x40u;
    return (u & 0x7fffffffu) > 0x7f800000u ? quiet_nan : rounded;
}

/* The same integer rounding, 16 floats at a time: the compiler's own
 * vectorization of the loop below ran at a third of memcpy's speed, and
 * activations are converted at every bf16 product. */
__attribute__((target("avx512f,avx512bw"))) static void bf16_row_avx512(const float *s, uint16_t *d, int n) {
    const __m512i round = _mm512_set1_epi32(0x7fff), one = _mm512_set1_epi32(1);
    const __m512i abs_mask = _mm512_set1_epi32(0x7fffffff), inf = _mm512_set1_epi32(0x7f800000);
    const __m512i quiet = _mm512_set1_epi32(0x40);
    int j = 0;
    for (; j + 16 <= n; j += 16) {
        __m512i u = _mm512_loadu_si512((const void *)(s + j));
        __m512i hi = _mm512_srli_epi32(u, 16);
        __m512i r = _mm512_srli_epi32(_mm512_add_epi32(_mm512_add_epi32(u, round), _mm512_and_si512(hi, one)), 16);
        __mmask16 nan = _mm512_cmpgt_epu32_mask(_mm512_and_si512(u, abs_mask), inf);
        r = _mm512_mask_or_epi32(r, nan, hi, quiet);
        _mm256_storeu_si256((__m256i *)(d + j), _mm512_cvtepi32_epi16(r));
    }
    for (; j < n; j++) d[j] = (uint16_t)bf16_bits(s[j]);
}

void bf16_from_f32(const float *src, int rows, int cols, int ld, uint16_t *dst) {
    const int avx512 = __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw");
    for (int i = 0; i < rows; i++) {
        const float *s = src + (size_t)i * ld;
        uint16_t *d = dst + (size_t)i * cols;
        if (avx512) {
            bf16_row_avx512(s, d, cols);
            continue;
        }
        for (int j = 0; j < cols; j++) d[j] = (uint16_t)bf16_bits(s[j]);
    }
}

void bf16_round_f32(const float *src, int rows, int cols, int ld, float *dst) {
    for (int i = 0; i < rows; i++) {
        const float *s = src + (size_t)i * ld;
        float *d = dst + (size_t)i * cols;
        for (int j = 0; j < cols; j++) {
            uint32_t u = bf16_bits(s[j]) << 16;
            memcpy(&d[j], &u, sizeof u);
        }
    }
}

/* ---- registry of constant operands ---- */

#define MAX_WEIGHTS 8
static struct {
    const float *w;
    size_t n;
    uint16_t *copy;
} reg[MAX_WEIGHTS];

static void outside_parallel(const char *what) {
    /* gemm() reads the registry without a lock from every thread */
    if (omp_in_parallel()) die("%s: called inside a parallel region", what);
}

static int find_slot(const float *w) {
    for (int i = 0; i < MAX_WEIGHTS; i++)
        if (reg[i].copy && reg[i].w == w) return i;
    return -1;
}

void gemm_weights_register(const float *w, size_t n) {
    outside_parallel("gemm_weights_register");
    int s = find_slot(w);
    if (s >= 0 && reg[s].n != n) gemm_weights_forget(w), s = -1;
    if (s < 0) {
        for (s = 0; s < MAX_WEIGHTS && reg[s].copy; s++) {}
        if (s == MAX_WEIGHTS) die("gemm_weights_register: more than %d arrays", MAX_WEIGHTS);
        reg[s].w = w, reg[s].n = n;
        reg[s].copy = xmalloc(n ? n * sizeof(uint16_t) : 1);
    }
    gemm_weights_refresh(w);
}

void gemm_weights_refresh(const float *w) {
    outside_parallel("gemm_weights_refresh");
    int s = find_slot(w);
    if (s < 0) die("gemm_weights_refresh: array not registered");
    /* in rows of 2^20 so that the int dimensions cannot overflow */
    const size_t row = (size_t)1 << 20;
    size_t full = reg[s].n / row, rest = reg[s].n % row;
#pragma omp parallel for schedule(static)
    for (size_t i = 0; i < full; i++) bf16_from_f32(w + i * row, 1, (int)row, (int)row, reg[s].copy + i * row);
    if (rest) bf16_from_f32(w + full * row, 1, (int)rest, (int)rest, reg[s].copy + full * row);
}

void gemm_weights_forget(const float *w) {
    outside_parallel("gemm_weights_forget");
    int s = find_slot(w);
    if (s < 0) return;
    free(reg[s].copy);
    memset(&reg[s], 0, sizeof reg[s]);
}

const uint16_t *gemm_weights_find(const float *p, int rows, int cols, int ld) {
    uintptr_t lo = (uintptr_t)p, hi = lo + ((size_t)(rows - 1) * ld + cols) * sizeof(float);
    for (int i = 0; i < MAX_WEIGHTS; i++) {
        if (!reg[i].copy) continue;
        uintptr_t w = (uintptr_t)reg[i].w;
        if (lo >= w && hi <= w + reg[i].n * sizeof(float) && (lo - w) % sizeof(float) == 0)
            return reg[i].copy + (lo - w) / sizeof(float);
    }
    return NULL;
}

/* ---- per-thread scratch ---- */

#define SLOTS 4
typedef struct {
    void *p[SLOTS];
    size_t cap[SLOTS];
} Buffers;

/* The calling thread's buffers; the key only frees them when the thread
 * ends. Without a key (a host that used up its PTHREAD_KEYS_MAX) they
 * still work, they are then just not freed with their thread. */
static _Thread_local Buffers *thread_buffers;
static pthread_key_t buffers_key;
static int buffers_key_ok;
static pthread_once_t buffers_once = PTHREAD_ONCE_INIT;

static void buffers_free(void *v) {
    Buffers *b = v;
    for (int i = 0; i < SLOTS; i++) free(b->p[i]);
    free(b);
    thread_buffers = NULL; /* runs on the ending thread: a later call there starts anew */
}

static void buffers_init(void) { buffers_key_ok = pthread_key_create(&buffers_key, buffers_free) == 0; }

void *gemm_thread_buffer(int slot, size_t bytes) {
    pthread_once(&buffers_once, buffers_init);
    Buffers *b = thread_buffers;
    if (!b) {
        b = thread_buffers = xcalloc(1, sizeof *b);
        if (buffers_key_ok) pthread_setspecific(buffers_key, b);
    }
    if (bytes > b->cap[slot]) {
        free(b->p[slot]);
        size_t cap = bytes + bytes / 4 + 64;
        /* 64-byte alignment: vector loads in the kernels */
        if (posix_memalign(&b->p[slot], 64, cap) != 0) die("out of memory (%zu bytes)", cap);
        b->cap[slot] = cap;
    }
    return b->p[slot];
}
