/*
 * test_reader.c — the page reader (reader.c) on the two real reports of the
 * bundled corpus and on a fixture for every page shape and every kind of
 * bad input (tests/fixtures/pages/).  Each test asserts exact metadata,
 * kinds, sections, line numbers and sentence texts, or the exact status and
 * message.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

#include "dump.h"
#include "reader.h"
#include "segment.h"

/* ---- helpers ----------------------------------------------------------- */

static char srcdir[2048];

static const char *src(const char *rel, char *buf, size_t n)
{
    if ((size_t)snprintf(buf, n, "%s/%s", srcdir, rel) >= n)
        fail_msg("path too long: %s", rel);
    return buf;
}

static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *b = malloc((size_t)n + 1);
    assert_non_null(b);
    assert_int_equal(fread(b, 1, (size_t)n, f), (size_t)n);
    b[n] = '\0';
    fclose(f);
    *len = (size_t)n;
    return b;
}

/* Warnings collected for assertions. */
struct warns {
    int n;
    char last[512];
    char all[4096];
};

static void collect(void *ctx, const char *path, const char *reason)
{
    struct warns *w = ctx;
    w->n++;
    snprintf(w->last, sizeof w->last, "%s: %s", path, reason);
    size_t l = strlen(w->all);
    snprintf(w->all + l, sizeof w->all - l, "%s\n", reason);
}

/* Reads a file of the source tree as the walker would present it. */
static int read_rel(const char *rel, const as_meta *man, struct warns *w, as_page **p,
                    uint32_t *crc, as_err *err)
{
    char abs[4096];
    src(rel, abs, sizeof abs);
    char *canon = realpath(abs, NULL);
    assert_non_null(canon);
    as_file f = {canon, (char *)rel, man, 0, 0};
    int rc = as_page_read(&f, collect, w, p, crc, err);
    free(canon);
    return rc;
}

/* Compares the sentences with an expected list: line<TAB>kind<TAB>text. */
static void match_expected(const as_page *p, const char *rel)
{
    char path[4096];
    size_t len;
    char *exp = slurp(src(rel, path, sizeof path), &len);
    size_t i = 0;
    for (char *line = strtok(exp, "\n"); line; line = strtok(NULL, "\n"), i++) {
        char *t1 = strchr(line, '\t');
        assert_non_null(t1);
        char *t2 = strchr(t1 + 1, '\t');
        assert_non_null(t2);
        *t1 = *t2 = '\0';
        assert_true(i < p->nsents);
        assert_int_equal(p->sents[i].line, strtoul(line, NULL, 10));
        assert_string_equal(as_kind_name(p->sents[i].kind), t1 + 1);
        assert_string_equal(p->sents[i].text, t2 + 1);
        /* the writer stores len bytes: a wrapped sentence is shorter cleaned */
        assert_int_equal(p->sents[i].len, strlen(p->sents[i].text));
    }
    assert_int_equal(i, p->nsents);
    free(exp);
}

static const as_sentence *find_text(const as_page *p, const char *text)
{
    for (size_t i = 0; i < p->nsents; i++)
        if (strcmp(p->sents[i].text, text) == 0)
            return &p->sents[i];
    return NULL;
}

static int contains(const as_page *p, const char *needle)
{
    for (size_t i = 0; i < p->nsents; i++)
        if (strstr(p->sents[i].text, needle))
            return 1;
    return 0;
}

/* ---- the real reports -------------------------------------------------- */

static void lincolnshire(void **state)
{
    (void)state;
    struct warns w = {0};
    as_page *p;
    as_err err;
    uint32_t crc = 0;
    assert_int_equal(read_rel("corpus/lincolnshire-county-council/learning-improvement-and-innovation.txt",
                              NULL, &w, &p, &crc, &err), AS_OK);
    assert_int_equal(w.n, 0);
    assert_int_equal(p->nwarnings, 0);
    assert_string_equal(p->path, "corpus/lincolnshire-county-council/learning-improvement-and-innovation.txt");
    assert_int_equal(p->nmetas, 1);
    const as_meta *m = &p->metas[0];
    assert_string_equal(m->council, "Lincolnshire County Council");
    assert_int_equal(m->statement, 9);
    assert_int_equal(as_statement_theme(m->statement), 4);
    assert_int_equal(m->score, 3);
    assert_int_equal(m->published, 20231117);
    assert_int_equal(m->updated, 20231120);
    assert_int_equal(p->overall_percent, -1);
    assert_null(p->overall_rating);
    match_expected(p, "tests/fixtures/expected/lincolnshire.tsv");

    const as_sentence *s = find_text(p, "One of the areas was the further development of technology enabled care (TEC).");
    assert_non_null(s);
    assert_int_equal(s->kind, AS_KIND_FINDING);
    assert_ptr_equal(s->meta, &p->metas[0]);
    assert_string_equal(s->section, "Key findings for this quality statement");
    assert_int_equal(s->line, 25);
    assert_int_equal(s->paragraph, 5);
    assert_int_equal(s->sentence, 2);
    assert_null(s->id);

    /* The commitment paragraph, sentence by sentence. */
    for (int k = 0; k < 3; k++) {
        assert_int_equal(p->sents[k].kind, AS_KIND_COMMITMENT);
        assert_string_equal(p->sents[k].section, "The local authority commitment");
        assert_int_equal(p->sents[k].paragraph, 1);
        assert_int_equal(p->sents[k].sentence, (uint32_t)k + 1);
    }
    assert_int_equal(p->sents[3].kind, AS_KIND_FINDING);
    assert_false(contains(p, "Downloads"));
    assert_false(contains(p, "Indicative score"));
    assert_false(contains(p, "Evidence shows a good standard"));
    assert_false(contains(p, "Published"));
    assert_false(contains(p, "Key findings"));
    /* zlib crc32 of the file bytes (`python3 -c 'import zlib;...'`). */
    assert_int_equal(crc, 0xe02f5a0fu);
    as_page_free(p);
}

static void durham(void **state)
{
    (void)state;
    struct warns w = {0};
    as_page *p;
    as_err err;
    as_meta man = {"Durham County Council", 0, 0, 0, 0};
    assert_int_equal(read_rel("corpus/durham-county-council/learning-improvement-and-innovation.txt",
                              &man, &w, &p, NULL, &err), AS_OK);
    assert_int_equal(w.n, 0);
    assert_int_equal(p->nmetas, 1);
    const as_meta *m = &p->metas[0];
    assert_string_equal(m->council, "Durham County Council");
    assert_ptr_not_equal(m->council, man.council); /* the page owns its copy */
    assert_int_equal(m->statement, 9);
    assert_int_equal(m->score, 3);
    assert_int_equal(m->published, 0);
    assert_int_equal(m->updated, 0);
    match_expected(p, "tests/fixtures/expected/durham.tsv");

    const as_sentence *s = find_text(p, "Local authority data showed that there were 118 complaints received between February 2023 and January 2024.");
    assert_non_null(s);
    assert_int_equal(s->kind, AS_KIND_FINDING);
    assert_string_equal(s->section, "Learning from feedback");
    assert_int_equal(s->line, 45);
    assert_int_equal(s->sentence, 2);

    s = find_text(p, "Continuous learning, improvement and professional development");
    assert_non_null(s);
    assert_int_equal(s->kind, AS_KIND_HEADING);
    assert_int_equal(s->line, 15);
    assert_string_equal(s->section, "Key findings for this quality statement");
    s = find_text(p, "There was a positive culture of continuous learning and improvement in the local authority.");
    assert_non_null(s);
    assert_string_equal(s->section, "Continuous learning, improvement and professional development");
    s = find_text(p, "Learning from feedback");
    assert_non_null(s);
    assert_int_equal(s->kind, AS_KIND_HEADING);
    assert_string_equal(s->section, "Key findings for this quality statement");
    assert_false(contains(p, "Score"));
    assert_false(contains(p, "Evidence shows"));
    as_page_free(p);
}

/* Without the manifest the page does not say whose it is: unknown, not a
 * name guessed from the directory slug. */
static void durham_without_manifest(void **state)
{
    (void)state;
    struct warns w = {0};
    as_page *p;
    as_err err;
    assert_int_equal(read_rel("corpus/durham-county-council/learning-improvement-and-innovation.txt",
                              NULL, &w, &p, NULL, &err), AS_OK);
    assert_null(p->metas[0].council);
    assert_int_equal(p->metas[0].statement, 9);
    as_page_free(p);
}

/* ---- page shapes (tests/fixtures/pages) -------------------------------- */

struct exp {
    uint32_t line, paragraph, sentence;
    int kind;
    const char *section;
    const char *text;
};

static void match(const as_page *p, const struct exp *e, size_t n)
{
    for (size_t i = 0; i < n && i < p->nsents; i++) {
        assert_string_equal(p->sents[i].text, e[i].text);
        assert_int_equal(p->sents[i].line, e[i].line);
        assert_int_equal(p->sents[i].paragraph, e[i].paragraph);
        assert_int_equal(p->sents[i].sentence, e[i].sentence);
        assert_int_equal(p->sents[i].kind, e[i].kind);
        if (e[i].section)
            assert_string_equal(p->sents[i].section, e[i].section);
        else
            assert_null(p->sents[i].section);
    }
    assert_int_equal(p->nsents, n);
}

#define F AS_KIND_FINDING
#define H AS_KIND_HEADING
#define C AS_KIND_COMMITMENT
#define X AS_KIND_EXPECTATION
#define KF "Key findings for this quality statement"
#define NEXP(a) (sizeof(a) / sizeof((a)[0]))

static as_page *fixture(const char *name, const as_meta *man, struct warns *w)
{
    char rel[512];
    snprintf(rel, sizeof rel, "tests/fixtures/pages/%s", name);
    as_page *p = NULL;
    as_err err = {0};
    int rc = read_rel(rel, man, w, &p, NULL, &err);
    if (rc != AS_OK)
        fail_msg("%s: %d %s", name, rc, err.msg);
    return p;
}

/* 2024 shape: "<Council>: local authority assessment", "Assessment
 * published:", start date ignored, Markdown headings, statement words in
 * another order, en dash score label, "-" bullets as I-statements. */
static void shape_2024_markdown(void **state)
{
    (void)state;
    struct warns w = {0};
    as_page *p = fixture("title-2024.md", NULL, &w);
    assert_int_equal(w.n, 0);
    assert_int_equal(p->nmetas, 1);
    assert_string_equal(p->metas[0].council, "Birmingham City Council");
    assert_int_equal(p->metas[0].statement, 6);
    assert_int_equal(p->metas[0].score, 2);
    assert_int_equal(p->metas[0].published, 20240517);
    assert_int_equal(p->metas[0].updated, 0);
    static const struct exp e[] = {
        {15, 1, 1, X, "What people expect", "When I move between services or settings, there is a plan for what happens next."},
        {16, 2, 1, X, "What people expect", "I feel safe and am supported to understand and manage any risks."},
        {20, 3, 1, C, "The local authority commitment", "We work with people and our partners to establish and maintain safe systems of care."},
        {20, 3, 2, C, "The local authority commitment", "We make sure there is continuity of care."},
        {24, 4, 1, H, KF, "Safety management"},
        {26, 5, 1, F, "Safety management", "The local authority had a strategy for transitions."},
        {26, 5, 2, F, "Safety management", "Dr Patel, the principal social worker, led it."},
        {28, 6, 1, H, KF, "Safety during transitions"},
        {30, 7, 1, F, "Safety during transitions", "Young people moving to adult services (i.e. at 18) had plans."},
        {30, 7, 2, F, "Safety during transitions", "About 68.42% of them were reviewed on time."},
    };
    match(p, e, NEXP(e));
    as_page_free(p);
}

/* One paragraph per line, no blank lines, bare labels, "Score 2". */
static void shape_one_per_line(void **state)
{
    (void)state;
    struct warns w = {0};
    as_page *p = fixture("one-per-line.txt", NULL, &w);
    assert_int_equal(w.n, 0);
    assert_string_equal(p->metas[0].council, "Kent County Council");
    assert_int_equal(p->metas[0].statement, 1);
    assert_int_equal(p->metas[0].score, 2);
    assert_int_equal(p->metas[0].published, 20240301);
    assert_int_equal(p->metas[0].updated, 20240303);
    static const struct exp e[] = {
        {6, 1, 1, X, "What people expect", "I have care and support that is coordinated."},
        {7, 2, 1, X, "What people expect", "I can get information and advice about my health."},
        {9, 3, 1, C, "The local authority commitment", "We maximise the effectiveness of people\u2019s care."},
        {11, 4, 1, H, KF, "Assessment, care planning and review arrangements"},
        {12, 5, 1, F, "Assessment, care planning and review arrangements", "People waited too long for assessments."},
        {12, 5, 2, F, "Assessment, care planning and review arrangements", "Some waited over 6 months."},
        {13, 6, 1, F, "Assessment, care planning and review arrangements", "Staff were committed to people\u2019s wellbeing."},
    };
    match(p, e, NEXP(e));
    as_page_free(p);
}

/* CRLF, leading blank lines, no final newline, emphasised statement name
 * ("lead healthier lives"), score and label on one line, label with a
 * colon, a bare sub-heading followed by ---, wrapped lines, • bullets with
 * a wrapped continuation, curly quotes and £. */
static void shape_wrapped_crlf(void **state)
{
    (void)state;
    struct warns w = {0};
    as_page *p = fixture("wrapped-crlf.txt", NULL, &w);
    assert_int_equal(w.n, 0);
    assert_null(p->metas[0].council);
    assert_int_equal(p->metas[0].statement, 2);
    assert_int_equal(p->metas[0].score, 3);
    assert_int_equal(p->metas[0].published, 0);
    const char *sub = "Arranging services to prevent needs";
    static const struct exp e0[] = {{0, 0, 0, 0, NULL, NULL}};
    (void)e0;
    const struct exp e[] = {
        {9, 1, 1, H, KF, sub},
        {13, 2, 1, F, sub, "The local authority worked with \u201ccommunity connectors\u201d to reduce isolation."},
        {14, 2, 2, F, sub, "People told us they valued the service."},
        {17, 3, 1, F, sub, "Carers\u2019 breaks were offered in every district."},
        {19, 4, 1, F, sub, "The \u201cLive Well\u201d directory cost \u00a3120,000 a year."},
        {21, 5, 1, F, sub, "The pilot ended in March 2024."},
    };
    match(p, e, NEXP(e));
    as_page_free(p);
}

/* Cookie banners and page chrome are dropped wherever they are. */
static void shape_noise(void **state)
{
    (void)state;
    struct warns w = {0};
    as_page *p = fixture("noise.txt", NULL, &w);
    assert_int_equal(p->metas[0].statement, 3);
    assert_int_equal(p->metas[0].score, 4);
    static const struct exp e[] = {
        {19, 1, 1, F, KF, "The local authority understood its population well."},
        {19, 1, 2, F, KF, "It used data to target support."},
    };
    match(p, e, NEXP(e));
    as_page_free(p);
}

/* A summary page: all nine statements with scores, an overall rating and
 * percentage, page text between, and one statement's findings. */
static void shape_summary(void **state)
{
    (void)state;
    struct warns w = {0};
    as_page *p = fixture("summary.txt", NULL, &w);
    assert_int_equal(w.n, 0);
    assert_int_equal(p->overall_percent, 45);
    assert_string_equal(p->overall_rating, "Requires improvement");
    assert_int_equal(p->nmetas, 12);
    static const int st[12] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 7};
    static const int sc[12] = {0, 2, 2, 2, 2, 3, 2, 2, 1, 3, 0, 2};
    for (int i = 0; i < 12; i++) {
        assert_int_equal(p->metas[i].statement, st[i]);
        assert_int_equal(p->metas[i].score, sc[i]);
        assert_string_equal(p->metas[i].council, "Nottingham City Council");
        assert_int_equal(p->metas[i].published, 20240705);
    }
    static const struct exp e[] = {
        {5, 1, 1, H, NULL, "Overall summary"},
        {51, 2, 1, H, NULL, "Summary of findings"},
        {53, 3, 1, F, "Summary of findings", "The local authority scored 45 out of 100."},
        {53, 3, 2, F, "Summary of findings", "Leaders were aware of the challenges."},
        {61, 4, 1, F, KF, "Safeguarding enquiries were not always timely."},
        {61, 4, 2, F, KF, "Some waited over 3 months."},
    };
    match(p, e, NEXP(e));
    assert_ptr_equal(p->sents[0].meta, &p->metas[0]);
    assert_ptr_equal(p->sents[2].meta, &p->metas[10]);
    assert_ptr_equal(p->sents[4].meta, &p->metas[11]);
    as_page_free(p);
}

/* Abbreviations, initials and decimals do not end sentences. */
static void shape_abbreviations(void **state)
{
    (void)state;
    struct warns w = {0};
    as_page *p = fixture("abbreviations.txt", NULL, &w);
    assert_int_equal(p->metas[0].statement, 8);
    assert_int_equal(p->metas[0].score, 0);
    static const struct exp e[] = {
        {5, 1, 1, F, KF, "Services, e.g. Day centres and respite, were reviewed by Dr. Jones and Mr Smith."},
        {5, 1, 2, F, KF, "J. R. Hartley chaired the board."},
        {5, 1, 3, F, KF, "No. 5 of the actions was overdue, i.e. Not started."},
        {5, 1, 4, F, KF, "Waiting lists fell by 12.5% in 2023."},
        {5, 1, 5, F, KF, "70.1% of people said they were satisfied."},
        {5, 1, 6, F, KF, "Was it enough?"},
        {5, 1, 7, F, KF, "The answer was no."},
        {5, 1, 8, F, KF, "The board met monthly (approx. 12 times a year.)"},
        {5, 1, 9, F, KF, "A review in the U.K. Government's style followed."},
    };
    match(p, e, NEXP(e));
    as_page_free(p);
}

/* Metadata precedence: manifest > page header > directory name (only a
 * directory written as a council's name) > unknown. */
static void precedence(void **state)
{
    (void)state;
    struct warns w = {0};
    as_page *p = fixture("Example Borough Council/partnerships.md", NULL, &w);
    assert_string_equal(p->metas[0].council, "Example Borough Council");
    assert_int_equal(p->metas[0].statement, 5);
    assert_int_equal(p->metas[0].score, 3);
    as_page_free(p);
    p = fixture("durham-county-council/partnerships.md", NULL, &w);
    assert_null(p->metas[0].council); /* a slug is not a name */
    as_page_free(p);
    as_meta man = {"Manifest Council", 4, 2, 20240101, 20240202};
    p = fixture("Example Borough Council/partnerships.md", &man, &w);
    assert_string_equal(p->metas[0].council, "Manifest Council");
    assert_int_equal(p->metas[0].statement, 4);
    assert_int_equal(p->metas[0].score, 2);
    assert_int_equal(p->metas[0].published, 20240101);
    assert_int_equal(p->metas[0].updated, 20240202);
    as_page_free(p);
    /* The page's title beats the directory; the manifest beats the title. */
    man = (as_meta){"Lincs", 0, 0, 0, 0};
    assert_int_equal(read_rel("corpus/lincolnshire-county-council/learning-improvement-and-innovation.txt",
                              &man, &w, &p, NULL, &(as_err){0}), AS_OK);
    assert_string_equal(p->metas[0].council, "Lincs");
    assert_int_equal(p->metas[0].published, 20231117); /* empty manifest field: page's */
    assert_int_equal(p->metas[0].statement, 9);
    as_page_free(p);
    /* A manifest statement rescues a page without one. */
    man = (as_meta){NULL, 7, 0, 0, 0};
    p = fixture("no-statement.txt", &man, &w);
    assert_int_equal(p->metas[0].statement, 7);
    assert_int_equal(p->nsents, 3);
    assert_string_equal(p->sents[0].text, "Council policies");
    assert_int_equal(p->sents[0].kind, AS_KIND_HEADING);
    as_page_free(p);
}

/* The .tsv findings format: one row one sentence, bad rows warned and
 * skipped, consecutive equal metadata shared. */
static void tsv_findings(void **state)
{
    (void)state;
    struct warns w = {0};
    as_page *p = fixture("findings.tsv", NULL, &w);
    assert_string_equal(w.all,
        "line 5: bad score \"5\"; row skipped\n"
        "line 6: bad published \"2024-02-30\"; row skipped\n"
        "line 7: bad kind \"statement\"; row skipped\n"
        "line 9: empty text; row skipped\n"
        "line 10: 11 fields, the header has 10; row skipped\n"
        "line 11: bad statement \"12\"; row skipped\n");
    assert_int_equal(w.n, 6);
    assert_int_equal(p->nwarnings, 6);
    assert_int_equal(p->nmetas, 2);
    assert_string_equal(p->metas[0].council, "Kent County Council");
    assert_int_equal(p->metas[0].statement, 1);
    assert_int_equal(p->metas[0].score, 2);
    assert_int_equal(p->metas[0].published, 20240301);
    assert_string_equal(p->metas[1].council, "Surrey County Council");
    assert_int_equal(p->metas[1].statement, 7);
    assert_int_equal(p->metas[1].score, 4);
    static const struct exp e[] = {
        {2, 1, 1, F, "Assessment, care planning and review arrangements", "People waited too long. Some waited 6 months."},
        {3, 2, 1, F, NULL, "Staff were committed."},
        {8, 3, 1, H, NULL, "Making safeguarding personal"},
    };
    match(p, e, NEXP(e));
    assert_string_equal(p->sents[0].id, "f1");
    assert_string_equal(p->sents[1].id, "f2");
    assert_string_equal(p->sents[2].id, "f6");
    assert_ptr_equal(p->sents[1].meta, &p->metas[0]);
    assert_ptr_equal(p->sents[2].meta, &p->metas[1]);
    as_page_free(p);
}

/* Smaller shapes, from memory buffers. */
static as_page *parse(const char *path, const char *text, struct warns *w)
{
    as_page *p = NULL;
    as_err err = {0};
    int rc = as_page_parse(path, text, strlen(text), NULL, collect, w, &p, &err);
    if (rc != AS_OK)
        fail_msg("%s: %d %s", path, rc, err.msg);
    return p;
}

static void shape_small(void **state)
{
    (void)state;
    struct warns w = {0};
    /* A lone score after "Indicative score", a conflicting label line
     * (warned, first kept), an unreadable date (warned). */
    as_page *p = parse("a.txt",
                       "Equity in experiences and outcomes\n\nIndicative score\n\n3\n\n"
                       "1 - Evidence shows significant shortfalls\n\n"
                       "Published: sometime in 2023\n\nText here.\n", &w);
    assert_int_equal(p->metas[0].score, 3);
    assert_int_equal(p->metas[0].published, 0);
    assert_string_equal(w.all, "conflicting score 1 at line 7 (kept 3)\nunrecognised date at line 9\n");
    assert_int_equal(p->nwarnings, 2);
    assert_int_equal(p->nsents, 1);
    as_page_free(p);
    /* A wrapped sentence is cleaned to one line: len is the cleaned text's
     * (the writer stores len bytes, never counting them again). */
    memset(&w, 0, sizeof w);
    p = parse("w.txt", "Equity in experiences and outcomes\n\n"
                       "Staff were\n   trained in\r\n  care.  Both  ways.\n", &w);
    const as_sentence *ws = find_text(p, "Staff were trained in care.");
    assert_non_null(ws);
    assert_int_equal(ws->len, strlen(ws->text));
    assert_non_null(ws = find_text(p, "Both  ways."));
    assert_int_equal(ws->len, strlen(ws->text));
    for (size_t i = 0; i < p->nsents; i++)
        assert_int_equal(p->sents[i].len, strlen(p->sents[i].text));
    as_page_free(p);
    /* Statement and score on one line, summary style; ratings. */
    memset(&w, 0, sizeof w);
    p = parse("b.md",
              "# Kent County Council: local authority assessment\n\n"
              "Overall rating: Good\n\nOverall score: 75%\n\n"
              "Assessing needs: 2\n\nSafeguarding \xe2\x80\x93 Score: 3 - Evidence shows a good standard\n\n"
              "## Summary\n\nThe council did well.\n", &w);
    assert_int_equal(w.n, 0);
    assert_string_equal(p->overall_rating, "Good");
    assert_int_equal(p->overall_percent, 75);
    assert_int_equal(p->nmetas, 3); /* no page text before the first statement */
    assert_int_equal(p->metas[0].statement, 1);
    assert_int_equal(p->metas[0].score, 2);
    assert_int_equal(p->metas[1].statement, 7);
    assert_int_equal(p->metas[1].score, 3);
    assert_int_equal(p->metas[2].statement, 0);
    assert_int_equal(p->nsents, 2);
    assert_string_equal(p->sents[0].text, "Summary");
    assert_ptr_equal(p->sents[0].meta, &p->metas[2]);
    assert_ptr_equal(p->sents[1].meta, &p->metas[2]);
    as_page_free(p);
    /* A statement heading inside findings that names another statement
     * without a score is a sub-heading; numbered lists are bullets; a
     * heading inside the commitment starts the findings. */
    memset(&w, 0, sizeof w);
    p = parse("c.txt",
              "Governance, management and sustainability\n\n"
              "The local authority commitment\n\nWe have clear responsibilities.\n\n"
              "Safeguarding arrangements\n\n1. Staff knew the policy.\n2) Audits were done.\n", &w);
    assert_int_equal(p->nmetas, 1);
    assert_int_equal(p->metas[0].statement, 8);
    static const struct exp e[] = {
        {5, 1, 1, C, "The local authority commitment", "We have clear responsibilities."},
        {7, 2, 1, H, "The local authority commitment", "Safeguarding arrangements"},
        {9, 3, 1, F, "Safeguarding arrangements", "Staff knew the policy."},
        {10, 4, 1, F, "Safeguarding arrangements", "Audits were done."},
    };
    match(p, e, NEXP(e));
    as_page_free(p);
    /* A .tsv with a byte-order mark, CRLF, columns in another order and
     * fewer fields than the header. */
    memset(&w, 0, sizeof w);
    p = parse("d.tsv", "\xEF\xBB\xBFtext\tkind\tscore\r\nOne finding.\tfinding\t2\r\nTwo.\r\n", &w);
    assert_int_equal(w.n, 0);
    assert_int_equal(p->nsents, 2);
    assert_string_equal(p->sents[1].text, "Two.");
    assert_int_equal(p->sents[1].line, 3);
    assert_int_equal(p->sents[0].meta->score, 2);
    assert_int_equal(p->sents[1].meta->score, 0);
    as_page_free(p);
    /* Tabs found 16 bytes at a time: fields on both sides of a 16-byte
     * boundary, padded (trimmed), a tab as the 16th and 17th byte of a
     * row, and a row with one field too many past the first 16 bytes. */
    memset(&w, 0, sizeof w);
    p = parse("e.tsv",
              "kind\tx\tscore\ttext\n"
              "finding \t  0123456789\t3\t  A long enough first row.  \n"
              "finding\t012345\t\tSecond.\n"
              "finding\t0123456789abcdef\t1\tThird.\tstray\n"
              "finding\t0123456\t\t1\t\n",
              &w);
    assert_string_equal(w.all,
        "line 4: 5 fields, the header has 4; row skipped\n"
        "line 5: 5 fields, the header has 4; row skipped\n");
    assert_int_equal(p->nsents, 2);
    assert_string_equal(p->sents[0].text, "A long enough first row.");
    assert_int_equal(p->sents[0].meta->score, 3);
    assert_string_equal(p->sents[1].text, "Second.");
    assert_int_equal(p->sents[1].line, 3);
    assert_int_equal(p->sents[1].meta->score, 0);
    as_page_free(p);
    /* A row's end found in the same 16-byte pass as its tabs: the line
     * break at every offset of a block, the next row's tabs in the same
     * block not the row's, and a last row without a final newline whose
     * tab lies past the last whole block (the byte loop's). */
    char buf[4096];
    size_t o = (size_t)snprintf(buf, sizeof buf, "text\tscore\n");
    for (int k = 0; k < 40; k++) {
        o += (size_t)snprintf(buf + o, sizeof buf - o, "W%.*s.\n", k,
                              "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx");
        o += (size_t)snprintf(buf + o, sizeof buf - o, "S%d.\t%d\n", k, 1 + k % 4);
    }
    snprintf(buf + o, sizeof buf - o, "The last row, without a newline.\t4");
    memset(&w, 0, sizeof w);
    p = parse("f.tsv", buf, &w);
    assert_int_equal(w.n, 0);
    assert_int_equal(p->nsents, 81);
    for (int k = 0; k < 40; k++) {
        char t[64];
        const as_sentence *a = &p->sents[2 * k], *b = &p->sents[2 * k + 1];
        snprintf(t, sizeof t, "W%.*s.", k, "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx");
        assert_string_equal(a->text, t);
        assert_int_equal(a->line, 2 + 2 * k);
        assert_int_equal(a->meta->score, 0);
        snprintf(t, sizeof t, "S%d.", k);
        assert_string_equal(b->text, t);
        assert_int_equal(b->line, 3 + 2 * k);
        assert_int_equal(b->meta->score, 1 + k % 4);
    }
    assert_string_equal(p->sents[80].text, "The last row, without a newline.");
    assert_int_equal(p->sents[80].meta->score, 4);
    as_page_free(p);
}

/* ---- bad input ---------------------------------------------------------- */

static void expect_skip(const char *rel, const char *msg)
{
    struct warns w = {0};
    as_page *p = (as_page *)1;
    as_err err = {0};
    assert_int_equal(read_rel(rel, NULL, &w, &p, NULL, &err), AS_ESKIP);
    assert_int_equal(err.code, AS_ESKIP);
    assert_string_equal(err.msg, msg);
    assert_null(p);
}

static void bad_inputs(void **state)
{
    (void)state;
    expect_skip("tests/fixtures/pages/empty.txt", "tests/fixtures/pages/empty.txt: empty file");
    expect_skip("tests/fixtures/pages/blank.txt", "tests/fixtures/pages/blank.txt: empty file");
    expect_skip("tests/fixtures/pages/binary.txt",
                "tests/fixtures/pages/binary.txt: binary file (NUL byte at offset 29)");
    expect_skip("tests/fixtures/pages/no-statement.txt",
                "tests/fixtures/pages/no-statement.txt: no recognisable quality statement");
    expect_skip("tests/fixtures/pages/no-text-column.tsv",
                "tests/fixtures/pages/no-text-column.tsv: no \"text\" column in the header line");
    /* A file that vanished since the walk. */
    as_file f = {"/nonexistent/x.txt", "x.txt", NULL, 0, 0};
    as_page *p;
    as_err err;
    assert_int_equal(as_page_read(&f, NULL, NULL, &p, NULL, &err), AS_ESKIP);
    assert_string_equal(err.msg, "x.txt: cannot open: No such file or directory");
    assert_null(p);
}

static void invalid_utf8(void **state)
{
    (void)state;
    struct warns w = {0};
    as_page *p = fixture("invalid-utf8.txt", NULL, &w);
    assert_int_equal(w.n, 2);
    assert_int_equal(p->nwarnings, 2);
    assert_string_equal(w.all, "invalid UTF-8 at line 5, replaced\ninvalid UTF-8 at line 6, replaced\n");
    assert_string_equal(w.last, "tests/fixtures/pages/invalid-utf8.txt: invalid UTF-8 at line 6, replaced");
    static const struct exp e[] = {
        {5, 1, 1, F, NULL, "Staff were \uFFFD trained."},
        /* truncated E2 82 is one bad sequence; ED A0 80 (a surrogate) is
         * three, by Unicode's maximal-subpart rule */
        {6, 2, 1, F, NULL, "All staff \uFFFD knew \uFFFD\uFFFD\uFFFD it."},
    };
    match(p, e, NEXP(e));
    as_page_free(p);
}

/* A 10 MB line: linear time, every piece at most AS_SENTENCE_MAX bytes,
 * cut at word boundaries with one warning per cut, nothing lost. */
static void huge_line(void **state)
{
    (void)state;
    const char *head = "Safeguarding\n\n";
    size_t n = 10u << 20, hl = strlen(head);
    char *buf = malloc(hl + n + 1);
    assert_non_null(buf);
    memcpy(buf, head, hl);
    for (size_t i = 0; i < n; i++)
        buf[hl + i] = "staff "[i % 6];
    buf[hl + n - 1] = '.';
    struct warns w = {0};
    as_page *p;
    as_err err;
    clock_t t0 = clock();
    assert_int_equal(as_page_parse("big.txt", buf, hl + n, NULL, collect, &w, &p, &err), AS_OK);
    double secs = (double)(clock() - t0) / CLOCKS_PER_SEC;
    assert_true(secs < 20.0);
    assert_true(p->nsents > 1000);
    assert_int_equal(w.n, (int)p->nsents - 1);
    assert_string_equal(w.last, "big.txt: sentence over 8192 bytes at line 3 split");
    size_t total = 0;
    for (size_t i = 0; i < p->nsents; i++) {
        size_t l = strlen(p->sents[i].text);
        assert_true(l <= AS_SENTENCE_MAX);
        assert_true(l > AS_SENTENCE_MAX / 2 || i + 1 == p->nsents);
        assert_int_equal(p->sents[i].line, 3);
        assert_int_equal(p->sents[i].sentence, i + 1);
        assert_true(p->sents[i].text[0] == 's' && p->sents[i].text[l - 1] != ' ');
        total += l + 1;
    }
    assert_int_equal(total, n + 1); /* each cut drops one space; +1 per piece */
    as_page_free(p);

    /* Many ordinary sentences on one line. */
    for (size_t i = 0; i < n; i++)
        buf[hl + i] = "Staff were trained. "[i % 20];
    t0 = clock();
    assert_int_equal(as_page_parse("many.txt", buf, hl + n, NULL, collect, &w, &p, &err), AS_OK);
    secs = (double)(clock() - t0) / CLOCKS_PER_SEC;
    assert_true(secs < 20.0);
    assert_int_equal(p->nsents, n / 20);
    assert_string_equal(p->sents[p->nsents - 1].text, "Staff were trained.");
    assert_int_equal(p->sents[p->nsents - 1].sentence, n / 20);
    as_page_free(p);
    free(buf);
}

/* Memory-buffer parsing of hostile bytes never fails except by ESKIP. */
static void hostile_bytes(void **state)
{
    (void)state;
    unsigned seed = 12345;
    char buf[600];
    for (int round = 0; round < 3000; round++) {
        size_t n = (size_t)(round % 600);
        for (size_t i = 0; i < n; i++) {
            seed = seed * 1103515245u + 12345u;
            static const char alpha[] = "Safeguarding. Score: 3\n\n-#*\xe2\x80\x9d\xc3\xff\r\t?!Key findings e.g. ";
            buf[i] = (seed >> 16) % 5 ? alpha[(seed >> 8) % (sizeof alpha - 1)] : (char)(seed >> 20);
            if (buf[i] == 0)
                buf[i] = ' ';
        }
        as_page *p;
        as_err err;
        int rc = as_page_parse(round % 7 ? "x.txt" : "x.tsv", buf, n, NULL, NULL, NULL, &p, &err);
        assert_true(rc == AS_OK || rc == AS_ESKIP);
        if (rc == AS_OK) {
            for (size_t i = 0; i < p->nsents; i++) {
                assert_true(strlen(p->sents[i].text) > 0);
                assert_non_null(p->sents[i].meta);
            }
            as_page_free(p);
        }
    }
}

/* ---- gzip, limits, special files --------------------------------------- */

static char tmpdir[256];

static const char *tmp(const char *name, char *buf, size_t n)
{
    snprintf(buf, n, "%s/%s", tmpdir, name);
    return buf;
}

/* A file read needing no repair is parsed in the buffer it was read into
 * (reader.c: page_parse's own): with a byte-order mark dropped in place
 * and without, the sentences and their lines are exact, and a file of
 * blanks is still empty. */
static void read_in_place(void **state)
{
    (void)state;
    static const char *const bodies[] = {
        "\xEF\xBB\xBFtext\tkind\nOne finding.\tfinding\nTwo found.\tfinding\n",
        "text\tkind\nOne finding.\tfinding\nTwo found.\tfinding",
    };
    char path[4096];
    tmp("inplace.tsv", path, sizeof path);
    for (int b = 0; b < 2; b++) {
        FILE *o = fopen(path, "wb");
        assert_non_null(o);
        fputs(bodies[b], o);
        fclose(o);
        as_file f = {path, "inplace.tsv", NULL, 0, 0};
        as_page *p;
        as_err err;
        uint32_t crc = 0;
        assert_int_equal(as_page_read(&f, NULL, NULL, &p, &crc, &err), AS_OK);
        assert_int_equal(crc, (uint32_t)crc32(0, (const Bytef *)bodies[b], (uInt)strlen(bodies[b])));
        assert_int_equal(p->nsents, 2);
        assert_string_equal(p->sents[0].text, "One finding.");
        assert_string_equal(p->sents[1].text, "Two found.");
        assert_int_equal(p->sents[1].line, 3);
        as_page_free(p);
    }
    FILE *o = fopen(path, "wb");
    assert_non_null(o);
    fputs(" \n\t\n", o);
    fclose(o);
    as_file f = {path, "inplace.tsv", NULL, 0, 0};
    as_page *p;
    as_err err;
    assert_int_equal(as_page_read(&f, NULL, NULL, &p, NULL, &err), AS_ESKIP);
    assert_non_null(strstr(err.msg, "empty file"));
    remove(path);
}

/* A .tsv sentence lies in the page's text, ended in place (reader.c:
 * on_segment), only when it ends at its field's end: the pieces of a
 * row over AS_SENTENCE_MAX, cut at a space and cut inside a word, come
 * out whole, and so do the row's other fields (an id after the text) and
 * the rows after it. */
static void tsv_in_place(void **state)
{
    (void)state;
    size_t cap = 4 * AS_SENTENCE_MAX + 256, o = 0;
    char *buf = malloc(cap);
    assert_non_null(buf);
    o += (size_t)snprintf(buf + o, cap - o, "text\tid\n");
    /* row 2: words, cut at the last space of the window */
    size_t w0 = o;
    while (o - w0 < AS_SENTENCE_MAX + 100)
        o += (size_t)snprintf(buf + o, cap - o, "abcdefg ");
    size_t w1 = o - 1; /* the last space trimmed */
    o = w1;
    o += (size_t)snprintf(buf + o, cap - o, "  \tr2\n");
    /* row 3: one word, cut inside it */
    size_t x0 = o;
    memset(buf + o, 'x', AS_SENTENCE_MAX + 10);
    o += AS_SENTENCE_MAX + 10;
    buf[o - 1] = 'y';
    o += (size_t)snprintf(buf + o, cap - o, "\tr3\nLast.\tr4\n");
    struct warns w;
    memset(&w, 0, sizeof w);
    as_page *p = parse("g.tsv", buf, &w);
    assert_int_equal(p->nsents, 5);
    /* row 2's pieces, put back together with the space at the cut */
    const as_sentence *a = &p->sents[0], *b = &p->sents[1];
    assert_true(a->len <= AS_SENTENCE_MAX && a->len + 1 + b->len == w1 - w0);
    assert_memory_equal(a->text, buf + w0, a->len);
    assert_int_equal(strlen(a->text), a->len);
    assert_memory_equal(b->text, buf + w0 + a->len + 1, b->len);
    assert_int_equal(strlen(b->text), b->len);
    assert_string_equal(a->id, "r2");
    assert_string_equal(b->id, "r2");
    /* row 3's pieces: every x there, the y last */
    const as_sentence *c = &p->sents[2], *d = &p->sents[3];
    assert_int_equal(c->len + d->len, AS_SENTENCE_MAX + 10);
    assert_int_equal(strlen(c->text), c->len);
    assert_int_equal(strlen(d->text), d->len);
    assert_memory_equal(c->text, buf + x0, c->len);
    assert_memory_equal(d->text, buf + x0 + c->len, d->len);
    assert_int_equal(d->text[d->len - 1], 'y');
    assert_string_equal(d->id, "r3");
    assert_string_equal(p->sents[4].text, "Last.");
    assert_string_equal(p->sents[4].id, "r4");
    assert_int_equal(p->sents[4].line, 4);
    as_page_free(p);
    free(buf);
}

/* A .tsv row whose metadata columns (all before its id and text) are the
 * last taken row's bytes takes that row's findings without parsing them
 * (reader.c: parse_tsv's pre): a changed field, a bad row or an empty
 * text between, a row short of fields and a column after the text. */
static void tsv_same_fields(void **state)
{
    (void)state;
    struct warns w;
    memset(&w, 0, sizeof w);
    as_page *p = parse("h.tsv",
                       "council\tscore\tkind\tsection\tid\ttext\n"
                       "A\t2\tfinding\tS1\ti1\tOne.\n"
                       "A\t2\tfinding\tS1\ti2\tTwo.\n"
                       "A\t3\tfinding\tS1\ti3\tThree.\n"
                       "A\t3\tbogus\tS1\ti4\tFour.\n"
                       "A\t3\tfinding\tS1\ti5\tFive.\n"
                       "A\t3\tfinding\tS1\ti6\t\n"
                       "A\t3\tfinding\tS2\ti7\tSeven.\n"
                       "B\t3\theading\tS2\ti8\tEight.\n"
                       "B\t3\theading\tS2\ti9\tNine.\n"
                       "B\t3\theading\n"
                       "B\t3\theading\tS2\tj1\tTen.\n",
                       &w);
    assert_string_equal(w.all, "line 5: bad kind \"bogus\"; row skipped\n"
                               "line 7: empty text; row skipped\n"
                               "line 11: empty text; row skipped\n");
    static const struct {
        const char *text, *id, *council, *section;
        int score, kind;
    } want[] = {
        {"One.", "i1", "A", "S1", 2, AS_KIND_FINDING},
        {"Two.", "i2", "A", "S1", 2, AS_KIND_FINDING},
        {"Three.", "i3", "A", "S1", 3, AS_KIND_FINDING},
        {"Five.", "i5", "A", "S1", 3, AS_KIND_FINDING},
        {"Seven.", "i7", "A", "S2", 3, AS_KIND_FINDING},
        {"Eight.", "i8", "B", "S2", 3, AS_KIND_HEADING},
        {"Nine.", "i9", "B", "S2", 3, AS_KIND_HEADING},
        {"Ten.", "j1", "B", "S2", 3, AS_KIND_HEADING},
    };
    assert_int_equal(p->nsents, sizeof want / sizeof want[0]);
    for (size_t i = 0; i < p->nsents; i++) {
        const as_sentence *t = &p->sents[i];
        assert_string_equal(t->text, want[i].text);
        assert_string_equal(t->id, want[i].id);
        assert_string_equal(t->meta->council, want[i].council);
        assert_string_equal(t->section, want[i].section);
        assert_int_equal(t->meta->score, want[i].score);
        assert_int_equal(t->kind, want[i].kind);
    }
    assert_ptr_equal(p->sents[0].meta, p->sents[1].meta);
    assert_ptr_equal(p->sents[2].meta, p->sents[4].meta);
    assert_ptr_equal(p->sents[5].meta, p->sents[7].meta);
    assert_int_equal(p->nmetas, 3);
    as_page_free(p);
    /* the last field's end and further tabs found by memchr once the
     * header's tabs are all seen (reader.c: parse_tsv's tail) */
    memset(&w, 0, sizeof w);
    p = parse("j.tsv",
              "id\ttext\n"
              "r1\tA long first text, longer than a block.\n"
              "r2\tA second text, longer than a block,\twith a tab.\n"
              "r3\tThird, and past the first 16 bytes.",
              &w);
    assert_string_equal(w.all, "line 3: 3 fields, the header has 2; row skipped\n");
    assert_int_equal(p->nsents, 2);
    assert_string_equal(p->sents[0].text, "A long first text, longer than a block.");
    assert_string_equal(p->sents[1].text, "Third, and past the first 16 bytes.");
    assert_string_equal(p->sents[1].id, "r3");
    assert_int_equal(p->sents[1].line, 4);
    as_page_free(p);
    /* the score after the text: every row parsed */
    memset(&w, 0, sizeof w);
    p = parse("i.tsv", "council\ttext\tscore\nA\tOne.\t1\nA\tTwo.\t2\n", &w);
    assert_int_equal(p->nsents, 2);
    assert_int_equal(p->sents[0].meta->score, 1);
    assert_int_equal(p->sents[1].meta->score, 2);
    as_page_free(p);
}

static void gzip_pages(void **state)
{
    (void)state;
    char plain[4096], gzp[512];
    size_t len;
    char *data = slurp(src("corpus/lincolnshire-county-council/learning-improvement-and-innovation.txt", plain, sizeof plain), &len);
    gzFile gz = gzopen(tmp("page.txt.gz", gzp, sizeof gzp), "wb");
    assert_non_null(gz);
    /* Two gzip members: gzread reads them as one stream. */
    assert_int_equal(gzwrite(gz, data, 100), 100);
    gzclose(gz);
    gz = gzopen(gzp, "ab");
    assert_int_equal(gzwrite(gz, data + 100, (unsigned)(len - 100)), (int)(len - 100));
    gzclose(gz);
    size_t glen;
    char *graw = slurp(gzp, &glen);
    as_file f = {gzp, "page.txt.gz", NULL, 0, 0};
    as_page *p;
    as_err err;
    uint32_t crc = 0;
    assert_int_equal(as_page_read(&f, NULL, NULL, &p, &crc, &err), AS_OK);
    assert_int_equal(crc, (uint32_t)crc32(0, (const Bytef *)graw, (uInt)glen));
    assert_int_equal(p->nsents, 19);
    assert_string_equal(p->metas[0].council, "Lincolnshire County Council");
    assert_string_equal(p->path, "page.txt.gz");
    as_page_free(p);

    /* Truncated: refused, not half-read. */
    FILE *out = fopen(gzp, "wb");
    fwrite(graw, 1, glen - 30, out);
    fclose(out);
    assert_int_equal(as_page_read(&f, NULL, NULL, &p, NULL, &err), AS_ESKIP);
    assert_string_equal(err.msg, "page.txt.gz: truncated gzip data");
    /* Corrupt. */
    memset(graw + 40, 0x55, 40);
    out = fopen(gzp, "wb");
    fwrite(graw, 1, glen, out);
    fclose(out);
    assert_int_equal(as_page_read(&f, NULL, NULL, &p, NULL, &err), AS_ESKIP);
    assert_int_equal(strncmp(err.msg, "page.txt.gz: ", 13), 0);
    free(graw);
    free(data);
}

static void too_large(void **state)
{
    (void)state;
    char path[512];
    /* A sparse file past the cap is refused from its size alone. */
    int fd = open(tmp("big.txt", path, sizeof path), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    assert_true(fd >= 0);
    assert_int_equal(ftruncate(fd, (off_t)(257) << 20), 0);
    close(fd);
    as_file f = {path, "big.txt", NULL, 0, 0};
    as_page *p;
    as_err err;
    assert_int_equal(as_page_read(&f, NULL, NULL, &p, NULL, &err), AS_ESKIP);
    assert_string_equal(err.msg, "big.txt: too large (over 256 MiB)");
    unlink(path);
    /* A small .gz that inflates past the cap (a decompression bomb). */
    gzFile gz = gzopen(tmp("bomb.txt.gz", path, sizeof path), "wb1");
    assert_non_null(gz);
    char *mb = malloc(1 << 20);
    memset(mb, 'a', 1 << 20);
    for (int i = 0; i < 257; i++)
        assert_int_equal(gzwrite(gz, mb, 1 << 20), 1 << 20);
    gzclose(gz);
    free(mb);
    f = (as_file){path, "bomb.txt.gz", NULL, 0, 0};
    assert_int_equal(as_page_read(&f, NULL, NULL, &p, NULL, &err), AS_ESKIP);
    assert_string_equal(err.msg, "bomb.txt.gz: too large (over 256 MiB uncompressed)");
    unlink(path);
}

/* A FIFO is refused without blocking (nobody writes to it). */
static void fifo_not_opened_for_reading(void **state)
{
    (void)state;
    char path[512];
    assert_int_equal(mkfifo(tmp("pipe.txt", path, sizeof path), 0644), 0);
    as_file f = {path, "pipe.txt", NULL, 0, 0};
    as_page *p;
    as_err err;
    assert_int_equal(as_page_read(&f, NULL, NULL, &p, NULL, &err), AS_ESKIP);
    assert_string_equal(err.msg, "pipe.txt: not a regular file");
    unlink(path);
}

/* ---- output: JSON strings and the dump --------------------------------- */

static char *json_of(const char *s, size_t n, int *ret)
{
    char *out = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&out, &len);
    *ret = as_json_string(f, s, n);
    fclose(f);
    return out;
}

static void json_strings(void **state)
{
    (void)state;
    int r;
    char *j = json_of("a\"b\\c\n\t\x01\x7f", 9, &r);
    assert_string_equal(j, "\"a\\\"b\\\\c\\n\\t\\u0001\\u007f\"");
    assert_int_equal(r, 0);
    free(j);
    j = json_of("people\xe2\x80\x99s \xc2\xa3", 13, &r);
    assert_string_equal(j, "\"people\xe2\x80\x99s \xc2\xa3\"");
    assert_int_equal(r, 0);
    free(j);
    j = json_of("a\xff" "b\xe2\x80" "c\xed\xa0\x80" "d\xc0\xaf", 12, &r);
    assert_string_equal(j, "\"a\\ufffdb\\ufffdc\\ufffd\\ufffd\\ufffdd\\ufffd\\ufffd\"");
    assert_int_equal(r, 1);
    free(j);
    j = json_of("nul\0x", 5, &r);
    assert_string_equal(j, "\"nul\\u0000x\"");
    free(j);
    j = json_of(NULL, 0, &r);
    assert_string_equal(j, "null");
    free(j);
}

static void dump_lines(void **state)
{
    (void)state;
    as_page *p;
    as_err err;
    struct warns w = {0};
    as_meta man = {"Durham County Council", 0, 0, 0, 0};
    assert_int_equal(read_rel("corpus/durham-county-council/learning-improvement-and-innovation.txt",
                              &man, &w, &p, NULL, &err), AS_OK);
    char *out = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&out, &len);
    assert_int_equal(as_dump_page(f, p), AS_OK);
    fclose(f);
    const char *first =
        "{\"council\":\"Durham County Council\",\"statement\":9,"
        "\"statement_name\":\"Learning, improvement and innovation\",\"theme\":4,"
        "\"score\":3,\"score_label\":\"Evidence shows a good standard\","
        "\"published\":null,\"updated\":null,"
        "\"section\":\"The local authority commitment\",\"kind\":\"commitment\","
        "\"text\":\"We focus on continuous learning, innovation and improvement across our organisation and the local system.\","
        "\"path\":\"corpus/durham-county-council/learning-improvement-and-innovation.txt\","
        "\"line\":11,\"paragraph\":1,\"sentence\":1}\n";
    assert_int_equal(strncmp(out, first, strlen(first)), 0);
    size_t lines = 0;
    for (size_t i = 0; i < len; i++)
        lines += out[i] == '\n';
    assert_int_equal(lines, p->nsents);
    assert_non_null(strstr(out, "\"section\":\"Learning from feedback\",\"kind\":\"finding\","
                                "\"text\":\"Local authority data showed that there were 118 complaints received between February 2023 and January 2024.\""));
    free(out);
    as_page_free(p);

    assert_int_equal(read_rel("corpus/lincolnshire-county-council/learning-improvement-and-innovation.txt",
                              NULL, &w, &p, NULL, &err), AS_OK);
    out = NULL;
    f = open_memstream(&out, &len);
    assert_int_equal(as_dump_page(f, p), AS_OK);
    fclose(f);
    assert_non_null(strstr(out, "\"published\":\"2023-11-17\",\"updated\":\"2023-11-20\","));
    free(out);
    as_page_free(p);
}

static int setup_tmp(void **state)
{
    (void)state;
    snprintf(tmpdir, sizeof tmpdir, "/tmp/as-test-reader-XXXXXX");
    return mkdtemp(tmpdir) ? 0 : -1;
}

static int teardown_tmp(void **state)
{
    (void)state;
    char cmd[512];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    return system(cmd) == 0 ? 0 : -1;
}

int main(void)
{
    const char *s = getenv("AS_SRCDIR");
    snprintf(srcdir, sizeof srcdir, "%s", s ? s : "..");
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(lincolnshire),
        cmocka_unit_test(durham),
        cmocka_unit_test(durham_without_manifest),
        cmocka_unit_test(shape_2024_markdown),
        cmocka_unit_test(shape_one_per_line),
        cmocka_unit_test(shape_wrapped_crlf),
        cmocka_unit_test(shape_noise),
        cmocka_unit_test(shape_summary),
        cmocka_unit_test(shape_abbreviations),
        cmocka_unit_test(precedence),
        cmocka_unit_test(tsv_findings),
        cmocka_unit_test(shape_small),
        cmocka_unit_test(bad_inputs),
        cmocka_unit_test(invalid_utf8),
        cmocka_unit_test(huge_line),
        cmocka_unit_test(hostile_bytes),
        cmocka_unit_test(gzip_pages),
        cmocka_unit_test(read_in_place),
        cmocka_unit_test(tsv_in_place),
        cmocka_unit_test(tsv_same_fields),
        cmocka_unit_test(too_large),
        cmocka_unit_test(fifo_not_opened_for_reading),
        cmocka_unit_test(json_strings),
        cmocka_unit_test(dump_lines),
    };
    return cmocka_run_group_tests(tests, setup_tmp, teardown_tmp);
}
