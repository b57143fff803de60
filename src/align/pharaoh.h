/* pharaoh.h — word alignments in memory and as text.
 *
 * An Alignment holds the links of many sentence pairs. A link joins source
 * token `src` and target token `tgt`, both 0-based in memory whatever the
 * file said; gold links may be marked `possible` (Och & Ney's P \ S).
 *
 * Two text formats, one line per sentence pair, links separated by spaces:
 *   Pharaoh  "0-0 1-2 2-1"   0-based source-target, as fast_align and Moses write
 *   talp     "1-1 2p3 3-2"   1-based, "i-j" sure, "ipj" possible (the RWTH gold)
 * Both parse "ipj" only where possible links are allowed (gold files).
 * Parsed and symmetrized sentences are kept sorted by (src, tgt) without
 * duplicates, so the other modules can merge and search them. */
#ifndef NMT_ALIGN_PHARAOH_H
#define NMT_ALIGN_PHARAOH_H

#include <stddef.h>
#include <stdint.h>

#include "sys/util.h"

typedef struct {
    int32_t src, tgt; /* 0-based token positions */
    int32_t possible; /* 1: a possible (not sure) gold link */
} AlignLink;

typedef struct {
    long nsent;
    size_t *start;    /* nsent + 1 entries: sentence s owns links[start[s] .. start[s+1]) */
    AlignLink *links;
    size_t nlinks, cap;
    long scap;        /* capacity of start */
} Alignment;

void alignment_init(Alignment *a);
void alignment_free(Alignment *a);
/* Open a new (empty) sentence; alignment_add puts links into the last one. */
void alignment_begin(Alignment *a);
void alignment_add(Alignment *a, int src, int tgt, int possible);
/* Sort the last sentence by (src, tgt) and drop repeated links; a link both
 * sure and possible stays sure. */
void alignment_finish(Alignment *a);
static inline size_t alignment_count(const Alignment *a, long s) { return a->start[s + 1] - a->start[s]; }
static inline const AlignLink *alignment_links(const Alignment *a, long s) { return a->links + a->start[s]; }

/* Parse one line as a new sentence. base is 0 (Pharaoh) or 1 (talp);
 * allow_possible accepts "ipj". Returns 0, or -1 with a message in err
 * (the sentence is then left out). */
int alignment_parse_line(Alignment *a, const char *line, int base, int allow_possible, char *err, size_t errsz);
/* Read a whole file ("-" = stdin, or the copy of an input read once,
 * sys/input.h); errors read "FILE:LINE: message". The files have no header
 * or count: their length is checked against a corpus or another file by
 * the callers, and a file cut inside a line is caught here, since every
 * line must end with a line end (CRLF too; a UTF-8 byte-order mark is
 * dropped). A NUL byte is an error, not an exit. */
int alignment_read_file(Alignment *a, const char *path, int base, int allow_possible, char *err, size_t errsz);
/* Check sentence s against its lengths; the message shows the link in the
 * file's base, e.g. "link 3-7: target index 7 is beyond the 5 target tokens". */
int alignment_check_sentence(const Alignment *a, long s, int src_len, int tgt_len, int base, char *err,
                             size_t errsz);
/* Append sentence s as a Pharaoh line ("0-0 1-2\n"; possible links as "ipj"). */
void alignment_format_sentence(const Alignment *a, long s, Buf *out);
/* Write every sentence to path atomically ("-" = stdout). Returns 0 or -1 with err. */
int alignment_write_file(const Alignment *a, const char *path, char *err, size_t errsz);

/* Number of whitespace-separated tokens in a line (the tokenization every
 * module here uses: runs of spaces and tabs separate tokens). */
int align_count_tokens(const char *line);

#endif
