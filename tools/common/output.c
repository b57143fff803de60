/* output.c — see output.h. */
#include "output.h"

#include "model/ensemble.h"
#include "nn/blas.h"
#include "tool.h"
#include "translate/int8.h"

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include "sys/atomic.h"

void tool_output_open(ToolOutput *t, const char *out_path, const char *att_path, AttDumpFormat fmt,
                      const char *title) {
    char err[1024];
    memset(t, 0, sizeof *t);
    t->out = stdout;
    t->name = out_path && strcmp(out_path, "-") != 0 ? out_path : "<stdout>";
    if (out_path && strcmp(out_path, "-") != 0) {
        if (atomic_open(&t->af, out_path, err, sizeof err) != 0) die("%s", err);
        t->out = t->af.f;
    }
    if (att_path) {
        t->dump = attdump_open(att_path, fmt, title, err, sizeof err);
        if (!t->dump) {
            if (t->out != stdout) atomic_abort(&t->af);
            die("%s", err);
        }
    }
}

void tool_output_finish(ToolOutput *t, int rc, const char *err) {
    int write_errno = errno; /* of the failed write, if that is what failed */
    char why[1024], named[2200];
    if (rc == 0 && t->dump && attdump_close(t->dump, why, sizeof why) != 0) {
        t->dump = NULL;
        rc = -1, err = why;
    }
    if (rc != 0 && t->out && ferror(t->out)) { /* the message says what failed, not where */
        snprintf(named, sizeof named, "%.1000s: %.1000s (%s)", t->name, err, strerror(write_errno ? write_errno : EIO));
        err = named;
    }
    if (rc != 0) {
        if (t->out != stdout) atomic_abort(&t->af);
        if (t->dump) attdump_abort(t->dump);
        die("%s", err);
    }
    if (t->out != stdout && atomic_commit(&t->af, why, sizeof why) != 0) die("%s", why);
    t->out = NULL;
}

AttDumpFormat tool_attention_format(const char *att_path, const char *att_format) {
    AttDumpFormat fmt = ATTDUMP_JSONL;
    if (att_format && attdump_parse_format(att_format, &fmt) != 0)
        die("--attention-format must be jsonl, tsv, npy or html, got '%s'", att_format);
    if (att_format && !att_path) die("--attention-format needs --attention FILE");
    if (att_path && !att_format) fmt = attdump_format_for_path(att_path);
    return fmt;
}

void tool_report_invalid(long count, const char *unit, const char *first) {
    if (count == 0) return;
    fprintf(stderr, "%s: %ld %s%s with invalid UTF-8 written as empty lines (first: %s)\n", program_name(), count, unit,
            count == 1 ? "" : "s", first);
}

#define A(member) offsetof(DecodeArgs, member)
const FieldSpec DECODE_FIELDS[] = {
    {NULL, "--model", FIELD_INPUT, A(models), .alias = "-m", .metavar = "MODEL",
     .flags = FIELD_MANDATORY | FIELD_REPEATED, .section = "",
     .help = "model file from nmt-train; give -m again to decode an\n"
             "ensemble: every model scores each step and the scores are\n"
             "the weighted average of their log-probabilities (the\n"
             "models must share the vocabulary)"},
    {NULL, "--weights", FIELD_TEXT, A(weights), .metavar = "W1,W2,...", .section = "",
     .help = "an ensemble's weights, one positive number per -m in order\n"
             "(default: all equal)"},
    {NULL, "--precision", FIELD_ENUM, A(precision), 0, 0, 2, NULL, GEMM_PRECISION_NAMES, .section = "",
     .help = "the products' precision (default bf16 on CPUs\n"
             "that compute it natively, else fp32; or NMT_GEMM_PRECISION);\n"
             "bf16 keeps a bf16 copy of the weights, made once at load;\n"
             "int8 quantizes the weights once at load (per output row)\n"
             "and the activations per row at each product (8-bit integer\n"
             "products with VNNI; the other products as by default), or,\n"
             "where the CPU lacks VNNI, says so and runs as by default"},
    {NULL, "--attention", FIELD_OUTPUT, A(attention), .flags = FIELD_DIRECTORY, .section = "attention",
     .help = "dump, for every line, the attention of its output (nmt-translate:\n"
             "the best translation; nmt-score: the given target, a forced\n"
             "alignment): target x source subword tokens, one row per target\n"
             "token and </s>, each row summing to 1, with the tokens"},
    {NULL, "--attention-format", FIELD_ENUM, A(attention_format), -1, 0, 3, NULL, ATTDUMP_FORMAT_NAMES,
     .metavar = "F", .section = "attention",
     .help = "jsonl: one JSON object per line {id, src, tgt, src_tokens,\n"
             "tgt_tokens, attention}; tsv: a labelled block per sentence;\n"
             "npy: FILE is a directory of NNNNNN.npy (float32) and\n"
             "NNNNNN.json (tokens) per sentence; html: one self-contained\n"
             "page with a heatmap per sentence (with --alignment, the\n"
             "cells of the printed word links are outlined; gold links\n"
             "can be marked on forced alignments: nmt-score\n"
             "--gold-alignment). Default: from the FILE's\n"
             "extension (.jsonl .tsv .html .npy), else jsonl. Ids are\n"
             "1-based line numbers"},
    {NULL, "--attention-model", FIELD_INT, A(attention_model), 1, 1, ENSEMBLE_MAX_MODELS, .metavar = "K",
     .section = "attention",
     .help = "in an ensemble, report the attention (--attention,\n"
             "--alignment) of the K-th model given with -m"},
};
#undef A
const int DECODE_NFIELDS = (int)(sizeof DECODE_FIELDS / sizeof DECODE_FIELDS[0]);

void decode_args_default(DecodeArgs *a) {
    fields_set_defaults(DECODE_FIELDS, DECODE_NFIELDS, a);
    a->precision = (int)gemm_preferred_precision(); /* bf16 on CPUs that compute it natively */
}

int decode_args_count(const DecodeArgs *a) {
    int n = 0;
    while (a->models[n]) n++;
    return n;
}

Model *decode_args_load(const DecodeArgs *a) {
    const int n = decode_args_count(a);
    char err[1024];
    if (n > ENSEMBLE_MAX_MODELS) die("-m is given %d times; an ensemble has at most %d models", n, ENSEMBLE_MAX_MODELS);
    if (a->attention_model > n)
        die("--attention-model %d: there %s only %d model%s (-m)", a->attention_model, n == 1 ? "is" : "are", n,
            n == 1 ? "" : "s");
    double w[ENSEMBLE_MAX_MODELS];
    if (a->weights && ensemble_parse_weights(a->weights, w, n, err, sizeof err) != 0) die("%s", err);
    Model *m = ensemble_load(a->models, n, a->weights ? w : NULL, a->attention_model - 1, err, sizeof err);
    if (!m) die("%s", err);
    /* bf16 products: convert the weights once, not per product */
    if (gemm_precision() == GEMM_BF16)
        for (int k = 0; k < n; k++) {
            const Model *x = m->ensemble ? m->ensemble->models[k] : m;
            gemm_weights_register(x->params, model_num_params(&x->cfg));
        }
    /* int8: quantized once, here */
    if (gemm_precision() == GEMM_INT8 && translate_int8_prepare(m, err, sizeof err) != 0) die("%s", err);
    return m;
}

void decode_args_unload(Model *m) {
    if (!m) return;
    if (gemm_precision() == GEMM_BF16) {
        const int n = m->ensemble ? m->ensemble->n : 1;
        for (int k = 0; k < n; k++) gemm_weights_forget(m->ensemble ? m->ensemble->models[k]->params : m->params);
    }
    if (gemm_precision() == GEMM_INT8) {
        translate_int8_release(m);
        const long refused = gemm_int8_refused();
        if (refused > 0)
            fprintf(stderr, "%s: oneDNN refused %ld int8 product%s; %s ran in %s\n", program_name(), refused,
                    refused == 1 ? "" : "s", refused == 1 ? "it" : "they", GEMM_PRECISION_NAMES[gemm_int8_fallback()]);
    }
    model_free(m);
}

AttDumpFormat decode_args_apply(const DecodeArgs *a) {
    tool_apply_precision(a->precision);
    return tool_attention_format(a->attention, a->attention_format >= 0 ? ATTDUMP_FORMAT_NAMES[a->attention_format]
                                                                        : NULL);
}
