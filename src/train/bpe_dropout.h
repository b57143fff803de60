/* bpe_dropout.h — BPE-dropout for training (nmt-train --bpe-dropout P,
 * Provilkov et al. 2020): every epoch, each training pair is segmented
 * anew from its raw text with every BPE merge skipped with probability P
 * at each step (vocab_encode_sampled), so the model learns a word from
 * many of its segmentations and its subwords' embeddings from more words.
 * Validation, translation and scoring keep the full segmentation.
 *
 * An epoch's segmentation is a function of (seed, epoch, line number):
 * it does not depend on the thread count or the rank, and a resumed run
 * computes the same one. A side that comes out longer than --max-len
 * keeps its full segmentation, which was within it. With guided
 * alignment, the word links are joined to the epoch's subwords. */
#ifndef NMT_TRAIN_BPE_DROPOUT_H
#define NMT_TRAIN_BPE_DROPOUT_H

#include <stdint.h>

#include "train/data.h"
#include "train/guidance.h"
#include "vocab/corpus.h"

typedef struct BpeDropout {
    const Vocab *vocab;
    float p;
    uint64_t seed;
    int max_len;              /* 0: no limit */
    int n;                    /* pairs */
    char **text[2];           /* [n] raw source and target lines of the pairs */
    const ParallelCorpus *corpus; /* the full segmentation and line numbers */
    TrainData epoch;          /* the current epoch's pairs */
    Guidance guide;           /* with guided alignment: the gold links of the epoch's segmentation */
    int *ids;                 /* their storage */
    size_t cap_ids;
} BpeDropout;

/* For the pairs of c, loaded with v from src_path / tgt_path (read again
 * here for their raw lines). */
void bpe_dropout_open(BpeDropout *bd, const Vocab *v, float p, uint64_t seed, int max_len, const ParallelCorpus *c,
                      const char *src_path, const char *tgt_path);
/* The pairs of base (the corpus's full segmentation, with its guidance
 * and other fields) segmented for that epoch; valid until the next call. */
const TrainData *bpe_dropout_epoch(BpeDropout *bd, const TrainData *base, int epoch);
void bpe_dropout_close(BpeDropout *bd);

#endif
