/* Tests for src/vocab: UTF-8 validation, normal forms, pre-tokenization and
 * the reversible round trip decode(encode(x)) == normalize(x) on random Unicode. */
#include "vocab_helpers.h"

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
    TEST_EXIT();
}
