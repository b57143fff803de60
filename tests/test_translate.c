/* Tests for src/translate: search invariants through the translator,
 * streaming and ordering, n-best output, alignments, scoring, and every
 * attention dump format read back. */
#include <errno.h>
#include <stdint.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/util.h"
#include "search/search.h"
#include "model/average.h"
#include "model/saved.h"
#include "test.h"
#include "translate/alignment.h"
#include "translate/attention_dump.h"
#include "core/escape.h"
#include "core/npy.h"
#include "translate/scorer.h"
#include "translate/translator.h"
#include "vocab/build.h"

/* ---------- fixture: a small random-weight model and test sentences ---------- */

static Model *g_model;
static char g_dir[64];
enum { N_SENT = 40 };
static char *g_lines[N_SENT];
static int *g_src[N_SENT], g_src_len[N_SENT];

static void write_head(const char *from, const char *to, int n) {
    LineReader r;
    if (linereader_open(&r, from) != 0) die("%s: cannot open", from);
    FILE *f = fopen(to, "w");
    if (!f) die("%s: cannot create", to);
    for (int i = 0; i < n && linereader_next(&r); i++) fprintf(f, "%s\n", r.line);
    fclose(f);
    linereader_close(&r);
}

static void fixture_init(void) {
    snprintf(g_dir, sizeof g_dir, "/tmp/nmt_test_tr_XXXXXX");
    if (!mkdtemp(g_dir)) die("mkdtemp failed");
    char s[128], t[128];
    snprintf(s, sizeof s, "%s/train.src", g_dir);
    snprintf(t, sizeof t, "%s/train.tgt", g_dir);
    write_head("corpora/toy/train.src", s, 3000);
    write_head("corpora/toy/train.tgt", t, 3000);
    VocabConfig vc;
    vocab_config_init(&vc);
    vc.bpe_merges = 150; /* few merges: words split into several subwords */
    CorpusStats cs;
    Vocab *v = vocab_build(&vc, s, t, &cs);
    ModelConfig cfg = {.emb = 16, .hidden = 24, .att_dim = 16, .attention = ATTENTION_BAHDANAU, .dropout = 0.0f};
    g_model = model_create(&cfg, v, 7);
    /* A random model with small weights repeats one token forever. Larger
     * embeddings make its outputs depend on the input, sharper output
     * weights and a bias towards </s> make most hypotheses end (and some
     * hit the length limit): enough variety for search invariants. */
    for (size_t k = 0; k < (size_t)g_model->cfg.tgt_vocab * cfg.emb; k++) g_model->p.dec.tgt_emb[k] *= 10.0f;
    for (size_t k = 0; k < (size_t)g_model->cfg.src_vocab * cfg.emb; k++) g_model->p.enc.src_emb[k] *= 10.0f;
    for (size_t k = 0; k < (size_t)g_model->cfg.tgt_vocab * (size_t)model_out_in(&g_model->cfg); k++)
        g_model->p.dec.out.W[k] *= 3.0f;
    g_model->p.dec.out.b[VOCAB_EOS] += 1.0f;
    LineReader r;
    if (linereader_open(&r, "corpora/toy/test.src") != 0) die("cannot open corpora/toy/test.src");
    char err[256];
    for (int i = 0; i < N_SENT && linereader_next(&r); i++) {
        g_lines[i] = xstrdup(r.line);
        g_src_len[i] = vocab_encode(v, VOCAB_SRC, r.line, r.len, &g_src[i], err, sizeof err);
        if (g_src_len[i] <= 0) die("cannot encode test line %d", i + 1);
    }
    linereader_close(&r);
}

static void fixture_free(void) {
    for (int i = 0; i < N_SENT; i++) free(g_lines[i]), free(g_src[i]);
    model_free(g_model);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", g_dir);
    if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", g_dir);
}

static TranslateOptions opts(int beam, int threads) {
    TranslateOptions o;
    translate_options_default(&o);
    o.search.beam = beam;
    o.threads = threads;
    o.batch = 4;
    o.quiet = 1;
    return o;
}

static int same_tokens(const Hypothesis *a, const Hypothesis *b) {
    return a->len == b->len && a->ended == b->ended && !memcmp(a->tokens, b->tokens, sizeof(int) * (size_t)a->len);
}

static void free_all(NBest *nb, int n) {
    for (int i = 0; i < n; i++) nbest_free(&nb[i]);
}

/* ---------- search invariants ---------- */

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

/* ---------- translate_lines / translate_stream ---------- */

static void test_order_preserved_across_threads(void) {
    /* more lines than one chunk, with empty lines mixed in */
    enum { N = 150 };
    const char *lines[N];
    for (int i = 0; i < N; i++) lines[i] = i % 11 == 5 ? "" : g_lines[(i * 7) % N_SENT];
    char *out1[N], *out2[N], *out3[N];
    char err[256];
    TranslateOptions o = opts(3, 1);
    o.batch = 3;
    EXPECT(translate_lines(g_model, &o, lines, N, out1, NULL, err, sizeof err) == 0);
    o.threads = 2;
    EXPECT(translate_lines(g_model, &o, lines, N, out2, NULL, err, sizeof err) == 0);
    o.threads = 3;
    TranslateStats st;
    EXPECT(translate_lines(g_model, &o, lines, N, out3, &st, err, sizeof err) == 0);
    EXPECT(st.lines == N);
    EXPECT(st.empty == (N + 5) / 11);
    EXPECT(st.translated == N - st.empty);
    /* the same sentence gives the same translation wherever it is */
    char *first[N_SENT] = {0};
    for (int i = 0; i < N; i++) {
        EXPECT_STR(out1[i], out2[i]);
        EXPECT_STR(out1[i], out3[i]);
        if (lines[i][0] == '\0') {
            EXPECT_STR(out1[i], "");
            continue;
        }
        int k = (i * 7) % N_SENT;
        if (!first[k]) first[k] = out1[i];
    }
    /* and agrees with translating the sentence by itself */
    o.threads = 1;
    o.batch = 1;
    for (int k = 0; k < N_SENT; k += 9) {
        if (!first[k]) continue;
        char *one;
        const char *l = g_lines[k];
        EXPECT(translate_lines(g_model, &o, &l, 1, &one, NULL, err, sizeof err) == 0);
        EXPECT_STR(one, first[k]);
        free(one);
    }
    for (int i = 0; i < N; i++) free(out1[i]), free(out2[i]), free(out3[i]);
}

static void test_nbest_sorted_distinct(void) {
    TranslateOptions o = opts(5, 2);
    o.search.nbest = 5;
    o.print_nbest = 1;
    char *out[N_SENT];
    char err[256];
    EXPECT(translate_lines(g_model, &o, (const char *const *)g_lines, N_SENT, out, NULL, err, sizeof err) == 0);
    int total = 0;
    for (int i = 0; i < N_SENT; i++) {
        char *save = NULL, *texts[8];
        double prev = 1e300;
        int n = 0;
        for (char *l = strtok_r(out[i], "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
            char *p1 = strstr(l, " ||| "), *p2 = p1 ? strstr(p1 + 5, " ||| ") : NULL;
            EXPECT(p1 && p2);
            if (!p1 || !p2) break;
            EXPECT(strtol(l, NULL, 10) == i); /* Moses ids are 0-based */
            *p2 = '\0';
            double score = strtod(p2 + 5, NULL);
            EXPECT_MSG(score <= prev, "line %d: %g after %g", i, score, prev);
            prev = score;
            EXPECT(n < 5);
            if (n >= 5) break;
            texts[n] = p1 + 5;
            for (int j = 0; j < n; j++) EXPECT(strcmp(texts[j], texts[n]) != 0);
            n++;
        }
        EXPECT(n >= 1);
        total += n;
        free(out[i]);
    }
    EXPECT(total > 2 * N_SENT); /* real lists, not single entries */
}

static void test_invalid_utf8_and_skip(void) {
    const char *lines[4] = {g_lines[0], "", "ok \xff bad", g_lines[1]};
    char *out[4];
    char err[256] = "";
    TranslateOptions o = opts(2, 2);
    EXPECT(translate_lines(g_model, &o, lines, 4, out, NULL, err, sizeof err) == -1);
    EXPECT_STR(err, "input:3: invalid UTF-8 at byte 4");
    o.skip_invalid = 1;
    TranslateStats st;
    EXPECT(translate_lines(g_model, &o, lines, 4, out, &st, err, sizeof err) == 0);
    EXPECT_STR(out[1], "");
    EXPECT_STR(out[2], "");
    EXPECT(strlen(out[0]) > 0 && strlen(out[3]) > 0);
    EXPECT(st.invalid == 1 && st.empty == 1 && st.translated == 2);
    EXPECT(strstr(st.first_invalid, "input:3:") != NULL);
    for (int i = 0; i < 4; i++) free(out[i]);
}

static void test_long_line_cut_and_bounded(void) {
    Buf b = {0};
    for (int i = 0; i < 3000; i++) buf_puts(&b, i ? " the big cat" : "the big cat");
    const char *lines[2] = {b.data, g_lines[2]};
    char *out[2];
    char err[256];
    TranslateOptions o = opts(2, 1);
    o.max_src_len = 40;
    o.search.max_len_ratio = 1.0f;
    o.alignment = ALIGN_SOFT;
    TranslateStats st;
    EXPECT(translate_lines(g_model, &o, lines, 2, out, &st, err, sizeof err) == 0);
    EXPECT(st.cut == 1);
    /* soft alignment: at most 40 + 10 rows (+ </s>) of 40 columns */
    char *sep = strstr(out[0], " ||| ");
    EXPECT(sep != NULL);
    if (sep) {
        int rows = 1, commas = 0;
        for (char *p = sep + 5; *p; p++) rows += *p == ' ', commas += *p == ',';
        EXPECT(rows <= 51);
        EXPECT(commas == rows * 39);
    }
    free(out[0]), free(out[1]);
    buf_free(&b);
}

static char *slurp(const char *path) {
    size_t n;
    char *s = read_file(path, &n);
    return s;
}

static void test_stream_matches_lines(void) {
    char in_path[128], out_path[128];
    snprintf(in_path, sizeof in_path, "%s/in.txt", g_dir);
    snprintf(out_path, sizeof out_path, "%s/out.txt", g_dir);
    enum { N = 90 };
    const char *lines[N];
    FILE *f = fopen(in_path, "w");
    for (int i = 0; i < N; i++) {
        lines[i] = i % 13 == 0 ? "" : g_lines[i % N_SENT];
        fprintf(f, "%s%s", lines[i], i % 2 ? "\r\n" : "\n");
    }
    fclose(f);
    TranslateOptions o = opts(2, 2);
    o.batch = 2; /* chunks of 32 lines */
    o.alignment = ALIGN_HARD;
    LineReader r;
    EXPECT(linereader_open(&r, in_path) == 0);
    FILE *out = fopen(out_path, "w");
    char err[256];
    TranslateStats st;
    EXPECT(translate_stream(g_model, &o, &r, out, NULL, &st, err, sizeof err) == 0);
    fclose(out);
    linereader_close(&r);
    char *mem[N];
    EXPECT(translate_lines(g_model, &o, lines, N, mem, NULL, err, sizeof err) == 0);
    Buf expect = {0};
    for (int i = 0; i < N; i++) buf_printf(&expect, "%s\n", mem[i]), free(mem[i]);
    char *got = slurp(out_path);
    EXPECT(got && !strcmp(got, expect.data));
    EXPECT(st.lines == N);
    /* hard alignments are s-t pairs of word indices within the lines' words */
    free(got);
    buf_free(&expect);
}

/* ---------- alignment ---------- */

static void test_alignment_word_merge_and_hard(void) {
    const Vocab *v = g_model->vocab;
    char err[128];
    int *s, *t;
    const char *src_text = "the venturesome cats sleep.";
    const char *tgt_text = "shä venurärär dokoza.";
    int Ts = vocab_encode(v, VOCAB_SRC, src_text, strlen(src_text), &s, err, sizeof err);
    int Tt = vocab_encode(v, VOCAB_TGT, tgt_text, strlen(tgt_text), &t, err, sizeof err);
    int *sw = xmalloc(sizeof(int) * (size_t)Ts), *tw = xmalloc(sizeof(int) * (size_t)Tt);
    int Ws = vocab_word_ids(v, VOCAB_SRC, s, Ts, sw), Wt = vocab_word_ids(v, VOCAB_TGT, t, Tt, tw);
    EXPECT(Ws == 4 && Wt == 3);
    EXPECT_MSG(Ts > Ws && Tt > Wt, "the words should be split into subwords (%d, %d tokens)", Ts, Tt);
    /* attention: target word w looks at source word (Ws - 1 - w) % Ws, split
     * evenly over that word's pieces; the extra </s> row looks at token 0 */
    float *a = xcalloc((size_t)(Tt + 1) * Ts, sizeof(float));
    for (int i = 0; i < Tt; i++) {
        int want = (Ws - 1 - tw[i]) % Ws, pieces = 0;
        for (int j = 0; j < Ts; j++) pieces += sw[j] == want;
        for (int j = 0; j < Ts; j++) a[(size_t)i * Ts + j] = sw[j] == want ? 1.0f / (float)pieces : 0.0f;
    }
    a[(size_t)Tt * Ts] = 1.0f;
    int nsw, ntw;
    float *W = align_merge_words(v, s, Ts, t, Tt, a, &nsw, &ntw);
    EXPECT(nsw == Ws && ntw == Wt);
    for (int w = 0; w < Wt; w++) {
        double sum = 0;
        for (int x = 0; x < Ws; x++) sum += W[w * Ws + x];
        EXPECT_NEAR(sum, 1.0, 1e-5);
        EXPECT_NEAR(W[w * Ws + (Ws - 1 - w)], 1.0, 1e-5);
    }
    Buf b = {0};
    align_hard_string(v, s, Ts, t, Tt, a, &b);
    EXPECT_STR(b.data, "1-2 2-1 3-0"); /* sorted by source index, as Marian does */
    b.len = 0;
    float m2[6] = {0.1f, 0.2f, 0.7f, 0.25f, 0.25f, 0.5f};
    align_soft_string(m2, 2, 3, &b);
    EXPECT_STR(b.data, "0.1,0.2,0.7 0.25,0.25,0.5");
    buf_free(&b);
    free(W), free(a), free(s), free(t), free(sw), free(tw);
}

/* ---------- scoring ---------- */

static void test_score_matches_search(void) {
    TranslateOptions o = opts(1, 1);
    o.search.want_attention = 1;
    NBest g[N_SENT];
    translate_ids(g_model, &o, (const int *const *)g_src, g_src_len, N_SENT, g);
    const int *tgt[N_SENT];
    int tl[N_SENT];
    for (int i = 0; i < N_SENT; i++) tgt[i] = g[i].hyps[0].tokens, tl[i] = g[i].hyps[0].len;
    ScoreOptions so;
    score_options_default(&so);
    so.threads = 2;
    so.batch = 5;
    double lp[N_SENT];
    float *att[N_SENT];
    score_ids(g_model, &so, (const int *const *)g_src, g_src_len, tgt, tl, N_SENT, lp, att);
    int compared = 0;
    for (int i = 0; i < N_SENT; i++) {
        const Hypothesis *h = &g[i].hyps[0];
        for (int t = 0; t <= tl[i]; t++) {
            double sum = 0;
            for (int s = 0; s < g_src_len[i]; s++) sum += att[i][(size_t)t * g_src_len[i] + s];
            EXPECT_NEAR(sum, 1.0, 1e-5);
        }
        if (!h->ended) continue; /* a cut hypothesis has no </s> step to compare */
        compared++;
        EXPECT_NEAR(lp[i], h->logprob, 1e-3);
        double maxdiff = 0;
        for (size_t k = 0; k < (size_t)(tl[i] + 1) * g_src_len[i]; k++) {
            double d = fabs(att[i][k] - h->attention[k]);
            if (d > maxdiff) maxdiff = d;
        }
        EXPECT_NEAR(maxdiff, 0.0, 1e-4);
    }
    EXPECT(compared > 0);
    for (int i = 0; i < N_SENT; i++) free(att[i]);
    free_all(g, N_SENT);
}

static void test_score_stream(void) {
    char sp[128], tp[128], op[128];
    snprintf(sp, sizeof sp, "%s/s.txt", g_dir);
    snprintf(tp, sizeof tp, "%s/t.txt", g_dir);
    snprintf(op, sizeof op, "%s/scores.txt", g_dir);
    FILE *fs = fopen(sp, "w"), *ft = fopen(tp, "w");
    LineReader tr;
    EXPECT(linereader_open(&tr, "corpora/toy/test.tgt") == 0);
    enum { N = 30 };
    for (int i = 0; i < N && linereader_next(&tr); i++) {
        fprintf(fs, "%s\n", i == 4 ? "" : g_lines[i]);
        fprintf(ft, "%s\n", i == 7 ? "" : tr.line);
    }
    linereader_close(&tr);
    fclose(fs), fclose(ft);
    ScoreOptions so;
    score_options_default(&so);
    so.threads = 2, so.batch = 3, so.quiet = 1;
    LineReader a, b;
    EXPECT(linereader_open(&a, sp) == 0 && linereader_open(&b, tp) == 0);
    FILE *out = fopen(op, "w");
    char err[256];
    ScoreStats st;
    EXPECT(score_stream(g_model, &so, &a, &b, out, NULL, &st, err, sizeof err) == 0);
    fclose(out);
    linereader_close(&a), linereader_close(&b);
    EXPECT(st.pairs == N && st.scored == N - 1 && st.empty == 1);
    LineReader r;
    EXPECT(linereader_open(&r, op) == 0);
    double total = 0;
    long tokens = 0;
    int n = 0;
    while (linereader_next(&r)) {
        if (n == 4) EXPECT(r.len == 0);
        else {
            char *tab = strchr(r.line, '\t');
            EXPECT(tab != NULL);
            if (!tab) break;
            double lp = strtod(r.line, NULL);
            EXPECT(lp < 0);
            total += lp, tokens += strtol(tab + 1, NULL, 10);
            if (n == 7) EXPECT(strtol(tab + 1, NULL, 10) == 1); /* empty target: just </s> */
        }
        n++;
    }
    linereader_close(&r);
    EXPECT(n == N);
    EXPECT(tokens == st.tokens);
    EXPECT_NEAR(total, st.logprob, 1e-3);
    EXPECT_NEAR(score_perplexity(&st), exp(-st.logprob / (double)st.tokens), 1e-9);
    /* different line counts are an error naming the files */
    fs = fopen(sp, "a");
    fprintf(fs, "one more line\n");
    fclose(fs);
    EXPECT(linereader_open(&a, sp) == 0 && linereader_open(&b, tp) == 0);
    out = fopen(op, "w");
    EXPECT(score_stream(g_model, &so, &a, &b, out, NULL, &st, err, sizeof err) == -1);
    EXPECT(strstr(err, tp) != NULL && strstr(err, "30 lines") != NULL);
    fclose(out);
    linereader_close(&a), linereader_close(&b);
}

/* ---------- attention dumps, read back ---------- */

/* A tiny JSON reader, enough for the dumps: values are parsed into a tree. */
typedef struct JVal {
    int type; /* 'o' object, 'a' array, 's' string, 'n' number, 'b' bool/null */
    char *str;
    double num;
    struct JVal *items; /* array elements / object values */
    char **keys;
    int n;
} JVal;

static void jfree(JVal *v) {
    for (int i = 0; i < v->n; i++) {
        jfree(&v->items[i]);
        if (v->keys) free(v->keys[i]);
    }
    free(v->items), free(v->keys), free(v->str);
}

static void jws(const char **p) {
    while (**p == ' ' || **p == '\n' || **p == '\t' || **p == '\r') (*p)++;
}

static int jparse(const char **p, JVal *v);

static int jstring(const char **p, char **out) {
    if (**p != '"') return -1;
    (*p)++;
    Buf b = {0};
    buf_reserve(&b, 0);
    while (**p && **p != '"') {
        unsigned char c = (unsigned char)**p;
        if (c < 0x20) return buf_free(&b), -1; /* raw control characters are not JSON */
        if (c == '\\') {
            (*p)++;
            char e = **p;
            const char *map = "\"\\/bfnrt", *to = "\"\\/\b\f\n\r\t";
            const char *k = strchr(map, e);
            if (e == 'u') {
                unsigned u = (unsigned)strtoul((char[]){(*p)[1], (*p)[2], (*p)[3], (*p)[4], 0}, NULL, 16);
                char enc[4];
                int n = 0;
                if (u < 0x80) enc[n++] = (char)u;
                else if (u < 0x800) enc[n++] = (char)(0xC0 | (u >> 6)), enc[n++] = (char)(0x80 | (u & 63));
                else enc[n++] = (char)(0xE0 | (u >> 12)), enc[n++] = (char)(0x80 | ((u >> 6) & 63)),
                     enc[n++] = (char)(0x80 | (u & 63));
                buf_append(&b, enc, (size_t)n);
                *p += 5;
                continue;
            }
            if (!e || !k) return buf_free(&b), -1;
            buf_append(&b, to + (k - map), 1);
            (*p)++;
            continue;
        }
        buf_append(&b, *p, 1);
        (*p)++;
    }
    if (**p != '"') return buf_free(&b), -1;
    (*p)++;
    *out = b.data;
    return 0;
}

static int jparse(const char **p, JVal *v) {
    memset(v, 0, sizeof *v);
    jws(p);
    if (**p == '{' || **p == '[') {
        const int obj = **p == '{';
        const char close = obj ? '}' : ']';
        v->type = obj ? 'o' : 'a';
        (*p)++;
        jws(p);
        if (**p == close) return (*p)++, 0;
        for (;;) {
            v->items = xrealloc(v->items, sizeof(JVal) * (size_t)(v->n + 1));
            if (obj) {
                v->keys = xrealloc(v->keys, sizeof(char *) * (size_t)(v->n + 1));
                jws(p);
                if (jstring(p, &v->keys[v->n]) != 0) return -1;
                jws(p);
                if (**p != ':') return free(v->keys[v->n]), -1;
                (*p)++;
            }
            if (jparse(p, &v->items[v->n]) != 0) {
                if (obj) free(v->keys[v->n]);
                return -1;
            }
            v->n++;
            jws(p);
            if (**p == ',') { (*p)++; continue; }
            if (**p == close) { (*p)++; return 0; }
            return -1;
        }
    }
    if (**p == '"') return v->type = 's', jstring(p, &v->str);
    if (!strncmp(*p, "true", 4) || !strncmp(*p, "null", 4)) return v->type = 'b', *p += 4, 0;
    if (!strncmp(*p, "false", 5)) return v->type = 'b', *p += 5, 0;
    char *end;
    v->num = strtod(*p, &end);
    if (end == *p) return -1;
    v->type = 'n';
    *p = end;
    return 0;
}

static const JVal *jget(const JVal *o, const char *key) {
    for (int i = 0; o->type == 'o' && i < o->n; i++)
        if (!strcmp(o->keys[i], key)) return &o->items[i];
    return NULL;
}

/* Records used by every format test: two real sentences and an empty one,
 * plus labels that need escaping. */
typedef struct {
    AttRecord r[3];
    float *att[3];
    const char **st[3], **tt[3];
} Records;

static void make_records(Records *R) {
    memset(R, 0, sizeof *R);
    static const char *odd_src[3] = {"<b>&\"quoted\"", "back\\slash", "\xE2\x96\x81" "caf\xC3\xA9"};
    static const char *odd_tgt[2] = {"tab\\t'x'", "</s>"};
    for (int k = 0; k < 3; k++) {
        int Ts = k == 0 ? 3 : k == 1 ? 5 : 0, Tt = k == 0 ? 2 : k == 1 ? 4 : 0;
        R->att[k] = xmalloc(sizeof(float) * (size_t)(Ts * Tt + 1));
        R->st[k] = xmalloc(sizeof(char *) * (size_t)(Ts + 1));
        R->tt[k] = xmalloc(sizeof(char *) * (size_t)(Tt + 1));
        for (int s = 0; s < Ts; s++) R->st[k][s] = k == 0 ? odd_src[s] : vocab_token(g_model->vocab, VOCAB_SRC, 10 + s);
        for (int t = 0; t < Tt; t++) R->tt[k][t] = k == 0 ? odd_tgt[t] : t == Tt - 1 ? "</s>" : vocab_token(g_model->vocab, VOCAB_TGT, 20 + t);
        for (int t = 0; t < Tt; t++) {
            float sum = 0;
            for (int s = 0; s < Ts; s++) sum += (R->att[k][t * Ts + s] = (float)((t * 7 + s * 3) % 5 + 1) / 3.0f);
            for (int s = 0; s < Ts; s++) R->att[k][t * Ts + s] /= sum;
        }
        R->r[k] = (AttRecord){.id = k + 1, .src_text = k == 0 ? "a \"b\"\tc" : "x", .tgt_text = "y\\z",
                              .src_tokens = R->st[k], .Ts = Ts, .tgt_tokens = R->tt[k], .Tt = Tt, .att = R->att[k]};
    }
}

static void free_records(Records *R) {
    for (int k = 0; k < 3; k++) free(R->att[k]), free(R->st[k]), free(R->tt[k]);
}

static char *write_dump(AttDumpFormat fmt, const char *name, Records *R) {
    static char path[160];
    snprintf(path, sizeof path, "%s/%s", g_dir, name);
    char err[256];
    AttDump *d = attdump_open(path, fmt, "test <dump>", err, sizeof err);
    EXPECT_MSG(d != NULL, "%s", err);
    if (!d) return NULL;
    for (int k = 0; k < 3; k++) EXPECT(attdump_write(d, &R->r[k], err, sizeof err) == 0);
    EXPECT(attdump_count(d) == 3);
    EXPECT(attdump_close(d, err, sizeof err) == 0);
    return path;
}

static void test_dump_jsonl(void) {
    Records R;
    make_records(&R);
    char *path = write_dump(ATTDUMP_JSONL, "att.jsonl", &R);
    char *text = path ? slurp(path) : NULL;
    EXPECT(text != NULL);
    const char *p = text;
    for (int k = 0; text && k < 3; k++) {
        const char *nl = strchr(p, '\n');
        EXPECT(nl != NULL); /* one object per line */
        JVal v;
        EXPECT_MSG(jparse(&p, &v) == 0, "record %d does not parse", k);
        EXPECT(*p == '\n' && p == nl);
        const JVal *id = jget(&v, "id"), *st = jget(&v, "src_tokens"), *tt = jget(&v, "tgt_tokens"),
                   *att = jget(&v, "attention"), *src = jget(&v, "src");
        EXPECT(id && id->num == k + 1);
        EXPECT(src && src->type == 's' && !strcmp(src->str, R.r[k].src_text));
        EXPECT(st && st->n == R.r[k].Ts && tt && tt->n == R.r[k].Tt && att && att->n == R.r[k].Tt);
        if (st && tt && att && st->n == R.r[k].Ts && tt->n == R.r[k].Tt && att->n == R.r[k].Tt) {
            for (int s = 0; s < st->n; s++) EXPECT_STR(st->items[s].str, R.r[k].src_tokens[s]);
            for (int t = 0; t < tt->n; t++) EXPECT_STR(tt->items[t].str, R.r[k].tgt_tokens[t]);
            for (int t = 0; t < att->n; t++) {
                EXPECT(att->items[t].n == R.r[k].Ts);
                double sum = 0;
                for (int s = 0; s < att->items[t].n; s++) {
                    double w = att->items[t].items[s].num;
                    sum += w;
                    EXPECT_NEAR(w, R.r[k].att[t * R.r[k].Ts + s], 1e-6);
                }
                EXPECT_NEAR(sum, 1.0, 1e-5);
            }
        }
        jfree(&v);
        p = nl ? nl + 1 : p;
    }
    EXPECT(text && *p == '\0');
    free(text);
    free_records(&R);
}

static void test_dump_tsv(void) {
    Records R;
    make_records(&R);
    char *path = write_dump(ATTDUMP_TSV, "att.tsv", &R);
    LineReader r;
    EXPECT(path && linereader_open(&r, path) == 0);
    if (!path) return;
    for (int k = 0; k < 3; k++) {
        char want[64];
        snprintf(want, sizeof want, "# sentence %d", k + 1);
        EXPECT(linereader_next(&r) && !strcmp(r.line, want));
        /* comments, then the header */
        while (linereader_next(&r) && r.line[0] == '#') {
        }
        EXPECT(!strncmp(r.line, TSV_CORNER, strlen(TSV_CORNER)));
        char *save, *cell = strtok_r(r.line, "\t", &save);
        int s = 0;
        for (cell = strtok_r(NULL, "\t", &save); cell; cell = strtok_r(NULL, "\t", &save), s++)
            if (s < R.r[k].Ts) EXPECT_STR(cell, R.r[k].src_tokens[s]);
        EXPECT(s == R.r[k].Ts);
        for (int t = 0; t < R.r[k].Tt; t++) {
            EXPECT(linereader_next(&r));
            cell = strtok_r(r.line, "\t", &save);
            EXPECT_STR(cell, R.r[k].tgt_tokens[t]);
            double sum = 0;
            s = 0;
            for (cell = strtok_r(NULL, "\t", &save); cell; cell = strtok_r(NULL, "\t", &save), s++) {
                if (s < R.r[k].Ts) EXPECT_NEAR(strtod(cell, NULL), R.r[k].att[t * R.r[k].Ts + s], 1e-6);
                sum += strtod(cell, NULL);
            }
            EXPECT(s == R.r[k].Ts);
            EXPECT_NEAR(sum, 1.0, 1e-5);
        }
        EXPECT(linereader_next(&r) && r.len == 0); /* blank line ends the block */
    }
    EXPECT(!linereader_next(&r));
    linereader_close(&r);
    free_records(&R);
}

/* A tiny .npy reader: version 1.0, '<f4', C order, 2-D. Returns the data or NULL. */
static float *npy_read(const char *path, int *rows, int *cols) {
    size_t n;
    unsigned char *d = (unsigned char *)read_file(path, &n);
    if (!d) return NULL;
    float *out = NULL;
    if (n < 10 || memcmp(d, "\x93NUMPY", 6) != 0 || d[6] != 1 || d[7] != 0) goto done;
    size_t hlen = d[8] | (size_t)d[9] << 8;
    if ((10 + hlen) % 64 != 0 || 10 + hlen > n || d[10 + hlen - 1] != '\n') goto done;
    char *h = xmalloc(hlen + 1);
    memcpy(h, d + 10, hlen);
    h[hlen] = '\0';
    char *shape = strstr(h, "'shape': (");
    int ok = strstr(h, "'descr': '<f4'") && strstr(h, "'fortran_order': False") && shape && h[0] == '{';
    if (ok && sscanf(shape, "'shape': (%d, %d)", rows, cols) == 2 &&
        n == 10 + hlen + 4 * (size_t)*rows * (size_t)*cols) {
        out = xmalloc(sizeof(float) * (size_t)(*rows * *cols + 1));
        for (int i = 0; i < *rows * *cols; i++) {
            const unsigned char *b = d + 10 + hlen + 4 * (size_t)i;
            uint32_t u = b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
            memcpy(&out[i], &u, 4);
        }
    }
    free(h);
done:
    free(d);
    return out;
}

static void test_dump_npy(void) {
    Records R;
    make_records(&R);
    char *dir = write_dump(ATTDUMP_NPY, "npydir", &R);
    EXPECT(dir != NULL);
    for (int k = 0; dir && k < 3; k++) {
        char path[256];
        snprintf(path, sizeof path, "%s/%06d.npy", dir, k + 1);
        int rows = -1, cols = -1;
        float *a = npy_read(path, &rows, &cols);
        EXPECT_MSG(a != NULL, "%s is not a float32 .npy file", path);
        if (!a) continue;
        EXPECT(rows == R.r[k].Tt && cols == R.r[k].Ts);
        EXPECT(!memcmp(a, R.r[k].att, sizeof(float) * (size_t)(rows * cols)));
        free(a);
        snprintf(path, sizeof path, "%s/%06d.json", dir, k + 1);
        char *text = slurp(path);
        EXPECT(text != NULL);
        const char *p = text;
        JVal v;
        EXPECT(text && jparse(&p, &v) == 0);
        if (text) {
            const JVal *st = jget(&v, "src_tokens");
            EXPECT(st && st->n == R.r[k].Ts);
            if (st && st->n > 0) EXPECT_STR(st->items[0].str, R.r[k].src_tokens[0]);
            jfree(&v);
        }
        free(text);
    }
    /* the header is padded to 64 bytes for any shape */
    for (int r = 0; r < 300; r += 37) {
        Buf b = {0};
        npy_header(&b, r, r * 1000 + 3);
        EXPECT(b.len % 64 == 0 && b.data[b.len - 1] == '\n');
        buf_free(&b);
    }
    /* a file where the directory should go is an error, not a crash */
    char bad[160], err[256];
    snprintf(bad, sizeof bad, "%s/att.jsonl", g_dir);
    EXPECT(attdump_open(bad, ATTDUMP_NPY, NULL, err, sizeof err) == NULL);
    free_records(&R);
}

static int count_of(const char *hay, const char *needle) {
    int n = 0;
    for (const char *p = strstr(hay, needle); p; p = strstr(p + 1, needle)) n++;
    return n;
}

static void test_dump_html(void) {
    Records R;
    make_records(&R);
    char *path = write_dump(ATTDUMP_HTML, "att.html", &R);
    char *html = path ? slurp(path) : NULL;
    EXPECT(html != NULL);
    if (html) {
        EXPECT(!strncmp(html, "<!DOCTYPE html>", 15));
        EXPECT(count_of(html, "<table class=\"heatmap\"") == 3);
        EXPECT(strstr(html, "</html>") != NULL);
        /* self-contained: nothing fetched */
        EXPECT(!strstr(html, "http:") && !strstr(html, "https:") && !strstr(html, "src=") && !strstr(html, "<link"));
        /* labels escaped, cells carry their weights */
        EXPECT(strstr(html, "&lt;b&gt;&amp;&quot;quoted&quot;") != NULL);
        EXPECT(!strstr(html, "<b>&"));
        EXPECT(strstr(html, "tab\\t&#39;x&#39;") != NULL);
        EXPECT(strstr(html, "test &lt;dump&gt;") != NULL);
        EXPECT(count_of(html, "<td ") == 3 * 2 + 5 * 4);
        EXPECT(count_of(html, " title=\"") >= 3 * 2 + 5 * 4);
    }
    free(html);
    free_records(&R);
}

static void test_json_escape(void) {
    Buf b = {0};
    json_escape(&b, "a\"b\\c\n\t\x01 caf\xC3\xA9 \xE2\x96\x81");
    EXPECT_STR(b.data, "\"a\\\"b\\\\c\\n\\t\\u0001 caf\xC3\xA9 \xE2\x96\x81\"");
    const char *p = b.data;
    JVal v;
    EXPECT(jparse(&p, &v) == 0);
    EXPECT_STR(v.str, "a\"b\\c\n\t\x01 caf\xC3\xA9 \xE2\x96\x81");
    jfree(&v);
    buf_free(&b);
}

static void test_translator_dump_ids(void) {
    /* translate_stream with a dump: one record per line, rows = output tokens (+ </s>) */
    char in_path[128], dump_path[128];
    snprintf(in_path, sizeof in_path, "%s/in2.txt", g_dir);
    snprintf(dump_path, sizeof dump_path, "%s/tr.jsonl", g_dir);
    FILE *f = fopen(in_path, "w");
    for (int i = 0; i < 6; i++) fprintf(f, "%s\n", i == 2 ? "" : g_lines[i]);
    fclose(f);
    TranslateOptions o = opts(3, 2);
    char err[256];
    AttDump *d = attdump_open(dump_path, ATTDUMP_JSONL, NULL, err, sizeof err);
    LineReader r;
    EXPECT(d && linereader_open(&r, in_path) == 0);
    FILE *out = tmpfile();
    EXPECT(translate_stream(g_model, &o, &r, out, d, NULL, err, sizeof err) == 0);
    EXPECT(attdump_close(d, err, sizeof err) == 0);
    fclose(out);
    linereader_close(&r);
    char *text = slurp(dump_path);
    const char *p = text;
    for (int i = 0; text && i < 6; i++) {
        JVal v;
        EXPECT(jparse(&p, &v) == 0);
        const JVal *id = jget(&v, "id"), *st = jget(&v, "src_tokens"), *tt = jget(&v, "tgt_tokens"),
                   *att = jget(&v, "attention");
        EXPECT(id && id->num == i + 1);
        if (st && tt && att) {
            EXPECT(st->n == (i == 2 ? 0 : g_src_len[i]));
            EXPECT(att->n == tt->n);
            for (int t = 0; t < att->n; t++) {
                double sum = 0;
                EXPECT(att->items[t].n == st->n);
                for (int s = 0; s < att->items[t].n; s++) sum += att->items[t].items[s].num;
                EXPECT_NEAR(sum, 1.0, 1e-5);
            }
            if (i != 2) EXPECT(tt->n > 0);
            for (int s = 0; s < st->n && i != 2; s++)
                EXPECT_STR(st->items[s].str, vocab_token(g_model->vocab, VOCAB_SRC, g_src[i][s]));
        } else {
            EXPECT(0);
        }
        jfree(&v);
        jws(&p);
    }
    free(text);
}

/* ---------- checkpoint averaging ---------- */

static void test_average_is_elementwise_mean(void) {
    char a[128], b[128], c[128], err[1024];
    snprintf(a, sizeof a, "%s/avg_a", g_dir);
    snprintf(b, sizeof b, "%s/avg_b", g_dir);
    snprintf(c, sizeof c, "%s/avg_c", g_dir);
    EXPECT(model_save(g_model, a, NULL, 0, err, sizeof err) == 0);
    /* b = a with every weight moved by a different amount */
    size_t n = model_num_params(&g_model->cfg);
    float *saved = xmalloc(n * sizeof *saved);
    memcpy(saved, g_model->params, n * sizeof *saved);
    for (size_t i = 0; i < n; i++) g_model->params[i] += 0.001f * (float)(i % 97) - 0.05f;
    EXPECT(model_save(g_model, b, NULL, 0, err, sizeof err) == 0);
    const char *paths[3] = {a, b, b};
    Model *avg = model_average(paths, 3, err, sizeof err);
    EXPECT_MSG(avg != NULL, "%s", err);
    if (avg) {
        size_t off = 0;
        for (size_t i = 0; i < n; i++) {
            float want = (float)(((double)saved[i] + 2.0 * (double)g_model->params[i]) / 3.0);
            if (avg->params[i] != want) off++;
        }
        EXPECT_MSG(off == 0, "%zu of %zu averaged weights differ from the mean", off, n);
        EXPECT(avg->cfg.hidden == g_model->cfg.hidden && avg->vocab_len == g_model->vocab_len);
        model_free(avg);
    }
    memcpy(g_model->params, saved, n * sizeof *saved);
    free(saved);
    /* another architecture (same vocabulary) is refused, naming the file */
    ModelConfig cfg = g_model->cfg;
    cfg.hidden = 20, cfg.att_dim = 16;
    Vocab *v = vocab_from_bytes(g_model->vocab_bytes, g_model->vocab_len, "copy", err, sizeof err);
    EXPECT(v != NULL);
    if (!v) return;
    Model *other = model_create(&cfg, v, 3);
    EXPECT(model_save(other, c, NULL, 0, err, sizeof err) == 0);
    model_free(other);
    const char *mixed[2] = {a, c};
    err[0] = 0;
    EXPECT(model_average(mixed, 2, err, sizeof err) == NULL);
    EXPECT_MSG(strstr(err, c) && strstr(err, "architecture"), "error was: %s", err);
}

int main(void) {
    fixture_init();
    RUN(test_beam1_equals_greedy);
    RUN(test_beam5_never_below_greedy);
    RUN(test_attention_rows_sum_to_one);
    RUN(test_order_preserved_across_threads);
    RUN(test_nbest_sorted_distinct);
    RUN(test_invalid_utf8_and_skip);
    RUN(test_long_line_cut_and_bounded);
    RUN(test_stream_matches_lines);
    RUN(test_alignment_word_merge_and_hard);
    RUN(test_score_matches_search);
    RUN(test_score_stream);
    RUN(test_json_escape);
    RUN(test_dump_jsonl);
    RUN(test_dump_tsv);
    RUN(test_dump_npy);
    RUN(test_dump_html);
    RUN(test_translator_dump_ids);
    RUN(test_average_is_elementwise_mean);
    fixture_free();
    TEST_EXIT();
}
