/* align_layer.h — the alignment layer: an attention whose query has seen
 * the target word it aligns (Zenkel et al. 2019), trained on its own
 * objective beside the translation model. Its rows are the model's word
 * alignment (nmt-score --attention-source alignment).
 *
 * For target position t of a teacher-forced pass over B rows, from inputs
 * the layer treats as constants (no gradient leaves it, so it cannot change
 * the translation model):
 *
 *   z_t   = [s_t ; rms(E_tgt y_t)]  Z = H + E: the state the decoder's attention
 *                                   queried at step t, the target token being aligned
 *   x_j   = rms(E_src f_j)          E: the source embeddings (no dropout), source
 *                                   information only, so the encoder's mixing
 *                                   cannot shift a row
 *   rms(e) = e / sqrt(mean_k e_k^2)  (the embeddings at a unit scale, whatever
 *                                   the translation model makes of theirs)
 *   h_j                             C = 2H: with context keys (--alignment-context),
 *                                   the encoder's annotations, which tell the layer
 *                                   where a word is and what is around it: without
 *                                   them two occurrences of a word (a comma, "die")
 *                                   have the same key and split a row between them
 *   q_t   = Wq z_t + bq    [A]      k_j = Uk x_j (+ Uh h_j)  [A]  (once per batch)
 *   e_tj  = v . tanh(q_t + k_j);    α_t = softmax over the real source positions
 *   c'_t  = sum_j α_tj x_j  [E];    logits'_t = Wo c'_t + bo  [V]
 *   loss (a) = -log softmax(logits'_t)[y_t]   over the real target tokens
 *   loss (b) = -sum_j g_tj log α_tj           over the guided rows (gold rows g_t)
 *
 * Forward/backward pair, side by side in align_layer.c:
 *   align_layer_forward / align_layer_backward  (all Tt steps at once)
 * with align_layer_loss (a) and align_layer_guide_loss (b) between them.
 * Layouts are time-major, as the decoder's: [Tt][B][...], [Ts][B][...].
 * Rows of padding (tgt_mask 0) and padded source positions take no part:
 * their weights are 0 and they get no gradient. The math is in
 * docs/model.md ("Alignment layer"). */
#ifndef NMT_ALIGN_LAYER_H
#define NMT_ALIGN_LAYER_H

#include <stddef.h>

#include "nn/layout.h"
#include "nn/nn.h"

/* The layer's own weights (views into the model's buffer, model/model.c):
 * Wq [A][Z], bq [A], Uk [A][E], (Uh [A][C],) v [A], Wo [V][E], bo [V].
 * A 0: no layer; C 0 (Uh NULL): keys from the source words alone. */
typedef struct {
    float *Wq, *bq, *Uk, *v, *Wo, *bo;
    int A, Z, E, V;
    float *Uh;
    int C;
} AlignLayerWeights;

/* What the layer reads, all constants to it. */
typedef struct {
    int Tt, Ts, B, H;
    const float *state;    /* [Tt][B][H] the query of the decoder's attention at each step */
    const float *tgt_emb;  /* [V][E] the target embeddings */
    const int *tgt_out;    /* [Tt][B] the tokens aligned (y_1 .. </s>) */
    const float *tgt_mask; /* [Tt][B] 1 real, 0 padding */
    const float *src_emb;  /* [Vs][E] the source embeddings */
    const int *src;        /* [Ts][B] */
    const float *src_mask; /* [Ts][B] */
    const float *ann;      /* [Ts][B][C] the encoder's annotations (read with context keys only) */
} AlignLayerInput;

/* The activations of one pass. */
typedef struct {
    int Tt, Ts, B;
    float *z;      /* [Tt][B][Z] the queries' inputs [s_t ; rms(E_tgt y_t)] */
    float *x;      /* [Ts][B][E] the source embeddings, rms(E_src f_j) */
    float *q;      /* [Tt][B][A] */
    float *keys;   /* [Ts][B][A] */
    float *pre;    /* training: [Tt][B][Ts][A] tanh(q_t + k_j), kept for the backward; else NULL */
    float *p;      /* [A] scratch for tanh(q_t + k_j) when pre is not kept */
    float *alpha;  /* [Tt][B][Ts] the weights (the alignment) */
    float *ctx;    /* [Tt][B][E] c'_t */
    float *logits; /* training: [Tt][B][V], after align_layer_loss its gradient; else NULL */
    const float *guide; /* set by align_layer_guide_loss: gold rows [Tt][B][Ts], or NULL */
    float guide_scale;
} AlignLayerActs;

/* The arrays of AlignLayerActs for a pass over Tt x B rows and Ts source
 * positions: their sizes and where their pointers go (nn/layout.h).
 * train 1 keeps what the backward and the loss need (pre, logits); train
 * 0 (scoring) computes the weights only. Returns the number of slots (at
 * most ALIGN_LAYER_SLOTS). */
enum { ALIGN_LAYER_SLOTS = 9 };
int align_layer_slots(const AlignLayerWeights *w, int Tt, int Ts, int B, int train, AlignLayerActs *act,
                      ActSlot *slots);
/* Their floats (the memory estimate of scoring, train 0). */
size_t align_layer_floats(const AlignLayerWeights *w, int Tt, int Ts, int B, int train);
/* Multiply-adds per target token over Ts source positions (the query, the
 * weighted sum; with train, the logits), and per source token (the keys). */
double align_layer_step_madds(int A, int Z, int E, int V, int Ts, int train);
double align_layer_keys_madds(int A, int E, int C);

/* The layer's values x [n][E] = rms(E_src f) of n source tokens src (what
 * its rows weigh; attention/align_optimize.h reads them too). */
void align_layer_values(const float *src_emb, int E, const int *src, int n, float *x);

/* Forward pass: the activations from the arena; with train the logits too. */
void align_layer_forward(const AlignLayerWeights *w, const AlignLayerInput *in, int train, Arena *arena,
                         AlignLayerActs *act);

/* Loss (a): the cross-entropy of the layer's prediction of each real
 * target token. Turns act->logits into the gradient of scale * (the sum).
 * Returns the summed negative log-likelihood. */
double align_layer_loss(AlignLayerActs *act, const AlignLayerWeights *w, const AlignLayerInput *in, float scale);

/* Loss (b): the guidance cross-entropy -sum_j g_tj log α_tj over the rows
 * of guide [Tt][B][Ts] that hold any weight (as decoder_guide_loss).
 * Returns the summed loss, sets *rows to the guided rows; the backward adds
 * the gradient of scale * (that sum): scale (S_t α_t - g_t) w.r.t. the
 * scores, S_t the row's sum. */
double align_layer_guide_loss(AlignLayerActs *act, const float *guide, float scale, int *rows);

/* Backward after align_layer_loss (and align_layer_guide_loss): adds into
 * g's tensors only. */
void align_layer_backward(const AlignLayerWeights *w, const AlignLayerWeights *g, const AlignLayerInput *in,
                          const AlignLayerActs *act, Arena *arena);

#endif
