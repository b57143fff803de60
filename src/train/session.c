/* session.c — see session.h. */
#include "train/session.h"

#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "model/transfer.h"
#include "nn/blas.h"
#include "sys/util.h"
#include "train/agree.h"
#include "train/checkpoint.h"
#include "train/fingerprint.h"
#include "train/guidance.h"
#include "train/resume.h"
#include "train/trainer.h"

void train_request_default(TrainRequest *r) {
    memset(r, 0, sizeof *r);
    r->max_len = 100;
    train_options_default(&r->train);
    r->train.threads = train_default_threads();
    r->train.precision = (int)gemm_preferred_precision(); /* bf16 on CPUs that compute it natively */
    model_config_default(&r->cfg);
}

static int given_flag(GivenSettings g, const char *flag) {
    for (int i = 0; i < g.n; i++)
        if (!strcmp(g.spec[i]->flag, flag)) return 1;
    return 0;
}

void train_request_check(TrainRequest *r, GivenSettings given) {
    if (!!r->valid_src != !!r->valid_tgt) die("--valid-src and --valid-tgt go together");
    if (!r->vocab && !r->resume && !r->init) die("--vocab is required (see --help)");
    if (r->cfg.att_dim == 0) r->cfg.att_dim = r->cfg.hidden;
    /* the alignment layer's attention is as wide as the decoder's by default */
    if (r->cfg.alignment_layer && r->cfg.alignment_dim == 0)
        r->cfg.alignment_dim = r->cfg.attention == ATTENTION_BAHDANAU ? r->cfg.att_dim : r->cfg.hidden;
    for (int k = 0; k < given.n && !r->guide; k++)
        if (!strncmp(given.spec[k]->flag, "--guided-alignment", 18))
            die("%s needs --guided-alignment FILE", given.spec[k]->flag);
    r->train.guided = r->guide != NULL;
    if (given_flag(given, "--max-updates") && r->train.max_updates == 0)
        die("--max-updates 0 would train nothing: give at least 1 (leave it out for no limit)");
    if (r->train.select_by_bleu) r->valid_bleu = 1;
    if (r->valid_bleu && !r->valid_src)
        die("%s needs a validation set (--valid-src and --valid-tgt)",
            r->train.select_by_bleu ? "--valid-metric bleu" : "--valid-bleu");
}

/* The resume policy: a saved setting given on the command line must agree
 * with the checkpoint's; the budget and the machine (FIELD_NOT_SAVED) and
 * FIELD_RESUME_FREE settings may change. */
static void check_resume_flags(GivenSettings g, const ModelConfig *cmd_cfg, const ModelConfig *saved_cfg,
                               const TrainOptions *cmd, const TrainOptions *saved, const char *ckpt) {
    Buf diff = {0};
    for (int i = 0; i < g.n; i++) {
        const FieldSpec *f = g.spec[i];
        if (f->flags & (FIELD_NOT_SAVED | FIELD_RESUME_FREE)) continue;
        int is_model = f >= MODEL_CONFIG_FIELDS && f < MODEL_CONFIG_FIELDS + MODEL_CONFIG_NFIELDS;
        int is_train = f >= TRAIN_OPTION_FIELDS && f < TRAIN_OPTION_FIELDS + TRAIN_OPTION_NFIELDS;
        if (!is_model && !is_train) continue; /* files and this run's switches */
        const void *a = is_model ? (const void *)cmd_cfg : (const void *)cmd;
        const void *b = is_model ? (const void *)saved_cfg : (const void *)saved;
        if (fields_equal(f, a, b)) continue;
        char now[128], then[128];
        fields_describe(f, a, now, sizeof now);
        fields_describe(f, b, then, sizeof then);
        buf_printf(&diff, "\n  %s %s (the checkpoint has %s)", f->flag, now, then);
    }
    if (diff.len)
        die("%s was trained with other settings than this command line asks for:%s\n"
            "resume with the checkpoint's settings (or drop these flags), or train a new model with another -o",
            ckpt, diff.data);
    buf_free(&diff);
}

/* The checkpoint's model and state, with the run's own settings winning
 * over the command line's (the budget and the machine may change). */
static void resume_from(TrainSession *s, const TrainRequest *r, GivenSettings given, const char *ckpt,
                        Buf *saved_inputs) {
    char err[1024];
    TrainOptions saved = s->o;
    s->m = checkpoint_load(ckpt, &s->state, &s->optim, &saved, saved_inputs, err, sizeof err);
    if (!s->m) die("%s", err);
    check_resume_flags(given, &r->cfg, &s->m->cfg, &s->o, &saved, ckpt);
    if (saved.guided != s->o.guided)
        die("%s was trained %s guided alignment: resume %s --guided-alignment FILE", ckpt,
            saved.guided ? "with" : "without", saved.guided ? "with" : "without");
    train_options_resume(&saved, &s->o);
    if (saved.select_by_bleu && !r->valid_src)
        die("%s: the run selects models by validation BLEU: give --valid-src and --valid-tgt", ckpt);
    s->o = saved;
    s->resumed = 1;
    fprintf(stderr, "%s: resuming from %s at update %ld\n", program_name(), ckpt, s->state.update);
}

/* The run's model from --init MODEL: MODEL's architecture and vocabulary;
 * of the model flags the command line gives, the alignment layer's and the
 * dropout rates apply, any other must agree. Its tensors carried by name
 * (model/transfer.h), the alignment layer's fresh when MODEL has none. */
static void init_model(TrainSession *s, const TrainRequest *r, GivenSettings given) {
    char err[1024];
    Model *from = model_load(r->init, NULL, err, sizeof err);
    if (!from) die("--init %s", err);
    ModelConfig cfg = from->cfg;
    Buf diff = {0};
    for (int i = 0; i < given.n; i++) {
        const FieldSpec *f = given.spec[i];
        if (f < MODEL_CONFIG_FIELDS || f >= MODEL_CONFIG_FIELDS + MODEL_CONFIG_NFIELDS) continue;
        if (f->type == FIELD_FLOAT || !strncmp(f->key, "alignment_", 10)) {
            fields_copy(f, &cfg, &r->cfg);
            continue;
        }
        if (fields_equal(f, &r->cfg, &from->cfg)) continue;
        char now[128], then[128];
        fields_describe(f, &r->cfg, now, sizeof now);
        fields_describe(f, &from->cfg, then, sizeof then);
        buf_printf(&diff, "\n  %s %s (the model has %s)", f->flag, now, then);
    }
    if (diff.len)
        die("--init %s keeps the model's architecture; these flags ask for another:%s", r->init, diff.data);
    buf_free(&diff);
    if (cfg.alignment_layer && cfg.alignment_dim == 0) /* as train_request_check resolves it for a new model */
        cfg.alignment_dim = cfg.attention == ATTENTION_BAHDANAU ? cfg.att_dim : cfg.hidden;
    if (model_config_check(&cfg, err, sizeof err) != 0) die("--init %s: %s", r->init, err);
    Vocab *v = vocab_from_bytes(from->vocab_bytes, from->vocab_len, r->init, err, sizeof err);
    if (!v) die("--init %s: %s", r->init, err);
    if (r->vocab) { /* must be the model's own */
        Vocab *given_v = vocab_load(r->vocab, err, sizeof err);
        if (!given_v) die("%s", err);
        size_t n = 0;
        char *bytes = vocab_to_bytes(given_v, &n);
        const int same = n == from->vocab_len && memcmp(bytes, from->vocab_bytes, n) == 0;
        free(bytes);
        vocab_free(given_v);
        if (!same) die("--vocab %s is not the vocabulary of --init %s (leave --vocab out: the model's is used)", r->vocab, r->init);
    }
    s->m = model_create(&cfg, v, s->o.seed);
    const TransferReport t = model_transfer(s->m, from);
    fprintf(stderr, "%s: starting from %s: %d tensors carried", program_name(), r->init, t.carried);
    if (t.fresh) fprintf(stderr, ", %d fresh (from %s)", t.fresh, t.first_fresh);
    fputc('\n', stderr);
    model_free(from);
}

static void create_model(TrainSession *s, const TrainRequest *r) {
    char err[1024];
    if (!r->vocab) die("--vocab is required for a new run");
    Vocab *v = vocab_load(r->vocab, err, sizeof err);
    if (!v) die("%s", err);
    ModelConfig cfg = r->cfg;
    cfg.src_vocab = vocab_size(v, VOCAB_SRC);
    cfg.tgt_vocab = vocab_size(v, VOCAB_TGT);
    if (cfg.tie_source && !vocab_is_joint(v))
        die("--tie-all-embeddings needs a joint vocabulary (nmt-vocab --joint): %s has a table per side", r->vocab);
    if (model_config_check(&cfg, err, sizeof err) != 0) die("%s", err);
    s->m = model_create(&cfg, v, s->o.seed);
}

void train_session_open(TrainSession *s, const TrainRequest *r, GivenSettings given) {
    memset(s, 0, sizeof *s);
    s->o = r->train;
    Buf saved_inputs = {0};
    char *ckpt = train_output_path(s->o.model_path, ".ckpt");
    if (r->resume && access(ckpt, F_OK) == 0) {
        resume_from(s, r, given, ckpt, &saved_inputs);
    } else {
        if (r->resume) fprintf(stderr, "%s: no checkpoint %s yet; starting a new run\n", program_name(), ckpt);
        if (r->init) init_model(s, r, given);
        else create_model(s, r);
    }
    /* the alignment layer's settings need the layer (a resumed run's model has its own configuration) */
    if (s->o.freeze_translation) {
        if (!s->m->cfg.alignment_layer)
            die("--freeze-translation trains the alignment layer alone: the model has none (--alignment-layer)");
        /* a moving average of unchanging weights could still move them by a rounding */
        if (s->o.ema_decay > 0.0f) die("--freeze-translation keeps the translation model's bits: leave out --ema");
        if (s->o.guide_target == TRAIN_GUIDE_DECODER || s->o.guide_target == TRAIN_GUIDE_BOTH)
            die("--freeze-translation: --guided-alignment-target %s would train the frozen decoder",
                s->o.guide_target == TRAIN_GUIDE_DECODER ? "decoder" : "both");
    }
    if (!s->m->cfg.alignment_layer) {
        if (s->o.guide_target == TRAIN_GUIDE_LAYER || s->o.guide_target == TRAIN_GUIDE_BOTH)
            die("--guided-alignment-target %s needs a model with the alignment layer (--alignment-layer)",
                s->o.guide_target == TRAIN_GUIDE_LAYER ? "layer" : "both");
        if (given_flag(given, "--alignment-layer-weight"))
            die("--alignment-layer-weight needs a model with the alignment layer (--alignment-layer)");
    }
    const int valid_bleu = r->valid_bleu || s->o.select_by_bleu;
    omp_set_num_threads(s->o.threads);
    text_data_load(&s->train, s->m->vocab, r->train_src, r->train_tgt, r->max_len, r->skip_invalid, 0, "training");
    if (r->guide) {
        guidance_load(&s->guide, r->guide, s->m->vocab, s->train.corpus, r->train_src);
        s->train.data.guide = &s->guide;
        static const char *const trains[] = {"the decoder's attention", "the alignment layer",
                                             "the decoder's attention and the alignment layer"};
        fprintf(stderr, "%s: guided alignment: %s, %ld word links, %d subword links; %ld of %d pairs without links "
                "(trained without guidance); weight %g; trains %s\n", program_name(), r->guide, s->guide.word_links,
                (int)s->guide.start[s->guide.n], s->guide.unlinked, s->guide.n, (double)s->o.guide_weight,
                trains[guidance_target(&s->o, &s->m->cfg)]);
    }
    if (s->o.bpe_dropout > 0.0f) {
        if (vocab_num_merges(s->m->vocab, VOCAB_SRC) == 0 || vocab_num_merges(s->m->vocab, VOCAB_TGT) == 0)
            die("--bpe-dropout needs a BPE vocabulary (nmt-vocab --bpe N): %s has whole words on the %s side",
                r->vocab ? r->vocab : "the model's vocabulary",
                vocab_num_merges(s->m->vocab, VOCAB_SRC) == 0 ? "source" : "target");
        bpe_dropout_open(&s->bpe_dropout, s->m->vocab, s->o.bpe_dropout, s->o.seed, r->max_len, s->train.corpus,
                         r->train_src, r->train_tgt);
        s->train.data.bpe_dropout = &s->bpe_dropout;
    }
    s->has_valid = r->valid_src != NULL;
    if (s->has_valid) {
        text_data_load(&s->valid, s->m->vocab, r->valid_src, r->valid_tgt, 0, r->skip_invalid, valid_bleu,
                       "validation");
        s->o.valid_refs = (const char *const *)s->valid.refs;
    }
    const TrainInput data_files[] = {{"--train-src", r->train_src},
                                     {"--train-tgt", r->train_tgt},
                                     {"--valid-src", r->valid_src},
                                     {"--valid-tgt", r->valid_tgt},
                                     {"--guided-alignment", r->guide}};
    /* what this run trains on: compared with the checkpoint's on --resume, saved in its own */
    fingerprint_inputs(&s->prints, data_files, 5, 0);
    fingerprint_data(&s->prints, "training data", &s->train.data);
    fingerprint_data(&s->prints, "validation data", s->has_valid ? &s->valid.data : NULL);
    if (s->resumed) resume_check_inputs(ckpt, saved_inputs.data, s->prints.data, data_files, 5, s->m, r->vocab);
    s->o.inputs_fingerprint = s->prints.data;
    free(ckpt);
    buf_free(&saved_inputs);
    train_check_agreement(s->m, &s->o, s->resumed ? &s->state : NULL, s->resumed ? &s->optim : NULL, &s->train.data,
                          s->has_valid ? &s->valid.data : NULL, data_files, 5);
}

int train_session_run(TrainSession *s) {
    return train_run(s->m, &s->train.data, s->has_valid ? &s->valid.data : NULL, &s->o,
                     s->resumed ? &s->state : NULL, s->resumed ? &s->optim : NULL);
}

void train_session_close(TrainSession *s) {
    text_data_free(&s->train);
    guidance_free(&s->guide);
    if (s->train.data.bpe_dropout) bpe_dropout_close(&s->bpe_dropout);
    if (s->has_valid) text_data_free(&s->valid);
    buf_free(&s->prints);
    model_free(s->m);
    memset(s, 0, sizeof *s);
}
