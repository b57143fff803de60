/* normalize.c — see normalize.h. */
#include "vocab/normalize.h"

#include <string.h>
#include <utf8proc.h>

const char *norm_form_name(NormForm f) {
    return f == NORM_NFC ? "nfc" : f == NORM_NFKC ? "nfkc" : "none";
}

const char *const NORM_FORM_NAMES[] = {"none", "nfc", "nfkc", NULL};

int norm_form_parse(const char *name, NormForm *f) {
    for (int k = 0; NORM_FORM_NAMES[k]; k++)
        if (strcmp(name, NORM_FORM_NAMES[k]) == 0) return *f = (NormForm)k, 0;
    return -1;
}

long utf8_invalid_at(const char *s, size_t len) {
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0;
    while (i < len) {
        if (p[i] < 0x80) {
            i++;
            continue;
        }
        utf8proc_int32_t c;
        utf8proc_ssize_t n = utf8proc_iterate(p + i, (utf8proc_ssize_t)(len - i), &c);
        if (n <= 0) return (long)i;
        i += (size_t)n;
    }
    return -1;
}

static int all_ascii(const char *s, size_t len) {
    const unsigned char *p = (const unsigned char *)s;
    for (size_t i = 0; i < len; i++)
        if (p[i] >= 0x80) return 0;
    return 1;
}

int nfc_fast_stable(int32_t c) {
    /* Latin-1 Supplement, Latin Extended-A and -B, and the dashes, quotes
     * and ellipsis of General Punctuation: starters that are their own NFC
     * form and compose with nothing before or after them (checked against
     * utf8proc in the tests). */
    return (c >= 0xA0 && c <= 0x24F) || (c >= 0x2010 && c <= 0x2027) || c == 0x20AC;
}

/* Valid UTF-8 text already in NFC because every character is ASCII or nfc_fast_stable. */
static int nfc_by_inspection(const char *s, size_t len) {
    const unsigned char *p = (const unsigned char *)s;
    for (size_t i = 0; i < len;) {
        if (p[i] < 0x80) {
            i++;
            continue;
        }
        utf8proc_int32_t c;
        utf8proc_ssize_t n = utf8proc_iterate(p + i, (utf8proc_ssize_t)(len - i), &c);
        if (n <= 0 || !nfc_fast_stable(c)) return 0;
        i += (size_t)n;
    }
    return 1;
}

const char *text_normalize(const char *s, size_t len, NormForm form, int casefold, Buf *out) {
    out->len = 0;
    /* ASCII is already in every normal form; case folding is then tolower. */
    if (all_ascii(s, len)) {
        buf_append(out, s, len);
        if (casefold)
            for (size_t i = 0; i < len; i++)
                if (out->data[i] >= 'A' && out->data[i] <= 'Z') out->data[i] = (char)(out->data[i] + 32);
        return NULL;
    }
    if (!casefold && (form == NORM_NONE || (form == NORM_NFC && nfc_by_inspection(s, len)))) {
        buf_append(out, s, len);
        return NULL;
    }
    utf8proc_option_t opt = casefold ? UTF8PROC_CASEFOLD : 0;
    if (form != NORM_NONE) opt |= UTF8PROC_STABLE | UTF8PROC_COMPOSE;
    if (form == NORM_NFKC) opt |= UTF8PROC_COMPAT;
    /* Decompose into a UTF-32 buffer (a first guess, enlarged if the
     * decomposition is longer), then compose and re-encode in place. */
    utf8proc_int32_t local[512];
    utf8proc_int32_t *buf = local;
    utf8proc_ssize_t cap = (utf8proc_ssize_t)(sizeof local / sizeof local[0]);
    if ((utf8proc_ssize_t)len + 8 > cap) {
        cap = (utf8proc_ssize_t)len + 8;
        buf = xmalloc((size_t)cap * sizeof *buf);
    }
    utf8proc_ssize_t n = utf8proc_decompose((const utf8proc_uint8_t *)s, (utf8proc_ssize_t)len, buf, cap, opt);
    if (n > cap) {
        if (buf != local) free(buf);
        cap = n;
        buf = xmalloc((size_t)cap * sizeof *buf);
        n = utf8proc_decompose((const utf8proc_uint8_t *)s, (utf8proc_ssize_t)len, buf, cap, opt);
    }
    /* utf8proc fails only on invalid UTF-8, which the callers refuse
     * first; still an error to return rather than an exit, as this runs
     * inside the library's calls */
    utf8proc_ssize_t bytes = n < 0 ? n : utf8proc_reencode(buf, n, opt);
    buf_append(out, buf, bytes < 0 ? 0 : (size_t)bytes); /* empty on failure, NUL-terminated either way */
    if (buf != local) free(buf);
    return bytes < 0 ? utf8proc_errmsg(bytes) : NULL;
}
