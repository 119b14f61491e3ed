/*
 * inproc.c — in-process query latency of the native engine over the
 * benchmark query mix: the same work per timed run as the peers' bench
 * modes (parse the query, search the top 10 with the shipped defaults,
 * read the ten hits' sentences), through the public C API (index.h,
 * query.h, engine.h) with the index opened once.
 *
 *   inproc INDEX MIX ITERS [NAME]
 * prints one line per query (name median_us p95_us hits parse_us search_us
 * fetch_us, the last three medians of the phases) and an ALL line.  With
 * NAME, only that query of the mix runs (for profiling one query:
 * `valgrind --tool=callgrind --toggle-collect=one ...`, which is why one()
 * is never inlined).
 */
#include "as.h"
#include "analyze.h"
#include "engine.h"
#include "index.h"
#include "query.h"

#include "mix.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef struct prefix_adapter {
    int (*fn)(void *arg, const char *term, size_t len);
    void *arg;
} prefix_adapter;

static int prefix_cb(void *arg, const char *term, size_t len, const as_term *info)
{
    (void)info;
    prefix_adapter *a = arg;
    return a->fn(a->arg, term, len);
}

static int each_prefix(void *ctx, const char *prefix, size_t plen,
                       int (*fn)(void *arg, const char *term, size_t len), void *arg)
{
    prefix_adapter a = {fn, arg};
    return as_index_each_term(ctx, prefix, plen, prefix_cb, &a);
}

static double now_us(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec * 1e6 + (double)t.tv_nsec / 1e3;
}

/* One timed run: parse, bind, search, read the hits.  *nhits gets the count;
 * ph[0..2] the microseconds spent parsing, searching (bind + search) and
 * reading the hits' text, so a slow query shows where its time goes. */
__attribute__((noinline)) static int one(as_index *ix, as_engine *eng, as_analyzer *an, const as_lexicon *lex,
               const char *qs, as_docbuf *db, size_t *nhits, double ph[3])
{
    double t0 = now_us();
    as_err err = {0};
    as_query *q = NULL;
    as_query_opts qo = {0};
    int rc = as_query_parse(qs, strlen(qs), an, lex, &qo, &q, &err);
    if (rc != AS_OK) {
        fprintf(stderr, "inproc: %s: %s\n", qs, err.msg);
        return rc;
    }
    double t1 = now_us();
    rc = as_engine_bind(eng, q);
    as_hits h = {0};
    if (rc == AS_OK) {
        as_search_opts so;
        as_search_opts_default(&so);
        so.limit = 10;
        rc = as_engine_search(eng, q, &so, &h);
    }
    if (rc != AS_OK)
        fprintf(stderr, "inproc: %s: %s\n", qs, as_engine_errmsg(eng));
    double t2 = now_us();
    for (size_t i = 0; rc == AS_OK && i < h.n; i++) {
        as_docrec d;
        rc = as_index_doc(ix, h.hits[i].doc, db, &d);
    }
    *nhits = h.n;
    ph[0] = t1 - t0;
    ph[1] = t2 - t1;
    ph[2] = now_us() - t2;
    as_hits_free(&h);
    as_query_free(q);
    return rc;
}

int main(int argc, char **argv)
{
    if (argc != 4 && argc != 5) {
        fprintf(stderr, "usage: inproc INDEX MIX ITERS [NAME]\n");
        return 2;
    }
    char *e;
    errno = 0;
    long iters = strtol(argv[3], &e, 10);
    if (*e || e == argv[3] || errno || iters < 1 || iters > 10000000) {
        fprintf(stderr, "inproc: bad iteration count '%s'\n", argv[3]);
        return 2;
    }
    as_err err = {0};
    as_index *ix = NULL;
    if (as_index_open(argv[1], &ix, &err) != AS_OK) {
        fprintf(stderr, "inproc: %s\n", err.msg);
        return 2;
    }
    as_engine *eng = NULL;
    as_analyzer *an = NULL;
    if (as_engine_new(ix, &eng) != AS_OK || as_analyzer_new(&an) != AS_OK) {
        fprintf(stderr, "inproc: out of memory\n");
        return 2;
    }
    as_lexicon lex = {ix, each_prefix, as_index_acronyms(ix)};
    mix m;
    if (mix_load(argv[2], &m) != 0)
        return 2;
    double *t = malloc((size_t)iters * 4 * sizeof *t);
    if (!t)
        return 2;
    double *ph[3] = {t + iters, t + 2 * iters, t + 3 * iters};
    as_docbuf db = {0};
    mixpool pool = {0};
    int rc = AS_OK;
    for (size_t q = 0; q < m.n && rc == AS_OK; q++) {
        const mixq *mq = &m.q[q];
        if (argc == 5 && strcmp(mq->name, argv[4]) != 0)
            continue;
        if (!mq->assess[0]) {
            printf("%s\t-\t-\t-\n", mq->name);
            continue;
        }
        size_t hits = 0;
        long i;
        double spent = 0;
        for (i = 0; i < iters && rc == AS_OK; i++) {
            if (spent > MIX_BUDGET_US && i >= MIX_MIN_ITERS)
                break;
            double t0 = now_us(), p[3];
            rc = one(ix, eng, an, &lex, mq->assess, &db, &hits, p);
            t[i] = now_us() - t0;
            for (int k = 0; k < 3; k++)
                ph[k][i] = p[k];
            spent += t[i];
        }
        if (rc != AS_OK)
            break;
        double med, p95, pm[3], unused;
        mixpool_add(&pool, t, (size_t)i);
        mix_stats(t, (size_t)i, &med, &p95);
        for (int k = 0; k < 3; k++)
            mix_stats(ph[k], (size_t)i, &pm[k], &unused);
        printf("%s\t%.1f\t%.1f\t%zu\t%.1f\t%.1f\t%.1f\n", mq->name, med, p95, hits,
               pm[0], pm[1], pm[2]);
    }
    mixpool_finish(&pool);
    as_docbuf_free(&db);
    free(t);
    mix_free(&m);
    as_analyzer_free(an);
    as_engine_free(eng);
    as_index_close(ix);
    return rc == AS_OK ? 0 : 2;
}
