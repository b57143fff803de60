/* validate.c — see validate.h. */
#include "train/validate.h"

#include <math.h>

#include "sys/util.h"
#include "train/checkpoint.h"
#include "train/evaluate.h"

int train_validate(Trainer *t, const TrainData *valid, FILE *log, double elapsed, TrainWindow *since_last) {
    const TrainOptions *o = t->o;
    long vt;
    trainer_use_average(t, 1);
    double vloss = evaluate_loss(t->m, valid, o->batch, o->threads, &vt);
    double vbleu = o->valid_refs ? evaluate_bleu(t->m, valid, o->valid_refs, o->batch, o->threads) : -1;
    double metric = o->select_by_bleu ? -vbleu : vloss;
    int improved = metric < t->st.best_valid;
    if (improved) {
        t->st.best_valid = metric;
        t->st.bad_valids = t->st.lr_bad_valids = 0;
        train_save_or_die(t->m, o->model_path, NULL, 0);
    }
    trainer_use_average(t, 0);
    if (!improved) {
        t->st.bad_valids++;
        if (++t->st.lr_bad_valids >= o->lr_patience && t->st.lr > o->min_lr) {
            t->st.lr = fmaxf(t->st.lr * o->lr_decay, o->min_lr);
            t->st.lr_bad_valids = 0;
        }
        if (o->patience && t->st.bad_valids >= o->patience) t->st.finished = 1;
    }
    char bleu_s[32] = "";
    if (vbleu >= 0) snprintf(bleu_s, sizeof bleu_s, "  BLEU %.2f", vbleu);
    if (!o->quiet)
        fprintf(stderr, "%s: validation at update %ld: loss %.4f  ppl %.2f%s%s\n", program_name(), t->st.update, vloss,
                exp(vloss), bleu_s, improved ? "  (best so far, saved)" : "");
    if (log) {
        fprintf(log,
                "{\"update\": %ld, \"epoch\": %d, \"elapsed\": %.1f, \"train_tokens\": %ld, \"train_loss\": %.6f, "
                "\"valid_loss\": %.6f, \"valid_ppl\": %.4f, ",
                t->st.update, t->st.epoch + 1, elapsed, t->st.tokens, since_last->tokens ? since_last->nll / since_last->tokens : 0.0,
                vloss, exp(vloss));
        if (vbleu >= 0) fprintf(log, "\"valid_bleu\": %.2f, ", vbleu);
        if (t->m->cfg.alignment_layer) /* per target token, as train_loss */
            fprintf(log, "\"train_align_nll\": %.6f, ",
                    since_last->tokens ? since_last->align_nll / since_last->tokens : 0.0);
        fprintf(log, "\"lr\": %.6g, \"best\": %s}\n", (double)t->st.lr, improved ? "true" : "false");
        fflush(log);
    }
    since_last->nll = 0, since_last->tokens = 0, since_last->align_nll = 0;
    return improved;
}
