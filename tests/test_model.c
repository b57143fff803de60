/* Finite-difference checks of the whole model (model/seq2seq.c: encoder,
 * attention, decoder, output layer and loss) on a tiny padded batch: both
 * scorers, both decoders (gru, cgru), dropout, recurrent dropout, label
 * smoothing, the deep and tied output, the guided-alignment loss,
 * stacked encoder and decoder layers (--enc-depth, --dec-depth) and
 * multi-head attention (2 and 4 heads); and
 * the guidance loss's bookkeeping (rows counted, its size at
 * initialization, none after a refill); and the parts of the gradient the
 * backward pass tells final (GradReady) are final. */
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
    float align;        /* the alignment layer's weight w_a */
    GuideTarget target; /* which attention the guidance trains */
    int translation_only; /* the loss without the alignment layer's terms */
} ModelCase;

static double model_loss(void *vctx) {
    ModelCase *c = vctx;
    Rng rng;
    rng_seed(&rng, 99, 0); /* the same dropout masks on every call */
    memset(c->net.grads, 0, sizeof(float) * c->net.n);
    arena_reset(&c->arena);
    const LossWeights w = {c->eps, c->guide, (float)c->scale, c->align, c->target, 0};
    LossSum s = seq2seq_train_step(&c->net.p, &c->net.g, &c->net.cfg, &c->batch, &w, &rng, &c->arena, NULL);
    /* s.guide, s.align_nll and s.align_guide are unweighted */
    const double guide = c->batch.has_guide ? c->guide : 0.0;
    /* the layer's gradient stops at its inputs: the other tensors' is the translation loss's alone */
    const double layer = c->translation_only ? 0.0 : c->align * (s.align_nll + guide * s.align_guide);
    return (s.loss + guide * s.guide + layer) * c->scale;
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

/* The checks of every tensor of a model of configuration cfg, with loss
 * weights eps, guide_weight (guidance on target) and the alignment layer's
 * align. */
static void check_model_cfg(const ModelConfig *cfg, float eps, float guide_weight, GuideTarget target, float align) {
    ModelCase c;
    memset(&c, 0, sizeof c);
    net_alloc(&c.net, cfg);
    const AttentionType type = cfg->attention;
    /* a stack's rounding needs a wider step (see test_encoder.c), but
     * layer normalization's curvature over 4-unit segments needs the
     * narrow one: with stacks, 4 heads and guidance, 8 entries are off at
     * 3e-3, 2 at 2e-3, none at 1e-3 (the error of a too wide step) */
    const double h = cfg->layer_norm ? 1e-3 : cfg->enc_depth > 1 || cfg->dec_depth > 1 ? 1e-2 : 1e-3;
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
    c.align = align, c.target = target;
    model_loss(&c);
    float *analytic = falloc(n);
    memcpy(analytic, c.net.grads, sizeof(float) * n);
    ParamInfo table[128]; /* cgru, 3 layers each, layer normalization: 92 */
    int count = model_param_table(&c.net.cfg, table, 128);
    EXPECT(count <= 128);
    int significant = 0, checked = 0;
    for (int k = 0; k < count; k++) {
        /* the alignment layer's tensors against the whole loss, the others against the translation loss */
        c.translation_only = strncmp(table[k].name, "al_", 3) != 0;
        GradReport r = gradcheck(table[k].name, c.net.params + table[k].offset, analytic + table[k].offset,
                                 table[k].size, model_loss, &c, h, 2e-4, 2e-2, 400);
        EXPECT_MSG(gradcheck_catches(c.net.params + table[k].offset, analytic + table[k].offset, table[k].size, model_loss, &c, h, 2e-4, 2e-2), "%s: a wrong gradient went unnoticed", table[k].name);
        EXPECT_MSG(r.failed == 0, "%s: %d of %d entries off", table[k].name, r.failed, r.checked);
        significant += r.significant;
        checked += r.checked;
    }
    EXPECT_MSG(significant > checked / 4, "%d of %d checked entries have |gradient| > 1e-3", significant, checked);
    /* the <pad> row of the source embeddings gets no gradient (unless they are the logits' weights too) */
    if (!(c.net.cfg.tie_source && c.net.cfg.tie_target))
        for (int k = 0; k < c.net.cfg.emb; k++) EXPECT(analytic[k] == 0.0f);
    free(analytic);
    net_free(&c.net);
    batch_free(&c.batch);
    arena_free(&c.arena);
}

static void check_model_full(AttentionType type, DecoderType decoder, float dropout, float rec_dropout, float eps,
                             int deep_output, int tie_target, float guide_weight, int layer_norm, int enc_depth,
                             int dec_depth, int heads) {
    /* N heads need --att-dim a multiple of N */
    const ModelConfig cfg = {.src_vocab = 9, .tgt_vocab = 8, .emb = 3, .hidden = 4, .att_dim = heads > 1 ? 4 : 5,
                             .attention = type, .decoder = decoder, .dropout = dropout, .rec_dropout = rec_dropout,
                             .deep_output = deep_output, .tie_target = tie_target, .layer_norm = layer_norm,
                             .enc_depth = enc_depth, .dec_depth = dec_depth, .heads = heads};
    check_model_cfg(&cfg, eps, guide_weight, GUIDE_TARGET_DECODER, 0.0f);
}

static void check_model_decoder(AttentionType type, DecoderType decoder, float dropout, float rec_dropout, float eps,
                                int deep_output, int tie_target, float guide_weight) {
    check_model_full(type, decoder, dropout, rec_dropout, eps, deep_output, tie_target, guide_weight, 0, 1, 1, 1);
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
/* layer-normalized GRUs (every GRU of the model, so both decoders), with
 * dropout, recurrent dropout and guidance */
static void test_model_gradients_layer_norm_gru(void) {
    check_model_full(ATTENTION_BAHDANAU, DECODER_GRU, 0.2f, 0.3f, 0.1f, 0, 0, 0.0f, 1, 1, 1, 1);
}
static void test_model_gradients_layer_norm_cgru(void) {
    check_model_full(ATTENTION_DOT, DECODER_CGRU, 0.2f, 0.3f, 0.1f, 1, 1, 2.0f, 1, 1, 1, 1);
}
/* stacked layers: the encoder's and the decoder's, each alone and together,
 * with dropout, recurrent dropout and guidance */
static void test_model_gradients_enc_depth3(void) {
    check_model_full(ATTENTION_BAHDANAU, DECODER_GRU, 0.2f, 0.3f, 0.1f, 0, 0, 0.0f, 0, 3, 1, 1);
}
static void test_model_gradients_dec_depth3_cgru(void) {
    check_model_full(ATTENTION_BAHDANAU, DECODER_CGRU, 0.2f, 0.3f, 0.1f, 1, 1, 2.0f, 0, 1, 3, 1);
}
static void test_model_gradients_depth2_dot(void) {
    check_model_full(ATTENTION_DOT, DECODER_GRU, 0.0f, 0.0f, 0.0f, 0, 0, 0.0f, 0, 2, 2, 1);
}
static void test_model_gradients_depth2_cgru_dropout(void) {
    check_model_full(ATTENTION_DOT, DECODER_CGRU, 0.3f, 0.2f, 0.1f, 0, 0, 0.0f, 0, 2, 2, 1);
}
/* word dropout on both sides (whole tokens' embeddings), with element
 * dropout, recurrent dropout, the deep tied output and guidance */
static void test_model_gradients_word_dropout(void) {
    const ModelConfig cfg = {.src_vocab = 9, .tgt_vocab = 8, .emb = 3, .hidden = 4, .att_dim = 5,
                             .attention = ATTENTION_BAHDANAU, .decoder = DECODER_CGRU, .dropout = 0.2f,
                             .rec_dropout = 0.1f, .word_dropout_src = 0.3f, .word_dropout_tgt = 0.3f,
                             .deep_output = 1, .tie_target = 1, .enc_depth = 1, .dec_depth = 1, .heads = 1};
    check_model_cfg(&cfg, 0.1f, 2.0f, GUIDE_TARGET_DECODER, 0.0f);
}
/* three-way tying: the source embeddings are the target embeddings, which
 * are the logits' weights (one tensor, tgt_emb, gets the gradient of all
 * three uses); and the source tied alone, with the direct output layer */
static void check_model_tie_source(int deep) {
    const ModelConfig cfg = {.src_vocab = 9, .tgt_vocab = 9, .emb = 3, .hidden = 4, .att_dim = 5,
                             .attention = ATTENTION_BAHDANAU, .decoder = DECODER_CGRU, .dropout = 0.2f,
                             .deep_output = deep, .tie_target = deep, .tie_source = 1, .enc_depth = 1,
                             .dec_depth = 1, .heads = 1};
    check_model_cfg(&cfg, 0.1f, 2.0f, GUIDE_TARGET_DECODER, 0.0f);
    ModelConfig untied = cfg;
    untied.tie_source = 0;
    EXPECT(model_num_params(&untied) - model_num_params(&cfg) == 9 * 3);
}
static void test_model_gradients_tie_all(void) { check_model_tie_source(1); }
static void test_model_gradients_tie_source_direct(void) { check_model_tie_source(0); }
/* both: every layer of the stacks layer-normalized */
static void test_model_gradients_layer_norm_depth2(void) {
    check_model_full(ATTENTION_BAHDANAU, DECODER_CGRU, 0.2f, 0.3f, 0.1f, 1, 1, 2.0f, 1, 2, 2, 1);
}

/* The alignment layer (its tensors al_* against the loss with its terms,
 * the others against the translation loss: its gradient stops at its
 * inputs), on both decoders and scorers, with dropout, a deep tied output,
 * stacks, layer normalization and heads; guidance on the layer, on both
 * attentions, and none; keys from the source words, or with context (al_Uh). */
static void check_model_align(AttentionType type, DecoderType decoder, float guide_weight, GuideTarget target,
                              int deep, int depth, int layer_norm, int heads, int context) {
    const ModelConfig cfg = {.src_vocab = 9, .tgt_vocab = 8, .emb = 3, .hidden = 4, .att_dim = heads > 1 ? 4 : 5,
                             .attention = type, .decoder = decoder, .dropout = 0.2f, .rec_dropout = 0.1f,
                             .deep_output = deep, .tie_target = deep, .layer_norm = layer_norm, .enc_depth = depth,
                             .dec_depth = depth, .heads = heads, .alignment_layer = 1, .alignment_dim = 6,
                             .alignment_context = context};
    check_model_cfg(&cfg, 0.1f, guide_weight, target, 0.7f);
}
static void test_model_gradients_align_layer_gru(void) {
    check_model_align(ATTENTION_BAHDANAU, DECODER_GRU, 0.0f, GUIDE_TARGET_LAYER, 0, 1, 0, 1, 0);
}
static void test_model_gradients_align_layer_cgru_guided(void) {
    check_model_align(ATTENTION_BAHDANAU, DECODER_CGRU, 2.0f, GUIDE_TARGET_LAYER, 1, 1, 0, 1, 1);
}
static void test_model_gradients_align_layer_guided_both_dot(void) {
    check_model_align(ATTENTION_DOT, DECODER_CGRU, 2.0f, GUIDE_TARGET_BOTH, 0, 1, 0, 1, 0);
}
static void test_model_gradients_align_layer_deep_heads(void) {
    check_model_align(ATTENTION_BAHDANAU, DECODER_GRU, 2.0f, GUIDE_TARGET_LAYER, 1, 2, 1, 2, 1);
}

/* The stop-gradient, exactly: a model with the alignment layer (its losses
 * weighted, the guidance on the layer) gets, in every tensor it shares with
 * the same model without the layer (trained without guidance), the very
 * bits of that model's gradient and the same translation loss; its own
 * tensors get a gradient. With the guidance on both attentions the
 * decoder's share differs (so the comparison can fail). */
static void check_layer_leaves_translation_gradient(DecoderType decoder) {
    ModelConfig cfg = {.src_vocab = 9, .tgt_vocab = 8, .emb = 3, .hidden = 4, .att_dim = 5, .decoder = decoder,
                       .dropout = 0.2f, .rec_dropout = 0.1f, .enc_depth = 1, .dec_depth = 1};
    Net plain, layer;
    net_alloc(&plain, &cfg);
    cfg.alignment_layer = 1, cfg.alignment_dim = 6, cfg.alignment_context = 1; /* it reads the annotations too */
    net_alloc(&layer, &cfg);
    const size_t from = model_align_from(&cfg);
    EXPECT(from == plain.n && layer.n > plain.n);
    model_init_params(&plain.cfg, plain.params, 5);
    model_init_params(&layer.cfg, layer.params, 5);
    EXPECT_MSG(!memcmp(plain.params, layer.params, sizeof(float) * from), "the initialization's draws differ");
    Batch bt = {0};
    fill_test_batch(&bt);
    Arena arena = {0};
    Rng rng;
    rng_seed(&rng, 8, 0);
    const LossWeights none = {0.1f, 0.0f, 0.25f, 1.0f, GUIDE_TARGET_DECODER, 0};
    const LossSum a = seq2seq_train_step(&plain.p, &plain.g, &plain.cfg, &bt, &none, &rng, &arena, NULL);
    fill_test_guide(&bt);
    for (int k = 0; k < 2; k++) {
        memset(layer.grads, 0, sizeof(float) * layer.n);
        arena_reset(&arena);
        rng_seed(&rng, 8, 0);
        const LossWeights w = {0.1f, 2.0f, 0.25f, 3.0f, k ? GUIDE_TARGET_BOTH : GUIDE_TARGET_LAYER, 0};
        const LossSum b = seq2seq_train_step(&layer.p, &layer.g, &layer.cfg, &bt, &w, &rng, &arena, NULL);
        const int same = !memcmp(plain.grads, layer.grads, sizeof(float) * from);
        if (k == 0) {
            EXPECT_MSG(same, "the alignment layer changed the translation model's gradient");
            EXPECT(a.loss == b.loss && a.nll == b.nll && b.guide == 0.0);
            EXPECT(b.align_nll > 0.0 && b.align_guide > 0.0 && b.guided == 7);
        } else {
            EXPECT_MSG(!same, "guidance on both attentions left the decoder's gradient alone");
            EXPECT(b.guide > 0.0 && b.align_guide > 0.0);
        }
        double layer_sq = 0.0;
        for (size_t i = from; i < layer.n; i++) layer_sq += (double)layer.grads[i] * layer.grads[i];
        EXPECT(layer_sq > 0.0);
    }
    net_free(&plain), net_free(&layer);
    batch_free(&bt);
    arena_free(&arena);
}
static void test_layer_leaves_translation_gradient(void) {
    check_layer_leaves_translation_gradient(DECODER_GRU);
    check_layer_leaves_translation_gradient(DECODER_CGRU);
}

/* The multiply-add count (the benchmark's FLOPs) includes the stacked
 * layers: per source token 2 directions x (3H x 2H + 3H x H) per encoder
 * layer above the first, per target step 3H x 3H + 3H x H per decoder
 * layer above the step. */
static void test_forward_madds_count_depth(void) {
    ModelConfig c;
    model_config_default(&c);
    c.src_vocab = c.tgt_vocab = 100, c.emb = 8, c.hidden = 10, c.att_dim = 10;
    const double one = seq2seq_forward_madds(&c, 7, 5);
    c.enc_depth = 3, c.dec_depth = 4;
    const double deep = seq2seq_forward_madds(&c, 7, 5), H = 10;
    EXPECT_NEAR(deep - one, 7 * 2 * 2 * (6 * H * H + 3 * H * H) + 5 * 3 * (9 * H * H + 3 * H * H), 1e-9);
}
/* The alignment layer in the memory estimate of scoring (its forward
 * without the kept activations) and in the multiply-adds (as training runs
 * it: keys per source token; query, weighted sum and logits per target token). */
static void test_align_layer_floats_and_madds(void) {
    ModelConfig c;
    model_config_default(&c);
    c.src_vocab = 50, c.tgt_vocab = 60, c.emb = 8, c.hidden = 10, c.att_dim = 10;
    Net plain, layer;
    net_alloc(&plain, &c);
    const double one = seq2seq_forward_madds(&c, 7, 5);
    c.alignment_layer = 1, c.alignment_dim = 6;
    net_alloc(&layer, &c);
    const double with = seq2seq_forward_madds(&c, 7, 5);
    EXPECT(seq2seq_forward_floats(&layer.p, 3, 7, 5) ==
           seq2seq_forward_floats(&plain.p, 3, 7, 5) + align_layer_floats(&layer.p.al, 5, 7, 3, 0));
    const double A = 6, E = 8, Z = 18, V = 60;
    EXPECT_NEAR(with - one, 7 * A * E + 5 * (A * Z + 7 * E + E * V), 1e-9);
    net_free(&plain), net_free(&layer);
}

/* multi-head attention (att_Wv among the tensors), both scorers, both
 * decoders; guided alignment supervises the heads' mean */
static void test_model_gradients_heads_bahdanau(void) {
    check_model_full(ATTENTION_BAHDANAU, DECODER_GRU, 0.0f, 0.0f, 0.0f, 0, 0, 0.0f, 0, 1, 1, 2);
}
static void test_model_gradients_heads_dot(void) {
    check_model_full(ATTENTION_DOT, DECODER_GRU, 0.0f, 0.0f, 0.0f, 0, 0, 0.0f, 0, 1, 1, 4);
}
static void test_model_gradients_heads_guided_bahdanau(void) {
    check_model_full(ATTENTION_BAHDANAU, DECODER_GRU, 0.2f, 0.0f, 0.1f, 1, 0, 2.0f, 0, 1, 1, 4);
}
static void test_model_gradients_heads_cgru_guided_bahdanau(void) {
    check_model_full(ATTENTION_BAHDANAU, DECODER_CGRU, 0.0f, 0.3f, 0.0f, 0, 0, 2.0f, 0, 1, 1, 2);
}
static void test_model_gradients_heads_cgru_guided_dot(void) {
    check_model_full(ATTENTION_DOT, DECODER_CGRU, 0.0f, 0.0f, 0.0f, 1, 1, 2.0f, 0, 1, 1, 2);
}
/* everything at once: stacks of 2, layer normalization, 4 heads, the
 * conditional GRU, guidance, dropout and recurrent dropout */
static void test_model_gradients_deep_layer_norm_heads(void) {
    check_model_full(ATTENTION_BAHDANAU, DECODER_CGRU, 0.2f, 0.3f, 0.1f, 1, 1, 2.0f, 1, 2, 2, 4);
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
    const LossWeights w = {0.0f, 1.0f, 1.0f, 0.0f, GUIDE_TARGET_DECODER, 0};
    LossSum s = seq2seq_train_step(&c.net.p, &c.net.g, &c.net.cfg, &c.batch, &w, &rng, &c.arena, NULL);
    EXPECT(s.guided == 7);
    EXPECT(s.guide > 0.0);
    /* near-uniform attention at initialization: each row costs about log of its source length */
    EXPECT(s.guide > 0.5 * (4 * 1.386 + 3 * 0.693) && s.guide < 2.0 * (4 * 1.386 + 3 * 0.693));
    fill_test_batch(&c.batch); /* a refill leaves no guidance */
    EXPECT(c.batch.has_guide == 0);
    arena_reset(&c.arena);
    s = seq2seq_train_step(&c.net.p, &c.net.g, &c.net.cfg, &c.batch, &w, &rng, &c.arena, NULL);
    EXPECT(s.guided == 0 && s.guide == 0.0);
    net_free(&c.net);
    batch_free(&c.batch);
    arena_free(&c.arena);
}

/* ---- what the backward pass says is final (GradReady) ---- */
enum { MAX_TOLD = 16 };
typedef struct {
    const float *grads;
    size_t n, last;
    int told, polls;
    size_t from[MAX_TOLD];
    float *seen[MAX_TOLD]; /* the gradient buffer when from[i] was told */
} Told;

static void record_ready(void *vctx, size_t from) {
    Told *t = vctx;
    if (from == t->last) {
        t->polls++;
        return;
    }
    EXPECT_MSG(from < t->last, "from went up: %zu after %zu", from, t->last);
    t->last = from;
    if (t->told == MAX_TOLD) return;
    t->from[t->told] = from;
    t->seen[t->told] = falloc(t->n);
    memcpy(t->seen[t->told++], t->grads, sizeof(float) * t->n);
}

/* Every suffix [from, n) the backward pass calls final holds, when it says
 * so, the bits it holds at the end; the first is the output layer's (the
 * layout's last tensors), the last is everything; the recurrences poll in
 * between; and telling changes nothing of the gradient. */
static void check_ready(const ModelConfig *cfg, float guide_weight) {
    ModelCase c;
    memset(&c, 0, sizeof c);
    net_alloc(&c.net, cfg);
    const size_t n = c.net.n;
    model_init_params(&c.net.cfg, c.net.params, 5);
    fill_test_batch(&c.batch);
    if (guide_weight > 0.0f) fill_test_guide(&c.batch), c.guide = guide_weight;
    const LossWeights w = {0.1f, guide_weight, 0.25f, 1.0f, GUIDE_TARGET_LAYER, 0};
    Rng rng;
    rng_seed(&rng, 4, 0);
    seq2seq_train_step(&c.net.p, &c.net.g, &c.net.cfg, &c.batch, &w, &rng, &c.arena, NULL);
    float *plain = falloc(n);
    memcpy(plain, c.net.grads, sizeof(float) * n);

    Told t = {.grads = c.net.grads, .n = n, .last = n};
    const GradReady ready = {record_ready, &t};
    memset(c.net.grads, 0, sizeof(float) * n);
    arena_reset(&c.arena);
    rng_seed(&rng, 4, 0);
    seq2seq_train_step(&c.net.p, &c.net.g, &c.net.cfg, &c.batch, &w, &rng, &c.arena, &ready);
    EXPECT_MSG(!memcmp(plain, c.net.grads, sizeof(float) * n), "the gradient differs with a GradReady");
    /* the output layer's first tensor, from the table of tensors */
    ParamInfo table[128];
    const int count = model_param_table(&c.net.cfg, table, 128);
    size_t out_from = n;
    for (int k = count - 1; k >= 0; k--)
        if (!strcmp(table[k].name, "deep_W") || !strcmp(table[k].name, "out_W") || !strcmp(table[k].name, "out_b"))
            out_from = table[k].offset;
    EXPECT(t.told >= 5 && t.told < MAX_TOLD);
    EXPECT_MSG(t.from[0] == out_from && out_from < n, "first told %zu, the output layer starts at %zu", t.from[0],
               out_from);
    EXPECT_MSG(t.from[t.told - 1] == 0, "the last told is %zu, not everything", t.from[t.told - 1]);
    EXPECT_MSG(t.polls >= c.batch.Tt + 2 * c.batch.Ts, "%d polls", t.polls);
    for (int i = 0; i < t.told; i++) {
        size_t off = t.from[i];
        while (off < n && t.seen[i][off] == c.net.grads[off]) off++;
        int k = 0;
        while (k + 1 < count && table[k + 1].offset <= off) k++;
        EXPECT_MSG(off == n, "told [%zu, %zu) final, but %s changed after (element %zu)", t.from[i], n,
                   off < n ? table[k].name : "", off);
        free(t.seen[i]);
    }
    free(plain);
    net_free(&c.net);
    batch_free(&c.batch);
    arena_free(&c.arena);
}

static void test_backward_tells_final_gradients(void) {
    const ModelConfig base = {.src_vocab = 9, .tgt_vocab = 8, .emb = 3, .hidden = 4, .att_dim = 5};
    ModelConfig c = base;
    check_ready(&c, 0.0f);
    c = base, c.attention = ATTENTION_DOT, c.decoder = DECODER_CGRU, c.deep_output = 1, c.tie_target = 1;
    check_ready(&c, 2.0f);
    c = base, c.deep_output = 1, c.dropout = 0.2f, c.rec_dropout = 0.3f;
    check_ready(&c, 0.0f);
    /* stacks (the encoder's upper layers are final one by one), layer normalization, 4 heads */
    c = base, c.decoder = DECODER_CGRU, c.layer_norm = 1, c.enc_depth = 3, c.dec_depth = 2, c.heads = 4, c.att_dim = 4;
    c.deep_output = 1, c.tie_target = 1, c.dropout = 0.2f;
    check_ready(&c, 2.0f);
    /* the alignment layer, last in the buffer: its backward runs first, so it is final with the output layer */
    c = base, c.decoder = DECODER_CGRU, c.deep_output = 1, c.tie_target = 1, c.alignment_layer = 1, c.alignment_dim = 6;
    check_ready(&c, 2.0f);
    c = base, c.alignment_layer = 1, c.alignment_dim = 3, c.enc_depth = 2;
    check_ready(&c, 0.0f);
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
    RUN(test_model_gradients_layer_norm_gru);
    RUN(test_model_gradients_layer_norm_cgru);
    RUN(test_model_gradients_enc_depth3);
    RUN(test_model_gradients_dec_depth3_cgru);
    RUN(test_model_gradients_depth2_dot);
    RUN(test_model_gradients_depth2_cgru_dropout);
    RUN(test_model_gradients_word_dropout);
    RUN(test_model_gradients_tie_all);
    RUN(test_model_gradients_tie_source_direct);
    RUN(test_forward_madds_count_depth);
    RUN(test_model_gradients_layer_norm_depth2);
    RUN(test_model_gradients_heads_bahdanau);
    RUN(test_model_gradients_heads_dot);
    RUN(test_model_gradients_heads_guided_bahdanau);
    RUN(test_model_gradients_heads_cgru_guided_bahdanau);
    RUN(test_model_gradients_heads_cgru_guided_dot);
    RUN(test_model_gradients_deep_layer_norm_heads);
    RUN(test_model_gradients_align_layer_gru);
    RUN(test_model_gradients_align_layer_cgru_guided);
    RUN(test_model_gradients_align_layer_guided_both_dot);
    RUN(test_model_gradients_align_layer_deep_heads);
    RUN(test_layer_leaves_translation_gradient);
    RUN(test_align_layer_floats_and_madds);
    RUN(test_guide_loss_counts_rows);
    RUN(test_backward_tells_final_gradients);
    TEST_EXIT();
}
