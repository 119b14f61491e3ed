/*
 * xsearch.h — Interface to xsearch.c: running a parsed query (query.h)
 * through Xapian, on a database written by as_xapian_export (xexport.h):
 * one directory, a stub of local shards, or a stub of "remote HOST:PORT"
 * lines served by xapian-tcpsrv.  Needs no native index: the parser's
 * lexicon (prefix* expansion, acronym table) and the stored sentences come
 * from the Xapian database itself.
 *
 * Same semantics as the native engine (query.h, engine.h): BM25 with the
 * formula of Xapian 1.4 and global statistics over all shards, kind
 * weighting, filters, collapsing of duplicate sentences, ties in ascending
 * native docid.  Translation: TERM -> term, PHRASE -> OP_PHRASE over the
 * kids sorted by offset with window max - min offset + 1 (exact for the
 * consecutive offsets the parser produces; with gaps Xapian only checks the
 * order within the window), AND/OR/ANDNOT/NOTHING alike, no root -> all;
 * filters and kinds -> OP_AND_NOT of the boolean terms of the excluded
 * values (not OP_FILTER: see xsearch.c); kind weighting -> OR over groups
 * of kinds of equal weight of SCALE(AND_NOT(query, excluded values...,
 * other kinds), weight).
 *
 * Typical use (searcher/main.c, --engine xapian --index STUB):
 *     as_xsearch *xs;  as_xsearch_open(stub, &xs, &err);
 *     as_query_parse(text, len, an, as_xsearch_lexicon(xs), &qo, &q, &err);
 *     as_xhits h;  as_xsearch_search(xs, q, &so, &h);
 *     for each h.hits[i]: print h.hits[i].rec (fields as in as_hitrec),
 *         weight, reports;
 *     as_xhits_free(&h);  as_query_free(q);  as_xsearch_close(xs);
 * Errors: AS_EREMOTE when a shard is down (the message names it:
 * "remote:tcp(127.0.0.1:8101)"), AS_EFORMAT for a database that is not an
 * export, AS_ENOTFOUND / AS_EINVAL for an unknown / ambiguous council.
 * A handle is for one thread at a time.
 */
#ifndef AS_XSEARCH_H
#define AS_XSEARCH_H

#include "as.h"
#include "engine.h"
#include "query.h"

typedef struct as_xsearch as_xsearch;

/* Opens path (a stub file or a database directory) and reads the export's
 * metadata (council list, acronym table). */
int as_xsearch_open(const char *path, as_xsearch **out, as_err *err);
void as_xsearch_close(as_xsearch *xs); /* NULL is fine */
/* Message of the last failure on xs; valid until the next call on xs. */
const char *as_xsearch_errmsg(const as_xsearch *xs);

/* The lexicon for as_query_parse: prefix* expansion over the database's
 * terms (filter terms excluded) and its acronym table.  Belongs to xs;
 * valid until as_xsearch_close.  A failure while expanding (a shard down)
 * is remembered and returned by the next as_xsearch_search / _each. */
const as_lexicon *as_xsearch_lexicon(as_xsearch *xs);

/* The export's council names, in id order (NULL past the end). */
uint32_t as_xsearch_ncouncils(const as_xsearch *xs);
const char *as_xsearch_council(const as_xsearch *xs, uint32_t c);
/* Sentences in the export. */
uint32_t as_xsearch_ndocs(const as_xsearch *xs);

/* A sentence as stored in the export (the renderer's as_hitrec fields).
 * Strings are NUL-terminated and belong to the hits (or, in
 * as_xsearch_each, to the call). */
typedef struct as_xdoc {
    uint32_t doc;          /* native docid */
    uint32_t file;         /* file index in the exported generation */
    const char *council;   /* NULL = unknown */
    int statement, theme, score;  /* 0 = unknown */
    uint32_t published, updated;  /* yyyymmdd or 0 */
    int kind;
    uint32_t line, paragraph, sentence;
    const char *section;   /* "" = none */
    const char *text;
    const char *path;      /* as shown to users */
} as_xdoc;

typedef struct as_xhit {
    as_hit hit;            /* doc = native docid, weight, copies, reports:
                              as the native engine's */
    as_xdoc rec;
} as_xhit;

typedef struct as_xhits {
    as_xhit *hits;
    size_t n;
    uint64_t total;        /* exact when o->want_total, else 0 */
    void *priv;            /* private: storage of the records */
} as_xhits;
/* Frees what as_xsearch_search put in h (not h itself); NULL is fine. */
void as_xhits_free(as_xhits *h);

/* Top hits of q by o (bm25, kind_weight, offset, limit, collapse,
 * want_total), best first, equal weights in ascending native docid; *out
 * is overwritten and belongs to the caller (as_xhits_free). */
int as_xsearch_search(as_xsearch *xs, const as_query *q,
                      const as_search_opts *o, as_xhits *out);

/* Visits every match (not collapsed) in ascending native docid with its
 * final weight and record; fn returning non-zero stops.  For --count and
 * --by.  o->offset, limit and collapse are ignored. */
typedef int (*as_xmatch_fn)(void *arg, const as_xdoc *d, double weight);
int as_xsearch_each(as_xsearch *xs, const as_query *q, const as_search_opts *o,
                    as_xmatch_fn fn, void *arg);

/* Decodes an exported data record (grammar in xexport.h) in place: data
 * must be NUL-terminated at data[len]; the strings of *out point into it.
 * AS_ECORRUPT when it is not one. */
int as_xdoc_decode(const char *data, size_t len, as_xdoc *out);

#endif
