/* alignment.c — see alignment.h. */
#include "translate/alignment.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int align_head_check(int head, int heads, char *err, size_t errsz) {
    if (head <= heads) return 0;
    if (heads == 1) snprintf(err, errsz, "--alignment-head %d: the model has 1 attention head (give 1 or mean)", head);
    else snprintf(err, errsz, "--alignment-head %d: the model has %d attention heads (give 1 .. %d or mean)", head, heads, heads);
    return -1;
}

const char *const ATT_SOURCE_NAMES[] = {"auto", "alignment", "decoder", NULL}; /* AttSource order */

int att_source_reads_layer(int source, int has_layer) { return has_layer && source != ATT_SOURCE_DECODER; }

int att_source_check(int source, int has_layer, const char *name, char *err, size_t errsz) {
    if (source != ATT_SOURCE_ALIGNMENT || has_layer) return 0;
    snprintf(err, errsz,
             "%s has no alignment layer: --attention-source alignment needs a model trained with "
             "--alignment-layer (or use --attention-source decoder)", name);
    return -1;
}

float *align_merge_words(const Vocab *v, const int *src, int Ts, const int *tgt, int tgt_len, const float *att,
                         int *n_src_words, int *n_tgt_words) {
    int *sw = xmalloc(sizeof(int) * (size_t)(Ts + 1)), *tw = xmalloc(sizeof(int) * (size_t)(tgt_len + 1));
    int Ws = vocab_word_ids(v, VOCAB_SRC, src, Ts, sw);
    int Wt = vocab_word_ids(v, VOCAB_TGT, tgt, tgt_len, tw);
    *n_src_words = Ws, *n_tgt_words = Wt;
    float *W = NULL;
    if (Ws > 0 && Wt > 0) {
        W = xcalloc((size_t)Wt * Ws, sizeof(float));
        int *pieces = xcalloc((size_t)Wt, sizeof(int));
        for (int t = 0; t < tgt_len; t++) {
            if (tw[t] < 0) continue;
            pieces[tw[t]]++;
            float *row = W + (size_t)tw[t] * Ws;
            const float *a = att + (size_t)t * Ts;
            for (int s = 0; s < Ts; s++)
                if (sw[s] >= 0) row[sw[s]] += a[s];
        }
        for (int w = 0; w < Wt; w++)
            for (int s = 0; s < Ws; s++) W[(size_t)w * Ws + s] /= (float)pieces[w];
        free(pieces);
    }
    free(sw), free(tw);
    return W;
}

typedef struct {
    int s, t;
} Pair;

static int pair_cmp(const void *a, const void *b) {
    const Pair *x = a, *y = b;
    if (x->s != y->s) return x->s < y->s ? -1 : 1;
    return (x->t > y->t) - (x->t < y->t);
}

int align_hard(const Vocab *v, const int *src, int Ts, const int *tgt, int tgt_len, const float *att,
               int **src_word, int **tgt_word) {
    int Ws, Wt;
    float *W = align_merge_words(v, src, Ts, tgt, tgt_len, att, &Ws, &Wt);
    int n = W ? Wt : 0;
    Pair *p = xmalloc(sizeof(Pair) * (size_t)(n + 1));
    for (int t = 0; t < n; t++) {
        const float *row = W + (size_t)t * Ws;
        int best = 0;
        for (int s = 1; s < Ws; s++)
            if (row[s] > row[best]) best = s;
        p[t] = (Pair){best, t};
    }
    qsort(p, (size_t)n, sizeof(Pair), pair_cmp);
    *src_word = xmalloc(sizeof(int) * (size_t)(n + 1));
    *tgt_word = xmalloc(sizeof(int) * (size_t)(n + 1));
    for (int k = 0; k < n; k++) (*src_word)[k] = p[k].s, (*tgt_word)[k] = p[k].t;
    free(p);
    free(W);
    return n;
}

void align_pairs_string(const int *first, const int *second, int n, Buf *out) {
    buf_reserve(out, 0);
    for (int k = 0; k < n; k++) buf_printf(out, k ? " %d-%d" : "%d-%d", first[k], second[k]);
}

void align_hard_string(const Vocab *v, const int *src, int Ts, const int *tgt, int tgt_len, const float *att,
                       Buf *out) {
    int *s, *t;
    int n = align_hard(v, src, Ts, tgt, tgt_len, att, &s, &t);
    align_pairs_string(s, t, n, out);
    free(s), free(t);
}

void align_soft_string(const float *att, int rows, int Ts, Buf *out) {
    buf_reserve(out, 0);
    for (int t = 0; t < rows; t++) {
        if (t) buf_append(out, " ", 1);
        for (int s = 0; s < Ts; s++) buf_printf(out, s ? ",%.6g" : "%.6g", (double)att[(size_t)t * Ts + s]);
    }
}
