/* Tests for src/align's link handling: symmetrization on hand-drawn grids,
 * AER / precision / recall on a hand example, Pharaoh and talp parsing and
 * their error messages. */
#include "align/aer.h"
#include "align/symmetrize.h"
#include "nn/rng.h"
#include "grid_symmetrize.h"
#include "test.h"

#include <fcntl.h>
#include <unistd.h>

/* Parse a Pharaoh line into a one-sentence alignment. */
static Alignment links(const char *line) {
    Alignment a;
    alignment_init(&a);
    char err[200];
    if (alignment_parse_line(&a, line, 0, 1, err, sizeof err) != 0) fprintf(stderr, "  bad test line: %s\n", err);
    return a;
}

/* The Pharaoh line of sentence s. */
static const char *line_of(const Alignment *a, long s) {
    static char out[512];
    Buf b = {0};
    alignment_format_sentence(a, s, &b);
    snprintf(out, sizeof out, "%.*s", (int)b.len - 1, b.data);
    buf_free(&b);
    return out;
}

static const char *sym(const char *fwd, const char *rev, SymMethod method) {
    Alignment f = links(fwd), r = links(rev), o;
    alignment_init(&o);
    symmetrize_sentence(alignment_links(&f, 0), alignment_count(&f, 0), alignment_links(&r, 0),
                        alignment_count(&r, 0), method, &o);
    const char *s = line_of(&o, 0);
    alignment_free(&f);
    alignment_free(&r);
    alignment_free(&o);
    return s;
}

static void test_symmetrize_grow_diag_chain(void) {
    /* 4 x 4 grid (rows = source, columns = target):
     *   forward 0-0 1-1 3-2 3-3, reverse 0-0 1-2 2-3 3-3.
     * intersection {0-0, 3-3}. grow-diag sweeps target-major: from 0-0 it adds
     * the diagonal 1-1 (source 1 free); visiting 1-1 adds 1-2 (target 2 free);
     * visiting 1-2 adds its diagonal 2-3 (source 2 free). 3-2 is in the union
     * and touches 3-3, but by then source 3 and target 2 are both aligned, so
     * it stays out; final-and adds nothing. */
    const char *f = "0-0 1-1 3-2 3-3", *r = "0-0 1-2 2-3 3-3";
    EXPECT_STR(sym(f, r, SYM_INTERSECT), "0-0 3-3");
    EXPECT_STR(sym(f, r, SYM_UNION), "0-0 1-1 1-2 2-3 3-2 3-3");
    EXPECT_STR(sym(f, r, SYM_GROW_DIAG), "0-0 1-1 1-2 2-3 3-3");
    EXPECT_STR(sym(f, r, SYM_GROW_DIAG_FINAL), "0-0 1-1 1-2 2-3 3-3");
    EXPECT_STR(sym(f, r, SYM_GROW_DIAG_FINAL_AND), "0-0 1-1 1-2 2-3 3-3");
}

static void test_symmetrize_final_and_differs(void) {
    /* 5 x 5: forward 0-0 1-1 2-2 4-4, reverse 0-0 1-1 3-0.
     * intersection {0-0, 1-1}; grow-diag adds 2-2 (diagonal of 1-1, source 2
     * free) and nothing else: 3-0 and 4-4 neighbour no chosen link.
     * final (either word free): 4-4 from forward, then 3-0 from reverse
     * (source 3 free). final-and (both words free): 4-4 only, since target 0
     * is taken by 0-0. So grow-diag added 2-2 and final-and 4-4. */
    const char *f = "0-0 1-1 2-2 4-4", *r = "0-0 1-1 3-0";
    EXPECT_STR(sym(f, r, SYM_INTERSECT), "0-0 1-1");
    EXPECT_STR(sym(f, r, SYM_UNION), "0-0 1-1 2-2 3-0 4-4");
    EXPECT_STR(sym(f, r, SYM_GROW_DIAG), "0-0 1-1 2-2");
    EXPECT_STR(sym(f, r, SYM_GROW_DIAG_FINAL), "0-0 1-1 2-2 3-0 4-4");
    EXPECT_STR(sym(f, r, SYM_GROW_DIAG_FINAL_AND), "0-0 1-1 2-2 4-4");
    /* final-and takes forward's links first: both offer a link to the free
     * source 2, forward 2-2 and reverse 2-3; only the first fits. */
    EXPECT_STR(sym("0-0 2-2", "0-0 2-3", SYM_GROW_DIAG_FINAL_AND), "0-0 2-2");
    EXPECT_STR(sym("", "", SYM_GROW_DIAG_FINAL_AND), "");
}

static void test_symmetrize_methods_by_name(void) {
    SymMethod m;
    EXPECT(sym_method_parse("grow-diag-final-and", &m) == 0 && m == SYM_GROW_DIAG_FINAL_AND);
    EXPECT(sym_method_parse("intersection", &m) == 0 && m == SYM_INTERSECT);
    EXPECT(sym_method_parse("union", &m) == 0 && m == SYM_UNION);
    EXPECT(sym_method_parse("grow", &m) == -1);
    EXPECT_STR(sym_method_name(SYM_GROW_DIAG), "grow-diag");
    /* Whole alignments: from 0-0 grow-diag adds the diagonal 1-1, then from
     * 1-1 the union link 2-1 below it (source 2 free). */
    Alignment f, r, o;
    alignment_init(&f);
    alignment_init(&r);
    alignment_init(&o);
    char err[200];
    alignment_parse_line(&f, "0-0 1-1", 0, 0, err, sizeof err);
    alignment_parse_line(&r, "0-0 2-1", 0, 0, err, sizeof err);
    EXPECT(symmetrize(&f, &r, SYM_GROW_DIAG_FINAL_AND, &o, err, sizeof err) == 0);
    EXPECT_STR(line_of(&o, 0), "0-0 1-1 2-1");
    alignment_parse_line(&f, "", 0, 0, err, sizeof err);
    EXPECT(symmetrize(&f, &r, SYM_UNION, &o, err, sizeof err) == -1);
    EXPECT_STR(err, "the forward alignment has 2 sentences, the reverse 1");
    alignment_free(&f);
    alignment_free(&r);
    alignment_free(&o);
}

static void test_symmetrize_huge_indices(void) {
    /* Without --src/--tgt the grid used to be (largest index + 1)^2 cells:
     * 46340-46340 overflowed its int cell index (a crash) and 20000-20000
     * took 400 MB. Only the links count now, whatever their indices. */
    EXPECT_STR(sym("0-0 46340-46340", "0-0 46340-46340 46341-46341", SYM_GROW_DIAG_FINAL_AND),
               "0-0 46340-46340 46341-46341");
    EXPECT_STR(sym("999999999-999999999 0-5", "999999998-999999998 999999999-999999999", SYM_GROW_DIAG_FINAL),
               "0-5 999999998-999999998 999999999-999999999");
    EXPECT_STR(sym("999999999-0", "0-999999999", SYM_UNION), "0-999999999 999999999-0");
    EXPECT_STR(sym("999999999-0", "0-999999999", SYM_INTERSECT), "");
    Alignment f, r, o;
    alignment_init(&f);
    alignment_init(&r);
    alignment_init(&o);
    char err[200];
    for (int s = 0; s < 1000; s++) { /* 1000 sentences of a 20000 x 20000 "grid" */
        alignment_parse_line(&f, "0-0 20000-20000 19999-19998", 0, 0, err, sizeof err);
        alignment_parse_line(&r, "0-0 20000-20000 19999-19999", 0, 0, err, sizeof err);
    }
    EXPECT(symmetrize(&f, &r, SYM_GROW_DIAG_FINAL_AND, &o, err, sizeof err) == 0);
    EXPECT(o.nsent == 1000);
    EXPECT_STR(line_of(&o, 999), "0-0 19999-19998 19999-19999 20000-20000");
    alignment_free(&f);
    alignment_free(&r);
    alignment_free(&o);
}

static void test_symmetrize_agrees_with_the_grid(void) {
    /* 20,000 random sentence pairs up to 9 x 9, dense and sparse link sets:
     * every method gives the grid's links (grow-diag's chains, which the
     * sparse version replays from a heap of visits, included). */
    Rng rng;
    rng_seed(&rng, 11, 0);
    int bad = 0;
    for (int t = 0; t < 20000 && bad < 5; t++) {
        const int n = 1 + (int)rng_below(&rng, 9), m = 1 + (int)rng_below(&rng, 9);
        const uint32_t density = 1 + rng_below(&rng, 60);
        Alignment f, r, o;
        alignment_init(&f), alignment_init(&r), alignment_init(&o);
        alignment_begin(&f), alignment_begin(&r);
        for (int i = 0; i < n; i++)
            for (int j = 0; j < m; j++) {
                if (rng_below(&rng, 100) < density) alignment_add(&f, i, j, 0);
                if (rng_below(&rng, 100) < density) alignment_add(&r, i, j, 0);
            }
        alignment_finish(&f), alignment_finish(&r);
        for (SymMethod method = SYM_INTERSECT; method <= SYM_GROW_DIAG_FINAL_AND; method++) {
            Alignment grid;
            alignment_init(&grid);
            grid_symmetrize(alignment_links(&f, 0), alignment_count(&f, 0), alignment_links(&r, 0),
                            alignment_count(&r, 0), n, m, method, &grid);
            char want[512];
            snprintf(want, sizeof want, "%s", line_of(&grid, 0));
            alignment_free(&grid);
            symmetrize_sentence(alignment_links(&f, 0), alignment_count(&f, 0), alignment_links(&r, 0),
                                alignment_count(&r, 0), method, &o);
            char got[512];
            snprintf(got, sizeof got, "%s", line_of(&o, o.nsent - 1));
            if (strcmp(got, want) != 0 && bad++ < 5) {
                fprintf(stderr, "  %s on %d x %d, forward '%s'", sym_method_name(method), n, m, line_of(&f, 0));
                fprintf(stderr, " reverse '%s': got '%s', the grid gives '%s'\n", line_of(&r, 0), got, want);
            }
        }
        alignment_free(&f), alignment_free(&r), alignment_free(&o);
    }
    EXPECT(bad == 0);
}

static void test_aer_by_hand(void) {
    /* Sentence 1: S = {0-0, 1-1}, P = S + {1-2, 2-2}; A = {0-0, 1-2, 2-1}.
     * |A&S| = 1 (0-0), |A&P| = 2 (0-0, 1-2): AER = 1 - 3/5 = 0.4,
     * precision 2/3, recall 1/2. Sentence 2: S = {0-0}, A empty. Corpus:
     * |A| = 3, |S| = 3, |A&S| = 1, |A&P| = 2: AER = 1 - 3/6, recall 1/3. */
    Alignment gold, hyp;
    alignment_init(&gold);
    alignment_init(&hyp);
    char err[200];
    EXPECT(alignment_parse_line(&gold, "1-1 2-2 2p3 3p3", 1, 1, err, sizeof err) == 0);
    EXPECT(alignment_parse_line(&hyp, "2-1 0-0 1-2", 0, 0, err, sizeof err) == 0);
    AerCounts k = {0};
    aer_add_sentence(&k, alignment_links(&hyp, 0), alignment_count(&hyp, 0), alignment_links(&gold, 0),
                     alignment_count(&gold, 0));
    EXPECT_NEAR(aer_value(&k), 0.4, 1e-12);
    EXPECT_NEAR(aer_precision(&k), 2.0 / 3, 1e-12);
    EXPECT_NEAR(aer_recall(&k), 0.5, 1e-12);
    EXPECT(alignment_parse_line(&gold, "1-1", 1, 1, err, sizeof err) == 0);
    EXPECT(alignment_parse_line(&hyp, "", 0, 0, err, sizeof err) == 0);
    memset(&k, 0, sizeof k);
    EXPECT(aer_add(&k, &hyp, &gold, err, sizeof err) == 0);
    EXPECT(k.sentences == 2 && k.hyp == 3 && k.sure == 3 && k.possible == 5);
    EXPECT(k.hyp_sure == 1 && k.hyp_possible == 2);
    EXPECT_NEAR(aer_value(&k), 0.5, 1e-12);
    EXPECT_NEAR(aer_precision(&k), 2.0 / 3, 1e-12);
    EXPECT_NEAR(aer_recall(&k), 1.0 / 3, 1e-12);
    /* a perfect hypothesis (all sure links, no others) scores 0 */
    Alignment g2 = links("0-0 1p1"), h2 = links("0-0");
    memset(&k, 0, sizeof k);
    aer_add(&k, &h2, &g2, err, sizeof err);
    EXPECT_NEAR(aer_value(&k), 0.0, 1e-12);
    alignment_free(&g2);
    alignment_free(&h2);
    alignment_free(&gold);
    alignment_free(&hyp);
}

static void test_aer_undefined_ratios(void) {
    /* 0/0 is NaN, never a plausible 0: precision without hypothesis links,
     * recall without sure links, AER without either */
    AerCounts none = {0};
    EXPECT(isnan(aer_value(&none)) && isnan(aer_precision(&none)) && isnan(aer_recall(&none)));
    AerCounts no_hyp = {.sentences = 1, .sure = 2, .possible = 3};
    EXPECT_NEAR(aer_value(&no_hyp), 1.0, 0);
    EXPECT(isnan(aer_precision(&no_hyp)));
    EXPECT_NEAR(aer_recall(&no_hyp), 0.0, 0);
    AerCounts no_sure = {.sentences = 1, .hyp = 4, .possible = 2, .hyp_possible = 1};
    EXPECT_NEAR(aer_value(&no_sure), 0.75, 1e-12); /* 1 - precision */
    EXPECT_NEAR(aer_precision(&no_sure), 0.25, 1e-12);
    EXPECT(isnan(aer_recall(&no_sure)));
}

static void test_parse_pharaoh_and_talp(void) {
    Alignment a;
    alignment_init(&a);
    char err[200];
    /* sorted, repeats dropped, a link both sure and possible stays sure, any whitespace */
    EXPECT(alignment_parse_line(&a, " 3-1\t0-2  0-2 1p1 1-1 ", 0, 1, err, sizeof err) == 0);
    EXPECT_STR(line_of(&a, 0), "0-2 1-1 3-1");
    EXPECT(alignment_parse_line(&a, "1-1 2p3 10-12", 1, 1, err, sizeof err) == 0); /* talp: 1-based */
    EXPECT_STR(line_of(&a, 1), "0-0 1p2 9-11");
    EXPECT(alignment_links(&a, 1)[1].possible == 1);
    EXPECT(alignment_parse_line(&a, "", 0, 0, err, sizeof err) == 0);
    EXPECT(a.nsent == 3 && alignment_count(&a, 2) == 0);
    EXPECT(alignment_check_sentence(&a, 1, 10, 12, 1, err, sizeof err) == 0);
    EXPECT(alignment_check_sentence(&a, 1, 10, 11, 1, err, sizeof err) == -1);
    EXPECT_STR(err, "link 10-12: target index 12 is beyond the 11 target tokens");
    EXPECT(alignment_check_sentence(&a, 0, 3, 5, 0, err, sizeof err) == -1);
    EXPECT_STR(err, "link 3-1: source index 3 is beyond the 3 source tokens");
    EXPECT(align_count_tokens("  a b\tc  ") == 3 && align_count_tokens("") == 0);
    alignment_free(&a);
}

static void test_parse_errors(void) {
    Alignment a;
    alignment_init(&a);
    char err[200];
    EXPECT(alignment_parse_line(&a, "0-1 x", 0, 0, err, sizeof err) == -1);
    EXPECT_STR(err, "malformed link 'x' (expected I-J)");
    EXPECT(alignment_parse_line(&a, "0-1 2-", 0, 0, err, sizeof err) == -1);
    EXPECT_STR(err, "malformed link '2-' (expected I-J)");
    EXPECT(alignment_parse_line(&a, "1-2-3", 0, 0, err, sizeof err) == -1);
    EXPECT_STR(err, "malformed link '1-2-3' (expected I-J)");
    EXPECT(alignment_parse_line(&a, "1p2", 0, 0, err, sizeof err) == -1); /* no possible links in a hypothesis */
    EXPECT_STR(err, "malformed link '1p2' (expected I-J)");
    EXPECT(alignment_parse_line(&a, "1-2 3x4", 1, 1, err, sizeof err) == -1);
    EXPECT_STR(err, "malformed link '3x4' (expected I-J for a sure link or IpJ for a possible one)");
    EXPECT(alignment_parse_line(&a, "1-1 0-2", 1, 1, err, sizeof err) == -1);
    EXPECT_STR(err, "link '0-2' has index 0, but this format counts tokens from 1");
    EXPECT(alignment_parse_line(&a, "-1-2", 0, 0, err, sizeof err) == -1);
    EXPECT(alignment_parse_line(&a, "99999999999-2", 0, 0, err, sizeof err) == -1);
    EXPECT(a.nsent == 0 && a.nlinks == 0); /* failed lines leave nothing behind */
    alignment_free(&a);
}

static void test_read_file_errors_name_the_line(void) {
    char path[] = "/tmp/nmt_test_align_XXXXXX";
    int fd = mkstemp(path);
    const char text[] = "0-0 1-1\r\n\n2-2 3+3\n";
    EXPECT(write(fd, text, sizeof text - 1) == (ssize_t)(sizeof text - 1));
    close(fd);
    Alignment a;
    alignment_init(&a);
    char err[600], want[600];
    EXPECT(alignment_read_file(&a, path, 0, 0, err, sizeof err) == -1);
    snprintf(want, sizeof want, "%s:3: malformed link '3+3' (expected I-J)", path);
    EXPECT_STR(err, want);
    EXPECT(a.nsent == 2);
    alignment_free(&a);
    /* cut inside its last line ("2-2 3-3" to "2-2 3"... or to "2-2"): refused */
    const char *cut[] = {"0-0 1-1\n2-2", "0-0 1-1\n2-2 3-13", "\xEF\xBB\xBF" "0-0"};
    for (int k = 0; k < 3; k++) {
        fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        EXPECT(write(fd, cut[k], strlen(cut[k])) == (ssize_t)strlen(cut[k]));
        close(fd);
        alignment_init(&a);
        EXPECT(alignment_read_file(&a, path, 0, 0, err, sizeof err) == -1);
        snprintf(want, sizeof want, "%s:%d: no line end after the last line: the file looks cut short", path, k < 2 ? 2 : 1);
        EXPECT_MSG(strncmp(err, want, strlen(want)) == 0, "%s", err);
        alignment_free(&a);
    }
    /* a byte-order mark and CRLF line ends are fine; a NUL byte is an error, not an exit */
    const char bom[] = "\xEF\xBB\xBF" "0-0 1-1\r\n2-2\r\n", nul[] = "0-0\n1-1\0 2-2\n";
    fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    EXPECT(write(fd, bom, sizeof bom - 1) == (ssize_t)(sizeof bom - 1));
    close(fd);
    alignment_init(&a);
    EXPECT(alignment_read_file(&a, path, 0, 0, err, sizeof err) == 0 && a.nsent == 2);
    EXPECT_STR(line_of(&a, 0), "0-0 1-1");
    alignment_free(&a);
    fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    EXPECT(write(fd, nul, sizeof nul - 1) == (ssize_t)(sizeof nul - 1));
    close(fd);
    alignment_init(&a);
    EXPECT(alignment_read_file(&a, path, 0, 0, err, sizeof err) == -1);
    snprintf(want, sizeof want, "%s:2: NUL byte in the line", path);
    EXPECT_STR(err, want);
    alignment_free(&a);
    unlink(path);
    alignment_init(&a);
    EXPECT(alignment_read_file(&a, "/nonexistent/x", 0, 0, err, sizeof err) == -1);
    EXPECT(strncmp(err, "cannot open /nonexistent/x", 26) == 0);
    alignment_free(&a);
}

int main(void) {
    RUN(test_symmetrize_grow_diag_chain);
    RUN(test_symmetrize_final_and_differs);
    RUN(test_symmetrize_methods_by_name);
    RUN(test_symmetrize_huge_indices);
    RUN(test_symmetrize_agrees_with_the_grid);
    RUN(test_aer_by_hand);
    RUN(test_aer_undefined_ratios);
    RUN(test_parse_pharaoh_and_talp);
    RUN(test_parse_errors);
    RUN(test_read_file_errors_name_the_line);
    TEST_EXIT();
}
