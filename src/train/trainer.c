/* trainer.c — see trainer.h. */
#include "train/trainer.h"

#include <math.h>
#include <omp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/blas.h"
#include "core/util.h"
#include "decoder/search.h"
#include "eval/bleu.h"
#include "model/seq2seq.h"

void train_options_default(TrainOptions *o) {
    memset(o, 0, sizeof *o);
    o->batch = 64;
    o->shard_size = 32;
    o->threads = 1;
    o->epochs = 10;
    o->optimizer = OPTIM_ADAM;
    o->lr = 1e-3f;
    o->lr_decay = 0.5f;
    o->min_lr = 1e-5f;
    o->lr_patience = 1;
    o->patience = 5;
    o->clip = 5.0f;
    o->seed = 1;
    o->valid_every = 500;
    o->disp_every = 100;
}

static volatile sig_atomic_t stop_requested;
static void on_signal(int sig) {
    (void)sig;
    stop_requested = 1;
}

/* ---------- checkpoint state as text ---------- */

static void state_to_text(const TrainState *st, const TrainOptions *o, long adam_step, Buf *b) {
    buf_printf(b, "update=%ld\nepoch=%d\nbatch_in_epoch=%d\nlr=%.9g\nbest_valid=%.17g\nbad_valids=%d\n",
               st->update, st->epoch, st->batch_in_epoch, (double)st->lr, st->best_valid, st->bad_valids);
    buf_printf(b, "lr_bad_valids=%d\nelapsed=%.3f\ntokens=%ld\nfinished=%d\noptim_step=%ld\n", st->lr_bad_valids,
               st->elapsed, st->tokens, st->finished, adam_step);
    buf_printf(b, "batch=%d\nshard_size=%d\noptimizer=%d\nlr_decay=%.9g\nmin_lr=%.9g\nlr_patience=%d\n", o->batch,
               o->shard_size, (int)o->optimizer, (double)o->lr_decay, (double)o->min_lr, o->lr_patience);
    buf_printf(b, "patience=%d\nclip=%.9g\nlabel_smoothing=%.9g\nseed=%llu\nvalid_every=%d\nstart_lr=%.9g\n",
               o->patience, (double)o->clip, (double)o->label_smoothing, (unsigned long long)o->seed, o->valid_every,
               (double)o->lr);
    buf_printf(b, "select_by_bleu=%d\nema_decay=%.9g\nkeep_snapshots=%d\n", o->select_by_bleu, (double)o->ema_decay,
               o->keep_snapshots);
}

typedef struct {
    TrainState *st;
    TrainOptions *o;
    long *adam_step;
    int seen;
} StateReader;

static void state_visit(void *ctx, const char *k, const char *v) {
    StateReader *r = ctx;
    TrainState *st = r->st;
    TrainOptions *o = r->o;
    r->seen++;
    if (!strcmp(k, "update")) st->update = atol(v);
    else if (!strcmp(k, "epoch")) st->epoch = atoi(v);
    else if (!strcmp(k, "batch_in_epoch")) st->batch_in_epoch = atoi(v);
    else if (!strcmp(k, "lr")) st->lr = strtof(v, NULL);
    else if (!strcmp(k, "best_valid")) st->best_valid = strtod(v, NULL);
    else if (!strcmp(k, "bad_valids")) st->bad_valids = atoi(v);
    else if (!strcmp(k, "lr_bad_valids")) st->lr_bad_valids = atoi(v);
    else if (!strcmp(k, "elapsed")) st->elapsed = strtod(v, NULL);
    else if (!strcmp(k, "tokens")) st->tokens = atol(v);
    else if (!strcmp(k, "finished")) st->finished = atoi(v);
    else if (!strcmp(k, "optim_step")) *r->adam_step = atol(v);
    else if (!strcmp(k, "batch")) o->batch = atoi(v);
    else if (!strcmp(k, "shard_size")) o->shard_size = atoi(v);
    else if (!strcmp(k, "optimizer")) o->optimizer = (OptimizerType)atoi(v);
    else if (!strcmp(k, "lr_decay")) o->lr_decay = strtof(v, NULL);
    else if (!strcmp(k, "min_lr")) o->min_lr = strtof(v, NULL);
    else if (!strcmp(k, "lr_patience")) o->lr_patience = atoi(v);
    else if (!strcmp(k, "patience")) o->patience = atoi(v);
    else if (!strcmp(k, "clip")) o->clip = strtof(v, NULL);
    else if (!strcmp(k, "label_smoothing")) o->label_smoothing = strtof(v, NULL);
    else if (!strcmp(k, "seed")) o->seed = strtoull(v, NULL, 10);
    else if (!strcmp(k, "valid_every")) o->valid_every = atoi(v);
    else if (!strcmp(k, "start_lr")) o->lr = strtof(v, NULL);
    else if (!strcmp(k, "select_by_bleu")) o->select_by_bleu = atoi(v);
    else if (!strcmp(k, "ema_decay")) o->ema_decay = strtof(v, NULL);
    else if (!strcmp(k, "keep_snapshots")) o->keep_snapshots = atoi(v);
    else r->seen--;
}

static int state_from_text(const char *text, size_t len, TrainState *st, TrainOptions *o, long *adam_step) {
    StateReader r = {st, o, adam_step, 0};
    parse_key_values(text, len, state_visit, &r);
    return r.seen >= 23 ? 0 : -1;
}

Model *checkpoint_load(const char *path, TrainState *st, Optimizer *opt, TrainOptions *saved, char *err,
                       size_t errsz) {
    ModelFile mf;
    Model *m = model_load(path, &mf, err, errsz);
    if (!m) return NULL;
    const Section *ts = modelfile_find(&mf, "TRST"), *am = modelfile_find(&mf, "ADMM"),
                  *av = modelfile_find(&mf, "ADMV");
    memset(st, 0, sizeof *st);
    long adam_step = 0;
    if (!ts || state_from_text(ts->data, ts->len, st, saved, &adam_step) != 0) {
        snprintf(err, errsz, "%s: not a checkpoint (no trainer state)", path);
        goto fail;
    }
    size_t n = model_num_params(&m->cfg);
    optim_init(opt, saved->optimizer, n, saved->clip);
    opt->step = adam_step;
    if (saved->optimizer == OPTIM_ADAM) {
        if (!am || !av || am->len != n * sizeof(float) || av->len != n * sizeof(float)) {
            snprintf(err, errsz, "%s: checkpoint lacks the optimizer state", path);
            optim_free(opt);
            goto fail;
        }
        memcpy(opt->m, am->data, am->len);
        memcpy(opt->v, av->data, av->len);
    }
    if (saved->ema_decay > 0.0f) {
        const Section *ae = modelfile_find(&mf, "EMAW");
        if (!ae || ae->len != n * sizeof(float)) {
            snprintf(err, errsz, "%s: checkpoint lacks the moving average of the weights", path);
            optim_free(opt);
            goto fail;
        }
        optim_enable_ema(opt, saved->ema_decay, ae->data);
    }
    modelfile_free(&mf);
    return m;
fail:
    modelfile_free(&mf);
    model_free(m);
    return NULL;
}

/* ---------- the trainer ---------- */

struct Trainer {
    Model *m;
    const TrainOptions *o;
    TrainState st;
    Optimizer opt;
    int max_shards;
    float **grads;       /* [max_shards] gradient buffers, the first is the sum */
    ModelParams *gviews; /* views over each */
    Arena *arenas;       /* [max_shards] */
    Batch full, *shards;
    size_t n_params;
    const int **src_ptr, **tgt_ptr;
    int *src_len, *tgt_len;
    float *raw; /* the training weights while the moving average is swapped in */
};

/* Put the moving average of the weights in the model (on = 1) for
 * validating and saving, or the training weights back (on = 0). */
static void use_average(Trainer *t, int on) {
    if (!t->opt.ema) return;
    const size_t bytes = sizeof(float) * t->n_params;
    if (on) {
        memcpy(t->raw, t->m->params, bytes);
        memcpy(t->m->params, t->opt.ema, bytes);
    } else {
        memcpy(t->m->params, t->raw, bytes);
    }
}

Trainer *trainer_new(Model *m, const TrainOptions *o, const TrainState *resume_state, const Optimizer *resume_optim) {
    Trainer *t = xcalloc(1, sizeof *t);
    t->m = m;
    t->o = o;
    t->n_params = model_num_params(&m->cfg);
    if (resume_state) {
        t->st = *resume_state;
        t->opt = *resume_optim;
    } else {
        t->st.lr = o->lr;
        t->st.best_valid = INFINITY;
        optim_init(&t->opt, o->optimizer, t->n_params, o->clip);
        if (o->ema_decay > 0.0f) optim_enable_ema(&t->opt, o->ema_decay, m->params);
    }
    if (t->opt.ema) t->raw = falloc(t->n_params);
    t->max_shards = (o->batch + o->shard_size - 1) / o->shard_size;
    t->grads = xcalloc((size_t)t->max_shards, sizeof(float *));
    t->gviews = xcalloc((size_t)t->max_shards, sizeof(ModelParams));
    t->arenas = xcalloc((size_t)t->max_shards, sizeof(Arena));
    t->shards = xcalloc((size_t)t->max_shards, sizeof(Batch));
    for (int s = 0; s < t->max_shards; s++) {
        t->grads[s] = falloc(t->n_params);
        model_bind(&m->cfg, t->grads[s], &t->gviews[s]);
    }
    t->src_ptr = xmalloc(sizeof(int *) * (size_t)o->batch);
    t->tgt_ptr = xmalloc(sizeof(int *) * (size_t)o->batch);
    t->src_len = xmalloc(sizeof(int) * (size_t)o->batch);
    t->tgt_len = xmalloc(sizeof(int) * (size_t)o->batch);
    return t;
}

void trainer_free(Trainer *t) {
    for (int s = 0; s < t->max_shards; s++) {
        free(t->grads[s]);
        arena_free(&t->arenas[s]);
        batch_free(&t->shards[s]);
    }
    batch_free(&t->full);
    free(t->grads), free(t->gviews), free(t->arenas), free(t->shards);
    free(t->src_ptr), free(t->tgt_ptr), free(t->src_len), free(t->tgt_len);
    optim_free(&t->opt);
    free(t->raw);
    free(t);
}

size_t trainer_memory_floor(const Trainer *t) {
    size_t floats = t->n_params * (1 + (t->opt.m ? 2 : 0) + (size_t)t->max_shards);
    for (int s = 0; s < t->max_shards; s++) floats += t->arenas[s].pass_total;
    return floats * sizeof(float);
}

LossSum trainer_update(Trainer *t, const TrainData *d, const int *idx, int count) {
    const TrainOptions *o = t->o;
    for (int i = 0; i < count; i++) {
        t->src_ptr[i] = d->src[idx[i]], t->src_len[i] = d->src_len[idx[i]];
        t->tgt_ptr[i] = d->tgt[idx[i]], t->tgt_len[i] = d->tgt_len[idx[i]];
    }
    batch_fill(&t->full, count, t->src_ptr, t->src_len, t->tgt_ptr, t->tgt_len);
    const int S = (count + o->shard_size - 1) / o->shard_size;
    const float scale = 1.0f / (float)t->full.n_tgt_tokens;
    LossSum sums[S];
#pragma omp parallel for schedule(static, 1) num_threads(o->threads)
    for (int s = 0; s < S; s++) {
        /* near-equal shards: sizes depend on count and S only */
        int lo = (int)((long)count * s / S), hi = (int)((long)count * (s + 1) / S);
        batch_slice(&t->shards[s], &t->full, lo, hi - lo);
        memset(t->grads[s], 0, sizeof(float) * t->n_params);
        Rng rng;
        rng_seed(&rng, o->seed, (uint64_t)t->st.update * 4096u + (uint64_t)s);
        arena_reset(&t->arenas[s]);
        sums[s] = seq2seq_train_step(&t->m->p, &t->gviews[s], &t->m->cfg, &t->shards[s], o->label_smoothing, scale,
                                     &rng, &t->arenas[s]);
    }
    if (S > 1) {
        const long n = (long)t->n_params;
        float *g0 = t->grads[0];
#pragma omp parallel for schedule(static) num_threads(o->threads)
        for (long i = 0; i < n; i++) {
            float sum = g0[i];
            for (int s = 1; s < S; s++) sum += t->grads[s][i];
            g0[i] = sum;
        }
    }
    optim_step(&t->opt, t->m->params, t->grads[0], t->st.lr);
    LossSum total = {0};
    for (int s = 0; s < S; s++) {
        total.loss += sums[s].loss;
        total.nll += sums[s].nll;
        total.tokens += sums[s].tokens;
    }
    return total;
}

double evaluate_loss(const Model *m, const TrainData *d, int batch, int threads, long *tokens) {
    EpochPlan plan;
    sorted_plan(&plan, d, batch);
    double *nll = xcalloc((size_t)plan.n_batches + 1, sizeof(double));
    long *ntok = xcalloc((size_t)plan.n_batches + 1, sizeof(long));
#pragma omp parallel num_threads(threads)
    {
        Arena arena = {0};
        Batch bt = {0};
        const int **sp = xmalloc(sizeof(int *) * (size_t)batch), **tp = xmalloc(sizeof(int *) * (size_t)batch);
        int *sl = xmalloc(sizeof(int) * (size_t)batch), *tl = xmalloc(sizeof(int) * (size_t)batch);
#pragma omp for schedule(dynamic, 1)
        for (int b = 0; b < plan.n_batches; b++) {
            const int *idx = plan.order + plan.start[b];
            for (int i = 0; i < plan.count[b]; i++) {
                sp[i] = d->src[idx[i]], sl[i] = d->src_len[idx[i]];
                tp[i] = d->tgt[idx[i]], tl[i] = d->tgt_len[idx[i]];
            }
            batch_fill(&bt, plan.count[b], sp, sl, tp, tl);
            arena_reset(&arena);
            EncoderActs enc;
            DecoderActs dec;
            LossSum s = seq2seq_forward(&m->p, &m->cfg, &bt, &arena, &enc, &dec, NULL);
            nll[b] = s.nll;
            ntok[b] = s.tokens;
        }
        free(sp), free(tp), free(sl), free(tl);
        batch_free(&bt);
        arena_free(&arena);
    }
    double total = 0;
    long count = 0;
    for (int b = 0; b < plan.n_batches; b++) total += nll[b], count += ntok[b];
    free(nll);
    free(ntok);
    epoch_plan_free(&plan);
    *tokens = count;
    return count ? total / (double)count : 0.0;
}

double evaluate_bleu(const Model *m, const TrainData *d, const char *const *refs, int batch, int threads) {
    EpochPlan plan;
    sorted_plan(&plan, d, batch);
    char **hyps = xcalloc((size_t)d->n + 1, sizeof(char *));
    SearchOptions so;
    search_options_default(&so);
    so.beam = 1;
#pragma omp parallel for schedule(dynamic, 1) num_threads(threads)
    for (int b = 0; b < plan.n_batches; b++) {
        const int *idx = plan.order + plan.start[b];
        const int n = plan.count[b];
        const int **src = xmalloc(sizeof(int *) * (size_t)n);
        int *len = xmalloc(sizeof(int) * (size_t)n);
        NBest *out = xcalloc((size_t)n, sizeof(NBest));
        for (int i = 0; i < n; i++) src[i] = d->src[idx[i]], len[i] = d->src_len[idx[i]];
        greedy_search(m, src, len, n, &so, out);
        for (int i = 0; i < n; i++) {
            hyps[idx[i]] = vocab_decode(m->vocab, VOCAB_TGT, out[i].hyps[0].tokens, out[i].hyps[0].len);
            nbest_free(&out[i]);
        }
        free(out), free(len), free(src);
    }
    BleuStats stats;
    bleu_stats_init(&stats, 0);
    char err[256];
    for (int i = 0; i < d->n; i++) {
        bleu_stats_add(&stats, hyps[i], &refs[i], 1, err, sizeof err); /* refs were checked on reading */
        free(hyps[i]);
    }
    BleuResult r;
    bleu_compute(&stats, &r);
    bleu_stats_free(&stats);
    free(hyps);
    epoch_plan_free(&plan);
    return r.score;
}

static void save_or_die(const Model *m, const char *path, const Section *extra, int n_extra) {
    char err[1024];
    if (model_save(m, path, extra, n_extra, err, sizeof err) != 0) die("%s", err);
}

static char *path_with_suffix(const char *path, const char *suffix) {
    size_t n = strlen(path) + strlen(suffix) + 1;
    char *p = xmalloc(n);
    snprintf(p, n, "%s%s", path, suffix);
    return p;
}

/* Save the weights a user gets: the moving average when there is one. */
static void save_model_average(Trainer *t, const char *path) {
    use_average(t, 1);
    save_or_die(t->m, path, NULL, 0);
    use_average(t, 0);
}

/* MODEL.last and, with --keep-snapshots, MODEL.uN (the same weights, kept
 * for checkpoint averaging), with the moving average swapped in once. */
static void save_last(Trainer *t, const char *last_path) {
    use_average(t, 1);
    save_or_die(t->m, last_path, NULL, 0);
    if (t->o->keep_snapshots && t->st.update > 0) {
        char suffix[32];
        snprintf(suffix, sizeof suffix, ".u%ld", t->st.update);
        char *snap = path_with_suffix(t->o->model_path, suffix);
        save_or_die(t->m, snap, NULL, 0);
        free(snap);
    }
    use_average(t, 0);
}

static void save_checkpoint(Trainer *t, double elapsed) {
    Buf text = {0};
    TrainState st = t->st;
    st.elapsed = elapsed;
    state_to_text(&st, t->o, t->opt.step, &text);
    size_t bytes = sizeof(float) * t->n_params;
    Section extra[4] = {{"TRST", text.data, text.len}};
    int n = 1;
    if (t->opt.type == OPTIM_ADAM) {
        extra[n++] = (Section){"ADMM", t->opt.m, bytes};
        extra[n++] = (Section){"ADMV", t->opt.v, bytes};
    }
    if (t->opt.ema) extra[n++] = (Section){"EMAW", t->opt.ema, bytes};
    char *ckpt = path_with_suffix(t->o->model_path, ".ckpt");
    save_or_die(t->m, ckpt, extra, n);
    free(ckpt);
    buf_free(&text);
}

static void format_duration(double s, char *out, size_t n) {
    long sec = s < 0 ? 0 : (long)(s + 0.5);
    if (sec >= 3600) snprintf(out, n, "%ldh%02ldm", sec / 3600, sec / 60 % 60);
    else snprintf(out, n, "%ldm%02lds", sec / 60, sec % 60);
}

/* Validate, keep the best model, decay the learning rate or stop early when
 * validation stalls, and log. Returns 1 when this validation was the best. */
static int validate(Trainer *t, const TrainData *valid, FILE *log, double elapsed, double *train_nll,
                    long *train_tokens) {
    const TrainOptions *o = t->o;
    long vt;
    use_average(t, 1);
    double vloss = evaluate_loss(t->m, valid, o->batch, o->threads, &vt);
    double vbleu = o->valid_refs ? evaluate_bleu(t->m, valid, o->valid_refs, o->batch, o->threads) : -1;
    double metric = o->select_by_bleu ? -vbleu : vloss;
    int improved = metric < t->st.best_valid;
    if (improved) {
        t->st.best_valid = metric;
        t->st.bad_valids = t->st.lr_bad_valids = 0;
        save_or_die(t->m, o->model_path, NULL, 0);
    }
    use_average(t, 0);
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
                t->st.update, t->st.epoch + 1, elapsed, t->st.tokens, *train_tokens ? *train_nll / *train_tokens : 0.0,
                vloss, exp(vloss));
        if (vbleu >= 0) fprintf(log, "\"valid_bleu\": %.2f, ", vbleu);
        fprintf(log, "\"lr\": %.6g, \"best\": %s}\n", (double)t->st.lr, improved ? "true" : "false");
        fflush(log);
    }
    *train_nll = 0, *train_tokens = 0;
    return improved;
}

int train_run(Model *m, const TrainData *train, const TrainData *valid, const TrainOptions *o,
              const TrainState *resume_state, const Optimizer *resume_optim) {
    Trainer *t = trainer_new(m, o, resume_state, resume_optim);
    omp_set_num_threads(o->threads);
    FILE *log = NULL;
    if (o->log_path) {
        log = fopen(o->log_path, resume_state ? "a" : "w");
        if (!log) die("%s: cannot open log file", o->log_path);
    }
    char *last_path = path_with_suffix(o->model_path, ".last");
    const int tty = isatty(2) && !o->quiet;
    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);
    stop_requested = 0;

    if (!o->quiet)
        fprintf(stderr,
                "%s: %zu parameters, %d training pairs, %d threads, batch %d in shards of %d, BLAS kernels %s%s\n",
                program_name(), t->n_params, train->n, o->threads, o->batch, o->shard_size, blas_kernel_name(),
                resume_state ? " (resumed)" : "");

    const double t0 = now_seconds();
    double win_loss = 0, win_t0 = t0;
    long win_tokens = 0, win_updates = 0;
    long last_valid_update = -1;
    double log_nll = 0; /* training loss since the last validation, for the log */
    long log_tokens = 0;
    EpochPlan plan = {0};
    int plan_epoch = -1;
    const char *stop_reason = "finished";
    while (!t->st.finished) {
        double elapsed = t->st.elapsed + (now_seconds() - t0);
        if (o->epochs && t->st.epoch >= o->epochs) { stop_reason = "epochs done"; break; }
        if (o->max_updates && t->st.update >= o->max_updates) { stop_reason = "update limit"; break; }
        if (o->minutes > 0 && elapsed >= o->minutes * 60.0) { stop_reason = "time budget spent"; break; }
        if (stop_requested) { stop_reason = "interrupted"; break; }
        if (plan_epoch != t->st.epoch) {
            epoch_plan_free(&plan);
            epoch_plan(&plan, train, o->batch, o->seed, t->st.epoch);
            plan_epoch = t->st.epoch;
        }
        if (t->st.batch_in_epoch >= plan.n_batches) {
            t->st.epoch++;
            t->st.batch_in_epoch = 0;
            continue;
        }
        int b = t->st.batch_in_epoch;
        LossSum ls = trainer_update(t, train, plan.order + plan.start[b], plan.count[b]);
        t->st.batch_in_epoch++;
        t->st.update++;
        t->st.tokens += ls.tokens;
        win_loss += ls.nll;
        win_tokens += ls.tokens;
        log_nll += ls.nll;
        log_tokens += ls.tokens;
        win_updates++;

        double now = now_seconds();
        if (!o->quiet && (tty ? now - win_t0 > 0.5 : win_updates >= o->disp_every)) {
            double rate = win_tokens / (now - win_t0);
            double eta = -1;
            elapsed = t->st.elapsed + (now - t0);
            double ups = win_updates / (now - win_t0);
            if (o->minutes > 0) eta = o->minutes * 60.0 - elapsed;
            if (o->epochs) {
                double left = ((double)(o->epochs - t->st.epoch) * plan.n_batches - t->st.batch_in_epoch) / ups;
                eta = eta < 0 || left < eta ? left : eta;
            }
            if (o->max_updates) {
                double left = (o->max_updates - t->st.update) / ups;
                eta = eta < 0 || left < eta ? left : eta;
            }
            char eta_s[32] = "?";
            if (eta >= 0) format_duration(eta, eta_s, sizeof eta_s);
            fprintf(stderr, "%sepoch %d  update %ld  loss %.4f  ppl %.2f  %.0f tok/s  lr %.3g  ETA %s%s",
                    tty ? "\r\033[K" : "", t->st.epoch + 1, t->st.update, win_loss / win_tokens,
                    exp(win_loss / win_tokens), rate, (double)t->st.lr, eta_s, tty ? "" : "\n");
            win_loss = 0, win_tokens = 0, win_updates = 0, win_t0 = now;
        }

        if (o->valid_every && t->st.update % o->valid_every == 0) {
            elapsed = t->st.elapsed + (now_seconds() - t0);
            if (tty) fputc('\n', stderr);
            if (valid) validate(t, valid, log, elapsed, &log_nll, &log_tokens);
            save_last(t, last_path);
            save_checkpoint(t, elapsed);
            last_valid_update = t->st.update;
            if (t->st.finished) stop_reason = "early stopping";
        }
    }
    if (tty) fputc('\n', stderr);
    double elapsed = t->st.elapsed + (now_seconds() - t0);
    if (last_valid_update != t->st.update) {
        /* A last validation so that the best model reflects the final weights;
         * not after an interruption, so that a resumed run validates exactly
         * where the uninterrupted run would have. */
        if (valid && t->st.update > 0 && !stop_requested) validate(t, valid, log, elapsed, &log_nll, &log_tokens);
        save_last(t, last_path);
        save_checkpoint(t, elapsed);
    }
    if (!valid) save_model_average(t, o->model_path);
    if (!o->quiet) {
        char dur[32];
        format_duration(elapsed, dur, sizeof dur);
        fprintf(stderr, "%s: %s after %ld updates (%s, %.2f epochs); model %s%s\n", program_name(), stop_reason,
                t->st.update, dur, t->st.epoch + (plan.n_batches ? (double)t->st.batch_in_epoch / plan.n_batches : 0.0),
                o->model_path, valid ? " (best on validation)" : "");
        if (stop_requested) fprintf(stderr, "%s: continue with --resume\n", program_name());
    }

    if (log) fclose(log);
    free(last_path);
    epoch_plan_free(&plan);
    trainer_free(t);
    return stop_requested ? 130 : 0;
}
