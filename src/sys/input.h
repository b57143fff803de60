/* input.h — text inputs read once.
 *
 * A pipe, a FIFO or a process substitution (<(...)) can be read only once,
 * yet a parallel corpus is looked at twice: the line counts of both files
 * are compared before anything is done with them, then the lines are read
 * (and nmt-train reads the validation target again as BLEU references).
 * So an input is read whole into memory the first time, and every later
 * reader of the same path (linereader_open, count_lines) gets that copy.
 *
 * Each input's fingerprint (its size and a 64-bit hash of its bytes) is
 * taken as it is read and kept after the copy is freed: what a run computed
 * from can be compared later (between the ranks of a job, and on --resume
 * with the run that wrote the checkpoint) without reading anything again.
 * Single-threaded: call from the main thread. */
#ifndef NMT_SYS_INPUT_H
#define NMT_SYS_INPUT_H

#include <stddef.h>
#include <stdint.h>

/* Read path ("-": stdin) whole unless its copy is in memory; dies with a
 * message naming it when it cannot be read. */
void input_read(const char *path);
/* The copy of an input read by input_read, or NULL. */
const char *input_cached(const char *path, size_t *len);
/* Free the copy when the input is a regular file, which can be read again;
 * the copy of a pipe is kept for the rest of the run. */
void input_release(const char *path);
/* The size and hash of the bytes path gave when it was first read; an input
 * never read is read (input_read) and released first. */
void input_fingerprint(const char *path, size_t *len, uint64_t *hash);

#endif
