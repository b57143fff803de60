/* attention_dump.c — see attention_dump.h. */
#include "translate/attention_dump.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>

#include "align/pipeline.h"
#include "sys/atomic.h"
#include "sys/escape.h"
#include "sys/npy.h"
#include "translate/attention_html.h"
#include "translate/attention_marks.h"

struct AttDump {
    AttDumpFormat fmt;
    AtomicFile af; /* jsonl, tsv, html */
    char *dir;     /* npy */
    long count;
    Buf buf;       /* one record's text */
    int mark_model; /* html: outline the model's hard alignment */
    Alignment gold; /* html: gold links to mark, when has_gold */
    int has_gold;
    int heads_script; /* html: the head menus' script is on the page */
};

const char *const ATTDUMP_FORMAT_NAMES[] = {"jsonl", "tsv", "npy", "html", NULL}; /* AttDumpFormat order */
#define FORMAT_NAMES ATTDUMP_FORMAT_NAMES

static int ends_with(const char *s, const char *suffix) {
    size_t n = strlen(s), k = strlen(suffix);
    return n >= k && !strcmp(s + n - k, suffix);
}

AttDumpFormat attdump_format_for_path(const char *path) {
    if (ends_with(path, ".html") || ends_with(path, ".htm")) return ATTDUMP_HTML;
    if (ends_with(path, ".tsv")) return ATTDUMP_TSV;
    if (ends_with(path, ".npy") || ends_with(path, "/")) return ATTDUMP_NPY;
    return ATTDUMP_JSONL;
}

int attdump_parse_format(const char *name, AttDumpFormat *fmt) {
    for (int i = 0; i < 4; i++)
        if (!strcmp(name, FORMAT_NAMES[i])) {
            *fmt = (AttDumpFormat)i;
            return 0;
        }
    return -1;
}

const char *attdump_format_name(AttDumpFormat fmt) {
    return (unsigned)fmt < 4 ? FORMAT_NAMES[fmt] : "?";
}

long attdump_count(const AttDump *d) { return d->count; }

static void put_weight(Buf *b, float w) { buf_printf(b, "%.6g", (double)w); }

static int write_whole(const char *path, const void *data, size_t len, char *err, size_t errsz) {
    FILE *f = fopen(path, "wb");
    if (!f) {
        snprintf(err, errsz, "%s: cannot create: %s", path, strerror(errno));
        return -1;
    }
    size_t w = len ? fwrite(data, 1, len, f) : 0;
    int bad = w != len || ferror(f);
    if (fclose(f) != 0) bad = 1;
    if (bad) {
        snprintf(err, errsz, "%s: write failed: %s", path, strerror(errno ? errno : EIO));
        return -1;
    }
    return 0;
}

static void put_tokens(Buf *b, const char *key, const char *const *tok, int n) {
    buf_printf(b, "\"%s\":[", key);
    for (int i = 0; i < n; i++) {
        if (i) buf_append(b, ",", 1);
        json_escape(b, tok[i]);
    }
    buf_append(b, "]", 1);
}

/* A [Tt][Ts] matrix as a JSON array of rows. */
static void put_matrix(Buf *b, const float *m, int Tt, int Ts) {
    buf_append(b, "[", 1);
    for (int t = 0; t < Tt; t++) {
        if (t) buf_append(b, ",", 1);
        buf_append(b, "[", 1);
        for (int s = 0; s < Ts; s++) {
            if (s) buf_append(b, ",", 1);
            put_weight(b, m[(size_t)t * Ts + s]);
        }
        buf_append(b, "]", 1);
    }
    buf_append(b, "]", 1);
}


/* The JSON object of a record; the matrix only when with_matrix. */
static void record_json(Buf *b, const AttRecord *r, int with_matrix) {
    buf_printf(b, "{\"id\":%ld,", r->id);
    if (r->src_text) buf_puts(b, "\"src\":"), json_escape(b, r->src_text), buf_append(b, ",", 1);
    if (r->tgt_text) buf_puts(b, "\"tgt\":"), json_escape(b, r->tgt_text), buf_append(b, ",", 1);
    put_tokens(b, "src_tokens", r->src_tokens, r->Ts);
    buf_append(b, ",", 1);
    put_tokens(b, "tgt_tokens", r->tgt_tokens, r->Tt);
    if (with_matrix) {
        buf_puts(b, ",\"attention\":[");
        for (int t = 0; t < r->Tt; t++) {
            if (t) buf_append(b, ",", 1);
            buf_append(b, "[", 1);
            for (int s = 0; s < r->Ts; s++) {
                if (s) buf_append(b, ",", 1);
                put_weight(b, r->att[(size_t)t * r->Ts + s]);
            }
            buf_append(b, "]", 1);
        }
        buf_append(b, "]", 1);
        if (attrecord_has_heads(r)) {
            buf_puts(b, ",\"heads\":[");
            for (int k = 0; k < r->heads; k++) {
                if (k) buf_append(b, ",", 1);
                put_matrix(b, r->head_att + (size_t)k * r->Tt * r->Ts, r->Tt, r->Ts);
            }
            buf_append(b, "]", 1);
        }
    } else if (attrecord_has_heads(r)) {
        buf_printf(b, ",\"heads\":%d", r->heads);
    }
    buf_puts(b, "}\n");
}

/* n floats, little-endian */
static void put_floats_le(Buf *b, const float *x, size_t n) {
    buf_reserve(b, n * 4);
    for (size_t i = 0; i < n; i++) {
        uint32_t u;
        memcpy(&u, &x[i], 4);
        unsigned char le[4] = {(unsigned char)u, (unsigned char)(u >> 8), (unsigned char)(u >> 16),
                               (unsigned char)(u >> 24)};
        buf_append(b, le, 4);
    }
}

static int write_npy(AttDump *d, const AttRecord *r, char *err, size_t errsz) {
    Buf *b = &d->buf;
    npy_header(b, r->Tt, r->Ts);
    put_floats_le(b, r->att, (size_t)r->Tt * r->Ts);
    size_t plen = strlen(d->dir) + 32;
    char *path = xmalloc(plen);
    snprintf(path, plen, "%s/%06ld.npy", d->dir, r->id);
    int rc = write_whole(path, b->data, b->len, err, errsz);
    if (rc == 0 && attrecord_has_heads(r)) { /* every head: (N, Tt, Ts) */
        b->len = 0;
        npy_header_dims(b, 3, (const int[]){r->heads, r->Tt, r->Ts});
        put_floats_le(b, r->head_att, (size_t)r->heads * r->Tt * r->Ts);
        snprintf(path, plen, "%s/%06ld.heads.npy", d->dir, r->id);
        rc = write_whole(path, b->data, b->len, err, errsz);
    }
    if (rc == 0) {
        b->len = 0;
        record_json(b, r, 0);
        snprintf(path, plen, "%s/%06ld.json", d->dir, r->id);
        rc = write_whole(path, b->data, b->len, err, errsz);
    }
    free(path);
    return rc;
}

/* ---------- tsv ---------- */

/* A text as a comment line: control characters (a tab) become spaces. */
static void put_comment(Buf *b, const char *prefix, const char *text) {
    buf_puts(b, prefix);
    size_t start = b->len;
    buf_puts(b, text);
    for (size_t i = start; i < b->len; i++)
        if ((unsigned char)b->data[i] < 0x20) b->data[i] = ' ';
    buf_append(b, "\n", 1);
}

/* The header line and one line per target token of the matrix m [Tt][Ts]. */
static void tsv_table(Buf *b, const AttRecord *r, const float *m) {
    buf_puts(b, TSV_CORNER);
    for (int s = 0; s < r->Ts; s++) buf_printf(b, "\t%s", r->src_tokens[s]);
    buf_append(b, "\n", 1);
    for (int t = 0; t < r->Tt; t++) {
        buf_puts(b, r->tgt_tokens[t]);
        for (int s = 0; s < r->Ts; s++) {
            buf_append(b, "\t", 1);
            put_weight(b, m[(size_t)t * r->Ts + s]);
        }
        buf_append(b, "\n", 1);
    }
}

static void record_tsv(Buf *b, const AttRecord *r) {
    buf_printf(b, "# sentence %ld\n", r->id);
    if (r->src_text) put_comment(b, "# source: ", r->src_text);
    if (r->tgt_text) put_comment(b, "# target: ", r->tgt_text);
    if (attrecord_has_heads(r)) buf_printf(b, "# attention: mean of %d heads\n", r->heads);
    tsv_table(b, r, r->att);
    for (int k = 0; attrecord_has_heads(r) && k < r->heads; k++) {
        buf_printf(b, "# head %d\n", k + 1);
        tsv_table(b, r, r->head_att + (size_t)k * r->Tt * r->Ts);
    }
    buf_append(b, "\n", 1);
}

/* ---------- the interface ---------- */

AttDump *attdump_open(const char *path, AttDumpFormat fmt, const char *title, char *err, size_t errsz) {
    AttDump *d = xcalloc(1, sizeof *d);
    d->fmt = fmt;
    if (fmt == ATTDUMP_NPY) {
        struct stat st;
        if (mkdir(path, 0777) != 0) {
            if (errno != EEXIST || stat(path, &st) != 0 || !S_ISDIR(st.st_mode)) {
                snprintf(err, errsz, "%s: cannot create the directory for npy files: %s", path,
                         errno == EEXIST ? "a file of that name exists" : strerror(errno));
                free(d);
                return NULL;
            }
        }
        d->dir = xstrdup(path);
        return d;
    }
    if (atomic_open(&d->af, path, err, errsz) != 0) {
        free(d);
        return NULL;
    }
    if (fmt == ATTDUMP_HTML) {
        attention_html_begin(&d->buf, title);
        if (atomic_write(&d->af, d->buf.data, d->buf.len, err, errsz) != 0) {
            buf_free(&d->buf);
            free(d);
            return NULL;
        }
        d->buf.len = 0;
    }
    return d;
}

int attdump_write(AttDump *d, const AttRecord *r, char *err, size_t errsz) {
    d->buf.len = 0;
    int rc = 0;
    switch (d->fmt) {
    case ATTDUMP_NPY: rc = write_npy(d, r, err, errsz); break;
    case ATTDUMP_JSONL: record_json(&d->buf, r, 1); break;
    case ATTDUMP_TSV: record_tsv(&d->buf, r); break;
    case ATTDUMP_HTML:
        attention_html_record(&d->buf, r, attrecord_has_heads(r) && !d->heads_script);
        d->heads_script |= attrecord_has_heads(r);
        break;
    }
    if (rc == 0 && d->fmt != ATTDUMP_NPY) rc = atomic_write(&d->af, d->buf.data, d->buf.len, err, errsz);
    if (rc == 0) d->count++;
    return rc;
}

int attdump_write_ids(AttDump *d, long id, const Vocab *v, const int *src, int Ts, const int *tgt, int tgt_len,
                      int tgt_ended, const float *att, char *err, size_t errsz) {
    return attdump_write_ids_heads(d, id, v, src, Ts, tgt, tgt_len, tgt_ended, att, 1, NULL, err, errsz);
}

int attdump_write_ids_heads(AttDump *d, long id, const Vocab *v, const int *src, int Ts, const int *tgt, int tgt_len,
                            int tgt_ended, const float *att, int heads, const float *head_att, char *err,
                            size_t errsz) {
    int Tt = tgt_len + (tgt_ended ? 1 : 0);
    const char **st = xmalloc(sizeof(char *) * (size_t)(Ts + 1)), **tt = xmalloc(sizeof(char *) * (size_t)(Tt + 1));
    for (int i = 0; i < Ts; i++) st[i] = vocab_token(v, VOCAB_SRC, src[i]);
    for (int i = 0; i < tgt_len; i++) tt[i] = vocab_token(v, VOCAB_TGT, tgt[i]);
    if (tgt_ended) tt[tgt_len] = "</s>";
    char *stext = vocab_decode(v, VOCAB_SRC, src, Ts), *ttext = vocab_decode(v, VOCAB_TGT, tgt, tgt_len);
    AttRecord r = {.id = id, .src_text = stext, .tgt_text = ttext, .src_tokens = st, .Ts = Ts, .tgt_tokens = tt,
                   .Tt = Tt, .att = att, .heads = heads, .head_att = head_att};
    unsigned char *marks = NULL;
    char note[512];
    if (d->fmt == ATTDUMP_HTML && (d->mark_model || d->has_gold) && Ts > 0) {
        MarkCounts k;
        marks = attention_marks(v, src, Ts, tgt, tgt_len, Tt, att, d->mark_model, d->has_gold ? &d->gold : NULL,
                                id - 1, &k);
        int n = 0;
        if (d->mark_model)
            n += snprintf(note + n, sizeof note - (size_t)n, "<i class=\"m\"></i>model's hard alignment: %d links",
                          k.model);
        if (d->has_gold) {
            n += snprintf(note + n, sizeof note - (size_t)n,
                          "<i class=\"s\"></i>sure gold link: %d<i class=\"p\"></i>possible: %d", k.gold_sure,
                          k.gold_possible);
            if (d->mark_model)
                snprintf(note + n, sizeof note - (size_t)n, " &mdash; model links on sure gold %d, on possible %d, "
                         "off gold %d", k.model_on_sure, k.model_on_possible,
                         k.model - k.model_on_sure - k.model_on_possible);
        }
        r.marks = marks, r.marks_note = note;
    }
    int rc = attdump_write(d, &r, err, errsz);
    free(st), free(tt), free(stext), free(ttext), free(marks);
    return rc;
}

void attdump_mark_alignment(AttDump *d) { d->mark_model = 1; }

int attdump_load_gold(AttDump *d, const char *talp_path, const char *src_path, const char *tgt_path, char *err,
                      size_t errsz) {
    if (!d->has_gold) alignment_init(&d->gold);
    d->has_gold = 1;
    /* nmt-align --score's reader and checks: a gold file that does not fit
     * the pairs is refused here, before anything is scored or written */
    return align_read_checked(&d->gold, talp_path, 1, 1, src_path, tgt_path, err, errsz);
}

int attdump_close(AttDump *d, char *err, size_t errsz) {
    int rc = 0;
    if (d->fmt != ATTDUMP_NPY) {
        if (d->fmt == ATTDUMP_HTML) {
            d->buf.len = 0;
            attention_html_end(&d->buf, d->count == 0);
            rc = atomic_write(&d->af, d->buf.data, d->buf.len, err, errsz);
        }
        if (rc == 0) rc = atomic_commit(&d->af, err, errsz);
    }
    buf_free(&d->buf);
    if (d->has_gold) alignment_free(&d->gold);
    free(d->dir);
    free(d);
    return rc;
}

void attdump_abort(AttDump *d) {
    if (!d) return;
    if (d->fmt != ATTDUMP_NPY && d->af.f) atomic_abort(&d->af);
    buf_free(&d->buf);
    if (d->has_gold) alignment_free(&d->gold);
    free(d->dir);
    free(d);
}
