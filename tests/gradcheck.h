/* gradcheck.h — central finite differences against a hand-written backward.
 *
 * loss(ctx) must be a deterministic function of the parameters it reads
 * (reseed any dropout inside it). For each checked entry, the numerical
 * derivative (L(x+h) - L(x-h)) / 2h must agree with the analytic one within
 * atol + rtol * max(|num|, |ana|). */
#ifndef NMT_GRADCHECK_H
#define NMT_GRADCHECK_H

#include <math.h>
#include <stddef.h>
#include <stdio.h>

#include "nn/rng.h"

typedef double (*LossFn)(void *ctx);

typedef struct {
    int checked, failed, significant; /* significant: |num| > 1e-3 */
    double max_err;
} GradReport;

static inline GradReport gradcheck_run(const char *name, float *x, const float *analytic, size_t n, LossFn loss,
                                       void *ctx, double h, double atol, double rtol, size_t max_checks, int verbose) {
    GradReport r = {0};
    size_t stride = n > max_checks ? n / max_checks : 1;
    for (size_t i = 0; i < n; i += stride) {
        float saved = x[i];
        x[i] = (float)(saved + h);
        double lp = loss(ctx);
        x[i] = (float)(saved - h);
        double lm = loss(ctx);
        x[i] = saved;
        double hh = ((double)(float)(saved + h) - (double)(float)(saved - h));
        double num = (lp - lm) / hh;
        double ana = analytic[i];
        double err = fabs(num - ana);
        double scale = fmax(fabs(num), fabs(ana));
        r.checked++;
        if (fabs(num) > 1e-3) r.significant++;
        if (scale > 0 && err / fmax(scale, 1e-6) > r.max_err && err > atol) r.max_err = err / scale;
        if (err > atol + rtol * scale) {
            if (verbose && r.failed < 5)
                fprintf(stderr, "  %s[%zu]: analytic %.6g, numerical %.6g\n", name, i, ana, num);
            r.failed++;
        }
    }
    return r;
}

static inline GradReport gradcheck(const char *name, float *x, const float *analytic, size_t n, LossFn loss, void *ctx,
                                   double h, double atol, double rtol, size_t max_checks) {
    return gradcheck_run(name, x, analytic, n, loss, ctx, h, atol, rtol, max_checks, 1);
}

/* 1 when the check can fail: the tensor's largest analytic entry, made 20%
 * (and 5 atol) larger as a wrong backward would, is reported off. Without
 * this a check whose loss ignored the tensor, or whose tolerance swallowed
 * everything, would pass. */
static inline int gradcheck_catches(float *x, const float *analytic, size_t n, LossFn loss, void *ctx, double h,
                                    double atol, double rtol) {
    size_t at = 0;
    for (size_t i = 1; i < n; i++)
        if (fabsf(analytic[i]) > fabsf(analytic[at])) at = i;
    const float wrong = 1.2f * analytic[at] + copysignf((float)(5.0 * atol), analytic[at]);
    return gradcheck_run("", x + at, &wrong, 1, loss, ctx, h, atol, rtol, 1, 0).failed == 1;
}

/* x[i] uniform in [-scale, scale]: test inputs and weights. */
static inline void fill_uniform(float *x, size_t n, float scale, Rng *rng) {
    for (size_t i = 0; i < n; i++) x[i] = scale * (2.0f * rng_uniform(rng) - 1.0f);
}

/* a . b in double: the scalar losses the checks differentiate. */
static inline double dot_d(const float *a, const float *b, size_t n) {
    double s = 0;
    for (size_t i = 0; i < n; i++) s += (double)a[i] * b[i];
    return s;
}

#endif
