/* decoder.h — the attentive GRU decoder over a whole target sequence, and
 * one search step.
 *
 *   s_0      = init_state(encoder summary)          (decoder/init_state.h)
 *   c_t, s_t = decoder step(s_{t-1}, y_{t-1})       (decoder/step.h: gru or cgru,
 *                                                     and the layers above with depth > 1)
 *   logits_t = output([s_t ; c_t ; E_tgt y_{t-1}])  (decoder/output.h; s_t: u^depth_t)
 *
 * decoder_forward / decoder_backward run the teacher-forced sequence (the
 * initial state and the attention keys come from the caller, which owns
 * their backward: seq2seq.c); decoder_loss is the cross-entropy between.
 * decoder_search_step runs one step of search on any number of hypotheses,
 * through the same step function. */
#ifndef NMT_DECODER_H
#define NMT_DECODER_H

#include <stddef.h>

#include "decoder/step.h"
#include "decoder/weights.h"
#include "nn/nn.h"
#include "nn/rng.h"

/* The activations of a teacher-forced sequence of Tt steps over B rows,
 * laid out by decoder_slots. */
typedef struct {
    int Tt, Ts, B;
    DecoderStepActs step;  /* step 0 of every per-step array: each holds the Tt steps one after another
                            * ([Tt][B][...]), a step's scratch (ctx, xproj2) one step; step t: step_acts */
    size_t step_offset[DECODER_STEP_SLOTS]; /* each per-step array's place in DecoderStepActs */
    size_t step_floats[DECODER_STEP_SLOTS]; /* and its floats per step (0: a step's scratch, not advanced) */
    int n_step_slots;
    float *emb;      /* [Tt][B][E] target embeddings before they are copied into step.in */
    float *emb_drop; /* [Tt][B][E] dropout multipliers, or NULL */
    float *s;        /* [depth][Tt+1][B][H], s[0] = s_0 in every layer */
    float *rec_mask; /* [depth][B][H] recurrent dropout masks, or NULL */
    float *alpha;    /* [Tt][B][N][Ts] attention weights (N heads: attention_row_floats per row) */
    float *out_in;   /* [Tt][B][3H+E] output layer input, after dropout */
    float *out_drop; /* [Tt][B][3H+E] or NULL */
    float *deep;     /* [Tt][B][E] deep output activations, or NULL */
    float *logits;   /* [Tt][B][Vt]; after decoder_loss, the gradient */
    const float *guide; /* guided alignment, set by decoder_guide_loss: gold rows [Tt][B][Ts], or NULL */
    float guide_scale;  /* the weight of the guidance loss in the gradient decoder_backward adds */
    float *up_drop;     /* [Tt][depth-1][B][H] dropout multipliers on the upper layers' inputs, or NULL */
    int depth, H;
    int heads;          /* N, the attention's heads */
} DecoderActs;

/* The arrays of DecoderActs (dropout multipliers aside, which
 * dropout_forward takes from the arena): their sizes and where their
 * pointers go (nn/layout.h). Returns the number of slots (at most
 * DECODER_SLOTS). */
enum { DECODER_SLOTS = DECODER_STEP_SLOTS + 10 };
int decoder_slots(const DecoderWeights *w, int Tt, int Ts, int B, int rec_dropout, DecoderActs *act, ActSlot *slots);
/* Their floats: what a teacher-forced forward pass takes (scoring's memory estimate). */
size_t decoder_floats(const DecoderWeights *w, int Tt, int Ts, int B);

/* Teacher-forced forward pass up to the logits. tgt_in [Tt][B] (<s> y1 ..),
 * ann [Ts][B][2H] and src_mask [Ts][B] from the encoder, keys
 * (attention_keys_forward: [Ts][B][A], heads > 1 then the values), s0 [B][H] (init_state_forward). dropout,
 * word_dropout (whole tokens of tgt_in: nn/dropout.h's dropout_rows) and
 * rec_dropout (one mask on the GRU's recurrent input per sentence) draw
 * from rng when > 0. */
void decoder_forward(const DecoderWeights *w, int Tt, int Ts, int B, const int *tgt_in, const float *ann,
                     const float *keys, const float *src_mask, const float *s0, float dropout, float word_dropout,
                     float rec_dropout, Rng *rng, Arena *arena, DecoderActs *act);

/* Cross-entropy over the real target tokens (tgt_out [Tt][B] weighted by
 * tgt_mask [Tt][B]), label-smoothed by eps. Turns act->logits into the
 * gradient of scale * (summed loss). Returns the summed smoothed loss;
 * *nll gets the summed negative log-likelihood. */
double decoder_loss(const DecoderWeights *w, const DecoderActs *act, const int *tgt_out, const float *tgt_mask,
                    float eps, float scale, double *nll);

/* Guided alignment: the cross-entropy between gold attention rows and the
 * model's, -sum_t sum_j g_tj log a_tj over the rows of guide [Tt][B][Ts]
 * (with N heads a_tj is the heads' mean, (1/N) sum_k a_tkj)
 * that hold any weight (each such row sums to 1; the others, padding and
 * target tokens without gold links, are left out). Returns the summed loss
 * and sets *rows to the number of guided rows; decoder_backward then adds
 * the gradient of scale * (that sum): through the softmax it is
 * scale * (a_t - g_t) w.r.t. the scores of every guided row (N heads:
 * through the mean and each head's softmax, docs/model.md). */
double decoder_guide_loss(DecoderActs *act, const float *guide, float scale, int *rows);

/* Backward through the output layer and the steps, after decoder_loss.
 * Adds into g; writes (overwriting) d_ann [Ts][B][2H], dkeys (attention_keys_floats)
 * (for attention_keys_backward) and ds0 [B][H] (for init_state_backward).
 * hook (or NULL) hears DECODER_OUTPUT_FINAL once the output layer's own
 * gradients (deep_W, deep_b, W, b; W not when it is tgt_emb, which the
 * steps' inputs add to later) are final, before the steps, which poll it. */
enum { DECODER_OUTPUT_FINAL = 1 };
void decoder_backward(const DecoderWeights *w, const DecoderWeights *g, const int *tgt_in, const float *ann,
                      const float *keys, const float *src_mask, DecoderActs *act, float *d_ann, float *dkeys,
                      float *ds0, Arena *arena, const BackwardHook *hook);

/* Floats of one hypothesis's state: every layer's, depth x H. */
int decoder_state_floats(const DecoderWeights *w);

/* One search step for B hypothesis rows over the encoded sentences of mem
 * (row b belongs to sentence mem->row_src[b]). y_prev [B], s_prev [B][S]
 * (S = decoder_state_floats: row b's layers one after another).
 * Writes s [B][S], logprobs [B][Vt] (log-softmax) and alpha [B][N][Ts].
 * scratch: decoder_search_scratch(w, B, Ts) floats, laid out by
 * decoder_search_slots. */
void decoder_search_step(const DecoderWeights *w, const AttentionMemory *mem, int B, const int *y_prev,
                         const float *s_prev, float *s, float *logprobs, float *alpha, float *scratch);
size_t decoder_search_scratch(const DecoderWeights *w, int B, int Ts);

#endif
