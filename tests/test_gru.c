/* Finite-difference checks of the GRU step (nn/gru.c): two steps with a
 * padded row, whose state must carry over unchanged, with and without a
 * recurrent dropout mask shared by both steps; the gradients of the four
 * weight tensors (the input products' through gru_weight_grads) and of the
 * initial state. */
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
        EXPECT_MSG(gradcheck_catches(params[k], grads[k], sizes[k], gru_loss, &c, 1e-2, 1e-4, 1e-2), "%s: a wrong gradient went unnoticed", names[k]);
        EXPECT_MSG(r.failed == 0, "%s: %d of %d entries off", names[k], r.failed, r.checked);
        EXPECT(r.significant > r.checked / 2);
    }
    r = gradcheck("h0", c.h0, dh0, B * H, gru_loss, &c, 1e-3, 1e-4, 1e-2, 1000);
    EXPECT_MSG(gradcheck_catches(c.h0, dh0, B * H, gru_loss, &c, 1e-3, 1e-4, 1e-2), "h0: a wrong gradient went unnoticed");
    EXPECT_MSG(r.failed == 0, "h0: %d of %d entries off", r.failed, r.checked);
    free(w);
}

static void test_gru_step_gradients(void) { check_gru_step(0); }
static void test_gru_step_gradients_recurrent_dropout(void) { check_gru_step(1); }

int main(void) {
    RUN(test_gru_step_gradients);
    RUN(test_gru_step_gradients_recurrent_dropout);
    TEST_EXIT();
}
