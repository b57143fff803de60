/* decoding.c — see decoding.h. */
#include "search/decoding.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "decoder/decoder.h"
#include "model/batch.h"
#include "model/ensemble.h"
#include "model/seq2seq.h"
#include "search/shortlist.h"
#include "sys/util.h"
#include "vocab/vocab.h"

/* The output layer's rows of the tokens in d->token (V of them), gathered
 * once for the batch: a smaller product at every step. */
static void cut_output_layer(Decoding *d, const OutputWeights *full) {
    OutputWeights *o = &d->dec.out;
    const int V = d->V, LI = full->logit_in;
    float *W = arena_take(d->arena, (size_t)V * LI), *b = arena_take(d->arena, (size_t)V);
    for (int v = 0; v < V; v++) {
        memcpy(W + (size_t)v * LI, full->W + (size_t)d->token[v] * LI, sizeof(float) * (size_t)LI);
        b[v] = full->b[d->token[v]];
    }
    o->W = W, o->b = b, o->V = V;
    d->dec.V = V;
}

void decoding_init(Decoding *d, const ModelParams *p, const int *const *src, const int *src_len, int n, int R,
                   float ratio, const Shortlist *shortlist, Arena *workspace) {
    memset(d, 0, sizeof *d);
    d->arena = workspace ? workspace : &d->own_arena;
    arena_reset(d->arena);
    const int H = decoder_state_floats(&p->dec), rows = n * R; /* a row's state: every layer's */
    d->p = p, d->n = n, d->R = R, d->H = H, d->V = p->dec.V;
    d->dec = p->dec;
    if (shortlist) {
        d->token = xmalloc(sizeof(int) * (size_t)p->dec.V);
        unsigned char *mark = xmalloc((size_t)p->dec.V);
        d->V = shortlist_select(shortlist, src, src_len, n, d->token, mark);
        free(mark);
        cut_output_layer(d, &p->dec.out);
    }
    d->max_len = xmalloc(sizeof(int) * (size_t)n);
    for (int i = 0; i < n; i++) {
        int ml = (int)ceilf(ratio * (float)src_len[i]) + 10;
        d->max_len[i] = ml > MAX_OUTPUT_LEN ? MAX_OUTPUT_LEN : ml;
        if (d->max_len[i] > d->max_steps) d->max_steps = d->max_len[i];
    }
    Batch bt = {0};
    batch_fill(&bt, n, src, src_len, NULL, NULL);
    const int Ts = bt.Ts;
    d->Ts = Ts;
    Encoding e;
    seq2seq_encode(p, Ts, n, bt.src, bt.src_mask, 0.0f, 0.0f, 0.0f, NULL, d->arena, &e);
    d->ann = e.enc.top, d->keys = e.keys;
    d->mask = arena_take(d->arena, (size_t)Ts * n);
    memcpy(d->mask, bt.src_mask, sizeof(float) * (size_t)Ts * n);
    batch_free(&bt);
    d->s = arena_take(d->arena, (size_t)rows * H);
    d->s_new = arena_take(d->arena, (size_t)rows * H);
    d->logp = arena_take(d->arena, (size_t)rows * d->V);
    d->heads = attention_heads(&p->dec.att);
    d->alpha = arena_take(d->arena, (size_t)rows * attention_row_floats(&p->dec.att, Ts));
    d->scratch = arena_take(d->arena, decoder_search_scratch(&d->dec, rows, Ts));
    d->slot = xmalloc(sizeof(int) * (size_t)n);
    d->row_src = xmalloc(sizeof(int) * (size_t)rows);
    d->y_prev = xmalloc(sizeof(int) * (size_t)rows);
    d->live = n;
    for (int i = 0; i < n; i++) d->slot[i] = i;
    for (int r = 0; r < rows; r++) {
        d->row_src[r] = r / R; /* row r is a hypothesis of sentence r / R */
        for (int l = 0; l < p->dec.depth; l++) /* every layer starts from s_0 */
            memcpy(d->s + (size_t)r * H + (size_t)l * p->dec.H, e.s0 + (size_t)(r / R) * p->dec.H,
                   sizeof(float) * (size_t)p->dec.H);
        d->y_prev[r] = VOCAB_BOS;
    }
}

void decoding_init_model(Decoding *d, const Model *m, const int *const *src, const int *src_len, int n, int R,
                         float ratio, const Shortlist *shortlist, Arena *workspace) {
    decoding_init(d, &m->p, src, src_len, n, R, ratio, shortlist, workspace);
    const Ensemble *e = m->ensemble;
    if (!e) return;
    d->n_member = e->n - 1;
    d->weight = e->weight;
    d->attention = e->attention;
    d->member = xcalloc((size_t)d->n_member, sizeof(Decoding));
    for (int k = 0; k < d->n_member; k++) /* the workspace is the lead's: the others keep their own */
        decoding_init(&d->member[k], &e->models[k + 1]->p, src, src_len, n, R, ratio, shortlist, NULL);
    if (d->attention > 0) { /* the rows reported are the attention model's, of its heads */
        const Decoding *x = &d->member[d->attention - 1];
        if (x->heads > d->heads) d->alpha = arena_take(d->arena, (size_t)n * R * x->heads * d->Ts);
        d->heads = x->heads;
    }
}

static void step_one(Decoding *d) {
    const AttentionMemory mem = {d->Ts, d->n, d->row_src, d->ann, d->keys, d->mask};
    decoder_search_step(&d->dec, &mem, d->live * d->R, d->y_prev, d->s, d->s_new, d->logp, d->alpha, d->scratch);
}

void decoding_step(Decoding *d) {
    if (d->live == 0) return;
    step_one(d);
    if (!d->member) return;
    const int rows = d->live * d->R;
    for (int k = 0; k < d->n_member; k++) {
        Decoding *x = &d->member[k];
        memcpy(x->y_prev, d->y_prev, sizeof(int) * (size_t)rows);
        step_one(x);
    }
    /* sum_m w_m log p_m in double, models in order: with one model twice,
     * 0.5 a + 0.5 a is exactly a */
    const size_t cells = (size_t)rows * d->V;
    for (size_t c = 0; c < cells; c++) {
        double acc = d->weight[0] * (double)d->logp[c];
        for (int k = 0; k < d->n_member; k++) acc += d->weight[k + 1] * (double)d->member[k].logp[c];
        d->logp[c] = (float)acc;
    }
    if (d->attention > 0)
        memcpy(d->alpha, d->member[d->attention - 1].alpha, sizeof(float) * (size_t)rows * d->heads * d->Ts);
}

void decoding_advance(Decoding *d) {
    float *swap = d->s;
    d->s = d->s_new, d->s_new = swap;
    for (int k = 0; k < d->n_member; k++) decoding_advance(&d->member[k]);
}

void decoding_take_state(Decoding *d, int to, int from) {
    memcpy(d->s + (size_t)to * d->H, d->s_new + (size_t)from * d->H, sizeof(float) * (size_t)d->H);
    for (int k = 0; k < d->n_member; k++) decoding_take_state(&d->member[k], to, from);
}

void decoding_retire(Decoding *d, const int *done) {
    const int R = d->R, H = d->H;
    int live = 0;
    for (int i = 0; i < d->n; i++) {
        if (d->slot[i] < 0) continue;
        if (done[i]) {
            d->slot[i] = -1;
            continue;
        }
        if (d->slot[i] != live) { /* move sentence i's rows up to position live */
            const int from = d->slot[i] * R, to = live * R;
            memmove(d->s + (size_t)to * H, d->s + (size_t)from * H, sizeof(float) * (size_t)R * H);
            memmove(d->y_prev + to, d->y_prev + from, sizeof(int) * (size_t)R);
            for (int k = 0; k < R; k++) d->row_src[to + k] = i;
            d->slot[i] = live;
        }
        live++;
    }
    d->live = live;
    for (int k = 0; k < d->n_member; k++) decoding_retire(&d->member[k], done);
}

void decoding_free(Decoding *d) {
    for (int k = 0; k < d->n_member; k++) decoding_free(&d->member[k]);
    free(d->member);
    if (d->arena == &d->own_arena) arena_free(&d->own_arena);
    free(d->max_len);
    free(d->token);
    free(d->slot);
    free(d->row_src);
    free(d->y_prev);
}
