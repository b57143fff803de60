/* fuzz_api — libFuzzer target for the C API's entry points (include/nmt.h):
 * the option setters with values in and out of range, then nmt_translate
 * or nmt_score on fuzzed lines, and every accessor of the result.
 *
 * Two tiny models are built once, in-process (a BPE vocabulary learned from
 * a few embedded sentences, random weights sharpened as the unit tests'
 * fixture does so that hypotheses end), saved and loaded through
 * nmt_model_load: a GRU decoder with Bahdanau attention, and a conditional
 * GRU with dot attention and a deep, tied output layer.
 *
 * Input: byte 0 picks translate or score, the model and default (NULL)
 * options; bytes 1-9 pick beam, n-best, length penalty, length ratio,
 * batch, threads, alignment, attention and the length limit of the call
 * (max_src_len or max_len) from tables of interesting values (the range
 * ends, just outside them, NaN, infinities); the rest is the text, lines
 * split at '\n' or NUL (at most 8), and for scoring each line split at its
 * first tab into source and target. A setter must accept exactly the
 * documented range and leave a refused value unused, and nmt_option_info
 * must agree with every setter. The call must fail exactly when it should
 * (n-best above the beam, invalid UTF-8 on the first such line, with the
 * line named) and otherwise give a result that keeps every promise of
 * nmt.h: one entry per line, 1..nbest distinct hypotheses best first
 * (translation; one per scored pair, none for an empty source), no side
 * longer than its limit and a cut reported only where a side reached it,
 * UTF-8 texts without line breaks, attention rows that sum to 1 over the
 * source tokens, alignment pairs inside the tokens, NULL or 0 out of range,
 * and the same bytes with one thread as with two. A search that could take
 * long (beam^2 x steps above a bound) is set up but not run, to keep the
 * executions per second up: a beam of 256 meets only the setters. A
 * violation aborts. */
#define _GNU_SOURCE
#include <float.h>
#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "model/saved.h"
#include "nmt.h"
#include "vocab/build.h"
#include "vocab/normalize.h"
#include "vocab/tokenize.h"

#include "check.h"

static const char *const TEXT[] = {
    "you must sometimes watch the queens.",
    "a clever goat threw away a cake.",
    "the black green dog that follows the horses sang.",
    "three quiet queens that slept did not walk.",
    "today the king that found happy teachers does not laugh.",
    "tö züvis zudime shé kräsezär mushirar.",
    "mekä dofin dusa känit meken röfen fäk.",
    "Größe, naïve café — 東京 ½ ﬁ",
};

static nmt_model *models[2];

static void count(void *ctx, const char *tok, size_t len) { word_counts_add(ctx, tok, len, 1); }

static nmt_model *build(DecoderType decoder, AttentionType attention, int deep) {
    VocabConfig vc;
    vocab_config_init(&vc);
    vc.bpe_merges = 30; /* words split into several subwords */
    vc.joint = 1;
    WordCounts wc[2] = {{0}, {0}};
    for (size_t k = 0; k < sizeof TEXT / sizeof TEXT[0]; k++) {
        Buf norm = {0};
        text_normalize(TEXT[k], strlen(TEXT[k]), vc.norm, vc.lowercase, &norm);
        tok_split(norm.data, norm.len, 1, count, &wc[0]);
        buf_free(&norm);
    }
    Vocab *v = vocab_build_from_counts(&vc, wc);
    word_counts_free(&wc[0]);
    word_counts_free(&wc[1]);
    ModelConfig cfg;
    model_config_default(&cfg);
    cfg.emb = 8, cfg.hidden = 8, cfg.att_dim = 8, cfg.attention = attention, cfg.decoder = decoder;
    cfg.dropout = 0, cfg.rec_dropout = 0, cfg.deep_output = deep, cfg.tie_target = deep;
    Model *m = model_create(&cfg, v, 7);
    for (size_t k = 0; k < (size_t)m->cfg.tgt_vocab * cfg.emb; k++) m->p.dec.tgt_emb[k] *= 10.0f;
    for (size_t k = 0; k < (size_t)m->cfg.src_vocab * cfg.emb; k++) m->p.enc.src_emb[k] *= 10.0f;
    if (!deep)
        for (size_t k = 0; k < (size_t)m->cfg.tgt_vocab * (size_t)model_out_in(&m->cfg); k++) m->p.dec.out.W[k] *= 3.0f;
    m->p.dec.out.b[VOCAB_EOS] += 1.0f;
    char dir[] = "/tmp/fuzz_api_XXXXXX", path[64], err[512];
    if (!mkdtemp(dir)) abort();
    snprintf(path, sizeof path, "%s/model", dir);
    if (model_save(m, path, NULL, 0, err, sizeof err) != 0) abort();
    model_free(m);
    nmt_model *h;
    if (nmt_model_load(path, &h) != NMT_OK) abort();
    unlink(path);
    rmdir(dir);
    return h;
}

static const int BEAMS[] = {INT_MIN, -1, 0, 1, 2, 3, 4, 5, 8, 256, 257, INT_MAX};
static const int NBESTS[] = {INT_MIN, 0, 1, 1, 2, 3, 5, 256, 257};
static const double PENALTIES[] = {-1, -DBL_MIN, 0, 0.6, 1, 10, 10.000001, NAN, INFINITY, -INFINITY};
static const double RATIOS[] = {-1, 0, 0.01, 0.5, 1, 2, 2, 3, 100, 100.5, NAN, INFINITY};
static const int BATCHES[] = {INT_MIN, 0, 1, 2, 3, 32, 4096, 4097};
static const int THREADS[] = {-1, 0, 1, 2, 1024, 1025};
static const int SWITCHES[] = {-1, 0, 1, 1, 2, INT_MAX};
static const int LIMITS[] = {INT_MIN, -1, 0, 1, 2, 3, 5, 8, 256, 512, 1048576, 1048577, INT_MAX};
#define PICK(table, byte) table[(byte) % (sizeof table / sizeof table[0])]

/* A setter's status: OK exactly inside [lo, hi]; a refusal names the option. */
#define SET(fn, name, v, lo, hi, cur)                                                                          \
    do {                                                                                                       \
        const int in = (v) >= (lo) && (v) <= (hi);                                                             \
        const nmt_status st_ = fn(opt, v);                                                                     \
        CHECK(st_ == (in ? NMT_OK : NMT_ERR_ARGUMENT));                                                        \
        if (in) cur = v;                                                                                       \
        else CHECK(strncmp(nmt_last_error(), name " must be ", strlen(name " must be ")) == 0);               \
    } while (0)

static int valid_utf8(const char *s) { return utf8_invalid_at(s, strlen(s)) < 0; }

/* nmt_option_info agrees with the setters: the default and both ends
 * accepted, just outside refused. */
static void check_option_info(void) {
    static const char *const NAMES[] = {"beam", "nbest", "length_penalty", "max_length_ratio", "max_src_len",
                                        "max_len", "batch", "threads"};
    nmt_options *o = nmt_options_new();
    for (size_t k = 0; k < sizeof NAMES / sizeof NAMES[0]; k++) {
        double def = NAN, lo = NAN, hi = NAN;
        CHECK(nmt_option_info(NAMES[k], &def, &lo, &hi) == NMT_OK);
        CHECK(lo <= def && def <= hi);
        const int integer = k != 2 && k != 3;
        const double step = integer ? 1 : 1e-6, vals[5] = {def, lo, hi, lo - step, hi + step};
        for (int v = 0; v < 5; v++) {
            nmt_status st;
            switch (k) {
            case 0: st = nmt_options_set_beam(o, (int)vals[v]); break;
            case 1: st = nmt_options_set_nbest(o, (int)vals[v]); break;
            case 2: st = nmt_options_set_length_penalty(o, vals[v]); break;
            case 3: st = nmt_options_set_max_length_ratio(o, vals[v]); break;
            case 4: st = nmt_options_set_max_src_len(o, (int)vals[v]); break;
            case 5: st = nmt_options_set_max_len(o, (int)vals[v]); break;
            case 6: st = nmt_options_set_batch(o, (int)vals[v]); break;
            default: st = nmt_options_set_threads(o, (int)vals[v]); break;
            }
            CHECK(st == (v < 3 ? NMT_OK : NMT_ERR_ARGUMENT));
        }
    }
    CHECK(nmt_option_info("bogus", NULL, NULL, NULL) == NMT_ERR_ARGUMENT);
    CHECK(nmt_option_info(NULL, NULL, NULL, NULL) == NMT_ERR_ARGUMENT);
    nmt_options_free(o);
}

/* The promises of one result of n lines (src[i] empty: an empty entry). */
static void check_result(const nmt_result *r, size_t n, const char *const *src, int scoring, int nbest,
                         int attention, int alignment, int limit) {
    CHECK(nmt_result_lines(r) == n);
    for (size_t i = 0; i < n; i++) {
        const size_t nh = nmt_result_hypotheses(r, i), cols = nmt_result_src_tokens(r, i);
        const size_t cut = nmt_result_cut(r, i);
        /* the limit holds, and a line is cut only where a side reached it */
        CHECK(cols <= (size_t)limit);
        if (cut && !scoring) CHECK(cols == (size_t)limit);
        if (cut && scoring) CHECK(cols == (size_t)limit || (nh == 1 && nmt_result_steps(r, i, 0) == (size_t)limit + 1));
        if (scoring && nh) CHECK(nmt_result_steps(r, i, 0) <= (size_t)limit + 1);
        if (scoring) CHECK(nh == (cols ? 1u : 0u)); /* none for a source without tokens */
        else CHECK(nh >= 1 && nh <= (size_t)nbest && (cols || (nh == 1 && !*nmt_result_text(r, i, 0))));
        if (!*src[i]) CHECK(cols == 0);
        for (size_t c = 0; c < cols; c++) CHECK(nmt_result_src_token(r, i, c) != NULL);
        CHECK(nmt_result_src_token(r, i, cols) == NULL);
        for (size_t h = 0; h < nh; h++) {
            const char *text = nmt_result_text(r, i, h);
            CHECK(text && valid_utf8(text) && !strchr(text, '\n') && !strchr(text, '\r'));
            for (size_t g = 0; g < h; g++) CHECK(strcmp(text, nmt_result_text(r, i, g)) != 0); /* distinct */
            const double score = nmt_result_score(r, i, h), logprob = nmt_result_logprob(r, i, h);
            CHECK(!isnan(score) && !isnan(logprob) && logprob <= 1e-4);
            if (h) CHECK(score <= nmt_result_score(r, i, h - 1)); /* best first */
            const size_t steps = nmt_result_steps(r, i, h);
            for (size_t t = 0; t < steps; t++) CHECK(nmt_result_tgt_token(r, i, h, t) != NULL);
            CHECK(nmt_result_tgt_token(r, i, h, steps) == NULL);
            size_t rows = 7, cc = 7;
            const float *att = nmt_result_attention(r, i, h, &rows, &cc);
            if (attention && cols && steps) {
                CHECK(att && rows == steps && cc == cols);
                for (size_t t = 0; t < rows; t++) {
                    double sum = 0;
                    for (size_t c = 0; c < cc; c++) {
                        CHECK(att[t * cc + c] >= 0.0f && att[t * cc + c] <= 1.0f);
                        sum += att[t * cc + c];
                    }
                    CHECK(fabs(sum - 1.0) < 1e-3);
                }
            } else if (!attention) {
                CHECK(att == NULL);
            }
            const int *pairs = NULL;
            const size_t np = nmt_result_alignment(r, i, h, &pairs);
            if (!alignment) CHECK(np == 0);
            for (size_t k = 0; k < np; k++) /* word indices: never more words than tokens */
                CHECK(pairs[2 * k] >= 0 && (size_t)pairs[2 * k] < cols && pairs[2 * k + 1] >= 0 &&
                      (size_t)pairs[2 * k + 1] < (steps ? steps : 1));
        }
        CHECK(nmt_result_text(r, i, nh) == NULL && nmt_result_score(r, i, nh) == 0 && nmt_result_steps(r, i, nh) == 0);
        size_t rows = 1, cols2 = 1;
        CHECK(nmt_result_attention(r, i, nh, &rows, &cols2) == NULL && rows == 0 && cols2 == 0);
        CHECK(nmt_result_hypotheses(r, n + i) == 0 && nmt_result_cut(r, n + i) == 0);
    }
    CHECK(nmt_result_text(r, n, 0) == NULL && nmt_result_src_tokens(r, n) == 0);
}

/* 1 when a and b hold the same texts and scores; else 0, after printing the
 * first difference (a failure must say what differed to be fixed). */
static int same_result(const nmt_result *a, const nmt_result *b) {
    if (nmt_result_lines(a) != nmt_result_lines(b)) {
        fprintf(stderr, "lines: %zu against %zu\n", nmt_result_lines(a), nmt_result_lines(b));
        return 0;
    }
    for (size_t i = 0; i < nmt_result_lines(a); i++) {
        if (nmt_result_hypotheses(a, i) != nmt_result_hypotheses(b, i)) {
            fprintf(stderr, "line %zu: %zu against %zu hypotheses\n", i, nmt_result_hypotheses(a, i),
                    nmt_result_hypotheses(b, i));
            return 0;
        }
        for (size_t h = 0; h < nmt_result_hypotheses(a, i); h++)
            if (strcmp(nmt_result_text(a, i, h), nmt_result_text(b, i, h)) != 0 ||
                nmt_result_score(a, i, h) != nmt_result_score(b, i, h)) {
                fprintf(stderr, "line %zu hypothesis %zu: \"%s\" %.17g against \"%s\" %.17g\n", i, h,
                        nmt_result_text(a, i, h), nmt_result_score(a, i, h), nmt_result_text(b, i, h),
                        nmt_result_score(b, i, h));
                return 0;
            }
    }
    return 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (!models[0]) {
        models[0] = build(DECODER_GRU, ATTENTION_BAHDANAU, 0);
        models[1] = build(DECODER_CGRU, ATTENTION_DOT, 1);
        check_option_info();
    }
    if (size < 10) return 0;
    const int scoring = data[0] & 1, defaults = (data[0] >> 2 & 3) == 0;
    const nmt_model *model = models[(data[0] >> 1) & 1];
    nmt_options *opt = nmt_options_new();
    int beam = 5, nbest = 1, batch = 32, threads = 0, alignment = 0, attention = 0, max_src_len = 512, max_len = 256;
    double penalty = 0.6, ratio = 2;
    SET(nmt_options_set_beam, "beam", PICK(BEAMS, data[1]), 1, 256, beam);
    SET(nmt_options_set_nbest, "nbest", PICK(NBESTS, data[2]), 1, 256, nbest);
    SET(nmt_options_set_length_penalty, "length_penalty", PICK(PENALTIES, data[3]), 0.0, 10.0, penalty);
    SET(nmt_options_set_max_length_ratio, "max_length_ratio", PICK(RATIOS, data[4]), 0.0, 100.0, ratio);
    SET(nmt_options_set_batch, "batch", PICK(BATCHES, data[5]), 1, 4096, batch);
    SET(nmt_options_set_threads, "threads", PICK(THREADS, data[6]), 0, 1024, threads);
    SET(nmt_options_set_alignment, "alignment", PICK(SWITCHES, data[7]), 0, 1, alignment);
    SET(nmt_options_set_attention, "attention", PICK(SWITCHES, data[8]), 0, 1, attention);
    /* one byte for the limit of the call made */
    if (data[0] & 1) SET(nmt_options_set_max_len, "max_len", PICK(LIMITS, data[9]), 1, 1048576, max_len);
    else SET(nmt_options_set_max_src_len, "max_src_len", PICK(LIMITS, data[9]), 1, 1048576, max_src_len);
    CHECK(nmt_options_set_beam(NULL, 5) == NMT_ERR_ARGUMENT);
    (void)penalty, (void)batch;
    if (threads > 2) nmt_options_set_threads(opt, threads = 2); /* no more threads than the cores */
    if (defaults) beam = 5, nbest = 1, ratio = 2, alignment = attention = 0, max_src_len = 512, max_len = 256;

    /* the lines: split at '\n' and NUL */
    const char *text = (const char *)data + 10;
    const size_t len = size - 10;
    char *copy = malloc(len + 1), *lines[8], *tgt[8];
    memcpy(copy, text, len);
    copy[len] = '\0';
    size_t n = 0;
    for (size_t start = 0, k = 0; k <= len && n < 8; k++)
        if (k == len || copy[k] == '\n' || copy[k] == '\0') {
            copy[k] = '\0';
            lines[n++] = copy + start;
            start = k + 1;
        }
    for (size_t i = 0; i < n; i++) { /* scoring: source TAB target */
        char *tab = strchr(lines[i], '\t');
        tgt[i] = tab ? (*tab = '\0', tab + 1) : lines[i] + strlen(lines[i]);
    }
    /* the first line of invalid UTF-8: the sources are encoded first */
    size_t first_bad = 0; /* 1-based, 0 for none */
    int bad_side = 0;
    for (size_t i = 0; i < n && !first_bad; i++)
        if (!valid_utf8(lines[i])) first_bad = i + 1;
    for (size_t i = 0; scoring && i < n && !first_bad; i++)
        if (!valid_utf8(tgt[i])) first_bad = i + 1, bad_side = 1;
    /* A long search is set up but not run: a line of T tokens (at most its
     * bytes) may take ceil(ratio x T) + 10 steps, each ranking beam x V
     * candidates into a list of about beam (so beam^2 per step). */
    double work = 0;
    for (size_t i = 0; i < n; i++) {
        const double tokens = fmin((double)strlen(lines[i]), (double)max_src_len);
        work += (double)beam * (beam + 4) * (ratio * tokens + 11.0);
    }
    const int cheap = scoring || work <= 1e4;
    nmt_options *used = defaults ? NULL : opt;
    nmt_result *r = (nmt_result *)1;
    nmt_status st = NMT_OK;
    if (scoring) {
        st = nmt_score(model, used, (const char *const *)lines, (const char *const *)tgt, n, &r);
    } else if (cheap) {
        st = nmt_translate(model, used, (const char *const *)lines, n, &r);
    }
    if (scoring || cheap) {
        char want[64];
        if (!scoring && nbest > beam) {
            CHECK(st == NMT_ERR_ARGUMENT && r == NULL && strstr(nmt_last_error(), "larger than the beam"));
        } else if (first_bad) {
            CHECK(st == NMT_ERR_INPUT && r == NULL);
            snprintf(want, sizeof want, "%s:%zu: invalid UTF-8 at byte ", scoring ? (bad_side ? "target" : "source") : "input",
                     first_bad);
            CHECK(strncmp(nmt_last_error(), want, strlen(want)) == 0);
        } else {
            CHECK(st == NMT_OK && r != NULL);
            check_result(r, n, (const char *const *)lines, scoring, nbest, attention, alignment,
                         scoring ? max_len : max_src_len);
            /* results do not depend on the thread count */
            if (!defaults && threads != 1 && (scoring || work <= 2e3)) {
                nmt_options_set_threads(opt, 1);
                nmt_result *one = NULL;
                if (scoring) CHECK(nmt_score(model, opt, (const char *const *)lines, (const char *const *)tgt, n, &one) == NMT_OK);
                else CHECK(nmt_translate(model, opt, (const char *const *)lines, n, &one) == NMT_OK);
                CHECK(same_result(r, one));
                nmt_result_free(one);
            }
            nmt_result_free(r);
        }
    }
    CHECK(nmt_translate(model, opt, NULL, 1, &r) == NMT_ERR_ARGUMENT && r == NULL);
    CHECK(nmt_translate(NULL, opt, (const char *const *)lines, n, &r) == NMT_ERR_ARGUMENT);
    nmt_options_free(opt);
    free(copy);
    return 0;
}
