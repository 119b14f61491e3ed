/*
 * test_filters.c — the engine's filters as docid ranges (engine.c
 * build_ranges) from the index's unit lists per council, statement and
 * score (index.c: as_index_council_units, as_index_statement_units,
 * as_index_score_units): every filter of one field or two, with one value
 * or several (merged lists; more than eight values: the scan), the
 * listed field alone or with others tested per unit, gives
 * exactly the docs a test of every doc's unit gives; council names
 * resolved once are remembered per engine without leaking into the next
 * filter, and failures are not remembered.
 *
 * The index: ten files, one per council, of 40 docs each whose statement
 * and score change every few docs (so each file has several units, and a
 * value's units are not adjacent); every doc holds the term "care".
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analyze.h"
#include "engine.h"
#include "index.h"
#include "query.h"
#include "testdir.h"

#define NFILES 10
#define NDOCS 40

static const char *const councils[NFILES] = {
    "Alpha Council", "Bravo Council", "Charlie Council", "Delta Council", "Echo Council",
    "Foxtrot Council", "Golf Council", "Hotel Council", "India Council", "Juliet Council"};

/* Statement and score of doc d of a file. */
static int statement_of(size_t f, size_t d) { return (int)((d / 3 + f) % 9) + 1; }
static int score_of(size_t f, size_t d) { return (int)((d / 5 + 2 * f) % 4) + 1; }

typedef struct fixture {
    char *dir;
    as_index *ix;
    as_engine *eng;
    as_analyzer *an;
} fixture;

static int setup(void **state)
{
    fixture *fx = calloc(1, sizeof *fx);
    assert_non_null(fx);
    char t[] = "/tmp/astest-XXXXXX";
    assert_non_null(mkdtemp(t));
    fx->dir = strdup(t);
    as_writer *w = NULL;
    as_err err = {0};
    assert_int_equal(as_writer_open(fx->dir, NULL, &w, &err), AS_OK);
    as_token tok[] = {{"care", 4, 0, 0, 0, 0, 0, 0}};
    for (size_t f = 0; f < NFILES; f++) {
        char path[64];
        snprintf(path, sizeof path, "/c/%02zu.txt", f);
        as_file_state fs = {path, path + 3, 1, 1, 1, 0, 0};
        assert_int_equal(as_writer_begin_file(w, &fs), AS_OK);
        for (size_t d = 0; d < NDOCS; d++) {
            as_meta m = {(char *)councils[f], statement_of(f, d), score_of(f, d), 20240101, 0};
            char text[64];
            snprintf(text, sizeof text, "Care %zu %zu.", f, d); /* no duplicates */
            as_doc_in in = {&m, text, NULL, AS_KIND_FINDING, (uint32_t)d + 1, (uint32_t)d, 0,
                            NULL};
            assert_int_equal(as_writer_add(w, &in, tok, 1), AS_OK);
        }
        assert_int_equal(as_writer_end_file(w, NULL), AS_OK);
    }
    assert_int_equal(as_writer_finish(w, &err), AS_OK);
    assert_int_equal(as_index_open_gen(fx->dir, &fx->ix, &err), AS_OK);
    assert_int_equal(as_engine_new(fx->ix, &fx->eng), AS_OK);
    assert_int_equal(as_analyzer_new(&fx->an), AS_OK);
    *state = fx;
    return 0;
}

static int teardown(void **state)
{
    fixture *fx = *state;
    as_analyzer_free(fx->an);
    as_engine_free(fx->eng);
    as_index_close(fx->ix);
    rmtree(fx->dir);
    free(fx->dir);
    free(fx);
    return 0;
}

typedef struct seen {
    uint8_t hit[NFILES * NDOCS];
    uint32_t n, last;
    int ordered;
} seen;

static int mark(void *arg, uint32_t doc, double weight)
{
    (void)weight;
    seen *s = arg;
    assert_true(doc < NFILES * NDOCS);
    if (s->n > 0 && doc <= s->last)
        s->ordered = 0;
    s->hit[doc] = 1;
    s->last = doc;
    s->n++;
    return 0;
}

/* "care" with the filters fields[i]:values[i]; the docs matched must be
 * exactly those whose file is in fmask (bit per file), statement in smask
 * and score in cmask (bit per value; 0: any). */
static void check(fixture *fx, const char *const *fields, const char *const *values, size_t n,
                  unsigned fmask, unsigned smask, unsigned cmask)
{
    as_query *q = NULL;
    as_err err = {0};
    as_query_opts qo = {0};
    assert_int_equal(as_query_parse("care", 4, fx->an, NULL, &qo, &q, &err), AS_OK);
    for (size_t i = 0; i < n; i++)
        assert_int_equal(as_query_add_filter(q, fields[i], values[i], &err), AS_OK);
    seen s;
    memset(&s, 0, sizeof s);
    s.ordered = 1;
    assert_int_equal(as_engine_bind(fx->eng, q), AS_OK);
    assert_int_equal(as_engine_each(fx->eng, q, NULL, mark, &s), AS_OK);
    uint32_t want = 0;
    for (size_t f = 0; f < NFILES; f++)
        for (size_t d = 0; d < NDOCS; d++) {
            int in = (fmask >> f & 1) && (!smask || (smask >> statement_of(f, d) & 1)) &&
                     (!cmask || (cmask >> score_of(f, d) & 1));
            if (s.hit[f * NDOCS + d] != in)
                fail_msg("doc %zu of file %zu: %s, want %s", d, f,
                         s.hit[f * NDOCS + d] ? "matched" : "not matched", in ? "in" : "out");
            want += (uint32_t)in;
        }
    assert_int_equal(s.n, want);
    assert_true(s.ordered);
    as_query_free(q);
}

#define ALL ((1u << NFILES) - 1)

static void test_one_field(void **state)
{
    fixture *fx = *state;
    check(fx, (const char *[]){"council"}, (const char *[]){"charlie"}, 1, 1u << 2, 0, 0);
    check(fx, (const char *[]){"statement"}, (const char *[]){"4"}, 1, ALL, 1u << 4, 0);
    check(fx, (const char *[]){"score"}, (const char *[]){"3"}, 1, ALL, 0, 1u << 3);
    check(fx, (const char *[]){"score"}, (const char *[]){"<=2"}, 1, ALL, 0, 6);
    check(fx, (const char *[]){"score"}, (const char *[]){"2..4"}, 1, ALL, 0, 28);
}

static void test_several_values(void **state)
{
    fixture *fx = *state;
    /* two councils, given out of order: the lists are merged */
    check(fx, (const char *[]){"council", "council"}, (const char *[]){"india", "bravo"}, 2,
          (1u << 8) | (1u << 1), 0, 0);
    check(fx, (const char *[]){"statement", "statement", "statement"},
          (const char *[]){"9", "1", "5"}, 3, ALL, (1u << 9) | (1u << 1) | (1u << 5), 0);
    /* eight councils: still merged; nine: every unit scanned */
    const char *f9[9] = {"council", "council", "council", "council", "council",
                         "council", "council", "council", "council"};
    const char *v9[9] = {"juliet", "alpha", "hotel", "bravo", "golf",
                         "charlie", "foxtrot", "delta", "echo"};
    check(fx, f9, v9, 8, ALL & ~(1u << 8) & ~(1u << 4), 0, 0);
    check(fx, f9, v9, 9, ALL & ~(1u << 8), 0, 0);
}

static void test_two_fields(void **state)
{
    fixture *fx = *state;
    check(fx, (const char *[]){"council", "score"}, (const char *[]){"echo", "<=3"}, 2, 1u << 4,
          0, 14);
    check(fx, (const char *[]){"statement", "score"}, (const char *[]){"2", "4"}, 2, ALL,
          1u << 2, 1u << 4);
    check(fx, (const char *[]){"council", "council", "statement"},
          (const char *[]){"delta", "golf", "7"}, 3, (1u << 3) | (1u << 6), 1u << 7, 0);
    /* two statements' lists merged, each unit also tested for its score */
    check(fx, (const char *[]){"score", "statement", "statement"},
          (const char *[]){"2..3", "8", "3"}, 3, ALL, (1u << 8) | (1u << 3), 12);
    /* three scores' lists merged, each unit also tested for its theme
     * (theme 3: statements 6 and 7) */
    check(fx, (const char *[]){"score", "theme"}, (const char *[]){">=2", "3"}, 2, ALL,
          (1u << 6) | (1u << 7), 28);
}

/* A name resolved before is remembered, but each filter starts afresh;
 * a failed name is not remembered and fails again. */
static void test_names_remembered(void **state)
{
    fixture *fx = *state;
    for (int round = 0; round < 3; round++) {
        check(fx, (const char *[]){"council"}, (const char *[]){"alpha"}, 1, 1u << 0, 0, 0);
        check(fx, (const char *[]){"council"}, (const char *[]){"Golf Council"}, 1, 1u << 6, 0,
              0);
        as_query *q = NULL;
        as_err err = {0};
        as_query_opts qo = {0};
        assert_int_equal(as_query_parse("care", 4, fx->an, NULL, &qo, &q, &err), AS_OK);
        assert_int_equal(as_query_add_filter(q, "council", "council", &err), AS_OK);
        assert_int_equal(as_engine_bind(fx->eng, q), AS_EINVAL);
        assert_non_null(strstr(as_engine_errmsg(fx->eng), "ambiguous"));
        as_query_free(q);
        q = NULL;
        assert_int_equal(as_query_parse("care", 4, fx->an, NULL, &qo, &q, &err), AS_OK);
        assert_int_equal(as_query_add_filter(q, "council", "zulu", &err), AS_OK);
        assert_int_equal(as_engine_bind(fx->eng, q), AS_ENOTFOUND);
        as_query_free(q);
    }
    /* more names than are remembered, twice over: still each its own */
    const char *names[NFILES] = {"alpha", "bravo", "charlie", "delta", "echo",
                                 "foxtrot", "golf", "hotel", "india", "juliet"};
    for (int round = 0; round < 2; round++)
        for (size_t f = 0; f < NFILES; f++)
            check(fx, (const char *[]){"council"}, &names[f], 1, 1u << f, 0, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_one_field),
        cmocka_unit_test(test_several_values),
        cmocka_unit_test(test_two_fields),
        cmocka_unit_test(test_names_remembered),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
