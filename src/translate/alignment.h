/* alignment.h — word alignments from attention, in the formats Marian prints
 * after " ||| " with --alignment.
 *
 * hard: Pharaoh pairs "s-t" (0-based source word, target word), sorted by
 *   source then target index, between the whitespace-separated words of the
 *   (normalized) source line and of the output line. The subword matrix is
 *   first merged to words:
 *       W[tw][sw] = mean over the subwords t of target word tw of
 *                   the sum over the subwords s of source word sw of a[t][s]
 *   (summing over source pieces keeps each row a distribution over source
 *   words; averaging over target pieces weighs every target word alike).
 *   Then every target word is linked to its highest-weighted source word
 *   (ties: the leftmost) — Marian's rule for "hard" (argmax per target
 *   position), applied at word level. Tokens that are only whitespace and
 *   the final </s> row belong to no word and are left out.
 * soft: the full subword matrix as Marian prints it: one group per target
 *   token (including the </s> row), groups separated by spaces, each group
 *   the weights over the source tokens separated by commas. */
#ifndef NMT_ALIGNMENT_H
#define NMT_ALIGNMENT_H

#include "sys/util.h"
#include "vocab/vocab.h"

typedef enum { ALIGN_NONE = 0, ALIGN_HARD, ALIGN_SOFT } AlignMode;
extern const char *const ALIGN_MODE_NAMES[]; /* "none", "hard", "soft" */

/* --alignment-head: which attention weights the alignments read with a
 * multi-head model: 0 ("mean") the heads' mean, K = 1 .. N head K. */
extern const char *const ALIGN_HEAD_NAMES[]; /* "mean" (the numbers are the heads) */
#define ALIGN_HEAD_HELP                                                        \
    "with a multi-head model (nmt-train --heads N), the attention\n"          \
    "the alignment reads: mean (the heads' mean) or head K, 1-based\n"        \
    "(1 .. N; 0 is the mean too)"
/* 0 when head is mean (0) or one of the model's heads (1 .. heads), else -1
 * with a message naming the flag and the model's heads. */
int align_head_check(int head, int heads, char *err, size_t errsz);

/* --attention-source: where the rows of the alignments and the attention
 * dumps come from. The alignment layer (nmt-train --alignment-layer) has
 * one row per target token, computed with the token in its query; the
 * decoder's attention row t is computed before token t is known. */
typedef enum { ATT_SOURCE_AUTO = 0, ATT_SOURCE_ALIGNMENT, ATT_SOURCE_DECODER } AttSource;
extern const char *const ATT_SOURCE_NAMES[]; /* "auto", "alignment", "decoder" */
#define ATT_SOURCE_HELP                                                        \
    "the rows of --alignment and the --attention dumps: alignment =\n"        \
    "the alignment layer's (nmt-train --alignment-layer: its query has\n"     \
    "seen the target token, so row t aligns token t), decoder = the\n"        \
    "decoder's attention; auto (default): alignment when the model\n"         \
    "has the layer, else decoder"
/* 1 when the rows come from the alignment layer (has_layer: the model has one). */
int att_source_reads_layer(int source, int has_layer);
/* 0, or -1 with a message naming the model (name) when the layer is asked
 * of a model without one. */
int att_source_check(int source, int has_layer, const char *name, char *err, size_t errsz);

/* Merge the subword attention att [rows][Ts] (rows >= tgt_len: one row per
 * output token, any further row — </s> — is ignored) to word level.
 * Returns a malloc'd [*n_tgt_words][*n_src_words] matrix (NULL when either
 * count is 0). */
float *align_merge_words(const Vocab *v, const int *src, int Ts, const int *tgt, int tgt_len, const float *att,
                         int *n_src_words, int *n_tgt_words);

/* Hard word alignment: pair k is src_word[k]-tgt_word[k]; returns the count
 * (one per target word that has a source word). Arrays malloc'd. */
int align_hard(const Vocab *v, const int *src, int Ts, const int *tgt, int tgt_len, const float *att,
               int **src_word, int **tgt_word);
/* Append the n pairs as "a-b a-b ..." (nothing for none): a = first[k],
 * b = second[k]. */
void align_pairs_string(const int *first, const int *second, int n, Buf *out);
/* Append the hard alignment as "s-t s-t ..." (nothing for none). */
void align_hard_string(const Vocab *v, const int *src, int Ts, const int *tgt, int tgt_len, const float *att,
                       Buf *out);
/* Append the soft alignment of att [rows][Ts] in Marian's format. */
void align_soft_string(const float *att, int rows, int Ts, Buf *out);

#endif
