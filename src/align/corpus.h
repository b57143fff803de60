/* corpus.h — a tokenized parallel corpus laid out for the word aligner.
 *
 * Tokens are split on whitespace and interned per side (word ids). Every
 * sentence pair with n source and m target tokens owns n*m cells, row-major
 * (cell i*m + j joins source token i and target token j), each holding the id
 * of that (source word, target word) pair. Both translation directions index
 * their lexical tables by these pair ids, so EM never hashes words: the pair
 * map exists only while the corpus is built. Sentence pairs are also grouped
 * by (n, m), since the diagonal prior depends on nothing else. */
#ifndef NMT_ALIGN_CORPUS_H
#define NMT_ALIGN_CORPUS_H

#include <stddef.h>
#include <stdint.h>

#include "sys/hashmap.h"

typedef struct {
    long nsent;
    StrTable vocab[2];        /* [0] source words, [1] target words */
    size_t *tok_start[2];     /* nsent + 1 offsets into tok[side] */
    int32_t *tok[2];          /* word ids, sentence after sentence */
    size_t *cell_start;       /* nsent + 1 offsets into cells */
    int32_t *cells;           /* pair id per (i, j), n*m per sentence */
    int32_t npairs;           /* distinct co-occurring word pairs */
    int32_t *pair_word[2];    /* npairs: the source / target word of each pair */
    int32_t *group;           /* nsent: length group of each sentence (-1 if a side is empty) */
    int ngroups;
    int32_t *group_len[2];    /* ngroups: the source / target length of each group */
    /* while building */
    U64Map pair_map, group_map;
    size_t cap_tok[2], cap_cells;
    long cap_sent;
    int gcap;
} AlignCorpus;

void align_corpus_init(AlignCorpus *c);
/* Add one pair of tokenized lines (NUL-terminated). */
void align_corpus_add(AlignCorpus *c, const char *src_line, const char *tgt_line);
/* Done adding: frees the hash maps and fills pair_word. */
void align_corpus_finish(AlignCorpus *c);
/* Read two line-parallel files and finish. Returns 0, or -1 with err naming
 * the files when their line counts differ, or FILE:LINE for a bad line. */
int align_corpus_read(AlignCorpus *c, const char *src_path, const char *tgt_path, char *err, size_t errsz);
void align_corpus_free(AlignCorpus *c);

static inline int align_corpus_len(const AlignCorpus *c, int side, long s) {
    return (int)(c->tok_start[side][s + 1] - c->tok_start[side][s]);
}

#endif
