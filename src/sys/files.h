/* files.h — whole files read at once: any file, or a regular file only,
 * read no further than its size (what a library reading models needs). */
#ifndef NMT_SYS_FILES_H
#define NMT_SYS_FILES_H

#include <stddef.h>

/* Read a whole file; returns NULL (errno set, EISDIR for a directory) on failure. */
char *read_file(const char *path, size_t *len);

/* Open a regular file for reading: anything else (a directory, a FIFO, a
 * device such as /dev/zero) is refused as "PATH: not a regular file (a
 * FIFO)" before a byte is read, and without waiting for a FIFO's writer.
 * The descriptor, with *size set from fstat; or -1 with "PATH: reason"
 * (strerror where the system gave one) in err. */
int open_regular_file(const char *path, size_t *size, char *err, size_t errsz);
/* Read a whole regular file (open_regular_file), never more than the size
 * it had when opened, into a NUL-terminated malloc'd buffer; NULL with
 * "PATH: reason" in err, also when memory runs out. For files of any size
 * whose reading must not end the program (models in the library). */
char *read_regular_file(const char *path, size_t *len, char *err, size_t errsz);

#endif
