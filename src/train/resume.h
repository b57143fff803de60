/* resume.h — --resume continues the run that wrote the checkpoint, so it
 * must train on what that run trained on.
 *
 * The checkpoint's DATA section (train/checkpoint.h) holds the fingerprints
 * of that run's input files and of the data encoded from them; the
 * vocabulary is the one stored in the checkpoint itself. A file may have
 * moved: contents are compared, not paths. */
#ifndef NMT_RESUME_H
#define NMT_RESUME_H

#include "model/saved.h"
#include "train/fingerprint.h"

/* Die, naming the checkpoint ckpt and listing every difference, unless now
 * (this run's fingerprint of its inputs, as it saves it) has the values of
 * saved (the checkpoint's DATA section; NULL for a checkpoint written
 * before the section existed, whose inputs are then not compared, with a
 * note), and unless the vocabulary file vocab_path (NULL: not given) holds
 * the vocabulary of the checkpoint's model m. files are this run's inputs,
 * for the paths in the message. */
void resume_check_inputs(const char *ckpt, const char *saved, const char *now, const TrainInput *files, int n_files,
                         const Model *m, const char *vocab_path);

#endif
