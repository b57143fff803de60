/* Tests of the data-safety pieces that are easier to reach from C than from
 * the command line: vocabulary tokens that would break a line, and lines
 * read from memory (how a pipe is read once and then again). */
#include "sys/util.h"
#include "test.h"
#include "sys/lines.h"
#include "vocab/vocab.h"

#include <unistd.h>

/* A joint word vocabulary holding the given token besides the specials and "▁". */
static Vocab *vocab_with_token(const char *tok, char *err, size_t errsz) {
    Buf b = {0};
    buf_printf(&b, "#nmt-vocab 1\nnormalize nfc\nlowercase no\njoint yes\nbpe 0\nmin-count 1\nmax-size 0\n");
    buf_printf(&b, "table joint\ntokens 6\n<pad> 0\n<unk> 0\n<s> 0\n</s> 0\n\xE2\x96\x81 1\n%s 1\nmerges 0\n", tok);
    buf_printf(&b, "crc32 %08x\n", crc32_update(0, b.data, b.len));
    Vocab *v = vocab_from_bytes(b.data, b.len, "test.vocab", err, errsz);
    buf_free(&b);
    return v;
}

static void test_vocab_refuses_tokens_that_break_lines(void) {
    char err[512];
    Vocab *v = vocab_with_token("\xE2\x96\x81" "a\\tb", err, sizeof err); /* a tab is fine */
    EXPECT_MSG(v != NULL, "%s", err);
    vocab_free(v);
    const char *bad[] = {"a\\nb", "\\x0a", "a\\x00", "\\xff", "\\xc3"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        v = vocab_with_token(bad[i], err, sizeof err);
        EXPECT_MSG(v == NULL, "token %s was accepted", bad[i]);
        if (!v) EXPECT_MSG(strstr(err, "test.vocab:15: bad token") != NULL, "%s", err);
        vocab_free(v);
    }
}

static void test_linereader_from_memory(void) {
    const char text[] = "\xEF\xBB\xBF" "one\r\ntwo\n\nlast";
    LineReader r;
    linereader_open_mem(&r, "mem", text, sizeof text - 1);
    EXPECT(linereader_next(&r) == 1);
    EXPECT_STR(r.line, "one");
    EXPECT(linereader_next(&r) == 1 && r.len == 3);
    EXPECT(linereader_next(&r) == 1 && r.len == 0);
    EXPECT(linereader_next(&r) == 1);
    EXPECT_STR(r.line, "last");
    EXPECT(r.lineno == 4 && linereader_next(&r) == 0);
    linereader_close(&r);
}

/* count_lines reads a file once and keeps it: a reader opened afterwards
 * sees those lines even when the file has changed (as a pipe would have
 * nothing left to give). */
static void test_counted_input_is_read_from_the_copy(void) {
    char path[] = "/tmp/nmt_test_input_XXXXXX";
    int fd = mkstemp(path);
    EXPECT(write(fd, "a\nb\n", 4) == 4);
    close(fd);
    EXPECT(count_lines(path) == 2);
    FILE *f = fopen(path, "w");
    fputs("changed\n", f);
    fclose(f);
    LineReader r;
    EXPECT(linereader_open(&r, path) == 0);
    EXPECT(linereader_next(&r) == 1);
    EXPECT_STR(r.line, "a");
    linereader_close(&r);
    unlink(path);
}

static void test_decode_tokens_refuses_what_breaks_a_line(void) {
    char err[256];
    Vocab *v = vocab_with_token("\xE2\x96\x81" "a", err, sizeof err);
    EXPECT_MSG(v != NULL, "%s", err);
    if (!v) return;
    char *ok = vocab_decode_tokens(v, VOCAB_SRC, "\xE2\x96\x81" "a b", 6, err, sizeof err);
    EXPECT(ok && strcmp(ok, "ab") == 0);
    free(ok);
    const char *bad[] = {"a \\n", "\\x00", "\\xff", "\xff"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        char *out = vocab_decode_tokens(v, VOCAB_SRC, bad[i], strlen(bad[i]), err, sizeof err);
        EXPECT_MSG(out == NULL, "'%s' decoded", bad[i]);
        free(out);
    }
    vocab_free(v);
}

int main(void) {
    RUN(test_vocab_refuses_tokens_that_break_lines);
    RUN(test_linereader_from_memory);
    RUN(test_counted_input_is_read_from_the_copy);
    RUN(test_decode_tokens_refuses_what_breaks_a_line);
    TEST_EXIT();
}
