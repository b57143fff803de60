/* vocab_io.c — the vocabulary file: writing, reading, showing.
 *
 * A line-oriented text file, so it can be read with less and diffed:
 *   #nmt-vocab 1                 magic and format version
 *   normalize nfc                nfc | nfkc | none
 *   lowercase no                 yes | no
 *   joint yes                    yes: one table "joint"; no: "src" then "tgt"
 *   bpe 8000                     merges asked for per table; 0 = words
 *   min-count 1                  word-vocabulary cut used
 *   max-size 0                   word-vocabulary cut used (0 = none)
 *   table joint                  then per table:
 *   tokens N                       N lines "TOKEN COUNT" in id order,
 *   <pad> 0                        starting with the four specials
 *   ...
 *   merges M                       M lines "LEFT RIGHT" in rank order
 *   ...
 *   crc32 1a2b3c4d               CRC-32 of every byte before this line
 * Tokens never contain an ASCII space or a control byte (tokenize.h), so
 * no quoting is needed. The CRC catches truncation and corruption. */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "sys/atomic.h"
#include "sys/files.h"
#include "sys/util.h"
#include "vocab/table.h"
#include "vocab/tokenize.h"

#define VOCAB_MAGIC "#nmt-vocab"
#define VOCAB_FORMAT 1

static const char *table_name(const Vocab *v, int t) { return v->joint ? "joint" : t == 0 ? "src" : "tgt"; }

char *vocab_to_bytes(const Vocab *v, size_t *len) {
    Buf b = {0};
    buf_printf(&b, "%s %d\n", VOCAB_MAGIC, VOCAB_FORMAT);
    buf_printf(&b, "normalize %s\nlowercase %s\njoint %s\n", norm_form_name(v->norm), v->lowercase ? "yes" : "no",
               v->joint ? "yes" : "no");
    buf_printf(&b, "bpe %d\nmin-count %ld\nmax-size %ld\n", v->bpe_merges, v->min_count, v->max_size);
    for (int t = 0; t < v->ntables; t++) {
        const VocabTable *T = &v->tables[t];
        buf_printf(&b, "table %s\ntokens %d\n", table_name(v, t), T->tok.n);
        for (int id = 0; id < T->tok.n; id++) {
            buf_append(&b, strtab_str(&T->tok, id), strtab_len(&T->tok, id));
            buf_printf(&b, " %lld\n", (long long)T->count[id]);
        }
        buf_printf(&b, "merges %d\n", T->nmerges);
        for (int r = 0; r < T->nmerges; r++) {
            buf_puts(&b, strtab_str(&T->tok, T->mleft[r]));
            buf_append(&b, " ", 1);
            buf_puts(&b, strtab_str(&T->tok, T->mright[r]));
            buf_append(&b, "\n", 1);
        }
    }
    buf_printf(&b, "crc32 %08x\n", crc32_update(0, b.data, b.len));
    *len = b.len;
    return b.data;
}

int vocab_save(const Vocab *v, const char *path, char *err, size_t errsz) {
    size_t len;
    char *data = vocab_to_bytes(v, &len);
    int rc = write_file_atomic(path, data, len, err, errsz);
    free(data);
    return rc;
}

/* ---- reading ---- */

typedef struct {
    const char *data, *name;
    size_t len, pos, end; /* end: where the crc32 line starts */
    long lineno;
    const char *line;     /* current line, without its newline */
    size_t llen;
    char *err;
    size_t errsz;
} Parser;

static int perr(Parser *P, const char *fmt, ...) NMT_PRINTF(2, 3);
static int perr(Parser *P, const char *fmt, ...) {
    int k = snprintf(P->err, P->errsz, "%s:%ld: ", P->name, P->lineno);
    if (k < 0 || (size_t)k >= P->errsz) return -1;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(P->err + k, P->errsz - (size_t)k, fmt, ap);
    va_end(ap);
    return -1;
}

static int next_line(Parser *P) {
    P->lineno++;
    if (P->pos >= P->end) return perr(P, "unexpected end of the vocabulary (file truncated?)");
    const char *nl = memchr(P->data + P->pos, '\n', P->end - P->pos);
    P->line = P->data + P->pos;
    P->llen = (size_t)(nl - P->line); /* the region before the crc line ends with '\n' */
    P->pos += P->llen + 1;
    return 0;
}

/* Parse a decimal number (digits only) into *out. */
static int parse_num(const char *s, size_t n, long long *out) {
    if (n == 0 || n > 18) return -1;
    long long v = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9') return -1;
        v = v * 10 + (s[i] - '0');
    }
    *out = v;
    return 0;
}

/* Read a line "KEY VALUE"; *val points into the line. */
static int expect_key(Parser *P, const char *key, const char **val, size_t *vlen) {
    if (next_line(P)) return -1;
    size_t k = strlen(key);
    if (P->llen <= k || memcmp(P->line, key, k) != 0 || P->line[k] != ' ')
        return perr(P, "expected '%s ...', found '%.*s'", key, (int)(P->llen > 60 ? 60 : P->llen), P->line);
    *val = P->line + k + 1;
    *vlen = P->llen - k - 1;
    return 0;
}

static int expect_num(Parser *P, const char *key, long long lo, long long hi, long long *out) {
    const char *val;
    size_t n;
    if (expect_key(P, key, &val, &n)) return -1;
    if (parse_num(val, n, out) || *out < lo || *out > hi)
        return perr(P, "'%s' needs a number from %lld to %lld, found '%.*s'", key, lo, hi, (int)(n > 40 ? 40 : n), val);
    return 0;
}

static int expect_choice(Parser *P, const char *key, const char *const *choices, int nchoices, int *out) {
    const char *val;
    size_t n;
    if (expect_key(P, key, &val, &n)) return -1;
    for (int i = 0; i < nchoices; i++)
        if (strlen(choices[i]) == n && memcmp(val, choices[i], n) == 0) return *out = i, 0;
    return perr(P, "unknown value '%.*s' for '%s'", (int)(n > 40 ? 40 : n), val, key);
}

/* A token as the tokenizer spells it, and one that decodes to text a line
 * can hold: no line break, NUL or invalid UTF-8 through its escapes (no
 * input line can contain those, so only an edited file has such tokens;
 * refusing them here means no translation ever splits an output line). */
static int valid_token(const char *s, size_t n) {
    if (n == 0) return 0;
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)s[i] <= 0x20 || s[i] == 0x7F) return 0;
    if (utf8_invalid_at(s, n) >= 0) return 0;
    Buf text = {0};
    tok_unspell(s, n, &text);
    int ok = !vocab_unsafe_text(text.data ? text.data : "", text.len);
    buf_free(&text);
    return ok;
}

static int read_table(Parser *P, Vocab *v, int t) {
    VocabTable *T = &v->tables[t];
    const char *val;
    size_t n;
    if (expect_key(P, "table", &val, &n)) return -1;
    const char *want = table_name(v, t);
    if (n != strlen(want) || memcmp(val, want, n) != 0)
        return perr(P, "expected table '%s', found '%.*s'", want, (int)(n > 40 ? 40 : n), val);
    long long ntok, nmerges, count;
    if (expect_num(P, "tokens", VOCAB_NUM_SPECIALS, 1LL << 30, &ntok)) return -1;
    for (long long id = 0; id < ntok; id++) {
        if (next_line(P)) return -1;
        const char *sp = P->line + P->llen;
        while (sp > P->line && sp[-1] != ' ') sp--;
        if (sp-- == P->line) return perr(P, "expected 'TOKEN COUNT'");
        size_t tlen = (size_t)(sp - P->line);
        if (parse_num(sp + 1, P->llen - tlen - 1, &count)) return perr(P, "bad token count '%.*s'", (int)(P->llen - tlen - 1), sp + 1);
        if (id < VOCAB_NUM_SPECIALS) {
            const char *special = vocab_token(v, VOCAB_SRC, (int)id); /* the table already holds the specials */
            if (tlen != strlen(special) || memcmp(P->line, special, tlen) != 0)
                return perr(P, "token %lld must be %s", id, special);
            T->count[id] = count;
            continue;
        }
        if (!valid_token(P->line, tlen)) return perr(P, "bad token (empty, a space or control byte, invalid UTF-8, or an escape for a line break, NUL or invalid UTF-8)");
        if (strtab_find(&T->tok, P->line, tlen) >= 0) return perr(P, "token '%.*s' appears twice", (int)tlen, P->line);
        vtab_add(T, P->line, tlen, count);
    }
    if (expect_num(P, "merges", 0, 1LL << 30, &nmerges)) return -1;
    if (nmerges && !T->is_bpe) return perr(P, "merges in a word vocabulary (bpe 0)");
    for (long long r = 0; r < nmerges; r++) {
        if (next_line(P)) return -1;
        const char *sp = memchr(P->line, ' ', P->llen);
        if (!sp) return perr(P, "expected 'LEFT RIGHT'");
        size_t ln = (size_t)(sp - P->line);
        int left = strtab_find(&T->tok, P->line, ln), right = strtab_find(&T->tok, sp + 1, P->llen - ln - 1);
        if (left < VOCAB_NUM_SPECIALS || right < VOCAB_NUM_SPECIALS)
            return perr(P, "merge of tokens that are not in the table");
        if (vtab_add_merge(T, left, right)) return perr(P, "the merged token is not in the table");
    }
    if (vtab_finish(T)) return perr(P, "the table has no token %s (a lone space)", TOK_SPACE_MARK);
    return 0;
}

static Vocab *parse(Parser *P) {
    /* Magic line first, so that any other file gets a plain answer. */
    P->end = P->len;
    P->lineno = 1;
    const char *nl = memchr(P->data, '\n', P->len);
    size_t l1 = nl ? (size_t)(nl - P->data) : P->len;
    size_t ml = strlen(VOCAB_MAGIC);
    if (P->len == 0) return perr(P, "empty file, not an nmt vocabulary"), NULL;
    if (l1 <= ml || memcmp(P->data, VOCAB_MAGIC " ", ml + 1) != 0)
        return perr(P, "not an nmt vocabulary file (it should start with '%s %d')", VOCAB_MAGIC, VOCAB_FORMAT), NULL;
    long long version;
    if (parse_num(P->data + ml + 1, l1 - ml - 1, &version) || version != VOCAB_FORMAT)
        return perr(P, "vocabulary format '%.*s' is not supported (this build reads version %d)", (int)(l1 - ml - 1 > 20 ? 20 : l1 - ml - 1),
                    P->data + ml + 1, VOCAB_FORMAT),
               NULL;
    /* Then the checksum over everything before the last line. */
    long lines = 0;
    for (size_t i = 0; i < P->len; i++) lines += P->data[i] == '\n';
    if (P->data[P->len - 1] != '\n') return P->lineno = lines + 1, perr(P, "truncated file (no final crc32 line)"), NULL;
    size_t last = P->len - 1;
    while (last > 0 && P->data[last - 1] != '\n') last--;
    P->lineno = lines;
    unsigned int crc;
    char tail[32];
    size_t tl = P->len - 1 - last;
    if (tl >= sizeof tail) return perr(P, "truncated file (no final crc32 line)"), NULL;
    memcpy(tail, P->data + last, tl);
    tail[tl] = '\0';
    char extra;
    if (sscanf(tail, "crc32 %8x%c", &crc, &extra) != 1 || tl != 14) return perr(P, "truncated file (no final crc32 line)"), NULL;
    if (crc != crc32_update(0, P->data, last)) return perr(P, "checksum mismatch: the file is corrupted or was edited"), NULL;
    P->end = last;
    P->lineno = 1;
    P->pos = l1 + 1;

    static const char *const norms[] = {"none", "nfc", "nfkc"}, *const yesno[] = {"no", "yes"};
    int norm, lower, joint;
    long long bpe, min_count, max_size;
    if (expect_choice(P, "normalize", norms, 3, &norm) || expect_choice(P, "lowercase", yesno, 2, &lower) ||
        expect_choice(P, "joint", yesno, 2, &joint) || expect_num(P, "bpe", 0, 1 << 30, &bpe) ||
        expect_num(P, "min-count", 0, 1LL << 62, &min_count) || expect_num(P, "max-size", 0, 1LL << 62, &max_size))
        return NULL;
    Vocab *v = vocab_new((NormForm)norm, lower, joint, (int)bpe, (long)min_count, (long)max_size);
    for (int t = 0; t < v->ntables; t++)
        if (read_table(P, v, t)) {
            vocab_free(v);
            return NULL;
        }
    if (P->pos != P->end) {
        P->lineno++;
        perr(P, "unexpected line after the last table");
        vocab_free(v);
        return NULL;
    }
    return v;
}

Vocab *vocab_from_bytes(const void *data, size_t len, const char *name_for_errors, char *err, size_t errsz) {
    Parser P = {.data = data, .len = len, .name = name_for_errors, .err = err, .errsz = errsz};
    return parse(&P);
}

Vocab *vocab_load(const char *path, char *err, size_t errsz) {
    size_t len;
    char *data = read_file(path, &len);
    if (!data) {
        snprintf(err, errsz, "%s: cannot read: %s", path, strerror(errno));
        return NULL;
    }
    Vocab *v = vocab_from_bytes(data, len, path, err, errsz);
    free(data);
    return v;
}

void vocab_show(const Vocab *v, const char *name, FILE *out) {
    fprintf(out, "vocabulary: %s (format %d)\n", name, VOCAB_FORMAT);
    fprintf(out, "normalize: %s\nlowercase: %s\njoint: %s\n", norm_form_name(v->norm), v->lowercase ? "yes" : "no",
            v->joint ? "yes" : "no");
    if (v->bpe_merges) fprintf(out, "subwords: BPE, %d merges asked for\n", v->bpe_merges);
    else if (v->max_size) fprintf(out, "subwords: none (words, min-count %ld, max-size %ld)\n", v->min_count, v->max_size);
    else fprintf(out, "subwords: none (words, min-count %ld, no max-size)\n", v->min_count);
    for (int t = 0; t < v->ntables; t++) {
        const VocabTable *T = &v->tables[t];
        fprintf(out, "\ntable %s: %d tokens, %d merges\nid\tcount\ttoken\n", table_name(v, t), T->tok.n, T->nmerges);
        for (int id = 0; id < T->tok.n; id++)
            fprintf(out, "%d\t%lld\t%s\n", id, (long long)T->count[id], strtab_str(&T->tok, id));
    }
}
