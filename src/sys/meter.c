/* meter.c — see meter.h. */
#include "sys/meter.h"

#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sys/lines.h"
#include "sys/util.h"

void format_duration(double s, char *out, size_t n) {
    long sec = s < 0 ? 0 : (long)(s + 0.5);
    if (sec >= 3600) snprintf(out, n, "%ldh%02ldm", sec / 3600, sec / 60 % 60);
    else snprintf(out, n, "%ldm%02lds", sec / 60, sec % 60);
}

void meter_start(Meter *m, const LineReader *in, int quiet) {
    struct stat st;
    double size = 0;
    if (in && in->mem && strcmp(in->path, "-") != 0) size = (double)in->mem_len; /* a file read whole (sys/input.h) */
    else if (in && in->f && fstat(fileno(in->f), &st) == 0 && S_ISREG(st.st_mode)) size = (double)st.st_size;
    m->on = !quiet && isatty(fileno(stderr)) && size > 0;
    m->in = in;
    m->size = m->on ? size : 0;
    m->t0 = m->last = now_seconds();
}

void meter_update(Meter *m, long lines) {
    if (!m->on) return;
    const double now = now_seconds();
    if (now - m->last < 0.5) return;
    m->last = now;
    const double secs = now - m->t0, pos = m->in->mem ? (double)m->in->mem_pos : (double)ftell(m->in->f);
    const double done = pos > 0 && pos <= m->size ? pos / m->size : 0;
    char eta[32] = "?";
    if (done > 0) format_duration(secs * (1 - done) / done, eta, sizeof eta);
    fprintf(stderr, "\r\033[K%s: %ld lines  %.1f lines/s  %.0f%%  ETA %s", program_name(), lines,
            secs > 0 ? (double)lines / secs : 0.0, 100 * done, eta);
    fflush(stderr);
}

void meter_end(Meter *m) {
    if (m->on && m->last > m->t0) fputs("\r\033[K", stderr);
    m->on = 0;
}
