/* dist_shared.c — the MPI-3 shared-memory window of dist.h (dist_shared_*):
 * on one host the ranks keep the weights and the gradients' shards there
 * and read each other's directly. Beside dist.c, the only other file that
 * includes mpi.h. */
#include "sys/dist.h"

#include <errno.h>
#include <limits.h>
#include <mpi.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statvfs.h>
#include <unistd.h>

struct DistShared {
    MPI_Win win;
    MPI_Comm comm;
    void **part; /* [n_ranks] each rank's part, aligned */
};

enum { SHARED_ALIGN = 64 };

DistShared *dist_shared_new(size_t bytes) {
    const int n_ranks = dist_size(), my_rank = dist_rank();
    if (n_ranks == 1) return NULL; /* alone (or outside a job): nothing to share */
    /* the processes that can share memory with this one: the whole job, or
     * the ranks are on several hosts */
    MPI_Comm comm;
    int local = 0;
    MPI_Comm_split_type(MPI_COMM_WORLD, MPI_COMM_TYPE_SHARED, my_rank, MPI_INFO_NULL, &comm);
    MPI_Comm_size(comm, &local);
    if (!dist_or(local != n_ranks)) { /* every rank must see it so, or none tries */
        char why[MPI_MAX_ERROR_STRING + PATH_MAX + 128] = "";
        unsigned long long mine = bytes + SHARED_ALIGN, all = 0; /* every part's bytes (integers: any order) */
        MPI_Allreduce(&mine, &all, 1, MPI_UNSIGNED_LONG_LONG, MPI_SUM, MPI_COMM_WORLD);
        /* Open MPI 4.1 puts the window in a file of osc_sm_backing_directory;
         * when it cannot make that file, the other ranks wait for it forever
         * instead of failing too. So the ranks look first: a directory they
         * can write, with room for every part. */
        const char *dir = getenv("OMPI_MCA_osc_sm_backing_directory");
        struct statvfs fs;
        if (!dir || !*dir) dir = "/dev/shm";
        if (statvfs(dir, &fs) != 0 || access(dir, W_OK) != 0)
            snprintf(why, sizeof why, "%s: %s", dir, strerror(errno));
        else if ((unsigned long long)fs.f_bavail * fs.f_frsize < all)
            snprintf(why, sizeof why, "%s has %llu MB free, the window needs %llu MB", dir,
                     (unsigned long long)fs.f_bavail * fs.f_frsize >> 20, all >> 20);
        void *base = NULL;
        MPI_Win win = MPI_WIN_NULL;
        if (!dist_or(why[0] != 0)) {
            MPI_Comm_set_errhandler(comm, MPI_ERRORS_RETURN); /* a failure is a fallback, not the job's end */
            MPI_Info info;
            MPI_Info_create(&info);
            /* each rank's part starts on a page of its own */
            MPI_Info_set(info, "alloc_shared_noncontig", "true");
            int rc = MPI_Win_allocate_shared((MPI_Aint)(bytes + SHARED_ALIGN), 1, info, comm, &base, &win);
            MPI_Info_free(&info);
            if (rc != MPI_SUCCESS) {
                char msg[MPI_MAX_ERROR_STRING];
                int len = 0;
                MPI_Error_string(rc, msg, &len);
                snprintf(why, sizeof why, "MPI_Win_allocate_shared of %zu bytes: %s", bytes, msg);
            }
        }
        /* the lowest rank it failed on says why */
        int failed = why[0] ? my_rank : n_ranks, first = n_ranks;
        MPI_Allreduce(&failed, &first, 1, MPI_INT, MPI_MIN, MPI_COMM_WORLD);
        if (first == n_ranks) {
            DistShared *s = xcalloc(1, sizeof *s);
            s->win = win, s->comm = comm;
            s->part = xcalloc((size_t)n_ranks, sizeof(void *));
            for (int r = 0; r < n_ranks; r++) {
                MPI_Aint size;
                int disp;
                char *p;
                MPI_Win_shared_query(win, r, &size, &disp, &p);
                /* every process maps the window at a page boundary: the
                 * same offset aligns each part in every one of them */
                s->part[r] = p + (SHARED_ALIGN - (uintptr_t)p % SHARED_ALIGN) % SHARED_ALIGN;
            }
            /* one passive epoch for the window's whole life: the ranks load
             * and store directly, MPI_Win_sync orders it */
            MPI_Win_lock_all(MPI_MODE_NOCHECK, win);
            return s;
        }
        if (first == my_rank)
            fprintf(stderr, "%s: no shared memory between the ranks (%s): the gradients and weights go through "
                            "messages instead\n", program_name(), why);
        /* a window made on some ranks only cannot be freed (that is
         * collective over all): it is left to MPI_Finalize */
    }
    MPI_Comm_free(&comm);
    return NULL;
}

void *dist_shared_part(const DistShared *s, int r) { return s->part[r]; }

void dist_shared_sync(DistShared *s) { MPI_Win_sync(s->win); }

void dist_shared_barrier(DistShared *s) {
    MPI_Win_sync(s->win);
    MPI_Barrier(s->comm);
    MPI_Win_sync(s->win);
}

void dist_shared_free(DistShared *s) {
    if (!s) return;
    MPI_Win_unlock_all(s->win);
    MPI_Win_free(&s->win);
    MPI_Comm_free(&s->comm);
    free(s->part);
    free(s);
}
