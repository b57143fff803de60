/* api.c — nmt.h: errors, models, options. Results are in result.c. */
#include <cblas.h>
#include <omp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "api/handles.h"
#include "model/ensemble.h"
#include "nn/blas.h"
#include "sys/files.h"
#include "translate/int8.h"

/* One message per thread, so concurrent calls never overwrite each other's. */
static _Thread_local char last_error[1024];

const char *nmt_version(void) { return "1.4.0"; }
const char *nmt_last_error(void) { return last_error; }

nmt_status api_fail(nmt_status status, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(last_error, sizeof last_error, fmt, ap);
    va_end(ap);
    return status;
}

int api_threads(const nmt_options *o) { return o->t.threads > 0 ? o->t.threads : omp_get_num_procs(); }

nmt_status nmt_model_load(const char *path, nmt_model **model) {
    if (!model) return api_fail(NMT_ERR_ARGUMENT, "nmt_model_load: model is NULL");
    *model = NULL;
    if (!path) return api_fail(NMT_ERR_ARGUMENT, "nmt_model_load: path is NULL");
    if (!*path) return api_fail(NMT_ERR_ARGUMENT, "nmt_model_load: path is empty");
    /* The products' settings are read from the environment once per
     * process, at the latest here: a bad one is this call's error, where
     * nmt_translate would otherwise meet it. */
    const char *env = gemm_env_error();
    if (env) return api_fail(NMT_ERR_ARGUMENT, "%s", env);
    /* A file that cannot be opened, or is no regular file, is an I/O error;
     * model_load checks again (for the tools) and reports everything else. */
    char err[1024];
    size_t size;
    int fd = open_regular_file(path, &size, err, sizeof err);
    if (fd < 0) return api_fail(NMT_ERR_IO, "%s", err);
    close(fd);
    Model *m = model_load(path, NULL, err, sizeof err);
    if (!m) return api_fail(NMT_ERR_MODEL, "%s", err);
    if (api_prepare_int8(m) != NMT_OK) return model_free(m), NMT_ERR_UNSUPPORTED;
    /* Batches run in parallel, each with single-threaded BLAS (as in the tools). */
    openblas_set_num_threads(1);
    *model = xmalloc(sizeof **model);
    (*model)->m = m;
    return NMT_OK;
}

nmt_status nmt_ensemble_load(const char *const *paths, const double *weights, size_t n, size_t attention_model,
                             nmt_model **model) {
    if (!model) return api_fail(NMT_ERR_ARGUMENT, "nmt_ensemble_load: model is NULL");
    *model = NULL;
    if (!paths) return api_fail(NMT_ERR_ARGUMENT, "nmt_ensemble_load: paths is NULL");
    if (n < 1 || n > ENSEMBLE_MAX_MODELS)
        return api_fail(NMT_ERR_ARGUMENT, "nmt_ensemble_load: n is %zu; an ensemble has 1 to %d models", n,
                        ENSEMBLE_MAX_MODELS);
    if (attention_model >= n)
        return api_fail(NMT_ERR_ARGUMENT,
                        "nmt_ensemble_load: attention_model is %zu but there are %zu models (0-based)", attention_model,
                        n);
    char err[1024];
    if (weights && ensemble_check_weights(weights, (int)n, err, sizeof err) != 0)
        return api_fail(NMT_ERR_ARGUMENT, "nmt_ensemble_load: %s", err);
    /* each file as nmt_model_load checks it: the I/O errors before reading */
    for (size_t k = 0; k < n; k++) {
        if (!paths[k]) return api_fail(NMT_ERR_ARGUMENT, "nmt_ensemble_load: paths[%zu] is NULL", k);
        if (!*paths[k]) return api_fail(NMT_ERR_ARGUMENT, "nmt_ensemble_load: paths[%zu] is empty", k);
    }
    const char *env = gemm_env_error();
    if (env) return api_fail(NMT_ERR_ARGUMENT, "%s", env);
    for (size_t k = 0; k < n; k++) {
        size_t size;
        int fd = open_regular_file(paths[k], &size, err, sizeof err);
        if (fd < 0) return api_fail(NMT_ERR_IO, "%s", err);
        close(fd);
    }
    Model *m = ensemble_load(paths, (int)n, weights, (int)attention_model, err, sizeof err);
    if (!m) return api_fail(NMT_ERR_MODEL, "%s", err);
    if (api_prepare_int8(m) != NMT_OK) return model_free(m), NMT_ERR_UNSUPPORTED;
    openblas_set_num_threads(1);
    *model = xmalloc(sizeof **model);
    (*model)->m = m;
    return NMT_OK;
}

void nmt_model_free(nmt_model *model) {
    if (!model) return;
    translate_int8_release(model->m); /* nothing when it has no int8 copies */
    model_free(model->m);
    free(model);
}

nmt_status api_prepare_int8(const Model *m) {
    char err[512];
    if (gemm_precision() != GEMM_INT8 || translate_int8_prepare(m, err, sizeof err) == 0) return NMT_OK;
    return api_fail(NMT_ERR_UNSUPPORTED, "%s", err);
}

nmt_status nmt_set_precision(const char *precision) {
    const char *env = gemm_env_error(); /* as nmt_model_load: a bad setting is an error here too */
    if (env) return api_fail(NMT_ERR_ARGUMENT, "%s", env);
    GemmPrecision p;
    if (!precision || gemm_parse_precision(precision, &p) != 0)
        return api_fail(NMT_ERR_ARGUMENT, "precision '%s': expected fp32, bf16 or int8",
                        precision ? precision : "(null)");
    gemm_set_precision(p);
    const char *why = p == GEMM_INT8 ? gemm_int8_unavailable() : NULL;
    if (why)
        return api_fail(NMT_ERR_UNSUPPORTED, "int8 products are not available here (%s): the products run in %s",
                        why, GEMM_PRECISION_NAMES[gemm_precision()]);
    return NMT_OK;
}

const char *nmt_precision(void) { return GEMM_PRECISION_NAMES[gemm_precision()]; }

int nmt_model_heads(const nmt_model *model) { return model ? ensemble_attention_heads(model->m) : 0; }

int nmt_model_alignment_layer(const nmt_model *model) {
    return model ? ensemble_attention_model(model->m)->cfg.alignment_layer : 0;
}

void api_options_default(nmt_options *o) {
    memset(o, 0, sizeof *o);
    translate_options_default(&o->t);
    o->t.threads = 0;
    o->t.quiet = 1; /* a library never writes to stderr: cuts are reported on the result */
    ScoreOptions so;
    score_options_default(&so);
    o->max_len = so.max_len;
}

nmt_options *nmt_options_new(void) {
    nmt_options *o = xmalloc(sizeof *o);
    api_options_default(o);
    return o;
}

void nmt_options_free(nmt_options *o) { free(o); }

/* The setters' options: each is a row of the library's tables (the ones
 * nmt-translate and nmt-score parse their flags with), which holds its
 * range and default. threads alone differs: 0 means all cores here. */
static const struct {
    const char *name, *flag;
    int scoring;
} API_OPTIONS[] = {
    {"beam", "--beam", 0},       {"nbest", "--nbest", 0},           {"length_penalty", "--length-penalty", 0},
    {"max_length_ratio", "--max-length-ratio", 0}, {"max_src_len", "--max-src-len", 0}, {"batch", "--batch", 0},
    {"threads", "--threads", 0}, {"max_len", "--max-len", 1}, {"attention_source", "--attention-source", 0},
};

static const FieldSpec *api_option(const char *name) {
    for (size_t k = 0; k < sizeof API_OPTIONS / sizeof API_OPTIONS[0]; k++)
        if (!strcmp(API_OPTIONS[k].name, name))
            return API_OPTIONS[k].scoring ? score_option_field(API_OPTIONS[k].flag)
                                          : translate_option_field(API_OPTIONS[k].flag);
    return NULL;
}

nmt_status nmt_option_info(const char *name, double *def, double *min, double *max) {
    const FieldSpec *f = name ? api_option(name) : NULL;
    if (!f) return api_fail(NMT_ERR_ARGUMENT, "nmt_option_info: no option named '%s'", name ? name : "(null)");
    const int threads = !strcmp(name, "threads");
    if (def) *def = threads ? 0 : f->def;
    if (min) *min = threads ? 0 : f->min;
    if (max) *max = f->max;
    return NMT_OK;
}

static nmt_status check_range(const nmt_options *o, const char *name, double v) {
    if (!o) return api_fail(NMT_ERR_ARGUMENT, "nmt_options_set_%s: options is NULL", name);
    double lo, hi;
    if (nmt_option_info(name, NULL, &lo, &hi) != NMT_OK) return NMT_ERR_ARGUMENT; /* its message is set */
    if (!(v >= lo && v <= hi))
        return api_fail(NMT_ERR_ARGUMENT, "%s must be between %.10g and %.10g, got %.10g", name, lo, hi, v);
    return NMT_OK;
}
#define CHECK_RANGE(name, v)                                                                                     \
    do {                                                                                                         \
        nmt_status st_ = check_range(o, name, (double)(v));                                                      \
        if (st_ != NMT_OK) return st_;                                                                           \
    } while (0)

nmt_status nmt_options_set_beam(nmt_options *o, int beam) {
    CHECK_RANGE("beam", beam);
    o->t.search.beam = beam;
    return NMT_OK;
}
nmt_status nmt_options_set_nbest(nmt_options *o, int nbest) {
    CHECK_RANGE("nbest", nbest);
    o->t.search.nbest = nbest;
    return NMT_OK;
}
nmt_status nmt_options_set_length_penalty(nmt_options *o, double alpha) {
    CHECK_RANGE("length_penalty", alpha);
    o->t.search.length_penalty = (float)alpha;
    return NMT_OK;
}
nmt_status nmt_options_set_max_length_ratio(nmt_options *o, double ratio) {
    CHECK_RANGE("max_length_ratio", ratio);
    o->t.search.max_len_ratio = (float)ratio;
    return NMT_OK;
}
nmt_status nmt_options_set_max_src_len(nmt_options *o, int tokens) {
    CHECK_RANGE("max_src_len", tokens);
    o->t.max_src_len = tokens;
    return NMT_OK;
}
nmt_status nmt_options_set_max_len(nmt_options *o, int tokens) {
    CHECK_RANGE("max_len", tokens);
    o->max_len = tokens;
    return NMT_OK;
}
nmt_status nmt_options_set_batch(nmt_options *o, int batch) {
    CHECK_RANGE("batch", batch);
    o->t.batch = batch;
    return NMT_OK;
}
nmt_status nmt_options_set_threads(nmt_options *o, int threads) {
    CHECK_RANGE("threads", threads);
    o->t.threads = threads;
    return NMT_OK;
}
static nmt_status check_switch(const nmt_options *o, const char *name, int on) {
    if (!o) return api_fail(NMT_ERR_ARGUMENT, "nmt_options_set_%s: options is NULL", name);
    if (on != 0 && on != 1) return api_fail(NMT_ERR_ARGUMENT, "%s must be 0 or 1, got %d", name, on);
    return NMT_OK;
}
nmt_status nmt_options_set_alignment(nmt_options *o, int on) {
    nmt_status st = check_switch(o, "alignment", on);
    if (st != NMT_OK) return st;
    o->alignment = on;
    return NMT_OK;
}
nmt_status nmt_options_set_attention_source(nmt_options *o, int source) {
    CHECK_RANGE("attention_source", source);
    o->t.attention_source = source;
    return NMT_OK;
}
nmt_status nmt_options_set_attention(nmt_options *o, int on) {
    nmt_status st = check_switch(o, "attention", on);
    if (st != NMT_OK) return st;
    o->attention = on;
    return NMT_OK;
}
