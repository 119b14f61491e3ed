/*
 * test_bitpack.c — bit packing (common/bitpack.c): exact bytes for known
 * inputs, and round trips for every width 0..32 at many lengths.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "bitpack.h"

static void test_known_bytes(void **state)
{
    (void)state;
    uint32_t v[4] = {1, 2, 3, 0};
    uint8_t out[8];
    memset(out, 0xee, sizeof out);
    /* 2 bits each, LSB first: 01 10 11 00 -> 0b00111001 */
    assert_int_equal(as_bitpack_pack(out, v, 4, 2), 1);
    assert_int_equal(out[0], 0x39);
    assert_int_equal(out[1], 0xee);
    uint32_t w[3] = {0x1ff, 0, 0x100};
    memset(out, 0, sizeof out);
    assert_int_equal(as_bitpack_pack(out, w, 3, 9), 4); /* 27 bits */
    assert_int_equal(out[0], 0xff);
    assert_int_equal(out[1], 0x01);
    assert_int_equal(out[2], 0x00);
    assert_int_equal(out[3], 0x04);
    uint32_t back[3];
    as_bitpack_unpack(out, back, 3, 9);
    assert_int_equal(back[0], 0x1ff);
    assert_int_equal(back[1], 0);
    assert_int_equal(back[2], 0x100);
    assert_int_equal(as_bitpack_size(128, 0), 0);
    assert_int_equal(as_bitpack_size(128, 5), 80);
    assert_int_equal(as_bitpack_size(3, 32), 12);
}

static void test_round_trip(void **state)
{
    (void)state;
    uint64_t s = 88172645463325252ull;
    uint32_t v[300], back[300];
    for (unsigned w = 0; w <= 32; w++) {
        for (size_t n = 0; n <= 300; n += (n < 20 ? 1 : 37)) {
            uint64_t mask = w == 32 ? 0xffffffffu : ((uint64_t)1 << w) - 1;
            for (size_t i = 0; i < n; i++) {
                s ^= s << 13, s ^= s >> 7, s ^= s << 17;
                v[i] = (uint32_t)(s & mask);
                if (i % 5 == 0)
                    v[i] = (uint32_t)mask; /* the extreme value too */
            }
            size_t len = as_bitpack_size(n, w);
            /* exactly len bytes on the heap, so ASan sees any over-read */
            uint8_t *buf = malloc(len ? len : 1);
            assert_non_null(buf);
            assert_int_equal(as_bitpack_pack(buf, v, n, w), len);
            as_bitpack_unpack(buf, back, n, w);
            for (size_t i = 0; i < n; i++)
                assert_int_equal(back[i], v[i]);
            free(buf);
        }
    }
}

/* Value i of w bits read bit by bit: a reference that shares no code with
 * as_bitpack_unpack's group paths (scalar or AVX2). */
static uint32_t ref_get(const uint8_t *buf, size_t i, unsigned w)
{
    uint32_t x = 0;
    for (unsigned j = 0; j < w; j++) {
        size_t bit = i * w + j;
        x |= (uint32_t)((buf[bit >> 3] >> (bit & 7)) & 1) << j;
    }
    return x;
}

/* Every width and every length 0..300 (whole groups of 8, the tail, the
 * 8-, 16- and 32-byte loads of the AVX2 groups, which must stop where the
 * data ends: exactly len bytes on the heap, for ASan), random bytes
 * unpacked against the bit-by-bit reference.  On a machine with AVX2 the
 * vector path must be the one in use (as_bitpack_simd), so this test
 * covers it. */
static void test_unpack_groups(void **state)
{
    (void)state;
#if defined(AS_NO_AVX2)
    assert_int_equal(as_bitpack_simd(), 0); /* make test-noavx2: the fallbacks */
#elif defined(__x86_64__) && defined(__GNUC__)
    assert_int_equal(as_bitpack_simd(), __builtin_cpu_supports("avx2") != 0);
#endif
    uint64_t s = 0x9e3779b97f4a7c15ull;
    uint32_t back[300];
    for (unsigned w = 1; w <= 32; w++) {
        for (size_t n = 0; n <= 300; n++) {
            size_t len = as_bitpack_size(n, w);
            uint8_t *buf = malloc(len ? len : 1);
            assert_non_null(buf);
            for (size_t i = 0; i < len; i++) {
                s ^= s << 13, s ^= s >> 7, s ^= s << 17;
                buf[i] = (uint8_t)(s >> 24);
            }
            if (n % 3 == 0)
                memset(buf, 0xff, len); /* every value at its maximum */
            as_bitpack_unpack(buf, back, n, w);
            for (size_t i = 0; i < n; i++)
                assert_int_equal(back[i], ref_get(buf, i, w));
            free(buf);
        }
    }
}

/* n bytes (at least one allocated, exactly n for ASan to watch) from the
 * xorshift state *s; the caller frees them. */
static uint8_t *random_bytes(uint64_t *s, size_t n)
{
    uint8_t *buf = malloc(n ? n : 1);
    assert_non_null(buf);
    for (size_t i = 0; i < n; i++) {
        *s ^= *s << 13, *s ^= *s >> 7, *s ^= *s << 17;
        buf[i] = (uint8_t)(*s >> 24);
    }
    return buf;
}

/* as_bitpack_unpack_in and _add: every width, lengths 0..140, with 0..40 bytes of
 * random data readable after the run (exactly that much on the heap, for
 * ASan): the values must be the run's alone whichever path the extra bytes
 * let the groups and the tail take (AVX2 loads past the run, the scalar
 * groups, the tail in place or from a copy). */
static void test_unpack_in(void **state)
{
    (void)state;
    uint64_t s = 0x2545f4914f6cdd1dull;
    uint32_t back[140];
    uint8_t none = 0xff;
    for (size_t n = 0; n <= 140; n++) { /* width 0: every value is add */
        as_bitpack_unpack_add(&none, 1, back, n, 0, 1);
        for (size_t i = 0; i < n; i++)
            assert_int_equal(back[i], 1);
    }
    for (unsigned w = 1; w <= 32; w++) {
        for (size_t n = 0; n <= 140; n++) {
            size_t len = as_bitpack_size(n, w);
            for (size_t extra = 0; extra <= 40; extra += 1 + extra / 4) {
                uint8_t *buf = random_bytes(&s, len + extra);
                if (n % 3 == 0)
                    memset(buf, 0, len); /* zeros before random bytes */
                as_bitpack_unpack_in(buf, len + extra, back, n, w);
                for (size_t i = 0; i < n; i++)
                    assert_int_equal(back[i], ref_get(buf, i, w));
                uint32_t add = n % 2 ? 1 : 0x9e3779b9u; /* wraps mod 2^32 too */
                as_bitpack_unpack_add(buf, len + extra, back, n, w, add);
                for (size_t i = 0; i < n; i++)
                    assert_int_equal(back[i], (uint32_t)(ref_get(buf, i, w) + add));
                free(buf);
            }
        }
    }
}

/* as_bitpack_unpack_sums against a plain scalar reference (ref_get, then
 * one add at a time): every width 0..32, every length 1..128 (the AVX2
 * groups of 8, the carry from one group to the next and from the low
 * half of a group to its high half, the scalar tail of n % 8 values after
 * them, short runs with no group at all), with 0..40 bytes readable after
 * the run (exactly that much on the heap, for ASan).  Gaps at their
 * maximum, zeros, or random; prev1 0, 1 or large enough that the sums
 * come near, but not past, 2^32 - 1. */
static void test_unpack_sums(void **state)
{
    (void)state;
    uint64_t s = 0x853c49e6748fea9bull;
    uint32_t got[128], want[128];
    for (unsigned w = 0; w <= 32; w++) {
        for (size_t n = 1; n <= 128; n++) {
            size_t len = as_bitpack_size(n, w);
            for (size_t extra = 0; extra <= 40; extra += 1 + extra / 3) {
                uint8_t *buf = random_bytes(&s, len + extra);
                if (n % 3 == 0)
                    memset(buf, 0xff, len); /* every gap at its maximum */
                else if (n % 3 == 1 && extra % 2)
                    memset(buf, 0, len); /* consecutive docs */
                uint64_t room = (uint64_t)n << w;
                uint32_t prev1 = extra % 3 == 0 ? 0 : extra % 3 == 1 ? 1
                               : (uint32_t)(room < UINT32_MAX - 5 ? UINT32_MAX - 2 - room : 3);
                uint64_t a = prev1;
                for (size_t i = 0; i < n; i++) {
                    a += ref_get(buf, i, w);
                    want[i] = (uint32_t)a;
                    a++;
                }
                memset(got, 0xa5, sizeof got);
                uint32_t end = as_bitpack_unpack_sums(buf, len + extra, got, n, w, prev1);
                assert_int_equal(end, (uint32_t)a);
                for (size_t i = 0; i < n; i++)
                    assert_int_equal(got[i], want[i]);
                for (size_t i = n; i < 128; i++)
                    assert_int_equal(got[i], 0xa5a5a5a5u); /* nothing written past */
                free(buf);
            }
        }
    }
}

/* as_bitpack_pack's groups of 32 (widths 1..20) and its tail against bytes
 * set bit by bit: every width, counts around the group sizes. */
static void test_pack_groups(void **state)
{
    (void)state;
    uint64_t s = 0x2545f4914f6cdd1dull;
    uint32_t v[200];
    uint8_t got[800], want[800];
    for (unsigned w = 1; w <= 32; w++) {
        for (size_t n = 0; n <= 200; n += (n < 70 ? 1 : 29)) {
            uint64_t mask = w == 32 ? 0xffffffffu : ((uint64_t)1 << w) - 1;
            for (size_t i = 0; i < n; i++) {
                s ^= s << 13, s ^= s >> 7, s ^= s << 17;
                v[i] = (uint32_t)(s & mask);
            }
            size_t len = as_bitpack_size(n, w);
            memset(want, 0, sizeof want);
            for (size_t i = 0; i < n; i++)
                for (unsigned j = 0; j < w; j++)
                    if (v[i] >> j & 1)
                        want[(i * w + j) / 8] |= (uint8_t)(1u << ((i * w + j) % 8));
            memset(got, 0xa5, sizeof got);
            assert_int_equal(as_bitpack_pack(got, v, n, w), len);
            assert_memory_equal(got, want, len);
            assert_int_equal(got[len], 0xa5); /* nothing written past */
        }
    }
}

/* as_bitpack_block against the loop it replaces, posting by posting, at
 * every count 0..300 (the AVX2 steps of eight from posting 1 and the
 * scalar tail), wdfs of every class (4 and more too), gaps of up to 20
 * bits and the first gap from -1, lengths past the cap of the keys
 * (as_bitpack_block_keys, 1023 as the index's); and as_bitpack_or
 * against a plain OR. */
static void test_block(void **state)
{
    (void)state;
    uint64_t s = 0x9e3779b97f4a7c15ull;
    uint32_t docs[300], wdfs[300], lens[300], gaps[300], wv[300];
    uint16_t keys[300], wk[300];
    for (size_t n = 0; n <= 300; n++) {
        for (int first = 0; first < 2; first++) {
            uint32_t prev = first ? UINT32_MAX : (uint32_t)(n * 7);
            uint32_t d = prev;
            for (size_t i = 0; i < n; i++) {
                s ^= s << 13, s ^= s >> 7, s ^= s << 17;
                unsigned gb = (unsigned)(s % 21);        /* gap width 0..20 */
                d += 1 + (uint32_t)((s >> 8) & ((1u << gb) - 1));
                docs[i] = d;
                uint32_t r = (uint32_t)(s >> 32);
                wdfs[i] = r % 4 == 0 ? 4 + (r >> 8) % 70 : 1 + r % 3;
                lens[i] = (r >> 16) % (i % 9 == 0 ? 70000 : i % 4 == 0 ? 1030 : 200);
            }
            uint32_t wg[300], ww[300], wm[4] = {500, 40, UINT32_MAX, 3}, wo[2] = {0, 0};
            uint32_t mins[4] = {500, 40, UINT32_MAX, 3}, ors[2] = {7, 7};
            uint32_t p = prev;
            for (size_t i = 0; i < n; i++) {
                uint32_t c = wdfs[i] < 4 ? wdfs[i] - 1 : 3;
                if (lens[i] < wm[c])
                    wm[c] = lens[i];
                wg[i] = docs[i] - p - 1;
                ww[i] = wdfs[i] - 1;
                wo[0] |= wg[i];
                wo[1] |= ww[i];
                p = docs[i];
                uint32_t d = lens[i] <= 1023 ? lens[i] : 1024;
                wk[i] = (uint16_t)(wdfs[i] <= 3 ? (wdfs[i] - 1) * 1025 + d : 3 * 1025);
            }
            as_bitpack_block(docs, wdfs, lens, n, prev, gaps, wv, ors, mins);
            assert_memory_equal(gaps, wg, n * sizeof *gaps);
            assert_memory_equal(wv, ww, n * sizeof *wv);
            assert_int_equal(ors[0], wo[0]);
            assert_int_equal(ors[1], wo[1]);
            for (int k = 0; k < 4; k++)
                assert_int_equal(mins[k], wm[k]);
            uint32_t mins2[4] = {500, 40, UINT32_MAX, 3}, ors2[2];
            memset(gaps, 0, sizeof gaps);
            as_bitpack_block_keys(docs, wdfs, lens, n, prev, gaps, wv, ors2, mins2, keys, 1023);
            assert_memory_equal(gaps, wg, n * sizeof *gaps);
            assert_memory_equal(keys, wk, n * sizeof *keys);
            assert_memory_equal(mins2, wm, sizeof mins2);
            assert_memory_equal(ors2, wo, sizeof ors2);
            uint32_t o = 0;
            for (size_t i = 0; i < n; i++)
                o |= lens[i];
            assert_int_equal(as_bitpack_or(lens, n), o);
        }
    }
}

/* as_bitpack_short3 against a byte-by-byte reading of 3-byte postings:
 * runs of them with one bad posting (a gap of 0, a wdf of 2, a byte with
 * its top bit, a doc at ndocs; or none) at every place, and the buffer's
 * end: what is taken is the whole fives before the first group holding
 * the bad one or reaching past the bytes (a group reads 16), decoded
 * right. */
static void test_short3(void **state)
{
    (void)state;
    uint8_t buf[3 * 40 + 16];
    uint32_t docs[64], wdfs[64], pos[64];
    for (int bad = 0; bad < 5; bad++) {
        for (size_t at = 0; at < 40; at++) {
            for (size_t len = 0; len <= 3 * 40; len += 7) {
                uint32_t prev1 = 1000, ndocs = 1000 + 40 * 127;
                for (size_t i = 0; i < 40; i++) {
                    buf[3 * i] = (uint8_t)(1 + (i * 37 + at) % 127);
                    buf[3 * i + 1] = 1;
                    buf[3 * i + 2] = (uint8_t)((i * 11) % 128);
                }
                if (bad == 0)
                    buf[3 * at] = 0;
                else if (bad == 1)
                    buf[3 * at + 1] = 2;
                else if (bad == 2)
                    buf[3 * at + 2] = 0x80;
                else if (bad == 3) /* the doc of posting at is the last */
                    for (size_t i = 0, e = prev1; i < 40; i++) {
                        e += buf[3 * i];
                        if (i == at)
                            ndocs = (uint32_t)e - 1;
                    }
                memset(buf + 3 * 40, 0x55, 16);
                size_t groups = bad == 4 ? 8 : at / 5, fit = len >= 16 ? (len - 16) / 15 + 1 : 0;
                size_t want = 5 * (groups < fit ? groups : fit);
                size_t got = as_bitpack_short3(buf, len, prev1, ndocs, docs, wdfs, pos, 40);
                if (!as_bitpack_simd()) {
                    assert_int_equal(got, 0);
                    continue;
                }
                assert_int_equal(got, want);
                uint32_t e = prev1;
                for (size_t i = 0; i < got; i++) {
                    e += buf[3 * i];
                    assert_int_equal(docs[i], e - 1);
                    assert_int_equal(wdfs[i], 1);
                    assert_int_equal(pos[i], buf[3 * i + 2]);
                }
            }
        }
    }
    /* max: whole fives up to it */
    memset(buf, 0, sizeof buf);
    for (size_t i = 0; i < 40; i++)
        buf[3 * i] = 1, buf[3 * i + 1] = 1;
    size_t got = as_bitpack_short3(buf, sizeof buf, 1, 100, docs, wdfs, pos, 12);
    assert_int_equal(got, as_bitpack_simd() ? 10 : 0);
    if (got)
        assert_int_equal(docs[9], 10);
}

/* as_bitpack_gather against col[idx[j]] at every count 0..300 (the AVX2
 * eights and the tail), indices anywhere in a column of 100,000. */
static void test_gather(void **state)
{
    (void)state;
    enum { NCOL = 100000 };
    uint32_t *col = malloc(NCOL * sizeof *col);
    assert_non_null(col);
    for (uint32_t i = 0; i < NCOL; i++)
        col[i] = i * 2654435761u;
    uint64_t s = 0x243f6a8885a308d3ull;
    uint32_t idx[300], out[301];
    for (size_t n = 0; n <= 300; n++) {
        for (size_t i = 0; i < n; i++) {
            s ^= s << 13, s ^= s >> 7, s ^= s << 17;
            idx[i] = (uint32_t)(s % NCOL);
        }
        out[n] = 0xdeadbeef;
        as_bitpack_gather(col, idx, n, out);
        for (size_t i = 0; i < n; i++)
            assert_int_equal(out[i], col[idx[i]]);
        assert_int_equal(out[n], 0xdeadbeef); /* nothing written past */
    }
    free(col);
}

/* as_bitpack_gather8 on as_bitpack_narrow's column against col[idx[j]]
 * at every count 0..300, with values around the escape (254, 255, 256
 * and large ones, read from col) and indices up to the column's last
 * (the AVX2 loads' four bytes reach into the padding). */
static void test_gather8(void **state)
{
    (void)state;
    enum { NCOL = 100000 };
    uint32_t *col = malloc(NCOL * sizeof *col);
    uint8_t *col8 = malloc(NCOL + 3);
    assert_non_null(col);
    assert_non_null(col8);
    uint64_t s = 0x452821e638d01377ull;
    for (uint32_t i = 0; i < NCOL; i++) {
        s ^= s << 13, s ^= s >> 7, s ^= s << 17;
        uint32_t r = (uint32_t)(s % 16);
        col[i] = r < 10 ? (uint32_t)(s >> 32) % 60 : r < 13 ? 253 + r - 10 : (uint32_t)(s >> 20);
    }
    col[NCOL - 1] = 255;
    as_bitpack_narrow(col, NCOL, col8);
    for (uint32_t i = 0; i < NCOL; i++)
        assert_int_equal(col8[i], col[i] < 255 ? col[i] : 255);
    uint32_t idx[300], out[301];
    for (size_t n = 0; n <= 300; n++) {
        for (size_t i = 0; i < n; i++) {
            s ^= s << 13, s ^= s >> 7, s ^= s << 17;
            idx[i] = i % 7 == 3 ? NCOL - 1 - (uint32_t)(i % 3) : (uint32_t)(s % NCOL);
        }
        out[n] = 0xdeadbeef;
        as_bitpack_gather8(col8, col, idx, n, out);
        for (size_t i = 0; i < n; i++)
            assert_int_equal(out[i], col[idx[i]]);
        assert_int_equal(out[n], 0xdeadbeef); /* nothing written past */
    }
    free(col8);
    free(col);
}

/* as_bitpack_select against a plain test of each key, at every count
 * 0..300 (the AVX2 sixteens and the tail), with ranges like a high
 * list's (one per wdf and a single key) and keys around their ends, the
 * whole 16-bit span included. */
static void test_select(void **state)
{
    (void)state;
    uint64_t s = 0x13198a2e03707344ull;
    uint16_t keys[300];
    uint32_t idx[300];
    const uint16_t lo[4] = {0, 1025, 2050, 3075}, hi[4] = {17, 1025 + 300, 2050 + 1023, 3075};
    const uint16_t lo2[4] = {5, 5, 65535, 0}, hi2[4] = {5, 9, 65535, 0};
    for (int t = 0; t < 2; t++) {
        const uint16_t *l = t ? lo2 : lo, *h = t ? hi2 : hi;
        for (size_t n = 0; n <= 300; n++) {
            for (size_t i = 0; i < n; i++) {
                s ^= s << 13, s ^= s >> 7, s ^= s << 17;
                unsigned r = (unsigned)(s >> 20) % 4;
                int off = (int)((s >> 40) % 5) - 2; /* near an end of range r */
                keys[i] = (s >> 60) == 0 ? (uint16_t)(s >> 8)
                                         : (uint16_t)(((s >> 58) & 1 ? h[r] : l[r]) + off);
            }
            size_t k = as_bitpack_select(keys, n, l, h, idx), want = 0;
            for (size_t i = 0; i < n; i++) {
                int in = 0;
                for (int r = 0; r < 4; r++)
                    in |= keys[i] >= l[r] && keys[i] <= h[r];
                if (in) {
                    assert_true(want < k);
                    assert_int_equal(idx[want], i);
                    want++;
                }
            }
            assert_int_equal(k, want);
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_known_bytes),
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_unpack_groups),
        cmocka_unit_test(test_unpack_in),
        cmocka_unit_test(test_unpack_sums),
        cmocka_unit_test(test_pack_groups),
        cmocka_unit_test(test_block),
        cmocka_unit_test(test_short3),
        cmocka_unit_test(test_gather),
        cmocka_unit_test(test_gather8),
        cmocka_unit_test(test_select),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
