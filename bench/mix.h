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
/* One query's statistics line, the phases aside: adds t[0..n) to the pool
 * and prints "name<TAB>median<TAB>p95<TAB>hits" without the newline (t is
 * reordered).  0, or -1 out of memory (said on stderr). */
int mix_print_stats(mixpool *p, const char *name, double *t, size_t n, const char *hits);

/* Time budget per query and contender: stop repeating a query after this
 * many microseconds once at least MIX_MIN_ITERS runs are done, so slow
 * peers finish in bounded time. */
#define MIX_BUDGET_US 2e6
#define MIX_MIN_ITERS 5

/* Microseconds on the monotonic clock. */
double mix_now_us(void);

/* Which contender's form of a query (an empty form: no equivalent). */
typedef enum mix_form { MIX_ASSESS, MIX_FTS5, MIX_XAPIAN } mix_form;
const char *mix_text(const mixq *q, mix_form f);

/* One timed run of query q: 0, or -1 to stop everything (the callee has
 * said why on stderr).  *hits gets the number of hits; ph, when the
 * caller asked for phases, gets that many phase times in microseconds. */
typedef int (*mix_run_fn)(void *ctx, const mixq *q, size_t *hits, double *ph);

typedef struct mix_opts {
    long iters;       /* timed runs per query (fewer when the budget ends) */
    int rounds;       /* 0: print statistics; R > 0: this process is one of
                       * R rounds (budget / R, at least ceil(MIN / R) runs),
                       * print the samples for mixmerge */
    mix_form form;
    const char *only; /* NULL, or the one query to run */
    int nph;          /* phases per run, 0..MIX_MAX_PH */
} mix_opts;
#define MIX_MAX_PH 3

/* Times the mix: each query once untimed (the warm-up: the first run pays
 * for page faults and cold caches once per process, and with rounds there
 * are several processes), then iters times in a row (warm, as a server
 * answering it again would be), then the next query.  Running the mix
 * round-robin instead was measured (1M, ITERS 100): every query 2-4x
 * slower, the fetch phase 1.8 -> 12-15 us, i.e. it measures cold caches,
 * not the engine.  Against the machine's slow phases the harness runs the
 * contenders in alternating rounds instead (run.sh: ROUNDS).
 * Prints one line per query on stdout:
 *   statistics: name median_us p95_us hits [phase medians], then an ALL line
 *               (mixpool_finish); "name - - -" for a query without this form
 *   samples:    name hits t1 t2 ... (times with two decimals); "name -"
 * 0, or -1 on error. */
int mix_time(const mix *m, const mix_opts *o, mix_run_fn fn, void *ctx);

/* The timers' common arguments from argv[*a]: [-r ROUNDS] X MIX ITERS and
 * up to extra more (*a is left at X; o->rounds and o->iters are set).
 * 0; 1 when the count is wrong (the caller prints its usage); -1 for a bad
 * number (said on stderr, prefixed with prog). */
int mix_args(int argc, char **argv, int *a, int extra, mix_opts *o, const char *prog);

#ifdef __cplusplus
}
#endif

#endif
