/* rng.h — a small deterministic random number generator (xoshiro128+ style
 * state seeded by splitmix64). The whole state is a plain struct so that
 * checkpoints can store it and runs can be resumed bit for bit. */
#ifndef NMT_RNG_H
#define NMT_RNG_H

#include <stdint.h>

typedef struct {
    uint64_t s[2];
} Rng;

/* Seed from a 64-bit value and a stream number: rng_seed(&r, seed, k) gives
 * independent streams for different k (used per shard and per update). */
void rng_seed(Rng *r, uint64_t seed, uint64_t stream);
uint64_t rng_next(Rng *r);
/* Uniform in [0, 1). */
float rng_uniform(Rng *r);
/* Uniform integer in [0, n). */
uint32_t rng_below(Rng *r, uint32_t n);
/* Standard normal (Box-Muller). */
float rng_normal(Rng *r);
/* Fisher-Yates shuffle of n ints. */
void rng_shuffle(Rng *r, int *a, int n);

#endif
