/* test_bleu.c — corpus BLEU (src/eval/bleu.h) against sacreBLEU's numbers.
 *
 * The fixture test reads the shared known answers (fixtures/bleu/expected.tsv,
 * produced by sacreBLEU 2.6.0) and needs the shared folder; every other test
 * is self-contained, with values worked out by hand from sacreBLEU's
 * definitions. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "eval/bleu.h"
#include "sys/lines.h"
#include "sys/util.h"
#include "test.h"

/* ------------------------------------------------------------- helpers */

/* Score a small corpus: nseg segments with nrefs references each,
 * refs[r][i] being reference r of segment i. */
static void score(const char *const *hyps, const char *const *const *refs, int nseg, int nrefs,
                  int lowercase, BleuStats *st, BleuResult *res) {
    bleu_stats_init(st, lowercase);
    for (int i = 0; i < nseg; i++) {
        const char *seg_refs[8];
        for (int r = 0; r < nrefs; r++) seg_refs[r] = refs[r][i];
        char err[128] = "";
        int rc = bleu_stats_add(st, hyps[i], seg_refs, nrefs, err, sizeof err);
        EXPECT_MSG(rc == 0, "segment %d: %s", i, err);
    }
    bleu_compute(st, res);
}

static const char *verbose_of(const BleuResult *r) {
    static char buf[BLEU_LINE_MAX];
    bleu_format_verbose(r, buf, sizeof buf);
    return buf;
}

static const char *lower(const char *s) {
    static Buf b;
    if (bleu_lowercase(s, strlen(s), &b) != 0) return "(error)";
    return b.data;
}

/* ------------------------------------------------------- hand-computed */

/* hyp "the cat sat on the mat", ref "the cat is on the mat":
 * 1-grams 5/6, 2-grams 3/5 (the cat, on the, the mat), 3-grams 1/4 (on the
 * mat), 4-grams 0/3 -> exp smoothing 100/(2*3). BP 1.
 * BLEU = (500/6 * 60 * 25 * 100/6)^(1/4) = 37.99. */
static void test_hand_computed(void) {
    const char *hyps[] = {"the cat sat on the mat"};
    const char *ref0[] = {"the cat is on the mat"};
    const char *const *refs[] = {ref0};
    BleuStats st;
    BleuResult r;
    score(hyps, refs, 1, 1, 0, &st, &r);
    EXPECT(r.correct[0] == 5 && r.total[0] == 6);
    EXPECT(r.correct[1] == 3 && r.total[1] == 5);
    EXPECT(r.correct[2] == 1 && r.total[2] == 4);
    EXPECT(r.correct[3] == 0 && r.total[3] == 3);
    EXPECT(r.hyp_len == 6 && r.ref_len == 6);
    EXPECT_NEAR(r.precisions[3], 100.0 / 6.0, 1e-12);
    EXPECT_NEAR(r.score, pow(500.0 / 6.0 * 60.0 * 25.0 * (100.0 / 6.0), 0.25), 1e-9);
    EXPECT_NEAR(r.bp, 1.0, 0);
    EXPECT_STR(verbose_of(&r), "37.99 83.3/60.0/25.0/16.7 (BP = 1.000 ratio = 1.000 hyp_len = 6 ref_len = 6)");
    char line[BLEU_LINE_MAX], sig[BLEU_LINE_MAX], sc[32];
    bleu_format(&r, line, sizeof line);
    bleu_signature(&st, sig, sizeof sig);
    bleu_format_score(&r, sc, sizeof sc);
    EXPECT_STR(line, "BLEU = 37.99 83.3/60.0/25.0/16.7 (BP = 1.000 ratio = 1.000 hyp_len = 6 ref_len = 6)");
    EXPECT_STR(sig, "nrefs:1|case:mixed|eff:no|tok:13a|smooth:exp|version:" BLEU_SIGNATURE_VERSION);
    EXPECT_STR(sc, "37.99");
    bleu_stats_free(&st);
}

/* Clipping: "a b a b a b c" against "a b c a b". 1-grams: a 3 vs 2, b 3 vs 2,
 * c 1 -> 5/7; 2-grams: a b 3 vs 2, b a 2 vs 0, b c 1 -> 3/6; 3-grams: only
 * "a b c" of 5 -> 1/5; 4-grams: 0/4 -> 100/(2*4). */
static void test_clipping(void) {
    const char *hyps[] = {"a b a b a b c"};
    const char *ref0[] = {"a b c a b"};
    const char *const *refs[] = {ref0};
    BleuStats st;
    BleuResult r;
    score(hyps, refs, 1, 1, 0, &st, &r);
    EXPECT(r.correct[0] == 5 && r.total[0] == 7);
    EXPECT(r.correct[1] == 3 && r.total[1] == 6);
    EXPECT(r.correct[2] == 1 && r.total[2] == 5);
    EXPECT(r.correct[3] == 0 && r.total[3] == 4);
    EXPECT_STR(verbose_of(&r), "30.74 71.4/50.0/20.0/12.5 (BP = 1.000 ratio = 1.400 hyp_len = 7 ref_len = 5)");
    bleu_stats_free(&st);
}

/* Brevity penalty: hyp 6 tokens, effective reference 9 -> exp(1 - 9/6). An
 * empty hypothesis line counts 0 tokens and the closest (shortest) reference. */
static void test_brevity_and_empty_hypothesis(void) {
    const char *hyps[] = {"", "the cat sat on the mat"};
    const char *ref0[] = {"a b c", "the cat sat on the mat"};
    const char *const *refs[] = {ref0};
    BleuStats st;
    BleuResult r;
    score(hyps, refs, 2, 1, 0, &st, &r);
    EXPECT(r.hyp_len == 6 && r.ref_len == 9);
    EXPECT_NEAR(r.bp, exp(1.0 - 9.0 / 6.0), 1e-15);
    EXPECT_STR(verbose_of(&r), "60.65 100.0/100.0/100.0/100.0 (BP = 0.607 ratio = 0.667 hyp_len = 6 ref_len = 9)");
    bleu_stats_free(&st);

    /* Only empty hypotheses: BP 0, everything 0. */
    const char *h2[] = {"", "  "};
    const char *r2[] = {"a b", "c"};
    const char *const *refs2[] = {r2};
    score(h2, refs2, 2, 1, 0, &st, &r);
    EXPECT_STR(verbose_of(&r), "0.00 0.0/0.0/0.0/0.0 (BP = 0.000 ratio = 0.000 hyp_len = 0 ref_len = 3)");
    bleu_stats_free(&st);
}

/* Smoothing and the zero cases. */
static void test_exp_smoothing_and_zero_cases(void) {
    BleuStats st;
    BleuResult r;
    /* Two orders without a match: the first gets 100/(2*total), the second 100/(4*total).
     * "a a a b" vs refs "a b" / "a a c": 1-grams a min(3, max(1,2)) + b 1 = 3/4,
     * 2-grams "a a" 1 + "a b" 1 = 2/3, 3-grams 0/2 -> 25, 4-grams 0/1 -> 25. */
    const char *hyps[] = {"a a a b"};
    const char *ra[] = {"a b"}, *rb[] = {"a a c"};
    const char *const *refs[] = {ra, rb};
    score(hyps, refs, 1, 2, 0, &st, &r);
    EXPECT_NEAR(r.precisions[2], 100.0 / (2 * 2), 1e-12);
    EXPECT_NEAR(r.precisions[3], 100.0 / (4 * 1), 1e-12);
    EXPECT_STR(verbose_of(&r), "42.04 75.0/66.7/25.0/25.0 (BP = 1.000 ratio = 1.333 hyp_len = 4 ref_len = 3)");
    bleu_stats_free(&st);

    /* No match at any order: score 0 and all precisions 0, no smoothing. */
    const char *h2[] = {"x y z w"};
    const char *r2[] = {"a b c"};
    const char *const *refs2[] = {r2};
    score(h2, refs2, 1, 1, 0, &st, &r);
    EXPECT_STR(verbose_of(&r), "0.00 0.0/0.0/0.0/0.0 (BP = 1.000 ratio = 1.333 hyp_len = 4 ref_len = 3)");
    bleu_stats_free(&st);

    /* No 4-gram in the hypothesis at all: that precision stays 0 and so does the score. */
    const char *h3[] = {"a b c"};
    const char *r3[] = {"a b c d"};
    const char *const *refs3[] = {r3};
    score(h3, refs3, 1, 1, 0, &st, &r);
    EXPECT(r.score == 0.0);
    EXPECT_STR(verbose_of(&r), "0.00 100.0/100.0/100.0/0.0 (BP = 0.717 ratio = 0.750 hyp_len = 3 ref_len = 4)");
    bleu_stats_free(&st);
}

/* Several references: counts clipped by the max over references, effective
 * length the closest, the shorter one on a tie. */
static void test_multiple_references(void) {
    BleuStats st;
    BleuResult r;
    /* hyp 4 tokens, refs 3 and 5: tie -> 3. */
    const char *hyps[] = {"a b c d"};
    const char *ra[] = {"a b c"}, *rb[] = {"a b c d e"};
    const char *const *refs[] = {ra, rb};
    score(hyps, refs, 1, 2, 0, &st, &r);
    EXPECT(r.ref_len == 3);
    EXPECT_STR(verbose_of(&r), "100.00 100.0/100.0/100.0/100.0 (BP = 1.000 ratio = 1.333 hyp_len = 4 ref_len = 3)");
    char sig[BLEU_LINE_MAX];
    bleu_signature(&st, sig, sizeof sig);
    EXPECT_STR(sig, "nrefs:2|case:mixed|eff:no|tok:13a|smooth:exp|version:" BLEU_SIGNATURE_VERSION);
    bleu_stats_free(&st);

    /* An empty reference is left out of its segment: nrefs becomes "var". */
    const char *h2[] = {"the cat sat on the mat", "a b c d"};
    const char *r2a[] = {"the cat sat on the mat", ""}, *r2b[] = {"the cat sat on a mat", "a b c d"};
    const char *const *refs2[] = {r2a, r2b};
    score(h2, refs2, 2, 2, 0, &st, &r);
    EXPECT_STR(verbose_of(&r), "100.00 100.0/100.0/100.0/100.0 (BP = 1.000 ratio = 1.000 hyp_len = 10 ref_len = 10)");
    bleu_signature(&st, sig, sizeof sig);
    EXPECT_STR(sig, "nrefs:var|case:mixed|eff:no|tok:13a|smooth:exp|version:" BLEU_SIGNATURE_VERSION);
    bleu_stats_free(&st);

    /* Every reference empty (whitespace only counts as empty): an error, stats unchanged. */
    bleu_stats_init(&st, 0);
    const char *empty[] = {"", " \t"};
    char err[128] = "";
    EXPECT(bleu_stats_add(&st, "a b", empty, 2, err, sizeof err) == -1);
    EXPECT_STR(err, "every reference is empty");
    EXPECT(st.segments == 0 && st.total[0] == 0 && st.hyp_len == 0);
    bleu_stats_free(&st);
}

static void test_lowercase(void) {
    BleuStats st;
    BleuResult r;
    /* ΣΟΦΟΣ lowercases to σοφος with a final sigma, as Python's str.lower(). */
    const char *hyps[] = {"The Cat sat on the MAT", "\xce\xa3\xce\x9f\xce\xa6\xce\x9f\xce\xa3 \xce\xa3\xce\x9f\xce\xa6\xce\x9f\xce\xa3"};
    const char *ref0[] = {"the cat sat on the mat", "\xcf\x83\xce\xbf\xcf\x86\xce\xbf\xcf\x82 \xcf\x83\xce\xbf\xcf\x86\xce\xbf\xcf\x82"};
    const char *const *refs[] = {ref0};
    score(hyps, refs, 2, 1, 1, &st, &r);
    EXPECT_STR(verbose_of(&r), "100.00 100.0/100.0/100.0/100.0 (BP = 1.000 ratio = 1.000 hyp_len = 8 ref_len = 8)");
    char sig[BLEU_LINE_MAX];
    bleu_signature(&st, sig, sizeof sig);
    EXPECT_STR(sig, "nrefs:1|case:lc|eff:no|tok:13a|smooth:exp|version:" BLEU_SIGNATURE_VERSION);
    bleu_stats_free(&st);

    score(hyps, refs, 2, 1, 0, &st, &r); /* case-sensitive */
    EXPECT_STR(verbose_of(&r), "26.86 37.5/33.3/25.0/16.7 (BP = 1.000 ratio = 1.000 hyp_len = 8 ref_len = 8)");
    bleu_stats_free(&st);

    EXPECT_STR(lower("Hello WORLD"), "hello world");
    EXPECT_STR(lower("\xc3\x9c" "ber \xc3\x84pfel"), "\xc3\xbc" "ber \xc3\xa4pfel");              /* Über Äpfel */
    EXPECT_STR(lower("\xce\xa3"), "\xcf\x83");                                          /* lone Σ -> σ */
    EXPECT_STR(lower("\xce\x91\xce\xa3."), "\xce\xb1\xcf\x82.");                        /* ΑΣ. -> ας. */
    EXPECT_STR(lower("\xce\x91\xce\xa3\xce\x91"), "\xce\xb1\xcf\x83\xce\xb1");          /* ΑΣΑ -> ασα */
    EXPECT_STR(lower("\xc4\xb0stanbul"), "i\xcc\x87stanbul");                            /* İ -> i + U+0307 */
    EXPECT_STR(lower("\xe1\xba\x9e"), "\xc3\x9f");                                       /* ẞ -> ß */
    Buf b = {0};
    EXPECT(bleu_lowercase("\xff", 1, &b) == -1);
    buf_free(&b);
}

static void test_merge(void) {
    const char *h[] = {"the cat sat on the mat", "a b c d", "x"};
    const char *r[] = {"the cat is on the mat", "a b d c", "x y"};
    BleuStats all, part1, part2;
    bleu_stats_init(&all, 0);
    bleu_stats_init(&part1, 0);
    bleu_stats_init(&part2, 0);
    char err[64];
    for (int i = 0; i < 3; i++) {
        EXPECT(bleu_stats_add(&all, h[i], &r[i], 1, err, sizeof err) == 0);
        EXPECT(bleu_stats_add(i < 2 ? &part1 : &part2, h[i], &r[i], 1, err, sizeof err) == 0);
    }
    bleu_stats_merge(&part1, &part2);
    BleuResult ra, rb;
    bleu_compute(&all, &ra);
    bleu_compute(&part1, &rb);
    EXPECT(ra.score == rb.score && ra.hyp_len == rb.hyp_len && ra.ref_len == rb.ref_len);
    EXPECT(part1.segments == 3);
    bleu_stats_free(&all);
    bleu_stats_free(&part1);
    bleu_stats_free(&part2);
}

/* ------------------------------------------------------------- fixtures */

/* Read a whole file as lines (LineReader semantics); NULL if it cannot be opened. */
static char **read_lines(const char *path, long *n) {
    LineReader lr;
    if (linereader_open(&lr, path) != 0) return NULL;
    char **lines = NULL;
    long cap = 0;
    *n = 0;
    while (linereader_next(&lr)) {
        if (*n == cap) {
            cap = cap ? 2 * cap : 64;
            lines = xrealloc(lines, (size_t)cap * sizeof *lines);
        }
        lines[(*n)++] = xstrdup(lr.line);
    }
    linereader_close(&lr);
    if (!lines) lines = xmalloc(sizeof *lines);
    return lines;
}

static void free_lines(char **lines, long n) {
    if (!lines) return;
    for (long i = 0; i < n; i++) free(lines[i]);
    free(lines);
}

/* Every case of fixtures/bleu/expected.tsv (sacreBLEU 2.6.0 output): the
 * score, the verbose line and the signature (version field aside) must match. */
static void test_fixtures(void) {
    const char *shared = test_shared_dir();
    if (!shared) {
        SKIP("shared data not found (../shared or $NMT_SHARED): fixtures/bleu needs it");
        return;
    }
    char dir[4200], path[4400];
    snprintf(dir, sizeof dir, "%s/fixtures/bleu", shared);
    snprintf(path, sizeof path, "%s/expected.tsv", dir);
    LineReader tsv;
    if (linereader_open(&tsv, path) != 0) {
        SKIP("fixtures/bleu/expected.tsv not found in the shared folder");
        return;
    }
    int cases = 0;
    while (linereader_next(&tsv)) {
        if (tsv.lineno == 1 || tsv.len == 0) continue; /* header */
        char *fields[4];
        int nf = 0;
        char *p = tsv.line;
        fields[nf++] = p;
        while (nf < 4 && (p = strchr(p, '\t')) != NULL) {
            *p++ = '\0';
            fields[nf++] = p;
        }
        EXPECT_MSG(nf == 4, "%s:%ld: expected 4 tab-separated fields", path, tsv.lineno);
        if (nf != 4) continue;
        const char *name = fields[0], *want_score = fields[1], *want_verbose = fields[2], *want_sig = fields[3];

        long nh = 0, nr[2] = {0, 0};
        char **refs[2] = {NULL, NULL};
        snprintf(path, sizeof path, "%s/%s/hyp.txt", dir, name);
        char **hyp = read_lines(path, &nh);
        EXPECT_MSG(hyp != NULL, "cannot read %s", path);
        snprintf(path, sizeof path, "%s/%s/ref.txt", dir, name);
        refs[0] = read_lines(path, &nr[0]);
        EXPECT_MSG(refs[0] != NULL, "cannot read %s", path);
        snprintf(path, sizeof path, "%s/%s/ref2.txt", dir, name);
        refs[1] = read_lines(path, &nr[1]);
        int nrefs = refs[1] ? 2 : 1;
        if (!hyp || !refs[0]) continue;
        EXPECT_MSG(nh == nr[0] && (nrefs == 1 || nh == nr[1]), "%s: line counts differ", name);

        BleuStats st;
        bleu_stats_init(&st, strstr(want_sig, "case:lc") != NULL);
        for (long i = 0; i < nh && i < nr[0] && (nrefs == 1 || i < nr[1]); i++) {
            const char *seg[2] = {refs[0][i], nrefs == 2 ? refs[1][i] : NULL};
            char err[128] = "";
            int rc = bleu_stats_add(&st, hyp[i], seg, nrefs, err, sizeof err);
            EXPECT_MSG(rc == 0, "%s line %ld: %s", name, i + 1, err);
        }
        BleuResult r;
        bleu_compute(&st, &r);
        char got_score[64], got_verbose[BLEU_LINE_MAX], got_sig[BLEU_LINE_MAX], want_sig_ours[BLEU_LINE_MAX];
        bleu_format_score(&r, got_score, sizeof got_score);
        bleu_format_verbose(&r, got_verbose, sizeof got_verbose);
        bleu_signature(&st, got_sig, sizeof got_sig);
        /* sacreBLEU's version field names its own version; ours names nmtc's. */
        snprintf(want_sig_ours, sizeof want_sig_ours, "%s", want_sig);
        char *v = strstr(want_sig_ours, "|version:");
        if (v) snprintf(v, sizeof want_sig_ours - (size_t)(v - want_sig_ours), "|version:%s", BLEU_SIGNATURE_VERSION);
        EXPECT_MSG(strcmp(got_score, want_score) == 0, "%s: score %s, expected %s", name, got_score, want_score);
        EXPECT_MSG(strcmp(got_verbose, want_verbose) == 0, "%s:\n    got      %s\n    expected %s", name,
                   got_verbose, want_verbose);
        EXPECT_MSG(strcmp(got_sig, want_sig_ours) == 0, "%s: signature %s, expected %s", name, got_sig,
                   want_sig_ours);
        bleu_stats_free(&st);
        free_lines(hyp, nh);
        free_lines(refs[0], nr[0]);
        free_lines(refs[1], nr[1]);
        cases++;
    }
    linereader_close(&tsv);
    EXPECT_MSG(cases >= 1, "no case in expected.tsv");
    fprintf(stderr, "  (%d sacreBLEU fixture cases checked)\n", cases);
}

int main(void) {
    RUN(test_hand_computed);
    RUN(test_clipping);
    RUN(test_brevity_and_empty_hypothesis);
    RUN(test_exp_smoothing_and_zero_cases);
    RUN(test_multiple_references);
    RUN(test_lowercase);
    RUN(test_merge);
    RUN(test_fixtures);
    TEST_EXIT();
}
