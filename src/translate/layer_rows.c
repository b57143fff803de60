/* layer_rows.c — see layer_rows.h. */
#include "translate/layer_rows.h"

#include <stdlib.h>

#include "model/ensemble.h"
#include "translate/scorer.h"

int translate_reads_layer(const Model *m, const TranslateOptions *o) {
    return att_source_reads_layer(o->attention_source, ensemble_attention_model(m)->cfg.alignment_layer);
}

void layer_rows_replace(const Model *m, const TranslateOptions *o, const int *const *src, const int *src_len,
                            const long *pos, int n, NBest *out) {
    int total = 0;
    for (int i = 0; i < n; i++) total += out[i].n;
    if (total == 0) return;
    const int **sp = xmalloc(sizeof(int *) * (size_t)total), **tp = xmalloc(sizeof(int *) * (size_t)total);
    int *sl = xmalloc(sizeof(int) * (size_t)total), *tl = xmalloc(sizeof(int) * (size_t)total);
    long *pp = xmalloc(sizeof(long) * (size_t)total);
    int k = 0;
    for (int i = 0; i < n; i++)
        for (int j = 0; j < out[i].n; j++, k++) {
            sp[k] = src[i], sl[k] = src_len[i], pp[k] = pos[i];
            tp[k] = out[i].hyps[j].tokens, tl[k] = out[i].hyps[j].len;
        }
    ScoreOptions so;
    score_options_default(&so);
    so.batch = o->batch, so.threads = o->threads, so.attention_source = ATT_SOURCE_ALIGNMENT;
    double *logprob = xmalloc(sizeof(double) * (size_t)total);
    float **att = xcalloc((size_t)total, sizeof(float *));
    score_ids_at(ensemble_attention_model(m), &so, sp, sl, tp, tl, pp, total, logprob, att);
    k = 0;
    for (int i = 0; i < n; i++)
        for (int j = 0; j < out[i].n; j++, k++) {
            Hypothesis *h = &out[i].hyps[j];
            hypothesis_free_attention(h);
            h->attention = att[k], h->Ts = src_len[i], h->heads = 1;
        }
    free(sp), free(tp), free(sl), free(tl), free(pp), free(logprob), free(att);
}
