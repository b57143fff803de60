/* generate.c — deterministic synthetic parallel corpus for the nmtc demo.
 *
 * Source: a small English-like language (SVO, adjectives before the noun,
 * prepositions, do-support, phrasal verbs, relative and subordinate clauses).
 * Target: an invented language with German/French/Japanese-like order:
 * V2 main clauses, verb-final subordinate and relative clauses, infinitive at
 * the end after an auxiliary, separable verb prefixes at the end, adjectives
 * after the noun in reverse order, numerals after the noun, postpositions,
 * gender/number/case agreement, V1 questions without do-support.
 *
 * Each sentence is generated as a small syntax tree and both sides are
 * rendered from it, so the target is a deterministic function of the source
 * (the generator checks this: a source line that ever appears with two
 * different targets is a fatal error). Target words are pseudo-words built
 * from syllables by a fixed-seed generator; only libc is used, with an own
 * PRNG, so the output is byte-identical on every run and platform.
 *
 * Build and run:
 *   gcc -std=c11 -O2 -Wall -Wextra corpora/toy/generate.c -o /tmp/gen
 *   /tmp/gen corpora/toy
 * Usage: gen [--seed N] [--train N] [--valid N] [--test N] [--check N] OUTDIR | --lexicon | --forms
 * Writes OUTDIR/{train,valid,test}.{src,tgt} and OUTDIR/test.align
 * (gold word alignments, "srcidx-tgtidx", 0-based, whitespace words). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------------ PRNG */
typedef struct { uint64_t s; } Rng;
static uint64_t rng_next(Rng *r) { /* splitmix64 */
    uint64_t z = (r->s += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}
static int below(Rng *r, int n) { return (int)((rng_next(r) >> 33) % (uint64_t)n); }
static int chance(Rng *r, int percent) { return below(r, 100) < percent; }
/* index from a list of integer weights terminated by -1 */
static int pick_w(Rng *r, const int *w) {
    int tot = 0, i;
    for (i = 0; w[i] >= 0; i++) tot += w[i];
    int x = below(r, tot);
    for (i = 0; w[i] >= 0; i++) {
        if (x < w[i]) return i;
        x -= w[i];
    }
    return 0;
}

static void die(const char *msg, const char *arg) {
    fprintf(stderr, "gen: %s%s%s\n", msg, arg ? " " : "", arg ? arg : "");
    exit(1);
}

/* ------------------------------------------------------------ string set */
typedef struct { char **key; char **val; size_t cap, n; } Map;
static uint64_t fnv(const char *s) {
    uint64_t h = 1469598103934665603ULL;
    while (*s) { h ^= (unsigned char)*s++; h *= 1099511628211ULL; }
    return h;
}
static char *xstrdup(const char *s) {
    size_t n = strlen(s) + 1;
    char *p = malloc(n);
    if (!p) die("out of memory", NULL);
    memcpy(p, s, n);
    return p;
}
static void map_init(Map *m, size_t cap) {
    m->cap = cap; m->n = 0;
    m->key = calloc(cap, sizeof *m->key);
    m->val = calloc(cap, sizeof *m->val);
    if (!m->key || !m->val) die("out of memory", NULL);
}
static void map_free(Map *m) {
    for (size_t i = 0; i < m->cap; i++) { free(m->key[i]); free(m->val[i]); }
    free(m->key); free(m->val);
}
/* slot of key (existing or empty) */
static size_t map_slot(const Map *m, const char *k) {
    size_t i = (size_t)(fnv(k) % m->cap);
    while (m->key[i] && strcmp(m->key[i], k) != 0) i = (i + 1) % m->cap;
    return i;
}
static void map_grow(Map *m) {
    Map nm;
    map_init(&nm, m->cap * 2);
    for (size_t i = 0; i < m->cap; i++)
        if (m->key[i]) {
            size_t j = map_slot(&nm, m->key[i]);
            nm.key[j] = m->key[i]; nm.val[j] = m->val[i]; nm.n++;
        }
    free(m->key); free(m->val);
    *m = nm;
}
/* 1 if inserted, 0 if present (*old = stored value) */
static int map_put(Map *m, const char *k, const char *v, const char **old) {
    if (2 * (m->n + 1) > m->cap) map_grow(m);
    size_t i = map_slot(m, k);
    if (m->key[i]) { if (old) *old = m->val[i]; return 0; }
    m->key[i] = xstrdup(k);
    m->val[i] = v ? xstrdup(v) : NULL;
    m->n++;
    return 1;
}

/* ------------------------------------------------------- source lexicon */
/* noun classes / selectional restrictions: SMALL = portable inanimate thing;
 * INAN as a requirement accepts INAN and SMALL nouns */
enum { ANY = 0, ANIM = 1, INAN = 2, SMALL = 3 };
typedef struct { const char *sg, *pl; int anim; } NounDef;
static const NounDef NOUNS[] = {
    {"man", "men", ANIM}, {"woman", "women", ANIM}, {"child", "children", ANIM},
    {"boy", "boys", ANIM}, {"girl", "girls", ANIM}, {"teacher", "teachers", ANIM},
    {"doctor", "doctors", ANIM}, {"farmer", "farmers", ANIM}, {"king", "kings", ANIM},
    {"queen", "queens", ANIM}, {"baker", "bakers", ANIM}, {"sailor", "sailors", ANIM},
    {"student", "students", ANIM}, {"friend", "friends", ANIM}, {"cat", "cats", ANIM},
    {"dog", "dogs", ANIM}, {"bird", "birds", ANIM}, {"horse", "horses", ANIM},
    {"mouse", "mice", ANIM}, {"fox", "foxes", ANIM}, {"wolf", "wolves", ANIM},
    {"bear", "bears", ANIM}, {"rabbit", "rabbits", ANIM}, {"goat", "goats", ANIM},
    {"book", "books", SMALL}, {"box", "boxes", SMALL}, {"table", "tables", INAN},
    {"chair", "chairs", SMALL}, {"house", "houses", INAN}, {"garden", "gardens", INAN},
    {"river", "rivers", INAN}, {"tree", "trees", INAN}, {"apple", "apples", SMALL},
    {"cake", "cakes", SMALL}, {"letter", "letters", SMALL}, {"ball", "balls", SMALL},
    {"car", "cars", INAN}, {"boat", "boats", INAN}, {"key", "keys", SMALL},
    {"door", "doors", INAN}, {"window", "windows", INAN}, {"hat", "hats", SMALL},
    {"cup", "cups", SMALL}, {"stone", "stones", SMALL}, {"bridge", "bridges", INAN},
    {"road", "roads", INAN}, {"city", "cities", INAN}, {"field", "fields", INAN},
    {"flower", "flowers", SMALL}, {"bottle", "bottles", SMALL},
};
#define NNOUN ((int)(sizeof NOUNS / sizeof NOUNS[0]))

typedef struct { const char *w; int cls; } AdjDef;
static const AdjDef ADJS[] = {
    {"big", ANY}, {"small", ANY}, {"old", ANY}, {"young", ANIM}, {"red", ANY},
    {"green", ANY}, {"blue", ANY}, {"black", ANY}, {"white", ANY}, {"brown", ANY},
    {"happy", ANIM}, {"sad", ANIM}, {"angry", ANIM}, {"clever", ANIM}, {"lazy", ANIM},
    {"tall", ANY}, {"quiet", ANY}, {"heavy", INAN}, {"new", INAN}, {"strange", ANY},
};
#define NADJ ((int)(sizeof ADJS / sizeof ADJS[0]))

enum { V_INTR, V_TRANS, V_SEP, V_CLAUSE };
static const char *PARTICLES[] = {"up", "away", "back", "down", "over"};
#define NPART 5
typedef struct { const char *base, *s3, *past; int type, obj, part; } VerbDef;
static const VerbDef VERBS[] = {
    {"see", "sees", "saw", V_TRANS, ANY, 0},
    {"like", "likes", "liked", V_TRANS, ANY, 0},
    {"help", "helps", "helped", V_TRANS, ANIM, 0},
    {"find", "finds", "found", V_TRANS, ANY, 0},
    {"follow", "follows", "followed", V_TRANS, ANIM, 0},
    {"carry", "carries", "carried", V_TRANS, SMALL, 0},
    {"watch", "watches", "watched", V_TRANS, ANY, 0},
    {"call", "calls", "called", V_TRANS, ANIM, 0},
    {"visit", "visits", "visited", V_TRANS, ANY, 0},
    {"push", "pushes", "pushed", V_TRANS, INAN, 0},
    {"pull", "pulls", "pulled", V_TRANS, INAN, 0},
    {"open", "opens", "opened", V_TRANS, INAN, 0},
    {"build", "builds", "built", V_TRANS, INAN, 0},
    {"paint", "paints", "painted", V_TRANS, INAN, 0},
    {"hold", "holds", "held", V_TRANS, SMALL, 0},
    {"want", "wants", "wanted", V_TRANS, INAN, 0},
    {"meet", "meets", "met", V_TRANS, ANIM, 0},
    {"sleep", "sleeps", "slept", V_INTR, ANY, 0},
    {"run", "runs", "ran", V_INTR, ANY, 0},
    {"sing", "sings", "sang", V_INTR, ANY, 0},
    {"dance", "dances", "danced", V_INTR, ANY, 0},
    {"wait", "waits", "waited", V_INTR, ANY, 0},
    {"laugh", "laughs", "laughed", V_INTR, ANY, 0},
    {"swim", "swims", "swam", V_INTR, ANY, 0},
    {"cry", "cries", "cried", V_INTR, ANY, 0},
    {"walk", "walks", "walked", V_INTR, ANY, 0},
    {"jump", "jumps", "jumped", V_INTR, ANY, 0},
    {"pick", "picks", "picked", V_SEP, SMALL, 0},   /* pick up */
    {"wake", "wakes", "woke", V_SEP, ANIM, 0},     /* wake up */
    {"throw", "throws", "threw", V_SEP, SMALL, 1},  /* throw away */
    {"bring", "brings", "brought", V_SEP, ANY, 2}, /* bring back */
    {"lay", "lays", "laid", V_SEP, SMALL, 3},       /* lay down */
    {"turn", "turns", "turned", V_SEP, INAN, 4},   /* turn over */
    {"think", "thinks", "thought", V_CLAUSE, ANY, 0},
    {"say", "says", "said", V_CLAUSE, ANY, 0},
    {"hope", "hopes", "hoped", V_CLAUSE, ANY, 0},
};
#define NVERB ((int)(sizeof VERBS / sizeof VERBS[0]))

/* pronouns: i you he she we they; person slot 0..4 = 1sg 2sg 3sg 1pl 3pl */
static const char *PRON_NOM[] = {"i", "you", "he", "she", "we", "they"};
static const char *PRON_ACC[] = {"me", "you", "him", "her", "us", "them"};
static const int PRON_PERS[] = {0, 1, 2, 2, 3, 4};
#define NPRON 6
static const char *NUMS[] = {"two", "three", "four", "five", "six", "seven", "eight", "nine", "ten"};
#define NNUM 9
static const char *PREPS[] = {"in", "on", "under", "near", "behind", "with"};
#define NPREP 6
static const char *FREQ[] = {"often", "always", "sometimes", "rarely"};
#define NFREQ 4
static const char *MANNER[] = {"quickly", "slowly", "quietly", "loudly", "carefully", "happily"};
#define NMANNER 6
enum { T_PRES, T_PAST, T_FUT, T_CAN, T_MUST };
static const char *TIMEW[] = {"yesterday", "today", "tomorrow"};
#define NTIME 3
static const char *AUXW[] = {NULL, NULL, "will", "can", "must"};
enum { C_BECAUSE, C_WHEN, C_ALTHOUGH, C_THAT };
static const char *CONJ[] = {"because", "when", "although", "that"};

/* ------------------------------------------------------- target lexicon */
enum { MASC = 0, FEM = 1 };
/* fixed function words */
static const char *T_DEF[2][2] = {{"sho", "shi"}, {"shä", "shé"}}; /* [gender][pl] */
static const char *T_DEF_MACC = "shon";                           /* masc sg acc */
static const char *T_INDEF[2] = {"mek", "mekä"};
static const char *T_INDEF_MACC = "meken";
static const char *T_SOME[2] = {"zeti", "zeté"};
static const char *T_REL[2][2] = {{"kvo", "kvi"}, {"kvä", "kvé"}};
static const char *T_ADJEND[2][2] = {{"o", "i"}, {"a", "é"}};
static const char *T_NPL[2] = {"en", "är"};
static const char *T_PRON_NOM[] = {"mü", "tö", "hev", "hil", "nüm", "zor"};
static const char *T_PRON_ACC[] = {"mük", "tök", "hevk", "hilk", "nümk", "zork"};
static const char *END_PRES[5] = {"u", "is", "et", "om", "an"};
static const char *END_PAST[5] = {"i", "ist", "it", "im", "in"};
static const char *T_INF = "ar";
static const char *T_AUX[5] = {NULL, NULL, "gar", "pöd", "züv"};
static const char *T_PREFIX[NPART] = {"ub", "fäk", "rüv", "nöd", "ümb"};
static const char *T_CONJ[] = {"zumbé", "tävo", "obwel", "duk"};
static const char *T_AND = "ep";
static const char *T_NEG = "növ";

/* generated content words */
static char t_noun[NNOUN][24];
static int t_gender[NNOUN];
static char t_adj[NADJ][24];
static char t_verb[NVERB][24];
static char t_num[NNUM][24];
static char t_prep[NPREP][24];
static char t_freq[NFREQ][24];
static char t_manner[NMANNER][24];
static char t_time[NTIME][24];

static Map g_words; /* every target word form, for collision checks */

static const char *ONSET[] = {"b", "d", "f", "g", "k", "l", "m", "n", "p", "r", "s", "t", "v", "z",
                              "kr", "tr", "sh"};
#define NONSET ((int)(sizeof ONSET / sizeof ONSET[0]))
static const char *VOWEL[] = {"a", "e", "i", "o", "u", "a", "e", "i", "o", "u", "a", "e", "i", "o", "u", "ä", "é", "ö"};
#define NVOWEL ((int)(sizeof VOWEL / sizeof VOWEL[0]))
static const char *CODA[] = {"n", "r", "l", "s", "k", "t", "m", "z"};
#define NCODA ((int)(sizeof CODA / sizeof CODA[0]))

/* nsyl open syllables, optionally closed by a coda */
static void make_word(Rng *r, char *out, int nsyl, int closed) {
    out[0] = 0;
    for (int i = 0; i < nsyl; i++) {
        strcat(out, ONSET[below(r, NONSET)]);
        strcat(out, VOWEL[below(r, NVOWEL)]);
    }
    if (closed) strcat(out, CODA[below(r, NCODA)]);
}

/* generated forms that happen to be words of a real language (checked against the
 * Debian English, French, German, Italian and Spanish word lists) are rejected */
static const char *BLOCK[] = {
    "bezo", "bosar", "bosom", "dopa", "dota", "doti", "doto", "doté", "duran", "durar",
    "duri", "durit", "fosar", "gasa", "krimi", "lati", "latin", "lovez", "nera", "posar",
    "posi", "posit", "shaman", "sira", "siro", "tosi", "trina", "trino", "vini", "kali",
    "kalis", "muri", "pera", "peri", "pero", "rari", "trigal", "trotar", "vana", "fosa",
    "foso", "trovi", "lede", "visé", NULL
};
static int word_free(const char *w) {
    for (int i = 0; BLOCK[i]; i++)
        if (!strcmp(BLOCK[i], w)) return 0;
    return g_words.key[map_slot(&g_words, w)] == NULL;
}
static void word_add(const char *w) {
    if (!map_put(&g_words, w, NULL, NULL)) die("target word collision:", w);
}

/* try stems until all derived forms are new; forms built by fn */
typedef int (*FormsFn)(const char *stem, int arg, char forms[][40]);
static int forms_noun(const char *s, int g, char f[][40]) {
    snprintf(f[0], 40, "%s", s);
    snprintf(f[1], 40, "%s%s", s, T_NPL[g]);
    return 2;
}
static int forms_adj(const char *s, int unused, char f[][40]) {
    (void)unused;
    int n = 0;
    for (int g = 0; g < 2; g++)
        for (int p = 0; p < 2; p++) snprintf(f[n++], 40, "%s%s", s, T_ADJEND[g][p]);
    return n;
}
static int forms_verb(const char *s, int prefix, char f[][40]) {
    int n = 0;
    const char *pre = prefix >= 0 ? T_PREFIX[prefix] : "";
    for (int k = 0; k < 2; k++) { /* k=1: joined with the separable prefix */
        if (k == 1 && prefix < 0) break;
        const char *p = k ? pre : "";
        for (int i = 0; i < 5; i++) snprintf(f[n++], 40, "%s%s%s", p, s, END_PRES[i]);
        for (int i = 0; i < 5; i++) snprintf(f[n++], 40, "%s%s%s", p, s, END_PAST[i]);
        snprintf(f[n++], 40, "%s%s%s", p, s, T_INF);
    }
    return n;
}
static int forms_plain(const char *s, int unused, char f[][40]) {
    (void)unused;
    snprintf(f[0], 40, "%s", s);
    return 1;
}

static void gen_entry(Rng *r, char *out, FormsFn fn, int arg, int minsyl, int maxsyl, int closed) {
    char f[32][40];
    for (int tries = 0; tries < 10000; tries++) {
        make_word(r, out, minsyl + below(r, maxsyl - minsyl + 1), closed);
        int n = fn(out, arg, f), ok = 1;
        for (int i = 0; i < n && ok; i++) {
            ok = word_free(f[i]);
            for (int j = 0; j < i && ok; j++) ok = strcmp(f[i], f[j]) != 0;
        }
        if (!ok) continue;
        for (int i = 0; i < n; i++) word_add(f[i]);
        return;
    }
    die("could not make a fresh target word", NULL);
}

static void build_target_lexicon(void) {
    Rng r = {0x6E6D74635F746F79ULL}; /* fixed: the lexicon does not depend on --seed */
    map_init(&g_words, 4096);
    /* function words first */
    for (int g = 0; g < 2; g++)
        for (int p = 0; p < 2; p++) { word_add(T_DEF[g][p]); word_add(T_REL[g][p]); }
    word_add(T_DEF_MACC); word_add(T_INDEF[0]); word_add(T_INDEF[1]); word_add(T_INDEF_MACC);
    word_add(T_SOME[0]); word_add(T_SOME[1]);
    for (int i = 0; i < NPRON; i++) { word_add(T_PRON_NOM[i]); word_add(T_PRON_ACC[i]); }
    for (int a = T_FUT; a <= T_MUST; a++) {
        char w[40];
        for (int i = 0; i < 5; i++) { snprintf(w, sizeof w, "%s%s", T_AUX[a], END_PRES[i]); word_add(w); }
    }
    for (int i = 0; i < NPART; i++) word_add(T_PREFIX[i]);
    for (int i = 0; i < 4; i++) word_add(T_CONJ[i]);
    word_add(T_AND); word_add(T_NEG);
    /* content words */
    for (int i = 0; i < NNOUN; i++) {
        t_gender[i] = below(&r, 2);
        gen_entry(&r, t_noun[i], forms_noun, t_gender[i], 2, 2, 1);
    }
    for (int i = 0; i < NADJ; i++) gen_entry(&r, t_adj[i], forms_adj, 0, 1, 2, 1);
    for (int i = 0; i < NVERB; i++)
        gen_entry(&r, t_verb[i], forms_verb, VERBS[i].type == V_SEP ? VERBS[i].part : -1, 1, 2, 1);
    for (int i = 0; i < NNUM; i++) gen_entry(&r, t_num[i], forms_plain, 0, 2, 2, 0);
    for (int i = 0; i < NPREP; i++) gen_entry(&r, t_prep[i], forms_plain, 0, 2, 2, 0);
    for (int i = 0; i < NFREQ; i++) gen_entry(&r, t_freq[i], forms_plain, 0, 2, 3, 0);
    for (int i = 0; i < NMANNER; i++) gen_entry(&r, t_manner[i], forms_plain, 0, 2, 3, 0);
    for (int i = 0; i < NTIME; i++) gen_entry(&r, t_time[i], forms_plain, 0, 2, 3, 1);
}

/* ------------------------------------------------------------ syntax tree */
enum { D_THE, D_A, D_SOME, D_NUM, D_NONE };
typedef struct {
    int is_pron, pron;
    int noun, pl, det, num, nadj, adj[2];
    int rel; /* index into rel pool, -1 none */
    int s_det, s_noun, s_adj[2], s_pron; /* source word indices */
} NP;
typedef struct {
    int verb, tense, has_obj; /* tense: T_PRES or T_PAST */
    NP obj;
    int s_that, s_verb, s_part;
} Rel;
typedef struct Clause {
    NP subj, subj2;
    int coord;
    int verb, tense, neg, has_obj;
    NP obj;
    int adv_type, adv; /* 0 none, 1 frequency (before verb), 2 manner (after object) */
    int has_pp, prep;
    NP pp;
    int time; /* -1 none */
    int conj; /* -1 none, else C_*; sub clause in sub */
    struct Clause *sub;
    int question;
    int s_time, s_aux, s_not, s_verb, s_part, s_adv, s_prep, s_conj, s_and;
} Clause;

static Rel rel_pool[8];
static int n_rel;
static Clause clause_pool[4];
static int n_clause;

/* --------------------------------------------------------------- tokens */
typedef struct { char w[48]; int a[3]; int na; int punct; } Tok;
typedef struct { Tok t[96]; int n, nwords; } TL;

static int tl_word(TL *l, const char *w) { /* source side: returns word index */
    if (l->n >= 96) die("sentence too long", NULL);
    Tok *t = &l->t[l->n++];
    snprintf(t->w, sizeof t->w, "%s", w);
    t->na = 0; t->punct = 0;
    return l->nwords++;
}
static void tl_punct(TL *l, const char *p) {
    if (l->n >= 96) die("sentence too long", NULL);
    Tok *t = &l->t[l->n++];
    snprintf(t->w, sizeof t->w, "%s", p);
    t->na = 0; t->punct = 1;
}
/* target word aligned to up to three source indices (-1 = none) */
static void tl_tw(TL *l, const char *w, int a0, int a1, int a2) {
    if (l->n >= 96) die("sentence too long", NULL);
    Tok *t = &l->t[l->n++];
    snprintf(t->w, sizeof t->w, "%s", w);
    t->punct = 0; t->na = 0;
    if (a0 >= 0) t->a[t->na++] = a0;
    if (a1 >= 0) t->a[t->na++] = a1;
    if (a2 >= 0) t->a[t->na++] = a2;
    l->nwords++;
}

/* ------------------------------------------------------------ generation */
static int sample_verb(Rng *r, const int *type_w) {
    int type = pick_w(r, type_w);
    for (;;) {
        int v = below(r, NVERB);
        if (VERBS[v].type == type) return v;
    }
}
static int noun_ok(int noun, int req) {
    int cls = NOUNS[noun].anim;
    if (req == ANY) return 1;
    if (req == INAN) return cls != ANIM;
    return cls == req;
}
static int adj_ok(int a, int noun) { return noun_ok(noun, ADJS[a].cls); }
static void gen_np(Rng *r, NP *np, int anim_req, int allow_pron, int allow_rel, int pron_pct) {
    memset(np, 0, sizeof *np);
    np->rel = -1;
    if (allow_pron && (anim_req == ANY || anim_req == ANIM) && chance(r, pron_pct)) {
        np->is_pron = 1;
        np->pron = below(r, NPRON);
        return;
    }
    do np->noun = below(r, NNOUN);
    while (!noun_ok(np->noun, anim_req));
    np->pl = chance(r, 35);
    static const int det_sg[] = {70, 30, -1};            /* the, a */
    static const int det_pl[] = {45, 15, 20, 20, -1};     /* the, some, num, none */
    if (!np->pl) np->det = pick_w(r, det_sg) == 0 ? D_THE : D_A;
    else {
        static const int map[] = {D_THE, D_SOME, D_NUM, D_NONE};
        np->det = map[pick_w(r, det_pl)];
        if (np->det == D_NUM) np->num = below(r, NNUM);
    }
    static const int nadj_w[] = {50, 38, 12, -1};
    np->nadj = pick_w(r, nadj_w);
    for (int i = 0; i < np->nadj; i++) {
        int a;
        do a = below(r, NADJ);
        while (!adj_ok(a, np->noun) || (i == 1 && a == np->adj[0]));
        np->adj[i] = a;
    }
    if (allow_rel && NOUNS[np->noun].anim == ANIM && chance(r, 12)) {
        Rel *rl = &rel_pool[n_rel];
        np->rel = n_rel++;
        static const int vt[] = {35, 45, 20, 0, -1}; /* intr trans sep (no clausal) */
        rl->verb = sample_verb(r, vt);
        rl->tense = chance(r, 60) ? T_PRES : T_PAST;
        rl->has_obj = VERBS[rl->verb].type != V_INTR;
        if (rl->has_obj) gen_np(r, &rl->obj, VERBS[rl->verb].obj, 1, 0, 15);
    }
}

static void gen_clause(Rng *r, Clause *c, int main_clause) {
    memset(c, 0, sizeof *c);
    c->time = -1; c->conj = -1; c->sub = NULL;
    c->question = main_clause && chance(r, 15);
    gen_np(r, &c->subj, ANIM, 1, main_clause, 28);
    if (!c->subj.is_pron && c->subj.rel < 0 && chance(r, 8)) {
        c->coord = 1;
        gen_np(r, &c->subj2, ANIM, 0, 0, 0);
    }
    static const int vt_main[] = {44, 22, 22, 12, -1};
    static const int vt_sub[] = {50, 27, 23, 0, -1};
    c->verb = sample_verb(r, main_clause ? vt_main : vt_sub);
    int vtype = VERBS[c->verb].type;
    if (main_clause && !c->question && chance(r, 12)) c->time = below(r, NTIME);
    static const int tw[] = {40, 30, 12, 10, 8, -1};
    c->tense = pick_w(r, tw);
    if (c->time == 0) c->tense = T_PAST;                                 /* yesterday */
    if (c->time == 1 && c->tense == T_PAST) c->tense = T_PRES;           /* today */
    if (c->time == 2) c->tense = chance(r, 70) ? T_FUT : T_CAN;          /* tomorrow */
    c->neg = !c->question && chance(r, 15);
    c->has_obj = vtype == V_TRANS || vtype == V_SEP;
    if (c->has_obj) {
        gen_np(r, &c->obj, VERBS[c->verb].obj, 1, main_clause, 15);
        if (c->obj.is_pron && c->subj.is_pron && c->obj.pron == c->subj.pron)
            c->obj.pron = (c->obj.pron + 2) % NPRON; /* no reflexives */
    }
    if (chance(r, 25)) {
        c->adv_type = (!c->neg && chance(r, 40)) ? 1 : 2;
        c->adv = c->adv_type == 1 ? below(r, NFREQ) : below(r, NMANNER);
    }
    if (vtype != V_CLAUSE && chance(r, 32)) {
        c->has_pp = 1;
        c->prep = below(r, NPREP);
        gen_np(r, &c->pp, c->prep == NPREP - 1 ? ANY : INAN, 1, 0, 12);
    }
    if (main_clause) {
        if (vtype == V_CLAUSE) c->conj = C_THAT;
        else if (chance(r, 15)) c->conj = below(r, 3);
        if (c->conj >= 0) {
            c->sub = &clause_pool[n_clause++];
            gen_clause(r, c->sub, 0);
        }
    }
}

/* person slot 0..4 of the subject */
static int person(const Clause *c) {
    if (c->coord) return 4;
    if (c->subj.is_pron) return PRON_PERS[c->subj.pron];
    return c->subj.pl ? 4 : 2;
}

/* ------------------------------------------------------ source rendering */
static void src_np(TL *l, NP *np, int acc) {
    if (np->is_pron) {
        np->s_pron = tl_word(l, acc ? PRON_ACC[np->pron] : PRON_NOM[np->pron]);
        return;
    }
    const char *first = np->nadj ? ADJS[np->adj[0]].w : (np->pl ? NOUNS[np->noun].pl : NOUNS[np->noun].sg);
    np->s_det = -1;
    switch (np->det) {
    case D_THE: np->s_det = tl_word(l, "the"); break;
    case D_A: np->s_det = tl_word(l, strchr("aeiou", first[0]) ? "an" : "a"); break;
    case D_SOME: np->s_det = tl_word(l, "some"); break;
    case D_NUM: np->s_det = tl_word(l, NUMS[np->num]); break;
    default: break;
    }
    for (int i = 0; i < np->nadj; i++) np->s_adj[i] = tl_word(l, ADJS[np->adj[i]].w);
    np->s_noun = tl_word(l, np->pl ? NOUNS[np->noun].pl : NOUNS[np->noun].sg);
    if (np->rel >= 0) {
        Rel *rl = &rel_pool[np->rel];
        const VerbDef *v = &VERBS[rl->verb];
        rl->s_that = tl_word(l, "that");
        rl->s_verb = tl_word(l, rl->tense == T_PAST ? v->past : np->pl ? v->base : v->s3);
        rl->s_part = -1;
        if (v->type == V_SEP) {
            if (rl->obj.is_pron) { src_np(l, &rl->obj, 1); rl->s_part = tl_word(l, PARTICLES[v->part]); }
            else { rl->s_part = tl_word(l, PARTICLES[v->part]); src_np(l, &rl->obj, 1); }
        } else if (rl->has_obj) src_np(l, &rl->obj, 1);
    }
}
static void src_subj(TL *l, Clause *c) {
    src_np(l, &c->subj, 0);
    if (c->coord) { c->s_and = tl_word(l, "and"); src_np(l, &c->subj2, 0); }
}
static void src_clause(TL *l, Clause *c) {
    const VerbDef *v = &VERBS[c->verb];
    int pers = person(c), aux = c->tense >= T_FUT;
    const char *dow = c->tense == T_PAST ? "did" : pers == 2 ? "does" : "do";
    c->s_time = c->s_aux = c->s_not = c->s_adv = c->s_prep = c->s_conj = c->s_part = -1;
    if (c->time >= 0) c->s_time = tl_word(l, TIMEW[c->time]);
    if (c->question) {
        c->s_aux = tl_word(l, aux ? AUXW[c->tense] : dow);
        src_subj(l, c);
        if (c->adv_type == 1) c->s_adv = tl_word(l, FREQ[c->adv]);
        c->s_verb = tl_word(l, v->base);
    } else {
        src_subj(l, c);
        if (aux || c->neg) {
            c->s_aux = tl_word(l, aux ? AUXW[c->tense] : dow);
            if (c->neg) c->s_not = tl_word(l, "not");
            if (c->adv_type == 1) c->s_adv = tl_word(l, FREQ[c->adv]);
            c->s_verb = tl_word(l, v->base);
        } else {
            if (c->adv_type == 1) c->s_adv = tl_word(l, FREQ[c->adv]);
            c->s_verb = tl_word(l, c->tense == T_PAST ? v->past : pers == 2 ? v->s3 : v->base);
        }
    }
    if (v->type == V_SEP) {
        if (c->obj.is_pron) { src_np(l, &c->obj, 1); c->s_part = tl_word(l, PARTICLES[v->part]); }
        else { c->s_part = tl_word(l, PARTICLES[v->part]); src_np(l, &c->obj, 1); }
    } else if (c->has_obj) src_np(l, &c->obj, 1);
    if (c->adv_type == 2) c->s_adv = tl_word(l, MANNER[c->adv]);
    if (c->has_pp) { c->s_prep = tl_word(l, PREPS[c->prep]); src_np(l, &c->pp, 1); }
    if (c->sub) { c->s_conj = tl_word(l, CONJ[c->conj]); src_clause(l, c->sub); }
}

/* ------------------------------------------------------ target rendering */
static void verb_form(char *out, size_t n, int verb, int tense, int pers, int joined) {
    const VerbDef *v = &VERBS[verb];
    const char *pre = (joined && v->type == V_SEP) ? T_PREFIX[v->part] : "";
    if (tense == T_PAST) snprintf(out, n, "%s%s%s", pre, t_verb[verb], END_PAST[pers]);
    else if (tense == T_PRES) snprintf(out, n, "%s%s%s", pre, t_verb[verb], END_PRES[pers]);
    else snprintf(out, n, "%s%s%s", pre, t_verb[verb], T_INF);
}

static void tgt_np(TL *l, const NP *np, int acc) {
    char w[48];
    if (np->is_pron) {
        tl_tw(l, acc ? T_PRON_ACC[np->pron] : T_PRON_NOM[np->pron], np->s_pron, -1, -1);
        return;
    }
    int g = t_gender[np->noun], pl = np->pl;
    switch (np->det) {
    case D_THE: tl_tw(l, (!pl && g == MASC && acc) ? T_DEF_MACC : T_DEF[g][pl], np->s_det, -1, -1); break;
    case D_A: tl_tw(l, (g == MASC && acc) ? T_INDEF_MACC : T_INDEF[g], np->s_det, -1, -1); break;
    case D_SOME: tl_tw(l, T_SOME[g], np->s_det, -1, -1); break;
    default: break;
    }
    snprintf(w, sizeof w, "%s%s", t_noun[np->noun], pl ? T_NPL[g] : "");
    tl_tw(l, w, np->s_noun, -1, -1);
    for (int i = np->nadj - 1; i >= 0; i--) { /* after the noun, reversed */
        snprintf(w, sizeof w, "%s%s", t_adj[np->adj[i]], T_ADJEND[g][pl]);
        tl_tw(l, w, np->s_adj[i], -1, -1);
    }
    if (np->det == D_NUM) tl_tw(l, t_num[np->num], np->s_det, -1, -1);
    if (np->rel >= 0) { /* ", REL [OBJ] VERB," — verb-final, prefix joined */
        const Rel *rl = &rel_pool[np->rel];
        tl_punct(l, ",");
        tl_tw(l, T_REL[g][pl], rl->s_that, -1, -1);
        if (rl->has_obj) tgt_np(l, &rl->obj, 1);
        verb_form(w, sizeof w, rl->verb, rl->tense, pl ? 4 : 2, 1);
        tl_tw(l, w, rl->s_verb, rl->s_part, -1);
        tl_punct(l, ",");
    }
}
static void tgt_subj(TL *l, const Clause *c) {
    tgt_np(l, &c->subj, 0);
    if (c->coord) { tl_tw(l, T_AND, c->s_and, -1, -1); tgt_np(l, &c->subj2, 0); }
}

enum { M_DECL, M_QUEST, M_SUB };
/* middle field: ADV OBJ PP NEG */
static void tgt_middle(TL *l, const Clause *c) {
    if (c->adv_type == 1) tl_tw(l, t_freq[c->adv], c->s_adv, -1, -1);
    if (c->adv_type == 2) tl_tw(l, t_manner[c->adv], c->s_adv, -1, -1);
    if (c->has_obj) tgt_np(l, &c->obj, 1);
    if (c->has_pp) { tgt_np(l, &c->pp, 1); tl_tw(l, t_prep[c->prep], c->s_prep, -1, -1); }
    if (c->neg) tl_tw(l, T_NEG, c->s_not, -1, -1);
}
static void tgt_clause(TL *l, const Clause *c, int mode) {
    const VerbDef *v = &VERBS[c->verb];
    int pers = person(c), aux = c->tense >= T_FUT, sep = v->type == V_SEP;
    char fin[48], inf[48];
    /* finite word and its alignment */
    int fa0, fa1 = -1, fa2 = -1;
    if (aux) {
        snprintf(fin, sizeof fin, "%s%s", T_AUX[c->tense], END_PRES[pers]);
        fa0 = c->s_aux;
        verb_form(inf, sizeof inf, c->verb, T_FUT, pers, 1);
    } else {
        verb_form(fin, sizeof fin, c->verb, c->tense, pers, mode == M_SUB);
        fa0 = c->s_verb;
        fa1 = c->s_aux; /* do/does/did, if any */
        if (mode == M_SUB && sep) fa2 = c->s_part;
    }
    if (mode == M_SUB) {
        tgt_subj(l, c);
        tgt_middle(l, c);
        if (aux) tl_tw(l, inf, c->s_verb, c->s_part, -1);
        tl_tw(l, fin, fa0, fa1, fa2);
        return;
    }
    if (mode == M_QUEST) {
        tl_tw(l, fin, fa0, fa1, fa2);
        tgt_subj(l, c);
    } else if (c->time >= 0) { /* V2: time adverb, finite verb, subject */
        tl_tw(l, t_time[c->time], c->s_time, -1, -1);
        tl_tw(l, fin, fa0, fa1, fa2);
        tgt_subj(l, c);
    } else {
        tgt_subj(l, c);
        tl_tw(l, fin, fa0, fa1, fa2);
    }
    tgt_middle(l, c);
    if (aux) tl_tw(l, inf, c->s_verb, c->s_part, -1);
    else if (sep) tl_tw(l, T_PREFIX[v->part], c->s_part, -1, -1);
    if (c->sub) {
        tl_punct(l, ",");
        tl_tw(l, T_CONJ[c->conj], c->s_conj, -1, -1);
        tgt_clause(l, c->sub, M_SUB);
    }
}

/* drop a comma followed by other punctuation; join punctuation to the word */
static void render(TL *l, char *out, size_t n) {
    size_t k = 0;
    out[0] = 0;
    for (int i = 0; i < l->n; i++) {
        Tok *t = &l->t[i];
        if (t->punct && t->w[0] == ',' && (i + 1 == l->n || l->t[i + 1].punct)) continue;
        size_t len = strlen(t->w);
        if (k + len + 2 >= n) die("line too long", NULL);
        if (!t->punct && k > 0) out[k++] = ' ';
        memcpy(out + k, t->w, len + 1);
        k += len;
    }
}
static void render_align(TL *l, char *out, size_t n) {
    size_t k = 0;
    int j = 0;
    out[0] = 0;
    for (int i = 0; i < l->n; i++) {
        Tok *t = &l->t[i];
        if (t->punct) continue;
        int a[3], na = t->na;
        memcpy(a, t->a, sizeof a);
        for (int x = 1; x < na; x++) /* sort source indices */
            for (int y = x; y > 0 && a[y - 1] > a[y]; y--) { int s = a[y]; a[y] = a[y - 1]; a[y - 1] = s; }
        for (int x = 0; x < na; x++) {
            int m = snprintf(out + k, n - k, "%s%d-%d", k ? " " : "", a[x], j);
            if (m < 0 || (size_t)m >= n - k) die("alignment line too long", NULL);
            k += (size_t)m;
        }
        j++;
    }
}

static void print_lexicon(void) {
    static const char *gname[] = {"m", "f"};
    for (int i = 0; i < NNOUN; i++)
        printf("noun\t%s/%s\t%s/%s%s\t%s\n", NOUNS[i].sg, NOUNS[i].pl, t_noun[i], t_noun[i],
               T_NPL[t_gender[i]], gname[t_gender[i]]);
    for (int i = 0; i < NADJ; i++) printf("adj\t%s\t%s-\n", ADJS[i].w, t_adj[i]);
    for (int i = 0; i < NVERB; i++)
        printf("verb\t%s%s%s\t%s%s-\n", VERBS[i].base, VERBS[i].type == V_SEP ? " " : "",
               VERBS[i].type == V_SEP ? PARTICLES[VERBS[i].part] : "",
               VERBS[i].type == V_SEP ? T_PREFIX[VERBS[i].part] : "", t_verb[i]);
    for (int i = 0; i < NNUM; i++) printf("num\t%s\t%s\n", NUMS[i], t_num[i]);
    for (int i = 0; i < NPREP; i++) printf("prep\t%s\t%s\n", PREPS[i], t_prep[i]);
    for (int i = 0; i < NFREQ; i++) printf("adv\t%s\t%s\n", FREQ[i], t_freq[i]);
    for (int i = 0; i < NMANNER; i++) printf("adv\t%s\t%s\n", MANNER[i], t_manner[i]);
    for (int i = 0; i < NTIME; i++) printf("time\t%s\t%s\n", TIMEW[i], t_time[i]);
}
static void print_forms(void) { /* every target word form, one a line */
    for (size_t i = 0; i < g_words.cap; i++)
        if (g_words.key[i]) printf("%s\n", g_words.key[i]);
}

typedef struct { char *src, *tgt, *align; } Pair;

/* one sentence pair; 0 if rejected by the length limits */
static int make_pair(Rng *r, char *src, char *tgt, char *al, size_t n) {
    static TL ls, lt;
    Clause c;
    n_rel = 0; n_clause = 0;
    gen_clause(r, &c, 1);
    ls.n = ls.nwords = 0;
    lt.n = lt.nwords = 0;
    src_clause(&ls, &c);
    tl_punct(&ls, c.question ? "?" : ".");
    tgt_clause(&lt, &c, c.question ? M_QUEST : M_DECL);
    tl_punct(&lt, c.question ? "?" : ".");
    if (ls.nwords < 3 || ls.nwords > 20 || lt.nwords > 24) return 0;
    render(&ls, src, n);
    render(&lt, tgt, n);
    render_align(&lt, al, n);
    return 1;
}

static void write_split(const char *dir, const char *name, Pair *p, int n) {
    const char *ext[] = {"src", "tgt"};
    for (int e = 0; e < 2; e++) {
        char path[4096];
        snprintf(path, sizeof path, "%s/%s.%s", dir, name, ext[e]);
        FILE *f = fopen(path, "wb");
        if (!f) die("cannot write", path);
        for (int i = 0; i < n; i++) fprintf(f, "%s\n", e ? p[i].tgt : p[i].src);
        if (fclose(f) != 0) die("write failed:", path);
    }
}

int main(int argc, char **argv) {
    uint64_t seed = 1;
    long ntrain = 20000, nvalid = 500, ntest = 500, ncheck = 0;
    const char *dir = NULL;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        long *dst = NULL;
        if (!strcmp(a, "--lexicon") || !strcmp(a, "--forms")) {
            build_target_lexicon();
            if (a[2] == 'l') print_lexicon();
            else print_forms();
            return 0;
        }
        if (!strcmp(a, "--seed") && i + 1 < argc) { seed = strtoull(argv[++i], NULL, 10); continue; }
        if (!strcmp(a, "--train")) dst = &ntrain;
        else if (!strcmp(a, "--valid")) dst = &nvalid;
        else if (!strcmp(a, "--test")) dst = &ntest;
        else if (!strcmp(a, "--check")) dst = &ncheck;
        if (dst) {
            if (i + 1 >= argc) die("missing value for", a);
            *dst = strtol(argv[++i], NULL, 10);
            if (*dst < 0) die("bad value for", a);
            continue;
        }
        if (a[0] == '-' || dir) {
            fprintf(stderr, "usage: gen [--seed N] [--train N] [--valid N] [--test N] [--check N] OUTDIR | --lexicon | --forms\n");
            return 2;
        }
        dir = a;
    }
    if (!dir) {
        fprintf(stderr, "usage: gen [--seed N] [--train N] [--valid N] [--test N] [--check N] OUTDIR | --lexicon | --forms\n");
        return 2;
    }
    build_target_lexicon();

    long total = ntrain + nvalid + ntest;
    Pair *pairs = calloc((size_t)(total ? total : 1), sizeof *pairs);
    if (!pairs) die("out of memory", NULL);
    Map seen;
    map_init(&seen, 1024);
    Rng r = {seed * 0x2545F4914F6CDD1DULL + 0x1234567ULL};
    char src[2048], tgt[2048], al[2048];
    long have = 0, draws = 0;
    while (have < total) {
        if (++draws > 1000 * (total + 100)) die("too few distinct sentences", NULL);
        if (!make_pair(&r, src, tgt, al, sizeof src)) continue;
        const char *old = NULL;
        if (!map_put(&seen, src, tgt, &old)) {
            if (strcmp(old, tgt) != 0) {
                fprintf(stderr, "gen: ambiguous source \"%s\": \"%s\" vs \"%s\"\n", src, old, tgt);
                return 1;
            }
            continue;
        }
        pairs[have].src = xstrdup(src);
        pairs[have].tgt = xstrdup(tgt);
        pairs[have].align = xstrdup(al);
        have++;
    }
    /* determinism check on extra samples (not written) */
    for (long i = 0; i < ncheck; i++) {
        if (!make_pair(&r, src, tgt, al, sizeof src)) continue;
        const char *old = NULL;
        if (!map_put(&seen, src, tgt, &old) && strcmp(old, tgt) != 0) {
            fprintf(stderr, "gen: ambiguous source \"%s\": \"%s\" vs \"%s\"\n", src, old, tgt);
            return 1;
        }
    }
    if (ncheck) fprintf(stderr, "gen: checked %ld extra samples, %zu distinct sources, no ambiguity\n", ncheck, seen.n);
    /* shuffle, then test | valid | train */
    Rng rs = {seed ^ 0xD1B54A32D192ED03ULL};
    for (long i = total - 1; i > 0; i--) {
        long j = (long)(rng_next(&rs) % (uint64_t)(i + 1));
        Pair t = pairs[i]; pairs[i] = pairs[j]; pairs[j] = t;
    }
    write_split(dir, "test", pairs, (int)ntest);
    write_split(dir, "valid", pairs + ntest, (int)nvalid);
    write_split(dir, "train", pairs + ntest + nvalid, (int)ntrain);
    char path[4096];
    snprintf(path, sizeof path, "%s/test.align", dir);
    FILE *f = fopen(path, "wb");
    if (!f) die("cannot write", path);
    for (long i = 0; i < ntest; i++) fprintf(f, "%s\n", pairs[i].align);
    if (fclose(f) != 0) die("write failed:", path);
    fprintf(stderr, "gen: %ld pairs (%ld draws): train %ld, valid %ld, test %ld -> %s\n",
            total, draws, ntrain, nvalid, ntest, dir);
    for (long i = 0; i < total; i++) { free(pairs[i].src); free(pairs[i].tgt); free(pairs[i].align); }
    free(pairs);
    map_free(&seen);
    map_free(&g_words);
    return 0;
}
