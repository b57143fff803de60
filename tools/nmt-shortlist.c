/* nmt-shortlist — build a lexical shortlist for nmt-translate --shortlist. */
#include <omp.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "common/tool.h"
#include "core/blas.h"
#include "core/util.h"
#include "search/shortlist.h"

static const char USAGE[] =
    "usage: nmt-shortlist -m MODEL --src F --tgt F -o SHORTLIST [--best K] [--frequent N] [--threads N]\n"
    "\n"
    "Learns, from line-parallel raw training text tokenized with MODEL's vocabulary,\n"
    "which target tokens translate each source token: IBM Model 2 with a diagonal\n"
    "prior (as nmt-align) gives p(target token | source token), and each source token\n"
    "keeps its K most probable target tokens. The N most frequent target tokens of the\n"
    "vocabulary are always allowed. nmt-translate --shortlist SHORTLIST then computes\n"
    "the output layer only over the union of the candidates of a batch's source tokens,\n"
    "the frequent tokens and </s>.\n"
    "\n";

typedef struct {
    const char *model, *src, *tgt, *output;
    int best, frequent, threads;
} Args;

#define A(member) offsetof(Args, member)
static const FieldSpec FIELDS[] = {
    {NULL, "--model", FIELD_INPUT, A(model), .alias = "-m", .metavar = "MODEL", .flags = FIELD_MANDATORY,
     .section = "", .help = "model file (its vocabulary tokenizes the text)"},
    {NULL, "--src", FIELD_INPUT, A(src), .flags = FIELD_MANDATORY, .section = "",
     .help = "the training text's source side, one sentence per line"},
    {NULL, "--tgt", FIELD_INPUT, A(tgt), .flags = FIELD_MANDATORY, .section = "", .help = "its target side"},
    {NULL, "--output", FIELD_OUTPUT, A(output), .alias = "-o", .flags = FIELD_MANDATORY, .section = "",
     .help = "the shortlist, written atomically"},
    {NULL, "--best", FIELD_INT, A(best), 100, 1, 1 << 20, .metavar = "K", .section = "",
     .help = "candidates per source token"},
    {NULL, "--frequent", FIELD_INT, A(frequent), 1000, 0, 1 << 24, .section = "",
     .help = "target tokens always allowed"},
    {NULL, "--threads", FIELD_INT, A(threads), 1, 1, 1024, .section = "",
     .help = "OpenMP threads for the aligner (default: all cores); the\n"
             "shortlist does not depend on it"},
};
#undef A
static const CliTable TABLES[] = {{FIELDS, (int)(sizeof FIELDS / sizeof FIELDS[0]), 0}};
static const char *const SECTIONS[] = {"", NULL};
static const CliCommand COMMAND = {USAGE, TABLES, 1, SECTIONS, NULL, NULL, 0, 0};

int main(int argc, char **argv) {
    blas_setup(argv);
    set_program_name(argv[0]);
    Args a;
    memset(&a, 0, sizeof a);
    fields_set_defaults(FIELDS, TABLES[0].n, &a);
    a.threads = omp_get_num_procs();
    tool_parse(&COMMAND, argc, argv, &a, NULL);
    const char *model_path = a.model, *src = a.src, *tgt = a.tgt, *out = a.output;
    const int best = a.best, frequent = a.frequent, threads = a.threads;
    char err[1024];
    Model *m = model_load(model_path, NULL, err, sizeof err);
    if (!m) die("%s", err);
    omp_set_num_threads(threads);
    Shortlist sl;
    double t0 = now_seconds();
    if (shortlist_build(m, src, tgt, best, frequent, threads, &sl, err, sizeof err) != 0) die("%s", err);
    if (shortlist_save(&sl, out, err, sizeof err) != 0) die("%s", err);
    fprintf(stderr, "%s: %d frequent target tokens, %d candidates for %d source tokens, in %.1f s; wrote %s\n",
            program_name(), sl.n_frequent, sl.start[sl.Vs], sl.Vs, now_seconds() - t0, out);
    shortlist_free(&sl);
    model_free(m);
    return 0;
}
