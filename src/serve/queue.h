/* queue.h — the requests waiting for a worker, and the workers.
 *
 * A fixed pool of threads takes jobs in arrival order; at most `cap` jobs
 * wait (queue_push refuses more: the server answers 503). A worker that
 * takes a /translate job also takes up to join - 1 later waiting jobs that
 * can be decoded with it (request_joinable), so that many small requests
 * fill the batches of one decoding. A job that waited longer than max_wait
 * seconds is answered 503 without being decoded. Each job's `done` is
 * called once, on a worker thread, when its answer is set; after that the
 * queue never touches the job again. */
#ifndef NMT_SERVE_QUEUE_H
#define NMT_SERVE_QUEUE_H

#include <pthread.h>

#include "serve/request.h"

typedef struct Job Job;
struct Job {
    ServeRequest req;
    const Model *model;
    const char *model_name;
    double queued_at;                 /* now_seconds() when pushed */
    int status;                       /* the answer: HTTP status and JSON body (malloc'd) */
    char *body;
    void (*done)(Job *job, void *ctx);
    void *ctx;
    Job *next;
};

typedef struct {
    pthread_mutex_t mu;
    pthread_cond_t more;
    Job *head, *tail;
    int waiting, running, busy, cap, join, closing; /* jobs waiting, jobs and workers decoding */
    double max_wait;
    long decoded, joined, expired;    /* jobs decoded; of them, decoded with an earlier one; answered 503 */
    pthread_t *threads;
    int n_threads;
    int initialized;   /* mu and more exist (queue_free destroys them) */
} WorkQueue;

/* Start `workers` threads. 0, or -1 with err. */
int queue_start(WorkQueue *q, int workers, int cap, int join, double max_wait, char *err, size_t errsz);
/* 0 when the job is queued, -1 when cap jobs already wait or the queue is closing. */
int queue_push(WorkQueue *q, Job *job);
/* Jobs waiting and jobs being decoded. */
void queue_counts(WorkQueue *q, int *waiting, int *running);
/* Finish every queued job, then end the workers; later pushes are refused
 * (the queue stays usable for queue_push and queue_counts). */
void queue_stop(WorkQueue *q);
/* Stop it if it runs, and free what it holds: after nothing can reach it. */
void queue_free(WorkQueue *q);

#endif
