/* attention_marks.c — see attention_marks.h. */
#include "translate/attention_marks.h"

#include <stdlib.h>
#include <string.h>

#include "sys/util.h"
#include "translate/alignment.h"

/* Set bit on every cell of word link (s, t). */
static void mark_link(unsigned char *m, int Ts, const int *sw, const int *tw, int tgt_len, int s, int t,
                      unsigned char bit) {
    for (int i = 0; i < tgt_len; i++) {
        if (tw[i] != t) continue;
        for (int j = 0; j < Ts; j++)
            if (sw[j] == s) m[(size_t)i * Ts + j] |= bit;
    }
}

/* 1 when word link (s, t) is among the gold links; *possible tells which kind. */
static int gold_has(const AlignLink *l, size_t n, int s, int t, int *possible) {
    for (size_t k = 0; k < n; k++)
        if (l[k].src == s && l[k].tgt == t) return *possible = l[k].possible, 1;
    return 0;
}

unsigned char *attention_marks(const Vocab *v, const int *src, int Ts, const int *tgt, int tgt_len, int rows,
                               const float *att, int with_model, const Alignment *gold, long gold_sent,
                               MarkCounts *counts) {
    memset(counts, 0, sizeof *counts);
    unsigned char *m = xcalloc((size_t)rows * Ts + 1, 1);
    int *sw = xmalloc(sizeof(int) * (size_t)(Ts + 1)), *tw = xmalloc(sizeof(int) * (size_t)(tgt_len + 1));
    const int Ws = vocab_word_ids(v, VOCAB_SRC, src, Ts, sw), Wt = vocab_word_ids(v, VOCAB_TGT, tgt, tgt_len, tw);
    const AlignLink *gl = NULL;
    size_t ng = 0;
    if (gold && gold_sent >= 0 && gold_sent < gold->nsent)
        gl = alignment_links(gold, gold_sent), ng = alignment_count(gold, gold_sent);
    for (size_t k = 0; k < ng; k++) {
        if (gl[k].src >= Ws || gl[k].tgt >= Wt) continue;
        mark_link(m, Ts, sw, tw, tgt_len, gl[k].src, gl[k].tgt, gl[k].possible ? MARK_POSSIBLE : MARK_SURE);
        if (gl[k].possible) counts->gold_possible++;
        else counts->gold_sure++;
    }
    if (with_model) {
        int *s, *t;
        const int n = align_hard(v, src, Ts, tgt, tgt_len, att, &s, &t);
        counts->model = n;
        for (int k = 0; k < n; k++) {
            mark_link(m, Ts, sw, tw, tgt_len, s[k], t[k], MARK_MODEL);
            int possible;
            if (gold_has(gl, ng, s[k], t[k], &possible)) {
                if (possible) counts->model_on_possible++;
                else counts->model_on_sure++;
            }
        }
        free(s), free(t);
    }
    free(sw), free(tw);
    return m;
}
