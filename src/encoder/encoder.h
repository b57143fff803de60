/* encoder.h — the encoder layer: source embeddings and a bidirectional GRU
 * over a padded batch.
 *
 * Annotations h_j = [fwd_j ; bwd_j] (2H wide) for every source position.
 * Padding (right-aligned) never leaks: the forward GRU carries its state
 * through padded steps, the backward GRU starts at zero on the last real
 * token, and annotations at padded positions are zero.
 *
 * With depth D > 1 (--enc-depth) layer l = 2..D is a bidirectional GRU over
 * the annotations of layer l - 1 (after dropout, a fresh mask per layer),
 * and adds them to its own: ann_l = [fwd_l ; bwd_l] + ann_{l-1} (a residual
 * connection, so the gradient reaches the lower layers undamped). The
 * decoder reads the top layer: its annotations and its final states.
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

/* The most layers --enc-depth allows. */
enum { ENCODER_MAX_DEPTH = 16 };

/* The encoder's own weights (views into the model's parameter buffer). */
typedef struct {
    float *src_emb;    /* [Vs][E] */
    GruWeights fwd;    /* in = E */
    GruWeights bwd;    /* in = E */
    int E, H;
    int depth;         /* stacked bidirectional layers */
    GruWeights up_fwd[ENCODER_MAX_DEPTH - 1]; /* layer l = 2..depth at [l-2]: in = 2H, the annotations below */
    GruWeights up_bwd[ENCODER_MAX_DEPTH - 1];
} EncoderWeights;

/* The activations of a layer above the first (the first's are EncoderActs'
 * own fields, its input the embeddings). */
typedef struct {
    float *in;       /* [Ts][B][2H] the input: the annotations below, after dropout */
    float *in_drop;  /* [Ts][B][2H] dropout multipliers, or NULL */
    float *xproj;    /* [2][Ts][B][3H] input projections, forward then backward direction */
    float *hf, *hb;  /* [Ts+1][B][H] forward and backward states, as in EncoderActs */
    float *cache;    /* [2][Ts][B][C] GRU step caches */
    float *rec_mask; /* [2][B][H] recurrent dropout masks, or NULL */
    float *rec_in;   /* [2][Ts][B][H] the recurrent products' inputs under recurrent dropout, or NULL */
    float *ann;      /* [Ts][B][2H] [fwd ; bwd] + the annotations below */
} EncoderLayerActs;

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
    int depth;
    EncoderLayerActs up[ENCODER_MAX_DEPTH - 1]; /* layer l = 2..depth at [l-2] */
    float *top;      /* [Ts][B][2H] the top layer's annotations (ann at depth 1): what the decoder reads */
} EncoderActs;

/* The arrays of EncoderActs (the dropout multipliers aside, which
 * dropout_forward takes from the arena): their sizes and where their
 * pointers go (nn/layout.h). Returns the number of slots. */
enum { ENCODER_SLOTS = 8 * ENCODER_MAX_DEPTH };
int encoder_slots(const EncoderWeights *w, int Ts, int B, int rec_dropout, EncoderActs *act, ActSlot *slots);
/* Their floats without dropout (scoring's memory estimate). */
size_t encoder_floats(const EncoderWeights *w, int Ts, int B);
/* Multiply-adds per source token: both directions' GRU steps. */
double encoder_madds(int E, int H);
/* Those the layers above the first add, per source token. */
double encoder_upper_madds(int H, int depth);

/* Forward pass over src [Ts][B] (token ids) with mask [Ts][B] (1 real, 0
 * padding). dropout > 0 draws embedding dropout from rng, word_dropout > 0
 * drops whole tokens' embeddings (nn/dropout.h's dropout_rows), rec_dropout
 * > 0 a recurrent dropout mask per sentence and direction. All buffers come
 * from the arena. */
void encoder_forward(const EncoderWeights *w, int Ts, int B, const int *src, const float *mask, float dropout,
                     float word_dropout, float rec_dropout, Rng *rng, Arena *arena, EncoderActs *act);

/* Backward pass given d_ann [Ts][B][2H] (gradient w.r.t. the top layer's
 * annotations) and d_final [2][B][H] (w.r.t. its final states hf[Ts] and
 * hb[0], from encoder_summary_backward). Adds into g. hook (or NULL) is
 * polled during the steps and hears part l (depth down to 2) once the
 * gradients of layers l and above are final (the layers run from the top). */
void encoder_backward(const EncoderWeights *w, const EncoderWeights *g, const int *src, const float *mask,
                      const EncoderActs *act, const float *d_ann, const float *d_final, Arena *arena,
                      const BackwardHook *hook);

/* The top layer's final states, as the decoder's initial state reads them:
 * out [B][2H] = [hf[Ts] ; hb[0]] (forward after the last token, backward
 * after the first). */
void encoder_summary_forward(const EncoderActs *act, int H, float *out);

/* Backward of encoder_summary_forward: d_summary [B][2H] -> d_final [2][B][H]
 * (overwritten), the gradient w.r.t. hf[Ts] then hb[0]. */
void encoder_summary_backward(int B, int H, const float *d_summary, float *d_final);

#endif
