/* scorer.c — see scorer.h. */
#include "translate/scorer.h"

#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "model/ensemble.h"
#include "model/seq2seq.h"
#include "translate/batching.h"
#include "translate/translator.h"

enum { BATCH_BUDGET_FLOATS = 1 << 25 }; /* 128 MB of activations per batch */

static const char *const ALIGN_ROW_NAMES[] = {"current", "next", NULL};

#define F(member) offsetof(ScoreOptions, member)
const FieldSpec SCORE_OPTION_FIELDS[] = {
    {NULL, "--batch", FIELD_INT, F(batch), 32, 1, 4096, .section = "",
     .help = "pairs scored together (fewer for long pairs)"},
    {NULL, "--threads", FIELD_INT, F(threads), 1, 1, 1024, .section = "",
     .help = "batches scored in parallel (default: all cores); the\n"
             "scores do not depend on it"},
    {NULL, "--max-len", FIELD_INT, F(max_len), 256, 1, 1 << 20, .section = "",
     .help = "score only the first N tokens of a longer side, with a\n"
             "warning"},
    {NULL, "--alignment", FIELD_ENUM, F(alignment), ALIGN_NONE, ALIGN_HARD, ALIGN_SOFT, NULL, ALIGN_MODE_NAMES,
     .section = "alignment",
     .help = "the forced alignment of each pair as text, with nmt-translate's\n"
             "conventions: hard = Pharaoh links SRC-TGT between the\n"
             "whitespace-separated words of the (normalized) lines, each target\n"
             "word linked to the source word its subwords attend to most\n"
             "(subword rows merged to words); soft = every weight, one group\n"
             "per target subword and </s>. Appended to each score line as\n"
             "\"LOGPROB<TAB>LENGTH ||| 0-0 1-2 2-1\""},
    {NULL, "--alignment-row", FIELD_ENUM, F(align_next), 0, 0, 1, NULL, ALIGN_ROW_NAMES, .metavar = "R",
     .section = "alignment",
     .help = "current (default): target token t's row is the attention of the\n"
             "step that predicts it (its query s_{t-1} has not seen the\n"
             "token); next: the row of step t+1, whose query s_t has\n"
             "(for analysing attention that lags one word behind)"},
    {NULL, "--alignment-head", FIELD_ENUM, F(alignment_head), 0, 0, 64, NULL, ALIGN_HEAD_NAMES, .metavar = "K|mean",
     .section = "alignment", .help = ALIGN_HEAD_HELP},
    {NULL, "--attention-source", FIELD_ENUM, F(attention_source), ATT_SOURCE_AUTO, 0, 2, NULL, ATT_SOURCE_NAMES,
     .metavar = "S", .section = "alignment", .help = ATT_SOURCE_HELP},
    {NULL, "--optimize-steps", FIELD_INT, F(optimize.steps), 0, 0, 10000, .metavar = "N", .section = "alignment",
     .help = "alignment by optimization: the alignment layer's rows of each\n"
             "pair take N gradient steps on the layer's prediction of each\n"
             "target token (plus --contiguity and --agreement) before the\n"
             "alignments and dumps read them (0: the rows as they are;\n"
             "measured best: 20, --contiguity 0.5, --agreement 10)"},
    {NULL, "--optimize-rate", FIELD_FLOAT, F(optimize.rate), 0.25, 1e-7, 1000, .metavar = "R", .section = "alignment",
     .help = "the step size of --optimize-steps on the rows' scores"},
    {NULL, "--contiguity", FIELD_FLOAT, F(optimize.contiguity), 0, 0, 1000, .metavar = "W", .section = "alignment",
     .help = "with --optimize-steps: the weight of a contiguity bias (a row\n"
             "gains when the next target token continues its strongest\n"
             "link diagonally)"},
    {NULL, "--agreement", FIELD_FLOAT, F(optimize.agreement), 0, 0, 1000, .metavar = "W", .section = "alignment",
     .help = "with --optimize-steps and --reverse-model: the weight of the\n"
             "squared difference between this direction's rows and the\n"
             "reverse model's (bidirectional agreement)"},
    {NULL, "--skip-invalid", FIELD_INT, F(skip_invalid), 0, 0, 1, NULL, NULL, FIELD_SWITCH, .section = "input errors",
     .help = "a pair with invalid UTF-8 gives an empty line and is\n"
             "counted, instead of stopping with FILE:LINE"},
    {NULL, "--quiet", FIELD_INT, F(quiet), 0, 0, 1, NULL, NULL, FIELD_SWITCH, .section = "input errors",
     .help = "no warnings and no summary on stderr"},
};
#undef F
const int SCORE_OPTION_NFIELDS = (int)(sizeof SCORE_OPTION_FIELDS / sizeof SCORE_OPTION_FIELDS[0]);

const FieldSpec *score_option_field(const char *flag) {
    return fields_find_flag(SCORE_OPTION_FIELDS, SCORE_OPTION_NFIELDS, flag);
}

void score_options_default(ScoreOptions *o) {
    memset(o, 0, sizeof *o);
    fields_set_defaults(SCORE_OPTION_FIELDS, SCORE_OPTION_NFIELDS, o);
}

int score_reads_layer(const Model *m, const ScoreOptions *o) {
    return att_source_reads_layer(o->attention_source, ensemble_attention_model(m)->cfg.alignment_layer);
}

/* The settings of alignment by optimization (scorer.h, score_options_check). */
static int score_optimize_check(const Model *m, const ScoreOptions *o, const char *name, char *err, size_t errsz) {
    const char *rev = o->reverse_name ? o->reverse_name : "the reverse model";
    const AlignOptimizeOptions *p = &o->optimize;
    if (p->steps == 0 && (o->reverse || p->contiguity != 0.0f || p->agreement != 0.0f)) {
        snprintf(err, errsz, "--reverse-model, --contiguity and --agreement need --optimize-steps N");
        return -1;
    }
    if (p->steps == 0) return 0;
    if (!score_reads_layer(m, o)) {
        snprintf(err, errsz, "--optimize-steps optimizes the alignment layer's rows, and %s has no alignment layer "
                 "or they are not the rows read (--attention-source)", name);
        return -1;
    }
    if (p->agreement != 0.0f && !o->reverse) {
        snprintf(err, errsz, "--agreement needs the other direction's model: --reverse-model FILE");
        return -1;
    }
    if (!o->reverse) return 0;
    const Model *a = ensemble_attention_model(m);
    if (o->reverse->ensemble || !o->reverse->cfg.alignment_layer) {
        snprintf(err, errsz, "%s: --reverse-model must be one model with an alignment layer", rev);
        return -1;
    }
    if (!vocab_is_joint(a->vocab) || a->vocab_len != o->reverse->vocab_len ||
        memcmp(a->vocab_bytes, o->reverse->vocab_bytes, a->vocab_len) != 0) {
        snprintf(err, errsz, "%s: --reverse-model must share %s's joint vocabulary (one file for both directions), "
                 "so that the two directions' tokens are the same", rev, name);
        return -1;
    }
    return 0;
}

int score_options_check(const Model *m, const ScoreOptions *o, char *err, size_t errsz) {
    const char *name = o->model_name ? o->model_name : "the model";
    if (att_source_check(o->attention_source, ensemble_attention_model(m)->cfg.alignment_layer, name, err, errsz))
        return -1;
    if (score_reads_layer(m, o) && o->align_next) {
        snprintf(err, errsz,
                 "--alignment-row next reads the decoder's attention, and %s's alignments come from its alignment "
                 "layer: add --attention-source decoder", name);
        return -1;
    }
    if (align_head_check(o->alignment_head, score_reads_layer(m, o) ? 1 : ensemble_attention_heads(m), err, errsz))
        return -1;
    return score_optimize_check(m, o, name, err, errsz);
}

int score_attention_heads(const Model *m, const ScoreOptions *o) {
    return score_reads_layer(m, o) ? 1 : ensemble_attention_heads(m);
}

double score_perplexity(const ScoreStats *st) { return st->tokens > 0 ? exp(-st->logprob / (double)st->tokens) : 1.0; }

/* A scoring batch costs its activations (seq2seq_forward_floats): count
 * pairs padded to the longest source and target. */
static long score_cost(const void *params, int count, int Ts, int Tt) {
    return (long)seq2seq_forward_floats(params, count, Ts, Tt);
}

static void score_one_model(const Model *m, const ScoreOptions *o, const int *const *src, const int *src_len,
                            const int *const *tgt, const int *tgt_len, const long *pos, int n, double *logprob,
                            float **att) {
    const int layer = att && att_source_reads_layer(o->attention_source, m->cfg.alignment_layer);
    int *tgt_steps = xmalloc(sizeof(int) * (size_t)(n + 1)); /* target tokens + </s> */
    for (int i = 0; i < n; i++) tgt_steps[i] = tgt_len[i] + 1;
    BatchPlan plan;
    batch_plan_make(&plan, n, src_len, tgt_steps, pos, (long)TRANSLATE_WINDOW_BATCHES * o->batch, o->batch,
                    BATCH_BUDGET_FLOATS, score_cost, &m->p);
    free(tgt_steps);
    const int threads = o->threads < plan.n_tasks ? o->threads : plan.n_tasks;
#pragma omp parallel num_threads(threads)
    {
        Arena arena = {0};
        Batch bt = {0};
        const int **sp = xmalloc(sizeof(int *) * (size_t)o->batch), **tp = xmalloc(sizeof(int *) * (size_t)o->batch);
        int *sl = xmalloc(sizeof(int) * (size_t)o->batch), *tl = xmalloc(sizeof(int) * (size_t)o->batch);
        double *nll = xmalloc(sizeof(double) * (size_t)o->batch);
        float *mean = NULL; /* [Ts] the heads' mean of one row */
#pragma omp for schedule(dynamic, 1)
        for (int j = 0; j < plan.n_tasks; j++) {
            const BatchTask *jb = &plan.tasks[j];
            const int B = jb->count, *which = plan.order + jb->start;
            for (int b = 0; b < B; b++) {
                int i = which[b];
                sp[b] = src[i], sl[b] = src_len[i], tp[b] = tgt[i], tl[b] = tgt_len[i];
            }
            batch_fill(&bt, B, (const int *const *)sp, sl, (const int *const *)tp, tl);
            arena_reset(&arena);
            Encoding enc;
            DecoderActs dec;
            seq2seq_forward(&m->p, &bt, &arena, &enc, &dec, nll);
            /* the rows: the decoder's attention [Tt][B][N][Ts], or the alignment layer's [Tt][B][Ts],
             * whose pass reads the same activations */
            const float *alpha = dec.alpha;
            int NH = dec.heads;
            if (att && layer) {
                AlignLayerActs al;
                seq2seq_align_forward(&m->p, &bt, &enc, &dec, &arena, &al);
                alpha = al.alpha, NH = 1;
            }
            if (att && NH > 1) mean = xrealloc(mean, sizeof(float) * (size_t)bt.Ts);
            for (int b = 0; b < B; b++) {
                int i = which[b];
                logprob[i] = -nll[b];
                if (!att) continue;
                const int rows = tl[b] + 1, cols = sl[b];
                const size_t plane = (size_t)rows * cols, RW = (size_t)NH * bt.Ts; /* RW: a row [N][Ts] */
                /* the mean (the only matrix for one head), then each head's */
                float *a = xmalloc(sizeof(float) * ((NH > 1 ? NH + 1 : 1) * plane + 1));
                for (int t = 0; t < rows; t++) {
                    const float *r = alpha + ((size_t)t * B + b) * RW;
                    if (NH == 1) {
                        memcpy(a + (size_t)t * cols, r, sizeof(float) * (size_t)cols);
                        continue;
                    }
                    for (int k = 0; k < NH; k++)
                        memcpy(a + (k + 1) * plane + (size_t)t * cols, r + (size_t)k * bt.Ts, sizeof(float) * cols);
                    attention_mean_row(NH, bt.Ts, r, mean); /* over the batch's columns; the sentence's come first */
                    memcpy(a + (size_t)t * cols, mean, sizeof(float) * cols);
                }
                att[i] = a;
            }
        }
        free(sp), free(tp), free(sl), free(tl), free(nll), free(mean);
        batch_free(&bt);
        arena_free(&arena);
    }
    batch_plan_free(&plan);
}

/* An ensemble's log-probability of a pair is the weighted average of its
 * models' per-token log-probabilities summed over the tokens, which is the
 * weighted average of the models' sums: each model scores the pairs with its
 * own batches (as it would alone) and the sums are averaged, in model
 * order (0.5 a + 0.5 a is exactly a). The attention is the attention model's. */
static void score_sentences(const Model *m, const ScoreOptions *o, const int *const *src, const int *src_len,
                            const int *const *tgt, const int *tgt_len, const long *pos, int n, double *logprob,
                            float **att) {
    if (n <= 0) return;
    const Ensemble *e = m->ensemble;
    if (!e) {
        score_one_model(m, o, src, src_len, tgt, tgt_len, pos, n, logprob, att);
        return;
    }
    double *lp = xmalloc(sizeof(double) * (size_t)n);
    for (int k = 0; k < e->n; k++) {
        score_one_model(e->models[k], o, src, src_len, tgt, tgt_len, pos, n, lp, k == e->attention ? att : NULL);
        for (int i = 0; i < n; i++) logprob[i] = k == 0 ? e->weight[0] * lp[i] : logprob[i] + e->weight[k] * lp[i];
    }
    free(lp);
}

void score_ids_at(const Model *m, const ScoreOptions *o, const int *const *src, const int *src_len,
                  const int *const *tgt, const int *tgt_len, const long *pos, int n, double *logprob, float **att) {
    long *own = NULL;
    if (!pos) {
        own = xmalloc(sizeof(long) * (size_t)(n + 1));
        for (int i = 0; i < n; i++) own[i] = i;
    }
    score_sentences(m, o, src, src_len, tgt, tgt_len, pos ? pos : own, n, logprob, att);
    free(own);
}

void score_ids(const Model *m, const ScoreOptions *o, const int *const *src, const int *src_len,
               const int *const *tgt, const int *tgt_len, int n, double *logprob, float **att) {
    score_ids_at(m, o, src, src_len, tgt, tgt_len, NULL, n, logprob, att);
}
