/* Tests for src/align's model: EM worked out by hand, variational Bayes,
 * the diagonal prior and its tension, Viterbi, thread-count independence.
 * (Symmetrization, AER and parsing: test_align_links.c.) Every expected
 * number below was worked out by hand; the derivations are in the comments. */
#include "align/ibm2.h"
#include "test.h"

static void build(AlignCorpus *c, const char *const *pairs, int n) {
    align_corpus_init(c);
    for (int k = 0; k < n; k++) align_corpus_add(c, pairs[2 * k], pairs[2 * k + 1]);
    align_corpus_finish(c);
}

/* IBM Model 1 as a special case: no NULL (p0 = 0), flat prior (lambda 0). */
static Ibm2Options model1(void) {
    Ibm2Options o;
    ibm2_options_default(&o);
    o.p0 = 0;
    o.lambda = 0;
    o.optimize_lambda = 0;
    o.alpha = 0;
    return o;
}

static void test_em_model1_by_hand(void) {
    /* Iteration 1 (uniform t): each English word is split 1/2 : 1/2 over
     * the two German words. Counts: das: the 1, house 1/2, book 1/2 (total 2);
     * Haus: the 1/2, house 1/2; Buch: the 1/2, book 1/2.
     * Iteration 2: "house" in pair 1 has q(das) = 1/4, q(Haus) = 1/2, so
     * posteriors 1/3, 2/3; "the" stays 1/2 : 1/2. das: the 1, house 1/3,
     * book 1/3 (total 5/3); Haus: the 1/2, house 2/3 (total 7/6). */
    const char *pairs[] = {"das Haus", "the house", "das Buch", "the book"};
    AlignCorpus c;
    build(&c, pairs, 2);
    EXPECT(c.nsent == 2 && c.npairs == 7); /* das-the das-house Haus-the Haus-house das-book Buch-the Buch-book */
    Ibm2Options o = model1();
    Ibm2Model m;
    ibm2_init(&m, &c, &o);
    ibm2_iteration(&m);
    EXPECT_NEAR(ibm2_prob(&m, "das", "the"), 0.5, 1e-12);
    EXPECT_NEAR(ibm2_prob(&m, "das", "house"), 0.25, 1e-12);
    EXPECT_NEAR(ibm2_prob(&m, "Haus", "house"), 0.5, 1e-12);
    EXPECT(ibm2_prob(&m, "Haus", "book") == -1); /* never co-occur */
    ibm2_iteration(&m);
    EXPECT_NEAR(ibm2_prob(&m, "das", "the"), 0.6, 1e-12);
    EXPECT_NEAR(ibm2_prob(&m, "das", "house"), 0.2, 1e-12);
    EXPECT_NEAR(ibm2_prob(&m, "Haus", "the"), 3.0 / 7, 1e-12);
    EXPECT_NEAR(ibm2_prob(&m, "Haus", "house"), 4.0 / 7, 1e-12);
    EXPECT_NEAR(ibm2_prob(&m, "Buch", "book"), 4.0 / 7, 1e-12);
    ibm2_free(&m);

    /* Reverse: German from English; by symmetry t(Haus | house) after one
     * iteration is 1/2 and t(das | the) = 1/2 (the: das 1, Haus 1/2, Buch 1/2). */
    o.reverse = 1;
    ibm2_init(&m, &c, &o);
    ibm2_iteration(&m);
    EXPECT_NEAR(ibm2_prob(&m, "the", "das"), 0.5, 1e-12);
    EXPECT_NEAR(ibm2_prob(&m, "house", "Haus"), 0.5, 1e-12);
    ibm2_free(&m);
    align_corpus_free(&c);
}

static void test_em_null_and_diagonal_by_hand(void) {
    /* p0 = 0.2, lambda = 1 fixed. Pair 1 "a b" / "x": n = 2, m = 1, j = 1:
     * dist(1) = |1/2 - 1| = 1/2, dist(2) = 0, so p(1) = 0.8 e^-.5 / (e^-.5 + 1)
     * = 0.3020325350, p(2) = 0.8 / (e^-.5 + 1) = 0.4979674650. Pair 2 "a" / "y":
     * p(1) = 0.8. With uniform t the posteriors are these priors; counts
     * a: x 0.3020325350, y 0.8; b: x 0.4979674650; NULL: x 0.2, y 0.2. */
    const char *pairs[] = {"a b", "x", "a", "y"};
    AlignCorpus c;
    build(&c, pairs, 2);
    Ibm2Options o = model1();
    o.p0 = 0.2;
    o.lambda = 1;
    Ibm2Model m;
    ibm2_init(&m, &c, &o);
    ibm2_iteration(&m);
    EXPECT_NEAR(ibm2_prob(&m, "a", "x"), 0.3020325350 / 1.1020325350, 1e-9);
    EXPECT_NEAR(ibm2_prob(&m, "a", "y"), 0.8 / 1.1020325350, 1e-9);
    EXPECT_NEAR(ibm2_prob(&m, "b", "x"), 1.0, 1e-12);
    EXPECT_NEAR(ibm2_prob(&m, "NULL", "x"), 0.5, 1e-12);
    EXPECT_NEAR(ibm2_prob(&m, "NULL", "y"), 0.5, 1e-12);
    ibm2_free(&m);
    align_corpus_free(&c);
}

static void test_em_variational_bayes_by_hand(void) {
    /* The Model 1 corpus, alpha = 0.5: after iteration 1 das has counts
     * the 1, house 1/2, book 1/2; t = exp(psi(c + .5) - psi(3.5)), and
     * psi(1.5) - psi(3.5) = -(1/1.5 + 1/2.5) = -16/15, psi(1) - psi(3.5) =
     * -gamma - psi(3.5) = -0.5772156649 - 1.1031566406. */
    const char *pairs[] = {"das Haus", "the house", "das Buch", "the book"};
    AlignCorpus c;
    build(&c, pairs, 2);
    Ibm2Options o = model1();
    o.alpha = 0.5;
    Ibm2Model m;
    ibm2_init(&m, &c, &o);
    ibm2_iteration(&m);
    EXPECT_NEAR(ibm2_prob(&m, "das", "the"), exp(-16.0 / 15), 1e-9);
    EXPECT_NEAR(ibm2_prob(&m, "das", "house"), exp(-0.5772156649 - 1.1031566406), 1e-9);
    ibm2_free(&m);
    align_corpus_free(&c);
}

static void test_digamma(void) {
    const double g = 0.57721566490153286;
    EXPECT_NEAR(ibm2_digamma(1), -g, 1e-12);
    EXPECT_NEAR(ibm2_digamma(0.5), -g - 2 * log(2), 1e-12);
    EXPECT_NEAR(ibm2_digamma(2), 1 - g, 1e-12);
    EXPECT_NEAR(ibm2_digamma(0.01), -100.5608854580, 1e-9); /* psi(1.01) - 100, by its Taylor series */
    EXPECT_NEAR(ibm2_digamma(0.01) + 100, ibm2_digamma(1.01), 1e-12);
}

static void test_prior_normalization(void) {
    double row[64];
    ibm2_prior_row(2, 1, 1, 1.0, 0.2, row);
    EXPECT_NEAR(row[0], 0.2, 1e-15);
    EXPECT_NEAR(row[1], 0.3020325350, 1e-9);
    EXPECT_NEAR(row[2], 0.4979674650, 1e-9);
    const int sizes[][2] = {{1, 1}, {3, 7}, {7, 3}, {40, 40}, {25, 31}};
    const double lambdas[] = {0, 0.5, 4, 30};
    for (size_t k = 0; k < 5; k++)
        for (size_t l = 0; l < 4; l++) {
            int n = sizes[k][0], m = sizes[k][1];
            for (int j = 1; j <= m; j++) {
                ibm2_prior_row(n, m, j, lambdas[l], 0.08, row);
                double sum = 0;
                for (int i = 0; i <= n; i++) sum += row[i];
                EXPECT_NEAR(sum, 1.0, 1e-12);
                /* ratios follow exp(-lambda (dist_i - dist_1)) */
                for (int i = 2; i <= n; i++) {
                    double d1 = fabs(1.0 / n - (double)j / m), di = fabs((double)i / n - (double)j / m);
                    EXPECT_NEAR(row[i] / row[1] / exp(-lambdas[l] * (di - d1)), 1.0, 1e-9);
                }
            }
        }
    ibm2_prior_row(3, 3, 2, 0, 0.1, row); /* lambda 0: uniform over the words */
    EXPECT_NEAR(row[1], 0.3, 1e-15);
    EXPECT_NEAR(row[3], 0.3, 1e-15);
}

static void test_lambda_update(void) {
    /* Iteration 1 starts from uniform t, so the posteriors are the prior
     * itself and the lambda maximizing the expected likelihood is the
     * current one: it must not move. Later iterations, on a corpus whose
     * words translate one to one in order, pull it up towards the diagonal. */
    const char *pairs[] = {"a b c", "x y z", "b c a", "y z x", "c a b d", "z x y w", "a d", "x w"};
    AlignCorpus c;
    build(&c, pairs, 4);
    Ibm2Options o;
    ibm2_options_default(&o);
    o.alpha = 0;
    Ibm2Model m;
    ibm2_init(&m, &c, &o);
    ibm2_iteration(&m);
    EXPECT_NEAR(m.lambda, 4.0, 1e-6);
    for (int k = 0; k < 4; k++) ibm2_iteration(&m);
    EXPECT_MSG(m.lambda > 6, "lambda %.3f", m.lambda);
    Alignment a;
    alignment_init(&a);
    ibm2_viterbi(&m, &a);
    Buf b = {0};
    for (long s = 0; s < a.nsent; s++) alignment_format_sentence(&a, s, &b);
    buf_append(&b, "", 1);
    EXPECT_STR(b.data, "0-0 1-1 2-2\n0-0 1-1 2-2\n0-0 1-1 2-2 3-3\n0-0 1-1\n");
    buf_free(&b);
    alignment_free(&a);
    ibm2_free(&m);
    align_corpus_free(&c);
}

static void test_threads_give_identical_tables(void) {
    /* More sentences than one posterior block, so blocks and threads both split work. */
    AlignCorpus c;
    align_corpus_init(&c);
    char s[128], t[128];
    for (int k = 0; k < 1500; k++) {
        snprintf(s, sizeof s, "w%d w%d v%d w%d", k % 7, k % 11, k % 5, k % 13);
        snprintf(t, sizeof t, "u%d u%d u%d z%d", k % 7, k % 11, k % 13, k % 3);
        align_corpus_add(&c, s, t);
    }
    align_corpus_finish(&c);
    Ibm2Options o;
    ibm2_options_default(&o);
    Ibm2Model m1, m2;
    o.threads = 1;
    ibm2_train(&m1, &c, &o, NULL);
    o.threads = 3;
    ibm2_train(&m2, &c, &o, NULL);
    EXPECT(memcmp(m1.t, m2.t, (size_t)c.npairs * sizeof *m1.t) == 0);
    EXPECT(m1.lambda == m2.lambda && m1.loglik == m2.loglik);
    ibm2_free(&m1);
    ibm2_free(&m2);
    align_corpus_free(&c);
}

int main(void) {
    RUN(test_em_model1_by_hand);
    RUN(test_em_null_and_diagonal_by_hand);
    RUN(test_em_variational_bayes_by_hand);
    RUN(test_digamma);
    RUN(test_prior_normalization);
    RUN(test_lambda_update);
    RUN(test_threads_give_identical_tables);
    TEST_EXIT();
}
