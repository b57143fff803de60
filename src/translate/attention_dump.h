/* attention_dump.h — writing attention matrices for a person to inspect.
 *
 * One interface, four formats, shared by nmt-translate (the attention of
 * the chosen translation) and nmt-score (forced alignment of a given
 * target). Every record is one sentence: a matrix with one row per target
 * token (the output subwords, then "</s>" when the hypothesis ended) and one
 * column per source token (subword), plus the token labels.
 *
 *   jsonl  FILE, one object per sentence and line:
 *          {"id":1,"src":"..","tgt":"..","src_tokens":[..],"tgt_tokens":[..],
 *           "attention":[[row 1],[row 2],..]}
 *   tsv    FILE, one block per sentence: a line "# sentence ID", the texts
 *          as comments ("# source: ..", "# target: .."), a header line (the
 *          cell "tgt\src", then the source tokens), one line per target
 *          token (its label, then its weights), and an empty line. Fields
 *          are tab-separated; tokens never contain tabs or spaces.
 *   npy    FILE is a directory (created when missing) holding, per sentence,
 *          NNNNNN.npy (NumPy format 1.0, float32 little-endian, C order,
 *          shape (target tokens, source tokens)) and NNNNNN.json (the record
 *          without the matrix: id, texts, tokens). NNNNNN is the 1-based id,
 *          zero-padded to six digits.
 *   html   FILE, one self-contained page (inline CSS and JS, nothing fetched
 *          from the network) with a heatmap table per sentence: target tokens
 *          label the rows, source tokens the columns, and hovering a cell
 *          shows its weight. Optionally the cells of the model's hard
 *          alignment are outlined and gold links marked (a dot for sure,
 *          a ring for possible), with a line of counts per sentence.
 *
 * A model with N > 1 attention heads: the matrix above is the heads' mean
 * (where readers of one-head dumps find it), and every head follows:
 *   jsonl  "heads":[[[row 1],..],..] after "attention", head 1 first;
 *   tsv    the block's mean table is preceded by "# attention: mean of N
 *          heads" and followed, per head, by "# head K", a header line and
 *          its rows (the empty line still ends the block);
 *   npy    NNNNNN.heads.npy beside NNNNNN.npy, shape (N, target tokens,
 *          source tokens), head 1 first; NNNNNN.json gets "heads":N;
 *   html   a menu above each heatmap switches it between the mean and
 *          head 1 .. N.
 * One head writes exactly the one-matrix records above.
 *
 * The id is the sentence's 1-based line number in the input. The jsonl,
 * tsv and html files are written atomically (they appear complete, at
 * attdump_close, or not at all). Weights are printed with six significant
 * digits in the text formats. */
#ifndef NMT_ATTENTION_DUMP_H
#define NMT_ATTENTION_DUMP_H

#include <stddef.h>

#include "sys/util.h"
#include "vocab/vocab.h"

#define TSV_CORNER "tgt\\src"

typedef enum { ATTDUMP_JSONL = 0, ATTDUMP_TSV, ATTDUMP_NPY, ATTDUMP_HTML } AttDumpFormat;
extern const char *const ATTDUMP_FORMAT_NAMES[]; /* "jsonl", "tsv", "npy", "html" */

/* "jsonl", "tsv", "npy" or "html" -> format. 0, or -1 for anything else. */
int attdump_parse_format(const char *name, AttDumpFormat *fmt);
const char *attdump_format_name(AttDumpFormat fmt);
/* The format a file name suggests: .html/.htm, .tsv, .npy or a trailing /
 * (a directory of .npy files), else jsonl. */
AttDumpFormat attdump_format_for_path(const char *path);

typedef struct {
    long id;                        /* 1-based sentence (line) number */
    const char *src_text, *tgt_text; /* detokenized texts, or NULL */
    const char *const *src_tokens;  /* [Ts] column labels */
    int Ts;
    const char *const *tgt_tokens;  /* [Tt] row labels */
    int Tt;
    const float *att;               /* [Tt][Ts] row-major */
    const unsigned char *marks;     /* html: [Tt][Ts] MARK_* bits (translate/attention_marks.h), or NULL */
    const char *marks_note;         /* html: a line on the marks under the heatmap, or NULL */
    int heads;                      /* N attention heads (0 or 1: att is the only matrix) */
    const float *head_att;          /* N > 1: [N][Tt][Ts] each head's weights (att is their mean) */
} AttRecord;

/* 1 when the record carries its heads' own matrices besides their mean. */
static inline int attrecord_has_heads(const AttRecord *r) { return r->heads > 1 && r->head_att; }

typedef struct AttDump AttDump;

/* Open FILE for writing (for npy: create the directory). NULL with a
 * message in err when it cannot. title appears in the html page (may be NULL). */
AttDump *attdump_open(const char *path, AttDumpFormat fmt, const char *title, char *err, size_t errsz);
/* Append one sentence. 0, or -1 with a message (the dump is then unusable: abort it). */
int attdump_write(AttDump *d, const AttRecord *r, char *err, size_t errsz);
/* The same from token ids: labels are the vocabulary's subword strings,
 * plus "</s>" as the last row label when tgt_ended; texts are decoded. */
int attdump_write_ids(AttDump *d, long id, const Vocab *v, const int *src, int Ts, const int *tgt, int tgt_len,
                      int tgt_ended, const float *att, char *err, size_t errsz);
/* The same with N heads: att their mean, head_att [N][Tt][Ts] each head's
 * (heads <= 1, head_att NULL: attdump_write_ids). */
int attdump_write_ids_heads(AttDump *d, long id, const Vocab *v, const int *src, int Ts, const int *tgt, int tgt_len,
                            int tgt_ended, const float *att, int heads, const float *head_att, char *err,
                            size_t errsz);
/* html only (no effect on the other formats): outline the cells of the
 * model's own hard word alignment in every heatmap written by
 * attdump_write_ids; and mark the gold links of a talp file (1-based,
 * "i-j" sure, "ipj" possible, line k for the record with id k) of the
 * pairs of src_path and tgt_path. The file is read and checked as nmt-align
 * --score checks gold given --src/--tgt (align/pipeline.h): one line per
 * pair, every link inside its line's whitespace-separated words. 0, or -1
 * with err ("FILE:LINE: ...", or "line counts differ: ..."). */
void attdump_mark_alignment(AttDump *d);
int attdump_load_gold(AttDump *d, const char *talp_path, const char *src_path, const char *tgt_path, char *err,
                      size_t errsz);
/* Finish and close (the atomic rename happens here). 0, or -1 with err. */
int attdump_close(AttDump *d, char *err, size_t errsz);
/* Give up: remove the temporary file, free everything. */
void attdump_abort(AttDump *d);
/* Records written so far. */
long attdump_count(const AttDump *d);

#endif
