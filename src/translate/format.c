/* format.c — see format.h. */
#include "translate/format.h"

#include <stdlib.h>
#include <string.h>

void format_translation(const Vocab *v, int print_nbest, AlignMode alignment, int head, long id, const int *src,
                        int src_len, const NBest *nb, Buf *out) {
    out->len = 0;
    buf_reserve(out, 0);
    out->data[0] = '\0';
    if (!print_nbest) {
        if (nb->n > 0) {
            const Hypothesis *h = &nb->hyps[0];
            char *text = vocab_decode(v, VOCAB_TGT, h->tokens, h->len);
            buf_puts(out, text);
            free(text);
            if (alignment != ALIGN_NONE) {
                buf_puts(out, " ||| ");
                if (alignment == ALIGN_HARD)
                    align_hard_string(v, src, src_len, h->tokens, h->len, hypothesis_head(h, head), out);
                else align_soft_string(hypothesis_head(h, head), h->len + h->ended, h->Ts, out);
            }
        } else if (alignment != ALIGN_NONE) {
            buf_puts(out, " ||| ");
        }
        return;
    }
    /* n-best: ID ||| translation [||| alignment] ||| score, distinct texts, best first */
    if (nb->n == 0) { /* empty or skipped line: one entry with an empty translation */
        buf_printf(out, "%ld |||  ||| %s%.6f", id, alignment != ALIGN_NONE ? " ||| " : "", 0.0);
        return;
    }
    char **seen = xmalloc(sizeof(char *) * (size_t)nb->n);
    int nseen = 0;
    for (int k = 0; k < nb->n; k++) {
        const Hypothesis *h = &nb->hyps[k];
        char *text = vocab_decode(v, VOCAB_TGT, h->tokens, h->len);
        int dup = 0;
        for (int j = 0; j < nseen && !dup; j++) dup = !strcmp(seen[j], text);
        if (dup) {
            free(text);
            continue;
        }
        seen[nseen++] = text;
        if (out->len) buf_append(out, "\n", 1);
        buf_printf(out, "%ld ||| %s ||| ", id, text);
        if (alignment == ALIGN_HARD) {
            align_hard_string(v, src, src_len, h->tokens, h->len, hypothesis_head(h, head), out);
            buf_puts(out, " ||| ");
        } else if (alignment == ALIGN_SOFT) {
            align_soft_string(hypothesis_head(h, head), h->len + h->ended, h->Ts, out);
            buf_puts(out, " ||| ");
        }
        buf_printf(out, "%.6f", h->score);
    }
    for (int j = 0; j < nseen; j++) free(seen[j]);
    free(seen);
}
