/* symmetrize.h — combining a forward and a reverse word alignment.
 *
 * Both inputs are (source, target) links of the same sentence pair: forward
 * from the model that generates the target (at most one link per target
 * word), reverse from the one that generates the source. Methods, in Koehn's
 * definitions as Moses' symmetrizer implements them:
 *   intersect            links in both (high precision)
 *   union                links in either (high recall)
 *   grow-diag            start from the intersection; repeatedly add union
 *                        links that neighbour (8 directions) a chosen link and
 *                        touch a source or target word not yet aligned
 *   grow-diag-final      then add union links touching an unaligned word
 *   grow-diag-final-and  then add union links whose source AND target words
 *                        are both unaligned (forward's links first, then reverse's)
 * The output is sorted by (source, target). docs/align.md gives the order in
 * which grow-diag visits points, which decides ties. Only the union's links
 * are ever looked at, never a grid of source x target cells. */
#ifndef NMT_ALIGN_SYMMETRIZE_H
#define NMT_ALIGN_SYMMETRIZE_H

#include "align/pharaoh.h"

typedef enum { SYM_INTERSECT, SYM_UNION, SYM_GROW_DIAG, SYM_GROW_DIAG_FINAL, SYM_GROW_DIAG_FINAL_AND } SymMethod;

/* "intersect" (or "intersection"), "union", "grow-diag", "grow-diag-final",
 * "grow-diag-final-and" (or "gdfa"). Returns 0, or -1 when unknown. */
int sym_method_parse(const char *name, SymMethod *out);
const char *sym_method_name(SymMethod m);
/* The names in SymMethod order, each with its alternatives after '|'
 * (a table of flags, sys/fields.h), NULL-terminated. */
extern const char *const SYM_METHOD_CHOICES[];
/* The list of names, for --help and error messages. */
#define SYM_METHOD_NAMES "intersect, union, grow-diag, grow-diag-final, grow-diag-final-and"

/* Symmetrize one sentence pair and append it to out as a new sentence. The
 * links need not be sorted; repeats count once. Work and memory grow with
 * the number of links (O(L log L)), not with their indices or the lengths:
 * with every link inside the sentence, the lengths bound nothing the links
 * do not, so they are not asked for (check them with
 * alignment_check_sentence first). */
void symmetrize_sentence(const AlignLink *fwd, size_t nf, const AlignLink *rev, size_t nr, SymMethod method,
                         Alignment *out);
/* Every sentence. Returns 0, or -1 with err when the sentence counts differ. */
int symmetrize(const Alignment *fwd, const Alignment *rev, SymMethod method, Alignment *out, char *err,
               size_t errsz);

#endif
