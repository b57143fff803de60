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

/* Ranks of a learned model, as a vocabulary table holds them. */
static void ranks_of(const BpeModel *m, BpeRanks *r) {
    memset(r, 0, sizeof *r);
    r->n = m->nmerges;
    r->result = m->result;
    for (int k = 0; k < m->nmerges; k++) u64map_put(&r->rank, u64_pair(m->left[k], m->right[k]), k);
}

/* A word "a b c" as the ids of its atoms in m; returns how many. */
static int atom_ids(const BpeModel *m, const char *word, int *ids) {
    int k = 0;
    for (const char *s = word;;) {
        const char *e = strchr(s, ' ');
        size_t l = e ? (size_t)(e - s) : strlen(s);
        ids[k++] = strtab_find(&m->syms, s, l);
        if (!e) return k;
        s = e + 1;
    }
}

/* Applying the learned merges to every training word gives exactly the
 * segmentation learning ended with: same symbol counts. */
static void check_apply_matches_learning(const char *const *words, const int64_t *counts, size_t n, int merges) {
    BpeModel m;
    bpe_learn(words, counts, n, ' ', merges, &m);
    BpeRanks r;
    ranks_of(&m, &r);
    int64_t *got = xcalloc((size_t)m.syms.n, sizeof *got);
    for (size_t w = 0; w < n; w++) {
        int *ids = xmalloc((strlen(words[w]) + 1) * sizeof *ids);
        int k = bpe_apply(&r, ids, atom_ids(&m, words[w], ids));
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

enum { RANDOM_WORDS = 4000 };

/* Up to RANDOM_WORDS distinct random words of 1-12 atoms, separated by
 * spaces, with counts; few letters, so many repeats, overlaps and ties.
 * Returns how many (duplicates are dropped, as callers of bpe_learn do). */
static int random_words(uint64_t seed, char buf[RANDOM_WORDS][64], const char **words, int64_t *counts) {
    Rng r;
    rng_seed(&r, seed, 0);
    StrTable seen = {0};
    int n = 0;
    for (int i = 0; i < RANDOM_WORDS; i++) {
        int len = 1 + (int)rng_below(&r, 12), p = 0;
        for (int j = 0; j < len; j++) {
            if (j) buf[i][p++] = ' ';
            buf[i][p++] = "aabbbcd"[rng_below(&r, 7)];
        }
        buf[i][p] = '\0';
        int64_t count = 1 + rng_below(&r, 5);
        int added;
        strtab_intern(&seen, buf[i], strlen(buf[i]), &added);
        if (added) words[n] = buf[i], counts[n++] = count;
    }
    strtab_free(&seen);
    return n;
}

static void test_bpe_apply_matches_learning_random(void) {
    static char buf[RANDOM_WORDS][64];
    const char *words[RANDOM_WORDS];
    int64_t counts[RANDOM_WORDS];
    int n = random_words(3, buf, words, counts);
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

static void test_bpe_dropout_segmentations(void) {
    static char buf[RANDOM_WORDS][64];
    const char *words[RANDOM_WORDS];
    int64_t counts[RANDOM_WORDS];
    int n = random_words(5, buf, words, counts);
    BpeModel m;
    bpe_learn(words, counts, (size_t)n, ' ', 300, &m);
    BpeRanks ranks;
    ranks_of(&m, &ranks);
    int full[64], drop[64], again[64];
    int same_at_0 = 1, spelled = 1, repeatable = 1, coarser = 0, never_finer_than_atoms = 1;
    Buf a = {0}, b = {0};
    for (int w = 0; w < n; w++) {
        int na = atom_ids(&m, words[w], full);
        memcpy(drop, full, sizeof full);
        memcpy(again, full, sizeof full);
        int nf = bpe_apply(&ranks, full, na);
        /* p = 0: exactly bpe_apply's segmentation */
        Rng g;
        rng_seed(&g, 1, (uint64_t)w);
        int nz = bpe_apply_dropout(&ranks, drop, na, 0.0f, &g);
        same_at_0 &= nz == nf && !memcmp(drop, full, (size_t)nf * sizeof *full);
        /* p = 0.3: the same letters, in pieces that are symbols; the same seed gives the same pieces */
        atom_ids(&m, words[w], drop);
        rng_seed(&g, 7, (uint64_t)w);
        int nd = bpe_apply_dropout(&ranks, drop, na, 0.3f, &g);
        rng_seed(&g, 7, (uint64_t)w);
        int nd2 = bpe_apply_dropout(&ranks, again, na, 0.3f, &g);
        repeatable &= nd == nd2 && !memcmp(drop, again, (size_t)nd * sizeof *drop);
        a.len = b.len = 0;
        for (int i = 0; i < nf; i++) buf_puts(&a, strtab_str(&m.syms, full[i]));
        for (int i = 0; i < nd; i++) {
            if (drop[i] < 0 || drop[i] >= m.syms.n) spelled = 0;
            else buf_puts(&b, strtab_str(&m.syms, drop[i]));
        }
        spelled &= a.len == b.len && !memcmp(a.data, b.data, a.len);
        never_finer_than_atoms &= nd <= na; /* (fewer pieces than bpe_apply's is possible: another merge order) */
        coarser += nd > nf;
    }
    EXPECT(same_at_0);
    EXPECT(spelled);
    EXPECT(repeatable);
    EXPECT(never_finer_than_atoms);
    EXPECT_MSG(coarser > n / 10, "only %d of %d words came out in more pieces at p = 0.3", coarser, n);
    buf_free(&a), buf_free(&b);
    u64map_free(&ranks.rank);
    bpe_model_free(&m);
}

static void test_bpe_dropout_probabilities(void) {
    /* Sennrich's example has l+o (rank 2) and lo+w (rank 3) for "l o w",
     * and no o+w. At p = 0.1: l+o drawn (0.9), then lo+w drawn (0.9) gives
     * "low" with 0.81; "lo w" 0.09; l+o skipped leaves no merge: "l o w" 0.1. */
    const char *words[] = {"l o w", "l o w e r", "n e w e s t", "w i d e s t"};
    const int64_t counts[] = {5, 2, 6, 3};
    BpeModel m;
    bpe_learn(words, counts, 4, ' ', 100, &m);
    BpeRanks ranks;
    ranks_of(&m, &ranks);
    enum { DRAWS = 20000 };
    int seen[3] = {0};
    Rng g;
    rng_seed(&g, 11, 0);
    for (int k = 0; k < DRAWS; k++) {
        int ids[3];
        int n = atom_ids(&m, "l o w", ids);
        n = bpe_apply_dropout(&ranks, ids, n, 0.1f, &g);
        seen[n - 1]++;
    }
    /* the binomial's standard deviation is at most 0.0035 here: 5 of them */
    EXPECT_MSG(fabs(seen[0] / (double)DRAWS - 0.81) < 0.018, "low: %d of %d", seen[0], DRAWS);
    EXPECT_MSG(fabs(seen[1] / (double)DRAWS - 0.09) < 0.012, "lo w: %d of %d", seen[1], DRAWS);
    EXPECT_MSG(fabs(seen[2] / (double)DRAWS - 0.10) < 0.012, "l o w: %d of %d", seen[2], DRAWS);
    u64map_free(&ranks.rank);
    bpe_model_free(&m);
}

int main(void) {
    RUN(test_bpe_hand_worked_example);
    RUN(test_bpe_overlapping_pairs_and_stop);
    RUN(test_bpe_apply_matches_learning_random);
    RUN(test_bpe_long_word);
    RUN(test_shared_corpus_apply_matches_learning);
    RUN(test_bpe_dropout_segmentations);
    RUN(test_bpe_dropout_probabilities);
    TEST_EXIT();
}
