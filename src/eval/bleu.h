/* bleu.h — corpus BLEU exactly as sacreBLEU 2.x computes it by default.
 *
 * Defaults reproduced: the 13a tokenizer (mteval-v13a), maximum n-gram order
 * 4, 'exp' smoothing (mteval's NIST method), no effective order, brevity
 * penalty against the effective reference length (per segment, the reference
 * length closest to the hypothesis length, the shorter one on a tie), and
 * several references per segment with n-gram counts clipped by the maximum
 * count over the references. Printed figures use sacreBLEU's rounding:
 * score %.2f, precisions %.1f, BP and ratio %.3f.
 *
 * Usage:
 *     BleuStats st;
 *     bleu_stats_init(&st, lowercase);
 *     for each segment: bleu_stats_add(&st, hyp, refs, nrefs, err, sizeof err);
 *     BleuResult r;
 *     bleu_compute(&st, &r);
 *     bleu_format(&r, line, sizeof line);      // "BLEU = 78.55 100.0/91.8/..."
 *     bleu_signature(&st, sig, sizeof sig);    // "nrefs:1|case:mixed|..."
 *     bleu_stats_free(&st);
 *
 * Segments are raw, untokenized UTF-8 text. As in sacreBLEU, trailing
 * whitespace is ignored, references that are empty (after removing trailing
 * whitespace) are left out of that segment, and a segment whose references are
 * all empty is an error. An empty hypothesis is fine (it scores nothing). */
#ifndef NMT_EVAL_BLEU_H
#define NMT_EVAL_BLEU_H

#include <stddef.h>
#include <stdint.h>

#include "sys/util.h"

#define BLEU_MAX_ORDER 4
/* The value of the signature's version field (sacreBLEU prints its own version). */
#define BLEU_SIGNATURE_VERSION "nmtc-1.0"
/* Enough room for any line written by bleu_format / bleu_signature. */
#define BLEU_LINE_MAX 256

typedef struct BleuScratch BleuScratch;

/* Sufficient statistics of a corpus; add segments one by one. */
typedef struct {
    int lowercase;                        /* lowercase hypotheses and references first */
    int64_t hyp_len;                      /* hypothesis tokens */
    int64_t ref_len;                      /* effective reference tokens */
    int64_t correct[BLEU_MAX_ORDER];      /* clipped matching n-grams, index n-1 */
    int64_t total[BLEU_MAX_ORDER];        /* hypothesis n-grams, index n-1 */
    long segments;                        /* segments added */
    int min_refs, max_refs;               /* non-empty references per segment (for nrefs) */
    BleuScratch *scratch;                 /* private working memory, owned */
} BleuStats;

typedef struct {
    double score;                         /* 0..100 */
    double precisions[BLEU_MAX_ORDER];    /* percent, after smoothing */
    double bp;                            /* brevity penalty */
    double ratio;                         /* hyp_len / ref_len (0 when ref_len is 0) */
    int64_t hyp_len, ref_len;
    int64_t correct[BLEU_MAX_ORDER], total[BLEU_MAX_ORDER];
} BleuResult;

void bleu_stats_init(BleuStats *s, int lowercase);
void bleu_stats_free(BleuStats *s);

/* Add one segment: a hypothesis and its nrefs >= 1 references, NUL-terminated.
 * Returns 0, or -1 with a message in err (the statistics are then unchanged):
 * "hypothesis: invalid UTF-8 at byte K", "reference R: invalid UTF-8 at byte K"
 * (R and K 1-based), or "every reference is empty". */
int bleu_stats_add(BleuStats *s, const char *hyp, const char *const *refs, int nrefs,
                   char *err, size_t errsz);
/* The same with explicit byte lengths (texts may then hold NUL bytes). */
int bleu_stats_add_n(BleuStats *s, const char *hyp, size_t hyp_len, const char *const *refs,
                     const size_t *ref_lens, int nrefs, char *err, size_t errsz);
/* dst += src (both must use the same lowercase setting). */
void bleu_stats_merge(BleuStats *dst, const BleuStats *src);

/* Corpus BLEU from the statistics (sacreBLEU's compute_bleu, smooth 'exp'). */
void bleu_compute(const BleuStats *s, BleuResult *r);

/* "BLEU = 78.55 100.0/91.8/83.5/76.0 (BP = 0.899 ratio = 0.904 hyp_len = 5600 ref_len = 6195)".
 * The return value of each formatter is snprintf's. */
int bleu_format(const BleuResult *r, char *buf, size_t n);
/* The same without the leading "BLEU = " (sacreBLEU's score and verbose part). */
int bleu_format_verbose(const BleuResult *r, char *buf, size_t n);
/* Just the score: "78.55". */
int bleu_format_score(const BleuResult *r, char *buf, size_t n);
/* "nrefs:1|case:mixed|eff:no|tok:13a|smooth:exp|version:nmtc-1.0"; nrefs is
 * "var" when segments had different numbers of non-empty references. */
int bleu_signature(const BleuStats *s, char *buf, size_t n);

/* --- text helpers, exposed for tests and other metrics --- */

/* 0 when text is valid UTF-8 (as Python's strict decoder defines it: no
 * overlong forms, surrogates or code points above U+10FFFF), otherwise the
 * 1-based offset of the first byte of the first invalid sequence. */
size_t bleu_utf8_invalid_at(const char *text, size_t len);

/* sacreBLEU's 13a tokenization of one segment, written to out (replacing its
 * contents; out->data is NUL-terminated): tokens separated by single spaces. */
void bleu_tokenize_13a(const char *text, size_t len, Buf *out);

/* Python's str.lower() of valid UTF-8 text, written to out (replacing its
 * contents). Per code point utf8proc_tolower, plus Python's two differences
 * from the simple mapping: U+0130 becomes "i" U+0307 and a capital sigma at
 * the end of a word becomes a final sigma. Returns 0, or -1 on invalid UTF-8. */
int bleu_lowercase(const char *text, size_t len, Buf *out);

/* 1 when c counts as whitespace for Python's str.split() / str.strip(). */
int bleu_is_space(uint32_t c);
/* Length of text once trailing whitespace is removed (Python's str.rstrip()). */
size_t bleu_rstrip_len(const char *text, size_t len);

#endif
