/* saved.c — see saved.h. */
#include "model/saved.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/ensemble.h"
#include "sys/util.h"

Model *model_create(const ModelConfig *cfg, Vocab *vocab, uint64_t seed) {
    Model *m = xcalloc(1, sizeof *m);
    m->cfg = *cfg;
    m->cfg.src_vocab = vocab_size(vocab, VOCAB_SRC);
    m->cfg.tgt_vocab = vocab_size(vocab, VOCAB_TGT);
    if (m->cfg.heads == 0) m->cfg.heads = 1; /* a configuration filled in without heads: the single head */
    m->vocab = vocab;
    m->vocab_bytes = vocab_to_bytes(vocab, &m->vocab_len);
    size_t n = model_num_params(&m->cfg);
    m->params = falloc(n);
    model_bind(&m->cfg, m->params, &m->p);
    model_init_params(&m->cfg, m->params, seed);
    return m;
}

int model_save(const Model *m, const char *path, const Section *extra, int n_extra, char *err, size_t errsz) {
    Buf conf = {0};
    model_config_write(&m->cfg, &conf);
    Section s[16] = {
        {"CONF", conf.data, conf.len},
        {"VOCB", m->vocab_bytes, m->vocab_len},
        {"PARM", m->params, sizeof(float) * model_num_params(&m->cfg)},
    };
    int n = 3;
    for (int i = 0; i < n_extra && n < 16; i++) s[n++] = extra[i];
    int rc = modelfile_write(path, s, n, err, errsz);
    buf_free(&conf);
    return rc;
}

Model *model_load(const char *path, ModelFile *keep, char *err, size_t errsz) {
    ModelFile mf;
    if (modelfile_read(path, &mf, err, errsz) != 0) return NULL;
    const Section *conf = modelfile_find(&mf, "CONF"), *voc = modelfile_find(&mf, "VOCB"),
                  *par = modelfile_find(&mf, "PARM");
    if (!conf || !voc || !par) {
        snprintf(err, errsz, "%s: not a model file (section %s missing)", path, !conf ? "CONF" : !voc ? "VOCB" : "PARM");
        modelfile_free(&mf);
        return NULL;
    }
    Model *m = xcalloc(1, sizeof *m);
    char why[512];
    if (model_config_read(conf->data, conf->len, &m->cfg, path, err, errsz) != 0) goto fail;
    size_t n = model_num_params(&m->cfg);
    if (par->len != n * sizeof(float)) {
        snprintf(err, errsz, "%s: parameter section holds %llu bytes, the configuration needs %zu", path,
                 (unsigned long long)par->len, n * sizeof(float));
        goto fail;
    }
    m->vocab = vocab_from_bytes(voc->data, voc->len, path, why, sizeof why);
    if (!m->vocab) {
        snprintf(err, errsz, "%s: embedded vocabulary: %s", path, why);
        goto fail;
    }
    if (vocab_size(m->vocab, VOCAB_SRC) != m->cfg.src_vocab || vocab_size(m->vocab, VOCAB_TGT) != m->cfg.tgt_vocab) {
        snprintf(err, errsz, "%s: vocabulary sizes do not match the configuration", path);
        goto fail;
    }
    if (m->cfg.tie_source && !vocab_is_joint(m->vocab)) {
        snprintf(err, errsz, "%s: tied source and target embeddings need a joint vocabulary, and its own has a table "
                 "per side", path);
        goto fail;
    }
    m->vocab_bytes = xmalloc(voc->len);
    memcpy(m->vocab_bytes, voc->data, voc->len);
    m->vocab_len = voc->len;
    m->params = falloc(n);
    memcpy(m->params, par->data, par->len);
    model_bind(&m->cfg, m->params, &m->p);
    if (keep) *keep = mf;
    else modelfile_free(&mf);
    return m;
fail:
    modelfile_free(&mf);
    model_free(m);
    return NULL;
}

void model_free(Model *m) {
    if (!m) return;
    ensemble_free(m->ensemble);
    if (m->vocab) vocab_free(m->vocab);
    free(m->vocab_bytes);
    free(m->params);
    free(m);
}
