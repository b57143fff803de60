/* translator.c — see translator.h. */
#include "translate/translator.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/util.h"

enum { TOKENS_PER_SENTENCE = 64 }; /* batch token budget: batch x this many source tokens */

void translate_options_default(TranslateOptions *o) {
    memset(o, 0, sizeof *o);
    search_options_default(&o->search);
    o->batch = 32;
    o->threads = 1;
    o->max_src_len = 512;
    o->alignment = ALIGN_NONE;
}

int translate_options_check(const TranslateOptions *o, char *err, size_t errsz) {
    if (o->search.beam < 1) return snprintf(err, errsz, "the beam size must be at least 1"), -1;
    if (o->search.nbest < 1 || o->search.nbest > o->search.beam)
        return snprintf(err, errsz, "--nbest must be between 1 and the beam size (%d), got %d", o->search.beam,
                        o->search.nbest),
               -1;
    if (o->batch < 1 || o->threads < 1 || o->max_src_len < 1)
        return snprintf(err, errsz, "batch, threads and the maximum source length must be at least 1"), -1;
    return 0;
}

/* ---------- batching and parallel decoding ---------- */

typedef struct {
    int start, count, maxlen;
} Task;

typedef struct {
    int len, end, index; /* end: one past the last item of its window */
} SortItem;

static int by_len_desc(const void *a, const void *b) {
    const SortItem *x = a, *y = b;
    if (x->len != y->len) return x->len > y->len ? -1 : 1;
    return (x->index > y->index) - (x->index < y->index);
}

static int task_cost_desc(const void *a, const void *b) {
    const Task *x = a, *y = b;
    long cx = (long)x->maxlen * x->count, cy = (long)y->maxlen * y->count;
    if (cx != cy) return cx > cy ? -1 : 1;
    return (x->start > y->start) - (x->start < y->start);
}

/* Decode sentences 0..n-1; pos[i] is sentence i's line position, which
 * decides its sort window (so batches never depend on chunking by threads). */
static void decode_sentences(const Model *m, const TranslateOptions *o, const int *const *src, const int *src_len,
                             const long *pos, int n, int want_attention, NBest *out) {
    if (n <= 0) return;
    const long window = (long)TRANSLATE_WINDOW_BATCHES * o->batch;
    SortItem *items = xmalloc(sizeof(SortItem) * (size_t)n);
    for (int i = 0; i < n; i++) items[i] = (SortItem){src_len[i], 0, i};
    /* sort inside each window of line positions */
    int lo = 0;
    while (lo < n) {
        long w = pos[lo] / window;
        int hi = lo + 1;
        while (hi < n && pos[hi] / window == w) hi++;
        qsort(items + lo, (size_t)(hi - lo), sizeof(SortItem), by_len_desc);
        /* batches never cross a window: mark the window's end */
        for (int k = lo; k < hi; k++) items[k].end = hi;
        lo = hi;
    }
    Task *tasks = xmalloc(sizeof(Task) * (size_t)n);
    int nt = 0;
    const long budget = (long)o->batch * TOKENS_PER_SENTENCE;
    for (int k = 0; k < n;) {
        int end = items[k].end, maxlen = items[k].len, count = 1; /* sorted: the first is the longest */
        while (k + count < end && count < o->batch && (long)maxlen * (count + 1) <= budget) count++;
        tasks[nt++] = (Task){k, count, maxlen};
        k += count;
    }
    qsort(tasks, (size_t)nt, sizeof(Task), task_cost_desc);
    SearchOptions so = o->search;
    so.want_attention = want_attention;
    const int threads = o->threads < nt ? o->threads : nt;
#pragma omp parallel num_threads(threads)
    {
        const int **sp = xmalloc(sizeof(int *) * (size_t)o->batch);
        int *sl = xmalloc(sizeof(int) * (size_t)o->batch);
        NBest *res = xmalloc(sizeof(NBest) * (size_t)o->batch);
#pragma omp for schedule(dynamic, 1)
        for (int t = 0; t < nt; t++) {
            const Task *tk = &tasks[t];
            for (int j = 0; j < tk->count; j++) {
                int i = items[tk->start + j].index;
                sp[j] = src[i], sl[j] = src_len[i];
            }
            if (so.beam == 1) greedy_search(m, (const int *const *)sp, sl, tk->count, &so, res);
            else beam_search(m, (const int *const *)sp, sl, tk->count, &so, res);
            for (int j = 0; j < tk->count; j++) out[items[tk->start + j].index] = res[j];
        }
        free(sp), free(sl), free(res);
    }
    free(tasks);
    free(items);
}

void translate_ids(const Model *m, const TranslateOptions *o, const int *const *src, const int *src_len, int n,
                   NBest *out) {
    long *pos = xmalloc(sizeof(long) * (size_t)(n + 1));
    for (int i = 0; i < n; i++) pos[i] = i;
    decode_sentences(m, o, src, src_len, pos, n, o->search.want_attention || o->alignment != ALIGN_NONE, out);
    free(pos);
}

/* ---------- chunks of lines ---------- */

enum { LINE_OK = 0, LINE_EMPTY, LINE_INVALID };

typedef struct {
    int n, cap;
    Buf text;           /* copies of the lines (streaming), NUL-separated */
    size_t *off, *len;
    const char **line;  /* pointers into text or the caller's lines */
    long *lineno;       /* 1-based */
    long *pos;          /* 0-based line position in the whole input */
    int **src, *src_len, *status;
    char (*why)[64];
    NBest *nb;
} Chunk;

static void chunk_reserve(Chunk *c, int cap) {
    if (cap <= c->cap) return;
    c->cap = cap;
    c->off = xrealloc(c->off, sizeof(size_t) * (size_t)cap);
    c->len = xrealloc(c->len, sizeof(size_t) * (size_t)cap);
    c->line = xrealloc(c->line, sizeof(char *) * (size_t)cap);
    c->lineno = xrealloc(c->lineno, sizeof(long) * (size_t)cap);
    c->pos = xrealloc(c->pos, sizeof(long) * (size_t)cap);
    c->src = xrealloc(c->src, sizeof(int *) * (size_t)cap);
    c->src_len = xrealloc(c->src_len, sizeof(int) * (size_t)cap);
    c->status = xrealloc(c->status, sizeof(int) * (size_t)cap);
    c->why = xrealloc(c->why, sizeof(*c->why) * (size_t)cap);
    c->nb = xrealloc(c->nb, sizeof(NBest) * (size_t)cap);
}

/* Release the chunk's per-line results (keeps the arrays for the next chunk). */
static void chunk_clear(Chunk *c) {
    for (int i = 0; i < c->n; i++) {
        free(c->src[i]);
        nbest_free(&c->nb[i]);
    }
    c->n = 0;
    c->text.len = 0;
}

static void chunk_free(Chunk *c) {
    chunk_clear(c);
    free(c->off), free(c->len), free(c->line), free(c->lineno), free(c->pos);
    free(c->src), free(c->src_len), free(c->status), free(c->why), free(c->nb);
    buf_free(&c->text);
    memset(c, 0, sizeof *c);
}

/* Encode every line, cut long ones, decode. name is the input name for
 * messages. Returns 0, or -1 with err at the first invalid line.
 * Encoding stays on the calling thread: it costs well under 1% of decoding,
 * and the vocabulary's per-thread encoding cache is only released for the
 * thread that frees the vocabulary. */
static int chunk_translate(const Model *m, const TranslateOptions *o, Chunk *c, const char *name, int want_attention,
                           TranslateStats *st, char *err, size_t errsz) {
    const int n = c->n;
    for (int i = 0; i < n; i++) {
        c->src[i] = NULL, c->src_len[i] = 0, c->why[i][0] = '\0';
        memset(&c->nb[i], 0, sizeof(NBest));
        if (c->len[i] == 0) {
            c->status[i] = LINE_EMPTY;
            continue;
        }
        int k = vocab_encode(m->vocab, VOCAB_SRC, c->line[i], c->len[i], &c->src[i], c->why[i], sizeof c->why[i]);
        if (k < 0) c->status[i] = LINE_INVALID;
        else c->src_len[i] = k, c->status[i] = k > 0 ? LINE_OK : LINE_EMPTY;
    }
    int n_ok = 0;
    for (int i = 0; i < n; i++) {
        st->lines++;
        if (c->status[i] == LINE_INVALID) {
            char msg[sizeof st->first_invalid];
            snprintf(msg, sizeof msg, "%s:%ld: %s", name, c->lineno[i], c->why[i]);
            if (!o->skip_invalid) {
                snprintf(err, errsz, "%s", msg);
                return -1;
            }
            if (st->invalid++ == 0) snprintf(st->first_invalid, sizeof st->first_invalid, "%s", msg);
            continue;
        }
        if (c->status[i] == LINE_EMPTY) {
            st->empty++;
            continue;
        }
        if (c->src_len[i] > o->max_src_len) {
            if (!o->quiet)
                warn("%s:%ld: the source has %d tokens; only the first %d are translated (see --max-src-len)", name,
                     c->lineno[i], c->src_len[i], o->max_src_len);
            c->src_len[i] = o->max_src_len;
            st->cut++;
        }
        st->translated++;
        st->src_tokens += c->src_len[i];
        n_ok++;
    }
    const int **sp = xmalloc(sizeof(int *) * (size_t)(n_ok + 1));
    int *sl = xmalloc(sizeof(int) * (size_t)(n_ok + 1)), *which = xmalloc(sizeof(int) * (size_t)(n_ok + 1));
    long *pos = xmalloc(sizeof(long) * (size_t)(n_ok + 1));
    NBest *res = xcalloc((size_t)n_ok + 1, sizeof(NBest));
    int k = 0;
    for (int i = 0; i < n; i++)
        if (c->status[i] == LINE_OK) sp[k] = c->src[i], sl[k] = c->src_len[i], pos[k] = c->pos[i], which[k++] = i;
    decode_sentences(m, o, (const int *const *)sp, sl, pos, n_ok, want_attention, res);
    for (k = 0; k < n_ok; k++) {
        c->nb[which[k]] = res[k];
        if (res[k].n > 0) st->out_tokens += res[k].hyps[0].len;
    }
    free(sp), free(sl), free(which), free(pos), free(res);
    return 0;
}

/* What the tool prints for line i of the chunk, without the final newline. */
static void format_line(const Model *m, const TranslateOptions *o, const Chunk *c, int i, Buf *out) {
    const NBest *nb = &c->nb[i];
    const Vocab *v = m->vocab;
    out->len = 0;
    buf_reserve(out, 0);
    out->data[0] = '\0';
    if (!o->print_nbest) {
        if (nb->n > 0) {
            const Hypothesis *h = &nb->hyps[0];
            char *text = vocab_decode(v, VOCAB_TGT, h->tokens, h->len);
            buf_puts(out, text);
            free(text);
            if (o->alignment != ALIGN_NONE) {
                buf_puts(out, " ||| ");
                if (o->alignment == ALIGN_HARD)
                    align_hard_string(v, c->src[i], c->src_len[i], h->tokens, h->len, h->attention, out);
                else align_soft_string(h->attention, h->len + h->ended, h->Ts, out);
            }
        } else if (o->alignment != ALIGN_NONE) {
            buf_puts(out, " ||| ");
        }
        return;
    }
    /* n-best: ID ||| translation [||| alignment] ||| score, distinct texts, best first */
    const long id = c->lineno[i] - 1;
    if (nb->n == 0) { /* empty or skipped line: one entry with an empty translation */
        buf_printf(out, "%ld |||  ||| %s%.6f", id, o->alignment != ALIGN_NONE ? " ||| " : "", 0.0);
        return;
    }
    char **seen = xmalloc(sizeof(char *) * (size_t)nb->n);
    int nseen = 0;
    for (int k = 0; k < nb->n; k++) {
        const Hypothesis *h = &nb->hyps[k];
        char *text = vocab_decode(v, VOCAB_TGT, h->tokens, h->len);
        int dup = 0;
        for (int j = 0; j < nseen && !dup; j++) dup = !strcmp(seen[j], text);
        if (dup) {
            free(text);
            continue;
        }
        seen[nseen++] = text;
        if (out->len) buf_append(out, "\n", 1);
        buf_printf(out, "%ld ||| %s ||| ", id, text);
        if (o->alignment == ALIGN_HARD) {
            align_hard_string(v, c->src[i], c->src_len[i], h->tokens, h->len, h->attention, out);
            buf_puts(out, " ||| ");
        } else if (o->alignment == ALIGN_SOFT) {
            align_soft_string(h->attention, h->len + h->ended, h->Ts, out);
            buf_puts(out, " ||| ");
        }
        buf_printf(out, "%.6f", h->score);
    }
    for (int j = 0; j < nseen; j++) free(seen[j]);
    free(seen);
}

static int dump_line(const Model *m, const Chunk *c, int i, AttDump *dump, char *err, size_t errsz) {
    const NBest *nb = &c->nb[i];
    if (nb->n == 0) /* empty or skipped line: an empty record keeps the ids aligned */
        return attdump_write_ids(dump, c->lineno[i], m->vocab, NULL, 0, NULL, 0, 0, NULL, err, errsz);
    const Hypothesis *h = &nb->hyps[0];
    return attdump_write_ids(dump, c->lineno[i], m->vocab, c->src[i], c->src_len[i], h->tokens, h->len, h->ended,
                             h->attention, err, errsz);
}

static int chunk_lines(const TranslateOptions *o) {
    int t = o->threads > 0 ? o->threads : 1;
    return TRANSLATE_WINDOW_BATCHES * o->batch * t;
}

int translate_stream(const Model *m, const TranslateOptions *o, LineReader *in, FILE *out, AttDump *dump,
                     TranslateStats *st, char *err, size_t errsz) {
    TranslateStats local;
    if (!st) st = &local;
    memset(st, 0, sizeof *st);
    if (translate_options_check(o, err, errsz) != 0) return -1;
    const int cap = linereader_is_tty(in) ? 1 : chunk_lines(o);
    const int want_att = dump != NULL || o->alignment != ALIGN_NONE;
    Chunk c = {0};
    chunk_reserve(&c, cap);
    Buf line = {0};
    int rc = 0;
    long position = 0;
    for (;;) {
        chunk_clear(&c);
        while (c.n < cap && linereader_next(in)) {
            c.off[c.n] = c.text.len;
            c.len[c.n] = in->len;
            c.lineno[c.n] = in->lineno;
            c.pos[c.n] = position++;
            buf_append(&c.text, in->line, in->len);
            buf_append(&c.text, "", 1);
            c.n++;
        }
        if (c.n == 0) break;
        for (int i = 0; i < c.n; i++) c.line[i] = c.text.data + c.off[i];
        if ((rc = chunk_translate(m, o, &c, in->path, want_att, st, err, errsz)) != 0) break;
        for (int i = 0; i < c.n && rc == 0; i++) {
            format_line(m, o, &c, i, &line);
            buf_append(&line, "\n", 1);
            if (fwrite(line.data, 1, line.len, out) != line.len) {
                snprintf(err, errsz, "cannot write the translations: write error");
                rc = -1;
            }
            if (rc == 0 && dump) rc = dump_line(m, &c, i, dump, err, errsz);
        }
        if (rc == 0 && (fflush(out) != 0 || ferror(out))) {
            snprintf(err, errsz, "cannot write the translations: write error");
            rc = -1;
        }
        if (rc != 0) break;
    }
    chunk_free(&c);
    buf_free(&line);
    return rc;
}

int translate_lines(const Model *m, const TranslateOptions *o, const char *const *lines, int n, char **out,
                    TranslateStats *st, char *err, size_t errsz) {
    TranslateStats local;
    if (!st) st = &local;
    memset(st, 0, sizeof *st);
    if (translate_options_check(o, err, errsz) != 0) return -1;
    const int cap = chunk_lines(o);
    const int want_att = o->alignment != ALIGN_NONE;
    Chunk c = {0};
    chunk_reserve(&c, cap);
    Buf line = {0};
    int rc = 0, done = 0;
    while (done < n && rc == 0) {
        chunk_clear(&c);
        for (; c.n < cap && done + c.n < n; c.n++) {
            int i = done + c.n;
            c.line[c.n] = lines[i];
            c.len[c.n] = strlen(lines[i]);
            c.lineno[c.n] = i + 1;
            c.pos[c.n] = i;
        }
        if ((rc = chunk_translate(m, o, &c, "input", want_att, st, err, errsz)) != 0) {
            for (int i = 0; i < done; i++) free(out[i]), out[i] = NULL;
            break;
        }
        for (int i = 0; i < c.n; i++) {
            format_line(m, o, &c, i, &line);
            out[done + i] = xstrdup(line.data);
        }
        done += c.n;
    }
    chunk_free(&c);
    buf_free(&line);
    return rc;
}
