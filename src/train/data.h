/* data.h — training pairs as id sequences, and the order they are visited in.
 *
 * Each epoch the pairs are shuffled (from the seed and the epoch number),
 * cut into pools, sorted by length inside a pool so that a minibatch holds
 * sentences of similar length (little padding), and the minibatches are
 * shuffled again. The plan is a pure function of (data, batch size, seed,
 * epoch): a resumed run recomputes it and continues at the stored position. */
#ifndef NMT_DATA_H
#define NMT_DATA_H

#include <stdint.h>

#include "vocab/corpus.h"

struct BpeDropout;
struct Guidance;

typedef struct {
    int n;
    const int **src, **tgt; /* id sequences without <s>/</s> */
    int *src_len, *tgt_len;
    long total_tgt_tokens; /* including one </s> per pair */
    const struct Guidance *guide; /* gold links of the pairs for guided alignment (train/guidance.h), or NULL */
    struct BpeDropout *bpe_dropout; /* segments the pairs anew each epoch (train/bpe_dropout.h), or NULL */
} TrainData;

typedef struct {
    int n_batches;
    int *order;  /* pair indices, batch after batch */
    int *start;  /* [n_batches] offset of each batch in order */
    int *count;  /* [n_batches] pairs in each batch */
} EpochPlan;

/* Views of the corpus's pairs (its full segmentation): src, tgt and their
 * lengths malloc'd, the ids the corpus's; total_tgt_tokens counted. */
TrainData train_data_from_corpus(const ParallelCorpus *c);
/* Free what train_data_from_corpus allocated (not the ids). */
void train_data_free_views(TrainData *d);

void epoch_plan(EpochPlan *plan, const TrainData *d, int batch, uint64_t seed, int epoch);
/* Batches in length order, no shuffling (validation and scoring). */
void sorted_plan(EpochPlan *plan, const TrainData *d, int batch);
void epoch_plan_free(EpochPlan *plan);

#endif
