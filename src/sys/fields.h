/* fields.h — a configuration struct described once, as a table.
 *
 * Each FieldSpec names one member of a struct (its offset and type), the
 * key it has in model and checkpoint files, the command-line flag that sets
 * it, its default and the range every value must lie in. The same table
 * then writes the struct as "key=value" lines, reads it back (refusing a
 * missing required key or a value out of range, naming the file and the
 * field), parses flags with the same rules, and lists the differences
 * between two structs (the resume rules). Adding an option is one line in
 * its table plus the code that uses it. */
#ifndef NMT_FIELDS_H
#define NMT_FIELDS_H

#include <stddef.h>
#include <stdint.h>

#include "sys/util.h"

/* FIELD_INPUT and FIELD_OUTPUT are a path (a const char * member) that a
 * command reads or writes: they exist in command tables only (sys/cli.h),
 * never in files, and are what the check that no output overwrites an
 * input walks. */
typedef enum {
    FIELD_INT,
    FIELD_LONG,
    FIELD_U64,
    FIELD_FLOAT,
    FIELD_DOUBLE,
    FIELD_ENUM,
    FIELD_INPUT,
    FIELD_OUTPUT,
    FIELD_TEXT /* command tables only: a value the command parses itself (a list of
                * numbers, ...), kept as the const char * of argv; never a file */
} FieldType;

enum {
    FIELD_REQUIRED = 1,     /* reading fails without it (else it keeps its default) */
    FIELD_OMIT_DEFAULT = 2, /* written only when it differs from the default */
    FIELD_NOT_SAVED = 4,    /* never written or read: a setting of this run only */
    FIELD_SWITCH = 8,       /* its flag takes no value and sets 1 */
    FIELD_RESUME_FREE = 16, /* a saved switch that nmt-train --resume may turn on (train/state.c) */
    /* command tables (sys/cli.h) only: */
    FIELD_MANDATORY = 32,   /* the command line must give it */
    FIELD_STDIO = 64,       /* a path that may be "-": standard input or output */
    FIELD_PLAIN_FILE = 128, /* an output that must be a regular file (files are derived from its name) */
    FIELD_DIRECTORY = 256,  /* an output that may be a directory (written into) */
    FIELD_REPEATED = 512,   /* an input flag given once or more: its member is a NULL-terminated
                             * const char ** of the values in order (cli_free frees it) */
};

typedef struct {
    const char *key;          /* in files; NULL with FIELD_NOT_SAVED */
    const char *flag;         /* "--batch", or NULL */
    FieldType type;           /* FIELD_ENUM is an int holding an index into names */
    size_t offset;            /* offsetof the member */
    double def, min, max;     /* default and the inclusive range of valid values */
    const char *format;       /* printf format in files ("%.9g"); NULL: the type's own (enum: its name) */
    const char *const *names; /* FIELD_ENUM: the values' names, NULL-terminated; "a|b" accepts b for a */
    unsigned flags;
    /* on the command line (sys/cli.h): */
    const char *alias;   /* a short flag ("-m"), or NULL */
    const char *metavar; /* the value in --help ("N", "FILE"); NULL: from the type */
    const char *help;    /* the --help text, lines separated by "\n"; "(default X)" is appended
                          * from def unless the text already says "default" */
    const char *section; /* the --help heading it is listed under (CliCommand.sections) */
} FieldSpec;

/* Every field to its default. */
void fields_set_defaults(const FieldSpec *f, int n, void *obj);

/* Append "key=value\n" for every saved field, in table order. */
void fields_write(const FieldSpec *f, int n, const void *obj, Buf *out);

/* Read the fields found in "key=value" text (other keys are ignored: they
 * belong to other tables). Fields not found keep their value. 0, or -1
 * with "WHERE: ..." in err: a required field missing, a value that does
 * not parse or lies out of range. */
int fields_read(const FieldSpec *f, int n, const char *text, size_t len, void *obj, const char *where, char *err,
                size_t errsz);

/* If flag is one of the table's flags, set the field from value (NULL for
 * a switch) and return 1; 0 when the flag is not in the table; -1 with a
 * message when the value does not parse or is out of range. *takes_value
 * tells whether the flag consumes a value. */
int fields_parse_flag(const FieldSpec *f, int n, const char *flag, const char *value, void *obj, int *takes_value,
                      char *err, size_t errsz);
/* Set the field from text, checking its range. 0, or -1 with the reason
 * in why ("must be between 1 and 256, got 0"), for a message that names
 * the flag or the key. */
int fields_parse_value(const FieldSpec *f, const char *text, void *obj, char *why, size_t whysz);
/* The length of an enum name without its alternatives ("gdfa" in "gdfa|x"). */
int fields_name_len(const char *name);
/* The spec for a flag or its alias, or NULL. */
const FieldSpec *fields_find_flag(const FieldSpec *f, int n, const char *flag);

/* 0 when every field is in range, else -1 naming the first one that is not. */
int fields_check(const FieldSpec *f, int n, const void *obj, const char *where, char *err, size_t errsz);

/* A field's value as text in its file format. */
void fields_format(const FieldSpec *f, const void *obj, char *out, size_t outsz);
/* The same for a person: numbers with %g, enums by name. */
void fields_describe(const FieldSpec *f, const void *obj, char *out, size_t outsz);
/* 1 when the field holds the same value in a and b. */
int fields_equal(const FieldSpec *f, const void *a, const void *b);
/* dst's field = src's. */
void fields_copy(const FieldSpec *f, void *dst, const void *src);

#endif
