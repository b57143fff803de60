/* encoder.h — source embeddings and the bidirectional GRU over a padded batch.
 *
 * Annotations h_j = [fwd_j ; bwd_j] (2H wide) for every source position.
 * Padding (right-aligned) never leaks: the forward GRU carries its state
 * through padded steps, the backward GRU starts at zero on the last real
 * token, and annotations at padded positions are zero. */
#ifndef NMT_ENCODER_H
#define NMT_ENCODER_H

#include "core/nn.h"
#include "model/batch.h"
#include "model/model.h"

typedef struct {
    int Ts, B;
    float *emb;      /* [Ts][B][E] source embeddings, after dropout */
    float *emb_drop; /* [Ts][B][E] dropout multipliers, or NULL */
    float *xproj;    /* [2][Ts][B][3H] input projections, forward then backward direction */
    float *hf;       /* [Ts+1][B][H] forward states: hf[0] = 0, hf[t+1] after token t */
    float *hb;       /* [Ts+1][B][H] backward states: hb[Ts] = 0, hb[t] after token t */
    float *cache;    /* [2][Ts][B][4H] GRU step caches */
    float *rec_mask; /* [2][B][H] recurrent dropout masks, forward then backward direction, or NULL */
    float *rec_in;   /* [2][Ts][B][H] the recurrent products' inputs under recurrent dropout, or NULL */
    float *ann;      /* [Ts][B][2H] annotations */
} EncoderActs;

/* Forward pass. dropout > 0 draws embedding dropout from rng, rec_dropout > 0
 * a recurrent dropout mask per sentence and direction. All buffers come from
 * the arena. */
void encoder_forward(const ModelParams *p, const Batch *bt, float dropout, float rec_dropout, Rng *rng, Arena *arena,
                     EncoderActs *act);

/* The encoder's final states, as the decoder's initial state reads them:
 * out [B][2H] = [hf_last ; hb_first]. */
void encoder_summary(const EncoderActs *act, int H, float *out);

/* Backward pass: d_ann [Ts][B][2H] (gradient w.r.t. the annotations; may be
 * modified) and d_summary [B][2H] (w.r.t. encoder_summary). Adds into g. */
void encoder_backward(const ModelParams *p, const ModelParams *g, const Batch *bt, const EncoderActs *act,
                      float *d_ann, const float *d_summary, Arena *arena);

#endif
