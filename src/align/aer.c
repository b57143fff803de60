/* aer.c — corpus-level AER, precision and recall. */
#include "align/aer.h"

#include <math.h>
#include <stdio.h>

void aer_add_sentence(AerCounts *c, const AlignLink *hyp, size_t nh, const AlignLink *gold, size_t ng) {
    c->sentences++;
    c->hyp += (long)nh;
    c->possible += (long)ng;
    for (size_t k = 0; k < ng; k++) c->sure += !gold[k].possible;
    /* Both lists are sorted by (src, tgt): one merge finds the common links. */
    size_t a = 0, b = 0;
    while (a < nh && b < ng) {
        int cmp = hyp[a].src != gold[b].src ? (hyp[a].src < gold[b].src ? -1 : 1)
                  : hyp[a].tgt != gold[b].tgt ? (hyp[a].tgt < gold[b].tgt ? -1 : 1)
                                              : 0;
        if (cmp < 0) a++;
        else if (cmp > 0) b++;
        else {
            c->hyp_possible++;
            c->hyp_sure += !gold[b].possible;
            a++;
            b++;
        }
    }
}

int aer_add(AerCounts *c, const Alignment *hyp, const Alignment *gold, char *err, size_t errsz) {
    if (hyp->nsent != gold->nsent) {
        snprintf(err, errsz, "the hypothesis has %ld sentences, the gold alignment %ld", hyp->nsent, gold->nsent);
        return -1;
    }
    for (long s = 0; s < hyp->nsent; s++)
        aer_add_sentence(c, alignment_links(hyp, s), alignment_count(hyp, s), alignment_links(gold, s),
                         alignment_count(gold, s));
    return 0;
}

double aer_value(const AerCounts *c) {
    long den = c->hyp + c->sure;
    return den ? 1.0 - (double)(c->hyp_sure + c->hyp_possible) / (double)den : NAN;
}

/* 0/0 is no figure: NaN, never a plausible-looking 0 */
double aer_precision(const AerCounts *c) { return c->hyp ? (double)c->hyp_possible / (double)c->hyp : NAN; }
double aer_recall(const AerCounts *c) { return c->sure ? (double)c->hyp_sure / (double)c->sure : NAN; }
