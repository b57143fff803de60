/* encoder.c — see encoder.h. */
#include "encoder/encoder.h"

#include <string.h>

#include "core/blas.h"

void encoder_forward(const ModelParams *p, const Batch *bt, float dropout, float rec_dropout, Rng *rng, Arena *arena,
                     EncoderActs *act) {
    const int Ts = bt->Ts, B = bt->B, N = Ts * B;
    const int E = p->enc_fwd.in, H = p->enc_fwd.H;
    act->Ts = Ts;
    act->B = B;
    act->emb = arena_take(arena, (size_t)N * E);
    embed_lookup(p->src_emb, E, bt->src, N, act->emb);
    act->emb_drop = NULL;
    if (dropout > 0.0f) {
        act->emb_drop = arena_take(arena, (size_t)N * E);
        dropout_mask(act->emb_drop, (size_t)N * E, dropout, rng);
        mul_inplace(act->emb, act->emb_drop, (size_t)N * E);
    }
    act->xproj = arena_take(arena, (size_t)2 * N * 3 * H);
    act->cache = arena_take(arena, (size_t)2 * N * 4 * H);
    act->hf = arena_take_zero(arena, (size_t)(Ts + 1) * B * H);
    act->hb = arena_take_zero(arena, (size_t)(Ts + 1) * B * H);
    act->ann = arena_take(arena, (size_t)N * 2 * H);
    const GruWeights *dir[2] = {&p->enc_fwd, &p->enc_bwd};
    for (int d = 0; d < 2; d++) {
        float *xp = act->xproj + (size_t)d * N * 3 * H;
        gemm(0, 1, N, 3 * H, E, 1.0f, act->emb, E, dir[d]->Wx, E, 0.0f, xp, 3 * H);
        add_bias_rows(xp, dir[d]->bx, N, 3 * H);
    }
    const size_t BH = (size_t)B * H;
    act->rec_mask = act->rec_in = NULL;
    float *in_f = NULL, *in_b = NULL; /* step t's recurrent input, [Ts][B][H] each */
    if (rec_dropout > 0.0f) {
        act->rec_mask = arena_take(arena, 2 * BH);
        dropout_mask(act->rec_mask, 2 * BH, rec_dropout, rng);
        act->rec_in = arena_take(arena, (size_t)2 * N * H);
        in_f = act->rec_in, in_b = act->rec_in + (size_t)N * H;
    }
    float *cache_f = act->cache, *cache_b = act->cache + (size_t)N * 4 * H;
    float *xp_f = act->xproj, *xp_b = act->xproj + (size_t)N * 3 * H;
    for (int t = 0; t < Ts; t++) {
        float *rin = NULL;
        if (in_f) gru_rec_dropout(B, H, act->hf + t * BH, act->rec_mask, rin = in_f + t * BH);
        gru_step_forward(&p->enc_fwd, B, xp_f + (size_t)t * B * 3 * H, act->hf + t * BH, rin, bt->src_mask + t * B,
                         act->hf + (t + 1) * BH, cache_f + (size_t)t * B * 4 * H);
    }
    for (int t = Ts - 1; t >= 0; t--) {
        float *rin = NULL;
        if (in_b) gru_rec_dropout(B, H, act->hb + (t + 1) * BH, act->rec_mask + BH, rin = in_b + t * BH);
        gru_step_forward(&p->enc_bwd, B, xp_b + (size_t)t * B * 3 * H, act->hb + (t + 1) * BH, rin,
                         bt->src_mask + t * B, act->hb + t * BH, cache_b + (size_t)t * B * 4 * H);
    }
    for (int t = 0; t < Ts; t++)
        for (int b = 0; b < B; b++) {
            float *a = act->ann + ((size_t)t * B + b) * 2 * H;
            if (bt->src_mask[t * B + b] == 0.0f) {
                memset(a, 0, sizeof(float) * 2 * (size_t)H);
                continue;
            }
            memcpy(a, act->hf + (t + 1) * BH + (size_t)b * H, sizeof(float) * (size_t)H);
            memcpy(a + H, act->hb + t * BH + (size_t)b * H, sizeof(float) * (size_t)H);
        }
}

void encoder_summary(const EncoderActs *act, int H, float *out) {
    const int B = act->B, Ts = act->Ts;
    for (int b = 0; b < B; b++) {
        memcpy(out + (size_t)b * 2 * H, act->hf + ((size_t)Ts * B + b) * H, sizeof(float) * (size_t)H);
        memcpy(out + (size_t)b * 2 * H + H, act->hb + (size_t)b * H, sizeof(float) * (size_t)H);
    }
}

void encoder_backward(const ModelParams *p, const ModelParams *g, const Batch *bt, const EncoderActs *act,
                      float *d_ann, const float *d_summary, Arena *arena) {
    const int Ts = bt->Ts, B = bt->B, N = Ts * B;
    const int E = p->enc_fwd.in, H = p->enc_fwd.H;
    const size_t BH = (size_t)B * H;
    float *dxproj = arena_take(arena, (size_t)2 * N * 3 * H);
    float *dhproj = arena_take(arena, (size_t)2 * N * 3 * H);
    float *dh = arena_take(arena, BH), *dh_prev = arena_take(arena, BH);
    const float *cache_f = act->cache, *cache_b = act->cache + (size_t)N * 4 * H;
    float *dx_f = dxproj, *dx_b = dxproj + (size_t)N * 3 * H;
    float *dhp_f = dhproj, *dhp_b = dhproj + (size_t)N * 3 * H;

    /* forward direction, in reverse time; the summary's first half is hf[Ts] */
    for (int b = 0; b < B; b++) memcpy(dh + (size_t)b * H, d_summary + (size_t)b * 2 * H, sizeof(float) * (size_t)H);
    for (int t = Ts - 1; t >= 0; t--) {
        for (int b = 0; b < B; b++) {
            const float *da = d_ann + ((size_t)t * B + b) * 2 * H;
            float *d = dh + (size_t)b * H;
            if (bt->src_mask[t * B + b] != 0.0f)
                for (int i = 0; i < H; i++) d[i] += da[i];
        }
        gru_step_backward(&p->enc_fwd, B, act->hf + t * BH, act->rec_mask, bt->src_mask + t * B,
                          cache_f + (size_t)t * B * 4 * H, dh, dx_f + (size_t)t * B * 3 * H, dhp_f + (size_t)t * B * 3 * H,
                          dh_prev);
        float *swap = dh;
        dh = dh_prev, dh_prev = swap;
    }
    /* backward direction, in forward time; the summary's second half is hb[0] */
    for (int b = 0; b < B; b++)
        memcpy(dh + (size_t)b * H, d_summary + (size_t)b * 2 * H + H, sizeof(float) * (size_t)H);
    for (int t = 0; t < Ts; t++) {
        for (int b = 0; b < B; b++) {
            const float *da = d_ann + ((size_t)t * B + b) * 2 * H + H;
            float *d = dh + (size_t)b * H;
            if (bt->src_mask[t * B + b] != 0.0f)
                for (int i = 0; i < H; i++) d[i] += da[i];
        }
        gru_step_backward(&p->enc_bwd, B, act->hb + (t + 1) * BH, act->rec_mask ? act->rec_mask + BH : NULL,
                          bt->src_mask + t * B, cache_b + (size_t)t * B * 4 * H, dh, dx_b + (size_t)t * B * 3 * H,
                          dhp_b + (size_t)t * B * 3 * H, dh_prev);
        float *swap = dh;
        dh = dh_prev, dh_prev = swap;
    }
    /* weights, once over all steps; the backward direction's h_prev for step t is hb[t+1] */
    const float *rin_f = act->rec_in ? act->rec_in : act->hf;
    const float *rin_b = act->rec_in ? act->rec_in + (size_t)N * H : act->hb + BH;
    gru_weight_grads(&g->enc_fwd, N, act->emb, E, rin_f, dx_f, dhp_f);
    gru_weight_grads(&g->enc_bwd, N, act->emb, E, rin_b, dx_b, dhp_b);
    /* embeddings */
    float *demb = arena_take(arena, (size_t)N * E);
    gemm(0, 0, N, E, 3 * H, 1.0f, dx_f, 3 * H, p->enc_fwd.Wx, E, 0.0f, demb, E);
    gemm(0, 0, N, E, 3 * H, 1.0f, dx_b, 3 * H, p->enc_bwd.Wx, E, 1.0f, demb, E);
    if (act->emb_drop) mul_inplace(demb, act->emb_drop, (size_t)N * E);
    embed_backward(g->src_emb, E, bt->src, N, demb);
}
