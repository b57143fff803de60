/* Tests for src/vocab: specials, word and BPE vocabularies, case folding,
 * word boundaries, the vocabulary file (round trip, corrupt files), corpus
 * loading, and the round trip of every line of the shared corpora. */
#include "vocab_helpers.h"
#include "sys/lines.h"

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

/* BPE-dropout's encoding: another segmentation of the same text, the same
 * one for the same seed; none at p = 0 or with whole words. */
static void test_encode_sampled(void) {
    const char *line = "The cat sat on the mat, the rat ran.";
    const size_t len = strlen(line);
    char err[64];
    for (int bpe = 0; bpe <= 40; bpe += 40) {
        Vocab *v = small_vocab(bpe, 0, 1);
        int *full, *ids, *again;
        int nf = vocab_encode(v, VOCAB_SRC, line, len, &full, err, sizeof err);
        char *text = vocab_decode(v, VOCAB_SRC, full, nf);
        int n = vocab_encode_sampled(v, VOCAB_SRC, line, len, 0.0f, 3, &ids, err, sizeof err);
        EXPECT(n == nf && !memcmp(ids, full, (size_t)n * sizeof *ids));
        free(ids);
        int differed = 0, same_text = 1, repeatable = 1;
        for (uint64_t seed = 0; seed < 50; seed++) {
            n = vocab_encode_sampled(v, VOCAB_SRC, line, len, 0.3f, seed, &ids, err, sizeof err);
            int n2 = vocab_encode_sampled(v, VOCAB_SRC, line, len, 0.3f, seed, &again, err, sizeof err);
            repeatable &= n == n2 && !memcmp(ids, again, (size_t)n * sizeof *ids);
            differed += n != nf || memcmp(ids, full, (size_t)n * sizeof *ids) != 0;
            char *t = vocab_decode(v, VOCAB_SRC, ids, n);
            same_text &= !strcmp(t, text);
            free(t), free(ids), free(again);
        }
        EXPECT(repeatable);
        EXPECT(same_text);
        if (bpe) EXPECT_MSG(differed >= 40, "only %d of 50 seeds changed the segmentation", differed);
        else EXPECT_MSG(differed == 0, "whole words were split (%d of 50 seeds)", differed);
        free(text), free(full);
        vocab_free(v);
    }
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

int main(void) {
    RUN(test_specials_and_words);
    RUN(test_bpe_unknown_characters);
    RUN(test_encode_sampled);
    RUN(test_lowercase);
    RUN(test_invalid_utf8_encode_error);
    RUN(test_word_boundaries);
    RUN(test_save_load_roundtrip);
    RUN(test_corrupt_files);
    RUN(test_corpus_load);
    RUN(test_shared_corpora_roundtrip);
    TEST_EXIT();
}
