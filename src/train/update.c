/* update.c — see update.h. */
#include "train/update.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/util.h"
#include "train/guidance.h"

void trainer_use_average(Trainer *t, int on) {
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
    if (d->guide) guidance_fill(d->guide, &t->full, idx, count, guidance_weight(o, t->st.update));
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
    if (S > 1) { /* sum the shards' gradients into the first, in shard order */
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
        total.guide += sums[s].guide;
        total.guided += sums[s].guided;
    }
    return total;
}
