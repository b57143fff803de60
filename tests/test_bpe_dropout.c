/* Tests for src/train/bpe_dropout.c: an epoch's pairs spell the same text
 * as the full segmentation, each epoch segments anew and the same epoch the
 * same way, --max-len holds, and the gold links of guided alignment join
 * each epoch's pieces of exactly the linked words. */
#include "vocab_helpers.h"
#include "train/bpe_dropout.h"
#include "train/guidance.h"

enum { LINES = 6 };
static const char *const SRC[LINES] = {"the black cat sat on the mat", "a dog ran after the cat",
                                       "the cats sat together", "dogs and cats", "the mat was black",
                                       "a very very long line with many many words in it"};
static const char *const TGT[LINES] = {"die schwarze Katze sass auf der Matte", "ein Hund rannte der Katze nach",
                                       "die Katzen sassen zusammen", "Hunde und Katzen", "die Matte war schwarz",
                                       "eine sehr sehr lange Zeile mit vielen vielen Woertern"};
static const char *const LINKS[LINES] = {"0-0 1-1 2-2 3-3 4-4 5-5 6-6", "0-0 1-1 2-2 5-4 4-3", "0-0 1-1 2-2 3-3",
                                         "", "0-0 1-1 2-2 3-3", "0-0 2-2"};

static void write_lines(const char *path, const char *const *lines) {
    Buf b = {0};
    for (int i = 0; i < LINES; i++) buf_printf(&b, "%s\n", lines[i]);
    write_text(path, b.data, b.len);
    buf_free(&b);
}

/* The decoded text of a sequence. */
static char *text_of(const Vocab *v, VocabSide side, const int *ids, int n) { return vocab_decode(v, side, ids, n); }

static void test_epochs_and_guidance(void) {
    char dir[] = "/tmp/nmt_test_bpe_dropout_XXXXXX";
    EXPECT(mkdtemp(dir) != NULL);
    char src[300], tgt[300], links[300];
    snprintf(src, sizeof src, "%s/train.src", dir);
    snprintf(tgt, sizeof tgt, "%s/train.tgt", dir);
    snprintf(links, sizeof links, "%s/links", dir);
    write_lines(src, SRC);
    write_lines(tgt, TGT);
    write_lines(links, LINKS);
    VocabConfig cfg;
    vocab_config_init(&cfg);
    cfg.joint = 1;
    cfg.bpe_merges = 200;
    Vocab *v = vocab_build(&cfg, src, tgt, NULL);
    /* max_len 12 leaves the long line out; the rest fit */
    ParallelCorpus *c = corpus_load(v, src, tgt, 12, 0, NULL);
    EXPECT(c->n == LINES - 1);
    TrainData base = train_data_from_corpus(c);
    Guidance g;
    guidance_load(&g, links, v, c, src);
    base.guide = &g;

    BpeDropout bd;
    bpe_dropout_open(&bd, v, 0.4f, 3, 12, c, src, tgt);
    int same_text = 1, within = 1, links_ok = 1, changed = 0;
    long first[LINES] = {0};
    for (int epoch = 0; epoch < 4; epoch++) {
        const TrainData *d = bpe_dropout_epoch(&bd, &base, epoch);
        EXPECT(d->n == base.n && d->guide == &bd.guide);
        long tokens = 0;
        for (int i = 0; i < d->n; i++) {
            tokens += d->tgt_len[i] + 1;
            for (int s = 0; s < 2; s++) {
                const int *ids = s ? d->tgt[i] : d->src[i], *full = s ? base.tgt[i] : base.src[i];
                int n = s ? d->tgt_len[i] : d->src_len[i], nf = s ? base.tgt_len[i] : base.src_len[i];
                char *a = text_of(v, (VocabSide)s, ids, n), *b = text_of(v, (VocabSide)s, full, nf);
                same_text &= !strcmp(a, b);
                free(a), free(b);
                within &= n <= 12;
                changed += n != nf || memcmp(ids, full, (size_t)n * sizeof *ids) != 0;
            }
            /* every subword link joins a piece of a linked target word to a piece of its source word,
             * and there is one for every such pair of pieces */
            int sw[64], tw[64];
            vocab_word_ids(v, VOCAB_SRC, d->src[i], d->src_len[i], sw);
            vocab_word_ids(v, VOCAB_TGT, d->tgt[i], d->tgt_len[i], tw);
            const AlignLink *l = alignment_links(&g.words, i);
            const size_t nl = alignment_count(&g.words, i);
            long expected = 0;
            for (size_t k = 0; k < nl; k++) {
                int pt = 0, ps = 0;
                for (int t = 0; t < d->tgt_len[i]; t++) pt += tw[t] == l[k].tgt;
                for (int j = 0; j < d->src_len[i]; j++) ps += sw[j] == l[k].src;
                expected += (long)pt * ps;
            }
            const Guidance *eg = d->guide;
            links_ok &= eg->start[i + 1] - eg->start[i] == expected;
            for (long k = eg->start[i]; k < eg->start[i + 1]; k++) {
                int t = eg->sub[2 * k], j = eg->sub[2 * k + 1], found = 0;
                if (t < 0 || t >= d->tgt_len[i] || j < 0 || j >= d->src_len[i]) {
                    links_ok = 0;
                    continue;
                }
                for (size_t q = 0; q < nl; q++) found |= l[q].tgt == tw[t] && l[q].src == sw[j];
                links_ok &= found;
            }
            if (epoch == 0) first[i] = d->src_len[i] * 1000 + d->tgt_len[i];
        }
        EXPECT(d->total_tgt_tokens == tokens);
    }
    EXPECT(same_text);
    EXPECT(within);
    EXPECT(links_ok);
    EXPECT_MSG(changed > 10, "only %d of 40 sequences segmented differently at p = 0.4", changed);
    /* the same epoch again: the same pairs */
    const TrainData *d = bpe_dropout_epoch(&bd, &base, 0);
    int again = 1;
    for (int i = 0; i < d->n; i++) again &= first[i] == d->src_len[i] * 1000 + d->tgt_len[i];
    EXPECT(again);
    bpe_dropout_close(&bd);
    guidance_free(&g);
    train_data_free_views(&base);
    corpus_free(c);
    vocab_free(v);
    unlink(src), unlink(tgt), unlink(links);
    rmdir(dir);
}

int main(void) {
    RUN(test_epochs_and_guidance);
    TEST_EXIT();
}
