/* blas.h — the one way this project multiplies matrices.
 *
 * gemm() runs on one of two backends, chosen once per process:
 *   - oneDNN's matmul primitive (the default): it picks kernels by the CPU's
 *     ISA at run time (AVX-512, AMX) and has bf16 kernels;
 *   - OpenBLAS' cblas_sgemm, kept for comparison and as the fallback (where
 *     oneDNN has no CPU engine, and for any product oneDNN refuses to run).
 * NMT_GEMM=openblas|dnnl in the environment selects one.
 *
 * Every product runs on the calling thread alone, whatever the backend:
 * the project parallelizes across batch shards, and a product split across
 * threads could sum in a different order and change the bits. The same
 * product therefore gives the same bits on every thread, inside or outside
 * an OpenMP parallel region, run after run (on one machine and backend).
 *
 * Debian's OpenBLAS 0.3.21 does not know every recent CPU and may fall back
 * to slow generic kernels; it reads OPENBLAS_CORETYPE only while it loads,
 * so blas_setup() re-executes the program once with the right value set. */
#ifndef NMT_BLAS_H
#define NMT_BLAS_H

#include <stddef.h>

typedef enum { GEMM_OPENBLAS, GEMM_DNNL } GemmBackend;

/* GEMM_BF16: both factors are rounded to bfloat16 (8 significant bits,
 * round to nearest even), products are accumulated and written in fp32.
 * Each input then carries a relative error of at most 2^-8 (2^-9 from the
 * rounding of each factor), so an element of the result is off by at most
 * about 2 * 2^-8 * sum_k |a_ik| |b_kj| (tests/test_gemm.c checks this).
 *
 * GEMM_INT8 (translation only): a product C = alpha A W^T + beta C whose W
 * lies in an array registered with gemm_int8_register (weights, quantized
 * once: row n as integers in [-127, 127] times s_n = max_k |W_nk| / 127)
 * multiplies 8-bit integers: each row m of A is quantized the same way at
 * the product (s_m = max_k |A_mk| / 127), oneDNN sums the integer products
 * exactly in int32 (VNNI kernels), and C = alpha s_m s_n acc + beta C. With
 * |a - s_m q_a| <= s_m / 2 and |w - s_n q_w| <= s_n / 2 an element is off by
 * at most sum_k (|a_k| s_n / 2 + |w_k| s_m / 2 + s_m s_n / 4), plus fp32
 * rounding (tests/test_gemm.c checks it); the integer sums are exact, so the
 * bits depend on no blocking, thread or instruction set. Every other product
 * (activations times activations, transposed operands, unregistered
 * factors, a row of A holding a NaN or an infinity) runs at
 * gemm_int8_fallback(). int8 needs oneDNN on a CPU with VNNI (AVX512_VNNI or
 * AVX-VNNI; AMX-INT8 CPUs have it): elsewhere every product runs at the
 * fallback (gemm_int8_unavailable says why). */
typedef enum { GEMM_FP32, GEMM_BF16, GEMM_INT8 } GemmPrecision;

/* Call first thing in main(). May re-execute the program (argv unchanged)
 * when OpenBLAS picked kernels slower than the CPU supports. Also pins
 * OpenBLAS to one thread and reads NMT_GEMM and NMT_GEMM_PRECISION: dies
 * naming the variable when one holds something else than its choices. */
void blas_setup(char **argv);

/* NULL when NMT_GEMM and NMT_GEMM_PRECISION are unset or valid, else why
 * not, e.g. "NMT_GEMM=bogus: expected openblas or dnnl" (the library's
 * entry points return it; gemm() then runs on the defaults). Both are read
 * once, at the first call of this or any gemm function. */
const char *gemm_env_error(void);

/* What runs the products, e.g. "oneDNN avx512_core_amx" or "OpenBLAS Haswell",
 * followed by " (bf16)" or " (int8, ...)" when that precision is in use. */
const char *blas_kernel_name(void);

GemmBackend gemm_backend(void);
/* Switch backend (benchmarks and tests compare them). Call outside parallel
 * regions. Returns the previous one. */
GemmBackend gemm_set_backend(GemmBackend b);

/* Process-wide precision of every following gemm(), GEMM_FP32 at start (or
 * NMT_GEMM_PRECISION=bf16|int8). Process-wide rather than per thread because the
 * products of one update run on OpenMP worker threads, which would not see
 * a setting made by the thread that starts them. Call outside parallel
 * regions. Returns the previous one (as set). With OpenBLAS, bf16 is emulated (the
 * factors are rounded, then multiplied in fp32): same numbers, no speed-up. */
GemmPrecision gemm_set_precision(GemmPrecision p);
/* The precision the products run at: the one set, except GEMM_INT8 where
 * int8 products cannot run (gemm_int8_unavailable), which runs at
 * gemm_int8_fallback(). */
GemmPrecision gemm_precision(void);
/* Does this CPU compute bf16 products natively (AVX512_BF16; every AMX-BF16 CPU has it)? */
int gemm_native_bf16(void);
/* The precision the tools use when no --precision is given: the one
 * NMT_GEMM_PRECISION names, else bf16 when oneDNN runs the products on a
 * CPU with native bf16, else fp32. (The library itself starts at fp32.) */
GemmPrecision gemm_preferred_precision(void);
/* The precisions' names in GemmPrecision order, NULL-terminated (tables of flags). */
extern const char *const GEMM_PRECISION_NAMES[];
/* "fp32", "bf16" or "int8" -> precision: 0, or -1 for anything else. */
int gemm_parse_precision(const char *name, GemmPrecision *p);

/* ---- int8 products (GEMM_INT8) ----
 * NULL when int8 products can run here, else why not, e.g. "oneDNN's
 * instruction set here is avx2, without VNNI" (it honours ONEDNN_MAX_CPU_ISA),
 * "oneDNN refused an int8 product" or, with NMT_GEMM=openblas, that OpenBLAS
 * has none. The CPU is examined once, the backend at every call. */
const char *gemm_int8_unavailable(void);
/* The precision of the products int8 does not cover, and of all of them
 * where int8 is unavailable: the tools' default without NMT_GEMM_PRECISION
 * (bf16 where oneDNN runs on a CPU with native bf16, else fp32). */
GemmPrecision gemm_int8_fallback(void);
/* Products oneDNN refused to run in int8 so far (they ran at the fallback). */
long gemm_int8_refused(void);

/* A tensor of a registered array: rows x cols floats stored row after row
 * (row stride cols) from offset (in floats). */
typedef struct {
    size_t offset;
    int rows, cols;
} GemmTensor;

/* Keep an int8 copy of the n floats at w: each tensor's rows quantized on
 * their own (t[0..count) in increasing offset order, not overlapping,
 * inside the array; floats outside every tensor are never used in int8).
 * While the precision is GEMM_INT8, a product whose W (op(B) = W^T, tb = 1)
 * lies inside one tensor, as whole rows or as the same columns of
 * consecutive rows at the tensor's row stride (a column slice keeps each
 * whole row's scale), reads the copy. A tensor holding a NaN or an infinity
 * is not used. Registering the same array again keeps the copy made first
 * (weights do not change while translating); call gemm_int8_forget(w)
 * before freeing or changing them. Thread-safe, and safe while other
 * threads run products on other registered arrays. 0, or -1 with a
 * message (a table that does not fit the array, too many arrays). */
int gemm_int8_register(const float *w, size_t n, const GemmTensor *t, int count, char *err, size_t errsz);
int gemm_int8_registered(const float *w);
void gemm_int8_forget(const float *w);

/* C[M][N] = alpha * op(A) op(B) + beta * C, all row-major.
 * op(A) is M x K (A is K x M when ta), op(B) is K x N (B is N x K when tb).
 * lda/ldb/ldc are the row strides of A, B, C as stored. When beta is 0, C
 * is not read (it may hold NaNs). */
void gemm(int ta, int tb, int M, int N, int K, float alpha, const float *A, int lda, const float *B, int ldb,
          float beta, float *C, int ldc);

/* Constant operands in bf16, converted once instead of at every product.
 *
 * gemm_weights_register(w, n) keeps a bf16 copy of the n floats at w. While
 * the precision is GEMM_BF16, any factor of gemm() that lies entirely inside
 * a registered array (any sub-matrix: the callers pass pointers into the
 * model's flat parameter array) is read from the copy at the same offset
 * instead of being converted. Register the whole parameter array once after
 * loading a model for translation. When the floats change, call
 * gemm_weights_refresh(w) before the next product, or the products would
 * use the old values: in training, after every optimizer step and after
 * anything else that writes the parameters (swapping a moving average in
 * or out, loading a checkpoint). Training with bf16: gemm_set_precision,
 * register m->params once, refresh after each update (nmt-bench train does
 * this; a refresh of 25M parameters is one pass over them). Call
 * gemm_weights_forget(w) before freeing them. All three must be called outside parallel regions;
 * registering the same array again refreshes it. At most 8 arrays. */
void gemm_weights_register(const float *w, size_t n);
void gemm_weights_refresh(const float *w);
void gemm_weights_forget(const float *w);

#endif
