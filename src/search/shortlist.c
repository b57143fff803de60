/* shortlist.c — see shortlist.h. */
#include "search/shortlist.h"

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
    sl->cands = xmalloc(sizeof(int) * (size_t)((long)sl->Vs * best + 1));
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

int shortlist_save(const Shortlist *sl, const char *path, char *err, size_t errsz) {
    Buf b = {0};
    buf_printf(&b, "#nmt-shortlist 1\nvocab_crc=%08x\nbest=%d\nF", (unsigned)sl->vocab_crc, sl->best);
    for (int k = 0; k < sl->n_frequent; k++) buf_printf(&b, " %d", sl->frequent[k]);
    buf_puts(&b, "\n");
    for (int s = 0; s < sl->Vs; s++) {
        if (sl->start[s] == sl->start[s + 1]) continue;
        buf_printf(&b, "S %d\t", s);
        for (int j = sl->start[s]; j < sl->start[s + 1]; j++) buf_printf(&b, "%s%d", j > sl->start[s] ? " " : "", sl->cands[j]);
        buf_puts(&b, "\n");
    }
    int rc = write_file_atomic(path, b.data, b.len, err, errsz);
    buf_free(&b);
    return rc;
}

/* Parse whitespace-separated ids in [0, V) from p; append to *out (grown). -1 on a bad id. */
static int parse_ids(const char *p, int V, int **out, int *n, int *cap) {
    while (*p) {
        while (*p == ' ') p++;
        if (!*p) break;
        char *end;
        long id = strtol(p, &end, 10);
        if (end == p || id < 0 || id >= V || (*end && *end != ' ')) return -1;
        if (*n == *cap) *cap = *cap ? 2 * *cap : 1024, *out = xrealloc(*out, sizeof(int) * (size_t)*cap);
        (*out)[(*n)++] = (int)id;
        p = end;
    }
    return 0;
}

int shortlist_load(Shortlist *sl, const char *path, const Model *m, char *err, size_t errsz) {
    memset(sl, 0, sizeof *sl);
    sl->Vs = vocab_size(m->vocab, VOCAB_SRC), sl->Vt = vocab_size(m->vocab, VOCAB_TGT);
    LineReader r;
    if (linereader_open(&r, path) != 0) return fail(err, errsz, "%s: cannot open", path);
    int rc = 0, ncap = 0, fcap = 0, n = 0, last = -1, crc_seen = 0;
    sl->start = xcalloc((size_t)sl->Vs + 1, sizeof(int));
    while (rc == 0 && linereader_next(&r)) {
        const char *line = r.line;
        unsigned crc;
        if (r.lineno == 1) {
            if (strcmp(line, "#nmt-shortlist 1") != 0) rc = fail(err, errsz, "%s:1: not a shortlist file", path);
        } else if (sscanf(line, "vocab_crc=%x", &crc) == 1) {
            crc_seen = 1;
            if (crc != vocab_crc(m))
                rc = fail(err, errsz, "%s:%ld: built for another vocabulary than the model's", path, r.lineno);
        } else if (sscanf(line, "best=%d", &sl->best) == 1) {
        } else if (line[0] == 'F' && (line[1] == ' ' || !line[1])) {
            if (parse_ids(line + 1, sl->Vt, &sl->frequent, &sl->n_frequent, &fcap) != 0)
                rc = fail(err, errsz, "%s:%ld: bad target token id", path, r.lineno);
        } else if (line[0] == 'S' && line[1] == ' ') {
            char *tab;
            long s = strtol(line + 2, &tab, 10);
            if (*tab != '\t' || s <= last || s >= sl->Vs) {
                rc = fail(err, errsz, "%s:%ld: bad source token id (ascending, below %d)", path, r.lineno, sl->Vs);
                break;
            }
            for (long k = last + 1; k <= s; k++) sl->start[k] = n;
            if (parse_ids(tab + 1, sl->Vt, &sl->cands, &n, &ncap) != 0)
                rc = fail(err, errsz, "%s:%ld: bad target token id", path, r.lineno);
            last = (int)s;
        } else {
            rc = fail(err, errsz, "%s:%ld: unexpected line", path, r.lineno);
        }
    }
    if (rc == 0 && r.lineno == 0) rc = fail(err, errsz, "%s: empty file", path);
    if (rc == 0 && !crc_seen) rc = fail(err, errsz, "%s: no vocab_crc line", path);
    linereader_close(&r);
    for (long k = last + 1; k <= sl->Vs; k++) sl->start[k] = n;
    if (rc != 0) shortlist_free(sl);
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
