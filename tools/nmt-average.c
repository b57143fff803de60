/* nmt-average — checkpoint averaging: one model whose weights are the mean
 * of several models' weights. See src/model/average.h and --help. */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/tool.h"
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
    "\n";

typedef struct {
    const char *output;
    const char **models;
    int n;
} Args;

static const FieldSpec FIELDS[] = {
    {NULL, "--output", FIELD_OUTPUT, offsetof(Args, output), .alias = "-o", .metavar = "OUT",
     .flags = FIELD_MANDATORY, .section = "", .help = "the averaged model"},
};
static const CliTable TABLES[] = {{FIELDS, 1, 0}};
static const char *const SECTIONS[] = {"", NULL};
static const CliCommand COMMAND = {USAGE, TABLES, 1, SECTIONS, NULL, "MODEL", offsetof(Args, models),
                                   offsetof(Args, n)};

int main(int argc, char **argv) {
    set_program_name(argv[0]);
    Args a = {0};
    tool_parse(&COMMAND, argc, argv, &a, NULL);
    if (a.n < 2) die("give at least two models to average (see --help)");
    const char *out = a.output;
    const char **inputs = a.models;
    const int n = a.n;
    char err[1024];
    Model *m = model_average(inputs, n, err, sizeof err);
    if (!m) die("%s", err);
    if (model_save(m, out, NULL, 0, err, sizeof err) != 0) die("%s", err);
    fprintf(stderr, "%s: %s = mean of %d models\n", program_name(), out, n);
    model_free(m);
    cli_free(&COMMAND, &a);
    return 0;
}
