/* update.h — one training update, data-parallel across OpenMP threads.
 *
 * Each minibatch is cut into shards of at most shard_size pairs; shards run
 * in parallel (one single-threaded BLAS each), each into its own gradient
 * buffer, and the buffers are summed in shard order. The shard split and
 * every random draw depend only on the seed and the update number, so the
 * same seed gives the same model under any --threads. */
#ifndef NMT_TRAIN_UPDATE_H
#define NMT_TRAIN_UPDATE_H

#include <stddef.h>

#include "model/batch.h"
#include "model/saved.h"
#include "model/seq2seq.h"
#include "train/data.h"
#include "train/optim.h"
#include "train/state.h"

typedef struct {
    Model *m;
    const TrainOptions *o;
    TrainState st;
    Optimizer opt;
    int max_shards;
    float **grads;       /* [max_shards] gradient buffers, the first is the sum */
    ModelParams *gviews; /* views over each */
    Arena *arenas;       /* [max_shards] */
    Batch full, *shards;
    size_t n_params;
    const int **src_ptr, **tgt_ptr;
    int *src_len, *tgt_len;
    float *raw; /* the training weights while the moving average is swapped in */
} Trainer;

/* A trainer for m; resume_state/resume_optim (from a checkpoint) or NULL
 * for a new run. */
Trainer *trainer_new(Model *m, const TrainOptions *o, const TrainState *resume_state, const Optimizer *resume_optim);
/* Forward, backward and optimizer step on the pairs idx[0..count) of d. */
LossSum trainer_update(Trainer *t, const TrainData *d, const int *idx, int count);
void trainer_free(Trainer *t);
/* Bytes the trainer cannot do without: parameters, Adam moments, one
 * gradient buffer per shard, and the activations of the last minibatch. */
size_t trainer_memory_floor(const Trainer *t);

/* Put the moving average of the weights in the model (on = 1) for
 * validating and saving, or the training weights back (on = 0). Nothing
 * without a moving average. */
void trainer_use_average(Trainer *t, int on);

#endif
