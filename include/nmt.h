/* nmt.h — the public C API of libnmt (nmtc): load a model, translate lines,
 * score given translations, read back texts, scores, word alignments and
 * attention matrices with their tokens.
 *
 * Build against it with:  cc app.c $(pkg-config --cflags --libs nmt)
 *
 * Every type is an opaque handle; nothing of the library's own structures
 * is exposed, so the ABI (libnmt.so.1) stays stable when they change.
 * Every call that can fail returns an nmt_status; on failure
 * nmt_last_error() gives a message (per thread) that names the file, the
 * line, the argument or the environment variable, and the reason.
 *
 * What can still end the process: running out of memory, and nothing else.
 * An allocation that fails (for the model, a batch, a result, a product's
 * scratch space) prints "nmt: out of memory (...)" on stderr and exits
 * with status 1, as the tools do. Nothing a caller or a user controls
 * makes the library call exit() or abort(): settings in the environment,
 * model files (a directory, /dev/zero or a FIFO is refused before
 * reading), input lines and options all come back as a status, and a
 * product oneDNN refuses is computed by OpenBLAS. The library's other
 * checks that end a program guard the tools' own code paths (reading text
 * files, training), which no call of this API reaches.
 *
 * Thread safety:
 *   - A loaded nmt_model is read-only: nmt_translate and nmt_score may run
 *     on the same model from several threads at once.
 *   - An nmt_options may be shared by concurrent calls that only read it;
 *     setting an option while another thread uses it is a data race.
 *   - An nmt_result belongs to the caller; its accessors only read it.
 *   - nmt_last_error() is per thread.
 *   - Each call parallelizes internally over `threads` OpenMP threads (one
 *     beam search per batch) and runs OpenBLAS single-threaded; loading a
 *     model sets OpenBLAS to one thread for the whole process.
 * Results do not depend on the thread count. */
#ifndef NMT_H
#define NMT_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

#define NMT_API_VERSION 1
/* Functions added since 1.0: minor 1 (libnmt.so.1.1.0) added
 * nmt_options_set_max_src_len, nmt_options_set_max_len, nmt_result_cut and
 * nmt_option_info; minor 2 (libnmt.so.1.2.0) added nmt_ensemble_load,
 * nmt_model_heads and nmt_result_attention_head; minor 3 (libnmt.so.1.3.0)
 * added nmt_set_precision, nmt_precision and NMT_ERR_UNSUPPORTED; minor 4
 * (libnmt.so.1.4.0) added nmt_model_alignment_layer and
 * nmt_options_set_attention_source;
 * #if NMT_API_VERSION_MINOR >= 1 (or 2, 3, 4) before calling them. */
#define NMT_API_VERSION_MINOR 4

typedef enum {
    NMT_OK = 0,
    NMT_ERR_ARGUMENT = 1, /* a NULL pointer, an option out of range */
    NMT_ERR_IO = 2,       /* a file that cannot be read */
    NMT_ERR_MODEL = 3,    /* not a model file, truncated, corrupted, another format version */
    NMT_ERR_INPUT = 4,    /* an input line with invalid UTF-8 ("input:N: invalid UTF-8 at byte K") */
    NMT_ERR_UNSUPPORTED = 5 /* (since 1.3) this machine cannot do it; what runs instead is in the message */
} nmt_status;

typedef struct nmt_model nmt_model;
typedef struct nmt_options nmt_options;
typedef struct nmt_result nmt_result;

/* "1.3.0": the library's version. */
const char *nmt_version(void);
/* The message of this thread's last failed call ("" when none). */
const char *nmt_last_error(void);

/* ---- models ---- */
/* Load a model file (nmt-train's output) into *model (NULL on failure):
 *   NMT_ERR_ARGUMENT  path NULL or empty; or NMT_GEMM / NMT_GEMM_PRECISION
 *                     in the environment hold something else than
 *                     openblas|dnnl / fp32|bf16|int8 ("NMT_GEMM=x: expected
 *                     openblas or dnnl"). They are read once per process,
 *                     at the first load, and hold for every later call.
 *   NMT_ERR_IO        "PATH: cannot open: No such file or directory" (the
 *                     system's reason), or "PATH: not a regular file (a
 *                     FIFO)" for anything but a regular file, before reading.
 *   NMT_ERR_MODEL     not a model file, truncated, corrupted, another format
 *                     version (the message names the file). */
nmt_status nmt_model_load(const char *path, nmt_model **model);
void nmt_model_free(nmt_model *model);
/* Load paths[0..n) as one ensemble into *model (NULL on failure): every
 * nmt_translate and nmt_score call then decodes with all of them, each
 * token scored by the weighted average of the models' log-probabilities
 * (weights: n positive finite numbers, or NULL for all equal), with the
 * attention and alignments of model attention_model (0-based). An ensemble
 * of a model with itself gives exactly that model's results; n == 1 is
 * nmt_model_load. nmt_model_free frees every model. Errors as
 * nmt_model_load's, and NMT_ERR_ARGUMENT for paths, n (1..64), weights or
 * attention_model out of range; NMT_ERR_MODEL for models whose vocabularies
 * differ ("B: target vocabulary differs from A's (...)"). (Since 1.2.) */
nmt_status nmt_ensemble_load(const char *const *paths, const double *weights, size_t n, size_t attention_model,
                             nmt_model **model);
/* The model's attention heads N (nmt-train --heads; 1 for most models, 0
 * for NULL): the attention of results is their mean, each head's is
 * nmt_result_attention_head. */
int nmt_model_heads(const nmt_model *model);
/* 1 when the model (an ensemble's attention model) has an alignment layer
 * (nmt-train --alignment-layer), else 0 (also for NULL). Since 1.4. */
int nmt_model_alignment_layer(const nmt_model *model);

/* ---- the products' precision (since 1.3) ----
 * Process-wide, for every later call on every model, as nmt-translate's
 * --precision: "fp32" (the library's default, or NMT_GEMM_PRECISION's
 * value), "bf16" (both factors rounded to bfloat16) or "int8" (weights
 * quantized per output row, once per model: at its load, or at its first
 * call when int8 is set later; activations per row at each product;
 * 8-bit integer products on CPUs with VNNI, the others as the tools'
 * default). Set it while no other thread is inside the library. Returns
 * NMT_OK; NMT_ERR_ARGUMENT for another name ("precision 'x': expected
 * fp32, bf16 or int8"); NMT_ERR_UNSUPPORTED for int8 where it cannot run:
 * the products then run at the tools' default precision and the message
 * says why and which ("int8 products are not available here (oneDNN's
 * instruction set here is avx2, without VNNI): the products run in
 * bf16"). NMT_GEMM_PRECISION=int8 on such a CPU loads models normally, at
 * that default: nmt_precision() tells. */
nmt_status nmt_set_precision(const char *precision);
/* The precision the products run at now: "fp32", "bf16" or "int8". */
const char *nmt_precision(void);

/* ---- options (defaults as nmt-translate's) ---- */
nmt_options *nmt_options_new(void);
void nmt_options_free(nmt_options *options);
nmt_status nmt_options_set_beam(nmt_options *o, int beam);                  /* 1..256, default 5; 1 = greedy */
nmt_status nmt_options_set_nbest(nmt_options *o, int nbest);                /* 1..beam, default 1 */
nmt_status nmt_options_set_length_penalty(nmt_options *o, double alpha);    /* 0..10, default 0.6 */
nmt_status nmt_options_set_max_length_ratio(nmt_options *o, double ratio);  /* 0..100, default 2 */
/* Input length limits, as the tools' --max-src-len and --max-len: tokens
 * past the limit are left out (the tools warn; the library counts them in
 * nmt_result_cut, so check it when inputs can be long).
 * max_src_len: source subword tokens nmt_translate reads per line.
 * max_len: subword tokens per side nmt_score reads (the source and the target). */
nmt_status nmt_options_set_max_src_len(nmt_options *o, int tokens);        /* 1..1048576, default 512 */
nmt_status nmt_options_set_max_len(nmt_options *o, int tokens);            /* 1..1048576, default 256 */
/* The default and range of the setter nmt_options_set_NAME's option, as
 * the tools' tables define them (NAME: beam, nbest, length_penalty,
 * max_length_ratio, max_src_len, max_len, batch, threads, attention_source);
 * any pointer may be NULL. For bindings that want the library's own
 * defaults. */
nmt_status nmt_option_info(const char *name, double *def, double *min, double *max);
nmt_status nmt_options_set_batch(nmt_options *o, int batch);                /* 1..4096, default 32 */
nmt_status nmt_options_set_threads(nmt_options *o, int threads);            /* 0 = all cores (default) */
nmt_status nmt_options_set_alignment(nmt_options *o, int on);               /* hard word alignments, default off */
nmt_status nmt_options_set_attention(nmt_options *o, int on);               /* attention matrices, default off */
/* Where the attention and the alignments of results come from (since 1.4),
 * as the tools' --attention-source: NMT_SOURCE_ALIGNMENT the model's
 * alignment layer (one matrix; row t is computed with output token t in its
 * query: for translations, a forced pass over each hypothesis),
 * NMT_SOURCE_DECODER the decoder's attention (row t computed before token
 * t is known), NMT_SOURCE_AUTO (default) the layer when the model has one.
 * NMT_SOURCE_ALIGNMENT with a model without the layer fails at the call
 * with NMT_ERR_ARGUMENT ("MODEL has no alignment layer: ..."). */
enum { NMT_SOURCE_AUTO = 0, NMT_SOURCE_ALIGNMENT = 1, NMT_SOURCE_DECODER = 2 };
nmt_status nmt_options_set_attention_source(nmt_options *o, int source);

/* ---- translating and scoring ----
 * options may be NULL (the defaults). Lines are raw UTF-8 text; the
 * model's vocabulary tokenizes and detokenizes. Line i of the result is
 * input line i; an empty line gives one empty hypothesis. The texts and
 * scores are what nmt-translate prints (n-best: the distinct texts, best
 * first) and nmt-score prints. */
nmt_status nmt_translate(const nmt_model *model, const nmt_options *options, const char *const *lines, size_t n,
                         nmt_result **result);
/* Teacher-forced log-probabilities of tgt[i] given src[i] (forced
 * alignment when attention or alignment is on). One hypothesis per pair:
 * the target; a pair with an empty source has none. */
nmt_status nmt_score(const nmt_model *model, const nmt_options *options, const char *const *src,
                     const char *const *tgt, size_t n, nmt_result **result);
void nmt_result_free(nmt_result *result);

/* ---- reading a result: out-of-range indices give NULL or 0 ---- */
size_t nmt_result_lines(const nmt_result *r);
size_t nmt_result_hypotheses(const nmt_result *r, size_t line);
const char *nmt_result_text(const nmt_result *r, size_t line, size_t hyp);
/* Ranking score: logprob / steps^alpha for translations, the logprob for scored pairs. */
double nmt_result_score(const nmt_result *r, size_t line, size_t hyp);
/* Natural-log probability, summed over the output tokens and the final </s>. */
double nmt_result_logprob(const nmt_result *r, size_t line, size_t hyp);
/* Output subword tokens, plus 1 for a final </s>. */
size_t nmt_result_steps(const nmt_result *r, size_t line, size_t hyp);
/* Input subword tokens of the line left out by max_src_len (nmt_translate)
 * or max_len (nmt_score: the source's and the target's added); 0 when the
 * whole line was read. The texts, scores and tokens are those of the cut line. */
size_t nmt_result_cut(const nmt_result *r, size_t line);
/* Source subword tokens of the line (the attention's columns). */
size_t nmt_result_src_tokens(const nmt_result *r, size_t line);
const char *nmt_result_src_token(const nmt_result *r, size_t line, size_t col);
/* Row labels of the attention: the output subwords, then "</s>". */
const char *nmt_result_tgt_token(const nmt_result *r, size_t line, size_t hyp, size_t row);
/* The attention matrix, rows x cols floats row-major (rows = steps,
 * cols = source tokens; each row sums to 1); NULL unless attention is on. */
const float *nmt_result_attention(const nmt_result *r, size_t line, size_t hyp, size_t *rows, size_t *cols);
/* Head head's attention matrix (0-based, below nmt_model_heads), laid out
 * as nmt_result_attention's, which is the heads' mean (for a one-head
 * model, head 0 is that matrix); NULL (rows and cols 0) for a head out of
 * range or unless attention is on. */
const float *nmt_result_attention_head(const nmt_result *r, size_t line, size_t hyp, size_t head, size_t *rows,
                                       size_t *cols);
/* Hard word alignment (as nmt-translate --alignment hard): *pairs points
 * to 2 x count ints, source word then target word, 0-based; returns
 * count (0 unless alignment is on). */
size_t nmt_result_alignment(const nmt_result *r, size_t line, size_t hyp, const int **pairs);

#ifdef __cplusplus
}
#endif
#endif
