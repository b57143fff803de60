/* tool.c — see tool.h. */
#include "tool.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "nn/blas.h"
#include "sys/util.h"

void tool_parse(const CliCommand *cmd, int argc, char **argv, void *args, CliGiven *given) {
    char err[1024];
    int rc = cli_parse(cmd, argc, argv, args, given, err, sizeof err);
    if (rc == CLI_HELP || rc == CLI_LIST) {
        if (rc == CLI_HELP) cli_help(cmd, stdout);
        else cli_list(cmd, stdout);
        tool_flush_stdout();
        exit(0);
    }
    if (rc != CLI_OK) die("%s", err);
    tool_check_files(cmd, args, NULL, 0);
}

void tool_check_files(const CliCommand *cmd, const void *args, const CliPath *extra, int nextra) {
    char err[2048];
    if (cli_check_files(cmd, args, extra, nextra, err, sizeof err) != 0) die("%s", err);
}

void tool_flush_stdout(void) {
    errno = 0;
    if (fflush(stdout) != 0 || ferror(stdout))
        die("cannot write standard output: %s", strerror(errno ? errno : EIO));
}

void tool_apply_precision(int precision) {
    gemm_set_precision((GemmPrecision)precision);
    const char *why = precision == GEMM_INT8 ? gemm_int8_unavailable() : NULL;
    if (why)
        fprintf(stderr, "%s: int8 products are not available here (%s): the products run in %s\n", program_name(),
                why, GEMM_PRECISION_NAMES[gemm_precision()]);
}
