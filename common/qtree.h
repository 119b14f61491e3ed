/*
 * qtree.h — Interface to qtree.c: the memory and construction of query
 * trees (one arena per query, node constructors with a sticky status), the
 * partial-match relaxation and the debug dump.  Private to the query module
 * (query.c, qfilter.c); the public API is query.h.
 */
#ifndef AS_QTREE_H
#define AS_QTREE_H

#include "query.h"

/* Everything of one query lives in its arena and goes with as_query_free. */
typedef struct as_qarena as_qarena;

/* A new empty query with its arena (as_query_free); NULL without memory. */
as_query *as_qtree_query_new(void);
/* The arena of a query made by as_qtree_query_new. */
as_qarena *as_qtree_arena(const as_query *q);

/* n bytes aligned for any type; NULL when memory runs out. */
void *as_qarena_alloc(as_qarena *a, size_t n);
void *as_qarena_zalloc(as_qarena *a, size_t n);
/* A NUL-terminated copy of s[0..n). */
char *as_qarena_strdup(as_qarena *a, const char *s, size_t n);
/* Makes room for element n in the arena array *v of *cap elements of elsz
 * bytes (doubling, copying; the old copy stays in the arena).  AS_ENOMEM. */
int as_qarena_grow(as_qarena *a, void **v, size_t *cap, size_t n, size_t elsz);

/* Node construction with a sticky status: once rc != AS_OK every
 * constructor returns NULL and does nothing, so a chain of calls needs one
 * check.  Messages go to err (may be NULL). */
typedef struct as_qbuild {
    as_qarena *A;
    int rc;
    size_t leaves, max_leaves; /* TERM nodes made / allowed (AS_ELIMIT) */
    as_err *err;
} as_qbuild;

as_qnode *as_qnode_new(as_qbuild *b, int op, int flags, const char *origin);
/* A TERM holding a copy of term[0..len). */
as_qnode *as_qnode_term(as_qbuild *b, const char *term, size_t len, uint32_t offset,
                        int flags, const char *origin);
/* op over kids[0..nk); AND and OR absorb kids of the same operator that
 * carry no provenance flags.  NULL kids are skipped. */
as_qnode *as_qnode_list(as_qbuild *b, int op, int flags, as_qnode *const *kids, size_t nk,
                        const char *origin);
/* op over x and y; NULL if either is NULL. */
as_qnode *as_qnode_pair(as_qbuild *b, int op, int flags, as_qnode *x, as_qnode *y);

#endif
