/* support.h — the generator's own PRNG (splitmix64), weighted choice, and a
 * string map; only libc, so the corpus is the same on every platform.
 * Included once, by generate.c. */
#ifndef TOY_SUPPORT_H
#define TOY_SUPPORT_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------------ PRNG */
typedef struct { uint64_t s; } Rng;
static uint64_t rng_next(Rng *r) { /* splitmix64 */
    uint64_t z = (r->s += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}
static int below(Rng *r, int n) { return (int)((rng_next(r) >> 33) % (uint64_t)n); }
static int chance(Rng *r, int percent) { return below(r, 100) < percent; }
/* index from a list of integer weights terminated by -1 */
static int pick_w(Rng *r, const int *w) {
    int tot = 0, i;
    for (i = 0; w[i] >= 0; i++) tot += w[i];
    int x = below(r, tot);
    for (i = 0; w[i] >= 0; i++) {
        if (x < w[i]) return i;
        x -= w[i];
    }
    return 0;
}

static void die(const char *msg, const char *arg) {
    fprintf(stderr, "gen: %s%s%s\n", msg, arg ? " " : "", arg ? arg : "");
    exit(1);
}

/* ------------------------------------------------------------ string set */
typedef struct { char **key; char **val; size_t cap, n; } Map;
static uint64_t fnv(const char *s) {
    uint64_t h = 1469598103934665603ULL;
    while (*s) { h ^= (unsigned char)*s++; h *= 1099511628211ULL; }
    return h;
}
static char *xstrdup(const char *s) {
    size_t n = strlen(s) + 1;
    char *p = malloc(n);
    if (!p) die("out of memory", NULL);
    memcpy(p, s, n);
    return p;
}
static void map_init(Map *m, size_t cap) {
    m->cap = cap; m->n = 0;
    m->key = calloc(cap, sizeof *m->key);
    m->val = calloc(cap, sizeof *m->val);
    if (!m->key || !m->val) die("out of memory", NULL);
}
static void map_free(Map *m) {
    for (size_t i = 0; i < m->cap; i++) { free(m->key[i]); free(m->val[i]); }
    free(m->key); free(m->val);
}
/* slot of key (existing or empty) */
static size_t map_slot(const Map *m, const char *k) {
    size_t i = (size_t)(fnv(k) % m->cap);
    while (m->key[i] && strcmp(m->key[i], k) != 0) i = (i + 1) % m->cap;
    return i;
}
static void map_grow(Map *m) {
    Map nm;
    map_init(&nm, m->cap * 2);
    for (size_t i = 0; i < m->cap; i++)
        if (m->key[i]) {
            size_t j = map_slot(&nm, m->key[i]);
            nm.key[j] = m->key[i]; nm.val[j] = m->val[i]; nm.n++;
        }
    free(m->key); free(m->val);
    *m = nm;
}
/* 1 if inserted, 0 if present (*old = stored value) */
static int map_put(Map *m, const char *k, const char *v, const char **old) {
    if (2 * (m->n + 1) > m->cap) map_grow(m);
    size_t i = map_slot(m, k);
    if (m->key[i]) { if (old) *old = m->val[i]; return 0; }
    m->key[i] = xstrdup(k);
    m->val[i] = v ? xstrdup(v) : NULL;
    m->n++;
    return 1;
}


#endif
