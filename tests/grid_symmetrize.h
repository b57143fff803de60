/* grid_symmetrize.h — the dense reference of symmetrization, for tests. */
#ifndef NMT_TESTS_GRID_SYMMETRIZE_H
#define NMT_TESTS_GRID_SYMMETRIZE_H

#include <stdlib.h>

#include "align/pharaoh.h"
#include "align/symmetrize.h"
#include "sys/util.h"

/* Koehn's grow-diag family on an n x m grid, as symmetrize.c computed it
 * before it worked on the union alone: n x m cells swept target-major
 * until a sweep adds nothing, as Moses does. The reference the sparse
 * version must agree with, link for link (test_align_links.c, fuzz_links.c). */
static void grid_symmetrize(const AlignLink *fwd, size_t nf, const AlignLink *rev, size_t nr, int n, int m, SymMethod method,
                 Alignment *out) {
    enum { F = 1, R = 2, C = 4 };
    unsigned char *cell = xcalloc((size_t)n * m + 1, 1);
    int *sl = xcalloc((size_t)n + 1, sizeof(int)), *tl = xcalloc((size_t)m + 1, sizeof(int));
#define CHOOSE(i, j) (cell[(i) * m + (j)] |= C, sl[i]++, tl[j]++)
    for (size_t k = 0; k < nf; k++) cell[fwd[k].src * m + fwd[k].tgt] |= F;
    for (size_t k = 0; k < nr; k++) cell[rev[k].src * m + rev[k].tgt] |= R;
    for (int i = 0; i < n; i++)
        for (int j = 0; j < m; j++) {
            int c = cell[i * m + j];
            if (method == SYM_UNION ? (c & (F | R)) != 0 : (c & (F | R)) == (F | R)) CHOOSE(i, j);
        }
    static const int DT[8] = {-1, 0, 1, 0, -1, -1, 1, 1}, DS[8] = {0, -1, 0, 1, -1, 1, -1, 1};
    for (int added = method >= SYM_GROW_DIAG; added;) {
        added = 0;
        for (int j = 0; j < m; j++)
            for (int i = 0; i < n; i++) {
                if (!(cell[i * m + j] & C)) continue;
                for (int k = 0; k < 8; k++) {
                    int ni = i + DS[k], nj = j + DT[k];
                    if (ni < 0 || nj < 0 || ni >= n || nj >= m) continue;
                    int c = cell[ni * m + nj];
                    if ((c & C) || !(c & (F | R)) || (sl[ni] && tl[nj])) continue;
                    CHOOSE(ni, nj);
                    added = 1;
                }
            }
    }
    if (method == SYM_GROW_DIAG_FINAL || method == SYM_GROW_DIAG_FINAL_AND)
        for (int bit = F; bit <= R; bit <<= 1)
            for (int j = 0; j < m; j++)
                for (int i = 0; i < n; i++) {
                    int c = cell[i * m + j];
                    if ((c & C) || !(c & bit)) continue;
                    if (method == SYM_GROW_DIAG_FINAL_AND ? (!sl[i] && !tl[j]) : (!sl[i] || !tl[j])) CHOOSE(i, j);
                }
#undef CHOOSE
    alignment_begin(out);
    for (int i = 0; i < n; i++)
        for (int j = 0; j < m; j++)
            if (cell[i * m + j] & C) alignment_add(out, i, j, 0);
    alignment_finish(out);
    free(cell), free(sl), free(tl);
}

#endif
