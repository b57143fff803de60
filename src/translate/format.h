/* format.h — what nmt-translate prints for one input line: the best
 * translation, or the Moses n-best entries "ID ||| translation ||| score",
 * each optionally with " ||| " and the word alignment (alignment.h). */
#ifndef NMT_TRANSLATE_FORMAT_H
#define NMT_TRANSLATE_FORMAT_H

#include "search/search.h"
#include "sys/util.h"
#include "translate/alignment.h"
#include "vocab/vocab.h"

/* out gets the text (replacing its contents), without a final newline;
 * n-best entries are separated by newlines. id is the 0-based line number
 * (n-best ids); src/src_len the encoded source (for hard alignments); nb
 * the hypotheses (n = 0 for an empty or skipped line); head the attention
 * the alignment reads (hypothesis_head: 0 the heads' mean). */
void format_translation(const Vocab *v, int print_nbest, AlignMode alignment, int head, long id, const int *src,
                        int src_len, const NBest *nb, Buf *out);

#endif
