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

/* One token, [s, s + n) (n >= 1): its head, tail and hash, then its id
 * from memo m into *id, or the token appended to miss[*nm] (see
 * as_stok_split).  The hash of a token of up to 15 bytes is taken from the
 * words loaded for the memo (the value is hash_lim's). */
static inline __attribute__((always_inline)) void tok_one(const uint8_t *s, size_t n,
                                                          const uint8_t *lim, uint32_t off,
                                                          uint32_t at, const as_stok_memo *m,
                                                          uint32_t *id, as_swtok *miss,
                                                          size_t *nm)
{
    uint64_t head, tail = 0, h;
    uint32_t h32;
    if (STOK_LE && n < 8 && lim - s >= 8) {
        /* most tokens: one masked load is the head and all the bytes */
        memcpy(&head, s, 8);
        head &= ~0ull >> (63 - 8 * n) >> 1; /* n < 8 bytes, no branch */
        h = (HSEED ^ n ^ head) * HMUL;
        h32 = (uint32_t)(h ^ (h >> 32));
    } else if (STOK_LE && n - 8 < 8) {
        /* 8 to 15 bytes: the head, then the bytes past it, which are the
         * top n - 8 bytes of the tail (none for n = 8) */
        memcpy(&head, s, 8);
        memcpy(&tail, s + n - 8, 8);
        h = (HSEED ^ n ^ head) * HMUL;
        h ^= h >> 32;
        h = (h ^ (tail >> (8 * (15 - n)) >> 8)) * HMUL;
        h32 = (uint32_t)(h ^ (h >> 32));
    } else {
        h32 = hash_lim(s, n, lim, &head);
        if (n >= 8 && n <= AS_STOK_MEMO_LEN)
            memcpy(&tail, s + n - 8, 8);
    }
    const as_stok_memo *e = &m[h32 & (AS_STOK_MEMO - 1)];
    /* one branch for the three compares: a hit is the common case */
    if (((e->head ^ head) | (e->tail ^ tail) | (e->len ^ n)) == 0) {
        *id = e->id;
        return;
    }
    as_swtok o = {off, (uint32_t)n, h32, at, head, tail, 0, 0};
    miss[(*nm)++] = o;
}

size_t as_stok_split(const uint8_t *t, size_t n, size_t avail, uint32_t base,
                     const as_stok_memo *m, uint32_t *ids, as_swtok *miss, size_t *nmiss)
{
    if (n == 0)
        return 0;
    const uint8_t *lim = t + avail;
    size_t nt = 0, start = 0, nm = *nmiss;
    uint64_t carry = wordbyte[t[0]]; /* the class of the byte before the chunk */
    uint64_t scarry = 0;             /* bit 0: the last chunk's last byte is a
                                      * single space between two words */
    for (size_t c = 0; c < n; c += 64) {
        uint64_t w, sp;
        if (avail - c >= 64) {
            w = word_mask(t + c, &sp);
        } else {
            uint8_t tl[64] = {0};
            memcpy(tl, t + c, n - c); /* n - c <= avail - c < 64 */
            w = word_mask(tl, &sp);
        }
        uint64_t before = (w << 1) | carry; /* bit i: byte c + i - 1 is a word byte */
        uint64_t b = w ^ before;             /* bit i: byte c + i starts a run */
        carry = w >> 63;
        /* Bit i: byte c + i is a single space between two words, left out
         * (format.h: store).  The byte after the chunk (when before n)
         * decides bit 63, so that every one is found here. */
        uint64_t after = n - c > 64 ? (uint64_t)wordbyte[t[c + 64]] << 63 : 0;
        uint64_t single = sp & before & ((w >> 1) | after);
        if (n - c < 64) {
            b &= (1ull << (n - c)) - 1;
            single &= (1ull << (n - c - 1)) - 1;
        }
        /* The tokens start at the run starts but a single space's; one
         * ends where the next starts, or a byte before when that byte is
         * a single space (bit i of ss: byte c + i - 1 is one): no branch
         * per token on which it is. */
        uint64_t st = b & ~single, ss = (single << 1) | scarry;
        scarry = single >> 63;
        while (st) {
            unsigned i = (unsigned)__builtin_ctzll(st);
            st &= st - 1;
            size_t p = c + i, e = p - ((ss >> i) & 1);
            tok_one(t + start, e - start, lim, base + (uint32_t)start, (uint32_t)nt, m, ids + nt,
                    miss, &nm);
            nt++;
            start = p;
        }
    }
    tok_one(t + start, n - start, lim, base + (uint32_t)start, (uint32_t)nt, m, ids + nt, miss,
            &nm);
    *nmiss = nm;
    return nt + 1;
}
