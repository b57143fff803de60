/* dist.h — the processes of one training job (Open MPI), behind a small
 * interface so that nothing else includes mpi.h.
 *
 * Started by mpirun (or any launcher that sets the MPI environment), the
 * process joins the job; started on its own, it is rank 0 of 1 and every
 * call below is a local no-op, so a single process runs the same code
 * without initializing MPI at all (no start-up cost, nothing for the
 * sanitizers to see inside libmpi).
 *
 * Floating-point reductions here never use MPI_Reduce or MPI_Allreduce:
 * those promise no order of additions, so the bits of a sum could depend on
 * the number of processes. dist_chain passes a running sum from rank to
 * rank instead, and each rank adds its own terms in a fixed order. */
#ifndef NMT_DIST_H
#define NMT_DIST_H

#include <stddef.h>

#include "sys/util.h"

/* Join the job when launched by mpirun (call after set_program_name: the
 * program name then carries "rank R of P" for every message). In a job of
 * several processes, die() on any rank ends the whole job. Returns the
 * number of processes. */
int dist_init(int *argc, char ***argv);
int dist_rank(void);
int dist_size(void);
/* Processes of the job on this host (OMPI_COMM_WORLD_LOCAL_SIZE), 1 alone. */
int dist_local_size(void);
/* Leave the job (every rank calls it); nothing alone. */
void dist_finalize(void);
/* Leave the job and exit with code on every rank (all must call it). */
void dist_exit(int code) NMT_NORETURN;

/* Copy bytes from root to every rank. */
void dist_bcast(void *buf, size_t bytes, int root);
/* Every rank contributes bytes_of[rank] bytes; all receive the contributions
 * back to back in rank order. */
void dist_allgather(const void *mine, void *all, const size_t *bytes_of);
/* The same to rank 0 only (all is ignored elsewhere). */
void dist_gather(const void *mine, void *all, const size_t *bytes_of);
/* Every rank's size_t, in rank order, on every rank. */
void dist_allgather_size(size_t mine, size_t *all);
/* buf[lo_of[r] .. + len_of[r]) of rank r, for every r, to every rank, in
 * place (each rank's own part is already in its buf). */
void dist_allgather_floats(float *buf, const size_t *lo_of, const size_t *len_of);
/* Bitwise OR of an int over all ranks (integers: no rounding, any order). */
int dist_or(int bits);

/* combine(ctx, incoming, lo, hi) computes this rank's part of elements
 * [lo, hi) into buf: incoming holds the running sum from the previous rank
 * in the chain for those elements (indexed from lo), or is NULL on the
 * first rank. */
typedef void (*DistCombine)(void *ctx, const float *incoming, size_t lo, size_t hi);
/* A pipelined chain over n floats, every rank of the job in rank order
 * (prev = rank - 1, next = rank + 1, -1 at the ends). In chunks of `chunk`
 * elements, from the end of buf to its start (a backward pass finishes the
 * parameters laid out last first: model/model.h): receive the running sum
 * from prev into scratch, let combine write this rank's sum into buf, send
 * it to next. The last rank's sum is the total; each of its chunks goes
 * straight back down the chain (last to 0) while later chunks are still
 * being added, so each direction of every link carries at most n floats
 * once, at the same time, and n floats reach every rank in about one
 * transfer plus 2 (P - 1) chunk latencies. Only the totals of elements
 * [keep_from, n) come back to this rank, of which it passes [pass_from, n)
 * on to prev (what prev asked for as its keep_from): a rank that updates
 * one slice of the parameters needs no more. The slices go in reverse rank
 * order (rank 0 the end of buf, train/update.h), so the totals a rank needs
 * are the first to come back, those the backward pass finished first, and
 * the way back carries less the lower it goes. Returns where the totals
 * are on this rank: buf on the last rank (all n of them), scratch
 * elsewhere. */
float *dist_chain(float *buf, float *scratch, size_t n, size_t chunk, int prev, int next, size_t keep_from,
                  size_t pass_from, DistCombine combine, void *ctx);

/* The same chain, run while buf is still being computed: dist_chain_begin
 * (same arguments) posts the receives; dist_chain_advance(c, from), with
 * buf[from, n) final on this rank, combines and passes on what it can
 * without waiting (call it often: MPI moves data only inside its calls);
 * dist_chain_end, with all of buf final, does the rest and returns what
 * dist_chain returns. The same additions in the same order either way, so
 * the same bits. Only the thread that joined the job may call these.
 * dist_chain_passed: the chunks this rank has passed on so far (sent up,
 * or final at the end of the chain), and in *chunks (if not NULL) all.
 * dist_chain_kept: the chunks of [keep_from, n) whose totals this rank
 * holds so far, and in *chunks all of them (on the last rank: every chunk,
 * each total once added). */
typedef struct DistChain DistChain;
DistChain *dist_chain_begin(float *buf, float *scratch, size_t n, size_t chunk, int prev, int next, size_t keep_from,
                            size_t pass_from, DistCombine combine, void *ctx);
void dist_chain_advance(DistChain *c, size_t ready_from);
size_t dist_chain_passed(const DistChain *c, size_t *chunks);
size_t dist_chain_kept(const DistChain *c, size_t *chunks);
float *dist_chain_end(DistChain *c);

/* Memory that every process of the job reads and writes (an MPI-3
 * shared-memory window), when all of them run on this host: rank r
 * contributes `bytes` of its own and every rank sees every rank's part.
 * Collective (every rank calls it, with its own bytes). Returns NULL alone,
 * when the ranks are on several hosts (silently: messages are the way
 * there), or when the window cannot be made: then the first rank it failed
 * on says why on stderr, once for the job, and the caller goes on without.
 * Only the thread that joined the job may call these. */
typedef struct DistShared DistShared;
DistShared *dist_shared_new(size_t bytes);
/* Rank r's part, 64-byte aligned, in this process's address space (each
 * process maps the window at its own address). */
void *dist_shared_part(const DistShared *s, int r);
/* A memory barrier for the window (MPI_Win_sync): MPI's unified memory
 * model asks for one after this rank's stores that another rank is to
 * read, before it says so (a flag, a message), and one after it learns
 * that another rank stored, before it loads. */
void dist_shared_sync(DistShared *s);
/* Every rank's stores to the window before it are seen by every rank's
 * loads after it (sync, barrier, sync). Collective. */
void dist_shared_barrier(DistShared *s);
/* Collective; NULL is nothing. */
void dist_shared_free(DistShared *s);

#endif
