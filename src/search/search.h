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

#include "model/saved.h"
#include "nn/nn.h"
#include "sys/fields.h"

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
    float *attention; /* [steps][Ts] with steps = len + ended; NULL unless asked (N heads: their mean) */
    int Ts;
    float *head_attention; /* N > 1 heads: [N][steps][Ts], each head's; NULL otherwise */
    int heads;             /* N, the model's attention heads (1: attention is the only matrix) */
} Hypothesis;

/* Sets h->attention (and with heads > 1 h->head_attention) from the rows
 * raw [steps][heads][Ts] a search kept (Ts the batch's source width, of
 * which the sentence's h->Ts columns are kept); frees raw. */
void hypothesis_take_attention(Hypothesis *h, float *raw, int steps, int heads, int Ts);
/* The [steps][Ts] weights of head (1 .. h->heads), or the heads' mean (head 0). */
const float *hypothesis_head(const Hypothesis *h, int head);
/* Frees a hypothesis's attention arrays. */
void hypothesis_free_attention(Hypothesis *h);

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
