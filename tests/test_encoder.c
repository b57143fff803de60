/* Finite-difference checks of the encoder (src/encoder/): the source
 * embeddings and both directions' GRUs (plain and layer-normalized) on a
 * padded batch with dropout and recurrent dropout, through the annotations
 * and the summary the decoder's initial state reads; one layer and stacks
 * of 2 and 3 (--enc-depth). And padding never leaks into a stack: a padded
 * row encodes as it does alone. */
#include <math.h>
#include <string.h>

#include "encoder/encoder.h"
#include "nn/rng.h"
#include "sys/util.h"
#include "layer_net.h"
#include "model/batch.h"
#include "test.h"

/* ---- encoder and its summary: L = w_ann . ann + w_sum . summary, padded, with dropout ---- */
typedef struct {
    Net net;
    Batch bt;
    Arena arena;
    float w_ann[TS * B * 2 * H], w_sum[B * 2 * H];
    float dropout, word_dropout, rec_dropout;
} EncCase;

static double enc_run(EncCase *c, int backward) {
    Rng rng;
    rng_seed(&rng, 21, 0); /* the same dropout masks on every call */
    arena_reset(&c->arena);
    EncoderActs act;
    encoder_forward(&c->net.p.enc, c->bt.Ts, B, c->bt.src, c->bt.src_mask, c->dropout, c->word_dropout, c->rec_dropout, &rng,
                    &c->arena, &act);
    float summary[B * 2 * H], d_final[2 * B * H];
    encoder_summary_forward(&act, H, summary);
    double L = dot_d(c->w_ann, act.top, TS * B * 2 * H) + dot_d(c->w_sum, summary, B * 2 * H);
    if (backward) {
        encoder_summary_backward(B, H, c->w_sum, d_final);
        encoder_backward(&c->net.p.enc, &c->net.g.enc, c->bt.src, c->bt.src_mask, &act, c->w_ann, d_final, &c->arena,
                         NULL);
    }
    return L;
}

static double enc_loss(void *vctx) { return enc_run(vctx, 0); }

/* The test batch: rows of 4, 2 and 3 source tokens (padded). */
static void fill_source(Batch *bt) {
    int s0[] = {4, 5, 6, 7}, s1[] = {8, 4}, s2[] = {5, 5, 6};
    const int *src[] = {s0, s1, s2};
    int len[] = {4, 2, 3};
    batch_fill(bt, B, src, len, NULL, NULL);
}

static void check_encoder(int layer_norm, int depth, float dropout, float rec_dropout) {
    EncCase c;
    memset(&c, 0, sizeof c);
    net_init_full(&c.net, ATTENTION_BAHDANAU, DECODER_GRU, 0, 0, layer_norm, depth, 1, 13);
    /* with dropout, whole tokens too (word dropout), so both masks' gradients are checked */
    c.dropout = dropout, c.word_dropout = dropout > 0.0f ? 0.4f : 0.0f, c.rec_dropout = rec_dropout;
    fill_source(&c.bt);
    Rng rng;
    rng_seed(&rng, 14, 0);
    fill_uniform(c.w_ann, TS * B * 2 * H, 1.0f, &rng);
    fill_uniform(c.w_sum, B * 2 * H, 1.0f, &rng);
    enc_run(&c, 1);
    float *analytic = falloc(c.net.n);
    memcpy(analytic, c.net.grads, sizeof(float) * c.net.n);
    /* the normalization's 1/sigma (of 4-wide segments) amplifies the fp32
     * rounding of the states: enc_fwd.Wx[5] is 1.3e-4 off at 1e-4 + 1e-2 */
    if (layer_norm) g_atol = 2e-4, g_rtol = 2e-2; /* as the decoder's and whole-model checks */
    /* a stack's annotations carry the rounding of every layer below: a
     * step of 1e-3 leaves differences of 3e-4 that are only rounding (the
     * same gradients agree to 1e-4 with a step of 1e-2) */
    if (depth > 1) g_h = 1e-2;
    check_tensors(&c.net, (const char *const[]){"src_emb", "enc_", NULL}, enc_loss, &c, analytic);
    g_atol = 1e-4, g_rtol = 1e-2, g_h = 1e-3;
    /* every layer's weights are there and checked */
    ParamInfo table[128];
    const int count = model_param_table(&c.net.cfg, table, 128);
    int layers = 0;
    for (int k = 0; k < count; k++) layers += !strncmp(table[k].name, "enc_fwd", 7) && strstr(table[k].name, ".Wx");
    EXPECT_MSG(layers == depth, "%d forward GRUs for depth %d", layers, depth);
    free(analytic);
    batch_free(&c.bt);
    arena_free(&c.arena);
    net_free(&c.net);
}

static void test_encoder_gradients(void) { check_encoder(0, 1, 0.2f, 0.3f); }
static void test_encoder_gradients_layer_norm(void) { check_encoder(1, 1, 0.2f, 0.3f); }
static void test_encoder_gradients_depth2(void) { check_encoder(0, 2, 0.2f, 0.3f); }
static void test_encoder_gradients_depth3(void) { check_encoder(0, 3, 0.2f, 0.3f); }
static void test_encoder_gradients_depth3_no_dropout(void) { check_encoder(0, 3, 0.0f, 0.0f); }
static void test_encoder_gradients_layer_norm_depth2(void) { check_encoder(1, 2, 0.2f, 0.3f); }

/* Padding never leaks through the stack: the annotations at padded
 * positions are zero, and a padded row's annotations and summary are its
 * own encoding alone (to rounding). */
static void test_encoder_depth_padding(void) {
    Net net;
    net_init_depth(&net, ATTENTION_BAHDANAU, DECODER_GRU, 0, 0, 3, 1, 15);
    Batch bt = {0}, one = {0};
    fill_source(&bt);
    int s1[] = {8, 4}, len = 2;
    const int *src1[] = {s1};
    batch_fill(&one, 1, src1, &len, NULL, NULL);
    Arena arena = {0};
    EncoderActs all, alone;
    encoder_forward(&net.p.enc, bt.Ts, B, bt.src, bt.src_mask, 0.0f, 0.0f, 0.0f, NULL, &arena, &all);
    encoder_forward(&net.p.enc, one.Ts, 1, one.src, one.src_mask, 0.0f, 0.0f, 0.0f, NULL, &arena, &alone);
    float sum_all[B * 2 * H], sum_alone[2 * H];
    encoder_summary_forward(&all, H, sum_all);
    encoder_summary_forward(&alone, H, sum_alone);
    EXPECT(all.depth == 3 && all.top == all.up[1].ann);
    for (int t = 0; t < TS; t++)
        for (int b = 0; b < B; b++) {
            const float *a = all.top + ((size_t)t * B + b) * 2 * H;
            for (int i = 0; i < 2 * H; i++) {
                if (bt.src_mask[t * B + b] == 0.0f) EXPECT_MSG(a[i] == 0.0f, "t %d row %d: %g at padding", t, b, a[i]);
                else if (b == 1) EXPECT_MSG(fabsf(a[i] - alone.top[(size_t)t * 2 * H + i]) < 1e-5f, "t %d: %g vs %g", t,
                                            a[i], alone.top[(size_t)t * 2 * H + i]);
            }
        }
    for (int i = 0; i < 2 * H; i++) EXPECT(fabsf(sum_all[2 * H + i] - sum_alone[i]) < 1e-5f);
    /* the summary is the top layer's: it differs from the first layer's final states */
    EXPECT(fabsf(sum_all[0] - all.hf[(size_t)bt.Ts * B * H]) > 1e-4f);
    arena_free(&arena);
    batch_free(&bt);
    batch_free(&one);
    net_free(&net);
}

int main(void) {
    RUN(test_encoder_gradients);
    RUN(test_encoder_gradients_layer_norm);
    RUN(test_encoder_gradients_depth2);
    RUN(test_encoder_gradients_depth3);
    RUN(test_encoder_gradients_depth3_no_dropout);
    RUN(test_encoder_gradients_layer_norm_depth2);
    RUN(test_encoder_depth_padding);
    TEST_EXIT();
}
