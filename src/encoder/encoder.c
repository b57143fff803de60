/* encoder.c — see encoder.h. */
#include "encoder/encoder.h"

#include <string.h>

#include "nn/blas.h"
#include "nn/dropout.h"

int encoder_slots(const EncoderWeights *w, int Ts, int B, int rec_dropout, EncoderActs *act, ActSlot *slots) {
    const size_t N = (size_t)Ts * B, H = (size_t)w->H, rec = rec_dropout != 0;
    int n = 0;
    slots[n++] = (ActSlot){&act->emb, N * w->E, 0};          /* [Ts][B][E] */
    slots[n++] = (ActSlot){&act->xproj, 2 * N * 3 * H, 0};   /* [2][Ts][B][3H] */
    slots[n++] = (ActSlot){&act->cache, 2 * N * gru_cache_width(&w->fwd), 0}; /* [2][Ts][B][C] */
    slots[n++] = (ActSlot){&act->hf, (N + B) * H, 0};        /* [Ts+1][B][H] */
    slots[n++] = (ActSlot){&act->hb, (N + B) * H, 0};        /* [Ts+1][B][H] */
    slots[n++] = (ActSlot){&act->ann, N * 2 * H, 0};         /* [Ts][B][2H] */
    slots[n++] = (ActSlot){&act->rec_mask, rec * 2 * B * H, 0}; /* [2][B][H] */
    slots[n++] = (ActSlot){&act->rec_in, rec * 2 * N * H, 0};   /* [2][Ts][B][H] */
    for (int l = 2; l <= w->depth; l++) { /* the layers above, the same arrays over a 2H-wide input */
        EncoderLayerActs *L = &act->up[l - 2];
        slots[n++] = (ActSlot){&L->in, N * 2 * H, 0};            /* [Ts][B][2H] */
        slots[n++] = (ActSlot){&L->xproj, 2 * N * 3 * H, 0};     /* [2][Ts][B][3H] */
        slots[n++] = (ActSlot){&L->cache, 2 * N * gru_cache_width(&w->up_fwd[l - 2]), 0}; /* [2][Ts][B][C] */
        slots[n++] = (ActSlot){&L->hf, (N + B) * H, 0};          /* [Ts+1][B][H] */
        slots[n++] = (ActSlot){&L->hb, (N + B) * H, 0};          /* [Ts+1][B][H] */
        slots[n++] = (ActSlot){&L->ann, N * 2 * H, 0};           /* [Ts][B][2H] */
        slots[n++] = (ActSlot){&L->rec_mask, rec * 2 * B * H, 0}; /* [2][B][H] */
        slots[n++] = (ActSlot){&L->rec_in, rec * 2 * N * H, 0};   /* [2][Ts][B][H] */
    }
    return n;
}

size_t encoder_floats(const EncoderWeights *w, int Ts, int B) {
    EncoderActs act;
    ActSlot slots[ENCODER_SLOTS];
    return act_floats(slots, encoder_slots(w, Ts, B, 0, &act, slots));
}

double encoder_madds(int E, int H) { return 2 * gru_step_madds(E, H); }

double encoder_upper_madds(int H, int depth) { return (depth - 1) * 2 * gru_step_madds(2 * H, H); }

/* Layer l's activations (1-based): the first layer's are act's own fields. */
static EncoderLayerActs layer_acts(const EncoderActs *act, int l) {
    if (l > 1) return act->up[l - 2];
    return (EncoderLayerActs){act->emb, act->emb_drop, act->xproj, act->hf, act->hb, act->cache, act->rec_mask,
                              act->rec_in, act->ann};
}

/* One bidirectional layer over x = L->in [Ts][B][in]: both directions'
 * states and ann [Ts][B][2H] = [hf[t+1] ; hb[t]], zero at padding.
 * rec_dropout > 0 draws L->rec_mask from rng. */
static void bigru_forward(const GruWeights *fwd, const GruWeights *bwd, int Ts, int B, const float *mask,
                          float rec_dropout, Rng *rng, const EncoderLayerActs *L) {
    const int N = Ts * B, H = fwd->H, in = fwd->in, C = gru_cache_width(fwd);
    const size_t BH = (size_t)B * H;
    memset(L->hf, 0, sizeof(float) * (size_t)(Ts + 1) * BH); /* hf[0] = 0, the rest written by the steps */
    memset(L->hb, 0, sizeof(float) * (size_t)(Ts + 1) * BH); /* hb[Ts] = 0, likewise */
    /* both directions' input projections, for all steps in one product each:
     * xproj[d] [N][3H] = x [N][in] Wx^T + bx */
    const GruWeights *dir[2] = {fwd, bwd};
    for (int d = 0; d < 2; d++) {
        float *xp = L->xproj + (size_t)d * N * 3 * H;
        gemm(0, 1, N, 3 * H, in, 1.0f, L->in, in, dir[d]->Wx, in, 0.0f, xp, 3 * H);
        add_bias_rows(xp, dir[d]->bx, N, 3 * H);
    }
    float *in_f = NULL, *in_b = NULL; /* step t's recurrent input, [Ts][B][H] each */
    if (L->rec_mask) {
        dropout_mask(L->rec_mask, 2 * BH, rec_dropout, rng);
        in_f = L->rec_in, in_b = L->rec_in + (size_t)N * H;
    }
    float *cache_f = L->cache, *cache_b = L->cache + (size_t)N * C;
    float *xp_f = L->xproj, *xp_b = L->xproj + (size_t)N * 3 * H;
    for (int t = 0; t < Ts; t++) { /* forward direction: hf[t+1] from hf[t] and token t */
        float *rin = NULL;
        if (in_f) gru_rec_dropout(B, H, L->hf + t * BH, L->rec_mask, rin = in_f + t * BH);
        gru_step_forward(fwd, B, xp_f + (size_t)t * B * 3 * H, L->hf + t * BH, rin, mask + t * B,
                         L->hf + (t + 1) * BH, cache_f + (size_t)t * B * C);
    }
    for (int t = Ts - 1; t >= 0; t--) { /* backward direction: hb[t] from hb[t+1] and token t */
        float *rin = NULL;
        if (in_b) gru_rec_dropout(B, H, L->hb + (t + 1) * BH, L->rec_mask + BH, rin = in_b + t * BH);
        gru_step_forward(bwd, B, xp_b + (size_t)t * B * 3 * H, L->hb + (t + 1) * BH, rin, mask + t * B,
                         L->hb + t * BH, cache_b + (size_t)t * B * C);
    }
    /* ann[t][b] [2H] = [hf[t+1][b] ; hb[t][b]], zero at padding */
    for (int t = 0; t < Ts; t++)
        for (int b = 0; b < B; b++) {
            float *a = L->ann + ((size_t)t * B + b) * 2 * H;
            if (mask[t * B + b] == 0.0f) {
                memset(a, 0, sizeof(float) * 2 * (size_t)H);
                continue;
            }
            memcpy(a, L->hf + (t + 1) * BH + (size_t)b * H, sizeof(float) * (size_t)H);
            memcpy(a + H, L->hb + t * BH + (size_t)b * H, sizeof(float) * (size_t)H);
        }
}

void encoder_forward(const EncoderWeights *w, int Ts, int B, const int *src, const float *mask, float dropout,
                     float word_dropout, float rec_dropout, Rng *rng, Arena *arena, EncoderActs *act) {
    const int N = Ts * B, E = w->E, H = w->H;
    act->Ts = Ts;
    act->B = B;
    act->depth = w->depth;
    ActSlot slots[ENCODER_SLOTS];
    const int n = encoder_slots(w, Ts, B, rec_dropout > 0.0f, act, slots);
    act_carve(slots, n, arena_take(arena, act_floats(slots, n)));
    embed_lookup(w->src_emb, E, src, N, act->emb);
    act->emb_drop = dropout_forward(act->emb, (size_t)N * E, dropout, rng, arena);
    dropout_rows(act->emb, (size_t)N, (size_t)E, word_dropout, rng, arena, &act->emb_drop); /* whole tokens */
    EncoderLayerActs first = layer_acts(act, 1);
    bigru_forward(&w->fwd, &w->bwd, Ts, B, mask, rec_dropout, rng, &first);
    act->top = act->ann;
    for (int l = 2; l <= w->depth; l++) {
        EncoderLayerActs *L = &act->up[l - 2];
        const size_t NA = (size_t)N * 2 * H;
        memcpy(L->in, act->top, sizeof(float) * NA); /* the input is the annotations below, after dropout */
        L->in_drop = dropout_forward(L->in, NA, dropout, rng, arena);
        bigru_forward(&w->up_fwd[l - 2], &w->up_bwd[l - 2], Ts, B, mask, rec_dropout, rng, L);
        /* ann_l += ann_{l-1} (the residual connection; both are zero at padding) */
        for (size_t i = 0; i < NA; i++) L->ann[i] += act->top[i];
        act->top = L->ann;
    }
}

/* Backward of bigru_forward given d_ann [Ts][B][2H] (w.r.t. its ann) and
 * d_final [2][B][H] (w.r.t. hf[Ts] and hb[0]; NULL: none, a layer below
 * the top). Adds the weight gradients into gfwd and gbwd and writes d_in
 * [Ts][B][in] (overwritten), the gradient w.r.t. L->in. */
static void bigru_backward(const GruWeights *fwd, const GruWeights *bwd, const GruWeights *gfwd,
                           const GruWeights *gbwd, int Ts, int B, const float *mask, const EncoderLayerActs *L,
                           const float *d_ann, const float *d_final, Arena *arena, float *d_in,
                           const BackwardHook *hook) {
    const int N = Ts * B, H = fwd->H, in = fwd->in, C = gru_cache_width(fwd);
    const size_t BH = (size_t)B * H;
    float *dxproj = arena_take(arena, (size_t)2 * N * 3 * H); /* [2][Ts][B][3H] */
    float *dhproj = arena_take(arena, (size_t)2 * N * 3 * H); /* [2][Ts][B][3H] */
    float *dh = arena_take(arena, BH), *dh_prev = arena_take(arena, BH);
    const float *cache_f = L->cache, *cache_b = L->cache + (size_t)N * C;
    float *dx_f = dxproj, *dx_b = dxproj + (size_t)N * 3 * H;
    float *dhp_f = dhproj, *dhp_b = dhproj + (size_t)N * 3 * H;

    /* forward direction, in reverse time, starting from the gradient of hf[Ts] */
    if (d_final) memcpy(dh, d_final, sizeof(float) * BH);
    else memset(dh, 0, sizeof(float) * BH);
    for (int t = Ts - 1; t >= 0; t--) {
        /* in the forward pass hf[t+1][b] was copied to ann[t][b][0:H] */
        for (int b = 0; b < B; b++) {
            const float *da = d_ann + ((size_t)t * B + b) * 2 * H;
            float *d = dh + (size_t)b * H;
            if (mask[t * B + b] != 0.0f)
                for (int i = 0; i < H; i++) d[i] += da[i];
        }
        gru_step_backward(fwd, gfwd, B, L->hf + t * BH, L->rec_mask, mask + t * B, cache_f + (size_t)t * B * C, dh,
                          dx_f + (size_t)t * B * 3 * H, dhp_f + (size_t)t * B * 3 * H, dh_prev);
        float *swap = dh;
        dh = dh_prev, dh_prev = swap;
        backward_hook(hook, 0);
    }
    /* backward direction, in forward time, starting from the gradient of hb[0] */
    if (d_final) memcpy(dh, d_final + BH, sizeof(float) * BH);
    else memset(dh, 0, sizeof(float) * BH);
    for (int t = 0; t < Ts; t++) {
        /* in the forward pass hb[t][b] was copied to ann[t][b][H:2H] */
        for (int b = 0; b < B; b++) {
            const float *da = d_ann + ((size_t)t * B + b) * 2 * H + H;
            float *d = dh + (size_t)b * H;
            if (mask[t * B + b] != 0.0f)
                for (int i = 0; i < H; i++) d[i] += da[i];
        }
        gru_step_backward(bwd, gbwd, B, L->hb + (t + 1) * BH, L->rec_mask ? L->rec_mask + BH : NULL, mask + t * B,
                          cache_b + (size_t)t * B * C, dh, dx_b + (size_t)t * B * 3 * H,
                          dhp_b + (size_t)t * B * 3 * H, dh_prev);
        float *swap = dh;
        dh = dh_prev, dh_prev = swap;
        backward_hook(hook, 0);
    }
    /* weights, once over all steps; the backward direction's h_prev for step t is hb[t+1] */
    const float *rin_f = L->rec_in ? L->rec_in : L->hf;
    const float *rin_b = L->rec_in ? L->rec_in + (size_t)N * H : L->hb + BH;
    gru_weight_grads(gfwd, N, L->in, in, rin_f, dx_f, dhp_f);
    backward_hook(hook, 0);
    gru_weight_grads(gbwd, N, L->in, in, rin_b, dx_b, dhp_b);
    /* the input: in the forward pass xproj[d] [N][3H] = x [N][in] Wx^T + bx */
    gemm(0, 0, N, in, 3 * H, 1.0f, dx_f, 3 * H, fwd->Wx, in, 0.0f, d_in, in);
    gemm(0, 0, N, in, 3 * H, 1.0f, dx_b, 3 * H, bwd->Wx, in, 1.0f, d_in, in);
}

void encoder_backward(const EncoderWeights *w, const EncoderWeights *g, const int *src, const float *mask,
                      const EncoderActs *act, const float *d_ann, const float *d_final, Arena *arena,
                      const BackwardHook *hook) {
    const int Ts = act->Ts, B = act->B, N = Ts * B, E = w->E, H = w->H;
    const size_t NA = (size_t)N * 2 * H;
    /* the layers above the first, from the top: d_ann is the gradient w.r.t. the layer's annotations */
    for (int l = w->depth; l >= 2; l--) {
        const EncoderLayerActs *L = &act->up[l - 2];
        float *d_below = arena_take(arena, NA); /* [Ts][B][2H] w.r.t. ann_{l-1} */
        bigru_backward(&w->up_fwd[l - 2], &w->up_bwd[l - 2], &g->up_fwd[l - 2], &g->up_bwd[l - 2], Ts, B, mask, L,
                       d_ann, l == w->depth ? d_final : NULL, arena, d_below, hook);
        backward_hook(hook, l); /* layer l's weights have all their terms */
        dropout_backward(d_below, L->in_drop, NA);
        /* ann_l = [fwd_l ; bwd_l] + ann_{l-1}: the residual passes d_ann through */
        for (size_t i = 0; i < NA; i++) d_below[i] += d_ann[i];
        d_ann = d_below;
    }
    /* the first layer, over the embeddings */
    float *demb = arena_take(arena, (size_t)N * E);
    const EncoderLayerActs first = layer_acts(act, 1);
    bigru_backward(&w->fwd, &w->bwd, &g->fwd, &g->bwd, Ts, B, mask, &first, d_ann, w->depth > 1 ? NULL : d_final,
                   arena, demb, hook);
    dropout_backward(demb, act->emb_drop, (size_t)N * E);
    embed_backward(g->src_emb, E, src, N, demb);
}

void encoder_summary_forward(const EncoderActs *act, int H, float *out) {
    const int B = act->B, Ts = act->Ts;
    const EncoderLayerActs top = layer_acts(act, act->depth);
    for (int b = 0; b < B; b++) {
        memcpy(out + (size_t)b * 2 * H, top.hf + ((size_t)Ts * B + b) * H, sizeof(float) * (size_t)H);
        memcpy(out + (size_t)b * 2 * H + H, top.hb + (size_t)b * H, sizeof(float) * (size_t)H);
    }
}

void encoder_summary_backward(int B, int H, const float *d_summary, float *d_final) {
    /* in the forward pass out[b] = [hf[Ts][b] ; hb[0][b]] */
    const size_t BH = (size_t)B * H;
    for (int b = 0; b < B; b++) {
        memcpy(d_final + (size_t)b * H, d_summary + (size_t)b * 2 * H, sizeof(float) * (size_t)H);
        memcpy(d_final + BH + (size_t)b * H, d_summary + (size_t)b * 2 * H + H, sizeof(float) * (size_t)H);
    }
}
