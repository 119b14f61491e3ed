/*
 * engine.c — the native search engine: compiles a query tree into an
 * iterator tree over postings cursors, ranks with BM25 exactly as Xapian
 * 1.4's BM25Weight, and keeps the top hits with dynamic pruning.
 *
 * Iterators.  Every node of the compiled tree (TERM, PHRASE, AND, OR,
 * ANDNOT, ALL) has one operation, advance(node, target, wmin): move to the
 * first doc >= target that the node matches, where wmin is a pruning
 * threshold for the node's own BM25 value.  The contract every node keeps:
 *   - it only ever stops on docs it truly matches, and the value it reports
 *     for a doc is exact;
 *   - it never skips a matching doc whose value exceeds wmin (it may skip,
 *     or return, docs whose value is <= wmin);
 *   - wmin never decreases over one query (it is the root threshold minus a
 *     constant), so a doc skipped once is never wanted later.
 * The root threshold comes from the top-k heap: once it holds k hits, a doc
 * must beat the worst of them, theta; because docs arrive in ascending
 * docid order and equal weights rank by ascending docid, a doc whose weight
 * equals theta loses too.  Each kid of an AND or OR gets wmin minus the
 * other kids' upper bounds (as in Xapian's matcher); an OR runs MaxScore
 * (Turtle & Flood 1995): kids sorted by upper bound, the longest prefix
 * whose bounds sum to <= wmin is "non-essential" and only probed on
 * candidates produced by the others; a TERM skips whole blocks whose
 * block-max bound (as_pcur_seek_block) is <= wmin, the block-max idea of
 * Ding & Suel 2011.
 *
 * Exact bounds.  Top-k sets are full of exact ties (short sentences with
 * wdf 1 and the same length score identically), so a bound must be able to
 * equal theta and still prune: bounds are not inflated.  That is sound
 * because bm25() is monotone in wdf and doclen operation by operation in
 * floating point (each of *, +, max, / rounds monotonically; the one
 * exception, w / (K + w) rising by less than an ulp between wdf w and w+1,
 * needs K < ~1e-6 * w^2, so pruning is switched off when 0 < k1 < 1e-6),
 * and a left fold of non-negative values is monotone in each value, so a
 * node's bound, folded in the same kid order as its value, bounds it
 * exactly.  Only thresholds derived by subtraction (a kid's share, MaxScore
 * partial sums in another order) get a small cushion, which costs pruning,
 * never correctness.
 *
 * Scores.  A node's value is a left fold of its matching kids' values in
 * the kids' order (the compiled, flattened tree), whatever path computed
 * it, so two docs with the same terms and length get bit-identical weights
 * and ties fall to docid exactly as a brute-force scorer would order them.
 *
 * Filters.  Every filter but kind is a property of units (runs of docs),
 * so it becomes a sorted list of docid ranges; the root loop seeks the
 * tree to the start of the next range.  Kind is checked per candidate.
 *
 * Collapsing.  Members of a duplicate group compete as one hit keyed by the
 * group's first member: the heap keeps the group's best member, a slot
 * table maps group key to heap position.
 */
#include "engine.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Cushion (relative to the node's bound) under thresholds derived by
 * subtraction: rounding in sums of a few hundred doubles is ~1e-14. */
#define CUSHION 1e-12
/* Protective limits against hostile query trees. */
#define MAX_DEPTH 200
#define MAX_LEAVES 100000

enum { N_TERM, N_PHRASE, N_AND, N_OR, N_ANDNOT, N_ALL };

typedef struct enode {
    int op;
    int started;        /* advanced at least once */
    uint32_t doc;       /* current doc, AS_DOC_END when exhausted */
    uint32_t valdoc;    /* doc for which val holds, AS_DOC_END = none */
    double val;
    double maxw;        /* upper bound of the value (inflated) */
    double cost;        /* estimated postings to read, for AND order */
    uint32_t kid0, nkids; /* e->kids[kid0..+nkids): fold order; e->ord: iteration order */
    uint32_t leaf;      /* TERM: cursor index */
    uint32_t off;       /* TERM inside PHRASE: offset (normalized, min 0) */
    double tw;          /* TERM: log(tw) * (k1 + 1) */
    uint32_t ness;      /* OR: number of non-essential kids (prefix of ord) */
    double ness_sum;    /* OR: sum of their bounds */
    uint32_t pip;       /* position among the parent's kids (fold order) */
    uint32_t nh;        /* OR: kids in the heap */
    uint32_t heap_ness; /* OR: ness the heap was built for, UINT32_MAX = none */
    int has_term;       /* AND, PHRASE: some kid is a TERM (block-max applies) */
    int bb_valid;       /* TERM: bb_val is the bound of the block ending at bb_last */
    uint32_t bb_last;
    double bb_val;
} enode;

typedef struct range { uint32_t start, end; } range;

typedef struct hent {
    double w;
    uint32_t doc;  /* representative */
    uint32_t key;  /* group key (first member) or doc */
} hent;

struct as_engine {
    const as_index *ix;
    uint32_t ndocs;
    char msg[512];

    /* BM25 parameters of the running query. */
    double k1, b, min_normlen, len_factor;

    /* Compiled tree. */
    enode *nodes;
    size_t nnodes, capnodes;
    uint32_t *kids, *ord;
    uint32_t *hp, *ml, *st; /* OR scratch, parallel to kids */
    size_t nkids, capkids;
    uint32_t *stack;    /* compile-time kid lists */
    size_t nstack, capstack;
    int32_t root;       /* -1 = matches nothing */

    /* Leaves: one cursor each. */
    as_pcur **curs;
    as_term *lterm;
    const as_qnode **lq;
    size_t nleaves, capleaves, ncurs_alloc;
    as_pcur *tmpcur;

    /* Phrase scratch: per-kid positions. */
    const uint32_t **ppos;
    uint32_t *pn, *pi;
    size_t cappos;

    /* Filter. */
    uint8_t *council_ok;
    size_t ncouncil_ok;
    int council_filter;
    char **cnorm;       /* normalized council names */
    uint32_t ncnorm;
    range *ranges;
    size_t nranges, capranges;
    int range_filter;   /* ranges restrict (else one range [0, N)) */
    uint8_t kinds;      /* allowed kinds mask (0 = all) */
    double kw[AS_NKINDS];
    double kwmax;
    int prunable;       /* parameters keep bm25() monotone (see top) */

    /* Top-k. */
    hent *heap;
    size_t nheap, capheap;
    uint32_t *slot;     /* per group key: heap position or AS_NONE */
    uint8_t *seen;      /* per group key bit: counted in total */
};

/* ---- errors ---------------------------------------------------------------- */

__attribute__((format(printf, 3, 4)))
static int fail(as_engine *e, int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(e->msg, sizeof e->msg, fmt, ap);
    va_end(ap);
    return code;
}

const char *as_engine_errmsg(const as_engine *e)
{
    return e ? e->msg : "no engine";
}

void as_search_opts_default(as_search_opts *o)
{
    static const as_bm25 bm = AS_BM25_DEFAULTS;
    static const double kw[AS_NKINDS] = AS_KIND_WEIGHTS;
    memset(o, 0, sizeof *o);
    o->bm25 = bm;
    memcpy(o->kind_weight, kw, sizeof kw);
    o->offset = 0;
    o->limit = 10;
    o->collapse = 1;
    o->want_total = 0;
}

void as_hits_free(as_hits *h)
{
    if (!h)
        return;
    free(h->hits);
    h->hits = NULL;
    h->n = 0;
    h->total = 0;
}

/* ---- growth helpers -------------------------------------------------------- */

static int grow(void **p, size_t *cap, size_t need, size_t size)
{
    if (need <= *cap)
        return AS_OK;
    size_t c = *cap ? *cap : 16;
    while (c < need) {
        if (c > SIZE_MAX / 2 / size)
            return AS_ENOMEM;
        c *= 2;
    }
    void *q = realloc(*p, c * size);
    if (!q)
        return AS_ENOMEM;
    *p = q;
    *cap = c;
    return AS_OK;
}

/* ---- engine lifetime ------------------------------------------------------- */

/* Council names compare by lower-case letters and digits, other runs of
 * bytes as one space: "St. Helens" == "st helens". */
static char *normalize(const char *s, size_t len)
{
    char *o = malloc(len + 1);
    if (!o)
        return NULL;
    size_t n = 0;
    int space = 0;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c >= 'A' && c <= 'Z')
            c = (unsigned char)(c - 'A' + 'a');
        if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c >= 0x80) {
            if (space && n > 0)
                o[n++] = ' ';
            space = 0;
            o[n++] = (char)c;
        } else {
            space = 1;
        }
    }
    o[n] = '\0';
    return o;
}

int as_engine_new(const as_index *ix, as_engine **out)
{
    *out = NULL;
    if (!ix)
        return AS_EINVAL;
    as_engine *e = calloc(1, sizeof *e);
    if (!e)
        return AS_ENOMEM;
    e->ix = ix;
    e->ndocs = as_index_ndocs(ix);
    e->root = -1;
    e->tmpcur = malloc(sizeof *e->tmpcur);
    e->ncnorm = as_index_ncouncils(ix);
    e->cnorm = calloc(e->ncnorm ? e->ncnorm : 1, sizeof *e->cnorm);
    e->council_ok = calloc(e->ncnorm ? e->ncnorm : 1, 1);
    if (!e->tmpcur || !e->cnorm || !e->council_ok) {
        as_engine_free(e);
        return AS_ENOMEM;
    }
    memset(e->tmpcur, 0, sizeof *e->tmpcur);
    for (uint32_t c = 0; c < e->ncnorm; c++) {
        const char *name = as_index_council(ix, c);
        e->cnorm[c] = normalize(name ? name : "", name ? strlen(name) : 0);
        if (!e->cnorm[c]) {
            as_engine_free(e);
            return AS_ENOMEM;
        }
    }
    *out = e;
    return AS_OK;
}

void as_engine_free(as_engine *e)
{
    if (!e)
        return;
    for (size_t i = 0; i < e->ncurs_alloc; i++)
        free(e->curs[i]);
    free(e->curs);
    free(e->lterm);
    free(e->lq);
    free(e->tmpcur);
    free(e->nodes);
    free(e->kids);
    free(e->ord);
    free(e->hp);
    free(e->ml);
    free(e->st);
    free(e->stack);
    free(e->ppos);
    free(e->pn);
    free(e->pi);
    for (uint32_t c = 0; c < e->ncnorm && e->cnorm; c++)
        free(e->cnorm[c]);
    free(e->cnorm);
    free(e->council_ok);
    free(e->ranges);
    free(e->heap);
    free(e->slot);
    free(e->seen);
    free(e);
}

/* ---- councils -------------------------------------------------------------- */

static int bind_council(as_engine *e, const char *typed)
{
    char *q = normalize(typed, strlen(typed));
    if (!q)
        return fail(e, AS_ENOMEM, "out of memory");
    if (!*q) {
        free(q);
        return fail(e, AS_EINVAL, "empty council name '%s'", typed);
    }
    uint32_t found = AS_NONE, nfound = 0;
    for (uint32_t c = 0; c < e->ncnorm; c++) {
        if (strcmp(e->cnorm[c], q) == 0) { /* an exact match wins */
            found = c;
            nfound = 1;
            break;
        }
        if (strstr(e->cnorm[c], q)) {
            if (nfound == 0)
                found = c;
            nfound++;
        }
    }
    if (nfound == 0) {
        free(q);
        return fail(e, AS_ENOTFOUND, "no council matches '%s'", typed);
    }
    if (nfound > 1) {
        /* List the candidates so the user can pick. */
        int n = snprintf(e->msg, sizeof e->msg, "council '%s' is ambiguous:", typed);
        uint32_t listed = 0;
        for (uint32_t c = 0; c < e->ncnorm && n > 0 && (size_t)n < sizeof e->msg; c++) {
            if (!strstr(e->cnorm[c], q))
                continue;
            if (listed == 8) {
                n += snprintf(e->msg + n, sizeof e->msg - (size_t)n, " ... (%u in all)", nfound);
                break;
            }
            n += snprintf(e->msg + n, sizeof e->msg - (size_t)n, "%s %s", listed ? "," : "",
                          as_index_council(e->ix, c));
            listed++;
        }
        free(q);
        return AS_EINVAL;
    }
    free(q);
    e->council_ok[found] = 1;
    return AS_OK;
}

int as_engine_bind(as_engine *e, const as_query *q)
{
    if (!e || !q)
        return AS_EINVAL;
    e->msg[0] = '\0';
    if (e->ncnorm)
        memset(e->council_ok, 0, e->ncnorm);
    e->council_filter = q->filter.ncouncils > 0;
    for (size_t i = 0; i < q->filter.ncouncils; i++) {
        if (!q->filter.councils || !q->filter.councils[i])
            return fail(e, AS_EINVAL, "missing council name");
        int rc = bind_council(e, q->filter.councils[i]);
        if (rc != AS_OK)
            return rc;
    }
    return AS_OK;
}

/* ---- filter ranges --------------------------------------------------------- */

static int unit_passes(const as_engine *e, const as_filter *f, const as_unit *u)
{
    if (e->council_filter && (u->council >= e->ncnorm || !e->council_ok[u->council]))
        return 0;
    if (f->statements && (u->statement > 15 || !(f->statements & (1u << u->statement))))
        return 0;
    if (f->themes && (u->theme > 7 || !(f->themes & (1u << u->theme))))
        return 0;
    if (f->scores && (u->score > 7 || !(f->scores & (1u << u->score))))
        return 0;
    if (f->year_min || f->year_max) {
        if (u->published == 0)
            return 0; /* unknown date never passes a year filter */
        int y = (int)(u->published / 10000);
        if (f->year_min && y < f->year_min)
            return 0;
        if (f->year_max && y > f->year_max)
            return 0;
    }
    return 1;
}

static int cmp_range(const void *a, const void *b)
{
    const range *x = a, *y = b;
    return x->start < y->start ? -1 : x->start > y->start;
}

static int build_ranges(as_engine *e, const as_filter *f)
{
    e->nranges = 0;
    e->range_filter = e->council_filter || f->statements || f->themes || f->scores ||
                      f->year_min || f->year_max;
    if (!e->range_filter) {
        if (grow((void **)&e->ranges, &e->capranges, 1, sizeof *e->ranges))
            return fail(e, AS_ENOMEM, "out of memory");
        e->ranges[0].start = 0;
        e->ranges[0].end = e->ndocs;
        e->nranges = e->ndocs > 0;
        return AS_OK;
    }
    uint32_t nu = as_index_nunits(e->ix);
    int sorted = 1;
    for (uint32_t i = 0; i < nu; i++) {
        const as_unit *u = as_index_unit(e->ix, i);
        if (!u || !unit_passes(e, f, u) || u->ndocs == 0 || u->first_doc >= e->ndocs)
            continue;
        uint32_t end = u->ndocs > e->ndocs - u->first_doc ? e->ndocs : u->first_doc + u->ndocs;
        if (e->nranges > 0) {
            range *last = &e->ranges[e->nranges - 1];
            if (u->first_doc == last->end) {
                last->end = end;
                continue;
            }
            if (u->first_doc < last->end)
                sorted = 0;
        }
        if (grow((void **)&e->ranges, &e->capranges, e->nranges + 1, sizeof *e->ranges))
            return fail(e, AS_ENOMEM, "out of memory");
        e->ranges[e->nranges].start = u->first_doc;
        e->ranges[e->nranges].end = end;
        e->nranges++;
    }
    if (!sorted) {
        /* Units come in docid order; a damaged index may not: sort and merge. */
        qsort(e->ranges, e->nranges, sizeof *e->ranges, cmp_range);
        size_t m = 0;
        for (size_t i = 0; i < e->nranges; i++) {
            if (m > 0 && e->ranges[i].start <= e->ranges[m - 1].end) {
                if (e->ranges[i].end > e->ranges[m - 1].end)
                    e->ranges[m - 1].end = e->ranges[i].end;
            } else {
                e->ranges[m++] = e->ranges[i];
            }
        }
        e->nranges = m;
    }
    return AS_OK;
}

/* Does doc pass the unit filter and the kind filter? */
static int doc_passes(const as_engine *e, uint32_t doc)
{
    if (doc >= e->ndocs)
        return 0;
    if (e->range_filter) {
        size_t lo = 0, hi = e->nranges;
        while (lo < hi) { /* first range with end > doc */
            size_t mid = lo + (hi - lo) / 2;
            if (e->ranges[mid].end <= doc)
                lo = mid + 1;
            else
                hi = mid;
        }
        if (lo == e->nranges || e->ranges[lo].start > doc)
            return 0;
    }
    if (e->kinds) {
        int k = as_index_kind(e->ix, doc);
        if (k < 0 || k >= AS_NKINDS || !(e->kinds & (1u << k)))
            return 0;
    }
    return 1;
}

/* ---- BM25 ------------------------------------------------------------------ */

/* Xapian 1.4 BM25Weight::get_sumpart with k2 = 0 and wqf = 1, operation for
 * operation, so that both engines round alike. */
static inline double bm25(const as_engine *e, double tw, uint32_t wdf, uint32_t doclen)
{
    double normlen = (double)doclen * e->len_factor;
    if (normlen < e->min_normlen)
        normlen = e->min_normlen;
    double w = (double)wdf;
    double denom = e->k1 * (normlen * e->b + (1 - e->b)) + w;
    return tw * (w / denom);
}

static double bound(const as_engine *e, double tw, uint32_t maxwdf, uint32_t mindoclen)
{
    if (maxwdf == 0)
        return 0;
    return bm25(e, tw, maxwdf, mindoclen);
}

static double termweight(uint32_t N, uint32_t df, double k1)
{
    double tw = ((double)N - df + 0.5) / (df + 0.5);
    if (tw < 2)
        tw = tw * 0.5 + 1;
    /* k3 part: (k3 + 1) * wqf / (k3 + wqf) == 1 for wqf == 1. */
    return log(tw) * (k1 + 1);
}

/* ---- compiling the query tree ---------------------------------------------- */

static int32_t new_node(as_engine *e, int op, int *rc)
{
    if (grow((void **)&e->nodes, &e->capnodes, e->nnodes + 1, sizeof *e->nodes)) {
        *rc = AS_ENOMEM;
        return -1;
    }
    enode *n = &e->nodes[e->nnodes];
    memset(n, 0, sizeof *n);
    n->op = op;
    n->doc = 0;
    n->valdoc = AS_DOC_END;
    return (int32_t)e->nnodes++;
}

static int push_stack(as_engine *e, uint32_t v)
{
    if (grow((void **)&e->stack, &e->capstack, e->nstack + 1, sizeof *e->stack))
        return AS_ENOMEM;
    e->stack[e->nstack++] = v;
    return AS_OK;
}

static int32_t new_leaf(as_engine *e, const as_qnode *q, uint32_t off, int *rc)
{
    if (!q->term) {
        *rc = fail(e, AS_EINVAL, "query term without text");
        return -1;
    }
    as_term t;
    if (as_index_find_term(e->ix, q->term, strlen(q->term), &t) != AS_OK || t.df == 0)
        return -1; /* unknown term: matches nothing */
    if (e->nleaves >= MAX_LEAVES) {
        *rc = fail(e, AS_ELIMIT, "query has more than %d terms", MAX_LEAVES);
        return -1;
    }
    size_t i = e->nleaves;
    size_t cap = e->capleaves;
    if (grow((void **)&e->lterm, &cap, i + 1, sizeof *e->lterm)) {
        *rc = fail(e, AS_ENOMEM, "out of memory");
        return -1;
    }
    cap = e->capleaves;
    if (grow((void **)&e->lq, &cap, i + 1, sizeof *e->lq)) {
        *rc = fail(e, AS_ENOMEM, "out of memory");
        return -1;
    }
    cap = e->capleaves;
    if (grow((void **)&e->curs, &cap, i + 1, sizeof *e->curs)) {
        *rc = fail(e, AS_ENOMEM, "out of memory");
        return -1;
    }
    e->capleaves = cap;
    if (i >= e->ncurs_alloc) {
        e->curs[i] = malloc(sizeof **e->curs);
        if (!e->curs[i]) {
            *rc = fail(e, AS_ENOMEM, "out of memory");
            return -1;
        }
        memset(e->curs[i], 0, sizeof **e->curs);
        e->ncurs_alloc = i + 1;
    }
    e->lterm[i] = t;
    e->lq[i] = q;
    e->nleaves++;
    int32_t ni = new_node(e, N_TERM, rc);
    if (ni < 0)
        return -1;
    enode *n = &e->nodes[ni];
    n->leaf = (uint32_t)i;
    n->off = off;
    n->tw = termweight(e->ndocs, t.df, e->k1);
    n->maxw = bound(e, n->tw, t.max_wdf, t.min_doclen);
    n->cost = t.df;
    return ni;
}

/* Finishes an n-ary node whose kids are on the stack from base. */
static int32_t finish_nary(as_engine *e, int op, size_t base, int *rc)
{
    size_t nk = e->nstack - base;
    if (grow((void **)&e->kids, &e->capkids, e->nkids + nk, sizeof *e->kids)) {
        *rc = fail(e, AS_ENOMEM, "out of memory");
        return -1;
    }
    uint32_t **par[4] = {&e->ord, &e->hp, &e->ml, &e->st};
    for (int i = 0; i < 4; i++) {
        uint32_t *a = realloc(*par[i], e->capkids * sizeof **par[i]);
        if (!a) {
            *rc = fail(e, AS_ENOMEM, "out of memory");
            return -1;
        }
        *par[i] = a;
    }
    int32_t ni = new_node(e, op, rc);
    if (ni < 0)
        return -1;
    enode *n = &e->nodes[ni];
    n->kid0 = (uint32_t)e->nkids;
    n->nkids = (uint32_t)nk;
    memcpy(e->kids + e->nkids, e->stack + base, nk * sizeof *e->kids);
    memcpy(e->ord + e->nkids, e->stack + base, nk * sizeof *e->ord);
    for (size_t i = 0; i < nk; i++)
        e->nodes[e->stack[base + i]].pip = (uint32_t)i;
    e->nkids += nk;
    e->nstack = base;
    return ni;
}

static int32_t compile(as_engine *e, const as_qnode *q, int depth, int *rc);

static int32_t compile_phrase(as_engine *e, const as_qnode *q, int *rc)
{
    if (q->nkids == 0 || !q->kids)
        return -1;
    uint32_t minoff = UINT32_MAX;
    for (size_t i = 0; i < q->nkids; i++) {
        const as_qnode *k = q->kids[i];
        if (!k || k->op != AS_Q_TERM) {
            *rc = fail(e, AS_EINVAL, "phrase of something other than terms");
            return -1;
        }
        if (k->offset < minoff)
            minoff = k->offset;
    }
    size_t base = e->nstack;
    double cost = 0;
    for (size_t i = 0; i < q->nkids; i++) {
        int32_t k = new_leaf(e, q->kids[i], q->kids[i]->offset - minoff, rc);
        if (k < 0) {
            e->nstack = base;
            return -1; /* an unknown word: the phrase matches nothing */
        }
        if (push_stack(e, (uint32_t)k)) {
            *rc = fail(e, AS_ENOMEM, "out of memory");
            return -1;
        }
        if (i == 0 || e->nodes[k].cost < cost)
            cost = e->nodes[k].cost;
    }
    if (q->nkids == 1) {
        /* One word: any occurrence matches, as for a term. */
        int32_t k = (int32_t)e->stack[base];
        e->nstack = base;
        return k;
    }
    int32_t ni = finish_nary(e, N_PHRASE, base, rc);
    if (ni < 0)
        return -1;
    enode *n = &e->nodes[ni];
    n->cost = cost;
    n->has_term = 1;
    n->maxw = 0;
    for (uint32_t i = 0; i < n->nkids; i++)
        n->maxw += e->nodes[e->kids[n->kid0 + i]].maxw;
    return ni;
}

static int32_t compile(as_engine *e, const as_qnode *q, int depth, int *rc)
{
    if (!q)
        return -1;
    if (depth > MAX_DEPTH) {
        *rc = fail(e, AS_ELIMIT, "query nested more than %d deep", MAX_DEPTH);
        return -1;
    }
    switch (q->op) {
    case AS_Q_TERM:
        return new_leaf(e, q, 0, rc);
    case AS_Q_PHRASE:
        return compile_phrase(e, q, rc);
    case AS_Q_NOTHING:
        return -1;
    case AS_Q_AND:
    case AS_Q_OR: {
        int op = q->op == AS_Q_AND ? N_AND : N_OR;
        size_t base = e->nstack;
        if (!q->kids && q->nkids)
            return -1;
        for (size_t i = 0; i < q->nkids; i++) {
            int32_t k = compile(e, q->kids[i], depth + 1, rc);
            if (*rc != AS_OK) {
                e->nstack = base;
                return -1;
            }
            if (k < 0) {
                if (op == N_AND) { /* AND with a kid that matches nothing */
                    e->nstack = base;
                    return -1;
                }
                continue;
            }
            const enode *kn = &e->nodes[k];
            if (kn->op == op) {
                /* Flatten AND(AND(a,b),c) into AND(a,b,c): same matches,
                 * and the left fold adds the same values in the same order. */
                for (uint32_t j = 0; j < kn->nkids; j++)
                    if (push_stack(e, e->kids[kn->kid0 + j])) {
                        *rc = fail(e, AS_ENOMEM, "out of memory");
                        return -1;
                    }
            } else if (push_stack(e, (uint32_t)k)) {
                *rc = fail(e, AS_ENOMEM, "out of memory");
                return -1;
            }
        }
        size_t nk = e->nstack - base;
        if (nk == 0)
            return -1;
        if (nk == 1) {
            int32_t k = (int32_t)e->stack[base];
            e->nstack = base;
            return k;
        }
        int32_t ni = finish_nary(e, op, base, rc);
        if (ni < 0)
            return -1;
        enode *n = &e->nodes[ni];
        n->maxw = 0;
        n->cost = op == N_AND ? INFINITY : 0;
        for (uint32_t i = 0; i < n->nkids; i++) {
            const enode *kn = &e->nodes[e->kids[n->kid0 + i]];
            n->maxw += kn->maxw;
            if (kn->op == N_TERM)
                n->has_term = 1;
            if (op == N_OR)
                n->cost += kn->cost; /* a union reads every list */
            else if (kn->cost < n->cost)
                n->cost = kn->cost;  /* an intersection is led by its rarest */
        }
        return ni;
    }
    case AS_Q_ANDNOT: {
        if (q->nkids == 0 || !q->kids)
            return -1;
        size_t base = e->nstack;
        int32_t k0 = compile(e, q->kids[0], depth + 1, rc);
        if (k0 < 0)
            return -1;
        if (push_stack(e, (uint32_t)k0)) {
            *rc = fail(e, AS_ENOMEM, "out of memory");
            return -1;
        }
        /* Every further kid is excluded: a AND_NOT b AND_NOT c. */
        for (size_t i = 1; i < q->nkids; i++) {
            int32_t k = compile(e, q->kids[i], depth + 1, rc);
            if (*rc != AS_OK) {
                e->nstack = base;
                return -1;
            }
            if (k >= 0 && push_stack(e, (uint32_t)k)) {
                *rc = fail(e, AS_ENOMEM, "out of memory");
                return -1;
            }
        }
        if (e->nstack - base == 1) {
            e->nstack = base;
            return k0;
        }
        int32_t ni = finish_nary(e, N_ANDNOT, base, rc);
        if (ni < 0)
            return -1;
        enode *n = &e->nodes[ni];
        n->maxw = e->nodes[k0].maxw;
        n->cost = e->nodes[k0].cost;
        return ni;
    }
    }
    *rc = fail(e, AS_EINVAL, "unknown query operator %d", q->op);
    return -1;
}

/* Insertion sorts of a node's iteration order (kid lists are short, and
 * a prefix* expansion of a thousand terms sorts once per query). */
static void sort_ord(as_engine *e, enode *n, int by_cost)
{
    uint32_t *o = e->ord + n->kid0;
    for (uint32_t i = 1; i < n->nkids; i++) {
        uint32_t v = o[i];
        double kv = by_cost ? e->nodes[v].cost : e->nodes[v].maxw;
        uint32_t j = i;
        while (j > 0) {
            double kj = by_cost ? e->nodes[o[j - 1]].cost : e->nodes[o[j - 1]].maxw;
            if (kj <= kv)
                break;
            o[j] = o[j - 1];
            j--;
        }
        o[j] = v;
    }
}

/* Resets every node and cursor for a fresh pass over the docs. */
static void reset_tree(as_engine *e)
{
    for (size_t i = 0; i < e->nleaves; i++) {
        as_pcur_release(e->curs[i]);
        as_pcur_init(e->curs[i], e->ix, &e->lterm[i]);
    }
    for (size_t i = 0; i < e->nnodes; i++) {
        enode *n = &e->nodes[i];
        n->started = 0;
        n->doc = 0;
        n->valdoc = AS_DOC_END;
        n->ness = 0;
        n->ness_sum = 0;
        n->bb_valid = 0;
        n->nh = 0;
        n->heap_ness = UINT32_MAX;
    }
}

static void release_cursors(as_engine *e)
{
    for (size_t i = 0; i < e->nleaves; i++)
        as_pcur_release(e->curs[i]);
}

static int prepare(as_engine *e, const as_query *q, const as_search_opts *o)
{
    const as_bm25 *bm = &o->bm25;
    if (!isfinite(bm->k1) || !isfinite(bm->b) || !isfinite(bm->min_normlen) || bm->k1 < 0 ||
        bm->b < 0 || bm->b > 1 || bm->min_normlen < 0)
        return fail(e, AS_EINVAL, "BM25 parameters out of range (k1 >= 0, 0 <= b <= 1, "
                                  "min_normlen >= 0)");
    e->kwmax = 0;
    e->kinds = q->filter.kinds & ((1u << AS_NKINDS) - 1);
    if (q->filter.kinds && !e->kinds)
        e->kinds = 0x80; /* only unknown kinds asked: no kind passes */
    for (int k = 0; k < AS_NKINDS; k++) {
        double w = o->kind_weight[k];
        if (!isfinite(w) || w < 0)
            return fail(e, AS_EINVAL, "kind weight %g out of range (>= 0)", w);
        e->kw[k] = w;
        if ((!e->kinds || (e->kinds & (1u << k))) && w > e->kwmax)
            e->kwmax = w;
    }
    e->prunable = !(bm->k1 > 0 && bm->k1 < 1e-6);
    e->k1 = bm->k1;
    e->b = bm->b;
    e->min_normlen = bm->min_normlen;
    /* As Xapian: length is irrelevant when b or k1 is 0; 1/avg otherwise. */
    e->len_factor = 0;
    uint64_t total = as_index_total_len(e->ix);
    if (bm->b != 0 && bm->k1 != 0 && e->ndocs > 0 && total > 0)
        e->len_factor = 1 / ((double)total / (double)e->ndocs);

    int rc = as_engine_bind(e, q);
    if (rc != AS_OK)
        return rc;
    rc = build_ranges(e, &q->filter);
    if (rc != AS_OK)
        return rc;

    release_cursors(e);
    e->nnodes = 0;
    e->nkids = 0;
    e->nstack = 0;
    e->nleaves = 0;
    rc = AS_OK;
    if (q->root) {
        e->root = compile(e, q->root, 0, &rc);
        if (rc != AS_OK) {
            e->nleaves = 0;
            e->root = -1;
            return rc;
        }
    } else {
        e->root = new_node(e, N_ALL, &rc);
        if (rc != AS_OK)
            return fail(e, AS_ENOMEM, "out of memory");
        e->nodes[e->root].cost = e->ndocs;
    }
    for (size_t i = 0; i < e->nnodes; i++) {
        enode *n = &e->nodes[i];
        if (n->op == N_AND || n->op == N_PHRASE)
            sort_ord(e, n, 1);
        else if (n->op == N_OR)
            sort_ord(e, n, 0);
    }
    if (grow((void **)&e->ppos, &e->cappos, e->nleaves + 1, sizeof *e->ppos))
        return fail(e, AS_ENOMEM, "out of memory");
    uint32_t *pn = realloc(e->pn, e->cappos * sizeof *pn);
    if (pn)
        e->pn = pn;
    uint32_t *pi = realloc(e->pi, e->cappos * sizeof *pi);
    if (pi)
        e->pi = pi;
    if (!pn || !pi)
        return fail(e, AS_ENOMEM, "out of memory");
    reset_tree(e);
    return AS_OK;
}

/* ---- iterators ------------------------------------------------------------- */

static double value(as_engine *e, enode *n);

static inline double term_value(as_engine *e, enode *n)
{
    if (n->valdoc != n->doc) {
        const as_pcur *c = e->curs[n->leaf];
        n->val = bm25(e, n->tw, c->wdf, as_index_doclen(e->ix, n->doc));
        n->valdoc = n->doc;
    }
    return n->val;
}

static double value(as_engine *e, enode *n)
{
    if (n->valdoc == n->doc)
        return n->val;
    double v = 0;
    switch (n->op) {
    case N_TERM:
        return term_value(e, n);
    case N_PHRASE:
    case N_AND:
        for (uint32_t i = 0; i < n->nkids; i++)
            v += value(e, &e->nodes[e->kids[n->kid0 + i]]);
        break;
    case N_OR:
        for (uint32_t i = 0; i < n->nkids; i++) {
            enode *k = &e->nodes[e->kids[n->kid0 + i]];
            if (k->doc == n->doc)
                v += value(e, k);
        }
        break;
    case N_ANDNOT:
        v = value(e, &e->nodes[e->kids[n->kid0]]);
        break;
    default:
        break;
    }
    n->val = v;
    n->valdoc = n->doc;
    return v;
}

static uint32_t advance(as_engine *e, uint32_t ni, uint32_t target, double wmin);

/* The bound of the cursor's current block, cached per block. */
static inline double block_bound(as_engine *e, enode *n, const as_pcur *c)
{
    if (!n->bb_valid || n->bb_last != c->block_last) {
        n->bb_val = bound(e, n->tw, c->block_maxwdf, c->block_mindoclen);
        n->bb_last = c->block_last;
        n->bb_valid = 1;
    }
    return n->bb_val;
}

static uint32_t adv_term(as_engine *e, enode *n, uint32_t target, double wmin)
{
    as_pcur *c = e->curs[n->leaf];
    if (!(wmin > 0)) /* every posting has a positive value */
        return n->doc = as_pcur_seek(c, target);
    if (n->maxw <= wmin)
        return n->doc = AS_DOC_END; /* no posting can reach wmin, ever */
    for (;;) {
        uint32_t last = as_pcur_seek_block(c, target);
        if (last == AS_DOC_END)
            return n->doc = AS_DOC_END;
        if (block_bound(e, n, c) <= wmin) {
            if (last >= AS_DOC_END - 1)
                return n->doc = AS_DOC_END;
            target = last + 1;
            continue;
        }
        uint32_t d = as_pcur_seek(c, target);
        while (d <= last) {
            n->doc = d;
            if (term_value(e, n) > wmin)
                return d;
            if (d == last)
                break;
            d = as_pcur_next(c);
        }
        /* Leave the block by a shallow move: the next one may be skipped
         * without being decoded. */
        if (d == AS_DOC_END || last >= AS_DOC_END - 1)
            return n->doc = AS_DOC_END;
        target = last + 1;
    }
}

/* Bound of a TERM's values over docs [d, *last]: the block-max of its block
 * that holds d (shallow: not decoded).  -1 when the list ends before d. */
static double term_block_bound(as_engine *e, enode *n, uint32_t d, uint32_t *last)
{
    as_pcur *c = e->curs[n->leaf];
    if (n->started && n->doc == AS_DOC_END)
        return -1;
    if (!n->started || n->doc < d) {
        if (as_pcur_seek_block(c, d) == AS_DOC_END) {
            n->started = 1;
            n->doc = AS_DOC_END;
            return -1;
        }
    }
    *last = c->block_last;
    return block_bound(e, n, c);
}

/* Block-max AND (Ding & Suel): the first doc >= d where the kids' block
 * bounds sum above wmin; every doc skipped scores <= wmin. */
static uint32_t and_block_skip(as_engine *e, enode *n, uint32_t d, double wmin)
{
    for (;;) {
        double sum = 0;
        uint32_t minlast = AS_DOC_END;
        for (uint32_t i = 0; i < n->nkids; i++) {
            enode *k = &e->nodes[e->kids[n->kid0 + i]];
            if (k->op != N_TERM) {
                sum += k->maxw;
                continue;
            }
            uint32_t last = AS_DOC_END;
            double b = term_block_bound(e, k, d, &last);
            if (b < 0)
                return AS_DOC_END;
            sum += b;
            if (last < minlast)
                minlast = last;
        }
        if (sum > wmin)
            return d;
        if (minlast >= AS_DOC_END - 1)
            return AS_DOC_END;
        d = minlast + 1;
    }
}

/* Do the phrase's kids, all on one doc, occur at p + offset for some p? */
static int phrase_check(as_engine *e, enode *n)
{
    uint32_t nk = n->nkids;
    uint32_t lead = 0;
    for (uint32_t i = 0; i < nk; i++) {
        const enode *k = &e->nodes[e->kids[n->kid0 + i]];
        if (as_pcur_positions(e->curs[k->leaf], &e->ppos[i], &e->pn[i]) != AS_OK || e->pn[i] == 0)
            return 0;
        e->pi[i] = 0;
        if (e->pn[i] < e->pn[lead])
            lead = i;
    }
    /* Candidates p from the rarest kid, ascending; every other kid's
     * pointer only moves forward as p grows. */
    const enode *ln = &e->nodes[e->kids[n->kid0 + lead]];
    for (uint32_t j = 0; j < e->pn[lead]; j++) {
        int64_t p = (int64_t)e->ppos[lead][j] - ln->off;
        uint32_t i;
        for (i = 0; i < nk; i++) {
            if (i == lead)
                continue;
            const enode *k = &e->nodes[e->kids[n->kid0 + i]];
            int64_t want = p + k->off;
            while (e->pi[i] < e->pn[i] && (int64_t)e->ppos[i][e->pi[i]] < want)
                e->pi[i]++;
            if (e->pi[i] == e->pn[i])
                return 0; /* want only grows: no later p can match */
            if ((int64_t)e->ppos[i][e->pi[i]] != want)
                break;
        }
        if (i == nk)
            return 1;
    }
    return 0;
}

/* A kid's share of wmin: what it must exceed for the node to exceed wmin
 * when every other kid scores its bound. */
static inline double kid_wmin(const enode *n, const enode *k, double wmin)
{
    return wmin - (n->maxw - k->maxw) - n->maxw * CUSHION;
}

/* Leapfrog: cycle through the kids (cheapest first), each seeking to the
 * current candidate; done when all nk agree in a row. */
static uint32_t align(as_engine *e, enode *n, uint32_t target, double wmin, int exact)
{
    uint32_t nk = n->nkids, agree = 0, i = 0, d = target;
    const uint32_t *o = e->ord + n->kid0;
    /* A phrase's value is its words' sum too: block-max applies, while its
     * words are aligned exactly (positions are checked afterwards). */
    int blockmax = wmin > 0 && n->has_term;
    if (blockmax && (d = and_block_skip(e, n, d, wmin)) == AS_DOC_END)
        return AS_DOC_END;
    while (agree < nk) {
        const enode *kn = &e->nodes[o[i]];
        double kw = exact ? -INFINITY : kid_wmin(n, kn, wmin);
        uint32_t dk = advance(e, o[i], d, kw);
        if (dk == AS_DOC_END)
            return AS_DOC_END;
        if (dk == d) {
            agree++;
        } else {
            d = dk;
            agree = 1;
            if (blockmax) {
                uint32_t d2 = and_block_skip(e, n, d, wmin);
                if (d2 == AS_DOC_END)
                    return AS_DOC_END;
                if (d2 != d) {
                    d = d2;
                    agree = 0; /* kid i sits before the new candidate */
                }
            }
        }
        i = i + 1 == nk ? 0 : i + 1;
    }
    return d;
}

/* Essential kids of an OR sit in a min-heap by current doc (e->hp at the
 * node's kid0), so a candidate costs O(log kids) even for the thousand terms
 * of a prefix* expansion. */
static inline int kid_before(const enode *k, uint32_t target)
{
    return !k->started || (k->doc < target && k->doc != AS_DOC_END);
}

/* Heap key: unstarted kids (doc not yet meaningful) come before doc 0. */
static inline uint64_t or_key(const enode *k)
{
    return k->started ? (uint64_t)k->doc + 1 : 0;
}

static void or_sift(as_engine *e, uint32_t *h, uint32_t nh, uint32_t i)
{
    uint32_t v = h[i];
    uint64_t kv = or_key(&e->nodes[v]);
    for (;;) {
        uint32_t c = 2 * i + 1;
        if (c >= nh)
            break;
        uint64_t kc = or_key(&e->nodes[h[c]]);
        if (c + 1 < nh) {
            uint64_t k2 = or_key(&e->nodes[h[c + 1]]);
            if (k2 < kc) {
                c++;
                kc = k2;
            }
        }
        if (kc >= kv)
            break;
        h[i] = h[c];
        i = c;
    }
    h[i] = v;
}

static void or_heap_build(as_engine *e, enode *n)
{
    uint32_t *h = e->hp + n->kid0;
    const uint32_t *o = e->ord + n->kid0;
    n->nh = 0;
    for (uint32_t i = n->ness; i < n->nkids; i++)
        h[n->nh++] = o[i];
    for (uint32_t i = n->nh / 2; i-- > 0;)
        or_sift(e, h, n->nh, i);
    n->heap_ness = n->ness;
}

static uint32_t adv_or(as_engine *e, enode *n, uint32_t target, double wmin)
{
    uint32_t nk = n->nkids;
    const uint32_t *o = e->ord + n->kid0;
    uint32_t *h = e->hp + n->kid0;
    uint32_t *ml = e->ml + n->kid0; /* kids on the candidate */
    uint32_t *st = e->st + n->kid0;
    /* MaxScore partition: wmin only grows, so the prefix only grows. */
    while (n->ness < nk &&
           n->ness_sum + e->nodes[o[n->ness]].maxw <= wmin - n->maxw * CUSHION) {
        n->ness_sum += e->nodes[o[n->ness]].maxw;
        n->ness++;
    }
    if (n->ness == nk)
        return n->doc = AS_DOC_END;
    if (n->heap_ness != n->ness)
        or_heap_build(e, n);
    for (;;) {
        /* Bring every essential kid to >= target; the top is the candidate. */
        while (kid_before(&e->nodes[h[0]], target)) {
            advance(e, h[0], target, kid_wmin(n, &e->nodes[h[0]], wmin));
            or_sift(e, h, n->nh, 0);
        }
        uint32_t d = e->nodes[h[0]].doc;
        if (d == AS_DOC_END)
            return n->doc = AS_DOC_END;
        /* The essential kids on d: a walk of the heap's top, pruned where a
         * node's doc is past d. */
        uint32_t nm = 0, ns = 0;
        double part = 0;
        st[ns++] = 0;
        while (ns > 0) {
            uint32_t i = st[--ns];
            if (!e->nodes[h[i]].started || e->nodes[h[i]].doc != d)
                continue;
            ml[nm++] = h[i];
            part += value(e, &e->nodes[h[i]]);
            if (2 * i + 1 < n->nh)
                st[ns++] = 2 * i + 1;
            if (2 * i + 2 < n->nh)
                st[ns++] = 2 * i + 2;
        }
        int reject = 0;
        double rest = n->ness_sum;
        for (uint32_t i = n->ness; i-- > 0;) {
            if (wmin > -INFINITY && part + rest <= wmin - n->maxw * CUSHION) {
                reject = 1; /* the rest cannot lift d above wmin */
                break;
            }
            enode *kn = &e->nodes[o[i]];
            rest -= kn->maxw;
            if (advance(e, o[i], d, kid_wmin(n, kn, wmin)) == d) {
                ml[nm++] = o[i];
                part += value(e, kn);
            }
        }
        if (!reject) {
            /* The value as reported: matching kids folded in kid order. */
            for (uint32_t i = 1; i < nm; i++) {
                uint32_t v = ml[i], j = i;
                while (j > 0 && e->nodes[ml[j - 1]].pip > e->nodes[v].pip) {
                    ml[j] = ml[j - 1];
                    j--;
                }
                ml[j] = v;
            }
            double v = 0;
            for (uint32_t i = 0; i < nm; i++)
                v += value(e, &e->nodes[ml[i]]);
            n->doc = d;
            n->val = v;
            n->valdoc = d;
            if (!(v <= wmin))
                return d;
        }
        if (d >= AS_DOC_END - 1)
            return n->doc = AS_DOC_END;
        target = d + 1;
    }
}

static uint32_t advance(as_engine *e, uint32_t ni, uint32_t target, double wmin)
{
    enode *n = &e->nodes[ni];
    if (n->started && (n->doc >= target || n->doc == AS_DOC_END))
        return n->doc;
    n->started = 1;
    switch (n->op) {
    case N_TERM:
        return adv_term(e, n, target, wmin);
    case N_ALL:
        return n->doc = target < e->ndocs ? target : AS_DOC_END;
    case N_AND: {
        if (n->maxw <= wmin)
            return n->doc = AS_DOC_END;
        return n->doc = align(e, n, target, wmin, 0);
    }
    case N_OR:
        return adv_or(e, n, target, wmin);
    case N_PHRASE:
        if (n->maxw <= wmin)
            return n->doc = AS_DOC_END;
        for (;;) {
            uint32_t d = align(e, n, target, wmin > 0 ? wmin : -INFINITY, 1);
            if (d == AS_DOC_END)
                return n->doc = AS_DOC_END;
            n->doc = d;
            /* The value is cheap, positions are not: check it first. */
            if ((!(wmin > -INFINITY) || value(e, n) > wmin) && phrase_check(e, n))
                return d;
            if (d >= AS_DOC_END - 1)
                return n->doc = AS_DOC_END;
            target = d + 1;
        }
    case N_ANDNOT:
        for (;;) {
            uint32_t d = advance(e, e->kids[n->kid0], target, wmin);
            if (d == AS_DOC_END)
                return n->doc = AS_DOC_END;
            uint32_t i;
            for (i = 1; i < n->nkids; i++)
                if (advance(e, e->kids[n->kid0 + i], d, -INFINITY) == d)
                    break;
            if (i == n->nkids)
                return n->doc = d;
            if (d >= AS_DOC_END - 1)
                return n->doc = AS_DOC_END;
            target = d + 1;
        }
    }
    return n->doc = AS_DOC_END;
}

/* ---- top-k heap ------------------------------------------------------------ */

/* a ranks below b: lower weight, or equal weight and higher docid. */
static inline int worse(const hent *a, const hent *b)
{
    return a->w < b->w || (a->w == b->w && a->doc > b->doc);
}

static void heap_set(as_engine *e, size_t i, hent v, int collapse)
{
    e->heap[i] = v;
    if (collapse)
        e->slot[v.key] = (uint32_t)i;
}

static void sift_up(as_engine *e, size_t i, int collapse)
{
    hent v = e->heap[i];
    while (i > 0) {
        size_t p = (i - 1) / 2;
        if (!worse(&v, &e->heap[p]))
            break;
        heap_set(e, i, e->heap[p], collapse);
        i = p;
    }
    heap_set(e, i, v, collapse);
}

static void sift_down(as_engine *e, size_t i, int collapse)
{
    hent v = e->heap[i];
    size_t n = e->nheap;
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= n)
            break;
        if (c + 1 < n && worse(&e->heap[c + 1], &e->heap[c]))
            c++;
        if (!worse(&e->heap[c], &v))
            break;
        heap_set(e, i, e->heap[c], collapse);
        i = c;
    }
    heap_set(e, i, v, collapse);
}

/* Offers a doc; returns 1 if the heap changed. */
static int offer(as_engine *e, size_t k, double w, uint32_t doc, uint32_t key, int collapse)
{
    hent v = {w, doc, key};
    if (collapse && e->slot[key] != AS_NONE) {
        size_t s = e->slot[key];
        if (!worse(&e->heap[s], &v))
            return 0;
        e->heap[s].w = w; /* the group's better member represents it */
        e->heap[s].doc = doc;
        sift_down(e, s, collapse);
        return 1;
    }
    if (e->nheap < k) {
        e->heap[e->nheap++] = v;
        sift_up(e, e->nheap - 1, collapse);
        return 1;
    }
    if (!worse(&e->heap[0], &v))
        return 0;
    if (collapse)
        e->slot[e->heap[0].key] = AS_NONE;
    heap_set(e, 0, v, collapse);
    sift_down(e, 0, collapse);
    return 1;
}

static int cmp_best(const void *a, const void *b)
{
    const hent *x = a, *y = b;
    return worse(y, x) ? -1 : worse(x, y) ? 1 : 0;
}

/* ---- the main loop --------------------------------------------------------- */

static uint32_t group_key(const as_engine *e, uint32_t doc)
{
    const uint32_t *m = NULL;
    uint32_t n = 0;
    as_index_dups(e->ix, doc, &m, &n);
    return m && n > 0 && m[0] < e->ndocs ? m[0] : doc;
}

/* Visits every matching doc passing the filter, ascending; with prune, the
 * heap threshold prunes.  visit returns non-zero to stop. */
typedef struct runner {
    int prune;
    size_t k;
    int collapse;
    int count;          /* count total */
    uint64_t total;
    as_match_fn fn;     /* each() mode */
    void *arg;
} runner;

static int check_index(as_engine *e)
{
    if (as_index_status(e->ix) != AS_OK) {
        const char *m = as_index_errmsg(e->ix);
        return fail(e, AS_ECORRUPT, "%s", m && *m ? m : "corrupt index");
    }
    return AS_OK;
}

/* The largest value v with v * kwmax <= theta in floating point: a root
 * value <= v cannot beat theta (multiplication rounds monotonically). */
static double root_wmin(double theta, double kwmax)
{
    double v = theta / kwmax;
    while (v * kwmax > theta)
        v = nextafter(v, -INFINITY);
    for (int i = 0; i < 4; i++) {
        double u = nextafter(v, INFINITY);
        if (u * kwmax > theta)
            break;
        v = u;
    }
    return v;
}

static int run(as_engine *e, runner *r)
{
    if (e->root < 0 || e->nranges == 0)
        return AS_OK;
    const double rootmax = e->nodes[e->root].maxw;
    double theta = -INFINITY, wmin = -INFINITY;
    size_t ri = 0;
    uint32_t target = 0;
    for (;;) {
        while (ri < e->nranges && e->ranges[ri].end <= target)
            ri++;
        if (ri == e->nranges)
            break;
        if (target < e->ranges[ri].start)
            target = e->ranges[ri].start;
        uint32_t d = advance(e, (uint32_t)e->root, target, wmin);
        if (d == AS_DOC_END)
            break;
        if (d >= e->ranges[ri].end) {
            target = d;
            continue;
        }
        target = d + 1;
        int kind = as_index_kind(e->ix, d);
        if (kind < 0 || kind >= AS_NKINDS)
            kind = 0;
        if (e->kinds && !(e->kinds & (1u << kind)))
            goto next;
        double w = value(e, &e->nodes[e->root]) * e->kw[kind];
        if (r->fn) {
            if (r->fn(r->arg, d, w))
                return AS_OK;
            goto next;
        }
        uint32_t key = r->collapse ? group_key(e, d) : d;
        if (r->count) {
            if (!r->collapse) {
                r->total++;
            } else if (!(e->seen[key >> 3] & (1u << (key & 7)))) {
                e->seen[key >> 3] |= (uint8_t)(1u << (key & 7));
                r->total++;
            }
        }
        if (r->k > 0 && offer(e, r->k, w, d, key, r->collapse) && e->nheap == r->k &&
            r->prune) {
            theta = e->heap[0].w;
            if (rootmax * e->kwmax <= theta)
                break; /* nothing left can beat the k-th hit */
            wmin = root_wmin(theta, e->kwmax);
        }
    next:
        if (d >= AS_DOC_END - 1)
            break;
    }
    return AS_OK;
}

static int query_ok(as_engine *e, const as_query *q)
{
    if (!e)
        return AS_EINVAL;
    if (!q)
        return fail(e, AS_EINVAL, "no query");
    e->msg[0] = '\0';
    return AS_OK;
}

/* copies and reports of a collapsed hit: members matching query and filter. */
static int count_copies(as_engine *e, as_hit *h)
{
    const uint32_t *m = NULL;
    uint32_t n = 0;
    as_index_dups(e->ix, h->doc, &m, &n);
    if (!m || n <= 1) {
        h->copies = 1;
        h->reports = 1;
        return AS_OK;
    }
    reset_tree(e);
    uint32_t copies = 0, reports = 0, lastfile = AS_NONE;
    uint32_t prev = 0;
    for (uint32_t i = 0; i < n; i++) {
        uint32_t d = m[i];
        if (d >= e->ndocs || (i > 0 && d <= prev))
            continue; /* damaged group: keep ascending order */
        prev = d;
        if (!doc_passes(e, d))
            continue;
        if (advance(e, (uint32_t)e->root, d, -INFINITY) != d)
            continue;
        copies++;
        const as_unit *u = as_index_unit(e->ix, as_index_unit_of(e->ix, d));
        uint32_t f = u ? u->file : AS_NONE;
        if (reports == 0 || f != lastfile)
            reports++;
        lastfile = f;
    }
    h->copies = copies ? copies : 1;
    h->reports = reports ? reports : 1;
    return AS_OK;
}

int as_engine_search(as_engine *e, const as_query *q, const as_search_opts *o, as_hits *out)
{
    if (!out)
        return AS_EINVAL;
    memset(out, 0, sizeof *out);
    int rc = query_ok(e, q);
    if (rc != AS_OK)
        return rc;
    as_search_opts def;
    if (!o) {
        as_search_opts_default(&def);
        o = &def;
    }
    rc = prepare(e, q, o);
    if (rc != AS_OK)
        return rc;
    runner r = {0};
    r.collapse = o->collapse != 0;
    r.count = o->want_total != 0;
    r.prune = !r.count && e->prunable;
    size_t k = o->limit > SIZE_MAX - o->offset ? SIZE_MAX : o->offset + o->limit;
    if (k > e->ndocs)
        k = e->ndocs;
    if (o->limit == 0)
        k = 0;
    r.k = k;
    if (k == 0 && !r.count)
        goto done;
    if (grow((void **)&e->heap, &e->capheap, k + 1, sizeof *e->heap))
        return fail(e, AS_ENOMEM, "out of memory");
    e->nheap = 0;
    if (r.collapse && !e->slot) {
        e->slot = malloc((e->ndocs ? e->ndocs : 1) * sizeof *e->slot);
        if (!e->slot)
            return fail(e, AS_ENOMEM, "out of memory");
        for (uint32_t i = 0; i < e->ndocs; i++)
            e->slot[i] = AS_NONE;
    }
    if (r.count && r.collapse) {
        if (!e->seen)
            e->seen = malloc(e->ndocs / 8 + 1);
        if (!e->seen)
            return fail(e, AS_ENOMEM, "out of memory");
        memset(e->seen, 0, e->ndocs / 8 + 1);
    }
    rc = run(e, &r);
    if (r.collapse)
        for (size_t i = 0; i < e->nheap; i++)
            e->slot[e->heap[i].key] = AS_NONE;
    if (rc == AS_OK) {
        qsort(e->heap, e->nheap, sizeof *e->heap, cmp_best);
        size_t n = e->nheap > o->offset ? e->nheap - o->offset : 0;
        if (n > 0) {
            out->hits = calloc(n, sizeof *out->hits);
            if (!out->hits)
                rc = fail(e, AS_ENOMEM, "out of memory");
        }
        for (size_t i = 0; rc == AS_OK && i < n; i++) {
            as_hit *h = &out->hits[i];
            h->doc = e->heap[o->offset + i].doc;
            h->weight = e->heap[o->offset + i].w;
            h->copies = 1;
            h->reports = 1;
            out->n = i + 1;
            if (r.collapse)
                rc = count_copies(e, h);
        }
    }
    out->total = r.total;
    e->nheap = 0;
done:
    release_cursors(e);
    if (rc == AS_OK)
        rc = check_index(e);
    if (rc != AS_OK)
        as_hits_free(out);
    return rc;
}

int as_engine_each(as_engine *e, const as_query *q, const as_search_opts *o, as_match_fn fn,
                   void *arg)
{
    int rc = query_ok(e, q);
    if (rc != AS_OK)
        return rc;
    if (!fn)
        return fail(e, AS_EINVAL, "no callback");
    as_search_opts def;
    if (!o) {
        as_search_opts_default(&def);
        o = &def;
    }
    rc = prepare(e, q, o);
    if (rc != AS_OK)
        return rc;
    runner r = {0};
    r.fn = fn;
    r.arg = arg;
    rc = run(e, &r);
    release_cursors(e);
    if (rc == AS_OK)
        rc = check_index(e);
    return rc;
}

/* ---- explain --------------------------------------------------------------- */

/* Marks the leaves whose values make up the root's value at doc. */
static void contributions(as_engine *e, uint32_t ni, uint32_t doc, double *lw)
{
    enode *n = &e->nodes[ni];
    if (n->doc != doc)
        return;
    switch (n->op) {
    case N_TERM:
        lw[n->leaf] = value(e, n);
        return;
    case N_ANDNOT:
        contributions(e, e->kids[n->kid0], doc, lw);
        return;
    case N_AND:
    case N_OR:
    case N_PHRASE:
        for (uint32_t i = 0; i < n->nkids; i++)
            contributions(e, e->kids[n->kid0 + i], doc, lw);
        return;
    }
}

static int collect_leaves(const as_qnode *q, as_contrib **out, size_t *n, size_t *cap, int depth)
{
    if (!q || depth > MAX_DEPTH)
        return AS_OK;
    if (q->op == AS_Q_TERM) {
        if (grow((void **)out, cap, *n + 1, sizeof **out))
            return AS_ENOMEM;
        (*out)[*n].leaf = q;
        (*out)[*n].wdf = 0;
        (*out)[*n].weight = 0;
        (*n)++;
        return AS_OK;
    }
    for (size_t i = 0; q->kids && i < q->nkids; i++) {
        int rc = collect_leaves(q->kids[i], out, n, cap, depth + 1);
        if (rc != AS_OK)
            return rc;
    }
    return AS_OK;
}

int as_engine_explain(as_engine *e, const as_query *q, const as_search_opts *o, uint32_t doc,
                      as_contrib **out, size_t *n)
{
    if (!out || !n)
        return AS_EINVAL;
    *out = NULL;
    *n = 0;
    int rc = query_ok(e, q);
    if (rc != AS_OK)
        return rc;
    as_search_opts def;
    if (!o) {
        as_search_opts_default(&def);
        o = &def;
    }
    if (doc >= e->ndocs)
        return fail(e, AS_EINVAL, "no sentence %u", doc);
    rc = prepare(e, q, o);
    if (rc != AS_OK)
        return rc;
    as_contrib *c = NULL;
    size_t nc = 0, cap = 0;
    if (collect_leaves(q->root, &c, &nc, &cap, 0) != AS_OK) {
        free(c);
        release_cursors(e);
        return fail(e, AS_ENOMEM, "out of memory");
    }
    double *lw = calloc(e->nleaves + 1, sizeof *lw);
    if (!lw) {
        free(c);
        release_cursors(e);
        return fail(e, AS_ENOMEM, "out of memory");
    }
    int matched = e->root >= 0 && advance(e, (uint32_t)e->root, doc, -INFINITY) == doc;
    if (matched)
        contributions(e, (uint32_t)e->root, doc, lw);
    for (size_t i = 0; i < nc; i++) {
        const as_qnode *leaf = c[i].leaf;
        for (size_t j = 0; j < e->nleaves; j++)
            if (e->lq[j] == leaf) {
                c[i].weight = lw[j];
                break;
            }
        as_term t;
        if (leaf->term && as_index_find_term(e->ix, leaf->term, strlen(leaf->term), &t) == AS_OK) {
            as_pcur_init(e->tmpcur, e->ix, &t);
            if (as_pcur_seek(e->tmpcur, doc) == doc)
                c[i].wdf = e->tmpcur->wdf;
            as_pcur_release(e->tmpcur);
        }
    }
    free(lw);
    release_cursors(e);
    rc = check_index(e);
    if (rc != AS_OK) {
        free(c);
        return rc;
    }
    *out = c;
    *n = nc;
    return matched || !q->root ? AS_OK : AS_ENOTFOUND;
}
