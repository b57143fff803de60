/* util.c — see util.h. */
#define _POSIX_C_SOURCE 200809L
#include "util.h"

#include "core/input.h"

#include <errno.h>
#include <fcntl.h>
#include <zlib.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static const char *prog_name = "nmt";
static void (*die_hook)(int);

void set_die_hook(void (*hook)(int code)) { die_hook = hook; }

void set_program_name(const char *name) {
    const char *slash = strrchr(name, '/');
    prog_name = slash ? slash + 1 : name;
}

const char *program_name(void) { return prog_name; }

void die(const char *fmt, ...) {
    va_list ap;
    fflush(stdout);
    fprintf(stderr, "%s: ", prog_name);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    if (die_hook) die_hook(1);
    exit(1);
}

void warn(const char *fmt, ...) {
    va_list ap;
    fprintf(stderr, "%s: warning: ", prog_name);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

void *xmalloc(size_t n) {
    void *p = malloc(n ? n : 1);
    if (!p) die("out of memory (%zu bytes)", n);
    return p;
}

void *xcalloc(size_t count, size_t size) {
    void *p = calloc(count ? count : 1, size ? size : 1);
    if (!p) die("out of memory (%zu x %zu bytes)", count, size);
    return p;
}

void *xrealloc(void *p, size_t n) {
    void *q = realloc(p, n ? n : 1);
    if (!q) die("out of memory (%zu bytes)", n);
    return q;
}

char *xstrdup(const char *s) {
    size_t n = strlen(s) + 1;
    char *d = xmalloc(n);
    memcpy(d, s, n);
    return d;
}

float *falloc(size_t n) {
    size_t bytes = (n * sizeof(float) + 63) / 64 * 64;
    float *p = aligned_alloc(64, bytes ? bytes : 64);
    if (!p) die("out of memory (%zu floats)", n);
    memset(p, 0, bytes);
    return p;
}

void buf_reserve(Buf *b, size_t extra) {
    if (b->len + extra + 1 <= b->cap) return;
    size_t cap = b->cap ? b->cap : 64;
    while (cap < b->len + extra + 1) cap *= 2;
    b->data = xrealloc(b->data, cap);
    b->cap = cap;
}

void buf_append(Buf *b, const void *data, size_t n) {
    buf_reserve(b, n);
    memcpy(b->data + b->len, data, n);
    b->len += n;
    b->data[b->len] = '\0';
}

void buf_puts(Buf *b, const char *s) { buf_append(b, s, strlen(s)); }

void buf_printf(Buf *b, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0) return;
    buf_reserve(b, (size_t)n);
    va_start(ap, fmt);
    vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
}

void buf_free(Buf *b) {
    free(b->data);
    b->data = NULL;
    b->len = b->cap = 0;
}

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

char *read_file(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    struct stat st;
    if (fstat(fileno(f), &st) == 0 && S_ISDIR(st.st_mode)) {
        fclose(f); /* fopen accepts a directory; reading it fails with a vague EIO */
        errno = EISDIR;
        return NULL;
    }
    Buf b = {0};
    char chunk[1 << 16];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0) buf_append(&b, chunk, n);
    int bad = ferror(f), why = errno;
    fclose(f);
    if (bad) {
        buf_free(&b);
        errno = why ? why : EIO;
        return NULL;
    }
    if (!b.data) buf_reserve(&b, 0), b.data[0] = '\0';
    *len = b.len;
    return b.data;
}

static const char *file_kind(mode_t mode) {
    return S_ISDIR(mode)    ? "a directory"
           : S_ISFIFO(mode) ? "a FIFO"
           : S_ISCHR(mode)  ? "a character device"
           : S_ISBLK(mode)  ? "a block device"
           : S_ISSOCK(mode) ? "a socket"
                            : "of an unknown kind";
}

int open_regular_file(const char *path, size_t *size, char *err, size_t errsz) {
    /* O_NONBLOCK: opening a FIFO would wait for a writer before fstat could refuse it */
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
    if (fd < 0) {
        snprintf(err, errsz, "%s: cannot open: %s", path, strerror(errno));
        return -1;
    }
    struct stat st;
    if (fstat(fd, &st) != 0) {
        snprintf(err, errsz, "%s: cannot read: %s", path, strerror(errno));
        close(fd);
        return -1;
    }
    if (!S_ISREG(st.st_mode)) {
        snprintf(err, errsz, "%s: not a regular file (%s)", path, file_kind(st.st_mode));
        close(fd);
        return -1;
    }
    if ((uintmax_t)st.st_size >= SIZE_MAX) {
        snprintf(err, errsz, "%s: cannot read: %s", path, strerror(EFBIG));
        close(fd);
        return -1;
    }
    *size = (size_t)st.st_size;
    return fd;
}

char *read_regular_file(const char *path, size_t *len, char *err, size_t errsz) {
    size_t size;
    int fd = open_regular_file(path, &size, err, errsz);
    if (fd < 0) return NULL;
    /* malloc, not xmalloc: a file too large for memory is an error of this file, not the end of the program */
    char *data = malloc(size + 1);
    if (!data) {
        snprintf(err, errsz, "%s: cannot read %zu bytes: %s", path, size, strerror(ENOMEM));
        close(fd);
        return NULL;
    }
    size_t got = 0;
    while (got < size) { /* never past the size fstat gave: a file that grows is read as it was */
        ssize_t n = read(fd, data + got, size - got);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) {
            snprintf(err, errsz, "%s: cannot read: %s", path, strerror(errno));
            free(data);
            close(fd);
            return NULL;
        }
        if (n == 0) break; /* it shrank: the caller's checks find what is missing */
        got += (size_t)n;
    }
    close(fd);
    data[got] = '\0';
    *len = got;
    return data;
}

uint32_t crc32_update(uint32_t crc, const void *data, size_t n) {
    /* zlib's, which folds many bytes per step with the CPU's carry-less multiply */
    return (uint32_t)crc32_z(crc, data, n);
}

uint64_t hash64_update(uint64_t h, const void *data, size_t n) {
    const unsigned char *p = data;
    h ^= n * 0x9E3779B97F4A7C15ull;
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        uint64_t w;
        memcpy(&w, p + i, 8);
        h = (h ^ w) * 0x100000001B3ull;
        h ^= h >> 29;
    }
    for (; i < n; i++) h = (h ^ p[i]) * 0x100000001B3ull;
    return h ^ (h >> 32);
}

void parse_key_values(const char *text, size_t len, KeyValueVisit visit, void *ctx) {
    char *copy = xmalloc(len + 1);
    memcpy(copy, text, len);
    copy[len] = '\0';
    char *save = NULL;
    for (char *line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        char *eq = strchr(line, '=');
        if (!eq) continue;
        *eq = '\0';
        visit(ctx, line, eq + 1);
    }
    free(copy);
}

double now_seconds(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

long parse_long(const char *flag, const char *s, long lo, long hi) {
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || end == s || *end) die("%s expects a whole number, got '%s'", flag, s);
    if (v < lo || v > hi) die("%s must be between %ld and %ld, got %ld", flag, lo, hi, v);
    return v;
}

double parse_double(const char *flag, const char *s, double lo, double hi) {
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (errno || end == s || *end) die("%s expects a number, got '%s'", flag, s);
    if (!(v >= lo && v <= hi)) die("%s must be between %g and %g, got %g", flag, lo, hi, v);
    return v;
}
