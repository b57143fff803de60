/* request.h — the body of a POST /translate or /score as a checked request.
 *
 * The JSON is parsed by cJSON; every key must be known, every option lies
 * in the range of the library's row for it (the flags of nmt-translate and
 * nmt-score: "beam must be between 1 and 256, got 0"), and the request
 * within the server's limits. What is refused, and with which status:
 *   400  not JSON, not an object, an unknown key, a value of the wrong type
 *        or out of range, nbest above the beam, a beam above --max-beam,
 *        an unknown model, src and tgt of different lengths, a NUL character,
 *        attention_source "alignment" for a model without the alignment layer
 *   413  more lines than --max-lines, a line longer than --max-line-bytes
 *   422  a line that is not UTF-8 or holds a line break, named by its key
 *        and 1-based number: "text:3: invalid UTF-8 at byte 5" */
#ifndef NMT_SERVE_REQUEST_H
#define NMT_SERVE_REQUEST_H

#include <stddef.h>

#include "serve/serve.h"
#include "translate/scorer.h"
#include "translate/translator.h"

typedef enum { REQ_TRANSLATE = 0, REQ_SCORE } RequestKind;

typedef struct {
    RequestKind kind;
    int model;             /* index into the server's models */
    char **src, **tgt;     /* [n] copies of the lines (tgt: scoring only) */
    int n;
    TranslateOptions to;   /* translation: search options, batch, max_src_len (one thread) */
    ScoreOptions so;       /* scoring: batch, max_len (one thread) */
    int alignment;         /* hard word links (and the cells they mark) in the answer */
    int attention;         /* attention matrices in the answer */
} ServeRequest;

typedef struct {
    int status;            /* the HTTP status */
    char msg[512];
} RequestError;

/* Parse body[0..len) into r. 0, or -1 with e filled (r then holds nothing
 * to free). */
int request_parse(const char *body, size_t len, RequestKind kind, const ServeOptions *o, const ServeModel *models,
                  int n_models, ServeRequest *r, RequestError *e);
void request_free(ServeRequest *r);
/* 1 when b may be decoded in one input with a: both translations of the
 * same model with the same options. */
int request_joinable(const ServeRequest *a, const ServeRequest *b);

#endif
