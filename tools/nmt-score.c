/* nmt-score — the model's log-probability of given translations, and
 * forced-alignment attention dumps. */
#include <errno.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/args.h"
#include "core/blas.h"
#include "core/paths.h"
#include "core/util.h"
#include "translate/output.h"
#include "translate/scorer.h"
#include "vocab/corpus.h"

static const char *USAGE =
    "usage: nmt-score -m MODEL --src FILE --tgt FILE [--batch N] [--threads N]\n"
    "                 [--attention FILE] [--attention-format jsonl|tsv|npy|html] [-o FILE]\n"
    "                 [--alignment hard|soft [--alignment-out FILE] [--alignment-row current|next]]\n"
    "                 [--gold-alignment TALP]\n"
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
    "  -m, --model MODEL      model file from nmt-train\n"
    "  --src FILE             source text, one sentence per line ('-' for stdin)\n"
    "  --tgt FILE             target text, same number of lines\n"
    "  -o, --output FILE      write the scores there, atomically (default stdout)\n"
    "  --batch N              pairs scored together (default 32; fewer for long pairs)\n"
    "  --threads N            batches scored in parallel (default: all cores); the\n"
    "                         scores do not depend on it\n"
    "  --precision fp32|bf16  the products' precision (default bf16 on CPUs\n"
    "                         that compute it natively, else fp32; or NMT_GEMM_PRECISION)\n"
    "  --max-len N            score only the first N tokens of a longer side, with a\n"
    "                         warning (default 256)\n"
    "  --attention FILE       dump the attention of the given target (forced alignment):\n"
    "                         rows are the target subwords and </s>, columns the source\n"
    "                         subwords, each row summing to 1\n"
    "  --attention-format F   jsonl, tsv, npy (FILE is a directory) or html, as in\n"
    "                         nmt-translate --help. Default: from the FILE's extension\n"
    "                         (.jsonl .tsv .html .npy), else jsonl. Ids are 1-based line\n"
    "                         numbers\n"
    "  --alignment hard|soft  the forced alignment of each pair as text, with nmt-translate's\n"
    "                         conventions: hard = Pharaoh links SRC-TGT between the\n"
    "                         whitespace-separated words of the (normalized) lines, each target\n"
    "                         word linked to the source word its subwords attend to most\n"
    "                         (subword rows merged to words); soft = every weight, one group\n"
    "                         per target subword and </s>. Appended to each score line as\n"
    "                         \"LOGPROB<TAB>LENGTH ||| 0-0 1-2 2-1\"\n"
    "  --alignment-out FILE   write the alignments there instead, one line per pair (empty\n"
    "                         for a pair not scored), as nmt-align --score and --symmetrize\n"
    "                         read them; the score lines stay as without --alignment\n"
    "  --alignment-row R      current (default): target token t's row is the attention of the\n"
    "                         step that predicts it (its query s_{t-1} has not seen the\n"
    "                         token); next: the row of step t+1, whose query s_t has\n"
    "                         (for analysing attention that lags one word behind)\n"
    "  --gold-alignment TALP  with an html attention dump: mark gold links (talp: 1-based,\n"
    "                         i-j sure, ipj possible, one line per pair) on the heatmaps,\n"
    "                         beside the outlined cells of the model's own hard alignment\n"
    "  --skip-invalid         a pair with invalid UTF-8 gives an empty line and is\n"
    "                         counted, instead of stopping with FILE:LINE\n"
    "  --quiet                no warnings and no summary on stderr\n"
    "  -h, --help             this help\n";

static const char *const VALUE_FLAGS[] = {"-m", "--model", "--src", "--tgt", "-o", "--output", "--batch",
                                          "--threads", "--max-len", "--attention", "--attention-format", "--precision",
                                          "--alignment", "--alignment-out", "--alignment-row", "--gold-alignment", NULL};

int main(int argc, char **argv) {
    blas_setup(argv);
    gemm_set_precision(gemm_preferred_precision()); /* --precision overrides */
    set_program_name(argv[0]);
    ScoreOptions o;
    score_options_default(&o);
    o.threads = omp_get_num_procs();
    const char *model_path = NULL, *src_path = NULL, *tgt_path = NULL, *out_path = NULL, *att_path = NULL,
               *att_format = NULL, *align_out = NULL, *gold_path = NULL;
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
        else if (!strcmp(a, "--src")) src_path = v;
        else if (!strcmp(a, "--tgt")) tgt_path = v;
        else if (!strcmp(a, "-o") || !strcmp(a, "--output")) out_path = v;
        else if (!strcmp(a, "--batch")) o.batch = (int)parse_long(a, v, 1, 4096);
        else if (!strcmp(a, "--threads")) o.threads = (int)parse_long(a, v, 1, 1024);
        else if (!strcmp(a, "--max-len")) o.max_len = (int)parse_long(a, v, 1, 1 << 20);
        else if (!strcmp(a, "--attention")) att_path = v;
        else if (!strcmp(a, "--attention-format")) att_format = v;
        else if (!strcmp(a, "--alignment")) {
            if (!strcmp(v, "hard")) o.alignment = ALIGN_HARD;
            else if (!strcmp(v, "soft")) o.alignment = ALIGN_SOFT;
            else die("--alignment must be hard or soft, got '%s'", v);
        } else if (!strcmp(a, "--alignment-out")) align_out = v;
        else if (!strcmp(a, "--alignment-row")) {
            if (!strcmp(v, "current")) o.align_next = 0;
            else if (!strcmp(v, "next")) o.align_next = 1;
            else die("--alignment-row must be current or next, got '%s'", v);
        } else if (!strcmp(a, "--gold-alignment")) gold_path = v;
        else if (!strcmp(a, "--precision")) gemm_precision_flag(a, v);
        else die("unknown option %s (see --help)", a);
    }
    if (!model_path) die("-m MODEL is required (see --help)");
    if (!src_path || !tgt_path) die("--src and --tgt are required (see --help)");
    if (!strcmp(src_path, "-") && !strcmp(tgt_path, "-")) die("--src and --tgt cannot both be stdin");
    AttDumpFormat fmt = tool_attention_format(att_path, att_format);
    if ((align_out || o.align_next) && o.alignment == ALIGN_NONE)
        die("--alignment-out and --alignment-row need --alignment hard|soft");
    if (gold_path && (!att_path || fmt != ATTDUMP_HTML)) die("--gold-alignment needs an html --attention dump");

    const char *inputs[] = {model_path, src_path, tgt_path}, *outputs[] = {out_path, att_path};
    paths_refuse_overwrite(inputs, 3, outputs, 2);

    char err[1024];
    Model *m = model_load(model_path, NULL, err, sizeof err);
    if (!m) die("%s", err);
    /* bf16 products: convert the weights once, not per product */
    const int bf16 = gemm_precision() == GEMM_BF16;
    if (bf16) gemm_weights_register(m->params, model_num_params(&m->cfg));
    /* files of different lengths are refused before any output; both are
     * read once, so pipes work (core/input.h) */
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
    }
    if (output.dump && (o.alignment != ALIGN_NONE || gold_path)) attdump_mark_alignment(output.dump);
    if (gold_path && attdump_load_gold(output.dump, gold_path, src_path, tgt_path, err, sizeof err) != 0) {
        if (align_out) atomic_abort(&af);
        tool_output_finish(&output, -1, err);
    }
    ScoreStats st;
    int rc = score_stream(m, &o, &src, &tgt, output.out, output.dump, &st, err, sizeof err);
    if (align_out) {
        if (rc != 0) atomic_abort(&af);
        else if (atomic_commit(&af, err, sizeof err) != 0) rc = -1;
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
    if (bf16) gemm_weights_forget(m->params);
    model_free(m);
    return 0;
}
