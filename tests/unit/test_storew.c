/* test_storew.c: the store writer (storew.c) keeps apart tokens that share
 * their hash or their first 8 bytes.  Its vocab table compares a token of
 * up to 16 bytes by its length, its first 8 bytes and its last 8, a longer
 * one byte by byte after the hash matches: pairs of distinct tokens with
 * equal as_stok_hash (found offline, checked here) and pairs with the same
 * length and first 8 bytes are written in the ranked sample and after it,
 * in texts of every length around the block ends, and every text must
 * read back exactly. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "index.h"
#include "stok.h"
#include "testdir.h"

/* Same hash, same length: 6 bytes (one word), 11 bytes (the loop). */
static const char *const pairs[][2] = {
    {"xbjofe", "adzzcd"},
    {"hyyrca", "osdhcf"},
    {"xdvtqlsbyag", "yopqtyafpgv"},
};

/* Same length, same first 8 bytes and, but for the first, same hash
 * (found offline, checked below): 9, 12 and 16 bytes. */
static const char *const heads[][2] = {
    {"abcdefghi", "abcdefghj"},
    {"abcdefghnljx", "abcdefghofoh"},
    {"abcdefghswnrpfdk", "abcdefghjlyamivk"},
};

static void test_pairs_collide(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof pairs / sizeof *pairs; i++) {
        const uint8_t *a = (const uint8_t *)pairs[i][0], *b = (const uint8_t *)pairs[i][1];
        size_t n = strlen(pairs[i][0]);
        assert_int_equal(strlen(pairs[i][1]), n);
        assert_true(memcmp(a, b, n) != 0);
        assert_int_equal(as_stok_hash(a, n), as_stok_hash(b, n));
    }
    for (size_t i = 1; i < sizeof heads / sizeof *heads; i++) {
        const uint8_t *a = (const uint8_t *)heads[i][0], *b = (const uint8_t *)heads[i][1];
        size_t n = strlen(heads[i][0]);
        assert_int_equal(strlen(heads[i][1]), n);
        assert_true(memcmp(a, b, 8) == 0 && memcmp(a, b, n) != 0);
        assert_int_equal(as_stok_hash(a, n), as_stok_hash(b, n));
    }
}

/* Text of sentence i: the pairs (the second pair only from the middle on,
 * after the 1 MiB sample has ranked the vocab), a word of its own (the
 * vocab grows after the sample too) and a length that varies, so that
 * short tokens fall at every distance from a block's end. */
static void text_of(unsigned i, unsigned n, char *out, size_t cap)
{
    char own[8];
    unsigned v = i;
    for (int k = 0; k < 5; k++, v /= 26)
        own[k] = (char)('a' + v % 26);
    own[5] = '\0';
    int late = i >= n / 2;
    int at = snprintf(out, cap, "%s %s, %s %s %s", pairs[0][i & 1], pairs[0][!(i & 1)],
                      pairs[2][i % 3 == 0], own, late ? pairs[1][i & 1] : "x");
    at += snprintf(out + at, cap - (size_t)at, " %s %s", heads[i % 3][i & 1],
                   heads[(i + 1) % 3][!(i & 1)]);
    for (unsigned k = 0; k < i % 23 && at + 3 < (int)cap; k++)
        at += snprintf(out + at, cap - (size_t)at, " %s", k & 1 ? pairs[1][k % 2] : "ab");
    if (i % 7 == 0 && at + 2 < (int)cap)
        snprintf(out + at, cap - (size_t)at, ".");
}

static void test_colliding_tokens_read_back(void **state)
{
    (void)state;
    char dir[] = "/tmp/asstorew-XXXXXX";
    assert_non_null(mkdtemp(dir));
    as_writer *w = NULL;
    as_err err = {0};
    assert_int_equal(as_writer_open(dir, NULL, &w, &err), AS_OK);
    as_file_state fs = {"/c/a.tsv", "a.tsv", 1, 1, 1, 0, 0};
    assert_int_equal(as_writer_begin_file(w, &fs), AS_OK);
    /* ~1.5 MiB of text: more than the sample */
    const unsigned n = 20000;
    char text[400];
    as_token tk[1] = {{"t", 1, 0, 0, 0, 0, 0, 0}};
    for (unsigned i = 0; i < n; i++) {
        text_of(i, n, text, sizeof text);
        as_doc_in d = {NULL, text, "S", AS_KIND_FINDING, i + 1, 0, 0, NULL};
        assert_int_equal(as_writer_add(w, &d, tk, 1), AS_OK);
    }
    assert_int_equal(as_writer_end_file(w, NULL), AS_OK);
    assert_int_equal(as_writer_finish(w, &err), AS_OK);

    as_index *ix = NULL;
    assert_int_equal(as_index_open_gen(dir, &ix, &err), AS_OK);
    assert_int_equal(as_index_ndocs(ix), n);
    as_docbuf db = {0};
    as_docrec r;
    for (unsigned i = 0; i < n; i++) {
        text_of(i, n, text, sizeof text);
        assert_int_equal(as_index_doc(ix, i, &db, &r), AS_OK);
        assert_string_equal(r.text, text);
        assert_int_equal(r.line, i + 1);
    }
    assert_int_equal(as_index_verify(ix, &err), AS_OK);
    as_docbuf_free(&db);
    as_index_close(ix);
    rmtree(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pairs_collide),
        cmocka_unit_test(test_colliding_tokens_read_back),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
