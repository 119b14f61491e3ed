/* test_stok.c: the store's tokens (stok.c).  as_stok_split must give the
 * tokens of the rule in format.h: store (runs of word and gap bytes, a
 * single space between two words left out), written here as the plain
 * byte loop it replaced, on every length and alignment, whatever lies in
 * the buffer past the text; the hashes must be the byte loop's.  Its memo
 * (a token's id without the vocab) must give a token's own id and no
 * other: every token is either a hit with the id it was given or a miss. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "stok.h"

static uint64_t next(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

static int is_word(uint8_t b)
{
    return (b >= 'a' && b <= 'z') || (b >= 'A' && b <= 'Z') || (b >= '0' && b <= '9') || b >= 0x80;
}

/* The hash as a byte loop: 8-byte little-endian words, then the tail;
 * its last product (before the fold). */
static uint64_t ref_prod(const uint8_t *s, size_t n)
{
    uint64_t h = 0x9e3779b97f4a7c15ull ^ n, x;
    for (; n >= 8; n -= 8, s += 8) {
        x = 0;
        for (int i = 0; i < 8; i++)
            x |= (uint64_t)s[i] << (8 * i);
        h = (h ^ x) * 0xff51afd7ed558ccdull;
        h ^= h >> 32;
    }
    x = 0;
    for (size_t i = 0; i < n; i++)
        x |= (uint64_t)s[i] << (8 * i);
    return (h ^ x) * 0xff51afd7ed558ccdull;
}

static uint32_t ref_hash(const uint8_t *s, size_t n)
{
    uint64_t h = ref_prod(s, n);
    return (uint32_t)(h ^ (h >> 32));
}

/* The head: the first min(n, 8) bytes as a little-endian number. */
static uint64_t ref_head(const uint8_t *s, size_t n)
{
    uint64_t x = 0;
    for (size_t i = 0; i < n && i < 8; i++)
        x |= (uint64_t)s[i] << (8 * i);
    return x;
}

/* The tail: the last 8 bytes of a token of 8 to 16 bytes, else 0. */
static uint64_t ref_tail(const uint8_t *s, size_t n)
{
    return n >= 8 && n <= 16 ? ref_head(s + n - 8, 8) : 0;
}

/* The memo entry of a token (stok.h): the top bits of a product. */
static uint32_t ref_slot(const uint8_t *s, size_t n)
{
    uint64_t p = ref_prod(s, n);
    if (n < 8)
        p = (ref_head(s, n) | (uint64_t)n << 56) * 0xff51afd7ed558ccdull;
    return (uint32_t)(p >> (64 - AS_STOK_MEMO_BITS));
}

/* The rule, byte by byte. */
static size_t ref_split(const uint8_t *t, size_t n, uint32_t base, as_swtok *out)
{
    size_t i = 0, nt = 0;
    int pw = 0;
    while (i < n) {
        int w = is_word(t[i]);
        size_t j = i + 1;
        while (j < n && is_word(t[j]) == w)
            j++;
        if (!(!w && pw && j - i == 1 && t[i] == ' ' && j < n)) {
            out[nt] = (as_swtok){base + (uint32_t)i,     (uint32_t)(j - i),
                                 ref_hash(t + i, j - i), (uint32_t)nt,
                                 ref_head(t + i, j - i), ref_tail(t + i, j - i),
                                 0,                      ref_slot(t + i, j - i)};
            nt++;
        }
        pw = w;
        i = j;
    }
    return nt;
}

/* An empty memo: every token a miss. */
static as_stok_memo *memo_new(void)
{
    as_stok_memo *m = calloc(1, sizeof *m);
    assert_non_null(m);
    return m;
}

/* Splits with an empty memo: the tokens, all misses, in tk. */
static size_t split_all(const uint8_t *t, size_t n, size_t avail, uint32_t base, as_swtok *tk)
{
    static as_stok_memo *m;
    if (!m)
        m = memo_new(); /* left for the process's end */
    uint32_t *ids = malloc((n + 1) * sizeof *ids);
    assert_non_null(ids);
    size_t nm = 0, nt = as_stok_split(t, n, avail, base, m, ids, tk, &nm);
    assert_int_equal(nm, nt);
    free(ids);
    return nt;
}

/* Splits s and checks the tokens are exactly want (NULL-terminated). */
static void check_tokens(const char *s, const char *const *want)
{
    size_t n = strlen(s), k = 0;
    as_swtok tk[64];
    size_t nt = split_all((const uint8_t *)s, n, n, 100, tk);
    for (; want[k]; k++) {
        assert_true(k < nt);
        assert_int_equal(tk[k].len, strlen(want[k]));
        assert_true(tk[k].off >= 100);
        assert_memory_equal(s + tk[k].off - 100, want[k], tk[k].len);
        assert_int_equal(tk[k].hash, ref_hash((const uint8_t *)want[k], tk[k].len));
        assert_true(tk[k].head == ref_head((const uint8_t *)want[k], tk[k].len));
        assert_int_equal(tk[k].at, k);
    }
    assert_int_equal(nt, k);
}

static void test_examples(void **state)
{
    (void)state;
    check_tokens("Hello, world", (const char *const[]){"Hello", ", ", "world", NULL});
    check_tokens("a b", (const char *const[]){"a", "b", NULL});
    check_tokens(" a", (const char *const[]){" ", "a", NULL});  /* no word before */
    check_tokens("a ", (const char *const[]){"a", " ", NULL});  /* none after */
    check_tokens("a  b", (const char *const[]){"a", "  ", "b", NULL});
    check_tokens("x\ty", (const char *const[]){"x", "\t", "y", NULL});
    check_tokens("caf\xc3\xa9 2022/23.", (const char *const[]){"caf\xc3\xa9", "2022", "/", "23",
                                                               ".", NULL});
    check_tokens(" ", (const char *const[]){" ", NULL});
    check_tokens("Z", (const char *const[]){"Z", NULL});
    /* a run across the 64-byte steps, a single space on a step's edge */
    char s[200];
    memset(s, 'q', 63);
    s[63] = ' ';
    memset(s + 64, 'r', 100);
    s[164] = '\0';
    as_swtok tk[8];
    size_t nt = split_all((const uint8_t *)s, 164, 164, 0, tk);
    assert_int_equal(nt, 2);
    assert_int_equal(tk[0].off, 0);
    assert_int_equal(tk[0].len, 63);
    assert_int_equal(tk[1].off, 64);
    assert_int_equal(tk[1].len, 100);
    assert_int_equal(split_all((const uint8_t *)"", 0, 0, 0, tk), 0);
    /* the hash of known bytes: fixed values (the table is keyed on them) */
    assert_int_equal(as_stok_hash((const uint8_t *)"the", 3), ref_hash((const uint8_t *)"the", 3));
    assert_int_equal(as_stok_hash((const uint8_t *)"", 0), ref_hash((const uint8_t *)"", 0));
}

/* Random texts over alphabets that make many short runs, split from
 * buffers holding exactly the text (ASan sees any read past it) and from
 * buffers with random bytes after it. */
static void test_random_against_rule(void **state)
{
    (void)state;
    static const char *alpha[] = {"a ", "ab ,.", "aZ09 \t-\xc3\xa9\x80\xff", " ", "a",
                                  "Tt  ,,'\n"};
    uint64_t s = 0x2545F4914F6CDD1Dull;
    as_swtok *got = malloc(700 * sizeof *got), *want = malloc(700 * sizeof *want);
    assert_non_null(got);
    assert_non_null(want);
    for (size_t a = 0; a < sizeof alpha / sizeof *alpha; a++) {
        size_t na = strlen(alpha[a]);
        for (size_t n = 0; n <= 300; n++) {
            for (int rep = 0; rep < 4; rep++) {
                size_t extra = rep < 2 ? 0 : (size_t)(next(&s) % 80);
                uint8_t *buf = malloc(n + extra + 1);
                assert_non_null(buf);
                for (size_t i = 0; i < n; i++)
                    buf[i] = (uint8_t)alpha[a][next(&s) % na];
                for (size_t i = 0; i < extra; i++)
                    buf[n + i] = (uint8_t)next(&s);
                uint32_t base = (uint32_t)(next(&s) % 5000);
                size_t ng = split_all(buf, n, n + extra, base, got);
                size_t nw = ref_split(buf, n, base, want);
                assert_int_equal(ng, nw);
                for (size_t k = 0; k < nw; k++) {
                    assert_int_equal(got[k].off, want[k].off);
                    assert_int_equal(got[k].len, want[k].len);
                    assert_int_equal(got[k].hash, want[k].hash);
                    assert_true(got[k].head == want[k].head);
                    assert_true(got[k].tail == want[k].tail);
                    assert_int_equal(got[k].at, want[k].at);
                }
                free(buf);
            }
        }
    }
    /* every byte value, in random texts of every alignment */
    uint8_t big[700];
    for (int rep = 0; rep < 2000; rep++) {
        size_t off = (size_t)(next(&s) % 64), n = (size_t)(next(&s) % (sizeof big - off));
        for (size_t i = 0; i < sizeof big; i++)
            big[i] = (uint8_t)next(&s);
        size_t ng = split_all(big + off, n, sizeof big - off, 7, got);
        size_t nw = ref_split(big + off, n, 7, want);
        assert_int_equal(ng, nw);
        assert_memory_equal(got, want, nw * sizeof *got);
    }
    free(got);
    free(want);
}

static void test_hash_every_length(void **state)
{
    (void)state;
    uint8_t buf[100];
    uint64_t s = 12345;
    for (size_t i = 0; i < sizeof buf; i++)
        buf[i] = (uint8_t)next(&s);
    for (size_t off = 0; off < 9; off++)
        for (size_t n = 0; n + off <= 90; n++) {
            assert_int_equal(as_stok_hash(buf + off, n), ref_hash(buf + off, n));
            assert_true(as_stok_head(buf + off, n) == ref_head(buf + off, n));
        }
}

/* A memo entry answers only for its own token: one that differs in its
 * length, its head or (from 8 bytes) its tail, on the same entry, as two
 * tokens of one hash would be, is a miss; the token itself is a hit with
 * its id. */
static void test_memo_exact(void **state)
{
    (void)state;
    static const char *texts[] = {"k", "word", "\x01\x01\x01", "eightchr", "ninechars",
                                  "twelvebytesx", "sixteenbytesabcd", "seventeenbytesxyz"};
    as_stok_memo *m = memo_new();
    for (size_t i = 0; i < sizeof texts / sizeof *texts; i++) {
        const uint8_t *t = (const uint8_t *)texts[i];
        size_t n = strlen(texts[i]), nm;
        uint32_t id = 0;
        as_swtok tk[4], x;
        memset(m, 0, sizeof *m);
        assert_int_equal(split_all(t, n, n, 0, tk), 1);
        for (int f = 0; f < 4 - (n < 8); f++) { /* under 8 bytes: no tail */
            x = tk[0];
            if (f == 0)
                x.len ^= 1;
            else if (f == 1)
                x.head ^= 1;
            else if (f == 2)
                x.head ^= 1ull << 63; /* a byte of a short head is masked in */
            else
                x.tail ^= 1ull << 60;
            memset(m, 0, sizeof *m);
            as_stok_memo_put(m, &x, 3);
            nm = 0;
            assert_int_equal(as_stok_split(t, n, n, 0, m, &id, tk + 1, &nm), 1);
            assert_int_equal(nm, 1);
        }
        memset(m, 0, sizeof *m);
        as_stok_memo_put(m, &tk[0], 42);
        nm = 0;
        id = 0;
        assert_int_equal(as_stok_split(t, n, n, 0, m, &id, tk + 1, &nm), 1);
        assert_int_equal(nm, n > AS_STOK_MEMO_LEN); /* longer ones are never kept */
        assert_int_equal(id, n > AS_STOK_MEMO_LEN ? 0 : 42);
    }
    free(m);
}

/* Random texts split with a memo filled as the store writer does (each
 * miss given an id: its place among the distinct tokens, by length, head
 * and tail, which tell apart those the memo takes): every token is a hit
 * with its own id or a miss, in order, the hits and the misses together
 * the rule's tokens. */
static void test_memo_random(void **state)
{
    (void)state;
    enum { N = 4000, MAXT = 4000 };
    static const char alpha[] = "ab, .\x01\xc3";
    uint64_t r = 99;
    uint8_t *buf = malloc(N + 64);
    as_swtok *want = malloc(MAXT * sizeof *want), *miss = malloc(MAXT * sizeof *miss),
             *dict = malloc(MAXT * sizeof *dict);
    uint32_t *ids = malloc(MAXT * sizeof *ids);
    as_stok_memo *m = memo_new();
    assert_true(buf && want && miss && dict && ids);
    size_t ndict = 0, hits = 0;
    for (int rep = 0; rep < 40; rep++) {
        size_t n = (size_t)(next(&r) % N);
        for (size_t i = 0; i < N + 64; i++)
            buf[i] = (uint8_t)alpha[next(&r) % (sizeof alpha - 1)];
        size_t nw = ref_split(buf, n, 0, want), nm = 0;
        for (size_t k = 0; k < nw; k++)
            ids[k] = UINT32_MAX;
        size_t nt = as_stok_split(buf, n, N + 64, 0, m, ids, miss, &nm);
        assert_int_equal(nt, nw);
        size_t mi = 0;
        for (size_t k = 0; k < nw; k++) {
            const uint8_t *tb = buf + want[k].off;
            if (mi < nm && miss[mi].at == k) {
                assert_int_equal(miss[mi].off, want[k].off);
                assert_int_equal(miss[mi].len, want[k].len);
                assert_int_equal(ids[k], UINT32_MAX);
                /* the id it gets: its place in dict, added when new */
                size_t d = 0;
                while (d < ndict &&
                       !(dict[d].len == want[k].len && dict[d].hash == want[k].hash &&
                         dict[d].head == want[k].head && dict[d].tail == want[k].tail))
                    d++;
                if (d == ndict) {
                    assert_true(ndict < MAXT);
                    dict[ndict++] = want[k];
                }
                as_stok_memo_put(m, &miss[mi], (uint32_t)d);
                mi++;
                continue;
            }
            /* a hit: its own id (the token dict holds at that place) */
            assert_true(ids[k] < ndict);
            hits++;
            const as_swtok *e = &dict[ids[k]];
            assert_int_equal(e->len, want[k].len);
            assert_true(e->head == ref_head(tb, want[k].len));
            assert_true(e->tail == ref_tail(tb, want[k].len));
        }
        assert_int_equal(mi, nm);
    }
    assert_true(hits > 1000);
    free(buf);
    free(want);
    free(miss);
    free(dict);
    free(ids);
    free(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_examples),
        cmocka_unit_test(test_random_against_rule),
        cmocka_unit_test(test_hash_every_length),
        cmocka_unit_test(test_memo_exact),
        cmocka_unit_test(test_memo_random),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
