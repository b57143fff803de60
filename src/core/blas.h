/* blas.h — the one way this project multiplies matrices.
 *
 * A thin row-major wrapper over OpenBLAS' cblas_sgemm, plus the start-up
 * check that makes sure OpenBLAS runs kernels that fit this CPU: Debian's
 * OpenBLAS 0.3.21 does not know every recent CPU and may fall back to slow
 * generic kernels. OpenBLAS reads OPENBLAS_CORETYPE only while it loads, so
 * blas_setup() re-executes the program once with the right value set. */
#ifndef NMT_BLAS_H
#define NMT_BLAS_H

/* Call first thing in main(). May re-execute the program (argv unchanged)
 * when OpenBLAS picked kernels slower than the CPU supports. Also pins
 * OpenBLAS to one thread: the project parallelizes across batch shards. */
void blas_setup(char **argv);

/* The kernel family OpenBLAS uses (e.g. "SkylakeX", "Haswell"). */
const char *blas_kernel_name(void);

/* C[M][N] = alpha * op(A) op(B) + beta * C, all row-major.
 * op(A) is M x K (A is K x M when ta), op(B) is K x N (B is N x K when tb).
 * lda/ldb/ldc are the row strides of A, B, C as stored. */
void gemm(int ta, int tb, int M, int N, int K, float alpha, const float *A, int lda, const float *B, int ldb,
          float beta, float *C, int ldc);

#endif
