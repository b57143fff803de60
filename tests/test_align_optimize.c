/* Tests of alignment by optimization (src/attention/align_optimize.c): the
 * gradient of the objective with respect to the rows' scores against
 * central finite differences, for the layer's prediction alone, with the
 * contiguity term, with the agreement of two directions, and all together
 * (and the check that a wrong gradient would be caught); the steps lower
 * the objective; each term pulls the rows the way it says: agreement
 * brings the two directions together, contiguity moves a row to continue
 * its neighbour's link diagonally; shapes that do not fit are refused. */
#include <math.h>
#include <string.h>

#include "attention/align_optimize.h"
#include "gradcheck.h"
#include "nn/rng.h"
#include "sys/util.h"
#include "test.h"

enum { TF = 4, SF = 3, EE = 5, VV = 9 }; /* the forward direction: 4 target tokens (5 rows), 3 source tokens */

typedef struct {
    float Wo[VV * EE], bo[VV];
    float x[2][TF * EE];             /* the values of each direction's source tokens */
    int y[2][TF + 1];                /* the tokens each direction's rows align, </s> (id 1) last */
    float alpha[2][(TF + 1) * TF];   /* rows */
    float score[2][(TF + 1) * TF];   /* the point the checks differentiate at */
    float dscore[2][(TF + 1) * TF];
    AlignProblem p[2];
    const AlignProblem *dir[2];
    int n;
    AlignOptimizeOptions o;
    int which; /* the direction whose scores gradcheck moves */
} OptCase;

static void opt_case(OptCase *c, int n, float contiguity, float agreement, unsigned seed) {
    memset(c, 0, sizeof *c);
    Rng rng;
    rng_seed(&rng, seed, 1);
    fill_uniform(c->Wo, VV * EE, 1.0f, &rng);
    fill_uniform(c->bo, VV, 0.5f, &rng);
    const int shape[2][2] = {{TF, SF}, {SF, TF}}; /* Tt, Ts of each direction */
    for (int d = 0; d < 2; d++) {
        const int Tt = shape[d][0], Ts = shape[d][1];
        fill_uniform(c->x[d], (size_t)Ts * EE, 1.0f, &rng);
        for (int t = 0; t < Tt; t++) c->y[d][t] = 2 + (int)(rng_uniform(&rng) * (VV - 2));
        c->y[d][Tt] = 1;
        fill_uniform(c->score[d], (size_t)(Tt + 1) * Ts, 2.0f, &rng);
        c->p[d] = (AlignProblem){.Wo = c->Wo, .bo = c->bo, .V = VV, .E = EE, .Tt = Tt, .Ts = Ts, .x = c->x[d],
                                 .y = c->y[d], .alpha = c->alpha[d]};
        c->dir[d] = &c->p[d];
    }
    c->n = n;
    c->o = (AlignOptimizeOptions){.steps = 0, .rate = 0.5f, .contiguity = contiguity, .agreement = agreement};
}

static double opt_loss(void *ctx) {
    OptCase *c = ctx;
    const float *score[2] = {c->score[0], c->score[1]};
    float *dscore[2] = {c->dscore[0], c->dscore[1]};
    return align_optimize_objective(c->dir, c->n, &c->o, score, dscore);
}

static void check_gradients(int n, float contiguity, float agreement) {
    OptCase c;
    opt_case(&c, n, contiguity, agreement, 11);
    for (int d = 0; d < n; d++) {
        opt_loss(&c);
        float analytic[(TF + 1) * TF];
        const size_t cells = (size_t)(c.p[d].Tt + 1) * c.p[d].Ts;
        memcpy(analytic, c.dscore[d], sizeof(float) * cells);
        GradReport r = gradcheck(d ? "reverse scores" : "scores", c.score[d], analytic, cells, opt_loss, &c, 1e-3,
                                 2e-4, 2e-2, cells);
        EXPECT_MSG(r.failed == 0, "direction %d: %d of %d entries off", d, r.failed, r.checked);
        EXPECT_MSG(r.significant > 0, "direction %d: no entry with |gradient| > 1e-3", d);
        EXPECT_MSG(gradcheck_catches(c.score[d], analytic, cells, opt_loss, &c, 1e-3, 2e-4, 2e-2),
                   "direction %d: a wrong gradient went unnoticed", d);
    }
}

static void test_gradient_prediction(void) { check_gradients(1, 0.0f, 0.0f); }
static void test_gradient_contiguity(void) { check_gradients(1, 1.5f, 0.0f); }
static void test_gradient_agreement(void) { check_gradients(2, 0.0f, 3.0f); }
static void test_gradient_all(void) { check_gradients(2, 1.5f, 3.0f); }

/* The rows start as the softmax of the case's scores; the steps lower the objective. */
static void start_from_scores(OptCase *c) {
    const float *score[2] = {c->score[0], c->score[1]};
    align_optimize_objective(c->dir, c->n, &c->o, score, NULL);
}

static void test_steps_lower_the_objective(void) {
    OptCase c;
    opt_case(&c, 2, 0.5f, 1.0f, 5);
    start_from_scores(&c);
    c.o.steps = 10, c.o.rate = 0.2f;
    AlignProblem *dir[2] = {&c.p[0], &c.p[1]};
    double before = 0.0;
    const double after = align_optimize(dir, 2, &c.o, &before);
    EXPECT_MSG(after < before - 1e-3, "objective %g before, %g after", before, after);
    for (int d = 0; d < 2; d++)
        for (int t = 0; t <= c.p[d].Tt; t++) {
            double sum = 0.0;
            for (int j = 0; j < c.p[d].Ts; j++) sum += c.p[d].alpha[t * c.p[d].Ts + j];
            EXPECT_NEAR(sum, 1.0, 1e-5);
        }
}

static double disagreement(const OptCase *c) {
    double s = 0.0;
    for (int t = 0; t < TF; t++)
        for (int j = 0; j < SF; j++) s += fabs(c->alpha[0][t * SF + j] - c->alpha[1][j * TF + t]);
    return s;
}

/* With a heavy agreement weight the two directions end closer than they start. */
static void test_agreement_brings_directions_together(void) {
    OptCase c;
    opt_case(&c, 2, 0.0f, 10.0f, 3);
    start_from_scores(&c);
    const double start = disagreement(&c);
    c.o.steps = 40, c.o.rate = 0.05f;
    AlignProblem *dir[2] = {&c.p[0], &c.p[1]};
    align_optimize(dir, 2, &c.o, NULL);
    EXPECT_MSG(disagreement(&c) < 0.5 * start, "summed |F - R^T| %g at the start, %g after", start,
               disagreement(&c));
}

/* Without a prediction to serve (Wo = 0, bo = 0: every row predicts
 * uniformly), contiguity alone: row 0 holds source 0; row 1 leans to
 * source 2 but moves to source 1, which continues row 0's link. */
static void test_contiguity_continues_the_diagonal(void) {
    OptCase c;
    opt_case(&c, 1, 2.0f, 0.0f, 1);
    memset(c.Wo, 0, sizeof c.Wo), memset(c.bo, 0, sizeof c.bo);
    for (int i = 0; i < (TF + 1) * SF; i++) c.score[0][i] = 0.0f;
    c.score[0][0 * SF + 0] = 4.0f;                               /* row 0: source 0 */
    c.score[0][1 * SF + 1] = 1.0f, c.score[0][1 * SF + 2] = 1.2f; /* row 1: 2 before 1 */
    start_from_scores(&c);
    EXPECT(c.alpha[0][1 * SF + 2] > c.alpha[0][1 * SF + 1]);
    c.o.steps = 10, c.o.rate = 0.5f;
    AlignProblem *dir[1] = {&c.p[0]};
    align_optimize(dir, 1, &c.o, NULL);
    EXPECT_MSG(c.alpha[0][1 * SF + 1] > c.alpha[0][1 * SF + 2], "row 1: %g on source 1, %g on source 2",
               c.alpha[0][1 * SF + 1], c.alpha[0][1 * SF + 2]);
}

static void test_shapes(void) {
    OptCase c;
    opt_case(&c, 2, 0.0f, 0.0f, 1);
    EXPECT(align_optimize_shapes_fit(c.dir, 1) == 0);
    EXPECT(align_optimize_shapes_fit(c.dir, 2) == 0);
    c.p[1].Ts = TF - 1; /* the reverse of another pair */
    EXPECT(align_optimize_shapes_fit(c.dir, 2) == -1);
    EXPECT(align_optimize_shapes_fit(c.dir, 3) == -1);
}

int main(void) {
    RUN(test_gradient_prediction);
    RUN(test_gradient_contiguity);
    RUN(test_gradient_agreement);
    RUN(test_gradient_all);
    RUN(test_steps_lower_the_objective);
    RUN(test_agreement_brings_directions_together);
    RUN(test_contiguity_continues_the_diagonal);
    RUN(test_shapes);
    TEST_EXIT();
}
