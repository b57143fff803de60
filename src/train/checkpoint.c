/* checkpoint.c — see checkpoint.h. */
#include "train/checkpoint.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sys/util.h"

char *train_output_path(const char *model_path, const char *suffix) {
    size_t n = strlen(model_path) + strlen(suffix) + 1;
    char *p = xmalloc(n);
    snprintf(p, n, "%s%s", model_path, suffix);
    return p;
}

void train_save_or_die(const Model *m, const char *path, const Section *extra, int n_extra) {
    char err[1024];
    if (model_save(m, path, extra, n_extra, err, sizeof err) != 0) die("%s", err);
}

void train_save_model(Trainer *t, const char *path) {
    trainer_use_average(t, 1);
    train_save_or_die(t->m, path, NULL, 0);
    trainer_use_average(t, 0);
}

void train_save_last(Trainer *t) {
    trainer_use_average(t, 1);
    char *last = train_output_path(t->o->model_path, ".last");
    train_save_or_die(t->m, last, NULL, 0);
    free(last);
    if (t->o->keep_snapshots && t->st.update > 0) {
        char suffix[32];
        snprintf(suffix, sizeof suffix, ".u%ld", t->st.update);
        char *snap = train_output_path(t->o->model_path, suffix);
        train_save_or_die(t->m, snap, NULL, 0);
        free(snap);
    }
    trainer_use_average(t, 0);
}

void train_save_checkpoint(Trainer *t, double elapsed) {
    Buf text = {0};
    TrainState st = t->st;
    st.elapsed = elapsed;
    st.optim_step = t->opt.step;
    train_state_write(&st, t->o, &text);
    size_t bytes = sizeof(float) * t->n_params;
    Section extra[5] = {{"TRST", text.data, text.len}};
    int n = 1;
    if (t->opt.type == OPTIM_ADAM) {
        extra[n++] = (Section){"ADMM", t->opt.m, bytes};
        extra[n++] = (Section){"ADMV", t->opt.v, bytes};
    }
    if (t->opt.ema) extra[n++] = (Section){"EMAW", t->opt.ema, bytes};
    const char *inputs = t->o->inputs_fingerprint;
    if (inputs) extra[n++] = (Section){"DATA", inputs, strlen(inputs)};
    char *ckpt = train_output_path(t->o->model_path, ".ckpt");
    train_save_or_die(t->m, ckpt, extra, n);
    free(ckpt);
    buf_free(&text);
}

Model *checkpoint_load(const char *path, TrainState *st, Optimizer *opt, TrainOptions *saved, Buf *inputs, char *err,
                       size_t errsz) {
    ModelFile mf;
    Model *m = model_load(path, &mf, err, errsz);
    if (!m) return NULL;
    const Section *ts = modelfile_find(&mf, "TRST"), *am = modelfile_find(&mf, "ADMM"),
                  *av = modelfile_find(&mf, "ADMV");
    if (!ts) {
        snprintf(err, errsz, "%s: not a checkpoint (no trainer state)", path);
        goto fail;
    }
    if (train_state_read(ts->data, ts->len, st, saved, path, err, errsz) != 0) goto fail;
    size_t n = model_num_params(&m->cfg);
    optim_init(opt, saved->optimizer, n, saved->clip);
    opt->step = st->optim_step;
    if (saved->optimizer == OPTIM_ADAM) {
        if (!am || !av || am->len != n * sizeof(float) || av->len != n * sizeof(float)) {
            snprintf(err, errsz, "%s: checkpoint lacks the optimizer state", path);
            optim_free(opt);
            goto fail;
        }
        memcpy(opt->m, am->data, am->len);
        memcpy(opt->v, av->data, av->len);
    }
    if (saved->ema_decay > 0.0f) {
        const Section *ae = modelfile_find(&mf, "EMAW");
        if (!ae || ae->len != n * sizeof(float)) {
            snprintf(err, errsz, "%s: checkpoint lacks the moving average of the weights", path);
            optim_free(opt);
            goto fail;
        }
        optim_enable_ema(opt, saved->ema_decay, ae->data);
    }
    const Section *data = modelfile_find(&mf, "DATA");
    if (data) buf_append(inputs, data->data, data->len); /* a Buf ends in a NUL: a C string */
    modelfile_free(&mf);
    return m;
fail:
    modelfile_free(&mf);
    model_free(m);
    return NULL;
}
