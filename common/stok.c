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

/* The 32-bit hash of a hash's last product. */
static inline uint32_t fold(uint64_t h)
{
    return (uint32_t)(h ^ (h >> 32));
}

/* The memo entry of a hash's last product: its top bits (one shift; the
 * fold is needed only for a miss). */
static inline uint32_t slot_of(uint64_t h)
{
    return (uint32_t)(h >> (64 - AS_STOK_MEMO_BITS));
}

/* The hash of [s, s + n) before its last fold (see fold), its head
 * (as_stok_head) in *head; lim: where the
 * readable bytes end (>= s + n). */
static inline uint64_t hash_lim(const uint8_t *s, size_t n, const uint8_t *lim, uint64_t *head)
{
    uint64_t h = HSEED ^ n, x;
    if (STOK_LE && n < 8 && lim - s >= 8) {
        /* most tokens: one masked load is the head and the tail */
        memcpy(&x, s, 8);
        x &= ~0ull >> (63 - 8 * n) >> 1; /* n < 8 bytes (none: 0), no branch */
        *head = x;
        return (h ^ x) * HMUL;
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
    return (h ^ x) * HMUL;
}

uint32_t as_stok_hash(const uint8_t *s, size_t n)
{
    uint64_t head;
    return fold(hash_lim(s, n, s + n, &head));
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

#ifdef __SSE2__
/* Word bytes of the 16 bytes at p (bit i: p[i]) into *w, spaces into *sp.
 * A range test is one add and one signed compare: x + (0x7f - hi) is
 * above 0x7f - (hi - lo + 1) as a signed byte exactly when lo <= x <= hi
 * (the range moved to the top of the positive bytes; the variable, not
 * a constant, is the compare's first operand, so that no constant is
 * copied into a register first); a byte >= 0x80 is a word byte by its
 * top bit (the OR). */
static inline void mask16(const uint8_t *p, unsigned *w, unsigned *sp)
{
    const __m128i b = _mm_loadu_si128((const __m128i *)(const void *)p);
    const __m128i l = _mm_add_epi8(_mm_or_si128(b, _mm_set1_epi8(0x20)),
                                   _mm_set1_epi8(0x7f - 'z'));
    const __m128i d = _mm_add_epi8(b, _mm_set1_epi8(0x7f - '9'));
    const __m128i isl = _mm_cmpgt_epi8(l, _mm_set1_epi8(0x7f - 26));
    const __m128i isd = _mm_cmpgt_epi8(d, _mm_set1_epi8(0x7f - 10));
    *w = (unsigned)_mm_movemask_epi8(_mm_or_si128(_mm_or_si128(isl, isd), b));
    *sp = (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(b, _mm_set1_epi8(' ')));
}
#endif

/* Bit i: p[i] is a word byte, for the 64 bytes at p; in *space, bit i:
 * p[i] is ' '. */
static inline __attribute__((always_inline)) uint64_t word_mask(const uint8_t *p,
                                                                uint64_t *space)
{
#ifdef __SSE2__
    unsigned w0, w1, w2, w3, s0, s1, s2, s3;
    mask16(p, &w0, &s0);
    mask16(p + 16, &w1, &s1);
    mask16(p + 32, &w2, &s2);
    mask16(p + 48, &w3, &s3);
    *space = (uint64_t)s0 | (uint64_t)s1 << 16 | (uint64_t)s2 << 32 | (uint64_t)s3 << 48;
    return (uint64_t)w0 | (uint64_t)w1 << 16 | (uint64_t)w2 << 32 | (uint64_t)w3 << 48;
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

/* What a miss records beside the token's bytes: where the text lies in
 * the block and where its ids go (kept apart from the loop's registers). */
typedef struct split_at {
    const uint8_t *t;
    uint32_t base;
    const uint32_t *ids;
} split_at;

/* Appends the token [s, s + n) of hash h32, memo entry slot, head and
 * tail to *mp: a miss. */
static inline void miss_put(as_swtok **mp, const split_at *x, const uint8_t *s, size_t n,
                            uint32_t h32, uint32_t slot, uint64_t head, uint64_t tail,
                            const uint32_t *id)
{
    as_swtok o = {x->base + (uint32_t)(s - x->t), (uint32_t)n, h32, (uint32_t)(id - x->ids),
                  head, tail, 0, slot};
    *(*mp)++ = o;
}

/* The low n bytes of a word, for n < 8. */
static const uint64_t lenmask[8] = {0,
                                    0xff,
                                    0xffff,
                                    0xffffff,
                                    0xffffffff,
                                    0xffffffffffull,
                                    0xffffffffffffull,
                                    0xffffffffffffffull};

/* A token's hash, head and tail (see the memo). */
typedef struct tok_key {
    uint64_t head, tail;
    uint64_t h; /* the hash's last product */
} tok_key;

/* The key of a token of 16 bytes or more, or near the readable end: out
 * of the loop (a few in a hundred tokens), and returned by value, so that
 * the loop's head and tail stay in registers. */
static __attribute__((noinline)) tok_key key_other(const uint8_t *s, size_t n, const uint8_t *lim)
{
    tok_key k = {0, 0, 0};
    if (n >= 8 && n <= AS_STOK_MEMO_LEN)
        memcpy(&k.tail, s + n - 8, 8);
    k.h = hash_lim(s, n, lim, &k.head);
    return k;
}

/* One token, [s, s + n) (n >= 1): its head, tail and hash, then its id
 * from memo m into *id, or the token appended to *mp (see as_stok_split).
 * The hash of a token of up to 15 bytes is taken from the words loaded
 * for the memo (the value is hash_lim's). */
static inline __attribute__((always_inline)) void tok_one(const uint8_t *s, size_t n,
                                                          const uint8_t *lim, int safe,
                                                          const as_stok_memo *m, uint32_t *id,
                                                          as_swtok **mp, const split_at *x)
{
    uint64_t head, tail = 0, h;
    if (STOK_LE && n < 8 && (safe || lim - s >= 8)) {
        /* most tokens: one masked load is the head and all the bytes, the
         * key one word, its entry one product of it (the store hash's two
         * xors and 64-bit seed only for a miss) */
        memcpy(&head, s, 8);
        head &= lenmask[n]; /* a table: fewer instructions than shifts */
        uint64_t key = as_stok_key(head, n);
        uint32_t slot = slot_of(key * HMUL);
        if (__builtin_expect(m->s[slot].key == key, 1)) {
            *id = m->s[slot].id;
            return;
        }
        h = (HSEED ^ n ^ head) * HMUL;
        miss_put(mp, x, s, n, fold(h), slot, head, 0, id);
        return;
    }
    if (STOK_LE && n - 8 < 8) {
        /* 8 to 15 bytes: the head, then the bytes past it, which are the
         * top n - 8 bytes of the tail (none for n = 8) */
        memcpy(&head, s, 8);
        memcpy(&tail, s + n - 8, 8);
        h = (HSEED ^ n ^ head) * HMUL;
        h ^= h >> 32;
        h = (h ^ (tail >> (8 * (15 - n)) >> 8)) * HMUL;
    } else {
        tok_key k = key_other(s, n, lim);
        head = k.head;
        tail = k.tail;
        h = k.h;
        if (n < 8) { /* near the readable end: its entry is by its key */
            uint32_t slot = slot_of(as_stok_key(head, n) * HMUL);
            if (m->s[slot].key == as_stok_key(head, n)) {
                *id = m->s[slot].id;
                return;
            }
            miss_put(mp, x, s, n, fold(h), slot, head, 0, id);
            return;
        }
    }
    uint32_t slot = slot_of(h);
    if (__builtin_expect(((m->l[slot].head ^ head) | (m->l[slot].tail ^ tail) |
                          (m->l[slot].len ^ n)) == 0,
                         1)) {
        *id = m->l[slot].id;
        return;
    }
    miss_put(mp, x, s, n, fold(h), slot, head, tail, id);
}

/* The tokens that end in the 64 bytes at tc (bit i of st: a token starts
 * at tc + i; of ss: tc[i - 1] is a single space), the one in progress
 * starting at *start.  safe: 8 bytes are readable from any token start
 * before tc + 64 (then the test per token goes: the loop is made twice,
 * with safe a constant). */
static inline __attribute__((always_inline)) void chunk_tokens(
    const uint8_t *tc, uint64_t st, uint64_t ss, const uint8_t **start, const uint8_t *lim,
    int safe, const as_stok_memo *m, uint32_t **id, as_swtok **mp, const split_at *x)
{
    const uint8_t *s = *start;
    uint32_t *ip = *id;
    while (st) {
        size_t i = (size_t)__builtin_ctzll(st);
        st &= st - 1;
        const uint8_t *p = tc + i, *e = p - ((ss >> i) & 1);
        tok_one(s, (size_t)(e - s), lim, safe, m, ip++, mp, x);
        s = p;
    }
    *start = s;
    *id = ip;
}

size_t as_stok_split(const uint8_t *t, size_t n, size_t avail, uint32_t base,
                     const as_stok_memo *m, uint32_t *ids, as_swtok *miss, size_t *nmiss)
{
    if (n == 0)
        return 0;
    /* pointers, not indexes, in the loop: with the fewest values live it
     * keeps them all in registers */
    const split_at x = {t, base, ids};
    const uint8_t *lim = t + avail, *start = t;
    uint32_t *id = ids;
    as_swtok *mp = miss + *nmiss;
    uint64_t carry = wordbyte[t[0]]; /* the class of the byte before the chunk */
    uint64_t scarry = 0;             /* bit 0: the last chunk's last byte is a
                                      * single space between two words */
    for (const uint8_t *tc = t; tc < t + n; tc += 64) {
        size_t c = (size_t)(tc - t); /* tc, not t + c, in the token loop */
        uint64_t w, sp;
        if (avail - c >= 64) {
            w = word_mask(tc, &sp);
        } else {
            uint8_t tl[64] = {0};
            memcpy(tl, tc, n - c); /* n - c <= avail - c < 64 */
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
         * per token on which it is.  A token ending in this chunk starts
         * before t + c + 63, so 8 bytes from its start are readable when
         * 71 are from t + c. */
        uint64_t st = b & ~single, ss = (single << 1) | scarry;
        scarry = single >> 63;
        if (avail - c >= 71)
            chunk_tokens(tc, st, ss, &start, lim, 1, m, &id, &mp, &x);
        else
            chunk_tokens(tc, st, ss, &start, lim, 0, m, &id, &mp, &x);
    }
    tok_one(start, (size_t)(t + n - start), lim, 0, m, id++, &mp, &x);
    *nmiss = (size_t)(mp - miss);
    return (size_t)(id - ids);
}
