/* optim.h — Adam and plain SGD over the flat parameter buffer, with
 * global-norm gradient clipping and an optional exponential moving average
 * of the weights. Every reduction is done in a fixed order, so results do
 * not depend on the number of threads. */
#ifndef NMT_OPTIM_H
#define NMT_OPTIM_H

#include <stddef.h>

typedef enum { OPTIM_ADAM = 0, OPTIM_SGD = 1 } OptimizerType;

typedef struct {
    OptimizerType type;
    float beta1, beta2, eps;
    float clip;  /* max global gradient norm; 0 = no clipping */
    long step;   /* updates taken */
    size_t n;
    size_t split; /* the two groups clipped each by its own norm: [0, split) and [split, n)
                   * (the translation model and the alignment layer); n: one group */
    float *m, *v; /* Adam moments [n] (NULL for SGD) */
    float ema_decay; /* 0: no moving average */
    float *ema;      /* [n] moving average of the weights, or NULL */
} Optimizer;

/* Keep ema = d * ema + (1 - d) * params after every step, starting from
 * params, with d = min(decay, (1 + step) / (10 + step)) so that the first
 * updates are not drowned by the initial weights. */
void optim_enable_ema(Optimizer *o, float decay, const float *params);

void optim_init(Optimizer *o, OptimizerType type, size_t n, float clip);
void optim_free(Optimizer *o);

/* The gradient norm is a sum of squares over chunks of OPTIM_CHUNK elements,
 * each summed alone, then added in chunk order: the same bits under any
 * thread count, and when the chunks are split among processes (each sums
 * its own, all add the gathered partial sums in order). Each chunk has one
 * partial sum per group (OPTIM_GROUPS: its elements below the split, and
 * from it on), so the first group's norm has the bits of a buffer that
 * ends at the split: the alignment layer's gradient changes nothing of the
 * translation model's clipping. */
enum { OPTIM_CHUNK = 1 << 12, OPTIM_GROUPS = 2 };
size_t optim_chunks(size_t n);
/* partial[OPTIM_GROUPS (c - c_lo) + k] = sum of g[i]^2 over chunk c's
 * elements of group k (0: i < split, 1: i >= split), for chunks [c_lo,
 * c_hi) of g[n]. */
void grad_norm_partials(const float *g, size_t n, size_t split, size_t c_lo, size_t c_hi, double *partial);
/* Each group's norm, norm[k], from all chunks' partial sums. */
void grad_norm_total(const double *partial, size_t chunks, double norm[OPTIM_GROUPS]);
/* L2 norm of all of g[n]. */
double grad_norm(const float *g, size_t n);

/* One update (counted once, whatever the range) of params, and of the
 * moments and moving average, on elements [lo, hi) only: each group's
 * grads clipped to its norm norm[k] (o->split), learning rate lr. Every
 * element is updated on its own, so ranges taken by different processes
 * give the bits of one call over all. */
void optim_step_range(Optimizer *o, float *params, const float *grads, float lr, const double norm[OPTIM_GROUPS],
                      size_t lo, size_t hi);
/* Clip each group of grads to its norm, then update all of params with
 * learning rate lr. Returns the first group's norm before clipping. */
double optim_step(Optimizer *o, float *params, const float *grads, float lr);

#endif
