/* nmt-translate — translate raw text with a trained model. */
#include <errno.h>
#include <omp.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/output.h"
#include "common/tool.h"
#include "nn/blas.h"
#include "search/shortlist.h"
#include "sys/lines.h"
#include "sys/util.h"
#include "translate/translator.h"

static const char USAGE[] =
    "usage: nmt-translate -m MODEL [--beam N] [--nbest N] [--length-penalty A] [--max-length-ratio R]\n"
    "                     [--batch N] [--threads N] [--attention FILE] [--attention-format jsonl|tsv|npy|html]\n"
    "                     [--alignment hard|soft] [-i FILE] [-o FILE]\n"
    "                     [-m MODEL2 ... [--weights W1,W2,...] [--attention-model K]]\n"
    "\n"
    "Reads raw text, one sentence per line (stdin or -i), and writes one detokenized\n"
    "translation per input line, in order (stdout or -o); an empty line gives an empty\n"
    "line. Lines are translated in chunks, so output starts before a long input is\n"
    "read to the end (line by line when the input is a terminal).\n"
    "\n"
    "With -m given more than once the models translate as an ensemble: at every\n"
    "step each model scores the same hypotheses and the search ranks them by the\n"
    "weighted average of the models' log-probabilities (--weights W1,W2,..., one\n"
    "positive weight per -m, default all equal). The models must share the\n"
    "vocabulary; their architectures may differ. The attention and --alignment\n"
    "are those of one model (--attention-model K, default the first).\n"
    "\n";

typedef struct {
    DecodeArgs d; /* -m, --precision, --attention, --attention-format */
    const char *input, *output, *shortlist;
    TranslateOptions opt;
} Args;

#define A(member) offsetof(Args, member)
static const FieldSpec TOOL_FIELDS[] = {
    {NULL, "--shortlist", FIELD_INPUT, A(shortlist), .section = "speed",
     .help = "compute the output layer only over each batch's lexical\n"
             "shortlist from nmt-shortlist (the candidates of its source\n"
             "tokens, the frequent target tokens and </s>)"},
    {NULL, "--input", FIELD_INPUT, A(input), .alias = "-i", .flags = FIELD_STDIO, .section = "output",
     .help = "input text (default stdin)"},
    {NULL, "--output", FIELD_OUTPUT, A(output), .alias = "-o", .flags = FIELD_STDIO, .section = "output",
     .help = "output file, written atomically (default stdout)"},
};
#undef A

static const char *const SECTIONS[] = {"", "search", "speed", "output", "attention", "input errors", NULL};

int main(int argc, char **argv) {
    blas_setup(argv);
    set_program_name(argv[0]);
    const CliTable tables[] = {{SEARCH_OPTION_FIELDS, SEARCH_OPTION_NFIELDS, offsetof(Args, opt.search)},
                               {TRANSLATE_OPTION_FIELDS, TRANSLATE_OPTION_NFIELDS, offsetof(Args, opt)},
                               {DECODE_FIELDS, DECODE_NFIELDS, offsetof(Args, d)},
                               {TOOL_FIELDS, (int)(sizeof TOOL_FIELDS / sizeof TOOL_FIELDS[0]), 0}};
    const CliCommand cmd = {USAGE, tables, 4, SECTIONS, NULL, NULL, 0, 0};
    Args a;
    memset(&a, 0, sizeof a);
    fields_set_defaults(TOOL_FIELDS, tables[3].n, &a);
    decode_args_default(&a.d);
    translate_options_default(&a.opt);
    a.opt.threads = omp_get_num_procs();
    a.input = "-";
    CliGiven given;
    tool_parse(&cmd, argc, argv, &a, &given);
    const AttDumpFormat fmt = decode_args_apply(&a.d);
    TranslateOptions o = a.opt;
    const char *model_path = a.d.models[0], *in_path = a.input, *out_path = a.output, *att_path = a.d.attention,
               *shortlist_path = a.shortlist;
    int nbest_given = cli_given(&given, "--nbest");
    if (nbest_given && o.search.nbest > o.search.beam)
        die("--nbest %d is larger than the beam (%d): use --beam %d or more", o.search.nbest, o.search.beam,
            o.search.nbest);
    o.print_nbest = nbest_given;

    char err[1024];
    if (translate_options_check(&o, err, sizeof err) != 0) die("%s", err);
    Model *m = decode_args_load(&a.d);
    o.model_name = a.d.models[a.d.attention_model > 1 ? a.d.attention_model - 1 : 0]; /* the attention's model */
    if (translate_options_check_model(m, &o, err, sizeof err) != 0) die("%s", err); /* before any output */
    Shortlist shortlist;
    if (shortlist_path) {
        if (shortlist_load(&shortlist, shortlist_path, m, err, sizeof err) != 0) die("%s", err);
        o.search.shortlist = &shortlist;
    }
    LineReader in;
    if (linereader_open(&in, in_path) != 0) die("%s: cannot open: %s", in_path, strerror(errno));
    char title[512];
    snprintf(title, sizeof title, "Attention: %s", model_path);
    ToolOutput output;
    tool_output_open(&output, out_path, att_path, fmt, title);
    /* an html page then outlines the cells of the word links printed after " ||| " */
    if (output.dump && o.alignment != ALIGN_NONE) attdump_mark_alignment(output.dump);
    TranslateStats st;
    double t0 = now_seconds();
    int rc = translate_stream(m, &o, &in, output.out, output.dump, &st, err, sizeof err);
    double secs = now_seconds() - t0;
    tool_output_finish(&output, rc, err);
    if (!o.quiet) {
        fprintf(stderr, "%s: %ld lines, %ld translated", program_name(), st.lines, st.translated);
        if (st.empty) fprintf(stderr, ", %ld empty", st.empty);
        if (st.cut) fprintf(stderr, ", %ld cut to %d tokens", st.cut, o.max_src_len);
        fprintf(stderr, " in %.2f s (%.1f sentences/s; beam %d, %d thread%s)\n", secs,
                secs > 0 ? (double)st.translated / secs : 0.0, o.search.beam, o.threads, o.threads == 1 ? "" : "s");
    }
    tool_report_invalid(st.invalid, "line", st.first_invalid);
    linereader_close(&in);
    if (shortlist_path) shortlist_free(&shortlist);
    decode_args_unload(m);
    cli_free(&cmd, &a);
    return 0;
}
