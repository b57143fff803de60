/* bleu_text.c — text processing for BLEU: UTF-8 checks, Python-compatible
 * lowercasing and whitespace, and sacreBLEU's 13a tokenizer. See bleu.h.
 *
 * The 13a tokenizer is defined by a few ASCII regular expressions applied one
 * after another to the whole line. Each is re-implemented here as one
 * left-to-right pass with the same non-overlapping match semantics as Python's
 * re.sub. Working on bytes instead of code points gives the same result:
 * every character the expressions name is ASCII, and the bytes of a multi-byte
 * UTF-8 character are never ASCII, so they only ever match "[^0-9]", exactly
 * as the whole character would. */
#include "eval/bleu.h"

#include <string.h>
#include <utf8proc.h>

/* ---------------------------------------------------------------- UTF-8 */

size_t bleu_utf8_invalid_at(const char *text, size_t len) {
    const unsigned char *s = (const unsigned char *)text;
    size_t i = 0;
    while (i < len) {
        unsigned c = s[i];
        if (c < 0x80) {
            i++;
            continue;
        }
        size_t need;
        unsigned lo = 0x80, hi = 0xBF; /* allowed range of the second byte */
        if (c >= 0xC2 && c <= 0xDF) {
            need = 1;
        } else if (c >= 0xE0 && c <= 0xEF) {
            need = 2;
            if (c == 0xE0) lo = 0xA0;      /* overlong */
            if (c == 0xED) hi = 0x9F;      /* surrogates */
        } else if (c >= 0xF0 && c <= 0xF4) {
            need = 3;
            if (c == 0xF0) lo = 0x90;      /* overlong */
            if (c == 0xF4) hi = 0x8F;      /* above U+10FFFF */
        } else {
            return i + 1;
        }
        if (len - i <= need) return i + 1;
        if (s[i + 1] < lo || s[i + 1] > hi) return i + 1;
        for (size_t k = 2; k <= need; k++)
            if ((s[i + k] & 0xC0) != 0x80) return i + 1;
        i += need + 1;
    }
    return 0;
}

/* Decode the code point at s[*i] and advance *i. Meant for valid UTF-8; on
 * other input it returns some value and never reads past len. */
static uint32_t utf8_next(const unsigned char *s, size_t len, size_t *i) {
    uint32_t c = s[*i];
    size_t need = c >= 0xF0 ? 3 : c >= 0xE0 ? 2 : c >= 0xC0 ? 1 : 0;
    if (need == 0 || *i + need >= len) {
        (*i)++;
        return c;
    }
    c &= need == 3 ? 0x07 : need == 2 ? 0x0F : 0x1F;
    for (size_t k = 1; k <= need; k++) c = (c << 6) | (s[*i + k] & 0x3F);
    *i += need + 1;
    return c;
}

static void utf8_put(Buf *b, uint32_t c) {
    char tmp[4];
    size_t n;
    if (c < 0x80) {
        tmp[0] = (char)c;
        n = 1;
    } else if (c < 0x800) {
        tmp[0] = (char)(0xC0 | (c >> 6));
        tmp[1] = (char)(0x80 | (c & 0x3F));
        n = 2;
    } else if (c < 0x10000) {
        tmp[0] = (char)(0xE0 | (c >> 12));
        tmp[1] = (char)(0x80 | ((c >> 6) & 0x3F));
        tmp[2] = (char)(0x80 | (c & 0x3F));
        n = 3;
    } else {
        tmp[0] = (char)(0xF0 | (c >> 18));
        tmp[1] = (char)(0x80 | ((c >> 12) & 0x3F));
        tmp[2] = (char)(0x80 | ((c >> 6) & 0x3F));
        tmp[3] = (char)(0x80 | (c & 0x3F));
        n = 4;
    }
    buf_append(b, tmp, n);
}

/* Replace the contents of b (keeping its memory). */
static void buf_reset(Buf *b) {
    b->len = 0;
    buf_reserve(b, 0);
    b->data[0] = '\0';
}

/* ----------------------------------------------------------- whitespace */

int bleu_is_space(uint32_t c) {
    /* The characters Python's str.isspace() accepts (bidi class WS, B or S,
     * or category Zs): what str.split() and str.rstrip() remove. */
    switch (c) {
    case 0x09: case 0x0A: case 0x0B: case 0x0C: case 0x0D:
    case 0x1C: case 0x1D: case 0x1E: case 0x1F: case 0x20:
    case 0x85: case 0xA0: case 0x1680:
    case 0x2028: case 0x2029: case 0x202F: case 0x205F: case 0x3000:
        return 1;
    default:
        return c >= 0x2000 && c <= 0x200A;
    }
}

size_t bleu_rstrip_len(const char *text, size_t len) {
    const unsigned char *s = (const unsigned char *)text;
    size_t i = 0, keep = 0;
    while (i < len) {
        uint32_t c = utf8_next(s, len, &i);
        if (!bleu_is_space(c)) keep = i;
    }
    return keep;
}

/* ------------------------------------------------------------ lowercase */

/* Unicode "Cased": Lowercase, Uppercase or titlecase letters. Other_Lowercase
 * and Other_Uppercase characters are covered by their case mappings, except
 * the two ordinal indicators, which have none. */
static int is_cased(uint32_t c) {
    utf8proc_category_t cat = utf8proc_category((utf8proc_int32_t)c);
    if (cat == UTF8PROC_CATEGORY_LU || cat == UTF8PROC_CATEGORY_LL || cat == UTF8PROC_CATEGORY_LT)
        return 1;
    if (c == 0xAA || c == 0xBA) return 1;
    return utf8proc_islower((utf8proc_int32_t)c) || utf8proc_isupper((utf8proc_int32_t)c);
}

/* Unicode "Case_Ignorable": Word_Break MidLetter, MidNumLet or Single_Quote,
 * or category Mn, Me, Cf, Lm or Sk. */
static int is_case_ignorable(uint32_t c) {
    switch (c) {
    case 0x27: case 0x2E: case 0x3A: case 0xB7: case 0x387: case 0x55F: case 0x5F4:
    case 0x2018: case 0x2019: case 0x2024: case 0x2027:
    case 0xFE13: case 0xFE52: case 0xFE55: case 0xFF07: case 0xFF0E: case 0xFF1A:
        return 1;
    default:
        break;
    }
    utf8proc_category_t cat = utf8proc_category((utf8proc_int32_t)c);
    return cat == UTF8PROC_CATEGORY_MN || cat == UTF8PROC_CATEGORY_ME || cat == UTF8PROC_CATEGORY_CF ||
           cat == UTF8PROC_CATEGORY_LM || cat == UTF8PROC_CATEGORY_SK;
}

/* Python lowers U+03A3 to the final form U+03C2 when it ends a word:
 * preceded by a cased letter and not followed by one (case-ignorable
 * characters in between are skipped both ways). */
static uint32_t lower_sigma(const uint32_t *cp, size_t n, size_t i) {
    size_t j = i;
    while (j > 0 && is_case_ignorable(cp[j - 1])) j--;
    if (j == 0 || !is_cased(cp[j - 1])) return 0x3C3;
    j = i + 1;
    while (j < n && is_case_ignorable(cp[j])) j++;
    if (j < n && is_cased(cp[j])) return 0x3C3;
    return 0x3C2;
}

int bleu_lowercase(const char *text, size_t len, Buf *out) {
    buf_reset(out);
    if (bleu_utf8_invalid_at(text, len)) return -1;
    const unsigned char *s = (const unsigned char *)text;
    int ascii = 1;
    for (size_t i = 0; i < len && ascii; i++) ascii = s[i] < 0x80;
    if (ascii) {
        buf_reserve(out, len);
        for (size_t i = 0; i < len; i++) {
            unsigned char c = s[i];
            out->data[i] = (char)(c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c);
        }
        out->len = len;
        out->data[len] = '\0';
        return 0;
    }
    uint32_t *cp = xmalloc((len ? len : 1) * sizeof *cp);
    size_t n = 0;
    for (size_t i = 0; i < len;) cp[n++] = utf8_next(s, len, &i);
    for (size_t k = 0; k < n; k++) {
        uint32_t c = cp[k];
        if (c == 0x130) {
            utf8_put(out, 'i');
            utf8_put(out, 0x307);
        } else if (c == 0x3A3) {
            utf8_put(out, lower_sigma(cp, n, k));
        } else {
            utf8_put(out, (uint32_t)utf8proc_tolower((utf8proc_int32_t)c));
        }
    }
    free(cp);
    return 0;
}

/* ------------------------------------------------------------------ 13a */

/* Python's str.replace(from, to): every non-overlapping occurrence, left to right. */
static void replace_all(const Buf *in, const char *from, const char *to, Buf *out) {
    size_t flen = strlen(from), tlen = strlen(to);
    buf_reset(out);
    size_t i = 0;
    while (i < in->len) {
        if (in->len - i >= flen && memcmp(in->data + i, from, flen) == 0) {
            buf_append(out, to, tlen);
            i += flen;
        } else {
            buf_append(out, in->data + i, 1);
            i++;
        }
    }
}

static void swap_bufs(Buf *a, Buf *b) {
    Buf t = *a;
    *a = *b;
    *b = t;
}

static int is_digit(unsigned char c) { return c >= '0' && c <= '9'; }

/* The characters of 13a's first expression, [\{-\~\[-\` -\&\(-\+\:-\@\/]:
 * every ASCII symbol except - ' , . and the digits and letters. */
static int is_13a_symbol(unsigned char c) {
    return (c >= '{' && c <= '~') || (c >= '[' && c <= '`') || (c >= ' ' && c <= '&') ||
           (c >= '(' && c <= '+') || (c >= ':' && c <= '@') || c == '/';
}

/* One of 13a's two-character rules, as a regex substitution over
 * non-overlapping matches left to right: where the pair (c, d) matches,
 * write the four bytes tmpl makes of it ('1' is c, '2' is d, ' ' a space)
 * and go on after d; else copy c. */
typedef int (*PairMatch)(unsigned char c, unsigned char d);

static int comma_after_nondigit(unsigned char c, unsigned char d) { return !is_digit(c) && (d == '.' || d == ','); }
static int comma_before_nondigit(unsigned char c, unsigned char d) { return (c == '.' || c == ',') && !is_digit(d); }
static int dash_after_digit(unsigned char c, unsigned char d) { return is_digit(c) && d == '-'; }

static void apply_pair_rule(const Buf *in, Buf *out, PairMatch match, const char tmpl[4]) {
    buf_reset(out);
    for (size_t i = 0; i < in->len;) {
        unsigned char c = (unsigned char)in->data[i];
        if (i + 1 < in->len && match(c, (unsigned char)in->data[i + 1])) {
            char t[4];
            for (int k = 0; k < 4; k++) t[k] = tmpl[k] == '1' ? (char)c : tmpl[k] == '2' ? in->data[i + 1] : ' ';
            buf_append(out, t, 4);
            i += 2;
        } else {
            buf_append(out, in->data + i, 1);
            i++;
        }
    }
}

void bleu_tokenize_13a(const char *text, size_t len, Buf *out) {
    Buf a = {0}, b = {0};
    /* sacreBLEU strips trailing whitespace before tokenizing. */
    buf_reset(&a);
    buf_append(&a, text, bleu_rstrip_len(text, len));

    /* Language-independent part: literal replacements, in this order. */
    static const char *const repl[][2] = {
        {"<skipped>", ""}, {"-\n", ""}, {"\n", " "},
        {"&quot;", "\""}, {"&amp;", "&"}, {"&lt;", "<"}, {"&gt;", ">"},
    };
    for (size_t k = 0; k < sizeof repl / sizeof repl[0]; k++) {
        if (!memchr(a.data, repl[k][0][0], a.len)) continue; /* cheap: no first char, no match */
        replace_all(&a, repl[k][0], repl[k][1], &b);
        swap_bufs(&a, &b);
    }

    /* ' ' + line + ' ', with every 13a symbol surrounded by spaces. */
    buf_reset(&b);
    buf_reserve(&b, 3 * a.len + 2);
    buf_append(&b, " ", 1);
    for (size_t i = 0; i < a.len; i++) {
        unsigned char c = (unsigned char)a.data[i];
        if (is_13a_symbol(c)) {
            char t[3] = {' ', (char)c, ' '};
            buf_append(&b, t, 3);
        } else {
            buf_append(&b, a.data + i, 1);
        }
    }
    buf_append(&b, " ", 1);
    swap_bufs(&a, &b);

    /* ([^0-9])([\.,]) -> '\1 \2 ': period and comma unless preceded by a digit;
     * ([\.,])([^0-9]) -> ' \1 \2': period and comma unless followed by a digit;
     * ([0-9])(-) -> '\1 \2 ': dash when preceded by a digit. */
    apply_pair_rule(&a, &b, comma_after_nondigit, "1 2 ");
    swap_bufs(&a, &b);
    apply_pair_rule(&a, &b, comma_before_nondigit, " 1 2");
    swap_bufs(&a, &b);
    apply_pair_rule(&a, &b, dash_after_digit, "1 2 ");
    swap_bufs(&a, &b);

    /* ' '.join(line.split()): split on Python whitespace, single spaces. */
    buf_reset(out);
    const unsigned char *s = (const unsigned char *)a.data;
    size_t i = 0;
    while (i < a.len) {
        size_t start = i;
        uint32_t c = utf8_next(s, a.len, &i);
        if (bleu_is_space(c)) continue;
        size_t end = i;
        while (i < a.len) {
            size_t at = i;
            c = utf8_next(s, a.len, &i);
            if (bleu_is_space(c)) {
                i = at;
                break;
            }
            end = i;
        }
        if (out->len) buf_append(out, " ", 1);
        buf_append(out, a.data + start, end - start);
    }
    buf_free(&a);
    buf_free(&b);
}
