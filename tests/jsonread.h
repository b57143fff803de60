/* jsonread.h — a tiny JSON reader for the tests, enough to read the
 * attention dumps back: values are parsed into a tree. */
#ifndef NMT_JSONREAD_H
#define NMT_JSONREAD_H

#include <stdlib.h>
#include <string.h>

typedef struct JVal {
    int type; /* 'o' object, 'a' array, 's' string, 'n' number, 'b' bool/null */
    char *str;
    double num;
    struct JVal *items; /* array elements / object values */
    char **keys;
    int n;
} JVal;

static inline void jfree(JVal *v) {
    for (int i = 0; i < v->n; i++) {
        jfree(&v->items[i]);
        if (v->keys) free(v->keys[i]);
    }
    free(v->items), free(v->keys), free(v->str);
}

static inline void jws(const char **p) {
    while (**p == ' ' || **p == '\n' || **p == '\t' || **p == '\r') (*p)++;
}

static inline int jparse(const char **p, JVal *v);

static inline int jstring(const char **p, char **out) {
    if (**p != '"') return -1;
    (*p)++;
    Buf b = {0};
    buf_reserve(&b, 0);
    while (**p && **p != '"') {
        unsigned char c = (unsigned char)**p;
        if (c < 0x20) return buf_free(&b), -1; /* raw control characters are not JSON */
        if (c == '\\') {
            (*p)++;
            char e = **p;
            const char *map = "\"\\/bfnrt", *to = "\"\\/\b\f\n\r\t";
            const char *k = strchr(map, e);
            if (e == 'u') {
                unsigned u = (unsigned)strtoul((char[]){(*p)[1], (*p)[2], (*p)[3], (*p)[4], 0}, NULL, 16);
                char enc[4];
                int n = 0;
                if (u < 0x80) enc[n++] = (char)u;
                else if (u < 0x800) enc[n++] = (char)(0xC0 | (u >> 6)), enc[n++] = (char)(0x80 | (u & 63));
                else enc[n++] = (char)(0xE0 | (u >> 12)), enc[n++] = (char)(0x80 | ((u >> 6) & 63)),
                     enc[n++] = (char)(0x80 | (u & 63));
                buf_append(&b, enc, (size_t)n);
                *p += 5;
                continue;
            }
            if (!e || !k) return buf_free(&b), -1;
            buf_append(&b, to + (k - map), 1);
            (*p)++;
            continue;
        }
        buf_append(&b, *p, 1);
        (*p)++;
    }
    if (**p != '"') return buf_free(&b), -1;
    (*p)++;
    *out = b.data;
    return 0;
}

static inline int jparse(const char **p, JVal *v) {
    memset(v, 0, sizeof *v);
    jws(p);
    if (**p == '{' || **p == '[') {
        const int obj = **p == '{';
        const char close = obj ? '}' : ']';
        v->type = obj ? 'o' : 'a';
        (*p)++;
        jws(p);
        if (**p == close) return (*p)++, 0;
        for (;;) {
            v->items = xrealloc(v->items, sizeof(JVal) * (size_t)(v->n + 1));
            if (obj) {
                v->keys = xrealloc(v->keys, sizeof(char *) * (size_t)(v->n + 1));
                jws(p);
                if (jstring(p, &v->keys[v->n]) != 0) return -1;
                jws(p);
                if (**p != ':') return free(v->keys[v->n]), -1;
                (*p)++;
            }
            if (jparse(p, &v->items[v->n]) != 0) {
                if (obj) free(v->keys[v->n]);
                return -1;
            }
            v->n++;
            jws(p);
            if (**p == ',') { (*p)++; continue; }
            if (**p == close) { (*p)++; return 0; }
            return -1;
        }
    }
    if (**p == '"') return v->type = 's', jstring(p, &v->str);
    if (!strncmp(*p, "true", 4) || !strncmp(*p, "null", 4)) return v->type = 'b', *p += 4, 0;
    if (!strncmp(*p, "false", 5)) return v->type = 'b', *p += 5, 0;
    char *end;
    v->num = strtod(*p, &end);
    if (end == *p) return -1;
    v->type = 'n';
    *p = end;
    return 0;
}

static inline const JVal *jget(const JVal *o, const char *key) {
    for (int i = 0; o->type == 'o' && i < o->n; i++)
        if (!strcmp(o->keys[i], key)) return &o->items[i];
    return NULL;
}

#endif
