/* Finite-difference checks of the decoder (src/decoder/), each part with
 * its inputs as well as its weights: the initial state from the encoder's
 * summary; the output layer, direct, deep and deep with the target
 * embeddings tied; and the teacher-forced decoder on given annotations,
 * keys and s_0 (its step function, the query's deferred weight gradient
 * and the output layer together), plain GRU and conditional GRU, both
 * scorers, with dropout and recurrent dropout; and stacks of 2 and 3
 * layers (--dec-depth) over either. */
#include <string.h>

#include "decoder/decoder.h"
#include "nn/rng.h"
#include "sys/util.h"
#include "layer_net.h"
#include "model/batch.h"
#include "test.h"

/* ---- initial state: L = w . s0 ---- */
typedef struct {
    Net net;
    float summary[B * 2 * H], w[B * H];
} InitCase;

static double init_loss(void *vctx) {
    InitCase *c = vctx;
    float s0[B * H];
    init_state_forward(&c->net.p.dec.init, B, c->summary, s0);
    return dot_d(c->w, s0, B * H);
}

static void test_init_state_gradients(void) {
    InitCase c;
    net_init(&c.net, ATTENTION_BAHDANAU, 0, 0, 3);
    Rng rng;
    rng_seed(&rng, 4, 0);
    fill_uniform(c.summary, B * 2 * H, 1.0f, &rng);
    fill_uniform(c.w, B * H, 1.0f, &rng);
    float s0[B * H], ds0[B * H], d_summary[B * 2 * H];
    init_state_forward(&c.net.p.dec.init, B, c.summary, s0);
    memcpy(ds0, c.w, sizeof ds0);
    init_state_backward(&c.net.p.dec.init, &c.net.g.dec.init, B, c.summary, s0, ds0, d_summary);
    check_tensors(&c.net, (const char *const[]){"init_", NULL}, init_loss, &c, c.net.grads);
    check_input("summary", c.summary, d_summary, B * 2 * H, init_loss, &c);
    net_free(&c.net);
}

/* ---- output layer: L = w . logits over N rows ---- */
enum { N_OUT = 5 };
typedef struct {
    Net net;
    float o[N_OUT * (3 * H + E)], w[N_OUT * 8];
} OutCase;

static double out_loss(void *vctx) {
    OutCase *c = vctx;
    float deep[N_OUT * E], logits[N_OUT * 8];
    output_forward(&c->net.p.dec.out, N_OUT, c->o, deep, logits);
    return dot_d(c->w, logits, N_OUT * 8);
}

static void check_output(int deep_output, int tied) {
    OutCase c;
    net_init(&c.net, ATTENTION_DOT, deep_output, tied, 5);
    Rng rng;
    rng_seed(&rng, 6, 0);
    const int OI = 3 * H + E;
    fill_uniform(c.o, (size_t)N_OUT * OI, 1.0f, &rng);
    fill_uniform(c.w, N_OUT * 8, 1.0f, &rng);
    float deep[N_OUT * E], logits[N_OUT * 8], d_o[N_OUT * (3 * H + E)];
    output_forward(&c.net.p.dec.out, N_OUT, c.o, deep, logits);
    output_backward(&c.net.p.dec.out, &c.net.g.dec.out, N_OUT, c.o, deep, c.w, d_o);
    /* tied: the logits' weights are the target embeddings, checked as tgt_emb */
    const char *const direct[] = {"out_", NULL}, *const deep_names[] = {"out_", "deep_", NULL},
                      *const tied_names[] = {"out_", "deep_", "tgt_emb", NULL};
    check_tensors(&c.net, tied ? tied_names : deep_output ? deep_names : direct, out_loss, &c, c.net.grads);
    check_input("o", c.o, d_o, (size_t)N_OUT * OI, out_loss, &c);
    net_free(&c.net);
}

static void test_output_gradients_direct(void) { check_output(0, 0); }
static void test_output_gradients_deep(void) { check_output(1, 0); }
static void test_output_gradients_deep_tied(void) { check_output(1, 1); }

/* ---- the teacher-forced decoder on given annotations, keys and s_0 ---- */
typedef struct {
    Net net;
    Batch bt;
    Arena arena;
    float ann[TS * B * 2 * H], keys[TS * B * 5], s0[B * H];
    float d_ann[TS * B * 2 * H], dkeys[TS * B * 5], ds0[B * H];
    float dropout, word_dropout, rec_dropout;
} DecCase;

static double dec_run(DecCase *c, int backward) {
    Rng rng;
    rng_seed(&rng, 31, 0);
    arena_reset(&c->arena);
    const DecoderWeights *w = &c->net.p.dec;
    DecoderActs act;
    decoder_forward(w, c->bt.Tt, c->bt.Ts, B, c->bt.tgt_in, c->ann, c->keys, c->bt.src_mask, c->s0, c->dropout,
                    c->word_dropout, c->rec_dropout, &rng, &c->arena, &act);
    /* the mean over tokens (scale), as training takes it */
    const float scale = 1.0f / (float)c->bt.n_tgt_tokens;
    double nll, L = scale * decoder_loss(w, &act, c->bt.tgt_out, c->bt.tgt_mask, 0.1f, scale, &nll);
    if (backward)
        decoder_backward(w, &c->net.g.dec, c->bt.tgt_in, c->ann, c->keys, c->bt.src_mask, &act, c->d_ann, c->dkeys,
                         c->ds0, &c->arena, NULL);
    return L;
}

static double dec_loss(void *vctx) { return dec_run(vctx, 0); }

static void check_decoder_full(AttentionType type, DecoderType decoder, int deep, float dropout, float rec_dropout,
                               int layer_norm, int depth) {
    DecCase c;
    memset(&c, 0, sizeof c);
    net_init_full(&c.net, type, decoder, deep, 0, layer_norm, 1, depth, 17);
    /* with dropout, whole tokens too (word dropout), so both masks' gradients are checked */
    c.dropout = dropout, c.word_dropout = dropout > 0.0f ? 0.4f : 0.0f, c.rec_dropout = rec_dropout;
    int s0[] = {4, 5, 6, 7}, s1[] = {8, 4}, s2[] = {5, 5, 6};
    int t0[] = {4, 5}, t1[] = {7, 4, 5}, t2[] = {6};
    const int *src[] = {s0, s1, s2}, *tgt[] = {t0, t1, t2};
    int slen[] = {4, 2, 3}, tlen[] = {2, 3, 1};
    batch_fill(&c.bt, B, src, slen, tgt, tlen);
    Rng rng;
    rng_seed(&rng, 18, 0);
    const int A = c.net.p.dec.att.A;
    fill_uniform(c.ann, TS * B * 2 * H, 1.0f, &rng);
    for (int j = 0; j < TS; j++) /* annotations are zero at padding, as the encoder leaves them */
        for (int b = 0; b < B; b++)
            if (j >= slen[b]) memset(c.ann + ((size_t)j * B + b) * 2 * H, 0, sizeof(float) * 2 * H);
    fill_uniform(c.keys, (size_t)TS * B * A, 1.0f, &rng);
    fill_uniform(c.s0, B * H, 0.8f, &rng);
    dec_run(&c, 1);
    g_atol = 2e-4, g_rtol = 2e-2; /* as the whole-model check in test_model.c */
    if (depth > 1) g_h = 1e-2;    /* a stack's rounding (see test_encoder.c) */
    float *analytic = falloc(c.net.n);
    memcpy(analytic, c.net.grads, sizeof(float) * c.net.n);
    const char *const names[] = {"tgt_emb", "att_W", "att_v", "dec.", "dec2.", "dec_l", "deep_", "out_", NULL};
    check_tensors(&c.net, names, dec_loss, &c, analytic);
    /* only the real source positions have a gradient; padded ones are never read */
    check_input("ann", c.ann, c.d_ann, TS * B * 2 * H, dec_loss, &c);
    check_input("keys", c.keys, c.dkeys, (size_t)TS * B * A, dec_loss, &c);
    check_input("s0", c.s0, c.ds0, B * H, dec_loss, &c);
    g_atol = 1e-4, g_rtol = 1e-2, g_h = 1e-3;
    ParamInfo table[64];
    const int count = model_param_table(&c.net.cfg, table, 64);
    int layers = 0;
    for (int k = 0; k < count; k++) layers += !strncmp(table[k].name, "dec_l", 5) && strstr(table[k].name, ".Wx");
    EXPECT_MSG(layers == depth - 1, "%d layers above the step for depth %d", layers, depth);
    free(analytic);
    batch_free(&c.bt);
    arena_free(&c.arena);
    net_free(&c.net);
}

static void check_decoder(AttentionType type, DecoderType decoder, int deep, float dropout, float rec_dropout) {
    check_decoder_full(type, decoder, deep, dropout, rec_dropout, 0, 1);
}
static void check_decoder_ln(AttentionType type, DecoderType decoder, int deep, float dropout, float rec_dropout,
                             int layer_norm) {
    check_decoder_full(type, decoder, deep, dropout, rec_dropout, layer_norm, 1);
}
static void check_decoder_depth(AttentionType type, DecoderType decoder, int deep, float dropout, float rec_dropout,
                                int depth) {
    check_decoder_full(type, decoder, deep, dropout, rec_dropout, 0, depth);
}

static void test_decoder_gradients_bahdanau(void) { check_decoder(ATTENTION_BAHDANAU, DECODER_GRU, 0, 0.0f, 0.0f); }
static void test_decoder_gradients_dot_deep(void) { check_decoder(ATTENTION_DOT, DECODER_GRU, 1, 0.0f, 0.0f); }
static void test_decoder_gradients_dropout(void) { check_decoder(ATTENTION_BAHDANAU, DECODER_GRU, 1, 0.2f, 0.3f); }
/* the conditional GRU: two GRUs per step, the query between them */
static void test_cgru_decoder_gradients_bahdanau(void) {
    check_decoder(ATTENTION_BAHDANAU, DECODER_CGRU, 0, 0.0f, 0.0f);
}
static void test_cgru_decoder_gradients_dot_deep(void) { check_decoder(ATTENTION_DOT, DECODER_CGRU, 1, 0.0f, 0.0f); }
static void test_cgru_decoder_gradients_dropout(void) {
    check_decoder(ATTENTION_BAHDANAU, DECODER_CGRU, 1, 0.2f, 0.3f);
}
/* layer-normalized GRUs: the decoder's GRU, and both of the cgru's */
static void test_decoder_gradients_layer_norm(void) {
    check_decoder_ln(ATTENTION_BAHDANAU, DECODER_GRU, 1, 0.2f, 0.3f, 1);
}
static void test_cgru_decoder_gradients_layer_norm(void) {
    check_decoder_ln(ATTENTION_BAHDANAU, DECODER_CGRU, 0, 0.2f, 0.3f, 1);
}

/* stacks above the step (--dec-depth): with and without dropout, both decoders */
static void test_decoder_gradients_depth2(void) { check_decoder_depth(ATTENTION_BAHDANAU, DECODER_GRU, 0, 0.0f, 0.0f, 2); }
static void test_decoder_gradients_depth3_dropout(void) {
    check_decoder_depth(ATTENTION_BAHDANAU, DECODER_GRU, 1, 0.2f, 0.3f, 3);
}
static void test_cgru_decoder_gradients_depth2_dropout(void) {
    check_decoder_depth(ATTENTION_DOT, DECODER_CGRU, 0, 0.2f, 0.3f, 2);
}
static void test_cgru_decoder_gradients_depth3(void) {
    check_decoder_depth(ATTENTION_BAHDANAU, DECODER_CGRU, 1, 0.0f, 0.0f, 3);
}

/* both at once: the layers above the step are layer-normalized too */
static void test_cgru_decoder_gradients_layer_norm_depth2(void) {
    check_decoder_full(ATTENTION_BAHDANAU, DECODER_CGRU, 0, 0.2f, 0.3f, 1, 2);
}

int main(void) {
    RUN(test_init_state_gradients);
    RUN(test_output_gradients_direct);
    RUN(test_output_gradients_deep);
    RUN(test_output_gradients_deep_tied);
    RUN(test_decoder_gradients_bahdanau);
    RUN(test_decoder_gradients_dot_deep);
    RUN(test_decoder_gradients_dropout);
    RUN(test_cgru_decoder_gradients_bahdanau);
    RUN(test_cgru_decoder_gradients_dot_deep);
    RUN(test_cgru_decoder_gradients_dropout);
    RUN(test_decoder_gradients_layer_norm);
    RUN(test_cgru_decoder_gradients_layer_norm);
    RUN(test_decoder_gradients_depth2);
    RUN(test_decoder_gradients_depth3_dropout);
    RUN(test_cgru_decoder_gradients_depth2_dropout);
    RUN(test_cgru_decoder_gradients_depth3);
    RUN(test_cgru_decoder_gradients_layer_norm_depth2);
    TEST_EXIT();
}
