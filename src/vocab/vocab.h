/* vocab.h — raw text to model token ids and back.
 *
 * A Vocab holds everything needed to turn a raw line into ids and ids back
 * into readable text: the normalization settings (NFC/NFKC/none, case
 * folding), the reversible tokenizer, the BPE merges, and the token tables
 * of both sides (one shared table with --joint). nmt-vocab writes it to a
 * file; the model file embeds the same bytes, so a model always carries the
 * exact text pipeline it was trained with.
 *
 * Ids 0..3 are the specials on both sides. */
#ifndef NMT_VOCAB_H
#define NMT_VOCAB_H

#include <stddef.h>

enum { VOCAB_PAD = 0, VOCAB_UNK = 1, VOCAB_BOS = 2, VOCAB_EOS = 3, VOCAB_NUM_SPECIALS = 4 };

typedef enum { VOCAB_SRC = 0, VOCAB_TGT = 1 } VocabSide;

typedef struct Vocab Vocab;

/* Loading. On failure: NULL and a message in err that names the file (and line). */
Vocab *vocab_load(const char *path, char *err, size_t errsz);
Vocab *vocab_from_bytes(const void *data, size_t len, const char *name_for_errors, char *err, size_t errsz);
/* Serialized form (what vocab_load reads), malloc'd; *len set. */
char *vocab_to_bytes(const Vocab *v, size_t *len);
/* Atomic write (temp file + rename). 0, or -1 with err. */
int vocab_save(const Vocab *v, const char *path, char *err, size_t errsz);
void vocab_free(Vocab *v);

int vocab_size(const Vocab *v, VocabSide side);
/* Token string of an id (subword form, e.g. with its word-boundary marker). */
const char *vocab_token(const Vocab *v, VocabSide side, int id);
/* 1 when the token begins a new word (used to merge subword attention into words). */
int vocab_starts_word(const Vocab *v, VocabSide side, int id);

/* Raw line (UTF-8, no line end) -> ids, without <s> / </s>. Returns the
 * number of ids with *ids malloc'd, or -1 on invalid UTF-8 with err set to
 * "invalid UTF-8 at byte K" (K 1-based; the caller prefixes FILE:LINE). */
int vocab_encode(const Vocab *v, VocabSide side, const char *text, size_t len, int **ids, char *err, size_t errsz);
/* Ids -> detokenized text (malloc'd, NUL-terminated). Stops at </s>; skips <pad> and <s>. */
char *vocab_decode(const Vocab *v, VocabSide side, const int *ids, int n);

#endif
