/*
 * segment.h — Interface to the sentence splitter and the UTF-8 helpers the
 * reader and the JSON writer share (segment.c).
 *
 * The splitter cuts one paragraph (already known to be a unit of prose: not
 * a heading, not a bullet mark) into sentences.  Rules (DESIGN.md section 5):
 * a sentence ends at `.`, `!` or `?`, optionally followed by closing quotes
 * or brackets, when white space follows and then an upper-case letter, a
 * digit, or an opening quote or bracket; never after a common abbreviation
 * (e.g. i.e. etc. Dr Mr Mrs Ms No. St vs approx.), a single-letter initial,
 * or inside a number (68.42%, since no white space follows the point).
 * It runs in time linear in the paragraph, however long.
 */
#ifndef AS_SEGMENT_H
#define AS_SEGMENT_H

#include <stddef.h>
#include <stdint.h>

/* A sentence longer than this many bytes is cut at a word boundary (or, in
 * a run of 4096+ bytes without white space, at a UTF-8 character boundary):
 * it bounds what one indexed document and one output line can cost. */
#define AS_SENTENCE_MAX 8192

typedef struct as_segment {
    size_t off, len; /* trimmed byte range within the paragraph */
    uint32_t line;   /* source line of the first byte */
    int cut;         /* 1 if this piece ends at an AS_SENTENCE_MAX cut */
} as_segment;

/* Called once per sentence; a non-zero return stops the split and is
 * returned by as_segment_split. */
typedef int (*as_segment_fn)(void *ctx, const as_segment *seg);

/* Splits text[0..len) into sentences; line is the source line of text[0]
 * (each '\n' in text advances it).  Returns 0 or the callback's non-zero. */
int as_segment_split(const char *text, size_t len, uint32_t line,
                     as_segment_fn fn, void *ctx);

/* Copies s[0..len) into out (which must hold len + 1 bytes), collapsing
 * every run of white space that contains a line break into one space, so a
 * wrapped paragraph reads as one line.  Returns the length written (out is
 * NUL-terminated). */
size_t as_segment_clean(const char *s, size_t len, char *out);

/* Length of the next character at s[0..n) (n > 0): 1..4 bytes, with
 * *valid = 1 for a well-formed UTF-8 sequence; otherwise *valid = 0 and the
 * length of the maximal ill-formed subpart (Unicode's "maximal subpart"
 * rule), which is replaced by one U+FFFD.  Overlong forms, surrogates and
 * code points past U+10FFFF are ill-formed.  Returns 0 only when n == 0. */
size_t as_utf8_next(const char *s, size_t n, int *valid);

/* As as_segment_split, but only the AS_SENTENCE_MAX cut applies: for text
 * that is one sentence by construction (a .tsv row). */
int as_segment_bound(const char *text, size_t len, uint32_t line,
                     as_segment_fn fn, void *ctx);

#endif
