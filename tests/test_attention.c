/* Finite-difference checks of attention (src/attention/), both scorers
 * (Bahdanau, dot): the keys computed once per sentence, with their weights
 * and the annotations checked; and the attention step over a padded
 * source, two query steps, whose weights sum to 1 and are 0 at padding,
 * with the keys' and the query's deferred weight gradients and the
 * gradients of the annotations and the decoder states. */
#include <string.h>

#include "attention/attention.h"
#include "nn/rng.h"
#include "sys/util.h"
#include "gradcheck.h"
#include "layer_net.h"
#include "test.h"

/* ---- attention keys: L = w . keys ---- */
typedef struct {
    Net net;
    float ann[TS * B * 2 * H], w[TS * B * 5];
} KeysCase;

static double keys_loss(void *vctx) {
    KeysCase *c = vctx;
    float keys[TS * B * 5];
    attention_keys_forward(&c->net.p.dec.att, TS, B, c->ann, keys);
    return dot_d(c->w, keys, (size_t)TS * B * c->net.p.dec.att.A);
}

static void check_keys(AttentionType type) {
    KeysCase c;
    net_init(&c.net, type, 0, 0, 7);
    Rng rng;
    rng_seed(&rng, 8, 0);
    fill_uniform(c.ann, TS * B * 2 * H, 1.0f, &rng);
    fill_uniform(c.w, TS * B * 5, 1.0f, &rng);
    float d_ann[TS * B * 2 * H] = {0};
    attention_keys_backward(&c.net.p.dec.att, &c.net.g.dec.att, TS, B, c.ann, c.w, d_ann);
    const char *const names[] = {"att_U", "att_b", NULL};
    check_tensors(&c.net, names, keys_loss, &c, c.net.grads);
    check_input("ann", c.ann, d_ann, TS * B * 2 * H, keys_loss, &c);
    net_free(&c.net);
}

static void test_attention_keys_gradients_bahdanau(void) { check_keys(ATTENTION_BAHDANAU); }
static void test_attention_keys_gradients_dot(void) { check_keys(ATTENTION_DOT); }

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
    /* the step's own sizes (A_*), not the net's of layer_net.h */
    const int A = type == ATTENTION_BAHDANAU ? A_A : A_H;
    size_t nU = (size_t)A * 2 * A_H, nW = (size_t)A * A_H;
    float *w = calloc(2 * (nU + A + nW + A), sizeof(float));
    float *dw = w + nU + A + nW + A;
    if (type == ATTENTION_BAHDANAU) {
        c.w = (AttentionWeights){w, w + nU, w + nU + A, w + nU + A + nW, type, A, A_H};
        c.dw = (AttentionWeights){dw, dw + nU, dw + nU + A, dw + nU + A + nW, type, A, A_H};
    } else {
        c.w = (AttentionWeights){w, NULL, NULL, NULL, type, A, A_H};
        c.dw = (AttentionWeights){dw, NULL, NULL, NULL, type, A, A_H};
    }
    fill_uniform(w, nU + A + nW + A, 1.0f, &rng);
    fill_uniform(c.ann, sizeof c.ann / sizeof(float), 1.0f, &rng);
    fill_uniform(&c.s[0][0], sizeof c.s / sizeof(float), 1.0f, &rng);
    fill_uniform(&c.wout[0][0], sizeof c.wout / sizeof(float), 1.0f, &rng);
    int len[A_B] = {4, 2, 3};
    for (int j = 0; j < A_TS; j++)
        for (int b = 0; b < A_B; b++) {
            c.mask[j * A_B + b] = j < len[b];
            if (j >= len[b]) memset(c.ann + ((size_t)j * A_B + b) * 2 * A_H, 0, sizeof(float) * 2 * A_H);
        }

    float keys[A_TS * A_B * A_A], alpha[2][A_B * A_TS], ctx[A_B * 2 * A_H], q[2][A_B * A_A], pre[2][A_TS * A_B * A_A];
    float d_ann[A_TS * A_B * 2 * A_H] = {0}, dkeys[A_TS * A_B * A_A] = {0}, ds[2][A_B * A_H] = {{0}}, dq[2][A_B * A_A];
    float scratch[A_B * A_TS];
    attention_keys_forward(&c.w, A_TS, A_B, c.ann, keys);
    const AttentionMemory mem = {A_TS, A_B, NULL, c.ann, keys, c.mask};
    AttentionStepActs acts[2];
    for (int t = 0; t < 2; t++) {
        acts[t] = (AttentionStepActs){alpha[t], ctx, q[t], pre[t]};
        attention_step_forward(&c.w, &mem, A_B, c.s[t], &acts[t]);
        for (int b = 0; b < A_B; b++) {
            double sum = 0;
            for (int j = 0; j < A_TS; j++) sum += alpha[t][b * A_TS + j];
            EXPECT_NEAR(sum, 1.0, 1e-6);
            for (int j = len[b]; j < A_TS; j++) EXPECT(alpha[t][b * A_TS + j] == 0.0f);
        }
    }
    for (int t = 0; t < 2; t++) {
        const AttentionStepGrads g = {d_ann, dkeys, ds[t], dq[t] /* unused for dot */, scratch};
        attention_step_backward(&c.w, &c.dw, &mem, A_B, c.s[t], &acts[t], c.wout[t], NULL, &g);
    }
    /* the deferred products over both steps */
    attention_keys_backward(&c.w, &c.dw, A_TS, A_B, c.ann, dkeys, d_ann);
    attention_query_backward(&c.w, &c.dw, 2 * A_B, &dq[0][0], &c.s[0][0]);

    GradReport r = gradcheck("U", c.w.U, c.dw.U, nU, att_loss, &c, 1e-2, 1e-4, 1e-2, 1000);

    EXPECT_MSG(gradcheck_catches(c.w.U, c.dw.U, nU, att_loss, &c, 1e-2, 1e-4, 1e-2), "U: a wrong gradient went unnoticed");
    EXPECT_MSG(r.failed == 0, "U: %d of %d off", r.failed, r.checked);
    r = gradcheck("ann", c.ann, d_ann, sizeof c.ann / sizeof(float), att_loss, &c, 1e-3, 1e-4, 1e-2, 1000);
    EXPECT_MSG(gradcheck_catches(c.ann, d_ann, sizeof c.ann / sizeof(float), att_loss, &c, 1e-3, 1e-4, 1e-2), "ann: a wrong gradient went unnoticed");
    EXPECT_MSG(r.failed == 0, "ann: %d of %d off", r.failed, r.checked);
    r = gradcheck("s", &c.s[0][0], &ds[0][0], sizeof c.s / sizeof(float), att_loss, &c, 1e-3, 1e-4, 1e-2, 1000);
    EXPECT_MSG(gradcheck_catches(&c.s[0][0], &ds[0][0], sizeof c.s / sizeof(float), att_loss, &c, 1e-3, 1e-4, 1e-2), "s: a wrong gradient went unnoticed");
    EXPECT_MSG(r.failed == 0, "s: %d of %d off", r.failed, r.checked);
    EXPECT(r.significant > r.checked / 2);
    if (type == ATTENTION_BAHDANAU) {
        r = gradcheck("W", c.w.W, c.dw.W, nW, att_loss, &c, 1e-3, 1e-4, 1e-2, 1000);
        EXPECT_MSG(gradcheck_catches(c.w.W, c.dw.W, nW, att_loss, &c, 1e-3, 1e-4, 1e-2), "W: a wrong gradient went unnoticed");
        EXPECT_MSG(r.failed == 0, "W: %d of %d off", r.failed, r.checked);
        r = gradcheck("b", c.w.b, c.dw.b, A, att_loss, &c, 1e-3, 1e-4, 1e-2, 1000);
        EXPECT_MSG(gradcheck_catches(c.w.b, c.dw.b, A, att_loss, &c, 1e-3, 1e-4, 1e-2), "b: a wrong gradient went unnoticed");
        EXPECT_MSG(r.failed == 0, "b: %d of %d off", r.failed, r.checked);
        r = gradcheck("v", c.w.v, c.dw.v, A, att_loss, &c, 1e-3, 1e-4, 1e-2, 1000);
        EXPECT_MSG(gradcheck_catches(c.w.v, c.dw.v, A, att_loss, &c, 1e-3, 1e-4, 1e-2), "v: a wrong gradient went unnoticed");
        EXPECT_MSG(r.failed == 0, "v: %d of %d off", r.failed, r.checked);
    }
    free(w);
}

static void test_bahdanau_attention_gradients(void) { check_attention(ATTENTION_BAHDANAU); }
static void test_dot_attention_gradients(void) { check_attention(ATTENTION_DOT); }

int main(void) {
    RUN(test_attention_keys_gradients_bahdanau);
    RUN(test_attention_keys_gradients_dot);
    RUN(test_bahdanau_attention_gradients);
    RUN(test_dot_attention_gradients);
    TEST_EXIT();
}
