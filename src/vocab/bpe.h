/* bpe.h — byte-pair encoding (Sennrich et al. 2016): learning merges from
 * word counts, and applying them to a word.
 *
 * Learning starts from words split into atoms and repeatedly merges the
 * most frequent adjacent pair of symbols, never across words. Ties go to
 * the pair whose left symbol is smallest by bytes, then whose right symbol
 * is; learning stops early when no pair occurs at least twice. It is
 * incremental: an index from each pair to its occurrences and a lazy max-heap
 * of pair counts, so each merge only touches the words that contain it. */
#ifndef NMT_VOCAB_BPE_H
#define NMT_VOCAB_BPE_H

#include <stddef.h>
#include <stdint.h>

#include "nn/rng.h"
#include "sys/hashmap.h"

/* What bpe_learn produces. Symbols 0..natoms-1 are the atoms (sorted by
 * bytes); merge k joins symbols left[k] and right[k] into result[k], the
 * symbol spelled as their concatenation (a symbol is its string, so two
 * merges can give the same one). */
typedef struct {
    int natoms, nmerges;
    StrTable syms;    /* symbol strings */
    int64_t *count;   /* per symbol: occurrences in the training words once all merges are applied */
    int *left, *right, *result;
} BpeModel;

/* words[i] is a word with its atoms separated by sep; counts[i] its count.
 * Learns at most max_merges merges. The result depends only on the set of
 * (word, count) pairs, not on their order. */
void bpe_learn(const char *const *words, const int64_t *counts, size_t nwords, char sep, int max_merges,
               BpeModel *out);
void bpe_model_free(BpeModel *m);

/* Merges ready to apply, keyed by the ids of the two parts in some table. */
typedef struct {
    U64Map rank;   /* u64_pair(left, right) -> merge rank */
    int *result;   /* per rank: id of the merged symbol */
    int n;
} BpeRanks;

/* Apply merges to a word of symbol ids in place, lowest rank first and,
 * within a rank, left to right (as learning did). Returns the new length. */
int bpe_apply(const BpeRanks *r, int *ids, int n);

/* BPE-dropout (Provilkov et al. 2020): the same merges, but at every step
 * each applicable merge is skipped with probability p, drawn from rng; the
 * lowest-rank merge left is applied at every position where it was drawn
 * (left to right, as bpe_apply), and the word is done when none is left.
 * So a word comes out in another segmentation (usually in more pieces),
 * every piece a token of the table. p = 0 gives bpe_apply's result (more slowly) and
 * draws nothing. */
int bpe_apply_dropout(const BpeRanks *r, int *ids, int n, float p, Rng *rng);

#endif
