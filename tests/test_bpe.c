/* Tests for src/vocab/bpe.c: hand-worked merges, tie-breaking, applying
 * merges reproduces learning (random words and the shared corpora). */
#include "vocab_helpers.h"

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
    RUN(test_bpe_hand_worked_example);
    RUN(test_bpe_overlapping_pairs_and_stop);
    RUN(test_bpe_apply_matches_learning_random);
    RUN(test_bpe_long_word);
    RUN(test_shared_corpus_apply_matches_learning);
    TEST_EXIT();
}
