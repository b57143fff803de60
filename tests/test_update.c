/* Tests for one training update (src/train/update.c) in a single process:
 * the update's gradient is the sum, in shard order, of each shard's
 * seq2seq_train_step (near-equal shards of at most --shard-size pairs, each
 * drawing from the seed, the update number and its shard number, guidance
 * at the update's weight), and the step is the optimizer's on that sum at
 * the warmed-up rate; 1 and 2 OpenMP threads give the same bits; the plans
 * of shards and optimizer slices among ranks; the learning-rate warm-up;
 * the moving average swapped in and out; the memory floor. */
#include <omp.h>
#include <string.h>

#include "model/batch.h"
#include "model/model.h"
#include "model/seq2seq.h"
#include "nn/rng.h"
#include "sys/util.h"
#include "test.h"
#include "train/guidance.h"
#include "train/optim.h"
#include "train/state.h"
#include "train/update.h"

/* ---- a tiny model, its training pairs and their gold links ---- */
enum { PAIRS = 9, BATCH = 7, SHARD = 2 };

typedef struct {
    Model m;
    TrainOptions o;
    TrainData d;
    Guidance guide;
    const int *src[PAIRS], *tgt[PAIRS];
    int src_len[PAIRS], tgt_len[PAIRS];
    long start[PAIRS + 1];
    int sub[2 * 5 * PAIRS];
} Setup;

static const int S0[] = {4, 5, 6, 7}, S1[] = {8, 4}, S2[] = {5, 5, 6}, S3[] = {7}, S4[] = {6, 8, 4, 5, 7},
                 S5[] = {4, 4}, S6[] = {8, 7, 6}, S7[] = {5}, S8[] = {6, 6, 4, 8};
static const int T0[] = {4, 5}, T1[] = {7, 4, 5}, T2[] = {6}, T3[] = {5, 6, 7, 4}, T4[] = {4}, T5[] = {6, 5},
                 T6[] = {7, 7, 4}, T7[] = {5, 4, 6}, T8[] = {4, 6};

/* The same model, data and options on every call; threads for the
 * update's shards, ema_decay > 0 for a moving average. The options are the
 * ones that reach the update: clipping that bites, label smoothing,
 * dropout, a warm-up, and guidance of weight 2 halved every update. */
static void setup(Setup *s, int threads, OptimizerType optimizer, float ema_decay) {
    memset(s, 0, sizeof *s);
    const int *src[PAIRS] = {S0, S1, S2, S3, S4, S5, S6, S7, S8}, *tgt[PAIRS] = {T0, T1, T2, T3, T4, T5, T6, T7, T8};
    const int slen[PAIRS] = {4, 2, 3, 1, 5, 2, 3, 1, 4}, tlen[PAIRS] = {2, 3, 1, 4, 1, 2, 3, 3, 2};
    long tokens = 0, k = 0;
    for (int i = 0; i < PAIRS; i++) {
        s->src[i] = src[i], s->tgt[i] = tgt[i], s->src_len[i] = slen[i], s->tgt_len[i] = tlen[i];
        tokens += tlen[i] + 1;
        /* gold links: target token t to source token min(t, last); pair 4 has none */
        for (int t = 0; t < tlen[i] && i != 4; t++, k++)
            s->sub[2 * k] = t, s->sub[2 * k + 1] = t < slen[i] ? t : slen[i] - 1;
        s->start[i + 1] = k;
    }
    s->guide = (Guidance){.n = PAIRS, .start = s->start, .sub = s->sub};
    s->d = (TrainData){.n = PAIRS, .src = s->src, .tgt = s->tgt, .src_len = s->src_len, .tgt_len = s->tgt_len,
                       .total_tgt_tokens = tokens, .guide = &s->guide};

    s->m.cfg = (ModelConfig){.src_vocab = 9, .tgt_vocab = 8, .emb = 3, .hidden = 4, .att_dim = 5,
                             .attention = ATTENTION_BAHDANAU, .decoder = DECODER_CGRU, .dropout = 0.2f,
                             .rec_dropout = 0.1f, .enc_depth = 1, .dec_depth = 1};
    s->m.params = falloc(model_num_params(&s->m.cfg));
    model_bind(&s->m.cfg, s->m.params, &s->m.p);
    model_init_params(&s->m.cfg, s->m.params, 11);

    train_options_default(&s->o);
    s->o.batch = BATCH, s->o.shard_size = SHARD, s->o.threads = threads, s->o.seed = 5;
    s->o.optimizer = optimizer, s->o.lr = 0.05f, s->o.lr_warmup = 5, s->o.clip = 0.25f;
    s->o.label_smoothing = 0.1f, s->o.ema_decay = ema_decay, s->o.quiet = 1;
    s->o.guided = 1, s->o.guide_weight = 2.0f, s->o.guide_decay = 0.5f, s->o.guide_decay_every = 1;
}

static void setup_free(Setup *s) { free(s->m.params); }

/* ---- the update by hand ---- */

/* The minibatch idx[0..count) with its guidance of weight lambda, cut into
 * the shards bounds[0..S] and summed in shard order: each shard's gradient
 * from seq2seq_train_step with the update's random stream for that shard,
 * the loss scaled by the minibatch's token count. total gets the gradient;
 * returns the summed losses. */
static LossSum update_by_hand(const Setup *s, long update, const int *idx, int count, float lambda,
                              const int *bounds, int S, float *total) {
    const size_t n = model_num_params(&s->m.cfg);
    const int *src[BATCH], *tgt[BATCH];
    int slen[BATCH], tlen[BATCH];
    for (int r = 0; r < count; r++)
        src[r] = s->src[idx[r]], tgt[r] = s->tgt[idx[r]], slen[r] = s->src_len[idx[r]], tlen[r] = s->tgt_len[idx[r]];
    Batch full = {0}, shard = {0};
    batch_fill(&full, count, src, slen, tgt, tlen);
    guidance_fill(&s->guide, &full, idx, count);
    const LossWeights w = {s->o.label_smoothing, lambda, 1.0f / (float)full.n_tgt_tokens, s->o.align_weight,
                           guidance_target(&s->o, &s->m.cfg), 0};
    float *g = falloc(n);
    ModelParams gv;
    model_bind(&s->m.cfg, g, &gv);
    Arena arena = {0};
    LossSum sum = {0};
    for (int k = 0; k < S; k++) {
        batch_slice(&shard, &full, bounds[k], bounds[k + 1] - bounds[k]);
        memset(g, 0, sizeof(float) * n);
        Rng rng; /* the stream update.c gives shard k of this update */
        rng_seed(&rng, s->o.seed, (uint64_t)update * 4096u + (uint64_t)k);
        arena_reset(&arena);
        LossSum l = seq2seq_train_step(&s->m.p, &gv, &s->m.cfg, &shard, &w, &rng, &arena, NULL);
        for (size_t i = 0; i < n; i++) total[i] = k == 0 ? g[i] : total[i] + g[i];
        sum.loss += l.loss, sum.nll += l.nll, sum.tokens += l.tokens, sum.guide += l.guide, sum.guided += l.guided;
    }
    EXPECT(sum.tokens == full.n_tgt_tokens);
    free(g);
    arena_free(&arena);
    batch_free(&full), batch_free(&shard);
    return sum;
}

static int same_floats(const float *a, const float *b, size_t n) { return memcmp(a, b, sizeof(float) * n) == 0; }

/* Update 2 on 7 pairs in shards of at most 2: four shards of 1, 2, 2 and
 * 2 pairs; guidance 2 * 0.5^2; the rate 3/5 of lr in a warm-up of 5. */
static void test_update_is_the_sum_of_its_shards_then_one_step(void) {
    Setup s;
    setup(&s, 2, OPTIM_ADAM, 0.9f);
    Trainer *t = trainer_new(&s.m, &s.o, NULL, NULL);
    EXPECT(t->ws.max_shards == 4);
    const size_t n = t->n_params;
    t->st.update = 2;
    const int idx[BATCH] = {8, 3, 0, 5, 1, 7, 2}, bounds[] = {0, 1, 3, 5, 7};
    float *total = falloc(n), *want = falloc(n), *before = falloc(n);
    memcpy(before, s.m.params, sizeof(float) * n);
    const LossSum sum = update_by_hand(&s, 2, idx, BATCH, 0.5f, bounds, 4, total);
    EXPECT(sum.guided > 0); /* pair 4 has no links; the others are guided */
    /* the step: the optimizer on the summed gradient, clipped to its norm */
    Optimizer ref;
    optim_init(&ref, OPTIM_ADAM, n, s.o.clip);
    optim_enable_ema(&ref, 0.9f, before);
    memcpy(want, before, sizeof(float) * n);
    const double norm = optim_step(&ref, want, total, 0.05f * 3 / 5);
    EXPECT_MSG(norm > s.o.clip, "gradient norm %g: clipping at %g does not bite", norm, s.o.clip);

    const LossSum got = trainer_update(t, &s.d, idx, BATCH);
    EXPECT_MSG(same_floats(t->ws.grads[0], total, n), "the gradient is not the shards' summed in shard order");
    EXPECT_MSG(same_floats(s.m.params, want, n), "the weights are not one optimizer step on the summed gradient");
    EXPECT(!same_floats(s.m.params, before, n));
    EXPECT(same_floats(t->opt.m, ref.m, n) && same_floats(t->opt.v, ref.v, n));
    EXPECT(same_floats(t->opt.ema, ref.ema, n));
    EXPECT(t->opt.step == 1);
    EXPECT(got.loss == sum.loss && got.nll == sum.nll && got.guide == sum.guide);
    EXPECT(got.tokens == sum.tokens && got.guided == sum.guided);
    optim_free(&ref);
    free(total), free(want), free(before);
    trainer_free(t);
    setup_free(&s);
}

/* Three updates (the last on fewer pairs than --batch) with 1 and with 2
 * threads: the same weights, optimizer state and losses to the bit. */
static void test_threads_give_the_same_bits(void) {
    const int saved = omp_get_max_threads();
    const int idx[3][BATCH] = {{8, 3, 0, 5, 1, 7, 2}, {4, 6, 0, 1, 2, 3, 5}, {1, 3, 5, 7, 0}};
    const int count[3] = {BATCH, BATCH, 5};
    Setup s[2];
    Trainer *t[2];
    LossSum loss[2][3];
    for (int k = 0; k < 2; k++) {
        omp_set_num_threads(k + 1);
        setup(&s[k], k + 1, OPTIM_ADAM, 0.9f);
        t[k] = trainer_new(&s[k].m, &s[k].o, NULL, NULL);
        for (int u = 0; u < 3; u++, t[k]->st.update++) loss[k][u] = trainer_update(t[k], &s[k].d, idx[u], count[u]);
    }
    omp_set_num_threads(saved);
    const size_t n = t[0]->n_params;
    EXPECT_MSG(same_floats(s[0].m.params, s[1].m.params, n), "the weights differ between 1 and 2 threads");
    EXPECT(same_floats(t[0]->opt.m, t[1]->opt.m, n) && same_floats(t[0]->opt.v, t[1]->opt.v, n));
    EXPECT(same_floats(t[0]->opt.ema, t[1]->opt.ema, n));
    for (int u = 0; u < 3; u++)
        EXPECT_MSG(loss[0][u].loss == loss[1][u].loss && loss[0][u].guide == loss[1][u].guide,
                   "update %d: loss %.17g and %.17g", u, loss[0][u].loss, loss[1][u].loss);
    for (int k = 0; k < 2; k++) trainer_free(t[k]), setup_free(&s[k]);
}

static float *copy_floats(const float *x, size_t n) {
    float *y = falloc(n);
    memcpy(y, x, sizeof(float) * n);
    return y;
}

/* A trainer made from another's state and optimizer after its first
 * update (as --resume makes one from a checkpoint) takes the second update
 * to the same bits: rate, warm-up, Adam's step count and moving average
 * carry over. */
static void test_resumed_trainer_continues_the_same_bits(void) {
    const int idx[2][BATCH] = {{8, 3, 0, 5, 1, 7, 2}, {4, 6, 0, 1, 2, 3, 5}};
    Setup s[2];
    setup(&s[0], 1, OPTIM_ADAM, 0.9f);
    setup(&s[1], 1, OPTIM_ADAM, 0.9f);
    Trainer *t = trainer_new(&s[0].m, &s[0].o, NULL, NULL);
    const size_t n = t->n_params;
    trainer_update(t, &s[0].d, idx[0], BATCH);
    t->st.update++;
    /* the second model gets the first's weights; the new trainer owns a copy of its optimizer */
    memcpy(s[1].m.params, s[0].m.params, sizeof(float) * n);
    Optimizer saved = t->opt;
    saved.m = copy_floats(t->opt.m, n), saved.v = copy_floats(t->opt.v, n), saved.ema = copy_floats(t->opt.ema, n);
    Trainer *r = trainer_new(&s[1].m, &s[1].o, &t->st, &saved);
    EXPECT(r->st.update == 1 && r->opt.step == 1);
    const LossSum a = trainer_update(t, &s[0].d, idx[1], BATCH), b = trainer_update(r, &s[1].d, idx[1], BATCH);
    EXPECT_MSG(same_floats(s[0].m.params, s[1].m.params, n), "the resumed trainer's weights differ");
    EXPECT(same_floats(t->opt.m, r->opt.m, n) && same_floats(t->opt.v, r->opt.v, n));
    EXPECT(same_floats(t->opt.ema, r->opt.ema, n));
    EXPECT(a.loss == b.loss && a.guide == b.guide);
    trainer_free(t), trainer_free(r);
    setup_free(&s[0]), setup_free(&s[1]);
}

/* The same setup with the alignment layer in the model (its tensors after
 * the others, initialized from the same seed). */
static void setup_layer(Setup *s, int threads) {
    setup(s, threads, OPTIM_ADAM, 0.9f);
    free(s->m.params);
    s->m.cfg.alignment_layer = 1, s->m.cfg.alignment_dim = 6;
    s->m.params = falloc(model_num_params(&s->m.cfg));
    model_bind(&s->m.cfg, s->m.params, &s->m.p);
    model_init_params(&s->m.cfg, s->m.params, 11);
}

/* "Translation quality unchanged", exactly: 4 updates of a model with the
 * alignment layer (trained with guidance, which goes to the layer, and a
 * heavy layer weight whose gradient the clipping of 0.25 would otherwise
 * scale everything by) leave every tensor of the translation model, its
 * Adam moments and moving average, bit-identical to 4 updates of the same
 * model without the layer and without guidance (1 and 2 threads). The
 * layer's tensors move. With one clipping norm over everything, or the
 * guidance on both attentions, the translation model's weights would
 * differ: the comparison can fail. */
static void test_layer_leaves_translation_model_bit_identical(void) {
    const int saved = omp_get_max_threads();
    const int idx[4][BATCH] = {{8, 3, 0, 5, 1, 7, 2}, {4, 6, 0, 1, 2, 3, 5}, {1, 3, 5, 7, 0}, {2, 4, 6, 8, 0, 1, 3}};
    const int count[4] = {BATCH, BATCH, 5, BATCH};
    for (int variant = 0; variant < 4; variant++) { /* 0, 1: 1 and 2 threads; 2: one norm; 3: guidance on both */
        const int threads = variant == 1 ? 2 : 1;
        omp_set_num_threads(threads);
        Setup plain, layer;
        setup(&plain, threads, OPTIM_ADAM, 0.9f);
        plain.d.guide = NULL, plain.o.guided = 0;
        setup_layer(&layer, threads);
        layer.o.align_weight = 50.0f;
        if (variant == 3) layer.o.guide_target = TRAIN_GUIDE_BOTH;
        Trainer *a = trainer_new(&plain.m, &plain.o, NULL, NULL), *b = trainer_new(&layer.m, &layer.o, NULL, NULL);
        const size_t n = a->n_params, from = model_align_from(&layer.m.cfg);
        EXPECT(from == n && b->n_params > n && b->opt.split == from);
        if (variant == 2) b->opt.split = b->n_params;
        float *layer_start = copy_floats(layer.m.params + from, b->n_params - from);
        for (int u = 0; u < 4; u++, a->st.update++, b->st.update++) {
            const LossSum la = trainer_update(a, &plain.d, idx[u], count[u]);
            const LossSum lb = trainer_update(b, &layer.d, idx[u], count[u]);
            if (variant < 2) {
                EXPECT_MSG(la.loss == lb.loss && la.nll == lb.nll, "update %d: the translation loss differs", u);
                EXPECT(lb.align_nll > 0.0 && lb.align_guide > 0.0 && la.align_nll == 0.0);
            }
        }
        const int same = same_floats(plain.m.params, layer.m.params, n) && same_floats(a->opt.m, b->opt.m, n) &&
                         same_floats(a->opt.v, b->opt.v, n) && same_floats(a->opt.ema, b->opt.ema, n);
        if (variant < 2) EXPECT_MSG(same, "%d threads: the alignment layer changed the translation model", threads);
        else EXPECT_MSG(!same, "variant %d: the translation model did not change, the test cannot fail", variant);
        EXPECT(!same_floats(layer_start, layer.m.params + from, b->n_params - from)); /* the layer trains */
        free(layer_start);
        trainer_free(a), trainer_free(b);
        setup_free(&plain), setup_free(&layer);
    }
    omp_set_num_threads(saved);
}

/* --freeze-translation: 4 updates (1 and 2 threads, Adam and SGD) leave
 * every tensor of the translation model exactly as it was, while the
 * layer's move and its losses are those of the unfrozen run at the first
 * update (the same forward pass). Unfrozen, the translation model moves
 * (the comparison can fail). */
static void test_frozen_translation_keeps_its_bits(void) {
    const int saved = omp_get_max_threads();
    const int idx[4][BATCH] = {{8, 3, 0, 5, 1, 7, 2}, {4, 6, 0, 1, 2, 3, 5}, {1, 3, 5, 7, 0}, {2, 4, 6, 8, 0, 1, 3}};
    const int count[4] = {BATCH, BATCH, 5, BATCH};
    for (int variant = 0; variant < 4; variant++) { /* 0, 1: 1 and 2 threads; 2: SGD; 3: unfrozen */
        const int threads = variant == 1 ? 2 : 1;
        omp_set_num_threads(threads);
        Setup s, ref;
        setup_layer(&s, threads);
        setup_layer(&ref, threads);
        s.o.ema_decay = ref.o.ema_decay = 0.0f;
        if (variant == 2) s.o.optimizer = ref.o.optimizer = OPTIM_SGD;
        s.o.freeze_translation = variant != 3;
        const size_t n_all = model_num_params(&s.m.cfg), from = model_align_from(&s.m.cfg);
        float *start = copy_floats(s.m.params, n_all);
        Trainer *t = trainer_new(&s.m, &s.o, NULL, NULL), *r = trainer_new(&ref.m, &ref.o, NULL, NULL);
        for (int u = 0; u < 4; u++, t->st.update++, r->st.update++) {
            const LossSum a = trainer_update(t, &s.d, idx[u], count[u]);
            const LossSum b = trainer_update(r, &ref.d, idx[u], count[u]);
            if (u == 0) EXPECT(a.loss == b.loss && a.align_nll == b.align_nll && a.align_guide == b.align_guide);
        }
        const int kept = same_floats(start, s.m.params, from);
        if (variant < 3) EXPECT_MSG(kept, "variant %d: the frozen translation model moved", variant);
        else EXPECT_MSG(!kept, "unfrozen, the translation model did not move: the test cannot fail");
        EXPECT(!same_floats(start + from, s.m.params + from, n_all - from)); /* the layer trains */
        free(start);
        trainer_free(t), trainer_free(r);
        setup_free(&s), setup_free(&ref);
    }
    omp_set_num_threads(saved);
}

/* ---- the plans ---- */

static void test_shards_split_near_equal_in_rank_order(void) {
    for (int P = 1; P <= 16; P++)
        for (int S = 0; S <= 40; S++) {
            int next = 0;
            for (int r = 0; r < P; r++) {
                int first, count;
                shard_range(S, P, r, &first, &count);
                EXPECT_MSG(first == next, "S %d P %d rank %d starts at %d, not %d", S, P, r, first, next);
                /* the first S mod P ranks one more; with S < P the last ranks none */
                const int want = S / P + (r < S % P);
                EXPECT_MSG(count == want, "S %d P %d rank %d: %d shards, not %d", S, P, r, count, want);
                next = first + count;
            }
            EXPECT_MSG(next == S, "S %d P %d: shards end at %d", S, P, next);
        }
}

static void test_slices_cover_whole_chunks_in_rank_order(void) {
    const size_t sizes[] = {0, 1, OPTIM_CHUNK - 1, OPTIM_CHUNK, 5 * OPTIM_CHUNK + 7, 19 * OPTIM_CHUNK};
    for (size_t k = 0; k < sizeof sizes / sizeof *sizes; k++)
        for (int P = 1; P <= 16; P++) {
            size_t next = 0, biggest = 0, smallest = (size_t)-1;
            for (int r = 0; r < P; r++) {
                size_t lo, len;
                optimizer_slice(sizes[k], P, r, &lo, &len);
                EXPECT_MSG(lo == next, "n %zu P %d rank %d starts at %zu, not %zu", sizes[k], P, r, lo, next);
                EXPECT_MSG(lo % OPTIM_CHUNK == 0 || len == 0, "rank %d starts inside a chunk", r);
                EXPECT_MSG((lo + len) % OPTIM_CHUNK == 0 || lo + len == sizes[k], "rank %d ends inside a chunk", r);
                next = lo + len;
                if (optim_chunks(len) > biggest) biggest = optim_chunks(len);
                if (optim_chunks(len) < smallest) smallest = optim_chunks(len);
            }
            EXPECT_MSG(next == sizes[k], "n %zu P %d: slices end at %zu", sizes[k], P, next);
            /* near-equal: no slice has more than one chunk more than another */
            EXPECT_MSG(biggest - smallest <= 1, "n %zu P %d: %zu chunks against %zu", sizes[k], P, biggest, smallest);
        }
}

/* Rank r updates slice P - 1 - r: rank 0 the end of the buffer (the output
 * layer, which the backward pass finishes first and whose totals the chain
 * brings back first), the last rank the start; back to back, every element
 * once. So the totals rank r needs, its slice and those of the ranks below
 * it, are the suffix from its slice's start. */
static void test_ranks_own_slices_from_the_end(void) {
    const size_t sizes[] = {1, OPTIM_CHUNK, 5 * OPTIM_CHUNK + 7, 19 * OPTIM_CHUNK, 1000 * OPTIM_CHUNK + 3};
    for (size_t k = 0; k < sizeof sizes / sizeof *sizes; k++)
        for (int P = 1; P <= 16; P++) {
            size_t end = sizes[k];
            for (int r = 0; r < P; r++) {
                size_t lo, len, slo, slen;
                optimizer_rank_slice(sizes[k], P, r, &lo, &len);
                optimizer_slice(sizes[k], P, P - 1 - r, &slo, &slen);
                EXPECT_MSG(lo == slo && len == slen, "n %zu P %d rank %d: not slice %d", sizes[k], P, r, P - 1 - r);
                EXPECT_MSG(lo + len == end, "n %zu P %d rank %d ends at %zu, not %zu", sizes[k], P, r, lo + len, end);
                end = lo;
            }
            EXPECT_MSG(end == 0, "n %zu P %d: the last rank's slice starts at %zu", sizes[k], P, end);
        }
    size_t lo, len;
    optimizer_rank_slice(10 * OPTIM_CHUNK, 2, 0, &lo, &len);
    EXPECT(lo == 5 * OPTIM_CHUNK && len == 5 * OPTIM_CHUNK);
    optimizer_rank_slice(10 * OPTIM_CHUNK, 2, 1, &lo, &len);
    EXPECT(lo == 0 && len == 5 * OPTIM_CHUNK);
}

/* n / 4P floats per message, within 2^14 and 2^20 (docs/scale-out.md). */
static void test_chain_chunk_bounds(void) {
    EXPECT(chain_chunk(1000, 2) == (size_t)1 << 14);
    EXPECT(chain_chunk((size_t)1 << 22, 4) == (size_t)1 << 18);
    EXPECT(chain_chunk((size_t)3 << 20, 3) == (size_t)1 << 18);
    EXPECT(chain_chunk((size_t)1 << 28, 2) == (size_t)1 << 20);
}

/* ---- the learning rate, the moving average, the memory ---- */

static void test_lr_warmup_ramps_then_holds(void) {
    TrainOptions o;
    train_options_default(&o);
    Trainer t = {.o = &o};
    t.st.lr = 0.5f;
    o.lr_warmup = 4; /* (u + 1) / 4 of the rate before update 4, the rate after */
    const float want[] = {0.125f, 0.25f, 0.375f, 0.5f, 0.5f, 0.5f};
    for (long u = 0; u < 6; u++) {
        t.st.update = u;
        EXPECT_MSG(trainer_lr(&t) == want[u], "update %ld: rate %g, not %g", u, trainer_lr(&t), want[u]);
    }
    t.st.update = 1000000;
    EXPECT(trainer_lr(&t) == 0.5f);
    t.st.lr = 0.2f, t.st.update = 1; /* of the current rate (after a decay) */
    EXPECT_NEAR(trainer_lr(&t), 0.1, 1e-8);
    o.lr_warmup = 1; /* the full rate from the first update */
    t.st.update = 0;
    EXPECT(trainer_lr(&t) == 0.2f);
    o.lr_warmup = 0; /* none */
    for (long u = 0; u < 3; u++) {
        t.st.update = u;
        EXPECT(trainer_lr(&t) == 0.2f);
    }
}

static void test_average_swaps_in_and_out(void) {
    Setup s;
    setup(&s, 1, OPTIM_ADAM, 0.9f);
    Trainer *t = trainer_new(&s.m, &s.o, NULL, NULL);
    const size_t n = t->n_params;
    const int idx[BATCH] = {0, 1, 2, 3, 4, 5, 6};
    trainer_update(t, &s.d, idx, BATCH);
    float *raw = falloc(n);
    memcpy(raw, s.m.params, sizeof(float) * n);
    trainer_use_average(t, 1);
    EXPECT_MSG(same_floats(s.m.params, t->opt.ema, n), "the model does not hold the moving average");
    EXPECT(!same_floats(s.m.params, raw, n));
    trainer_use_average(t, 0);
    EXPECT_MSG(same_floats(s.m.params, raw, n), "the training weights did not come back");
    trainer_free(t);
    setup_free(&s);

    setup(&s, 1, OPTIM_ADAM, 0.0f); /* without a moving average: nothing moves */
    t = trainer_new(&s.m, &s.o, NULL, NULL);
    trainer_update(t, &s.d, idx, BATCH);
    memcpy(raw, s.m.params, sizeof(float) * n);
    trainer_use_average(t, 1);
    EXPECT(t->opt.ema == NULL && same_floats(s.m.params, raw, n));
    trainer_free(t);
    setup_free(&s);
    free(raw);
}

/* Parameters, Adam's two moments, one gradient buffer per shard, then the
 * activations of the last minibatch. */
static void test_memory_floor(void) {
    for (int adam = 0; adam < 2; adam++) {
        Setup s;
        setup(&s, 1, adam ? OPTIM_ADAM : OPTIM_SGD, 0.0f);
        Trainer *t = trainer_new(&s.m, &s.o, NULL, NULL);
        const size_t n = t->n_params, empty = n * (1 + (adam ? 2 : 0) + 4) * sizeof(float);
        EXPECT_MSG(trainer_memory_floor(t) == empty, "%s: %zu bytes before any update, not %zu",
                   adam ? "adam" : "sgd", trainer_memory_floor(t), empty);
        const int idx[BATCH] = {0, 1, 2, 3, 4, 5, 6};
        trainer_update(t, &s.d, idx, BATCH);
        size_t acts = 0;
        for (int k = 0; k < t->ws.max_shards; k++) acts += t->ws.arenas[k].pass_total;
        EXPECT(acts > 0);
        EXPECT(trainer_memory_floor(t) == empty + acts * sizeof(float));
        trainer_free(t);
        setup_free(&s);
    }
    Setup s; /* a batch within one shard: one gradient buffer */
    setup(&s, 1, OPTIM_SGD, 0.0f);
    s.o.batch = 1, s.o.shard_size = 32;
    Trainer *t = trainer_new(&s.m, &s.o, NULL, NULL);
    EXPECT(t->ws.max_shards == 1);
    EXPECT(trainer_memory_floor(t) == t->n_params * 2 * sizeof(float));
    trainer_free(t);
    setup_free(&s);
}

int main(void) {
    RUN(test_update_is_the_sum_of_its_shards_then_one_step);
    RUN(test_threads_give_the_same_bits);
    RUN(test_resumed_trainer_continues_the_same_bits);
    RUN(test_layer_leaves_translation_model_bit_identical);
    RUN(test_frozen_translation_keeps_its_bits);
    RUN(test_shards_split_near_equal_in_rank_order);
    RUN(test_slices_cover_whole_chunks_in_rank_order);
    RUN(test_ranks_own_slices_from_the_end);
    RUN(test_chain_chunk_bounds);
    RUN(test_lr_warmup_ramps_then_holds);
    RUN(test_average_swaps_in_and_out);
    RUN(test_memory_floor);
    TEST_EXIT();
}
