/*
 * test_treceval.c — the TREC evaluator (common/treceval.c) on tiny qrels
 * and runs whose AP, P@10 and nDCG@10 are worked out by hand in the
 * comments, covering trec_eval's tie rule (score as float, then docno
 * descending in strcmp order), unjudged documents, graded relevance,
 * the depth cut, queries missing from the run and the two averaging
 * conventions.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "treceval.h"

#define EPS 1e-9

static void eval_strs(const char *qrels, const char *run,
                      const as_treceval_opts *o, as_eval *ev)
{
    as_qrels *q = NULL;
    as_run *r = NULL;
    as_err err = {0};
    assert_int_equal(as_qrels_parse(qrels, strlen(qrels), &q, &err), AS_OK);
    assert_int_equal(as_run_parse(run, strlen(run), &r, &err), AS_OK);
    assert_int_equal(as_treceval(q, r, o, ev, &err), AS_OK);
    /* qids belong to the qrels: copy what the tests look at first. */
    for (size_t i = 0; i < ev->nq; i++)
        ev->q[i].qid = NULL;
    as_run_free(r);
    as_qrels_free(q);
}

/* q1: relevant d1 d3 d5 (3 relevant), d9 judged not relevant.
 * Run ranks d1 d2 d3 d4 d5 (d2, d4 unjudged).
 *   AP    = (1/1 + 2/3 + 3/5) / 3                      = 0.755555...
 *   P@10  = 3/10                                       = 0.3
 *   DCG   = 1/log2(2) + 1/log2(4) + 1/log2(6)          = 1.886853...
 *   IDCG  = 1/log2(2) + 1/log2(3) + 1/log2(4)          = 2.130930...
 *   nDCG  = 0.885460... */
static const char *Q1 = "q1 0 d1 1\nq1 0 d3 1\nq1 0 d5 1\nq1 0 d9 0\n";
static const char *R1 = "q1 Q0 d1 1 5.0 t\n"
                        "q1 Q0 d2 2 4.0 t\n"
                        "q1 Q0 d3 3 3.0 t\n"
                        "q1 Q0 d4 4 2.0 t\n"
                        "q1 Q0 d5 5 1.0 t\n";

static void test_basic(void **state)
{
    (void)state;
    as_eval ev;
    eval_strs(Q1, R1, NULL, &ev);
    assert_int_equal(ev.nq, 1);
    assert_int_equal(ev.navg, 1);
    assert_int_equal(ev.q[0].num_rel, 3);
    assert_int_equal(ev.q[0].num_ret, 5);
    assert_int_equal(ev.q[0].num_rel_ret, 3);
    assert_true(fabs(ev.q[0].ap - (1.0 + 2.0 / 3 + 3.0 / 5) / 3) < EPS);
    assert_true(fabs(ev.q[0].ap - 0.7555555556) < 1e-9);
    assert_true(fabs(ev.q[0].p10 - 0.3) < EPS);
    double dcg = 1 + 1 / log2(4.0) + 1 / log2(6.0);
    double idcg = 1 + 1 / log2(3.0) + 1 / log2(4.0);
    assert_true(fabs(ev.q[0].ndcg10 - dcg / idcg) < EPS);
    assert_true(fabs(ev.q[0].ndcg10 - 0.8854598) < 1e-6);
    assert_true(fabs(ev.map - ev.q[0].ap) < EPS);
    assert_true(fabs(ev.ndcg10 - ev.q[0].ndcg10) < EPS);
    as_eval_free(&ev);
}

/* The run's line order and rank column do not matter: the same q1 run
 * written backwards with nonsense ranks gives the same figures. */
static void test_rank_column_ignored(void **state)
{
    (void)state;
    const char *run = "q1 Q0 d5 1 1.0 t\n"
                      "q1 Q0 d4 1 2.0 t\n"
                      "q1 Q0 d3 9 3.0 t\n"
                      "q1 Q0 d2 7 4.0 t\n"
                      "q1 Q0 d1 5 5.0 t\n";
    as_eval ev;
    eval_strs(Q1, run, NULL, &ev);
    assert_true(fabs(ev.q[0].ap - 0.7555555556) < 1e-9);
    as_eval_free(&ev);
}

/* Ties: docs "9", "2", "10" with equal scores.  trec_eval orders ties by
 * docno descending in strcmp order: "9" > "2" > "10", so the relevant
 * "10" is at rank 3 (a numeric order would put it first):
 *   AP = (1/3) / 1 = 0.333...,  nDCG@10 = (1/log2(4)) / 1 = 0.5.
 * "10" scores 1.00000001, equal to 1.0 as a float (trec_eval keeps a
 * float), so it still ties. */
static void test_ties(void **state)
{
    (void)state;
    const char *qrels = "q1 0 10 1\n";
    const char *run = "q1 Q0 10 1 1.00000001 t\n"
                      "q1 Q0 2 2 1.0 t\n"
                      "q1 Q0 9 3 1.0 t\n";
    as_eval ev;
    eval_strs(qrels, run, NULL, &ev);
    assert_true(fabs(ev.q[0].ap - 1.0 / 3) < EPS);
    assert_true(fabs(ev.q[0].p10 - 0.1) < EPS);
    assert_true(fabs(ev.q[0].ndcg10 - 0.5) < EPS);
    as_eval_free(&ev);

    /* A score above float resolution breaks the tie: "10" first, AP 1. */
    const char *run2 = "q1 Q0 10 1 1.001 t\n"
                       "q1 Q0 2 2 1.0 t\n"
                       "q1 Q0 9 3 1.0 t\n";
    eval_strs(qrels, run2, NULL, &ev);
    assert_true(fabs(ev.q[0].ap - 1.0) < EPS);
    assert_true(fabs(ev.q[0].ndcg10 - 1.0) < EPS);
    as_eval_free(&ev);
}

/* Graded: a=2, b=1, c=0, d=3 (relevant at level 1: a, b, d).
 * Run ranks b a x d (x unjudged).
 *   AP    = (1/1 + 2/2 + 3/4) / 3                       = 0.916666...
 *   P@10  = 3/10
 *   DCG   = 1/log2(2) + 2/log2(3) + 0 + 3/log2(5)       = 3.553889...
 *   IDCG  = 3/log2(2) + 2/log2(3) + 1/log2(4)           = 4.761860...
 *   nDCG  = 0.746324...
 * At rel_level 2 only a and d are relevant (the gains do not change):
 *   AP    = (1/2 + 2/4) / 2 = 0.5;   P@10 = 0.2. */
static void test_graded(void **state)
{
    (void)state;
    const char *qrels = "q1 0 a 2\nq1 0 b 1\nq1 0 c 0\nq1 0 d 3\n";
    const char *run = "q1 Q0 b 1 4 t\nq1 Q0 a 2 3 t\n"
                      "q1 Q0 x 3 2 t\nq1 Q0 d 4 1 t\n";
    as_eval ev;
    eval_strs(qrels, run, NULL, &ev);
    assert_int_equal(ev.q[0].num_rel, 3);
    assert_true(fabs(ev.q[0].ap - 2.75 / 3) < EPS);
    assert_true(fabs(ev.q[0].p10 - 0.3) < EPS);
    double dcg = 1 + 2 / log2(3.0) + 3 / log2(5.0);
    double idcg = 3 + 2 / log2(3.0) + 1 / log2(4.0);
    assert_true(fabs(ev.q[0].ndcg10 - dcg / idcg) < EPS);
    assert_true(fabs(ev.q[0].ndcg10 - 0.746324) < 1e-6);
    as_eval_free(&ev);

    as_treceval_opts o;
    as_treceval_opts_default(&o);
    o.rel_level = 2;
    eval_strs(qrels, run, &o, &ev);
    assert_int_equal(ev.q[0].num_rel, 2);
    assert_true(fabs(ev.q[0].ap - 0.5) < EPS);
    assert_true(fabs(ev.q[0].p10 - 0.2) < EPS);
    assert_true(fabs(ev.q[0].ndcg10 - dcg / idcg) < EPS);
    as_eval_free(&ev);
}

/* Twelve results d01..d12 with scores 12..1; relevant: d01 and d12 (and
 * d99, never retrieved, so num_rel = 3).
 *   depth 1000: AP = (1/1 + 2/12) / 3 = 0.388888...;  P@10 = 1/10
 *   depth 10:   d12 is cut: AP = (1/1) / 3 = 0.333...;  num_ret 10
 *   nDCG@10 ignores rank 12: DCG = 1; IDCG = 1 + 1/log2(3) + 1/log2(4). */
static void test_depth(void **state)
{
    (void)state;
    const char *qrels = "q1 0 d01 1\nq1 0 d12 1\nq1 0 d99 1\n";
    char run[1024];
    size_t n = 0;
    for (int i = 1; i <= 12; i++)
        n += (size_t)snprintf(run + n, sizeof run - n, "q1 Q0 d%02d %d %d t\n",
                              i, i, 13 - i);
    as_eval ev;
    eval_strs(qrels, run, NULL, &ev);
    assert_int_equal(ev.q[0].num_ret, 12);
    assert_int_equal(ev.q[0].num_rel_ret, 2);
    assert_true(fabs(ev.q[0].ap - (1.0 + 2.0 / 12) / 3) < EPS);
    assert_true(fabs(ev.q[0].p10 - 0.1) < EPS);
    assert_true(fabs(ev.q[0].ndcg10 - 1 / (1 + 1 / log2(3.0) + 0.5)) < EPS);
    as_eval_free(&ev);

    as_treceval_opts o;
    as_treceval_opts_default(&o);
    o.depth = 10;
    eval_strs(qrels, run, &o, &ev);
    assert_int_equal(ev.q[0].num_ret, 10);
    assert_int_equal(ev.q[0].num_rel_ret, 1);
    assert_true(fabs(ev.q[0].ap - 1.0 / 3) < EPS);
    as_eval_free(&ev);
}

/* Means.  qrels: q1 (as above, AP 0.7555...) and q3 (relevant x, absent
 * from the run).  The run also has qX, which has no judgments (ignored).
 *   default (trec_eval): over q1 only:   MAP = 0.7555...,  navg 1
 *   complete (-c):       over q1 and q3: MAP = 0.3777...,  navg 2 */
static void test_means(void **state)
{
    (void)state;
    char qrels[256], run[512];
    snprintf(qrels, sizeof qrels, "%sq3 0 x 1\n", Q1);
    snprintf(run, sizeof run, "%sqX Q0 d1 1 9.0 t\n", R1);
    as_eval ev;
    eval_strs(qrels, run, NULL, &ev);
    assert_int_equal(ev.nq, 2);
    assert_int_equal(ev.navg, 1);
    assert_int_equal(ev.nmissing, 1);
    assert_int_equal(ev.nunjudged_q, 1);
    assert_int_equal(ev.q[1].in_run, 0);
    assert_true(fabs(ev.q[1].ap) < EPS);
    assert_true(fabs(ev.map - 0.7555555556) < 1e-9);
    assert_true(fabs(ev.p10 - 0.3) < EPS);
    as_eval_free(&ev);

    as_treceval_opts o;
    as_treceval_opts_default(&o);
    o.complete = 1;
    eval_strs(qrels, run, &o, &ev);
    assert_int_equal(ev.navg, 2);
    assert_true(fabs(ev.map - 0.7555555556 / 2) < 1e-9);
    assert_true(fabs(ev.p10 - 0.15) < EPS);
    as_eval_free(&ev);
}

/* Queries come back in strcmp order of qid: "10" before "2"; a query with
 * only non-relevant judgments has AP 0 and still counts in the mean:
 * MAP = (1 + 0) / 2 = 0.5. */
static void test_qid_order(void **state)
{
    (void)state;
    const char *qrels = "2 0 a 1\n10 0 b 0\n";
    const char *run = "2 Q0 a 1 1 t\n10 Q0 b 1 1 t\n";
    as_qrels *q = NULL;
    as_run *r = NULL;
    as_err err = {0};
    as_eval ev;
    assert_int_equal(as_qrels_parse(qrels, strlen(qrels), &q, &err), AS_OK);
    assert_int_equal(as_run_parse(run, strlen(run), &r, &err), AS_OK);
    assert_int_equal(as_treceval(q, r, NULL, &ev, &err), AS_OK);
    assert_int_equal(ev.nq, 2);
    assert_string_equal(ev.q[0].qid, "10");
    assert_string_equal(ev.q[1].qid, "2");
    assert_true(fabs(ev.q[0].ap) < EPS);
    assert_true(fabs(ev.q[1].ap - 1.0) < EPS);
    assert_true(fabs(ev.map - 0.5) < EPS);
    as_eval_free(&ev);
    as_run_free(r);
    as_qrels_free(q);
}

static void test_errors(void **state)
{
    (void)state;
    as_qrels *q = NULL;
    as_run *r = NULL;
    as_err err = {0};

    const char *short_line = "q1 0 a 1\n\nq1 0 b\n";
    assert_int_equal(as_qrels_parse(short_line, strlen(short_line), &q, &err),
                     AS_EFORMAT);
    assert_null(q);
    assert_string_equal(err.msg, "qrels: line 3: expected 4 fields");

    const char *dup_qrels = "q1 0 a 1\nq1 0 a 0\n";
    assert_int_equal(as_qrels_parse(dup_qrels, strlen(dup_qrels), &q, &err),
                     AS_EFORMAT);
    assert_string_equal(err.msg, "qrels: query q1: docno a judged twice");

    const char *bad_rel = "q1 0 a x1\n";
    assert_int_equal(as_qrels_parse(bad_rel, strlen(bad_rel), &q, &err),
                     AS_EFORMAT);
    assert_string_equal(err.msg, "qrels: line 1: bad relevance 'x1'");

    const char *bad_score = "q1 Q0 a 1 nan t\n";
    assert_int_equal(as_run_parse(bad_score, strlen(bad_score), &r, &err),
                     AS_EFORMAT);
    assert_string_equal(err.msg, "run: line 1: bad score 'nan'");

    const char *seven = "q1 Q0 a 1 1.0 t extra\n";
    assert_int_equal(as_run_parse(seven, strlen(seven), &r, &err), AS_EFORMAT);
    assert_null(r);

    /* A docno retrieved twice is an error at evaluation time. */
    const char *qr = "q1 0 a 1\n";
    const char *dup_run = "q1 Q0 a 1 2.0 t\nq1 Q0 a 2 1.0 t\n";
    assert_int_equal(as_qrels_parse(qr, strlen(qr), &q, &err), AS_OK);
    assert_int_equal(as_run_parse(dup_run, strlen(dup_run), &r, &err), AS_OK);
    as_eval ev;
    assert_int_equal(as_treceval(q, r, NULL, &ev, &err), AS_EFORMAT);
    assert_string_equal(err.msg, "run: query q1: docno a retrieved twice");
    assert_null(ev.q);
    as_run_free(r);
    as_qrels_free(q);

    /* Hostile bytes: NUL inside a line, no final newline, CRLF. */
    const char nul[] = "q1 0 a\0b 1\n";
    assert_int_equal(as_qrels_parse(nul, sizeof nul - 1, &q, &err), AS_EFORMAT);
    const char *crlf = "q1 0 a 1\r\nq1 0 b 0";
    assert_int_equal(as_qrels_parse(crlf, strlen(crlf), &q, &err), AS_OK);
    as_qrels_free(q);

    assert_int_equal(as_qrels_load("/nonexistent/qrels", &q, &err), AS_EIO);
    as_qrels_free(NULL);
    as_run_free(NULL);
    as_eval_free(NULL);
}

/* Empty qrels and run: no queries, means 0. */
static void test_empty(void **state)
{
    (void)state;
    as_eval ev;
    as_qrels *q = NULL;
    as_run *r = NULL;
    as_err err = {0};
    assert_int_equal(as_qrels_parse("", 0, &q, &err), AS_OK);
    assert_int_equal(as_run_parse("\n\n", 2, &r, &err), AS_OK);
    assert_int_equal(as_treceval(q, r, NULL, &ev, &err), AS_OK);
    assert_int_equal(ev.nq, 0);
    assert_int_equal(ev.navg, 0);
    assert_true(ev.map == 0.0);
    as_eval_free(&ev);
    as_run_free(r);
    as_qrels_free(q);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_basic),
        cmocka_unit_test(test_rank_column_ignored),
        cmocka_unit_test(test_ties),
        cmocka_unit_test(test_graded),
        cmocka_unit_test(test_depth),
        cmocka_unit_test(test_means),
        cmocka_unit_test(test_qid_order),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_empty),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
