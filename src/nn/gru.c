/* gru.c — see gru.h. */
#include "nn/gru.h"

#include "nn/blas.h"
#include "nn/cpu.h"
#include "nn/nn.h"

int gru_cache_width(const GruWeights *g) { return 4 * g->H; }

NMT_HOT void gru_step_forward(const GruWeights *g, int B, const float *xproj, const float *h_prev, const float *rec_in,
                      const float *mask, float *h, float *cache) {
    const int H = g->H;
    /* cache[:, 0:3H] = rec_in Wh^T, then each row is turned into (r, z, n, hn) in place */
    gemm(0, 1, B, 3 * H, H, 1.0f, rec_in ? rec_in : h_prev, H, g->Wh, H, 0.0f, cache, 4 * H);
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

NMT_HOT void gru_step_backward(const GruWeights *g, int B, const float *h_prev, const float *rec_mask, const float *mask,
                       const float *cache, const float *dh, float *dxproj, float *dhproj, float *dh_prev) {
    const int H = g->H;
    for (int b = 0; b < B; b++) {
        const float *c = cache + (size_t)b * 4 * H;
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
    }
    /* through the recurrent product (and its dropout mask), then the z * h_prev path */
    gemm(0, 0, B, H, 3 * H, 1.0f, dhproj, 3 * H, g->Wh, H, 0.0f, dh_prev, H);
    for (int b = 0; b < B; b++) {
        const float *z = cache + (size_t)b * 4 * H + H;
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
