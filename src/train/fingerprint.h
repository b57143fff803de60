/* fingerprint.h — what a training run computes from, written down so that
 * two accounts of it can be compared: the ranks of one job before they
 * train (train/agree.h), and a run resuming a checkpoint with the run that
 * wrote it (train/checkpoint.h).
 *
 * A fingerprint is text, one line per thing: "KEY\tVALUE\tNOTE\n". Two
 * fingerprints agree when every key has the same value; the note (a file's
 * path) is shown in messages but not compared, since the same bytes may sit
 * at another path on another host or after a move. */
#ifndef NMT_FINGERPRINT_H
#define NMT_FINGERPRINT_H

#include <stddef.h>

#include "sys/util.h"
#include "train/data.h"

/* An input file as the command line named it, e.g. {"--train-src", path}. */
typedef struct {
    const char *flag, *path;
} TrainInput;

/* One line; note NULL for none. */
void fingerprint_line(Buf *b, const char *key, const char *note, const char *fmt, ...) NMT_PRINTF(4, 5);
/* "N bytes, hash H" of a buffer. */
void fingerprint_bytes(Buf *b, const char *key, const char *note, const void *data, size_t len);
/* One line per input with a path, keyed by its flag: the size and hash of
 * its bytes as they were read (sys/input.h, so nothing is read again),
 * with the path as the note when with_paths. */
void fingerprint_inputs(Buf *b, const TrainInput *inputs, int n, int with_paths);
/* The pairs as training sees them, encoded (so --max-len and the
 * vocabulary count too): pairs, target tokens and a hash of the ids; "none"
 * for d NULL. */
void fingerprint_data(Buf *b, const char *key, const TrainData *d);

/* Told of each key whose value differs between then (the reference) and
 * now: value and note on either side, the value NULL on the side that
 * lacks the key. Keys come in then's order, then the keys only now has. */
typedef void (*FingerprintReport)(void *ctx, const char *key, const char *now, const char *now_note,
                                  const char *then, const char *then_note);
/* Compare two fingerprints (then_len and now_len bytes); the number of
 * differences. */
int fingerprint_diff(const char *then, size_t then_len, const char *now, size_t now_len, FingerprintReport report,
                     void *ctx);

#endif
