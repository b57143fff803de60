/* layout.h — a layer's activations described once: each array as a slot
 * (where its pointer goes, how many floats it holds), listed by the
 * layer's own *_slots function with the shape beside each line. The same
 * list then sizes a block (act_floats: memory estimates, scratch sizes)
 * and points the arrays into it (act_carve), so the size and the carving
 * can never disagree. */
#ifndef NMT_NN_LAYOUT_H
#define NMT_NN_LAYOUT_H

#include <stddef.h>

typedef struct {
    float **at;    /* where the array's pointer goes */
    size_t floats; /* 0: the array is not used (its pointer becomes NULL) */
    int scratch;   /* a step's scratch: a sequence of steps keeps one, not one per step */
} ActSlot;

/* The floats of all slots. */
size_t act_floats(const ActSlot *slots, int n);
/* The slots of one step as a sequence of T steps: each kept array T times
 * its floats ([T][...], step t at t x floats), a scratch array once. */
void act_repeat(ActSlot *slots, int n, int T);
/* Point each slot into block, one after another, in order, each on a
 * 64-byte boundary (block is arena-aligned); a slot of 0 floats gets
 * NULL. Returns the floats used (act_floats). */
size_t act_carve(const ActSlot *slots, int n, float *block);

#endif
