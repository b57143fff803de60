/* nmt-train — train a translation model on a parallel corpus. */
#include <omp.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/args.h"
#include "core/blas.h"
#include "core/lock.h"
#include "core/paths.h"
#include "core/dist.h"
#include "core/util.h"
#include "core/fields.h"
#include "train/agree.h"
#include "train/guidance.h"
#include "train/resume.h"
#include "train/text_data.h"
#include "train/trainer.h"

static const char *USAGE =
    "usage: nmt-train --vocab VOCAB --train-src F --train-tgt F [--valid-src F --valid-tgt F] -o MODEL [options]\n"
    "\n"
    "Trains a bidirectional-GRU encoder / attentive GRU decoder on raw parallel text\n"
    "(the vocabulary from nmt-vocab tokenizes it). Writes MODEL (the best model on the\n"
    "validation set, or the last one without validation data), MODEL.last (the last\n"
    "weights) and MODEL.ckpt (a checkpoint to --resume from).\n"
    "\n"
    "data:\n"
    "  --vocab VOCAB          vocabulary file from nmt-vocab\n"
    "  --train-src/--train-tgt F  training text, one sentence per line, line-aligned\n"
    "  --valid-src/--valid-tgt F  validation text (validation loss, best model, early stopping)\n"
    "  --max-len N            leave out training pairs with a side over N tokens (default 100)\n"
    "  --skip-invalid         skip pairs with invalid UTF-8 instead of stopping\n"
    "model:\n"
    "  --attention bahdanau|dot  attention scorer (default bahdanau)\n"
    "  --decoder gru|cgru     gru: attention reads s_{t-1}, then one GRU reads [y_{t-1} ; c_t];\n"
    "                         cgru (conditional GRU): a first GRU reads y_{t-1}, attention\n"
    "                         reads its state, a second GRU reads c_t (default gru; the\n"
    "                         recipes use cgru, which translates and aligns better: README)\n"
    "  --emb N                embedding size (default 256)\n"
    "  --hidden N             GRU size, per encoder direction and in the decoder (default 512)\n"
    "  --att-dim N            Bahdanau attention size (default: --hidden)\n"
    "  --dropout P            dropout on embeddings and the output layer's input (default 0.2)\n"
    "  --rec-dropout P        variational dropout on the GRUs' recurrent inputs: one mask per\n"
    "                         sentence, reused at every step (default 0)\n"
    "  --deep-output          a tanh layer of --emb units between [s;c;y] and the logits\n"
    "                         (cheaper than the direct output layer when --emb < 3 x --hidden:\n"
    "                         more updates per minute, fewer per BLEU point; see the Multi30k\n"
    "                         experiments)\n"
    "  --tie-embeddings       with --deep-output: the logits use the target embeddings as\n"
    "                         their weights (one matrix instead of two)\n"
    "training:\n"
    "  --batch N              sentence pairs per minibatch (default 64)\n"
    "  --shard-size N         pairs per parallel shard of a minibatch (default 32); results\n"
    "                         depend on it, not on --threads\n"
    "  --epochs N             stop after N epochs (default 10; 0 = no limit)\n"
    "  --max-updates N        stop after N updates (default: no limit)\n"
    "  --minutes M            stop after M minutes of training (default: no limit)\n"
    "  --optimizer adam|sgd   (default adam)\n"
    "  --lr X                 learning rate (default 0.001)\n"
    "  --lr-decay X           multiply the rate by X when validation stalls (default 0.5)\n"
    "  --lr-patience N        validations without improvement before decaying (default 1)\n"
    "  --min-lr X             never decay below X (default 1e-5)\n"
    "  --patience N           stop after N validations without improvement (default 5; 0 = never)\n"
    "  --clip X               clip gradients to global norm X (default 5; 0 = off)\n"
    "  --label-smoothing X    (default 0)\n"
    "  --ema D                validate and save an exponential moving average of the weights\n"
    "                         with decay D, e.g. 0.999 (default 0: off)\n"
    "  --valid-every N        updates between validations and checkpoints (default 500)\n"
    "  --keep-snapshots       also keep the weights of every validation as MODEL.uN (N = update),\n"
    "                         e.g. for averaging the last few with nmt-average\n"
    "  --valid-bleu           also compute BLEU of greedy translations of the validation set\n"
    "                         against its raw target text (logged)\n"
    "  --valid-metric loss|bleu  what the best model, learning-rate decay and early stopping\n"
    "                         follow (default loss; bleu implies --valid-bleu)\n"
    "  --precision fp32|bf16  the matrix products' inputs: bf16 rounds both factors to\n"
    "                         bfloat16 (fp32 accumulation, fp32 master weights and\n"
    "                         optimizer); default bf16 on CPUs that compute it natively\n"
    "                         (AVX512_BF16 or AMX), else fp32 (or NMT_GEMM_PRECISION)\n"
    "  --seed N               random seed for initialization, order and dropout (default 1)\n"
    "  --threads N            OpenMP threads (default: all cores)\n"
    "  --resume               continue from MODEL.ckpt with its saved settings; --epochs,\n"
    "                         --max-updates, --minutes, --threads, --disp-every and --log may\n"
    "                         change and --keep-snapshots may be switched on; any other saved\n"
    "                         setting given with another value is refused, and so are training,\n"
    "                         validation and --guided-alignment files whose bytes differ from\n"
    "                         those the checkpoint's run read (they may have moved), a --max-len\n"
    "                         that keeps other pairs, and a --vocab that is not the vocabulary\n"
    "                         stored in the checkpoint (--vocab may be left out)\n"
    "guided alignment (attention trained towards given word alignments):\n"
    "  --guided-alignment FILE  Pharaoh links (0-based \"s-t\", e.g. from nmt-align) between the\n"
    "                         whitespace-separated words of each training pair, one line per line\n"
    "                         of the training files (also the lines left out by --max-len or as\n"
    "                         empty); a word link joins every subword of the target word to every\n"
    "                         subword of the source word, each target token's gold row is made to\n"
    "                         sum to 1, and the loss adds lambda * the cross-entropy between each\n"
    "                         guided token's attention row and its gold row, normalized like the\n"
    "                         translation loss (per target token of the minibatch). Tokens without\n"
    "                         links, </s> and pairs without links get no guidance\n"
    "  --guided-alignment-weight X  lambda (default 0.1)\n"
    "  --guided-alignment-decay X   multiply lambda by X every --guided-alignment-decay-every\n"
    "                         updates (default 1: constant; e.g. 0.5 halves it each time)\n"
    "  --guided-alignment-decay-every N  (default 1000)\n"
    "output:\n"
    "  --log FILE             one JSON object per validation\n"
    "  --disp-every N         updates between log lines when stderr is not a terminal (default 100)\n"
    "  --quiet                no progress output\n"
    "  -h, --help             this help\n"
    "\n"
    "mpirun -np P nmt-train ... trains data-parallel over P processes, on one host or many,\n"
    "to the same bytes as one process (README: several hosts).\n"
    "\n"
    "SIGINT or SIGTERM stops training after the current update, the validation under way\n"
    "and a checkpoint (exit status 130; continue with --resume). A second one ends the\n"
    "process at once: files are written atomically, so the last checkpoint stays intact.\n";

/* The flags that set a saved setting (model or training) and were given on
 * this command line: on --resume each must agree with the checkpoint. */
typedef struct {
    const FieldSpec *spec[64];
    int is_model[64];
    int n;
} GivenFlags;

static void note_given(GivenFlags *g, const FieldSpec *f, int is_model) {
    if (f->flags & FIELD_NOT_SAVED) return; /* the budget and the machine: free to change */
    if (!is_model && f->offset == offsetof(TrainOptions, keep_snapshots)) return; /* may be switched on */
    for (int i = 0; i < g->n; i++)
        if (g->spec[i] == f) return;
    if (g->n < 64) g->spec[g->n] = f, g->is_model[g->n++] = is_model;
}

/* Refuse a resume whose command line asks for other settings than the checkpoint's. */
static void check_resume_flags(const GivenFlags *g, const ModelConfig *cmd_cfg, const ModelConfig *saved_cfg,
                               const TrainOptions *cmd, const TrainOptions *saved, const char *ckpt) {
    Buf diff = {0};
    for (int i = 0; i < g->n; i++) {
        const void *a = g->is_model[i] ? (const void *)cmd_cfg : (const void *)cmd;
        const void *b = g->is_model[i] ? (const void *)saved_cfg : (const void *)saved;
        if (fields_equal(g->spec[i], a, b)) continue;
        char now[128], then[128];
        fields_describe(g->spec[i], a, now, sizeof now);
        fields_describe(g->spec[i], b, then, sizeof then);
        buf_printf(&diff, "\n  %s %s (the checkpoint has %s)", g->spec[i]->flag, now, then);
    }
    if (diff.len)
        die("%s was trained with other settings than this command line asks for:%s\n"
            "resume with the checkpoint's settings (or drop these flags), or train a new model with another -o",
            ckpt, diff.data);
    buf_free(&diff);
}

/* The flags with a value besides those of the settings' tables. */
static const char *const VALUE_FLAGS[] = {"--vocab", "--train-src", "--train-tgt", "--valid-src", "--valid-tgt",
                                          "-o",      "--output",    "--log",       "--max-len",   "--guided-alignment",
                                          NULL};

/* Before any work: no output may be an input, and no other run may be
 * writing the same MODEL (the lock is held until the process ends). */
static void claim_outputs(const char *const inputs[5], const TrainOptions *o, int resume) {
    const char *suffixes[] = {"", ".last", ".ckpt", ".lock"};
    char *outs[6];
    int n = 0;
    for (int k = 0; k < 4; k++) outs[n++] = path_cat(o->model_path, suffixes[k]);
    if (o->log_path) outs[n++] = xstrdup(o->log_path);
    char **snaps = NULL, *prefix = path_cat(o->model_path, ".u");
    int nsnaps = o->keep_snapshots || resume ? paths_numbered(prefix, &snaps) : 0;
    paths_refuse_overwrite(inputs, 5, (const char *const *)outs, n);
    paths_refuse_overwrite(inputs, 5, (const char *const *)snaps, nsnaps);
    char err[1024];
    /* rank 0 writes every file, so it alone holds the lock (other ranks on its host would find it held) */
    if (dist_rank() == 0 && lock_acquire(outs[3], err, sizeof err) != 0) die("%s", err);
    for (int k = 0; k < n; k++) free(outs[k]);
    for (int k = 0; k < nsnaps; k++) free(snaps[k]);
    free(snaps);
    free(prefix);
}

int main(int argc, char **argv) {
    blas_setup(argv);
    set_program_name(argv[0]);
    dist_init(&argc, &argv); /* under mpirun: one rank of a data-parallel job */
    const char *guide_path = NULL;
    const char *vocab_path = NULL, *train_src = NULL, *train_tgt = NULL, *valid_src = NULL, *valid_tgt = NULL;
    TrainOptions o;
    train_options_default(&o);
    o.threads = train_default_threads();
    o.precision = (int)gemm_preferred_precision(); /* bf16 on CPUs that compute it natively */
    ModelConfig cfg;
    model_config_default(&cfg);
    int resume = 0, max_len = 100, skip_invalid = 0, valid_bleu = 0, max_updates_given = 0;
    GivenFlags given = {0};
    char err[1024];
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            fputs(USAGE, stdout);
            return 0;
        }
        if (!strcmp(a, "--resume")) { resume = 1; continue; }
        if (!strcmp(a, "--skip-invalid")) { skip_invalid = 1; continue; }
        if (!strcmp(a, "--quiet")) { o.quiet = 1; continue; }
        if (!strcmp(a, "--valid-bleu")) { valid_bleu = 1; continue; }
        /* the model's and the training's settings, with the ranges their tables state */
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        int takes = 0, rc;
        if ((rc = fields_parse_flag(MODEL_CONFIG_FIELDS, MODEL_CONFIG_NFIELDS, a, v, &cfg, &takes, err, sizeof err))) {
            if (rc < 0) die("%s", err);
            note_given(&given, fields_find_flag(MODEL_CONFIG_FIELDS, MODEL_CONFIG_NFIELDS, a), 1);
            i += takes;
            continue;
        }
        if ((rc = fields_parse_flag(TRAIN_OPTION_FIELDS, TRAIN_OPTION_NFIELDS, a, v, &o, &takes, err, sizeof err))) {
            if (rc < 0) die("%s", err);
            note_given(&given, fields_find_flag(TRAIN_OPTION_FIELDS, TRAIN_OPTION_NFIELDS, a), 0);
            if (!strcmp(a, "--valid-metric") && o.select_by_bleu) valid_bleu = 1;
            if (!strcmp(a, "--max-updates")) max_updates_given = 1;
            i += takes;
            continue;
        }
        v = arg_value(argc, argv, &i, VALUE_FLAGS);
        if (!strcmp(a, "--vocab")) vocab_path = v;
        else if (!strcmp(a, "--train-src")) train_src = v;
        else if (!strcmp(a, "--train-tgt")) train_tgt = v;
        else if (!strcmp(a, "--valid-src")) valid_src = v;
        else if (!strcmp(a, "--valid-tgt")) valid_tgt = v;
        else if (!strcmp(a, "-o") || !strcmp(a, "--output")) o.model_path = v;
        else if (!strcmp(a, "--log")) o.log_path = v;
        else if (!strcmp(a, "--guided-alignment")) guide_path = v;
        else if (!strcmp(a, "--max-len")) max_len = (int)parse_long(a, v, 1, 1 << 20);
        else die("unknown option %s (see --help)", a);
    }
    if (!o.model_path) die("-o MODEL is required (see --help)");
    if (!train_src || !train_tgt) die("--train-src and --train-tgt are required (see --help)");
    if (!!valid_src != !!valid_tgt) die("--valid-src and --valid-tgt go together");
    if (!vocab_path && !resume) die("--vocab is required (see --help)");
    if (cfg.att_dim == 0) cfg.att_dim = cfg.hidden;
    for (int k = 0; k < given.n && !guide_path; k++)
        if (!strncmp(given.spec[k]->flag, "--guided-alignment", 18))
            die("%s needs --guided-alignment FILE", given.spec[k]->flag);
    o.guided = guide_path != NULL;
    if (max_updates_given && o.max_updates == 0)
        die("--max-updates 0 would train nothing: give at least 1 (leave it out for no limit)");
    if (valid_bleu && !valid_src)
        die("%s needs a validation set (--valid-src and --valid-tgt)",
            o.select_by_bleu ? "--valid-metric bleu" : "--valid-bleu");
    const char *inputs[5] = {vocab_path, train_src, train_tgt, valid_src, valid_tgt};
    claim_outputs(inputs, &o, resume);

    /* Everything that can fail on the user's input is checked before training starts. */
    Model *m = NULL;
    TrainState state;
    Optimizer optim;
    int resumed = 0;
    Buf saved_inputs = {0};
    char *ckpt = train_output_path(o.model_path, ".ckpt");
    if (resume && access(ckpt, F_OK) == 0) {
        TrainOptions saved = o;
        m = checkpoint_load(ckpt, &state, &optim, &saved, &saved_inputs, err, sizeof err);
        if (!m) die("%s", err);
        check_resume_flags(&given, &cfg, &m->cfg, &o, &saved, ckpt);
        if (saved.guided != o.guided)
            die("%s was trained %s guided alignment: resume %s --guided-alignment FILE", ckpt,
                saved.guided ? "with" : "without", saved.guided ? "with" : "without");
        /* the run's own settings win; the budget and the machine may change */
        train_options_resume(&saved, &o);
        if (saved.select_by_bleu) valid_bleu = 1;
        if (valid_bleu && !valid_src) die("%s: the run selects models by validation BLEU: give --valid-src and --valid-tgt", ckpt);
        o = saved;
        resumed = 1;
        fprintf(stderr, "%s: resuming from %s at update %ld\n", program_name(), ckpt, state.update);
    } else {
        if (resume) fprintf(stderr, "%s: no checkpoint %s yet; starting a new run\n", program_name(), ckpt);
        if (!vocab_path) die("--vocab is required for a new run");
        Vocab *v = vocab_load(vocab_path, err, sizeof err);
        if (!v) die("%s", err);
        cfg.src_vocab = vocab_size(v, VOCAB_SRC);
        cfg.tgt_vocab = vocab_size(v, VOCAB_TGT);
        if (model_config_check(&cfg, err, sizeof err) != 0) die("%s", err);
        m = model_create(&cfg, v, o.seed);
    }
    omp_set_num_threads(o.threads);
    TextData train, valid = {0};
    text_data_load(&train, m->vocab, train_src, train_tgt, max_len, skip_invalid, 0, "training");
    Guidance guide = {0};
    if (guide_path) {
        guidance_load(&guide, guide_path, m->vocab, train.corpus, train_src);
        train.data.guide = &guide;
        fprintf(stderr, "%s: guided alignment: %s, %ld word links, %d subword links; %ld of %d pairs without links "
                "(trained without guidance); weight %g\n", program_name(), guide_path, guide.word_links,
                (int)guide.start[guide.n], guide.unlinked, guide.n, (double)o.guide_weight);
    }
    if (valid_src) {
        text_data_load(&valid, m->vocab, valid_src, valid_tgt, 0, skip_invalid, valid_bleu, "validation");
        o.valid_refs = (const char *const *)valid.refs;
    }
    const TrainInput data_files[] = {{"--train-src", train_src}, {"--train-tgt", train_tgt}, {"--valid-src", valid_src},
                                     {"--valid-tgt", valid_tgt}, {"--guided-alignment", guide_path}};
    /* what this run trains on: compared with the checkpoint's on --resume, saved in its own */
    Buf prints = {0};
    fingerprint_inputs(&prints, data_files, 5, 0);
    fingerprint_data(&prints, "training data", &train.data);
    fingerprint_data(&prints, "validation data", valid_src ? &valid.data : NULL);
    if (resumed) resume_check_inputs(ckpt, saved_inputs.data, prints.data, data_files, 5, m, vocab_path);
    o.inputs_fingerprint = prints.data;
    free(ckpt);
    buf_free(&saved_inputs);
    train_check_agreement(m, &o, resumed ? &state : NULL, resumed ? &optim : NULL, &train.data,
                          valid_src ? &valid.data : NULL, data_files, 5);
    int rc = train_run(m, &train.data, valid_src ? &valid.data : NULL, &o, resumed ? &state : NULL,
                       resumed ? &optim : NULL);
    text_data_free(&train);
    guidance_free(&guide);
    if (valid_src) text_data_free(&valid);
    buf_free(&prints);
    model_free(m);
    dist_finalize();
    return rc;
}
