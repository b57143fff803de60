/* pipeline.c — nmt-align's jobs, from files to files. */
#include "align/pipeline.h"
#include "sys/lines.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static int read_token_counts(const char *path, int **len, long *n, char *err, size_t errsz) {
    LineReader r;
    if (linereader_open(&r, path) != 0) {
        snprintf(err, errsz, "cannot open %s: %s", path, strerror(errno));
        return -1;
    }
    long cap = 1024;
    *len = xmalloc((size_t)cap * sizeof **len);
    *n = 0;
    while (linereader_next(&r)) {
        if (*n == cap) *len = xrealloc(*len, (size_t)(cap *= 2) * sizeof **len);
        (*len)[(*n)++] = align_count_tokens(r.line);
    }
    linereader_close(&r);
    return 0;
}

int align_read_lengths(const char *src, const char *tgt, int **src_len, int **tgt_len, long *n, char *err,
                       size_t errsz) {
    long ns = 0, nt = 0;
    *src_len = *tgt_len = NULL;
    if (read_token_counts(src, src_len, &ns, err, errsz) != 0) return -1;
    if (read_token_counts(tgt, tgt_len, &nt, err, errsz) != 0) return -1;
    if (ns != nt) {
        snprintf(err, errsz, "line counts differ: %s has %ld lines, %s has %ld", src, ns, tgt, nt);
        return -1;
    }
    *n = ns;
    return 0;
}

/* Every sentence of a (read from path, in base) inside the given lengths. */
static int check_against(const Alignment *a, const char *path, int base, const int *src_len, const int *tgt_len,
                         long n, const char *src, char *err, size_t errsz) {
    if (a->nsent != n) {
        snprintf(err, errsz, "line counts differ: %s has %ld lines, %s has %ld", path, a->nsent, src, n);
        return -1;
    }
    char why[200];
    for (long s = 0; s < n; s++)
        if (alignment_check_sentence(a, s, src_len[s], tgt_len[s], base, why, sizeof why) != 0) {
            snprintf(err, errsz, "%s:%ld: %s", path, s + 1, why);
            return -1;
        }
    return 0;
}

int align_read_checked(Alignment *a, const char *path, int base, int allow_possible, const char *src,
                       const char *tgt, char *err, size_t errsz) {
    if (alignment_read_file(a, path, base, allow_possible, err, errsz) != 0) return -1;
    int *sl = NULL, *tl = NULL, rc = -1;
    long n = 0;
    if (align_read_lengths(src, tgt, &sl, &tl, &n, err, errsz) == 0)
        rc = check_against(a, path, base, sl, tl, n, src, err, errsz);
    free(sl);
    free(tl);
    return rc;
}

int align_symmetrize_files(const char *fwd, const char *rev, const char *src, const char *tgt, SymMethod method,
                           const char *out, char *err, size_t errsz) {
    Alignment a, b, sym;
    alignment_init(&a);
    alignment_init(&b);
    alignment_init(&sym);
    int *sl = NULL, *tl = NULL, rc = -1;
    long n = 0;
    if (alignment_read_file(&a, fwd, 0, 0, err, errsz) != 0 || alignment_read_file(&b, rev, 0, 0, err, errsz) != 0)
        goto done;
    if (src && tgt) {
        if (align_read_lengths(src, tgt, &sl, &tl, &n, err, errsz) != 0) goto done;
        if (check_against(&a, fwd, 0, sl, tl, n, src, err, errsz) != 0) goto done;
        if (check_against(&b, rev, 0, sl, tl, n, src, err, errsz) != 0) goto done;
    } else if (a.nsent != b.nsent) {
        snprintf(err, errsz, "line counts differ: %s has %ld lines, %s has %ld", fwd, a.nsent, rev, b.nsent);
        goto done;
    }
    if (symmetrize(&a, &b, method, &sym, err, errsz) != 0) goto done;
    rc = alignment_write_file(&sym, out, err, errsz);
done:
    free(sl);
    free(tl);
    alignment_free(&a);
    alignment_free(&b);
    alignment_free(&sym);
    return rc;
}

int align_score_files(const char *gold, int gold_base, const char *hyp, const char *src, const char *tgt,
                      AerCounts *counts, char *err, size_t errsz) {
    Alignment g, h;
    alignment_init(&g);
    alignment_init(&h);
    int *sl = NULL, *tl = NULL, rc = -1;
    long n = 0;
    if (alignment_read_file(&g, gold, gold_base, 1, err, errsz) != 0) goto done;
    if (alignment_read_file(&h, hyp, 0, 0, err, errsz) != 0) goto done;
    const char *hyp_name = strcmp(hyp, "-") == 0 ? "<stdin>" : hyp;
    if (src && tgt) {
        if (align_read_lengths(src, tgt, &sl, &tl, &n, err, errsz) != 0) goto done;
        if (check_against(&g, gold, gold_base, sl, tl, n, src, err, errsz) != 0) goto done;
        if (check_against(&h, hyp_name, 0, sl, tl, n, src, err, errsz) != 0) goto done;
    } else if (h.nsent != g.nsent) {
        snprintf(err, errsz, "line counts differ: %s has %ld lines, %s has %ld", hyp_name, h.nsent, gold, g.nsent);
        goto done;
    }
    memset(counts, 0, sizeof *counts);
    if (aer_add(counts, &h, &g, err, errsz) != 0) goto done;
    /* Nothing to measure is an error, not a score: an empty gold is the
     * wrong file (or a cut one), and without sure and hypothesis links AER,
     * precision and recall are all 0/0. One empty side alone is a real
     * result (AER 1 without hypothesis links), its undefined ratio NaN. */
    if (counts->possible == 0) {
        snprintf(err, errsz, "%s: no gold links to score against", gold);
        goto done;
    }
    if (counts->hyp == 0 && counts->sure == 0) {
        snprintf(err, errsz, "%s has no sure links and %s no links: AER, precision and recall are undefined", gold,
                 hyp_name);
        goto done;
    }
    rc = 0;
done:
    free(sl);
    free(tl);
    alignment_free(&g);
    alignment_free(&h);
    return rc;
}

int align_train_files(const AlignTrainJob *job, char *err, size_t errsz) {
    AlignCorpus c;
    align_corpus_init(&c);
    double t0 = now_seconds();
    if (align_corpus_read(&c, job->src, job->tgt, err, errsz) != 0) {
        align_corpus_free(&c);
        return -1;
    }
    if (job->log)
        fprintf(job->log, "corpus: %ld pairs, %d + %d word types, %d co-occurring pairs (%.2f s)\n", c.nsent,
                c.vocab[0].n, c.vocab[1].n, c.npairs, now_seconds() - t0);
    Alignment dir[2];
    int want[2] = {job->forward, job->reverse}, rc = 0;
    const char *dir_out[2] = {job->forward_out, job->reverse_out};
    for (int d = 0; d < 2; d++) {
        alignment_init(&dir[d]);
        if (!want[d]) continue;
        Ibm2Options o = job->opt;
        o.reverse = d;
        Ibm2Model m;
        ibm2_train(&m, &c, &o, job->log);
        ibm2_viterbi(&m, &dir[d]);
        ibm2_free(&m);
        if (rc == 0 && dir_out[d]) rc = alignment_write_file(&dir[d], dir_out[d], err, errsz);
    }
    if (rc == 0) {
        if (want[0] && want[1]) {
            Alignment sym;
            alignment_init(&sym);
            rc = symmetrize(&dir[0], &dir[1], job->method, &sym, err, errsz);
            if (rc == 0) rc = alignment_write_file(&sym, job->out, err, errsz);
            alignment_free(&sym);
        } else {
            rc = alignment_write_file(&dir[want[0] ? 0 : 1], job->out, err, errsz);
        }
    }
    if (job->log) fprintf(job->log, "done in %.2f s\n", now_seconds() - t0);
    alignment_free(&dir[0]);
    alignment_free(&dir[1]);
    align_corpus_free(&c);
    return rc;
}
