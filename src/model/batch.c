/* batch.c — see batch.h. */
#include "model/batch.h"

#include <stdlib.h>
#include <string.h>

#include "core/util.h"
#include "vocab/vocab.h"

static void batch_reserve(Batch *b, int B, int Ts, int Tt) {
    if (Ts * B > b->cap_src) {
        b->cap_src = Ts * B;
        b->src = xrealloc(b->src, sizeof(int) * (size_t)b->cap_src);
        b->src_mask = xrealloc(b->src_mask, sizeof(float) * (size_t)b->cap_src);
    }
    if (Tt * B > b->cap_tgt) {
        b->cap_tgt = Tt * B;
        b->tgt_in = xrealloc(b->tgt_in, sizeof(int) * (size_t)b->cap_tgt);
        b->tgt_out = xrealloc(b->tgt_out, sizeof(int) * (size_t)b->cap_tgt);
        b->tgt_mask = xrealloc(b->tgt_mask, sizeof(float) * (size_t)b->cap_tgt);
    }
    b->B = B;
    b->Ts = Ts;
    b->Tt = Tt;
}

void batch_fill(Batch *b, int B, const int *const *src, const int *src_len, const int *const *tgt,
                const int *tgt_len) {
    int Ts = 1, Tt = 1;
    for (int i = 0; i < B; i++) {
        if (src_len[i] > Ts) Ts = src_len[i];
        if (tgt && tgt_len[i] + 1 > Tt) Tt = tgt_len[i] + 1;
    }
    batch_reserve(b, B, Ts, Tt);
    b->has_guide = 0;
    b->n_tgt_tokens = 0;
    for (int t = 0; t < Ts; t++)
        for (int i = 0; i < B; i++) {
            int real = t < src_len[i];
            b->src[t * B + i] = real ? src[i][t] : VOCAB_PAD;
            b->src_mask[t * B + i] = real ? 1.0f : 0.0f;
        }
    for (int t = 0; t < Tt; t++)
        for (int i = 0; i < B; i++) {
            int n = tgt ? tgt_len[i] : 0;
            int real = tgt && t <= n;
            b->tgt_in[t * B + i] = !real ? VOCAB_PAD : t == 0 ? VOCAB_BOS : tgt[i][t - 1];
            b->tgt_out[t * B + i] = !real ? VOCAB_PAD : t == n ? VOCAB_EOS : tgt[i][t];
            b->tgt_mask[t * B + i] = real ? 1.0f : 0.0f;
            b->n_tgt_tokens += real;
        }
}

float *batch_guide_begin(Batch *b) {
    const int n = b->Tt * b->B * b->Ts;
    if (n > b->cap_guide) {
        b->cap_guide = n;
        b->guide = xrealloc(b->guide, sizeof(float) * (size_t)n);
    }
    memset(b->guide, 0, sizeof(float) * (size_t)n);
    b->has_guide = 1;
    return b->guide;
}

void batch_slice(Batch *out, const Batch *in, int start, int count) {
    /* keep the full padded lengths: trimming would change nothing numerically
     * but would make shard shapes depend on the split */
    batch_reserve(out, count, in->Ts, in->Tt);
    out->n_tgt_tokens = 0;
    for (int t = 0; t < in->Ts; t++)
        for (int i = 0; i < count; i++) {
            out->src[t * count + i] = in->src[t * in->B + start + i];
            out->src_mask[t * count + i] = in->src_mask[t * in->B + start + i];
        }
    for (int t = 0; t < in->Tt; t++)
        for (int i = 0; i < count; i++) {
            out->tgt_in[t * count + i] = in->tgt_in[t * in->B + start + i];
            out->tgt_out[t * count + i] = in->tgt_out[t * in->B + start + i];
            out->tgt_mask[t * count + i] = in->tgt_mask[t * in->B + start + i];
            out->n_tgt_tokens += in->tgt_mask[t * in->B + start + i] != 0.0f;
        }
    out->has_guide = 0;
    if (in->has_guide) {
        float *g = batch_guide_begin(out);
        const size_t Ts = (size_t)in->Ts;
        for (int t = 0; t < in->Tt; t++)
            memcpy(g + (size_t)t * count * Ts, in->guide + ((size_t)t * in->B + start) * Ts,
                   sizeof(float) * (size_t)count * Ts);
    }
}

void batch_free(Batch *b) {
    free(b->src);
    free(b->src_mask);
    free(b->tgt_in);
    free(b->tgt_out);
    free(b->tgt_mask);
    free(b->guide);
    memset(b, 0, sizeof *b);
}
