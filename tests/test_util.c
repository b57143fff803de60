/* Tests for src/sys: line reader, atomic write, CRC-32, RNG. */
#include "nn/nn.h"
#include "nn/rng.h"
#include "sys/atomic.h"
#include "sys/files.h"
#include "sys/lines.h"
#include "sys/util.h"
#include "test.h"

#include <math.h>
#include <sys/stat.h>
#include <unistd.h>

static void test_crc32_known_value(void) {
    /* The standard check value of CRC-32/IEEE. */
    EXPECT(crc32_update(0, "123456789", 9) == 0xCBF43926u);
    uint32_t c = crc32_update(0, "1234", 4);
    EXPECT(crc32_update(c, "56789", 5) == 0xCBF43926u);
}

static void test_linereader_endings_and_bom(void) {
    char path[] = "/tmp/nmt_test_lr_XXXXXX";
    int fd = mkstemp(path);
    const char text[] = "\xEF\xBB\xBF" "first\r\nsecond\n\nlast-without-newline";
    EXPECT(write(fd, text, sizeof text - 1) == (ssize_t)(sizeof text - 1));
    close(fd);
    LineReader r;
    EXPECT(linereader_open(&r, path) == 0);
    EXPECT(linereader_next(&r) == 1);
    EXPECT_STR(r.line, "first");
    EXPECT(linereader_next(&r) == 1);
    EXPECT_STR(r.line, "second");
    EXPECT(linereader_next(&r) == 1);
    EXPECT(r.len == 0);
    EXPECT(linereader_next(&r) == 1);
    EXPECT_STR(r.line, "last-without-newline");
    EXPECT(r.lineno == 4);
    EXPECT(linereader_next(&r) == 0);
    linereader_close(&r);
    EXPECT(count_lines(path) == 4);
    unlink(path);
}

static void test_atomic_write_replaces_whole_file(void) {
    char dir[] = "/tmp/nmt_test_aw_XXXXXX";
    EXPECT(mkdtemp(dir) != NULL);
    char path[256], err[256];
    snprintf(path, sizeof path, "%s/file", dir);
    EXPECT(write_file_atomic(path, "old contents", 12, err, sizeof err) == 0);
    EXPECT(write_file_atomic(path, "new", 3, err, sizeof err) == 0);
    size_t n;
    char *data = read_file(path, &n);
    EXPECT(data && n == 3 && memcmp(data, "new", 3) == 0);
    free(data);
    /* A directory that does not exist: an error message, no crash. */
    EXPECT(write_file_atomic("/nonexistent-dir/x", "a", 1, err, sizeof err) == -1);
    EXPECT(strstr(err, "/nonexistent-dir/x") != NULL);
    /* A special file is written in place, never replaced. */
    EXPECT(write_file_atomic("/dev/null", "x", 1, err, sizeof err) == 0);
    struct stat st;
    EXPECT(stat("/dev/null", &st) == 0 && S_ISCHR(st.st_mode));
    unlink(path);
    rmdir(dir);
}

static void test_rng_streams_deterministic(void) {
    Rng a, b, c;
    rng_seed(&a, 42, 0);
    rng_seed(&b, 42, 0);
    rng_seed(&c, 42, 1);
    int same = 1, differ = 0;
    double sum = 0;
    for (int i = 0; i < 10000; i++) {
        uint64_t x = rng_next(&a), y = rng_next(&b), z = rng_next(&c);
        same &= x == y;
        differ += x != z;
        sum += rng_uniform(&a);
        (void)rng_uniform(&b);
    }
    EXPECT(same);
    EXPECT(differ > 9990);
    EXPECT_NEAR(sum / 10000, 0.5, 0.02);
}

static void test_fast_math_matches_libm(void) {
    double max_exp = 0, max_tanh = 0, max_sig = 0;
    for (int i = -200000; i <= 200000; i++) {
        float x = (float)i * 4.35e-4f; /* [-87, 87], the unclamped range */
        double e = exp((double)x);
        max_exp = fmax(max_exp, fabs(fast_expf(x) - e) / e);
        float y = (float)i * 1e-4f; /* [-20, 20] */
        max_tanh = fmax(max_tanh, fabs(fast_tanhf(y) - tanh((double)y)));
        max_sig = fmax(max_sig, fabs(sigmoidf(y) - 1.0 / (1.0 + exp(-(double)y))));
    }
    EXPECT_MSG(max_exp < 5e-7, "exp relative error %g", max_exp);
    EXPECT_MSG(max_tanh < 3e-7, "tanh absolute error %g", max_tanh);
    EXPECT_MSG(max_sig < 2e-7, "sigmoid absolute error %g", max_sig);
    EXPECT(fast_tanhf(0.0f) == 0.0f && fast_tanhf(-30.0f) == -1.0f && fast_tanhf(30.0f) == 1.0f);
    EXPECT(fast_expf(-1000.0f) >= 0.0f && fast_expf(-1000.0f) < 1e-37f);
}

int main(void) {
    RUN(test_crc32_known_value);
    RUN(test_linereader_endings_and_bom);
    RUN(test_atomic_write_replaces_whole_file);
    RUN(test_rng_streams_deterministic);
    RUN(test_fast_math_matches_libm);
    TEST_EXIT();
}
