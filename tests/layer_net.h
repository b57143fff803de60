/* layer_net.h — shared by the finite-difference tests of the layers
 * (test_attention.c, test_decoder.c, test_dropout.c, test_encoder.c,
 * test_model.c): a tiny model's parameters with a gradient buffer of the
 * same layout (Net), the sizes its test inputs take, and the checks of a
 * backward pass against central differences, of named parameter tensors
 * (check_tensors) or of one input array (check_input). */
#ifndef NMT_LAYER_NET_H
#define NMT_LAYER_NET_H

#include <string.h>

#include "nn/rng.h"
#include "sys/util.h"
#include "gradcheck.h"
#include "model/model.h"
#include "test.h"

/* A tiny model's parameters and a gradient buffer of the same layout. */
typedef struct {
    ModelConfig cfg;
    ModelParams p, g;
    float *params, *grads;
    size_t n;
} Net;

/* The inputs' sizes for the net of net_init: batch rows, hidden and
 * embedding sizes (as its config), source length. */
enum { B = 3, H = 4, E = 3, TS = 4 };

/* Parameters and gradients for cfg, bound, all zero. */
static inline void net_alloc(Net *net, const ModelConfig *cfg) {
    memset(net, 0, sizeof *net);
    net->cfg = *cfg;
    /* a config written out field by field leaves the depths 0: one layer each */
    if (net->cfg.enc_depth < 1) net->cfg.enc_depth = 1;
    if (net->cfg.dec_depth < 1) net->cfg.dec_depth = 1;
    net->n = model_num_params(&net->cfg);
    net->params = falloc(net->n);
    net->grads = falloc(net->n);
    model_bind(&net->cfg, net->params, &net->p);
    model_bind(&net->cfg, net->grads, &net->g);
}

/* Any shape of model: layer normalization (--layer-norm) and depths
 * (--enc-depth, --dec-depth). */
static inline void net_init_full(Net *net, AttentionType type, DecoderType decoder, int deep, int tied, int layer_norm,
                                 int enc_depth, int dec_depth, unsigned seed) {
    net_alloc(net, &(ModelConfig){.src_vocab = 9, .tgt_vocab = 8, .emb = 3, .hidden = 4, .att_dim = 5,
                                  .attention = type, .decoder = decoder, .deep_output = deep, .tie_target = tied,
                                  .layer_norm = layer_norm, .enc_depth = enc_depth, .dec_depth = dec_depth});
    Rng rng;
    rng_seed(&rng, seed, 1);
    fill_uniform(net->params, net->n, 0.8f, &rng); /* biases too: every term must matter */
}

static inline void net_init_decoder(Net *net, AttentionType type, DecoderType decoder, int deep, int tied,
                                    unsigned seed) {
    net_init_full(net, type, decoder, deep, tied, 0, 1, 1, seed);
}

static inline void net_init_decoder_ln(Net *net, AttentionType type, DecoderType decoder, int deep, int tied,
                                       int layer_norm, unsigned seed) {
    net_init_full(net, type, decoder, deep, tied, layer_norm, 1, 1, seed);
}

static inline void net_init_depth(Net *net, AttentionType type, DecoderType decoder, int deep, int tied, int enc_depth,
                                  int dec_depth, unsigned seed) {
    net_init_full(net, type, decoder, deep, tied, 0, enc_depth, dec_depth, seed);
}

static inline void net_init(Net *net, AttentionType type, int deep, int tied, unsigned seed) {
    net_init_decoder(net, type, DECODER_GRU, deep, tied, seed);
}

static inline void net_free(Net *net) { free(net->params), free(net->grads); }

/* The tolerances of check_tensors and check_input (the decoder's loss, a sum of many float terms, needs more). */
static double g_atol = 1e-4, g_rtol = 1e-2;
/* Their finite-difference step (a deep stack's float rounding needs a wider one). */
static double g_h = 1e-3;

/* Check every tensor of the net whose name starts with one of prefixes. */
static inline void check_tensors(Net *net, const char *const *prefixes, LossFn loss, void *ctx,
                                 const float *analytic) {
    ParamInfo table[128]; /* cgru, 3 layers each, layer normalization: 92 */
    int count = model_param_table(&net->cfg, table, 128), checked = 0;
    EXPECT(count <= 128);
    for (int k = 0; k < count; k++) {
        int want = 0;
        for (const char *const *p = prefixes; *p && !want; p++) want = !strncmp(table[k].name, *p, strlen(*p));
        if (!want) continue;
        GradReport r = gradcheck(table[k].name, net->params + table[k].offset, analytic + table[k].offset,
                                 table[k].size, loss, ctx, g_h, g_atol, g_rtol, 300);
        EXPECT_MSG(r.failed == 0, "%s: %d of %d entries off", table[k].name, r.failed, r.checked);
        EXPECT_MSG(r.significant > 0, "%s: no entry with a gradient above 1e-3", table[k].name);
        EXPECT_MSG(gradcheck_catches(net->params + table[k].offset, analytic + table[k].offset, table[k].size, loss,
                                     ctx, g_h, g_atol, g_rtol),
                   "%s: a wrong gradient went unnoticed", table[k].name);
        checked++;
    }
    EXPECT(checked > 0);
}

static inline void check_input(const char *name, float *x, const float *dx, size_t n, LossFn loss, void *ctx) {
    GradReport r = gradcheck(name, x, dx, n, loss, ctx, g_h, g_atol, g_rtol, 300);
    EXPECT_MSG(r.failed == 0, "%s: %d of %d entries off", name, r.failed, r.checked);
    EXPECT_MSG(r.significant > 0, "%s: no entry with a gradient above 1e-3", name);
    EXPECT_MSG(gradcheck_catches(x, dx, n, loss, ctx, g_h, g_atol, g_rtol), "%s: a wrong gradient went unnoticed", name);
}

#endif
