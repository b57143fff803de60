/* nmt-vocab — learn the text pipeline (normalization, tokenization, BPE
 * subwords) from a parallel corpus into a vocabulary file; show one; or
 * apply one to text in a pipeline. The work is done in src/vocab. */
#include <omp.h>
#include <stdlib.h>
#include <string.h>

#include "core/paths.h"
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
    "  --src FILE            source-language training text\n"
    "  --tgt FILE            target-language training text (same number of lines)\n"
    "  -o, --output VOCAB    vocabulary file to write (atomically)\n"
    "  --bpe MERGES          learn MERGES byte-pair-encoding merges per table; without\n"
    "                        it tokens are whole words\n"
    "  --joint               one table for both sides (BPE learned on both texts)\n"
    "  --lowercase           apply Unicode case folding to all text\n"
    "  --normalize FORM      Unicode normalization: nfc (default), nfkc or none\n"
    "  --min-count N         words only: words seen fewer than N times become <unk> (default 1)\n"
    "  --max-size N          words only: keep the N-4 most frequent tokens besides the\n"
    "                        specials <pad> <unk> <s> </s> (default: no limit)\n"
    "  --threads N           threads for counting and encoding (default: all cores);\n"
    "                        results do not depend on it\n"
    "  --skip-invalid        skip line pairs with invalid UTF-8 and report how many,\n"
    "                        instead of stopping at the first (with --encode and\n"
    "                        --decode: write an empty line for each)\n"
    "  -h, --help            this help\n"
    "\n"
    "Tokens: a space becomes \"\xE2\x96\x81\" (U+2581) in front of the next token;\n"
    "decoding joins tokens and turns it back into a space, so decode(encode(x)) is\n"
    "the normalized x. <unk> decodes as the text \"<unk>\". --decode refuses input\n"
    "that is not UTF-8, and tokens whose escapes stand for a line break, a NUL\n"
    "byte or invalid UTF-8: each input line gives exactly one output line.\n";

typedef struct {
    const char *src, *tgt, *out, *show, *encode, *decode, *side;
    VocabConfig cfg;
    int threads;
    int min_count_set, max_size_set;
} Args;

static const char *need_value(int argc, char **argv, int *i) {
    if (*i + 1 >= argc) die("%s needs a value (see --help)", argv[*i]);
    return argv[++*i];
}

static void parse_args(int argc, char **argv, Args *a) {
    memset(a, 0, sizeof *a);
    vocab_config_init(&a->cfg);
    for (int i = 1; i < argc; i++) {
        const char *f = argv[i];
        if (!strcmp(f, "-h") || !strcmp(f, "--help")) {
            fputs(USAGE, stdout);
            exit(0);
        } else if (!strcmp(f, "--src")) a->src = need_value(argc, argv, &i);
        else if (!strcmp(f, "--tgt")) a->tgt = need_value(argc, argv, &i);
        else if (!strcmp(f, "-o") || !strcmp(f, "--output")) a->out = need_value(argc, argv, &i);
        else if (!strcmp(f, "--show")) a->show = need_value(argc, argv, &i);
        else if (!strcmp(f, "--encode")) a->encode = need_value(argc, argv, &i);
        else if (!strcmp(f, "--decode")) a->decode = need_value(argc, argv, &i);
        else if (!strcmp(f, "--side")) a->side = need_value(argc, argv, &i);
        else if (!strcmp(f, "--bpe")) a->cfg.bpe_merges = (int)parse_long(f, need_value(argc, argv, &i), 1, 1 << 24);
        else if (!strcmp(f, "--joint")) a->cfg.joint = 1;
        else if (!strcmp(f, "--lowercase")) a->cfg.lowercase = 1;
        else if (!strcmp(f, "--skip-invalid")) a->cfg.skip_invalid = 1;
        else if (!strcmp(f, "--normalize")) {
            const char *v = need_value(argc, argv, &i);
            if (norm_form_parse(v, &a->cfg.norm)) die("--normalize must be nfc, nfkc or none, got '%s'", v);
        } else if (!strcmp(f, "--min-count")) {
            a->cfg.min_count = parse_long(f, need_value(argc, argv, &i), 1, 1L << 40);
            a->min_count_set = 1;
        } else if (!strcmp(f, "--max-size")) {
            a->cfg.max_size = parse_long(f, need_value(argc, argv, &i), VOCAB_NUM_SPECIALS + 1, 1L << 30);
            a->max_size_set = 1;
        } else if (!strcmp(f, "--threads")) a->threads = (int)parse_long(f, need_value(argc, argv, &i), 1, 1024);
        else die("unknown argument '%s' (see --help)", f);
    }
}

static Vocab *load_or_die(const char *path) {
    char err[1024];
    Vocab *v = vocab_load(path, err, sizeof err);
    if (!v) die("%s", err);
    return v;
}

static VocabSide parse_side(const char *side) {
    if (!side) die("--encode and --decode need --side src or --side tgt");
    if (!strcmp(side, "src")) return VOCAB_SRC;
    if (!strcmp(side, "tgt")) return VOCAB_TGT;
    die("--side must be src or tgt, got '%s'", side);
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
    if (fflush(stdout) != 0 || ferror(stdout)) die("cannot write standard output");
    if (skipped) warn("%ld lines with invalid UTF-8 written as empty lines", skipped);
}

static void learn(const Args *a) {
    if (!a->src || !a->tgt) die("learning needs --src FILE and --tgt FILE (see --help)");
    if (!a->out) die("learning needs -o VOCAB, the file to write (see --help)");
    if (a->cfg.bpe_merges && (a->min_count_set || a->max_size_set))
        die("--min-count and --max-size apply to word vocabularies; with --bpe the size is set by the merges");
    const char *inputs[] = {a->src, a->tgt};
    paths_refuse_overwrite(inputs, 2, &a->out, 1);
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
    parse_args(argc, argv, &a);
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
        run_pipeline(v, parse_side(a.side), a.encode != NULL, a.cfg.skip_invalid);
        vocab_free(v);
    } else {
        learn(&a);
    }
    if (fflush(stdout) != 0) die("cannot write standard output");
    return 0;
}
