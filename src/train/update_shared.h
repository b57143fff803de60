/* update_shared.h — inside train/: the ranks of one host summing their
 * gradients and keeping their weights in MPI shared memory
 * (update_shared.c), the way update.c takes instead of the chain of
 * messages when it can (docs/scale-out.md, "one host in shared memory").
 * Every function takes the trainer of update.h; the collective ones must
 * be called by every rank. */
#ifndef NMT_TRAIN_UPDATE_SHARED_H
#define NMT_TRAIN_UPDATE_SHARED_H

#include "train/update.h"

/* Elements summed at a time: whole norm chunks, a few hundred KB of each
 * buffer (the sum's output is still in cache for the norm's squares). */
enum { UPDATE_SUM_BLOCK = 16 * OPTIM_CHUNK };

/* The norm chunks [*c_lo, *c_hi) of rank r's optimizer slice (whole
 * chunks, but for the last; none for a rank without a slice). */
static inline void update_slice_chunks(const Trainer *t, int r, size_t *c_lo, size_t *c_hi) {
    *c_lo = t->ws.slice_lo[r] / OPTIM_CHUNK;
    *c_hi = t->ws.slice_len[r] ? optim_chunks(t->ws.slice_lo[r] + t->ws.slice_len[r]) : *c_lo;
}

/* Weights and gradient buffers into shared memory (collective; leaves
 * t->ws.shared NULL when it cannot or must not), and the weights back out. */
void update_share_memory(Trainer *t, int S_max);
void update_unshare_memory(Trainer *t);
/* Shard j of rank r's gradient buffer, in this process's address space. */
float *update_shard_buffer(const Trainer *t, int r, int j);
/* This rank's gradients are final on [from, n). */
void update_shared_publish(Trainer *t, size_t from);
/* Sums what every rank has final of this rank's slice; returns the blocks summed. */
int update_shared_advance(Trainer *t);
/* The rest of this rank's slice, waiting for the other ranks. */
void update_shared_finish(Trainer *t);

#endif
