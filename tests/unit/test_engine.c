/*
 * test_engine.c — tests of the native search engine (engine.c) against a
 * brute-force scorer written here from the semantics in query.h and the
 * BM25 formula of DESIGN.md section 7.
 *
 * Each corpus is generated from a seed (Zipf-skewed term frequencies,
 * random lengths, kinds, units, councils, statements, scores, dates and
 * duplicate sentences), written as a generation with as_writer_* straight
 * from token arrays (no analyzer) and opened with as_index_open_gen.  The
 * test keeps its own copy of every document; the reference evaluates each
 * query tree (built by hand, no parser) on every document of that copy.
 * The engine must return the same hits in the same order with the same
 * weights (1e-9 relative), copies, reports and totals, and as_engine_each
 * must visit exactly the matching documents.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "engine.h"
#include "testdir.h"
#include "engine_int.h" /* which terms walked their high lists */

#define assert_near(a, b, eps)                                                     \
    do {                                                                           \
        double a_ = (a), b_ = (b);                                                 \
        if (!(fabs(a_ - b_) <= (eps)))                                             \
            fail_msg("%s = %.17g, want %.17g", #a, a_, b_);                        \
    } while (0)

/* ---- random numbers (splitmix64) ----------------------------------------- */

typedef struct rng { uint64_t s; } rng;

static uint64_t rnext(rng *r)
{
    uint64_t z = (r->s += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}
static uint32_t rbelow(rng *r, uint32_t n) { return n ? (uint32_t)(rnext(r) % n) : 0; }
static double runit(rng *r) { return (double)(rnext(r) >> 11) / 9007199254740992.0; }
/* Zipf-like (s = 1): log-uniform rank. */
static uint32_t rzipf(rng *r, uint32_t n)
{
    uint32_t i = (uint32_t)(pow((double)n + 1, runit(r))) - 1;
    return i < n ? i : n - 1;
}

/* ---- the test's own corpus --------------------------------------------------- */

static const char *const council_names[] = {
    "Durham County Council", "Darlington Borough Council", "Kent County Council",
    "Brighton and Hove City Council", "St. Helens Borough Council", "Kent",
};
#define NCOUNCILS 6

typedef struct tdoc {
    uint32_t ntok;
    uint32_t *term, *pos;
    int kind;
    uint32_t unit, file;
    uint32_t group; /* first doc with the same text */
    char *text;
} tdoc;

typedef struct tunit {
    int council; /* -1 unknown */
    int statement, score;
    uint32_t published;
} tunit;

typedef struct corpus {
    uint32_t ndocs, nunits, nfiles, vocab;
    tdoc *docs;
    tunit *units;
    uint32_t *df;
    uint64_t total;
    char dir[96];
    as_index *ix;
    as_engine *eng;
} corpus;

typedef struct cparams {
    uint32_t ndocs, vocab, maxlen, nfiles;
    double dup_rate;
    int common_term; /* 1: term 0 in (almost) every doc */
} cparams;

static void term_name(uint32_t id, char *buf, size_t cap)
{
    snprintf(buf, cap, "t%u", id);
}

static uint32_t parse_term(const char *s, uint32_t vocab)
{
    if (s[0] != 't' || s[1] < '0' || s[1] > '9')
        return UINT32_MAX;
    char *end;
    unsigned long v = strtoul(s + 1, &end, 10);
    return *end || v >= vocab ? UINT32_MAX : (uint32_t)v;
}

static void gen_corpus(corpus *c, const cparams *p, uint64_t seed)
{
    rng r = {seed};
    memset(c, 0, sizeof *c);
    c->ndocs = p->ndocs;
    c->vocab = p->vocab;
    c->nfiles = p->nfiles;
    c->docs = calloc(c->ndocs, sizeof *c->docs);
    c->units = calloc(c->ndocs + NCOUNCILS, sizeof *c->units);
    c->df = calloc(c->vocab, sizeof *c->df);
    assert_non_null(c->docs);
    uint32_t file = 0, unit = 0, left_in_unit = 0;
    /* Docs per file: about even; the first NCOUNCILS units name each
     * council once so that every filter name resolves. */
    uint32_t per_file = (c->ndocs + c->nfiles - 1) / c->nfiles;
    uint32_t in_file = 0;
    c->nunits = 0;
    for (uint32_t d = 0; d < c->ndocs; d++) {
        int newfile = 0;
        if (in_file == per_file && file + 1 < c->nfiles) {
            file++;
            in_file = 0;
            newfile = 1;
        }
        if (d == 0 || newfile || left_in_unit == 0) {
            unit = c->nunits++;
            tunit *u = &c->units[unit];
            u->council = unit < NCOUNCILS ? (int)unit : (int)rbelow(&r, NCOUNCILS + 1) - 1;
            u->statement = (int)rbelow(&r, 10);
            u->score = (int)rbelow(&r, 5);
            u->published = rbelow(&r, 4) == 0 ? 0
                           : (2022 + rbelow(&r, 4)) * 10000 + (1 + rbelow(&r, 12)) * 100 +
                                 1 + rbelow(&r, 28);
            left_in_unit = 1 + rbelow(&r, 12);
            if (c->nunits < NCOUNCILS)
                left_in_unit = 1;
        }
        left_in_unit--;
        in_file++;
        tdoc *t = &c->docs[d];
        t->unit = unit;
        t->file = file;
        uint32_t k = rbelow(&r, 10);
        t->kind = k < 6 ? AS_KIND_FINDING : (int)(k - 5) % AS_NKINDS;
        if (d > 0 && runit(&r) < p->dup_rate) {
            /* A duplicate: same text and tokens as an earlier doc. */
            uint32_t src = rbelow(&r, d);
            const tdoc *s = &c->docs[src];
            t->ntok = s->ntok;
            t->term = malloc((t->ntok + 1) * sizeof *t->term);
            t->pos = malloc((t->ntok + 1) * sizeof *t->pos);
            memcpy(t->term, s->term, t->ntok * sizeof *t->term);
            memcpy(t->pos, s->pos, t->ntok * sizeof *t->pos);
            t->text = strdup(s->text);
            t->group = s->group;
            continue;
        }
        t->group = d;
        uint32_t len = rbelow(&r, 50) == 0 ? 0 : 1 + rbelow(&r, p->maxlen);
        /* Some positions carry a second term (as compounds and acronyms do). */
        t->term = malloc((2 * len + 2) * sizeof *t->term);
        t->pos = malloc((2 * len + 2) * sizeof *t->pos);
        uint32_t n = 0;
        for (uint32_t i = 0; i < len; i++) {
            uint32_t id = rzipf(&r, c->vocab);
            if (p->common_term && i == 0 && rbelow(&r, 20) != 0)
                id = 0;
            t->term[n] = id;
            t->pos[n++] = i;
            if (rbelow(&r, 12) == 0) {
                uint32_t id2 = rzipf(&r, c->vocab);
                if (id2 != id) {
                    t->term[n] = id2;
                    t->pos[n++] = i;
                }
            }
        }
        t->ntok = n;
        size_t cap = 32 + (size_t)n * 12;
        t->text = malloc(cap);
        size_t o = (size_t)snprintf(t->text, cap, "s%u", d);
        for (uint32_t i = 0; i < n; i++)
            o += (size_t)snprintf(t->text + o, cap - o, " t%u", t->term[i]);
    }
    for (uint32_t d = 0; d < c->ndocs; d++) {
        const tdoc *t = &c->docs[d];
        c->total += t->ntok;
        for (uint32_t i = 0; i < t->ntok; i++) {
            uint32_t j;
            for (j = 0; j < i; j++)
                if (t->term[j] == t->term[i])
                    break;
            if (j == i)
                c->df[t->term[i]]++;
        }
    }
}

/* Every corpus lives under one directory that the group teardown removes,
 * so a failing test (cmocka jumps out of it) leaves nothing behind. */
static char parent_dir[64];

static void new_corpus_dir(corpus *c)
{
    static unsigned seq;
    snprintf(c->dir, sizeof c->dir, "%s/c%u", parent_dir, seq++);
    assert_int_equal(mkdir(c->dir, 0700), 0);
}

static int group_setup(void **state)
{
    (void)state;
    const char *tmp = getenv("TMPDIR");
    snprintf(parent_dir, sizeof parent_dir, "%s/test_engine.XXXXXX", tmp && *tmp ? tmp : "/tmp");
    return mkdtemp(parent_dir) ? 0 : -1;
}

static int group_teardown(void **state)
{
    (void)state;
    rmtree(parent_dir);
    return 0;
}

static void write_corpus(corpus *c)
{
    new_corpus_dir(c);
    char gendir[128];
    snprintf(gendir, sizeof gendir, "%s/gen", c->dir);
    assert_int_equal(mkdir(gendir, 0755), 0);
    as_err err = {0};
    as_writer *w = NULL;
    int rc = as_writer_open(gendir, NULL, &w, &err);
    if (rc != AS_OK)
        fail_msg("as_writer_open: %s", err.msg);
    /* every term of more than one block gets a high list (format.h: high),
     * so that the random queries run through them */
    as_writer_set_high_min_df(w, 129);
    as_token *toks = malloc(sizeof *toks * 256);
    char (*names)[16] = malloc(256 * sizeof *names);
    uint32_t d = 0;
    for (uint32_t f = 0; f < c->nfiles && d < c->ndocs; f++) {
        char path[64];
        snprintf(path, sizeof path, "/corpus/file%03u.txt", f);
        as_file_state fs = {0};
        fs.path = path;
        fs.display = path + 1;
        fs.size = 1000 + f;
        fs.mtime_ns = 1700000000000000000LL + f;
        fs.crc32 = 0x1234u + f;
        assert_int_equal(as_writer_begin_file(w, &fs), AS_OK);
        uint32_t line = 1;
        for (; d < c->ndocs && c->docs[d].file == f; d++) {
            const tdoc *t = &c->docs[d];
            const tunit *u = &c->units[t->unit];
            as_meta m = {0};
            m.council = u->council >= 0 ? (char *)council_names[u->council] : NULL;
            m.statement = u->statement;
            m.score = u->score;
            m.published = u->published;
            as_doc_in in = {0};
            in.meta = &m;
            in.text = t->text;
            in.section = NULL;
            in.kind = t->kind;
            in.line = line++;
            in.paragraph = 1;
            in.sentence = 1;
            assert_true(t->ntok <= 256);
            for (uint32_t i = 0; i < t->ntok; i++) {
                term_name(t->term[i], names[i], sizeof names[i]);
                toks[i].term = names[i];
                toks[i].len = (uint32_t)strlen(names[i]);
                toks[i].pos = t->pos[i];
                toks[i].start = 0;
                toks[i].end = 1;
                toks[i].flags = 0;
            }
            rc = as_writer_add(w, &in, toks, t->ntok);
            if (rc != AS_OK)
                fail_msg("as_writer_add: %s", as_writer_errmsg(w));
        }
        assert_int_equal(as_writer_end_file(w, NULL), AS_OK);
    }
    rc = as_writer_finish(w, &err);
    if (rc != AS_OK)
        fail_msg("as_writer_finish: %s", err.msg);
    free(toks);
    free(names);
    rc = as_index_open_gen(gendir, &c->ix, &err);
    if (rc != AS_OK)
        fail_msg("as_index_open_gen: %s", err.msg);
    assert_int_equal(as_index_ndocs(c->ix), c->ndocs);
    assert_int_equal(as_index_total_len(c->ix), c->total);
    assert_int_equal(as_engine_new(c->ix, &c->eng), AS_OK);
}

static void free_corpus(corpus *c)
{
    as_engine_free(c->eng);
    as_index_close(c->ix);
    if (c->dir[0])
        rmtree(c->dir);
    for (uint32_t d = 0; d < c->ndocs; d++) {
        free(c->docs[d].term);
        free(c->docs[d].pos);
        free(c->docs[d].text);
    }
    free(c->docs);
    free(c->units);
    free(c->df);
}

/* ---- query trees ------------------------------------------------------------ */

typedef struct arena { void **p; size_t n, cap; } arena;

static void *aalloc(arena *a, size_t size)
{
    if (a->n == a->cap) {
        a->cap = a->cap ? a->cap * 2 : 64;
        a->p = realloc(a->p, a->cap * sizeof *a->p);
    }
    void *x = calloc(1, size);
    a->p[a->n++] = x;
    return x;
}

static void afree(arena *a)
{
    for (size_t i = 0; i < a->n; i++)
        free(a->p[i]);
    free(a->p);
    memset(a, 0, sizeof *a);
}

static as_qnode *qterm(arena *a, const char *t, uint32_t off)
{
    as_qnode *n = aalloc(a, sizeof *n);
    n->op = AS_Q_TERM;
    n->term = aalloc(a, strlen(t) + 1);
    strcpy(n->term, t);
    n->offset = off;
    n->acronym = -1;
    return n;
}

static as_qnode *qop(arena *a, int op, size_t nk)
{
    as_qnode *n = aalloc(a, sizeof *n);
    n->op = op;
    n->nkids = nk;
    n->kids = aalloc(a, (nk + 1) * sizeof *n->kids);
    n->acronym = -1;
    return n;
}

static as_qnode *rand_term(arena *a, rng *r, const corpus *c, uint32_t off)
{
    char buf[32];
    if (rbelow(r, 25) == 0)
        snprintf(buf, sizeof buf, "zz%u", rbelow(r, 5)); /* not in the index */
    else
        term_name(rzipf(r, c->vocab), buf, sizeof buf);
    return qterm(a, buf, off);
}

static as_qnode *rand_phrase(arena *a, rng *r, const corpus *c)
{
    /* Mostly taken from a real doc so that phrases do match. */
    uint32_t nk = 2 + rbelow(r, 2);
    const tdoc *t = &c->docs[rbelow(r, c->ndocs)];
    as_qnode *n = qop(a, AS_Q_PHRASE, nk);
    uint32_t base = rbelow(r, 3);
    if (t->ntok >= 2 && rbelow(r, 4) != 0) {
        uint32_t i0 = rbelow(r, t->ntok);
        for (uint32_t k = 0; k < nk; k++) {
            uint32_t i = i0 + k < t->ntok ? i0 + k : rbelow(r, t->ntok);
            char buf[32];
            term_name(t->term[i], buf, sizeof buf);
            uint32_t off = t->pos[i] >= t->pos[i0] ? t->pos[i] - t->pos[i0] : k;
            if (rbelow(r, 8) == 0)
                off += 1; /* a gap that rarely matches */
            n->kids[k] = qterm(a, buf, base + off);
        }
    } else {
        for (uint32_t k = 0; k < nk; k++)
            n->kids[k] = rand_term(a, r, c, base + k);
    }
    return n;
}

/* An OR of many terms, as a prefix* expansion makes. */
static as_qnode *rand_big_or(arena *a, rng *r, const corpus *c)
{
    size_t nk = 8 + rbelow(r, 120);
    as_qnode *n = qop(a, AS_Q_OR, nk);
    for (size_t i = 0; i < nk; i++) {
        char buf[32];
        term_name(rbelow(r, 2) ? rzipf(r, c->vocab) : rbelow(r, c->vocab), buf, sizeof buf);
        n->kids[i] = qterm(a, buf, 0);
    }
    return n;
}

static as_qnode *rand_tree(arena *a, rng *r, const corpus *c, int depth)
{
    if (depth <= 1 && rbelow(r, 12) == 0)
        return rand_big_or(a, r, c);
    uint32_t x = rbelow(r, depth >= 3 ? 3 : 12);
    if (x < 3)
        return rand_term(a, r, c, 0);
    if (x < 5)
        return rand_phrase(a, r, c);
    if (x == 5 && rbelow(r, 3) == 0)
        return qop(a, AS_Q_NOTHING, 0);
    int op = x < 8 ? AS_Q_OR : x < 10 ? AS_Q_AND : AS_Q_ANDNOT;
    size_t nk = op == AS_Q_ANDNOT ? 2 + (rbelow(r, 4) == 0) : 2 + rbelow(r, op == AS_Q_OR ? 6 : 3);
    as_qnode *n = qop(a, op, nk);
    for (size_t i = 0; i < nk; i++)
        n->kids[i] = rand_tree(a, r, c, depth + 1);
    return n;
}

/* ---- the reference scorer ----------------------------------------------------- */

typedef struct ropts {
    double k1, b, mn;
    double kw[AS_NKINDS];
} ropts;

/* BM25 written from DESIGN.md section 7, independently of engine.c. */
static double ref_bm25(const corpus *c, const ropts *o, uint32_t df, uint32_t wdf, uint32_t len)
{
    double N = c->ndocs;
    double idf = (N - df + 0.5) / (df + 0.5);
    if (idf < 2)
        idf = idf / 2 + 1;
    double L = c->total ? (double)len * N / (double)c->total : 0;
    if (L < o->mn)
        L = o->mn;
    return log(idf) * (o->k1 + 1) * wdf / (o->k1 * (o->b * L + 1 - o->b) + wdf);
}

static uint32_t wdf_of(const tdoc *t, uint32_t id)
{
    uint32_t n = 0;
    for (uint32_t i = 0; i < t->ntok; i++)
        n += t->term[i] == id;
    return n;
}

static int has_at(const tdoc *t, uint32_t id, int64_t pos)
{
    for (uint32_t i = 0; i < t->ntok; i++)
        if (t->term[i] == id && (int64_t)t->pos[i] == pos)
            return 1;
    return 0;
}

static int ref_eval(const corpus *c, const ropts *o, const as_qnode *q, uint32_t d, double *val)
{
    const tdoc *t = &c->docs[d];
    *val = 0;
    switch (q->op) {
    case AS_Q_TERM: {
        uint32_t id = parse_term(q->term, c->vocab);
        if (id == UINT32_MAX)
            return 0;
        uint32_t w = wdf_of(t, id);
        if (!w)
            return 0;
        *val = ref_bm25(c, o, c->df[id], w, t->ntok);
        return 1;
    }
    case AS_Q_PHRASE: {
        double s = 0;
        for (size_t k = 0; k < q->nkids; k++) {
            double v;
            if (!ref_eval(c, o, q->kids[k], d, &v))
                return 0;
            s += v;
        }
        if (q->nkids == 0)
            return 0;
        /* Some p with every kid at p + offset. */
        uint32_t id0 = parse_term(q->kids[0]->term, c->vocab);
        int found = 0;
        for (uint32_t i = 0; i < t->ntok && !found; i++) {
            if (t->term[i] != id0)
                continue;
            int64_t p = (int64_t)t->pos[i] - q->kids[0]->offset;
            found = 1;
            for (size_t k = 1; k < q->nkids && found; k++)
                found = has_at(t, parse_term(q->kids[k]->term, c->vocab),
                               p + q->kids[k]->offset);
        }
        *val = s;
        return found;
    }
    case AS_Q_AND: {
        double s = 0;
        for (size_t k = 0; k < q->nkids; k++) {
            double v;
            if (!ref_eval(c, o, q->kids[k], d, &v))
                return 0;
            s += v;
        }
        *val = s;
        return q->nkids > 0;
    }
    case AS_Q_OR: {
        double s = 0;
        int m = 0;
        for (size_t k = 0; k < q->nkids; k++) {
            double v;
            if (ref_eval(c, o, q->kids[k], d, &v)) {
                m = 1;
                s += v;
            }
        }
        *val = s;
        return m;
    }
    case AS_Q_ANDNOT: {
        double v, dummy;
        if (q->nkids == 0 || !ref_eval(c, o, q->kids[0], d, &v))
            return 0;
        for (size_t k = 1; k < q->nkids; k++)
            if (ref_eval(c, o, q->kids[k], d, &dummy))
                return 0;
        *val = v;
        return 1;
    }
    }
    return 0;
}

/* The filter as the test understands it: councils already resolved. */
typedef struct rfilter {
    int council_ok[NCOUNCILS];
    int any_council;
    as_filter f;
} rfilter;

static int ref_passes(const corpus *c, const rfilter *rf, uint32_t d)
{
    const tdoc *t = &c->docs[d];
    const tunit *u = &c->units[t->unit];
    const as_filter *f = &rf->f;
    if (rf->any_council && (u->council < 0 || !rf->council_ok[u->council]))
        return 0;
    if (f->statements && !(f->statements >> u->statement & 1))
        return 0;
    int theme = as_statement_theme(u->statement);
    if (f->themes && !(f->themes >> theme & 1))
        return 0;
    if (f->scores && !(f->scores >> u->score & 1))
        return 0;
    if (f->kinds && !(f->kinds >> t->kind & 1))
        return 0;
    if (f->year_min || f->year_max) {
        if (!u->published)
            return 0;
        int y = (int)(u->published / 10000);
        if ((f->year_min && y < f->year_min) || (f->year_max && y > f->year_max))
            return 0;
    }
    return 1;
}

typedef struct rhit {
    uint32_t doc;
    double w;
    uint32_t copies, reports;
} rhit;

static int rhit_cmp(const void *a, const void *b)
{
    const rhit *x = a, *y = b;
    if (x->w != y->w)
        return x->w > y->w ? -1 : 1;
    return x->doc < y->doc ? -1 : x->doc > y->doc;
}

/* All hits in rank order; per doc weight in w_of (NAN = no match). */
static size_t ref_rank(const corpus *c, const ropts *o, const as_qnode *root, const rfilter *rf,
                       int collapse, rhit *out, double *w_of)
{
    size_t n = 0;
    for (uint32_t d = 0; d < c->ndocs; d++) {
        double v = 0;
        w_of[d] = NAN;
        if (!ref_passes(c, rf, d))
            continue;
        if (root && !ref_eval(c, o, root, d, &v))
            continue;
        w_of[d] = v * o->kw[c->docs[d].kind];
    }
    if (!collapse) {
        for (uint32_t d = 0; d < c->ndocs; d++)
            if (!isnan(w_of[d]))
                out[n++] = (rhit){d, w_of[d], 1, 1};
    } else {
        for (uint32_t g = 0; g < c->ndocs; g++) {
            if (c->docs[g].group != g)
                continue;
            rhit h = {UINT32_MAX, 0, 0, 0};
            uint32_t lastfile = UINT32_MAX;
            for (uint32_t d = g; d < c->ndocs; d++) {
                if (c->docs[d].group != g || isnan(w_of[d]))
                    continue;
                if (h.copies == 0 || w_of[d] > h.w) {
                    h.w = w_of[d];
                    h.doc = d;
                }
                h.copies++;
                if (c->docs[d].file != lastfile)
                    h.reports++;
                lastfile = c->docs[d].file;
            }
            if (h.copies)
                out[n++] = h;
        }
    }
    qsort(out, n, sizeof *out, rhit_cmp);
    return n;
}

/* ---- comparing ---------------------------------------------------------------- */

static int close_to(double a, double b)
{
    return fabs(a - b) <= 1e-9 * fmax(1.0, fmax(fabs(a), fabs(b)));
}

static char qdump[8192];

static void check_search(corpus *c, const as_query *q, const as_search_opts *so, const ropts *o,
                         const rfilter *rf, rhit *ref, double *w_of, long *near_ties)
{
    size_t nref = ref_rank(c, o, q->root, rf, so->collapse, ref, w_of);
    as_hits h = {0};
    int rc = as_engine_search(c->eng, q, so, &h);
    if (rc != AS_OK)
        fail_msg("search %s: %d %s", qdump, rc, as_engine_errmsg(c->eng));
    size_t want = nref > so->offset ? nref - so->offset : 0;
    if (want > so->limit)
        want = so->limit;
    if (h.n != want)
        fail_msg("%s: %zu hits, reference %zu (offset %zu limit %zu collapse %d)", qdump, h.n,
                 want, so->offset, so->limit, so->collapse);
    if (so->want_total && h.total != nref)
        fail_msg("%s: total %llu, reference %zu", qdump, (unsigned long long)h.total, nref);
    if (!so->want_total)
        assert_int_equal(h.total, 0);
    for (size_t i = 0; i < h.n; i++) {
        const rhit *x = &ref[so->offset + i];
        const as_hit *y = &h.hits[i];
        if (!close_to(x->w, y->weight))
            fail_msg("%s: rank %zu weight %.17g, reference %.17g (doc %u vs %u)", qdump, i,
                     y->weight, x->w, y->doc, x->doc);
        if (i > 0) {
            /* The engine's own ties: exactly equal weights by ascending docid. */
            const as_hit *p = &h.hits[i - 1];
            if (p->weight < y->weight || (p->weight == y->weight && p->doc >= y->doc))
                fail_msg("%s: rank %zu (doc %u %.17g) after doc %u %.17g", qdump, i, y->doc,
                         y->weight, p->doc, p->weight);
        }
        if (x->doc != y->doc) {
            /* Only between weights equal up to rounding: mathematically equal
             * BM25 values (b = 1 makes a score depend on wdf / doclen only;
             * k1 = 0 cancels wdf) round differently in the two formulas. */
            if (y->doc >= c->ndocs || isnan(w_of[y->doc]) ||
                fabs(w_of[y->doc] - x->w) > 1e-14 * fabs(x->w))
                fail_msg("%s: rank %zu doc %u (w %.17g), reference doc %u (w %.17g)", qdump, i,
                         y->doc, y->weight, x->doc, x->w);
            (*near_ties)++;
            continue;
        }
        if (so->collapse) {
            if (y->copies != x->copies || y->reports != x->reports)
                fail_msg("%s: doc %u copies %u reports %u, reference %u %u", qdump, y->doc,
                         y->copies, y->reports, x->copies, x->reports);
        } else {
            assert_int_equal(y->copies, 1);
            assert_int_equal(y->reports, 1);
        }
    }
    as_hits_free(&h);
}

typedef struct each_state {
    const corpus *c;
    const double *w_of;
    uint32_t last;
    size_t n;
    int bad;
} each_state;

static int each_cb(void *arg, uint32_t doc, double w)
{
    each_state *s = arg;
    if (doc >= s->c->ndocs || (s->n > 0 && doc <= s->last) || isnan(s->w_of[doc]) ||
        !close_to(s->w_of[doc], w))
        s->bad = 1;
    s->last = doc;
    s->n++;
    return 0;
}

static int each_stop_cb(void *arg, uint32_t doc, double w)
{
    each_cb(arg, doc, w);
    return ((each_state *)arg)->n == 3;
}

static void check_each(corpus *c, const as_query *q, const as_search_opts *so, const ropts *o,
                       const rfilter *rf, rhit *ref, double *w_of)
{
    ref_rank(c, o, q->root, rf, 0, ref, w_of);
    size_t nm = 0;
    for (uint32_t d = 0; d < c->ndocs; d++)
        nm += !isnan(w_of[d]);
    each_state s = {c, w_of, 0, 0, 0};
    int rc = as_engine_each(c->eng, q, so, each_cb, &s);
    assert_int_equal(rc, AS_OK);
    if (s.bad || s.n != nm)
        fail_msg("%s: each visited %zu (bad %d), reference %zu", qdump, s.n, s.bad, nm);
}

static void check_explain(corpus *c, const as_query *q, const as_search_opts *so, const ropts *o)
{
    as_hits h = {0};
    as_search_opts one = *so;
    one.offset = 0;
    one.limit = 3;
    assert_int_equal(as_engine_search(c->eng, q, &one, &h), AS_OK);
    for (size_t i = 0; i < h.n; i++) {
        as_contrib *ct = NULL;
        size_t n = 0;
        int rc = as_engine_explain(c->eng, q, so, h.hits[i].doc, &ct, &n);
        assert_int_equal(rc, AS_OK);
        double s = 0;
        const tdoc *t = &c->docs[h.hits[i].doc];
        for (size_t j = 0; j < n; j++) {
            s += ct[j].weight;
            uint32_t id = parse_term(ct[j].leaf->term, c->vocab);
            uint32_t w = id == UINT32_MAX ? 0 : wdf_of(t, id);
            if (ct[j].wdf != w)
                fail_msg("%s: explain wdf %u for %s, want %u", qdump, ct[j].wdf,
                         ct[j].leaf->term, w);
        }
        s *= o->kw[t->kind];
        if (!close_to(s, h.hits[i].weight))
            fail_msg("%s: explain sums to %.17g, hit weight %.17g", qdump, s, h.hits[i].weight);
        free(ct);
    }
    as_hits_free(&h);
}

/* Typed council names and what they must resolve to (-1: error). */
static const struct { const char *typed; int council; } typed_councils[] = {
    {"durham", 0}, {"DARLINGTON", 1}, {"kent county", 2}, {"Brighton-and-Hove", 3},
    {"st helens", 4}, {"Kent", 5}, {"  st.   HELENS borough ", 4},
};

static void rand_filter(rng *r, as_filter *f, rfilter *rf, char **names)
{
    memset(rf, 0, sizeof *rf);
    memset(f, 0, sizeof *f);
    if (rbelow(r, 4) == 0) {
        size_t nc = 1 + rbelow(r, 2);
        for (size_t i = 0; i < nc; i++) {
            size_t k = rbelow(r, sizeof typed_councils / sizeof typed_councils[0]);
            names[i] = (char *)typed_councils[k].typed;
            rf->council_ok[typed_councils[k].council] = 1;
        }
        f->councils = names;
        f->ncouncils = nc;
        rf->any_council = 1;
    }
    if (rbelow(r, 5) == 0)
        f->statements = (uint16_t)(rnext(r) & 0x3fe);
    if (rbelow(r, 6) == 0)
        f->themes = (uint8_t)(rnext(r) & 0x1e);
    if (rbelow(r, 5) == 0)
        f->scores = (uint8_t)(rnext(r) & 0x1e);
    if (rbelow(r, 4) == 0)
        f->kinds = (uint8_t)(rnext(r) & 0xf);
    if (rbelow(r, 5) == 0) {
        f->year_min = rbelow(r, 2) ? 2022 + (int)rbelow(r, 4) : 0;
        f->year_max = rbelow(r, 2) ? 2023 + (int)rbelow(r, 3) : 0;
    }
    rf->f = *f;
}

static void rand_opts(rng *r, as_search_opts *so, ropts *o)
{
    static const double k1s[] = {1.0, 1.2, 0.5, 0.0, 2.0};
    static const double bs[] = {0.5, 0.75, 0.0, 1.0, 0.3};
    static const double mns[] = {0.5, 0.0, 1.5, 0.5};
    static const double kws[] = {1.0, 0.5, 0.25, 0.0, 2.0, 1.0};
    as_search_opts_default(so);
    if (rbelow(r, 3) != 0) {
        so->bm25.k1 = k1s[rbelow(r, 5)];
        so->bm25.b = bs[rbelow(r, 5)];
        so->bm25.min_normlen = mns[rbelow(r, 4)];
    }
    if (rbelow(r, 3) == 0)
        for (int k = 0; k < AS_NKINDS; k++)
            so->kind_weight[k] = kws[rbelow(r, 6)];
    uint32_t lim = rbelow(r, 10);
    so->limit = lim < 5 ? 10 : lim < 8 ? 1 + rbelow(r, 30) : lim < 9 ? 1000 : rbelow(r, 3);
    so->offset = rbelow(r, 3) == 0 ? rbelow(r, 12) : 0;
    so->collapse = rbelow(r, 3) != 0;
    so->want_total = rbelow(r, 3) == 0;
    o->k1 = so->bm25.k1;
    o->b = so->bm25.b;
    o->mn = so->bm25.min_normlen;
    memcpy(o->kw, so->kind_weight, sizeof o->kw);
}

static void random_queries(corpus *c, uint64_t seed, int nq)
{
    rng r = {seed};
    rhit *ref = malloc((c->ndocs + 1) * sizeof *ref);
    double *w_of = malloc((c->ndocs + 1) * sizeof *w_of);
    long near_ties = 0;
    for (int i = 0; i < nq; i++) {
        arena a = {0};
        as_query q;
        memset(&q, 0, sizeof q);
        q.root = rbelow(&r, 30) == 0 ? NULL : rand_tree(&a, &r, c, 0);
        char *names[4];
        rfilter rf;
        rand_filter(&r, &q.filter, &rf, names);
        as_search_opts so;
        ropts o;
        rand_opts(&r, &so, &o);
        if (q.root)
            as_query_dump(q.root, qdump, sizeof qdump);
        else
            snprintf(qdump, sizeof qdump, "(all)");
        size_t l = strlen(qdump);
        snprintf(qdump + l, sizeof qdump - l, " [query %d seed %llu]", i,
                 (unsigned long long)seed);
        check_search(c, &q, &so, &o, &rf, ref, w_of, &near_ties);
        if (i % 4 == 0)
            check_each(c, &q, &so, &o, &rf, ref, w_of);
        if (i % 8 == 0 && q.root)
            check_explain(c, &q, &so, &o);
        afree(&a);
    }
    if (getenv("SHOW_TIES"))
        fprintf(stderr, "seed %llu: %ld near ties\n", (unsigned long long)seed, near_ties);
    free(ref);
    free(w_of);
}

/* ---- tests ------------------------------------------------------------------- */

static void run_corpus(const cparams *p, uint64_t seed, int nq)
{
    corpus c;
    gen_corpus(&c, p, seed);
    write_corpus(&c);
    random_queries(&c, seed * 31 + 7, nq);
    free_corpus(&c);
}

static void test_random_small(void **state)
{
    (void)state;
    cparams p = {60, 8, 8, 3, 0.15, 0};
    for (uint64_t s = 1; s <= 6; s++)
        run_corpus(&p, s, 150);
}

static void test_random_medium(void **state)
{
    (void)state;
    cparams p = {700, 60, 20, 5, 0.1, 0};
    for (uint64_t s = 11; s <= 13; s++)
        run_corpus(&p, s, 250);
}

static void test_random_large_zipf(void **state)
{
    (void)state;
    cparams p = {4000, 500, 30, 8, 0.08, 1};
    run_corpus(&p, 101, 300);
    cparams q = {2500, 40, 12, 4, 0.2, 0};
    run_corpus(&q, 102, 300);
    /* Longer lists: dozens of blocks per common term. */
    cparams r = {10000, 300, 25, 6, 0.1, 1};
    run_corpus(&r, 103, 120);
}

/* A dozen words in 12,000 docs: every list spans ~90 blocks holding every
 * wdf class (1, 2, 3, 4+), so the class bounds of the skip entries
 * (format.h: skip) and the block-max AND and phrase windows (engine_iter.c)
 * decide most of what is read, and the top-k sets are full of ties. */
static void test_random_dense(void **state)
{
    (void)state;
    cparams p = {12000, 12, 30, 4, 0.05, 1};
    run_corpus(&p, 104, 150);
}

/* A kid of an OR that can become required (engine_iter.c: adv_or_req): a
 * term, or a phrase or AND of terms (the virtual AND takes their terms),
 * now and then something else (an OR), which takes the probing path. */
static as_qnode *rand_or_kid(arena *a, rng *r, const corpus *c)
{
    uint32_t x = rbelow(r, 10);
    if (x < 4)
        return rand_term(a, r, c, 0);
    if (x < 7)
        return rand_phrase(a, r, c);
    size_t nk = 2 + rbelow(r, 2);
    as_qnode *n = qop(a, x < 9 ? AS_Q_AND : AS_Q_OR, nk);
    for (size_t i = 0; i < nk; i++)
        n->kids[i] = rand_term(a, r, c, 0);
    return n;
}

/* ORs of two to four such kids, alone or inside an AND, with small top-k
 * sets: the threshold soon makes some kids required, so the OR runs as an
 * intersection (its virtual AND, or probing at a lead's docs).  Every hit
 * is checked against the exhaustive reference scorer: a doc the pruning
 * wrongly dropped, or a kid missed in a value, shows as a wrong rank. */
static void test_required_or(void **state)
{
    (void)state;
    static const cparams ps[] = {{12000, 12, 30, 4, 0.05, 1}, {3000, 40, 12, 4, 0.2, 0}};
    for (size_t pi = 0; pi < sizeof ps / sizeof ps[0]; pi++) {
        corpus c;
        gen_corpus(&c, &ps[pi], 200 + pi);
        write_corpus(&c);
        rng r = {977 + pi};
        rhit *ref = malloc((c.ndocs + 1) * sizeof *ref);
        double *w_of = malloc((c.ndocs + 1) * sizeof *w_of);
        assert_non_null(ref);
        assert_non_null(w_of);
        long near_ties = 0;
        for (int i = 0; i < 250; i++) {
            arena a = {0};
            as_query q;
            memset(&q, 0, sizeof q);
            size_t nk = 2 + rbelow(&r, 3);
            as_qnode *o = qop(&a, AS_Q_OR, nk);
            for (size_t k = 0; k < nk; k++)
                o->kids[k] = rand_or_kid(&a, &r, &c);
            q.root = o;
            if (rbelow(&r, 3) == 0) {
                as_qnode *an = qop(&a, AS_Q_AND, 2);
                an->kids[0] = rand_term(&a, &r, &c, 0);
                an->kids[1] = o;
                q.root = an;
            }
            rfilter rf;
            memset(&rf, 0, sizeof rf);
            as_search_opts so;
            ropts ro;
            rand_opts(&r, &so, &ro);
            so.limit = 1 + rbelow(&r, 12);
            so.offset = 0;
            so.want_total = 0; /* pruning on */
            as_query_dump(q.root, qdump, sizeof qdump);
            size_t l = strlen(qdump);
            snprintf(qdump + l, sizeof qdump - l, " [required-or query %d corpus %zu]", i, pi);
            check_search(&c, &q, &so, &ro, &rf, ref, w_of, &near_ties);
            afree(&a);
        }
        free(ref);
        free(w_of);
        free_corpus(&c);
    }
}

/* Terms of the engine's last query that walked their high lists in place
 * of their own (tiered: 0); or (tiered: 1) the calls in which an AND found
 * its candidates in them (engine_iter.c: align_tier). */
static uint32_t high_terms(const as_engine *e, int tiered)
{
    if (tiered)
        return (uint32_t)e->ntier;
    uint32_t n = 0;
    for (size_t i = 0; i < e->nnodes; i++) {
        const enode *k = &e->nodes[i];
        if (k->op == N_TERM && k->hinit)
            n += k->hion;
    }
    return n;
}

/* Queries aimed at the high lists (format.h: high; engine_iter.c: impact
 * tiers): single terms, ANDs and phrases of two or three terms, ORs of two,
 * a term AND a phrase, two terms AND an OR of two or three (an AND by tiers
 * with an OR kid), a term OR a phrase of three (as an acronym query: the
 * OR's virtual AND by tiers), with top-k sets of 1 to 12 (thresholds rise fast),
 * random BM25 parameters (the high lists' bound holds for any), kind
 * weights, filters, offsets and collapsing; on a dense corpus where ties at
 * the threshold are everywhere (wdf 1 in docs of one length score alike)
 * and on a Zipf one.  Every ranking is checked against the exhaustive
 * scorer, and the high lists must have been walked by many queries, in
 * place of the terms' lists and by tiers (else this test tests nothing
 * new). */
static void test_high_lists(void **state)
{
    (void)state;
    static const cparams ps[] = {{12000, 12, 30, 4, 0.05, 1}, {10000, 300, 25, 6, 0.1, 1}};
    uint32_t engaged[8] = {0}, tiered[8] = {0}, tieror = 0, joint = 0, lead = 0, solo = 0;
    uint32_t single = 0, cached = 0;
    for (size_t pi = 0; pi < sizeof ps / sizeof ps[0]; pi++) {
        corpus c;
        gen_corpus(&c, &ps[pi], 300 + pi);
        write_corpus(&c);
        rng r = {4242 + pi};
        rhit *ref = malloc((c.ndocs + 1) * sizeof *ref);
        double *w_of = malloc((c.ndocs + 1) * sizeof *w_of);
        assert_non_null(ref);
        assert_non_null(w_of);
        long near_ties = 0;
        const int nq = 480;
        for (int i = 0; i < nq; i++) {
            arena a = {0};
            as_query q;
            memset(&q, 0, sizeof q);
            uint32_t shape = (uint32_t)i % 8;
            size_t nk = 2 + rbelow(&r, 2);
            as_qnode *n = NULL;
            switch (shape) {
            case 0:
                n = rand_term(&a, &r, &c, 0);
                break;
            case 1:
            case 2:
                n = qop(&a, AS_Q_AND, nk);
                for (size_t k = 0; k < nk; k++)
                    n->kids[k] = rand_term(&a, &r, &c, 0);
                break;
            case 3:
                n = rand_phrase(&a, &r, &c);
                break;
            case 4:
                n = qop(&a, AS_Q_OR, 2);
                n->kids[0] = rand_term(&a, &r, &c, 0);
                n->kids[1] = rand_term(&a, &r, &c, 0);
                break;
            case 6:
                n = qop(&a, AS_Q_AND, 3);
                n->kids[0] = rand_term(&a, &r, &c, 0);
                n->kids[1] = rand_term(&a, &r, &c, 0);
                n->kids[2] = qop(&a, AS_Q_OR, nk);
                for (size_t k = 0; k < nk; k++)
                    n->kids[2]->kids[k] = rand_term(&a, &r, &c, 0);
                break;
            case 7: {
                n = qop(&a, AS_Q_OR, 2);
                n->kids[0] = rand_term(&a, &r, &c, 0);
                as_qnode *p = qop(&a, AS_Q_PHRASE, 3);
                for (uint32_t k = 0; k < 3; k++)
                    p->kids[k] = rand_term(&a, &r, &c, k);
                n->kids[1] = rbelow(&r, 2) ? p : rand_phrase(&a, &r, &c);
                break;
            }
            default:
                n = qop(&a, AS_Q_AND, 2);
                n->kids[0] = rand_term(&a, &r, &c, 0);
                n->kids[1] = rand_phrase(&a, &r, &c);
                break;
            }
            q.root = n;
            char *names[4];
            rfilter rf;
            if (rbelow(&r, 4) == 0)
                rand_filter(&r, &q.filter, &rf, names);
            else
                memset(&rf, 0, sizeof rf);
            as_search_opts so;
            ropts ro;
            rand_opts(&r, &so, &ro);
            if (rbelow(&r, 3) != 0) { /* mostly the shipped parameters */
                as_bm25 d = AS_BM25_DEFAULTS;
                so.bm25 = d;
                ro.k1 = d.k1;
                ro.b = d.b;
                ro.mn = d.min_normlen;
            }
            so.limit = 1 + rbelow(&r, 12);
            so.offset = rbelow(&r, 4) == 0 ? rbelow(&r, 5) : 0;
            so.want_total = rbelow(&r, 8) == 0;
            as_query_dump(q.root, qdump, sizeof qdump);
            size_t l = strlen(qdump);
            snprintf(qdump + l, sizeof qdump - l, " [high query %d corpus %zu]", i, pi);
            check_search(&c, &q, &so, &ro, &rf, ref, w_of, &near_ties);
            if (high_terms(c.eng, 0) > 0)
                engaged[shape]++;
            if (high_terms(c.eng, 1) > 0)
                tiered[shape]++;
            if (c.eng->ntieror > 0)
                tieror++;
            joint += c.eng->njoint > 0;
            lead += c.eng->nlead > 0;
            solo += c.eng->nsolo > 0;
            single += c.eng->nhq > 0;
            cached += c.eng->nlcache > 0;
            afree(&a);
        }
        free(ref);
        free(w_of);
        free_corpus(&c);
    }
    /* the path under test was taken: single terms, ANDs, phrases and ORs
     * walked high lists in a good share of the queries */
    if (getenv("SHOW_HIGH"))
        fprintf(stderr,
                "high lists walked: %u %u %u %u %u %u %u %u, by tiers %u %u %u %u of 120 each\n",
                engaged[0], engaged[1], engaged[2], engaged[3], engaged[4], engaged[5], engaged[6],
                engaged[7], tiered[1], tiered[2], tiered[6], tiered[7]);
    if (getenv("SHOW_HIGH"))
        fprintf(stderr, "ANDs with an OR kid by tiers: %u, by the joint bound %u, led by "
                "the rarest unit %u, leaping over its docs with one of two terms %u\n",
                tieror, joint, lead, solo);
    if (getenv("SHOW_HIGH"))
        fprintf(stderr, "ANDs of terms by tiers rejecting a doc high in one kid by hq: %u, "
                "led by the rarest unit again from the cached setup: %u\n", single, cached);
    for (int k = 0; k < 6; k++)
        if (engaged[k] + tiered[k] < (k == 5 ? 3u : 10u))
            fail_msg("query shape %d walked high lists %u times", k, engaged[k] + tiered[k]);
    if (tiered[1] + tiered[2] < 10) /* ANDs of terms by tiers */
        fail_msg("ANDs by tiers: %u", tiered[1] + tiered[2]);
    if (tieror < 10) /* ANDs with an OR kid by tiers */
        fail_msg("ANDs with an OR by tiers: %u", tieror);
    if (tiered[7] < 5) /* an OR's virtual AND by tiers */
        fail_msg("virtual ANDs by tiers: %u", tiered[7]);
    if (joint < 10) /* by tiers where only the joint bound allows it */
        fail_msg("ANDs by tiers through the joint bound: %u", joint);
    if (lead < 10) /* by tiers led by the rarest unit's lists */
        fail_msg("ANDs by tiers led by the rarest unit: %u", lead);
    if (single < 10) /* a doc high in one kid rejected without its length */
        fail_msg("ANDs by tiers rejecting by hq: %u", single);
    if (cached < 10) /* align_tier_lead called again for its node (e->lnode) */
        fail_msg("ANDs led by the rarest unit from the cached setup: %u", cached);
}

/* Sets doc d of c to: term t0 wa times, t1 wb times, then fillers up to len
 * tokens (wa + wb <= len). */
static void set_doc(corpus *c, uint32_t d, uint32_t wa, uint32_t wb, uint32_t len)
{
    tdoc *t = &c->docs[d];
    t->ntok = len;
    t->term = malloc((len + 1) * sizeof *t->term);
    t->pos = malloc((len + 1) * sizeof *t->pos);
    t->kind = AS_KIND_FINDING;
    t->group = d;
    size_t cap = 32 + (size_t)len * 12, o;
    t->text = malloc(cap);
    o = (size_t)snprintf(t->text, cap, "s%u", d);
    for (uint32_t i = 0; i < len; i++) {
        t->term[i] = i < wa ? 0 : i < wa + wb ? 1 : 2 + (d + i) % 20;
        t->pos[i] = i;
        o += (size_t)snprintf(t->text + o, cap - o, " t%u", t->term[i]);
    }
    c->total += len;
    for (uint32_t i = 0; i < len; i++)
        if (i == 0 || t->term[i] != t->term[i - 1])
            c->df[t->term[i]]++;
}

/* An empty corpus of 2,048 docs in one unit over a vocab of 22 terms, for
 * the hand-made cases below to fill in. */
static void one_unit_corpus(corpus *c)
{
    memset(c, 0, sizeof *c);
    c->ndocs = 2048;
    c->nunits = 1;
    c->nfiles = 1;
    c->vocab = 22;
    c->docs = calloc(c->ndocs, sizeof *c->docs);
    c->units = calloc(1, sizeof *c->units);
    c->df = calloc(c->vocab, sizeof *c->df);
    assert_non_null(c->docs);
    assert_non_null(c->units);
    assert_non_null(c->df);
    c->units[0].council = 0;
    c->units[0].statement = 1;
    c->units[0].score = 3;
    c->units[0].published = 20240101;
}

/* A block-max AND window ends where the first kid's block does; past it
 * the other kids' bounds differ, so the rarer kid must not skip there by
 * the window's threshold.  t0 is in docs 0..1023 (blocks of 128 docs), t1
 * in every 4th of them (one block for docs 0..508).  With k = 1, d0 (t1 x3,
 * length 30) sets theta; the window [1, 127] passes (d1 has t0 twice) with
 * t1's threshold theta - bound(t0 x2): every t1 posting there is below it,
 * and so is d200's (t1 x2, length 20), which lies past the window and wins
 * on t0 x8.  Found, for each parameter set, as by brute force. */
static void test_window_edges(void **state)
{
    (void)state;
    corpus c;
    one_unit_corpus(&c);
    for (uint32_t d = 0; d < c.ndocs; d++) {
        uint32_t wa = d < 1024 ? 1 : 0, wb = d < 1024 && d % 4 == 0 ? 1 : 0, len = 30;
        if (d == 0)
            wb = 3;
        if (d == 1)
            wa = 2;
        if (d == 200) {
            wa = 8;
            wb = 2;
            len = 20;
        }
        set_doc(&c, d, wa, wb, len);
    }
    write_corpus(&c);
    rhit *ref = malloc((c.ndocs + 1) * sizeof *ref);
    double *w_of = malloc((c.ndocs + 1) * sizeof *w_of);
    static const double params[][2] = {{0.8, 0.5}, {1.0, 0.5}, {1.2, 0.75}};
    for (size_t pi = 0; pi < sizeof params / sizeof params[0]; pi++) {
        for (int phrase = 0; phrase < 2; phrase++) {
            arena a = {0};
            as_query q;
            memset(&q, 0, sizeof q);
            as_qnode *n = qop(&a, phrase ? AS_Q_PHRASE : AS_Q_AND, 2);
            n->kids[0] = qterm(&a, "t0", 0);
            n->kids[1] = qterm(&a, "t1", 1);
            q.root = n;
            as_search_opts so;
            as_search_opts_default(&so);
            so.bm25.k1 = params[pi][0];
            so.bm25.b = params[pi][1];
            so.collapse = 0;
            ropts o = {so.bm25.k1, so.bm25.b, so.bm25.min_normlen, {0}};
            memcpy(o.kw, so.kind_weight, sizeof o.kw);
            rfilter rf;
            memset(&rf, 0, sizeof rf);
            long ties = 0;
            snprintf(qdump, sizeof qdump, "window edges, %s, k1 %g b %g",
                     phrase ? "phrase" : "and", params[pi][0], params[pi][1]);
            for (size_t k = 1; k <= 3; k++) {
                so.limit = k;
                check_search(&c, &q, &so, &o, &rf, ref, w_of, &ties);
            }
            as_hits h = {0};
            so.limit = 1;
            assert_int_equal(as_engine_search(c.eng, &q, &so, &h), AS_OK);
            assert_int_equal(h.n, 1);
            assert_int_equal(h.hits[0].doc, 200);
            as_hits_free(&h);
            afree(&a);
        }
    }
    free(ref);
    free(w_of);
    free_corpus(&c);
}

/* Ties at the high lists' bound (format.h: high).  t0 is in docs
 * 0..1599: 40 of length 19 and 10 with wdf 2 (length 30) make its high list
 * (50 postings, within 1600 / AS_HIGH_FRAC), so L1 = 19 and every other
 * posting scores at most the bound mlo = BM25(1, 20): those of length 20
 * (docs 300..1599) exactly, those of length 21 (docs 0..299) less.  With
 * k = 55 the top is the high docs, then the lowest docids of those scoring
 * mlo: the threshold first settles at BM25(1, 21), below mlo (a bound one
 * length too tight would switch there and lose the ties; with b = 1 the
 * bounds of wdf 2 and 3 lie below it, so mlo is BM25(1, 20) alone), then
 * reaches mlo, and the term must go on to its high list without losing a
 * tie it should have won.  t1 is in every third doc, 14 times with wdf 2
 * at length 20: the top of t0 AND t1, found by tiers (align_tier) from
 * t1's high list, t0 exactly one length past its L1 there.  Some docs are
 * headings (kind weight 0.5): t1's, and a few of t0's high ones (which
 * then rank below its ties, as their halved weight says). */
static void test_high_ties(void **state)
{
    (void)state;
    corpus c;
    one_unit_corpus(&c);
    for (uint32_t d = 0; d < c.ndocs; d++) {
        uint32_t wa = d < 1600, wb = d % 3 == 0, len = d < 300 ? 21 : 20;
        if (d >= 300 && d % 90 == 0)
            wb = 2; /* in t1's high list, in t0's just not */
        if (d < 1600 && d % 40 == 7)
            len = 19;
        if (d < 1600 && d % 160 == 100) {
            wa = 2;
            len = 30;
        }
        set_doc(&c, d, wa, wb, len);
        if (d % 7 == 3 && (d >= 1600 || d % 40 == 7))
            c.docs[d].kind = AS_KIND_HEADING;
    }
    write_corpus(&c);
    rhit *ref = malloc((c.ndocs + 1) * sizeof *ref);
    double *w_of = malloc((c.ndocs + 1) * sizeof *w_of);
    assert_non_null(ref);
    assert_non_null(w_of);
    static const size_t ks[] = {1, 5, 10, 12, 49, 50, 51, 55, 60, 120};
    for (int shape = 0; shape < 8; shape++) {
        for (int kw = 0; kw < 2; kw++) {
            for (size_t ki = 0; ki < sizeof ks / sizeof ks[0]; ki++) {
                arena a = {0};
                as_query q;
                memset(&q, 0, sizeof q);
                int sh = shape % 4;
                if (sh == 0) {
                    q.root = qterm(&a, "t0", 0);
                } else {
                    as_qnode *n = qop(&a, sh == 2 ? AS_Q_PHRASE : sh == 1 ? AS_Q_AND : AS_Q_OR, 2);
                    n->kids[0] = qterm(&a, "t0", 0);
                    n->kids[1] = qterm(&a, "t1", 1);
                    q.root = n;
                }
                as_search_opts so;
                as_search_opts_default(&so);
                so.collapse = 0;
                if (shape >= 4) { /* length alone: wdf 2 never ties wdf 1 */
                    so.bm25.k1 = 1.2;
                    so.bm25.b = 1.0;
                }
                so.limit = ks[ki];
                so.offset = ki % 3 == 2 ? 3 : 0;
                if (kw)
                    so.kind_weight[AS_KIND_FINDING] = 0.5;
                ropts o = {so.bm25.k1, so.bm25.b, so.bm25.min_normlen, {0}};
                memcpy(o.kw, so.kind_weight, sizeof o.kw);
                rfilter rf;
                memset(&rf, 0, sizeof rf);
                long ties = 0;
                snprintf(qdump, sizeof qdump, "high ties, shape %d, kind weights %d, k %zu", shape,
                         kw, ks[ki]);
                check_search(&c, &q, &so, &o, &rf, ref, w_of, &ties);
                if (sh == 0 && kw == 0 && ks[ki] == 55 && so.offset == 0) {
                    /* the case described above, exactly */
                    assert_int_equal(high_terms(c.eng, 0), 1);
                    as_hits h = {0};
                    assert_int_equal(as_engine_search(c.eng, &q, &so, &h), AS_OK);
                    assert_int_equal(h.n, 55);
                    /* high docs that are findings, then the ties */
                    uint32_t nh = 0;
                    for (uint32_t d = 0; d < 1600; d++)
                        nh += (d % 40 == 7 && d % 7 != 3) || d % 160 == 100;
                    assert_true(nh < 55);
                    uint32_t lo = 0;
                    for (uint32_t d = 300; d < 1600 && nh + lo < 55; d++)
                        if (d % 40 != 7 && d % 160 != 100)
                            assert_int_equal(h.hits[nh + lo++].doc, d);
                    assert_true(h.hits[nh - 1].weight > h.hits[nh].weight);
                    assert_true(h.hits[nh].weight == h.hits[54].weight);
                    as_hits_free(&h);
                }
                afree(&a);
            }
        }
    }
    free(ref);
    free(w_of);
    free_corpus(&c);
}

/* Sets doc d of c to: terms t0..t3 w[0..3] times each, then fillers
 * (t4..t23) up to len tokens. */
static void set_doc4(corpus *c, uint32_t d, const uint32_t w[4], uint32_t len)
{
    tdoc *t = &c->docs[d];
    t->ntok = len;
    t->term = malloc((len + 1) * sizeof *t->term);
    t->pos = malloc((len + 1) * sizeof *t->pos);
    t->kind = AS_KIND_FINDING;
    t->group = d;
    size_t cap = 32 + (size_t)len * 12, o;
    t->text = malloc(cap);
    o = (size_t)snprintf(t->text, cap, "s%u", d);
    uint32_t i = 0;
    for (uint32_t k = 0; k < 4; k++)
        for (uint32_t j = 0; j < w[k] && i < len; j++)
            t->term[i++] = k;
    for (; i < len; i++)
        t->term[i] = 4 + (d + i) % 20;
    for (i = 0; i < len; i++) {
        t->pos[i] = i;
        o += (size_t)snprintf(t->text + o, cap - o, " t%u", t->term[i]);
    }
    c->total += len;
    for (i = 0; i < len; i++)
        if (i == 0 || t->term[i] != t->term[i - 1])
            c->df[t->term[i]]++;
}

/* Doc d of c has term t. */
static int doc_has(const corpus *c, uint32_t d, uint32_t t)
{
    for (uint32_t i = 0; i < c->docs[d].ntok; i++)
        if (c->docs[d].term[i] == t)
            return 1;
    return 0;
}

/* The corpus of test_lead_solo and test_lead_free: t2 and t3 each in 1/8
 * of the docs, both in every 16th; t0 and t1 in 3/8 and 1/2, in every doc
 * with both; length 20 (every 50th 16); then tweak (the test's own docs)
 * may change a doc's wdfs and length. */
static void lead_corpus(corpus *c, void (*tweak)(uint32_t d, uint32_t w[4], uint32_t *len))
{
    one_unit_corpus(c);
    c->vocab = 24;
    free(c->df);
    c->df = calloc(c->vocab, sizeof *c->df);
    assert_non_null(c->df);
    for (uint32_t d = 0; d < c->ndocs; d++) {
        uint32_t w[4] = {d % 4 == 0 || d % 32 == 2, d % 4 == 0 || d % 4 == 2,
                         d % 16 == 0 || d % 16 == 1, d % 16 == 0 || d % 16 == 2};
        uint32_t len = d % 50 == 7 ? 16 : 20;
        tweak(d, w, &len);
        set_doc4(c, d, w, len);
    }
    write_corpus(c);
}

/* t0 AND t1 AND (t2 OR t3) over c, top k with BM25 k1, b (k1 < 0: the
 * defaults), checked against the exhaustive scorer with and without a
 * guessed threshold (the engine's counters left of the second); what is
 * the query's in qdump. */
static void lead_query(corpus *c, size_t k, double k1, double b, const char *what)
{
    rhit *ref = malloc((c->ndocs + 1) * sizeof *ref);
    double *w_of = malloc((c->ndocs + 1) * sizeof *w_of);
    assert_non_null(ref);
    assert_non_null(w_of);
    arena a = {0};
    as_query q;
    memset(&q, 0, sizeof q);
    as_qnode *n = qop(&a, AS_Q_AND, 3);
    n->kids[0] = qterm(&a, "t0", 0);
    n->kids[1] = qterm(&a, "t1", 1);
    n->kids[2] = qop(&a, AS_Q_OR, 2);
    n->kids[2]->kids[0] = qterm(&a, "t2", 2);
    n->kids[2]->kids[1] = qterm(&a, "t3", 3);
    q.root = n;
    as_search_opts so;
    as_search_opts_default(&so);
    so.collapse = 0;
    so.limit = k;
    if (k1 >= 0) {
        so.bm25.k1 = k1;
        so.bm25.b = b;
    }
    ropts o = {so.bm25.k1, so.bm25.b, so.bm25.min_normlen, {0}};
    memcpy(o.kw, so.kind_weight, sizeof o.kw);
    rfilter rf;
    memset(&rf, 0, sizeof rf);
    long ties = 0;
    snprintf(qdump, sizeof qdump, "%s, k %zu", what, k);
    check_search(c, &q, &so, &o, &rf, ref, w_of, &ties);
    /* and from -INFINITY (engine.c: guess), whose walk the tests' path
     * counters are of */
    c->eng->guess_off = 1;
    check_search(c, &q, &so, &o, &rf, ref, w_of, &ties);
    c->eng->guess_off = 0;
    if (getenv("SHOW_HIGH"))
        fprintf(stderr, "%s k %zu: tier %llu lead %llu solo %llu free %llu meet %llu\n", what,
                k, (unsigned long long)c->eng->ntier,
                (unsigned long long)c->eng->nlead, (unsigned long long)c->eng->nsolo,
                (unsigned long long)c->eng->nfree, (unsigned long long)c->eng->nmeet);
    afree(&a);
    free(ref);
    free(w_of);
}

/* test_lead_solo's own docs: t0 on wdf 6 in length 8 where t3 is alone. */
static void solo_docs(uint32_t d, uint32_t w[4], uint32_t *len)
{
    if (d % 16 == 6 && (d / 16) % 16 == 5) {
        w[0] = 6;
        w[3] = 1;
        *len = 8;
    }
}

/* t0 AND t1 AND (t2 OR t3), led by its OR (align_tier_lead: the rarest
 * unit, 512 postings): t2 and t3 are each in 1/8 of the docs, both in
 * every 16th; t0 and t1 in 3/8 and 1/2, in every doc with both.  With k up
 * to 12 the top are docs with all four (length 20, as most; every 50th
 * doc has length 16, high in its terms' lists), and a doc with one of t2,
 * t3 reaches it only where t0 is high: on wdf 6 in a doc of length 8
 * (docs 16m + 6 for m % 16 == 5, with t3).  The walk leaps from a doc with
 * t3 alone (16m + 2) over the other docs with one of them (solo), up to
 * the next doc with t2 (16m + 16), and must still stop on those.  Every ranking is
 * checked against the exhaustive scorer. */
static void test_lead_solo(void **state)
{
    (void)state;
    corpus c;
    lead_corpus(&c, solo_docs);
    uint32_t solo = 0, freed = 0;
    for (size_t k = 1; k <= 12; k++) {
        /* k1 2, b 1: wdf 6 in a short doc outweighs t2 */
        lead_query(&c, k, 2.0, 1.0, "lead solo");
        solo += c.eng->nsolo > 0;
        freed += c.eng->nfree > 0;
    }
    assert_true(solo >= 6);
    if (getenv("SHOW_HIGH"))
        fprintf(stderr, "lead solo: %u queries leapt past docs high elsewhere\n", freed);
    /* as_pcur_meet (the leap) against the lists: t2 and t3 from the start,
     * with limits near and far; both cursors stay on their first doc >=
     * bnd (as init leaves them), and every doc with both is met once */
    as_term ta, tb;
    assert_int_equal(as_index_find_term(c.ix, "t2", 2, &ta), AS_OK);
    assert_int_equal(as_index_find_term(c.ix, "t3", 2, &tb), AS_OK);
    as_pcur *pa = malloc(sizeof *pa), *pb = malloc(sizeof *pb);
    assert_non_null(pa);
    assert_non_null(pb);
    as_pcur_init(pa, c.ix, &ta);
    as_pcur_init(pb, c.ix, &tb);
    uint32_t bnd = 0, met = 0, stopped = 0;
    for (uint32_t s = 0; bnd < c.ndocs; s++) {
        uint32_t lim = s % 3 == 2 ? AS_DOC_END : bnd + 1 + (s * 37) % 61;
        uint32_t r = as_pcur_meet(pa, pb, lim);
        uint32_t x = bnd;
        while (x < c.ndocs && !(doc_has(&c, x, 2) && doc_has(&c, x, 3)))
            x++;
        if (x < c.ndocs && x < lim) {
            assert_int_equal(r, x);
            assert_int_equal(pa->doc, x);
            assert_int_equal(pb->doc, x);
            met++;
            as_pcur_next(pa);
            as_pcur_next(pb);
            bnd = x + 1;
        } else {
            uint32_t from = lim > bnd ? lim : bnd, fa = from, fb = from;
            while (fa < c.ndocs && !doc_has(&c, fa, 2))
                fa++;
            while (fb < c.ndocs && !doc_has(&c, fb, 3))
                fb++;
            fa = fa < c.ndocs ? fa : AS_DOC_END;
            fb = fb < c.ndocs ? fb : AS_DOC_END;
            assert_int_equal(pa->doc, fa);
            assert_int_equal(pb->doc, fb);
            assert_int_equal(r, fa < fb ? fa : fb);
            stopped++;
            bnd = from;
        }
    }
    assert_int_equal(met, c.ndocs / 16); /* docs 16m have both */
    assert_true(stopped > 20);
    free(pa);
    free(pb);
    free_corpus(&c);
}

/* test_meet_sparse's docs: t0 in about 3 docs of 10, t1 in 2 of 3 (wdf
 * 1 to 3), so the two lists are of unequal density and meet on ~1 doc in
 * 5, with runs where t0 has none for a while (d % 200 >= 150). */
static void sparse_docs(uint32_t d, uint32_t w[4], uint32_t *len)
{
    w[0] = d % 200 < 150 && (d % 5 == 0 || d % 11 == 3 || d % 13 == 7) ? 1 + d % 2 : 0;
    w[1] = d % 3 != 2 ? 1 + d % 3 : 0;
    *len = 20;
}

/* The wdf of t in doc d of c. */
static uint32_t doc_wdf(const corpus *c, uint32_t d, uint32_t t)
{
    uint32_t n = 0;
    for (uint32_t i = 0; i < c->docs[d].ntok; i++)
        n += c->docs[d].term[i] == t;
    return n;
}

/* as_pcur_meet without a limit (and as_pcur_meet_dense) as a meet(a, b). */
static uint32_t meet_nolim(as_pcur *a, as_pcur *b)
{
    return as_pcur_meet(a, b, AS_DOC_END);
}

/* Cursors pa and pb for c's terms t0 and t1 (ta, tb), malloc'd: the
 * caller frees them. */
static void open_pair(corpus *c, as_term *ta, as_term *tb, as_pcur **pa, as_pcur **pb)
{
    assert_int_equal(as_index_find_term(c->ix, "t0", 2, ta), AS_OK);
    assert_int_equal(as_index_find_term(c->ix, "t1", 2, tb), AS_OK);
    *pa = malloc(sizeof **pa);
    *pb = malloc(sizeof **pb);
    assert_non_null(*pa);
    assert_non_null(*pb);
}

/* The first doc >= x of c with both t0 and t1, or c->ndocs. */
static uint32_t next_both(const corpus *c, uint32_t x)
{
    while (x < c->ndocs && !(doc_has(c, x, 0) && doc_has(c, x, 1)))
        x++;
    return x;
}

/* The docs of c with both t0 and t1. */
static uint32_t count_both(const corpus *c)
{
    uint32_t both = 0;
    for (uint32_t d = 0; d < c->ndocs; d++)
        both += doc_has(c, d, 0) && doc_has(c, d, 1);
    return both;
}

/* Both cursors on doc x, each with its term's wdf there. */
static void assert_both_at(const corpus *c, const as_pcur *pa, const as_pcur *pb, uint32_t x)
{
    assert_int_equal(pa->doc, x);
    assert_int_equal(pb->doc, x);
    assert_int_equal(pa->wdf, doc_wdf(c, x, 0));
    assert_int_equal(pb->wdf, doc_wdf(c, x, 1));
}

/* meet (as_pcur_meet without a limit, or as_pcur_meet_dense) over c's t0
 * and t1, from cursors put on many
 * pairs of starting docs, both argument orders: it must end with both
 * cursors on the first doc >= both starts that has both terms, with their
 * wdfs (or both at the end); and walking the meets from the start must
 * meet every such doc once. */
static void check_meets(corpus *c, uint32_t (*meet)(as_pcur *, as_pcur *))
{
    as_term ta, tb;
    as_pcur *pa, *pb;
    open_pair(c, &ta, &tb, &pa, &pb);
    uint32_t checked = 0;
    for (uint32_t sa = 0; sa < c->ndocs; sa += 37) {
        for (uint32_t k = 0; k < 6; k++) {
            uint32_t sb = sa + k * k * 29 % 300;
            as_pcur_init(pa, c->ix, &ta);
            as_pcur_init(pb, c->ix, &tb);
            uint32_t da = as_pcur_seek(pa, sa), db = as_pcur_seek(pb, sb);
            uint32_t x = next_both(c, da > db ? da : db);
            uint32_t r = k % 2 ? meet(pb, pa) : meet(pa, pb);
            if (x < c->ndocs) {
                assert_int_equal(r, x);
                assert_both_at(c, pa, pb, x);
            } else {
                assert_int_equal(r, AS_DOC_END);
                assert_int_equal(pa->doc, AS_DOC_END);
                assert_int_equal(pb->doc, AS_DOC_END);
            }
            checked++;
        }
    }
    as_pcur_init(pa, c->ix, &ta);
    as_pcur_init(pb, c->ix, &tb);
    uint32_t met = 0, both = count_both(c);
    for (;;) {
        uint32_t r = meet(pa, pb);
        if (r == AS_DOC_END)
            break;
        assert_true(doc_has(c, r, 0) && doc_has(c, r, 1));
        met++;
        as_pcur_next(met % 2 ? pa : pb);
    }
    assert_int_equal(met, both);
    assert_true(both > 100);
    assert_true(checked > 300);
    free(pa);
    free(pb);
}

/* as_pcur_meet without a limit of two lists of unequal density
 * (meet_sparse: the denser list stepped four docs at a compare), and
 * as_pcur_meet_dense of them (the same steps). */
static void test_meet_sparse(void **state)
{
    (void)state;
    corpus c;
    lead_corpus(&c, sparse_docs);
    as_term ta, tb;
    assert_int_equal(as_index_find_term(c.ix, "t0", 2, &ta), AS_OK);
    assert_int_equal(as_index_find_term(c.ix, "t1", 2, &tb), AS_OK);
    assert_true(tb.df > 2 * ta.df);
    check_meets(&c, meet_nolim);
    check_meets(&c, as_pcur_meet_dense);
    free_corpus(&c);
}

/* test_meet_dense's docs: t0 and t1 each in about 1 doc of 3, apart (wdf
 * 1 to 3), so the two lists are of near density and meet on ~1 doc in 9,
 * in runs of several docs in a row (d % 97 < 6) and with stretches where
 * one of them has none (t0 for d % 300 in 200..239, t1 in 100..129), so
 * that blocks end inside a step of four and between meets. */
static void dense_docs(uint32_t d, uint32_t w[4], uint32_t *len)
{
    uint32_t h = d * 2654435761u;
    int run = d % 97 < 6;
    w[0] = (run || h >> 29 < 3) && !(d % 300 >= 200 && d % 300 < 240) ? 1 + d % 3 : 0;
    w[1] = (run || (h >> 13 & 7) < 3) && !(d % 300 >= 100 && d % 300 < 130) ? 1 + d % 2 : 0;
    *len = 20;
}

/* as_pcur_meet_dense of two lists of near density (meet_dense: four docs
 * of each against four of the other): a lane or a block end missed, or a
 * step one group too far, fails check_meets; and as_pcur_meet of them
 * (meet_sparse). */
static void test_meet_dense(void **state)
{
    (void)state;
    corpus c;
    lead_corpus(&c, dense_docs);
    as_term ta, tb;
    assert_int_equal(as_index_find_term(c.ix, "t0", 2, &ta), AS_OK);
    assert_int_equal(as_index_find_term(c.ix, "t1", 2, &tb), AS_OK);
    assert_true(ta.df <= 2 * tb.df && tb.df <= 2 * ta.df); /* AS_MEET_DENSE */
    assert_true(ta.df > 3 * 128); /* several blocks */
    check_meets(&c, as_pcur_meet_dense);
    check_meets(&c, meet_nolim);
    free_corpus(&c);
}

/* as_pcur_next_meet_dense over c's t0 and t1 from cursors put on many
 * pairs of starting docs, the first stepped either way (its block's wdfs
 * unpacked by an as_pcur_next before, or still packed after a seek): both
 * must end on the first doc after the stepped one's and at or after the
 * other's that has both terms, with their wdfs once as_pcur_read_wdf read
 * them (or at the end); and walking the intersection by it from the first
 * meet must meet every doc with both once, with its wdfs. */
static void check_next_meets(corpus *c)
{
    as_term ta, tb;
    as_pcur *pa, *pb;
    open_pair(c, &ta, &tb, &pa, &pb);
    uint32_t checked = 0;
    for (uint32_t sa = 0; sa < c->ndocs; sa += 37) {
        for (uint32_t k = 0; k < 8; k++) {
            uint32_t sb = sa + k * k * 29 % 300;
            as_pcur_init(pa, c->ix, &ta);
            as_pcur_init(pb, c->ix, &tb);
            as_pcur_seek(pa, sa);
            as_pcur_seek(pb, sb);
            if (k / 2 % 2)
                as_pcur_next(pa); /* its block's wdfs unpacked */
            as_pcur *s = k % 2 ? pb : pa, *o = k % 2 ? pa : pb;
            if (s->doc == AS_DOC_END)
                continue;
            uint32_t x = next_both(c, s->doc + 1 > o->doc ? s->doc + 1 : o->doc);
            uint32_t r = as_pcur_next_meet_dense(s, o);
            as_pcur_read_wdf(pa);
            as_pcur_read_wdf(pb);
            if (x < c->ndocs) {
                assert_int_equal(r, x);
                assert_both_at(c, pa, pb, x);
            } else {
                assert_int_equal(r, AS_DOC_END);
            }
            checked++;
        }
    }
    as_pcur_init(pa, c->ix, &ta);
    as_pcur_init(pb, c->ix, &tb);
    uint32_t met = 0, both = count_both(c);
    for (uint32_t r = as_pcur_meet_dense(pa, pb); r != AS_DOC_END;
         r = as_pcur_next_meet_dense(met % 2 ? pa : pb, met % 2 ? pb : pa)) {
        as_pcur_read_wdf(pa);
        as_pcur_read_wdf(pb);
        assert_true(doc_has(c, r, 0) && doc_has(c, r, 1));
        assert_both_at(c, pa, pb, r);
        met++;
    }
    assert_int_equal(met, both);
    assert_true(both > 100);
    assert_true(checked > 300);
    free(pa);
    free(pb);
}

/* as_pcur_next_meet_dense (the lead walk's step past a doc of the
 * intersection high in no list) and as_pcur_read_wdf on lists of near
 * density and of unequal density: a wdf read short of the cursor's posting
 * fails check_next_meets. */
static void test_next_meet(void **state)
{
    (void)state;
    corpus c;
    lead_corpus(&c, dense_docs);
    check_next_meets(&c);
    free_corpus(&c);
    lead_corpus(&c, sparse_docs);
    check_next_meets(&c);
    free_corpus(&c);
}

/* test_lead_free's own docs: eight with all four terms three times in
 * length 12, eight with t0 and t1 three times, t2 once, no t3. */
static void free_docs(uint32_t d, uint32_t w[4], uint32_t *len)
{
    if (d % 256 == 64) {
        w[0] = w[1] = w[2] = w[3] = 3;
        *len = 12;
    } else if (d % 256 == 192) {
        w[0] = w[1] = 3;
        w[2] = 1;
        w[3] = 0;
        *len = 12;
    }
}

/* The leap of test_lead_solo past docs high in other units (align_tier_lead:
 * free): t0 AND t1 AND (t2 OR t3) over the same lists, plus eight docs
 * with all four terms three times in length 12 (d = 256m + 64: the best,
 * each term's bound met), and eight with t0 and t1 three times but t2
 * once and no t3 (d = 256m + 192, solo, high in t0 and t1).  With k <= 8
 * theta is the first eight's weight, which no doc with one of t2, t3
 * reaches however high in t0 and t1, so the walk leaps over every such
 * doc; with k = 9..16 the second eight rank too and must be found (here
 * by the walk of the high lists: a free bound without the other units'
 * bounds fails test_lead_solo instead).  Checked against the exhaustive
 * scorer. */
static void test_lead_free(void **state)
{
    (void)state;
    corpus c;
    lead_corpus(&c, free_docs);
    uint32_t freed = 0;
    for (size_t k = 1; k <= 16; k++) {
        lead_query(&c, k, -1, 0, "lead free");
        freed += c.eng->nfree > 0;
    }
    assert_true(freed >= 4);
    free_corpus(&c);
}

/* The lead walk's searches for one path: lead_corpus(tweak), then
 * lead_query for k = 1..kmax, each with two BM25 parameter sets (k1 2,
 * b 1; k1 1.2, b 0.75), every ranking against the exhaustive scorer; the
 * path's engine counter at offset off (a uint64_t of as_engine) must have
 * been left above zero, the path run, in at least half of them. */
static void lead_path(void (*tweak)(uint32_t d, uint32_t w[4], uint32_t *len), size_t kmax,
                      const char *what, size_t off)
{
    corpus c;
    uint32_t ran = 0, runs = 0;
    lead_corpus(&c, tweak);
    for (size_t k = 1; k <= kmax; k++)
        for (int p = 0; p < 2; p++) {
            lead_query(&c, k, p ? 1.2 : 2.0, p ? 0.75 : 1.0, what);
            uint64_t v;
            memcpy(&v, (const char *)c.eng + off, sizeof v);
            ran += v > 0;
            runs++;
        }
    if (getenv("SHOW_HIGH"))
        fprintf(stderr, "%s: the path ran in %u of %u searches\n", what, ran, runs);
    assert_true(ran >= runs / 2);
    free_corpus(&c);
}

/* test_lead_order's own docs: in half of the docs with both t2 and t3
 * (d = 64m + 16, 64m + 48) t2 twice and no t1. */
static void order_docs(uint32_t d, uint32_t w[4], uint32_t *len)
{
    (void)len;
    if (d % 64 == 16 || d % 64 == 48) {
        w[1] = 0;
        w[2] = 2;
    }
}

/* The order in which the lead walk checks the other units' main lists
 * (align_tier_lead: e->lmo): t0 AND t1 AND (t2 OR t3), where half of the
 * docs with both t2 and t3 have t2 twice (their bound, with t1 at its low
 * bound, beats the top docs) but no t1, while every one has t0, the rarer
 * of t0 and t1, checked first.  t1 misses there and must move up; a walk
 * that then skipped a unit, or checked one twice and another not, returns
 * docs without t1.  k = 1..24 against the exhaustive scorer, two BM25
 * parameter sets; t1 must have moved up in most searches (nlmove). */
static void test_lead_order(void **state)
{
    (void)state;
    lead_path(order_docs, 24, "lead order", offsetof(as_engine, nlmove));
}

/* test_lead_all's own docs (all in docs 256m + c with both t2 and t3,
 * length 12): the best eight, t0 and t1 three times with t2 and t3 (c
 * 64); eight with t0 and t1 three times, t2 and no t3 (c 192); eight with
 * t2 alone high in t0 alone (t0 three times, t1 once: c 128) and eight
 * with t3 alone high in t1 alone (c 160). */
static void all_docs(uint32_t d, uint32_t w[4], uint32_t *len)
{
    uint32_t c = d % 256;
    if (c == 64 || c == 192 || c == 128 || c == 160) {
        w[0] = c == 160 ? 1 : 3;
        w[1] = c == 128 ? 1 : 3;
        w[2] = c != 160;
        w[3] = c == 64 || c == 160;
        *len = 12;
    }
}

/* The lead walk's leap past docs with one of the lead's terms that are
 * high in some but not every other unit (align_tier_lead: all): t0 AND
 * t1 AND (t2 OR t3) over test_lead_free's docs (eight with t0 and t1
 * three times, t2 once, no t3: high in both) and sixteen with one of t2,
 * t3, high in t0 or t1 alone.  Where theta lies between, the walk must
 * leap over the sixteen to the next doc with both lead terms or high in
 * both t0 and t1, and still stop on the eight.  k = 1..32, two BM25
 * parameter sets, against the exhaustive scorer; the leap (nall) must be
 * taken in some searches. */
static void test_lead_all(void **state)
{
    (void)state;
    lead_path(all_docs, 32, "lead all", offsetof(as_engine, nall));
}

/* test_lead_lofree's own docs: test_lead_free's, and of the other docs
 * with both t2 and t3, those of d = 64m (but 256m + 64) each term once in
 * length 30, high in no list. */
static void lofree_docs(uint32_t d, uint32_t w[4], uint32_t *len)
{
    free_docs(d, w, len);
    if (d % 64 == 0 && d % 256 != 64) {
        w[0] = w[1] = w[2] = w[3] = 1;
        *len = 30;
    }
}

/* The lead walk's pass over the docs of its lead terms' intersection high
 * in none of the four lists (align_tier_lead: lofree), once theta passes
 * their joint bound: t0 AND t1 AND (t2 OR t3) over lofree_docs, k =
 * 1..16, against the exhaustive scorer; the pass must have let docs go by
 * in some searches (nlorej). */
static void test_lead_lofree(void **state)
{
    (void)state;
    corpus c;
    lead_corpus(&c, lofree_docs);
    uint32_t ran = 0;
    for (size_t k = 1; k <= 16; k++) {
        lead_query(&c, k, -1, 0, "lead lofree");
        ran += c.eng->nlorej > 0;
        if (getenv("SHOW_HIGH"))
            fprintf(stderr, "lofree k %zu: walks %llu, docs let by %llu\n", k,
                    (unsigned long long)c.eng->nlofree, (unsigned long long)c.eng->nlorej);
    }
    assert_true(ran >= 4);
    free_corpus(&c);
}

/* test_lead_hstep's own docs: test_lead_all's, and right after each of
 * its best (d = 256m + 64) one with both t2 and t3 high in t0 alone (t0
 * three times, t1 once, length 10: 256m + 65), which passes only by t0's
 * exact value there; and before them, in t0's high list, a doc rejected
 * by the walk (t0 three times, t2 and t3, no t1: 256m + 50), one that is
 * no candidate (t0 alone: 51) and one like 65 (52), so that within one
 * walk t0's high cursor, its block's wdfs unpacked at 50, steps two
 * postings onto 52. */
static void hstep_docs(uint32_t d, uint32_t w[4], uint32_t *len)
{
    all_docs(d, w, len);
    if (d % 256 == 65 || d % 256 == 52) {
        w[0] = 3;
        w[1] = w[2] = w[3] = 1;
        *len = 10;
    } else if (d % 256 == 51) {
        w[0] = 3;
        *len = 10;
    } else if (d % 256 == 50) {
        w[0] = 3;
        w[1] = 0;
        w[2] = w[3] = 1;
        *len = 10;
    }
}

/* The lead walk of two terms moves the other units' high cursors by steps
 * inside their decoded blocks (engine_iter.c: hstep), not by seeks: t0 AND
 * t1 AND (t2 OR t3), where the docs high in t0 alone rank only by t0's
 * exact value, read where t0's high cursor steps from the doc before in
 * its list onto them (52 from 50 over 51, in the same walk).  A step that
 * stopped short of or past a doc, or read another posting's wdf, changes a
 * bound and returns other docs (each of the three fails this test or
 * test_lead_all, checked by mutating hstep).  k = 1..32, two BM25
 * parameter sets, against the exhaustive scorer; the steps (nhstep) must
 * run in most searches. */
static void test_lead_hstep(void **state)
{
    (void)state;
    lead_path(hstep_docs, 32, "lead hstep", offsetof(as_engine, nhstep));
}

/* test_lead_meet's own docs: eight short ones high in t0 and t1 (no t2,
 * t3), in t2 alone, in t3 alone; those with t2 or t3 alone of length 16
 * and without t0 and t1 (so that t2's and t3's low postings may be that
 * short, t0's and t1's not), most of them without t2 and t3 too; sixteen
 * with all four of length 18 (the top); eight with t0 and t1 three times
 * and t2 twice, no t3, of length 12. */
static void meet_docs(uint32_t d, uint32_t w[4], uint32_t *len)
{
    if (d % 256 >= 128 && d % 256 < 132) {
        /* short docs high in t0 and t1, t2 or t3 alone */
        for (uint32_t k = 0; k < 4; k++)
            w[k] = d % 4 == 0 ? k < 2 : k == 1 + d % 4;
        *len = 10;
    } else if (d % 16 == 1 || d % 16 == 2) {
        w[0] = w[1] = 0;
        if (d % 128 > 2)
            w[2] = w[3] = 0;
        *len = 16;
    } else if (d % 128 == 64) {
        *len = 18;
    } else if (d % 256 == 192) {
        w[0] = w[1] = 3;
        w[2] = 2;
        w[3] = 0;
        *len = 12;
    }
}

/* t0 AND t1 AND (t2 OR t3) where the top are sixteen docs with all four
 * terms in length 18: theta is then below the sum of the units' bounds
 * outside their high lists (t2's and t3's at length 16), not below their
 * joint bound (at 18, the shortest low doc of t0 and t1), so align_tier
 * runs by tiers; and no doc without both t2 and t3 can reach theta, so the
 * rarest unit's two lists are walked as an intersection (align_tier_lead,
 * as_pcur_meet) instead of the high lists' union (AS_TIER_MEET_F).  That
 * choice only moves work (align_tier_lead keeps the contract whatever the
 * threshold): the test asserts that it is made, and checks every
 * ranking, k = 1..28 (past 16 other docs rank), against the exhaustive
 * scorer. */
static void test_lead_meet(void **state)
{
    (void)state;
    corpus c;
    lead_corpus(&c, meet_docs);
    uint32_t met = 0;
    for (size_t k = 1; k <= 28; k++) {
        lead_query(&c, k, -1, 0, "lead meet");
        met += c.eng->nmeet > 0;
    }
    assert_true(met >= 8);
    free_corpus(&c);
}

/* test_lead_meet_wdf's docs: meet_docs's, plus t3 four times (no t2) in
 * a long doc with t0 and t1 (d = 256m + 224), so that the lead's terms
 * are not all of wdf <= 3 (the lead table, jm, does not cover them: no
 * solo leap). */
static void meet_wdf_docs(uint32_t d, uint32_t w[4], uint32_t *len)
{
    meet_docs(d, w, len);
    if (d % 256 == 224) {
        w[0] = w[1] = 1;
        w[2] = 0;
        w[3] = 4;
        *len = 20;
    }
}

/* test_lead_meet's corpus with t3 four times in some docs (as ^sar or
 * review at 5M): the lead walk's leaps to the next doc with both t2 and t3
 * (align_tier_lead: solo, free) must still be taken, and every ranking,
 * k = 1..28, equals the exhaustive scorer's.  (Here the walk is not
 * reached by align_tier's meet route: the route is test_lead_meet's.) */
static void test_lead_meet_wdf(void **state)
{
    (void)state;
    corpus c;
    lead_corpus(&c, meet_wdf_docs);
    uint32_t solo = 0, freed = 0;
    for (size_t k = 1; k <= 28; k++) {
        lead_query(&c, k, -1, 0, "lead meet wdf");
        solo += c.eng->nsolo > 0;
        freed += c.eng->nfree > 0;
    }
    assert_true(solo >= 20);
    assert_true(freed >= 20);
    free_corpus(&c);
}

/* test_lead_solo_wdf's docs: t0, t1 once and t3 five times (no t2) in
 * length 20, once in 128 docs (d = 128m + 34). */
static void solo_wdf_docs(uint32_t d, uint32_t w[4], uint32_t *len)
{
    if (d % 128 == 34) {
        w[0] = w[1] = 1;
        w[2] = 0;
        w[3] = 5;
        *len = 20;
    }
}

/* The solo leap (align_tier_lead) past docs with one of t2, t3 and high
 * in no other unit, where t3 has wdf 5 on some docs: the lead table's
 * last row (wdf 3 or more) must bound them at t3's largest wdf, for those
 * docs are the top (k1 2, b 0: t3 on wdf 5 weighs 5/7 of its termweight,
 * t2 and t3 once 1/3 each, t3 on wdf 3 3/5) and the leap would pass over
 * them were that row bounded at wdf 3 (the test then fails).  Every
 * ranking, k = 1..150, against the exhaustive scorer; test_lead_meet_wdf
 * asserts the leap is taken where a lead term has wdf 4. */
static void test_lead_solo_wdf(void **state)
{
    (void)state;
    corpus c;
    lead_corpus(&c, solo_wdf_docs);
    for (size_t k = 1; k <= 150; k += k < 24 || k >= 120 ? 1 : 9)
        lead_query(&c, k, 2.0, 0.0, "lead solo wdf");
    free_corpus(&c);
}

/* test_lead_optional's docs: t0 and t1 as lead_corpus's, t2 in every 8th
 * doc (d = 8m), so t0 t1 t2 in a row there, t3 in every other doc (after
 * them); in every 128th (d = 128m + 32) t3 three times in length 8 (high
 * in its list), in every 128th (d = 128m + 96) t0 t1 t2 without t3 in
 * length 8; and in every 256th (d = 256m + 100) t0 and t2 three times
 * without t1 in length 8, so that the phrase's bound (of each term's best
 * doc) is far above what any doc with it scores. */
static void opt_docs(uint32_t d, uint32_t w[4], uint32_t *len)
{
    w[2] = d % 8 == 0;
    w[3] = d % 2 == 0;
    if (d % 128 == 32) {
        w[3] = 3;
        *len = 8;
    } else if (d % 128 == 96) {
        w[3] = 0;
        *len = 8;
    } else if (d % 256 == 100) {
        w[0] = w[2] = 3;
        w[1] = w[3] = 0;
        *len = 8;
    }
}

/* opt_docs, but half of the docs with t3 three times (d = 256m + 160)
 * without t2: t3's bound is far above what the docs with the phrase
 * score, and the top are docs with the phrase without t3. */
static void opt_docs2(uint32_t d, uint32_t w[4], uint32_t *len)
{
    opt_docs(d, w, len);
    if (d % 256 == 160)
        w[2] = 0;
}

/* opt_docs, but t3 once in every 16th doc only (d = 16m: half of those
 * with the phrase), nowhere else: the top are the docs with the phrase
 * and t3, and a candidate of the lead walk with the phrase but without
 * t3 passes the OR's threshold only by t3's low bound (hoarding OR
 * self-neglect at 1M, where hoarding is t3). */
static void opt_docs3(uint32_t d, uint32_t w[4], uint32_t *len)
{
    opt_docs(d, w, len);
    w[3] = d % 2 == 0 && d % 16 != 8;
}

/* One search of t3 OR "t0 t1 t2" (phrase) or t3 OR (t0 AND t1 AND t2)
 * over c for the top k, no collapsing, with the default BM25 parameters or
 * (params) k1 2, b 0.9, checked against the exhaustive scorer; qdump names
 * the search.  c->eng keeps the search's path counters for the caller. */
static void check_t3_or(corpus *c, int phrase, int params, size_t k, rhit *ref, double *w_of)
{
    arena a = {0};
    as_query q;
    memset(&q, 0, sizeof q);
    as_qnode *o = qop(&a, AS_Q_OR, 2);
    o->kids[0] = qterm(&a, "t3", 0);
    o->kids[1] = qop(&a, phrase ? AS_Q_PHRASE : AS_Q_AND, 3);
    for (uint32_t i = 0; i < 3; i++) {
        char t[4] = {'t', (char)('0' + i), 0, 0};
        o->kids[1]->kids[i] = qterm(&a, t, i);
    }
    q.root = o;
    as_search_opts so;
    as_search_opts_default(&so);
    so.collapse = 0;
    so.limit = k;
    if (params) {
        so.bm25.k1 = 2.0;
        so.bm25.b = 0.9;
    }
    ropts ro = {so.bm25.k1, so.bm25.b, so.bm25.min_normlen, {0}};
    memcpy(ro.kw, so.kind_weight, sizeof ro.kw);
    rfilter rf;
    memset(&rf, 0, sizeof rf);
    long ties = 0;
    check_search(c, &q, &so, &ro, &rf, ref, w_of, &ties);
    afree(&a);
}

/* t3 OR "t0 t1 t2" (as an acronym query: SAR OR "safeguarding adults
 * review"): once the phrase is required, its virtual AND is led by its
 * rarest term (align_tier_lead, for a lead of any df when the OR has
 * optional TERMs) and every candidate is bounded with t3 at its length:
 * its exact value where its high list has the doc (the short docs with
 * t3 three times, which rank first), its low bound elsewhere.  A bound
 * that left t3 out where it is high loses those docs (one that left it
 * out where it is low fails test_required_or and test_high_lists).
 * On opt_docs2's corpus most candidates fall by the lead's wdf alone,
 * the other units' and t3's low bounds at any length (jmo), before any
 * length is read.  On opt_docs3's, candidates
 * with the phrase but not t3 pass only by t3's low bound, and fall once
 * t3 is sought in its main list (opt_below: nopt_main).  Checked against
 * the exhaustive scorer for k 1..38, phrase and AND, and the path must
 * have rejected candidates all three ways. */
static void test_lead_optional(void **state)
{
    (void)state;
    uint32_t used = 0, tabled = 0, mained = 0, queries = 0, queries3 = 0;
    for (int pc = 0; pc < 6; pc++) {
        int phrase = pc & 1;
        corpus c;
        lead_corpus(&c, pc < 2 ? opt_docs : pc < 4 ? opt_docs2 : opt_docs3);
        rhit *ref = malloc((c.ndocs + 1) * sizeof *ref);
        double *w_of = malloc((c.ndocs + 1) * sizeof *w_of);
        assert_non_null(ref);
        assert_non_null(w_of);
        for (size_t k = 1; k <= 40; k += 1 + k / 8) {
            snprintf(qdump, sizeof qdump, "lead optional, corpus %d, %s, k %zu", pc / 2,
                     phrase ? "phrase" : "and", k);
            check_t3_or(&c, phrase, 0, k, ref, w_of);
            if (getenv("SHOW_HIGH"))
                fprintf(stderr, "%s: lead %llu, rejected by t3 %llu (in its list %llu), by the table %llu\n",
                        qdump, (unsigned long long)c.eng->nlead,
                        (unsigned long long)c.eng->nopt_rej, (unsigned long long)c.eng->nopt_main,
                        (unsigned long long)c.eng->noptq);
            if (pc < 4) {
                used += c.eng->nopt_rej > 0;
                tabled += c.eng->noptq > 0;
                queries++;
            } else {
                mained += c.eng->nopt_main > 0;
                queries3++;
            }
        }
        free(ref);
        free(w_of);
        free_corpus(&c);
    }
    assert_true(used >= queries / 4);
    assert_true(tabled >= queries / 4);
    assert_int_equal(mained, queries3); /* opt_docs3: t3 sought in its list, every k */
}

/* test_bm_lead's corpus (as DoLS: ^dols OR "deprivation of liberty
 * safeguards"): 6,144 docs; t0 in every doc (as "of"; twice in every 7th),
 * t1 and t2 in every 24th (d = 24m + 5: 256 docs, 24 times rarer than
 * t0), t3 in three of every four of those and in every 96th other doc
 * (d = 96m + 50).  The docs with the rare terms have lengths 8..24, t3
 * once to three times; the rest length 20 (every 9th 14).  variant 1:
 * every 8th rare doc without t2. */
static void bm_lead_corpus(corpus *c, int variant)
{
    memset(c, 0, sizeof *c);
    c->ndocs = 6144;
    c->nunits = 1;
    c->nfiles = 1;
    c->vocab = 24;
    c->docs = calloc(c->ndocs, sizeof *c->docs);
    c->units = calloc(1, sizeof *c->units);
    c->df = calloc(c->vocab, sizeof *c->df);
    assert_non_null(c->docs);
    assert_non_null(c->units);
    assert_non_null(c->df);
    c->units[0].council = 0;
    c->units[0].statement = 1;
    c->units[0].score = 3;
    c->units[0].published = 20240101;
    for (uint32_t d = 0; d < c->ndocs; d++) {
        uint32_t w[4] = {d % 7 == 3 ? 2 : 1, 0, 0, d % 96 == 50};
        uint32_t len = d % 9 == 4 ? 14 : 20;
        if (d % 24 == 5) {
            uint32_t m = d / 24;
            w[1] = w[2] = 1;
            w[3] = m % 4 == 3 ? 0 : 1 + (m * 5) % 3;
            len = 8 + (m * 7) % 17;
            if (variant == 1 && m % 8 == 6)
                w[2] = 0;
        }
        set_doc4(c, d, w, len);
    }
    write_corpus(c);
}

/* t3 OR "t0 t1 t2" and t3 OR (t0 AND t1 AND t2), as DoLS: once theta
 * needs both kids and is above what a doc high in no list can score, the
 * tiers decline the OR's virtual AND (t0's high list is long), and since
 * t0 has 24 times the postings of t1 (AS_BM_LEAD_F) it is led by its
 * rarest term (align_tier_lead) instead of run by block-max windows that
 * end at each of t0's blocks.  Checked against the exhaustive scorer for
 * k 1..40, two corpora, default and other BM25 parameters; the route must
 * have been taken in most searches. */
static void test_bm_lead(void **state)
{
    (void)state;
    uint32_t led = 0, queries = 0;
    for (int pc = 0; pc < 8; pc++) {
        int phrase = pc & 1, variant = (pc >> 1) & 1, params = pc >> 2;
        corpus c;
        bm_lead_corpus(&c, variant);
        rhit *ref = malloc((c.ndocs + 1) * sizeof *ref);
        double *w_of = malloc((c.ndocs + 1) * sizeof *w_of);
        assert_non_null(ref);
        assert_non_null(w_of);
        for (size_t k = 1; k <= 40; k += 1 + k / 8) {
            snprintf(qdump, sizeof qdump, "bm lead, corpus %d, %s, params %d, k %zu", variant,
                     phrase ? "phrase" : "and", params, k);
            check_t3_or(&c, phrase, params, k, ref, w_of);
            if (getenv("SHOW_HIGH"))
                fprintf(stderr, "%s: bm lead %llu, lead %llu, tier %llu\n", qdump,
                        (unsigned long long)c.eng->nbmlead, (unsigned long long)c.eng->nlead,
                        (unsigned long long)c.eng->ntier);
            led += c.eng->nbmlead > 0;
            queries++;
        }
        free(ref);
        free(w_of);
        free_corpus(&c);
    }
    if (led < queries / 2)
        fail_msg("led by the rarest term in %u of %u searches", led, queries);
}

/* test_bm_opt's corpus (as hoarding OR self-neglect at 100k): 4,096 docs;
 * t0, t1, t2 only in every 32nd (d = 32m + 1: 128 docs, below the
 * high lists' df, 129 here, so the OR's virtual AND is run by block-max
 * windows, not by tiers), lengths 6..22, t0 twice in every third of those, t1 twice in
 * every 16th (no phrase there); t3 in one of every four of them (once to
 * three times) and in every third other doc.  The rest length 20. */
static void bm_opt_corpus(corpus *c)
{
    memset(c, 0, sizeof *c);
    c->ndocs = 4096;
    c->nunits = 1;
    c->nfiles = 1;
    c->vocab = 24;
    c->docs = calloc(c->ndocs, sizeof *c->docs);
    c->units = calloc(1, sizeof *c->units);
    c->df = calloc(c->vocab, sizeof *c->df);
    assert_non_null(c->docs);
    assert_non_null(c->units);
    assert_non_null(c->df);
    c->units[0].council = 0;
    c->units[0].statement = 1;
    c->units[0].score = 3;
    c->units[0].published = 20240101;
    for (uint32_t d = 0; d < c->ndocs; d++) {
        uint32_t w[4] = {0, 0, 0, d % 3 == 0};
        uint32_t len = 20;
        if (d % 32 == 1) {
            uint32_t m = d / 32;
            w[0] = m % 3 == 0 ? 2 : 1;
            w[1] = m % 16 == 5 ? 2 : 1;
            w[2] = 1;
            w[3] = m % 4 == 2 ? 1 + (m * 5) % 3 : 0;
            len = 6 + (m * 7) % 17;
        }
        set_doc4(c, d, w, len);
    }
    write_corpus(c);
}

/* t3 OR "t0 t1 t2" and t3 OR (t0 AND t1 AND t2), as hoarding OR
 * self-neglect at 100k: once theta needs the phrase, its virtual AND runs
 * block-max windows (no tiers: its terms have no high lists), and a
 * candidate with t0, t1 and t2 is bounded there with t3, sought in its
 * main list, before it goes back to the OR (bm_opt_below: nbmopt).  Most
 * candidates lack t3 and fall.  Checked against the exhaustive scorer for
 * k 1..40, default and other BM25 parameters; the path must have
 * rejected candidates in most searches.  Taking t3 as absent where it is
 * on the candidate loses the docs with t3, which rank first. */
static void test_bm_opt(void **state)
{
    (void)state;
    uint32_t used = 0, queries = 0;
    for (int pc = 0; pc < 4; pc++) {
        int phrase = pc & 1, params = pc >> 1;
        corpus c;
        bm_opt_corpus(&c);
        rhit *ref = malloc((c.ndocs + 1) * sizeof *ref);
        double *w_of = malloc((c.ndocs + 1) * sizeof *w_of);
        assert_non_null(ref);
        assert_non_null(w_of);
        for (size_t k = 1; k <= 40; k += 1 + k / 8) {
            snprintf(qdump, sizeof qdump, "bm opt, %s, params %d, k %zu",
                     phrase ? "phrase" : "and", params, k);
            check_t3_or(&c, phrase, params, k, ref, w_of);
            if (getenv("SHOW_HIGH"))
                fprintf(stderr, "%s: bm opt %llu, bm lead %llu, lead %llu\n", qdump,
                        (unsigned long long)c.eng->nbmopt, (unsigned long long)c.eng->nbmlead,
                        (unsigned long long)c.eng->nlead);
            used += c.eng->nbmopt > 0;
            queries++;
        }
        free(ref);
        free(w_of);
        free_corpus(&c);
    }
    if (used < queries / 2)
        fail_msg("bounded with t3 in align_bm in %u of %u searches", used, queries);
}

/* opt_docs, but t2 (the phrase's rarest term) in docs 16m, 16m + 3,
 * 16m + 5 and 16m + 11 only: a quarter of them with t0 (t0 has 9/8 of
 * its postings), so the lead walk of t2 walks its intersection with t0,
 * three of every four of t2's postings passed in one meet; and t0 three
 * times in docs 128m + 64 of length 8, with all four terms (among the
 * top: a bound that took t0 once there loses them). */
static void pair_docs(uint32_t d, uint32_t w[4], uint32_t *len)
{
    opt_docs(d, w, len);
    if (d % 256 != 100)
        w[2] = d % 16 == 0 || d % 16 == 3 || d % 16 == 5 || d % 16 == 11;
    if (d % 128 == 64) {
        w[0] = 3;
        *len = 8;
    }
}

/* t3 OR "t0 t1 t2" and t3 OR (t0 AND t1 AND t2), as SAR OR "safeguarding
 * adults reviews": the lead walk of the OR's virtual AND, led by t2 alone,
 * walks t2's intersection with t0, whose postings are not four times
 * t2's (pair_walk: npair); the docs of the intersection are bounded with
 * t2 and t0 at their exact values.  On opt_docs' corpus every doc of t2
 * has t0, so the meets leave the lead where it was and the walk gives the
 * pairing up (pmeets UINT32_MAX) and goes on alone.  Checked against the
 * exhaustive scorer for k 1..40, default and other BM25 parameters; the
 * pairing must have run in most searches on pair_docs' corpus and have
 * been given up in some on opt_docs'.  A meet that skipped a doc of both
 * lists, or a bound with t0 below its value, loses top docs. */
static void test_lead_pair(void **state)
{
    (void)state;
    uint32_t paired = 0, queries = 0, gaveup = 0;
    for (int pc = 0; pc < 6; pc++) {
        int phrase = pc & 1, params = (pc >> 1) & 1, opt = pc >> 2;
        corpus c;
        lead_corpus(&c, opt ? opt_docs : pair_docs);
        rhit *ref = malloc((c.ndocs + 1) * sizeof *ref);
        double *w_of = malloc((c.ndocs + 1) * sizeof *w_of);
        assert_non_null(ref);
        assert_non_null(w_of);
        for (size_t k = 1; k <= 40; k += 1 + k / 8) {
            snprintf(qdump, sizeof qdump, "lead pair, corpus %d, %s, params %d, k %zu", opt,
                     phrase ? "phrase" : "and", params, k);
            check_t3_or(&c, phrase, params, k, ref, w_of);
            if (getenv("SHOW_HIGH"))
                fprintf(stderr, "%s: pair %llu, lead %llu, given up %d\n", qdump,
                        (unsigned long long)c.eng->npair, (unsigned long long)c.eng->nlead,
                        c.eng->pmeets == UINT32_MAX);
            if (opt) {
                gaveup += c.eng->npair > 0 && c.eng->pmeets == UINT32_MAX;
            } else {
                paired += c.eng->npair > 0;
                queries++;
            }
        }
        free(ref);
        free(w_of);
        free_corpus(&c);
    }
    if (paired < queries / 2)
        fail_msg("the lead walked its intersection in %u of %u searches", paired, queries);
    assert_true(gaveup > 0);
}

/* A corpus small enough to score by hand (k1 = 1, b = 0.5, min_normlen
 * 0.5, as Xapian's defaults):
 *   d0 "a b"  d1 "a c c"  d2 "b"     N = 3, total length 6, average 2
 * a: n = 2, tw = (3 - 2 + 0.5) / 2.5 = 0.6 < 2 -> 1.3; 2 ln 1.3
 *   d0: L = 1,   w = 2 ln 1.3 * 1 / (0.5 + 0.5 + 1)     = ln 1.3
 *   d1: L = 1.5, w = 2 ln 1.3 * 1 / (0.75 + 0.5 + 1)    = 2 ln 1.3 / 2.25
 * c: n = 1, tw = 2.5 / 1.5 -> 11/6; d1: w = 2 ln(11/6) * 2 / (1.25 + 2) */
typedef struct hand { const char *text; const char *toks[4]; int kind; } hand;

static void build_hand(corpus *c, const hand *h, uint32_t n)
{
    memset(c, 0, sizeof *c);
    new_corpus_dir(c);
    char gendir[128];
    snprintf(gendir, sizeof gendir, "%s/gen", c->dir);
    assert_int_equal(mkdir(gendir, 0755), 0);
    as_err err = {0};
    as_writer *w = NULL;
    assert_int_equal(as_writer_open(gendir, NULL, &w, &err), AS_OK);
    as_writer_set_high_min_df(w, 129);
    as_file_state fs = {0};
    fs.path = "/hand.txt";
    fs.display = "hand.txt";
    assert_int_equal(as_writer_begin_file(w, &fs), AS_OK);
    for (uint32_t d = 0; d < n; d++) {
        as_meta m = {0};
        m.council = (char *)(d % 2 ? "Kent County Council" : "Durham County Council");
        m.statement = 1 + (int)d % 9;
        m.score = 1 + (int)d % 4;
        m.published = 20230101 + 10000 * (d % 2);
        as_doc_in in = {0};
        in.meta = &m;
        in.text = h[d].text;
        in.kind = h[d].kind;
        in.line = d + 1;
        as_token t[4];
        uint32_t nt = 0;
        for (; nt < 4 && h[d].toks[nt]; nt++) {
            t[nt].term = h[d].toks[nt];
            t[nt].len = (uint32_t)strlen(h[d].toks[nt]);
            t[nt].pos = nt;
            t[nt].start = 0;
            t[nt].end = 1;
            t[nt].flags = 0;
        }
        assert_int_equal(as_writer_add(w, &in, t, nt), AS_OK);
    }
    assert_int_equal(as_writer_end_file(w, NULL), AS_OK);
    assert_int_equal(as_writer_finish(w, &err), AS_OK);
    assert_int_equal(as_index_open_gen(gendir, &c->ix, &err), AS_OK);
    assert_int_equal(as_engine_new(c->ix, &c->eng), AS_OK);
}

static void test_hand_bm25(void **state)
{
    (void)state;
    static const hand h[] = {
        {"a b", {"a", "b"}, AS_KIND_FINDING},
        {"a c c", {"a", "c", "c"}, AS_KIND_FINDING},
        {"b", {"b"}, AS_KIND_HEADING},
    };
    corpus c;
    build_hand(&c, h, 3);
    arena a = {0};
    as_query q;
    memset(&q, 0, sizeof q);
    as_search_opts so;
    as_search_opts_default(&so);
    /* The hand computations below use Xapian's defaults (k1 = 1, b = 0.5),
     * not the shipped ones. */
    so.bm25 = (as_bm25){1.0, 0.5, 0.5};
    as_hits hits = {0};

    q.root = qterm(&a, "a", 0);
    assert_int_equal(as_engine_search(c.eng, &q, &so, &hits), AS_OK);
    assert_int_equal(hits.n, 2);
    assert_int_equal(hits.hits[0].doc, 0);
    assert_int_equal(hits.hits[1].doc, 1);
    assert_near(hits.hits[0].weight, 0.26236426446749106, 1e-15);
    assert_near(hits.hits[1].weight, 0.23321267952665872, 1e-15);
    as_hits_free(&hits);

    /* OR sums: d1 = a + c, where c = 2 ln(11/6) * 2 / 3.25 */
    as_qnode *or = qop(&a, AS_Q_OR, 2);
    or->kids[0] = qterm(&a, "a", 0);
    or->kids[1] = qterm(&a, "c", 0);
    q.root = or;
    so.want_total = 1;
    assert_int_equal(as_engine_search(c.eng, &q, &so, &hits), AS_OK);
    assert_int_equal(hits.n, 2);
    assert_int_equal(hits.total, 2);
    assert_int_equal(hits.hits[0].doc, 1);
    assert_near(hits.hits[0].weight, 0.23321267952665872 + 0.7460132967019267, 1e-14);
    as_hits_free(&hits);

    /* The heading d2 weighs half: b has n = 2 like a; d2 has L = 0.5. */
    q.root = qterm(&a, "b", 0);
    assert_int_equal(as_engine_search(c.eng, &q, &so, &hits), AS_OK);
    assert_int_equal(hits.n, 2);
    /* d0: ln 1.3 = 0.262...; d2: 2 ln 1.3 / (0.75 + 1) * 0.5 = 0.1499... */
    assert_int_equal(hits.hits[0].doc, 0);
    assert_int_equal(hits.hits[1].doc, 2);
    assert_near(hits.hits[1].weight, 2 * 0.26236426446749106 / 1.75 * 0.5, 1e-15);
    as_hits_free(&hits);

    /* Explain: the contributions of AND(a c) in d1. */
    as_qnode *and = qop(&a, AS_Q_AND, 2);
    and->kids[0] = qterm(&a, "a", 0);
    and->kids[1] = qterm(&a, "c", 0);
    q.root = and;
    as_contrib *ct = NULL;
    size_t n = 0;
    assert_int_equal(as_engine_explain(c.eng, &q, &so, 1, &ct, &n), AS_OK);
    assert_int_equal(n, 2);
    assert_ptr_equal(ct[0].leaf, and->kids[0]);
    assert_int_equal(ct[0].wdf, 1);
    assert_int_equal(ct[1].wdf, 2);
    assert_near(ct[0].weight, 0.23321267952665872, 1e-15);
    assert_near(ct[1].weight, 0.7460132967019267, 1e-15);
    free(ct);
    assert_int_equal(as_engine_explain(c.eng, &q, &so, 0, &ct, &n), AS_ENOTFOUND);
    assert_int_equal(n, 2);
    assert_int_equal(ct[0].wdf, 1);
    assert_true(ct[0].weight == 0 && ct[1].weight == 0);
    free(ct);

    /* A term not in the index, NOTHING, and ANDNOT. */
    q.root = qterm(&a, "zzz", 0);
    assert_int_equal(as_engine_search(c.eng, &q, &so, &hits), AS_OK);
    assert_int_equal(hits.n, 0);
    assert_int_equal(hits.total, 0);
    as_hits_free(&hits);
    as_qnode *an = qop(&a, AS_Q_ANDNOT, 2);
    an->kids[0] = qterm(&a, "a", 0);
    an->kids[1] = qterm(&a, "c", 0);
    q.root = an;
    assert_int_equal(as_engine_search(c.eng, &q, &so, &hits), AS_OK);
    assert_int_equal(hits.n, 1);
    assert_int_equal(hits.hits[0].doc, 0);
    assert_near(hits.hits[0].weight, 0.26236426446749106, 1e-15);
    as_hits_free(&hits);

    /* Bad parameters are refused. */
    so.bm25.b = 1.5;
    assert_int_equal(as_engine_search(c.eng, &q, &so, &hits), AS_EINVAL);
    as_search_opts_default(&so);
    so.kind_weight[2] = -1;
    assert_int_equal(as_engine_search(c.eng, &q, &so, &hits), AS_EINVAL);
    assert_null(hits.hits);

    afree(&a);
    free_corpus(&c);
}

static void test_phrases(void **state)
{
    (void)state;
    static const hand h[] = {
        {"x care home y", {"x", "care", "home", "y"}, AS_KIND_FINDING},
        {"home care", {"home", "care"}, AS_KIND_FINDING},
        {"care care home", {"care", "care", "home"}, AS_KIND_FINDING},
        {"care x home", {"care", "x", "home"}, AS_KIND_FINDING},
    };
    corpus c;
    build_hand(&c, h, 4);
    arena a = {0};
    as_query q;
    memset(&q, 0, sizeof q);
    as_search_opts so;
    as_search_opts_default(&so);
    so.want_total = 1;
    as_hits hits = {0};
    struct { const char *t[3]; uint32_t off[3]; int n; uint32_t docs[4]; size_t ndocs; } cases[] = {
        {{"care", "home"}, {0, 1}, 2, {0, 2}, 2},
        {{"home", "care"}, {0, 1}, 2, {1}, 1},
        {{"care", "home"}, {0, 2}, 2, {2, 3}, 2},       /* a gap of one */
        {{"care", "home"}, {5, 6}, 2, {0, 2}, 2},       /* offsets need not start at 0 */
        {{"home", "care"}, {1, 0}, 2, {0, 2}, 2},       /* kids in any order */
        {{"care", "care", "home"}, {0, 1, 2}, 3, {2}, 1},
        {{"care", "zzz"}, {0, 1}, 2, {0}, 0},
        {{"home"}, {3}, 1, {0, 1, 2, 3}, 4},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        as_qnode *p = qop(&a, AS_Q_PHRASE, (size_t)cases[i].n);
        for (int k = 0; k < cases[i].n; k++)
            p->kids[k] = qterm(&a, cases[i].t[k], cases[i].off[k]);
        q.root = p;
        assert_int_equal(as_engine_search(c.eng, &q, &so, &hits), AS_OK);
        assert_int_equal(hits.total, cases[i].ndocs);
        assert_int_equal(hits.n, cases[i].ndocs);
        /* All docs match the same terms: ranked by length, then docid. */
        for (size_t j = 0; j < hits.n; j++) {
            size_t m;
            for (m = 0; m < cases[i].ndocs; m++)
                if (cases[i].docs[m] == hits.hits[j].doc)
                    break;
            if (m == cases[i].ndocs)
                fail_msg("phrase case %zu: unexpected doc %u", i, hits.hits[j].doc);
        }
        as_hits_free(&hits);
    }
    afree(&a);
    free_corpus(&c);
}

static void test_councils_and_collapse(void **state)
{
    (void)state;
    cparams p = {200, 10, 8, 4, 0.3, 0};
    corpus c;
    gen_corpus(&c, &p, 777);
    write_corpus(&c);
    as_query q;
    memset(&q, 0, sizeof q);
    char *names[2];
    q.filter.councils = names;
    q.filter.ncouncils = 1;
    static const struct { const char *typed; int rc; const char *msg; } cases[] = {
        {"durham", AS_OK, ""},
        {"Kent", AS_OK, ""}, /* exact beats "Kent County Council" */
        {"county", AS_EINVAL, "council 'county' is ambiguous: Durham County Council, Kent County Council"},
        {"Leeds", AS_ENOTFOUND, "no council matches 'Leeds'"},
        {"  ", AS_EINVAL, "empty council name '  '"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        names[0] = (char *)cases[i].typed;
        assert_int_equal(as_engine_bind(c.eng, &q), cases[i].rc);
        if (cases[i].rc != AS_OK)
            assert_string_equal(as_engine_errmsg(c.eng), cases[i].msg);
    }
    /* "Kent" alone: only units of council 5. */
    names[0] = "Kent";
    as_search_opts so;
    as_search_opts_default(&so);
    so.limit = 1000;
    so.collapse = 0;
    so.want_total = 1;
    as_hits h = {0};
    assert_int_equal(as_engine_search(c.eng, &q, &so, &h), AS_OK);
    size_t want = 0;
    for (uint32_t d = 0; d < c.ndocs; d++)
        want += c.units[c.docs[d].unit].council == 5;
    assert_true(want > 0);
    assert_int_equal(h.total, want);
    assert_int_equal(h.n, want);
    for (size_t i = 0; i < h.n; i++) {
        assert_int_equal(c.units[c.docs[h.hits[i].doc].unit].council, 5);
        assert_true(h.hits[i].weight == 0);
        if (i > 0) /* all weights 0: ascending docid */
            assert_true(h.hits[i].doc > h.hits[i - 1].doc);
    }
    as_hits_free(&h);
    free_corpus(&c);
}

static void test_limits_and_edges(void **state)
{
    (void)state;
    cparams p = {300, 12, 10, 2, 0.2, 0};
    corpus c;
    gen_corpus(&c, &p, 4242);
    write_corpus(&c);
    arena a = {0};
    as_query q;
    memset(&q, 0, sizeof q);
    as_search_opts so;
    as_search_opts_default(&so);
    as_hits h = {0};

    /* Nesting beyond the limit is refused, not recursed into. */
    as_qnode *root = qterm(&a, "t1", 0);
    for (int i = 0; i < 300; i++) {
        as_qnode *n = qop(&a, i % 2 ? AS_Q_AND : AS_Q_OR, 2);
        n->kids[0] = root;
        n->kids[1] = qterm(&a, "t2", 0);
        root = n;
    }
    q.root = root;
    assert_int_equal(as_engine_search(c.eng, &q, &so, &h), AS_ELIMIT);
    assert_string_equal(as_engine_errmsg(c.eng), "query nested more than 200 deep");
    /* A phrase of something other than terms. */
    as_qnode *ph = qop(&a, AS_Q_PHRASE, 2);
    ph->kids[0] = qterm(&a, "t1", 0);
    ph->kids[1] = qop(&a, AS_Q_OR, 0);
    q.root = ph;
    assert_int_equal(as_engine_search(c.eng, &q, &so, &h), AS_EINVAL);

    /* limit 0 still counts; an offset past the end gives nothing. */
    q.root = qterm(&a, "t0", 0);
    so.limit = 0;
    so.want_total = 1;
    so.collapse = 0;
    assert_int_equal(as_engine_search(c.eng, &q, &so, &h), AS_OK);
    assert_int_equal(h.n, 0);
    assert_int_equal(h.total, c.df[0]);
    as_hits_free(&h);
    so.limit = 10;
    so.offset = c.df[0];
    assert_int_equal(as_engine_search(c.eng, &q, &so, &h), AS_OK);
    assert_int_equal(h.n, 0);
    assert_int_equal(h.total, c.df[0]);
    as_hits_free(&h);
    so.offset = c.df[0] - 1;
    assert_int_equal(as_engine_search(c.eng, &q, &so, &h), AS_OK);
    assert_int_equal(h.n, 1);
    as_hits_free(&h);

    /* A kind mask naming no real kind lets nothing through. */
    so.offset = 0;
    q.filter.kinds = 0x30;
    assert_int_equal(as_engine_search(c.eng, &q, &so, &h), AS_OK);
    assert_int_equal(h.n, 0);
    assert_int_equal(h.total, 0);
    as_hits_free(&h);
    q.filter.kinds = 0;

    /* each() stops when the callback says so. */
    each_state es = {&c, NULL, 0, 0, 0};
    double *w_of = malloc(c.ndocs * sizeof *w_of);
    rhit *ref = malloc(c.ndocs * sizeof *ref);
    rfilter rf;
    memset(&rf, 0, sizeof rf);
    ropts o = {so.bm25.k1, so.bm25.b, so.bm25.min_normlen, {1, 0.5, 0.5, 0.5}};
    ref_rank(&c, &o, q.root, &rf, 0, ref, w_of);
    es.w_of = w_of;
    assert_int_equal(as_engine_each(c.eng, &q, &so, each_stop_cb, &es), AS_OK);
    assert_int_equal(es.n, 3);
    assert_int_equal(es.bad, 0);
    free(w_of);
    free(ref);
    afree(&a);
    free_corpus(&c);
}

/* Damaged postings: the search reports AS_ECORRUPT with the index's
 * message, never a wrong answer or a crash. */
static void test_corrupt(void **state)
{
    (void)state;
    cparams p = {3000, 30, 20, 2, 0.05, 1};
    corpus c;
    gen_corpus(&c, &p, 99);
    write_corpus(&c);
    char path[160];
    snprintf(path, sizeof path, "%s/gen/postings", c.dir);
    FILE *f = fopen(path, "r+b");
    assert_non_null(f);
    assert_int_equal(fseek(f, 0, SEEK_END), 0);
    long size = ftell(f);
    assert_true(size > 4096);
    /* Flip a byte in every 1 KiB page of the body. */
    for (long off = 200; off < size - 2048; off += 1024) {
        assert_int_equal(fseek(f, off, SEEK_SET), 0);
        int ch = fgetc(f);
        assert_int_equal(fseek(f, off, SEEK_SET), 0);
        fputc(ch ^ 0x5a, f);
    }
    fclose(f);
    as_index_close(c.ix);
    as_engine_free(c.eng);
    as_err err = {0};
    char gendir[128];
    snprintf(gendir, sizeof gendir, "%s/gen", c.dir);
    assert_int_equal(as_index_open_gen(gendir, &c.ix, &err), AS_OK);
    assert_int_equal(as_engine_new(c.ix, &c.eng), AS_OK);
    arena a = {0};
    as_query q;
    memset(&q, 0, sizeof q);
    as_qnode *or = qop(&a, AS_Q_OR, 3);
    or->kids[0] = qterm(&a, "t0", 0);
    or->kids[1] = qterm(&a, "t1", 0);
    or->kids[2] = qterm(&a, "t2", 0);
    q.root = or;
    as_search_opts so;
    as_search_opts_default(&so);
    so.want_total = 1;
    as_hits h = {0};
    assert_int_equal(as_engine_search(c.eng, &q, &so, &h), AS_ECORRUPT);
    assert_int_equal(h.n, 0);
    assert_null(h.hits);
    assert_string_equal(as_engine_errmsg(c.eng), as_index_errmsg(c.ix));
    assert_non_null(strstr(as_engine_errmsg(c.eng), "postings"));
    afree(&a);
    free_corpus(&c);
}

/* ---- threshold seeding ------------------------------------------------------- */

/* The search of q under so, as docs and weights (h->n of them). */
static void seed_search(corpus *c, const as_query *q, const as_search_opts *so, as_hits *h)
{
    int rc = as_engine_search(c->eng, q, so, h);
    if (rc != AS_OK)
        fail_msg("search %s: %d %s", qdump, rc, as_engine_errmsg(c->eng));
}

/* a and b hold the same docs with bit-identical weights. */
static int same_hits(const as_hits *a, const as_hits *b)
{
    if (a->n != b->n)
        return 0;
    for (size_t i = 0; i < a->n; i++)
        if (a->hits[i].doc != b->hits[i].doc || a->hits[i].weight != b->hits[i].weight ||
            a->hits[i].copies != b->hits[i].copies || a->hits[i].reports != b->hits[i].reports)
            return 0;
    return 1;
}

/* Threshold seeding (engine.c: seed) on ANDs of two or three common terms
 * (all with high lists), k = 1..30, with filters, kind weights, offsets
 * and duplicate sentences collapsed or not: every seeded search must equal
 * the exhaustive scorer and, bit for bit, the same search unseeded; and
 * the two wrong seeds (the k-th best itself instead of the double below
 * it: a doc scoring exactly that is lost; the best instead of the k-th:
 * hits are lost) must each change some result, so the check can see a
 * wrong seed. */
static void test_seed(void **state)
{
    (void)state;
    cparams p = {12000, 6, 24, 5, 0.2, 1};
    corpus c;
    gen_corpus(&c, &p, 211);
    write_corpus(&c);
    rng r = {977};
    rhit *ref = malloc((c.ndocs + 1) * sizeof *ref);
    double *w_of = malloc((c.ndocs + 1) * sizeof *w_of);
    assert_non_null(ref);
    assert_non_null(w_of);
    long ties = 0;
    uint32_t seeded = 0, bad1 = 0, bad2 = 0, nq = 0;
    for (size_t k = 1; k <= 30; k++) {
        for (int rep = 0; rep < 12; rep++, nq++) {
            arena a = {0};
            as_query q;
            memset(&q, 0, sizeof q);
            size_t nt = 2 + rbelow(&r, 2);
            as_qnode *n = qop(&a, AS_Q_AND, nt);
            uint32_t used = 0;
            for (size_t i = 0; i < nt; i++) {
                uint32_t t;
                do
                    t = rbelow(&r, 6);
                while (used >> t & 1);
                used |= 1u << t;
                char name[16];
                term_name(t, name, sizeof name);
                n->kids[i] = qterm(&a, name, (uint32_t)i);
            }
            q.root = n;
            char *names[4];
            rfilter rf;
            if (rep % 3 == 0)
                rand_filter(&r, &q.filter, &rf, names);
            else {
                memset(&rf, 0, sizeof rf);
                memset(&q.filter, 0, sizeof q.filter);
            }
            as_search_opts so;
            ropts o;
            rand_opts(&r, &so, &o);
            so.limit = k;
            so.offset = rep % 4 == 1 ? rbelow(&r, 4) : 0;
            so.want_total = 0;
            so.collapse = rep % 2;
            if (rep % 5 == 4) { /* the shipped parameters: prunable */
                as_search_opts_default(&so);
                so.limit = k;
                so.collapse = 1;
                o.k1 = so.bm25.k1;
                o.b = so.bm25.b;
                o.mn = so.bm25.min_normlen;
                memcpy(o.kw, so.kind_weight, sizeof o.kw);
            }
            as_query_dump(q.root, qdump, sizeof qdump);
            size_t l = strlen(qdump);
            snprintf(qdump + l, sizeof qdump - l, " [k %zu rep %d]", k, rep);
            /* unseeded */
            c.eng->seed_min = INFINITY;
            as_hits h0 = {0};
            seed_search(&c, &q, &so, &h0);
            assert_true(isinf(c.eng->seedw));
            /* seeded, against the exhaustive scorer and bit for bit */
            c.eng->seed_min = 1;
            uint64_t before = c.eng->nseed;
            check_search(&c, &q, &so, &o, &rf, ref, w_of, &ties);
            int did = c.eng->nseed > before;
            as_hits h1 = {0};
            seed_search(&c, &q, &so, &h1);
            if (!same_hits(&h0, &h1))
                fail_msg("%s: seeded search differs from unseeded", qdump);
            if (did) {
                seeded++;
                /* the seed is some k hits' k-th best: at most theta */
                assert_true(h0.n == 0 || so.offset > 0 ||
                            c.eng->seedw <= h0.hits[h0.n - 1].weight);
                for (int bug = 1; bug <= 2; bug++) {
                    c.eng->seed_bug = bug;
                    as_hits hb = {0};
                    seed_search(&c, &q, &so, &hb);
                    if (!same_hits(&h0, &hb))
                        *(bug == 1 ? &bad1 : &bad2) += 1;
                    as_hits_free(&hb);
                    c.eng->seed_bug = 0;
                }
            }
            as_hits_free(&h0);
            as_hits_free(&h1);
            afree(&a);
        }
    }
    if (getenv("SHOW_HIGH"))
        fprintf(stderr, "seed: %u of %u searches seeded; wrong seeds caught %u, %u\n",
                seeded, nq, bad1, bad2);
    /* the seed is the k-th best of the first k + k / 2 docs in every high
     * list (engine.c), often well below the final theta, where a wrong
     * seed changes nothing: 11 and 111 of 224 seeded searches catch the
     * two wrong seeds (with the best k of all such docs, 89 and 220 of
     * 268) */
    assert_true(seeded >= nq / 2);
    assert_true(bad1 >= 8);
    assert_true(bad2 >= seeded / 3);
    c.eng->seed_min = 0;
    free(ref);
    free(w_of);
    free_corpus(&c);
}

/* ---- threshold guessing ------------------------------------------------------ */

/* The options of a guess test's search: random (rand_opts), but the
 * shipped BM25 and kind weights (prunable) when shipped; top k, an offset
 * in reps 1, 5, ..., no total, duplicates collapsed in every third rep. */
static void guess_opts(rng *r, int shipped, size_t k, int rep, as_search_opts *so, ropts *o)
{
    rand_opts(r, so, o);
    if (shipped) {
        as_search_opts_default(so);
        o->k1 = so->bm25.k1;
        o->b = so->bm25.b;
        o->mn = so->bm25.min_normlen;
        memcpy(o->kw, so->kind_weight, sizeof o->kw);
    }
    so->limit = k;
    so->offset = rep % 4 == 1 ? rbelow(r, 4) : 0;
    so->want_total = 0;
    so->collapse = rep % 3 == 0;
}

/* Does the search, run keeping a failed guess's pass (guess_bug), differ
 * from h0, the same search unguessed? */
static int bug_differs(corpus *c, const as_query *q, const as_search_opts *so, const as_hits *h0)
{
    c->eng->guess_bug = 1;
    as_hits hb = {0};
    seed_search(c, q, so, &hb);
    int differs = !same_hits(h0, &hb);
    as_hits_free(&hb);
    c->eng->guess_bug = 0;
    return differs;
}

/* Threshold guessing (engine.c: guess) on t_a AND t_b AND (t_c OR t_d),
 * t_a and t_b among the common terms, t_c and t_d rarer (the OR the
 * AND's rarest unit), k = 1..30, with filters, kind weights, offsets and
 * duplicate sentences collapsed or not: every search must equal the
 * exhaustive scorer and, bit for bit, the same search unguessed.  The
 * guess must have held (its pass kept) in some searches and failed (the
 * run started again) in others, and keeping a failed guess's pass
 * (guess_bug) must change some result, so the check after the pass can be
 * seen to matter.  In half the reps the guess is made to rise to the joint
 * bound of a doc high in no list (guess_hi: as_eng_guess) whatever the
 * AND is expected to hold: the same must hold of those raised guesses,
 * some of them kept, some failed and caught. */
static void test_guess(void **state)
{
    (void)state;
    static const cparams ps[] = {{12000, 40, 24, 5, 0.2, 1}, {16000, 30, 30, 4, 0.0, 0}};
    uint32_t guessed = 0, failed = 0, caught = 0, nq = 0;
    uint32_t raised = 0, rfailed = 0, rcaught = 0;
    for (size_t pi = 0; pi < sizeof ps / sizeof ps[0]; pi++) {
        corpus c;
        gen_corpus(&c, &ps[pi], 613 + pi);
        write_corpus(&c);
        rng r = {71 + pi};
        rhit *ref = malloc((c.ndocs + 1) * sizeof *ref);
        double *w_of = malloc((c.ndocs + 1) * sizeof *w_of);
        assert_non_null(ref);
        assert_non_null(w_of);
        long ties = 0;
        for (size_t k = 1; k <= 30; k++) {
            for (int rep = 0; rep < 8; rep++, nq++) {
                arena a = {0};
                as_query q;
                memset(&q, 0, sizeof q);
                uint32_t t[4];
                t[0] = rbelow(&r, 4);
                do
                    t[1] = rbelow(&r, 4);
                while (t[1] == t[0]);
                t[2] = 8 + rbelow(&r, 12);
                do
                    t[3] = 8 + rbelow(&r, 12);
                while (t[3] == t[2]);
                char name[4][16];
                for (int i = 0; i < 4; i++)
                    term_name(t[i], name[i], sizeof name[i]);
                as_qnode *n = qop(&a, AS_Q_AND, 3);
                n->kids[0] = qterm(&a, name[0], 0);
                n->kids[1] = qterm(&a, name[1], 1);
                n->kids[2] = qop(&a, AS_Q_OR, 2);
                n->kids[2]->kids[0] = qterm(&a, name[2], 2);
                n->kids[2]->kids[1] = qterm(&a, name[3], 3);
                q.root = n;
                char *names[4];
                rfilter rf;
                if (rep % 4 == 3)
                    rand_filter(&r, &q.filter, &rf, names);
                else {
                    memset(&rf, 0, sizeof rf);
                    memset(&q.filter, 0, sizeof q.filter);
                }
                as_search_opts so;
                ropts o;
                guess_opts(&r, rep % 2 == 0, k, rep, &so, &o);
                as_query_dump(q.root, qdump, sizeof qdump);
                size_t l = strlen(qdump);
                snprintf(qdump + l, sizeof qdump - l, " [guess k %zu rep %d corpus %zu]", k,
                         rep, pi);
                /* unguessed */
                c.eng->guess_off = 1;
                as_hits h0 = {0};
                seed_search(&c, &q, &so, &h0);
                assert_true(isinf(c.eng->guessw));
                c.eng->guess_off = 0;
                /* guessed, against the exhaustive scorer and bit for bit
                 * (raised to the joint bound in reps 2, 3, 6, 7) */
                const int hi = rep / 2 % 2;
                c.eng->guess_hi = hi;
                uint64_t g0 = c.eng->nguess, f0 = c.eng->nguessfail;
                check_search(&c, &q, &so, &o, &rf, ref, w_of, &ties);
                as_hits h1 = {0};
                seed_search(&c, &q, &so, &h1);
                if (!same_hits(&h0, &h1))
                    fail_msg("%s: guessed search differs from unguessed", qdump);
                guessed += c.eng->nguess > g0;
                /* raised: above the guess it would have made unraised */
                int up = 0;
                if (hi && c.eng->nguess > g0) {
                    const double gw = c.eng->guessw;
                    c.eng->guess_hi = -1;
                    up = gw > as_eng_guess(c.eng, k);
                    c.eng->guess_hi = hi;
                    raised += (uint32_t)up;
                }
                if (c.eng->nguessfail > f0) {
                    failed++;
                    rfailed += (uint32_t)up;
                    int differs = bug_differs(&c, &q, &so, &h0);
                    caught += (uint32_t)differs;
                    rcaught += (uint32_t)(up && differs);
                }
                c.eng->guess_hi = 0;
                as_hits_free(&h0);
                as_hits_free(&h1);
                afree(&a);
            }
        }
        free(ref);
        free(w_of);
        free_corpus(&c);
    }
    if (getenv("SHOW_HIGH"))
        fprintf(stderr,
                "guess: %u of %u searches guessed, %u guesses failed (%u caught); "
                "%u raised, %u of them failed (%u caught)\n",
                guessed, nq, failed, caught, raised, rfailed, rcaught);
    assert_true(guessed >= nq / 4);
    assert_true(failed >= 1 && failed < guessed);
    assert_true(caught >= 1);
    assert_true(raised >= nq / 16);
    assert_true(rfailed >= 1 && rfailed < raised);
    assert_true(rcaught >= 1);
}

/* A root TERM's guess (as_eng_guess: term_guess): its bound outside its
 * high list, when the list likely holds k docs inside the filter.  Single
 * common terms, filtered in half of the reps, top 1..30: guessed results
 * equal the exhaustive scorer's and the unguessed run's bit for bit; some
 * guesses fail, and a run that kept a failed one (guess_bug) differs at
 * least once, so the check after the pass is what keeps them exact. */
static void test_term_guess(void **state)
{
    (void)state;
    static const cparams ps[] = {{12000, 40, 24, 5, 0.2, 1}, {16000, 30, 30, 4, 0.0, 0}};
    uint32_t guessed = 0, failed = 0, caught = 0, nq = 0;
    for (size_t pi = 0; pi < sizeof ps / sizeof ps[0]; pi++) {
        corpus c;
        gen_corpus(&c, &ps[pi], 827 + pi);
        write_corpus(&c);
        rng r = {91 + pi};
        rhit *ref = malloc((c.ndocs + 1) * sizeof *ref);
        double *w_of = malloc((c.ndocs + 1) * sizeof *w_of);
        assert_non_null(ref);
        assert_non_null(w_of);
        long ties = 0;
        for (size_t k = 1; k <= 30; k++) {
            for (int rep = 0; rep < 8; rep++, nq++) {
                arena a = {0};
                as_query q;
                memset(&q, 0, sizeof q);
                char name[16];
                term_name(rbelow(&r, 6), name, sizeof name);
                q.root = qterm(&a, name, 0);
                char *names[4];
                rfilter rf;
                if (rep % 2 == 1)
                    rand_filter(&r, &q.filter, &rf, names);
                else {
                    memset(&rf, 0, sizeof rf);
                    memset(&q.filter, 0, sizeof q.filter);
                }
                as_search_opts so;
                ropts o;
                guess_opts(&r, rep % 4 < 2, k, rep, &so, &o);
                as_query_dump(q.root, qdump, sizeof qdump);
                size_t l = strlen(qdump);
                snprintf(qdump + l, sizeof qdump - l, " [term guess k %zu rep %d corpus %zu]", k,
                         rep, pi);
                c.eng->guess_off = 1;
                as_hits h0 = {0};
                seed_search(&c, &q, &so, &h0);
                assert_true(isinf(c.eng->guessw));
                c.eng->guess_off = 0;
                uint64_t g0 = c.eng->nguess, f0 = c.eng->nguessfail;
                check_search(&c, &q, &so, &o, &rf, ref, w_of, &ties);
                as_hits h1 = {0};
                seed_search(&c, &q, &so, &h1);
                if (!same_hits(&h0, &h1))
                    fail_msg("%s: guessed search differs from unguessed", qdump);
                guessed += c.eng->nguess > g0;
                if (c.eng->nguessfail > f0) {
                    failed++;
                    caught += (uint32_t)bug_differs(&c, &q, &so, &h0);
                }
                as_hits_free(&h0);
                as_hits_free(&h1);
                afree(&a);
            }
        }
        free(ref);
        free(w_of);
        free_corpus(&c);
    }
    if (getenv("SHOW_HIGH"))
        fprintf(stderr, "term guess: %u of %u searches guessed, %u failed (%u caught)\n",
                guessed, nq, failed, caught);
    assert_true(guessed >= nq / 8);
    assert_true(failed >= 1 && failed < guessed);
    assert_true(caught >= 1);
}

/* One search of test_tier_steps' and test_tier_win's sweeps over corpus c:
 * an AND of two (rep even) or three distinct terms of the eight
 * commonest, random options (rand_opts) but the defaults' BM25, top k, no
 * collapsing, seeded in half of the reps (seed_min), against the
 * exhaustive scorer; tag names the sweep in qdump.  The path counters are
 * left in c->eng. */
static void tier_search(corpus *c, rng *r, size_t k, int rep, size_t pi, const char *tag,
                        rhit *ref, double *w_of, long *ties)
{
    arena a = {0};
    as_query q;
    memset(&q, 0, sizeof q);
    size_t nt = 2 + (size_t)rep % 2;
    as_qnode *n = qop(&a, AS_Q_AND, nt);
    uint32_t used = 0;
    for (size_t i = 0; i < nt; i++) {
        uint32_t t;
        do
            t = rbelow(r, 8);
        while (used >> t & 1);
        used |= 1u << t;
        char name[16];
        term_name(t, name, sizeof name);
        n->kids[i] = qterm(&a, name, (uint32_t)i);
    }
    q.root = n;
    rfilter rf;
    memset(&rf, 0, sizeof rf);
    as_search_opts so;
    ropts o;
    rand_opts(r, &so, &o);
    as_search_opts_default(&so);
    so.limit = k;
    so.collapse = 0;
    o.k1 = so.bm25.k1;
    o.b = so.bm25.b;
    o.mn = so.bm25.min_normlen;
    memcpy(o.kw, so.kind_weight, sizeof o.kw);
    as_query_dump(q.root, qdump, sizeof qdump);
    size_t l = strlen(qdump);
    snprintf(qdump + l, sizeof qdump - l, " [%s k %zu rep %d corpus %zu]", tag, k, rep, pi);
    c->eng->seed_min = rep % 4 < 2 ? INFINITY : 1;
    check_search(c, &q, &so, &o, &rf, ref, w_of, ties);
    afree(&a);
}

/* ANDs of two or three common terms by tiers (align_tier_terms) where a
 * kid's high list is non-essential: for each candidate of the others' high
 * lists it is stepped (a posting on, then a seek if still behind) to learn
 * whether the doc is high there too, before a doc high in one essential
 * kid alone is rejected by hq.  Leaving it behind the candidate (the step
 * without the seek) rejects docs high in it as well that score above
 * theta, and the exhaustive scorer differs (four Zipf corpora, k 1..40,
 * seeded and not).  The path must have run in a quarter of the searches. */
static void test_tier_steps(void **state)
{
    (void)state;
    static const cparams ps[] = {{16000, 300, 30, 4, 0.0, 1}, {12000, 200, 25, 3, 0.0, 0},
                                 {20000, 60, 20, 4, 0.0, 1}, {16000, 120, 40, 4, 0.0, 0}};
    uint32_t tiered = 0, multi = 0, slen = 0, fast = 0, nq = 0;
    for (size_t pi = 0; pi < sizeof ps / sizeof ps[0]; pi++) {
        corpus c;
        gen_corpus(&c, &ps[pi], 517 + pi);
        write_corpus(&c);
        rng r = {31 + pi};
        rhit *ref = malloc((c.ndocs + 1) * sizeof *ref);
        double *w_of = malloc((c.ndocs + 1) * sizeof *w_of);
        assert_non_null(ref);
        assert_non_null(w_of);
        long ties = 0;
        for (size_t k = 1; k <= 40; k++) {
            for (int rep = 0; rep < 6; rep++, nq++) {
                tier_search(&c, &r, k, rep, pi, "steps", ref, w_of, &ties);
                tiered += c.eng->ntier > 0 && c.eng->nhq > 0;
                multi += c.eng->nhk > 0;
                slen += c.eng->nslen > 0;
                fast += c.eng->nsfast > 0;
            }
        }
        c.eng->seed_min = 0;
        free(ref);
        free(w_of);
        free_corpus(&c);
    }
    if (getenv("SHOW_HIGH"))
        fprintf(stderr,
                "steps: %u of %u searches by tiers rejecting by hq, %u by hk (two kids high), "
                "%u at the length inside the merge, %u merging inside blocks\n",
                tiered, nq, multi, slen, fast);
    assert_true(tiered >= nq / 4);
    /* candidates high in two kids rejected by tier_scan's table (hk): in 80
     * of the 960 searches; a table 0.05 too low there, or a kid of wdf 4 or
     * more bounded at wdf 4 instead of its max_wdf, fails the scorer
     * comparison above */
    assert_true(multi >= 40);
    /* candidates rejected at their own length inside tier_scan's merge
     * (scan_len): in 496 of the 960 searches; a bound 0.05 too low
     * there fails the scorer comparison above */
    assert_true(slen >= nq / 4);
    /* tier_scan's merge inside the cursors' blocks (its fast phase) */
    assert_true(fast >= nq / 4);
}

/* The root AND of two or three common terms by windows (tier_win): each
 * window's high postings written into a table by doc, bounded there, the
 * survivors checked in doc order.  Forced at any list length (win_min),
 * against the exhaustive scorer on the corpora of test_tier_steps, seeded
 * (the run starts afresh after the seed's reset) and not.  A posting lost
 * at a window's or a block's edge, a doc written by a non-essential kid
 * alone taken for a candidate, a candidate left out of the sort or a
 * survivor of an earlier window returned below d changes the hits.  The
 * path must have run in a quarter of the searches, over several windows
 * in some. */
static void test_tier_win(void **state)
{
    (void)state;
    static const cparams ps[] = {{16000, 300, 30, 4, 0.0, 1}, {12000, 200, 25, 3, 0.0, 0},
                                 {20000, 60, 20, 4, 0.0, 1}, {16000, 120, 40, 4, 0.0, 0}};
    uint32_t won = 0, multi = 0, nq = 0;
    for (size_t pi = 0; pi < sizeof ps / sizeof ps[0]; pi++) {
        corpus c;
        gen_corpus(&c, &ps[pi], 517 + pi);
        write_corpus(&c);
        rng r = {77 + pi};
        rhit *ref = malloc((c.ndocs + 1) * sizeof *ref);
        double *w_of = malloc((c.ndocs + 1) * sizeof *w_of);
        assert_non_null(ref);
        assert_non_null(w_of);
        long ties = 0;
        c.eng->win_min = 1;
        for (size_t k = 1; k <= 40; k += 3) {
            for (int rep = 0; rep < 6; rep++, nq++) {
                tier_search(&c, &r, k, rep, pi, "win", ref, w_of, &ties);
                won += c.eng->nwin > 0;
                multi += c.eng->nwin > 1;
            }
        }
        c.eng->seed_min = 0;
        c.eng->win_min = 0;
        free(ref);
        free(w_of);
        free_corpus(&c);
    }
    if (getenv("SHOW_HIGH"))
        fprintf(stderr, "win: %u of %u searches by windows, %u over several\n", won, nq, multi);
    assert_true(won >= nq / 4);
    assert_true(multi >= nq / 8);
}

/* Doc d of the phrase-positions corpus: 12 tokens, t0 (in every doc) at
 * 1, 4, 7, 10 as its wdf (1..4, varying) allows, so the offsets of a doc's
 * positions inside a 128-doc block depend on every earlier doc's wdf; t1
 * (rare) right after t0's first (pos 2) in even docs of the rare set, at
 * pos 11 in odd ones (after t0 only where it has wdf 4); t2 at pos 3 in
 * every third of those; fillers t3..t17 elsewhere. */
static uint32_t pp_wdf0(uint32_t d) { return 1 + (d * 7 + d / 5) % 4; }
static int pp_rare(uint32_t d)
{
    uint32_t b = d % 128;
    return d < 1536 && (b == 5 || b == 9 || b == 100 || b == 103 || b == 127 ||
                        (d >= 1024 && b % 16 == 3));
}

static uint32_t pp_term(uint32_t d, uint32_t i)
{
    if (i % 3 == 1 && (i - 1) / 3 < pp_wdf0(d))
        return 0;
    if (pp_rare(d) && i == (d % 2 ? 11u : 2u))
        return 1;
    if (pp_rare(d) && d % 3 == 0 && i == 3)
        return 2;
    return 3 + (d + i) % 15;
}

static void pp_doc(corpus *c, uint32_t d)
{
    tdoc *t = &c->docs[d];
    uint32_t len = 12;
    t->ntok = len;
    t->term = malloc(len * sizeof *t->term);
    t->pos = malloc(len * sizeof *t->pos);
    t->kind = AS_KIND_FINDING;
    t->group = d;
    size_t cap = 32 + (size_t)len * 12, o;
    t->text = malloc(cap);
    o = (size_t)snprintf(t->text, cap, "s%u", d);
    int seen[22] = {0};
    for (uint32_t i = 0; i < len; i++) {
        t->term[i] = pp_term(d, i);
        t->pos[i] = i;
        o += (size_t)snprintf(t->text + o, cap - o, " t%u", t->term[i]);
        if (!seen[t->term[i]]++)
            c->df[t->term[i]]++;
    }
    c->total += len;
}

/* Positions are read for one doc of a block at a time (postings.c:
 * as_pcur_positions sums the offsets only as far as the doc asked, and on
 * from there for a later doc of the same block), and phrase_check reads its
 * kids rarest first, a common kid only when the rarer ones line up.  A
 * cursor on t0 seeks docs late in blocks after earlier ones of them (a few
 * docs on, many docs on, the block's last) and must read exactly their
 * positions; then phrases with the common term first, last and inside
 * must find exactly the brute-force matches. */
static void test_phrase_positions(void **state)
{
    (void)state;
    corpus c;
    one_unit_corpus(&c);
    for (uint32_t d = 0; d < c.ndocs; d++)
        pp_doc(&c, d);
    write_corpus(&c);
    as_term t;
    assert_int_equal(as_index_find_term(c.ix, "t0", 2, &t), AS_OK);
    assert_int_equal(t.df, c.ndocs);
    static const uint32_t seeks[] = {0, 3, 5, 9, 10, 100, 103, 104, 127, 128, 135, 300,
                                     383, 384, 1100, 1101, 1102, 1200, 2047};
    as_pcur cur;
    as_pcur_init(&cur, c.ix, &t);
    for (size_t s = 0; s < sizeof seeks / sizeof seeks[0]; s++) {
        uint32_t d = seeks[s];
        assert_int_equal(as_pcur_seek(&cur, d), d);
        const uint32_t *pos;
        uint32_t np;
        assert_int_equal(as_pcur_positions(&cur, &pos, &np), AS_OK);
        assert_int_equal(np, pp_wdf0(d));
        for (uint32_t j = 0; j < np; j++)
            assert_int_equal(pos[j], 1 + 3 * j);
    }
    as_pcur_release(&cur);
    rhit *ref = malloc((c.ndocs + 1) * sizeof *ref);
    double *w_of = malloc((c.ndocs + 1) * sizeof *w_of);
    static const char *const phr[][3] = {
        {"t0", "t1", NULL}, {"t1", "t0", NULL}, {"t0", "t1", "t2"}, {"t2", "t0", "t1"},
        {"t0", "t5", NULL}, {"t1", "t2", "t0"}};
    size_t nmatch[6] = {0};
    for (size_t pi = 0; pi < sizeof phr / sizeof phr[0]; pi++) {
        arena a = {0};
        as_query q;
        memset(&q, 0, sizeof q);
        size_t nk = phr[pi][2] ? 3 : 2;
        as_qnode *n = qop(&a, AS_Q_PHRASE, nk);
        for (size_t k = 0; k < nk; k++)
            n->kids[k] = qterm(&a, phr[pi][k], (uint32_t)k);
        q.root = n;
        as_search_opts so;
        as_search_opts_default(&so);
        so.collapse = 0;
        ropts o = {so.bm25.k1, so.bm25.b, so.bm25.min_normlen, {0}};
        memcpy(o.kw, so.kind_weight, sizeof o.kw);
        rfilter rf;
        memset(&rf, 0, sizeof rf);
        long ties = 0;
        snprintf(qdump, sizeof qdump, "phrase positions %zu", pi);
        for (size_t k = 1; k <= 2000; k *= 10) {
            so.limit = k;
            check_search(&c, &q, &so, &o, &rf, ref, w_of, &ties);
        }
        so.limit = 2048;
        as_hits h = {0};
        assert_int_equal(as_engine_search(c.eng, &q, &so, &h), AS_OK);
        nmatch[pi] = h.n;
        as_hits_free(&h);
        afree(&a);
    }
    /* the matches, counted from the layout above */
    size_t even = 0, odd4 = 0, third = 0, third2 = 0;
    for (uint32_t d = 0; d < c.ndocs; d++)
        if (pp_rare(d)) {
            even += d % 2 == 0;
            odd4 += d % 2 == 1 && pp_wdf0(d) == 4;
            third += d % 2 == 0 && d % 3 == 0;
            third2 += d % 2 == 0 && d % 3 == 0 && pp_wdf0(d) >= 2;
        }
    assert_true(even > 10 && odd4 > 3 && third > 3 && third2 > 1);
    assert_int_equal(nmatch[0], even + odd4);
    assert_int_equal(nmatch[1], 0);
    assert_int_equal(nmatch[2], third);
    assert_int_equal(nmatch[3], 0);
    assert_int_equal(nmatch[5], third2); /* t1 2, t2 3, t0 4 */
    free(ref);
    free(w_of);
    free_corpus(&c);
}

/* as_eng_first_below against the bisection it replaced, over BM25
 * parameters that make the real-number guess exact, off, or undefined
 * (k1, b or len_factor 0, min_normlen clamping short docs) and thresholds
 * that tie a value exactly (the top-k threshold is a hit's value), fall
 * just beside one, or lie outside every value. */
static double fb_bm25(const as_engine *e, double tw, uint32_t wdf, uint32_t doclen)
{
    double normlen = (double)doclen * e->len_factor;
    if (normlen < e->min_normlen)
        normlen = e->min_normlen;
    double w = (double)wdf;
    double denom = e->k1 * (normlen * e->b + (1 - e->b)) + w;
    return tw * (w / denom);
}

static uint32_t ref_first_below(const as_engine *e, double tw, uint32_t w, double wmin)
{
    uint32_t lo = 0, hi = 65536;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (fb_bm25(e, tw, w, mid) <= wmin)
            hi = mid;
        else
            lo = mid + 1;
    }
    return lo;
}

static void test_first_below(void **state)
{
    (void)state;
    static const double k1s[] = {0, 1e-3, 0.5, 1.2, 2, 7};
    static const double bs[] = {0, 0.3, 0.75, 1};
    static const double mins[] = {0, 0.5, 3};
    rng r = {20261123};
    as_engine e;
    memset(&e, 0, sizeof e);
    size_t n = 0;
    for (int it = 0; it < 20000; it++) {
        e.k1 = k1s[rbelow(&r, 6)];
        e.b = bs[rbelow(&r, 4)];
        e.min_normlen = mins[rbelow(&r, 3)];
        e.len_factor = rbelow(&r, 8) == 0 ? 0 : 1 / (1 + runit(&r) * 60);
        double tw = rbelow(&r, 16) == 0 ? 0 : runit(&r) * 12;
        uint32_t w = 1 + rbelow(&r, 3);
        double wmin;
        switch (rbelow(&r, 5)) {
        case 0: /* a value itself, at a length near the answer or not */
            wmin = fb_bm25(&e, tw, w, rbelow(&r, 2) ? rbelow(&r, 200) : rbelow(&r, 65536));
            break;
        case 1:
            wmin = nextafter(fb_bm25(&e, tw, w, rbelow(&r, 300)), INFINITY);
            break;
        case 2:
            wmin = nextafter(fb_bm25(&e, tw, w, rbelow(&r, 300)), -INFINITY);
            break;
        case 3: /* above every value, or below */
            wmin = rbelow(&r, 2) ? tw * 2 + 1 : fb_bm25(&e, tw, w, 70000) * 0.5;
            break;
        default:
            wmin = runit(&r) * tw;
            break;
        }
        if (!(wmin > 0))
            continue; /* block_below is asked for positive thresholds only */
        uint32_t want = ref_first_below(&e, tw, w, wmin);
        uint32_t got = as_eng_first_below(&e, tw, w, wmin);
        if (got != want)
            fail_msg("k1 %g b %g min %g lf %.17g tw %.17g w %u wmin %.17g: %u, want %u", e.k1,
                     e.b, e.min_normlen, e.len_factor, tw, w, wmin, got, want);
        n++;
    }
    assert_true(n > 10000);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hand_bm25),
        cmocka_unit_test(test_phrases),
        cmocka_unit_test(test_councils_and_collapse),
        cmocka_unit_test(test_limits_and_edges),
        cmocka_unit_test(test_corrupt),
        cmocka_unit_test(test_random_small),
        cmocka_unit_test(test_random_medium),
        cmocka_unit_test(test_random_large_zipf),
        cmocka_unit_test(test_random_dense),
        cmocka_unit_test(test_window_edges),
        cmocka_unit_test(test_required_or),
        cmocka_unit_test(test_high_lists),
        cmocka_unit_test(test_high_ties),
        cmocka_unit_test(test_lead_solo),
        cmocka_unit_test(test_meet_sparse),
        cmocka_unit_test(test_meet_dense),
        cmocka_unit_test(test_next_meet),
        cmocka_unit_test(test_lead_free),
        cmocka_unit_test(test_lead_order),
        cmocka_unit_test(test_lead_all),
        cmocka_unit_test(test_lead_lofree),
        cmocka_unit_test(test_lead_hstep),
        cmocka_unit_test(test_lead_meet),
        cmocka_unit_test(test_lead_meet_wdf),
        cmocka_unit_test(test_lead_solo_wdf),
        cmocka_unit_test(test_lead_optional),
        cmocka_unit_test(test_bm_lead),
        cmocka_unit_test(test_bm_opt),
        cmocka_unit_test(test_lead_pair),
        cmocka_unit_test(test_seed),
        cmocka_unit_test(test_guess),
        cmocka_unit_test(test_term_guess),
        cmocka_unit_test(test_tier_steps),
        cmocka_unit_test(test_tier_win),
        cmocka_unit_test(test_phrase_positions),
        cmocka_unit_test(test_first_below),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
