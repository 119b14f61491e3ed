/*
 * utf8.c — strict UTF-8 decoding, character classes and folding for the
 * analyzer and the acronym miner.
 *
 * Folding: ASCII and the Latin letters of Latin-1 and Latin Extended-A
 * (U+00C0..U+017F, the accented letters English text borrows: café, naïve,
 * Zoë, Łódź) are lower-cased *and* stripped of diacritics, so "Café",
 * "cafe" and "café" are one word: a search tool for English reports should
 * not make people type accents.  Greek and Cyrillic capitals are
 * lower-cased; other letters are kept as they are.  Any code point we do not
 * know to be punctuation, a symbol or a space counts as a letter, so text in
 * other scripts is still searchable (as whole runs).
 */
#include "utf8.h"

size_t as_utf8_decode(const unsigned char *s, size_t n, uint32_t *cp)
{
    unsigned c = s[0];
    if (c < 0x80) {
        *cp = c;
        return 1;
    }
    if (c < 0xC2) /* continuation byte, or an overlong 2-byte lead */
        return 0;
    if (c < 0xE0) {
        if (n < 2 || (s[1] & 0xC0) != 0x80)
            return 0;
        *cp = ((uint32_t)(c & 0x1F) << 6) | (s[1] & 0x3F);
        return 2;
    }
    if (c < 0xF0) {
        if (n < 3 || (s[1] & 0xC0) != 0x80 || (s[2] & 0xC0) != 0x80)
            return 0;
        uint32_t v = ((uint32_t)(c & 0x0F) << 12) | ((uint32_t)(s[1] & 0x3F) << 6)
                     | (s[2] & 0x3F);
        if (v < 0x800 || (v >= 0xD800 && v <= 0xDFFF))
            return 0;
        *cp = v;
        return 3;
    }
    if (c < 0xF5) {
        if (n < 4 || (s[1] & 0xC0) != 0x80 || (s[2] & 0xC0) != 0x80
            || (s[3] & 0xC0) != 0x80)
            return 0;
        uint32_t v = ((uint32_t)(c & 0x07) << 18) | ((uint32_t)(s[1] & 0x3F) << 12)
                     | ((uint32_t)(s[2] & 0x3F) << 6) | (s[3] & 0x3F);
        if (v < 0x10000 || v > 0x10FFFF)
            return 0;
        *cp = v;
        return 4;
    }
    return 0;
}

size_t as_utf8_encode(uint32_t cp, char out[4])
{
    if (cp < 0x80) {
        out[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        out[0] = (char)(0xC0 | (cp >> 6));
        out[1] = (char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp >= 0xD800 && cp <= 0xDFFF)
        return 0;
    if (cp < 0x10000) {
        out[0] = (char)(0xE0 | (cp >> 12));
        out[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        out[2] = (char)(0x80 | (cp & 0x3F));
        return 3;
    }
    if (cp <= 0x10FFFF) {
        out[0] = (char)(0xF0 | (cp >> 18));
        out[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
        out[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
        out[3] = (char)(0x80 | (cp & 0x3F));
        return 4;
    }
    return 0;
}

/* Latin-1 letters and Latin Extended-A, U+00C0..U+017F, to their folded
 * ASCII spelling; "" marks the two symbols in the block (× ÷). */
static const char *const latin[0x180 - 0xC0] = {
    /* C0 */ "a", "a", "a", "a", "a", "a", "ae", "c",
    /* C8 */ "e", "e", "e", "e", "i", "i", "i", "i",
    /* D0 */ "d", "n", "o", "o", "o", "o", "o", "",
    /* D8 */ "o", "u", "u", "u", "u", "y", "th", "ss",
    /* E0 */ "a", "a", "a", "a", "a", "a", "ae", "c",
    /* E8 */ "e", "e", "e", "e", "i", "i", "i", "i",
    /* F0 */ "d", "n", "o", "o", "o", "o", "o", "",
    /* F8 */ "o", "u", "u", "u", "u", "y", "th", "y",
    /* 100 */ "a", "a", "a", "a", "a", "a", "c", "c",
    /* 108 */ "c", "c", "c", "c", "c", "c", "d", "d",
    /* 110 */ "d", "d", "e", "e", "e", "e", "e", "e",
    /* 118 */ "e", "e", "e", "e", "g", "g", "g", "g",
    /* 120 */ "g", "g", "g", "g", "h", "h", "h", "h",
    /* 128 */ "i", "i", "i", "i", "i", "i", "i", "i",
    /* 130 */ "i", "i", "ij", "ij", "j", "j", "k", "k",
    /* 138 */ "k", "l", "l", "l", "l", "l", "l", "l",
    /* 140 */ "l", "l", "l", "n", "n", "n", "n", "n",
    /* 148 */ "n", "n", "n", "n", "o", "o", "o", "o",
    /* 150 */ "o", "o", "oe", "oe", "r", "r", "r", "r",
    /* 158 */ "r", "r", "s", "s", "s", "s", "s", "s",
    /* 160 */ "s", "s", "t", "t", "t", "t", "t", "t",
    /* 168 */ "u", "u", "u", "u", "u", "u", "u", "u",
    /* 170 */ "u", "u", "u", "u", "w", "w", "y", "y",
    /* 178 */ "y", "z", "z", "z", "z", "z", "z", "s",
};

/* Code points that are not letters, outside the blocks handled above. */
static int nonletter_class(uint32_t cp)
{
    if (cp < 0xC0) /* C1 controls, Latin-1 punctuation and symbols */
        return cp == 0xAD ? AS_CH_IGNORE : AS_CH_SEP;
    if (cp == 0x02BC)
        return AS_CH_APOS;
    if (cp >= 0x0300 && cp <= 0x036F) /* combining diacritics: dropped */
        return AS_CH_IGNORE;
    if (cp >= 0x2000 && cp <= 0x206F) { /* general punctuation */
        switch (cp) {
        case 0x2010: case 0x2011: case 0x2013:
            return AS_CH_HYPHEN;
        case 0x2018: case 0x2019: case 0x201B:
            return AS_CH_APOS;
        case 0x200C: case 0x200D: case 0x2060:
            return AS_CH_IGNORE;
        }
        return AS_CH_SEP;
    }
    /* super/subscripts, currency, letterlike, number forms, arrows, maths,
     * technical, box drawing, shapes, dingbats, misc symbols, braille,
     * supplemental punctuation */
    if (cp >= 0x2070 && cp <= 0x2E7F)
        return AS_CH_SEP;
    if (cp >= 0x3000 && cp <= 0x303F) /* CJK punctuation */
        return AS_CH_SEP;
    if (cp >= 0xE000 && cp <= 0xF8FF) /* private use */
        return AS_CH_SEP;
    if ((cp >= 0xFE00 && cp <= 0xFE0F) || cp == 0xFEFF)
        return AS_CH_IGNORE;
    if (cp >= 0xFE10 && cp <= 0xFE6F)
        return AS_CH_SEP;
    if (cp >= 0xFF00 && cp <= 0xFF65) { /* full-width forms */
        if ((cp >= 0xFF10 && cp <= 0xFF19) || (cp >= 0xFF21 && cp <= 0xFF3A)
            || (cp >= 0xFF41 && cp <= 0xFF5A))
            return AS_CH_LETTER; /* folded by the caller */
        return AS_CH_SEP;
    }
    if (cp >= 0xFFF0 && cp <= 0xFFFF)
        return AS_CH_SEP;
    if (cp >= 0x1F000 && cp <= 0x1FAFF) /* emoji, playing cards, ... */
        return AS_CH_SEP;
    if (cp >= 0xE0000 && cp <= 0xE007F) /* tag characters */
        return AS_CH_IGNORE;
    if (cp >= 0xF0000) /* supplementary private use */
        return AS_CH_SEP;
    return AS_CH_LETTER;
}

int as_utf8_fold(uint32_t cp, char out[4], size_t *outlen)
{
    *outlen = 0;
    if (cp < 0x80) {
        if (cp >= 'a' && cp <= 'z') {
            out[0] = (char)cp;
            *outlen = 1;
            return AS_CH_LETTER;
        }
        if (cp >= 'A' && cp <= 'Z') {
            out[0] = (char)(cp + 32);
            *outlen = 1;
            return AS_CH_LETTER;
        }
        if (cp >= '0' && cp <= '9') {
            out[0] = (char)cp;
            *outlen = 1;
            return AS_CH_DIGIT;
        }
        if (cp == '\'')
            return AS_CH_APOS;
        if (cp == '-')
            return AS_CH_HYPHEN;
        return AS_CH_SEP;
    }
    if (cp >= 0xC0 && cp < 0x180) {
        const char *f = latin[cp - 0xC0];
        if (!f[0])
            return AS_CH_SEP;
        size_t n = 0;
        while (f[n]) {
            out[n] = f[n];
            n++;
        }
        *outlen = n;
        return AS_CH_LETTER;
    }
    int cls = nonletter_class(cp);
    if (cls != AS_CH_LETTER)
        return cls;
    if (cp >= 0xFF10 && cp <= 0xFF19) {
        out[0] = (char)('0' + (cp - 0xFF10));
        *outlen = 1;
        return AS_CH_DIGIT;
    }
    if (cp >= 0xFF21 && cp <= 0xFF3A) {
        out[0] = (char)('a' + (cp - 0xFF21));
        *outlen = 1;
        return AS_CH_LETTER;
    }
    if (cp >= 0xFF41 && cp <= 0xFF5A) {
        out[0] = (char)('a' + (cp - 0xFF41));
        *outlen = 1;
        return AS_CH_LETTER;
    }
    uint32_t lc = cp;
    if ((cp >= 0x0391 && cp <= 0x03A9 && cp != 0x03A2)  /* Greek capitals */
        || (cp >= 0x0410 && cp <= 0x042F))              /* Cyrillic А..Я */
        lc = cp + 0x20;
    else if (cp >= 0x0400 && cp <= 0x040F)              /* Cyrillic Ѐ..Џ */
        lc = cp + 0x50;
    *outlen = as_utf8_encode(lc, out);
    return AS_CH_LETTER;
}
