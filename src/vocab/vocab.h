/* vocab.h — raw text to model token ids and back.
 *
 * A Vocab holds everything needed to turn a raw line into ids and ids back
 * into readable text: the normalization settings (NFC/NFKC/none, case
 * folding), the reversible tokenizer, the BPE merges, and the token tables
 * of both sides (one shared table with --joint). nmt-vocab writes it to a
 * file; the model file embeds the same bytes, so a model always carries the
 * exact text pipeline it was trained with.
 *
 * Ids 0..3 are the specials on both sides.
 *
 * Tokens are spelled as in tokenize.h: "▁" stands for a space, so decoding
 * is concatenation. <unk> decodes to the text "<unk>"; with a word
 * vocabulary an unknown word after a space encodes as "▁" <unk>, keeping
 * the space. decode(encode(x)) == normalize(x) whenever every character
 * (BPE) or word (word vocabulary) of x is in the vocabulary. */
#ifndef NMT_VOCAB_H
#define NMT_VOCAB_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

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
/* vocab_encode with BPE-dropout (bpe.h's bpe_apply_dropout): each BPE
 * merge skipped with probability bpe_dropout at every step, drawn from a
 * generator seeded with (seed, side), so the same arguments give the same
 * segmentation. bpe_dropout = 0, and word vocabularies: vocab_encode. */
int vocab_encode_sampled(const Vocab *v, VocabSide side, const char *text, size_t len, float bpe_dropout,
                         uint64_t seed, int **ids, char *err, size_t errsz);
/* Ids -> detokenized text (malloc'd, NUL-terminated). Stops at </s>; skips <pad> and <s>. */
char *vocab_decode(const Vocab *v, VocabSide side, const int *ids, int n);

/* ---- additions to the contract above ---- */

/* Tokens as written by `nmt-vocab --encode` (separated by single spaces)
 * -> text, like vocab_decode. A token missing from the vocabulary is
 * decoded from its spelling. Malloc'd; NULL with a message in err when the
 * tokens are not valid UTF-8 or would decode to a line break, a NUL byte
 * or invalid UTF-8 (escapes "\n", "\x00", "\xff"): the result is one line
 * of text. */
char *vocab_decode_tokens(const Vocab *v, VocabSide side, const char *line, size_t len, char *err, size_t errsz);
/* NULL when text[0..len) can stand in one line of UTF-8 text; else why not. */
const char *vocab_unsafe_text(const char *text, size_t len);
/* Id of a token string, or -1. */
int vocab_token_id(const Vocab *v, VocabSide side, const char *tok, size_t len);
/* How often the token occurred in the training text (0 for specials). */
int64_t vocab_token_count(const Vocab *v, VocabSide side, int id);
/* 1 when both sides share one table (nmt-vocab --joint): a token has the
 * same id on both sides. */
int vocab_is_joint(const Vocab *v);
/* Number of BPE merges of the side's table (0 for a word vocabulary). */
int vocab_num_merges(const Vocab *v, VocabSide side);
/* The exact word view for alignments: word[i] = index of the
 * whitespace-separated word token i belongs to, or -1 for tokens that are
 * only whitespace (and <pad> <s> </s>). Returns the number of words.
 * vocab_starts_word is the per-token view: 1 for a token that begins with
 * whitespace ("▁cat", or "▁" before a rare character's token); the caller
 * treats position 0 as a word start. It agrees with vocab_word_ids when
 * words are separated by single whitespace characters; a run of spaces
 * gives extra one-space "words". */
int vocab_word_ids(const Vocab *v, VocabSide side, const int *ids, int n, int *word);
/* Human-readable dump: settings, merge counts, every token with its count. */
void vocab_show(const Vocab *v, const char *name, FILE *out);

#endif
