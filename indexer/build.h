/*
 * build.h — Interface to build.c: one indexing run, from corpus roots to a
 * published generation (incremental unless told otherwise).
 */
#ifndef AS_BUILD_H
#define AS_BUILD_H

#include "as.h"
#include "reader.h"

typedef struct as_build_opts {
    const char *indexdir;
    const char *const *roots;
    size_t nroots;
    int rebuild;          /* ignore what the live generation offers */
    int threads;          /* analysis threads; 0 = number of cores */
    size_t mem_limit;     /* writer memory before spilling; 0 = default */
    int progress;         /* draw a progress line on stderr */
    as_warn_fn warn;      /* warnings about corpus files */
    void *warn_ctx;
} as_build_opts;

typedef struct as_build_stats {
    unsigned added, changed, removed, unchanged, skipped, warned;
    uint64_t sentences;   /* in the live generation after the run */
    uint64_t parsed;      /* files actually read and analysed */
    int new_generation;   /* 1 if a generation was published */
    char generation[64];  /* live generation after the run */
    double seconds;
    /* store blocks of unchanged files: copied as they were (the old
     * vocab kept), or decoded and coded again (its vocab ranked afresh) */
    uint64_t store_verbatim, store_recoded;
    /* Non-empty when the live generation turned out damaged while its
     * files were copied: what was wrong (it names the file).  The run then
     * rebuilt from the corpus, copying nothing (as with --rebuild). */
    char damaged[600];
} as_build_stats;

/* Runs one build with the lock already held.  AS_OK when the live
 * generation is complete (whether or not files were skipped). */
int as_build_run(const as_build_opts *o, as_build_stats *st, as_err *err);

#endif
