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

#include "attention/align_layer.h"
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
    double guide; /* guided alignment: summed cross-entropy of the decoder's guided attention rows (unweighted) */
    int guided;   /* guided target tokens */
    double align_nll;   /* the alignment layer: summed loss (a), its NLL of the real target tokens (unweighted) */
    double align_guide; /* and its guidance cross-entropy (b) over the guided rows (unweighted) */
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

/* Encode src [Ts][B] with mask [Ts][B]; dropout, word_dropout and
 * rec_dropout draw from rng when > 0 (training). Buffers come from the
 * arena. */
void seq2seq_encode(const ModelParams *p, int Ts, int B, const int *src, const float *mask, float dropout,
                    float word_dropout, float rec_dropout, Rng *rng, Arena *arena, Encoding *e);

/* Which attention guided alignment trains (LossWeights.guide_target). A
 * model without the alignment layer guides its decoder's attention
 * whatever is asked. */
typedef enum { GUIDE_TARGET_DECODER = 0, GUIDE_TARGET_LAYER = 1, GUIDE_TARGET_BOTH = 2 } GuideTarget;

/* The weights of the training loss's terms, passed together. */
typedef struct {
    float label_smoothing; /* eps of the translation cross-entropy */
    float guide;           /* lambda of the guided-alignment cross-entropy (0: none) */
    float scale;           /* of the whole sum: 1 / the minibatch's target tokens gives the mean */
    float align;           /* w_a, the alignment layer's weight: its losses are w_a ((a) + lambda (b)) */
    GuideTarget guide_target; /* which attention the guidance trains */
    int translation_frozen;   /* 1: only the alignment layer learns; the translation model's backward is skipped
                                 and its gradient stays 0 */
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
 * A model with the alignment layer adds w->align * (its loss (a), and
 * w->guide * its guidance (b) when the guidance trains it): their
 * gradients reach the layer's own tensors only, and the layer draws
 * nothing from rng, so every other tensor's gradient is the bits of a
 * model without it.
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

/* The alignment layer's weights over the activations of seq2seq_forward
 * (the same bt and dec): act->alpha [Tt][B][Ts], row t aligning target
 * token t (tgt_out; the last real row is </s>'s). The model must have the
 * layer (p->al.A > 0). */
void seq2seq_align_forward(const ModelParams *p, const Batch *bt, const Encoding *e, const DecoderActs *dec, Arena *arena,
                           AlignLayerActs *act);

#endif
