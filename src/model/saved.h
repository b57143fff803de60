/* saved.h — a model as a user holds it: configuration, weights and the
 * vocabulary (text pipeline) together, saved to and loaded from one file. */
#ifndef NMT_SAVED_H
#define NMT_SAVED_H

#include "model/model.h"
#include "model/modelfile.h"
#include "vocab/vocab.h"

struct Ensemble; /* model/ensemble.h */

typedef struct {
    ModelConfig cfg;
    float *params; /* model_num_params(&cfg) floats */
    ModelParams p;
    Vocab *vocab;
    char *vocab_bytes; /* the serialized vocabulary, embedded in the file */
    size_t vocab_len;
    struct Ensemble *ensemble; /* NULL, or the models decoded with this one (model/ensemble.h), freed with it */
} Model;

/* A new model with random weights. Takes ownership of vocab. The vocabulary
 * sizes in cfg are set from vocab. */
Model *model_create(const ModelConfig *cfg, Vocab *vocab, uint64_t seed);
/* Save atomically, with optional extra sections (a checkpoint's state). */
int model_save(const Model *m, const char *path, const Section *extra, int n_extra, char *err, size_t errsz);
/* Load and verify. When mf is not NULL the file stays open in it, for the
 * caller to read extra sections (then modelfile_free it). */
Model *model_load(const char *path, ModelFile *mf, char *err, size_t errsz);
void model_free(Model *m);

#endif
