/* greedy.c — greedy decoding: the argmax token at every step (see search.h). */
#include <stdlib.h>
#include <string.h>

#include "nn/nn.h"
#include "search/decoding.h"
#include "search/search.h"
#include "sys/util.h"

void greedy_search(const Model *m, const int *const *src, const int *src_len, int n, const SearchOptions *o,
                   NBest *out) {
    Decoding d;
    decoding_init_model(&d, m, src, src_len, n, 1, o->max_len_ratio, o->shortlist, o->workspace);
    const int Ts = d.Ts;
    int **tokens = xcalloc((size_t)n, sizeof(int *));
    float **att = xcalloc((size_t)n, sizeof(float *));
    double *logprob = xcalloc((size_t)n, sizeof(double));
    int *len = xcalloc((size_t)n, sizeof(int)), *done = xcalloc((size_t)n, sizeof(int));
    int *ended = xcalloc((size_t)n, sizeof(int));
    for (int i = 0; i < n; i++) {
        tokens[i] = xmalloc(sizeof(int) * (size_t)d.max_len[i]);
        if (o->want_attention) att[i] = xmalloc(sizeof(float) * (size_t)d.max_len[i] * d.heads * Ts);
    }
    int left = n;
    for (int t = 0; left > 0; t++) {
        decoding_step(&d);
        int finished = 0;
        for (int i = 0; i < n; i++) {
            if (done[i]) continue;
            const int r = decoding_row(&d, i, 0);
            const float *lp = d.logp + (size_t)r * d.V;
            const int v = argmax_row(lp, d.V), y = decoding_token(&d, v);
            logprob[i] += lp[v];
            if (o->want_attention) {
                const size_t RW = (size_t)d.heads * Ts; /* a row: [N][Ts] */
                memcpy(att[i] + (size_t)t * RW, d.alpha + (size_t)r * RW, sizeof(float) * RW);
            }
            if (y == VOCAB_EOS) ended[i] = 1;
            else tokens[i][len[i]++] = y;
            if (y == VOCAB_EOS || t + 1 >= d.max_len[i]) done[i] = 1, left--, finished++;
            d.y_prev[r] = y;
        }
        decoding_advance(&d);
        if (finished) decoding_retire(&d, done);
    }
    for (int i = 0; i < n; i++) {
        out[i].n = 1;
        out[i].hyps = xcalloc(1, sizeof(Hypothesis));
        Hypothesis *h = &out[i].hyps[0];
        h->tokens = tokens[i];
        h->len = len[i];
        h->ended = ended[i];
        h->logprob = logprob[i];
        h->score = search_score(logprob[i], len[i] + ended[i], o->length_penalty);
        h->Ts = src_len[i];
        h->heads = d.heads;
        if (att[i]) hypothesis_take_attention(h, att[i], len[i] + ended[i], d.heads, Ts);
    }
    free(tokens), free(att), free(logprob), free(len), free(done), free(ended);
    decoding_free(&d);
}

