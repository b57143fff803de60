/* nmt-align — statistical word alignment (the fast_align model, both
 * directions), symmetrization and alignment error rate. See src/align/ and --help. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "align/pipeline.h"
#include "core/util.h"

static void usage(FILE *f) {
    fprintf(f,
            "usage: nmt-align --src F --tgt F [-o OUT] [training options]\n"
            "       nmt-align --symmetrize METHOD --forward A --reverse B [-o OUT] [--src F --tgt F]\n"
            "       nmt-align --score GOLD [--gold-format talp|pharaoh] [--hyp FILE] [--src F --tgt F] < HYP\n"
            "\n"
            "Training: learns IBM Model 2 with a diagonal prior (the fast_align model) by\n"
            "EM on a tokenized, line-parallel corpus (tokens split on whitespace) and writes\n"
            "each pair's Viterbi alignment, one line per pair, in Pharaoh format: 0-based\n"
            "links SRC-TGT (\"0-0 1-2 2-1\"). The forward model gives each target word at\n"
            "most one source word, the reverse model each source word one target word;\n"
            "with both, OUT gets their symmetrization.\n"
            "  --src FILE, --tgt FILE   the corpus (source and target side)\n"
            "  -o, --output FILE        where the alignment goes (default stdout)\n"
            "  --direction D            forward, reverse or both (default both)\n"
            "  --symmetrize METHOD      how both directions combine (default grow-diag-final-and):\n"
            "                           " SYM_METHOD_NAMES "\n"
            "  --forward-out FILE       also write the forward alignment\n"
            "  --reverse-out FILE       also write the reverse alignment\n"
            "  --iterations N           EM iterations (default 5)\n"
            "  --p0 P                   probability of aligning to NULL (default 0.15; 0: no NULL)\n"
            "  --tension L              initial diagonal tension lambda (default 4)\n"
            "  --fixed-tension          keep lambda fixed instead of re-estimating it\n"
            "  --alpha A                variational Bayes with a Dirichlet(A) prior on t\n"
            "                           (default 0.01; 0: plain maximum-likelihood EM)\n"
            "  --threads N              OpenMP threads (results are identical for any N)\n"
            "  -v, --verbose            a line per EM iteration on stderr\n"
            "\n"
            "Symmetrizing: combines two existing Pharaoh files (forward and reverse, both\n"
            "written SRC-TGT) with METHOD. Given --src/--tgt, the links are checked against\n"
            "the sentence lengths, which also bound the grid; otherwise the largest index does.\n"
            "\n"
            "Scoring: prints the alignment error rate, precision and recall of the\n"
            "hypothesis (0-based Pharaoh SRC-TGT, as written above; stdin or --hyp) against\n"
            "GOLD, summed over the corpus (Och & Ney 2003):\n"
            "  AER = 1 - (|A&S| + |A&P|) / (|A| + |S|), precision = |A&P|/|A|, recall = |A&S|/|S|\n"
            "with A the hypothesis, S the sure and P the sure plus possible gold links.\n"
            "  --gold-format talp       GOLD counts from 1, \"i-j\" sure, \"ipj\" possible (default)\n"
            "  --gold-format pharaoh    GOLD counts from 0, \"i-j\" sure, \"ipj\" possible\n"
            "Output, for example:\n"
            "  AER 0.3512 precision 0.6834 recall 0.6112\n"
            "  sentences 200 hypothesis 4012 sure 3490 possible 5123 hyp&sure 2133 hyp&possible 2742\n"
            "(possible counts the sure links too, as P does).\n"
            "\n"
            "Bad input stops with FILE:LINE: message (malformed links, an index beyond its\n"
            "sentence, files of different line counts).\n"
            "  -h, --help               show this help\n");
}

int main(int argc, char **argv) {
    set_program_name(argv[0]);
    AlignTrainJob job = {0};
    ibm2_options_default(&job.opt);
    const char *direction = "both", *method_name = NULL, *fwd = NULL, *rev = NULL, *gold = NULL;
    const char *gold_format = "talp", *hyp = "-", *out = "-";
    int verbose = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            usage(stdout);
            return 0;
        }
        if (!strcmp(a, "--fixed-tension")) { job.opt.optimize_lambda = 0; continue; }
        if (!strcmp(a, "-v") || !strcmp(a, "--verbose")) { verbose = 1; continue; }
        if (a[0] != '-') die("unexpected argument %s (try --help)", a);
        if (i + 1 >= argc) die("%s needs a value (try --help)", a);
        const char *v = argv[++i];
        if (!strcmp(a, "--src")) job.src = v;
        else if (!strcmp(a, "--tgt")) job.tgt = v;
        else if (!strcmp(a, "-o") || !strcmp(a, "--output")) out = v;
        else if (!strcmp(a, "--direction")) direction = v;
        else if (!strcmp(a, "--symmetrize")) method_name = v;
        else if (!strcmp(a, "--forward-out")) job.forward_out = v;
        else if (!strcmp(a, "--reverse-out")) job.reverse_out = v;
        else if (!strcmp(a, "--iterations")) job.opt.iterations = (int)parse_long(a, v, 1, 1000);
        else if (!strcmp(a, "--p0")) job.opt.p0 = parse_double(a, v, 0, 0.999);
        else if (!strcmp(a, "--tension")) job.opt.lambda = parse_double(a, v, 0, 100);
        else if (!strcmp(a, "--alpha")) job.opt.alpha = parse_double(a, v, 0, 1e6);
        else if (!strcmp(a, "--threads")) job.opt.threads = (int)parse_long(a, v, 1, 1024);
        else if (!strcmp(a, "--forward")) fwd = v;
        else if (!strcmp(a, "--reverse")) rev = v;
        else if (!strcmp(a, "--score")) gold = v;
        else if (!strcmp(a, "--gold-format")) gold_format = v;
        else if (!strcmp(a, "--hyp")) hyp = v;
        else die("unknown option %s (try --help)", a);
    }
    SymMethod method = SYM_GROW_DIAG_FINAL_AND;
    if (method_name && sym_method_parse(method_name, &method) != 0)
        die("unknown --symmetrize method '%s' (one of %s)", method_name, SYM_METHOD_NAMES);
    if (!job.src != !job.tgt) die("--src and --tgt go together");
    char err[512];

    if (gold) {
        if (fwd || rev) die("--score does not combine with --forward/--reverse");
        int base;
        if (!strcmp(gold_format, "talp")) base = 1;
        else if (!strcmp(gold_format, "pharaoh")) base = 0;
        else die("unknown --gold-format '%s' (talp or pharaoh)", gold_format);
        AerCounts k;
        if (align_score_files(gold, base, hyp, job.src, job.tgt, &k, err, sizeof err) != 0) die("%s", err);
        printf("AER %.4f precision %.4f recall %.4f\n", aer_value(&k), aer_precision(&k), aer_recall(&k));
        printf("sentences %ld hypothesis %ld sure %ld possible %ld hyp&sure %ld hyp&possible %ld\n", k.sentences,
               k.hyp, k.sure, k.possible, k.hyp_sure, k.hyp_possible);
        if (fflush(stdout) != 0) die("cannot write the output");
        return 0;
    }
    if (fwd || rev) {
        if (!fwd || !rev) die("symmetrizing needs both --forward and --reverse");
        if (!method_name) die("--forward/--reverse need --symmetrize METHOD (one of %s)", SYM_METHOD_NAMES);
        if (align_symmetrize_files(fwd, rev, job.src, job.tgt, method, out, err, sizeof err) != 0) die("%s", err);
        return 0;
    }
    if (!job.src) die("nothing to do: give --src and --tgt to train, --forward/--reverse, or --score (try --help)");
    job.forward = !strcmp(direction, "forward") || !strcmp(direction, "both");
    job.reverse = !strcmp(direction, "reverse") || !strcmp(direction, "both");
    if (!job.forward && !job.reverse) die("unknown --direction '%s' (forward, reverse or both)", direction);
    if (method_name && !(job.forward && job.reverse)) die("--symmetrize needs --direction both");
    if (job.forward_out && !job.forward) die("--forward-out needs the forward direction");
    if (job.reverse_out && !job.reverse) die("--reverse-out needs the reverse direction");
    job.method = method;
    job.out = out;
    job.log = verbose ? stderr : NULL;
    if (align_train_files(&job, err, sizeof err) != 0) die("%s", err);
    return 0;
}
