/*
 * safeout.c — terminal-safe output of untrusted text (see safeout.h).
 * A file name or a sentence may hold ESC sequences, 8-bit CSI (0x9B as a
 * lone byte or U+009B), or bidi overrides that reorder what is shown; none
 * of them reaches the terminal raw.
 */
#include "safeout.h"

#include <stdint.h>

/* Length of the valid UTF-8 sequence at p (1..4) and its code point, or 0. */
static size_t utf8_seq(const unsigned char *p, size_t n, uint32_t *cp)
{
    unsigned c = p[0];
    size_t len;
    uint32_t v, min;
    if (c < 0x80) {
        *cp = c;
        return 1;
    } else if (c >= 0xc2 && c <= 0xdf) {
        len = 2, v = c & 0x1f, min = 0x80;
    } else if (c >= 0xe0 && c <= 0xef) {
        len = 3, v = c & 0x0f, min = 0x800;
    } else if (c >= 0xf0 && c <= 0xf4) {
        len = 4, v = c & 0x07, min = 0x10000;
    } else {
        return 0;
    }
    if (n < len)
        return 0;
    for (size_t i = 1; i < len; i++) {
        if ((p[i] & 0xc0) != 0x80)
            return 0;
        v = (v << 6) | (p[i] & 0x3f);
    }
    if (v < min || v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff))
        return 0;
    *cp = v;
    return len;
}

void as_safe_write(FILE *f, const char *s, size_t len)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t run = 0, i = 0;
    while (i < len) {
        uint32_t cp;
        size_t n = utf8_seq(p + i, len - i, &cp);
        int bad = n == 0 || cp < 0x20 || cp == 0x7f || (cp >= 0x80 && cp <= 0x9f)
                  || (cp >= 0x202a && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069);
        if (!bad) {
            i += n;
            continue;
        }
        fwrite(s + run, 1, i - run, f);
        if (n == 0)
            fprintf(f, "\\x%02X", p[i]), n = 1;
        else if (cp == '\t' || cp == '\n' || cp == '\r')
            fputc(' ', f);
        else if (cp < 0x20)
            fprintf(f, "^%c", (int)(cp + '@'));
        else if (cp == 0x7f)
            fputs("^?", f);
        else
            fprintf(f, "<U+%04X>", (unsigned)cp);
        i += n;
        run = i;
    }
    fwrite(s + run, 1, len - run, f);
}
