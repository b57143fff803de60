/* Tests of the alignment layer (src/attention/align_layer.c): its
 * hand-written backward against central finite differences for every one
 * of its tensors, with and without guidance, on a padded batch (and the
 * check that a wrong gradient would be caught); the weights of a real row
 * sum to 1 over its real source positions and are 0 elsewhere; padding
 * rows and padded source positions change nothing; the scoring pass
 * (no kept activations) gives the training pass's weights. With context
 * keys (al_Uh over the encoder's annotations) the same checks, and two
 * occurrences of one word, which the source words alone cannot tell
 * apart, get different weights. */
#include <string.h>

#include "attention/align_layer.h"
#include "gradcheck.h"
#include "nn/rng.h"
#include "sys/util.h"
#include "test.h"

enum { TT = 4, TSRC = 3, BR = 3, HH = 4, EE = 3, VT = 7, VS = 6, AA = 5, ZZ = HH + EE, CC = 2 * HH };

/* The layer's tensors in one buffer, as the model lays them out. */
typedef struct {
    float *buf, *grad;
    size_t n;
    AlignLayerWeights w, g;
    AlignLayerInput in;
    float state[TT * BR * HH], tgt_emb[VT * EE], src_emb[VS * EE], tgt_mask[TT * BR], src_mask[TSRC * BR];
    int tgt_out[TT * BR], src[TSRC * BR];
    float guide[TT * BR * TSRC];
    float ann[TSRC * BR * CC]; /* the encoder's annotations, read with context keys */
    int guided;
    float guide_weight;
    Arena arena;
} LayerCase;

static size_t bind(AlignLayerWeights *w, float *base, int context) {
    size_t at = 0;
    *w = (AlignLayerWeights){.A = AA, .Z = ZZ, .E = EE, .V = VT, .C = context ? CC : 0};
#define TAKE(field, count) (w->field = base ? base + at : NULL, at += (count))
    TAKE(Wq, AA * ZZ), TAKE(bq, AA), TAKE(Uk, AA * EE);
    if (context) TAKE(Uh, AA * CC);
    TAKE(v, AA), TAKE(Wo, VT * EE), TAKE(bo, VT);
#undef TAKE
    return at;
}

/* Rows of 3, 1 and 2 source tokens and 4, 2 and 3 target tokens (</s>
 * included); the padded source positions hold the <pad> id 0. */
static void layer_case(LayerCase *c, float guide_weight, int context) {
    memset(c, 0, sizeof *c);
    c->n = bind(&c->w, NULL, context);
    c->buf = falloc(c->n), c->grad = falloc(c->n);
    bind(&c->w, c->buf, context), bind(&c->g, c->grad, context);
    Rng rng;
    rng_seed(&rng, 7, 1);
    fill_uniform(c->buf, c->n, 0.8f, &rng);
    fill_uniform(c->state, TT * BR * HH, 1.0f, &rng);
    fill_uniform(c->tgt_emb, VT * EE, 1.0f, &rng);
    fill_uniform(c->src_emb, VS * EE, 1.0f, &rng);
    fill_uniform(c->ann, TSRC * BR * CC, 1.0f, &rng);
    const int slen[BR] = {3, 1, 2}, tlen[BR] = {4, 2, 3};
    for (int b = 0; b < BR; b++) {
        for (int j = 0; j < TSRC; j++) {
            c->src_mask[j * BR + b] = j < slen[b];
            c->src[j * BR + b] = j < slen[b] ? 1 + (j + 2 * b) % (VS - 1) : 0;
        }
        for (int t = 0; t < TT; t++) {
            c->tgt_mask[t * BR + b] = t < tlen[b];
            c->tgt_out[t * BR + b] = t < tlen[b] ? (t == tlen[b] - 1 ? 3 : 4 + (t + b) % (VT - 4)) : 0;
        }
    }
    /* gold rows: one link, a row split over two, a row over a single source token */
#define G(t, b, j) c->guide[((t) * BR + (b)) * TSRC + (j)]
    G(0, 0, 2) = 1.0f;
    G(1, 0, 0) = 0.5f, G(1, 0, 1) = 0.5f;
    G(0, 1, 0) = 1.0f;
    G(1, 2, 1) = 1.0f;
#undef G
    c->guide_weight = guide_weight;
    c->in = (AlignLayerInput){TT, TSRC, BR, HH, c->state, c->tgt_emb, c->tgt_out, c->tgt_mask,
                              c->src_emb, c->src, c->src_mask, c->ann};
}

static void layer_case_free(LayerCase *c) {
    free(c->buf), free(c->grad);
    arena_free(&c->arena);
}

/* loss (a) + guide_weight * loss (b), scaled by 1/4; the gradient into c->grad */
static double layer_loss(void *vctx) {
    LayerCase *c = vctx;
    const float scale = 0.25f;
    memset(c->grad, 0, sizeof(float) * c->n);
    arena_reset(&c->arena);
    AlignLayerActs act;
    align_layer_forward(&c->w, &c->in, 1, &c->arena, &act);
    double loss = align_layer_loss(&act, &c->w, &c->in, scale);
    if (c->guide_weight > 0.0f)
        loss += c->guide_weight * align_layer_guide_loss(&act, c->guide, c->guide_weight * scale, &c->guided);
    align_layer_backward(&c->w, &c->g, &c->in, &act, &c->arena);
    return loss * scale;
}

static void check_gradients(float guide_weight, int context) {
    LayerCase c;
    layer_case(&c, guide_weight, context);
    layer_loss(&c);
    float *analytic = falloc(c.n);
    memcpy(analytic, c.grad, sizeof(float) * c.n);
    const struct {
        const char *name;
        float *at;
        size_t n;
    } tensors[] = {{"al_Wq", c.w.Wq, AA * ZZ}, {"al_bq", c.w.bq, AA}, {"al_Uk", c.w.Uk, AA * EE},
                   {"al_v", c.w.v, AA},        {"al_Wo", c.w.Wo, VT * EE}, {"al_bo", c.w.bo, VT},
                   {"al_Uh", c.w.Uh, AA * CC}};
    for (size_t k = 0; k < sizeof tensors / sizeof tensors[0]; k++) {
        if (!tensors[k].at) continue; /* al_Uh without context keys */
        const float *ana = analytic + (tensors[k].at - c.buf);
        GradReport r = gradcheck(tensors[k].name, tensors[k].at, ana, tensors[k].n, layer_loss, &c, 1e-3, 2e-4, 2e-2,
                                 400);
        EXPECT_MSG(r.failed == 0, "%s: %d of %d entries off", tensors[k].name, r.failed, r.checked);
        EXPECT_MSG(r.significant > 0, "%s: no entry with |gradient| > 1e-3", tensors[k].name);
        EXPECT_MSG(gradcheck_catches(tensors[k].at, ana, tensors[k].n, layer_loss, &c, 1e-3, 2e-4, 2e-2),
                   "%s: a wrong gradient went unnoticed", tensors[k].name);
    }
    if (guide_weight > 0.0f) EXPECT(c.guided == 4);
    free(analytic);
    layer_case_free(&c);
}

static void test_gradients(void) { check_gradients(0.0f, 0); }
/* guidance weighted heavily, so that it dominates the scores' gradient */
static void test_gradients_guided(void) { check_gradients(2.0f, 0); }
static void test_gradients_context(void) { check_gradients(0.0f, 1); }
static void test_gradients_context_guided(void) { check_gradients(2.0f, 1); }

/* Row 0 of sentence 0 over a source of one word twice: the same weight on
 * both from the words alone, different weights once the keys read the
 * annotations (which differ by position). */
static void test_context_tells_occurrences_apart(void) {
    for (int context = 0; context <= 1; context++) {
        LayerCase c;
        layer_case(&c, 0.0f, context);
        c.src[0 * BR + 0] = c.src[1 * BR + 0] = 2;
        AlignLayerActs act;
        align_layer_forward(&c.w, &c.in, 0, &c.arena, &act);
        const float *a = act.alpha; /* t 0, b 0 */
        if (context) EXPECT_MSG(a[0] != a[1], "context keys: %g and %g", a[0], a[1]);
        else EXPECT_MSG(a[0] == a[1], "word keys: %g and %g", a[0], a[1]);
        layer_case_free(&c);
    }
}

/* A real row's weights sum to 1 over its real source positions; padded
 * positions and padding rows get exactly 0; the scoring pass gives the
 * same weights. */
static void test_rows_sum_to_one_and_scoring_agrees(void) {
    LayerCase c;
    layer_case(&c, 0.0f, 0);
    AlignLayerActs train, score;
    align_layer_forward(&c.w, &c.in, 1, &c.arena, &train);
    align_layer_forward(&c.w, &c.in, 0, &c.arena, &score);
    EXPECT(score.pre == NULL && score.logits == NULL && train.pre != NULL);
    for (int t = 0; t < TT; t++)
        for (int b = 0; b < BR; b++) {
            const float *a = train.alpha + ((size_t)t * BR + b) * TSRC;
            double sum = 0.0;
            for (int j = 0; j < TSRC; j++) {
                if (c.src_mask[j * BR + b] == 0.0f || c.tgt_mask[t * BR + b] == 0.0f) EXPECT(a[j] == 0.0f);
                sum += a[j];
            }
            if (c.tgt_mask[t * BR + b] != 0.0f) EXPECT_NEAR(sum, 1.0, 1e-6);
        }
    EXPECT(!memcmp(train.alpha, score.alpha, sizeof(float) * TT * BR * TSRC));
    layer_case_free(&c);
}

/* What padding holds does not matter (with context keys): other ids and
 * annotations at padded source positions and padded target positions, other states and targets there, give the
 * same loss and gradient. */
static void test_padding_changes_nothing(void) {
    LayerCase c;
    layer_case(&c, 2.0f, 1);
    const double before = layer_loss(&c);
    float *grad = falloc(c.n);
    memcpy(grad, c.grad, sizeof(float) * c.n);
    for (int i = 0; i < TSRC * BR; i++)
        if (c.src_mask[i] == 0.0f) {
            c.src[i] = 5;
            for (int k = 0; k < CC; k++) c.ann[i * CC + k] = 3.0f;
        }
    for (int i = 0; i < TT * BR; i++)
        if (c.tgt_mask[i] == 0.0f) {
            c.tgt_out[i] = 6;
            for (int k = 0; k < HH; k++) c.state[i * HH + k] = 3.0f;
        }
    const double after = layer_loss(&c);
    EXPECT(before == after);
    EXPECT(!memcmp(grad, c.grad, sizeof(float) * c.n));
    free(grad);
    layer_case_free(&c);
}

/* The floats of the scoring pass leave out pre and the logits. */
static void test_floats(void) {
    AlignLayerWeights w = {.A = AA, .Z = ZZ, .E = EE, .V = VT};
    const size_t train = align_layer_floats(&w, TT, TSRC, BR, 1), score = align_layer_floats(&w, TT, TSRC, BR, 0);
    EXPECT(train > score);
    EXPECT(train - score >= (size_t)TT * BR * TSRC * AA + (size_t)TT * BR * VT - AA);
}

int main(void) {
    RUN(test_gradients);
    RUN(test_gradients_guided);
    RUN(test_gradients_context);
    RUN(test_gradients_context_guided);
    RUN(test_context_tells_occurrences_apart);
    RUN(test_rows_sum_to_one_and_scoring_agrees);
    RUN(test_padding_changes_nothing);
    RUN(test_floats);
    TEST_EXIT();
}
