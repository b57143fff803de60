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
    return n;
}

size_t encoder_floats(const EncoderWeights *w, int Ts, int B) {
    EncoderActs act;
    ActSlot slots[ENCODER_SLOTS];
    return act_floats(slots, encoder_slots(w, Ts, B, 0, &act, slots));
}

double encoder_madds(int E, int H) { return 2 * gru_step_madds(E, H); }

void encoder_forward(const EncoderWeights *w, int Ts, int B, const int *src, const float *mask, float dropout,
                     float rec_dropout, Rng *rng, Arena *arena, EncoderActs *act) {
    const int N = Ts * B, E = w->E, H = w->H, C = gru_cache_width(&w->fwd);
    const size_t BH = (size_t)B * H;
    act->Ts = Ts;
    act->B = B;
    ActSlot slots[ENCODER_SLOTS];
    const int n = encoder_slots(w, Ts, B, rec_dropout > 0.0f, act, slots);
    act_carve(slots, n, arena_take(arena, act_floats(slots, n)));
    memset(act->hf, 0, sizeof(float) * (size_t)(Ts + 1) * BH); /* hf[0] = 0, the rest written by the steps */
    memset(act->hb, 0, sizeof(float) * (size_t)(Ts + 1) * BH); /* hb[Ts] = 0, likewise */
    embed_lookup(w->src_emb, E, src, N, act->emb);
    act->emb_drop = dropout_forward(act->emb, (size_t)N * E, dropout, rng, arena);
    /* both directions' input projections, for all steps in one product each:
     * xproj[d] [N][3H] = emb [N][E] Wx^T + bx */
    const GruWeights *dir[2] = {&w->fwd, &w->bwd};
    for (int d = 0; d < 2; d++) {
        float *xp = act->xproj + (size_t)d * N * 3 * H;
        gemm(0, 1, N, 3 * H, E, 1.0f, act->emb, E, dir[d]->Wx, E, 0.0f, xp, 3 * H);
        add_bias_rows(xp, dir[d]->bx, N, 3 * H);
    }
    float *in_f = NULL, *in_b = NULL; /* step t's recurrent input, [Ts][B][H] each */
    if (act->rec_mask) {
        dropout_mask(act->rec_mask, 2 * BH, rec_dropout, rng);
        in_f = act->rec_in, in_b = act->rec_in + (size_t)N * H;
    }
    float *cache_f = act->cache, *cache_b = act->cache + (size_t)N * C;
    float *xp_f = act->xproj, *xp_b = act->xproj + (size_t)N * 3 * H;
    for (int t = 0; t < Ts; t++) { /* forward direction: hf[t+1] from hf[t] and token t */
        float *rin = NULL;
        if (in_f) gru_rec_dropout(B, H, act->hf + t * BH, act->rec_mask, rin = in_f + t * BH);
        gru_step_forward(&w->fwd, B, xp_f + (size_t)t * B * 3 * H, act->hf + t * BH, rin, mask + t * B,
                         act->hf + (t + 1) * BH, cache_f + (size_t)t * B * C);
    }
    for (int t = Ts - 1; t >= 0; t--) { /* backward direction: hb[t] from hb[t+1] and token t */
        float *rin = NULL;
        if (in_b) gru_rec_dropout(B, H, act->hb + (t + 1) * BH, act->rec_mask + BH, rin = in_b + t * BH);
        gru_step_forward(&w->bwd, B, xp_b + (size_t)t * B * 3 * H, act->hb + (t + 1) * BH, rin, mask + t * B,
                         act->hb + t * BH, cache_b + (size_t)t * B * C);
    }
    /* ann[t][b] [2H] = [hf[t+1][b] ; hb[t][b]], zero at padding */
    for (int t = 0; t < Ts; t++)
        for (int b = 0; b < B; b++) {
            float *a = act->ann + ((size_t)t * B + b) * 2 * H;
            if (mask[t * B + b] == 0.0f) {
                memset(a, 0, sizeof(float) * 2 * (size_t)H);
                continue;
            }
            memcpy(a, act->hf + (t + 1) * BH + (size_t)b * H, sizeof(float) * (size_t)H);
            memcpy(a + H, act->hb + t * BH + (size_t)b * H, sizeof(float) * (size_t)H);
        }
}

void encoder_backward(const EncoderWeights *w, const EncoderWeights *g, const int *src, const float *mask,
                      const EncoderActs *act, const float *d_ann, const float *d_final, Arena *arena) {
    const int Ts = act->Ts, B = act->B, N = Ts * B, E = w->E, H = w->H, C = gru_cache_width(&w->fwd);
    const size_t BH = (size_t)B * H;
    float *dxproj = arena_take(arena, (size_t)2 * N * 3 * H); /* [2][Ts][B][3H] */
    float *dhproj = arena_take(arena, (size_t)2 * N * 3 * H); /* [2][Ts][B][3H] */
    float *dh = arena_take(arena, BH), *dh_prev = arena_take(arena, BH);
    const float *cache_f = act->cache, *cache_b = act->cache + (size_t)N * C;
    float *dx_f = dxproj, *dx_b = dxproj + (size_t)N * 3 * H;
    float *dhp_f = dhproj, *dhp_b = dhproj + (size_t)N * 3 * H;

    /* forward direction, in reverse time, starting from the gradient of hf[Ts] */
    memcpy(dh, d_final, sizeof(float) * BH);
    for (int t = Ts - 1; t >= 0; t--) {
        /* in the forward pass hf[t+1][b] was copied to ann[t][b][0:H] */
        for (int b = 0; b < B; b++) {
            const float *da = d_ann + ((size_t)t * B + b) * 2 * H;
            float *d = dh + (size_t)b * H;
            if (mask[t * B + b] != 0.0f)
                for (int i = 0; i < H; i++) d[i] += da[i];
        }
        gru_step_backward(&w->fwd, &g->fwd, B, act->hf + t * BH, act->rec_mask, mask + t * B,
                          cache_f + (size_t)t * B * C, dh, dx_f + (size_t)t * B * 3 * H,
                          dhp_f + (size_t)t * B * 3 * H, dh_prev);
        float *swap = dh;
        dh = dh_prev, dh_prev = swap;
    }
    /* backward direction, in forward time, starting from the gradient of hb[0] */
    memcpy(dh, d_final + BH, sizeof(float) * BH);
    for (int t = 0; t < Ts; t++) {
        /* in the forward pass hb[t][b] was copied to ann[t][b][H:2H] */
        for (int b = 0; b < B; b++) {
            const float *da = d_ann + ((size_t)t * B + b) * 2 * H + H;
            float *d = dh + (size_t)b * H;
            if (mask[t * B + b] != 0.0f)
                for (int i = 0; i < H; i++) d[i] += da[i];
        }
        gru_step_backward(&w->bwd, &g->bwd, B, act->hb + (t + 1) * BH, act->rec_mask ? act->rec_mask + BH : NULL,
                          mask + t * B, cache_b + (size_t)t * B * C, dh, dx_b + (size_t)t * B * 3 * H,
                          dhp_b + (size_t)t * B * 3 * H, dh_prev);
        float *swap = dh;
        dh = dh_prev, dh_prev = swap;
    }
    /* weights, once over all steps; the backward direction's h_prev for step t is hb[t+1] */
    const float *rin_f = act->rec_in ? act->rec_in : act->hf;
    const float *rin_b = act->rec_in ? act->rec_in + (size_t)N * H : act->hb + BH;
    gru_weight_grads(&g->fwd, N, act->emb, E, rin_f, dx_f, dhp_f);
    gru_weight_grads(&g->bwd, N, act->emb, E, rin_b, dx_b, dhp_b);
    /* embeddings: in the forward pass xproj[d] [N][3H] = emb [N][E] Wx^T + bx */
    float *demb = arena_take(arena, (size_t)N * E);
    gemm(0, 0, N, E, 3 * H, 1.0f, dx_f, 3 * H, w->fwd.Wx, E, 0.0f, demb, E);
    gemm(0, 0, N, E, 3 * H, 1.0f, dx_b, 3 * H, w->bwd.Wx, E, 1.0f, demb, E);
    dropout_backward(demb, act->emb_drop, (size_t)N * E);
    embed_backward(g->src_emb, E, src, N, demb);
}

void encoder_summary_forward(const EncoderActs *act, int H, float *out) {
    const int B = act->B, Ts = act->Ts;
    for (int b = 0; b < B; b++) {
        memcpy(out + (size_t)b * 2 * H, act->hf + ((size_t)Ts * B + b) * H, sizeof(float) * (size_t)H);
        memcpy(out + (size_t)b * 2 * H + H, act->hb + (size_t)b * H, sizeof(float) * (size_t)H);
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
