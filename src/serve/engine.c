/* engine.c — see engine.h. */
#include "serve/engine.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "search/search.h"
#include "sys/util.h"
#include "translate/alignment.h"
#include "translate/attention_marks.h"
#include "translate/scorer.h"
#include "translate/translator.h"

/* rows x cols floats as one raw JSON array of arrays, each weight with
 * the 9 significant digits that give its float back. */
static cJSON *matrix_json(const float *a, int rows, int cols) {
    Buf b = {0};
    buf_puts(&b, "[");
    for (int r = 0; r < rows; r++) {
        buf_puts(&b, r ? ",[" : "[");
        for (int c = 0; c < cols; c++) {
            const float w = a[(size_t)r * cols + c];
            if (isfinite(w)) buf_printf(&b, "%s%.9g", c ? "," : "", (double)w);
            else buf_printf(&b, "%snull", c ? "," : "");
        }
        buf_puts(&b, "]");
    }
    buf_puts(&b, "]");
    cJSON *j = cJSON_CreateRaw(b.data);
    buf_free(&b);
    return j;
}

static cJSON *tokens_json(const Vocab *v, VocabSide side, const int *ids, int n, int eos) {
    cJSON *a = cJSON_CreateArray();
    for (int i = 0; i < n; i++) cJSON_AddItemToArray(a, cJSON_CreateString(vocab_token(v, side, ids[i])));
    if (eos) cJSON_AddItemToArray(a, cJSON_CreateString("</s>"));
    return a;
}

static cJSON *pair_json(int a, int b) {
    const int p[2] = {a, b};
    return cJSON_CreateIntArray(p, 2);
}

/* The word links of att (as --alignment hard prints them) and the
 * subword cells they mark (as the html dumps outline them). */
static void add_links(cJSON *o, const Vocab *v, const int *src, int Ts, const int *tgt, int len, int rows,
                      const float *att) {
    cJSON *al = cJSON_AddArrayToObject(o, "alignment"), *cells = cJSON_AddArrayToObject(o, "links");
    if (!att || Ts == 0) return;
    int *sw = NULL, *tw = NULL;
    const int n = align_hard(v, src, Ts, tgt, len, att, &sw, &tw);
    for (int k = 0; k < n; k++) cJSON_AddItemToArray(al, pair_json(sw[k], tw[k]));
    free(sw), free(tw);
    MarkCounts counts;
    unsigned char *marks = attention_marks(v, src, Ts, tgt, len, rows, att, 1, NULL, 0, &counts);
    for (int r = 0; r < rows; r++)
        for (int c = 0; c < Ts; c++)
            if (marks[(size_t)r * Ts + c] & MARK_MODEL) cJSON_AddItemToArray(cells, pair_json(r, c));
    free(marks);
}

/* One hypothesis: its text (decoded once, by the caller), numbers, labels, links, attention. */
static cJSON *hyp_json(const Vocab *v, const ServeRequest *r, const int *src, int Ts, const Hypothesis *h,
                       const char *text) {
    cJSON *o = cJSON_CreateObject();
    const int rows = h->len + h->ended;
    cJSON_AddStringToObject(o, "text", text);
    cJSON_AddNumberToObject(o, "score", h->score);
    cJSON_AddNumberToObject(o, "logprob", h->logprob);
    cJSON_AddNumberToObject(o, "steps", rows);
    cJSON_AddItemToObject(o, "tgt_tokens", tokens_json(v, VOCAB_TGT, h->tokens, h->len, h->ended));
    if (r->alignment) add_links(o, v, src, Ts, h->tokens, h->len, rows, h->attention);
    if (r->attention)
        cJSON_AddItemToObject(o, "attention", h->attention ? matrix_json(h->attention, rows, Ts) : cJSON_CreateArray());
    return o;
}

/* The fields of the best hypothesis again at the top of the line's object. */
static void copy_best(cJSON *line, const cJSON *best) {
    for (const cJSON *it = best->child; it; it = it->next)
        cJSON_AddItemToObject(line, it->string, cJSON_Duplicate(it, 1));
}

/* An empty line (or one of no tokens): an empty translation, score 0, as
 * nmt-translate prints it ("ID |||  ||| 0.000000" in n-best lists). */
static cJSON *empty_line(const ServeRequest *r) {
    Hypothesis h;
    memset(&h, 0, sizeof h);
    cJSON *line = cJSON_CreateObject(), *best = hyp_json(NULL, r, NULL, 0, &h, "");
    copy_best(line, best);
    cJSON_AddItemToObject(line, "src_tokens", cJSON_CreateArray());
    cJSON *nb = cJSON_AddArrayToObject(line, "nbest");
    cJSON_AddItemToArray(nb, best);
    return line;
}

static char *print_answer(cJSON *root) {
    char *text = cJSON_PrintUnformatted(root);
    cJSON_Delete(root);
    if (!text) die("out of memory (a JSON answer)"); /* as every allocation (sys/util.h) */
    return text;
}

void engine_translate(const Model *m, const char *model_name, ServeRequest *const *reqs, int k, char **out) {
    const Vocab *v = m->vocab;
    const ServeRequest *r0 = reqs[0];
    int total = 0;
    for (int j = 0; j < k; j++) total += reqs[j]->n;
    /* every line encoded (checked as UTF-8 before it was queued); the
     * non-empty ones decoded at their positions in the joined input */
    int **ids = xcalloc((size_t)total + 1, sizeof(int *)), *len = xcalloc((size_t)total + 1, sizeof(int));
    long *cut = xcalloc((size_t)total + 1, sizeof(long)), *pos = xmalloc(sizeof(long) * ((size_t)total + 1));
    const int **sp = xmalloc(sizeof(int *) * ((size_t)total + 1));
    int *sl = xmalloc(sizeof(int) * ((size_t)total + 1)), *which = xmalloc(sizeof(int) * ((size_t)total + 1));
    int n_ok = 0;
    for (int j = 0, i = 0; j < k; j++)
        for (int l = 0; l < reqs[j]->n; l++, i++) {
            const char *s = reqs[j]->src[l];
            char why[64];
            int n = *s ? vocab_encode(v, VOCAB_SRC, s, strlen(s), &ids[i], why, sizeof why) : 0;
            if (n < 0) n = 0; /* cannot happen: request.c refused invalid UTF-8 */
            len[i] = n < r0->to.max_src_len ? n : r0->to.max_src_len; /* cut as the tool cuts */
            cut[i] = n - len[i];
            if (len[i] > 0) sp[n_ok] = ids[i], sl[n_ok] = len[i], pos[n_ok] = i, which[n_ok++] = i;
        }
    TranslateOptions to = r0->to;
    to.search.want_attention = r0->attention || r0->alignment;
    NBest *nb = xcalloc((size_t)n_ok + 1, sizeof(NBest));
    translate_ids_at(m, &to, (const int *const *)sp, sl, pos, n_ok, nb);
    NBest **of_line = xcalloc((size_t)total + 1, sizeof(NBest *));
    for (int q = 0; q < n_ok; q++) of_line[which[q]] = &nb[q];
    for (int j = 0, i = 0; j < k; j++) {
        const ServeRequest *r = reqs[j];
        cJSON *root = cJSON_CreateObject(), *lines;
        cJSON_AddStringToObject(root, "model", model_name);
        lines = cJSON_AddArrayToObject(root, "translations");
        for (int l = 0; l < r->n; l++, i++) {
            const NBest *b = of_line[i];
            if (!b || b->n == 0) {
                cJSON *line = empty_line(r);
                if (cut[i]) cJSON_AddNumberToObject(line, "cut", (double)cut[i]);
                cJSON_AddItemToArray(lines, line);
                continue;
            }
            cJSON *line = cJSON_CreateObject(), *list = cJSON_CreateArray();
            /* the distinct texts, best first, as nmt-translate --nbest prints them */
            char **seen = xmalloc(sizeof(char *) * (size_t)b->n);
            int nseen = 0;
            for (int h = 0; h < b->n; h++) {
                char *text = vocab_decode(v, VOCAB_TGT, b->hyps[h].tokens, b->hyps[h].len);
                int dup = 0;
                for (int q = 0; q < nseen && !dup; q++) dup = !strcmp(seen[q], text);
                if (dup) {
                    free(text);
                    continue;
                }
                seen[nseen++] = text;
                cJSON_AddItemToArray(list, hyp_json(v, r, ids[i], len[i], &b->hyps[h], text));
            }
            for (int q = 0; q < nseen; q++) free(seen[q]);
            free(seen);
            copy_best(line, list->child);
            cJSON_AddItemToObject(line, "src_tokens", tokens_json(v, VOCAB_SRC, ids[i], len[i], 0));
            cJSON_AddItemToObject(line, "nbest", list);
            if (cut[i]) cJSON_AddNumberToObject(line, "cut", (double)cut[i]);
            cJSON_AddItemToArray(lines, line);
        }
        out[j] = print_answer(root);
    }
    for (int q = 0; q < n_ok; q++) nbest_free(&nb[q]);
    for (int i = 0; i < total; i++) free(ids[i]);
    free(nb), free(of_line), free(ids), free(len), free(cut), free(pos), free(sp), free(sl), free(which);
}

char *engine_score(const Model *m, const char *model_name, const ServeRequest *r) {
    const Vocab *v = m->vocab;
    const int n = r->n, max_len = r->so.max_len;
    int **ids[2], *len[2];
    long *cut = xcalloc((size_t)n + 1, sizeof(long));
    for (int s = 0; s < 2; s++) {
        ids[s] = xcalloc((size_t)n + 1, sizeof(int *));
        len[s] = xcalloc((size_t)n + 1, sizeof(int));
        char **lines = s == 0 ? r->src : r->tgt;
        for (int i = 0; i < n; i++) {
            char why[64];
            int k = vocab_encode(v, s == 0 ? VOCAB_SRC : VOCAB_TGT, lines[i], strlen(lines[i]), &ids[s][i], why,
                                 sizeof why);
            if (k < 0) k = 0; /* cannot happen: request.c refused invalid UTF-8 */
            len[s][i] = k < max_len ? k : max_len; /* both sides cut as nmt-score cuts */
            cut[i] += k - len[s][i];
        }
    }
    const int **sp = xmalloc(sizeof(int *) * ((size_t)n + 1)), **tp = xmalloc(sizeof(int *) * ((size_t)n + 1));
    int *sl = xmalloc(sizeof(int) * ((size_t)n + 1)), *tl = xmalloc(sizeof(int) * ((size_t)n + 1));
    int *slot = xmalloc(sizeof(int) * ((size_t)n + 1));
    long *pos = xmalloc(sizeof(long) * ((size_t)n + 1));
    int n_ok = 0;
    for (int i = 0; i < n; i++) {
        slot[i] = -1;
        if (len[0][i] == 0) continue; /* an empty source is not scored (nmt-score's empty line) */
        sp[n_ok] = ids[0][i], sl[n_ok] = len[0][i], tp[n_ok] = ids[1][i], tl[n_ok] = len[1][i];
        pos[n_ok] = i, slot[i] = n_ok++;
    }
    double *lp = xmalloc(sizeof(double) * ((size_t)n_ok + 1));
    const int want_att = r->attention || r->alignment;
    float **att = want_att ? xcalloc((size_t)n_ok + 1, sizeof(float *)) : NULL;
    score_ids_at(m, &r->so, (const int *const *)sp, sl, (const int *const *)tp, tl, pos, n_ok, lp, att);
    ScoreStats st;
    memset(&st, 0, sizeof st);
    cJSON *root = cJSON_CreateObject();
    cJSON_AddStringToObject(root, "model", model_name);
    cJSON *list = cJSON_AddArrayToObject(root, "scores");
    for (int i = 0; i < n; i++) {
        cJSON *o = cJSON_CreateObject();
        const int q = slot[i];
        if (q < 0) {
            cJSON_AddNullToObject(o, "logprob");
            cJSON_AddNullToObject(o, "steps");
            st.empty++;
        } else {
            const int rows = tl[q] + 1;
            cJSON_AddNumberToObject(o, "logprob", lp[q]);
            cJSON_AddNumberToObject(o, "steps", rows);
            cJSON_AddItemToObject(o, "src_tokens", tokens_json(v, VOCAB_SRC, sp[q], sl[q], 0));
            cJSON_AddItemToObject(o, "tgt_tokens", tokens_json(v, VOCAB_TGT, tp[q], tl[q], 1));
            if (r->alignment) add_links(o, v, sp[q], sl[q], tp[q], tl[q], rows, att[q]);
            if (r->attention) cJSON_AddItemToObject(o, "attention", matrix_json(att[q], rows, sl[q]));
            st.scored++, st.tokens += rows, st.logprob += lp[q];
        }
        if (cut[i]) cJSON_AddNumberToObject(o, "cut", (double)cut[i]);
        cJSON_AddItemToArray(list, o);
    }
    /* nmt-score's summary line */
    cJSON_AddNumberToObject(root, "scored", (double)st.scored);
    cJSON_AddNumberToObject(root, "tokens", (double)st.tokens);
    cJSON_AddNumberToObject(root, "logprob", st.logprob);
    cJSON_AddNumberToObject(root, "perplexity", score_perplexity(&st));
    for (int q = 0; att && q < n_ok; q++) free(att[q]);
    for (int s = 0; s < 2; s++) {
        for (int i = 0; i < n; i++) free(ids[s][i]);
        free(ids[s]), free(len[s]);
    }
    free(att), free(lp), free(cut), free(sp), free(tp), free(sl), free(tl), free(slot), free(pos);
    return print_answer(root);
}
