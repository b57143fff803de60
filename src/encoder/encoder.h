/* encoder.h — the encoder layer: source embeddings and a bidirectional GRU
 * over a padded batch.
 *
 * Annotations h_j = [fwd_j ; bwd_j] (2H wide) for every source position.
 * Padding (right-aligned) never leaks: the forward GRU carries its state
 * through padded steps, the backward GRU starts at zero on the last real
 * token, and annotations at padded positions are zero.
 *
 * Forward/backward pairs, side by side in encoder.c:
 *   encoder_forward         / encoder_backward
 *   encoder_summary_forward / encoder_summary_backward  (the final states the
 *                                                        decoder starts from) */
#ifndef NMT_ENCODER_H
#define NMT_ENCODER_H

#include "nn/gru.h"
#include "nn/layout.h"
#include "nn/nn.h"
#include "nn/rng.h"

/* The encoder's own weights (views into the model's parameter buffer). */
typedef struct {
    float *src_emb;    /* [Vs][E] */
    GruWeights fwd;    /* in = E */
    GruWeights bwd;    /* in = E */
    int E, H;
} EncoderWeights;

typedef struct {
    int Ts, B;
    float *emb;      /* [Ts][B][E] source embeddings, after dropout */
    float *emb_drop; /* [Ts][B][E] dropout multipliers, or NULL */
    float *xproj;    /* [2][Ts][B][3H] input projections, forward then backward direction */
    float *hf;       /* [Ts+1][B][H] forward states: hf[0] = 0, hf[t+1] after token t */
    float *hb;       /* [Ts+1][B][H] backward states: hb[Ts] = 0, hb[t] after token t */
    float *cache;    /* [2][Ts][B][C] GRU step caches, C = gru_cache_width */
    float *rec_mask; /* [2][B][H] recurrent dropout masks, forward then backward direction, or NULL */
    float *rec_in;   /* [2][Ts][B][H] the recurrent products' inputs under recurrent dropout, or NULL */
    float *ann;      /* [Ts][B][2H] annotations */
} EncoderActs;

/* The arrays of EncoderActs (the dropout multipliers aside, which
 * dropout_forward takes from the arena): their sizes and where their
 * pointers go (nn/layout.h). Returns the number of slots. */
enum { ENCODER_SLOTS = 8 };
int encoder_slots(const EncoderWeights *w, int Ts, int B, int rec_dropout, EncoderActs *act, ActSlot *slots);
/* Their floats without dropout (scoring's memory estimate). */
size_t encoder_floats(const EncoderWeights *w, int Ts, int B);
/* Multiply-adds per source token: both directions' GRU steps. */
double encoder_madds(int E, int H);

/* Forward pass over src [Ts][B] (token ids) with mask [Ts][B] (1 real, 0
 * padding). dropout > 0 draws embedding dropout from rng, rec_dropout > 0
 * a recurrent dropout mask per sentence and direction. All buffers come
 * from the arena. */
void encoder_forward(const EncoderWeights *w, int Ts, int B, const int *src, const float *mask, float dropout,
                     float rec_dropout, Rng *rng, Arena *arena, EncoderActs *act);

/* Backward pass given d_ann [Ts][B][2H] (gradient w.r.t. the annotations)
 * and d_final [2][B][H] (w.r.t. the final states hf[Ts] and hb[0], from
 * encoder_summary_backward). Adds into g. */
void encoder_backward(const EncoderWeights *w, const EncoderWeights *g, const int *src, const float *mask,
                      const EncoderActs *act, const float *d_ann, const float *d_final, Arena *arena);

/* The final states, as the decoder's initial state reads them:
 * out [B][2H] = [hf[Ts] ; hb[0]] (forward after the last token, backward
 * after the first). */
void encoder_summary_forward(const EncoderActs *act, int H, float *out);

/* Backward of encoder_summary_forward: d_summary [B][2H] -> d_final [2][B][H]
 * (overwritten), the gradient w.r.t. hf[Ts] then hb[0]. */
void encoder_summary_backward(int B, int H, const float *d_summary, float *d_final);

#endif
