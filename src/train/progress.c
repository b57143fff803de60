/* progress.c — see progress.h. */
#include "train/progress.h"

#include <math.h>
#include <stdio.h>

/* Seconds left under the tightest of the budgets, or -1 when none is set. */
static double time_left(const TrainOptions *o, const TrainState *st, double elapsed, double updates_per_s,
                        int batches_per_epoch) {
    double eta = -1;
    if (o->minutes > 0) eta = o->minutes * 60.0 - elapsed;
    if (o->epochs) {
        double left = ((double)(o->epochs - st->epoch) * batches_per_epoch - st->batch_in_epoch) / updates_per_s;
        eta = eta < 0 || left < eta ? left : eta;
    }
    if (o->max_updates) {
        double left = (o->max_updates - st->update) / updates_per_s;
        eta = eta < 0 || left < eta ? left : eta;
    }
    return eta;
}

void progress_maybe_print(ProgressWindow *w, const TrainOptions *o, const TrainState *st, int tty, double now,
                          double elapsed, int batches_per_epoch) {
    if (o->quiet || !(tty ? now - w->t0 > 0.5 : w->updates >= o->disp_every)) return;
    double rate = w->tokens / (now - w->t0);
    double ups = w->updates / (now - w->t0);
    double eta = time_left(o, st, elapsed, ups, batches_per_epoch);
    char eta_s[32] = "?";
    if (eta >= 0) format_duration(eta, eta_s, sizeof eta_s);
    char guide_s[96] = "";
    int at = 0;
    /* the layer's NLL per target token (anll) and guidance per guided token (aguide) */
    if (w->align_layer) at = snprintf(guide_s, sizeof guide_s, "  anll %.3f", w->align_nll / (double)w->tokens);
    if (w->guided && w->align_guide > 0.0)
        at += snprintf(guide_s + at, sizeof guide_s - (size_t)at, "  aguide %.3f", w->align_guide / (double)w->guided);
    if (w->guided && w->guide > 0.0)
        snprintf(guide_s + at, sizeof guide_s - (size_t)at, "  align %.3f", w->guide / (double)w->guided);
    fprintf(stderr, "%sepoch %d  update %ld  loss %.4f  ppl %.2f%s  %.0f tok/s  lr %.3g  ETA %s%s",
            tty ? "\r\033[K" : "", st->epoch + 1, st->update, w->nll / w->tokens, exp(w->nll / w->tokens), guide_s,
            rate, (double)st->lr, eta_s, tty ? "" : "\n");
    w->nll = 0, w->tokens = 0, w->updates = 0, w->t0 = now;
    w->guide = 0, w->guided = 0;
    w->align_nll = 0, w->align_guide = 0;
}
