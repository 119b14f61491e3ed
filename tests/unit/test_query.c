/*
 * test_query.c — the query parser (query.c, qfilter.c) with the real
 * analyzer and a lexicon built here from sentences of the real reports:
 * its terms are every term the analyzer gives those sentences (plus a few
 * listed below), its acronym table is mined from them with
 * as_acrotab_mine.  Trees are compared as whole as_query_dump strings and
 * errors as whole messages, so every stem, offset and column is checked.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "query.h"

/* Sentences of the two real reports (shared corpus), verbatim. */
static const char *const sentences[] = {
    "There were clear systems to ensure that learning from complaints, Safeguarding "
    "Adults Reviews (SAR) and any internal audits were shared.",
    "One of the areas was the further development of technology enabled care (TEC).",
    "While many examples of TEC were provided, the local authority and staff have received "
    "training to ensure it is considered as part of assessments.",
    "Focused practice development groups were held monthly on identified areas of "
    "improvement needed, such as the Mental Capacity Act 2005 and Deprivations of Liberty "
    "Safeguards (DoLS).",
    "The local authority was well connected into regional work in the North-East region, "
    "including through the North-East Association of Directors of Adult Social Services "
    "(ADASS) group and the regional Directors of Public Health group as well as into the "
    "North-West and North Yorkshire.",
    "National data from the Local Government and Social Care Ombudsman (LGSCO) indicated "
    "that the local authority had a higher than average uphold rate and number of detailed "
    "investigations in 2022 than for other local authorities of its type.",
    "The local authority recognised co-production was an area of development for them.",
    "The shared learning from a SAR led to the development of the Team Around the Adult as "
    "teams took action to address the learning points.",
    "The local authority had a robust response to complaints.",
    "A complaints officer for the service reviewed each complaint response to identify "
    "actions and learning.",
    "The local authority was improving its response to hoarding as a challenging issue in "
    "the area through the development of the Breakthrough service.",
    "There was an increasing focus on this work and the local authority had developed a "
    "'rainbow of coproduction' toolkit which had been used effectively in several projects, "
    "for example, with carers to develop the carers 'plan on a page'.",
    "The programme of training about strengths-based practice had been rolled out across "
    "the local authority over the last year and the approach was clearly embedded in practice.",
    "Local authority data showed that there were 118 complaints received between February "
    "2023 and January 2024.",
};

/* Terms of words that the sentences above do not happen to use. */
static const char *const extra_terms[] = {"complain", "complainant", "happi", "northeastern"};

typedef struct fixture {
    as_analyzer *an;
    as_acrotab *acro;
    char **terms; /* sorted, unique */
    size_t nterms;
    as_lexicon lex;
} fixture;

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* each_prefix over the sorted term list: binary search, then walk. */
static int each_prefix(void *ctx, const char *prefix, size_t plen,
                       int (*fn)(void *arg, const char *term, size_t len), void *arg)
{
    fixture *f = ctx;
    size_t lo = 0, hi = f->nterms;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (strncmp(f->terms[mid], prefix, plen) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    for (size_t i = lo; i < f->nterms && strncmp(f->terms[i], prefix, plen) == 0; i++) {
        int r = fn(arg, f->terms[i], strlen(f->terms[i]));
        if (r)
            return r;
    }
    return 0;
}

static void add_term(fixture *f, size_t *cap, const char *t, size_t n)
{
    if (f->nterms == *cap) {
        *cap = *cap ? *cap * 2 : 256;
        f->terms = realloc(f->terms, *cap * sizeof *f->terms);
        assert_non_null(f->terms);
    }
    f->terms[f->nterms] = malloc(n + 1);
    assert_non_null(f->terms[f->nterms]);
    memcpy(f->terms[f->nterms], t, n);
    f->terms[f->nterms][n] = '\0';
    f->nterms++;
}

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    assert_non_null(f);
    assert_int_equal(as_analyzer_new(&f->an), AS_OK);
    assert_int_equal(as_acrotab_new(&f->acro), AS_OK);
    size_t cap = 0;
    for (size_t i = 0; i < sizeof sentences / sizeof *sentences; i++) {
        const char *s = sentences[i];
        assert_int_equal(as_acrotab_mine(f->acro, s, strlen(s)), AS_OK);
        const as_token *t;
        size_t n;
        assert_int_equal(as_analyze(f->an, s, strlen(s), &t, &n), AS_OK);
        for (size_t k = 0; k < n; k++)
            add_term(f, &cap, t[k].term, t[k].len);
    }
    for (size_t i = 0; i < sizeof extra_terms / sizeof *extra_terms; i++)
        add_term(f, &cap, extra_terms[i], strlen(extra_terms[i]));
    qsort(f->terms, f->nterms, sizeof *f->terms, cmp_str);
    size_t u = 0;
    for (size_t i = 0; i < f->nterms; i++) {
        if (u > 0 && strcmp(f->terms[u - 1], f->terms[i]) == 0)
            free(f->terms[i]);
        else
            f->terms[u++] = f->terms[i];
    }
    f->nterms = u;
    f->lex.ctx = f;
    f->lex.each_prefix = each_prefix;
    f->lex.acronyms = f->acro;
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    for (size_t i = 0; i < f->nterms; i++)
        free(f->terms[i]);
    free(f->terms);
    as_acrotab_free(f->acro);
    as_analyzer_free(f->an);
    free(f);
    return 0;
}

/* Parses q with options o; returns the status, the dump or message in out. */
static int run(fixture *f, const char *q, const as_query_opts *o, char *out, size_t cap,
               as_query **keep)
{
    as_query *qq = NULL;
    as_err err = {0};
    int rc = as_query_parse(q, strlen(q), f->an, &f->lex, o, &qq, &err);
    if (rc == AS_OK) {
        assert_non_null(qq);
        assert_int_equal(as_query_dump(qq->root, out, cap), AS_OK);
        if (keep)
            *keep = qq;
        else
            as_query_free(qq);
    } else {
        assert_null(qq);
        assert_int_equal(err.code, rc);
        snprintf(out, cap, "%s", err.msg);
    }
    return rc;
}

static void expect_tree(void **state, const char *q, const char *want)
{
    char out[4096];
    int rc = run(*state, q, NULL, out, sizeof out, NULL);
    if (rc != AS_OK)
        fail_msg("%s: %d %s", q, rc, out);
    if (strcmp(out, want) != 0)
        fail_msg("query [%s]\n  got  %s\n  want %s", q, out, want);
}

static void expect_error(void **state, const char *q, int code, const char *want)
{
    char out[4096];
    int rc = run(*state, q, NULL, out, sizeof out, NULL);
    if (rc != code || strcmp(out, want) != 0)
        fail_msg("query [%s]\n  got  %d %s\n  want %d %s", q, rc, out, code, want);
}

/* ---- Trees ---------------------------------------------------------------- */

static const struct {
    const char *q, *want;
} trees[] = {
    /* words: stems; all required */
    {"learning", "learn"},
    {"learning from complaints", "(AND learn from complaint)"},
    {"people's", "peopl"},
    {"Learning", "learn"},
    {"2022/23", "2022/23"},
    {"a/b", "(PHRASE a@0 b@1)"},
    {"foo:bar", "(PHRASE foo@0 bar@1)"},       /* not a field: text */
    {"learning , hoarding", "(AND learn hoard)"}, /* punctuation ignored */
    {"learning - hoarding", "(AND learn hoard)"},
    {"--learning", "learn"},
    {"a AND b", "(AND a b)"},
    {"learning and", "(AND learn and)"},
    /* compounds, all three spellings */
    {"co-production", "(OR (PHRASE co@0 product@1) coproduct)"},
    {"coproduction", "coproduct"},
    {"co production", "(OR (AND co product) coproduct)"},
    {"North-East", "(OR (PHRASE north@0 east@1) northeast)"},
    {"north east region", "(AND (OR (AND north east) northeast) region)"},
    /* three words win over two (both joins found in one pass) */
    {"north east ern", "(OR (AND north east ern) northeastern)"},
    {"north east ern region", "(AND (OR (AND north east ern) northeastern) region)"},
    {"region north east", "(AND region (OR (AND north east) northeast))"},
    {"strengths based practice", "(AND (OR (AND strength base) strengthsbas) practic)"},
    {"with in", "(AND with in)"}, /* "within" is not in the index */
    /* phrases */
    {"\"Team Around the Adult\"", "(PHRASE team@0 around@1 the@2 adult@3)"},
    {"\xe2\x80\x9cTeam Around the Adult\xe2\x80\x9d", "(PHRASE team@0 around@1 the@2 adult@3)"},
    {"\"Team Around the Adult\xe2\x80\x9d", "(PHRASE team@0 around@1 the@2 adult@3)"},
    {"\"co-production was\"", "(PHRASE co@0 product@1 was@2)"},
    {"\"SAR learning\"", "(PHRASE sar@0 learn@1)"},
    {"\"learning\"", "learn"},
    {"\"\" learning", "learn"},
    {"learning\"team around\"", "(AND learn (PHRASE team@0 around@1))"},
    {"\"co production\"", "(PHRASE co@0 product@1)"},
    /* OR binds tighter than the implicit AND */
    {"a b OR c d", "(AND a (OR b c) d)"},
    {"(a OR b) c", "(AND (OR a b) c)"},
    {"a OR b OR c", "(OR a b c)"},
    {"a or b", "(AND a or b)"},
    {"a not b", "(AND a not b)"},
    {"(a b) OR c", "(OR (AND a b) c)"},
    {"((a))", "a"},
    {"a (b c)", "(AND a b c)"},
    {"a ()", "a"},
    {"\"team around\" OR hoarding", "(OR (PHRASE team@0 around@1) hoard)"},
    /* exclusion */
    {"learning -hoarding", "(ANDNOT learn hoard)"},
    {"NOT hoarding learning", "(ANDNOT learn hoard)"},
    {"learning -hoarding -\"team around\"",
     "(ANDNOT learn (OR hoard (PHRASE team@0 around@1)))"},
    {"learning -(team adult)", "(ANDNOT learn (AND team adult))"},
    {"learning -(team OR adult) complaints", "(ANDNOT (AND learn complaint) (OR team adult))"},
    {"(a -b) OR c", "(OR (ANDNOT a b) c)"},
    {"learning -", "learn"},
    /* acronyms written in capitals */
    {"SAR learning", "(AND (OR ^sar (PHRASE safeguard@0 adult@1 review@2)) learn)"},
    {"SARs", "(OR ^sar (PHRASE safeguard@0 adult@1 review@2))"},
    {"TEC", "(OR ^tec (PHRASE technolog@0 enabl@1 care@2))"},
    {"DoLS", "(OR ^dols (PHRASE depriv@0 of@1 liberti@2 safeguard@3))"},
    {"LGSCO", "(OR ^lgsco (PHRASE local@0 govern@1 and@2 social@3 care@4 ombudsman@5))"},
    {"ADASS",
     "(OR ^adass (PHRASE associ@0 of@1 director@2 of@3 adult@4 social@5 servic@6))"},
    {"sar", "sar"},    /* lower case: the word, not the acronym */
    {"dols", "dol"},
    {"OT", "ot"},      /* capitals, but not a known acronym */
    {"TEC OR SAR",
     "(OR (OR ^tec (PHRASE technolog@0 enabl@1 care@2)) "
     "(OR ^sar (PHRASE safeguard@0 adult@1 review@2)))"},
    /* ... and their expansions written out */
    {"technology enabled care", "(OR (AND technolog enabl care) ^tec)"},
    /* "services" heads only ADASS's expansion here (no NHS in this table) */
    {"Technology Enabled Care services", "(AND (OR (AND technolog enabl care) ^tec) (OR servic ^adass))"},
    /* a word that heads exactly one expansion also finds the acronym */
    {"Ombudsman", "(OR ombudsman ^lgsco)"},
    {"ombudsman responses", "(AND (OR ombudsman ^lgsco) respons)"},
    /* a head shared with no acronym, or a word inside an expansion: plain */
    {"government", "govern"},
    {"safeguarding adults reviews", "(OR (AND safeguard adult review) ^sar)"},
    {"safeguarding adult review", "(OR (AND safeguard adult review) ^sar)"},
    {"learning from safeguarding adult review",
     "(AND learn from (OR (AND safeguard adult review) ^sar))"},
    {"deprivation of liberty safeguards", "(OR (AND depriv of liberti safeguard) ^dols)"},
    {"technology enabled", "(AND technolog enabl)"},
    {"technology enabled -care", "(ANDNOT (AND technolog enabl) care)"},
    {"technology (enabled care)", "(AND technolog enabl care)"},
    {"\"technology enabled care\"", "(PHRASE technolog@0 enabl@1 care@2)"},
    /* prefix* */
    {"complain*", "(OR complain complainant complaint)"},
    {"complaint*", "complaint"},
    {"learning*", "learn"},            /* the word's own stem */
    {"happy*", "happi"},
    {"Complain*", "(OR complain complainant complaint)"},
    {"co-prod*", "coproduct"},
    {"zebra*", "(NOTHING)"},
    {"complain* -complaints", "(ANDNOT (OR complain complainant complaint) complaint)"},
    {"learn* OR hoard*", "(OR learn hoard)"},
    /* filters are not part of the tree */
    {"council:durham score:3 hoarding", "hoard"},
    {"hoarding Council:Durham", "hoard"},
    {"score:<=2", ""},
    {"", ""},
    {"   ", ""},
};

static void test_trees(void **state)
{
    for (size_t i = 0; i < sizeof trees / sizeof *trees; i++)
        expect_tree(state, trees[i].q, trees[i].want);
}

/* ---- Errors --------------------------------------------------------------- */

static const struct {
    const char *q;
    int code;
    const char *msg;
} errors[] = {
    {"-hoarding", AS_ESYNTAX, "nothing to search for: add a word that is not excluded"},
    {"NOT hoarding -learning", AS_ESYNTAX,
     "nothing to search for: add a word that is not excluded"},
    {"learning (-hoarding)", AS_ESYNTAX,
     "nothing to search for: add a word that is not excluded"},
    {"!!!", AS_ESYNTAX, "nothing to search for: the query has no words"},
    {"()", AS_ESYNTAX, "nothing to search for: the query has no words"},
    {"learn (ing", AS_ESYNTAX, "unbalanced parenthesis at column 7"},
    {"((a)", AS_ESYNTAX, "unbalanced parenthesis at column 1"},
    {"a b)", AS_ESYNTAX, "unbalanced parenthesis at column 4"},
    {"x )(", AS_ESYNTAX, "unbalanced parenthesis at column 3"},
    {"caf\xc3\xa9 \xe2\x80\x93 (x", AS_ESYNTAX, "unbalanced parenthesis at column 8"},
    {"learning \"team around", AS_ESYNTAX, "unterminated quote at column 10"},
    {"\xe2\x80\x9cteam", AS_ESYNTAX, "unterminated quote at column 1"},
    {"council:\"Durham", AS_ESYNTAX, "unterminated quote at column 9"},
    {"OR a", AS_ESYNTAX, "OR needs a word on both sides (column 1)"},
    {"a OR", AS_ESYNTAX, "OR needs a word on both sides (column 3)"},
    {"a OR OR b", AS_ESYNTAX, "OR needs a word on both sides (column 3)"},
    {"(a OR) b", AS_ESYNTAX, "OR needs a word on both sides (column 4)"},
    {"a OR -b", AS_ESYNTAX, "OR cannot join an excluded item (column 3)"},
    {"-a OR b", AS_ESYNTAX, "OR cannot join an excluded item (column 4)"},
    {"a NOT", AS_ESYNTAX, "NOT needs a word, phrase or group after it (column 3)"},
    {"a NOT OR b", AS_ESYNTAX, "NOT needs a word, phrase or group after it (column 3)"},
    {"a -NOT b", AS_ESYNTAX, "- needs a word, phrase or group right after it (column 3)"},
    {"*", AS_ESYNTAX, "prefix* needs a letter or digit before the * (column 1)"},
    {"learning -*", AS_ESYNTAX, "prefix* needs a letter or digit before the * (column 11)"},
    {"learning '*", AS_ESYNTAX, "prefix* needs a letter or digit before the * (column 10)"},
    {"x -council:durham", AS_ESYNTAX, "a filter cannot be excluded (column 3)"},
    {"x NOT score:2", AS_ESYNTAX, "a filter cannot be excluded (column 3)"},
    {"council:a OR council:b", AS_ESYNTAX,
     "a filter cannot be joined with OR: repeat the field to allow several values (column 11)"},
    {"x OR score:2", AS_ESYNTAX,
     "a filter cannot be joined with OR: repeat the field to allow several values (column 3)"},
    {"(council:durham) x", AS_ESYNTAX, "a filter cannot go inside parentheses (column 2)"},
    {"council:", AS_ESYNTAX, "council: needs a value (column 1)"},
    {"hoarding Score: 3", AS_ESYNTAX, "score: needs a value (column 10)"},
    {"council:\"  \"", AS_ESYNTAX, "council: needs a value (column 1)"},
    {"score:7", AS_ESYNTAX, "score must be 1 to 4, not '7' (column 1)"},
    {"x score:0..2", AS_ESYNTAX, "score must be 1 to 4, not '0..2' (column 3)"},
    {"score:two", AS_ESYNTAX, "score must be 1 to 4, not 'two' (column 1)"},
    {"score:<1", AS_ESYNTAX, "score:<1 allows no score (scores are 1 to 4) (column 1)"},
    {"score:>4", AS_ESYNTAX, "score:>4 allows no score (scores are 1 to 4) (column 1)"},
    {"score:3..2", AS_ESYNTAX, "score:3..2 allows no score (scores are 1 to 4) (column 1)"},
    {"score:..", AS_ESYNTAX, "score must be 1 to 4, not '..' (column 1)"},
    {"year:23", AS_ESYNTAX, "year must be a four-digit year, not '23' (column 1)"},
    {"year:2024..2023", AS_ESYNTAX, "year:2024..2023 allows no year (column 1)"},
    {"year:>=2024 year:<=2023", AS_ESYNTAX,
     "year filters contradict each other: no year is both >= 2024 and <= 2023 (column 13)"},
    {"kind:foo", AS_ESYNTAX,
     "unknown kind 'foo': use finding, commitment, expectation or heading (column 1)"},
    {"statement:10", AS_ESYNTAX,
     "unknown quality statement '10': use 1 to 9 or a word of its name (column 1)"},
    {"statement:safe", AS_ESYNTAX,
     "statement 'safe' is ambiguous: 6 (Safe pathways, systems and transitions) or 7 "
     "(Safeguarding)? (column 1)"},
    {"theme:5", AS_ESYNTAX, "unknown theme '5': use 1 to 4 or a word of its name (column 1)"},
    {"theme:local", AS_ESYNTAX,
     "theme 'local' is ambiguous: 1 (How the local authority works with people) or 3 "
     "(How the local authority ensures safety within the system)? (column 1)"},
    {"kind:\"a\nb\"", AS_ESYNTAX,
     "unknown kind 'a?b': use finding, commitment, expectation or heading (column 1)"},
};

static void test_errors(void **state)
{
    for (size_t i = 0; i < sizeof errors / sizeof *errors; i++)
        expect_error(state, errors[i].q, errors[i].code, errors[i].msg);
}

/* ---- Filters -------------------------------------------------------------- */

static as_query *parse_ok(fixture *f, const char *q, const as_query_opts *o)
{
    as_query *qq = NULL;
    as_err err = {0};
    int rc = as_query_parse(q, strlen(q), f->an, &f->lex, o, &qq, &err);
    if (rc != AS_OK)
        fail_msg("%s: %s", q, err.msg);
    return qq;
}

static void test_filters(void **state)
{
    fixture *f = *state;
    as_query *q = parse_ok(f, "council:durham score:3 hoarding", NULL);
    assert_int_equal(q->filter.ncouncils, 1);
    assert_string_equal(q->filter.councils[0], "durham");
    assert_int_equal(q->filter.scores, 1 << 3);
    assert_int_equal(q->filter.statements, 0);
    assert_int_equal(q->filter.themes, 0);
    assert_int_equal(q->filter.kinds, 0);
    assert_int_equal(q->filter.year_min, 0);
    assert_int_equal(q->filter.year_max, 0);
    as_query_free(q);

    q = parse_ok(f, "council:\"North East Lincolnshire\" Council:\xe2\x80\x9c" "Durham\xe2\x80\x9d "
                    "council:york", NULL);
    assert_null(q->root);
    assert_int_equal(q->filter.ncouncils, 3);
    assert_string_equal(q->filter.councils[0], "North East Lincolnshire");
    assert_string_equal(q->filter.councils[1], "Durham");
    assert_string_equal(q->filter.councils[2], "york");
    as_query_free(q);

    static const struct {
        const char *q;
        unsigned scores;
    } sc[] = {
        {"score:2", 1 << 2}, {"score:=2", 1 << 2}, {"score:<=2", 6}, {"score:<2", 2},
        {"score:>=3", 24}, {"score:>3", 16}, {"score:2..3", 12}, {"score:..2", 6},
        {"score:3..", 24}, {"score:1 score:4", 18}, {"score:1..4", 30},
    };
    for (size_t i = 0; i < sizeof sc / sizeof *sc; i++) {
        q = parse_ok(f, sc[i].q, NULL);
        if (q->filter.scores != sc[i].scores)
            fail_msg("%s: scores %u, want %u", sc[i].q, q->filter.scores, sc[i].scores);
        as_query_free(q);
    }

    static const struct {
        const char *q;
        int lo, hi;
    } yr[] = {
        {"year:2023", 2023, 2023}, {"year:2023..2024", 2023, 2024}, {"year:<=2023", 0, 2023},
        {"year:>=2024", 2024, 0}, {"year:<2024", 0, 2023}, {"year:>2023", 2024, 0},
        {"year:>=2023 year:<=2024", 2023, 2024}, {"year:2020..2025 year:2023..", 2023, 2025},
    };
    for (size_t i = 0; i < sizeof yr / sizeof *yr; i++) {
        q = parse_ok(f, yr[i].q, NULL);
        if (q->filter.year_min != yr[i].lo || q->filter.year_max != yr[i].hi)
            fail_msg("%s: %d..%d, want %d..%d", yr[i].q, q->filter.year_min,
                     q->filter.year_max, yr[i].lo, yr[i].hi);
        as_query_free(q);
    }

    static const struct {
        const char *q;
        unsigned st, th, kinds;
    } mk[] = {
        {"statement:7", 1 << 7, 0, 0},
        {"statement:safeguarding", 1 << 7, 0, 0},
        {"statement:\"assessing needs\"", 1 << 1, 0, 0},
        {"statement:learning", 1 << 9, 0, 0},
        {"statement:Governance", 1 << 8, 0, 0},
        {"statement:1 statement:2", 6, 0, 0},
        {"statement:\"Safe systems, pathways and transitions\"", 1 << 6, 0, 0},
        {"theme:4", 0, 1 << 4, 0},
        {"theme:leadership", 0, 1 << 4, 0},
        {"theme:\"providing support\"", 0, 1 << 2, 0},
        {"theme:safety theme:1", 0, (1 << 3) | 2, 0},
        {"kind:finding", 0, 0, 1},
        {"kind:findings kind:Heading", 0, 0, 1 | 8},
        {"kind:expectation", 0, 0, 4},
    };
    for (size_t i = 0; i < sizeof mk / sizeof *mk; i++) {
        q = parse_ok(f, mk[i].q, NULL);
        if (q->filter.statements != mk[i].st || q->filter.themes != mk[i].th
            || q->filter.kinds != mk[i].kinds)
            fail_msg("%s: statements %u themes %u kinds %u", mk[i].q, q->filter.statements,
                     q->filter.themes, q->filter.kinds);
        as_query_free(q);
    }
}

/* The command-line forms share the parser of the values. */
static void test_add_filter(void **state)
{
    fixture *f = *state;
    as_query *q = parse_ok(f, "hoarding council:york", NULL);
    as_err err = {0};
    assert_int_equal(as_query_add_filter(q, "council", "  Durham ", &err), AS_OK);
    assert_int_equal(as_query_add_filter(q, "score", "<=2", &err), AS_OK);
    assert_int_equal(as_query_add_filter(q, "year", "2023..2024", &err), AS_OK);
    assert_int_equal(as_query_add_filter(q, "statement", "assessing needs", &err), AS_OK);
    assert_int_equal(as_query_add_filter(q, "kind", "findings", &err), AS_OK);
    assert_int_equal(as_query_add_filter(q, "theme", "2", &err), AS_OK);
    assert_int_equal(q->filter.ncouncils, 2);
    assert_string_equal(q->filter.councils[0], "york");
    assert_string_equal(q->filter.councils[1], "Durham");
    assert_int_equal(q->filter.scores, 6);
    assert_int_equal(q->filter.year_min, 2023);
    assert_int_equal(q->filter.year_max, 2024);
    assert_int_equal(q->filter.statements, 2);
    assert_int_equal(q->filter.kinds, 1);
    assert_int_equal(q->filter.themes, 4);

    assert_int_equal(as_query_add_filter(q, "score", "5", &err), AS_ESYNTAX);
    assert_string_equal(err.msg, "score must be 1 to 4, not '5'");
    assert_int_equal(as_query_add_filter(q, "council", "", &err), AS_ESYNTAX);
    assert_string_equal(err.msg, "council: needs a value");
    assert_int_equal(as_query_add_filter(q, "kind", " ", &err), AS_ESYNTAX);
    assert_string_equal(err.msg, "kind: needs a value");
    assert_int_equal(as_query_add_filter(q, "colour", "red", &err), AS_EINVAL);
    assert_string_equal(err.msg, "unknown filter 'colour': "
                                 "use council, statement, theme, score, year or kind");
    assert_int_equal(as_query_add_filter(q, "year", "<=2022", &err), AS_ESYNTAX);
    assert_string_equal(err.msg,
                        "year filters contradict each other: no year is both >= 2023 and <= 2022");
    /* failures leave the filter as it was */
    assert_int_equal(q->filter.scores, 6);
    assert_int_equal(q->filter.year_max, 2024);
    assert_int_equal(q->filter.ncouncils, 2);
    assert_int_equal(as_query_add_filter(NULL, "council", "x", &err), AS_EINVAL);
    assert_int_equal(as_query_add_filter(q, "council", "x", NULL), AS_OK);
    as_query_free(q);

    /* an empty query and options only */
    q = parse_ok(f, "", NULL);
    assert_null(q->root);
    assert_int_equal(as_query_add_filter(q, "council", "durham", &err), AS_OK);
    assert_int_equal(q->filter.ncouncils, 1);
    as_query_free(q);
}

/* ---- Provenance: flags, acronym indexes, origins -------------------------- */

static int acro_index_of(fixture *f, const char *acro)
{
    const as_acronym *a = as_acrotab_find(f->acro, acro, strlen(acro));
    assert_non_null(a);
    for (size_t i = 0; i < as_acrotab_size(f->acro); i++)
        if (as_acrotab_get(f->acro, i) == a)
            return (int)i;
    fail_msg("%s not in table", acro);
    return -1;
}

static void test_provenance(void **state)
{
    fixture *f = *state;
    int sar = acro_index_of(f, "SAR"), tec = acro_index_of(f, "TEC");
    assert_string_equal(as_acrotab_get(f->acro, (size_t)sar)->expansion,
                        "Safeguarding Adults Reviews");
    assert_string_equal(as_acrotab_get(f->acro, (size_t)tec)->expansion,
                        "technology enabled care");

    as_query *q = parse_ok(f, "SAR learning SARs technology enabled care", NULL);
    const as_qnode *r = q->root;
    assert_int_equal(r->op, AS_Q_AND);
    assert_int_equal(r->nkids, 4);
    const as_qnode *a = r->kids[0];
    assert_int_equal(a->op, AS_Q_OR);
    assert_int_equal(a->flags, AS_QF_ACRONYM);
    assert_int_equal(a->acronym, sar);
    assert_string_equal(a->origin, "SAR");
    assert_int_equal(a->kids[0]->flags, AS_QF_ACRONYM);
    assert_int_equal(a->kids[0]->acronym, sar);
    assert_int_equal(a->kids[1]->op, AS_Q_PHRASE);
    assert_int_equal(a->kids[1]->kids[2]->acronym, sar);
    assert_string_equal(r->kids[1]->origin, "learning");
    assert_int_equal(r->kids[1]->flags, 0);
    assert_int_equal(r->kids[1]->acronym, -1);
    assert_string_equal(r->kids[2]->origin, "SARs");
    const as_qnode *t = r->kids[3];
    assert_int_equal(t->flags, AS_QF_ACRONYM);
    assert_int_equal(t->acronym, tec);
    assert_int_equal(t->kids[1]->acronym, tec);
    assert_string_equal(t->kids[1]->term, "^tec");
    assert_string_equal(t->origin, "technology enabled care");
    assert_string_equal(t->kids[1]->origin, "technology enabled care");
    assert_int_equal(t->kids[0]->kids[0]->acronym, -1);
    assert_string_equal(t->kids[0]->kids[0]->origin, "technology");
    /* each acronym recorded once, in order of use */
    assert_int_equal(q->nacronyms_used, 2);
    assert_int_equal(q->acronyms_used[0], sar);
    assert_int_equal(q->acronyms_used[1], tec);
    assert_int_equal(q->truncated_prefix, 0);
    as_query_free(q);

    q = parse_ok(f, "co-production complain* \"team around\"", NULL);
    r = q->root;
    assert_int_equal(q->nacronyms_used, 0);
    assert_int_equal(r->kids[0]->flags, AS_QF_COMPOUND);
    assert_int_equal(r->kids[0]->kids[0]->flags, AS_QF_COMPOUND);
    assert_int_equal(r->kids[0]->kids[0]->kids[1]->flags, AS_QF_COMPOUND);
    assert_int_equal(r->kids[0]->kids[0]->kids[1]->offset, 1);
    assert_string_equal(r->kids[0]->origin, "co-production");
    assert_int_equal(r->kids[1]->flags, AS_QF_PREFIX);
    assert_int_equal(r->kids[1]->kids[0]->flags, AS_QF_PREFIX);
    assert_string_equal(r->kids[1]->kids[0]->origin, "complain*");
    assert_int_equal(r->kids[2]->flags, 0);
    assert_string_equal(r->kids[2]->origin, "team around");
    as_query_free(q);

    q = parse_ok(f, "co production", NULL);
    assert_int_equal(q->root->flags, AS_QF_COMPOUND);
    assert_int_equal(q->root->acronym, -1);
    assert_int_equal(q->root->kids[1]->flags, AS_QF_COMPOUND);
    as_query_free(q);

    /* lower case and a lexicon without a table: never an acronym */
    q = parse_ok(f, "sar", NULL);
    assert_int_equal(q->nacronyms_used, 0);
    as_query_free(q);
    as_lexicon bare = f->lex;
    bare.acronyms = NULL;
    as_err err = {0};
    assert_int_equal(as_query_parse("SAR technology enabled care", 27, f->an, &bare, NULL, &q,
                                    &err), AS_OK);
    char out[256];
    assert_int_equal(as_query_dump(q->root, out, sizeof out), AS_OK);
    assert_string_equal(out, "(AND sar technolog enabl care)");
    as_query_free(q);
}

/* ---- Prefix limits --------------------------------------------------------- */

static void test_prefix_limits(void **state)
{
    fixture *f = *state;
    char out[1024];
    as_query_opts o = {.max_expansion = 2};
    as_query *q = NULL;
    assert_int_equal(run(f, "complain* learning", &o, out, sizeof out, &q), AS_OK);
    assert_string_equal(out, "(AND (OR complain complainant) learn)");
    assert_int_equal(q->truncated_prefix, 1);
    as_query_free(q);
    o.max_expansion = 3; /* exactly enough: not truncated */
    assert_int_equal(run(f, "complain*", &o, out, sizeof out, &q), AS_OK);
    assert_string_equal(out, "(OR complain complainant complaint)");
    assert_int_equal(q->truncated_prefix, 0);
    as_query_free(q);
    /* the default (1000) is far above this lexicon: every ad-term */
    assert_int_equal(run(f, "ad*", NULL, out, sizeof out, &q), AS_OK);
    assert_string_equal(out, "(OR adass address adult)");
    assert_int_equal(q->truncated_prefix, 0);
    as_query_free(q);
    /* ^acronym terms never come out of an expansion, even when asked for */
    assert_int_equal(run(f, "^sa*", NULL, out, sizeof out, NULL), AS_OK);
    assert_string_equal(out, "(OR safeguard sar)");
    /* no lexicon: nothing can match */
    as_lexicon none = {0};
    assert_int_equal(as_query_parse("complain*", 9, f->an, &none, NULL, &q, NULL), AS_OK);
    assert_int_equal(as_query_dump(q->root, out, sizeof out), AS_OK);
    assert_string_equal(out, "(NOTHING)");
    as_query_free(q);
    assert_int_equal(as_query_parse("complain*", 9, f->an, NULL, NULL, &q, NULL), AS_OK);
    assert_int_equal(q->root->op, AS_Q_NOTHING);
    assert_int_equal(q->root->flags, AS_QF_PREFIX);
    as_query_free(q);
}

/* ---- --any ----------------------------------------------------------------- */

static void test_any(void **state)
{
    fixture *f = *state;
    char out[1024];
    as_query_opts o = {.any = 1};
    static const struct {
        const char *q, *want;
    } cases[] = {
        {"learning hoarding", "(OR learn hoard)"},
        {"learning -hoarding complaints", "(ANDNOT (OR learn complaint) hoard)"},
        {"technology enabled care", "(OR technolog enabl care ^tec)"},
        {"co production", "(OR co product coproduct)"},
        {"a (b c)", "(OR a b c)"},
        {"SAR", "(OR ^sar (PHRASE safeguard@0 adult@1 review@2))"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        assert_int_equal(run(f, cases[i].q, &o, out, sizeof out, NULL), AS_OK);
        if (strcmp(out, cases[i].want))
            fail_msg("%s: got %s want %s", cases[i].q, out, cases[i].want);
    }
}

/* ---- literal (natural-language topics) ------------------------------------- */

static void test_literal(void **state)
{
    fixture *f = *state;
    char out[1024];
    as_query_opts o = {.literal = 1};
    static const struct {
        const char *q, *want;
    } cases[] = {
        {"learning from (SAR", "(AND learn from (OR ^sar (PHRASE safeguard@0 adult@1 review@2)))"},
        {"\"team OR -hoarding council:durham", "(AND team or hoard (PHRASE council@0 durham@1))"},
        {"complain* NOT", "(AND complain not)"},
        {"co-production", "(OR (PHRASE co@0 product@1) coproduct)"},
        {"technology enabled care)", "(OR (AND technolog enabl care) ^tec)"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        assert_int_equal(run(f, cases[i].q, &o, out, sizeof out, NULL), AS_OK);
        if (strcmp(out, cases[i].want))
            fail_msg("%s: got %s want %s", cases[i].q, out, cases[i].want);
    }
    assert_int_equal(run(f, "( ) \" -", &o, out, sizeof out, NULL), AS_ESYNTAX);
    assert_string_equal(out, "nothing to search for: the query has no words");
}

/* ---- Relaxation ------------------------------------------------------------ */

static void test_relax(void **state)
{
    fixture *f = *state;
    static const struct {
        const char *q, *want;
    } cases[] = {
        {"learning hoarding", "(OR learn hoard)"},
        {"learning", "learn"},
        {"learning -hoarding complaints", "(ANDNOT (OR learn complaint) hoard)"},
        {"SAR learning", "(OR (OR ^sar (PHRASE safeguard@0 adult@1 review@2)) learn)"},
        {"technology enabled care hoarding", "(OR technolog enabl care ^tec hoard)"},
        {"co production", "(OR co product coproduct)"},
        {"a b OR c d", "(OR a b c d)"},
        {"co-production hoarding", "(OR (OR (PHRASE co@0 product@1) coproduct) hoard)"},
        {"\"team around\" hoarding", "(OR (PHRASE team@0 around@1) hoard)"},
        {"council:durham", ""},
    };
    char out[1024];
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        as_query *q = parse_ok(f, cases[i].q, NULL), *r = NULL;
        as_err err = {0};
        assert_int_equal(as_query_relax(q, &r, &err), AS_OK);
        as_query_free(q); /* the relaxed query owns all its memory */
        assert_int_equal(as_query_dump(r->root, out, sizeof out), AS_OK);
        if (strcmp(out, cases[i].want))
            fail_msg("relax %s: got %s want %s", cases[i].q, out, cases[i].want);
        as_query_free(r);
    }
    /* filters, acronyms and the truncation note carry over */
    as_query_opts o = {.max_expansion = 1};
    as_query *q = parse_ok(f, "SAR complain* council:durham council:york score:<=2 "
                              "year:2023", &o), *r = NULL;
    assert_int_equal(as_query_relax(q, &r, NULL), AS_OK);
    as_query_free(q);
    assert_int_equal(r->filter.ncouncils, 2);
    assert_string_equal(r->filter.councils[1], "york");
    assert_int_equal(r->filter.scores, 6);
    assert_int_equal(r->filter.year_min, 2023);
    assert_int_equal(r->nacronyms_used, 1);
    assert_int_equal(r->acronyms_used[0], acro_index_of(f, "SAR"));
    assert_int_equal(r->truncated_prefix, 1);
    assert_string_equal(r->root->kids[0]->origin, "SAR");
    as_query_free(r);
    assert_int_equal(as_query_relax(NULL, &r, NULL), AS_EINVAL);
}

/* ---- Dump ------------------------------------------------------------------ */

static void test_dump(void **state)
{
    fixture *f = *state;
    as_query *q = parse_ok(f, "learning -hoarding", NULL);
    char small[8];
    assert_int_equal(as_query_dump(q->root, small, sizeof small), AS_ELIMIT);
    assert_string_equal(small, "(ANDNOT");
    char exact[24];
    assert_int_equal(as_query_dump(q->root, exact, sizeof exact), AS_OK);
    assert_string_equal(exact, "(ANDNOT learn hoard)");
    assert_int_equal(as_query_dump(q->root, exact, 20), AS_ELIMIT);
    assert_string_equal(exact, "(ANDNOT learn hoard");
    assert_int_equal(as_query_dump(q->root, NULL, 10), AS_EINVAL);
    assert_int_equal(as_query_dump(NULL, exact, sizeof exact), AS_OK);
    assert_string_equal(exact, "");
    as_query_free(q);
    as_query_free(NULL);
}

/* ---- Limits and hostile input ----------------------------------------------- */

static void test_limits(void **state)
{
    fixture *f = *state;
    char out[256];
    size_t n = 4097;
    char *big = malloc(n + 1);
    assert_non_null(big);
    memset(big, 'a', n);
    big[n] = '\0';
    expect_error(state, big, AS_ELIMIT, "query too long (4097 bytes, limit 4096)");
    big[4096] = '\0'; /* exactly at the limit: one long word, cut by the analyzer */
    assert_int_equal(run(f, big, NULL, out, sizeof out, NULL), AS_OK);
    as_query_opts o = {.max_length = 10};
    assert_int_equal(run(f, "learning hoarding", &o, out, sizeof out, NULL), AS_ELIMIT);
    assert_string_equal(out, "query too long (17 bytes, limit 10)");
    free(big);

    /* 32 levels of ( ) are fine, 33 are not */
    char deep[200];
    size_t k = 0;
    for (int i = 0; i < 32; i++)
        deep[k++] = '(';
    deep[k++] = 'a';
    for (int i = 0; i < 32; i++)
        deep[k++] = ')';
    deep[k] = '\0';
    expect_tree(state, deep, "a");
    k = 0;
    for (int i = 0; i < 33; i++)
        deep[k++] = '(';
    deep[k++] = 'a';
    deep[k] = '\0';
    expect_error(state, deep, AS_ELIMIT,
                 "parentheses nested too deeply (more than 32) at column 33");

    /* 10000 terms are fine, 10001 are not */
    size_t words = 10001;
    char *many = malloc(words * 2 + 1);
    assert_non_null(many);
    for (size_t i = 0; i < words; i++) {
        many[2 * i] = 'x';
        many[2 * i + 1] = ' ';
    }
    many[words * 2] = '\0';
    as_query_opts lo = {.max_length = 1 << 20};
    as_query *q = NULL;
    as_err err = {0};
    assert_int_equal(as_query_parse(many, words * 2, f->an, &f->lex, &lo, &q, &err), AS_ELIMIT);
    assert_null(q);
    assert_string_equal(err.msg, "query too complex (more than 10000 terms)");
    assert_int_equal(as_query_parse(many, (words - 1) * 2, f->an, &f->lex, &lo, &q, &err),
                     AS_OK);
    assert_int_equal(q->root->nkids, 10000);
    as_query_free(q);
    free(many);

    /* bad arguments */
    assert_int_equal(as_query_parse("a", 1, NULL, &f->lex, NULL, &q, &err), AS_EINVAL);
    assert_int_equal(as_query_parse(NULL, 1, f->an, &f->lex, NULL, &q, &err), AS_EINVAL);
    assert_int_equal(as_query_parse(NULL, 0, f->an, &f->lex, NULL, &q, &err), AS_OK);
    assert_null(q->root);
    as_query_free(q);
    assert_int_equal(as_query_parse("a", 1, f->an, &f->lex, NULL, NULL, &err), AS_EINVAL);
}

static void test_hostile(void **state)
{
    fixture *f = *state;
    char out[4096];
    /* invalid UTF-8 separates words; NUL is a space */
    expect_tree(state, "learning\xff\xfehoarding", "(PHRASE learn@0 hoard@1)");
    static const char nul[] = "learning\0hoarding";
    as_query *q = NULL;
    assert_int_equal(as_query_parse(nul, sizeof nul - 1, f->an, &f->lex, NULL, &q, NULL), AS_OK);
    assert_int_equal(as_query_dump(q->root, out, sizeof out), AS_OK);
    assert_string_equal(out, "(AND learn hoard)");
    as_query_free(q);
    expect_error(state, "\xe2\x80", AS_ESYNTAX, "nothing to search for: the query has no words");
    expect_tree(state, "learning\xc2\xa0hoarding", "(AND learn hoard)"); /* no-break space */

    /* Random bytes drawn from the query language's alphabet: every parse
     * either succeeds with a tree that dumps, or fails with a message. */
    static const char *const atoms[] = {
        "a", "b", "SAR", "TEC", "technology", "enabled", "care", "co-production", "(", ")",
        "\"", "\xe2\x80\x9c", "\xe2\x80\x9d", "OR", "NOT", "AND", "-", "*", "com*", "score:",
        "score:2", "council:", "year:2023", "kind:x", "\xff", "\xc3", "'", " ", " ", " ",
    };
    unsigned seed = 12345;
    for (int iter = 0; iter < 3000; iter++) {
        char qbuf[256];
        size_t len = 0;
        int natoms = 1 + (int)((seed >> 16) % 12);
        for (int i = 0; i < natoms; i++) {
            seed = seed * 1103515245u + 12345u;
            const char *a = atoms[(seed >> 16) % (sizeof atoms / sizeof *atoms)];
            size_t al = strlen(a);
            if (len + al + 1 < sizeof qbuf) {
                memcpy(qbuf + len, a, al);
                len += al;
            }
        }
        seed = seed * 1103515245u + 12345u;
        as_err err = {0};
        int rc = as_query_parse(qbuf, len, f->an, &f->lex, NULL, &q, &err);
        if (rc == AS_OK) {
            assert_int_equal(as_query_dump(q->root, out, sizeof out), AS_OK);
            as_query *r = NULL;
            assert_int_equal(as_query_relax(q, &r, NULL), AS_OK);
            as_query_free(r);
            as_query_free(q);
        } else {
            assert_true(rc == AS_ESYNTAX || rc == AS_ELIMIT);
            assert_true(err.msg[0] != '\0');
            assert_null(strchr(err.msg, '\n'));
            assert_null(q);
        }
    }
}

/* ---- Query terms are index terms ------------------------------------------ */

static int in_lexicon(const fixture *f, const char *t)
{
    size_t lo = 0, hi = f->nterms;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        int c = strcmp(f->terms[mid], t);
        if (c == 0)
            return 1;
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return 0;
}

static size_t check_leaves(const fixture *f, const as_qnode *n, const char *q)
{
    if (n->op == AS_Q_TERM) {
        if (!in_lexicon(f, n->term))
            fail_msg("query [%s]: term %s is not in the index", q, n->term);
        return 1;
    }
    size_t k = 0;
    for (size_t i = 0; i < n->nkids; i++)
        k += check_leaves(f, n->kids[i], q);
    return k;
}

/* Every word of the real sentences, typed as a query, gives only terms the
 * indexer gave those sentences (stems, joined compounds, ^acronyms, the
 * words of expansions), and every sentence typed as a phrase is exactly its
 * analyzer tokens at their positions. */
static void test_words_match_index(void **state)
{
    fixture *f = *state;
    size_t nwords = 0, nleaves = 0;
    for (size_t i = 0; i < sizeof sentences / sizeof *sentences; i++) {
        const char *s = sentences[i];
        for (const char *w = s; *w;) {
            while (*w == ' ')
                w++;
            const char *e = w;
            while (*e && *e != ' ')
                e++;
            /* drop what the query language would read as operators */
            char word[128];
            size_t n = 0;
            for (const char *c = w; c < e && n + 1 < sizeof word; c++)
                if (!strchr("()\"*:", *c) && !(c == w && *c == '-'))
                    word[n++] = *c;
            word[n] = '\0';
            w = e;
            if (n == 0 || !strcmp(word, "OR") || !strcmp(word, "NOT") || !strcmp(word, "AND"))
                continue;
            as_query *q = NULL;
            as_err err = {0};
            assert_int_equal(as_query_parse(word, n, f->an, &f->lex, NULL, &q, &err), AS_OK);
            if (q->root)
                nleaves += check_leaves(f, q->root, word);
            nwords++;
            as_query_free(q);
        }
        /* the sentence as a phrase */
        char buf[1024];
        size_t n = strlen(s);
        assert_true(n + 3 < sizeof buf);
        buf[0] = '"';
        memcpy(buf + 1, s, n);
        buf[n + 1] = '"';
        buf[n + 2] = '\0';
        as_query *q = NULL;
        assert_int_equal(as_query_parse(buf, n + 2, f->an, &f->lex, NULL, &q, NULL), AS_OK);
        const as_token *t;
        size_t nt;
        assert_int_equal(as_analyze(f->an, s, n, &t, &nt), AS_OK);
        assert_int_equal(q->root->op, AS_Q_PHRASE);
        size_t k = 0;
        for (size_t j = 0; j < nt; j++) {
            if (t[j].flags & (AS_TOK_JOINED | AS_TOK_ACRONYM))
                continue;
            assert_true(k < q->root->nkids);
            const as_qnode *kid = q->root->kids[k++];
            assert_int_equal(strlen(kid->term), t[j].len);
            assert_memory_equal(kid->term, t[j].term, t[j].len);
            assert_int_equal(kid->offset, t[j].pos - t[0].pos);
        }
        assert_int_equal(k, q->root->nkids);
        as_query_free(q);
    }
    assert_true(nwords > 300);
    assert_true(nleaves >= nwords);
}

/* The acronym table's analysed expansions are built by the first parse
 * and kept with the table (its memo): later parses reuse them, and a
 * change of the table is seen by the next parse. */
static void test_table_memo(void **state)
{
    fixture *f = *state;
    fixture g = *f;
    assert_int_equal(as_acrotab_new(&g.acro), AS_OK);
    assert_int_equal(as_acrotab_merge(g.acro, f->acro), AS_OK);
    g.lex.ctx = &g;
    g.lex.acronyms = g.acro;
    char out[4096];
    assert_null(as_acrotab_memo(g.acro));
    assert_int_equal(run(&g, "hoarding panel", NULL, out, sizeof out, NULL), AS_OK);
    assert_string_equal(out, "(AND hoard panel)");
    const void *m = as_acrotab_memo(g.acro);
    assert_non_null(m);
    assert_int_equal(run(&g, "learning Safeguarding Adults Reviews", NULL, out, sizeof out,
                         NULL), AS_OK);
    assert_string_equal(out, "(AND learn (OR (AND safeguard adult review) ^sar))");
    assert_ptr_equal(as_acrotab_memo(g.acro), m); /* reused, not rebuilt */

    /* a new definition: the next parse knows it */
    assert_int_equal(as_acrotab_add(g.acro, "HP", "Hoarding Panel", 2, 0), AS_OK);
    assert_null(as_acrotab_memo(g.acro));
    as_query *q = NULL;
    assert_int_equal(run(&g, "hoarding panel", NULL, out, sizeof out, &q), AS_OK);
    assert_string_equal(out, "(OR (AND hoard panel) ^hp)");
    size_t hp;
    assert_int_equal(as_acrotab_find_index(g.acro, "HP", 2, &hp), AS_OK);
    assert_int_equal(q->nacronyms_used, 1);
    assert_int_equal(q->acronyms_used[0], (int)hp);
    as_query_free(q);
    assert_non_null(as_acrotab_memo(g.acro));
    /* SAR moved up by one entry: its index follows */
    assert_int_equal(run(&g, "SAR", NULL, out, sizeof out, &q), AS_OK);
    assert_string_equal(out, "(OR ^sar (PHRASE safeguard@0 adult@1 review@2))");
    assert_int_equal(q->acronyms_used[0], acro_index_of(&g, "SAR"));
    as_query_free(q);
    /* "panel" alone is the head of HP's expansion, but ^hp is not indexed */
    assert_int_equal(run(&g, "panel", NULL, out, sizeof out, NULL), AS_OK);
    assert_string_equal(out, "panel");
    /* an expansion with a repeated term: its first place counts */
    assert_int_equal(as_acrotab_add(g.acro, "PHP", "panel hoarding panel", 2, 0), AS_OK);
    assert_int_equal(run(&g, "panel hoarding panel", NULL, out, sizeof out, NULL), AS_OK);
    assert_string_equal(out, "(OR (AND panel hoard panel) ^php)");
    /* an entry is analysed only when a query term may start like one of
     * its words: non-ASCII and digit-first words are such starts too */
    assert_int_equal(as_acrotab_add(g.acro, "EN", "\xc3\x89migr\xc3\xa9 Network", 2, 0), AS_OK);
    assert_int_equal(as_acrotab_add(g.acro, "TST", "24/7 Support Team", 2, 0), AS_OK);
    assert_int_equal(run(&g, "emigre network", NULL, out, sizeof out, NULL), AS_OK);
    assert_string_equal(out, "(OR (AND emigr network) ^en)");
    assert_int_equal(run(&g, "hoarding 24/7 support TEAM", NULL, out, sizeof out, NULL),
                     AS_OK);
    assert_string_equal(out, "(AND hoard (OR (AND 24/7 support team) ^tst))");
    /* a stem need not keep a word's second letter (dying -> die), and a
     * word's second byte need not be its term's (O'Neill -> oneil) */
    assert_int_equal(as_acrotab_add(g.acro, "DPT", "Dying People Team", 2, 0), AS_OK);
    assert_int_equal(as_acrotab_add(g.acro, "ONC", "O'Neill Centre", 2, 0), AS_OK);
    assert_int_equal(run(&g, "dying people team", NULL, out, sizeof out, NULL), AS_OK);
    assert_string_equal(out, "(OR (AND die peopl team) ^dpt)");
    assert_int_equal(run(&g, "oneill centre", NULL, out, sizeof out, NULL), AS_OK);
    assert_string_equal(out, "(OR (AND oneil centr) ^onc)");
    as_acrotab_free(g.acro);
}

/* What the acronym matching skips on (query.c, exptab): a word's term keeps
 * the word's first letter and its second (but y -> i), or has one letter.
 * A canary for another libstemmer: 300,000 pseudo-random words, vowel-rich
 * so that suffix rules fire, and the protected words. */
static void test_stem_prefix_property(void **state)
{
    fixture *f = *state;
    static const char *const fixed[] = {"dying", "lying", "tying", "skies", "commissioner",
                                        "carefully", "universities", "providers", "aed",
                                        "eing", "ying", "yes", "by", "a"};
    uint32_t x = 12345;
    char w[16];
    for (long i = 0; i < 300000 + (long)(sizeof fixed / sizeof fixed[0]); i++) {
        size_t n;
        if (i < (long)(sizeof fixed / sizeof fixed[0])) {
            n = strlen(fixed[i]);
            memcpy(w, fixed[i], n);
        } else {
            x = x * 1103515245u + 12345u;
            n = 1 + (x >> 16) % 10;
            for (size_t k = 0; k < n; k++) {
                x = x * 1103515245u + 12345u;
                unsigned r = (x >> 16) % 100;
                w[k] = r < 45 ? "aeiouy"[r % 6] : (char)('a' + r % 26);
            }
        }
        const char *t;
        size_t tl;
        assert_int_equal(as_analyze_word(f->an, w, n, &t, &tl), AS_OK);
        if (tl < 1 || t[0] != w[0]
            || (tl >= 2 && n >= 2 && t[1] != w[1] && !(w[1] == 'y' && t[1] == 'i')))
            fail_msg("[%.*s] -> [%.*s]", (int)n, w, (int)tl, t);
    }
}

/* Threads sharing one table (each with its own analyzer, as analyze.h
 * asks) build its prepared entries at the same time: every parse gives the
 * tree a lone parse gives. */
typedef struct par_job {
    fixture *f;
    const char *const *qs;
    size_t nq;
    char (*want)[512];
    int bad;
} par_job;

static void *par_worker(void *arg)
{
    par_job *j = arg;
    fixture g = *j->f;
    if (as_analyzer_new(&g.an) != AS_OK) {
        j->bad = 1;
        return NULL;
    }
    for (int round = 0; round < 20; round++)
        for (size_t i = 0; i < j->nq; i++) {
            as_query *q = NULL;
            as_err err = {0};
            char out[512];
            if (as_query_parse(j->qs[i], strlen(j->qs[i]), g.an, &g.lex, NULL, &q, &err)
                    != AS_OK
                || as_query_dump(q->root, out, sizeof out) != AS_OK || strcmp(out, j->want[i]))
                j->bad = 1;
            as_query_free(q);
        }
    as_analyzer_free(g.an);
    return NULL;
}

static void test_table_threads(void **state)
{
    fixture *f = *state;
    static const char *const qs[] = {
        "ombudsman", "Safeguarding Adults Reviews", "technology enabled care learning",
        "Deprivations of Liberty Safeguards", "care", "Local Government and Social Care Ombudsman",
        "reviews", "hoarding", "SAR", "association of directors of adult social services",
    };
    enum { NQ = sizeof qs / sizeof qs[0], NT = 4 };
    char want[NQ][512];
    for (size_t i = 0; i < NQ; i++)
        assert_int_equal(run(f, qs[i], NULL, want[i], sizeof want[i], NULL), AS_OK);
    for (int trial = 0; trial < 5; trial++) {
        fixture g = *f; /* a fresh table: no entry prepared yet */
        assert_int_equal(as_acrotab_new(&g.acro), AS_OK);
        assert_int_equal(as_acrotab_merge(g.acro, f->acro), AS_OK);
        g.lex.ctx = &g;
        g.lex.acronyms = g.acro;
        pthread_t th[NT];
        par_job jobs[NT];
        for (int t = 0; t < NT; t++) {
            jobs[t] = (par_job){&g, qs, NQ, want, 0};
            assert_int_equal(pthread_create(&th[t], NULL, par_worker, &jobs[t]), 0);
        }
        for (int t = 0; t < NT; t++) {
            assert_int_equal(pthread_join(th[t], NULL), 0);
            assert_int_equal(jobs[t].bad, 0);
        }
        as_acrotab_free(g.acro);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_trees),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_filters),
        cmocka_unit_test(test_add_filter),
        cmocka_unit_test(test_provenance),
        cmocka_unit_test(test_prefix_limits),
        cmocka_unit_test(test_any),
        cmocka_unit_test(test_literal),
        cmocka_unit_test(test_relax),
        cmocka_unit_test(test_dump),
        cmocka_unit_test(test_limits),
        cmocka_unit_test(test_hostile),
        cmocka_unit_test(test_words_match_index),
        cmocka_unit_test(test_table_memo),
        cmocka_unit_test(test_stem_prefix_property),
        cmocka_unit_test(test_table_threads),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
