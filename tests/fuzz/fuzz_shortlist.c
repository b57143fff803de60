/* fuzz_shortlist — libFuzzer target for the shortlist file reader
 * (shortlist_parse, behind nmt-translate --shortlist), for a vocabulary of
 * 40 source and 50 target tokens whose CRC is 0x1234abcd (the seeds are
 * files for it). A file that parses must:
 *   - hold what the format allows: candidates ascending by source, 1 to
 *     best target ids below 50 each, frequent ids below 50;
 *   - print (shortlist_format) and parse back to the same shortlist;
 *   - lose that when cut: every prefix that ends before its end line's
 *     "end" is refused (a truncated file is never read as a whole one);
 *   - select, for any sources, an ascending set of target ids below 50
 *     holding </s>, the frequent tokens and each source's candidates.
 * A refused file's message names it. A violation aborts. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "search/shortlist.h"
#include "vocab/vocab.h"

#include "check.h"

enum { VS = 40, VT = 50 };
#define CRC 0x1234abcdu

static int same(const Shortlist *a, const Shortlist *b) {
    if (a->best != b->best || a->n_frequent != b->n_frequent || a->Vs != b->Vs || a->Vt != b->Vt) return 0;
    if (memcmp(a->start, b->start, sizeof(int) * (VS + 1)) != 0) return 0;
    if (a->n_frequent && memcmp(a->frequent, b->frequent, sizeof(int) * (size_t)a->n_frequent) != 0) return 0;
    return a->start[VS] == 0 || memcmp(a->cands, b->cands, sizeof(int) * (size_t)a->start[VS]) == 0;
}

static int refused(const char *data, size_t len) {
    Shortlist sl;
    char err[512];
    if (shortlist_parse(&sl, "cut", data, len, VS, VT, CRC, err, sizeof err) == 0) {
        shortlist_free(&sl);
        return 0;
    }
    CHECK(strncmp(err, "cut:", 4) == 0);
    CHECK(sl.start == NULL && sl.cands == NULL && sl.frequent == NULL); /* nothing left behind */
    return 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    const char *text = (const char *)data;
    Shortlist sl;
    char err[512];
    if (shortlist_parse(&sl, "in", text, size, VS, VT, CRC, err, sizeof err) != 0) {
        CHECK(strncmp(err, "in:", 3) == 0);
        return 0;
    }
    CHECK(sl.Vs == VS && sl.Vt == VT && sl.best >= 1 && sl.start[0] == 0);
    for (int k = 0; k < sl.n_frequent; k++) CHECK(sl.frequent[k] >= 0 && sl.frequent[k] < VT);
    for (int s = 0; s < VS; s++) {
        const int n = sl.start[s + 1] - sl.start[s];
        CHECK(n >= 0 && n <= sl.best);
        for (int k = sl.start[s]; k < sl.start[s + 1]; k++) CHECK(sl.cands[k] >= 0 && sl.cands[k] < VT);
    }
    /* printed and read back */
    Buf b = {0};
    shortlist_format(&sl, &b);
    Shortlist back;
    CHECK(shortlist_parse(&back, "back", b.data, b.len, VS, VT, CRC, err, sizeof err) == 0);
    CHECK(same(&sl, &back));
    shortlist_free(&back);
    buf_free(&b);

    /* cut before the end line's text is complete: refused. The end line
     * starts after the last line break that has text after it. */
    size_t end = size;
    while (end > 0 && (text[end - 1] == '\n' || text[end - 1] == '\r')) end--;
    CHECK(end >= 3 && memcmp(text + end - 3, "end", 3) == 0);
    const size_t cuts[] = {0, 1, end / 2, end / 3, 2 * end / 3, end - 3, end - 2, end - 1};
    for (size_t k = 0; k < sizeof cuts / sizeof cuts[0]; k++) CHECK(refused(text, cuts[k]));
    for (size_t cut = 0; cut < end; cut += 1 + end / 64) CHECK(refused(text, cut));
    for (size_t cut = 0; cut + 1 < end; cut++) /* every line end */
        if (text[cut] == '\n') CHECK(refused(text, cut + 1));

    /* selection: the sources are the input's bytes */
    int src[64], n = 0;
    for (size_t k = 0; k < size && n < 64; k++) src[n++] = data[k] % (VS + 8) - 4; /* some outside [0, VS) */
    const int *rows[2] = {src, src + n / 2};
    const int lens[2] = {n / 2, n - n / 2};
    int out[VT];
    unsigned char mark[VT];
    const int count = shortlist_select(&sl, rows, lens, 2, out, mark);
    CHECK(count >= 1 && count <= VT);
    int eos = 0;
    for (int k = 0; k < count; k++) {
        CHECK(out[k] >= 0 && out[k] < VT && (k == 0 || out[k - 1] < out[k]));
        eos |= out[k] == VOCAB_EOS;
    }
    CHECK(eos);
    for (int k = 0; k < sl.n_frequent; k++) CHECK(mark[sl.frequent[k]]);
    for (int i = 0; i < n; i++)
        if (src[i] >= 0 && src[i] < VS)
            for (int k = sl.start[src[i]]; k < sl.start[src[i] + 1]; k++) CHECK(mark[sl.cands[k]]);
    shortlist_free(&sl);
    return 0;
}
