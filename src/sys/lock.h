/* lock.h — one process at a time per output.
 *
 * Two training runs writing the same MODEL would both "succeed", each
 * overwriting the other's checkpoints. The run holds an exclusive flock on
 * a lock file (MODEL.lock) for its whole life; the kernel drops it when
 * the process ends, however it ends (kill -9 included), so a stale lock
 * never blocks a later run. The holder writes its pid into the file, for
 * the message the next one prints. The file itself stays (removing it
 * would let a third process lock a file nobody else can see). */
#ifndef NMT_SYS_LOCK_H
#define NMT_SYS_LOCK_H

#include <stddef.h>

/* Take the lock for the rest of the process. 0, or -1 with a message in err
 * (naming the process that holds it, when known). */
int lock_acquire(const char *lock_path, char *err, size_t errsz);

#endif
