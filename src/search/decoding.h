/* decoding.h — the decoder's running state for a batch of sentences being
 * searched, shared by greedy decoding and beam search.
 *
 * The sources are encoded once (seq2seq_encode); each sentence then owns R
 * consecutive rows (its hypotheses), and every step runs the decoder's
 * search step on all rows at once. */
#ifndef NMT_DECODING_H
#define NMT_DECODING_H

#include "core/nn.h"
#include "model/model.h"

enum { MAX_OUTPUT_LEN = 1024 }; /* output tokens per sentence, whatever the source length */

typedef struct {
    const ModelParams *p;
    int n, R, rows, Ts, H, V, max_steps;
    int *max_len;             /* [n] steps allowed per sentence */
    float *ann, *keys, *mask; /* [Ts][rows][...] sentence i's encoding repeated on its R rows */
    float *s, *s_new;         /* [rows][H] */
    float *logp, *alpha;      /* [rows][V], [rows][Ts] */
    float *scratch;
    int *y_prev;              /* [rows] */
    Arena arena;
} Decoding;

/* Encode n sentences (ids without </s>) with R rows each; every row starts
 * at s_0 with y_prev = <s>. A sentence may run for ceil(ratio x length) + 10
 * steps, at most MAX_OUTPUT_LEN. */
void decoding_init(Decoding *d, const ModelParams *p, const int *const *src, const int *src_len, int n, int R,
                   float ratio);
/* One step on every row: s_new, logp (log-softmax) and alpha from s and y_prev. */
void decoding_step(Decoding *d);
void decoding_free(Decoding *d);

#endif
