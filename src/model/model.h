/* model.h — the model's parameters: one buffer, and the layers' weights as
 * views into it.
 *
 * Every parameter lives in one contiguous float array; gradients and the
 * optimizer moments use arrays of the same layout, so clipping, summing
 * gradients across shards, the optimizer and checkpointing are flat loops.
 * model.c is the one place that lays out every tensor, in file order; each
 * layer declares its own weights struct (encoder/encoder.h,
 * decoder/weights.h) and its functions see only that. The math is written
 * out in docs/model.md. */
#ifndef NMT_MODEL_H
#define NMT_MODEL_H

#include <stddef.h>
#include <stdint.h>

#include "attention/align_layer.h"
#include "decoder/weights.h"
#include "encoder/encoder.h"
#include "model/config.h"

/* Views into one parameter (or gradient, or moment) buffer. */
typedef struct {
    EncoderWeights enc;
    DecoderWeights dec;
    AlignLayerWeights al; /* the alignment layer (al.A 0: none), after every other tensor */
} ModelParams;

/* Bind views over base (which must hold model_num_params floats). Returns the count. */
size_t model_bind(const ModelConfig *cfg, float *base, ModelParams *p);
size_t model_num_params(const ModelConfig *cfg);
/* Where the alignment layer's tensors start: the translation model's are
 * [0, from), the layer's [from, model_num_params) (from = all without it). */
size_t model_align_from(const ModelConfig *cfg);
/* Width of the output layer's input [s_t ; c_t ; y_{t-1} embedding]: H + 2H + E. */
int model_out_in(const ModelConfig *cfg);

/* Name and extent of each parameter tensor, for inspection and tests. */
typedef struct {
    char name[32];
    size_t offset, size;
    int rows, cols; /* a vector has rows = 1 */
} ParamInfo;
/* Fills up to max entries, returns the number of tensors. */
int model_param_table(const ModelConfig *cfg, ParamInfo *out, int max);

/* The parts of the backward pass (seq2seq_train_step), in the order it
 * finishes their gradients: the output layer, the decoder's steps (its
 * GRUs and the attention's query side), the attention's keys, the initial
 * state, then the encoder's layers from the top (MODEL_FINAL_ENCODER with
 * layer l: layers l and above; l = 1 is everything). The alignment layer's
 * tensors come last of all and its backward runs before the decoder's, so
 * they are final with the output layer's. The layout puts what
 * the backward finishes first at the end of the buffer, so after each part
 * the gradients [model_final_from(cfg, part, layer), n) are final: a
 * reduction across processes can start on them. */
typedef enum {
    MODEL_FINAL_OUTPUT,
    MODEL_FINAL_DECODER,
    MODEL_FINAL_ATTENTION,
    MODEL_FINAL_INIT,
    MODEL_FINAL_ENCODER,
} ModelFinal;
size_t model_final_from(const ModelConfig *cfg, ModelFinal part, int layer);

/* Random initialization from a seed: Xavier-uniform matrices, uniform
 * +-0.1 embeddings, zero biases. */
void model_init_params(const ModelConfig *cfg, float *params, uint64_t seed);

#endif
