/* Finite-difference checks of attention (src/attention/), both scorers
 * (Bahdanau, dot): the keys computed once per sentence, with their weights
 * and the annotations checked; and the attention step over a padded
 * source, two query steps, whose weights sum to 1 and are 0 at padding,
 * with the keys' and the query's deferred weight gradients and the
 * gradients of the annotations and the decoder states; the same with 2
 * and 4 heads (and their values' Wv), and the heads' scores and contexts
 * against the formula. */
#include <math.h>
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

/* ---- attention: two query steps over a padded source, L = sum w_t . c_t ----
 * Sizes per case: the step's own (not the net's of layer_net.h), N heads. */
enum { A_B = 3, A_TS = 4 };
typedef struct {
    AttentionWeights w, dw;
    int A, H, heads;
    float *ann, *mask, *s[2], *wout[2];       /* [Ts][B][2H], [Ts][B], [B][H], [B][2H] */
    float *keys, *alpha, *ctx, *q, *pre;      /* the loss's scratch */
} AttCase;

static double att_loss(void *vctx) {
    AttCase *c = vctx;
    attention_keys_forward(&c->w, A_TS, A_B, c->ann, c->keys);
    double L = 0;
    const AttentionMemory mem = {A_TS, A_B, NULL, c->ann, c->keys, c->mask};
    for (int t = 0; t < 2; t++) {
        AttentionStepActs a = {c->alpha, c->ctx, c->q, c->pre};
        attention_step_forward(&c->w, &mem, A_B, c->s[t], &a);
        L += dot_d(c->wout[t], c->ctx, (size_t)A_B * 2 * c->H);
    }
    return L;
}

/* gradcheck of one array, and proof that the check catches a wrong gradient */
static void check_array(const char *name, float *x, const float *dx, size_t n, AttCase *c, double h) {
    GradReport r = gradcheck(name, x, dx, n, att_loss, c, h, 1e-4, 1e-2, 1000);
    EXPECT_MSG(gradcheck_catches(x, dx, n, att_loss, c, h, 1e-4, 1e-2), "%s: a wrong gradient went unnoticed", name);
    EXPECT_MSG(r.failed == 0, "%s: %d of %d off", name, r.failed, r.checked);
    EXPECT_MSG(r.significant > 0, "%s: no entry with a gradient above 1e-3", name);
}

static void check_attention_heads(AttentionType type, int heads, int Hs, int As) {
    Rng rng;
    rng_seed(&rng, 11 + type + 17 * (heads - 1), 0);
    AttCase c;
    memset(&c, 0, sizeof c);
    const int H = Hs, A = type == ATTENTION_BAHDANAU ? As : Hs, H2 = 2 * H, NH = heads;
    c.A = A, c.H = H, c.heads = heads;
    const size_t nU = (size_t)A * H2, nW = (size_t)A * H, nV = heads > 1 ? (size_t)H2 * H2 : 0;
    const size_t nall = nU + A + nW + A + nV;
    float *w = calloc(2 * nall, sizeof(float)), *dw = w + nall;
    if (type == ATTENTION_BAHDANAU) {
        c.w = (AttentionWeights){.U = w, .b = w + nU, .W = w + nU + A, .v = w + nU + A + nW};
        c.dw = (AttentionWeights){.U = dw, .b = dw + nU, .W = dw + nU + A, .v = dw + nU + A + nW};
    } else {
        c.w = (AttentionWeights){.U = w};
        c.dw = (AttentionWeights){.U = dw};
    }
    c.w.type = c.dw.type = type, c.w.A = c.dw.A = A, c.w.H = c.dw.H = H, c.w.heads = c.dw.heads = heads;
    if (heads > 1) c.w.Wv = w + nU + A + nW + A, c.dw.Wv = dw + nU + A + nW + A;
    const size_t nann = (size_t)A_TS * A_B * H2, nkeys = attention_keys_floats(&c.w, A_TS, A_B);
    const size_t nrow = attention_row_floats(&c.w, A_TS);
    c.ann = calloc(nann, sizeof(float)), c.mask = calloc(A_TS * A_B, sizeof(float));
    for (int t = 0; t < 2; t++)
        c.s[t] = calloc((size_t)A_B * H, sizeof(float)), c.wout[t] = calloc((size_t)A_B * H2, sizeof(float));
    c.keys = calloc(nkeys, sizeof(float)), c.alpha = calloc(A_B * nrow, sizeof(float));
    c.ctx = calloc((size_t)A_B * H2, sizeof(float)), c.q = calloc((size_t)A_B * A, sizeof(float));
    c.pre = calloc((size_t)A_TS * A_B * A, sizeof(float));
    EXPECT(nrow == (size_t)NH * A_TS);
    EXPECT(nkeys == (size_t)A_TS * A_B * (A + (heads > 1 ? H2 : 0)));
    fill_uniform(w, nall, 1.0f, &rng);
    fill_uniform(c.ann, nann, 1.0f, &rng);
    for (int t = 0; t < 2; t++) fill_uniform(c.s[t], (size_t)A_B * H, 1.0f, &rng);
    for (int t = 0; t < 2; t++) fill_uniform(c.wout[t], (size_t)A_B * H2, 1.0f, &rng);
    int len[A_B] = {4, 2, 3};
    for (int j = 0; j < A_TS; j++)
        for (int b = 0; b < A_B; b++) {
            c.mask[j * A_B + b] = j < len[b];
            if (j >= len[b]) memset(c.ann + ((size_t)j * A_B + b) * H2, 0, sizeof(float) * H2);
        }

    float *keys = calloc(nkeys, sizeof(float)), *alpha[2], *q[2], *pre[2], *ds[2], *dq[2];
    float *ctx = calloc((size_t)A_B * H2, sizeof(float)), *d_ann = calloc(nann, sizeof(float));
    float *dkeys = calloc(nkeys, sizeof(float)), *scratch = calloc(A_B * nrow, sizeof(float));
    for (int t = 0; t < 2; t++) {
        alpha[t] = calloc(A_B * nrow, sizeof(float)), q[t] = calloc((size_t)A_B * A, sizeof(float));
        pre[t] = calloc((size_t)A_TS * A_B * A, sizeof(float)), ds[t] = calloc((size_t)A_B * H, sizeof(float));
        dq[t] = calloc((size_t)A_B * A, sizeof(float));
    }
    attention_keys_forward(&c.w, A_TS, A_B, c.ann, keys);
    const AttentionMemory mem = {A_TS, A_B, NULL, c.ann, keys, c.mask};
    AttentionStepActs acts[2];
    for (int t = 0; t < 2; t++) {
        acts[t] = (AttentionStepActs){alpha[t], ctx, q[t], pre[t]};
        attention_step_forward(&c.w, &mem, A_B, c.s[t], &acts[t]);
        /* every head's weights: a distribution over the real positions */
        for (int b = 0; b < A_B; b++)
            for (int k = 0; k < NH; k++) {
                const float *a = alpha[t] + ((size_t)b * NH + k) * A_TS;
                double sum = 0;
                for (int j = 0; j < A_TS; j++) sum += a[j];
                EXPECT_NEAR(sum, 1.0, 1e-6);
                for (int j = len[b]; j < A_TS; j++) EXPECT(a[j] == 0.0f);
            }
    }
    if (NH > 1) { /* the heads attend differently: their own slices of the keys */
        double diff = 0;
        for (int j = 0; j < A_TS; j++) diff += fabs(alpha[0][j] - alpha[0][A_TS + j]);
        EXPECT_MSG(diff > 1e-3, "heads 1 and 2 of row 0 have the same weights (%g apart)", diff);
    }
    float *dq_all = calloc((size_t)2 * A_B * A, sizeof(float)), *s_all = calloc((size_t)2 * A_B * H, sizeof(float));
    for (int t = 0; t < 2; t++) {
        const AttentionStepGrads g = {d_ann, dkeys, ds[t], dq[t] /* unused for dot */, scratch};
        attention_step_backward(&c.w, &c.dw, &mem, A_B, c.s[t], &acts[t], c.wout[t], NULL, &g);
        memcpy(dq_all + (size_t)t * A_B * A, dq[t], sizeof(float) * (size_t)A_B * A);
        memcpy(s_all + (size_t)t * A_B * H, c.s[t], sizeof(float) * (size_t)A_B * H);
    }
    /* the deferred products over both steps */
    attention_keys_backward(&c.w, &c.dw, A_TS, A_B, c.ann, dkeys, d_ann);
    attention_query_backward(&c.w, &c.dw, 2 * A_B, dq_all, s_all);

    check_array("U", c.w.U, c.dw.U, nU, &c, 1e-2);
    check_array("ann", c.ann, d_ann, nann, &c, 1e-2);
    float *ds_all = calloc((size_t)2 * A_B * H, sizeof(float));
    for (int t = 0; t < 2; t++) memcpy(ds_all + (size_t)t * A_B * H, ds[t], sizeof(float) * (size_t)A_B * H);
    for (int t = 0; t < 2; t++) {
        GradReport r = gradcheck("s", c.s[t], ds[t], (size_t)A_B * H, att_loss, &c, 1e-3, 1e-4, 1e-2, 1000);
        EXPECT_MSG(gradcheck_catches(c.s[t], ds[t], (size_t)A_B * H, att_loss, &c, 1e-3, 1e-4, 1e-2),
                   "s: a wrong gradient went unnoticed");
        EXPECT_MSG(r.failed == 0, "s[%d]: %d of %d off", t, r.failed, r.checked);
        EXPECT(r.significant > r.checked / 2);
    }
    if (type == ATTENTION_BAHDANAU) {
        check_array("W", c.w.W, c.dw.W, nW, &c, 1e-3);
        check_array("b", c.w.b, c.dw.b, A, &c, 1e-3);
        check_array("v", c.w.v, c.dw.v, A, &c, 1e-3);
    }
    if (heads > 1) check_array("Wv", c.w.Wv, c.dw.Wv, nV, &c, 1e-3);
    for (int t = 0; t < 2; t++) free(alpha[t]), free(q[t]), free(pre[t]), free(ds[t]), free(dq[t]);
    for (int t = 0; t < 2; t++) free(c.s[t]), free(c.wout[t]);
    free(keys), free(ctx), free(d_ann), free(dkeys), free(scratch), free(dq_all), free(s_all), free(ds_all);
    free(c.ann), free(c.mask), free(c.keys), free(c.alpha), free(c.ctx), free(c.q), free(c.pre);
    free(w);
}

static void check_attention(AttentionType type) { check_attention_heads(type, 1, 3, 5); }

static void test_bahdanau_attention_gradients(void) { check_attention(ATTENTION_BAHDANAU); }
static void test_dot_attention_gradients(void) { check_attention(ATTENTION_DOT); }
/* N heads: each its slice of the keys and the query (A/N wide), its own
 * softmax and its slice of the values Wv h_j */
static void test_bahdanau_attention_gradients_2_heads(void) { check_attention_heads(ATTENTION_BAHDANAU, 2, 3, 6); }
static void test_bahdanau_attention_gradients_4_heads(void) { check_attention_heads(ATTENTION_BAHDANAU, 4, 4, 8); }
static void test_dot_attention_gradients_2_heads(void) { check_attention_heads(ATTENTION_DOT, 2, 4, 4); }
static void test_dot_attention_gradients_4_heads(void) { check_attention_heads(ATTENTION_DOT, 4, 4, 4); }

/* With N heads the keys array carries the values after the keys; their
 * weights and the annotations through both are checked in the step above.
 * Here: head k of the dot scorer is exactly the single-head formula on its
 * slices, e_kj = s_k . k_kj / sqrt(H/N). */
static void test_dot_heads_score_their_slices(void) {
    enum { Hh = 4, NH = 2, T = 2 };
    float U[Hh * 2 * Hh], Wv[4 * Hh * Hh], ann[T * 2 * Hh], s[Hh], mask[T] = {1, 1};
    Rng rng;
    rng_seed(&rng, 5, 0);
    fill_uniform(U, sizeof U / sizeof *U, 1.0f, &rng), fill_uniform(Wv, sizeof Wv / sizeof *Wv, 1.0f, &rng);
    fill_uniform(ann, sizeof ann / sizeof *ann, 1.0f, &rng), fill_uniform(s, Hh, 1.0f, &rng);
    const AttentionWeights w = {.U = U, .type = ATTENTION_DOT, .A = Hh, .H = Hh, .Wv = Wv, .heads = NH};
    float keys[T * (Hh + 2 * Hh)], alpha[NH * T], ctx[2 * Hh];
    attention_keys_forward(&w, T, 1, ann, keys);
    const AttentionMemory mem = {T, 1, NULL, ann, keys, mask};
    AttentionStepActs a = {alpha, ctx, NULL, NULL};
    attention_step_forward(&w, &mem, 1, s, &a);
    const int Ah = Hh / NH, Ch = 2 * Hh / NH;
    for (int k = 0; k < NH; k++) {
        double e[T], mx = -1e30, z = 0;
        for (int j = 0; j < T; j++) {
            e[j] = 0;
            for (int i = 0; i < Ah; i++) e[j] += (double)s[k * Ah + i] * keys[j * Hh + k * Ah + i];
            e[j] /= sqrt((double)Ah);
            if (e[j] > mx) mx = e[j];
        }
        for (int j = 0; j < T; j++) z += exp(e[j] - mx);
        for (int j = 0; j < T; j++) EXPECT_NEAR(alpha[k * T + j], exp(e[j] - mx) / z, 1e-5);
        for (int i = 0; i < Ch; i++) { /* head k's context: its weights over its slice of the values */
            double want = 0;
            for (int j = 0; j < T; j++) want += alpha[k * T + j] * keys[T * Hh + j * 2 * Hh + k * Ch + i];
            EXPECT_NEAR(ctx[k * Ch + i], want, 1e-5);
        }
    }
    float mean[T];
    attention_mean_row(NH, T, alpha, mean);
    for (int j = 0; j < T; j++) EXPECT_NEAR(mean[j], 0.5 * (alpha[j] + alpha[T + j]), 1e-7);
}

int main(void) {
    RUN(test_attention_keys_gradients_bahdanau);
    RUN(test_attention_keys_gradients_dot);
    RUN(test_bahdanau_attention_gradients);
    RUN(test_dot_attention_gradients);
    RUN(test_bahdanau_attention_gradients_2_heads);
    RUN(test_bahdanau_attention_gradients_4_heads);
    RUN(test_dot_attention_gradients_2_heads);
    RUN(test_dot_attention_gradients_4_heads);
    RUN(test_dot_heads_score_their_slices);
    TEST_EXIT();
}
