/* layout.c — see layout.h. */
#include "nn/layout.h"

/* Each array starts on a 64-byte line, as arena_take's did before the
 * arrays shared one block (the block itself is 64-byte aligned). */
static size_t padded(size_t floats) { return (floats + 15) / 16 * 16; }

size_t act_floats(const ActSlot *slots, int n) {
    size_t total = 0;
    for (int i = 0; i < n; i++) total += padded(slots[i].floats);
    return total;
}

size_t act_carve(const ActSlot *slots, int n, float *block) {
    size_t used = 0;
    for (int i = 0; i < n; i++) {
        *slots[i].at = slots[i].floats ? block + used : NULL;
        used += padded(slots[i].floats);
    }
    return used;
}

void act_repeat(ActSlot *slots, int n, int T) {
    for (int i = 0; i < n; i++)
        if (!slots[i].scratch) slots[i].floats *= (size_t)T;
}
