/* ibm2.c — EM for the diagonal IBM Model 2: E-step, lexical M-step (ML or
 * variational Bayes), Newton updates of the diagonal tension, Viterbi. */
#include "align/ibm2.h"

#include <math.h>
#include <stddef.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>

#include "core/util.h"

enum { BLOCK = 512 };        /* sentences whose posteriors are buffered at once */
#define LAMBDA_MAX 100.0     /* beyond this the prior is a hard diagonal anyway */

#define F(member) offsetof(Ibm2Options, member)
const FieldSpec IBM2_OPTION_FIELDS[] = {
    {NULL, "--iterations", FIELD_INT, F(iterations), 5, 1, 1000, .section = "", .help = "EM iterations"},
    {NULL, "--p0", FIELD_DOUBLE, F(p0), 0.15, 0, 0.999, .metavar = "P", .section = "",
     .help = "probability of aligning to NULL (0: no NULL)"},
    {NULL, "--tension", FIELD_DOUBLE, F(lambda), 4, 0, 100, .metavar = "L", .section = "",
     .help = "initial diagonal tension lambda"},
    {NULL, "--alpha", FIELD_DOUBLE, F(alpha), 0.01, 0, 1e6, .metavar = "A", .section = "",
     .help = "variational Bayes with a Dirichlet(A) prior on t\n"
             "(0: plain maximum-likelihood EM)"},
    {NULL, "--threads", FIELD_INT, F(threads), 0, 1, 1024, .section = "",
     .help = "OpenMP threads (default: all cores; results are identical for any N)"},
};
#undef F
const int IBM2_OPTION_NFIELDS = (int)(sizeof IBM2_OPTION_FIELDS / sizeof IBM2_OPTION_FIELDS[0]);

void ibm2_options_default(Ibm2Options *o) {
    memset(o, 0, sizeof *o);
    fields_set_defaults(IBM2_OPTION_FIELDS, IBM2_OPTION_NFIELDS, o);
    o->optimize_lambda = 1;
}

double ibm2_digamma(double x) {
    double r = 0;
    while (x < 10) { /* psi(x) = psi(x + 1) - 1/x, until the asymptotic series is exact to ~1e-14 */
        r -= 1 / x;
        x += 1;
    }
    double f = 1 / (x * x);
    return r + log(x) - 0.5 / x - f * (1.0 / 12 - f * (1.0 / 120 - f * (1.0 / 252 - f * (1.0 / 240 - f / 132))));
}

static double dist(int i, int n, int j, int m) { return fabs((double)i / n - (double)j / m); }

void ibm2_prior_row(int n, int m, int j, double lambda, double p0, double *out) {
    double z = 0;
    for (int i = 1; i <= n; i++) z += out[i] = exp(-lambda * dist(i, n, j, m));
    out[0] = p0;
    for (int i = 1; i <= n; i++) out[i] *= (1 - p0) / z;
}

static int nthreads(const Ibm2Model *m) { return m->threads > 0 ? m->threads : omp_get_max_threads(); }
static int glen(const Ibm2Model *m, int g, int side) { return m->c->group_len[side][g]; }

static void compute_prior(Ibm2Model *m) {
    const AlignCorpus *c = m->c;
#pragma omp parallel for schedule(dynamic, 8) num_threads(nthreads(m))
    for (int g = 0; g < c->ngroups; g++) {
        int n = glen(m, g, m->cond), len = glen(m, g, m->gen);
        double *p = m->prior + m->prior_start[g];
        for (int j = 1; j <= len; j++) ibm2_prior_row(n, len, j, m->lambda, m->p0, p + (size_t)(j - 1) * (n + 1));
    }
}

void ibm2_init(Ibm2Model *m, const AlignCorpus *c, const Ibm2Options *o) {
    memset(m, 0, sizeof *m);
    m->c = c;
    m->gen = o->reverse ? 0 : 1;
    m->cond = 1 - m->gen;
    m->p0 = o->p0;
    m->lambda = o->lambda;
    m->alpha = o->alpha;
    m->optimize_lambda = o->optimize_lambda;
    m->threads = o->threads;
    /* Uniform t: the first E-step's posteriors are then the prior itself. */
    size_t nv = (size_t)c->vocab[m->gen].n;
    double u = 1.0 / (double)(nv ? nv : 1);
    m->t = xmalloc(((size_t)c->npairs + 1) * sizeof *m->t);
    for (int32_t p = 0; p < c->npairs; p++) m->t[p] = u;
    m->t_null = xmalloc((nv + 1) * sizeof *m->t_null);
    for (size_t w = 0; w < nv; w++) m->t_null[w] = u;
    m->row_start = xmalloc(((size_t)c->ngroups + 1) * sizeof *m->row_start);
    m->prior_start = xmalloc(((size_t)c->ngroups + 1) * sizeof *m->prior_start);
    m->row_start[0] = m->prior_start[0] = 0;
    for (int g = 0; g < c->ngroups; g++) {
        size_t len = (size_t)glen(m, g, m->gen), n = (size_t)glen(m, g, m->cond);
        m->row_start[g + 1] = m->row_start[g] + len;
        m->prior_start[g + 1] = m->prior_start[g] + len * (n + 1);
    }
    m->prior = xmalloc((m->prior_start[c->ngroups] + 1) * sizeof *m->prior);
    compute_prior(m);
}

/* A sentence seen from the model's direction: n conditioning and len
 * generated words; the cell of (i, j) (0-based) is cells[i * si + j * sj]. */
typedef struct {
    int n, len, g;
    const int32_t *cond, *gen, *cells;
    size_t si, sj;
} View;

static View view(const Ibm2Model *m, long s) {
    const AlignCorpus *c = m->c;
    View v;
    v.g = c->group[s];
    v.n = align_corpus_len(c, m->cond, s);
    v.len = align_corpus_len(c, m->gen, s);
    v.cond = c->tok[m->cond] + c->tok_start[m->cond][s];
    v.gen = c->tok[m->gen] + c->tok_start[m->gen][s];
    v.cells = c->cells + c->cell_start[s];
    int tgt_len = align_corpus_len(c, 1, s); /* cells are row-major over (source, target) */
    v.si = m->gen == 1 ? (size_t)tgt_len : 1;
    v.sj = m->gen == 1 ? 1 : (size_t)tgt_len;
    return v;
}

/* Posteriors of sentence s: post[j * (n + 1) + i] = p(a_j = i | f, e), i = 0 is
 * NULL. Returns log p(f | e) (up to the length term); *d gets sum gamma * dist. */
static double posteriors(const Ibm2Model *m, long s, double *post, double *d) {
    View v = view(m, s);
    const double *prior = m->prior + m->prior_start[v.g];
    double ll = 0, dsum = 0;
    for (int j = 0; j < v.len; j++) {
        double *q = post + (size_t)j * (v.n + 1);
        const double *pr = prior + (size_t)j * (v.n + 1);
        double z = q[0] = pr[0] * m->t_null[v.gen[j]];
        for (int i = 0; i < v.n; i++) z += q[i + 1] = pr[i + 1] * m->t[v.cells[i * v.si + j * v.sj]];
        if (!(z > 0)) { /* every probability underflowed: this word teaches nothing */
            memset(q, 0, (size_t)(v.n + 1) * sizeof *q);
            continue;
        }
        ll += log(z);
        for (int i = 0; i <= v.n; i++) q[i] /= z;
        for (int i = 1; i <= v.n; i++) dsum += q[i] * dist(i, v.n, j + 1, v.len);
    }
    *d = dsum;
    return ll;
}

/* New t from expected counts; in place over count arrays. */
static void normalize(Ibm2Model *m, double *count, double *count_null) {
    const AlignCorpus *c = m->c;
    size_t nc = (size_t)c->vocab[m->cond].n, ng = (size_t)c->vocab[m->gen].n;
    double a = m->alpha, *tot = xcalloc(nc + 1, sizeof *tot), tot_null = 0;
    const int32_t *cw = c->pair_word[m->cond];
    for (int32_t p = 0; p < c->npairs; p++) tot[cw[p]] += count[p] + a;
    for (size_t w = 0; w < ng; w++) tot_null += count_null[w] + a;
    /* Variational Bayes replaces c / total by exp(psi(c + a)) / exp(psi(total)):
     * rare pairs lose more than frequent ones, which tames garbage collectors. */
    if (a > 0) {
        for (size_t w = 0; w < nc; w++) tot[w] = ibm2_digamma(tot[w]);
        for (int32_t p = 0; p < c->npairs; p++) m->t[p] = exp(ibm2_digamma(count[p] + a) - tot[cw[p]]);
        double zn = ibm2_digamma(tot_null);
        for (size_t w = 0; w < ng; w++) m->t_null[w] = exp(ibm2_digamma(count_null[w] + a) - zn);
    } else {
        for (int32_t p = 0; p < c->npairs; p++) m->t[p] = tot[cw[p]] > 0 ? count[p] / tot[cw[p]] : 0;
        for (size_t w = 0; w < ng; w++) m->t_null[w] = tot_null > 0 ? count_null[w] / tot_null : 0;
    }
    free(tot);
}

/* Newton's method on Q(lambda) = -lambda D - sum_{g,j} W[g,j] log Z_gj(lambda),
 * the part of the expected log-likelihood that depends on lambda. Q is
 * concave: Q' = -D + sum W E[dist], Q'' = -sum W Var[dist]. */
static void update_lambda(Ibm2Model *m, double D, const double *W) {
    const AlignCorpus *c = m->c;
    double lambda = m->lambda;
    for (int step = 0; step < 50; step++) {
        double g1 = -D, g2 = 0;
        for (int g = 0; g < c->ngroups; g++) {
            int n = glen(m, g, m->cond), len = glen(m, g, m->gen);
            for (int j = 1; j <= len; j++) {
                double w = W[m->row_start[g] + (size_t)(j - 1)];
                if (w == 0) continue;
                double z = 0, e1 = 0, e2 = 0;
                for (int i = 1; i <= n; i++) {
                    double d = dist(i, n, j, len), u = exp(-lambda * d);
                    z += u;
                    e1 += u * d;
                    e2 += u * d * d;
                }
                e1 /= z;
                e2 /= z;
                g1 += w * e1;
                g2 -= w * (e2 - e1 * e1);
            }
        }
        if (!(g2 < 0)) break; /* flat: every sentence has one word on a side */
        double next = lambda - g1 / g2;
        if (next < 0) next = 0;
        if (next > LAMBDA_MAX) next = LAMBDA_MAX;
        int done = fabs(next - lambda) < 1e-9 * (1 + lambda);
        lambda = next;
        if (done) break;
    }
    m->lambda = lambda;
}

void ibm2_iteration(Ibm2Model *m) {
    const AlignCorpus *c = m->c;
    double *count = xcalloc((size_t)c->npairs + 1, sizeof *count);
    double *count_null = xcalloc((size_t)c->vocab[m->gen].n + 1, sizeof *count_null);
    double *W = xcalloc(m->row_start[c->ngroups] + 1, sizeof *W); /* non-NULL mass per (group, j) */
    size_t *off = xmalloc((BLOCK + 1) * sizeof *off);
    double *ll = xmalloc(BLOCK * sizeof *ll), *dd = xmalloc(BLOCK * sizeof *dd), *post = NULL;
    size_t post_cap = 0;
    double loglik = 0, D = 0;
    long ntok = 0;
    for (long b = 0; b < c->nsent; b += BLOCK) {
        long e = b + BLOCK < c->nsent ? b + BLOCK : c->nsent;
        off[0] = 0;
        for (long s = b; s < e; s++) {
            size_t sz = c->group[s] < 0 ? 0 : (size_t)align_corpus_len(c, m->gen, s) * (align_corpus_len(c, m->cond, s) + 1);
            off[s - b + 1] = off[s - b] + sz;
        }
        if (off[e - b] > post_cap) {
            post_cap = off[e - b];
            free(post);
            post = xmalloc(post_cap * sizeof *post);
        }
#pragma omp parallel for schedule(dynamic, 16) num_threads(nthreads(m))
        for (long s = b; s < e; s++) {
            ll[s - b] = dd[s - b] = 0;
            if (c->group[s] >= 0) ll[s - b] = posteriors(m, s, post + off[s - b], &dd[s - b]);
        }
        /* Sum in corpus order: the same result for any number of threads. */
        for (long s = b; s < e; s++) {
            if (c->group[s] < 0) continue;
            View v = view(m, s);
            const double *q = post + off[s - b];
            double *w = W + m->row_start[v.g];
            for (int j = 0; j < v.len; j++, q += v.n + 1) {
                count_null[v.gen[j]] += q[0];
                w[j] += 1 - q[0];
                for (int i = 0; i < v.n; i++) count[v.cells[i * v.si + j * v.sj]] += q[i + 1];
            }
            loglik += ll[s - b];
            D += dd[s - b];
            ntok += v.len;
        }
    }
    normalize(m, count, count_null);
    if (m->optimize_lambda) {
        update_lambda(m, D, W);
        compute_prior(m);
    }
    m->loglik = loglik;
    m->ntokens = ntok;
    m->iteration++;
    free(count);
    free(count_null);
    free(W);
    free(off);
    free(ll);
    free(dd);
    free(post);
}

void ibm2_train(Ibm2Model *m, const AlignCorpus *c, const Ibm2Options *o, FILE *log) {
    ibm2_init(m, c, o);
    for (int it = 0; it < o->iterations; it++) {
        double t0 = now_seconds();
        ibm2_iteration(m);
        if (log)
            fprintf(log, "%s iteration %d: log-likelihood per word %.4f, lambda %.3f (%.2f s)\n",
                    o->reverse ? "reverse" : "forward", it + 1, m->ntokens ? m->loglik / (double)m->ntokens : 0,
                    m->lambda, now_seconds() - t0);
    }
}

void ibm2_viterbi(const Ibm2Model *m, Alignment *out) {
    const AlignCorpus *c = m->c;
    /* best[k]: the 0-based conditioning position for generated token k, -1 for NULL */
    size_t ntok = c->tok_start[m->gen][c->nsent];
    int32_t *best = xmalloc((ntok + 1) * sizeof *best);
#pragma omp parallel for schedule(dynamic, 64) num_threads(nthreads(m))
    for (long s = 0; s < c->nsent; s++) {
        if (c->group[s] < 0) continue;
        View v = view(m, s);
        const double *prior = m->prior + m->prior_start[v.g];
        int32_t *b = best + c->tok_start[m->gen][s];
        for (int j = 0; j < v.len; j++) {
            const double *pr = prior + (size_t)j * (v.n + 1);
            double top = pr[0] * m->t_null[v.gen[j]];
            int arg = -1;
            for (int i = 0; i < v.n; i++) {
                double p = pr[i + 1] * m->t[v.cells[i * v.si + j * v.sj]];
                if (p > top) { /* ties go to NULL, then to the earliest word */
                    top = p;
                    arg = i;
                }
            }
            b[j] = arg;
        }
    }
    for (long s = 0; s < c->nsent; s++) {
        alignment_begin(out);
        if (c->group[s] >= 0) {
            const int32_t *b = best + c->tok_start[m->gen][s];
            for (int j = 0; j < align_corpus_len(c, m->gen, s); j++) {
                if (b[j] < 0) continue;
                if (m->gen == 1) alignment_add(out, b[j], j, 0);
                else alignment_add(out, j, b[j], 0);
            }
        }
        alignment_finish(out);
    }
    free(best);
}

double ibm2_prob(const Ibm2Model *m, const char *cond_word, const char *gen_word) {
    const AlignCorpus *c = m->c;
    int e = strtab_find(&c->vocab[m->cond], cond_word, strlen(cond_word));
    int f = strtab_find(&c->vocab[m->gen], gen_word, strlen(gen_word));
    if (f < 0) return -1;
    if (strcmp(cond_word, "NULL") == 0 && e < 0) return m->t_null[f];
    for (int32_t p = 0; p < c->npairs; p++)
        if (c->pair_word[m->cond][p] == e && c->pair_word[m->gen][p] == f) return m->t[p];
    return -1;
}

void ibm2_free(Ibm2Model *m) {
    free(m->t);
    free(m->t_null);
    free(m->row_start);
    free(m->prior_start);
    free(m->prior);
    memset(m, 0, sizeof *m);
}
