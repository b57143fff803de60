/* gemm_impl.h — what the files behind blas.h share; not for callers. */
#ifndef NMT_GEMM_IMPL_H
#define NMT_GEMM_IMPL_H

#include <stddef.h>
#include <stdint.h>

/* bf16 helpers (gemm_bf16.c). One rounding everywhere (integer round to
 * nearest even, NaN kept quiet, subnormals kept) so that every backend and
 * every CPU rounds the same: the hardware instruction would flush
 * subnormals to zero. */
void bf16_from_f32(const float *src, int rows, int cols, int ld, uint16_t *dst); /* dst compact */
void bf16_round_f32(const float *src, int rows, int cols, int ld, float *dst);   /* dst compact */
/* The bf16 copy of a registered array holding the whole stored matrix
 * (rows x cols, row stride ld) at p, at the same offset; NULL if none. */
const uint16_t *gemm_weights_find(const float *p, int rows, int cols, int ld);
/* A growable buffer of the calling thread (slot 0..3), freed when the
 * thread ends; the contents are not kept across calls. */
void *gemm_thread_buffer(int slot, size_t bytes);

/* int8 (gemm_int8.c). Quantize a row of n floats: q = round(x * 127 / m)
 * (nearest, ties to even), scale = m / 127, m = max |x|; a row of zeros gives
 * zeros and scale 0. 0, or -1 when the row holds a NaN or an infinity. */
int int8_quantize_row(const float *x, int n, int8_t *q, float *scale);
/* The int8 copy of a registered tensor holding W (rows x cols at row stride
 * ld, at p): its first element's s8 copy (same row stride) and the scales of
 * its rows; 0 if none. */
int gemm_int8_find(const float *p, int rows, int cols, int ld, const int8_t **q, const float **scale);
/* C = alpha A W^T + beta C in int8 (blas.h, GEMM_INT8), W at B (N x K, row
 * stride ldb): 0; 1 when W is not registered or A holds a NaN or an
 * infinity; -1 when oneDNN refused the product. C is untouched unless 0. */
int gemm_int8(int M, int N, int K, float alpha, const float *A, int lda, const float *B, int ldb, float beta, float *C,
              int ldc);

/* What a oneDNN product multiplies (gemm_dnnl.c). */
typedef enum { DNNL_F32, DNNL_BF16, DNNL_S8 } DnnlKind;
/* The oneDNN backend (gemm_dnnl.c): 0 when oneDNN has no CPU engine here. */
int gemm_dnnl_available(void);
/* gemm() on oneDNN: 0, or -1 with C untouched when oneDNN refused the
 * product (the caller then computes it another way). */
int gemm_dnnl(int ta, int tb, int M, int N, int K, float alpha, const float *A, int lda, const float *B, int ldb,
              float beta, float *C, int ldc, int bf16);
/* acc[M][N] (compact) = A B^T in int32, A s8 M x K (row stride lda), B s8
 * N x K (row stride ldb): 0, or -1 with acc untouched when oneDNN refused. */
int gemm_dnnl_s8(int M, int N, int K, const int8_t *A, int lda, const int8_t *B, int ldb, int32_t *acc);
/* 1 when the calling thread has (or can make) gemm_dnnl_s8's primitive of that shape. */
int gemm_dnnl_s8_ready(int M, int N, int K, int lda, int ldb);
/* The implementation the calling thread runs for the fp32 product of a
 * compact M x K and K x N (oneDNN's name, e.g. "gemm:jit"; "" when refused).
 * `prefer` (tests): if no thread has made this product yet, the one to
 * record for it when oneDNN offers it. */
const char *gemm_dnnl_impl(int M, int N, int K, const char *prefer);
/* 1 when oneDNN makes the int8 primitive of the model's typical product and
 * a small int8 product comes out exact, else 0. */
int gemm_dnnl_s8_works(void);
/* Implementation oneDNN picks for the model's typical product, and the
 * highest ISA it may use, e.g. "brg:avx512_core, max ISA avx512_core_amx". */
const char *gemm_dnnl_describe(DnnlKind kind);
/* 1 when oneDNN makes the primitive of that kind for the model's typical
 * product (bf16: 0 on AVX2 without AVX-512, where gemm() emulates it on OpenBLAS). */
int gemm_dnnl_makes(DnnlKind kind);
/* The instruction set oneDNN may use here (ONEDNN_MAX_CPU_ISA lowers it), its
 * name, and whether it has VNNI (8-bit integer dot products). */
const char *gemm_dnnl_isa(int *vnni);

#endif
