/* seq2seq.c — see seq2seq.h. */
#include "model/seq2seq.h"

#include <string.h>

size_t seq2seq_forward_floats(const ModelParams *p, int B, int Ts, int Tt) {
    const size_t H = (size_t)p->enc.H;
    return encoder_floats(&p->enc, Ts, B) + (size_t)B * 2 * H /* summary */ + (size_t)B * H /* s0 */ +
           attention_keys_floats(&p->dec.att, Ts, B) /* keys */ + decoder_floats(&p->dec, Tt, Ts, B);
}

double seq2seq_forward_madds(const ModelConfig *c, int Ts, int Tt) {
    const int E = c->emb, H = c->hidden, A = c->attention == ATTENTION_BAHDANAU ? c->att_dim : H;
    const double source =
        encoder_madds(E, H) + encoder_upper_madds(H, c->enc_depth) + attention_keys_madds(A, H, c->heads);
    const double step = decoder_step_madds((DecoderType)c->decoder, (AttentionType)c->attention, E, H, A, Ts) +
                        decoder_upper_madds(H, c->dec_depth) +
                        output_madds_of(model_out_in(c), E, c->tgt_vocab, c->deep_output);
    return Ts * source + init_state_madds(H) + Tt * step;
}

void seq2seq_encode(const ModelParams *p, int Ts, int B, const int *src, const float *mask, float dropout,
                    float rec_dropout, Rng *rng, Arena *arena, Encoding *e) {
    const int H = p->enc.H;
    encoder_forward(&p->enc, Ts, B, src, mask, dropout, rec_dropout, rng, arena, &e->enc);
    e->summary = arena_take(arena, (size_t)B * 2 * H);
    encoder_summary_forward(&e->enc, H, e->summary);
    e->s0 = arena_take(arena, (size_t)B * H);
    init_state_forward(&p->dec.init, B, e->summary, e->s0);
    e->keys = arena_take(arena, attention_keys_floats(&p->dec.att, Ts, B));
    attention_keys_forward(&p->dec.att, Ts, B, e->enc.top, e->keys);
}

/* The layers' hooks, told to the caller as the final suffix of the
 * gradient buffer (model_final_from). */
typedef struct {
    const GradReady *ready;
    const ModelConfig *cfg;
    size_t from;
} ReadyCtx;

static void tell(ReadyCtx *c, ModelFinal part, int layer) {
    c->from = model_final_from(c->cfg, part, layer);
    c->ready->ready(c->ready->ctx, c->from);
}

static void decoder_part(void *vctx, int part) {
    ReadyCtx *c = vctx;
    if (part == DECODER_OUTPUT_FINAL) tell(c, MODEL_FINAL_OUTPUT, 0);
    else c->ready->ready(c->ready->ctx, c->from);
}

static void encoder_part(void *vctx, int part) {
    ReadyCtx *c = vctx;
    if (part >= 2) tell(c, MODEL_FINAL_ENCODER, part);
    else c->ready->ready(c->ready->ctx, c->from);
}

LossSum seq2seq_train_step(const ModelParams *p, const ModelParams *g, const ModelConfig *cfg, const Batch *bt,
                           const LossWeights *w, Rng *rng, Arena *arena, const GradReady *ready) {
    const int H = cfg->hidden, B = bt->B, Ts = bt->Ts;
    Encoding e;
    DecoderActs dec;
    seq2seq_encode(p, Ts, B, bt->src, bt->src_mask, cfg->dropout, cfg->rec_dropout, rng, arena, &e);
    decoder_forward(&p->dec, bt->Tt, Ts, B, bt->tgt_in, e.enc.top, e.keys, bt->src_mask, e.s0, cfg->dropout,
                    cfg->rec_dropout, rng, arena, &dec);
    LossSum sum = {.tokens = bt->n_tgt_tokens};
    sum.loss = decoder_loss(&p->dec, &dec, bt->tgt_out, bt->tgt_mask, w->label_smoothing, w->scale, &sum.nll);
    if (bt->has_guide && w->guide > 0.0f)
        sum.guide = decoder_guide_loss(&dec, bt->guide, w->guide * w->scale, &sum.guided);

    /* backward, mirroring the forward: decoder, then what seq2seq_encode did, in reverse */
    float *d_ann = arena_take(arena, (size_t)Ts * B * 2 * H);            /* [Ts][B][2H] */
    float *dkeys = arena_take(arena, attention_keys_floats(&p->dec.att, Ts, B)); /* [Ts][B][A] (+ values) */
    float *ds0 = arena_take(arena, (size_t)B * H);                       /* [B][H] */
    float *d_summary = arena_take(arena, (size_t)B * 2 * H);             /* [B][2H] */
    float *d_final = arena_take(arena, (size_t)2 * B * H);               /* [2][B][H] */
    ReadyCtx rc = {ready, cfg, model_num_params(cfg)};
    const BackwardHook dec_hook = {decoder_part, &rc}, enc_hook = {encoder_part, &rc};
    decoder_backward(&p->dec, &g->dec, bt->tgt_in, e.enc.top, e.keys, bt->src_mask, &dec, d_ann, dkeys, ds0, arena,
                     ready ? &dec_hook : NULL);
    if (ready) tell(&rc, MODEL_FINAL_DECODER, 0);
    attention_keys_backward(&p->dec.att, &g->dec.att, Ts, B, e.enc.top, dkeys, d_ann);
    if (ready) tell(&rc, MODEL_FINAL_ATTENTION, 0);
    init_state_backward(&p->dec.init, &g->dec.init, B, e.summary, e.s0, ds0, d_summary);
    if (ready) tell(&rc, MODEL_FINAL_INIT, 0);
    encoder_summary_backward(B, H, d_summary, d_final);
    encoder_backward(&p->enc, &g->enc, bt->src, bt->src_mask, &e.enc, d_ann, d_final, arena, ready ? &enc_hook : NULL);
    if (ready) tell(&rc, MODEL_FINAL_ENCODER, 1);
    return sum;
}

LossSum seq2seq_forward(const ModelParams *p, const Batch *bt, Arena *arena, Encoding *e, DecoderActs *dec,
                        double *sentence_nll) {
    const int B = bt->B, V = p->dec.V;
    seq2seq_encode(p, bt->Ts, B, bt->src, bt->src_mask, 0.0f, 0.0f, NULL, arena, e);
    decoder_forward(&p->dec, bt->Tt, bt->Ts, B, bt->tgt_in, e->enc.top, e->keys, bt->src_mask, e->s0, 0.0f, 0.0f,
                    NULL, arena, dec);
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
    sum.loss = decoder_loss(&p->dec, dec, bt->tgt_out, bt->tgt_mask, 0.0f, 0.0f, &sum.nll);
    return sum;
}
