/* transfer.c — see transfer.h. */
#include "model/transfer.h"

#include <stdlib.h>
#include <string.h>

#include "sys/util.h"

enum { MAX_TENSORS = 512 }; /* 16 + 16 stacked layers of 8 tensors each, and the rest */

TransferReport model_transfer(Model *to, const Model *from) {
    TransferReport r = {0};
    ParamInfo *a = xmalloc(sizeof *a * MAX_TENSORS), *b = xmalloc(sizeof *b * MAX_TENSORS);
    int na = model_param_table(&to->cfg, a, MAX_TENSORS), nb = model_param_table(&from->cfg, b, MAX_TENSORS);
    if (na > MAX_TENSORS) na = MAX_TENSORS; /* cannot happen within the depth limits */
    if (nb > MAX_TENSORS) nb = MAX_TENSORS;
    for (int i = 0; i < na; i++) {
        int j = 0;
        while (j < nb && strcmp(a[i].name, b[j].name) != 0) j++;
        if (j < nb && a[i].rows == b[j].rows && a[i].cols == b[j].cols) {
            memcpy(to->params + a[i].offset, from->params + b[j].offset, sizeof(float) * a[i].size);
            r.carried++;
        } else if (!r.fresh++) {
            snprintf(r.first_fresh, sizeof r.first_fresh, "%s", a[i].name);
        }
    }
    for (int j = 0; j < nb; j++) {
        int i = 0;
        while (i < na && strcmp(a[i].name, b[j].name) != 0) i++;
        if (i == na && !r.left_out++) snprintf(r.first_left_out, sizeof r.first_left_out, "%s", b[j].name);
    }
    free(a), free(b);
    return r;
}
