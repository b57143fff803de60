/* cli.c — see cli.h: parsing, --help and --list-options. The file check is in cli_files.c. */
#include "sys/cli.h"

#include <stdlib.h>
#include <string.h>

#include "sys/util.h"

#define COLUMN 25 /* where the help text of a flag starts */

static void *at(void *args, size_t offset) { return (char *)args + offset; }

int cli_given(const CliGiven *g, const char *flag) {
    for (int i = 0; i < g->n; i++)
        if (!strcmp(g->spec[i]->flag, flag) || (g->spec[i]->alias && !strcmp(g->spec[i]->alias, flag))) return 1;
    return 0;
}

/* The row for a flag, and the table it is in. */
static const FieldSpec *find(const CliCommand *cmd, const char *flag, const CliTable **table) {
    for (int t = 0; t < cmd->ntables; t++) {
        const FieldSpec *f = fields_find_flag(cmd->tables[t].fields, cmd->tables[t].n, flag);
        if (f) {
            *table = &cmd->tables[t];
            return f;
        }
    }
    return NULL;
}

static void note(CliGiven *g, const FieldSpec *f) {
    if (!g) return;
    for (int i = 0; i < g->n; i++)
        if (g->spec[i] == f) return;
    if (g->n < CLI_MAX_GIVEN) g->spec[g->n++] = f;
}

static int positional(const CliCommand *cmd, void *args, const char *a, char *err, size_t errsz) {
    if (!cmd->positional) {
        snprintf(err, errsz, "unexpected argument '%s' (see --help)", a);
        return CLI_ERROR;
    }
    const char ***list = at(args, cmd->positional_offset);
    int *count = at(args, cmd->positional_count_offset);
    *list = xrealloc(*list, (size_t)(*count + 2) * sizeof **list);
    (*list)[(*count)++] = a;
    (*list)[*count] = NULL;
    return CLI_OK;
}

/* A FIELD_REPEATED flag appends its value (checked as the row checks one)
 * to the list in its member. */
static int append_value(const FieldSpec *f, void *obj, const char *v, char *why, size_t whysz) {
    FieldSpec one = *f;
    one.offset = 0;
    const char *path = NULL;
    if (fields_parse_value(&one, v, &path, why, whysz) != 0) return -1;
    const char ***list = at(obj, f->offset);
    int n = 0;
    while (*list && (*list)[n]) n++;
    *list = xrealloc(*list, (size_t)(n + 2) * sizeof **list);
    (*list)[n] = path;
    (*list)[n + 1] = NULL;
    return 0;
}

int cli_parse(const CliCommand *cmd, int argc, char **argv, void *args, CliGiven *given, char *err, size_t errsz) {
    CliGiven local = {0};
    if (!given) given = &local;
    given->n = 0;
    if (cmd->positional) {
        *(const char ***)at(args, cmd->positional_offset) = NULL;
        *(int *)at(args, cmd->positional_count_offset) = 0;
    }
    int flags_done = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (flags_done || a[0] != '-' || !a[1]) {
            if (positional(cmd, args, a, err, errsz) != CLI_OK) return CLI_ERROR;
            continue;
        }
        if (!strcmp(a, "--")) {
            flags_done = 1;
            continue;
        }
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) return CLI_HELP;
        if (!strcmp(a, "--list-options")) return CLI_LIST;
        /* "--flag=value" */
        char name[128];
        const char *inline_value = NULL, *eq = strchr(a, '=');
        if (eq && a[1] == '-' && (size_t)(eq - a) < sizeof name) {
            memcpy(name, a, (size_t)(eq - a));
            name[eq - a] = '\0';
            inline_value = eq + 1;
        } else {
            snprintf(name, sizeof name, "%s", a);
        }
        const CliTable *table;
        const FieldSpec *f = find(cmd, name, &table);
        if (!f) {
            snprintf(err, errsz, "unknown option %s (see --help)", name);
            return CLI_ERROR;
        }
        void *obj = at(args, table->offset);
        if (f->flags & FIELD_SWITCH) {
            if (inline_value) {
                snprintf(err, errsz, "%s takes no value (see --help)", name);
                return CLI_ERROR;
            }
            int takes;
            fields_parse_flag(f, 1, f->flag, NULL, obj, &takes, err, errsz);
        } else {
            const char *v = inline_value;
            if (!v) {
                if (i + 1 >= argc) {
                    snprintf(err, errsz, "%s needs a value (see --help)", name);
                    return CLI_ERROR;
                }
                v = argv[++i];
            }
            char why[256];
            int bad = f->flags & FIELD_REPEATED ? append_value(f, obj, v, why, sizeof why)
                                                : fields_parse_value(f, v, obj, why, sizeof why);
            if (bad) {
                snprintf(err, errsz, "%s %s", name, why);
                return CLI_ERROR;
            }
        }
        note(given, f);
    }
    for (int t = 0; t < cmd->ntables; t++)
        for (int k = 0; k < cmd->tables[t].n; k++) {
            const FieldSpec *f = &cmd->tables[t].fields[k];
            if ((f->flags & FIELD_MANDATORY) && !cli_given(given, f->flag)) {
                snprintf(err, errsz, "%s%s%s %s is required (see --help)", f->alias ? f->alias : "",
                         f->alias ? "/" : "", f->flag, f->metavar ? f->metavar : "");
                return CLI_ERROR;
            }
        }
    return CLI_OK;
}

void cli_free(const CliCommand *cmd, void *args) {
    for (int t = 0; t < cmd->ntables; t++)
        for (int k = 0; k < cmd->tables[t].n; k++)
            if (cmd->tables[t].fields[k].flags & FIELD_REPEATED) {
                const char ***list = at(args, cmd->tables[t].offset + cmd->tables[t].fields[k].offset);
                free((void *)*list);
                *list = NULL;
            }
    if (!cmd->positional) return;
    const char ***list = at(args, cmd->positional_offset);
    free((void *)*list);
    *list = NULL;
}

/* ---- --help and --list-options ---- */

static int takes_value(const FieldSpec *f) { return !(f->flags & FIELD_SWITCH); }

static const char *kind_name(const FieldSpec *f) {
    if (f->flags & FIELD_SWITCH) return "switch";
    switch (f->type) {
    case FIELD_INT: return "int";
    case FIELD_LONG: return "long";
    case FIELD_U64: return "long";
    case FIELD_FLOAT: return "float";
    case FIELD_DOUBLE: return "double";
    case FIELD_ENUM: return "choice";
    case FIELD_INPUT: return "input";
    case FIELD_OUTPUT: return "output";
    case FIELD_TEXT: return "text";
    }
    return "?";
}

/* The value's name: the row's, or "a|b|c" for a choice, N, X, FILE. */
static void metavar(const FieldSpec *f, char *out, size_t outsz) {
    if (f->metavar) {
        snprintf(out, outsz, "%s", f->metavar);
        return;
    }
    out[0] = '\0';
    switch (f->type) {
    case FIELD_ENUM: {
        size_t len = 0;
        for (int k = (int)f->min; k <= (int)f->max && f->names[k] && len < outsz; k++)
            len += (size_t)snprintf(out + len, outsz - len, "%s%.*s", k > (int)f->min ? "|" : "",
                                    fields_name_len(f->names[k]), f->names[k]);
        break;
    }
    case FIELD_INT:
    case FIELD_LONG:
    case FIELD_U64: snprintf(out, outsz, "N"); break;
    case FIELD_FLOAT:
    case FIELD_DOUBLE: snprintf(out, outsz, "X"); break;
    case FIELD_INPUT:
    case FIELD_OUTPUT: snprintf(out, outsz, "FILE"); break;
    case FIELD_TEXT: snprintf(out, outsz, "TEXT"); break;
    }
}

/* The default as a person reads it, or "" when there is none to show. */
static void default_text(const FieldSpec *f, char *out, size_t outsz) {
    out[0] = '\0';
    if (!takes_value(f)) return;
    switch (f->type) {
    case FIELD_ENUM:
        if (f->def >= f->min && f->def <= f->max)
            snprintf(out, outsz, "%.*s", fields_name_len(f->names[(int)f->def]), f->names[(int)f->def]);
        break;
    case FIELD_INT:
    case FIELD_LONG:
    case FIELD_U64:
        if (f->def >= f->min && f->def <= f->max) snprintf(out, outsz, "%.0f", f->def);
        break;
    case FIELD_FLOAT:
    case FIELD_DOUBLE: snprintf(out, outsz, "%g", f->def); break;
    case FIELD_INPUT:
    case FIELD_OUTPUT:
    case FIELD_TEXT: break;
    }
}

static void help_row(const FieldSpec *f, FILE *out) {
    char mv[256], head[512], def[64];
    metavar(f, mv, sizeof mv);
    snprintf(head, sizeof head, "  %s%s%s%s%s", f->alias ? f->alias : "", f->alias ? ", " : "", f->flag,
             takes_value(f) ? " " : "", takes_value(f) ? mv : "");
    fputs(head, out);
    int col = (int)strlen(head);
    if (col > COLUMN - 2) {
        fputc('\n', out);
        col = 0;
    }
    default_text(f, def, sizeof def);
    const char *text = f->help ? f->help : "";
    int show_default = def[0] && !strstr(text, "default");
    for (int first = 1;; first = 0) {
        const char *nl = strchr(text, '\n');
        size_t len = nl ? (size_t)(nl - text) : strlen(text);
        fprintf(out, "%*s%.*s", first ? COLUMN - col : COLUMN, "", (int)len, text);
        if (!nl) break;
        fputc('\n', out);
        text = nl + 1;
    }
    if (show_default) fprintf(out, " (default %s)", def);
    fputc('\n', out);
}

void cli_help(const CliCommand *cmd, FILE *out) {
    fputs(cmd->usage, out);
    for (int s = 0; cmd->sections[s]; s++) {
        if (cmd->sections[s][0]) fprintf(out, "%s:\n", cmd->sections[s]);
        for (int t = 0; t < cmd->ntables; t++)
            for (int k = 0; k < cmd->tables[t].n; k++) {
                const FieldSpec *f = &cmd->tables[t].fields[k];
                if (f->flag && f->section && !strcmp(f->section, cmd->sections[s])) help_row(f, out);
            }
    }
    fprintf(out, "  -h, --help%*sthis help\n", COLUMN - 12, "");
    if (cmd->epilog) fputs(cmd->epilog, out);
}

void cli_list(const CliCommand *cmd, FILE *out) {
    for (int t = 0; t < cmd->ntables; t++)
        for (int k = 0; k < cmd->tables[t].n; k++) {
            const FieldSpec *f = &cmd->tables[t].fields[k];
            if (!f->flag) continue;
            char mv[256], def[64];
            metavar(f, mv, sizeof mv);
            default_text(f, def, sizeof def);
            int numeric = takes_value(f) && f->type != FIELD_INPUT && f->type != FIELD_OUTPUT && f->type != FIELD_TEXT;
            fprintf(out, "%s\t%s\t%s\t%s\t%s", f->flag, f->alias ? f->alias : "-", kind_name(f),
                    takes_value(f) ? mv : "-", def[0] ? def : "-");
            if (numeric) fprintf(out, "\t%.15g\t%.15g\n", f->min, f->max);
            else fputs("\t-\t-\n", out);
        }
}
