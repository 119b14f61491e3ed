/*
 * mix.h — Interface to mix.c: the benchmark's fixed query mix
 * (bench/queries.tsv) and latency statistics, shared by the in-process
 * timers of assess-search, FTS5 and Xapian.  Plain C, usable from C++.
 *
 * queries.tsv: a header line, then one query a line with the columns
 *   name  class  assess  fts5  where  xapian
 * (assess: assess-search(1) syntax; fts5: an FTS5 MATCH expression; where:
 * an SQL condition on the FTS5 table's columns or empty; xapian: Xapian
 * QueryParser syntax with the boolean prefixes of xapian_peer.cc).  An
 * empty or "-" field means the contender has no equivalent query.
 */
#ifndef BENCH_MIX_H
#define BENCH_MIX_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct mixq {
    char name[64], cls[64];
    char assess[512], fts5[512], where[512], xapian[512];
} mixq;

typedef struct mix {
    mixq *q;
    size_t n;
} mix;

/* Loads the mix; 0, or -1 with a message on stderr.  Free with mix_free. */
int mix_load(const char *path, mix *m);
void mix_free(mix *m);

/* Median and 95th percentile (nearest rank) of t[0..n); t is reordered. */
void mix_stats(double *t, size_t n, double *median, double *p95);

/* Every timed run of every query, for the mix-wide median and p95 (each
 * query contributes its runs: the same number per query unless the time
 * budget cut a slow query short). */
typedef struct mixpool {
    double *t;
    size_t n, cap;
} mixpool;
int mixpool_add(mixpool *p, const double *t, size_t n); /* 0 or -1 (ENOMEM) */
/* Prints "ALL<TAB>median<TAB>p95<TAB>runs" and frees the samples. */
void mixpool_finish(mixpool *p);

/* Time budget per query and contender: stop repeating a query after this
 * many microseconds once at least MIX_MIN_ITERS runs are done, so slow
 * peers finish in bounded time. */
#define MIX_BUDGET_US 2e6
#define MIX_MIN_ITERS 5

#ifdef __cplusplus
}
#endif

#endif
