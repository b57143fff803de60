/* model.h — the model's configuration, its one parameter buffer, and the
 * named views into it.
 *
 * Every parameter lives in one contiguous float array; gradients and the
 * optimizer moments use arrays of the same layout, so clipping, summing
 * gradients across shards, the optimizer and checkpointing are flat loops.
 * The math is written out in docs/model.md. */
#ifndef NMT_MODEL_H
#define NMT_MODEL_H

#include <stddef.h>
#include <stdint.h>

#include "attention/attention.h"
#include "core/gru.h"

typedef struct {
    int src_vocab;  /* Vs */
    int tgt_vocab;  /* Vt */
    int emb;        /* E */
    int hidden;     /* H: decoder state, and each encoder direction */
    int att_dim;    /* A: Bahdanau's hidden size; dot attention uses A = H */
    AttentionType attention;
    float dropout;  /* on embeddings and the output layer's input; 0 at inference */
    float rec_dropout; /* variational dropout on the GRUs' recurrent inputs; 0 at inference */
    int deep_output; /* 1: t = tanh(deep_W [s;c;y] + deep_b) (E wide), logits = out_W t + out_b */
    int tie_target;  /* with deep_output: out_W is tgt_emb (one matrix for both) */
} ModelConfig;

/* Views into one parameter (or gradient, or moment) buffer. */
typedef struct {
    float *src_emb;           /* [Vs][E] */
    float *tgt_emb;           /* [Vt][E] */
    GruWeights enc_fwd;       /* in = E */
    GruWeights enc_bwd;       /* in = E */
    float *init_W, *init_b;   /* [H][2H], [H]: s_0 = tanh(init_W [fwd_last; bwd_first] + init_b) */
    AttentionWeights att;
    GruWeights dec;           /* in = E + 2H: [y_{t-1} embedding ; context] */
    float *deep_W, *deep_b;   /* deep output only: [E][H + 2H + E], [E] */
    float *out_W, *out_b;     /* [Vt][H + 2H + E] (deep output: [Vt][E], tgt_emb itself when tied), [Vt] */
} ModelParams;

/* Bind views over base (which must hold model_num_params floats). Returns the count. */
size_t model_bind(const ModelConfig *cfg, float *base, ModelParams *p);
size_t model_num_params(const ModelConfig *cfg);
/* Width of the output layer's input [s_t ; c_t ; y_{t-1} embedding]: H + 2H + E. */
int model_out_in(const ModelConfig *cfg);
/* Width of the vectors out_W multiplies: E with a deep output, else model_out_in. */
int model_logit_in(const ModelConfig *cfg);

/* Name and extent of each parameter tensor, for inspection and tests. */
typedef struct {
    char name[32];
    size_t offset, size;
    int rows, cols; /* a vector has rows = 1 */
} ParamInfo;
/* Fills up to max entries, returns the number of tensors. */
int model_param_table(const ModelConfig *cfg, ParamInfo *out, int max);

/* Random initialization from a seed: Xavier-uniform matrices, uniform
 * +-0.1 embeddings, zero biases. */
void model_init_params(const ModelConfig *cfg, float *params, uint64_t seed);

/* 0 when the configuration is usable, else -1 with a message. */
int model_config_check(const ModelConfig *cfg, char *err, size_t errsz);

#endif
