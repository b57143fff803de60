/* shortlist.h — a lexical shortlist for translation: for each source
 * token, the target tokens a translation of it is likely to use, plus the
 * most frequent target tokens. Search then computes the output layer only
 * over the union for each batch's sources (as Marian's lexical shortlist),
 * which cuts the largest product of a decoder step.
 *
 * Built from the training corpus in the model's own tokens: IBM Model 2
 * with a diagonal prior (src/align/ibm2.h) learns p(target token | source
 * token); each source token keeps its `best` most probable target tokens.
 *
 * File (text, written atomically):
 *   #nmt-shortlist 2
 *   vocab_crc=XXXXXXXX        CRC-32 of the model's embedded vocabulary
 *   best=K                    at most K candidates per source token
 *   sources=N                 the number of S lines
 *   F id id ...               the frequent target tokens
 *   S src<TAB>id id ...       N lines, one per source token with candidates,
 *                             in ascending source order, 1 to K ids each
 *   end
 * The header's lines come in this order. With the count and the end line a
 * file cut anywhere (at a line end or inside a line) is refused: "FILE:
 * truncated after line 7 (3 of the 9 source lines, no end line)". Version 1
 * had neither, so a cut file read as a whole one (every translation empty
 * when only the header was left); it is refused with a message saying to
 * rebuild it with nmt-shortlist. */
#ifndef NMT_SHORTLIST_H
#define NMT_SHORTLIST_H

#include <stddef.h>
#include <stdint.h>

#include "model/saved.h"
#include "sys/util.h"

#define SHORTLIST_MAGIC "#nmt-shortlist"
#define SHORTLIST_VERSION 2

typedef struct Shortlist {
    int Vs, Vt, best;
    uint32_t vocab_crc;
    int n_frequent;
    int *frequent;    /* [n_frequent] target ids */
    int *start;       /* [Vs + 1] source token s's candidates: cands[start[s] .. start[s+1]) */
    int *cands;
} Shortlist;

/* Learn from line-parallel raw text (encoded with m's vocabulary). 0, or -1 with err. */
int shortlist_build(const Model *m, const char *src_path, const char *tgt_path, int best, int frequent, int threads,
                    Shortlist *sl, char *err, size_t errsz);
int shortlist_save(const Shortlist *sl, const char *path, char *err, size_t errsz);
/* The file's bytes, appended to b. */
void shortlist_format(const Shortlist *sl, Buf *b);
/* Load and check against m's vocabulary. 0, or -1 with err naming FILE:LINE
 * (or "FILE: truncated ..."); sl is left empty on failure. */
int shortlist_load(Shortlist *sl, const char *path, const Model *m, char *err, size_t errsz);
/* The same from data[0..len) (name for messages), for a vocabulary of Vs
 * source and Vt target tokens whose bytes have CRC-32 vocab_crc. */
int shortlist_parse(Shortlist *sl, const char *name, const char *data, size_t len, int Vs, int Vt,
                    uint32_t vocab_crc, char *err, size_t errsz);
void shortlist_free(Shortlist *sl);

/* The target ids search may produce for these n sources: </s>, the
 * frequent tokens and every source token's candidates, ascending. out has
 * room for Vt ids; returns the count. mark: Vt bytes of scratch. */
int shortlist_select(const Shortlist *sl, const int *const *src, const int *src_len, int n, int *out,
                     unsigned char *mark);

#endif
