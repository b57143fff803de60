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

/* The oneDNN backend (gemm_dnnl.c): 0 when oneDNN has no CPU engine here. */
int gemm_dnnl_available(void);
/* gemm() on oneDNN: 0, or -1 with C untouched when oneDNN refused the
 * product (the caller then computes it another way). */
int gemm_dnnl(int ta, int tb, int M, int N, int K, float alpha, const float *A, int lda, const float *B, int ldb,
              float beta, float *C, int ldc, int bf16);
/* Implementation oneDNN picks for the model's typical product, and the
 * highest ISA it may use, e.g. "brg:avx512_core, max ISA avx512_core_amx". */
const char *gemm_dnnl_describe(int bf16);

#endif
