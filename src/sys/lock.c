/* lock.c — see lock.h. */
#include "sys/lock.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

int lock_acquire(const char *lock_path, char *err, size_t errsz) {
    int fd = open(lock_path, O_RDWR | O_CREAT | O_CLOEXEC, 0666);
    if (fd < 0) {
        snprintf(err, errsz, "%s: cannot create the lock file: %s", lock_path, strerror(errno));
        return -1;
    }
    if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
        int why = errno;
        char pid[32] = "";
        ssize_t n = why == EWOULDBLOCK ? pread(fd, pid, sizeof pid - 1, 0) : -1;
        close(fd);
        if (why != EWOULDBLOCK) {
            snprintf(err, errsz, "%s: cannot lock: %s", lock_path, strerror(why));
            return -1;
        }
        pid[n > 0 ? n : 0] = '\0';
        pid[strcspn(pid, "\n")] = '\0';
        snprintf(err, errsz, "%s is held by another process (pid %s): is a run with the same output still going?",
                 lock_path, *pid ? pid : "not written yet");
        return -1;
    }
    /* the descriptor stays open (and locked) until the process ends */
    char pid[32];
    int len = snprintf(pid, sizeof pid, "%ld\n", (long)getpid());
    if (ftruncate(fd, 0) != 0 || pwrite(fd, pid, (size_t)len, 0) != len) {
        snprintf(err, errsz, "%s: cannot write the lock file: %s", lock_path, strerror(errno));
        close(fd);
        return -1;
    }
    return 0;
}
