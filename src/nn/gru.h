/* gru.h — one GRU step over a batch, forward and backward.
 *
 *   [xr xz xn] = Wx x + bx           (precomputed by the caller, often for all steps in one GEMM)
 *   [hr hz hn] = Wh h_prev + bh
 *   r = sigmoid(xr + hr)   z = sigmoid(xz + hz)   n = tanh(xn + r * hn)
 *   h = (1 - z) * n + z * h_prev
 * The reset gate multiplies after the recurrent product (as cuDNN does), so
 * the input projection of a whole sequence is one matrix product.
 *
 * A mask (per batch row, 1 = real token, 0 = padding) carries h_prev through
 * padded steps unchanged and stops gradients there: padding never leaks.
 *
 * Recurrent (variational) dropout, Gal & Ghahramani 2016: the recurrent
 * product reads rec_in = h_prev * m instead of h_prev, with one dropout mask
 * m [B][H] per sequence reused at every step; the interpolation z * h_prev
 * keeps the undropped state.
 *
 * Layer normalization (Ba et al. 2016, per gate as in Nematus and Marian),
 * when ln_gx is set: each H-wide segment (r, z, n) of the input projection
 * and of the recurrent projection is normalized over its H features before
 * the gates read it, LN(u) = g * (u - mean) / sqrt(var + 1e-5) + beta, with
 * ln_gx/ln_bx for [xr xz xn] and ln_gh/ln_bh for [hr hz hn]. */
#ifndef NMT_GRU_H
#define NMT_GRU_H

/* Gates stacked in the order r, z, n. Wx [3H][in], Wh [3H][H], bx [3H], bh [3H].
 * ln_gx, ln_bx, ln_gh, ln_bh [3H]: the layer normalization's gains and
 * biases, all NULL without it. */
typedef struct {
    float *Wx, *Wh, *bx, *bh;
    int in, H;
    float *ln_gx, *ln_bx, *ln_gh, *ln_bh;
} GruWeights;

/* Floats per batch row of a step's cache: 4H (r, z, n, hn), and with layer
 * normalization 6H + 6 more (the normalized projections and their 1/sigma
 * per segment). Callers size their caches with it, never with 4H. */
int gru_cache_width(const GruWeights *g);

/* xproj [B][3H] (Wx x + bx), h_prev [B][H], rec_in [B][H] (the recurrent
 * product's input: h_prev times its dropout mask, or NULL for h_prev itself),
 * mask [B] or NULL. Writes h [B][H] and cache [B][gru_cache_width] (r, z, n,
 * hn) for the backward step. */
void gru_step_forward(const GruWeights *g, int B, const float *xproj, const float *h_prev, const float *rec_in,
                      const float *mask, float *h, float *cache);

/* dh [B][H]: gradient of the loss w.r.t. this step's output h.
 * rec_mask [B][H]: the recurrent dropout mask (rec_in = h_prev * rec_mask),
 * or NULL. Writes dxproj [B][3H] (gradient w.r.t. Wx x + bx), dhproj [B][3H]
 * (w.r.t. Wh rec_in + bh, both before any layer normalization) and dh_prev
 * [B][H] (overwritten). The weight gradients are left to gru_weight_grads,
 * once for all steps, except the layer normalization's, which the step adds
 * into dg's ln_* (row by row, so the sum's order is fixed; dg may be NULL
 * without layer normalization). */
void gru_step_backward(const GruWeights *g, const GruWeights *dg, int B, const float *h_prev, const float *rec_mask,
                       const float *mask, const float *cache, const float *dh, float *dxproj, float *dhproj,
                       float *dh_prev);

/* Multiply-adds of one step for one row (the input and the recurrent
 * products: 3H x in and 3H x H), for FLOP counts. */
double gru_step_madds(int in, int H);

/* rec_in [B][H] = h_prev * rec_mask (the recurrent dropout of one step). */
void gru_rec_dropout(int B, int H, const float *h_prev, const float *rec_mask, float *rec_in);

/* Over N = steps x batch rows at once, accumulate into dg:
 *   dWx += dxproj^T x, dbx += sum dxproj, dWh += dhproj^T h_prev, dbh += sum dhproj.
 * x [N][in] (row stride ldx), h_prev [N][H] (what the recurrent product
 * read: rec_in under recurrent dropout), dxproj and dhproj [N][3H]. */
void gru_weight_grads(const GruWeights *dg, int N, const float *x, int ldx, const float *h_prev, const float *dxproj,
                      const float *dhproj);

#endif
