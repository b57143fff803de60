/* decoder.c — see decoder.h. */
#include "decoder/decoder.h"

#include <math.h>
#include <string.h>

#include "core/blas.h"

void decoder_init_state(const ModelParams *p, int B, const float *init_in, float *s0) {
    const int H = p->dec.H;
    gemm(0, 1, B, H, 2 * H, 1.0f, init_in, 2 * H, p->init_W, 2 * H, 0.0f, s0, H);
    add_bias_rows(s0, p->init_b, B, H);
    for (size_t i = 0; i < (size_t)B * H; i++) s0[i] = fast_tanhf(s0[i]);
}

/* Copy rows of width w into a strided destination: dst[r][off:off+w] = src[r][:]. */
static void copy_into_columns(float *dst, int ld, int off, const float *src, int rows, int w) {
    for (int r = 0; r < rows; r++) memcpy(dst + (size_t)r * ld + off, src + (size_t)r * w, sizeof(float) * (size_t)w);
}

/* The output layer on N rows of its input o [N][3H+E]: logits [N][Vt].
 * With the deep output, deep [N][E] receives t for the backward pass. */
static void output_forward(const ModelParams *p, const ModelConfig *cfg, int N, const float *o, float *deep,
                           float *logits) {
    const int OI = model_out_in(cfg), LI = model_logit_in(cfg), V = cfg->tgt_vocab;
    const float *in = o;
    if (cfg->deep_output) {
        gemm(0, 1, N, LI, OI, 1.0f, o, OI, p->deep_W, OI, 0.0f, deep, LI);
        add_bias_rows(deep, p->deep_b, N, LI);
        for (size_t i = 0; i < (size_t)N * LI; i++) deep[i] = fast_tanhf(deep[i]);
        in = deep;
    }
    gemm(0, 1, N, V, LI, 1.0f, in, LI, p->out_W, LI, 0.0f, logits, V);
    add_bias_rows(logits, p->out_b, N, V);
}

/* Backward of output_forward given dlogits [N][Vt]: adds into g and writes
 * d_o [N][3H+E]. deep is overwritten (with its own gradient). */
static void output_backward(const ModelParams *p, const ModelParams *g, const ModelConfig *cfg, int N,
                            const float *o, float *deep, const float *dlogits, float *d_o) {
    const int OI = model_out_in(cfg), LI = model_logit_in(cfg), V = cfg->tgt_vocab;
    const float *in = cfg->deep_output ? deep : o;
    gemm(1, 0, V, LI, N, 1.0f, dlogits, V, in, LI, 1.0f, g->out_W, LI);
    colsum_add(g->out_b, dlogits, N, V);
    if (!cfg->deep_output) {
        gemm(0, 0, N, OI, V, 1.0f, dlogits, V, p->out_W, OI, 0.0f, d_o, OI);
        return;
    }
    /* d t = dlogits out_W; through tanh; then into deep_W and the input */
    float *dt = deep;  /* t is not needed after this: its buffer takes dt */
    float *tmp = d_o;  /* d_o ([N][3H+E]) is free until the last product: scratch for dlogits out_W */
    gemm(0, 0, N, LI, V, 1.0f, dlogits, V, p->out_W, LI, 0.0f, tmp, LI);
    for (size_t i = 0; i < (size_t)N * LI; i++) dt[i] = tmp[i] * (1.0f - dt[i] * dt[i]);
    gemm(1, 0, LI, OI, N, 1.0f, dt, LI, o, OI, 1.0f, g->deep_W, OI);
    colsum_add(g->deep_b, dt, N, LI);
    gemm(0, 0, N, OI, LI, 1.0f, dt, LI, p->deep_W, OI, 0.0f, d_o, OI);
}

void decoder_forward(const ModelParams *p, const ModelConfig *cfg, const Batch *bt, const float *ann,
                     const float *init_in, float dropout, float rec_dropout, Rng *rng, Arena *arena,
                     DecoderActs *act) {
    const int Tt = bt->Tt, Ts = bt->Ts, B = bt->B, N = Tt * B;
    const int E = cfg->emb, H = cfg->hidden, A = p->att.A, V = cfg->tgt_vocab;
    const int DI = E + 2 * H, OI = model_out_in(cfg);
    const size_t BH = (size_t)B * H;
    act->Tt = Tt, act->Ts = Ts, act->B = B;
    act->keys = arena_take(arena, (size_t)Ts * B * A);
    attention_keys(&p->att, Ts, B, ann, act->keys);

    /* target embeddings into the first E columns of dec_in */
    act->dec_in = arena_take(arena, (size_t)N * DI);
    float *emb = arena_take(arena, (size_t)N * E);
    embed_lookup(p->tgt_emb, E, bt->tgt_in, N, emb);
    act->emb_drop = NULL;
    if (dropout > 0.0f) {
        act->emb_drop = arena_take(arena, (size_t)N * E);
        dropout_mask(act->emb_drop, (size_t)N * E, dropout, rng);
        mul_inplace(emb, act->emb_drop, (size_t)N * E);
    }
    copy_into_columns(act->dec_in, DI, 0, emb, N, E);
    act->rec_mask = act->rec_in = NULL;
    if (rec_dropout > 0.0f) {
        act->rec_mask = arena_take(arena, BH);
        dropout_mask(act->rec_mask, BH, rec_dropout, rng);
        act->rec_in = arena_take(arena, (size_t)N * H);
    }

    /* the embedding part of every step's input projection, in one product */
    act->xproj = arena_take(arena, (size_t)N * 3 * H);
    gemm(0, 1, N, 3 * H, E, 1.0f, act->dec_in, DI, p->dec.Wx, DI, 0.0f, act->xproj, 3 * H);
    add_bias_rows(act->xproj, p->dec.bx, N, 3 * H);

    act->init_in = arena_take(arena, (size_t)B * 2 * H);
    memcpy(act->init_in, init_in, sizeof(float) * (size_t)B * 2 * H);
    act->s = arena_take(arena, (size_t)(Tt + 1) * BH);
    decoder_init_state(p, B, init_in, act->s);
    act->cache = arena_take(arena, (size_t)N * 4 * H);
    act->alpha = arena_take(arena, (size_t)N * Ts);
    act->q = act->pre = NULL;
    if (p->att.type == ATTENTION_BAHDANAU) {
        act->q = arena_take(arena, (size_t)N * A);
        act->pre = arena_take(arena, (size_t)Tt * Ts * B * A);
    }
    float *ctx = arena_take(arena, (size_t)B * 2 * H);
    for (int t = 0; t < Tt; t++) {
        const float *s_prev = act->s + t * BH;
        attention_step_forward(&p->att, Ts, B, ann, act->keys, bt->src_mask, s_prev, act->alpha + (size_t)t * B * Ts,
                               ctx, act->q ? act->q + (size_t)t * B * A : NULL,
                               act->pre ? act->pre + (size_t)t * Ts * B * A : NULL);
        float *in_t = act->dec_in + (size_t)t * B * DI;
        copy_into_columns(in_t, DI, E, ctx, B, 2 * H);
        float *xp = act->xproj + (size_t)t * B * 3 * H;
        gemm(0, 1, B, 3 * H, 2 * H, 1.0f, in_t + E, DI, p->dec.Wx + E, DI, 1.0f, xp, 3 * H);
        float *rin = NULL;
        if (act->rec_in) gru_rec_dropout(B, H, s_prev, act->rec_mask, rin = act->rec_in + t * BH);
        gru_step_forward(&p->dec, B, xp, s_prev, rin, NULL, act->s + (t + 1) * BH, act->cache + (size_t)t * B * 4 * H);
    }

    /* output layer over all steps: [s_t ; c_t ; emb_{t-1}] */
    act->out_in = arena_take(arena, (size_t)N * OI);
    copy_into_columns(act->out_in, OI, 0, act->s + BH, N, H);
    for (int i = 0; i < N; i++) memcpy(act->out_in + (size_t)i * OI + H, act->dec_in + (size_t)i * DI + E,
                                       sizeof(float) * 2 * (size_t)H);
    copy_into_columns(act->out_in, OI, 3 * H, emb, N, E);
    act->out_drop = NULL;
    if (dropout > 0.0f) {
        act->out_drop = arena_take(arena, (size_t)N * OI);
        dropout_mask(act->out_drop, (size_t)N * OI, dropout, rng);
        mul_inplace(act->out_in, act->out_drop, (size_t)N * OI);
    }
    act->deep = cfg->deep_output ? arena_take(arena, (size_t)N * E) : NULL;
    act->logits = arena_take(arena, (size_t)N * V);
    output_forward(p, cfg, N, act->out_in, act->deep, act->logits);
}

double decoder_loss(const ModelConfig *cfg, const Batch *bt, DecoderActs *act, float eps, float scale, double *nll) {
    return softmax_xent(act->logits, bt->Tt * bt->B, cfg->tgt_vocab, bt->tgt_out, bt->tgt_mask, eps, scale, nll);
}

void decoder_backward(const ModelParams *p, const ModelParams *g, const ModelConfig *cfg, const Batch *bt,
                      const float *ann, DecoderActs *act, float *d_ann, float *d_init_in, Arena *arena) {
    const int Tt = bt->Tt, Ts = bt->Ts, B = bt->B, N = Tt * B;
    const int E = cfg->emb, H = cfg->hidden, A = p->att.A;
    const int DI = E + 2 * H, OI = model_out_in(cfg);
    const size_t BH = (size_t)B * H;

    /* output layer */
    float *d_out = arena_take(arena, (size_t)N * OI);
    output_backward(p, g, cfg, N, act->out_in, act->deep, act->logits, d_out);
    if (act->out_drop) mul_inplace(d_out, act->out_drop, (size_t)N * OI);

    /* steps in reverse */
    float *dxproj = arena_take(arena, (size_t)N * 3 * H);
    float *dhproj = arena_take(arena, (size_t)N * 3 * H);
    float *dq = p->att.type == ATTENTION_BAHDANAU ? arena_take(arena, (size_t)N * A) : NULL;
    float *dkeys = arena_take_zero(arena, (size_t)Ts * B * A);
    float *ds = arena_take_zero(arena, BH), *ds_prev = arena_take(arena, BH);
    float *dc = arena_take(arena, (size_t)B * 2 * H);
    float *scratch = arena_take(arena, (size_t)B * Ts);
    memset(d_ann, 0, sizeof(float) * (size_t)Ts * B * 2 * H);
    for (int t = Tt - 1; t >= 0; t--) {
        const float *d_out_t = d_out + (size_t)t * B * OI;
        for (int b = 0; b < B; b++)
            for (int i = 0; i < H; i++) ds[(size_t)b * H + i] += d_out_t[(size_t)b * OI + i];
        float *dx_t = dxproj + (size_t)t * B * 3 * H;
        gru_step_backward(&p->dec, B, act->s + t * BH, act->rec_mask, NULL, act->cache + (size_t)t * B * 4 * H, ds,
                          dx_t, dhproj + (size_t)t * B * 3 * H, ds_prev);
        for (int b = 0; b < B; b++)
            memcpy(dc + (size_t)b * 2 * H, d_out_t + (size_t)b * OI + H, sizeof(float) * 2 * (size_t)H);
        gemm(0, 0, B, 2 * H, 3 * H, 1.0f, dx_t, 3 * H, p->dec.Wx + E, DI, 1.0f, dc, 2 * H);
        attention_step_backward(&p->att, &g->att, Ts, B, ann, act->keys, bt->src_mask, act->s + t * BH,
                                act->alpha + (size_t)t * B * Ts, act->pre ? act->pre + (size_t)t * Ts * B * A : NULL,
                                dc, d_ann, dkeys, ds_prev, dq ? dq + (size_t)t * B * A : NULL, scratch);
        float *swap = ds;
        ds = ds_prev, ds_prev = swap;
    }
    gru_weight_grads(&g->dec, N, act->dec_in, DI, act->rec_in ? act->rec_in : act->s, dxproj, dhproj);
    attention_weight_grads(&p->att, &g->att, Ts, Tt, B, ann, dkeys, dq, act->s, d_ann);

    /* target embeddings: from the GRU input and from the output layer */
    float *demb = arena_take(arena, (size_t)N * E);
    for (int i = 0; i < N; i++) memcpy(demb + (size_t)i * E, d_out + (size_t)i * OI + 3 * H, sizeof(float) * (size_t)E);
    gemm(0, 0, N, E, 3 * H, 1.0f, dxproj, 3 * H, p->dec.Wx, DI, 1.0f, demb, E);
    if (act->emb_drop) mul_inplace(demb, act->emb_drop, (size_t)N * E);
    embed_backward(g->tgt_emb, E, bt->tgt_in, N, demb);

    /* initial state: s_0 = tanh(init_W x + init_b) */
    const float *s0 = act->s;
    for (size_t i = 0; i < BH; i++) ds[i] *= 1.0f - s0[i] * s0[i];
    gemm(1, 0, H, 2 * H, B, 1.0f, ds, H, act->init_in, 2 * H, 1.0f, g->init_W, 2 * H);
    colsum_add(g->init_b, ds, B, H);
    gemm(0, 0, B, 2 * H, H, 1.0f, ds, H, p->init_W, 2 * H, 0.0f, d_init_in, 2 * H);
}

size_t decoder_step_scratch(const ModelConfig *cfg, int B, int Ts) {
    const int E = cfg->emb, H = cfg->hidden, A = cfg->attention == ATTENTION_BAHDANAU ? cfg->att_dim : H;
    return (size_t)B * (E + 2 * H)      /* GRU input */
           + (size_t)B * 3 * H          /* xproj */
           + (size_t)B * 4 * H          /* GRU cache */
           + (size_t)B * model_out_in(cfg) /* output input */
           + (size_t)B * 2 * H          /* context */
           + (size_t)B * A              /* q */
           + (size_t)Ts * B * A         /* pre */
           + (size_t)B * E;             /* deep output */
}

void decoder_step(const ModelParams *p, const ModelConfig *cfg, int Ts, int B, const float *ann, const float *keys,
                  const float *mask, const int *y_prev, const float *s_prev, float *s, float *logprobs,
                  float *alpha, float *scratch) {
    const int E = cfg->emb, H = cfg->hidden, A = p->att.A, V = cfg->tgt_vocab;
    const int DI = E + 2 * H, OI = model_out_in(cfg);
    float *in = scratch;
    float *xproj = in + (size_t)B * DI;
    float *cache = xproj + (size_t)B * 3 * H;
    float *out_in = cache + (size_t)B * 4 * H;
    float *ctx = out_in + (size_t)B * OI;
    float *q = ctx + (size_t)B * 2 * H;
    float *pre = q + (size_t)B * A;
    float *deep = pre + (size_t)Ts * B * A;
    attention_step_forward(&p->att, Ts, B, ann, keys, mask, s_prev, alpha, ctx, q, pre);
    for (int b = 0; b < B; b++) {
        memcpy(in + (size_t)b * DI, p->tgt_emb + (size_t)y_prev[b] * E, sizeof(float) * (size_t)E);
        memcpy(in + (size_t)b * DI + E, ctx + (size_t)b * 2 * H, sizeof(float) * 2 * (size_t)H);
    }
    gemm(0, 1, B, 3 * H, DI, 1.0f, in, DI, p->dec.Wx, DI, 0.0f, xproj, 3 * H);
    add_bias_rows(xproj, p->dec.bx, B, 3 * H);
    gru_step_forward(&p->dec, B, xproj, s_prev, NULL, NULL, s, cache);
    for (int b = 0; b < B; b++) {
        float *o = out_in + (size_t)b * OI;
        memcpy(o, s + (size_t)b * H, sizeof(float) * (size_t)H);
        memcpy(o + H, ctx + (size_t)b * 2 * H, sizeof(float) * 2 * (size_t)H);
        memcpy(o + 3 * H, in + (size_t)b * DI, sizeof(float) * (size_t)E);
    }
    output_forward(p, cfg, B, out_in, deep, logprobs);
    for (int b = 0; b < B; b++) log_softmax_row(logprobs + (size_t)b * V, V);
}
