/* nmt-align — statistical word alignment (the fast_align model, both
 * directions), symmetrization and alignment error rate. See src/align/ and --help. */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "align/pipeline.h"
#include "common/tool.h"
#include "core/util.h"

static const char USAGE[] =
    "usage: nmt-align --src F --tgt F [-o OUT] [training options]\n"
    "       nmt-align --symmetrize METHOD --forward A --reverse B [-o OUT] [--src F --tgt F]\n"
    "       nmt-align --score GOLD [--gold-format talp|pharaoh] [--hyp FILE] [--src F --tgt F] < HYP\n"
    "\n"
    "Training: learns IBM Model 2 with a diagonal prior (the fast_align model) by\n"
    "EM on a tokenized, line-parallel corpus (tokens split on whitespace) and writes\n"
    "each pair's Viterbi alignment, one line per pair, in Pharaoh format: 0-based\n"
    "links SRC-TGT (\"0-0 1-2 2-1\"). The forward model gives each target word at\n"
    "most one source word, the reverse model each source word one target word;\n"
    "with both, OUT gets their symmetrization.\n";
static const char EPILOG[] =
    "\n"
    "Symmetrizing: combines two existing Pharaoh files (forward and reverse, both\n"
    "written SRC-TGT) with METHOD. Given --src/--tgt, the links are checked against\n"
    "the sentence lengths, which also bound the grid; otherwise the largest index does.\n"
    "\n"
    "Scoring: prints the alignment error rate, precision and recall of the\n"
    "hypothesis (0-based Pharaoh SRC-TGT, as written above; stdin or --hyp) against\n"
    "GOLD, summed over the corpus (Och & Ney 2003):\n"
    "  AER = 1 - (|A&S| + |A&P|) / (|A| + |S|), precision = |A&P|/|A|, recall = |A&S|/|S|\n"
    "with A the hypothesis, S the sure and P the sure plus possible gold links\n"
    "(\"i-j\" sure, \"ipj\" possible in GOLD).\n"
    "Output, for example:\n"
    "  AER 0.3512 precision 0.6834 recall 0.6112\n"
    "  sentences 200 hypothesis 4012 sure 3490 possible 5123 hyp&sure 2133 hyp&possible 2742\n"
    "(possible counts the sure links too, as P does).\n"
    "\n"
    "Bad input stops with FILE:LINE: message (malformed links, an index beyond its\n"
    "sentence, files of different line counts).\n";

static const char *const DIRECTION_NAMES[] = {"forward", "reverse", "both", NULL};
static const char *const GOLD_FORMAT_NAMES[] = {"pharaoh", "talp", NULL}; /* the index is the base */

typedef struct {
    const char *src, *tgt, *output, *forward_out, *reverse_out, *forward, *reverse, *gold, *hyp;
    int direction, method, gold_base, fixed_tension, verbose;
    Ibm2Options ibm2;
} Args;

#define A(member) offsetof(Args, member)
static const FieldSpec TOOL_FIELDS[] = {
    {NULL, "--src", FIELD_INPUT, A(src), .section = "", .help = "the corpus' source side"},
    {NULL, "--tgt", FIELD_INPUT, A(tgt), .section = "", .help = "its target side"},
    {NULL, "--output", FIELD_OUTPUT, A(output), .alias = "-o", .flags = FIELD_STDIO, .section = "",
     .help = "where the alignment goes (default stdout)"},
    {NULL, "--direction", FIELD_ENUM, A(direction), 2, 0, 2, NULL, DIRECTION_NAMES, .metavar = "D", .section = "",
     .help = "forward, reverse or both"},
    {NULL, "--symmetrize", FIELD_ENUM, A(method), -1, 0, 4, NULL, SYM_METHOD_CHOICES, .metavar = "METHOD",
     .section = "", .help = "how both directions combine (default grow-diag-final-and):\n" SYM_METHOD_NAMES},
    {NULL, "--forward-out", FIELD_OUTPUT, A(forward_out), .section = "", .help = "also write the forward alignment"},
    {NULL, "--reverse-out", FIELD_OUTPUT, A(reverse_out), .section = "", .help = "also write the reverse alignment"},
    {NULL, "--fixed-tension", FIELD_INT, A(fixed_tension), 0, 0, 1, .flags = FIELD_SWITCH, .section = "",
     .help = "keep lambda fixed instead of re-estimating it"},
    {NULL, "--verbose", FIELD_INT, A(verbose), 0, 0, 1, .alias = "-v", .flags = FIELD_SWITCH, .section = "",
     .help = "a line per EM iteration on stderr"},
    {NULL, "--forward", FIELD_INPUT, A(forward), .metavar = "A", .section = "symmetrizing",
     .help = "the forward alignment (Pharaoh SRC-TGT)"},
    {NULL, "--reverse", FIELD_INPUT, A(reverse), .metavar = "B", .section = "symmetrizing",
     .help = "the reverse alignment (Pharaoh SRC-TGT)"},
    {NULL, "--score", FIELD_INPUT, A(gold), .metavar = "GOLD", .section = "scoring",
     .help = "score the hypothesis against the gold alignment GOLD"},
    {NULL, "--gold-format", FIELD_ENUM, A(gold_base), 1, 0, 1, NULL, GOLD_FORMAT_NAMES, .section = "scoring",
     .help = "talp: GOLD counts from 1; pharaoh: from 0"},
    {NULL, "--hyp", FIELD_INPUT, A(hyp), .flags = FIELD_STDIO, .section = "scoring",
     .help = "the hypothesis (default stdin)"},
};
#undef A
static const char *const SECTIONS[] = {"", "symmetrizing", "scoring", NULL};

int main(int argc, char **argv) {
    set_program_name(argv[0]);
    const CliTable tables[] = {{TOOL_FIELDS, (int)(sizeof TOOL_FIELDS / sizeof TOOL_FIELDS[0]), 0},
                               {IBM2_OPTION_FIELDS, IBM2_OPTION_NFIELDS, offsetof(Args, ibm2)}};
    const CliCommand cmd = {USAGE, tables, 2, SECTIONS, EPILOG, NULL, 0, 0};
    Args a;
    memset(&a, 0, sizeof a);
    fields_set_defaults(TOOL_FIELDS, tables[0].n, &a);
    ibm2_options_default(&a.ibm2);
    a.hyp = "-";
    a.output = "-";
    tool_parse(&cmd, argc, argv, &a, NULL);
    if (a.fixed_tension) a.ibm2.optimize_lambda = 0;
    AlignTrainJob job = {0};
    job.opt = a.ibm2;
    job.src = a.src;
    job.tgt = a.tgt;
    job.forward_out = a.forward_out;
    job.reverse_out = a.reverse_out;
    const char *fwd = a.forward, *rev = a.reverse, *gold = a.gold, *hyp = a.hyp, *out = a.output;
    const int method_given = a.method >= 0;
    SymMethod method = method_given ? (SymMethod)a.method : SYM_GROW_DIAG_FINAL_AND;
    if (!job.src != !job.tgt) die("--src and --tgt go together");
    char err[512];

    if (gold) {
        if (fwd || rev) die("--score does not combine with --forward/--reverse");
        AerCounts k;
        if (align_score_files(gold, a.gold_base, hyp, job.src, job.tgt, &k, err, sizeof err) != 0) die("%s", err);
        printf("AER %.4f precision %.4f recall %.4f\n", aer_value(&k), aer_precision(&k), aer_recall(&k));
        printf("sentences %ld hypothesis %ld sure %ld possible %ld hyp&sure %ld hyp&possible %ld\n", k.sentences,
               k.hyp, k.sure, k.possible, k.hyp_sure, k.hyp_possible);
        tool_flush_stdout();
        return 0;
    }
    if (fwd || rev) {
        if (!fwd || !rev) die("symmetrizing needs both --forward and --reverse");
        if (!method_given) die("--forward/--reverse need --symmetrize METHOD (one of %s)", SYM_METHOD_NAMES);
        if (align_symmetrize_files(fwd, rev, job.src, job.tgt, method, out, err, sizeof err) != 0) die("%s", err);
        return 0;
    }
    if (!job.src) die("nothing to do: give --src and --tgt to train, --forward/--reverse, or --score (try --help)");
    job.forward = a.direction != 1;
    job.reverse = a.direction != 0;
    if (method_given && !(job.forward && job.reverse)) die("--symmetrize needs --direction both");
    if (job.forward_out && !job.forward) die("--forward-out needs the forward direction");
    if (job.reverse_out && !job.reverse) die("--reverse-out needs the reverse direction");
    job.method = method;
    job.out = out;
    job.log = a.verbose ? stderr : NULL;
    if (align_train_files(&job, err, sizeof err) != 0) die("%s", err);
    return 0;
}
