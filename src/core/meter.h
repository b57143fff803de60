/* meter.h — the progress line of a long job over an input file: lines done,
 * lines per second and the time left, rewritten in place on stderr at most
 * twice a second. Shown only when stderr is a terminal and the input is a
 * regular file (its size gives the fraction done); otherwise every call is a
 * no-op, so piped or logged runs print exactly what they did before. */
#ifndef NMT_METER_H
#define NMT_METER_H

#include <stddef.h>
#include <stdio.h>

/* "1h05m" or "4m07s". */
void format_duration(double seconds, char *out, size_t n);

typedef struct {
    int on;
    FILE *in;    /* read position / size = the fraction done */
    double size, t0, last;
} Meter;

/* Start metering reads of in (a LineReader's FILE); off unless both conditions hold. */
void meter_start(Meter *m, FILE *in, int quiet);
/* After `lines` lines: print the line when half a second has passed since the last. */
void meter_update(Meter *m, long lines);
/* Erase the line (before the job's summary). */
void meter_end(Meter *m);

#endif
