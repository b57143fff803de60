/* session.h — one training run assembled from what the command line asks
 * for: the request checked on its own, a new model or the checkpoint to
 * resume (with the resume policy: which settings may change), the data
 * read and fingerprinted, the ranks' agreement, then the loop.
 *
 * nmt-train only parses its flags into a TrainRequest (through its table),
 * claims its output files and calls these. */
#ifndef NMT_TRAIN_SESSION_H
#define NMT_TRAIN_SESSION_H

#include "model/config.h"
#include "model/saved.h"
#include "sys/fields.h"
#include "train/bpe_dropout.h"
#include "train/guidance.h"
#include "train/optim.h"
#include "train/state.h"
#include "train/text_data.h"

/* What the command line asks for (nmt-train's flags land here). */
typedef struct {
    const char *vocab, *train_src, *train_tgt, *valid_src, *valid_tgt, *guide;
    const char *init; /* --init MODEL: a new run starts from its weights */
    int max_len, skip_invalid, valid_bleu, resume;
    ModelConfig cfg;
    TrainOptions train;
} TrainRequest;

/* The defaults of a request: the tables' defaults, all cores, and bf16
 * products where the CPU computes them natively. */
void train_request_default(TrainRequest *r);

/* The flags a command line gave, by their table rows: saved settings among
 * them must agree with a checkpoint that is resumed. */
typedef struct {
    const FieldSpec *const *spec;
    int n;
} GivenSettings;

/* The request on its own: pairs of files that go together, a guidance
 * setting without guidance, a budget of nothing. Dies with the reason. */
void train_request_check(TrainRequest *r, GivenSettings given);

typedef struct {
    Model *m;
    TrainOptions o;     /* the run's options: the checkpoint's when resumed */
    TrainState state;   /* valid when resumed */
    Optimizer optim;    /* valid when resumed */
    int resumed;
    TextData train, valid;
    int has_valid;
    Guidance guide;
    BpeDropout bpe_dropout; /* with --bpe-dropout */
    Buf prints;         /* what the run trains on (train/fingerprint.h), saved in its checkpoints */
} TrainSession;

/* Everything that can fail on the user's input, before any training: the
 * model (new, or the checkpoint's with the resume policy applied), the
 * data, guidance, fingerprints, and under mpirun the ranks' agreement.
 * Dies with a message naming the file or setting. */
void train_session_open(TrainSession *s, const TrainRequest *r, GivenSettings given);
/* train_run on the session; its exit status. */
int train_session_run(TrainSession *s);
void train_session_close(TrainSession *s);

#endif
