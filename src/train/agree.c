/* agree.c — see agree.h. */
#include "train/agree.h"

#include <omp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nn/blas.h"
#include "sys/dist.h"
#include "sys/files.h"
#include "sys/util.h"

static uint64_t hash_floats(uint64_t h, const float *x, size_t n) {
    return x ? hash64_update(h, x, sizeof(float) * n) : h;
}

/* Every field of a table, by flag, as a person reads it. */
static void table_lines(Buf *b, const FieldSpec *f, int n, const void *obj) {
    for (int i = 0; i < n; i++) {
        if (!f[i].flag) continue;
        /* the machine's own: free to differ between ranks */
        if (!strcmp(f[i].flag, "--threads") || !strcmp(f[i].flag, "--disp-every")) continue;
        char v[128];
        fields_describe(&f[i], obj, v, sizeof v);
        fingerprint_line(b, f[i].flag, NULL, "%s", v);
    }
}

static void fingerprint(Buf *b, const Model *m, const TrainOptions *o, const TrainState *st, const Optimizer *opt,
                        const TrainData *train, const TrainData *valid, const TrainInput *inputs, int n_inputs) {
    size_t len;
    char *exe = read_file("/proc/self/exe", &len);
    if (exe) fingerprint_line(b, "program", NULL, "%zu bytes, crc32 %08x", len, (unsigned)crc32_update(0, exe, len));
    free(exe);
    fingerprint_line(b, "BLAS kernels", NULL, "%s", blas_kernel_name());
    table_lines(b, MODEL_CONFIG_FIELDS, MODEL_CONFIG_NFIELDS, &m->cfg);
    table_lines(b, TRAIN_OPTION_FIELDS, TRAIN_OPTION_NFIELDS, o);
    fingerprint_bytes(b, "vocabulary", NULL, m->vocab_bytes, m->vocab_len);
    fingerprint_inputs(b, inputs, n_inputs, 1);
    fingerprint_data(b, "training data", train);
    fingerprint_data(b, "validation data", valid);
    const size_t n = model_num_params(&m->cfg);
    fingerprint_line(b, "weights", NULL, "hash %016llx", (unsigned long long)hash_floats(0, m->params, n));
    if (st) {
        fingerprint_line(b, "start", NULL, "resumed at update %ld, epoch %d, batch %d, lr %g", st->update, st->epoch,
                         st->batch_in_epoch, (double)st->lr);
        uint64_t h = hash_floats(hash_floats(hash_floats(0, opt->m, n), opt->v, n), opt->ema, n);
        fingerprint_line(b, "optimizer state", NULL, "step %ld, hash %016llx", opt->step, (unsigned long long)h);
    } else {
        fingerprint_line(b, "start", NULL, "a new run");
    }
}

enum { MAX_REPORTED = 24 };

typedef struct {
    Buf *report;
    int rank, reported;
} RankReport;

static void report_rank(void *ctx, const char *key, const char *now, const char *now_note, const char *then,
                        const char *then_note) {
    RankReport *r = ctx;
    if (r->reported++ >= MAX_REPORTED) return;
    if (!now) buf_printf(r->report, "\n  rank %d has no %s (rank 0: %s)", r->rank, key, then);
    else if (!then) buf_printf(r->report, "\n  rank %d has %s %s, rank 0 has none", r->rank, key, now);
    else
        buf_printf(r->report, "\n  rank %d: %s %s%s%s (rank 0: %s%s%s)", r->rank, key, now, *now_note ? " in " : "",
                   now_note, then, *then_note ? " in " : "", then_note);
}

/* Rank 0's account of every difference, or an empty buffer. all holds every
 * rank's fingerprint with its NUL, one after the other. */
static void compare(const char *all, const size_t *bytes_of, int ranks, Buf *report) {
    RankReport r = {.report = report};
    const char *text = all;
    for (r.rank = 1; r.rank < ranks; r.rank++) {
        text += bytes_of[r.rank - 1];
        fingerprint_diff(all, bytes_of[0] - 1, text, bytes_of[r.rank] - 1, report_rank, &r);
    }
    if (r.reported > MAX_REPORTED) buf_printf(report, "\n  ... and %d more", r.reported - MAX_REPORTED);
}

void train_check_agreement(const Model *m, const TrainOptions *o, const TrainState *resume_state,
                           const Optimizer *resume_optim, const TrainData *train, const TrainData *valid,
                           const TrainInput *inputs, int n_inputs) {
    const int ranks = dist_size();
    if (ranks == 1) return;
    Buf mine = {0};
    fingerprint(&mine, m, o, resume_state, resume_optim, train, valid, inputs, n_inputs);
    buf_append(&mine, "", 1); /* the NUL travels too */
    size_t *bytes_of = xmalloc(sizeof(size_t) * (size_t)ranks), total = 0;
    dist_allgather_size(mine.len, bytes_of);
    for (int r = 0; r < ranks; r++) total += bytes_of[r];
    char *all = xmalloc(total);
    dist_gather(mine.data, all, bytes_of);
    Buf report = {0};
    if (dist_rank() == 0) compare(all, bytes_of, ranks, &report);
    size_t n = report.len;
    dist_bcast(&n, sizeof n, 0);
    if (n) {
        if (dist_rank() == 0)
            fprintf(stderr,
                    "%s: the %d processes of this job do not agree; every rank must run the same program on the "
                    "same files with the same settings:%s\n",
                    program_name(), ranks, report.data);
        dist_exit(1);
    }
    buf_free(&mine), buf_free(&report);
    free(bytes_of), free(all);
}

void train_check_replicas(const Trainer *t) {
    const size_t n = t->n_params;
    const Optimizer *opt = &t->opt;
    uint64_t h = hash_floats(hash_floats(hash_floats(hash_floats(0, t->m->params, n), opt->m, n), opt->v, n), opt->ema, n);
    uint64_t *all = xmalloc(sizeof(uint64_t) * (size_t)t->ranks);
    size_t *bytes_of = xmalloc(sizeof(size_t) * (size_t)t->ranks);
    for (int r = 0; r < t->ranks; r++) bytes_of[r] = sizeof(uint64_t);
    dist_allgather(&h, all, bytes_of);
    for (int r = 1; r < t->ranks; r++)
        if (all[r] != all[0])
            die("after update %ld rank %d holds other weights than rank 0 (hash %016llx, rank 0 %016llx): the ranks "
                "do not compute alike (other CPUs or libraries?); the last checkpoint is intact",
                t->st.update, r, (unsigned long long)all[r], (unsigned long long)all[0]);
    free(all), free(bytes_of);
}

int train_default_threads(void) {
    int n = omp_get_num_procs() / dist_local_size();
    return n > 0 ? n : 1;
}
