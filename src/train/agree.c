/* agree.c — see agree.h. */
#include "train/agree.h"

#include <omp.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/blas.h"
#include "core/dist.h"
#include "core/input.h"
#include "core/util.h"

/* A 64-bit hash of a buffer, 8 bytes a step (fingerprints of hundreds of
 * megabytes of weights at every checkpoint must stay cheap). Not
 * cryptographic: it guards against accidents, not adversaries. */
static uint64_t hash_bytes(uint64_t h, const void *data, size_t n) {
    const unsigned char *p = data;
    h ^= n * 0x9E3779B97F4A7C15ull;
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        uint64_t w;
        memcpy(&w, p + i, 8);
        h = (h ^ w) * 0x100000001B3ull;
        h ^= h >> 29;
    }
    for (; i < n; i++) h = (h ^ p[i]) * 0x100000001B3ull;
    return h ^ (h >> 32);
}

static uint64_t hash_floats(uint64_t h, const float *x, size_t n) { return x ? hash_bytes(h, x, sizeof(float) * n) : h; }

/* One fingerprint line: key, the value compared, and a note shown but not
 * compared (a file's path may differ between hosts). */
static void line(Buf *b, const char *key, const char *note, const char *fmt, ...) NMT_PRINTF(4, 5);
static void line(Buf *b, const char *key, const char *note, const char *fmt, ...) {
    char value[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(value, sizeof value, fmt, ap);
    va_end(ap);
    buf_printf(b, "%s\t%s\t%s\n", key, value, note ? note : "");
}

/* Through the inputs read once (core/input.h): a pipe or FIFO that
 * training already read is not read a second time. */
static void file_line(Buf *b, const char *flag, const char *path) {
    size_t total = 0;
    input_read(path);
    const char *data = input_cached(path, &total);
    uint32_t crc = crc32_update(0, data, total);
    input_release(path);
    line(b, flag, path, "%zu bytes, crc32 %08x", total, (unsigned)crc);
}

static void data_line(Buf *b, const char *key, const TrainData *d) {
    if (!d) {
        line(b, key, NULL, "none");
        return;
    }
    uint64_t h = 0;
    for (int i = 0; i < d->n; i++) {
        h = hash_bytes(h, d->src[i], sizeof(int) * (size_t)d->src_len[i]);
        h = hash_bytes(h, d->tgt[i], sizeof(int) * (size_t)d->tgt_len[i]);
    }
    line(b, key, NULL, "%d pairs, %ld target tokens, hash %016llx", d->n, d->total_tgt_tokens, (unsigned long long)h);
}

/* Every field of a table, by flag, as a person reads it. */
static void table_lines(Buf *b, const FieldSpec *f, int n, const void *obj) {
    for (int i = 0; i < n; i++) {
        if (!f[i].flag) continue;
        /* the machine's own: free to differ between ranks */
        if (!strcmp(f[i].flag, "--threads") || !strcmp(f[i].flag, "--disp-every")) continue;
        char v[128];
        fields_describe(&f[i], obj, v, sizeof v);
        line(b, f[i].flag, NULL, "%s", v);
    }
}

static void fingerprint(Buf *b, const Model *m, const TrainOptions *o, const TrainState *st, const Optimizer *opt,
                        const TrainData *train, const TrainData *valid, const TrainInput *inputs, int n_inputs) {
    size_t len;
    char *exe = read_file("/proc/self/exe", &len);
    if (exe) line(b, "program", NULL, "%zu bytes, crc32 %08x", len, (unsigned)crc32_update(0, exe, len));
    free(exe);
    line(b, "BLAS kernels", NULL, "%s", blas_kernel_name());
    table_lines(b, MODEL_CONFIG_FIELDS, MODEL_CONFIG_NFIELDS, &m->cfg);
    table_lines(b, TRAIN_OPTION_FIELDS, TRAIN_OPTION_NFIELDS, o);
    line(b, "vocabulary", NULL, "%zu bytes, hash %016llx", m->vocab_len,
         (unsigned long long)hash_bytes(0, m->vocab_bytes, m->vocab_len));
    for (int i = 0; i < n_inputs; i++)
        if (inputs[i].path) file_line(b, inputs[i].flag, inputs[i].path);
    data_line(b, "training data", train);
    data_line(b, "validation data", valid);
    const size_t n = model_num_params(&m->cfg);
    line(b, "weights", NULL, "hash %016llx", (unsigned long long)hash_floats(0, m->params, n));
    if (st) {
        line(b, "start", NULL, "resumed at update %ld, epoch %d, batch %d, lr %g", st->update, st->epoch,
             st->batch_in_epoch, (double)st->lr);
        uint64_t h = hash_floats(hash_floats(hash_floats(0, opt->m, n), opt->v, n), opt->ema, n);
        line(b, "optimizer state", NULL, "step %ld, hash %016llx", opt->step, (unsigned long long)h);
    } else {
        line(b, "start", NULL, "a new run");
    }
}

/* The line of text (NUL-separated fields) for key, or NULL. */
static const char *find_key(char *const *keys, int n, const char *key) {
    for (int i = 0; i < n; i++)
        if (!strcmp(keys[i], key)) return keys[i];
    return NULL;
}

/* Split a fingerprint in place into lines of key, value, note. */
static int split(char *text, char **key, char **value, char **note, int max) {
    int n = 0;
    for (char *p = text; *p && n < max;) {
        char *end = strchr(p, '\n'), *t1 = strchr(p, '\t'), *t2 = t1 ? strchr(t1 + 1, '\t') : NULL;
        if (!end || !t1 || !t2 || t2 > end) break;
        *t1 = *t2 = *end = '\0';
        key[n] = p, value[n] = t1 + 1, note[n] = t2 + 1, n++;
        p = end + 1;
    }
    return n;
}

enum { MAX_LINES = 256, MAX_REPORTED = 24 };

/* Rank 0's account of every difference, or an empty buffer. */
static void compare(char *all, const size_t *bytes_of, int ranks, Buf *report) {
    char *k0[MAX_LINES], *v0[MAX_LINES], *n0[MAX_LINES], *k[MAX_LINES], *v[MAX_LINES], *nt[MAX_LINES];
    char *text = all;
    all[bytes_of[0] - 1] = '\0';
    int n_0 = split(text, k0, v0, n0, MAX_LINES), reported = 0;
    for (int r = 1; r < ranks; r++) {
        text += bytes_of[r - 1];
        text[bytes_of[r] - 1] = '\0';
        int n_r = split(text, k, v, nt, MAX_LINES);
        for (int i = 0; i < n_0; i++) {
            int j;
            for (j = 0; j < n_r && strcmp(k[j], k0[i]); j++) {}
            if (j < n_r && !strcmp(v[j], v0[i])) continue;
            if (reported++ < MAX_REPORTED) {
                if (j == n_r) buf_printf(report, "\n  rank %d has no %s (rank 0: %s)", r, k0[i], v0[i]);
                else
                    buf_printf(report, "\n  rank %d: %s %s%s%s (rank 0: %s%s%s)", r, k0[i], v[j], *nt[j] ? " in " : "",
                               nt[j], v0[i], *n0[i] ? " in " : "", n0[i]);
            }
        }
        for (int j = 0; j < n_r; j++)
            if (!find_key(k0, n_0, k[j]) && reported++ < MAX_REPORTED)
                buf_printf(report, "\n  rank %d has %s %s, rank 0 has none", r, k[j], v[j]);
    }
    if (reported > MAX_REPORTED) buf_printf(report, "\n  ... and %d more", reported - MAX_REPORTED);
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
