/* fields.c — see fields.h. */
#include "sys/fields.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void *member(const FieldSpec *f, void *obj) { return (char *)obj + f->offset; }
static const void *cmember(const FieldSpec *f, const void *obj) { return (const char *)obj + f->offset; }

/* The value as a double (exact for every int, long and 53-bit value; used
 * for range checks and defaults only, never to write). */
static double value_of(const FieldSpec *f, const void *obj) {
    const void *p = cmember(f, obj);
    switch (f->type) {
    case FIELD_INT:
    case FIELD_ENUM: return *(const int *)p;
    case FIELD_LONG: return (double)*(const long *)p;
    case FIELD_U64: return (double)*(const uint64_t *)p;
    case FIELD_FLOAT: return *(const float *)p;
    case FIELD_DOUBLE: return *(const double *)p;
    case FIELD_INPUT:
    case FIELD_OUTPUT:
    case FIELD_TEXT: return 0;
    }
    return 0;
}

static void set_number(const FieldSpec *f, void *obj, double v) {
    void *p = member(f, obj);
    switch (f->type) {
    case FIELD_INT:
    case FIELD_ENUM: *(int *)p = (int)v; break;
    case FIELD_LONG: *(long *)p = (long)v; break;
    case FIELD_U64: *(uint64_t *)p = (uint64_t)v; break;
    case FIELD_FLOAT: *(float *)p = (float)v; break;
    case FIELD_DOUBLE: *(double *)p = v; break;
    case FIELD_INPUT:
    case FIELD_OUTPUT:
    case FIELD_TEXT: break; /* paths and texts have no numeric value */
    }
}

int fields_name_len(const char *name) { return (int)strcspn(name, "|"); }

/* text is the name or one of its alternatives ("intersect|intersection"). */
static int name_matches(const char *name, const char *text) {
    size_t len = strlen(text);
    for (const char *p = name;; p++) {
        size_t k = strcspn(p, "|");
        if (k == len && !strncmp(p, text, len)) return 1;
        p += k;
        if (!*p) return 0;
    }
}

static int is_path(const FieldSpec *f) { return f->type == FIELD_INPUT || f->type == FIELD_OUTPUT; }
/* Held as a const char *: paths and texts. */
static int is_string(const FieldSpec *f) { return is_path(f) || f->type == FIELD_TEXT; }

void fields_set_defaults(const FieldSpec *f, int n, void *obj) {
    for (int i = 0; i < n; i++)
        if (is_string(&f[i])) *(const char **)member(&f[i], obj) = NULL;
        else set_number(&f[i], obj, f[i].def);
}

void fields_format(const FieldSpec *f, const void *obj, char *out, size_t outsz) {
    const void *p = cmember(f, obj);
    switch (f->type) {
    case FIELD_INT: snprintf(out, outsz, f->format ? f->format : "%d", *(const int *)p); break;
    case FIELD_ENUM: {
        int v = *(const int *)p;
        if (f->format) snprintf(out, outsz, f->format, v);
        else if (v >= 0 && v <= (int)f->max) snprintf(out, outsz, "%.*s", fields_name_len(f->names[v]), f->names[v]);
        else snprintf(out, outsz, "?");
        break;
    }
    case FIELD_LONG: snprintf(out, outsz, f->format ? f->format : "%ld", *(const long *)p); break;
    case FIELD_U64: snprintf(out, outsz, "%llu", (unsigned long long)*(const uint64_t *)p); break;
    case FIELD_FLOAT: snprintf(out, outsz, f->format ? f->format : "%.9g", (double)*(const float *)p); break;
    case FIELD_DOUBLE: snprintf(out, outsz, f->format ? f->format : "%.17g", *(const double *)p); break;
    case FIELD_INPUT:
    case FIELD_OUTPUT:
    case FIELD_TEXT: snprintf(out, outsz, "%s", *(const char *const *)p ? *(const char *const *)p : ""); break;
    }
}

void fields_describe(const FieldSpec *f, const void *obj, char *out, size_t outsz) {
    if (f->type == FIELD_ENUM || f->type == FIELD_FLOAT || f->type == FIELD_DOUBLE) {
        FieldSpec plain = *f;
        plain.format = f->type == FIELD_ENUM ? NULL : "%g";
        fields_format(&plain, obj, out, outsz);
        return;
    }
    fields_format(f, obj, out, outsz);
}

/* A float field holds its default rounded to float (0.1 is 0.100000001):
 * compare in that precision, or FIELD_OMIT_DEFAULT would never omit it. */
static int holds_default(const FieldSpec *f, const void *obj) {
    return value_of(f, obj) == (f->type == FIELD_FLOAT ? (double)(float)f->def : f->def);
}

void fields_write(const FieldSpec *f, int n, const void *obj, Buf *out) {
    char text[128];
    for (int i = 0; i < n; i++) {
        if ((f[i].flags & FIELD_NOT_SAVED) || is_string(&f[i])) continue;
        if ((f[i].flags & FIELD_OMIT_DEFAULT) && holds_default(&f[i], obj)) continue;
        fields_format(&f[i], obj, text, sizeof text);
        buf_printf(out, "%s=%s\n", f[i].key, text);
    }
}

/* Parse text into a scratch value of the field's type, then check its
 * range. 0, or -1 with a reason in why. */
int fields_parse_value(const FieldSpec *f, const char *text, void *obj, char *why, size_t whysz) {
    char *end;
    if (f->type == FIELD_TEXT) {
        if (!*text) {
            snprintf(why, whysz, "needs a value, got an empty one");
            return -1;
        }
        *(const char **)member(f, obj) = text; /* argv outlives the command */
        return 0;
    }
    if (is_path(f)) {
        if (!*text) {
            snprintf(why, whysz, "needs a file name, got an empty one");
            return -1;
        }
        if (!strcmp(text, "-") && !(f->flags & FIELD_STDIO)) {
            snprintf(why, whysz, "needs a file name ('-' for standard %s is not accepted here)",
                     f->type == FIELD_INPUT ? "input" : "output");
            return -1;
        }
        *(const char **)member(f, obj) = text; /* argv outlives the command */
        return 0;
    }
    errno = 0;
    double v;
    if (f->type == FIELD_ENUM) {
        for (int k = (int)f->min; k <= (int)f->max && f->names[k]; k++)
            if (name_matches(f->names[k], text)) {
                set_number(f, obj, k);
                return 0;
            }
        long k = strtol(text, &end, 10); /* files may hold the index */
        if (errno || end == text || *end || k < f->min || k > f->max) {
            Buf names = {0};
            for (int j = (int)f->min; j <= (int)f->max && f->names[j]; j++)
                buf_printf(&names, "%s%.*s", j > (int)f->min ? ", " : "", fields_name_len(f->names[j]), f->names[j]);
            snprintf(why, whysz, "must be one of %s, got '%s'", names.data, text);
            buf_free(&names);
            return -1;
        }
        set_number(f, obj, (double)k);
        return 0;
    }
    if (f->type == FIELD_INT || f->type == FIELD_LONG || f->type == FIELD_U64) {
        long long k = strtoll(text, &end, 10);
        if (errno || end == text || *end) {
            snprintf(why, whysz, "expects a whole number, got '%s'", text);
            return -1;
        }
        if ((double)k < f->min || (double)k > f->max) {
            snprintf(why, whysz, "must be between %.0f and %.0f, got %lld", f->min, f->max, k);
            return -1;
        }
        if (f->type == FIELD_U64) *(uint64_t *)member(f, obj) = (uint64_t)k;
        else if (f->type == FIELD_LONG) *(long *)member(f, obj) = (long)k;
        else *(int *)member(f, obj) = (int)k;
        return 0;
    }
    /* floats straight from the text (strtof), as they were written with %.9g */
    v = f->type == FIELD_FLOAT ? (double)strtof(text, &end) : strtod(text, &end);
    if (errno == ERANGE && fabs(v) > 1.0) errno = 0; /* inf and huge values: the range check decides */
    if (errno || end == text || *end) {
        snprintf(why, whysz, "expects a number, got '%s'", text);
        return -1;
    }
    if (!(v >= f->min && v <= f->max)) {
        snprintf(why, whysz, "must be between %g and %g, got %s", f->min, f->max, text);
        return -1;
    }
    set_number(f, obj, v);
    return 0;
}

typedef struct {
    const FieldSpec *f;
    int n;
    void *obj;
    unsigned char *seen;
    int failed;
    char why[256];
    const char *key;
} ReadCtx;

static void read_visit(void *vctx, const char *key, const char *value) {
    ReadCtx *c = vctx;
    if (c->failed) return;
    for (int i = 0; i < c->n; i++) {
        if ((c->f[i].flags & FIELD_NOT_SAVED) || !c->f[i].key || strcmp(c->f[i].key, key)) continue;
        c->seen[i] = 1;
        if (fields_parse_value(&c->f[i], value, c->obj, c->why, sizeof c->why) != 0) c->failed = 1, c->key = c->f[i].key;
        return;
    }
}

int fields_read(const FieldSpec *f, int n, const char *text, size_t len, void *obj, const char *where, char *err,
                size_t errsz) {
    ReadCtx c = {f, n, obj, xcalloc((size_t)n + 1, 1), 0, "", NULL};
    parse_key_values(text, len, read_visit, &c);
    int rc = 0;
    if (c.failed) {
        snprintf(err, errsz, "%s: field %s %s", where, c.key, c.why);
        rc = -1;
    }
    for (int i = 0; i < n && rc == 0; i++)
        if ((f[i].flags & FIELD_REQUIRED) && !c.seen[i]) {
            snprintf(err, errsz, "%s: field %s is missing", where, f[i].key);
            rc = -1;
        }
    free(c.seen);
    return rc;
}

const FieldSpec *fields_find_flag(const FieldSpec *f, int n, const char *flag) {
    for (int i = 0; i < n; i++)
        if ((f[i].flag && !strcmp(f[i].flag, flag)) || (f[i].alias && !strcmp(f[i].alias, flag))) return &f[i];
    return NULL;
}

int fields_parse_flag(const FieldSpec *f, int n, const char *flag, const char *value, void *obj, int *takes_value,
                      char *err, size_t errsz) {
    const FieldSpec *s = fields_find_flag(f, n, flag);
    if (!s) return 0;
    *takes_value = !(s->flags & FIELD_SWITCH);
    if (s->flags & FIELD_SWITCH) {
        set_number(s, obj, 1);
        return 1;
    }
    if (!value) {
        snprintf(err, errsz, "%s needs a value (see --help)", flag);
        return -1;
    }
    char why[256];
    if (fields_parse_value(s, value, obj, why, sizeof why) != 0) {
        snprintf(err, errsz, "%s %s", flag, why);
        return -1;
    }
    return 1;
}

int fields_check(const FieldSpec *f, int n, const void *obj, const char *where, char *err, size_t errsz) {
    for (int i = 0; i < n; i++) {
        if (is_string(&f[i])) continue;
        double v = value_of(&f[i], obj);
        if (!(v >= f[i].min && v <= f[i].max)) {
            char text[128];
            fields_format(&f[i], obj, text, sizeof text);
            snprintf(err, errsz, "%s: %s must be between %g and %g, got %s", where,
                     f[i].key ? f[i].key : f[i].flag, f[i].min, f[i].max, text);
            return -1;
        }
    }
    return 0;
}

static size_t member_size(const FieldSpec *f) {
    return is_string(f)              ? sizeof(const char *)
           : f->type == FIELD_LONG   ? sizeof(long)
           : f->type == FIELD_U64    ? sizeof(uint64_t)
           : f->type == FIELD_DOUBLE ? sizeof(double)
           : f->type == FIELD_FLOAT  ? sizeof(float)
                                     : sizeof(int);
}

int fields_equal(const FieldSpec *f, const void *a, const void *b) {
    return memcmp(cmember(f, a), cmember(f, b), member_size(f)) == 0;
}

void fields_copy(const FieldSpec *f, void *dst, const void *src) {
    memcpy(member(f, dst), cmember(f, src), member_size(f));
}
