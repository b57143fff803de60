/* paths.c — see paths.h. */
#include "sys/paths.h"

#include <dirent.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sys/util.h"

static int stat_input(const char *path, struct stat *st) {
    if (strcmp(path, "-") == 0) return fstat(STDIN_FILENO, st);
    return stat(path, st);
}

void paths_refuse_overwrite(const char *const *inputs, int n_in, const char *const *outputs, int n_out) {
    for (int o = 0; o < n_out; o++) {
        struct stat so;
        if (!outputs[o] || strcmp(outputs[o], "-") == 0) continue;
        /* only a regular file is replaced; /dev/null or a terminal is written in place */
        if (stat(outputs[o], &so) != 0 || !S_ISREG(so.st_mode)) continue;
        for (int i = 0; i < n_in; i++) {
            struct stat si;
            if (!inputs[i] || stat_input(inputs[i], &si) != 0) continue;
            if (si.st_dev == so.st_dev && si.st_ino == so.st_ino)
                die("refusing to write %s: it is the same file as the input %s", outputs[o],
                    strcmp(inputs[i], "-") == 0 ? "<stdin>" : inputs[i]);
        }
    }
}

char *path_cat(const char *a, const char *b) {
    size_t la = strlen(a), lb = strlen(b);
    char *p = xmalloc(la + lb + 1);
    memcpy(p, a, la);
    memcpy(p + la, b, lb + 1);
    return p;
}

int paths_numbered(const char *prefix, char ***out) {
    const char *slash = strrchr(prefix, '/');
    size_t dl = slash ? (size_t)(slash - prefix) + 1 : 0;
    char *dir = xmalloc(dl + 2);
    memcpy(dir, prefix, dl);
    strcpy(dir + dl, dl ? "" : ".");
    const char *base = prefix + dl;
    size_t bl = strlen(base);
    int n = 0;
    *out = NULL;
    DIR *d = opendir(dir);
    free(dir);
    if (!d) return 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        const char *tail = e->d_name + bl;
        if (strncmp(e->d_name, base, bl) != 0 || !*tail || strspn(tail, "0123456789") != strlen(tail)) continue;
        *out = xrealloc(*out, (size_t)(n + 1) * sizeof **out);
        size_t pl = dl + strlen(e->d_name) + 1;
        (*out)[n] = xmalloc(pl);
        memcpy((*out)[n], prefix, dl);
        strcpy((*out)[n] + dl, e->d_name);
        n++;
    }
    closedir(d);
    return n;
}
