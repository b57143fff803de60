/* state.h — the trainer's settings (TrainOptions) and its position
 * (TrainState), each described once as a table (sys/fields.h).
 *
 * The tables give nmt-train its flags and their ranges, the checkpoint its
 * TRST section (written and read back with the same ranges, so a corrupt
 * value is refused naming the file and the field), and --resume its rules:
 * the settings saved in the checkpoint win; the ones marked FIELD_NOT_SAVED
 * (the budget and the machine) come from the new command line, and
 * --keep-snapshots may be switched on. */
#ifndef NMT_TRAIN_STATE_H
#define NMT_TRAIN_STATE_H

#include <stdint.h>

#include "sys/fields.h"
#include "train/optim.h"

typedef struct {
    const char *model_path; /* -o: best model (or last without validation) */
    const char *log_path;   /* JSON lines, one per validation; NULL for none */
    int batch;              /* pairs per minibatch */
    int shard_size;         /* pairs per parallel shard */
    int threads;
    int epochs;             /* 0 = no limit */
    long max_updates;       /* 0 = no limit */
    double minutes;         /* wall-clock budget, 0 = no limit */
    OptimizerType optimizer;
    float lr, lr_decay, min_lr;
    int lr_warmup;          /* updates over which the rate ramps up linearly from lr / N (0 = none) */
    int lr_patience;        /* validations without improvement before decaying */
    int patience;           /* validations without improvement before stopping, 0 = never */
    float clip, label_smoothing;
    float ema_decay;        /* > 0: validate and save a moving average of the weights */
    uint64_t seed;
    int valid_every;        /* updates between validations (and checkpoints) */
    int keep_snapshots;     /* also keep the weights of every validation as MODEL.uN (for nmt-average) */
    int disp_every;         /* updates between log lines when stderr is not a terminal */
    int quiet;
    /* Validation BLEU (greedy decoding against the raw references): set
     * valid_refs to one reference line per validation pair. */
    const char *const *valid_refs;
    /* What the run trains on (train/fingerprint.h, without paths), saved in
     * every checkpoint as its DATA section; NULL for none. */
    const char *inputs_fingerprint;
    int select_by_bleu;     /* best model, LR decay and early stopping follow BLEU, not loss */
    int precision;          /* GemmPrecision of the products: GEMM_FP32 or GEMM_BF16 (fp32 master weights) */
    /* Guided alignment (train/guidance.h): the weight lambda of the
     * attention cross-entropy, multiplied by guide_decay every
     * guide_decay_every updates; guided records that the run has it. */
    int guided;
    float guide_weight, guide_decay;
    int guide_decay_every;
    int guide_target;   /* TRAIN_GUIDE_*: which attention the guidance trains */
    float align_weight; /* w_a: the alignment layer's losses' weight (models with the layer) */
    float bpe_dropout;  /* > 0: the training pairs segmented anew each epoch (train/bpe_dropout.h) */
    int freeze_translation; /* with the alignment layer: it alone learns; the translation model stays as it is */
} TrainOptions;

/* --guided-alignment-target: auto is the alignment layer when the model has
 * one, else the decoder's attention (guidance_target in train/guidance.h). */
enum { TRAIN_GUIDE_AUTO = 0, TRAIN_GUIDE_LAYER = 1, TRAIN_GUIDE_DECODER = 2, TRAIN_GUIDE_BOTH = 3 };

extern const FieldSpec TRAIN_OPTION_FIELDS[];
extern const int TRAIN_OPTION_NFIELDS;

void train_options_default(TrainOptions *o);

/* The trainer's position and history; saved in checkpoints. */
typedef struct {
    long update;
    int epoch;           /* 0-based epoch in progress */
    int batch_in_epoch;  /* next minibatch of that epoch */
    float lr;
    double best_valid;   /* best validation score so far: loss per token, or -BLEU */
    int bad_valids;      /* validations since the last improvement */
    int lr_bad_valids;   /* the same, since the last decay */
    double elapsed;      /* training seconds before this process */
    long tokens;         /* target tokens trained on */
    int finished;        /* stopped early: nothing left to do */
    long optim_step;     /* the optimizer's step count (Adam's bias correction) */
} TrainState;

extern const FieldSpec TRAIN_STATE_FIELDS[];
extern const int TRAIN_STATE_NFIELDS;

/* The TRST section: the state, then the saved options. */
void train_state_write(const TrainState *st, const TrainOptions *o, Buf *out);
/* Read a TRST section into st and o (o keeps what the section does not
 * hold). where names the file. 0, or -1 with err. */
int train_state_read(const char *text, size_t len, TrainState *st, TrainOptions *o, const char *where, char *err,
                     size_t errsz);

/* Resume: saved holds the checkpoint's options; take from cmdline what may
 * change (the fields not saved, the output paths, quiet, and
 * keep_snapshots switched on). */
void train_options_resume(TrainOptions *saved, const TrainOptions *cmdline);

#endif
