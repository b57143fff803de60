/* attention.h — one interface, two scorers.
 *
 * Keys are computed once per sentence batch from the encoder annotations
 * h_j (2H wide): k_j = U h_j (+ b for Bahdanau). Then, per decoder step,
 * with query s = s_{t-1}:
 *   bahdanau: e_j = v . tanh(W s + k_j)
 *   dot:      e_j = s . k_j / sqrt(H)
 *   a = softmax(e) over the real (unmasked) source positions, c = sum_j a_j h_j.
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
void attention_keys(const AttentionWeights *w, int Ts, int B, const float *ann, float *keys);

/* One decoder step. s [B][H]. Writes alpha [B][Ts], ctx [B][2H].
 * For Bahdanau also writes the caches q [B][A] (W s) and pre [Ts][B][A]
 * (the tanh values); both may be NULL for dot. */
void attention_step_forward(const AttentionWeights *w, int Ts, int B, const float *ann, const float *keys,
                            const float *mask, const float *s, float *alpha, float *ctx, float *q, float *pre);

/* Backward of one step, given dctx [B][2H]:
 *   d_ann [Ts][B][2H] += (through the weighted sum),
 *   dkeys [Ts][B][A]  += (through the scores),
 *   ds [B][H]         += (through the query),
 *   dw->v             += (Bahdanau),
 * and writes dq [B][A] (Bahdanau; the gradient w.r.t. W s, kept so that
 * dW is one product over all steps: see attention_weight_grads).
 * scratch holds at least B*Ts floats. */
void attention_step_backward(const AttentionWeights *w, const AttentionWeights *dw, int Ts, int B, const float *ann,
                             const float *keys, const float *mask, const float *s, const float *alpha,
                             const float *pre, const float *dctx, float *d_ann, float *dkeys, float *ds, float *dq,
                             float *scratch);

/* After all steps: dU += dkeys^T ann, db += sum dkeys, d_ann += dkeys U,
 * and for Bahdanau dW += dq_all^T s_all over Tt steps (dq_all [Tt][B][A],
 * s_all [Tt][B][H], the queries the steps used). */
void attention_weight_grads(const AttentionWeights *w, const AttentionWeights *dw, int Ts, int Tt, int B,
                            const float *ann, const float *dkeys, const float *dq_all, const float *s_all,
                            float *d_ann);

#endif
