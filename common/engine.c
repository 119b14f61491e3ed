/*
 * engine.c — the native search engine's public side (engine.h): checks the
 * options, resolves council names, turns the filter into docid ranges,
 * runs the iterator tree (engine_iter.c) under a top-k heap whose worst
 * hit is the pruning threshold, collapses duplicate groups, and answers
 * each() and explain().
 *
 * Filters.  Every filter but kind is a property of units (runs of docs),
 * so it becomes a sorted list of docid ranges; the root loop seeks the
 * tree to the start of the next range.  Kind is checked per candidate.
 *
 * Top-k.  Once the heap holds k hits, a doc must beat the worst of them,
 * theta; docs arrive in ascending docid order and equal weights rank by
 * ascending docid, so a doc whose weight equals theta loses too.  The root
 * is asked for docs whose value exceeds the largest v with v * kwmax <=
 * theta (kwmax: the largest kind weight the filter lets through).
 *
 * Collapsing.  Members of a duplicate group compete as one hit keyed by the
 * group's first member: the heap keeps the group's best member, a small
 * hash table maps group key to heap position; copies and reports are
 * counted afterwards for the hits returned only.  A doc that cannot beat
 * the full heap's worst hit cannot change it, whatever its group, so its
 * group is only looked up when it can (or when totals are counted).
 */
#include "engine_int.h"

#include <stddef.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- errors ---------------------------------------------------------------- */

int as_eng_fail(as_engine *e, int code, const char *fmt, ...)
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

int as_eng_grow(void **p, size_t *cap, size_t need, size_t size)
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

/* Council names resolved before.  Resolving scans every name (~14,000
 * instructions at 153 councils, half a filtered top 10), and a search
 * binds its filter twice (the caller's as_engine_bind, then
 * as_engine_search's); the index does not change under an engine, so a
 * typed name keeps its council.  Made on the first council filter; the
 * last CMEMO_N names. */
#define CMEMO_N 8
struct as_cmemo {
    unsigned next;               /* slot the next name replaces */
    uint32_t id[CMEMO_N];
    char *typed[CMEMO_N];        /* malloc'd; NULL: empty */
};

static void memo_free(as_engine *e)
{
    struct as_cmemo *m = e->cmemo;
    for (int i = 0; m && i < CMEMO_N; i++)
        free(m->typed[i]);
    free(m);
    e->cmemo = NULL;
}

/* 1 with *id when typed was resolved before. */
static int memo_get(const as_engine *e, const char *typed, uint32_t *id)
{
    const struct as_cmemo *m = e->cmemo;
    for (int i = 0; m && i < CMEMO_N; i++)
        if (m->typed[i] && strcmp(m->typed[i], typed) == 0) {
            *id = m->id[i];
            return 1;
        }
    return 0;
}

/* Remembers typed -> id; out of memory only forgets. */
static void memo_put(as_engine *e, const char *typed, uint32_t id)
{
    struct as_cmemo *m = e->cmemo;
    if (!m) {
        if (!(m = calloc(1, sizeof *m)))
            return;
        e->cmemo = m;
    }
    char *t = strdup(typed);
    if (!t)
        return;
    unsigned i = m->next % CMEMO_N;
    free(m->typed[i]);
    m->typed[i] = t;
    m->id[i] = id;
    m->next = (i + 1) % CMEMO_N;
}

int as_engine_new(const as_index *ix, as_engine **out)
{
    *out = NULL;
    if (!ix)
        return AS_EINVAL;
    as_engine *e = malloc(sizeof *e);
    if (!e)
        return AS_ENOMEM;
    memset(e, 0, offsetof(as_engine, jv)); /* jv, jl: see engine_int.h */
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
    for (size_t i = 0; i < e->caphcurs; i++)
        free(e->hcurs[i]);
    free(e->hcurs);
    free(e->acurs);
    free(e->hterm);
    free(e->lterm);
    free(e->lq);
    free(e->tmpcur);
    free(e->nodes);
    free(e->kids);
    free(e->ord);
    free(e->hp);
    free(e->ml);
    free(e->st);
    free(e->kbb);
    free(e->stack);
    free(e->ppos);
    free(e->pn);
    free(e->pi);
    if (e->cnorm_done && e->ncnorm && e->cnorm)
        free(e->cnorm[0]); /* the block of all names (norm_councils) */
    memo_free(e);
    free(e->tmemo);
    free(e->cnorm);
    free(e->council_ok);
    free(e->ranges);
    free(e->heap);
    free(e->mkey);
    free(e->mpos);
    free(e->seen);
    for (size_t i = 0; i < e->capscur; i++)
        free(e->scur[i]);
    free(e->scur);
    for (size_t i = 0; i < 3; i++)
        free(e->wcur[i]);
    free(e);
}

/* ---- councils -------------------------------------------------------------- */

static const char *council_name(void *ctx, uint32_t c)
{
    return as_index_council(ctx, c);
}

/* The councils' normalized names, made on the first council filter: most
 * searches have none, and normalizing every name was a tenth of a search.
 * One block holds them all (cnorm[0] is its start): a malloc per name was
 * a third of the making. */
static int norm_councils(as_engine *e)
{
    size_t total = 0;
    for (uint32_t c = 0; c < e->ncnorm; c++) {
        const char *name = as_index_council(e->ix, c);
        size_t n = name ? strlen(name) : 0;
        if (n > SIZE_MAX - 1 - total)
            return as_eng_fail(e, AS_ENOMEM, "out of memory");
        total += n + 1;
    }
    char *block = malloc(total ? total : 1);
    if (!block)
        return as_eng_fail(e, AS_ENOMEM, "out of memory");
    char *o = block;
    for (uint32_t c = 0; c < e->ncnorm; c++) {
        const char *name = as_index_council(e->ix, c);
        e->cnorm[c] = o;
        o += as_council_normalize_to(name ? name : "", name ? strlen(name) : 0, o) + 1;
    }
    e->cnorm_done = 1;
    return AS_OK;
}

static int bind_council(as_engine *e, const char *typed)
{
    as_err err = {0};
    uint32_t id;
    if (memo_get(e, typed, &id) && id < e->ncnorm) {
        e->council_ok[id] = 1;
        return AS_OK;
    }
    if (!e->cnorm_done && norm_councils(e) != AS_OK)
        return AS_ENOMEM;
    int rc = as_council_resolve(e->cnorm, e->ncnorm, council_name, (void *)e->ix, typed, &id,
                                &err);
    if (rc != AS_OK)
        return as_eng_fail(e, rc, "%s", err.msg);
    if (id >= e->ncnorm)
        return as_eng_fail(e, AS_ECORRUPT, "council %u out of range", id);
    memo_put(e, typed, id);
    e->council_ok[id] = 1;
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
            return as_eng_fail(e, AS_EINVAL, "missing council name");
        int rc = bind_council(e, q->filter.councils[i]);
        if (rc != AS_OK)
            return rc;
    }
    return AS_OK;
}

/* ---- filter ranges --------------------------------------------------------- */

/* The unit filter with its fields in locals: build_ranges tests every
 * unit (1,377 at 1M sentences), and read through the pointers each test
 * reloaded them (ranges written in the loop might alias them). */
typedef struct ufilter {
    const uint8_t *council_ok; /* NULL: no council filter */
    uint32_t ncouncils;
    uint32_t statements, themes, scores; /* 0: any */
    int year_min, year_max;              /* 0: open */
} ufilter;

static inline int unit_passes(const ufilter *f, const as_unit *u)
{
    if (f->statements && (u->statement > 15 || !(f->statements >> u->statement & 1)))
        return 0;
    if (f->scores && (u->score > 7 || !(f->scores >> u->score & 1)))
        return 0;
    if (f->themes && (u->theme > 7 || !(f->themes >> u->theme & 1)))
        return 0;
    if (f->council_ok && (u->council >= f->ncouncils || !f->council_ok[u->council]))
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

/* Appends the docs of unit u, which passes the filter, to the ranges
 * (units come in docid order: a unit right after the last range extends
 * it); *sorted is cleared when u starts before the last range's end. */
static inline __attribute__((always_inline)) int add_unit(as_engine *e, const as_unit *u,
                                                         int *sorted)
{
    const uint32_t ndocs = e->ndocs;
    if (u->ndocs == 0 || u->first_doc >= ndocs)
        return AS_OK;
    uint32_t end = u->ndocs > ndocs - u->first_doc ? ndocs : u->first_doc + u->ndocs;
    if (e->nranges > 0) {
        range *last = &e->ranges[e->nranges - 1];
        if (u->first_doc == last->end) {
            last->end = end;
            return AS_OK;
        }
        if (u->first_doc < last->end)
            *sorted = 0;
    }
    if (e->nranges == e->capranges && /* (a call only when full) */
        as_eng_grow((void **)&e->ranges, &e->capranges, e->nranges + 1, sizeof *e->ranges))
        return as_eng_fail(e, AS_ENOMEM, "out of memory");
    e->ranges[e->nranges].start = u->first_doc;
    e->ranges[e->nranges].end = end;
    e->nranges++;
    return AS_OK;
}

/* add_unit for listed_ranges, which made room for every listed unit
 * first: the ranges and their count in the caller's locals (*nr), so a
 * unit costs a few compares and stores. */
static inline __attribute__((always_inline)) void put_unit(range *rg, size_t *nr, uint32_t ndocs,
                                                          const as_unit *u, int *sorted)
{
    if (u->ndocs == 0 || u->first_doc >= ndocs)
        return;
    uint32_t end = u->ndocs > ndocs - u->first_doc ? ndocs : u->first_doc + u->ndocs;
    size_t n = *nr;
    if (n > 0) {
        if (u->first_doc == rg[n - 1].end) {
            rg[n - 1].end = end;
            return;
        }
        if (u->first_doc < rg[n - 1].end)
            *sorted = 0;
    }
    rg[n].start = u->first_doc;
    rg[n].end = end;
    *nr = n + 1;
}

/* The ranges of a council, statement or score filter from the index's
 * unit lists per value (as_index_council_units, as_index_statement_units,
 * as_index_score_units): only the chosen values' units are tested, not
 * all (a scan of every unit was ~30,000 instructions at 1M sentences,
 * most of "learning council:durham").  The lists of up to LISTS_MAX
 * values are merged in unit order, so the ranges come out sorted as from
 * the scan.  AS_OK, AS_ENOMEM, or AS_ENOTFOUND with no ranges when the
 * lists are not worth it (more values) or the index could not make them
 * (out of memory): the caller scans every unit instead. */
#define LISTS_MAX 8
enum { LIST_COUNCIL, LIST_STATEMENT, LIST_SCORE };

/* Unit numbers a merge of the lists can mark in a bitmap on the stack
 * (8 KB); an index with more units merges the lists' heads. */
#define MERGE_BITS_UNITS 65536

static int listed_ranges(as_engine *e, const ufilter *uf, const as_unit *units, uint32_t nu,
                         int by, int *sorted)
{
    const uint32_t *list[LISTS_MAX];
    uint32_t n[LISTS_MAX], k = 0;
    /* rest: the filter without the listed field, which every listed unit
     * passes by construction; with nothing else filtered no unit is tested */
    ufilter rest = *uf;
    if (by == LIST_COUNCIL) {
        rest.council_ok = NULL;
        for (uint32_t c = 0; c < e->ncnorm; c++) {
            if (!e->council_ok[c])
                continue;
            if (k == LISTS_MAX || as_index_council_units(e->ix, c, &list[k], &n[k]) != AS_OK)
                return AS_ENOTFOUND;
            k += n[k] > 0;
        }
    } else {
        uint32_t mask = by == LIST_STATEMENT ? uf->statements : uf->scores;
        if (by == LIST_STATEMENT)
            rest.statements = 0;
        else
            rest.scores = 0;
        for (uint32_t v = 0; v < 32 && mask >> v; v++) {
            if (!(mask >> v & 1))
                continue;
            if (k == LISTS_MAX ||
                (by == LIST_STATEMENT ? as_index_statement_units(e->ix, v, &list[k], &n[k])
                                      : as_index_score_units(e->ix, v, &list[k], &n[k])) != AS_OK)
                return AS_ENOTFOUND;
            k += n[k] > 0;
        }
    }
    const int test = rest.council_ok || rest.statements || rest.themes || rest.scores ||
                     rest.year_min || rest.year_max;
    /* room for every listed unit, so put_unit needs no check */
    size_t total = 0;
    for (uint32_t j = 0; j < k; j++)
        total += n[j];
    if (as_eng_grow((void **)&e->ranges, &e->capranges, e->nranges + total + 1,
                    sizeof *e->ranges))
        return as_eng_fail(e, AS_ENOMEM, "out of memory");
    range *rg = e->ranges;
    size_t nr = e->nranges;
    const uint32_t ndocs = e->ndocs;
    if (k == 1) { /* one list: in order as it is */
        for (uint32_t j = 0; j < n[0]; j++) {
            uint32_t u = list[0][j];
            if (u >= nu || (test && !unit_passes(&rest, &units[u])))
                continue; /* (>= nu cannot be: the lists are made from these units) */
            put_unit(rg, &nr, ndocs, &units[u], sorted);
        }
    } else if (k > 1 && nu <= MERGE_BITS_UNITS) {
        /* Several lists (score:<=2 is two of ~500 units at 100k): each
         * list's units marked, then taken in unit order; the heads' merge
         * cost ~25 instructions a unit, a third of the filter. */
        uint64_t bits[MERGE_BITS_UNITS / 64];
        size_t nw = ((size_t)nu + 63) / 64;
        memset(bits, 0, nw * sizeof *bits);
        for (uint32_t j = 0; j < k; j++)
            for (uint32_t i = 0; i < n[j]; i++)
                if (list[j][i] < nu) /* (cannot be otherwise: see above) */
                    bits[list[j][i] >> 6] |= (uint64_t)1 << (list[j][i] & 63);
        for (size_t w = 0; w < nw; w++) {
            for (uint64_t b = bits[w]; b; b &= b - 1) {
                uint32_t u = (uint32_t)(w * 64 + (size_t)__builtin_ctzll(b));
                if (test && !unit_passes(&rest, &units[u]))
                    continue;
                put_unit(rg, &nr, ndocs, &units[u], sorted);
            }
        }
    } else {
        while (k > 0) { /* the smallest unit number at the lists' heads, next */
            uint32_t best = 0;
            for (uint32_t j = 1; j < k; j++)
                if (list[j][0] < list[best][0])
                    best = j;
            uint32_t u = list[best][0];
            list[best]++;
            if (--n[best] == 0) {
                list[best] = list[k - 1];
                n[best] = n[k - 1];
                k--;
            }
            if (u >= nu || (test && !unit_passes(&rest, &units[u])))
                continue; /* (>= nu cannot be: the lists are made from these units) */
            put_unit(rg, &nr, ndocs, &units[u], sorted);
        }
    }
    e->nranges = nr;
    return AS_OK;
}

static int build_ranges(as_engine *e, const as_filter *f)
{
    e->nranges = 0;
    e->range_filter = e->council_filter || f->statements || f->themes || f->scores ||
                      f->year_min || f->year_max;
    if (!e->range_filter) {
        if (as_eng_grow((void **)&e->ranges, &e->capranges, 1, sizeof *e->ranges))
            return as_eng_fail(e, AS_ENOMEM, "out of memory");
        e->ranges[0].start = 0;
        e->ranges[0].end = e->ndocs;
        e->nranges = e->ndocs > 0;
        return AS_OK;
    }
    /* One page check for the whole array, not one per unit. */
    uint32_t nu = 0;
    const as_unit *units = as_index_units(e->ix, &nu);
    if (!units && as_index_nunits(e->ix) > 0) {
        const char *m = as_index_errmsg(e->ix);
        return as_eng_fail(e, AS_ECORRUPT, "%s", m && *m ? m : "corrupt index");
    }
    const ufilter uf = {e->council_filter ? e->council_ok : NULL, e->ncnorm, f->statements,
                        f->themes, f->scores, f->year_min, f->year_max};
    int sorted = 1, rc = AS_ENOTFOUND;
    /* The lists of the first of council, statement and score filtered;
     * statements or scores numbered past the lists' (only a damaged unit
     * has one) keep the scan, which tests them as before. */
    int by = e->council_filter ? LIST_COUNCIL
             : f->statements && f->statements >> (AS_NSTATEMENTS + 1) == 0 ? LIST_STATEMENT
             : f->scores && f->scores >> 5 == 0 ? LIST_SCORE /* scores 0..4 */
             : -1;
    if (by >= 0) {
        rc = listed_ranges(e, &uf, units, nu, by, &sorted);
        if (rc != AS_OK && rc != AS_ENOTFOUND)
            return rc;
    }
    if (rc != AS_OK) {
        for (uint32_t i = 0; i < nu; i++) {
            if (unit_passes(&uf, &units[i]) && add_unit(e, &units[i], &sorted) != AS_OK)
                return AS_ENOMEM;
        }
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

static int prepare(as_engine *e, const as_query *q, const as_search_opts *o)
{
    const as_bm25 *bm = &o->bm25;
    if (!isfinite(bm->k1) || !isfinite(bm->b) || !isfinite(bm->min_normlen) || bm->k1 < 0 ||
        bm->b < 0 || bm->b > 1 || bm->min_normlen < 0)
        return as_eng_fail(e, AS_EINVAL, "BM25 parameters out of range (k1 >= 0, 0 <= b <= 1, "
                                  "min_normlen >= 0)");
    e->kwmax = 0;
    e->kinds = q->filter.kinds & ((1u << AS_NKINDS) - 1);
    if (q->filter.kinds && !e->kinds)
        e->kinds = 0x80; /* only unknown kinds asked: no kind passes */
    for (int k = 0; k < AS_NKINDS; k++) {
        double w = o->kind_weight[k];
        if (!isfinite(w) || w < 0)
            return as_eng_fail(e, AS_EINVAL, "kind weight %g out of range (>= 0)", w);
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

    return as_eng_plan(e, q->root);
}

/* ---- top-k heap ------------------------------------------------------------ */

/* a ranks below b: lower weight, or equal weight and higher docid. */
static inline int worse(const hent *a, const hent *b)
{
    return a->w < b->w || (a->w == b->w && a->doc > b->doc);
}

/* ---- group key -> heap position ------------------------------------------- */

static inline size_t map_home(const as_engine *e, uint32_t key)
{
    return (size_t)((key * 0x9e3779b97f4a7c15ull) >> 32) & (e->mcap - 1);
}

/* The slot holding key, or the empty slot where it would go. */
static inline size_t map_find(const as_engine *e, uint32_t key)
{
    size_t i = map_home(e, key);
    while (e->mkey[i] != AS_NONE && e->mkey[i] != key)
        i = (i + 1) & (e->mcap - 1);
    return i;
}

static uint32_t map_get(const as_engine *e, uint32_t key)
{
    size_t i = map_find(e, key);
    return e->mkey[i] == key ? e->mpos[i] : AS_NONE;
}

static void map_set(as_engine *e, uint32_t key, uint32_t pos)
{
    size_t i = map_find(e, key);
    e->mkey[i] = key;
    e->mpos[i] = pos;
}

/* Removes key, shifting later entries of its probe run back (no
 * tombstones: the table stays as if the key had never been put). */
static void map_del(as_engine *e, uint32_t key)
{
    size_t m = e->mcap - 1, i = map_find(e, key);
    if (e->mkey[i] != key)
        return;
    for (size_t j = (i + 1) & m;; j = (j + 1) & m) {
        if (e->mkey[j] == AS_NONE)
            break;
        size_t h = map_home(e, e->mkey[j]);
        /* j's entry may fill the hole at i unless its home lies in (i, j] */
        if (((j - h) & m) >= ((j - i) & m)) {
            e->mkey[i] = e->mkey[j];
            e->mpos[i] = e->mpos[j];
            i = j;
        }
    }
    e->mkey[i] = AS_NONE;
}

/* An empty table for a heap of k hits. */
static int map_reset(as_engine *e, size_t k)
{
    size_t need = 16;
    while (need < 2 * (k + 1)) {
        if (need > SIZE_MAX / 4 / sizeof *e->mkey)
            return AS_ENOMEM;
        need *= 2;
    }
    if (need > e->mcap) {
        uint32_t *a = realloc(e->mkey, need * sizeof *a);
        if (a)
            e->mkey = a;
        uint32_t *b = a ? realloc(e->mpos, need * sizeof *b) : NULL;
        if (b)
            e->mpos = b;
        if (!a || !b)
            return AS_ENOMEM;
        e->mcap = need;
    }
    memset(e->mkey, 0xff, e->mcap * sizeof *e->mkey); /* AS_NONE */
    return AS_OK;
}

static inline __attribute__((always_inline)) void heap_set(as_engine *e, size_t i, hent v,
                                                            int collapse)
{
    e->heap[i] = v;
    if (collapse)
        map_set(e, v.key, (uint32_t)i);
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

/* The heap position of group key, AS_NONE if none: through the map when
 * the heap keeps one, else by a scan (a top 10 scans faster than the map
 * is kept up to date at every move). */
static uint32_t heap_find(const as_engine *e, uint32_t key, int usemap)
{
    if (usemap)
        return map_get(e, key);
    for (size_t i = 0; i < e->nheap; i++)
        if (e->heap[i].key == key)
            return (uint32_t)i;
    return AS_NONE;
}

/* Offers a doc; returns 1 if the heap changed.  grouped: doc is in a
 * duplicate group (a doc in none is no other doc's key, so its key cannot
 * be in the heap); collapse: the key -> position map is kept (map_k). */
static int offer(as_engine *e, size_t k, double w, uint32_t doc, uint32_t key, int grouped,
                 int collapse)
{
    hent v = {w, doc, key};
    uint32_t s = grouped ? heap_find(e, key, collapse) : AS_NONE;
    if (s != AS_NONE) {
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
        map_del(e, e->heap[0].key);
    heap_set(e, 0, v, collapse);
    sift_down(e, 0, collapse);
    return 1;
}

/* Puts the heap's hits in order, best first, in place (heapsort): the
 * worst is at the root, so moving the root behind the shrinking heap
 * fills the array from the back.  worse() is a total order (docids
 * differ), so this is the order any sort gives; qsort through a comparator
 * cost ~7,000 instructions for ten hits. */
static void sort_best_first(as_engine *e)
{
    size_t n = e->nheap;
    while (e->nheap > 1) {
        hent w = e->heap[0];
        e->heap[0] = e->heap[--e->nheap];
        e->heap[e->nheap] = w;
        sift_down(e, 0, 0);
    }
    e->nheap = n;
}

/* ---- the main loop --------------------------------------------------------- */

/* doc's group key (its group's first member, or doc); *grouped: doc is in
 * a group of two or more. */
static uint32_t group_key(const as_engine *e, uint32_t doc, int *grouped)
{
    uint32_t n = 0;
    uint32_t first = as_index_dup_first(e->ix, doc, &n);
    *grouped = n > 1;
    return first < e->ndocs ? first : doc;
}

/* The heap keeps a key -> position map from this k up (see heap_find). */
static int map_k(size_t k)
{
    return k > 16;
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
        return as_eng_fail(e, AS_ECORRUPT, "%s", m && *m ? m : "corrupt index");
    }
    return AS_OK;
}

/* The largest value v with v * kwmax <= theta in floating point: a root
 * value <= v cannot beat theta (multiplication rounds monotonically). */
static double root_wmin(double theta, double kwmax)
{
    if (kwmax == 1)
        return theta; /* the usual case (findings weigh 1): v = theta exactly */
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

/* ---- threshold seeding ----------------------------------------------------- */

/* A run starts with theta = -INFINITY and prunes only once the heap holds k
 * hits, so a heavy AND scores many docs in its first stretch that its final
 * threshold would have skipped.  seed() scores a few real matches first:
 * the docs in every high list (format.h: high) of the root AND's terms,
 * where its best docs most likely are.  Any k hits the run itself would
 * keep (they match, pass the filter, and with collapsing are of k distinct
 * groups) have a k-th best weight ws <= the final theta, so the run may
 * start by asking for docs that score at least ws: value > root_wmin of
 * the double just below ws.  Just below, not ws: a doc scoring exactly ws
 * may still be one of the top k (equal weights rank by ascending docid).
 * Which docs to probe: the first k + k / 2 (rounded up) docs of the
 * intersection of the high lists (walked with as_pcur_meet), so it is
 * tried only for an AND of terms that all have one, whose rarest list is
 * long (SEED_MIN_COST: "local authority staff" at 1M, 314,302; an AND of
 * medium words, "hoarding carers", 56,925, loses more to the walk than the
 * seed saves).  The first few, not the best of all: the walk over the
 * whole of the high lists cost more than a better seed saved ("local
 * authority staff" at 1M, 3 runs: all 35 docs of the intersection, the 10
 * best probed, seed 2.2694, 38.6M instructions; its first 15, seed 2.2584,
 * 36.0M; the first 10, 37.9M; the first 20, 37.4M).  Cost: the walk, up
 * to k + k / 2 root probes without a threshold, a reset of the tree. */
#define SEED_MIN_COST 100000 /* the root AND's rarest list (enode.cost) */
#define SEED_MAX_K 64       /* larger k are not seeded */
#define SEED_PROBES (SEED_MAX_K + SEED_MAX_K / 2) /* root probes at most */
#define SEED_TERMS 8        /* high lists walked at most */

typedef struct sent {
    double w;
    uint32_t key;
} sent;

static int cmp_sent_key(const void *a, const void *b)
{
    const sent *x = a, *y = b;
    if (x->key != y->key)
        return x->key < y->key ? -1 : 1;
    return x->w > y->w ? -1 : x->w < y->w;
}

static int cmp_sent_w(const void *a, const void *b)
{
    const sent *x = a, *y = b;
    return x->w > y->w ? -1 : x->w < y->w;
}

/* The root's match at or after target that passes the filter, probed with
 * no threshold, into s (key: its group with collapsing); returns the doc
 * probed (AS_DOC_END: the root has no match left). */
static uint32_t seed_probe(as_engine *e, const runner *r, uint32_t target, sent *s, int *got)
{
    *got = 0;
    uint32_t m = as_eng_advance(e, (uint32_t)e->root, target, -INFINITY);
    if (m >= e->ndocs)
        return AS_DOC_END;
    if (!doc_passes(e, m))
        return m;
    int kind = as_index_kind(e->ix, m);
    if (kind < 0 || kind >= AS_NKINDS)
        kind = 0;
    s->w = as_eng_value(e, &e->nodes[e->root]) * e->kw[kind];
    int grouped = 0;
    s->key = r->collapse ? group_key(e, m, &grouped) : m;
    *got = 1;
    return m;
}

/* The root wmin a run may start with (-INFINITY: no seed); leaves the tree
 * reset when it moved it.  Sets e->seedw and counts e->nseed. */
static double seed(as_engine *e, const runner *r)
{
    e->seedw = -INFINITY;
    if (!r->prune || r->fn || r->count || r->k == 0 || r->k > SEED_MAX_K)
        return -INFINITY;
    const enode *root = &e->nodes[e->root];
    if (root->op != N_AND || !(root->cost >= (e->seed_min > 0 ? e->seed_min : SEED_MIN_COST)))
        return -INFINITY;
    const as_term *ht[SEED_TERMS];
    size_t nh = 0;
    for (uint32_t i = 0; i < root->nkids && nh < SEED_TERMS; i++) {
        const enode *kn = &e->nodes[e->kids[root->kid0 + i]];
        if (kn->op != N_TERM || e->hterm[kn->leaf].df == 0)
            continue;
        size_t j = nh++;
        for (; j > 0 && ht[j - 1]->df > e->hterm[kn->leaf].df; j--) {
            ht[j] = ht[j - 1]; /* rarest first */
        }
        ht[j] = &e->hterm[kn->leaf];
    }
    if (nh < 2 || nh != root->nkids)
        return -INFINITY; /* a kid the walk cannot see */
    if (e->capscur < nh) {
        size_t old = e->capscur;
        if (as_eng_grow((void **)&e->scur, &e->capscur, nh, sizeof *e->scur))
            return -INFINITY;
        for (size_t i = old; i < e->capscur; i++)
            e->scur[i] = NULL; /* made below when first needed */
    }
    for (size_t i = 0; i < nh; i++) {
        if (!e->scur[i]) {
            e->scur[i] = malloc(sizeof *e->scur[i]);
            if (!e->scur[i])
                return -INFINITY;
            memset(e->scur[i], 0, sizeof *e->scur[i]);
        }
        as_pcur_init(e->scur[i], e->ix, ht[i]);
    }
    /* The first np docs in every high list (ascending). */
    as_pcur **c = e->scur;
    uint32_t cand[SEED_PROBES];
    size_t np = r->k + (r->k + 1) / 2, nc = 0;
    while (nc < np) {
        uint32_t d = as_pcur_meet(c[0], c[1], AS_DOC_END);
        if (d >= AS_DOC_END || c[0]->doc != c[1]->doc)
            break;
        size_t i = 2;
        uint32_t x = d;
        for (; i < nh; i++) {
            x = as_pcur_seek(c[i], d);
            if (x != d)
                break;
        }
        if (i < nh) {
            if (x >= AS_DOC_END)
                break;
            as_pcur_seek(c[0], x);
            continue;
        }
        cand[nc++] = d;
        as_pcur_next(c[0]);
    }
    for (size_t i = 0; i < nh; i++)
        as_pcur_release(e->scur[i]);
    if (nc < r->k)
        return -INFINITY;
    sent s[SEED_PROBES];
    size_t ns = 0;
    uint32_t next = 0; /* the root stands before it */
    for (size_t i = 0; i < nc; i++) {
        if (cand[i] < next)
            continue;
        int got = 0;
        uint32_t m = seed_probe(e, r, cand[i], &s[ns], &got);
        if (m == AS_DOC_END)
            break;
        ns += (size_t)got;
        next = m + 1;
    }
    as_eng_reset(e);
    if (r->collapse && ns > 1) { /* one entry per group: its best member */
        qsort(s, ns, sizeof *s, cmp_sent_key);
        size_t o = 1;
        for (size_t i = 1; i < ns; i++)
            if (s[i].key != s[o - 1].key)
                s[o++] = s[i];
        ns = o;
    }
    if (ns < r->k)
        return -INFINITY;
    qsort(s, ns, sizeof *s, cmp_sent_w);
    double ws = e->seed_bug == 2 ? s[0].w : s[r->k - 1].w;
    double t = e->seed_bug == 1 ? ws : nextafter(ws, -INFINITY);
    e->seedw = ws;
    e->nseed++;
    return root_wmin(t, e->kwmax);
}

/* ---- threshold guessing ---------------------------------------------------- */

/* Where no seed is had, a run may start from a guessed root wmin g and
 * check afterwards that it lost nothing: a pass asked for values above g
 * skips only docs whose weight is at most g * kwmax (in floating point:
 * the product rounds monotonically), so once its heap holds k hits and
 * the worst weighs more than that, no skipped doc could have been one of
 * them (nor tied with one), and the hits are exactly those of a pass from
 * -INFINITY; else the run starts again from -INFINITY.  The guess is the
 * value from which the root's lead walk becomes an intersection
 * (as_eng_guess: learning safeguarding reviews, AND(learn, safeguard,
 * OR(review, ^sar)), 9.34 at 1M where the tenth hit weighs 9.95): a run
 * from -INFINITY walks the OR's terms doc by doc, then leaps only to docs
 * high in both other terms, until its heap's tenth hit passes the guess,
 * at doc 258,179 of 1M and 1,189,977 of 5M, where the walk from the guess
 * spends half as much a doc.  Only for a top k the guess likely holds
 * for (SEED_MAX_K), as seed(): a failed guess costs a pass. */
static double guess(as_engine *e, const runner *r)
{
    if (!r->prune || r->fn || r->count || r->k == 0 || r->k > SEED_MAX_K || e->kwmax <= 0 ||
        e->guess_off)
        return -INFINITY;
    double g = as_eng_guess(e, r->k);
    if (g != -INFINITY) {
        e->guessw = g;
        e->nguess++;
    }
    return g;
}

/* One pass of the root over the ranges into the heap (or fn), asking for
 * docs whose value exceeds at least wseed. */
static int walk(as_engine *e, runner *r, const double wseed)
{
    const double rootmax = e->nodes[e->root].maxw;
    double theta = -INFINITY;
    double wmin = wseed;
    size_t ri = 0;
    uint32_t target = 0;
    for (;;) {
        while (ri < e->nranges && e->ranges[ri].end <= target)
            ri++;
        if (ri == e->nranges)
            break;
        if (target < e->ranges[ri].start)
            target = e->ranges[ri].start;
        uint32_t d = as_eng_advance(e, (uint32_t)e->root, target, wmin);
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
        double w = as_eng_value(e, &e->nodes[e->root]) * e->kw[kind];
        if (r->fn) {
            if (r->fn(r->arg, d, w))
                return AS_OK;
            goto next;
        }
        if (!r->count && r->k > 0 && e->nheap == r->k &&
            (w < e->heap[0].w || (w == e->heap[0].w && d > e->heap[0].doc)))
            goto next; /* cannot beat the worst hit: changes nothing */
        int grouped = 0;
        uint32_t key = r->collapse ? group_key(e, d, &grouped) : d;
        if (r->count) {
            if (!r->collapse) {
                r->total++;
            } else if (!(e->seen[key >> 3] & (1u << (key & 7)))) {
                e->seen[key >> 3] |= (uint8_t)(1u << (key & 7));
                r->total++;
            }
        }
        if (r->k > 0 && offer(e, r->k, w, d, key, grouped, r->collapse && map_k(r->k)) &&
            e->nheap == r->k && r->prune) {
            theta = e->heap[0].w;
            if (rootmax * e->kwmax <= theta)
                break; /* nothing left can beat the k-th hit */
            wmin = root_wmin(theta, e->kwmax);
            if (wmin < wseed)
                wmin = wseed;
        }
    next:
        if (d >= AS_DOC_END - 1)
            break;
    }
    return AS_OK;
}

static int run(as_engine *e, runner *r)
{
    e->seedw = -INFINITY;
    e->guessw = -INFINITY;
    if (e->root < 0 || e->nranges == 0)
        return AS_OK;
    const double wseed = seed(e, r);
    const double g = wseed == -INFINITY ? guess(e, r) : -INFINITY;
    if (g == -INFINITY)
        return walk(e, r, wseed);
    int rc = walk(e, r, g);
    if (rc != AS_OK || e->guess_bug || (e->nheap == r->k && e->heap[0].w > g * e->kwmax))
        return rc; /* k hits above every doc the pass skipped */
    e->nguessfail++;
    e->nheap = 0;
    if (r->collapse && map_k(r->k) && map_reset(e, r->k) != AS_OK)
        return as_eng_fail(e, AS_ENOMEM, "out of memory");
    as_eng_reset(e);
    return walk(e, r, -INFINITY);
}

static int query_ok(as_engine *e, const as_query *q)
{
    if (!e)
        return AS_EINVAL;
    if (!q)
        return as_eng_fail(e, AS_EINVAL, "no query");
    e->msg[0] = '\0';
    return AS_OK;
}

/* copies and reports of a collapsed hit: members matching query and filter. */
static int count_copies(as_engine *e, as_hit *h)
{
    const uint32_t *m = NULL;
    uint32_t n = 0;
    as_index_dup_first(e->ix, h->doc, &n);
    if (n > 1)
        as_index_dups(e->ix, h->doc, &m, &n);
    if (!m || n <= 1) {
        h->copies = 1;
        h->reports = 1;
        return AS_OK;
    }
    as_eng_reset(e);
    uint32_t copies = 0, reports = 0, lastfile = AS_NONE;
    uint32_t prev = 0;
    for (uint32_t i = 0; i < n; i++) {
        uint32_t d = m[i];
        if (d >= e->ndocs || (i > 0 && d <= prev))
            continue; /* damaged group: keep ascending order */
        prev = d;
        if (!doc_passes(e, d))
            continue;
        if (as_eng_advance(e, (uint32_t)e->root, d, -INFINITY) != d)
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
    if (as_eng_grow((void **)&e->heap, &e->capheap, k + 1, sizeof *e->heap))
        return as_eng_fail(e, AS_ENOMEM, "out of memory");
    e->nheap = 0;
    if (r.collapse && map_k(k) && map_reset(e, k) != AS_OK)
        return as_eng_fail(e, AS_ENOMEM, "out of memory");
    if (r.count && r.collapse) {
        if (!e->seen)
            e->seen = malloc(e->ndocs / 8 + 1);
        if (!e->seen)
            return as_eng_fail(e, AS_ENOMEM, "out of memory");
        memset(e->seen, 0, e->ndocs / 8 + 1);
    }
    rc = run(e, &r);
    if (rc == AS_OK) {
        sort_best_first(e);
        size_t n = e->nheap > o->offset ? e->nheap - o->offset : 0;
        if (n > 0) {
            out->hits = calloc(n, sizeof *out->hits);
            if (!out->hits)
                rc = as_eng_fail(e, AS_ENOMEM, "out of memory");
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
    as_eng_release(e);
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
        return as_eng_fail(e, AS_EINVAL, "no callback");
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
    as_eng_release(e);
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
        lw[n->leaf] = as_eng_value(e, n);
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
    if (!q || depth > AS_ENG_MAX_DEPTH)
        return AS_OK;
    if (q->op == AS_Q_TERM) {
        if (as_eng_grow((void **)out, cap, *n + 1, sizeof **out))
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
        return as_eng_fail(e, AS_EINVAL, "no sentence %u", doc);
    rc = prepare(e, q, o);
    if (rc != AS_OK)
        return rc;
    as_contrib *c = NULL;
    size_t nc = 0, cap = 0;
    if (collect_leaves(q->root, &c, &nc, &cap, 0) != AS_OK) {
        free(c);
        as_eng_release(e);
        return as_eng_fail(e, AS_ENOMEM, "out of memory");
    }
    double *lw = calloc(e->nleaves + 1, sizeof *lw);
    if (!lw) {
        free(c);
        as_eng_release(e);
        return as_eng_fail(e, AS_ENOMEM, "out of memory");
    }
    int matched = e->root >= 0 && as_eng_advance(e, (uint32_t)e->root, doc, -INFINITY) == doc;
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
    as_eng_release(e);
    rc = check_index(e);
    if (rc != AS_OK) {
        free(c);
        return rc;
    }
    *out = c;
    *n = nc;
    return matched || !q->root ? AS_OK : AS_ENOTFOUND;
}
