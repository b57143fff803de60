/* translate.c — the C API in a few lines: translate the lines of stdin with
 * beam 5 and print each translation, its score and its word alignment.
 *   cc translate.c -o translate $(pkg-config --cflags --libs nmt)
 *   ./translate MODEL < input.txt */
#include <nmt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
    char *lines[256], buf[4096];
    size_t n = 0;
    while (n < 256 && fgets(buf, sizeof buf, stdin)) {
        buf[strcspn(buf, "\r\n")] = '\0';
        lines[n] = malloc(strlen(buf) + 1);
        strcpy(lines[n++], buf);
    }
    nmt_options *opt = nmt_options_new();
    nmt_options_set_beam(opt, 5);
    nmt_options_set_alignment(opt, 1);
    nmt_result *res;
    nmt_status st = nmt_translate(model, opt, (const char *const *)lines, n, &res);
    if (st != NMT_OK) {
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
    nmt_result_free(res);
    nmt_options_free(opt);
    nmt_model_free(model);
    return 0;
}
