/* shortlist.c — see shortlist.h. */
#include "search/shortlist.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "align/corpus.h"
#include "align/ibm2.h"
#include "sys/atomic.h"
#include "sys/lines.h"
#include "sys/util.h"
#include "vocab/corpus.h"
#include "vocab/vocab.h"

static int fail(char *err, size_t errsz, const char *fmt, ...) NMT_PRINTF(3, 4);
static int fail(char *err, size_t errsz, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errsz, fmt, ap);
    va_end(ap);
    return -1;
}

static uint32_t vocab_crc(const Model *m) { return crc32_update(0, m->vocab_bytes, m->vocab_len); }

typedef struct {
    double p;
    int id;
} Cand;

static int by_prob(const void *a, const void *b) {
    const Cand *x = a, *y = b;
    if (x->p != y->p) return x->p > y->p ? -1 : 1;
    return x->id - y->id;
}

static int by_value(const void *a, const void *b) { return *(const int *)a - *(const int *)b; }

/* The aligner's corpus over token ids written as words ("12 7 345"). */
static void add_ids(AlignCorpus *c, const CorpusPair *p, Buf *s, Buf *t) {
    s->len = t->len = 0;
    for (int i = 0; i < p->src_len; i++) buf_printf(s, "%s%d", i ? " " : "", p->src[i]);
    for (int i = 0; i < p->tgt_len; i++) buf_printf(t, "%s%d", i ? " " : "", p->tgt[i]);
    buf_append(s, "", 1), buf_append(t, "", 1);
    align_corpus_add(c, s->data, t->data);
}

int shortlist_build(const Model *m, const char *src_path, const char *tgt_path, int best, int frequent, int threads,
                    Shortlist *sl, char *err, size_t errsz) {
    memset(sl, 0, sizeof *sl);
    const Vocab *v = m->vocab;
    sl->Vs = vocab_size(v, VOCAB_SRC), sl->Vt = vocab_size(v, VOCAB_TGT), sl->best = best;
    sl->vocab_crc = vocab_crc(m);
    /* the most frequent target tokens of the vocabulary's own training counts */
    Cand *f = xmalloc(sizeof(Cand) * (size_t)sl->Vt);
    for (int t = 0; t < sl->Vt; t++) f[t] = (Cand){(double)vocab_token_count(v, VOCAB_TGT, t), t};
    qsort(f, (size_t)sl->Vt, sizeof(Cand), by_prob);
    sl->n_frequent = frequent < sl->Vt ? frequent : sl->Vt;
    sl->frequent = xmalloc(sizeof(int) * (size_t)(sl->n_frequent + 1));
    for (int k = 0; k < sl->n_frequent; k++) sl->frequent[k] = f[k].id;
    qsort(sl->frequent, (size_t)sl->n_frequent, sizeof(int), by_value);
    free(f);

    CorpusStats st;
    ParallelCorpus *pc = corpus_load(v, src_path, tgt_path, 0, 0, &st);
    if (pc->n == 0) {
        snprintf(err, errsz, "%s / %s: no usable sentence pairs", src_path, tgt_path);
        corpus_free(pc);
        return -1;
    }
    AlignCorpus c;
    align_corpus_init(&c);
    Buf s = {0}, t = {0};
    for (int i = 0; i < pc->n; i++) add_ids(&c, &pc->pairs[i], &s, &t);
    buf_free(&s), buf_free(&t);
    corpus_free(pc);
    align_corpus_finish(&c);
    Ibm2Options o;
    ibm2_options_default(&o);
    o.threads = threads;
    Ibm2Model model;
    ibm2_train(&model, &c, &o, NULL);

    /* per source token, every co-occurring target token with t(target | source) */
    int *count = xcalloc((size_t)sl->Vs + 1, sizeof(int));
    for (int32_t p = 0; p < c.npairs; p++) count[atoi(strtab_str(&c.vocab[0], c.pair_word[0][p]))]++;
    int *off = xcalloc((size_t)sl->Vs + 1, sizeof(int));
    for (int k = 0; k < sl->Vs; k++) off[k + 1] = off[k] + count[k];
    Cand *all = xmalloc(sizeof(Cand) * (size_t)(c.npairs + 1));
    int *fill = xcalloc((size_t)sl->Vs + 1, sizeof(int));
    for (int32_t p = 0; p < c.npairs; p++) {
        int src = atoi(strtab_str(&c.vocab[0], c.pair_word[0][p]));
        int tgt = atoi(strtab_str(&c.vocab[1], c.pair_word[1][p]));
        all[off[src] + fill[src]++] = (Cand){model.t[p], tgt};
    }
    sl->start = xmalloc(sizeof(int) * (size_t)(sl->Vs + 1));
    /* each co-occurring pair gives at most one candidate: never Vs x best */
    sl->cands = xmalloc(sizeof(int) * ((size_t)c.npairs + 1));
    int n = 0;
    for (int k = 0; k < sl->Vs; k++) {
        sl->start[k] = n;
        qsort(all + off[k], (size_t)count[k], sizeof(Cand), by_prob);
        for (int j = 0; j < count[k] && j < best; j++) sl->cands[n++] = all[off[k] + j].id;
        qsort(sl->cands + sl->start[k], (size_t)(n - sl->start[k]), sizeof(int), by_value);
    }
    sl->start[sl->Vs] = n;
    free(count), free(off), free(all), free(fill);
    ibm2_free(&model);
    align_corpus_free(&c);
    return 0;
}

void shortlist_format(const Shortlist *sl, Buf *b) {
    int sources = 0;
    for (int s = 0; s < sl->Vs; s++) sources += sl->start[s] != sl->start[s + 1];
    buf_printf(b, "%s %d\nvocab_crc=%08x\nbest=%d\nsources=%d\nF", SHORTLIST_MAGIC, SHORTLIST_VERSION,
               (unsigned)sl->vocab_crc, sl->best, sources);
    for (int k = 0; k < sl->n_frequent; k++) buf_printf(b, " %d", sl->frequent[k]);
    buf_puts(b, "\n");
    for (int s = 0; s < sl->Vs; s++) {
        if (sl->start[s] == sl->start[s + 1]) continue;
        buf_printf(b, "S %d\t", s);
        for (int j = sl->start[s]; j < sl->start[s + 1]; j++) buf_printf(b, "%s%d", j > sl->start[s] ? " " : "", sl->cands[j]);
        buf_puts(b, "\n");
    }
    buf_puts(b, "end\n");
}

int shortlist_save(const Shortlist *sl, const char *path, char *err, size_t errsz) {
    Buf b = {0};
    shortlist_format(sl, &b);
    int rc = write_file_atomic(path, b.data, b.len, err, errsz);
    buf_free(&b);
    return rc;
}

/* Whitespace-free decimal in [lo, hi] filling all of s; 0 or -1. */
static int parse_int(const char *s, long lo, long hi, int *out) {
    if (*s < '0' || *s > '9') return -1;
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (*end || errno || v < lo || v > hi) return -1;
    *out = (int)v;
    return 0;
}

/* Space-separated ids in [0, V) from p, appended to *out (grown); their
 * count, or -1 on anything else. */
static int parse_ids(const char *p, int V, int **out, int *n, int *cap) {
    int count = 0;
    while (*p) {
        if (*p != ' ' || p[1] < '0' || p[1] > '9') return -1; /* exactly one space before each id */
        char *end;
        errno = 0;
        long id = strtol(p + 1, &end, 10);
        if (errno || id >= V || (*end && *end != ' ')) return -1;
        if (*n == *cap) *cap = *cap ? 2 * *cap : 1024, *out = xrealloc(*out, sizeof(int) * (size_t)*cap);
        (*out)[(*n)++] = (int)id;
        count++;
        p = end;
    }
    return count;
}

int shortlist_parse(Shortlist *sl, const char *name, const char *data, size_t len, int Vs, int Vt,
                    uint32_t vocab_crc, char *err, size_t errsz) {
    memset(sl, 0, sizeof *sl);
    sl->Vs = Vs, sl->Vt = Vt, sl->vocab_crc = vocab_crc;
    sl->start = xcalloc((size_t)Vs + 1, sizeof(int));
    const char *nul = memchr(data, '\0', len);
    long lineno = 0;
    if (nul) {
        for (const char *p = data; p < nul; p++) lineno += *p == '\n';
        shortlist_free(sl);
        return fail(err, errsz, "%s:%ld: NUL byte", name, lineno + 1);
    }
    if (len == 0) {
        shortlist_free(sl);
        return fail(err, errsz, "%s: empty file", name);
    }
    /* The header's lines in order, `sources` S lines, then "end": a file cut
     * anywhere before the end line's text lacks it, or has fewer S lines. */
    enum { MAGIC, CRC, BEST, SOURCES, FREQUENT, CANDIDATES, END, AFTER } stage = MAGIC;
    int rc = 0, ncap = 0, fcap = 0, n = 0, last = -1, sources = 0, seen = 0;
    Buf line = {0};
    size_t pos = 0;
    while (rc == 0 && pos < len) {
        const char *s = data + pos, *nl = memchr(s, '\n', len - pos);
        size_t l = nl ? (size_t)(nl - s) : len - pos;
        pos += l + (nl != NULL);
        if (l && s[l - 1] == '\r') l--;
        lineno++;
        line.len = 0;
        buf_append(&line, s, l);
        buf_append(&line, "", 1);
        const char *t = line.data;
        switch (stage) {
        case MAGIC:
            if (strcmp(t, SHORTLIST_MAGIC " 2") == 0) break;
            if (strcmp(t, SHORTLIST_MAGIC " 1") == 0)
                rc = fail(err, errsz, "%s:1: a version 1 shortlist, which has no count or end marker to tell a cut file "
                          "from a whole one: rebuild it with nmt-shortlist", name);
            else if (strncmp(t, SHORTLIST_MAGIC " ", sizeof SHORTLIST_MAGIC) == 0)
                rc = fail(err, errsz, "%s:1: shortlist format version %.20s; this build reads version %d", name,
                          t + sizeof SHORTLIST_MAGIC, SHORTLIST_VERSION);
            else rc = fail(err, errsz, "%s:1: not a shortlist file", name);
            break;
        case CRC: {
            unsigned crc = 0;
            int ok = strncmp(t, "vocab_crc=", 10) == 0 && strlen(t) == 18 && strspn(t + 10, "0123456789abcdef") == 8;
            if (!ok) rc = fail(err, errsz, "%s:%ld: expected vocab_crc=XXXXXXXX", name, lineno);
            else if (sscanf(t + 10, "%8x", &crc) != 1 || crc != vocab_crc)
                rc = fail(err, errsz, "%s:%ld: built for another vocabulary than the model's", name, lineno);
            break;
        }
        case BEST:
            if (strncmp(t, "best=", 5) != 0 || parse_int(t + 5, 1, INT_MAX, &sl->best) != 0)
                rc = fail(err, errsz, "%s:%ld: expected best=K (K >= 1)", name, lineno);
            break;
        case SOURCES:
            if (strncmp(t, "sources=", 8) != 0 || parse_int(t + 8, 0, Vs, &sources) != 0)
                rc = fail(err, errsz, "%s:%ld: expected sources=N (0 to %d)", name, lineno, Vs);
            break;
        case FREQUENT:
            if (t[0] != 'F' || parse_ids(t + 1, Vt, &sl->frequent, &sl->n_frequent, &fcap) < 0)
                rc = fail(err, errsz, "%s:%ld: expected F and the frequent target token ids (below %d)", name, lineno,
                          Vt);
            else if (sl->n_frequent > Vt)
                rc = fail(err, errsz, "%s:%ld: %d frequent tokens, more than the %d target tokens", name, lineno,
                          sl->n_frequent, Vt);
            if (rc == 0 && sources == 0) stage = CANDIDATES; /* no S lines: the end line is next */
            break;
        case CANDIDATES: {
            if (strcmp(t, "end") == 0) {
                rc = fail(err, errsz, "%s:%ld: end after %d of the %d source lines (sources=%d)", name, lineno,
                          seen, sources, sources);
                break;
            }
            char *tab;
            errno = 0;
            long src = t[0] == 'S' && t[1] == ' ' && t[2] >= '0' && t[2] <= '9' ? strtol(t + 2, &tab, 10) : -1;
            if (src < 0 || errno || *tab != '\t' || src <= last || src >= Vs) {
                rc = fail(err, errsz, "%s:%ld: expected S, a source token id (ascending, below %d), a tab and its "
                          "candidates", name, lineno, Vs);
                break;
            }
            for (long k = last + 1; k <= src; k++) sl->start[k] = n;
            *tab = ' '; /* the candidates: " id id ..." after it */
            const int count = tab[1] ? parse_ids(tab, Vt, &sl->cands, &n, &ncap) : 0;
            if (count < 0) rc = fail(err, errsz, "%s:%ld: bad target token id (below %d)", name, lineno, Vt);
            else if (count < 1 || count > sl->best)
                rc = fail(err, errsz, "%s:%ld: %d candidates, expected 1 to best=%d", name, lineno, count, sl->best);
            last = (int)src;
            seen++;
            break;
        }
        case END:
            if (strcmp(t, "end") != 0)
                rc = fail(err, errsz, t[0] == 'S' ? "%s:%ld: more source lines than the %d of sources=%d"
                                                  : "%s:%ld: expected the end line after the %d source lines", name,
                          lineno, sources, sources);
            break;
        case AFTER:
            rc = fail(err, errsz, "%s:%ld: text after the end line", name, lineno);
            break;
        }
        if (rc == 0 && stage != AFTER && !(stage == CANDIDATES && seen < sources)) stage++;
    }
    buf_free(&line);
    if (rc == 0 && stage != AFTER) {
        if (stage < CANDIDATES) rc = fail(err, errsz, "%s: truncated (the header ends after line %ld)", name, lineno);
        else rc = fail(err, errsz, "%s: truncated after line %ld (%d of the %d source lines, no end line)", name,
                       lineno, seen, sources);
    }
    for (long k = last + 1; k <= Vs; k++) sl->start[k] = n;
    if (rc != 0) shortlist_free(sl);
    return rc;
}

int shortlist_load(Shortlist *sl, const char *path, const Model *m, char *err, size_t errsz) {
    memset(sl, 0, sizeof *sl);
    /* read whole: the file is checked before any of it is used */
    FILE *f = fopen(path, "rb");
    if (!f) return fail(err, errsz, "%s: cannot open: %s", path, strerror(errno));
    Buf b = {0};
    char chunk[1 << 16];
    size_t got;
    while ((got = fread(chunk, 1, sizeof chunk, f)) > 0) buf_append(&b, chunk, got);
    const int bad = ferror(f), why = errno;
    fclose(f);
    int rc = bad ? fail(err, errsz, "%s: cannot read: %s", path, strerror(why ? why : EIO))
                 : shortlist_parse(sl, path, b.data ? b.data : "", b.len, vocab_size(m->vocab, VOCAB_SRC),
                                   vocab_size(m->vocab, VOCAB_TGT), vocab_crc(m), err, errsz);
    buf_free(&b);
    return rc;
}

void shortlist_free(Shortlist *sl) {
    free(sl->frequent), free(sl->start), free(sl->cands);
    memset(sl, 0, sizeof *sl);
}

int shortlist_select(const Shortlist *sl, const int *const *src, const int *src_len, int n, int *out,
                     unsigned char *mark) {
    memset(mark, 0, (size_t)sl->Vt);
    mark[VOCAB_EOS] = 1;
    for (int k = 0; k < sl->n_frequent; k++) mark[sl->frequent[k]] = 1;
    for (int i = 0; i < n; i++)
        for (int j = 0; j < src_len[i]; j++) {
            int s = src[i][j];
            if (s < 0 || s >= sl->Vs) continue;
            for (int k = sl->start[s]; k < sl->start[s + 1]; k++) mark[sl->cands[k]] = 1;
        }
    int count = 0;
    for (int t = 0; t < sl->Vt; t++)
        if (mark[t]) out[count++] = t;
    return count;
}
