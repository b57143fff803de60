/* render.h — one syntax tree written out twice: the source side (SVO,
 * do-support, prepositions) and the target side (V2, verb-final clauses,
 * postpositions, agreement), with gold word alignments. Included once, by
 * generate.c. */
#ifndef TOY_RENDER_H
#define TOY_RENDER_H

#include "tree.h"

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


#endif
