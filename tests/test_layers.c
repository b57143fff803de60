/* Finite-difference checks of each layer's backward pass on its own, with
 * the layer's inputs as well as its weights checked: the initial state,
 * the output layer (direct and deep), the attention keys, dropout, the
 * encoder with its summary, and the teacher-forced decoder (its step
 * function, the query's deferred weight gradient and the output layer
 * together). test_gradients.c checks the GRU step, the attention step and
 * the whole model. */
#include <string.h>

#include "core/dropout.h"
#include "core/rng.h"
#include "core/util.h"
#include "decoder/decoder.h"
#include "encoder/encoder.h"
#include "gradcheck.h"
#include "model/batch.h"
#include "model/model.h"
#include "test.h"

/* A tiny model's parameters and a gradient buffer of the same layout. */
typedef struct {
    ModelConfig cfg;
    ModelParams p, g;
    float *params, *grads;
    size_t n;
} Net;

static void net_init_decoder(Net *net, AttentionType type, DecoderType decoder, int deep, int tied, unsigned seed) {
    memset(net, 0, sizeof *net);
    net->cfg = (ModelConfig){.src_vocab = 9, .tgt_vocab = 8, .emb = 3, .hidden = 4, .att_dim = 5,
                             .attention = type, .decoder = decoder, .deep_output = deep, .tie_target = tied};
    net->n = model_num_params(&net->cfg);
    net->params = falloc(net->n);
    net->grads = falloc(net->n);
    model_bind(&net->cfg, net->params, &net->p);
    model_bind(&net->cfg, net->grads, &net->g);
    Rng rng;
    rng_seed(&rng, seed, 1);
    fill_uniform(net->params, net->n, 0.8f, &rng); /* biases too: every term must matter */
}

static void net_init(Net *net, AttentionType type, int deep, int tied, unsigned seed) {
    net_init_decoder(net, type, DECODER_GRU, deep, tied, seed);
}

static void net_free(Net *net) { free(net->params), free(net->grads); }

/* Check every tensor of the net whose name starts with one of prefixes. */
static double g_atol = 1e-4, g_rtol = 1e-2; /* the decoder's loss, a sum of many float terms, needs more */

static void check_tensors(Net *net, const char *const *prefixes, LossFn loss, void *ctx, const float *analytic) {
    ParamInfo table[32];
    int count = model_param_table(&net->cfg, table, 32), checked = 0;
    for (int k = 0; k < count; k++) {
        int want = 0;
        for (const char *const *p = prefixes; *p && !want; p++) want = !strncmp(table[k].name, *p, strlen(*p));
        if (!want) continue;
        GradReport r = gradcheck(table[k].name, net->params + table[k].offset, analytic + table[k].offset,
                                 table[k].size, loss, ctx, 1e-3, g_atol, g_rtol, 300);
        EXPECT_MSG(r.failed == 0, "%s: %d of %d entries off", table[k].name, r.failed, r.checked);
        EXPECT_MSG(r.significant > 0, "%s: no entry with a gradient above 1e-3", table[k].name);
        checked++;
    }
    EXPECT(checked > 0);
}

static void check_input(const char *name, float *x, const float *dx, size_t n, LossFn loss, void *ctx) {
    GradReport r = gradcheck(name, x, dx, n, loss, ctx, 1e-3, g_atol, g_rtol, 300);
    EXPECT_MSG(r.failed == 0, "%s: %d of %d entries off", name, r.failed, r.checked);
    EXPECT_MSG(r.significant > 0, "%s: no entry with a gradient above 1e-3", name);
}

/* ---- initial state: L = w . s0 ---- */
enum { B = 3, H = 4, E = 3, TS = 4, TT = 3 };
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

/* ---- attention keys: L = w . keys ---- */
typedef struct {
    Net net;
    float ann[TS * B * 2 * H], w[TS * B * 5];
} KeysCase;

static double keys_loss(void *vctx) {
    KeysCase *c = vctx;
    float keys[TS * B * 5];
    attention_keys_forward(&c->net.p.dec.att, TS, B, c->ann, keys);
    return dot_d(c->w, keys, (size_t)TS * B * c->net.p.dec.att.A);
}

static void check_keys(AttentionType type) {
    KeysCase c;
    net_init(&c.net, type, 0, 0, 7);
    Rng rng;
    rng_seed(&rng, 8, 0);
    fill_uniform(c.ann, TS * B * 2 * H, 1.0f, &rng);
    fill_uniform(c.w, TS * B * 5, 1.0f, &rng);
    float d_ann[TS * B * 2 * H] = {0};
    attention_keys_backward(&c.net.p.dec.att, &c.net.g.dec.att, TS, B, c.ann, c.w, d_ann);
    const char *const names[] = {"att_U", "att_b", NULL};
    check_tensors(&c.net, names, keys_loss, &c, c.net.grads);
    check_input("ann", c.ann, d_ann, TS * B * 2 * H, keys_loss, &c);
    net_free(&c.net);
}

static void test_attention_keys_gradients_bahdanau(void) { check_keys(ATTENTION_BAHDANAU); }
static void test_attention_keys_gradients_dot(void) { check_keys(ATTENTION_DOT); }

/* ---- dropout: L = w . dropout(x), the same mask on every call ---- */
enum { N_DROP = 200 };
typedef struct {
    float x[N_DROP], w[N_DROP];
    Arena arena;
} DropCase;

static double drop_loss(void *vctx) {
    DropCase *c = vctx;
    float y[N_DROP];
    memcpy(y, c->x, sizeof y);
    Rng rng;
    rng_seed(&rng, 12, 0);
    arena_reset(&c->arena);
    dropout_forward(y, N_DROP, 0.3f, &rng, &c->arena);
    return dot_d(c->w, y, N_DROP);
}

static void test_dropout_gradients(void) {
    DropCase c = {0};
    Rng rng;
    rng_seed(&rng, 11, 0);
    fill_uniform(c.x, N_DROP, 1.0f, &rng);
    fill_uniform(c.w, N_DROP, 1.0f, &rng);
    float y[N_DROP], dx[N_DROP];
    memcpy(y, c.x, sizeof y);
    rng_seed(&rng, 12, 0);
    const float *mask = dropout_forward(y, N_DROP, 0.3f, &rng, &c.arena);
    int zeros = 0;
    for (int i = 0; i < N_DROP; i++) {
        EXPECT(mask[i] == 0.0f || fabsf(mask[i] - 1.0f / 0.7f) < 1e-6f);
        zeros += mask[i] == 0.0f;
    }
    EXPECT_MSG(zeros > 30 && zeros < 90, "%d of %d dropped at p = 0.3", zeros, N_DROP);
    memcpy(dx, c.w, sizeof dx);
    dropout_backward(dx, mask, N_DROP);
    check_input("x", c.x, dx, N_DROP, drop_loss, &c);
    EXPECT(dropout_forward(y, N_DROP, 0.0f, &rng, &c.arena) == NULL); /* p = 0: nothing drawn */
    arena_free(&c.arena);
}

/* ---- encoder and its summary: L = w_ann . ann + w_sum . summary, padded, with dropout ---- */
typedef struct {
    Net net;
    Batch bt;
    Arena arena;
    float w_ann[TS * B * 2 * H], w_sum[B * 2 * H];
} EncCase;

static double enc_run(EncCase *c, int backward) {
    Rng rng;
    rng_seed(&rng, 21, 0); /* the same dropout masks on every call */
    arena_reset(&c->arena);
    EncoderActs act;
    encoder_forward(&c->net.p.enc, c->bt.Ts, B, c->bt.src, c->bt.src_mask, 0.2f, 0.3f, &rng, &c->arena, &act);
    float summary[B * 2 * H], d_final[2 * B * H];
    encoder_summary_forward(&act, H, summary);
    double L = dot_d(c->w_ann, act.ann, TS * B * 2 * H) + dot_d(c->w_sum, summary, B * 2 * H);
    if (backward) {
        encoder_summary_backward(B, H, c->w_sum, d_final);
        encoder_backward(&c->net.p.enc, &c->net.g.enc, c->bt.src, c->bt.src_mask, &act, c->w_ann, d_final, &c->arena);
    }
    return L;
}

static double enc_loss(void *vctx) { return enc_run(vctx, 0); }

static void test_encoder_gradients(void) {
    EncCase c;
    memset(&c, 0, sizeof c);
    net_init(&c.net, ATTENTION_BAHDANAU, 0, 0, 13);
    int s0[] = {4, 5, 6, 7}, s1[] = {8, 4}, s2[] = {5, 5, 6};
    const int *src[] = {s0, s1, s2};
    int len[] = {4, 2, 3};
    batch_fill(&c.bt, B, src, len, NULL, NULL);
    Rng rng;
    rng_seed(&rng, 14, 0);
    fill_uniform(c.w_ann, TS * B * 2 * H, 1.0f, &rng);
    fill_uniform(c.w_sum, B * 2 * H, 1.0f, &rng);
    enc_run(&c, 1);
    float *analytic = falloc(c.net.n);
    memcpy(analytic, c.net.grads, sizeof(float) * c.net.n);
    check_tensors(&c.net, (const char *const[]){"src_emb", "enc_", NULL}, enc_loss, &c, analytic);
    free(analytic);
    batch_free(&c.bt);
    arena_free(&c.arena);
    net_free(&c.net);
}

/* ---- the teacher-forced decoder on given annotations, keys and s_0 ---- */
typedef struct {
    Net net;
    Batch bt;
    Arena arena;
    float ann[TS * B * 2 * H], keys[TS * B * 5], s0[B * H];
    float d_ann[TS * B * 2 * H], dkeys[TS * B * 5], ds0[B * H];
    float dropout, rec_dropout;
} DecCase;

static double dec_run(DecCase *c, int backward) {
    Rng rng;
    rng_seed(&rng, 31, 0);
    arena_reset(&c->arena);
    const DecoderWeights *w = &c->net.p.dec;
    DecoderActs act;
    decoder_forward(w, c->bt.Tt, c->bt.Ts, B, c->bt.tgt_in, c->ann, c->keys, c->bt.src_mask, c->s0, c->dropout,
                    c->rec_dropout, &rng, &c->arena, &act);
    /* the mean over tokens (scale), as training takes it */
    const float scale = 1.0f / (float)c->bt.n_tgt_tokens;
    double nll, L = scale * decoder_loss(w, &act, c->bt.tgt_out, c->bt.tgt_mask, 0.1f, scale, &nll);
    if (backward)
        decoder_backward(w, &c->net.g.dec, c->bt.tgt_in, c->ann, c->keys, c->bt.src_mask, &act, c->d_ann, c->dkeys,
                         c->ds0, &c->arena);
    return L;
}

static double dec_loss(void *vctx) { return dec_run(vctx, 0); }

static void check_decoder(AttentionType type, DecoderType decoder, int deep, float dropout, float rec_dropout) {
    DecCase c;
    memset(&c, 0, sizeof c);
    net_init_decoder(&c.net, type, decoder, deep, 0, 17);
    c.dropout = dropout, c.rec_dropout = rec_dropout;
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
    g_atol = 2e-4, g_rtol = 2e-2; /* as the whole-model check in test_gradients.c */
    float *analytic = falloc(c.net.n);
    memcpy(analytic, c.net.grads, sizeof(float) * c.net.n);
    const char *const names[] = {"tgt_emb", "att_W", "att_v", "dec.", "dec2.", "deep_", "out_", NULL};
    check_tensors(&c.net, names, dec_loss, &c, analytic);
    /* only the real source positions have a gradient; padded ones are never read */
    check_input("ann", c.ann, c.d_ann, TS * B * 2 * H, dec_loss, &c);
    check_input("keys", c.keys, c.dkeys, (size_t)TS * B * A, dec_loss, &c);
    check_input("s0", c.s0, c.ds0, B * H, dec_loss, &c);
    g_atol = 1e-4, g_rtol = 1e-2;
    free(analytic);
    batch_free(&c.bt);
    arena_free(&c.arena);
    net_free(&c.net);
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

int main(void) {
    RUN(test_init_state_gradients);
    RUN(test_output_gradients_direct);
    RUN(test_output_gradients_deep);
    RUN(test_output_gradients_deep_tied);
    RUN(test_attention_keys_gradients_bahdanau);
    RUN(test_attention_keys_gradients_dot);
    RUN(test_dropout_gradients);
    RUN(test_encoder_gradients);
    RUN(test_decoder_gradients_bahdanau);
    RUN(test_decoder_gradients_dot_deep);
    RUN(test_decoder_gradients_dropout);
    RUN(test_cgru_decoder_gradients_bahdanau);
    RUN(test_cgru_decoder_gradients_dot_deep);
    RUN(test_cgru_decoder_gradients_dropout);
    TEST_EXIT();
}
