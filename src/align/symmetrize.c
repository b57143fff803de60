/* symmetrize.c — intersection, union and the grow-diag family, worked on
 * each sentence's union of links.
 *
 * Only links of the union can ever be chosen, so a sentence is never laid
 * out as a grid of n x m cells: its union is sorted and binary-searched, and
 * the words it touches are counted in arrays of its own size. A link index
 * of 10^9 costs what an index of 10 does, and the lengths are not needed
 * (with every link inside them, they bound nothing the union does not). */
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
    int32_t src, tgt;
    int bits; /* FWD | REV | CHOSEN */
} Point;

typedef struct {
    Point *pt;         /* the union, sorted by (src, tgt) */
    size_t n;
    size_t *order;     /* indices into pt in sweep order: by (target, source) */
    size_t *rank;      /* rank[k]: where pt[k] is in order */
    int32_t *word[2];  /* the distinct source [0] / target [1] indices, ascending */
    size_t nword[2];
    int *linked[2];    /* chosen links per word of word[side] */
} Union;

static int by_src_tgt(const void *pa, const void *pb) {
    const Point *x = pa, *y = pb;
    if (x->src != y->src) return x->src < y->src ? -1 : 1;
    return x->tgt < y->tgt ? -1 : x->tgt > y->tgt;
}

/* A point's place in sweep order (qsort has no context argument). */
typedef struct {
    int32_t tgt, src;
    size_t k;
} SweepKey;

static int by_tgt_src(const void *pa, const void *pb) {
    const SweepKey *x = pa, *y = pb;
    if (x->tgt != y->tgt) return x->tgt < y->tgt ? -1 : 1;
    return x->src < y->src ? -1 : x->src > y->src;
}

static int by_int32(const void *pa, const void *pb) {
    int32_t x = *(const int32_t *)pa, y = *(const int32_t *)pb;
    return x < y ? -1 : x > y;
}

/* Index of (src, tgt) in the union, or -1. */
static long find_point(const Union *u, int64_t src, int64_t tgt) {
    size_t lo = 0, hi = u->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        const Point *p = &u->pt[mid];
        if (p->src < src || (p->src == src && p->tgt < tgt)) lo = mid + 1;
        else hi = mid;
    }
    return lo < u->n && u->pt[lo].src == src && u->pt[lo].tgt == tgt ? (long)lo : -1;
}

/* The counter of chosen links of word w on a side (w is in the union). */
static int *linked(const Union *u, int side, int32_t w) {
    size_t lo = 0, hi = u->nword[side];
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (u->word[side][mid] < w) lo = mid + 1;
        else hi = mid;
    }
    return &u->linked[side][lo];
}

static void union_build(Union *u, const AlignLink *fwd, size_t nf, const AlignLink *rev, size_t nr) {
    memset(u, 0, sizeof *u);
    Point *pt = xmalloc((nf + nr + 1) * sizeof *pt);
    size_t n = 0;
    for (size_t k = 0; k < nf; k++) pt[n++] = (Point){fwd[k].src, fwd[k].tgt, FWD};
    for (size_t k = 0; k < nr; k++) pt[n++] = (Point){rev[k].src, rev[k].tgt, REV};
    qsort(pt, n, sizeof *pt, by_src_tgt);
    size_t w = 0; /* merge repeats, keeping every input's bit */
    for (size_t r = 0; r < n; r++) {
        if (w && pt[r].src == pt[w - 1].src && pt[r].tgt == pt[w - 1].tgt) pt[w - 1].bits |= pt[r].bits;
        else pt[w++] = pt[r];
    }
    u->pt = pt;
    u->n = w;
    u->order = xmalloc((w + 1) * sizeof *u->order);
    u->rank = xmalloc((w + 1) * sizeof *u->rank);
    SweepKey *key = xmalloc((w + 1) * sizeof *key);
    for (size_t k = 0; k < w; k++) key[k] = (SweepKey){pt[k].tgt, pt[k].src, k};
    qsort(key, w, sizeof *key, by_tgt_src);
    for (size_t q = 0; q < w; q++) u->order[q] = key[q].k, u->rank[key[q].k] = q;
    free(key);
    for (int side = 0; side < 2; side++) {
        int32_t *words = xmalloc((w + 1) * sizeof *words);
        for (size_t k = 0; k < w; k++) words[k] = side ? pt[k].tgt : pt[k].src;
        qsort(words, w, sizeof *words, by_int32);
        size_t d = 0;
        for (size_t k = 0; k < w; k++)
            if (!d || words[k] != words[d - 1]) words[d++] = words[k];
        u->word[side] = words;
        u->nword[side] = d;
        u->linked[side] = xcalloc(d + 1, sizeof(int));
    }
}

static void union_free(Union *u) {
    free(u->pt), free(u->order), free(u->rank);
    for (int side = 0; side < 2; side++) free(u->word[side]), free(u->linked[side]);
}

static void choose(Union *u, size_t k) {
    u->pt[k].bits |= CHOSEN;
    (*linked(u, 0, u->pt[k].src))++;
    (*linked(u, 1, u->pt[k].tgt))++;
}

/* A min-heap of visits (sweep, position in sweep order). */
typedef struct {
    size_t sweep, pos;
} Visit;

typedef struct {
    Visit *v;
    size_t n, cap;
} Heap;

static int visit_before(Visit a, Visit b) { return a.sweep != b.sweep ? a.sweep < b.sweep : a.pos < b.pos; }

static void heap_push(Heap *h, Visit x) {
    if (h->n == h->cap) {
        h->cap = h->cap ? 2 * h->cap : 64;
        h->v = xrealloc(h->v, h->cap * sizeof *h->v);
    }
    size_t i = h->n++;
    while (i > 0 && visit_before(x, h->v[(i - 1) / 2])) {
        h->v[i] = h->v[(i - 1) / 2];
        i = (i - 1) / 2;
    }
    h->v[i] = x;
}

static Visit heap_pop(Heap *h) {
    Visit top = h->v[0], last = h->v[--h->n];
    size_t i = 0;
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= h->n) break;
        if (c + 1 < h->n && visit_before(h->v[c + 1], h->v[c])) c++;
        if (!visit_before(h->v[c], last)) break;
        h->v[i] = h->v[c];
        i = c;
    }
    if (h->n) h->v[i] = last;
    return top;
}

/* Koehn's grow-diag sweeps the grid (target words outer, source words inner,
 * as in his pseudo-code with f = source, e = target) until a sweep adds
 * nothing, visiting every chosen link; links added during a sweep count at
 * once. Visiting a link a second time adds nothing: each of its neighbours
 * was then chosen, outside the union, or had both words aligned, and stays
 * so. So each chosen link needs one visit, the first the sweeps would make
 * after choosing it: later in the same sweep when it comes after the link
 * being visited, else in the next sweep. A heap of (sweep, position) makes
 * exactly those visits in exactly that order, so the result is the
 * sweeps', in O(U log U) for U links of the union. */
static void grow_diag(Union *u) {
    /* (target, source) offsets: the 4 direct neighbours, then the diagonals */
    static const int DT[8] = {-1, 0, 1, 0, -1, -1, 1, 1}, DS[8] = {0, -1, 0, 1, -1, 1, -1, 1};
    Heap h = {0};
    for (size_t q = 0; q < u->n; q++)
        if (u->pt[u->order[q]].bits & CHOSEN) heap_push(&h, (Visit){0, q});
    while (h.n) {
        const Visit at = heap_pop(&h);
        const Point p = u->pt[u->order[at.pos]];
        for (int k = 0; k < 8; k++) {
            long nb = find_point(u, (int64_t)p.src + DS[k], (int64_t)p.tgt + DT[k]);
            if (nb < 0 || (u->pt[nb].bits & CHOSEN)) continue;
            if (*linked(u, 0, u->pt[nb].src) && *linked(u, 1, u->pt[nb].tgt)) continue;
            choose(u, (size_t)nb);
            const size_t r = u->rank[nb];
            heap_push(&h, (Visit){r > at.pos ? at.sweep : at.sweep + 1, r});
        }
    }
    free(h.v);
}

/* Add links of one input (bit) touching an unaligned word (both words
 * unaligned when both_unaligned), in sweep order. */
static void final_step(Union *u, int bit, int both_unaligned) {
    for (size_t q = 0; q < u->n; q++) {
        const size_t k = u->order[q];
        if ((u->pt[k].bits & CHOSEN) || !(u->pt[k].bits & bit)) continue;
        const int free_src = !*linked(u, 0, u->pt[k].src), free_tgt = !*linked(u, 1, u->pt[k].tgt);
        if (both_unaligned ? (free_src && free_tgt) : (free_src || free_tgt)) choose(u, k);
    }
}

void symmetrize_sentence(const AlignLink *fwd, size_t nf, const AlignLink *rev, size_t nr, SymMethod method,
                         Alignment *out) {
    Union u;
    union_build(&u, fwd, nf, rev, nr);
    for (size_t k = 0; k < u.n; k++) {
        const int c = u.pt[k].bits;
        if (method == SYM_UNION ? (c & (FWD | REV)) != 0 : (c & (FWD | REV)) == (FWD | REV)) choose(&u, k);
    }
    if (method >= SYM_GROW_DIAG) grow_diag(&u);
    if (method == SYM_GROW_DIAG_FINAL || method == SYM_GROW_DIAG_FINAL_AND) {
        const int both = method == SYM_GROW_DIAG_FINAL_AND;
        final_step(&u, FWD, both);
        final_step(&u, REV, both);
    }
    alignment_begin(out);
    for (size_t k = 0; k < u.n; k++)
        if (u.pt[k].bits & CHOSEN) alignment_add(out, u.pt[k].src, u.pt[k].tgt, 0);
    alignment_finish(out);
    union_free(&u);
}

int symmetrize(const Alignment *fwd, const Alignment *rev, SymMethod method, Alignment *out, char *err,
               size_t errsz) {
    if (fwd->nsent != rev->nsent) {
        snprintf(err, errsz, "the forward alignment has %ld sentences, the reverse %ld", fwd->nsent, rev->nsent);
        return -1;
    }
    for (long s = 0; s < fwd->nsent; s++)
        symmetrize_sentence(alignment_links(fwd, s), alignment_count(fwd, s), alignment_links(rev, s),
                            alignment_count(rev, s), method, out);
    return 0;
}
