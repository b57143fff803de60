/* decoder.c — see decoder.h. */
#include "decoder/decoder.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "attention/score.h"
#include "nn/blas.h"
#include "nn/dropout.h"
#include "sys/util.h"

/* out_in[i] [3H+E] = [s_i ; in_i[E:E+2H] ; in_i[0:E]] for N rows: the output
 * layer's input [s_t ; c_t ; E y_{t-1}] from the state and the GRU input
 * [E y_{t-1} ; c_t]. */
static void output_input(int N, int H, int E, const float *s, const float *in, float *out_in) {
    const int DI = E + 2 * H, OI = 3 * H + E;
    for (int i = 0; i < N; i++) {
        float *o = out_in + (size_t)i * OI;
        memcpy(o, s + (size_t)i * H, sizeof(float) * (size_t)H);
        memcpy(o + H, in + (size_t)i * DI + E, sizeof(float) * 2 * (size_t)H);
        memcpy(o + 3 * H, in + (size_t)i * DI, sizeof(float) * (size_t)E);
    }
}

int decoder_slots(const DecoderWeights *w, int Tt, int Ts, int B, int rec_dropout, DecoderActs *act, ActSlot *slots) {
    const size_t N = (size_t)Tt * B, H = (size_t)w->H, E = (size_t)w->E, row = attention_row_floats(&w->att, Ts);
    act->step = (DecoderStepActs){0}; /* what the slots leave out: alpha, rec_mask and dscore per step */
    ActSlot step[DECODER_STEP_SLOTS];
    act->n_step_slots = decoder_step_slots(w, B, Ts, rec_dropout, &act->step, step);
    int n = 0;
    for (int i = 0; i < act->n_step_slots; i++) {
        /* offsets, not pointers, so that step_acts holds for a copy of act too */
        act->step_offset[i] = (size_t)((const char *)step[i].at - (const char *)&act->step);
        act->step_floats[i] = step[i].scratch ? 0 : step[i].floats;
        slots[n++] = step[i];
    }
    act_repeat(slots, n, Tt); /* in, xproj, cache, q, pre, rec_in, query, cache2: [Tt][B][...] */
    slots[n++] = (ActSlot){&act->emb, N * E, 0};                          /* [Tt][B][E] */
    const size_t D = (size_t)w->depth;
    slots[n++] = (ActSlot){&act->s, D * ((size_t)Tt + 1) * B * H, 0};                 /* [D][Tt+1][B][H] */
    slots[n++] = (ActSlot){&act->rec_mask, (size_t)(rec_dropout != 0) * D * B * H, 0}; /* [D][B][H] */
    slots[n++] = (ActSlot){&act->alpha, N * row, 0};                                  /* [Tt][B][N][Ts] */
    slots[n++] = (ActSlot){&act->out_in, N * w->out.in, 0};               /* [Tt][B][3H+E] */
    slots[n++] = (ActSlot){&act->deep, (w->out.deep_W != NULL) * N * E, 0}; /* [Tt][B][E] */
    slots[n++] = (ActSlot){&act->logits, N * w->V, 0};                    /* [Tt][B][Vt] */
    return n;
}

size_t decoder_floats(const DecoderWeights *w, int Tt, int Ts, int B) {
    DecoderActs act;
    ActSlot slots[DECODER_SLOTS];
    return act_floats(slots, decoder_slots(w, Tt, Ts, B, 0, &act, slots));
}

/* Step t's activations inside the whole sequence's buffers: each per-step
 * array at t steps in, a scratch array as it is. */
static DecoderStepActs step_acts(const DecoderActs *act, int t) {
    DecoderStepActs a = act->step;
    for (int i = 0; i < act->n_step_slots; i++) {
        float **field = (float **)((char *)&a + act->step_offset[i]);
        if (*field) *field += (size_t)t * act->step_floats[i];
    }
    a.att.alpha = act->alpha + (size_t)t * act->B * act->heads * act->Ts;
    a.rec_mask = act->rec_mask;
    const size_t BH = (size_t)act->B * act->H;
    a.up_drop = act->up_drop ? act->up_drop + (size_t)t * (act->depth - 1) * BH : NULL;
    a.layer_stride = ((size_t)act->Tt + 1) * BH; /* layer l's states follow layer l-1's [Tt+1][B][H] */
    return a;
}

void decoder_forward(const DecoderWeights *w, int Tt, int Ts, int B, const int *tgt_in, const float *ann,
                     const float *keys, const float *src_mask, const float *s0, float dropout, float word_dropout,
                     float rec_dropout, Rng *rng, Arena *arena, DecoderActs *act) {
    const int N = Tt * B, E = w->E, H = w->H;
    const int DI = E + 2 * H, OI = w->out.in;
    const size_t BH = (size_t)B * H;
    act->Tt = Tt, act->Ts = Ts, act->B = B, act->heads = attention_heads(&w->att);
    act->guide = NULL, act->guide_scale = 0.0f;
    act->depth = w->depth, act->H = H;
    ActSlot slots[DECODER_SLOTS];
    const int n = decoder_slots(w, Tt, Ts, B, rec_dropout > 0.0f, act, slots);
    act_carve(slots, n, arena_take(arena, act_floats(slots, n)));
    float *dec_in = act->step.in; /* [Tt][B][E+2H] the GRU inputs: embedding (after dropout) ; context */

    /* target embeddings [N][E], after dropout, into the first E columns of dec_in */
    embed_lookup(w->tgt_emb, E, tgt_in, N, act->emb);
    act->emb_drop = dropout_forward(act->emb, (size_t)N * E, dropout, rng, arena);
    dropout_rows(act->emb, (size_t)N, (size_t)E, word_dropout, rng, arena, &act->emb_drop); /* whole tokens */
    for (int i = 0; i < N; i++) memcpy(dec_in + (size_t)i * DI, act->emb + (size_t)i * E, sizeof(float) * (size_t)E);
    if (act->rec_mask) dropout_mask(act->rec_mask, w->depth * BH, rec_dropout, rng);
    act->up_drop = NULL; /* the upper layers' input dropout, a fresh mask per step and layer */
    if (w->depth > 1 && dropout > 0.0f) {
        const size_t n_drop = (size_t)Tt * (w->depth - 1) * BH;
        act->up_drop = arena_take(arena, n_drop);
        dropout_mask(act->up_drop, n_drop, dropout, rng);
    }

    /* the embedding part of every step's input projection, in one product:
     * xproj [N][3H] = dec_in[:, :E] [N][E] Wx[:, :E]^T + bx
     * (gru: Wx [3H][E+2H], the context part follows in the steps; cgru: GRU1's Wx [3H][E]) */
    gemm(0, 1, N, 3 * H, E, 1.0f, dec_in, DI, w->gru.Wx, w->gru.in, 0.0f, act->step.xproj, 3 * H);
    add_bias_rows(act->step.xproj, w->gru.bx, N, 3 * H);

    for (int l = 0; l < w->depth; l++) memcpy(act->s + l * (Tt + 1) * BH, s0, sizeof(float) * BH);
    const AttentionMemory mem = {Ts, B, NULL, ann, keys, src_mask};
    for (int t = 0; t < Tt; t++) {
        DecoderStepActs a = step_acts(act, t);
        decoder_step_forward(w, &mem, B, act->s + t * BH, 1, &a, act->s + (t + 1) * BH);
    }

    /* output layer over all steps: [s_t ; c_t ; emb_{t-1}], s_t the top u^depth_t when deeper */
    output_input(N, H, E, w->depth > 1 ? act->step.top : act->s + BH, dec_in, act->out_in);
    act->out_drop = dropout_forward(act->out_in, (size_t)N * OI, dropout, rng, arena);
    output_forward(&w->out, N, act->out_in, act->deep, act->logits);
}

double decoder_loss(const DecoderWeights *w, const DecoderActs *act, const int *tgt_out, const float *tgt_mask,
                    float eps, float scale, double *nll) {
    return softmax_xent(act->logits, act->Tt * act->B, w->V, tgt_out, tgt_mask, eps, scale, nll);
}

double decoder_guide_loss(DecoderActs *act, const float *guide, float scale, int *rows) {
    const int Ts = act->Ts, N = act->Tt * act->B, NH = act->heads;
    float *mean = NH > 1 ? xmalloc(sizeof(float) * (size_t)Ts) : NULL;
    double loss = 0.0;
    int n = 0;
    for (int i = 0; i < N; i++) {
        const float *g = guide + (size_t)i * Ts, *a = act->alpha + (size_t)i * NH * Ts;
        if (attention_row_sum(g, Ts) == 0.0f) continue;
        n++;
        if (NH > 1) attention_mean_row(NH, Ts, a, mean), a = mean; /* the heads' mean is supervised */
        loss = attention_guide_row_loss(loss, g, a, Ts);
    }
    free(mean);
    act->guide = guide, act->guide_scale = scale;
    *rows = n;
    return loss;
}

/* N heads: dscore [N][Ts] of one guided row with weights a [N][Ts] and
 * gold g [Ts]. With the mean m_j = (1/N) sum_k a_kj and L = -sum_j g_j log m_j:
 * da_kj = -g_j / (N m_j), then through head k's softmax
 * de_kj = a_kj (da_kj - sum_i a_ki da_ki); mean [Ts] is scratch. */
static void guide_heads_grad(int NH, int Ts, const float *a, const float *g, float scale, float *mean, float *d) {
    attention_mean_row(NH, Ts, a, mean);
    for (int k = 0; k < NH; k++) {
        const float *ak = a + (size_t)k * Ts;
        float *dk = d + (size_t)k * Ts;
        float dot = 0.0f;
        for (int j = 0; j < Ts; j++) {
            /* the floor as in the loss: m_j > 0 wherever g_j is */
            dk[j] = g[j] != 0.0f ? -g[j] / ((float)NH * fmaxf(mean[j], 1e-30f)) : 0.0f;
            dot += ak[j] * dk[j];
        }
        for (int j = 0; j < Ts; j++) dk[j] = scale * ak[j] * (dk[j] - dot);
    }
}

/* dscore [B][N][Ts] of step t: guide_scale * (a S - g) on guided rows, with S
 * the row's sum (1 up to rounding: S keeps the gradient exact), 0 elsewhere;
 * N heads: guide_heads_grad (which is this for N = 1). */
static void guide_step_grad(const DecoderActs *act, int t, float *dscore, float *mean) {
    const int Ts = act->Ts, B = act->B, NH = act->heads;
    for (int b = 0; b < B; b++) {
        const size_t row = ((size_t)t * B + b) * Ts;
        const float *g = act->guide + row, *a = act->alpha + row * NH;
        float *d = dscore + (size_t)b * NH * Ts;
        const float S = attention_row_sum(g, Ts);
        if (NH > 1 && S != 0.0f) guide_heads_grad(NH, Ts, a, g, act->guide_scale, mean, d);
        else
            for (int j = 0; j < NH * Ts; j++) d[j] = S != 0.0f ? act->guide_scale * (a[j] * S - g[j]) : 0.0f;
    }
}

void decoder_backward(const DecoderWeights *w, const DecoderWeights *g, const int *tgt_in, const float *ann,
                      const float *keys, const float *src_mask, DecoderActs *act, float *d_ann, float *dkeys,
                      float *ds0, Arena *arena, const BackwardHook *hook) {
    const int Tt = act->Tt, Ts = act->Ts, B = act->B, N = Tt * B;
    const int E = w->E, H = w->H, A = w->att.A;
    const size_t row = attention_row_floats(&w->att, Ts); /* one query row's weights */
    const int DI = E + 2 * H, OI = w->out.in;
    const size_t BH = (size_t)B * H;

    /* output layer: d_out [N][3H+E], the gradient of [s_t ; c_t ; emb_{t-1}] */
    float *d_out = arena_take(arena, (size_t)N * OI);
    output_backward(&w->out, &g->out, N, act->out_in, act->deep, act->logits, d_out);
    dropout_backward(d_out, act->out_drop, (size_t)N * OI);
    backward_hook(hook, DECODER_OUTPUT_FINAL);

    /* steps in reverse */
    const int cgru = w->type == DECODER_CGRU;
    float *dxproj = arena_take(arena, (size_t)N * 3 * H); /* [Tt][B][3H] */
    float *dhproj = arena_take(arena, (size_t)N * 3 * H); /* [Tt][B][3H] */
    float *dxproj2 = cgru ? arena_take(arena, (size_t)N * 3 * H) : NULL; /* [Tt][B][3H] */
    float *dhproj2 = cgru ? arena_take(arena, (size_t)N * 3 * H) : NULL; /* [Tt][B][3H] */
    float *dq = w->att.type == ATTENTION_BAHDANAU ? arena_take(arena, (size_t)N * A) : NULL; /* [Tt][B][A] */
    const int D = w->depth;
    float *ds = arena_take_zero(arena, D * BH), *ds_prev = arena_take(arena, D * BH); /* [D][B][H] */
    float *dc = arena_take(arena, (size_t)B * 2 * H);
    /* the layers above: their projections' gradients [D-1][Tt][B][3H], a step's scratch */
    float *up_dxproj = D > 1 ? arena_take(arena, (size_t)(D - 1) * N * 3 * H) : NULL;
    float *up_dhproj = D > 1 ? arena_take(arena, (size_t)(D - 1) * N * 3 * H) : NULL;
    float *up_dx = D > 1 ? arena_take(arena, (size_t)B * 3 * H) : NULL;
    float *up_ds = D > 1 ? arena_take(arena, BH) : NULL, *dtop = D > 1 ? arena_take(arena, BH) : NULL;
    float *dquery = cgru ? arena_take(arena, BH) : NULL;
    float *scratch = arena_take(arena, (size_t)B * row);
    float *dscore = act->guide ? arena_take(arena, (size_t)B * row) : NULL;
    float *mean = act->guide ? arena_take(arena, (size_t)Ts) : NULL; /* guide_heads_grad's */
    memset(d_ann, 0, sizeof(float) * (size_t)Ts * B * 2 * H);
    memset(dkeys, 0, sizeof(float) * attention_keys_floats(&w->att, Ts, B));
    const AttentionMemory mem = {Ts, B, NULL, ann, keys, src_mask};
    for (int t = Tt - 1; t >= 0; t--) {
        /* in the forward pass out_in[t][b] = [s_{t+1} ; c_t ; emb] (s is offset by one: s[0] = s_0) */
        const float *d_out_t = d_out + (size_t)t * B * OI;
        for (int b = 0; b < B; b++) {
            if (D > 1) memcpy(dtop + (size_t)b * H, d_out_t + (size_t)b * OI, sizeof(float) * (size_t)H); /* u^D_t */
            else
                for (int i = 0; i < H; i++) ds[(size_t)b * H + i] += d_out_t[(size_t)b * OI + i];
            memcpy(dc + (size_t)b * 2 * H, d_out_t + (size_t)b * OI + H, sizeof(float) * 2 * (size_t)H);
        }
        DecoderStepActs a = step_acts(act, t);
        if (dscore) guide_step_grad(act, t, dscore, mean), a.dscore = dscore;
        const size_t rows = (size_t)t * B; /* the steps before t */
        DecoderStepGrads gr = {
            .dxproj = dxproj + rows * 3 * H,
            .dhproj = dhproj + rows * 3 * H,
            .dxproj2 = dxproj2 ? dxproj2 + rows * 3 * H : NULL,
            .dhproj2 = dhproj2 ? dhproj2 + rows * 3 * H : NULL,
            .dq = dq ? dq + rows * A : NULL,
            .dquery = dquery,
            .scratch = scratch,
            .d_ann = d_ann,
            .dkeys = dkeys,
            .up_dx = up_dx,
            .up_ds = up_ds,
            .dtop = dtop,
        };
        for (int l = 2; l <= D; l++) {
            gr.up_dxproj[l - 2] = up_dxproj + ((size_t)(l - 2) * N + rows) * 3 * H;
            gr.up_dhproj[l - 2] = up_dhproj + ((size_t)(l - 2) * N + rows) * 3 * H;
        }
        decoder_step_backward(w, g, &mem, B, act->s + t * BH, &a, ds, dc, &gr, ds_prev);
        float *swap = ds;
        ds = ds_prev, ds_prev = swap;
        backward_hook(hook, 0);
    }
    /* every layer starts from s_0 */
    memcpy(ds0, ds, sizeof(float) * BH);
    for (int l = 1; l < D; l++)
        for (size_t i = 0; i < BH; i++) ds0[i] += ds[l * BH + i];
    /* the weight products deferred from the steps, over all steps at once */
    const float *dec_in = act->step.in, *query = act->step.query; /* [Tt][B][E+2H], cgru: [Tt][B][H] */
    gru_weight_grads(&g->gru, N, dec_in, DI, act->step.rec_in ? act->step.rec_in : act->s, dxproj, dhproj);
    backward_hook(hook, 0);
    if (cgru) gru_weight_grads(&g->gru2, N, dec_in + E, DI, query, dxproj2, dhproj2); /* x = c_t, h = s'_t */
    attention_query_backward(&w->att, &g->att, N, dq, cgru ? query : act->s);
    backward_hook(hook, 0);
    for (int l = 2; l <= D; l++) { /* x = [m^l u^{l-1}_t ; c_t], h = layer l's s_{t-1} (after recurrent dropout) */
        const float *h = act->step.up_rec_in[l - 2] ? act->step.up_rec_in[l - 2]
                                                     : act->s + (size_t)(l - 1) * (Tt + 1) * BH;
        gru_weight_grads(&g->up[l - 2], N, act->step.up_in[l - 2], 3 * H, h, up_dxproj + (size_t)(l - 2) * N * 3 * H,
                         up_dhproj + (size_t)(l - 2) * N * 3 * H);
    }

    /* target embeddings: from the GRU input and from the output layer */
    float *demb = arena_take(arena, (size_t)N * E);
    for (int i = 0; i < N; i++) memcpy(demb + (size_t)i * E, d_out + (size_t)i * OI + 3 * H, sizeof(float) * (size_t)E);
    /* in the forward pass xproj [N][3H] held dec_in[:, :E] Wx[:, :E]^T */
    gemm(0, 0, N, E, 3 * H, 1.0f, dxproj, 3 * H, w->gru.Wx, w->gru.in, 1.0f, demb, E);
    dropout_backward(demb, act->emb_drop, (size_t)N * E);
    embed_backward(g->tgt_emb, E, tgt_in, N, demb);
}

/* The scratch of a search step: one step's arrays, the output layer's
 * input and the deep output's activations. */
typedef struct {
    DecoderStepActs step;
    float *out_in, *deep;
    float *s_prev, *s; /* depth > 1: [depth][B][H] the states layer by layer, as the step reads them */
} SearchScratch;

static int search_slots(const DecoderWeights *w, int B, int Ts, SearchScratch *sc, ActSlot *slots) {
    int n = decoder_step_slots(w, B, Ts, 0, &sc->step, slots);
    for (int i = 0; i < n; i++) /* no backward: the attention keeps no tanh(q + k_j) (its pre NULL) */
        if (slots[i].at == &sc->step.att.pre) slots[i].floats = 0;
    slots[n++] = (ActSlot){&sc->out_in, (size_t)B * w->out.in, 0};                    /* [B][3H+E] */
    slots[n++] = (ActSlot){&sc->deep, (w->out.deep_W != NULL) * (size_t)B * w->E, 0}; /* [B][E] */
    const size_t layered = w->depth > 1 ? (size_t)w->depth * B * w->H : 0;
    slots[n++] = (ActSlot){&sc->s_prev, layered, 0}; /* [D][B][H] */
    slots[n++] = (ActSlot){&sc->s, layered, 0};      /* [D][B][H] */
    return n;
}

size_t decoder_search_scratch(const DecoderWeights *w, int B, int Ts) {
    SearchScratch sc;
    ActSlot slots[DECODER_STEP_SLOTS + 4];
    return act_floats(slots, search_slots(w, B, Ts, &sc, slots));
}

int decoder_state_floats(const DecoderWeights *w) { return w->depth * w->H; }

/* A search state's rows [B][D][H] -> the step's layers [D][B][H]. */
static void state_to_layers(int B, int D, int H, const float *rows, float *layers) {
    for (int b = 0; b < B; b++)
        for (int l = 0; l < D; l++)
            memcpy(layers + ((size_t)l * B + b) * H, rows + ((size_t)b * D + l) * H, sizeof(float) * (size_t)H);
}

/* And back: layers [D][B][H] -> rows [B][D][H]. */
static void state_to_rows(int B, int D, int H, const float *layers, float *rows) {
    for (int b = 0; b < B; b++)
        for (int l = 0; l < D; l++)
            memcpy(rows + ((size_t)b * D + l) * H, layers + ((size_t)l * B + b) * H, sizeof(float) * (size_t)H);
}

void decoder_search_step(const DecoderWeights *w, const AttentionMemory *mem, int B, const int *y_prev,
                         const float *s_prev, float *s, float *logprobs, float *alpha, float *scratch) {
    const int E = w->E, H = w->H, V = w->V, DI = E + 2 * H;
    SearchScratch sc = {0};
    ActSlot slots[DECODER_STEP_SLOTS + 4];
    act_carve(slots, search_slots(w, B, mem->Ts, &sc, slots), scratch);
    DecoderStepActs *a = &sc.step;
    a->att.alpha = alpha;
    for (int b = 0; b < B; b++)
        memcpy(a->in + (size_t)b * DI, w->tgt_emb + (size_t)y_prev[b] * E, sizeof(float) * (size_t)E);
    if (w->depth > 1) {
        /* a hypothesis keeps its layers together (the beam moves rows); the step reads them layer by layer */
        a->layer_stride = (size_t)B * H;
        state_to_layers(B, w->depth, H, s_prev, sc.s_prev);
        decoder_step_forward(w, mem, B, sc.s_prev, 0, a, sc.s);
        state_to_rows(B, w->depth, H, sc.s, s);
    } else {
        decoder_step_forward(w, mem, B, s_prev, 0, a, s);
    }
    output_input(B, H, E, w->depth > 1 ? a->top : s, a->in, sc.out_in);
    output_forward(&w->out, B, sc.out_in, sc.deep, logprobs);
    for (int b = 0; b < B; b++) log_softmax_row(logprobs + (size_t)b * V, V);
}
