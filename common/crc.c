/* crc.c: zlib-compatible crc32 by carry-less multiplication (PCLMULQDQ).
 *
 * Why: a search checks each 1 KiB index page it touches first; zlib's table
 * crc32 costs ~4 instructions a byte, folding with PCLMULQDQ well under one.
 * How: the message is read 64 bytes at a time into four 128-bit lanes; each
 * lane is "folded" forward over the next 64 bytes (multiplied by x^512 mod P,
 * split into its two 64-bit halves times two 33-bit constants), then the four
 * lanes are folded into one and the remaining 16-byte blocks folded into it.
 * The folded 128 bits are congruent (mod P) to everything read so far; they
 * are reduced to 32 bits (Barrett) and zlib continues over the < 16 unread
 * bytes.  The constants are x^k mod P, bit-reflected, for the fold distances
 * used; tests/unit/test_crc.c compares with zlib on random data. */
#include "crc.h"

#include <zlib.h>

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <cpuid.h>
#include <immintrin.h>

#define CRC_FOLD 1

/* Folds lane v forward over the distance whose constants are in k and adds d. */
__attribute__((target("pclmul,sse2"))) static inline __m128i fold(__m128i v, __m128i k,
                                                                 __m128i d)
{
    __m128i lo = _mm_clmulepi64_si128(v, k, 0x00);
    __m128i hi = _mm_clmulepi64_si128(v, k, 0x11);
    return _mm_xor_si128(_mm_xor_si128(lo, hi), d);
}

/* n >= 64.  Inlined into crc_clmul and crc_clmul_avx. */
__attribute__((target("pclmul,sse2"), always_inline)) static inline uint32_t
crc_body(uint32_t crc, const unsigned char *p, size_t n)
{
    const __m128i k512 = _mm_set_epi64x(0x1c6e41596LL, 0x154442bd4LL);
    const __m128i k128 = _mm_set_epi64x(0x0ccaa009eLL, 0x1751997d0LL);
    __m128i a = _mm_loadu_si128((const __m128i *)(const void *)p);
    __m128i b = _mm_loadu_si128((const __m128i *)(const void *)(p + 16));
    __m128i c = _mm_loadu_si128((const __m128i *)(const void *)(p + 32));
    __m128i d = _mm_loadu_si128((const __m128i *)(const void *)(p + 48));
    /* zlib's register starts as ~crc; a register r equals r xor-ed into the
     * first four message bytes with a zero register. */
    a = _mm_xor_si128(a, _mm_cvtsi32_si128((int)~crc));
    p += 64;
    n -= 64;
    while (n >= 64) {
        a = fold(a, k512, _mm_loadu_si128((const __m128i *)(const void *)p));
        b = fold(b, k512, _mm_loadu_si128((const __m128i *)(const void *)(p + 16)));
        c = fold(c, k512, _mm_loadu_si128((const __m128i *)(const void *)(p + 32)));
        d = fold(d, k512, _mm_loadu_si128((const __m128i *)(const void *)(p + 48)));
        p += 64;
        n -= 64;
    }
    a = fold(a, k128, b);
    a = fold(a, k128, c);
    a = fold(a, k128, d);
    while (n >= 16) {
        a = fold(a, k128, _mm_loadu_si128((const __m128i *)(const void *)p));
        p += 16;
        n -= 16;
    }
    /* Reduce the 128 folded bits to the 32-bit crc: fold the low 64 bits
     * into the high ones (x^96 and x^64 mod P), then Barrett reduction with
     * mu = x^64 / P and P itself. */
    const __m128i lo32 = _mm_set_epi32(0, -1, 0, -1);
    const __m128i k64 = _mm_set_epi64x(0, 0x163cd6124LL);
    const __m128i poly = _mm_set_epi64x(0x1f7011641LL, 0x1db710641LL);
    __m128i t = _mm_clmulepi64_si128(a, k128, 0x10);
    a = _mm_xor_si128(_mm_srli_si128(a, 8), t);
    t = _mm_srli_si128(a, 4);
    a = _mm_clmulepi64_si128(_mm_and_si128(a, lo32), k64, 0x00);
    a = _mm_xor_si128(a, t);
    t = _mm_clmulepi64_si128(_mm_and_si128(a, lo32), poly, 0x10);
    t = _mm_clmulepi64_si128(_mm_and_si128(t, lo32), poly, 0x00);
    a = _mm_xor_si128(a, t);
    crc = ~(uint32_t)_mm_cvtsi128_si32(_mm_srli_si128(a, 4));
    /* The unread tail (< 16 bytes) continues from that crc. */
    return n ? (uint32_t)crc32(crc, p, (uInt)n) : crc;
}

__attribute__((target("pclmul,sse2"))) static uint32_t crc_clmul(uint32_t crc,
                                                                const unsigned char *p,
                                                                size_t n)
{
    return crc_body(crc, p, n);
}

/* The same in VEX encoding: its xor takes the 16 bytes folded in straight
 * from memory (unaligned) and its three-operand forms need no register
 * copies: the checks of and3common at 1M, ~3,400 pages first touched,
 * 1,382,740 -> 1,014,990 instructions (-27%). */
__attribute__((target("pclmul,avx"))) static uint32_t crc_clmul_avx(uint32_t crc,
                                                                   const unsigned char *p,
                                                                   size_t n)
{
    return crc_body(crc, p, n);
}
#endif

/* zlib's crc32; it takes uInt lengths, so huge buffers go in pieces. */
static uint32_t crc_zlib(uint32_t crc, const void *p, size_t n)
{
    const unsigned char *b = p;
    while (n > 0x40000000u) {
        crc = (uint32_t)crc32(crc, b, 0x40000000u);
        b += 0x40000000u;
        n -= 0x40000000u;
    }
    return (uint32_t)crc32(crc, b, (uInt)n);
}

#ifdef CRC_FOLD
static uint32_t crc_fast(uint32_t crc, const void *p, size_t n)
{
    return n >= 64 ? crc_clmul(crc, p, n) : crc_zlib(crc, p, n);
}

static uint32_t crc_fast_avx(uint32_t crc, const void *p, size_t n)
{
    return n >= 64 ? crc_clmul_avx(crc, p, n) : crc_zlib(crc, p, n);
}

/* The implementation is chosen once, by the dynamic loader (GNU ifunc),
 * with one cpuid.  Why not __builtin_cpu_supports: it links libgcc's
 * start-up probe of every CPU feature, a dozen cpuid instructions, each a
 * trap to the hypervisor on a virtual machine: ~2.5% of a whole search
 * process here (perf).  The resolver runs before the sanitizers' runtime is
 * set up, so it is not instrumented. */
typedef uint32_t crc_fn(uint32_t crc, const void *p, size_t n);
#if defined(__clang__)
/* nor for the fuzzers' coverage counters, not yet relocated when it runs */
#define RESOLVER_ATTRS used, no_sanitize("address", "undefined", "coverage")
#else
#define RESOLVER_ATTRS used, no_sanitize("address", "undefined")
#endif
__attribute__((RESOLVER_ATTRS)) static crc_fn *crc_resolve(void)
{
    unsigned a, b, c, d;
    /* the macro, not __get_cpuid: an out-of-line (instrumented) function
     * would read sanitizer shadow memory not mapped yet; leaf 1 always
     * exists on x86-64 */
    __cpuid(1, a, b, c, d);
    (void)a;
    (void)b;
    if (!(c & bit_PCLMUL) || !(d & bit_SSE2))
        return crc_zlib;
    if ((c & bit_AVX) && (c & bit_OSXSAVE)) {
        unsigned lo, hi; /* XCR0: the OS saves the SSE and AVX state */
        __asm__("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
        (void)hi;
        if ((lo & 6) == 6)
            return crc_fast_avx;
    }
    return crc_fast;
}

uint32_t as_crc32(uint32_t crc, const void *p, size_t n) __attribute__((ifunc("crc_resolve")));

int as_crc_kind(void)
{
    crc_fn *f = crc_resolve();
    return f == crc_fast_avx ? 2 : f == crc_fast ? 1 : 0;
}
#else
uint32_t as_crc32(uint32_t crc, const void *p, size_t n)
{
    return crc_zlib(crc, p, n);
}

int as_crc_kind(void) { return 0; }
#endif
