/* nmt-serve — translation and scoring over HTTP, and a page that shows the
 * attention of what it translates. */
#include <omp.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/tool.h"
#include "nn/blas.h"
#include "serve/serve.h"
#include "sys/util.h"
#include "translate/int8.h"

static const char USAGE[] =
    "usage: nmt-serve -m MODEL [-m MODEL2 ...] [--host ADDR] [--port N] [--workers N]\n"
    "                 [--queue N] [--join N] [--precision fp32|bf16|int8] [limits]\n"
    "\n"
    "Serves the models over HTTP on the loopback address (127.0.0.1:8080) by default:\n"
    "  POST /translate  {\"text\": [\"line\", ...], \"beam\": 5, \"nbest\": 1,\n"
    "                   \"length_penalty\": 0.6, \"max_length_ratio\": 2, \"batch\": 32,\n"
    "                   \"alignment\": false, \"attention\": false, \"model\": \"NAME\"}\n"
    "                   -> {\"model\", \"translations\": [{\"text\", \"score\", \"logprob\",\n"
    "                   \"steps\", \"src_tokens\", \"tgt_tokens\", \"alignment\", \"links\",\n"
    "                   \"attention\", \"nbest\": [...]}, ...]}, one per line, in order\n"
    "  POST /score      {\"src\": [...], \"tgt\": [...], \"batch\", \"alignment\",\n"
    "                   \"attention\", \"model\"} -> {\"scores\": [{\"logprob\", \"steps\",\n"
    "                   ...}], \"scored\", \"tokens\", \"logprob\", \"perplexity\"}\n"
    "  GET /            a page: type text, see its translation, the attention\n"
    "                   heatmap with the word links, the n-best list\n"
    "  GET /health      {\"status\": \"ok\", ...}\n"
    "  GET /model       the models' settings, vocabularies and parameters, the\n"
    "                   request defaults and the limits\n"
    "Every option of a request is optional (the defaults are nmt-translate's), and\n"
    "the texts and numbers are those nmt-translate and nmt-score print for the same\n"
    "lines and options. A request names a model by its MODEL argument as given\n"
    "(the first one by default). Errors are {\"error\": \"...\", \"status\": N}: 400 bad\n"
    "JSON or options, 413 too large, 422 an invalid line (\"text:3: invalid UTF-8 at\n"
    "byte 5\"), 503 the queue is full. SIGTERM or SIGINT: stop accepting, finish the\n"
    "requests in flight, exit 0 (a second signal ends it at once).\n"
    "\n";

typedef struct {
    const char **models; /* -m, given once or more (NULL-terminated) */
    int precision;
    ServeOptions opt;
} Args;

#define A(member) offsetof(Args, member)
static const FieldSpec TOOL_FIELDS[] = {
    {NULL, "--model", FIELD_INPUT, A(models), .alias = "-m", .metavar = "MODEL",
     .flags = FIELD_MANDATORY | FIELD_REPEATED, .section = "",
     .help = "model file from nmt-train; give -m again to serve\n"
             "several"},
    {NULL, "--precision", FIELD_ENUM, A(precision), 0, 0, 2, NULL, GEMM_PRECISION_NAMES, .section = "requests",
     .help = "the products' precision, as nmt-translate's (default\n"
             "bf16 on CPUs that compute it natively, else fp32; or\n"
             "NMT_GEMM_PRECISION); int8 quantizes the weights at load"},
};
#undef A

static const char *const SECTIONS[] = {"", "requests", "limits", NULL};

static Server *server; /* for the signal handler */

static void on_signal(int sig) {
    (void)sig;
    serve_request_stop(server);
}

int main(int argc, char **argv) {
    blas_setup(argv);
    set_program_name(argv[0]);
    const CliTable tables[] = {{TOOL_FIELDS, (int)(sizeof TOOL_FIELDS / sizeof TOOL_FIELDS[0]), 0},
                               {SERVE_OPTION_FIELDS, SERVE_OPTION_NFIELDS, offsetof(Args, opt)}};
    const CliCommand cmd = {USAGE, tables, 2, SECTIONS, NULL, NULL, 0, 0};
    Args a;
    memset(&a, 0, sizeof a);
    fields_set_defaults(TOOL_FIELDS, tables[0].n, &a);
    serve_options_default(&a.opt);
    a.opt.workers = omp_get_num_procs();
    a.precision = (int)gemm_preferred_precision(); /* as nmt-translate: bf16 on CPUs that compute it natively */
    tool_parse(&cmd, argc, argv, &a, NULL);
    tool_apply_precision(a.precision);

    int n = 0;
    while (a.models[n]) n++;
    Model **models = xcalloc((size_t)n, sizeof(Model *));
    ServeModel *served = xcalloc((size_t)n, sizeof(ServeModel));
    char err[1024];
    for (int k = 0; k < n; k++) {
        models[k] = model_load(a.models[k], NULL, err, sizeof err);
        if (!models[k]) die("%s", err);
        /* bf16 products: convert the weights once, not per product */
        if (gemm_precision() == GEMM_BF16) gemm_weights_register(models[k]->params, model_num_params(&models[k]->cfg));
        if (gemm_precision() == GEMM_INT8 && translate_int8_prepare(models[k], err, sizeof err) != 0) die("%s", err);
        served[k] = (ServeModel){a.models[k], models[k]};
    }
    /* the signals stop the server; a client that goes away mid-answer is no reason to end */
    signal(SIGPIPE, SIG_IGN);
    server = serve_start(&a.opt, served, n, err, sizeof err);
    if (!server) die("%s", err);
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sa.sa_flags = SA_RESETHAND; /* a second signal ends the process at once */
    sigemptyset(&sa.sa_mask);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    const char *host = SERVE_HOST_NAMES[a.opt.host];
    const int hlen = fields_name_len(host), v6 = memchr(host, ':', (size_t)hlen) != NULL;
    fprintf(stderr, "%s: listening on http://%s%.*s%s:%d/ (%d model%s, %d worker%s, %s products)\n", program_name(),
            v6 ? "[" : "", hlen, host, v6 ? "]" : "", serve_port(server), n, n == 1 ? "" : "s", a.opt.workers,
            a.opt.workers == 1 ? "" : "s", GEMM_PRECISION_NAMES[gemm_precision()]);
    serve_wait(server);
    fprintf(stderr, "%s: stopped after %ld request%s\n", program_name(), serve_answered(server),
            serve_answered(server) == 1 ? "" : "s");
    serve_free(server);
    for (int k = 0; k < n; k++) {
        if (gemm_precision() == GEMM_BF16) gemm_weights_forget(models[k]->params);
        if (gemm_precision() == GEMM_INT8) translate_int8_release(models[k]);
        model_free(models[k]);
    }
    free(models), free(served);
    cli_free(&cmd, &a);
    return 0;
}
