/*
 * stok.c — The sentence store's tokens (see stok.h; the rule in format.h:
 * store).  Word bytes are found 64 at a time (SSE2 compares on x86-64, a
 * table elsewhere) into a mask whose bit changes mark the run boundaries:
 * a boundary costs a count-trailing-zeros, not a mispredicted branch at
 * the end of every run as in a byte loop.  The hash takes a short tail's
 * bytes with one load where the buffer allows it (the value is the byte
 * loop's).
 */
#include "stok.h"

#include <string.h>

#ifdef __SSE2__
#include <emmintrin.h>
#endif

#define HSEED 0x9e3779b97f4a7c15ull
#define HMUL 0xff51afd7ed558ccdull

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define STOK_LE 1
#else
#define STOK_LE 0
#endif

/* The first 8 bytes at s as a little-endian number. */
static inline uint64_t head_load(const uint8_t *s)
{
    uint64_t x;
#if STOK_LE
    memcpy(&x, s, 8);
#else
    x = 0;
    for (int i = 0; i < 8; i++)
        x |= (uint64_t)s[i] << (8 * i);
#endif
    return x;
}

/* The hash of [s, s + n), its head (as_stok_head) in *head; lim: where the
 * readable bytes end (>= s + n). */
static inline uint32_t hash_lim(const uint8_t *s, size_t n, const uint8_t *lim, uint64_t *head)
{
    uint64_t h = HSEED ^ n, x;
    if (STOK_LE && n < 8 && lim - s >= 8) {
        /* most tokens: one masked load is the head and the tail */
        memcpy(&x, s, 8);
        x &= ~0ull >> (63 - 8 * n) >> 1; /* n < 8 bytes (none: 0), no branch */
        *head = x;
        h = (h ^ x) * HMUL;
        return (uint32_t)(h ^ (h >> 32));
    }
    int shorter = n < 8; /* the head: the tail's value below */
    if (!shorter)
        *head = head_load(s);
    for (; n >= 8; n -= 8, s += 8) {
        memcpy(&x, s, 8);
        h = (h ^ x) * HMUL;
        h ^= h >> 32;
    }
    if (STOK_LE && lim - s >= 8) {
        /* the n < 8 tail bytes by one load: on a little-endian machine the
         * byte loop's value */
        memcpy(&x, s, 8);
        x &= ~0ull >> (63 - 8 * n) >> 1; /* n < 8 bytes (none: 0), no branch */
    } else {
        x = 0;
        for (size_t i = 0; i < n; i++)
            x |= (uint64_t)s[i] << (8 * i);
    }
    if (shorter)
        *head = x;
    h = (h ^ x) * HMUL;
    return (uint32_t)(h ^ (h >> 32));
}

uint32_t as_stok_hash(const uint8_t *s, size_t n)
{
    uint64_t head;
    return hash_lim(s, n, s + n, &head);
}

uint64_t as_stok_head(const uint8_t *s, size_t n)
{
    uint64_t head;
    hash_lim(s, n, s + n, &head);
    return head;
}

/* as_ix_wordbyte as a table, for the portable mask and the first byte. */
#define WB1(b) ((uint8_t)(((b) | 32) - 'a') < 26 || (uint8_t)((b) - '0') < 10 || (b) >= 0x80)
#define WB4(b) WB1(b), WB1((b) + 1), WB1((b) + 2), WB1((b) + 3)
#define WB16(b) WB4(b), WB4((b) + 4), WB4((b) + 8), WB4((b) + 12)
#define WB64(b) WB16(b), WB16((b) + 16), WB16((b) + 32), WB16((b) + 48)
static const uint8_t wordbyte[256] = {WB64(0), WB64(64), WB64(128), WB64(192)};

/* Bit i: p[i] is a word byte, for the 64 bytes at p; in *space, bit i:
 * p[i] is ' '. */
static inline uint64_t word_mask(const uint8_t *p, uint64_t *space)
{
#ifdef __SSE2__
    uint64_t m = 0, s = 0;
    const __m128i sp = _mm_set1_epi8(0x20), a0 = _mm_set1_epi8('a' - 1),
                  z1 = _mm_set1_epi8('z' + 1), d0 = _mm_set1_epi8('0' - 1),
                  d9 = _mm_set1_epi8('9' + 1);
    for (int k = 0; k < 4; k++) {
        __m128i b = _mm_loadu_si128((const __m128i *)(const void *)(p + 16 * k));
        /* signed compares: a byte >= 0x80 is negative, in neither range,
         * and a word byte by its top bit (the OR below) */
        __m128i l = _mm_or_si128(b, sp);
        __m128i isl = _mm_and_si128(_mm_cmpgt_epi8(l, a0), _mm_cmplt_epi8(l, z1));
        __m128i isd = _mm_and_si128(_mm_cmpgt_epi8(b, d0), _mm_cmplt_epi8(b, d9));
        __m128i w = _mm_or_si128(_mm_or_si128(isl, isd), b);
        m |= (uint64_t)(uint16_t)_mm_movemask_epi8(w) << (16 * k);
        s |= (uint64_t)(uint16_t)_mm_movemask_epi8(_mm_cmpeq_epi8(b, sp)) << (16 * k);
    }
    *space = s;
    return m;
#else
    uint64_t m = 0, s = 0;
    for (int i = 0; i < 64; i++) {
        m |= (uint64_t)wordbyte[p[i]] << i;
        s |= (uint64_t)(p[i] == ' ') << i;
    }
    *space = s;
    return m;
#endif
}

size_t as_stok_split(const uint8_t *t, size_t n, size_t avail, uint32_t base, as_swtok *out)
{
    if (n == 0)
        return 0;
    const uint8_t *lim = t + avail;
    size_t nt = 0, start = 0;
    unsigned cls = wordbyte[t[0]]; /* the current run's: word 1, gap 0 */
    uint64_t carry = cls;          /* the class of the byte before the chunk */
    for (size_t c = 0; c < n; c += 64) {
        uint64_t w, b, sp;
        if (avail - c >= 64) {
            w = word_mask(t + c, &sp);
        } else {
            uint8_t tail[64] = {0};
            memcpy(tail, t + c, n - c); /* n - c <= avail - c < 64 */
            w = word_mask(tail, &sp);
        }
        uint64_t before = (w << 1) | carry; /* bit i: byte c + i - 1 is a word byte */
        b = w ^ before;                      /* bit i: byte c + i starts a run */
        carry = w >> 63;
        /* Bit i: byte c + i is a single space between two words (the byte
         * after it in this chunk and before n; one on a chunk's last byte
         * is left to the run test below).  The word after it starts no
         * run of its own: the word before ends there, and the next word
         * token starts after the space, in one step, not two. */
        uint64_t single = sp & before & (w >> 1);
        if (n - c < 64) {
            b &= (1ull << (n - c)) - 1;
            single &= (1ull << (n - c - 1)) - 1;
        }
        b &= ~(single << 1);
        while (b) {
            size_t p = c + (size_t)__builtin_ctzll(b);
            uint64_t bit = b & (0 - b);
            b &= b - 1;
            /* the run [start, p) ends: a single space between two words
             * is left out (a gap run after the first has a word before
             * it, and p < n: one after it) */
            if (cls || start == 0 || p - start != 1 || t[start] != ' ') {
                /* built in a local and stored once: written through out,
                 * the compiler must assume each store may change t's
                 * bytes and reload them (out and t may alias) */
                as_swtok o;
                o.off = base + (uint32_t)start;
                o.len = (uint32_t)(p - start);
                o.hash = hash_lim(t + start, p - start, lim, &o.head);
                o.zero = 0;
                out[nt++] = o;
            }
            if (single & bit) { /* cls is 1: a word follows the space */
                start = p + 1;
                continue;
            }
            start = p;
            cls ^= 1;
        }
    }
    as_swtok o;
    o.off = base + (uint32_t)start;
    o.len = (uint32_t)(n - start);
    o.hash = hash_lim(t + start, n - start, lim, &o.head);
    o.zero = 0;
    out[nt++] = o;
    return nt;
}
