/* int8.c — see int8.h. */
#include "translate/int8.h"

#include <stdlib.h>

#include "model/ensemble.h"
#include "model/model.h"
#include "nn/blas.h"
#include "sys/util.h"

static int prepare_one(const Model *x, char *err, size_t errsz) {
    if (gemm_int8_registered(x->params)) return 0;
    const int count = model_param_table(&x->cfg, NULL, 0);
    ParamInfo *info = xmalloc(sizeof *info * (size_t)(count ? count : 1));
    GemmTensor *t = xmalloc(sizeof *t * (size_t)(count ? count : 1));
    model_param_table(&x->cfg, info, count);
    /* the table is in layout order: increasing offsets, no overlap */
    for (int i = 0; i < count; i++) t[i] = (GemmTensor){info[i].offset, info[i].rows, info[i].cols};
    const int rc = gemm_int8_register(x->params, model_num_params(&x->cfg), t, count, err, errsz);
    free(info), free(t);
    return rc;
}

int translate_int8_prepare(const Model *m, char *err, size_t errsz) {
    const int n = m->ensemble ? m->ensemble->n : 1;
    for (int k = 0; k < n; k++)
        if (prepare_one(m->ensemble ? m->ensemble->models[k] : m, err, errsz) != 0) return -1;
    return 0;
}

void translate_int8_release(const Model *m) {
    const int n = m->ensemble ? m->ensemble->n : 1;
    for (int k = 0; k < n; k++) gemm_int8_forget((m->ensemble ? m->ensemble->models[k] : m)->params);
}
