/* corpus.c — see corpus.h. */
#include "vocab/corpus.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "sys/input.h"
#include "sys/lines.h"
#include "vocab/normalize.h"
#include "vocab/tokenize.h"

long corpus_check_line_counts(const char *src_path, const char *tgt_path) {
    if (strcmp(src_path, "-") == 0 && strcmp(tgt_path, "-") == 0)
        die("the source and the target cannot both be standard input");
    /* count_lines keeps each file's contents (sys/input.h): the readers
     * opened next read that copy, so a pipe works and is read only once */
    long ns = count_lines(src_path), nt = count_lines(tgt_path);
    if (ns != nt)
        die("%s has %ld lines but %s has %ld lines: source and target files must have the same number of lines",
            src_path, ns, tgt_path, nt);
    return ns;
}

void corpus_stats_summary(const CorpusStats *s, Buf *out) {
    buf_printf(out, "%ld line pairs, %ld used", s->pairs, s->kept);
    if (s->empty) buf_printf(out, ", %ld left out as empty", s->empty);
    if (s->too_long) buf_printf(out, ", %ld left out as too long", s->too_long);
    if (s->invalid) buf_printf(out, ", %ld skipped for invalid UTF-8 (first: %s)", s->invalid, s->first_invalid);
}

void pairreader_open(PairReader *pr, const char *src_path, const char *tgt_path, int skip_invalid, CorpusStats *stats) {
    memset(pr, 0, sizeof *pr);
    if (!stats) stats = &pr->own_stats;
    memset(stats, 0, sizeof *stats);
    stats->pairs = corpus_check_line_counts(src_path, tgt_path);
    pr->skip_invalid = skip_invalid;
    pr->stats = stats;
    const char *paths[2] = {src_path, tgt_path};
    for (int s = 0; s < 2; s++)
        if (linereader_open(&pr->r[s], paths[s]) != 0) die("%s: cannot open: %s", paths[s], strerror(errno));
}

/* 0 when the line is valid UTF-8; otherwise dies or, with skip_invalid,
 * records the pair as skipped and returns -1. */
static int check_utf8(PairReader *pr, const LineReader *r) {
    long bad = utf8_invalid_at(r->line, r->len);
    if (bad < 0) return 0;
    if (!pr->skip_invalid) die("%s:%ld: invalid UTF-8 at byte %ld", r->path, r->lineno, bad + 1);
    if (!pr->stats->invalid++)
        snprintf(pr->stats->first_invalid, sizeof pr->stats->first_invalid, "%s:%ld: invalid UTF-8 at byte %ld",
                 r->path, r->lineno, bad + 1);
    return -1;
}

int pairreader_fill(PairReader *pr, LineBatch *b, int max_pairs) {
    b->n = 0;
    b->text[0].len = b->text[1].len = 0;
    while (b->n < max_pairs) {
        int got0 = linereader_next(&pr->r[0]), got1 = linereader_next(&pr->r[1]);
        if (!got0 || !got1) {
            if (got0 != got1) die("%s and %s changed while being read", pr->r[0].path, pr->r[1].path);
            break;
        }
        if (check_utf8(pr, &pr->r[0]) || check_utf8(pr, &pr->r[1])) continue;
        if (text_is_blank(pr->r[0].line, pr->r[0].len) || text_is_blank(pr->r[1].line, pr->r[1].len)) {
            pr->stats->empty++;
            continue;
        }
        if (b->n == b->cap) {
            b->cap = b->cap ? 2 * b->cap : 1024;
            for (int s = 0; s < 2; s++) {
                b->off[s] = xrealloc(b->off[s], (size_t)b->cap * sizeof *b->off[s]);
                b->len[s] = xrealloc(b->len[s], (size_t)b->cap * sizeof *b->len[s]);
            }
            b->lineno = xrealloc(b->lineno, (size_t)b->cap * sizeof *b->lineno);
        }
        for (int s = 0; s < 2; s++) {
            b->off[s][b->n] = b->text[s].len;
            b->len[s][b->n] = pr->r[s].len;
            buf_append(&b->text[s], pr->r[s].line, pr->r[s].len + 1); /* with its NUL */
        }
        b->lineno[b->n++] = pr->r[0].lineno;
        pr->stats->kept++;
    }
    return b->n;
}

void pairreader_close(PairReader *pr) {
    input_release(pr->r[0].path);
    input_release(pr->r[1].path);
    linereader_close(&pr->r[0]);
    linereader_close(&pr->r[1]);
}

void linebatch_free(LineBatch *b) {
    for (int s = 0; s < 2; s++) {
        buf_free(&b->text[s]);
        free(b->off[s]);
        free(b->len[s]);
    }
    free(b->lineno);
    memset(b, 0, sizeof *b);
}

static int count_unk(const int *ids, int n) {
    int k = 0;
    for (int i = 0; i < n; i++) k += ids[i] == VOCAB_UNK;
    return k;
}

ParallelCorpus *corpus_load(const Vocab *v, const char *src_path, const char *tgt_path, int max_len, int skip_invalid,
                            CorpusStats *stats) {
    CorpusStats local;
    if (!stats) stats = &local;
    PairReader pr;
    pairreader_open(&pr, src_path, tgt_path, skip_invalid, stats);
    ParallelCorpus *c = xcalloc(1, sizeof *c);
    size_t *start = NULL, nids = 0, capids = 0; /* per pair: offset of its source ids, until ids stops moving */
    int cap = 0;
    LineBatch b = {0};
    int n;
    while ((n = pairreader_fill(&pr, &b, 8192)) > 0) {
        int **seq = xmalloc(2 * (size_t)n * sizeof *seq), *len = xmalloc(2 * (size_t)n * sizeof *len);
#pragma omp parallel for schedule(dynamic, 64)
        for (int i = 0; i < 2 * n; i++) {
            int s = i & 1, k = i >> 1;
            char err[64];
            len[i] = vocab_encode(v, (VocabSide)s, b.text[s].data + b.off[s][k], b.len[s][k], &seq[i], err, sizeof err);
            if (len[i] < 0) die("internal error: %s after validation", err);
        }
        for (int k = 0; k < n; k++) {
            int ls = len[2 * k], lt = len[2 * k + 1];
            if (max_len > 0 && (ls > max_len || lt > max_len)) {
                stats->too_long++;
                stats->kept--;
            } else {
                if (c->n == cap) {
                    cap = cap ? 2 * cap : 1024;
                    c->pairs = xrealloc(c->pairs, (size_t)cap * sizeof *c->pairs);
                    start = xrealloc(start, (size_t)cap * sizeof *start);
                }
                if (nids + (size_t)ls + (size_t)lt > capids) {
                    capids = capids ? 2 * capids : 1 << 16;
                    while (capids < nids + (size_t)ls + (size_t)lt) capids *= 2;
                    c->ids = xrealloc(c->ids, capids * sizeof *c->ids);
                }
                start[c->n] = nids;
                memcpy(c->ids + nids, seq[2 * k], (size_t)ls * sizeof *c->ids);
                memcpy(c->ids + nids + ls, seq[2 * k + 1], (size_t)lt * sizeof *c->ids);
                nids += (size_t)ls + (size_t)lt;
                c->pairs[c->n++] = (CorpusPair){.src_len = ls, .tgt_len = lt, .line = b.lineno[k]};
                stats->src_tokens += ls;
                stats->tgt_tokens += lt;
                stats->src_unk += count_unk(seq[2 * k], ls);
                stats->tgt_unk += count_unk(seq[2 * k + 1], lt);
            }
            free(seq[2 * k]);
            free(seq[2 * k + 1]);
        }
        free(seq);
        free(len);
    }
    linebatch_free(&b);
    pairreader_close(&pr);
    if (!c->ids) c->ids = xmalloc(sizeof *c->ids);
    for (int k = 0; k < c->n; k++) {
        c->pairs[k].src = c->ids + start[k];
        c->pairs[k].tgt = c->ids + start[k] + c->pairs[k].src_len;
    }
    free(start);
    return c;
}

char **corpus_kept_lines(const ParallelCorpus *c, const char *path) {
    long n = count_lines(path);
    char **lines = xcalloc((size_t)n + 1, sizeof(char *));
    LineReader r;
    if (linereader_open(&r, path) != 0) die("%s: cannot open", path);
    while (linereader_next(&r)) lines[r.lineno - 1] = xstrdup(r.line);
    linereader_close(&r);
    char **kept = xmalloc(sizeof(char *) * (size_t)(c->n + 1));
    for (int i = 0; i < c->n; i++) kept[i] = xstrdup(lines[c->pairs[i].line - 1]);
    for (long i = 0; i < n; i++) free(lines[i]);
    free(lines);
    return kept;
}

void corpus_lines_free(char **lines, int n) {
    if (!lines) return;
    for (int i = 0; i < n; i++) free(lines[i]);
    free(lines);
}

void corpus_free(ParallelCorpus *c) {
    if (!c) return;
    free(c->pairs);
    free(c->ids);
    free(c);
}
