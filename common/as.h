/*
 * as.h — what every module of assess-search shares: status codes, the error
 * record, and the CQC domain model (quality statements, themes, scores,
 * sentence kinds).
 *
 * Errors: functions return int (AS_OK == 0 or a negative AS_E* code) and
 * results through pointers.  Where a function has no object of its own to
 * keep a message on, it takes an `as_err *` and fills it (message names the
 * file or thing and the reason, without a trailing newline).  Never a global.
 */
#ifndef AS_H
#define AS_H

#include <stddef.h>
#include <stdint.h>

#define AS_VERSION "0.1.0"

enum {
    AS_OK = 0,
    AS_ENOMEM = -1,    /* allocation failed */
    AS_EIO = -2,       /* read/write/fsync failed (errno in message) */
    AS_ECORRUPT = -3,  /* index data fails a checksum or a consistency check */
    AS_EFORMAT = -4,   /* index of another format or analyzer version */
    AS_ESYNTAX = -5,   /* query syntax error */
    AS_ENOTFOUND = -6, /* no such term / index / file */
    AS_ESKIP = -7,     /* input file skipped (binary, empty, unreadable, ...) */
    AS_EINVAL = -8,    /* bad argument or option value */
    AS_ELOCKED = -9,   /* another writer holds the index lock */
    AS_ELIMIT = -10,   /* a protective limit was exceeded */
    AS_EREMOTE = -11   /* Xapian / remote shard failure */
};

typedef struct as_err {
    int code;
    char msg[512];
} as_err;

/* Sets err->code and a printf-style message; returns code.  NULL err is allowed. */
int as_err_set(as_err *err, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Short name of a status code ("out of memory", "corrupt index", ...). */
const char *as_strerror(int code);

/* ---- The CQC domain ---------------------------------------------------- */

/* Sentence kinds.  The numeric values are stored in the index. */
enum as_kind {
    AS_KIND_FINDING = 0,
    AS_KIND_COMMITMENT = 1,  /* "The local authority commitment" (fixed text) */
    AS_KIND_EXPECTATION = 2, /* "What people expect" I-statements */
    AS_KIND_HEADING = 3,
    AS_NKINDS = 4
};
const char *as_kind_name(int kind);           /* "finding", ...; NULL if out of range */
int as_kind_parse(const char *s, size_t len); /* -1 if unknown */

/* Quality statements 1..9; 0 = unknown.  Themes 1..4; 0 = unknown. */
#define AS_NSTATEMENTS 9
const char *as_statement_name(int statement); /* canonical name; NULL if not 1..9 */
int as_statement_theme(int statement);        /* 1..4, 0 if unknown */
const char *as_theme_name(int theme);         /* NULL if not 1..4 */
/* Recognises a quality statement from a heading or user text by keyword
 * ("live"/"lead healthier lives", "safe pathways, systems and transitions" in
 * either order, "1".."9").  Returns 1..9 or 0. */
int as_statement_match(const char *s, size_t len);

/* CQC scores 1..4; 0 = unknown. */
const char *as_score_label(int score); /* "Evidence shows a good standard", ... */

/* A council name as compared by council: filters (both engines): lower-case
 * ASCII letters and digits (other bytes >= 0x80 kept), every other run of
 * bytes one space: "St. Helens" == "st helens".  malloc'd; NULL if out of
 * memory. */
char *as_council_normalize(const char *s, size_t len);
/* The same into out (room for len + 1 bytes, NUL-terminated); returns the
 * normalized length (<= len). */
size_t as_council_normalize_to(const char *s, size_t len, char *out);

/* Resolves a council: filter value against a list of council names
 * (norm[c] = as_council_normalize of name(ctx, c)): an exact normalized
 * match wins, else the one name containing it.  AS_OK with *id;
 * AS_ENOTFOUND ("no council matches 'x'"), AS_EINVAL (empty, or ambiguous:
 * the message lists up to 8 candidates) or AS_ENOMEM, message in err.
 * Shared by both engines so that they resolve names identically. */
int as_council_resolve(char *const *norm, uint32_t n,
                       const char *(*name)(void *ctx, uint32_t c), void *ctx,
                       const char *typed, uint32_t *id, as_err *err);

/* Dates are kept as yyyymmdd integers (20231117); 0 = unknown. */
/* Writes "2023-11-17" into buf (>= 11 bytes); "" for 0. */
void as_date_iso(uint32_t ymd, char buf[11]);

/* Metadata shared by a run of sentences (a report page, or one statement of
 * a summary page, or one row of a .tsv file).  Strings are NULL when unknown. */
typedef struct as_meta {
    char *council;
    int statement;      /* 0..9 */
    int score;          /* 0..4 */
    uint32_t published; /* yyyymmdd or 0 */
    uint32_t updated;   /* yyyymmdd or 0 */
} as_meta;

#endif
