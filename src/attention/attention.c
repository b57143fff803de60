/* attention.c — see attention.h. */
#include "attention/attention.h"

#include <math.h>
#include <string.h>

#include "attention/score.h"

#include "nn/blas.h"
#include "nn/cpu.h"
#include "nn/nn.h"

void attention_keys_forward(const AttentionWeights *w, int Ts, int B, const float *ann, float *keys) {
    const int N = Ts * B, A = w->A, H2 = 2 * w->H;
    /* keys [N][A] = ann [N][2H] . U^T [2H][A] (+ b) */
    gemm(0, 1, N, A, H2, 1.0f, ann, H2, w->U, H2, 0.0f, keys, A);
    if (w->b) add_bias_rows(keys, w->b, N, A);
    /* values [N][2H] = ann [N][2H] . Wv^T [2H][2H], after the keys */
    if (attention_heads(w) > 1) gemm(0, 1, N, H2, H2, 1.0f, ann, H2, w->Wv, H2, 0.0f, keys + (size_t)N * A, H2);
}

void attention_keys_backward(const AttentionWeights *w, const AttentionWeights *dw, int Ts, int B, const float *ann,
                             const float *dkeys, float *d_ann) {
    const int N = Ts * B, A = w->A, H2 = 2 * w->H;
    /* in the forward pass this was keys [N][A] = ann [N][2H] U^T (+ b) */
    gemm(1, 0, A, H2, N, 1.0f, dkeys, A, ann, H2, 1.0f, dw->U, H2); /* dU [A][2H] += dkeys^T ann */
    gemm(0, 0, N, H2, A, 1.0f, dkeys, A, w->U, H2, 1.0f, d_ann, H2); /* d_ann [N][2H] += dkeys U */
    if (w->b) colsum_add(dw->b, dkeys, N, A);
    if (attention_heads(w) > 1) { /* in the forward pass values [N][2H] = ann Wv^T */
        const float *dval = dkeys + (size_t)N * A;
        gemm(1, 0, H2, H2, N, 1.0f, dval, H2, ann, H2, 1.0f, dw->Wv, H2); /* dWv [2H][2H] += dval^T ann */
        gemm(0, 0, N, H2, H2, 1.0f, dval, H2, w->Wv, H2, 1.0f, d_ann, H2); /* d_ann [N][2H] += dval Wv */
    }
}

void attention_mean_row(int heads, int Ts, const float *a, float *mean) {
    const float inv = 1.0f / (float)heads;
    for (int j = 0; j < Ts; j++) {
        float sum = 0.0f;
        for (int k = 0; k < heads; k++) sum += a[(size_t)k * Ts + j];
        mean[j] = heads == 1 ? sum : sum * inv;
    }
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

double attention_keys_madds(int A, int H, int heads) {
    /* heads > 1: the values Wv h_j as well */
    return (double)A * 2 * H + (heads > 1 ? 4.0 * H * H : 0.0);
}

NMT_HOT void attention_step_forward(const AttentionWeights *w, const AttentionMemory *mem, int B, const float *s,
                                    AttentionStepActs *act) {
    const int A = w->A, H = w->H, H2 = 2 * H, Ts = mem->Ts, n_src = mem->n_src;
    const int NH = attention_heads(w), Ah = A / NH, Ch = H2 / NH; /* a head's score and context widths */
    const int *row_src = mem->row_src;
    const float *ann = mem->ann, *keys = mem->keys, *mask = mem->mask;
    const float *values = keys + (size_t)Ts * n_src * A; /* heads > 1: [Ts][n][2H] after the keys */
    float *alpha = act->alpha, *ctx = act->ctx, *q = act->q, *pre = act->pre;
    /* q [B][A] = s [B][H] W^T */
    if (w->type == ATTENTION_BAHDANAU) gemm(0, 1, B, A, H, 1.0f, s, H, w->W, H, 0.0f, q, A);
    const float inv_sqrt_h = 1.0f / sqrtf((float)Ah); /* dot: A = H, so 1/sqrt(H/N) */
    for (int b = 0; b < B; b++) {
        const int sb = row_src ? row_src[b] : b;  /* the sentence row b attends to */
        float *c = ctx + (size_t)b * H2; /* c [2H] = sum_j a_j h_j, or the heads' sum_j a_kj val_j side by side */
        memset(c, 0, sizeof(float) * (size_t)H2);
        for (int hd = 0; hd < NH; hd++) {
            const int o = hd * Ah; /* the head's slice of the keys and the query */
            float *e = alpha + ((size_t)b * NH + hd) * Ts; /* scores e [Ts], then (in place) the weights a [Ts] */
            for (int j = 0; j < Ts; j++) {
                const size_t jb = (size_t)j * B + b;      /* position j of row b in [Ts][B] (pre) */
                const size_t js = (size_t)j * n_src + sb; /* position j of its sentence in [Ts][n] (ann, keys, mask) */
                if (mask[js] == 0.0f) {
                    e[j] = 0.0f;
                    continue;
                }
                const float *k = keys + js * A + o; /* k_j [A/N] */
                if (w->type == ATTENTION_BAHDANAU && pre)
                    e[j] = attention_additive_score(q + (size_t)b * A + o, k, w->v + o, pre + jb * A + o, Ah);
                else if (w->type == ATTENTION_BAHDANAU)
                    e[j] = attention_additive_score(q + (size_t)b * A + o, k, w->v + o, NULL, Ah);
                else
                    e[j] = dot_row(s + (size_t)b * H + o, k, Ah) * inv_sqrt_h;
            }
            attention_masked_softmax(e, mask, Ts, n_src, sb);
            /* one head: c [2H] = sum_j a_j h_j; N heads: c[k-th slice] = sum_j a_kj val_j[k-th slice] */
            const float *src = NH == 1 ? ann : values;
            float *ck = c + (size_t)hd * Ch;
            for (int j = 0; j < Ts; j++) {
                if (e[j] == 0.0f) continue;
                const float *h = src + ((size_t)j * n_src + sb) * H2 + (size_t)hd * Ch;
                for (int k = 0; k < Ch; k++) ck[k] += e[j] * h[k];
            }
        }
    }
}

NMT_HOT void attention_step_backward(const AttentionWeights *w, const AttentionWeights *dw, const AttentionMemory *mem,
                                     int B, const float *s, const AttentionStepActs *act, const float *dctx,
                                     const float *dscore, const AttentionStepGrads *g) {
    const int A = w->A, H = w->H, H2 = 2 * H, Ts = mem->Ts;
    const int NH = attention_heads(w), Ah = A / NH, Ch = H2 / NH;
    const float *ann = mem->ann, *keys = mem->keys, *mask = mem->mask, *alpha = act->alpha, *pre = act->pre;
    const float *values = keys + (size_t)Ts * B * A;
    float *d_ann = g->d_ann, *dkeys = g->dkeys, *ds = g->ds, *dq = g->dq, *scratch = g->scratch;
    float *dvalues = dkeys + (size_t)Ts * B * A;
    const float inv_sqrt_h = 1.0f / sqrtf((float)Ah);
    if (w->type == ATTENTION_BAHDANAU) memset(dq, 0, sizeof(float) * (size_t)B * A);
    for (int b = 0; b < B; b++)
        for (int hd = 0; hd < NH; hd++) {
            const size_t row = (size_t)b * NH + hd;
            const int o = hd * Ah;
            const float *a = alpha + row * Ts;                  /* in the forward pass: a [Ts] = softmax(e) */
            const float *dc = dctx + (size_t)b * H2 + (size_t)hd * Ch; /* gradient of the head's context [2H/N] */
            float *de = scratch + row * Ts;                     /* da [Ts], then (in place) de [Ts] */
            /* da_j = dc . h_j; d_ann_j += a_j dc (N heads: val_j's slice and dvalues);
             * then through the softmax: de_j = a_j (da_j - sum_k a_k da_k) */
            float dot_ada = 0.0f;
            for (int j = 0; j < Ts; j++) {
                const size_t jb = (size_t)j * B + b;
                if (mask[jb] == 0.0f) {
                    de[j] = 0.0f;
                    continue;
                }
                const size_t at = jb * H2 + (size_t)hd * Ch;
                const float *h = NH == 1 ? ann + at : values + at;
                float *dh = NH == 1 ? d_ann + at : dvalues + at;
                const float da = dot_row(dc, h, Ch);
                for (int k = 0; k < Ch; k++) dh[k] += a[j] * dc[k];
                de[j] = da;
                dot_ada += a[j] * da;
            }
            for (int j = 0; j < Ts; j++) de[j] = a[j] * (de[j] - dot_ada);
            /* a loss on a itself (guided alignment) hands its score gradient in
             * directly: zero at padding, where a and the gold row are both 0 */
            if (dscore)
                for (int j = 0; j < Ts; j++) de[j] += dscore[row * Ts + j];
            /* through the scores (the head's slice o..o+A/N): bahdanau
             * e_j = v . p_j with p_j = tanh(q + k_j); dot e_j = s . k_j / sqrt(H/N) */
            for (int j = 0; j < Ts; j++) {
                const size_t jb = (size_t)j * B + b;
                if (mask[jb] == 0.0f) continue;
                float *dk = dkeys + jb * A + o;
                if (w->type == ATTENTION_BAHDANAU) {
                    const float *p = pre + jb * A + o, *v = w->v + o;
                    float *dqb = dq + (size_t)b * A + o, *dv = dw->v + o;
                    for (int k = 0; k < Ah; k++) {
                        dv[k] += de[j] * p[k];
                        const float dpre = de[j] * v[k] * (1.0f - p[k] * p[k]);
                        dk[k] += dpre;
                        dqb[k] += dpre;
                    }
                } else {
                    const float *k_j = keys + jb * A + o;
                    const float *sb = s + (size_t)b * H + o;
                    float *dsb = ds + (size_t)b * H + o;
                    const float g = de[j] * inv_sqrt_h;
                    for (int k = 0; k < Ah; k++) {
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
