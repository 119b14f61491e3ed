/*
 * fuzz_common.h — Interface to fuzz_common.c: what the libFuzzer targets
 * share.  A small valid index generation built in process (the bundled
 * reports plus a synthetic findings page big enough to have multi-block
 * postings, several store blocks and duplicate groups), a strict JSON
 * validator for checking output, a UTF-8 check and temp-dir handling.
 *
 * Fuzz targets keep one analyzer / index per process in static variables:
 * libFuzzer calls LLVMFuzzerTestOneInput with no context pointer, so that
 * is the one place the project allows process-wide state.
 */
#ifndef FUZZ_COMMON_H
#define FUZZ_COMMON_H

#include <stddef.h>
#include <stdint.h>

#include "as.h"

/* A check that holds for every input: on failure prints the message and
 * aborts, which libFuzzer reports as a crash with the input saved. */
#define FZ_CHECK(cond, ...)                                                    \
    do {                                                                       \
        if (!(cond))                                                           \
            fz_fail(__FILE__, __LINE__, #cond, __VA_ARGS__);                   \
    } while (0)
void fz_fail(const char *file, int line, const char *cond, const char *fmt, ...)
    __attribute__((noreturn, format(printf, 4, 5)));

/* The repository root: $AS_SRCDIR, else the directory the targets were
 * built from (FUZZ_SRCDIR, set by fuzz.mk). */
const char *fz_srcdir(void);

/* Makes a fresh directory under $TMPDIR (or /tmp) named after tag and
 * registers it for removal at exit.  Returns 0, -1 on failure; path in buf. */
int fz_tempdir(const char *tag, char *buf, size_t cap);
/* Removes a directory tree (no symlinks followed).  Best effort. */
void fz_rmtree(const char *dir);

/* Builds a complete generation into gendir (created; must not exist) from
 * corpus/ under fz_srcdir() and a synthetic .tsv page.  Returns AS_OK or
 * an error with err filled. */
int fz_build_generation(const char *gendir, as_err *err);

/* 1 if s[0..len) is well-formed UTF-8 (no overlongs, surrogates, > U+10FFFF). */
int fz_utf8_valid(const char *s, size_t len);

/* 1 if s[0..len) is exactly one JSON value (RFC 8259: strings checked for
 * escapes, control characters and UTF-8), optionally surrounded by white
 * space; 0 otherwise. */
int fz_json_valid(const char *s, size_t len);

/* Reads a whole file into a malloc'd buffer; 0 or -1.  *buf is freed by
 * the caller. */
int fz_read_file(const char *path, char **buf, size_t *len);

#endif
