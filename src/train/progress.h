/* progress.h — what a running training shows: a progress line (rewritten
 * in place on a terminal, one line per --disp-every updates otherwise)
 * with the loss, tokens per second, learning rate and the time left. */
#ifndef NMT_PROGRESS_H
#define NMT_PROGRESS_H

#include <stddef.h>

#include "sys/meter.h" /* format_duration */
#include "train/state.h"

/* Counts since the last progress line. */
typedef struct {
    double nll, t0;
    long tokens, updates;
    double guide; /* guided alignment: summed attention cross-entropy of the guided tokens */
    long guided;
    double align_nll, align_guide; /* the alignment layer: its summed NLL and guidance cross-entropy */
    int align_layer;               /* the model has the layer: show them */
} ProgressWindow;

/* Print the line when it is due (every half second on a terminal, else
 * every o->disp_every updates) and start a new window. elapsed: training
 * seconds so far; batches_per_epoch for the time left. */
void progress_maybe_print(ProgressWindow *w, const TrainOptions *o, const TrainState *st, int tty, double now,
                          double elapsed, int batches_per_epoch);

#endif
