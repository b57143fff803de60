/* bleu.c — BLEU statistics, score and sacreBLEU-style output. See bleu.h.
 *
 * Per segment, every text (hypothesis and non-empty references) is lowercased
 * if asked, tokenized with 13a, and its n-grams (orders 1..4) are counted in
 * one hash table. A tokenized text is its tokens joined by single spaces, so
 * an n-gram is simply a substring of it: the table's keys point into the
 * tokenized texts and are never copied. Each entry keeps the largest count
 * over the references (the clipping limit) and the count in the hypothesis. */
#include "eval/bleu.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    const char *key; /* NULL: free slot */
    uint32_t len;
    uint32_t order;
    uint64_t hash;
    int32_t ref_max; /* max count over the references seen so far */
    int32_t ref_cur; /* count in reference ref_id */
    int32_t ref_id;
    int32_t hyp;     /* count in the hypothesis */
} Ngram;

/* An open-addressing table (linear probing) that is emptied after each
 * segment by clearing only the slots that were used. */
typedef struct {
    Ngram *slots;
    size_t cap; /* power of two, 0 before the first use */
    size_t *used;
    size_t nused, used_cap;
} NgramMap;

struct BleuScratch {
    Buf *tok;          /* tokenized texts: [0] hypothesis, [1..] references */
    int64_t *ref_tokens; /* [1..] token counts of the references */
    int ntok;
    Buf lower;
    size_t *starts, *ends; /* token boundaries in the text being counted */
    size_t bounds_cap;
    NgramMap map;
};

/* ---------------------------------------------------------------- table */

static uint64_t hash_bytes(const char *p, size_t n) {
    uint64_t h = 1469598103934665603ULL; /* FNV-1a */
    for (size_t i = 0; i < n; i++) {
        h ^= (unsigned char)p[i];
        h *= 1099511628211ULL;
    }
    return h ^ (h >> 29);
}

/* Make room for `entries` distinct keys at load factor <= 1/2. Only called
 * while the table is empty. */
static void map_reserve(NgramMap *m, size_t entries) {
    size_t want = 64;
    while (want < 2 * entries) want *= 2;
    if (want <= m->cap) return;
    free(m->slots);
    free(m->used);
    m->slots = xcalloc(want, sizeof *m->slots);
    m->cap = want;
    m->used = xmalloc(want * sizeof *m->used);
    m->used_cap = want;
    m->nused = 0;
}

static Ngram *map_get(NgramMap *m, const char *key, size_t len, uint32_t order) {
    uint64_t h = hash_bytes(key, len);
    size_t mask = m->cap - 1;
    for (size_t i = (size_t)h & mask;; i = (i + 1) & mask) {
        Ngram *e = &m->slots[i];
        if (!e->key) {
            e->key = key;
            e->len = (uint32_t)len;
            e->order = order;
            e->hash = h;
            e->ref_id = -1;
            m->used[m->nused++] = i;
            return e;
        }
        if (e->hash == h && e->len == len && memcmp(e->key, key, len) == 0) return e;
    }
}

static void map_clear(NgramMap *m) {
    for (size_t k = 0; k < m->nused; k++) memset(&m->slots[m->used[k]], 0, sizeof(Ngram));
    m->nused = 0;
}

/* ---------------------------------------------------------------- stats */

void bleu_stats_init(BleuStats *s, int lowercase) {
    memset(s, 0, sizeof *s);
    s->lowercase = lowercase ? 1 : 0;
}

void bleu_stats_free(BleuStats *s) {
    BleuScratch *w = s->scratch;
    if (w) {
        for (int k = 0; k < w->ntok; k++) buf_free(&w->tok[k]);
        free(w->tok);
        free(w->ref_tokens);
        buf_free(&w->lower);
        free(w->starts);
        free(w->ends);
        free(w->map.slots);
        free(w->map.used);
        free(w);
    }
    s->scratch = NULL;
}

/* Token boundaries of a tokenized text (tokens separated by single spaces). */
static size_t split_tokens(BleuScratch *w, const Buf *t) {
    size_t n = 0;
    if (t->len + 1 > w->bounds_cap) {
        w->bounds_cap = t->len + 1;
        w->starts = xrealloc(w->starts, w->bounds_cap * sizeof *w->starts);
        w->ends = xrealloc(w->ends, w->bounds_cap * sizeof *w->ends);
    }
    size_t i = 0;
    while (i < t->len) {
        w->starts[n] = i;
        while (i < t->len && t->data[i] != ' ') i++;
        w->ends[n++] = i;
        i++; /* the separating space */
    }
    return n;
}

/* Count the n-grams of tokenized text t: as reference ref_id (>= 0), or as
 * the hypothesis (ref_id < 0). Returns the number of tokens. */
static size_t count_ngrams(BleuScratch *w, const Buf *t, int32_t ref_id) {
    size_t ntok = split_tokens(w, t);
    for (size_t n = 1; n <= BLEU_MAX_ORDER && n <= ntok; n++) {
        for (size_t i = 0; i + n <= ntok; i++) {
            size_t a = w->starts[i], b = w->ends[i + n - 1];
            Ngram *e = map_get(&w->map, t->data + a, b - a, (uint32_t)n);
            if (ref_id < 0) {
                e->hyp++;
            } else {
                if (e->ref_id != ref_id) {
                    e->ref_id = ref_id;
                    e->ref_cur = 0;
                }
                if (++e->ref_cur > e->ref_max) e->ref_max = e->ref_cur;
            }
        }
    }
    return ntok;
}

static void preprocess(BleuStats *s, const char *text, size_t len, Buf *out) {
    BleuScratch *w = s->scratch;
    if (s->lowercase) {
        bleu_lowercase(text, len, &w->lower); /* validated by the caller */
        bleu_tokenize_13a(w->lower.data, w->lower.len, out);
    } else {
        bleu_tokenize_13a(text, len, out);
    }
}

int bleu_stats_add_n(BleuStats *s, const char *hyp, size_t hyp_len, const char *const *refs,
                     const size_t *ref_lens, int nrefs, char *err, size_t errsz) {
    size_t bad;
    if (nrefs < 1) {
        snprintf(err, errsz, "no reference given");
        return -1;
    }
    if ((bad = bleu_utf8_invalid_at(hyp, hyp_len)) != 0) {
        snprintf(err, errsz, "hypothesis: invalid UTF-8 at byte %zu", bad);
        return -1;
    }
    int nonempty = 0;
    for (int r = 0; r < nrefs; r++) {
        if ((bad = bleu_utf8_invalid_at(refs[r], ref_lens[r])) != 0) {
            snprintf(err, errsz, "reference %d: invalid UTF-8 at byte %zu", r + 1, bad);
            return -1;
        }
        if (bleu_rstrip_len(refs[r], ref_lens[r]) > 0) nonempty++;
    }
    if (nonempty == 0) {
        snprintf(err, errsz, nrefs > 1 ? "every reference is empty" : "the reference is empty");
        return -1;
    }

    if (!s->scratch) s->scratch = xcalloc(1, sizeof *s->scratch);
    BleuScratch *w = s->scratch;
    if (w->ntok < nonempty + 1) {
        w->tok = xrealloc(w->tok, (size_t)(nonempty + 1) * sizeof *w->tok);
        memset(w->tok + w->ntok, 0, (size_t)(nonempty + 1 - w->ntok) * sizeof *w->tok);
        w->ntok = nonempty + 1;
        w->ref_tokens = xrealloc(w->ref_tokens, (size_t)w->ntok * sizeof *w->ref_tokens);
    }

    /* Tokenize everything first: the table's keys point into these buffers. */
    preprocess(s, hyp, hyp_len, &w->tok[0]);
    size_t bytes = w->tok[0].len;
    int k = 1;
    for (int r = 0; r < nrefs; r++) {
        if (bleu_rstrip_len(refs[r], ref_lens[r]) == 0) continue;
        preprocess(s, refs[r], ref_lens[r], &w->tok[k]);
        bytes += w->tok[k].len;
        k++;
    }
    /* A tokenized text of L bytes has at most (L+1)/2 tokens, so at most
     * 2(L+1) n-grams of orders 1..4. */
    map_reserve(&w->map, 2 * bytes + 2 * (size_t)(nonempty + 1));

    /* References first (clipping limits), then the hypothesis. */
    int64_t closest = -1, best_diff = -1;
    int64_t *ref_tokens = w->ref_tokens;
    for (k = 1; k <= nonempty; k++) ref_tokens[k] = (int64_t)count_ngrams(w, &w->tok[k], k);
    int64_t hyp_tokens = (int64_t)count_ngrams(w, &w->tok[0], -1);

    /* Effective reference length: the closest to the hypothesis, the shorter on a tie. */
    for (k = 1; k <= nonempty; k++) {
        int64_t diff = hyp_tokens > ref_tokens[k] ? hyp_tokens - ref_tokens[k] : ref_tokens[k] - hyp_tokens;
        if (best_diff < 0 || diff < best_diff || (diff == best_diff && ref_tokens[k] < closest)) {
            best_diff = diff;
            closest = ref_tokens[k];
        }
    }

    for (size_t u = 0; u < w->map.nused; u++) {
        const Ngram *e = &w->map.slots[w->map.used[u]];
        if (!e->hyp) continue;
        s->total[e->order - 1] += e->hyp;
        s->correct[e->order - 1] += e->hyp < e->ref_max ? e->hyp : e->ref_max;
    }
    map_clear(&w->map);

    s->hyp_len += hyp_tokens;
    s->ref_len += closest;
    if (s->segments == 0 || nonempty < s->min_refs) s->min_refs = nonempty;
    if (s->segments == 0 || nonempty > s->max_refs) s->max_refs = nonempty;
    s->segments++;
    return 0;
}

int bleu_stats_add(BleuStats *s, const char *hyp, const char *const *refs, int nrefs, char *err,
                   size_t errsz) {
    size_t lens_small[8] = {0};
    size_t *lens = nrefs <= 8 ? lens_small : xmalloc((size_t)nrefs * sizeof *lens);
    for (int r = 0; r < nrefs; r++) lens[r] = strlen(refs[r]);
    int rc = bleu_stats_add_n(s, hyp, strlen(hyp), refs, lens, nrefs, err, errsz);
    if (lens != lens_small) free(lens);
    return rc;
}

void bleu_stats_merge(BleuStats *dst, const BleuStats *src) {
    if (src->segments == 0) return;
    dst->hyp_len += src->hyp_len;
    dst->ref_len += src->ref_len;
    for (int n = 0; n < BLEU_MAX_ORDER; n++) {
        dst->correct[n] += src->correct[n];
        dst->total[n] += src->total[n];
    }
    if (dst->segments == 0 || src->min_refs < dst->min_refs) dst->min_refs = src->min_refs;
    if (dst->segments == 0 || src->max_refs > dst->max_refs) dst->max_refs = src->max_refs;
    dst->segments += src->segments;
}

/* ---------------------------------------------------------------- score */

void bleu_compute(const BleuStats *s, BleuResult *r) {
    memset(r, 0, sizeof *r);
    r->hyp_len = s->hyp_len;
    r->ref_len = s->ref_len;
    memcpy(r->correct, s->correct, sizeof r->correct);
    memcpy(r->total, s->total, sizeof r->total);
    r->ratio = s->ref_len ? (double)s->hyp_len / (double)s->ref_len : 0.0;

    if (s->hyp_len < s->ref_len)
        r->bp = s->hyp_len > 0 ? exp(1.0 - (double)s->ref_len / (double)s->hyp_len) : 0.0;
    else
        r->bp = 1.0;

    /* No match at all: 0 and all precisions 0 (sacreBLEU returns early). */
    int any = 0;
    for (int n = 0; n < BLEU_MAX_ORDER; n++) any |= s->correct[n] != 0;
    if (!any) return;

    /* 'exp' smoothing: the k-th order without a match gets precision
     * 100 / (2^k * total). An order without any hypothesis n-gram stops the
     * loop; it and the higher orders keep precision 0, which zeroes the score. */
    double smooth = 1.0;
    for (int n = 0; n < BLEU_MAX_ORDER; n++) {
        if (s->total[n] == 0) break;
        if (s->correct[n] == 0) {
            smooth *= 2;
            r->precisions[n] = 100.0 / (smooth * (double)s->total[n]);
        } else {
            r->precisions[n] = 100.0 * (double)s->correct[n] / (double)s->total[n];
        }
    }
    /* Geometric mean with sacreBLEU's floored log (log 0 = -9999999999). */
    double sum = 0.0;
    for (int n = 0; n < BLEU_MAX_ORDER; n++)
        sum += r->precisions[n] == 0.0 ? -9999999999.0 : log(r->precisions[n]);
    r->score = r->bp * exp(sum / BLEU_MAX_ORDER);
}

/* --------------------------------------------------------------- output */

int bleu_format_score(const BleuResult *r, char *buf, size_t n) {
    return snprintf(buf, n, "%.2f", r->score);
}

int bleu_format_verbose(const BleuResult *r, char *buf, size_t n) {
    return snprintf(buf, n, "%.2f %.1f/%.1f/%.1f/%.1f (BP = %.3f ratio = %.3f hyp_len = %lld ref_len = %lld)",
                    r->score, r->precisions[0], r->precisions[1], r->precisions[2], r->precisions[3],
                    r->bp, r->ratio, (long long)r->hyp_len, (long long)r->ref_len);
}

int bleu_format(const BleuResult *r, char *buf, size_t n) {
    char verbose[BLEU_LINE_MAX];
    bleu_format_verbose(r, verbose, sizeof verbose);
    return snprintf(buf, n, "BLEU = %s", verbose);
}

int bleu_signature(const BleuStats *s, char *buf, size_t n) {
    char nrefs[32];
    if (s->min_refs != s->max_refs)
        snprintf(nrefs, sizeof nrefs, "var");
    else
        snprintf(nrefs, sizeof nrefs, "%d", s->max_refs);
    return snprintf(buf, n, "nrefs:%s|case:%s|eff:no|tok:13a|smooth:exp|version:%s", nrefs,
                    s->lowercase ? "lc" : "mixed", BLEU_SIGNATURE_VERSION);
}
