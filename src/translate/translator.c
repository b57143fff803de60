/* translator.c — see translator.h. */
#include "translate/translator.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "model/ensemble.h"
#include "sys/lines.h"
#include "sys/meter.h"
#include "sys/util.h"
#include "translate/batching.h"
#include "translate/format.h"
#include "translate/layer_rows.h"

enum { TOKENS_PER_SENTENCE = 64 }; /* batch token budget: batch x this many source tokens */

const char *const ALIGN_MODE_NAMES[] = {"none", "hard", "soft", NULL}; /* AlignMode order */
const char *const ALIGN_HEAD_NAMES[] = {"mean", NULL};                  /* 1 .. 64 are the heads' numbers */

#define F(member) offsetof(TranslateOptions, member)
const FieldSpec TRANSLATE_OPTION_FIELDS[] = {
    {NULL, "--max-src-len", FIELD_INT, F(max_src_len), 512, 1, 1 << 20, .section = "search",
     .help = "translate only the first N tokens of a longer line, with a\n"
             "warning"},
    {NULL, "--batch", FIELD_INT, F(batch), 32, 1, 4096, .section = "speed",
     .help = "sentences decoded together (scores may differ in the last\n"
             "digits between batch sizes)"},
    {NULL, "--threads", FIELD_INT, F(threads), 1, 1, 1024, .section = "speed",
     .help = "batches decoded in parallel (default: all cores); the\n"
             "output does not depend on it"},
    {NULL, "--alignment", FIELD_ENUM, F(alignment), ALIGN_NONE, ALIGN_HARD, ALIGN_SOFT, NULL, ALIGN_MODE_NAMES,
     .section = "output",
     .help = "append \" ||| \" and a word alignment (in n-best lines, a\n"
             "field before the score). hard: Pharaoh pairs \"s-t\" of\n"
             "0-based source and output word indices (words = the\n"
             "whitespace-separated words; subword attention summed over a\n"
             "source word's pieces, averaged over a target word's pieces,\n"
             "each target word linked to its best source word). soft:\n"
             "the full subword matrix as Marian prints it, one comma-\n"
             "separated row per output token and </s>, rows separated by\n"
             "spaces"},
    {NULL, "--skip-invalid", FIELD_INT, F(skip_invalid), 0, 0, 1, NULL, NULL, FIELD_SWITCH, .section = "input errors",
     .help = "a line with invalid UTF-8 gives an empty output line and is\n"
             "counted, instead of stopping with FILE:LINE"},
    {NULL, "--quiet", FIELD_INT, F(quiet), 0, 0, 1, NULL, NULL, FIELD_SWITCH, .section = "input errors",
     .help = "no warnings and no summary on stderr"},
    {NULL, "--alignment-head", FIELD_ENUM, F(alignment_head), 0, 0, 64, NULL, ALIGN_HEAD_NAMES, .metavar = "K|mean",
     .section = "output", .help = ALIGN_HEAD_HELP},
    {NULL, "--attention-source", FIELD_ENUM, F(attention_source), ATT_SOURCE_AUTO, 0, 2, NULL, ATT_SOURCE_NAMES,
     .metavar = "S", .section = "output", .help = ATT_SOURCE_HELP},
};
#undef F
const int TRANSLATE_OPTION_NFIELDS = (int)(sizeof TRANSLATE_OPTION_FIELDS / sizeof TRANSLATE_OPTION_FIELDS[0]);

const FieldSpec *translate_option_field(const char *flag) {
    const FieldSpec *f = fields_find_flag(TRANSLATE_OPTION_FIELDS, TRANSLATE_OPTION_NFIELDS, flag);
    return f ? f : fields_find_flag(SEARCH_OPTION_FIELDS, SEARCH_OPTION_NFIELDS, flag);
}

void translate_options_default(TranslateOptions *o) {
    memset(o, 0, sizeof *o);
    search_options_default(&o->search); /* SEARCH_OPTION_FIELDS */
    fields_set_defaults(TRANSLATE_OPTION_FIELDS, TRANSLATE_OPTION_NFIELDS, o);
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

int translate_options_check_model(const Model *m, const TranslateOptions *o, char *err, size_t errsz) {
    const int has_layer = ensemble_attention_model(m)->cfg.alignment_layer;
    if (att_source_check(o->attention_source, has_layer, o->model_name ? o->model_name : "the model", err, errsz))
        return -1;
    return align_head_check(o->alignment_head, translate_reads_layer(m, o) ? 1 : ensemble_attention_heads(m), err,
                            errsz);
}

/* ---------- batching and parallel decoding ---------- */

/* A translation batch costs its sentence count times its longest source. */
static long decode_cost(const void *ctx, int count, int len, int len2) {
    (void)ctx, (void)len2;
    return (long)len * count;
}

/* Decode sentences 0..n-1; pos[i] is sentence i's line position, which
 * decides its sort window (so batches never depend on chunking by threads). */
static void decode_sentences(const Model *m, const TranslateOptions *o, const int *const *src, const int *src_len,
                             const long *pos, int n, int want_attention, NBest *out) {
    if (n <= 0) return;
    const int from_layer = want_attention && translate_reads_layer(m, o);
    if (from_layer) want_attention = 0; /* the search needs none: the layer's rows come after it */
    BatchPlan plan;
    batch_plan_make(&plan, n, src_len, NULL, pos, (long)TRANSLATE_WINDOW_BATCHES * o->batch, o->batch,
                    (long)o->batch * TOKENS_PER_SENTENCE, decode_cost, NULL);
    const int threads = o->threads < plan.n_tasks ? o->threads : plan.n_tasks;
#pragma omp parallel num_threads(threads)
    {
        Arena workspace = {0}; /* this thread's, reused batch after batch */
        SearchOptions so = o->search;
        so.want_attention = want_attention;
        so.workspace = &workspace;
        const int **sp = xmalloc(sizeof(int *) * (size_t)o->batch);
        int *sl = xmalloc(sizeof(int) * (size_t)o->batch);
        NBest *res = xmalloc(sizeof(NBest) * (size_t)o->batch);
#pragma omp for schedule(dynamic, 1)
        for (int t = 0; t < plan.n_tasks; t++) {
            const BatchTask *tk = &plan.tasks[t];
            const int *which = plan.order + tk->start;
            for (int j = 0; j < tk->count; j++) sp[j] = src[which[j]], sl[j] = src_len[which[j]];
            if (so.beam == 1) greedy_search(m, (const int *const *)sp, sl, tk->count, &so, res);
            else beam_search(m, (const int *const *)sp, sl, tk->count, &so, res);
            for (int j = 0; j < tk->count; j++) out[which[j]] = res[j];
        }
        free(sp), free(sl), free(res);
        arena_free(&workspace);
    }
    batch_plan_free(&plan);
    if (from_layer) layer_rows_replace(m, o, src, src_len, pos, n, out);
}

void translate_ids_at(const Model *m, const TranslateOptions *o, const int *const *src, const int *src_len,
                      const long *pos, int n, NBest *out) {
    long *own = NULL;
    if (!pos) {
        own = xmalloc(sizeof(long) * (size_t)(n + 1));
        for (int i = 0; i < n; i++) own[i] = i;
    }
    decode_sentences(m, o, src, src_len, pos ? pos : own, n, o->search.want_attention || o->alignment != ALIGN_NONE,
                     out);
    free(own);
}

void translate_ids(const Model *m, const TranslateOptions *o, const int *const *src, const int *src_len, int n,
                   NBest *out) {
    translate_ids_at(m, o, src, src_len, NULL, n, out);
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

static int dump_line(const Model *m, const Chunk *c, int i, AttDump *dump, char *err, size_t errsz) {
    const NBest *nb = &c->nb[i];
    if (nb->n == 0) /* empty or skipped line: an empty record keeps the ids aligned */
        return attdump_write_ids(dump, c->lineno[i], m->vocab, NULL, 0, NULL, 0, 0, NULL, err, errsz);
    const Hypothesis *h = &nb->hyps[0];
    return attdump_write_ids_heads(dump, c->lineno[i], m->vocab, c->src[i], c->src_len[i], h->tokens, h->len,
                                   h->ended, h->attention, h->heads, h->head_attention, err, errsz);
}

static int chunk_lines(const TranslateOptions *o) {
    int t = o->threads > 0 ? o->threads : 1;
    return TRANSLATE_WINDOW_BATCHES * o->batch * t;
}

/* ---------- one driver, two ends: where lines come from and where results go ---------- */

/* Fill the chunk with up to cap lines (line, len, lineno, pos); returns how many. */
typedef int (*LineSource)(void *ctx, Chunk *c, int cap);
/* Take line i's formatted result; 0, or -1 with err. */
typedef int (*ResultSink)(void *ctx, const Model *m, const Chunk *c, int i, const Buf *text, char *err, size_t errsz);

static int translate_chunks(const Model *m, const TranslateOptions *o, int cap, const char *name, int want_att,
                            LineSource source, void *source_ctx, ResultSink sink, void *sink_ctx, Meter *meter,
                            TranslateStats *st, char *err, size_t errsz) {
    memset(st, 0, sizeof *st);
    if (translate_options_check(o, err, errsz) != 0) return -1;
    if (translate_options_check_model(m, o, err, errsz) != 0) return -1;
    Chunk c = {0};
    chunk_reserve(&c, cap);
    Buf line = {0};
    int rc = 0;
    for (;;) {
        chunk_clear(&c);
        c.n = source(source_ctx, &c, cap);
        if (c.n == 0) break;
        if ((rc = chunk_translate(m, o, &c, name, want_att, st, err, errsz)) != 0) break;
        for (int i = 0; i < c.n && rc == 0; i++) {
            format_translation(m->vocab, o->print_nbest, o->alignment, o->alignment_head, c.lineno[i] - 1, c.src[i],
                               c.src_len[i],
                               &c.nb[i], &line);
            rc = sink(sink_ctx, m, &c, i, &line, err, errsz);
        }
        if (rc != 0) break;
        if (meter) meter_update(meter, st->lines);
    }
    if (meter) meter_end(meter);
    chunk_free(&c);
    buf_free(&line);
    return rc;
}

/* streaming: lines from a LineReader, results to a FILE and the attention dump */

typedef struct {
    LineReader *in;
    long position;
} StreamSource;

static int stream_fill(void *vctx, Chunk *c, int cap) {
    StreamSource *s = vctx;
    int n = 0;
    while (n < cap && linereader_next(s->in)) {
        c->off[n] = c->text.len;
        c->len[n] = s->in->len;
        c->lineno[n] = s->in->lineno;
        c->pos[n] = s->position++;
        buf_append(&c->text, s->in->line, s->in->len);
        buf_append(&c->text, "", 1);
        n++;
    }
    for (int i = 0; i < n; i++) c->line[i] = c->text.data + c->off[i];
    return n;
}

typedef struct {
    FILE *out;
    AttDump *dump;
} StreamSink;

static int stream_put(void *vctx, const Model *m, const Chunk *c, int i, const Buf *text, char *err, size_t errsz) {
    StreamSink *s = vctx;
    if (fwrite(text->data, 1, text->len, s->out) != text->len || fputc('\n', s->out) == EOF ||
        (i == c->n - 1 && (fflush(s->out) != 0 || ferror(s->out)))) {
        snprintf(err, errsz, "cannot write the translations: write error");
        return -1;
    }
    return s->dump ? dump_line(m, c, i, s->dump, err, errsz) : 0;
}

int translate_stream(const Model *m, const TranslateOptions *o, LineReader *in, FILE *out, AttDump *dump,
                     TranslateStats *st, char *err, size_t errsz) {
    TranslateStats local;
    const int cap = linereader_is_tty(in) ? 1 : chunk_lines(o); /* a terminal: answer line by line */
    StreamSource source = {in, 0};
    StreamSink sink = {out, dump};
    Meter meter; /* a progress line on a terminal when the input is a file */
    meter_start(&meter, in, o->quiet);
    return translate_chunks(m, o, cap, in->path, dump != NULL || o->alignment != ALIGN_NONE, stream_fill, &source,
                            stream_put, &sink, &meter, st ? st : &local, err, errsz);
}

/* in memory: lines from an array, results into an array of strings */

typedef struct {
    const char *const *lines;
    int n, done;
    char **out;
} MemoryLines;

static int memory_fill(void *vctx, Chunk *c, int cap) {
    MemoryLines *s = vctx;
    int n = 0;
    for (; n < cap && s->done + n < s->n; n++) {
        int i = s->done + n;
        c->line[n] = s->lines[i];
        c->len[n] = strlen(s->lines[i]);
        c->lineno[n] = i + 1;
        c->pos[n] = i;
    }
    return n;
}

static int memory_put(void *vctx, const Model *m, const Chunk *c, int i, const Buf *text, char *err, size_t errsz) {
    MemoryLines *s = vctx;
    (void)m, (void)err, (void)errsz;
    s->out[s->done + i] = xstrdup(text->data);
    if (i == c->n - 1) s->done += c->n;
    return 0;
}

int translate_lines(const Model *m, const TranslateOptions *o, const char *const *lines, int n, char **out,
                    TranslateStats *st, char *err, size_t errsz) {
    TranslateStats local;
    MemoryLines ml = {lines, n, 0, out};
    int rc = translate_chunks(m, o, chunk_lines(o), "input", o->alignment != ALIGN_NONE, memory_fill, &ml, memory_put,
                              &ml, NULL, st ? st : &local, err, errsz);
    if (rc != 0)
        for (int i = 0; i < ml.done; i++) free(out[i]), out[i] = NULL;
    return rc;
}
