/* align_layer.c — see align_layer.h. */
#include "attention/align_layer.h"

#include <math.h>
#include <string.h>

#include "attention/score.h"
#include "nn/blas.h"
#include "nn/cpu.h"

int align_layer_slots(const AlignLayerWeights *w, int Tt, int Ts, int B, int train, AlignLayerActs *act,
                      ActSlot *slots) {
    const size_t N = (size_t)Tt * B, M = (size_t)Ts * B, A = (size_t)w->A, kept = train != 0;
    int n = 0;
    slots[n++] = (ActSlot){&act->z, N * w->Z, 0};              /* [Tt][B][Z] */
    slots[n++] = (ActSlot){&act->x, M * w->E, 0};              /* [Ts][B][E] */
    slots[n++] = (ActSlot){&act->q, N * A, 0};                 /* [Tt][B][A] */
    slots[n++] = (ActSlot){&act->keys, M * A, 0};              /* [Ts][B][A] */
    slots[n++] = (ActSlot){&act->pre, kept * N * Ts * A, 0};   /* [Tt][B][Ts][A] */
    slots[n++] = (ActSlot){&act->p, (1 - kept) * A, 0};        /* [A] */
    slots[n++] = (ActSlot){&act->alpha, N * Ts, 0};            /* [Tt][B][Ts] */
    slots[n++] = (ActSlot){&act->ctx, N * w->E, 0};            /* [Tt][B][E] */
    slots[n++] = (ActSlot){&act->logits, kept * N * w->V, 0};  /* [Tt][B][V] */
    return n;
}

size_t align_layer_floats(const AlignLayerWeights *w, int Tt, int Ts, int B, int train) {
    AlignLayerActs act;
    ActSlot slots[ALIGN_LAYER_SLOTS];
    return act_floats(slots, align_layer_slots(w, Tt, Ts, B, train, &act, slots));
}

double align_layer_step_madds(int A, int Z, int E, int V, int Ts, int train) {
    /* the query Wq z_t, the weighted sum over the source, the logits Wo c'_t */
    return (double)A * Z + (double)Ts * E + (train ? (double)E * V : 0.0);
}

double align_layer_keys_madds(int A, int E, int C) { return (double)A * (E + C); }

/* The weights and context of every real row: alpha [Ts] and ctx [E] of row
 * (t, b) from q, the keys and x; pre rows kept when act->pre is set. */
NMT_HOT static void align_rows_forward(const AlignLayerWeights *w, const AlignLayerInput *in, AlignLayerActs *act) {
    const int Tt = in->Tt, Ts = in->Ts, B = in->B, A = w->A, E = w->E;
    for (int t = 0; t < Tt; t++)
        for (int b = 0; b < B; b++) {
            const size_t row = (size_t)t * B + b;
            float *e = act->alpha + row * Ts, *c = act->ctx + row * E; /* scores, then (in place) the weights */
            memset(e, 0, sizeof(float) * (size_t)Ts);
            memset(c, 0, sizeof(float) * (size_t)E);
            if (in->tgt_mask[row] == 0.0f) continue; /* padding: no row */
            const float *q = act->q + row * A;
            for (int j = 0; j < Ts; j++) {
                const size_t jb = (size_t)j * B + b;
                if (in->src_mask[jb] == 0.0f) continue;
                float *p = act->pre ? act->pre + (row * Ts + j) * A : act->p;
                e[j] = attention_additive_score(q, act->keys + jb * A, w->v, p, A);
            }
            attention_masked_softmax(e, in->src_mask, Ts, B, b);
            /* c'_t [E] = sum_j a_j x_j */
            for (int j = 0; j < Ts; j++) {
                if (e[j] == 0.0f) continue;
                const float *xj = act->x + ((size_t)j * B + b) * E;
                for (int k = 0; k < E; k++) c[k] += e[j] * xj[k];
            }
        }
}

/* x [n][E] scaled in place to unit root mean square, row by row (rows of
 * zeros stay zero). The layer reads the translation model's embeddings
 * this way: they start at +-0.1 and grow as that model trains, and at
 * their own scale the layer's context and its query's word barely move
 * its scores and logits, so it learned many times slower (docs/model.md). */
static void rms_normalize_rows(float *x, int n, int E) {
    for (int i = 0; i < n; i++) {
        float *r = x + (size_t)i * E;
        const float ms = dot_row(r, r, E) / (float)E;
        const float inv = ms > 0.0f ? 1.0f / sqrtf(ms) : 0.0f;
        for (int k = 0; k < E; k++) r[k] *= inv;
    }
}

void align_layer_values(const float *src_emb, int E, const int *src, int n, float *x) {
    embed_lookup(src_emb, E, src, n, x);
    rms_normalize_rows(x, n, E);
}

void align_layer_forward(const AlignLayerWeights *w, const AlignLayerInput *in, int train, Arena *arena,
                         AlignLayerActs *act) {
    const int Tt = in->Tt, Ts = in->Ts, B = in->B, H = in->H, A = w->A, E = w->E, Z = w->Z;
    const int N = Tt * B, M = Ts * B;
    ActSlot slots[ALIGN_LAYER_SLOTS];
    const int n = align_layer_slots(w, Tt, Ts, B, train, act, slots);
    act_carve(slots, n, arena_take(arena, act_floats(slots, n)));
    act->Tt = Tt, act->Ts = Ts, act->B = B;
    act->guide = NULL, act->guide_scale = 0.0f;
    /* x [M][E] = rms(E_src f_j); z [N][Z] = [s_t ; rms(E_tgt y_t)] */
    align_layer_values(in->src_emb, E, in->src, M, act->x);
    for (int i = 0; i < N; i++) {
        float *zi = act->z + (size_t)i * Z;
        memcpy(zi, in->state + (size_t)i * H, sizeof(float) * (size_t)H);
        memcpy(zi + H, in->tgt_emb + (size_t)in->tgt_out[i] * E, sizeof(float) * (size_t)E);
        rms_normalize_rows(zi + H, 1, E);
    }
    /* keys [M][A] = x [M][E] Uk^T (+ ann [M][C] Uh^T);  q [N][A] = z [N][Z] Wq^T + bq */
    gemm(0, 1, M, A, E, 1.0f, act->x, E, w->Uk, E, 0.0f, act->keys, A);
    if (w->C) gemm(0, 1, M, A, w->C, 1.0f, in->ann, w->C, w->Uh, w->C, 1.0f, act->keys, A);
    gemm(0, 1, N, A, Z, 1.0f, act->z, Z, w->Wq, Z, 0.0f, act->q, A);
    add_bias_rows(act->q, w->bq, N, A);
    align_rows_forward(w, in, act);
    if (!train) return;
    /* logits [N][V] = ctx [N][E] Wo^T + bo */
    gemm(0, 1, N, w->V, E, 1.0f, act->ctx, E, w->Wo, E, 0.0f, act->logits, w->V);
    add_bias_rows(act->logits, w->bo, N, w->V);
}

double align_layer_loss(AlignLayerActs *act, const AlignLayerWeights *w, const AlignLayerInput *in, float scale) {
    double nll = 0.0;
    softmax_xent(act->logits, act->Tt * act->B, w->V, in->tgt_out, in->tgt_mask, 0.0f, scale, &nll);
    return nll;
}

double align_layer_guide_loss(AlignLayerActs *act, const float *guide, float scale, int *rows) {
    const int Ts = act->Ts, N = act->Tt * act->B;
    double loss = 0.0;
    int n = 0;
    for (int i = 0; i < N; i++) {
        const float *g = guide + (size_t)i * Ts;
        if (attention_row_sum(g, Ts) == 0.0f) continue;
        n++;
        loss = attention_guide_row_loss(loss, g, act->alpha + (size_t)i * Ts, Ts);
    }
    act->guide = guide, act->guide_scale = scale;
    *rows = n;
    return loss;
}

/* Through every real row's weights into dq [N][A], dkeys [M][A] (both
 * zeroed here) and g->v, from dctx [N][E]; de [Ts] scratch. */
NMT_HOT static void align_rows_backward(const AlignLayerWeights *w, const AlignLayerWeights *g,
                                        const AlignLayerInput *in, const AlignLayerActs *act, const float *dctx,
                                        float *dq, float *dkeys, float *de) {
    const int Tt = in->Tt, Ts = in->Ts, B = in->B, A = w->A, E = w->E;
    memset(dq, 0, sizeof(float) * (size_t)Tt * B * A);
    memset(dkeys, 0, sizeof(float) * (size_t)Ts * B * A);
    for (int t = 0; t < Tt; t++)
        for (int b = 0; b < B; b++) {
            const size_t row = (size_t)t * B + b;
            if (in->tgt_mask[row] == 0.0f) continue;
            const float *a = act->alpha + row * Ts, *dc = dctx + row * E;
            /* da_j = dc . x_j; through the softmax de_j = a_j (da_j - sum_k a_k da_k) */
            float dot_ada = 0.0f;
            for (int j = 0; j < Ts; j++) {
                const size_t jb = (size_t)j * B + b;
                de[j] = in->src_mask[jb] != 0.0f ? dot_row(dc, act->x + jb * E, E) : 0.0f;
                dot_ada += a[j] * de[j];
            }
            for (int j = 0; j < Ts; j++) de[j] = a[j] * (de[j] - dot_ada);
            /* guidance: scale (a S - g) on a guided row (zero at padding, where a and g are both 0) */
            const float *gold = act->guide ? act->guide + row * Ts : NULL;
            const float S = gold ? attention_row_sum(gold, Ts) : 0.0f;
            if (S != 0.0f)
                for (int j = 0; j < Ts; j++) de[j] += act->guide_scale * (a[j] * S - gold[j]);
            /* e_j = v . p_j, p_j = tanh(q + k_j): dv += de_j p_j, dpre = de_j v (1 - p_j^2) into q and k_j */
            float *dqr = dq + row * A;
            for (int j = 0; j < Ts; j++) {
                const size_t jb = (size_t)j * B + b;
                if (in->src_mask[jb] == 0.0f) continue;
                const float *p = act->pre + (row * Ts + j) * A;
                float *dk = dkeys + jb * A;
                for (int k = 0; k < A; k++) {
                    g->v[k] += de[j] * p[k];
                    const float dpre = de[j] * w->v[k] * (1.0f - p[k] * p[k]);
                    dk[k] += dpre;
                    dqr[k] += dpre;
                }
            }
        }
}

void align_layer_backward(const AlignLayerWeights *w, const AlignLayerWeights *g, const AlignLayerInput *in,
                          const AlignLayerActs *act, Arena *arena) {
    const int N = in->Tt * in->B, M = in->Ts * in->B, A = w->A, E = w->E, Z = w->Z, V = w->V;
    /* in the forward pass logits [N][V] = ctx Wo^T + bo */
    float *dctx = arena_take(arena, (size_t)N * E); /* [N][E] */
    gemm(0, 0, N, E, V, 1.0f, act->logits, V, w->Wo, E, 0.0f, dctx, E);          /* dctx = dlogits Wo */
    gemm(1, 0, V, E, N, 1.0f, act->logits, V, act->ctx, E, 1.0f, g->Wo, E);      /* dWo += dlogits^T ctx */
    colsum_add(g->bo, act->logits, N, V);
    float *dq = arena_take(arena, (size_t)N * A), *dkeys = arena_take(arena, (size_t)M * A);
    float *de = arena_take(arena, (size_t)in->Ts);
    align_rows_backward(w, g, in, act, dctx, dq, dkeys, de);
    /* q = z Wq^T + bq, keys = x Uk^T (+ ann Uh^T): the weights' gradients, nothing into z, x or ann */
    gemm(1, 0, A, Z, N, 1.0f, dq, A, act->z, Z, 1.0f, g->Wq, Z); /* dWq [A][Z] += dq^T z */
    colsum_add(g->bq, dq, N, A);
    gemm(1, 0, A, E, M, 1.0f, dkeys, A, act->x, E, 1.0f, g->Uk, E); /* dUk [A][E] += dkeys^T x */
    if (w->C) gemm(1, 0, A, w->C, M, 1.0f, dkeys, A, in->ann, w->C, 1.0f, g->Uh, w->C); /* dUh [A][C] += dkeys^T ann */
}
