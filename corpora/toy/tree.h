/* tree.h — a sentence as a small syntax tree (clauses, noun phrases) and the
 * token lists both sides are rendered into, with the alignment links of
 * each target word. Included once, by generate.c. */
#ifndef TOY_TREE_H
#define TOY_TREE_H

#include "lexicon.h"

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


#endif
