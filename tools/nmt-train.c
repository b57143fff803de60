/* nmt-train — train a translation model on a parallel corpus. */
#include <omp.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/tool.h"
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

#define GUIDED "guided alignment (attention trained towards given word alignments)"

static const char USAGE[] =
    "usage: nmt-train --vocab VOCAB --train-src F --train-tgt F [--valid-src F --valid-tgt F] -o MODEL [options]\n"
    "\n"
    "Trains a bidirectional-GRU encoder / attentive GRU decoder on raw parallel text\n"
    "(the vocabulary from nmt-vocab tokenizes it). Writes MODEL (the best model on the\n"
    "validation set, or the last one without validation data), MODEL.last (the last\n"
    "weights) and MODEL.ckpt (a checkpoint to --resume from).\n"
    "\n";
static const char EPILOG[] =
    "\n"
    "mpirun -np P nmt-train ... trains data-parallel over P processes, on one host or many,\n"
    "to the same bytes as one process (README: several hosts).\n"
    "\n"
    "SIGINT or SIGTERM stops training after the current update, the validation under way\n"
    "and a checkpoint (exit status 130; continue with --resume). A second one ends the\n"
    "process at once: files are written atomically, so the last checkpoint stays intact.\n";

typedef struct {
    const char *vocab, *train_src, *train_tgt, *valid_src, *valid_tgt, *guide;
    int max_len, skip_invalid, valid_bleu, resume;
    ModelConfig cfg;
    TrainOptions train;
} Args;

#define A(member) offsetof(Args, member)
static const FieldSpec TOOL_FIELDS[] = {
    {NULL, "--vocab", FIELD_INPUT, A(vocab), .metavar = "VOCAB", .section = "data",
     .help = "vocabulary file from nmt-vocab"},
    {NULL, "--train-src", FIELD_INPUT, A(train_src), .flags = FIELD_MANDATORY, .section = "data",
     .help = "training text, source side, one sentence per line"},
    {NULL, "--train-tgt", FIELD_INPUT, A(train_tgt), .flags = FIELD_MANDATORY, .section = "data",
     .help = "training text, target side, line-aligned with --train-src"},
    {NULL, "--valid-src", FIELD_INPUT, A(valid_src), .section = "data",
     .help = "validation text (validation loss, best model, early stopping)"},
    {NULL, "--valid-tgt", FIELD_INPUT, A(valid_tgt), .section = "data", .help = "its target side"},
    {NULL, "--max-len", FIELD_INT, A(max_len), 100, 1, 1 << 20, .section = "data",
     .help = "leave out training pairs with a side over N tokens"},
    {NULL, "--skip-invalid", FIELD_INT, A(skip_invalid), 0, 0, 1, .flags = FIELD_SWITCH, .section = "data",
     .help = "skip pairs with invalid UTF-8 instead of stopping"},
    {NULL, "--valid-bleu", FIELD_INT, A(valid_bleu), 0, 0, 1, .flags = FIELD_SWITCH, .section = "training",
     .help = "also compute BLEU of greedy translations of the validation set\n"
             "against its raw target text (logged)"},
    {NULL, "--resume", FIELD_INT, A(resume), 0, 0, 1, .flags = FIELD_SWITCH, .section = "training",
     .help = "continue from MODEL.ckpt with its saved settings; --epochs,\n"
             "--max-updates, --minutes, --threads, --disp-every and --log may\n"
             "change and --keep-snapshots may be switched on; any other saved\n"
             "setting given with another value is refused, and so are training,\n"
             "validation and --guided-alignment files whose bytes differ from\n"
             "those the checkpoint's run read (they may have moved), a --max-len\n"
             "that keeps other pairs, and a --vocab that is not the vocabulary\n"
             "stored in the checkpoint (--vocab may be left out)"},
    {NULL, "--guided-alignment", FIELD_INPUT, A(guide), .section = GUIDED,
     .help = "Pharaoh links (0-based \"s-t\", e.g. from nmt-align) between the\n"
             "whitespace-separated words of each training pair, one line per line\n"
             "of the training files (also the lines left out by --max-len or as\n"
             "empty); a word link joins every subword of the target word to every\n"
             "subword of the source word, each target token's gold row is made to\n"
             "sum to 1, and the loss adds lambda * the cross-entropy between each\n"
             "guided token's attention row and its gold row, normalized like the\n"
             "translation loss (per target token of the minibatch). Tokens without\n"
             "links, </s> and pairs without links get no guidance"},
    {NULL, "--output", FIELD_OUTPUT, A(train.model_path), .alias = "-o", .metavar = "MODEL",
     .flags = FIELD_MANDATORY | FIELD_PLAIN_FILE, .section = "output",
     .help = "the model; MODEL.last, MODEL.ckpt and MODEL.lock are written beside it"},
    {NULL, "--log", FIELD_OUTPUT, A(train.log_path), .section = "output",
     .help = "one JSON object per validation"},
    {NULL, "--quiet", FIELD_INT, A(train.quiet), 0, 0, 1, .flags = FIELD_SWITCH, .section = "output",
     .help = "no progress output"},
};
#undef A
static const char *const SECTIONS[] = {"data", "model", "training", GUIDED, "output", NULL};

/* Refuse a resume whose command line asks for other settings than the
 * checkpoint's: each saved setting given must agree with the checkpoint;
 * the budget and the machine (FIELD_NOT_SAVED) and FIELD_RESUME_FREE may change. */
static void check_resume_flags(const CliGiven *g, const ModelConfig *cmd_cfg, const ModelConfig *saved_cfg,
                               const TrainOptions *cmd, const TrainOptions *saved, const char *ckpt) {
    Buf diff = {0};
    for (int i = 0; i < g->n; i++) {
        const FieldSpec *f = g->spec[i];
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

/* Before any work: every output can be written and none is an input or
 * another output (the files named after MODEL included), and no other run
 * is writing the same MODEL (the lock is held until the process ends). */
static void claim_outputs(const CliCommand *cmd, const Args *a) {
    const char *model = a->train.model_path;
    const char *suffixes[] = {".last", ".ckpt", ".lock"};
    char **snaps = NULL, *prefix = path_cat(model, ".u");
    int nsnaps = a->train.keep_snapshots || a->resume ? paths_numbered(prefix, &snaps) : 0;
    CliPath *derived = xmalloc((size_t)(3 + nsnaps) * sizeof *derived);
    int n = 0;
    for (int k = 0; k < 3; k++) derived[n++] = (CliPath){"-o", path_cat(model, suffixes[k])};
    for (int k = 0; k < nsnaps; k++) derived[n++] = (CliPath){"-o (a snapshot)", snaps[k]};
    tool_check_files(cmd, a, derived, n);
    char err[1024];
    /* rank 0 writes every file, so it alone holds the lock (other ranks on its host would find it held) */
    if (dist_rank() == 0 && lock_acquire(derived[2].path, err, sizeof err) != 0) die("%s", err);
    for (int k = 0; k < n; k++) free((char *)derived[k].path);
    free(derived);
    free(snaps);
    free(prefix);
}

int main(int argc, char **argv) {
    blas_setup(argv);
    set_program_name(argv[0]);
    dist_init(&argc, &argv); /* under mpirun: one rank of a data-parallel job */
    const CliTable tables[] = {{TOOL_FIELDS, (int)(sizeof TOOL_FIELDS / sizeof TOOL_FIELDS[0]), 0},
                               {MODEL_CONFIG_FIELDS, MODEL_CONFIG_NFIELDS, offsetof(Args, cfg)},
                               {TRAIN_OPTION_FIELDS, TRAIN_OPTION_NFIELDS, offsetof(Args, train)}};
    const CliCommand cmd = {USAGE, tables, 3, SECTIONS, EPILOG, NULL, 0, 0};
    Args args;
    memset(&args, 0, sizeof args);
    fields_set_defaults(TOOL_FIELDS, tables[0].n, &args);
    train_options_default(&args.train);
    args.train.threads = train_default_threads();
    args.train.precision = (int)gemm_preferred_precision(); /* bf16 on CPUs that compute it natively */
    model_config_default(&args.cfg);
    CliGiven given;
    tool_parse(&cmd, argc, argv, &args, &given);
    TrainOptions o = args.train;
    ModelConfig cfg = args.cfg;
    const char *guide_path = args.guide, *vocab_path = args.vocab, *train_src = args.train_src,
               *train_tgt = args.train_tgt, *valid_src = args.valid_src, *valid_tgt = args.valid_tgt;
    const int resume = args.resume, max_len = args.max_len, skip_invalid = args.skip_invalid;
    int valid_bleu = args.valid_bleu || o.select_by_bleu;
    char err[1024];
    if (!!valid_src != !!valid_tgt) die("--valid-src and --valid-tgt go together");
    if (!vocab_path && !resume) die("--vocab is required (see --help)");
    if (cfg.att_dim == 0) cfg.att_dim = cfg.hidden;
    for (int k = 0; k < given.n && !guide_path; k++)
        if (!strncmp(given.spec[k]->flag, "--guided-alignment", 18))
            die("%s needs --guided-alignment FILE", given.spec[k]->flag);
    o.guided = guide_path != NULL;
    if (cli_given(&given, "--max-updates") && o.max_updates == 0)
        die("--max-updates 0 would train nothing: give at least 1 (leave it out for no limit)");
    if (valid_bleu && !valid_src)
        die("%s needs a validation set (--valid-src and --valid-tgt)",
            o.select_by_bleu ? "--valid-metric bleu" : "--valid-bleu");
    claim_outputs(&cmd, &args);

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
