/* request.c — see request.h. */
#include "serve/request.h"

#include <cjson/cJSON.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/ensemble.h"
#include "search/search.h"
#include "sys/util.h"
#include "vocab/normalize.h"

static int refuse(RequestError *e, int status, const char *fmt, ...) NMT_PRINTF(3, 4);
static int refuse(RequestError *e, int status, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(e->msg, sizeof e->msg, fmt, ap);
    va_end(ap);
    e->status = status;
    return -1;
}

/* A "\u0000" escape would end the C string the line becomes, silently
 * dropping the rest of the line (cJSON keeps no length), so it is refused
 * like a NUL byte in any input. An escape starts at a backslash that ends
 * a run of odd length (JSON has backslashes only inside strings, where
 * "\\" is one escaped backslash). Returns the escape's offset, or -1. */
static long nul_escape_at(const char *s, size_t len) {
    for (size_t i = 0; i + 6 <= len; i++) {
        if (s[i] != '\\') continue;
        size_t run = 1;
        while (i + run < len && s[i + run] == '\\') run++;
        size_t last = i + run - 1; /* the backslash that may start an escape */
        if (run % 2 == 1 && last + 6 <= len && s[last + 1] == 'u' && !strncmp(s + last + 2, "0000", 4))
            return (long)last;
        i += run - 1;
    }
    return -1;
}

/* Keys of a request: which kinds take them. */
enum { K_TRANSLATE = 1, K_SCORE = 2 };
static const struct {
    const char *key;
    int kinds;
} KEYS[] = {
    {"text", K_TRANSLATE},
    {"src", K_SCORE},
    {"tgt", K_SCORE},
    {"model", K_TRANSLATE | K_SCORE},
    {"beam", K_TRANSLATE},
    {"nbest", K_TRANSLATE},
    {"length_penalty", K_TRANSLATE},
    {"max_length_ratio", K_TRANSLATE},
    {"batch", K_TRANSLATE | K_SCORE},
    {"alignment", K_TRANSLATE | K_SCORE},
    {"attention", K_TRANSLATE | K_SCORE},
    {"attention_source", K_TRANSLATE | K_SCORE},
};
enum { NKEYS = (int)(sizeof KEYS / sizeof KEYS[0]) };

static int check_keys(const cJSON *root, RequestKind kind, RequestError *e) {
    const int want = kind == REQ_TRANSLATE ? K_TRANSLATE : K_SCORE;
    for (const cJSON *it = root->child; it; it = it->next) {
        int known = 0;
        for (int k = 0; k < NKEYS && !known; k++) known = !strcmp(KEYS[k].key, it->string) && (KEYS[k].kinds & want);
        if (!known) {
            Buf list = {0};
            for (int k = 0; k < NKEYS; k++)
                if (KEYS[k].kinds & want) buf_printf(&list, "%s%s", list.len ? ", " : "", KEYS[k].key);
            refuse(e, 400, "unknown key \"%.100s\" (a %s request takes %s)", it->string,
                   kind == REQ_TRANSLATE ? "/translate" : "/score", list.data);
            buf_free(&list);
            return -1;
        }
        for (const cJSON *p = root->child; p != it; p = p->next)
            if (!strcmp(p->string, it->string)) return refuse(e, 400, "key \"%.100s\" given twice", it->string);
    }
    return 0;
}

/* An option through the library's row for its flag (its range, its
 * wording): obj is the struct the row's offset is into. */
static int set_option(const cJSON *root, const char *key, const FieldSpec *row, void *obj, RequestError *e) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(root, key);
    if (!v) return 0;
    if (!cJSON_IsNumber(v)) return refuse(e, 400, "%s must be a number", key);
    char text[64], why[256];
    snprintf(text, sizeof text, "%.17g", v->valuedouble);
    if (fields_parse_value(row, text, obj, why, sizeof why) != 0) return refuse(e, 400, "%s %s", key, why);
    return 0;
}

/* An enum option (a string) through its row, as set_option. */
static int set_choice(const cJSON *root, const char *key, const FieldSpec *row, void *obj, RequestError *e) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(root, key);
    if (!v) return 0;
    if (!cJSON_IsString(v)) return refuse(e, 400, "%s must be a string", key);
    char why[256];
    if (fields_parse_value(row, v->valuestring, obj, why, sizeof why) != 0) return refuse(e, 400, "%s %s", key, why);
    return 0;
}

static int set_switch(const cJSON *root, const char *key, int *out, RequestError *e) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(root, key);
    if (!v) return 0;
    if (!cJSON_IsBool(v)) return refuse(e, 400, "%s must be true or false", key);
    *out = cJSON_IsTrue(v) ? 1 : 0;
    return 0;
}

/* The lines under key: an array of strings (or one string, one line),
 * copied into *out; each within the limits and valid as a line. */
static int get_lines(const cJSON *root, const char *key, const ServeOptions *o, char ***out, int *n,
                     RequestError *e) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(root, key);
    if (!v) return refuse(e, 400, "the request has no \"%s\" (an array of lines)", key);
    if (!cJSON_IsArray(v) && !cJSON_IsString(v))
        return refuse(e, 400, "\"%s\" must be an array of strings, one per line", key);
    const int count = cJSON_IsArray(v) ? cJSON_GetArraySize(v) : 1;
    if (count > o->max_lines)
        return refuse(e, 413, "\"%s\" has %d lines: this server takes at most %d per request (--max-lines)", key, count,
                      o->max_lines);
    const cJSON *it = cJSON_IsArray(v) ? v->child : v;
    for (int i = 1; it; it = cJSON_IsArray(v) ? it->next : NULL, i++) {
        if (!cJSON_IsString(it)) return refuse(e, 400, "%s:%d: not a string (lines are strings)", key, i);
        const char *s = it->valuestring;
        const size_t len = strlen(s);
        if (len > (size_t)o->max_line_bytes)
            return refuse(e, 413, "%s:%d: %zu bytes: this server takes lines of at most %d bytes (--max-line-bytes)",
                          key, i, len, o->max_line_bytes);
        long bad = utf8_invalid_at(s, len);
        if (bad >= 0) return refuse(e, 422, "%s:%d: invalid UTF-8 at byte %ld", key, i, bad + 1);
        const char *br = strpbrk(s, "\n\r");
        if (br)
            return refuse(e, 422, "%s:%d: a line break at byte %ld (send one array element per line)", key, i,
                          (long)(br - s) + 1);
    }
    *n = count;
    *out = xcalloc((size_t)count + 1, sizeof(char *));
    it = cJSON_IsArray(v) ? v->child : v;
    for (int i = 0; it; it = cJSON_IsArray(v) ? it->next : NULL, i++) (*out)[i] = xstrdup(it->valuestring);
    return 0;
}

/* lines is NULL-terminated (get_lines), whatever count its request ended with. */
static void free_lines(char **lines) {
    for (int i = 0; lines && lines[i]; i++) free(lines[i]);
    free(lines);
}

void request_free(ServeRequest *r) {
    free_lines(r->src);
    free_lines(r->tgt);
    memset(r, 0, sizeof *r);
}

static int parse_object(const cJSON *root, RequestKind kind, const ServeOptions *o, const ServeModel *models,
                        int n_models, ServeRequest *r, RequestError *e) {
    if (check_keys(root, kind, e) != 0) return -1;
    const cJSON *mv = cJSON_GetObjectItemCaseSensitive(root, "model");
    if (mv) {
        if (!cJSON_IsString(mv)) return refuse(e, 400, "model must be a string, the name of a loaded model");
        r->model = -1;
        for (int k = 0; k < n_models && r->model < 0; k++)
            if (!strcmp(models[k].name, mv->valuestring)) r->model = k;
        if (r->model < 0) {
            Buf names = {0};
            for (int k = 0; k < n_models; k++) buf_printf(&names, "%s\"%s\"", k ? ", " : "", models[k].name);
            refuse(e, 400, "no model named \"%.200s\" (this server has %s)", mv->valuestring, names.data);
            buf_free(&names);
            return -1;
        }
    }
    if (set_switch(root, "alignment", &r->alignment, e) || set_switch(root, "attention", &r->attention, e)) return -1;
    /* where attention and links come from: one setting for both kinds of request */
    if (set_choice(root, "attention_source", translate_option_field("--attention-source"), &r->to, e)) return -1;
    r->so.attention_source = r->to.attention_source;
    const ServeModel *sm = &models[r->model];
    char why[512];
    if (att_source_check(r->to.attention_source, ensemble_attention_model(sm->model)->cfg.alignment_layer, sm->name,
                         why, sizeof why) != 0)
        return refuse(e, 400, "%s", why);
    if (kind == REQ_TRANSLATE) {
        SearchOptions *so = &r->to.search;
        if (set_option(root, "beam", translate_option_field("--beam"), so, e) ||
            set_option(root, "nbest", translate_option_field("--nbest"), so, e) ||
            set_option(root, "length_penalty", translate_option_field("--length-penalty"), so, e) ||
            set_option(root, "max_length_ratio", translate_option_field("--max-length-ratio"), so, e) ||
            set_option(root, "batch", translate_option_field("--batch"), &r->to, e))
            return -1;
        if (so->beam > o->max_beam)
            return refuse(e, 400, "beam %d is above this server's limit of %d (--max-beam)", so->beam, o->max_beam);
        if (so->nbest > so->beam)
            return refuse(e, 400, "nbest %d is larger than the beam (%d): ask for a beam of %d or more", so->nbest,
                          so->beam, so->nbest);
        return get_lines(root, "text", o, &r->src, &r->n, e);
    }
    if (set_option(root, "batch", score_option_field("--batch"), &r->so, e)) return -1;
    int ns = 0, nt = 0;
    if (get_lines(root, "src", o, &r->src, &ns, e) != 0) return -1;
    r->n = ns;
    if (get_lines(root, "tgt", o, &r->tgt, &nt, e) != 0) return -1;
    if (nt != ns) return refuse(e, 400, "\"src\" has %d lines but \"tgt\" has %d", ns, nt);
    return 0;
}

int request_parse(const char *body, size_t len, RequestKind kind, const ServeOptions *o, const ServeModel *models,
                  int n_models, ServeRequest *r, RequestError *e) {
    memset(r, 0, sizeof *r);
    r->kind = kind;
    translate_options_default(&r->to);
    r->to.threads = 1; /* one request, one worker thread: requests run side by side */
    r->to.quiet = 1;
    score_options_default(&r->so);
    r->so.threads = 1;
    r->so.quiet = 1;
    const char *nul = memchr(body, '\0', len);
    if (nul) return refuse(e, 400, "bad JSON: a NUL byte at byte %ld", (long)(nul - body) + 1);
    long esc = nul_escape_at(body, len);
    if (esc >= 0)
        return refuse(e, 400, "a \\u0000 (NUL) character at byte %ld: lines cannot hold NUL characters", esc + 1);
    const char *end = NULL;
    cJSON *root = cJSON_ParseWithLengthOpts(body, len, &end, 0);
    if (!root) {
        long at = end && end >= body && end <= body + len ? (long)(end - body) : 0;
        return refuse(e, 400, "bad JSON at byte %ld of %zu%s", at + 1, len, len ? "" : " (an empty body)");
    }
    /* only white space may follow the value */
    while (end && end < body + len && (*end == ' ' || *end == '\t' || *end == '\n' || *end == '\r')) end++;
    int rc;
    if (end && end < body + len) rc = refuse(e, 400, "bad JSON: more after the value at byte %ld", (long)(end - body) + 1);
    else if (!cJSON_IsObject(root)) rc = refuse(e, 400, "the request must be a JSON object");
    else rc = parse_object(root, kind, o, models, n_models, r, e);
    cJSON_Delete(root);
    if (rc != 0) request_free(r);
    return rc;
}

int request_joinable(const ServeRequest *a, const ServeRequest *b) {
    const SearchOptions *x = &a->to.search, *y = &b->to.search;
    return a->kind == REQ_TRANSLATE && b->kind == REQ_TRANSLATE && a->model == b->model && x->beam == y->beam &&
           x->nbest == y->nbest && x->length_penalty == y->length_penalty && x->max_len_ratio == y->max_len_ratio &&
           a->to.batch == b->to.batch && a->to.max_src_len == b->to.max_src_len && a->alignment == b->alignment &&
           a->attention == b->attention && a->to.attention_source == b->to.attention_source;
}
