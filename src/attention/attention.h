/* attention.h — the attention layer: one interface, two scorers.
 *
 * Keys are computed once per sentence batch from the encoder annotations
 * h_j (2H wide): k_j = U h_j (+ b for Bahdanau). Then, per decoder step,
 * with query s = s_{t-1}:
 *   bahdanau: e_j = v . tanh(q + k_j),  q = W s
 *   dot:      e_j = s . k_j / sqrt(H)
 *   a = softmax(e) over the real (unmasked) source positions, c = sum_j a_j h_j.
 *
 * Forward/backward pairs, each backward beside its forward in attention.c:
 *   attention_keys_forward   / attention_keys_backward    (once per batch)
 *   attention_step_forward   / attention_step_backward    (once per step)
 *   (the query q = W s)      / attention_query_backward   (dW, once for all steps)
 * The weight gradients of the keys and of the query are products over all
 * steps at once, so the step backward only collects dkeys and dq.
 *
 * Layouts are time-major: ann [Ts][B][2H], keys [Ts][B][A], mask [Ts][B]
 * (1 real, 0 padding). Weights a come out as [B][Ts]. Backward functions add
 * into gradient buffers (+=). */
#ifndef NMT_ATTENTION_H
#define NMT_ATTENTION_H

typedef enum { ATTENTION_BAHDANAU = 0, ATTENTION_DOT = 1 } AttentionType;

/* U [A][2H]; Bahdanau also b [A], W [A][H], v [A] (NULL for dot, where A = H). */
typedef struct {
    float *U, *b, *W, *v;
    AttentionType type;
    int A, H;
} AttentionWeights;

/* keys [Ts][B][A] = ann U^T (+ b). */
void attention_keys_forward(const AttentionWeights *w, int Ts, int B, const float *ann, float *keys);

/* Backward of attention_keys_forward given dkeys [Ts][B][A]:
 * dU += dkeys^T ann, db += sum dkeys (Bahdanau), d_ann += dkeys U. */
void attention_keys_backward(const AttentionWeights *w, const AttentionWeights *dw, int Ts, int B, const float *ann,
                             const float *dkeys, float *d_ann);

/* One decoder step for B query rows. s [B][H]. Writes alpha [B][Ts],
 * ctx [B][2H]. For Bahdanau also writes the caches q [B][A] (W s) and pre
 * [Ts][B][A] (the tanh values); both may be NULL for dot.
 * ann, keys and mask are laid out for n_src sentences ([Ts][n_src][...]);
 * row b attends to sentence row_src[b], so that the hypotheses of a search
 * share their sentence's encoding instead of copies. row_src NULL: row b
 * reads sentence b (n_src = B), as in training. */
void attention_step_forward(const AttentionWeights *w, int Ts, int B, int n_src, const int *row_src, const float *ann,
                            const float *keys, const float *mask, const float *s, float *alpha, float *ctx, float *q,
                            float *pre);

/* Backward of one step, given dctx [B][2H] and, optionally, dscore [B][Ts]:
 * a gradient w.r.t. the scores e from a loss on the weights themselves
 * (guided alignment), added to the one that reaches e through the context
 * (NULL: none). It adds:
 *   d_ann [Ts][B][2H] += (through the weighted sum),
 *   dkeys [Ts][B][A]  += (through the scores; to attention_keys_backward),
 *   ds [B][H]         += (through the query),
 *   dw->v             += (Bahdanau),
 * and writes dq [B][A] (Bahdanau: the gradient w.r.t. q = W s, kept for
 * attention_query_backward). scratch holds at least B*Ts floats. */
void attention_step_backward(const AttentionWeights *w, const AttentionWeights *dw, int Ts, int B, const float *ann,
                             const float *keys, const float *mask, const float *s, const float *alpha,
                             const float *pre, const float *dctx, const float *dscore, float *d_ann, float *dkeys,
                             float *ds, float *dq, float *scratch);

/* The query projection's weight gradient over N = steps x batch rows at
 * once (Bahdanau; nothing for dot): dW += dq_all^T s_all, with
 * dq_all [N][A] from attention_step_backward and s_all [N][H] the queries
 * the steps read. */
void attention_query_backward(const AttentionWeights *w, const AttentionWeights *dw, int N, const float *dq_all,
                              const float *s_all);

#endif
