/* serve.c — see serve.h: the HTTP side (libmicrohttpd), the routes, and
 * starting and stopping. The options are in options.c, the listening
 * socket in listen.c. */
#include "serve/serve.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <microhttpd.h>
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "model/model.h"
#include "nn/blas.h"
#include "sys/escape.h"
#include "sys/util.h"
#include "nmt.h"
#include "serve/info.h"
#include "serve/listen.h"
#include "serve/page.h"
#include "serve/queue.h"
#include "serve/request.h"

struct Server {
    ServeOptions o;
    ServeModel *models;
    int n_models;
    struct MHD_Daemon *daemon;
    int port;
    WorkQueue q;
    int stop_pipe[2];
    pthread_mutex_t mu;  /* guards the counts below and stopping */
    int inflight;        /* requests begun and not yet completed (answer sent or connection gone) */
    long answered;
    int stopping;
    double started;
    Buf page;
    char *model_info;    /* GET /model, built once */
};

/* One request on a connection, from its first header to its completion. */
typedef struct {
    struct MHD_Connection *conn;
    RequestKind kind;
    Buf body;
    int too_large;
    int queued;          /* the job went to the queue: the next call answers with it */
    Job job;
} Conn;

static void count(Server *s, int *field, int delta) {
    pthread_mutex_lock(&s->mu);
    *field += delta;
    pthread_mutex_unlock(&s->mu);
}

static int is_stopping(Server *s) {
    pthread_mutex_lock(&s->mu);
    const int v = s->stopping;
    pthread_mutex_unlock(&s->mu);
    return v;
}

/* ---------- answers ---------- */

static enum MHD_Result reply(Server *s, struct MHD_Connection *conn, int status, const char *type, void *body,
                             size_t len, enum MHD_ResponseMemoryMode mode, const char *allow) {
    struct MHD_Response *r = MHD_create_response_from_buffer(len, body, mode);
    if (!r) return MHD_NO;
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
    MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
    MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
    /* the page may reach this server and nothing else (and runs no script from elsewhere) */
    MHD_add_response_header(r, "Content-Security-Policy",
                            "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; "
                            "connect-src 'self'; img-src data:; base-uri 'none'; form-action 'none'");
    if (allow) MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, allow);
    if (status == MHD_HTTP_SERVICE_UNAVAILABLE) MHD_add_response_header(r, MHD_HTTP_HEADER_RETRY_AFTER, "1");
    if (is_stopping(s)) MHD_add_response_header(r, MHD_HTTP_HEADER_CONNECTION, "close");
    enum MHD_Result rc = MHD_queue_response(conn, (unsigned)status, r);
    MHD_destroy_response(r);
    pthread_mutex_lock(&s->mu);
    s->answered++;
    pthread_mutex_unlock(&s->mu);
    return rc;
}

static enum MHD_Result reply_json(Server *s, struct MHD_Connection *conn, int status, char *json) {
    return reply(s, conn, status, "application/json; charset=utf-8", json, strlen(json), MHD_RESPMEM_MUST_FREE, NULL);
}

static char *error_json(int status, const char *msg) {
    Buf b = {0};
    buf_puts(&b, "{\"error\":");
    json_escape(&b, msg);
    buf_printf(&b, ",\"status\":%d}", status);
    return b.data;
}

static enum MHD_Result reply_error(Server *s, struct MHD_Connection *conn, int status, const char *allow,
                                   const char *fmt, ...) NMT_PRINTF(5, 6);
static enum MHD_Result reply_error(Server *s, struct MHD_Connection *conn, int status, const char *allow,
                                   const char *fmt, ...) {
    char msg[600];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    char *json = error_json(status, msg);
    return reply(s, conn, status, "application/json; charset=utf-8", json, strlen(json), MHD_RESPMEM_MUST_FREE,
                 allow);
}

static char *health_json(Server *s) {
    int waiting, running;
    queue_counts(&s->q, &waiting, &running);
    pthread_mutex_lock(&s->mu);
    const long answered = s->answered;
    const int stopping = s->stopping;
    pthread_mutex_unlock(&s->mu);
    Buf b = {0};
    buf_printf(&b,
               "{\"status\":\"%s\",\"models\":%d,\"workers\":%d,\"waiting\":%d,\"decoding\":%d,\"answered\":%ld,"
               "\"uptime_seconds\":%.3f}",
               stopping ? "stopping" : "ok", s->n_models, s->o.workers, waiting, running, answered,
               now_seconds() - s->started);
    return b.data;
}

/* ---------- requests ---------- */

static void job_done(Job *job, void *ctx) {
    (void)job;
    Conn *c = ctx;
    MHD_resume_connection(c->conn); /* the next call of on_request answers */
}

static enum MHD_Result route(Server *s, Conn *c, const char *url, const char *method) {
    struct MHD_Connection *conn = c->conn;
    const int get = !strcmp(method, "GET") || !strcmp(method, "HEAD"), post = !strcmp(method, "POST");
    if (is_stopping(s)) /* /health says so in its own words, for a load balancer */
        return !strcmp(url, "/health") && get ? reply_json(s, conn, 503, health_json(s))
                                              : reply_error(s, conn, 503, NULL, "the server is stopping");
    if (!strcmp(url, "/") || !strcmp(url, "/health") || !strcmp(url, "/model")) {
        if (!get) return reply_error(s, conn, 405, "GET, HEAD", "%s takes GET, not %.20s", url, method);
        if (!strcmp(url, "/"))
            return reply(s, conn, 200, "text/html; charset=utf-8", s->page.data, s->page.len, MHD_RESPMEM_PERSISTENT,
                         NULL);
        if (!strcmp(url, "/health")) return reply_json(s, conn, 200, health_json(s));
        return reply(s, conn, 200, "application/json; charset=utf-8", s->model_info, strlen(s->model_info),
                     MHD_RESPMEM_PERSISTENT, NULL);
    }
    if (!strcmp(url, "/translate") || !strcmp(url, "/score")) {
        if (!post) return reply_error(s, conn, 405, "POST", "%s takes POST (a JSON body), not %.20s", url, method);
        c->kind = !strcmp(url, "/translate") ? REQ_TRANSLATE : REQ_SCORE;
        const char *cl = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
        if (cl && strtod(cl, NULL) > (double)s->o.max_request_bytes) /* refused before the body is read */
            return reply_error(s, conn, 413, NULL,
                               "the request has %.30s bytes: this server takes at most %ld (--max-request-bytes)", cl,
                               s->o.max_request_bytes);
        return MHD_YES; /* the body comes next */
    }
    return reply_error(s, conn, 404, NULL, "no such path: %.200s (there are /, /translate, /score, /health, /model)",
                       url);
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url, const char *method,
                                  const char *version, const char *upload, size_t *upload_size, void **con_cls) {
    (void)version;
    Server *s = cls;
    Conn *c = *con_cls;
    if (!c) { /* the headers are in */
        c = xcalloc(1, sizeof *c);
        c->conn = conn;
        *con_cls = c;
        count(s, &s->inflight, 1);
        return route(s, c, url, method);
    }
    if (c->queued) { /* resumed: the worker has answered */
        char *body = c->job.body;
        c->job.body = NULL;
        return reply_json(s, conn, c->job.status, body);
    }
    if (*upload_size) {
        if (!c->too_large && c->body.len + *upload_size > (size_t)s->o.max_request_bytes) {
            c->too_large = 1; /* the rest is read and dropped, then answered 413 */
            buf_free(&c->body);
        }
        if (!c->too_large) buf_append(&c->body, upload, *upload_size);
        *upload_size = 0;
        return MHD_YES;
    }
    if (c->too_large)
        return reply_error(s, conn, 413, NULL, "the request has more than %ld bytes: this server takes at most %ld "
                           "(--max-request-bytes)", s->o.max_request_bytes, s->o.max_request_bytes);
    RequestError e;
    if (request_parse(c->body.data ? c->body.data : "", c->body.len, c->kind, &s->o, s->models, s->n_models, &c->job.req,
                      &e) != 0)
        return reply_error(s, conn, e.status, NULL, "%s", e.msg);
    buf_free(&c->body);
    c->job.model = s->models[c->job.req.model].model;
    c->job.model_name = s->models[c->job.req.model].name;
    c->job.done = job_done;
    c->job.ctx = c;
    c->queued = 1;
    /* suspended before it is queued, so a worker's resume always finds it suspended */
    MHD_suspend_connection(conn);
    if (queue_push(&s->q, &c->job) != 0) {
        c->job.status = 503;
        c->job.body = error_json(503, is_stopping(s) ? "the server is stopping"
                                                     : "the queue is full: every worker is busy and as many requests as "
                                                       "this server lets wait are waiting (--queue); try again later");
        MHD_resume_connection(conn);
    }
    return MHD_YES;
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls, enum MHD_RequestTerminationCode toe) {
    (void)conn, (void)toe;
    Server *s = cls;
    Conn *c = *con_cls;
    if (!c) return;
    request_free(&c->job.req);
    free(c->job.body);
    buf_free(&c->body);
    free(c);
    *con_cls = NULL;
    count(s, &s->inflight, -1);
}

/* ---------- starting and stopping ---------- */

static void *json_alloc(size_t n) { return xmalloc(n); }

Server *serve_start(const ServeOptions *o, const ServeModel *models, int n_models, char *err, size_t errsz) {
    if (n_models < 1) {
        snprintf(err, errsz, "no model to serve");
        return NULL;
    }
    if (fields_check(SERVE_OPTION_FIELDS, SERVE_OPTION_NFIELDS, o, "the server's options", err, errsz) != 0)
        return NULL;
    for (int k = 0; k < n_models; k++)
        for (int j = 0; j < k; j++)
            if (!strcmp(models[k].name, models[j].name)) {
                snprintf(err, errsz, "two models are named %s: requests could not tell them apart", models[k].name);
                return NULL;
            }
    /* cJSON allocates as the rest of the library does (out of memory ends the process, sys/util.h) */
    static cJSON_Hooks hooks = {json_alloc, free};
    cJSON_InitHooks(&hooks);
    Server *s = xcalloc(1, sizeof *s);
    s->o = *o;
    s->n_models = n_models;
    s->models = xmalloc(sizeof(ServeModel) * (size_t)n_models);
    memcpy(s->models, models, sizeof(ServeModel) * (size_t)n_models);
    s->stop_pipe[0] = s->stop_pipe[1] = -1;
    pthread_mutex_init(&s->mu, NULL);
    s->started = now_seconds();
    page_html(&s->page);
    s->model_info = serve_model_info(&s->o, s->models, s->n_models);
    if (pipe(s->stop_pipe) != 0 || fcntl(s->stop_pipe[0], F_SETFD, FD_CLOEXEC) != 0 ||
        fcntl(s->stop_pipe[1], F_SETFD, FD_CLOEXEC) != 0) {
        snprintf(err, errsz, "cannot make a pipe: %s", strerror(errno));
        serve_free(s);
        return NULL;
    }
    if (queue_start(&s->q, o->workers, o->queue, o->join, (double)o->max_wait, err, errsz) != 0) {
        s->q.threads = NULL;
        serve_free(s);
        return NULL;
    }
    int fd = serve_listen(o, &s->port, err, errsz);
    if (fd < 0) {
        serve_free(s);
        return NULL;
    }
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_AUTO | MHD_ALLOW_SUSPEND_RESUME | MHD_USE_ITC;
    if (strchr(SERVE_HOST_NAMES[o->host], ':')) flags |= MHD_USE_IPv6;
    s->daemon = MHD_start_daemon(flags, 0, NULL, NULL, on_request, s, MHD_OPTION_LISTEN_SOCKET, fd,
                                 MHD_OPTION_NOTIFY_COMPLETED, on_completed, s, MHD_OPTION_CONNECTION_TIMEOUT,
                                 (unsigned)o->timeout, MHD_OPTION_CONNECTION_LIMIT, (unsigned)o->max_connections,
                                 MHD_OPTION_END);
    if (!s->daemon) {
        snprintf(err, errsz, "cannot start the HTTP server (libmicrohttpd) on port %d", s->port);
        close(fd);
        serve_free(s);
        return NULL;
    }
    return s;
}

int serve_port(const Server *s) { return s->port; }

void serve_request_stop(Server *s) {
    const char b = 1;
    ssize_t w = write(s->stop_pipe[1], &b, 1); /* async-signal-safe; a full pipe has the byte already */
    (void)w;
}

long serve_answered(const Server *s) {
    Server *m = (Server *)s;
    pthread_mutex_lock(&m->mu);
    const long n = m->answered;
    pthread_mutex_unlock(&m->mu);
    return n;
}

void serve_wait(Server *s) {
    struct pollfd p = {s->stop_pipe[0], POLLIN, 0};
    while (poll(&p, 1, -1) < 0 && errno == EINTR) {
    }
    pthread_mutex_lock(&s->mu);
    s->stopping = 1; /* from here on a request is answered 503, on a connection that then closes */
    pthread_mutex_unlock(&s->mu);
    const int fd = MHD_quiesce_daemon(s->daemon); /* no new connections */
    if (fd >= 0) close(fd);
    /* Requests in flight finish: the queued and decoding ones always (they
     * end in bounded time); one whose body is still arriving gets --timeout. */
    const double t0 = now_seconds();
    for (;;) {
        int waiting, running;
        queue_counts(&s->q, &waiting, &running);
        pthread_mutex_lock(&s->mu);
        const int inflight = s->inflight;
        pthread_mutex_unlock(&s->mu);
        if (inflight == 0 || (waiting + running == 0 && now_seconds() - t0 > s->o.timeout)) break;
        usleep(10000);
    }
    /* the workers end first, then the HTTP side: a body that arrives in
     * between is refused by the closed queue (503), which stays valid
     * until serve_free */
    queue_stop(&s->q);
    MHD_stop_daemon(s->daemon);
    s->daemon = NULL;
}

void serve_free(Server *s) {
    if (!s) return;
    if (s->daemon) MHD_stop_daemon(s->daemon);
    queue_free(&s->q);
    for (int i = 0; i < 2; i++)
        if (s->stop_pipe[i] >= 0) close(s->stop_pipe[i]);
    pthread_mutex_destroy(&s->mu);
    buf_free(&s->page);
    free(s->model_info);
    free(s->models);
    free(s);
}
