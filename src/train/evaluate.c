/* evaluate.c — see evaluate.h. */
#include "train/evaluate.h"

#include <stdlib.h>

#include "eval/bleu.h"
#include "model/seq2seq.h"
#include "search/search.h"
#include "sys/util.h"

double evaluate_loss(const Model *m, const TrainData *d, int batch, int threads, long *tokens) {
    EpochPlan plan;
    sorted_plan(&plan, d, batch);
    double *nll = xcalloc((size_t)plan.n_batches + 1, sizeof(double));
    long *ntok = xcalloc((size_t)plan.n_batches + 1, sizeof(long));
#pragma omp parallel num_threads(threads)
    {
        Arena arena = {0};
        Batch bt = {0};
        const int **sp = xmalloc(sizeof(int *) * (size_t)batch), **tp = xmalloc(sizeof(int *) * (size_t)batch);
        int *sl = xmalloc(sizeof(int) * (size_t)batch), *tl = xmalloc(sizeof(int) * (size_t)batch);
#pragma omp for schedule(dynamic, 1)
        for (int b = 0; b < plan.n_batches; b++) {
            const int *idx = plan.order + plan.start[b];
            for (int i = 0; i < plan.count[b]; i++) {
                sp[i] = d->src[idx[i]], sl[i] = d->src_len[idx[i]];
                tp[i] = d->tgt[idx[i]], tl[i] = d->tgt_len[idx[i]];
            }
            batch_fill(&bt, plan.count[b], sp, sl, tp, tl);
            arena_reset(&arena);
            Encoding enc;
            DecoderActs dec;
            LossSum s = seq2seq_forward(&m->p, &bt, &arena, &enc, &dec, NULL);
            nll[b] = s.nll;
            ntok[b] = s.tokens;
        }
        free(sp), free(tp), free(sl), free(tl);
        batch_free(&bt);
        arena_free(&arena);
    }
    double total = 0;
    long count = 0;
    for (int b = 0; b < plan.n_batches; b++) total += nll[b], count += ntok[b];
    free(nll);
    free(ntok);
    epoch_plan_free(&plan);
    *tokens = count;
    return count ? total / (double)count : 0.0;
}

double evaluate_bleu(const Model *m, const TrainData *d, const char *const *refs, int batch, int threads) {
    EpochPlan plan;
    sorted_plan(&plan, d, batch);
    char **hyps = xcalloc((size_t)d->n + 1, sizeof(char *));
#pragma omp parallel num_threads(threads)
    {
        Arena workspace = {0}; /* this thread's, reused batch after batch */
        SearchOptions so;
        search_options_default(&so);
        so.beam = 1;
        so.workspace = &workspace;
#pragma omp for schedule(dynamic, 1)
        for (int b = 0; b < plan.n_batches; b++) {
            const int *idx = plan.order + plan.start[b];
            const int n = plan.count[b];
            const int **src = xmalloc(sizeof(int *) * (size_t)n);
            int *len = xmalloc(sizeof(int) * (size_t)n);
            NBest *out = xcalloc((size_t)n, sizeof(NBest));
            for (int i = 0; i < n; i++) src[i] = d->src[idx[i]], len[i] = d->src_len[idx[i]];
            greedy_search(m, src, len, n, &so, out);
            for (int i = 0; i < n; i++) {
                hyps[idx[i]] = vocab_decode(m->vocab, VOCAB_TGT, out[i].hyps[0].tokens, out[i].hyps[0].len);
                nbest_free(&out[i]);
            }
            free(out), free(len), free(src);
        }
        arena_free(&workspace);
    }
    BleuStats stats;
    bleu_stats_init(&stats, 0);
    char err[256];
    for (int i = 0; i < d->n; i++) {
        bleu_stats_add(&stats, hyps[i], &refs[i], 1, err, sizeof err); /* refs were checked on reading */
        free(hyps[i]);
    }
    BleuResult r;
    bleu_compute(&stats, &r);
    bleu_stats_free(&stats);
    free(hyps);
    epoch_plan_free(&plan);
    return r.score;
}
