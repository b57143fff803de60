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

/* Complete the sends done so far, as far as they have gone, without waiting. */
static void drive(MPI_Request *req, size_t posted, size_t *oldest) {
    int done = 1;
    while (*oldest < posted && done) {
        MPI_Test(&req[*oldest], &done, MPI_STATUS_IGNORE);
        if (done) ++*oldest;
    }
}

/* Before one more send: wait for the previous one to complete. Open MPI
 * moves every posted message at once, a fragment of each in turn, so with
 * all chunks posted together the first arrived only when nearly all had,
 * and the totals could not start back while the sums were still going up.
 * One send at a time delivers the chunks in order, one after another, and
 * both directions of the chain run at once. */
static void one_in_flight(MPI_Request *req, size_t posted, size_t *oldest) {
    while (*oldest < posted) {
        MPI_Wait(&req[*oldest], MPI_STATUS_IGNORE);
        ++*oldest;
    }
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

float *dist_chain(float *buf, float *scratch, size_t n, size_t chunk, int prev, int next, size_t need_here,
                  size_t need_below, DistCombine combine, void *ctx) {
    if (!active || (prev < 0 && next < 0) || n == 0) {
        combine(ctx, NULL, 0, n);
        return buf;
    }
    if (chunk == 0 || chunk > (size_t)INT_MAX) chunk = (size_t)1 << 20;
    const size_t k_max = (n + chunk - 1) / chunk;
    if (next < 0 || need_here > n) need_here = n;
    if (prev < 0 || need_below > need_here) need_below = prev < 0 ? 0 : need_here;
    /* the totals this rank takes back, and those it passes on down */
    const size_t k_keep = (need_here + chunk - 1) / chunk, k_pass = (need_below + chunk - 1) / chunk;
    MPI_Request *partial_in = xmalloc(sizeof(MPI_Request) * k_max), *total_in = xmalloc(sizeof(MPI_Request) * k_max);
    MPI_Request *partial_out = xmalloc(sizeof(MPI_Request) * k_max), *total_out = xmalloc(sizeof(MPI_Request) * k_max);
    size_t n_pout = 0, n_tout = 0, old_pout = 0, old_tout = 0, forwarded = 0;
#define LO(k) ((k) * chunk)
#define LEN(k) ((int)(((k) + 1) * chunk < n ? chunk : n - (k) * chunk))
    /* every receive of the running sum posted at once: no chunk waits in the unexpected queue */
    if (prev >= 0)
        for (size_t k = 0; k < k_max; k++)
            MPI_Irecv(scratch + LO(k), LEN(k), MPI_FLOAT, prev, CHAIN_TAG, MPI_COMM_WORLD, &partial_in[k]);
    for (size_t k = 0; k < k_max; k++) {
        if (prev >= 0) MPI_Wait(&partial_in[k], MPI_STATUS_IGNORE);
        combine(ctx, prev >= 0 ? scratch + LO(k) : NULL, LO(k), LO(k) + (size_t)LEN(k));
        if (next >= 0) {
            one_in_flight(partial_out, n_pout, &old_pout);
            MPI_Isend(buf + LO(k), LEN(k), MPI_FLOAT, next, CHAIN_TAG, MPI_COMM_WORLD, &partial_out[n_pout++]);
            /* scratch's chunk k is spent: the total of chunk k comes back into it */
            if (k < k_keep)
                MPI_Irecv(scratch + LO(k), LEN(k), MPI_FLOAT, next, CHAIN_TAG + 1, MPI_COMM_WORLD, &total_in[k]);
        } else if (k < k_pass) {
            /* the end of the chain: chunk k is final, and starts back at once */
            one_in_flight(total_out, n_tout, &old_tout);
            MPI_Isend(buf + LO(k), LEN(k), MPI_FLOAT, prev, CHAIN_TAG + 1, MPI_COMM_WORLD, &total_out[n_tout++]);
        }
        /* MPI moves data only inside its calls: drive what is queued, pass
         * on the totals that came back, while this rank goes on adding */
        drive(partial_out, n_pout, &old_pout);
        drive(total_out, n_tout, &old_tout);
        int arrived = 1;
        while (next >= 0 && forwarded <= k && forwarded < k_keep && arrived) {
            MPI_Test(&total_in[forwarded], &arrived, MPI_STATUS_IGNORE);
            if (!arrived) break;
            if (forwarded < k_pass) {
                one_in_flight(total_out, n_tout, &old_tout);
                MPI_Isend(scratch + LO(forwarded), LEN(forwarded), MPI_FLOAT, prev, CHAIN_TAG + 1, MPI_COMM_WORLD,
                          &total_out[n_tout++]);
            }
            forwarded++;
        }
    }
    for (; next >= 0 && forwarded < k_keep; forwarded++) {
        MPI_Wait(&total_in[forwarded], MPI_STATUS_IGNORE);
        if (forwarded < k_pass) {
            one_in_flight(total_out, n_tout, &old_tout);
            MPI_Isend(scratch + LO(forwarded), LEN(forwarded), MPI_FLOAT, prev, CHAIN_TAG + 1, MPI_COMM_WORLD,
                      &total_out[n_tout++]);
        }
    }
#undef LO
#undef LEN
    MPI_Waitall((int)(n_pout - old_pout), partial_out + old_pout, MPI_STATUSES_IGNORE);
    MPI_Waitall((int)(n_tout - old_tout), total_out + old_tout, MPI_STATUSES_IGNORE);
    free(partial_in), free(total_in), free(partial_out), free(total_out);
    return next >= 0 ? scratch : buf;
}
