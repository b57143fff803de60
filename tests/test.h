/* test.h — a minimal unit-test harness shared by every tests/test_*.c.
 *
 * Each test is a void function; RUN(fn) runs it and prints one line
 * "PASS name", "FAIL name" or "SKIP name: why". tests/run.sh counts those
 * lines over all test programs and prints the "N passed, M failed" summary.
 * EXPECT* macros record a failure and go on, so one run shows every problem. */
#ifndef NMT_TEST_H
#define NMT_TEST_H

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int test_failures_in_current;
static int test_failed_tests;
static const char *test_skip_reason;

#define EXPECT(cond)                                                                   \
    do {                                                                               \
        if (!(cond)) {                                                                 \
            fprintf(stderr, "  %s:%d: expected %s\n", __FILE__, __LINE__, #cond);      \
            test_failures_in_current++;                                                \
        }                                                                              \
    } while (0)

#define EXPECT_MSG(cond, ...)                                                          \
    do {                                                                               \
        if (!(cond)) {                                                                 \
            fprintf(stderr, "  %s:%d: expected %s: ", __FILE__, __LINE__, #cond);      \
            fprintf(stderr, __VA_ARGS__);                                              \
            fputc('\n', stderr);                                                       \
            test_failures_in_current++;                                                \
        }                                                                              \
    } while (0)

#define EXPECT_NEAR(a, b, tol)                                                         \
    do {                                                                               \
        double ea_ = (double)(a), eb_ = (double)(b);                                   \
        if (!(fabs(ea_ - eb_) <= (tol))) {                                             \
            fprintf(stderr, "  %s:%d: %s = %.9g, expected %s = %.9g (tol %g)\n",       \
                    __FILE__, __LINE__, #a, ea_, #b, eb_, (double)(tol));              \
            test_failures_in_current++;                                                \
        }                                                                              \
    } while (0)

#define EXPECT_STR(a, b)                                                               \
    do {                                                                               \
        const char *ea_ = (a), *eb_ = (b);                                             \
        if (!ea_ || !eb_ || strcmp(ea_, eb_) != 0) {                                   \
            fprintf(stderr, "  %s:%d: %s = \"%s\", expected \"%s\"\n", __FILE__,       \
                    __LINE__, #a, ea_ ? ea_ : "(null)", eb_ ? eb_ : "(null)");         \
            test_failures_in_current++;                                                \
        }                                                                              \
    } while (0)

/* Mark the running test as skipped (call, then return). */
#define SKIP(why) (test_skip_reason = (why))

static inline void test_run(const char *name, void (*fn)(void)) {
    test_failures_in_current = 0;
    test_skip_reason = NULL;
    fn();
    if (test_failures_in_current) {
        printf("FAIL %s\n", name);
        test_failed_tests++;
    } else if (test_skip_reason) {
        printf("SKIP %s: %s\n", name, test_skip_reason);
    } else {
        printf("PASS %s\n", name);
    }
    fflush(stdout);
}

#define RUN(fn) test_run(#fn, fn)
#define TEST_EXIT() return test_failed_tests ? 1 : 0

/* ../shared beside the repository, or NULL when absent (tests then SKIP). */
static inline const char *test_shared_dir(void) {
    static char path[4096];
    const char *env = getenv("NMT_SHARED");
    snprintf(path, sizeof path, "%s", env ? env : "../shared");
    FILE *f;
    char probe[4200];
    snprintf(probe, sizeof probe, "%s/corpora/multi30k/train.en", path);
    if ((f = fopen(probe, "r")) != NULL) {
        fclose(f);
        return path;
    }
    return NULL;
}

#endif
