/* info.h — GET /model: what the server serves, as JSON. */
#ifndef NMT_SERVE_INFO_H
#define NMT_SERVE_INFO_H

#include "serve/serve.h"

/* The version, the products' precision, each model's name, parameters,
 * vocabulary sizes and settings, the request options' defaults and the
 * server's limits; malloc'd JSON text. */
char *serve_model_info(const ServeOptions *o, const ServeModel *models, int n_models);

#endif
