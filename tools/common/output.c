/* output.c — see output.h. */
#include "output.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

void tool_output_open(ToolOutput *t, const char *out_path, const char *att_path, AttDumpFormat fmt,
                      const char *title) {
    char err[1024];
    memset(t, 0, sizeof *t);
    t->out = stdout;
    t->name = out_path && strcmp(out_path, "-") != 0 ? out_path : "<stdout>";
    if (out_path && strcmp(out_path, "-") != 0) {
        if (atomic_open(&t->af, out_path, err, sizeof err) != 0) die("%s", err);
        t->out = t->af.f;
    }
    if (att_path) {
        t->dump = attdump_open(att_path, fmt, title, err, sizeof err);
        if (!t->dump) {
            if (t->out != stdout) atomic_abort(&t->af);
            die("%s", err);
        }
    }
}

void tool_output_finish(ToolOutput *t, int rc, const char *err) {
    int write_errno = errno; /* of the failed write, if that is what failed */
    char why[1024], named[2200];
    if (rc == 0 && t->dump && attdump_close(t->dump, why, sizeof why) != 0) {
        t->dump = NULL;
        rc = -1, err = why;
    }
    if (rc != 0 && t->out && ferror(t->out)) { /* the message says what failed, not where */
        snprintf(named, sizeof named, "%.1000s: %.1000s (%s)", t->name, err, strerror(write_errno ? write_errno : EIO));
        err = named;
    }
    if (rc != 0) {
        if (t->out != stdout) atomic_abort(&t->af);
        if (t->dump) attdump_abort(t->dump);
        die("%s", err);
    }
    if (t->out != stdout && atomic_commit(&t->af, why, sizeof why) != 0) die("%s", why);
    t->out = NULL;
}

AttDumpFormat tool_attention_format(const char *att_path, const char *att_format) {
    AttDumpFormat fmt = ATTDUMP_JSONL;
    if (att_format && attdump_parse_format(att_format, &fmt) != 0)
        die("--attention-format must be jsonl, tsv, npy or html, got '%s'", att_format);
    if (att_format && !att_path) die("--attention-format needs --attention FILE");
    if (att_path && !att_format) fmt = attdump_format_for_path(att_path);
    return fmt;
}

void tool_report_invalid(long count, const char *unit, const char *first) {
    if (count == 0) return;
    fprintf(stderr, "%s: %ld %s%s with invalid UTF-8 written as empty lines (first: %s)\n", program_name(), count, unit,
            count == 1 ? "" : "s", first);
}
