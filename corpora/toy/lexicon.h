/* lexicon.h — the two languages' words: the source lexicon (nouns with
 * number and animacy, adjectives, verbs with their forms, frame and
 * particle, function words) and the target's function words, endings and
 * syllables. Included once, by generate.c. */
#ifndef TOY_LEXICON_H
#define TOY_LEXICON_H

#include "support.h"

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


#endif
