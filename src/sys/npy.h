/* npy.h — the NumPy .npy format (version 1.0), as the attention dump
 * writes float32 matrices. */
#ifndef NMT_NPY_H
#define NMT_NPY_H

#include "sys/util.h"

/* The header for a C-order little-endian float32 array of shape (rows,
 * cols): magic, version, header length and the padded dict, so that the
 * data starts at a multiple of 64 bytes. */
void npy_header(Buf *b, int rows, int cols);
/* The same for any shape of ndim (2 or 3) dimensions, dims[0] the slowest. */
void npy_header_dims(Buf *b, int ndim, const int *dims);

#endif
