/* scorer_stream.c — score_stream (scorer.h): line pairs read in chunks,
 * encoded, scored by score_ids_at and written in input order, with the
 * forced alignments and the attention dumps. The engine and the options
 * are in scorer.c. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "attention/align_layer.h"
#include "model/ensemble.h"
#include "sys/lines.h"
#include "sys/meter.h"
#include "translate/scorer.h"
#include "translate/translator.h"

/* -1, with a message naming the alignments' file and the reason (errno of the failed write). */
static int alignments_unwritable(const ScoreOptions *o, char *err, size_t errsz) {
    snprintf(err, errsz, "%s: cannot write the alignments: %s", o->align_out_name ? o->align_out_name : "<alignments>",
             strerror(errno ? errno : EIO));
    return -1;
}

enum { PAIR_OK = 0, PAIR_EMPTY, PAIR_INVALID };

typedef struct {
    int n, cap;
    Buf text[2];
    size_t *off[2], *len[2];
    long *lineno, *pos;
    int *ids_len[2], **ids[2];
    int *status;
    double *logprob;
    float **att;
    float **att_rev; /* with a reverse model: its rows [Ts + 1][Tt] of each pair */
} PairChunk;

static void pc_reserve(PairChunk *c, int cap) {
    c->cap = cap;
    for (int s = 0; s < 2; s++) {
        c->off[s] = xmalloc(sizeof(size_t) * (size_t)cap);
        c->len[s] = xmalloc(sizeof(size_t) * (size_t)cap);
        c->ids[s] = xcalloc((size_t)cap, sizeof(int *));
        c->ids_len[s] = xmalloc(sizeof(int) * (size_t)cap);
    }
    c->lineno = xmalloc(sizeof(long) * (size_t)cap);
    c->pos = xmalloc(sizeof(long) * (size_t)cap);
    c->status = xmalloc(sizeof(int) * (size_t)cap);
    c->logprob = xmalloc(sizeof(double) * (size_t)cap);
    c->att = xcalloc((size_t)cap, sizeof(float *));
    c->att_rev = xcalloc((size_t)cap, sizeof(float *));
}

static void pc_clear(PairChunk *c) {
    for (int i = 0; i < c->n; i++) {
        for (int s = 0; s < 2; s++) free(c->ids[s][i]), c->ids[s][i] = NULL;
        free(c->att[i]), c->att[i] = NULL;
        free(c->att_rev[i]), c->att_rev[i] = NULL;
    }
    c->n = 0;
    c->text[0].len = c->text[1].len = 0;
}

static void pc_free(PairChunk *c) {
    pc_clear(c);
    for (int s = 0; s < 2; s++) free(c->off[s]), free(c->len[s]), free(c->ids[s]), free(c->ids_len[s]), buf_free(&c->text[s]);
    free(c->lineno), free(c->pos), free(c->status), free(c->logprob), free(c->att), free(c->att_rev);
}

/* One direction of pair k for align_optimize: model a's layer over the
 * source ids src [Ts] (its values into x [Ts][E]), aligning tgt [Tt] and
 * </s> (into y [Tt + 1]), rows att [Tt + 1][Ts]. */
static AlignProblem optimize_problem(const Model *a, const int *src, int Ts, const int *tgt, int Tt, float *att,
                                     float *x, int *y) {
    const AlignLayerWeights *w = &a->p.al;
    align_layer_values(a->p.enc.src_emb, w->E, src, Ts, x);
    memcpy(y, tgt, sizeof(int) * (size_t)Tt);
    y[Tt] = VOCAB_EOS;
    return (AlignProblem){.Wo = w->Wo, .bo = w->bo, .V = w->V, .E = w->E, .Tt = Tt, .Ts = Ts, .x = x, .y = y,
                          .alpha = att};
}

/* Alignment by optimization of n pairs' rows att[k] (and, with a reverse
 * model, att_rev[k], which it computes first): one pair per task, in
 * parallel; each pair's result is its own. A pair with an empty target
 * has no reverse (the reverse model's source would be empty): its rows
 * are optimized alone and att_rev[k] stays NULL. */
static void optimize_rows(const Model *m, const ScoreOptions *o, const int **sp, const int *sl, const int **tp,
                          const int *tl, const long *pos, int n, float **att, float **att_rev) {
    const Model *a = ensemble_attention_model(m), *r = o->reverse;
    if (r) {
        ScoreOptions ro = *o;
        ro.attention_source = ATT_SOURCE_ALIGNMENT, ro.alignment_head = 0, ro.align_next = 0;
        /* the pairs with a target, swapped */
        const int **rs = xmalloc(sizeof(int *) * (size_t)(n + 1)), **rt = xmalloc(sizeof(int *) * (size_t)(n + 1));
        int *rsl = xmalloc(sizeof(int) * (size_t)(n + 1)), *rtl = xmalloc(sizeof(int) * (size_t)(n + 1));
        long *rpos = xmalloc(sizeof(long) * (size_t)(n + 1));
        float **ratt = xcalloc((size_t)n + 1, sizeof(float *));
        int *which = xmalloc(sizeof(int) * (size_t)(n + 1)), nr = 0;
        for (int k = 0; k < n; k++)
            if (tl[k] > 0) rs[nr] = tp[k], rsl[nr] = tl[k], rt[nr] = sp[k], rtl[nr] = sl[k], rpos[nr] = pos[k], which[nr++] = k;
        double *lp = xmalloc(sizeof(double) * (size_t)(nr + 1));
        score_ids_at(r, &ro, (const int *const *)rs, rsl, (const int *const *)rt, rtl, rpos, nr, lp, ratt);
        for (int i = 0; i < nr; i++) att_rev[which[i]] = ratt[i];
        free(rs), free(rt), free(rsl), free(rtl), free(rpos), free(ratt), free(which), free(lp);
    }
#pragma omp parallel for schedule(dynamic, 1) num_threads(o->threads)
    for (int k = 0; k < n; k++) {
        const int Ts = sl[k], Tt = tl[k], E = a->p.al.E, Er = r ? r->p.al.E : 0; /* the two may differ in size */
        float *x = xmalloc(sizeof(float) * ((size_t)Ts * E + (size_t)Tt * Er + 1));
        int *y = xmalloc(sizeof(int) * (size_t)(Ts + Tt + 2));
        AlignProblem p[2];
        AlignProblem *dir[2] = {&p[0], &p[1]};
        p[0] = optimize_problem(a, sp[k], Ts, tp[k], Tt, att[k], x, y);
        const int both = r && att_rev[k];
        if (both) p[1] = optimize_problem(r, tp[k], Tt, sp[k], Ts, att_rev[k], x + (size_t)Ts * E, y + Tt + 1);
        align_optimize(dir, both ? 2 : 1, &o->optimize, NULL);
        free(x), free(y);
    }
}

static int pc_score(const Model *m, const ScoreOptions *o, PairChunk *c, const char *name[2], int want_att,
                    ScoreStats *st, char *err, size_t errsz) {
    const int n = c->n;
    char (*why)[2][64] = xmalloc(sizeof(*why) * (size_t)(n + 1));
    /* encoding on the calling thread, as in translator.c */
    for (int i = 0; i < n; i++) {
        c->status[i] = PAIR_OK;
        for (int s = 0; s < 2; s++) {
            why[i][s][0] = '\0';
            const char *text = c->text[s].data + c->off[s][i];
            int k = vocab_encode(m->vocab, s == 0 ? VOCAB_SRC : VOCAB_TGT, text, c->len[s][i], &c->ids[s][i],
                                 why[i][s], sizeof why[i][s]);
            c->ids_len[s][i] = k < 0 ? 0 : k;
            if (k < 0) c->status[i] = PAIR_INVALID;
        }
        if (c->status[i] == PAIR_OK && c->ids_len[0][i] == 0) c->status[i] = PAIR_EMPTY;
    }
    int n_ok = 0, rc = 0;
    for (int i = 0; i < n && rc == 0; i++) {
        st->pairs++;
        if (c->status[i] == PAIR_INVALID) {
            int s = why[i][0][0] ? 0 : 1;
            char msg[sizeof st->first_invalid];
            snprintf(msg, sizeof msg, "%s:%ld: %s", name[s], c->lineno[i], why[i][s]);
            if (!o->skip_invalid) {
                snprintf(err, errsz, "%s", msg);
                rc = -1;
            } else if (st->invalid++ == 0) {
                snprintf(st->first_invalid, sizeof st->first_invalid, "%s", msg);
            }
            continue;
        }
        if (c->status[i] == PAIR_EMPTY) {
            st->empty++;
            continue;
        }
        int cut = 0;
        for (int s = 0; s < 2; s++)
            if (c->ids_len[s][i] > o->max_len) {
                if (!o->quiet)
                    warn("%s:%ld: %d tokens; only the first %d are scored (see --max-len)", name[s], c->lineno[i],
                         c->ids_len[s][i], o->max_len);
                c->ids_len[s][i] = o->max_len;
                cut = 1;
            }
        st->cut += cut;
        n_ok++;
    }
    free(why);
    if (rc != 0) return rc;
    const int **sp = xmalloc(sizeof(int *) * (size_t)(n_ok + 1)), **tp = xmalloc(sizeof(int *) * (size_t)(n_ok + 1));
    int *sl = xmalloc(sizeof(int) * (size_t)(n_ok + 1)), *tl = xmalloc(sizeof(int) * (size_t)(n_ok + 1));
    int *which = xmalloc(sizeof(int) * (size_t)(n_ok + 1));
    long *pos = xmalloc(sizeof(long) * (size_t)(n_ok + 1));
    double *lp = xmalloc(sizeof(double) * (size_t)(n_ok + 1));
    float **att = want_att ? xcalloc((size_t)n_ok + 1, sizeof(float *)) : NULL;
    int k = 0;
    for (int i = 0; i < n; i++)
        if (c->status[i] == PAIR_OK) {
            sp[k] = c->ids[0][i], sl[k] = c->ids_len[0][i], tp[k] = c->ids[1][i], tl[k] = c->ids_len[1][i];
            pos[k] = c->pos[i], which[k++] = i;
        }
    score_ids_at(m, o, (const int *const *)sp, sl, (const int *const *)tp, tl, pos, n_ok, lp, att);
    float **att_rev = att && o->reverse ? xcalloc((size_t)n_ok + 1, sizeof(float *)) : NULL;
    if (att && o->optimize.steps > 0) optimize_rows(m, o, sp, sl, tp, tl, pos, n_ok, att, att_rev);
    for (k = 0; k < n_ok; k++) {
        int i = which[k];
        c->logprob[i] = lp[k];
        if (att) c->att[i] = att[k];
        if (att_rev) c->att_rev[i] = att_rev[k];
        st->scored++;
        st->tokens += tl[k] + 1;
        st->logprob += lp[k];
    }
    free(sp), free(tp), free(sl), free(tl), free(which), free(pos), free(lp), free(att), free(att_rev);
    return 0;
}

/* Pair i's forced alignment. The matrix has tgt_len + 1 rows (the last
 * for </s>); align_next reads rows 1 .. tgt_len instead of 0 .. tgt_len - 1. */
static void put_alignment(const Model *m, const ScoreOptions *o, const PairChunk *c, int i, Buf *out) {
    const int Ts = c->ids_len[0][i], Tt = c->ids_len[1][i];
    /* the matrices: the heads' mean, then (N > 1 heads) head 1 .. N (score_ids) */
    const size_t head = score_attention_heads(m, o) > 1 ? (size_t)o->alignment_head : 0;
    const float *att = c->att[i] + head * (size_t)(Tt + 1) * Ts + (o->align_next ? Ts : 0);
    if (o->alignment == ALIGN_HARD) align_hard_string(m->vocab, c->ids[0][i], Ts, c->ids[1][i], Tt, att, out);
    else align_soft_string(att, o->align_next ? Tt : Tt + 1, Ts, out);
}

/* Pair i's links from the reverse model's rows [Ts + 1][Tt] (its source is
 * this direction's target), written as this direction's SRC-TGT pairs. */
static void put_reverse_alignment(const Model *m, const PairChunk *c, int i, Buf *out) {
    const int Ts = c->ids_len[0][i], Tt = c->ids_len[1][i];
    int *rs, *rt; /* the reverse model's pairs: its source words (ours, target), its target words (ours, source) */
    const int n = align_hard(m->vocab, c->ids[1][i], Tt, c->ids[0][i], Ts, c->att_rev[i], &rs, &rt);
    align_pairs_string(rt, rs, n, out); /* flipped into this direction's SRC-TGT */
    free(rs), free(rt);
}

int score_stream(const Model *m, const ScoreOptions *o, LineReader *src, LineReader *tgt, FILE *out, AttDump *dump,
                 ScoreStats *st, char *err, size_t errsz) {
    ScoreStats local;
    if (!st) st = &local;
    memset(st, 0, sizeof *st);
    if (o->batch < 1 || o->threads < 1 || o->max_len < 1) {
        snprintf(err, errsz, "batch, threads and the maximum length must be at least 1");
        return -1;
    }
    const int heads = score_attention_heads(m, o);
    if (score_options_check(m, o, err, errsz) != 0) return -1;
    const int cap = (linereader_is_tty(src) || linereader_is_tty(tgt)) ? 1
                                                                          : TRANSLATE_WINDOW_BATCHES * o->batch * o->threads;
    const char *name[2] = {src->path, tgt->path};
    PairChunk c = {0};
    pc_reserve(&c, cap);
    Buf line = {0}, alines = {0};
    int rc = 0;
    long position = 0;
    Meter meter; /* a progress line on a terminal when the source is a file */
    meter_start(&meter, src, o->quiet);
    for (;;) {
        meter_update(&meter, position);
        pc_clear(&c);
        while (c.n < cap) {
            int a = linereader_next(src), b = linereader_next(tgt);
            if (a != b) {
                snprintf(err, errsz, "%s has %ld lines but %s has %s", a ? tgt->path : src->path,
                         a ? tgt->lineno : src->lineno, a ? src->path : tgt->path, "more");
                rc = -1;
                break;
            }
            if (!a) break;
            LineReader *r[2] = {src, tgt};
            for (int s = 0; s < 2; s++) {
                c.off[s][c.n] = c.text[s].len;
                c.len[s][c.n] = r[s]->len;
                buf_append(&c.text[s], r[s]->line, r[s]->len);
                buf_append(&c.text[s], "", 1);
            }
            c.lineno[c.n] = src->lineno;
            c.pos[c.n] = position++;
            c.n++;
        }
        if (rc != 0 || c.n == 0) break;
        const int want_att = dump != NULL || o->alignment != ALIGN_NONE || o->reverse_out;
        if ((rc = pc_score(m, o, &c, name, want_att, st, err, errsz)) != 0) break;
        for (int i = 0; i < c.n && rc == 0; i++) {
            line.len = 0;
            if (c.status[i] == PAIR_OK) buf_printf(&line, "%.6f\t%d", c.logprob[i], c.ids_len[1][i] + 1);
            if (o->alignment != ALIGN_NONE) {
                Buf *ab = o->align_out ? &alines : &line;
                if (o->align_out) alines.len = 0;
                else if (c.status[i] == PAIR_OK) buf_puts(ab, " ||| ");
                if (c.status[i] == PAIR_OK) put_alignment(m, o, &c, i, ab);
                if (o->align_out) buf_puts(ab, "\n");
                if (o->align_out && fwrite(alines.data, 1, alines.len, o->align_out) != alines.len)
                    rc = alignments_unwritable(o, err, errsz);
            }
            if (o->reverse_out && rc == 0) {
                alines.len = 0;
                if (c.status[i] == PAIR_OK && c.att_rev[i]) put_reverse_alignment(m, &c, i, &alines);
                buf_puts(&alines, "\n");
                if (fwrite(alines.data, 1, alines.len, o->reverse_out) != alines.len) {
                    snprintf(err, errsz, "%s: cannot write the alignments: %s", o->reverse_out_name,
                             strerror(errno ? errno : EIO));
                    rc = -1;
                }
            }
            buf_puts(&line, "\n");
            if (fwrite(line.data, 1, line.len, out) != line.len) {
                snprintf(err, errsz, "cannot write the scores: write error");
                rc = -1;
            }
            if (rc == 0 && dump) {
                if (c.status[i] == PAIR_OK)
                    rc = attdump_write_ids_heads(dump, c.lineno[i], m->vocab, c.ids[0][i], c.ids_len[0][i],
                                                 c.ids[1][i], c.ids_len[1][i], 1, c.att[i], heads,
                                                 heads > 1 ? c.att[i] + (size_t)(c.ids_len[1][i] + 1) * c.ids_len[0][i]
                                                           : NULL,
                                                 err, errsz);
                else rc = attdump_write_ids(dump, c.lineno[i], m->vocab, NULL, 0, NULL, 0, 0, NULL, err, errsz);
            }
        }
        if (rc == 0 && (fflush(out) != 0 || ferror(out))) {
            snprintf(err, errsz, "cannot write the scores: write error");
            rc = -1;
        }
        if (rc != 0) break;
    }
    meter_end(&meter);
    pc_free(&c);
    buf_free(&line), buf_free(&alines);
    if (rc == 0 && o->align_out && (fflush(o->align_out) != 0 || ferror(o->align_out)))
        rc = alignments_unwritable(o, err, errsz);
    return rc;
}
