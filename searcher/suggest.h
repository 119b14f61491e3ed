/*
 * suggest.h — Interface to suggest.c: "did you mean" for queries with no
 * hits: the nearest indexed words by edit distance, weighted by frequency.
 */
#ifndef AS_SUGGEST_H
#define AS_SUGGEST_H

#include "analyze.h"
#include "index.h"

/* Rewrites the query text with every plain word that matches nothing
 * replaced by the nearest word of the corpus (shown as it is written in the
 * corpus: "hordings" -> "hoarding").  *out is malloc'd (caller frees) and
 * NULL when there is nothing to suggest.  AS_OK or AS_ENOMEM. */
int as_suggest_query(const as_index *ix, as_analyzer *an, const char *query, char **out);

/* The council names nearest to a council: filter value that matched none
 * (edit distance on words).  Writes up to cap names, returns how many. */
size_t as_suggest_council(const as_index *ix, const char *value, const char **names,
                          size_t cap);

/* Optimal string alignment distance of a and b (bytes), or max + 1 when it
 * exceeds max. */
unsigned as_edit_distance(const char *a, size_t alen, const char *b, size_t blen,
                          unsigned max);

#endif
