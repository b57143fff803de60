/* fingerprint.c — see fingerprint.h. */
#include "train/fingerprint.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sys/input.h"

void fingerprint_line(Buf *b, const char *key, const char *note, const char *fmt, ...) {
    char value[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(value, sizeof value, fmt, ap);
    va_end(ap);
    buf_printf(b, "%s\t%s\t%s\n", key, value, note ? note : "");
}

static void bytes_line(Buf *b, const char *key, const char *note, size_t len, uint64_t hash) {
    fingerprint_line(b, key, note, "%zu bytes, hash %016llx", len, (unsigned long long)hash);
}

void fingerprint_bytes(Buf *b, const char *key, const char *note, const void *data, size_t len) {
    bytes_line(b, key, note, len, hash64_update(0, data, len));
}

void fingerprint_inputs(Buf *b, const TrainInput *inputs, int n, int with_paths) {
    for (int i = 0; i < n; i++) {
        if (!inputs[i].path) continue;
        size_t len;
        uint64_t hash;
        input_fingerprint(inputs[i].path, &len, &hash);
        bytes_line(b, inputs[i].flag, with_paths ? inputs[i].path : NULL, len, hash);
    }
}

void fingerprint_data(Buf *b, const char *key, const TrainData *d) {
    if (!d) {
        fingerprint_line(b, key, NULL, "none");
        return;
    }
    uint64_t h = 0;
    for (int i = 0; i < d->n; i++) {
        h = hash64_update(h, d->src[i], sizeof(int) * (size_t)d->src_len[i]);
        h = hash64_update(h, d->tgt[i], sizeof(int) * (size_t)d->tgt_len[i]);
    }
    fingerprint_line(b, key, NULL, "%d pairs, %ld target tokens, hash %016llx", d->n, d->total_tgt_tokens,
                     (unsigned long long)h);
}

typedef struct {
    char *text;
    char **key, **value, **note;
    int n;
} Lines;

/* Split a copy of text into lines of key, value and note; a line without
 * its two tabs ends the list. */
static void split(Lines *l, const char *text, size_t len) {
    l->text = xmalloc(len + 1);
    memcpy(l->text, text, len);
    l->text[len] = '\0';
    int cap = 1;
    for (size_t i = 0; i < len; i++) cap += text[i] == '\n';
    l->key = xmalloc(sizeof(char *) * (size_t)cap);
    l->value = xmalloc(sizeof(char *) * (size_t)cap);
    l->note = xmalloc(sizeof(char *) * (size_t)cap);
    l->n = 0;
    for (char *p = l->text; *p && l->n < cap;) {
        char *end = strchr(p, '\n'), *t1 = strchr(p, '\t'), *t2 = t1 ? strchr(t1 + 1, '\t') : NULL;
        if (!end || !t1 || !t2 || t2 > end) break;
        *t1 = *t2 = *end = '\0';
        l->key[l->n] = p, l->value[l->n] = t1 + 1, l->note[l->n] = t2 + 1, l->n++;
        p = end + 1;
    }
}

static int find_key(const Lines *l, const char *key) {
    for (int i = 0; i < l->n; i++)
        if (!strcmp(l->key[i], key)) return i;
    return -1;
}

static void lines_free(Lines *l) {
    free(l->text), free(l->key), free(l->value), free(l->note);
}

int fingerprint_diff(const char *then, size_t then_len, const char *now, size_t now_len, FingerprintReport report,
                     void *ctx) {
    Lines a, b;
    split(&a, then, then_len);
    split(&b, now, now_len);
    int differences = 0;
    for (int i = 0; i < a.n; i++) {
        int j = find_key(&b, a.key[i]);
        if (j >= 0 && !strcmp(b.value[j], a.value[i])) continue;
        differences++;
        report(ctx, a.key[i], j >= 0 ? b.value[j] : NULL, j >= 0 ? b.note[j] : "", a.value[i], a.note[i]);
    }
    for (int j = 0; j < b.n; j++)
        if (find_key(&a, b.key[j]) < 0) {
            differences++;
            report(ctx, b.key[j], b.value[j], b.note[j], NULL, "");
        }
    lines_free(&a), lines_free(&b);
    return differences;
}
