/*
 * test_limits.c — the limits that protect the machine, checked end to end
 * through the public APIs (the Hardening issue): the prefix* expansion cap
 * at its default against a lexicon bigger than it, the sentence cap
 * (AS_SENTENCE_MAX) for prose and for .tsv rows as the reader returns them,
 * and JSON string output that stays valid for every byte.  The module
 * tests cover the query length, nesting and leaf limits and the reader's
 * 256 MiB file cap; these are the cases they leave out.
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
#include "query.h"
#include "reader.h"
#include "segment.h"

/* ---- prefix* at the default cap ----------------------------------------- */

/* A lexicon of n terms p0000, p0001, ... in byte order. */
typedef struct biglex {
    size_t n;
} biglex;

static int big_each_prefix(void *ctx, const char *prefix, size_t plen,
                           int (*fn)(void *arg, const char *term, size_t len), void *arg)
{
    const biglex *b = ctx;
    for (size_t i = 0; i < b->n; i++) {
        char t[16];
        int tl = snprintf(t, sizeof t, "p%04zu", i);
        if ((size_t)tl >= plen && memcmp(t, prefix, plen) == 0) {
            int r = fn(arg, t, (size_t)tl);
            if (r)
                return r;
        }
    }
    return 0;
}

static void count_leaves(const as_qnode *n, size_t *leaves, const char **first,
                         const char **last)
{
    if (n->op == AS_Q_TERM) {
        if (!*first)
            *first = n->term;
        *last = n->term;
        (*leaves)++;
        return;
    }
    for (size_t i = 0; i < n->nkids; i++)
        count_leaves(n->kids[i], leaves, first, last);
}

static void expand(size_t lexsize, size_t *leaves, int *truncated, char first[16], char last[16])
{
    as_analyzer *an = NULL;
    assert_int_equal(as_analyzer_new(&an), AS_OK);
    biglex b = {lexsize};
    as_lexicon lex = {&b, big_each_prefix, NULL};
    as_query *q = NULL;
    as_err err = {0};
    assert_int_equal(as_query_parse("p*", 2, an, &lex, NULL, &q, &err), AS_OK);
    const char *f = NULL, *l = NULL;
    *leaves = 0;
    count_leaves(q->root, leaves, &f, &l);
    *truncated = q->truncated_prefix;
    snprintf(first, 16, "%s", f ? f : "");
    snprintf(last, 16, "%s", l ? l : "");
    as_query_free(q);
    as_analyzer_free(an);
}

static void test_prefix_default_cap(void **state)
{
    (void)state;
    size_t leaves;
    int truncated;
    char first[16], last[16];
    /* 1500 matching terms: the first 1000 in byte order, flagged */
    expand(1500, &leaves, &truncated, first, last);
    assert_int_equal(leaves, 1000);
    assert_int_equal(truncated, 1);
    assert_string_equal(first, "p0000");
    assert_string_equal(last, "p0999");
    /* exactly 1000: all of them, not truncated */
    expand(1000, &leaves, &truncated, first, last);
    assert_int_equal(leaves, 1000);
    assert_int_equal(truncated, 0);
    assert_string_equal(last, "p0999");
    /* 1001: one too many */
    expand(1001, &leaves, &truncated, first, last);
    assert_int_equal(leaves, 1000);
    assert_int_equal(truncated, 1);
}

/* ---- AS_SENTENCE_MAX through the reader ---------------------------------- */

/* Parses buf as path; every sentence must be 1..AS_SENTENCE_MAX bytes;
 * returns the number of sentences and the sum of their lengths. */
static size_t parse_sizes(const char *path, const char *buf, size_t len, size_t *total,
                          size_t *longest)
{
    as_page *p = NULL;
    as_err err = {0};
    int rc = as_page_parse(path, buf, len, NULL, NULL, NULL, &p, &err);
    if (rc != AS_OK)
        fail_msg("%s: %s", path, err.msg);
    *total = 0;
    *longest = 0;
    for (size_t i = 0; i < p->nsents; i++) {
        size_t n = strlen(p->sents[i].text);
        assert_true(n >= 1 && n <= AS_SENTENCE_MAX);
        *total += n;
        if (n > *longest)
            *longest = n;
    }
    size_t ns = p->nsents;
    as_page_free(p);
    return ns;
}

static void test_sentence_cap_prose(void **state)
{
    (void)state;
    /* A statement page whose one paragraph is 30000 bytes of words and no
     * full stop: cut at word boundaries into pieces of at most 8192. */
    const char *head = "Kent County Council assessment\n\nAssessing needs\n\n"
                       "Key findings for this quality statement\n\n";
    size_t hl = strlen(head), words = 5000; /* "word " x 5000 = 25000 bytes + "final" */
    size_t len = hl + words * 5 + 5;
    char *buf = malloc(len + 1);
    assert_non_null(buf);
    memcpy(buf, head, hl);
    for (size_t i = 0; i < words; i++)
        memcpy(buf + hl + 5 * i, "word ", 5);
    memcpy(buf + hl + 5 * words, "final", 5);
    buf[len] = '\0';
    size_t total, longest;
    size_t n = parse_sizes("kent/needs.txt", buf, len, &total, &longest);
    /* The headings are not sentences; the paragraph's 25005 bytes come out
     * as 4 pieces, each cut after the last word that fits in 8192 bytes
     * (the space before it at byte 8189 of the piece is dropped). */
    assert_int_equal(n, 4);
    assert_int_equal(longest, 8189);
    assert_int_equal(total, 25005 - 3);
    free(buf);
}

static void test_sentence_cap_tsv(void **state)
{
    (void)state;
    /* One .tsv row of 20000 bytes without white space: cut at UTF-8
     * character boundaries (the row is 'é' x 10000), never inside one. */
    const char *head = "council\ttext\nKent County Council\t";
    size_t hl = strlen(head), chars = 10000, len = hl + 2 * chars + 1;
    char *buf = malloc(len + 1);
    assert_non_null(buf);
    memcpy(buf, head, hl);
    for (size_t i = 0; i < chars; i++)
        memcpy(buf + hl + 2 * i, "\xc3\xa9", 2);
    buf[len - 1] = '\n';
    buf[len] = '\0';
    as_page *p = NULL;
    as_err err = {0};
    assert_int_equal(as_page_parse("rows.tsv", buf, len, NULL, NULL, NULL, &p, &err), AS_OK);
    assert_int_equal(p->nsents, 3); /* 8192 + 8192 + 3616 bytes */
    size_t total = 0;
    for (size_t i = 0; i < p->nsents; i++) {
        size_t n = strlen(p->sents[i].text);
        assert_true(n <= AS_SENTENCE_MAX);
        assert_int_equal(n % 2, 0); /* whole characters only */
        assert_int_equal(p->sents[i].line, 2);
        total += n;
    }
    assert_int_equal(total, 2 * chars);
    as_page_free(p);
    free(buf);
}

/* ---- JSON strings ------------------------------------------------------- */

static char *json_of(const char *s, size_t n, int *replaced)
{
    char *out = NULL;
    size_t ol = 0;
    FILE *f = open_memstream(&out, &ol);
    assert_non_null(f);
    *replaced = as_json_string(f, s, n);
    fclose(f);
    return out;
}

static void test_json_every_byte(void **state)
{
    (void)state;
    static const struct {
        const char *in;
        size_t n;
        const char *out;
        int replaced;
    } cases[] = {
        {"\x1b[31mred", 8, "\"\\u001b[31mred\"", 0},
        {"a\0b", 3, "\"a\\u0000b\"", 0},
        {"\x7f", 1, "\"\\u007f\"", 0},
        {"\"\\/", 3, "\"\\\"\\\\/\"", 0},
        {"\t\n\r\b\f", 5, "\"\\t\\n\\r\\b\\f\"", 0},
        {"\x9b" "31m", 4, "\"\\ufffd31m\"", 1},          /* lone C1 byte */
        {"\xc2\x9b", 2, "\"\xc2\x9b\"", 0},              /* U+009B: valid JSON as is */
        {"\xed\xa0\x80", 3, "\"\\ufffd\\ufffd\\ufffd\"", 1}, /* a surrogate */
        {"\xf4\x90\x80\x80", 4, "\"\\ufffd\\ufffd\\ufffd\\ufffd\"", 1}, /* > U+10FFFF */
        {"\xe2\x80", 2, "\"\\ufffd\"", 1},               /* truncated: one U+FFFD */
        {"caf\xc3\xa9", 5, "\"caf\xc3\xa9\"", 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        int rep;
        char *out = json_of(cases[i].in, cases[i].n, &rep);
        assert_string_equal(out, cases[i].out);
        assert_int_equal(rep, cases[i].replaced);
        free(out);
    }
    /* Every single byte: a quoted string of 3..8 bytes, no raw control. */
    for (int c = 0; c < 256; c++) {
        char b = (char)c;
        int rep;
        char *out = json_of(&b, 1, &rep);
        size_t ol = strlen(out);
        assert_true(ol >= 3 && ol <= 8);
        assert_true(out[0] == '"' && out[ol - 1] == '"');
        for (size_t k = 0; k < ol; k++)
            assert_true((unsigned char)out[k] >= 0x20 && out[k] != 0x7f);
        assert_int_equal(rep, c >= 0x80);
        free(out);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_prefix_default_cap),
        cmocka_unit_test(test_sentence_cap_prose),
        cmocka_unit_test(test_sentence_cap_tsv),
        cmocka_unit_test(test_json_every_byte),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
