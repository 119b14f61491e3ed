/*
 * bitpack.c — Fixed-width bit packing (see bitpack.h).
 *
 * Unpacking is the inner loop of every postings read, so it works on 64-bit
 * little-endian words: value i starts at bit i*w, which lies in the 8 bytes
 * from byte (i*w)/8 whenever w <= 32 (shift <= 7, 7 + 32 < 64).  Those 8
 * bytes may run past the packed data for the last few values; there the
 * bytes are gathered one by one instead, so nothing outside is touched.
 */
#include <string.h>

#include "bitpack.h"
#include "varint.h"

/* The AVX2 paths, chosen at run time (__builtin_cpu_supports), each with
 * its scalar (or SSE2) fallback.  AS_NO_AVX2 leaves them out: `make
 * test-noavx2` runs the unit tests so, since on a machine with AVX2 the
 * fallbacks would otherwise only ever see short tails. */
#if defined(__x86_64__) && defined(__GNUC__) && !defined(AS_NO_AVX2)
#define AS_BITPACK_AVX2 1
#include <immintrin.h>
#elif defined(__SSE2__)
#include <emmintrin.h>
#endif

/* Groups of 32 values take exactly 4w bytes (w words); with w a constant
 * and the loop unrolled, where each word ends is known at compile time: no
 * test per value.  The bytes are those of the loop below.  No mask: the
 * values are below 2^w (as_bitpack_pack's contract; the encoder takes w
 * from their OR), which saves one of a value's four instructions. */
#define PACK32(W)                                                           \
    static void pack32_##W(uint8_t *out, const uint32_t *v, size_t ng)      \
    {                                                                       \
        for (size_t g = 0; g < ng; g++, v += 32, out += 4 * (W)) {          \
            uint64_t acc = 0;                                               \
            unsigned have = 0;                                              \
            size_t o = 0;                                                   \
            _Pragma("GCC unroll 32")                                        \
            for (unsigned i = 0; i < 32; i++) {                             \
                acc |= (uint64_t)v[i] << have;                              \
                have += (W);                                                \
                if (have >= 32) {                                           \
                    put32(out + o, (uint32_t)acc);                          \
                    o += 4;                                                 \
                    acc >>= 32;                                             \
                    have -= 32;                                             \
                }                                                           \
            }                                                               \
        }                                                                   \
    }

PACK32(1)
PACK32(2)
PACK32(3)
PACK32(4)
PACK32(5)
PACK32(6)
PACK32(7)
PACK32(8)
PACK32(9)
PACK32(10)
PACK32(11)
PACK32(12)
PACK32(13)
PACK32(14)
PACK32(15)
PACK32(16)
PACK32(17)
PACK32(18)
PACK32(19)
PACK32(20)

typedef void (*pack32_fn)(uint8_t *, const uint32_t *, size_t);
static const pack32_fn pack32[21] = {
    NULL,       pack32_1,  pack32_2,  pack32_3,  pack32_4,  pack32_5,  pack32_6,
    pack32_7,   pack32_8,  pack32_9,  pack32_10, pack32_11, pack32_12, pack32_13,
    pack32_14,  pack32_15, pack32_16, pack32_17, pack32_18, pack32_19, pack32_20,
};

size_t as_bitpack_pack(uint8_t *out, const uint32_t *v, size_t n, unsigned w)
{
    if (w == 0)
        return 0;
    size_t len = as_bitpack_size(n, w), o = 0;
    if (w <= 20 && n >= 32) { /* whole groups, then the rest from a byte boundary */
        size_t ng = n / 32;
        pack32[w](out, v, ng);
        o = ng * 4 * w;
        v += ng * 32;
        n -= ng * 32;
    }
    uint64_t mask = w == 32 ? 0xffffffffu : ((uint64_t)1 << w) - 1;
    uint64_t acc = 0;
    unsigned have = 0; /* bits in acc, < 32 between values */
    for (size_t i = 0; i < n; i++) {
        acc |= ((uint64_t)v[i] & mask) << have;
        have += w;
        if (have >= 32) { /* four bytes at a time */
            put32(out + o, (uint32_t)acc);
            o += 4;
            acc >>= 32;
            have -= 32;
        }
    }
    while (have > 0 && o < len) {
        out[o++] = (uint8_t)acc;
        acc >>= 8;
        have = have > 8 ? have - 8 : 0;
    }
    return o;
}

/* Groups of 8 values take exactly w bytes; with w a constant the compiler
 * turns each value into one load, shift and mask. */
#define V(k, W) v[k] = (uint32_t)((le64(in + ((k) * (W)) / 8) >> (((k) * (W)) % 8)) & m)
#define UNPACK8(W)                                                          \
    static void unpack8_##W(const uint8_t *in, uint32_t *v, size_t ng)      \
    {                                                                       \
        const uint64_t m = ((uint64_t)1 << (W)) - 1;                        \
        for (size_t g = 0; g < ng; g++, in += (W), v += 8) {                \
            V(0, W); V(1, W); V(2, W); V(3, W);                             \
            V(4, W); V(5, W); V(6, W); V(7, W);                             \
        }                                                                   \
    }

UNPACK8(1)
UNPACK8(2)
UNPACK8(3)
UNPACK8(4)
UNPACK8(5)
UNPACK8(6)
UNPACK8(7)
UNPACK8(8)
UNPACK8(9)
UNPACK8(10)
UNPACK8(11)
UNPACK8(12)
UNPACK8(13)
UNPACK8(14)
UNPACK8(15)
UNPACK8(16)
UNPACK8(17)
UNPACK8(18)
UNPACK8(19)
UNPACK8(20)
UNPACK8(21)
UNPACK8(22)
UNPACK8(23)
UNPACK8(24)
UNPACK8(25)
UNPACK8(26)
UNPACK8(27)
UNPACK8(28)
UNPACK8(29)
UNPACK8(30)
UNPACK8(31)
UNPACK8(32)

typedef void (*unpack8_fn)(const uint8_t *, uint32_t *, size_t);
static const unpack8_fn unpack8[33] = {
    NULL,
    unpack8_1, unpack8_2, unpack8_3, unpack8_4, unpack8_5, unpack8_6, unpack8_7, unpack8_8, unpack8_9, unpack8_10, unpack8_11, unpack8_12, unpack8_13, unpack8_14, unpack8_15, unpack8_16, unpack8_17, unpack8_18, unpack8_19, unpack8_20, unpack8_21, unpack8_22, unpack8_23, unpack8_24, unpack8_25, unpack8_26, unpack8_27, unpack8_28, unpack8_29, unpack8_30, unpack8_31, unpack8_32
};

/* What the groups do with the values unpacked (avx2_groups' mode): store
 * them, store them plus add, or store the running sums of value + add
 * after prev1 - 1 (as_bitpack_unpack_sums). */
enum { AS_PLAIN, AS_ADD, AS_SUMS };

#ifdef AS_BITPACK_AVX2
/* avx2_groups' lane constants for width w, lane k (bit k*w of a group):
 * its word lo, the next word hi, the shift sh within lo and 32 - sh for
 * hi; loaded, not computed on every call (~15 instructions a block). */
#define AS_LANES(W, F) {F(W, 0), F(W, 1), F(W, 2), F(W, 3), F(W, 4), F(W, 5), F(W, 6), F(W, 7)}
#define AS_LO(W, K) (((K) * (W)) >> 5)
#define AS_HI(W, K) ((((K) * (W)) >> 5) + 1)
#define AS_SH(W, K) (((K) * (W)) & 31)
#define AS_SHL(W, K) (32 - (((K) * (W)) & 31))
#define AS_ROW(W) {AS_LANES(W, AS_LO), AS_LANES(W, AS_HI), AS_LANES(W, AS_SH), AS_LANES(W, AS_SHL)}
static const uint32_t lane_tab[33][4][8] __attribute__((aligned(32))) = {
    AS_ROW(0),  AS_ROW(1),  AS_ROW(2),  AS_ROW(3),  AS_ROW(4),  AS_ROW(5),  AS_ROW(6),
    AS_ROW(7),  AS_ROW(8),  AS_ROW(9),  AS_ROW(10), AS_ROW(11), AS_ROW(12), AS_ROW(13),
    AS_ROW(14), AS_ROW(15), AS_ROW(16), AS_ROW(17), AS_ROW(18), AS_ROW(19), AS_ROW(20),
    AS_ROW(21), AS_ROW(22), AS_ROW(23), AS_ROW(24), AS_ROW(25), AS_ROW(26), AS_ROW(27),
    AS_ROW(28), AS_ROW(29), AS_ROW(30), AS_ROW(31), AS_ROW(32),
};
#undef AS_ROW
#undef AS_SHL
#undef AS_SH
#undef AS_HI
#undef AS_LO
#undef AS_LANES

/* AVX2 (chosen at run time): a group of 8 values in one step.  Value k
 * of a group starts at bit k*w of the group's w bytes, in 32-bit word
 * lo = (k*w) >> 5 at shift sh = (k*w) & 31, and runs on into word lo + 1
 * when sh + w > 32: each lane gathers its two words from a register
 * holding the group (vpermd), shifts them by its own counts (vpsrlvd,
 * vpsllvd: counts of 32 or more give 0, so sh = 0 drops the upper word)
 * and masks.  The register is loaded with 8, 16 or 32 bytes, the fewest
 * that cover the group's 8w bits; where the upper word index falls past
 * them it wraps to bytes of the group, which the mask then removes (the
 * value does not reach that word).  Returns the groups unpacked: those
 * whose load stays inside the avail bytes readable from in.  With
 * AS_SUMS the last lane of each group (broadcast) carries into the next,
 * a chain of two instructions a group instead of one add a value.  Where
 * w divides 32 no value reaches a second word (w = 8, 16: the upper
 * gather and its shift go), and for w <= 4 the group is one word, which
 * every lane shifts (no gather at all). */
static inline __attribute__((target("avx2"), always_inline)) size_t
avx2_groups(const uint8_t *in, size_t avail, uint32_t *v, size_t n, unsigned w, int mode,
            uint32_t add, uint32_t prev1)
{
    size_t ld = w <= 8 ? 8 : w <= 16 ? 16 : 32;
    if (n < 8 || avail < ld)
        return 0;
    /* every group's load inside avail (a block in an index file: nearly
     * always), else as many as fit: no division on the common path */
    size_t ng = n / 8;
    if (avail - ld < (ng - 1) * w)
        ng = (avail - ld) / w + 1;
    const uint32_t(*t)[8] = lane_tab[w];
    const __m256i lo = _mm256_load_si256((const __m256i *)t[0]);
    const __m256i hi = _mm256_load_si256((const __m256i *)t[1]);
    const __m256i sh = _mm256_load_si256((const __m256i *)t[2]);
    const __m256i shl = _mm256_load_si256((const __m256i *)t[3]);
    const __m256i m = _mm256_set1_epi32(w == 32 ? -1 : (int)((1u << w) - 1));
    const __m256i av = _mm256_set1_epi32((int)add);
    const __m256i last = _mm256_set1_epi32(7);
    /* AS_SUMS: base holds the previous value (prev1 - 1 before the first
     * group) in every lane */
    __m256i base = _mm256_set1_epi32((int)(prev1 - 1));
    /* Unrolled by 8 (a block of 128 is 16 groups): the pointer steps and
     * the loop test were ~4 of a group's ~21 instructions (2 and 4 took
     * SAR at 1M -1.2% and -1.8%, 8 -2.0%; +8.7 KB of code). */
#define AS_GROUP(LOAD, VALS)                                                        \
    _Pragma("GCC unroll 8")                                                         \
    for (size_t g = 0; g < ng; g++, in += w, v += 8) {                              \
        __m256i d = (LOAD);                                                         \
        __m256i r = (VALS);                                                         \
        if (mode == AS_SUMS) {                                                      \
            /* gap + 1, summed along each 128-bit half in two log steps; the  \
             * low half's total then carried into the high half, the groups' \
             * total before it into all eight */                             \
            r = _mm256_add_epi32(r, av);                                            \
            r = _mm256_add_epi32(r, _mm256_slli_si256(r, 4));                       \
            r = _mm256_add_epi32(r, _mm256_slli_si256(r, 8));                       \
            __m256i c = _mm256_shuffle_epi32(r, 0xff);                              \
            r = _mm256_add_epi32(r, _mm256_permute2x128_si256(c, c, 0x08));         \
            r = _mm256_add_epi32(r, base);                                          \
            base = _mm256_permutevar8x32_epi32(r, last);                            \
        } else if (mode == AS_ADD) {                                                \
            r = _mm256_add_epi32(r, av);                                            \
        }                                                                           \
        _mm256_storeu_si256((__m256i *)v, r);                                       \
    }
/* each lane's value from its two words */
#define AS_TWO                                                                      \
    _mm256_and_si256(                                                               \
        _mm256_or_si256(_mm256_srlv_epi32(_mm256_permutevar8x32_epi32(d, lo), sh),  \
                        _mm256_sllv_epi32(_mm256_permutevar8x32_epi32(d, hi), shl)),\
        m)
/* w divides 32: no value runs into a second word */
#define AS_ONE _mm256_and_si256(_mm256_srlv_epi32(_mm256_permutevar8x32_epi32(d, lo), sh), m)
    if (w <= 4) {
        /* the group's 8w <= 32 bits in one word, broadcast: each lane
         * shifts its value down, no gathering (the wdfs, mostly 1 or 2
         * bits, and the gaps of dense lists); reads 4 of the 8 bytes
         * ld allows */
        AS_GROUP(_mm256_set1_epi32((int)le32(in)), _mm256_and_si256(_mm256_srlv_epi32(d, sh), m))
    } else if (w == 8) {
        AS_GROUP(_mm256_set1_epi64x((long long)le64(in)), AS_ONE)
    } else if (ld == 8) {
        AS_GROUP(_mm256_set1_epi64x((long long)le64(in)), AS_TWO)
    } else if (w == 16) {
        AS_GROUP(_mm256_broadcastsi128_si256(_mm_loadu_si128((const __m128i *)in)), AS_ONE)
    } else if (ld == 16) {
        AS_GROUP(_mm256_broadcastsi128_si256(_mm_loadu_si128((const __m128i *)in)), AS_TWO)
    } else {
        AS_GROUP(_mm256_loadu_si256((const __m256i *)in), AS_TWO)
    }
#undef AS_ONE
#undef AS_TWO
#undef AS_GROUP
    return ng;
}

/* The groups plain, with a constant added, and summed (mode a
 * compile-time constant: the plain unpack pays nothing for the others). */
__attribute__((target("avx2"))) static size_t unpack_avx2(const uint8_t *in, size_t avail,
                                                          uint32_t *v, size_t n, unsigned w)
{
    return avx2_groups(in, avail, v, n, w, AS_PLAIN, 0, 0);
}

__attribute__((target("avx2"))) static size_t unpack_avx2_add(const uint8_t *in, size_t avail,
                                                              uint32_t *v, size_t n, unsigned w,
                                                              uint32_t add)
{
    return avx2_groups(in, avail, v, n, w, AS_ADD, add, 0);
}

/* (each gap counts one more than itself: add is 1) */
__attribute__((target("avx2"))) static size_t unpack_avx2_sums(const uint8_t *in, size_t avail,
                                                               uint32_t *v, size_t n, unsigned w,
                                                               uint32_t prev1)
{
    return avx2_groups(in, avail, v, n, w, AS_SUMS, 1, prev1);
}
#endif

int as_bitpack_simd(void)
{
#ifdef AS_BITPACK_AVX2
    return __builtin_cpu_supports("avx2") != 0;
#else
    return 0;
#endif
}

static inline uint64_t load_tail(const uint8_t *p, size_t avail)
{
    uint64_t x = 0;
    for (size_t k = 0; k < avail && k < 8; k++)
        x |= (uint64_t)p[k] << (8 * k);
    return x;
}

static void unpack_rest(const uint8_t *in, size_t avail, uint32_t *v, size_t n, unsigned w);

void as_bitpack_unpack(const uint8_t *in, uint32_t *v, size_t n, unsigned w)
{
    as_bitpack_unpack_in(in, as_bitpack_size(n, w), v, n, w);
}

void as_bitpack_unpack_in(const uint8_t *in, size_t avail, uint32_t *v, size_t n, unsigned w)
{
    if (w == 0) {
        memset(v, 0, n * sizeof *v);
        return;
    }
#ifdef AS_BITPACK_AVX2
    /* whole groups are w bytes each: the rest continues below from there */
    if (n >= 8 && __builtin_cpu_supports("avx2")) {
        size_t ng = unpack_avx2(in, avail, v, n, w);
        in += ng * w;
        avail -= ng * w;
        v += ng * 8;
        n -= ng * 8;
    }
#endif
    if (n > 0) /* a whole block of 128 leaves no tail: no call */
        unpack_rest(in, avail, v, n, w);
}

void as_bitpack_unpack_add(const uint8_t *in, size_t avail, uint32_t *v, size_t n, unsigned w,
                           uint32_t add)
{
    size_t done = 0;
#ifdef AS_BITPACK_AVX2
    if (w > 0 && n >= 8 && __builtin_cpu_supports("avx2")) {
        size_t ng = unpack_avx2_add(in, avail, v, n, w, add);
        in += ng * w;
        avail -= ng * w;
        done = ng * 8;
    }
#endif
    if (w == 0) { /* every value is add: eights the compiler vectorizes */
        size_t i = 0;
        for (; i + 8 <= n; i += 8)
            for (size_t k = 0; k < 8; k++)
                v[i + k] = add;
        for (; i < n; i++)
            v[i] = add;
        return;
    }
    if (done == n)
        return; /* a whole block of 128: no tail */
    unpack_rest(in, avail, v + done, n - done, w);
    for (size_t i = done; i < n; i++)
        v[i] += add;
}

/* Turns v[0..n) (each gap = doc - previous doc - 1) after prev1 (the
 * previous doc + 1) into the docs; returns the last doc + 1, mod 2^32.
 * SSE2 sums four lanes at a time (log-step in-register prefix), ~3
 * instructions a value where the serial chain of adds took ~7: the path
 * of the groups AVX2 did not sum (the tail, or a machine without it). */
static uint32_t prefix_sums(uint32_t *v, size_t n, uint32_t prev1)
{
    size_t j = 0;
    uint32_t a = prev1;
#ifdef __SSE2__
    /* v[j] = prev1 - 1 + sum of (v[i] + 1) for i <= j, mod 2^32 */
    __m128i one = _mm_set1_epi32(1), base = _mm_set1_epi32((int)(prev1 - 1));
    for (; j + 4 <= n; j += 4) {
        __m128i x = _mm_add_epi32(_mm_loadu_si128((const __m128i *)(v + j)), one);
        x = _mm_add_epi32(x, _mm_slli_si128(x, 4));
        x = _mm_add_epi32(x, _mm_slli_si128(x, 8));
        x = _mm_add_epi32(x, base);
        _mm_storeu_si128((__m128i *)(v + j), x);
        base = _mm_shuffle_epi32(x, 0xff);
    }
    if (j > 0)
        a = v[j - 1] + 1;
#endif
    for (; j < n; j++) {
        v[j] += a;
        a = v[j] + 1;
    }
    return a;
}

uint32_t as_bitpack_unpack_sums(const uint8_t *in, size_t avail, uint32_t *v, size_t n,
                                unsigned w, uint32_t prev1)
{
    if (w == 0) { /* every gap 0: consecutive docs */
        for (size_t j = 0; j < n; j++)
            v[j] = prev1 + (uint32_t)j;
        return prev1 + (uint32_t)n;
    }
    size_t done = 0;
#ifdef AS_BITPACK_AVX2
    if (n >= 8 && __builtin_cpu_supports("avx2")) {
        size_t ng = unpack_avx2_sums(in, avail, v, n, w, prev1);
        in += ng * w;
        avail -= ng * w;
        done = ng * 8;
        if (done > 0)
            prev1 = v[done - 1] + 1;
    }
#endif
    if (done == n)
        return prev1;
    unpack_rest(in, avail, v + done, n - done, w);
    return prefix_sums(v + done, n - done, prev1);
}

/* as_bitpack_unpack_in after the vector groups: the scalar groups, then
 * the tail. */
static void unpack_rest(const uint8_t *in, size_t avail, uint32_t *v, size_t n, unsigned w)
{
    size_t len = as_bitpack_size(n, w);
    uint64_t mask = w == 32 ? 0xffffffffu : ((uint64_t)1 << w) - 1;
    size_t i = 0, bit = 0;
    /* Whole groups of 8 whose last 8-byte window ends inside the bytes
     * readable: group g reads bytes up to g*w + (7w)/8 + 7. */
    size_t reach = (7 * w) / 8 + 8;
    if (n >= 8 && avail >= reach) {
        size_t ng = (avail - reach) / w + 1;
        if (ng > n / 8)
            ng = n / 8;
        unpack8[w](in, v, ng);
        i = ng * 8;
        bit = i * w;
    }
    /* The rest (fewer than ~72 values, < 36 bytes): from a zero-padded copy,
     * so the group code may read past their end; in place when the bytes
     * readable cover the groups' reads. */
    if (i < n) {
        size_t b0 = bit >> 3, rem = len - b0, rest = n - i, ng = (rest + 7) / 8;
        uint8_t tmp[160];
        uint32_t out[80];
        if (ng <= 10 && avail - b0 >= (ng - 1) * w + reach) {
            unpack8[w](in + b0, out, ng);
            memcpy(v + i, out, rest * sizeof *v);
            return;
        }
        if (ng <= 10 && ng * w + reach <= sizeof tmp) {
            memset(tmp, 0, sizeof tmp);
            memcpy(tmp, in + b0, rem);
            unpack8[w](tmp, out, ng);
            memcpy(v + i, out, rest * sizeof *v);
            return;
        }
        for (; i < n; i++, bit += w) { /* not reached for w >= 1; kept safe */
            size_t b = bit >> 3;
            v[i] = (uint32_t)((load_tail(in + b, len - b) >> (bit & 7)) & mask);
        }
    }

}

/* as_bitpack_block's postings [j, n) one at a time (the tail, or a
 * machine without AVX2). */
static void block_rest(const uint32_t *docs, const uint32_t *wdfs, const uint32_t *lens,
                       size_t j, size_t n, uint32_t prev, uint32_t *gaps, uint32_t *wv,
                       uint32_t ors[2], uint32_t mins[4], uint16_t *keys, uint32_t cap)
{
    if (keys)
        for (size_t i = j; i < n; i++) {
            uint32_t d = lens[i] <= cap ? lens[i] : cap + 1;
            keys[i] = (uint16_t)(wdfs[i] < 4 ? (wdfs[i] - 1) * (cap + 2) + d : 3 * (cap + 2));
        }
    uint32_t orv = ors[0], orw = ors[1];
    for (; j < n; j++) {
        uint32_t wdf = wdfs[j], d = lens[j], doc = docs[j];
        uint32_t cls = wdf < 4 ? wdf - 1 : 3;
        if (d < mins[cls])
            mins[cls] = d;
        gaps[j] = doc - prev - 1;
        orv |= doc - prev - 1;
        wv[j] = wdf - 1;
        orw |= wdf - 1;
        prev = doc;
    }
    ors[0] = orv;
    ors[1] = orw;
}

#ifdef AS_BITPACK_AVX2
/* The smallest of x's eight lanes. */
static inline __attribute__((target("avx2"), always_inline)) uint32_t hmin_epu32(__m256i x)
{
    __m128i m = _mm_min_epu32(_mm256_castsi256_si128(x), _mm256_extracti128_si256(x, 1));
    m = _mm_min_epu32(m, _mm_shuffle_epi32(m, 0x4e));
    m = _mm_min_epu32(m, _mm_shuffle_epi32(m, 0xb1));
    return (uint32_t)_mm_cvtsi128_si32(m);
}

/* Eight postings a step from posting 1 on (each gap takes the doc before
 * it from an unaligned load one back): the class minima as lane-wise
 * minima of the lengths with the other classes' lanes set to all ones,
 * ~30 instructions for eight where the scalar loop took ~24 a posting.
 * Returns the postings done, [1, 1 + 8k). */
__attribute__((target("avx2"))) static size_t block_avx2(const uint32_t *docs,
                                                         const uint32_t *wdfs,
                                                         const uint32_t *lens, size_t n,
                                                         uint32_t *gaps, uint32_t *wv,
                                                         uint32_t ors[2], uint32_t mins[4],
                                                         uint16_t *keys, uint32_t cap)
{
    const __m256i stride = _mm256_set1_epi32((int)(cap + 2)),
                  top = _mm256_set1_epi32((int)(cap + 1)),
                  n4 = _mm256_set1_epi32((int)(3 * (cap + 2)));
    const __m256i one = _mm256_set1_epi32(1), two = _mm256_set1_epi32(2),
                  three = _mm256_set1_epi32(3), ones = _mm256_set1_epi32(-1);
    __m256i orv = _mm256_setzero_si256(), orw = orv;
    __m256i m1 = ones, m2 = ones, m3 = ones, m4 = ones;
    size_t j = 1;
    for (; j + 8 <= n; j += 8) {
        __m256i d = _mm256_loadu_si256((const __m256i *)(docs + j));
        __m256i p = _mm256_loadu_si256((const __m256i *)(docs + j - 1));
        __m256i g = _mm256_sub_epi32(_mm256_sub_epi32(d, p), one);
        _mm256_storeu_si256((__m256i *)(gaps + j), g);
        orv = _mm256_or_si256(orv, g);
        __m256i f = _mm256_loadu_si256((const __m256i *)(wdfs + j));
        __m256i v = _mm256_sub_epi32(f, one);
        _mm256_storeu_si256((__m256i *)(wv + j), v);
        orw = _mm256_or_si256(orw, v);
        __m256i l = _mm256_loadu_si256((const __m256i *)(lens + j));
        __m256i c1 = _mm256_cmpeq_epi32(f, one), c2 = _mm256_cmpeq_epi32(f, two),
                c3 = _mm256_cmpeq_epi32(f, three);
        /* not in class k: the lane is all ones, which no min lowers by */
        m1 = _mm256_min_epu32(m1, _mm256_or_si256(l, _mm256_xor_si256(c1, ones)));
        m2 = _mm256_min_epu32(m2, _mm256_or_si256(l, _mm256_xor_si256(c2, ones)));
        m3 = _mm256_min_epu32(m3, _mm256_or_si256(l, _mm256_xor_si256(c3, ones)));
        __m256i c123 = _mm256_or_si256(c1, _mm256_or_si256(c2, c3));
        m4 = _mm256_min_epu32(m4, _mm256_or_si256(l, c123));
        if (keys) {
            __m256i k = _mm256_add_epi32(_mm256_mullo_epi32(v, stride), _mm256_min_epu32(l, top));
            k = _mm256_blendv_epi8(n4, k, c123);
            /* to 16 bits (keys < 2^16): lanes 0-3 and 4-7 packed in each
             * half, the halves' low quarters brought together */
            k = _mm256_permute4x64_epi64(_mm256_packus_epi32(k, k), 0x08);
            _mm_storeu_si128((__m128i *)(keys + j), _mm256_castsi256_si128(k));
        }
    }
    __m256i o = _mm256_or_si256(_mm256_unpacklo_epi32(orv, orw), _mm256_unpackhi_epi32(orv, orw));
    __m128i o2 = _mm_or_si128(_mm256_castsi256_si128(o), _mm256_extracti128_si256(o, 1));
    o2 = _mm_or_si128(o2, _mm_shuffle_epi32(o2, 0x4e)); /* lanes 0, 1: gaps, wdfs */
    ors[0] |= (uint32_t)_mm_cvtsi128_si32(o2);
    ors[1] |= (uint32_t)_mm_extract_epi32(o2, 1);
    uint32_t h[4] = {hmin_epu32(m1), hmin_epu32(m2), hmin_epu32(m3), hmin_epu32(m4)};
    for (int k = 0; k < 4; k++)
        if (h[k] < mins[k])
            mins[k] = h[k];
    return j;
}
#endif

void as_bitpack_block_keys(const uint32_t *docs, const uint32_t *wdfs, const uint32_t *lens,
                           size_t n, uint32_t prev, uint32_t *gaps, uint32_t *wv,
                           uint32_t ors[2], uint32_t mins[4], uint16_t *keys, uint32_t cap)
{
    ors[0] = ors[1] = 0;
    if (n == 0)
        return;
    block_rest(docs, wdfs, lens, 0, 1, prev, gaps, wv, ors, mins, keys, cap);
    size_t j = 1;
#ifdef AS_BITPACK_AVX2
    if (n >= 9 && __builtin_cpu_supports("avx2"))
        j = block_avx2(docs, wdfs, lens, n, gaps, wv, ors, mins, keys, cap);
#endif
    block_rest(docs, wdfs, lens, j, n, docs[j - 1], gaps, wv, ors, mins, keys, cap);
}

void as_bitpack_block(const uint32_t *docs, const uint32_t *wdfs, const uint32_t *lens,
                      size_t n, uint32_t prev, uint32_t *gaps, uint32_t *wv, uint32_t ors[2],
                      uint32_t mins[4])
{
    as_bitpack_block_keys(docs, wdfs, lens, n, prev, gaps, wv, ors, mins, NULL, 0);
}

uint32_t as_bitpack_or(const uint32_t *v, size_t n)
{
    size_t j = 0;
    uint32_t x = 0;
#ifdef __SSE2__
    /* eight a step in two registers: a third of the scalar loop's
     * instructions (a block's positions, ~170 values) */
    __m128i a = _mm_setzero_si128(), b = a;
    for (; j + 8 <= n; j += 8) {
        a = _mm_or_si128(a, _mm_loadu_si128((const __m128i *)(v + j)));
        b = _mm_or_si128(b, _mm_loadu_si128((const __m128i *)(v + j + 4)));
    }
    a = _mm_or_si128(a, b);
    a = _mm_or_si128(a, _mm_shuffle_epi32(a, 0x4e));
    a = _mm_or_si128(a, _mm_shuffle_epi32(a, 0xb1));
    x = (uint32_t)_mm_cvtsi128_si32(a);
#endif
    for (; j < n; j++)
        x |= v[j];
    return x;
}

#ifdef AS_BITPACK_AVX2
/* Five postings of 3 bytes from one 16-byte load: the wdf bytes (1, 4,
 * ..., 13) must be 1 and the gap bytes (0, 3, ..., 12) not 0, one compare
 * against a pattern; no byte of the 15 may have its top bit set; the
 * gaps and positions go to lanes by a shuffle, the docs are the gaps'
 * prefix sums (two shifts), the fifth posting is done scalar.  ~30
 * instructions for five where the one-by-one path took ~34 a posting. */
__attribute__((target("avx2"))) static size_t short3_avx2(const uint8_t *in, size_t avail,
                                                          uint32_t prev1, uint32_t ndocs,
                                                          uint32_t *docs, uint32_t *wdfs,
                                                          uint32_t *pos, size_t max)
{
    const __m128i pat = _mm_setr_epi8(0, 1, 0, 0, 1, 0, 0, 1, 0, 0, 1, 0, 0, 1, 0, 0);
    const __m128i gsh = _mm_setr_epi8(0, -1, -1, -1, 3, -1, -1, -1, 6, -1, -1, -1, 9, -1, -1, -1);
    const __m128i psh =
        _mm_setr_epi8(2, -1, -1, -1, 5, -1, -1, -1, 8, -1, -1, -1, 11, -1, -1, -1);
    const __m128i one = _mm_set1_epi32(1);
    size_t n = 0;
    while (n + 5 <= max && avail >= 16) {
        __m128i x = _mm_loadu_si128((const __m128i *)in);
        unsigned eq = (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(x, pat));
        unsigned top = (unsigned)_mm_movemask_epi8(x);
        if ((eq & 0x36db) != 0x2492 || (top & 0x7fff) != 0)
            break;
        __m128i g = _mm_shuffle_epi8(x, gsh);
        g = _mm_add_epi32(g, _mm_slli_si128(g, 4));
        g = _mm_add_epi32(g, _mm_slli_si128(g, 8));
        uint32_t s4 = (uint32_t)_mm_extract_epi32(g, 3) + in[12];
        if ((uint64_t)prev1 - 1 + s4 >= ndocs)
            break;
        _mm_storeu_si128((__m128i *)(docs + n), _mm_add_epi32(g, _mm_set1_epi32((int)(prev1 - 1))));
        _mm_storeu_si128((__m128i *)(wdfs + n), one);
        _mm_storeu_si128((__m128i *)(pos + n), _mm_shuffle_epi8(x, psh));
        docs[n + 4] = prev1 - 1 + s4;
        wdfs[n + 4] = 1;
        pos[n + 4] = in[14];
        prev1 += s4;
        n += 5;
        in += 15;
        avail -= 15;
    }
    return n;
}
#endif

size_t as_bitpack_short3(const uint8_t *in, size_t avail, uint32_t prev1, uint32_t ndocs,
                         uint32_t *docs, uint32_t *wdfs, uint32_t *pos, size_t max)
{
#ifdef AS_BITPACK_AVX2
    if (__builtin_cpu_supports("avx2"))
        return short3_avx2(in, avail, prev1, ndocs, docs, wdfs, pos, max);
#else
    (void)in, (void)avail, (void)prev1, (void)ndocs, (void)docs, (void)wdfs, (void)pos, (void)max;
#endif
    return 0;
}

#ifdef AS_BITPACK_AVX2
/* Eight loads in one instruction: the same misses overlapped as the
 * scalar loop's independent loads, a sixth of its instructions.  The
 * gather's indices are signed: a group with one of 2^31 or more stops
 * here.  Returns the values done. */
__attribute__((target("avx2"))) static size_t gather_avx2(const uint32_t *col,
                                                          const uint32_t *idx, size_t n,
                                                          uint32_t *out)
{
    size_t j = 0;
    for (; j + 8 <= n; j += 8) {
        __m256i ix = _mm256_loadu_si256((const __m256i *)(idx + j));
        if (_mm256_movemask_ps(_mm256_castsi256_ps(ix)) != 0)
            break;
        _mm256_storeu_si256((__m256i *)(out + j),
                            _mm256_i32gather_epi32((const int *)col, ix, 4));
    }
    return j;
}
#endif

void as_bitpack_gather(const uint32_t *col, const uint32_t *idx, size_t n, uint32_t *out)
{
    size_t j = 0;
#ifdef AS_BITPACK_AVX2
    if (n >= 8 && __builtin_cpu_supports("avx2"))
        j = gather_avx2(col, idx, n, out);
#endif
    for (; j < n; j++)
        out[j] = col[idx[j]];
}

#ifdef AS_BITPACK_AVX2
/* gather_avx2 on the byte column: each lane loads the four bytes at its
 * index (scale 1) and keeps the low one; the few lanes that hold the
 * escape take col's value.  Returns the values done. */
__attribute__((target("avx2"))) static size_t gather8_avx2(const uint8_t *col8,
                                                           const uint32_t *col,
                                                           const uint32_t *idx, size_t n,
                                                           uint32_t *out)
{
    const __m256i ff = _mm256_set1_epi32((int)AS_BITPACK_ESC);
    size_t j = 0;
    for (; j + 8 <= n; j += 8) {
        __m256i ix = _mm256_loadu_si256((const __m256i *)(idx + j));
        if (_mm256_movemask_ps(_mm256_castsi256_ps(ix)) != 0)
            break;
        __m256i v = _mm256_and_si256(_mm256_i32gather_epi32((const int *)col8, ix, 1), ff);
        _mm256_storeu_si256((__m256i *)(out + j), v);
        unsigned esc = (unsigned)_mm256_movemask_ps(_mm256_castsi256_ps(_mm256_cmpeq_epi32(v, ff)));
        while (esc) {
            unsigned b = (unsigned)__builtin_ctz(esc);
            out[j + b] = col[idx[j + b]];
            esc &= esc - 1;
        }
    }
    return j;
}
#endif

void as_bitpack_gather8(const uint8_t *col8, const uint32_t *col, const uint32_t *idx,
                        size_t n, uint32_t *out)
{
    size_t j = 0;
#ifdef AS_BITPACK_AVX2
    if (n >= 8 && __builtin_cpu_supports("avx2"))
        j = gather8_avx2(col8, col, idx, n, out);
#endif
    for (; j < n; j++) {
        uint32_t v = col8[idx[j]];
        out[j] = v == AS_BITPACK_ESC ? col[idx[j]] : v;
    }
}

void as_bitpack_narrow(const uint32_t *col, size_t n, uint8_t *col8)
{
    for (size_t i = 0; i < n; i++) /* vectorised by the compiler */
        col8[i] = (uint8_t)(col[i] < AS_BITPACK_ESC ? col[i] : AS_BITPACK_ESC);
    memset(col8 + n, 0, 3);
}

#ifdef AS_BITPACK_AVX2
/* Sixteen keys a step: key - lo <= hi - lo unsigned (min equal to itself)
 * for each range, the four ORed, then the few selected (a high list takes
 * about one posting in sixteen) found by their mask bits, two per key.
 * Returns the keys tested (a multiple of 16); *m the indices set. */
__attribute__((target("avx2"))) static size_t select_avx2(const uint16_t *keys, size_t n,
                                                          const uint16_t lo[4],
                                                          const uint16_t hi[4], uint32_t *idx,
                                                          size_t *m)
{
    __m256i l[4], s[4];
    for (int r = 0; r < 4; r++) {
        l[r] = _mm256_set1_epi16((short)lo[r]);
        s[r] = _mm256_set1_epi16((short)(hi[r] - lo[r]));
    }
    size_t j = 0, k = 0;
    for (; j + 16 <= n; j += 16) {
        __m256i x = _mm256_loadu_si256((const __m256i *)(keys + j)), in = _mm256_setzero_si256();
        for (int r = 0; r < 4; r++) {
            __m256i d = _mm256_sub_epi16(x, l[r]);
            in = _mm256_or_si256(in, _mm256_cmpeq_epi16(_mm256_min_epu16(d, s[r]), d));
        }
        uint32_t bits = (uint32_t)_mm256_movemask_epi8(in);
        while (bits) {
            unsigned b = (unsigned)__builtin_ctz(bits);
            idx[k++] = (uint32_t)(j + b / 2);
            bits &= ~(3u << b);
        }
    }
    *m = k;
    return j;
}
#endif

size_t as_bitpack_select(const uint16_t *keys, size_t n, const uint16_t lo[4],
                         const uint16_t hi[4], uint32_t *idx)
{
    size_t j = 0, k = 0;
#ifdef AS_BITPACK_AVX2
    if (n >= 16 && __builtin_cpu_supports("avx2"))
        j = select_avx2(keys, n, lo, hi, idx, &k);
#endif
    for (; j < n; j++) {
        unsigned x = keys[j];
        int in = 0;
        for (int r = 0; r < 4; r++)
            in |= x - lo[r] <= (unsigned)(hi[r] - lo[r]);
        if (in)
            idx[k++] = (uint32_t)j;
    }
    return k;
}
