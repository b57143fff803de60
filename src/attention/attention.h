/* attention.h — the attention layer: one interface, two scorers.
 *
 * Keys are computed once per sentence batch from the encoder annotations
 * h_j (2H wide): k_j = U h_j (+ b for Bahdanau). Then, per decoder step,
 * with query s = s_{t-1}:
 *   bahdanau: e_j = v . tanh(q + k_j),  q = W s
 *   dot:      e_j = s . k_j / sqrt(H)
 *   a = softmax(e) over the real (unmasked) source positions, c = sum_j a_j h_j.
 *
 * With N heads (heads > 1) head k owns the k-th slice (width A/N) of the
 * keys and of the query (v_k the k-th slice of v; dot scales by
 * 1/sqrt(H/N)); each head has its own softmax, and reads values
 * val_j = Wv h_j (2H wide, computed with the keys): head k's context is
 * sum_j a_kj val_j[k-th slice of width 2H/N] and c is the N head contexts
 * side by side (still 2H wide). heads 1 is the single head above, with no Wv.
 *
 * Forward/backward pairs, each backward beside its forward in attention.c:
 *   attention_keys_forward   / attention_keys_backward    (once per batch)
 *   attention_step_forward   / attention_step_backward    (once per step)
 *   (the query q = W s)      / attention_query_backward   (dW, once for all steps)
 * The weight gradients of the keys and of the query are products over all
 * steps at once, so the step backward only collects dkeys and dq.
 *
 * Layouts are time-major: ann [Ts][B][2H], keys [Ts][B][A] (with heads > 1
 * followed by the values [Ts][B][2H] in the same array: attention_keys_floats),
 * mask [Ts][B] (1 real, 0 padding). Weights a come out as [B][N][Ts] (heads-
 * major within a row: attention_row_floats per row). Backward functions add
 * into gradient buffers (+=). */
#ifndef NMT_ATTENTION_H
#define NMT_ATTENTION_H

#include "nn/layout.h"

typedef enum { ATTENTION_BAHDANAU = 0, ATTENTION_DOT = 1 } AttentionType;

/* U [A][2H]; Bahdanau also b [A], W [A][H], v [A] (NULL for dot, where A = H).
 * heads > 1: also Wv [2H][2H] (NULL otherwise; heads 0 reads as 1). */
typedef struct {
    float *U, *b, *W, *v;
    AttentionType type;
    int A, H;
    float *Wv;
    int heads;
} AttentionWeights;

/* The number of heads N (1 when unset). */
static inline int attention_heads(const AttentionWeights *w) { return w->heads > 1 ? w->heads : 1; }
/* Floats of one query row's weights over Ts positions: N x Ts ([N][Ts]). */
static inline size_t attention_row_floats(const AttentionWeights *w, int Ts) {
    return (size_t)attention_heads(w) * (size_t)Ts;
}
/* Floats of the keys array of attention_keys_forward for Ts x B positions. */
static inline size_t attention_keys_floats(const AttentionWeights *w, int Ts, int B) {
    return (size_t)Ts * B * ((size_t)w->A + (attention_heads(w) > 1 ? 2 * (size_t)w->H : 0));
}
/* mean [Ts] = (1/N) sum_k a [k][Ts], the mean of a row's N heads (a copy for N = 1). */
void attention_mean_row(int heads, int Ts, const float *a, float *mean);

/* keys [Ts][B][A] = ann U^T (+ b); heads > 1: then values [Ts][B][2H] = ann Wv^T. */
void attention_keys_forward(const AttentionWeights *w, int Ts, int B, const float *ann, float *keys);

/* Backward of attention_keys_forward given dkeys [Ts][B][A] (and, heads > 1,
 * dvalues [Ts][B][2H] after it): dU += dkeys^T ann, db += sum dkeys
 * (Bahdanau), d_ann += dkeys U; dWv += dvalues^T ann, d_ann += dvalues Wv. */
void attention_keys_backward(const AttentionWeights *w, const AttentionWeights *dw, int Ts, int B, const float *ann,
                             const float *dkeys, float *d_ann);

/* What a step attends to: the encoded source sentences, ann [Ts][n_src][2H],
 * keys [Ts][n_src][A] and mask [Ts][n_src]. Query row b attends to sentence
 * row_src[b], so that the hypotheses of a search share their sentence's
 * encoding instead of copies; row_src NULL: row b reads sentence b
 * (n_src = B), as in training. */
typedef struct {
    int Ts, n_src;
    const int *row_src;
    const float *ann, *keys, *mask;
} AttentionMemory;

/* One step's activations over B query rows. */
typedef struct {
    float *alpha; /* [B][N][Ts] the weights */
    float *ctx;   /* [B][2H] the context c = sum_j a_j h_j (heads > 1: the heads' contexts side by side) */
    float *q;     /* Bahdanau: [B][A] the query projection W s; NULL for dot */
    float *pre;   /* Bahdanau: [Ts][B][A] tanh(q + k_j), kept for the backward; NULL for dot and in a search */
} AttentionStepActs;

/* The arrays of AttentionStepActs but alpha (which a search hands in, to
 * keep), for B rows over Ts positions: their sizes and where their
 * pointers go (nn/layout.h). Returns the number of slots (at most 3). */
int attention_step_slots(const AttentionWeights *w, int B, int Ts, AttentionStepActs *a, ActSlot *slots);

/* One decoder step for B query rows s [B][H]: the weights and context
 * into a (and the caches q, pre for Bahdanau). */
void attention_step_forward(const AttentionWeights *w, const AttentionMemory *mem, int B, const float *s,
                            AttentionStepActs *a);

/* The gradients a step's backward leaves. */
typedef struct {
    float *d_ann;   /* [Ts][B][2H] += through the weighted sum */
    float *dkeys;   /* [Ts][B][A]  += through the scores (to attention_keys_backward); heads > 1:
                     * then dvalues [Ts][B][2H] += through the weighted sums */
    float *ds;      /* [B][H]      += through the query */
    float *dq;      /* Bahdanau: [B][A], written: the gradient w.r.t. q = W s, for attention_query_backward */
    float *scratch; /* B * attention_row_floats floats */
} AttentionStepGrads;

/* Backward of one step (training: mem->n_src = B, no row_src), given dctx
 * [B][2H] and, optionally, dscore [B][N][Ts]: a gradient w.r.t. the scores e
 * from a loss on the weights themselves (guided alignment), added to the
 * one that reaches e through the context (NULL: none). Adds into g's
 * arrays as they say and into dw->v (Bahdanau). */
void attention_step_backward(const AttentionWeights *w, const AttentionWeights *dw, const AttentionMemory *mem, int B,
                             const float *s, const AttentionStepActs *a, const float *dctx, const float *dscore,
                             const AttentionStepGrads *g);

/* Multiply-adds of one step for one query row over Ts positions: the query
 * projection and the weighted sum (the scores, element-wise work, are left
 * out, as every FLOP count here counts the products), for FLOP counts. */
double attention_step_madds(AttentionType type, int A, int H, int Ts);
/* Multiply-adds of the keys (and values, heads > 1) of one source position. */
double attention_keys_madds(int A, int H, int heads);

/* The query projection's weight gradient over N = steps x batch rows at
 * once (Bahdanau; nothing for dot): dW += dq_all^T s_all, with
 * dq_all [N][A] from attention_step_backward and s_all [N][H] the queries
 * the steps read. */
void attention_query_backward(const AttentionWeights *w, const AttentionWeights *dw, int N, const float *dq_all,
                              const float *s_all);

#endif
