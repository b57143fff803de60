/* dropout.h — inverted dropout, forward and backward.
 *
 * Forward: each of the n entries of x is kept and scaled by 1/(1-p), or
 * zeroed with probability p; the multipliers (the "mask") are kept for the
 * backward pass, which multiplies the incoming gradient by the same mask.
 * Inverted scaling means inference needs no rescaling: it simply skips it.
 *
 * Recurrent (variational) dropout draws one mask per sequence and applies
 * it at every step (nn/gru.h), so it draws with dropout_mask and applies
 * the mask itself. */
#ifndef NMT_DROPOUT_H
#define NMT_DROPOUT_H

#include <stddef.h>

#include "nn/nn.h"
#include "nn/rng.h"

/* Multipliers: each of the n entries is 0 with probability p, else 1/(1-p). */
void dropout_mask(float *mask, size_t n, float p, Rng *rng);

/* x [n] *= a fresh mask drawn from rng. Returns the mask [n] (taken from the
 * arena) for dropout_backward, or NULL when p == 0 (nothing drawn, x
 * unchanged). */
float *dropout_forward(float *x, size_t n, float p, Rng *rng, Arena *arena);

/* Word dropout: each of the rows of x [rows][cols] (a token's embedding)
 * is zeroed with probability p, else scaled by 1/(1-p). The rows'
 * multipliers are folded into *mask, the element-wise mask of
 * dropout_forward for the same x (taken from the arena, all ones, when
 * *mask is NULL), so that dropout_backward with *mask is the gradient
 * through both. p == 0: nothing drawn, x and *mask unchanged. */
void dropout_rows(float *x, size_t rows, size_t cols, float p, Rng *rng, Arena *arena, float **mask);

/* dx [n] *= mask: the gradient through dropout_forward. A NULL mask (no
 * dropout) leaves dx unchanged. */
void dropout_backward(float *dx, const float *mask, size_t n);

#endif
