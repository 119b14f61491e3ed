/*
 * dump.h — Interface to the sentence dump (dump.c): a parsed page as JSON
 * Lines, one object per sentence, for `assess-index --dump`.
 *
 * Fields, in this order (absent values are null): council, statement (1-9),
 * statement_name, theme (1-4), score (1-4), score_label, published, updated
 * (ISO dates "2023-11-17"), section, kind, text, path, line, paragraph,
 * sentence.  These are the sentence fields of assess-search --json.
 */
#ifndef AS_DUMP_H
#define AS_DUMP_H

#include <stdio.h>

#include "reader.h"

/* Writes p's sentences to f.  AS_OK, or AS_EIO when writing failed. */
int as_dump_page(FILE *f, const as_page *p);

#endif
