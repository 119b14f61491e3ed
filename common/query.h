/*
 * query.h — Interface to the query parser (query.c): query string -> query
 * tree, executed by either engine (native: searcher/engine.c; Xapian:
 * common/xapian_shim.cc through xquery.c).
 *
 * Language (assess-search(1)): words are all required; "a phrase"; OR
 * (upper case) between items; -word and NOT word; ( ); prefix*; filters
 * council: statement: theme: score: (2, <=2, >=3, 2..3) year: (2023,
 * 2023..2024) kind:.  Acronym expansion is done here (not by an engine):
 * "SAR" in capitals -> OR(^sar, PHRASE(safeguard adult review)); the
 * expansion's words in the query -> OR(AND(words...), ^acro).
 *
 * Semantics shared by both engines (BM25 per DESIGN.md section 7):
 *   TERM     matches docs containing term; weight = BM25 of the term
 *   PHRASE   kids are TERMs with offsets; matches when every kid occurs at
 *            p + offset for some p; weight = sum of kids' BM25 (full wdf)
 *   AND      all kids match; weight = sum
 *   OR       any kid matches; weight = sum over matching kids
 *   ANDNOT   kids[0] matches and kids[1] does not; weight = kids[0]'s
 *   NOTHING  matches nothing (an unknown prefix, an empty expansion)
 * Every leaf has wqf = 1 (a repeated leaf counts again).  The final score
 * is weight * kind_weight[kind]; filters restrict without weighting.
 */
#ifndef AS_QUERY_H
#define AS_QUERY_H

#include "as.h"
#include "analyze.h"

enum as_qop { AS_Q_TERM, AS_Q_PHRASE, AS_Q_AND, AS_Q_OR, AS_Q_ANDNOT, AS_Q_NOTHING };

enum { /* as_qnode.flags: provenance, for --explain and output notes */
    AS_QF_PREFIX = 1,   /* expanded from prefix* */
    AS_QF_ACRONYM = 2,  /* acronym term or expansion */
    AS_QF_COMPOUND = 4  /* from a hyphenated / joined compound */
};

typedef struct as_qnode {
    int op;                 /* enum as_qop */
    char *term;             /* AS_Q_TERM: NUL-terminated term bytes */
    uint32_t offset;        /* AS_Q_TERM inside a PHRASE: position offset */
    struct as_qnode **kids;
    size_t nkids;
    int flags;
    const char *origin;     /* the query text this node came from (for explain) */
    int acronym;            /* index in the acronym table used, or -1 */
} as_qnode;

/* Filters.  Masks: bit i set = value i allowed; 0 = no restriction. */
typedef struct as_filter {
    char **councils;        /* as typed, any of them; resolved by the engine */
    size_t ncouncils;
    uint16_t statements;    /* bits 1..9 */
    uint8_t themes;         /* bits 1..4 */
    uint8_t scores;         /* bits 1..4 */
    uint8_t kinds;          /* bits 0..3 (enum as_kind) */
    int year_min, year_max; /* of published date; 0 = open */
} as_filter;

/* What the parser needs to know about the index it will run on. */
typedef struct as_lexicon {
    void *ctx;
    /* Calls fn for each indexed term starting with prefix, in byte order,
     * until fn returns non-zero; returns that value or 0. */
    int (*each_prefix)(void *ctx, const char *prefix, size_t plen,
                       int (*fn)(void *arg, const char *term, size_t len),
                       void *arg);
    const as_acrotab *acronyms; /* may be NULL */
} as_lexicon;

typedef struct as_query_opts {
    int any;               /* 1: words optional (OR), for --any */
    size_t max_expansion;  /* prefix* terms at most (0 = default 1000) */
    size_t max_length;     /* query bytes at most (0 = default 4096) */
    int literal;           /* 1: no operators or filters, every word is text
                              (natural-language topics, --batch) */
    int stopwords;         /* 1: with any, drop common English function
                              words (the, of, and, ...) unless all are */
} as_query_opts;

typedef struct as_query {
    as_qnode *root;         /* NULL when the query has only filters */
    as_filter filter;
    /* Acronym expansions used, for the "SAR = Safeguarding Adults Reviews"
     * note: indexes into the lexicon's acronym table. */
    int *acronyms_used;
    size_t nacronyms_used;
    int truncated_prefix;   /* a prefix* hit max_expansion */
    void *arena;            /* private */
} as_query;

/* Parses q.  On AS_ESYNTAX, err->msg points at the problem
 * ("unbalanced parenthesis at column 7").  an is the caller's analyzer. */
int as_query_parse(const char *q, size_t len, as_analyzer *an,
                   const as_lexicon *lex, const as_query_opts *o,
                   as_query **out, as_err *err);
/* Adds one filter given apart from the query text (--council durham,
 * --score '<=2'): field is "council", "statement", "theme", "score", "year"
 * or "kind", value as it would follow "field:" in a query.  The same rules as
 * in the query: repeating council/statement/theme/score/kind allows any of
 * the values, repeating year narrows it.  AS_EINVAL for an unknown field,
 * AS_ESYNTAX for a bad value (message without a column).  Copies value into
 * q's arena. */
int as_query_add_filter(as_query *q, const char *field, const char *value,
                        as_err *err);
/* The same words, all optional (for the partial-match fallback). */
int as_query_relax(const as_query *q, as_query **out, as_err *err);
void as_query_free(as_query *q); /* NULL is fine */
/* Debug form: (AND learn (OR ^sar (PHRASE safeguard@0 adult@1 review@2))) */
int as_query_dump(const as_qnode *n, char *buf, size_t cap);

#endif
