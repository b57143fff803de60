/* hashmap.h — the two hash tables the text pipeline needs.
 *
 * StrTable interns byte strings: each distinct string gets a dense id
 * 0, 1, 2... in insertion order, so callers keep per-string data (counts,
 * flags, cached segmentations) in plain arrays indexed by that id.
 * U64Map maps 64-bit keys (two packed 32-bit ids) to an int, for BPE pairs. */
#ifndef NMT_VOCAB_HASHMAP_H
#define NMT_VOCAB_HASHMAP_H

#include <stddef.h>
#include <stdint.h>

typedef struct {
    int n;            /* strings interned */
    size_t nslots;    /* power of two, or 0 before the first insert */
    int *slots;       /* id + 1, 0 when empty */
    uint64_t *hash;   /* per id */
    size_t *off;      /* per id: offset in arena */
    uint32_t *len;    /* per id */
    char *arena;      /* the strings, each NUL-terminated */
    size_t arena_len, arena_cap;
    int cap;          /* capacity of the per-id arrays */
} StrTable;

uint64_t hash_bytes(const void *data, size_t n);
/* Id of the string, or -1. */
int strtab_find(const StrTable *t, const char *s, size_t n);
/* Id of the string, inserting it when new (then *added = 1 if added is given). */
int strtab_intern(StrTable *t, const char *s, size_t n, int *added);
static inline const char *strtab_str(const StrTable *t, int id) { return t->arena + t->off[id]; }
static inline size_t strtab_len(const StrTable *t, int id) { return t->len[id]; }
void strtab_clear(StrTable *t); /* forget every string, keep the memory */
void strtab_free(StrTable *t);

typedef struct {
    size_t n, nslots; /* nslots: power of two or 0 */
    uint64_t *keys;
    int *vals;
    unsigned char *used;
} U64Map;

static inline uint64_t u64_pair(int a, int b) { return (uint64_t)(uint32_t)a << 32 | (uint32_t)b; }
/* Pointer to the value of key, or NULL. */
int *u64map_get(const U64Map *m, uint64_t key);
/* Pointer to the value of key, inserting it with value init when absent.
 * The pointer is valid until the next insert. */
int *u64map_put(U64Map *m, uint64_t key, int init);
void u64map_free(U64Map *m);

#endif
