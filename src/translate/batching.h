/* batching.h — how a chunk of sentences is cut into batches, the same way
 * for translation and for scoring.
 *
 * Sentences are grouped into sort windows by their position in the input
 * (window consecutive positions each); inside a window they are sorted by
 * length, longest first (then by a second length, then by input order),
 * and cut into batches of at most max_batch sentences whose cost stays
 * within a budget. Batches never cross a window, so they depend only on
 * the input and the options, never on the thread count or on how the
 * input was chunked. The batches come out most costly first, so that
 * parallel workers (OpenMP, dynamic schedule) finish together. */
#ifndef NMT_BATCHING_H
#define NMT_BATCHING_H

/* The cost of a batch of count sentences whose longest first length is len
 * and whose largest second length is len2 (e.g. activations to allocate). */
typedef long (*BatchCost)(const void *ctx, int count, int len, int len2);

typedef struct {
    int start, count; /* items order[start .. start+count) */
    long cost;
} BatchTask;

typedef struct {
    int *order;       /* [n] sentence indices, sorted inside their windows */
    BatchTask *tasks; /* most costly first */
    int n_tasks;
} BatchPlan;

/* Plan n sentences with lengths len[i] (and len2[i], or NULL for none) at
 * input positions pos[i] (ascending). */
void batch_plan_make(BatchPlan *p, int n, const int *len, const int *len2, const long *pos, long window, int max_batch,
                     long budget, BatchCost cost, const void *ctx);
void batch_plan_free(BatchPlan *p);

#endif
