/* Finite-difference checks of the whole model (model/seq2seq.c: encoder,
 * attention, decoder, output layer and loss) on a tiny padded batch: both
 * scorers, both decoders (gru, cgru), dropout, recurrent dropout, label
 * smoothing, the deep and tied output, the guided-alignment loss and
 * multi-head attention (2 and 4 heads); and
 * the guidance loss's bookkeeping (rows counted, its size at
 * initialization, none after a refill). */
#include <string.h>

#include "nn/rng.h"
#include "sys/util.h"
#include "layer_net.h"
#include "model/batch.h"
#include "model/seq2seq.h"
#include "test.h"

/* ---- the whole model on a tiny padded batch ---- */
typedef struct {
    Net net;
    Batch batch;
    Arena arena;
    float eps;
    float guide; /* the guidance loss's weight (0: none) */
    double scale;
} ModelCase;

static double model_loss(void *vctx) {
    ModelCase *c = vctx;
    Rng rng;
    rng_seed(&rng, 99, 0); /* the same dropout masks on every call */
    memset(c->net.grads, 0, sizeof(float) * c->net.n);
    arena_reset(&c->arena);
    const LossWeights w = {c->eps, c->guide, (float)c->scale};
    LossSum s = seq2seq_train_step(&c->net.p, &c->net.g, &c->net.cfg, &c->batch, &w, &rng, &c->arena);
    /* s.guide is unweighted */
    return (s.loss + (c->batch.has_guide ? c->guide * s.guide : 0.0)) * c->scale;
}

/* Gold attention rows for the test batch (Ts 4, Tt 5, B 3): a link to one
 * position, a row split over two, a row over three; other rows (</s>,
 * padding, a token without links) stay unguided. */
static void fill_test_guide(Batch *b) {
    float *g = batch_guide_begin(b);
    const int rows = b->B, Ts = b->Ts;
#define G(t, row, j) g[((size_t)(t) * rows + (row)) * Ts + (j)]
    G(0, 0, 0) = 1.0f;
    G(1, 0, 1) = 0.5f, G(1, 0, 3) = 0.5f;
    G(2, 0, 2) = 1.0f;
    G(0, 1, 1) = 1.0f; /* row 1 has 2 source tokens */
    G(2, 1, 0) = 0.5f, G(2, 1, 1) = 0.5f;
    G(3, 1, 0) = 1.0f;
    G(0, 2, 0) = 1.0f / 3, G(0, 2, 1) = 1.0f / 3, G(0, 2, 2) = 1.0f / 3;
#undef G
}

/* The model's test batch (Ts 4, Tt 5, B 3): rows of 4, 2 and 3 source and
 * 3, 4 and 1 target tokens, without guidance. */
static void fill_test_batch(Batch *b) {
    int s0[] = {4, 5, 6, 7}, s1[] = {8, 4}, s2[] = {5, 5, 6};
    int t0[] = {4, 5, 6}, t1[] = {7, 4, 5, 6}, t2[] = {6};
    const int *src[] = {s0, s1, s2}, *tgt[] = {t0, t1, t2};
    int slen[] = {4, 2, 3}, tlen[] = {3, 4, 1};
    batch_fill(b, 3, src, slen, tgt, tlen);
}

static void check_model_heads(AttentionType type, DecoderType decoder, float dropout, float rec_dropout, float eps,
                              int deep_output, int tie_target, float guide_weight, int heads) {
    ModelCase c;
    memset(&c, 0, sizeof c);
    /* N heads need --att-dim a multiple of N */
    net_alloc(&c.net, &(ModelConfig){.src_vocab = 9, .tgt_vocab = 8, .emb = 3, .hidden = 4,
                                     .att_dim = heads > 1 ? 4 : 5, .attention = type, .decoder = decoder,
                                     .dropout = dropout, .rec_dropout = rec_dropout, .deep_output = deep_output,
                                     .tie_target = tie_target, .heads = heads});
    const size_t n = c.net.n;
    model_init_params(&c.net.cfg, c.net.params, 5);
    /* larger weights than the init so every term matters */
    Rng rng;
    rng_seed(&rng, 3, type);
    for (size_t i = 0; i < n; i++) c.net.params[i] += 0.3f * (2.0f * rng_uniform(&rng) - 1.0f);
    fill_test_batch(&c.batch);
    if (guide_weight > 0.0f) fill_test_guide(&c.batch), c.guide = guide_weight;
    c.eps = eps;
    c.scale = 1.0 / c.batch.n_tgt_tokens;
    model_loss(&c);
    float *analytic = falloc(n);
    memcpy(analytic, c.net.grads, sizeof(float) * n);
    ParamInfo table[32];
    int count = model_param_table(&c.net.cfg, table, 32);
    int significant = 0, checked = 0;
    for (int k = 0; k < count; k++) {
        GradReport r = gradcheck(table[k].name, c.net.params + table[k].offset, analytic + table[k].offset,
                                 table[k].size, model_loss, &c, 1e-3, 2e-4, 2e-2, 400);
        EXPECT_MSG(gradcheck_catches(c.net.params + table[k].offset, analytic + table[k].offset, table[k].size, model_loss, &c, 1e-3, 2e-4, 2e-2), "%s: a wrong gradient went unnoticed", table[k].name);
        EXPECT_MSG(r.failed == 0, "%s: %d of %d entries off", table[k].name, r.failed, r.checked);
        significant += r.significant;
        checked += r.checked;
    }
    EXPECT_MSG(significant > checked / 4, "%d of %d checked entries have |gradient| > 1e-3", significant, checked);
    /* the <pad> row of the source embeddings gets no gradient */
    for (int k = 0; k < c.net.cfg.emb; k++) EXPECT(analytic[k] == 0.0f);
    free(analytic);
    net_free(&c.net);
    batch_free(&c.batch);
    arena_free(&c.arena);
}

static void check_model_decoder(AttentionType type, DecoderType decoder, float dropout, float rec_dropout, float eps,
                                int deep_output, int tie_target, float guide_weight) {
    check_model_heads(type, decoder, dropout, rec_dropout, eps, deep_output, tie_target, guide_weight, 1);
}

static void check_model(AttentionType type, float dropout, float rec_dropout, float eps, int deep_output,
                        int tie_target, float guide_weight) {
    check_model_decoder(type, DECODER_GRU, dropout, rec_dropout, eps, deep_output, tie_target, guide_weight);
}

static void test_model_gradients_bahdanau(void) { check_model(ATTENTION_BAHDANAU, 0.0f, 0.0f, 0.0f, 0, 0, 0.0f); }
static void test_model_gradients_dot(void) { check_model(ATTENTION_DOT, 0.0f, 0.0f, 0.0f, 0, 0, 0.0f); }
static void test_model_gradients_dropout_label_smoothing(void) {
    check_model(ATTENTION_BAHDANAU, 0.3f, 0.0f, 0.1f, 0, 0, 0.0f);
}
static void test_model_gradients_recurrent_dropout(void) {
    check_model(ATTENTION_BAHDANAU, 0.2f, 0.3f, 0.1f, 0, 0, 0.0f);
}
static void test_model_gradients_deep_output(void) { check_model(ATTENTION_BAHDANAU, 0.2f, 0.0f, 0.1f, 1, 0, 0.0f); }
static void test_model_gradients_deep_output_tied(void) { check_model(ATTENTION_DOT, 0.0f, 0.0f, 0.0f, 1, 1, 0.0f); }
/* guided alignment: the attention cross-entropy term, weighted heavily so
 * that it dominates the gradient of the attention parameters */
static void test_model_gradients_guided_bahdanau(void) {
    check_model(ATTENTION_BAHDANAU, 0.2f, 0.0f, 0.1f, 1, 1, 2.0f);
}
static void test_model_gradients_guided_dot(void) { check_model(ATTENTION_DOT, 0.0f, 0.0f, 0.0f, 0, 0, 2.0f); }
/* the conditional GRU decoder: guidance and recurrent dropout, both scorers */
static void test_model_gradients_cgru_guided_bahdanau(void) {
    check_model_decoder(ATTENTION_BAHDANAU, DECODER_CGRU, 0.2f, 0.3f, 0.1f, 1, 1, 2.0f);
}
static void test_model_gradients_cgru_guided_dot(void) {
    check_model_decoder(ATTENTION_DOT, DECODER_CGRU, 0.0f, 0.0f, 0.0f, 0, 0, 2.0f);
}
/* multi-head attention (att_Wv among the tensors), both scorers, both
 * decoders; guided alignment supervises the heads' mean */
static void test_model_gradients_heads_bahdanau(void) {
    check_model_heads(ATTENTION_BAHDANAU, DECODER_GRU, 0.0f, 0.0f, 0.0f, 0, 0, 0.0f, 2);
}
static void test_model_gradients_heads_dot(void) {
    check_model_heads(ATTENTION_DOT, DECODER_GRU, 0.0f, 0.0f, 0.0f, 0, 0, 0.0f, 4);
}
static void test_model_gradients_heads_guided_bahdanau(void) {
    check_model_heads(ATTENTION_BAHDANAU, DECODER_GRU, 0.2f, 0.0f, 0.1f, 1, 0, 2.0f, 4);
}
static void test_model_gradients_heads_cgru_guided_bahdanau(void) {
    check_model_heads(ATTENTION_BAHDANAU, DECODER_CGRU, 0.0f, 0.3f, 0.0f, 0, 0, 2.0f, 2);
}
static void test_model_gradients_heads_cgru_guided_dot(void) {
    check_model_heads(ATTENTION_DOT, DECODER_CGRU, 0.0f, 0.0f, 0.0f, 1, 1, 2.0f, 2);
}

/* The guidance loss's bookkeeping: the guided rows are counted, the loss of
 * a near-uniform (initial) attention is about the log of each row's source
 * length, and a refilled batch carries no guidance. */
static void test_guide_loss_counts_rows(void) {
    ModelCase c;
    memset(&c, 0, sizeof c);
    net_alloc(&c.net, &(ModelConfig){.src_vocab = 9, .tgt_vocab = 8, .emb = 3, .hidden = 4, .att_dim = 5});
    model_init_params(&c.net.cfg, c.net.params, 5);
    fill_test_batch(&c.batch);
    fill_test_guide(&c.batch);
    Rng rng;
    rng_seed(&rng, 1, 0);
    const LossWeights w = {0.0f, 1.0f, 1.0f};
    LossSum s = seq2seq_train_step(&c.net.p, &c.net.g, &c.net.cfg, &c.batch, &w, &rng, &c.arena);
    EXPECT(s.guided == 7);
    EXPECT(s.guide > 0.0);
    /* near-uniform attention at initialization: each row costs about log of its source length */
    EXPECT(s.guide > 0.5 * (4 * 1.386 + 3 * 0.693) && s.guide < 2.0 * (4 * 1.386 + 3 * 0.693));
    fill_test_batch(&c.batch); /* a refill leaves no guidance */
    EXPECT(c.batch.has_guide == 0);
    arena_reset(&c.arena);
    s = seq2seq_train_step(&c.net.p, &c.net.g, &c.net.cfg, &c.batch, &w, &rng, &c.arena);
    EXPECT(s.guided == 0 && s.guide == 0.0);
    net_free(&c.net);
    batch_free(&c.batch);
    arena_free(&c.arena);
}

int main(void) {
    RUN(test_model_gradients_bahdanau);
    RUN(test_model_gradients_dot);
    RUN(test_model_gradients_dropout_label_smoothing);
    RUN(test_model_gradients_recurrent_dropout);
    RUN(test_model_gradients_deep_output);
    RUN(test_model_gradients_deep_output_tied);
    RUN(test_model_gradients_guided_bahdanau);
    RUN(test_model_gradients_guided_dot);
    RUN(test_model_gradients_cgru_guided_bahdanau);
    RUN(test_model_gradients_cgru_guided_dot);
    RUN(test_model_gradients_heads_bahdanau);
    RUN(test_model_gradients_heads_dot);
    RUN(test_model_gradients_heads_guided_bahdanau);
    RUN(test_model_gradients_heads_cgru_guided_bahdanau);
    RUN(test_model_gradients_heads_cgru_guided_dot);
    RUN(test_guide_loss_counts_rows);
    TEST_EXIT();
}
