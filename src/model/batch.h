/* batch.h — a padded, time-major minibatch of sentence pairs.
 *
 * Row b of every [T][B] array is one sentence pair. Source rows hold the
 * token ids; the decoder reads tgt_in (<s> y1 .. yn) and predicts tgt_out
 * (y1 .. yn </s>). Masks are 1 on real tokens and 0 on padding. */
#ifndef NMT_BATCH_H
#define NMT_BATCH_H

typedef struct {
    int B, Ts, Tt;
    int *src;         /* [Ts][B] */
    float *src_mask;  /* [Ts][B] */
    int *tgt_in;      /* [Tt][B] */
    int *tgt_out;     /* [Tt][B] */
    float *tgt_mask;  /* [Tt][B] */
    int n_tgt_tokens; /* sum of tgt_mask */
    int cap_src, cap_tgt; /* allocated Ts*B and Tt*B */
    /* Guided alignment (training only): row (t, b) of guide is the gold
     * attention of target step t over the Ts source positions, summing to
     * 1, or all zeros for a step without guidance. Valid when has_guide
     * (its weight comes with the loss's others: seq2seq.h, LossWeights). */
    float *guide;     /* [Tt][B][Ts] */
    int has_guide;
    int cap_guide;
} Batch;

/* Fill b from B pairs of id sequences (without <s>/</s>): src[i] has
 * src_len[i] ids, tgt[i] has tgt_len[i] ids (tgt may be NULL for
 * source-only batches). Reuses b's memory when it is large enough.
 * Leaves no guidance (has_guide = 0). */
void batch_fill(Batch *b, int B, const int *const *src, const int *src_len, const int *const *tgt,
                const int *tgt_len);
/* Make b's guide array (zeroed, [Tt][B][Ts] for its current shape), set
 * has_guide, and return the array for the caller to fill. */
float *batch_guide_begin(Batch *b);
/* Rows [start, start+count) of a batch as a batch of their own (shares no memory). */
void batch_slice(Batch *out, const Batch *in, int start, int count);
void batch_free(Batch *b);

#endif
