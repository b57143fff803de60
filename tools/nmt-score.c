/* nmt-score — the model's log-probability of given translations, and
 * forced-alignment attention dumps. */
#include <errno.h>
#include <omp.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/output.h"
#include "common/tool.h"
#include "nn/blas.h"
#include "sys/atomic.h"
#include "sys/lines.h"
#include "sys/util.h"
#include "translate/scorer.h"
#include "vocab/corpus.h"

static const char USAGE[] =
    "usage: nmt-score -m MODEL --src FILE --tgt FILE [--batch N] [--threads N]\n"
    "                 [-m MODEL2 ... [--weights W1,W2,...] [--attention-model K]]\n"
    "                 [--attention FILE] [--attention-format jsonl|tsv|npy|html] [-o FILE]\n"
    "                 [--alignment hard|soft [--alignment-out FILE] [--alignment-row current|next]]\n"
    "                 [--gold-alignment TALP]\n"
    "                 [--optimize-steps N [--optimize-rate R] [--contiguity W]\n"
    "                  [--reverse-model MODEL [--agreement W] [--reverse-alignment-out FILE]]]\n"
    "\n"
    "Scores each line pair (line i of --tgt as a translation of line i of --src) with\n"
    "the model by teacher forcing, and prints one line per pair, in order:\n"
    "  LOGPROB<TAB>LENGTH\n"
    "LOGPROB is the natural-log probability of the target given the source (summed\n"
    "over the target tokens and the final </s>), LENGTH the number of target tokens\n"
    "including </s>. A pair with an empty source gives an empty line and is not\n"
    "counted. At the end a summary goes to stderr:\n"
    "  nmt-score: N pairs scored, T target tokens, log-prob L, perplexity P\n"
    "with the corpus perplexity P = exp(-(sum of LOGPROB) / (sum of LENGTH)).\n"
    "\n"
    "With -m given more than once the models score as an ensemble: each token's\n"
    "log-probability is the weighted average of the models' (--weights W1,W2,...,\n"
    "one positive weight per -m, default all equal), so LOGPROB is the weighted\n"
    "average of the models' own LOGPROBs. The models must share the vocabulary.\n"
    "\n"
    "";

typedef struct {
    DecodeArgs d; /* -m, --precision, --attention, --attention-format */
    const char *src, *tgt, *output, *alignment_out, *gold, *reverse_model, *reverse_out;
    ScoreOptions opt;
} Args;

#define A(member) offsetof(Args, member)
static const FieldSpec TOOL_FIELDS[] = {
    {NULL, "--src", FIELD_INPUT, A(src), .flags = FIELD_MANDATORY | FIELD_STDIO, .section = "",
     .help = "source text, one sentence per line ('-' for stdin)"},
    {NULL, "--tgt", FIELD_INPUT, A(tgt), .flags = FIELD_MANDATORY | FIELD_STDIO, .section = "",
     .help = "target text, same number of lines"},
    {NULL, "--output", FIELD_OUTPUT, A(output), .alias = "-o", .flags = FIELD_STDIO, .section = "",
     .help = "write the scores there, atomically (default stdout)"},
    {NULL, "--gold-alignment", FIELD_INPUT, A(gold), .metavar = "TALP", .section = "attention",
     .help = "with an html attention dump: mark gold links (talp: 1-based,\n"
             "i-j sure, ipj possible, one line per pair) on the heatmaps,\n"
             "beside the outlined cells of the model's own hard alignment"},
    {NULL, "--alignment-out", FIELD_OUTPUT, A(alignment_out), .section = "alignment",
     .help = "write the alignments there instead, one line per pair (empty\n"
             "for a pair not scored), as nmt-align --score and --symmetrize\n"
             "read them; the score lines stay as without --alignment"},
    {NULL, "--reverse-model", FIELD_INPUT, A(reverse_model), .metavar = "MODEL", .section = "alignment",
     .help = "with --optimize-steps: the model of the other direction (trained\n"
             "--tgt -> --src with the same joint vocabulary and an alignment\n"
             "layer); both directions' rows are optimized together"},
    {NULL, "--reverse-alignment-out", FIELD_OUTPUT, A(reverse_out), .section = "alignment",
     .help = "with --reverse-model: write its optimized links there, one line\n"
             "per pair, as SRC-TGT pairs of this direction (ready for\n"
             "nmt-align --symmetrize --reverse)"},
};
#undef A
static const char *const SECTIONS[] = {"", "attention", "alignment", "input errors", NULL};

int main(int argc, char **argv) {
    blas_setup(argv);
    set_program_name(argv[0]);
    const CliTable tables[] = {{DECODE_FIELDS, DECODE_NFIELDS, offsetof(Args, d)},
                               {TOOL_FIELDS, (int)(sizeof TOOL_FIELDS / sizeof TOOL_FIELDS[0]), 0},
                               {SCORE_OPTION_FIELDS, SCORE_OPTION_NFIELDS, offsetof(Args, opt)}};
    const CliCommand cmd = {USAGE, tables, 3, SECTIONS, NULL, NULL, 0, 0};
    Args a;
    memset(&a, 0, sizeof a);
    fields_set_defaults(TOOL_FIELDS, tables[1].n, &a);
    decode_args_default(&a.d);
    score_options_default(&a.opt);
    a.opt.threads = omp_get_num_procs();
    tool_parse(&cmd, argc, argv, &a, NULL);
    const AttDumpFormat fmt = decode_args_apply(&a.d);
    ScoreOptions o = a.opt;
    const char *model_path = a.d.models[0], *src_path = a.src, *tgt_path = a.tgt, *out_path = a.output,
               *att_path = a.d.attention, *align_out = a.alignment_out, *gold_path = a.gold;
    if (!strcmp(src_path, "-") && !strcmp(tgt_path, "-")) die("--src and --tgt cannot both be stdin");
    if ((align_out || o.align_next) && o.alignment == ALIGN_NONE)
        die("--alignment-out and --alignment-row need --alignment hard|soft");
    if (gold_path && (!att_path || fmt != ATTDUMP_HTML)) die("--gold-alignment needs an html --attention dump");
    if (a.reverse_out && !a.reverse_model) die("--reverse-alignment-out needs --reverse-model");

    char err[1024];
    Model *m = decode_args_load(&a.d);
    o.model_name = a.d.models[a.d.attention_model > 1 ? a.d.attention_model - 1 : 0]; /* the attention's model */
    Model *reverse = NULL;
    if (a.reverse_model) { /* the other direction: one model, loaded as -m would be */
        DecodeArgs rd = a.d;
        const char *path[2] = {a.reverse_model, NULL};
        rd.models = path, rd.weights = NULL, rd.attention_model = 1;
        reverse = decode_args_load(&rd);
        o.reverse = reverse, o.reverse_name = a.reverse_model;
    }
    if (score_options_check(m, &o, err, sizeof err) != 0) die("%s", err); /* before any output */
    /* files of different lengths are refused before any output; both are
     * read once, so pipes work (sys/input.h) */
    corpus_check_line_counts(src_path, tgt_path);
    LineReader src, tgt;
    if (linereader_open(&src, src_path) != 0) die("%s: cannot open: %s", src_path, strerror(errno));
    if (linereader_open(&tgt, tgt_path) != 0) die("%s: cannot open: %s", tgt_path, strerror(errno));
    char title[512];
    snprintf(title, sizeof title, "Forced alignment: %s", model_path);
    ToolOutput output;
    tool_output_open(&output, out_path, att_path, fmt, title);
    AtomicFile af = {0};
    if (align_out) {
        if (atomic_open(&af, align_out, err, sizeof err) != 0) die("%s", err);
        o.align_out = af.f;
        o.align_out_name = align_out;
    }
    AtomicFile raf = {0};
    if (a.reverse_out) {
        if (atomic_open(&raf, a.reverse_out, err, sizeof err) != 0) {
            if (align_out) atomic_abort(&af);
            die("%s", err);
        }
        o.reverse_out = raf.f;
        o.reverse_out_name = a.reverse_out;
    }
    if (output.dump && (o.alignment != ALIGN_NONE || gold_path)) attdump_mark_alignment(output.dump);
    if (gold_path && attdump_load_gold(output.dump, gold_path, src_path, tgt_path, err, sizeof err) != 0) {
        if (align_out) atomic_abort(&af);
        if (a.reverse_out) atomic_abort(&raf);
        tool_output_finish(&output, -1, err);
    }
    ScoreStats st;
    int rc = score_stream(m, &o, &src, &tgt, output.out, output.dump, &st, err, sizeof err);
    if (align_out) {
        if (rc != 0) atomic_abort(&af);
        else if (atomic_commit(&af, err, sizeof err) != 0) rc = -1;
    }
    if (a.reverse_out) {
        if (rc != 0) atomic_abort(&raf);
        else if (atomic_commit(&raf, err, sizeof err) != 0) rc = -1;
    }
    tool_output_finish(&output, rc, err);
    if (!o.quiet) {
        fprintf(stderr, "%s: %ld pair%s scored, %ld target tokens, log-prob %.4f, perplexity %.4f", program_name(),
                st.scored, st.scored == 1 ? "" : "s", st.tokens, st.logprob, score_perplexity(&st));
        if (st.empty) fprintf(stderr, " (%ld pairs with an empty source left out)", st.empty);
        fputc('\n', stderr);
    }
    tool_report_invalid(st.invalid, "pair", st.first_invalid);
    linereader_close(&src);
    linereader_close(&tgt);
    decode_args_unload(m);
    decode_args_unload(reverse);
    cli_free(&cmd, &a);
    return 0;
}
