/* ibm2.h — IBM Model 2 with a diagonal prior (the fast_align model), trained by EM.
 *
 * One direction generates each word of one side (the "generated" side, m
 * words, positions j = 1..m) from a word of the other ("conditioning" side,
 * n words, positions i = 1..n) or from NULL:
 *   p(a_j = 0)           = p0
 *   p(a_j = i), i >= 1   = (1 - p0) exp(-lambda |i/n - j/m|) / Z(j, n, m, lambda)
 *   p(f_j | a_j = i)     = t(f_j | e_i)        (e_0 = NULL)
 * Forward generates the target from the source (each target word gets at most
 * one link), reverse the source from the target. EM re-estimates t (plain
 * counts, or variational Bayes with a Dirichlet(alpha) prior) and then lambda
 * (Newton's method on the expected log-likelihood). docs/align.md has the math.
 *
 * Deterministic: posteriors are computed in parallel per sentence into a
 * buffer and summed in corpus order, so any thread count gives the same bits. */
#ifndef NMT_ALIGN_IBM2_H
#define NMT_ALIGN_IBM2_H

#include <stdio.h>

#include "core/fields.h"
#include "align/corpus.h"
#include "align/pharaoh.h"

typedef struct {
    int reverse;         /* 0: target words from source words; 1: the other way */
    int iterations;      /* EM iterations (5) */
    double p0;           /* NULL alignment probability (0.15); 0 leaves NULL out */
    double lambda;       /* initial diagonal tension (4); 0 = uniform over positions */
    int optimize_lambda; /* re-estimate lambda after each iteration (1) */
    double alpha;        /* Dirichlet concentration for variational Bayes (0.01); 0 = plain EM */
    int threads;         /* OpenMP threads; 0 = the OpenMP default */
} Ibm2Options;

typedef struct {
    const AlignCorpus *c;
    int gen, cond;        /* corpus sides: gen = 1, cond = 0 forward; swapped in reverse */
    double p0, lambda, alpha;
    int optimize_lambda, threads;
    double *t;            /* c->npairs: t(gen word | cond word) of each word pair */
    double *t_null;       /* vocab[gen].n: t(gen word | NULL) */
    size_t *row_start;    /* ngroups + 1: group g's rows j in rows [row_start[g], row_start[g+1]) */
    size_t *prior_start;  /* ngroups + 1: group g's prior, m rows of n + 1 entries */
    double *prior;        /* p(a_j = i) for i = 0 (NULL) .. n, at the current lambda */
    double loglik;        /* sum of log p(f | e) over the corpus at the last E-step */
    long ntokens;         /* generated tokens in non-empty pairs */
    int iteration;        /* iterations done */
} Ibm2Model;

/* The options' table (flags, ranges, defaults, help: nmt-align). */
extern const FieldSpec IBM2_OPTION_FIELDS[];
extern const int IBM2_OPTION_NFIELDS;
void ibm2_options_default(Ibm2Options *o);
/* Uniform t, prior at o->lambda; the corpus must outlive the model. */
void ibm2_init(Ibm2Model *m, const AlignCorpus *c, const Ibm2Options *o);
/* One EM iteration: E-step, new t, then lambda when optimized. */
void ibm2_iteration(Ibm2Model *m);
/* init + o->iterations iterations; a line per iteration on log when given. */
void ibm2_train(Ibm2Model *m, const AlignCorpus *c, const Ibm2Options *o, FILE *log);
/* The most probable link of every generated word (none when NULL wins), one
 * sentence per corpus pair, as (source, target) links. */
void ibm2_viterbi(const Ibm2Model *m, Alignment *out);
/* t(gen | cond) by the words' text; -1 when the pair never co-occurs. For tests. */
double ibm2_prob(const Ibm2Model *m, const char *cond_word, const char *gen_word);
void ibm2_free(Ibm2Model *m);

/* The prior row of generated position j (1-based) for lengths n, m:
 * out[0] = p0, out[i] = p(a_j = i) for i = 1..n; the row sums to 1. */
void ibm2_prior_row(int n, int m, int j, double lambda, double p0, double *out);
/* Digamma function, for x > 0 (variational Bayes). */
double ibm2_digamma(double x);

#endif
