/* text_data.h — the training and validation text as nmt-train reads it:
 * both files of a pair encoded with the model's vocabulary (vocab/corpus.h
 * does the reading and checking), held as TrainData, and the raw target
 * lines that validation BLEU is computed against. */
#ifndef NMT_TEXT_DATA_H
#define NMT_TEXT_DATA_H

#include "train/data.h"
#include "vocab/corpus.h"

typedef struct {
    ParallelCorpus *corpus;
    TrainData data;  /* views into corpus */
    char **refs;     /* [data.n] raw target lines of the kept pairs, or NULL */
} TextData;

/* Load src/tgt (what: "training" or "validation", for the summary line on
 * stderr); pairs with a side over max_len tokens are left out (0: no
 * limit). With want_refs, also keep the raw target line of every kept
 * pair. Dies with a message naming the files on unusable input. */
void text_data_load(TextData *d, const Vocab *v, const char *src, const char *tgt, int max_len, int skip_invalid,
                    int want_refs, const char *what);
void text_data_free(TextData *d);

#endif
