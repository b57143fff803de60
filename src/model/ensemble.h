/* ensemble.h — several models decoded together: at every step each model
 * scores the same hypotheses and the scores are the weighted average of
 * the models' log-probabilities over their shared target vocabulary
 * (search/decoding.h, translate/scorer.h).
 *
 * An ensemble is held by its first model (Model.ensemble), so everything
 * that takes a Model takes an ensemble; model_free of the first model frees
 * the others. The models must have the same target vocabulary (the same
 * tokens in the same order) and, since every model reads the source ids
 * encoded once with the first model's text pipeline, the same source
 * vocabulary and text settings; their architectures may differ. */
#ifndef NMT_ENSEMBLE_H
#define NMT_ENSEMBLE_H

#include <stddef.h>

#include "model/saved.h"

enum { ENSEMBLE_MAX_MODELS = 64 };

typedef struct Ensemble {
    int n;           /* models, at least 2 */
    Model **models;  /* [n]; models[0] holds the ensemble, models[1..n) belong to it */
    double *weight;  /* [n] the given weights divided by their sum */
    int attention;   /* 0-based: the model whose attention (and alignment) is reported */
} Ensemble;

/* 0 when the weights can weigh an ensemble (each positive and finite),
 * else -1 with a message naming the bad one. */
int ensemble_check_weights(const double *weights, int n, char *err, size_t errsz);
/* Parse "W1,W2,..." (what --weights takes) into w[0..n). 0, or -1 with a
 * message when a weight is not a number, not positive and finite, or the
 * count is not n. */
int ensemble_parse_weights(const char *text, double *w, int n, char *err, size_t errsz);
/* Load paths[0..n) as one ensemble with weights (NULL: all 1) and the
 * attention of model attention (0-based). With n == 1 this is model_load.
 * NULL with a message in err naming the file and the reason: a load error,
 * "B: target vocabulary differs from A's (...)", a source vocabulary or
 * text settings that differ, bad weights or attention model. */
Model *ensemble_load(const char *const *paths, int n, const double *weights, int attention, char *err,
                     size_t errsz);
/* The model whose attention (and alignment) a decoding of m reports: the
 * ensemble's attention model, or m itself. */
const Model *ensemble_attention_model(const Model *m);
/* Its attention heads: the width of every attention row m's decodings
 * report (N x Ts). */
int ensemble_attention_heads(const Model *m);
/* Free the models the ensemble owns (models[1..n)) and the ensemble. */
void ensemble_free(Ensemble *e);

#endif
