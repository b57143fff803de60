/* check.h — the fuzz targets' property check: a violated property aborts,
 * naming the file and line, so libFuzzer keeps the input as a crash. */
#ifndef NMT_FUZZ_CHECK_H
#define NMT_FUZZ_CHECK_H

#include <stdio.h>
#include <stdlib.h>

#define CHECK(c)                                                                           \
    do {                                                                                   \
        if (!(c)) {                                                                        \
            fprintf(stderr, "%s:%d: property violated: %s\n", __FILE__, __LINE__, #c);     \
            abort();                                                                       \
        }                                                                                  \
    } while (0)

#endif
