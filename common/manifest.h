/*
 * manifest.h — Interface to MANIFEST.tsv parsing (manifest.c), and the date
 * parser it shares with the page reader (reader.c).  Internal to the reader
 * module: the walker (walk.c) is its user.
 *
 * MANIFEST.tsv (documented in man/assess-corpus.5): UTF-8, tab-separated,
 * a header line naming the columns in any order (path required; council,
 * statement, score, published, updated optional; others ignored), then one
 * row per corpus file, its path relative to the manifest's directory.  An
 * empty field says nothing (the page's own header, if any, is used).
 */
#ifndef AS_MANIFEST_H
#define AS_MANIFEST_H

#include "reader.h"

typedef struct as_manifest_row {
    char *path;     /* canonical absolute path of the file named */
    as_meta meta;   /* council is malloc'd (or NULL) */
    uint32_t line;  /* line in MANIFEST.tsv, for messages */
} as_manifest_row;

/* Parses a MANIFEST.tsv held in buf.  dir is the canonical directory the
 * manifest lives in (row paths are resolved against it with realpath(3));
 * display names the manifest in warnings.  Bad rows are skipped with a
 * warning naming the line.  Appends to *rows (malloc'd array of *nrows,
 * capacity *cap); free with as_manifest_rows_free.  AS_OK or AS_ENOMEM. */
int as_manifest_parse(const char *dir, const char *display, const char *buf, size_t len,
                      as_warn_fn warn, void *warn_ctx, as_manifest_row **rows,
                      size_t *nrows, size_t *cap);
void as_manifest_rows_free(as_manifest_row *rows, size_t n);

/* Parses a date at the start of s: "17 November 2023", "17th Nov 2023",
 * "November 17, 2023", "2023-11-17" or "17/11/2023" (day first).  Returns
 * yyyymmdd, or 0 when s holds no valid date. */
uint32_t as_reader_parse_date(const char *s, size_t n);

#endif
