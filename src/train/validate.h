/* validate.h — the validation policy: evaluate the weights a user would get
 * (the moving average, when there is one), keep the best model, halve the
 * learning rate when validation stalls, stop early when it stalls for
 * good, and write one JSON line per validation to the log. */
#ifndef NMT_VALIDATE_H
#define NMT_VALIDATE_H

#include <stdio.h>

#include "train/data.h"
#include "train/update.h"

/* The training loss since the last validation, for the log (reset by train_validate). */
typedef struct {
    double nll;
    long tokens;
    double align_nll; /* the alignment layer's NLL (loss (a)) of the same tokens */
} TrainWindow;

/* Validate on valid, update the trainer's state (best score, learning
 * rate, bad validations, finished) and save MODEL when this is the best
 * so far. log (may be NULL) gets one JSON line. Returns 1 when improved. */
int train_validate(Trainer *t, const TrainData *valid, FILE *log, double elapsed, TrainWindow *since_last);

#endif
