/* fuzz_links — libFuzzer target for word-link files: the Pharaoh/talp
 * reader every tool shares (alignment_read_file: nmt-align, nmt-train
 * --guided-alignment, and nmt-score --gold-alignment through
 * align_read_checked), the range and line-count checks, symmetrization and
 * AER. The first input byte picks the format (Pharaoh or talp, possible
 * links allowed or not); the rest is the file, read from an in-memory file
 * (memfd) through /proc/self/fd/N. A file that parses must:
 *   - give one sentence per line, each sorted by (source, target) without
 *     repeats, indices in [0, 10^9];
 *   - print and parse back to the same links;
 *   - pass the range check at its own extent and fail it one below;
 *   - be accepted by align_read_checked against a corpus of exactly those
 *     extents (when small), and refused with one line less;
 *   - score AER 0, precision 1 against itself;
 *   - symmetrize (sentence 2k forward, 2k+1 reverse) into the exact
 *     intersection and union, with intersect ⊆ grow-diag ⊆ either final ⊆
 *     union, and, for indices below 24, the links of the grid algorithm
 *     (Koehn's sweeps over n x m cells) for every method.
 * Refused files: the message names the file and line, and a file whose
 * last line lacks its line end is always refused (a cut file). A violation
 * aborts. */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "align/aer.h"
#include "align/pipeline.h"
#include "align/symmetrize.h"
#include "sys/util.h"

#include "../grid_symmetrize.h"
#include "check.h"

static int fd[3] = {-1, -1, -1};
static char path[3][64];

static void put(int k, const void *data, size_t size) {
    if (ftruncate(fd[k], 0) != 0 || (size && pwrite(fd[k], data, size, 0) != (ssize_t)size)) abort();
}

static int same_link(const AlignLink *a, const AlignLink *b) { return a->src == b->src && a->tgt == b->tgt; }
static int link_before(const AlignLink *a, const AlignLink *b) {
    return a->src != b->src ? a->src < b->src : a->tgt < b->tgt;
}

/* 1 when (s, t) is among the sorted links l[0..n). */
static int has(const AlignLink *l, size_t n, int32_t s, int32_t t) {
    size_t lo = 0, hi = n;
    AlignLink x = {s, t, 0};
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (link_before(&l[mid], &x)) lo = mid + 1;
        else hi = mid;
    }
    return lo < n && same_link(&l[lo], &x);
}

/* Every link of sentence s of a is in sentence t of b. */
static int subset(const Alignment *a, long s, const Alignment *b, long t) {
    const AlignLink *x = alignment_links(a, s), *y = alignment_links(b, t);
    for (size_t k = 0; k < alignment_count(a, s); k++)
        if (!has(y, alignment_count(b, t), x[k].src, x[k].tgt)) return 0;
    return 1;
}

static int same_sentence(const Alignment *a, long s, const Alignment *b, long t) {
    if (alignment_count(a, s) != alignment_count(b, t)) return 0;
    for (size_t k = 0; k < alignment_count(a, s); k++)
        if (!same_link(&alignment_links(a, s)[k], &alignment_links(b, t)[k])) return 0;
    return 1;
}

static void check_symmetrize(const Alignment *a) {
    for (long s = 0; s + 1 < a->nsent; s += 2) {
        const AlignLink *f = alignment_links(a, s), *r = alignment_links(a, s + 1);
        const size_t nf = alignment_count(a, s), nr = alignment_count(a, s + 1);
        int32_t ext[2] = {0, 0};
        for (size_t k = 0; k < nf; k++) ext[0] = f[k].src + 1 > ext[0] ? f[k].src + 1 : ext[0], ext[1] = f[k].tgt + 1 > ext[1] ? f[k].tgt + 1 : ext[1];
        for (size_t k = 0; k < nr; k++) ext[0] = r[k].src + 1 > ext[0] ? r[k].src + 1 : ext[0], ext[1] = r[k].tgt + 1 > ext[1] ? r[k].tgt + 1 : ext[1];
        Alignment out, ref;
        alignment_init(&out);
        alignment_init(&ref);
        for (SymMethod m = SYM_INTERSECT; m <= SYM_GROW_DIAG_FINAL_AND; m++) {
            symmetrize_sentence(f, nf, r, nr, m, &out);
            const AlignLink *o = alignment_links(&out, m);
            for (size_t k = 0; k < alignment_count(&out, m); k++) {
                CHECK(k == 0 || link_before(&o[k - 1], &o[k]));
                CHECK(!o[k].possible);
                const int in_f = has(f, nf, o[k].src, o[k].tgt), in_r = has(r, nr, o[k].src, o[k].tgt);
                CHECK(in_f || in_r);                           /* nothing outside the union */
                if (m == SYM_INTERSECT) CHECK(in_f && in_r);
            }
            if (ext[0] <= 24 && ext[1] <= 24) {
                grid_symmetrize(f, nf, r, nr, ext[0], ext[1], m, &ref);
                CHECK(same_sentence(&out, m, &ref, ref.nsent - 1));
            }
        }
        /* the whole intersection and union; the methods nest */
        size_t both = 0;
        for (size_t k = 0; k < nf; k++) both += has(r, nr, f[k].src, f[k].tgt);
        CHECK(alignment_count(&out, SYM_INTERSECT) == both);
        CHECK(alignment_count(&out, SYM_UNION) == nf + nr - both);
        CHECK(subset(&out, SYM_INTERSECT, &out, SYM_GROW_DIAG));
        CHECK(subset(&out, SYM_GROW_DIAG, &out, SYM_GROW_DIAG_FINAL_AND));
        CHECK(subset(&out, SYM_GROW_DIAG, &out, SYM_GROW_DIAG_FINAL));
        /* (final-and is no subset of final: a forward link final adds can
         * take the word a reverse link of final-and needed) */
        CHECK(subset(&out, SYM_GROW_DIAG_FINAL_AND, &out, SYM_UNION));
        CHECK(subset(&out, SYM_GROW_DIAG_FINAL, &out, SYM_UNION));
        alignment_free(&out);
        alignment_free(&ref);
    }
}

/* A corpus whose line k has ext[k] words ("w w w"), or one line less. */
static void corpus(int k, const int *ext, long n) {
    Buf b = {0};
    for (long s = 0; s < n; s++) {
        for (int w = 0; w < ext[s]; w++) buf_puts(&b, w ? " w" : "w");
        buf_puts(&b, "\n");
    }
    put(k, b.data, b.len);
    buf_free(&b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (fd[0] < 0)
        for (int k = 0; k < 3; k++) {
            fd[k] = memfd_create("fuzz_links", 0);
            if (fd[k] < 0) abort();
            snprintf(path[k], sizeof path[k], "/proc/self/fd/%d", fd[k]);
        }
    if (size < 1) return 0;
    const int base = data[0] & 1, allow_possible = (data[0] >> 1) & 1;
    const char *text = (const char *)data + 1;
    const size_t len = size - 1;
    put(0, text, len);
    Alignment a;
    alignment_init(&a);
    char err[600];
    if (alignment_read_file(&a, path[0], base, allow_possible, err, sizeof err) != 0) {
        CHECK(strncmp(err, path[0], strlen(path[0])) == 0 && err[strlen(path[0])] == ':'); /* FILE:LINE: ... */
        alignment_free(&a);
        return 0;
    }
    CHECK(len == 0 || text[len - 1] == '\n'); /* no cut last line */
    CHECK(!memchr(text, '\0', len));
    long lines = 0;
    for (size_t k = 0; k < len; k++) lines += text[k] == '\n';
    CHECK(a.nsent == lines);

    int *ext[2] = {xcalloc((size_t)a.nsent + 1, sizeof(int)), xcalloc((size_t)a.nsent + 1, sizeof(int))};
    int small = 1;
    Alignment back;
    alignment_init(&back);
    Buf b = {0};
    for (long s = 0; s < a.nsent; s++) {
        const AlignLink *l = alignment_links(&a, s);
        const size_t n = alignment_count(&a, s);
        for (size_t k = 0; k < n; k++) {
            CHECK(l[k].src >= 0 && l[k].tgt >= 0 && l[k].src <= 1000000000 && l[k].tgt <= 1000000000);
            CHECK(k == 0 || link_before(&l[k - 1], &l[k]));
            CHECK(allow_possible || !l[k].possible);
            if (l[k].src + 1 > ext[0][s]) ext[0][s] = l[k].src + 1;
            if (l[k].tgt + 1 > ext[1][s]) ext[1][s] = l[k].tgt + 1;
        }
        small = small && ext[0][s] <= 64 && ext[1][s] <= 64;
        /* inside its own extent, not inside one less */
        CHECK(alignment_check_sentence(&a, s, ext[0][s], ext[1][s], base, err, sizeof err) == 0);
        if (n) CHECK(alignment_check_sentence(&a, s, ext[0][s] - 1, ext[1][s], base, err, sizeof err) == -1 ||
                     alignment_check_sentence(&a, s, ext[0][s], ext[1][s] - 1, base, err, sizeof err) == -1);
        /* printed and read back: the same links */
        b.len = 0;
        alignment_format_sentence(&a, s, &b);
        buf_append(&b, "", 1);
        CHECK(b.data[b.len - 2] == '\n');
        b.data[b.len - 2] = '\0';
        CHECK(alignment_parse_line(&back, b.data, 0, 1, err, sizeof err) == 0);
        CHECK(alignment_count(&back, s) == n);
        for (size_t k = 0; k < n; k++) {
            CHECK(same_link(&alignment_links(&back, s)[k], &l[k]));
            CHECK(alignment_links(&back, s)[k].possible == l[k].possible);
        }
    }
    buf_free(&b);
    alignment_free(&back);

    /* against itself: nothing wrong, nothing missed */
    AerCounts c = {0};
    CHECK(aer_add(&c, &a, &a, err, sizeof err) == 0);
    CHECK(c.hyp_possible == c.hyp && c.hyp_sure == c.sure && c.sentences == a.nsent);
    if (c.hyp + c.sure) CHECK(aer_value(&c) == 0.0);
    if (c.hyp) CHECK(aer_precision(&c) == 1.0);

    /* the gold readers' checks against a corpus (nmt-score --gold-alignment) */
    if (small && a.nsent <= 256) {
        corpus(1, ext[0], a.nsent);
        corpus(2, ext[1], a.nsent);
        Alignment g;
        alignment_init(&g);
        CHECK(align_read_checked(&g, path[0], base, allow_possible, path[1], path[2], err, sizeof err) == 0);
        CHECK(g.nsent == a.nsent && g.nlinks == a.nlinks);
        alignment_free(&g);
        if (a.nsent > 0) {
            corpus(1, ext[0], a.nsent - 1);
            corpus(2, ext[1], a.nsent - 1);
            alignment_init(&g);
            CHECK(align_read_checked(&g, path[0], base, allow_possible, path[1], path[2], err, sizeof err) == -1);
            CHECK(strstr(err, "line counts differ") != NULL);
            alignment_free(&g);
        }
    }
    free(ext[0]), free(ext[1]);
    check_symmetrize(&a);
    alignment_free(&a);
    return 0;
}
