/* corpus.c — building the aligner's corpus: tokenizing, interning, pair ids, length groups. */
#include "align/corpus.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "sys/lines.h"
#include "sys/util.h"

void align_corpus_init(AlignCorpus *c) {
    memset(c, 0, sizeof *c);
    c->cap_sent = 1024;
    for (int side = 0; side < 2; side++) {
        c->tok_start[side] = xcalloc((size_t)c->cap_sent + 1, sizeof(size_t));
        c->cap_tok[side] = 4096;
        c->tok[side] = xmalloc(c->cap_tok[side] * sizeof(int32_t));
    }
    c->cell_start = xcalloc((size_t)c->cap_sent + 1, sizeof(size_t));
    c->group = xmalloc((size_t)c->cap_sent * sizeof(int32_t));
    c->cap_cells = 1 << 16;
    c->cells = xmalloc(c->cap_cells * sizeof(int32_t));
}

static int is_space(char ch) { return ch == ' ' || ch == '\t' || ch == '\v' || ch == '\f' || ch == '\r'; }

/* Intern the tokens of line into side's vocabulary, appending their ids. */
static void add_tokens(AlignCorpus *c, int side, const char *line) {
    size_t n = c->tok_start[side][c->nsent];
    for (const char *p = line; *p;) {
        while (is_space(*p)) p++;
        if (!*p) break;
        const char *w = p;
        while (*p && !is_space(*p)) p++;
        if (n == c->cap_tok[side]) {
            c->cap_tok[side] *= 2;
            c->tok[side] = xrealloc(c->tok[side], c->cap_tok[side] * sizeof(int32_t));
        }
        c->tok[side][n++] = strtab_intern(&c->vocab[side], w, (size_t)(p - w), NULL);
    }
    c->tok_start[side][c->nsent + 1] = n;
}

void align_corpus_add(AlignCorpus *c, const char *src_line, const char *tgt_line) {
    if (c->nsent == c->cap_sent) {
        c->cap_sent *= 2;
        for (int side = 0; side < 2; side++)
            c->tok_start[side] = xrealloc(c->tok_start[side], ((size_t)c->cap_sent + 1) * sizeof(size_t));
        c->cell_start = xrealloc(c->cell_start, ((size_t)c->cap_sent + 1) * sizeof(size_t));
        c->group = xrealloc(c->group, (size_t)c->cap_sent * sizeof(int32_t));
    }
    long s = c->nsent;
    add_tokens(c, 0, src_line);
    add_tokens(c, 1, tgt_line);
    int n = align_corpus_len(c, 0, s), m = align_corpus_len(c, 1, s);
    const int32_t *f = c->tok[0] + c->tok_start[0][s], *e = c->tok[1] + c->tok_start[1][s];

    size_t base = c->cell_start[s], need = base + (size_t)n * (size_t)m;
    while (need > c->cap_cells) {
        c->cap_cells *= 2;
        c->cells = xrealloc(c->cells, c->cap_cells * sizeof(int32_t));
    }
    for (int i = 0; i < n; i++)
        for (int j = 0; j < m; j++) {
            int *id = u64map_put(&c->pair_map, u64_pair(f[i], e[j]), c->npairs);
            if (*id == c->npairs) c->npairs++;
            c->cells[base + (size_t)i * (size_t)m + (size_t)j] = *id;
        }
    c->cell_start[s + 1] = need;

    c->group[s] = -1;
    if (n > 0 && m > 0) {
        int *g = u64map_put(&c->group_map, u64_pair(n, m), c->ngroups);
        if (*g == c->ngroups) {
            if (c->ngroups == c->gcap) {
                c->gcap = c->gcap ? 2 * c->gcap : 256;
                for (int side = 0; side < 2; side++)
                    c->group_len[side] = xrealloc(c->group_len[side], (size_t)c->gcap * sizeof(int32_t));
            }
            c->group_len[0][c->ngroups] = n;
            c->group_len[1][c->ngroups] = m;
            c->ngroups++;
        }
        c->group[s] = *g;
    }
    c->nsent++;
}

void align_corpus_finish(AlignCorpus *c) {
    for (int side = 0; side < 2; side++) c->pair_word[side] = xmalloc(((size_t)c->npairs + 1) * sizeof(int32_t));
    /* Every pair id was first handed out at some cell; walking the cells in
     * order and recording each id's words the first time recovers them
     * without keeping the keys. */
    int32_t next = 0;
    for (long s = 0; s < c->nsent; s++) {
        int n = align_corpus_len(c, 0, s), m = align_corpus_len(c, 1, s);
        const int32_t *f = c->tok[0] + c->tok_start[0][s], *e = c->tok[1] + c->tok_start[1][s];
        const int32_t *cell = c->cells + c->cell_start[s];
        for (int i = 0; i < n; i++)
            for (int j = 0; j < m; j++)
                if (cell[i * m + j] == next) {
                    c->pair_word[0][next] = f[i];
                    c->pair_word[1][next] = e[j];
                    next++;
                }
    }
    u64map_free(&c->pair_map);
    u64map_free(&c->group_map);
}

int align_corpus_read(AlignCorpus *c, const char *src_path, const char *tgt_path, char *err, size_t errsz) {
    LineReader r[2];
    const char *path[2] = {src_path, tgt_path};
    for (int side = 0; side < 2; side++)
        if (linereader_open(&r[side], path[side]) != 0) {
            snprintf(err, errsz, "cannot open %s: %s", path[side], strerror(errno));
            if (side) linereader_close(&r[0]);
            return -1;
        }
    int rc = 0;
    long lines = 0; /* read from both */
    for (;;) {
        int got0 = linereader_next(&r[0]), got1 = linereader_next(&r[1]);
        if (!got0 && !got1) break;
        if (got0 != got1) {
            long n0 = lines + got0, n1 = lines + got1;
            while (linereader_next(&r[0])) n0++;
            while (linereader_next(&r[1])) n1++;
            snprintf(err, errsz, "line counts differ: %s has %ld lines, %s has %ld", src_path, n0, tgt_path, n1);
            rc = -1;
            break;
        }
        for (int side = 0; side < 2 && rc == 0; side++)
            if (memchr(r[side].line, '\0', r[side].len)) {
                snprintf(err, errsz, "%s:%ld: NUL byte in the line", path[side], r[side].lineno);
                rc = -1;
            }
        if (rc) break;
        align_corpus_add(c, r[0].line, r[1].line);
        lines++;
    }
    linereader_close(&r[0]);
    linereader_close(&r[1]);
    if (rc == 0) align_corpus_finish(c);
    return rc;
}

void align_corpus_free(AlignCorpus *c) {
    for (int side = 0; side < 2; side++) {
        strtab_free(&c->vocab[side]);
        free(c->tok_start[side]);
        free(c->tok[side]);
        free(c->pair_word[side]);
        free(c->group_len[side]);
    }
    free(c->cell_start);
    free(c->cells);
    free(c->group);
    u64map_free(&c->pair_map);
    u64map_free(&c->group_map);
    memset(c, 0, sizeof *c);
}
