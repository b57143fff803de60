/* cli.h — a command's flags described once, as tables: parsing, --help,
 * --list-options, and the check that no output overwrites an input.
 *
 * A command is a list of FieldSpec tables (sys/fields.h), each with the
 * offset of the struct it fills inside the tool's argument struct: the
 * tool's own table (files, switches, its own numbers) and the library's
 * (the model's configuration, the training options, the search options),
 * so a range or a default is written once, where the library keeps it.
 *
 * Every value a flag takes is a number, a name from a list, or a path; a
 * path is FIELD_INPUT or FIELD_OUTPUT, so no file flag can escape
 * cli_check_files: an output that is an input, or two outputs naming one
 * file, are refused before any work, and so is an output that cannot be
 * created. Nothing here exits: the tools decide (tools/common/tool.h). */
#ifndef NMT_SYS_CLI_H
#define NMT_SYS_CLI_H

#include <stddef.h>
#include <stdio.h>

#include "sys/fields.h"

typedef struct {
    const FieldSpec *fields;
    int n;
    size_t offset; /* of the struct the table describes, inside the argument struct */
} CliTable;

typedef struct {
    const char *usage;               /* "usage: ..." lines and the description, before the options */
    const CliTable *tables;
    int ntables;
    const char *const *sections;     /* the --help headings in order, NULL-terminated; "" for none */
    const char *epilog;              /* after the options, or NULL */
    /* arguments that are not flags: input files (nmt-bleu's references,
     * nmt-average's models); positional == NULL refuses them */
    const char *positional;          /* its name in messages ("MODEL"), or NULL */
    size_t positional_offset;        /* const char ** in the argument struct, NULL-terminated */
    size_t positional_count_offset;  /* int in the argument struct */
} CliCommand;

/* Which flags the command line gave. */
enum { CLI_MAX_GIVEN = 256 };
typedef struct {
    const FieldSpec *spec[CLI_MAX_GIVEN];
    int n;
} CliGiven;
/* 1 when the flag (or its alias) was given. */
int cli_given(const CliGiven *g, const char *flag);

enum { CLI_OK = 0, CLI_HELP = 1, CLI_LIST = 2, CLI_ERROR = -1 };

/* Parse argv into args (whose tables' defaults the caller has set). Flags
 * take their value as the next argument or after "=" ("--beam=5"); "--"
 * ends the flags. Returns CLI_OK; CLI_HELP for -h/--help and CLI_LIST for
 * --list-options (the caller prints them); or CLI_ERROR with the message
 * in err: an unknown flag, a missing or invalid value, a switch given a
 * value, an argument where none is taken, a FIELD_MANDATORY flag missing.
 * The positional array and the lists of FIELD_REPEATED flags (each value
 * appended, in order) are malloc'd (cli_free). given may be NULL. */
int cli_parse(const CliCommand *cmd, int argc, char **argv, void *args, CliGiven *given, char *err, size_t errsz);
void cli_free(const CliCommand *cmd, void *args);

/* --help, generated from the tables. */
void cli_help(const CliCommand *cmd, FILE *out);
/* --list-options: one line per flag, tab-separated: flag, alias ("-" if
 * none), kind (switch, int, long, float, double, choice, input, output),
 * the value's name, default, min, max ("-" where none applies). For
 * scripts, completion and the tests that check every table. */
void cli_list(const CliCommand *cmd, FILE *out);

/* An output that is derived from a flag's value (nmt-train's MODEL.ckpt). */
typedef struct {
    const char *flag; /* the flag it comes from, for messages */
    const char *path;
} CliPath;

/* Before any work: every output can be created (its directory exists and
 * is writable; a FIELD_PLAIN_FILE output is a regular file or new), no
 * output is the same file as an input (same device and inode, so links
 * and "./x" are caught; "-" as input is whatever stdin is), and no two
 * outputs name the same file (existing character devices such as
 * /dev/null are written in place and may repeat). extra lists derived
 * outputs. 0, or -1 with a message naming the flags and files. */
int cli_check_files(const CliCommand *cmd, const void *args, const CliPath *extra, int nextra, char *err,
                    size_t errsz);

#endif
