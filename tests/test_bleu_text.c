/* test_bleu_text.c — the text side of BLEU (src/eval/bleu_text.c): the 13a
 * tokenizer rule by rule, as sacreBLEU applies it, and the UTF-8 checks. */
#include <stdio.h>
#include <string.h>

#include "eval/bleu.h"
#include "sys/util.h"
#include "test.h"

static const char *tok(const char *s) {
    static Buf b;
    bleu_tokenize_13a(s, strlen(s), &b);
    return b.data;
}


static void test_tokenize_13a(void) {
    EXPECT_STR(tok("Hello, world!"), "Hello , world !");
    EXPECT_STR(tok("It costs 3.5 dollars."), "It costs 3.5 dollars .");
    EXPECT_STR(tok("1,000 people came, 2 left."), "1,000 people came , 2 left .");
    EXPECT_STR(tok("a well-known fact"), "a well-known fact");
    EXPECT_STR(tok("pages 10-20"), "pages 10 - 20");
    EXPECT_STR(tok("x-1 1-x 1--2"), "x-1 1 - x 1 - -2");
    EXPECT_STR(tok("He said &quot;hi&quot; &amp; left"), "He said \" hi \" & left");
    EXPECT_STR(tok("a &lt;b&gt; c"), "a < b > c");
    EXPECT_STR(tok("x &amp;quot; y"), "x & quot ; y"); /* replaced once, in order */
    EXPECT_STR(tok("don't stop"), "don't stop");
    EXPECT_STR(tok("(a) [b] {c}"), "( a ) [ b ] { c }");
    EXPECT_STR(tok("e.g. U.S.A."), "e . g . U . S . A .");
    EXPECT_STR(tok("v1.2.3, 4.5."), "v1.2.3 , 4.5 .");
    EXPECT_STR(tok(".5 ,5 5. 5,"), ". 5 , 5 5 . 5 ,");
    EXPECT_STR(tok("$5 50% #1 a@b.c a/b"), "$ 5 50 % # 1 a @ b . c a / b");
    EXPECT_STR(tok("end.\tnext"), "end . next");
    EXPECT_STR(tok("<skipped> word"), "word");
    EXPECT_STR(tok("line-\nbreak"), "linebreak");
    EXPECT_STR(tok("caf\xc3\xa9, na\xc3\xafve."), "caf\xc3\xa9 , na\xc3\xafve .");
    EXPECT_STR(tok("Stra\xc3\x9f" "e.Ende"), "Stra\xc3\x9f" "e . Ende");
    EXPECT_STR(tok("A\xc2\xa0" "B\xe3\x80\x80" "C"), "A B C"); /* NBSP, ideographic space split like Python */
    EXPECT_STR(tok("  spaced   out  "), "spaced out");
    EXPECT_STR(tok(""), "");
    EXPECT_STR(tok(" \t "), "");
}

static void test_utf8_checks(void) {
    EXPECT(bleu_utf8_invalid_at("caf\xc3\xa9", 5) == 0);
    EXPECT(bleu_utf8_invalid_at("\xf0\x9f\x98\x80", 4) == 0);
    EXPECT(bleu_utf8_invalid_at("ab\xff", 3) == 3);
    EXPECT(bleu_utf8_invalid_at("ab\xc3", 3) == 3);           /* truncated */
    EXPECT(bleu_utf8_invalid_at("\xc0\x80", 2) == 1);         /* overlong */
    EXPECT(bleu_utf8_invalid_at("x\xed\xa0\x80", 4) == 2);    /* surrogate */
    EXPECT(bleu_utf8_invalid_at("\xf4\x90\x80\x80", 4) == 1); /* above U+10FFFF */

    BleuStats st;
    bleu_stats_init(&st, 0);
    char err[128] = "";
    const char *refs[] = {"ok", "bad \xfe"};
    EXPECT(bleu_stats_add(&st, "fine", refs, 2, err, sizeof err) == -1);
    EXPECT_STR(err, "reference 2: invalid UTF-8 at byte 5");
    const char *good[] = {"ok"};
    EXPECT(bleu_stats_add(&st, "a\x80", good, 1, err, sizeof err) == -1);
    EXPECT_STR(err, "hypothesis: invalid UTF-8 at byte 2");
    EXPECT(st.segments == 0);
    bleu_stats_free(&st);
}

/* Merging partial statistics gives the same result as one pass. */

int main(void) {
    RUN(test_tokenize_13a);
    RUN(test_utf8_checks);
    TEST_EXIT();
}
