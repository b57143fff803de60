/* meter.h — the progress line of a long job over an input file: lines done,
 * lines per second and the time left, rewritten in place on stderr at most
 * twice a second. Shown only when stderr is a terminal and the input's size
 * is known (a regular file, or an input read whole into memory); otherwise
 * every call is a no-op, so logged runs print exactly what they did before. */
#ifndef NMT_METER_H
#define NMT_METER_H

#include <stddef.h>
#include <stdio.h>

#include "sys/lines.h"
#include "sys/util.h"

/* "1h05m" or "4m07s". */
void format_duration(double seconds, char *out, size_t n);

typedef struct {
    int on;
    const LineReader *in; /* read position / size = the fraction done */
    double size, t0, last;
} Meter;

/* Start metering the reads of in; off unless both conditions hold. */
void meter_start(Meter *m, const LineReader *in, int quiet);
/* After `lines` lines: print the line when half a second has passed since the last. */
void meter_update(Meter *m, long lines);
/* Erase the line (before the job's summary). */
void meter_end(Meter *m);

#endif
