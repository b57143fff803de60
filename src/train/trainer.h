/* trainer.h — the training loop: updates (train/update.h), validation and
 * its policy (train/validate.h), checkpoints (train/checkpoint.h), stops
 * (epochs, updates, minutes, early stopping, SIGINT/SIGTERM) and the
 * progress display (train/progress.h).
 *
 * With ema_decay, the models saved and validated are an exponential moving
 * average of the weights (training itself goes on with the raw weights). */
#ifndef NMT_TRAINER_H
#define NMT_TRAINER_H

#include "model/saved.h"
#include "train/checkpoint.h"
#include "train/data.h"
#include "train/optim.h"
#include "train/state.h"
#include "train/update.h"

/* Train m in place. When resume_state is not NULL, continue from that state
 * and optimizer (read with checkpoint_load). Returns 0, or 130 when
 * interrupted (the checkpoint is then up to date: --resume continues); a
 * second SIGINT or SIGTERM ends the process by that signal at once. */
int train_run(Model *m, const TrainData *train, const TrainData *valid, const TrainOptions *o,
              const TrainState *resume_state, const Optimizer *resume_optim);

#endif
