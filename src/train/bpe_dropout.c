/* bpe_dropout.c — see bpe_dropout.h. */
#include "train/bpe_dropout.h"

#include <stdlib.h>
#include <string.h>

#include "nn/rng.h"
#include "sys/util.h"

void bpe_dropout_open(BpeDropout *bd, const Vocab *v, float p, uint64_t seed, int max_len, const ParallelCorpus *c,
                      const char *src_path, const char *tgt_path) {
    memset(bd, 0, sizeof *bd);
    bd->vocab = v, bd->p = p, bd->seed = seed, bd->max_len = max_len, bd->n = c->n, bd->corpus = c;
    bd->text[0] = corpus_kept_lines(c, src_path);
    bd->text[1] = corpus_kept_lines(c, tgt_path);
    bd->epoch = train_data_from_corpus(c); /* views each epoch repoints */
}

/* The seed of one pair's segmentation in one epoch (the vocabulary draws
 * a stream per side from it). */
static uint64_t pair_seed(uint64_t seed, int epoch, long line) {
    Rng r;
    rng_seed(&r, seed ^ 0x6270652d64726f70ull /* "bpe-drop" */, (uint64_t)epoch << 40 ^ (uint64_t)line);
    return rng_next(&r);
}

const TrainData *bpe_dropout_epoch(BpeDropout *bd, const TrainData *base, int epoch) {
    const int n = bd->n;
    int **seq = xmalloc(2 * (size_t)(n ? n : 1) * sizeof *seq), *len = xmalloc(2 * (size_t)(n ? n : 1) * sizeof *len);
#pragma omp parallel for schedule(dynamic, 64)
    for (int i = 0; i < 2 * n; i++) { /* i: pair i >> 1, side i & 1 */
        int s = i & 1, k = i >> 1;
        char err[64];
        const char *text = bd->text[s][k];
        len[i] = vocab_encode_sampled(bd->vocab, (VocabSide)s, text, strlen(text), bd->p,
                                      pair_seed(bd->seed, epoch, bd->corpus->pairs[k].line), &seq[i], err, sizeof err);
        if (len[i] < 0) die("internal error: %s after loading", err); /* the text was encoded once already */
    }
    size_t total = 0;
    for (int i = 0; i < 2 * n; i++) total += (size_t)len[i];
    if (total > bd->cap_ids) {
        free(bd->ids);
        bd->cap_ids = total;
        bd->ids = xmalloc((total ? total : 1) * sizeof *bd->ids);
    }
    TrainData *d = &bd->epoch;
    const int **src = d->src, **tgt = d->tgt;
    int *src_len = d->src_len, *tgt_len = d->tgt_len;
    *d = *base; /* the guidance and whatever else base carries */
    d->src = src, d->tgt = tgt, d->src_len = src_len, d->tgt_len = tgt_len;
    d->total_tgt_tokens = 0;
    size_t at = 0;
    for (int k = 0; k < n; k++) {
        for (int s = 0; s < 2; s++) {
            const int *ids = seq[2 * k + s];
            int m = len[2 * k + s];
            if (bd->max_len > 0 && m > bd->max_len) { /* the full segmentation, which fits */
                ids = s ? base->tgt[k] : base->src[k];
                m = s ? base->tgt_len[k] : base->src_len[k];
            }
            memcpy(bd->ids + at, ids, (size_t)m * sizeof *ids);
            if (s) d->tgt[k] = bd->ids + at, d->tgt_len[k] = m;
            else d->src[k] = bd->ids + at, d->src_len[k] = m;
            at += (size_t)m;
            free(seq[2 * k + s]);
        }
        d->total_tgt_tokens += d->tgt_len[k] + 1;
    }
    free(seq);
    free(len);
    if (base->guide) {
        guidance_resegment(&bd->guide, base->guide, bd->vocab, d);
        d->guide = &bd->guide;
    }
    return d;
}

void bpe_dropout_close(BpeDropout *bd) {
    corpus_lines_free(bd->text[0], bd->n);
    corpus_lines_free(bd->text[1], bd->n);
    train_data_free_views(&bd->epoch);
    free(bd->ids);
    if (bd->guide.borrowed) guidance_free(&bd->guide);
    memset(bd, 0, sizeof *bd);
}
