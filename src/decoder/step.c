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
    for (int l = 2; l <= w->depth; l++) {
        slots[n++] = (ActSlot){&a->up_in[l - 2], (size_t)B * 3 * H, 0};                          /* [B][3H] */
        slots[n++] = (ActSlot){&a->up_cache[l - 2], (size_t)B * gru_cache_width(&w->up[l - 2]), 0}; /* [B][C] */
        slots[n++] = (ActSlot){&a->up_rec_in[l - 2], rec * B * H, 0};                             /* [B][H] */
    }
    const size_t deep = w->depth > 1;
    slots[n++] = (ActSlot){&a->up_xproj, deep * B * 3 * H, 1}; /* [B][3H] */
    slots[n++] = (ActSlot){&a->top, deep * B * H, 0};          /* [B][H] */
    return n;
}

double decoder_upper_madds(int H, int depth) { return (depth - 1) * gru_step_madds(3 * H, H); }

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

/* Layers 2..depth over the first layer's s^1_t (in s): s^l_t and top = u^depth_t. */
static void upper_steps(const DecoderWeights *w, int B, const float *s_prev, DecoderStepActs *a, float *s) {
    const int H = w->H;
    const size_t BH = (size_t)B * H;
    const float *below = s; /* u^1_t = s^1_t */
    for (int l = 2; l <= w->depth; l++) {
        const GruWeights *gru = &w->up[l - 2];
        const float *m = a->up_drop ? a->up_drop + (l - 2) * BH : NULL;
        float *x = a->up_in[l - 2];
        /* x [B][3H] = [m^l * u^{l-1}_t ; c_t] */
        for (int b = 0; b < B; b++) {
            float *xb = x + (size_t)b * 3 * H;
            const float *ub = below + (size_t)b * H;
            if (m)
                for (int i = 0; i < H; i++) xb[i] = ub[i] * m[(size_t)b * H + i];
            else memcpy(xb, ub, sizeof(float) * (size_t)H);
            memcpy(xb + H, a->att.ctx + (size_t)b * 2 * H, sizeof(float) * 2 * (size_t)H);
        }
        project_input(gru, B, x, 3 * H, a->up_xproj); /* [B][3H] -> [B][3H] */
        const float *sp = s_prev + (l - 1) * a->layer_stride, *rin = NULL;
        float *sn = s + (l - 1) * a->layer_stride;
        if (a->rec_mask) gru_rec_dropout(B, H, sp, a->rec_mask + (l - 1) * BH, a->up_rec_in[l - 2]), rin = a->up_rec_in[l - 2];
        gru_step_forward(gru, B, a->up_xproj, sp, rin, NULL, sn, a->up_cache[l - 2]);
        /* u^l_t = s^l_t + u^{l-1}_t (below may be top itself: each entry is read before it is written) */
        for (size_t i = 0; i < BH; i++) a->top[i] = sn[i] + below[i];
        below = a->top;
    }
}

void decoder_step_forward(const DecoderWeights *w, const AttentionMemory *mem, int B, const float *s_prev,
                          int embedding_projected, DecoderStepActs *a, float *s) {
    if (w->type == DECODER_CGRU) cgru_step(w, mem, B, s_prev, embedding_projected, a, s);
    else gru_step(w, mem, B, s_prev, embedding_projected, a, s);
    if (w->depth > 1) upper_steps(w, B, s_prev, a, s);
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

/* Backward of upper_steps, from the top layer down. ds and ds_prev
 * [depth][B][H]: writes ds_prev of layers 2..depth and leaves in gr->dtop
 * the gradient w.r.t. s^1_t (its ds plus what the layers above passed
 * down through their inputs and the residuals); adds into dctx. */
static void upper_steps_back(const DecoderWeights *w, const DecoderWeights *g, int B, const float *s_prev,
                             const DecoderStepActs *a, const float *ds, float *dctx, const DecoderStepGrads *gr,
                             float *ds_prev) {
    const int H = w->H;
    const size_t BH = (size_t)B * H;
    float *du = gr->dtop; /* the gradient w.r.t. u^l_t, l from depth down */
    for (int l = w->depth; l >= 2; l--) {
        const GruWeights *gru = &w->up[l - 2];
        /* u^l = s^l + u^{l-1}: s^l_t gets du besides its own (the next step's) gradient */
        const float *dsl = ds + (l - 1) * BH;
        for (size_t i = 0; i < BH; i++) gr->up_ds[i] = dsl[i] + du[i];
        gru_step_backward(gru, &g->up[l - 2], B, s_prev + (l - 1) * a->layer_stride,
                          a->rec_mask ? a->rec_mask + (l - 1) * BH : NULL,
                          NULL, a->up_cache[l - 2], gr->up_ds, gr->up_dxproj[l - 2], gr->up_dhproj[l - 2],
                          ds_prev + (l - 1) * BH);
        /* x [B][3H] = [m^l * u^{l-1}_t ; c_t], xproj = x Wx^T + bx: dx [B][3H] = dxproj [B][3H] Wx [3H][3H] */
        gemm(0, 0, B, 3 * H, 3 * H, 1.0f, gr->up_dxproj[l - 2], 3 * H, gru->Wx, 3 * H, 0.0f, gr->up_dx, 3 * H);
        const float *m = a->up_drop ? a->up_drop + (l - 2) * BH : NULL;
        for (int b = 0; b < B; b++) {
            const float *dx = gr->up_dx + (size_t)b * 3 * H;
            float *d = du + (size_t)b * H, *dc = dctx + (size_t)b * 2 * H;
            for (int i = 0; i < H; i++) d[i] += m ? dx[i] * m[(size_t)b * H + i] : dx[i];
            for (int i = 0; i < 2 * H; i++) dc[i] += dx[H + i];
        }
    }
    for (size_t i = 0; i < BH; i++) du[i] += ds[i]; /* layer 1: u^1 = s^1 */
}

void decoder_step_backward(const DecoderWeights *w, const DecoderWeights *g, const AttentionMemory *mem, int B,
                           const float *s_prev, const DecoderStepActs *a, const float *ds, float *dctx,
                           const DecoderStepGrads *gr, float *ds_prev) {
    if (w->depth > 1) upper_steps_back(w, g, B, s_prev, a, ds, dctx, gr, ds_prev), ds = gr->dtop;
    if (w->type == DECODER_CGRU) cgru_step_back(w, g, mem, B, s_prev, a, ds, dctx, gr, ds_prev);
    else gru_step_back(w, g, mem, B, s_prev, a, ds, dctx, gr, ds_prev);
}
