/* Finite-difference checks of dropout (nn/dropout.c): the mask's values
 * and share of zeros at p = 0.3, the gradient through the same mask, and
 * nothing drawn at p = 0; word dropout's whole rows, folded into the
 * element mask. */
#include <string.h>

#include "nn/dropout.h"
#include "nn/rng.h"
#include "sys/util.h"
#include "layer_net.h"
#include "test.h"

/* ---- dropout: L = w . dropout(x), the same mask on every call ---- */
enum { N_DROP = 200 };
typedef struct {
    float x[N_DROP], w[N_DROP];
    Arena arena;
} DropCase;

static double drop_loss(void *vctx) {
    DropCase *c = vctx;
    float y[N_DROP];
    memcpy(y, c->x, sizeof y);
    Rng rng;
    rng_seed(&rng, 12, 0);
    arena_reset(&c->arena);
    dropout_forward(y, N_DROP, 0.3f, &rng, &c->arena);
    return dot_d(c->w, y, N_DROP);
}

static void test_dropout_gradients(void) {
    DropCase c = {0};
    Rng rng;
    rng_seed(&rng, 11, 0);
    fill_uniform(c.x, N_DROP, 1.0f, &rng);
    fill_uniform(c.w, N_DROP, 1.0f, &rng);
    float y[N_DROP], dx[N_DROP];
    memcpy(y, c.x, sizeof y);
    rng_seed(&rng, 12, 0);
    const float *mask = dropout_forward(y, N_DROP, 0.3f, &rng, &c.arena);
    int zeros = 0;
    for (int i = 0; i < N_DROP; i++) {
        EXPECT(mask[i] == 0.0f || fabsf(mask[i] - 1.0f / 0.7f) < 1e-6f);
        zeros += mask[i] == 0.0f;
    }
    EXPECT_MSG(zeros > 30 && zeros < 90, "%d of %d dropped at p = 0.3", zeros, N_DROP);
    memcpy(dx, c.w, sizeof dx);
    dropout_backward(dx, mask, N_DROP);
    check_input("x", c.x, dx, N_DROP, drop_loss, &c);
    EXPECT(dropout_forward(y, N_DROP, 0.0f, &rng, &c.arena) == NULL); /* p = 0: nothing drawn */
    arena_free(&c.arena);
}

/* ---- word dropout: L = w . dropout_rows(dropout(x)), rows of COLS ---- */
enum { ROWS = 40, COLS = 5 };

static double rows_loss(void *vctx) {
    DropCase *c = vctx;
    float y[ROWS * COLS];
    memcpy(y, c->x, sizeof y);
    Rng rng;
    rng_seed(&rng, 13, 0);
    arena_reset(&c->arena);
    float *mask = dropout_forward(y, ROWS * COLS, 0.2f, &rng, &c->arena);
    dropout_rows(y, ROWS, COLS, 0.3f, &rng, &c->arena, &mask);
    return dot_d(c->w, y, ROWS * COLS);
}

static void test_word_dropout_rows(void) {
    DropCase c = {0};
    Rng rng;
    rng_seed(&rng, 14, 0);
    fill_uniform(c.x, ROWS * COLS, 1.0f, &rng);
    fill_uniform(c.w, ROWS * COLS, 1.0f, &rng);
    /* alone (no element mask): a row is all zeros or all x / 0.7, and the mask says which */
    float y[ROWS * COLS], dx[ROWS * COLS];
    memcpy(y, c.x, sizeof y);
    float *mask = NULL;
    rng_seed(&rng, 15, 0);
    dropout_rows(y, ROWS, COLS, 0.3f, &rng, &c.arena, &mask);
    int whole = 1, dropped = 0;
    for (int r = 0; r < ROWS; r++) {
        const float m = mask[r * COLS];
        dropped += m == 0.0f;
        whole &= m == 0.0f || fabsf(m - 1.0f / 0.7f) < 1e-6f;
        for (int k = 0; k < COLS; k++)
            whole &= mask[r * COLS + k] == m && y[r * COLS + k] == c.x[r * COLS + k] * m;
    }
    EXPECT(whole);
    EXPECT_MSG(dropped >= 4 && dropped <= 22, "%d of %d rows dropped at p = 0.3", dropped, ROWS);
    /* on top of element dropout: the folded mask gives the gradient of both */
    memcpy(y, c.x, sizeof y);
    rng_seed(&rng, 13, 0);
    arena_reset(&c.arena);
    mask = dropout_forward(y, ROWS * COLS, 0.2f, &rng, &c.arena);
    dropout_rows(y, ROWS, COLS, 0.3f, &rng, &c.arena, &mask);
    memcpy(dx, c.w, sizeof dx);
    dropout_backward(dx, mask, ROWS * COLS);
    check_input("x", c.x, dx, ROWS * COLS, rows_loss, &c);
    float *none = NULL;
    dropout_rows(y, ROWS, COLS, 0.0f, &rng, &c.arena, &none);
    EXPECT(none == NULL); /* p = 0: nothing drawn */
    arena_free(&c.arena);
}

int main(void) {
    RUN(test_dropout_gradients);
    RUN(test_word_dropout_rows);
    TEST_EXIT();
}
