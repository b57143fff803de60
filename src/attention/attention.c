/* attention.c — see attention.h. */
#include "attention/attention.h"

#include <float.h>
#include <math.h>
#include <string.h>

#include "core/blas.h"
#include "core/cpu.h"
#include "core/nn.h"

void attention_keys_forward(const AttentionWeights *w, int Ts, int B, const float *ann, float *keys) {
    const int N = Ts * B, A = w->A, H2 = 2 * w->H;
    /* keys [N][A] = ann [N][2H] . U^T [2H][A] (+ b) */
    gemm(0, 1, N, A, H2, 1.0f, ann, H2, w->U, H2, 0.0f, keys, A);
    if (w->b) add_bias_rows(keys, w->b, N, A);
}

void attention_keys_backward(const AttentionWeights *w, const AttentionWeights *dw, int Ts, int B, const float *ann,
                             const float *dkeys, float *d_ann) {
    const int N = Ts * B, A = w->A, H2 = 2 * w->H;
    /* in the forward pass this was keys [N][A] = ann [N][2H] U^T (+ b) */
    gemm(1, 0, A, H2, N, 1.0f, dkeys, A, ann, H2, 1.0f, dw->U, H2); /* dU [A][2H] += dkeys^T ann */
    gemm(0, 0, N, H2, A, 1.0f, dkeys, A, w->U, H2, 1.0f, d_ann, H2); /* d_ann [N][2H] += dkeys U */
    if (w->b) colsum_add(dw->b, dkeys, N, A);
}

/* Masked softmax of scores e [Ts] (stride 1) in place. */
static void masked_softmax(float *e, const float *mask, int Ts, int B, int b) {
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

int attention_step_slots(const AttentionWeights *w, int B, int Ts, AttentionStepActs *a, ActSlot *slots) {
    const size_t A = (size_t)w->A, bahdanau = w->type == ATTENTION_BAHDANAU;
    int n = 0;
    slots[n++] = (ActSlot){&a->ctx, (size_t)B * 2 * w->H, 1};  /* [B][2H], read before the next step */
    slots[n++] = (ActSlot){&a->q, bahdanau * B * A, 0};         /* [B][A] */
    slots[n++] = (ActSlot){&a->pre, bahdanau * Ts * B * A, 0};  /* [Ts][B][A] */
    return n;
}

double attention_step_madds(AttentionType type, int A, int H, int Ts) {
    /* the query projection q = W s (Bahdanau) and the weighted sum c = sum_j a_j h_j */
    const double query = type == ATTENTION_BAHDANAU ? (double)A * H : 0.0;
    return query + (double)Ts * 2 * H;
}

double attention_keys_madds(int A, int H) { return (double)A * 2 * H; }

NMT_HOT void attention_step_forward(const AttentionWeights *w, const AttentionMemory *mem, int B, const float *s,
                                    AttentionStepActs *act) {
    const int A = w->A, H = w->H, H2 = 2 * H, Ts = mem->Ts, n_src = mem->n_src;
    const int *row_src = mem->row_src;
    const float *ann = mem->ann, *keys = mem->keys, *mask = mem->mask;
    float *alpha = act->alpha, *ctx = act->ctx, *q = act->q, *pre = act->pre;
    /* q [B][A] = s [B][H] W^T */
    if (w->type == ATTENTION_BAHDANAU) gemm(0, 1, B, A, H, 1.0f, s, H, w->W, H, 0.0f, q, A);
    const float inv_sqrt_h = 1.0f / sqrtf((float)H);
    for (int b = 0; b < B; b++) {
        const int sb = row_src ? row_src[b] : b;  /* the sentence row b attends to */
        float *e = alpha + (size_t)b * Ts; /* scores e [Ts], then (in place) the weights a [Ts] */
        for (int j = 0; j < Ts; j++) {
            const size_t jb = (size_t)j * B + b;      /* position j of row b in [Ts][B] (pre) */
            const size_t js = (size_t)j * n_src + sb; /* position j of its sentence in [Ts][n] (ann, keys, mask) */
            if (mask[js] == 0.0f) {
                e[j] = 0.0f;
                continue;
            }
            const float *k = keys + js * A; /* k_j [A] */
            float score = 0.0f;
            if (w->type == ATTENTION_BAHDANAU) {
                const float *qb = q + (size_t)b * A; /* q [A] */
                float *p = pre + jb * A;             /* tanh(q + k_j) [A], kept for the backward */
                float lane[NMT_LANES] = {0};         /* score = v . p in lanes (core/nn.h) */
                int a = 0;
                for (; a + NMT_LANES <= A; a += NMT_LANES)
                    for (int l = 0; l < NMT_LANES; l++) {
                        p[a + l] = fast_tanhf(qb[a + l] + k[a + l]);
                        lane[l] += w->v[a + l] * p[a + l];
                    }
                for (int l = 0; l < NMT_LANES; l++) score += lane[l];
                for (; a < A; a++) {
                    p[a] = fast_tanhf(qb[a] + k[a]);
                    score += w->v[a] * p[a];
                }
            } else {
                score = dot_row(s + (size_t)b * H, k, A) * inv_sqrt_h;
            }
            e[j] = score;
        }
        masked_softmax(e, mask, Ts, n_src, sb);
        float *c = ctx + (size_t)b * H2; /* c [2H] = sum_j a_j h_j */
        memset(c, 0, sizeof(float) * (size_t)H2);
        for (int j = 0; j < Ts; j++) {
            if (e[j] == 0.0f) continue;
            const float *h = ann + ((size_t)j * n_src + sb) * H2;
            for (int k = 0; k < H2; k++) c[k] += e[j] * h[k];
        }
    }
}

NMT_HOT void attention_step_backward(const AttentionWeights *w, const AttentionWeights *dw, const AttentionMemory *mem,
                                     int B, const float *s, const AttentionStepActs *act, const float *dctx,
                                     const float *dscore, const AttentionStepGrads *g) {
    const int A = w->A, H = w->H, H2 = 2 * H, Ts = mem->Ts;
    const float *ann = mem->ann, *keys = mem->keys, *mask = mem->mask, *alpha = act->alpha, *pre = act->pre;
    float *d_ann = g->d_ann, *dkeys = g->dkeys, *ds = g->ds, *dq = g->dq, *scratch = g->scratch;
    const float inv_sqrt_h = 1.0f / sqrtf((float)H);
    if (w->type == ATTENTION_BAHDANAU) memset(dq, 0, sizeof(float) * (size_t)B * A);
    for (int b = 0; b < B; b++) {
        const float *a = alpha + (size_t)b * Ts; /* in the forward pass: a [Ts] = softmax(e) */
        const float *dc = dctx + (size_t)b * H2; /* gradient of c [2H] = sum_j a_j h_j */
        float *de = scratch + (size_t)b * Ts;    /* da [Ts], then (in place) de [Ts] */
        /* da_j = dc . h_j; d_ann_j += a_j dc; then through the softmax:
         * de_j = a_j (da_j - sum_k a_k da_k) */
        float dot_ada = 0.0f;
        for (int j = 0; j < Ts; j++) {
            const size_t jb = (size_t)j * B + b;
            if (mask[jb] == 0.0f) {
                de[j] = 0.0f;
                continue;
            }
            const float *h = ann + jb * H2;
            float *dh = d_ann + jb * H2;
            const float da = dot_row(dc, h, H2);
            for (int k = 0; k < H2; k++) dh[k] += a[j] * dc[k];
            de[j] = da;
            dot_ada += a[j] * da;
        }
        for (int j = 0; j < Ts; j++) de[j] = a[j] * (de[j] - dot_ada);
        /* a loss on a itself (guided alignment) hands its score gradient in
         * directly: zero at padding, where a and the gold row are both 0 */
        if (dscore)
            for (int j = 0; j < Ts; j++) de[j] += dscore[(size_t)b * Ts + j];
        /* through the scores: bahdanau e_j = v . p_j with p_j = tanh(q + k_j);
         * dot e_j = s . k_j / sqrt(H) */
        for (int j = 0; j < Ts; j++) {
            const size_t jb = (size_t)j * B + b;
            if (mask[jb] == 0.0f) continue;
            float *dk = dkeys + jb * A;
            if (w->type == ATTENTION_BAHDANAU) {
                const float *p = pre + jb * A;
                float *dqb = dq + (size_t)b * A;
                for (int k = 0; k < A; k++) {
                    dw->v[k] += de[j] * p[k];
                    const float dpre = de[j] * w->v[k] * (1.0f - p[k] * p[k]);
                    dk[k] += dpre;
                    dqb[k] += dpre;
                }
            } else {
                const float *k_j = keys + jb * A;
                const float *sb = s + (size_t)b * H;
                float *dsb = ds + (size_t)b * H;
                const float g = de[j] * inv_sqrt_h;
                for (int k = 0; k < A; k++) {
                    dsb[k] += g * k_j[k];
                    dk[k] += g * sb[k];
                }
            }
        }
    }
    /* ds [B][H] += dq [B][A] W: in the forward pass q = s W^T */
    if (w->type == ATTENTION_BAHDANAU) gemm(0, 0, B, H, A, 1.0f, dq, A, w->W, H, 1.0f, ds, H);
}

void attention_query_backward(const AttentionWeights *w, const AttentionWeights *dw, int N, const float *dq_all,
                              const float *s_all) {
    if (w->type != ATTENTION_BAHDANAU) return;
    /* in the forward pass this was q [N][A] = s [N][H] W^T, one step at a time */
    gemm(1, 0, w->A, w->H, N, 1.0f, dq_all, w->A, s_all, w->H, 1.0f, dw->W, w->H);
}
