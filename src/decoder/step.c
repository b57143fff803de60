/* step.c — see step.h. */
#include "decoder/step.h"

#include <string.h>

#include "nn/blas.h"
#include "nn/nn.h"

/* xproj [B][3H] = in [B][ldin] Wx^T + bx over the GRU's in columns (search:
 * the embedding is known only now). */
static void project_input(const GruWeights *gru, int B, const float *in, int ldin, float *xproj) {
    const int H = gru->H;
    gemm(0, 1, B, 3 * H, gru->in, 1.0f, in, ldin, gru->Wx, gru->in, 0.0f, xproj, 3 * H);
    add_bias_rows(xproj, gru->bx, B, 3 * H);
}

/* in [b][E:E+2H] = c_t [b] */
static void store_context(int B, int E, int H, const float *ctx, float *in) {
    const int DI = E + 2 * H;
    for (int b = 0; b < B; b++)
        memcpy(in + (size_t)b * DI + E, ctx + (size_t)b * 2 * H, sizeof(float) * 2 * (size_t)H);
}

int decoder_step_slots(const DecoderWeights *w, int B, int Ts, int rec_dropout, DecoderStepActs *a, ActSlot *slots) {
    const size_t H = (size_t)w->H, cgru = w->type == DECODER_CGRU, rec = rec_dropout != 0;
    int n = 0;
    slots[n++] = (ActSlot){&a->in, (size_t)B * (w->E + 2 * H), 0}; /* [B][E+2H] */
    slots[n++] = (ActSlot){&a->xproj, (size_t)B * 3 * H, 0};       /* [B][3H] */
    slots[n++] = (ActSlot){&a->cache, (size_t)B * gru_cache_width(&w->gru), 0}; /* [B][C] */
    n += attention_step_slots(&w->att, B, Ts, &a->att, slots + n); /* ctx [B][2H], q [B][A], pre [Ts][B][A] */
    slots[n++] = (ActSlot){&a->rec_in, rec * B * H, 0};            /* [B][H] */
    slots[n++] = (ActSlot){&a->query, cgru * B * H, 0};            /* [B][H] */
    slots[n++] = (ActSlot){&a->xproj2, cgru * B * 3 * H, 1};       /* [B][3H] */
    slots[n++] = (ActSlot){&a->cache2, cgru * B * (w->gru2.H ? gru_cache_width(&w->gru2) : 0), 0}; /* [B][C] */
    return n;
}

double decoder_step_madds(DecoderType type, AttentionType att, int E, int H, int A, int Ts) {
    const double attention = attention_step_madds(att, A, H, Ts);
    if (type == DECODER_CGRU) return gru_step_madds(E, H) + attention + gru_step_madds(2 * H, H);
    return attention + gru_step_madds(E + 2 * H, H);
}

static void gru_step(const DecoderWeights *w, const AttentionMemory *mem, int B, const float *s_prev,
                     int embedding_projected, DecoderStepActs *a, float *s) {
    const int E = w->E, H = w->H, DI = E + 2 * H;
    attention_step_forward(&w->att, mem, B, s_prev, &a->att);
    store_context(B, E, H, a->att.ctx, a->in);
    if (embedding_projected) {
        /* xproj [B][3H] += in[:, E:] [B][2H] Wx[:, E:]^T */
        gemm(0, 1, B, 3 * H, 2 * H, 1.0f, a->in + E, DI, w->gru.Wx + E, DI, 1.0f, a->xproj, 3 * H);
    } else {
        project_input(&w->gru, B, a->in, DI, a->xproj); /* [B][E+2H] -> [B][3H] */
    }
    const float *rin = NULL;
    if (a->rec_mask) gru_rec_dropout(B, H, s_prev, a->rec_mask, a->rec_in), rin = a->rec_in;
    gru_step_forward(&w->gru, B, a->xproj, s_prev, rin, NULL, s, a->cache);
}

static void cgru_step(const DecoderWeights *w, const AttentionMemory *mem, int B, const float *s_prev,
                      int embedding_projected, DecoderStepActs *a, float *s) {
    const int E = w->E, H = w->H, DI = E + 2 * H;
    /* s'_t [B][H] = GRU1(E y_{t-1}, s_{t-1}) */
    if (!embedding_projected) project_input(&w->gru, B, a->in, DI, a->xproj); /* [B][E] -> [B][3H] */
    const float *rin = NULL;
    if (a->rec_mask) gru_rec_dropout(B, H, s_prev, a->rec_mask, a->rec_in), rin = a->rec_in;
    gru_step_forward(&w->gru, B, a->xproj, s_prev, rin, NULL, a->query, a->cache);
    /* c_t [B][2H] from the query s'_t */
    attention_step_forward(&w->att, mem, B, a->query, &a->att);
    store_context(B, E, H, a->att.ctx, a->in);
    /* s_t [B][H] = GRU2(c_t, s'_t); GRU2's recurrent input is the same step's
     * state, not a carried one, so recurrent dropout stays on GRU1 */
    project_input(&w->gru2, B, a->att.ctx, 2 * H, a->xproj2); /* [B][2H] -> [B][3H] */
    gru_step_forward(&w->gru2, B, a->xproj2, a->query, NULL, NULL, s, a->cache2);
}

void decoder_step_forward(const DecoderWeights *w, const AttentionMemory *mem, int B, const float *s_prev,
                          int embedding_projected, DecoderStepActs *a, float *s) {
    if (w->type == DECODER_CGRU) cgru_step(w, mem, B, s_prev, embedding_projected, a, s);
    else gru_step(w, mem, B, s_prev, embedding_projected, a, s);
}

/* The attention's share of a step's gradients: the step's own dq and scratch, the sequence's d_ann and dkeys. */
static AttentionStepGrads attention_grads(const DecoderStepGrads *gr, float *ds) {
    return (AttentionStepGrads){.d_ann = gr->d_ann, .dkeys = gr->dkeys, .ds = ds, .dq = gr->dq, .scratch = gr->scratch};
}

static void gru_step_back(const DecoderWeights *w, const DecoderWeights *g, const AttentionMemory *mem, int B,
                          const float *s_prev, const DecoderStepActs *a, const float *ds, float *dctx,
                          const DecoderStepGrads *gr, float *ds_prev) {
    const int E = w->E, H = w->H, DI = E + 2 * H;
    /* in the forward pass s = GRU(xproj, s_prev) */
    gru_step_backward(&w->gru, &g->gru, B, s_prev, a->rec_mask, NULL, a->cache, ds, gr->dxproj, gr->dhproj, ds_prev);
    /* in the forward pass xproj [B][3H] held in[:, E:] Wx[:, E:]^T with in[:, E:] = c_t:
     * dctx [B][2H] += dxproj [B][3H] Wx[:, E:] */
    gemm(0, 0, B, 2 * H, 3 * H, 1.0f, gr->dxproj, 3 * H, w->gru.Wx + E, DI, 1.0f, dctx, 2 * H);
    const AttentionStepGrads ag = attention_grads(gr, ds_prev);
    attention_step_backward(&w->att, &g->att, mem, B, s_prev, &a->att, dctx, a->dscore, &ag);
}

static void cgru_step_back(const DecoderWeights *w, const DecoderWeights *g, const AttentionMemory *mem, int B,
                           const float *s_prev, const DecoderStepActs *a, const float *ds, float *dctx,
                           const DecoderStepGrads *gr, float *ds_prev) {
    const int H = w->H;
    /* s_t = GRU2(xproj2, s'_t): dquery [B][H] = ds_t through GRU2's state */
    gru_step_backward(&w->gru2, &g->gru2, B, a->query, NULL, NULL, a->cache2, ds, gr->dxproj2, gr->dhproj2,
                      gr->dquery);
    /* xproj2 [B][3H] = c_t W2x^T + b2x: dctx [B][2H] += dxproj2 [B][3H] W2x */
    gemm(0, 0, B, 2 * H, 3 * H, 1.0f, gr->dxproj2, 3 * H, w->gru2.Wx, 2 * H, 1.0f, dctx, 2 * H);
    /* c_t = attention(s'_t): dquery += the query's share */
    const AttentionStepGrads ag = attention_grads(gr, gr->dquery);
    attention_step_backward(&w->att, &g->att, mem, B, a->query, &a->att, dctx, a->dscore, &ag);
    /* s'_t = GRU1(xproj, s_{t-1}) */
    gru_step_backward(&w->gru, &g->gru, B, s_prev, a->rec_mask, NULL, a->cache, gr->dquery, gr->dxproj, gr->dhproj,
                      ds_prev);
}

void decoder_step_backward(const DecoderWeights *w, const DecoderWeights *g, const AttentionMemory *mem, int B,
                           const float *s_prev, const DecoderStepActs *a, const float *ds, float *dctx,
                           const DecoderStepGrads *gr, float *ds_prev) {
    if (w->type == DECODER_CGRU) cgru_step_back(w, g, mem, B, s_prev, a, ds, dctx, gr, ds_prev);
    else gru_step_back(w, g, mem, B, s_prev, a, ds, dctx, gr, ds_prev);
}
