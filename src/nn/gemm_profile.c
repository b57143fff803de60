/* gemm_profile.c — see gemm_profile.h. */
#include "nn/gemm_profile.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

enum { MAX_SHAPES = 4096 };

int gemm_profiling;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static GemmShapeTime shapes[MAX_SHAPES + 1]; /* the last: every shape beyond MAX_SHAPES */
static int nshapes;

void gemm_profile(int on) {
    pthread_mutex_lock(&lock);
    if (on) nshapes = 0, memset(shapes, 0, sizeof shapes);
    gemm_profiling = on;
    pthread_mutex_unlock(&lock);
}

void gemm_profile_add(int ta, int tb, int M, int N, int K, int precision, double seconds) {
    pthread_mutex_lock(&lock); /* a profile, not a hot path: a lock keeps it simple */
    int i = 0;
    while (i < nshapes && !(shapes[i].ta == ta && shapes[i].tb == tb && shapes[i].M == M && shapes[i].N == N &&
                            shapes[i].K == K && shapes[i].precision == precision))
        i++;
    if (i == nshapes) {
        if (nshapes < MAX_SHAPES) shapes[nshapes++] = (GemmShapeTime){ta, tb, M, N, K, precision, 0, 0.0};
        else i = MAX_SHAPES;
    }
    shapes[i].calls++;
    shapes[i].seconds += seconds;
    pthread_mutex_unlock(&lock);
}

static int more_time_first(const void *x, const void *y) {
    const double a = ((const GemmShapeTime *)x)->seconds, b = ((const GemmShapeTime *)y)->seconds;
    return (a < b) - (a > b);
}

int gemm_profile_read(GemmShapeTime *out, int max) {
    pthread_mutex_lock(&lock);
    const int n = nshapes + (shapes[MAX_SHAPES].calls > 0);
    GemmShapeTime *all = malloc(sizeof *all * (size_t)(n ? n : 1));
    if (all) {
        memcpy(all, shapes, sizeof *all * (size_t)nshapes);
        if (n > nshapes) all[nshapes] = shapes[MAX_SHAPES];
        qsort(all, (size_t)n, sizeof *all, more_time_first);
        memcpy(out, all, sizeof *all * (size_t)(n < max ? n : max));
        free(all);
    }
    pthread_mutex_unlock(&lock);
    return all ? n : 0;
}
