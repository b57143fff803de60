/* build.c — see build.h. */
#include "vocab/build.h"

#include <omp.h>
#include <stdlib.h>
#include <string.h>

#include "vocab/bpe.h"
#include "vocab/table.h"
#include "vocab/tokenize.h"

void vocab_config_init(VocabConfig *cfg) {
    memset(cfg, 0, sizeof *cfg);
    cfg->norm = NORM_NFC;
    cfg->min_count = 1;
}

void word_counts_add(WordCounts *wc, const char *word, size_t len, int64_t count) {
    int added;
    int id = strtab_intern(&wc->words, word, len, &added);
    if (added) {
        if (id >= wc->cap) {
            wc->cap = wc->cap ? 2 * wc->cap : 1024;
            wc->count = xrealloc(wc->count, (size_t)wc->cap * sizeof *wc->count);
        }
        wc->count[id] = 0;
    }
    wc->count[id] += count;
}

void word_counts_free(WordCounts *wc) {
    strtab_free(&wc->words);
    free(wc->count);
    memset(wc, 0, sizeof *wc);
}

static void count_one(void *ctx, const char *tok, size_t len) { word_counts_add(ctx, tok, len, 1); }

void vocab_count_words(const VocabConfig *cfg, const char *src_path, const char *tgt_path, WordCounts out[2],
                       CorpusStats *stats) {
    PairReader pr;
    pairreader_open(&pr, src_path, tgt_path, cfg->skip_invalid, stats);
    /* Each thread counts into its own tables; sums do not depend on who counted what. */
    int nt = omp_get_max_threads();
    WordCounts *local = xcalloc(2 * (size_t)nt, sizeof *local);
    LineBatch b = {0};
    int n;
    while ((n = pairreader_fill(&pr, &b, 16384)) > 0) {
#pragma omp parallel
        {
            WordCounts *mine = &local[2 * omp_get_thread_num()];
            Buf norm = {0};
#pragma omp for schedule(dynamic, 256)
            for (int i = 0; i < 2 * n; i++) {
                int s = i & 1, k = i >> 1;
                const char *why =
                    text_normalize(b.text[s].data + b.off[s][k], b.len[s][k], cfg->norm, cfg->lowercase, &norm);
                if (why) die("internal error: normalization failed: %s", why); /* the pair reader checked UTF-8 */
                tok_split(norm.data, norm.len, 1, count_one, &mine[s]);
            }
            buf_free(&norm);
        }
    }
    linebatch_free(&b);
    pairreader_close(&pr);
    memset(out, 0, 2 * sizeof *out);
    for (int t = 0; t < nt; t++)
        for (int s = 0; s < 2; s++) {
            WordCounts *w = &local[2 * t + s];
            for (int id = 0; id < w->words.n; id++)
                word_counts_add(&out[s], strtab_str(&w->words, id), strtab_len(&w->words, id), w->count[id]);
            word_counts_free(w);
        }
    free(local);
}

typedef struct {
    int64_t count;
    const char *str;
    int id;
} Ranked;

/* Most frequent first; equal counts in byte order, so ids are reproducible. */
static int cmp_ranked(const void *x, const void *y) {
    const Ranked *a = x, *b = y;
    if (a->count != b->count) return a->count > b->count ? -1 : 1;
    return strcmp(a->str, b->str);
}

/* The space mark first (every table has it, whatever its count), then the
 * other tokens of syms with at least min_count occurrences, most frequent
 * first, until the table holds max_size tokens (0: no limit). */
static void add_ranked(VocabTable *T, const StrTable *syms, const int64_t *count, long min_count, long max_size) {
    const char *mark = TOK_SPACE_MARK;
    int space = strtab_find(syms, mark, strlen(mark));
    vtab_add(T, mark, strlen(mark), space >= 0 ? count[space] : 0);
    Ranked *r = xmalloc((size_t)(syms->n ? syms->n : 1) * sizeof *r);
    int nr = 0;
    for (int i = 0; i < syms->n; i++)
        if (i != space && count[i] >= min_count) r[nr++] = (Ranked){count[i], strtab_str(syms, i), i};
    qsort(r, (size_t)nr, sizeof *r, cmp_ranked);
    for (int i = 0; i < nr && (max_size <= 0 || T->tok.n < max_size); i++)
        vtab_add(T, r[i].str, strtab_len(syms, r[i].id), r[i].count);
    free(r);
}

static void table_from_bpe(VocabTable *T, const WordCounts *wc, int merges) {
    BpeModel m;
    const char **words = xmalloc((size_t)(wc->words.n ? wc->words.n : 1) * sizeof *words);
    for (int i = 0; i < wc->words.n; i++) words[i] = strtab_str(&wc->words, i);
    bpe_learn(words, wc->count, (size_t)wc->words.n, TOK_ATOM_SEP, merges, &m);
    free(words);
    add_ranked(T, &m.syms, m.count, 0, 0);
    for (int k = 0; k < m.nmerges; k++) {
        const char *l = strtab_str(&m.syms, m.left[k]), *rt = strtab_str(&m.syms, m.right[k]);
        if (vtab_add_merge(T, strtab_find(&T->tok, l, strlen(l)), strtab_find(&T->tok, rt, strlen(rt))))
            die("internal error: merge result missing from the table");
    }
    bpe_model_free(&m);
}

static void table_from_words(VocabTable *T, const WordCounts *wc, long min_count, long max_size) {
    /* Whole pre-tokens are the tokens: drop the atom separators. */
    WordCounts plain = {0};
    Buf w = {0};
    for (int i = 0; i < wc->words.n; i++) {
        const char *s = strtab_str(&wc->words, i);
        size_t n = strtab_len(&wc->words, i);
        w.len = 0;
        for (size_t j = 0; j < n; j++)
            if (s[j] != TOK_ATOM_SEP) buf_append(&w, s + j, 1);
        word_counts_add(&plain, w.data, w.len, wc->count[i]);
    }
    buf_free(&w);
    add_ranked(T, &plain.words, plain.count, min_count, max_size);
    word_counts_free(&plain);
}

Vocab *vocab_build_from_counts(const VocabConfig *cfg, const WordCounts counts[2]) {
    Vocab *v = vocab_new(cfg->norm, cfg->lowercase, cfg->joint, cfg->bpe_merges, cfg->min_count, cfg->max_size);
    WordCounts joint = {0};
    if (cfg->joint)
        for (int s = 0; s < 2; s++)
            for (int i = 0; i < counts[s].words.n; i++)
                word_counts_add(&joint, strtab_str(&counts[s].words, i), strtab_len(&counts[s].words, i),
                                counts[s].count[i]);
    for (int t = 0; t < v->ntables; t++) {
        const WordCounts *wc = cfg->joint ? &joint : &counts[t];
        if (cfg->bpe_merges > 0) table_from_bpe(&v->tables[t], wc, cfg->bpe_merges);
        else table_from_words(&v->tables[t], wc, cfg->min_count, cfg->max_size);
        vtab_finish(&v->tables[t]);
    }
    word_counts_free(&joint);
    return v;
}

Vocab *vocab_build(const VocabConfig *cfg, const char *src_path, const char *tgt_path, CorpusStats *stats) {
    WordCounts counts[2];
    vocab_count_words(cfg, src_path, tgt_path, counts, stats);
    Vocab *v = vocab_build_from_counts(cfg, counts);
    word_counts_free(&counts[0]);
    word_counts_free(&counts[1]);
    return v;
}
