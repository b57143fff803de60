/* checkpoint.h — what training writes: the model files a user gets and the
 * checkpoint a run resumes from.
 *
 *   MODEL        the best model on validation (or the last, without it)
 *   MODEL.last   the last weights
 *   MODEL.uN     with --keep-snapshots, the weights at update N
 *   MODEL.ckpt   the weights, the optimizer moments (ADMM, ADMV), the moving
 *                average (EMAW) and the trainer's state (TRST): resuming
 *                from it continues exactly as the uninterrupted run would;
 *                and what the run trains on (DATA: the fingerprints of its
 *                input files and encoded data, train/fingerprint.h), which
 *                --resume compares with its own (train/resume.h)
 * The user's files hold the moving average of the weights when there is
 * one. Every file is written atomically; a failed write ends the run. */
#ifndef NMT_CHECKPOINT_H
#define NMT_CHECKPOINT_H

#include "model/saved.h"
#include "train/optim.h"
#include "train/state.h"
#include "train/update.h"

/* "MODEL" + suffix, malloc'd. */
char *train_output_path(const char *model_path, const char *suffix);

/* Save m to path or die with the message. */
void train_save_or_die(const Model *m, const char *path, const Section *extra, int n_extra);
/* The user's weights (the moving average when there is one) to path. */
void train_save_model(Trainer *t, const char *path);
/* MODEL.last and, with --keep-snapshots, MODEL.uN, the moving average
 * swapped in once for both. */
void train_save_last(Trainer *t);
/* MODEL.ckpt, with elapsed training seconds in its state. */
void train_save_checkpoint(Trainer *t, double elapsed);

/* Read a checkpoint: the model, the optimizer moments and the trainer
 * state (saved holds the command line's options on entry and the saved
 * ones on return), and into inputs (empty on entry) the DATA section as a
 * C string: inputs->data stays NULL for a checkpoint written before the
 * section existed. NULL with err. */
Model *checkpoint_load(const char *path, TrainState *st, Optimizer *opt, TrainOptions *saved, Buf *inputs, char *err,
                       size_t errsz);

#endif
