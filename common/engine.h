/*
 * engine.h — Interface to the native search engine (engine.c, engine_iter.c;
 * internal interface engine_int.h): runs a query
 * tree against an open generation with BM25 (Xapian 1.4 BM25Weight, see
 * DESIGN.md section 7), top-k pruning (block-max MaxScore), filters as
 * docid ranges, duplicate-group collapsing and kind weighting.
 *
 * Lives in common/ (not searcher/) because the tests, the benchmarks and the
 * Xapian differential tests call it in process.
 */
#ifndef AS_ENGINE_H
#define AS_ENGINE_H

#include "as.h"
#include "index.h"
#include "query.h"

typedef struct as_bm25 {
    double k1, b, min_normlen;
} as_bm25;
/* The shipped defaults, chosen by measurement on the Vaswani collection
 * (make eval; bench/README.md): k1 = 0.8, b = 0.5 with query-side
 * stopwords gave MAP 0.2978 (Xapian's own defaults k1 = 1, b = 0.5: 0.2961;
 * Lucene's 1.2 / 0.75: 0.2895).  min_normlen is Xapian's 0.5. */
#define AS_BM25_DEFAULTS {0.8, 0.5, 0.5}

/* Ranking below findings: score = bm25 * kind_weight[kind]. */
#define AS_KIND_WEIGHTS {1.0, 0.5, 0.5, 0.5}

typedef struct as_search_opts {
    as_bm25 bm25;
    double kind_weight[AS_NKINDS];
    size_t offset, limit;   /* hits [offset, offset+limit) of the ranking */
    int collapse;           /* 1: one hit per duplicate group (default) */
    int want_total;         /* 1: compute as_hits.total exactly (reads every
                               match: slower); 0: total is 0 (default) */
} as_search_opts;
void as_search_opts_default(as_search_opts *o);

typedef struct as_hit {
    uint32_t doc;
    double weight;          /* final score (bm25 * kind weight) */
    uint32_t copies;        /* sentences of the group that match (1 if unique) */
    uint32_t reports;       /* distinct files among them */
} as_hit;

typedef struct as_hits {
    as_hit *hits;
    size_t n;
    uint64_t total;         /* exact number of matching hits (collapsed if
                               collapsing), 0 if not computed */
} as_hits;
void as_hits_free(as_hits *h);

typedef struct as_engine as_engine; /* per-thread scratch over one index */

int as_engine_new(const as_index *ix, as_engine **out);
void as_engine_free(as_engine *e);
const char *as_engine_errmsg(const as_engine *e);

/* Resolves the filter's council names against the index (any unambiguous
 * case/punctuation-insensitive part of a name); AS_EINVAL with a message
 * listing candidates when ambiguous, AS_ENOTFOUND when none. */
int as_engine_bind(as_engine *e, const as_query *q);

/* Top hits, best first; equal weights in ascending docid.  Exact: the same
 * hits and weights as scoring every sentence.  Also binds the filter (as
 * as_engine_bind).  *out is overwritten; its hits belong to the caller,
 * freed with as_hits_free().  BM25 parameters must be finite with k1 >= 0,
 * 0 <= b <= 1, min_normlen >= 0, and kind weights finite and >= 0
 * (AS_EINVAL otherwise).  AS_ECORRUPT (message from the index) when the
 * index was found damaged while searching. */
int as_engine_search(as_engine *e, const as_query *q, const as_search_opts *o,
                     as_hits *out);

/* Visits every matching doc (not collapsed), ascending docid, with its
 * weight; fn returning non-zero stops.  For --by counts, --count, --all. */
typedef int (*as_match_fn)(void *arg, uint32_t doc, double weight);
int as_engine_each(as_engine *e, const as_query *q, const as_search_opts *o,
                   as_match_fn fn, void *arg);

/* Per-term BM25 contributions of a query for one doc (for --explain): one
 * entry per TERM leaf of q->root in depth-first order (phrase words and the
 * excluded side of ANDNOT included), with the term's wdf in doc and the
 * weight it adds to doc's score (0 when it does not count there).  The
 * weights sum, times kind_weight[kind], to the hit's weight (up to
 * rounding).  Filters are ignored.  Returns AS_OK when doc matches the
 * query, AS_ENOTFOUND when it does not (the entries are filled either
 * way); *out is malloc'd, the caller free()s it (NULL on other errors). */
typedef struct as_contrib {
    const as_qnode *leaf;
    uint32_t wdf;
    double weight;          /* before kind weighting */
} as_contrib;
int as_engine_explain(as_engine *e, const as_query *q, const as_search_opts *o,
                      uint32_t doc, as_contrib **out, size_t *n);

#endif
