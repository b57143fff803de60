/* vocab.c — token tables, encoding raw text to ids and decoding ids to text.
 * (The file format is in vocab_io.c, building from a corpus in build.c.) */
#include "vocab/vocab.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "sys/util.h"
#include "vocab/normalize.h"
#include "vocab/table.h"
#include "vocab/tokenize.h"

static const char *const SPECIALS[VOCAB_NUM_SPECIALS] = {"<pad>", "<unk>", "<s>", "</s>"};

Vocab *vocab_new(NormForm norm, int lowercase, int joint, int bpe_merges, long min_count, long max_size) {
    Vocab *v = xcalloc(1, sizeof *v);
    v->norm = norm;
    v->lowercase = lowercase;
    v->joint = joint;
    v->bpe_merges = bpe_merges;
    v->min_count = min_count;
    v->max_size = max_size;
    v->ntables = joint ? 1 : 2;
    v->pool = xcalloc(1, sizeof *v->pool);
    pthread_mutex_init(&v->pool->lock, NULL);
    for (int t = 0; t < v->ntables; t++) {
        v->tables[t].is_bpe = bpe_merges > 0;
        v->tables[t].space_id = -1;
        for (int s = 0; s < VOCAB_NUM_SPECIALS; s++) vtab_add(&v->tables[t], SPECIALS[s], strlen(SPECIALS[s]), 0);
    }
    return v;
}

int vtab_add(VocabTable *t, const char *tok, size_t len, int64_t count) {
    int id = strtab_intern(&t->tok, tok, len, NULL);
    if (id >= t->cap) {
        t->cap = t->cap ? 2 * t->cap : 256;
        t->count = xrealloc(t->count, (size_t)t->cap * sizeof *t->count);
        t->flags = xrealloc(t->flags, (size_t)t->cap);
    }
    t->count[id] = count;
    t->flags[id] = 0;
    return id;
}

int vtab_add_merge(VocabTable *t, int left, int right) {
    Buf joined = {0};
    buf_puts(&joined, strtab_str(&t->tok, left));
    buf_puts(&joined, strtab_str(&t->tok, right));
    int result = strtab_find(&t->tok, joined.data, joined.len);
    buf_free(&joined);
    if (result < 0) return -1;
    int rank = t->nmerges++;
    t->mleft = xrealloc(t->mleft, (size_t)t->nmerges * sizeof *t->mleft);
    t->mright = xrealloc(t->mright, (size_t)t->nmerges * sizeof *t->mright);
    t->ranks.result = xrealloc(t->ranks.result, (size_t)t->nmerges * sizeof *t->ranks.result);
    t->mleft[rank] = left;
    t->mright[rank] = right;
    t->ranks.result[rank] = result;
    t->ranks.n = t->nmerges;
    u64map_put(&t->ranks.rank, u64_pair(left, right), rank); /* a repeated pair keeps its first rank */
    return 0;
}

static int is_ws_char(const char *s, size_t len) {
    /* whitespace test on the first character of s */
    size_t n = 1;
    while (n < len && n < 4 && ((unsigned char)s[n] & 0xC0) == 0x80) n++;
    return text_is_blank(s, n);
}

int vtab_finish(VocabTable *t) {
    Buf text = {0};
    for (int id = VOCAB_NUM_SPECIALS; id < t->tok.n; id++) {
        text.len = 0;
        tok_unspell(strtab_str(&t->tok, id), strtab_len(&t->tok, id), &text);
        unsigned char f = 0;
        if (text.len && is_ws_char(text.data, text.len)) f |= TOKF_WS_START;
        if (text.len && text_is_blank(text.data, text.len)) f |= TOKF_ALL_WS;
        t->flags[id] = f;
    }
    buf_free(&text);
    t->space_id = strtab_find(&t->tok, TOK_SPACE_MARK, strlen(TOK_SPACE_MARK));
    return t->space_id < 0 ? -1 : 0;
}

static void vtab_free(VocabTable *t) {
    strtab_free(&t->tok);
    free(t->count);
    free(t->flags);
    free(t->mleft);
    free(t->mright);
    u64map_free(&t->ranks.rank);
    free(t->ranks.result);
}

/* ---- caches of BPE segmentations ----
 * Encoding repeats the same words over and over; a cache maps a pre-token
 * (atoms separated) to its ids. A const Vocab is used from many threads, so
 * each call checks a cache out of the vocabulary's pool and returns it: a
 * cache is only ever used by one thread at a time, without holding a lock. */
struct EncodeCache {
    EncodeCache *next; /* in the pool */
    StrTable keys;
    size_t *start;     /* per key: first id in ids */
    int *len;
    int cap;
    int *ids;
    size_t nids, capids;
};

enum { CACHE_MAX_KEYS = 1 << 18, CACHE_MAX_IDS = 1 << 22, CACHE_MAX_WORD = 256 };

static EncodeCache *cache_checkout(const Vocab *v, int slot) {
    CachePool *p = v->pool;
    pthread_mutex_lock(&p->lock);
    EncodeCache *c = p->free[slot];
    if (c) p->free[slot] = c->next;
    pthread_mutex_unlock(&p->lock);
    if (!c) c = xcalloc(1, sizeof *c);
    if (c->keys.n >= CACHE_MAX_KEYS || c->nids >= CACHE_MAX_IDS) { /* bound the memory */
        strtab_clear(&c->keys);
        c->nids = 0;
    }
    return c;
}

static void cache_return(const Vocab *v, int slot, EncodeCache *c) {
    CachePool *p = v->pool;
    pthread_mutex_lock(&p->lock);
    c->next = p->free[slot];
    p->free[slot] = c;
    pthread_mutex_unlock(&p->lock);
}

static void pool_free(CachePool *p) {
    for (int s = 0; s < 2; s++)
        while (p->free[s]) {
            EncodeCache *c = p->free[s];
            p->free[s] = c->next;
            strtab_free(&c->keys);
            free(c->start);
            free(c->len);
            free(c->ids);
            free(c);
        }
    pthread_mutex_destroy(&p->lock);
    free(p);
}

typedef struct {
    const VocabTable *t;
    EncodeCache *cache;
    int *ids;
    int n, cap;
    int *atoms; /* scratch for one word */
    int natoms_cap;
    float dropout; /* > 0: BPE-dropout, each word segmented afresh (no cache) */
    Rng rng;
} EncodeCtx;

static void push_id(EncodeCtx *e, int id) {
    if (e->n == e->cap) {
        e->cap = e->cap ? 2 * e->cap : 64;
        e->ids = xrealloc(e->ids, (size_t)e->cap * sizeof *e->ids);
    }
    e->ids[e->n++] = id;
}

static void emit_word(void *ctx, const char *tok, size_t len) {
    EncodeCtx *e = ctx;
    int id = strtab_find(&e->t->tok, tok, len);
    if (id >= 0) {
        push_id(e, id);
        return;
    }
    /* An unknown word keeps its leading space, so the text stays readable. */
    size_t m = strlen(TOK_SPACE_MARK);
    if (len > m && memcmp(tok, TOK_SPACE_MARK, m) == 0) push_id(e, e->t->space_id);
    push_id(e, VOCAB_UNK);
}

static void emit_bpe(void *ctx, const char *tok, size_t len) {
    EncodeCtx *e = ctx;
    EncodeCache *c = e->cache;
    int key = c && len <= CACHE_MAX_WORD ? strtab_find(&c->keys, tok, len) : -1;
    if (key >= 0) {
        for (int i = 0; i < c->len[key]; i++) push_id(e, c->ids[c->start[key] + (size_t)i]);
        return;
    }
    /* Atoms to ids (never-seen characters become <unk>), then merges. */
    int n = 0;
    const char *s = tok, *end = tok + len;
    for (;;) {
        const char *sep = memchr(s, TOK_ATOM_SEP, (size_t)(end - s));
        const char *stop = sep ? sep : end;
        if (n == e->natoms_cap) {
            e->natoms_cap = e->natoms_cap ? 2 * e->natoms_cap : 64;
            e->atoms = xrealloc(e->atoms, (size_t)e->natoms_cap * sizeof *e->atoms);
        }
        int id = strtab_find(&e->t->tok, s, (size_t)(stop - s));
        e->atoms[n++] = id >= 0 ? id : VOCAB_UNK;
        if (!sep) break;
        s = sep + 1;
    }
    n = e->dropout > 0.0f ? bpe_apply_dropout(&e->t->ranks, e->atoms, n, e->dropout, &e->rng)
                          : bpe_apply(&e->t->ranks, e->atoms, n);
    for (int i = 0; i < n; i++) push_id(e, e->atoms[i]);
    if (!c || len > CACHE_MAX_WORD) return;
    key = strtab_intern(&c->keys, tok, len, NULL);
    if (key >= c->cap) {
        c->cap = c->cap ? 2 * c->cap : 1024;
        c->start = xrealloc(c->start, (size_t)c->cap * sizeof *c->start);
        c->len = xrealloc(c->len, (size_t)c->cap * sizeof *c->len);
    }
    if (c->nids + (size_t)n > c->capids) {
        c->capids = c->capids ? 2 * c->capids : 4096;
        while (c->capids < c->nids + (size_t)n) c->capids *= 2;
        c->ids = xrealloc(c->ids, c->capids * sizeof *c->ids);
    }
    c->start[key] = c->nids;
    c->len[key] = n;
    memcpy(c->ids + c->nids, e->atoms, (size_t)n * sizeof *e->atoms);
    c->nids += (size_t)n;
}

static int encode(const Vocab *v, VocabSide side, const char *text, size_t len, float dropout, uint64_t seed,
                  int **ids, char *err, size_t errsz) {
    long bad = utf8_invalid_at(text, len);
    if (bad >= 0) {
        snprintf(err, errsz, "invalid UTF-8 at byte %ld", bad + 1);
        *ids = NULL;
        return -1;
    }
    Buf norm = {0};
    const char *why = text_normalize(text, len, v->norm, v->lowercase, &norm);
    if (why) {
        snprintf(err, errsz, "cannot normalize: %s", why);
        buf_free(&norm);
        *ids = NULL;
        return -1;
    }
    EncodeCtx e = {.t = vocab_table(v, side), .dropout = dropout};
    if (e.t->is_bpe && dropout > 0.0f) {
        rng_seed(&e.rng, seed, (uint64_t)side);
        tok_split(norm.data, norm.len, 1, emit_bpe, &e);
    } else if (e.t->is_bpe) {
        int slot = v->joint ? 0 : side;
        e.cache = cache_checkout(v, slot);
        tok_split(norm.data, norm.len, 1, emit_bpe, &e);
        cache_return(v, slot, e.cache);
    } else {
        tok_split(norm.data, norm.len, 0, emit_word, &e);
    }
    buf_free(&norm);
    free(e.atoms);
    if (!e.ids) e.ids = xmalloc(sizeof *e.ids);
    *ids = e.ids;
    return e.n;
}

int vocab_encode(const Vocab *v, VocabSide side, const char *text, size_t len, int **ids, char *err, size_t errsz) {
    return encode(v, side, text, len, 0.0f, 0, ids, err, errsz);
}

int vocab_encode_sampled(const Vocab *v, VocabSide side, const char *text, size_t len, float bpe_dropout,
                         uint64_t seed, int **ids, char *err, size_t errsz) {
    return encode(v, side, text, len, bpe_dropout, seed, ids, err, errsz);
}

static void decode_id(const VocabTable *t, int id, Buf *out) {
    if (id < 0 || id >= t->tok.n || id == VOCAB_UNK) buf_puts(out, "<unk>");
    else if (id >= VOCAB_NUM_SPECIALS) tok_unspell(strtab_str(&t->tok, id), strtab_len(&t->tok, id), out);
}

/* Tokenization reads a line as if a space came before it (tokenize.h), so
 * the first word carries the marker like every other; the decoded text
 * starts with that space, which is not the user's. */
static char *drop_line_prefix(Buf *out) {
    if (out->len && out->data[0] == ' ') memmove(out->data, out->data + 1, out->len--);
    return out->data;
}

char *vocab_decode(const Vocab *v, VocabSide side, const int *ids, int n) {
    const VocabTable *t = vocab_table(v, side);
    Buf out = {0};
    buf_reserve(&out, 0);
    out.data[0] = '\0';
    for (int i = 0; i < n && ids[i] != VOCAB_EOS; i++) decode_id(t, ids[i], &out);
    return drop_line_prefix(&out);
}

const char *vocab_unsafe_text(const char *text, size_t len) {
    if (memchr(text, '\n', len)) return "a line break";
    if (memchr(text, '\0', len)) return "a NUL byte";
    if (utf8_invalid_at(text, len) >= 0) return "invalid UTF-8";
    return NULL;
}

char *vocab_decode_tokens(const Vocab *v, VocabSide side, const char *line, size_t len, char *err, size_t errsz) {
    long bad = utf8_invalid_at(line, len);
    if (bad >= 0) {
        snprintf(err, errsz, "invalid UTF-8 at byte %ld", bad + 1);
        return NULL;
    }
    const VocabTable *t = vocab_table(v, side);
    Buf out = {0};
    buf_reserve(&out, len);
    out.data[0] = '\0';
    size_t i = 0;
    while (i < len) {
        size_t j = i;
        while (j < len && line[j] != ' ') j++;
        if (j > i) {
            int id = strtab_find(&t->tok, line + i, j - i);
            if (id == VOCAB_EOS) break;
            if (id >= 0) decode_id(t, id, &out);
            else tok_unspell(line + i, j - i, &out);
        }
        i = j + 1;
    }
    const char *why = vocab_unsafe_text(out.data, out.len);
    if (why) {
        snprintf(err, errsz, "the tokens decode to %s, which no line of text can hold", why);
        buf_free(&out);
        return NULL;
    }
    return drop_line_prefix(&out);
}

int vocab_size(const Vocab *v, VocabSide side) { return vocab_table(v, side)->tok.n; }

const char *vocab_token(const Vocab *v, VocabSide side, int id) {
    const VocabTable *t = vocab_table(v, side);
    return id >= 0 && id < t->tok.n ? strtab_str(&t->tok, id) : SPECIALS[VOCAB_UNK];
}

int vocab_token_id(const Vocab *v, VocabSide side, const char *tok, size_t len) {
    return strtab_find(&vocab_table(v, side)->tok, tok, len);
}

int64_t vocab_token_count(const Vocab *v, VocabSide side, int id) {
    const VocabTable *t = vocab_table(v, side);
    return id >= 0 && id < t->tok.n ? t->count[id] : 0;
}

int vocab_starts_word(const Vocab *v, VocabSide side, int id) {
    const VocabTable *t = vocab_table(v, side);
    if (id < VOCAB_NUM_SPECIALS || id >= t->tok.n) return 0;
    return (t->flags[id] & TOKF_WS_START) != 0;
}

int vocab_word_ids(const Vocab *v, VocabSide side, const int *ids, int n, int *word) {
    const VocabTable *t = vocab_table(v, side);
    int nwords = 0, in_word = 0;
    for (int i = 0; i < n; i++) {
        int id = ids[i];
        int unk = id == VOCAB_UNK || id < 0 || id >= t->tok.n;
        if (!unk && (id < VOCAB_NUM_SPECIALS || (t->flags[id] & TOKF_ALL_WS))) {
            word[i] = -1;
            in_word = 0;
            continue;
        }
        if (!in_word || (!unk && (t->flags[id] & TOKF_WS_START))) nwords++;
        word[i] = nwords - 1;
        in_word = 1;
    }
    return nwords;
}

int vocab_is_joint(const Vocab *v) { return v->joint; }

int vocab_num_merges(const Vocab *v, VocabSide side) { return vocab_table(v, side)->nmerges; }

void vocab_free(Vocab *v) {
    if (!v) return;
    pool_free(v->pool);
    for (int t = 0; t < v->ntables; t++) vtab_free(&v->tables[t]);
    free(v);
}
