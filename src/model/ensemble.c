/* ensemble.c — see ensemble.h. */
#include "model/ensemble.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sys/util.h"

int ensemble_check_weights(const double *weights, int n, char *err, size_t errsz) {
    for (int k = 0; k < n; k++)
        if (!(weights[k] > 0) || !isfinite(weights[k]))
            return snprintf(err, errsz, "weight %d is %g: the weights must be positive and finite", k + 1, weights[k]),
                   -1;
    return 0;
}

int ensemble_parse_weights(const char *text, double *w, int n, char *err, size_t errsz) {
    int k = 0;
    const char *p = text;
    for (;;) {
        size_t len = strcspn(p, ",");
        char *end;
        errno = 0;
        double v = len ? strtod(p, &end) : 0;
        if (len == 0 || end != p + len || errno == ERANGE || !isfinite(v) || !(v > 0))
            return snprintf(err, errsz, "--weights '%s': weight %d ('%.*s') is not a positive finite number", text,
                            k + 1, (int)len, p),
                   -1;
        if (k < n) w[k] = v;
        k++;
        if (!p[len]) break;
        p += len + 1;
    }
    if (k != n)
        return snprintf(err, errsz, "--weights '%s' gives %d weight%s for %d model%s (one per -m)", text, k,
                        k == 1 ? "" : "s", n, n == 1 ? "" : "s"),
               -1;
    return 0;
}

/* NULL when side's token tables of a and b are the same; else what differs, in why. */
static const char *side_differs(const Vocab *a, const Vocab *b, VocabSide side, char *why, size_t whysz) {
    const int na = vocab_size(a, side), nb = vocab_size(b, side);
    if (na != nb) return snprintf(why, whysz, "%d tokens, not %d", nb, na), why;
    for (int id = 0; id < na; id++)
        if (strcmp(vocab_token(a, side, id), vocab_token(b, side, id)) != 0)
            return snprintf(why, whysz, "token %d is '%.60s', not '%.60s'", id, vocab_token(b, side, id),
                            vocab_token(a, side, id)),
                   why;
    return NULL;
}

Model *ensemble_load(const char *const *paths, int n, const double *weights, int attention, char *err,
                     size_t errsz) {
    if (n < 1 || n > ENSEMBLE_MAX_MODELS)
        return snprintf(err, errsz, "an ensemble has 1 to %d models, not %d", ENSEMBLE_MAX_MODELS, n), NULL;
    if (attention < 0 || attention >= n)
        return snprintf(err, errsz, "the attention model is %d, but there %s %d model%s", attention + 1,
                        n == 1 ? "is" : "are", n, n == 1 ? "" : "s"),
               NULL;
    if (weights && ensemble_check_weights(weights, n, err, errsz) != 0) return NULL;
    Model *first = model_load(paths[0], NULL, err, errsz);
    if (!first || n == 1) return first;
    Ensemble *e = xcalloc(1, sizeof *e);
    e->n = n, e->attention = attention;
    e->models = xcalloc((size_t)n, sizeof(Model *));
    e->weight = xmalloc(sizeof(double) * (size_t)n);
    e->models[0] = first;
    first->ensemble = e;
    double sum = 0;
    for (int k = 0; k < n; k++) sum += weights ? weights[k] : 1.0;
    /* w / sum: equal weights give every model the same weight, exactly 1/2
     * for two, so a model with itself (0.5 a + 0.5 a) averages to exactly a */
    for (int k = 0; k < n; k++) e->weight[k] = (weights ? weights[k] : 1.0) / sum;
    char why[256];
    int bad = 0;
    for (int k = 1; k < n && !bad; k++) {
        Model *m = e->models[k] = model_load(paths[k], NULL, err, errsz);
        bad = 1;
        if (!m) break;
        if (side_differs(first->vocab, m->vocab, VOCAB_TGT, why, sizeof why)) {
            snprintf(err, errsz,
                     "%s: target vocabulary differs from %s's (%s); the models of an ensemble must share it", paths[k],
                     paths[0], why);
            break;
        }
        /* the source is encoded once, with the first model's pipeline */
        if (side_differs(first->vocab, m->vocab, VOCAB_SRC, why, sizeof why)) {
            snprintf(err, errsz,
                     "%s: source vocabulary differs from %s's (%s); the models of an ensemble read the same source "
                     "tokens, so they must share it",
                     paths[k], paths[0], why);
            break;
        }
        if (m->vocab_len != first->vocab_len || memcmp(m->vocab_bytes, first->vocab_bytes, m->vocab_len) != 0) {
            snprintf(err, errsz,
                     "%s: vocabulary settings (normalization, tokenizer or BPE merges) differ from %s's; the models "
                     "of an ensemble must share one vocabulary file",
                     paths[k], paths[0]);
            break;
        }
        bad = 0;
    }
    if (bad) {
        model_free(first); /* and the ensemble, with the models loaded so far */
        return NULL;
    }
    return first;
}

void ensemble_free(Ensemble *e) {
    if (!e) return;
    for (int k = 1; k < e->n; k++) model_free(e->models[k]);
    free(e->models);
    free(e->weight);
    free(e);
}

const Model *ensemble_attention_model(const Model *m) {
    return m->ensemble ? m->ensemble->models[m->ensemble->attention] : m;
}

int ensemble_attention_heads(const Model *m) { return attention_heads(&ensemble_attention_model(m)->p.dec.att); }
