/* files.c — see files.h. */
#define _POSIX_C_SOURCE 200809L
#include "sys/files.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sys/util.h"

char *read_file(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    struct stat st;
    if (fstat(fileno(f), &st) == 0 && S_ISDIR(st.st_mode)) {
        fclose(f); /* fopen accepts a directory; reading it fails with a vague EIO */
        errno = EISDIR;
        return NULL;
    }
    Buf b = {0};
    char chunk[1 << 16];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0) buf_append(&b, chunk, n);
    int bad = ferror(f), why = errno;
    fclose(f);
    if (bad) {
        buf_free(&b);
        errno = why ? why : EIO;
        return NULL;
    }
    if (!b.data) buf_reserve(&b, 0), b.data[0] = '\0';
    *len = b.len;
    return b.data;
}

static const char *file_kind(mode_t mode) {
    return S_ISDIR(mode)    ? "a directory"
           : S_ISFIFO(mode) ? "a FIFO"
           : S_ISCHR(mode)  ? "a character device"
           : S_ISBLK(mode)  ? "a block device"
           : S_ISSOCK(mode) ? "a socket"
                            : "of an unknown kind";
}

int open_regular_file(const char *path, size_t *size, char *err, size_t errsz) {
    /* O_NONBLOCK: opening a FIFO would wait for a writer before fstat could refuse it */
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
    if (fd < 0) {
        snprintf(err, errsz, "%s: cannot open: %s", path, strerror(errno));
        return -1;
    }
    struct stat st;
    if (fstat(fd, &st) != 0) {
        snprintf(err, errsz, "%s: cannot read: %s", path, strerror(errno));
        close(fd);
        return -1;
    }
    if (!S_ISREG(st.st_mode)) {
        snprintf(err, errsz, "%s: not a regular file (%s)", path, file_kind(st.st_mode));
        close(fd);
        return -1;
    }
    if ((uintmax_t)st.st_size >= SIZE_MAX) {
        snprintf(err, errsz, "%s: cannot read: %s", path, strerror(EFBIG));
        close(fd);
        return -1;
    }
    *size = (size_t)st.st_size;
    return fd;
}

char *read_regular_file(const char *path, size_t *len, char *err, size_t errsz) {
    size_t size;
    int fd = open_regular_file(path, &size, err, errsz);
    if (fd < 0) return NULL;
    /* malloc, not xmalloc: a file too large for memory is an error of this file, not the end of the program */
    char *data = malloc(size + 1);
    if (!data) {
        snprintf(err, errsz, "%s: cannot read %zu bytes: %s", path, size, strerror(ENOMEM));
        close(fd);
        return NULL;
    }
    size_t got = 0;
    while (got < size) { /* never past the size fstat gave: a file that grows is read as it was */
        ssize_t n = read(fd, data + got, size - got);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) {
            snprintf(err, errsz, "%s: cannot read: %s", path, strerror(errno));
            free(data);
            close(fd);
            return NULL;
        }
        if (n == 0) break; /* it shrank: the caller's checks find what is missing */
        got += (size_t)n;
    }
    close(fd);
    data[got] = '\0';
    *len = got;
    return data;
}
