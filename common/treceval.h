/*
 * treceval.h — Interface to the TREC evaluator (treceval.c): reads TREC
 * relevance judgments (qrels) and a TREC run, and computes average
 * precision, P@10 and nDCG@10 per query and their means, following
 * trec_eval 9's rules so that our figures compare with published ones.
 *
 * Formats (whitespace-separated fields, one record a line, blank lines
 * ignored):
 *   qrels:  qid  iter  docno  rel        ("1 0 1239 1"; iter is ignored;
 *                                          rel an integer, graded allowed)
 *   run:    qid  Q0  docno  rank  score  tag
 *                                         (Q0, rank and tag are ignored)
 *
 * The rules, as trec_eval 9 applies them (te_form_res_rels, m_map.c,
 * m_P.c, m_ndcg_cut.c):
 *   - A query's results are ordered by score descending, the score read as
 *     a C float (trec_eval keeps `float sim`, so scores equal to float
 *     precision tie); ties by docno descending in strcmp order (trec_eval's
 *     comp_sim_docno: strcmp(b, a)).  The rank column is ignored.
 *   - Only the first `depth` results (default 1000) count.  trec_eval's own
 *     default (-M) is unlimited; for runs of at most 1000 results per query,
 *     as ours are, the two agree.
 *   - A docno twice in one query's results (within the depth) or in one
 *     query's qrels is an error (AS_EFORMAT), as in trec_eval.
 *   - Relevant means rel >= rel_level (default 1).  Unjudged docs are not
 *     relevant.  num_rel counts the qrels' relevant docs, retrieved or not.
 *   - AP = (sum over relevant retrieved at rank r of relevant-in-top-r / r)
 *     / num_rel; 0 when num_rel is 0.
 *   - P@10 = relevant in the top 10 / 10 (always over 10, fewer retrieved
 *     counts as non-relevant).
 *   - nDCG@10 = DCG@10 / IDCG@10, DCG = sum of rel / log2(rank + 1) over
 *     retrieved docs with rel > 0 (graded gains; rank 1 has discount 1);
 *     IDCG from all judged rel > 0 sorted descending; 0 if IDCG is 0.
 *   - Means: a query of the run without qrels is ignored.  By default
 *     (complete = 0, trec_eval without -c) means are over queries present
 *     in both the qrels and the run.  With complete = 1 (trec_eval -c)
 *     means are over every query of the qrels, a query missing from the run
 *     counting 0: the stricter figure, which `make eval` reports first,
 *     because an engine that returns nothing for a hard query must not
 *     gain from it.
 * Queries are reported in strcmp order of qid (as trec_eval -q prints them).
 */
#ifndef AS_TRECEVAL_H
#define AS_TRECEVAL_H

#include "as.h"

typedef struct as_qrels as_qrels; /* judgments, sorted by (qid, docno) */
typedef struct as_run as_run;     /* results, sorted per query by rank */

/* Parse from memory (the text is copied) or a file.  AS_EFORMAT with
 * err naming the line on a malformed record or a docno judged twice for
 * one query; AS_EIO if the file cannot be read; AS_ENOMEM. */
int as_qrels_parse(const char *buf, size_t len, as_qrels **out, as_err *err);
int as_qrels_load(const char *path, as_qrels **out, as_err *err);
void as_qrels_free(as_qrels *q); /* NULL is fine */

int as_run_parse(const char *buf, size_t len, as_run **out, as_err *err);
int as_run_load(const char *path, as_run **out, as_err *err);
void as_run_free(as_run *r); /* NULL is fine */

typedef struct as_treceval_opts {
    size_t depth;  /* results per query that count; 0 = default 1000 */
    int rel_level; /* minimum rel that is relevant; <= 0 means 1 */
    int complete;  /* 1: average over all qrels queries (trec_eval -c) */
} as_treceval_opts;
void as_treceval_opts_default(as_treceval_opts *o); /* 1000, 1, 0 */

typedef struct as_qeval {
    const char *qid;   /* belongs to the qrels; valid until as_qrels_free */
    int in_run;        /* 1 if the run has results for this query */
    uint32_t num_rel;  /* relevant judged docs */
    uint32_t num_ret;  /* results considered (<= depth) */
    uint32_t num_rel_ret;
    double ap, p10, ndcg10;
} as_qeval;

typedef struct as_eval {
    as_qeval *q;        /* every query of the qrels, strcmp order of qid */
    size_t nq;
    size_t navg;        /* queries in the means */
    size_t nmissing;    /* qrels queries absent from the run */
    size_t nunjudged_q; /* run queries absent from the qrels (ignored) */
    double map, p10, ndcg10;
} as_eval;
/* Frees out->q; out itself is the caller's.  NULL is fine. */
void as_eval_free(as_eval *e);

/* Evaluates run against qrels.  o may be NULL (defaults).  Fills *out
 * (free with as_eval_free).  AS_EFORMAT when a query's results (within the
 * depth) name a docno twice; AS_ENOMEM. */
int as_treceval(const as_qrels *qr, const as_run *run,
                const as_treceval_opts *o, as_eval *out, as_err *err);

#endif
