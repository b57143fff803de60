/* nmt-average — checkpoint averaging: one model whose weights are the mean
 * of several models' weights. See src/model/average.h and --help. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/paths.h"
#include "core/util.h"
#include "model/average.h"

static const char USAGE[] =
    "usage: nmt-average -o OUT MODEL MODEL [MODEL ...]\n"
    "\n"
    "Writes OUT (atomically), a model whose weights are the element-wise mean of\n"
    "the given models' weights. The models must share the architecture and the\n"
    "vocabulary: typically the last few snapshots of one run, which\n"
    "nmt-train --keep-snapshots writes as MODEL.uN at every validation, e.g.\n"
    "  nmt-average -o model.avg model.u6300 model.u6750 model.u7200\n"
    "\n"
    "  -o, --output OUT   the averaged model\n"
    "  -h, --help         this help\n";

int main(int argc, char **argv) {
    set_program_name(argv[0]);
    const char *out = NULL;
    const char **inputs = xmalloc((size_t)argc * sizeof *inputs);
    int n = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            fputs(USAGE, stdout);
            free(inputs);
            return 0;
        }
        if (!strcmp(a, "-o") || !strcmp(a, "--output")) {
            if (i + 1 >= argc) die("%s needs a value (see --help)", a);
            out = argv[++i];
        } else if (a[0] == '-' && a[1]) {
            die("unknown option %s (see --help)", a);
        } else {
            inputs[n++] = a;
        }
    }
    if (!out) die("-o OUT is required (see --help)");
    if (n < 2) die("give at least two models to average (see --help)");
    paths_refuse_overwrite(inputs, n, &out, 1);
    char err[1024];
    Model *m = model_average(inputs, n, err, sizeof err);
    if (!m) die("%s", err);
    if (model_save(m, out, NULL, 0, err, sizeof err) != 0) die("%s", err);
    fprintf(stderr, "%s: %s = mean of %d models\n", program_name(), out, n);
    model_free(m);
    free(inputs);
    return 0;
}
