/* Tests for src/translate/attention_dump.c: every format written and read
 * back (jsonl, tsv, npy, html), with one head and with two (every head
 * plus their mean), escaping, and the translator's dump. */
#include <errno.h>
#include <stdint.h>
#include <sys/stat.h>

#include "sys/escape.h"
#include "sys/npy.h"
#include "fixture_model.h"
#include "jsonread.h"
#include "test.h"
#include "sys/files.h"
#include "sys/lines.h"
#include "translate/attention_dump.h"

/* Records used by every format test: two real sentences and an empty one,
 * plus labels that need escaping. */
typedef struct {
    AttRecord r[3];
    float *att[3];
    const char **st[3], **tt[3];
} Records;

static void make_records(Records *R) {
    memset(R, 0, sizeof *R);
    static const char *odd_src[3] = {"<b>&\"quoted\"", "back\\slash", "\xE2\x96\x81" "caf\xC3\xA9"};
    static const char *odd_tgt[2] = {"tab\\t'x'", "</s>"};
    for (int k = 0; k < 3; k++) {
        int Ts = k == 0 ? 3 : k == 1 ? 5 : 0, Tt = k == 0 ? 2 : k == 1 ? 4 : 0;
        R->att[k] = xmalloc(sizeof(float) * (size_t)(Ts * Tt + 1));
        R->st[k] = xmalloc(sizeof(char *) * (size_t)(Ts + 1));
        R->tt[k] = xmalloc(sizeof(char *) * (size_t)(Tt + 1));
        for (int s = 0; s < Ts; s++) R->st[k][s] = k == 0 ? odd_src[s] : vocab_token(g_model->vocab, VOCAB_SRC, 10 + s);
        for (int t = 0; t < Tt; t++) R->tt[k][t] = k == 0 ? odd_tgt[t] : t == Tt - 1 ? "</s>" : vocab_token(g_model->vocab, VOCAB_TGT, 20 + t);
        for (int t = 0; t < Tt; t++) {
            float sum = 0;
            for (int s = 0; s < Ts; s++) sum += (R->att[k][t * Ts + s] = (float)((t * 7 + s * 3) % 5 + 1) / 3.0f);
            for (int s = 0; s < Ts; s++) R->att[k][t * Ts + s] /= sum;
        }
        R->r[k] = (AttRecord){.id = k + 1, .src_text = k == 0 ? "a \"b\"\tc" : "x", .tgt_text = "y\\z",
                              .src_tokens = R->st[k], .Ts = Ts, .tgt_tokens = R->tt[k], .Tt = Tt, .att = R->att[k]};
    }
}

static void free_records(Records *R) {
    for (int k = 0; k < 3; k++) free(R->att[k]), free(R->st[k]), free(R->tt[k]);
}

static char *write_dump(AttDumpFormat fmt, const char *name, Records *R) {
    static char path[160];
    snprintf(path, sizeof path, "%s/%s", g_dir, name);
    char err[256];
    AttDump *d = attdump_open(path, fmt, "test <dump>", err, sizeof err);
    EXPECT_MSG(d != NULL, "%s", err);
    if (!d) return NULL;
    for (int k = 0; k < 3; k++) EXPECT(attdump_write(d, &R->r[k], err, sizeof err) == 0);
    EXPECT(attdump_count(d) == 3);
    EXPECT(attdump_close(d, err, sizeof err) == 0);
    return path;
}

static void test_dump_jsonl(void) {
    Records R;
    make_records(&R);
    char *path = write_dump(ATTDUMP_JSONL, "att.jsonl", &R);
    char *text = path ? slurp(path) : NULL;
    EXPECT(text != NULL);
    const char *p = text;
    for (int k = 0; text && k < 3; k++) {
        const char *nl = strchr(p, '\n');
        EXPECT(nl != NULL); /* one object per line */
        JVal v;
        EXPECT_MSG(jparse(&p, &v) == 0, "record %d does not parse", k);
        EXPECT(*p == '\n' && p == nl);
        const JVal *id = jget(&v, "id"), *st = jget(&v, "src_tokens"), *tt = jget(&v, "tgt_tokens"),
                   *att = jget(&v, "attention"), *src = jget(&v, "src");
        EXPECT(id && id->num == k + 1);
        EXPECT(src && src->type == 's' && !strcmp(src->str, R.r[k].src_text));
        EXPECT(st && st->n == R.r[k].Ts && tt && tt->n == R.r[k].Tt && att && att->n == R.r[k].Tt);
        if (st && tt && att && st->n == R.r[k].Ts && tt->n == R.r[k].Tt && att->n == R.r[k].Tt) {
            for (int s = 0; s < st->n; s++) EXPECT_STR(st->items[s].str, R.r[k].src_tokens[s]);
            for (int t = 0; t < tt->n; t++) EXPECT_STR(tt->items[t].str, R.r[k].tgt_tokens[t]);
            for (int t = 0; t < att->n; t++) {
                EXPECT(att->items[t].n == R.r[k].Ts);
                double sum = 0;
                for (int s = 0; s < att->items[t].n; s++) {
                    double w = att->items[t].items[s].num;
                    sum += w;
                    EXPECT_NEAR(w, R.r[k].att[t * R.r[k].Ts + s], 1e-6);
                }
                EXPECT_NEAR(sum, 1.0, 1e-5);
            }
        }
        jfree(&v);
        p = nl ? nl + 1 : p;
    }
    EXPECT(text && *p == '\0');
    free(text);
    free_records(&R);
}

static void test_dump_tsv(void) {
    Records R;
    make_records(&R);
    char *path = write_dump(ATTDUMP_TSV, "att.tsv", &R);
    LineReader r;
    EXPECT(path && linereader_open(&r, path) == 0);
    if (!path) return;
    for (int k = 0; k < 3; k++) {
        char want[64];
        snprintf(want, sizeof want, "# sentence %d", k + 1);
        EXPECT(linereader_next(&r) && !strcmp(r.line, want));
        /* comments, then the header */
        while (linereader_next(&r) && r.line[0] == '#') {
        }
        EXPECT(!strncmp(r.line, TSV_CORNER, strlen(TSV_CORNER)));
        char *save, *cell = strtok_r(r.line, "\t", &save);
        int s = 0;
        for (cell = strtok_r(NULL, "\t", &save); cell; cell = strtok_r(NULL, "\t", &save), s++)
            if (s < R.r[k].Ts) EXPECT_STR(cell, R.r[k].src_tokens[s]);
        EXPECT(s == R.r[k].Ts);
        for (int t = 0; t < R.r[k].Tt; t++) {
            EXPECT(linereader_next(&r));
            cell = strtok_r(r.line, "\t", &save);
            EXPECT_STR(cell, R.r[k].tgt_tokens[t]);
            double sum = 0;
            s = 0;
            for (cell = strtok_r(NULL, "\t", &save); cell; cell = strtok_r(NULL, "\t", &save), s++) {
                if (s < R.r[k].Ts) EXPECT_NEAR(strtod(cell, NULL), R.r[k].att[t * R.r[k].Ts + s], 1e-6);
                sum += strtod(cell, NULL);
            }
            EXPECT(s == R.r[k].Ts);
            EXPECT_NEAR(sum, 1.0, 1e-5);
        }
        EXPECT(linereader_next(&r) && r.len == 0); /* blank line ends the block */
    }
    EXPECT(!linereader_next(&r));
    linereader_close(&r);
    free_records(&R);
}

/* A tiny .npy reader: version 1.0, '<f4', C order, 2-D. Returns the data or NULL. */
static float *npy_read(const char *path, int *rows, int *cols) {
    size_t n;
    unsigned char *d = (unsigned char *)read_file(path, &n);
    if (!d) return NULL;
    float *out = NULL;
    if (n < 10 || memcmp(d, "\x93NUMPY", 6) != 0 || d[6] != 1 || d[7] != 0) goto done;
    size_t hlen = d[8] | (size_t)d[9] << 8;
    if ((10 + hlen) % 64 != 0 || 10 + hlen > n || d[10 + hlen - 1] != '\n') goto done;
    char *h = xmalloc(hlen + 1);
    memcpy(h, d + 10, hlen);
    h[hlen] = '\0';
    char *shape = strstr(h, "'shape': (");
    int ok = strstr(h, "'descr': '<f4'") && strstr(h, "'fortran_order': False") && shape && h[0] == '{';
    if (ok && sscanf(shape, "'shape': (%d, %d)", rows, cols) == 2 &&
        n == 10 + hlen + 4 * (size_t)*rows * (size_t)*cols) {
        out = xmalloc(sizeof(float) * (size_t)(*rows * *cols + 1));
        for (int i = 0; i < *rows * *cols; i++) {
            const unsigned char *b = d + 10 + hlen + 4 * (size_t)i;
            uint32_t u = b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
            memcpy(&out[i], &u, 4);
        }
    }
    free(h);
done:
    free(d);
    return out;
}

static void test_dump_npy(void) {
    Records R;
    make_records(&R);
    char *dir = write_dump(ATTDUMP_NPY, "npydir", &R);
    EXPECT(dir != NULL);
    for (int k = 0; dir && k < 3; k++) {
        char path[256];
        snprintf(path, sizeof path, "%s/%06d.npy", dir, k + 1);
        int rows = -1, cols = -1;
        float *a = npy_read(path, &rows, &cols);
        EXPECT_MSG(a != NULL, "%s is not a float32 .npy file", path);
        if (!a) continue;
        EXPECT(rows == R.r[k].Tt && cols == R.r[k].Ts);
        EXPECT(!memcmp(a, R.r[k].att, sizeof(float) * (size_t)(rows * cols)));
        free(a);
        snprintf(path, sizeof path, "%s/%06d.json", dir, k + 1);
        char *text = slurp(path);
        EXPECT(text != NULL);
        const char *p = text;
        JVal v;
        EXPECT(text && jparse(&p, &v) == 0);
        if (text) {
            const JVal *st = jget(&v, "src_tokens");
            EXPECT(st && st->n == R.r[k].Ts);
            if (st && st->n > 0) EXPECT_STR(st->items[0].str, R.r[k].src_tokens[0]);
            jfree(&v);
        }
        free(text);
    }
    /* the header is padded to 64 bytes for any shape */
    for (int r = 0; r < 300; r += 37) {
        Buf b = {0};
        npy_header(&b, r, r * 1000 + 3);
        EXPECT(b.len % 64 == 0 && b.data[b.len - 1] == '\n');
        buf_free(&b);
    }
    /* a file where the directory should go is an error, not a crash */
    char bad[160], err[256];
    snprintf(bad, sizeof bad, "%s/att.jsonl", g_dir);
    EXPECT(attdump_open(bad, ATTDUMP_NPY, NULL, err, sizeof err) == NULL);
    free_records(&R);
}

static int count_of(const char *hay, const char *needle) {
    int n = 0;
    for (const char *p = strstr(hay, needle); p; p = strstr(p + 1, needle)) n++;
    return n;
}

static void test_dump_html(void) {
    Records R;
    make_records(&R);
    char *path = write_dump(ATTDUMP_HTML, "att.html", &R);
    char *html = path ? slurp(path) : NULL;
    EXPECT(html != NULL);
    if (html) {
        EXPECT(!strncmp(html, "<!DOCTYPE html>", 15));
        EXPECT(count_of(html, "<table class=\"heatmap\"") == 3);
        EXPECT(strstr(html, "</html>") != NULL);
        /* self-contained: nothing fetched */
        EXPECT(!strstr(html, "http:") && !strstr(html, "https:") && !strstr(html, "src=") && !strstr(html, "<link"));
        /* labels escaped, cells carry their weights */
        EXPECT(strstr(html, "&lt;b&gt;&amp;&quot;quoted&quot;") != NULL);
        EXPECT(!strstr(html, "<b>&"));
        EXPECT(strstr(html, "tab\\t&#39;x&#39;") != NULL);
        EXPECT(strstr(html, "test &lt;dump&gt;") != NULL);
        EXPECT(count_of(html, "<td ") == 3 * 2 + 5 * 4);
        EXPECT(count_of(html, " title=\"") >= 3 * 2 + 5 * 4);
    }
    free(html);
    free_records(&R);
}

/* Multi-head records: the same three records with two heads each (head 1
 * the record's matrix, head 2 its rows reversed) and att their mean. */
static void make_head_records(Records *R, float **heads) {
    make_records(R);
    for (int k = 0; k < 3; k++) {
        const int Ts = R->r[k].Ts, Tt = R->r[k].Tt;
        const size_t plane = (size_t)Ts * Tt;
        heads[k] = xmalloc(sizeof(float) * (2 * plane + 1));
        for (int t = 0; t < Tt; t++)
            for (int s = 0; s < Ts; s++) {
                heads[k][(size_t)t * Ts + s] = R->att[k][(size_t)t * Ts + s];
                heads[k][plane + (size_t)t * Ts + s] = R->att[k][(size_t)t * Ts + (Ts - 1 - s)];
            }
        for (size_t i = 0; i < plane; i++) R->att[k][i] = 0.5f * (heads[k][i] + heads[k][plane + i]);
        R->r[k].heads = 2, R->r[k].head_att = heads[k];
    }
}

static void test_dump_heads(void) {
    Records R;
    float *heads[3];
    make_head_records(&R, heads);
    /* jsonl: "attention" the mean, "heads" every head */
    char *path = write_dump(ATTDUMP_JSONL, "heads.jsonl", &R);
    char *text = path ? slurp(path) : NULL;
    const char *p = text;
    for (int k = 0; text && k < 2; k++) {
        JVal v;
        EXPECT(jparse(&p, &v) == 0);
        const JVal *att = jget(&v, "attention"), *hd = jget(&v, "heads");
        const int Ts = R.r[k].Ts, Tt = R.r[k].Tt;
        EXPECT(att && att->n == Tt && hd && hd->n == 2);
        for (int t = 0; att && t < att->n; t++)
            for (int s = 0; s < Ts; s++) EXPECT_NEAR(att->items[t].items[s].num, R.att[k][t * Ts + s], 1e-6);
        for (int h = 0; hd && h < hd->n && hd->n == 2; h++) {
            EXPECT(hd->items[h].n == Tt);
            for (int t = 0; t < hd->items[h].n; t++)
                for (int s = 0; s < Ts; s++)
                    EXPECT_NEAR(hd->items[h].items[t].items[s].num, heads[k][(size_t)(h * Tt + t) * Ts + s], 1e-6);
        }
        jfree(&v);
        p = strchr(p, '\n') ? strchr(p, '\n') + 1 : p;
    }
    free(text);
    /* tsv: the mean's table, then one per head, in one block */
    path = write_dump(ATTDUMP_TSV, "heads.tsv", &R);
    text = path ? slurp(path) : NULL;
    EXPECT(text && count_of(text, "# sentence ") == 3 && count_of(text, "# attention: mean of 2 heads\n") == 3);
    EXPECT(text && count_of(text, "\n# head 1\n" TSV_CORNER) == 3 && count_of(text, "\n# head 2\n" TSV_CORNER) == 3);
    EXPECT(text && count_of(text, "\n\n") == 3); /* blocks still end with one empty line */
    free(text);
    /* npy: NNNNNN.npy the mean, NNNNNN.heads.npy (2, Tt, Ts) */
    char *dir = write_dump(ATTDUMP_NPY, "headsnpy", &R);
    for (int k = 0; dir && k < 3; k++) {
        char f[256], shape[64];
        snprintf(f, sizeof f, "%s/%06d.npy", dir, k + 1);
        int rows = -1, cols = -1;
        float *a = npy_read(f, &rows, &cols);
        EXPECT(a && rows == R.r[k].Tt && cols == R.r[k].Ts);
        if (a) EXPECT(!memcmp(a, R.att[k], sizeof(float) * (size_t)(rows * cols)));
        free(a);
        snprintf(f, sizeof f, "%s/%06d.heads.npy", dir, k + 1);
        size_t n = 0;
        unsigned char *d = (unsigned char *)read_file(f, &n);
        EXPECT_MSG(d != NULL, "%s missing", f);
        if (!d) continue;
        const size_t hlen = (size_t)d[8] | (size_t)d[9] << 8, plane = (size_t)R.r[k].Tt * R.r[k].Ts;
        snprintf(shape, sizeof shape, "'shape': (2, %d, %d)", R.r[k].Tt, R.r[k].Ts);
        EXPECT((10 + hlen) % 64 == 0 && n > 10 && strstr((char *)d + 10, shape) != NULL);
        EXPECT(n == 10 + hlen + 4 * 2 * plane);
        if (n == 10 + hlen + 4 * 2 * plane) EXPECT(!memcmp(d + 10 + hlen, heads[k], 4 * 2 * plane));
        free(d);
        snprintf(f, sizeof f, "%s/%06d.json", dir, k + 1);
        text = slurp(f);
        EXPECT(text && strstr(text, ",\"heads\":2}") != NULL);
        free(text);
    }
    /* html: a menu per heatmap, the script once, the data to switch to */
    path = write_dump(ATTDUMP_HTML, "heads.html", &R);
    text = path ? slurp(path) : NULL;
    EXPECT(text && count_of(text, "<select class=\"head\"") == 3 && count_of(text, "<option>2</option>") == 3);
    EXPECT(text && count_of(text, "addEventListener('change'") == 1 && count_of(text, " data-heads=\"[[") == 3);
    free(text);
    /* one head (heads 1, or 0 as before) writes exactly the one-matrix record */
    for (int k = 0; k < 3; k++) R.r[k].heads = 1, R.r[k].head_att = NULL;
    path = write_dump(ATTDUMP_JSONL, "one.jsonl", &R);
    text = path ? slurp(path) : NULL;
    for (int k = 0; k < 3; k++) R.r[k].heads = 0;
    path = write_dump(ATTDUMP_JSONL, "zero.jsonl", &R);
    char *before = path ? slurp(path) : NULL;
    EXPECT(text && before && !strcmp(text, before) && !strstr(text, "heads"));
    free(text), free(before);
    for (int k = 0; k < 3; k++) free(heads[k]);
    free_records(&R);
}

static void test_json_escape(void) {
    Buf b = {0};
    json_escape(&b, "a\"b\\c\n\t\x01 caf\xC3\xA9 \xE2\x96\x81");
    EXPECT_STR(b.data, "\"a\\\"b\\\\c\\n\\t\\u0001 caf\xC3\xA9 \xE2\x96\x81\"");
    const char *p = b.data;
    JVal v;
    EXPECT(jparse(&p, &v) == 0);
    EXPECT_STR(v.str, "a\"b\\c\n\t\x01 caf\xC3\xA9 \xE2\x96\x81");
    jfree(&v);
    buf_free(&b);
}

static void test_translator_dump_ids(void) {
    /* translate_stream with a dump: one record per line, rows = output tokens (+ </s>) */
    char in_path[128], dump_path[128];
    snprintf(in_path, sizeof in_path, "%s/in2.txt", g_dir);
    snprintf(dump_path, sizeof dump_path, "%s/tr.jsonl", g_dir);
    FILE *f = fopen(in_path, "w");
    for (int i = 0; i < 6; i++) fprintf(f, "%s\n", i == 2 ? "" : g_lines[i]);
    fclose(f);
    TranslateOptions o = opts(3, 2);
    char err[256];
    AttDump *d = attdump_open(dump_path, ATTDUMP_JSONL, NULL, err, sizeof err);
    LineReader r;
    EXPECT(d && linereader_open(&r, in_path) == 0);
    FILE *out = tmpfile();
    EXPECT(translate_stream(g_model, &o, &r, out, d, NULL, err, sizeof err) == 0);
    EXPECT(attdump_close(d, err, sizeof err) == 0);
    fclose(out);
    linereader_close(&r);
    char *text = slurp(dump_path);
    const char *p = text;
    for (int i = 0; text && i < 6; i++) {
        JVal v;
        EXPECT(jparse(&p, &v) == 0);
        const JVal *id = jget(&v, "id"), *st = jget(&v, "src_tokens"), *tt = jget(&v, "tgt_tokens"),
                   *att = jget(&v, "attention");
        EXPECT(id && id->num == i + 1);
        if (st && tt && att) {
            EXPECT(st->n == (i == 2 ? 0 : g_src_len[i]));
            EXPECT(att->n == tt->n);
            for (int t = 0; t < att->n; t++) {
                double sum = 0;
                EXPECT(att->items[t].n == st->n);
                for (int s = 0; s < att->items[t].n; s++) sum += att->items[t].items[s].num;
                EXPECT_NEAR(sum, 1.0, 1e-5);
            }
            if (i != 2) EXPECT(tt->n > 0);
            for (int s = 0; s < st->n && i != 2; s++)
                EXPECT_STR(st->items[s].str, vocab_token(g_model->vocab, VOCAB_SRC, g_src[i][s]));
        } else {
            EXPECT(0);
        }
        jfree(&v);
        jws(&p);
    }
    free(text);
}

int main(void) {
    fixture_init();
    RUN(test_json_escape);
    RUN(test_dump_jsonl);
    RUN(test_dump_tsv);
    RUN(test_dump_npy);
    RUN(test_dump_html);
    RUN(test_dump_heads);
    RUN(test_translator_dump_ids);
    fixture_free();
    TEST_EXIT();
}
