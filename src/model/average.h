/* average.h — checkpoint averaging: the element-wise mean of the weights of
 * several saved models with one architecture and one vocabulary (typically
 * the last snapshots of a run, nmt-train --keep-snapshots). */
#ifndef NMT_AVERAGE_H
#define NMT_AVERAGE_H

#include "model/saved.h"

/* Loads paths[0..n) one at a time and returns a model holding their mean
 * (configuration and vocabulary of the first). NULL with a message in err
 * when a file cannot be read or does not match the first one. */
Model *model_average(const char *const *paths, int n, char *err, size_t errsz);

#endif
