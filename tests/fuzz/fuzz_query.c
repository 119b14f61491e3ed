/*
 * fuzz_query.c — libFuzzer target: any bytes as a query, parsed without a
 * lexicon, with a small fixed one, and against a real small index (built
 * once in LLVMFuzzerInitialize), then run by the native engine.
 *
 * Input: byte 0 is a set of switches —
 *   bits 0-1  lexicon: 0 none, 1 the fixed one, 2-3 the index's
 *   bit 2     opts.any          bit 3  opts.literal
 *   bit 4     max_expansion 3 (else the default 1000)
 *   bit 5     the text up to the first '\n' is a filter value given apart
 *             (as_query_add_filter), field chosen by bits 6-7 and the
 *             value's length (council statement theme score year kind)
 * the rest is the query.  Checked: a parse ends in AS_OK, AS_ESYNTAX,
 * AS_ELIMIT (with a message) only; the tree is well formed (TERM leaves
 * with 1..255-byte terms, PHRASE of TERMs, ANDNOT of two, at most 10000
 * leaves, a prefix expansion within max_expansion); the debug dump, the
 * relaxation and the engine never fail except with a clean status; hits
 * are in order; the pruned top 10 (and with an offset of 3) equal the head
 * of every match from as_engine_each ranked by weight then docid (engine.h:
 * "exact"); the counted total equals the number of matches; explain's
 * contributions sum to the top hit's weight.
 */
#include "fuzz_common.h"

#include "engine.h"
#include "index.h"
#include "query.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static as_analyzer *an;
static as_index *ix;
static as_engine *eng;
static as_lexicon index_lex, fixed_lex;
static as_acrotab *fixed_acros;

/* ---- the fixed lexicon -------------------------------------------------- */

static const char *const fixed_terms[] = {
    "^dols", "^lgsco", "^sar", "^tec", "2022/23", "68.42", "adult", "advocaci", "care",
    "carer", "co", "complain", "complaint", "coproduct", "dol", "enabl", "learn", "liberti",
    "ombudsman", "product", "review", "safeguard", "sar", "support", "tec", "technolog"};

static int fixed_each_prefix(void *ctx, const char *prefix, size_t plen,
                             int (*fn)(void *arg, const char *term, size_t len), void *arg)
{
    (void)ctx;
    for (size_t i = 0; i < sizeof fixed_terms / sizeof *fixed_terms; i++) {
        size_t tl = strlen(fixed_terms[i]);
        if (tl >= plen && memcmp(fixed_terms[i], prefix, plen) == 0) {
            int r = fn(arg, fixed_terms[i], tl);
            if (r)
                return r;
        }
    }
    return 0;
}

/* ---- the index lexicon (as the searcher wires it) ----------------------- */

typedef struct adapter {
    int (*fn)(void *arg, const char *term, size_t len);
    void *arg;
} adapter;

static int adapter_cb(void *arg, const char *term, size_t len, const as_term *info)
{
    (void)info;
    adapter *a = arg;
    return a->fn(a->arg, term, len);
}

static int index_each_prefix(void *ctx, const char *prefix, size_t plen,
                             int (*fn)(void *arg, const char *term, size_t len), void *arg)
{
    adapter a = {fn, arg};
    return as_index_each_term(ctx, prefix, plen, adapter_cb, &a);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    char dir[4096], gen[4200];
    as_err err = {0};
    FZ_CHECK(as_analyzer_new(&an) == AS_OK, "as_analyzer_new");
    FZ_CHECK(fz_tempdir("fuzz_query", dir, sizeof dir) == 0, "temp dir");
    snprintf(gen, sizeof gen, "%s/gen", dir);
    FZ_CHECK(fz_build_generation(gen, &err) == AS_OK, "building the index: %s", err.msg);
    FZ_CHECK(as_index_open_gen(gen, &ix, &err) == AS_OK, "opening the index: %s", err.msg);
    FZ_CHECK(as_engine_new(ix, &eng) == AS_OK, "as_engine_new");
    index_lex = (as_lexicon){ix, index_each_prefix, as_index_acronyms(ix)};
    FZ_CHECK(as_acrotab_new(&fixed_acros) == AS_OK, "as_acrotab_new");
    FZ_CHECK(as_acrotab_add_curated(fixed_acros) == AS_OK, "curated");
    FZ_CHECK(as_acrotab_add(fixed_acros, "SAR", "Safeguarding Adults Reviews", 2, 0) == AS_OK
                 && as_acrotab_add(fixed_acros, "DoLS", "Deprivation of Liberty Safeguards", 1, 0)
                        == AS_OK
                 && as_acrotab_add(fixed_acros, "TEC", "technology-enabled care", 1, 0) == AS_OK,
             "as_acrotab_add");
    fixed_lex = (as_lexicon){NULL, fixed_each_prefix, fixed_acros};
    return 0;
}

/* ---- tree checks -------------------------------------------------------- */

typedef struct treestat {
    size_t leaves, prefix_leaves;
    int depth;
} treestat;

static void check_node(const as_qnode *n, int depth, int in_phrase, treestat *st)
{
    FZ_CHECK(n, "NULL node");
    FZ_CHECK(depth < 200, "tree deeper than 200");
    if (depth > st->depth)
        st->depth = depth;
    switch (n->op) {
    case AS_Q_TERM: {
        FZ_CHECK(n->term, "TERM without a term");
        size_t tl = strlen(n->term);
        FZ_CHECK(tl >= 1 && tl <= 255, "TERM of %zu bytes", tl);
        FZ_CHECK(n->nkids == 0, "TERM with kids");
        st->leaves++;
        if (n->flags & AS_QF_PREFIX)
            st->prefix_leaves++;
        return;
    }
    case AS_Q_NOTHING:
        FZ_CHECK(n->nkids == 0, "NOTHING with kids");
        return;
    case AS_Q_PHRASE:
        FZ_CHECK(!in_phrase, "PHRASE inside PHRASE");
        FZ_CHECK(n->nkids >= 1, "empty PHRASE");
        for (size_t i = 0; i < n->nkids; i++)
            FZ_CHECK(n->kids[i] && n->kids[i]->op == AS_Q_TERM, "PHRASE kid %zu not a TERM", i);
        break;
    case AS_Q_AND:
    case AS_Q_OR:
        FZ_CHECK(n->nkids >= 1, "op %d without kids", n->op);
        break;
    case AS_Q_ANDNOT:
        FZ_CHECK(n->nkids == 2, "ANDNOT with %zu kids", n->nkids);
        break;
    default:
        FZ_CHECK(0, "unknown op %d", n->op);
    }
    for (size_t i = 0; i < n->nkids; i++)
        check_node(n->kids[i], depth + 1, n->op == AS_Q_PHRASE, st);
}

/* every match, as as_engine_each reports it */
typedef struct matches {
    as_hit *m;
    size_t n, cap;
    uint32_t next; /* last doc + 1 */
} matches;

static int each_cb(void *arg, uint32_t doc, double w)
{
    matches *ms = arg;
    FZ_CHECK(doc < as_index_ndocs(ix), "each: doc %u of %u", doc, as_index_ndocs(ix));
    FZ_CHECK(doc + 1 > ms->next, "each: doc %u after %u", doc, ms->next - 1);
    FZ_CHECK(isfinite(w) && w >= 0, "each: weight %g", w);
    ms->next = doc + 1;
    if (ms->n == ms->cap) {
        ms->cap = ms->cap ? 2 * ms->cap : 64;
        ms->m = realloc(ms->m, ms->cap * sizeof *ms->m);
        FZ_CHECK(ms->m, "realloc");
    }
    ms->m[ms->n++] = (as_hit){doc, w, 1, 1};
    return 0;
}

static int by_rank(const void *a, const void *b)
{
    const as_hit *x = a, *y = b;
    if (x->weight != y->weight)
        return x->weight > y->weight ? -1 : 1;
    return x->doc < y->doc ? -1 : x->doc > y->doc;
}

static int close_to(double a, double b)
{
    return fabs(a - b) <= 1e-9 * (fabs(a) > fabs(b) ? fabs(a) : fabs(b)) + 1e-12;
}

static void check_order(const as_hits *h)
{
    for (size_t i = 0; i < h->n; i++) {
        FZ_CHECK(h->hits[i].doc < as_index_ndocs(ix), "hit doc %u", h->hits[i].doc);
        FZ_CHECK(isfinite(h->hits[i].weight) && h->hits[i].weight >= 0, "weight %g",
                 h->hits[i].weight);
        if (i)
            FZ_CHECK(h->hits[i].weight < h->hits[i - 1].weight
                         || (h->hits[i].weight == h->hits[i - 1].weight
                             && h->hits[i].doc > h->hits[i - 1].doc),
                     "hits %zu and %zu out of order", i - 1, i);
    }
}

/* engine.h: top hits are exact, "the same hits and weights as scoring
 * every sentence".  The pruned top-k (no total asked for, not collapsed)
 * must be the head of every match ranked by (weight desc, docid). */
static void run_engine(const as_query *q, size_t offset)
{
    as_search_opts so;
    as_search_opts_default(&so);
    matches all = {0};
    int rc = as_engine_each(eng, q, &so, each_cb, &all);
    FZ_CHECK(rc == AS_OK || rc == AS_ENOTFOUND || rc == AS_EINVAL,
             "as_engine_each returned %d: %s", rc, as_engine_errmsg(eng));
    if (rc != AS_OK) {
        free(all.m);
        return;
    }
    if (all.n)
        qsort(all.m, all.n, sizeof *all.m, by_rank);

    as_hits hits = {0};
    so.collapse = 0;
    so.offset = offset;
    so.limit = 10;
    rc = as_engine_search(eng, q, &so, &hits);
    FZ_CHECK(rc == AS_OK, "as_engine_search (pruned) returned %d: %s", rc,
             as_engine_errmsg(eng));
    check_order(&hits);
    size_t want = all.n > offset ? all.n - offset : 0;
    want = want < 10 ? want : 10;
    FZ_CHECK(hits.n == want, "pruned search: %zu hits, %zu expected of %zu matches", hits.n, want,
             all.n);
    for (size_t i = 0; i < hits.n; i++)
        FZ_CHECK(hits.hits[i].doc == all.m[offset + i].doc
                     && close_to(hits.hits[i].weight, all.m[offset + i].weight),
                 "pruned search hit %zu: doc %u weight %.17g, full ranking doc %u weight %.17g",
                 i, hits.hits[i].doc, hits.hits[i].weight, all.m[offset + i].doc,
                 all.m[offset + i].weight);
    as_hits_free(&hits);

    so.want_total = 1;
    rc = as_engine_search(eng, q, &so, &hits);
    FZ_CHECK(rc == AS_OK, "as_engine_search (counted) returned %d", rc);
    FZ_CHECK(hits.total == all.n, "total %llu, each() saw %zu", (unsigned long long)hits.total,
             all.n);
    FZ_CHECK(hits.n == want, "counted search: %zu hits, %zu expected", hits.n, want);
    as_hits_free(&hits);

    so.collapse = 1;
    rc = as_engine_search(eng, q, &so, &hits);
    FZ_CHECK(rc == AS_OK, "as_engine_search (collapsed) returned %d", rc);
    check_order(&hits);
    FZ_CHECK(hits.total <= all.n && hits.n <= 10, "collapsed: %zu hits, total %llu of %zu",
             hits.n, (unsigned long long)hits.total, all.n);
    if (hits.n && q->root) {
        as_contrib *c = NULL;
        size_t nc = 0;
        int erc = as_engine_explain(eng, q, &so, hits.hits[0].doc, &c, &nc);
        FZ_CHECK(erc == AS_OK, "explain of the top hit: %d", erc);
        double sum = 0;
        for (size_t i = 0; i < nc; i++)
            sum += c[i].weight;
        int kind = as_index_kind(ix, hits.hits[0].doc);
        FZ_CHECK(close_to(sum * so.kind_weight[kind], hits.hits[0].weight),
                 "explain sums to %.17g x %g, the hit weighs %.17g", sum, so.kind_weight[kind],
                 hits.hits[0].weight);
        free(c);
    }
    as_hits_free(&hits);
    free(all.m);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char *const fields[] = {"council", "statement", "theme",
                                         "score",   "year",      "kind"};
    if (size == 0)
        return 0;
    unsigned sw = data[0];
    const char *q = (const char *)data + 1;
    size_t qlen = size - 1;
    const char *fval = NULL;
    size_t flen = 0;
    if (sw & 32) {
        const char *nl = memchr(q, '\n', qlen);
        if (nl) {
            fval = q;
            flen = (size_t)(nl - q);
            qlen -= flen + 1;
            q = nl + 1;
        }
    }
    const as_lexicon *lex = (sw & 3) == 0 ? NULL : (sw & 3) == 1 ? &fixed_lex : &index_lex;
    as_query_opts o = {0};
    o.any = (sw >> 2) & 1;
    o.literal = (sw >> 3) & 1;
    o.max_expansion = (sw & 16) ? 3 : 0;

    as_query *query = NULL;
    as_err err = {0};
    int rc = as_query_parse(q, qlen, an, lex, &o, &query, &err);
    FZ_CHECK(rc == AS_OK || rc == AS_ESYNTAX || rc == AS_ELIMIT, "as_query_parse returned %d (%s)",
             rc, err.msg);
    if (rc != AS_OK) {
        FZ_CHECK(!query, "a query with an error");
        FZ_CHECK(err.msg[0], "error %d without a message", rc);
        FZ_CHECK(!memchr(err.msg, '\n', strlen(err.msg)), "two-line error message");
        if (qlen > 4096)
            FZ_CHECK(rc == AS_ELIMIT, "a %zu-byte query is not refused", qlen);
        return 0;
    }
    FZ_CHECK(qlen <= 4096, "a %zu-byte query was accepted", qlen);
    if (fval) {
        char *v = malloc(flen + 1);
        FZ_CHECK(v, "malloc");
        memcpy(v, fval, flen);
        v[flen] = '\0';
        as_err ferr = {0};
        int frc = as_query_add_filter(query, fields[((sw >> 6) + flen) % 6], v, &ferr);
        FZ_CHECK(frc == AS_OK || frc == AS_ESYNTAX, "as_query_add_filter returned %d", frc);
        free(v);
    }
    if (query->root) {
        treestat st = {0};
        check_node(query->root, 0, 0, &st);
        FZ_CHECK(st.leaves <= 10000, "%zu leaves", st.leaves);
        if (o.max_expansion == 3 && lex)
            FZ_CHECK(st.prefix_leaves <= 3 * (qlen / 2 + 1), "%zu prefix leaves",
                     st.prefix_leaves);
        char buf[512];
        int drc = as_query_dump(query->root, buf, sizeof buf);
        FZ_CHECK(strlen(buf) < sizeof buf, "dump overran");
        (void)drc;
    }
    for (size_t i = 0; i < query->nacronyms_used; i++)
        FZ_CHECK(lex && lex->acronyms && query->acronyms_used[i] >= 0
                     && (size_t)query->acronyms_used[i] < as_acrotab_size(lex->acronyms),
                 "acronym index %d", query->acronyms_used[i]);
    run_engine(query, qlen % 4 == 3 ? 3 : 0);
    as_query *relaxed = NULL;
    rc = as_query_relax(query, &relaxed, &err);
    FZ_CHECK(rc == AS_OK, "as_query_relax returned %d", rc);
    if (relaxed && relaxed->root) {
        treestat st = {0};
        check_node(relaxed->root, 0, 0, &st);
    }
    if (relaxed)
        run_engine(relaxed, 0);
    as_query_free(relaxed);
    as_query_free(query);
    return 0;
}
