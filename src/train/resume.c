/* resume.c — see resume.h. */
#include "train/resume.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sys/dist.h"
#include "sys/util.h"

typedef struct {
    const TrainInput *inputs;
    int n_inputs;
    const char *vocab_path;
    Buf files;      /* the inputs that differ */
    int text_files; /* how many of them are text that the pairs are encoded from */
    Buf data;       /* the encoded pairs that differ, told only when no text file does */
} ResumeReport;

/* The path this run gives for the input with this flag. */
static const char *path_of(const ResumeReport *r, const char *flag) {
    if (!strcmp(flag, "--vocab")) return r->vocab_path;
    for (int i = 0; i < r->n_inputs; i++)
        if (!strcmp(r->inputs[i].flag, flag)) return r->inputs[i].path;
    return "";
}

/* The lines of the encoded data ("training data", "validation data"). */
static int is_encoded_data(const char *key) { return strncmp(key, "--", 2) != 0; }

static void report_input(void *ctx, const char *key, const char *now, const char *now_note, const char *then,
                         const char *then_note) {
    ResumeReport *r = ctx;
    (void)now_note, (void)then_note; /* the fingerprints keep no paths */
    if (is_encoded_data(key)) {
        buf_printf(&r->data,
                   "\n  the %s differs: %s (the checkpoint's run: %s); the files are the same, so --max-len "
                   "must be another",
                   key, now ? now : "none", then ? then : "none");
        return;
    }
    const int vocab = !strcmp(key, "--vocab"); /* the pairs are encoded with the checkpoint's, whatever it is */
    const char *theirs = vocab ? "the checkpoint's vocabulary" : "the checkpoint's run";
    r->text_files += !vocab;
    if (!now) buf_printf(&r->files, "\n  %s is not given (%s read %s)", key, theirs, then);
    else if (!then) buf_printf(&r->files, "\n  %s %s is given (%s had none)", key, path_of(r, key), theirs);
    else buf_printf(&r->files, "\n  %s %s differs: %s (%s: %s)", key, path_of(r, key), now, theirs, then);
}

void resume_check_inputs(const char *ckpt, const char *saved, const char *now, const TrainInput *files, int n_files,
                         const Model *m, const char *vocab_path) {
    Buf then = {0}, cur = {0};
    if (saved) {
        buf_puts(&then, saved);
        buf_puts(&cur, now);
    } else if (dist_rank() == 0) {
        fprintf(stderr,
                "%s: %s was written before checkpoints recorded their data: the training and validation files are "
                "not compared with that run's\n",
                program_name(), ckpt);
    }
    /* the truth is the vocabulary the checkpoint holds, not any file */
    fingerprint_bytes(&then, "--vocab", NULL, m->vocab_bytes, m->vocab_len);
    if (vocab_path) {
        char err[1024];
        Vocab *v = vocab_load(vocab_path, err, sizeof err);
        if (!v) die("%s", err);
        size_t len;
        char *bytes = vocab_to_bytes(v, &len);
        fingerprint_bytes(&cur, "--vocab", NULL, bytes, len);
        free(bytes);
        vocab_free(v);
    } else {
        fingerprint_bytes(&cur, "--vocab", NULL, m->vocab_bytes, m->vocab_len);
    }
    ResumeReport r = {.inputs = files, .n_inputs = n_files, .vocab_path = vocab_path};
    fingerprint_diff(then.data, then.len, cur.data, cur.len, report_input, &r);
    if (!r.text_files && r.data.len) buf_append(&r.files, r.data.data, r.data.len);
    if (r.files.len)
        die("%s: --resume with other data than the run that wrote it:%s\n"
            "resume with the same files or train a new model with another -o",
            ckpt, r.files.data);
    buf_free(&then), buf_free(&cur), buf_free(&r.files), buf_free(&r.data);
}
