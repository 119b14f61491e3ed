/*
 * test_segment.c — the sentence splitter and UTF-8 step (segment.c),
 * table-driven: each paragraph with the exact sentences and lines a reader
 * would expect.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "segment.h"

#define MAXS 16

struct got {
    int n;
    char text[MAXS][512];
    uint32_t line[MAXS];
    int cut[MAXS];
};

/* The splitter reports ranges; the test cleans them as the reader does. */
struct ctx {
    const char *base;
    struct got g;
};

static int collect_text(void *vctx, const as_segment *seg)
{
    struct ctx *c = vctx;
    if (c->g.n >= MAXS || seg->len >= 512)
        return 1;
    as_segment_clean(c->base + seg->off, seg->len, c->g.text[c->g.n]);
    c->g.line[c->g.n] = seg->line;
    c->g.cut[c->g.n] = seg->cut;
    c->g.n++;
    return 0;
}

struct case_ {
    const char *in;
    const char *out[8]; /* expected sentences, NULL-terminated */
};

static const struct case_ cases[] = {
    {"There was a real focus on staff development and learning. Frontline staff all confirmed it.",
     {"There was a real focus on staff development and learning.", "Frontline staff all confirmed it."}},
    /* abbreviations */
    {"Services, e.g. Day centres, were used. Then more.",
     {"Services, e.g. Day centres, were used.", "Then more."}},
    {"Some, i.e. Most of them, agreed.", {"Some, i.e. Most of them, agreed."}},
    {"Staff, carers etc. The list was long.", {"Staff, carers etc. The list was long."}},
    {"Dr. Patel and Mrs. Khan met Ms. Lee, Mr. Smith and St. John vs. Prof. Brown.",
     {"Dr. Patel and Mrs. Khan met Ms. Lee, Mr. Smith and St. John vs. Prof. Brown."}},
    {"It took approx. 12 weeks. That was long.", {"It took approx. 12 weeks.", "That was long."}},
    /* No. before a number only */
    {"See No. 5 in the plan. The answer was no. The end.",
     {"See No. 5 in the plan.", "The answer was no.", "The end."}},
    /* initials and dotted abbreviations */
    {"J. R. Hartley chaired. The U.K. Government agreed. It was 5 p.m. Then it ended.",
     {"J. R. Hartley chaired.", "The U.K. Government agreed.", "It was 5 p.m. Then it ended."}},
    /* decimals and sentences starting with digits */
    {"Rates rose to 68.42% in 2023. 70.1% said so.", {"Rates rose to 68.42% in 2023.", "70.1% said so."}},
    /* ! ? and runs */
    {"Really? Yes! Quite so?! Fine... Done.", {"Really?", "Yes!", "Quite so?!", "Fine...", "Done."}},
    /* closing quotes and brackets end the sentence with it */
    {"They said \xe2\x80\x9cit works.\xe2\x80\x9d Then they left.",
     {"They said \xe2\x80\x9cit works.\xe2\x80\x9d", "Then they left."}},
    {"It was agreed (in 2023.) The plan followed.", {"It was agreed (in 2023.)", "The plan followed."}},
    {"He said \"yes.\" \"No,\" she said.", {"He said \"yes.\"", "\"No,\" she said."}},
    /* opening curly quote, £ and accented capitals start a sentence */
    {"Costs rose. \xe2\x80\x9cToo much,\xe2\x80\x9d they said. \xc2\xa3" "5m was spent. \xc3\x89tienne agreed.",
     {"Costs rose.", "\xe2\x80\x9cToo much,\xe2\x80\x9d they said.", "\xc2\xa3" "5m was spent.", "\xc3\x89tienne agreed."}},
    /* lower case after a full stop does not start a sentence */
    {"The figure was 5. it continued. and so on.", {"The figure was 5. it continued. and so on."}},
    /* no white space after the point: not a boundary */
    {"See www.cqc.org.uk.Then nothing.", {"See www.cqc.org.uk.Then nothing."}},
    /* white space trimmed, internal line breaks collapsed */
    {"  \n  Leading space.\n\n  Trailing too.  \n", {"Leading space.", "Trailing too."}},
    {"One\nwrapped\n  sentence. Two.", {"One wrapped sentence.", "Two."}},
    {"No final punctuation", {"No final punctuation"}},
    {"", {NULL}},
    {"   \n\t  ", {NULL}},
};

static void table(void **state)
{
    (void)state;
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        struct ctx c = {cases[k].in, {0}};
        assert_int_equal(as_segment_split(cases[k].in, strlen(cases[k].in), 1, collect_text, &c), 0);
        int n = 0;
        while (n < 8 && cases[k].out[n])
            n++;
        if (c.g.n != n)
            fail_msg("case %zu (%s): %d sentences, expected %d", k, cases[k].in, c.g.n, n);
        for (int i = 0; i < n; i++) {
            assert_string_equal(c.g.text[i], cases[k].out[i]);
            assert_int_equal(c.g.cut[i], 0);
        }
    }
}

/* Each sentence carries the line of its first character. */
static void lines(void **state)
{
    (void)state;
    const char *in = "First starts on\nline 10. Second\nstarts on line 11.\n\n\nThird on 15.";
    struct ctx c = {in, {0}};
    assert_int_equal(as_segment_split(in, strlen(in), 10, collect_text, &c), 0);
    assert_int_equal(c.g.n, 3);
    assert_string_equal(c.g.text[0], "First starts on line 10.");
    assert_int_equal(c.g.line[0], 10);
    assert_string_equal(c.g.text[1], "Second starts on line 11.");
    assert_int_equal(c.g.line[1], 11);
    assert_string_equal(c.g.text[2], "Third on 15.");
    assert_int_equal(c.g.line[2], 15);
}

/* The callback's non-zero return stops the split and is returned. */
static int stop_at_two(void *ctx, const as_segment *g)
{
    (void)g;
    return ++*(int *)ctx == 2 ? 42 : 0;
}

static void callback_stops(void **state)
{
    (void)state;
    int n = 0;
    const char *in = "One. Two. Three.";
    assert_int_equal(as_segment_split(in, strlen(in), 1, stop_at_two, &n), 42);
    assert_int_equal(n, 2);
}

/* as_segment_bound never splits at sentence ends. */
static void bound_only(void **state)
{
    (void)state;
    const char *in = "One. Two. Three.";
    struct ctx c = {in, {0}};
    assert_int_equal(as_segment_bound(in, strlen(in), 7, collect_text, &c), 0);
    assert_int_equal(c.g.n, 1);
    assert_string_equal(c.g.text[0], "One. Two. Three.");
    assert_int_equal(c.g.line[0], 7);
}

struct pieces {
    const char *base;
    size_t n, total, maxlen, cuts;
    size_t off[8], len[8];
};

static int count_piece(void *ctx, const as_segment *g)
{
    struct pieces *p = ctx;
    if (p->n < 8) {
        p->off[p->n] = g->off;
        p->len[p->n] = g->len;
    }
    p->n++;
    p->total += g->len;
    p->cuts += (size_t)g->cut;
    if (g->len > p->maxlen)
        p->maxlen = g->len;
    return 0;
}

/* Over-long sentences: cut at the last space in the second half of the
 * window; without spaces, at a character boundary. */
static void long_sentences(void **state)
{
    (void)state;
    /* 20000 bytes of "abcdefghi " (no full stops). */
    size_t n = 20000;
    char *b = malloc(n + 1);
    for (size_t i = 0; i < n; i++)
        b[i] = "abcdefghi "[i % 10];
    b[n] = '\0';
    struct pieces p;
    memset(&p, 0, sizeof p);
    assert_int_equal(as_segment_split(b, n, 1, count_piece, &p), 0);
    assert_int_equal(p.n, 3);
    assert_int_equal(p.cuts, 2);
    /* The window is [0, 8192); the last space before 8192 is at 8189. */
    assert_int_equal(p.off[0], 0);
    assert_int_equal(p.len[0], 8189);
    assert_int_equal(p.off[1], 8190);
    assert_int_equal(p.len[1], 8189);
    assert_int_equal(p.off[2], 16380);
    assert_int_equal(p.len[2], 3619); /* up to the final trimmed space */
    /* Multi-byte characters, no spaces: "é" x 10000 (20000 bytes). */
    for (size_t i = 0; i < n; i += 2) {
        b[i] = (char)0xC3;
        b[i + 1] = (char)0xA9;
    }
    memset(&p, 0, sizeof p);
    assert_int_equal(as_segment_split(b, n, 1, count_piece, &p), 0);
    assert_int_equal(p.n, 3);
    assert_int_equal(p.len[0], 8192);
    assert_int_equal(p.len[1], 8192);
    assert_int_equal(p.total, n);
    /* Odd alignment: one ASCII byte first, so 8192 falls inside a character. */
    b[0] = 'x';
    memmove(b + 1, b + 2, n - 2); /* "x" + é... (19999 bytes) */
    memset(&p, 0, sizeof p);
    assert_int_equal(as_segment_split(b, n - 1, 1, count_piece, &p), 0);
    assert_int_equal(p.len[0], 8191);
    assert_int_equal(p.total, n - 1);
    /* Garbage continuation bytes must not stall the cut. */
    memset(b, 0x80, n);
    memset(&p, 0, sizeof p);
    assert_int_equal(as_segment_split(b, n, 1, count_piece, &p), 0);
    assert_int_equal(p.total, n);
    assert_true(p.maxlen <= AS_SENTENCE_MAX);
    /* A sentence end just past the limit: the piece is still cut. */
    for (size_t i = 0; i < n; i++)
        b[i] = "abcdefghi "[i % 10];
    b[8195] = '.';
    b[8196] = ' ';
    b[8197] = 'T';
    memset(&p, 0, sizeof p);
    assert_int_equal(as_segment_split(b, n, 1, count_piece, &p), 0);
    assert_true(p.maxlen <= AS_SENTENCE_MAX);
    assert_int_equal(p.cuts, 2);
    free(b);
}

static void utf8_next(void **state)
{
    (void)state;
    static const struct {
        const char *s;
        size_t n, len;
        int valid;
    } t[] = {
        {"a", 1, 1, 1},
        {"\xc2\xa3", 2, 2, 1},
        {"\xe2\x80\x99", 3, 3, 1},
        {"\xf0\x9f\x98\x80", 4, 4, 1},
        {"\xc0\xaf", 2, 1, 0},          /* overlong */
        {"\xe0\x80\xaf", 3, 1, 0},      /* overlong */
        {"\xed\xa0\x80", 3, 1, 0},      /* surrogate */
        {"\xf4\x90\x80\x80", 4, 1, 0},  /* past U+10FFFF */
        {"\xe2\x80", 2, 2, 0},          /* truncated: one maximal subpart */
        {"\xe2\x80x", 3, 2, 0},
        {"\xf0\x9f\x98", 3, 3, 0},
        {"\x80", 1, 1, 0},
        {"\xff", 1, 1, 0},
    };
    for (size_t k = 0; k < sizeof t / sizeof t[0]; k++) {
        int valid = -1;
        assert_int_equal(as_utf8_next(t[k].s, t[k].n, &valid), t[k].len);
        assert_int_equal(valid, t[k].valid);
    }
    int v;
    assert_int_equal(as_utf8_next("", 0, &v), 0);
}

static void clean(void **state)
{
    (void)state;
    char out[64];
    assert_int_equal(as_segment_clean("a\n  b\t c\r\nd", 11, out), 8);
    assert_string_equal(out, "a b\t c d");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(table),
        cmocka_unit_test(lines),
        cmocka_unit_test(callback_stops),
        cmocka_unit_test(bound_only),
        cmocka_unit_test(long_sentences),
        cmocka_unit_test(utf8_next),
        cmocka_unit_test(clean),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
