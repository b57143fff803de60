/* npy.c — see npy.h. */
#include "sys/npy.h"

#include <stdio.h>

void npy_header(Buf *b, int rows, int cols) { npy_header_dims(b, 2, (const int[]){rows, cols}); }

void npy_header_dims(Buf *b, int ndim, const int *dims) {
    char shape[96], dict[192];
    int len = 0;
    for (int i = 0; i < ndim && len < (int)sizeof shape; i++)
        len += snprintf(shape + len, sizeof shape - (size_t)len, "%s%d", i ? ", " : "", dims[i]);
    int n = snprintf(dict, sizeof dict, "{'descr': '<f4', 'fortran_order': False, 'shape': (%s), }", shape);
    size_t total = 10 + (size_t)n + 1; /* magic+version+len, dict, '\n' */
    size_t padded = (total + 63) / 64 * 64;
    size_t hlen = padded - 10;
    unsigned char pre[10] = {0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0, (unsigned char)(hlen & 0xff),
                             (unsigned char)(hlen >> 8)};
    buf_append(b, pre, 10);
    buf_append(b, dict, (size_t)n);
    for (size_t i = 10 + (size_t)n; i < padded - 1; i++) buf_append(b, " ", 1);
    buf_append(b, "\n", 1);
}
