/* init_state.c — see init_state.h. */
#include "decoder/init_state.h"

#include <stddef.h>

#include "core/blas.h"
#include "core/nn.h"

void init_state_forward(const InitStateWeights *w, int B, const float *summary, float *s0) {
    const int H = w->H;
    /* s0 [B][H] = tanh(summary [B][2H] W^T + b) */
    gemm(0, 1, B, H, 2 * H, 1.0f, summary, 2 * H, w->W, 2 * H, 0.0f, s0, H);
    add_bias_rows(s0, w->b, B, H);
    for (size_t i = 0; i < (size_t)B * H; i++) s0[i] = fast_tanhf(s0[i]);
}

void init_state_backward(const InitStateWeights *w, const InitStateWeights *dw, int B, const float *summary,
                         const float *s0, float *ds0, float *d_summary) {
    const int H = w->H;
    /* through the tanh: in the forward pass s0 = tanh(pre), and tanh' = 1 - s0^2 */
    for (size_t i = 0; i < (size_t)B * H; i++) ds0[i] *= 1.0f - s0[i] * s0[i];
    gemm(1, 0, H, 2 * H, B, 1.0f, ds0, H, summary, 2 * H, 1.0f, dw->W, 2 * H); /* dW [H][2H] += dpre^T summary */
    colsum_add(dw->b, ds0, B, H);
    gemm(0, 0, B, 2 * H, H, 1.0f, ds0, H, w->W, 2 * H, 0.0f, d_summary, 2 * H); /* d_summary [B][2H] = dpre W */
}

double init_state_madds(int H) { return 2.0 * H * H; }
