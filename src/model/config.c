/* config.c — see config.h. */
#include "model/config.h"

#include <stdio.h>
#include <string.h>

static const char *const ATTENTION_NAMES[] = {"bahdanau", "dot", NULL};
static const char *const DECODER_NAMES[] = {"gru", "cgru", NULL};

#define F(member) offsetof(ModelConfig, member)
/* The order is the order of the CONF section. Every value read from a file
 * passes the same range as the flag. att_dim 0 on the command line means
 * "the hidden size" and is resolved before the check. */
const FieldSpec MODEL_CONFIG_FIELDS[] = {
    {"src_vocab", NULL, FIELD_INT, F(src_vocab), 0, 5, 1 << 30, NULL, NULL, .flags = FIELD_REQUIRED},
    {"tgt_vocab", NULL, FIELD_INT, F(tgt_vocab), 0, 5, 1 << 30, NULL, NULL, .flags = FIELD_REQUIRED},
    {"emb", "--emb", FIELD_INT, F(emb), 256, 1, 65536, NULL, NULL, .flags = FIELD_REQUIRED, .section = "model", .help = "embedding size"},
    {"hidden", "--hidden", FIELD_INT, F(hidden), 512, 1, 65536, NULL, NULL, .flags = FIELD_REQUIRED, .section = "model", .help = "GRU size, per encoder direction and in the decoder"},
    {"att_dim", "--att-dim", FIELD_INT, F(att_dim), 0, 1, 65536, NULL, NULL, .flags = FIELD_REQUIRED, .section = "model", .help = "Bahdanau attention size (default: --hidden)"},
    {"attention", "--attention", FIELD_ENUM, F(attention), ATTENTION_BAHDANAU, 0, 1, NULL, ATTENTION_NAMES, .flags = FIELD_REQUIRED, .section = "model", .help = "attention scorer"},
    {"dropout", "--dropout", FIELD_FLOAT, F(dropout), 0.2, 0, 0.95, NULL, NULL, .flags = 0, .section = "model", .help = "dropout on embeddings and the output layer's input"},
    {"deep_output", "--deep-output", FIELD_INT, F(deep_output), 0, 0, 1, NULL, NULL, .flags = FIELD_SWITCH, .section = "model", .help = "a tanh layer of --emb units between [s;c;y] and the logits\n(cheaper than the direct output layer when --emb < 3 x --hidden:\nmore updates per minute, fewer per BLEU point; see the Multi30k\nexperiments)"},
    {"tie_target", "--tie-embeddings", FIELD_INT, F(tie_target), 0, 0, 1, NULL, NULL, .flags = FIELD_SWITCH, .section = "model", .help = "with --deep-output: the logits use the target embeddings as\ntheir weights (one matrix instead of two)"},
    {"rec_dropout", "--rec-dropout", FIELD_FLOAT, F(rec_dropout), 0, 0, 0.95, NULL, NULL, .flags = FIELD_OMIT_DEFAULT, .section = "model", .help = "variational dropout on the GRUs' recurrent inputs: one mask per\nsentence, reused at every step"},
    /* written only for cgru, so that files of the plain decoder keep their bytes */
    {"decoder", "--decoder", FIELD_ENUM, F(decoder), DECODER_GRU, 0, 1, NULL, DECODER_NAMES, .flags = FIELD_OMIT_DEFAULT, .section = "model", .help = "gru: attention reads s_{t-1}, then one GRU reads [y_{t-1} ; c_t];\ncgru (conditional GRU): a first GRU reads y_{t-1}, attention\nreads its state, a second GRU reads c_t (the recipes use cgru,\nwhich translates and aligns better: README)"},
    {"layer_norm", "--layer-norm", FIELD_INT, F(layer_norm), 0, 0, 1, NULL, NULL, .flags = FIELD_SWITCH | FIELD_OMIT_DEFAULT, .section = "model", .help = "layer normalization in every GRU: each gate's input and\nrecurrent projections are normalized over their units, then\nscaled and shifted by learned gains and biases"},
    {"enc_depth", "--enc-depth", FIELD_INT, F(enc_depth), 1, 1, ENCODER_MAX_DEPTH, NULL, NULL, .flags = FIELD_OMIT_DEFAULT, .section = "model", .help = "stacked bidirectional GRU layers in the encoder; from the second\nup each reads the previous layer's annotations (after dropout) and\nadds them to its own (a residual connection)"},
    {"dec_depth", "--dec-depth", FIELD_INT, F(dec_depth), 1, 1, DECODER_MAX_DEPTH, NULL, NULL, .flags = FIELD_OMIT_DEFAULT, .section = "model", .help = "GRU layers in the decoder: the --decoder step, then layers that\neach read [the layer below (after dropout) ; c_t] and add the layer\nbelow to their state (a residual connection)"},
    {"heads", "--heads", FIELD_INT, F(heads), 1, 1, 64, NULL, NULL, .flags = FIELD_OMIT_DEFAULT, .section = "model", .help = "attention heads: each scores its slice of the keys and the query\n(Bahdanau: --att-dim / N wide; dot: --hidden / N, scaled by\n1/sqrt(--hidden / N)) and reads its slice of learned values; the\ncontext is the heads' contexts side by side"},
    {"tie_source", "--tie-all-embeddings", FIELD_INT, F(tie_source), 0, 0, 1, NULL, NULL, .flags = FIELD_SWITCH | FIELD_OMIT_DEFAULT, .section = "model", .help = "the source embeddings are the target embeddings (needs a joint\nvocabulary: nmt-vocab --joint); with --tie-embeddings, one\nmatrix for the source, the target and the logits"},
    /* word dropout, written only when used, so that models without it keep their bytes */
    {"dropout_src", "--dropout-src", FIELD_FLOAT, F(word_dropout_src), 0, 0, 0.95, NULL, NULL, .flags = FIELD_OMIT_DEFAULT, .metavar = "X", .section = "model", .help = "word dropout: each source token's embedding is zeroed with\nprobability X (the others scaled by 1/(1-X)), on top of --dropout"},
    {"dropout_tgt", "--dropout-tgt", FIELD_FLOAT, F(word_dropout_tgt), 0, 0, 0.95, NULL, NULL, .flags = FIELD_OMIT_DEFAULT, .metavar = "X", .section = "model", .help = "word dropout on the decoder's input: each previous target token's\nembedding is zeroed with probability X (the others scaled by\n1/(1-X))"},
    /* written only with the layer, so that models without it keep their bytes */
    {"alignment_layer", "--alignment-layer", FIELD_INT, F(alignment_layer), 0, 0, 1, NULL, NULL, .flags = FIELD_SWITCH | FIELD_OMIT_DEFAULT, .section = "model", .help = "an alignment layer: an attention over the source embeddings\nwhose query has seen the target word it aligns ([the decoder's\nattention query ; E_tgt y_t]), trained to predict y_t from its\ncontext (and towards --guided-alignment links), with its gradient\nkept out of the translation model; nmt-score's alignments and\nattention dumps read it. Give it --guided-alignment: its own loss\nalone can be met without aligning (docs/model.md)"},
    {"alignment_context", "--alignment-context", FIELD_INT, F(alignment_context), 0, 0, 1, NULL, NULL, .flags = FIELD_SWITCH | FIELD_OMIT_DEFAULT, .section = "model", .help = "the alignment layer's keys also read the encoder's annotations\n(k_j = Uk rms(E_src f_j) + Uh h_j): a word's position and\nneighbours, so that two occurrences of a word are told apart\n(its values stay the source words)"},
    {"alignment_dim", "--alignment-dim", FIELD_INT, F(alignment_dim), 0, 0, 65536, NULL, NULL, .flags = FIELD_OMIT_DEFAULT, .section = "model", .help = "the alignment layer's attention size (default: the attention's,\n--att-dim, or --hidden for dot attention)"},
};
#undef F
const int MODEL_CONFIG_NFIELDS = (int)(sizeof MODEL_CONFIG_FIELDS / sizeof MODEL_CONFIG_FIELDS[0]);

void model_config_default(ModelConfig *c) {
    memset(c, 0, sizeof *c);
    fields_set_defaults(MODEL_CONFIG_FIELDS, MODEL_CONFIG_NFIELDS, c);
}

int model_config_check(const ModelConfig *c, char *err, size_t errsz) {
    if (c->src_vocab <= 4 || c->tgt_vocab <= 4) {
        snprintf(err, errsz, "vocabulary sizes must exceed the 4 specials (src %d, tgt %d)", c->src_vocab, c->tgt_vocab);
        return -1;
    }
    if (fields_check(MODEL_CONFIG_FIELDS, MODEL_CONFIG_NFIELDS, c, "model configuration", err, errsz) != 0) return -1;
    if (c->tie_target && !c->deep_output) {
        snprintf(err, errsz, "tied target embeddings need the deep output layer");
        return -1;
    }
    if (c->tie_source && c->src_vocab != c->tgt_vocab) {
        snprintf(err, errsz, "--tie-all-embeddings needs one vocabulary for both sides (nmt-vocab --joint): the "
                 "source has %d tokens, the target %d", c->src_vocab, c->tgt_vocab);
        return -1;
    }
    if (c->layer_norm && c->hidden < 2) { /* a 1-unit segment normalizes to 0: the gates would read only biases */
        snprintf(err, errsz, "--layer-norm needs --hidden of at least 2, got %d", c->hidden);
        return -1;
    }
    /* every head gets an equal slice of the keys and of the context */
    if (c->heads > 1 && c->attention == ATTENTION_BAHDANAU && c->att_dim % c->heads != 0) {
        snprintf(err, errsz, "--heads %d must divide --att-dim %d (Bahdanau attention)", c->heads, c->att_dim);
        return -1;
    }
    if (c->heads > 1 && c->attention == ATTENTION_DOT && c->hidden % c->heads != 0) {
        snprintf(err, errsz, "--heads %d must divide --hidden %d (dot attention)", c->heads, c->hidden);
        return -1;
    }
    if (c->alignment_layer && c->alignment_dim < 1) {
        snprintf(err, errsz, "the alignment layer needs --alignment-dim of at least 1, got %d", c->alignment_dim);
        return -1;
    }
    if (!c->alignment_layer && c->alignment_context) {
        snprintf(err, errsz, "--alignment-context needs --alignment-layer");
        return -1;
    }
    if (!c->alignment_layer && c->alignment_dim != 0) {
        snprintf(err, errsz, "--alignment-dim %d needs --alignment-layer", c->alignment_dim);
        return -1;
    }
    if (c->heads > 1 && (2 * c->hidden) % c->heads != 0) {
        snprintf(err, errsz, "--heads %d must divide the context width 2 x --hidden = %d", c->heads, 2 * c->hidden);
        return -1;
    }
    return 0;
}

void model_config_write(const ModelConfig *c, Buf *out) {
    /* the dropout rates of training are kept for the record; inference ignores them */
    fields_write(MODEL_CONFIG_FIELDS, MODEL_CONFIG_NFIELDS, c, out);
}

int model_config_read(const char *text, size_t len, ModelConfig *c, const char *where, char *err, size_t errsz) {
    model_config_default(c); /* a field the file leaves out (FIELD_OMIT_DEFAULT) holds its default */
    if (fields_read(MODEL_CONFIG_FIELDS, MODEL_CONFIG_NFIELDS, text, len, c, where, err, errsz) != 0) return -1;
    char why[256];
    if (model_config_check(c, why, sizeof why) != 0) {
        snprintf(err, errsz, "%s: bad model configuration: %s", where, why);
        return -1;
    }
    return 0;
}

int model_config_same_architecture(const ModelConfig *a, const ModelConfig *b) {
    for (int i = 0; i < MODEL_CONFIG_NFIELDS; i++) {
        const FieldSpec *f = &MODEL_CONFIG_FIELDS[i];
        if (f->type == FIELD_FLOAT) continue; /* dropout rates are training settings */
        if (!fields_equal(f, a, b)) return 0;
    }
    return 1;
}
