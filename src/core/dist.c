/* dist.c — see dist.h. */
#include "core/dist.h"

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

void dist_chain(float *buf, float *scratch, size_t n, size_t chunk, int prev, int next, DistCombine combine,
                void *ctx) {
    if (!active || (prev < 0 && next < 0) || n == 0) {
        combine(ctx, NULL, 0, n);
        return;
    }
    if (chunk == 0 || chunk > (size_t)INT_MAX) chunk = (size_t)1 << 20;
    const size_t k_max = (n + chunk - 1) / chunk;
    MPI_Request *recv = xmalloc(sizeof(MPI_Request) * k_max), *send = xmalloc(sizeof(MPI_Request) * k_max);
    /* every receive posted at once: no chunk waits in the unexpected queue */
    if (prev >= 0)
        for (size_t k = 0; k < k_max; k++) {
            size_t lo = k * chunk, hi = lo + chunk < n ? lo + chunk : n;
            MPI_Irecv(scratch + lo, (int)(hi - lo), MPI_FLOAT, prev, CHAIN_TAG, MPI_COMM_WORLD, &recv[k]);
        }
    size_t oldest = 0; /* first send not known to be complete */
    for (size_t k = 0; k < k_max; k++) {
        size_t lo = k * chunk, hi = lo + chunk < n ? lo + chunk : n;
        if (prev >= 0) MPI_Wait(&recv[k], MPI_STATUS_IGNORE);
        combine(ctx, prev >= 0 ? scratch + lo : NULL, lo, hi);
        if (next >= 0) {
            MPI_Isend(buf + lo, (int)(hi - lo), MPI_FLOAT, next, CHAIN_TAG, MPI_COMM_WORLD, &send[k]);
            /* MPI moves data only inside its calls: testing drives the
             * sends already queued while this rank goes on adding */
            int done = 1;
            while (oldest <= k && done) {
                MPI_Test(&send[oldest], &done, MPI_STATUS_IGNORE);
                if (done) oldest++;
            }
        }
    }
    if (next >= 0 && oldest < k_max) MPI_Waitall((int)(k_max - oldest), send + oldest, MPI_STATUSES_IGNORE);
    free(recv), free(send);
}
