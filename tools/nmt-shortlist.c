/* nmt-shortlist — build a lexical shortlist for nmt-translate --shortlist. */
#include <omp.h>
#include <stdio.h>
#include <string.h>

#include "core/args.h"
#include "core/blas.h"
#include "core/paths.h"
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
    "\n"
    "  -m, --model MODEL      model file (its vocabulary tokenizes the text)\n"
    "  --src F, --tgt F       the training text, one sentence per line\n"
    "  -o, --output FILE      the shortlist, written atomically\n"
    "  --best K               candidates per source token (default 100)\n"
    "  --frequent N           target tokens always allowed (default 1000)\n"
    "  --threads N            OpenMP threads for the aligner (default: all cores); the\n"
    "                         shortlist does not depend on it\n"
    "  -h, --help             this help\n";

static const char *const VALUE_FLAGS[] = {"-m",     "--model",    "--src",     "--tgt", "-o",
                                          "--output", "--best", "--frequent", "--threads", NULL};

int main(int argc, char **argv) {
    blas_setup(argv);
    set_program_name(argv[0]);
    const char *model_path = NULL, *src = NULL, *tgt = NULL, *out = NULL;
    int best = 100, frequent = 1000, threads = omp_get_num_procs();
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            fputs(USAGE, stdout);
            return 0;
        }
        const char *v = arg_value(argc, argv, &i, VALUE_FLAGS);
        if (!strcmp(a, "-m") || !strcmp(a, "--model")) model_path = v;
        else if (!strcmp(a, "--src")) src = v;
        else if (!strcmp(a, "--tgt")) tgt = v;
        else if (!strcmp(a, "-o") || !strcmp(a, "--output")) out = v;
        else if (!strcmp(a, "--best")) best = (int)parse_long(a, v, 1, 1 << 20);
        else if (!strcmp(a, "--frequent")) frequent = (int)parse_long(a, v, 0, 1 << 24);
        else if (!strcmp(a, "--threads")) threads = (int)parse_long(a, v, 1, 1024);
    }
    if (!model_path || !src || !tgt || !out) die("-m, --src, --tgt and -o are required (see --help)");
    const char *inputs[] = {model_path, src, tgt}, *outputs[] = {out};
    paths_refuse_overwrite(inputs, 3, outputs, 1);
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
