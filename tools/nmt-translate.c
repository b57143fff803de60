/* nmt-translate — translate raw text with a trained model. */
#include <errno.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/args.h"
#include "core/blas.h"
#include "core/paths.h"
#include "core/util.h"
#include "search/shortlist.h"
#include "translate/output.h"
#include "translate/translator.h"

static const char *USAGE =
    "usage: nmt-translate -m MODEL [--beam N] [--nbest N] [--length-penalty A] [--max-length-ratio R]\n"
    "                     [--batch N] [--threads N] [--attention FILE] [--attention-format jsonl|tsv|npy|html]\n"
    "                     [--alignment hard|soft] [-i FILE] [-o FILE]\n"
    "\n"
    "Reads raw text, one sentence per line (stdin or -i), and writes one detokenized\n"
    "translation per input line, in order (stdout or -o); an empty line gives an empty\n"
    "line. Lines are translated in chunks, so output starts before a long input is\n"
    "read to the end (line by line when the input is a terminal).\n"
    "\n"
    "search:\n"
    "  -m, --model MODEL      model file from nmt-train\n"
    "  --beam N               beam size (default 5); 1 is greedy decoding\n"
    "  --nbest N              print the N best distinct translations per line (N <= beam)\n"
    "                         as Moses n-best lines \"ID ||| translation ||| score\", ID\n"
    "                         0-based, best first (an empty line gives one entry with\n"
    "                         an empty translation and score 0)\n"
    "  --length-penalty A     rank finished hypotheses by logprob / length^A, length\n"
    "                         counting the final </s> (default 0.6; 0 = raw logprob)\n"
    "  --max-length-ratio R   at most R x source tokens + 10 output tokens, and never\n"
    "                         more than 1024 (default 2)\n"
    "  --max-src-len N        translate only the first N tokens of a longer line, with a\n"
    "                         warning (default 512)\n"
    "speed:\n"
    "  --batch N              sentences decoded together (default 32; scores may differ\n"
    "                         in the last digits between batch sizes)\n"
    "  --threads N            batches decoded in parallel (default: all cores); the\n"
    "                         output does not depend on it\n"
    "  --precision fp32|bf16  the products' precision (default bf16 on CPUs\n"
    "                         that compute it natively, else fp32; or NMT_GEMM_PRECISION);\n"
    "                         bf16 keeps a bf16 copy of the weights, made once at load\n"
    "  --shortlist FILE       compute the output layer only over each batch's lexical\n"
    "                         shortlist from nmt-shortlist (the candidates of its source\n"
    "                         tokens, the frequent target tokens and </s>)\n"
    "output:\n"
    "  -i, --input FILE       input text (default stdin)\n"
    "  -o, --output FILE      output file, written atomically (default stdout)\n"
    "  --alignment hard|soft  append \" ||| \" and a word alignment (in n-best lines, a\n"
    "                         field before the score). hard: Pharaoh pairs \"s-t\" of\n"
    "                         0-based source and output word indices (words = the\n"
    "                         whitespace-separated words; subword attention summed over a\n"
    "                         source word's pieces, averaged over a target word's pieces,\n"
    "                         each target word linked to its best source word). soft:\n"
    "                         the full subword matrix as Marian prints it, one comma-\n"
    "                         separated row per output token and </s>, rows separated by\n"
    "                         spaces\n"
    "  --attention FILE       dump, for every line, the attention of its (best)\n"
    "                         translation: target x source subword tokens, one row per\n"
    "                         output token and </s>, each row summing to 1, with the tokens\n"
    "  --attention-format F   jsonl: one JSON object per line {id, src, tgt, src_tokens,\n"
    "                         tgt_tokens, attention}; tsv: a labelled block per sentence;\n"
    "                         npy: FILE is a directory of NNNNNN.npy (float32) and\n"
    "                         NNNNNN.json (tokens) per sentence; html: one self-contained\n"
    "                         page with a heatmap per sentence (with --alignment, the\n"
    "                         cells of the printed word links are outlined; gold links\n"
    "                         can be marked on forced alignments: nmt-score\n"
    "                         --gold-alignment). Default: from the FILE's\n"
    "                         extension (.jsonl .tsv .html .npy), else jsonl. Ids are\n"
    "                         1-based line numbers\n"
    "input errors:\n"
    "  --skip-invalid         a line with invalid UTF-8 gives an empty output line and is\n"
    "                         counted, instead of stopping with FILE:LINE\n"
    "  --quiet                no warnings and no summary on stderr\n"
    "  -h, --help             this help\n";

static const char *const VALUE_FLAGS[] = {"-m", "--model", "-i", "--input", "-o", "--output", "--beam", "--nbest",
                                          "--length-penalty", "--max-length-ratio", "--max-src-len", "--batch",
                                          "--threads", "--attention", "--attention-format", "--alignment", "--shortlist",
                                          "--precision",
                                          NULL};

int main(int argc, char **argv) {
    blas_setup(argv);
    gemm_set_precision(gemm_preferred_precision()); /* --precision overrides */
    set_program_name(argv[0]);
    TranslateOptions o;
    translate_options_default(&o);
    o.threads = omp_get_num_procs();
    const char *model_path = NULL, *in_path = "-", *out_path = NULL, *att_path = NULL, *att_format = NULL,
               *shortlist_path = NULL;
    int nbest_given = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            fputs(USAGE, stdout);
            return 0;
        }
        if (!strcmp(a, "--skip-invalid")) { o.skip_invalid = 1; continue; }
        if (!strcmp(a, "--quiet")) { o.quiet = 1; continue; }
        const char *v = arg_value(argc, argv, &i, VALUE_FLAGS);
        if (!strcmp(a, "-m") || !strcmp(a, "--model")) model_path = v;
        else if (!strcmp(a, "-i") || !strcmp(a, "--input")) in_path = v;
        else if (!strcmp(a, "-o") || !strcmp(a, "--output")) out_path = v;
        else if (!strcmp(a, "--beam")) o.search.beam = (int)parse_long(a, v, 1, 256);
        else if (!strcmp(a, "--nbest")) o.search.nbest = (int)parse_long(a, v, 1, 256), nbest_given = 1;
        else if (!strcmp(a, "--length-penalty")) o.search.length_penalty = (float)parse_double(a, v, 0.0, 10.0);
        else if (!strcmp(a, "--max-length-ratio")) o.search.max_len_ratio = (float)parse_double(a, v, 0.0, 100.0);
        else if (!strcmp(a, "--max-src-len")) o.max_src_len = (int)parse_long(a, v, 1, 1 << 20);
        else if (!strcmp(a, "--batch")) o.batch = (int)parse_long(a, v, 1, 4096);
        else if (!strcmp(a, "--threads")) o.threads = (int)parse_long(a, v, 1, 1024);
        else if (!strcmp(a, "--attention")) att_path = v;
        else if (!strcmp(a, "--attention-format")) att_format = v;
        else if (!strcmp(a, "--shortlist")) shortlist_path = v;
        else if (!strcmp(a, "--precision")) gemm_precision_flag(a, v);
        else if (!strcmp(a, "--alignment")) {
            if (!strcmp(v, "hard")) o.alignment = ALIGN_HARD;
            else if (!strcmp(v, "soft")) o.alignment = ALIGN_SOFT;
            else die("--alignment must be hard or soft, got '%s'", v);
        } else die("unknown option %s (see --help)", a);
    }
    if (!model_path) die("-m MODEL is required (see --help)");
    if (nbest_given && o.search.nbest > o.search.beam)
        die("--nbest %d is larger than the beam (%d): use --beam %d or more", o.search.nbest, o.search.beam,
            o.search.nbest);
    o.print_nbest = nbest_given;
    AttDumpFormat fmt = tool_attention_format(att_path, att_format);

    const char *inputs[] = {model_path, in_path, shortlist_path}, *outputs[] = {out_path, att_path};
    paths_refuse_overwrite(inputs, shortlist_path ? 3 : 2, outputs, 2);

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
