/* engine.h — a checked request run on its model, answered as JSON.
 *
 * Translation: the lines are encoded and decoded as nmt-translate decodes
 * the lines of a file (translate_ids_at, line i at position i), so every
 * text and score is the tool's for the same lines and options. Per line:
 *   {"text", "score", "logprob", "steps",        the best translation
 *    "src_tokens", "tgt_tokens",                 subword labels (</s> last when it ended)
 *    "alignment": [[s, t], ...],                 with "alignment": word links as --alignment hard
 *    "links": [[row, col], ...],                 the heatmap cells of those links
 *    "attention": [[...], ...],                  with "attention": rows x source tokens
 *    "nbest": [{text, score, logprob, steps, tgt_tokens, alignment, links, attention}, ...],
 *    "cut": N}                                   source tokens left out by max_src_len (when any)
 * The n-best list holds the distinct texts, best first, as nmt-translate
 * --nbest prints them (the first is the best translation again). An empty
 * line gives an empty translation with score 0.
 *
 * Scoring: as nmt-score (score_ids_at): per pair {"logprob", "steps",
 * "src_tokens", "tgt_tokens", "alignment", "links", "attention", "cut"},
 * "logprob" and "steps" null for a pair with an empty source (nmt-score's
 * empty line), and the totals of its summary line.
 *
 * Numbers: scores as doubles (printed to round-trip), attention weights as
 * the floats they are (9 significant digits). */
#ifndef NMT_SERVE_ENGINE_H
#define NMT_SERVE_ENGINE_H

#include "model/saved.h"
#include "serve/request.h"

/* Translate k requests (joinable ones: the same model and options) as one
 * input, their lines one after another; out[j] receives request j's answer
 * body (malloc'd JSON text). With k = 1 the batches are exactly
 * nmt-translate's for the request's lines. */
void engine_translate(const Model *m, const char *model_name, ServeRequest *const *reqs, int k, char **out);
/* Score one request's pairs; returns the answer body (malloc'd JSON text). */
char *engine_score(const Model *m, const char *model_name, const ServeRequest *r);

#endif
