/* translate.c — the C API in a few lines: translate the lines of stdin with
 * beam 5 and print each translation, its score and its word alignment.
 *   cc translate.c -o translate $(pkg-config --cflags --libs nmt)
 *   ./translate MODEL < input.txt */
#define _POSIX_C_SOURCE 200809L /* getline */
#include <nmt.h>
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv) {
    if (argc != 2) {
        fprintf(stderr, "usage: %s MODEL < input.txt\n", argv[0]);
        return 2;
    }
    nmt_model *model;
    if (nmt_model_load(argv[1], &model) != NMT_OK) {
        fprintf(stderr, "%s\n", nmt_last_error());
        return 1;
    }
    /* any number of lines of any length: getline grows each line's buffer */
    char **lines = NULL, *line = NULL;
    size_t n = 0, cap = 0, line_cap = 0;
    ssize_t len;
    while ((len = getline(&line, &line_cap, stdin)) >= 0) {
        if (len > 0 && line[len - 1] == '\n') line[--len] = '\0';
        if (len > 0 && line[len - 1] == '\r') line[--len] = '\0';
        if (n == cap && !(lines = realloc(lines, (cap = cap ? 2 * cap : 64) * sizeof *lines))) return perror("realloc"), 1;
        lines[n++] = line;
        line = NULL, line_cap = 0;
    }
    free(line);
    if (ferror(stdin)) return perror("stdin"), 1;
    nmt_options *opt = nmt_options_new();
    nmt_options_set_beam(opt, 5);
    nmt_options_set_alignment(opt, 1);
    nmt_result *res;
    if (nmt_translate(model, opt, (const char *const *)lines, n, &res) != NMT_OK) {
        fprintf(stderr, "%s\n", nmt_last_error());
        return 1;
    }
    for (size_t i = 0; i < n; i++) {
        const int *pairs;
        size_t k = nmt_result_alignment(res, i, 0, &pairs);
        printf("%s\t%.4f\t", nmt_result_text(res, i, 0), nmt_result_score(res, i, 0));
        for (size_t j = 0; j < k; j++) printf("%s%d-%d", j ? " " : "", pairs[2 * j], pairs[2 * j + 1]);
        putchar('\n');
        free(lines[i]);
    }
    free(lines);
    nmt_result_free(res);
    nmt_options_free(opt);
    nmt_model_free(model);
    return fflush(stdout) == 0 && !ferror(stdout) ? 0 : (perror("stdout"), 1);
}
