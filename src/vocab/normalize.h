/* normalize.h — UTF-8 validation and Unicode normalization (utf8proc).
 *
 * Every raw line goes through here first: it is checked for valid UTF-8
 * (an error names the first bad byte), then put in NFC or NFKC form and
 * optionally case-folded, so the tokenizer and the vocabulary only ever
 * see one spelling of each text. */
#ifndef NMT_VOCAB_NORMALIZE_H
#define NMT_VOCAB_NORMALIZE_H

#include <stddef.h>
#include <stdint.h>

#include "core/util.h"

typedef enum { NORM_NONE = 0, NORM_NFC = 1, NORM_NFKC = 2 } NormForm;
extern const char *const NORM_FORM_NAMES[]; /* in NormForm order, NULL-terminated */

/* "none", "nfc", "nfkc". */
const char *norm_form_name(NormForm f);
/* 0 and *f set, or -1 for an unknown name. */
int norm_form_parse(const char *name, NormForm *f);

/* 0-based offset of the first byte that is not part of a valid UTF-8
 * sequence (overlong forms, surrogates and values past U+10FFFF count as
 * invalid), or -1 when the whole text is valid. */
long utf8_invalid_at(const char *s, size_t len);

/* Normalize valid UTF-8 text into out (its contents are replaced;
 * out->data is NUL-terminated). casefold applies Unicode case folding,
 * which is what --lowercase means. NULL, or utf8proc's reason when it
 * could not (text that is not valid UTF-8; out is then empty). */
const char *text_normalize(const char *s, size_t len, NormForm form, int casefold, Buf *out);

/* 1 for the non-ASCII characters text_normalize knows to be unchanged by
 * NFC in any context, so common European text skips utf8proc. */
int nfc_fast_stable(int32_t c);

#endif
