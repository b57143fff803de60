/* guidance.c — see guidance.h. */
#include "train/guidance.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "align/pharaoh.h"
#include "sys/input.h"
#include "sys/lines.h"
#include "sys/util.h"

/* Pair i's subword links, appended to g->sub: every target piece of word
 * l.tgt with every source piece of word l.src. A word's pieces are
 * consecutive, so each link scans two spans. sw, tw: scratch of at least
 * src_len and tgt_len + 1 ints. */
static void add_pair_links(Guidance *g, size_t *n_sub, size_t *cap, const Vocab *v, const int *src, int src_len,
                           const int *tgt, int tgt_len, const AlignLink *l, size_t k_links, int *sw, int *tw) {
    vocab_word_ids(v, VOCAB_SRC, src, src_len, sw);
    vocab_word_ids(v, VOCAB_TGT, tgt, tgt_len, tw);
    for (size_t k = 0; k < k_links; k++) {
        int t0 = 0, j0 = 0;
        while (t0 < tgt_len && tw[t0] != l[k].tgt) t0++;
        while (j0 < src_len && sw[j0] != l[k].src) j0++;
        for (int t = t0; t < tgt_len && tw[t] == l[k].tgt; t++)
            for (int j = j0; j < src_len && sw[j] == l[k].src; j++) {
                if (*n_sub == *cap) *cap *= 2, g->sub = xrealloc(g->sub, sizeof(int) * 2 * *cap);
                g->sub[2 * *n_sub] = t, g->sub[2 * *n_sub + 1] = j;
                ++*n_sub;
            }
    }
}

/* g->start and g->sub for the pairs of d from g->words; g->n is d->n. */
static void segment(Guidance *g, const Vocab *v, const TrainData *d) {
    g->n = d->n;
    g->start = xrealloc(g->start, sizeof(long) * (size_t)(d->n + 1));
    size_t cap = 1024, n_sub = 0;
    g->sub = xrealloc(g->sub, sizeof(int) * 2 * cap);
    int *sw = NULL, *tw = NULL, wcap = 0;
    for (int i = 0; i < d->n; i++) {
        int need = (d->src_len[i] > d->tgt_len[i] ? d->src_len[i] : d->tgt_len[i]) + 1;
        if (need > wcap) {
            wcap = need;
            sw = xrealloc(sw, sizeof(int) * (size_t)wcap);
            tw = xrealloc(tw, sizeof(int) * (size_t)wcap);
        }
        g->start[i] = (long)n_sub;
        add_pair_links(g, &n_sub, &cap, v, d->src[i], d->src_len[i], d->tgt[i], d->tgt_len[i],
                       alignment_links(&g->words, i), alignment_count(&g->words, i), sw, tw);
    }
    g->start[d->n] = (long)n_sub;
    free(sw), free(tw);
}

void guidance_load(Guidance *g, const char *path, const Vocab *v, const ParallelCorpus *c, const char *train_src) {
    memset(g, 0, sizeof *g);
    Alignment a;
    alignment_init(&a);
    char err[1024];
    input_read(path); /* through the inputs read once: a pipe works, and the run's fingerprint has the file */
    if (alignment_read_file(&a, path, 0, 0, err, sizeof err) != 0) die("--guided-alignment %s", err);
    input_release(path);
    const long lines = count_lines(train_src);
    if (a.nsent != lines)
        die("--guided-alignment %s has %ld line%s but the training text %s has %ld: it needs one line of links per "
            "line of the training files",
            path, a.nsent, a.nsent == 1 ? "" : "s", train_src, lines);

    /* the kept pairs' word links, checked against their words */
    alignment_init(&g->words);
    int *sw = NULL, *tw = NULL, wcap = 0;
    for (int i = 0; i < c->n; i++) {
        const CorpusPair *p = &c->pairs[i];
        const long s = p->line - 1; /* the pair's sentence in the file: its line number */
        int need = (p->src_len > p->tgt_len ? p->src_len : p->tgt_len) + 1;
        if (need > wcap) {
            wcap = need;
            sw = xrealloc(sw, sizeof(int) * (size_t)wcap);
            tw = xrealloc(tw, sizeof(int) * (size_t)wcap);
        }
        const int Ws = vocab_word_ids(v, VOCAB_SRC, p->src, p->src_len, sw);
        const int Wt = vocab_word_ids(v, VOCAB_TGT, p->tgt, p->tgt_len, tw);
        if (alignment_check_sentence(&a, s, Ws, Wt, 0, err, sizeof err) != 0)
            die("--guided-alignment %s:%ld: %s (words of the training pair on that line)", path, p->line, err);
        const AlignLink *l = alignment_links(&a, s);
        const size_t k_links = alignment_count(&a, s);
        if (k_links == 0) g->unlinked++;
        g->word_links += (long)k_links;
        alignment_begin(&g->words);
        for (size_t k = 0; k < k_links; k++) alignment_add(&g->words, l[k].src, l[k].tgt, l[k].possible);
        alignment_finish(&g->words);
    }
    free(sw), free(tw);
    alignment_free(&a);
    TrainData d = train_data_from_corpus(c);
    segment(g, v, &d);
    train_data_free_views(&d);
}

void guidance_resegment(Guidance *out, const Guidance *g, const Vocab *v, const TrainData *d) {
    if (!out->borrowed) { /* first call: share g's word links */
        memset(out, 0, sizeof *out);
        out->words = g->words;
        out->borrowed = 1;
        out->unlinked = g->unlinked, out->word_links = g->word_links;
    }
    segment(out, v, d);
}

void guidance_free(Guidance *g) {
    free(g->start), free(g->sub);
    if (!g->borrowed) alignment_free(&g->words);
    memset(g, 0, sizeof *g);
}

void guidance_fill(const Guidance *g, Batch *b, const int *idx, int count) {
    float *guide = batch_guide_begin(b);
    const int B = b->B, Ts = b->Ts;
    for (int r = 0; r < count; r++) {
        const int i = idx[r];
        for (long k = g->start[i]; k < g->start[i + 1]; k++) {
            const int t = g->sub[2 * k], j = g->sub[2 * k + 1];
            guide[((size_t)t * B + r) * Ts + j] += 1.0f;
        }
    }
    /* each guided row to a distribution; empty rows stay 0 (no guidance) */
    for (int t = 0; t < b->Tt; t++)
        for (int r = 0; r < count; r++) {
            float *row = guide + ((size_t)t * B + r) * Ts, sum = 0.0f;
            for (int j = 0; j < Ts; j++) sum += row[j];
            if (sum > 0.0f)
                for (int j = 0; j < Ts; j++) row[j] /= sum;
        }
}

float guidance_weight(const TrainOptions *o, long update) {
    const long steps = o->guide_decay_every > 0 ? update / o->guide_decay_every : 0;
    return (float)(o->guide_weight * pow(o->guide_decay, (double)steps));
}

GuideTarget guidance_target(const TrainOptions *o, const ModelConfig *cfg) {
    switch (o->guide_target) {
    case TRAIN_GUIDE_LAYER: return GUIDE_TARGET_LAYER;
    case TRAIN_GUIDE_DECODER: return GUIDE_TARGET_DECODER;
    case TRAIN_GUIDE_BOTH: return GUIDE_TARGET_BOTH;
    default: return cfg->alignment_layer ? GUIDE_TARGET_LAYER : GUIDE_TARGET_DECODER;
    }
}
