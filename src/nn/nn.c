/* nn.c — see nn.h. */
#include "nn/nn.h"

#include <float.h>
#include <stdlib.h>
#include <string.h>

#include "nn/cpu.h"
#include "sys/util.h"

NMT_HOT void add_bias_rows(float *Y, const float *b, int rows, int cols) {
    for (int r = 0; r < rows; r++) {
        float *y = Y + (size_t)r * cols;
        for (int c = 0; c < cols; c++) y[c] += b[c];
    }
}

NMT_HOT void colsum_add(float *db, const float *dY, int rows, int cols) {
    for (int r = 0; r < rows; r++) {
        const float *d = dY + (size_t)r * cols;
        for (int c = 0; c < cols; c++) db[c] += d[c];
    }
}

void embed_lookup(const float *table, int E, const int *ids, int n, float *out) {
    for (int i = 0; i < n; i++) memcpy(out + (size_t)i * E, table + (size_t)ids[i] * E, sizeof(float) * (size_t)E);
}

void embed_backward(float *dtable, int E, const int *ids, int n, const float *dout) {
    for (int i = 0; i < n; i++) {
        float *d = dtable + (size_t)ids[i] * E;
        const float *s = dout + (size_t)i * E;
        for (int k = 0; k < E; k++) d[k] += s[k];
    }
}

NMT_HOT float max_row(const float *x, int n) {
    float lane[NMT_LANES];
    for (int j = 0; j < NMT_LANES; j++) lane[j] = -FLT_MAX;
    int v = 0;
    for (; v + NMT_LANES <= n; v += NMT_LANES)
        for (int j = 0; j < NMT_LANES; j++) lane[j] = x[v + j] > lane[j] ? x[v + j] : lane[j];
    float mx = -FLT_MAX;
    for (int j = 0; j < NMT_LANES; j++) mx = lane[j] > mx ? lane[j] : mx;
    for (; v < n; v++) mx = x[v] > mx ? x[v] : mx;
    return mx;
}

NMT_HOT float dot_row(const float *x, const float *y, int n) {
    float lane[NMT_LANES] = {0};
    int i = 0;
    for (; i + NMT_LANES <= n; i += NMT_LANES)
        for (int j = 0; j < NMT_LANES; j++) lane[j] += x[i + j] * y[i + j];
    float sum = 0.0f;
    for (int j = 0; j < NMT_LANES; j++) sum += lane[j];
    for (; i < n; i++) sum += x[i] * y[i];
    return sum;
}

NMT_HOT double logsumexp_row(const float *x, int V) {
    const float mx = max_row(x, V);
    double lane[NMT_LANES] = {0}; /* see NMT_LANES */
    int v = 0;
    for (; v + NMT_LANES <= V; v += NMT_LANES)
        for (int j = 0; j < NMT_LANES; j++) lane[j] += fast_expf(x[v + j] - mx);
    double sum = 0.0;
    for (int j = 0; j < NMT_LANES; j++) sum += lane[j];
    for (; v < V; v++) sum += fast_expf(x[v] - mx);
    return mx + log(sum);
}

int argmax_row(const float *x, int n) {
    /* what "best = 0; every x[i] > x[best] becomes best" gives, a lane-wide pass
     * for the maximum and one for its first index: nothing beats a NaN at 0, a
     * NaN elsewhere never wins, and a row of -inf gives 0 */
    if (n <= 0 || x[0] != x[0]) return 0;
    const int i = first_above(x, 0, n, nextafterf(max_row(x, n), -INFINITY));
    return i < n ? i : 0;
}

NMT_HOT int first_above(const float *x, int from, int n, float floor) {
    int i = from;
    for (; i + NMT_LANES <= n; i += NMT_LANES) {
        int any = 0;
        for (int l = 0; l < NMT_LANES; l++) any |= x[i + l] > floor;
        if (any) break;
    }
    for (; i < n; i++)
        if (x[i] > floor) return i;
    return n;
}

NMT_HOT void log_softmax_row(float *x, int V) {
    const float lse = (float)logsumexp_row(x, V);
    for (int v = 0; v < V; v++) x[v] -= lse;
}

NMT_HOT double softmax_xent(float *logits, int N, int V, const int *targets, const float *weight, float eps, float scale,
                    double *nll) {
    double total = 0.0, total_nll = 0.0;
    const float off = V > 1 ? eps / (float)(V - 1) : 0.0f;
    for (int i = 0; i < N; i++) {
        float *x = logits + (size_t)i * V;
        const float w = weight[i];
        if (w == 0.0f) {
            memset(x, 0, sizeof(float) * (size_t)V);
            continue;
        }
        const float mx = max_row(x, V);
        const int y = targets[i];
        const double gold_logit = x[y];
        /* x[v] becomes exp(x[v] - mx); both sums in NMT_LANES lanes */
        double lane[NMT_LANES] = {0}, lane_logits[NMT_LANES] = {0};
        int v = 0;
        for (; v + NMT_LANES <= V; v += NMT_LANES)
            for (int j = 0; j < NMT_LANES; j++) {
                lane_logits[j] += x[v + j];
                x[v + j] = fast_expf(x[v + j] - mx);
                lane[j] += x[v + j];
            }
        double sum = 0.0, sum_logits = 0.0;
        for (int j = 0; j < NMT_LANES; j++) sum += lane[j], sum_logits += lane_logits[j];
        for (; v < V; v++) {
            sum_logits += x[v];
            x[v] = fast_expf(x[v] - mx);
            sum += x[v];
        }
        const double lse = mx + log(sum);
        const float inv = (float)(1.0 / sum);
        const double logp_gold = gold_logit - lse;
        const double sum_logp = sum_logits - (double)V * lse;
        const double loss = -(1.0 - eps) * logp_gold - off * (sum_logp - logp_gold);
        total += w * loss;
        total_nll += w * -logp_gold;
        const float g = w * scale;
        for (int v = 0; v < V; v++) x[v] = g * (x[v] * inv - off);
        x[y] -= g * (1.0f - eps - off);
    }
    *nll = total_nll;
    return total;
}

float *arena_take(Arena *a, size_t n) {
    n = (n + 15) & ~(size_t)15; /* keep every buffer 64-byte aligned */
    a->pass_total += n;
    if (a->used + n <= a->cap) {
        float *p = a->block + a->used;
        a->used += n;
        return p;
    }
    a->extra = xrealloc(a->extra, sizeof(float *) * (size_t)(a->n_extra + 1));
    return a->extra[a->n_extra++] = falloc(n);
}

float *arena_take_zero(Arena *a, size_t n) {
    float *p = arena_take(a, n);
    memset(p, 0, sizeof(float) * n);
    return p;
}

void arena_reset(Arena *a) {
    if (a->n_extra) { /* this pass overflowed: one block big enough for it next time */
        for (int i = 0; i < a->n_extra; i++) free(a->extra[i]);
        free(a->extra);
        a->extra = NULL;
        a->n_extra = 0;
        free(a->block);
        a->cap = a->pass_total + a->pass_total / 4;
        a->block = falloc(a->cap);
    }
    a->used = 0;
    a->pass_total = 0;
}

void arena_free(Arena *a) {
    arena_reset(a);
    free(a->block);
    memset(a, 0, sizeof *a);
}
