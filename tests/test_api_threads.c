/* test_api_threads.c — the C API (include/nmt.h) from several threads at
 * once, as its "Thread safety" section promises: nmt_translate and
 * nmt_score on one loaded model with one shared nmt_options, from THREADS
 * threads at a time, each call giving exactly the results of the same call
 * made alone, failed calls among them, and nmt_last_error() kept per
 * thread; the same at int8 on a model whose int8 copies the threads' first
 * calls make. make test runs it; make test-tsan runs it under ThreadSanitizer,
 * which reports any data race between the calls. */
#include <pthread.h>

#include "fixture_model.h"
#include "nmt.h"
#include "test.h"

enum { THREADS = 4, ROUNDS = 3, N_LINES = 12 };

/* libgomp is not instrumented for ThreadSanitizer, which then cannot see
 * the synchronization of an OpenMP team and reports races inside every
 * parallel region that are not there. Under TSan each call gets one
 * OpenMP thread, so every report is about the application threads. */
#if defined(__SANITIZE_THREAD__)
enum { CALL_THREADS = 1 };
#else
enum { CALL_THREADS = 2 };
#endif

static char g_path[128];
static nmt_model *g_api_model;
static nmt_model *g_use; /* the model the workers call */
static nmt_options *g_shared; /* read by every thread, written by none */
static nmt_result *g_ref_translation, *g_ref_score;
static const char *g_tgt[N_LINES]; /* the reference translations, scored as targets */

/* 1 when a and b hold the same lines, texts, scores, steps, alignments and attention. */
static int same_result(const nmt_result *a, const nmt_result *b, char *why, size_t whysz) {
    size_t n = nmt_result_lines(a);
    if (n != nmt_result_lines(b)) return snprintf(why, whysz, "%zu lines, expected %zu", nmt_result_lines(b), n), 0;
    for (size_t i = 0; i < n; i++) {
        size_t nh = nmt_result_hypotheses(a, i);
        if (nh != nmt_result_hypotheses(b, i)) return snprintf(why, whysz, "line %zu: hypothesis count", i), 0;
        for (size_t h = 0; h < nh; h++) {
            const char *ta = nmt_result_text(a, i, h), *tb = nmt_result_text(b, i, h);
            if (!ta || !tb || strcmp(ta, tb) != 0)
                return snprintf(why, whysz, "line %zu: \"%s\", expected \"%s\"", i, tb ? tb : "(null)", ta ? ta : "(null)"), 0;
            if (nmt_result_score(a, i, h) != nmt_result_score(b, i, h) ||
                nmt_result_logprob(a, i, h) != nmt_result_logprob(b, i, h) ||
                nmt_result_steps(a, i, h) != nmt_result_steps(b, i, h))
                return snprintf(why, whysz, "line %zu: score %.9g, expected %.9g", i, nmt_result_score(b, i, h),
                                nmt_result_score(a, i, h)), 0;
            const int *pa, *pb;
            size_t ka = nmt_result_alignment(a, i, h, &pa), kb = nmt_result_alignment(b, i, h, &pb);
            if (ka != kb || (ka && memcmp(pa, pb, 2 * ka * sizeof *pa) != 0))
                return snprintf(why, whysz, "line %zu: alignment", i), 0;
            size_t ra, ca, rb, cb;
            const float *aa = nmt_result_attention(a, i, h, &ra, &ca), *ab = nmt_result_attention(b, i, h, &rb, &cb);
            if (!aa != !ab || (aa && (ra != rb || ca != cb || memcmp(aa, ab, ra * ca * sizeof *aa) != 0)))
                return snprintf(why, whysz, "line %zu: attention", i), 0;
        }
    }
    return 1;
}

typedef struct {
    int id;
    int failures;
    char why[256];
} Worker;

static void worker_fail(Worker *w, const char *fmt, const char *detail) {
    if (!w->failures++) snprintf(w->why, sizeof w->why, fmt, detail);
}

static void *worker(void *arg) {
    Worker *w = arg;
    char why[200];
    /* A bad line at index id: each thread's message names its own line. */
    const char *bad[N_LINES];
    for (int i = 0; i < N_LINES; i++) bad[i] = g_lines[i];
    bad[w->id] = "bad \xff byte";
    char bad_msg[64];
    snprintf(bad_msg, sizeof bad_msg, "input:%d: invalid UTF-8 at byte 5", w->id + 1);

    for (int round = 0; round < ROUNDS && !w->failures; round++) {
        nmt_result *r = NULL;
        if (nmt_translate(g_use, g_shared, (const char *const *)g_lines, N_LINES, &r) != NMT_OK)
            worker_fail(w, "nmt_translate failed: %s", nmt_last_error());
        else if (!same_result(g_ref_translation, r, why, sizeof why))
            worker_fail(w, "translation differs from the call made alone: %s", why);
        nmt_result_free(r);

        r = NULL;
        if (nmt_score(g_use, g_shared, (const char *const *)g_lines, g_tgt, N_LINES, &r) != NMT_OK)
            worker_fail(w, "nmt_score failed: %s", nmt_last_error());
        else if (!same_result(g_ref_score, r, why, sizeof why))
            worker_fail(w, "scores differ from the call made alone: %s", why);
        nmt_result_free(r);

        r = NULL;
        if (nmt_translate(g_use, g_shared, bad, N_LINES, &r) != NMT_ERR_INPUT || r)
            worker_fail(w, "%s", "invalid UTF-8 accepted");
        else if (!strstr(nmt_last_error(), bad_msg))
            worker_fail(w, "nmt_last_error() is \"%s\"", nmt_last_error());
        nmt_result_free(r);
        if (nmt_options_set_beam(NULL, 1) != NMT_ERR_ARGUMENT) worker_fail(w, "%s", "NULL options accepted");
    }
    /* the last failure of this thread is the NULL options, whatever the others did */
    if (!strstr(nmt_last_error(), "nmt_options_set_beam: options is NULL"))
        worker_fail(w, "nmt_last_error() is \"%s\"", nmt_last_error());
    return NULL;
}

static void run_workers(void) {
    Worker w[THREADS];
    pthread_t tid[THREADS];
    for (int round = 0; round < 2; round++) {
        int started = 0;
        for (int k = 0; k < THREADS; k++) {
            w[k] = (Worker){.id = k};
            if (pthread_create(&tid[k], NULL, worker, &w[k]) != 0) break;
            started++;
        }
        EXPECT_MSG(started == THREADS, "started %d threads of %d", started, THREADS);
        for (int k = 0; k < started; k++) pthread_join(tid[k], NULL);
        for (int k = 0; k < started; k++) EXPECT_MSG(w[k].failures == 0, "thread %d: %s", k, w[k].why);
    }
}

static void test_concurrent_calls_on_one_model(void) {
    g_use = g_api_model;
    run_workers();
}

/* The same at int8 (nmt_set_precision) on a model loaded before: the
 * threads' first calls race to quantize it, once; every result is that of
 * the call made alone on a model quantized at its load. */
static void test_concurrent_calls_int8(void) {
    nmt_model *late = NULL, *early = NULL;
    if (nmt_model_load(g_path, &late) != NMT_OK) die("%s", nmt_last_error());
    if (nmt_set_precision("int8") != NMT_OK) {
        SKIP(nmt_last_error());
        nmt_set_precision("fp32");
        nmt_model_free(late);
        return;
    }
    if (nmt_model_load(g_path, &early) != NMT_OK) die("%s", nmt_last_error());
    nmt_result *ref_t = g_ref_translation, *ref_s = g_ref_score;
    const char *tgt[N_LINES];
    memcpy(tgt, g_tgt, sizeof tgt);
    if (nmt_translate(early, g_shared, (const char *const *)g_lines, N_LINES, &g_ref_translation) != NMT_OK)
        die("%s", nmt_last_error());
    for (int i = 0; i < N_LINES; i++) g_tgt[i] = nmt_result_text(g_ref_translation, (size_t)i, 0);
    if (nmt_score(early, g_shared, (const char *const *)g_lines, g_tgt, N_LINES, &g_ref_score) != NMT_OK)
        die("%s", nmt_last_error());
    char why[200];
    const int as_fp32 =
        same_result(ref_t, g_ref_translation, why, sizeof why) && same_result(ref_s, g_ref_score, why, sizeof why);
    EXPECT_MSG(!as_fp32, "%s", "int8 gave fp32's results"); /* int8 really runs */
    g_use = late;
    run_workers();
    nmt_result_free(g_ref_translation), nmt_result_free(g_ref_score);
    g_ref_translation = ref_t, g_ref_score = ref_s;
    memcpy(g_tgt, tgt, sizeof tgt);
    nmt_set_precision("fp32");
    nmt_model_free(early), nmt_model_free(late);
}

/* nmt_last_error() of a thread is its own: one thread's failure leaves
 * another's message as it was. */
static void *fail_with_beam(void *arg) {
    int beam = *(int *)arg;
    nmt_options *o = nmt_options_new();
    nmt_options_set_beam(o, beam);
    nmt_options_free(o);
    char *copy = xstrdup(nmt_last_error());
    return copy;
}

static void test_last_error_per_thread(void) {
    nmt_options *o = nmt_options_new();
    EXPECT(nmt_options_set_nbest(o, 0) == NMT_ERR_ARGUMENT);
    char before[256];
    snprintf(before, sizeof before, "%s", nmt_last_error());
    int beams[THREADS];
    pthread_t tid[THREADS];
    for (int k = 0; k < THREADS; k++) {
        beams[k] = 300 + k;
        EXPECT(pthread_create(&tid[k], NULL, fail_with_beam, &beams[k]) == 0);
    }
    for (int k = 0; k < THREADS; k++) {
        void *msg;
        pthread_join(tid[k], &msg);
        char want[128];
        snprintf(want, sizeof want, "beam must be between 1 and 256, got %d", beams[k]);
        EXPECT_STR((char *)msg, want);
        free(msg);
    }
    EXPECT_STR(nmt_last_error(), before);
    EXPECT(strstr(before, "nbest") != NULL);
    nmt_options_free(o);
}

int main(void) {
    fixture_init();
    char err[256];
    snprintf(g_path, sizeof g_path, "%s/model", g_dir);
    if (model_save(g_model, g_path, NULL, 0, err, sizeof err) != 0) die("%s", err);
    if (nmt_model_load(g_path, &g_api_model) != NMT_OK) die("%s", nmt_last_error());
    g_shared = nmt_options_new();
    if (nmt_options_set_beam(g_shared, 3) || nmt_options_set_threads(g_shared, CALL_THREADS) ||
        nmt_options_set_batch(g_shared, 4) || nmt_options_set_alignment(g_shared, 1) ||
        nmt_options_set_attention(g_shared, 1))
        die("%s", nmt_last_error());
    /* the references: the same calls, made alone */
    if (nmt_translate(g_api_model, g_shared, (const char *const *)g_lines, N_LINES, &g_ref_translation) != NMT_OK)
        die("%s", nmt_last_error());
    for (int i = 0; i < N_LINES; i++) g_tgt[i] = nmt_result_text(g_ref_translation, (size_t)i, 0);
    if (nmt_score(g_api_model, g_shared, (const char *const *)g_lines, g_tgt, N_LINES, &g_ref_score) != NMT_OK)
        die("%s", nmt_last_error());

    RUN(test_concurrent_calls_on_one_model);
    RUN(test_concurrent_calls_int8);
    RUN(test_last_error_per_thread);

    nmt_result_free(g_ref_translation);
    nmt_result_free(g_ref_score);
    nmt_options_free(g_shared);
    nmt_model_free(g_api_model);
    fixture_free();
    TEST_EXIT();
}
