/* decoder.h — the attentive GRU decoder and its output layer.
 *
 *   s_0   = tanh(init_W [fwd_last ; bwd_first] + init_b)
 *   c_t   = attention(s_{t-1}, annotations)
 *   s_t   = GRU([E_tgt y_{t-1} ; c_t], s_{t-1})
 *   logits_t = out_W [s_t ; c_t ; E_tgt y_{t-1}] + out_b
 * or, with the deep output layer (ModelConfig.deep_output),
 *   t_t      = tanh(deep_W [s_t ; c_t ; E_tgt y_{t-1}] + deep_b)
 *   logits_t = out_W t_t + out_b          (out_W may be E_tgt itself: tied)
 *
 * decoder_forward/decoder_backward run the whole target sequence with
 * teacher forcing and a cross-entropy loss; decoder_step runs one step for
 * search, on any number of hypotheses. */
#ifndef NMT_DECODER_H
#define NMT_DECODER_H

#include "core/nn.h"
#include "model/batch.h"
#include "model/model.h"

typedef struct {
    int Tt, Ts, B;
    float *init_in;  /* [B][2H] encoder summary */
    float *keys;     /* [Ts][B][A] attention keys */
    float *dec_in;   /* [Tt][B][E+2H] GRU inputs: embedding (after dropout) ; context */
    float *emb_drop; /* [Tt][B][E] dropout multipliers, or NULL */
    float *xproj;    /* [Tt][B][3H] */
    float *s;        /* [Tt+1][B][H], s[0] = s_0 */
    float *cache;    /* [Tt][B][4H] */
    float *rec_mask; /* [B][H] recurrent dropout mask, or NULL */
    float *rec_in;   /* [Tt][B][H] the recurrent product's input under recurrent dropout, or NULL */
    float *alpha;    /* [Tt][B][Ts] attention weights */
    float *q, *pre;  /* Bahdanau caches: [Tt][B][A], [Tt][Ts][B][A] */
    float *out_in;   /* [Tt][B][3H+E] output layer input, after dropout */
    float *out_drop; /* [Tt][B][3H+E] or NULL */
    float *deep;     /* [Tt][B][E] deep output activations, or NULL */
    float *logits;   /* [Tt][B][Vt]; after decoder_loss, the gradient */
} DecoderActs;

/* Teacher-forced forward pass up to the logits. ann [Ts][B][2H] and
 * init_in [B][2H] come from the encoder. dropout and rec_dropout (one mask
 * on the GRU's recurrent input per sentence) draw from rng when > 0. */
void decoder_forward(const ModelParams *p, const ModelConfig *cfg, const Batch *bt, const float *ann,
                     const float *init_in, float dropout, float rec_dropout, Rng *rng, Arena *arena,
                     DecoderActs *act);

/* Cross-entropy over the batch's real target tokens, label-smoothed by eps.
 * Turns act->logits into the gradient of scale * (summed loss). Returns the
 * summed smoothed loss; *nll gets the summed negative log-likelihood. */
double decoder_loss(const ModelConfig *cfg, const Batch *bt, DecoderActs *act, float eps, float scale, double *nll);

/* Backward through the output layer, the decoder steps, attention and the
 * initial state. Adds into g; writes d_ann [Ts][B][2H] and d_init_in [B][2H]
 * (both overwritten) for the encoder's backward. */
void decoder_backward(const ModelParams *p, const ModelParams *g, const ModelConfig *cfg, const Batch *bt,
                      const float *ann, DecoderActs *act, float *d_ann, float *d_init_in, Arena *arena);

/* s_0 [B][H] from the encoder summary init_in [B][2H]. */
void decoder_init_state(const ModelParams *p, int B, const float *init_in, float *s0);

/* One inference step for B hypotheses. ann/keys/mask are laid out for these
 * B rows ([Ts][B][...]). y_prev [B], s_prev [B][H]. Writes s [B][H],
 * logprobs [B][Vt] (log-softmax) and alpha [B][Ts]. scratch: at least
 * decoder_step_scratch(cfg, B, Ts) floats. */
void decoder_step(const ModelParams *p, const ModelConfig *cfg, int Ts, int B, const float *ann, const float *keys,
                  const float *mask, const int *y_prev, const float *s_prev, float *s, float *logprobs,
                  float *alpha, float *scratch);
size_t decoder_step_scratch(const ModelConfig *cfg, int B, int Ts);

#endif
