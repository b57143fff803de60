/* hashmap.c — see hashmap.h. Open addressing with linear probing. */
#include "sys/hashmap.h"

#include <stdlib.h>
#include <string.h>

#include "sys/util.h"

uint64_t hash_bytes(const void *data, size_t n) {
    /* FNV-1a over 8-byte words where possible, finished with a 64-bit mixer. */
    const unsigned char *p = data;
    uint64_t h = 0xcbf29ce484222325ull ^ n;
    while (n >= 8) {
        uint64_t w;
        memcpy(&w, p, 8);
        h = (h ^ w) * 0x100000001b3ull;
        h ^= h >> 29;
        p += 8;
        n -= 8;
    }
    while (n--) h = (h ^ *p++) * 0x100000001b3ull;
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdull;
    h ^= h >> 33;
    return h;
}

static void strtab_rehash(StrTable *t, size_t nslots) {
    free(t->slots);
    t->slots = xcalloc(nslots, sizeof *t->slots);
    t->nslots = nslots;
    for (int id = 0; id < t->n; id++) {
        size_t i = t->hash[id] & (nslots - 1);
        while (t->slots[i]) i = (i + 1) & (nslots - 1);
        t->slots[i] = id + 1;
    }
}

static int strtab_lookup(const StrTable *t, const char *s, size_t n, uint64_t h, size_t *slot) {
    if (!t->nslots) return -1;
    size_t i = h & (t->nslots - 1);
    for (;;) {
        int e = t->slots[i];
        if (!e) {
            *slot = i;
            return -1;
        }
        int id = e - 1;
        if (t->hash[id] == h && t->len[id] == n && memcmp(t->arena + t->off[id], s, n) == 0) return id;
        i = (i + 1) & (t->nslots - 1);
    }
}

int strtab_find(const StrTable *t, const char *s, size_t n) {
    size_t slot;
    return strtab_lookup(t, s, n, hash_bytes(s, n), &slot);
}

int strtab_intern(StrTable *t, const char *s, size_t n, int *added) {
    uint64_t h = hash_bytes(s, n);
    size_t slot = 0;
    int id = strtab_lookup(t, s, n, h, &slot);
    if (added) *added = id < 0;
    if (id >= 0) return id;
    if ((size_t)(t->n + 1) * 4 > t->nslots * 3) {
        strtab_rehash(t, t->nslots ? t->nslots * 2 : 64);
        strtab_lookup(t, s, n, h, &slot);
    }
    if (t->n == t->cap) {
        t->cap = t->cap ? t->cap * 2 : 64;
        t->hash = xrealloc(t->hash, (size_t)t->cap * sizeof *t->hash);
        t->off = xrealloc(t->off, (size_t)t->cap * sizeof *t->off);
        t->len = xrealloc(t->len, (size_t)t->cap * sizeof *t->len);
    }
    if (t->arena_len + n + 1 > t->arena_cap) {
        size_t cap = t->arena_cap ? t->arena_cap : 1024;
        while (cap < t->arena_len + n + 1) cap *= 2;
        t->arena = xrealloc(t->arena, cap);
        t->arena_cap = cap;
    }
    id = t->n++;
    t->hash[id] = h;
    t->off[id] = t->arena_len;
    t->len[id] = (uint32_t)n;
    memcpy(t->arena + t->arena_len, s, n);
    t->arena[t->arena_len + n] = '\0';
    t->arena_len += n + 1;
    t->slots[slot] = id + 1;
    return id;
}

void strtab_clear(StrTable *t) {
    if (t->nslots) memset(t->slots, 0, t->nslots * sizeof *t->slots);
    t->n = 0;
    t->arena_len = 0;
}

void strtab_free(StrTable *t) {
    free(t->slots);
    free(t->hash);
    free(t->off);
    free(t->len);
    free(t->arena);
    memset(t, 0, sizeof *t);
}

static size_t u64_slot(uint64_t key, size_t nslots) {
    key ^= key >> 31;
    key *= 0x9e3779b97f4a7c15ull;
    key ^= key >> 29;
    return key & (nslots - 1);
}

int *u64map_get(const U64Map *m, uint64_t key) {
    if (!m->nslots) return NULL;
    for (size_t i = u64_slot(key, m->nslots);; i = (i + 1) & (m->nslots - 1)) {
        if (!m->used[i]) return NULL;
        if (m->keys[i] == key) return &m->vals[i];
    }
}

static void u64map_grow(U64Map *m) {
    U64Map g = {0};
    g.nslots = m->nslots ? m->nslots * 2 : 64;
    g.keys = xmalloc(g.nslots * sizeof *g.keys);
    g.vals = xmalloc(g.nslots * sizeof *g.vals);
    g.used = xcalloc(g.nslots, 1);
    for (size_t i = 0; i < m->nslots; i++)
        if (m->used[i]) *u64map_put(&g, m->keys[i], 0) = m->vals[i];
    u64map_free(m);
    *m = g;
}

int *u64map_put(U64Map *m, uint64_t key, int init) {
    if ((m->n + 1) * 4 > m->nslots * 3) u64map_grow(m);
    size_t i = u64_slot(key, m->nslots);
    while (m->used[i]) {
        if (m->keys[i] == key) return &m->vals[i];
        i = (i + 1) & (m->nslots - 1);
    }
    m->used[i] = 1;
    m->keys[i] = key;
    m->vals[i] = init;
    m->n++;
    return &m->vals[i];
}

void u64map_free(U64Map *m) {
    free(m->keys);
    free(m->vals);
    free(m->used);
    memset(m, 0, sizeof *m);
}
