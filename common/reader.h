/*
 * reader.h — Interface to the corpus reader (reader.c, walk.c, manifest.c,
 * segment.c): corpus tree -> files -> pages -> sentences.
 *
 * The page shapes, MANIFEST.tsv and the .tsv findings format are documented
 * in man/assess-corpus.5; this header is the programming interface only.
 */
#ifndef AS_READER_H
#define AS_READER_H

#include "as.h"

/* ---- Walking a corpus tree --------------------------------------------- */

/* One corpus file found by the walker. */
typedef struct as_file {
    char *path;             /* absolute, canonical (realpath of root + relative) */
    char *display;          /* as the user would write it: root as given + relative */
    const as_meta *manifest; /* MANIFEST.tsv row for this file, or NULL */
    uint64_t size;
    int64_t mtime_ns;
} as_file;

typedef struct as_corpus as_corpus; /* the walked file list plus manifests */

/* Warnings (skipped special files, symlink loops, unreadable directories,
 * bad MANIFEST rows) go to warn(ctx, path, reason), one call per problem. */
typedef void (*as_warn_fn)(void *ctx, const char *path, const char *reason);

/* Walks the roots (files or directories), collecting corpus files
 * (.txt .md .tsv, each optionally .gz) in byte order of their canonical path;
 * MANIFEST.tsv, NOTICE and README files are not corpus files.  Fails only on
 * out-of-memory or when a root does not exist (err names it). */
int as_corpus_walk(const char *const *roots, size_t nroots, as_warn_fn warn,
                   void *warn_ctx, as_corpus **out, as_err *err);
size_t as_corpus_nfiles(const as_corpus *c);
const as_file *as_corpus_file(const as_corpus *c, size_t i); /* valid until free */
void as_corpus_free(as_corpus *c);                           /* NULL is fine */

/* ---- Reading one page --------------------------------------------------- */

typedef struct as_sentence {
    const as_meta *meta; /* points into the page's metas */
    char *text;          /* UTF-8, as in the source (curly quotes kept) */
    char *section;       /* enclosing section heading, or NULL */
    int kind;            /* enum as_kind */
    uint32_t line;       /* 1-based line of the sentence's first character */
    uint32_t paragraph;  /* 1-based within the page */
    uint32_t sentence;   /* 1-based within the paragraph */
    char *id;            /* .tsv "id" column (evaluation), else NULL */
    size_t len;          /* strlen(text), kept so that no consumer counts it again */
} as_sentence;

typedef struct as_page {
    const char *path;    /* copied from the as_file; owned by the page */
    as_meta *metas;      /* one or more; sentences point into this array */
    size_t nmetas;
    as_sentence *sents;
    size_t nsents;
    int overall_percent; /* summary pages: "scored 78 out of 100" -> 78; else -1 */
    char *overall_rating; /* summary pages: "Good", ...; else NULL */
    unsigned nwarnings;   /* warnings reported while reading (repairs) */
} as_page;

/* Reads and parses one file (plain or .gz via zlib's gz* API).  Returns
 * AS_OK with *out set (warnings, e.g. invalid UTF-8 repaired, reported
 * through warn and counted in nwarnings), or AS_ESKIP with err naming the
 * reason (binary, empty, no recognisable statement, unreadable, ...), or
 * AS_ENOMEM.  crc32_out, if not NULL, receives zlib crc32 of the raw bytes. */
int as_page_read(const as_file *f, as_warn_fn warn, void *warn_ctx,
                 as_page **out, uint32_t *crc32_out, as_err *err);
/* Same from a memory buffer (tests, fuzzing); path is used for messages and
 * for the shape (".tsv" suffix selects the findings format). */
int as_page_parse(const char *path, const char *buf, size_t len,
                  const as_meta *manifest, as_warn_fn warn, void *warn_ctx,
                  as_page **out, as_err *err);
void as_page_free(as_page *p); /* NULL is fine */

/* ---- Output ------------------------------------------------------------ */

/* Writes s as a JSON string (with quotes) to f: control characters escaped,
 * invalid UTF-8 replaced by U+FFFD.  Returns 1 if anything was replaced. */
#include <stdio.h>
int as_json_string(FILE *f, const char *s, size_t len);

#endif
