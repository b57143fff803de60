/* evaluate.h — how well a model does on held-out pairs: the loss per
 * token (teacher forcing) and the BLEU of greedy translations. Both run
 * batches in parallel and give the same result for any thread count. */
#ifndef NMT_EVALUATE_H
#define NMT_EVALUATE_H

#include "model/saved.h"
#include "train/data.h"

/* Validation loss over d: the NLL per token; *tokens gets the token count. */
double evaluate_loss(const Model *m, const TrainData *d, int batch, int threads, long *tokens);
/* Corpus BLEU of greedy translations of d's sources against refs (one per pair). */
double evaluate_bleu(const Model *m, const TrainData *d, const char *const *refs, int batch, int threads);

#endif
