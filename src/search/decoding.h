/* decoding.h — the decoder's running state for a batch of sentences being
 * searched, shared by greedy decoding and beam search.
 *
 * The sources are encoded once (seq2seq_encode) and every hypothesis row
 * reads its sentence's annotations and keys from there (no copies). Each
 * sentence owns R rows (its hypotheses); the rows of the sentences still
 * being decoded are kept packed at the front of the state arrays, in
 * sentence order, so a step computes only what is left: once a sentence
 * is finished, decoding_retire drops its rows. A step allocates nothing
 * (decoding_step). With a shortlist, the output layer is cut once per batch to the
 * union of its sentences' candidate tokens (logp then has one column per
 * candidate; decoding_token maps a column to its token).
 *
 * An ensemble (model/ensemble.h) decodes every model on the same rows: each
 * model has a Decoding of its own (its encoding, keys and states), the
 * first one leads, and a step leaves in the lead's logp the weighted
 * average of the models' log-probabilities and in its alpha the attention
 * model's; retiring and moving states apply to every model alike. */
#ifndef NMT_DECODING_H
#define NMT_DECODING_H

#include "model/model.h"
#include "model/saved.h"
#include "nn/nn.h"
#include "search/shortlist.h"

enum { MAX_OUTPUT_LEN = 1024 }; /* output tokens per sentence, whatever the source length */

typedef struct Decoding {
    const ModelParams *p;
    DecoderWeights dec;       /* the decoder searched with: p->dec, or with its output layer cut to a shortlist */
    int *token;               /* [V] output column -> target token id, or NULL when the columns are the tokens */
    int n, R, Ts, H, V, max_steps;
    int *max_len;             /* [n] steps allowed per sentence */
    float *ann, *keys, *mask; /* [Ts][n][...] the sentences' encoding, once */
    int live;                 /* sentences still decoded; their rows are 0 .. live*R-1 */
    int *slot;                /* [n] position of sentence i among the live ones, -1 once retired */
    int *row_src;             /* [n*R] sentence of each packed row */
    float *s, *s_new;         /* [n*R][H] states of the packed rows (H: every decoder layer's, depth x hidden) */
    float *logp, *alpha;      /* [n*R][V], [n*R][N][Ts] the last step's outputs (N = heads) */
    int *y_prev;              /* [n*R] */
    float *scratch;
    Arena *arena;             /* the caller's workspace, or own_arena */
    Arena own_arena;
    struct Decoding *member;  /* [n_member] the ensemble's other models (NULL for one model) */
    int n_member;
    const double *weight;     /* [1 + n_member] normalized weights, this model first */
    int attention;            /* 0: alpha is this model's; k: member[k - 1]'s */
    int heads;                /* N, the attention's heads: an alpha row is N x Ts floats */
} Decoding;

/* Encode n sentences (ids without </s>) with R rows each; every row starts
 * at s_0 with y_prev = <s>. A sentence may run for ceil(ratio x length) + 10
 * steps, at most MAX_OUTPUT_LEN. The state lives in workspace (reset here,
 * so one Decoding at a time per workspace) or, when it is NULL, in memory
 * of its own. */
void decoding_init(Decoding *d, const ModelParams *p, const int *const *src, const int *src_len, int n, int R,
                   float ratio, const Shortlist *shortlist, Arena *workspace);
/* decoding_init for model m, or for every model of its ensemble (m->ensemble). */
void decoding_init_model(Decoding *d, const Model *m, const int *const *src, const int *src_len, int n, int R,
                         float ratio, const Shortlist *shortlist, Arena *workspace);
/* The target token of output column v (columns are tokens without a shortlist). */
static inline int decoding_token(const Decoding *d, int v) { return d->token ? d->token[v] : v; }
/* The packed row of hypothesis k of live sentence i. */
static inline int decoding_row(const Decoding *d, int i, int k) { return d->slot[i] * d->R + k; }
/* One step on every live row: s_new, logp (log-softmax) and alpha from s
 * and y_prev (an ensemble: every model reads the lead's y_prev). */
void decoding_step(Decoding *d);
/* After a step: the new states become the current ones (every model). */
void decoding_advance(Decoding *d);
/* After a step: packed row to takes the new state of packed row from (every model). */
void decoding_take_state(Decoding *d, int to, int from);
/* Stop decoding the live sentences i with done[i] != 0: the other live
 * sentences' rows (s and y_prev) move up, keeping their order. */
void decoding_retire(Decoding *d, const int *done);
void decoding_free(Decoding *d);

#endif
