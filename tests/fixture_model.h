/* fixture_model.h — shared by the translation tests: a small random-weight
 * model on a BPE vocabulary of the embedded toy corpus, whose outputs depend
 * on the input and mostly end (a random model with small weights repeats one
 * token forever), plus N_SENT encoded test sentences. fixture_init() first,
 * fixture_free() last. */
#ifndef NMT_FIXTURE_MODEL_H
#define NMT_FIXTURE_MODEL_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "model/saved.h"
#include "search/search.h"
#include "sys/files.h"
#include "sys/lines.h"
#include "sys/util.h"
#include "translate/translator.h"
#include "vocab/build.h"

static Model *g_model;
static char g_dir[64];
enum { N_SENT = 40 };
static char *g_lines[N_SENT];
static int *g_src[N_SENT], g_src_len[N_SENT];

static inline void write_head(const char *from, const char *to, int n) {
    LineReader r;
    if (linereader_open(&r, from) != 0) die("%s: cannot open", from);
    FILE *f = fopen(to, "w");
    if (!f) die("%s: cannot create", to);
    for (int i = 0; i < n && linereader_next(&r); i++) fprintf(f, "%s\n", r.line);
    fclose(f);
    linereader_close(&r);
}

/* The fixture's model with the given decoder, layer-normalized GRUs when
 * layer_norm is 1 (--layer-norm), the given depths (--enc-depth,
 * --dec-depth) and attention heads (--heads), with the alignment layer
 * (with context keys) when alignment_layer is 1, on a vocabulary built anew
 * from the fixture's training text (the same every time). */
static inline Model *fixture_build(DecoderType decoder, int layer_norm, int enc_depth, int dec_depth, int heads,
                                   int alignment_layer) {
    char s[128], t[128];
    snprintf(s, sizeof s, "%s/train.src", g_dir);
    snprintf(t, sizeof t, "%s/train.tgt", g_dir);
    VocabConfig vc;
    vocab_config_init(&vc);
    vc.bpe_merges = 150; /* few merges: words split into several subwords */
    CorpusStats cs;
    Vocab *v = vocab_build(&vc, s, t, &cs);
    ModelConfig cfg = {.emb = 16, .hidden = 24, .att_dim = 16, .attention = ATTENTION_BAHDANAU, .decoder = decoder,
                       .dropout = 0.0f, .layer_norm = layer_norm, .enc_depth = enc_depth, .dec_depth = dec_depth,
                       .heads = heads, .alignment_layer = alignment_layer,
                       .alignment_dim = alignment_layer ? 16 : 0, .alignment_context = alignment_layer};
    Model *m = model_create(&cfg, v, 7);
    /* A random model with small weights repeats one token forever. Larger
     * embeddings make its outputs depend on the input, sharper output
     * weights and a bias towards </s> make most hypotheses end (and some
     * hit the length limit): enough variety for search invariants. */
    for (size_t k = 0; k < (size_t)m->cfg.tgt_vocab * cfg.emb; k++) m->p.dec.tgt_emb[k] *= 10.0f;
    for (size_t k = 0; k < (size_t)m->cfg.src_vocab * cfg.emb; k++) m->p.enc.src_emb[k] *= 10.0f;
    for (size_t k = 0; k < (size_t)m->cfg.tgt_vocab * (size_t)model_out_in(&m->cfg); k++) m->p.dec.out.W[k] *= 3.0f;
    m->p.dec.out.b[VOCAB_EOS] += 1.0f;
    return m;
}

static inline Model *fixture_build_model(DecoderType decoder) { return fixture_build(decoder, 0, 1, 1, 1, 0); }
static inline Model *fixture_build_model_ln(DecoderType decoder, int layer_norm) {
    return fixture_build(decoder, layer_norm, 1, 1, 1, 0);
}
static inline Model *fixture_build_deep(DecoderType decoder, int enc_depth, int dec_depth) {
    return fixture_build(decoder, 0, enc_depth, dec_depth, 1, 0);
}
static inline Model *fixture_build_model_heads(DecoderType decoder, int heads) {
    return fixture_build(decoder, 0, 1, 1, heads, 0);
}
static inline Model *fixture_build_aligned(DecoderType decoder) { return fixture_build(decoder, 0, 1, 1, 1, 1); }

static inline void fixture_init(void) {
    snprintf(g_dir, sizeof g_dir, "/tmp/nmt_test_tr_XXXXXX");
    if (!mkdtemp(g_dir)) die("mkdtemp failed");
    char s[128], t[128];
    snprintf(s, sizeof s, "%s/train.src", g_dir);
    snprintf(t, sizeof t, "%s/train.tgt", g_dir);
    write_head("corpora/toy/train.src", s, 3000);
    write_head("corpora/toy/train.tgt", t, 3000);
    g_model = fixture_build_model(DECODER_GRU);
    const Vocab *v = g_model->vocab;
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

static inline void fixture_free(void) {
    for (int i = 0; i < N_SENT; i++) free(g_lines[i]), free(g_src[i]);
    model_free(g_model);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", g_dir);
    if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", g_dir);
}

static inline TranslateOptions opts(int beam, int threads) {
    TranslateOptions o;
    translate_options_default(&o);
    o.search.beam = beam;
    o.threads = threads;
    o.batch = 4;
    o.quiet = 1;
    return o;
}

static inline int same_tokens(const Hypothesis *a, const Hypothesis *b) {
    return a->len == b->len && a->ended == b->ended && !memcmp(a->tokens, b->tokens, sizeof(int) * (size_t)a->len);
}

static inline void free_all(NBest *nb, int n) {
    for (int i = 0; i < n; i++) nbest_free(&nb[i]);
}

/* A whole file as a string (malloc'd), or NULL. */
static inline char *slurp(const char *path) {
    size_t n;
    char *s = read_file(path, &n);
    return s;
}

#endif
