/*
 * inproc.c — in-process query latency of the native engine over the
 * benchmark query mix: the same work per timed run as the peers' bench
 * modes (parse the query, search the top 10 with the shipped defaults,
 * read the ten hits' sentences), through the public C API (index.h,
 * query.h, engine.h) with the index opened once.
 *
 *   inproc [-r ROUNDS] INDEX MIX ITERS [NAME]
 * runs the mix round-robin (mix.h: mix_time) and prints one line per query
 * (name median_us p95_us hits parse_us search_us fetch_us, the last three
 * medians of the phases) and an ALL line; with -r, this is one of ROUNDS
 * rounds and it prints the samples instead, for mixmerge.  With NAME, only
 * that query of the mix runs (for profiling one query:
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

/* One timed run: parse, bind, search, read the hits.  *nhits gets the count;
 * ph[0..2] the microseconds spent parsing, searching (bind + search) and
 * reading the hits' text, so a slow query shows where its time goes. */
__attribute__((noinline)) static int one(as_index *ix, as_engine *eng, as_analyzer *an, const as_lexicon *lex,
               const char *qs, as_docbuf *db, size_t *nhits, double ph[3])
{
    double t0 = mix_now_us();
    as_err err = {0};
    as_query *q = NULL;
    as_query_opts qo = {0};
    int rc = as_query_parse(qs, strlen(qs), an, lex, &qo, &q, &err);
    if (rc != AS_OK) {
        fprintf(stderr, "inproc: %s: %s\n", qs, err.msg);
        return rc;
    }
    double t1 = mix_now_us();
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
    double t2 = mix_now_us();
    for (size_t i = 0; rc == AS_OK && i < h.n; i++) {
        as_docrec d;
        rc = as_index_doc(ix, h.hits[i].doc, db, &d);
    }
    *nhits = h.n;
    ph[0] = t1 - t0;
    ph[1] = t2 - t1;
    ph[2] = mix_now_us() - t2;
    as_hits_free(&h);
    as_query_free(q);
    return rc;
}

typedef struct runner {
    as_index *ix;
    as_engine *eng;
    as_analyzer *an;
    const as_lexicon *lex;
    as_docbuf db;
} runner;

static int run_one(void *ctx, const mixq *q, size_t *hits, double *ph)
{
    runner *r = ctx;
    return one(r->ix, r->eng, r->an, r->lex, q->assess, &r->db, hits, ph) == AS_OK ? 0 : -1;
}

int main(int argc, char **argv)
{
    mix_opts o = {.form = MIX_ASSESS, .nph = 3};
    int a = 1, ar = mix_args(argc, argv, &a, 1, &o, "inproc");
    if (ar > 0)
        fprintf(stderr, "usage: inproc [-r ROUNDS] INDEX MIX ITERS [NAME]\n");
    if (ar != 0)
        return 2;
    o.only = argc - a == 4 ? argv[a + 3] : NULL;
    as_err err = {0};
    runner r = {0};
    if (as_index_open(argv[a], &r.ix, &err) != AS_OK) {
        fprintf(stderr, "inproc: %s\n", err.msg);
        return 2;
    }
    if (as_engine_new(r.ix, &r.eng) != AS_OK || as_analyzer_new(&r.an) != AS_OK) {
        fprintf(stderr, "inproc: out of memory\n");
        return 2;
    }
    as_lexicon lex = {r.ix, each_prefix, as_index_acronyms(r.ix)};
    r.lex = &lex;
    mix m;
    if (mix_load(argv[a + 1], &m) != 0)
        return 2;
    int rc = mix_time(&m, &o, run_one, &r);
    as_docbuf_free(&r.db);
    mix_free(&m);
    as_analyzer_free(r.an);
    as_engine_free(r.eng);
    as_index_close(r.ix);
    return rc == 0 ? 0 : 2;
}
