/* search.h — greedy decoding and beam search over the model.
 *
 * Both decode a batch of source sentences at once. A hypothesis ends at
 * </s> or at the maximum length (max_len_ratio x source length + 10).
 * Beam search ranks finished hypotheses by logprob / length^alpha (length
 * counts the </s>), and always carries the greedy path as one extra
 * candidate, so a wider beam never returns a translation that scores below
 * greedy decoding. With beam 1 it is exactly greedy decoding.
 *
 * Files: search.c (options, scores, results), decoding.c (the encoded
 * batch and one step on every hypothesis row), greedy.c, beam.c. */
#ifndef NMT_SEARCH_H
#define NMT_SEARCH_H

#include "core/fields.h"
#include "core/nn.h"
#include "model/saved.h"

struct Shortlist; /* search/shortlist.h */

typedef struct {
    int beam;            /* hypotheses kept per sentence; 1 = greedy */
    int nbest;           /* hypotheses returned per sentence (<= beam) */
    float length_penalty; /* alpha */
    float max_len_ratio;
    int want_attention;  /* keep the attention rows of returned hypotheses */
    const struct Shortlist *shortlist; /* restrict the output layer to each batch's shortlist (NULL: all tokens) */
    Arena *workspace;    /* memory reused by the calls of one thread (NULL: each call allocates its own): a
                          * batch then writes into pages it has touched before instead of fresh ones */
} SearchOptions;

/* The options' table: flags, ranges, defaults and help (nmt-translate's
 * search section, the C API's setters, the Python module's defaults). */
extern const FieldSpec SEARCH_OPTION_FIELDS[];
extern const int SEARCH_OPTION_NFIELDS;
void search_options_default(SearchOptions *o);

typedef struct {
    int *tokens;      /* output ids, without </s> */
    int len;
    int ended;        /* 1 when it ended with </s> (else cut at the maximum length) */
    double logprob;   /* sum of token log-probabilities, </s> included */
    double score;     /* logprob / steps^alpha */
    float *attention; /* [steps][Ts] with steps = len + ended; NULL unless asked */
    int Ts;
} Hypothesis;

typedef struct {
    Hypothesis *hyps; /* best first */
    int n;
} NBest;

/* Decode n sentences (ids without </s>). out[i] receives sentence i's
 * hypotheses. Single-threaded: callers parallelize across batches. */
void beam_search(const Model *m, const int *const *src, const int *src_len, int n, const SearchOptions *o,
                 NBest *out);
/* Plain greedy decoding (argmax at every step), one hypothesis each. */
void greedy_search(const Model *m, const int *const *src, const int *src_len, int n, const SearchOptions *o,
                   NBest *out);
/* The score a hypothesis of this log-probability and step count gets. */
double search_score(double logprob, int steps, float alpha);
void nbest_free(NBest *nb);

#endif
