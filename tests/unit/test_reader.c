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

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

int main(void)
{
    const char *s = getenv("AS_SRCDIR");
    snprintf(srcdir, sizeof srcdir, "%s", s ? s : "..");
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(lincolnshire),
        cmocka_unit_test(durham),
        cmocka_unit_test(durham_without_manifest),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
