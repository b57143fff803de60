/* Tests for the optimizer (src/train/optim.c) and its split among the
 * processes of a job: Adam's first step by hand, the gradient norm against
 * a plain sum, and the sharded update — partial norms summed by slices
 * (optimizer_slice, whose plan test_update.c checks), each slice stepped on
 * its own — giving the very bits of one step over everything, under any
 * thread count. */
#include <omp.h>
#include <string.h>

#include "sys/util.h"
#include "test.h"
#include "train/optim.h"
#include "train/update.h"

/* Deterministic values of mixed sign and size. */
static void fill(float *x, size_t n, unsigned seed) {
    unsigned s = seed * 2654435761u + 1u;
    for (size_t i = 0; i < n; i++) {
        s = s * 1103515245u + 12345u;
        x[i] = ((float)((s >> 8) & 0xffff) / 65536.0f - 0.5f) * (i % 7 == 0 ? 10.0f : 0.1f);
    }
}

static void test_adam_first_step_by_hand(void) {
    Optimizer o;
    optim_init(&o, OPTIM_ADAM, 3, 0.0f);
    float p[3] = {1.0f, -2.0f, 0.5f}, g[3] = {0.3f, -4.0f, 0.0f};
    optim_step(&o, p, g, 0.01f);
    /* m = 0.1 g, v = 0.001 g^2; bias-corrected m / sqrt(v) = g / |g|: a step of lr against the sign */
    EXPECT_NEAR(p[0], 1.0f - 0.01f, 1e-6);
    EXPECT_NEAR(p[1], -2.0f + 0.01f, 1e-6);
    EXPECT_NEAR(p[2], 0.5f, 0.0); /* a zero gradient moves nothing */
    EXPECT(o.step == 1);
    optim_free(&o);
}

static void test_grad_norm_against_plain_sum(void) {
    const size_t n = 3 * OPTIM_CHUNK + 123;
    float *g = falloc(n);
    fill(g, n, 1);
    long double plain = 0.0L;
    for (size_t i = 0; i < n; i++) plain += (long double)g[i] * g[i];
    EXPECT_NEAR(grad_norm(g, n), sqrtl(plain), 1e-12 * sqrtl(plain));
    EXPECT(optim_chunks(n) == 4 && optim_chunks(OPTIM_CHUNK) == 1 && optim_chunks(0) == 0);
    free(g);
}

/* One Adam optimizer with moving average over n weights after two steps:
 * whole (slices = 1) or as P processes would take them, each with its own
 * copy of the state updating its own slice, then gathered. */
static void sharded_steps(size_t n, size_t split, int P, float clip, float *params, float *m, float *v, float *ema) {
    float *g = falloc(n);
    fill(params, n, 7);
    Optimizer *opt = xcalloc((size_t)P, sizeof *opt);
    float **own = xcalloc((size_t)P, sizeof *own);
    for (int r = 0; r < P; r++) {
        optim_init(&opt[r], OPTIM_ADAM, n, clip);
        opt[r].split = split;
        optim_enable_ema(&opt[r], 0.99f, params);
        own[r] = falloc(n);
        memcpy(own[r], params, sizeof(float) * n);
    }
    const size_t chunks = optim_chunks(n);
    double *partial = xcalloc(OPTIM_GROUPS * (chunks + 1), sizeof(double));
    for (int step = 0; step < 2; step++) {
        fill(g, n, 11 + (unsigned)step);
        for (int r = 0; r < P; r++) { /* each rank's partial norms, put side by side as the gathering does */
            size_t lo, len;
            optimizer_slice(n, P, r, &lo, &len);
            if (len)
                grad_norm_partials(g, n, split, lo / OPTIM_CHUNK, optim_chunks(lo + len),
                                   partial + OPTIM_GROUPS * (lo / OPTIM_CHUNK));
        }
        double norm[OPTIM_GROUPS];
        grad_norm_total(partial, chunks, norm);
        for (int r = 0; r < P; r++) {
            size_t lo, len;
            optimizer_slice(n, P, r, &lo, &len);
            optim_step_range(&opt[r], own[r], g, 1e-3f, norm, lo, lo + len);
        }
    }
    for (int r = 0; r < P; r++) { /* gathered: each slice from the rank that updated it */
        size_t lo, len;
        optimizer_slice(n, P, r, &lo, &len);
        memcpy(params + lo, own[r] + lo, sizeof(float) * len);
        memcpy(m + lo, opt[r].m + lo, sizeof(float) * len);
        memcpy(v + lo, opt[r].v + lo, sizeof(float) * len);
        memcpy(ema + lo, opt[r].ema + lo, sizeof(float) * len);
        EXPECT(opt[r].step == 2);
        optim_free(&opt[r]);
        free(own[r]);
    }
    free(opt), free(own), free(partial), free(g);
}

static void test_sharded_step_gives_the_bits_of_one_step(void) {
    const size_t n = 9 * OPTIM_CHUNK + 1001;
    float *want[4], *got[4];
    for (int k = 0; k < 4; k++) want[k] = falloc(n), got[k] = falloc(n);
    /* clip 1 clips these gradients (norm about 70): the scale from the norm must agree to the bit;
     * with a second group from inside a chunk (the alignment layer's), each group's */
    for (int clipped = 0; clipped < 4; clipped++) {
        const float clip = clipped % 2 ? 1.0f : 0.0f;
        const size_t split = clipped < 2 ? n : 6 * OPTIM_CHUNK + 77;
        /* the reference: optim_step over all, one thread */
        int saved = omp_get_max_threads();
        omp_set_num_threads(1);
        Optimizer o;
        float *g = falloc(n);
        fill(want[0], n, 7);
        optim_init(&o, OPTIM_ADAM, n, clip);
        o.split = split;
        optim_enable_ema(&o, 0.99f, want[0]);
        double norm = 0.0;
        for (int step = 0; step < 2; step++) {
            fill(g, n, 11 + (unsigned)step);
            norm = optim_step(&o, want[0], g, 1e-3f);
        }
        EXPECT(!clipped || norm > 1.0);
        memcpy(want[1], o.m, sizeof(float) * n), memcpy(want[2], o.v, sizeof(float) * n);
        memcpy(want[3], o.ema, sizeof(float) * n);
        optim_free(&o);
        free(g);
        omp_set_num_threads(2);
        const int ranks[] = {1, 2, 3, 7, 16};
        for (size_t k = 0; k < sizeof ranks / sizeof *ranks; k++) {
            sharded_steps(n, split, ranks[k], clip, got[0], got[1], got[2], got[3]);
            for (int a = 0; a < 4; a++)
                EXPECT_MSG(memcmp(want[a], got[a], sizeof(float) * n) == 0,
                           "clip %g, split %zu, %d slices: %s differs from one step over all", clip, split, ranks[k],
                           (const char *[]){"weights", "first moment", "second moment", "moving average"}[a]);
        }
        omp_set_num_threads(saved);
    }
    for (int k = 0; k < 4; k++) free(want[k]), free(got[k]);
}

/* Two groups (optim.h's split: the translation model, then the alignment
 * layer): the first group's step, and its norm, are the bits of a buffer
 * that ends at the split, whatever the second holds; the second is clipped
 * by its own norm. Without the groups a large second part would shrink
 * the first's step (so the test can fail). SGD and Adam. */
static void test_second_group_changes_nothing_of_the_first(void) {
    const size_t n = 5 * OPTIM_CHUNK + 300, split = 3 * OPTIM_CHUNK + 1234;
    float *g = falloc(n), *alone = falloc(split), *both = falloc(n), *one_group = falloc(n);
    for (int type = 0; type < 2; type++) {
        fill(g, n, 3);
        for (size_t i = split; i < n; i++) g[i] *= 1000.0f; /* a layer with a huge gradient */
        fill(alone, split, 5), fill(both, n, 5), fill(one_group, n, 5);
        Optimizer a, b, c;
        optim_init(&a, (OptimizerType)type, split, 1.0f);
        optim_init(&b, (OptimizerType)type, n, 1.0f);
        optim_init(&c, (OptimizerType)type, n, 1.0f);
        b.split = split;
        double na = 0.0, nb = 0.0;
        for (int step = 0; step < 3; step++) {
            na = optim_step(&a, alone, g, 1e-2f);
            nb = optim_step(&b, both, g, 1e-2f);
            optim_step(&c, one_group, g, 1e-2f);
        }
        EXPECT(na == nb && na > 1.0);
        EXPECT_MSG(!memcmp(alone, both, sizeof(float) * split), "%s: the first group's weights differ",
                   type ? "sgd" : "adam");
        EXPECT(memcmp(alone, one_group, sizeof(float) * split) != 0); /* one global norm: they would differ */
        /* the second group is clipped by its own norm: one SGD step moves it by lr * (clip / |g_2|) g */
        if (type == OPTIM_SGD) {
            Optimizer d;
            optim_init(&d, OPTIM_SGD, n, 1.0f);
            d.split = split;
            fill(both, n, 5);
            optim_step(&d, both, g, 1e-2f);
            double sq = 0.0;
            for (size_t i = split; i < n; i++) sq += (double)g[i] * g[i];
            float start[1];
            const size_t at = split + 10;
            fill(one_group, n, 5), start[0] = one_group[at];
            EXPECT_NEAR(both[at], start[0] - 1e-2 * (1.0 / sqrt(sq)) * g[at], 1e-6);
            optim_free(&d);
        }
        optim_free(&a), optim_free(&b), optim_free(&c);
    }
    free(g), free(alone), free(both), free(one_group);
}

int main(void) {
    RUN(test_adam_first_step_by_hand);
    RUN(test_grad_norm_against_plain_sum);
    RUN(test_sharded_step_gives_the_bits_of_one_step);
    RUN(test_second_group_changes_nothing_of_the_first);
    TEST_EXIT();
}
