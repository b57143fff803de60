/* text_data.c — see text_data.h. */
#include "train/text_data.h"

#include <stdio.h>
#include <stdlib.h>

#include "sys/util.h"

void text_data_load(TextData *d, const Vocab *v, const char *src, const char *tgt, int max_len, int skip_invalid,
                    int want_refs, const char *what) {
    CorpusStats st;
    d->corpus = corpus_load(v, src, tgt, max_len, skip_invalid, &st);
    Buf summary = {0};
    corpus_stats_summary(&st, &summary);
    fprintf(stderr, "%s: %s data: %s\n", program_name(), what, summary.data ? summary.data : "");
    buf_free(&summary);
    if (d->corpus->n == 0) die("%s: no usable sentence pairs in %s / %s", what, src, tgt);
    d->data = train_data_from_corpus(d->corpus);
    /* BLEU is computed against the text as the user has it */
    d->refs = want_refs ? corpus_kept_lines(d->corpus, tgt) : NULL;
}

void text_data_free(TextData *d) {
    corpus_lines_free(d->refs, d->data.n);
    train_data_free_views(&d->data);
    corpus_free(d->corpus);
}
