/* agree.h — the processes of a training job must compute the same thing.
 *
 * Exactness across processes rests on every rank planning the same
 * minibatches from the same data and settings, starting from the same
 * weights and running the same code: one rank with another data file, a
 * stale checkpoint or other BLAS kernels would silently train another
 * model. So the ranks compare fingerprints of all of it before training,
 * and of their weights at every checkpoint. With one process nothing is
 * compared. */
#ifndef NMT_AGREE_H
#define NMT_AGREE_H

#include "model/saved.h"
#include "train/data.h"
#include "train/fingerprint.h"
#include "train/optim.h"
#include "train/state.h"
#include "train/update.h"

/* Stop the job (every rank exits 1) unless every rank has the same program,
 * BLAS kernels, model and training settings, vocabulary, input files (size
 * and hash), encoded training and validation data, starting weights and
 * optimizer state; rank 0 prints each difference, naming the rank. Inputs
 * with a NULL path are skipped. */
void train_check_agreement(const Model *m, const TrainOptions *o, const TrainState *resume_state,
                           const Optimizer *resume_optim, const TrainData *train, const TrainData *valid,
                           const TrainInput *inputs, int n_inputs);

/* At a checkpoint: end the job when a rank's weights or optimizer state
 * differ from rank 0's (they must be identical, bit for bit). */
void train_check_replicas(const Trainer *t);

/* --threads by default: this host's cores shared among the job's ranks on it. */
int train_default_threads(void);

#endif
