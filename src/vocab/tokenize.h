/* tokenize.h — reversible splitting of normalized text into pre-tokens.
 *
 * The text is cut into atoms (extended grapheme clusters: a base character
 * with its combining marks, an emoji ZWJ sequence, a flag) and the atoms
 * into pre-tokens, the units BPE never merges across:
 *   - a run of letters, digits, marks and format characters is one word;
 *   - each punctuation mark, symbol or control character is its own token;
 *   - each whitespace character other than the plain space (tab, NBSP,
 *     ideographic space...) is its own token;
 *   - a plain space becomes the marker U+2581 "▁" glued to the front of the
 *     token that follows it (SentencePiece style); a space with no token
 *     right after it (runs of spaces, before another whitespace character,
 *     at the end of the line) is a token "▁" of its own.
 * The start of the text counts as a space (a "dummy prefix", as in
 * SentencePiece), so a word has the same token at the start of a line as
 * anywhere else. So " " + text is the concatenation of its tokens with
 * every "▁" read as a space. Characters that would make that ambiguous or unprintable are
 * spelled with a backslash escape inside tokens: "\▁" is a literal U+2581,
 * "\\" a backslash, "\t" "\n" "\r" and "\xHH" the control characters.
 * Tokens therefore never contain an ASCII space or a control byte. */
#ifndef NMT_VOCAB_TOKENIZE_H
#define NMT_VOCAB_TOKENIZE_H

#include <stddef.h>

#include "sys/util.h"

#define TOK_SPACE_MARK "\xE2\x96\x81" /* U+2581 */
/* Separates atoms inside a pre-token when the caller asks for atoms. It is
 * a control byte, so it never occurs in a spelled token. */
#define TOK_ATOM_SEP '\x01'

/* Called once per pre-token, in text order, with its spelled form. */
typedef void (*TokEmit)(void *ctx, const char *tok, size_t len);

/* Split valid UTF-8 text. With atom_sep, atoms inside each pre-token are
 * separated by TOK_ATOM_SEP, and the "▁" marker is an atom of its own. */
void tok_split(const char *text, size_t len, int atom_sep, TokEmit emit, void *ctx);

/* Append the text a spelled token stands for (markers become spaces,
 * escapes are undone; TOK_ATOM_SEP bytes are dropped). */
void tok_unspell(const char *tok, size_t len, Buf *out);

/* 1 when valid UTF-8 text holds no character but whitespace (or nothing). */
int text_is_blank(const char *text, size_t len);

#endif
