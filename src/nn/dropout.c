/* dropout.c — see dropout.h. */
#include "nn/dropout.h"

void dropout_mask(float *mask, size_t n, float p, Rng *rng) {
    const float keep_scale = 1.0f / (1.0f - p);
    for (size_t i = 0; i < n; i++) mask[i] = rng_uniform(rng) < p ? 0.0f : keep_scale;
}

float *dropout_forward(float *x, size_t n, float p, Rng *rng, Arena *arena) {
    if (p <= 0.0f) return NULL;
    float *mask = arena_take(arena, n);
    dropout_mask(mask, n, p, rng);
    for (size_t i = 0; i < n; i++) x[i] *= mask[i];
    return mask;
}

void dropout_rows(float *x, size_t rows, size_t cols, float p, Rng *rng, Arena *arena, float **mask) {
    if (p <= 0.0f) return;
    float *keep = arena_take(arena, rows); /* [rows] */
    dropout_mask(keep, rows, p, rng);
    if (!*mask) {
        *mask = arena_take(arena, rows * cols);
        for (size_t i = 0; i < rows * cols; i++) (*mask)[i] = 1.0f;
    }
    for (size_t r = 0; r < rows; r++)
        for (size_t c = 0; c < cols; c++) x[r * cols + c] *= keep[r], (*mask)[r * cols + c] *= keep[r];
}

void dropout_backward(float *dx, const float *mask, size_t n) {
    if (!mask) return;
    for (size_t i = 0; i < n; i++) dx[i] *= mask[i];
}
