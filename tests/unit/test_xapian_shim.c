/*
 * test_xapian_shim.c — tests of the Xapian shim (common/xapian_shim.h).
 *
 * A small table of documents (terms at positions 0.., kind, council,
 * duplicate group) is written into a Xapian database in a temporary
 * directory, reopened directly, through a stub file, and as two shards of
 * one stub.  Every query is also evaluated by a reference evaluator in this
 * file, which computes BM25 by hand from the table with the formula of
 * DESIGN.md section 7; hits, order (weight, then docid) and weights (1e-9
 * relative) must agree.  Error paths must give codes and messages.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <ftw.h>
#include <math.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "xapian_shim.h"

/* ---- The corpus -------------------------------------------------------- */

typedef struct tdoc {
    const char *text; /* terms at positions 0, 1, ... */
    int kind;
    int council;
    const char *group; /* duplicate group key (value slot 0) */
} tdoc;

static const tdoc DOCS[] = {
    {"care act assess need care", 0, 1, "a"},
    {"safeguard adult review learn", 0, 2, "b"},
    {"safeguard adult review learn", 1, 1, "b"},
    {"learn review adult safeguard", 0, 3, "c"},
    {"adult safeguard board review of safeguard adult", 0, 1, "d"},
    {"people wait for assess", 2, 2, "e"},
    {"safeguard adult review learn", 0, 3, "b"},
    {"co product with people co product", 0, 1, "f"},
    {"safeguard", 3, 2, "g"},
};
#define NDOCS (sizeof DOCS / sizeof DOCS[0])
#define MAXW 16

/* Splits doc d into words (at most MAXW of at most 31 bytes). */
static size_t words(int d, char w[MAXW][32])
{
    size_t n = 0;
    const char *p = DOCS[d].text;
    while (*p && n < MAXW) {
        size_t l = strcspn(p, " ");
        snprintf(w[n++], 32, "%.*s", (int)l, p);
        p += l;
        p += strspn(p, " ");
    }
    return n;
}

/* Boolean terms of doc d: "K<kind>" and "C<council>". */
static int has_boolean(int d, const char *t)
{
    char b[16];
    snprintf(b, sizeof b, "K%d", DOCS[d].kind);
    if (!strcmp(b, t)) return 1;
    snprintf(b, sizeof b, "C%d", DOCS[d].council);
    return !strcmp(b, t);
}

static unsigned wdf_of(int d, const char *t)
{
    char w[MAXW][32];
    size_t n = words(d, w);
    unsigned c = 0;
    for (size_t i = 0; i < n; i++)
        c += !strcmp(w[i], t);
    return c;
}

typedef struct bm25p { double k1, b, min_normlen; } bm25p;

/* DESIGN.md section 7, wqf = 1, from the table alone. */
static double bm25(const bm25p *p, const char *t, int d)
{
    double N = NDOCS, n = 0, total = 0;
    for (size_t i = 0; i < NDOCS; i++) {
        char w[MAXW][32];
        total += (double)words((int)i, w);
        n += wdf_of((int)i, t) > 0;
    }
    char w[MAXW][32];
    double doclen = (double)words(d, w);
    double wdf = wdf_of(d, t);
    if (wdf == 0) return 0;
    double tw = (N - n + 0.5) / (n + 0.5);
    if (tw < 2) tw = tw / 2 + 1;
    double L = doclen / (total / N);
    if (L < p->min_normlen) L = p->min_normlen;
    double k3 = 1, wqf = 1;
    return log(tw) * (k3 + 1) * wqf / (k3 + wqf) * (p->k1 + 1) * wdf /
           (p->k1 * (p->b * L + 1 - p->b) + wdf);
}

/* ---- Query trees ------------------------------------------------------- */

typedef struct pool {
    asx_node n[256];
    asx_node *k[512];
    int nn, nk;
} pool;

static asx_node *term(pool *p, const char *t)
{
    assert_true(p->nn < 256);
    asx_node *x = &p->n[p->nn++];
    memset(x, 0, sizeof *x);
    x->op = ASX_TERM;
    x->term = t;
    x->len = strlen(t);
    return x;
}

static asx_node *op(pool *p, int o, int nk, ...)
{
    assert_true(p->nn < 256 && p->nk + nk <= 512);
    asx_node *x = &p->n[p->nn++];
    memset(x, 0, sizeof *x);
    x->op = o;
    x->kids = &p->k[p->nk];
    x->nkids = (size_t)nk;
    va_list ap;
    va_start(ap, nk);
    for (int i = 0; i < nk; i++)
        p->k[p->nk++] = va_arg(ap, asx_node *);
    va_end(ap);
    return x;
}

static asx_node *scale(pool *p, asx_node *kid, double f)
{
    asx_node *x = op(p, ASX_SCALE, 1, kid);
    x->factor = f;
    return x;
}

static asx_node *phrase(pool *p, uint32_t window, int nk, ...)
{
    assert_true(p->nn + nk < 256 && p->nk + nk <= 512);
    asx_node *x = &p->n[p->nn++];
    memset(x, 0, sizeof *x);
    x->op = ASX_PHRASE;
    x->window = window;
    x->kids = &p->k[p->nk];
    x->nkids = (size_t)nk;
    va_list ap;
    va_start(ap, nk);
    for (int i = 0; i < nk; i++)
        p->k[p->nk++] = term(p, va_arg(ap, const char *));
    va_end(ap);
    return x;
}

/* Xapian's OP_PHRASE: positions p1 < p2 < ... < pk with pk - p1 < window. */
static int phrase_at(char w[MAXW][32], size_t nw, const asx_node *x, size_t k,
                     size_t prev, size_t first, size_t window)
{
    if (k == x->nkids) return 1;
    for (size_t i = k ? prev + 1 : 0; i < nw; i++) {
        if (k && i - first >= window) break;
        if (strcmp(w[i], x->kids[k]->term)) continue;
        if (phrase_at(w, nw, x, k + 1, i, k ? first : i, window)) return 1;
    }
    return 0;
}

/* Reference evaluator: does doc d match, and with what weight. */
static int eval(const bm25p *p, const asx_node *x, int d, double *wt)
{
    *wt = 0;
    double w;
    switch (x->op) {
    case ASX_TERM:
        if (!wdf_of(d, x->term) && !has_boolean(d, x->term)) return 0;
        *wt = bm25(p, x->term, d);
        return 1;
    case ASX_PHRASE: {
        char ws[MAXW][32];
        size_t nw = words(d, ws);
        size_t window = x->window ? x->window : x->nkids;
        if (!phrase_at(ws, nw, x, 0, 0, 0, window)) return 0;
        for (size_t i = 0; i < x->nkids; i++)
            *wt += bm25(p, x->kids[i]->term, d);
        return 1;
    }
    case ASX_AND:
        for (size_t i = 0; i < x->nkids; i++) {
            if (!eval(p, x->kids[i], d, &w)) return *wt = 0, 0;
            *wt += w;
        }
        return x->nkids > 0;
    case ASX_OR: {
        int any = 0;
        for (size_t i = 0; i < x->nkids; i++)
            if (eval(p, x->kids[i], d, &w)) any = 1, *wt += w;
        return any;
    }
    case ASX_AND_NOT:
        for (size_t i = 1; i < x->nkids; i++)
            if (eval(p, x->kids[i], d, &w)) return 0;
        return eval(p, x->kids[0], d, wt);
    case ASX_FILTER:
        for (size_t i = 1; i < x->nkids; i++)
            if (!eval(p, x->kids[i], d, &w)) return 0;
        return eval(p, x->kids[0], d, wt);
    case ASX_SCALE:
        if (!eval(p, x->kids[0], d, wt)) return 0;
        *wt *= x->factor;
        return 1;
    case ASX_ALL:
        return 1;
    default:
        return 0;
    }
}

typedef struct ehit { int doc; double w; unsigned collapsed; } ehit;

static int cmp_ehit(const void *a, const void *b)
{
    const ehit *x = a, *y = b;
    if (x->w != y->w) return x->w > y->w ? -1 : 1;
    return x->doc - y->doc;
}

/* Expected ranking (optionally collapsed on the group key); returns count. */
static size_t expect(const bm25p *p, const asx_node *q, int collapse, ehit *out)
{
    size_t n = 0;
    for (size_t d = 0; d < NDOCS; d++) {
        double w;
        if (eval(p, q, (int)d, &w)) out[n++] = (ehit){(int)d, w, 0};
    }
    qsort(out, n, sizeof *out, cmp_ehit);
    if (!collapse) return n;
    size_t m = 0;
    for (size_t i = 0; i < n; i++) {
        size_t j;
        for (j = 0; j < m; j++)
            if (!strcmp(DOCS[out[j].doc].group, DOCS[out[i].doc].group)) break;
        if (j < m) out[j].collapsed++;
        else out[m++] = out[i];
    }
    return m;
}

static void assert_rel(double got, double want)
{
    double tol = 1e-9 * fabs(want) + 1e-300;
    if (fabs(got - want) > tol) {
        print_error("weight %.17g, expected %.17g\n", got, want);
        fail();
    }
}

/* ---- Fixture ----------------------------------------------------------- */

typedef struct fix {
    char dir[64];
    char path[128];    /* dir/db */
    char stub[128];    /* dir/stub: "auto db" */
    char shards[128];  /* dir/shards.stub: "auto s0", "auto s1" */
} fix;

static int rm_entry(const char *p, const struct stat *st, int flag, struct FTW *f)
{
    (void)st; (void)flag; (void)f;
    return remove(p);
}

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    assert_int_equal(fclose(f), 0);
}

static void add_doc(asx_db *db, int d, uint32_t *id)
{
    asx_doc *doc;
    assert_int_equal(asx_doc_new(&doc), AS_OK);
    char w[MAXW][32];
    size_t n = words(d, w);
    for (size_t i = 0; i < n; i++)
        assert_int_equal(asx_doc_add_posting(doc, w[i], strlen(w[i]), (uint32_t)i), AS_OK);
    char b[16];
    snprintf(b, sizeof b, "K%d", DOCS[d].kind);
    assert_int_equal(asx_doc_add_boolean(doc, b, strlen(b)), AS_OK);
    snprintf(b, sizeof b, "C%d", DOCS[d].council);
    assert_int_equal(asx_doc_add_boolean(doc, b, strlen(b)), AS_OK);
    const char *g = DOCS[d].group;
    assert_int_equal(asx_doc_set_value(doc, 0, g, strlen(g)), AS_OK);
    char num[9];
    size_t nl = asx_sortable_serialise(d * 10.5, num);
    assert_int_equal(asx_doc_set_value(doc, 1, num, nl), AS_OK);
    char data[64];
    int dl = snprintf(data, sizeof data, "doc %d\t%s", d, DOCS[d].text);
    assert_int_equal(asx_doc_set_data(doc, data, (size_t)dl), AS_OK);
    assert_int_equal(asx_db_add(db, doc, id), AS_OK);
    asx_doc_free(doc);
}

static int setup(void **state)
{
    fix *f = calloc(1, sizeof *f);
    if (!f) return -1;
    strcpy(f->dir, "/tmp/asx-test-XXXXXX");
    if (!mkdtemp(f->dir)) return -1;
    snprintf(f->path, sizeof f->path, "%s/db", f->dir);
    snprintf(f->stub, sizeof f->stub, "%s/stub", f->dir);
    snprintf(f->shards, sizeof f->shards, "%s/shards.stub", f->dir);

    /* One database with every doc, in one transaction. */
    asx_db *db;
    as_err err = {0};
    if (asx_db_create(f->path, &db, &err) != AS_OK) return -1;
    if (asx_db_begin(db) != AS_OK) return -1;
    for (size_t d = 0; d < NDOCS; d++) {
        uint32_t id;
        add_doc(db, (int)d, &id);
        if (id != d + 1) return -1;
    }
    if (asx_db_set_metadata(db, "acronyms", "SAR\tSafeguarding Adults Reviews", 31) != AS_OK)
        return -1;
    if (asx_db_commit(db) != AS_OK) return -1;
    asx_db_close(db);

    /* Two shards: even docs in s0, odd in s1, so that the combined docid
     * ((shard docid - 1) * 2 + shard + 1) equals table index + 1. */
    for (int s = 0; s < 2; s++) {
        char p[160];
        snprintf(p, sizeof p, "%s/s%d", f->dir, s);
        if (asx_db_create(p, &db, &err) != AS_OK) return -1;
        for (size_t d = (size_t)s; d < NDOCS; d += 2)
            add_doc(db, (int)d, NULL);
        if (asx_db_commit(db) != AS_OK) return -1;
        asx_db_close(db);
    }
    write_file(f->stub, "auto db\n");
    write_file(f->shards, "auto s0\nauto s1\n");
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fix *f = *state;
    nftw(f->dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
    free(f);
    return 0;
}

/* Runs q on db and on the reference; asserts the same ranking. */
static void check_query(asx_db *db, const bm25p *p, const asx_node *q,
                        int collapse, size_t want_n)
{
    ehit e[NDOCS];
    size_t n = expect(p, q, collapse, e);
    assert_int_equal(n, want_n);

    asx_search_opts o;
    asx_search_opts_default(&o);
    o.k1 = p->k1;
    o.b = p->b;
    o.min_normlen = p->min_normlen;
    o.limit = 100;
    o.collapse_slot = collapse ? 0 : ASX_NO_SLOT;
    asx_result *r;
    int rc = asx_search(db, q, &o, &r);
    if (rc != AS_OK) print_error("%s\n", asx_db_errmsg(db));
    assert_int_equal(rc, AS_OK);
    assert_int_equal(r->n, n);
    assert_int_equal(r->matches, n);
    for (size_t i = 0; i < n; i++) {
        assert_int_equal(r->hits[i].docid, (uint32_t)e[i].doc + 1);
        assert_rel(r->hits[i].weight, e[i].w);
        if (collapse) assert_int_equal(r->hits[i].collapse_count, e[i].collapsed);
        char data[64];
        snprintf(data, sizeof data, "doc %d\t%s", e[i].doc, DOCS[e[i].doc].text);
        assert_string_equal(r->hits[i].data.p, data);
        assert_int_equal(r->hits[i].data.len, strlen(data));
    }
    asx_result_free(r);
    /* The count stays exact when the hits are cut short. */
    o.limit = 1;
    o.want_data = 0;
    assert_int_equal(asx_search(db, q, &o, &r), AS_OK);
    assert_int_equal(r->n, n ? 1 : 0);
    assert_int_equal(r->matches, n);
    assert_int_equal(r->matches_lower, n);
    assert_int_equal(r->matches_upper, n);
    asx_result_free(r);
}

/* ---- Tests ------------------------------------------------------------- */

static const bm25p XDEF = {1.0, 0.5, 0.5};
static const bm25p LUCENE = {1.2, 0.75, 0.25};

/* Every operator against the reference, on db, via stub, via 2 shards. */
static void run_ops(const char *path)
{
    asx_db *db;
    as_err err = {0};
    int rc = asx_db_open(path, &db, &err);
    if (rc != AS_OK) print_error("%s\n", err.msg);
    assert_int_equal(rc, AS_OK);

    for (int pi = 0; pi < 2; pi++) {
        const bm25p *p = pi ? &LUCENE : &XDEF;
        pool P = {0};
        check_query(db, p, term(&P, "safeguard"), 0, 6);
        check_query(db, p, term(&P, "care"), 0, 1);
        check_query(db, p, term(&P, "nosuchterm"), 0, 0);
        check_query(db, p, op(&P, ASX_AND, 2, term(&P, "safeguard"), term(&P, "learn")), 0, 4);
        check_query(db, p, op(&P, ASX_OR, 3, term(&P, "care"), term(&P, "people"),
                              term(&P, "board")), 0, 4);
        check_query(db, p, op(&P, ASX_AND_NOT, 2, term(&P, "safeguard"), term(&P, "board")), 0, 5);
        /* A repeated leaf counts again. */
        check_query(db, p, op(&P, ASX_OR, 2, term(&P, "assess"), term(&P, "assess")), 0, 2);

        /* Phrases: consecutive, at position 0, in order only, window. */
        check_query(db, p, phrase(&P, 0, 3, "safeguard", "adult", "review"), 0, 3);
        check_query(db, p, phrase(&P, 2, 2, "safeguard", "adult"), 0, 4);
        check_query(db, p, phrase(&P, 0, 2, "adult", "safeguard"), 0, 2);
        check_query(db, p, phrase(&P, 0, 2, "co", "product"), 0, 1);
        check_query(db, p, phrase(&P, 3, 2, "safeguard", "review"), 0, 4);
        check_query(db, p, phrase(&P, 2, 2, "safeguard", "review"), 0, 0);

        /* Boolean filters add no weight; several filter kids all apply. */
        check_query(db, p, op(&P, ASX_FILTER, 2, term(&P, "safeguard"), term(&P, "C1")), 0, 2);
        check_query(db, p, op(&P, ASX_FILTER, 3, term(&P, "safeguard"), term(&P, "C1"),
                              term(&P, "K1")), 0, 1);
        check_query(db, p, op(&P, ASX_FILTER, 2, term(&P, "safeguard"),
                              op(&P, ASX_OR, 2, term(&P, "C2"), term(&P, "C3"))), 0, 4);
        check_query(db, p, op(&P, ASX_FILTER, 2, op(&P, ASX_ALL, 0), term(&P, "K2")), 0, 1);

        /* Kind weighting: OR over kinds of SCALE(FILTER(q, K<kind>), w). */
        asx_node *q = op(&P, ASX_OR, 2, term(&P, "learn"), term(&P, "safeguard"));
        asx_node *kw = op(&P, ASX_OR, 4,
                          scale(&P, op(&P, ASX_FILTER, 2, q, term(&P, "K0")), 1.0),
                          scale(&P, op(&P, ASX_FILTER, 2, q, term(&P, "K1")), 0.5),
                          scale(&P, op(&P, ASX_FILTER, 2, q, term(&P, "K2")), 0.5),
                          scale(&P, op(&P, ASX_FILTER, 2, q, term(&P, "K3")), 0.25));
        check_query(db, p, kw, 0, 6);
        check_query(db, p, kw, 1, 4);
        check_query(db, p, scale(&P, term(&P, "adult"), 0.0), 0, 5);
        /* An OR with a phrase and a repeated term, restricted by excluding
         * (the form xsearch.c uses, since OP_FILTER weighs it wrongly). */
        asx_node *rep = op(&P, ASX_OR, 3, term(&P, "safeguard"),
                           phrase(&P, 0, 2, "adult", "review"), term(&P, "safeguard"));
        check_query(db, p, op(&P, ASX_AND_NOT, 2, rep, term(&P, "K1")), 0, 5);
        check_query(db, p, scale(&P, op(&P, ASX_AND_NOT, 3, rep, term(&P, "K1"),
                                        op(&P, ASX_OR, 2, term(&P, "C2"), term(&P, "C3"))),
                                 0.5), 0, 1);

        /* Collapsing on the duplicate group: counts of collapsed docs. */
        check_query(db, p, term(&P, "learn"), 1, 2);
        check_query(db, p, op(&P, ASX_FILTER, 2, term(&P, "review"), term(&P, "K0")), 1, 3);

        check_query(db, p, op(&P, ASX_NOTHING, 0), 0, 0);
        check_query(db, p, op(&P, ASX_OR, 0), 0, 0);
        check_query(db, p, op(&P, ASX_ALL, 0), 0, NDOCS);
        check_query(db, p, op(&P, ASX_OR, 2, op(&P, ASX_NOTHING, 0), term(&P, "wait")), 0, 1);
    }
    asx_db_close(db);
}

static void test_ops_direct(void **state) { run_ops(((fix *)*state)->path); }
static void test_ops_stub(void **state) { run_ops(((fix *)*state)->stub); }
static void test_ops_shards(void **state) { run_ops(((fix *)*state)->shards); }

static void test_stats(void **state)
{
    fix *f = *state;
    const char *paths[] = {f->path, f->shards};
    for (int i = 0; i < 2; i++) {
        asx_db *db;
        assert_int_equal(asx_db_open(paths[i], &db, NULL), AS_OK);
        asx_stats s;
        assert_int_equal(asx_db_stats(db, &s), AS_OK);
        uint64_t total = 0;
        for (size_t d = 0; d < NDOCS; d++) {
            char w[MAXW][32];
            total += words((int)d, w);
        }
        assert_int_equal(s.doccount, NDOCS);
        /* Boolean terms do not count toward the length. */
        assert_int_equal(s.total_length, total);
        assert_true(fabs(s.avlength - (double)total / NDOCS) < 1e-12);
        assert_int_equal(s.shards, i ? 2 : 1);
        uint64_t tf;
        assert_int_equal(asx_db_termfreq(db, "safeguard", 9, &tf), AS_OK);
        assert_int_equal(tf, 6);
        assert_int_equal(asx_db_termfreq(db, "K0", 2, &tf), AS_OK);
        assert_int_equal(tf, 6);
        assert_int_equal(asx_db_termfreq(db, "zzz", 3, &tf), AS_OK);
        assert_int_equal(tf, 0);
        asx_db_close(db);
    }
}

typedef struct terms_seen { char t[8][32]; uint64_t tf[8]; int n; int stop_at; } terms_seen;

static int collect(void *arg, const char *t, size_t len, uint64_t tf)
{
    terms_seen *s = arg;
    if (s->n < 8) {
        snprintf(s->t[s->n], 32, "%.*s", (int)len, t);
        s->tf[s->n] = tf;
    }
    s->n++;
    return s->n == s->stop_at ? 42 : 0;
}

static void test_allterms(void **state)
{
    fix *f = *state;
    const char *paths[] = {f->path, f->shards};
    for (int i = 0; i < 2; i++) {
        asx_db *db;
        assert_int_equal(asx_db_open(paths[i], &db, NULL), AS_OK);
        terms_seen s = {.stop_at = -1};
        int stopped = -1;
        assert_int_equal(asx_db_allterms(db, "C", 1, collect, &s, &stopped), AS_OK);
        assert_int_equal(stopped, 0);
        assert_int_equal(s.n, 3);
        assert_string_equal(s.t[0], "C1");
        assert_int_equal(s.tf[0], 4);
        assert_string_equal(s.t[1], "C2");
        assert_int_equal(s.tf[1], 3);
        assert_string_equal(s.t[2], "C3");
        assert_int_equal(s.tf[2], 2);

        terms_seen a = {.stop_at = -1};
        assert_int_equal(asx_db_allterms(db, "a", 1, collect, &a, NULL), AS_OK);
        assert_int_equal(a.n, 3);
        assert_string_equal(a.t[0], "act");
        assert_string_equal(a.t[1], "adult");
        assert_int_equal(a.tf[1], 5);
        assert_string_equal(a.t[2], "assess");

        terms_seen st = {.stop_at = 2};
        assert_int_equal(asx_db_allterms(db, "", 0, collect, &st, &stopped), AS_OK);
        assert_int_equal(stopped, 42);
        assert_int_equal(st.n, 2);
        assert_string_equal(st.t[0], "C1");

        terms_seen none = {.stop_at = -1};
        assert_int_equal(asx_db_allterms(db, "zz", 2, collect, &none, NULL), AS_OK);
        assert_int_equal(none.n, 0);
        asx_db_close(db);
    }
}

static void test_metadata_values(void **state)
{
    fix *f = *state;
    asx_db *db;
    assert_int_equal(asx_db_open(f->stub, &db, NULL), AS_OK);
    char *v;
    size_t len;
    assert_int_equal(asx_db_get_metadata(db, "acronyms", &v, &len), AS_OK);
    assert_int_equal(len, 31);
    assert_string_equal(v, "SAR\tSafeguarding Adults Reviews");
    free(v);
    assert_int_equal(asx_db_get_metadata(db, "missing", &v, &len), AS_OK);
    assert_int_equal(len, 0);
    assert_string_equal(v, "");
    free(v);
    assert_int_equal(asx_db_get_metadata(db, "", &v, &len), AS_EINVAL);
    assert_null(v);

    assert_int_equal(asx_db_get_data(db, 4, &v, &len), AS_OK);
    assert_string_equal(v, "doc 3\tlearn review adult safeguard");
    free(v);
    assert_int_equal(asx_db_get_data(db, 999, &v, &len), AS_ENOTFOUND);
    assert_null(v);
    assert_true(strlen(asx_db_errmsg(db)) > 0);

    /* Values come back per requested slot, in the requested order. */
    pool P = {0};
    uint32_t slots[] = {1, 0, 7};
    asx_search_opts o;
    asx_search_opts_default(&o);
    o.slots = slots;
    o.nslots = 3;
    o.want_data = 0;
    o.limit = 1;
    o.offset = 1;
    asx_result *r;
    assert_int_equal(asx_search(db, term(&P, "assess"), &o, &r), AS_OK);
    assert_int_equal(r->n, 1);
    assert_int_equal(r->matches, 2);
    int d = (int)r->hits[0].docid - 1;
    assert_int_equal(r->hits[0].data.len, 0);
    assert_true(asx_sortable_unserialise(r->hits[0].values[0].p,
                                         r->hits[0].values[0].len) == d * 10.5);
    assert_string_equal(r->hits[0].values[1].p, DOCS[d].group);
    assert_int_equal(r->hits[0].values[2].len, 0);
    asx_result_free(r);

    /* limit 0: counts only, still exact. */
    o.limit = 0;
    o.offset = 0;
    assert_int_equal(asx_search(db, term(&P, "safeguard"), &o, &r), AS_OK);
    assert_int_equal(r->n, 0);
    assert_int_equal(r->matches, 6);
    asx_result_free(r);
    o.collapse_slot = 0;
    assert_int_equal(asx_search(db, term(&P, "safeguard"), &o, &r), AS_OK);
    assert_int_equal(r->matches, 4);
    asx_result_free(r);

    char *desc;
    assert_int_equal(asx_describe(db, phrase(&P, 0, 2, "co", "product"), &desc), AS_OK);
    assert_string_equal(desc, "Query((co PHRASE 2 product))");
    free(desc);
    asx_db_close(db);

    char buf[9];
    size_t n1 = asx_sortable_serialise(3.0, buf);
    char buf2[9];
    size_t n2 = asx_sortable_serialise(20.0, buf2);
    assert_true(memcmp(buf, buf2, n1 < n2 ? n1 : n2) < 0);
}

static void test_transactions(void **state)
{
    fix *f = *state;
    char p[160];
    snprintf(p, sizeof p, "%s/txn", f->dir);
    asx_db *db;
    assert_int_equal(asx_db_create(p, &db, NULL), AS_OK);
    assert_int_equal(asx_db_cancel(db), AS_EINVAL);
    assert_int_equal(asx_db_begin(db), AS_OK);
    add_doc(db, 0, NULL);
    assert_int_equal(asx_db_cancel(db), AS_OK);
    assert_int_equal(asx_db_begin(db), AS_OK);
    add_doc(db, 1, NULL);
    add_doc(db, 2, NULL);
    assert_int_equal(asx_db_commit(db), AS_OK);
    /* An open transaction is cancelled on close. */
    assert_int_equal(asx_db_begin(db), AS_OK);
    add_doc(db, 3, NULL);
    asx_db_close(db);

    assert_int_equal(asx_db_open(p, &db, NULL), AS_OK);
    asx_stats s;
    assert_int_equal(asx_db_stats(db, &s), AS_OK);
    assert_int_equal(s.doccount, 2);
    uint64_t tf;
    assert_int_equal(asx_db_termfreq(db, "care", 4, &tf), AS_OK);
    assert_int_equal(tf, 0);
    /* Read-only handles refuse writes. */
    assert_int_equal(asx_db_begin(db), AS_EINVAL);
    assert_non_null(strstr(asx_db_errmsg(db), "read-only"));
    assert_int_equal(asx_db_set_metadata(db, "k", "v", 1), AS_EINVAL);
    asx_db_close(db);

    /* Explicit, sparse docids; replacing keeps the count. */
    assert_int_equal(asx_db_create(p, &db, NULL), AS_OK);
    asx_doc *d;
    assert_int_equal(asx_doc_new(&d), AS_OK);
    assert_int_equal(asx_doc_add_posting(d, "x", 1, 0), AS_OK);
    assert_int_equal(asx_doc_set_data(d, "ten", 3), AS_OK);
    assert_int_equal(asx_db_replace(db, 10, d), AS_OK);
    assert_int_equal(asx_db_replace(db, 0, d), AS_EINVAL);
    assert_int_equal(asx_doc_set_data(d, "TEN", 3), AS_OK);
    assert_int_equal(asx_db_replace(db, 10, d), AS_OK);
    assert_int_equal(asx_db_replace(db, 3, d), AS_OK);
    asx_doc_free(d);
    assert_int_equal(asx_db_commit(db), AS_OK);
    assert_int_equal(asx_db_stats(db, &s), AS_OK);
    assert_int_equal(s.doccount, 2);
    assert_int_equal(s.lastdocid, 10);
    char *v;
    size_t vl;
    assert_int_equal(asx_db_get_data(db, 10, &v, &vl), AS_OK);
    assert_string_equal(v, "TEN");
    free(v);
    assert_int_equal(asx_db_get_data(db, 5, &v, &vl), AS_ENOTFOUND);
    asx_db_close(db);

    /* Re-creating overwrites. */
    assert_int_equal(asx_db_create(p, &db, NULL), AS_OK);
    assert_int_equal(asx_db_stats(db, &s), AS_OK);
    assert_int_equal(s.doccount, 0);
    asx_db_close(db);
}

/* A TCP port nothing listens on (bound, then released). */
static int dead_port(void)
{
    int s = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(s >= 0);
    struct sockaddr_in a = {.sin_family = AF_INET};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(bind(s, (struct sockaddr *)&a, sizeof a), 0);
    socklen_t l = sizeof a;
    assert_int_equal(getsockname(s, (struct sockaddr *)&a, &l), 0);
    close(s);
    return ntohs(a.sin_port);
}

static void test_errors(void **state)
{
    fix *f = *state;
    asx_db *db = (asx_db *)1;
    as_err err = {0};
    char p[200];

    snprintf(p, sizeof p, "%s/does-not-exist", f->dir);
    int rc = asx_db_open(p, &db, &err);
    assert_int_equal(rc, AS_ENOTFOUND);
    assert_int_equal(err.code, rc);
    assert_null(db);
    assert_non_null(strstr(err.msg, p));

    /* A stub naming a missing shard. */
    snprintf(p, sizeof p, "%s/bad.stub", f->dir);
    write_file(p, "auto db\nauto nowhere\n");
    err = (as_err){0};
    rc = asx_db_open(p, &db, &err);
    assert_true(rc < 0);
    assert_non_null(strstr(err.msg, "nowhere"));

    /* A remote shard that is down: AS_EREMOTE naming its address. */
    int port = dead_port();
    char line[80], addr[40];
    snprintf(line, sizeof line, "auto db\nremote 127.0.0.1:%d\n", port);
    snprintf(addr, sizeof addr, "127.0.0.1:%d", port);
    write_file(p, line);
    err = (as_err){0};
    rc = asx_db_open(p, &db, &err);
    assert_int_equal(rc, AS_EREMOTE);
    assert_null(db);
    if (!strstr(err.msg, addr)) print_error("message: %s\n", err.msg);
    assert_non_null(strstr(err.msg, addr));

    /* Creating where a file is in the way. */
    err = (as_err){0};
    snprintf(p, sizeof p, "%s/stub/sub", f->dir);
    rc = asx_db_create(p, &db, &err);
    assert_true(rc < 0);
    assert_true(strlen(err.msg) > 0);

    assert_int_equal(asx_db_open(NULL, &db, &err), AS_EINVAL);
    asx_db_close(NULL);
    asx_result_free(NULL);
    asx_doc_free(NULL);

    /* Bad query trees: codes and messages, no crash. */
    assert_int_equal(asx_db_open(f->path, &db, NULL), AS_OK);
    pool P = {0};
    asx_result *r = (asx_result *)1;
    asx_node *empty = term(&P, "");
    assert_int_equal(asx_search(db, empty, NULL, &r), AS_EINVAL);
    assert_null(r);
    assert_non_null(strstr(asx_db_errmsg(db), "empty query term"));
    assert_int_equal(asx_search(db, NULL, NULL, &r), AS_EINVAL);
    asx_node *sc = op(&P, ASX_SCALE, 2, term(&P, "a"), term(&P, "b"));
    assert_int_equal(asx_search(db, sc, NULL, &r), AS_EINVAL);
    asx_node *neg = scale(&P, term(&P, "a"), -1.0);
    assert_int_equal(asx_search(db, neg, NULL, &r), AS_EINVAL);
    asx_node *ph = op(&P, ASX_PHRASE, 2, term(&P, "a"), op(&P, ASX_OR, 0));
    assert_int_equal(asx_search(db, ph, NULL, &r), AS_EINVAL);
    asx_node bad = {.op = 99};
    assert_int_equal(asx_search(db, &bad, NULL, &r), AS_EINVAL);
    asx_node nokids = {.op = ASX_AND, .nkids = 2};
    assert_int_equal(asx_search(db, &nokids, NULL, &r), AS_EINVAL);
    asx_search_opts o;
    asx_search_opts_default(&o);
    o.k1 = -1;
    assert_int_equal(asx_search(db, term(&P, "care"), &o, &r), AS_EINVAL);
    assert_non_null(strstr(asx_db_errmsg(db), "BM25"));
    asx_search_opts_default(&o);
    o.b = 1.5;
    assert_int_equal(asx_search(db, term(&P, "care"), &o, &r), AS_EINVAL);
    asx_search_opts_default(&o);
    o.min_normlen = NAN;
    assert_int_equal(asx_search(db, term(&P, "care"), &o, &r), AS_EINVAL);
    asx_search_opts_default(&o);
    o.nslots = 2;
    assert_int_equal(asx_search(db, term(&P, "care"), &o, &r), AS_EINVAL);

    /* Too deep: a chain of SCALE nodes. */
    static asx_node chain[ASX_MAX_DEPTH + 2];
    static asx_node *links[ASX_MAX_DEPTH + 2];
    for (int i = 0; i < ASX_MAX_DEPTH + 2; i++) {
        chain[i] = (asx_node){.op = ASX_SCALE, .factor = 1, .nkids = 1};
        links[i] = &chain[i];
        if (i) chain[i - 1].kids = &links[i];
    }
    chain[ASX_MAX_DEPTH + 1] = (asx_node){.op = ASX_TERM, .term = "care", .len = 4};
    assert_int_equal(asx_search(db, &chain[0], NULL, &r), AS_ELIMIT);
    assert_int_equal(asx_search(db, &chain[2], NULL, &r), AS_OK);
    assert_int_equal(r->n, 1);
    asx_result_free(r);

    /* Writing to a reader. */
    asx_doc *d;
    assert_int_equal(asx_doc_new(&d), AS_OK);
    assert_int_equal(asx_db_add(db, d, NULL), AS_EINVAL);
    /* Sticky document errors. */
    assert_int_equal(asx_doc_add_posting(d, "", 0, 1), AS_EINVAL);
    assert_int_equal(asx_doc_add_boolean(d, "K0", 2), AS_EINVAL);
    assert_non_null(strstr(asx_doc_errmsg(d), "empty term"));
    assert_int_equal(asx_doc_set_value(d, ASX_NO_SLOT, "x", 1), AS_EINVAL);
    asx_doc_free(d);
    asx_db_close(db);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ops_direct),
        cmocka_unit_test(test_ops_stub),
        cmocka_unit_test(test_ops_shards),
        cmocka_unit_test(test_stats),
        cmocka_unit_test(test_allterms),
        cmocka_unit_test(test_metadata_values),
        cmocka_unit_test(test_transactions),
        cmocka_unit_test(test_errors),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
