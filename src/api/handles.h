/* handles.h — what the opaque handles of nmt.h hold, shared by the files
 * of src/api (never installed). */
#ifndef NMT_API_HANDLES_H
#define NMT_API_HANDLES_H

#include "nmt.h"
#include "translate/scorer.h"
#include "translate/translator.h"

struct nmt_model {
    Model *m;
};

struct nmt_options {
    TranslateOptions t; /* search, batch, threads (0 = all cores), max_src_len */
    int max_len;        /* nmt_score: tokens per side (ScoreOptions.max_len) */
    int attention;      /* keep attention matrices in results */
    int alignment;      /* hard word alignments in results */
};

typedef struct {
    char *text;
    double score, logprob;
    int steps;          /* output tokens + a final </s> */
    char **tgt_tokens;  /* [steps] row labels */
    float *att;         /* [steps][Ts], or NULL */
    int *pairs, n_pairs; /* [2 x n_pairs] source word, target word */
    float *head_att;    /* N > 1 heads: [N][steps][Ts] each head's (att is their mean), or NULL */
    int heads;          /* N, the model's attention heads */
} ResultHyp;

typedef struct {
    char **src_tokens; /* [Ts] */
    int Ts;
    long cut;          /* input tokens left out by max_src_len / max_len (both sides when scoring) */
    ResultHyp *hyps;
    int n;
} ResultLine;

struct nmt_result {
    ResultLine *lines;
    size_t n;
};

/* Record a failure for nmt_last_error(); returns status. */
nmt_status api_fail(nmt_status status, const char *fmt, ...) NMT_PRINTF(2, 3);
/* The thread count options ask for (0 means all cores). */
int api_threads(const nmt_options *o);
/* Fill o with the defaults of nmt_options_new (what NULL options mean). */
void api_options_default(nmt_options *o);
/* At int8, m's int8 weight copies made (once): NMT_OK, or the failure recorded. */
nmt_status api_prepare_int8(const Model *m);

#endif
