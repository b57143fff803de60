/* args.c — see args.h. */
#include "core/args.h"

#include <string.h>

#include "core/util.h"

const char *arg_value(int argc, char **argv, int *i, const char *const *known) {
    const char *a = argv[*i];
    int found = 0;
    for (const char *const *k = known; *k && !found; k++) found = strcmp(*k, a) == 0;
    if (!found) die("unknown option %s (see --help)", a);
    if (*i + 1 >= argc) die("%s needs a value (see --help)", a);
    return argv[++*i];
}
