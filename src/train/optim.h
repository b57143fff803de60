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

/* L2 norm of g, summed in fixed-size chunks in a fixed order (deterministic
 * under any thread count). */
double grad_norm(const float *g, size_t n);

/* Clip grads to the global norm, then update params with learning rate lr.
 * Returns the norm before clipping. */
double optim_step(Optimizer *o, float *params, float *grads, float lr);

#endif
