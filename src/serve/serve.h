/* serve.h — nmt-serve's server: translation and scoring over HTTP (JSON),
 * and a page that shows translations with their attention.
 *
 *   POST /translate  {"text": [lines], "beam", "nbest", "length_penalty",
 *                     "max_length_ratio", "batch", "alignment", "attention",
 *                     "model"} -> {"model", "translations": [one per line]}
 *   POST /score      {"src": [lines], "tgt": [lines], "batch", "alignment",
 *                     "attention", "model"} -> {"model", "scores": [...],
 *                     "scored", "tokens", "logprob", "perplexity"}
 *   GET  /           the page (serve/page.h)
 *   GET  /health     {"status": "ok", "workers", "waiting", "decoding", ...}; 503 and
 *                    "stopping" on a connection still open while the server stops
 *   GET  /model      the models (settings, vocabularies, parameters), the
 *                    request defaults and this server's limits
 *
 * Texts, scores, word links and attention are those nmt-translate and
 * nmt-score print for the same lines and options: a request's lines are
 * decoded as the tools decode the lines of a file (translate_ids_at /
 * score_ids_at, each line at its position), and the texts come from the
 * same functions (vocab_decode, align_hard). Errors are JSON
 * {"error": "...", "status": N}: 400 bad JSON or options, 404/405 no such
 * path or method, 413 a request, a line count or a line too large, 422 an
 * invalid line (invalid UTF-8, a line break) named by its number, 503 the
 * queue is full, a request waited too long, or the server is stopping.
 *
 * Requests are decoded by a pool of workers (serve/queue.h) on the shared,
 * read-only models; the HTTP side (libmicrohttpd, one polling thread)
 * suspends a connection while its request waits and runs. Nothing here
 * exits the process: failures come back as -1 with a message. */
#ifndef NMT_SERVE_H
#define NMT_SERVE_H

#include <stddef.h>

#include "model/saved.h"
#include "sys/fields.h"

typedef struct {
    int host;              /* SERVE_HOST_NAMES index */
    int port;              /* 0: any free port */
    int workers;           /* requests decoded at once */
    int queue;             /* requests that may wait for a worker */
    int join;              /* queued /translate requests with the same options decoded together */
    int max_wait;          /* seconds a request may wait for a worker */
    int timeout;           /* seconds of silence before a connection is closed */
    int max_connections;
    long max_request_bytes;
    int max_lines;         /* per request */
    int max_line_bytes;
    int max_beam;
} ServeOptions;

/* "127.0.0.1|localhost", "::1", "0.0.0.0|any", "::": loopback by default. */
extern const char *const SERVE_HOST_NAMES[];
/* The options' table (nmt-serve's flags, ranges, defaults, help). */
extern const FieldSpec SERVE_OPTION_FIELDS[];
extern const int SERVE_OPTION_NFIELDS;
void serve_options_default(ServeOptions *o);

/* A model the server offers, under a name requests give as "model". */
typedef struct {
    const char *name;
    const Model *model;
} ServeModel;

typedef struct Server Server;

/* Listen (before returning, so a client may connect at once) and start the
 * workers. models[0] answers requests that name none. NULL with a message
 * in err ("127.0.0.1:8080: cannot listen: Address already in use"). The
 * models must outlive the server. */
Server *serve_start(const ServeOptions *o, const ServeModel *models, int n_models, char *err, size_t errsz);
/* The port it listens on (the one chosen when asked for 0). */
int serve_port(const Server *s);
/* Ask the server to stop: safe in a signal handler. */
void serve_request_stop(Server *s);
/* Block until a stop is requested, then stop accepting connections, finish
 * every request in flight (queued ones too), and return. */
void serve_wait(Server *s);
/* Requests answered so far (any status). */
long serve_answered(const Server *s);
void serve_free(Server *s);

#endif
