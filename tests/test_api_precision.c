/* The C API's precision (nmt.h, 1.3): nmt_set_precision and nmt_precision,
 * the names refused, int8 on models loaded before it was set (quantized at
 * their first call) and after (at their load) giving the same results, the
 * copies dropped with the model, back to fp32's exact results; and, in a
 * child process where oneDNN may not use VNNI, NMT_ERR_UNSUPPORTED with the
 * reason and the precision that runs instead, also from NMT_GEMM_PRECISION. */
#include <unistd.h>

#include "api/handles.h"
#include "fixture_model.h"
#include "nn/blas.h"
#include "nmt.h"
#include "test.h"

enum { N_LINES = 12 };
static char g_path[128];

static nmt_result *translate(const nmt_model *m) {
    nmt_result *r = NULL;
    EXPECT_MSG(nmt_translate(m, NULL, (const char *const *)g_lines, N_LINES, &r) == NMT_OK, "%s", nmt_last_error());
    return r;
}

static nmt_result *score(const nmt_model *m, const nmt_result *hyps) {
    const char *tgt[N_LINES];
    for (int i = 0; i < N_LINES; i++) tgt[i] = nmt_result_text(hyps, (size_t)i, 0);
    nmt_result *r = NULL;
    EXPECT_MSG(nmt_score(m, NULL, (const char *const *)g_lines, tgt, N_LINES, &r) == NMT_OK, "%s", nmt_last_error());
    return r;
}

/* lines whose text or score differ (-1 when a result is missing) */
static int differing(const nmt_result *a, const nmt_result *b) {
    if (!a || !b) return -1;
    int d = 0;
    for (size_t i = 0; i < N_LINES; i++) {
        const char *ta = nmt_result_text(a, i, 0), *tb = nmt_result_text(b, i, 0);
        d += !ta || !tb || strcmp(ta, tb) != 0 || nmt_result_score(a, i, 0) != nmt_result_score(b, i, 0);
    }
    return d;
}

static int registered(const nmt_model *m) { return gemm_int8_registered(m->m->params); }

static void test_names(void) {
    if (!getenv("NMT_GEMM_PRECISION")) EXPECT_STR(nmt_precision(), "fp32"); /* the library's default */
    EXPECT(nmt_set_precision("int4") == NMT_ERR_ARGUMENT);
    EXPECT_STR(nmt_last_error(), "precision 'int4': expected fp32, bf16 or int8");
    EXPECT(nmt_set_precision(NULL) == NMT_ERR_ARGUMENT);
    EXPECT_STR(nmt_last_error(), "precision '(null)': expected fp32, bf16 or int8");
    EXPECT(nmt_set_precision("bf16") == NMT_OK);
    EXPECT_STR(nmt_precision(), "bf16");
    EXPECT(nmt_set_precision("fp32") == NMT_OK);
    EXPECT_STR(nmt_precision(), "fp32");
}

static void test_int8_before_and_after_load(void) {
    nmt_model *a = NULL, *b = NULL;
    EXPECT(nmt_set_precision("fp32") == NMT_OK);
    EXPECT(nmt_model_load(g_path, &a) == NMT_OK);
    nmt_result *fp32 = translate(a);
    nmt_status st = nmt_set_precision("int8");
    if (st == NMT_ERR_UNSUPPORTED) {
        EXPECT(strstr(nmt_last_error(), "int8 products are not available here (") == nmt_last_error());
        EXPECT_STR(nmt_precision(), GEMM_PRECISION_NAMES[gemm_int8_fallback()]);
        SKIP(nmt_last_error());
        nmt_set_precision("fp32");
        nmt_result_free(fp32), nmt_model_free(a);
        return;
    }
    EXPECT(st == NMT_OK);
    EXPECT_STR(nmt_precision(), "int8");
    EXPECT(!registered(a));
    nmt_result *a8 = translate(a); /* quantized now */
    EXPECT(registered(a));
    EXPECT(nmt_model_load(g_path, &b) == NMT_OK);
    EXPECT(registered(b)); /* quantized at its load */
    nmt_result *b8 = translate(b);
    EXPECT_MSG(differing(a8, b8) == 0, "%d lines differ", differing(a8, b8));
    const int changed = differing(fp32, a8);
    EXPECT_MSG(changed > 0, "int8 gave fp32's results on all %d lines", N_LINES); /* int8 really ran */
    nmt_result *sa = score(a, a8), *sb = score(b, a8);
    EXPECT(differing(sa, sb) == 0);
    nmt_model_free(b);
    EXPECT(registered(a) && !gemm_int8_registered(NULL));
    EXPECT(nmt_set_precision("fp32") == NMT_OK);
    nmt_result *again = translate(a);
    EXPECT(differing(fp32, again) == 0);
    nmt_result_free(fp32), nmt_result_free(a8), nmt_result_free(b8), nmt_result_free(sa), nmt_result_free(sb);
    nmt_result_free(again);
    nmt_model_free(a);
}

/* ONEDNN_MAX_CPU_ISA=avx2: no VNNI for oneDNN. */
static void test_int8_unsupported(void) {
    if (gemm_int8_unavailable()) {
        SKIP(gemm_int8_unavailable());
        return;
    }
    char self[4096], cmd[4400], out[1024];
    const ssize_t len = readlink("/proc/self/exe", self, sizeof self - 1);
    EXPECT(len > 0);
    self[len > 0 ? len : 0] = '\0';
    const char *fb = GEMM_PRECISION_NAMES[gemm_int8_fallback()];
    const char *env[] = {"", "NMT_GEMM_PRECISION=int8 "};
    for (int e = 0; e < 2; e++) {
        snprintf(cmd, sizeof cmd, "ONEDNN_MAX_CPU_ISA=avx2 %s'%s' --child '%s' 2>&1", env[e], self, g_path);
        FILE *p = popen(cmd, "r");
        size_t n = p ? fread(out, 1, sizeof out - 1, p) : 0;
        out[n] = '\0';
        EXPECT(p && pclose(p) == 0);
        char want[1024];
        if (e == 0)
            snprintf(want, sizeof want,
                     "set 5 int8 products are not available here (oneDNN's instruction set here is avx2, without "
                     "VNNI): the products run in %s\nprecision %s\n", fb, fb);
        else
            snprintf(want, sizeof want, "load 0 precision %s\n", fb);
        EXPECT_STR(out, want);
    }
}

static int child(const char *path) {
    if (getenv("NMT_GEMM_PRECISION")) {
        nmt_model *m = NULL;
        printf("load %d precision %s\n", (int)nmt_model_load(path, &m), nmt_precision());
        nmt_model_free(m);
        return 0;
    }
    nmt_status st = nmt_set_precision("int8");
    printf("set %d %s\nprecision %s\n", (int)st, nmt_last_error(), nmt_precision());
    return 0;
}

int main(int argc, char **argv) {
    if (argc == 3 && !strcmp(argv[1], "--child")) return child(argv[2]);
    fixture_init();
    char err[256];
    snprintf(g_path, sizeof g_path, "%s/model", g_dir);
    if (model_save(g_model, g_path, NULL, 0, err, sizeof err) != 0) die("%s", err);
    RUN(test_names);
    RUN(test_int8_before_and_after_load);
    RUN(test_int8_unsupported);
    fixture_free();
    TEST_EXIT();
}
