/* step.h — one decoder step, the same function for teacher forcing
 * (training, scoring) and for search. The plain GRU decoder (gru):
 *
 *   c_t = attention(s_{t-1}, annotations)
 *   s_t = GRU([E y_{t-1} ; c_t], s_{t-1})
 *
 * the conditional GRU (cgru), whose query has read y_{t-1}:
 *
 *   s'_t = GRU1(E y_{t-1}, s_{t-1})
 *   c_t  = attention(s'_t, annotations)
 *   s_t  = GRU2(c_t, s'_t)
 *
 * With depth D > 1 (--dec-depth) layers l = 2..D follow, each a GRU with
 * its own state that reads the layer below and the context:
 *
 *   s^l_t = GRU_l([m^l * u^{l-1}_t ; c_t], s^l_{t-1})    u^1_t = s_t (above)
 *   u^l_t = s^l_t + u^{l-1}_t                          (the residual)
 *
 * with m^l the dropout multipliers of training; every layer starts from
 * s_0. The state a step carries is then every layer's, [D][B][H].
 *
 * The output layer (decoder/output.h) then maps [u^D_t ; c_t ; E y_{t-1}]
 * to logits; teacher forcing runs it over all steps at once, search after
 * every step.
 *
 * The input projection of the GRU that reads E y_{t-1} (the only GRU of
 * gru, GRU1 of cgru) is formed in one of two ways. Teacher forcing knows
 * every y_{t-1} in advance and computes the embedding part for all steps in
 * one product before the loop (embedding_projected = 1: xproj arrives
 * holding Wx[:, :E] E y + bx; gru's step adds Wx[:, E:] c). Search learns
 * y_{t-1} only at the step, and the step forms the whole projection in one
 * product (embedding_projected = 0). For gru the two orders of summation
 * give results that differ in the last bits, which is why each path keeps
 * its own. */
#ifndef NMT_DECODER_STEP_H
#define NMT_DECODER_STEP_H

#include "decoder/weights.h"
#include "nn/layout.h"

/* The activations of one step over B rows. */
typedef struct {
    float *in;             /* [B][E+2H] [E y_{t-1} ; c_t]: the caller fills the first E columns, the step writes c_t */
    float *xproj;          /* [B][3H] the input projection of the GRU that reads E y_{t-1} (gru: and c_t) */
    float *cache;          /* [B][C] GRU step cache (cgru: GRU1's), C = gru_cache_width */
    AttentionStepActs att; /* alpha [B][N][Ts], ctx [B][2H] (scratch for c_t), Bahdanau's q and pre */
    const float *rec_mask; /* [B][H] recurrent dropout mask, or NULL */
    float *rec_in;         /* [B][H] s_{t-1} * rec_mask (with rec_mask) */
    float *query;          /* cgru: [B][H] s'_t, the attention query and GRU2's previous state */
    float *xproj2;         /* cgru: [B][3H] scratch for GRU2's input projection W2x c_t + b2x */
    float *cache2;         /* cgru: [B][C] GRU2's step cache */
    const float *dscore;   /* backward only: [B][N][Ts] extra gradient w.r.t. the attention scores
                            * (guided alignment), or NULL */
    /* depth > 1: layer l = 2..depth at [l-2] */
    float *up_in[DECODER_MAX_DEPTH - 1];     /* [B][3H] the GRU input [m^l * u^{l-1}_t ; c_t] */
    float *up_cache[DECODER_MAX_DEPTH - 1];  /* [B][C] GRU step cache */
    float *up_rec_in[DECODER_MAX_DEPTH - 1]; /* [B][H] s^l_{t-1} * its recurrent dropout mask (with rec_mask) */
    float *up_xproj;       /* [B][3H] scratch for the input projection */
    float *top;            /* [B][H] u^depth_t, what the output layer reads */
    const float *up_drop;  /* [depth-1][B][H] the multipliers m^l, or NULL (no dropout) */
    size_t layer_stride;   /* floats from one layer's state [B][H] to the next's in s_prev and s;
                            * the recurrent dropout masks are [depth][B][H] */
} DecoderStepActs;

/* The arrays of DecoderStepActs for B rows over Ts source positions, all
 * but att.alpha, rec_mask, dscore and up_drop (which the sequence or the
 * search owns; rec_in only with recurrent dropout): their sizes and where
 * their pointers go (nn/layout.h). Returns the number of slots (at most
 * DECODER_STEP_SLOTS). */
enum { DECODER_STEP_SLOTS = 12 + 3 * (DECODER_MAX_DEPTH - 1) };
int decoder_step_slots(const DecoderWeights *w, int B, int Ts, int rec_dropout, DecoderStepActs *a, ActSlot *slots);

/* The gradients one backward step leaves, for the products over all steps
 * that follow the loop (written) and the source side (added into). */
typedef struct {
    float *dxproj, *dhproj;   /* [B][3H] the GRU's projections (cgru: GRU1's), for gru_weight_grads */
    float *dxproj2, *dhproj2; /* cgru: [B][3H] GRU2's projections */
    float *dq;                /* Bahdanau: [B][A] w.r.t. the query projection, for attention_query_backward */
    float *dquery;            /* cgru: [B][H] scratch, the gradient w.r.t. s'_t */
    float *scratch;           /* B * attention_row_floats floats */
    float *d_ann;             /* [Ts][B][2H] += */
    float *dkeys;             /* attention_keys_floats: [Ts][B][A] (+ the values') += */
    float *up_dxproj[DECODER_MAX_DEPTH - 1]; /* depth > 1: [B][3H] layer l's projections at [l-2] */
    float *up_dhproj[DECODER_MAX_DEPTH - 1];
    float *up_dx;             /* [B][3H] scratch */
    float *up_ds;             /* [B][H] scratch */
    float *dtop;              /* depth > 1: [B][H] on entry the gradient w.r.t. u^depth_t; scratch after */
} DecoderStepGrads;

/* s [B][H] from s_prev [B][H], attending to mem (attention/attention.h);
 * with depth > 1 every layer's, a->layer_stride apart. */
void decoder_step_forward(const DecoderWeights *w, const AttentionMemory *mem, int B, const float *s_prev,
                          int embedding_projected, DecoderStepActs *a, float *s);

/* Backward of one teacher-forced step. ds [B][H]: the gradient w.r.t. s_t;
 * dctx [B][2H]: the gradient w.r.t. c_t from the output layer (the step
 * adds the GRU input's share). Writes ds_prev [B][H] and gr's step arrays
 * (overwritten); adds into gr->d_ann, gr->dkeys and g->att.v. With depth
 * > 1, ds and ds_prev hold every layer's, [depth][B][H], and gr->dtop the
 * output layer's gradient w.r.t. u^depth_t. */
void decoder_step_backward(const DecoderWeights *w, const DecoderWeights *g, const AttentionMemory *mem, int B,
                           const float *s_prev, const DecoderStepActs *a, const float *ds, float *dctx,
                           const DecoderStepGrads *gr, float *ds_prev);

/* Multiply-adds of one step for one row over Ts source positions (both
 * GRUs for cgru, the attention), the output layer left out. */
double decoder_step_madds(DecoderType type, AttentionType att, int E, int H, int A, int Ts);
/* Those the layers above the first add to a step, for one row. */
double decoder_upper_madds(int H, int depth);

#endif
