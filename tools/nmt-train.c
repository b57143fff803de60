/* nmt-train — train a translation model on a parallel corpus. */
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/args.h"
#include "core/blas.h"
#include "core/lock.h"
#include "core/paths.h"
#include "core/util.h"
#include "train/trainer.h"
#include "vocab/corpus.h"

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
    "  --seed N               random seed for initialization, order and dropout (default 1)\n"
    "  --threads N            OpenMP threads (default: all cores)\n"
    "  --resume               continue from MODEL.ckpt (the saved training settings are used;\n"
    "                         --epochs, --max-updates, --minutes, --threads and --log may change,\n"
    "                         and --keep-snapshots may be switched on)\n"
    "output:\n"
    "  --log FILE             one JSON object per validation\n"
    "  --disp-every N         updates between log lines when stderr is not a terminal (default 100)\n"
    "  --quiet                no progress output\n"
    "  -h, --help             this help\n";

static TrainData to_train_data(const ParallelCorpus *c) {
    TrainData d = {.n = c->n};
    d.src = xmalloc(sizeof(int *) * (size_t)(c->n + 1));
    d.tgt = xmalloc(sizeof(int *) * (size_t)(c->n + 1));
    d.src_len = xmalloc(sizeof(int) * (size_t)(c->n + 1));
    d.tgt_len = xmalloc(sizeof(int) * (size_t)(c->n + 1));
    for (int i = 0; i < c->n; i++) {
        d.src[i] = c->pairs[i].src, d.src_len[i] = c->pairs[i].src_len;
        d.tgt[i] = c->pairs[i].tgt, d.tgt_len[i] = c->pairs[i].tgt_len;
        d.total_tgt_tokens += c->pairs[i].tgt_len + 1;
    }
    return d;
}

static void free_train_data(TrainData *d) {
    free(d->src), free(d->tgt), free(d->src_len), free(d->tgt_len);
}

/* The raw target line of every kept validation pair: BLEU is computed
 * against the text as the user has it. */
static char **reference_lines(const char *path, const ParallelCorpus *c) {
    long n = count_lines(path);
    char **lines = xcalloc((size_t)n + 1, sizeof(char *));
    LineReader r;
    if (linereader_open(&r, path) != 0) die("%s: cannot open", path);
    while (linereader_next(&r)) lines[r.lineno - 1] = xstrdup(r.line);
    linereader_close(&r);
    char **refs = xmalloc(sizeof(char *) * (size_t)(c->n + 1));
    for (int i = 0; i < c->n; i++) refs[i] = xstrdup(lines[c->pairs[i].line - 1]);
    for (long i = 0; i < n; i++) free(lines[i]);
    free(lines);
    return refs;
}

static ParallelCorpus *load_corpus(const Vocab *v, const char *src, const char *tgt, int max_len, int skip_invalid,
                                   const char *what) {
    CorpusStats st;
    ParallelCorpus *c = corpus_load(v, src, tgt, max_len, skip_invalid, &st);
    Buf summary = {0};
    corpus_stats_summary(&st, &summary);
    fprintf(stderr, "%s: %s data: %s\n", program_name(), what, summary.data ? summary.data : "");
    buf_free(&summary);
    if (c->n == 0) die("%s: no usable sentence pairs in %s / %s", what, src, tgt);
    return c;
}

static const char *const VALUE_FLAGS[] = {
    "--vocab", "--train-src", "--train-tgt", "--valid-src", "--valid-tgt", "-o", "--output", "--log", "--attention",
    "--optimizer", "--valid-metric", "--emb", "--hidden", "--att-dim", "--dropout", "--rec-dropout", "--batch",
    "--shard-size", "--epochs", "--max-updates", "--minutes", "--lr", "--lr-decay", "--lr-patience", "--min-lr",
    "--patience", "--clip", "--label-smoothing", "--ema", "--valid-every", "--disp-every", "--seed", "--threads",
    "--max-len", NULL};

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
    if (lock_acquire(outs[3], err, sizeof err) != 0) die("%s", err);
    for (int k = 0; k < n; k++) free(outs[k]);
    for (int k = 0; k < nsnaps; k++) free(snaps[k]);
    free(snaps);
    free(prefix);
}

int main(int argc, char **argv) {
    blas_setup(argv);
    set_program_name(argv[0]);
    const char *vocab_path = NULL, *train_src = NULL, *train_tgt = NULL, *valid_src = NULL, *valid_tgt = NULL;
    TrainOptions o;
    train_options_default(&o);
    o.threads = omp_get_num_procs();
    ModelConfig cfg = {.emb = 256, .hidden = 512, .att_dim = 0, .attention = ATTENTION_BAHDANAU, .dropout = 0.2f};
    int resume = 0, max_len = 100, skip_invalid = 0, valid_bleu = 0, max_updates_given = 0;
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
        if (!strcmp(a, "--deep-output")) { cfg.deep_output = 1; continue; }
        if (!strcmp(a, "--tie-embeddings")) { cfg.tie_target = 1; continue; }
        if (!strcmp(a, "--keep-snapshots")) { o.keep_snapshots = 1; continue; }
        const char *v = arg_value(argc, argv, &i, VALUE_FLAGS);
        if (!strcmp(a, "--vocab")) vocab_path = v;
        else if (!strcmp(a, "--train-src")) train_src = v;
        else if (!strcmp(a, "--train-tgt")) train_tgt = v;
        else if (!strcmp(a, "--valid-src")) valid_src = v;
        else if (!strcmp(a, "--valid-tgt")) valid_tgt = v;
        else if (!strcmp(a, "-o") || !strcmp(a, "--output")) o.model_path = v;
        else if (!strcmp(a, "--log")) o.log_path = v;
        else if (!strcmp(a, "--attention")) {
            if (!strcmp(v, "bahdanau")) cfg.attention = ATTENTION_BAHDANAU;
            else if (!strcmp(v, "dot")) cfg.attention = ATTENTION_DOT;
            else die("--attention must be bahdanau or dot, got '%s'", v);
        } else if (!strcmp(a, "--optimizer")) {
            if (!strcmp(v, "adam")) o.optimizer = OPTIM_ADAM;
            else if (!strcmp(v, "sgd")) o.optimizer = OPTIM_SGD;
            else die("--optimizer must be adam or sgd, got '%s'", v);
        } else if (!strcmp(a, "--valid-metric")) {
            if (!strcmp(v, "loss")) o.select_by_bleu = 0;
            else if (!strcmp(v, "bleu")) o.select_by_bleu = 1, valid_bleu = 1;
            else die("--valid-metric must be loss or bleu, got '%s'", v);
        } else if (!strcmp(a, "--emb")) cfg.emb = (int)parse_long(a, v, 1, 65536);
        else if (!strcmp(a, "--hidden")) cfg.hidden = (int)parse_long(a, v, 1, 65536);
        else if (!strcmp(a, "--att-dim")) cfg.att_dim = (int)parse_long(a, v, 1, 65536);
        else if (!strcmp(a, "--dropout")) cfg.dropout = (float)parse_double(a, v, 0.0, 0.95);
        else if (!strcmp(a, "--rec-dropout")) cfg.rec_dropout = (float)parse_double(a, v, 0.0, 0.95);
        else if (!strcmp(a, "--batch")) o.batch = (int)parse_long(a, v, 1, 1 << 20);
        else if (!strcmp(a, "--shard-size")) o.shard_size = (int)parse_long(a, v, 1, 1 << 20);
        else if (!strcmp(a, "--epochs")) o.epochs = (int)parse_long(a, v, 0, 1 << 30);
        else if (!strcmp(a, "--max-updates")) o.max_updates = parse_long(a, v, 0, 1L << 50), max_updates_given = 1;
        else if (!strcmp(a, "--minutes")) o.minutes = parse_double(a, v, 0.0, 1e7);
        else if (!strcmp(a, "--lr")) o.lr = (float)parse_double(a, v, 0.0, 100.0);
        else if (!strcmp(a, "--lr-decay")) o.lr_decay = (float)parse_double(a, v, 0.0, 1.0);
        else if (!strcmp(a, "--lr-patience")) o.lr_patience = (int)parse_long(a, v, 1, 1 << 20);
        else if (!strcmp(a, "--min-lr")) o.min_lr = (float)parse_double(a, v, 0.0, 100.0);
        else if (!strcmp(a, "--patience")) o.patience = (int)parse_long(a, v, 0, 1 << 20);
        else if (!strcmp(a, "--clip")) o.clip = (float)parse_double(a, v, 0.0, 1e9);
        else if (!strcmp(a, "--label-smoothing")) o.label_smoothing = (float)parse_double(a, v, 0.0, 0.99);
        else if (!strcmp(a, "--ema")) o.ema_decay = (float)parse_double(a, v, 0.0, 0.999999);
        else if (!strcmp(a, "--valid-every")) o.valid_every = (int)parse_long(a, v, 1, 1 << 30);
        else if (!strcmp(a, "--disp-every")) o.disp_every = (int)parse_long(a, v, 1, 1 << 30);
        else if (!strcmp(a, "--seed")) o.seed = (uint64_t)parse_long(a, v, 0, (1L << 62));
        else if (!strcmp(a, "--threads")) o.threads = (int)parse_long(a, v, 1, 1024);
        else if (!strcmp(a, "--max-len")) max_len = (int)parse_long(a, v, 1, 1 << 20);
        else die("unknown option %s (see --help)", a);
    }
    if (!o.model_path) die("-o MODEL is required (see --help)");
    if (!train_src || !train_tgt) die("--train-src and --train-tgt are required (see --help)");
    if (!!valid_src != !!valid_tgt) die("--valid-src and --valid-tgt go together");
    if (!vocab_path && !resume) die("--vocab is required (see --help)");
    if (cfg.att_dim == 0) cfg.att_dim = cfg.hidden;
    if (max_updates_given && o.max_updates == 0)
        die("--max-updates 0 would train nothing: give at least 1 (leave it out for no limit)");
    if (valid_bleu && !valid_src)
        die("%s needs a validation set (--valid-src and --valid-tgt)",
            o.select_by_bleu ? "--valid-metric bleu" : "--valid-bleu");
    const char *inputs[5] = {vocab_path, train_src, train_tgt, valid_src, valid_tgt};
    claim_outputs(inputs, &o, resume);

    /* Everything that can fail on the user's input is checked before training starts. */
    char err[1024];
    Model *m = NULL;
    TrainState state;
    Optimizer optim;
    int resumed = 0;
    char *ckpt = xmalloc(strlen(o.model_path) + 8);
    sprintf(ckpt, "%s.ckpt", o.model_path);
    if (resume && access(ckpt, F_OK) == 0) {
        TrainOptions saved = o;
        m = checkpoint_load(ckpt, &state, &optim, &saved, err, sizeof err);
        if (!m) die("%s", err);
        /* the run's own settings win; the budget and the machine may change */
        saved.epochs = o.epochs, saved.max_updates = o.max_updates, saved.minutes = o.minutes;
        saved.threads = o.threads, saved.log_path = o.log_path, saved.quiet = o.quiet;
        saved.disp_every = o.disp_every, saved.model_path = o.model_path;
        saved.keep_snapshots |= o.keep_snapshots; /* may be switched on later: it only adds files */
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
    free(ckpt);
    omp_set_num_threads(o.threads);
    ParallelCorpus *train = load_corpus(m->vocab, train_src, train_tgt, max_len, skip_invalid, "training");
    ParallelCorpus *valid = valid_src ? load_corpus(m->vocab, valid_src, valid_tgt, 0, skip_invalid, "validation") : NULL;
    TrainData td = to_train_data(train), vd = {0};
    char **refs = NULL;
    if (valid) vd = to_train_data(valid);
    if (valid && valid_bleu) o.valid_refs = (const char *const *)(refs = reference_lines(valid_tgt, valid));
    int rc = train_run(m, &td, valid ? &vd : NULL, &o, resumed ? &state : NULL, resumed ? &optim : NULL);
    free_train_data(&td);
    corpus_free(train);
    if (refs)
        for (int i = 0; i < valid->n; i++) free(refs[i]);
    free(refs);
    if (valid) free_train_data(&vd), corpus_free(valid);
    model_free(m);
    return rc;
}
