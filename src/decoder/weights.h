/* weights.h — the decoder's own weights: target embeddings, the initial
 * state, attention, the GRU (or two) and the output layer (views into the
 * model's parameter buffer, laid out by model/model.c). */
#ifndef NMT_DECODER_WEIGHTS_H
#define NMT_DECODER_WEIGHTS_H

#include "attention/attention.h"
#include "decoder/init_state.h"
#include "decoder/output.h"
#include "nn/gru.h"

/* Where the attention query of step t comes from.
 *   gru:  one GRU; attention reads s_{t-1}, then s_t = GRU([E y_{t-1} ; c_t], s_{t-1}).
 *   cgru: the conditional GRU (two GRUs per step): s'_t = GRU1(E y_{t-1}, s_{t-1}),
 *         attention reads s'_t, then s_t = GRU2(c_t, s'_t). The query has
 *         read the word just emitted, so attention can choose the source
 *         word for y_t knowing y_{t-1}. */
typedef enum { DECODER_GRU = 0, DECODER_CGRU = 1 } DecoderType;

/* The most layers --dec-depth allows. */
enum { DECODER_MAX_DEPTH = 16 };

typedef struct {
    float *tgt_emb;        /* [Vt][E] */
    InitStateWeights init; /* s_0 from the encoder summary */
    AttentionWeights att;
    GruWeights gru;        /* gru: in = E + 2H, [E y_{t-1} ; c_t]; cgru: GRU1, in = E, E y_{t-1} */
    GruWeights gru2;       /* cgru: GRU2, in = 2H, c_t (all NULL for gru) */
    OutputWeights out;     /* out.W is tgt_emb itself when the embeddings are tied */
    DecoderType type;
    int E, H, V;
    int depth;             /* GRU layers: the (c)GRU step, then depth - 1 layers above it */
    GruWeights up[DECODER_MAX_DEPTH - 1]; /* layer l = 2..depth at up[l-2]: in = 3H, [u^{l-1}_t ; c_t] */
} DecoderWeights;

#endif
