/*
 * xapian_shim.h — Interface to the Xapian shim (xapian_shim.cc): a narrow,
 * handle-based C API over Xapian 1.4, so that the rest of assess-search
 * stays C11 and never sees a C++ type or exception.
 *
 * The shim is the only code that includes <xapian.h>.  Every entry point
 * catches every exception (Xapian::Error, std::exception, anything else) and
 * returns a status code from as.h; the message is kept on the handle
 * (asx_db_errmsg, asx_doc_errmsg) or, where there is no handle yet, in an
 * as_err.  Mapping:
 *   Xapian::NetworkError (shard down, timeout, remote failure) -> AS_EREMOTE
 *   DatabaseNotFoundError (missing path)                      -> AS_ENOTFOUND
 *   DatabaseOpeningError, DatabaseCreateError, other I/O      -> AS_EIO
 *   DatabaseCorruptError                                      -> AS_ECORRUPT
 *   DatabaseVersionError                                      -> AS_EFORMAT
 *   DatabaseLockError (another writer)                        -> AS_ELOCKED
 *   InvalidArgument/InvalidOperation/Unimplemented/bad input  -> AS_EINVAL
 *   std::bad_alloc                                            -> AS_ENOMEM
 *   anything else                                             -> AS_EIO
 * Messages name the database path (and for remote shards Xapian's context,
 * e.g. "remote:tcp(127.0.0.1:8101)"), the Xapian error class and its text.
 *
 * Threads: a handle is used by one thread at a time (Xapian objects are not
 * safe for concurrent use); open one handle per thread.
 *
 * Ranking: Xapian::BM25Weight(k1, k2 = 0, k3 = 1, b, min_normlen), i.e. the
 * formula of DESIGN.md section 7 with N, n and the average length taken over
 * all shards of the database together (Xapian gathers global statistics, also
 * across remote shards).  A document's length is the sum of its wdfs:
 * asx_doc_add_posting adds 1 per position, asx_doc_add_boolean adds 0.
 * Equal weights come in ascending Xapian docid.  For a database of S shards
 * (stub file lines, in order), Xapian docid = (shard docid - 1) * S + shard
 * index + 1.
 */
#ifndef AS_XAPIAN_SHIM_H
#define AS_XAPIAN_SHIM_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#include "as.h" /* inside extern "C": as.h is a C header without guards for C++ */

#define ASX_NO_SLOT UINT32_MAX /* "no value slot" (Xapian::BAD_VALUENO) */
#define ASX_MAX_DEPTH 256      /* query trees deeper than this: AS_ELIMIT */

/* ---- Databases --------------------------------------------------------- */

typedef struct asx_db asx_db;

/* Opens for reading: a database directory, or a Xapian stub file whose lines
 * are "auto PATH" (relative to the stub's directory) or "remote HOST:PORT"
 * (a xapian-tcpsrv), combined into one database.  Note the TCP syntax of
 * Xapian 1.4: "remote 127.0.0.1:8101"; "remote :127.0.0.1:8101" is taken as
 * a program to run and fails with "Connection closed unexpectedly".
 * A remote shard that is down gives AS_EREMOTE, at open or at search time,
 * with a message naming it: "...: NetworkError: Couldn't connect
 * (remote:tcp(127.0.0.1:8101)): Connection refused". */
int asx_db_open(const char *path, asx_db **out, as_err *err);
/* Creates (or empties, if one exists) a writable database directory. */
int asx_db_create(const char *dir, asx_db **out, as_err *err);
/* Closes (a writable database: uncommitted changes are committed by Xapian
 * unless a transaction is open, which is then cancelled).  NULL is fine. */
void asx_db_close(asx_db *db);
/* Message of the last failed call on db ("" if none); valid until the next
 * call on db. */
const char *asx_db_errmsg(const asx_db *db);

/* Writable databases only.  begin/commit/cancel map to Xapian's
 * begin_transaction(flushed = true), commit_transaction(),
 * cancel_transaction(); asx_db_commit outside a transaction is a plain
 * commit(). */
int asx_db_begin(asx_db *db);
int asx_db_commit(asx_db *db);
int asx_db_cancel(asx_db *db);

typedef struct asx_stats {
    uint64_t doccount;     /* N */
    uint64_t total_length; /* sum of document lengths */
    double avlength;       /* total_length / doccount, 0 when empty */
    uint64_t lastdocid;
    unsigned shards;       /* sub-databases (1 for a plain directory) */
} asx_stats;
int asx_db_stats(asx_db *db, asx_stats *out);
/* Number of documents containing the term (0 if none). */
int asx_db_termfreq(asx_db *db, const char *term, size_t len, uint64_t *tf);

/* Metadata (key must be non-empty).  asx_db_get_metadata: *val is malloc'd
 * and NUL-terminated (the caller frees it with free()), *len excludes the
 * NUL; a missing key gives AS_OK with *len == 0. */
int asx_db_set_metadata(asx_db *db, const char *key, const void *val,
                        size_t len);
int asx_db_get_metadata(asx_db *db, const char *key, char **val, size_t *len);

/* Calls fn for every term starting with prefix (plen may be 0: all terms),
 * in byte order, merged across shards, until fn returns non-zero; that value
 * is stored in *stopped (if not NULL).  termfreq is summed over shards.
 * fn must not call back into db. */
typedef int (*asx_term_fn)(void *arg, const char *term, size_t len,
                           uint64_t termfreq);
int asx_db_allterms(asx_db *db, const char *prefix, size_t plen,
                    asx_term_fn fn, void *arg, int *stopped);

/* A stored document's data (*data malloc'd, NUL-terminated, caller frees);
 * AS_ENOTFOUND when there is no such docid. */
int asx_db_get_data(asx_db *db, uint32_t docid, char **data, size_t *len);

/* ---- Documents (writing) ----------------------------------------------- */

/* A document being built.  Errors are sticky: after a failure every later
 * call is a no-op returning the same code, and asx_db_add returns it. */
typedef struct asx_doc asx_doc;

int asx_doc_new(asx_doc **out);
void asx_doc_free(asx_doc *d); /* NULL is fine */
const char *asx_doc_errmsg(const asx_doc *d);
/* One occurrence of term at position pos: wdf += 1, doc length += 1. */
int asx_doc_add_posting(asx_doc *d, const char *term, size_t len,
                        uint32_t pos);
/* A boolean filter term: wdf 0, not counted in the doc length. */
int asx_doc_add_boolean(asx_doc *d, const char *term, size_t len);
int asx_doc_set_value(asx_doc *d, uint32_t slot, const void *val, size_t len);
int asx_doc_set_data(asx_doc *d, const void *data, size_t len);
/* Adds d to a writable database; its docid in *docid (may be NULL).  d
 * stays owned by the caller and may be freed at once. */
int asx_db_add(asx_db *db, const asx_doc *d, uint32_t *docid);

/* Stores d as document `docid` (>= 1) of a writable database, replacing any
 * document with that docid (Xapian::WritableDatabase::replace_document).
 * Docids need not be dense: the export chooses them so that the combined
 * docids of a sharded database follow the native order. */
int asx_db_replace(asx_db *db, uint32_t docid, const asx_doc *d);

/* Xapian::sortable_serialise: a double as bytes that sort like the number
 * (at most 9 bytes); returns the length written (buf needs >= 9 bytes). */
size_t asx_sortable_serialise(double v, char buf[9]);
double asx_sortable_unserialise(const void *buf, size_t len);

/* ---- Queries ----------------------------------------------------------- */

enum asx_op {
    ASX_TERM,    /* documents containing term; BM25 weight (wqf 1) */
    ASX_PHRASE,  /* Xapian OP_PHRASE: the kids (TERMs) occur in this order
                    within `window` consecutive positions; weight = sum of
                    the kids' BM25 weights (their full wdf).  Native phrases
                    put kid i at p + offset_i: for consecutive offsets
                    0..n-1 use window n, which is exactly that.  With gaps
                    use window = max offset + 1: Xapian then only checks the
                    order inside the window, a superset of the native match
                    (the difference shows only for gapped phrases).
                    window 0 = number of kids; a window smaller than the
                    number of kids is raised to it by Xapian. */
    ASX_AND,     /* all kids; weight = sum */
    ASX_OR,      /* any kid; weight = sum over matching kids */
    ASX_AND_NOT, /* kids[0] and none of kids[1..]; weight = kids[0]'s */
    ASX_FILTER,  /* kids[0], restricted to docs matching all of kids[1..]
                    (OP_FILTER), which add no weight.  Beware: Xapian
                    1.4.22 weighs kids[0] wrongly (too high) when it is an
                    OR holding a phrase and a repeated term, e.g.
                    FILTER(OR(a, PHRASE(b c), a), K0); the left side of
                    AND_NOT is weighted right, so filter by excluding the
                    complement where that shape can occur (xsearch.c) */
    ASX_SCALE,   /* kids[0]'s weight times factor (OP_SCALE_WEIGHT; factor
                    >= 0, 0 makes it purely boolean) */
    ASX_NOTHING, /* matches nothing */
    ASX_ALL      /* matches every document with weight 0 */
};

/* A query tree in caller memory; the shim only reads it. */
typedef struct asx_node {
    int op;                 /* enum asx_op */
    const char *term;       /* ASX_TERM: term bytes (need not be NUL-terminated) */
    size_t len;             /* ASX_TERM: term length, >= 1 */
    uint32_t window;        /* ASX_PHRASE */
    double factor;          /* ASX_SCALE */
    struct asx_node **kids; /* AND, OR, AND_NOT, FILTER: >= 1 kid (AND and OR
                               with 0 kids match nothing); PHRASE: TERM kids;
                               SCALE: exactly 1 */
    size_t nkids;
} asx_node;

typedef struct asx_search_opts {
    double k1, b, min_normlen;  /* BM25 (k2 = 0, k3 = 1 fixed) */
    uint32_t offset, limit;     /* hits [offset, offset + limit) */
    uint32_t collapse_slot;     /* ASX_NO_SLOT: none; else at most one hit
                                   per value of this slot (the best one;
                                   ties: lowest docid) */
    int exact;                  /* 1: check every match, so `matches` and
                                   the collapse counts are exact (with
                                   collapsing this may take a second,
                                   unranked pass to count the groups) */
    int want_data;              /* 1: copy each hit's document data */
    const uint32_t *slots;      /* value slots copied into each hit */
    size_t nslots;
} asx_search_opts;
/* Xapian's BM25 defaults (1, 0.5, 0.5), offset 0, limit 10, no collapse,
 * exact, data wanted, no slots. */
void asx_search_opts_default(asx_search_opts *o);

typedef struct asx_bytes {
    const char *p;  /* NUL-terminated for convenience */
    size_t len;     /* excludes the NUL */
} asx_bytes;

typedef struct asx_hit {
    uint32_t docid;          /* Xapian docid in the (combined) database */
    double weight;
    uint32_t collapse_count; /* other docs collapsed onto this hit (exact
                                when opts.exact) */
    asx_bytes data;          /* empty unless opts.want_data */
    asx_bytes *values;       /* opts.nslots entries, in opts.slots order;
                                empty bytes for an unset slot */
} asx_hit;

typedef struct asx_result {
    asx_hit *hits;
    size_t n;
    uint64_t matches;        /* matching docs (collapsed when collapsing);
                                exact when opts.exact, else an estimate */
    uint64_t matches_lower, matches_upper;
    void *priv;              /* private: the storage behind the hits */
} asx_result;

/* Runs the query; *out on success.  The result (hits, data, values) belongs
 * to the caller: valid until asx_result_free(), independent of db. */
int asx_search(asx_db *db, const asx_node *root, const asx_search_opts *o,
               asx_result **out);
void asx_result_free(asx_result *r); /* NULL is fine */

/* Xapian's description of the query the tree becomes (for --explain and
 * tests), malloc'd, caller frees. */
int asx_describe(asx_db *db, const asx_node *root, char **out);

#ifdef __cplusplus
}
#endif

#endif
