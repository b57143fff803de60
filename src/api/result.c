/* result.c — nmt.h: nmt_translate, nmt_score and reading their results.
 *
 * Both run on the engines behind the tools (translate_ids_at, score_ids_at)
 * with each sentence at its line position, so batches, and therefore every
 * score, are exactly those of nmt-translate and nmt-score on the same lines
 * and options. Results copy every string, so they outlive the model. */
#include <stdlib.h>
#include <string.h>

#include "api/handles.h"
#include "model/ensemble.h"

static const nmt_options *options_or_default(const nmt_options *o, nmt_options *def) {
    if (o) return o;
    api_options_default(def);
    return def;
}

static char **token_labels(const Vocab *v, VocabSide side, const int *ids, int n, int eos) {
    char **t = xmalloc(sizeof(char *) * (size_t)(n + eos + 1));
    for (int i = 0; i < n; i++) t[i] = xstrdup(vocab_token(v, side, ids[i]));
    if (eos) t[n] = xstrdup("</s>");
    return t;
}

/* Fill h from tokens (ids without </s>); att [steps][Ts] (with N > 1 heads
 * their mean) and head_att [N][steps][Ts] are taken over (may be NULL). */
static void hyp_fill(ResultHyp *h, const Vocab *v, const int *src, int Ts, const int *tokens, int len, int ended,
                     float *att, int heads, float *head_att, int want_att, int want_align) {
    h->steps = len + ended;
    h->heads = heads;
    if (want_att) h->head_att = head_att;
    else free(head_att);
    h->text = vocab_decode(v, VOCAB_TGT, tokens, len);
    h->tgt_tokens = token_labels(v, VOCAB_TGT, tokens, len, ended);
    if (want_align && att) {
        int *sw = NULL, *tw = NULL;
        h->n_pairs = align_hard(v, src, Ts, tokens, len, att, &sw, &tw);
        h->pairs = xmalloc(sizeof(int) * (size_t)(2 * h->n_pairs + 1));
        for (int k = 0; k < h->n_pairs; k++) h->pairs[2 * k] = sw[k], h->pairs[2 * k + 1] = tw[k];
        free(sw), free(tw);
    }
    if (want_att) h->att = att;
    else free(att);
}

static void hyp_free(ResultHyp *h) {
    free(h->text), free(h->att), free(h->pairs), free(h->head_att);
    for (int t = 0; h->tgt_tokens && t < h->steps; t++) free(h->tgt_tokens[t]);
    free(h->tgt_tokens);
    memset(h, 0, sizeof *h);
}

/* An empty line: one hypothesis, empty text, score 0. */
static void hyp_empty(ResultLine *L) {
    L->n = 1;
    L->hyps = xcalloc(1, sizeof(ResultHyp));
    L->hyps[0].text = xstrdup("");
}

static nmt_result *result_new(size_t n) {
    nmt_result *r = xcalloc(1, sizeof *r);
    r->n = n;
    r->lines = xcalloc(n + 1, sizeof(ResultLine));
    return r;
}

/* Encode n lines of one side; sentence k (non-empty) is line which[k];
 * cut[i] tokens of line i were left out by max_len. */
typedef struct {
    int **ids, *len, *which, n_ok;
    long *pos, *cut;
} Encoded;

static void encoded_free(Encoded *e, size_t n) {
    for (size_t i = 0; i < n; i++) free(e->ids[i]);
    free(e->ids), free(e->len), free(e->which), free(e->pos), free(e->cut);
}

static nmt_status encode_side(const Vocab *v, VocabSide side, const char *const *lines, size_t n, const char *name,
                              int max_len, Encoded *e) {
    e->ids = xcalloc(n + 1, sizeof(int *));
    e->len = xcalloc(n + 1, sizeof(int));
    e->which = xmalloc(sizeof(int) * (n + 1));
    e->pos = xmalloc(sizeof(long) * (n + 1));
    e->cut = xcalloc(n + 1, sizeof(long));
    e->n_ok = 0;
    for (size_t i = 0; i < n; i++) {
        if (!lines[i]) return api_fail(NMT_ERR_ARGUMENT, "%s line %zu is NULL", name, i + 1);
        char why[64];
        int k = vocab_encode(v, side, lines[i], strlen(lines[i]), &e->ids[i], why, sizeof why);
        if (k < 0) return api_fail(NMT_ERR_INPUT, "%s:%zu: %s", name, i + 1, why);
        /* As the tools cut; the library does not warn but reports the cut on the result. */
        e->len[i] = k < max_len ? k : max_len;
        e->cut[i] = k - e->len[i];
    }
    return NMT_OK;
}

nmt_status nmt_translate(const nmt_model *model, const nmt_options *options, const char *const *lines, size_t n,
                         nmt_result **result) {
    if (!result) return api_fail(NMT_ERR_ARGUMENT, "nmt_translate: result is NULL");
    *result = NULL;
    if (!model || (!lines && n)) return api_fail(NMT_ERR_ARGUMENT, "nmt_translate: model or lines is NULL");
    nmt_options def;
    const nmt_options *o = options_or_default(options, &def);
    if (o->t.search.nbest > o->t.search.beam)
        return api_fail(NMT_ERR_ARGUMENT, "nbest (%d) is larger than the beam (%d)", o->t.search.nbest,
                        o->t.search.beam);
    const Model *m = model->m;
    char err[512];
    if (translate_options_check_model(m, &o->t, err, sizeof err) != 0) return api_fail(NMT_ERR_ARGUMENT, "%s", err);
    if (api_prepare_int8(m) != NMT_OK) return NMT_ERR_UNSUPPORTED; /* int8 set after the load */
    Encoded e;
    nmt_status st = encode_side(m->vocab, VOCAB_SRC, lines, n, "input", o->t.max_src_len, &e);
    if (st != NMT_OK) return encoded_free(&e, n), st;
    for (size_t i = 0; i < n; i++)
        if (e.len[i] > 0) e.which[e.n_ok] = (int)i, e.pos[e.n_ok++] = (long)i;
    const int **sp = xmalloc(sizeof(int *) * (size_t)(e.n_ok + 1));
    int *sl = xmalloc(sizeof(int) * (size_t)(e.n_ok + 1));
    for (int k = 0; k < e.n_ok; k++) sp[k] = e.ids[e.which[k]], sl[k] = e.len[e.which[k]];
    TranslateOptions to = o->t;
    to.threads = api_threads(o);
    to.search.want_attention = o->attention || o->alignment;
    const int heads = translate_reads_layer(m, &to) ? 1 : ensemble_attention_heads(m); /* the layer has one */
    NBest *nb = xcalloc((size_t)e.n_ok + 1, sizeof(NBest));
    translate_ids_at(m, &to, (const int *const *)sp, sl, e.pos, e.n_ok, nb);
    nmt_result *r = result_new(n);
    for (size_t i = 0; i < n; i++) { /* empty hypotheses, replaced below for decoded lines */
        hyp_empty(&r->lines[i]);
        r->lines[i].cut = e.cut[i];
    }
    for (int k = 0; k < e.n_ok; k++) {
        const int i = e.which[k];
        ResultLine *L = &r->lines[i];
        free(L->hyps[0].text), free(L->hyps);
        L->Ts = e.len[i];
        L->src_tokens = token_labels(m->vocab, VOCAB_SRC, e.ids[i], e.len[i], 0);
        L->hyps = xcalloc((size_t)nb[k].n + 1, sizeof(ResultHyp));
        L->n = 0;
        for (int j = 0; j < nb[k].n; j++) { /* distinct texts only, as nmt-translate --nbest prints */
            Hypothesis *h = &nb[k].hyps[j];
            ResultHyp *rh = &L->hyps[L->n];
            hyp_fill(rh, m->vocab, e.ids[i], e.len[i], h->tokens, h->len, h->ended, h->attention, heads,
                     h->head_attention, o->attention, o->alignment);
            h->attention = h->head_attention = NULL; /* taken over or freed by hyp_fill */
            rh->score = h->score, rh->logprob = h->logprob;
            int dup = 0;
            for (int q = 0; q < L->n && !dup; q++) dup = !strcmp(L->hyps[q].text, rh->text);
            if (dup) hyp_free(rh);
            else L->n++;
        }
        nbest_free(&nb[k]);
    }
    free(nb), free(sp), free(sl);
    encoded_free(&e, n);
    *result = r;
    return NMT_OK;
}

nmt_status nmt_score(const nmt_model *model, const nmt_options *options, const char *const *src,
                     const char *const *tgt, size_t n, nmt_result **result) {
    if (!result) return api_fail(NMT_ERR_ARGUMENT, "nmt_score: result is NULL");
    *result = NULL;
    if (!model || ((!src || !tgt) && n)) return api_fail(NMT_ERR_ARGUMENT, "nmt_score: model, src or tgt is NULL");
    nmt_options def;
    const nmt_options *o = options_or_default(options, &def);
    const Model *m = model->m;
    if (api_prepare_int8(m) != NMT_OK) return NMT_ERR_UNSUPPORTED; /* int8 set after the load */
    ScoreOptions so;
    score_options_default(&so);
    so.batch = o->t.batch, so.threads = api_threads(o), so.max_len = o->max_len, so.quiet = 1;
    so.attention_source = o->t.attention_source;
    char err[512];
    if (score_options_check(m, &so, err, sizeof err) != 0) return api_fail(NMT_ERR_ARGUMENT, "%s", err);
    Encoded es, et;
    nmt_status st = encode_side(m->vocab, VOCAB_SRC, src, n, "source", so.max_len, &es);
    if (st == NMT_OK) st = encode_side(m->vocab, VOCAB_TGT, tgt, n, "target", so.max_len, &et);
    else memset(&et, 0, sizeof et), et.ids = xcalloc(n + 1, sizeof(int *));
    if (st != NMT_OK) return encoded_free(&es, n), encoded_free(&et, n), st;
    for (size_t i = 0; i < n; i++)
        if (es.len[i] > 0) es.which[es.n_ok] = (int)i, es.pos[es.n_ok++] = (long)i;
    const int nk = es.n_ok;
    const int **sp = xmalloc(sizeof(int *) * (size_t)(nk + 1)), **tp = xmalloc(sizeof(int *) * (size_t)(nk + 1));
    int *sl = xmalloc(sizeof(int) * (size_t)(nk + 1)), *tl = xmalloc(sizeof(int) * (size_t)(nk + 1));
    for (int k = 0; k < nk; k++) {
        const int i = es.which[k];
        sp[k] = es.ids[i], sl[k] = es.len[i], tp[k] = et.ids[i], tl[k] = et.len[i];
    }
    double *lp = xmalloc(sizeof(double) * (size_t)(nk + 1));
    const int want_att = o->attention || o->alignment;
    float **att = want_att ? xcalloc((size_t)nk + 1, sizeof(float *)) : NULL;
    score_ids_at(m, &so, (const int *const *)sp, sl, (const int *const *)tp, tl, es.pos, nk, lp, att);
    nmt_result *r = result_new(n);
    for (int k = 0; k < nk; k++) {
        ResultLine *L = &r->lines[es.which[k]];
        L->cut = es.cut[es.which[k]] + et.cut[es.which[k]];
        L->Ts = sl[k];
        L->src_tokens = token_labels(m->vocab, VOCAB_SRC, sp[k], sl[k], 0);
        L->n = 1;
        L->hyps = xcalloc(1, sizeof(ResultHyp));
        /* score_ids: the heads' mean, then (N > 1) each head's matrix; one from the alignment layer */
        const int heads = score_attention_heads(m, &so);
        const size_t plane = (size_t)(tl[k] + 1) * sl[k];
        float *head_att = NULL;
        if (att && heads > 1) {
            head_att = xmalloc(sizeof(float) * (heads * plane + 1));
            memcpy(head_att, att[k] + plane, sizeof(float) * heads * plane);
        }
        hyp_fill(&L->hyps[0], m->vocab, sp[k], sl[k], tp[k], tl[k], 1, att ? att[k] : NULL, heads, head_att,
                 o->attention, o->alignment);
        L->hyps[0].score = L->hyps[0].logprob = lp[k];
    }
    free(sp), free(tp), free(sl), free(tl), free(lp), free(att);
    encoded_free(&es, n), encoded_free(&et, n);
    *result = r;
    return NMT_OK;
}

void nmt_result_free(nmt_result *r) {
    if (!r) return;
    for (size_t i = 0; i < r->n; i++) {
        ResultLine *L = &r->lines[i];
        for (int j = 0; j < L->n; j++) hyp_free(&L->hyps[j]);
        for (int t = 0; L->src_tokens && t < L->Ts; t++) free(L->src_tokens[t]);
        free(L->src_tokens), free(L->hyps);
    }
    free(r->lines);
    free(r);
}

/* ---- accessors: NULL or 0 for anything out of range ---- */

static const ResultLine *line_at(const nmt_result *r, size_t line) { return r && line < r->n ? &r->lines[line] : NULL; }

static const ResultHyp *hyp_at(const nmt_result *r, size_t line, size_t hyp) {
    const ResultLine *L = line_at(r, line);
    return L && hyp < (size_t)L->n ? &L->hyps[hyp] : NULL;
}

size_t nmt_result_lines(const nmt_result *r) { return r ? r->n : 0; }
size_t nmt_result_hypotheses(const nmt_result *r, size_t line) {
    const ResultLine *L = line_at(r, line);
    return L ? (size_t)L->n : 0;
}
const char *nmt_result_text(const nmt_result *r, size_t line, size_t hyp) {
    const ResultHyp *h = hyp_at(r, line, hyp);
    return h ? h->text : NULL;
}
double nmt_result_score(const nmt_result *r, size_t line, size_t hyp) {
    const ResultHyp *h = hyp_at(r, line, hyp);
    return h ? h->score : 0.0;
}
double nmt_result_logprob(const nmt_result *r, size_t line, size_t hyp) {
    const ResultHyp *h = hyp_at(r, line, hyp);
    return h ? h->logprob : 0.0;
}
size_t nmt_result_steps(const nmt_result *r, size_t line, size_t hyp) {
    const ResultHyp *h = hyp_at(r, line, hyp);
    return h ? (size_t)h->steps : 0;
}
size_t nmt_result_cut(const nmt_result *r, size_t line) {
    const ResultLine *L = line_at(r, line);
    return L ? (size_t)L->cut : 0;
}
size_t nmt_result_src_tokens(const nmt_result *r, size_t line) {
    const ResultLine *L = line_at(r, line);
    return L ? (size_t)L->Ts : 0;
}
const char *nmt_result_src_token(const nmt_result *r, size_t line, size_t col) {
    const ResultLine *L = line_at(r, line);
    return L && col < (size_t)L->Ts ? L->src_tokens[col] : NULL;
}
const char *nmt_result_tgt_token(const nmt_result *r, size_t line, size_t hyp, size_t row) {
    const ResultHyp *h = hyp_at(r, line, hyp);
    return h && row < (size_t)h->steps ? h->tgt_tokens[row] : NULL;
}
const float *nmt_result_attention(const nmt_result *r, size_t line, size_t hyp, size_t *rows, size_t *cols) {
    const ResultHyp *h = hyp_at(r, line, hyp);
    const int ok = h && h->att;
    if (rows) *rows = ok ? (size_t)h->steps : 0;
    if (cols) *cols = ok ? (size_t)line_at(r, line)->Ts : 0;
    return ok ? h->att : NULL;
}
const float *nmt_result_attention_head(const nmt_result *r, size_t line, size_t hyp, size_t head, size_t *rows,
                                       size_t *cols) {
    const ResultHyp *h = hyp_at(r, line, hyp);
    const int ok = h && h->att && head < (size_t)(h->heads > 1 ? h->heads : 1);
    if (rows) *rows = ok ? (size_t)h->steps : 0;
    if (cols) *cols = ok ? (size_t)line_at(r, line)->Ts : 0;
    if (!ok) return NULL;
    /* one head: the matrix of nmt_result_attention is that head's */
    return h->head_att ? h->head_att + head * (size_t)h->steps * (size_t)line_at(r, line)->Ts : h->att;
}
size_t nmt_result_alignment(const nmt_result *r, size_t line, size_t hyp, const int **pairs) {
    const ResultHyp *h = hyp_at(r, line, hyp);
    if (pairs) *pairs = h ? h->pairs : NULL;
    return h && h->pairs ? (size_t)h->n_pairs : 0;
}
