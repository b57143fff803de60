/* atomic.c — replacing a file atomically (see atomic.h).
 *
 * The data goes to a temporary file beside the destination, is fsynced and
 * renamed over it, so a reader sees the old file or the new one, never a
 * mix. Details that keep the user's data as it was:
 *   - a symlink is followed to its final target, which is replaced; the
 *     link itself stays a link;
 *   - an existing file keeps its permission bits; a new one gets
 *     0666 & ~umask, as any other program would create it;
 *   - the temporary file is ".NAME.tmp.PID" in the same directory; a write
 *     removes the ones left there by processes that no longer run (killed
 *     in the middle of a write), and never touches a live process's. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sys/atomic.h"
#include "sys/util.h"

/* The file a write to path lands in: path with every symlink followed. A
 * dangling link gives the path it points to, so the write creates it. */
static char *follow_links(const char *path) {
    char *p = xstrdup(path);
    for (int hops = 0; hops < 40; hops++) { /* as the kernel's limit, so a loop ends */
        struct stat st;
        char target[PATH_MAX];
        if (lstat(p, &st) != 0 || !S_ISLNK(st.st_mode)) return p;
        ssize_t n = readlink(p, target, sizeof target - 1);
        if (n < 0) return p;
        target[n] = '\0';
        const char *slash = strrchr(p, '/');
        char *next;
        if (target[0] == '/' || !slash) {
            next = xstrdup(target);
        } else { /* relative to the link's own directory */
            size_t dl = (size_t)(slash - p) + 1;
            next = xmalloc(dl + (size_t)n + 1);
            memcpy(next, p, dl);
            memcpy(next + dl, target, (size_t)n + 1);
        }
        free(p);
        p = next;
    }
    return p; /* opening it reports ELOOP */
}

/* dir ("" or ending in '/') and base name of path. */
static void split_path(const char *path, char **dir, const char **base) {
    const char *slash = strrchr(path, '/');
    size_t dl = slash ? (size_t)(slash - path) + 1 : 0;
    *dir = xmalloc(dl + 1);
    memcpy(*dir, path, dl);
    (*dir)[dl] = '\0';
    *base = path + dl;
}

static char *temp_name(const char *path, long pid) {
    char *dir;
    const char *base;
    split_path(path, &dir, &base);
    size_t n = strlen(path) + 32;
    char *t = xmalloc(n);
    snprintf(t, n, "%s.%s.tmp.%ld", dir, base, pid);
    free(dir);
    return t;
}

/* Remove ".BASE.tmp.PID" files of path's directory whose process is gone. */
static void remove_stale_temps(const char *path) {
    char *dir;
    const char *base;
    split_path(path, &dir, &base);
    DIR *d = opendir(*dir ? dir : ".");
    if (!d) {
        free(dir);
        return;
    }
    size_t bl = strlen(base);
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        const char *n = e->d_name;
        if (n[0] != '.' || strncmp(n + 1, base, bl) != 0 || strncmp(n + 1 + bl, ".tmp.", 5) != 0) continue;
        const char *digits = n + 1 + bl + 5;
        char *end;
        long pid = strtol(digits, &end, 10);
        if (end == digits || *end || pid <= 0 || pid == (long)getpid()) continue;
        /* ESRCH only: a process of another user (EPERM) is alive */
        if (kill((pid_t)pid, 0) == 0 || errno != ESRCH) continue;
        size_t fl = strlen(dir) + strlen(n) + 1;
        char *full = xmalloc(fl);
        snprintf(full, fl, "%s%s", dir, n);
        unlink(full);
        free(full);
    }
    closedir(d);
    free(dir);
}

static void af_free(AtomicFile *af) {
    free(af->path);
    free(af->tmp);
    free(af->name);
    memset(af, 0, sizeof *af);
}

int atomic_open(AtomicFile *af, const char *path, char *err, size_t errsz) {
    memset(af, 0, sizeof *af);
    af->name = xstrdup(path);
    af->path = follow_links(path);
    struct stat st;
    int exists = stat(af->path, &st) == 0;
    if (exists && !S_ISREG(st.st_mode)) {
        /* /dev/null, /dev/stdout, a pipe: nothing to replace, write in place */
        af->f = fopen(path, "wb");
        if (!af->f) {
            snprintf(err, errsz, "%s: cannot open for writing: %s", path, strerror(errno));
            af_free(af);
            return -1;
        }
        return 0;
    }
    remove_stale_temps(af->path);
    af->tmp = temp_name(af->path, (long)getpid());
    /* an existing file's mode is set below; until then only we can read it */
    int fd = open(af->tmp, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, exists ? 0600 : 0666);
    if (fd >= 0 && exists && fchmod(fd, st.st_mode & 07777) != 0) {
        snprintf(err, errsz, "%s: cannot set the mode of %s: %s", path, af->tmp, strerror(errno));
        close(fd);
        unlink(af->tmp);
        af_free(af);
        return -1;
    }
    if (fd < 0 || !(af->f = fdopen(fd, "wb"))) {
        snprintf(err, errsz, "%s: cannot create %s: %s", path, af->tmp, strerror(errno));
        if (fd >= 0) close(fd), unlink(af->tmp);
        af_free(af);
        return -1;
    }
    return 0;
}

void atomic_abort(AtomicFile *af) {
    if (af->f) fclose(af->f);
    if (af->tmp) unlink(af->tmp);
    af_free(af);
}

int atomic_write(AtomicFile *af, const void *data, size_t len, char *err, size_t errsz) {
    if (len && fwrite(data, 1, len, af->f) != len) {
        snprintf(err, errsz, "%s: write failed: %s", af->name, strerror(errno));
        atomic_abort(af);
        return -1;
    }
    return 0;
}

/* The rename is durable only once the directory is on disk too. */
static void sync_dir_of(const char *path) {
    char *dir;
    const char *base;
    split_path(path, &dir, &base);
    int fd = open(*dir ? dir : ".", O_RDONLY | O_CLOEXEC);
    if (fd >= 0) fsync(fd), close(fd);
    free(dir);
}

int atomic_commit(AtomicFile *af, char *err, size_t errsz) {
    if (fflush(af->f) != 0 || (af->tmp && fsync(fileno(af->f)) != 0)) {
        snprintf(err, errsz, "%s: write failed: %s", af->name, strerror(errno));
        atomic_abort(af);
        return -1;
    }
    int rc = fclose(af->f);
    af->f = NULL;
    if (!af->tmp) { /* written in place */
        if (rc != 0) snprintf(err, errsz, "%s: cannot finish writing: %s", af->name, strerror(errno));
        af_free(af);
        return rc == 0 ? 0 : -1;
    }
    if (rc != 0 || rename(af->tmp, af->path) != 0) {
        snprintf(err, errsz, "%s: cannot rename %s to %s: %s", af->name, af->tmp, af->path, strerror(errno));
        atomic_abort(af);
        return -1;
    }
    sync_dir_of(af->path);
    af_free(af);
    return 0;
}

int write_file_atomic(const char *path, const void *data, size_t len, char *err, size_t errsz) {
    AtomicFile af;
    if (atomic_open(&af, path, err, errsz) != 0) return -1;
    if (atomic_write(&af, data, len, err, errsz) != 0) return -1;
    return atomic_commit(&af, err, errsz);
}
