/* Tests for src/vocab: normalization, reversible tokenization, BPE learning
 * and application, the vocabulary file, and corpus loading. */
#include <stdint.h>
#include <unistd.h>
#include <utf8proc.h>

#include "core/rng.h"
#include "core/util.h"
#include "test.h"
#include "vocab/bpe.h"
#include "vocab/build.h"
#include "vocab/corpus.h"
#include "vocab/normalize.h"
#include "vocab/tokenize.h"
#include "vocab/vocab.h"

/* ---- helpers ---- */

static void collect(void *ctx, const char *tok, size_t len) {
    Buf *b = ctx;
    if (b->len) buf_append(b, " ", 1);
    buf_append(b, tok, len);
}

/* Pre-tokens of text (normalized NFC), joined by single spaces. */
static char *pretokens(const char *text) {
    Buf norm = {0}, out = {0};
    text_normalize(text, strlen(text), NORM_NFC, 0, &norm);
    buf_reserve(&out, 0);
    out.data[0] = '\0';
    tok_split(norm.data, norm.len, 0, collect, &out);
    buf_free(&norm);
    return out.data;
}

static void count_into(void *ctx, const char *tok, size_t len) { word_counts_add(ctx, tok, len, 1); }

/* A vocabulary learned from texts (used for both sides). */
static Vocab *vocab_from_texts(const char *const *texts, const size_t *lens, int n, const VocabConfig *cfg) {
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

static char *roundtrip(const Vocab *v, VocabSide side, const char *text, size_t len) {
    int *ids;
    char err[128];
    int n = vocab_encode(v, side, text, len, &ids, err, sizeof err);
    if (n < 0) return NULL;
    char *out = vocab_decode(v, side, ids, n);
    free(ids);
    return out;
}

static char *normalized(const char *text, size_t len, NormForm f, int fold) {
    Buf b = {0};
    text_normalize(text, len, f, fold, &b);
    if (!b.data) buf_reserve(&b, 0), b.data[0] = '\0';
    return b.data;
}

static void write_text(const char *path, const char *data, size_t len) {
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(data, 1, len, f) != len || fclose(f) != 0) die("cannot write %s", path);
}

/* ---- normalization ---- */

static void test_utf8_validation(void) {
    EXPECT(utf8_invalid_at("plain", 5) == -1);
    EXPECT(utf8_invalid_at("caf\xC3\xA9", 5) == -1);
    EXPECT(utf8_invalid_at("ab\xFF", 3) == 2);
    EXPECT(utf8_invalid_at("ab\xC3", 3) == 2);             /* truncated sequence */
    EXPECT(utf8_invalid_at("\xC0\xAF", 2) == 0);           /* overlong '/' */
    EXPECT(utf8_invalid_at("x\xED\xA0\x80", 4) == 1);      /* surrogate */
    EXPECT(utf8_invalid_at("\xF4\x90\x80\x80", 4) == 0);   /* past U+10FFFF */
    EXPECT(utf8_invalid_at("\xF0\x9F\x98\x80", 4) == -1);  /* emoji */
}

static void test_normal_forms(void) {
    char *s = normalized("e\xCC\x81", 3, NORM_NFC, 0); /* e + combining acute -> é */
    EXPECT_STR(s, "\xC3\xA9");
    free(s);
    s = normalized("\xEF\xAC\x81", 3, NORM_NFC, 0); /* the fi ligature stays in NFC */
    EXPECT_STR(s, "\xEF\xAC\x81");
    free(s);
    s = normalized("\xEF\xAC\x81", 3, NORM_NFKC, 0);
    EXPECT_STR(s, "fi");
    free(s);
    s = normalized("e\xCC\x81", 3, NORM_NONE, 0);
    EXPECT_STR(s, "e\xCC\x81");
    free(s);
    s = normalized("\xC3\x84rger STRA\xC3\x9F" "E \xCE\xA3", 17, NORM_NFC, 1); /* Ärger STRAßE Σ */
    EXPECT_STR(s, "\xC3\xA4rger strasse \xCF\x83");
    free(s);
    s = normalized("ABC def", 7, NORM_NFC, 1);
    EXPECT_STR(s, "abc def");
    free(s);
    /* NUL bytes inside a line are characters like any other. */
    s = normalized("a\0\xC3\xA9", 4, NORM_NFC, 0);
    EXPECT(s[0] == 'a' && s[1] == '\0' && memcmp(s + 2, "\xC3\xA9", 2) == 0);
    free(s);
}

/* The characters normalize.c passes through without utf8proc really are
 * unchanged by NFC next to each other and next to any ASCII character. */
static void test_nfc_fast_path_agrees_with_utf8proc(void) {
    int32_t cps[1024];
    int n = 0;
    for (int32_t c = 0x20; c < 0x7F; c++) cps[n++] = c;
    for (int32_t c = 0x80; c < 0x3000 && n < 1024; c++)
        if (nfc_fast_stable(c)) cps[n++] = c;
    EXPECT(n > 500 && n < 1024);
    int bad = 0;
    for (int i = 0; i < n; i++)
        for (int j = 0; j < n; j++) {
            if (cps[i] < 0x80 && cps[j] < 0x80) continue;
            utf8proc_uint8_t in[16];
            utf8proc_ssize_t k = utf8proc_encode_char(cps[i], in);
            k += utf8proc_encode_char(cps[j], in + k);
            utf8proc_uint8_t *out = NULL;
            utf8proc_ssize_t m = utf8proc_map(in, k, &out, UTF8PROC_STABLE | UTF8PROC_COMPOSE);
            if (m != k || memcmp(in, out, (size_t)k) != 0) {
                if (bad++ < 3) fprintf(stderr, "  NFC changes U+%04X U+%04X\n", (unsigned)cps[i], (unsigned)cps[j]);
            }
            free(out);
        }
    EXPECT(bad == 0);
}

/* ---- tokenization ---- */

static void test_pretokenization(void) {
    char *t = pretokens("Hello, world!");
    EXPECT_STR(t, "\xE2\x96\x81Hello , \xE2\x96\x81world !"); /* the line starts as after a space */
    free(t);
    t = pretokens("  two  spaces ");
    EXPECT_STR(t, "\xE2\x96\x81 \xE2\x96\x81 \xE2\x96\x81two \xE2\x96\x81 \xE2\x96\x81spaces \xE2\x96\x81");
    free(t);
    t = pretokens("a\tb\xC2\xA0" "c"); /* tab and NBSP are tokens of their own */
    EXPECT_STR(t, "\xE2\x96\x81" "a \\t b \xC2\xA0 c");
    free(t);
    t = pretokens("x \\ \xE2\x96\x81 2016"); /* backslash and a literal U+2581 are escaped; digits kept */
    EXPECT_STR(t, "\xE2\x96\x81x \xE2\x96\x81\\\\ \xE2\x96\x81\\\xE2\x96\x81 \xE2\x96\x81" "2016");
    free(t);
    t = pretokens("e\xCC\x81t\xC3\xA9"); /* a combining mark stays with its base (and NFC composes) */
    EXPECT_STR(t, "\xE2\x96\x81\xC3\xA9t\xC3\xA9");
    free(t);
    t = pretokens("\xF0\x9F\x91\xA8\xE2\x80\x8D\xF0\x9F\x91\xA9 ok"); /* man ZWJ woman: one symbol */
    EXPECT_STR(t, "\xE2\x96\x81\xF0\x9F\x91\xA8\xE2\x80\x8D\xF0\x9F\x91\xA9 \xE2\x96\x81ok");
    free(t);
    t = pretokens("a\x01" "b\x7F");
    EXPECT_STR(t, "\xE2\x96\x81" "a \\x01 b \\x7F");
    free(t);
}

static void test_atoms_and_unspell(void) {
    Buf out = {0};
    tok_split(" ab", 3, 1, collect, &out);
    /* the line's own prefix space, then the marker of " ab" as an atom of its own */
    EXPECT_STR(out.data, "\xE2\x96\x81 \xE2\x96\x81\x01" "a\x01" "b");
    out.len = 0;
    tok_unspell("\xE2\x96\x81" "a\\t\\\\\\\xE2\x96\x81\\x00\\q", 18, &out);
    EXPECT(out.len == 10 && memcmp(out.data, " a\t\\\xE2\x96\x81\0\\q", 10) == 0);
    buf_free(&out);
    EXPECT(text_is_blank(" \t\xC2\xA0\xE3\x80\x80", 7));
    EXPECT(!text_is_blank(" . ", 3));
    EXPECT(text_is_blank("", 0));
}

/* Random text from characters that stress the tokenizer. */
static size_t random_text(Rng *r, char *buf, size_t cap) {
    static const char *const pool[] = {
        "a", "b", "z", "Q", "0", "7", " ", " ", " ", "  ", "\t", "\xC2\xA0", ".", ",", "!", "'", "\"", "-", "(", "\\",
        "\xE2\x96\x81", "\x01", "\x7F", "\r", "\v",
        "\xCC\x81", "\xCC\x88", "e\xCC\x81", "\xC3\xA9", "\xC3\x9F",           /* combining marks, precomposed */
        "\xF0\x9F\x98\x80", "\xF0\x9F\x91\x8D\xF0\x9F\x8F\xBD",                 /* emoji, with a skin tone */
        "\xF0\x9F\x91\xA8\xE2\x80\x8D\xF0\x9F\x91\xA9\xE2\x80\x8D\xF0\x9F\x91\xA7", /* family ZWJ sequence */
        "\xF0\x9F\x87\xA9\xF0\x9F\x87\xAA",                                     /* flag */
        "\xD7\xA9\xD7\x9C\xD7\x95\xD7\x9D", "\xD8\xB3\xD9\x84\xD8\xA7\xD9\x85", /* Hebrew, Arabic */
        "\xE2\x80\x8F", "\xE2\x80\x8E",                                         /* RLM, LRM */
        "\xE2\x80\x8D", "\xE2\x80\x8C", "\xE2\x80\x8B", "\xEF\xBB\xBF",         /* ZWJ, ZWNJ, ZWSP, BOM */
        "\xE0\xA4\x95\xE0\xA5\x8D\xE0\xA4\xB7", "\xE4\xB8\xAD\xE6\x96\x87",     /* Devanagari, CJK */
        "\xE1\x84\x80\xE1\x85\xA1", "\xEF\xAC\x81", "\xE2\x80\xA8", "\xE3\x80\x80", /* jamo, ligature, LS, ideographic space */
        "\xEF\xBF\xBD", "\xF3\xA0\x80\x81",
    };
    size_t n = 0, k = rng_below(r, 24);
    for (size_t i = 0; i < k; i++) {
        const char *p = pool[rng_below(r, sizeof pool / sizeof pool[0])];
        size_t l = strlen(p);
        if (n + l >= cap) break;
        memcpy(buf + n, p, l);
        n += l;
    }
    if (rng_below(r, 8) == 0 && n + 1 < cap) buf[n++] = '\0'; /* a NUL byte now and then */
    buf[n] = '\0';
    return n;
}

static void check_random_roundtrips(NormForm form, int fold, int bpe) {
    enum { N = 3000 };
    static char texts[N][256];
    const char *ptr[N];
    size_t lens[N];
    Rng r;
    rng_seed(&r, 7, (uint64_t)(form * 4 + fold * 2 + bpe));
    for (int i = 0; i < N; i++) {
        lens[i] = random_text(&r, texts[i], sizeof texts[i]);
        ptr[i] = texts[i];
    }
    VocabConfig cfg;
    vocab_config_init(&cfg);
    cfg.norm = form;
    cfg.lowercase = fold;
    cfg.bpe_merges = bpe ? 300 : 0;
    Vocab *v = vocab_from_texts(ptr, lens, N, &cfg);
    int bad = 0, bad_tokens = 0;
    for (int i = 0; i < N; i++) {
        char *want = normalized(texts[i], lens[i], form, fold);
        size_t wlen = 0;
        Buf wb = {0};
        text_normalize(texts[i], lens[i], form, fold, &wb);
        wlen = wb.len;
        buf_free(&wb);
        char *got = roundtrip(v, VOCAB_SRC, texts[i], lens[i]);
        /* decode returns a C string: compare up to the first NUL of the expected text */
        if (!got || strlen(got) != strnlen(want, wlen) || memcmp(got, want, strlen(got)) != 0) {
            if (bad++ < 3) fprintf(stderr, "  round trip of line %d: got '%s', want '%s'\n", i, got ? got : "(err)", want);
        }
        free(got);
        free(want);
    }
    for (int id = 0; id < vocab_size(v, VOCAB_SRC); id++)
        for (const unsigned char *p = (const unsigned char *)vocab_token(v, VOCAB_SRC, id); *p; p++)
            bad_tokens += *p <= ' ' || *p == 0x7F;
    EXPECT_MSG(bad == 0, "%d of %d random lines did not round-trip", bad, N);
    EXPECT_MSG(bad_tokens == 0, "%d tokens hold a space or control byte", bad_tokens);
    vocab_free(v);
}

static void test_random_unicode_roundtrip_bpe_nfc(void) { check_random_roundtrips(NORM_NFC, 0, 1); }
static void test_random_unicode_roundtrip_bpe_nfkc_lowercase(void) { check_random_roundtrips(NORM_NFKC, 1, 1); }
static void test_random_unicode_roundtrip_words_none(void) { check_random_roundtrips(NORM_NONE, 0, 0); }

/* Whole-string round trip at the token level, NUL bytes included. */
static void test_tokens_roundtrip_exact_bytes(void) {
    Rng r;
    rng_seed(&r, 11, 0);
    char text[256];
    int bad = 0;
    for (int i = 0; i < 5000; i++) {
        size_t n = random_text(&r, text, sizeof text);
        Buf norm = {0}, toks = {0}, back = {0};
        text_normalize(text, n, NORM_NFC, 0, &norm);
        tok_split(norm.data ? norm.data : "", norm.len, 1, collect, &toks);
        /* unspell each token (they are joined by spaces in toks) */
        size_t s = 0;
        while (toks.data && s < toks.len) {
            size_t e = s;
            while (e < toks.len && toks.data[e] != ' ') e++;
            tok_unspell(toks.data + s, e - s, &back);
            s = e + 1;
        }
        /* the tokens spell " " + text: the line starts as after a space */
        if (norm.len && (back.len != norm.len + 1 || back.data[0] != ' ' ||
                         memcmp(back.data + 1, norm.data, norm.len) != 0))
            bad++;
        if (!norm.len && back.len) bad++;
        buf_free(&norm);
        buf_free(&toks);
        buf_free(&back);
    }
    EXPECT_MSG(bad == 0, "%d texts changed through tokenize/detokenize", bad);
}

/* ---- BPE ---- */

static void learn(const char *const *words, const int64_t *counts, size_t n, int merges, BpeModel *m) {
    bpe_learn(words, counts, n, ' ', merges, m);
}

static void merges_as_text(const BpeModel *m, Buf *out) {
    out->len = 0;
    buf_reserve(out, 0);
    out->data[0] = '\0';
    for (int k = 0; k < m->nmerges; k++)
        buf_printf(out, "%s%s+%s", k ? " " : "", strtab_str(&m->syms, m->left[k]), strtab_str(&m->syms, m->right[k]));
}

static void test_bpe_hand_worked_example(void) {
    /* Sennrich et al.'s example. Pair counts at the start: e+s 9, s+t 9,
     * w+e 8, l+o 7, o+w 7, n+e 6, e+w 6, ... The 9s tie: e < s, so e+s
     * first. Later ties: l+o before o+w; e+w before n+e and w+est (e < n < w);
     * ew+est before n+ew; d+est before i+d and w+i; e+r before low+e. */
    const char *words[] = {"l o w", "l o w e r", "n e w e s t", "w i d e s t"};
    const int64_t counts[] = {5, 2, 6, 3};
    BpeModel m;
    learn(words, counts, 4, 100, &m);
    Buf b = {0};
    merges_as_text(&m, &b);
    EXPECT_STR(b.data, "e+s es+t l+o lo+w e+w ew+est n+ewest d+est i+dest w+idest e+r low+er");
    EXPECT(m.natoms == 10);
    /* Every word ends as one symbol, counted with its word's count. */
    const char *whole[] = {"low", "lower", "newest", "widest"};
    for (int i = 0; i < 4; i++) {
        int id = strtab_find(&m.syms, whole[i], strlen(whole[i]));
        EXPECT(id >= 0 && m.count[id] == counts[i]);
    }
    bpe_model_free(&m);
    /* The word order does not matter; a merge limit cuts the list. */
    const char *rev[] = {"w i d e s t", "n e w e s t", "l o w e r", "l o w"};
    const int64_t rcounts[] = {3, 6, 2, 5};
    learn(rev, rcounts, 4, 4, &m);
    merges_as_text(&m, &b);
    EXPECT_STR(b.data, "e+s es+t l+o lo+w");
    bpe_model_free(&m);
    buf_free(&b);
}

static void test_bpe_overlapping_pairs_and_stop(void) {
    /* "a a a a a": a+a merges left to right into "aa aa a"; then aa+a and
     * aa+aa tie at 2 and "a" < "aa" picks aa+a; then aa+aaa. */
    const char *words[] = {"a a a a a", "x y"};
    const int64_t counts[] = {2, 1};
    BpeModel m;
    learn(words, counts, 2, 100, &m);
    Buf b = {0};
    merges_as_text(&m, &b);
    EXPECT_STR(b.data, "a+a aa+a aa+aaa"); /* x+y occurs once: not merged */
    int id = strtab_find(&m.syms, "aaaaa", 5);
    EXPECT(id >= 0 && m.count[id] == 2);
    bpe_model_free(&m);
    buf_free(&b);
}

/* Applying the learned merges to every training word gives exactly the
 * segmentation learning ended with: same symbol counts. */
static void check_apply_matches_learning(const char *const *words, const int64_t *counts, size_t n, int merges) {
    BpeModel m;
    bpe_learn(words, counts, n, ' ', merges, &m);
    BpeRanks r = {0};
    r.n = m.nmerges;
    r.result = m.result;
    for (int k = 0; k < m.nmerges; k++) u64map_put(&r.rank, u64_pair(m.left[k], m.right[k]), k);
    int64_t *got = xcalloc((size_t)m.syms.n, sizeof *got);
    for (size_t w = 0; w < n; w++) {
        int k = 0;
        const char *s = words[w];
        int *ids = xmalloc((strlen(s) + 1) * sizeof *ids);
        for (;;) {
            const char *e = strchr(s, ' ');
            size_t l = e ? (size_t)(e - s) : strlen(s);
            ids[k++] = strtab_find(&m.syms, s, l);
            if (!e) break;
            s = e + 1;
        }
        k = bpe_apply(&r, ids, k);
        for (int i = 0; i < k; i++) got[ids[i]] += counts[w];
        free(ids);
    }
    int diff = 0;
    for (int i = 0; i < m.syms.n; i++) diff += got[i] != m.count[i];
    EXPECT_MSG(diff == 0, "%d symbols counted differently after applying %d merges", diff, m.nmerges);
    EXPECT(m.nmerges > 0);
    free(got);
    u64map_free(&r.rank);
    bpe_model_free(&m);
}

static void test_bpe_apply_matches_learning_random(void) {
    enum { N = 4000 };
    static char buf[N][64];
    const char *words[N];
    int64_t counts[N];
    Rng r;
    rng_seed(&r, 3, 0);
    for (int i = 0; i < N; i++) {
        int len = 1 + (int)rng_below(&r, 12), p = 0;
        for (int j = 0; j < len; j++) {
            if (j) buf[i][p++] = ' ';
            buf[i][p++] = "aabbbcd"[rng_below(&r, 7)]; /* few letters: many repeats, overlaps, ties */
        }
        buf[i][p] = '\0';
        words[i] = buf[i];
        counts[i] = 1 + rng_below(&r, 5);
    }
    /* Duplicate words are allowed in the input; make them unique as callers do. */
    StrTable seen = {0};
    int n = 0;
    for (int i = 0; i < N; i++) {
        int added;
        strtab_intern(&seen, words[i], strlen(words[i]), &added);
        if (added) words[n] = words[i], counts[n++] = counts[i];
    }
    strtab_free(&seen);
    check_apply_matches_learning(words, counts, (size_t)n, 500);
}

static void test_bpe_long_word(void) {
    /* One 200,000-atom word: learning and applying stay fast (no rescans). */
    size_t n = 200000;
    char *w = xmalloc(2 * n);
    for (size_t i = 0; i < n; i++) w[2 * i] = "abcab"[i % 5], w[2 * i + 1] = ' ';
    w[2 * n - 1] = '\0';
    const char *words[] = {w};
    const int64_t counts[] = {1};
    double t = now_seconds();
    check_apply_matches_learning(words, counts, 1, 50);
    EXPECT_MSG(now_seconds() - t < 20, "took %.1f s", now_seconds() - t);
    free(w);
}

/* ---- vocabulary ---- */

static Vocab *small_vocab(int bpe, int lowercase, long min_count) {
    const char *texts[] = {"The cat sat on the mat.", "the cat ran", "A dog sat on the cat!", "the the the cat"};
    size_t lens[4];
    for (int i = 0; i < 4; i++) lens[i] = strlen(texts[i]);
    VocabConfig cfg;
    vocab_config_init(&cfg);
    cfg.bpe_merges = bpe;
    cfg.lowercase = lowercase;
    cfg.min_count = min_count;
    return vocab_from_texts(texts, lens, 4, &cfg);
}

static void test_specials_and_words(void) {
    Vocab *v = small_vocab(0, 0, 2);
    EXPECT_STR(vocab_token(v, VOCAB_SRC, VOCAB_PAD), "<pad>");
    EXPECT_STR(vocab_token(v, VOCAB_TGT, VOCAB_UNK), "<unk>");
    EXPECT_STR(vocab_token(v, VOCAB_SRC, VOCAB_BOS), "<s>");
    EXPECT_STR(vocab_token(v, VOCAB_SRC, VOCAB_EOS), "</s>");
    /* ▁cat (4x) and ▁the (4x: "the" at a line start has no marker) are kept; dog (1x) is not. */
    int cat = vocab_token_id(v, VOCAB_SRC, "\xE2\x96\x81" "cat", 6);
    EXPECT(cat >= VOCAB_NUM_SPECIALS && vocab_token_count(v, VOCAB_SRC, cat) == 4);
    EXPECT(vocab_token_id(v, VOCAB_SRC, "\xE2\x96\x81" "dog", 6) < 0);
    char *s = roundtrip(v, VOCAB_SRC, "the dog sat", 11);
    EXPECT_STR(s, "the <unk> sat"); /* the space before an unknown word survives */
    free(s);
    int *ids;
    char err[64];
    int n = vocab_encode(v, VOCAB_SRC, "the dog", 7, &ids, err, sizeof err);
    EXPECT(n == 3 && ids[1] == vocab_token_id(v, VOCAB_SRC, "\xE2\x96\x81", 3) && ids[2] == VOCAB_UNK);
    free(ids);
    /* decode skips <pad> and <s>, stops at </s> */
    int seq[] = {VOCAB_BOS, cat, VOCAB_PAD, cat, VOCAB_EOS, cat};
    s = vocab_decode(v, VOCAB_SRC, seq, 6);
    EXPECT_STR(s, "cat cat"); /* the leading marker is the line's prefix, not the user's space */
    free(s);
    vocab_free(v);
}

static void test_bpe_unknown_characters(void) {
    Vocab *v = small_vocab(20, 0, 1);
    char *s = roundtrip(v, VOCAB_SRC, "the rat sat", 11); /* "rat" was never seen, its letters were */
    EXPECT_STR(s, "the rat sat");
    free(s);
    s = roundtrip(v, VOCAB_SRC, "the \xE2\x82\xAC cat", 11); /* the euro sign was never seen */
    EXPECT_STR(s, "the <unk> cat");
    free(s);
    EXPECT(vocab_num_merges(v, VOCAB_SRC) > 0 && vocab_num_merges(v, VOCAB_SRC) <= 20);
    vocab_free(v);
}

static void test_lowercase(void) {
    Vocab *v = small_vocab(10, 1, 1);
    char *s = roundtrip(v, VOCAB_SRC, "THE Cat SAT", 11);
    EXPECT_STR(s, "the cat sat");
    free(s);
    EXPECT(vocab_token_id(v, VOCAB_SRC, "T", 1) < 0);
    vocab_free(v);
}

static void test_invalid_utf8_encode_error(void) {
    Vocab *v = small_vocab(10, 0, 1);
    int *ids;
    char err[64];
    EXPECT(vocab_encode(v, VOCAB_SRC, "ok \xC3\x28", 5, &ids, err, sizeof err) == -1);
    EXPECT_STR(err, "invalid UTF-8 at byte 4");
    vocab_free(v);
}

static void test_word_boundaries(void) {
    const char *texts[] = {"ab cd\tef  gh.ij"};
    size_t lens[] = {strlen(texts[0])};
    VocabConfig cfg;
    vocab_config_init(&cfg);
    Vocab *v = vocab_from_texts(texts, lens, 1, &cfg);
    int *ids, word[32];
    char err[64];
    int n = vocab_encode(v, VOCAB_SRC, texts[0], lens[0], &ids, err, sizeof err);
    /* ▁ab | ▁cd | \t | ef | ▁ | ▁gh | . | ij */
    EXPECT(n == 8);
    int nw = vocab_word_ids(v, VOCAB_SRC, ids, n, word);
    EXPECT(nw == 4);
    int want[] = {0, 1, -1, 2, -1, 3, 3, 3};
    for (int i = 0; i < 8 && i < n; i++) EXPECT_MSG(word[i] == want[i], "token %d: word %d, want %d", i, word[i], want[i]);
    EXPECT(vocab_starts_word(v, VOCAB_SRC, ids[0]) && vocab_starts_word(v, VOCAB_SRC, ids[1]));
    EXPECT(vocab_starts_word(v, VOCAB_SRC, ids[2]) && !vocab_starts_word(v, VOCAB_SRC, ids[3]));
    EXPECT(vocab_starts_word(v, VOCAB_SRC, ids[4]));
    EXPECT(vocab_starts_word(v, VOCAB_SRC, ids[5]) && !vocab_starts_word(v, VOCAB_SRC, ids[6]));
    free(ids);
    vocab_free(v);
}

static void test_save_load_roundtrip(void) {
    Vocab *v = small_vocab(15, 0, 1);
    size_t len, len2;
    char *bytes = vocab_to_bytes(v, &len);
    EXPECT(len > 20 && memcmp(bytes, "#nmt-vocab 1\n", 13) == 0);
    char err[256];
    Vocab *w = vocab_from_bytes(bytes, len, "embedded", err, sizeof err);
    EXPECT_MSG(w != NULL, "%s", err);
    if (!w) return;
    char *bytes2 = vocab_to_bytes(w, &len2);
    EXPECT(len == len2 && memcmp(bytes, bytes2, len) == 0);
    EXPECT(vocab_size(w, VOCAB_TGT) == vocab_size(v, VOCAB_TGT));
    int *a, *b;
    const char *text = "The mat ran on a dog.";
    int na = vocab_encode(v, VOCAB_TGT, text, strlen(text), &a, err, sizeof err);
    int nb = vocab_encode(w, VOCAB_TGT, text, strlen(text), &b, err, sizeof err);
    EXPECT(na == nb && memcmp(a, b, (size_t)na * sizeof *a) == 0);
    free(a);
    free(b);
    char path[] = "/tmp/nmt_test_vocab_XXXXXX";
    close(mkstemp(path));
    EXPECT(vocab_save(w, path, err, sizeof err) == 0);
    Vocab *u = vocab_load(path, err, sizeof err);
    EXPECT(u && vocab_num_merges(u, VOCAB_SRC) == vocab_num_merges(v, VOCAB_SRC));
    unlink(path);
    vocab_free(u);
    vocab_free(w);
    vocab_free(v);
    free(bytes);
    free(bytes2);
}

static void expect_load_error(const char *data, size_t len, const char *want) {
    char err[256] = "";
    Vocab *v = vocab_from_bytes(data, len, "v.vocab", err, sizeof err);
    EXPECT_MSG(v == NULL && strstr(err, want) != NULL, "error '%s', wanted '%s'", err, want);
    vocab_free(v);
}

/* Replace the crc32 line so the parser, not the checksum, sees a change. */
static void fix_crc(Buf *b) {
    size_t last = b->len - 1;
    while (last > 0 && b->data[last - 1] != '\n') last--;
    b->len = last;
    buf_printf(b, "crc32 %08x\n", crc32_update(0, b->data, last));
}

static void test_corrupt_files(void) {
    Vocab *v = small_vocab(5, 0, 1);
    size_t len;
    char *bytes = vocab_to_bytes(v, &len);
    vocab_free(v);
    expect_load_error("", 0, "v.vocab:1: empty file");
    expect_load_error("hello\n", 6, "v.vocab:1: not an nmt vocabulary file");
    expect_load_error("#nmt-vocab 2\n", 13, "v.vocab:1: vocabulary format '2' is not supported");
    expect_load_error(bytes, len / 2, "truncated file");
    Buf b = {0};
    buf_append(&b, bytes, len);
    b.data[40] ^= 1;
    expect_load_error(b.data, b.len, "checksum mismatch");
    /* line 3 made invalid, checksum recomputed: the parser names the line */
    b.len = 0;
    buf_append(&b, bytes, len);
    char *l3 = strstr(b.data, "lowercase no");
    memcpy(l3, "lowercase xx", 12);
    fix_crc(&b);
    expect_load_error(b.data, b.len, "v.vocab:3: unknown value 'xx' for 'lowercase'");
    /* a duplicated token */
    b.len = 0;
    buf_append(&b, bytes, len);
    char *tok = strstr(b.data, "</s> 0\n") + 7; /* the line after </s>: the ▁ token */
    char *eol = strchr(tok, '\n');
    size_t tl = (size_t)(eol - tok) + 1;
    Buf c = {0};
    buf_append(&c, b.data, (size_t)(eol + 1 - b.data));
    buf_append(&c, tok, tl);
    buf_append(&c, eol + 1, b.len - (size_t)(eol + 1 - b.data));
    /* the token count in "tokens N" is now one short: bump it */
    char *tk = strstr(c.data, "tokens ");
    long ntok = strtol(tk + 7, NULL, 10);
    char num[32];
    int nl = snprintf(num, sizeof num, "%ld", ntok);
    int nl2 = snprintf(num, sizeof num, "%ld", ntok + 1);
    EXPECT(nl == nl2);
    memcpy(tk + 7, num, (size_t)nl2);
    fix_crc(&c);
    expect_load_error(c.data, c.len, "appears twice");
    char err[256];
    EXPECT(vocab_load("/nonexistent/v.vocab", err, sizeof err) == NULL);
    EXPECT(strstr(err, "/nonexistent/v.vocab: cannot read") != NULL);
    buf_free(&b);
    buf_free(&c);
    free(bytes);
}

/* ---- corpus ---- */

static void test_corpus_load(void) {
    char dir[] = "/tmp/nmt_test_corpus_XXXXXX";
    EXPECT(mkdtemp(dir) != NULL);
    char src[300], tgt[300];
    snprintf(src, sizeof src, "%s/train.src", dir);
    snprintf(tgt, sizeof tgt, "%s/train.tgt", dir);
    const char s[] = "\xEF\xBB\xBFthe cat\r\n\nbad \xFF\na b c d e f g\nthe mat";
    const char t[] = "die Katze\r\nleer\nschlecht\nzu lang\ndie Matte\n";
    write_text(src, s, sizeof s - 1);
    write_text(tgt, t, sizeof t - 1);
    VocabConfig cfg;
    vocab_config_init(&cfg);
    cfg.skip_invalid = 1; /* a word vocabulary: "the cat" is 2 tokens, "a b c d e f g" 7 */
    CorpusStats st;
    Vocab *v = vocab_build(&cfg, src, tgt, &st);
    EXPECT(st.pairs == 5 && st.kept == 3 && st.empty == 1 && st.invalid == 1);
    EXPECT(strstr(st.first_invalid, "train.src:3: invalid UTF-8 at byte 5") != NULL);
    ParallelCorpus *c = corpus_load(v, src, tgt, 4, 1, &st);
    EXPECT_MSG(c->n == 2 && st.kept == 2 && st.too_long == 1 && st.empty == 1 && st.invalid == 1,
               "n %d kept %ld too_long %ld empty %ld invalid %ld", c->n, st.kept, st.too_long, st.empty, st.invalid);
    if (c->n == 2) {
        EXPECT(c->pairs[0].line == 1 && c->pairs[1].line == 5);
        char *d = vocab_decode(v, VOCAB_SRC, c->pairs[0].src, c->pairs[0].src_len);
        EXPECT_STR(d, "the cat"); /* BOM and CR gone */
        free(d);
        d = vocab_decode(v, VOCAB_TGT, c->pairs[1].tgt, c->pairs[1].tgt_len);
        EXPECT_STR(d, "die Matte");
        free(d);
        EXPECT(st.src_tokens == c->pairs[0].src_len + c->pairs[1].src_len);
    }
    corpus_free(c);
    vocab_free(v);
    unlink(src);
    unlink(tgt);
    rmdir(dir);
}

/* ---- the shared corpora ---- */

static void count_file(const char *path, WordCounts *wc, Buf *norm) {
    LineReader r;
    if (linereader_open(&r, path) != 0) die("cannot open %s", path);
    while (linereader_next(&r)) {
        text_normalize(r.line, r.len, NORM_NFC, 0, norm);
        tok_split(norm->data, norm->len, 1, count_into, wc);
    }
    linereader_close(&r);
}

static void test_shared_corpora_roundtrip(void) {
    const char *shared = test_shared_dir();
    if (!shared) {
        SKIP("no ../shared/corpora/multi30k (set NMT_SHARED)");
        return;
    }
#if defined(__SANITIZE_ADDRESS__)
    const char *const sets[] = {"valid", "test2016"}; /* keep sanitizer runs short */
#else
    const char *const sets[] = {"train", "valid", "test2016"};
#endif
    const int nsets = (int)(sizeof sets / sizeof sets[0]);
    const char *const pairs[2][2] = {{"de", "en"}, {"fr", "cs"}};
    long lines = 0, bad = 0;
    for (int p = 0; p < 2; p++) {
        /* A joint BPE vocabulary from every file of the two languages, so
         * that every character is known. */
        WordCounts wc[2];
        memset(wc, 0, sizeof wc);
        Buf norm = {0};
        char path[8192];
        for (int s = 0; s < 2; s++)
            for (int k = 0; k < nsets; k++) {
                snprintf(path, sizeof path, "%s/corpora/multi30k/%s.%s", shared, sets[k], pairs[p][s]);
                count_file(path, &wc[s], &norm);
            }
        VocabConfig cfg;
        vocab_config_init(&cfg);
        cfg.joint = 1;
        cfg.bpe_merges = 2000;
        Vocab *v = vocab_build_from_counts(&cfg, wc);
        word_counts_free(&wc[0]);
        word_counts_free(&wc[1]);
        for (int s = 0; s < 2; s++)
            for (int k = 0; k < nsets; k++) {
                snprintf(path, sizeof path, "%s/corpora/multi30k/%s.%s", shared, sets[k], pairs[p][s]);
                LineReader r;
                linereader_open(&r, path);
                while (linereader_next(&r)) {
                    lines++;
                    text_normalize(r.line, r.len, NORM_NFC, 0, &norm);
                    char *got = roundtrip(v, (VocabSide)s, r.line, r.len);
                    if (!got || strcmp(got, norm.data ? norm.data : "") != 0) {
                        if (bad++ < 3) fprintf(stderr, "  %s:%ld: round trip gave '%s'\n", path, r.lineno, got ? got : "(error)");
                    }
                    free(got);
                }
                linereader_close(&r);
            }
        buf_free(&norm);
        vocab_free(v);
    }
    EXPECT_MSG(bad == 0, "%ld of %ld lines did not round-trip", bad, lines);
    EXPECT(lines > 0);
}

static void test_shared_corpus_apply_matches_learning(void) {
    const char *shared = test_shared_dir();
    if (!shared) {
        SKIP("no ../shared/corpora/multi30k (set NMT_SHARED)");
        return;
    }
    WordCounts wc = {0};
    Buf norm = {0};
    char path[8192];
    snprintf(path, sizeof path, "%s/corpora/multi30k/valid.de", shared);
    count_file(path, &wc, &norm);
    buf_free(&norm);
    /* bpe_learn takes any separator; turn TOK_ATOM_SEP into ' ' (tokens have no spaces) */
    const char **words = xmalloc((size_t)wc.words.n * sizeof *words);
    char *copy = xmalloc(wc.words.arena_len);
    memcpy(copy, wc.words.arena, wc.words.arena_len);
    for (size_t i = 0; i < wc.words.arena_len; i++)
        if (copy[i] == TOK_ATOM_SEP) copy[i] = ' ';
    for (int i = 0; i < wc.words.n; i++) words[i] = copy + wc.words.off[i];
    check_apply_matches_learning(words, wc.count, (size_t)wc.words.n, 3000);
    free(words);
    free(copy);
    word_counts_free(&wc);
}

int main(void) {
    RUN(test_utf8_validation);
    RUN(test_normal_forms);
    RUN(test_nfc_fast_path_agrees_with_utf8proc);
    RUN(test_pretokenization);
    RUN(test_atoms_and_unspell);
    RUN(test_tokens_roundtrip_exact_bytes);
    RUN(test_random_unicode_roundtrip_bpe_nfc);
    RUN(test_random_unicode_roundtrip_bpe_nfkc_lowercase);
    RUN(test_random_unicode_roundtrip_words_none);
    RUN(test_bpe_hand_worked_example);
    RUN(test_bpe_overlapping_pairs_and_stop);
    RUN(test_bpe_apply_matches_learning_random);
    RUN(test_bpe_long_word);
    RUN(test_specials_and_words);
    RUN(test_bpe_unknown_characters);
    RUN(test_lowercase);
    RUN(test_invalid_utf8_encode_error);
    RUN(test_word_boundaries);
    RUN(test_save_load_roundtrip);
    RUN(test_corrupt_files);
    RUN(test_corpus_load);
    RUN(test_shared_corpora_roundtrip);
    RUN(test_shared_corpus_apply_matches_learning);
    TEST_EXIT();
}
