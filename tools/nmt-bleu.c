/* nmt-bleu — corpus BLEU of a hypothesis file against references, as sacreBLEU 2.x
 * computes it by default. See src/eval/bleu.h and --help. */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/tool.h"
#include "core/util.h"
#include "eval/bleu.h"

static const char USAGE[] =
    "usage: nmt-bleu [options] REF [REF2 ...] < HYP\n"
    "       nmt-bleu [options] -i HYP REF [REF2 ...]\n"
    "\n"
    "Corpus BLEU of the hypothesis lines against one or more line-aligned\n"
    "reference files, computed exactly as sacreBLEU 2.x does by default:\n"
    "13a tokenization, n-grams up to 4, 'exp' smoothing, brevity penalty\n"
    "against the closest reference length, n-gram counts clipped by the\n"
    "maximum over the references. Input is raw (detokenized) UTF-8 text.\n"
    "\n"
    "Prints the score line and the signature, for example\n"
    "  BLEU = 78.55 100.0/91.8/83.5/76.0 (BP = 0.899 ratio = 0.904 hyp_len = 5600 ref_len = 6195)\n"
    "  nrefs:1|case:mixed|eff:no|tok:13a|smooth:exp|version:" BLEU_SIGNATURE_VERSION "\n"
    "\n";
static const char EPILOG[] =
    "\n"
    "Every file must have the same number of lines. As in sacreBLEU, trailing\n"
    "whitespace is ignored, an empty hypothesis line scores nothing, and an\n"
    "empty reference line is left out of its segment; a segment whose\n"
    "references are all empty is an error.\n";

typedef struct {
    const char *input;
    int lowercase, score_only;
    const char **refs;
    int nrefs;
} Args;

#define A(member) offsetof(Args, member)
static const FieldSpec FIELDS[] = {
    {NULL, "--input", FIELD_INPUT, A(input), .alias = "-i", .flags = FIELD_STDIO, .section = "Options",
     .help = "read the hypothesis from FILE instead of stdin"},
    {NULL, "--lowercase", FIELD_INT, A(lowercase), 0, 0, 1, .alias = "-lc", .flags = FIELD_SWITCH,
     .section = "Options", .help = "lowercase hypothesis and references first (case:lc)"},
    {NULL, "--score-only", FIELD_INT, A(score_only), 0, 0, 1, .alias = "-b", .flags = FIELD_SWITCH,
     .section = "Options", .help = "print only the score, e.g. 78.55"},
};
#undef A
static const CliTable TABLES[] = {{FIELDS, (int)(sizeof FIELDS / sizeof FIELDS[0]), 0}};
static const char *const SECTIONS[] = {"Options", NULL};
static const CliCommand COMMAND = {USAGE, TABLES, 1, SECTIONS, EPILOG, "REF", offsetof(Args, refs),
                                   offsetof(Args, nrefs)};

/* Lines left in r after the current one (reads to the end). */
static long remaining_lines(LineReader *r) {
    long n = 0;
    while (linereader_next(r)) n++;
    return n;
}

int main(int argc, char **argv) {
    set_program_name(argv[0]);
    Args a = {0};
    tool_parse(&COMMAND, argc, argv, &a, NULL);
    if (a.nrefs == 0) die("no reference file given (usage: nmt-bleu [options] REF [REF2 ...] < HYP; try --help)");
    const char *hyp_path = a.input ? a.input : "-";
    const char **ref_paths = a.refs;
    const int nrefs = a.nrefs, lowercase = a.lowercase, score_only = a.score_only;

    LineReader hyp;
    if (linereader_open(&hyp, hyp_path) != 0) die("cannot open hypothesis file %s: %s", hyp_path, strerror(errno));
    LineReader *refs = xcalloc((size_t)nrefs, sizeof *refs);
    for (int r = 0; r < nrefs; r++) {
        if (strcmp(ref_paths[r], "-") == 0) die("a reference cannot be read from stdin; name a file");
        if (linereader_open(&refs[r], ref_paths[r]) != 0)
            die("cannot open reference file %s: %s", ref_paths[r], strerror(errno));
    }

    const char **texts = xmalloc((size_t)nrefs * sizeof *texts);
    size_t *lens = xmalloc((size_t)nrefs * sizeof *lens);
    int *got = xmalloc((size_t)nrefs * sizeof *got);
    BleuStats stats;
    bleu_stats_init(&stats, lowercase);
    char err[256];
    long line = 0;

    for (;;) {
        int hyp_got = linereader_next(&hyp), all = hyp_got, none = !hyp_got;
        for (int r = 0; r < nrefs; r++) {
            got[r] = linereader_next(&refs[r]);
            all &= got[r];
            none &= !got[r];
        }
        if (none) break;
        if (!all) {
            /* Some file ended first: count every file to the end and report them all. */
            Buf msg = {0};
            long hyp_lines = line + hyp_got + remaining_lines(&hyp);
            buf_printf(&msg, "line counts differ: hypothesis %s has %ld lines", hyp.path, hyp_lines);
            for (int r = 0; r < nrefs; r++) {
                long n = line + got[r] + remaining_lines(&refs[r]);
                buf_printf(&msg, ", reference %s has %ld lines", refs[r].path, n);
            }
            die("%s", msg.data);
        }
        line++;

        size_t bad = bleu_utf8_invalid_at(hyp.line, hyp.len);
        if (bad) die("%s:%ld: invalid UTF-8 at byte %zu", hyp.path, hyp.lineno, bad);
        int nonempty = 0;
        for (int r = 0; r < nrefs; r++) {
            bad = bleu_utf8_invalid_at(refs[r].line, refs[r].len);
            if (bad) die("%s:%ld: invalid UTF-8 at byte %zu", refs[r].path, refs[r].lineno, bad);
            texts[r] = refs[r].line;
            lens[r] = refs[r].len;
            nonempty += bleu_rstrip_len(texts[r], lens[r]) > 0;
        }
        if (nonempty == 0) {
            if (nrefs == 1)
                die("%s:%ld: empty reference line (sacreBLEU rejects a segment without a reference too)",
                    refs[0].path, refs[0].lineno);
            Buf msg = {0};
            for (int r = 0; r < nrefs; r++) buf_printf(&msg, "%s%s", r ? ", " : "", refs[r].path);
            die("line %ld is empty in every reference file (%s): a segment needs at least one reference",
                line, msg.data);
        }
        if (bleu_stats_add_n(&stats, hyp.line, hyp.len, texts, lens, nrefs, err, sizeof err) != 0)
            die("%s:%ld: %s", hyp.path, hyp.lineno, err); /* not reached: checked above */
    }
    if (line == 0) die("%s: no lines to score", hyp.path);

    BleuResult res;
    bleu_compute(&stats, &res);
    char out[BLEU_LINE_MAX], sig[BLEU_LINE_MAX];
    if (score_only) {
        bleu_format_score(&res, out, sizeof out);
        printf("%s\n", out);
    } else {
        bleu_format(&res, out, sizeof out);
        bleu_signature(&stats, sig, sizeof sig);
        printf("%s\n%s\n", out, sig);
    }
    tool_flush_stdout();

    bleu_stats_free(&stats);
    linereader_close(&hyp);
    for (int r = 0; r < nrefs; r++) linereader_close(&refs[r]);
    free(refs);
    free(texts);
    free(lens);
    free(got);
    cli_free(&COMMAND, &a);
    return 0;
}
