/* layer_rows.h — a translation's attention rows from the alignment layer
 * (--attention-source): translator.c's, not for callers.
 *
 * The layer's query at step t reads output token t, so its rows cannot be
 * computed inside the search: after it, a forced pass of the attention
 * model over (source, hypothesis) gives them, batched by the scorer as it
 * batches those pairs (by their lines' positions, so not by threads). */
#ifndef NMT_LAYER_ROWS_H
#define NMT_LAYER_ROWS_H

#include "search/search.h"
#include "translate/translator.h"

/* Every hypothesis of out[0..n) (sentence i: src[i], src_len[i], line
 * position pos[i]) gets the layer's [len + 1][Ts] rows as its attention,
 * of which its len + ended are read (the last is </s>'s); one head. */
void layer_rows_replace(const Model *m, const TranslateOptions *o, const int *const *src, const int *src_len,
                        const long *pos, int n, NBest *out);

#endif
