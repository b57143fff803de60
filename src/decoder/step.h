/* step.h — one decoder step, the same function for teacher forcing
 * (training, scoring) and for search:
 *
 *   c_t = attention(s_{t-1}, annotations)
 *   s_t = GRU([E y_{t-1} ; c_t], s_{t-1})
 *
 * The output layer (decoder/output.h) then maps [s_t ; c_t ; E y_{t-1}]
 * to logits; teacher forcing runs it over all steps at once, search after
 * every step.
 *
 * The GRU's input projection Wx [E y ; c] + bx is formed in one of two
 * ways. Teacher forcing knows every y_{t-1} in advance and computes the
 * embedding half for all steps in one product before the loop
 * (embedding_projected = 1: xproj arrives holding Wx[:, :E] E y + bx and the
 * step adds Wx[:, E:] c). Search learns y_{t-1} only at the step, and the
 * step forms the whole projection in one product (embedding_projected = 0).
 * The two orders of summation give results that differ in the last bits,
 * which is why each path keeps its own. */
#ifndef NMT_DECODER_STEP_H
#define NMT_DECODER_STEP_H

#include "decoder/weights.h"

/* The activations of one step over B rows. */
typedef struct {
    float *in;             /* [B][E+2H] GRU input: the caller fills the first E columns, the step writes c_t */
    float *xproj;          /* [B][3H] the GRU's input projection */
    float *ctx;            /* [B][2H] scratch for c_t */
    float *cache;          /* [B][4H] GRU step cache */
    float *alpha;          /* [B][Ts] attention weights */
    float *q, *pre;        /* Bahdanau caches [B][A] and [Ts][B][A]; NULL for dot */
    const float *rec_mask; /* [B][H] recurrent dropout mask, or NULL */
    float *rec_in;         /* [B][H] s_{t-1} * rec_mask (with rec_mask) */
    const float *dscore;   /* backward only: [B][Ts] extra gradient w.r.t. the attention scores
                            * (guided alignment), or NULL */
} DecoderStepActs;

/* s [B][H] from s_prev [B][H]; ann [Ts][n_src][2H], keys [Ts][n_src][A]
 * and mask [Ts][n_src] hold the encoded sentences, and row b attends to
 * sentence row_src[b] (NULL: row b to sentence b, n_src = B). */
void decoder_step_forward(const DecoderWeights *w, int Ts, int B, int n_src, const int *row_src, const float *ann,
                          const float *keys, const float *mask, const float *s_prev, int embedding_projected,
                          DecoderStepActs *a, float *s);

/* Backward of one teacher-forced step. ds [B][H]: the gradient w.r.t. s_t;
 * dctx [B][2H]: the gradient w.r.t. c_t from the output layer (the step
 * adds the GRU input's share). Writes dxproj and dhproj [B][3H] (the GRU's
 * projections, for gru_weight_grads over all steps), ds_prev [B][H]
 * (overwritten) and dq [B][A] (Bahdanau, for attention_query_backward);
 * adds into d_ann [Ts][B][2H], dkeys [Ts][B][A] and g->att.v.
 * scratch: B * Ts floats. */
void decoder_step_backward(const DecoderWeights *w, const DecoderWeights *g, int Ts, int B, const float *ann,
                           const float *keys, const float *mask, const float *s_prev, const DecoderStepActs *a,
                           const float *ds, float *dctx, float *dxproj, float *dhproj, float *ds_prev, float *d_ann,
                           float *dkeys, float *dq, float *scratch);

#endif
