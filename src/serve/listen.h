/* listen.h — the server's listening socket. */
#ifndef NMT_SERVE_LISTEN_H
#define NMT_SERVE_LISTEN_H

#include <stddef.h>

#include "serve/serve.h"

/* A socket listening on o's host and port (0: a free port, returned in
 * *port); its descriptor, or -1 with "HOST:PORT: cannot listen: reason"
 * in err. Opened here rather than by libmicrohttpd so that a failure
 * names its reason. */
int serve_listen(const ServeOptions *o, int *port, char *err, size_t errsz);

#endif
