/* gru.c — see gru.h. */
#include "nn/gru.h"

#include <math.h>

#include "nn/blas.h"
#include "nn/cpu.h"
#include "nn/nn.h"

/* The layer normalization's epsilon (as Nematus and PyTorch's LayerNorm): small next
 * to the variance of a projection of O(1) inputs, large enough that a
 * constant segment (variance 0) gives 1/sigma ~ 316, not an overflow. */
#define GRU_LN_EPS 1e-5f

/* A row's cache with layer normalization, after the 4H of r, z, n, hn:
 * xhat [3H] and hhat [3H] (the normalized projections, before the gains),
 * then 1/sigma of the 3 input and the 3 recurrent segments. */
#define LN_XHAT(H) (4 * (H))
#define LN_HHAT(H) (7 * (H))
#define LN_RSTD(H) (10 * (H))

int gru_cache_width(const GruWeights *g) { return g->ln_gx ? 10 * g->H + 6 : 4 * g->H; }

/* uhat [H] = (u - mean(u)) / sqrt(var(u) + eps), in place allowed; returns
 * 1/sigma. Two passes (mean, then squared deviations) so a large mean does
 * not cancel the variance away. */
static float ln_normalize(const float *u, int H, float *uhat) {
    float mean = 0.0f, var = 0.0f;
    for (int i = 0; i < H; i++) mean += u[i];
    mean /= (float)H;
    for (int i = 0; i < H; i++) var += (u[i] - mean) * (u[i] - mean);
    const float rs = 1.0f / sqrtf(var / (float)H + GRU_LN_EPS);
    for (int i = 0; i < H; i++) uhat[i] = (u[i] - mean) * rs;
    return rs;
}

/* The forward step with layer normalization; cache rows of gru_cache_width
 * floats (r, z, n, hn, xhat, hhat, 1/sigma), whose first 3H hold
 * rec_in Wh^T on entry. */
static void gru_ln_forward(const GruWeights *g, int B, const float *xproj, const float *h_prev, const float *mask,
                           float *h, float *cache) {
    const int H = g->H, C = gru_cache_width(g);
    for (int b = 0; b < B; b++) {
        const float *x = xproj + (size_t)b * 3 * H;
        const float *hp = h_prev + (size_t)b * H;
        float *c = cache + (size_t)b * C;
        float *xh = c + LN_XHAT(H), *hh = c + LN_HHAT(H), *rs = c + LN_RSTD(H);
        float *hb = h + (size_t)b * H;
        const int keep = !mask || mask[b] != 0.0f;
        for (int i = 0; i < 3 * H; i++) hh[i] = c[i] + g->bh[i]; /* Wh rec_in + bh */
        for (int k = 0; k < 3; k++) {
            rs[k] = ln_normalize(x + k * H, H, xh + k * H);
            rs[3 + k] = ln_normalize(hh + k * H, H, hh + k * H);
        }
        const float *gx = g->ln_gx, *bx = g->ln_bx, *gh = g->ln_gh, *bh = g->ln_bh;
        for (int i = 0; i < H; i++) {
            float hn = gh[2 * H + i] * hh[2 * H + i] + bh[2 * H + i];
            float r = sigmoidf(gx[i] * xh[i] + bx[i] + gh[i] * hh[i] + bh[i]);
            float z = sigmoidf(gx[H + i] * xh[H + i] + bx[H + i] + gh[H + i] * hh[H + i] + bh[H + i]);
            float n = fast_tanhf(gx[2 * H + i] * xh[2 * H + i] + bx[2 * H + i] + r * hn);
            c[i] = r;
            c[H + i] = z;
            c[2 * H + i] = n;
            c[3 * H + i] = hn;
            hb[i] = keep ? (1.0f - z) * n + z * hp[i] : hp[i];
        }
    }
}

NMT_HOT void gru_step_forward(const GruWeights *g, int B, const float *xproj, const float *h_prev, const float *rec_in,
                      const float *mask, float *h, float *cache) {
    const int H = g->H;
    /* cache[:, 0:3H] = rec_in Wh^T, then each row is turned into (r, z, n, hn) in place */
    gemm(0, 1, B, 3 * H, H, 1.0f, rec_in ? rec_in : h_prev, H, g->Wh, H, 0.0f, cache, gru_cache_width(g));
    if (g->ln_gx) {
        gru_ln_forward(g, B, xproj, h_prev, mask, h, cache);
        return;
    }
    for (int b = 0; b < B; b++) {
        const float *x = xproj + (size_t)b * 3 * H;
        const float *hp = h_prev + (size_t)b * H;
        float *c = cache + (size_t)b * 4 * H;
        float *hb = h + (size_t)b * H;
        const int keep = !mask || mask[b] != 0.0f;
#pragma omp simd
        for (int i = 0; i < H; i++) {
            float hn = c[2 * H + i] + g->bh[2 * H + i];
            float r = sigmoidf(x[i] + c[i] + g->bh[i]);
            float z = sigmoidf(x[H + i] + c[H + i] + g->bh[H + i]);
            float n = fast_tanhf(x[2 * H + i] + r * hn);
            c[i] = r;
            c[H + i] = z;
            c[2 * H + i] = n;
            c[3 * H + i] = hn;
            hb[i] = keep ? (1.0f - z) * n + z * hp[i] : hp[i];
        }
    }
}

/* du [H]: on entry the gradient w.r.t. LN(u) = gain * uhat + bias, on exit
 * the gradient w.r.t. u:
 *   du = rs * (d - mean(d) - uhat * mean(d * uhat)),  d = gain * dLN
 * and dgain += dLN * uhat, dbias += dLN. */
static void ln_backward(float *du, const float *uhat, const float *gain, float rs, int H, float *dgain, float *dbias) {
    float s1 = 0.0f, s2 = 0.0f;
    for (int i = 0; i < H; i++) {
        const float d = du[i] * gain[i];
        s1 += d;
        s2 += d * uhat[i];
        dgain[i] += du[i] * uhat[i];
        dbias[i] += du[i];
    }
    s1 /= (float)H, s2 /= (float)H;
    for (int i = 0; i < H; i++) du[i] = rs * (du[i] * gain[i] - s1 - uhat[i] * s2);
}

NMT_HOT void gru_step_backward(const GruWeights *g, const GruWeights *dg, int B, const float *h_prev,
                               const float *rec_mask, const float *mask, const float *cache, const float *dh,
                               float *dxproj, float *dhproj, float *dh_prev) {
    const int H = g->H, C = gru_cache_width(g);
    for (int b = 0; b < B; b++) {
        const float *c = cache + (size_t)b * C;
        const float *hp = h_prev + (size_t)b * H;
        const float *d = dh + (size_t)b * H;
        float *dx = dxproj + (size_t)b * 3 * H;
        float *dhp = dhproj + (size_t)b * 3 * H;
        if (mask && mask[b] == 0.0f) { /* padded step: no gate saw it */
            for (int i = 0; i < 3 * H; i++) dx[i] = dhp[i] = 0.0f;
            continue;
        }
#pragma omp simd
        for (int i = 0; i < H; i++) {
            float r = c[i], z = c[H + i], n = c[2 * H + i], hn = c[3 * H + i];
            float dn_pre = d[i] * (1.0f - z) * (1.0f - n * n);
            float dz_pre = d[i] * (hp[i] - n) * z * (1.0f - z);
            float dr_pre = dn_pre * hn * r * (1.0f - r);
            dx[i] = dhp[i] = dr_pre;
            dx[H + i] = dhp[H + i] = dz_pre;
            dx[2 * H + i] = dn_pre;
            dhp[2 * H + i] = dn_pre * r;
        }
        if (g->ln_gx) /* so far w.r.t. the normalized projections: through each segment's LN */
            for (int k = 0; k < 3; k++) {
                const float *rs = c + LN_RSTD(H);
                const int o = k * H;
                ln_backward(dx + o, c + LN_XHAT(H) + o, g->ln_gx + o, rs[k], H, dg->ln_gx + o, dg->ln_bx + o);
                ln_backward(dhp + o, c + LN_HHAT(H) + o, g->ln_gh + o, rs[3 + k], H, dg->ln_gh + o, dg->ln_bh + o);
            }
    }
    /* through the recurrent product (and its dropout mask), then the z * h_prev path */
    gemm(0, 0, B, H, 3 * H, 1.0f, dhproj, 3 * H, g->Wh, H, 0.0f, dh_prev, H);
    for (int b = 0; b < B; b++) {
        const float *z = cache + (size_t)b * C + H;
        const float *d = dh + (size_t)b * H;
        float *dprev = dh_prev + (size_t)b * H;
        if (mask && mask[b] == 0.0f) { /* padded step: h = h_prev, gradient passes straight through */
            for (int i = 0; i < H; i++) dprev[i] = d[i];
            continue;
        }
        if (rec_mask) {
            const float *m = rec_mask + (size_t)b * H;
#pragma omp simd
            for (int i = 0; i < H; i++) dprev[i] = dprev[i] * m[i] + d[i] * z[i];
        } else {
#pragma omp simd
            for (int i = 0; i < H; i++) dprev[i] += d[i] * z[i];
        }
    }
}

void gru_rec_dropout(int B, int H, const float *h_prev, const float *rec_mask, float *rec_in) {
    for (size_t i = 0; i < (size_t)B * H; i++) rec_in[i] = h_prev[i] * rec_mask[i];
}

void gru_weight_grads(const GruWeights *dg, int N, const float *x, int ldx, const float *h_prev, const float *dxproj,
                      const float *dhproj) {
    const int H = dg->H;
    gemm(1, 0, 3 * H, dg->in, N, 1.0f, dxproj, 3 * H, x, ldx, 1.0f, dg->Wx, dg->in);
    gemm(1, 0, 3 * H, H, N, 1.0f, dhproj, 3 * H, h_prev, H, 1.0f, dg->Wh, H);
    colsum_add(dg->bx, dxproj, N, 3 * H);
    colsum_add(dg->bh, dhproj, N, 3 * H);
}

double gru_step_madds(int in, int H) { return 3.0 * H * in + 3.0 * H * H; }
