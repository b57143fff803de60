/* gemm_dnnl_choice.h — one oneDNN implementation per product, process-wide
 * (gemm_dnnl.c's primitives are made through it; not for callers).
 *
 * oneDNN walks a list of implementations and takes the first that accepts
 * the product; the first (brgemm) has been seen to decline a product on one
 * thread that it took on another (M=1, N=24, K=8: brgemm on an OpenMP
 * worker, the jit gemm on the main thread, a few ulps apart), so the bits
 * depended on the thread. The first implementation made for a key, on any
 * thread, is therefore recorded (one small record per distinct product, for
 * the life of the process), and every later creation walks oneDNN's list to
 * that same one. A product no implementation accepted is recorded as
 * refused, so it runs on OpenBLAS everywhere. */
#ifndef NMT_GEMM_DNNL_CHOICE_H
#define NMT_GEMM_DNNL_CHOICE_H

#include <dnnl.h>
#include <stddef.h>

enum { GEMM_DNNL_KEY_BYTES = 64, GEMM_DNNL_IMPL_CHARS = 48 };

/* The primitive descriptor of the recorded implementation of the product
 * whose key (everything that shapes it) is key[0..key_bytes) (at most
 * GEMM_DNNL_KEY_BYTES): when the key is new, the first one oneDNN offers
 * (or `prefer`, if given and offered) is recorded. 0 with *pd set, or -1
 * (*pd NULL) when the key is refused or its implementation is not offered
 * now (three walks). */
int gemm_dnnl_settled_pd(dnnl_primitive_desc_t *pd, const dnnl_matmul_desc_t *desc, const_dnnl_primitive_attr_t attr,
                         dnnl_engine_t engine, const void *key, size_t key_bytes, const char *prefer);
/* oneDNN's name of pd's implementation ("?" when it does not say). */
const char *gemm_dnnl_pd_impl(const_dnnl_primitive_desc_t pd);

#endif
