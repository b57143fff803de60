/* optim.c — see optim.h. */
#include "train/optim.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "nn/cpu.h"
#include "sys/util.h"

void optim_init(Optimizer *o, OptimizerType type, size_t n, float clip) {
    memset(o, 0, sizeof *o);
    o->type = type;
    o->beta1 = 0.9f;
    o->beta2 = 0.999f;
    o->eps = 1e-8f;
    o->clip = clip;
    o->n = n;
    o->split = n;
    if (type == OPTIM_ADAM) {
        o->m = falloc(n);
        o->v = falloc(n);
    }
}

void optim_enable_ema(Optimizer *o, float decay, const float *params) {
    o->ema_decay = decay;
    o->ema = falloc(o->n);
    memcpy(o->ema, params, sizeof(float) * o->n);
}

/* ema = d * ema + (1 - d) * params on elements [lo, hi). */
static void update_ema(Optimizer *o, const float *params, size_t lo, size_t hi) {
    const float warm = (1.0f + (float)o->step) / (10.0f + (float)o->step);
    const float d = o->ema_decay < warm ? o->ema_decay : warm;
    const long a = (long)lo, b = (long)hi;
    float *ema = o->ema;
#pragma omp parallel for schedule(static)
    for (long i = a; i < b; i++) ema[i] = d * ema[i] + (1.0f - d) * params[i];
}

void optim_free(Optimizer *o) {
    free(o->m);
    free(o->v);
    free(o->ema);
    memset(o, 0, sizeof *o);
}

enum { NORM_LANES = 8 };

size_t optim_chunks(size_t n) { return (n + OPTIM_CHUNK - 1) / OPTIM_CHUNK; }

/* Sum of g[i]^2 over [lo, hi): NORM_LANES running sums side by side, not
 * one, since one long chain of dependent additions waits on each addition
 * (latency-bound); the lanes are added in a fixed order, so the bits do not
 * depend on how the compiler vectorizes them. */
NMT_HOT static double sum_squares(const float *g, size_t lo, size_t hi) {
    double lane[NORM_LANES] = {0};
    size_t i = lo;
    for (; i + NORM_LANES <= hi; i += NORM_LANES)
        for (int j = 0; j < NORM_LANES; j++) lane[j] += (double)g[i + j] * g[i + j];
    for (int j = 0; i < hi; i++, j++) lane[j] += (double)g[i] * g[i];
    double s = 0.0;
    for (int j = 0; j < NORM_LANES; j++) s += lane[j];
    return s;
}

void grad_norm_partials(const float *g, size_t n, size_t split, size_t c_lo, size_t c_hi, double *partial) {
    const long a = (long)c_lo, b = (long)c_hi;
    split = split < n ? split : n;
#pragma omp parallel for schedule(static)
    for (long c = a; c < b; c++) {
        size_t lo = (size_t)c * OPTIM_CHUNK, hi = lo + OPTIM_CHUNK < n ? lo + OPTIM_CHUNK : n;
        const size_t mid = split < lo ? lo : split > hi ? hi : split; /* the chunk's part below the split ends here */
        double *p = partial + OPTIM_GROUPS * (size_t)(c - a);
        p[0] = sum_squares(g, lo, mid);
        p[1] = sum_squares(g, mid, hi);
    }
}

void grad_norm_total(const double *partial, size_t chunks, double norm[OPTIM_GROUPS]) {
    for (int k = 0; k < OPTIM_GROUPS; k++) {
        double total = 0.0;
        for (size_t c = 0; c < chunks; c++) total += partial[OPTIM_GROUPS * c + k];
        norm[k] = sqrt(total);
    }
}

double grad_norm(const float *g, size_t n) {
    const size_t chunks = optim_chunks(n);
    double *partial = xcalloc(OPTIM_GROUPS * (chunks + 1), sizeof(double)), norm[OPTIM_GROUPS];
    grad_norm_partials(g, n, n, 0, chunks, partial);
    grad_norm_total(partial, chunks, norm);
    free(partial);
    return norm[0];
}

typedef struct {
    float scale, lr, b1, b2, eps, c1, c2; /* c1, c2: the bias corrections 1 / (1 - beta^t) */
} AdamStep;

/* Adam on [from, to): element by element, so the hot-loop clones (nn/cpu.h)
 * give the same bits at any vector width. */
NMT_HOT static void adam_range(const AdamStep *st, float *params, float *m, float *v, const float *grads, long from,
                               long to) {
    const float b1 = st->b1, b2 = st->b2;
    for (long i = from; i < to; i++) {
        const float g = grads[i] * st->scale;
        m[i] = b1 * m[i] + (1.0f - b1) * g;
        v[i] = b2 * v[i] + (1.0f - b2) * g * g;
        params[i] -= st->lr * (m[i] * st->c1) / (sqrtf(v[i] * st->c2) + st->eps);
    }
}

/* The factor that clips a group of norm `norm`. */
static float clip_scale(const Optimizer *o, double norm) {
    return (o->clip > 0.0f && norm > o->clip) ? (float)(o->clip / norm) : 1.0f;
}

void optim_step_range(Optimizer *o, float *params, const float *grads, float lr, const double norm[OPTIM_GROUPS],
                      size_t lo, size_t hi) {
    const float scale[OPTIM_GROUPS] = {clip_scale(o, norm[0]), clip_scale(o, norm[1])};
    const long a = (long)lo, b = (long)hi, split = (long)(o->split < o->n ? o->split : o->n);
    o->step++;
    if (o->type == OPTIM_SGD) {
#pragma omp parallel for schedule(static)
        for (long i = a; i < b; i++) params[i] -= lr * scale[i >= split] * grads[i];
        if (o->ema) update_ema(o, params, lo, hi);
        return;
    }
    AdamStep st[OPTIM_GROUPS];
    for (int k = 0; k < OPTIM_GROUPS; k++)
        st[k] = (AdamStep){scale[k], lr, o->beta1, o->beta2, o->eps, 1.0f / (1.0f - powf(o->beta1, (float)o->step)),
                           1.0f / (1.0f - powf(o->beta2, (float)o->step))};
    const long n_chunks = (b - a + OPTIM_CHUNK - 1) / OPTIM_CHUNK;
#pragma omp parallel for schedule(static)
    for (long c = 0; c < n_chunks; c++) {
        const long from = a + c * OPTIM_CHUNK, to = from + OPTIM_CHUNK < b ? from + OPTIM_CHUNK : b;
        const long mid = split < from ? from : split > to ? to : split; /* each group with its own scale */
        if (mid > from) adam_range(&st[0], params, o->m, o->v, grads, from, mid);
        if (to > mid) adam_range(&st[1], params, o->m, o->v, grads, mid, to);
    }
    if (o->ema) update_ema(o, params, lo, hi);
}

double optim_step(Optimizer *o, float *params, const float *grads, float lr) {
    const size_t chunks = optim_chunks(o->n);
    double *partial = xcalloc(OPTIM_GROUPS * (chunks + 1), sizeof(double)), norm[OPTIM_GROUPS];
    grad_norm_partials(grads, o->n, o->split, 0, chunks, partial);
    grad_norm_total(partial, chunks, norm);
    free(partial);
    optim_step_range(o, params, grads, lr, norm, 0, o->n);
    return norm[0];
}
