/* model.c — parameter layout and initialization (see model.h). */
#include "model/model.h"

#include <math.h>
#include <stdio.h>

#include "core/rng.h"

/* The one place that decides the order of tensors in the buffer. Calls
 * visit(name, rows, cols, view) for each tensor; view may be NULL. */
typedef enum { KIND_MATRIX, KIND_BIAS, KIND_EMBEDDING, KIND_VECTOR } ParamKind;
typedef void (*Visitor)(void *ctx, const char *name, ParamKind kind, int rows, int cols, float **view);

static void visit_gru(Visitor visit, void *ctx, const char *prefix, GruWeights *g, int in, int H) {
    char name[64];
    g->in = in;
    g->H = H;
    snprintf(name, sizeof name, "%s.Wx", prefix), visit(ctx, name, KIND_MATRIX, 3 * H, in, &g->Wx);
    snprintf(name, sizeof name, "%s.Wh", prefix), visit(ctx, name, KIND_MATRIX, 3 * H, H, &g->Wh);
    snprintf(name, sizeof name, "%s.bx", prefix), visit(ctx, name, KIND_BIAS, 1, 3 * H, &g->bx);
    snprintf(name, sizeof name, "%s.bh", prefix), visit(ctx, name, KIND_BIAS, 1, 3 * H, &g->bh);
}

static void visit_all(const ModelConfig *c, ModelParams *p, Visitor visit, void *ctx) {
    int E = c->emb, H = c->hidden;
    visit(ctx, "src_emb", KIND_EMBEDDING, c->src_vocab, E, &p->src_emb);
    visit(ctx, "tgt_emb", KIND_EMBEDDING, c->tgt_vocab, E, &p->tgt_emb);
    visit_gru(visit, ctx, "enc_fwd", &p->enc_fwd, E, H);
    visit_gru(visit, ctx, "enc_bwd", &p->enc_bwd, E, H);
    visit(ctx, "init_W", KIND_MATRIX, H, 2 * H, &p->init_W);
    visit(ctx, "init_b", KIND_BIAS, 1, H, &p->init_b);
    p->att.type = c->attention;
    p->att.H = H;
    p->att.b = p->att.W = p->att.v = NULL;
    if (c->attention == ATTENTION_BAHDANAU) {
        int A = c->att_dim;
        p->att.A = A;
        visit(ctx, "att_U", KIND_MATRIX, A, 2 * H, &p->att.U);
        visit(ctx, "att_b", KIND_BIAS, 1, A, &p->att.b);
        visit(ctx, "att_W", KIND_MATRIX, A, H, &p->att.W);
        visit(ctx, "att_v", KIND_VECTOR, 1, A, &p->att.v);
    } else {
        p->att.A = H;
        visit(ctx, "att_U", KIND_MATRIX, H, 2 * H, &p->att.U);
    }
    visit_gru(visit, ctx, "dec", &p->dec, E + 2 * H, H);
    p->deep_W = p->deep_b = NULL;
    if (c->deep_output) {
        visit(ctx, "deep_W", KIND_MATRIX, E, model_out_in(c), &p->deep_W);
        visit(ctx, "deep_b", KIND_BIAS, 1, E, &p->deep_b);
    }
    if (c->deep_output && c->tie_target) p->out_W = p->tgt_emb; /* same memory, so gradients add up */
    else visit(ctx, "out_W", KIND_MATRIX, c->tgt_vocab, model_logit_in(c), &p->out_W);
    visit(ctx, "out_b", KIND_BIAS, 1, c->tgt_vocab, &p->out_b);
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

int model_logit_in(const ModelConfig *cfg) { return cfg->deep_output ? cfg->emb : model_out_in(cfg); }

size_t model_bind(const ModelConfig *cfg, float *base, ModelParams *p) {
    BindCtx ctx = {.base = base};
    visit_all(cfg, p, bind_visit, &ctx);
    return ctx.offset;
}

size_t model_num_params(const ModelConfig *cfg) {
    ModelParams p;
    return model_bind(cfg, NULL, &p);
}

int model_param_table(const ModelConfig *cfg, ParamInfo *out, int max) {
    ModelParams p;
    BindCtx ctx = {.table = out, .max = max};
    visit_all(cfg, &p, bind_visit, &ctx);
    return ctx.count;
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

int model_config_check(const ModelConfig *c, char *err, size_t errsz) {
    if (c->src_vocab <= 4 || c->tgt_vocab <= 4) {
        snprintf(err, errsz, "vocabulary sizes must exceed the 4 specials (src %d, tgt %d)", c->src_vocab, c->tgt_vocab);
        return -1;
    }
    if (c->emb < 1 || c->hidden < 1 || c->emb > 65536 || c->hidden > 65536) {
        snprintf(err, errsz, "embedding and hidden sizes must be 1..65536 (emb %d, hidden %d)", c->emb, c->hidden);
        return -1;
    }
    if (c->attention != ATTENTION_BAHDANAU && c->attention != ATTENTION_DOT) {
        snprintf(err, errsz, "unknown attention type %d", (int)c->attention);
        return -1;
    }
    if (c->attention == ATTENTION_BAHDANAU && (c->att_dim < 1 || c->att_dim > 65536)) {
        snprintf(err, errsz, "attention size must be 1..65536 (got %d)", c->att_dim);
        return -1;
    }
    if (c->tie_target && !c->deep_output) {
        snprintf(err, errsz, "tied target embeddings need the deep output layer");
        return -1;
    }
    if (!(c->dropout >= 0.0f && c->dropout < 1.0f)) {
        snprintf(err, errsz, "dropout must be in [0, 1) (got %g)", (double)c->dropout);
        return -1;
    }
    if (!(c->rec_dropout >= 0.0f && c->rec_dropout < 1.0f)) {
        snprintf(err, errsz, "recurrent dropout must be in [0, 1) (got %g)", (double)c->rec_dropout);
        return -1;
    }
    return 0;
}
