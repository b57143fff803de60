/* tokenize.c — see tokenize.h. */
#include "vocab/tokenize.h"

#include <stdint.h>
#include <string.h>
#include <utf8proc.h>

enum { CL_WORD, CL_SYM, CL_WS, CL_SPACE };

static const char SEP = TOK_ATOM_SEP;

/* ASCII letters and digits. */
static const unsigned char ascii_word[128] = {
    ['0'] = 1, ['1'] = 1, ['2'] = 1, ['3'] = 1, ['4'] = 1, ['5'] = 1, ['6'] = 1, ['7'] = 1, ['8'] = 1, ['9'] = 1,
    ['A'] = 1, ['B'] = 1, ['C'] = 1, ['D'] = 1, ['E'] = 1, ['F'] = 1, ['G'] = 1, ['H'] = 1, ['I'] = 1, ['J'] = 1,
    ['K'] = 1, ['L'] = 1, ['M'] = 1, ['N'] = 1, ['O'] = 1, ['P'] = 1, ['Q'] = 1, ['R'] = 1, ['S'] = 1, ['T'] = 1,
    ['U'] = 1, ['V'] = 1, ['W'] = 1, ['X'] = 1, ['Y'] = 1, ['Z'] = 1, ['a'] = 1, ['b'] = 1, ['c'] = 1, ['d'] = 1,
    ['e'] = 1, ['f'] = 1, ['g'] = 1, ['h'] = 1, ['i'] = 1, ['j'] = 1, ['k'] = 1, ['l'] = 1, ['m'] = 1, ['n'] = 1,
    ['o'] = 1, ['p'] = 1, ['q'] = 1, ['r'] = 1, ['s'] = 1, ['t'] = 1, ['u'] = 1, ['v'] = 1, ['w'] = 1, ['x'] = 1,
    ['y'] = 1, ['z'] = 1,
};

/* Decode one code point of valid UTF-8; *n gets its length in bytes. */
static inline int32_t cp_at(const unsigned char *p, size_t *n) {
    if (p[0] < 0x80) {
        *n = 1;
        return p[0];
    }
    if (p[0] < 0xE0) {
        *n = 2;
        return (int32_t)(p[0] & 0x1F) << 6 | (p[1] & 0x3F);
    }
    if (p[0] < 0xF0) {
        *n = 3;
        return (int32_t)(p[0] & 0x0F) << 12 | (int32_t)(p[1] & 0x3F) << 6 | (p[2] & 0x3F);
    }
    *n = 4;
    return (int32_t)(p[0] & 0x07) << 18 | (int32_t)(p[1] & 0x3F) << 12 | (int32_t)(p[2] & 0x3F) << 6 | (p[3] & 0x3F);
}

static int cp_class(int32_t c) {
    if (c < 0x80) {
        if (c == ' ') return CL_SPACE;
        if (c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r') return CL_WS;
        if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) return CL_WORD;
        return CL_SYM; /* ASCII punctuation, symbols and controls */
    }
    if (c == 0x85) return CL_WS; /* NEL: a control character that is whitespace */
    switch (utf8proc_category(c)) {
    case UTF8PROC_CATEGORY_ZS:
    case UTF8PROC_CATEGORY_ZL:
    case UTF8PROC_CATEGORY_ZP:
        return CL_WS;
    case UTF8PROC_CATEGORY_PC:
    case UTF8PROC_CATEGORY_PD:
    case UTF8PROC_CATEGORY_PS:
    case UTF8PROC_CATEGORY_PE:
    case UTF8PROC_CATEGORY_PI:
    case UTF8PROC_CATEGORY_PF:
    case UTF8PROC_CATEGORY_PO:
    case UTF8PROC_CATEGORY_SM:
    case UTF8PROC_CATEGORY_SC:
    case UTF8PROC_CATEGORY_SK:
    case UTF8PROC_CATEGORY_SO:
    case UTF8PROC_CATEGORY_CC:
        return CL_SYM;
    default:
        return CL_WORD; /* letters, digits, marks, format characters (ZWJ, ZWSP), private use */
    }
}

/* Byte length of the atom starting at p[0] (an extended grapheme cluster;
 * between two ASCII characters there is always a break). */
static size_t atom_len(const unsigned char *p, size_t len) {
    size_t n;
    int32_t prev = cp_at(p, &n), state = 0;
    size_t i = n;
    while (i < len) {
        if (prev < 0x80 && p[i] < 0x80) break;
        int32_t c = cp_at(p + i, &n);
        if (utf8proc_grapheme_break_stateful(prev, c, &state)) break;
        prev = c;
        i += n;
    }
    return i;
}

/* Append the spelled form of valid UTF-8 text. */
static void spell(Buf *b, const unsigned char *p, size_t n) {
    static const char hex[] = "0123456789ABCDEF";
    size_t run = 0; /* start of the bytes copied as they are */
    for (size_t i = 0; i < n; i++) {
        unsigned char c = p[i];
        const char *esc = NULL;
        char xbuf[4];
        if (c == ' ') esc = TOK_SPACE_MARK;
        else if (c == '\\') esc = "\\\\";
        else if (c == '\t') esc = "\\t";
        else if (c == '\n') esc = "\\n";
        else if (c == '\r') esc = "\\r";
        else if (c < 0x20 || c == 0x7F) {
            xbuf[0] = '\\', xbuf[1] = 'x', xbuf[2] = hex[c >> 4], xbuf[3] = hex[c & 15];
            buf_append(b, p + run, i - run);
            buf_append(b, xbuf, 4);
            run = i + 1;
            continue;
        } else if (c == 0xE2 && i + 2 < n && p[i + 1] == 0x96 && p[i + 2] == 0x81) {
            buf_append(b, p + run, i - run);
            buf_append(b, "\\" TOK_SPACE_MARK, 4);
            i += 2;
            run = i + 1;
            continue;
        }
        if (esc) {
            buf_append(b, p + run, i - run);
            buf_puts(b, esc);
            run = i + 1;
        }
    }
    buf_append(b, p + run, n - run);
}

void tok_split(const char *text, size_t len, int atom_sep, TokEmit emit, void *ctx) {
    const unsigned char *p = (const unsigned char *)text;
    static const char mark[] = TOK_SPACE_MARK;
    const size_t mlen = sizeof mark - 1;
    Buf w = {0};
    buf_reserve(&w, 64);
    /* A word is being built; a space waits for its token. A line starts as
     * if after a space, so its first word gets the marker like any other
     * (SentencePiece's dummy prefix); decoding drops that one space. */
    int open = 0, pending = len > 0;
    size_t i = 0;
    while (i < len) {
        /* Fast path: a run of ASCII letters and digits is a run of one-byte
         * word atoms (its last byte is left to the general path when a
         * non-ASCII character, maybe a combining mark, follows). */
        size_t j = i;
        while (j < len && p[j] < 0x80 && ascii_word[p[j]]) j++;
        if (j > i && j < len && p[j] >= 0x80) j--;
        if (j > i) {
            if (!open) {
                w.len = 0;
                if (pending) {
                    buf_append(&w, mark, mlen);
                    pending = 0;
                } else {
                    buf_append(&w, p + i++, 1); /* the first atom needs no separator */
                }
                open = 1;
            }
            buf_reserve(&w, 2 * (j - i));
            char *out = w.data + w.len;
            for (; i < j; i++) {
                if (atom_sep) *out++ = TOK_ATOM_SEP;
                *out++ = (char)p[i];
            }
            w.len = (size_t)(out - w.data);
            w.data[w.len] = '\0';
            continue;
        }
        size_t n = atom_len(p + i, len - i), cn;
        int32_t c = cp_at(p + i, &cn);
        int cls = cp_class(c);
        if (cls == CL_SPACE && n > 1) cls = CL_WS; /* a space carrying combining marks */
        if (cls == CL_WORD && open) {
            if (atom_sep) buf_append(&w, &SEP, 1);
            spell(&w, p + i, n);
            i += n;
            continue;
        }
        if (open) emit(ctx, w.data, w.len), open = 0;
        if (cls == CL_SPACE) {
            if (pending) emit(ctx, mark, mlen);
            pending = 1;
        } else if (cls == CL_WS) {
            if (pending) emit(ctx, mark, mlen), pending = 0;
            w.len = 0;
            spell(&w, p + i, n);
            emit(ctx, w.data, w.len);
        } else {
            w.len = 0;
            if (pending) {
                buf_append(&w, mark, mlen);
                if (atom_sep) buf_append(&w, &SEP, 1);
                pending = 0;
            }
            spell(&w, p + i, n);
            if (cls == CL_SYM) emit(ctx, w.data, w.len);
            else open = 1;
        }
        i += n;
    }
    if (open) emit(ctx, w.data, w.len);
    if (pending) emit(ctx, mark, mlen);
    buf_free(&w);
}

static int hexval(unsigned char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return -1;
}

void tok_unspell(const char *tok, size_t len, Buf *out) {
    const unsigned char *p = (const unsigned char *)tok;
    buf_reserve(out, len);
    size_t i = 0, run = 0; /* bytes from run to i are copied as they are */
    while (i < len) {
        unsigned char c = p[i];
        if (c != 0xE2 && c != '\\' && c != (unsigned char)TOK_ATOM_SEP) {
            i++;
            continue;
        }
        const char *rep = NULL;
        size_t rlen = 1, used = 1;
        char byte;
        int h1, h2;
        if (c == 0xE2) {
            if (i + 2 < len && p[i + 1] == 0x96 && p[i + 2] == 0x81) rep = " ", used = 3;
            else {
                i++;
                continue;
            }
        } else if (c == (unsigned char)TOK_ATOM_SEP) {
            rep = "", rlen = 0;
        } else if (i + 1 < len) {
            unsigned char e = p[i + 1];
            used = 2;
            if (e == '\\') rep = "\\";
            else if (e == 't') rep = "\t";
            else if (e == 'n') rep = "\n";
            else if (e == 'r') rep = "\r";
            else if (e == 'x' && i + 3 < len && (h1 = hexval(p[i + 2])) >= 0 && (h2 = hexval(p[i + 3])) >= 0)
                byte = (char)(h1 << 4 | h2), rep = &byte, used = 4;
            else if (e == 0xE2 && i + 3 < len && p[i + 2] == 0x96 && p[i + 3] == 0x81)
                rep = TOK_SPACE_MARK, rlen = 3, used = 4;
            else
                rep = "\\", used = 1; /* not an escape: keep the backslash */
        } else {
            rep = "\\";
        }
        buf_append(out, p + run, i - run);
        buf_append(out, rep, rlen);
        i += used;
        run = i;
    }
    buf_append(out, p + run, len - run);
}

int text_is_blank(const char *text, size_t len) {
    const unsigned char *p = (const unsigned char *)text;
    size_t i = 0, n;
    while (i < len) {
        int cls = cp_class(cp_at(p + i, &n));
        if (cls != CL_WS && cls != CL_SPACE) return 0;
        i += n;
    }
    return 1;
}
