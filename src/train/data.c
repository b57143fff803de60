/* data.c — see data.h. */
#include "train/data.h"

#include <stdlib.h>
#include <string.h>

#include "nn/rng.h"
#include "sys/util.h"

enum { POOL_BATCHES = 64 };

typedef struct {
    int src_len, tgt_len, index;
} SortKey;

static int by_length(const void *a, const void *b) {
    const SortKey *x = a, *y = b;
    if (x->src_len != y->src_len) return x->src_len - y->src_len;
    if (x->tgt_len != y->tgt_len) return x->tgt_len - y->tgt_len;
    return x->index - y->index; /* a total order: the plan never depends on qsort's tie handling */
}

/* Sort the pair indices idx[0..n) by (source length, target length, index). */
static void sort_range(const TrainData *d, int *idx, int n) {
    SortKey *keys = xmalloc(sizeof(SortKey) * (size_t)(n + 1));
    for (int i = 0; i < n; i++) keys[i] = (SortKey){d->src_len[idx[i]], d->tgt_len[idx[i]], idx[i]};
    qsort(keys, (size_t)n, sizeof(SortKey), by_length);
    for (int i = 0; i < n; i++) idx[i] = keys[i].index;
    free(keys);
}

static void cut_batches(EpochPlan *plan, int n, int batch) {
    plan->n_batches = (n + batch - 1) / batch;
    plan->start = xmalloc(sizeof(int) * (size_t)(plan->n_batches + 1));
    plan->count = xmalloc(sizeof(int) * (size_t)(plan->n_batches + 1));
    for (int b = 0; b < plan->n_batches; b++) {
        plan->start[b] = b * batch;
        plan->count[b] = (b + 1) * batch <= n ? batch : n - b * batch;
    }
}

void epoch_plan(EpochPlan *plan, const TrainData *d, int batch, uint64_t seed, int epoch) {
    Rng rng;
    rng_seed(&rng, seed, 0x5eed0000ull + (uint64_t)epoch);
    int *idx = xmalloc(sizeof(int) * (size_t)(d->n + 1));
    for (int i = 0; i < d->n; i++) idx[i] = i;
    rng_shuffle(&rng, idx, d->n);
    const int pool = batch * POOL_BATCHES;
    for (int lo = 0; lo < d->n; lo += pool) sort_range(d, idx + lo, d->n - lo < pool ? d->n - lo : pool);
    /* batches are cut inside each pool, then visited in a shuffled order */
    int n_batches = 0;
    int *starts = xmalloc(sizeof(int) * (size_t)(d->n + 1)), *counts = xmalloc(sizeof(int) * (size_t)(d->n + 1));
    for (int lo = 0; lo < d->n; lo += pool) {
        int hi = d->n - lo < pool ? d->n : lo + pool;
        for (int s = lo; s < hi; s += batch) {
            starts[n_batches] = s;
            counts[n_batches++] = hi - s < batch ? hi - s : batch;
        }
    }
    int *perm = xmalloc(sizeof(int) * (size_t)(n_batches + 1));
    for (int b = 0; b < n_batches; b++) perm[b] = b;
    rng_shuffle(&rng, perm, n_batches);
    plan->n_batches = n_batches;
    plan->order = xmalloc(sizeof(int) * (size_t)(d->n + 1));
    plan->start = xmalloc(sizeof(int) * (size_t)(n_batches + 1));
    plan->count = xmalloc(sizeof(int) * (size_t)(n_batches + 1));
    int pos = 0;
    for (int b = 0; b < n_batches; b++) {
        plan->start[b] = pos;
        plan->count[b] = counts[perm[b]];
        memcpy(plan->order + pos, idx + starts[perm[b]], sizeof(int) * (size_t)counts[perm[b]]);
        pos += counts[perm[b]];
    }
    free(perm);
    free(starts);
    free(counts);
    free(idx);
}

void sorted_plan(EpochPlan *plan, const TrainData *d, int batch) {
    plan->order = xmalloc(sizeof(int) * (size_t)(d->n + 1));
    for (int i = 0; i < d->n; i++) plan->order[i] = i;
    sort_range(d, plan->order, d->n);
    cut_batches(plan, d->n, batch);
}

void epoch_plan_free(EpochPlan *plan) {
    free(plan->order);
    free(plan->start);
    free(plan->count);
    memset(plan, 0, sizeof *plan);
}

TrainData train_data_from_corpus(const ParallelCorpus *c) {
    TrainData d = {.n = c->n};
    d.src = xmalloc(sizeof(int *) * (size_t)(c->n + 1));
    d.tgt = xmalloc(sizeof(int *) * (size_t)(c->n + 1));
    d.src_len = xmalloc(sizeof(int) * (size_t)(c->n + 1));
    d.tgt_len = xmalloc(sizeof(int) * (size_t)(c->n + 1));
    for (int i = 0; i < c->n; i++) {
        d.src[i] = c->pairs[i].src, d.src_len[i] = c->pairs[i].src_len;
        d.tgt[i] = c->pairs[i].tgt, d.tgt_len[i] = c->pairs[i].tgt_len;
        d.total_tgt_tokens += c->pairs[i].tgt_len + 1;
    }
    return d;
}

void train_data_free_views(TrainData *d) {
    free(d->src), free(d->tgt), free(d->src_len), free(d->tgt_len);
    d->src = d->tgt = NULL, d->src_len = d->tgt_len = NULL;
}
