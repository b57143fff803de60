/* score.h — the attention's scoring helpers, shared by the decoder's
 * attention (attention.c) and the alignment layer (align_layer.c): the
 * additive (Bahdanau) score of one position, the softmax over a row's real
 * source positions, and a row's guidance cross-entropy. Inline, since they
 * sit in the hot loops of their callers (each an NMT_HOT function, so each
 * clone gets its own copy). */
#ifndef NMT_ATTENTION_SCORE_H
#define NMT_ATTENTION_SCORE_H

#include <float.h>
#include <math.h>
#include <stddef.h>

#include "nn/cpu.h"
#include "nn/nn.h"

/* Bahdanau's score over n columns: v . tanh(q + k) summed in lanes
 * (nn/nn.h), with p = tanh(q + k) kept for the backward; p NULL keeps
 * nothing (a search, which has no backward, saves writing [Ts][B][A] per
 * step). Call it with a literal NULL so the inlined copy has no stores.
 * Always inlined (NMT_INLINE): left out of line it ran as SSE2 code. */
NMT_INLINE float attention_additive_score(const float *q, const float *k, const float *v, float *p, int n) {
    float lane[NMT_LANES] = {0}, score = 0.0f;
    int a = 0;
    for (; a + NMT_LANES <= n; a += NMT_LANES)
        for (int l = 0; l < NMT_LANES; l++) {
            const float t = fast_tanhf(q[a + l] + k[a + l]);
            if (p) p[a + l] = t;
            lane[l] += v[a + l] * t;
        }
    for (int l = 0; l < NMT_LANES; l++) score += lane[l];
    for (; a < n; a++) {
        const float t = fast_tanhf(q[a] + k[a]);
        if (p) p[a] = t;
        score += v[a] * t;
    }
    return score;
}

/* Softmax of scores e [Ts] (stride 1) in place over the positions j of row
 * b whose mask [Ts][B] is not 0; the others get exactly 0 (all of them when
 * the row has no real position). */
static inline void attention_masked_softmax(float *e, const float *mask, int Ts, int B, int b) {
    float mx = -FLT_MAX;
    for (int j = 0; j < Ts; j++)
        if (mask[(size_t)j * B + b] != 0.0f && e[j] > mx) mx = e[j];
    float sum = 0.0f;
    for (int j = 0; j < Ts; j++) {
        e[j] = mask[(size_t)j * B + b] != 0.0f ? fast_expf(e[j] - mx) : 0.0f;
        sum += e[j];
    }
    const float inv = sum > 0.0f ? 1.0f / sum : 0.0f;
    for (int j = 0; j < Ts; j++) e[j] *= inv;
}

/* The sum of a gold row g [n]; 0 marks a row without guidance. */
static inline float attention_row_sum(const float *g, int n) {
    float sum = 0.0f;
    for (int j = 0; j < n; j++) sum += g[j];
    return sum;
}

/* total plus a guided row's cross-entropy -sum_j g_j log a_j, added term
 * by term (a running sum over rows keeps one order of additions). a_j > 0
 * wherever g_j is (both live on real source positions); the floor only
 * guards against an underflowed exp. */
static inline double attention_guide_row_loss(double total, const float *g, const float *a, int n) {
    for (int j = 0; j < n; j++)
        if (g[j] != 0.0f) total -= (double)g[j] * log(fmax((double)a[j], 1e-30));
    return total;
}

#endif
