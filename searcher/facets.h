/*
 * facets.h — Interface to facets.c: exact counts of the hits of a query,
 * in total (--count) or per council, statement, theme, score or year (--by).
 */
#ifndef AS_FACETS_H
#define AS_FACETS_H

#include "engine.h"
#include <stdio.h>

enum { AS_BY_NONE, AS_BY_COUNCIL, AS_BY_STATEMENT, AS_BY_THEME, AS_BY_SCORE, AS_BY_YEAR };

/* "council" -> AS_BY_COUNCIL ...; -1 if unknown. */
int as_by_parse(const char *s);

typedef struct as_facet_out {
    FILE *out;
    int format;    /* AS_OUT_TEXT / JSON / CSV (render.h) */
    int utf8;      /* block characters for the bars (else '#') */
    int color;
} as_facet_out;

/* Counts exactly the hits the same query would list without a limit: one per
 * duplicate group when o->collapse, every copy otherwise; "reports" are the
 * distinct corpus files among them.  by == AS_BY_NONE prints only totals.
 * *nhits receives the number of hits.  AS_OK, or an engine error. */
int as_facets_print(as_engine *e, const as_index *ix, const as_query *q,
                    const as_search_opts *o, int by, const as_facet_out *fo,
                    uint64_t *nhits);

#endif
