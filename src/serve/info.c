/* info.c — see info.h. */
#include "serve/info.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/model.h"
#include "nmt.h"
#include "nn/blas.h"
#include "sys/util.h"

/* GET /model: each model's settings, vocabularies and size; the request
 * defaults (the library's rows); this server's limits (its own rows). */
char *serve_model_info(const ServeOptions *o, const ServeModel *models, int n_models) {
    cJSON *root = cJSON_CreateObject();
    cJSON_AddStringToObject(root, "version", nmt_version());
    cJSON_AddStringToObject(root, "precision", GEMM_PRECISION_NAMES[gemm_precision()]);
    cJSON *list = cJSON_AddArrayToObject(root, "models");
    for (int k = 0; k < n_models; k++) {
        const Model *m = models[k].model;
        cJSON *o = cJSON_CreateObject(), *set = cJSON_CreateObject(), *voc = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "name", models[k].name);
        cJSON_AddNumberToObject(o, "parameters", (double)model_num_params(&m->cfg));
        cJSON_AddNumberToObject(voc, "src", vocab_size(m->vocab, VOCAB_SRC));
        cJSON_AddNumberToObject(voc, "tgt", vocab_size(m->vocab, VOCAB_TGT));
        cJSON_AddItemToObject(o, "vocabulary", voc);
        for (int i = 0; i < MODEL_CONFIG_NFIELDS; i++) {
            const FieldSpec *f = &MODEL_CONFIG_FIELDS[i];
            if (!f->key) continue;
            char text[128];
            fields_format(f, &m->cfg, text, sizeof text);
            if (f->type == FIELD_ENUM) cJSON_AddStringToObject(set, f->key, text);
            else cJSON_AddNumberToObject(set, f->key, strtod(text, NULL));
        }
        cJSON_AddItemToObject(o, "settings", set);
        /* the answers' attention is the heads' mean (one matrix per hypothesis), as the tools' */
        cJSON_AddNumberToObject(o, "attention_heads", attention_heads(&m->p.dec.att));
        /* with the layer, the answers' attention and links are its own unless attention_source says decoder */
        cJSON_AddBoolToObject(o, "alignment_layer", m->cfg.alignment_layer);
        cJSON_AddItemToArray(list, o);
    }
    /* the request options' defaults: the rows the tools and the C API read (nmt_option_info) */
    static const char *const DEFAULTS[] = {"beam", "nbest", "length_penalty", "max_length_ratio", "batch",
                                           "max_src_len", "max_len"};
    cJSON *def = cJSON_AddObjectToObject(root, "defaults");
    for (size_t i = 0; i < sizeof DEFAULTS / sizeof DEFAULTS[0]; i++) {
        double value = 0;
        nmt_option_info(DEFAULTS[i], &value, NULL, NULL);
        cJSON_AddNumberToObject(def, DEFAULTS[i], value);
    }
    cJSON *lim = cJSON_AddObjectToObject(root, "limits");
    for (int i = 0; i < SERVE_OPTION_NFIELDS; i++) {
        const FieldSpec *f = &SERVE_OPTION_FIELDS[i];
        if (f->type == FIELD_ENUM || !strcmp(f->flag, "--port")) continue;
        char key[64], text[64];
        snprintf(key, sizeof key, "%s", f->flag + 2);
        for (char *p = key; *p; p++)
            if (*p == '-') *p = '_';
        fields_format(f, o, text, sizeof text);
        cJSON_AddNumberToObject(lim, key, strtod(text, NULL));
    }
    char *text = cJSON_PrintUnformatted(root);
    cJSON_Delete(root);
    if (!text) die("out of memory (a JSON answer)");
    return text;
}
