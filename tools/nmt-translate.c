/* nmt-translate — translate raw text with a trained model. */
#include <errno.h>
#include <omp.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/output.h"
#include "common/tool.h"
#include "core/blas.h"
#include "core/util.h"
#include "search/shortlist.h"
#include "translate/translator.h"

static const char USAGE[] =
    "usage: nmt-translate -m MODEL [--beam N] [--nbest N] [--length-penalty A] [--max-length-ratio R]\n"
    "                     [--batch N] [--threads N] [--attention FILE] [--attention-format jsonl|tsv|npy|html]\n"
    "                     [--alignment hard|soft] [-i FILE] [-o FILE]\n"
    "\n"
    "Reads raw text, one sentence per line (stdin or -i), and writes one detokenized\n"
    "translation per input line, in order (stdout or -o); an empty line gives an empty\n"
    "line. Lines are translated in chunks, so output starts before a long input is\n"
    "read to the end (line by line when the input is a terminal).\n"
    "\n";

typedef struct {
    const char *model, *input, *output, *attention, *shortlist;
    int attention_format, precision;
    TranslateOptions opt;
} Args;

#define A(member) offsetof(Args, member)
static const FieldSpec TOOL_FIELDS[] = {
    {NULL, "--model", FIELD_INPUT, A(model), .alias = "-m", .metavar = "MODEL", .flags = FIELD_MANDATORY,
     .section = "", .help = "model file from nmt-train"},
    {NULL, "--precision", FIELD_ENUM, A(precision), 0, 0, 1, NULL, GEMM_PRECISION_NAMES, .section = "speed",
     .help = "the products' precision (default bf16 on CPUs\n"
             "that compute it natively, else fp32; or NMT_GEMM_PRECISION);\n"
             "bf16 keeps a bf16 copy of the weights, made once at load"},
    {NULL, "--shortlist", FIELD_INPUT, A(shortlist), .section = "speed",
     .help = "compute the output layer only over each batch's lexical\n"
             "shortlist from nmt-shortlist (the candidates of its source\n"
             "tokens, the frequent target tokens and </s>)"},
    {NULL, "--input", FIELD_INPUT, A(input), .alias = "-i", .flags = FIELD_STDIO, .section = "output",
     .help = "input text (default stdin)"},
    {NULL, "--output", FIELD_OUTPUT, A(output), .alias = "-o", .flags = FIELD_STDIO, .section = "output",
     .help = "output file, written atomically (default stdout)"},
    {NULL, "--attention", FIELD_OUTPUT, A(attention), .flags = FIELD_DIRECTORY, .section = "output",
     .help = "dump, for every line, the attention of its (best)\n"
             "translation: target x source subword tokens, one row per\n"
             "output token and </s>, each row summing to 1, with the tokens"},
    {NULL, "--attention-format", FIELD_ENUM, A(attention_format), -1, 0, 3, NULL, ATTDUMP_FORMAT_NAMES,
     .metavar = "F", .section = "output",
     .help = "jsonl: one JSON object per line {id, src, tgt, src_tokens,\n"
             "tgt_tokens, attention}; tsv: a labelled block per sentence;\n"
             "npy: FILE is a directory of NNNNNN.npy (float32) and\n"
             "NNNNNN.json (tokens) per sentence; html: one self-contained\n"
             "page with a heatmap per sentence (with --alignment, the\n"
             "cells of the printed word links are outlined; gold links\n"
             "can be marked on forced alignments: nmt-score\n"
             "--gold-alignment). Default: from the FILE's\n"
             "extension (.jsonl .tsv .html .npy), else jsonl. Ids are\n"
             "1-based line numbers"},
};
#undef A

static const char *const SECTIONS[] = {"", "search", "speed", "output", "input errors", NULL};

int main(int argc, char **argv) {
    blas_setup(argv);
    set_program_name(argv[0]);
    const CliTable tables[] = {{SEARCH_OPTION_FIELDS, SEARCH_OPTION_NFIELDS, offsetof(Args, opt.search)},
                               {TRANSLATE_OPTION_FIELDS, TRANSLATE_OPTION_NFIELDS, offsetof(Args, opt)},
                               {TOOL_FIELDS, (int)(sizeof TOOL_FIELDS / sizeof TOOL_FIELDS[0]), 0}};
    const CliCommand cmd = {USAGE, tables, 3, SECTIONS, NULL, NULL, 0, 0};
    Args a;
    memset(&a, 0, sizeof a);
    fields_set_defaults(TOOL_FIELDS, tables[2].n, &a);
    translate_options_default(&a.opt);
    a.opt.threads = omp_get_num_procs();
    a.precision = (int)gemm_preferred_precision(); /* bf16 on CPUs that compute it natively */
    a.input = "-";
    CliGiven given;
    tool_parse(&cmd, argc, argv, &a, &given);
    gemm_set_precision((GemmPrecision)a.precision);
    TranslateOptions o = a.opt;
    const char *model_path = a.model, *in_path = a.input, *out_path = a.output, *att_path = a.attention,
               *shortlist_path = a.shortlist;
    const char *att_format = a.attention_format >= 0 ? ATTDUMP_FORMAT_NAMES[a.attention_format] : NULL;
    int nbest_given = cli_given(&given, "--nbest");
    if (nbest_given && o.search.nbest > o.search.beam)
        die("--nbest %d is larger than the beam (%d): use --beam %d or more", o.search.nbest, o.search.beam,
            o.search.nbest);
    o.print_nbest = nbest_given;
    AttDumpFormat fmt = tool_attention_format(att_path, att_format);


    char err[1024];
    if (translate_options_check(&o, err, sizeof err) != 0) die("%s", err);
    Model *m = model_load(model_path, NULL, err, sizeof err);
    if (!m) die("%s", err);
    Shortlist shortlist;
    if (shortlist_path) {
        if (shortlist_load(&shortlist, shortlist_path, m, err, sizeof err) != 0) die("%s", err);
        o.search.shortlist = &shortlist;
    }
    /* bf16 products: convert the weights once, not per product */
    const int bf16 = gemm_precision() == GEMM_BF16;
    if (bf16) gemm_weights_register(m->params, model_num_params(&m->cfg));
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
    if (bf16) gemm_weights_forget(m->params);
    model_free(m);
    return 0;
}
