/* args.h — command-line flags that take a value. */
#ifndef NMT_CORE_ARGS_H
#define NMT_CORE_ARGS_H

/* The value of the flag argv[*i], advancing *i past it. known lists the
 * flags that take a value (NULL-terminated): any other flag stops with
 * "unknown option F", so a mistyped flag is never reported as one
 * "needing a value"; a known flag at the end stops with "F needs a value". */
const char *arg_value(int argc, char **argv, int *i, const char *const *known);

#endif
