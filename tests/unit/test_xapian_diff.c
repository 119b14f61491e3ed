/*
 * test_xapian_diff.c — differential test of the two engines: a generated
 * corpus (councils, statements, scores, dates, kinds, duplicate sentences,
 * compounds, an acronym definition) is written as a native generation,
 * exported to Xapian as 1 shard and as 3 shards (xexport.h), and many
 * random queries of every construct (words, OR, NOT, phrases, prefix*,
 * acronyms, compounds, every filter, --any, collapsing, offsets, BM25
 * parameters) run through the native engine (engine.h) and through Xapian
 * (xsearch.h).  The parsed trees must be identical (the Xapian lexicon
 * replaces the index), and so must the hits: the same docs in the same order
 * (runs of equal weight compared as sets, since a tie may be broken by
 * rounding), weights to 1e-9 relative, copies, reports, exact totals, the
 * stored records, and every match of as_xsearch_each.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <ftw.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "analyze.h"
#include "engine.h"
#include "index.h"
#include "query.h"
#include "xexport.h"
#include "xsearch.h"

/* ---- deterministic randomness -------------------------------------------- */

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;
static uint32_t rnd(uint32_t n)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return n ? (uint32_t)(rng_state % n) : 0;
}

static const char *VOCAB[] = {
    "safeguarding", "adults", "reviews", "learning", "people", "care", "carers",
    "co-production", "strengths-based", "technology-enabled", "assessment",
    "assessments", "waiting", "lists", "hoarding", "partnership", "partners",
    "commissioning", "provider", "providers", "quality", "support", "housing",
    "mental", "health", "staff", "training", "advocacy", "feedback", "complaints",
    "complaint", "North", "East", "SAR", "SARs", "review", "reviewed", "unpaid",
    "direct", "payments", "co", "production", "coproduction", "equity", "outcomes",
    "transitions", "young", "leaders", "governance", "data", "2023/24", "68.42",
};
#define NVOCAB (sizeof VOCAB / sizeof VOCAB[0])

static const char *COMMON[] = { /* repeated in every file: duplicate groups */
    "We have a clear understanding of the needs of people and carers.",
    "People are supported to live healthier lives.",
    "Safeguarding adults reviews drive learning across the partnership.",
};

static const char *COUNCILS[] = {
    "Alpha Borough Council", "Beta County Council", "Gamma City Council",
    "Delta Council", "Epsilon and Zeta Council",
};
#define NFILES 9
#define NSENT 230

typedef struct gen {
    char dir[64];
    char gen[128];
    char x1[128], x3[128];
    as_index *ix;
    as_xsearch *xs1, *xs3;
    as_analyzer *an;
    as_engine *eng;
    as_lexicon lex;
    char **sentences;
    size_t nsent;
} gen;

static void make_sentence(char *b, size_t cap)
{
    size_t n = 3 + rnd(9), at = 0;
    for (size_t i = 0; i < n && at + 40 < cap; i++) {
        const char *w = VOCAB[rnd(NVOCAB)];
        at += (size_t)snprintf(b + at, cap - at, "%s%s", i ? " " : "", w);
    }
    if (b[0] >= 'a' && b[0] <= 'z')
        b[0] = (char)(b[0] - 'a' + 'A');
    snprintf(b + at, cap - at, ".");
}

/* ---- the native lexicon (as searcher/main.c) ----------------------------- */

typedef struct padapt {
    int (*fn)(void *arg, const char *term, size_t len);
    void *arg;
} padapt;

static int padapt_cb(void *arg, const char *term, size_t len, const as_term *info)
{
    (void)info;
    padapt *a = arg;
    return a->fn(a->arg, term, len);
}

static int native_each_prefix(void *ctx, const char *prefix, size_t plen,
                              int (*fn)(void *arg, const char *term, size_t len), void *arg)
{
    padapt a = {fn, arg};
    return as_index_each_term(ctx, prefix, plen, padapt_cb, &a);
}

static int rm_entry(const char *p, const struct stat *st, int flag, struct FTW *f)
{
    (void)st; (void)flag; (void)f;
    return remove(p);
}

/* ---- fixture: corpus -> generation -> exports ---------------------------- */

static int setup(void **state)
{
    gen *g = calloc(1, sizeof *g);
    assert_non_null(g);
    strcpy(g->dir, "/tmp/asx-diff-XXXXXX");
    assert_non_null(mkdtemp(g->dir));
    snprintf(g->gen, sizeof g->gen, "%s/gen", g->dir);
    snprintf(g->x1, sizeof g->x1, "%s/x1", g->dir);
    snprintf(g->x3, sizeof g->x3, "%s/x3", g->dir);
    assert_int_equal(mkdir(g->gen, 0777), 0);
    assert_int_equal(as_analyzer_new(&g->an), AS_OK);

    as_err err = {0};
    as_writer *w;
    int rc = as_writer_open(g->gen, NULL, &w, &err);
    if (rc != AS_OK) print_error("%s\n", err.msg);
    assert_int_equal(rc, AS_OK);
    g->sentences = calloc(NFILES * (NSENT + 8), sizeof *g->sentences);
    assert_non_null(g->sentences);
    for (int f = 0; f < NFILES; f++) {
        char path[64], disp[32];
        snprintf(path, sizeof path, "/corpus/report-%02d.txt", f);
        snprintf(disp, sizeof disp, "report-%02d.txt", f);
        as_file_state fs = {.path = path, .display = disp, .size = 1000 + (uint64_t)f,
                            .mtime_ns = 1700000000000000000ll, .crc32 = (uint32_t)f};
        assert_int_equal(as_writer_begin_file(w, &fs), AS_OK);
        as_acrotab *mined;
        assert_int_equal(as_acrotab_new(&mined), AS_OK);
        /* File 8 has no council; files 0 and 5 share one. */
        as_meta m = {0};
        m.council = f == 8 ? NULL : (char *)COUNCILS[f % 5];
        for (uint32_t s = 0; s < NSENT + 4; s++) {
            if (s % 60 == 0) { /* a new unit */
                m.statement = (int)rnd(10);
                m.score = (int)rnd(5);
                m.published = rnd(4) == 0 ? 0 : (rnd(2) ? 20231117u : 20240517u) + rnd(9);
                m.updated = m.published ? m.published + 3 : 0;
            }
            char text[512];
            int kind = AS_KIND_FINDING;
            if (s < 3) {
                snprintf(text, sizeof text, "%s", COMMON[s]);
                kind = s == 0 ? AS_KIND_COMMITMENT : s == 1 ? AS_KIND_EXPECTATION
                                                            : AS_KIND_FINDING;
            } else if (s == 3) {
                snprintf(text, sizeof text, "Safeguarding Adults Reviews (SAR) were "
                                            "completed on time.");
            } else {
                make_sentence(text, sizeof text);
                if (rnd(12) == 0)
                    kind = AS_KIND_HEADING;
                else if (rnd(15) == 0)
                    kind = AS_KIND_EXPECTATION;
            }
            g->sentences[g->nsent++] = strdup(text);
            assert_int_equal(as_acrotab_mine(mined, text, strlen(text)), AS_OK);
            const as_token *toks;
            size_t nt;
            assert_int_equal(as_analyze(g->an, text, strlen(text), &toks, &nt), AS_OK);
            as_doc_in d = {.meta = &m, .text = text, .section = s % 2 ? "Key findings" : NULL,
                           .kind = kind, .line = s + 1, .paragraph = s / 3,
                           .sentence = s % 3};
            assert_int_equal(as_writer_add(w, &d, toks, nt), AS_OK);
        }
        assert_int_equal(as_writer_end_file(w, mined), AS_OK);
        as_acrotab_free(mined);
    }
    rc = as_writer_finish(w, &err);
    if (rc != AS_OK) print_error("%s\n", err.msg);
    assert_int_equal(rc, AS_OK);
    rc = as_index_open_gen(g->gen, &g->ix, &err);
    if (rc != AS_OK) print_error("%s\n", err.msg);
    assert_int_equal(rc, AS_OK);
    assert_int_equal(as_engine_new(g->ix, &g->eng), AS_OK);
    g->lex.ctx = g->ix;
    g->lex.each_prefix = native_each_prefix;
    g->lex.acronyms = as_index_acronyms(g->ix);

    rc = as_xapian_export(g->ix, g->x1, 1, &err);
    if (rc != AS_OK) print_error("%s\n", err.msg);
    assert_int_equal(rc, AS_OK);
    rc = as_xapian_export(g->ix, g->x3, 3, &err);
    if (rc != AS_OK) print_error("%s\n", err.msg);
    assert_int_equal(rc, AS_OK);
    char stub[160];
    snprintf(stub, sizeof stub, "%s/STUB", g->x1);
    rc = as_xsearch_open(stub, &g->xs1, &err);
    if (rc != AS_OK) print_error("%s\n", err.msg);
    assert_int_equal(rc, AS_OK);
    snprintf(stub, sizeof stub, "%s/STUB", g->x3);
    rc = as_xsearch_open(stub, &g->xs3, &err);
    if (rc != AS_OK) print_error("%s\n", err.msg);
    assert_int_equal(rc, AS_OK);
    *state = g;
    return 0;
}

static int teardown(void **state)
{
    gen *g = *state;
    as_xsearch_close(g->xs1);
    as_xsearch_close(g->xs3);
    as_engine_free(g->eng);
    as_index_close(g->ix);
    as_analyzer_free(g->an);
    for (size_t i = 0; i < g->nsent; i++)
        free(g->sentences[i]);
    free(g->sentences);
    if (getenv("AS_KEEP_TMP")) /* for debugging: keep the generation and exports */
        print_message("kept %s\n", g->dir);
    else
        nftw(g->dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
    free(g);
    return 0;
}

/* ---- comparing ------------------------------------------------------------ */

static int close_rel(double a, double b)
{
    return fabs(a - b) <= 1e-9 * fmax(fabs(a), fabs(b)) + 1e-300;
}

static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return x < y ? -1 : x > y;
}

static void check_record(gen *g, const as_xdoc *x)
{
    as_docbuf b = {0};
    as_docrec r;
    assert_int_equal(as_index_doc(g->ix, x->doc, &b, &r), AS_OK);
    assert_string_equal(x->text, r.text);
    assert_string_equal(x->section, r.section);
    assert_int_equal(x->line, r.line);
    assert_int_equal(x->paragraph, r.paragraph);
    assert_int_equal(x->sentence, r.sentence);
    assert_int_equal(x->kind, r.kind);
    const as_unit *u = as_index_unit(g->ix, as_index_unit_of(g->ix, x->doc));
    assert_non_null(u);
    assert_int_equal(x->statement, u->statement);
    assert_int_equal(x->theme, u->theme);
    assert_int_equal(x->score, u->score);
    assert_int_equal(x->published, u->published);
    assert_int_equal(x->updated, u->updated);
    assert_int_equal(x->file, u->file);
    if (u->council == AS_NONE)
        assert_null(x->council);
    else
        assert_string_equal(x->council, as_index_council(g->ix, u->council));
    as_file_state fs;
    assert_int_equal(as_index_file(g->ix, u->file, &fs), AS_OK);
    assert_string_equal(x->path, fs.display);
    as_docbuf_free(&b);
}

static size_t exact_order_mismatches;

/* Native and Xapian hits agree: runs of equal weight as sets; a run cut by
 * the limit only by weight. */
static void compare_hits(gen *g, const char *qtext, const as_hits *n, const as_xhits *x)
{
    if (n->n != x->n || n->total != x->total) {
        print_error("query [%s]: native %zu hits (total %llu), xapian %zu (total %llu)\n",
                    qtext, n->n, (unsigned long long)n->total, x->n,
                    (unsigned long long)x->total);
        fail();
    }
    size_t i = 0;
    while (i < n->n) {
        size_t j = i + 1;
        while (j < n->n && close_rel(n->hits[j].weight, n->hits[i].weight))
            j++;
        for (size_t k = i; k < j; k++) {
            if (!close_rel(n->hits[k].weight, x->hits[k].hit.weight)) {
                print_error("query [%s] rank %zu: native doc %u weight %.17g, xapian doc %u "
                            "weight %.17g\n", qtext, k + 1, n->hits[k].doc, n->hits[k].weight,
                            x->hits[k].hit.doc, x->hits[k].hit.weight);
                fail();
            }
            if (n->hits[k].doc != x->hits[k].hit.doc) {
                exact_order_mismatches++;
                if (getenv("AS_DIFF_VERBOSE"))
                    print_message("query [%s] rank %zu: native %u %.17g, xapian %u %.17g\n",
                                  qtext, k + 1, n->hits[k].doc, n->hits[k].weight,
                                  x->hits[k].hit.doc, x->hits[k].hit.weight);
            }
            check_record(g, &x->hits[k].rec);
            assert_int_equal(x->hits[k].rec.doc, x->hits[k].hit.doc);
        }
        if (j < n->n) { /* a whole run: the same docs, copies and reports */
            uint32_t a[64], b[64];
            size_t m = j - i < 64 ? j - i : 64;
            for (size_t k = 0; k < m; k++) {
                a[k] = n->hits[i + k].doc;
                b[k] = x->hits[i + k].hit.doc;
            }
            qsort(a, m, sizeof *a, cmp_u32);
            qsort(b, m, sizeof *b, cmp_u32);
            if (memcmp(a, b, m * sizeof *a) != 0) {
                print_error("query [%s]: ranks %zu..%zu hold other docs\n", qtext, i + 1, j);
                fail();
            }
            for (size_t k = i; k < j; k++)
                for (size_t l = i; l < j; l++)
                    if (n->hits[k].doc == x->hits[l].hit.doc) {
                        if (n->hits[k].copies != x->hits[l].hit.copies ||
                            n->hits[k].reports != x->hits[l].hit.reports) {
                            print_error("query [%s] doc %u: copies/reports %u/%u vs %u/%u\n",
                                        qtext, n->hits[k].doc, n->hits[k].copies,
                                        n->hits[k].reports, x->hits[l].hit.copies,
                                        x->hits[l].hit.reports);
                            fail();
                        }
                    }
        }
        i = j;
    }
}

typedef struct match { uint32_t doc; double w; } match;
typedef struct mlist { match *m; size_t n, cap; } mlist;

static int native_each_cb(void *arg, uint32_t doc, double w)
{
    mlist *l = arg;
    if (l->n == l->cap) {
        l->cap = l->cap ? l->cap * 2 : 256;
        l->m = realloc(l->m, l->cap * sizeof *l->m);
        if (!l->m)
            return 1;
    }
    l->m[l->n++] = (match){doc, w};
    return 0;
}

static int x_each_cb(void *arg, const as_xdoc *d, double w)
{
    return native_each_cb(arg, d->doc, w);
}

static void compare_each(gen *g, as_xsearch *xs, const char *qtext, const as_query *nq,
                         const as_query *xq, const as_search_opts *o)
{
    mlist a = {0}, b = {0};
    assert_int_equal(as_engine_each(g->eng, nq, o, native_each_cb, &a), AS_OK);
    assert_int_equal(as_xsearch_each(xs, xq, o, x_each_cb, &b), AS_OK);
    if (a.n != b.n) {
        print_error("query [%s]: each: native %zu matches, xapian %zu\n", qtext, a.n, b.n);
        fail();
    }
    for (size_t i = 0; i < a.n; i++) {
        assert_int_equal(a.m[i].doc, b.m[i].doc);
        if (!close_rel(a.m[i].w, b.m[i].w)) {
            print_error("query [%s]: each doc %u: %.17g vs %.17g\n", qtext, a.m[i].doc,
                        a.m[i].w, b.m[i].w);
            fail();
        }
    }
    free(a.m);
    free(b.m);
}

/* ---- random queries ------------------------------------------------------- */

static void word_of(gen *g, char *b, size_t cap)
{
    (void)g;
    const char *w = VOCAB[rnd(NVOCAB)];
    snprintf(b, cap, "%s", w);
}

/* Two or three consecutive words of a real sentence (so phrases match). */
static void phrase_of(gen *g, char *b, size_t cap)
{
    const char *s = g->sentences[rnd((uint32_t)g->nsent)];
    char tmp[512];
    snprintf(tmp, sizeof tmp, "%s", s);
    char *w[64];
    size_t n = 0;
    for (char *p = strtok(tmp, " ."); p && n < 64; p = strtok(NULL, " ."))
        w[n++] = p;
    if (n < 2) {
        snprintf(b, cap, "\"%s\"", n ? w[0] : "care");
        return;
    }
    size_t k = 2 + rnd(2);
    if (k > n)
        k = n;
    size_t at = rnd((uint32_t)(n - k + 1));
    size_t o = (size_t)snprintf(b, cap, "\"");
    for (size_t i = 0; i < k && o < cap; i++)
        o += (size_t)snprintf(b + o, cap - o, "%s%s", i ? " " : "", w[at + i]);
    if (o < cap)
        snprintf(b + o, cap - o, "\"");
}

static void random_query(gen *g, char *q, size_t cap)
{
    size_t at = 0;
    size_t items = 1 + rnd(3);
    for (size_t i = 0; i < items; i++) {
        char it[256], w2[64];
        switch (rnd(9)) {
        case 0: case 1: case 2:
            word_of(g, it, sizeof it);
            break;
        case 3:
            word_of(g, it, sizeof it);
            word_of(g, w2, sizeof w2);
            snprintf(it + strlen(it), sizeof it - strlen(it), " OR %s", w2);
            break;
        case 4:
            phrase_of(g, it, sizeof it);
            break;
        case 5: {
            const char *w = VOCAB[rnd(NVOCAB)];
            snprintf(it, sizeof it, "%.*s*", 2 + (int)rnd(3), w);
            break;
        }
        case 6:
            word_of(g, w2, sizeof w2);
            snprintf(it, sizeof it, "%s%s", i ? "-" : "", w2);
            break;
        case 7:
            snprintf(it, sizeof it, "%s", rnd(2) ? "SAR" : "safeguarding adults reviews");
            break;
        default:
            snprintf(it, sizeof it, "%s", rnd(2) ? "co production" : "(care OR support)");
            break;
        }
        at += (size_t)snprintf(q + at, cap - at, "%s%s", at ? " " : "", it);
    }
    static const char *FILTERS[] = {
        "council:alpha", "council:\"beta county\"", "score:<=2", "score:3..4",
        "statement:3", "statement:9", "theme:2", "year:2024", "year:2023..2024",
        "kind:finding", "kind:heading", "kind:expectation", "council:alpha council:gamma",
    };
    if (rnd(3) == 0)
        snprintf(q + at, cap - at, " %s", FILTERS[rnd(sizeof FILTERS / sizeof *FILTERS)]);
}

static void run_one(gen *g, as_xsearch *xs, const char *qtext, int any,
                    const as_search_opts *o, int with_each)
{
    as_query_opts qo = {.any = any};
    as_query *nq = NULL, *xq = NULL;
    as_err e1 = {0}, e2 = {0};
    int r1 = as_query_parse(qtext, strlen(qtext), g->an, &g->lex, &qo, &nq, &e1);
    int r2 = as_query_parse(qtext, strlen(qtext), g->an, as_xsearch_lexicon(xs), &qo, &xq, &e2);
    assert_int_equal(r1, r2);
    if (r1 != AS_OK) {
        assert_string_equal(e1.msg, e2.msg);
        return;
    }
    char d1[8192], d2[8192];
    as_query_dump(nq->root, d1, sizeof d1);
    as_query_dump(xq->root, d2, sizeof d2);
    if (strcmp(d1, d2) != 0) {
        print_error("query [%s] parses differently:\n  native %s\n  xapian %s\n", qtext, d1,
                    d2);
        fail();
    }
    as_hits nh = {0};
    as_xhits xh = {0};
    int s1 = as_engine_search(g->eng, nq, o, &nh);
    int s2 = as_xsearch_search(xs, xq, o, &xh);
    if (s1 != s2)
        print_error("query [%s]: native rc %d (%s), xapian rc %d (%s)\n", qtext, s1,
                    as_engine_errmsg(g->eng), s2, as_xsearch_errmsg(xs));
    assert_int_equal(s1, s2);
    char desc[1200];
    snprintf(desc, sizeof desc, "%s] any=%d collapse=%d offset=%zu limit=%zu k1=%g [", qtext,
             any, o->collapse, o->offset, o->limit, o->bm25.k1);
    if (s1 == AS_OK)
        compare_hits(g, desc, &nh, &xh);
    else
        assert_string_equal(as_engine_errmsg(g->eng), as_xsearch_errmsg(xs));
    if (s1 == AS_OK && with_each)
        compare_each(g, xs, qtext, nq, xq, o);
    as_hits_free(&nh);
    as_xhits_free(&xh);
    as_query_free(nq);
    as_query_free(xq);
}

static void run_random(void **state, int shards)
{
    gen *g = *state;
    as_xsearch *xs = shards == 1 ? g->xs1 : g->xs3;
    rng_state = 0x2545F4914F6CDD1Dull + (uint64_t)shards;
    exact_order_mismatches = 0;
    for (int i = 0; i < 400; i++) {
        char q[1024];
        random_query(g, q, sizeof q);
        as_search_opts o;
        as_search_opts_default(&o);
        o.collapse = rnd(4) != 0;
        o.want_total = 1;
        o.limit = rnd(2) ? 10 : 60;
        o.offset = rnd(5) == 0 ? 7 : 0;
        if (rnd(5) == 0) {
            o.bm25.k1 = 1.2;
            o.bm25.b = 0.75;
            o.bm25.min_normlen = 0.25;
        }
        run_one(g, xs, q, rnd(4) == 0, &o, i % 8 == 0);
    }
    print_message("%d shard(s): %zu hits ranked differently inside runs of equal weight\n",
                  shards, exact_order_mismatches);
}

static void test_random_1(void **state) { run_random(state, 1); }
static void test_random_3(void **state) { run_random(state, 3); }

/* Constructs one by one, on both exports. */
static void test_constructs(void **state)
{
    gen *g = *state;
    static const char *Q[] = {
        "safeguarding", "care support", "care OR support", "care -support",
        "care NOT support", "\"safeguarding adults reviews\"", "\"people and carers\"",
        "saf*", "co*", "SAR", "safeguarding adults reviews", "co-production",
        "co production", "coproduction", "strengths-based", "2023/24", "68.42",
        "north east", "North-East", "council:alpha", "score:<=2 care",
        "statement:1 people", "theme:4", "year:2024 care", "kind:commitment",
        "kind:heading support", "council:beta council:delta support",
        "zzzunknownword", "care zzzunknownword", "\"zzz care\"", "(care OR zzz) people",
        "-care", "needs", "council:nosuch", "council:council",
    };
    for (int s = 0; s < 2; s++) {
        as_xsearch *xs = s ? g->xs3 : g->xs1;
        for (size_t i = 0; i < sizeof Q / sizeof *Q; i++) {
            as_search_opts o;
            as_search_opts_default(&o);
            o.want_total = 1;
            o.limit = 1000;
            run_one(g, xs, Q[i], 0, &o, 1);
            o.collapse = 0;
            run_one(g, xs, Q[i], 1, &o, 0);
        }
    }
}

/* The export as Xapian sees it: counts, lengths, metadata. */
static void test_export_shape(void **state)
{
    gen *g = *state;
    assert_int_equal(as_xsearch_ndocs(g->xs1), as_index_ndocs(g->ix));
    assert_int_equal(as_xsearch_ndocs(g->xs3), as_index_ndocs(g->ix));
    assert_int_equal(as_xsearch_ncouncils(g->xs3), as_index_ncouncils(g->ix));
    for (uint32_t c = 0; c < as_index_ncouncils(g->ix); c++)
        assert_string_equal(as_xsearch_council(g->xs3, c), as_index_council(g->ix, c));
    assert_null(as_xsearch_council(g->xs3, as_index_ncouncils(g->ix)));
    const as_lexicon *lx = as_xsearch_lexicon(g->xs1);
    assert_non_null(lx->acronyms);
    const as_acronym *a = as_acrotab_find(lx->acronyms, "SAR", 3);
    assert_non_null(a);
    assert_string_equal(a->expansion, "Safeguarding Adults Reviews");

    char stub[160], line[64];
    snprintf(stub, sizeof stub, "%s/STUB", g->x3);
    FILE *f = fopen(stub, "r");
    assert_non_null(f);
    for (int s = 0; s < 3; s++) {
        assert_non_null(fgets(line, sizeof line, f));
        char want[32];
        snprintf(want, sizeof want, "auto shard-%d\n", s);
        assert_string_equal(line, want);
    }
    assert_null(fgets(line, sizeof line, f));
    fclose(f);

    as_err err = {0};
    assert_int_equal(as_xapian_export(g->ix, g->x1, 0, &err), AS_EINVAL);
    assert_int_equal(as_xapian_export(g->ix, g->x1, AS_XSHARDS_MAX + 1, &err), AS_EINVAL);
    as_xsearch *xs = (as_xsearch *)1;
    char p[160];
    snprintf(p, sizeof p, "%s/nothing-here", g->dir);
    assert_int_equal(as_xsearch_open(p, &xs, &err), AS_ENOTFOUND);
    assert_null(xs);
    assert_non_null(strstr(err.msg, "nothing-here"));

    char bad[] = "ASX1\0001\0";
    as_xdoc d;
    assert_int_equal(as_xdoc_decode(bad, sizeof bad - 1, &d), AS_ECORRUPT);
    assert_int_equal(as_xdoc_decode("", 0, &d), AS_ECORRUPT);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_export_shape),
        cmocka_unit_test(test_constructs),
        cmocka_unit_test(test_random_1),
        cmocka_unit_test(test_random_3),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
