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
#include "lexicon.h"
#include "render.h"
#include "support.h"
#include "tree.h"

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
