/* input.h — text inputs read once.
 *
 * A pipe, a FIFO or a process substitution (<(...)) can be read only once,
 * yet a parallel corpus is looked at twice: the line counts of both files
 * are compared before anything is done with them, then the lines are read
 * (and nmt-train reads the validation target again as BLEU references).
 * So an input is read whole into memory the first time, and every later
 * reader of the same path (linereader_open, count_lines) gets that copy.
 * Single-threaded: call from the main thread. */
#ifndef NMT_CORE_INPUT_H
#define NMT_CORE_INPUT_H

#include <stddef.h>

/* Read path ("-": stdin) whole unless already read; dies with a message
 * naming it when it cannot be read. */
void input_read(const char *path);
/* The copy of an input read by input_read, or NULL. */
const char *input_cached(const char *path, size_t *len);
/* Free the copy when the input is a regular file, which can be read again;
 * the copy of a pipe is kept for the rest of the run. */
void input_release(const char *path);

#endif
