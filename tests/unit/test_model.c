/* test_model.c: council names as both engines compare them (model.c):
 * as_council_normalize and as_council_normalize_to give the same bytes for
 * every byte value (the table of council_fold against the rule written
 * out here), and as_council_resolve over names normalized into one block
 * (as the engine keeps them) picks the exact match, the one containing
 * name, or says none / ambiguous. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "as.h"

static void test_normalize_examples(void **state)
{
    (void)state;
    static const char *const cases[][2] = {
        {"St. Helens", "st helens"},
        {"  Durham County Council  ", "durham county council"},
        {"Bath and North-East Somerset", "bath and north east somerset"},
        {"KINGSTON-UPON-HULL", "kingston upon hull"},
        {"Royal Borough of Windsor & Maidenhead (RBWM)", "royal borough of windsor maidenhead rbwm"},
        {"Council 42", "council 42"},
        {"...", ""},
        {"", ""},
        {"Caf\xc3\xa9 Council", "caf\xc3\xa9 council"}, /* UTF-8 bytes kept as they are */
        {"a\tb\nc", "a b c"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *n = as_council_normalize(cases[i][0], strlen(cases[i][0]));
        assert_non_null(n);
        assert_string_equal(n, cases[i][1]);
        free(n);
        char buf[128];
        memset(buf, 'X', sizeof buf);
        size_t len = as_council_normalize_to(cases[i][0], strlen(cases[i][0]), buf);
        assert_int_equal(len, strlen(cases[i][1]));
        assert_string_equal(buf, cases[i][1]);
    }
}

/* The rule, byte by byte, written without the table. */
static int kept(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           c >= 0x80;
}

static void test_normalize_every_byte(void **state)
{
    (void)state;
    for (int c = 1; c < 256; c++) {
        /* "x" c "y": one byte between two letters */
        char in[3] = {'x', (char)c, 'y'}, out[4];
        size_t n = as_council_normalize_to(in, 3, out);
        if (!kept((unsigned char)c)) {
            assert_int_equal(n, 3);
            assert_memory_equal(out, "x y", 4);
        } else {
            unsigned char want = (unsigned char)(c >= 'A' && c <= 'Z' ? c + 32 : c);
            assert_int_equal(n, 3);
            assert_int_equal((unsigned char)out[1], want);
            assert_int_equal(out[0], 'x');
            assert_int_equal(out[2], 'y');
            assert_int_equal(out[3], 0);
        }
    }
    /* a NUL byte inside the length is a separator too */
    char out[8];
    assert_int_equal(as_council_normalize_to("a\0b", 3, out), 3);
    assert_string_equal(out, "a b");
}

static const char *const names[] = {"Durham County Council", "County Durham Trust",
                                    "St. Helens", "St Albans", "Hull"};
#define NNAMES (sizeof names / sizeof names[0])

static const char *name_of(void *ctx, uint32_t c)
{
    (void)ctx;
    return c < NNAMES ? names[c] : NULL;
}

static void test_resolve_from_block(void **state)
{
    (void)state;
    /* one block of all names, as the engine's norm_councils keeps them */
    char block[256], *norm[NNAMES], *o = block;
    for (uint32_t c = 0; c < NNAMES; c++) {
        norm[c] = o;
        o += as_council_normalize_to(names[c], strlen(names[c]), o) + 1;
    }
    as_err err = {0};
    uint32_t id = 99;
    assert_int_equal(as_council_resolve(norm, NNAMES, name_of, NULL, "st-helens", &id, &err), AS_OK);
    assert_int_equal(id, 2);
    assert_int_equal(as_council_resolve(norm, NNAMES, name_of, NULL, "HULL", &id, &err), AS_OK);
    assert_int_equal(id, 4);
    assert_int_equal(as_council_resolve(norm, NNAMES, name_of, NULL, "durham county", &id, &err),
                     AS_OK);
    assert_int_equal(id, 0);
    /* "durham" is in two names, "st" in two: ambiguous, both listed */
    assert_int_equal(as_council_resolve(norm, NNAMES, name_of, NULL, "durham", &id, &err),
                     AS_EINVAL);
    assert_non_null(strstr(err.msg, "Durham County Council"));
    assert_non_null(strstr(err.msg, "County Durham Trust"));
    assert_int_equal(as_council_resolve(norm, NNAMES, name_of, NULL, "st", &id, &err), AS_EINVAL);
    assert_int_equal(as_council_resolve(norm, NNAMES, name_of, NULL, "york", &id, &err),
                     AS_ENOTFOUND);
    assert_string_equal(err.msg, "no council matches 'york'");
    assert_int_equal(as_council_resolve(norm, NNAMES, name_of, NULL, " - ", &id, &err), AS_EINVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_normalize_examples),
        cmocka_unit_test(test_normalize_every_byte),
        cmocka_unit_test(test_resolve_from_block),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
