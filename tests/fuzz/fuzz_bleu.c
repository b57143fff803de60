/* fuzz_bleu — libFuzzer target for BLEU's text processing: UTF-8
 * validation, sacreBLEU's 13a tokenization, Python-compatible lowercasing
 * and the n-gram statistics. The input is a hypothesis and a reference
 * separated by the first newline.
 *
 * Properties: the BLEU and the vocabulary validators agree on what is
 * valid UTF-8 (and where it first fails); tokens are separated by single
 * spaces with none at either end, and stay valid UTF-8; a hypothesis scored
 * against itself matches every one of its n-grams; the score is 0..100. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "eval/bleu.h"
#include "sys/util.h"
#include "vocab/normalize.h"

#include "check.h"

static void check_tokens(const char *text, size_t len) {
    Buf tok = {0};
    bleu_tokenize_13a(text, len, &tok);
    CHECK(bleu_utf8_invalid_at(tok.data, tok.len) == 0);
    if (tok.len) CHECK(tok.data[0] != ' ' && tok.data[tok.len - 1] != ' ');
    for (size_t i = 1; i < tok.len; i++) CHECK(!(tok.data[i] == ' ' && tok.data[i - 1] == ' '));
    Buf low = {0};
    CHECK(bleu_lowercase(text, len, &low) == 0);
    CHECK(bleu_utf8_invalid_at(low.data ? low.data : "", low.len) == 0);
    buf_free(&tok);
    buf_free(&low);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    const char *text = (const char *)data;
    size_t bad = bleu_utf8_invalid_at(text, size);
    long bad2 = utf8_invalid_at(text, size);
    CHECK(bad == (size_t)(bad2 + 1)); /* 0 and -1 for valid text */
    if (bad) return 0;
    const char *nl = memchr(text, '\n', size);
    size_t hl = nl ? (size_t)(nl - text) : size;
    const char *ref = nl ? nl + 1 : text;
    size_t rl = nl ? size - hl - 1 : size;
    check_tokens(text, hl);
    check_tokens(ref, rl);
    for (int lc = 0; lc < 2; lc++) {
        BleuStats s;
        bleu_stats_init(&s, lc);
        char err[256];
        size_t lens[1] = {rl};
        const char *refs[1] = {ref};
        if (bleu_stats_add_n(&s, text, hl, refs, lens, 1, err, sizeof err) == 0) {
            BleuResult r;
            bleu_compute(&s, &r);
            CHECK(r.score >= 0.0 && r.score <= 100.0 + 1e-9 && !isnan(r.score));
        }
        bleu_stats_free(&s);
        /* the hypothesis as its own reference: every n-gram matches */
        bleu_stats_init(&s, lc);
        refs[0] = text, lens[0] = hl;
        if (bleu_stats_add_n(&s, text, hl, refs, lens, 1, err, sizeof err) == 0)
            for (int k = 0; k < BLEU_MAX_ORDER; k++) CHECK(s.correct[k] == s.total[k]);
        bleu_stats_free(&s);
    }
    return 0;
}
