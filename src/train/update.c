/* update.c — see update.h. */
#include "train/update.h"

#include <math.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>

#include "nn/blas.h"
#include "sys/dist.h"
#include "sys/util.h"
#include "train/guidance.h"
#include "train/update_shared.h"

/* Floats per message of the reduction chain. The chain's time is about
 * (n + (P - 1) chunk) / bandwidth + messages x latency: large chunks waste
 * time filling the pipeline across many ranks, small ones pay the latency
 * of many messages. n / 4P keeps the fill under a quarter of one transfer,
 * within 64 KB (latency) and 4 MB (no gain beyond) (docs/scale-out.md).
 * The sum's bits do not depend on it: every element is added alike. */
size_t chain_chunk(size_t n, int ranks) {
    size_t c = n / (4 * (size_t)ranks);
    return c < ((size_t)1 << 14) ? (size_t)1 << 14 : c > ((size_t)1 << 20) ? (size_t)1 << 20 : c;
}

void shard_range(int S, int P, int r, int *first, int *count) {
    int q = S / P, rem = S % P;
    *count = q + (r < rem);
    *first = r * q + (r < rem ? r : rem);
}

void optimizer_slice(size_t n, int P, int r, size_t *lo, size_t *len) {
    const size_t chunks = optim_chunks(n), q = chunks / (size_t)P, rem = chunks % (size_t)P, ur = (size_t)r;
    const size_t first = ur * q + (ur < rem ? ur : rem), count = q + (ur < rem);
    const size_t a = first * OPTIM_CHUNK, b = (first + count) * OPTIM_CHUNK;
    *lo = a < n ? a : n;
    *len = (b < n ? b : n) - *lo;
}

void optimizer_rank_slice(size_t n, int P, int r, size_t *lo, size_t *len) { optimizer_slice(n, P, P - 1 - r, lo, len); }

float trainer_lr(const Trainer *t) {
    const long w = t->o->lr_warmup;
    if (w <= 0 || t->st.update >= w) return t->st.lr;
    return t->st.lr * (float)(t->st.update + 1) / (float)w;
}

void trainer_use_average(Trainer *t, int on) {
    if (!t->opt.ema) return;
    const size_t bytes = sizeof(float) * t->n_params;
    if (on) {
        memcpy(t->raw, t->m->params, bytes);
        memcpy(t->m->params, t->opt.ema, bytes);
    } else {
        memcpy(t->m->params, t->raw, bytes);
    }
    /* shared weights: the other ranks, waiting meanwhile (one rank swaps,
     * update.h), read them after their next message from this one */
    if (t->ws.shared) dist_shared_sync(t->ws.shared);
    if (t->o->precision == GEMM_BF16) gemm_weights_refresh(t->m->params);
}

/* On one host the weights' gathering costs a memory copy and saves each
 * rank most of a memory-bound pass; across hosts it doubles the bytes on the
 * busiest link (docs/scale-out.md). The ranks decide together (any rank
 * against it: none shards). Both give the same bits. */
int update_shards_optimizer(int ranks) {
    if (ranks == 1) return 0;
    const char *env = getenv("NMT_SHARD_OPTIMIZER");
    int against = env ? !strcmp(env, "0") : dist_local_size() != ranks;
    return !dist_or(against);
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
    /* the alignment layer's gradient is clipped by its own norm, so it cannot change the translation model's step */
    t->opt.split = model_align_from(&m->cfg);
    if (t->opt.ema) t->raw = falloc(t->n_params);
    t->rank = dist_rank(), t->ranks = dist_size();
    const int S_max = (o->batch + o->shard_size - 1) / o->shard_size;
    int first, own;
    shard_range(S_max, t->ranks, 0, &first, &own); /* rank 0 has the most */
    t->ws.max_shards = own > 0 ? own : 1; /* a rank without shards still receives the total */
    t->ws.shard_optimizer = update_shards_optimizer(t->ranks);
    t->ws.slice_lo = xmalloc(sizeof(size_t) * (size_t)t->ranks), t->ws.slice_len = xmalloc(sizeof(size_t) * (size_t)t->ranks);
    for (int r = 0; r < t->ranks; r++) {
        if (t->ws.shard_optimizer)
            optimizer_rank_slice(t->n_params, t->ranks, r, &t->ws.slice_lo[r], &t->ws.slice_len[r]);
        else
            t->ws.slice_lo[r] = 0, t->ws.slice_len[r] = t->n_params; /* every rank updates everything */
    }
    t->ws.norm_mine = xcalloc(OPTIM_GROUPS * (optim_chunks(t->n_params) + 1), sizeof(double));
    t->ws.norm_all = xcalloc(OPTIM_GROUPS * (optim_chunks(t->n_params) + 1), sizeof(double));
    t->ws.ready = xcalloc((size_t)t->ws.max_shards, sizeof(size_t));
    t->ws.grads = xcalloc((size_t)t->ws.max_shards, sizeof(float *));
    t->ws.gviews = xcalloc((size_t)t->ws.max_shards, sizeof(ModelParams));
    t->ws.arenas = xcalloc((size_t)t->ws.max_shards, sizeof(Arena));
    t->ws.shards = xcalloc((size_t)t->ws.max_shards, sizeof(Batch));
    if (t->ws.shard_optimizer) update_share_memory(t, S_max); /* the weights and the gradient buffers, shared on one host */
    if (t->ranks > 1 && !t->ws.shared) t->ws.incoming = falloc(t->n_params);
    /* bf16 products: the weights' bf16 copy is made once and refreshed after every write */
    gemm_set_precision((GemmPrecision)o->precision);
    if (o->precision == GEMM_BF16) gemm_weights_register(m->params, t->n_params);
    for (int s = 0; s < t->ws.max_shards; s++) {
        if (!t->ws.shared) t->ws.grads[s] = falloc(t->n_params);
        model_bind(&m->cfg, t->ws.grads[s], &t->ws.gviews[s]);
    }
    t->ws.src_ptr = xmalloc(sizeof(int *) * (size_t)o->batch);
    t->ws.tgt_ptr = xmalloc(sizeof(int *) * (size_t)o->batch);
    t->ws.src_len = xmalloc(sizeof(int) * (size_t)o->batch);
    t->ws.tgt_len = xmalloc(sizeof(int) * (size_t)o->batch);
    return t;
}

void trainer_free(Trainer *t) {
    if (t->o->precision == GEMM_BF16) gemm_weights_forget(t->m->params);
    if (t->ws.shared) update_unshare_memory(t);
    for (int s = 0; s < t->ws.max_shards; s++) {
        if (!t->ws.shared) free(t->ws.grads[s]);
        arena_free(&t->ws.arenas[s]);
        batch_free(&t->ws.shards[s]);
    }
    batch_free(&t->ws.full);
    free(t->ws.grads), free(t->ws.gviews), free(t->ws.arenas), free(t->ws.shards), free(t->ws.ready);
    free(t->ws.src_ptr), free(t->ws.tgt_ptr), free(t->ws.src_len), free(t->ws.tgt_len);
    optim_free(&t->opt);
    free(t->raw);
    free(t->ws.incoming);
    free(t->ws.slice_lo), free(t->ws.slice_len), free(t->ws.norm_mine), free(t->ws.norm_all);
    free(t->ws.shard_grad), free(t->ws.progress);
    dist_shared_free(t->ws.shared);
    free(t);
}

size_t trainer_memory_floor(const Trainer *t) {
    size_t floats = t->n_params * (1 + (t->opt.m ? 2 : 0) + (size_t)t->ws.max_shards + (t->ws.incoming ? 1 : 0));
    for (int s = 0; s < t->ws.max_shards; s++) floats += t->ws.arenas[s].pass_total;
    return floats * sizeof(float);
}

typedef struct {
    Trainer *t;
    int own; /* this rank's shards, in grads[0 .. own) */
} ShardSum;

/* grads[0] = incoming + g_first + g_first+1 + ..., left to right, on
 * elements [lo, hi): the very additions one process makes over all shards
 * (a rank without shards passes the running sum on as it came). */
static void sum_shards(void *vctx, const float *incoming, size_t lo, size_t hi) {
    const ShardSum *c = vctx;
    float *g0 = c->t->ws.grads[0], *const *g = c->t->ws.grads;
    const int own = c->own;
    if (!incoming && own == 1) return;
    const long a = (long)lo, b = (long)hi;
    /* inside the shards' loop (the chain moving on during a backward pass) this thread alone */
#pragma omp parallel for schedule(static) num_threads(omp_in_parallel() ? 1 : c->t->o->threads)
    for (long i = a; i < b; i++) {
        float sum = !incoming ? g0[i] : own ? incoming[i - a] + g0[i] : incoming[i - a];
        for (int s = 1; s < own; s++) sum += g[s][i];
        g0[i] = sum;
    }
}

/* The reduction of the shards' gradients, started before their backward
 * passes: on this rank for (at least) its optimizer slice. The slices go
 * in reverse rank order, so this rank's and those of the ranks below it
 * (which it passes on) are the suffix from its slice's start. */
static DistChain *reduce_begin(Trainer *t, ShardSum *c) {
    const int r = t->rank, prev = r - 1, next = r + 1 < t->ranks ? r + 1 : -1;
    const size_t keep_from = t->ws.slice_lo[r], pass_from = r > 0 ? t->ws.slice_lo[r - 1] : t->n_params;
    return dist_chain_begin(t->ws.grads[0], t->ws.incoming, t->n_params, chain_chunk(t->n_params, t->ranks), prev,
                            next, keep_from, pass_from, sum_shards, c);
}

/* Whether this is the thread that joined the MPI job: thread 0 of every
 * enclosing team (only it may call MPI: MPI_THREAD_FUNNELED). */
static int on_main_thread(void) {
    for (int l = omp_get_level(); l > 0; l--)
        if (omp_get_ancestor_thread_num(l) != 0) return 0;
    return 1;
}

/* Shard j's backward pass says which of its gradients are final
 * (GradReady). The chain can take a chunk once every shard of this rank
 * has it final: the largest of the shards' from (a shard not started has
 * n). Shards on other threads only record theirs; the main thread moves
 * the chain on. */
typedef struct {
    Trainer *t;
    DistChain *chain; /* NULL: the shared memory's way */
    int j, own;
} ShardReady;

static void shard_ready(void *vctx, size_t from) {
    const ShardReady *c = vctx;
    size_t *ready = c->t->ws.ready;
    __atomic_store_n(&ready[c->j], from, __ATOMIC_RELEASE); /* after the gradients it vouches for */
    if (!on_main_thread()) return;
    size_t all = 0;
    for (int j = 0; j < c->own; j++) {
        const size_t r = __atomic_load_n(&ready[j], __ATOMIC_ACQUIRE);
        all = r > all ? r : all;
    }
    if (c->chain) {
        dist_chain_advance(c->chain, all);
    } else {
        update_shared_publish(c->t, all);
        c->t->ws.early_blocks += update_shared_advance(c->t);
    }
}

/* The global gradient norms of the groups (the translation model, the
 * alignment layer: optim.h): this rank's chunks summed here, every rank's
 * partial sums gathered and added in chunk order (as one process adds
 * them). They come in rank order, the slices in reverse: each rank's are
 * put back at its chunks before the sum. */
static void global_grad_norm(Trainer *t, const float *total, double norm[OPTIM_GROUPS]) {
    const size_t chunks = optim_chunks(t->n_params), G = OPTIM_GROUPS;
    if (!t->ws.shard_optimizer) { /* this rank's slice is everything */
        grad_norm_partials(total, t->n_params, t->opt.split, 0, chunks, t->ws.norm_all);
        grad_norm_total(t->ws.norm_all, chunks, norm);
        return;
    }
    size_t c_lo, c_hi, bytes_of[t->ranks];
    for (int r = 0; r < t->ranks; r++) {
        update_slice_chunks(t, r, &c_lo, &c_hi);
        bytes_of[r] = sizeof(double) * G * (c_hi - c_lo);
    }
    update_slice_chunks(t, t->rank, &c_lo, &c_hi);
    if (!t->ws.shared) /* else summed with it, block by block */
        grad_norm_partials(total, t->n_params, t->opt.split, c_lo, c_hi, t->ws.norm_mine);
    dist_allgather(t->ws.norm_mine, t->ws.norm_all, bytes_of);
    size_t at = 0;
    for (int r = 0; r < t->ranks; r++) { /* norm_mine is free again */
        update_slice_chunks(t, r, &c_lo, &c_hi);
        memcpy(t->ws.norm_mine + G * c_lo, t->ws.norm_all + at, sizeof(double) * G * (c_hi - c_lo));
        at += G * (c_hi - c_lo);
    }
    grad_norm_total(t->ws.norm_mine, chunks, norm);
}

void trainer_gather_optimizer(Trainer *t) {
    if (!t->ws.shard_optimizer) return;
    if (t->opt.m) dist_allgather_floats(t->opt.m, t->ws.slice_lo, t->ws.slice_len);
    if (t->opt.v) dist_allgather_floats(t->opt.v, t->ws.slice_lo, t->ws.slice_len);
    if (t->opt.ema) dist_allgather_floats(t->opt.ema, t->ws.slice_lo, t->ws.slice_len);
}

/* Every shard's losses, summed in shard order on every rank (as one
 * process sums them, so the logged figures do not depend on the ranks). */
static LossSum gather_losses(const Trainer *t, const LossSum *mine, int S, int own) {
    enum { F = 7 }; /* loss, nll, tokens, guide, guided, align_nll, align_guide per shard */
    double *rec = xmalloc(sizeof(double) * F * (size_t)(own + 1)), *all = xmalloc(sizeof(double) * F * (size_t)S);
    size_t *bytes_of = xmalloc(sizeof(size_t) * (size_t)t->ranks);
    for (int j = 0; j < own; j++) {
        double *r = rec + F * j;
        r[0] = mine[j].loss, r[1] = mine[j].nll, r[2] = mine[j].tokens, r[3] = mine[j].guide, r[4] = mine[j].guided;
        r[5] = mine[j].align_nll, r[6] = mine[j].align_guide;
    }
    for (int r = 0; r < t->ranks; r++) {
        int first, n;
        shard_range(S, t->ranks, r, &first, &n);
        bytes_of[r] = sizeof(double) * F * (size_t)n;
    }
    dist_allgather(rec, all, bytes_of);
    LossSum total = {0};
    for (int s = 0; s < S; s++) { /* in shard order, as one process adds them */
        const double *r = all + F * s;
        total.loss += r[0];
        total.nll += r[1];
        total.tokens += (int)r[2];
        total.guide += r[3];
        total.guided += (int)r[4];
        total.align_nll += r[5];
        total.align_guide += r[6];
    }
    free(rec), free(all), free(bytes_of);
    return total;
}

LossSum trainer_update(Trainer *t, const TrainData *d, const int *idx, int count) {
    const TrainOptions *o = t->o;
    for (int i = 0; i < count; i++) {
        t->ws.src_ptr[i] = d->src[idx[i]], t->ws.src_len[i] = d->src_len[idx[i]];
        t->ws.tgt_ptr[i] = d->tgt[idx[i]], t->ws.tgt_len[i] = d->tgt_len[idx[i]];
    }
    /* every rank fills the whole minibatch: the loss is scaled by its token count */
    batch_fill(&t->ws.full, count, t->ws.src_ptr, t->ws.src_len, t->ws.tgt_ptr, t->ws.tgt_len);
    if (d->guide) guidance_fill(d->guide, &t->ws.full, idx, count);
    const int S = (count + o->shard_size - 1) / o->shard_size;
    const LossWeights weights = {o->label_smoothing, d->guide ? guidance_weight(o, t->st.update) : 0.0f,
                                 1.0f / (float)t->ws.full.n_tgt_tokens, o->align_weight,
                                 guidance_target(o, &t->m->cfg), o->freeze_translation};
    int first, own;
    shard_range(S, t->ranks, t->rank, &first, &own);
    LossSum sums[own > 0 ? own : 1];
    /* several ranks: the chain starts on each chunk of the gradients as
     * soon as this rank's shards have finished it, while the backward
     * passes go on (the output layer first, the embeddings last); in
     * shared memory, each rank sums the blocks of its slice that every
     * rank has final */
    ShardSum sum = {t, own};
    DistChain *chain = NULL;
    const size_t lo = t->ws.slice_lo[t->rank], hi = lo + t->ws.slice_len[t->rank];
    if (t->ws.shared) {
        /* every rank's stores to the shared weights (rank 0's moving
         * average swapped in and out) before this rank reads them */
        dist_shared_sync(t->ws.shared);
        t->ws.round++, t->ws.n_shards = S, t->ws.summed_from = hi, t->ws.early_blocks = 0;
        for (int r = 0, f, c; r < t->ranks; r++) {
            shard_range(S, t->ranks, r, &f, &c);
            for (int j = 0; j < c; j++) t->ws.shard_grad[f + j] = update_shard_buffer(t, r, j);
        }
        if (own == 0) update_shared_publish(t, 0); /* nothing of its own to wait for */
    } else {
        chain = reduce_begin(t, &sum);
    }
    ShardReady ready[own > 0 ? own : 1];
    GradReady hooks[own > 0 ? own : 1];
    for (int j = 0; j < own; j++) {
        t->ws.ready[j] = t->n_params; /* nothing final */
        ready[j] = (ShardReady){t, chain, j, own};
        hooks[j] = (GradReady){shard_ready, &ready[j]};
    }
#pragma omp parallel for schedule(static, 1) num_threads(o->threads)
    for (int j = 0; j < own; j++) {
        /* near-equal shards: sizes depend on count and S only */
        const int s = first + j;
        int lo = (int)((long)count * s / S), hi = (int)((long)count * (s + 1) / S);
        batch_slice(&t->ws.shards[j], &t->ws.full, lo, hi - lo);
        memset(t->ws.grads[j], 0, sizeof(float) * t->n_params);
        Rng rng; /* seeded by the shard's number, not by who computes it */
        rng_seed(&rng, o->seed, (uint64_t)t->st.update * 4096u + (uint64_t)s);
        arena_reset(&t->ws.arenas[j]);
        sums[j] = seq2seq_train_step(&t->m->p, &t->ws.gviews[j], &t->m->cfg, &t->ws.shards[j], &weights, &rng,
                                     &t->ws.arenas[j], t->ranks > 1 ? &hooks[j] : NULL);
    }
    const double t0 = now_seconds();
    float *total;
    if (t->ws.shared) {
        update_shared_publish(t, 0);
        update_shared_finish(t);
        total = t->ws.grads[0];
        t->early_chunks += t->ws.early_blocks;
        t->all_chunks += hi > lo ? (long)((hi - 1) / UPDATE_SUM_BLOCK - lo / UPDATE_SUM_BLOCK + 1) : 0;
    } else {
        size_t chunks;
        t->early_chunks += (long)dist_chain_passed(chain, &chunks);
        t->all_chunks += (long)chunks;
        t->early_totals += (long)dist_chain_kept(chain, &chunks);
        t->kept_totals += (long)chunks;
        total = dist_chain_end(chain);
    }
    /* in shared memory, also the moment every rank is done reading the
     * weights for this update (its backward pass is over) */
    double norm[OPTIM_GROUPS];
    global_grad_norm(t, total, norm);
    const double t1 = now_seconds();
    optim_step_range(&t->opt, t->m->params, total, trainer_lr(t), norm, lo, hi);
    const double t2 = now_seconds();
    if (t->ws.shared) /* every slice written before any rank reads the weights again */
        dist_shared_barrier(t->ws.shared);
    else if (t->ws.shard_optimizer)
        dist_allgather_floats(t->m->params, t->ws.slice_lo, t->ws.slice_len); /* every rank's slice */
    if (t->ranks > 1) {
        t->comm_seconds += (t1 - t0) + (now_seconds() - t2);
        t->comm_updates++;
    }
    if (o->precision == GEMM_BF16) gemm_weights_refresh(t->m->params); /* the weights' bf16 copy */
    return gather_losses(t, sums, S, own);
}
