/* Tests for the configuration tables (src/sys/fields.c) and their users:
 * the model's CONF section and the checkpoint's TRST section keep their
 * exact text, every value read back passes the same range as its flag, and
 * a checkpoint whose CRCs are valid but whose settings are not is refused
 * naming the file and the field. */
#include <math.h>
#include <unistd.h>

#include "model/config.h"
#include "sys/fields.h"
#include "sys/util.h"
#include "test.h"
#include "train/checkpoint.h"
#include "train/state.h"
#include "vocab/build.h"

static void test_model_config_text_is_stable(void) {
    ModelConfig c;
    model_config_default(&c);
    c.src_vocab = 300, c.tgt_vocab = 310, c.att_dim = 128, c.attention = ATTENTION_DOT;
    Buf b = {0};
    model_config_write(&c, &b);
    /* the format of files written before the table existed, byte for byte */
    EXPECT_STR(b.data, "src_vocab=300\ntgt_vocab=310\nemb=256\nhidden=512\natt_dim=128\nattention=dot\n"
                       "dropout=0.200000003\ndeep_output=0\ntie_target=0\n");
    c.rec_dropout = 0.25f; /* written only when set, as before */
    b.len = 0;
    model_config_write(&c, &b);
    EXPECT(strstr(b.data, "tie_target=0\nrec_dropout=0.25\n") != NULL);
    EXPECT(strstr(b.data, "decoder=") == NULL); /* the plain GRU decoder: files keep their bytes */
    c.decoder = DECODER_CGRU;
    b.len = 0;
    model_config_write(&c, &b);
    EXPECT(strstr(b.data, "rec_dropout=0.25\ndecoder=cgru\n") != NULL);
    ModelConfig back;
    char err[256];
    EXPECT(model_config_read(b.data, b.len, &back, "m", err, sizeof err) == 0);
    EXPECT(memcmp(&back, &c, sizeof c) == 0);
    buf_free(&b);
}

static void expect_config_error(const char *text, const char *want) {
    ModelConfig c;
    char err[256] = "";
    EXPECT_MSG(model_config_read(text, strlen(text), &c, "m.bin", err, sizeof err) != 0, "accepted: %s", text);
    EXPECT_MSG(strstr(err, want) != NULL, "error for '%s' was '%s', expected '%s'", text, err, want);
}

static void test_model_config_values_checked(void) {
    const char *ok = "src_vocab=300\ntgt_vocab=310\nemb=16\nhidden=24\natt_dim=24\nattention=bahdanau\n";
    ModelConfig c;
    char err[256];
    EXPECT(model_config_read(ok, strlen(ok), &c, "m.bin", err, sizeof err) == 0);
    expect_config_error("src_vocab=300\ntgt_vocab=310\nemb=16\nhidden=24\natt_dim=24\n", "m.bin: field attention is missing");
    expect_config_error("src_vocab=300\ntgt_vocab=310\nemb=0\nhidden=24\natt_dim=24\nattention=dot\n",
                        "m.bin: field emb must be between 1 and 65536, got 0");
    expect_config_error("src_vocab=300\ntgt_vocab=310\nemb=16\nhidden=24x\natt_dim=24\nattention=dot\n",
                        "field hidden expects a whole number");
    expect_config_error("src_vocab=300\ntgt_vocab=310\nemb=16\nhidden=24\natt_dim=24\nattention=luong\n",
                        "field attention must be one of bahdanau, dot");
    expect_config_error("src_vocab=300\ntgt_vocab=310\nemb=16\nhidden=24\natt_dim=24\nattention=dot\ndropout=nan\n",
                        "field dropout must be between 0 and 0.95");
    expect_config_error("src_vocab=300\ntgt_vocab=310\nemb=16\nhidden=24\natt_dim=24\nattention=dot\ntie_target=1\n",
                        "tied target embeddings need the deep output layer");
    expect_config_error("src_vocab=300\ntgt_vocab=310\nemb=16\nhidden=1\natt_dim=24\nattention=dot\nlayer_norm=1\n",
                        "m.bin: bad model configuration: --layer-norm needs --hidden of at least 2, got 1");
    const char *ln = "src_vocab=300\ntgt_vocab=310\nemb=16\nhidden=2\natt_dim=24\nattention=dot\nlayer_norm=1\n";
    EXPECT(model_config_read(ln, strlen(ln), &c, "m.bin", err, sizeof err) == 0 && c.layer_norm == 1);
    expect_config_error("src_vocab=300\ntgt_vocab=310\nemb=16\nhidden=24\natt_dim=24\nattention=dot\nlayer_norm=2\n",
                        "field layer_norm must be between 0 and 1, got 2");
}

static void test_train_state_text_is_stable(void) {
    TrainOptions o;
    train_options_default(&o);
    TrainState st = {.update = 30, .epoch = 1, .batch_in_epoch = 4, .lr = 5e-4f, .best_valid = INFINITY,
                     .bad_valids = 2, .lr_bad_valids = 1, .elapsed = 12.3456, .tokens = 9000, .optim_step = 30};
    Buf b = {0};
    train_state_write(&st, &o, &b);
    EXPECT_STR(b.data, "update=30\nepoch=1\nbatch_in_epoch=4\nlr=0.000500000024\nbest_valid=inf\nbad_valids=2\n"
                       "lr_bad_valids=1\nelapsed=12.346\ntokens=9000\nfinished=0\noptim_step=30\n"
                       "batch=64\nshard_size=32\noptimizer=0\nlr_decay=0.5\nmin_lr=9.99999975e-06\nlr_patience=1\n"
                       "patience=5\nclip=5\nlabel_smoothing=0\nseed=1\nvalid_every=500\nstart_lr=0.00100000005\n"
                       "select_by_bleu=0\nema_decay=0\nkeep_snapshots=0\n");
    TrainState st2;
    TrainOptions o2;
    train_options_default(&o2);
    o2.batch = 1; /* overwritten by the read */
    char err[256];
    EXPECT(train_state_read(b.data, b.len, &st2, &o2, "c", err, sizeof err) == 0);
    EXPECT(st2.update == 30 && st2.lr == st.lr && isinf(st2.best_valid) && st2.optim_step == 30);
    EXPECT(o2.batch == 64 && o2.lr == o.lr && o2.seed == 1);
    buf_free(&b);
}

/* A TRST section with one line replaced. */
static char *state_with(const char *key, const char *value) {
    TrainOptions o;
    train_options_default(&o);
    TrainState st = {.lr = 1e-3f, .best_valid = 2.5};
    Buf b = {0}, out = {0};
    train_state_write(&st, &o, &b);
    char *save = NULL;
    for (char *line = strtok_r(b.data, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        size_t k = strlen(key);
        if (!strncmp(line, key, k) && line[k] == '=') buf_printf(&out, "%s=%s\n", key, value);
        else buf_printf(&out, "%s\n", line);
    }
    buf_free(&b);
    return out.data;
}

static void test_train_state_values_checked(void) {
    /* the values that crashed, looped or trained to NaN when read back unchecked */
    const char *cases[][3] = {
        {"shard_size", "0", "field shard_size must be between 1 and"},
        {"batch", "0", "field batch must be between 1 and"},
        {"batch", "-64", "field batch must be between 1 and"},
        {"start_lr", "nan", "field start_lr must be between 0 and 100"},
        {"lr", "inf", "field lr must be between 0 and 100"},
        {"update", "-3", "field update must be between 0 and"},
        {"epoch", "-1", "field epoch must be between 0 and"},
        {"optimizer", "7", "field optimizer must be one of adam, sgd"},
        {"best_valid", "nan", "field best_valid must be between"},
        {"seed", "x", "field seed expects a whole number"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *text = state_with(cases[i][0], cases[i][1]);
        TrainState st;
        TrainOptions o;
        train_options_default(&o);
        char err[256] = "";
        EXPECT_MSG(train_state_read(text, strlen(text), &st, &o, "m.ckpt", err, sizeof err) != 0, "%s=%s accepted",
                   cases[i][0], cases[i][1]);
        EXPECT_MSG(!strncmp(err, "m.ckpt: ", 8) && strstr(err, cases[i][2]), "%s=%s: '%s'", cases[i][0], cases[i][1],
                   err);
        free(text);
    }
    /* a checkpoint of an older version, without the three later fields, still loads */
    char *text = state_with("ema_decay", "0");
    char *p = strstr(text, "select_by_bleu=");
    *p = '\0';
    TrainState st;
    TrainOptions o;
    train_options_default(&o);
    char err[256];
    EXPECT_MSG(train_state_read(text, strlen(text), &st, &o, "old.ckpt", err, sizeof err) == 0, "%s", err);
    free(text);
}

static void test_flags_use_the_same_ranges(void) {
    TrainOptions o;
    train_options_default(&o);
    ModelConfig c;
    model_config_default(&c);
    char err[256];
    int takes;
    EXPECT(fields_parse_flag(TRAIN_OPTION_FIELDS, TRAIN_OPTION_NFIELDS, "--batch", "0", &o, &takes, err, sizeof err) < 0);
    EXPECT_MSG(strstr(err, "--batch must be between 1 and") != NULL, "%s", err);
    EXPECT(fields_parse_flag(TRAIN_OPTION_FIELDS, TRAIN_OPTION_NFIELDS, "--optimizer", "sgd", &o, &takes, err,
                             sizeof err) == 1 &&
           takes == 1 && o.optimizer == OPTIM_SGD);
    EXPECT(fields_parse_flag(MODEL_CONFIG_FIELDS, MODEL_CONFIG_NFIELDS, "--deep-output", NULL, &c, &takes, err,
                             sizeof err) == 1 &&
           takes == 0 && c.deep_output == 1);
    EXPECT(fields_parse_flag(MODEL_CONFIG_FIELDS, MODEL_CONFIG_NFIELDS, "--attention", "luong", &c, &takes, err,
                             sizeof err) < 0);
    EXPECT(fields_parse_flag(MODEL_CONFIG_FIELDS, MODEL_CONFIG_NFIELDS, "--bogus", "1", &c, &takes, err, sizeof err) == 0);
    EXPECT(fields_parse_flag(MODEL_CONFIG_FIELDS, MODEL_CONFIG_NFIELDS, "--emb", NULL, &c, &takes, err, sizeof err) < 0);
    EXPECT_MSG(strstr(err, "--emb needs a value") != NULL, "%s", err);
}

/* A real checkpoint file whose CRCs are right but whose state is not. */
static void test_checkpoint_with_bad_state_refused(void) {
    char dir[] = "/tmp/nmt_test_fields_XXXXXX";
    if (!mkdtemp(dir)) die("mkdtemp failed");
    char src[128], tgt[128], path[128];
    snprintf(src, sizeof src, "%s/a.src", dir);
    snprintf(tgt, sizeof tgt, "%s/a.tgt", dir);
    snprintf(path, sizeof path, "%s/m.ckpt", dir);
    FILE *f = fopen(src, "w");
    fputs("a b c\nb c d\n", f);
    fclose(f);
    f = fopen(tgt, "w");
    fputs("x y\ny z w\n", f);
    fclose(f);
    VocabConfig vc;
    vocab_config_init(&vc);
    CorpusStats cs;
    Vocab *v = vocab_build(&vc, src, tgt, &cs);
    ModelConfig c;
    model_config_default(&c);
    c.emb = 4, c.hidden = 4, c.att_dim = 4;
    Model *m = model_create(&c, v, 1);
    char *text = state_with("shard_size", "0");
    Section s = {"TRST", text, strlen(text)};
    char err[512];
    EXPECT(model_save(m, path, &s, 1, err, sizeof err) == 0);
    TrainState st;
    Optimizer opt;
    TrainOptions o;
    train_options_default(&o);
    Buf inputs = {0};
    Model *back = checkpoint_load(path, &st, &opt, &o, &inputs, err, sizeof err);
    EXPECT(back == NULL);
    EXPECT_MSG(strstr(err, "m.ckpt: field shard_size must be between 1 and") != NULL, "%s", err);
    model_free(back);
    buf_free(&inputs);
    free(text);
    model_free(m);
    unlink(path), unlink(src), unlink(tgt), rmdir(dir);
}

int main(void) {
    RUN(test_model_config_text_is_stable);
    RUN(test_model_config_values_checked);
    RUN(test_train_state_text_is_stable);
    RUN(test_train_state_values_checked);
    RUN(test_flags_use_the_same_ranges);
    RUN(test_checkpoint_with_bad_state_refused);
    TEST_EXIT();
}
