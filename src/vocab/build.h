/* build.h — learning a vocabulary from a parallel corpus (what nmt-vocab
 * does), in two steps that can be timed apart: counting the pre-tokens of
 * both files, then building the tables (BPE merges, or a word list cut by
 * count and size). */
#ifndef NMT_VOCAB_BUILD_H
#define NMT_VOCAB_BUILD_H

#include <stdint.h>

#include "sys/hashmap.h"
#include "vocab/corpus.h"
#include "vocab/normalize.h"
#include "vocab/vocab.h"

typedef struct {
    NormForm norm;     /* default NORM_NFC */
    int lowercase;     /* Unicode case folding */
    int joint;         /* one table for both sides */
    int bpe_merges;    /* merges to learn per table; 0 = word vocabularies */
    long min_count;    /* word vocabularies: rarer words become <unk> (default 1) */
    long max_size;     /* word vocabularies: most tokens per table, specials included; 0 = no cap */
    int skip_invalid;  /* skip pairs with invalid UTF-8 instead of stopping */
} VocabConfig;

void vocab_config_init(VocabConfig *cfg);

/* How often each pre-token occurs; keys have their atoms separated by
 * TOK_ATOM_SEP (tokenize.h). */
typedef struct {
    StrTable words;
    int64_t *count;
    int cap;
} WordCounts;

void word_counts_add(WordCounts *wc, const char *word, size_t len, int64_t count);
void word_counts_free(WordCounts *wc);

/* Count the normalized pre-tokens of both files (out[VOCAB_SRC], out[VOCAB_TGT])
 * over the OpenMP threads. Dies on unusable input (see corpus.h). */
void vocab_count_words(const VocabConfig *cfg, const char *src_path, const char *tgt_path, WordCounts out[2],
                       CorpusStats *stats);
/* Tables from counts: BPE merges (bpe_learn) or words. */
Vocab *vocab_build_from_counts(const VocabConfig *cfg, const WordCounts counts[2]);
/* Both steps. */
Vocab *vocab_build(const VocabConfig *cfg, const char *src_path, const char *tgt_path, CorpusStats *stats);

#endif
