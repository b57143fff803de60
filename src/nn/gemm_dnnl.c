/* gemm_dnnl.c — gemm() through oneDNN's matmul primitive.
 *
 * Creating a primitive costs far more than a small product, so each thread
 * keeps the primitives it made, keyed by everything that shapes them
 * (transposes, sizes, strides, alpha, beta, precision): a set-associative
 * LRU cache of 512 entries, thread-local so that the shards running in
 * parallel never share or lock it. Training at emb 256 / hidden 512 on
 * Multi30k meets ~330 distinct products per thread in 80 updates (lengths
 * vary), creating one takes ~0.4 ms. oneDNN's own global cache sits behind
 * ours and makes a re-creation after an eviction cheaper.
 *
 * One thread per product: Debian builds oneDNN on the OpenMP runtime, where
 * a primitive uses omp_get_max_threads() threads, fixed when it is created
 * (inside a parallel region it runs single-threaded but may keep a blocking
 * chosen for more threads). Lowering the calling thread's nthreads ICV to 1
 * around creation and execution makes every primitive a one-thread one,
 * created and run the same way on every thread, so the bits never depend on
 * --threads. The ICV belongs to the calling OpenMP task, so this does not
 * disturb other threads.
 *
 * Scratchpads are user-managed: one growable buffer per thread instead of
 * one allocation per primitive.
 *
 * One implementation per product, process-wide: gemm_dnnl_choice.c.
 *
 * A failure of oneDNN (out of memory, a shape it has no kernel for) never
 * ends the process: gemm_dnnl() returns -1 before C is written and gemm()
 * runs the product on OpenBLAS. A primitive that could not be created is
 * remembered as such in the cache, so the same product is not retried at
 * every call. */
#define _POSIX_C_SOURCE 200809L
#include <dnnl.h>
#include <omp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nn/gemm_dnnl_choice.h"
#include "nn/gemm_impl.h"
#include "sys/util.h"

#define SETS 128
#define WAYS 4

typedef struct {
    int ta, tb, M, N, K, lda, ldb, ldc;
    int kind; /* DnnlKind */
    uint32_t alpha, beta;
} Key;

typedef struct {
    Key key;
    int used;
    unsigned long stamp;
    dnnl_primitive_t prim;
    dnnl_memory_t a, b, c, scratch; /* handles set at each call */
    size_t scratch_bytes;
} Entry;

typedef struct {
    dnnl_stream_t stream;
    unsigned long clock;
    Entry e[SETS][WAYS];
} ThreadCache;

static dnnl_engine_t engine;
static int engine_ok;
static pthread_once_t engine_once = PTHREAD_ONCE_INIT;
static pthread_key_t cache_key;

static int ok(dnnl_status_t s) { return s == dnnl_success; }

/* Also an entry whose creation failed half-way (its missing handles are NULL). */
static void entry_free(Entry *e) {
    if (!e->used) return;
    if (e->prim) dnnl_primitive_destroy(e->prim);
    if (e->a) dnnl_memory_destroy(e->a);
    if (e->b) dnnl_memory_destroy(e->b);
    if (e->c) dnnl_memory_destroy(e->c);
    if (e->scratch) dnnl_memory_destroy(e->scratch);
    memset(e, 0, sizeof *e);
}

static void cache_free(void *v) {
    ThreadCache *tc = v;
    for (int s = 0; s < SETS; s++)
        for (int w = 0; w < WAYS; w++) entry_free(&tc->e[s][w]);
    dnnl_stream_destroy(tc->stream);
    free(tc);
}

static void engine_init(void) {
    /* without a key (a host that used up its PTHREAD_KEYS_MAX) there are no
     * per-thread caches, so no oneDNN: OpenBLAS runs the products */
    engine_ok = ok(dnnl_engine_create(&engine, dnnl_cpu, 0)) && pthread_key_create(&cache_key, cache_free) == 0;
}

int gemm_dnnl_available(void) {
    pthread_once(&engine_once, engine_init);
    return engine_ok;
}

/* The calling thread's cache, or NULL when oneDNN cannot give it a stream. */
static ThreadCache *thread_cache(void) {
    ThreadCache *tc = pthread_getspecific(cache_key);
    if (!tc) {
        tc = xcalloc(1, sizeof *tc);
        if (!ok(dnnl_stream_create(&tc->stream, engine, dnnl_stream_default_flags)) ||
            pthread_setspecific(cache_key, tc) != 0) {
            if (tc->stream) dnnl_stream_destroy(tc->stream);
            free(tc);
            return NULL;
        }
    }
    return tc;
}

/* Row-major matrix of rows x cols, element (i, j) at i * rs + j * cs. */
static int md(dnnl_memory_desc_t *d, int rows, int cols, int rs, int cs, dnnl_data_type_t t) {
    dnnl_dims_t dims = {rows, cols}, strides = {rs, cs};
    return ok(dnnl_memory_desc_init_by_strides(d, 2, dims, t, strides));
}

static int new_memory(dnnl_memory_t *m, const dnnl_memory_desc_t *d) {
    return ok(dnnl_memory_create(m, d, engine, DNNL_MEMORY_NONE));
}

/* Fill e with the primitive for k: 0, or -1 when oneDNN refused (e then
 * holds k without a primitive, so that lookup() finds the failure). */
static int entry_create(Entry *e, const Key *k, const char *prefer) {
    memset(e, 0, sizeof *e);
    e->key = *k;
    e->used = 1;
    static const dnnl_data_type_t in_type[] = {dnnl_f32, dnnl_bf16, dnnl_s8};
    const dnnl_data_type_t in = in_type[k->kind], out = k->kind == DNNL_S8 ? dnnl_s32 : dnnl_f32;
    dnnl_memory_desc_t a, b, c;
    dnnl_matmul_desc_t desc;
    dnnl_primitive_attr_t attr = NULL;
    dnnl_post_ops_t ops = NULL;
    dnnl_primitive_desc_t pd = NULL;
    float alpha, beta;
    memcpy(&alpha, &k->alpha, sizeof alpha), memcpy(&beta, &k->beta, sizeof beta);
    /* op(A) is M x K: A stored M x K, or K x M read with swapped strides */
    int done = md(&a, k->M, k->K, k->ta ? 1 : k->lda, k->ta ? k->lda : 1, in) &&
               md(&b, k->K, k->N, k->tb ? 1 : k->ldb, k->tb ? k->ldb : 1, in) &&
               md(&c, k->M, k->N, k->ldc, 1, out) && ok(dnnl_matmul_desc_init(&desc, &a, &b, NULL, &c)) &&
               ok(dnnl_primitive_attr_create(&attr)) &&
               ok(dnnl_primitive_attr_set_scratchpad_mode(attr, dnnl_scratchpad_mode_user)) &&
               (alpha == 1.0f || ok(dnnl_primitive_attr_set_output_scales(attr, 1, 0, &alpha))) &&
               /* C = alpha AB + beta C; without the post-op C is only written */
               (beta == 0.0f || (ok(dnnl_post_ops_create(&ops)) && ok(dnnl_post_ops_append_sum(ops, beta)) &&
                                 ok(dnnl_primitive_attr_set_post_ops(attr, ops)))) &&
               gemm_dnnl_settled_pd(&pd, &desc, attr, engine, k, sizeof *k, prefer) == 0 &&
               ok(dnnl_primitive_create(&e->prim, pd)) && new_memory(&e->a, &a) && new_memory(&e->b, &b) &&
               new_memory(&e->c, &c);
    if (done) {
        const dnnl_memory_desc_t *sd = dnnl_primitive_desc_query_md(pd, dnnl_query_scratchpad_md, 0);
        e->scratch_bytes = sd ? dnnl_memory_desc_get_size(sd) : 0;
        if (e->scratch_bytes) done = new_memory(&e->scratch, sd);
    }
    if (ops) dnnl_post_ops_destroy(ops);
    if (attr) dnnl_primitive_attr_destroy(attr);
    if (pd) dnnl_primitive_desc_destroy(pd);
    if (done) return 0;
    entry_free(e);
    e->key = *k;
    e->used = 1;
    return -1;
}

static unsigned key_hash(const Key *k) {
    const int v[] = {k->ta, k->tb, k->M, k->N, k->K, k->lda, k->ldb, k->ldc, k->kind, (int)k->alpha, (int)k->beta};
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) h = (h ^ (uint32_t)v[i]) * 16777619u;
    return (h ^ (h >> 15)) % SETS;
}

static Entry *lookup(ThreadCache *tc, const Key *k, const char *prefer) {
    Entry *set = tc->e[key_hash(k)], *victim = &set[0];
    for (int w = 0; w < WAYS; w++) {
        if (set[w].used && memcmp(&set[w].key, k, sizeof *k) == 0) {
            set[w].stamp = ++tc->clock;
            return &set[w];
        }
        if (!set[w].used || (victim->used && set[w].stamp < victim->stamp)) victim = &set[w];
    }
    entry_free(victim);
    entry_create(victim, k, prefer);
    victim->stamp = ++tc->clock;
    return victim;
}

/* 0, or -1 when oneDNN refused the product (then C is untouched: the CPU
 * engine checks everything before it computes). */
static int run(const Key *k, const void *A, const void *B, void *C) {
    /* one thread, created and run alike everywhere: see the top of the file */
    const int saved = omp_get_max_threads();
    if (saved != 1) omp_set_num_threads(1);
    ThreadCache *tc = thread_cache();
    Entry *e = tc ? lookup(tc, k, NULL) : NULL;
    int done = e && e->prim && ok(dnnl_memory_set_data_handle(e->a, (void *)A)) &&
               ok(dnnl_memory_set_data_handle(e->b, (void *)B)) && ok(dnnl_memory_set_data_handle(e->c, C)) &&
               (!e->scratch ||
                ok(dnnl_memory_set_data_handle(e->scratch, gemm_thread_buffer(3, e->scratch_bytes))));
    if (done) {
        dnnl_exec_arg_t args[4] = {{DNNL_ARG_SRC, e->a}, {DNNL_ARG_WEIGHTS, e->b}, {DNNL_ARG_DST, e->c},
                                   {DNNL_ARG_SCRATCHPAD, e->scratch}};
        done = ok(dnnl_primitive_execute(e->prim, tc->stream, e->scratch ? 4 : 3, args)) &&
               ok(dnnl_stream_wait(tc->stream));
    }
    if (saved != 1) omp_set_num_threads(saved);
    return done ? 0 : -1;
}

/* A bf16 view of a stored factor X [rows][cols] (row stride *ld), grown by
 * extra_rows zero rows and extra_cols zero columns: the registered copy when
 * nothing is added, else a conversion into the thread's buffer `slot`
 * (compact, so its row stride becomes cols + extra_cols). */
static const uint16_t *bf16_operand(const float *X, int rows, int cols, int *ld, int extra_rows, int extra_cols,
                                    int slot) {
    if (!extra_rows && !extra_cols) {
        const uint16_t *w = gemm_weights_find(X, rows, cols, *ld);
        if (w) return w;
    }
    const int wide = cols + extra_cols;
    uint16_t *buf = gemm_thread_buffer(slot, (size_t)(rows + extra_rows) * wide * sizeof(uint16_t));
    if (!extra_cols) {
        bf16_from_f32(X, rows, cols, *ld, buf);
    } else {
        for (int r = 0; r < rows; r++) {
            bf16_from_f32(X + (size_t)r * *ld, 1, cols, *ld, buf + (size_t)r * wide);
            for (int c = cols; c < wide; c++) buf[(size_t)r * wide + c] = 0;
        }
    }
    memset(buf + (size_t)rows * wide, 0, (size_t)extra_rows * wide * sizeof(uint16_t));
    *ld = wide;
    return buf;
}

int gemm_dnnl(int ta, int tb, int M, int N, int K, float alpha, const float *A, int lda, const float *B, int ldb,
              float beta, float *C, int ldc, int bf16) {
    if (!gemm_dnnl_available()) return -1;
    const void *a = A, *b = B;
    if (bf16) {
        /* bf16 products on an odd K run one zero term longer: oneDNN 2.6's AMX
         * kernels pair the K elements, and some odd K (63 with M > 64 and N
         * not a multiple of 16) execute tile instructions unconfigured and
         * die of SIGILL; a zero term adds an exact 0 */
        const int pad = K % 2;
        a = bf16_operand(A, ta ? K : M, ta ? M : K, &lda, pad && ta, pad && !ta, 0);
        b = bf16_operand(B, tb ? N : K, tb ? K : N, &ldb, pad && !tb, pad && tb, 1);
        K += pad;
    }
    Key k = {ta, tb, M, N, K, lda, ldb, ldc, bf16 ? DNNL_BF16 : DNNL_F32, 0, 0};
    memcpy(&k.alpha, &alpha, sizeof alpha), memcpy(&k.beta, &beta, sizeof beta);
    return run(&k, a, b, C);
}

/* s8 x s8: on VNNI oneDNN shifts A to u8 and subtracts the compensation it
 * computes from B, exactly (the sums are integers); AMX multiplies s8
 * directly. alpha 1 and beta 0: gemm_int8 scales the sums itself. */
static Key s8_key(int M, int N, int K, int lda, int ldb) {
    return (Key){0, 1, M, N, K, lda, ldb, N, DNNL_S8, 0x3f800000u, 0};
}

int gemm_dnnl_s8(int M, int N, int K, const int8_t *A, int lda, const int8_t *B, int ldb, int32_t *acc) {
    if (!gemm_dnnl_available()) return -1;
    const Key k = s8_key(M, N, K, lda, ldb);
    return run(&k, A, B, acc);
}

int gemm_dnnl_s8_ready(int M, int N, int K, int lda, int ldb) {
    if (!gemm_dnnl_available()) return 0;
    const Key k = s8_key(M, N, K, lda, ldb);
    const int saved = omp_get_max_threads(); /* created as run() creates it: one thread */
    if (saved != 1) omp_set_num_threads(1);
    ThreadCache *tc = thread_cache();
    const Entry *e = tc ? lookup(tc, &k, NULL) : NULL;
    if (saved != 1) omp_set_num_threads(saved);
    return e && e->prim;
}

const char *gemm_dnnl_impl(int M, int N, int K, const char *prefer) {
    static _Thread_local char impl[GEMM_DNNL_IMPL_CHARS];
    impl[0] = 0;
    if (!gemm_dnnl_available()) return impl;
    const Key k = {0, 0, M, N, K, K, N, N, DNNL_F32, 0x3f800000u, 0};
    const int saved = omp_get_max_threads(); /* created as run() creates it: one thread */
    if (saved != 1) omp_set_num_threads(1);
    ThreadCache *tc = thread_cache();
    const Entry *e = tc ? lookup(tc, &k, prefer) : NULL;
    const_dnnl_primitive_desc_t pd;
    if (e && e->prim && ok(dnnl_primitive_get_primitive_desc(e->prim, &pd)))
        snprintf(impl, sizeof impl, "%s", gemm_dnnl_pd_impl(pd));
    if (saved != 1) omp_set_num_threads(saved);
    return impl;
}

static const char *isa_name(dnnl_cpu_isa_t isa) {
    switch ((int)isa) {
    case dnnl_cpu_isa_avx512_core_amx: return "avx512_core_amx";
    case dnnl_cpu_isa_avx512_core_bf16: return "avx512_core_bf16";
    case dnnl_cpu_isa_avx512_core_vnni: return "avx512_core_vnni";
    case dnnl_cpu_isa_avx512_core: return "avx512_core";
    case dnnl_cpu_isa_avx2_vnni: return "avx2_vnni";
    case dnnl_cpu_isa_avx2: return "avx2";
    case dnnl_cpu_isa_avx: return "avx";
    default: return "sse41";
    }
}

const char *gemm_dnnl_isa(int *vnni) {
    const dnnl_cpu_isa_t isa = dnnl_get_effective_cpu_isa();
    /* the ISA values are sets of feature bits: VNNI is part of avx512_core_vnni
     * (and of everything above it, AMX included) and of avx2_vnni */
    if (vnni)
        *vnni = ((unsigned)isa & dnnl_cpu_isa_avx512_core_vnni) == dnnl_cpu_isa_avx512_core_vnni ||
                ((unsigned)isa & dnnl_cpu_isa_avx2_vnni) == dnnl_cpu_isa_avx2_vnni;
    return isa_name(isa);
}

static char describe_text[3][160];
static int describe_made[3]; /* oneDNN made the primitive of that kind */

const char *gemm_dnnl_describe(DnnlKind kind) {
    if (!gemm_dnnl_available()) return "unavailable";
    if (!describe_text[kind][0]) {
        /* the output layer's product: 64 target words x 8000 x 512 */
        Key k = {0, 1, 64, 8000, 512, 512, 512, 8000, kind, 0x3f800000u, 0};
        Entry e = {0};
        const int saved = omp_get_max_threads();
        omp_set_num_threads(1);
        const int made = entry_create(&e, &k, NULL) == 0;
        omp_set_num_threads(saved);
        describe_made[kind] = made;
        const char *impl = made ? "?" : "no matmul primitive";
        const_dnnl_primitive_desc_t pd;
        if (made && dnnl_primitive_get_primitive_desc(e.prim, &pd) == dnnl_success)
            dnnl_primitive_desc_query(pd, dnnl_query_impl_info_str, 0, &impl);
        snprintf(describe_text[kind], sizeof describe_text[kind], "%s, max ISA %s", impl,
                 isa_name(dnnl_get_effective_cpu_isa()));
        entry_free(&e);
    }
    return describe_text[kind];
}

int gemm_dnnl_makes(DnnlKind kind) {
    gemm_dnnl_describe(kind);
    return describe_made[kind];
}

int gemm_dnnl_s8_works(void) {
    if (!gemm_dnnl_available()) return 0;
    /* the primitive of the model's typical product can be made ... */
    const Key k = s8_key(64, 8000, 512, 512, 512);
    Entry e = {0};
    const int saved = omp_get_max_threads();
    omp_set_num_threads(1);
    const int made = entry_create(&e, &k, NULL) == 0;
    omp_set_num_threads(saved);
    entry_free(&e);
    if (!made) return 0;
    /* ... and a small product runs and sums exactly, extreme values included */
    enum { M = 3, N = 5, K = 68 }; /* K a multiple of 4, as gemm_int8 pads it */
    int8_t a[M * K], b[N * K];
    int32_t acc[M * N];
    for (int i = 0; i < M * K; i++) a[i] = (int8_t)(i % 3 == 0 ? -127 : (i * 37) % 255 - 127);
    for (int i = 0; i < N * K; i++) b[i] = (int8_t)(i % 5 == 0 ? 127 : (i * 91) % 255 - 127);
    if (gemm_dnnl_s8(M, N, K, a, K, b, K, acc) != 0) return 0;
    for (int m = 0; m < M; m++)
        for (int n = 0; n < N; n++) {
            int32_t want = 0;
            for (int i = 0; i < K; i++) want += (int32_t)a[m * K + i] * b[n * K + i];
            if (acc[m * N + n] != want) return 0;
        }
    return 1;
}
