/* config.h — the model's configuration: the sizes and choices that define
 * its tensors, described once in a table (sys/fields.h) that the model
 * file's writer and reader, the command-line flags and the resume rules
 * all use. */
#ifndef NMT_MODEL_CONFIG_H
#define NMT_MODEL_CONFIG_H

#include <stddef.h>

#include "attention/attention.h"
#include "decoder/weights.h"
#include "encoder/encoder.h"
#include "sys/fields.h"

typedef struct {
    int src_vocab;  /* Vs */
    int tgt_vocab;  /* Vt */
    int emb;        /* E */
    int hidden;     /* H: decoder state, and each encoder direction */
    int att_dim;    /* A: Bahdanau's hidden size; dot attention uses A = H */
    AttentionType attention;
    DecoderType decoder; /* where the attention query comes from (decoder/weights.h) */
    float dropout;  /* on embeddings and the output layer's input; 0 at inference */
    float rec_dropout; /* variational dropout on the GRUs' recurrent inputs; 0 at inference */
    float word_dropout_src, word_dropout_tgt; /* whole tokens' embeddings dropped (encoder, decoder input); 0 at inference */
    int deep_output; /* 1: t = tanh(deep_W [s;c;y] + deep_b) (E wide), logits = out_W t + out_b */
    int tie_target;  /* with deep_output: out_W is tgt_emb (one matrix for both) */
    int tie_source;  /* src_emb is tgt_emb (a joint vocabulary; with tie_target, one matrix for all three) */
    int layer_norm;  /* 1: every GRU normalizes each gate's input and recurrent projections (nn/gru.h) */
    int enc_depth;   /* stacked bidirectional GRU layers in the encoder (1..ENCODER_MAX_DEPTH) */
    int dec_depth;   /* GRU layers in the decoder: the (c)GRU step and dec_depth - 1 above it */
    int heads;       /* N attention heads (attention/attention.h); 1: the single head */
    int alignment_layer; /* 1: the alignment layer (attention/align_layer.h), its tensors al_* last */
    int alignment_dim;   /* its attention size A (0 without the layer) */
    int alignment_context; /* 1: its keys also read the encoder's annotations (al_Uh) */
} ModelConfig;

/* The table: key in the model file's CONF section, flag, range. */
extern const FieldSpec MODEL_CONFIG_FIELDS[];
extern const int MODEL_CONFIG_NFIELDS;

/* Defaults (as nmt-train starts from). Vocabulary sizes 0: set from the vocabulary. */
void model_config_default(ModelConfig *c);
/* 0 when the configuration is usable, else -1 with a message. */
int model_config_check(const ModelConfig *cfg, char *err, size_t errsz);
/* "key=value" lines of the CONF section. */
void model_config_write(const ModelConfig *c, Buf *out);
/* Read a CONF section; where names the file. 0, or -1 with err. */
int model_config_read(const char *text, size_t len, ModelConfig *c, const char *where, char *err, size_t errsz);
/* 1 when a and b define the same tensors (dropout rates may differ). */
int model_config_same_architecture(const ModelConfig *a, const ModelConfig *b);

#endif
