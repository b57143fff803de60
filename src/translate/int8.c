/* int8.c — see int8.h. */
#include "translate/int8.h"

#include <stdlib.h>

#include "model/ensemble.h"
#include "model/model.h"
#include "nn/blas.h"
#include "sys/util.h"

/* 1 when x's copies were made now, 0 when it had them, -1 on failure. */
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
    return rc == 0 ? 1 : -1;
}

static const Model *member(const Model *m, int k) { return m->ensemble ? m->ensemble->models[k] : m; }

int translate_int8_prepare(const Model *m, char *err, size_t errsz) {
    const int n = m->ensemble ? m->ensemble->n : 1;
    int *made = xcalloc((size_t)n, sizeof *made), rc = 0;
    for (int k = 0; k < n && rc == 0; k++) {
        const int r = prepare_one(member(m, k), err, errsz);
        if (r < 0) rc = -1;
        else made[k] = r;
    }
    /* on failure, only the copies made here go: the others may be in use */
    for (int k = 0; rc != 0 && k < n; k++)
        if (made[k]) gemm_int8_forget(member(m, k)->params);
    free(made);
    return rc;
}

void translate_int8_release(const Model *m) {
    const int n = m->ensemble ? m->ensemble->n : 1;
    for (int k = 0; k < n; k++) gemm_int8_forget(member(m, k)->params);
}
