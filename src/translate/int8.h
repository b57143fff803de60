/* int8.h — a model's weights as int8 copies, for translating at GEMM_INT8
 * (nn/blas.h): every tensor of the model's parameter table registered with
 * gemm_int8_register, each row with its own scale; in an ensemble, every
 * model's. */
#ifndef NMT_TRANSLATE_INT8_H
#define NMT_TRANSLATE_INT8_H

#include <stddef.h>

#include "model/saved.h"

/* Quantize m's weights (a model already prepared keeps its copies). 0, or -1
 * with a message (too many models hold copies at once). */
int translate_int8_prepare(const Model *m, char *err, size_t errsz);
/* Drop the copies (nothing when m has none); before freeing m. */
void translate_int8_release(const Model *m);

#endif
