/* dist.c — see dist.h. */
#include "sys/dist.h"

#include <limits.h>
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { CHAIN_TAG = 71 };

static int active, my_rank, n_ranks = 1, n_local = 1;
static char rank_name[256];

/* die() on one rank must not leave the others waiting for it forever. */
static void abort_job(int code) { MPI_Abort(MPI_COMM_WORLD, code); }

int dist_init(int *argc, char ***argv) {
    /* mpirun sets these for every process it starts; a process started
     * by hand stays single and never touches MPI */
    if (!getenv("OMPI_COMM_WORLD_SIZE") && !getenv("PMIX_RANK") && !getenv("PMI_RANK")) return 1;
    int provided;
    /* Two TCP connections between every pair of ranks (unless the user says
     * otherwise): with one, Open MPI moved the chain's two directions through
     * the same connection at about 0.6 of a link's rate each, so the totals
     * going down slowed the sums going up (2 emulated hosts at 1 Gbit/s:
     * 1.30 s per reduction of 100 MB, 0.86 s with two; docs/scale-out.md). */
    setenv("OMPI_MCA_btl_tcp_links", "2", 0);
    /* OpenMP threads compute; only the main thread communicates */
    if (MPI_Init_thread(argc, argv, MPI_THREAD_FUNNELED, &provided) != MPI_SUCCESS) die("MPI_Init failed");
    active = 1;
    MPI_Comm_rank(MPI_COMM_WORLD, &my_rank);
    MPI_Comm_size(MPI_COMM_WORLD, &n_ranks);
    const char *local = getenv("OMPI_COMM_WORLD_LOCAL_SIZE");
    n_local = local && atoi(local) > 0 ? atoi(local) : 1;
    if (n_ranks > 1) {
        set_die_hook(abort_job);
        snprintf(rank_name, sizeof rank_name, "%s (rank %d of %d)", program_name(), my_rank, n_ranks);
        set_program_name(rank_name);
    }
    return n_ranks;
}

int dist_rank(void) { return my_rank; }
int dist_size(void) { return n_ranks; }
int dist_local_size(void) { return n_local; }

void dist_finalize(void) {
    if (!active) return;
    set_die_hook(NULL);
    MPI_Finalize();
    active = 0;
}

void dist_exit(int code) {
    fflush(stdout);
    dist_finalize();
    exit(code);
}

void dist_bcast(void *buf, size_t bytes, int root) {
    if (!active || n_ranks == 1) return;
    for (size_t off = 0; off < bytes;) { /* MPI counts are int */
        size_t piece = bytes - off < (1u << 30) ? bytes - off : (1u << 30);
        MPI_Bcast((char *)buf + off, (int)piece, MPI_BYTE, root, MPI_COMM_WORLD);
        off += piece;
    }
}

/* Counts and displacements in MPI's int, refusing what does not fit. */
static void layout(const size_t *bytes_of, int *counts, int *displs) {
    size_t off = 0;
    for (int r = 0; r < n_ranks; r++) {
        if (bytes_of[r] > INT_MAX || off > INT_MAX) die("a gathered message is over 2 GB");
        counts[r] = (int)bytes_of[r], displs[r] = (int)off;
        off += bytes_of[r];
    }
}

void dist_allgather(const void *mine, void *all, const size_t *bytes_of) {
    if (!active || n_ranks == 1) {
        memcpy(all, mine, bytes_of[0]);
        return;
    }
    int *counts = xmalloc(sizeof(int) * (size_t)n_ranks), *displs = xmalloc(sizeof(int) * (size_t)n_ranks);
    layout(bytes_of, counts, displs);
    MPI_Allgatherv(mine, counts[my_rank], MPI_BYTE, all, counts, displs, MPI_BYTE, MPI_COMM_WORLD);
    free(counts), free(displs);
}

void dist_gather(const void *mine, void *all, const size_t *bytes_of) {
    if (!active || n_ranks == 1) {
        memcpy(all, mine, bytes_of[0]);
        return;
    }
    int *counts = xmalloc(sizeof(int) * (size_t)n_ranks), *displs = xmalloc(sizeof(int) * (size_t)n_ranks);
    layout(bytes_of, counts, displs);
    MPI_Gatherv(mine, counts[my_rank], MPI_BYTE, all, counts, displs, MPI_BYTE, 0, MPI_COMM_WORLD);
    free(counts), free(displs);
}

void dist_allgather_size(size_t mine, size_t *all) {
    if (!active || n_ranks == 1) {
        all[0] = mine;
        return;
    }
    unsigned long long v = mine, *got = xmalloc(sizeof *got * (size_t)n_ranks);
    MPI_Allgather(&v, 1, MPI_UNSIGNED_LONG_LONG, got, 1, MPI_UNSIGNED_LONG_LONG, MPI_COMM_WORLD);
    for (int r = 0; r < n_ranks; r++) all[r] = (size_t)got[r];
    free(got);
}

int dist_or(int bits) {
    if (!active || n_ranks == 1) return bits;
    int all = 0;
    MPI_Allreduce(&bits, &all, 1, MPI_INT, MPI_BOR, MPI_COMM_WORLD);
    return all;
}

void dist_allgather_floats(float *buf, const size_t *lo_of, const size_t *len_of) {
    if (!active || n_ranks == 1) return;
    int *counts = xmalloc(sizeof(int) * (size_t)n_ranks), *displs = xmalloc(sizeof(int) * (size_t)n_ranks);
    for (int r = 0; r < n_ranks; r++) {
        if (lo_of[r] + len_of[r] > INT_MAX) die("a gathered buffer is over 2^31 floats");
        counts[r] = (int)len_of[r], displs[r] = (int)lo_of[r];
    }
    MPI_Allgatherv(MPI_IN_PLACE, 0, MPI_DATATYPE_NULL, buf, counts, displs, MPI_FLOAT, MPI_COMM_WORLD);
    free(counts), free(displs);
}

/* The chain's state between calls. Position i of the chain is chunk
 * k_max - 1 - i: the chunks go from the end of buf to its start, so the
 * totals of a suffix [from, n) are those of the first positions. */
struct DistChain {
    float *buf, *scratch;
    size_t n, chunk, k_max;
    size_t n_keep, k_pass; /* totals taken back: positions [0, n_keep); passed down: chunks k >= k_pass */
    int prev, next, local;
    DistCombine combine;
    void *ctx;
    MPI_Request *partial_in, *total_in; /* [k_max] by chunk: the running sum from prev, the total from next */
    MPI_Request up, down;               /* the one send in flight each way, or MPI_REQUEST_NULL */
    size_t combined, sent, forwarded;   /* positions combined, passed on, totals passed down */
};

static size_t chunk_at(const DistChain *c, size_t i) { return c->k_max - 1 - i; }
static size_t chunk_lo(const DistChain *c, size_t k) { return k * c->chunk; }
static int chunk_len(const DistChain *c, size_t k) {
    return (int)((k + 1) * c->chunk < c->n ? c->chunk : c->n - k * c->chunk);
}

/* Whether *req is done (or none); MPI moves data only inside its calls,
 * so every test also moves what is queued. */
static int done(MPI_Request *req) {
    int flag = 1;
    if (*req != MPI_REQUEST_NULL) MPI_Test(req, &flag, MPI_STATUS_IGNORE);
    return flag;
}

/* The first chunk with elements in [from, n), k_max for none. */
static size_t chunk_from(const DistChain *c, size_t from) { return from >= c->n ? c->k_max : from / c->chunk; }

DistChain *dist_chain_begin(float *buf, float *scratch, size_t n, size_t chunk, int prev, int next, size_t keep_from,
                            size_t pass_from, DistCombine combine, void *ctx) {
    DistChain *c = xcalloc(1, sizeof *c);
    c->buf = buf, c->scratch = scratch, c->n = n, c->prev = prev, c->next = next, c->combine = combine, c->ctx = ctx;
    c->up = c->down = MPI_REQUEST_NULL;
    if (!active || (prev < 0 && next < 0) || n == 0) {
        c->local = 1;
        return c;
    }
    if (chunk == 0 || chunk > (size_t)INT_MAX) chunk = (size_t)1 << 20;
    c->chunk = chunk;
    c->k_max = (n + chunk - 1) / chunk;
    /* the last rank has every total; no rank passes down what it has not got */
    if (next < 0 || keep_from > n) keep_from = next < 0 ? 0 : n;
    if (prev < 0 || pass_from < keep_from) pass_from = prev < 0 ? n : keep_from;
    /* the totals this rank takes back, and those it passes on down */
    c->n_keep = next < 0 ? 0 : c->k_max - chunk_from(c, keep_from);
    c->k_pass = chunk_from(c, pass_from);
    c->partial_in = xmalloc(sizeof(MPI_Request) * c->k_max), c->total_in = xmalloc(sizeof(MPI_Request) * c->k_max);
    for (size_t k = 0; k < c->k_max; k++) c->partial_in[k] = c->total_in[k] = MPI_REQUEST_NULL;
    /* every receive of the running sum posted at once, in the chain's
     * order: no chunk waits in the unexpected queue */
    if (prev >= 0)
        for (size_t i = 0; i < c->k_max; i++) {
            const size_t k = chunk_at(c, i);
            MPI_Irecv(scratch + chunk_lo(c, k), chunk_len(c, k), MPI_FLOAT, prev, CHAIN_TAG, MPI_COMM_WORLD,
                      &c->partial_in[k]);
        }
    return c;
}

/* Everything that can be done now with buf[ready_from, n) final; returns
 * whether anything was. One send in flight each way: Open MPI moves every
 * posted message at once, a fragment of each in turn, so with all chunks
 * posted together the first arrived only when nearly all had, and the
 * totals could not start back while the sums were still going up. One
 * send at a time delivers the chunks in order, one after another, and both
 * directions of the chain run at once. */
/* Chunk k of the totals in from, on down to prev: 0 while the send before
 * it is still in flight (one each way), else 1. */
static int send_down(DistChain *c, float *from, size_t k) {
    if (c->down != MPI_REQUEST_NULL) return 0;
    MPI_Isend(from + chunk_lo(c, k), chunk_len(c, k), MPI_FLOAT, c->prev, CHAIN_TAG + 1, MPI_COMM_WORLD, &c->down);
    return 1;
}

static int step(DistChain *c, size_t ready_from) {
    int moved = 0;
    done(&c->up), done(&c->down);
    /* this rank's terms onto the running sum from prev, once the chunk is
     * final: one chunk per step, so that it leaves before the next is added */
    if (c->combined < c->k_max) {
        const size_t k = chunk_at(c, c->combined), lo = chunk_lo(c, k);
        if (lo >= ready_from && (c->prev < 0 || done(&c->partial_in[k]))) {
            c->combine(c->ctx, c->prev >= 0 ? c->scratch + lo : NULL, lo, lo + (size_t)chunk_len(c, k));
            c->combined++, moved = 1;
        }
    }
    /* on up the chain; at its end the chunk is the total, and starts back down */
    while (c->sent < c->combined) {
        const size_t k = chunk_at(c, c->sent), lo = chunk_lo(c, k);
        if (c->next >= 0) {
            if (c->up != MPI_REQUEST_NULL) break;
            MPI_Isend(c->buf + lo, chunk_len(c, k), MPI_FLOAT, c->next, CHAIN_TAG, MPI_COMM_WORLD, &c->up);
            /* scratch's chunk k is spent: the total of chunk k comes back into it */
            if (c->sent < c->n_keep)
                MPI_Irecv(c->scratch + lo, chunk_len(c, k), MPI_FLOAT, c->next, CHAIN_TAG + 1, MPI_COMM_WORLD,
                          &c->total_in[k]);
        } else if (k >= c->k_pass && !send_down(c, c->buf, k)) {
            break;
        }
        c->sent++, moved = 1;
    }
    /* the totals that came back from next, on down to prev, in the same order */
    while (c->forwarded < c->n_keep) {
        const size_t k = chunk_at(c, c->forwarded);
        if (c->forwarded >= c->sent || !done(&c->total_in[k])) break; /* not asked for yet, or not here */
        if (k >= c->k_pass && !send_down(c, c->scratch, k)) break;
        c->forwarded++, moved = 1;
    }
    return moved;
}

void dist_chain_advance(DistChain *c, size_t ready_from) {
    if (c->local) return;
    while (step(c, ready_from)) {
    }
}

size_t dist_chain_passed(const DistChain *c, size_t *chunks) {
    if (chunks) *chunks = c->k_max;
    return c->sent;
}

size_t dist_chain_kept(const DistChain *c, size_t *chunks) {
    if (c->next < 0) { /* the totals are this rank's own sums */
        if (chunks) *chunks = c->k_max;
        return c->sent;
    }
    if (chunks) *chunks = c->n_keep;
    return c->forwarded;
}

float *dist_chain_end(DistChain *c) {
    float *out = c->buf;
    if (c->local) {
        c->combine(c->ctx, NULL, 0, c->n);
    } else {
        for (;;) {
            while (step(c, 0)) {
            }
            if (c->combined == c->k_max && c->sent == c->k_max && c->forwarded == c->n_keep) break;
            /* wait for whatever holds the chain up: the next running sum, a
             * send in flight, the next total to pass down */
            MPI_Request *on[4], wait[4];
            int n = 0, which;
            if (c->combined < c->k_max && c->prev >= 0) on[n++] = &c->partial_in[chunk_at(c, c->combined)];
            if (c->forwarded < c->n_keep && c->forwarded < c->sent) on[n++] = &c->total_in[chunk_at(c, c->forwarded)];
            on[n++] = &c->up, on[n++] = &c->down;
            for (int j = 0; j < n; j++) wait[j] = *on[j];
            MPI_Waitany(n, wait, &which, MPI_STATUS_IGNORE);
            if (which == MPI_UNDEFINED) die("the gradient chain has nothing to wait for"); /* cannot happen */
            *on[which] = MPI_REQUEST_NULL; /* MPI_Waitany freed it */
        }
        MPI_Wait(&c->up, MPI_STATUS_IGNORE);
        MPI_Wait(&c->down, MPI_STATUS_IGNORE);
        if (c->next >= 0) out = c->scratch;
    }
    free(c->partial_in), free(c->total_in), free(c);
    return out;
}

float *dist_chain(float *buf, float *scratch, size_t n, size_t chunk, int prev, int next, size_t keep_from,
                  size_t pass_from, DistCombine combine, void *ctx) {
    return dist_chain_end(dist_chain_begin(buf, scratch, n, chunk, prev, next, keep_from, pass_from, combine, ctx));
}
