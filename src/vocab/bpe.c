/* bpe.c — see bpe.h. */
#include "vocab/bpe.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "sys/util.h"

/* ---- learning ---- */

typedef struct {
    int a, b;       /* symbols */
    int64_t count;  /* weighted occurrences */
    int *occ;       /* positions of a in words where b may follow; stale entries are checked on use */
    int nocc, capocc;
    int dirty;      /* count changed since the last heap push */
} Pair;

typedef struct {
    int64_t count;
    int pair;
} HeapEnt;

typedef struct {
    StrTable *syms;
    Pair *pairs;
    int npairs, cappairs;
    U64Map index; /* u64_pair(a, b) -> pair */
    HeapEnt *heap;
    size_t nheap, capheap;
    int *dirty;
    int ndirty, capdirty;
    /* All words back to back as doubly linked lists of symbols; a merge
     * writes the new symbol at the left position and unlinks the right one. */
    int *sym, *nxt, *prv, *wid;
    const int64_t *wcount;
} Learner;

static void pair_add(Learner *L, int a, int b, int64_t delta, int pos) {
    int *slot = u64map_put(&L->index, u64_pair(a, b), -1);
    if (*slot < 0) {
        if (L->npairs == L->cappairs) {
            L->cappairs = L->cappairs ? 2 * L->cappairs : 1024;
            L->pairs = xrealloc(L->pairs, (size_t)L->cappairs * sizeof *L->pairs);
        }
        *slot = L->npairs;
        L->pairs[L->npairs++] = (Pair){.a = a, .b = b};
    }
    Pair *P = &L->pairs[*slot];
    P->count += delta;
    if (pos >= 0) {
        if (P->nocc == P->capocc) {
            P->capocc = P->capocc ? 2 * P->capocc : 4;
            P->occ = xrealloc(P->occ, (size_t)P->capocc * sizeof *P->occ);
        }
        P->occ[P->nocc++] = pos;
    }
    if (!P->dirty) {
        P->dirty = 1;
        if (L->ndirty == L->capdirty) {
            L->capdirty = L->capdirty ? 2 * L->capdirty : 1024;
            L->dirty = xrealloc(L->dirty, (size_t)L->capdirty * sizeof *L->dirty);
        }
        L->dirty[L->ndirty++] = (int)(P - L->pairs);
    }
}

/* x comes out of the heap before y: higher count, then smaller left symbol, then smaller right. */
static int heap_before(const Learner *L, HeapEnt x, HeapEnt y) {
    if (x.count != y.count) return x.count > y.count;
    const Pair *p = &L->pairs[x.pair], *q = &L->pairs[y.pair];
    if (p->a != q->a) return strcmp(strtab_str(L->syms, p->a), strtab_str(L->syms, q->a)) < 0;
    if (p->b != q->b) return strcmp(strtab_str(L->syms, p->b), strtab_str(L->syms, q->b)) < 0;
    return 0;
}

static void heap_push(Learner *L, HeapEnt e) {
    if (L->nheap == L->capheap) {
        L->capheap = L->capheap ? 2 * L->capheap : 1024;
        L->heap = xrealloc(L->heap, L->capheap * sizeof *L->heap);
    }
    size_t i = L->nheap++;
    while (i > 0) {
        size_t up = (i - 1) / 2;
        if (!heap_before(L, e, L->heap[up])) break;
        L->heap[i] = L->heap[up];
        i = up;
    }
    L->heap[i] = e;
}

static int heap_pop(Learner *L, HeapEnt *top) {
    if (!L->nheap) return 0;
    *top = L->heap[0];
    HeapEnt last = L->heap[--L->nheap];
    size_t i = 0, n = L->nheap;
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= n) break;
        if (c + 1 < n && heap_before(L, L->heap[c + 1], L->heap[c])) c++;
        if (!heap_before(L, L->heap[c], last)) break;
        L->heap[i] = L->heap[c];
        i = c;
    }
    if (n) L->heap[i] = last;
    return 1;
}

/* Give every pair whose count changed a heap entry with its new count;
 * older entries of the pair are recognized as stale when popped. */
static void flush_dirty(Learner *L) {
    for (int k = 0; k < L->ndirty; k++) {
        Pair *P = &L->pairs[L->dirty[k]];
        P->dirty = 0;
        if (P->count > 0) heap_push(L, (HeapEnt){P->count, L->dirty[k]});
    }
    L->ndirty = 0;
}

static int cmp_int(const void *x, const void *y) {
    int a = *(const int *)x, b = *(const int *)y;
    return (a > b) - (a < b);
}

static void merge_pair(Learner *L, int p, int c) {
    int a = L->pairs[p].a, b = L->pairs[p].b;
    int *occ = L->pairs[p].occ, nocc = L->pairs[p].nocc;
    L->pairs[p].occ = NULL;
    L->pairs[p].nocc = L->pairs[p].capocc = 0;
    /* For a pair of equal symbols, occurrences overlap ("a a a"); taking
     * them left to right gives "aa a", as applying the merge will. */
    if (a == b) qsort(occ, (size_t)nocc, sizeof *occ, cmp_int);
    for (int k = 0; k < nocc; k++) {
        int pos = occ[k];
        if (L->sym[pos] != a) continue;
        int nx = L->nxt[pos];
        if (nx < 0 || L->sym[nx] != b) continue;
        int64_t wc = L->wcount[L->wid[pos]];
        int pv = L->prv[pos], nn = L->nxt[nx];
        if (pv >= 0) {
            pair_add(L, L->sym[pv], a, -wc, -1);
            pair_add(L, L->sym[pv], c, wc, pv);
        }
        if (nn >= 0) {
            pair_add(L, b, L->sym[nn], -wc, -1);
            pair_add(L, c, L->sym[nn], wc, pos);
        }
        pair_add(L, a, b, -wc, -1);
        L->sym[pos] = c;
        L->sym[nx] = -1;
        L->nxt[pos] = nn;
        if (nn >= 0) L->prv[nn] = pos;
    }
    free(occ);
}

static int cmp_str(const void *x, const void *y) { return strcmp(*(char *const *)x, *(char *const *)y); }

void bpe_learn(const char *const *words, const int64_t *counts, size_t nwords, char sep, int max_merges,
               BpeModel *out) {
    memset(out, 0, sizeof *out);
    /* Atoms get ids in byte order so the model does not depend on word order. */
    StrTable atoms = {0};
    size_t npos = 0;
    for (size_t w = 0; w < nwords; w++) {
        const char *s = words[w];
        for (;;) {
            const char *e = strchr(s, sep);
            size_t n = e ? (size_t)(e - s) : strlen(s);
            strtab_intern(&atoms, s, n, NULL);
            npos++;
            if (!e) break;
            s = e + 1;
        }
    }
    char **sorted = xmalloc((size_t)atoms.n * sizeof *sorted);
    for (int i = 0; i < atoms.n; i++) sorted[i] = (char *)strtab_str(&atoms, i);
    qsort(sorted, (size_t)atoms.n, sizeof *sorted, cmp_str);
    for (int i = 0; i < atoms.n; i++) strtab_intern(&out->syms, sorted[i], strlen(sorted[i]), NULL);
    free(sorted);
    strtab_free(&atoms);
    out->natoms = out->syms.n;

    Learner L = {.syms = &out->syms, .wcount = counts};
    L.sym = xmalloc(npos * sizeof *L.sym);
    L.nxt = xmalloc(npos * sizeof *L.nxt);
    L.prv = xmalloc(npos * sizeof *L.prv);
    L.wid = xmalloc(npos * sizeof *L.wid);
    int *wstart = xmalloc((nwords ? nwords : 1) * sizeof *wstart);
    size_t pos = 0;
    for (size_t w = 0; w < nwords; w++) {
        const char *s = words[w];
        wstart[w] = (int)pos;
        for (;;) {
            const char *e = strchr(s, sep);
            size_t n = e ? (size_t)(e - s) : strlen(s);
            L.sym[pos] = strtab_find(&out->syms, s, n);
            L.wid[pos] = (int)w;
            L.prv[pos] = pos > (size_t)wstart[w] ? (int)pos - 1 : -1;
            L.nxt[pos] = e ? (int)pos + 1 : -1;
            if (L.prv[pos] >= 0) pair_add(&L, L.sym[pos - 1], L.sym[pos], counts[w], (int)pos - 1);
            pos++;
            if (!e) break;
            s = e + 1;
        }
    }
    flush_dirty(&L);

    int capm = 0;
    Buf joined = {0};
    HeapEnt top;
    while (out->nmerges < max_merges && heap_pop(&L, &top)) {
        Pair *P = &L.pairs[top.pair];
        if (top.count != P->count) continue; /* stale entry */
        if (P->count < 2) break;             /* a pair seen once teaches nothing */
        int a = P->a, b = P->b;
        joined.len = 0;
        buf_puts(&joined, strtab_str(L.syms, a));
        buf_puts(&joined, strtab_str(L.syms, b));
        int c = strtab_intern(L.syms, joined.data, joined.len, NULL);
        if (out->nmerges == capm) {
            capm = capm ? 2 * capm : 256;
            out->left = xrealloc(out->left, (size_t)capm * sizeof *out->left);
            out->right = xrealloc(out->right, (size_t)capm * sizeof *out->right);
            out->result = xrealloc(out->result, (size_t)capm * sizeof *out->result);
        }
        out->left[out->nmerges] = a;
        out->right[out->nmerges] = b;
        out->result[out->nmerges] = c;
        out->nmerges++;
        merge_pair(&L, top.pair, c);
        flush_dirty(&L);
    }
    buf_free(&joined);

    out->count = xcalloc((size_t)out->syms.n, sizeof *out->count);
    for (size_t w = 0; w < nwords; w++)
        for (int p = wstart[w]; p >= 0; p = L.nxt[p]) out->count[L.sym[p]] += counts[w];

    for (int i = 0; i < L.npairs; i++) free(L.pairs[i].occ);
    free(L.pairs);
    u64map_free(&L.index);
    free(L.heap);
    free(L.dirty);
    free(L.sym);
    free(L.nxt);
    free(L.prv);
    free(L.wid);
    free(wstart);
}

void bpe_model_free(BpeModel *m) {
    strtab_free(&m->syms);
    free(m->count);
    free(m->left);
    free(m->right);
    free(m->result);
    memset(m, 0, sizeof *m);
}

/* ---- applying ---- */

static void minheap_push(uint64_t *h, int *n, uint64_t v) {
    int i = (*n)++;
    while (i > 0 && h[(i - 1) / 2] > v) {
        h[i] = h[(i - 1) / 2];
        i = (i - 1) / 2;
    }
    h[i] = v;
}

static uint64_t minheap_pop(uint64_t *h, int *n) {
    uint64_t top = h[0], last = h[--*n];
    int i = 0;
    for (;;) {
        int c = 2 * i + 1;
        if (c >= *n) break;
        if (c + 1 < *n && h[c + 1] < h[c]) c++;
        if (h[c] >= last) break;
        h[i] = h[c];
        i = c;
    }
    if (*n) h[i] = last;
    return top;
}

int bpe_apply(const BpeRanks *r, int *ids, int n) {
    if (n < 2 || r->n == 0) return n;
    /* Candidate merges in a min-heap keyed (rank, position): the lowest
     * rank first and, within a rank, the leftmost. Entries made stale by an
     * earlier merge are detected by looking the pair up again. */
    enum { SMALL = 64 };
    int nxt_s[SMALL], prv_s[SMALL];
    uint64_t heap_s[3 * SMALL];
    int big = n > SMALL;
    int *nxt = big ? xmalloc((size_t)n * sizeof *nxt) : nxt_s;
    int *prv = big ? xmalloc((size_t)n * sizeof *prv) : prv_s;
    uint64_t *heap = big ? xmalloc(3 * (size_t)n * sizeof *heap) : heap_s;
    int nheap = 0;
    for (int i = 0; i < n; i++) {
        nxt[i] = i + 1 < n ? i + 1 : -1;
        prv[i] = i - 1;
        const int *rk;
        if (i + 1 < n && (rk = u64map_get(&r->rank, u64_pair(ids[i], ids[i + 1]))))
            minheap_push(heap, &nheap, (uint64_t)*rk << 32 | (uint32_t)i);
    }
    while (nheap) {
        uint64_t e = minheap_pop(heap, &nheap);
        int rank = (int)(e >> 32), pos = (int)(uint32_t)e, nx;
        if (ids[pos] < 0 || (nx = nxt[pos]) < 0) continue;
        const int *rk = u64map_get(&r->rank, u64_pair(ids[pos], ids[nx]));
        if (!rk || *rk != rank) continue;
        ids[pos] = r->result[rank];
        ids[nx] = -1;
        nxt[pos] = nxt[nx];
        if (nxt[pos] >= 0) prv[nxt[pos]] = pos;
        if (prv[pos] >= 0 && (rk = u64map_get(&r->rank, u64_pair(ids[prv[pos]], ids[pos]))))
            minheap_push(heap, &nheap, (uint64_t)*rk << 32 | (uint32_t)prv[pos]);
        if (nxt[pos] >= 0 && (rk = u64map_get(&r->rank, u64_pair(ids[pos], ids[nxt[pos]]))))
            minheap_push(heap, &nheap, (uint64_t)*rk << 32 | (uint32_t)pos);
    }
    int m = 0;
    for (int i = 0; i >= 0; i = nxt[i]) ids[m++] = ids[i];
    if (big) free(nxt), free(prv), free(heap);
    return m;
}

int bpe_apply_dropout(const BpeRanks *r, int *ids, int n, float p, Rng *rng) {
    /* Every step looks at every pair again, since a merge skipped at one
     * step may be drawn at the next: quadratic in the word's atoms, which
     * are few. Merging every drawn occurrence of the lowest rank in one pass
     * is the same as one at a time: a pair that contains the merged symbol
     * has a higher rank than the merge that made it. */
    enum { SMALL = 64 };
    int rank_s[SMALL];
    int *rank = n > SMALL ? xmalloc((size_t)n * sizeof *rank) : rank_s;
    while (n > 1) {
        int best = INT_MAX;
        for (int i = 0; i + 1 < n; i++) {
            const int *rk = u64map_get(&r->rank, u64_pair(ids[i], ids[i + 1]));
            rank[i] = rk && !(p > 0.0f && rng_uniform(rng) < p) ? *rk : -1; /* [i]: the merge of ids[i], ids[i+1] if drawn */
            if (rank[i] >= 0 && rank[i] < best) best = rank[i];
        }
        if (best == INT_MAX) break;
        int m = 0;
        for (int i = 0; i < n;) {
            if (i + 1 < n && rank[i] == best) {
                ids[m++] = r->result[best];
                i += 2;
            } else {
                ids[m++] = ids[i++];
            }
        }
        n = m;
    }
    if (rank != rank_s) free(rank);
    return n;
}
