/* trainer.h — the training loop: data-parallel updates across OpenMP
 * threads, validation, learning-rate decay, early stopping, checkpoints.
 *
 * Each minibatch is cut into shards of at most shard_size pairs; shards run
 * in parallel (one single-threaded BLAS each), each into its own gradient
 * buffer, and the buffers are summed in shard order. The shard split and
 * every random draw depend only on the seed and the update number, so the
 * same seed gives the same model under any --threads.
 *
 * With ema_decay, the models saved and validated are an exponential moving
 * average of the weights (training itself goes on with the raw weights).
 *
 * A checkpoint (MODEL.ckpt) holds the weights, the optimizer moments and
 * the trainer's state (update, epoch, position in the epoch, learning
 * rate, validation history): resuming from it continues exactly as the
 * uninterrupted run would have. */
#ifndef NMT_TRAINER_H
#define NMT_TRAINER_H

#include <stdint.h>

#include "model/saved.h"
#include "model/seq2seq.h"
#include "train/data.h"
#include "train/optim.h"

typedef struct {
    const char *model_path; /* -o: best model (or last without validation) */
    const char *log_path;   /* JSON lines, one per validation; NULL for none */
    int batch;              /* pairs per minibatch */
    int shard_size;         /* pairs per parallel shard */
    int threads;
    int epochs;             /* 0 = no limit */
    long max_updates;       /* 0 = no limit */
    double minutes;         /* wall-clock budget, 0 = no limit */
    OptimizerType optimizer;
    float lr, lr_decay, min_lr;
    int lr_patience;        /* validations without improvement before decaying */
    int patience;           /* validations without improvement before stopping, 0 = never */
    float clip, label_smoothing;
    float ema_decay;        /* > 0: validate and save a moving average of the weights */
    uint64_t seed;
    int valid_every;        /* updates between validations (and checkpoints) */
    int keep_snapshots;     /* also keep the weights of every validation as MODEL.uN (for nmt-average) */
    int disp_every;         /* updates between log lines when stderr is not a terminal */
    int quiet;
    /* Validation BLEU (greedy decoding against the raw references): set
     * valid_refs to one reference line per validation pair. */
    const char *const *valid_refs;
    int select_by_bleu;     /* best model, LR decay and early stopping follow BLEU, not loss */
} TrainOptions;

void train_options_default(TrainOptions *o);

/* The trainer's position and history; saved in checkpoints. */
typedef struct {
    long update;
    int epoch;           /* 0-based epoch in progress */
    int batch_in_epoch;  /* next minibatch of that epoch */
    float lr;
    double best_valid;   /* best validation score so far: loss per token, or -BLEU */
    int bad_valids;      /* validations since the last improvement */
    int lr_bad_valids;   /* the same, since the last decay */
    double elapsed;      /* training seconds before this process */
    long tokens;         /* target tokens trained on */
    int finished;        /* stopped early: nothing left to do */
} TrainState;

/* One update at a time, for the training loop and the benchmark. */
typedef struct Trainer Trainer;
Trainer *trainer_new(Model *m, const TrainOptions *o, const TrainState *resume_state, const Optimizer *resume_optim);
/* Forward, backward and optimizer step on the pairs idx[0..count) of d. */
LossSum trainer_update(Trainer *t, const TrainData *d, const int *idx, int count);
void trainer_free(Trainer *t);
/* Bytes the trainer cannot do without: parameters, Adam moments, one
 * gradient buffer per shard, and the activations of the last minibatch. */
size_t trainer_memory_floor(const Trainer *t);

/* Train m in place. When resume is not NULL, continue from that state and
 * optimizer (which the caller read from a checkpoint). Returns 0 on success. */
int train_run(Model *m, const TrainData *train, const TrainData *valid, const TrainOptions *o,
              const TrainState *resume_state, const Optimizer *resume_optim);

/* Read a checkpoint written by train_run: the model, the optimizer moments and
 * the trainer state (with the options it was started with). NULL on error. */
Model *checkpoint_load(const char *path, TrainState *st, Optimizer *opt, TrainOptions *saved_opts, char *err,
                       size_t errsz);

/* Validation loss over d: *nll_per_token and the token count. */
double evaluate_loss(const Model *m, const TrainData *d, int batch, int threads, long *tokens);
/* Corpus BLEU of greedy translations of d's sources against refs (one per pair). */
double evaluate_bleu(const Model *m, const TrainData *d, const char *const *refs, int batch, int threads);

#endif
