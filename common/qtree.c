/*
 * qtree.c — query trees in memory: the per-query arena, node constructors,
 * the partial-match relaxation (as_query_relax) and the S-expression dump
 * (as_query_dump).
 *
 * Relaxation keeps the tree's meaning for each word but makes the top-level
 * positive items optional: AND(a, b, ...) -> OR(a, b, ...), under an
 * ANDNOT the excluded side stays as it was, and a run that the parser
 * joined with an alternative term (OR(AND(technolog enabl care), ^tec),
 * OR(AND(co product), coproduct)) is spread into its words plus that term.
 * Filters, acronyms used and the truncation note are carried over.
 *
 * Dump: a TERM is its bytes (with "@offset" inside a PHRASE), every other
 * node "(OP kid kid ...)", NOTHING is "(NOTHING)", a NULL tree "".
 */
#include "qtree.h"
#include "qfilter.h"

#include <stdalign.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- Arena: every node, string and array of a query ----------------- */

typedef struct blk {
    struct blk *next;
    size_t cap, used;
    max_align_t data[];
} blk;

struct as_qarena {
    blk *head;
};

void *as_qarena_alloc(as_qarena *a, size_t n)
{
    const size_t al = alignof(max_align_t);
    if (n > SIZE_MAX / 4)
        return NULL;
    n = n ? (n + al - 1) / al * al : al;
    blk *b = a->head;
    if (!b || b->cap - b->used < n) {
        size_t cap = b && b->cap < ((size_t)1 << 20) ? b->cap * 2 : 8192;
        if (cap < n)
            cap = n;
        b = malloc(sizeof *b + cap);
        if (!b)
            return NULL;
        b->next = a->head;
        b->cap = cap;
        b->used = 0;
        a->head = b;
    }
    void *p = (char *)b->data + b->used;
    b->used += n;
    return p;
}

void *as_qarena_zalloc(as_qarena *a, size_t n)
{
    void *p = as_qarena_alloc(a, n);
    if (p)
        memset(p, 0, n);
    return p;
}

char *as_qarena_strdup(as_qarena *a, const char *s, size_t n)
{
    char *d = as_qarena_alloc(a, n + 1);
    if (d) {
        memcpy(d, s, n);
        d[n] = '\0';
    }
    return d;
}

static void arena_free(as_qarena *a)
{
    if (!a)
        return;
    for (blk *b = a->head, *nx; b; b = nx) {
        nx = b->next;
        free(b);
    }
    free(a);
}

/* Grows an arena array of elsz-byte elements to hold n + 1 (doubling; the
 * old copy stays in the arena, so the waste is bounded by the final size). */
int as_qarena_grow(as_qarena *a, void **v, size_t *cap, size_t n, size_t elsz)
{
    if (n < *cap)
        return AS_OK;
    size_t nc = *cap ? *cap * 2 : 8;
    if (nc > SIZE_MAX / 4 / elsz)
        return AS_ENOMEM;
    void *nv = as_qarena_alloc(a, nc * elsz);
    if (!nv)
        return AS_ENOMEM;
    if (n)
        memcpy(nv, *v, n * elsz);
    *v = nv;
    *cap = nc;
    return AS_OK;
}

/* ---- Node construction (sticky status: NULL once rc != AS_OK) --------- */

as_qnode *as_qnode_new(as_qbuild *b, int op, int flags, const char *origin)
{
    if (b->rc)
        return NULL;
    as_qnode *n = as_qarena_zalloc(b->A, sizeof *n);
    if (!n) {
        b->rc = as_err_set(b->err, AS_ENOMEM, "out of memory");
        return NULL;
    }
    n->op = op;
    n->flags = flags;
    n->origin = origin;
    n->acronym = -1;
    return n;
}

as_qnode *as_qnode_term(as_qbuild *b, const char *term, size_t len, uint32_t offset,
                        int flags, const char *origin)
{
    if (b->rc)
        return NULL;
    if (++b->leaves > b->max_leaves) {
        b->rc = as_err_set(b->err, AS_ELIMIT, "query too complex (more than %zu terms)",
                           b->max_leaves);
        return NULL;
    }
    as_qnode *n = as_qnode_new(b, AS_Q_TERM, flags, origin);
    if (n && !(n->term = as_qarena_strdup(b->A, term, len))) {
        b->rc = as_err_set(b->err, AS_ENOMEM, "out of memory");
        return NULL;
    }
    if (n)
        n->offset = offset;
    return n;
}

/* An AND/OR/PHRASE/ANDNOT over kids[0..nk).  AND and OR absorb kids of the
 * same operator that carry no provenance flags ((a b) c == a b c), which
 * changes neither the matches nor the BM25 sum. */
as_qnode *as_qnode_list(as_qbuild *b, int op, int flags, as_qnode *const *kids, size_t nk,
                        const char *origin)
{
    as_qnode *n = as_qnode_new(b, op, flags, origin);
    if (!n)
        return NULL;
    size_t total = 0;
    for (size_t i = 0; i < nk; i++) {
        const as_qnode *k = kids[i];
        if (!k)
            continue;
        if ((op == AS_Q_AND || op == AS_Q_OR) && k->op == op && k->flags == 0)
            total += k->nkids;
        else
            total++;
    }
    n->kids = as_qarena_alloc(b->A, (total ? total : 1) * sizeof *n->kids);
    if (!n->kids) {
        b->rc = as_err_set(b->err, AS_ENOMEM, "out of memory");
        return NULL;
    }
    for (size_t i = 0; i < nk; i++) {
        as_qnode *k = kids[i];
        if (!k)
            continue;
        if ((op == AS_Q_AND || op == AS_Q_OR) && k->op == op && k->flags == 0)
            for (size_t j = 0; j < k->nkids; j++)
                n->kids[n->nkids++] = k->kids[j];
        else
            n->kids[n->nkids++] = k;
    }
    return n;
}

as_qnode *as_qnode_pair(as_qbuild *b, int op, int flags, as_qnode *x, as_qnode *y)
{
    as_qnode *kids[2] = {x, y};
    if (!x || !y)
        return NULL;
    return as_qnode_list(b, op, flags, kids, 2, NULL);
}

as_query *as_qtree_query_new(void)
{
    as_query *q = calloc(1, sizeof *q);
    as_qarena *A = calloc(1, sizeof *A);
    if (!q || !A) {
        free(q);
        free(A);
        return NULL;
    }
    q->arena = A;
    return q;
}

void as_query_free(as_query *q)
{
    if (!q)
        return;
    arena_free(q->arena);
    free(q);
}

/* ---- Relaxation -------------------------------------------------------- */

static as_qnode *copy_node(as_qbuild *b, const as_qnode *n)
{
    if (!n || b->rc)
        return NULL;
    as_qnode *c = as_qnode_new(b, n->op, n->flags, NULL);
    if (!c)
        return NULL;
    c->offset = n->offset;
    c->acronym = n->acronym;
    if (n->origin && !(c->origin = as_qarena_strdup(b->A, n->origin, strlen(n->origin))))
        goto oom;
    if (n->term && !(c->term = as_qarena_strdup(b->A, n->term, strlen(n->term))))
        goto oom;
    if (n->nkids) {
        if (!(c->kids = as_qarena_alloc(b->A, n->nkids * sizeof *c->kids)))
            goto oom;
        for (size_t i = 0; i < n->nkids; i++)
            if (!(c->kids[c->nkids++] = copy_node(b, n->kids[i])))
                return NULL;
    }
    return c;
oom:
    b->rc = as_err_set(b->err, AS_ENOMEM, "out of memory");
    return NULL;
}

/* OR(AND(words), alt) made by alt_node from a run of words. */
static int is_run(const as_qnode *n)
{
    return n->op == AS_Q_OR && (n->flags & (AS_QF_ACRONYM | AS_QF_COMPOUND)) && n->nkids == 2
        && n->kids[0]->op == AS_Q_AND && n->kids[1]->op == AS_Q_TERM;
}

static int push_node(as_qbuild *b, as_qnode ***v, size_t *n, size_t *cap, as_qnode *x)
{
    void *vv = *v;
    if (!x || as_qarena_grow(b->A, &vv, cap, *n, sizeof **v)) {
        if (!b->rc)
            b->rc = as_err_set(b->err, AS_ENOMEM, "out of memory");
        return -1;
    }
    *v = vv;
    (*v)[(*n)++] = x;
    return 0;
}

static void spread(as_qbuild *b, as_qnode ***v, size_t *n, size_t *cap, const as_qnode *k)
{
    if (is_run(k)) {
        for (size_t i = 0; i < k->kids[0]->nkids; i++)
            push_node(b, v, n, cap, copy_node(b, k->kids[0]->kids[i]));
        push_node(b, v, n, cap, copy_node(b, k->kids[1]));
    } else {
        push_node(b, v, n, cap, copy_node(b, k));
    }
}

static as_qnode *relax_pos(as_qbuild *b, const as_qnode *n)
{
    as_qnode **v = NULL;
    size_t nv = 0, cap = 0;
    if (n->op == AS_Q_AND && n->flags == 0) {
        for (size_t i = 0; i < n->nkids; i++)
            spread(b, &v, &nv, &cap, n->kids[i]);
    } else {
        spread(b, &v, &nv, &cap, n);
    }
    if (b->rc)
        return NULL;
    return nv == 1 ? v[0] : as_qnode_list(b, AS_Q_OR, 0, v, nv, NULL);
}

int as_query_relax(const as_query *q, as_query **out, as_err *err)
{
    if (!out || !q)
        return as_err_set(err, AS_EINVAL, "no query");
    *out = NULL;
    as_query *r = as_qtree_query_new();
    if (!r)
        return as_err_set(err, AS_ENOMEM, "out of memory");
    as_qbuild b = {.A = r->arena, .max_leaves = SIZE_MAX, .err = err};
    r->filter = q->filter;
    r->filter.councils = NULL;
    r->filter.ncouncils = 0;
    for (size_t i = 0; i < q->filter.ncouncils && !b.rc; i++)
        b.rc = as_qfilter_council(&r->filter, r->arena, q->filter.councils[i],
                                 strlen(q->filter.councils[i]), err);
    if (!b.rc && q->nacronyms_used) {
        r->acronyms_used = as_qarena_alloc(r->arena, q->nacronyms_used * sizeof(int));
        if (!r->acronyms_used)
            b.rc = as_err_set(err, AS_ENOMEM, "out of memory");
        else
            memcpy(r->acronyms_used, q->acronyms_used, q->nacronyms_used * sizeof(int));
        r->nacronyms_used = q->nacronyms_used;
    }
    r->truncated_prefix = q->truncated_prefix;
    const as_qnode *root = q->root;
    if (!b.rc && root) {
        if (root->op == AS_Q_ANDNOT && root->nkids == 2)
            r->root = as_qnode_pair(&b, AS_Q_ANDNOT, root->flags,
                                    relax_pos(&b, root->kids[0]),
                                    copy_node(&b, root->kids[1]));
        else
            r->root = relax_pos(&b, root);
    }
    if (b.rc) {
        as_query_free(r);
        return b.rc;
    }
    *out = r;
    return AS_OK;
}

/* ---- Dump -------------------------------------------------------------- */

typedef struct sink {
    char *buf;
    size_t cap, n;
} sink;

static void put(sink *s, const char *t, size_t len)
{
    for (size_t i = 0; i < len; i++, s->n++)
        if (s->n + 1 < s->cap)
            s->buf[s->n] = t[i];
}

static void dump(sink *s, const as_qnode *n, int in_phrase)
{
    static const char *const names[] = {"TERM", "PHRASE", "AND", "OR", "ANDNOT", "NOTHING"};
    if (!n) {
        put(s, "()", 2);
        return;
    }
    if (n->op == AS_Q_TERM) {
        const char *t = n->term ? n->term : "";
        put(s, t, strlen(t));
        if (in_phrase) {
            char num[16];
            int k = snprintf(num, sizeof num, "@%u", (unsigned)n->offset);
            put(s, num, (size_t)k);
        }
        return;
    }
    const char *name = n->op >= 0 && n->op <= AS_Q_NOTHING ? names[n->op] : "?";
    put(s, "(", 1);
    put(s, name, strlen(name));
    for (size_t i = 0; i < n->nkids; i++) {
        put(s, " ", 1);
        dump(s, n->kids[i], n->op == AS_Q_PHRASE);
    }
    put(s, ")", 1);
}

int as_query_dump(const as_qnode *n, char *buf, size_t cap)
{
    if (!buf || cap == 0)
        return AS_EINVAL;
    sink s = {buf, cap, 0};
    if (n)
        dump(&s, n, 0);
    buf[s.n < cap ? s.n : cap - 1] = '\0';
    return s.n < cap ? AS_OK : AS_ELIMIT;
}

as_qarena *as_qtree_arena(const as_query *q)
{
    return q ? q->arena : NULL;
}
