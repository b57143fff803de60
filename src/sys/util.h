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
#include "sys/lines.h"

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

#endif
