/* Finite-difference checks of the encoder (src/encoder/): the source
 * embeddings and both directions' GRUs (plain and layer-normalized) on a
 * padded batch with dropout and recurrent dropout, through the annotations and the summary the decoder's
 * initial state reads. */
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

static void check_encoder(int layer_norm) {
    EncCase c;
    memset(&c, 0, sizeof c);
    net_init_decoder_ln(&c.net, ATTENTION_BAHDANAU, DECODER_GRU, 0, 0, layer_norm, 13);
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
    /* the normalization's 1/sigma (of 4-wide segments) amplifies the fp32
     * rounding of the states: enc_fwd.Wx[5] is 1.3e-4 off at 1e-4 + 1e-2 */
    if (layer_norm) g_atol = 2e-4, g_rtol = 2e-2; /* as the decoder's and whole-model checks */
    check_tensors(&c.net, (const char *const[]){"src_emb", "enc_", NULL}, enc_loss, &c, analytic);
    g_atol = 1e-4, g_rtol = 1e-2;
    free(analytic);
    batch_free(&c.bt);
    arena_free(&c.arena);
    net_free(&c.net);
}

static void test_encoder_gradients(void) { check_encoder(0); }
static void test_encoder_gradients_layer_norm(void) { check_encoder(1); }

int main(void) {
    RUN(test_encoder_gradients);
    RUN(test_encoder_gradients_layer_norm);
    TEST_EXIT();
}
