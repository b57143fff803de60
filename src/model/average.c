/* average.c — see average.h. */
#include "model/average.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sys/util.h"

/* Same tensors and the same meaning for every token id? (Dropout rates are
 * training settings and may differ.) */
static int same_architecture(const Model *a, const Model *b) {
    return model_config_same_architecture(&a->cfg, &b->cfg) && a->vocab_len == b->vocab_len &&
           memcmp(a->vocab_bytes, b->vocab_bytes, a->vocab_len) == 0;
}

Model *model_average(const char *const *paths, int n, char *err, size_t errsz) {
    if (n < 1) {
        snprintf(err, errsz, "no models to average");
        return NULL;
    }
    Model *first = model_load(paths[0], NULL, err, errsz);
    if (!first) return NULL;
    const size_t count = model_num_params(&first->cfg);
    double *sum = xmalloc(count * sizeof *sum); /* double: the mean of many snapshots stays exact to float precision */
    for (size_t i = 0; i < count; i++) sum[i] = first->params[i];
    for (int k = 1; k < n; k++) {
        Model *m = model_load(paths[k], NULL, err, errsz);
        if (!m) goto fail;
        if (!same_architecture(first, m)) {
            snprintf(err, errsz, "%s: not the same architecture and vocabulary as %s", paths[k], paths[0]);
            model_free(m);
            goto fail;
        }
        for (size_t i = 0; i < count; i++) sum[i] += m->params[i];
        model_free(m);
    }
    for (size_t i = 0; i < count; i++) first->params[i] = (float)(sum[i] / n);
    free(sum);
    return first;
fail:
    free(sum);
    model_free(first);
    return NULL;
}
