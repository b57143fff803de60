/* output.c — see output.h. */
#include "decoder/output.h"

#include <stddef.h>

#include "nn/blas.h"
#include "nn/cpu.h"
#include "nn/nn.h"

NMT_HOT void output_forward(const OutputWeights *w, int N, const float *o, float *deep, float *logits) {
    const int OI = w->in, LI = w->logit_in, V = w->V;
    const float *in = o;
    if (w->deep_W) {
        /* deep [N][E] = tanh(o [N][in] deep_W^T + deep_b) */
        gemm(0, 1, N, LI, OI, 1.0f, o, OI, w->deep_W, OI, 0.0f, deep, LI);
        add_bias_rows(deep, w->deep_b, N, LI);
        for (size_t i = 0; i < (size_t)N * LI; i++) deep[i] = fast_tanhf(deep[i]);
        in = deep;
    }
    /* logits [N][V] = in [N][LI] W^T + b */
    gemm(0, 1, N, V, LI, 1.0f, in, LI, w->W, LI, 0.0f, logits, V);
    add_bias_rows(logits, w->b, N, V);
}

NMT_HOT void output_backward(const OutputWeights *w, const OutputWeights *dw, int N, const float *o, float *deep,
                     const float *dlogits, float *d_o) {
    const int OI = w->in, LI = w->logit_in, V = w->V;
    const float *in = w->deep_W ? deep : o;
    /* in the forward pass logits [N][V] = in [N][LI] W^T + b */
    gemm(1, 0, V, LI, N, 1.0f, dlogits, V, in, LI, 1.0f, dw->W, LI); /* dW [V][LI] += dlogits^T in */
    colsum_add(dw->b, dlogits, N, V);
    if (!w->deep_W) {
        gemm(0, 0, N, OI, V, 1.0f, dlogits, V, w->W, OI, 0.0f, d_o, OI); /* d_o [N][in] = dlogits W */
        return;
    }
    /* dt = dlogits W; through the tanh; then into deep_W and the input */
    float *dt = deep; /* t is not needed after this: its buffer takes dt */
    float *tmp = d_o; /* d_o ([N][in]) is free until the last product: scratch for dlogits W */
    gemm(0, 0, N, LI, V, 1.0f, dlogits, V, w->W, LI, 0.0f, tmp, LI);
    for (size_t i = 0; i < (size_t)N * LI; i++) dt[i] = tmp[i] * (1.0f - dt[i] * dt[i]); /* tanh' = 1 - t^2 */
    gemm(1, 0, LI, OI, N, 1.0f, dt, LI, o, OI, 1.0f, dw->deep_W, OI); /* d deep_W [E][in] += dt^T o */
    colsum_add(dw->deep_b, dt, N, LI);
    gemm(0, 0, N, OI, LI, 1.0f, dt, LI, w->deep_W, OI, 0.0f, d_o, OI); /* d_o [N][in] = dt deep_W */
}

double output_madds_of(int in, int E, int V, int deep) {
    return deep ? (double)E * in + (double)V * E : (double)V * in;
}

double output_madds(const OutputWeights *w) {
    return output_madds_of(w->in, w->deep_W ? w->logit_in : 0, w->V, w->deep_W != NULL);
}
