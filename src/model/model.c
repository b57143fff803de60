/* model.c — parameter layout and initialization (see model.h). */
#include "model/model.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "nn/rng.h"

/* The one place that decides the order of tensors in the buffer (and so in
 * model files, and the order initialization draws in). Calls
 * visit(name, kind, rows, cols, view) for each tensor; view may be NULL. */
typedef enum { KIND_MATRIX, KIND_BIAS, KIND_EMBEDDING, KIND_VECTOR, KIND_GAIN } ParamKind;
typedef void (*Visitor)(void *ctx, const char *name, ParamKind kind, int rows, int cols, float **view);

static void visit_gru(Visitor visit, void *ctx, const ModelConfig *c, const char *prefix, GruWeights *g, int in,
                      int H) {
    char name[64];
    g->in = in;
    g->H = H;
    snprintf(name, sizeof name, "%s.Wx", prefix), visit(ctx, name, KIND_MATRIX, 3 * H, in, &g->Wx);
    snprintf(name, sizeof name, "%s.Wh", prefix), visit(ctx, name, KIND_MATRIX, 3 * H, H, &g->Wh);
    snprintf(name, sizeof name, "%s.bx", prefix), visit(ctx, name, KIND_BIAS, 1, 3 * H, &g->bx);
    snprintf(name, sizeof name, "%s.bh", prefix), visit(ctx, name, KIND_BIAS, 1, 3 * H, &g->bh);
    g->ln_gx = g->ln_bx = g->ln_gh = g->ln_bh = NULL;
    if (c->layer_norm) {
        snprintf(name, sizeof name, "%s.ln_gx", prefix), visit(ctx, name, KIND_GAIN, 1, 3 * H, &g->ln_gx);
        snprintf(name, sizeof name, "%s.ln_bx", prefix), visit(ctx, name, KIND_BIAS, 1, 3 * H, &g->ln_bx);
        snprintf(name, sizeof name, "%s.ln_gh", prefix), visit(ctx, name, KIND_GAIN, 1, 3 * H, &g->ln_gh);
        snprintf(name, sizeof name, "%s.ln_bh", prefix), visit(ctx, name, KIND_BIAS, 1, 3 * H, &g->ln_bh);
    }
}

static void visit_attention(Visitor visit, void *ctx, const ModelConfig *c, AttentionWeights *a) {
    const int H = c->hidden;
    a->type = c->attention;
    a->H = H;
    a->b = a->W = a->v = a->Wv = NULL;
    a->heads = c->heads > 1 ? c->heads : 1;
    if (c->attention == ATTENTION_BAHDANAU) {
        const int A = c->att_dim;
        a->A = A;
        visit(ctx, "att_U", KIND_MATRIX, A, 2 * H, &a->U);
        visit(ctx, "att_b", KIND_BIAS, 1, A, &a->b);
        visit(ctx, "att_W", KIND_MATRIX, A, H, &a->W);
        visit(ctx, "att_v", KIND_VECTOR, 1, A, &a->v);
    } else {
        a->A = H;
        visit(ctx, "att_U", KIND_MATRIX, H, 2 * H, &a->U);
    }
    /* the heads' values; one head reads the annotations themselves */
    if (a->heads > 1) visit(ctx, "att_Wv", KIND_MATRIX, 2 * H, 2 * H, &a->Wv);
}

static void visit_output(Visitor visit, void *ctx, const ModelConfig *c, DecoderWeights *d) {
    OutputWeights *o = &d->out;
    o->in = model_out_in(c);
    o->logit_in = c->deep_output ? c->emb : o->in;
    o->V = c->tgt_vocab;
    o->deep_W = o->deep_b = NULL;
    if (c->deep_output) {
        visit(ctx, "deep_W", KIND_MATRIX, c->emb, o->in, &o->deep_W);
        visit(ctx, "deep_b", KIND_BIAS, 1, c->emb, &o->deep_b);
    }
    if (c->deep_output && c->tie_target) o->W = d->tgt_emb; /* same memory, so gradients add up */
    else visit(ctx, "out_W", KIND_MATRIX, c->tgt_vocab, o->logit_in, &o->W);
    visit(ctx, "out_b", KIND_BIAS, 1, c->tgt_vocab, &o->b);
}

/* The alignment layer (--alignment-layer), after every other tensor: a model
 * without it keeps its layout and its initialization's draws, and its
 * backward, which runs first, finishes the end of the buffer. */
static void visit_align(Visitor visit, void *ctx, const ModelConfig *c, AlignLayerWeights *al) {
    *al = (AlignLayerWeights){0};
    if (!c->alignment_layer) return;
    const int A = c->alignment_dim, E = c->emb, Z = c->hidden + c->emb, V = c->tgt_vocab;
    al->A = A, al->Z = Z, al->E = E, al->V = V;
    visit(ctx, "al_Wq", KIND_MATRIX, A, Z, &al->Wq);
    visit(ctx, "al_bq", KIND_BIAS, 1, A, &al->bq);
    visit(ctx, "al_Uk", KIND_MATRIX, A, E, &al->Uk);
    if (c->alignment_context) al->C = 2 * c->hidden, visit(ctx, "al_Uh", KIND_MATRIX, A, 2 * c->hidden, &al->Uh);
    visit(ctx, "al_v", KIND_VECTOR, 1, A, &al->v);
    visit(ctx, "al_Wo", KIND_MATRIX, V, E, &al->Wo);
    visit(ctx, "al_bo", KIND_BIAS, 1, V, &al->bo);
}

static void visit_all(const ModelConfig *c, ModelParams *p, Visitor visit, void *ctx) {
    const int E = c->emb, H = c->hidden;
    EncoderWeights *enc = &p->enc;
    DecoderWeights *dec = &p->dec;
    enc->E = dec->E = E;
    enc->H = dec->H = H;
    dec->V = c->tgt_vocab;
    if (!c->tie_source) visit(ctx, "src_emb", KIND_EMBEDDING, c->src_vocab, E, &enc->src_emb);
    visit(ctx, "tgt_emb", KIND_EMBEDDING, c->tgt_vocab, E, &dec->tgt_emb);
    if (c->tie_source) enc->src_emb = dec->tgt_emb; /* same memory, so gradients add up */
    visit_gru(visit, ctx, c, "enc_fwd", &enc->fwd, E, H);
    visit_gru(visit, ctx, c, "enc_bwd", &enc->bwd, E, H);
    enc->depth = c->enc_depth;
    for (int l = 2; l <= c->enc_depth; l++) { /* layer l reads the 2H-wide annotations of layer l - 1 */
        char name[32];
        snprintf(name, sizeof name, "enc_fwd%d", l), visit_gru(visit, ctx, c, name, &enc->up_fwd[l - 2], 2 * H, H);
        snprintf(name, sizeof name, "enc_bwd%d", l), visit_gru(visit, ctx, c, name, &enc->up_bwd[l - 2], 2 * H, H);
    }
    dec->init.H = H;
    visit(ctx, "init_W", KIND_MATRIX, H, 2 * H, &dec->init.W);
    visit(ctx, "init_b", KIND_BIAS, 1, H, &dec->init.b);
    visit_attention(visit, ctx, c, &dec->att);
    dec->type = c->decoder;
    dec->gru2 = (GruWeights){0};
    if (c->decoder == DECODER_CGRU) {
        visit_gru(visit, ctx, c, "dec", &dec->gru, E, H);
        visit_gru(visit, ctx, c, "dec2", &dec->gru2, 2 * H, H);
    } else {
        visit_gru(visit, ctx, c, "dec", &dec->gru, E + 2 * H, H);
    }
    dec->depth = c->dec_depth;
    for (int l = 2; l <= c->dec_depth; l++) { /* layer l reads [u^{l-1}_t ; c_t], 3H wide */
        char name[32];
        snprintf(name, sizeof name, "dec_l%d", l), visit_gru(visit, ctx, c, name, &dec->up[l - 2], 3 * H, H);
    }
    visit_output(visit, ctx, c, dec);
    visit_align(visit, ctx, c, &p->al);
}

typedef struct {
    float *base;
    size_t offset;
    ParamInfo *table;
    int count, max;
} BindCtx;

static void bind_visit(void *vctx, const char *name, ParamKind kind, int rows, int cols, float **view) {
    BindCtx *ctx = vctx;
    (void)kind;
    size_t size = (size_t)rows * cols;
    if (view) *view = ctx->base ? ctx->base + ctx->offset : NULL;
    if (ctx->table && ctx->count < ctx->max) {
        ParamInfo *info = &ctx->table[ctx->count];
        snprintf(info->name, sizeof info->name, "%s", name);
        info->offset = ctx->offset;
        info->size = size;
        info->rows = rows;
        info->cols = cols;
    }
    ctx->count++;
    ctx->offset += size;
}

int model_out_in(const ModelConfig *cfg) { return 3 * cfg->hidden + cfg->emb; }

size_t model_bind(const ModelConfig *cfg, float *base, ModelParams *p) {
    BindCtx ctx = {.base = base};
    visit_all(cfg, p, bind_visit, &ctx);
    return ctx.offset;
}

size_t model_num_params(const ModelConfig *cfg) {
    ModelParams p;
    return model_bind(cfg, NULL, &p);
}

size_t model_align_from(const ModelConfig *cfg) {
    ModelConfig without = *cfg; /* the layer's tensors are the last */
    without.alignment_layer = 0, without.alignment_dim = 0, without.alignment_context = 0;
    return model_num_params(&without);
}

int model_param_table(const ModelConfig *cfg, ParamInfo *out, int max) {
    ModelParams p;
    BindCtx ctx = {.table = out, .max = max};
    visit_all(cfg, &p, bind_visit, &ctx);
    return ctx.count;
}

/* model_final_from: the offset of the first tensor named want (or, for
 * the output layer, of its first tensor, which depends on the config). */
typedef struct {
    const char *want;
    size_t offset, found;
    int output, done;
} FinalCtx;

static void final_visit(void *vctx, const char *name, ParamKind kind, int rows, int cols, float **view) {
    FinalCtx *ctx = vctx;
    (void)kind, (void)view;
    const int hit = ctx->output ? !strcmp(name, "deep_W") || !strcmp(name, "out_W") || !strcmp(name, "out_b")
                                : !strcmp(name, ctx->want);
    if (hit && !ctx->done) ctx->found = ctx->offset, ctx->done = 1;
    ctx->offset += (size_t)rows * cols;
}

size_t model_final_from(const ModelConfig *cfg, ModelFinal part, int layer) {
    char name[32] = "";
    FinalCtx ctx = {.want = name, .output = part == MODEL_FINAL_OUTPUT};
    switch (part) {
    case MODEL_FINAL_OUTPUT: break;
    case MODEL_FINAL_DECODER: snprintf(name, sizeof name, "dec.Wx"); break;
    case MODEL_FINAL_ATTENTION: snprintf(name, sizeof name, "att_U"); break;
    case MODEL_FINAL_INIT: snprintf(name, sizeof name, "init_W"); break;
    case MODEL_FINAL_ENCODER:
        if (layer <= 1) return 0; /* the first layer and the embeddings come last: everything */
        snprintf(name, sizeof name, "enc_fwd%d.Wx", layer);
        break;
    }
    ModelParams p;
    visit_all(cfg, &p, final_visit, &ctx);
    return ctx.done ? ctx.found : ctx.offset; /* nothing of the kind: nothing final yet */
}

typedef struct {
    float *base;
    size_t offset;
    Rng rng;
} InitCtx;

static void init_visit(void *vctx, const char *name, ParamKind kind, int rows, int cols, float **view) {
    InitCtx *ctx = vctx;
    (void)name, (void)view;
    float *w = ctx->base + ctx->offset;
    size_t size = (size_t)rows * cols;
    ctx->offset += size;
    float limit;
    switch (kind) {
    case KIND_BIAS:
        for (size_t i = 0; i < size; i++) w[i] = 0.0f;
        return;
    case KIND_GAIN: /* the normalized value passes unscaled at first */
        for (size_t i = 0; i < size; i++) w[i] = 1.0f;
        return;
    case KIND_EMBEDDING: limit = 0.1f; break;
    case KIND_VECTOR: limit = sqrtf(6.0f / (float)(cols + 1)); break;
    default: limit = sqrtf(6.0f / (float)(rows + cols)); break;
    }
    for (size_t i = 0; i < size; i++) w[i] = limit * (2.0f * rng_uniform(&ctx->rng) - 1.0f);
}

void model_init_params(const ModelConfig *cfg, float *params, uint64_t seed) {
    ModelParams p;
    InitCtx ctx = {.base = params};
    rng_seed(&ctx.rng, seed, 0x1417);
    visit_all(cfg, &p, init_visit, &ctx);
}
