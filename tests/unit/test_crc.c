/* test_crc.c: as_crc32 (crc.c) must equal zlib's crc32 on every length,
 * start offset (aligned or not) and starting crc, including the lengths
 * around the 16- and 64-byte steps of the folding path. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>
#include <zlib.h>

#include "crc.h"

/* A fixed xorshift stream: the test is reproducible. */
static uint64_t next(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

static void test_known_values(void **state)
{
    (void)state;
    /* The standard check value of CRC-32 and a 1 KiB page of zeros. */
    assert_int_equal(as_crc32(0, "123456789", 9), 0xCBF43926u);
    static const unsigned char zero[1024];
    assert_int_equal(as_crc32(0, zero, sizeof zero), (uint32_t)crc32(0, zero, sizeof zero));
    assert_int_equal(as_crc32(0, zero, sizeof zero), 0xEFB5AF2Eu);
    assert_int_equal(as_crc32(0, NULL, 0), 0u);
    /* As zlib: no bytes leave the crc as it was; a NULL buffer gives the initial 0. */
    assert_int_equal(as_crc32(0x12345678u, zero, 0), 0x12345678u);
    assert_int_equal(as_crc32(0x12345678u, NULL, 0), (uint32_t)crc32(0x12345678u, NULL, 0));
}

static void test_every_short_length(void **state)
{
    (void)state;
    unsigned char buf[600];
    uint64_t s = 88172645463325252ull;
    for (size_t i = 0; i < sizeof buf; i++)
        buf[i] = (unsigned char)next(&s);
    for (size_t off = 0; off < 17; off++)
        for (size_t n = 0; n + off <= 300; n++) {
            uint32_t c0 = (uint32_t)next(&s);
            assert_int_equal(as_crc32(c0, buf + off, n), (uint32_t)crc32(c0, buf + off, (uInt)n));
            assert_int_equal(as_crc32(0, buf + off, n), (uint32_t)crc32(0, buf + off, (uInt)n));
        }
}

static void test_random_long(void **state)
{
    (void)state;
    enum { N = 70000 };
    static unsigned char buf[N];
    uint64_t s = 0x9E3779B97F4A7C15ull;
    for (size_t i = 0; i < N; i++)
        buf[i] = (unsigned char)next(&s);
    for (int t = 0; t < 3000; t++) {
        size_t off = (size_t)(next(&s) % 97);
        size_t n = (size_t)(next(&s) % (N - 97));
        uint32_t c0 = (uint32_t)next(&s);
        assert_int_equal(as_crc32(c0, buf + off, n), (uint32_t)crc32(c0, buf + off, (uInt)n));
    }
    /* A crc continued over two pieces equals the crc of the whole. */
    uint32_t whole = as_crc32(0, buf, N);
    assert_int_equal(as_crc32(as_crc32(0, buf, 12345), buf + 12345, N - 12345), whole);
    assert_int_equal(whole, (uint32_t)crc32(0, buf, N));
    /* All-ones bytes (every bit set in the folded lanes). */
    memset(buf, 0xff, 4096);
    assert_int_equal(as_crc32(0xffffffffu, buf + 3, 4093),
                     (uint32_t)crc32(0xffffffffu, buf + 3, 4093));
}

/* On a machine with PCLMULQDQ and AVX the VEX folding must be the one in
 * use, so the comparisons with zlib above test it. */
static void test_kind(void **state)
{
    (void)state;
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
    int want = !__builtin_cpu_supports("pclmul") ? 0 : __builtin_cpu_supports("avx") ? 2 : 1;
    assert_int_equal(as_crc_kind(), want);
#else
    assert_int_equal(as_crc_kind(), 0);
#endif
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_known_values),
        cmocka_unit_test(test_every_short_length),
        cmocka_unit_test(test_random_long),
        cmocka_unit_test(test_kind),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
