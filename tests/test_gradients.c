/* Finite-difference checks of every backward pass: the GRU step, both
 * attention scorers, and the whole model (output layer and loss included)
 * on a tiny padded batch, with and without dropout and label smoothing. */
#include <string.h>

#include "core/blas.h"
#include "core/dropout.h"
#include "core/gru.h"
#include "core/nn.h"
#include "core/rng.h"
#include "core/util.h"
#include "gradcheck.h"
#include "model/seq2seq.h"
#include "test.h"

/* ---- GRU: two steps, L = w1 . h1 + w2 . h2, with a padded row and,
 * optionally, a recurrent dropout mask shared by both steps ---- */
enum { G_B = 3, G_IN = 4, G_H = 5 };
typedef struct {
    GruWeights w, dw;
    float x[2][G_B * G_IN], h0[G_B * G_H], mask[2][G_B], wout[2][G_B * G_H];
    float rec_mask_buf[G_B * G_H];
    const float *rec_mask; /* rec_mask_buf or NULL */
} GruCase;

/* rec_in for one step: h_prev * rec_mask, or NULL without recurrent dropout */
static const float *gru_case_rec_in(const GruCase *c, const float *h_prev, float *buf) {
    if (!c->rec_mask) return NULL;
    gru_rec_dropout(G_B, G_H, h_prev, c->rec_mask, buf);
    return buf;
}

static double gru_loss(void *vctx) {
    GruCase *c = vctx;
    float xp[G_B * 3 * G_H], h[3][G_B * G_H], cache[G_B * 4 * G_H], rin[G_B * G_H];
    memcpy(h[0], c->h0, sizeof c->h0);
    double L = 0;
    for (int t = 0; t < 2; t++) {
        gemm(0, 1, G_B, 3 * G_H, G_IN, 1.0f, c->x[t], G_IN, c->w.Wx, G_IN, 0.0f, xp, 3 * G_H);
        add_bias_rows(xp, c->w.bx, G_B, 3 * G_H);
        gru_step_forward(&c->w, G_B, xp, h[t], gru_case_rec_in(c, h[t], rin), c->mask[t], h[t + 1], cache);
        L += dot_d(c->wout[t], h[t + 1], G_B * G_H);
    }
    return L;
}

static void check_gru_step(int rec_dropout) {
    Rng rng;
    rng_seed(&rng, 7, 0);
    GruCase c;
    memset(&c, 0, sizeof c);
    if (rec_dropout) {
        dropout_mask(c.rec_mask_buf, G_B * G_H, 0.4f, &rng);
        c.rec_mask = c.rec_mask_buf;
    }
    const int H = G_H, IN = G_IN, B = G_B;
    size_t sizes[4] = {3 * H * IN, 3 * H * H, 3 * H, 3 * H};
    float *w = calloc(2 * (sizes[0] + sizes[1] + sizes[2] + sizes[3]), sizeof(float));
    float *dw = w + sizes[0] + sizes[1] + sizes[2] + sizes[3];
    c.w = (GruWeights){w, w + sizes[0], w + sizes[0] + sizes[1], w + sizes[0] + sizes[1] + sizes[2], IN, H};
    c.dw = (GruWeights){dw, dw + sizes[0], dw + sizes[0] + sizes[1], dw + sizes[0] + sizes[1] + sizes[2], IN, H};
    fill_uniform(w, sizes[0] + sizes[1] + sizes[2] + sizes[3], 0.8f, &rng);
    fill_uniform(&c.x[0][0], sizeof c.x / sizeof(float), 1.0f, &rng);
    fill_uniform(c.h0, B * H, 0.5f, &rng);
    fill_uniform(&c.wout[0][0], sizeof c.wout / sizeof(float), 1.0f, &rng);
    for (int t = 0; t < 2; t++)
        for (int b = 0; b < B; b++) c.mask[t][b] = 1.0f;
    c.mask[1][2] = 0.0f; /* row 2 is padding at step 1 */

    /* analytic: forward keeping everything, then two backward steps */
    float xp[2][B * 3 * H], h[3][B * H], cache[2][B * 4 * H], rin[2][B * H];
    memcpy(h[0], c.h0, sizeof c.h0);
    for (int t = 0; t < 2; t++) {
        gemm(0, 1, B, 3 * H, IN, 1.0f, c.x[t], IN, c.w.Wx, IN, 0.0f, xp[t], 3 * H);
        add_bias_rows(xp[t], c.w.bx, B, 3 * H);
        const float *rec_in = gru_case_rec_in(&c, h[t], rin[t]);
        if (!rec_in) memcpy(rin[t], h[t], sizeof rin[t]); /* what the weight gradient reads */
        gru_step_forward(&c.w, B, xp[t], h[t], rec_in, c.mask[t], h[t + 1], cache[t]);
    }
    EXPECT(memcmp(h[2] + 2 * H, h[1] + 2 * H, sizeof(float) * H) == 0); /* padding carries the state */
    float dh[B * H], dh_prev[B * H], dxp[2][B * 3 * H], dhp[2][B * 3 * H], dh0[B * H];
    memcpy(dh, c.wout[1], sizeof dh);
    gru_step_backward(&c.w, B, h[1], c.rec_mask, c.mask[1], cache[1], dh, dxp[1], dhp[1], dh_prev);
    for (int i = 0; i < B * H; i++) dh_prev[i] += c.wout[0][i];
    gru_step_backward(&c.w, B, h[0], c.rec_mask, c.mask[0], cache[0], dh_prev, dxp[0], dhp[0], dh0);
    for (int t = 0; t < 2; t++) gru_weight_grads(&c.dw, B, c.x[t], IN, rin[t], dxp[t], dhp[t]);

    GradReport r;
    const char *names[4] = {"Wx", "Wh", "bx", "bh"};
    float *params[4] = {c.w.Wx, c.w.Wh, c.w.bx, c.w.bh}, *grads[4] = {c.dw.Wx, c.dw.Wh, c.dw.bx, c.dw.bh};
    /* h = 1e-2: at 1e-3 the fp32 rounding of the states alone moves a numerical
     * derivative by ~1e-4, the tolerance (Wx[37] of the recurrent-dropout case:
     * off by 0.9e-4 with OpenBLAS, 1.2e-4 with oneDNN; both within 3e-6 at 1e-2) */
    for (int k = 0; k < 4; k++) {
        r = gradcheck(names[k], params[k], grads[k], sizes[k], gru_loss, &c, 1e-2, 1e-4, 1e-2, 1000);
        EXPECT_MSG(r.failed == 0, "%s: %d of %d entries off", names[k], r.failed, r.checked);
        EXPECT(r.significant > r.checked / 2);
    }
    r = gradcheck("h0", c.h0, dh0, B * H, gru_loss, &c, 1e-3, 1e-4, 1e-2, 1000);
    EXPECT_MSG(r.failed == 0, "h0: %d of %d entries off", r.failed, r.checked);
    free(w);
}

static void test_gru_step_gradients(void) { check_gru_step(0); }
static void test_gru_step_gradients_recurrent_dropout(void) { check_gru_step(1); }

/* ---- attention: two query steps over a padded source, L = sum w_t . c_t ---- */
enum { A_B = 3, A_TS = 4, A_H = 3, A_A = 5 };
typedef struct {
    AttentionWeights w, dw;
    float ann[A_TS * A_B * 2 * A_H], mask[A_TS * A_B], s[2][A_B * A_H], wout[2][A_B * 2 * A_H];
} AttCase;

static double att_loss(void *vctx) {
    AttCase *c = vctx;
    float keys[A_TS * A_B * A_A], alpha[A_B * A_TS], ctx[A_B * 2 * A_H], q[A_B * A_A], pre[A_TS * A_B * A_A];
    attention_keys_forward(&c->w, A_TS, A_B, c->ann, keys);
    double L = 0;
    const AttentionMemory mem = {A_TS, A_B, NULL, c->ann, keys, c->mask};
    for (int t = 0; t < 2; t++) {
        AttentionStepActs a = {alpha, ctx, q, pre};
        attention_step_forward(&c->w, &mem, A_B, c->s[t], &a);
        L += dot_d(c->wout[t], ctx, A_B * 2 * A_H);
    }
    return L;
}

static void check_attention(AttentionType type) {
    Rng rng;
    rng_seed(&rng, 11 + type, 0);
    AttCase c;
    memset(&c, 0, sizeof c);
    const int B = A_B, Ts = A_TS, H = A_H, A = type == ATTENTION_BAHDANAU ? A_A : A_H;
    size_t nU = (size_t)A * 2 * H, nW = (size_t)A * H;
    float *w = calloc(2 * (nU + A + nW + A), sizeof(float));
    float *dw = w + nU + A + nW + A;
    if (type == ATTENTION_BAHDANAU) {
        c.w = (AttentionWeights){w, w + nU, w + nU + A, w + nU + A + nW, type, A, H};
        c.dw = (AttentionWeights){dw, dw + nU, dw + nU + A, dw + nU + A + nW, type, A, H};
    } else {
        c.w = (AttentionWeights){w, NULL, NULL, NULL, type, A, H};
        c.dw = (AttentionWeights){dw, NULL, NULL, NULL, type, A, H};
    }
    fill_uniform(w, nU + A + nW + A, 1.0f, &rng);
    fill_uniform(c.ann, sizeof c.ann / sizeof(float), 1.0f, &rng);
    fill_uniform(&c.s[0][0], sizeof c.s / sizeof(float), 1.0f, &rng);
    fill_uniform(&c.wout[0][0], sizeof c.wout / sizeof(float), 1.0f, &rng);
    int len[A_B] = {4, 2, 3};
    for (int j = 0; j < Ts; j++)
        for (int b = 0; b < B; b++) {
            c.mask[j * B + b] = j < len[b];
            if (j >= len[b]) memset(c.ann + ((size_t)j * B + b) * 2 * H, 0, sizeof(float) * 2 * H);
        }

    float keys[A_TS * A_B * A_A], alpha[2][A_B * A_TS], ctx[A_B * 2 * A_H], q[2][A_B * A_A], pre[2][A_TS * A_B * A_A];
    float d_ann[A_TS * A_B * 2 * A_H] = {0}, dkeys[A_TS * A_B * A_A] = {0}, ds[2][A_B * A_H] = {{0}}, dq[2][A_B * A_A];
    float scratch[A_B * A_TS];
    attention_keys_forward(&c.w, Ts, B, c.ann, keys);
    const AttentionMemory mem = {Ts, B, NULL, c.ann, keys, c.mask};
    AttentionStepActs acts[2];
    for (int t = 0; t < 2; t++) {
        acts[t] = (AttentionStepActs){alpha[t], ctx, q[t], pre[t]};
        attention_step_forward(&c.w, &mem, B, c.s[t], &acts[t]);
        for (int b = 0; b < B; b++) {
            double sum = 0;
            for (int j = 0; j < Ts; j++) sum += alpha[t][b * Ts + j];
            EXPECT_NEAR(sum, 1.0, 1e-6);
            for (int j = len[b]; j < Ts; j++) EXPECT(alpha[t][b * Ts + j] == 0.0f);
        }
    }
    for (int t = 0; t < 2; t++) {
        const AttentionStepGrads g = {d_ann, dkeys, ds[t], dq[t] /* unused for dot */, scratch};
        attention_step_backward(&c.w, &c.dw, &mem, B, c.s[t], &acts[t], c.wout[t], NULL, &g);
    }
    /* the deferred products over both steps */
    attention_keys_backward(&c.w, &c.dw, Ts, B, c.ann, dkeys, d_ann);
    attention_query_backward(&c.w, &c.dw, 2 * B, &dq[0][0], &c.s[0][0]);

    GradReport r = gradcheck("U", c.w.U, c.dw.U, nU, att_loss, &c, 1e-2, 1e-4, 1e-2, 1000);
    EXPECT_MSG(r.failed == 0, "U: %d of %d off", r.failed, r.checked);
    r = gradcheck("ann", c.ann, d_ann, sizeof c.ann / sizeof(float), att_loss, &c, 1e-3, 1e-4, 1e-2, 1000);
    EXPECT_MSG(r.failed == 0, "ann: %d of %d off", r.failed, r.checked);
    r = gradcheck("s", &c.s[0][0], &ds[0][0], sizeof c.s / sizeof(float), att_loss, &c, 1e-3, 1e-4, 1e-2, 1000);
    EXPECT_MSG(r.failed == 0, "s: %d of %d off", r.failed, r.checked);
    EXPECT(r.significant > r.checked / 2);
    if (type == ATTENTION_BAHDANAU) {
        r = gradcheck("W", c.w.W, c.dw.W, nW, att_loss, &c, 1e-3, 1e-4, 1e-2, 1000);
        EXPECT_MSG(r.failed == 0, "W: %d of %d off", r.failed, r.checked);
        r = gradcheck("b", c.w.b, c.dw.b, A, att_loss, &c, 1e-3, 1e-4, 1e-2, 1000);
        EXPECT_MSG(r.failed == 0, "b: %d of %d off", r.failed, r.checked);
        r = gradcheck("v", c.w.v, c.dw.v, A, att_loss, &c, 1e-3, 1e-4, 1e-2, 1000);
        EXPECT_MSG(r.failed == 0, "v: %d of %d off", r.failed, r.checked);
    }
    free(w);
}

static void test_bahdanau_attention_gradients(void) { check_attention(ATTENTION_BAHDANAU); }
static void test_dot_attention_gradients(void) { check_attention(ATTENTION_DOT); }

/* ---- the whole model on a tiny padded batch ---- */
typedef struct {
    ModelConfig cfg;
    ModelParams p, g;
    float *params, *grads;
    Batch batch;
    Arena arena;
    float eps;
    double scale;
} ModelCase;

static double model_loss(void *vctx) {
    ModelCase *c = vctx;
    Rng rng;
    rng_seed(&rng, 99, 0); /* the same dropout masks on every call */
    memset(c->grads, 0, sizeof(float) * model_num_params(&c->cfg));
    arena_reset(&c->arena);
    LossSum s = seq2seq_train_step(&c->p, &c->g, &c->cfg, &c->batch, c->eps, (float)c->scale, &rng, &c->arena);
    /* the guidance term's weight travels in the batch; s.guide is unweighted */
    return (s.loss + (c->batch.has_guide ? c->batch.guide_weight * s.guide : 0.0)) * c->scale;
}

/* Gold attention rows for the test batch (Ts 4, Tt 5, B 3): a link to one
 * position, a row split over two, a row over three; other rows (</s>,
 * padding, a token without links) stay unguided. */
static void fill_test_guide(Batch *b, float weight) {
    float *g = batch_guide_begin(b, weight);
    const int B = b->B, Ts = b->Ts;
#define G(t, row, j) g[((size_t)(t) * B + (row)) * Ts + (j)]
    G(0, 0, 0) = 1.0f;
    G(1, 0, 1) = 0.5f, G(1, 0, 3) = 0.5f;
    G(2, 0, 2) = 1.0f;
    G(0, 1, 1) = 1.0f; /* row 1 has 2 source tokens */
    G(2, 1, 0) = 0.5f, G(2, 1, 1) = 0.5f;
    G(3, 1, 0) = 1.0f;
    G(0, 2, 0) = 1.0f / 3, G(0, 2, 1) = 1.0f / 3, G(0, 2, 2) = 1.0f / 3;
#undef G
}

static void check_model_decoder(AttentionType type, DecoderType decoder, float dropout, float rec_dropout, float eps,
                                int deep_output, int tie_target, float guide_weight) {
    ModelCase c;
    memset(&c, 0, sizeof c);
    c.cfg = (ModelConfig){.src_vocab = 9, .tgt_vocab = 8, .emb = 3, .hidden = 4, .att_dim = 5,
                          .attention = type, .decoder = decoder, .dropout = dropout, .rec_dropout = rec_dropout,
                          .deep_output = deep_output,
                          .tie_target = tie_target};
    size_t n = model_num_params(&c.cfg);
    c.params = falloc(n);
    c.grads = falloc(n);
    model_bind(&c.cfg, c.params, &c.p);
    model_bind(&c.cfg, c.grads, &c.g);
    model_init_params(&c.cfg, c.params, 5);
    /* larger weights than the init so every term matters */
    Rng rng;
    rng_seed(&rng, 3, type);
    for (size_t i = 0; i < n; i++) c.params[i] += 0.3f * (2.0f * rng_uniform(&rng) - 1.0f);
    int s0[] = {4, 5, 6, 7}, s1[] = {8, 4}, s2[] = {5, 5, 6};
    int t0[] = {4, 5, 6}, t1[] = {7, 4, 5, 6}, t2[] = {6};
    const int *src[] = {s0, s1, s2}, *tgt[] = {t0, t1, t2};
    int slen[] = {4, 2, 3}, tlen[] = {3, 4, 1};
    batch_fill(&c.batch, 3, src, slen, tgt, tlen);
    if (guide_weight > 0.0f) fill_test_guide(&c.batch, guide_weight);
    c.eps = eps;
    c.scale = 1.0 / c.batch.n_tgt_tokens;
    model_loss(&c);
    float *analytic = falloc(n);
    memcpy(analytic, c.grads, sizeof(float) * n);
    ParamInfo table[32];
    int count = model_param_table(&c.cfg, table, 32);
    int significant = 0, checked = 0;
    for (int k = 0; k < count; k++) {
        GradReport r = gradcheck(table[k].name, c.params + table[k].offset, analytic + table[k].offset,
                                 table[k].size, model_loss, &c, 1e-3, 2e-4, 2e-2, 400);
        EXPECT_MSG(r.failed == 0, "%s: %d of %d entries off", table[k].name, r.failed, r.checked);
        significant += r.significant;
        checked += r.checked;
    }
    EXPECT_MSG(significant > checked / 4, "%d of %d checked entries have |gradient| > 1e-3", significant, checked);
    /* the <pad> row of the source embeddings gets no gradient */
    for (int k = 0; k < c.cfg.emb; k++) EXPECT(analytic[k] == 0.0f);
    free(analytic);
    free(c.params);
    free(c.grads);
    batch_free(&c.batch);
    arena_free(&c.arena);
}

static void check_model(AttentionType type, float dropout, float rec_dropout, float eps, int deep_output,
                        int tie_target, float guide_weight) {
    check_model_decoder(type, DECODER_GRU, dropout, rec_dropout, eps, deep_output, tie_target, guide_weight);
}

static void test_model_gradients_bahdanau(void) { check_model(ATTENTION_BAHDANAU, 0.0f, 0.0f, 0.0f, 0, 0, 0.0f); }
static void test_model_gradients_dot(void) { check_model(ATTENTION_DOT, 0.0f, 0.0f, 0.0f, 0, 0, 0.0f); }
static void test_model_gradients_dropout_label_smoothing(void) {
    check_model(ATTENTION_BAHDANAU, 0.3f, 0.0f, 0.1f, 0, 0, 0.0f);
}
static void test_model_gradients_recurrent_dropout(void) {
    check_model(ATTENTION_BAHDANAU, 0.2f, 0.3f, 0.1f, 0, 0, 0.0f);
}
static void test_model_gradients_deep_output(void) { check_model(ATTENTION_BAHDANAU, 0.2f, 0.0f, 0.1f, 1, 0, 0.0f); }
static void test_model_gradients_deep_output_tied(void) { check_model(ATTENTION_DOT, 0.0f, 0.0f, 0.0f, 1, 1, 0.0f); }
/* guided alignment: the attention cross-entropy term, weighted heavily so
 * that it dominates the gradient of the attention parameters */
static void test_model_gradients_guided_bahdanau(void) {
    check_model(ATTENTION_BAHDANAU, 0.2f, 0.0f, 0.1f, 1, 1, 2.0f);
}
static void test_model_gradients_guided_dot(void) { check_model(ATTENTION_DOT, 0.0f, 0.0f, 0.0f, 0, 0, 2.0f); }
/* the conditional GRU decoder: guidance and recurrent dropout, both scorers */
static void test_model_gradients_cgru_guided_bahdanau(void) {
    check_model_decoder(ATTENTION_BAHDANAU, DECODER_CGRU, 0.2f, 0.3f, 0.1f, 1, 1, 2.0f);
}
static void test_model_gradients_cgru_guided_dot(void) {
    check_model_decoder(ATTENTION_DOT, DECODER_CGRU, 0.0f, 0.0f, 0.0f, 0, 0, 2.0f);
}

/* The guidance loss's bookkeeping: the guided rows are counted, the loss of
 * a near-uniform (initial) attention is about the log of each row's source
 * length, and a refilled batch carries no guidance. */
static void test_guide_loss_counts_rows(void) {
    ModelCase c;
    memset(&c, 0, sizeof c);
    c.cfg = (ModelConfig){.src_vocab = 9, .tgt_vocab = 8, .emb = 3, .hidden = 4, .att_dim = 5};
    size_t n = model_num_params(&c.cfg);
    c.params = falloc(n), c.grads = falloc(n);
    model_bind(&c.cfg, c.params, &c.p), model_bind(&c.cfg, c.grads, &c.g);
    model_init_params(&c.cfg, c.params, 5);
    int s0[] = {4, 5, 6, 7}, s1[] = {8, 4}, s2[] = {5, 5, 6}, t0[] = {4, 5, 6}, t1[] = {7, 4, 5, 6}, t2[] = {6};
    const int *src[] = {s0, s1, s2}, *tgt[] = {t0, t1, t2};
    int slen[] = {4, 2, 3}, tlen[] = {3, 4, 1};
    batch_fill(&c.batch, 3, src, slen, tgt, tlen);
    fill_test_guide(&c.batch, 1.0f);
    Rng rng;
    rng_seed(&rng, 1, 0);
    LossSum s = seq2seq_train_step(&c.p, &c.g, &c.cfg, &c.batch, 0.0f, 1.0f, &rng, &c.arena);
    EXPECT(s.guided == 7);
    EXPECT(s.guide > 0.0);
    /* near-uniform attention at initialization: each row costs about log of its source length */
    EXPECT(s.guide > 0.5 * (4 * 1.386 + 3 * 0.693) && s.guide < 2.0 * (4 * 1.386 + 3 * 0.693));
    batch_fill(&c.batch, 3, src, slen, tgt, tlen); /* a refill leaves no guidance */
    EXPECT(c.batch.has_guide == 0);
    arena_reset(&c.arena);
    s = seq2seq_train_step(&c.p, &c.g, &c.cfg, &c.batch, 0.0f, 1.0f, &rng, &c.arena);
    EXPECT(s.guided == 0 && s.guide == 0.0);
    free(c.params), free(c.grads);
    batch_free(&c.batch);
    arena_free(&c.arena);
}

int main(void) {
    RUN(test_gru_step_gradients);
    RUN(test_gru_step_gradients_recurrent_dropout);
    RUN(test_bahdanau_attention_gradients);
    RUN(test_dot_attention_gradients);
    RUN(test_model_gradients_bahdanau);
    RUN(test_model_gradients_dot);
    RUN(test_model_gradients_dropout_label_smoothing);
    RUN(test_model_gradients_recurrent_dropout);
    RUN(test_model_gradients_deep_output);
    RUN(test_model_gradients_deep_output_tied);
    RUN(test_model_gradients_guided_bahdanau);
    RUN(test_model_gradients_guided_dot);
    RUN(test_model_gradients_cgru_guided_bahdanau);
    RUN(test_model_gradients_cgru_guided_dot);
    RUN(test_guide_loss_counts_rows);
    TEST_EXIT();
}
