/* batching.c — see batching.h. */
#include "translate/batching.h"

#include <stdlib.h>

#include "sys/util.h"

typedef struct {
    int len, len2, index, end; /* end: one past the last item of its window */
} Item;

static int by_length(const void *a, const void *b) {
    const Item *x = a, *y = b;
    if (x->len != y->len) return x->len > y->len ? -1 : 1;
    if (x->len2 != y->len2) return x->len2 > y->len2 ? -1 : 1;
    return (x->index > y->index) - (x->index < y->index);
}

static int by_cost(const void *a, const void *b) {
    const BatchTask *x = a, *y = b;
    if (x->cost != y->cost) return x->cost > y->cost ? -1 : 1;
    return (x->start > y->start) - (x->start < y->start);
}

void batch_plan_make(BatchPlan *p, int n, const int *len, const int *len2, const long *pos, long window, int max_batch,
                     long budget, BatchCost cost, const void *ctx) {
    Item *items = xmalloc(sizeof(Item) * (size_t)(n + 1));
    for (int i = 0; i < n; i++) items[i] = (Item){len[i], len2 ? len2[i] : 0, i, 0};
    /* sort inside each window of positions, and mark each item's window end */
    for (int lo = 0; lo < n;) {
        long w = pos[lo] / window;
        int hi = lo + 1;
        while (hi < n && pos[hi] / window == w) hi++;
        qsort(items + lo, (size_t)(hi - lo), sizeof(Item), by_length);
        for (int k = lo; k < hi; k++) items[k].end = hi;
        lo = hi;
    }
    p->tasks = xmalloc(sizeof(BatchTask) * (size_t)(n + 1));
    p->n_tasks = 0;
    for (int k = 0; k < n;) {
        /* sorted: the first is the longest; the second length may still grow */
        const int end = items[k].end, first = items[k].len;
        int count = 1, second = items[k].len2;
        while (k + count < end && count < max_batch) {
            int s2 = items[k + count].len2 > second ? items[k + count].len2 : second;
            if (cost(ctx, count + 1, first, s2) > budget) break;
            second = s2;
            count++;
        }
        p->tasks[p->n_tasks++] = (BatchTask){k, count, cost(ctx, count, first, second)};
        k += count;
    }
    qsort(p->tasks, (size_t)p->n_tasks, sizeof(BatchTask), by_cost);
    p->order = xmalloc(sizeof(int) * (size_t)(n + 1));
    for (int k = 0; k < n; k++) p->order[k] = items[k].index;
    free(items);
}

void batch_plan_free(BatchPlan *p) {
    free(p->order);
    free(p->tasks);
}
