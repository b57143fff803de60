/* seq2seq.h — the whole model on one batch: encoder, attention, decoder, loss.
 *
 * seq2seq_encode runs everything a source batch needs before the first
 * decoder step (encoder, summary, initial state, attention keys) and
 * serves training, scoring and search alike. seq2seq_train_step is
 * forward + backward (BPTT through every step) on one shard of a
 * minibatch; seq2seq_forward is the teacher-forced forward pass used for
 * validation and scoring. */
#ifndef NMT_SEQ2SEQ_H
#define NMT_SEQ2SEQ_H

#include "decoder/decoder.h"
#include "encoder/encoder.h"
#include "model/batch.h"
#include "model/model.h"
#include "nn/nn.h"
#include "nn/rng.h"

typedef struct {
    double loss; /* summed label-smoothed cross-entropy */
    double nll;  /* summed negative log-likelihood */
    int tokens;  /* real target tokens */
    double guide; /* guided alignment: summed cross-entropy of the guided attention rows (unweighted) */
    int guided;   /* guided target tokens */
} LossSum;

/* A source batch, encoded. */
typedef struct {
    EncoderActs enc; /* enc.top [Ts][B][2H]: the (top layer's) annotations */
    float *summary;  /* [B][2H] the encoder's final states */
    float *s0;       /* [B][H] the decoder's initial state */
    float *keys;     /* [Ts][B][A] attention keys */
} Encoding;

/* The floats of activations a teacher-forced forward pass (seq2seq_forward)
 * takes for B pairs padded to Ts x Tt, from the layers' own layouts: what
 * scoring plans its batches by. */
size_t seq2seq_forward_floats(const ModelParams *p, int B, int Ts, int Tt);
/* Multiply-adds of the matrix products of that pass for one pair, from the
 * layers' own counts (the benchmark's FLOPs are twice this). */
double seq2seq_forward_madds(const ModelConfig *c, int Ts, int Tt);

/* Encode src [Ts][B] with mask [Ts][B]; dropout and rec_dropout draw from
 * rng when > 0 (training). Buffers come from the arena. */
void seq2seq_encode(const ModelParams *p, int Ts, int B, const int *src, const float *mask, float dropout,
                    float rec_dropout, Rng *rng, Arena *arena, Encoding *e);

/* The weights of the training loss's terms, passed together. */
typedef struct {
    float label_smoothing; /* eps of the translation cross-entropy */
    float guide;           /* lambda of the guided-alignment cross-entropy (0: none) */
    float scale;           /* of the whole sum: 1 / the minibatch's target tokens gives the mean */
} LossWeights;

/* What the backward pass tells a caller that runs work beside it (the
 * reduction of gradients across processes): ready(ctx, from) says that
 * elements [from, n) of g's buffer (model.h's layout) have their final
 * value for this step. from only goes down, to 0 at the end; between
 * parts the same from comes again every few steps of a recurrence, a
 * chance to move what is final. Called on the thread of the step. */
typedef struct {
    void (*ready)(void *ctx, size_t from);
    void *ctx;
} GradReady;

/* Forward and backward on bt. Adds the gradient of w->scale * (summed
 * loss) into g. With guidance in bt (has_guide), the summed loss also
 * holds w->guide * (the guidance cross-entropy, LossSum.guide), so the
 * guidance is normalized by the same token count as the translation loss.
 * Dropout masks are drawn from rng. Activations come from the arena
 * (reset by the caller). ready (or NULL) hears which gradients are final
 * during the backward pass. */
LossSum seq2seq_train_step(const ModelParams *p, const ModelParams *g, const ModelConfig *cfg, const Batch *bt,
                           const LossWeights *w, Rng *rng, Arena *arena, const GradReady *ready);

/* Teacher-forced forward pass without dropout. Fills e and dec
 * (activations in the arena; dec->alpha holds the attention weights) and,
 * when sentence_nll is not NULL, the NLL of each row [B]. */
LossSum seq2seq_forward(const ModelParams *p, const Batch *bt, Arena *arena, Encoding *e, DecoderActs *dec,
                        double *sentence_nll);

#endif
