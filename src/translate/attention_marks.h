/* attention_marks.h — word alignments drawn onto subword attention
 * heatmaps: which cells the model's own hard alignment links
 * (translate/alignment.h) and which are gold links, sure or possible.
 *
 * Alignments join words (whitespace-separated, as everywhere); a word link
 * s-t marks every cell of the subwords of target word t against the
 * subwords of source word s. The </s> row belongs to no word. */
#ifndef NMT_ATTENTION_MARKS_H
#define NMT_ATTENTION_MARKS_H

#include "align/pharaoh.h"
#include "vocab/vocab.h"

enum { MARK_MODEL = 1, MARK_SURE = 2, MARK_POSSIBLE = 4 };

/* Per-sentence counts, for a line under the heatmap. */
typedef struct {
    int model, gold_sure, gold_possible; /* word links */
    int model_on_sure, model_on_possible; /* model links that are gold (sure; possible but not sure) */
} MarkCounts;

/* Marks [rows][Ts] for the attention att [rows][Ts] of src [Ts] and tgt
 * [tgt_len] (rows >= tgt_len). with_model: the hard alignment of att;
 * gold (may be NULL): sentence gold_sent of it, links beyond the words
 * ignored. Malloc'd; *counts filled. */
unsigned char *attention_marks(const Vocab *v, const int *src, int Ts, const int *tgt, int tgt_len, int rows,
                               const float *att, int with_model, const Alignment *gold, long gold_sent,
                               MarkCounts *counts);

#endif
