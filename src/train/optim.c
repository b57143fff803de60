/* optim.c — see optim.h. */
#include "train/optim.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/util.h"

enum { NORM_CHUNK = 1 << 16 };

void optim_init(Optimizer *o, OptimizerType type, size_t n, float clip) {
    memset(o, 0, sizeof *o);
    o->type = type;
    o->beta1 = 0.9f;
    o->beta2 = 0.999f;
    o->eps = 1e-8f;
    o->clip = clip;
    o->n = n;
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

/* ema = d * ema + (1 - d) * params. */
static void update_ema(Optimizer *o, const float *params) {
    const float warm = (1.0f + (float)o->step) / (10.0f + (float)o->step);
    const float d = o->ema_decay < warm ? o->ema_decay : warm;
    const long n = (long)o->n;
    float *ema = o->ema;
#pragma omp parallel for schedule(static)
    for (long i = 0; i < n; i++) ema[i] = d * ema[i] + (1.0f - d) * params[i];
}

void optim_free(Optimizer *o) {
    free(o->m);
    free(o->v);
    free(o->ema);
    memset(o, 0, sizeof *o);
}

double grad_norm(const float *g, size_t n) {
    const long chunks = (long)((n + NORM_CHUNK - 1) / NORM_CHUNK);
    double *partial = xcalloc((size_t)chunks + 1, sizeof(double));
#pragma omp parallel for schedule(static)
    for (long c = 0; c < chunks; c++) {
        size_t lo = (size_t)c * NORM_CHUNK, hi = lo + NORM_CHUNK < n ? lo + NORM_CHUNK : n;
        double s = 0.0;
        for (size_t i = lo; i < hi; i++) s += (double)g[i] * g[i];
        partial[c] = s;
    }
    double total = 0.0;
    for (long c = 0; c < chunks; c++) total += partial[c];
    free(partial);
    return sqrt(total);
}

double optim_step(Optimizer *o, float *params, float *grads, float lr) {
    const double norm = grad_norm(grads, o->n);
    const float scale = (o->clip > 0.0f && norm > o->clip) ? (float)(o->clip / norm) : 1.0f;
    const long n = (long)o->n;
    o->step++;
    if (o->type == OPTIM_SGD) {
#pragma omp parallel for schedule(static)
        for (long i = 0; i < n; i++) params[i] -= lr * scale * grads[i];
        if (o->ema) update_ema(o, params);
        return norm;
    }
    const float b1 = o->beta1, b2 = o->beta2, eps = o->eps;
    const float c1 = 1.0f / (1.0f - powf(b1, (float)o->step)), c2 = 1.0f / (1.0f - powf(b2, (float)o->step));
    float *m = o->m, *v = o->v;
#pragma omp parallel for schedule(static)
    for (long i = 0; i < n; i++) {
        const float g = grads[i] * scale;
        m[i] = b1 * m[i] + (1.0f - b1) * g;
        v[i] = b2 * v[i] + (1.0f - b2) * g * g;
        params[i] -= lr * (m[i] * c1) / (sqrtf(v[i] * c2) + eps);
    }
    if (o->ema) update_ema(o, params);
    return norm;
}
