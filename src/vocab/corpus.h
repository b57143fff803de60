/* corpus.h — reading parallel text files: the checks every reader shares,
 * and loading a whole corpus as token ids for training.
 *
 * Both files are raw text, one sentence per line, line i of one the
 * translation of line i of the other. The files must have the same number
 * of lines (checked before anything else); invalid UTF-8 stops with
 * "FILE:LINE: invalid UTF-8 at byte K" unless skip_invalid, which drops the
 * pair and counts it; pairs with an empty (or whitespace-only) side are
 * dropped and counted. CRLF, a byte-order mark and a last line without a
 * newline are accepted (LineReader). */
#ifndef NMT_VOCAB_CORPUS_H
#define NMT_VOCAB_CORPUS_H

#include <stddef.h>

#include "sys/lines.h"
#include "sys/util.h"
#include "vocab/vocab.h"

typedef struct {
    long pairs;        /* line pairs in the files */
    long kept;         /* pairs used */
    long invalid;      /* skipped: invalid UTF-8 on a side (skip_invalid) */
    long empty;        /* left out: a side empty or only whitespace */
    long too_long;     /* left out: a side over max_len tokens (corpus_load) */
    long src_tokens, tgt_tokens; /* in kept pairs (corpus_load) */
    long src_unk, tgt_unk;       /* <unk> among them */
    char first_invalid[512];     /* "FILE:LINE: invalid UTF-8 at byte K" of the first skipped pair */
} CorpusStats;

/* Number of lines of both files; dies with a message naming both files and
 * both counts when they differ, or when a file cannot be read. */
long corpus_check_line_counts(const char *src_path, const char *tgt_path);

/* One line of stats for the user, e.g. "29000 line pairs, 28998 used,
 * 2 left out as empty". */
void corpus_stats_summary(const CorpusStats *s, Buf *out);

/* Reading valid, non-empty line pairs in batches. */
typedef struct {
    int n, cap;
    Buf text[2];       /* the lines back to back, each NUL-terminated */
    size_t *off[2];    /* pair i, side s: text[s].data + off[s][i] */
    size_t *len[2];
    long *lineno;      /* 1-based line number of the pair in the files */
} LineBatch;

typedef struct {
    LineReader r[2];
    int skip_invalid;
    CorpusStats *stats;
    CorpusStats own_stats; /* used when the caller passes no stats */
} PairReader;

/* Checks the line counts (dies on a mismatch) and opens both files.
 * stats may be NULL. */
void pairreader_open(PairReader *pr, const char *src_path, const char *tgt_path, int skip_invalid, CorpusStats *stats);
/* Replace the batch's contents with up to max_pairs usable pairs; returns
 * how many (0 at the end). Dies on invalid UTF-8 unless skip_invalid. */
int pairreader_fill(PairReader *pr, LineBatch *b, int max_pairs);
void pairreader_close(PairReader *pr);
void linebatch_free(LineBatch *b);

/* A parallel corpus as ids (without <s> / </s>). */
typedef struct {
    const int *src, *tgt;
    int src_len, tgt_len;
    long line; /* 1-based line number in the files */
} CorpusPair;

typedef struct {
    int n;
    CorpusPair *pairs;
    int *ids; /* storage of every sequence */
} ParallelCorpus;

/* Load and encode both files with the vocabulary, in parallel over the
 * OpenMP threads (the result does not depend on their number). Pairs with
 * a side longer than max_len tokens are left out (max_len <= 0: no limit).
 * stats (may be NULL) gets the counts. Dies on unusable input. */
ParallelCorpus *corpus_load(const Vocab *v, const char *src_path, const char *tgt_path, int max_len, int skip_invalid,
                            CorpusStats *stats);
void corpus_free(ParallelCorpus *c);
/* The raw line (as LineReader gives it) of every pair of c, read again from
 * path, one of the two files c was loaded from: [c->n] malloc'd strings. */
char **corpus_kept_lines(const ParallelCorpus *c, const char *path);
void corpus_lines_free(char **lines, int n);

#endif
