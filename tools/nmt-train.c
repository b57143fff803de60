/* nmt-train — train a translation model on a parallel corpus. */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "common/tool.h"
#include "nn/blas.h"
#include "sys/dist.h"
#include "sys/fields.h"
#include "sys/lock.h"
#include "sys/paths.h"
#include "sys/util.h"
#include "train/session.h"

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

#define A(member) offsetof(TrainRequest, member)
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
    {NULL, "--init", FIELD_INPUT, A(init), .metavar = "MODEL", .section = "training",
     .help = "start from MODEL's weights (fine-tuning, e.g. on another domain):\n"
             "its architecture and vocabulary, with a fresh optimizer; the\n"
             "model flags may only add an alignment layer (--alignment-layer,\n"
             "--alignment-context, --alignment-dim: its tensors start fresh) or\n"
             "change dropout rates. A run that finds its checkpoint with\n"
             "--resume continues from it instead"},
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

/* Before any work: every output can be written and none is an input or
 * another output (the files named after MODEL included), and no other run
 * is writing the same MODEL (the lock is held until the process ends). */
static void claim_outputs(const CliCommand *cmd, const TrainRequest *a) {
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
                               {MODEL_CONFIG_FIELDS, MODEL_CONFIG_NFIELDS, offsetof(TrainRequest, cfg)},
                               {TRAIN_OPTION_FIELDS, TRAIN_OPTION_NFIELDS, offsetof(TrainRequest, train)}};
    const CliCommand cmd = {USAGE, tables, 3, SECTIONS, EPILOG, NULL, 0, 0};
    TrainRequest r;
    train_request_default(&r);
    CliGiven given;
    tool_parse(&cmd, argc, argv, &r, &given);
    /* --precision takes fp32 or bf16 only; NMT_GEMM_PRECISION=int8 (for the
     * translating tools) would otherwise become the default here */
    if (r.train.precision == GEMM_INT8)
        die("NMT_GEMM_PRECISION=int8: training multiplies in fp32 or bf16 (int8 is for translating); "
            "give --precision fp32 or bf16, or unset it");
    const GivenSettings settings = {given.spec, given.n};
    train_request_check(&r, settings);
    claim_outputs(&cmd, &r);
    TrainSession session;
    train_session_open(&session, &r, settings);
    int rc = train_session_run(&session);
    train_session_close(&session);
    dist_finalize();
    return rc;
}
