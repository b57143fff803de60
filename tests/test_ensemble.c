/* Ensembles (model/ensemble.h, search/decoding.h, translate/scorer.h, the
 * C API's nmt_ensemble_load): a model with itself gives exactly that
 * model's translations, scores, n-best lists and attention, greedy and
 * beam, in the library and through the API; two different models (a GRU
 * and a conditional-GRU decoder) score the weighted average of their
 * log-probabilities and report the chosen model's attention; the output
 * does not depend on the thread count; mismatched vocabularies, weights
 * and arguments are refused with messages naming the file or the value. */
#include <math.h>

#include "fixture_model.h"
#include "model/ensemble.h"
#include "nmt.h"
#include "test.h"
#include "translate/scorer.h"

static char g_path_a[160], g_path_b[160], g_path_v[160];

/* n sentences translated by model m with options o. */
static NBest *translate_all(const Model *m, const TranslateOptions *o) {
    NBest *nb = xcalloc(N_SENT, sizeof(NBest));
    translate_ids(m, o, (const int *const *)g_src, g_src_len, N_SENT, nb);
    return nb;
}

/* Every hypothesis the same: tokens, log-probability, score, attention (bit for bit). */
static int same_nbest(const NBest *a, const NBest *b, int n) {
    for (int i = 0; i < n; i++) {
        if (a[i].n != b[i].n) return 0;
        for (int k = 0; k < a[i].n; k++) {
            const Hypothesis *x = &a[i].hyps[k], *y = &b[i].hyps[k];
            if (!same_tokens(x, y) || x->logprob != y->logprob || x->score != y->score) return 0;
            if (!x->attention != !y->attention) return 0;
            if (x->attention &&
                memcmp(x->attention, y->attention, sizeof(float) * (size_t)(x->len + x->ended) * (size_t)x->Ts))
                return 0;
        }
    }
    return 1;
}

static Model *load2(const char *a, const char *b, const double *w, int attention) {
    const char *paths[2] = {a, b};
    char err[1024];
    Model *m = ensemble_load(paths, 2, w, attention, err, sizeof err);
    EXPECT_MSG(m != NULL, "%s", err);
    return m;
}

static void test_self_ensemble_translates_as_the_model(void) {
    Model *e = load2(g_path_a, g_path_a, NULL, 0);
    if (!e) return;
    EXPECT(e->ensemble && e->ensemble->n == 2 && e->ensemble->weight[0] == 0.5 && e->ensemble->weight[1] == 0.5);
    const int beams[3] = {1, 5, 5}, nbest[3] = {1, 1, 5};
    for (int c = 0; c < 3; c++) {
        TranslateOptions o = opts(beams[c], 1);
        o.search.nbest = nbest[c];
        o.search.want_attention = 1;
        NBest *one = translate_all(g_model, &o), *two = translate_all(e, &o);
        EXPECT_MSG(same_nbest(one, two, N_SENT), "beam %d nbest %d", beams[c], nbest[c]);
        free_all(one, N_SENT), free_all(two, N_SENT), free(one), free(two);
    }
    /* equal weights other than 1 divide to exactly 1/2 as well */
    const double w[2] = {0.3, 0.3};
    Model *e3 = load2(g_path_a, g_path_a, w, 1);
    if (e3) {
        TranslateOptions o = opts(5, 1);
        o.search.nbest = 3;
        NBest *one = translate_all(g_model, &o), *two = translate_all(e3, &o);
        EXPECT(same_nbest(one, two, N_SENT));
        free_all(one, N_SENT), free_all(two, N_SENT), free(one), free(two);
        model_free(e3);
    }
    model_free(e);
}

/* Scores of every test sentence's own first words as its target (any target scores). */
static void score_model(const Model *m, double *lp, float **att) {
    ScoreOptions so;
    score_options_default(&so);
    so.batch = 4;
    score_ids(m, &so, (const int *const *)g_src, g_src_len, (const int *const *)g_src, g_src_len, N_SENT, lp, att);
}

static void test_scores_are_the_weighted_average(void) {
    Model *b = model_load(g_path_b, NULL, (char[256]){0}, 256);
    EXPECT(b != NULL);
    if (!b) return;
    double la[N_SENT], lb[N_SENT], lab[N_SENT], lw[N_SENT], laa[N_SENT];
    float *att_b[N_SENT] = {0}, *att_e[N_SENT] = {0};
    score_model(g_model, la, NULL);
    score_model(b, lb, att_b);
    Model *e = load2(g_path_a, g_path_b, NULL, 1), *ew = load2(g_path_a, g_path_b, (double[2]){3, 1}, 0),
          *ea = load2(g_path_a, g_path_a, NULL, 0);
    if (e && ew && ea) {
        score_model(e, lab, att_e);
        score_model(ew, lw, NULL);
        score_model(ea, laa, NULL);
        int avg = 1, weighted = 1, self = 1, differ = 0, attention = 1;
        for (int i = 0; i < N_SENT; i++) {
            avg &= lab[i] == 0.5 * la[i] + 0.5 * lb[i];
            weighted &= fabs(lw[i] - (0.75 * la[i] + 0.25 * lb[i])) <= 1e-9 * fabs(la[i]);
            self &= laa[i] == la[i];
            differ += la[i] != lb[i];
            attention &= att_e[i] && !memcmp(att_e[i], att_b[i], sizeof(float) * (size_t)(g_src_len[i] + 1) *
                                                                     (size_t)g_src_len[i]);
        }
        EXPECT_MSG(differ > N_SENT / 2, "the two models should score differently (%d of %d)", differ, N_SENT);
        EXPECT_MSG(avg, "A+B: %.9f, expected (%.9f + %.9f) / 2", lab[0], la[0], lb[0]);
        EXPECT_MSG(weighted, "weights 3,1: %.9f, expected %.9f", lw[0], 0.75 * la[0] + 0.25 * lb[0]);
        EXPECT(self);
        EXPECT_MSG(attention, "the attention is the attention model's (the second)");
    }
    for (int i = 0; i < N_SENT; i++) free(att_b[i]), free(att_e[i]);
    model_free(e), model_free(ew), model_free(ea), model_free(b);
}

/* Two models of different architectures translate alike on 1 and 2 threads,
 * and differently from either model alone on some line; a tiny second weight
 * gives nearly the first model's scores. */
static void test_two_models_translate(void) {
    Model *e = load2(g_path_a, g_path_b, NULL, 0), *tiny = load2(g_path_a, g_path_b, (double[2]){1, 1e-6}, 0);
    if (!e || !tiny) return model_free(e), model_free(tiny);
    TranslateOptions o1 = opts(5, 1), o2 = opts(5, 2);
    o1.search.nbest = o2.search.nbest = 3;
    NBest *x = translate_all(e, &o1), *y = translate_all(e, &o2), *a = translate_all(g_model, &o1),
          *t = translate_all(tiny, &o1);
    EXPECT(same_nbest(x, y, N_SENT));
    int differ = 0, near = 1;
    for (int i = 0; i < N_SENT; i++) {
        differ += !same_tokens(&x[i].hyps[0], &a[i].hyps[0]);
        if (same_tokens(&t[i].hyps[0], &a[i].hyps[0]))
            near &= fabs(t[i].hyps[0].logprob - a[i].hyps[0].logprob) < 1e-3 * (1 + fabs(a[i].hyps[0].logprob));
    }
    EXPECT_MSG(differ > 0, "the ensemble should change some translation");
    EXPECT(near);
    free_all(x, N_SENT), free_all(y, N_SENT), free_all(a, N_SENT), free_all(t, N_SENT);
    free(x), free(y), free(a), free(t);
    model_free(e), model_free(tiny);
}

static void test_refusals(void) {
    char err[1024];
    const char *pv[2] = {g_path_a, g_path_v};
    EXPECT(ensemble_load(pv, 2, NULL, 0, err, sizeof err) == NULL);
    char want[512];
    snprintf(want, sizeof want, "%s: target vocabulary differs from %s's (", g_path_v, g_path_a);
    EXPECT_MSG(!strncmp(err, want, strlen(want)), "%s", err);
    const char *pa[2] = {g_path_a, g_path_a};
    EXPECT(ensemble_load(pa, 2, (double[2]){1, 0}, 0, err, sizeof err) == NULL);
    EXPECT_STR(err, "weight 2 is 0: the weights must be positive and finite");
    EXPECT(ensemble_load(pa, 2, (double[2]){NAN, 1}, 0, err, sizeof err) == NULL);
    EXPECT_STR(err, "weight 1 is nan: the weights must be positive and finite");
    EXPECT(ensemble_load(pa, 2, NULL, 2, err, sizeof err) == NULL);
    EXPECT_STR(err, "the attention model is 3, but there are 2 models");
    double w[3];
    EXPECT(ensemble_parse_weights("1,2", w, 3, err, sizeof err) != 0);
    EXPECT_STR(err, "--weights '1,2' gives 2 weights for 3 models (one per -m)");
    EXPECT(ensemble_parse_weights("1,,2", w, 3, err, sizeof err) != 0);
    EXPECT_STR(err, "--weights '1,,2': weight 2 ('') is not a positive finite number");
    EXPECT(ensemble_parse_weights("1,-2,1", w, 3, err, sizeof err) != 0);
    EXPECT_STR(err, "--weights '1,-2,1': weight 2 ('-2') is not a positive finite number");
    EXPECT(ensemble_parse_weights("1,inf,1", w, 3, err, sizeof err) != 0);
    EXPECT(ensemble_parse_weights("1,2x,1", w, 3, err, sizeof err) != 0);
    EXPECT(ensemble_parse_weights("0.5,2,1e-3", w, 3, err, sizeof err) == 0 && w[0] == 0.5 && w[2] == 1e-3);
}

/* nmt_ensemble_load: the same results as the one model; its argument errors. */
static void test_api(void) {
    nmt_model *one = NULL, *two = NULL, *bad = NULL;
    const char *pa[2] = {g_path_a, g_path_a};
    EXPECT_MSG(nmt_model_load(g_path_a, &one) == NMT_OK, "%s", nmt_last_error());
    EXPECT_MSG(nmt_ensemble_load(pa, NULL, 2, 0, &two) == NMT_OK, "%s", nmt_last_error());
    if (one && two) {
        nmt_options *o = nmt_options_new();
        nmt_options_set_nbest(o, 3);
        nmt_options_set_alignment(o, 1);
        nmt_result *r1 = NULL, *r2 = NULL, *s1 = NULL, *s2 = NULL;
        EXPECT(nmt_translate(one, o, (const char *const *)g_lines, N_SENT, &r1) == NMT_OK);
        EXPECT(nmt_translate(two, o, (const char *const *)g_lines, N_SENT, &r2) == NMT_OK);
        EXPECT(nmt_score(one, o, (const char *const *)g_lines, (const char *const *)g_lines, N_SENT, &s1) == NMT_OK);
        EXPECT(nmt_score(two, o, (const char *const *)g_lines, (const char *const *)g_lines, N_SENT, &s2) == NMT_OK);
        int same = r1 && r2 && s1 && s2;
        for (size_t i = 0; same && i < N_SENT; i++) {
            same &= nmt_result_hypotheses(r1, i) == nmt_result_hypotheses(r2, i);
            for (size_t k = 0; same && k < nmt_result_hypotheses(r1, i); k++) {
                const int *p1, *p2;
                size_t n1 = nmt_result_alignment(r1, i, k, &p1), n2 = nmt_result_alignment(r2, i, k, &p2);
                same &= !strcmp(nmt_result_text(r1, i, k), nmt_result_text(r2, i, k)) &&
                        nmt_result_score(r1, i, k) == nmt_result_score(r2, i, k) && n1 == n2 &&
                        !memcmp(p1, p2, sizeof(int) * 2 * n1);
            }
            same &= nmt_result_logprob(s1, i, 0) == nmt_result_logprob(s2, i, 0);
        }
        EXPECT(same);
        nmt_result_free(r1), nmt_result_free(r2), nmt_result_free(s1), nmt_result_free(s2);
        nmt_options_free(o);
    }
    const char *pv[2] = {g_path_a, g_path_v};
    EXPECT(nmt_ensemble_load(pv, NULL, 2, 0, &bad) == NMT_ERR_MODEL && bad == NULL);
    char want[512];
    snprintf(want, sizeof want, "%s: target vocabulary differs from %s's (", g_path_v, g_path_a);
    EXPECT_MSG(!strncmp(nmt_last_error(), want, strlen(want)), "%s", nmt_last_error());
    EXPECT(nmt_ensemble_load(pa, NULL, 0, 0, &bad) == NMT_ERR_ARGUMENT);
    EXPECT_STR(nmt_last_error(), "nmt_ensemble_load: n is 0; an ensemble has 1 to 64 models");
    EXPECT(nmt_ensemble_load(pa, NULL, 2, 2, &bad) == NMT_ERR_ARGUMENT);
    EXPECT_STR(nmt_last_error(), "nmt_ensemble_load: attention_model is 2 but there are 2 models (0-based)");
    EXPECT(nmt_ensemble_load(pa, (double[2]){1, -1}, 2, 0, &bad) == NMT_ERR_ARGUMENT);
    EXPECT_STR(nmt_last_error(), "nmt_ensemble_load: weight 2 is -1: the weights must be positive and finite");
    const char *pn[2] = {g_path_a, NULL};
    EXPECT(nmt_ensemble_load(pn, NULL, 2, 0, &bad) == NMT_ERR_ARGUMENT);
    EXPECT_STR(nmt_last_error(), "nmt_ensemble_load: paths[1] is NULL");
    char missing[200];
    snprintf(missing, sizeof missing, "%s/none", g_dir);
    const char *pm[2] = {g_path_a, missing};
    EXPECT(nmt_ensemble_load(pm, NULL, 2, 0, &bad) == NMT_ERR_IO);
    EXPECT(bad == NULL);
    nmt_model_free(one), nmt_model_free(two);
}

int main(void) {
    fixture_init();
    char err[1024];
    snprintf(g_path_a, sizeof g_path_a, "%s/a.model", g_dir);
    snprintf(g_path_b, sizeof g_path_b, "%s/b.model", g_dir);
    snprintf(g_path_v, sizeof g_path_v, "%s/v.model", g_dir);
    if (model_save(g_model, g_path_a, NULL, 0, err, sizeof err) != 0) die("%s", err);
    Model *b = fixture_build_model(DECODER_CGRU); /* another architecture, the same vocabulary */
    if (model_save(b, g_path_b, NULL, 0, err, sizeof err) != 0) die("%s", err);
    model_free(b);
    /* another target vocabulary: fewer BPE merges */
    char s[128], t[128];
    snprintf(s, sizeof s, "%s/train.src", g_dir);
    snprintf(t, sizeof t, "%s/train.tgt", g_dir);
    VocabConfig vc;
    vocab_config_init(&vc);
    vc.bpe_merges = 100;
    CorpusStats cs;
    ModelConfig cfg = {.emb = 8, .hidden = 8, .att_dim = 8, .attention = ATTENTION_BAHDANAU, .decoder = DECODER_GRU,
                       .enc_depth = 1, .dec_depth = 1};
    Model *v = model_create(&cfg, vocab_build(&vc, s, t, &cs), 3);
    if (model_save(v, g_path_v, NULL, 0, err, sizeof err) != 0) die("%s", err);
    model_free(v);
    RUN(test_self_ensemble_translates_as_the_model);
    RUN(test_scores_are_the_weighted_average);
    RUN(test_two_models_translate);
    RUN(test_refusals);
    RUN(test_api);
    fixture_free();
    TEST_EXIT();
}
