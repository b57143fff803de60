/* decoding.c — see decoding.h. */
#include "search/decoding.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/util.h"
#include "decoder/decoder.h"
#include "model/batch.h"
#include "model/seq2seq.h"
#include "vocab/vocab.h"

void decoding_init(Decoding *d, const ModelParams *p, const int *const *src, const int *src_len, int n, int R,
                   float ratio) {
    memset(d, 0, sizeof *d);
    const int H = p->dec.H, A = p->dec.att.A;
    d->p = p, d->n = n, d->R = R, d->rows = n * R, d->H = H, d->V = p->dec.V;
    int *lens = xmalloc(sizeof(int) * (size_t)n);
    d->max_len = xmalloc(sizeof(int) * (size_t)n);
    for (int i = 0; i < n; i++) {
        lens[i] = src_len[i];
        int ml = (int)ceilf(ratio * (float)src_len[i]) + 10;
        d->max_len[i] = ml > MAX_OUTPUT_LEN ? MAX_OUTPUT_LEN : ml;
        if (d->max_len[i] > d->max_steps) d->max_steps = d->max_len[i];
    }
    Batch bt = {0};
    batch_fill(&bt, n, src, lens, NULL, NULL);
    const int Ts = bt.Ts, rows = d->rows;
    d->Ts = Ts;
    Encoding e;
    seq2seq_encode(p, Ts, n, bt.src, bt.src_mask, 0.0f, 0.0f, NULL, &d->arena, &e);
    d->ann = arena_take(&d->arena, (size_t)Ts * rows * 2 * H);
    d->keys = arena_take(&d->arena, (size_t)Ts * rows * A);
    d->mask = arena_take(&d->arena, (size_t)Ts * rows);
    d->s = arena_take(&d->arena, (size_t)rows * H);
    d->s_new = arena_take(&d->arena, (size_t)rows * H);
    for (int r = 0; r < rows; r++) {
        int i = r / R; /* row r is a hypothesis of sentence i */
        for (int j = 0; j < Ts; j++) {
            memcpy(d->ann + ((size_t)j * rows + r) * 2 * H, e.enc.ann + ((size_t)j * n + i) * 2 * H,
                   sizeof(float) * 2 * (size_t)H);
            memcpy(d->keys + ((size_t)j * rows + r) * A, e.keys + ((size_t)j * n + i) * A, sizeof(float) * (size_t)A);
            d->mask[(size_t)j * rows + r] = bt.src_mask[j * n + i];
        }
        memcpy(d->s + (size_t)r * H, e.s0 + (size_t)i * H, sizeof(float) * (size_t)H);
    }
    d->logp = arena_take(&d->arena, (size_t)rows * d->V);
    d->alpha = arena_take(&d->arena, (size_t)rows * Ts);
    d->scratch = arena_take(&d->arena, decoder_search_scratch(&p->dec, rows, Ts));
    d->y_prev = xmalloc(sizeof(int) * (size_t)rows);
    for (int r = 0; r < rows; r++) d->y_prev[r] = VOCAB_BOS;
    batch_free(&bt);
    free(lens);
}

void decoding_step(Decoding *d) {
    decoder_search_step(&d->p->dec, d->Ts, d->rows, d->ann, d->keys, d->mask, d->y_prev, d->s, d->s_new, d->logp,
                        d->alpha, d->scratch);
}

void decoding_free(Decoding *d) {
    arena_free(&d->arena);
    free(d->max_len);
    free(d->y_prev);
}
