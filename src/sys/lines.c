/* lines.c — see lines.h. */
#define _POSIX_C_SOURCE 200809L
#include "sys/lines.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sys/input.h"
#include "sys/util.h"

int linereader_open(LineReader *r, const char *path) {
    size_t len;
    const char *copy = input_cached(path, &len);
    if (copy) {
        linereader_open_mem(r, strcmp(path, "-") == 0 ? "<stdin>" : path, copy, len);
        return 0;
    }
    memset(r, 0, sizeof *r);
    r->path = path;
    if (strcmp(path, "-") == 0) {
        r->f = stdin;
        r->path = "<stdin>";
    } else {
        r->f = fopen(path, "rb");
        if (!r->f) return -1;
        r->owns_file = 1;
    }
    return 0;
}

void linereader_open_mem(LineReader *r, const char *name, const char *data, size_t len) {
    memset(r, 0, sizeof *r);
    r->path = name;
    r->mem = data;
    r->mem_len = len;
}

/* The next raw line, with its line end, into r->line; its length or -1 at the end. */
static ssize_t next_raw_line(LineReader *r) {
    if (!r->mem) return getline(&r->line, &r->cap, r->f);
    if (r->mem_pos >= r->mem_len) return -1;
    const char *s = r->mem + r->mem_pos;
    const char *nl = memchr(s, '\n', r->mem_len - r->mem_pos);
    size_t n = nl ? (size_t)(nl - s) + 1 : r->mem_len - r->mem_pos;
    if (n + 1 > r->cap) {
        r->cap = n + 1 > 2 * r->cap ? n + 1 : 2 * r->cap;
        r->line = xrealloc(r->line, r->cap);
    }
    memcpy(r->line, s, n);
    r->mem_pos += n;
    return (ssize_t)n;
}

int linereader_next(LineReader *r) {
    ssize_t n = next_raw_line(r);
    if (n < 0) {
        if (!r->mem && ferror(r->f))
            die("%s: read error after line %ld: %s", r->path, r->lineno, strerror(errno));
        return 0;
    }
    r->lineno++;
    size_t len = (size_t)n;
    if (len && r->line[len - 1] == '\n') len--;
    if (len && r->line[len - 1] == '\r') len--;
    r->line[len] = '\0';
    if (r->lineno == 1 && len >= 3 && memcmp(r->line, "\xEF\xBB\xBF", 3) == 0) {
        memmove(r->line, r->line + 3, len - 2);
        len -= 3;
    }
    const char *nul = memchr(r->line, '\0', len);
    if (nul) die("%s:%ld: NUL byte at byte %zu", r->path, r->lineno, (size_t)(nul - r->line) + 1);
    r->len = len;
    return 1;
}

void linereader_close(LineReader *r) {
    if (r->owns_file && r->f) fclose(r->f);
    free(r->line);
    memset(r, 0, sizeof *r);
}

int linereader_is_tty(const LineReader *r) { return !r->mem && r->f && isatty(fileno(r->f)); }

long count_lines(const char *path) {
    input_read(path);
    LineReader r;
    if (linereader_open(&r, path) != 0) die("%s: cannot open: %s", path, strerror(errno));
    while (linereader_next(&r)) {
    }
    long n = r.lineno;
    linereader_close(&r);
    return n;
}
