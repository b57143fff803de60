/* vocab_helpers.h — shared by the vocabulary tests: pre-tokenizing,
 * building a vocabulary from strings, round trips, normalizing, writing
 * scratch files. */
#ifndef NMT_VOCAB_HELPERS_H
#define NMT_VOCAB_HELPERS_H

#include <stdint.h>
#include <unistd.h>
#include <utf8proc.h>

#include "nn/rng.h"
#include "sys/util.h"
#include "test.h"
#include "sys/lines.h"
#include "vocab/bpe.h"
#include "vocab/build.h"
#include "vocab/corpus.h"
#include "vocab/normalize.h"
#include "vocab/tokenize.h"
#include "vocab/vocab.h"


static inline void collect(void *ctx, const char *tok, size_t len) {
    Buf *b = ctx;
    if (b->len) buf_append(b, " ", 1);
    buf_append(b, tok, len);
}

/* Pre-tokens of text (normalized NFC), joined by single spaces. */
static inline char *pretokens(const char *text) {
    Buf norm = {0}, out = {0};
    text_normalize(text, strlen(text), NORM_NFC, 0, &norm);
    buf_reserve(&out, 0);
    out.data[0] = '\0';
    tok_split(norm.data, norm.len, 0, collect, &out);
    buf_free(&norm);
    return out.data;
}

static inline void count_into(void *ctx, const char *tok, size_t len) { word_counts_add(ctx, tok, len, 1); }

/* A vocabulary learned from texts (used for both sides). */
static inline Vocab *vocab_from_texts(const char *const *texts, const size_t *lens, int n, const VocabConfig *cfg) {
    WordCounts wc[2];
    memset(wc, 0, sizeof wc);
    Buf norm = {0};
    for (int i = 0; i < n; i++) {
        text_normalize(texts[i], lens[i], cfg->norm, cfg->lowercase, &norm);
        for (int s = 0; s < 2; s++) tok_split(norm.data, norm.len, 1, count_into, &wc[s]);
    }
    buf_free(&norm);
    Vocab *v = vocab_build_from_counts(cfg, wc);
    word_counts_free(&wc[0]);
    word_counts_free(&wc[1]);
    return v;
}

static inline char *roundtrip(const Vocab *v, VocabSide side, const char *text, size_t len) {
    int *ids;
    char err[128];
    int n = vocab_encode(v, side, text, len, &ids, err, sizeof err);
    if (n < 0) return NULL;
    char *out = vocab_decode(v, side, ids, n);
    free(ids);
    return out;
}

static inline char *normalized(const char *text, size_t len, NormForm f, int fold) {
    Buf b = {0};
    text_normalize(text, len, f, fold, &b);
    if (!b.data) buf_reserve(&b, 0), b.data[0] = '\0';
    return b.data;
}

static inline void write_text(const char *path, const char *data, size_t len) {
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(data, 1, len, f) != len || fclose(f) != 0) die("cannot write %s", path);
}


/* Count the pre-tokens of every line of a file (and keep its normalized text). */
static inline void count_file(const char *path, WordCounts *wc, Buf *norm) {
    LineReader r;
    if (linereader_open(&r, path) != 0) die("cannot open %s", path);
    while (linereader_next(&r)) {
        text_normalize(r.line, r.len, NORM_NFC, 0, norm);
        tok_split(norm->data, norm->len, 1, count_into, wc);
    }
    linereader_close(&r);
}

#endif
