/* guidance.h — guided alignment for nmt-train: gold word links of the
 * training pairs as subword links, and the gold attention rows of a
 * minibatch built from them.
 *
 * The file is Pharaoh text (0-based "s-t" links between the whitespace-
 * separated words of the source and target lines, as nmt-align writes),
 * one line per line of the training files, including the lines nmt-train
 * leaves out (too long, empty, invalid): line k belongs to the pair read
 * from line k, so the links follow the kept pairs by their line numbers.
 * Words are the ones --alignment uses (vocab_word_ids on the normalized
 * line). A word link s-t joins every subword piece of target word t to
 * every piece of source word s; the gold row of a target token is its
 * links, normalized to sum to 1. Target tokens without links, and </s>,
 * get no guidance; a pair without links is trained without guidance. */
#ifndef NMT_TRAIN_GUIDANCE_H
#define NMT_TRAIN_GUIDANCE_H

#include "align/pharaoh.h"
#include "model/batch.h"
#include "model/config.h"
#include "model/seq2seq.h"
#include "train/data.h"
#include "train/state.h"
#include "vocab/corpus.h"

typedef struct Guidance {
    int n;           /* pairs, in the corpus's (and TrainData's) order */
    long *start;     /* [n + 1]: pair i owns sub[2 * start[i] .. 2 * start[i + 1]) */
    int *sub;        /* (target token, source token) subword links, two ints each */
    long unlinked;   /* kept pairs without any link */
    long word_links; /* word links of the kept pairs */
    Alignment words; /* sentence i: pair i's word links */
    int borrowed;    /* words belongs to another Guidance (guidance_resegment) */
} Guidance;

/* Read path for the kept pairs of c (read from the training file
 * train_src, whose line count the file must match). Dies with a message
 * naming the file: a wrong line count, "FILE:LINE: ..." for a malformed
 * link or an index beyond the words of that line. */
void guidance_load(Guidance *g, const char *path, const Vocab *v, const ParallelCorpus *c, const char *train_src);
/* The same word links for another segmentation of the same pairs
 * (BPE-dropout): out's subword links are those of d's pairs, segmented
 * with v; out shares g's word links (start from a zeroed out, and free it
 * before g). */
void guidance_resegment(Guidance *out, const Guidance *g, const Vocab *v, const TrainData *d);
void guidance_free(Guidance *g);

/* Fill the gold rows of b (filled by batch_fill from the pairs idx[0..count)
 * in that order); the loss's weight is guidance_weight's (LossWeights.guide). */
void guidance_fill(const Guidance *g, Batch *b, const int *idx, int count);

/* The guidance weight at an update: --guided-alignment-weight times
 * --guided-alignment-decay for every --guided-alignment-decay-every updates
 * done. */
float guidance_weight(const TrainOptions *o, long update);

/* Which attention the guidance trains in a model of configuration cfg
 * (--guided-alignment-target; auto: the alignment layer when cfg has one). */
GuideTarget guidance_target(const TrainOptions *o, const ModelConfig *cfg);

#endif
