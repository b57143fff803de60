/* Finite-difference checks of dropout (core/dropout.c): the mask's values
 * and share of zeros at p = 0.3, the gradient through the same mask, and
 * nothing drawn at p = 0. */
#include <string.h>

#include "core/dropout.h"
#include "core/rng.h"
#include "core/util.h"
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

int main(void) {
    RUN(test_dropout_gradients);
    TEST_EXIT();
}
