/* options.c — see serve.h: nmt-serve's options, one table (flags, ranges,
 * defaults, help). */
#include <stddef.h>
#include <string.h>

#include "serve/serve.h"

const char *const SERVE_HOST_NAMES[] = {"127.0.0.1|localhost", "::1", "0.0.0.0|any", "::", NULL};

#define F(member) offsetof(ServeOptions, member)
const FieldSpec SERVE_OPTION_FIELDS[] = {
    {NULL, "--host", FIELD_ENUM, F(host), 0, 0, 3, NULL, SERVE_HOST_NAMES, .metavar = "ADDR", .section = "",
     .help = "listen on 127.0.0.1 (the default) or ::1, the loopback\n"
             "addresses (this machine only), or on every address of\n"
             "the machine: 0.0.0.0 (IPv4), :: (IPv6 and IPv4)"},
    {NULL, "--port", FIELD_INT, F(port), 8080, 0, 65535, .section = "",
     .help = "the TCP port; 0 takes a free one (printed at start)"},
    {NULL, "--workers", FIELD_INT, F(workers), 1, 1, 1024, .section = "requests",
     .help = "requests decoded at once, each on one thread, all on\n"
             "the same models (default: all cores)"},
    {NULL, "--queue", FIELD_INT, F(queue), 64, 0, 1 << 20, .section = "requests",
     .help = "requests that may wait for a worker; one more is\n"
             "answered 503"},
    {NULL, "--join", FIELD_INT, F(join), 1, 1, 256, .section = "requests",
     .help = "a worker decodes up to N waiting /translate requests\n"
             "of one model and the same options as one input: more\n"
             "sentences/s from many small requests, but their scores\n"
             "may differ in the last digits from nmt-translate's for\n"
             "each request alone (as between --batch sizes). 1: each\n"
             "request is decoded alone, as nmt-translate decodes it"},
    {NULL, "--max-wait", FIELD_INT, F(max_wait), 60, 1, 86400, .metavar = "S", .section = "requests",
     .help = "seconds a request may wait for a worker; it is then\n"
             "answered 503 without being decoded"},
    {NULL, "--timeout", FIELD_INT, F(timeout), 30, 1, 86400, .metavar = "S", .section = "requests",
     .help = "seconds a client may stay silent (a slow upload, an\n"
             "idle connection) before its connection is closed"},
    {NULL, "--max-connections", FIELD_INT, F(max_connections), 256, 1, 65536, .section = "limits",
     .help = "connections open at once; more are refused"},
    {NULL, "--max-request-bytes", FIELD_LONG, F(max_request_bytes), 1 << 20, 64, 1 << 30, .section = "limits",
     .help = "a larger request body is answered 413"},
    {NULL, "--max-lines", FIELD_INT, F(max_lines), 1000, 1, 1 << 20, .section = "limits",
     .help = "lines (or pairs) per request; more are answered 413"},
    {NULL, "--max-line-bytes", FIELD_INT, F(max_line_bytes), 4096, 1, 1 << 24, .section = "limits",
     .help = "bytes per line; a longer line is answered 413"},
    {NULL, "--max-beam", FIELD_INT, F(max_beam), 16, 1, 256, .section = "limits",
     .help = "the largest beam a request may ask for (400 above)"},
};
#undef F
const int SERVE_OPTION_NFIELDS = (int)(sizeof SERVE_OPTION_FIELDS / sizeof SERVE_OPTION_FIELDS[0]);

void serve_options_default(ServeOptions *o) {
    memset(o, 0, sizeof *o);
    fields_set_defaults(SERVE_OPTION_FIELDS, SERVE_OPTION_NFIELDS, o);
}
