/* fuzz_text — libFuzzer target for the text path: UTF-8 validation,
 * normalization, the reversible tokenizer, BPE learning and encoding, and
 * decoding, with the round-trip property the toolkit promises:
 *     decode(encode(x)) == normalize(x)
 * for every line x whose characters the vocabulary knows. The vocabulary is
 * learned from x itself, so that always holds. The first input byte picks
 * the settings (normalization form, case folding, word or BPE vocabulary
 * and the number of merges); the rest is the line. A violation aborts. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sys/util.h"
#include "vocab/build.h"
#include "vocab/normalize.h"
#include "vocab/tokenize.h"
#include "vocab/vocab.h"

#include "check.h"

static void count(void *ctx, const char *tok, size_t len) { word_counts_add(ctx, tok, len, 1); }

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 1) return 0;
    VocabConfig cfg;
    vocab_config_init(&cfg);
    const NormForm forms[4] = {NORM_NONE, NORM_NFC, NORM_NFKC, NORM_NFC};
    cfg.norm = forms[data[0] & 3];
    cfg.lowercase = (data[0] >> 2) & 1;
    cfg.bpe_merges = data[0] >> 3; /* 0..31; 0 = words */
    cfg.joint = 1;
    const char *text = (const char *)data + 1;
    size_t len = size - 1;
    /* the line reader splits lines at '\n' and refuses NUL: neither reaches here */
    if (memchr(text, '\n', len) || memchr(text, '\0', len)) return 0;

    int *ids = NULL;
    char err[128];
    long bad = utf8_invalid_at(text, len);
    Vocab *empty = NULL;
    if (bad >= 0) { /* encoding must refuse it, naming the same byte */
        WordCounts none[2] = {{0}, {0}};
        empty = vocab_build_from_counts(&cfg, none);
        CHECK(vocab_encode(empty, VOCAB_SRC, text, len, &ids, err, sizeof err) < 0);
        char want[64];
        snprintf(want, sizeof want, "invalid UTF-8 at byte %ld", bad + 1);
        CHECK(strcmp(err, want) == 0);
        vocab_free(empty);
        return 0;
    }
    Buf norm = {0};
    text_normalize(text, len, cfg.norm, cfg.lowercase, &norm);
    WordCounts wc[2] = {{0}, {0}};
    tok_split(norm.data, norm.len, 1, count, &wc[0]);
    Vocab *v = vocab_build_from_counts(&cfg, wc);
    int n = vocab_encode(v, VOCAB_SRC, text, len, &ids, err, sizeof err);
    CHECK(n >= 0);
    for (int i = 0; i < n; i++) CHECK(ids[i] != VOCAB_UNK && ids[i] >= VOCAB_NUM_SPECIALS);
    char *back = vocab_decode(v, VOCAB_SRC, ids, n);
    CHECK(strlen(back) == norm.len && memcmp(back, norm.data, norm.len) == 0);
    CHECK(vocab_unsafe_text(back, strlen(back)) == NULL);
    /* the same through the spelled tokens nmt-vocab --encode prints */
    Buf spelled = {0};
    buf_reserve(&spelled, 0);
    for (int i = 0; i < n; i++) {
        if (i) buf_append(&spelled, " ", 1);
        buf_puts(&spelled, vocab_token(v, VOCAB_SRC, ids[i]));
    }
    char *back2 = vocab_decode_tokens(v, VOCAB_SRC, spelled.data, spelled.len, err, sizeof err);
    CHECK(back2 && strcmp(back2, back) == 0);
    free(back);
    free(back2);
    free(ids);
    buf_free(&spelled);
    buf_free(&norm);
    word_counts_free(&wc[0]);
    word_counts_free(&wc[1]);
    vocab_free(v);
    return 0;
}
