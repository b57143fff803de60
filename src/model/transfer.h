/* transfer.h — weights carried from one model into another, tensor by
 * tensor (nmt-train --init MODEL: fine-tuning a trained model, or giving it
 * an alignment layer). A tensor is carried when the other model has one of
 * the same name and shape; the rest keep their values (a fresh
 * initialization). */
#ifndef NMT_MODEL_TRANSFER_H
#define NMT_MODEL_TRANSFER_H

#include "model/saved.h"

typedef struct {
    int carried, fresh; /* tensors of `to` taken from `from`, and left as they were */
    int left_out;       /* tensors of `from` that `to` has no place for */
    char first_fresh[32], first_left_out[32]; /* names, for the report ("" when none) */
} TransferReport;

/* Copy into to->params every tensor of from's with the same name and shape. */
TransferReport model_transfer(Model *to, const Model *from);

#endif
