/* step.c — see step.h. */
#include "decoder/step.h"

#include <string.h>

#include "core/blas.h"
#include "core/nn.h"

void decoder_step_forward(const DecoderWeights *w, int Ts, int B, int n_src, const int *row_src, const float *ann,
                          const float *keys, const float *mask, const float *s_prev, int embedding_projected,
                          DecoderStepActs *a, float *s) {
    const int E = w->E, H = w->H, DI = E + 2 * H;
    attention_step_forward(&w->att, Ts, B, n_src, row_src, ann, keys, mask, s_prev, a->alpha, a->ctx, a->q, a->pre);
    /* in [b][E:E+2H] = c_t [b] */
    for (int b = 0; b < B; b++)
        memcpy(a->in + (size_t)b * DI + E, a->ctx + (size_t)b * 2 * H, sizeof(float) * 2 * (size_t)H);
    if (embedding_projected) {
        /* xproj [B][3H] += in[:, E:] [B][2H] Wx[:, E:]^T */
        gemm(0, 1, B, 3 * H, 2 * H, 1.0f, a->in + E, DI, w->gru.Wx + E, DI, 1.0f, a->xproj, 3 * H);
    } else {
        /* xproj [B][3H] = in [B][E+2H] Wx^T + bx */
        gemm(0, 1, B, 3 * H, DI, 1.0f, a->in, DI, w->gru.Wx, DI, 0.0f, a->xproj, 3 * H);
        add_bias_rows(a->xproj, w->gru.bx, B, 3 * H);
    }
    const float *rin = NULL;
    if (a->rec_mask) gru_rec_dropout(B, H, s_prev, a->rec_mask, a->rec_in), rin = a->rec_in;
    gru_step_forward(&w->gru, B, a->xproj, s_prev, rin, NULL, s, a->cache);
}

void decoder_step_backward(const DecoderWeights *w, const DecoderWeights *g, int Ts, int B, const float *ann,
                           const float *keys, const float *mask, const float *s_prev, const DecoderStepActs *a,
                           const float *ds, float *dctx, float *dxproj, float *dhproj, float *ds_prev, float *d_ann,
                           float *dkeys, float *dq, float *scratch) {
    const int E = w->E, H = w->H, DI = E + 2 * H;
    /* in the forward pass s = GRU(xproj, s_prev) */
    gru_step_backward(&w->gru, B, s_prev, a->rec_mask, NULL, a->cache, ds, dxproj, dhproj, ds_prev);
    /* in the forward pass xproj [B][3H] held in[:, E:] Wx[:, E:]^T with in[:, E:] = c_t:
     * dctx [B][2H] += dxproj [B][3H] Wx[:, E:] */
    gemm(0, 0, B, 2 * H, 3 * H, 1.0f, dxproj, 3 * H, w->gru.Wx + E, DI, 1.0f, dctx, 2 * H);
    attention_step_backward(&w->att, &g->att, Ts, B, ann, keys, mask, s_prev, a->alpha, a->pre, dctx, a->dscore, d_ann,
                            dkeys, ds_prev, dq, scratch);
}
