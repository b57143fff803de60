/* symmetrize.c — intersection, union and the grow-diag family on a per-sentence grid. */
#include "align/symmetrize.h"

#include <stdlib.h>
#include <string.h>

const char *const SYM_METHOD_CHOICES[] = {"intersect|intersection", "union", "grow-diag", "grow-diag-final",
                                          "grow-diag-final-and|gdfa", NULL};

static const struct {
    const char *name;
    SymMethod method;
} NAMES[] = {
    {"intersect", SYM_INTERSECT},       {"intersection", SYM_INTERSECT},
    {"union", SYM_UNION},               {"grow-diag", SYM_GROW_DIAG},
    {"grow-diag-final", SYM_GROW_DIAG_FINAL}, {"grow-diag-final-and", SYM_GROW_DIAG_FINAL_AND},
    {"gdfa", SYM_GROW_DIAG_FINAL_AND},
};

int sym_method_parse(const char *name, SymMethod *out) {
    for (size_t k = 0; k < sizeof NAMES / sizeof NAMES[0]; k++)
        if (strcmp(name, NAMES[k].name) == 0) {
            *out = NAMES[k].method;
            return 0;
        }
    return -1;
}

const char *sym_method_name(SymMethod m) {
    for (size_t k = 0; k < sizeof NAMES / sizeof NAMES[0]; k++)
        if (NAMES[k].method == m) return NAMES[k].name;
    return "?";
}

enum { FWD = 1, REV = 2, CHOSEN = 4 };

typedef struct {
    int n, m;
    unsigned char *cell; /* n*m, cell[i * m + j]: FWD | REV | CHOSEN bits of link (i, j) */
    int *src_links, *tgt_links; /* chosen links per source / target word */
} Grid;

static void choose(Grid *g, int i, int j) {
    g->cell[i * g->m + j] |= CHOSEN;
    g->src_links[i]++;
    g->tgt_links[j]++;
}

/* Koehn's grow-diag: sweep the grid (target words outer, source words inner,
 * as in his pseudo-code with f = source, e = target) until a sweep adds
 * nothing; links added during a sweep count at once. */
static void grow_diag(Grid *g) {
    /* (target, source) offsets: the 4 direct neighbours, then the diagonals */
    static const int DT[8] = {-1, 0, 1, 0, -1, -1, 1, 1}, DS[8] = {0, -1, 0, 1, -1, 1, -1, 1};
    for (int added = 1; added;) {
        added = 0;
        for (int j = 0; j < g->m; j++)
            for (int i = 0; i < g->n; i++) {
                if (!(g->cell[i * g->m + j] & CHOSEN)) continue;
                for (int k = 0; k < 8; k++) {
                    int ni = i + DS[k], nj = j + DT[k];
                    if (ni < 0 || nj < 0 || ni >= g->n || nj >= g->m) continue;
                    unsigned char c = g->cell[ni * g->m + nj];
                    if ((c & CHOSEN) || !(c & (FWD | REV))) continue;
                    if (g->src_links[ni] && g->tgt_links[nj]) continue;
                    choose(g, ni, nj);
                    added = 1;
                }
            }
    }
}

/* Add links of one input (bit) touching an unaligned word (both words
 * unaligned when both_unaligned). */
static void final_step(Grid *g, unsigned char bit, int both_unaligned) {
    for (int j = 0; j < g->m; j++)
        for (int i = 0; i < g->n; i++) {
            unsigned char c = g->cell[i * g->m + j];
            if ((c & CHOSEN) || !(c & bit)) continue;
            int free_src = !g->src_links[i], free_tgt = !g->tgt_links[j];
            if (both_unaligned ? (free_src && free_tgt) : (free_src || free_tgt)) choose(g, i, j);
        }
}

void symmetrize_sentence(const AlignLink *fwd, size_t nf, const AlignLink *rev, size_t nr, int n, int m,
                         SymMethod method, Alignment *out) {
    Grid g = {n, m, xcalloc((size_t)n * (size_t)m + 1, 1), xcalloc((size_t)n + 1, sizeof(int)),
              xcalloc((size_t)m + 1, sizeof(int))};
    for (size_t k = 0; k < nf; k++) g.cell[fwd[k].src * m + fwd[k].tgt] |= FWD;
    for (size_t k = 0; k < nr; k++) g.cell[rev[k].src * m + rev[k].tgt] |= REV;
    for (int i = 0; i < n; i++)
        for (int j = 0; j < m; j++) {
            unsigned char c = g.cell[i * m + j];
            if (method == SYM_UNION ? (c & (FWD | REV)) != 0 : (c & (FWD | REV)) == (FWD | REV)) choose(&g, i, j);
        }
    if (method >= SYM_GROW_DIAG) grow_diag(&g);
    if (method == SYM_GROW_DIAG_FINAL || method == SYM_GROW_DIAG_FINAL_AND) {
        int both = method == SYM_GROW_DIAG_FINAL_AND;
        final_step(&g, FWD, both);
        final_step(&g, REV, both);
    }
    alignment_begin(out);
    for (int i = 0; i < n; i++)
        for (int j = 0; j < m; j++)
            if (g.cell[i * m + j] & CHOSEN) alignment_add(out, i, j, 0);
    alignment_finish(out);
    free(g.cell);
    free(g.src_links);
    free(g.tgt_links);
}

/* 1 + the largest source (side 0) or target index in two sentences' links. */
static int extent(const AlignLink *a, size_t na, const AlignLink *b, size_t nb, int side) {
    int e = 0;
    for (size_t k = 0; k < na; k++) e = (side ? a[k].tgt : a[k].src) + 1 > e ? (side ? a[k].tgt : a[k].src) + 1 : e;
    for (size_t k = 0; k < nb; k++) e = (side ? b[k].tgt : b[k].src) + 1 > e ? (side ? b[k].tgt : b[k].src) + 1 : e;
    return e;
}

int symmetrize(const Alignment *fwd, const Alignment *rev, const int *src_len, const int *tgt_len,
               SymMethod method, Alignment *out, char *err, size_t errsz) {
    if (fwd->nsent != rev->nsent) {
        snprintf(err, errsz, "the forward alignment has %ld sentences, the reverse %ld", fwd->nsent, rev->nsent);
        return -1;
    }
    for (long s = 0; s < fwd->nsent; s++) {
        const AlignLink *a = alignment_links(fwd, s), *b = alignment_links(rev, s);
        size_t na = alignment_count(fwd, s), nb = alignment_count(rev, s);
        int n = src_len ? src_len[s] : extent(a, na, b, nb, 0);
        int m = tgt_len ? tgt_len[s] : extent(a, na, b, nb, 1);
        symmetrize_sentence(a, na, b, nb, n, m, method, out);
    }
    return 0;
}
