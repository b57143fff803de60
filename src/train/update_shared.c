/* update_shared.c — see update_shared.h. */
#include "train/update_shared.h"

#include <omp.h>
#include <sched.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sys/dist.h"
#include "sys/util.h"

/* Bytes of n floats, rounded up to whole pages: each buffer in the shared
 * memory starts on a page of its own. */
static size_t shared_floats_bytes(size_t n) { return (sizeof(float) * n + 4095) / 4096 * 4096; }
enum { PROGRESS_BYTES = 4096 }; /* a rank's progress word, alone on its page (no false sharing) */

/* Shard j of rank r's gradient buffer, in this process's address space. */
float *update_shard_buffer(const Trainer *t, int r, int j) {
    const size_t buf = shared_floats_bytes(t->n_params), weights = r == 0 ? buf : 0;
    return (float *)((char *)dist_shared_part(t->ws.shared, r) + PROGRESS_BYTES + weights + (size_t)j * buf);
}

/* All ranks on one host: the weights (in rank 0's part) and every rank's
 * gradient buffers (in its own part) go into memory they share, unless
 * NMT_DIST_SHARED=0 (any rank) or it cannot be made (dist_shared_new says
 * why). Collective. The weights are copied in, each rank its slice: they
 * are the same on every rank (agree.c checks the starting weights). */
void update_share_memory(Trainer *t, int S_max) {
    const char *env = getenv("NMT_DIST_SHARED");
    if (dist_or(env && !strcmp(env, "0"))) return;
    const size_t n = t->n_params, buf = shared_floats_bytes(n);
    const size_t weights = t->rank == 0 ? buf : 0;
    t->ws.shared = dist_shared_new(PROGRESS_BYTES + weights + (size_t)t->ws.max_shards * buf);
    if (!t->ws.shared) return;
    t->ws.progress = xcalloc((size_t)t->ranks, sizeof(uint64_t *));
    t->ws.shard_grad = xcalloc((size_t)S_max, sizeof(float *));
    for (int r = 0; r < t->ranks; r++) t->ws.progress[r] = dist_shared_part(t->ws.shared, r);
    *t->ws.progress[t->rank] = 0; /* round 0: nothing final */
    for (int s = 0; s < t->ws.max_shards; s++) t->ws.grads[s] = update_shard_buffer(t, t->rank, s);
    float *w = (float *)((char *)dist_shared_part(t->ws.shared, 0) + PROGRESS_BYTES);
    const size_t lo = t->ws.slice_lo[t->rank];
    memcpy(w + lo, t->m->params + lo, sizeof(float) * t->ws.slice_len[t->rank]);
    t->ws.own_params = t->m->params;
    t->m->params = w;
    model_bind(&t->m->cfg, w, &t->m->p);
    dist_shared_barrier(t->ws.shared);
}

/* The weights back in the model's own buffer (every rank copies them all),
 * before the shared memory goes. Collective. */
void update_unshare_memory(Trainer *t) {
    dist_shared_barrier(t->ws.shared);
    memcpy(t->ws.own_params, t->m->params, sizeof(float) * t->n_params);
    t->m->params = t->ws.own_params;
    model_bind(&t->m->cfg, t->m->params, &t->m->p);
}

/* ---- the shared memory's way (all ranks on one host) ----
 * Each rank publishes in its progress word how far its shards' gradients
 * are final, as round * (n + 1) + (n - from): the words only grow, so a
 * word still from the round before reads as nothing final, and no rank
 * resets its word while another may still read it. */
void update_shared_publish(Trainer *t, size_t from) {
    const uint64_t n1 = (uint64_t)t->n_params + 1;
    dist_shared_sync(t->ws.shared); /* the gradients before the word that vouches for them */
    __atomic_store_n(t->ws.progress[t->rank], t->ws.round * n1 + (t->n_params - from), __ATOMIC_RELEASE);
}

/* Where every rank's gradients are final from: [from, n) on all of them. */
static size_t shared_final_from(Trainer *t) {
    const uint64_t n1 = (uint64_t)t->n_params + 1, base = t->ws.round * n1;
    size_t from = 0;
    for (int r = 0; r < t->ranks && from < t->n_params; r++) {
        const uint64_t w = __atomic_load_n(t->ws.progress[r], __ATOMIC_ACQUIRE);
        const size_t f = w < base ? t->n_params : t->n_params - (size_t)(w - base);
        from = f > from ? f : from;
    }
    dist_shared_sync(t->ws.shared); /* the word before the gradients it vouches for */
    return from;
}

/* Elements summed at a time: whole norm chunks, a few hundred KB of each
 * buffer (the sum's output is still in cache for the norm's squares). */

/* grads[0] = g_0 + g_1 + ... + g_{S-1}, left to right, on elements
 * [lo, hi) of this rank's slice, reading every shard's buffer where it is
 * (in the rank that computes it): the very additions one process makes.
 * Only this rank reads or writes these elements of its own grads[0] (the
 * other ranks read theirs in their own slices), so the sum goes in place. */
static void sum_shared(Trainer *t, size_t lo, size_t hi) {
    float *const *g = t->ws.shard_grad, *out = t->ws.grads[0];
    const int S = t->ws.n_shards;
    const long a = (long)lo, b = (long)hi;
    /* inside the shards' loop (during a backward pass) this thread alone */
#pragma omp parallel for schedule(static) num_threads(omp_in_parallel() ? 1 : t->o->threads)
    for (long i = a; i < b; i++) {
        float sum = g[0][i];
        for (int s = 1; s < S; s++) sum += g[s][i];
        out[i] = sum;
    }
}

/* Sums the blocks of this rank's slice that every rank has final, from
 * the end of the slice (what the backward pass finishes first), and their
 * norm chunks' squares; returns how many blocks. */
int update_shared_advance(Trainer *t) {
    const size_t lo = t->ws.slice_lo[t->rank];
    if (t->ws.summed_from <= lo) return 0;
    const size_t ready = shared_final_from(t);
    size_t c_lo, c_hi;
    update_slice_chunks(t, t->rank, &c_lo, &c_hi);
    int blocks = 0;
    while (t->ws.summed_from > lo) {
        const size_t hi = t->ws.summed_from, b = (hi - 1) / UPDATE_SUM_BLOCK * UPDATE_SUM_BLOCK, a = b > lo ? b : lo;
        if (a < ready) break;
        sum_shared(t, a, hi);
        grad_norm_partials(t->ws.grads[0], t->n_params, t->opt.split, a / OPTIM_CHUNK, optim_chunks(hi),
                           t->ws.norm_mine + OPTIM_GROUPS * (a / OPTIM_CHUNK - c_lo));
        t->ws.summed_from = a, blocks++;
    }
    return blocks;
}

/* The rest of this rank's slice, once every rank has it final. The other
 * ranks may still be in their backward passes: this one waits, giving its
 * core away (more ranks than cores must not starve the one it waits for). */
void update_shared_finish(Trainer *t) {
    for (int idle = 0; t->ws.summed_from > t->ws.slice_lo[t->rank];) {
        if (update_shared_advance(t)) {
            idle = 0;
        } else if (++idle < 100) {
            sched_yield();
        } else {
            struct timespec pause = {0, 20000};
            nanosleep(&pause, NULL);
        }
    }
}

