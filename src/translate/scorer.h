/* scorer.h — the model's log-probability of given translations (teacher
 * forcing), the engine behind nmt-score, with forced-alignment attention.
 *
 * Pairs are read in chunks, sorted by length inside windows of
 * TRANSLATE_WINDOW_BATCHES x batch consecutive pairs, cut into batches (at
 * most `batch` pairs, fewer when the activations would pass a memory
 * budget of about 128 MB per batch), scored in parallel with
 * seq2seq_forward, and written in input order. The result does not depend
 * on the thread count.
 *
 * For each pair: log P(target | source) = sum over the target tokens and
 * the final </s> of log p(token), and the length (target tokens + 1).
 * A pair with an empty source gives an empty line and is left out of the
 * totals (the model never saw an empty source); an empty target is scored
 * (its length is 1, the </s>). Invalid UTF-8 stops with
 * "FILE:LINE: invalid UTF-8 at byte K" unless skip_invalid (empty line,
 * counted). A side longer than max_len tokens is cut, with a warning.
 *
 * scorer.c holds the options and the engine on ids (score_ids*),
 * scorer_stream.c the line pairs read, scored and written (score_stream). */
#ifndef NMT_SCORER_H
#define NMT_SCORER_H

#include <stdio.h>

#include "attention/align_optimize.h"
#include "model/saved.h"
#include "sys/fields.h"
#include "sys/lines.h"
#include "sys/util.h"
#include "translate/alignment.h"
#include "translate/attention_dump.h"

typedef struct {
    int batch;        /* pairs per batch (default 32) */
    int threads;      /* batches scored at once (default 1) */
    int max_len;      /* tokens per side (default 256) */
    int skip_invalid;
    int quiet;        /* no warnings on stderr */
    /* Forced alignment as text (translate/alignment.h, the conventions of
     * nmt-translate --alignment): appended to each score line after " ||| ",
     * or, with align_out, written there alone, one line per pair (empty for
     * a pair not scored), ready for nmt-align --score / --symmetrize. */
    AlignMode alignment;
    int align_next;   /* take target token t's row from step t + 1 (the query s_t, which has read y_t) */
    FILE *align_out;
    const char *align_out_name; /* align_out's path, for messages */
    int alignment_head; /* the attention the alignment reads: 0 the heads' mean, K head K (1-based) */
    /* Where the rows of the alignments and the dumps come from: AttSource
     * (alignment.h; auto: the alignment layer when the model has one, else
     * the decoder's attention). The layer's row t aligns target token t (its query has
     * seen it); its last row is </s>'s. */
    int attention_source;
    const char *model_name; /* the (attention) model's path, for messages, or NULL */
    /* Alignment by optimization (attention/align_optimize.h): with
     * optimize.steps > 0 the alignment layer's rows of each pair take that
     * many gradient steps before the alignments and dumps read them. With
     * a reverse model (the other direction, sharing the joint vocabulary)
     * both directions' rows are optimized together (the agreement term
     * couples them), and with reverse_out the reverse model's links are
     * written there, as SRC-TGT pairs of this direction. */
    AlignOptimizeOptions optimize;
    const Model *reverse;
    const char *reverse_name;
    FILE *reverse_out;
    const char *reverse_out_name;
} ScoreOptions;

/* The options' table (nmt-score, the C API's scoring setters). */
extern const FieldSpec SCORE_OPTION_FIELDS[];
extern const int SCORE_OPTION_NFIELDS;
const FieldSpec *score_option_field(const char *flag);

void score_options_default(ScoreOptions *o);
/* 1 when the rows come from the alignment layer of m's attention model. */
int score_reads_layer(const Model *m, const ScoreOptions *o);
/* The heads of the rows score_ids returns: the attention model's, or 1
 * when they come from the alignment layer. */
int score_attention_heads(const Model *m, const ScoreOptions *o);
/* 0 when o can score with m, else -1 with a message: the alignment layer
 * asked of a model without one (naming o->model_name), --alignment-row next
 * with the layer's rows, a head the attention does not have; optimization
 * without the layer's rows, agreement without a
 * reverse model, a reverse model without the layer or with another
 * vocabulary (naming o->reverse_name). */
int score_options_check(const Model *m, const ScoreOptions *o, char *err, size_t errsz);

typedef struct {
    long pairs;        /* line pairs read */
    long scored;
    long empty;        /* pairs with an empty source (not scored) */
    long invalid;      /* pairs skipped for invalid UTF-8 */
    long cut;          /* pairs with a side cut to max_len */
    long tokens;       /* target tokens scored, one </s> per pair included */
    double logprob;    /* summed over the scored pairs */
    char first_invalid[256];
} ScoreStats;

/* exp(-logprob / tokens): the corpus perplexity (1 when nothing was scored). */
double score_perplexity(const ScoreStats *st);

/* Score line pairs of src and tgt, writing "LOGPROB<TAB>LENGTH" per pair
 * to out. dump (may be NULL) receives each pair's attention, id = line
 * number. Returns 0, or -1 with err (invalid UTF-8, files of different
 * lengths, a write error). */
int score_stream(const Model *m, const ScoreOptions *o, LineReader *src, LineReader *tgt, FILE *out, AttDump *dump,
                 ScoreStats *st, char *err, size_t errsz);

/* Score n pairs of ids (sources non-empty, no </s>). logprob[i] gets the
 * log-probability; when att is not NULL, att[i] gets a malloc'd
 * [(tgt_len[i] + 1)][src_len[i]] attention matrix; with N > 1 heads it is
 * the heads' mean, followed by N more such matrices, head 1 .. N. From
 * the alignment layer (score_reads_layer) it is the layer's one matrix. */
void score_ids(const Model *m, const ScoreOptions *o, const int *const *src, const int *src_len,
               const int *const *tgt, const int *tgt_len, int n, double *logprob, float **att);
/* The same with pos[i] pair i's 0-based line position (NULL: 0..n-1), so the
 * batches are score_stream's for the same lines (the C API's nmt_score). */
void score_ids_at(const Model *m, const ScoreOptions *o, const int *const *src, const int *src_len,
                  const int *const *tgt, const int *tgt_len, const long *pos, int n, double *logprob, float **att);

#endif
