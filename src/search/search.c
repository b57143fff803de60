/* search.c — see search.h: options, scores and results shared by greedy and beam search. */
#include "search/search.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>


void search_options_default(SearchOptions *o) {
    o->beam = 5;
    o->nbest = 1;
    o->length_penalty = 0.6f;
    o->max_len_ratio = 2.0f;
    o->want_attention = 0;
    o->shortlist = NULL;
    o->workspace = NULL;
}

double search_score(double logprob, int steps, float alpha) {
    return alpha == 0.0f ? logprob : logprob / pow((double)(steps > 0 ? steps : 1), (double)alpha);
}

void nbest_free(NBest *nb) {
    for (int i = 0; i < nb->n; i++) {
        free(nb->hyps[i].tokens);
        free(nb->hyps[i].attention);
    }
    free(nb->hyps);
    memset(nb, 0, sizeof *nb);
}

