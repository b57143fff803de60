/* The public C API (include/nmt.h) never ends or hangs its host: a bad
 * environment setting, a model path that is no regular file (a directory,
 * /dev/zero, a FIFO) or does not exist come back as a status with a message
 * naming the setting or the file and the reason; oneDNN refusing a product
 * and a host that used up its pthread keys are survived.
 *
 * A faulty library would end this program, or hang it, or read /dev/zero
 * until memory runs out: each such case runs in a child (this program again,
 * "--child CASE ARG..."), under a time limit and, outside sanitizer builds,
 * a 2 GB data limit, so that a failure is a FAIL line here. The environment
 * is read once per process, which is another reason for a fresh child per
 * setting. */
#define _GNU_SOURCE /* RTLD_NEXT */
#include <cblas.h>
#include <dlfcn.h>
#include <dnnl.h>
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "model/saved.h"
#include "nn/blas.h"
#include "sys/util.h"
#include "nmt.h"
#include "test.h"
#include "vocab/normalize.h"
#include "vocab/vocab.h"

static char dir[] = "/tmp/nmt_test_api_XXXXXX";
static char model_path[128];

/* ---- oneDNN refusing to create primitives, on demand ----
 * This definition takes the place of libdnnl's for the library linked into
 * this program; it forwards to the real one unless told to refuse. */
static int refuse_primitives, refused;

dnnl_status_t dnnl_primitive_create(dnnl_primitive_t *primitive, const_dnnl_primitive_desc_t primitive_desc) {
    static dnnl_status_t (*real)(dnnl_primitive_t *, const_dnnl_primitive_desc_t);
    if (refuse_primitives) {
        refused++;
        return dnnl_out_of_memory;
    }
    if (!real) {
        void *f = dlsym(RTLD_NEXT, "dnnl_primitive_create");
        memcpy(&real, &f, sizeof f);
    }
    return real ? real(primitive, primitive_desc) : dnnl_runtime_error;
}

/* ---- children ---- */

/* A tiny model saved to model_path: a joint word vocabulary of two words. */
static void save_tiny_model(void) {
    Buf b = {0};
    buf_printf(&b, "#nmt-vocab 1\nnormalize nfc\nlowercase no\njoint yes\nbpe 0\nmin-count 1\nmax-size 0\n");
    buf_printf(&b, "table joint\ntokens 7\n<pad> 0\n<unk> 0\n<s> 0\n</s> 0\n\xE2\x96\x81 1\n\xE2\x96\x81" "ein 1\n"
                   "\xE2\x96\x81" "Test 1\nmerges 0\n");
    buf_printf(&b, "crc32 %08x\n", crc32_update(0, b.data, b.len));
    char err[512];
    Vocab *v = vocab_from_bytes(b.data, b.len, "tiny.vocab", err, sizeof err);
    buf_free(&b);
    if (!v) die("tiny vocabulary: %s", err);
    ModelConfig cfg;
    model_config_default(&cfg);
    cfg.emb = 8, cfg.hidden = 8, cfg.att_dim = 8;
    Model *m = model_create(&cfg, v, 1);
    if (model_save(m, model_path, NULL, 0, err, sizeof err) != 0) die("%s", err);
    model_free(m);
}

/* "load PATH": what nmt_model_load says. */
static void child_load(const char *path) {
    nmt_model *m = (nmt_model *)1;
    nmt_status s = nmt_model_load(path, &m);
    printf("%d %s|%s\n", (int)s, nmt_last_error(), m ? "model" : "NULL");
    nmt_model_free(m);
}

/* "env VAR=VALUE MODEL": load MODEL and translate one line with VAR set. */
static void child_env(const char *setting, const char *path) {
    putenv((char *)setting);
    nmt_model *m = NULL;
    nmt_status s = nmt_model_load(path, &m);
    printf("load %d %s\n", (int)s, nmt_last_error());
    fflush(stdout);
    if (s != NMT_OK) return;
    const char *line[] = {"ein Test"};
    nmt_result *r = NULL;
    s = nmt_translate(m, NULL, line, 1, &r);
    printf("translate %d %s\n", (int)s, nmt_last_error());
    nmt_result_free(r);
    nmt_model_free(m);
}

/* C = A B + 0.5 C for a 3 x 7 by 7 x 5 product, with gemm() and with cblas directly. */
enum { M_ = 3, N_ = 5, K_ = 7 };
static void product(int with_gemm, float *C) {
    float A[M_ * K_], B[K_ * N_];
    for (int i = 0; i < M_ * K_; i++) A[i] = (float)((i * 7) % 11) - 5.0f;
    for (int i = 0; i < K_ * N_; i++) B[i] = (float)((i * 5) % 13) * 0.25f;
    for (int i = 0; i < M_ * N_; i++) C[i] = (float)i;
    if (with_gemm) gemm(0, 0, M_, N_, K_, 1.0f, A, K_, B, N_, 0.5f, C, N_);
    else cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, M_, N_, K_, 1.0f, A, K_, B, N_, 0.5f, C, N_);
}

/* "dnnl-refuses": every primitive creation fails; the products still come out (from OpenBLAS). */
static void child_dnnl_refuses(void) {
    if (gemm_backend() != GEMM_DNNL) {
        printf("skip oneDNN has no CPU engine here\n");
        return;
    }
    float want[M_ * N_], got[M_ * N_];
    product(0, want);
    refuse_primitives = 1;
    product(1, got);
    product(1, got); /* the refusal is remembered: not asked again */
    printf("same %d refused %d\n", memcmp(want, got, sizeof got) == 0, refused);
}

/* "no-keys": the host has used up its pthread keys before the first product. */
static void child_no_keys(void) {
    float want[M_ * N_], got[M_ * N_];
    product(0, want); /* OpenBLAS' own set-up before the keys run out */
    pthread_key_t k;
    int n = 0;
    while (pthread_key_create(&k, NULL) == 0) n++;
    product(1, got);
    int same = memcmp(want, got, sizeof got) == 0;
    /* bf16 on OpenBLAS rounds the factors in per-thread scratch buffers
     * (gemm_thread_buffer); they are exact in bf16, so the bits stay */
    gemm_set_precision(GEMM_BF16);
    product(1, got);
    printf("same %d keys %d bf16 %d\n", same, n > 0, memcmp(want, got, sizeof got) == 0);
}

static int child_main(int argc, char **argv) {
    const char *what = argv[2];
    if (!strcmp(what, "load") && argc == 4) child_load(argv[3]);
    else if (!strcmp(what, "env") && argc == 5) child_env(argv[3], argv[4]);
    else if (!strcmp(what, "dnnl-refuses")) child_dnnl_refuses();
    else if (!strcmp(what, "no-keys")) child_no_keys();
    else return 2;
    printf("alive\n");
    return 0;
}

/* Run "--child" a[0] a[1] a[2] (NULL-terminated) with its stdout in out.
 * Its exit status, or -1 when it was killed or gave no answer in time. */
static int run_child(const char *const *a, char *out, size_t outsz) {
    int fd[2];
    if (pipe(fd) != 0) return -2;
    pid_t pid = fork();
    if (pid < 0) return -2;
    if (pid == 0) {
        dup2(fd[1], STDOUT_FILENO);
        close(fd[0]), close(fd[1]);
#if !defined(__SANITIZE_ADDRESS__) && !defined(__SANITIZE_THREAD__) /* their shadow memory needs more */
        /* a library that reads /dev/zero to the end stops at 2 GB, not at the machine's memory */
        struct rlimit rl = {(rlim_t)2 << 30, (rlim_t)2 << 30};
        setrlimit(RLIMIT_DATA, &rl);
#endif
        execl("/proc/self/exe", "test_api_errors", "--child", a[0], a[1], a[1] ? a[2] : NULL, (char *)NULL);
        _exit(127);
    }
    close(fd[1]);
    size_t got = 0;
    int timed_out = 0;
    const double deadline = now_seconds() + 30;
    for (;;) {
        int left = (int)((deadline - now_seconds()) * 1000);
        struct pollfd p = {fd[0], POLLIN, 0};
        int r = left > 0 ? poll(&p, 1, left) : 0;
        if (r < 0 && errno == EINTR) continue;
        if (r == 0) timed_out = 1;
        if (r <= 0) break;
        char scrap[256];
        ssize_t n = got + 1 < outsz ? read(fd[0], out + got, outsz - 1 - got) : read(fd[0], scrap, sizeof scrap);
        if (n <= 0) break;
        if (got + 1 < outsz) got += (size_t)n;
    }
    out[got] = '\0';
    if (timed_out) kill(pid, SIGKILL);
    close(fd[0]);
    int st;
    while (waitpid(pid, &st, 0) < 0 && errno == EINTR) {}
    if (timed_out) fprintf(stderr, "  child %s %s: no answer in 30 s\n", a[0], a[1] ? a[1] : "");
    return timed_out || !WIFEXITED(st) ? -1 : WEXITSTATUS(st);
}

/* nmt_model_load(path) in a child: status and message as expected, child alive. */
static void expect_load(const char *path, nmt_status status, const char *message) {
    const char *a[] = {"load", path, NULL};
    char out[2048], want[2048];
    int rc = run_child(a, out, sizeof out);
    snprintf(want, sizeof want, "%d %s|NULL\nalive\n", (int)status, message);
    EXPECT_MSG(rc == 0, "child for '%s' ended with %d", path, rc);
    EXPECT_STR(out, want);
}

/* ---- tests ---- */

static void test_model_path_nonexistent_names_the_reason(void) {
    expect_load("/nonexistent/x", NMT_ERR_IO, "/nonexistent/x: cannot open: No such file or directory");
}

static void test_model_path_empty_names_the_argument(void) {
    expect_load("", NMT_ERR_ARGUMENT, "nmt_model_load: path is empty");
}

static void test_model_path_directory_refused(void) {
    char want[256];
    snprintf(want, sizeof want, "%s: not a regular file (a directory)", dir);
    expect_load(dir, NMT_ERR_IO, want);
}

static void test_model_path_dev_zero_refused_before_reading(void) {
    expect_load("/dev/zero", NMT_ERR_IO, "/dev/zero: not a regular file (a character device)");
}

static void test_model_path_fifo_refused_without_waiting(void) {
    char fifo[128], want[256];
    snprintf(fifo, sizeof fifo, "%s/fifo", dir);
    if (mkfifo(fifo, 0600) != 0) {
        SKIP("mkfifo failed");
        return;
    }
    snprintf(want, sizeof want, "%s: not a regular file (a FIFO)", fifo);
    expect_load(fifo, NMT_ERR_IO, want);
}

/* The message of a valid path stays: a truncated file is a model error naming the file. */
static void test_model_truncated_names_the_file(void) {
    char cut[128], want[256], cmd[400];
    snprintf(cut, sizeof cut, "%s/cut", dir);
    snprintf(cmd, sizeof cmd, "head -c 100 %s >%s", model_path, cut);
    EXPECT(system(cmd) == 0);
    nmt_model *m = NULL;
    EXPECT(nmt_model_load(cut, &m) == NMT_ERR_MODEL && m == NULL);
    snprintf(want, sizeof want, "%s: truncated model file (100 bytes)", cut);
    EXPECT_STR(nmt_last_error(), want);
}

static void expect_env(const char *setting, const char *want) {
    const char *a[] = {"env", setting, model_path};
    char out[2048];
    int rc = run_child(a, out, sizeof out);
    EXPECT_MSG(rc == 0, "child with %s ended with %d", setting, rc);
    EXPECT_STR(out, want);
}

static void test_env_gemm_bogus_is_an_error(void) {
    expect_env("NMT_GEMM=bogus", "load 1 NMT_GEMM=bogus: expected openblas or dnnl\nalive\n");
}

static void test_env_gemm_precision_fp16_is_an_error(void) {
    expect_env("NMT_GEMM_PRECISION=fp16", "load 1 NMT_GEMM_PRECISION=fp16: expected fp32, bf16 or int8\nalive\n");
}

static void test_env_valid_settings_translate(void) {
    expect_env("NMT_GEMM=openblas", "load 0 \ntranslate 0 \nalive\n");
    expect_env("NMT_GEMM_PRECISION=bf16", "load 0 \ntranslate 0 \nalive\n");
}

static void test_dnnl_refusal_falls_back_to_openblas(void) {
    const char *a[] = {"dnnl-refuses", NULL};
    char out[512];
    int rc = run_child(a, out, sizeof out);
    EXPECT_MSG(rc == 0, "child ended with %d: %s", rc, out);
    if (!strncmp(out, "skip ", 5)) {
        SKIP("oneDNN has no CPU engine here");
        return;
    }
    /* one refusal: the second product of the same shape goes straight to OpenBLAS */
    EXPECT_STR(out, "same 1 refused 1\nalive\n");
}

static void test_no_pthread_keys_left(void) {
    const char *a[] = {"no-keys", NULL};
    char out[512];
    int rc = run_child(a, out, sizeof out);
    EXPECT_MSG(rc == 0, "child ended with %d: %s", rc, out);
    EXPECT_STR(out, "same 1 keys 1 bf16 1\nalive\n");
}

/* Invalid UTF-8 reaching utf8proc is an error returned (callers refuse it first). */
static void test_normalize_failure_is_returned(void) {
    Buf b = {0};
    const char *why = text_normalize("\xC3\xA9\xFF", 3, NORM_NFKC, 0, &b);
    EXPECT(why != NULL);
    EXPECT(b.data && b.len == 0 && b.data[0] == '\0');
    why = text_normalize("\xC3\xA9t\xC3\xA9", 6, NORM_NFKC, 1, &b);
    EXPECT(why == NULL);
    EXPECT_STR(b.data, "\xC3\xA9t\xC3\xA9");
    buf_free(&b);
}

int main(int argc, char **argv) {
    if (argc >= 3 && !strcmp(argv[1], "--child")) return child_main(argc, argv);
    if (!mkdtemp(dir)) die("mkdtemp: %s", strerror(errno));
    snprintf(model_path, sizeof model_path, "%s/M", dir);
    save_tiny_model();
    RUN(test_model_path_nonexistent_names_the_reason);
    RUN(test_model_path_empty_names_the_argument);
    RUN(test_model_path_directory_refused);
    RUN(test_model_path_dev_zero_refused_before_reading);
    RUN(test_model_path_fifo_refused_without_waiting);
    RUN(test_model_truncated_names_the_file);
    RUN(test_env_gemm_bogus_is_an_error);
    RUN(test_env_gemm_precision_fp16_is_an_error);
    RUN(test_env_valid_settings_translate);
    RUN(test_dnnl_refusal_falls_back_to_openblas);
    RUN(test_no_pthread_keys_left);
    RUN(test_normalize_failure_is_returned);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", dir);
    TEST_EXIT();
}
