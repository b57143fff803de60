/* translator.h — raw text in, translations out: the engine behind
 * nmt-translate (and the benchmark).
 *
 * Lines are read in chunks. Each chunk is encoded (vocab_encode), cut into
 * sort windows of WINDOW_BATCHES x batch consecutive lines; inside a window
 * the sentences are sorted by length and cut into batches (at most `batch`
 * sentences, and fewer for long sentences, so a batch holds about
 * batch x 64 source tokens at most). The batches of a chunk are decoded in
 * parallel (OpenMP, one single-threaded beam search per batch), then the
 * chunk's results are written in input order before the next chunk is read:
 * output streams, and memory stays bounded whatever the input size. Batches
 * depend only on the input and `batch`, never on the thread count, so the
 * output is the same for any --threads.
 *
 * Every input line gives exactly one output line (or, with n-best output,
 * its n-best entries). Empty lines give empty output without decoding.
 * Invalid UTF-8 stops with "FILE:LINE: invalid UTF-8 at byte K", or with
 * skip_invalid gives an empty line and is counted. A source longer than
 * max_src_len tokens is cut to its first max_src_len tokens, with a warning;
 * the output length is bounded by the search (max_len_ratio x source
 * length + 10 tokens, at most 1024). */
#ifndef NMT_TRANSLATOR_H
#define NMT_TRANSLATOR_H

#include <stdio.h>

#include "model/saved.h"
#include "search/search.h"
#include "sys/fields.h"
#include "sys/lines.h"
#include "sys/util.h"
#include "translate/alignment.h"
#include "translate/attention_dump.h"

enum { TRANSLATE_WINDOW_BATCHES = 8 };

typedef struct {
    SearchOptions search; /* beam (1 = greedy decoding), nbest, length_penalty, max_len_ratio */
    int batch;            /* sentences per batch (default 32) */
    int threads;          /* batches decoded at once (default 1; the tool uses all cores) */
    int max_src_len;      /* source tokens translated per line (default 512) */
    int skip_invalid;     /* invalid UTF-8: write an empty line and count it */
    int print_nbest;      /* Moses n-best lines "ID ||| translation ||| score" */
    AlignMode alignment;  /* append " ||| " and the word alignment */
    int quiet;            /* no warnings on stderr */
    int alignment_head;   /* the attention the alignment reads: 0 the heads' mean, K head K (1-based) */
    /* Where the rows of the alignments and the attention come from: AttSource
     * (alignment.h). From the alignment layer, each final hypothesis gets a
     * forced pass of the layer over it (the scorer's, score_ids), and its
     * row t aligns output token t. */
    int attention_source;
    const char *model_name; /* the (attention) model's path, for messages, or NULL */
} TranslateOptions;

/* The options' table: flags, ranges, defaults and help, read by
 * nmt-translate, the C API's setters and (through nmt_option_info) the
 * Python module. */
extern const FieldSpec TRANSLATE_OPTION_FIELDS[];
extern const int TRANSLATE_OPTION_NFIELDS;
/* The row of a flag of TRANSLATE_OPTION_FIELDS or SEARCH_OPTION_FIELDS, for its range ("--beam"). */
const FieldSpec *translate_option_field(const char *flag);

void translate_options_default(TranslateOptions *o);
/* 0 when the options are consistent, else -1 with a message. */
int translate_options_check(const TranslateOptions *o, char *err, size_t errsz);

/* 1 when the rows come from the alignment layer of m's attention model. */
int translate_reads_layer(const Model *m, const TranslateOptions *o);
/* 0 when o can translate with m, else -1 with a message: the alignment
 * layer asked of a model without one (naming o->model_name), a head the
 * attention does not have (the layer's rows are one head's). */
int translate_options_check_model(const Model *m, const TranslateOptions *o, char *err, size_t errsz);

typedef struct {
    long lines;      /* input lines */
    long translated; /* lines decoded */
    long empty;      /* empty lines (empty output, not decoded) */
    long invalid;    /* lines with invalid UTF-8 skipped (skip_invalid) */
    long cut;        /* sources cut to max_src_len */
    long src_tokens; /* source tokens decoded */
    long out_tokens; /* output tokens of the best hypotheses (without </s>) */
    char first_invalid[256]; /* "FILE:LINE: invalid UTF-8 at byte K" of the first skipped line */
} TranslateStats;

/* Translate every line of in, writing to out (flushed after every chunk;
 * one line at a time when the input is a terminal). dump (may be NULL)
 * receives the attention of every line's best translation, id = line
 * number. Returns 0, or -1 with a message in err (invalid UTF-8 without
 * skip_invalid, a write error); the lines before the bad one's chunk have
 * been written. st may be NULL. */
int translate_stream(const Model *m, const TranslateOptions *o, LineReader *in, FILE *out, AttDump *dump,
                     TranslateStats *st, char *err, size_t errsz);

/* Translate n lines held in memory (what the benchmark calls). out[i]
 * receives what translate_stream would print for line i, malloc'd, without
 * the final newline (n-best entries are separated by newlines). Errors name
 * the line as "input:N: ...". Returns 0, or -1 with err (then out holds
 * nothing to free). */
int translate_lines(const Model *m, const TranslateOptions *o, const char *const *lines, int n, char **out,
                    TranslateStats *st, char *err, size_t errsz);

/* Decode n encoded sentences (each non-empty) with the options' search,
 * batched and parallel exactly as above; out[i] receives sentence i's
 * hypotheses (free with nbest_free). For tests and tools that encode
 * themselves. */
void translate_ids(const Model *m, const TranslateOptions *o, const int *const *src, const int *src_len, int n,
                   NBest *out);
/* The same with pos[i] the 0-based input line position of sentence i
 * (empty lines counted; NULL means 0..n-1): it decides the sort window, so
 * the batches, and every score, are those translate_stream makes for the
 * same lines (the C API's nmt_translate). */
void translate_ids_at(const Model *m, const TranslateOptions *o, const int *const *src, const int *src_len,
                      const long *pos, int n, NBest *out);

#endif
