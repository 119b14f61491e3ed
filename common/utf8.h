/*
 * utf8.h — Interface to utf8.c: strict UTF-8 decoding and the character
 * classes and case/diacritic folding shared by the analyzer (analyze.c) and
 * the acronym miner (acronym.c), so both read words the same way.
 */
#ifndef AS_UTF8_H
#define AS_UTF8_H

#include <stddef.h>
#include <stdint.h>

/* Decodes one code point from s[0..n) (n >= 1).  Returns its byte length
 * (1..4), or 0 when the bytes there are not valid UTF-8 (stray continuation
 * byte, overlong form, surrogate, > U+10FFFF, truncated sequence): the caller
 * then treats one byte as a separator and moves on. */
size_t as_utf8_decode(const unsigned char *s, size_t n, uint32_t *cp);

/* Writes the UTF-8 encoding of cp (<= U+10FFFF, not a surrogate) to out;
 * returns its length (1..4), 0 if cp cannot be encoded. */
size_t as_utf8_encode(uint32_t cp, char out[4]);

/* Character classes, as words are read. */
enum {
    AS_CH_SEP = 0,    /* separator: space, punctuation, symbol, control */
    AS_CH_LETTER = 1, /* part of a word */
    AS_CH_DIGIT = 2,  /* 0-9 (also full-width digits) */
    AS_CH_APOS = 3,   /* ' U+2018 U+2019 U+201B U+02BC: apostrophe */
    AS_CH_HYPHEN = 4, /* - U+2010 U+2011 U+2013 (en dash): may join a compound */
    AS_CH_IGNORE = 5  /* invisible inside a word: soft hyphen, combining
                         marks, ZWJ/ZWNJ, word joiner, variation selectors */
};

/* Classifies cp.  For letters and digits writes the folded form (lower case,
 * diacritics removed: "É" -> "e", "ß" -> "ss", "Æ" -> "ae"; letters of other
 * scripts lower-cased where simple (Greek, Cyrillic) or kept as they are) to
 * out (1..4 bytes, not NUL-terminated) and its length to *outlen; otherwise
 * *outlen = 0. */
int as_utf8_fold(uint32_t cp, char out[4], size_t *outlen);

#endif
