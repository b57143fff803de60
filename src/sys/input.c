/* input.c — see input.h. */
#include "sys/input.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "sys/util.h"

typedef struct {
    char *path;
    Buf data;
    int held;        /* data holds the copy */
    int regular;     /* can be read again */
    size_t len;      /* the fingerprint of the first read */
    uint64_t hash;
} Input;

static Input *inputs;
static int n_inputs;

static Input *find(const char *path) {
    for (int i = 0; i < n_inputs; i++)
        if (strcmp(inputs[i].path, path) == 0) return &inputs[i];
    return NULL;
}

void input_read(const char *path) {
    Input *known = find(path);
    if (known && known->held) return;
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
    if (known) { /* a regular file read again after its copy was freed: the first read's fingerprint stays */
        known->data = b;
        known->held = 1;
        return;
    }
    inputs = xrealloc(inputs, (size_t)(n_inputs + 1) * sizeof *inputs);
    inputs[n_inputs++] = (Input){.path = xstrdup(path), .data = b, .held = 1, .regular = regular && !is_stdin,
                                 .len = b.len, .hash = hash64_update(0, b.data, b.len)};
}

const char *input_cached(const char *path, size_t *len) {
    Input *in = find(path);
    if (!in || !in->held) return NULL;
    *len = in->data.len;
    return in->data.data ? in->data.data : "";
}

void input_release(const char *path) {
    Input *in = find(path);
    if (!in || !in->held || !in->regular) return;
    buf_free(&in->data);
    in->held = 0;
}

void input_fingerprint(const char *path, size_t *len, uint64_t *hash) {
    if (!find(path)) {
        input_read(path);
        input_release(path);
    }
    const Input *in = find(path);
    *len = in->len;
    *hash = in->hash;
}
