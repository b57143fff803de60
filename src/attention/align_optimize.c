/* align_optimize.c — see align_optimize.h. */
#include "attention/align_optimize.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "nn/blas.h"
#include "nn/nn.h"
#include "sys/util.h"

int align_optimize_shapes_fit(const AlignProblem *const *dir, int n) {
    if (n < 1 || n > 2) return -1;
    for (int d = 0; d < n; d++)
        if (dir[d]->Tt < 0 || dir[d]->Ts < 1) return -1;
    return n == 1 || (dir[1]->Tt == dir[0]->Ts && dir[1]->Ts == dir[0]->Tt) ? 0 : -1;
}

/* alpha [R][Ts] = the rows' softmax of score [R][Ts]. */
static void rows_softmax(const float *score, int R, int Ts, float *alpha) {
    for (int t = 0; t < R; t++) {
        const float *s = score + (size_t)t * Ts;
        float *a = alpha + (size_t)t * Ts;
        const float m = max_row(s, Ts);
        float sum = 0.0f;
        for (int j = 0; j < Ts; j++) sum += a[j] = expf(s[j] - m);
        for (int j = 0; j < Ts; j++) a[j] /= sum;
    }
}

/* NLL of one direction at its alpha; dA [R][Ts] += ∂NLL/∂α. scratch: R (2E + V + 1) floats. */
static double nll_forward_backward(const AlignProblem *d, float *dA, float *scratch) {
    const int R = d->Tt + 1, Ts = d->Ts, E = d->E, V = d->V;
    float *ctx = scratch, *logits = ctx + (size_t)R * E, *dctx = logits + (size_t)R * V, *ones = dctx + (size_t)R * E;
    /* ctx [R][E] = alpha [R][Ts] x [Ts][E];  logits [R][V] = ctx Wo^T + bo */
    gemm(0, 0, R, E, Ts, 1.0f, d->alpha, Ts, d->x, E, 0.0f, ctx, E);
    gemm(0, 1, R, V, E, 1.0f, ctx, E, d->Wo, E, 0.0f, logits, V);
    add_bias_rows(logits, d->bo, R, V);
    for (int t = 0; t < R; t++) ones[t] = 1.0f;
    double nll = 0.0;
    softmax_xent(logits, R, V, d->y, ones, 0.0f, 1.0f, &nll); /* logits := p - onehot(y_t) */
    if (dA) {
        /* dctx [R][E] = dlogits Wo;  dA [R][Ts] += dctx x^T */
        gemm(0, 0, R, E, V, 1.0f, logits, V, d->Wo, E, 0.0f, dctx, E);
        gemm(0, 1, R, Ts, E, 1.0f, dctx, E, d->x, E, 1.0f, dA, Ts);
    }
    return nll;
}

/* CONT of one direction (see the header); dA += λ ∂CONT/∂α (a subgradient:
 * the largest K_tj of each row, the first on ties). Returns λ CONT. */
static double contiguity_forward_backward(const AlignProblem *d, float lambda, float *dA) {
    const int Tt = d->Tt, Ts = d->Ts;
    const float *A = d->alpha;
    double loss = 0.0;
    for (int t = 0; t < Tt; t++) {
        float best = -1.0f;
        int jbest = 0;
        for (int j = 0; j < Ts; j++) {
            const float next = t + 1 < Tt && j + 1 < Ts ? A[(size_t)(t + 1) * Ts + j + 1] : 0.0f;
            const float k = 0.5f * (A[(size_t)t * Ts + j] + next);
            if (k > best) best = k, jbest = j;
        }
        loss += 1.0 - best;
        if (!dA) continue;
        dA[(size_t)t * Ts + jbest] -= 0.5f * lambda;
        if (t + 1 < Tt && jbest + 1 < Ts) dA[(size_t)(t + 1) * Ts + jbest + 1] -= 0.5f * lambda;
    }
    return lambda * loss;
}

/* λ AGREE between F = f->alpha [Tf + 1][Sf] and R = r->alpha [Sf + 1][Tf]; dF, dR += its gradient. */
static double agreement_forward_backward(const AlignProblem *f, const AlignProblem *r, float lambda, float *dF,
                                         float *dR) {
    const int Tf = f->Tt, Sf = f->Ts;
    double loss = 0.0;
    for (int t = 0; t < Tf; t++)
        for (int j = 0; j < Sf; j++) {
            const float diff = f->alpha[(size_t)t * Sf + j] - r->alpha[(size_t)j * Tf + t];
            loss += (double)diff * diff;
            if (dF) dF[(size_t)t * Sf + j] += 2.0f * lambda * diff;
            if (dR) dR[(size_t)j * Tf + t] -= 2.0f * lambda * diff;
        }
    return lambda * loss;
}

/* dscore [R][Ts] = through each row's softmax: α ⊙ (dA − Σ_k α_k dA_k). */
static void rows_softmax_backward(const float *alpha, const float *dA, int R, int Ts, float *dscore) {
    for (int t = 0; t < R; t++) {
        const float *a = alpha + (size_t)t * Ts, *g = dA + (size_t)t * Ts;
        const float s = dot_row(a, g, Ts);
        float *ds = dscore + (size_t)t * Ts;
        for (int j = 0; j < Ts; j++) ds[j] = a[j] * (g[j] - s);
    }
}

static size_t direction_scratch(const AlignProblem *d) {
    const size_t R = (size_t)d->Tt + 1;
    return R * d->Ts /* dA */ + R * (2 * (size_t)d->E + d->V + 1);
}

/* The objective's work space for dir[0..n): one direction's scratch
 * (nll_forward_backward) and each direction's dA, allocated once for all
 * the steps of a pair. */
typedef struct {
    float *scratch, *dA[2];
} Workspace;

static Workspace workspace_alloc(const AlignProblem *const *dir, int n) {
    Workspace w = {0};
    size_t need = 0;
    for (int d = 0; d < n; d++) {
        const size_t s = direction_scratch(dir[d]);
        if (s > need) need = s;
        w.dA[d] = xmalloc(sizeof(float) * ((size_t)(dir[d]->Tt + 1) * dir[d]->Ts + 1));
    }
    w.scratch = xmalloc(sizeof(float) * (need + 1));
    return w;
}

static void workspace_free(Workspace *w) { free(w->scratch), free(w->dA[0]), free(w->dA[1]); }

static double objective(const AlignProblem *const *dir, int n, const AlignOptimizeOptions *o,
                        const float *const *score, float *const *dscore, Workspace *w) {
    float *dA[2] = {NULL, NULL}; /* NULL: no gradient wanted */
    for (int d = 0; d < n; d++) {
        const size_t R = (size_t)dir[d]->Tt + 1;
        rows_softmax(score[d], (int)R, dir[d]->Ts, dir[d]->alpha);
        if (dscore) dA[d] = w->dA[d], memset(dA[d], 0, sizeof(float) * R * dir[d]->Ts);
    }
    double loss = 0.0;
    for (int d = 0; d < n; d++) {
        loss += nll_forward_backward(dir[d], dA[d], w->scratch);
        if (o->contiguity != 0.0f) loss += contiguity_forward_backward(dir[d], o->contiguity, dA[d]);
    }
    if (n == 2 && o->agreement != 0.0f) loss += agreement_forward_backward(dir[0], dir[1], o->agreement, dA[0], dA[1]);
    for (int d = 0; d < n && dscore; d++)
        rows_softmax_backward(dir[d]->alpha, dA[d], dir[d]->Tt + 1, dir[d]->Ts, dscore[d]);
    return loss;
}

double align_optimize_objective(const AlignProblem *const *dir, int n, const AlignOptimizeOptions *o,
                                const float *const *score, float *const *dscore) {
    Workspace w = workspace_alloc(dir, n);
    const double loss = objective(dir, n, o, score, dscore, &w);
    workspace_free(&w);
    return loss;
}

double align_optimize(AlignProblem *const *dir, int n, const AlignOptimizeOptions *o, double *before) {
    float *score[2] = {NULL, NULL}, *dscore[2] = {NULL, NULL};
    for (int d = 0; d < n; d++) {
        const size_t cells = (size_t)(dir[d]->Tt + 1) * dir[d]->Ts;
        score[d] = xmalloc(sizeof(float) * (cells + 1));
        dscore[d] = xmalloc(sizeof(float) * (cells + 1));
        /* log α: the softmax gives the rows back (a weight that underflowed to 0 starts far below the rest) */
        for (size_t i = 0; i < cells; i++) score[d][i] = logf(fmaxf(dir[d]->alpha[i], 1e-30f));
    }
    const AlignProblem *const *cdir = (const AlignProblem *const *)dir;
    Workspace w = workspace_alloc(cdir, n);
    double loss = objective(cdir, n, o, (const float *const *)score, dscore, &w);
    if (before) *before = loss;
    for (int step = 0; step < o->steps; step++) {
        for (int d = 0; d < n; d++) {
            const size_t cells = (size_t)(dir[d]->Tt + 1) * dir[d]->Ts;
            for (size_t i = 0; i < cells; i++) score[d][i] -= o->rate * dscore[d][i];
        }
        /* the rows at the new scores (and the gradient for the next step) */
        loss = objective(cdir, n, o, (const float *const *)score, step + 1 < o->steps ? dscore : NULL, &w);
    }
    workspace_free(&w);
    for (int d = 0; d < n; d++) free(score[d]), free(dscore[d]);
    return loss;
}
