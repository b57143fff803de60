/* search.c — see search.h: options, scores and results shared by greedy and beam search. */
#include "search/search.h"

#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "attention/attention.h"
#include "sys/util.h"

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

void hypothesis_take_attention(Hypothesis *h, float *raw, int steps, int heads, int Ts) {
    const int cols = h->Ts;
    h->heads = heads;
    h->head_attention = NULL;
    if (heads == 1) { /* in place: keep only the sentence's own source columns */
        if (cols != Ts)
            for (int t = 0; t < steps; t++) memmove(raw + (size_t)t * cols, raw + (size_t)t * Ts, sizeof(float) * cols);
        h->attention = raw;
        return;
    }
    h->attention = xmalloc(sizeof(float) * ((size_t)steps * cols + 1));
    h->head_attention = xmalloc(sizeof(float) * ((size_t)heads * steps * cols + 1));
    float *row = xmalloc(sizeof(float) * (size_t)heads * cols);
    for (int t = 0; t < steps; t++) {
        const float *r = raw + (size_t)t * heads * Ts;
        for (int k = 0; k < heads; k++) {
            memcpy(row + (size_t)k * cols, r + (size_t)k * Ts, sizeof(float) * cols);
            memcpy(h->head_attention + ((size_t)k * steps + t) * cols, r + (size_t)k * Ts, sizeof(float) * cols);
        }
        attention_mean_row(heads, cols, row, h->attention + (size_t)t * cols);
    }
    free(row), free(raw);
}

const float *hypothesis_head(const Hypothesis *h, int head) {
    if (head <= 0 || !h->head_attention) return h->attention; /* one head: the mean is that head */
    return h->head_attention + (size_t)(head - 1) * (size_t)(h->len + h->ended) * h->Ts;
}

void hypothesis_free_attention(Hypothesis *h) {
    free(h->attention), free(h->head_attention);
    h->attention = h->head_attention = NULL;
}

void nbest_free(NBest *nb) {
    for (int i = 0; i < nb->n; i++) {
        free(nb->hyps[i].tokens);
        hypothesis_free_attention(&nb->hyps[i]);
    }
    free(nb->hyps);
    memset(nb, 0, sizeof *nb);
}

