/*
 * engine_iter.c — the native engine's query side: BM25 exactly as Xapian
 * 1.4's BM25Weight, the compiler from a query tree (query.h) to an
 * iterator tree over postings cursors, and the iterators with dynamic
 * pruning (MaxScore, block-max).
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
 * exception, w / (K + w) rising by less than its rounding error between wdf
 * w and w+1, needs K below ~1e-15 * w^2, which k1 >= 1e-6 rules out for any
 * real wdf, so pruning is switched off when 0 < k1 < 1e-6),
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
 */
#include "engine_int.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* An AND runs by tiers (align_tier) unless its essential kids' high lists
 * hold more than this many times the postings of its rarest kid's (or OR
 * kid's) lists: a tier candidate costs much less than one of align_bm. */
#define AS_TIER_F 2

/* An AND run by tiers whose rarest unit is an OR of two terms a doc needs
 * both of is led by that unit (align_tier) when its postings are at most
 * this many times those of the high lists the tiers would walk: a posting
 * of an intersection costs much less than a tier candidate. */
#define AS_TIER_MEET_F 8

/* An OR's virtual AND of two or three terms below the joint bound is led
 * by its rarest term (align_tier_lead) only when that term has at least
 * this many postings, or when the OR has optional TERMs, four terms or
 * more with the AND's, by whose bounds at each candidate's length most
 * candidates fall (hoarding AND "self neglect" of hoarding OR
 * self-neglect: 20.2M -> 12.6M instructions at 1M).  With the lead
 * walk as it is now, a lead of any df pays on the bench mix (callgrind, 3
 * runs, against 8192): co-production at 100k (rarest 5,513) -9.4%,
 * strengths based at 100k -14.5%, ombudsman -2.9% (100k) and -20.3% (1M);
 * only self-neglect at 1M ("self neglect" OR selfneglect, 3,669) loses,
 * +1.4% (it lost 5% when this limit was set): hence 1, any lead. */
#define AS_TIER_LEAD_DF 1

/* An OR's virtual AND that the tiers decline is led by its rarest term
 * (align_tier_lead) instead of run by block-max when another of its terms
 * has at least this many times its postings (align_bm: bm_lead; on the
 * bench mix DoLS's "of" against liberti, 38x at 100k, 199x at 1M, gain;
 * "strengths based", 3x, and co-production, 1.5x, lose). */
#define AS_BM_LEAD_F 16

/* A lead walk led by one term (align_tier_lead) walks its intersection
 * with the rarest other TERM unit (pair_walk) when that has at most this
 * many times the lead's postings: every match of the AND has both, and
 * two lists of near density meet at a few instructions a posting
 * (as_pcur_meet), where each lead posting bounded alone costs a table
 * lookup and high-list seeks (SAR: adult, 14,339 postings at 1M, meets
 * review, 44,112, on 1,885 docs; at 5M adult has 47,365 and review
 * 216,730, 4.6x, and pairing them took SAR from 47.6M to 29.2M
 * instructions per 3 runs; 5 and 8 measured alike on the bench mix) ... */
#define AS_LEAD_PAIR_F 5
/* ... until, after this many meets at least, half of them have left the
 * lead where it was (its postings mostly have the other's: "self" of
 * "self neglect", where each meet decodes a block of "neglect" for
 * nothing). */
#define AS_LEAD_PAIR_TRY 8

/* pair_walk moves a high cursor (another unit's, or an optional TERM's)
 * to a candidate by hstep, unpacking its block's wdfs once and stepping
 * along docs[], when its list has at most this many times the lead's
 * postings, so that a candidate moves it a few postings inside its block
 * (SAR at 1M: the high lists of safeguard and review, 9,556 and 2,556
 * postings against adult's 14,339, ~5 and ~2 postings a candidate, where
 * each as_pcur_seek, its wdfs packed, cost ~110 instructions: -4.7% for
 * the query; DoLS: safeguard's 9,556 against 2,305, ~7 postings, gains).
 * A longer one (DoLS's 28,057, ~20 postings a candidate, often out of
 * the block) is left to the seek's gallop: with it (F = 20), DoLS at 1M
 * went +1.3% instead of -2.7%. */
#define AS_HSTEP_F 5

/* An OR's virtual AND whose rarest term pairs (AS_LEAD_PAIR_F) is led
 * by it (pair_walk) instead of run by tiers when its kids' high lists
 * hold more than 1/this of the pair's postings (align_bm: pair_route). */
#define AS_PAIR_TIER_F 4

/* ORs of at most this many kids look for required kids (adv_or_req). */
#define AS_ENG_REQ_KIDS 16

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
    if (as_eng_grow((void **)&e->nodes, &e->capnodes, e->nnodes + 1, sizeof *e->nodes)) {
        *rc = AS_ENOMEM;
        return -1;
    }
    enode *n = &e->nodes[e->nnodes];
    memset(n, 0, sizeof *n);
    n->op = op;
    n->doc = 0;
    n->valdoc = AS_DOC_END;
    n->lw = NAN;
    n->vand = -1;
    return (int32_t)e->nnodes++;
}

static int push_stack(as_engine *e, uint32_t v)
{
    if (as_eng_grow((void **)&e->stack, &e->capstack, e->nstack + 1, sizeof *e->stack))
        return AS_ENOMEM;
    e->stack[e->nstack++] = v;
    return AS_OK;
}

/* Terms looked up before, by a hash of their bytes (two slots each, k and
 * k ^ 1: with one, two terms of a query could share it and evict each
 * other every search, as hoard and carer do): a dictionary lookup was
 * ~4,500 instructions at 1M, a twentieth of a filtered top 10 ("learning
 * council:durham"), and the index does not change under an engine, so a
 * term keeps its entry (or its absence).  Longer terms are looked up
 * every time. */
#define TMEMO_N 32
#define TMEMO_LEN 32
struct as_tmemo {
    unsigned evict; /* which of a full pair the next term replaces */
    struct {
        uint8_t len; /* 0: empty */
        char term[TMEMO_LEN];
        int rc;      /* AS_OK or AS_ENOTFOUND */
        as_term t;
    } s[TMEMO_N];
};

/* as_index_find_term through e's memo; out of memory only skips it. */
static int find_term(as_engine *e, const char *term, as_term *t)
{
    size_t len = strlen(term);
    if (len == 0 || len > TMEMO_LEN)
        return as_index_find_term(e->ix, term, len, t);
    uint32_t h = 2166136261u; /* FNV-1a */
    for (size_t i = 0; i < len; i++)
        h = (h ^ (uint8_t)term[i]) * 16777619u;
    struct as_tmemo *m = e->tmemo;
    if (!m && (m = e->tmemo = calloc(1, sizeof *m)) == NULL)
        return as_index_find_term(e->ix, term, len, t);
    size_t k = (h ^ h >> 16) % TMEMO_N;
    for (size_t j = 0; j < 2; j++) {
        size_t i = k ^ j;
        if (m->s[i].len == len && memcmp(m->s[i].term, term, len) == 0) {
            *t = m->s[i].t;
            return m->s[i].rc;
        }
    }
    int rc = as_index_find_term(e->ix, term, len, t);
    if (rc == AS_OK || rc == AS_ENOTFOUND) { /* never a damaged dictionary's answer */
        size_t i = m->s[k].len == 0 ? k : m->s[k ^ 1].len == 0 ? k ^ 1 : k ^ (m->evict++ & 1);
        m->s[i].len = (uint8_t)len;
        memcpy(m->s[i].term, term, len);
        m->s[i].rc = rc;
        m->s[i].t = *t;
    }
    return rc;
}

static int32_t new_leaf(as_engine *e, const as_qnode *q, uint32_t off, int *rc)
{
    if (!q->term) {
        *rc = as_eng_fail(e, AS_EINVAL, "query term without text");
        return -1;
    }
    as_term t;
    if (find_term(e, q->term, &t) != AS_OK || t.df == 0)
        return -1; /* unknown term: matches nothing */
    if (e->nleaves >= AS_ENG_MAX_LEAVES) {
        *rc = as_eng_fail(e, AS_ELIMIT, "query has more than %d terms", AS_ENG_MAX_LEAVES);
        return -1;
    }
    size_t i = e->nleaves;
    size_t cap = e->capleaves;
    if (as_eng_grow((void **)&e->lterm, &cap, i + 1, sizeof *e->lterm)) {
        *rc = as_eng_fail(e, AS_ENOMEM, "out of memory");
        return -1;
    }
    cap = e->capleaves;
    if (as_eng_grow((void **)&e->lq, &cap, i + 1, sizeof *e->lq)) {
        *rc = as_eng_fail(e, AS_ENOMEM, "out of memory");
        return -1;
    }
    cap = e->capleaves;
    if (as_eng_grow((void **)&e->curs, &cap, i + 1, sizeof *e->curs)) {
        *rc = as_eng_fail(e, AS_ENOMEM, "out of memory");
        return -1;
    }
    e->capleaves = cap;
    if (as_eng_grow((void **)&e->acurs, &e->capacurs, i + 1, sizeof *e->acurs) ||
        as_eng_grow((void **)&e->hterm, &e->caphterm, i + 1, sizeof *e->hterm)) {
        *rc = as_eng_fail(e, AS_ENOMEM, "out of memory");
        return -1;
    }
    size_t hc = e->caphcurs;
    if (as_eng_grow((void **)&e->hcurs, &hc, i + 1, sizeof *e->hcurs)) {
        *rc = as_eng_fail(e, AS_ENOMEM, "out of memory");
        return -1;
    }
    for (size_t j = e->caphcurs; j < hc; j++)
        e->hcurs[j] = NULL;
    e->caphcurs = hc;
    if (i >= e->ncurs_alloc) {
        e->curs[i] = malloc(sizeof **e->curs);
        if (!e->curs[i]) {
            *rc = as_eng_fail(e, AS_ENOMEM, "out of memory");
            return -1;
        }
        memset(e->curs[i], 0, sizeof **e->curs);
        e->ncurs_alloc = i + 1;
    }
    e->acurs[i] = e->curs[i];
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
    /* Its postings outside the high list have a wdf w <= 3 and doclen >
     * L[w - 1]: they score at most the largest BM25(w, L[w - 1] + 1)
     * (format.h: high), whatever the parameters. */
    uint32_t lmax[3];
    n->mlo = INFINITY;
    if (as_pcur_high(e->ix, &t, &e->hterm[i], lmax) == AS_OK) {
        memcpy(n->hl, lmax, sizeof n->hl);
        n->mlo = 0;
        for (uint32_t w = 1; w <= 3; w++) {
            double v = bm25(e, n->tw, w, lmax[w - 1] + 1);
            if (v > n->mlo)
                n->mlo = v;
        }
        if (n->mlo > n->maxw)
            n->mlo = n->maxw; /* both bound the same postings */
    } else
        memset(&e->hterm[i], 0, sizeof e->hterm[i]);
    return ni;
}

/* Finishes an n-ary node whose kids are on the stack from base. */
static int32_t finish_nary(as_engine *e, int op, size_t base, int *rc)
{
    size_t nk = e->nstack - base;
    if (as_eng_grow((void **)&e->kids, &e->capkids, e->nkids + nk, sizeof *e->kids)) {
        *rc = as_eng_fail(e, AS_ENOMEM, "out of memory");
        return -1;
    }
    uint32_t **par[4] = {&e->ord, &e->hp, &e->ml, &e->st};
    for (int i = 0; i < 4; i++) {
        uint32_t *a = realloc(*par[i], e->capkids * sizeof **par[i]);
        if (!a) {
            *rc = as_eng_fail(e, AS_ENOMEM, "out of memory");
            return -1;
        }
        *par[i] = a;
    }
    double *kb = realloc(e->kbb, e->capkids * sizeof *kb);
    if (!kb) {
        *rc = as_eng_fail(e, AS_ENOMEM, "out of memory");
        return -1;
    }
    e->kbb = kb;
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
            *rc = as_eng_fail(e, AS_EINVAL, "phrase of something other than terms");
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
            *rc = as_eng_fail(e, AS_ENOMEM, "out of memory");
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
    if (depth > AS_ENG_MAX_DEPTH) {
        *rc = as_eng_fail(e, AS_ELIMIT, "query nested more than %d deep", AS_ENG_MAX_DEPTH);
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
                        *rc = as_eng_fail(e, AS_ENOMEM, "out of memory");
                        return -1;
                    }
            } else if (push_stack(e, (uint32_t)k)) {
                *rc = as_eng_fail(e, AS_ENOMEM, "out of memory");
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
            *rc = as_eng_fail(e, AS_ENOMEM, "out of memory");
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
                *rc = as_eng_fail(e, AS_ENOMEM, "out of memory");
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
    *rc = as_eng_fail(e, AS_EINVAL, "unknown query operator %d", q->op);
    return -1;
}

/* A kid an OR's virtual AND can take: a TERM, or a PHRASE or AND of TERMs. */
static uint32_t flat_leaves(const as_engine *e, const enode *k)
{
    if (k->op == N_TERM)
        return 1;
    if (k->op != N_PHRASE && k->op != N_AND)
        return 0;
    for (uint32_t i = 0; i < k->nkids; i++)
        if (e->nodes[e->kids[k->kid0 + i]].op != N_TERM)
            return 0;
    return k->nkids;
}

/* A unit of an AND run by tiers (align_tier): a TERM with a high list, or
 * an OR of at most 8 TERMs some of which have one. */
static int tier_unit(const as_engine *e, const enode *k)
{
    if (k->op == N_TERM)
        return k->mlo != INFINITY;
    if (k->op != N_OR || k->nkids > 8)
        return 0;
    int h = 0;
    for (uint32_t j = 0; j < k->nkids; j++) {
        const enode *t = &e->nodes[e->kids[k->kid0 + j]];
        if (t->op != N_TERM)
            return 0;
        h = h || t->mlo != INFINITY;
    }
    return h;
}

/* Gives OR node ni (of at most AS_ENG_REQ_KIDS kids, each a TERM or a
 * PHRASE/AND of TERMs) a virtual AND node with room for all its leaves,
 * filled when some kids become required (adv_or_req). */
static int add_vand(as_engine *e, uint32_t ni)
{
    const enode *n = &e->nodes[ni];
    if (n->nkids > AS_ENG_REQ_KIDS)
        return AS_OK;
    uint32_t nl = 0;
    for (uint32_t i = 0; i < n->nkids; i++) {
        uint32_t f = flat_leaves(e, &e->nodes[e->kids[n->kid0 + i]]);
        if (f == 0)
            return AS_OK;
        nl += f;
    }
    if (as_eng_grow((void **)&e->kids, &e->capkids, e->nkids + nl, sizeof *e->kids))
        return as_eng_fail(e, AS_ENOMEM, "out of memory");
    uint32_t **par[4] = {&e->ord, &e->hp, &e->ml, &e->st};
    for (int i = 0; i < 4; i++) {
        uint32_t *a = realloc(*par[i], e->capkids * sizeof **par[i]);
        if (!a)
            return as_eng_fail(e, AS_ENOMEM, "out of memory");
        *par[i] = a;
    }
    double *kb = realloc(e->kbb, e->capkids * sizeof *kb);
    if (!kb)
        return as_eng_fail(e, AS_ENOMEM, "out of memory");
    e->kbb = kb;
    int rc = AS_OK;
    int32_t vi = new_node(e, N_AND, &rc);
    if (vi < 0)
        return as_eng_fail(e, AS_ENOMEM, "out of memory");
    enode *v = &e->nodes[vi];
    v->kid0 = (uint32_t)e->nkids;
    v->nkids = 0;
    v->vcap = nl;
    v->has_term = 1;
    e->nkids += nl;
    e->nodes[ni].vand = vi;
    return AS_OK;
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
void as_eng_reset(as_engine *e)
{
    e->ntier = 0;
    e->ntieror = 0;
    e->njoint = 0;
    e->nlead = 0;
    e->nsolo = 0;
    e->jnode = -1;
    e->jmnode = -1;
    e->jmonode = -1;
    e->lnode = -1;
    e->nlcache = 0;
    e->nfree = 0;
    e->nlmove = 0;
    e->nall = 0;
    e->nlofree = 0;
    e->nlorej = 0;
    e->nhstep = 0;
    e->hqnode = -1;
    e->nhq = 0;
    e->nhk = 0;
    e->nslen = 0;
    e->nsfast = 0;
    e->nbmlead = 0;
    e->nmeet = 0;
    e->onode = -1;
    e->oor = -1;
    e->nopt = 0;
    e->nopt_rej = 0;
    e->noptq = 0;
    e->nopt_main = 0;
    e->nbmopt = 0;
    e->npair = 0;
    e->plead = -1;
    e->ppart = -1;
    e->prnode = -1;
    e->wnode = -1;
    e->nwin = 0;
    for (size_t i = 0; i < e->nleaves; i++) {
        as_pcur_release(e->curs[i]);
        as_pcur_init(e->curs[i], e->ix, &e->lterm[i]);
        e->acurs[i] = e->curs[i];
    }
    for (size_t i = 0; i < e->nnodes; i++) {
        enode *n = &e->nodes[i];
        n->started = 0;
        n->doc = 0;
        n->valdoc = AS_DOC_END;
        n->ness = 0;
        n->ness_sum = 0;
        n->bb_valid = 0;
        n->lw = NAN;
        n->nh = 0;
        n->heap_ness = UINT32_MAX;
        n->vmask = 0;
        n->hion = 0;
        n->hinit = 0;
        n->hw = NAN;
        n->tdw = NAN;
        n->jok = 0;
    }
}

void as_eng_release(as_engine *e)
{
    for (size_t i = 0; i < e->nleaves; i++)
        as_pcur_release(e->curs[i]);
}

int as_eng_plan(as_engine *e, const as_qnode *root)
{
    int rc;
    as_eng_release(e);
    e->nnodes = 0;
    e->nkids = 0;
    e->nstack = 0;
    e->nleaves = 0;
    rc = AS_OK;
    if (root) {
        e->root = compile(e, root, 0, &rc);
        if (rc != AS_OK) {
            e->nleaves = 0;
            e->root = -1;
            return rc;
        }
    } else {
        e->root = new_node(e, N_ALL, &rc);
        if (rc != AS_OK)
            return as_eng_fail(e, AS_ENOMEM, "out of memory");
        e->nodes[e->root].cost = e->ndocs;
    }
    for (size_t i = 0; i < e->nnodes; i++) {
        enode *n = &e->nodes[i];
        if (n->op == N_AND || n->op == N_PHRASE)
            sort_ord(e, n, 1);
        else if (n->op == N_OR)
            sort_ord(e, n, 0);
    }
    for (size_t i = 0; i < e->nnodes; i++) {
        enode *n = &e->nodes[i];
        n->tier = n->op == N_AND && n->nkids >= 2 && n->nkids <= 8;
        n->hkids = 0;
        for (uint32_t k = 0; k < n->nkids && n->op != N_TERM; k++) {
            const enode *kn = &e->nodes[e->kids[n->kid0 + k]];
            if (!tier_unit(e, kn))
                n->tier = 0;
            else if (n->tier && kn->op != N_TERM)
                n->tier = 2;
            n->hkids = n->hkids || (kn->op == N_TERM && kn->mlo != INFINITY);
        }
    }
    size_t nreal = e->nnodes;
    for (size_t i = 0; i < nreal; i++)
        if (e->nodes[i].op == N_OR && (rc = add_vand(e, (uint32_t)i)) != AS_OK)
            return rc;
    if (as_eng_grow((void **)&e->ppos, &e->cappos, e->nleaves + 1, sizeof *e->ppos))
        return as_eng_fail(e, AS_ENOMEM, "out of memory");
    uint32_t *pn = realloc(e->pn, e->cappos * sizeof *pn);
    if (pn)
        e->pn = pn;
    uint32_t *pi = realloc(e->pi, e->cappos * sizeof *pi);
    if (pi)
        e->pi = pi;
    if (!pn || !pi)
        return as_eng_fail(e, AS_ENOMEM, "out of memory");
    as_eng_reset(e);
    return AS_OK;
}

static void joint_prefix(const as_engine *e, enode *n, const uint32_t *srt);

/* The root value a run may guess that k docs exceed (engine.c: guess),
 * -INFINITY for none: for a root AND of TERMs and one OR of two TERMs
 * that is its rarest unit (the lead of align_tier_lead), the fold of the
 * other kids' bounds and the OR's larger term bound, which no doc with one
 * of the OR's terms only can exceed.  From that wmin on the lead walk is
 * an intersection of the two terms (lead_walk: free, the same fold).
 *
 * Higher still, where every term has a high list: the joint bound of a
 * doc high in none of them (jp[0]), from which the walk lets a doc of the
 * intersection high in no list go by unread (lead_walk: lofree), when the
 * AND likely has k docs above it.  Only a doc high in some list can exceed
 * jp[0]; with the units independent the AND is expected to hold
 *   E = N * (prod_i p_i - prod_i (p_i - h_i))
 * of them, p_i the share of docs in unit i, h_i of those high in one of its
 * terms' lists (an OR's: df and hdf summed, as if its terms never met, the
 * lower p).  Not all of these exceed jp[0], so E must be well over k:
 * GUESS_HI_F k (learning safeguarding reviews: 1M, 5M raised, 100k not). */
#define GUESS_HI_F 16.0

/* A root TERM with a high list: its bound outside the list (mlo), from
 * which the walk runs on the high list alone (hi_pick), when the list
 * likely holds k docs inside the filter's ranges: its postings there
 * (hdf times the ranges' share of the docs, as if the list were spread
 * evenly) at least TERM_GUESS_F k.  Not every one exceeds mlo, and the
 * run checks that k did (engine.c: guess), else walks again from the
 * start. */
#define TERM_GUESS_F 4.0
static double term_guess(const as_engine *e, const enode *n, size_t k)
{
    if (n->mlo == INFINITY || e->ndocs == 0)
        return -INFINITY;
    uint64_t in = 0;
    for (size_t i = 0; i < e->nranges; i++)
        in += e->ranges[i].end - e->ranges[i].start;
    double hdf = e->hterm[n->leaf].df;
    if (!(hdf * ((double)in / e->ndocs) >= TERM_GUESS_F * (double)k))
        return -INFINITY;
    return n->mlo;
}

double as_eng_guess(const as_engine *e, size_t k)
{
    if (e->root < 0)
        return -INFINITY;
    const enode *n = &e->nodes[e->root];
    if (n->op == N_TERM)
        return term_guess(e, n, k);
    if (n->op != N_AND || !n->tier || n->nkids < 2 || n->nkids > 8)
        return -INFINITY;
    const uint32_t *kd = e->kids + n->kid0;
    uint32_t lead = n->nkids;
    double ldf = 0;
    int hi = 1; /* every term has a high list */
    for (uint32_t i = 0; i < n->nkids; i++) {
        const enode *k = &e->nodes[kd[i]];
        if (k->op == N_TERM) {
            hi &= k->mlo != INFINITY;
            continue;
        }
        if (k->op != N_OR || k->nkids != 2 || lead < n->nkids)
            return -INFINITY;
        lead = i;
        for (uint32_t j = 0; j < 2; j++) {
            const enode *t = &e->nodes[e->kids[k->kid0 + j]];
            if (t->op != N_TERM)
                return -INFINITY;
            hi &= t->mlo != INFINITY;
            ldf += e->lterm[t->leaf].df;
        }
    }
    if (lead == n->nkids)
        return -INFINITY;
    double bl = 0, bf = 0;
    const enode *ln = &e->nodes[kd[lead]];
    for (uint32_t j = 0; j < 2; j++)
        if (e->nodes[e->kids[ln->kid0 + j]].maxw > bl)
            bl = e->nodes[e->kids[ln->kid0 + j]].maxw;
    for (uint32_t i = 0; i < n->nkids; i++) {
        const enode *k = &e->nodes[kd[i]];
        double df = i == lead ? ldf : e->lterm[k->leaf].df;
        if (df < ldf || (df == ldf && i < lead))
            return -INFINITY; /* not the lead */
        bf += i == lead ? bl : k->maxw;
    }
    if (!hi || e->guess_hi < 0 || e->ndocs == 0)
        return bf;
    double nd = e->ndocs, pin = 1, plo = 1;
    for (uint32_t i = 0; i < n->nkids; i++) {
        const enode *k = &e->nodes[kd[i]];
        uint32_t m = k->op == N_TERM ? 1 : k->nkids;
        double df = 0, hdf = 0;
        for (uint32_t j = 0; j < m; j++) {
            const enode *t = k->op == N_TERM ? k : &e->nodes[e->kids[k->kid0 + j]];
            df += e->lterm[t->leaf].df;
            hdf += e->hterm[t->leaf].df;
        }
        pin *= df / nd;
        plo *= (df - hdf) / nd;
    }
    if (!e->guess_hi && !(nd * (pin - plo) >= GUESS_HI_F * (double)k))
        return bf;
    /* jp[0] does not depend on the units' order: made on a copy, so that
     * the node's own jp waits for the order its run picks */
    enode c = *n;
    const uint32_t srt[8] = {0, 1, 2, 3, 4, 5, 6, 7};
    joint_prefix(e, &c, srt);
    return c.jp[0] > bf ? c.jp[0] : bf;
}

/* ---- iterators ------------------------------------------------------------- */

/* Impact tiers.  A TERM with a high list (format.h: high) whose threshold
 * wmin is at least mlo, the bound of every posting outside that list, may
 * skip all of those (the contract above), so it walks the high list alone:
 * the list is ~1/16 of the term's and every bound of its blocks holds for
 * the docs it can stop on.  Thresholds only rise, so the switch is made
 * once; it is undone should a lower one come (the main cursor then seeks
 * forward from where it was left).  Positions (phrases) always come from
 * the main cursor, moved to the doc when asked. */
static inline as_pcur *cur(const as_engine *e, const enode *n)
{
    return e->acurs[n->leaf];
}

/* Turns n to its high list (0), or leaves it on its main one when out of
 * memory (-1: correct, only slower). */
static int hi_on(as_engine *e, enode *n)
{
    as_pcur *h = e->hcurs[n->leaf];
    if (!h) {
        h = malloc(sizeof *h);
        if (!h)
            return -1;
        memset(h, 0, sizeof *h);
        e->hcurs[n->leaf] = h;
    }
    if (!n->hinit) {
        as_pcur_init(h, e->ix, &e->hterm[n->leaf]);
        n->hinit = 1;
    }
    n->hion = 1;
    e->acurs[n->leaf] = h;
    n->bb_valid = 0;
    return 0;
}

/* Puts TERM n on the list its threshold wmin allows; only while n is to
 * move (not started, or before the target), so that its cursor always
 * holds its doc. */
static inline void hi_pick(as_engine *e, enode *n, double wmin)
{
    if (n->mlo <= wmin) {
        if (!n->hion)
            hi_on(e, n);
    } else if (n->hion) {
        n->hion = 0;
        e->acurs[n->leaf] = e->curs[n->leaf];
        n->bb_valid = 0;
    }
}


static inline double term_value(as_engine *e, enode *n)
{
    if (n->valdoc != n->doc) {
        const as_pcur *c = cur(e, n);
        n->vallen = as_index_doclen(e->ix, n->doc);
        n->val = bm25(e, n->tw, c->wdf, n->vallen);
        n->valdoc = n->doc;
    }
    return n->val;
}

double as_eng_value(as_engine *e, enode *n)
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
            v += as_eng_value(e, &e->nodes[e->kids[n->kid0 + i]]);
        break;
    case N_OR:
        for (uint32_t i = 0; i < n->nkids; i++) {
            enode *k = &e->nodes[e->kids[n->kid0 + i]];
            if (k->started && k->doc == n->doc)
                v += as_eng_value(e, k);
        }
        break;
    case N_ANDNOT:
        v = as_eng_value(e, &e->nodes[e->kids[n->kid0]]);
        break;
    default:
        break;
    }
    n->val = v;
    n->valdoc = n->doc;
    return v;
}


/* The bounds of a block's wdf classes (format.h: skip): the docs of wdf
 * w < 4 are no shorter than block_mindl[w - 1], the rest no shorter than
 * block_mindl[3] with wdf at most block_maxwdf.  Returns their largest. */
static double class_bounds(const as_engine *e, double tw, const as_pcur *c, double cb[4])
{
    uint32_t mw = c->block_maxwdf;
    double b = 0;
    for (uint32_t w = 1; w <= 4; w++) {
        double v = 0;
        if (w < 4 && w <= mw)
            v = bm25(e, tw, w, c->block_mindl[w - 1]);
        else if (w == 4 && mw >= 4)
            v = bm25(e, tw, mw, c->block_mindl[3]);
        cb[w - 1] = v;
        if (v > b)
            b = v;
    }
    return b;
}

/* The bound of the cursor's current block, cached per block. */
static inline double block_bound(as_engine *e, enode *n, const as_pcur *c)
{
    if (!n->bb_valid || n->bb_last != c->block_last) {
        n->bb_val = class_bounds(e, n->tw, c, n->cb);
        n->bb_last = c->block_last;
        n->bb_valid = 1;
    }
    return n->bb_val;
}

/* Is the cursor's current posting's value above wmin?  Its class bound
 * (the block's bounds are current) answers most postings without looking
 * up the doc's length. */
static inline int term_above(as_engine *e, enode *n, const as_pcur *c, double wmin)
{
    uint32_t w = c->wdf;
    if (n->cb[(w < 4 ? w : 4) - 1] <= wmin)
        return 0;
    return term_value(e, n) > wmin;
}

uint32_t as_eng_first_below(const as_engine *e, double tw, uint32_t w, double wmin)
{
    /* P(L) = bm25(L) <= wmin is false then true as L grows (bm25 falls
     * with doclen operation by operation), so the answer is the one L
     * with P(L) and not P(L - 1).  Bisecting [0, 65536] cost 17 bm25s a
     * wdf, ~750 instructions for three wdfs at each new wmin, and the
     * top-k threshold of a short walk changes at most of its hits
     * (learning council:durham: half of the query at 1M).  Solving
     * tw * w / (k1 * (L * len_factor * b + 1 - b) + w) = wmin for L in
     * real numbers lands on or next to the answer; P itself, computed as
     * bm25 computes it, then decides, by a gallop from the guess and a
     * bisection of what the gallop brackets, so the answer is the
     * bisection's exactly whatever the guess (nan or inf included, where
     * b, k1 or len_factor is 0). */
    const uint32_t top = 65536;
    const double g = ((tw * w / wmin - w) / e->k1 - (1 - e->b)) / e->b / e->len_factor;
    uint32_t x = g >= 0 && g < top ? (uint32_t)g : g >= top ? top - 1 : 0;
    uint32_t lo, hi; /* the answer is in [lo, hi]: P(hi) or hi == top; lo == 0 or !P(lo - 1) */
    if (bm25(e, tw, w, x) <= wmin) {
        lo = 0;
        hi = x;
        for (uint32_t s = 1; hi > 0; s *= 2) {
            uint32_t y = hi > s ? hi - s : 0;
            if (!(bm25(e, tw, w, y) <= wmin)) {
                lo = y + 1;
                break;
            }
            hi = y;
        }
    } else {
        lo = x + 1;
        hi = top;
        for (uint32_t s = 1; lo < top; s *= 2) {
            uint32_t y = top - lo > s - 1 ? lo + (s - 1) : top;
            if (y == top)
                break;
            if (bm25(e, tw, w, y) <= wmin) {
                hi = y;
                break;
            }
            lo = y + 1;
        }
    }
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (bm25(e, tw, w, mid) <= wmin)
            hi = mid;
        else
            lo = mid + 1;
    }
    return lo;
}

/* Is the bound of the cursor's block <= wmin?  The same answer as
 * block_bound(..) <= wmin, mostly without a division: per wmin, the
 * shortest doclen at which each wdf 1..3 scores <= wmin is found once
 * (as_eng_first_below); a block is then below when each of its classes'
 * shortest doc is at least that long. */
static int block_below(as_engine *e, enode *n, const as_pcur *c, double wmin)
{
    if (!(n->lw == wmin)) {
        for (uint32_t w = 1; w <= 3; w++) {
            uint32_t lo = as_eng_first_below(e, n->tw, w, wmin);
            n->lstar[w - 1] = lo == 65536 ? UINT32_MAX : lo;
        }
        n->lw = wmin;
    }
    uint32_t mw = c->block_maxwdf;
    for (uint32_t w = 1; w <= 3 && w <= mw; w++)
        if (c->block_mindl[w - 1] < n->lstar[w - 1])
            return 0;
    return mw < 4 || bm25(e, n->tw, mw, c->block_mindl[3]) <= wmin;
}

static uint32_t adv_term(as_engine *e, enode *n, uint32_t target, double wmin)
{
    if (n->mlo != INFINITY)
        hi_pick(e, n, wmin);
    as_pcur *c = cur(e, n);
    if (!(wmin > 0)) /* every posting has a positive value */
        return n->doc = as_pcur_seek(c, target);
    if (n->maxw <= wmin)
        return n->doc = AS_DOC_END; /* no posting can reach wmin, ever */
    uint32_t last = as_pcur_seek_block(c, target);
    for (;; last = as_pcur_seek_block(c, target)) {
        /* blocks that cannot reach wmin, skipped in a row by their skip
         * entries alone */
        while (last != AS_DOC_END && block_below(e, n, c, wmin)) {
            if (last >= AS_DOC_END - 1)
                return n->doc = AS_DOC_END;
            target = last + 1;
            last = as_pcur_next_block(c);
        }
        if (last == AS_DOC_END)
            return n->doc = AS_DOC_END;
        block_bound(e, n, c); /* the class bounds term_above needs */
        uint32_t d = as_pcur_seek(c, target);
        while (d <= last) {
            n->doc = d;
            if (term_above(e, n, c, wmin))
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

/* A kid's share of wmin: what it must exceed for the node to exceed wmin
 * when every other kid scores its bound. */
static inline double kid_wmin(const enode *n, const enode *k, double wmin)
{
    return wmin - (n->maxw - k->maxw) - n->maxw * AS_ENG_CUSHION;
}

/* A TERM inside a block-max AND window ending at wend: the first posting
 * >= target that lies past wend or, inside the window, has a value above
 * thr (what the other kids' block bounds leave this kid to exceed there;
 * past the window those bounds say nothing, so nothing is skipped). */
static uint32_t adv_term_win(as_engine *e, enode *n, uint32_t target, double thr,
                             uint32_t wend)
{
    if (n->started && (n->doc >= target || n->doc == AS_DOC_END))
        return n->doc;
    n->started = 1;
    as_pcur *c = cur(e, n);
    if (!(thr > 0)) /* every posting has a positive value */
        return n->doc = as_pcur_seek(c, target);
    for (;;) {
        uint32_t last = as_pcur_seek_block(c, target);
        if (last == AS_DOC_END)
            return n->doc = AS_DOC_END;
        if (block_bound(e, n, c) <= thr && last <= wend) {
            if (last >= AS_DOC_END - 1)
                return n->doc = AS_DOC_END;
            target = last + 1;
            continue;
        }
        uint32_t d = as_pcur_seek(c, target);
        while (d <= last) {
            n->doc = d;
            if (d > wend || term_above(e, n, c, thr))
                return d;
            if (d == last)
                break;
            d = as_pcur_next(c);
        }
        if (d == AS_DOC_END || last >= AS_DOC_END - 1)
            return n->doc = AS_DOC_END;
        target = last + 1;
    }
}

/* Bound of a TERM's values over docs [d, *last]: the block-max of its block
 * that holds d (shallow: not decoded).  -1 when the list ends before d. */
static double term_block_bound(as_engine *e, enode *n, uint32_t d, uint32_t *last)
{
    as_pcur *c = cur(e, n);
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

/* term_block_bound without touching the node (only its cursor moves,
 * shallow): a TERM under an OR keeps its doc, by which the OR's heap is
 * ordered. */
static double term_peek_bound(as_engine *e, enode *n, uint32_t d, uint32_t *last)
{
    as_pcur *c = cur(e, n);
    if (n->started && n->doc == AS_DOC_END)
        return -1;
    if ((!n->started || n->doc < d) && as_pcur_seek_block(c, d) == AS_DOC_END)
        return -1;
    *last = c->block_last;
    return block_bound(e, n, c);
}

/* Bound of node ni's values over docs [d, *last] (shallow: cursors move to
 * the blocks holding d undecoded; a node's own doc never moves).  A TERM:
 * its block's bound; an AND or PHRASE: the sum of its kids' (the window
 * where every kid's bound holds); an OR: the sum over kids whose lists go
 * on; ANDNOT: its first kid's.  Summed in kid order, as the value is folded
 * (so the bound of a doc's value is exact, see the top).  -1 when the node
 * matches nothing from d on; *last is at least d otherwise. */
static double node_block_bound(as_engine *e, uint32_t ni, uint32_t d, uint32_t *last, int depth)
{
    enode *n = &e->nodes[ni];
    if (n->started && n->doc == AS_DOC_END)
        return -1;
    *last = AS_DOC_END - 1;
    if (depth > AS_ENG_MAX_DEPTH)
        return n->maxw;
    switch (n->op) {
    case N_TERM:
        return term_peek_bound(e, n, d, last);
    case N_AND:
    case N_PHRASE:
    case N_OR: {
        double s = 0;
        int any = 0;
        for (uint32_t i = 0; i < n->nkids; i++) {
            uint32_t kl = AS_DOC_END - 1;
            double b = node_block_bound(e, e->kids[n->kid0 + i], d, &kl, depth + 1);
            if (b < 0) {
                if (n->op != N_OR)
                    return -1; /* an intersection with an ended list */
                continue;
            }
            any = 1;
            s += b;
            if (kl < *last)
                *last = kl;
        }
        if (!any)
            return -1;
        return s < n->maxw ? s : n->maxw;
    }
    case N_ANDNOT: {
        double b = node_block_bound(e, e->kids[n->kid0], d, last, depth + 1);
        return b < n->maxw ? b : n->maxw;
    }
    default:
        return n->maxw;
    }
}

/* What a TERM can add on a doc of length len inside its cursor's block:
 * its wdf class there has a shortest doc no longer than len, so the bound
 * is BM25 of the class's largest wdf at len itself (the classes in
 * format.h: skip).  The doc has that very length, so this is much tighter
 * than the block's bound. */
static double term_len_bound(const as_engine *e, const enode *n, const as_pcur *c, uint32_t len)
{
    uint32_t mw = c->block_maxwdf;
    if (mw >= 4 && c->block_mindl[3] <= len)
        return bm25(e, n->tw, mw, len);
    for (uint32_t w = mw < 3 ? mw : 3; w >= 1; w--)
        if (c->block_mindl[w - 1] <= len)
            return bm25(e, n->tw, w, len);
    return 0; /* no doc of this block is that short */
}

/* Bound of node ni's value on doc d of length len: a TERM on d gives its
 * value, any other TERM its term_len_bound in the block holding d (moved
 * there shallow), an AND, PHRASE or OR the sum of its kids' in kid order,
 * ANDNOT its first kid's.  0 when the node cannot match d. */
static double node_len_bound(as_engine *e, uint32_t ni, uint32_t d, uint32_t len, int depth)
{
    enode *n = &e->nodes[ni];
    if (n->started && n->doc == AS_DOC_END)
        return 0;
    if (depth > AS_ENG_MAX_DEPTH)
        return n->maxw;
    switch (n->op) {
    case N_TERM: {
        if (n->started && n->doc == d)
            return as_eng_value(e, n);
        uint32_t last;
        if (term_peek_bound(e, n, d, &last) < 0)
            return 0;
        return term_len_bound(e, n, cur(e, n), len);
    }
    case N_AND:
    case N_PHRASE:
    case N_OR: {
        if (n->started && n->doc == d && n->valdoc == d)
            return n->val;
        double s = 0;
        for (uint32_t i = 0; i < n->nkids; i++)
            s += node_len_bound(e, e->kids[n->kid0 + i], d, len, depth + 1);
        return s < n->maxw ? s : n->maxw;
    }
    case N_ANDNOT: {
        double b = node_len_bound(e, e->kids[n->kid0], d, len, depth + 1);
        return b < n->maxw ? b : n->maxw;
    }
    default:
        return n->maxw;
    }
}

/* Kid i of AND/PHRASE n has just landed on candidate d (inside the
 * window, where every other TERM kid's cursor is on the block holding d):
 * can the others still lift d above wmin?  Its value is exact; the others
 * are bounded at d's own length (term_len_bound), an OR of TERMs by the
 * sum of its terms' (moved, shallow, to their blocks holding d), anything
 * else by its window bound bb. */
static int len_reject(as_engine *e, enode *n, uint32_t i, uint32_t d, double wmin,
                      const double *bb)
{
    const uint32_t *o = e->ord + n->kid0;
    enode *ki = &e->nodes[o[i]];
    double s = as_eng_value(e, ki);
    uint32_t len = ki->op == N_TERM ? ki->vallen : as_index_doclen(e->ix, d);
    for (uint32_t j = 0; j < n->nkids; j++) {
        if (j == i)
            continue;
        enode *k = &e->nodes[o[j]];
        if (k->started && k->doc == d) {
            s += as_eng_value(e, k);
        } else if (k->started && k->doc != AS_DOC_END && k->doc > d) {
            return 1; /* it has passed d: d is no match */
        } else if (k->op == N_TERM) {
            s += term_len_bound(e, k, cur(e, k), len);
        } else {
            /* cursors move (shallow) to d's blocks; the nodes' own docs
             * stay, for an OR's heap is ordered by them */
            double os = node_len_bound(e, o[j], d, len, 0);
            s += os < bb[j] ? os : bb[j];
        }
    }
    return s <= wmin - n->maxw * AS_ENG_CUSHION;
}

/* The high cursor of TERM n, initialized on first use this pass. */
static as_pcur *hcur(as_engine *e, enode *n)
{
    if (!n->hinit) {
        as_pcur *h = e->hcurs[n->leaf];
        if (!h) {
            h = malloc(sizeof *h);
            if (!h)
                return NULL;
            memset(h, 0, sizeof *h);
            e->hcurs[n->leaf] = h;
        }
        as_pcur_init(h, e->ix, &e->hterm[n->leaf]);
        n->hinit = 1;
    }
    return e->hcurs[n->leaf];
}

/* What TERM n can score on a doc of length dl that is not in its high
 * list: its wdf is some w <= 3 with dl > L_w (format.h: high); -1 when no
 * such posting can exist (the doc is then not in its list at all). */
static inline double low_bound(const as_engine *e, const as_term *t, const enode *n, uint32_t dl)
{
    double b = -1;
    for (uint32_t w = 1; w <= 3 && w <= t->max_wdf; w++)
        if (dl > n->hl[w - 1]) {
            double v = bm25(e, n->tw, w, dl);
            if (v > b)
                b = v;
        }
    return b;
}

/* Joint bounds.  A doc has one length dl, the same in every list, so the
 * bounds of an AND's units on a doc high in none of them (or in none but
 * a few) are taken at one dl and summed there, not each at its own worst
 * length as the sum of the units' mlo does: with L1..L3 of 15..99 the
 * worst lengths differ from unit to unit (learn, safeguard, review at 1M:
 * 6.93 summed, 6.85 at any one dl).  Where the sum of mlo exceeds the
 * threshold but the joint bound does not, the AND still runs by tiers.
 * The bounds are folded in the kids' order, so they are exact (see the
 * top); per length beyond every L_w + 1 all of them fall with dl (BM25
 * falls with doclen, and every wdf class is then open), so the largest is
 * at some dl up to there. */

/* Unit k (a TERM, or an OR of TERMs) on a doc of length dl: *hi bounds
 * its value there, *lo its value when it is high in none of its terms'
 * high lists (-1: it cannot be so at dl).  0 when none of its terms can be
 * on such a doc. */
static int unit_dl(const as_engine *e, const enode *k, uint32_t dl, double *lo, double *hi)
{
    uint32_t m = k->op == N_TERM ? 1 : k->nkids;
    double l = 0, h = 0;
    int any = 0, low = 0;
    for (uint32_t j = 0; j < m; j++) {
        const enode *t = k->op == N_TERM ? k : &e->nodes[e->kids[k->kid0 + j]];
        const as_term *lt = &e->lterm[t->leaf];
        if (dl < lt->min_doclen || lt->max_wdf == 0)
            continue;
        double v = bm25(e, t->tw, lt->max_wdf, dl);
        double lb = t->mlo == INFINITY ? v : low_bound(e, lt, t, dl);
        any = 1;
        h += v;
        if (lb >= 0) {
            l += lb;
            low = 1;
        }
    }
    *hi = h;
    *lo = low ? l : -1;
    return any;
}

/* Fills AND n's jp: jp[p] bounds the docs high in no unit but (some of)
 * srt[0 .. p), the units by g rising, as a doc of any one length can
 * score: the units of srt[0 .. p) at their bound there, the rest at their
 * low bound.  Between two of the lengths where some term's state changes
 * (its min_doclen, L_w + 1: a low posting of wdf w becomes possible) every
 * unit's bounds fall with dl, and so does their fold: the largest is at
 * one of those lengths, and only they are tried. */
static void joint_prefix(const as_engine *e, enode *n, const uint32_t *srt)
{
    uint32_t nk = n->nkids;
    const uint32_t *kd = e->kids + n->kid0;
    uint32_t lo = 0, nb = 0, br[4 * 64 + 1]; /* <= 8 units of <= 8 terms */
    uint8_t rank[8];
    for (uint32_t p = 0; p < nk; p++)
        rank[srt[p]] = (uint8_t)p;
    for (uint32_t i = 0; i < nk; i++) {
        const enode *k = &e->nodes[kd[i]];
        uint32_t m = k->op == N_TERM ? 1 : k->nkids, umin = UINT32_MAX;
        for (uint32_t j = 0; j < m && j < 8; j++) {
            const enode *t = k->op == N_TERM ? k : &e->nodes[e->kids[k->kid0 + j]];
            uint32_t md = e->lterm[t->leaf].min_doclen;
            if (md < umin)
                umin = md;
            br[nb++] = md;
            for (uint32_t w = 0; w < 3 && t->mlo != INFINITY; w++)
                br[nb++] = t->hl[w] + 1;
        }
        if (umin > lo)
            lo = umin;
    }
    br[nb++] = lo;
    n->jok = 1;
    for (uint32_t p = 0; p <= nk; p++)
        n->jp[p] = -INFINITY;
    for (uint32_t x = 0; x < nb; x++) {
        uint32_t dl = br[x];
        if (dl < lo)
            continue; /* some unit has no doc this short */
        double l[8], h[8];
        uint32_t i;
        for (i = 0; i < nk; i++)
            if (!unit_dl(e, &e->nodes[kd[i]], dl, &l[i], &h[i]))
                break;
        if (i < nk)
            continue;
        for (uint32_t p = 0; p <= nk; p++) {
            double b = 0;
            for (i = 0; i < nk; i++) {
                double v = rank[i] < p ? h[i] : l[i];
                if (v < 0)
                    break;
                b += v;
            }
            if (i == nk && b > n->jp[p])
                n->jp[p] = b;
        }
    }
}

/* The number of n's units (a prefix of srt) a doc may be high in and
 * still not exceed lim, by the joint bound; -1 when even a doc high in
 * none may. */
static int joint_ness(as_engine *e, enode *n, const uint32_t *srt, double lim)
{
    if (!n->jok)
        joint_prefix(e, n, srt);
    if (!(n->jp[0] <= lim))
        return -1;
    int p = 0;
    while ((uint32_t)p < n->nkids && n->jp[p + 1] <= lim)
        p++;
    return p;
}

/* Fills e's tables for the terms of node ni's run by tiers, slot m for
 * term t[m] (NULL: none). */
static void tier_tables(as_engine *e, int32_t ni, enode *const *t, uint32_t nt)
{
    if (e->jnode == ni)
        return;
    /* bm25(e, tw, w, dl) is tw * (w / denom(w, dl)), and the quotient does
     * not depend on the term: made once for all the terms (the same
     * operations in the same order as bm25, so the same doubles), each
     * term's value is then one product, not a division and the length's
     * normalization per entry (~8k instructions a plan for three terms). */
    double q[3][AS_JT_LEN];
    for (uint32_t dl = 0; dl < AS_JT_LEN; dl++) {
        double normlen = (double)dl * e->len_factor;
        if (normlen < e->min_normlen)
            normlen = e->min_normlen;
        double kl = e->k1 * (normlen * e->b + (1 - e->b));
        for (uint32_t w = 1; w <= 3; w++)
            q[w - 1][dl] = (double)w / (kl + (double)w);
    }
    for (uint32_t m = 0; m < nt && m < AS_JT_TERMS; m++) {
        const enode *k = t[m];
        if (!k)
            continue;
        const as_term *lt = &e->lterm[k->leaf];
        /* the term's fields in locals: the tables' stores (doubles) might
         * alias k->tw, so read through k each entry reloaded them */
        const double tw = k->tw;
        const uint32_t mw = lt->max_wdf;
        const uint32_t h1 = mw >= 1 ? k->hl[0] : UINT32_MAX, h2 = mw >= 2 ? k->hl[1] : UINT32_MAX,
                       h3 = mw >= 3 ? k->hl[2] : UINT32_MAX;
        const int nolist = k->mlo == INFINITY;
        double (*jv)[AS_JT_LEN] = e->jv[m];
        double *jl = e->jl[m];
        for (uint32_t dl = 0; dl < AS_JT_LEN; dl++) {
            double v1 = tw * q[0][dl], v2 = tw * q[1][dl], v3 = tw * q[2][dl];
            jv[0][dl] = v1;
            jv[1][dl] = v2;
            jv[2][dl] = v3;
            /* low_bound, from the same values: the best wdf the term can
             * have (<= max_wdf) on a doc this long outside its high list */
            double lb = -1;
            if (dl > h1 && v1 > lb)
                lb = v1;
            if (dl > h2 && v2 > lb)
                lb = v2;
            if (dl > h3 && v3 > lb)
                lb = v3;
            if (nolist)
                lb = mw > 3 ? bm25(e, tw, mw, dl) : mw ? jv[mw - 1][dl] : 0;
            jl[dl] = lb;
        }
    }
    e->jnode = ni;
}

/* Term t in slot m: its value with wdf on a doc of length dl; what it can
 * score there outside its high list (-1: nothing; a term without one: its
 * bound at dl).  From the tables when they hold it, computed alike else. */
static inline double slot_val(const as_engine *e, const enode *t, uint32_t m, uint32_t wdf,
                              uint32_t dl)
{
    if (m < AS_JT_TERMS && dl < AS_JT_LEN && wdf - 1 < 3)
        return e->jv[m][wdf - 1][dl];
    return bm25(e, t->tw, wdf, dl);
}

static inline double slot_low(const as_engine *e, const enode *t, uint32_t m, uint32_t dl)
{
    if (m < AS_JT_TERMS && dl < AS_JT_LEN)
        return e->jl[m][dl];
    const as_term *lt = &e->lterm[t->leaf];
    if (t->mlo == INFINITY)
        return lt->max_wdf ? bm25(e, t->tw, lt->max_wdf, dl) : 0;
    return low_bound(e, lt, t, dl);
}

/* The OR's optional TERM j (align_tier_lead) on a doc of length dl high
 * in none of their lists: its low bound, 0 when absent (a term without a
 * high cursor: its bound at dl, with any wdf). */
static double opt_low(const as_engine *e, uint32_t j, uint32_t dl)
{
    const enode *te = e->ltn[e->lnh + j];
    const as_term *lt = &e->lterm[te->leaf];
    if (e->ohc[j]) {
        double x = low_bound(e, lt, te, dl);
        return x > 0 ? x : 0;
    }
    return dl >= lt->min_doclen ? bound(e, te->tw, lt->max_wdf, dl) : 0;
}

/* Fills tab for AND n led by unit lead of one or two terms (the lead
 * walk's terms e->ltn, set up by align_tier_lead): tab[i][j] bounds a doc
 * on which the lead's terms have wdf i and j (0: absent, 1, 2; 3: 3 or
 * more, bounded at the term's max_wdf, as the value rises with wdf) and no
 * other unit, nor any of the first nopt optional TERMs (ltn[lnh ..)), is
 * high, whatever its length: the lead's exact values and the other units'
 * low bounds, folded in kid order, plus the optional TERMs' opt_low, at
 * the lengths where some term's state changes (as joint_prefix; between
 * them every part falls with dl).  -INFINITY where no such doc can be. */
static __attribute__((noinline)) void lead_tab(as_engine *e, enode *n, uint32_t lead,
                                              uint32_t nopt, double tab[4][4])
{
    uint32_t nk = n->nkids;
    const uint32_t *kd = e->kids + n->kid0;
    const enode *ln = &e->nodes[kd[lead]];
    uint32_t nl = ln->op == N_TERM ? 1 : ln->nkids;
    uint32_t lo = 0, nb = 0, br[4 * 72 + 1];
    for (uint32_t m = 0; m < e->lnh + nopt; m++) {
        const enode *t = e->ltn[m];
        br[nb++] = e->lterm[t->leaf].min_doclen;
        for (uint32_t w = 0; w < 3 && t->mlo != INFINITY; w++)
            br[nb++] = t->hl[w] + 1;
    }
    for (uint32_t i = 0; i < nk; i++) {
        uint32_t umin = UINT32_MAX;
        for (uint32_t m = e->lhb[i]; m < e->lhb[i + 1]; m++)
            if (e->lterm[e->ltn[m]->leaf].min_doclen < umin)
                umin = e->lterm[e->ltn[m]->leaf].min_doclen;
        if (umin > lo)
            lo = umin;
    }
    br[nb++] = lo;
    for (uint32_t a = 0; a < 4; a++)
        for (uint32_t c = 0; c < 4; c++)
            tab[a][c] = -INFINITY;
    for (uint32_t x = 0; x < nb; x++) {
        uint32_t dl = br[x];
        if (dl < lo)
            continue;
        double l[8], h[8];
        uint32_t i;
        for (i = 0; i < nk; i++)
            if (i != lead && (!unit_dl(e, &e->nodes[kd[i]], dl, &l[i], &h[i]) || l[i] < 0))
                break; /* unit i cannot be on such a doc without being high */
        if (i < nk)
            continue;
        double ob = 0;
        for (uint32_t j = 0; j < nopt; j++)
            ob += opt_low(e, j, dl);
        for (uint32_t a = 0; a < 4; a++)
            for (uint32_t c = 0; c < (nl > 1 ? 4u : 1u); c++) {
                uint32_t wl[2] = {a, c};
                double u = 0;
                uint32_t j;
                for (j = 0; j < nl; j++) {
                    const enode *t = e->ltn[e->lhb[lead] + j];
                    if (wl[j] == 0)
                        continue;
                    uint32_t mw = e->lterm[t->leaf].max_wdf;
                    if (dl < e->lterm[t->leaf].min_doclen || wl[j] > mw)
                        break;
                    u += bm25(e, t->tw, wl[j] == 3 ? mw : wl[j], dl);
                }
                if (j < nl || (a == 0 && c == 0))
                    continue;
                double b = 0;
                for (i = 0; i < nk; i++)
                    b += i == lead ? u : l[i];
                if (nopt)
                    b += ob;
                if (b > tab[a][c])
                    tab[a][c] = b;
            }
    }
}

/* Puts unit k (a TERM, or an OR of TERMs) of a run by tiers on the first
 * doc >= cand of its main lists and returns it (AS_DOC_END: none); an OR
 * moved so has its heap and virtual AND rebuilt when next advanced.
 * probe: a TERM unit's cursor moves by as_pcur_probe, for a membership
 * check whose block need not be decoded (no positions are wanted: an
 * AND's unit, not a PHRASE's). */
static inline __attribute__((always_inline)) uint32_t unit_seek(as_engine *e, enode *k,
                                                                uint32_t cand, const int probe)
{
    uint32_t m = k->op == N_TERM ? 1 : k->nkids;
    uint32_t kdoc = AS_DOC_END;
    for (uint32_t j = 0; j < m; j++) {
        enode *te = k->op == N_TERM ? k : &e->nodes[e->kids[k->kid0 + j]];
        if (!(te->started && te->doc >= cand)) {
            te->started = 1;
            te->doc = probe && k->op == N_TERM ? as_pcur_probe(e->curs[te->leaf], cand)
                                               : as_pcur_seek(e->curs[te->leaf], cand);
        }
        if (te->doc < kdoc)
            kdoc = te->doc;
    }
    if (k->op != N_TERM) {
        k->started = 1;
        k->doc = kdoc;
        k->valdoc = AS_DOC_END;
        k->heap_ness = UINT32_MAX;
        k->vmask = 0;
    }
    return kdoc;
}

/* The OR's optional TERMs in align_tier_lead (e->onode; ltn[lnh ..
 * lnh + lnopt)): their high cursors (e->ohc), moved only here while
 * optional, as the units' are, put on the first doc >= d of their lists,
 * ohd[j] (none for a term that walks its high list: AS_DOC_END); returns
 * the mask of those with one. */
static __attribute__((noinline)) uint32_t opt_start(as_engine *e, uint32_t d, uint32_t *ohd)
{
    uint32_t mask = 0;
    for (uint32_t j = 0; j < e->lnopt; j++) {
        as_pcur *h = e->ltn[e->lnh + j]->hion ? NULL : e->lhc[e->lnh + j];
        e->ohc[j] = h;
        ohd[j] = h ? as_pcur_seek(h, d) : AS_DOC_END;
        mask |= (uint32_t)(h != NULL) << j;
    }
    return mask;
}

/* The exact values on cand (length dl) of the optional TERMs t[j] marked
 * in lowm (those behind cand), each sought in its main list (the node and
 * its cursor move together, as everywhere); 0 where absent.  For
 * opt_below (the lead walk) and bm_opt_below (block-max). */
static inline __attribute__((always_inline)) double opt_sought(as_engine *e, enode *const *t,
                                                              uint32_t n, uint32_t lowm,
                                                              uint32_t cand, uint32_t dl)
{
    double s = 0;
    for (uint32_t j = 0; j < n; j++)
        if (lowm >> j & 1 &&
            as_eng_advance(e, (uint32_t)(t[j] - e->nodes), cand, -INFINITY) == cand)
            s += bm25(e, t[j]->tw, cur(e, t[j])->wdf, dl);
    return s;
}

/* Can candidate cand of length dl, whose AND part is bounded by b, not
 * pass the OR's threshold with its optional TERMs?  Each at its exact
 * value where known (a TERM on cand; one past it has none there, or one
 * so low that the OR cannot pass wmin on cand however its other kids
 * score: it was skipped as such, and wmin only rises), else where its
 * high list has cand, else at its low bound.  The order of the sum
 * differs from the OR's fold: owmin has the OR's cushion.  A candidate
 * that passes only by the low bounds of TERMs not yet on it has them
 * sought in their main lists here (a seek each, the OR's next move
 * anyway), and is bounded again with their exact values (0 where
 * absent): most such candidates (hoarding OR self-neglect: ~600 of ~665
 * a query at 1M) lack them, and would else go back to the OR, which
 * seeks them there, then come back through align_tier_lead's setup. */
static inline __attribute__((always_inline)) int opt_below(as_engine *e, uint32_t cand, uint32_t dl,
                                                           double b, uint32_t *ohd)
{
    double bo = 0, bl = 0; /* bl: the low bounds of TERMs behind cand */
    uint32_t lowm = 0;
    for (uint32_t j = 0; j < e->lnopt; j++) {
        enode *te = e->ltn[e->lnh + j];
        const as_term *lt = &e->lterm[te->leaf];
        if (te->started && te->doc >= cand) {
            if (te->doc == cand)
                bo += bm25(e, te->tw, cur(e, te)->wdf, dl);
            continue;
        }
        as_pcur *h = e->ohc[j];
        double x = 0;
        if (h) {
            if (ohd[j] < cand)
                ohd[j] = as_pcur_seek(h, cand);
            if (ohd[j] == cand)
                bo += bm25(e, te->tw, h->wdf, dl);
            else
                x = low_bound(e, lt, te, dl);
        } else if (dl >= lt->min_doclen) {
            x = bound(e, te->tw, lt->max_wdf, dl);
        }
        if (x > 0) {
            bl += x;
            lowm |= 1u << j;
        }
    }
    if (lowm && !(b + bo + bl <= e->owmin) && b + bo <= e->owmin) {
        /* only the TERMs behind cand can lift it: their main lists (the
         * node and its cursor move together, as everywhere) */
        bl = opt_sought(e, e->ltn + e->lnh, e->lnopt, lowm, cand, dl);
        if (b + bo + bl <= e->owmin) {
            e->nopt_main++;
            return 1;
        }
    }
    bo += bl;
    if (b + bo <= e->owmin) {
        e->nopt_rej++;
        return 1;
    }
    return 0;
}

/* An AND run by tiers whose docs high in no unit may still exceed wmin
 * (the joint bound is above it): led by the main lists of its rarest unit
 * instead, every doc of which is a candidate (every match of the AND is
 * one), bounded at its own length before any other main list is read: the
 * lead's exact value, and for every other unit its exact value where its
 * high lists have the doc, its low bound (low_bound: a TERM without a low
 * posting that long cannot be on the doc) elsewhere.  Most candidates end
 * there, on a lookup per unit, where a block-max AND would bound them by
 * the blocks of the other lists, much looser than the lists' own split
 * (format.h: high).  Survivors are checked in the other units' main lists
 * as in align_tier; the lead's terms' nodes move with their cursors, and
 * an OR lead is put on the candidate, its heap and virtual AND rebuilt
 * when next advanced.  An OR's virtual AND (e->onode) bounds a candidate
 * with the OR's optional TERMs too, against the OR's threshold: their
 * values at its length where their high lists have it, their low bounds
 * elsewhere, where the AND alone is bounded against the OR's threshold
 * less their maxw (SAR OR "safeguarding adults review" at 1M: ~5,400
 * candidates a query passed to the main lists, ~600 to the OR, whose
 * bound rejected 500 of them); and a lead of one or two terms has a
 * table with them (lead_tab: jmo, as jm), by which most candidates
 * fall on the lead's wdfs alone, before their lengths are read (where no
 * unit nor optional TERM is high).  Returns as align_tier; *declined = 1
 * (nothing moved) when a unit is not a TERM or OR of TERMs, a term walks
 * its high list, or out of memory. */
static inline __attribute__((always_inline)) uint32_t lead_walk(as_engine *e, enode *n, uint32_t d,
                                                                double wmin, const int withopt,
                                                                const int pair);
static int pair_pick(as_engine *e, const enode *n);
static uint32_t pair_walk(as_engine *e, enode *n, uint32_t d, double wmin);
static uint32_t lead_walk_pair(as_engine *e, enode *n, uint32_t d, double wmin);

static __attribute__((noinline)) uint32_t align_tier_lead(as_engine *e, enode *n, uint32_t d,
                                                          double wmin, int *declined)
{
    uint32_t nk = n->nkids;
    const uint32_t *kd = e->kids + n->kid0; /* fold order */
    const int32_t ni = (int32_t)(n - e->nodes);
    *declined = 1;
    if (e->lnode != ni || e->lnopt != (e->onode == ni ? e->nopt : 0)) {
        /* its units' terms, their high cursors and the lead: the same on
         * every call for n (until a virtual AND is refilled: fill_vand) */
        if (nk > 8)
            return d;
        uint32_t nh = 0, lead = 0;
        double mindf = INFINITY;
        for (uint32_t i = 0; i < nk; i++) {
            enode *k = &e->nodes[kd[i]];
            if (!tier_unit(e, k))
                return d;
            e->lhb[i] = (uint8_t)nh;
            uint32_t m = k->op == N_TERM ? 1 : k->nkids;
            double df = 0;
            for (uint32_t j = 0; j < m; j++) {
                enode *te = k->op == N_TERM ? k : &e->nodes[e->kids[k->kid0 + j]];
                if (te->hion)
                    return d;
                e->ltn[nh] = te;
                e->lhc[nh] = NULL;
                if (te->mlo != INFINITY && !(e->lhc[nh] = hcur(e, te)))
                    return d;
                df += e->lterm[te->leaf].df;
                nh++;
            }
            if (df < mindf) {
                mindf = df;
                lead = i;
            }
        }
        e->lhb[nk] = (uint8_t)nh;
        /* the OR's optional TERMs after them: a high cursor unless the
         * term walks its high list (then bounded by its largest wdf) */
        e->lnopt = e->onode == ni ? e->nopt : 0;
        for (uint32_t j = 0; j < e->lnopt; j++) {
            enode *te = e->opt[j];
            e->ltn[nh + j] = te;
            e->lhc[nh + j] = NULL;
            if (te->mlo != INFINITY && !te->hion && !(e->lhc[nh + j] = hcur(e, te)))
                return d;
        }
        e->lnh = nh;
        e->llead = lead;
        /* the other units' main lists are checked on a candidate at first
         * the rarest first (its miss jumps furthest); a unit that misses
         * moves up one place (lead_walk): a unit's terms often go with the
         * lead's (safeguard with ^sar), so the unit missed most is not
         * always the rarest (learning safeguarding reviews at 1M: learn) */
        const uint32_t *o = e->ord + n->kid0;
        e->lnmo = 0;
        for (uint32_t x = 0; x < nk; x++)
            if (o[x] != kd[lead])
                e->lmo[e->lnmo++] = o[x];
        e->lnode = ni;
    } else {
        e->nlcache++;
    }
    for (uint32_t m = 0; m < e->lnh; m++)
        if (e->ltn[m]->hion)
            return d; /* it walks its high list since */
    *declined = 0;
    if (pair_pick(e, n)) {
        uint32_t r = pair_walk(e, n, d, wmin);
        if (e->lpu < nk)
            return r;
        d = r; /* pairing given up on the lead's doc r: on alone */
    }
    /* three copies of the walk: without optional TERMs it is as it was,
     * but for a lead of two terms (pair: the order of the main lists'
     * checks, e->lmo, and the leaps of free and all) */
    if (e->lnopt)
        return lead_walk(e, n, d, wmin, 1, 0);
    if (e->lhb[e->llead + 1] - e->lhb[e->llead] == 2)
        return lead_walk_pair(e, n, d, wmin);
    return lead_walk(e, n, d, wmin, 0, 0);
}

/* lead_walk's high cursor c (pair) on the first doc >= t, for t past its
 * doc: inside its decoded block, once its wdfs are unpacked (nw == n), a
 * step along docs[] in registers, where as_pcur_seek costs a call, a
 * search and a packed wdf read (~165 instructions a seek at 5M: a
 * candidate's high cursors move a few postings); in a block whose wdfs are
 * still packed, as_pcur_next unpacks them; past the block, as_pcur_seek.
 * Reads and writes the cursor's private fields docs, wdfs, i, n, nw,
 * decoded as tier_scan does (hpos: what it relies on). */
static inline uint32_t hstep(as_engine *e, as_pcur *c, uint32_t t)
{
    if (c->decoded && c->doc != AS_DOC_END && t <= c->block_last) {
        if (c->nw != c->n && as_pcur_next(c) >= t)
            return c->doc;
        if (c->nw == c->n) {
            e->nhstep++;
            uint32_t i = c->i;
            while (c->docs[i] < t) /* docs[n - 1] == block_last >= t */
                i++;
            c->i = i;
            c->doc = c->docs[i];
            c->wdf = c->wdfs[i];
            return c->doc;
        }
    }
    return as_pcur_seek(c, t);
}

/* pair_walk's move of a high cursor c to the first doc >= t: hstep where
 * its list has at most hdfmax postings (AS_HSTEP_F times the lead's), so
 * that a candidate moves it a few postings inside its block; else the
 * seek's gallop. */
static inline __attribute__((always_inline)) uint32_t hreach(as_engine *e, as_pcur *c, uint32_t t,
                                                             uint64_t hdfmax)
{
    return c->df <= hdfmax ? hstep(e, c, t) : as_pcur_seek(c, t);
}

/* lead_walk's leap of free: its lead's two terms to their next doc with
 * both (as_pcur_meet without a limit); pair: by as_pcur_meet_dense, the
 * lead's terms' lists being of near density there (review and ^sar of
 * learning safeguarding reviews; in pair_walk's meets, short ones, it
 * cost more: DoLS +1.2% at 1M).  A call of its own: the choice inlined
 * into the three copies of the walk moved the others' registers (hoarding
 * OR self-neglect +1.1% at 1M). */
static __attribute__((noinline)) void free_meet(as_pcur *a, as_pcur *b, int pair)
{
    if (pair)
        as_pcur_meet_dense(a, b);
    else
        as_pcur_meet(a, b, AS_DOC_END);
}

/* lead_walk's free pair (both of the lead's terms on one doc, which is
 * let go): both to the next doc with both, by a step of the first and the
 * meet that read no wdf (as_pcur_next_meet_dense: the walk reads them,
 * wdf_fresh, where it looks at them), where a step by as_pcur_next
 * unpacks the wdfs of each block it enters; their nodes and ld follow. */
static inline __attribute__((always_inline)) void lead_next_meet(as_pcur *const *lc,
                                                                 enode *const *tn, uint32_t *ld)
{
    as_pcur_next_meet_dense(lc[0], lc[1]);
    for (uint32_t j = 0; j < 2; j++)
        tn[j]->doc = ld[j] = lc[j]->doc;
}

/* lead_walk's lead cursors' wdfs read once lead_next_meet moved them
 * (*stale), before the walk looks at them. */
static inline __attribute__((always_inline)) void wdf_fresh(as_pcur *const *lc, int *stale)
{
    if (*stale) {
        as_pcur_read_wdf(lc[0]);
        as_pcur_read_wdf(lc[1]);
        *stale = 0;
    }
}

/* align_tier_lead's walk (its terms found); withopt: bound candidates
 * with the OR's optional TERMs (opt_below); pair: without them, for a
 * lead of two terms. */
static inline __attribute__((always_inline)) uint32_t lead_walk(as_engine *e, enode *n, uint32_t d,
                                                                double wmin, const int withopt,
                                                                const int pair)
{
    uint32_t nk = n->nkids;
    const uint32_t *kd = e->kids + n->kid0; /* fold order */
    const int32_t ni = (int32_t)(n - e->nodes);
    const uint32_t nh = e->lnh, lead = e->llead;
    enode *const *tn = e->ltn;
    as_pcur *const *hc = e->lhc;
    const uint8_t *hb = e->lhb;
    e->ntier++;
    e->nlead++;
    tier_tables(e, ni, tn, nh);
    enode *ln = &e->nodes[kd[lead]];
    if (ln->op != N_TERM) {
        /* its terms move here: its heap and virtual AND are rebuilt */
        ln->heap_ness = UINT32_MAX;
        ln->vmask = 0;
        ln->valdoc = AS_DOC_END;
    }
    /* hd[m]: the doc of high cursor m (moved only here from now on;
     * AS_DOC_END for the lead's and for terms without one) */
    uint32_t hd[64 + 8];
    for (uint32_t m = 0; m < nh; m++)
        hd[m] = hc[m] && (m < hb[lead] || m >= hb[lead + 1]) ? as_pcur_seek(hc[m], d)
                                                               : AS_DOC_END;
    /* the lead's terms: main cursors lc, docs ld (kept in their nodes) */
    const uint32_t ls = hb[lead], nl = hb[lead + 1] - hb[lead];
    as_pcur *lc[8];
    uint32_t ld[8];
    for (uint32_t j = 0; j < nl; j++) {
        enode *te = tn[ls + j];
        lc[j] = e->curs[te->leaf];
        if (!(te->started && te->doc >= d)) {
            te->started = 1;
            te->doc = as_pcur_seek(lc[j], d);
        }
        ld[j] = te->doc;
    }
    /* the OR's optional TERMs' high cursors: hd[nh ..) */
    const uint32_t nopt = withopt ? e->lnopt : 0;
    const double owmin = e->owmin;
    uint32_t omask = withopt ? opt_start(e, d, hd + nh) : 0;
    /* a lead of one or two terms: its table (lead_tab: jm; with the OR's
     * optional TERMs, jmo) */
    int quick = nl <= 2;
    if (quick && e->jmnode != (int32_t)(n - e->nodes)) {
        lead_tab(e, n, lead, 0, e->jm);
        e->jmnode = (int32_t)(n - e->nodes);
    }
    if (withopt && quick && (e->jmonode != ni || e->jmomask != omask)) {
        lead_tab(e, n, lead, e->lnopt, e->jmo); /* for the high cursors as now */
        e->jmonode = ni;
        e->jmomask = omask;
    }
    /* om: the other units' high cursors; hmin, the first doc one of them
     * is on (every one is on a doc >= hmin: none is high before it);
     * hmino, the same of the optional TERMs' */
    uint8_t om[64];
    uint32_t nom = 0, hmin = AS_DOC_END, hmino = AS_DOC_END;
    for (uint32_t m = 0; m < nh; m++)
        if (hd[m] != AS_DOC_END) {
            om[nom++] = (uint8_t)m;
            if (hd[m] < hmin)
                hmin = hd[m];
        }
    for (uint32_t m = nh; m < nh + nopt; m++)
        if (hd[m] < hmino)
            hmino = hd[m];
    /* solo: a doc with one of the lead's two terms (of any wdf: jm's last
     * row bounds 3 or more) and high in no other unit cannot exceed wmin
     * (jm), so past such a
     * doc the walk may leap to the next doc with both, or high elsewhere
     * (an intersection: as_pcur_meet) */
    int solo = quick && nl == 2;
    for (uint32_t w = 1; w <= 3 && solo; w++)
        solo = e->jm[w][0] <= wmin && e->jm[0][w] <= wmin;
    e->nsolo += (uint64_t)solo;
    /* free: such a doc cannot exceed wmin even high in every other unit
     * (the fold of the lead's larger term bound and the others' bounds),
     * so the leap need not stop where one is high (hmin); the bound is
     * the terms' maxw, so it does not need the table (solo) */
    int free = 0, all = 0;
    if (quick && nl == 2) {
        double bl = 0, bf = 0;
        for (uint32_t j = 0; j < nl; j++)
            if (tn[ls + j]->maxw > bl)
                bl = tn[ls + j]->maxw;
        for (uint32_t i = 0; i < nk; i++)
            bf += i == lead ? bl : e->nodes[kd[i]].maxw;
        free = bf <= wmin;
        e->nfree += (uint64_t)free;
        /* all: short of free, such a doc cannot exceed wmin unless high in
         * every other unit (each a TERM with a high cursor: the fold with
         * any one of them at its bound outside its high list, mlo, is <=
         * wmin), so the leap need not stop where only some are high
         * (learning safeguarding reviews at 1M, theta 8.94 up to 9.34) */
        all = pair && solo && !free && nom >= 2 && nom == nk - 1;
        for (uint32_t x = 0; x < nk && all; x++) {
            if (x == lead)
                continue;
            double bx = 0;
            for (uint32_t i = 0; i < nk; i++) {
                const enode *k = &e->nodes[kd[i]];
                all &= i == lead || k->op == N_TERM;
                bx += i == lead ? bl : i == x ? k->mlo : k->maxw;
            }
            all &= bx <= wmin;
        }
    }
    /* lofree: free, every unit a TERM with a high cursor (the lead's two
     * too), and the joint bound of a doc high in no list (jp[0], left by
     * joint_ness on the way here) at most wmin: a doc of the intersection
     * high in none of the lists goes by without its length or a bound
     * (learning safeguarding reviews at 1M: such a doc weighs at most
     * 9.83, under theta late in the walk).  hl: the lead's high cursors'
     * docs (moved only for lofree) */
    int lofree = pair && free && nom == nk - 1 && n->jok && n->jp[0] <= wmin;
    for (uint32_t i = 0; i < nk && lofree; i++) {
        for (uint32_t m = hb[i]; m < hb[i + 1]; m++)
            lofree &= hc[m] != NULL;
        lofree &= i == lead || (e->nodes[kd[i]].op == N_TERM && hb[i + 1] - hb[i] == 1);
    }
    uint32_t hl[2] = {AS_DOC_END, AS_DOC_END};
    for (uint32_t j = 0; j < 2 && lofree; j++)
        hl[j] = as_pcur_seek(hc[ls + j], d);
    e->nlofree += (uint64_t)lofree;
    const uint32_t *o = e->ord + n->kid0; /* cheapest first */
    uint32_t *const mo = e->lmo;
    const uint32_t nmo = e->lnmo;
    /* the lead's terms moved at next (but for pair: as before) */
    const uint32_t nls = free && pair ? 1 : nl;
    int stale = 0; /* lead_next_meet left the lead's wdfs unread */
    for (;;) {
        uint32_t cand = AS_DOC_END;
        for (uint32_t j = 0; j < nl; j++)
            if (ld[j] < cand)
                cand = ld[j];
        if (ln->op != N_TERM) {
            ln->started = 1;
            ln->doc = cand;
        }
        if (cand == AS_DOC_END)
            return AS_DOC_END;
        if (free && ld[0] != ld[1]) {
            free_meet(lc[0], lc[1], pair);
            for (uint32_t j = 0; j < 2; j++)
                tn[ls + j]->doc = ld[j] = lc[j]->doc;
            continue;
        }
        if (lofree) {
            /* on the intersection (free): high in any list? */
            uint32_t hi = 0;
            for (uint32_t x = 0; x < nom; x++) {
                uint32_t m = om[x];
                if (hd[m] < cand)
                    hd[m] = hstep(e, hc[m], cand);
                hi |= hd[m] == cand;
            }
            for (uint32_t j = 0; j < 2; j++) {
                if (hl[j] < cand)
                    hl[j] = hstep(e, hc[ls + j], cand);
                hi |= hl[j] == cand;
            }
            if (!hi) {
                e->nlorej++;
                if (cand >= AS_DOC_END - 1) {
                    wdf_fresh(lc, &stale);
                    return AS_DOC_END;
                }
                lead_next_meet(lc, tn + ls, ld);
                stale = 1;
                continue;
            }
        }
        wdf_fresh(lc, &stale);
        if (quick) {
            /* high in no other unit: the lead's wdfs alone may settle it
             * (only then are the other units' high cursors moved here:
             * else the bound below moves them) */
            uint32_t w0 = ld[0] == cand ? lc[0]->wdf : 0;
            uint32_t w1 = nl > 1 && ld[1] == cand ? lc[1]->wdf : 0;
            int low = w0 <= 3 && w1 <= 3 && e->jm[w0][w1] <= wmin;
            if (pair && all && low && (w0 == 0 || w1 == 0)) {
                /* one of the lead's terms (all): on to the next doc with
                 * both, or high in every other unit (t: every high cursor
                 * on it); a high cursor moves only to p, the first doc
                 * the lead's cursors may still stop on, so that it never
                 * passes a later candidate */
                uint32_t p = cand, t, lo;
                for (;;) {
                    t = 0;
                    lo = AS_DOC_END;
                    for (uint32_t x = 0; x < nom; x++) {
                        uint32_t m = om[x];
                        if (hd[m] < p)
                            hd[m] = pair ? hstep(e, hc[m], p) : as_pcur_seek(hc[m], p);
                        if (hd[m] > t)
                            t = hd[m];
                        if (hd[m] < lo)
                            lo = hd[m];
                    }
                    if (lo == t)
                        break; /* every one on t (or at the end) */
                    /* no doc before t is high in all: the lead's cursors
                     * to their next doc with both before t, else past it */
                    as_pcur_meet(lc[0], lc[1], t);
                    if (lc[0]->doc == lc[1]->doc)
                        break;
                    p = lc[0]->doc < lc[1]->doc ? lc[0]->doc : lc[1]->doc;
                }
                hmin = lo;
                if (t != cand) {
                    e->nall++;
                    as_pcur_meet(lc[0], lc[1], t);
                    for (uint32_t j = 0; j < 2; j++)
                        tn[ls + j]->doc = ld[j] = lc[j]->doc;
                    continue;
                }
            }
            /* or, with the OR's optional TERMs, high in none of them
             * either (jmo: against the OR's threshold) */
            int lowo = withopt && !low && w0 <= 3 && w1 <= 3 && e->jmo[w0][w1] <= owmin;
            if (lowo && cand >= hmino) {
                hmino = AS_DOC_END;
                for (uint32_t m = nh; m < nh + nopt; m++) {
                    if (hd[m] < cand)
                        hd[m] = as_pcur_seek(e->ohc[m - nh], cand);
                    if (hd[m] < hmino)
                        hmino = hd[m];
                }
            }
            if (lowo && hmino == cand)
                lowo = 0;
            if ((low || lowo) && cand >= hmin) {
                hmin = AS_DOC_END;
                for (uint32_t x = 0; x < nom; x++) {
                    uint32_t m = om[x];
                    if (hd[m] < cand)
                        hd[m] = pair ? hstep(e, hc[m], cand) : as_pcur_seek(hc[m], cand);
                    if (hd[m] < hmin)
                        hmin = hd[m];
                }
            }
            if ((low || lowo) && hmin != cand) {
                if (withopt)
                    e->noptq += (uint64_t)!low;
                if (cand >= AS_DOC_END - 1)
                    return AS_DOC_END;
                if (low && solo && (w0 == 0 || w1 == 0)) {
                    /* the docs with one of the terms and high in no other
                     * unit (before hmin) go by: on to the next with both */
                    as_pcur_meet(lc[0], lc[1], hmin);
                    for (uint32_t j = 0; j < 2; j++)
                        tn[ls + j]->doc = ld[j] = lc[j]->doc;
                    continue;
                }
                if (free && pair && ld[0] == cand && ld[1] == cand) {
                    lead_next_meet(lc, tn + ls, ld);
                    stale = 1;
                    continue;
                }
                d = cand + 1;
                goto next;
            }
        }
        uint32_t dl = as_index_doclen(e->ix, cand);
        double b = 0;
        int ok = 1;
        for (uint32_t i = 0; i < nk; i++) {
            double u = 0;
            if (i == lead) {
                for (uint32_t j = 0; j < nl; j++)
                    if (ld[j] == cand)
                        u += slot_val(e, tn[ls + j], ls + j, lc[j]->wdf, dl);
            } else {
                for (uint32_t m = hb[i]; m < hb[i + 1]; m++) {
                    if (hd[m] < cand)
                        hd[m] = pair ? hstep(e, hc[m], cand) : as_pcur_seek(hc[m], cand);
                    double x;
                    if (hd[m] == cand) {
                        x = slot_val(e, tn[m], m, hc[m]->wdf, dl);
                    } else {
                        x = slot_low(e, tn[m], m, dl);
                        if (!(x > 0)) {
                            if (x < 0 && tn[m] == &e->nodes[kd[i]])
                                ok = 0; /* a TERM unit cannot be on cand */
                            continue;
                        }
                    }
                    u += x;
                }
                if (!ok)
                    break;
            }
            b += u;
        }
        if (ok && b > wmin && !(withopt && opt_below(e, cand, dl, b, hd + nh))) {
            /* the other units' main lists: every unit must have cand (the
             * rarest first: its miss jumps furthest; pair: the order of
             * e->lmo, where the unit that missed moves up one place) */
            uint32_t far = cand;
            for (uint32_t i = 0; !pair && i < nk && far == cand; i++) {
                enode *k = &e->nodes[o[i]];
                if (k == ln)
                    continue;
                uint32_t kdoc = unit_seek(e, k, cand, 0);
                if (kdoc == AS_DOC_END)
                    return AS_DOC_END;
                if (kdoc > cand)
                    far = kdoc;
            }
            for (uint32_t x = 0; pair && x < nmo; x++) {
                uint32_t kdoc = unit_seek(e, &e->nodes[mo[x]], cand, 1);
                if (kdoc == AS_DOC_END)
                    return AS_DOC_END;
                if (kdoc > cand) {
                    far = kdoc;
                    if (x > 0) {
                        uint32_t t = mo[x];
                        mo[x] = mo[x - 1];
                        mo[x - 1] = t;
                        e->nlmove++;
                    }
                    break;
                }
            }
            if (far == cand)
                return cand;
            d = far;
        } else {
            if (cand >= AS_DOC_END - 1)
                return AS_DOC_END;
            if (free && pair && ld[0] == cand && ld[1] == cand) {
                lead_next_meet(lc, tn + ls, ld);
                stale = 1;
                continue;
            }
            d = cand + 1;
        }
    next:
        /* free: only the first of the lead's terms moves to d, the next
         * turn's as_pcur_meet takes the other past it (a step inside its
         * decoded block, where as_pcur_next would decode the block's wdfs) */
        for (uint32_t j = 0; j < nls; j++)
            if (ld[j] < d) {
                ld[j] = ld[j] + 1 == d ? as_pcur_next(lc[j]) : as_pcur_seek(lc[j], d);
                tn[ls + j]->doc = ld[j];
            }
    }
}

/* lead_walk for a lead of two terms (pair), a function of its own: inlined
 * with the other two copies into align_tier_lead, its code (hstep) moved
 * their registers (hoarding OR self-neglect +1.5% at 1M). */
static __attribute__((noinline)) uint32_t lead_walk_pair(as_engine *e, enode *n, uint32_t d,
                                                         double wmin)
{
    return lead_walk(e, n, d, wmin, 0, 1);
}

/* Should AND n's lead walk (align_tier_lead, its terms found) walk the
 * intersection of its lead, one TERM, with the rarest other TERM unit with
 * at most AS_LEAD_PAIR_F times its postings (pair_walk), unless given up
 * for them (AS_LEAD_PAIR_TRY)?  Sets e->lpu, that unit (n->nkids: none). */
static __attribute__((noinline)) int pair_pick(as_engine *e, const enode *n)
{
    uint32_t nk = n->nkids, pu = nk, ls = e->lhb[e->llead];
    const uint32_t *kd = e->kids + n->kid0;
    if (e->lhb[e->llead + 1] - ls == 1 && e->nodes[kd[e->llead]].op == N_TERM) {
        double pdf = (double)AS_LEAD_PAIR_F * e->lterm[e->ltn[ls]->leaf].df;
        for (uint32_t i = 0; i < nk; i++) {
            const enode *k = &e->nodes[kd[i]];
            if (i != e->llead && k->op == N_TERM && e->lterm[k->leaf].df <= pdf) {
                pdf = e->lterm[k->leaf].df;
                pu = i;
            }
        }
    }
    if (pu < nk) {
        int32_t lk = (int32_t)kd[e->llead], pk = (int32_t)kd[pu];
        if (e->plead != lk || e->ppart != pk) {
            e->plead = lk;
            e->ppart = pk;
            e->pmeets = 0;
            e->pmoves = 0;
        }
        if (e->pmeets == UINT32_MAX)
            pu = nk;
    }
    e->lpu = pu;
    return pu < nk;
}

/* align_tier_lead's walk of the intersection of its lead TERM ln and the
 * TERM unit pn = e->lpu (pair_pick): the two lists meet (as_pcur_meet,
 * their nodes moved with their cursors), and each doc both are on is
 * bounded as in lead_walk (by the lead's wdf alone where no other unit
 * nor optional TERM is high: jm, jmo; else at its length, with both at
 * their exact values), then checked in the other units' main lists.  Returns as lead_walk; or, with e->lpu = n->nkids, the lead's
 * doc where pairing was given up (AS_LEAD_PAIR_TRY), from which the walk
 * goes on unpaired.  Kept apart from lead_walk: sharing its code cost the
 * unpaired walks ~1.5% ("or" at 1M) in code generation alone. */
static __attribute__((noinline)) uint32_t pair_walk(as_engine *e, enode *n, uint32_t d, double wmin)
{
    const uint32_t nk = n->nkids, nh = e->lnh, lead = e->llead, pu = e->lpu;
    const int32_t ni = (int32_t)(n - e->nodes);
    const uint32_t *kd = e->kids + n->kid0; /* fold order */
    enode *const *tn = e->ltn;
    as_pcur *const *hc = e->lhc;
    const uint8_t *hb = e->lhb;
    e->ntier++;
    e->nlead++;
    e->npair++;
    tier_tables(e, ni, tn, nh);
    enode *ln = &e->nodes[kd[lead]], *pn = &e->nodes[kd[pu]];
    as_pcur *lc = e->curs[ln->leaf], *pc = e->curs[pn->leaf];
    if (!(ln->started && ln->doc >= d)) {
        ln->started = 1;
        ln->doc = as_pcur_seek(lc, d);
    }
    if (!(pn->started && pn->doc >= d)) {
        pn->started = 1;
        pn->doc = as_pcur_seek(pc, d);
    }
    /* hd[m]: the doc of high cursor m of the other units (moved only here
     * from now on; AS_DOC_END for the lead's), then the OR's optional
     * TERMs' (opt_below); the lead's tables and hmin, hmino as in
     * lead_walk */
    uint32_t hd[64 + 8];
    uint8_t om[64];
    uint32_t nom = 0, hmin = AS_DOC_END, hmino = AS_DOC_END;
    for (uint32_t m = 0; m < nh; m++) {
        hd[m] = hc[m] && m != hb[lead] ? as_pcur_seek(hc[m], d) : AS_DOC_END;
        if (hd[m] != AS_DOC_END) {
            om[nom++] = (uint8_t)m;
            if (hd[m] < hmin)
                hmin = hd[m];
        }
    }
    const uint32_t nopt = e->lnopt;
    const double owmin = e->owmin;
    uint32_t omask = nopt ? opt_start(e, d, hd + nh) : 0;
    for (uint32_t m = nh; m < nh + nopt; m++)
        if (hd[m] < hmino)
            hmino = hd[m];
    if (e->jmnode != ni) {
        lead_tab(e, n, lead, 0, e->jm);
        e->jmnode = ni;
    }
    if (nopt && (e->jmonode != ni || e->jmomask != omask)) {
        lead_tab(e, n, lead, nopt, e->jmo);
        e->jmonode = ni;
        e->jmomask = omask;
    }
    const uint32_t *o = e->ord + n->kid0; /* cheapest first */
    const uint64_t hdfmax = (uint64_t)AS_HSTEP_F * lc->df;
    for (;;) {
        uint32_t cand = ln->doc;
        if (pn->doc != cand && cand != AS_DOC_END) {
            as_pcur_meet(lc, pc, AS_DOC_END);
            e->pmoves += lc->doc != cand;
            ln->doc = cand = lc->doc;
            pn->doc = pc->doc;
            if (++e->pmeets >= AS_LEAD_PAIR_TRY && 2 * e->pmoves < e->pmeets) {
                e->pmeets = UINT32_MAX; /* not again for this lead and unit */
                e->lpu = nk;
                return cand;
            }
        }
        if (cand == AS_DOC_END)
            return AS_DOC_END;
        /* high in no other unit (the pair's included) nor optional TERM:
         * the lead's wdf alone may settle it (jm, jmo: lead_walk) */
        uint32_t w0 = lc->wdf;
        int low = w0 <= 3 && e->jm[w0][0] <= wmin;
        int lowo = nopt && !low && w0 <= 3 && e->jmo[w0][0] <= owmin;
        if (lowo && cand >= hmino) {
            hmino = AS_DOC_END;
            for (uint32_t m = nh; m < nh + nopt; m++) {
                if (hd[m] < cand)
                    hd[m] = hreach(e, e->ohc[m - nh], cand, hdfmax);
                if (hd[m] < hmino)
                    hmino = hd[m];
            }
        }
        if (lowo && hmino == cand)
            lowo = 0;
        if ((low || lowo) && cand >= hmin) {
            hmin = AS_DOC_END;
            for (uint32_t x = 0; x < nom; x++) {
                uint32_t m = om[x];
                if (hd[m] < cand)
                    hd[m] = hreach(e, hc[m], cand, hdfmax);
                if (hd[m] < hmin)
                    hmin = hd[m];
            }
        }
        if ((low || lowo) && hmin != cand) {
            e->noptq += (uint64_t)!low;
            if (cand >= AS_DOC_END - 1)
                return AS_DOC_END;
            d = cand + 1;
            goto next;
        }
        uint32_t dl = as_index_doclen(e->ix, cand);
        double b = 0;
        int ok = 1;
        for (uint32_t i = 0; i < nk && ok; i++) {
            double u = 0;
            if (i == lead) {
                u = slot_val(e, ln, hb[i], lc->wdf, dl);
            } else if (i == pu) {
                u = slot_val(e, pn, hb[i], pc->wdf, dl);
            } else {
                for (uint32_t m = hb[i]; m < hb[i + 1]; m++) {
                    if (hd[m] < cand)
                        hd[m] = hreach(e, hc[m], cand, hdfmax);
                    double x;
                    if (hd[m] == cand) {
                        x = slot_val(e, tn[m], m, hc[m]->wdf, dl);
                    } else {
                        x = slot_low(e, tn[m], m, dl);
                        if (!(x > 0)) {
                            if (x < 0 && tn[m] == &e->nodes[kd[i]])
                                ok = 0; /* a TERM unit cannot be on cand */
                            continue;
                        }
                    }
                    u += x;
                }
            }
            b += u;
        }
        if (ok && b > wmin && !(nopt && opt_below(e, cand, dl, b, hd + nh))) {
            /* the other units' main lists: every unit must have cand */
            uint32_t far = cand;
            for (uint32_t i = 0; i < nk && far == cand; i++) {
                enode *k = &e->nodes[o[i]];
                if (k == ln)
                    continue;
                uint32_t kdoc = unit_seek(e, k, cand, 0);
                if (kdoc == AS_DOC_END)
                    return AS_DOC_END;
                if (kdoc > cand)
                    far = kdoc;
            }
            if (far == cand)
                return cand;
            d = far;
        } else {
            if (cand >= AS_DOC_END - 1)
                return AS_DOC_END;
            d = cand + 1;
        }
    next:
        if (ln->doc < d)
            ln->doc = ln->doc + 1 == d ? as_pcur_next(lc) : as_pcur_seek(lc, d);
    }
}

/* An AND of TERMs and ORs of TERMs with high lists, by tiers.  A doc where
 * unit k (a TERM, or an OR: "high" when in the high list of one of its
 * terms) is not high has k's value <= mlo_k (an OR's: the fold of its
 * terms' mlo, maxw for a term without a high list); call g_k = maxw_k -
 * mlo_k what being high can add.  Once T = wmin - sum(mlo) >= 0, a doc can
 * exceed wmin only if the g of the units it is high in sum to more than T:
 * MaxScore over the "is high" lists.  Units by g rising, the longest prefix
 * whose g sum to <= T is non-essential, and every candidate is in the high
 * list of some term of another (essential) unit: the union of a few small
 * lists instead of an intersection led by a long one.  Each candidate is
 * bounded at its own length (exact values where high, low_bound elsewhere,
 * summed in fold order, an OR's terms folded inside it: exact, see the top)
 * before any main list is read; survivors are checked in the main lists
 * (node docs and cursors move together, as everywhere; an OR unit is put
 * on the first doc >= the candidate one of its terms is on, and its heap
 * and virtual AND rebuilt when next advanced).  Returns the first match
 * >= d that may exceed wmin, or AS_DOC_END; or *declined = 1 (nothing
 * moved) when the high lists' union would not be much shorter than the
 * shortest unit's lists, or a term is already on its high list. */
/* (not inlined: align_tier_terms, inlined in align_bm, is faster alone) */
static __attribute__((noinline)) uint32_t align_tier(as_engine *e, enode *n, uint32_t d,
                                                     double wmin, int *declined)
{
    uint32_t nk = n->nkids;
    const uint32_t *kd = e->kids + n->kid0; /* fold order */
    *declined = 1;
    if (nk > 8)
        return d;
    uint32_t srt[8] = {0}, ness = 0, lead = 0;
    double g[8];
    double smlo = 0, mindf = INFINITY;
    for (uint32_t i = 0; i < nk; i++) {
        const enode *k = &e->nodes[kd[i]];
        double mu, df;
        if (k->op == N_TERM) {
            if (k->mlo == INFINITY || k->hion)
                return d;
            mu = k->mlo;
            df = e->lterm[k->leaf].df;
        } else {
            if (!tier_unit(e, k))
                return d;
            mu = 0;
            df = 0;
            for (uint32_t j = 0; j < k->nkids; j++) {
                const enode *t = &e->nodes[e->kids[k->kid0 + j]];
                if (t->hion)
                    return d;
                mu += t->mlo == INFINITY ? t->maxw : t->mlo;
                df += e->lterm[t->leaf].df;
            }
        }
        smlo += mu;
        if (df < mindf) {
            mindf = df;
            lead = i;
        }
        /* insertion by g rising */
        g[i] = k->maxw - mu;
        uint32_t j = i;
        while (j > 0 && g[srt[j - 1]] > g[i]) {
            srt[j] = srt[j - 1];
            j--;
        }
        srt[j] = i;
    }
    const double cushion = n->maxw * AS_ENG_CUSHION;
    const double t = wmin - smlo - cushion;
    if (t >= 0) {
        double gs = 0;
        while (ness < nk) {
            if (gs + g[srt[ness]] > t)
                break;
            gs += g[srt[ness]];
            ness++;
        }
    }
    /* the joint bound: as tight at least, and often where the sum fails */
    int jn = joint_ness(e, n, srt, wmin - cushion);
    if (jn < 0 && !(t >= 0)) /* a doc high in no list can still exceed wmin */
        return align_tier_lead(e, n, d, wmin, declined);
    int joint = !(t >= 0);
    if (jn > (int)ness)
        ness = (uint32_t)jn;
    if (ness == nk) {
        *declined = 0;
        return AS_DOC_END; /* no doc can exceed wmin */
    }
    double hsum = 0;
    for (uint32_t j = ness; j < nk; j++) {
        const enode *k = &e->nodes[kd[srt[j]]];
        if (k->op == N_TERM)
            hsum += e->hterm[k->leaf].df;
        else
            for (uint32_t m = 0; m < k->nkids; m++)
                hsum += e->hterm[e->nodes[e->kids[k->kid0 + m]].leaf].df;
    }
    /* A rarest unit of two terms both of which a doc needs to exceed wmin
     * (the fold of the larger one's bound and the other units' is <= wmin:
     * align_tier_lead's free) leaves only the docs with both: led by it,
     * an intersection of its two lists (as_pcur_meet), cheaper than the
     * union of the high lists when these hold a fair part of its postings
     * ("learning safeguarding reviews" at 1M: review AND ^sar, 84,564
     * postings, against 28,893 in the high lists). */
    const enode *ld = &e->nodes[kd[lead]];
    if (ld->op == N_OR && ld->nkids == 2) {
        double bl = 0, bf = 0, ldf = 0;
        for (uint32_t j = 0; j < 2; j++) {
            const enode *te = &e->nodes[e->kids[ld->kid0 + j]];
            if (te->maxw > bl)
                bl = te->maxw;
            ldf += e->lterm[te->leaf].df;
        }
        for (uint32_t i = 0; i < nk; i++)
            bf += i == lead ? bl : e->nodes[kd[i]].maxw;
        if (bf <= wmin && ldf <= AS_TIER_MEET_F * hsum) {
            e->nmeet++;
            return align_tier_lead(e, n, d, wmin, declined);
        }
    }
    if (hsum > AS_TIER_F * mindf)
        return d;
    /* the high cursors, per unit: hc[hb[i] ..) (one per term of an OR);
     * tn: their terms */
    as_pcur *hc[64];
    enode *tn[64] = {0};
    uint8_t hb[9], ess[64] = {0};
    uint32_t nh = 0;
    for (uint32_t i = 0; i < nk; i++) {
        enode *k = &e->nodes[kd[i]];
        hb[i] = (uint8_t)nh;
        uint32_t m = k->op == N_TERM ? 1 : k->nkids;
        for (uint32_t j = 0; j < m; j++) {
            enode *te = k->op == N_TERM ? k : &e->nodes[e->kids[k->kid0 + j]];
            tn[nh] = te;
            hc[nh] = NULL;
            if (te->mlo != INFINITY && !(hc[nh] = hcur(e, te)))
                return d;
            nh++;
        }
    }
    hb[nk] = (uint8_t)nh;
    for (uint32_t j = ness; j < nk; j++)
        for (uint32_t m = hb[srt[j]]; m < hb[srt[j] + 1]; m++)
            ess[m] = hc[m] != NULL;
    *declined = 0;
    e->ntier++;
    e->ntieror++;
    e->njoint += (uint64_t)joint;
    tier_tables(e, (int32_t)(n - e->nodes), tn, nh);
    /* hd[m]: the doc of high cursor m (moved only here from now on) */
    uint32_t hd[64];
    for (uint32_t m = 0; m < nh; m++)
        hd[m] = hc[m] ? as_pcur_seek(hc[m], d) : AS_DOC_END;
    const uint32_t *o = e->ord + n->kid0; /* cheapest first */
    for (;;) {
        uint32_t cand = AS_DOC_END;
        for (uint32_t m = 0; m < nh; m++)
            if (ess[m]) {
                if (hd[m] < d)
                    hd[m] = hd[m] + 1 == d ? as_pcur_next(hc[m]) : as_pcur_seek(hc[m], d);
                if (hd[m] < cand)
                    cand = hd[m];
            }
        if (cand == AS_DOC_END)
            return AS_DOC_END;
        uint32_t dl = as_index_doclen(e->ix, cand);
        double b = 0;
        int ok = 1;
        for (uint32_t i = 0; i < nk && ok; i++) {
            enode *k = &e->nodes[kd[i]];
            double u = 0;
            for (uint32_t m = hb[i]; m < hb[i + 1]; m++) {
                double lb;
                if (hc[m] && hd[m] < cand)
                    hd[m] = as_pcur_seek(hc[m], cand);
                if (hc[m] && hd[m] == cand) {
                    lb = slot_val(e, tn[m], m, hc[m]->wdf, dl);
                } else {
                    lb = slot_low(e, tn[m], m, dl);
                    if (lb < 0 && k->op == N_TERM)
                        ok = 0;
                }
                if (lb > 0)
                    u += lb;
            }
            b += u;
        }
        if (ok && b > wmin) {
            /* the main lists: every unit must have cand */
            uint32_t far = cand;
            for (uint32_t i = 0; i < nk && far == cand; i++) {
                enode *k = &e->nodes[o[i]];
                uint32_t kdoc = unit_seek(e, k, cand, 0);
                if (kdoc == AS_DOC_END)
                    return AS_DOC_END;
                if (kdoc > cand)
                    far = kdoc;
            }
            if (far == cand)
                return cand;
            d = far;
            continue;
        }
        if (cand >= AS_DOC_END - 1)
            return AS_DOC_END;
        d = cand + 1;
    }
}

/* What a doc can score in AND n of TERMs tn[0..nk) (after tier_tables)
 * when kid m is high with wdf w[m] <= 3 (0: kid m not high; 4: wdf 4 or
 * more, bounded at the term's max_wdf, the value rising with wdf), whatever
 * its length: the high kids' values and the others' low bounds, folded in kid
 * order, at the lengths where some other kid's low bound opens a wdf class
 * (L + 1) and at the shortest the doc can have (every kid is on a doc that
 * matches); up to the longest its high postings allow (L_w); between those
 * lengths every part falls with the length.  -INFINITY where no such doc
 * can be. */
static double high_bound(as_engine *e, enode *const *tn, uint32_t nk, const uint32_t *w)
{
    uint32_t lo = 0, hi = UINT32_MAX, wv[8];
    for (uint32_t j = 0; j < nk; j++) {
        const as_term *lt = &e->lterm[tn[j]->leaf];
        if (lt->min_doclen > lo)
            lo = lt->min_doclen;
        if (w[j] > lt->max_wdf)
            return -INFINITY; /* no such posting */
        /* w 4: wdf 4 or more, at any length; its value at most max_wdf's */
        wv[j] = w[j] < 4 ? w[j] : lt->max_wdf;
        if (w[j] && w[j] < 4 && tn[j]->hl[w[j] - 1] < hi)
            hi = tn[j]->hl[w[j] - 1];
    }
    double mx = -INFINITY;
    uint32_t br[1 + 3 * 8], nb = 0;
    br[nb++] = lo;
    for (uint32_t j = 0; j < nk; j++)
        for (uint32_t v = 0; v < 3 && !w[j]; v++)
            if (tn[j]->hl[v] + 1 > lo && tn[j]->hl[v] + 1 <= hi)
                br[nb++] = tn[j]->hl[v] + 1;
    for (uint32_t x = 0; x < nb && lo <= hi; x++) {
        uint32_t dl = br[x];
        double b = 0;
        uint32_t j;
        for (j = 0; j < nk; j++) {
            double v = w[j] ? slot_val(e, tn[j], j, wv[j], dl) : slot_low(e, tn[j], j, dl);
            if (v < 0)
                break; /* kid j cannot be on such a doc */
            b += v;
        }
        if (j == nk && b > mx)
            mx = b;
    }
    return mx;
}

/* Fills e->hq for AND n of TERMs tn[0..nk) (align_tier_terms, after
 * tier_tables): hq[i][w - 1] bounds a doc on which kid i is high with wdf
 * w <= 3 and no other kid is high, whatever its length (high_bound).  Most
 * candidates of a common AND are high in one kid only, and most of those
 * fall below wmin whatever their length: rejected without a doclen.  For
 * two or three kids e->hk instead, the same for every set of high kids and
 * their wdfs (tier_scan), each made when first wanted (hk_fill; NaN until
 * then): a doc high in two kids is short, where a third kid's low bound
 * often cannot be (local authority staff at 1M: ~8.5k of ~14.5k
 * candidates a query that hq let through were high in two), and an OR's
 * virtual AND, made afresh for many of its candidates, wants few. */
static void single_table(as_engine *e, enode *n, enode *const *tn, uint32_t nk)
{
    if (nk <= 3) {
        for (uint32_t key = 0; key < 512; key++)
            e->hk[key] = NAN;
    } else {
        uint32_t w[8] = {0};
        for (uint32_t i = 0; i < nk; i++) {
            for (w[i] = 1; w[i] <= 3; w[i]++)
                e->hq[i][w[i] - 1] = high_bound(e, tn, nk, w);
            w[i] = 0;
        }
    }
    e->hqnode = (int32_t)(n - e->nodes);
}

/* e->hk[key] and e->hkm[key] (single_table) for an AND of nk <= 3 TERMs
 * tn: key holds 3 bits a kid, its wdf in its high list (0: not there, 4:
 * 4 or more). */
static void hk_fill(as_engine *e, enode *const *tn, uint32_t nk, uint32_t key)
{
    uint32_t w[3], nh = 0, big = 0;
    for (uint32_t j = 0; j < 3; j++) {
        w[j] = key >> (3 * j) & 7;
        nh += w[j] != 0;
        big |= w[j] > 4 || (j >= nk && w[j]);
    }
    e->hk[key] = big || !nh ? INFINITY : high_bound(e, tn, nk, w);
    e->hkm[key] = 1 + ((uint64_t)(nh > 1) << 32);
}

/* tier_scan's place in high cursor c: the doc x at index i of its decoded
 * block, whose first n postings' docs and wdfs may be read directly (n: 0
 * when its wdfs are still packed, or past its end).  The merge steps these
 * indices in registers, as postings.c's meet_blocks does inside two
 * cursors, and writes them back to the cursor (hsync) before any cursor
 * call: a step costs a few instructions where as_pcur_next costs ~30.
 * This reads (and hsync writes) the cursor's private fields docs, wdfs, i,
 * n, nw, decoded (index.h): the only place outside postings.c that does;
 * it relies on load_block/need_wdfs keeping docs[0..n) and, once nw == n,
 * wdfs[0..n) valid for the decoded block, and on i, doc and wdf naming the
 * current posting. */
typedef struct {
    uint32_t x, i, n;
} hpos;

static inline uint32_t hlim(const as_pcur *c)
{
    return c->decoded && c->doc != AS_DOC_END ? c->nw : 0;
}

static inline void hsync(as_pcur *c, hpos p)
{
    if (p.n && p.i != c->i) {
        c->i = p.i;
        c->doc = c->docs[p.i];
        c->wdf = c->wdfs[p.i];
    }
}

/* Moves p (of c) to the first doc >= t, p.x < t: through the rest of the
 * readable block, else by the cursor (a step inside its block, which
 * unpacks the wdfs after a seek, or a seek past it). */
static __attribute__((noinline)) hpos hmove(as_pcur *c, hpos p, uint32_t t)
{
    for (;;) {
        while (p.i + 1 < p.n) {
            p.i++;
            if (c->docs[p.i] >= t) {
                p.x = c->docs[p.i];
                return p;
            }
        }
        hsync(c, p);
        /* the next block is mostly the one holding t: loaded by a step,
         * with its wdfs, where a seek would search the skip table, load
         * it without them and a step unpack them */
        p.x = as_pcur_next(c);
        if (p.x < t && t > c->block_last)
            p.x = as_pcur_seek(c, t);
        p.i = c->i;
        p.n = hlim(c);
        if (p.x >= t)
            return p;
    }
}

static inline __attribute__((always_inline)) void hto(as_pcur *c, hpos *p, uint32_t t)
{
    if (p->x >= t)
        return;
    if (p->i + 1 < p->n && c->docs[p->i + 1] >= t) {
        p->i++;
        p->x = c->docs[p->i];
    } else if (p->i + 2 < p->n && c->docs[p->i + 2] >= t) {
        p->i += 2;
        p->x = c->docs[p->i];
    } else if (p->i + 3 < p->n && c->docs[p->i + 3] >= t) {
        p->i += 3;
        p->x = c->docs[p->i];
    } else {
        *p = hmove(c, *p, t);
    }
}

/* tier_scan's candidate cand, kid m high in its list with wdf w[m] (0: not
 * there): 0 when its bound at its own length (exact values of the kids it
 * is high in, low_bound for the others, summed in fold order, as
 * tier_exact) cannot exceed wmin.  Most candidates that hk lets through
 * fall here (local authority staff at 1M: ~5.7k of ~7k a search), so the
 * merge goes on without returning. */
static inline __attribute__((always_inline)) int scan_len(as_engine *e, enode *const *tn,
                                                         uint32_t nk, uint32_t cand,
                                                         const uint32_t *w, double wmin)
{
    uint32_t dl = as_index_doclen(e->ix, cand);
    double b = 0;
#pragma GCC unroll 3
    for (uint32_t i = 0; i < nk; i++) {
        if (w[i]) {
            b += slot_val(e, tn[i], i, w[i], dl);
        } else {
            double lb = slot_low(e, tn[i], i, dl);
            if (lb < 0)
                return 0;
            b += lb;
        }
    }
    return b > wmin;
}

/* (one for two kids, one for three: the loop unrolled) */
static __attribute__((noinline)) int scan_len2(as_engine *e, enode *const *tn, uint32_t cand,
                                               const uint32_t *w, double wmin)
{
    return scan_len(e, tn, 2, cand, w, wmin);
}

static __attribute__((noinline)) int scan_len3(as_engine *e, enode *const *tn, uint32_t cand,
                                               const uint32_t *w, double wmin)
{
    return scan_len(e, tn, 3, cand, w, wmin);
}

/* align_tier_terms' merge for an AND of nk = 2 or 3 TERMs: the first doc
 * >= d in an essential kid's high list (bit m of em: kid m essential)
 * that e->hk does not reject (its high kids' wdfs decide, whatever its
 * length), every high cursor left on its first doc >= it; AS_DOC_END when
 * none.  Most candidates of a common AND end here, a table look-up each.
 * nk and em are constants where it is inlined (tier_scan2, tier_scan3):
 * the cursors' places live in registers. */
static inline __attribute__((always_inline)) uint64_t tier_scan(as_engine *e, enode *const *tn,
                                                               as_pcur *const *hc,
                                                               uint32_t nk, uint32_t em,
                                                               uint32_t d, double wmin)
{
    hpos p[3];
    as_pcur *c[3];
#pragma GCC unroll 3
    for (uint32_t m = 0; m < nk; m++) {
        c[m] = hc[m];
        p[m].x = c[m]->doc;
        p[m].i = c[m]->i;
        p[m].n = hlim(c[m]);
    }
    const double *hk = e->hk;
    const uint64_t *hm = e->hkm;
    uint64_t rejc = 0, slen = 0, nfast = 0, ret = AS_DOC_END; /* rejc: hkm's sums */
    for (;;) {
        /* Inside the blocks every cursor is on (and every essential one at
         * d or past it), the merge of the blocks' arrays: the postings'
         * places in locals, a step a compare and an index; it leaves at a
         * block's end (to the general step below, which crosses it) or
         * with a candidate that passes both bounds. */
        int fast = 1;
#pragma GCC unroll 3
        for (uint32_t m = 0; m < nk; m++) {
            if (!p[m].n)
                fast = 0;
            else if ((em >> m & 1) && p[m].x < d) {
                if (p[m].i + 1 < p[m].n && c[m]->docs[p[m].i + 1] >= d) {
                    p[m].i++;
                    p[m].x = c[m]->docs[p[m].i];
                } else {
                    fast = 0;
                }
            }
        }
        if (fast) {
            const uint32_t *D[3], *W[3];
            uint32_t I[3], N[3], X[3];
#pragma GCC unroll 3
            for (uint32_t m = 0; m < nk; m++) {
                D[m] = c[m]->docs;
                W[m] = c[m]->wdfs;
                I[m] = p[m].i;
                N[m] = p[m].n;
                X[m] = p[m].x;
            }
            int out; /* 1: a block's end, 2: a candidate passed */
            nfast++;
            uint32_t cand, key;
            for (;;) {
                cand = AS_DOC_END;
#pragma GCC unroll 3
                for (uint32_t m = 0; m < nk; m++)
                    if ((em >> m & 1) && X[m] < cand)
                        cand = X[m];
                out = 0;
#pragma GCC unroll 3
                for (uint32_t m = 0; m < nk; m++)
                    if (!(em >> m & 1))
                        while (X[m] < cand) {
                            if (I[m] + 1 >= N[m]) {
                                out = 1;
                                break;
                            }
                            I[m]++;
                            X[m] = D[m][I[m]];
                        }
                if (out) {
                    d = cand; /* not looked at yet */
                    break;
                }
                key = 0;
#pragma GCC unroll 3
                for (uint32_t m = 0; m < nk; m++)
                    if (X[m] == cand) {
                        uint32_t w = W[m][I[m]];
                        key += (w < 4 ? w : 4) << (3 * m);
                    }
                if (!(hk[key] <= wmin)) {
                    uint32_t wv[3] = {0, 0, 0};
#pragma GCC unroll 3
                    for (uint32_t m = 0; m < nk; m++)
                        if (X[m] == cand)
                            wv[m] = W[m][I[m]];
                    if (isnan(hk[key]) || (nk == 2 ? scan_len2(e, tn, cand, wv, wmin)
                                                   : scan_len3(e, tn, cand, wv, wmin))) {
                        out = 2;
                        break;
                    }
                    slen++;
                } else {
                    rejc += hm[key];
                }
#pragma GCC unroll 3
                for (uint32_t m = 0; m < nk; m++)
                    if ((em >> m & 1) && X[m] == cand) {
                        if (I[m] + 1 >= N[m])
                            out = 1;
                        else
                            X[m] = D[m][++I[m]];
                    }
                if (out) {
                    d = cand + 1;
                    break;
                }
            }
#pragma GCC unroll 3
            for (uint32_t m = 0; m < nk; m++) {
                p[m].i = I[m];
                p[m].x = X[m];
            }
            if (out == 2) {
                ret = cand | (uint64_t)key << 32;
                break;
            }
        }
        uint32_t cand = AS_DOC_END;
#pragma GCC unroll 3
        for (uint32_t m = 0; m < nk; m++)
            if (em >> m & 1) {
                hto(c[m], &p[m], d);
                if (p[m].x < cand)
                    cand = p[m].x;
            }
        if (cand == AS_DOC_END) {
            ret = AS_DOC_END;
            break;
        }
        uint32_t key = 0, wv[3] = {0, 0, 0};
#pragma GCC unroll 3
        for (uint32_t m = 0; m < nk; m++) {
            if (!(em >> m & 1))
                hto(c[m], &p[m], cand);
            if (p[m].x == cand) {
                uint32_t w = p[m].n ? c[m]->wdfs[p[m].i] : c[m]->wdf;
                wv[m] = w;
                key += (w < 4 ? w : 4) << (3 * m);
            }
        }
        if (!(hk[key] <= wmin)) {
            if (isnan(hk[key]) || (nk == 2 ? scan_len2(e, tn, cand, wv, wmin)
                                           : scan_len3(e, tn, cand, wv, wmin))) {
                ret = cand | (uint64_t)key << 32;
                break;
            }
            slen++;
        } else {
            rejc += hm[key];
        }
        if (cand >= AS_DOC_END - 1) {
            ret = AS_DOC_END;
            break;
        }
        d = cand + 1;
    }
#pragma GCC unroll 3
    for (uint32_t m = 0; m < nk; m++)
        hsync(c[m], p[m]);
    e->nhq += rejc & 0xffffffffu;
    e->nhk += rejc >> 32;
    e->nslen += slen;
    e->nsfast += nfast;
    return ret;
}

static __attribute__((noinline)) uint64_t tier_scan2(as_engine *e, enode *const *tn,
                                                     as_pcur *const *hc, uint32_t em, uint32_t d,
                                                     double wmin)
{
    switch (em) {
    case 1:
        return tier_scan(e, tn, hc, 2, 1, d, wmin);
    case 2:
        return tier_scan(e, tn, hc, 2, 2, d, wmin);
    default:
        return tier_scan(e, tn, hc, 2, 3, d, wmin);
    }
}

static __attribute__((noinline)) uint64_t tier_scan3(as_engine *e, enode *const *tn,
                                                     as_pcur *const *hc, uint32_t em, uint32_t d,
                                                     double wmin)
{
    switch (em) {
    case 1:
        return tier_scan(e, tn, hc, 3, 1, d, wmin);
    case 2:
        return tier_scan(e, tn, hc, 3, 2, d, wmin);
    case 3:
        return tier_scan(e, tn, hc, 3, 3, d, wmin);
    case 4:
        return tier_scan(e, tn, hc, 3, 4, d, wmin);
    case 5:
        return tier_scan(e, tn, hc, 3, 5, d, wmin);
    case 6:
        return tier_scan(e, tn, hc, 3, 6, d, wmin);
    default:
        return tier_scan(e, tn, hc, 3, 7, d, wmin);
    }
}

/* align_tier_terms' candidate cand (high cursor i at hd[i], none behind
 * it but those it seeks here), bounded at its own length (exact values of
 * the kids it is high in, low_bound for the others, summed in fold order),
 * then checked in the main lists: 1 when it may exceed wmin and every kid
 * is on it; else 0 and *d the next doc to look at (AS_DOC_END: none). */
static inline __attribute__((always_inline)) int tier_exact(as_engine *e, uint32_t nk,
                                                           enode *const *tn, as_pcur *const *hc,
                                                           uint32_t *hd, const uint32_t *o,
                                                           const uint8_t *oi, uint32_t cand,
                                                           double wmin, int bounded, int probe,
                                                           uint32_t *d)
{
    uint32_t i = bounded ? nk : 0; /* bounded: tier_scan's scan_len passed it */
    uint32_t dl = bounded ? 0 : as_index_doclen(e->ix, cand);
    double b = bounded ? INFINITY : 0;
    for (; i < nk; i++) {
        if (hd[i] < cand)
            hd[i] = as_pcur_seek(hc[i], cand);
        if (hd[i] == cand) {
            b += slot_val(e, tn[i], i, hc[i]->wdf, dl);
        } else {
            double lb = slot_low(e, tn[i], i, dl);
            if (lb < 0)
                break;
            b += lb;
        }
    }
    if (i == nk && b > wmin) {
        /* the main lists: every kid must have cand; those whose high
         * lists have it (a part of their main lists) last, so that a
         * miss is found before they decode */
        uint32_t far = cand;
        for (uint32_t pass = 0; pass < 2 && far == cand; pass++)
            for (i = 0; i < nk; i++) {
                if ((hd[oi[i]] == cand) != pass)
                    continue;
                enode *k = &e->nodes[o[i]];
                if (!(k->started && k->doc >= cand)) {
                    k->started = 1;
                    /* probe: no positions wanted (an AND, not a
                     * PHRASE), the block need not be decoded */
                    k->doc = probe ? as_pcur_probe(e->curs[k->leaf], cand)
                                   : as_pcur_seek(e->curs[k->leaf], cand);
                }
                if (k->doc == AS_DOC_END) {
                    *d = AS_DOC_END;
                    return 0;
                }
                if (k->doc > cand) {
                    far = k->doc;
                    break;
                }
            }
        if (far == cand)
            return 1;
        *d = far;
        return 0;
    }
    *d = cand >= AS_DOC_END - 1 ? AS_DOC_END : cand + 1;
    return 0;
}

/* align_tier_terms' walk for an AND of two or three TERMs: candidates by
 * tier_scan, those it lets through by tier_exact.  (Apart: inlined into
 * align_tier_terms it made the walk for more kids ~2% dearer.) */
static inline __attribute__((always_inline)) uint32_t tier_few(as_engine *e, uint32_t nk,
                                                              enode *const *tn,
                                                              as_pcur *const *hc, uint32_t *hd,
                                                              const uint32_t *o,
                                                              const uint8_t *oi, uint32_t em,
                                                              uint32_t d, double wmin, int probe)
{
    for (;;) {
        uint64_t r = nk == 2 ? tier_scan2(e, tn, hc, em, d, wmin)
                             : tier_scan3(e, tn, hc, em, d, wmin);
        uint32_t cand = (uint32_t)r, key = (uint32_t)(r >> 32);
        if (cand == AS_DOC_END)
            return AS_DOC_END;
        for (uint32_t i = 0; i < nk; i++)
            hd[i] = hc[i]->doc;
        int bounded = 1;
        if (isnan(e->hk[key])) { /* not made yet */
            bounded = 0;
            hk_fill(e, tn, nk, key);
            if (e->hk[key] <= wmin) {
                e->nhq++;
                e->nhk += e->hkm[key] >> 32;
                if (cand >= AS_DOC_END - 1)
                    return AS_DOC_END;
                d = cand + 1;
                continue;
            }
        }
        if (tier_exact(e, nk, tn, hc, hd, o, oi, cand, wmin, bounded, probe, &d))
            return cand;
        if (d == AS_DOC_END)
            return AS_DOC_END;
    }
}

static __attribute__((noinline)) uint32_t tier_few2(as_engine *e, enode *const *tn,
                                                    as_pcur *const *hc, uint32_t *hd,
                                                    const uint32_t *o, const uint8_t *oi,
                                                    uint32_t em, uint32_t d, double wmin,
                                                    int probe)
{
    return tier_few(e, 2, tn, hc, hd, o, oi, em, d, wmin, probe);
}

static __attribute__((noinline)) uint32_t tier_few3(as_engine *e, enode *const *tn,
                                                    as_pcur *const *hc, uint32_t *hd,
                                                    const uint32_t *o, const uint8_t *oi,
                                                    uint32_t em, uint32_t d, double wmin,
                                                    int probe)
{
    return tier_few(e, 3, tn, hc, hd, o, oi, em, d, wmin, probe);
}

/* A run by windows wants its kids' high lists to hold this many postings
 * at least (the run's set-up, ~30k instructions, and a scan of every
 * list, the non-essential ones too: local authority staff at 100k, 7.1k
 * postings, loses 1.6%, at 1M, 74k, gains) ... */
#define AS_WIN_MIN 32768
/* ... and this many times more in its essential kids' lists than in the
 * others' (hoarding carers, where carers' list is 4x hoarding's and not
 * essential, loses 5% at 1M: tier_scan seeks carers' list by candidate). */
#define AS_WIN_ESS 2

/* Runs by windows.  tier_scan merges the high lists posting by posting,
 * each candidate of an essential kid moving every list and looking up hk
 * (~50 instructions), where most of them fall to hk: local authority staff
 * at 1M, ~43k candidates a search, ~7k through hk, ~110 matches.  For the
 * root AND of two or three TERMs, tier_win instead takes AS_WIN_DOCS docs
 * at a time: each kid's high postings there are written into a table by
 * doc (wacc: its wdfs, 3 bits a kid, the essential kids first, noting the
 * docs they are high on), then each doc noted is bounded by hk and, if it
 * passes, at its length (scan_len); the few left are sorted and checked
 * in the main lists (tier_exact) in doc order.  A posting costs a store
 * or two, a candidate a look-up, and no list moves per candidate.  Sound
 * because the root's wmin never falls within a search (a doc rejected at a
 * lower one stays rejected; should it fall, as after a reset, the run
 * starts afresh), and the window's cursors are its own: no other path
 * moves them. */

/* win_put's step through posting i .. n - 1 (docs D, wdfs W) of a
 * decoded block, all < hi: an essential kid (touch) notes each doc no kid
 * was high on yet, a branch-free append; another writes only docs noted
 * (the others cannot score).  Returns the new count of notes. */
static inline __attribute__((always_inline)) uint32_t win_run(uint16_t *restrict acc,
                                                             uint16_t *restrict tch, uint32_t t,
                                                             const uint32_t *D,
                                                             const uint32_t *W, uint32_t i,
                                                             uint32_t n, uint32_t lo, unsigned sh,
                                                             int touch, int cap)
{
    for (; i < n; i++) {
        uint32_t p = D[i] - lo, w = W[i], v = acc[p];
        if (cap)
            w = w < 7 ? w : 7;
        if (touch) {
            tch[t] = (uint16_t)p;
            t += v == 0;
            acc[p] = (uint16_t)(v | w << sh);
        } else if (v) {
            acc[p] = (uint16_t)(v | w << sh);
        }
    }
    return t;
}

/* Writes the high postings of cursor c in [lo, hi) into e->wacc (doc -
 * lo) as wdf (at most 7) << sh: with touch (an essential kid), each doc
 * not yet written is appended to e->wtouch (from *nt); else only docs
 * already written are.  c is left on its first doc >= hi. */
static void win_put(as_engine *e, as_pcur *c, uint32_t lo, uint32_t hi, unsigned sh, int touch,
                    uint32_t *nt)
{
    uint16_t *acc = e->wacc;
    uint32_t x = c->doc < lo ? as_pcur_seek(c, lo) : c->doc;
    uint32_t t = *nt;
    while (x < hi) {
        uint32_t i = c->i, n = c->nw;
        if (n && c->decoded && i < n && c->docs[i] == x) {
            /* the decoded block's arrays, read directly (hpos, above): up
             * to the first doc >= hi, found by a binary search */
            const uint32_t *D = c->docs, *W = c->wdfs;
            uint32_t end = n;
            if (D[n - 1] >= hi) {
                uint32_t a = i, b = n - 1; /* D[b] >= hi */
                while (a < b) {
                    uint32_t mid = a + (b - a) / 2;
                    if (D[mid] >= hi)
                        b = mid;
                    else
                        a = mid + 1;
                }
                end = a;
            }
            int cap = c->block_maxwdf > 7;
            if (touch)
                t = cap ? win_run(acc, e->wtouch, t, D, W, i, end, lo, sh, 1, 1)
                        : win_run(acc, e->wtouch, t, D, W, i, end, lo, sh, 1, 0);
            else
                t = cap ? win_run(acc, e->wtouch, t, D, W, i, end, lo, sh, 0, 1)
                        : win_run(acc, e->wtouch, t, D, W, i, end, lo, sh, 0, 0);
            if (end < n) {
                hsync(c, (hpos){D[end], end, n});
                break;
            }
            hsync(c, (hpos){D[n - 1], n - 1, n});
        } else {
            uint32_t p = x - lo, w = c->wdf < 7 ? c->wdf : 7;
            if (touch && !acc[p])
                e->wtouch[t++] = (uint16_t)p;
            if (touch || acc[p])
                acc[p] |= (uint16_t)(w << sh);
        }
        x = as_pcur_next(c); /* a step unpacks the block's wdfs */
    }
    *nt = t;
}

static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return x < y ? -1 : x > y;
}

/* Scans the window [lo, lo + AS_WIN_DOCS) for tier_win: e->wsurv gets its
 * docs that pass hk and scan_len at wmin, ascending. */
static void win_fill(as_engine *e, enode *const *tn, uint32_t nk, uint32_t em, uint32_t lo,
                     double wmin)
{
    uint32_t hi = e->ndocs - lo > AS_WIN_DOCS ? lo + AS_WIN_DOCS : e->ndocs;
    uint32_t nt = 0; /* wacc is all 0 (win_ready, then each fill clears what it wrote) */
    for (int pass = 0; pass < 2; pass++)
        for (uint32_t m = 0; m < nk; m++)
            if ((em >> m & 1) == (pass == 0))
                win_put(e, e->wcur[m], lo, hi, 3 * m, pass == 0, &nt);
    const double *wk = e->wk;
    uint32_t ns = 0, slen = 0, rej = 0;
    for (uint32_t j = 0; j < nt; j++) {
        uint32_t p = e->wtouch[j], k = e->wacc[p];
        e->wacc[p] = 0;
        if (wk[k] <= wmin) {
            rej++;
            continue;
        }
        uint32_t w[3] = {0, 0, 0};
        for (uint32_t m = 0; m < nk; m++) {
            w[m] = k >> 3 * m & 7;
            if (w[m] == 7) /* 7 or more: bounded at the term's max_wdf */
                w[m] = e->lterm[tn[m]->leaf].max_wdf;
        }
        if (!scan_len(e, tn, nk, lo + p, w, wmin)) {
            slen++;
            continue;
        }
        e->wsurv[ns++] = p << 16 | k;
    }
    if (ns > 16) {
        qsort(e->wsurv, ns, sizeof *e->wsurv, cmp_u32);
    } else {
        for (uint32_t i = 1; i < ns; i++) {
            uint32_t v = e->wsurv[i], j = i;
            for (; j > 0 && e->wsurv[j - 1] > v; j--)
                e->wsurv[j] = e->wsurv[j - 1];
            e->wsurv[j] = v;
        }
    }
    e->nhq += rej;
    e->nslen += slen;
    e->nwin++;
    e->wlo = lo;
    e->whi = hi;
    e->nws = ns;
    e->iws = 0;
    e->wwmin = wmin;
}

/* Whether AND n of nk TERMs tn (essential: bits em) runs by windows
 * (tier_win) from d at wmin: the root, of two or three TERMs whose high
 * lists are long (AS_WIN_MIN) and mostly essential (AS_WIN_ESS).  Its run
 * is (re)started when it has none, or wmin or d went back (a new search):
 * its cursors made or put back at the start, wk made (from hk), wacc
 * zeroed.  0 when not (or out of memory: then by tier_few). */
static int win_ready(as_engine *e, enode *n, enode *const *tn, uint32_t nk, uint32_t em,
                     uint32_t d, double wmin)
{
    if (n - e->nodes != e->root || n->tier != 1 || nk < 2 || nk > 3)
        return 0;
    double all = 0, ess = 0;
    for (uint32_t m = 0; m < nk; m++) {
        double h = e->hterm[tn[m]->leaf].df;
        all += h;
        ess += (em >> m & 1) ? h : 0;
    }
    if (all < (e->win_min > 0 ? e->win_min : AS_WIN_MIN) || ess * AS_WIN_ESS < all)
        return 0;
    if (e->wnode == n - e->nodes && !(wmin < e->wwmin) && d >= e->wlo)
        return 1;
    for (uint32_t m = 0; m < nk; m++) {
        if (!e->wcur[m]) {
            e->wcur[m] = malloc(sizeof *e->wcur[m]);
            if (!e->wcur[m])
                return 0;
            memset(e->wcur[m], 0, sizeof *e->wcur[m]);
        }
        as_pcur_init(e->wcur[m], e->ix, &e->hterm[tn[m]->leaf]);
    }
    for (uint32_t k = 0; k < 512; k++) {
        uint32_t key = 0;
        for (uint32_t m = 0; m < 3; m++) {
            uint32_t w = k >> 3 * m & 7;
            key |= (w < 4 ? w : 4) << 3 * m;
        }
        if (isnan(e->hk[key]))
            hk_fill(e, tn, nk, key);
        e->wk[k] = e->hk[key];
    }
    memset(e->wacc, 0, sizeof e->wacc);
    e->wnode = (int32_t)(n - e->nodes);
    e->wlo = e->whi = d;
    e->nws = e->iws = 0;
    e->wwmin = -INFINITY;
    return 1;
}

/* align_tier_terms' walk for the root AND of nk = 2 or 3 TERMs tn by
 * windows (above, after win_ready); the same answer as tier_few. */
static __attribute__((noinline)) uint32_t tier_win(as_engine *e, uint32_t nk,
                                                   enode *const *tn, as_pcur *const *hc,
                                                   const uint32_t *o, const uint8_t *oi,
                                                   uint32_t em, uint32_t d, double wmin)
{
    for (;;) {
        while (e->iws < e->nws) {
            uint32_t v = e->wsurv[e->iws++], cand = e->wlo + (v >> 16), k = v & 0xffff;
            if (cand < d || e->wk[k] <= wmin)
                continue;
            uint32_t hd[3];
            for (uint32_t m = 0; m < nk; m++)
                hd[m] = k >> 3 * m & 7 ? cand : AS_DOC_END;
            if (tier_exact(e, nk, tn, hc, hd, o, oi, cand, wmin, 1, 1, &d))
                return cand;
            if (d == AS_DOC_END)
                return AS_DOC_END;
        }
        uint32_t lo = e->whi > d ? e->whi : d;
        if (lo >= e->ndocs)
            return AS_DOC_END;
        int left = 0;
        for (uint32_t m = 0; m < nk; m++)
            left |= (em >> m & 1) && e->wcur[m]->doc != AS_DOC_END;
        if (!left)
            return AS_DOC_END;
        win_fill(e, tn, nk, em, lo, wmin);
    }
}

/* An AND of TERMs that all have high lists, by tiers (align_tier, whose
 * special case this is, kept apart for speed).  A doc
 * where kid k is not in its high list has k's value <= mlo_k; call g_k =
 * maxw_k - mlo_k what being in the high list can add.  Once T = wmin -
 * sum(mlo) >= 0, a doc can exceed wmin only if the g of the kids it is
 * high in sum to more than T: MaxScore over the "is high" lists.  Kids by g rising, the
 * longest prefix whose g sum to <= T is non-essential, and every candidate
 * is in the high list of some other (essential) kid: the union of a few
 * small lists instead of an intersection led by a long one.  Each
 * candidate is bounded at its own length (exact values of the kids it is
 * high in, low_bound for the others, summed in fold order: exact, see the
 * top) before any main list is read; survivors are checked in the main
 * lists (node docs and cursors move together, as everywhere).  Returns the
 * first match >= d that may exceed wmin, or AS_DOC_END; or *declined = 1
 * (nothing moved) when the high lists' union would not be much shorter than
 * the shortest list, or a kid is not a TERM with a high list. */
static uint32_t align_tier_terms(as_engine *e, enode *n, uint32_t d, double wmin, int *declined)
{
    uint32_t nk = n->nkids;
    const uint32_t *kd = e->kids + n->kid0; /* fold order */
    *declined = 1;
    if (nk > 8)
        return d;
    uint32_t srt[8] = {0}, ness = 0;
    double smlo = 0, mindf = INFINITY;
    for (uint32_t i = 0; i < nk; i++) {
        const enode *k = &e->nodes[kd[i]];
        if (k->op != N_TERM || k->mlo == INFINITY || k->hion)
            return d;
        smlo += k->mlo;
        if (e->lterm[k->leaf].df < mindf)
            mindf = e->lterm[k->leaf].df;
        /* insertion by g rising */
        double g = k->maxw - k->mlo;
        uint32_t j = i;
        while (j > 0 && e->nodes[kd[srt[j - 1]]].maxw - e->nodes[kd[srt[j - 1]]].mlo > g) {
            srt[j] = srt[j - 1];
            j--;
        }
        srt[j] = i;
    }
    const double cushion = n->maxw * AS_ENG_CUSHION;
    const double t = wmin - smlo - cushion;
    if (t >= 0) {
        double gs = 0;
        while (ness < nk) {
            const enode *k = &e->nodes[kd[srt[ness]]];
            if (gs + (k->maxw - k->mlo) > t)
                break;
            gs += k->maxw - k->mlo;
            ness++;
        }
    }
    /* the joint bound: as tight at least, and often where the sum fails */
    int jn = joint_ness(e, n, srt, wmin - cushion);
    /* a doc high in no list can still exceed wmin: led by the rarest kid
     * (an OR's virtual AND of two or three terms only when that kid is
     * common, or the OR has optional TERMs to bound candidates with:
     * AS_TIER_LEAD_DF; it is advanced afresh for each of the OR's
     * candidates, and over a few short lists block-max costs less per
     * call) */
    if (jn < 0 && !(t >= 0))
        return n->tier == 3 && nk < 4 && mindf < AS_TIER_LEAD_DF &&
                       !(e->onode == n - e->nodes && nk + e->nopt >= 4)
                   ? d : align_tier_lead(e, n, d, wmin, declined);
    int joint = !(t >= 0);
    if (jn > (int)ness)
        ness = (uint32_t)jn;
    if (ness == nk) {
        *declined = 0;
        return AS_DOC_END; /* no doc can exceed wmin */
    }
    double hsum = 0;
    for (uint32_t j = ness; j < nk; j++)
        hsum += e->hterm[e->nodes[kd[srt[j]]].leaf].df;
    /* An OR's virtual AND (tier 3) by the high lists only when every kid
     * is essential: a doc must be high somewhere, wmin barely above what
     * docs high nowhere can score, where class bounds reject little in
     * align_bm.  With a higher wmin (some kid non-essential) the top wants
     * high wdfs, and block-max skips most blocks whole: cheaper than the
     * high lists.  (Below the joint bound it is led by its rarest term,
     * align_tier_lead: ^sar AND the words of "safeguarding adults
     * reviews", 13.8M -> 10.2M instructions at 1M.) */
    if (n->tier == 3 && ness > 0)
        return d;
    if (hsum > AS_TIER_F * mindf)
        return d;
    uint8_t ess[8] = {0};
    as_pcur *hc[8];
    enode *tn[8] = {0};
    for (uint32_t j = 0; j < nk; j++) {
        tn[j] = &e->nodes[kd[j]];
        hc[j] = hcur(e, tn[j]);
        if (!hc[j])
            return d;
    }
    for (uint32_t j = ness; j < nk; j++)
        ess[srt[j]] = 1;
    *declined = 0;
    e->ntier++;
    e->njoint += (uint64_t)joint;
    tier_tables(e, (int32_t)(n - e->nodes), tn, nk);
    if (e->hqnode != (int32_t)(n - e->nodes))
        single_table(e, n, tn, nk);
    uint32_t em = 0; /* ess as bits */
    for (uint32_t j = ness; j < nk; j++)
        em |= 1u << srt[j];
    const int win = win_ready(e, n, tn, nk, em, d, wmin); /* (its own cursors) */
    /* hd[j]: the doc of high cursor j (moved only here from now on) */
    uint32_t hd[8];
    for (uint32_t j = 0; j < nk && !win; j++)
        hd[j] = as_pcur_seek(hc[j], d);
    const uint32_t *o = e->ord + n->kid0; /* cheapest first */
    uint8_t oi[8] = {0}; /* o[j] is kd[oi[j]] */
    for (uint32_t j = 0; j < nk; j++)
        for (uint32_t i = 0; i < nk; i++)
            if (kd[i] == o[j])
                oi[j] = (uint8_t)i;
    if (win)
        return tier_win(e, nk, tn, hc, o, oi, em, d, wmin);
    /* the main lists by probes but in an OR's virtual AND (tier 3), whose
     * kids may be a PHRASE's: their positions are read, their blocks
     * decoded, and a probe first cost twice (self-neglect: +4.3%) */
    const int probe = n->tier == 1;
    if (nk == 2 || nk == 3)
        return nk == 2 ? tier_few2(e, tn, hc, hd, o, oi, em, d, wmin, probe)
                       : tier_few3(e, tn, hc, hd, o, oi, em, d, wmin, probe);
    for (;;) {
        uint32_t cand = AS_DOC_END;
        for (uint32_t m = 0; m < nk; m++)
            if (ess[m]) {
                if (hd[m] < d)
                    hd[m] = hd[m] + 1 == d ? as_pcur_next(hc[m]) : as_pcur_seek(hc[m], d);
                if (hd[m] < cand)
                    cand = hd[m];
            }
        if (cand == AS_DOC_END)
            return AS_DOC_END;
        /* high in one kid only, of wdf <= 3: the table may settle it */
        uint32_t nhi = 0, hi = 0, i;
        for (i = 0; i < nk; i++) {
            if (hd[i] < cand) {
                /* a non-essential list is mostly a posting or two behind:
                 * a step costs a third of a seek */
                hd[i] = as_pcur_next(hc[i]);
                if (hd[i] < cand)
                    hd[i] = as_pcur_seek(hc[i], cand);
            }
            if (hd[i] == cand) {
                nhi++;
                hi = i;
            }
        }
        if (nhi == 1 && hc[hi]->wdf <= 3 && e->hq[hi][hc[hi]->wdf - 1] <= wmin) {
            e->nhq++;
            if (cand >= AS_DOC_END - 1)
                return AS_DOC_END;
            d = cand + 1;
            continue;
        }
        if (tier_exact(e, nk, tn, hc, hd, o, oi, cand, wmin, 0, probe, &d))
            return cand;
        if (d == AS_DOC_END)
            return AS_DOC_END;
    }
}

/* Is OR virtual AND n (its kids TERMs) better led by its rarest term
 * (align_tier_lead) than run by block-max, where the tiers decline?  When
 * some kid has AS_BM_LEAD_F times the rarest's postings, the block-max
 * windows end at that kid's blocks (one per 128 of its postings), and each
 * moves every list and sums their bounds: more work than a walk of the
 * rarest's postings, each bounded at its length by the lead table (DoLS:
 * liberti, 2,305 postings at 1M, against "of", 459,694). */
static int bm_lead(as_engine *e, const enode *n)
{
    uint32_t lo = UINT32_MAX, hi = 0;
    for (uint32_t i = 0; i < n->nkids; i++) {
        const enode *k = &e->nodes[e->kids[n->kid0 + i]];
        if (k->op != N_TERM)
            return 0;
        uint32_t df = e->lterm[k->leaf].df;
        if (df < lo)
            lo = df;
        if (df > hi)
            hi = df;
    }
    return (uint64_t)hi >= (uint64_t)AS_BM_LEAD_F * lo;
}

/* Candidate d of OR's virtual AND n (e->onode), every kid (a TERM) on d:
 * can it not pass the OR's threshold owmin with the OR's optional TERMs?
 * The kids' exact values, each optional TERM's where it is on d (0 past
 * d); should those not pass, the TERMs behind d are sought in their main
 * lists (the OR's next move anyway, match_at) and d bounded with their
 * exact values (0 where absent).  No length bound first: at 100k it let
 * through ~1,011 of ~1,074 candidates (3 runs) that the seek then took.  Most candidates of hoarding OR
 * self-neglect at 100k (~285 of ~359 a query) lack hoarding, and would
 * else go back to the OR, which seeks it there, then come back through
 * align_bm's setup.  The order of the sum differs from the OR's fold:
 * owmin has the OR's cushion. */
static __attribute__((noinline)) int bm_opt_below(as_engine *e, enode *n, uint32_t d)
{
    if (e->onode != n - e->nodes || e->nopt == 0)
        return 0;
    double s = 0;
    uint32_t len = 0; /* d's length (term_value read it) */
    for (uint32_t i = 0; i < n->nkids; i++) {
        enode *k = &e->nodes[e->kids[n->kid0 + i]];
        if (k->op != N_TERM)
            return 0;
        s += term_value(e, k);
        len = k->vallen;
    }
    double bo = 0, bl = 0;
    uint32_t lowm = 0;
    for (uint32_t j = 0; j < e->nopt; j++) {
        enode *te = e->opt[j];
        if (te->started && te->doc >= d) {
            if (te->doc == d)
                bo += term_value(e, te);
            continue;
        }
        lowm |= 1u << j;
    }
    if (s + bo > e->owmin)
        return 0;
    bl = opt_sought(e, e->opt, e->nopt, lowm, d, len);
    if (s + bo + bl <= e->owmin) {
        e->nbmopt++;
        return 1;
    }
    return 0;
}

/* Is OR virtual AND n (its kids TERMs) better led by its rarest term
 * walking its intersection with another (align_tier_lead: pair_walk)
 * than run by tiers, at any threshold?  When that term has a partner of
 * at most AS_LEAD_PAIR_F times its postings and the kids' high lists,
 * which the tiers walk at ~200 instructions a posting, hold more than
 * 1/AS_PAIR_TIER_F of the pair's postings, which meet at ~10 (SAR's four
 * terms once ^sar is required: 15,392 high postings, adult and ^sar
 * 54,791; at 1M the tiers cost 4.1M instructions per 3 runs).  If so,
 * and align_tier_lead takes it, its result in *r and 1; else 0 (nothing
 * moved).  The choice, which depends on n's kids alone, is kept in
 * e->prnode, e->prok until n is refilled (fill_vand). */
static __attribute__((noinline)) int pair_route(as_engine *e, enode *n, uint32_t d, double wmin,
                                                uint32_t *r)
{
    if (e->prnode == n - e->nodes)
        goto chosen;
    uint32_t lo = UINT32_MAX, lead = 0;
    double hs = 0;
    for (uint32_t i = 0; i < n->nkids; i++) {
        const enode *k = &e->nodes[e->kids[n->kid0 + i]];
        if (k->op != N_TERM || k->hion)
            return 0;
        hs += k->mlo == INFINITY ? e->lterm[k->leaf].df : e->hterm[k->leaf].df;
        if (e->lterm[k->leaf].df < lo) {
            lo = e->lterm[k->leaf].df;
            lead = i;
        }
    }
    uint32_t pdf = UINT32_MAX;
    for (uint32_t i = 0; i < n->nkids; i++) {
        const enode *k = &e->nodes[e->kids[n->kid0 + i]];
        if (i != lead && e->lterm[k->leaf].df < pdf)
            pdf = e->lterm[k->leaf].df;
    }
    e->prnode = (int32_t)(n - e->nodes);
    e->prok = pdf <= (double)AS_LEAD_PAIR_F * lo && hs * AS_PAIR_TIER_F > (double)lo + pdf &&
              !bm_lead(e, n); /* those have their own route (after the tiers) */
chosen:
    if (!e->prok)
        return 0;
    int declined = 1;
    *r = align_tier_lead(e, n, d, wmin, &declined);
    return !declined;
}

/* Block-max AND (Ding & Suel 2011) with per-kid thresholds.  A window is
 * the docs [d, wend] that every TERM kid's current block covers (wend: the
 * smallest block end); inside it a kid's value is at most its block's
 * bound, bb[i] (a non-TERM kid's: its maxw).  A window whose bounds sum to
 * <= wmin is skipped whole, undecoded; inside one, kid i only stops on docs
 * where its own value exceeds wmin minus the others' bounds (so the rarest
 * kid walks its postings rejecting most by their wdf class alone, and the
 * others are decoded only around its survivors).  Kid i skips nothing past
 * wend, where the bounds no longer hold; the window moves on instead. */
static uint32_t align_bm(as_engine *e, enode *n, uint32_t d, double wmin)
{
    uint32_t nk = n->nkids;
    const uint32_t *o = e->ord + n->kid0;
    double *bb = e->kbb + n->kid0; /* by position in o */
    const double cushion = n->maxw * AS_ENG_CUSHION;
    if (n->tier && !(n->tdw == wmin)) {
        int declined = 1;
        uint32_t r = d;
        if (n->tier == 3 && !(e->prnode == n - e->nodes && !e->prok) &&
            pair_route(e, n, d, wmin, &r))
            return r;
        if (n->tier == 2)
            r = align_tier(e, n, d, wmin, &declined);
        else
            r = align_tier_terms(e, n, d, wmin, &declined);
        if (declined && n->tier == 3 && bm_lead(e, n)) {
            r = align_tier_lead(e, n, d, wmin, &declined);
            e->nbmlead += (uint64_t)!declined;
        }
        if (!declined)
            return r;
        n->tdw = wmin; /* not again for this wmin (only pruning lost) */
    }
    /* A TERM kid whose share of wmin (what it must exceed for the AND to
     * exceed wmin when the others score their maxima) is at least its
     * mlo walks its high list; once per wmin (a kid on a doc past d is
     * left for the next call). */
    if (n->hkids && !(n->hw == wmin)) {
        int all = 1;
        for (uint32_t i = 0; i < nk; i++) {
            enode *k = &e->nodes[o[i]];
            if (k->op != N_TERM || k->mlo == INFINITY)
                continue;
            if (!k->started || k->doc < d)
                hi_pick(e, k, kid_wmin(n, k, wmin));
            else
                all = 0;
        }
        if (all)
            n->hw = wmin;
    }
    for (;;) {
        double sum = 0;
        uint32_t wend = AS_DOC_END;
        for (uint32_t i = 0; i < nk; i++) {
            enode *k = &e->nodes[o[i]];
            if (k->op != N_TERM) {
                uint32_t last = AS_DOC_END - 1;
                bb[i] = node_block_bound(e, o[i], d, &last, 0);
                if (bb[i] < 0)
                    return AS_DOC_END;
                if (last < wend)
                    wend = last;
            } else {
                uint32_t last = AS_DOC_END;
                bb[i] = term_block_bound(e, k, d, &last);
                if (bb[i] < 0)
                    return AS_DOC_END;
                if (last < wend)
                    wend = last;
            }
            sum += bb[i];
        }
        if (!(sum > wmin)) {
            if (wend >= AS_DOC_END - 1)
                return AS_DOC_END;
            d = wend + 1;
            continue;
        }
        uint32_t agree = 0, i = 0;
        while (agree < nk) {
            enode *k = &e->nodes[o[i]];
            uint32_t dk;
            if (k->op == N_TERM)
                dk = adv_term_win(e, k, d, wmin - (sum - bb[i]) - cushion, wend);
            else
                dk = as_eng_advance(e, o[i], d, kid_wmin(n, k, wmin));
            if (dk == AS_DOC_END)
                return AS_DOC_END;
            if (dk == d) {
                agree++;
            } else {
                d = dk;
                agree = 1;
                if (d > wend)
                    break; /* a new window */
            }
            if (agree == 1 && len_reject(e, n, i, d, wmin, bb)) {
                if (d >= AS_DOC_END - 1)
                    return AS_DOC_END;
                d++; /* kid i moves on from d next */
                agree = 0;
                if (d > wend)
                    break;
                continue;
            }
            i = i + 1 == nk ? 0 : i + 1;
        }
        if (agree == nk) {
            /* an OR's virtual AND: bounded with its optional TERMs */
            if (__builtin_expect(e->onode < 0, 1) || !bm_opt_below(e, n, d))
                return d;
            if (d >= AS_DOC_END - 1)
                return AS_DOC_END;
            d++; /* a new window from d + 1 */
        }
    }
}

/* Loads the positions of phrase kid k (node index) at its doc into slot
 * r (a kid on its high list seeks its main list first); 0 when it has
 * none. */
static inline int phrase_load(as_engine *e, uint32_t k, uint32_t r)
{
    const enode *kn = &e->nodes[k];
    as_pcur *c = e->curs[kn->leaf];
    if (kn->hion && as_pcur_seek(c, kn->doc) != kn->doc)
        return 0; /* not in the main list: damage (--check finds it) */
    if (as_pcur_positions(c, &e->ppos[r], &e->pn[r]) != AS_OK || e->pn[r] == 0)
        return 0;
    e->pi[r] = 0;
    return 1;
}

/* Do the phrase's kids, all on one doc, occur at p + offset for some p?
 * Kids are tried in the node's order, rarest first (sort_ord by df), and
 * their positions read only when a candidate p gets to them, so a common
 * kid ("of") is read only for the docs where the rarer ones line up. */
static int phrase_check(as_engine *e, enode *n)
{
    uint32_t nk = n->nkids;
    const uint32_t *o = e->ord + n->kid0; /* slot r: kid o[r] */
    for (uint32_t r = 1; r < nk; r++)
        e->pn[r] = UINT32_MAX; /* not read yet */
    if (!phrase_load(e, o[0], 0))
        return 0;
    /* Candidates p from the rarest kid, ascending; every other kid's
     * pointer only moves forward as p grows. */
    const enode *ln = &e->nodes[o[0]];
    for (uint32_t j = 0; j < e->pn[0]; j++) {
        int64_t p = (int64_t)e->ppos[0][j] - ln->off;
        uint32_t r;
        for (r = 1; r < nk; r++) {
            if (e->pn[r] == UINT32_MAX && !phrase_load(e, o[r], r))
                return 0;
            int64_t want = p + e->nodes[o[r]].off;
            while (e->pi[r] < e->pn[r] && (int64_t)e->ppos[r][e->pi[r]] < want)
                e->pi[r]++;
            if (e->pi[r] == e->pn[r])
                return 0; /* want only grows: no later p can match */
            if ((int64_t)e->ppos[r][e->pi[r]] != want)
                break;
        }
        if (r == nk) {
            return 1;
        }
    }
    return 0;
}


/* Leapfrog: cycle through the kids (cheapest first), each seeking to the
 * current candidate; done when all nk agree in a row.  With a positive wmin
 * and TERM kids, the block-max version above. */
static uint32_t align(as_engine *e, enode *n, uint32_t target, double wmin, int exact)
{
    if (wmin > 0 && n->has_term)
        return align_bm(e, n, target, wmin);
    uint32_t nk = n->nkids, agree = 0, i = 0, d = target;
    const uint32_t *o = e->ord + n->kid0;
    while (agree < nk) {
        const enode *kn = &e->nodes[o[i]];
        double kw = exact ? -INFINITY : kid_wmin(n, kn, wmin);
        uint32_t dk = as_eng_advance(e, o[i], d, kw);
        if (dk == AS_DOC_END)
            return AS_DOC_END;
        if (dk == d) {
            agree++;
        } else {
            d = dk;
            agree = 1;
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

/* Does node ni (not on d yet) match d with a value above wmin?  A PHRASE
 * or AND of TERMs is checked at d alone: its terms seek to d, and the node
 * moves only when it matches (else its doc stays behind d and a later
 * advance starts from its terms, which are all at or past d), so probing
 * it costs a few seeks, not a run to its next match as an advance would.
 * Anything else is advanced to d.  *next: no match of the node's below it
 * (d + 1 at least). */
static int match_at(as_engine *e, uint32_t ni, uint32_t d, double wmin, uint32_t *next)
{
    enode *n = &e->nodes[ni];
    *next = d + 1;
    int flat = (n->op == N_PHRASE || n->op == N_AND) && !(n->started && n->doc >= d);
    for (uint32_t i = 0; flat && i < n->nkids; i++)
        if (e->nodes[e->kids[n->kid0 + i]].op != N_TERM)
            flat = 0;
    if (!flat) {
        uint32_t dk = as_eng_advance(e, ni, d, wmin);
        if (dk != d && dk > *next)
            *next = dk;
        return dk == d;
    }
    uint32_t far = d;
    for (uint32_t i = 0; i < n->nkids; i++) {
        uint32_t dk = as_eng_advance(e, e->kids[n->kid0 + i], d, -INFINITY);
        if (dk > far)
            far = dk;
    }
    if (far != d) {
        if (far > *next)
            *next = far; /* a kid has no posting in [d, far) */
        return 0;
    }
    double v = 0;
    for (uint32_t i = 0; i < n->nkids; i++)
        v += as_eng_value(e, &e->nodes[e->kids[n->kid0 + i]]);
    if (!(v > wmin))
        return 0;
    n->doc = d; /* for phrase_check and as_eng_value */
    n->val = v;
    n->valdoc = d;
    if (n->op == N_PHRASE && !phrase_check(e, n)) {
        n->valdoc = AS_DOC_END;
        n->started = 0; /* on no doc: a later advance starts afresh */
        n->doc = 0;
        return 0;
    }
    n->started = 1;
    return 1;
}

/* Fills OR n's virtual AND with the leaves of its required kids (req):
 * each TERM kid, and the TERMs of each PHRASE/AND kid, in kid order; its
 * iteration order by cost. */
static void fill_vand(as_engine *e, enode *n, const uint8_t *req, uint32_t mask)
{
    enode *v = &e->nodes[n->vand];
    uint32_t nl = 0;
    double maxw = 0, cost = INFINITY;
    for (uint32_t i = 0; i < n->nkids; i++) {
        if (!req[i])
            continue;
        uint32_t ki = e->kids[n->kid0 + i];
        const enode *k = &e->nodes[ki];
        uint32_t m = k->op == N_TERM ? 1 : k->nkids;
        for (uint32_t j = 0; j < m && nl < v->vcap; j++) {
            uint32_t li = k->op == N_TERM ? ki : e->kids[k->kid0 + j];
            e->kids[v->kid0 + nl] = li;
            e->ord[v->kid0 + nl] = li;
            maxw += e->nodes[li].maxw;
            if (e->nodes[li].cost < cost)
                cost = e->nodes[li].cost;
            nl++;
        }
    }
    v->nkids = nl;
    v->hkids = 1; /* align_bm looks at each kid's mlo */
    v->tier = nl >= 2 && nl <= 8 ? 3 : 0;
    for (uint32_t i = 0; i < nl; i++)
        if (!tier_unit(e, &e->nodes[e->kids[v->kid0 + i]]))
            v->tier = 0;
    v->hw = NAN;
    v->tdw = NAN;
    v->jok = 0;
    if (e->jnode == n->vand)
        e->jnode = -1;
    if (e->jmnode == n->vand)
        e->jmnode = -1;
    if (e->jmonode == n->vand)
        e->jmonode = -1;
    if (e->lnode == n->vand)
        e->lnode = -1;
    if (e->prnode == n->vand)
        e->prnode = -1;
    if (e->hqnode == n->vand)
        e->hqnode = -1;
    v->maxw = maxw;
    v->cost = cost;
    v->started = 0;
    v->doc = 0;
    v->valdoc = AS_DOC_END;
    v->bb_valid = 0;
    sort_ord(e, v, 1);
    n->vmask = mask;
}

/* An OR some of whose kids are required: the other kids' bounds sum to at
 * most wmin, so a doc without each of those cannot score above wmin.  The
 * OR then runs as an intersection: when its kids are TERMs and PHRASEs or
 * ANDs of TERMs, as the block-max AND of every TERM of its required kids
 * (its virtual AND: window skipping and length bounds over all of them, led
 * by the rarest, ^sar before the words of "safeguarding adults reviews"),
 * then the required phrases' positions; else led by its cheapest required
 * kid with the others probed at the lead's docs (match_at).  Optional kids
 * are probed only where the bounds at the doc's own length (node_len_bound)
 * leave room above wmin. */
static uint32_t adv_or_req(as_engine *e, enode *n, uint32_t target, double wmin,
                           const uint8_t *req, uint32_t mask)
{
    uint32_t nk = n->nkids;
    const uint32_t *kd = e->kids + n->kid0;
    const double cushion = n->maxw * AS_ENG_CUSHION;
    double optw = 0; /* the optional kids' bounds */
    uint32_t lead = UINT32_MAX;
    for (uint32_t i = 0; i < nk; i++) {
        if (!req[i])
            optw += e->nodes[kd[i]].maxw;
        else if (lead == UINT32_MAX || e->nodes[kd[i]].cost < e->nodes[kd[lead]].cost)
            lead = i;
    }
    int virt = n->vand >= 0;
    if (virt && n->vmask != mask)
        fill_vand(e, n, req, mask);
    for (;;) {
        uint32_t d;
        if (virt) {
            /* a doc above wmin has its required part above wmin - optw;
             * optional TERMs are bounded at each candidate's length by
             * align_tier_lead, should it run (e->onode) */
            if (e->oor != n - e->nodes || e->omask != mask) {
                uint32_t no = 0;
                for (uint32_t i = 0; i < nk && no <= 8; i++)
                    if (!req[i]) {
                        if (e->nodes[kd[i]].op != N_TERM || no == 8)
                            no = 9;
                        else
                            e->opt[no++] = &e->nodes[kd[i]];
                    }
                e->nopt = no <= 8 ? no : 0;
                e->oor = n - e->nodes;
                e->omask = mask;
            }
            if (e->nopt > 0) {
                e->onode = n->vand;
                e->owmin = wmin - cushion;
            }
            d = as_eng_advance(e, (uint32_t)n->vand, target, wmin - optw - cushion);
            e->onode = -1;
        } else {
            enode *ln = &e->nodes[kd[lead]];
            d = as_eng_advance(e, kd[lead], target, kid_wmin(n, ln, wmin));
        }
        if (d == AS_DOC_END)
            return n->doc = AS_DOC_END;
        uint32_t next = d + 1;
        int ok = 1;
        uint32_t len = UINT32_MAX; /* the doc's length, when needed */
        if (virt) {
            /* every leaf of a required kid is on d: the kids are too, if
             * their phrases check (after the bounds, which are cheaper) */
            double part = 0;
            for (uint32_t i = 0; i < nk; i++) {
                enode *k = &e->nodes[kd[i]];
                if (!req[i])
                    continue;
                if (k->op != N_TERM) {
                    k->started = 1;
                    k->doc = d;
                    k->valdoc = AS_DOC_END;
                }
                part += as_eng_value(e, k);
            }
            double rest = 0;
            for (uint32_t i = 0; i < nk && optw > 0; i++) {
                if (req[i])
                    continue;
                enode *k = &e->nodes[kd[i]];
                if (k->started && k->doc == d) {
                    rest += as_eng_value(e, k);
                } else if (!(k->started && k->doc > d && k->doc != AS_DOC_END)) {
                    if (len == UINT32_MAX)
                        len = as_index_doclen(e->ix, d);
                    rest += node_len_bound(e, kd[i], d, len, 0);
                }
            }
            if (part + rest <= wmin - cushion)
                ok = 0;
            /* optional TERMs are moved to d before the phrases are checked
             * (a seek costs less than a phrase's positions): where they are
             * absent, or score less than their bounds at d's length above,
             * the doc may fall to wmin without its phrases read */
            if (ok && optw > 0) {
                int moved = 0;
                for (uint32_t i = 0; i < nk; i++) {
                    enode *k = &e->nodes[kd[i]];
                    if (req[i] || k->op != N_TERM || (k->started && k->doc >= d))
                        continue;
                    uint32_t nx;
                    match_at(e, kd[i], d, kid_wmin(n, k, wmin), &nx);
                    moved = 1;
                }
                if (moved) {
                    rest = 0;
                    for (uint32_t i = 0; i < nk; i++) {
                        if (req[i])
                            continue;
                        enode *k = &e->nodes[kd[i]];
                        if (k->started && k->doc == d)
                            rest += as_eng_value(e, k);
                        else if (k->op != N_TERM &&
                                 !(k->started && k->doc > d && k->doc != AS_DOC_END)) {
                            if (len == UINT32_MAX)
                                len = as_index_doclen(e->ix, d);
                            rest += node_len_bound(e, kd[i], d, len, 0);
                        }
                    }
                    if (part + rest <= wmin - cushion)
                        ok = 0;
                }
            }
            for (uint32_t i = 0; ok && i < nk; i++) {
                enode *k = &e->nodes[kd[i]];
                if (req[i] && k->op == N_PHRASE && !phrase_check(e, k)) {
                    ok = 0;
                    k->valdoc = AS_DOC_END;
                    k->started = 0; /* not on d (nor on any doc) */
                    k->doc = 0;
                }
            }
        }
        /* pass 0: required kids (not already checked), pass 1: optional */
        for (uint32_t pass = virt; ok && pass < 2; pass++) {
            for (uint32_t i = 0; ok && i < nk; i++) {
                enode *k = &e->nodes[kd[i]];
                if (i == lead || (pass == 0) != (req[i] != 0))
                    continue;
                if (k->started && k->doc >= d) {
                    if (k->doc == d || !req[i])
                        continue;
                    if (k->doc > next)
                        next = k->doc;
                    ok = 0;
                    break;
                }
                if (k->op != N_TERM) {
                    /* bound the doc first: exact values of the kids on d,
                     * length bounds of the rest */
                    if (len == UINT32_MAX)
                        len = as_index_doclen(e->ix, d);
                    double s = 0;
                    for (uint32_t j = 0; j < nk; j++) {
                        enode *kj = &e->nodes[kd[j]];
                        if (kj->started && kj->doc == d)
                            s += as_eng_value(e, kj);
                        else if (!(kj->started && kj->doc > d && kj->doc != AS_DOC_END))
                            s += node_len_bound(e, kd[j], d, len, 0);
                    }
                    if (s <= wmin - cushion) {
                        ok = 0;
                        break;
                    }
                }
                uint32_t nx;
                if (!match_at(e, kd[i], d, kid_wmin(n, k, wmin), &nx) && req[i]) {
                    if (nx > next)
                        next = nx;
                    ok = 0;
                }
            }
        }
        if (ok) {
            n->doc = d;
            n->valdoc = AS_DOC_END;
            double v = as_eng_value(e, n);
            if (!(v <= wmin)) {
                return d;
            }
        }
        if (next == AS_DOC_END || d >= AS_DOC_END - 1)
            return n->doc = AS_DOC_END;
        target = next;
    }
}

static uint32_t adv_or(as_engine *e, enode *n, uint32_t target, double wmin)
{
    if (wmin > 0 && n->nkids <= AS_ENG_REQ_KIDS) {
        uint8_t req[AS_ENG_REQ_KIDS];
        uint32_t mask = 0;
        for (uint32_t i = 0; i < n->nkids; i++) {
            const enode *k = &e->nodes[e->kids[n->kid0 + i]];
            req[i] = n->maxw - k->maxw <= wmin - n->maxw * AS_ENG_CUSHION;
            mask |= (uint32_t)req[i] << i;
        }
        if (mask)
            return adv_or_req(e, n, target, wmin, req, mask);
    }
    uint32_t nk = n->nkids;
    const uint32_t *o = e->ord + n->kid0;
    uint32_t *h = e->hp + n->kid0;
    uint32_t *ml = e->ml + n->kid0; /* kids on the candidate */
    uint32_t *st = e->st + n->kid0;
    /* MaxScore partition: wmin only grows, so the prefix only grows. */
    while (n->ness < nk &&
           n->ness_sum + e->nodes[o[n->ness]].maxw <= wmin - n->maxw * AS_ENG_CUSHION) {
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
            as_eng_advance(e, h[0], target, kid_wmin(n, &e->nodes[h[0]], wmin));
            or_sift(e, h, n->nh, 0);
        }
        uint32_t d = e->nodes[h[0]].doc;
        if (d == AS_DOC_END)
            return n->doc = AS_DOC_END;
        if (wmin < 0) {
            /* Every match has a positive value: no need to compute it
             * here (every kid is essential; as_eng_value folds those on d
             * when asked, as below). */
            n->doc = d;
            n->valdoc = AS_DOC_END;
            return d;
        }
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
            part += as_eng_value(e, &e->nodes[h[i]]);
            if (2 * i + 1 < n->nh)
                st[ns++] = 2 * i + 1;
            if (2 * i + 2 < n->nh)
                st[ns++] = 2 * i + 2;
        }
        int reject = 0;
        double rest = n->ness_sum;
        for (uint32_t i = n->ness; i-- > 0;) {
            if (wmin > -INFINITY && part + rest <= wmin - n->maxw * AS_ENG_CUSHION) {
                reject = 1; /* the rest cannot lift d above wmin */
                break;
            }
            enode *kn = &e->nodes[o[i]];
            rest -= kn->maxw;
            if (as_eng_advance(e, o[i], d, kid_wmin(n, kn, wmin)) == d) {
                ml[nm++] = o[i];
                part += as_eng_value(e, kn);
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
                v += as_eng_value(e, &e->nodes[ml[i]]);
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

uint32_t as_eng_advance(as_engine *e, uint32_t ni, uint32_t target, double wmin)
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
            if ((!(wmin > -INFINITY) || as_eng_value(e, n) > wmin) && phrase_check(e, n))
                return d;
            if (d >= AS_DOC_END - 1)
                return n->doc = AS_DOC_END;
            target = d + 1;
        }
    case N_ANDNOT:
        for (;;) {
            uint32_t d = as_eng_advance(e, e->kids[n->kid0], target, wmin);
            if (d == AS_DOC_END)
                return n->doc = AS_DOC_END;
            uint32_t i;
            for (i = 1; i < n->nkids; i++)
                if (as_eng_advance(e, e->kids[n->kid0 + i], d, -INFINITY) == d)
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
