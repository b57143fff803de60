/* text_data.c — see text_data.h. */
#include "train/text_data.h"

#include <stdio.h>
#include <stdlib.h>

#include "sys/util.h"

static TrainData to_train_data(const ParallelCorpus *c) {
    TrainData d = {.n = c->n};
    d.src = xmalloc(sizeof(int *) * (size_t)(c->n + 1));
    d.tgt = xmalloc(sizeof(int *) * (size_t)(c->n + 1));
    d.src_len = xmalloc(sizeof(int) * (size_t)(c->n + 1));
    d.tgt_len = xmalloc(sizeof(int) * (size_t)(c->n + 1));
    for (int i = 0; i < c->n; i++) {
        d.src[i] = c->pairs[i].src, d.src_len[i] = c->pairs[i].src_len;
        d.tgt[i] = c->pairs[i].tgt, d.tgt_len[i] = c->pairs[i].tgt_len;
        d.total_tgt_tokens += c->pairs[i].tgt_len + 1;
    }
    return d;
}

void text_data_load(TextData *d, const Vocab *v, const char *src, const char *tgt, int max_len, int skip_invalid,
                    int want_refs, const char *what) {
    CorpusStats st;
    d->corpus = corpus_load(v, src, tgt, max_len, skip_invalid, &st);
    Buf summary = {0};
    corpus_stats_summary(&st, &summary);
    fprintf(stderr, "%s: %s data: %s\n", program_name(), what, summary.data ? summary.data : "");
    buf_free(&summary);
    if (d->corpus->n == 0) die("%s: no usable sentence pairs in %s / %s", what, src, tgt);
    d->data = to_train_data(d->corpus);
    /* BLEU is computed against the text as the user has it */
    d->refs = want_refs ? corpus_kept_lines(d->corpus, tgt) : NULL;
}

void text_data_free(TextData *d) {
    corpus_lines_free(d->refs, d->data.n);
    free(d->data.src), free(d->data.tgt), free(d->data.src_len), free(d->data.tgt_len);
    corpus_free(d->corpus);
}
