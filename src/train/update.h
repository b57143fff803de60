/* update.h — one training update, data-parallel across OpenMP threads and
 * across the processes of an MPI job (sys/dist.h).
 *
 * Each minibatch is cut into shards of at most shard_size pairs; every
 * process plans the same minibatch and computes a contiguous run of its
 * shards (shard_range), in parallel (one single-threaded BLAS each), each
 * into its own gradient buffer. The buffers are summed in shard order,
 * g0 + g1 + ... element by element, exactly as one process sums them: the
 * running sum goes from rank to rank in a pipelined chain, each rank adding
 * its shards one by one; the chain starts during the backward passes, on
 * each chunk once every shard of the rank has it final (GradReady in
 * model/seq2seq.h), and the rest goes after them. When all ranks share one
 * host the optimizer is sharded too: rank r updates one slice of the
 * parameters
 * (optimizer_rank_slice: in reverse rank order, so the totals each rank
 * needs, of its slice and the slices below it, are the first the chain
 * brings back down); the ranks add their slices' partial gradient norms in
 * chunk order (optim.h), update their slices, and gather the weights from
 * each other.
 * On one host the ranks share memory instead (unless NMT_DIST_SHARED=0 or
 * the window cannot be made): one copy of the weights, and every rank's
 * gradient buffers, which the owner of each slice reads where they are and
 * adds in shard order, block by block as every rank says its backward pass
 * has them final; each rank steps its slice of the weights in place, and
 * a barrier replaces the gathering. No message carries a gradient.
 * The moments and moving average are gathered whole only before anything
 * reads them (trainer_gather_optimizer). Across hosts the total comes all
 * the way back and every rank takes the whole step. Either way every
 * element goes through the same operations as in one process, so all ranks
 * hold the weights one process would.
 * The shard split and every random draw depend only on the
 * seed, the update number and the shard number, so the same seed gives the
 * same model under any --threads and any number of processes. */
#ifndef NMT_TRAIN_UPDATE_H
#define NMT_TRAIN_UPDATE_H

#include <stddef.h>
#include <stdint.h>

#include "model/batch.h"
#include "model/saved.h"
#include "model/seq2seq.h"
#include "train/data.h"
#include "train/optim.h"
#include "train/state.h"

/* The update's own workspace: the shards' gradient buffers, batches and
 * arenas, and what the ranks' reduction needs. Only update.c writes it
 * (tests read it). */
typedef struct {
    int max_shards;      /* the most shards of one minibatch this rank computes (at least 1) */
    float **grads;       /* [max_shards] gradient buffers, the first is the sum */
    ModelParams *gviews; /* [max_shards] views over each */
    Arena *arenas;       /* [max_shards] */
    Batch full, *shards; /* the minibatch, and [max_shards] slices of it */
    const int **src_ptr, **tgt_ptr; /* [batch] the minibatch's pairs */
    int *src_len, *tgt_len;
    float *incoming;     /* the running sum from the previous rank (jobs of several ranks) */
    int shard_optimizer;          /* ranks split the optimizer step (else each takes all of it) */
    size_t *slice_lo, *slice_len; /* [ranks] the parameter slice each rank's optimizer updates */
    double *norm_mine, *norm_all; /* partial gradient norms: this rank's chunks, every chunk */
    size_t *ready; /* [max_shards] each shard's gradients [ready[j], n) are final (during its backward pass) */
    /* All ranks on one host (else shared is NULL): the weights and every
     * rank's gradient buffers (grads) live in memory all of them share
     * (sys/dist.h: dist_shared_new); each rank sums its optimizer slice of
     * every shard's gradients, in shard order, into its grads[0], and
     * updates that slice of the weights in place. */
    struct DistShared *shared;
    float *own_params;    /* the model's own buffer, its weights back in it when the trainer is freed */
    float **shard_grad;   /* [shards of a minibatch] every shard's gradient buffer, whichever rank computes it */
    uint64_t **progress;  /* [ranks] how far each rank's gradients are final, in the shared memory */
    uint64_t round;       /* updates this trainer took: the progress words' epoch */
    int n_shards;         /* shards of the update under way */
    size_t summed_from;   /* this rank's slice is summed (and its norm's chunks) from here to its end */
    long early_blocks;    /* blocks of it summed during the backward pass, this update */
} UpdateWorkspace;

/* A training run's state as the updates carry it: the model, the options,
 * the counters and the optimizer, this process's place in the job. */
typedef struct {
    Model *m;
    const TrainOptions *o;
    TrainState st;
    Optimizer opt;
    size_t n_params;
    int rank, ranks;     /* this process in the job (0 of 1 alone) */
    double comm_seconds; /* time in the reduction after the backward passes, and gathering (or sharing) the weights */
    long comm_updates;
    long early_chunks, all_chunks; /* the chain's chunks this rank passed on during the backward passes, of all
                                    * (in shared memory: the blocks of its slice it summed during them) */
    long early_totals, kept_totals; /* the totals this rank had back during the backward passes, of all it takes */
    float *raw;          /* the training weights while the moving average is swapped in */
    UpdateWorkspace ws;
} Trainer;

/* A trainer for m; resume_state/resume_optim (from a checkpoint) or NULL
 * for a new run. In a job of several ranks on one host, m->params moves
 * into the memory the ranks share (m->p bound over it) until trainer_free
 * puts the weights back in m's own buffer; both are collective then. */
Trainer *trainer_new(Model *m, const TrainOptions *o, const TrainState *resume_state, const Optimizer *resume_optim);
/* Forward, backward and optimizer step on the pairs idx[0..count) of d. */
LossSum trainer_update(Trainer *t, const TrainData *d, const int *idx, int count);
void trainer_free(Trainer *t);
/* The shards [*first, *first + *count) of S that rank r of P computes:
 * near-equal contiguous runs in rank order, the first S mod P ranks one
 * more; with S < P the last ranks get none. */
void shard_range(int S, int P, int r, int *first, int *count);
/* The slice [*lo, *lo + *len) of n parameters numbered r of P: near-equal
 * runs of whole OPTIM_CHUNKs, slice 0 at the start. */
void optimizer_slice(size_t n, int P, int r, size_t *lo, size_t *len);
/* The slice rank r of P updates: optimizer_slice's P - 1 - r, rank 0 the
 * end of the buffer. The chain's totals come back from its last rank, the
 * gradients the backward pass finishes first (the end) first: so each rank
 * needs a suffix, its own slice and those of the ranks below it, which
 * comes back first; the last rank, with the start, needs no way back. */
void optimizer_rank_slice(size_t n, int P, int r, size_t *lo, size_t *len);
/* The Adam moments and moving average of every slice on every rank: call
 * on all ranks before anything reads them (validation, saving, checks). */
void trainer_gather_optimizer(Trainer *t);
/* 1 when the ranks split the optimizer step (each its slice, then every
 * slice to every rank), 0 when each takes the whole step: split when all
 * ranks share one host, unless NMT_SHARD_OPTIMIZER=0|1 says otherwise.
 * Collective: every rank calls it. */
int update_shards_optimizer(int ranks);
/* Floats per message when P ranks reduce n floats. */
size_t chain_chunk(size_t n, int ranks);
/* The learning rate of the next update: --lr-warmup N ramps it linearly
 * over the first N updates, (u + 1) / N of the current rate at update u. */
float trainer_lr(const Trainer *t);
/* Bytes the trainer cannot do without: parameters, Adam moments, one
 * gradient buffer per shard, and the activations of the last minibatch. */
size_t trainer_memory_floor(const Trainer *t);

/* Put the moving average of the weights in the model (on = 1) for
 * validating and saving, or the training weights back (on = 0). Nothing
 * without a moving average. When the ranks share the weights (one host),
 * one rank alone swaps them (rank 0), while the others wait for its next
 * message, and it gathers the moving average first
 * (trainer_gather_optimizer). */
void trainer_use_average(Trainer *t, int on);

#endif
