/* tool.h — the start of every command: its flags parsed from its table
 * (src/sys/cli.h), --help and --list-options answered, and its files
 * checked, each failure ending the command with one message. */
#ifndef NMT_TOOLS_TOOL_H
#define NMT_TOOLS_TOOL_H

#include "sys/cli.h"

/* Parse argv into args, then check its files (tool_check_files), before
 * the tool looks at anything else: no command can skip the check. Prints
 * --help or --list-options and exits 0; dies with the parser's message on
 * a bad command line. */
void tool_parse(const CliCommand *cmd, int argc, char **argv, void *args, CliGiven *given);

/* cli_check_files, dying with its message (again with derived outputs:
 * nmt-train's MODEL.ckpt and others). */
void tool_check_files(const CliCommand *cmd, const void *args, const CliPath *extra, int nextra);

/* Set the products' precision (a GemmPrecision, nn/blas.h); for int8
 * where it cannot run, say so on stderr, once: the products then run at
 * the default precision (gemm_int8_fallback). */
void tool_apply_precision(int precision);

/* Flush standard output, dying with the reason when it cannot be written
 * (a full disk, a closed pipe): "cannot write standard output: No space
 * left on device". */
void tool_flush_stdout(void);

#endif
