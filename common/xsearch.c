/*
 * xsearch.c — runs a parsed query through Xapian on an export (xsearch.h):
 * translates the query tree and filters into the shim's node tree, decodes
 * the stored records, and reproduces the native engine's copies/reports
 * for collapsed hits.
 *
 * Why the results agree with the native engine: the export gives every
 * sentence exactly the native terms, positions and length, so Xapian's
 * BM25Weight (the formula the native engine copies) sees the same
 * statistics; its combined docids rise with the native docid, so ties and
 * the representative of a collapsed group come out the same; kind weights
 * are OP_SCALE_WEIGHT factors (the native engine multiplies the sum, Xapian
 * each term's weight: equal up to rounding).
 */
#include "xsearch.h"
#include "xapian_shim.h"
#include "xexport.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_DEPTH 200 /* as the native engine */

struct as_xsearch {
    asx_db *db;
    char msg[512];
    int lexrc;               /* failure during a lexicon call, for later */
    char lexmsg[512];
    as_lexicon lex;
    as_acrotab *acro;
    char *cbuf;              /* council names, "\n" replaced by NUL */
    char **councils;
    char **cnorm;            /* normalized, for matching */
    uint32_t ncouncils;
    uint32_t ndocs;
};

static int fail(as_xsearch *xs, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int fail(as_xsearch *xs, int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(xs->msg, sizeof xs->msg, fmt, ap);
    va_end(ap);
    return code;
}

/* ---- records -------------------------------------------------------------- */

static int parse_u32(const char *s, uint32_t *out)
{
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || end == s || *end || v > UINT32_MAX || *s == '-')
        return -1;
    *out = (uint32_t)v;
    return 0;
}

int as_xdoc_decode(const char *data, size_t len, as_xdoc *out)
{
    if (!data || !out)
        return AS_EINVAL;
    memset(out, 0, sizeof *out);
    const char *f[AS_XDATA_FIELDS + 1];
    size_t at = 0;
    for (int i = 0; i <= AS_XDATA_FIELDS; i++) {
        const char *nul = at < len ? memchr(data + at, '\0', len - at) : NULL;
        if (!nul)
            return AS_ECORRUPT;
        f[i] = data + at;
        at = (size_t)(nul - data) + 1;
    }
    if (strcmp(f[0], AS_XDATA_MAGIC) != 0)
        return AS_ECORRUPT;
    uint32_t v[12];
    for (int i = 0; i < 12; i++) {
        if (i == 2)
            continue; /* council: text */
        if (parse_u32(f[1 + i], &v[i]))
            return AS_ECORRUPT;
    }
    out->doc = v[0];
    out->file = v[1];
    out->council = *f[3] ? f[3] : NULL;
    out->statement = v[3] <= AS_NSTATEMENTS ? (int)v[3] : 0;
    out->theme = v[4] <= 4 ? (int)v[4] : 0;
    out->score = v[5] <= 4 ? (int)v[5] : 0;
    out->published = v[6];
    out->updated = v[7];
    out->kind = v[8] < AS_NKINDS ? (int)v[8] : 0;
    out->line = v[9];
    out->paragraph = v[10];
    out->sentence = v[11];
    out->section = f[13];
    out->text = f[14];
    out->path = f[15];
    return AS_OK;
}

/* ---- opening -------------------------------------------------------------- */


typedef struct prefix_ctx {
    int (*fn)(void *arg, const char *term, size_t len);
    void *arg;
} prefix_ctx;

static int prefix_cb(void *arg, const char *term, size_t len, uint64_t tf)
{
    (void)tf;
    prefix_ctx *p = arg;
    /* Filter terms (upper-case prefixes) are not words. */
    if (len > 0 && term[0] >= 'A' && term[0] <= 'Z')
        return 0;
    return p->fn(p->arg, term, len);
}

static int lex_each_prefix(void *ctx, const char *prefix, size_t plen,
                           int (*fn)(void *arg, const char *term, size_t len), void *arg)
{
    as_xsearch *xs = ctx;
    prefix_ctx p = {fn, arg};
    int stopped = 0;
    int rc = asx_db_allterms(xs->db, prefix, plen, prefix_cb, &p, &stopped);
    if (rc != AS_OK && xs->lexrc == AS_OK) {
        xs->lexrc = rc;
        snprintf(xs->lexmsg, sizeof xs->lexmsg, "%s", asx_db_errmsg(xs->db));
    }
    return stopped;
}

static int read_meta(as_xsearch *xs, const char *key, char **val, size_t *len, as_err *err)
{
    int rc = asx_db_get_metadata(xs->db, key, val, len);
    if (rc != AS_OK)
        return as_err_set(err, rc, "%s", asx_db_errmsg(xs->db));
    return AS_OK;
}

int as_xsearch_open(const char *path, as_xsearch **out, as_err *err)
{
    if (!out)
        return as_err_set(err, AS_EINVAL, "as_xsearch_open: no result pointer");
    *out = NULL;
    if (!path)
        return as_err_set(err, AS_EINVAL, "as_xsearch_open: no path");
    as_xsearch *xs = calloc(1, sizeof *xs);
    if (!xs)
        return as_err_set(err, AS_ENOMEM, "out of memory");
    int rc = asx_db_open(path, &xs->db, err);
    char *v = NULL;
    size_t vl = 0;
    if (rc != AS_OK)
        goto bad;
    if ((rc = read_meta(xs, AS_XMETA_FORMAT, &v, &vl, err)) != AS_OK)
        goto bad;
    if (strcmp(v, AS_XFORMAT) != 0) {
        rc = as_err_set(err, AS_EFORMAT,
                        "%s: not an assess-search Xapian export of format %s "
                        "(export it again with assess-index --xapian)", path, AS_XFORMAT);
        goto bad;
    }
    free(v);
    v = NULL;
    if ((rc = read_meta(xs, AS_XMETA_NDOCS, &v, &vl, err)) != AS_OK)
        goto bad;
    if (parse_u32(v, &xs->ndocs)) {
        rc = as_err_set(err, AS_ECORRUPT, "%s: bad %s", path, AS_XMETA_NDOCS);
        goto bad;
    }
    free(v);
    v = NULL;

    if ((rc = read_meta(xs, AS_XMETA_COUNCILS, &xs->cbuf, &vl, err)) != AS_OK)
        goto bad;
    for (size_t i = 0; i < vl; i++)
        xs->ncouncils += xs->cbuf[i] == '\n';
    xs->councils = calloc(xs->ncouncils + 1, sizeof *xs->councils);
    xs->cnorm = calloc(xs->ncouncils + 1, sizeof *xs->cnorm);
    if (!xs->councils || !xs->cnorm) {
        rc = as_err_set(err, AS_ENOMEM, "out of memory");
        goto bad;
    }
    char *p = xs->cbuf;
    for (uint32_t c = 0; c < xs->ncouncils; c++) {
        char *nl = strchr(p, '\n');
        *nl = '\0';
        xs->councils[c] = p;
        xs->cnorm[c] = as_council_normalize(p, (size_t)(nl - p));
        if (!xs->cnorm[c]) {
            rc = as_err_set(err, AS_ENOMEM, "out of memory");
            goto bad;
        }
        p = nl + 1;
    }

    if ((rc = read_meta(xs, AS_XMETA_ACRONYMS, &v, &vl, err)) != AS_OK)
        goto bad;
    if (vl > 0) {
        rc = as_acrotab_deserialize(&xs->acro, v, vl, err);
        if (rc != AS_OK)
            goto bad;
    }
    free(v);
    v = NULL;
    xs->lex.ctx = xs;
    xs->lex.each_prefix = lex_each_prefix;
    xs->lex.acronyms = xs->acro;
    *out = xs;
    return AS_OK;
bad:
    free(v);
    as_xsearch_close(xs);
    return rc;
}

void as_xsearch_close(as_xsearch *xs)
{
    if (!xs)
        return;
    asx_db_close(xs->db);
    as_acrotab_free(xs->acro);
    for (uint32_t c = 0; xs->cnorm && c < xs->ncouncils; c++)
        free(xs->cnorm[c]);
    free(xs->cnorm);
    free(xs->councils);
    free(xs->cbuf);
    free(xs);
}

const char *as_xsearch_errmsg(const as_xsearch *xs)
{
    return xs ? xs->msg : "no database";
}

const as_lexicon *as_xsearch_lexicon(as_xsearch *xs)
{
    return xs ? &xs->lex : NULL;
}

uint32_t as_xsearch_ncouncils(const as_xsearch *xs)
{
    return xs ? xs->ncouncils : 0;
}

const char *as_xsearch_council(const as_xsearch *xs, uint32_t c)
{
    return xs && c < xs->ncouncils ? xs->councils[c] : NULL;
}

uint32_t as_xsearch_ndocs(const as_xsearch *xs)
{
    return xs ? xs->ndocs : 0;
}

/* ---- translating the query ------------------------------------------------ */

/* Every node, kid array and string of one translated query. */
typedef struct tree {
    void **allocs;
    size_t n, cap;
    int rc;         /* sticky */
    as_xsearch *xs;
} tree;

static void *talloc(tree *t, size_t size)
{
    if (t->rc != AS_OK)
        return NULL;
    if (t->n == t->cap) {
        size_t c = t->cap ? t->cap * 2 : 64;
        void **a = realloc(t->allocs, c * sizeof *a);
        if (!a) {
            t->rc = fail(t->xs, AS_ENOMEM, "out of memory");
            return NULL;
        }
        t->allocs = a;
        t->cap = c;
    }
    void *p = calloc(1, size ? size : 1);
    if (!p) {
        t->rc = fail(t->xs, AS_ENOMEM, "out of memory");
        return NULL;
    }
    t->allocs[t->n++] = p;
    return p;
}

static void tree_free(tree *t)
{
    for (size_t i = 0; i < t->n; i++)
        free(t->allocs[i]);
    free(t->allocs);
}

static asx_node *mk(tree *t, int op, size_t nkids)
{
    asx_node *n = talloc(t, sizeof *n);
    if (!n)
        return NULL;
    n->op = op;
    if (nkids) {
        n->kids = talloc(t, nkids * sizeof *n->kids);
        if (!n->kids)
            return NULL;
    }
    n->nkids = 0; /* filled by the caller */
    return n;
}

static asx_node *mk_term(tree *t, const char *term, size_t len)
{
    asx_node *n = mk(t, ASX_TERM, 0);
    if (!n)
        return NULL;
    n->term = term;
    n->len = len;
    return n;
}

/* A boolean filter term: prefix letter and number. */
static asx_node *mk_bool(tree *t, char prefix, uint64_t v)
{
    char *s = talloc(t, 24);
    if (!s)
        return NULL;
    int l = snprintf(s, 24, "%c%" PRIu64, prefix, v);
    return mk_term(t, s, (size_t)l);
}

static asx_node *translate(tree *t, const as_qnode *q, int depth);

static asx_node *tr_phrase(tree *t, const as_qnode *q)
{
    if (q->nkids == 0 || !q->kids)
        return mk(t, ASX_NOTHING, 0);
    for (size_t i = 0; i < q->nkids; i++)
        if (!q->kids[i] || q->kids[i]->op != AS_Q_TERM) {
            t->rc = fail(t->xs, AS_EINVAL, "phrase of something other than terms");
            return NULL;
        }
    /* Kids in offset order (stable): OP_PHRASE checks order, not offsets. */
    const as_qnode **k = talloc(t, q->nkids * sizeof *k);
    if (!k)
        return NULL;
    for (size_t i = 0; i < q->nkids; i++) {
        const as_qnode *v = q->kids[i];
        size_t j = i;
        while (j > 0 && k[j - 1]->offset > v->offset) {
            k[j] = k[j - 1];
            j--;
        }
        k[j] = v;
    }
    for (size_t i = 0; i < q->nkids; i++)
        if (!k[i]->term || !*k[i]->term)
            return mk(t, ASX_NOTHING, 0); /* unknown word: nothing */
    if (q->nkids == 1)
        return mk_term(t, k[0]->term, strlen(k[0]->term));
    asx_node *n = mk(t, ASX_PHRASE, q->nkids);
    if (!n)
        return NULL;
    uint64_t span = (uint64_t)k[q->nkids - 1]->offset - k[0]->offset + 1;
    n->window = span > UINT32_MAX ? UINT32_MAX : (uint32_t)span;
    for (size_t i = 0; i < q->nkids; i++) {
        n->kids[i] = mk_term(t, k[i]->term, strlen(k[i]->term));
        if (!n->kids[i])
            return NULL;
        n->nkids++;
    }
    return n;
}

static asx_node *translate(tree *t, const as_qnode *q, int depth)
{
    if (t->rc != AS_OK)
        return NULL;
    if (!q)
        return mk(t, ASX_NOTHING, 0);
    if (depth > MAX_DEPTH) {
        t->rc = fail(t->xs, AS_ELIMIT, "query nested more than %d deep", MAX_DEPTH);
        return NULL;
    }
    switch (q->op) {
    case AS_Q_TERM:
        if (!q->term) {
            t->rc = fail(t->xs, AS_EINVAL, "query term without text");
            return NULL;
        }
        if (!*q->term)
            return mk(t, ASX_NOTHING, 0);
        return mk_term(t, q->term, strlen(q->term));
    case AS_Q_PHRASE:
        return tr_phrase(t, q);
    case AS_Q_NOTHING:
        return mk(t, ASX_NOTHING, 0);
    case AS_Q_AND:
    case AS_Q_OR:
    case AS_Q_ANDNOT: {
        if (q->nkids == 0 || !q->kids)
            return mk(t, ASX_NOTHING, 0);
        int op = q->op == AS_Q_AND ? ASX_AND : q->op == AS_Q_OR ? ASX_OR : ASX_AND_NOT;
        asx_node *n = mk(t, op, q->nkids);
        if (!n)
            return NULL;
        for (size_t i = 0; i < q->nkids; i++) {
            n->kids[i] = translate(t, q->kids[i], depth + 1);
            if (!n->kids[i])
                return NULL;
            n->nkids++;
        }
        return n;
    }
    }
    t->rc = fail(t->xs, AS_EINVAL, "unknown query operator %d", q->op);
    return NULL;
}

static const char *council_name(void *ctx, uint32_t c)
{
    return ((as_xsearch *)ctx)->councils[c];
}

/* Resolves a typed council name exactly as the native engine does. */
static int bind_council(as_xsearch *xs, const char *typed, uint32_t *id)
{
    as_err err = {0};
    int rc = as_council_resolve(xs->cnorm, xs->ncouncils, council_name, xs, typed, id, &err);
    if (rc != AS_OK)
        return fail(xs, rc, "%s", err.msg);
    return AS_OK;
}

/* OR of prefix<v> for every v below nbits whose bit in mask is clear: the
 * values a filter excludes.  NULL (and no error) when none is excluded. */
static asx_node *excluded_or(tree *t, char prefix, uint32_t mask, unsigned nbits)
{
    asx_node *n = mk(t, ASX_OR, nbits);
    if (!n)
        return NULL;
    for (unsigned v = 0; v < nbits; v++)
        if (!(mask & (1u << v))) {
            n->kids[n->nkids] = mk_bool(t, prefix, v);
            if (!n->kids[n->nkids])
                return NULL;
            n->nkids++;
        }
    return n->nkids ? n : NULL;
}

/* Appends a copy of a term to an OR node with room for cap kids. */
static int or_add(tree *t, asx_node *or, size_t *cap, const char *term, size_t len)
{
    if (or->nkids == *cap) {
        size_t c = *cap * 2;
        asx_node **k = talloc(t, c * sizeof *k);
        if (!k)
            return -1;
        memcpy(k, or->kids, or->nkids * sizeof *k);
        or->kids = k;
        *cap = c;
    }
    char *s = talloc(t, len + 1);
    if (!s)
        return -1;
    memcpy(s, term, len);
    s[len] = '\0';
    asx_node *n = mk_term(t, s, len);
    if (!n)
        return -1;
    or->kids[or->nkids++] = n;
    return 0;
}

typedef struct years {
    tree *t;
    asx_node *or;
    size_t cap;
    int lo, hi;
} years;

/* Collects the Y terms outside [lo, hi] (and YN, unknown date). */
static int year_cb(void *arg, const char *term, size_t len, uint64_t tf)
{
    (void)tf;
    years *y = arg;
    char b[16];
    uint32_t v = 0;
    int known = len >= 2 && len <= 10;
    if (known) {
        memcpy(b, term + 1, len - 1);
        b[len - 1] = '\0';
        known = parse_u32(b, &v) == 0;
    }
    if (known && !(y->lo && (int)v < y->lo) && !(y->hi && (int)v > y->hi))
        return 0;
    return or_add(y->t, y->or, &y->cap, term, len) ? 1 : 0;
}

/* The filter as exclusions: each kid an OR of the boolean terms a sentence
 * must not have.  Why not OP_FILTER with the allowed values: Xapian 1.4.22
 * inflates weights when an OR holding a phrase and a repeated term (what
 * "SARs safeguarding adults reviews" becomes with --any) is put under
 * OP_FILTER or OP_AND with a boolean term, while the left side of
 * OP_AND_NOT is weighted correctly (tests/unit/test_xapian_diff.c found
 * it).  Every sentence has one term per field (xexport.h), so excluding
 * the complement is the same filter. */
static int exclusions(tree *t, const as_filter *f, asx_node **out, size_t *nout)
{
    as_xsearch *xs = t->xs;
    size_t n = 0;
    if (f->ncouncils > 0) {
        uint8_t *ok = talloc(t, xs->ncouncils + 1);
        if (!ok)
            return t->rc;
        for (size_t i = 0; i < f->ncouncils; i++) {
            uint32_t id = 0;
            if (!f->councils || !f->councils[i])
                return t->rc = fail(xs, AS_EINVAL, "missing council name");
            int rc = bind_council(xs, f->councils[i], &id);
            if (rc != AS_OK)
                return t->rc = rc;
            ok[id] = 1;
        }
        asx_node *c = mk(t, ASX_OR, xs->ncouncils + 1);
        if (!c)
            return t->rc;
        c->kids[c->nkids] = mk_term(t, "CN", 2);
        if (!c->kids[c->nkids])
            return t->rc;
        c->nkids++;
        for (uint32_t id = 0; id < xs->ncouncils; id++)
            if (!ok[id]) {
                c->kids[c->nkids] = mk_bool(t, 'C', id);
                if (!c->kids[c->nkids])
                    return t->rc;
                c->nkids++;
            }
        out[n++] = c;
    }
    if (f->statements && (out[n] = excluded_or(t, 'S', f->statements, 16)))
        n++;
    if (f->themes && (out[n] = excluded_or(t, 'T', f->themes, 8)))
        n++;
    if (f->scores && (out[n] = excluded_or(t, 'R', f->scores, 8)))
        n++;
    if (t->rc != AS_OK)
        return t->rc;
    if (f->year_min || f->year_max) {
        years y = {t, mk(t, ASX_OR, 8), 8, f->year_min, f->year_max};
        if (!y.or)
            return t->rc;
        int rc = asx_db_allterms(xs->db, "Y", 1, year_cb, &y, NULL);
        if (rc != AS_OK)
            return t->rc = fail(xs, rc, "%s", asx_db_errmsg(xs->db));
        if (t->rc != AS_OK)
            return t->rc;
        if (y.or->nkids)
            out[n++] = y.or;
    }
    *nout = n;
    return t->rc;
}

/* The whole query: OR over groups of kinds with equal weight of
 * SCALE(AND_NOT(query, excluded values..., other kinds), weight). */
static int build(as_xsearch *xs, tree *t, const as_query *q, const as_search_opts *o,
                 asx_node **root)
{
    *root = NULL;
    const as_bm25 *bm = &o->bm25;
    if (!isfinite(bm->k1) || !isfinite(bm->b) || !isfinite(bm->min_normlen) || bm->k1 < 0 ||
        bm->b < 0 || bm->b > 1 || bm->min_normlen < 0)
        return fail(xs, AS_EINVAL, "BM25 parameters out of range (k1 >= 0, 0 <= b <= 1, "
                                   "min_normlen >= 0)");
    for (int k = 0; k < AS_NKINDS; k++)
        if (!isfinite(o->kind_weight[k]) || o->kind_weight[k] < 0)
            return fail(xs, AS_EINVAL, "kind weight %g out of range (>= 0)",
                        o->kind_weight[k]);
    asx_node *base = q->root ? translate(t, q->root, 0) : mk(t, ASX_ALL, 0);
    if (!base)
        return t->rc;
    asx_node *ex[8];
    size_t nex = 0;
    if (exclusions(t, &q->filter, ex, &nex) != AS_OK)
        return t->rc;

    unsigned kinds = q->filter.kinds ? (q->filter.kinds & ((1u << AS_NKINDS) - 1))
                                     : (1u << AS_NKINDS) - 1;
    asx_node *top = mk(t, ASX_OR, AS_NKINDS);
    if (!top)
        return t->rc;
    unsigned done = 0;
    for (int k = 0; k < AS_NKINDS; k++) {
        if (!(kinds & (1u << k)) || (done & (1u << k)))
            continue;
        double w = o->kind_weight[k];
        unsigned group = 0;
        for (int j = k; j < AS_NKINDS; j++)
            if ((kinds & (1u << j)) && o->kind_weight[j] == w)
                group |= 1u << j;
        done |= group;
        asx_node *kx = excluded_or(t, 'K', group, AS_NKINDS);
        if (t->rc != AS_OK)
            return t->rc;
        asx_node *sel = base;
        if (nex || kx) {
            sel = mk(t, ASX_AND_NOT, 2 + nex);
            if (!sel)
                return t->rc;
            sel->kids[sel->nkids++] = base;
            for (size_t i = 0; i < nex; i++)
                sel->kids[sel->nkids++] = ex[i];
            if (kx)
                sel->kids[sel->nkids++] = kx;
        }
        asx_node *s = mk(t, ASX_SCALE, 1);
        if (!s)
            return t->rc;
        s->factor = w;
        s->kids[s->nkids++] = sel;
        top->kids[top->nkids++] = s;
    }
    *root = top; /* no kind allowed: an empty OR, nothing */
    return AS_OK;
}

/* ---- searching ------------------------------------------------------------ */

typedef struct store {
    asx_result **res;
    size_t n, cap;
} store;

static int keep(store *s, asx_result *r)
{
    if (s->n == s->cap) {
        size_t c = s->cap ? s->cap * 2 : 8;
        asx_result **a = realloc(s->res, c * sizeof *a);
        if (!a)
            return AS_ENOMEM;
        s->res = a;
        s->cap = c;
    }
    s->res[s->n++] = r;
    return AS_OK;
}

static void store_free(store *s)
{
    if (!s)
        return;
    for (size_t i = 0; i < s->n; i++)
        asx_result_free(s->res[i]);
    free(s->res);
    free(s);
}

void as_xhits_free(as_xhits *h)
{
    if (!h)
        return;
    free(h->hits);
    store_free(h->priv);
    memset(h, 0, sizeof *h);
}

static void shim_opts(const as_search_opts *o, asx_search_opts *so)
{
    asx_search_opts_default(so);
    so->k1 = o->bm25.k1;
    so->b = o->bm25.b;
    so->min_normlen = o->bm25.min_normlen;
    so->exact = 0;
}

static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return x < y ? -1 : x > y;
}

/* Weights within this relative distance are one tie.  Xapian sums a
 * sentence's term weights in an order that depends on its shard (each
 * shard builds its own postlist tree), so weights the native engine makes
 * bit-identical can differ here in the last bits; ties are then broken by
 * native docid, as the native engine does. */
#define TIE_EPS 1e-12

static int tied(double a, double b)
{
    return fabs(a - b) <= TIE_EPS * fmax(fabs(a), fabs(b));
}

/* A hit being assembled: the Xapian hit it came from and its record. */
typedef struct cand {
    double w;
    uint32_t doc;       /* native docid of the representative */
    const asx_bytes *data;
    uint32_t copies, reports;
} cand;

/* Members of the duplicate group `key` (gsize sentences) that match root:
 * copies, distinct files (reports), and the representative the native
 * engine picks (best weight, then lowest docid).  Root is restricted to the
 * group as AND_NOT(root, AND_NOT(all, G<key>)), keeping root on the left of
 * an AND_NOT (see exclusions()). */
static int group_info(as_xsearch *xs, asx_node *root, const as_search_opts *o,
                      const char *key, uint32_t gsize, store *st, cand *c)
{
    tree t = {.xs = xs};
    asx_node *outside = mk(&t, ASX_AND_NOT, 2);
    asx_node *sel = mk(&t, ASX_AND_NOT, 2);
    asx_node *all = mk(&t, ASX_ALL, 0);
    char *s = talloc(&t, strlen(key) + 2);
    if (!outside || !sel || !all || !s) {
        tree_free(&t);
        return fail(xs, AS_ENOMEM, "out of memory");
    }
    s[0] = 'G';
    strcpy(s + 1, key);
    asx_node *g = mk_term(&t, s, strlen(s));
    if (!g) {
        tree_free(&t);
        return fail(xs, AS_ENOMEM, "out of memory");
    }
    outside->kids[outside->nkids++] = all;
    outside->kids[outside->nkids++] = g;
    sel->kids[sel->nkids++] = root;
    sel->kids[sel->nkids++] = outside;
    asx_search_opts so;
    shim_opts(o, &so);
    so.limit = gsize;
    uint32_t slots[] = {AS_XSLOT_FILE, AS_XSLOT_DOC};
    so.slots = slots;
    so.nslots = 2;
    asx_result *r;
    int rc = asx_search(xs->db, sel, &so, &r);
    tree_free(&t);
    if (rc != AS_OK)
        return fail(xs, rc, "%s", asx_db_errmsg(xs->db));
    if (keep(st, r) != AS_OK) {
        asx_result_free(r);
        return fail(xs, AS_ENOMEM, "out of memory");
    }
    uint32_t *files = malloc((r->n ? r->n : 1) * sizeof *files);
    if (!files)
        return fail(xs, AS_ENOMEM, "out of memory");
    double best = -INFINITY;
    for (size_t i = 0; i < r->n; i++)
        if (r->hits[i].weight > best)
            best = r->hits[i].weight;
    for (size_t i = 0; i < r->n; i++) {
        uint32_t doc;
        if (parse_u32(r->hits[i].values[0].p, &files[i]))
            files[i] = AS_NONE;
        if (parse_u32(r->hits[i].values[1].p, &doc) == 0 && tied(r->hits[i].weight, best) &&
            doc < c->doc) {
            c->doc = doc;
            c->data = &r->hits[i].data;
        }
    }
    qsort(files, r->n, sizeof *files, cmp_u32);
    uint32_t reports = 0;
    for (size_t i = 0; i < r->n; i++)
        reports += i == 0 || files[i] != files[i - 1];
    c->copies = r->n ? (uint32_t)r->n : 1;
    c->reports = reports ? reports : 1;
    free(files);
    return AS_OK;
}

static int cmp_cand(const void *a, const void *b)
{
    const cand *x = a, *y = b;
    return x->doc < y->doc ? -1 : x->doc > y->doc;
}

static int take_lexrc(as_xsearch *xs)
{
    if (xs->lexrc == AS_OK)
        return AS_OK;
    int rc = xs->lexrc;
    xs->lexrc = AS_OK;
    return fail(xs, rc, "%s", xs->lexmsg);
}

/* The ranking [0, want) as the native engine makes it: Xapian's hits, then
 * enough more to hold every hit tied with the last wanted one, ties sorted
 * by native docid, collapsed groups represented as natively. */
static int rank(as_xsearch *xs, asx_node *root, const as_search_opts *o, size_t want,
                store *st, cand **out, size_t *nout, uint64_t *total)
{
    *out = NULL;
    *nout = 0;
    asx_search_opts so;
    shim_opts(o, &so);
    so.exact = o->want_total != 0;
    so.collapse_slot = o->collapse ? AS_XSLOT_GROUP : ASX_NO_SLOT;
    uint32_t slots[] = {AS_XSLOT_GROUP, AS_XSLOT_GROUPSIZE, AS_XSLOT_DOC};
    so.slots = slots;
    so.nslots = 3;
    size_t fetch = want + 8;
    asx_result *r;
    for (;;) {
        so.limit = want == 0 ? 0 : fetch > xs->ndocs ? xs->ndocs : (uint32_t)fetch;
        int rc = asx_search(xs->db, root, &so, &r);
        if (rc != AS_OK)
            return fail(xs, rc, "%s", asx_db_errmsg(xs->db));
        if (r->n < so.limit || so.limit == xs->ndocs || want == 0 ||
            !tied(r->hits[r->n - 1].weight, r->hits[want - 1].weight))
            break;
        asx_result_free(r); /* the last hit may tie with the cut: fetch more */
        fetch *= 2;
    }
    if (keep(st, r) != AS_OK) {
        asx_result_free(r);
        return fail(xs, AS_ENOMEM, "out of memory");
    }
    *total = o->want_total ? r->matches : 0;
    cand *c = calloc(r->n ? r->n : 1, sizeof *c);
    if (!c)
        return fail(xs, AS_ENOMEM, "out of memory");
    for (size_t i = 0; i < r->n; i++) {
        const asx_hit *h = &r->hits[i];
        c[i].w = h->weight;
        c[i].data = &h->data;
        c[i].copies = c[i].reports = 1;
        if (parse_u32(h->values[2].p, &c[i].doc)) {
            free(c);
            return fail(xs, AS_ECORRUPT, "Xapian document %u: not an exported sentence",
                        h->docid);
        }
        uint32_t gsize = 1;
        if (o->collapse && parse_u32(h->values[1].p, &gsize) == 0 && gsize > 1) {
            int rc = group_info(xs, root, o, h->values[0].p, gsize, st, &c[i]);
            if (rc != AS_OK) {
                free(c);
                return rc;
            }
        }
    }
    /* Runs of tied weights in native docid order. */
    for (size_t i = 0; i < r->n;) {
        size_t j = i + 1;
        while (j < r->n && tied(c[j].w, c[j - 1].w))
            j++;
        qsort(c + i, j - i, sizeof *c, cmp_cand);
        i = j;
    }
    *out = c;
    *nout = r->n < want ? r->n : want;
    return AS_OK;
}

int as_xsearch_search(as_xsearch *xs, const as_query *q, const as_search_opts *o,
                      as_xhits *out)
{
    if (!out)
        return AS_EINVAL;
    memset(out, 0, sizeof *out);
    if (!xs)
        return AS_EINVAL;
    xs->msg[0] = '\0';
    if (!q)
        return fail(xs, AS_EINVAL, "no query");
    int rc = take_lexrc(xs);
    if (rc != AS_OK)
        return rc;
    as_search_opts def;
    if (!o) {
        as_search_opts_default(&def);
        o = &def;
    }
    tree t = {.xs = xs};
    asx_node *root;
    rc = build(xs, &t, q, o, &root);
    store *st = calloc(1, sizeof *st);
    if (rc == AS_OK && !st)
        rc = fail(xs, AS_ENOMEM, "out of memory");
    if (rc != AS_OK) {
        tree_free(&t);
        free(st);
        return rc;
    }
    out->priv = st;
    size_t want = o->limit == 0 ? 0 : o->limit > SIZE_MAX - o->offset ? SIZE_MAX
                                                                         : o->offset + o->limit;
    if (want > xs->ndocs)
        want = xs->ndocs;
    cand *c = NULL;
    size_t nc = 0;
    rc = rank(xs, root, o, want, st, &c, &nc, &out->total);
    size_t n = rc == AS_OK && nc > o->offset ? nc - o->offset : 0;
    if (n > 0) {
        out->hits = calloc(n, sizeof *out->hits);
        if (!out->hits)
            rc = fail(xs, AS_ENOMEM, "out of memory");
    }
    for (size_t i = 0; rc == AS_OK && i < n; i++) {
        const cand *k = &c[o->offset + i];
        as_xhit *h = &out->hits[i];
        if (as_xdoc_decode(k->data->p, k->data->len, &h->rec) != AS_OK || h->rec.doc != k->doc) {
            rc = fail(xs, AS_ECORRUPT, "sentence %u: bad record in the Xapian database",
                      k->doc);
            break;
        }
        h->hit.doc = k->doc;
        h->hit.weight = k->w;
        h->hit.copies = k->copies;
        h->hit.reports = k->reports;
        out->n = i + 1;
    }
    free(c);
    tree_free(&t);
    if (rc != AS_OK)
        as_xhits_free(out);
    return rc;
}

typedef struct ord {
    uint32_t doc;
    size_t i;
} ord;

static int cmp_ord(const void *a, const void *b)
{
    const ord *x = a, *y = b;
    return x->doc < y->doc ? -1 : x->doc > y->doc;
}

int as_xsearch_each(as_xsearch *xs, const as_query *q, const as_search_opts *o,
                    as_xmatch_fn fn, void *arg)
{
    if (!xs)
        return AS_EINVAL;
    xs->msg[0] = '\0';
    if (!q || !fn)
        return fail(xs, AS_EINVAL, "no query or callback");
    int rc = take_lexrc(xs);
    if (rc != AS_OK)
        return rc;
    as_search_opts def;
    if (!o) {
        as_search_opts_default(&def);
        o = &def;
    }
    tree t = {.xs = xs};
    asx_node *root;
    rc = build(xs, &t, q, o, &root);
    if (rc != AS_OK) {
        tree_free(&t);
        return rc;
    }
    asx_search_opts so;
    shim_opts(o, &so);
    so.limit = xs->ndocs;
    asx_result *r = NULL;
    rc = asx_search(xs->db, root, &so, &r);
    tree_free(&t);
    if (rc != AS_OK)
        return fail(xs, rc, "%s", asx_db_errmsg(xs->db));
    ord *v = malloc((r->n ? r->n : 1) * sizeof *v);
    as_xdoc *d = malloc((r->n ? r->n : 1) * sizeof *d);
    if (!v || !d) {
        rc = fail(xs, AS_ENOMEM, "out of memory");
        goto out;
    }
    for (size_t i = 0; i < r->n; i++) {
        if (as_xdoc_decode(r->hits[i].data.p, r->hits[i].data.len, &d[i]) != AS_OK) {
            rc = fail(xs, AS_ECORRUPT, "Xapian document %u: not an exported sentence",
                      r->hits[i].docid);
            goto out;
        }
        v[i] = (ord){d[i].doc, i};
    }
    qsort(v, r->n, sizeof *v, cmp_ord);
    for (size_t i = 0; i < r->n; i++)
        if (fn(arg, &d[v[i].i], r->hits[v[i].i].weight))
            break;
out:
    free(v);
    free(d);
    asx_result_free(r);
    return rc;
}
