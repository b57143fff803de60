/* align_optimize.h — alignment inference by optimizing the alignment
 * layer's rows for one sentence pair (after Zenkel et al. 2019, 2020).
 *
 * The layer's forward pass gives each target token t a row α_t over the
 * source. Instead of reading links from those rows as they are, the rows'
 * scores S_t (α_t = softmax(S_t), starting from log α_t) take a few steps
 * of gradient descent on
 *
 *   L = Σ_dir NLL_dir  +  λ_C Σ_dir CONT_dir  +  λ_B AGREE
 *
 *   NLL   = Σ_{t ≤ Tt} −log softmax(Wo c_t + bo)[y_t],  c_t = Σ_j α_tj x_j
 *           (the layer's own prediction of the token it aligns, as in
 *           training: the rows move towards the source words that
 *           predict y_t best)
 *   CONT  = Σ_{t < Tt} (1 − max_j K_tj),  K_tj = ½ (α_tj + α_{t+1,j+1})
 *           (a contiguity bias: a row scores when the next target token
 *           continues its strongest link diagonally; rows ≥ Tt and columns
 *           ≥ Ts are 0, so </s> takes no part)
 *   AGREE = Σ_{t < Tt, j < Ts} (F_tj − R_jt)²
 *           (bidirectional agreement between the forward rows F and the
 *           reverse model's rows R of the same pair: its rows are the
 *           forward's source tokens, its columns the forward's target
 *           tokens; </s> rows left out)
 *
 * x_j are the layer's values (align_layer_values) and Wo, bo its output
 * layer: everything but the scores is a constant. Steps are plain gradient
 * descent with a fixed rate; the result is deterministic and does not
 * depend on threads (one pair, one thread). The math is in docs/model.md
 * ("Alignment by optimization"). */
#ifndef NMT_ALIGN_OPTIMIZE_H
#define NMT_ALIGN_OPTIMIZE_H

#include <stddef.h>

typedef struct {
    int steps;        /* gradient steps; 0: the layer's rows as they are */
    float rate;       /* step size on the scores */
    float contiguity; /* λ_C */
    float agreement;  /* λ_B (only with a reverse direction) */
} AlignOptimizeOptions;

/* One direction of one pair. */
typedef struct {
    const float *Wo, *bo; /* the layer's output layer [V][E], [V] */
    int V, E;
    int Tt, Ts;     /* Tt target tokens (Tt + 1 rows: </s> last), Ts source tokens */
    const float *x; /* [Ts][E] the layer's values */
    const int *y;   /* [Tt + 1] the tokens the rows align, </s> last */
    float *alpha;   /* [Tt + 1][Ts] the rows: in, the layer's; out, the optimized ones */
} AlignProblem;

/* The objective at scores score[d] ([Tt + 1][Ts] each) of dir[0..n)
 * (n = 1, or 2 with dir[1] the reverse of dir[0]: dir[1]->Tt = dir[0]->Ts
 * and dir[1]->Ts = dir[0]->Tt): sets each dir[d]->alpha to the rows'
 * softmax and, when dscore is not NULL, dscore[d] to ∂L/∂score[d].
 * Returns L. */
double align_optimize_objective(const AlignProblem *const *dir, int n, const AlignOptimizeOptions *o,
                                const float *const *score, float *const *dscore);

/* The steps of o on dir[0..n) (as above), starting from their alpha;
 * each alpha ends as the optimized rows. Returns L before the first step
 * (in *before, may be NULL) and after the last. */
double align_optimize(AlignProblem *const *dir, int n, const AlignOptimizeOptions *o, double *before);

/* 0 when dir[0..n) fit together (n 1 or 2, the reverse's shape the
 * transpose of the forward's), else -1. */
int align_optimize_shapes_fit(const AlignProblem *const *dir, int n);

#endif
