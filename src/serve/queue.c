/* queue.c — see queue.h. */
#include "serve/queue.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "serve/engine.h"
#include "sys/escape.h"
#include "sys/util.h"
#include "translate/translator.h"

/* Joined jobs stay within one sort window of the translator (its batches
 * never cross one), so a join is at most that many lines. */
static int join_line_cap(const Job *first) { return TRANSLATE_WINDOW_BATCHES * first->req.to.batch; }

/* Unlink and return the head and up to join - 1 later jobs that can be
 * decoded with it (called locked). */
static int take(WorkQueue *q, Job **jobs) {
    Job *first = q->head;
    q->head = first->next;
    if (!q->head) q->tail = NULL;
    first->next = NULL;
    int k = 1, lines = first->req.n;
    const int cap = join_line_cap(first);
    /* a fair share of what waits, so the other workers are not left idle */
    const int share = (q->waiting + q->n_threads - 1) / q->n_threads, most = share < q->join ? share : q->join;
    Job *prev = NULL;
    for (Job *j = q->head; j && k < most;) {
        Job *next = j->next;
        if (j->model == first->model && request_joinable(&first->req, &j->req) && lines + j->req.n <= cap) {
            if (prev) prev->next = next;
            else q->head = next;
            if (q->tail == j) q->tail = prev;
            j->next = NULL;
            jobs[k++] = j;
            lines += j->req.n;
        } else {
            prev = j;
        }
        j = next;
    }
    jobs[0] = first;
    q->waiting -= k;
    q->running += k;
    q->busy++;
    return k;
}

static void answer_error(Job *j, int status, const char *msg) {
    Buf b = {0};
    buf_puts(&b, "{\"error\":");
    json_escape(&b, msg);
    buf_printf(&b, ",\"status\":%d}", status);
    j->status = status;
    j->body = b.data;
}

static void *worker(void *arg) {
    WorkQueue *q = arg;
    Job **jobs = xmalloc(sizeof(Job *) * (size_t)q->join), **live = xmalloc(sizeof(Job *) * (size_t)q->join);
    ServeRequest **reqs = xmalloc(sizeof(ServeRequest *) * (size_t)q->join);
    char **bodies = xmalloc(sizeof(char *) * (size_t)q->join);
    pthread_mutex_lock(&q->mu);
    for (;;) {
        while (!q->head && !q->closing) pthread_cond_wait(&q->more, &q->mu);
        if (!q->head) break; /* closing, and nothing is left */
        const int k = take(q, jobs);
        pthread_mutex_unlock(&q->mu);
        /* a job that waited too long is answered without being decoded */
        int n_live = 0, expired = 0;
        const double now = now_seconds();
        for (int i = 0; i < k; i++) {
            const double waited = now - jobs[i]->queued_at;
            if (waited > q->max_wait) {
                char msg[200];
                snprintf(msg, sizeof msg,
                         "the request waited %.1f s for a worker, more than this server allows (--max-wait %.0f): "
                         "try again later",
                         waited, q->max_wait);
                answer_error(jobs[i], 503, msg);
                expired++;
            } else {
                live[n_live++] = jobs[i];
            }
        }
        if (n_live > 0 && live[0]->req.kind == REQ_TRANSLATE) {
            for (int i = 0; i < n_live; i++) reqs[i] = &live[i]->req;
            engine_translate(live[0]->model, live[0]->model_name, reqs, n_live, bodies);
            for (int i = 0; i < n_live; i++) live[i]->status = 200, live[i]->body = bodies[i];
        } else if (n_live > 0) {
            live[0]->status = 200;
            live[0]->body = engine_score(live[0]->model, live[0]->model_name, &live[0]->req);
        }
        for (int i = 0; i < k; i++) jobs[i]->done(jobs[i], jobs[i]->ctx); /* the job is not ours after this */
        pthread_mutex_lock(&q->mu);
        q->running -= k;
        q->busy--;
        q->decoded += n_live;
        q->joined += n_live > 1 ? n_live - 1 : 0;
        q->expired += expired;
    }
    pthread_mutex_unlock(&q->mu);
    free(jobs), free(live), free(reqs), free(bodies);
    return NULL;
}

int queue_start(WorkQueue *q, int workers, int cap, int join, double max_wait, char *err, size_t errsz) {
    memset(q, 0, sizeof *q);
    pthread_mutex_init(&q->mu, NULL);
    pthread_cond_init(&q->more, NULL);
    q->initialized = 1;
    q->cap = cap, q->join = join > 0 ? join : 1, q->max_wait = max_wait;
    q->threads = xcalloc((size_t)workers, sizeof(pthread_t));
    for (int i = 0; i < workers; i++) {
        int rc = pthread_create(&q->threads[i], NULL, worker, q);
        if (rc != 0) {
            snprintf(err, errsz, "cannot start worker %d of %d: %s", i + 1, workers, strerror(rc));
            queue_stop(q);
            return -1;
        }
        q->n_threads++;
    }
    return 0;
}

int queue_push(WorkQueue *q, Job *job) {
    pthread_mutex_lock(&q->mu);
    /* an idle worker takes the job at once: only jobs beyond the idle
     * workers wait, and at most cap of them */
    const int idle = q->n_threads - q->busy;
    if (q->closing || q->waiting >= q->cap + (idle > 0 ? idle : 0)) {
        pthread_mutex_unlock(&q->mu);
        return -1;
    }
    job->next = NULL;
    job->queued_at = now_seconds();
    if (q->tail) q->tail->next = job;
    else q->head = job;
    q->tail = job;
    q->waiting++;
    pthread_cond_signal(&q->more);
    pthread_mutex_unlock(&q->mu);
    return 0;
}

void queue_counts(WorkQueue *q, int *waiting, int *running) {
    pthread_mutex_lock(&q->mu);
    *waiting = q->waiting, *running = q->running;
    pthread_mutex_unlock(&q->mu);
}

void queue_stop(WorkQueue *q) {
    pthread_mutex_lock(&q->mu);
    q->closing = 1;
    pthread_cond_broadcast(&q->more);
    pthread_mutex_unlock(&q->mu);
    for (int i = 0; i < q->n_threads; i++) pthread_join(q->threads[i], NULL);
    free(q->threads);
    q->threads = NULL;
    q->n_threads = 0;
}

void queue_free(WorkQueue *q) {
    if (q->threads) queue_stop(q);
    if (!q->initialized) return;
    pthread_cond_destroy(&q->more);
    pthread_mutex_destroy(&q->mu);
    q->initialized = 0;
}
