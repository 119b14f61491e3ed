/*
 * test_analyze.c — the analyzer, table-driven from words of the real
 * reports.  Each case renders the tokens as "term@pos:start-end:flags"
 * (flags as the AS_TOK_* sum) and compares the whole string, so positions,
 * byte spans and flags are all checked exactly.
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
#include "termhash.h"

#include <libstemmer.h>

/* Renders tokens; returns a malloc'd string. */
static char *render(const as_token *t, size_t n)
{
    size_t cap = 64 + n * (AS_TERM_MAX + 48), len = 0;
    char *s = malloc(cap);
    assert_non_null(s);
    s[0] = '\0';
    for (size_t i = 0; i < n; i++)
        len += (size_t)snprintf(s + len, cap - len, "%s%.*s@%u:%u-%u:%u", i ? " " : "",
                                (int)t[i].len, t[i].term, t[i].pos, t[i].start,
                                t[i].end, t[i].flags);
    return s;
}

/* Every token carries its term's as_term_hash and head (the indexer
 * groups postings by them without hashing again: as_wpost_add_an),
 * whether the term came from the stem cache, the stemmer or neither. */
static void check_hashes(const as_token *t, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        uint64_t head;
        uint32_t h = as_term_hash(t[i].term, t[i].len, &head);
        if (t[i].hash != h || t[i].head != head)
            fail_msg("token %zu [%.*s]: hash %08x head %016llx, want %08x %016llx", i,
                     (int)t[i].len, t[i].term, t[i].hash, (unsigned long long)t[i].head, h,
                     (unsigned long long)head);
    }
}

static char *analyze_str(as_analyzer *an, const char *text, size_t len)
{
    const as_token *t;
    size_t n;
    assert_int_equal(as_analyze(an, text, len, &t, &n), AS_OK);
    check_hashes(t, n);
    return render(t, n);
}

static const struct {
    const char *in;
    const char *want;
} cases[] = {
    /* compounds: parts at consecutive positions, joined form at the first */
    {"co-production", "co@0:0-2:1 coproduct@0:0-13:2 product@1:3-13:1"},
    {"coproduction", "coproduct@0:0-12:0"},
    {"co production", "co@0:0-2:0 product@1:3-13:0"},
    {"The co-production toolkit",
     "the@0:0-3:0 co@1:4-6:1 coproduct@1:4-17:2 product@2:7-17:1 toolkit@3:18-25:0"},
    {"strengths-based practice",
     "strength@0:0-9:1 strengthsbas@0:0-15:2 base@1:10-15:1 practic@2:16-24:0"},
    {"technology-enabled care",
     "technolog@0:0-10:1 technologyen@0:0-18:2 enabl@1:11-18:1 care@2:19-23:0"},
    {"North-East", "north@0:0-5:1 northeast@0:0-10:2 east@1:6-10:1"},
    {"North\xe2\x80\x93" "East", "north@0:0-5:1 northeast@0:0-12:2 east@1:8-12:1"},
    {"North \xe2\x80\x93 East", "north@0:0-5:0 east@1:10-14:0"},
    {"a\xe2\x80\x94" "b", "a@0:0-1:0 b@1:4-5:0"}, /* em dash: punctuation */
    {"face-to-face",
     "face@0:0-4:1 facetofac@0:0-12:2 to@1:5-7:1 face@2:8-12:1"},
    {"car-s", "car@0:0-3:1 s@1:4-5:1"}, /* joined "cars" -> "car": not twice */
    {"-x- a - b", "x@0:1-2:0 a@1:4-5:0 b@2:8-9:0"},
    {"NHS-funded",
     "nhs@0:0-3:1 ^nhs@0:0-3:5 nhsfund@0:0-10:2 fund@1:4-10:1"},
    {"COVID-19", "covid@0:0-5:1 ^covid@0:0-5:5 covid19@0:0-8:2 19@1:6-8:9"},
    /* apostrophes */
    {"people\xe2\x80\x99s", "peopl@0:0-10:0"},
    {"staff's", "staff@0:0-7:0"},
    {"it\xe2\x80\x99s", "it@0:0-6:0"},
    {"don't", "dont@0:0-5:0"},
    {"carers'", "carer@0:0-6:0"},
    {"\xe2\x80\x98rainbow\xe2\x80\x99", "rainbow@0:3-10:0"},
    {"staff groups' training", "staff@0:0-5:0 group@1:6-12:0 train@2:14-22:0"},
    /* words */
    {"Deprivations", "depriv@0:0-12:0"},
    {"Caf\xc3\xa9 na\xc3\xafve", "cafe@0:0-5:0 naiv@1:6-12:0"},
    {"co\xc2\xad" "ordinate", "coordin@0:0-12:0"}, /* soft hyphen */
    {"MEASUREMENT OF DIELECTRIC CONSTANT",
     "measur@0:0-11:0 of@1:12-14:0 ^of@1:12-14:4 dielectr@2:15-25:0 "
     "constant@3:26-34:0"},
    /* other scripts and forms: Greek lower-cased, Latin accents stripped,
     * full-width folded (but never an acronym: not ASCII), combining marks
     * dropped, curly quotes separate, U+2011 joins */
    {"\xce\x91\xce\x98\xce\x97\xce\x9d\xce\x91",
     "\xce\xb1\xce\xb8\xce\xb7\xce\xbd\xce\xb1@0:0-10:0"},
    {"\xc5\x81\xc3\xb3" "d\xc5\xba", "lodz@0:0-7:0"},
    {"\xef\xbc\xae\xef\xbc\xa8\xef\xbc\xb3", "nhs@0:0-9:0"},
    {"Stra\xc3\x9f" "e", "strass@0:0-7:0"},
    {"e\xcc\x81t\xc3\xa9 \xe2\x80\x9cquoted\xe2\x80\x9d x\xe2\x80\x91y",
     "ete@0:0-6:0 quot@1:10-16:0 x@2:20-21:1 xy@2:20-25:2 y@3:24-25:1"},
    /* numbers */
    {"68.42%", "68.42@0:0-5:8"},
    {"2022/23", "2022/23@0:0-7:8"},
    {"\xc2\xa3" "1.5m", "1.5m@0:2-6:8"},
    {"118 complaints", "118@0:0-3:8 complaint@1:4-14:0"},
    {"1,000 and 1,2", "1000@0:0-5:8 and@1:6-9:0 1@2:10-11:8 2@3:12-13:8"},
    {"in 2023.", "in@0:0-2:0 2023@1:3-7:8"},
    /* acronyms */
    {"ACT", "act@0:0-3:0 ^act@0:0-3:4"},
    {"Act", "act@0:0-3:0"},
    {"Care Act", "care@0:0-4:0 act@1:5-8:0"},
    {"SARs", "sar@0:0-4:0 ^sar@0:0-4:4"},
    {"SAR", "sar@0:0-3:0 ^sar@0:0-3:4"},
    {"DoLS", "dol@0:0-4:0 ^dols@0:0-4:4"},
    {"CQC's", "cqc@0:0-5:0 ^cqc@0:0-5:4"},
    {"LGSCO ADASS", "lgsco@0:0-5:0 ^lgsco@0:0-5:4 adass@1:6-11:0 ^adass@1:6-11:4"},
    {"OT PhD I A", "ot@0:0-2:0 ^ot@0:0-2:4 phd@1:3-6:0 ^phd@1:3-6:4 i@2:7-8:0 a@3:9-10:0"},
    {"SAFEGUARDING", "safeguard@0:0-12:0"},
    {"McDonald", "mcdonald@0:0-8:0"},
    /* protected words */
    {"commissioning Commission commissioned commissioner commissions",
     "commiss@0:0-13:0 commission@1:14-24:0 commiss@2:25-37:0 commiss@3:38-50:0 "
     "commission@4:51-62:0"},
    {"careful carefully care", "careful@0:0-7:0 careful@1:8-17:0 care@2:18-22:0"},
    {"university universities universal",
     "universiti@0:0-10:0 universiti@1:11-23:0 univers@2:24-33:0"},
    {"provider providers provided",
     "provider@0:0-8:0 provider@1:9-18:0 provid@2:19-27:0"},
    {"personal person", "personal@0:0-8:0 person@1:9-15:0"},
    /* hostile bytes */
    {"", ""},
    {"  \t\n ,.;", ""},
    {"care\xff\xfehome", "care@0:0-4:0 home@1:6-10:0"},
    {"abc\xc3", "abc@0:0-3:0"},                  /* truncated sequence */
    {"\xc0\xafx", "x@0:2-3:0"},                  /* overlong '/' */
    {"a\xed\xa0\x80" "b", "a@0:0-1:0 b@1:4-5:0"}, /* surrogate */
};

static void test_table(void **state)
{
    (void)state;
    as_analyzer *shared;
    assert_int_equal(as_analyzer_new(&shared), AS_OK);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        as_analyzer *fresh;
        assert_int_equal(as_analyzer_new(&fresh), AS_OK);
        char *a = analyze_str(shared, cases[i].in, strlen(cases[i].in));
        char *b = analyze_str(fresh, cases[i].in, strlen(cases[i].in));
        if (strcmp(a, cases[i].want) != 0)
            fail_msg("case %zu [%s]\n  got  %s\n  want %s", i, cases[i].in, a,
                     cases[i].want);
        assert_string_equal(a, b); /* no state carried between calls */
        free(a);
        free(b);
        as_analyzer_free(fresh);
    }
    as_analyzer_free(shared);
}

static void test_nul_bytes(void **state)
{
    (void)state;
    as_analyzer *an;
    assert_int_equal(as_analyzer_new(&an), AS_OK);
    static const char text[] = "care\0home\0\0SAR";
    char *s = analyze_str(an, text, sizeof text - 1);
    assert_string_equal(s, "care@0:0-4:0 home@1:5-9:0 sar@2:11-14:0 ^sar@2:11-14:4");
    free(s);
    as_analyzer_free(an);
}

static void test_empty_and_null(void **state)
{
    (void)state;
    as_analyzer *an;
    assert_int_equal(as_analyzer_new(&an), AS_OK);
    const as_token *t = (const as_token *)1;
    size_t n = 99;
    assert_int_equal(as_analyze(an, NULL, 0, &t, &n), AS_OK);
    assert_int_equal(n, 0);
    assert_int_equal(as_analyze(an, NULL, 5, &t, &n), AS_EINVAL);
    assert_int_equal(n, 0);
    as_analyzer_free(an);
    as_analyzer_free(NULL);
}

static void test_long_words(void **state)
{
    (void)state;
    as_analyzer *an;
    assert_int_equal(as_analyzer_new(&an), AS_OK);
    const as_token *t;
    size_t n;

    /* 100000 letters: one term cut to AS_TERM_MAX, span the whole word */
    size_t len = 100000;
    char *w = malloc(len);
    assert_non_null(w);
    memset(w, 'a', len);
    assert_int_equal(as_analyze(an, w, len, &t, &n), AS_OK);
    assert_int_equal(n, 1);
    assert_int_equal(t[0].len, AS_TERM_MAX);
    assert_int_equal(t[0].start, 0);
    assert_int_equal(t[0].end, len);
    for (uint32_t k = 0; k < t[0].len; k++)
        assert_int_equal(t[0].term[k], 'a');

    /* "a" + 100 x U+03B1 (2 bytes): byte 64 is inside a character, so the
     * cut falls back to 63 bytes — never half a character */
    char g[1 + 200];
    g[0] = 'a';
    for (int k = 0; k < 100; k++) {
        g[1 + 2 * k] = '\xce';
        g[2 + 2 * k] = '\xb1';
    }
    assert_int_equal(as_analyze(an, g, sizeof g, &t, &n), AS_OK);
    assert_int_equal(n, 1);
    assert_int_equal(t[0].len, 63);
    assert_int_equal(t[0].end, sizeof g);
    assert_memory_equal(t[0].term, g, 63);

    /* a 64-part compound: cut into 16-part compounds, positions go on */
    char c[64 * 2];
    for (int k = 0; k < 64; k++) {
        c[2 * k] = 'x';
        c[2 * k + 1] = '-';
    }
    assert_int_equal(as_analyze(an, c, sizeof c - 1, &t, &n), AS_OK);
    assert_int_equal(n, 64 + 4);
    assert_int_equal(t[n - 1].pos, 63);
    free(w);
    as_analyzer_free(an);
}

/* Invariants every token stream keeps, whatever the input. */
static void check_invariants(const as_token *t, size_t n, size_t len)
{
    for (size_t i = 0; i < n; i++) {
        assert_true(t[i].len >= 1 && t[i].len <= AS_TERM_MAX + 1);
        assert_true(t[i].start < t[i].end && t[i].end <= len);
        if (i > 0)
            assert_true(t[i].pos >= t[i - 1].pos);
        int first = i == 0 || t[i].pos != t[i - 1].pos;
        if (first) /* the ordinary term comes first at a position */
            assert_int_equal(t[i].flags & (AS_TOK_JOINED | AS_TOK_ACRONYM), 0);
        if (t[i].flags & AS_TOK_ACRONYM)
            assert_int_equal(t[i].term[0], '^');
        for (size_t j = i; j-- > 0 && t[j].pos == t[i].pos;) /* no (term,pos) twice */
            assert_false(t[j].len == t[i].len && memcmp(t[j].term, t[i].term, t[i].len) == 0);
        for (uint32_t k = 0; k < t[i].len; k++) { /* lower case */
            char ch = t[i].term[k];
            assert_false(ch >= 'A' && ch <= 'Z');
            assert_true(ch != '\0');
        }
    }
}

static void test_random_bytes(void **state)
{
    (void)state;
    as_analyzer *an;
    assert_int_equal(as_analyzer_new(&an), AS_OK);
    size_t len = 1 << 20;
    unsigned char *b = malloc(len);
    assert_non_null(b);
    uint64_t x = 88172645463325252ull;
    /* bias towards bytes that matter: letters, hyphens, apostrophes, UTF-8 */
    static const char alphabet[] = "aZ9-'.,/ sS\xe2\x80\x99\x93\xc3\xa9\xff";
    for (int round = 0; round < 3; round++) {
        for (size_t i = 0; i < len; i++) {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            b[i] = round == 0 ? (unsigned char)x
                              : (unsigned char)alphabet[x % (sizeof alphabet - 1)];
        }
        const as_token *t;
        size_t n;
        assert_int_equal(as_analyze(an, (const char *)b, len, &t, &n), AS_OK);
        assert_true(n > 1000);
        check_invariants(t, n, len);
        check_hashes(t, n);
    }
    free(b);
    as_analyzer_free(an);
}

/* 1 MB of real report text: the token count is exactly the sum of the
 * copies' (analysis depends on the text alone). */
static void test_megabyte(void **state)
{
    (void)state;
    static const char sample[] =
        "The local authority recognised co-production was an area of development "
        "for them. Safeguarding Adults Reviews (SAR) and people\xe2\x80\x99s "
        "experiences; 118 complaints between February 2023 and January 2024 "
        "(68.42%) in the North-East.\n";
    as_analyzer *an;
    assert_int_equal(as_analyzer_new(&an), AS_OK);
    const as_token *t;
    size_t n1;
    assert_int_equal(as_analyze(an, sample, sizeof sample - 1, &t, &n1), AS_OK);
    assert_int_equal(n1, 36); /* 14 + 8 + 14, counted by hand */
    uint32_t npos1 = t[n1 - 1].pos + 1;
    size_t copies = (1 << 20) / (sizeof sample - 1);
    size_t len = copies * (sizeof sample - 1);
    char *big = malloc(len);
    assert_non_null(big);
    for (size_t k = 0; k < copies; k++)
        memcpy(big + k * (sizeof sample - 1), sample, sizeof sample - 1);
    size_t n;
    assert_int_equal(as_analyze(an, big, len, &t, &n), AS_OK);
    assert_int_equal(n, copies * n1);
    assert_int_equal(t[n - 1].pos + 1, copies * npos1);
    check_invariants(t, n, len);
    check_hashes(t, n);
    free(big);
    as_analyzer_free(an);
}

static void test_analyze_word(void **state)
{
    (void)state;
    as_analyzer *an;
    assert_int_equal(as_analyzer_new(&an), AS_OK);
    static const struct {
        const char *in, *want;
    } w[] = {
        {"Commission", "commission"}, {"commissioning", "commiss"},
        {"co-production", "coproduct"}, {"SARs", "sar"},
        {"people\xe2\x80\x99s", "peopl"}, {"68.42", "68.42"},
        {"running", "run"}, {"Careful", "careful"}, {"North East", "northeast"},
        {"", ""}, {"--", ""}, {"Caf\xc3\xa9", "cafe"}, {"2022/23", "2022/23"},
    };
    for (size_t i = 0; i < sizeof w / sizeof w[0]; i++) {
        const char *term;
        size_t tlen;
        assert_int_equal(as_analyze_word(an, w[i].in, strlen(w[i].in), &term, &tlen),
                         AS_OK);
        if (tlen != strlen(w[i].want) || memcmp(term, w[i].want, tlen) != 0)
            fail_msg("word [%s]: got [%.*s] want [%s]", w[i].in, (int)tlen, term,
                     w[i].want);
    }
    /* the same term as the analyzer gives the word in text */
    const as_token *t;
    size_t n;
    assert_int_equal(as_analyze(an, "Deprivations", 12, &t, &n), AS_OK);
    const char *term;
    size_t tlen;
    assert_int_equal(as_analyze_word(an, "Deprivations", 12, &term, &tlen), AS_OK);
    assert_int_equal(tlen, 6);
    assert_memory_equal(term, "depriv", 6);
    as_analyzer_free(an);
}

/* The words that take the stem cache through its states: word i (0 <=
 * i < 30,000) is "qu", the base-26 digits of i/10 + 1, then suffix i % 10:
 * distinct, never a protected word.  Writes it to w (cap >= 32 bytes) and
 * returns its length. */
static const char *const cache_suffix[] = {"", "s", "ing", "ed", "ations", "ies", "ly",
                                           "ness", "ful", "ement"};

static int cache_word(int i, char *w, size_t cap)
{
    int n = snprintf(w, cap, "qu");
    for (int v = i / 10 + 1; v > 0; v /= 26)
        w[n++] = (char)('a' + v % 26);
    return n + snprintf(w + n, cap - (size_t)n, "%s", cache_suffix[i % 10]);
}

/* The stem cache starts small and grows, emptied, as misses pile up:
 * whatever its size and content, every word gets libstemmer's own stem.
 * 30,000 distinct words take it through every size; they are read three
 * times (in order, again, backwards), so hits, collisions and the growths
 * in between are all checked against a stemmer that has no cache. */
static void test_stem_cache(void **state)
{
    (void)state;
    enum { NWORDS = 30000 };
    as_analyzer *an;
    assert_int_equal(as_analyzer_new(&an), AS_OK);
    struct sb_stemmer *ref = sb_stemmer_new("english", NULL);
    assert_non_null(ref);
    char w[32];
    for (int pass = 0; pass < 3; pass++) {
        for (int k = 0; k < NWORDS; k++) {
            int i = pass == 2 ? NWORDS - 1 - k : k;
            int n = cache_word(i, w, sizeof w);
            const char *term;
            size_t tlen;
            assert_int_equal(as_analyze_word(an, w, (size_t)n, &term, &tlen), AS_OK);
            const sb_symbol *r = sb_stemmer_stem(ref, (const sb_symbol *)w, n);
            assert_non_null(r);
            size_t rl = (size_t)sb_stemmer_length(ref);
            if (tlen != rl || memcmp(term, r, rl) != 0)
                fail_msg("pass %d word [%s]: got [%.*s] want [%.*s]", pass, w, (int)tlen,
                         term, (int)rl, (const char *)r);
        }
    }
    sb_stemmer_delete(ref);
    as_analyzer_free(an);
}

/* The tokens' hashes through every state of the stem cache: 30,000
 * distinct words (stems of 3 to 11 bytes, so that a slot's short stem
 * often replaces a longer one: the head is read from the slot's zero-padded
 * bytes) in sentences with numbers, acronyms and compounds (terms that
 * never come from the cache), read three times as in test_stem_cache. */
static void test_token_hash(void **state)
{
    (void)state;
    enum { NWORDS = 30000 };
    as_analyzer *an;
    assert_int_equal(as_analyzer_new(&an), AS_OK);
    char text[256];
    size_t ntok = 0;
    for (int pass = 0; pass < 3; pass++) {
        for (int k = 0; k < NWORDS; k++) {
            int i = pass == 2 ? NWORDS - 1 - k : k;
            int n = cache_word(i, text, sizeof text);
            n += snprintf(text + n, sizeof text - (size_t)n,
                          " SARs co-%sing 20%d/%d averylongwordthatisnotcachedatall",
                          cache_suffix[(i + 3) % 10], i % 100, k % 97);
            const as_token *t;
            size_t nt;
            assert_int_equal(as_analyze(an, text, (size_t)n, &t, &nt), AS_OK);
            check_hashes(t, nt);
            ntok += nt;
        }
    }
    assert_true(ntok > 3 * NWORDS * 6);
    as_analyzer_free(an);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_table),
        cmocka_unit_test(test_nul_bytes),
        cmocka_unit_test(test_empty_and_null),
        cmocka_unit_test(test_long_words),
        cmocka_unit_test(test_random_bytes),
        cmocka_unit_test(test_megabyte),
        cmocka_unit_test(test_analyze_word),
        cmocka_unit_test(test_stem_cache),
        cmocka_unit_test(test_token_hash),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
