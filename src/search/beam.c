/* beam.c — beam search with the greedy path carried along (see search.h). */
#include <stdlib.h>
#include <string.h>

#include "nn/nn.h"
#include "search/decoding.h"
#include "search/search.h"
#include "sys/util.h"

typedef struct {
    double score; /* cumulative log-probability */
    int row, token;
} Candidate;

/* Ordering: higher score first; ties by row then token, as greedy's argmax. */
static int cand_better(const Candidate *a, const Candidate *b) {
    if (a->score != b->score) return a->score > b->score;
    if (a->row != b->row) return a->row < b->row;
    return a->token < b->token;
}

/* Insert c into the sorted list top[0..*n) of capacity cap. */
static void cand_insert(Candidate *top, int *n, int cap, Candidate c) {
    if (*n == cap && !cand_better(&c, &top[cap - 1])) return;
    int i = *n < cap ? (*n)++ : cap - 1;
    while (i > 0 && cand_better(&c, &top[i - 1])) {
        top[i] = top[i - 1];
        i--;
    }
    top[i] = c;
}

typedef struct {
    int step, row, token, ended;
    double logprob;
} Finished;

typedef struct {
    Finished *items;
    int n, cap, from_beam;
} FinishedList;

static void finished_add(FinishedList *f, Finished x, int from_beam) {
    if (f->n == f->cap) {
        f->cap = f->cap ? 2 * f->cap : 8;
        f->items = xrealloc(f->items, sizeof(Finished) * (size_t)f->cap);
    }
    f->items[f->n++] = x;
    f->from_beam += from_beam;
}

void beam_search(const Model *m, const int *const *src, const int *src_len, int n, const SearchOptions *o,
                 NBest *out) {
    const int K = o->beam < 1 ? 1 : o->beam;
    const int G = K > 1 ? K : -1; /* row of the greedy path inside each sentence's group, if any */
    const int R = K > 1 ? K + 1 : 1;
    Decoding d;
    decoding_init_model(&d, m, src, src_len, n, R, o->max_len_ratio, o->shortlist, o->workspace);
    const int rows = n * R, Ts = d.Ts, V = d.V, T = d.max_steps;
    int *hist_tok = xmalloc(sizeof(int) * (size_t)T * rows), *hist_parent = xmalloc(sizeof(int) * (size_t)T * rows);
    const size_t RW = (size_t)d.heads * Ts; /* an attention row: [N][Ts] */
    float *hist_alpha = o->want_attention ? xmalloc(sizeof(float) * (size_t)T * rows * RW) : NULL;
    double *cum = xmalloc(sizeof(double) * (size_t)rows), *cum_new = xmalloc(sizeof(double) * (size_t)rows);
    int *alive = xcalloc((size_t)rows, sizeof(int)), *alive_new = xcalloc((size_t)rows, sizeof(int));
    int *beam_done = xcalloc((size_t)n, sizeof(int)), *greedy_done = xcalloc((size_t)n, sizeof(int));
    int *sent_done = xcalloc((size_t)n, sizeof(int)); /* both searches of the sentence finished */
    FinishedList *fin = xcalloc((size_t)n, sizeof(FinishedList));
    Candidate *top = xmalloc(sizeof(Candidate) * (size_t)2 * K), *row_top = xmalloc(sizeof(Candidate) * 2 * (size_t)K);
    for (int i = 0; i < n; i++) {
        for (int k = 0; k < R; k++) cum[i * R + k] = 0.0, alive[i * R + k] = (k == 0 || k == G);
        if (G < 0) greedy_done[i] = 1;
    }
    int left = n;
    for (int t = 0; left > 0; t++) {
        int finished = 0;
        decoding_step(&d);
        if (hist_alpha) /* packed rows to their sentences' rows */
            for (int i = 0; i < n; i++)
                if (d.slot[i] >= 0)
                    memcpy(hist_alpha + ((size_t)t * rows + (size_t)i * R) * RW,
                           d.alpha + (size_t)decoding_row(&d, i, 0) * RW, sizeof(float) * (size_t)R * RW);
        for (int r = 0; r < rows; r++) alive_new[r] = 0, hist_parent[(size_t)t * rows + r] = r,
                                      hist_tok[(size_t)t * rows + r] = VOCAB_PAD, cum_new[r] = cum[r];
        for (int i = 0; i < n; i++) {
            if (beam_done[i] && greedy_done[i]) continue;
            const int base = i * R, last = t + 1 >= d.max_len[i];
            const float *logp = d.logp + (size_t)decoding_row(&d, i, 0) * V; /* [R][V] this sentence's rows */
            if (!beam_done[i]) {
                /* the best 2K extensions over all live beam rows */
                int nt = 0;
                for (int k = 0; k < K; k++) {
                    int r = base + k;
                    if (!alive[r]) continue;
                    const float *lp = logp + (size_t)k * V;
                    int nr = 0;
                    for (int v = 0; v < V; v++) {
                        /* once 2K are kept, only a word above the last of them can enter (its score is
                         * a float's, so the comparison is exact): jump to the next such word */
                        if (nr == 2 * K && (v = first_above(lp, v, V, (float)row_top[nr - 1].score)) == V) break;
                        cand_insert(row_top, &nr, 2 * K, (Candidate){lp[v], r, decoding_token(&d, v)});
                    }
                    for (int c = 0; c < nr; c++)
                        cand_insert(top, &nt, 2 * K, (Candidate){cum[r] + row_top[c].score, r, row_top[c].token});
                }
                /* </s> among the best K finishes a hypothesis; the others refill the beam */
                int filled = 0;
                for (int c = 0; c < nt && filled < K; c++) {
                    Candidate x = top[c];
                    if (x.token == VOCAB_EOS) {
                        if (c < K) finished_add(&fin[i], (Finished){t, x.row, x.token, 1, x.score}, 1);
                        continue;
                    }
                    int slot = base + filled++;
                    if (last) {
                        finished_add(&fin[i], (Finished){t, x.row, x.token, 0, x.score}, 1);
                        continue;
                    }
                    hist_parent[(size_t)t * rows + slot] = x.row;
                    hist_tok[(size_t)t * rows + slot] = x.token;
                    cum_new[slot] = x.score;
                    alive_new[slot] = 1;
                }
                if (fin[i].from_beam >= K || last || filled == 0) beam_done[i] = 1;
            }
            if (!greedy_done[i]) {
                int r = base + G;
                const float *lp = logp + (size_t)G * V;
                const int v = argmax_row(lp, V), y = decoding_token(&d, v);
                double score = cum[r] + lp[v];
                if (y == VOCAB_EOS || last) {
                    finished_add(&fin[i], (Finished){t, r, y, y == VOCAB_EOS, score}, 0);
                    greedy_done[i] = 1;
                } else {
                    hist_tok[(size_t)t * rows + r] = y;
                    cum_new[r] = score;
                    alive_new[r] = 1;
                }
            }
            if (beam_done[i] && greedy_done[i]) left--, sent_done[i] = 1, finished++;
        }
        /* move states to their new rows (parents are rows of the same sentence) */
        for (int i = 0; i < n; i++) {
            if (d.slot[i] < 0) continue;
            const int base = i * R, packed = decoding_row(&d, i, 0);
            for (int k = 0; k < R; k++) {
                const int r = base + k, p = hist_parent[(size_t)t * rows + r] - base;
                decoding_take_state(&d, packed + k, packed + p);
                d.y_prev[packed + k] = alive_new[r] ? hist_tok[(size_t)t * rows + r] : VOCAB_PAD;
            }
        }
        if (finished) decoding_retire(&d, sent_done);
        double *sw = cum;
        cum = cum_new, cum_new = sw;
        int *aw = alive;
        alive = alive_new, alive_new = aw;
    }

    /* backtrack every finished hypothesis; rank; drop duplicates */
    for (int i = 0; i < n; i++) {
        FinishedList *f = &fin[i];
        Hypothesis *all = xcalloc((size_t)f->n + 1, sizeof(Hypothesis));
        int na = 0;
        for (int k = 0; k < f->n; k++) {
            Finished x = f->items[k];
            int steps = x.step + 1, len = x.ended ? x.step : x.step + 1;
            Hypothesis h = {.len = len, .ended = x.ended, .logprob = x.logprob, .Ts = src_len[i], .heads = d.heads};
            h.score = search_score(x.logprob, steps, o->length_penalty);
            h.tokens = xmalloc(sizeof(int) * (size_t)(len + 1));
            float *raw = hist_alpha ? xmalloc(sizeof(float) * (size_t)steps * RW) : NULL; /* [steps][N][Ts] */
            if (!x.ended) h.tokens[x.step] = x.token;
            int r = x.row;
            for (int u = x.step; u >= 0; u--) {
                if (raw) memcpy(raw + (size_t)u * RW, hist_alpha + ((size_t)u * rows + r) * RW, sizeof(float) * RW);
                if (u == 0) break;
                h.tokens[u - 1] = hist_tok[(size_t)(u - 1) * rows + r];
                r = hist_parent[(size_t)(u - 1) * rows + r];
            }
            if (raw) hypothesis_take_attention(&h, raw, steps, d.heads, Ts);
            int dup = -1;
            for (int j = 0; j < na && dup < 0; j++)
                if (all[j].len == h.len && !memcmp(all[j].tokens, h.tokens, sizeof(int) * (size_t)h.len)) dup = j;
            if (dup >= 0) {
                if (h.score > all[dup].score) {
                    free(all[dup].tokens), hypothesis_free_attention(&all[dup]);
                    all[dup] = h;
                } else {
                    free(h.tokens), hypothesis_free_attention(&h);
                }
                continue;
            }
            all[na++] = h;
        }
        /* stable insertion sort, best score first */
        for (int a = 1; a < na; a++) {
            Hypothesis h = all[a];
            int b = a;
            while (b > 0 && all[b - 1].score < h.score) all[b] = all[b - 1], b--;
            all[b] = h;
        }
        int keep = o->nbest < na ? o->nbest : na;
        for (int k = keep; k < na; k++) free(all[k].tokens), hypothesis_free_attention(&all[k]);
        out[i].hyps = all;
        out[i].n = keep;
        free(f->items);
    }
    free(fin), free(top), free(row_top), free(hist_tok), free(hist_parent), free(hist_alpha);
    free(cum), free(cum_new), free(alive), free(alive_new), free(beam_done), free(greedy_done), free(sent_done);
    decoding_free(&d);
}
