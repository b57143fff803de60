/* layout.c — see layout.h. */
#include "core/layout.h"

size_t act_floats(const ActSlot *slots, int n) {
    size_t total = 0;
    for (int i = 0; i < n; i++) total += slots[i].floats;
    return total;
}

size_t act_carve(const ActSlot *slots, int n, float *block) {
    size_t used = 0;
    for (int i = 0; i < n; i++) {
        *slots[i].at = slots[i].floats ? block + used : NULL;
        used += slots[i].floats;
    }
    return used;
}

void act_repeat(ActSlot *slots, int n, int T) {
    for (int i = 0; i < n; i++)
        if (!slots[i].scratch) slots[i].floats *= (size_t)T;
}
