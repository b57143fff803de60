/* pharaoh.c — Alignment storage, Pharaoh/talp parsing and writing. */
#include "align/pharaoh.h"
#include "sys/atomic.h"
#include "sys/lines.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sys/input.h"

void alignment_init(Alignment *a) {
    memset(a, 0, sizeof *a);
    a->scap = 16;
    a->start = xmalloc((size_t)a->scap * sizeof *a->start);
    a->start[0] = 0;
    /* never NULL: alignment_links of an empty sentence is links + 0, which C
     * leaves undefined for a null pointer */
    a->cap = 64;
    a->links = xmalloc(a->cap * sizeof *a->links);
}

void alignment_free(Alignment *a) {
    free(a->start);
    free(a->links);
    memset(a, 0, sizeof *a);
}

void alignment_begin(Alignment *a) {
    if (a->nsent + 2 > a->scap) {
        a->scap *= 2;
        a->start = xrealloc(a->start, (size_t)a->scap * sizeof *a->start);
    }
    a->nsent++;
    a->start[a->nsent] = a->nlinks;
}

void alignment_add(Alignment *a, int src, int tgt, int possible) {
    if (a->nlinks == a->cap) {
        a->cap *= 2;
        a->links = xrealloc(a->links, a->cap * sizeof *a->links);
    }
    a->links[a->nlinks++] = (AlignLink){src, tgt, possible != 0};
    a->start[a->nsent] = a->nlinks;
}

static int link_cmp(const void *pa, const void *pb) {
    const AlignLink *x = pa, *y = pb;
    if (x->src != y->src) return x->src < y->src ? -1 : 1;
    if (x->tgt != y->tgt) return x->tgt < y->tgt ? -1 : 1;
    return x->possible - y->possible; /* sure first, so deduplication keeps it */
}

void alignment_finish(Alignment *a) {
    size_t b = a->start[a->nsent - 1], e = a->nlinks;
    AlignLink *l = a->links;
    if (e - b > 1) qsort(l + b, e - b, sizeof *l, link_cmp);
    size_t w = b;
    for (size_t r = b; r < e; r++)
        if (w == b || l[r].src != l[w - 1].src || l[r].tgt != l[w - 1].tgt) l[w++] = l[r];
    a->nlinks = w;
    a->start[a->nsent] = w;
}

static int is_space(char c) { return c == ' ' || c == '\t' || c == '\v' || c == '\f' || c == '\r'; }

/* Digits at *p as a non-negative int; -1 when there are none or it overflows. */
static long parse_index(const char **p) {
    const char *s = *p;
    long v = 0;
    if (*s < '0' || *s > '9') return -1;
    while (*s >= '0' && *s <= '9') {
        v = v * 10 + (*s++ - '0');
        if (v > 1000000000L) return -1;
    }
    *p = s;
    return v;
}

int alignment_parse_line(Alignment *a, const char *line, int base, int allow_possible, char *err, size_t errsz) {
    alignment_begin(a);
    const char *p = line;
    for (;;) {
        while (is_space(*p)) p++;
        if (!*p) break;
        const char *tok = p, *q = p;
        while (*q && !is_space(*q)) q++;
        int toklen = (int)(q - tok);
        long i = parse_index(&p), j = -1;
        char sep = *p;
        int possible = sep == 'p';
        if (i >= 0 && (sep == '-' || (possible && allow_possible))) {
            p++;
            j = parse_index(&p);
        }
        if (i < 0 || j < 0 || p != q) {
            snprintf(err, errsz, "malformed link '%.*s' (expected %s)", toklen > 40 ? 40 : toklen, tok,
                     allow_possible ? "I-J for a sure link or IpJ for a possible one" : "I-J");
            goto fail;
        }
        if (i < base || j < base) {
            snprintf(err, errsz, "link '%.*s' has index 0, but this format counts tokens from 1", toklen, tok);
            goto fail;
        }
        alignment_add(a, (int)(i - base), (int)(j - base), possible);
    }
    alignment_finish(a);
    return 0;
fail:
    a->nlinks = a->start[a->nsent - 1];
    a->nsent--;
    return -1;
}

/* The next line of a file or of an input's copy in memory, with its line
 * end; its length, or -1 at the end. */
static ssize_t next_line(FILE *f, const char *mem, size_t mem_len, size_t *pos, char **line, size_t *cap) {
    if (!mem) return getline(line, cap, f);
    if (*pos >= mem_len) return -1;
    const char *s = mem + *pos, *nl = memchr(s, '\n', mem_len - *pos);
    const size_t n = nl ? (size_t)(nl - s) + 1 : mem_len - *pos;
    if (n + 1 > *cap) *line = xrealloc(*line, *cap = n + 1);
    memcpy(*line, s, n);
    (*line)[n] = '\0';
    *pos += n;
    return (ssize_t)n;
}

int alignment_read_file(Alignment *a, const char *path, int base, int allow_possible, char *err, size_t errsz) {
    const int is_stdin = strcmp(path, "-") == 0;
    const char *name = is_stdin ? "<stdin>" : path;
    size_t mem_len = 0, pos = 0;
    const char *mem = input_cached(path, &mem_len); /* read once already (a pipe, --guided-alignment) */
    FILE *f = NULL;
    if (!mem) {
        f = is_stdin ? stdin : fopen(path, "rb");
        if (!f) {
            snprintf(err, errsz, "cannot open %s: %s", path, strerror(errno));
            return -1;
        }
    }
    char *line = NULL, why[200];
    size_t cap = 0;
    long lineno = 0;
    int rc = 0;
    ssize_t n;
    while (rc == 0 && (n = next_line(f, mem, mem_len, &pos, &line, &cap)) >= 0) {
        size_t len = (size_t)n;
        lineno++;
        /* A line without its line end can only be the last one, and a file
         * cut inside a line reads as valid links as often as not ("3-14"
         * cut to "3-1", or at a space): every writer ends its lines. */
        const int ended = len > 0 && line[len - 1] == '\n';
        if (ended) len--;
        if (len && line[len - 1] == '\r') len--;
        line[len] = '\0';
        if (lineno == 1 && len >= 3 && memcmp(line, "\xEF\xBB\xBF", 3) == 0) memmove(line, line + 3, (len -= 3) + 1);
        if (memchr(line, '\0', len)) {
            snprintf(err, errsz, "%s:%ld: NUL byte in the line", name, lineno);
            rc = -1;
        } else if (!ended) {
            snprintf(err, errsz, "%s:%ld: no line end after the last line: the file looks cut short (if it is whole, "
                     "end it with a newline)", name, lineno);
            rc = -1;
        } else if (alignment_parse_line(a, line, base, allow_possible, why, sizeof why) != 0) {
            snprintf(err, errsz, "%s:%ld: %s", name, lineno, why);
            rc = -1;
        }
    }
    if (rc == 0 && f && ferror(f)) {
        snprintf(err, errsz, "%s: read error after line %ld: %s", name, lineno, strerror(errno));
        rc = -1;
    }
    free(line);
    if (f && f != stdin) fclose(f);
    return rc;
}

int alignment_check_sentence(const Alignment *a, long s, int src_len, int tgt_len, int base, char *err,
                             size_t errsz) {
    const AlignLink *l = alignment_links(a, s);
    for (size_t k = 0; k < alignment_count(a, s); k++) {
        int bad_src = l[k].src >= src_len, bad_tgt = l[k].tgt >= tgt_len;
        if (!bad_src && !bad_tgt) continue;
        snprintf(err, errsz, "link %d%c%d: %s index %d is beyond the %d %s token%s", l[k].src + base,
                 l[k].possible ? 'p' : '-', l[k].tgt + base, bad_src ? "source" : "target",
                 (bad_src ? l[k].src : l[k].tgt) + base, bad_src ? src_len : tgt_len, bad_src ? "source" : "target",
                 (bad_src ? src_len : tgt_len) == 1 ? "" : "s");
        return -1;
    }
    return 0;
}

void alignment_format_sentence(const Alignment *a, long s, Buf *out) {
    const AlignLink *l = alignment_links(a, s);
    for (size_t k = 0; k < alignment_count(a, s); k++)
        buf_printf(out, "%s%d%c%d", k ? " " : "", l[k].src, l[k].possible ? 'p' : '-', l[k].tgt);
    buf_puts(out, "\n");
}

int alignment_write_file(const Alignment *a, const char *path, char *err, size_t errsz) {
    int to_stdout = strcmp(path, "-") == 0;
    AtomicFile af;
    if (!to_stdout && atomic_open(&af, path, err, errsz) != 0) return -1;
    Buf b = {0};
    int rc = 0;
    for (long s = 0; s < a->nsent && rc == 0; s++) {
        alignment_format_sentence(a, s, &b);
        if (b.len < (1u << 16) && s + 1 < a->nsent) continue;
        if (to_stdout) {
            if (fwrite(b.data, 1, b.len, stdout) != b.len) {
                snprintf(err, errsz, "cannot write to stdout: %s", strerror(errno));
                rc = -1;
            }
        } else {
            rc = atomic_write(&af, b.data, b.len, err, errsz);
        }
        b.len = 0;
    }
    buf_free(&b);
    if (to_stdout) {
        if (rc == 0 && fflush(stdout) != 0) {
            snprintf(err, errsz, "cannot write to stdout: %s", strerror(errno));
            rc = -1;
        }
        return rc;
    }
    if (rc != 0) return rc; /* atomic_write already removed the temporary file */
    return atomic_commit(&af, err, errsz);
}

int align_count_tokens(const char *line) {
    int n = 0;
    for (const char *p = line; *p;) {
        while (is_space(*p)) p++;
        if (!*p) break;
        n++;
        while (*p && !is_space(*p)) p++;
    }
    return n;
}
