/* pipeline.h — the file-to-file jobs behind nmt-align: train and align a
 * corpus, symmetrize two alignment files, score an alignment against gold.
 * Each returns 0, or -1 with a one-line message in err (FILE:LINE: ... for
 * bad input); outputs are written atomically, "-" meaning stdout. */
#ifndef NMT_ALIGN_PIPELINE_H
#define NMT_ALIGN_PIPELINE_H

#include <stdio.h>

#include "align/aer.h"
#include "align/ibm2.h"
#include "align/symmetrize.h"

typedef struct {
    const char *src, *tgt;       /* tokenized, line-parallel */
    int forward, reverse;        /* directions to train (at least one) */
    SymMethod method;            /* combines them when both are trained */
    const char *out;             /* symmetrized links, or the one direction's */
    const char *forward_out, *reverse_out; /* each direction's links too (NULL: not written) */
    Ibm2Options opt;             /* opt.reverse is set per direction */
    FILE *log;                   /* a line per EM iteration, or NULL */
} AlignTrainJob;

int align_train_files(const AlignTrainJob *job, char *err, size_t errsz);

/* src/tgt may be NULL; given, they supply the sentence lengths, and every
 * link is checked against them. */
int align_symmetrize_files(const char *fwd, const char *rev, const char *src, const char *tgt, SymMethod method,
                           const char *out, char *err, size_t errsz);

/* gold_base: 1 for talp, 0 for Pharaoh; the hypothesis is 0-based Pharaoh.
 * Refused, besides bad input: a gold without any link ("GOLD: no gold links
 * to score against"), and no sure gold link with no hypothesis link (AER
 * undefined). With only one of those empty, the undefined ratio (precision
 * or recall) is NaN (aer.h). */
int align_score_files(const char *gold, int gold_base, const char *hyp, const char *src, const char *tgt,
                      AerCounts *counts, char *err, size_t errsz);

/* Read a links file (alignment_read_file) and check it against a corpus:
 * as many lines as src and tgt have, every link inside its line's
 * whitespace-separated words. The checks nmt-align makes given --src/--tgt,
 * for every other reader of gold links. 0, or -1 with err ("FILE:LINE: link
 * 2p3: target index 3 is beyond the 2 target tokens", "line counts differ:
 * FILE has N lines, SRC has M"). */
int align_read_checked(Alignment *a, const char *path, int base, int allow_possible, const char *src,
                       const char *tgt, char *err, size_t errsz);

/* Token counts of every line of two line-parallel files (*n lines). */
int align_read_lengths(const char *src, const char *tgt, int **src_len, int **tgt_len, long *n, char *err,
                       size_t errsz);

#endif
