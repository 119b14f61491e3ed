/*
 * qfilter.h — Interface to qfilter.c: the values of the filters council:
 * statement: theme: score: year: kind:, shared by the query parser
 * (query.c, for "score:<=2" in the query text) and the command-line options
 * (through as_query_add_filter, for "--score '<=2'").  Private to the query
 * module: everything public is in query.h.
 */
#ifndef AS_QFILTER_H
#define AS_QFILTER_H

#include "query.h"

enum as_qfield {
    AS_QFIELD_COUNCIL,
    AS_QFIELD_STATEMENT,
    AS_QFIELD_THEME,
    AS_QFIELD_SCORE,
    AS_QFIELD_YEAR,
    AS_QFIELD_KIND,
    AS_NQFIELDS
};

/* The field named by name[0..len) (case-insensitive), or -1. */
int as_qfield_lookup(const char *name, size_t len);
/* "council", ...; NULL if out of range. */
const char *as_qfield_name(int field);

/* Parses v[0..vlen) (already unquoted; surrounding spaces ignored) for any
 * field but council and merges it into f: statement, theme, score and kind
 * allow one more value (repeating the field ORs), year narrows the range
 * (repeating it intersects).  On a bad value returns AS_ESYNTAX with a
 * one-line message without a column ("score must be 1 to 4, not '7'"). */
int as_qfilter_set(as_filter *f, int field, const char *v, size_t vlen,
                   as_err *err);

/* Adds a council name v[0..n) (surrounding spaces trimmed, kept as typed:
 * the engine resolves it) to f, copying it into arena A.  AS_ESYNTAX
 * "council: needs a value" when empty. */
struct as_qarena;
int as_qfilter_council(as_filter *f, struct as_qarena *A, const char *v, size_t n,
                       as_err *err);

#endif
