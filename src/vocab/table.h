/* table.h — one token table of a Vocab (internal to src/vocab).
 *
 * A table maps token strings to ids and back, keeps each token's training
 * count and word flags, and, for BPE, the merges in rank order. A Vocab has
 * one table per side, or a single shared one with --joint. */
#ifndef NMT_VOCAB_TABLE_H
#define NMT_VOCAB_TABLE_H

#include <pthread.h>
#include <stdint.h>

#include "sys/hashmap.h"
#include "vocab/bpe.h"
#include "vocab/normalize.h"
#include "vocab/vocab.h"

enum {
    TOKF_WS_START = 1, /* the token's text begins with whitespace */
    TOKF_ALL_WS = 2,   /* the token's text is only whitespace */
};

typedef struct {
    StrTable tok;          /* token string <-> id; 0..3 are the specials */
    int64_t *count;        /* per id: occurrences in the training text */
    unsigned char *flags;  /* per id: TOKF_* */
    int cap;
    int is_bpe;
    int nmerges;
    int *mleft, *mright;   /* per rank: ids of the two parts */
    BpeRanks ranks;
    int space_id;          /* the token "▁" (a lone space) */
} VocabTable;

typedef struct EncodeCache EncodeCache;
typedef struct {
    pthread_mutex_t lock;
    EncodeCache *free[2]; /* per table: caches not in use */
} CachePool;

struct Vocab {
    NormForm norm;
    int lowercase;
    int joint;
    int bpe_merges;   /* merges asked for per table; 0 for word vocabularies */
    long min_count;   /* word vocabularies: the cut used */
    long max_size;    /* word vocabularies: the cut used; 0 = none */
    int ntables;      /* 1 with joint, else 2 */
    VocabTable tables[2];
    CachePool *pool;  /* encoding caches (vocab.c) */
};

static inline const VocabTable *vocab_table(const Vocab *v, VocabSide side) {
    return &v->tables[v->joint ? 0 : side];
}

/* An empty vocabulary with the given settings (tables hold the specials). */
Vocab *vocab_new(NormForm norm, int lowercase, int joint, int bpe_merges, long min_count, long max_size);
/* Add a token (must be new); returns its id. */
int vtab_add(VocabTable *t, const char *tok, size_t len, int64_t count);
/* Append a merge of two existing tokens whose concatenation is a token; 0 or -1. */
int vtab_add_merge(VocabTable *t, int left, int right);
/* Compute flags and the "▁" id once all tokens are in; 0 or -1 when "▁" is missing. */
int vtab_finish(VocabTable *t);

#endif
