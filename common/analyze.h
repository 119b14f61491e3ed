/*
 * analyze.h — Interface to the analyzer (analyze.c) and the acronym table
 * (acronym.c).  One analyzer serves indexing, query parsing and
 * highlighting, so what is highlighted is exactly what matched.
 *
 * Terms (the bytes stored in the index and in Xapian):
 *   - a word:       its Snowball english stem, lower case UTF-8 ("learn");
 *                   protected words map to a fixed term instead (see analyze.c)
 *   - a number:     digits kept whole with decimals and forms like 2022/23
 *                   ("68.42", "2022/23")
 *   - a compound:   co-production -> "co" @p, "product" @p+1 and the joined
 *                   stem "coproduct" @p (AS_TOK_JOINED)
 *   - an acronym written in capitals (>= 2 capitals, more capitals than
 *     lower case, <= 6 letters, optional plural "s", e.g. TEC, SARs, DoLS):
 *     its ordinary term *and* "^" + lower-case singular acronym ("^sar") at
 *     the same position (AS_TOK_ACRONYM).
 * The exact rules (apostrophes, numbers, accents, limits) are at the top of
 * analyze.c.
 * Every term counts 1 toward the sentence length (BM25 doclen).
 *
 * Analysis depends on the sentence alone (never on corpus-wide state), so an
 * unchanged file's terms stay valid when other files change.
 */
#ifndef AS_ANALYZE_H
#define AS_ANALYZE_H

#include "as.h"

/* Bumped whenever the terms produced for some text change: an index built
 * by another version must be rebuilt. */
#define AS_ANALYZER_VERSION 1

#define AS_TERM_MAX 64 /* longer words are truncated to this many bytes */

enum {
    AS_TOK_WORD = 0,     /* ordinary term */
    AS_TOK_PART = 1,     /* a part of a hyphenated compound */
    AS_TOK_JOINED = 2,   /* the joined form of a compound */
    AS_TOK_ACRONYM = 4,  /* "^xxx" acronym term */
    AS_TOK_NUMBER = 8
};

typedef struct as_token {
    const char *term; /* not NUL-terminated; valid until the next call */
    uint32_t len;
    uint32_t pos;     /* 0-based word position */
    uint32_t start;   /* byte span of the source word(s) in the input text */
    uint32_t end;
    uint32_t flags;   /* AS_TOK_* */
    /* as_term_hash(term, len, &head) (termhash.h): the index writer's term
     * table key, made once per stem the analyzer caches rather than once
     * per token by the indexer (as_wpost_add_an) */
    uint32_t hash;
    uint64_t head;
} as_token;

typedef struct as_analyzer as_analyzer; /* one per thread: not thread-safe */

int as_analyzer_new(as_analyzer **out);
void as_analyzer_free(as_analyzer *an); /* NULL is fine */

/* Analyzes UTF-8 text (invalid bytes are treated as separators).  Tokens are
 * in position order (for one position: the ordinary term first, then joined
 * or acronym terms).  The array belongs to the analyzer, valid until its next
 * call.  Returns AS_OK or AS_ENOMEM (AS_EINVAL for NULL text with len > 0,
 * AS_ELIMIT for len > 4 GiB: spans are 32-bit). */
int as_analyze(as_analyzer *an, const char *text, size_t len,
               const as_token **toks, size_t *ntoks);

/* The term for one word (no compound / acronym handling): stem or protected
 * form, lower-cased.  All letters and digits of the input count as one word
 * ("co-production" -> "coproduct", as the joined form); none -> *tlen 0.
 * Result in the analyzer's buffer, valid until next call. */
int as_analyze_word(as_analyzer *an, const char *word, size_t len,
                    const char **term, size_t *tlen);

/* ---- Acronyms ---------------------------------------------------------- */

/* A definition "Safeguarding Adults Reviews (SAR)" mined from text. */
typedef struct as_acronym {
    char *acro;      /* as written, singular: "SAR", "DoLS" */
    char *expansion; /* as written: "Safeguarding Adults Reviews" */
    uint32_t count;  /* how many times defined (mining) */
    int curated;     /* 1 if from the built-in table */
} as_acronym;

typedef struct as_acrotab as_acrotab;

int as_acrotab_new(as_acrotab **out);   /* empty table */
void as_acrotab_free(as_acrotab *t);    /* NULL is fine */
int as_acrotab_add_curated(as_acrotab *t); /* adds the built-in table */
/* Finds every definition in one sentence and adds it (count += 1). */
int as_acrotab_mine(as_acrotab *t, const char *text, size_t len);
int as_acrotab_add(as_acrotab *t, const char *acro, const char *expansion,
                   uint32_t count, int curated);
/* Merges all entries of src into t (counts added). */
int as_acrotab_merge(as_acrotab *t, const as_acrotab *src);
/* Entries sorted by (lower-case acro, expansion); valid until t changes. */
size_t as_acrotab_size(const as_acrotab *t);
const as_acronym *as_acrotab_get(const as_acrotab *t, size_t i);
/* The chosen expansion for an acronym (case-insensitive, singular): the
 * most often defined; ties -> mined before curated, then byte order.  NULL
 * if unknown. */
const as_acronym *as_acrotab_find(const as_acrotab *t, const char *acro,
                                  size_t len);
/* The same entry's index (for as_acrotab_get) in *idx; AS_ENOTFOUND. */
int as_acrotab_find_index(const as_acrotab *t, const char *acro, size_t len,
                          size_t *idx);

/* One structure derived from the table's entries alone, cached with it
 * (acronym.c, "Memo"): as_acrotab_memo gives it or NULL.  set_memo installs
 * m unless one is there already and returns the installed one (m, or the
 * earlier one: then m is freed with fr at once); NULL without memory (m
 * freed).  The table frees the memo with fr when freed or changed. */
void *as_acrotab_memo(const as_acrotab *t);
void *as_acrotab_set_memo(const as_acrotab *t, void *m, void (*fr)(void *));

/* Stores a table in a self-checking byte string (format in acronym.c) and
 * reads it back.  serialize: *buf is malloc'd, the caller free()s it.
 * deserialize: *out is a new table (as_acrotab_free); damaged or truncated
 * bytes give AS_ECORRUPT, another format version AS_EFORMAT, never a crash. */
int as_acrotab_serialize(const as_acrotab *t, char **buf, size_t *len);
int as_acrotab_deserialize(as_acrotab **out, const char *buf, size_t len,
                           as_err *err);

#endif
