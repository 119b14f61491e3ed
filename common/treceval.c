/*
 * treceval.c — TREC evaluation (MAP, P@10, nDCG@10) with trec_eval 9's
 * ordering, tie and averaging rules; the rules are listed in treceval.h.
 *
 * Both inputs are copied into one buffer each and split in place, so the
 * records point into it; records are then sorted once (qrels by qid and
 * docno, the run by qid and trec_eval's ranking order) and a query is a
 * contiguous range of records.
 */
#include "treceval.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct rec {
    const char *qid;
    const char *docno;
    float score; /* run: trec_eval keeps the score as a float */
    int rel;     /* qrels */
} rec;

typedef struct group {
    const char *qid;
    size_t first, n; /* range of recs */
} group;

typedef struct table {
    char *text;
    rec *r;
    size_t n;
    group *g;
    size_t ng;
} table;

struct as_qrels { table t; };
struct as_run { table t; };

static void table_free(table *t)
{
    free(t->text);
    free(t->r);
    free(t->g);
}

void as_qrels_free(as_qrels *q)
{
    if (q) {
        table_free(&q->t);
        free(q);
    }
}

void as_run_free(as_run *r)
{
    if (r) {
        table_free(&r->t);
        free(r);
    }
}

void as_eval_free(as_eval *e)
{
    if (e) {
        free(e->q);
        e->q = NULL;
        e->nq = 0;
    }
}

void as_treceval_opts_default(as_treceval_opts *o)
{
    o->depth = 1000;
    o->rel_level = 1;
    o->complete = 0;
}

static int is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f';
}

/* Splits [p, end) (one line, no '\n') into at most max fields, writing NULs
 * after each; returns the number of fields found, max + 1 if there are more. */
static size_t split(char *p, char *end, char **f, size_t max)
{
    size_t n = 0;
    while (p < end) {
        while (p < end && is_space(*p))
            p++;
        if (p == end)
            break;
        if (n == max)
            return max + 1;
        f[n++] = p;
        while (p < end && !is_space(*p) && *p != '\0')
            p++;
        if (p < end && *p == '\0') /* an embedded NUL: not a text line */
            return max + 1;
        *p = '\0';
        if (p < end)
            p++;
    }
    return n;
}

static int cmp_qrel(const void *a, const void *b)
{
    const rec *x = a, *y = b;
    int c = strcmp(x->qid, y->qid);
    return c ? c : strcmp(x->docno, y->docno);
}

/* trec_eval's comp_sim_docno under the qid: score descending, then docno
 * descending. */
static int cmp_run(const void *a, const void *b)
{
    const rec *x = a, *y = b;
    int c = strcmp(x->qid, y->qid);
    if (c)
        return c;
    if (x->score > y->score)
        return -1;
    if (x->score < y->score)
        return 1;
    return strcmp(y->docno, x->docno);
}

static int make_groups(table *t)
{
    t->ng = 0;
    t->g = NULL;
    if (t->n == 0)
        return AS_OK;
    size_t ng = 1;
    for (size_t i = 1; i < t->n; i++)
        if (strcmp(t->r[i].qid, t->r[i - 1].qid) != 0)
            ng++;
    t->g = calloc(ng, sizeof *t->g);
    if (!t->g)
        return AS_ENOMEM;
    size_t k = 0;
    t->g[0] = (group){t->r[0].qid, 0, 0};
    for (size_t i = 0; i < t->n; i++) {
        if (strcmp(t->r[i].qid, t->g[k].qid) != 0)
            t->g[++k] = (group){t->r[i].qid, i, 0};
        t->g[k].n++;
    }
    t->ng = ng;
    return AS_OK;
}

/* Parses qrels (nfields 4) or a run (nfields 6) into t. */
static int parse(table *t, const char *buf, size_t len, int is_run,
                 const char *what, as_err *err)
{
    memset(t, 0, sizeof *t);
    if (len == SIZE_MAX)
        return as_err_set(err, AS_ENOMEM, "%s: too large", what);
    t->text = malloc(len + 1);
    if (!t->text)
        return as_err_set(err, AS_ENOMEM, "%s: out of memory", what);
    if (len)
        memcpy(t->text, buf, len);
    t->text[len] = '\0';

    size_t lines = 1;
    for (size_t i = 0; i < len; i++)
        lines += buf[i] == '\n';
    t->r = calloc(lines, sizeof *t->r);
    if (!t->r) {
        table_free(t);
        return as_err_set(err, AS_ENOMEM, "%s: out of memory", what);
    }

    const size_t want = is_run ? 6 : 4;
    char *p = t->text, *end = t->text + len;
    size_t lineno = 0;
    while (p < end) {
        char *nl = memchr(p, '\n', (size_t)(end - p));
        char *le = nl ? nl : end;
        lineno++;
        char *f[6];
        size_t nf = split(p, le, f, want);
        if (nf != 0) {
            if (nf != want) {
                table_free(t);
                return as_err_set(err, AS_EFORMAT,
                                  "%s: line %zu: expected %zu fields", what,
                                  lineno, want);
            }
            rec *r = &t->r[t->n++];
            r->qid = f[0];
            r->docno = f[2];
            if (is_run) {
                char *e;
                errno = 0;
                double s = strtod(f[4], &e);
                if (*e != '\0' || errno == ERANGE || !isfinite(s)
                    || fabs(s) > 3e38) {
                    int rc = as_err_set(err, AS_EFORMAT,
                                        "%s: line %zu: bad score '%.40s'",
                                        what, lineno, f[4]);
                    table_free(t);
                    return rc;
                }
                r->score = (float)s;
            } else {
                char *e;
                errno = 0;
                long v = strtol(f[3], &e, 10);
                if (*e != '\0' || e == f[3] || errno == ERANGE
                    || v < -1000000 || v > 1000000) {
                    int rc = as_err_set(err, AS_EFORMAT,
                                        "%s: line %zu: bad relevance '%.40s'",
                                        what, lineno, f[3]);
                    table_free(t);
                    return rc;
                }
                r->rel = (int)v;
            }
        }
        p = nl ? nl + 1 : end;
    }

    qsort(t->r, t->n, sizeof *t->r, is_run ? cmp_run : cmp_qrel);
    if (!is_run)
        for (size_t i = 1; i < t->n; i++)
            if (cmp_qrel(&t->r[i - 1], &t->r[i]) == 0) {
                int rc = as_err_set(err, AS_EFORMAT,
                                    "%s: query %.40s: docno %.80s judged twice",
                                    what, t->r[i].qid, t->r[i].docno);
                table_free(t);
                return rc;
            }
    if (make_groups(t) != AS_OK) {
        table_free(t);
        return as_err_set(err, AS_ENOMEM, "%s: out of memory", what);
    }
    return AS_OK;
}

int as_qrels_parse(const char *buf, size_t len, as_qrels **out, as_err *err)
{
    *out = NULL;
    as_qrels *q = malloc(sizeof *q);
    if (!q)
        return as_err_set(err, AS_ENOMEM, "qrels: out of memory");
    int rc = parse(&q->t, buf, len, 0, "qrels", err);
    if (rc != AS_OK) {
        free(q);
        return rc;
    }
    *out = q;
    return AS_OK;
}

int as_run_parse(const char *buf, size_t len, as_run **out, as_err *err)
{
    *out = NULL;
    as_run *r = malloc(sizeof *r);
    if (!r)
        return as_err_set(err, AS_ENOMEM, "run: out of memory");
    int rc = parse(&r->t, buf, len, 1, "run", err);
    if (rc != AS_OK) {
        free(r);
        return rc;
    }
    *out = r;
    return AS_OK;
}

/* Reads a whole file into a malloc'd buffer. */
static int slurp(const char *path, char **buf, size_t *len, as_err *err)
{
    *buf = NULL;
    *len = 0;
    FILE *f = fopen(path, "rb");
    if (!f)
        return as_err_set(err, AS_EIO, "%s: %s", path, strerror(errno));
    size_t cap = 1 << 16, n = 0;
    char *b = malloc(cap);
    if (!b) {
        fclose(f);
        return as_err_set(err, AS_ENOMEM, "%s: out of memory", path);
    }
    for (;;) {
        if (n == cap) {
            if (cap > SIZE_MAX / 2) {
                free(b);
                fclose(f);
                return as_err_set(err, AS_ENOMEM, "%s: too large", path);
            }
            char *nb = realloc(b, cap * 2);
            if (!nb) {
                free(b);
                fclose(f);
                return as_err_set(err, AS_ENOMEM, "%s: out of memory", path);
            }
            b = nb;
            cap *= 2;
        }
        size_t got = fread(b + n, 1, cap - n, f);
        n += got;
        if (got == 0)
            break;
    }
    int bad = ferror(f);
    fclose(f);
    if (bad) {
        free(b);
        return as_err_set(err, AS_EIO, "%s: read error", path);
    }
    *buf = b;
    *len = n;
    return AS_OK;
}

int as_qrels_load(const char *path, as_qrels **out, as_err *err)
{
    char *b;
    size_t n;
    *out = NULL;
    int rc = slurp(path, &b, &n, err);
    if (rc == AS_OK) {
        rc = as_qrels_parse(b, n, out, err);
        free(b);
    }
    return rc;
}

int as_run_load(const char *path, as_run **out, as_err *err)
{
    char *b;
    size_t n;
    *out = NULL;
    int rc = slurp(path, &b, &n, err);
    if (rc == AS_OK) {
        rc = as_run_parse(b, n, out, err);
        free(b);
    }
    return rc;
}

static const group *find_group(const table *t, const char *qid)
{
    size_t lo = 0, hi = t->ng;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = strcmp(t->g[mid].qid, qid);
        if (c == 0)
            return &t->g[mid];
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

/* The judged relevance of docno within a qrels group; INT_MIN if unjudged. */
static int judged_rel(const table *qt, const group *g, const char *docno)
{
    size_t lo = g->first, hi = g->first + g->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = strcmp(qt->r[mid].docno, docno);
        if (c == 0)
            return qt->r[mid].rel;
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return INT_MIN;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static int cmp_int_desc(const void *a, const void *b)
{
    int x = *(const int *)a, y = *(const int *)b;
    return (x < y) - (x > y);
}

/* Evaluates one query: qg is its qrels group, rg its run group or NULL. */
static int eval_query(const table *qt, const group *qg, const table *rt,
                      const group *rg, const as_treceval_opts *o,
                      as_qeval *qe, const char **scratch, int *gains,
                      as_err *err)
{
    memset(qe, 0, sizeof *qe);
    qe->qid = qg->qid;
    size_t ng = 0;
    for (size_t i = qg->first; i < qg->first + qg->n; i++) {
        int rel = qt->r[i].rel;
        if (rel >= o->rel_level)
            qe->num_rel++;
        if (rel > 0)
            gains[ng++] = rel;
    }
    /* Ideal DCG@10 from the judgments, best gains first. */
    qsort(gains, ng, sizeof *gains, cmp_int_desc);
    double idcg = 0;
    for (size_t i = 0; i < ng && i < 10; i++)
        idcg += gains[i] / log2((double)(i + 2));

    if (!rg)
        return AS_OK;
    qe->in_run = 1;
    size_t n = rg->n < o->depth ? rg->n : o->depth;
    qe->num_ret = (uint32_t)n;

    for (size_t i = 0; i < n; i++)
        scratch[i] = rt->r[rg->first + i].docno;
    qsort(scratch, n, sizeof *scratch, cmp_str);
    for (size_t i = 1; i < n; i++)
        if (strcmp(scratch[i - 1], scratch[i]) == 0)
            return as_err_set(err, AS_EFORMAT,
                              "run: query %.40s: docno %.80s retrieved twice",
                              qg->qid, scratch[i]);

    double sum_prec = 0, dcg = 0;
    uint32_t relret = 0, rel10 = 0;
    for (size_t i = 0; i < n; i++) {
        int rel = judged_rel(qt, qg, rt->r[rg->first + i].docno);
        if (rel >= o->rel_level) {
            relret++;
            sum_prec += (double)relret / (double)(i + 1);
            if (i < 10)
                rel10++;
        }
        if (i < 10 && rel > 0)
            dcg += rel / log2((double)(i + 2));
    }
    qe->num_rel_ret = relret;
    qe->ap = qe->num_rel ? sum_prec / qe->num_rel : 0.0;
    qe->p10 = rel10 / 10.0;
    qe->ndcg10 = idcg > 0 ? dcg / idcg : 0.0;
    return AS_OK;
}

int as_treceval(const as_qrels *qr, const as_run *run,
                const as_treceval_opts *oin, as_eval *out, as_err *err)
{
    memset(out, 0, sizeof *out);
    as_treceval_opts o;
    if (oin)
        o = *oin;
    else
        as_treceval_opts_default(&o);
    if (o.depth == 0)
        o.depth = 1000;
    if (o.rel_level <= 0)
        o.rel_level = 1;

    const table *qt = &qr->t, *rt = &run->t;
    size_t maxrun = 0, maxq = 0;
    for (size_t i = 0; i < rt->ng; i++)
        if (rt->g[i].n > maxrun)
            maxrun = rt->g[i].n;
    for (size_t i = 0; i < qt->ng; i++)
        if (qt->g[i].n > maxq)
            maxq = qt->g[i].n;

    out->q = calloc(qt->ng ? qt->ng : 1, sizeof *out->q);
    const char **scratch = malloc((maxrun ? maxrun : 1) * sizeof *scratch);
    int *gains = malloc((maxq ? maxq : 1) * sizeof *gains);
    if (!out->q || !scratch || !gains) {
        free(scratch);
        free(gains);
        as_eval_free(out);
        return as_err_set(err, AS_ENOMEM, "treceval: out of memory");
    }

    double smap = 0, sp10 = 0, sndcg = 0;
    for (size_t i = 0; i < qt->ng; i++) {
        const group *rg = find_group(rt, qt->g[i].qid);
        as_qeval *qe = &out->q[i];
        int rc = eval_query(qt, &qt->g[i], rt, rg, &o, qe, scratch, gains, err);
        if (rc != AS_OK) {
            free(scratch);
            free(gains);
            as_eval_free(out);
            return rc;
        }
        out->nq++;
        if (!qe->in_run)
            out->nmissing++;
        if (qe->in_run || o.complete) {
            out->navg++;
            smap += qe->ap;
            sp10 += qe->p10;
            sndcg += qe->ndcg10;
        }
    }
    for (size_t i = 0; i < rt->ng; i++)
        if (!find_group(qt, rt->g[i].qid))
            out->nunjudged_q++;
    if (out->navg) {
        out->map = smap / out->navg;
        out->p10 = sp10 / out->navg;
        out->ndcg10 = sndcg / out->navg;
    }
    free(scratch);
    free(gains);
    return AS_OK;
}
