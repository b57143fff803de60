/* gemm_dnnl_choice.c — see gemm_dnnl_choice.h. */
#include "nn/gemm_dnnl_choice.h"

#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The implementation chosen for each key: an open-addressed table, grown
 * at half load, under one lock. impl "" = refused. */
typedef struct {
    unsigned char key[GEMM_DNNL_KEY_BYTES];
    size_t key_bytes;
    int used;
    char impl[GEMM_DNNL_IMPL_CHARS];
} Choice;

static Choice *choices;
static size_t choices_cap, choices_count;
static pthread_mutex_t choices_lock = PTHREAD_MUTEX_INITIALIZER;

static size_t choice_hash(const unsigned char *k, size_t n) {
    uint64_t h = 1469598103934665603u;
    for (size_t i = 0; i < n; i++) h = (h ^ k[i]) * 1099511628211u;
    return (size_t)(h ^ (h >> 29));
}

/* The slot of k (found or free); choices_lock held, table not full. */
static Choice *choice_slot(Choice *table, size_t cap, const unsigned char *k, size_t n) {
    for (size_t i = choice_hash(k, n) & (cap - 1);; i = (i + 1) & (cap - 1))
        if (!table[i].used || (table[i].key_bytes == n && memcmp(table[i].key, k, n) == 0)) return &table[i];
}

/* The recorded choice for k, or NULL; choices_lock held. */
static const Choice *choice_find(const unsigned char *k, size_t n) {
    return choices ? choice_slot(choices, choices_cap, k, n) : NULL;
}

/* Record impl for k (new keys only); choices_lock held. 0, or -1 out of memory. */
static int choice_record(const unsigned char *k, size_t n, const char *impl) {
    if (2 * (choices_count + 1) > choices_cap) {
        const size_t cap = choices_cap ? 2 * choices_cap : 1024;
        Choice *table = calloc(cap, sizeof *table);
        if (!table) return -1;
        for (size_t i = 0; i < choices_cap; i++)
            if (choices[i].used) *choice_slot(table, cap, choices[i].key, choices[i].key_bytes) = choices[i];
        free(choices);
        choices = table, choices_cap = cap;
    }
    Choice *c = choice_slot(choices, choices_cap, k, n);
    memcpy(c->key, k, n);
    c->key_bytes = n;
    c->used = 1;
    snprintf(c->impl, sizeof c->impl, "%s", impl);
    choices_count++;
    return 0;
}

const char *gemm_dnnl_pd_impl(const_dnnl_primitive_desc_t pd) {
    const char *impl = NULL;
    return dnnl_primitive_desc_query(pd, dnnl_query_impl_info_str, 0, &impl) == dnnl_success && impl ? impl : "?";
}

/* The first implementation on oneDNN's list named `want` (any, when NULL):
 * 0 with *pd set, or -1. */
static int walk_to(dnnl_primitive_desc_t *pd, const dnnl_matmul_desc_t *desc, const_dnnl_primitive_attr_t attr,
                   dnnl_engine_t engine, const char *want) {
    dnnl_primitive_desc_iterator_t it;
    *pd = NULL;
    if (dnnl_primitive_desc_iterator_create(&it, desc, attr, engine, NULL) != dnnl_success) return -1;
    do {
        dnnl_primitive_desc_t p = dnnl_primitive_desc_iterator_fetch(it);
        if (p && (!want || strcmp(gemm_dnnl_pd_impl(p), want) == 0)) {
            *pd = p;
            break;
        }
        if (p) dnnl_primitive_desc_destroy(p);
    } while (dnnl_primitive_desc_iterator_next(it) == dnnl_success);
    dnnl_primitive_desc_iterator_destroy(it);
    return *pd ? 0 : -1;
}

int gemm_dnnl_settled_pd(dnnl_primitive_desc_t *pd, const dnnl_matmul_desc_t *desc, const_dnnl_primitive_attr_t attr,
                         dnnl_engine_t engine, const void *key, size_t key_bytes, const char *prefer) {
    const unsigned char *k = key;
    if (key_bytes > GEMM_DNNL_KEY_BYTES) return -1;
    int done = -1;
    pthread_mutex_lock(&choices_lock);
    const Choice *c = choice_find(k, key_bytes);
    if (c && c->used) {
        for (int tries = 0; c->impl[0] && done != 0 && tries < 3; tries++) done = walk_to(pd, desc, attr, engine, c->impl);
    } else {
        done = prefer ? walk_to(pd, desc, attr, engine, prefer) : -1;
        if (done != 0) done = walk_to(pd, desc, attr, engine, NULL);
        if (choice_record(k, key_bytes, done == 0 ? gemm_dnnl_pd_impl(*pd) : "") != 0 && done == 0) {
            dnnl_primitive_desc_destroy(*pd); /* unrecorded: not made at all */
            done = -1;
        }
    }
    pthread_mutex_unlock(&choices_lock);
    if (done != 0) *pd = NULL;
    return done;
}
