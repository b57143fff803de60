/* nn.h — small numeric building blocks shared by the layers: activations,
 * bias and column sums, embedding gather/scatter, softmax with
 * cross-entropy, and a scratch arena for activations. */
#ifndef NMT_NN_H
#define NMT_NN_H

#include <math.h>
#include <stddef.h>

/* exp, tanh and sigmoid from arithmetic only, so that the loops over gates,
 * attention scores and softmax rows vectorize (libm calls do not, and
 * dominated those loops). exp: Cody-Waite range reduction to
 * |r| <= ln2/2 and a degree-6 Taylor polynomial, relative error < 3e-7;
 * inputs are clamped to [-87, 88], so the result is a normal float or the
 * float overflow bound. */
static inline float fast_expf(float x) {
    x = x < -87.0f ? -87.0f : x > 88.0f ? 88.0f : x;
    const float k = __builtin_floorf(x * 1.44269504f + 0.5f);
    const float r = (x - k * 0.693145752f) - k * 1.42860677e-6f;
    float p = 1.0f / 720.0f;
    p = p * r + 1.0f / 120.0f;
    p = p * r + 1.0f / 24.0f;
    p = p * r + 1.0f / 6.0f;
    p = p * r + 0.5f;
    p = p * r + 1.0f;
    p = p * r + 1.0f;
    union {
        int i;
        float f;
    } two_k = {.i = ((int)k + 127) << 23};
    return p * two_k.f;
}

/* tanh(x) = (1 - e) / (1 + e) with e = exp(-2|x|); below |x| = 0.125 an
 * odd polynomial instead, where that quotient would lose digits. Absolute
 * error < 2e-7. */
static inline float fast_tanhf(float x) {
    const float ax = __builtin_fabsf(x);
    const float e = fast_expf(-2.0f * ax);
    const float t = (1.0f - e) / (1.0f + e);
    const float x2 = x * x;
    const float small = x * (1.0f + x2 * (-1.0f / 3.0f + x2 * (2.0f / 15.0f + x2 * (-17.0f / 315.0f))));
    return ax < 0.125f ? small : __builtin_copysignf(t, x);
}

static inline float sigmoidf(float x) { return 1.0f / (1.0f + fast_expf(-x)); }

/* Y[r][:] += b for rows r < rows. Y [rows][cols], b [cols]. */
void add_bias_rows(float *Y, const float *b, int rows, int cols);
/* db[:] += sum over rows of dY. dY [rows][cols], db [cols]. */
void colsum_add(float *db, const float *dY, int rows, int cols);

/* out[i][:] = table[ids[i]][:] for i < n. table [V][E], out [n][E]. */
void embed_lookup(const float *table, int E, const int *ids, int n, float *out);
/* dtable[ids[i]][:] += dout[i][:]. */
void embed_backward(float *dtable, int E, const int *ids, int n, const float *dout);

/* Softmax cross-entropy over rows of logits [N][V], with label smoothing
 * eps (target distribution (1-eps) on the gold token, eps spread uniformly
 * over the other V-1 tokens). Rows with weight 0 are ignored.
 * Replaces logits by the gradient of sum_i weight[i] * loss_i (times scale).
 * Returns the weighted sum of the smoothed losses; *nll gets the weighted
 * sum of plain negative log-likelihoods (for perplexity). */
double softmax_xent(float *logits, int N, int V, const int *targets, const float *weight, float eps, float scale,
                    double *nll);

/* Sums and maxima over a row that vectorize and still give the same bits on
 * every CPU and in every build: NMT_LANES running results side by side (lane
 * j takes elements j, j + NMT_LANES, ...), combined in lane order at the end,
 * then the tail. A compiler may not reorder a float sum, so a plain loop stays
 * scalar and waits on each addition; an "omp simd" reduction may be reordered
 * differently for each instruction set (cpu.h). */
enum { NMT_LANES = 16 };

/* The largest of x[0..n) (-FLT_MAX for n = 0). */
float max_row(const float *x, int n);
/* x . y over n elements. */
float dot_row(const float *x, const float *y, int n);
/* log(sum_v exp(x[v])), computed stably. */
double logsumexp_row(const float *x, int V);
/* In-place log-softmax of one row. */
void log_softmax_row(float *x, int V);
/* Index of the largest of x[0..n) (the first one on ties). */
int argmax_row(const float *x, int n);
/* The first i in [from, n) with x[i] > floor, or n: NMT_LANES elements
 * compared at a time (a beam's top-k scan skips the vocabulary's many
 * words below its k-th best so far). */
int first_above(const float *x, int from, int n, float floor);

/* A bump allocator for one pass's activations. Memory taken during a pass
 * stays valid until arena_reset; after the first pass everything comes from
 * one block, so steady-state passes do not call malloc. */
typedef struct {
    float *block;
    size_t cap, used;
    float **extra; /* overflow blocks of this pass */
    int n_extra;
    size_t pass_total; /* floats taken this pass */
} Arena;
float *arena_take(Arena *a, size_t n);       /* uninitialized */
float *arena_take_zero(Arena *a, size_t n);  /* zeroed */
void arena_reset(Arena *a);
void arena_free(Arena *a);

/* A caller's hook into a long backward pass, so that work it runs beside
 * the pass (moving the gradients already final between processes) goes on
 * meanwhile. A layer calls backward_hook(h, 0) every few steps of its
 * recurrences, and backward_hook(h, part) with a part > 0 when that part of
 * its gradients has its final value for the pass (each layer numbers its
 * parts: decoder.h, encoder.h). h NULL: nothing is called. */
typedef struct {
    void (*fn)(void *ctx, int part);
    void *ctx;
} BackwardHook;
static inline void backward_hook(const BackwardHook *h, int part) {
    if (h) h->fn(h->ctx, part);
}

#endif
