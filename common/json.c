/*
 * json.c — writing a string as a JSON string literal, valid JSON for any
 * input bytes.
 */
#include "reader.h"
#include "segment.h"

#include <stdio.h>

int as_json_string(FILE *f, const char *s, size_t len)
{
    static const char hex[] = "0123456789abcdef";
    int replaced = 0;
    if (!s) {
        fputs("null", f);
        return 0;
    }
    putc('"', f);
    size_t i = 0;
    while (i < len) {
        unsigned char c = (unsigned char)s[i];
        if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\') {
            /* Runs of plain ASCII go out in one call. */
            size_t j = i + 1;
            while (j < len && (unsigned char)s[j] >= 0x20 && (unsigned char)s[j] < 0x7f
                   && s[j] != '"' && s[j] != '\\')
                j++;
            fwrite(s + i, 1, j - i, f);
            i = j;
            continue;
        }
        if (c < 0x80) {
            switch (c) {
            case '"': fputs("\\\"", f); break;
            case '\\': fputs("\\\\", f); break;
            case '\n': fputs("\\n", f); break;
            case '\t': fputs("\\t", f); break;
            case '\r': fputs("\\r", f); break;
            case '\b': fputs("\\b", f); break;
            case '\f': fputs("\\f", f); break;
            default: /* other controls and DEL */
                fputs("\\u00", f);
                putc(hex[c >> 4], f);
                putc(hex[c & 15], f);
            }
            i++;
            continue;
        }
        int valid;
        size_t n = as_utf8_next(s + i, len - i, &valid);
        if (valid) {
            fwrite(s + i, 1, n, f);
        } else {
            fputs("\\ufffd", f);
            replaced = 1;
        }
        i += n;
    }
    putc('"', f);
    return replaced;
}
