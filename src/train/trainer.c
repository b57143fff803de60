/* trainer.c — see trainer.h. */
#include "train/trainer.h"

#include <errno.h>
#include <omp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "nn/blas.h"
#include "sys/dist.h"
#include "sys/util.h"
#include "train/agree.h"
#include "train/bpe_dropout.h"
#include "train/progress.h"
#include "train/validate.h"

static volatile sig_atomic_t stop_requested;
static char stop_note[160]; /* what the first signal prints; empty when quiet */
static size_t stop_note_len;

/* The first SIGINT or SIGTERM asks for a clean stop after the current
 * update, and its validation and checkpoint when one is due (which can take
 * minutes on a big validation set). A second one ends the process at once
 * with the signal's own default action: every file is written atomically,
 * so the last checkpoint stays intact and --resume continues from it. */
static void on_signal(int sig) {
    if (stop_requested) {
        signal(sig, SIG_DFL);
        raise(sig);
        return;
    }
    stop_requested = 1;
    if (stop_note_len) {
        ssize_t rc = write(2, stop_note, stop_note_len);
        (void)rc; /* nothing to do about a failed note */
    }
}

/* A test hook, not a feature: NMT_TEST_SIGNAL_AT_UPDATE=N makes the process
 * raise SIGTERM in itself right after update N (before that update's
 * validation and checkpoint, when one is due), so that the tests of signals
 * and --resume (tests/cli/test_signals.sh, test_mpi.sh) interrupt a run at a
 * known update instead of racing it with kill, and cannot pass on a run that
 * ended before the signal. N:INT raises SIGINT, N:KILL SIGKILL (kill -9 at a
 * known point). Under mpirun only rank NMT_TEST_SIGNAL_RANK (default 0)
 * raises it. Returns the update (0: no hook for this rank) and sets *sig. */
static long test_signal_update(int rank, int *sig) {
    const char *v = getenv("NMT_TEST_SIGNAL_AT_UPDATE");
    *sig = SIGTERM;
    if (!v || !*v) return 0;
    char *end;
    errno = 0;
    long n = strtol(v, &end, 10);
    int ok = !errno && end != v && n >= 1;
    if (*end == ':') {
        if (!strcmp(end + 1, "TERM")) *sig = SIGTERM;
        else if (!strcmp(end + 1, "INT")) *sig = SIGINT;
        else if (!strcmp(end + 1, "KILL")) *sig = SIGKILL;
        else ok = 0;
    } else if (*end) {
        ok = 0;
    }
    if (!ok)
        die("NMT_TEST_SIGNAL_AT_UPDATE=%s: expected an update number >= 1, optionally followed by :TERM, :INT "
            "or :KILL", v);
    const char *r = getenv("NMT_TEST_SIGNAL_RANK");
    long want = 0;
    if (r && *r) {
        errno = 0;
        want = strtol(r, &end, 10);
        if (errno || end == r || *end || want < 0) die("NMT_TEST_SIGNAL_RANK=%s: expected a rank >= 0", r);
    }
    return want == rank ? n : 0;
}

enum { STOP_TIME = 1, STOP_SIGNAL = 2 };

/* Why the loop should stop before the next update, or NULL to go on. The
 * counters are the same on every rank; the clock and the signals are not,
 * so rank 0's clock decides and a signal on any rank stops them all after
 * the same update. */
static const char *stop_reason(const Trainer *t, double elapsed, int *interrupted) {
    const TrainOptions *o = t->o;
    if (o->epochs && t->st.epoch >= o->epochs) return "epochs done";
    if (o->max_updates && t->st.update >= o->max_updates) return "update limit";
    int bits = (t->rank == 0 && o->minutes > 0 && elapsed >= o->minutes * 60.0 ? STOP_TIME : 0) |
               (stop_requested ? STOP_SIGNAL : 0);
    bits = dist_or(bits);
    if (bits & STOP_TIME) return "time budget spent";
    if (bits & STOP_SIGNAL) {
        *interrupted = 1;
        return "interrupted";
    }
    return NULL;
}

/* The ranks gather the optimizer's state (each updates one slice of it)
 * and prove they hold the same weights (before anything is saved from them); then validation (when validate) and the files, on rank
 * 0 only, whose decisions (learning rate, best score, early stop) go to
 * every rank. */
static void validate_and_save(Trainer *t, const TrainData *valid, FILE *log, double elapsed, TrainWindow *w,
                              int validate) {
    trainer_gather_optimizer(t);
    if (t->ranks > 1) train_check_replicas(t);
    if (t->rank == 0) {
        if (valid && validate) train_validate(t, valid, log, elapsed, w);
        train_save_last(t);
        train_save_checkpoint(t, elapsed);
    }
    if (t->ranks > 1) dist_bcast(&t->st, sizeof t->st, 0);
}

int train_run(Model *m, const TrainData *train, const TrainData *valid, const TrainOptions *opts,
              const TrainState *resume_state, const Optimizer *resume_optim) {
    TrainOptions own = *opts;
    if (dist_rank() > 0) own.quiet = 1, own.log_path = NULL; /* rank 0 speaks and writes for the job */
    const TrainOptions *o = &own;
    Trainer *t = trainer_new(m, o, resume_state, resume_optim);
    omp_set_num_threads(o->threads);
    FILE *log = NULL;
    if (o->log_path) {
        log = fopen(o->log_path, resume_state ? "a" : "w");
        if (!log) die("%s: cannot open log file", o->log_path);
    }
    const int tty = isatty(2) && !o->quiet;
    stop_requested = 0; /* before the handlers, so that no signal is forgotten */
    stop_note_len = 0;
    if (!o->quiet) /* on a terminal, below the progress line */
        stop_note_len = (size_t)snprintf(stop_note, sizeof stop_note,
                                         "%s%s: stopping after this update and a checkpoint (a validation under "
                                         "way finishes first); a second signal ends it at once\n", tty ? "\n" : "", program_name());
    if (stop_note_len >= sizeof stop_note) stop_note_len = sizeof stop_note - 1;
    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);
    int test_sig;
    const long test_sig_update = test_signal_update(t->rank, &test_sig);

    char ranks_note[64] = "";
    if (t->ranks > 1) snprintf(ranks_note, sizeof ranks_note, " in each of %d processes", t->ranks);
    if (!o->quiet)
        fprintf(stderr,
                "%s: %zu parameters, %d training pairs, %d threads%s, batch %d in shards of %d, BLAS kernels %s%s\n",
                program_name(), t->n_params, train->n, o->threads, ranks_note, o->batch, o->shard_size,
                blas_kernel_name(), resume_state ? " (resumed)" : "");

    const double t0 = now_seconds();
    ProgressWindow window = {.t0 = t0, .align_layer = m->cfg.alignment_layer};
    TrainWindow since_valid = {0}; /* training loss since the last validation, for the log */
    long last_valid_update = -1;
    EpochPlan plan = {0};
    int plan_epoch = -1;
    const TrainData *epoch_data = train; /* the pairs as this epoch segments them */
    const char *why = "finished";
    int interrupted = 0;
    while (!t->st.finished) {
        const char *stop = stop_reason(t, t->st.elapsed + (now_seconds() - t0), &interrupted);
        if (stop) {
            why = stop;
            break;
        }
        if (plan_epoch != t->st.epoch) {
            if (train->bpe_dropout) epoch_data = bpe_dropout_epoch(train->bpe_dropout, train, t->st.epoch);
            epoch_plan_free(&plan);
            epoch_plan(&plan, epoch_data, o->batch, o->seed, t->st.epoch);
            plan_epoch = t->st.epoch;
        }
        if (t->st.batch_in_epoch >= plan.n_batches) {
            t->st.epoch++;
            t->st.batch_in_epoch = 0;
            continue;
        }
        int b = t->st.batch_in_epoch;
        LossSum ls = trainer_update(t, epoch_data, plan.order + plan.start[b], plan.count[b]);
        t->st.batch_in_epoch++;
        t->st.update++;
        t->st.tokens += ls.tokens;
        window.nll += ls.nll, window.tokens += ls.tokens, window.updates++;
        window.guide += ls.guide, window.guided += ls.guided;
        window.align_nll += ls.align_nll, window.align_guide += ls.align_guide;
        since_valid.nll += ls.nll, since_valid.tokens += ls.tokens;
        since_valid.align_nll += ls.align_nll;

        double now = now_seconds();
        progress_maybe_print(&window, o, &t->st, tty, now, t->st.elapsed + (now - t0), plan.n_batches);
        if (t->st.update == test_sig_update) raise(test_sig);

        if (o->valid_every && t->st.update % o->valid_every == 0) {
            double elapsed = t->st.elapsed + (now_seconds() - t0);
            if (tty) fputc('\n', stderr);
            validate_and_save(t, valid, log, elapsed, &since_valid, 1);
            last_valid_update = t->st.update;
            if (t->st.finished) why = "early stopping";
        }
    }
    if (tty) fputc('\n', stderr);
    double elapsed = t->st.elapsed + (now_seconds() - t0);
    interrupted |= stop_requested;
    if (last_valid_update != t->st.update) {
        /* A last validation so that the best model reflects the final weights;
         * not after an interruption, so that a resumed run validates exactly
         * where the uninterrupted run would have. */
        validate_and_save(t, valid, log, elapsed, &since_valid, t->st.update > 0 && !interrupted);
    }
    if (!valid && t->rank == 0) train_save_model(t, o->model_path);
    if (!o->quiet) {
        char dur[32];
        format_duration(elapsed, dur, sizeof dur);
        fprintf(stderr, "%s: %s after %ld updates (%s, %.2f epochs); model %s%s\n", program_name(), why,
                t->st.update, dur, t->st.epoch + (plan.n_batches ? (double)t->st.batch_in_epoch / plan.n_batches : 0.0),
                o->model_path, valid ? " (best on validation)" : "");
        if (t->comm_updates && t->ws.shared)
            fprintf(stderr,
                    "%s: gradient reduction over %d processes in shared memory: %.1f ms per update after the "
                    "backward pass (%ld of %ld blocks of rank 0's slice summed during it)\n",
                    program_name(), t->ranks, 1e3 * t->comm_seconds / (double)t->comm_updates, t->early_chunks,
                    t->all_chunks);
        else if (t->comm_updates)
            fprintf(stderr,
                    "%s: gradient reduction over %d processes: %.1f ms per update after the backward pass "
                    "(%ld of %ld chunks passed on during it, %ld of %ld totals back)\n",
                    program_name(), t->ranks, 1e3 * t->comm_seconds / (double)t->comm_updates, t->early_chunks,
                    t->all_chunks, t->early_totals, t->kept_totals);
        if (interrupted || stop_requested) fprintf(stderr, "%s: continue with --resume\n", program_name());
    }

    if (log) fclose(log);
    epoch_plan_free(&plan);
    trainer_free(t);
    return interrupted || stop_requested ? 130 : 0;
}
