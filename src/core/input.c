/* input.c — see input.h. */
#include "core/input.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/util.h"

typedef struct {
    char *path;
    Buf data;
    int regular; /* can be read again */
} Input;

static Input *inputs;
static int n_inputs;

static Input *find(const char *path) {
    for (int i = 0; i < n_inputs; i++)
        if (inputs[i].path && strcmp(inputs[i].path, path) == 0) return &inputs[i];
    return NULL;
}

void input_read(const char *path) {
    if (find(path)) return;
    int is_stdin = strcmp(path, "-") == 0;
    const char *name = is_stdin ? "<stdin>" : path;
    FILE *f = is_stdin ? stdin : fopen(path, "rb");
    if (!f) die("%s: cannot open: %s", name, strerror(errno));
    struct stat st;
    int regular = 0;
    if (fstat(fileno(f), &st) == 0) {
        if (S_ISDIR(st.st_mode)) die("%s: cannot read: %s", name, strerror(EISDIR));
        regular = S_ISREG(st.st_mode);
    }
    Buf b = {0};
    buf_reserve(&b, regular ? (size_t)st.st_size : 0);
    char chunk[1 << 16];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0) buf_append(&b, chunk, n);
    if (ferror(f)) die("%s: read error: %s", name, strerror(errno ? errno : EIO));
    if (!is_stdin) fclose(f);
    inputs = xrealloc(inputs, (size_t)(n_inputs + 1) * sizeof *inputs);
    inputs[n_inputs++] = (Input){.path = xstrdup(path), .data = b, .regular = regular && !is_stdin};
}

const char *input_cached(const char *path, size_t *len) {
    Input *in = find(path);
    if (!in) return NULL;
    *len = in->data.len;
    return in->data.data ? in->data.data : "";
}

void input_release(const char *path) {
    Input *in = find(path);
    if (!in || !in->regular) return;
    buf_free(&in->data);
    free(in->path);
    in->path = NULL;
}
