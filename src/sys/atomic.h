/* atomic.h — files written atomically: a temporary file beside the
 * destination, fsynced and renamed over it. */
#ifndef NMT_SYS_ATOMIC_H
#define NMT_SYS_ATOMIC_H

#include <stddef.h>
#include <stdio.h>

/* Write data to path atomically: a temporary file ".NAME.tmp.PID" in the
 * destination's directory, fsync, then rename. The old file stays intact
 * on any failure. A symlink is written through (its target is replaced,
 * the link stays); an existing file keeps its mode, a new one gets
 * 0666 & ~umask; temporary files of processes that died mid-write are
 * removed. Returns 0, or -1 with a message in err naming path. */
int write_file_atomic(const char *path, const void *data, size_t len, char *err, size_t errsz);

/* The same, streamed: open a temporary file beside path, write pieces,
 * then commit (fsync + rename) or abort (remove the temporary file).
 * Each call returns 0, or -1 with a message in err (after which the
 * temporary file is already removed). A path that exists and is not a
 * regular file (/dev/null, /dev/stdout, a pipe) is written in place. */
typedef struct {
    FILE *f;
    char *path; /* the file replaced: the given path with symlinks followed */
    char *tmp;  /* NULL when written in place */
    char *name; /* the path as given, for messages */
} AtomicFile;
int atomic_open(AtomicFile *af, const char *path, char *err, size_t errsz);
int atomic_write(AtomicFile *af, const void *data, size_t len, char *err, size_t errsz);
int atomic_commit(AtomicFile *af, char *err, size_t errsz);
void atomic_abort(AtomicFile *af);

#endif
