/* Tests for src/search through the translator: beam 1 is greedy decoding,
 * a wider beam never scores below greedy, attention rows are distributions;
 * and the top-k scan's jump (first_above) against a plain loop. */
#include <float.h>
#include <math.h>
#include <string.h>

#include "fixture_model.h"
#include "nn/nn.h"
#include "test.h"

static void test_beam1_equals_greedy(void) {
    /* with the usual length limit most hypotheses end with </s>; with a
     * tight one many are cut: both paths must agree */
    int ended = 0, cut = 0;
    for (int pass = 0; pass < 2; pass++) {
        SearchOptions so;
        search_options_default(&so);
        so.beam = 1;
        so.want_attention = 1;
        so.max_len_ratio = pass == 0 ? 2.0f : 0.0f;
        NBest g[N_SENT], b[N_SENT], t[N_SENT];
        greedy_search(g_model, (const int *const *)g_src, g_src_len, N_SENT, &so, g);
        beam_search(g_model, (const int *const *)g_src, g_src_len, N_SENT, &so, b);
        /* the translator's batches (beam 1 = greedy) */
        TranslateOptions o = opts(1, 2);
        o.batch = N_SENT;
        o.search = so;
        translate_ids(g_model, &o, (const int *const *)g_src, g_src_len, N_SENT, t);
        for (int i = 0; i < N_SENT; i++) {
            EXPECT(g[i].n == 1 && b[i].n == 1 && t[i].n == 1);
            EXPECT_MSG(same_tokens(&g[i].hyps[0], &b[i].hyps[0]), "sentence %d", i);
            EXPECT(g[i].hyps[0].logprob == b[i].hyps[0].logprob);
            EXPECT(g[i].hyps[0].score == b[i].hyps[0].score);
            EXPECT_MSG(same_tokens(&g[i].hyps[0], &t[i].hyps[0]), "sentence %d", i);
            EXPECT_NEAR(g[i].hyps[0].logprob, t[i].hyps[0].logprob, 1e-4);
            ended += g[i].hyps[0].ended, cut += !g[i].hyps[0].ended;
        }
        free_all(g, N_SENT), free_all(b, N_SENT), free_all(t, N_SENT);
    }
    EXPECT_MSG(ended > 0 && cut > 0, "both ended (%d) and cut (%d) hypotheses should occur", ended, cut);
}

static void test_beam5_never_below_greedy(void) {
    for (int a = 0; a < 3; a++) {
        const float alpha[3] = {0.0f, 0.6f, 1.0f};
        TranslateOptions og = opts(1, 2), ob = opts(5, 2);
        og.search.length_penalty = ob.search.length_penalty = alpha[a];
        NBest g[N_SENT], b[N_SENT];
        translate_ids(g_model, &og, (const int *const *)g_src, g_src_len, N_SENT, g);
        translate_ids(g_model, &ob, (const int *const *)g_src, g_src_len, N_SENT, b);
        int better = 0;
        for (int i = 0; i < N_SENT; i++) {
            const Hypothesis *hg = &g[i].hyps[0], *hb = &b[i].hyps[0];
            /* the same normalization, recomputed from the hypotheses */
            double sg = search_score(hg->logprob, hg->len + hg->ended, alpha[a]);
            double sb = search_score(hb->logprob, hb->len + hb->ended, alpha[a]);
            EXPECT_NEAR(sb, hb->score, 1e-9);
            EXPECT_MSG(sb >= sg - 1e-4, "alpha %g sentence %d: beam %.6f < greedy %.6f", alpha[a], i, sb, sg);
            better += sb > sg + 1e-4;
        }
        EXPECT_MSG(better > 0, "beam 5 should beat greedy somewhere (alpha %g)", alpha[a]);
        free_all(g, N_SENT), free_all(b, N_SENT);
    }
}

static void test_attention_rows_sum_to_one(void) {
    for (int beam = 1; beam <= 4; beam += 3) {
        TranslateOptions o = opts(beam, 2);
        o.search.nbest = beam;
        o.search.want_attention = 1;
        NBest r[N_SENT];
        translate_ids(g_model, &o, (const int *const *)g_src, g_src_len, N_SENT, r);
        for (int i = 0; i < N_SENT; i++)
            for (int k = 0; k < r[i].n; k++) {
                const Hypothesis *h = &r[i].hyps[k];
                EXPECT(h->attention != NULL);
                EXPECT(h->Ts == g_src_len[i]);
                for (int t = 0; t < h->len + h->ended; t++) {
                    double sum = 0;
                    for (int s = 0; s < h->Ts; s++) sum += h->attention[(size_t)t * h->Ts + s];
                    EXPECT_NEAR(sum, 1.0, 1e-5);
                }
            }
        free_all(r, N_SENT);
    }
}

/* Sentences that finish early leave the batch (their rows are dropped and
 * the others move up): every sentence must come out as it does alone. */
static void test_batch_equals_alone_with_retired_rows(void) {
    for (int beam = 1; beam <= 4; beam += 3) {
        SearchOptions so;
        search_options_default(&so);
        so.beam = beam, so.nbest = beam, so.want_attention = 1;
        NBest together[N_SENT];
        if (beam == 1) greedy_search(g_model, (const int *const *)g_src, g_src_len, N_SENT, &so, together);
        else beam_search(g_model, (const int *const *)g_src, g_src_len, N_SENT, &so, together);
        int lengths_differ = 0, mismatches = 0;
        for (int i = 0; i < N_SENT; i++) {
            NBest alone;
            const int *one[1] = {g_src[i]};
            if (beam == 1) greedy_search(g_model, one, &g_src_len[i], 1, &so, &alone);
            else beam_search(g_model, one, &g_src_len[i], 1, &so, &alone);
            EXPECT(alone.n == together[i].n);
            for (int k = 0; k < alone.n && k < together[i].n; k++) {
                const Hypothesis *a = &alone.hyps[k], *b = &together[i].hyps[k];
                if (!same_tokens(a, b) || fabs(a->logprob - b->logprob) > 1e-4) mismatches++;
                else
                    for (int j = 0; j < (a->len + a->ended) * a->Ts; j++)
                        if (fabsf(a->attention[j] - b->attention[j]) > 1e-5f) {
                            mismatches++;
                            break;
                        }
            }
            lengths_differ += together[i].hyps[0].len != together[0].hyps[0].len;
            nbest_free(&alone);
        }
        EXPECT_MSG(mismatches == 0, "beam %d: %d hypotheses differ from decoding the sentence alone", beam, mismatches);
        EXPECT(lengths_differ > 0); /* outputs of different lengths: some sentences finished early */
        free_all(together, N_SENT);
    }
}

/* A workspace reused call after call (the translator keeps one per thread)
 * must give what fresh memory gives, bit for bit, as batches grow (the
 * arena overflows and is enlarged) and shrink again. */
static void test_reused_workspace_changes_nothing(void) {
    const int sizes[4] = {1, N_SENT, 2, N_SENT};
    for (int beam = 1; beam <= 4; beam += 3) {
        Arena workspace = {0};
        SearchOptions fresh, reused;
        search_options_default(&fresh);
        fresh.beam = beam, fresh.nbest = beam, fresh.want_attention = 1;
        reused = fresh;
        reused.workspace = &workspace;
        int compared = 0, mismatches = 0;
        for (int c = 0; c < 4; c++) {
            const int n = sizes[c];
            NBest a[N_SENT], b[N_SENT];
            if (beam == 1) {
                greedy_search(g_model, (const int *const *)g_src, g_src_len, n, &fresh, a);
                greedy_search(g_model, (const int *const *)g_src, g_src_len, n, &reused, b);
            } else {
                beam_search(g_model, (const int *const *)g_src, g_src_len, n, &fresh, a);
                beam_search(g_model, (const int *const *)g_src, g_src_len, n, &reused, b);
            }
            for (int i = 0; i < n; i++) {
                EXPECT(a[i].n == b[i].n);
                for (int k = 0; k < a[i].n && k < b[i].n; k++, compared++) {
                    const Hypothesis *x = &a[i].hyps[k], *y = &b[i].hyps[k];
                    if (!same_tokens(x, y) || x->logprob != y->logprob ||
                        memcmp(x->attention, y->attention, sizeof(float) * (size_t)(x->len + x->ended) * x->Ts))
                        mismatches++;
                }
            }
            free_all(a, n), free_all(b, n);
        }
        EXPECT_MSG(mismatches == 0, "beam %d: %d of %d hypotheses differ with a reused workspace", beam, mismatches,
                   compared);
        EXPECT(workspace.cap > 0); /* it was used, and kept a block for the next call */
        arena_free(&workspace);
    }
}

/* first_above(x, from, n, floor) is the first i >= from with x[i] > floor,
 * or n: every start and length around the lane width, floors below, inside
 * and above the values, ties (equal is not above), NaN (never above). */
static void test_first_above_matches_a_plain_loop(void) {
    enum { N = 3 * NMT_LANES + 5 };
    float x[N];
    for (int i = 0; i < N; i++) x[i] = (float)((i * 37) % 23) - 11.0f;
    x[7] = NAN;
    const float floors[] = {-100.0f, -5.0f, 0.0f, 10.0f, 11.0f, 100.0f};
    int wrong = 0, cases = 0;
    for (int n = 0; n <= N; n++)
        for (int from = 0; from <= n; from++)
            for (size_t f = 0; f < sizeof floors / sizeof floors[0]; f++, cases++) {
                int want = from;
                while (want < n && !(x[want] > floors[f])) want++;
                wrong += first_above(x, from, n, floors[f]) != want;
            }
    EXPECT_MSG(wrong == 0, "%d of %d cases differ", wrong, cases);
}

/* argmax_row (greedy's pick, through first_above) is the plain loop's
 * "first index of the largest": ties, NaN first or inside, infinities, a
 * row of -inf, +0 after -0, at every length around the lane width. */
static void test_argmax_row_matches_a_plain_loop(void) {
    enum { N = 3 * NMT_LANES + 5 };
    float x[N];
    int wrong = 0, cases = 0;
    for (int pattern = 0; pattern < 8; pattern++)
        for (int n = 1; n <= N; n++, cases++) {
            for (int i = 0; i < N; i++) x[i] = (float)((i * 37 + pattern * 11) % 19) - 9.0f;
            if (pattern == 1) x[0] = NAN;
            if (pattern == 2) x[n / 2] = NAN;
            if (pattern == 3) x[n - 1] = INFINITY;
            if (pattern == 4)
                for (int i = 0; i < N; i++) x[i] = -INFINITY;
            if (pattern == 5) x[0] = -0.0f, x[n - 1] = 0.0f, x[n / 2] = x[n / 2] > 0 ? -x[n / 2] : x[n / 2];
            if (pattern == 6)
                for (int i = 0; i < N; i++) x[i] = i % 3 ? -INFINITY : -FLT_MAX;
            int want = 0;
            for (int i = 1; i < n; i++)
                if (x[i] > x[want]) want = i;
            wrong += argmax_row(x, n) != want;
        }
    EXPECT_MSG(wrong == 0, "%d of %d cases differ", wrong, cases);
}

int main(void) {
    RUN(test_first_above_matches_a_plain_loop);
    RUN(test_argmax_row_matches_a_plain_loop);
    fixture_init();
    RUN(test_beam1_equals_greedy);
    RUN(test_beam5_never_below_greedy);
    RUN(test_attention_rows_sum_to_one);
    RUN(test_batch_equals_alone_with_retired_rows);
    RUN(test_reused_workspace_changes_nothing);
    fixture_free();
    TEST_EXIT();
}
