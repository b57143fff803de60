/* The C API's input length limits (nmt.h, 1.1): nmt_options_set_max_src_len
 * and nmt_options_set_max_len with the tools' ranges, and nmt_result_cut
 * reporting the tokens left out of a line longer than the limit, for
 * nmt_translate and nmt_score, with options and with the defaults (NULL);
 * and (1.2) the attention heads: nmt_model_heads, nmt_result_attention_head. */
#include "nmt.h"

#include "fixture_model.h"
#include "test.h"

static nmt_model *g_api;
static char *g_long;  /* the test sentences joined: far more than 512 source tokens */
static char *g_long_t; /* the same as a target */

static void test_version(void) { EXPECT_STR(nmt_version(), "1.4.0"); }

/* nmt_option_info reads the tables nmt-translate and nmt-score parse their flags with. */
static void test_option_info(void) {
    double def, lo, hi;
    EXPECT(nmt_option_info("beam", &def, &lo, &hi) == NMT_OK && def == 5 && lo == 1 && hi == 256);
    EXPECT(nmt_option_info("length_penalty", &def, &lo, &hi) == NMT_OK && def == 0.6 && lo == 0 && hi == 10);
    EXPECT(nmt_option_info("max_len", &def, NULL, NULL) == NMT_OK && def == 256);
    EXPECT(nmt_option_info("batch", &def, &lo, &hi) == NMT_OK && def == 32 && lo == 1 && hi == 4096);
    EXPECT(nmt_option_info("threads", &def, &lo, &hi) == NMT_OK && def == 0 && lo == 0 && hi == 1024);
    EXPECT(nmt_option_info("beams", &def, &lo, &hi) == NMT_ERR_ARGUMENT);
    EXPECT_STR(nmt_last_error(), "nmt_option_info: no option named 'beams'");
    const FieldSpec *f = translate_option_field("--beam");
    EXPECT(f && f->def == 5 && f->max == 256); /* the same row */
}

static void test_limit_setters_ranges(void) {
    nmt_options *o = nmt_options_new();
    EXPECT(nmt_options_set_max_src_len(o, 0) == NMT_ERR_ARGUMENT);
    EXPECT_STR(nmt_last_error(), "max_src_len must be between 1 and 1048576, got 0");
    EXPECT(nmt_options_set_max_src_len(o, (1 << 20) + 1) == NMT_ERR_ARGUMENT);
    EXPECT(nmt_options_set_max_src_len(o, 1 << 20) == NMT_OK);
    EXPECT(nmt_options_set_max_src_len(o, 1) == NMT_OK);
    EXPECT(nmt_options_set_max_len(o, -5) == NMT_ERR_ARGUMENT);
    EXPECT_STR(nmt_last_error(), "max_len must be between 1 and 1048576, got -5");
    EXPECT(nmt_options_set_max_len(o, (1 << 20) + 1) == NMT_ERR_ARGUMENT);
    EXPECT(nmt_options_set_max_len(o, 1 << 20) == NMT_OK);
    EXPECT(nmt_options_set_max_src_len(NULL, 5) == NMT_ERR_ARGUMENT);
    EXPECT_STR(nmt_last_error(), "nmt_options_set_max_src_len: options is NULL");
    EXPECT(nmt_options_set_max_len(NULL, 5) == NMT_ERR_ARGUMENT);
    EXPECT_STR(nmt_last_error(), "nmt_options_set_max_len: options is NULL");
    nmt_options_free(o);
    EXPECT(nmt_result_cut(NULL, 0) == 0);
}

/* Translate {short, long, empty} with options o (NULL: the defaults). */
static nmt_result *translate3(const nmt_options *o) {
    const char *lines[3] = {g_lines[0], g_long, ""};
    nmt_result *r = NULL;
    EXPECT_MSG(nmt_translate(g_api, o, lines, 3, &r) == NMT_OK, "%s", nmt_last_error());
    return r;
}

static void test_translate_cut_reported(void) {
    nmt_options *o = nmt_options_new();
    nmt_options_set_beam(o, 1);
    nmt_options_set_max_src_len(o, 1 << 20);
    nmt_result *whole = translate3(o);
    const size_t K = nmt_result_src_tokens(whole, 1);
    EXPECT_MSG(K > 600, "the long line has %zu tokens", K);
    EXPECT(nmt_result_cut(whole, 0) == 0 && nmt_result_cut(whole, 1) == 0 && nmt_result_cut(whole, 2) == 0);

    /* the default: 512 source tokens, as nmt-translate */
    nmt_result *def = translate3(NULL);
    EXPECT(nmt_result_src_tokens(def, 1) == 512);
    EXPECT_MSG(nmt_result_cut(def, 1) == K - 512, "cut %zu, expected %zu", nmt_result_cut(def, 1), K - 512);
    EXPECT(nmt_result_cut(def, 0) == 0 && nmt_result_cut(def, 2) == 0 && nmt_result_cut(def, 3) == 0);

    /* a limit of 7: the first 7 tokens of the line, the rest counted */
    nmt_options_set_max_src_len(o, 7);
    nmt_result *seven = translate3(o);
    EXPECT(nmt_result_src_tokens(seven, 1) == 7);
    EXPECT(nmt_result_cut(seven, 1) == K - 7);
    for (size_t j = 0; j < 7; j++) EXPECT_STR(nmt_result_src_token(seven, 1, j), nmt_result_src_token(whole, 1, j));
    const size_t K0 = nmt_result_src_tokens(whole, 0);
    EXPECT(nmt_result_cut(seven, 0) == (K0 > 7 ? K0 - 7 : 0));
    nmt_result_free(whole), nmt_result_free(def), nmt_result_free(seven);
    nmt_options_free(o);
}

/* Score {short pair, long pair, empty source} with options o (NULL: the defaults). */
static nmt_result *score3(const nmt_options *o) {
    const char *src[3] = {g_lines[1], g_long, ""}, *tgt[3] = {"a dog .", g_long_t, g_long_t};
    nmt_result *r = NULL;
    EXPECT_MSG(nmt_score(g_api, o, src, tgt, 3, &r) == NMT_OK, "%s", nmt_last_error());
    return r;
}

static void test_score_cut_reported(void) {
    nmt_options *o = nmt_options_new();
    nmt_options_set_max_len(o, 1 << 20);
    nmt_result *whole = score3(o);
    const size_t Ks = nmt_result_src_tokens(whole, 1), Kt = nmt_result_steps(whole, 1, 0) - 1;
    EXPECT_MSG(Ks > 300 && Kt > 300, "the long pair has %zu and %zu tokens", Ks, Kt);
    EXPECT(nmt_result_cut(whole, 0) == 0 && nmt_result_cut(whole, 1) == 0);

    /* the default: 256 tokens per side, as nmt-score */
    nmt_result *def = score3(NULL);
    EXPECT(nmt_result_src_tokens(def, 1) == 256 && nmt_result_steps(def, 1, 0) == 257);
    EXPECT_MSG(nmt_result_cut(def, 1) == (Ks - 256) + (Kt - 256), "cut %zu, expected %zu", nmt_result_cut(def, 1),
               (Ks - 256) + (Kt - 256));
    EXPECT(nmt_result_cut(def, 0) == 0);
    EXPECT(nmt_result_hypotheses(def, 2) == 0 && nmt_result_cut(def, 2) == 0); /* empty source: not scored */
    EXPECT(nmt_result_logprob(def, 1, 0) > nmt_result_logprob(whole, 1, 0)); /* fewer tokens scored */

    nmt_options_set_max_len(o, 5);
    nmt_result *five = score3(o);
    EXPECT(nmt_result_src_tokens(five, 1) == 5 && nmt_result_steps(five, 1, 0) == 6);
    EXPECT(nmt_result_cut(five, 1) == (Ks - 5) + (Kt - 5));
    for (size_t j = 0; j < 5; j++) {
        EXPECT_STR(nmt_result_src_token(five, 1, j), nmt_result_src_token(whole, 1, j));
        EXPECT_STR(nmt_result_tgt_token(five, 1, 0, j), nmt_result_tgt_token(whole, 1, 0, j));
    }
    nmt_result_free(whole), nmt_result_free(def), nmt_result_free(five);
    nmt_options_free(o);
}

/* Every hypothesis's head matrices: laid out as the mean's, rows summing
 * to 1, the mean their mean; a head beyond the model's is NULL. */
static void check_heads(const nmt_result *r, int heads) {
    int checked = 0;
    for (size_t i = 0; i < nmt_result_lines(r); i++)
        for (size_t h = 0; h < nmt_result_hypotheses(r, i); h++) {
            size_t rows = 0, cols = 0, hr = 9, hc = 9;
            const float *mean = nmt_result_attention(r, i, h, &rows, &cols);
            if (!mean) continue;
            const float *head[4] = {NULL};
            for (int k = 0; k < heads; k++) {
                head[k] = nmt_result_attention_head(r, i, h, (size_t)k, &hr, &hc);
                EXPECT(head[k] != NULL && hr == rows && hc == cols);
            }
            EXPECT(nmt_result_attention_head(r, i, h, (size_t)heads, &hr, &hc) == NULL && hr == 0 && hc == 0);
            if (heads == 1) EXPECT(head[0] == mean);
            for (size_t t = 0; t < rows && head[heads - 1]; t++) {
                for (int k = 0; k < heads; k++) {
                    double sum = 0;
                    for (size_t j = 0; j < cols; j++) sum += head[k][t * cols + j];
                    EXPECT_NEAR(sum, 1.0, 1e-4);
                }
                for (size_t j = 0; j < cols; j++) {
                    double m = 0;
                    for (int k = 0; k < heads; k++) m += head[k][t * cols + j];
                    EXPECT_NEAR(mean[t * cols + j], m / heads, 1e-6);
                }
            }
            if (heads == 2 && rows > 0 && head[1]) /* the heads differ */
                EXPECT(memcmp(head[0], head[1], sizeof(float) * rows * cols) != 0);
            checked++;
        }
    EXPECT(checked > 0);
}

static void test_attention_heads(void) {
    Model *m = fixture_build_model_heads(DECODER_GRU, 2);
    char path[128], err[1024];
    snprintf(path, sizeof path, "%s/heads.model", g_dir);
    EXPECT_MSG(model_save(m, path, NULL, 0, err, sizeof err) == 0, "%s", err);
    model_free(m);
    nmt_model *api = NULL;
    EXPECT_MSG(nmt_model_load(path, &api) == NMT_OK, "%s", nmt_last_error());
    EXPECT(nmt_model_heads(api) == 2 && nmt_model_heads(g_api) == 1 && nmt_model_heads(NULL) == 0);
    nmt_options *o = nmt_options_new();
    nmt_options_set_attention(o, 1);
    nmt_options_set_beam(o, 3);
    nmt_options_set_nbest(o, 2);
    const char *lines[3] = {g_lines[0], g_lines[1], g_lines[2]}, *tgt[3] = {"a dog .", "the cat sat", "b"};
    nmt_result *r = NULL;
    EXPECT_MSG(nmt_translate(api, o, lines, 3, &r) == NMT_OK, "%s", nmt_last_error());
    check_heads(r, 2);
    nmt_result_free(r);
    EXPECT_MSG(nmt_score(api, o, lines, tgt, 3, &r) == NMT_OK, "%s", nmt_last_error());
    check_heads(r, 2);
    nmt_result_free(r);
    EXPECT_MSG(nmt_translate(g_api, o, lines, 3, &r) == NMT_OK, "%s", nmt_last_error());
    check_heads(r, 1);
    nmt_result_free(r);
    /* without attention there is no head either */
    nmt_options_set_attention(o, 0);
    EXPECT_MSG(nmt_translate(api, o, lines, 3, &r) == NMT_OK, "%s", nmt_last_error());
    size_t rows = 9, cols = 9;
    EXPECT(nmt_result_attention_head(r, 0, 0, 0, &rows, &cols) == NULL && rows == 0 && cols == 0);
    nmt_result_free(r);
    nmt_options_free(o);
    nmt_model_free(api);
}

/* A model with 2 heads and the alignment layer: by default the attention
 * of nmt_score and nmt_translate comes from the layer (one matrix, so one
 * head; the result once read the decoder's head count past it), whose rows
 * sum to 1; NMT_SOURCE_DECODER gives the decoder's 2 heads and the same
 * translations; NMT_SOURCE_ALIGNMENT with a model without the layer fails
 * at the call, saying so; the setter's range is the tools' table's. */
static void test_score_alignment_layer(void) {
    Model *h = fixture_build_model_heads(DECODER_CGRU, 2);
    ModelConfig cfg = h->cfg;
    cfg.alignment_layer = 1, cfg.alignment_dim = 8;
    Model *m = model_create(&cfg, h->vocab, 7);
    h->vocab = NULL;
    model_free(h);
    char path[128], err[1024];
    snprintf(path, sizeof path, "%s/layer.model", g_dir);
    EXPECT_MSG(model_save(m, path, NULL, 0, err, sizeof err) == 0, "%s", err);
    model_free(m);
    nmt_model *api = NULL;
    EXPECT_MSG(nmt_model_load(path, &api) == NMT_OK, "%s", nmt_last_error());
    nmt_options *o = nmt_options_new();
    nmt_options_set_attention(o, 1);
    const char *lines[3] = {g_lines[0], g_lines[1], g_lines[2]}, *tgt[3] = {"a dog .", "the cat sat", "b"};
    nmt_result *r = NULL;
    EXPECT_MSG(nmt_score(api, o, lines, tgt, 3, &r) == NMT_OK, "%s", nmt_last_error());
    check_heads(r, 1);
    for (size_t i = 0; i < 3; i++) {
        size_t rows = 0, cols = 0;
        const float *a = nmt_result_attention(r, i, 0, &rows, &cols);
        EXPECT(a && rows > 0 && cols > 0);
        for (size_t t = 0; a && t < rows; t++) {
            double sum = 0.0;
            for (size_t j = 0; j < cols; j++) sum += a[t * cols + j];
            EXPECT_NEAR(sum, 1.0, 1e-5);
        }
    }
    nmt_result_free(r);
    EXPECT(nmt_model_alignment_layer(api) == 1 && nmt_model_alignment_layer(g_api) == 0 &&
           nmt_model_alignment_layer(NULL) == 0);
    nmt_result *layer = NULL, *dec = NULL;
    EXPECT_MSG(nmt_translate(api, o, lines, 3, &layer) == NMT_OK, "%s", nmt_last_error());
    check_heads(layer, 1);
    EXPECT(nmt_options_set_attention_source(o, NMT_SOURCE_DECODER) == NMT_OK);
    EXPECT_MSG(nmt_translate(api, o, lines, 3, &dec) == NMT_OK, "%s", nmt_last_error());
    check_heads(dec, 2);
    for (size_t i = 0; layer && dec && i < 3; i++) {
        EXPECT_STR(nmt_result_text(layer, i, 0), nmt_result_text(dec, i, 0));
        size_t rl = 0, cl = 0, rd = 0, cd = 0;
        const float *a = nmt_result_attention(layer, i, 0, &rl, &cl), *b = nmt_result_attention(dec, i, 0, &rd, &cd);
        EXPECT(a && b && rl == rd && cl == cd && memcmp(a, b, sizeof(float) * rl * cl) != 0);
    }
    nmt_result_free(layer), nmt_result_free(dec);
    EXPECT(nmt_options_set_attention_source(o, NMT_SOURCE_ALIGNMENT) == NMT_OK);
    EXPECT(nmt_translate(g_api, o, lines, 3, &r) == NMT_ERR_ARGUMENT && r == NULL);
    EXPECT(strstr(nmt_last_error(), "has no alignment layer") != NULL);
    EXPECT(nmt_score(g_api, o, lines, tgt, 3, &r) == NMT_ERR_ARGUMENT && r == NULL);
    EXPECT(strstr(nmt_last_error(), "has no alignment layer") != NULL);
    EXPECT(nmt_options_set_attention_source(o, 3) == NMT_ERR_ARGUMENT);
    EXPECT(nmt_options_set_attention_source(o, -1) == NMT_ERR_ARGUMENT);
    double def, lo, hi;
    EXPECT(nmt_option_info("attention_source", &def, &lo, &hi) == NMT_OK && def == NMT_SOURCE_AUTO && lo == 0 &&
           hi == NMT_SOURCE_DECODER);
    nmt_options_free(o);
    nmt_model_free(api);
}

int main(void) {
    fixture_init();
    char path[128], err[1024];
    snprintf(path, sizeof path, "%s/api.model", g_dir);
    if (model_save(g_model, path, NULL, 0, err, sizeof err) != 0) die("%s", err);
    if (nmt_model_load(path, &g_api) != NMT_OK) die("%s", nmt_last_error());
    size_t n = 0;
    for (int i = 0; i < N_SENT; i++) n += strlen(g_lines[i]) + 1;
    g_long = xmalloc(n + 1), g_long_t = xmalloc(n + 1);
    g_long[0] = 0;
    for (int i = 0; i < N_SENT; i++) strcat(strcat(g_long, g_lines[i]), " ");
    /* the target side: the same text, lower-cased ASCII, tokenizes on the target vocabulary too */
    for (size_t k = 0; k <= n; k++)
        g_long_t[k] = (char)(g_long[k] >= 'A' && g_long[k] <= 'Z' ? g_long[k] + 32 : g_long[k]);
    RUN(test_version);
    RUN(test_option_info);
    RUN(test_limit_setters_ranges);
    RUN(test_translate_cut_reported);
    RUN(test_score_cut_reported);
    RUN(test_attention_heads);
    RUN(test_score_alignment_layer);
    free(g_long), free(g_long_t);
    nmt_model_free(g_api);
    fixture_free();
    TEST_EXIT();
}
