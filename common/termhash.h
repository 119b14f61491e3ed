/*
 * termhash.h — The hash the index writer's term table is keyed on
 * (strtab.c), shared with the analyzer: an analyzer computes it once per
 * stem it caches and hands it out with each token (as_token.hash, .head),
 * so that the indexer's analysis threads, which group a file's postings by
 * term (as_wpost_add_an), do not hash every token again.
 */
#ifndef AS_TERMHASH_H
#define AS_TERMHASH_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* The hash of term bytes s[0..n); in *head their first min(n, 8) bytes as
 * a little-endian number, zero-padded (two terms of at most 8 bytes are
 * equal when their lengths and heads are).  8 bytes at a time, each word
 * mixed by one multiply; the tail (never read past s + n) by two
 * overlapping loads, the same little-endian value as its bytes one by one. */
static inline uint32_t as_term_hash(const char *s, size_t n, uint64_t *head)
{
    const uint8_t *p = (const uint8_t *)s;
    uint64_t h = 0x9e3779b97f4a7c15ull ^ n, x;
    *head = 0;
    if (n >= 8)
        memcpy(head, p, 8);
    int first = n < 8;
    for (; n >= 8; n -= 8, p += 8) {
        memcpy(&x, p, 8);
        h = (h ^ x) * 0xff51afd7ed558ccdull;
        h ^= h >> 32;
    }
    x = 0;
    if (n > 0) {
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
        if (n >= 4) {
            uint32_t lo, hi;
            memcpy(&lo, p, 4);
            memcpy(&hi, p + n - 4, 4);
            x = lo | (uint64_t)hi << (8 * (n - 4));
        } else {
            x = p[0] | (uint64_t)p[n / 2] << (8 * (n / 2)) | (uint64_t)p[n - 1] << (8 * (n - 1));
        }
#else
        for (size_t i = 0; i < n; i++)
            x |= (uint64_t)p[i] << (8 * i);
#endif
        h = (h ^ x) * 0xff51afd7ed558ccdull;
        h ^= h >> 32;
    }
    if (first)
        *head = x;
    return (uint32_t)h;
}

#endif
