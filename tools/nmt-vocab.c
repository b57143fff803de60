/* nmt-vocab — learn the text pipeline (normalization, tokenization, BPE
 * subwords) from a parallel corpus into a vocabulary file; show one; or
 * apply one to text in a pipeline. The work is done in src/vocab. */
#include <omp.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "common/tool.h"
#include "core/util.h"
#include "vocab/build.h"
#include "vocab/corpus.h"
#include "vocab/vocab.h"

static const char USAGE[] =
    "usage: nmt-vocab --src FILE --tgt FILE -o VOCAB [options]   learn a vocabulary\n"
    "       nmt-vocab --show VOCAB                               print it readably\n"
    "       nmt-vocab --encode VOCAB --side src|tgt              raw lines -> tokens (stdin -> stdout)\n"
    "       nmt-vocab --decode VOCAB --side src|tgt              tokens -> raw lines (stdin -> stdout)\n"
    "\n"
    "Learning reads raw sentences, one per line, line i of --tgt translating line i\n"
    "of --src (UTF-8; CRLF and a byte-order mark are fine). Pairs with an empty side\n"
    "are left out and counted.\n"
    "\n";
static const char EPILOG[] =
    "\n"
    "Tokens: a space becomes \"\xE2\x96\x81\" (U+2581) in front of the next token;\n"
    "decoding joins tokens and turns it back into a space, so decode(encode(x)) is\n"
    "the normalized x. <unk> decodes as the text \"<unk>\". --decode refuses input\n"
    "that is not UTF-8, and tokens whose escapes stand for a line break, a NUL\n"
    "byte or invalid UTF-8: each input line gives exactly one output line.\n";

typedef struct {
    const char *src, *tgt, *out, *show, *encode, *decode;
    int side, threads;
    VocabConfig cfg;
} Args;

static const char *const SIDE_NAMES[] = {"src", "tgt", NULL}; /* VocabSide order */

#define A(member) offsetof(Args, member)
static const FieldSpec FIELDS[] = {
    {NULL, "--src", FIELD_INPUT, A(src), .section = "", .help = "source-language training text"},
    {NULL, "--tgt", FIELD_INPUT, A(tgt), .section = "",
     .help = "target-language training text (same number of lines)"},
    {NULL, "--output", FIELD_OUTPUT, A(out), .alias = "-o", .metavar = "VOCAB", .section = "",
     .help = "vocabulary file to write (atomically)"},
    {NULL, "--bpe", FIELD_INT, A(cfg.bpe_merges), 0, 1, 1 << 24, .metavar = "MERGES", .section = "",
     .help = "learn MERGES byte-pair-encoding merges per table; without\n"
             "it tokens are whole words"},
    {NULL, "--joint", FIELD_INT, A(cfg.joint), 0, 0, 1, .flags = FIELD_SWITCH, .section = "",
     .help = "one table for both sides (BPE learned on both texts)"},
    {NULL, "--lowercase", FIELD_INT, A(cfg.lowercase), 0, 0, 1, .flags = FIELD_SWITCH, .section = "",
     .help = "apply Unicode case folding to all text"},
    {NULL, "--normalize", FIELD_ENUM, A(cfg.norm), NORM_NFC, NORM_NONE, NORM_NFKC, NULL, NORM_FORM_NAMES,
     .metavar = "FORM", .section = "", .help = "Unicode normalization: nfc, nfkc or none"},
    {NULL, "--min-count", FIELD_LONG, A(cfg.min_count), 1, 1, 1099511627776.0, .section = "",
     .help = "words only: words seen fewer than N times become <unk>"},
    {NULL, "--max-size", FIELD_LONG, A(cfg.max_size), 0, VOCAB_NUM_SPECIALS + 1, 1073741824.0, .section = "",
     .help = "words only: keep the N-4 most frequent tokens besides the\n"
             "specials <pad> <unk> <s> </s> (default: no limit)"},
    {NULL, "--threads", FIELD_INT, A(threads), 0, 1, 1024, .section = "",
     .help = "threads for counting and encoding (default: all cores);\n"
             "results do not depend on it"},
    {NULL, "--skip-invalid", FIELD_INT, A(cfg.skip_invalid), 0, 0, 1, .flags = FIELD_SWITCH, .section = "",
     .help = "skip line pairs with invalid UTF-8 and report how many,\n"
             "instead of stopping at the first (with --encode and\n"
             "--decode: write an empty line for each)"},
    {NULL, "--show", FIELD_INPUT, A(show), .metavar = "VOCAB", .section = "using a vocabulary",
     .help = "print the vocabulary readably: settings, tokens and counts"},
    {NULL, "--encode", FIELD_INPUT, A(encode), .metavar = "VOCAB", .section = "using a vocabulary",
     .help = "raw lines on stdin -> tokens on stdout"},
    {NULL, "--decode", FIELD_INPUT, A(decode), .metavar = "VOCAB", .section = "using a vocabulary",
     .help = "tokens on stdin -> raw lines on stdout"},
    {NULL, "--side", FIELD_ENUM, A(side), -1, 0, 1, NULL, SIDE_NAMES, .section = "using a vocabulary",
     .help = "which table --encode and --decode use"},
};
#undef A
static const CliTable TABLES[] = {{FIELDS, (int)(sizeof FIELDS / sizeof FIELDS[0]), 0}};
static const char *const SECTIONS[] = {"", "using a vocabulary", NULL};
static const CliCommand COMMAND = {USAGE, TABLES, 1, SECTIONS, EPILOG, NULL, 0, 0};

static void parse_args(int argc, char **argv, Args *a, CliGiven *given) {
    memset(a, 0, sizeof *a);
    fields_set_defaults(FIELDS, TABLES[0].n, a);
    vocab_config_init(&a->cfg);
    tool_parse(&COMMAND, argc, argv, a, given);
}

static Vocab *load_or_die(const char *path) {
    char err[1024];
    Vocab *v = vocab_load(path, err, sizeof err);
    if (!v) die("%s", err);
    return v;
}

static VocabSide side_of(int side) {
    if (side < 0) die("--encode and --decode need --side src or --side tgt");
    return (VocabSide)side;
}

/* Lines of stdin -> lines of stdout, in batches encoded or decoded in parallel. */
static void run_pipeline(const Vocab *v, VocabSide side, int encode, int skip_invalid) {
    enum { BATCH = 4096 };
    LineReader r;
    linereader_open(&r, "-");
    char **in = xcalloc(BATCH, sizeof *in), **out = xcalloc(BATCH, sizeof *out);
    size_t *len = xcalloc(BATCH, sizeof *len);
    long first_line = 1, skipped = 0;
    for (;;) {
        int n = 0;
        while (n < BATCH && linereader_next(&r)) {
            in[n] = xmalloc(r.len + 1);
            memcpy(in[n], r.line, r.len + 1);
            len[n++] = r.len;
        }
        if (!n) break;
        char (*err)[128] = xmalloc((size_t)n * sizeof *err);
#pragma omp parallel for schedule(dynamic, 16)
        for (int i = 0; i < n; i++) {
            if (!encode) {
                out[i] = vocab_decode_tokens(v, side, in[i], len[i], err[i], sizeof err[i]);
                continue;
            }
            int *ids;
            int k = vocab_encode(v, side, in[i], len[i], &ids, err[i], sizeof err[i]);
            Buf b = {0};
            buf_reserve(&b, 0);
            b.data[0] = '\0';
            for (int j = 0; j < k; j++) {
                if (j) buf_append(&b, " ", 1);
                buf_puts(&b, vocab_token(v, side, ids[j]));
            }
            free(ids);
            out[i] = k < 0 ? NULL : b.data;
            if (k < 0) buf_free(&b);
        }
        for (int i = 0; i < n; i++) {
            if (!out[i]) {
                if (!skip_invalid) die("<stdin>:%ld: %s", first_line + i, err[i]);
                skipped++;
            }
            fputs(out[i] ? out[i] : "", stdout);
            fputc('\n', stdout);
            free(in[i]);
            free(out[i]);
        }
        free(err);
        first_line += n;
    }
    linereader_close(&r);
    free(in);
    free(out);
    free(len);
    tool_flush_stdout();
    if (skipped) warn("%ld lines with invalid UTF-8 written as empty lines", skipped);
}

static void learn(const Args *a, const CliGiven *given) {
    if (!a->src || !a->tgt) die("learning needs --src FILE and --tgt FILE (see --help)");
    if (!a->out) die("learning needs -o VOCAB, the file to write (see --help)");
    if (a->cfg.bpe_merges && (cli_given(given, "--min-count") || cli_given(given, "--max-size")))
        die("--min-count and --max-size apply to word vocabularies; with --bpe the size is set by the merges");
    double t0 = now_seconds();
    CorpusStats st;
    Vocab *v = vocab_build(&a->cfg, a->src, a->tgt, &st);
    Buf msg = {0};
    corpus_stats_summary(&st, &msg);
    if (st.kept == 0) die("no usable line pairs in %s and %s (%s)", a->src, a->tgt, msg.data);
    char err[1024];
    if (vocab_save(v, a->out, err, sizeof err)) die("%s", err);
    if (a->cfg.joint)
        buf_printf(&msg, "; joint table: %d tokens, %d merges", vocab_size(v, VOCAB_SRC), vocab_num_merges(v, VOCAB_SRC));
    else
        buf_printf(&msg, "; src: %d tokens, %d merges; tgt: %d tokens, %d merges", vocab_size(v, VOCAB_SRC),
                   vocab_num_merges(v, VOCAB_SRC), vocab_size(v, VOCAB_TGT), vocab_num_merges(v, VOCAB_TGT));
    fprintf(stderr, "%s: %s; wrote %s in %.2f s\n", program_name(), msg.data, a->out, now_seconds() - t0);
    buf_free(&msg);
    vocab_free(v);
}

int main(int argc, char **argv) {
    set_program_name(argv[0]);
    Args a;
    CliGiven given;
    parse_args(argc, argv, &a, &given);
    if (a.threads) omp_set_num_threads(a.threads);
    int modes = !!a.show + !!a.encode + !!a.decode + !!(a.src || a.tgt || a.out);
    if (modes == 0) die("nothing to do (see --help)");
    if (modes > 1) die("choose one of learning (--src/--tgt/-o), --show, --encode, --decode");
    if (a.show) {
        Vocab *v = load_or_die(a.show);
        vocab_show(v, a.show, stdout);
        vocab_free(v);
    } else if (a.encode || a.decode) {
        Vocab *v = load_or_die(a.encode ? a.encode : a.decode);
        run_pipeline(v, side_of(a.side), a.encode != NULL, a.cfg.skip_invalid);
        vocab_free(v);
    } else {
        learn(&a, &given);
    }
    tool_flush_stdout();
    return 0;
}
