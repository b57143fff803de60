/* seq2seq.c — see seq2seq.h. */
#include "model/seq2seq.h"

#include <string.h>

size_t seq2seq_forward_floats(const ModelParams *p, int B, int Ts, int Tt) {
    const size_t H = (size_t)p->enc.H;
    return encoder_floats(&p->enc, Ts, B) + (size_t)B * 2 * H /* summary */ + (size_t)B * H /* s0 */ +
           attention_keys_floats(&p->dec.att, Ts, B) /* keys */ + decoder_floats(&p->dec, Tt, Ts, B) +
           (p->al.A ? align_layer_floats(&p->al, Tt, Ts, B, 0) : 0); /* seq2seq_align_forward's */
}

double seq2seq_forward_madds(const ModelConfig *c, int Ts, int Tt) {
    const int E = c->emb, H = c->hidden, A = c->attention == ATTENTION_BAHDANAU ? c->att_dim : H;
    const double source =
        encoder_madds(E, H) + encoder_upper_madds(H, c->enc_depth) + attention_keys_madds(A, H, c->heads);
    const double step = decoder_step_madds((DecoderType)c->decoder, (AttentionType)c->attention, E, H, A, Ts) +
                        decoder_upper_madds(H, c->dec_depth) +
                        output_madds_of(model_out_in(c), E, c->tgt_vocab, c->deep_output);
    /* the alignment layer as training runs it (with its logits) */
    const int AL = c->alignment_dim, Z = H + E;
    const double align_source =
        c->alignment_layer ? align_layer_keys_madds(AL, E, c->alignment_context ? 2 * H : 0) : 0.0;
    const double align_step = c->alignment_layer ? align_layer_step_madds(AL, Z, E, c->tgt_vocab, Ts, 1) : 0.0;
    return Ts * (source + align_source) + init_state_madds(H) + Tt * (step + align_step);
}

/* What the alignment layer reads of a teacher-forced pass: the query of the
 * decoder's attention at every step (cgru: s'_t; gru: s_{t-1}, the first
 * layer's states s_0 .. s_{Tt-1}), the target tokens and the source. */
static AlignLayerInput align_input(const ModelParams *p, const Batch *bt, const Encoding *e, const DecoderActs *dec) {
    const float *state = p->dec.type == DECODER_CGRU ? dec->step.query : dec->s;
    return (AlignLayerInput){bt->Tt,      bt->Ts,       bt->B,          p->dec.H, state,       p->dec.tgt_emb,
                             bt->tgt_out, bt->tgt_mask, p->enc.src_emb, bt->src,  bt->src_mask, e->enc.top};
}

/* The alignment layer's forward, losses and backward on a training pass:
 * into g->al only, before the decoder's backward (its tensors are the
 * buffer's last, so they are final with the output layer's). */
static void align_train(const ModelParams *p, const ModelParams *g, const Batch *bt, const Encoding *e,
                        const DecoderActs *dec,
                        const LossWeights *w, int guide, Arena *arena, LossSum *sum) {
    const AlignLayerInput in = align_input(p, bt, e, dec);
    AlignLayerActs act;
    align_layer_forward(&p->al, &in, 1, arena, &act);
    sum->align_nll = align_layer_loss(&act, &p->al, &in, w->align * w->scale);
    if (guide) {
        int rows;
        sum->align_guide = align_layer_guide_loss(&act, bt->guide, w->align * w->guide * w->scale, &rows);
        sum->guided = rows;
    }
    align_layer_backward(&p->al, &g->al, &in, &act, arena);
}

void seq2seq_align_forward(const ModelParams *p, const Batch *bt, const Encoding *e, const DecoderActs *dec, Arena *arena,
                           AlignLayerActs *act) {
    const AlignLayerInput in = align_input(p, bt, e, dec);
    align_layer_forward(&p->al, &in, 0, arena, act);
}

void seq2seq_encode(const ModelParams *p, int Ts, int B, const int *src, const float *mask, float dropout,
                    float word_dropout, float rec_dropout, Rng *rng, Arena *arena, Encoding *e) {
    const int H = p->enc.H;
    encoder_forward(&p->enc, Ts, B, src, mask, dropout, word_dropout, rec_dropout, rng, arena, &e->enc);
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
    seq2seq_encode(p, Ts, B, bt->src, bt->src_mask, cfg->dropout, cfg->word_dropout_src, cfg->rec_dropout, rng, arena,
                   &e);
    decoder_forward(&p->dec, bt->Tt, Ts, B, bt->tgt_in, e.enc.top, e.keys, bt->src_mask, e.s0, cfg->dropout,
                    cfg->word_dropout_tgt, cfg->rec_dropout, rng, arena, &dec);
    LossSum sum = {.tokens = bt->n_tgt_tokens};
    sum.loss = decoder_loss(&p->dec, &dec, bt->tgt_out, bt->tgt_mask, w->label_smoothing, w->scale, &sum.nll);
    /* the guidance trains the decoder's attention, the alignment layer's, or both */
    const int has_layer = p->al.A > 0, guided = bt->has_guide && w->guide > 0.0f;
    if (guided && (!has_layer || w->guide_target != GUIDE_TARGET_LAYER))
        sum.guide = decoder_guide_loss(&dec, bt->guide, w->guide * w->scale, &sum.guided);
    if (has_layer) align_train(p, g, bt, &e, &dec, w, guided && w->guide_target != GUIDE_TARGET_DECODER, arena, &sum);
    if (w->translation_frozen) return sum; /* the layer's gradient stops at its inputs: nothing else to do */

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
    seq2seq_encode(p, bt->Ts, B, bt->src, bt->src_mask, 0.0f, 0.0f, 0.0f, NULL, arena, e);
    decoder_forward(&p->dec, bt->Tt, bt->Ts, B, bt->tgt_in, e->enc.top, e->keys, bt->src_mask, e->s0, 0.0f, 0.0f,
                    0.0f, NULL, arena, dec);
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
