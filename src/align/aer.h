/* aer.h — alignment error rate, precision and recall against gold links.
 *
 * Och & Ney (2003): with hypothesis links A, sure gold links S and possible
 * ones P (P includes S),
 *   precision = |A ∩ P| / |A|,  recall = |A ∩ S| / |S|,
 *   AER = 1 - (|A ∩ S| + |A ∩ P|) / (|A| + |S|).
 * Counts are summed over the corpus first (corpus-level figures, as the
 * published AERs are). A ratio whose denominator is 0 is undefined and comes
 * back as NaN (printed "nan"): precision without hypothesis links, recall
 * without sure links, AER with neither (align_score_files refuses that case,
 * and a gold without any link, before anything is computed). */
#ifndef NMT_ALIGN_AER_H
#define NMT_ALIGN_AER_H

#include "align/pharaoh.h"

typedef struct {
    long sentences;
    long hyp;          /* |A| */
    long sure;         /* |S| */
    long possible;     /* |P|, sure links included */
    long hyp_sure;     /* |A ∩ S| */
    long hyp_possible; /* |A ∩ P| */
} AerCounts;

/* Add one sentence; both link lists sorted by (src, tgt) without repeats, as
 * alignment_finish leaves them. Possible flags of hyp are ignored. */
void aer_add_sentence(AerCounts *c, const AlignLink *hyp, size_t nh, const AlignLink *gold, size_t ng);
/* Every sentence; -1 with err when the sentence counts differ. */
int aer_add(AerCounts *c, const Alignment *hyp, const Alignment *gold, char *err, size_t errsz);
double aer_value(const AerCounts *c);     /* NaN without hypothesis and sure links */
double aer_precision(const AerCounts *c); /* NaN for an empty hypothesis */
double aer_recall(const AerCounts *c);    /* NaN without sure links */

#endif
