/*
 * tsvwalk.h — Interface to tsvwalk.c: lists the .tsv files of a generated
 * corpus tree and reads their rows (the findings format of
 * assess-corpus(5): a header naming the columns, then one sentence a row).
 * Shared by the benchmark's floor program and its FTS5 and Xapian peers, so
 * that every contender reads exactly the same sentences.  Plain C, usable
 * from C++.
 */
#ifndef BENCH_TSVWALK_H
#define BENCH_TSVWALK_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

enum { TW_COUNCIL, TW_STATEMENT, TW_SCORE, TW_PUBLISHED, TW_UPDATED,
       TW_SECTION, TW_KIND, TW_ID, TW_TEXT, TW_NCOLS };

/* One row: fields point into the file's buffer (not NUL-terminated); an
 * absent column has len 0.  Valid during the callback only. */
typedef struct tw_row {
    const char *f[TW_NCOLS];
    size_t len[TW_NCOLS];
} tw_row;

/* Returning non-zero stops the walk; that value is returned. */
typedef int (*tw_row_fn)(void *ctx, const tw_row *row);

/* The .tsv files under root (recursively), sorted by path.  *paths is one
 * malloc'd array of malloc'd strings: free with tw_free_list().  Returns 0,
 * or -1 with a message on stderr. */
int tw_list(const char *root, char ***paths, size_t *n);
void tw_free_list(char **paths, size_t n);

/* Reads one file and calls fn per row.  Returns 0, fn's non-zero value, or
 * -1 with a message on stderr. */
int tw_file(const char *path, tw_row_fn fn, void *ctx);

/* tw_list + tw_file over every file.  *nfiles (may be NULL) receives the
 * number of files. */
int tw_walk(const char *root, tw_row_fn fn, void *ctx, size_t *nfiles);

#ifdef __cplusplus
}
#endif

#endif
