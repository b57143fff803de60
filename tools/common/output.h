/* output.h — where nmt-translate and nmt-score put their results: the main
 * output (stdout, or a file written atomically) and an optional attention
 * dump, opened together and committed or discarded together. */
#ifndef NMT_TOOLS_OUTPUT_H
#define NMT_TOOLS_OUTPUT_H

#include <stdio.h>

#include "sys/atomic.h"
#include "sys/fields.h"
#include "sys/util.h"
#include "model/saved.h"
#include "translate/attention_dump.h"

typedef struct {
    AtomicFile af;
    FILE *out;     /* stdout or af.f */
    AttDump *dump; /* NULL without --attention */
    const char *name; /* the output's path, for messages */
} ToolOutput;

/* The flags nmt-translate and nmt-score share, one table for both: the
 * model, the products' precision and the attention dump. */
typedef struct {
    const char **models;   /* -m, given once or more (NULL-terminated): more than one is an ensemble */
    const char *attention;
    int precision, attention_format; /* GemmPrecision; AttDumpFormat or -1 (from the file's name) */
    int attention_model;   /* 1-based: the ensemble's model whose attention is reported */
    const char *weights;   /* --weights W1,W2,..., or NULL */
} DecodeArgs;
extern const FieldSpec DECODE_FIELDS[];
extern const int DECODE_NFIELDS;
/* Their defaults (the machine's preferred precision) before parsing. */
void decode_args_default(DecodeArgs *a);
/* The dump's format (tool_attention_format) and the products' precision set, after parsing. */
AttDumpFormat decode_args_apply(const DecodeArgs *a);

/* The model of -m, or the ensemble of every -m with --weights and
 * --attention-model (model/ensemble.h), with the bf16 copies of the weights
 * made when the products are bf16, the int8 ones when they are int8. Dies
 * with a message naming the file or the flag. */
Model *decode_args_load(const DecodeArgs *a);
/* The models' count (-m given how many times). */
int decode_args_count(const DecodeArgs *a);
/* Release what decode_args_load returned. */
void decode_args_unload(Model *m);

/* out_path NULL or "-" is stdout; att_path NULL means no dump. Dies with a
 * message naming the file when one cannot be created. */
void tool_output_open(ToolOutput *t, const char *out_path, const char *att_path, AttDumpFormat fmt,
                      const char *title);
/* rc == 0: close the dump and commit the output (dies on failure).
 * rc != 0: discard both and die with err. */
void tool_output_finish(ToolOutput *t, int rc, const char *err);

/* The attention dump's format from --attention FILE and --attention-format
 * NAME (either may be NULL): the name when given, else the file's
 * extension. Dies on an unknown name or a format without a file. */
AttDumpFormat tool_attention_format(const char *att_path, const char *att_format);

/* The closing note on skipped input: "N lines with invalid UTF-8 written
 * as empty lines (first: FILE:LINE: ...)"; nothing when count is 0. */
void tool_report_invalid(long count, const char *unit, const char *first);

#endif
