/* search.c — see search.h: options, scores and results shared by greedy and beam search. */
#include "search/search.h"

#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#define F(member) offsetof(SearchOptions, member)
const FieldSpec SEARCH_OPTION_FIELDS[] = {
    {NULL, "--beam", FIELD_INT, F(beam), 5, 1, 256, .section = "search",
     .help = "beam size; 1 is greedy decoding"},
    {NULL, "--nbest", FIELD_INT, F(nbest), 1, 1, 256, .section = "search",
     .help = "print the N best distinct translations per line (N <= beam)\n"
             "as Moses n-best lines \"ID ||| translation ||| score\", ID\n"
             "0-based, best first (an empty line gives one entry with\n"
             "an empty translation and score 0)"},
    {NULL, "--length-penalty", FIELD_FLOAT, F(length_penalty), 0.6, 0, 10, .metavar = "A", .section = "search",
     .help = "rank finished hypotheses by logprob / length^A, length\n"
             "counting the final </s> (0 = raw logprob)"},
    {NULL, "--max-length-ratio", FIELD_FLOAT, F(max_len_ratio), 2, 0, 100, .metavar = "R", .section = "search",
     .help = "at most R x source tokens + 10 output tokens, and never\n"
             "more than 1024"},
};
#undef F
const int SEARCH_OPTION_NFIELDS = (int)(sizeof SEARCH_OPTION_FIELDS / sizeof SEARCH_OPTION_FIELDS[0]);

void search_options_default(SearchOptions *o) {
    memset(o, 0, sizeof *o);
    fields_set_defaults(SEARCH_OPTION_FIELDS, SEARCH_OPTION_NFIELDS, o);
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

