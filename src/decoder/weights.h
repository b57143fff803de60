/* weights.h — the decoder's own weights: target embeddings, the initial
 * state, attention, the GRU and the output layer (views into the model's
 * parameter buffer, laid out by model/model.c). */
#ifndef NMT_DECODER_WEIGHTS_H
#define NMT_DECODER_WEIGHTS_H

#include "attention/attention.h"
#include "core/gru.h"
#include "decoder/init_state.h"
#include "decoder/output.h"

typedef struct {
    float *tgt_emb;        /* [Vt][E] */
    InitStateWeights init; /* s_0 from the encoder summary */
    AttentionWeights att;
    GruWeights gru;        /* in = E + 2H: [E y_{t-1} ; c_t] */
    OutputWeights out;     /* out.W is tgt_emb itself when the embeddings are tied */
    int E, H, V;
} DecoderWeights;

#endif
