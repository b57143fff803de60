/* Tests for src/translate: streaming and ordering, n-best output,
 * alignments, scoring, and checkpoint averaging (src/model/average.c). */
#include <errno.h>
#include <stdint.h>
#include <sys/stat.h>

#include "fixture_model.h"
#include "model/average.h"
#include "test.h"
#include "sys/lines.h"
#include "translate/alignment.h"
#include "translate/scorer.h"

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

/* Scoring (teacher forcing) gives each translation of a beam of the given
 * width the log-probability and attention the search found for it. */
static void check_score_matches_search(int beam) {
    TranslateOptions o = opts(beam, 1);
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

static void test_score_matches_search(void) { check_score_matches_search(1); }

/* With the alignment layer (the default source when the model has one), the
 * rows of every n-best hypothesis are the layer's forced pass over its own
 * ids: exactly score_ids' for those pairs at the same positions (and another
 * thread count), len + ended rows of one matrix, each summing to 1. The
 * decoder's source gives the same translations with the search's rows. A
 * model without the layer refuses the alignment source, naming the model;
 * the layer's rows have one head. */
static void test_translation_rows_from_alignment_layer(void) {
    Model *m = fixture_build_aligned(DECODER_GRU);
    TranslateOptions o = opts(3, 2);
    o.search.nbest = 2, o.search.want_attention = 1;
    NBest nb[N_SENT], dec[N_SENT];
    translate_ids(m, &o, (const int *const *)g_src, g_src_len, N_SENT, nb);
    int total = 0;
    for (int i = 0; i < N_SENT; i++) total += nb[i].n;
    const int **sp = xmalloc(sizeof(int *) * (size_t)total), **tp = xmalloc(sizeof(int *) * (size_t)total);
    int *sl = xmalloc(sizeof(int) * (size_t)total), *tl = xmalloc(sizeof(int) * (size_t)total);
    long *pos = xmalloc(sizeof(long) * (size_t)total);
    for (int i = 0, k = 0; i < N_SENT; i++)
        for (int j = 0; j < nb[i].n; j++, k++)
            sp[k] = g_src[i], sl[k] = g_src_len[i], pos[k] = i, tp[k] = nb[i].hyps[j].tokens, tl[k] = nb[i].hyps[j].len;
    ScoreOptions so;
    score_options_default(&so);
    so.batch = o.batch, so.threads = 1, so.attention_source = ATT_SOURCE_ALIGNMENT;
    double *lp = xmalloc(sizeof(double) * (size_t)total);
    float **att = xcalloc((size_t)total, sizeof(float *));
    score_ids_at(m, &so, sp, sl, tp, tl, pos, total, lp, att);
    int same = 0, sums = 0, rows = 0;
    for (int i = 0, k = 0; i < N_SENT; i++)
        for (int j = 0; j < nb[i].n; j++, k++) {
            const Hypothesis *h = &nb[i].hyps[j];
            const int steps = h->len + h->ended, Ts = g_src_len[i];
            same += h->heads == 1 && !h->head_attention && h->Ts == Ts &&
                    memcmp(h->attention, att[k], sizeof(float) * (size_t)steps * Ts) == 0;
            for (int t = 0; t < steps; t++, rows++) {
                double sum = 0;
                for (int c = 0; c < Ts; c++) sum += h->attention[(size_t)t * Ts + c];
                sums += fabs(sum - 1.0) < 1e-5;
            }
        }
    EXPECT_MSG(same == total, "%d of %d hypotheses have the scorer's rows", same, total);
    EXPECT_MSG(sums == rows && rows > total, "%d of %d rows sum to 1", sums, rows);
    o.attention_source = ATT_SOURCE_DECODER;
    translate_ids(m, &o, (const int *const *)g_src, g_src_len, N_SENT, dec);
    int differ = 0, tokens_same = 0;
    for (int i = 0, k = 0; i < N_SENT; i++)
        for (int j = 0; j < nb[i].n; j++, k++) {
            const Hypothesis *h = &dec[i].hyps[j];
            tokens_same += j < dec[i].n && same_tokens(h, &nb[i].hyps[j]);
            differ += j < dec[i].n && memcmp(h->attention, att[k], sizeof(float) * (size_t)(h->len + h->ended) *
                                                                       g_src_len[i]) != 0;
        }
    EXPECT_MSG(tokens_same == total && differ > total / 2, "%d of %d the same, %d rows differ", tokens_same, total,
               differ);
    char err[256];
    o.attention_source = ATT_SOURCE_ALIGNMENT, o.model_name = "plain.model";
    EXPECT(translate_options_check_model(g_model, &o, err, sizeof err) == -1 &&
           strstr(err, "plain.model has no alignment layer"));
    EXPECT(translate_options_check_model(m, &o, err, sizeof err) == 0);
    o.attention_source = ATT_SOURCE_AUTO, o.alignment_head = 2;
    EXPECT(translate_options_check_model(m, &o, err, sizeof err) == -1 && strstr(err, "1 attention head"));
    for (int k = 0; k < total; k++) free(att[k]);
    free(att), free(lp), free(sp), free(tp), free(sl), free(tl), free(pos);
    free_all(nb, N_SENT), free_all(dec, N_SENT);
    model_free(m);
}

/* m saved and loaded back (as NAME in the fixture's folder) is m: the same
 * architecture and the same weights. */
static void expect_saves_and_reloads(const Model *m, const char *name) {
    char path[128], err[1024];
    snprintf(path, sizeof path, "%s/%s", g_dir, name);
    EXPECT(model_save(m, path, NULL, 0, err, sizeof err) == 0);
    ModelFile mf;
    Model *back = model_load(path, &mf, err, sizeof err);
    EXPECT_MSG(back != NULL, "%s", err);
    if (!back) return;
    EXPECT(model_config_same_architecture(&back->cfg, &m->cfg));
    EXPECT(!memcmp(back->params, m->params, sizeof(float) * model_num_params(&m->cfg)));
    model_free(back);
    modelfile_free(&mf);
}

/* The conditional-GRU decoder: scoring (teacher forcing, the embedding
 * projection of all steps at once) agrees with search (one step at a
 * time), and the model file keeps its decoder. */
static void test_cgru_score_matches_search_and_reloads(void) {
    Model *plain = g_model;
    g_model = fixture_build_model(DECODER_CGRU);
    EXPECT(g_model->cfg.decoder == DECODER_CGRU && g_model->p.dec.gru2.Wx != NULL);
    EXPECT(model_num_params(&g_model->cfg) > model_num_params(&plain->cfg));
    test_score_matches_search();
    expect_saves_and_reloads(g_model, "cgru.model");
    model_free(g_model);
    g_model = plain;
}

/* Layer-normalized GRUs (both decoders): the model has the LN vectors
 * (gains 1, biases 0 at the start), scoring (teacher forcing) agrees with
 * search (one step at a time), and the model file keeps the option and the
 * vectors. */
static void test_layer_norm_score_matches_search_and_reloads(void) {
    Model *plain = g_model;
    for (int decoder = DECODER_GRU; decoder <= DECODER_CGRU; decoder++) {
        g_model = fixture_build_model_ln((DecoderType)decoder, 1);
        const GruWeights *gru = &g_model->p.dec.gru;
        EXPECT(g_model->cfg.layer_norm == 1 && gru->ln_gx != NULL && g_model->p.enc.bwd.ln_bh != NULL);
        EXPECT(gru->ln_gx[0] == 1.0f && gru->ln_bx[0] == 0.0f); /* gains start at 1, biases at 0 */
        EXPECT(decoder == DECODER_GRU || g_model->p.dec.gru2.ln_gh != NULL);
        /* 4 vectors of 3H per GRU: 2 in the encoder, 1 or 2 in the decoder */
        const size_t ln = (size_t)(decoder == DECODER_CGRU ? 4 : 3) * 4 * 3 * g_model->cfg.hidden;
        ModelConfig off = g_model->cfg;
        off.layer_norm = 0;
        EXPECT(model_num_params(&g_model->cfg) == model_num_params(&off) + ln);
        test_score_matches_search();
        expect_saves_and_reloads(g_model, "ln.model");
        model_free(g_model);
    }
    g_model = plain;
}

/* Stacked layers (--enc-depth, --dec-depth): a hypothesis's state is every
 * decoder layer's, and the beam moves all of it with the hypothesis; scoring
 * runs the layers over whole sentences. Both agree, greedy and with a beam,
 * for both decoders; the model file keeps the depths. */
static void check_deep_score_matches_search(DecoderType decoder) {
    Model *plain = g_model;
    g_model = fixture_build_deep(decoder, 2, 3);
    EXPECT(g_model->p.enc.depth == 2 && g_model->p.dec.depth == 3 && g_model->p.dec.up[1].Wx != NULL);
    check_score_matches_search(1);
    check_score_matches_search(4);
    expect_saves_and_reloads(g_model, "deep.model");
    model_free(g_model);
    g_model = plain;
}

static void test_deep_score_matches_search(void) { check_deep_score_matches_search(DECODER_GRU); }
static void test_deep_cgru_score_matches_search(void) { check_deep_score_matches_search(DECODER_CGRU); }

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
    RUN(test_order_preserved_across_threads);
    RUN(test_nbest_sorted_distinct);
    RUN(test_invalid_utf8_and_skip);
    RUN(test_long_line_cut_and_bounded);
    RUN(test_stream_matches_lines);
    RUN(test_alignment_word_merge_and_hard);
    RUN(test_score_matches_search);
    RUN(test_translation_rows_from_alignment_layer);
    RUN(test_cgru_score_matches_search_and_reloads);
    RUN(test_layer_norm_score_matches_search_and_reloads);
    RUN(test_deep_score_matches_search);
    RUN(test_deep_cgru_score_matches_search);
    RUN(test_score_stream);
    RUN(test_average_is_elementwise_mean);
    fixture_free();
    TEST_EXIT();
}
