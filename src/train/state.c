/* state.c — see state.h. */
#include "train/state.h"

#include <math.h>
#include <stddef.h>
#include <string.h>

#include "nn/blas.h"

static const char *const OPTIMIZER_NAMES[] = {"adam", "sgd", NULL};
static const char *const METRIC_NAMES[] = {"loss", "bleu", NULL};
static const char *const GUIDE_TARGET_NAMES[] = {"auto", "layer", "decoder", "both", NULL};

#define F(member) offsetof(TrainOptions, member)
/* In TRST order (the fields not saved anywhere may stand anywhere). The
 * saved fields after start_lr came later: checkpoints without them still
 * load. The fields after keep_snapshots are written only when they differ
 * from their defaults, so a run without them writes the same text as before
 * they existed. */
const FieldSpec TRAIN_OPTION_FIELDS[] = {
    {"batch", "--batch", FIELD_INT, F(batch), 64, 1, 1 << 20, NULL, NULL, .flags = FIELD_REQUIRED, .section = "training", .help = "sentence pairs per minibatch"},
    {"shard_size", "--shard-size", FIELD_INT, F(shard_size), 32, 1, 1 << 20, NULL, NULL, .flags = FIELD_REQUIRED, .section = "training", .help = "pairs per parallel shard of a minibatch; results\ndepend on it, not on --threads"},
    {"optimizer", "--optimizer", FIELD_ENUM, F(optimizer), OPTIM_ADAM, 0, 1, "%d", OPTIMIZER_NAMES, .flags = FIELD_REQUIRED, .section = "training",
     .help = "the update rule"},
    {"lr_decay", "--lr-decay", FIELD_FLOAT, F(lr_decay), 0.5, 0, 1, NULL, NULL, .flags = FIELD_REQUIRED, .section = "training", .help = "multiply the rate by X when validation stalls"},
    {"min_lr", "--min-lr", FIELD_FLOAT, F(min_lr), 1e-5, 0, 100, NULL, NULL, .flags = FIELD_REQUIRED, .section = "training", .help = "never decay below X"},
    {"lr_patience", "--lr-patience", FIELD_INT, F(lr_patience), 1, 1, 1 << 20, NULL, NULL, .flags = FIELD_REQUIRED, .section = "training", .help = "validations without improvement before decaying"},
    {"patience", "--patience", FIELD_INT, F(patience), 5, 0, 1 << 20, NULL, NULL, .flags = FIELD_REQUIRED, .section = "training", .help = "stop after N validations without improvement (0 = never)"},
    {"clip", "--clip", FIELD_FLOAT, F(clip), 5, 0, 1e9, NULL, NULL, .flags = FIELD_REQUIRED, .section = "training", .help = "clip gradients to global norm X (0 = off)"},
    {"label_smoothing", "--label-smoothing", FIELD_FLOAT, F(label_smoothing), 0, 0, 0.99, NULL, NULL, .flags = FIELD_REQUIRED, .section = "training", .help = "spread X of each target token's probability mass over the vocabulary"},
    {"seed", "--seed", FIELD_U64, F(seed), 1, 0, 4611686018427387904.0, NULL, NULL, .flags = FIELD_REQUIRED, .section = "training", .help = "random seed for initialization, order and dropout"},
    {"valid_every", "--valid-every", FIELD_INT, F(valid_every), 500, 1, 1 << 30, NULL, NULL, .flags = FIELD_REQUIRED, .section = "training", .help = "updates between validations and checkpoints"},
    {"start_lr", "--lr", FIELD_FLOAT, F(lr), 1e-3, 0, 100, NULL, NULL, .flags = FIELD_REQUIRED, .section = "training", .help = "learning rate"},
    {"select_by_bleu", "--valid-metric", FIELD_ENUM, F(select_by_bleu), 0, 0, 1, "%d", METRIC_NAMES, .flags = 0, .section = "training", .help = "what the best model, learning-rate decay and early stopping\nfollow (bleu implies --valid-bleu)"},
    {"ema_decay", "--ema", FIELD_FLOAT, F(ema_decay), 0, 0, 0.999999, NULL, NULL, .flags = 0, .metavar = "D", .section = "training", .help = "validate and save an exponential moving average of the weights\nwith decay D, e.g. 0.999 (0: off)"},
    {"keep_snapshots", "--keep-snapshots", FIELD_INT, F(keep_snapshots), 0, 0, 1, NULL, NULL, .flags = FIELD_SWITCH | FIELD_RESUME_FREE, .section = "training", .help = "also keep the weights of every validation as MODEL.uN (N = update),\ne.g. for averaging the last few with nmt-average"},
    /* the products' precision changes the trained bits, so a resumed run keeps it */
    {"precision", "--precision", FIELD_ENUM, F(precision), 0, 0, 1, NULL, GEMM_PRECISION_NAMES, .flags = FIELD_OMIT_DEFAULT, .section = "training", .help = "the matrix products' inputs: bf16 rounds both factors to\nbfloat16 (fp32 accumulation, fp32 master weights and\noptimizer); default bf16 on CPUs that compute it natively\n(AVX512_BF16 or AMX), else fp32 (or NMT_GEMM_PRECISION)"},
    /* written only when used, so that a run without it keeps its checkpoint text */
    {"lr_warmup", "--lr-warmup", FIELD_INT, F(lr_warmup), 0, 0, 1 << 30, NULL, NULL, .flags = FIELD_OMIT_DEFAULT, .section = "training", .help = "raise the learning rate linearly over the first N updates, from\nlr/N at the first to lr (0: off)"},
    {"guided_alignment", NULL, FIELD_INT, F(guided), 0, 0, 1, NULL, NULL, .flags = FIELD_OMIT_DEFAULT},
    {"guided_alignment_weight", "--guided-alignment-weight", FIELD_FLOAT, F(guide_weight), 0.1, 0, 1e4, NULL, NULL, .flags = FIELD_OMIT_DEFAULT, .section = "guided alignment (attention trained towards given word alignments)", .help = "lambda"},
    {"guided_alignment_decay", "--guided-alignment-decay", FIELD_FLOAT, F(guide_decay), 1, 0, 1, NULL, NULL, .flags = FIELD_OMIT_DEFAULT, .section = "guided alignment (attention trained towards given word alignments)", .help = "multiply lambda by X every --guided-alignment-decay-every\nupdates (1: constant; e.g. 0.5 halves it each time)"},
    {"guided_alignment_decay_every", "--guided-alignment-decay-every", FIELD_INT, F(guide_decay_every), 1000, 1,
     1 << 30, NULL, NULL, .flags = FIELD_OMIT_DEFAULT, .section = "guided alignment (attention trained towards given word alignments)", .help = "updates between two decays of lambda"},
    {"guided_alignment_target", "--guided-alignment-target", FIELD_ENUM, F(guide_target), TRAIN_GUIDE_AUTO, 0, 3, NULL, GUIDE_TARGET_NAMES, .flags = FIELD_OMIT_DEFAULT, .metavar = "T", .section = "guided alignment (attention trained towards given word alignments)", .help = "which attention the guidance trains: layer (the alignment layer,\n--alignment-layer: the translation model is left as it would be\nwithout guidance), decoder (the decoder's attention), both; auto\n(default): layer when the model has one, else decoder"},
    {"alignment_layer_weight", "--alignment-layer-weight", FIELD_FLOAT, F(align_weight), 1, 0, 1e4, NULL, NULL, .flags = FIELD_OMIT_DEFAULT, .metavar = "W", .section = "training", .help = "with --alignment-layer: the weight of the layer's losses (its\nprediction of y_t, and its guidance); they train the layer\nalone, whose gradient is clipped by its own norm"},
    {"bpe_dropout", "--bpe-dropout", FIELD_FLOAT, F(bpe_dropout), 0, 0, 0.9, NULL, NULL, .flags = FIELD_OMIT_DEFAULT, .metavar = "P", .section = "training", .help = "BPE-dropout: each epoch, segment the training text anew, skipping\nevery applicable BPE merge with probability P at each step\n(validation and translation keep the full segmentation) (0: off)"},
    {"freeze_translation", "--freeze-translation", FIELD_INT, F(freeze_translation), 0, 0, 1, NULL, NULL, .flags = FIELD_SWITCH | FIELD_OMIT_DEFAULT, .section = "training", .help = "with --alignment-layer: train the alignment layer alone; the\ntranslation model keeps its weights bit for bit (with --init\nMODEL, MODEL's) and its backward pass is skipped (no --ema)"},
    /* this run's budget and machine: never saved, free to change on --resume */
    {NULL, "--epochs", FIELD_INT, F(epochs), 10, 0, 1 << 30, NULL, NULL, .flags = FIELD_NOT_SAVED, .section = "training", .help = "stop after N epochs (0 = no limit)"},
    {NULL, "--max-updates", FIELD_LONG, F(max_updates), 0, 0, 1125899906842624.0, NULL, NULL, .flags = FIELD_NOT_SAVED, .section = "training", .help = "stop after N updates (default: no limit)"},
    {NULL, "--minutes", FIELD_DOUBLE, F(minutes), 0, 0, 1e7, NULL, NULL, .flags = FIELD_NOT_SAVED, .metavar = "M", .section = "training", .help = "stop after M minutes of training (default: no limit)"},
    {NULL, "--threads", FIELD_INT, F(threads), 1, 1, 1024, NULL, NULL, .flags = FIELD_NOT_SAVED, .section = "training", .help = "OpenMP threads (default: all cores)"},
    {NULL, "--disp-every", FIELD_INT, F(disp_every), 100, 1, 1 << 30, NULL, NULL, .flags = FIELD_NOT_SAVED, .section = "output", .help = "updates between log lines when stderr is not a terminal"},
};
#undef F
const int TRAIN_OPTION_NFIELDS = (int)(sizeof TRAIN_OPTION_FIELDS / sizeof TRAIN_OPTION_FIELDS[0]);

#define F(member) offsetof(TrainState, member)
const FieldSpec TRAIN_STATE_FIELDS[] = {
    {"update", NULL, FIELD_LONG, F(update), 0, 0, 1125899906842624.0, NULL, NULL, .flags = FIELD_REQUIRED},
    {"epoch", NULL, FIELD_INT, F(epoch), 0, 0, 1 << 30, NULL, NULL, .flags = FIELD_REQUIRED},
    {"batch_in_epoch", NULL, FIELD_INT, F(batch_in_epoch), 0, 0, 1 << 30, NULL, NULL, .flags = FIELD_REQUIRED},
    {"lr", NULL, FIELD_FLOAT, F(lr), 0, 0, 100, NULL, NULL, .flags = FIELD_REQUIRED},
    {"best_valid", NULL, FIELD_DOUBLE, F(best_valid), INFINITY, -INFINITY, INFINITY, NULL, NULL, .flags = FIELD_REQUIRED},
    {"bad_valids", NULL, FIELD_INT, F(bad_valids), 0, 0, 1 << 30, NULL, NULL, .flags = FIELD_REQUIRED},
    {"lr_bad_valids", NULL, FIELD_INT, F(lr_bad_valids), 0, 0, 1 << 30, NULL, NULL, .flags = FIELD_REQUIRED},
    {"elapsed", NULL, FIELD_DOUBLE, F(elapsed), 0, 0, 1e12, "%.3f", NULL, .flags = FIELD_REQUIRED},
    {"tokens", NULL, FIELD_LONG, F(tokens), 0, 0, 1e18, NULL, NULL, .flags = FIELD_REQUIRED},
    {"finished", NULL, FIELD_INT, F(finished), 0, 0, 1, NULL, NULL, .flags = FIELD_REQUIRED},
    {"optim_step", NULL, FIELD_LONG, F(optim_step), 0, 0, 1125899906842624.0, NULL, NULL, .flags = FIELD_REQUIRED},
};
#undef F
const int TRAIN_STATE_NFIELDS = (int)(sizeof TRAIN_STATE_FIELDS / sizeof TRAIN_STATE_FIELDS[0]);

void train_options_default(TrainOptions *o) {
    memset(o, 0, sizeof *o);
    fields_set_defaults(TRAIN_OPTION_FIELDS, TRAIN_OPTION_NFIELDS, o);
}

void train_state_write(const TrainState *st, const TrainOptions *o, Buf *out) {
    fields_write(TRAIN_STATE_FIELDS, TRAIN_STATE_NFIELDS, st, out);
    fields_write(TRAIN_OPTION_FIELDS, TRAIN_OPTION_NFIELDS, o, out);
}

int train_state_read(const char *text, size_t len, TrainState *st, TrainOptions *o, const char *where, char *err,
                     size_t errsz) {
    memset(st, 0, sizeof *st);
    if (fields_read(TRAIN_STATE_FIELDS, TRAIN_STATE_NFIELDS, text, len, st, where, err, errsz) != 0) return -1;
    return fields_read(TRAIN_OPTION_FIELDS, TRAIN_OPTION_NFIELDS, text, len, o, where, err, errsz);
}

void train_options_resume(TrainOptions *saved, const TrainOptions *cmdline) {
    for (int i = 0; i < TRAIN_OPTION_NFIELDS; i++) {
        const FieldSpec *f = &TRAIN_OPTION_FIELDS[i];
        if (f->flags & FIELD_NOT_SAVED) fields_copy(f, saved, cmdline);
        /* a saved switch the command line may turn on (--keep-snapshots: it only adds files) */
        else if ((f->flags & FIELD_RESUME_FREE) && (f->flags & FIELD_SWITCH) &&
                 *(const int *)((const char *)cmdline + f->offset))
            fields_copy(f, saved, cmdline);
    }
    saved->model_path = cmdline->model_path;
    saved->log_path = cmdline->log_path;
    saved->quiet = cmdline->quiet;
}
