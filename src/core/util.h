/* util.h — errors, allocation, files: the plumbing every module shares.
 *
 * Errors that end a command go through die(): one line on stderr, exit 1.
 * Library code that can fail on user input returns an error message instead
 * (see LineReader), so tools decide how to report it. */
#ifndef NMT_UTIL_H
#define NMT_UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#if defined(__GNUC__)
#define NMT_NORETURN __attribute__((noreturn))
#define NMT_PRINTF(a, b) __attribute__((format(printf, a, b)))
#else
#define NMT_NORETURN
#define NMT_PRINTF(a, b)
#endif

/* Print "nmt: <message>" (or "<prog>: ..." after set_program_name) and exit(1). */
void die(const char *fmt, ...) NMT_NORETURN NMT_PRINTF(1, 2);
void warn(const char *fmt, ...) NMT_PRINTF(1, 2);
void set_program_name(const char *name);
/* Called by die() after the message, before exit (a job of several
 * processes ends all of them there); NULL for none. */
void set_die_hook(void (*hook)(int code));
const char *program_name(void);

void *xmalloc(size_t n);
void *xcalloc(size_t count, size_t size);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
/* 64-byte aligned, zeroed; free with free(). */
float *falloc(size_t n);

/* Growable byte buffer. */
typedef struct {
    char *data;
    size_t len, cap;
} Buf;
void buf_reserve(Buf *b, size_t extra);
void buf_append(Buf *b, const void *data, size_t n);
void buf_puts(Buf *b, const char *s);
void buf_printf(Buf *b, const char *fmt, ...) NMT_PRINTF(2, 3);
void buf_free(Buf *b);

/* Read a text file line by line, with the line number for error messages.
 * Accepts LF and CRLF endings, a final line without newline, lines of any
 * length, and drops a UTF-8 byte-order mark at the start of the file. A NUL
 * byte in a line stops the program with "FILE:LINE: NUL byte at byte K":
 * lines are C strings everywhere after this, so a NUL would silently cut
 * the text short. */
typedef struct {
    FILE *f;
    const char *path; /* as given, for messages */
    char *line;       /* current line, NUL-terminated, without the line end */
    size_t len;       /* bytes in line */
    size_t cap;
    long lineno;      /* 1-based number of the current line */
    int owns_file;
    const char *mem;  /* reading from memory (linereader_open_mem) when not NULL */
    size_t mem_len, mem_pos;
} LineReader;
/* path "-" reads stdin. An input already read whole (core/input.h) is read
 * from that copy. Returns 0, or -1 with errno set when it cannot open. */
int linereader_open(LineReader *r, const char *path);
/* Lines of data[0..len), which must outlive the reader; name is for messages. */
void linereader_open_mem(LineReader *r, const char *name, const char *data, size_t len);
/* 1 when a line was read, 0 at end of file; dies on a read error or a NUL byte. */
int linereader_next(LineReader *r);
void linereader_close(LineReader *r);
/* 1 when the lines come from a terminal (read one at a time, as typed). */
int linereader_is_tty(const LineReader *r);

/* Count the lines of a file as linereader_next would see them (dies if
 * unreadable). The file is read whole once (core/input.h), so the lines can
 * then be read from a pipe as well. */
long count_lines(const char *path);

/* Read a whole file; returns NULL (errno set, EISDIR for a directory) on failure. */
char *read_file(const char *path, size_t *len);

/* Open a regular file for reading: anything else (a directory, a FIFO, a
 * device such as /dev/zero) is refused as "PATH: not a regular file (a
 * FIFO)" before a byte is read, and without waiting for a FIFO's writer.
 * The descriptor, with *size set from fstat; or -1 with "PATH: reason"
 * (strerror where the system gave one) in err. */
int open_regular_file(const char *path, size_t *size, char *err, size_t errsz);
/* Read a whole regular file (open_regular_file), never more than the size
 * it had when opened, into a NUL-terminated malloc'd buffer; NULL with
 * "PATH: reason" in err, also when memory runs out. For files of any size
 * whose reading must not end the program (models in the library). */
char *read_regular_file(const char *path, size_t *len, char *err, size_t errsz);

/* Write data to path atomically: a temporary file ".NAME.tmp.PID" in the
 * destination's directory, fsync, then rename. The old file stays intact
 * on any failure. A symlink is written through (its target is replaced,
 * the link stays); an existing file keeps its mode, a new one gets
 * 0666 & ~umask; temporary files of processes that died mid-write are
 * removed. Returns 0, or -1 with a message in err naming path. */
int write_file_atomic(const char *path, const void *data, size_t len, char *err, size_t errsz);

/* The same, streamed: open a temporary file beside path, write pieces,
 * then commit (fsync + rename) or abort (remove the temporary file).
 * Each call returns 0, or -1 with a message in err (after which the
 * temporary file is already removed). A path that exists and is not a
 * regular file (/dev/null, /dev/stdout, a pipe) is written in place. */
typedef struct {
    FILE *f;
    char *path; /* the file replaced: the given path with symlinks followed */
    char *tmp;  /* NULL when written in place */
    char *name; /* the path as given, for messages */
} AtomicFile;
int atomic_open(AtomicFile *af, const char *path, char *err, size_t errsz);
int atomic_write(AtomicFile *af, const void *data, size_t len, char *err, size_t errsz);
int atomic_commit(AtomicFile *af, char *err, size_t errsz);
void atomic_abort(AtomicFile *af);

/* CRC-32 (IEEE 802.3, as zlib's crc32), chainable: crc = crc32_update(crc, ...), start with 0. */
uint32_t crc32_update(uint32_t crc, const void *data, size_t n);
/* A 64-bit hash, 8 bytes a step (fingerprints of hundreds of megabytes of
 * weights and text must stay cheap), chainable like crc32_update: start
 * with 0. Not cryptographic: it guards against accidents, not adversaries. */
uint64_t hash64_update(uint64_t h, const void *data, size_t n);

/* Call visit(ctx, key, value) for every "key=value" line of text (the
 * configuration and state sections of model files). */
typedef void (*KeyValueVisit)(void *ctx, const char *key, const char *value);
void parse_key_values(const char *text, size_t len, KeyValueVisit visit, void *ctx);

/* Monotonic wall-clock seconds. */
double now_seconds(void);

/* Parse helpers for command-line flags: die with a message naming the flag. */
long parse_long(const char *flag, const char *s, long lo, long hi);
double parse_double(const char *flag, const char *s, double lo, double hi);

#endif
