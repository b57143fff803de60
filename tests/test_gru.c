/* Finite-difference checks of the GRU step (nn/gru.c): two steps with a
 * padded row, whose state must carry over unchanged, with and without a
 * recurrent dropout mask shared by both steps, with and without layer
 * normalization; the gradients of the four weight tensors (the input
 * products' through gru_weight_grads), of the four layer-normalization
 * vectors, of the inputs and of the initial state. */
#include <string.h>

#include "nn/blas.h"
#include "nn/dropout.h"
#include "nn/gru.h"
#include "nn/nn.h"
#include "nn/rng.h"
#include "sys/util.h"
#include "gradcheck.h"
#include "test.h"

/* ---- GRU: two steps, L = w1 . h1 + w2 . h2, with a padded row and,
 * optionally, a recurrent dropout mask shared by both steps ---- */
enum { G_B = 3, G_IN = 4, G_H = 5, G_C = 10 * G_H + 6 /* the widest cache row */ };
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
    float xp[G_B * 3 * G_H], h[3][G_B * G_H], cache[G_B * G_C], rin[G_B * G_H];
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

static void check_gru_step(int rec_dropout, int layer_norm) {
    Rng rng;
    rng_seed(&rng, 7, 0);
    GruCase c;
    memset(&c, 0, sizeof c);
    if (rec_dropout) {
        dropout_mask(c.rec_mask_buf, G_B * G_H, 0.4f, &rng);
        c.rec_mask = c.rec_mask_buf;
    }
    const int H = G_H, IN = G_IN, B = G_B, T = layer_norm ? 8 : 4; /* tensors */
    const size_t sizes[8] = {3 * H * IN, 3 * H * H, 3 * H, 3 * H, 3 * H, 3 * H, 3 * H, 3 * H};
    size_t total = 0;
    for (int k = 0; k < T; k++) total += sizes[k];
    float *w = calloc(2 * total, sizeof(float)), *dw = w + total;
    float *params[8] = {0}, *grads[8] = {0};
    for (size_t k = 0, off = 0; k < (size_t)T; off += sizes[k], k++) params[k] = w + off, grads[k] = dw + off;
    c.w = (GruWeights){params[0], params[1], params[2], params[3], IN, H, params[4], params[5], params[6], params[7]};
    c.dw = (GruWeights){grads[0], grads[1], grads[2], grads[3], IN, H, grads[4], grads[5], grads[6], grads[7]};
    fill_uniform(w, total, 0.8f, &rng);
    if (layer_norm) /* gains around 1, as initialized, but each different */
        for (int k = 4; k < 8; k += 2)
            for (size_t i = 0; i < sizes[k]; i++) params[k][i] += 1.0f;
    EXPECT(gru_cache_width(&c.w) <= G_C);
    fill_uniform(&c.x[0][0], sizeof c.x / sizeof(float), 1.0f, &rng);
    fill_uniform(c.h0, B * H, 0.5f, &rng);
    fill_uniform(&c.wout[0][0], sizeof c.wout / sizeof(float), 1.0f, &rng);
    for (int t = 0; t < 2; t++)
        for (int b = 0; b < B; b++) c.mask[t][b] = 1.0f;
    c.mask[1][2] = 0.0f; /* row 2 is padding at step 1 */

    /* analytic: forward keeping everything, then two backward steps */
    float xp[2][B * 3 * H], h[3][B * H], cache[2][B * G_C], rin[2][B * H];
    memcpy(h[0], c.h0, sizeof c.h0);
    for (int t = 0; t < 2; t++) {
        gemm(0, 1, B, 3 * H, IN, 1.0f, c.x[t], IN, c.w.Wx, IN, 0.0f, xp[t], 3 * H);
        add_bias_rows(xp[t], c.w.bx, B, 3 * H);
        const float *rec_in = gru_case_rec_in(&c, h[t], rin[t]);
        if (!rec_in) memcpy(rin[t], h[t], sizeof rin[t]); /* what the weight gradient reads */
        gru_step_forward(&c.w, B, xp[t], h[t], rec_in, c.mask[t], h[t + 1], cache[t]);
    }
    EXPECT(memcmp(h[2] + 2 * H, h[1] + 2 * H, sizeof(float) * H) == 0); /* padding carries the state */
    float dh[B * H], dh_prev[B * H], dxp[2][B * 3 * H], dhp[2][B * 3 * H], dh0[B * H], dx[2][B * IN];
    memcpy(dh, c.wout[1], sizeof dh);
    gru_step_backward(&c.w, &c.dw, B, h[1], c.rec_mask, c.mask[1], cache[1], dh, dxp[1], dhp[1], dh_prev);
    for (int i = 0; i < B * H; i++) dh_prev[i] += c.wout[0][i];
    gru_step_backward(&c.w, &c.dw, B, h[0], c.rec_mask, c.mask[0], cache[0], dh_prev, dxp[0], dhp[0], dh0);
    for (int t = 0; t < 2; t++) {
        gru_weight_grads(&c.dw, B, c.x[t], IN, rin[t], dxp[t], dhp[t]);
        /* xproj = x Wx^T + bx: dx [B][IN] = dxproj [B][3H] Wx */
        gemm(0, 0, B, IN, 3 * H, 1.0f, dxp[t], 3 * H, c.w.Wx, IN, 0.0f, dx[t], IN);
    }

    GradReport r;
    const char *names[8] = {"Wx", "Wh", "bx", "bh", "ln_gx", "ln_bx", "ln_gh", "ln_bh"};
    /* h = 1e-2: at 1e-3 the fp32 rounding of the states alone moves a numerical
     * derivative by ~1e-4, the tolerance (Wx[37] of the recurrent-dropout case:
     * off by 0.9e-4 with OpenBLAS, 1.2e-4 with oneDNN; both within 3e-6 at 1e-2).
     * Layer normalization curves the loss more (through 1/sigma), so that the
     * central difference's h^2 term at 1e-2 is 3.4e-4 (Wx[40] with recurrent
     * dropout; 3e-3 at h = 3e-2, so it is that term): 3e-3 there */
    const double GH = layer_norm ? 3e-3 : 1e-2;
    for (int k = 0; k < T; k++) {
        r = gradcheck(names[k], params[k], grads[k], sizes[k], gru_loss, &c, GH, 1e-4, 1e-2, 1000);
        EXPECT_MSG(gradcheck_catches(params[k], grads[k], sizes[k], gru_loss, &c, GH, 1e-4, 1e-2), "%s: a wrong gradient went unnoticed", names[k]);
        EXPECT_MSG(r.failed == 0, "%s: %d of %d entries off", names[k], r.failed, r.checked);
        EXPECT(r.significant > r.checked / 2);
    }
    for (int t = 0; t < 2; t++) {
        const char *name = t ? "x1" : "x0";
        r = gradcheck(name, c.x[t], dx[t], B * IN, gru_loss, &c, GH, 1e-4, 1e-2, 1000);
        EXPECT_MSG(gradcheck_catches(c.x[t], dx[t], B * IN, gru_loss, &c, GH, 1e-4, 1e-2), "%s: a wrong gradient went unnoticed", name);
        EXPECT_MSG(r.failed == 0, "%s: %d of %d entries off", name, r.failed, r.checked);
    }
    r = gradcheck("h0", c.h0, dh0, B * H, gru_loss, &c, 1e-3, 1e-4, 1e-2, 1000);
    EXPECT_MSG(gradcheck_catches(c.h0, dh0, B * H, gru_loss, &c, 1e-3, 1e-4, 1e-2), "h0: a wrong gradient went unnoticed");
    EXPECT_MSG(r.failed == 0, "h0: %d of %d entries off", r.failed, r.checked);
    free(w);
}

/* Layer normalization of a segment removes its mean and scale: a projection
 * shifted and stretched per gate gives the same step. */
static void test_gru_layer_norm_invariance(void) {
    enum { B = 2, H = 4 };
    Rng rng;
    rng_seed(&rng, 9, 0);
    float wh[3 * H * H], bh[3 * H], v[4][3 * H];
    fill_uniform(wh, 3 * H * H, 0.8f, &rng);
    fill_uniform(bh, 3 * H, 0.8f, &rng);
    fill_uniform(&v[0][0], sizeof v / sizeof(float), 0.8f, &rng);
    for (int i = 0; i < 3 * H; i++) v[0][i] += 1.0f, v[2][i] += 1.0f; /* gains */
    GruWeights g = {NULL, wh, NULL, bh, 1, H, v[0], v[1], v[2], v[3]};
    float xp[B * 3 * H], xs[B * 3 * H], h0[B * H], h1[B * H], h2[B * H], cache[B * (10 * H + 6)];
    fill_uniform(xp, B * 3 * H, 1.0f, &rng);
    fill_uniform(h0, B * H, 0.5f, &rng);
    for (int i = 0; i < B * 3 * H; i++) {
        const int seg = i / H % 3;
        xs[i] = (float)(seg + 2) * xp[i] - 3.0f + (float)seg; /* a different affine map per segment */
    }
    EXPECT(gru_cache_width(&g) == 10 * H + 6);
    gru_step_forward(&g, B, xp, h0, NULL, NULL, h1, cache);
    gru_step_forward(&g, B, xs, h0, NULL, NULL, h2, cache);
    for (int i = 0; i < B * H; i++) EXPECT_NEAR(h1[i], h2[i], 1e-4); /* eps/var: ~1e-5 */
    GruWeights plain = g;
    plain.ln_gx = plain.ln_bx = plain.ln_gh = plain.ln_bh = NULL;
    EXPECT(gru_cache_width(&plain) == 4 * H);
    gru_step_forward(&plain, B, xp, h0, NULL, NULL, h2, cache);
    float diff = 0.0f; /* and without it the step differs: the check above is not vacuous */
    for (int i = 0; i < B * H; i++) diff = fmaxf(diff, fabsf(h1[i] - h2[i]));
    EXPECT(diff > 1e-2f);
}

static void test_gru_step_gradients(void) { check_gru_step(0, 0); }
static void test_gru_step_gradients_recurrent_dropout(void) { check_gru_step(1, 0); }
static void test_gru_step_gradients_layer_norm(void) { check_gru_step(0, 1); }
static void test_gru_step_gradients_layer_norm_recurrent_dropout(void) { check_gru_step(1, 1); }

int main(void) {
    RUN(test_gru_step_gradients);
    RUN(test_gru_step_gradients_recurrent_dropout);
    RUN(test_gru_step_gradients_layer_norm);
    RUN(test_gru_step_gradients_layer_norm_recurrent_dropout);
    RUN(test_gru_layer_norm_invariance);
    TEST_EXIT();
}
