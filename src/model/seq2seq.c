/* seq2seq.c — see seq2seq.h. */
#include "model/seq2seq.h"

#include <string.h>

LossSum seq2seq_train_step(const ModelParams *p, const ModelParams *g, const ModelConfig *cfg, const Batch *bt,
                           float label_smoothing, float scale, Rng *rng, Arena *arena) {
    const int H = cfg->hidden, B = bt->B;
    EncoderActs enc;
    DecoderActs dec;
    encoder_forward(p, bt, cfg->dropout, cfg->rec_dropout, rng, arena, &enc);
    float *summary = arena_take(arena, (size_t)B * 2 * H);
    encoder_summary(&enc, H, summary);
    decoder_forward(p, cfg, bt, enc.ann, summary, cfg->dropout, cfg->rec_dropout, rng, arena, &dec);
    LossSum sum = {.tokens = bt->n_tgt_tokens};
    sum.loss = decoder_loss(cfg, bt, &dec, label_smoothing, scale, &sum.nll);
    float *d_ann = arena_take(arena, (size_t)bt->Ts * B * 2 * H);
    float *d_summary = arena_take(arena, (size_t)B * 2 * H);
    decoder_backward(p, g, cfg, bt, enc.ann, &dec, d_ann, d_summary, arena);
    encoder_backward(p, g, bt, &enc, d_ann, d_summary, arena);
    return sum;
}

LossSum seq2seq_forward(const ModelParams *p, const ModelConfig *cfg, const Batch *bt, Arena *arena,
                        EncoderActs *enc, DecoderActs *dec, double *sentence_nll) {
    const int H = cfg->hidden, B = bt->B, V = cfg->tgt_vocab;
    encoder_forward(p, bt, 0.0f, 0.0f, NULL, arena, enc);
    float *summary = arena_take(arena, (size_t)B * 2 * H);
    encoder_summary(enc, H, summary);
    decoder_forward(p, cfg, bt, enc->ann, summary, 0.0f, 0.0f, NULL, arena, dec);
    LossSum sum = {.tokens = bt->n_tgt_tokens};
    if (sentence_nll) {
        /* log-probabilities of the gold tokens, row by row, before the loss overwrites logits */
        memset(sentence_nll, 0, sizeof(double) * (size_t)B);
        for (int t = 0; t < bt->Tt; t++)
            for (int b = 0; b < B; b++) {
                if (bt->tgt_mask[t * B + b] == 0.0f) continue;
                const float *row = dec->logits + ((size_t)t * B + b) * V;
                sentence_nll[b] += logsumexp_row(row, V) - (double)row[bt->tgt_out[t * B + b]];
            }
    }
    sum.loss = decoder_loss(cfg, bt, dec, 0.0f, 0.0f, &sum.nll);
    return sum;
}
