/* cli_files.c — see cli.h: cli_check_files, the check that no output
 * overwrites an input or another output, run before any work. */
#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sys/cli.h"
#include "sys/util.h"

static const void *field_at(const void *args, size_t offset) { return (const char *)args + offset; }

typedef struct {
    const char *flag, *path;
    const FieldSpec *spec; /* NULL for derived outputs and positional inputs */
} Named;

/* The path with its directory resolved ("./x", "d/../x" and a symlinked
 * directory all give one name), for outputs that do not exist yet; NULL
 * when the directory does not exist. */
static char *canonical(const char *path) {
    char *copy1 = xstrdup(path), *copy2 = xstrdup(path);
    char dir[PATH_MAX];
    char *res = NULL;
    if (realpath(dirname(copy1), dir)) {
        const char *base = basename(copy2);
        res = xmalloc(strlen(dir) + strlen(base) + 2);
        sprintf(res, "%s/%s", dir, base);
    }
    free(copy1);
    free(copy2);
    return res;
}

static int stat_path(const char *path, struct stat *st) {
    if (!strcmp(path, "-")) return fstat(STDIN_FILENO, st);
    return stat(path, st);
}

/* 1 when a and b are one file: the same inode when both exist, else the same canonical name. */
static int same_file(const char *a, const char *b) {
    struct stat sa, sb;
    int ea = stat_path(a, &sa) == 0, eb = stat_path(b, &sb) == 0;
    if (ea && eb) return sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
    if (ea != eb || !strcmp(a, "-") || !strcmp(b, "-")) return 0;
    char *ca = canonical(a), *cb = canonical(b);
    int same = ca && cb && !strcmp(ca, cb);
    free(ca);
    free(cb);
    return same;
}

/* The output can be written: checked before any work, so a run cannot
 * compute for hours and then fail on a mistyped directory. */
static int check_writable(const Named *o, char *err, size_t errsz) {
    struct stat st;
    int exists = stat(o->path, &st) == 0;
    unsigned flags = o->spec ? o->spec->flags : FIELD_PLAIN_FILE;
    if (exists && S_ISDIR(st.st_mode) && !(flags & FIELD_DIRECTORY)) {
        snprintf(err, errsz, "%s %s: is a directory", o->flag, o->path);
        return -1;
    }
    if (exists && !S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode)) {
        if (flags & FIELD_PLAIN_FILE) {
            snprintf(err, errsz, "%s %s: not a regular file (files named after it are written beside it)", o->flag,
                     o->path);
            return -1;
        }
        return 0; /* a device or a pipe, written in place */
    }
    /* an existing file is replaced where it really is: a symlink's target (sys/atomic.h) */
    char resolved[PATH_MAX];
    char *copy = xstrdup(exists && realpath(o->path, resolved) ? resolved : o->path);
    const char *dir = exists && S_ISDIR(st.st_mode) ? copy : dirname(copy);
    int rc = 0;
    if (access(dir, W_OK | X_OK) != 0) {
        snprintf(err, errsz, "%s %s: cannot write in %s: %s", o->flag, o->path, dir, strerror(errno));
        rc = -1;
    }
    free(copy);
    return rc;
}

static void collect(const CliCommand *cmd, const void *args, FieldType type, Named **list, int *n) {
    for (int t = 0; t < cmd->ntables; t++)
        for (int k = 0; k < cmd->tables[t].n; k++) {
            const FieldSpec *f = &cmd->tables[t].fields[k];
            if (f->type != type) continue;
            const void *member = field_at(args, cmd->tables[t].offset + f->offset);
            const char *one[2] = {*(const char *const *)member, NULL};
            const char *const *paths = f->flags & FIELD_REPEATED ? *(const char *const *const *)member : one;
            for (int k2 = 0; paths && paths[k2]; k2++) {
                if (type == FIELD_OUTPUT && !strcmp(paths[k2], "-")) continue;
                *list = xrealloc(*list, (size_t)(*n + 1) * sizeof **list);
                (*list)[(*n)++] = (Named){f->flag, paths[k2], f};
            }
        }
}

int cli_check_files(const CliCommand *cmd, const void *args, const CliPath *extra, int nextra, char *err,
                    size_t errsz) {
    Named *in = NULL, *out = NULL;
    int nin = 0, nout = 0, rc = 0;
    collect(cmd, args, FIELD_INPUT, &in, &nin);
    if (cmd->positional) {
        const char *const *list = *(const char *const *const *)field_at(args, cmd->positional_offset);
        int count = *(const int *)field_at(args, cmd->positional_count_offset);
        for (int k = 0; k < count; k++) {
            in = xrealloc(in, (size_t)(nin + 1) * sizeof *in);
            in[nin++] = (Named){cmd->positional, list[k], NULL};
        }
    }
    collect(cmd, args, FIELD_OUTPUT, &out, &nout);
    for (int k = 0; k < nextra; k++) {
        out = xrealloc(out, (size_t)(nout + 1) * sizeof *out);
        out[nout++] = (Named){extra[k].flag, extra[k].path, NULL};
    }
    for (int o = 0; o < nout && rc == 0; o++) {
        rc = check_writable(&out[o], err, errsz);
        struct stat so;
        /* a device, a pipe or a terminal is written in place, never replaced:
         * /dev/null as output while stdin is /dev/null destroys nothing */
        const int in_place = stat(out[o].path, &so) == 0 && !S_ISREG(so.st_mode) && !S_ISDIR(so.st_mode);
        for (int i = 0; i < nin && rc == 0 && !in_place; i++)
            if (same_file(out[o].path, in[i].path)) {
                snprintf(err, errsz, "refusing to write %s (%s): it is the same file as the input %s (%s)",
                         out[o].path, out[o].flag, strcmp(in[i].path, "-") ? in[i].path : "<stdin>", in[i].flag);
                rc = -1;
            }
        for (int p = 0; p < o && rc == 0; p++) {
            struct stat st;
            if (stat(out[o].path, &st) == 0 && S_ISCHR(st.st_mode)) continue; /* /dev/null twice is fine */
            if (same_file(out[o].path, out[p].path)) {
                snprintf(err, errsz, "%s and %s name the same file %s: one output would overwrite the other",
                         out[p].flag, out[o].flag, out[o].path);
                rc = -1;
            }
        }
    }
    free(in);
    free(out);
    return rc;
}
