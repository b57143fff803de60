/* nmt-bench — measurements behind `make bench` (bench/run.sh drives it).
 *
 *   nmt-bench gemm [--threads N]           product rates at the model's shapes: OpenBLAS fp32,
 *                                          oneDNN fp32 and oneDNN bf16 (1 thread: every shape;
 *                                          N threads: the largest, one product per thread)
 *   nmt-bench train --threads N [--data D] [--compare] [--profile]
 *                                          training throughput at emb 256 / hidden 512 / batch 64;
 *                                          with --compare, for each kind of product in turn;
 *                                          with --profile, the product time by shape on stderr
 *   nmt-bench bpe --data D                 BPE learning (8,000 merges) and encoding speed
 *   nmt-bench reduce [--params N] [--updates N]
 *                                          under mpirun: time of one gradient reduction of N
 *                                          floats (pipelined chain + broadcast), as training does it
 *   nmt-bench decode --threads N [--model M --input F]
 *                                          sentences/s, greedy and beam 5; with a trained model
 *                                          and its test text, else a random model of the training
 *                                          benchmark's size on generated sentences (whose outputs
 *                                          then run to the maximum length); at the precision of
 *                                          NMT_GEMM_PRECISION (fp32, bf16 or int8), fp32 without
 *
 * Each prints one JSON object on stdout. With --data pointing at Multi30k
 * (train.de / train.en), training uses its real sentence pairs; otherwise
 * generated batches with the same length distribution. Under mpirun, train
 * runs data-parallel over the ranks (rank 0 prints). */
#include <math.h>
#include <omp.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "nn/blas.h"
#include "nn/gemm_profile.h"
#include "nn/rng.h"
#include "sys/cli.h"
#include "sys/dist.h"
#include "sys/files.h"
#include "sys/lines.h"
#include "sys/util.h"
#include "train/trainer.h"
#include "translate/int8.h"
#include "translate/translator.h"
#include "vocab/build.h"

static long peak_rss_kb(void) {
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_maxrss;
}

/* GFLOP/s of C[M][N] = A[M][K] B[N][K]^T on each of `threads` threads at once
 * (each its own matrices), summed, with the current backend and precision.
 * In bf16, B (a weight matrix in the model) is registered, as translation
 * does with the model's parameters; A is converted at every call. */
static double gemm_rate(int M, int N, int K, int threads, double seconds) {
    double total = 0.0;
    float *B[256];
    for (int t = 0; t < threads; t++) {
        B[t] = falloc((size_t)N * K);
        for (size_t i = 0; i < (size_t)N * K; i++) B[t][i] = (float)(i % 7) * 0.01f;
        if (gemm_precision() == GEMM_BF16) gemm_weights_register(B[t], (size_t)N * K);
    }
#pragma omp parallel num_threads(threads) reduction(+ : total)
    {
        const float *b = B[omp_get_thread_num()];
        float *A = falloc((size_t)M * K), *C = falloc((size_t)M * N);
        for (size_t i = 0; i < (size_t)M * K; i++) A[i] = (float)(i % 13) * 0.01f;
        gemm(0, 1, M, N, K, 1.0f, A, K, b, K, 0.0f, C, N);
        int reps = 0;
        double t0 = now_seconds(), t;
        do {
            gemm(0, 1, M, N, K, 1.0f, A, K, b, K, 0.0f, C, N);
            reps++;
        } while ((t = now_seconds() - t0) < seconds);
        total = 2.0 * M * N * K * reps / t / 1e9;
        free(A), free(C);
    }
    for (int t = 0; t < threads; t++) gemm_weights_forget(B[t]), free(B[t]);
    return total;
}

/* The kinds of product compared */
static const struct {
    GemmBackend b;
    GemmPrecision p;
    const char *name;
} kinds[] = {{GEMM_OPENBLAS, GEMM_FP32, "openblas-fp32"}, {GEMM_DNNL, GEMM_FP32, "onednn-fp32"},
             {GEMM_DNNL, GEMM_BF16, "onednn-bf16"}};

/* The model's products at emb 256 / hidden 512 / vocab 8000 (shard 32, batch 64):
 * output layer per target step and per sentence batch, GRU input and recurrent
 * projections, and the whole batch's output layer. */
static int bench_gemm(int threads) {
    static const int shapes[][3] = {{64, 8000, 1792}, {32, 1536, 512}, {64, 1536, 512}, {320, 8000, 512},
                                    {1024, 8000, 1792}};
    GemmBackend b0 = gemm_backend();
    GemmPrecision p0 = gemm_precision();
    /* one thread: every shape; more: the largest, where throughput matters most.
     * The kinds take turns, three rounds, best kept: on a shared machine other
     * jobs then slow each kind alike and the best round is the least disturbed. */
    for (int s = threads == 1 ? 0 : 4; s < 5; s++) {
        double best[3] = {0, 0, 0};
        for (int round = 0; round < 3; round++)
            for (int k = 0; k < 3; k++) {
                gemm_set_backend(kinds[k].b), gemm_set_precision(kinds[k].p);
                double x = gemm_rate(shapes[s][0], shapes[s][1], shapes[s][2], threads, 0.4);
                if (x > best[k]) best[k] = x;
            }
        for (int k = 0; k < 3; k++) {
            const double r = best[k];
            gemm_set_backend(kinds[k].b), gemm_set_precision(kinds[k].p);
            printf("{\"bench\": \"gemm\", \"threads\": %d, \"m\": %d, \"n\": %d, \"k\": %d, \"kind\": \"%s\", "
                   "\"gflops\": %.2f, \"kernels\": \"%s\"}\n",
                   threads, shapes[s][0], shapes[s][1], shapes[s][2], kinds[k].name, r, blas_kernel_name());
            fflush(stdout);
        }
    }
    gemm_set_backend(b0), gemm_set_precision(p0);
    return 0;
}

/* Forward-pass FLOPs of the matrix products for one pair (Ts, Tt): twice
 * the multiply-adds the layers count (model/seq2seq.h). */
static double forward_flops(const ModelConfig *c, int Ts, int Tt) { return 2.0 * seq2seq_forward_madds(c, Ts, Tt); }

typedef struct {
    TrainData d;
    int *storage;
} Data;

/* Multi30k-like lengths: source ~ N(13, 4), target ~ source +- 2, in subword tokens. */
static Data generated_data(int n, int V, uint64_t seed) {
    Data g = {0};
    Rng rng;
    rng_seed(&rng, seed, 77);
    g.d.n = n;
    g.d.src = xmalloc(sizeof(int *) * (size_t)n), g.d.tgt = xmalloc(sizeof(int *) * (size_t)n);
    g.d.src_len = xmalloc(sizeof(int) * (size_t)n), g.d.tgt_len = xmalloc(sizeof(int) * (size_t)n);
    g.storage = xmalloc(sizeof(int) * (size_t)n * 80);
    for (int i = 0; i < n; i++) {
        int ls = (int)lrintf(13.0f + 4.0f * rng_normal(&rng)), lt = ls + (int)rng_below(&rng, 5) - 2;
        ls = ls < 3 ? 3 : ls > 40 ? 40 : ls, lt = lt < 3 ? 3 : lt > 40 ? 40 : lt;
        int *s = g.storage + (size_t)i * 80, *t = s + 40;
        for (int k = 0; k < ls; k++) s[k] = 4 + (int)rng_below(&rng, (uint32_t)(V - 4));
        for (int k = 0; k < lt; k++) t[k] = 4 + (int)rng_below(&rng, (uint32_t)(V - 4));
        g.d.src[i] = s, g.d.tgt[i] = t, g.d.src_len[i] = ls, g.d.tgt_len[i] = lt;
    }
    return g;
}

static Vocab *multi30k_vocab(const char *dir, char *src, char *tgt, size_t n) {
    snprintf(src, n, "%s/train.de", dir);
    snprintf(tgt, n, "%s/train.en", dir);
    VocabConfig vc;
    vocab_config_init(&vc);
    vc.bpe_merges = 8000;
    vc.joint = 1;
    return vocab_build(&vc, src, tgt, NULL);
}

/* With compare, the kinds of product take turns update by update, on the
 * same batches (one model, trained by all in turn): load from other jobs on
 * the machine then falls on all alike, and the ratios hold. */
/* The profile of the timed updates' products (nn/gemm_profile.h), on
 * stderr: per shape, calls per update, milliseconds per update (summed over
 * the threads), share of the products' time, and the rate one thread got. */
static void print_gemm_profile(int updates, int threads, double seconds) {
    enum { ROWS = 30 };
    GemmShapeTime rows[ROWS];
    const int n = gemm_profile_read(rows, ROWS);
    GemmShapeTime *all = xmalloc(sizeof *all * (size_t)(n ? n : 1));
    gemm_profile_read(all, n);
    double total = 0.0;
    for (int i = 0; i < n; i++) total += all[i].seconds;
    free(all);
    static const char *const names[] = {"fp32", "bf16", "int8"};
    fprintf(stderr, "products: %.1f%% of the %d threads' time (%.3f of %.3f thread-seconds), %d shapes\n",
            100.0 * total / (seconds * threads), threads, total, seconds * threads, n);
    fprintf(stderr, "%-4s %6s %6s %6s %5s %9s %9s %7s %8s\n", "op", "M", "N", "K", "prec", "calls/upd", "ms/upd",
            "share", "GFLOP/s");
    for (int i = 0; i < (n < ROWS ? n : ROWS); i++) {
        const GemmShapeTime *r = &rows[i];
        const double flop = 2.0 * r->M * r->N * (double)r->K * (double)r->calls;
        fprintf(stderr, "%s%s   %6d %6d %6d %5s %9.1f %9.3f %6.1f%% %8.1f\n", r->ta ? "T" : "N", r->tb ? "T" : "N", r->M,
                r->N, r->K, names[r->precision], (double)r->calls / updates, 1e3 * r->seconds / updates,
                100.0 * r->seconds / total, r->seconds > 0 ? flop / r->seconds / 1e9 : 0.0);
    }
}

static int bench_train(const ModelConfig *shape, int threads, const char *data_dir, int updates, int compare,
                       int profile) {
    ModelConfig cfg = *shape; /* nmt-train's defaults (emb 256 / hidden 512, Bahdanau), or the flags given */
    TrainData d;
    Data gen = {0};
    ParallelCorpus *pc = NULL;
    Vocab *v = NULL;
    const char *source = "generated";
    if (data_dir) {
        char src[4096], tgt[4096];
        v = multi30k_vocab(data_dir, src, tgt, sizeof src);
        pc = corpus_load(v, src, tgt, 100, 0, NULL);
        d = train_data_from_corpus(pc);
        cfg.src_vocab = vocab_size(v, VOCAB_SRC), cfg.tgt_vocab = vocab_size(v, VOCAB_TGT);
        source = "multi30k de-en, joint BPE 8000";
    } else {
        cfg.src_vocab = cfg.tgt_vocab = 8000;
        gen = generated_data(29000, 8000, 1);
        d = gen.d;
    }
    Model m = {.cfg = cfg};
    size_t n = model_num_params(&cfg);
    m.params = falloc(n);
    model_bind(&cfg, m.params, &m.p);
    model_init_params(&cfg, m.params, 1);
    TrainOptions o;
    train_options_default(&o);
    o.threads = threads;
    /* one precision (NMT_GEMM_PRECISION): the trainer keeps the weights' bf16 copy itself;
     * --compare switches kinds between updates and keeps the copy here */
    o.precision = compare ? GEMM_FP32 : gemm_precision();
    omp_set_num_threads(threads);
    Trainer *t = trainer_new(&m, &o, NULL, NULL);
    EpochPlan plan;
    epoch_plan(&plan, &d, o.batch, 1, 0);
    const int warmup = 2, nk = compare ? 3 : 1;
    long tokens[3] = {0};
    double flops[3] = {0}, secs[3] = {0}, nll[3] = {0};
    /* bf16 reads the parameters' bf16 copy, refreshed before every update
     * (the conversion counts in its time) */
    const int any_bf16 = compare;
    if (any_bf16) gemm_weights_register(m.params, n);
    for (int u = 0; u < warmup + updates; u++) {
        if (profile && u == warmup) gemm_profile(1);
        int b = u % plan.n_batches;
        const int *idx = plan.order + plan.start[b];
        int Ts = 0, Tt = 0;
        for (int i = 0; i < plan.count[b]; i++) {
            if (d.src_len[idx[i]] > Ts) Ts = d.src_len[idx[i]];
            if (d.tgt_len[idx[i]] + 1 > Tt) Tt = d.tgt_len[idx[i]] + 1;
        }
        for (int k = 0; k < nk; k++) {
            if (compare) gemm_set_backend(kinds[k].b), gemm_set_precision(kinds[k].p);
            double t0 = now_seconds();
            if (compare && gemm_precision() == GEMM_BF16) gemm_weights_refresh(m.params);
            LossSum ls = trainer_update(t, &d, idx, plan.count[b]);
            if (u < warmup) continue;
            secs[k] += now_seconds() - t0;
            tokens[k] += ls.tokens, nll[k] += ls.nll;
            /* padded shapes are what the machine computes */
            flops[k] += 3.0 * plan.count[b] * forward_flops(&cfg, Ts, Tt);
        }
    }
    if (any_bf16) gemm_weights_forget(m.params);
    if (profile) {
        gemm_profile(0);
        if (dist_rank() == 0) print_gemm_profile(updates, threads, secs[0] + secs[1] + secs[2]);
    }
    for (int k = 0; k < nk && dist_rank() == 0; k++) { /* tokens are the whole minibatch's: the ranks' rate together */
        if (compare) gemm_set_backend(kinds[k].b), gemm_set_precision(kinds[k].p);
        printf("{\"bench\": \"train\", %s%s%s\"ranks\": %d, \"shared\": %d, \"reduce_ms\": %.2f, \"early_chunks\": \"%ld/%ld\", "
               "\"early_totals\": \"%ld/%ld\", \"threads\": %d, \"heads\": %d, "
               "\"enc_depth\": %d, \"dec_depth\": %d, \"layer_norm\": %d, \"data\": \"%s\", \"params\": %zu, "
               "\"src_vocab\": %d, \"tgt_vocab\": %d, \"updates\": %d, \"seconds\": %.3f, \"tokens_per_s\": %.1f, "
               "\"gflops\": %.2f, \"flops_per_token\": %.4g, \"nll_per_token\": %.4f, \"peak_rss_kb\": %ld, "
               "\"floor_kb\": %zu, \"kernels\": \"%s\"}\n",
               compare ? "\"compare\": \"" : "", compare ? kinds[k].name : "", compare ? "\", " : "", dist_size(),
               t->ws.shared != NULL, t->comm_updates ? 1e3 * t->comm_seconds / (double)t->comm_updates : 0.0, t->early_chunks,
               t->all_chunks, t->early_totals, t->kept_totals, threads, cfg.heads,
               cfg.enc_depth, cfg.dec_depth, cfg.layer_norm, source, n, cfg.src_vocab, cfg.tgt_vocab, updates, secs[k], tokens[k] / secs[k],
               flops[k] / secs[k] / 1e9, flops[k] / tokens[k], nll[k] / tokens[k], peak_rss_kb(),
               trainer_memory_floor(t) / 1024, blas_kernel_name());
    }
    trainer_free(t);
    epoch_plan_free(&plan);
    free(m.params);
    if (pc) {
        train_data_free_views(&d);
        corpus_free(pc);
        vocab_free(v);
    } else {
        free(gen.d.src), free(gen.d.tgt), free(gen.d.src_len), free(gen.d.tgt_len), free(gen.storage);
    }
    return 0;
}

typedef struct {
    float *g;
    int threads;
} AddCtx;

static void add_incoming(void *vctx, const float *incoming, size_t lo, size_t hi) {
    float *g = ((AddCtx *)vctx)->g;
    if (!incoming) return;
    const long a = (long)lo, b = (long)hi;
#pragma omp parallel for schedule(static) num_threads(((AddCtx *)vctx)->threads)
    for (long i = a; i < b; i++) g[i] = incoming[i - a] + g[i];
}

/* The communication of one update alone, every rank owning one shard, as
 * train/update.c does it: the chain up, then, when the ranks share one host
 * and split the optimizer step, the totals back down as far as each rank's
 * slice and the updated slices gathered by every rank; across hosts, the
 * totals all the way back down and nothing gathered. */
static int bench_reduce(size_t n, int reps, int threads) {
    const int P = dist_size(), r = dist_rank(), split = update_shards_optimizer(P);
    float *g = falloc(n), *in = falloc(n);
    for (size_t i = 0; i < n; i++) g[i] = (float)(i % 17) * 1e-3f;
    AddCtx c = {g, threads};
    size_t *lo = xmalloc(sizeof(size_t) * (size_t)P), *len = xmalloc(sizeof(size_t) * (size_t)P);
    for (int q = 0; q < P; q++) {
        if (split) optimizer_rank_slice(n, P, q, &lo[q], &len[q]);
        else lo[q] = 0, len[q] = n;
    }
    double best = 1e30, total = 0.0;
    for (int k = 0; k < reps + 1; k++) {
        dist_or(0); /* start together */
        double t0 = now_seconds();
        dist_chain(g, in, n, chain_chunk(n, P), r - 1, r + 1 < P ? r + 1 : -1, lo[r], r > 0 ? lo[r - 1] : n,
                   add_incoming, &c);
        if (split) dist_allgather_floats(g, lo, len);
        double dt = now_seconds() - t0;
        if (k == 0) continue; /* the first one pays for connections */
        total += dt;
        if (dt < best) best = dt;
    }
    if (r == 0)
        printf("{\"bench\": \"reduce\", \"ranks\": %d, \"split_step\": %d, \"floats\": %zu, \"mean_ms\": %.2f, "
               "\"best_ms\": %.2f, \"gbit_per_s\": %.2f}\n",
               P, split, n, 1e3 * total / reps, 1e3 * best, 8.0 * sizeof(float) * n / (total / reps) / 1e9);
    free(g), free(in), free(lo), free(len);
    return 0;
}

static int bench_bpe(const char *data_dir) {
    char src[4096], tgt[4096];
    snprintf(src, sizeof src, "%s/train.de", data_dir);
    snprintf(tgt, sizeof tgt, "%s/train.en", data_dir);
    VocabConfig vc;
    vocab_config_init(&vc);
    vc.bpe_merges = 8000;
    vc.joint = 1;
    WordCounts counts[2];
    memset(counts, 0, sizeof counts);
    double t0 = now_seconds();
    vocab_count_words(&vc, src, tgt, counts, NULL);
    double t1 = now_seconds();
    Vocab *v = vocab_build_from_counts(&vc, counts);
    double t2 = now_seconds();
    size_t len;
    char *text = read_file(src, &len);
    if (!text) die("%s: cannot read", src);
    char err[256];
    long ids = 0;
    double t3 = now_seconds();
    for (char *line = text, *end; line < text + len; line = end + 1) {
        end = memchr(line, '\n', (size_t)(text + len - line));
        if (!end) end = text + len;
        int *out;
        int k = vocab_encode(v, VOCAB_SRC, line, (size_t)(end - line), &out, err, sizeof err);
        if (k > 0) ids += k;
        free(out);
    }
    double t4 = now_seconds();
    printf("{\"bench\": \"bpe\", \"merges\": %d, \"count_seconds\": %.3f, \"learn_seconds\": %.3f, "
           "\"encode_mb_per_s\": %.1f, \"encoded_tokens\": %ld, \"peak_rss_kb\": %ld}\n",
           vocab_num_merges(v, VOCAB_SRC), t1 - t0, t2 - t1, len / 1e6 / (t4 - t3), ids, peak_rss_kb());
    free(text);
    word_counts_free(&counts[0]);
    word_counts_free(&counts[1]);
    vocab_free(v);
    return 0;
}

static int bench_decode(int threads, const char *model_path, const char *input) {
    Model *m = NULL, random = {0};
    Data gen = {0};
    const int **src;
    int *len, n;
    int **owned = NULL;
    if (model_path) {
        char err[1024];
        m = model_load(model_path, NULL, err, sizeof err);
        if (!m) die("%s", err);
        if (!input) die("decode with --model needs --input (raw source text)");
        LineReader r;
        if (linereader_open(&r, input) != 0) die("%s: cannot open", input);
        n = 0;
        src = xmalloc(sizeof(int *) * 100000), len = xmalloc(sizeof(int) * 100000);
        owned = xmalloc(sizeof(int *) * 100000);
        while (linereader_next(&r) && n < 100000) {
            int *ids;
            int k = vocab_encode(m->vocab, VOCAB_SRC, r.line, r.len, &ids, err, sizeof err);
            if (k <= 0) { free(ids); continue; }
            owned[n] = ids, src[n] = ids, len[n++] = k;
        }
        linereader_close(&r);
    } else {
        random.cfg = (ModelConfig){.src_vocab = 8000, .tgt_vocab = 8000, .emb = 256, .hidden = 512, .att_dim = 512,
                                   .attention = ATTENTION_BAHDANAU, .enc_depth = 1, .dec_depth = 1};
        random.params = falloc(model_num_params(&random.cfg));
        model_bind(&random.cfg, random.params, &random.p);
        model_init_params(&random.cfg, random.params, 1);
        m = &random;
        gen = generated_data(1000, 8000, 2);
        n = gen.d.n, src = gen.d.src, len = gen.d.src_len;
    }
    const int bf16 = gemm_precision() == GEMM_BF16, int8 = gemm_precision() == GEMM_INT8;
    if (bf16) gemm_weights_register(m->params, model_num_params(&m->cfg));
    char why[512];
    if (int8 && translate_int8_prepare(m, why, sizeof why) != 0) die("%s", why); /* as nmt-translate at load */
    TranslateOptions o;
    translate_options_default(&o);
    o.threads = threads;
    NBest *out = xcalloc((size_t)n, sizeof(NBest));
    double rate[2], out_len[2];
    for (int k = 0; k < 2; k++) {
        o.search.beam = k == 0 ? 1 : 5;
        double t0 = now_seconds();
        translate_ids(m, &o, src, len, n, out);
        rate[k] = n / (now_seconds() - t0);
        long toks = 0;
        for (int i = 0; i < n; i++) toks += out[i].n ? out[i].hyps[0].len : 0, nbest_free(&out[i]);
        out_len[k] = (double)toks / n;
    }
    printf("{\"bench\": \"decode\", \"threads\": %d, \"model\": \"%s\", \"sentences\": %d, "
           "\"greedy_sent_per_s\": %.1f, \"beam5_sent_per_s\": %.1f, \"greedy_mean_out_len\": %.1f, "
           "\"beam5_mean_out_len\": %.1f, \"peak_rss_kb\": %ld, \"kernels\": \"%s\"}\n",
           threads, model_path ? model_path : "random (emb 256, hidden 512, vocab 8000)", n, rate[0], rate[1],
           out_len[0], out_len[1], peak_rss_kb(), blas_kernel_name());
    free(out);
    if (bf16) gemm_weights_forget(m->params);
    if (int8) translate_int8_release(m);
    if (model_path) {
        for (int i = 0; i < n; i++) free(owned[i]);
        free(owned), free(src), free(len);
        model_free(m);
    } else {
        free(random.params);
        free(gen.d.src), free(gen.d.tgt), free(gen.d.src_len), free(gen.d.tgt_len), free(gen.storage);
    }
    return 0;
}

typedef struct {
    int threads, updates, compare, profile;
    long params;
    const char *data, *model, *input;
    ModelConfig cfg; /* train: the model's shape, nmt-train's flags (--heads 4, --enc-depth 2, ...) */
} BenchArgs;

#define A(member) offsetof(BenchArgs, member)
static const FieldSpec BENCH_FIELDS[] = {
    {NULL, "--threads", FIELD_INT, A(threads), 1, 1, 256, .section = "", .help = "threads"},
    {NULL, "--updates", FIELD_INT, A(updates), 12, 1, 100000, .section = "", .help = "updates to time (train, reduce)"},
    {NULL, "--compare", FIELD_INT, A(compare), 0, 0, 1, .flags = FIELD_SWITCH, .section = "",
     .help = "train: also the other backend and precision"},
    {NULL, "--profile", FIELD_INT, A(profile), 0, 0, 1, .flags = FIELD_SWITCH, .section = "",
     .help = "train: the products' time by shape, on stderr"},
    {NULL, "--params", FIELD_LONG, A(params), 25117610, 1, 17179869184.0, .section = "",
     .help = "reduce: floats summed (make bench's training model on Multi30k)"},
    {NULL, "--data", FIELD_INPUT, A(data), .metavar = "DIR", .section = "", .help = "Multi30k (train, bpe)"},
    {NULL, "--model", FIELD_INPUT, A(model), .section = "", .help = "decode: the model"},
    {NULL, "--input", FIELD_INPUT, A(input), .section = "", .help = "decode: the text"},
};
#undef A
static const CliTable BENCH_TABLES[] = {{BENCH_FIELDS, (int)(sizeof BENCH_FIELDS / sizeof BENCH_FIELDS[0]), 0},
                                        {MODEL_CONFIG_FIELDS, 0, offsetof(BenchArgs, cfg)}};
static const char *const BENCH_SECTIONS[] = {"", "model", NULL};

int main(int argc, char **argv) {
    CliTable tables[2] = {BENCH_TABLES[0], BENCH_TABLES[1]};
    tables[1].n = MODEL_CONFIG_NFIELDS; /* not a constant expression in the static table */
    const CliCommand BENCH_COMMAND = {"usage: nmt-bench gemm|train|reduce|bpe|decode [options]\n"
                                      "(train: the model's shape takes nmt-train's flags)\n\n",
                                      tables, 2, BENCH_SECTIONS, NULL, NULL, 0, 0};
    blas_setup(argv);
    set_program_name(argv[0]);
    dist_init(&argc, &argv);
    if (argc < 2 || argv[1][0] == '-') {
        cli_help(&BENCH_COMMAND, stderr);
        return argc < 2 ? 1 : !strcmp(argv[1], "--help") ? 0 : 1;
    }
    BenchArgs a;
    memset(&a, 0, sizeof a);
    fields_set_defaults(BENCH_FIELDS, BENCH_TABLES[0].n, &a);
    model_config_default(&a.cfg);
    char err[512];
    /* argv[1] names the benchmark; the flags follow it */
    int rc = cli_parse(&BENCH_COMMAND, argc - 1, argv + 1, &a, NULL, err, sizeof err);
    if (rc == CLI_HELP) cli_help(&BENCH_COMMAND, stdout);
    if (rc == CLI_LIST) cli_list(&BENCH_COMMAND, stdout);
    if (rc == CLI_HELP || rc == CLI_LIST) return 0;
    if (rc != CLI_OK) die("%s", err);
    const int threads = a.threads, updates = a.updates, compare = a.compare;
    const long params = a.params;
    const char *data = a.data, *model = a.model, *input = a.input;
    if (!strcmp(argv[1], "gemm")) return bench_gemm(threads);
    rc = -1;
    if (!a.cfg.att_dim) a.cfg.att_dim = a.cfg.hidden; /* as nmt-train resolves it */
    if (!strcmp(argv[1], "train")) {
        a.cfg.src_vocab = a.cfg.tgt_vocab = 8000; /* for the check; the data may set others */
        if (model_config_check(&a.cfg, err, sizeof err) != 0) die("%s", err);
        rc = bench_train(&a.cfg, threads, data, updates, compare, a.profile);
    }
    if (!strcmp(argv[1], "reduce")) rc = bench_reduce((size_t)params, updates, threads);
    if (rc >= 0) {
        dist_finalize();
        return rc;
    }
    if (!strcmp(argv[1], "decode")) return bench_decode(threads, model, input);
    if (!strcmp(argv[1], "bpe")) {
        if (!data) die("bpe needs --data DIR (Multi30k)");
        return bench_bpe(data);
    }
    die("unknown benchmark '%s'", argv[1]);
}
