/* output.h — the decoder's output layer: from [s_t ; c_t ; E y_{t-1}] to
 * the logits over the target vocabulary.
 *
 *   direct:  logits = W o + b                       W [V][3H+E]
 *   deep:    t = tanh(deep_W o + deep_b)             deep_W [E][3H+E]
 *            logits = W t + b                        W [V][E], the target
 *                                                    embeddings when tied
 *
 * output_forward / output_backward, side by side in output.c, over any
 * number of rows: all steps of a teacher-forced batch at once, or one
 * step of a search. */
#ifndef NMT_OUTPUT_H
#define NMT_OUTPUT_H

typedef struct {
    float *deep_W, *deep_b; /* [E][in], [E]; NULL for the direct output */
    float *W, *b;           /* [V][logit_in], [V] */
    int in;                 /* width of o: 3H + E */
    int logit_in;           /* width of what W multiplies: E with a deep output, else in */
    int V;
} OutputWeights;

/* Multiply-adds for one row (the deep layer, then the logits), for FLOP counts. */
double output_madds(const OutputWeights *w);
/* The same from the sizes: o's width in, the embedding size E, V, deep or not. */
double output_madds_of(int in, int E, int V, int deep);

/* logits [N][V] from o [N][in]. With the deep output, deep [N][E]
 * receives t for the backward pass (unused otherwise, may be NULL). */
void output_forward(const OutputWeights *w, int N, const float *o, float *deep, float *logits);

/* Backward given dlogits [N][V]: adds into dw and writes d_o [N][in]
 * (overwritten). deep is overwritten with its own gradient. */
void output_backward(const OutputWeights *w, const OutputWeights *dw, int N, const float *o, float *deep,
                     const float *dlogits, float *d_o);

#endif
