/*
 * query.c — the query parser: query string -> query tree (as_qnode) and
 * filters, with every word put through the indexer's own analyzer so that
 * query terms are exactly index terms.  Tree memory, relaxation and the
 * dump are in qtree.c, filter values in qfilter.c.
 *
 * Grammar (OR binds tighter than the implicit AND, so `a b OR c d` is
 * a AND (b OR c) AND d):
 *   query   := item*
 *   item    := unary (OR unary)*
 *   unary   := '-' primary | NOT primary | primary
 *   primary := word | word* | "phrase" | ( query ) | field:value
 * Lexing: items are separated by white space (ASCII, NUL, no-break and
 * typographic spaces); ( ) and quotes (" “ ”, any closes any) also end a
 * word.  OR and NOT are operators only in capitals; AND in capitals is
 * accepted and ignored (words are required anyway).  '-' negates only at the
 * start of an item and directly before a word, quote or '(' ("-word",
 * "-(a b)"); "co-production" and a lone "-" are text.
 *
 * Words.  Each word is analysed alone (as_analyze): one term -> TERM; a
 * hyphenated compound (parts + joined) -> OR(PHRASE(parts), joined) flagged
 * AS_QF_COMPOUND; several plain terms ("a/b") -> PHRASE; none (punctuation)
 * -> ignored.  Two or three one-term words that the index also holds as one
 * joined term ("co production", "north east") -> OR(AND(words), joined),
 * flagged AS_QF_COMPOUND, so the three spellings of a compound find one
 * another from either side.  Inside quotes, the PHRASE holds every plain term at its
 * analyzer position (joined and ^acronym terms skipped); a phrase of one
 * term is that TERM.
 *
 * Acronyms (DESIGN.md section 6).  A word in capitals whose acronym the
 * lexicon's table knows -> OR(^acro, PHRASE(expansion)), flagged
 * AS_QF_ACRONYM with the table index; otherwise its ordinary term.  A run of
 * consecutive plain words whose terms are exactly those of some acronym's
 * expansion (any definition of it in the table) -> OR(AND(words), ^acro);
 * the longest run wins, then the lowest table index.  Either way the table
 * index of the acronym's chosen expansion (as_acrotab_find) is recorded
 * once in acronyms_used.
 *
 * prefix*.  The prefix is case-, diacritic- and punctuation-folded like
 * the analyzer folds words, but not stemmed (index terms are stems, and a
 * stem need not start with the stem of a prefix): "complain*" finds complain
 * and complaint.  Because the index holds stems, the word before the '*'
 * also stands for itself: its own stem ("learning*" -> learn) is added when
 * indexed.  At most max_expansion indexed terms (in byte order) are kept,
 * truncated_prefix is set when more existed; no term at all -> NOTHING.
 * There is no wildcard inside quotes.
 *
 * Filters (field:value, values in qfilter.c) are known field names,
 * case-insensitive, directly followed by ':' and a value or a quoted value;
 * any other "x:y" is text.  Filters restrict the whole query, so they may
 * stand only at the top level: not inside ( ), not negated, not joined by
 * OR (repeat the field instead).
 *
 * With opts->literal there are no operators, quotes or filters: every
 * white-space separated word is text (so a topic's "(SAR)" or "well-led:"
 * cannot be a syntax error); acronyms and compounds work as usual.
 *
 * Errors: one line, AS_ESYNTAX, pointing at the problem with a 1-based
 * column counted in characters (UTF-8 sequences; an invalid byte counts
 * one).  Limits (AS_ELIMIT): query length, parenthesis depth, leaves.
 */
#include "query.h"
#include "qfilter.h"
#include "qtree.h"
#include "utf8.h"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DEFAULT_EXPANSION 1000
#define DEFAULT_LENGTH 4096
#define MAX_DEPTH 32      /* nesting of ( ): the parser recurses per level */
#define MAX_LEAVES 10000  /* TERM nodes: bounds the work of either engine */

/* ---- Parser state ------------------------------------------------------ */

enum { T_END, T_WORD, T_PHRASE, T_LP, T_RP, T_OR, T_NOT, T_MINUS, T_FIELD };

typedef struct tok {
    int type;
    size_t off;      /* byte offset where the token starts (for columns) */
    size_t s, e;     /* text: word, phrase content or filter value */
    int field;       /* T_FIELD: enum as_qfield */
    int prefix;      /* T_WORD ending in '*' */
} tok;

/* An analysed token, copied out of the analyzer's buffer. */
typedef struct atok {
    char *term;
    uint32_t len, pos, flags;
} atok;

/* One acronym table entry prepared for matching runs of query words. */
typedef struct expn {
    atok *terms;     /* plain terms of the expansion, in order */
    size_t n;
    int idx;         /* table index of the acronym's chosen expansion */
    char *acro_term; /* "^sar" */
} expn;

struct exptab;

/* One item of a conjunction (a group or the whole query). */
typedef struct item {
    as_qnode *node;  /* NULL: nothing to search (ignored word, filter) */
    int neg;         /* excluded (-x, NOT x) */
    int filter;
    int eligible;    /* a plain word that may be part of an acronym's expansion */
    atok *seq;       /* its plain terms, for matching expansions */
    size_t nseq;
    size_t off;
    size_t s, e;     /* a word's bytes in the query */
} item;

typedef struct parser {
    const char *q;
    size_t len;
    as_analyzer *an;
    const as_lexicon *lex;
    size_t max_exp;
    int any, literal, stopwords;
    as_query *out;
    as_qbuild b;
    tok *toks;
    size_t ntoks, tcap, ti;
    struct exptab *exps; /* the acronym table prepared for matching (load_exps) */
    size_t nexps;
    int exps_ready;
    /* The entries that may hold cand_term (candidates), worked out once
     * per word: find_run and find_head ask about the same word. */
    const char *cand_term;
    size_t *cand;
    size_t ncand;
    size_t used_cap;
    int saw_filter;
} parser;

/* 1-based column of byte offset off, counting characters. */
static size_t column(const parser *p, size_t off)
{
    size_t c = 1;
    for (size_t i = 0; i < off && i < p->len; i++)
        if (((unsigned char)p->q[i] & 0xC0) != 0x80)
            c++;
    return c;
}

static void fail(parser *p, int code, const char *msg, size_t off)
{
    if (!p->b.rc)
        p->b.rc = as_err_set(p->b.err, code, "%s at column %zu", msg, column(p, off));
}

static void fail_paren(parser *p, const char *msg, size_t off)
{
    if (!p->b.rc)
        p->b.rc = as_err_set(p->b.err, AS_ESYNTAX, "%s (column %zu)", msg, column(p, off));
}

static void nomem(parser *p)
{
    if (!p->b.rc)
        p->b.rc = as_err_set(p->b.err, AS_ENOMEM, "out of memory");
}

/* ---- Lexer ------------------------------------------------------------- */

/* Byte length of the white-space character at q[i], or 0. */
static size_t space_len(const parser *p, size_t i)
{
    const unsigned char *s = (const unsigned char *)p->q + i;
    size_t n = p->len - i;
    if (s[0] == ' ' || (s[0] >= '\t' && s[0] <= '\r') || s[0] == '\0')
        return 1;
    if (n >= 2 && s[0] == 0xC2 && s[1] == 0xA0) /* no-break space */
        return 2;
    if (n >= 3 && s[0] == 0xE2 && s[1] == 0x80 && ((s[2] >= 0x80 && s[2] <= 0x8A) || s[2] == 0xAF))
        return 3; /* U+2000..U+200A, U+202F */
    if (n >= 3 && s[0] == 0xE3 && s[1] == 0x80 && s[2] == 0x80) /* U+3000 */
        return 3;
    return 0;
}

/* Byte length of the quote mark at q[i] (" “ ”), or 0. */
static size_t quote_len(const parser *p, size_t i)
{
    const unsigned char *s = (const unsigned char *)p->q + i;
    if (s[0] == '"')
        return 1;
    if (p->len - i >= 3 && s[0] == 0xE2 && s[1] == 0x80 && (s[2] == 0x9C || s[2] == 0x9D))
        return 3;
    return 0;
}

/* Finds the quote closing the one at q[i] (of length ql): sets *s, *e to
 * the content and returns the offset after the closing quote, or 0 with an
 * error when there is none. */
static size_t lex_quoted(parser *p, size_t i, size_t ql, size_t *s, size_t *e)
{
    size_t j = i + ql, cl = 0;
    while (j < p->len && !(cl = quote_len(p, j)))
        j++;
    if (j >= p->len) {
        fail(p, AS_ESYNTAX, "unterminated quote", i);
        return 0;
    }
    *s = i + ql;
    *e = j;
    return j + cl;
}

static int push_tok(parser *p, int type, size_t off, size_t s, size_t e)
{
    void *v = p->toks;
    if (as_qarena_grow(p->b.A, &v, &p->tcap, p->ntoks, sizeof *p->toks)) {
        nomem(p);
        return -1;
    }
    p->toks = v;
    tok *t = &p->toks[p->ntoks++];
    memset(t, 0, sizeof *t);
    t->type = type;
    t->off = off;
    t->s = s;
    t->e = e;
    return 0;
}

static int word_end(const parser *p, size_t j)
{
    return j >= p->len || space_len(p, j) || p->q[j] == '(' || p->q[j] == ')' || quote_len(p, j);
}

static void tokenize(parser *p)
{
    size_t i = 0, sl, ql;
    for (;;) {
        while (i < p->len && (sl = space_len(p, i)))
            i += sl;
        if (i >= p->len) {
            push_tok(p, T_END, p->len, p->len, p->len);
            return;
        }
        const char *q = p->q;
        if (!p->literal && (q[i] == '(' || q[i] == ')')) {
            if (push_tok(p, q[i] == '(' ? T_LP : T_RP, i, i, i + 1))
                return;
            i++;
            continue;
        }
        if (!p->literal && (ql = quote_len(p, i))) {
            size_t s, e, nx = lex_quoted(p, i, ql, &s, &e);
            if (!nx || push_tok(p, T_PHRASE, i, s, e))
                return;
            i = nx;
            continue;
        }
        if (!p->literal && q[i] == '-' && i + 1 < p->len && !space_len(p, i + 1) && q[i + 1] != '-'
            && q[i + 1] != ')') {
            if (push_tok(p, T_MINUS, i, i, i + 1))
                return;
            i++;
            continue;
        }
        size_t j = i;
        if (p->literal) { /* words end only at white space */
            while (j < p->len && !space_len(p, j))
                j++;
            if (push_tok(p, T_WORD, i, i, j))
                return;
            i = j;
            continue;
        }
        while (!word_end(p, j))
            j++;
        size_t n = j - i;
        if (n == 3 && memcmp(q + i, "AND", 3) == 0) {
            i = j;
            continue;
        }
        int type = T_WORD;
        if (n == 2 && memcmp(q + i, "OR", 2) == 0)
            type = T_OR;
        else if (n == 3 && memcmp(q + i, "NOT", 3) == 0)
            type = T_NOT;
        const char *colon = memchr(q + i, ':', n);
        int field = colon ? as_qfield_lookup(q + i, (size_t)(colon - (q + i))) : -1;
        if (field >= 0) {
            size_t vs = (size_t)(colon - q) + 1, ve = j;
            if (vs == j && j < p->len && (ql = quote_len(p, j))) {
                j = lex_quoted(p, j, ql, &vs, &ve);
                if (!j)
                    return;
            } else if (vs == j) {
                char m[64];
                snprintf(m, sizeof m, "%s: needs a value", as_qfield_name(field));
                fail_paren(p, m, i);
                return;
            }
            if (push_tok(p, T_FIELD, i, vs, ve))
                return;
            p->toks[p->ntoks - 1].field = field;
            i = j;
            continue;
        }
        if (push_tok(p, type, i, i, j))
            return;
        p->toks[p->ntoks - 1].prefix = type == T_WORD && q[j - 1] == '*';
        i = j;
    }
}

/* ---- Words, phrases, prefixes, acronyms -------------------------------- */

/* Analyses text[0..n) into copies of its tokens in arena A. */
static atok *analyse_in(parser *p, as_qarena *A, const char *text, size_t n, size_t *nout)
{
    const as_token *t;
    size_t nt;
    *nout = 0;
    if (p->b.rc)
        return NULL;
    int rc = as_analyze(p->an, text, n, &t, &nt);
    if (rc) {
        p->b.rc = as_err_set(p->b.err, rc, "%s while analysing the query", as_strerror(rc));
        return NULL;
    }
    atok *a = as_qarena_alloc(A, (nt ? nt : 1) * sizeof *a);
    if (!a) {
        nomem(p);
        return NULL;
    }
    for (size_t i = 0; i < nt; i++) {
        a[i].term = as_qarena_strdup(A, t[i].term, t[i].len);
        if (!a[i].term) {
            nomem(p);
            return NULL;
        }
        a[i].len = t[i].len;
        a[i].pos = t[i].pos;
        a[i].flags = t[i].flags;
    }
    *nout = nt;
    return a;
}

/* The same into the query's arena. */
static atok *analyse(parser *p, const char *text, size_t n, size_t *nout)
{
    return analyse_in(p, p->b.A, text, n, nout);
}

static int plain(const atok *t)
{
    return !(t->flags & (AS_TOK_JOINED | AS_TOK_ACRONYM));
}

/* Keeps the plain tokens (not joined, not ^acronym), in place. */
static size_t keep_plain(atok *t, size_t n)
{
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        if (plain(&t[i]))
            t[k++] = t[i];
    return k;
}

/* TERM for one term, else PHRASE at the analyzer's relative positions. */
static as_qnode *phrase_of(parser *p, const atok *t, size_t n, int flags, const char *origin)
{
    if (n == 0)
        return NULL;
    if (n == 1)
        return as_qnode_term(&p->b, t[0].term, t[0].len, 0, flags, origin);
    as_qnode *ph = as_qnode_new(&p->b, AS_Q_PHRASE, flags, origin);
    if (!ph)
        return NULL;
    ph->kids = as_qarena_alloc(p->b.A, n * sizeof *ph->kids);
    if (!ph->kids) {
        nomem(p);
        return NULL;
    }
    for (size_t i = 0; i < n; i++) {
        uint32_t off = t[i].pos >= t[0].pos ? t[i].pos - t[0].pos : 0;
        if (!(ph->kids[i] = as_qnode_term(&p->b, t[i].term, t[i].len, off, flags, origin)))
            return NULL;
    }
    ph->nkids = n;
    return ph;
}

static void set_acronym(as_qnode *n, int idx)
{
    if (!n)
        return;
    n->acronym = idx;
    for (size_t i = 0; i < n->nkids; i++)
        set_acronym(n->kids[i], idx);
}

static void record_acronym(parser *p, int idx)
{
    as_query *q = p->out;
    for (size_t i = 0; i < q->nacronyms_used; i++)
        if (q->acronyms_used[i] == idx)
            return;
    void *v = q->acronyms_used;
    if (as_qarena_grow(p->b.A, &v, &p->used_cap, q->nacronyms_used, sizeof(int))) {
        nomem(p);
        return;
    }
    q->acronyms_used = v;
    q->acronyms_used[q->nacronyms_used++] = idx;
}

/* Table index of the chosen expansion of acronym a[0..n), or -1. */
static int acro_index(const parser *p, const char *a, size_t n)
{
    const as_acrotab *t = p->lex ? p->lex->acronyms : NULL;
    size_t i;
    if (!t || !n || as_acrotab_find_index(t, a, n, &i) != AS_OK || i > (size_t)INT32_MAX)
        return -1;
    return (int)i;
}

/* The acronym table prepared for matching runs and heads (find_run,
 * find_head).  It depends on the table alone (there is one analyzer), so it
 * is kept as the table's memo (acronym.c), made by the first parse that
 * needs it.  Analysing every expansion was most of a short query's parse,
 * and a search runs one parse, so an entry is analysed only when a query
 * term could be one of its terms, then kept:
 *   starts[x]  how a term of entry x's expansion can begin.  A plain term
 *              is the stem (or the protected or unstemmed form) of a folded
 *              word, and Snowball english keeps a word's first letter and
 *              its second, except y -> i (dying -> die), or leaves one
 *              letter (checked over 50 million words, real and random).
 *              For an ASCII expansion the words begin at an alphanumeric
 *              byte after a non-alphanumeric one (or the first) and fold by
 *              lower-casing, so from those bytes: first (the first byte),
 *              pair (a Bloom set of the first two, with y also as i) and
 *              wild (first bytes of words whose second byte is not
 *              alphanumeric: "x-ray", "1,000", "O'Neill") hold every
 *              term's beginning; a non-ASCII byte makes them "anything".
 *   prep[x]    the analysed entry (one malloc'd block, freeze), NULL until
 *              needed; published with compare-and-swap, so threads sharing
 *              a table need no lock (a loser frees its copy). */
typedef struct estart {
    uint64_t first, pair, wild;
} estart;

typedef struct exptab {
    size_t n;
    estart *starts;
    _Atomic(expn *) *prep;
} exptab;

/* Index of a byte of [0-9a-z] (0..35), -1 for any other. */
static int start_idx(unsigned char c)
{
    if (c >= 'a' && c <= 'z')
        return c - 'a';
    if (c >= '0' && c <= '9')
        return 26 + c - '0';
    return -1;
}

static uint64_t pair_bit(int a, int b)
{
    return (uint64_t)1 << ((((uint32_t)(a * 36 + b)) * 2654435761u) >> 26);
}

static int alnum_ascii(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

static unsigned char lower_ascii(unsigned char c)
{
    return (unsigned char)(c >= 'A' && c <= 'Z' ? c + 32 : c);
}

static estart starts_of(const char *text)
{
    estart m = {0, 0, 0};
    const unsigned char *t = (const unsigned char *)text;
    /* prev: t[i - 1] is alphanumeric (each byte tested once: every
     * expansion of the acronym table is read on a query's first use) */
    int prev = 0;
    for (size_t i = 0; t && t[i]; i++) {
        if (t[i] >= 0x80)
            return (estart){UINT64_MAX, UINT64_MAX, UINT64_MAX};
        int cur = alnum_ascii(t[i]), starts = cur && !prev;
        prev = cur;
        if (!starts)
            continue;
        int a = start_idx(lower_ascii(t[i]));
        m.first |= (uint64_t)1 << a;
        if (!alnum_ascii(t[i + 1])) { /* t[i + 1] may be the NUL */
            m.wild |= (uint64_t)1 << a;
            continue;
        }
        unsigned char c1 = lower_ascii(t[i + 1]);
        m.pair |= pair_bit(a, start_idx(c1));
        if (c1 == 'y')
            m.pair |= pair_bit(a, start_idx('i'));
    }
    return m;
}

/* Entry x may hold a term equal to t. */
static int may_hold(const exptab *X, size_t x, const char *t)
{
    const estart *m = &X->starts[x];
    int a = start_idx((unsigned char)t[0]);
    if (a < 0) /* a term no ASCII word gives: no filter */
        return 1;
    if (!(m->first & ((uint64_t)1 << a)))
        return 0;
    int b = t[1] ? start_idx((unsigned char)t[1]) : -1;
    if (b < 0 || (m->wild & ((uint64_t)1 << a)))
        return 1;
    return (m->pair & pair_bit(a, b)) != 0;
}

static void exptab_free(void *v)
{
    exptab *X = v;
    if (!X)
        return;
    for (size_t x = 0; X->prep && x < X->n; x++)
        free(atomic_load(&X->prep[x]));
    free(X->prep);
    free(X->starts);
    free(X);
}

static exptab *exptab_new(const as_acrotab *t, size_t n)
{
    exptab *X = calloc(1, sizeof *X);
    if (!X)
        return NULL;
    X->n = n;
    X->starts = calloc(n, sizeof *X->starts);
    X->prep = calloc(n, sizeof *X->prep);
    if (!X->starts || !X->prep) {
        exptab_free(X);
        return NULL;
    }
    for (size_t x = 0; x < n; x++) {
        const as_acronym *a = as_acrotab_get(t, x);
        X->starts[x] = a && a->acro && a->expansion ? starts_of(a->expansion) : (estart){0, 0, 0};
        atomic_init(&X->prep[x], NULL);
    }
    return X;
}

/* Copies e (built in the query's arena) into one block: the expn, its
 * terms, then their strings and the ^term. */
static expn *freeze(const expn *e)
{
    size_t bytes = sizeof *e + e->n * sizeof *e->terms;
    for (size_t k = 0; k < e->n; k++)
        bytes += strlen(e->terms[k].term) + 1;
    if (e->acro_term)
        bytes += strlen(e->acro_term) + 1;
    expn *f = malloc(bytes);
    if (!f)
        return NULL;
    *f = *e;
    f->terms = (atok *)(f + 1);
    char *str = (char *)(f->terms + e->n);
    for (size_t k = 0; k < e->n; k++) {
        size_t l = strlen(e->terms[k].term) + 1;
        f->terms[k] = e->terms[k];
        f->terms[k].term = memcpy(str, e->terms[k].term, l);
        str += l;
    }
    if (e->acro_term)
        f->acro_term = memcpy(str, e->acro_term, strlen(e->acro_term) + 1);
    return f;
}

/* Entry x analysed: its plain terms, the index of its acronym's chosen
 * expansion and that acronym's ^term.  NULL with p's status set. */
static const expn *prep_entry(parser *p, size_t x)
{
    exptab *X = p->exps;
    expn *have = atomic_load(&X->prep[x]);
    if (have)
        return have;
    const as_acrotab *t = p->lex->acronyms;
    const as_acronym *a = as_acrotab_get(t, x);
    expn e = {.idx = -1};
    if (a && a->acro && a->expansion) {
        int idx = acro_index(p, a->acro, strlen(a->acro));
        e.idx = idx >= 0 ? idx : (int)x;
        const as_acronym *chosen = as_acrotab_get(t, (size_t)e.idx);
        if (chosen && chosen->acro) {
            /* The ^term exactly as the analyzer writes the acronym in text. */
            size_t na;
            atok *at = analyse(p, chosen->acro, strlen(chosen->acro), &na);
            for (size_t k = 0; k < na; k++)
                if (at[k].flags & AS_TOK_ACRONYM) {
                    e.acro_term = at[k].term;
                    break;
                }
            if (!e.acro_term && !p->b.rc) {
                size_t al = strlen(chosen->acro);
                if (!(e.acro_term = as_qarena_alloc(p->b.A, al + 2))) {
                    nomem(p);
                    return NULL;
                }
                e.acro_term[0] = '^';
                for (size_t k = 0; k <= al; k++)
                    e.acro_term[k + 1] =
                        (char)((chosen->acro[k] >= 'A' && chosen->acro[k] <= 'Z')
                                   ? chosen->acro[k] + 32 : chosen->acro[k]);
            }
            e.terms = analyse(p, a->expansion, strlen(a->expansion), &e.n);
            e.n = keep_plain(e.terms, e.n);
        }
    }
    if (p->b.rc)
        return NULL;
    expn *f = freeze(&e);
    if (!f) {
        nomem(p);
        return NULL;
    }
    if (!atomic_compare_exchange_strong(&X->prep[x], &have, f)) {
        free(f); /* another thread was first: the same content */
        return have;
    }
    return f;
}

/* Makes the table's prepared form available to this parse (once per
 * parse: the table's memo, made by the first parse that needs it). */
static void load_exps(parser *p)
{
    if (p->exps_ready)
        return;
    p->exps_ready = 1;
    const as_acrotab *t = p->lex ? p->lex->acronyms : NULL;
    size_t n = t ? as_acrotab_size(t) : 0;
    if (n == 0)
        return;
    exptab *X = as_acrotab_memo(t);
    if (!X) {
        exptab *built = exptab_new(t, n);
        if (!built || !(X = as_acrotab_set_memo(t, built, exptab_free))) {
            nomem(p);
            return;
        }
    }
    p->exps = X;
    p->nexps = X->n;
}

/* OR(^acro, PHRASE(expansion)) for a word written in capitals. */
static as_qnode *acronym_node(parser *p, int idx, const atok *caret, const char *origin)
{
    const as_acronym *a = as_acrotab_get(p->lex->acronyms, (size_t)idx);
    size_t n = 0;
    atok *t = a && a->expansion ? analyse(p, a->expansion, strlen(a->expansion), &n) : NULL;
    n = keep_plain(t, n);
    as_qnode *term = as_qnode_term(&p->b, caret->term, caret->len, 0, AS_QF_ACRONYM, origin);
    as_qnode *node = term;
    if (n > 0)
        node = as_qnode_pair(&p->b, AS_Q_OR, AS_QF_ACRONYM, term,
                             phrase_of(p, t, n, AS_QF_ACRONYM, a->expansion));
    if (node) {
        node->origin = origin;
        set_acronym(node, idx);
        record_acronym(p, idx);
    }
    return node;
}

/* A word outside quotes. */
static as_qnode *word_node(parser *p, size_t s, size_t e, item *it)
{
    const char *origin = as_qarena_strdup(p->b.A, p->q + s, e - s);
    if (!origin) {
        nomem(p);
        return NULL;
    }
    size_t n;
    atok *t = analyse(p, p->q + s, e - s, &n);
    if (!t)
        return NULL;
    const atok *caret = NULL, *joined = NULL;
    size_t njoined = 0;
    for (size_t i = 0; i < n; i++) {
        if ((t[i].flags & AS_TOK_ACRONYM) && !caret)
            caret = &t[i];
        if (t[i].flags & AS_TOK_JOINED)
            joined = &t[i], njoined++;
    }
    atok jcopy = joined ? *joined : (atok){0};
    atok ccopy = caret ? *caret : (atok){0};
    size_t np = keep_plain(t, n);
    if (np == 0)
        return NULL;
    it->seq = t;
    it->nseq = np;
    it->eligible = 1;
    it->s = s;
    it->e = e;
    if (np == 1) {
        if (caret) {
            int idx = acro_index(p, ccopy.term + 1, ccopy.len - 1);
            if (idx < 0) /* the table may spell a plural or mixed case */
                idx = acro_index(p, p->q + s, e - s);
            if (idx >= 0) {
                it->eligible = 0;
                return acronym_node(p, idx, &ccopy, origin);
            }
        }
        return as_qnode_term(&p->b, t[0].term, t[0].len, 0, 0, origin);
    }
    int consecutive = 1;
    for (size_t i = 1; i < np; i++)
        if (t[i].pos != t[0].pos + i)
            consecutive = 0;
    if (njoined == 1 && jcopy.pos == t[0].pos && consecutive) {
        as_qnode *ph = phrase_of(p, t, np, AS_QF_COMPOUND, origin);
        as_qnode *j = as_qnode_term(&p->b, jcopy.term, jcopy.len, 0, AS_QF_COMPOUND, origin);
        as_qnode *or = as_qnode_pair(&p->b, AS_Q_OR, AS_QF_COMPOUND, ph, j);
        if (or)
            or->origin = origin;
        return or;
    }
    return phrase_of(p, t, np, 0, origin);
}

static as_qnode *quoted_node(parser *p, size_t s, size_t e)
{
    const char *origin = as_qarena_strdup(p->b.A, p->q + s, e - s);
    if (!origin) {
        nomem(p);
        return NULL;
    }
    size_t n;
    atok *t = analyse(p, p->q + s, e - s, &n);
    return t ? phrase_of(p, t, keep_plain(t, n), 0, origin) : NULL;
}

typedef struct collect {
    parser *p;
    char **terms;
    size_t n, cap, max;
    int truncated;
} collect;

static int collect_cb(void *arg, const char *term, size_t len)
{
    collect *c = arg;
    if (!term || len == 0 || term[0] == '^')
        return 0;
    if (c->n >= c->max) {
        c->truncated = 1;
        return 1;
    }
    void *v = c->terms;
    char *d = NULL;
    if (as_qarena_grow(c->p->b.A, &v, &c->cap, c->n, sizeof(char *)) == AS_OK)
        d = as_qarena_strdup(c->p->b.A, term, len);
    if (!d) {
        nomem(c->p);
        return 1;
    }
    c->terms = v;
    c->terms[c->n++] = d;
    return 0;
}

static int exact_cb(void *arg, const char *term, size_t len)
{
    const char *want = arg;
    return strlen(want) == len && memcmp(want, term, len) == 0 ? 1 : 2;
}

/* word* : see the file comment. */
static as_qnode *prefix_node(parser *p, size_t s, size_t e)
{
    const char *origin = as_qarena_strdup(p->b.A, p->q + s, e - s);
    if (!origin) {
        nomem(p);
        return NULL;
    }
    size_t we = e;
    while (we > s && p->q[we - 1] == '*')
        we--;
    /* Fold as the analyzer folds words; keep '.' and '/' between digits. */
    char pre[AS_TERM_MAX + 8];
    size_t pl = 0;
    const unsigned char *u = (const unsigned char *)p->q;
    for (size_t i = s; i < we && pl < AS_TERM_MAX;) {
        uint32_t cp;
        size_t cl = as_utf8_decode(u + i, we - i, &cp);
        if (cl == 0) {
            i++;
            continue;
        }
        char f[4];
        size_t fl = 0;
        int cls = as_utf8_fold(cp, f, &fl);
        if ((cls == AS_CH_LETTER || cls == AS_CH_DIGIT) && fl > 0) {
            if (pl + fl > AS_TERM_MAX)
                break;
            memcpy(pre + pl, f, fl);
            pl += fl;
        } else if ((cp == '.' || cp == '/') && pl > 0 && pre[pl - 1] >= '0' && pre[pl - 1] <= '9'
                   && i + 1 < we && u[i + 1] >= '0' && u[i + 1] <= '9') {
            pre[pl++] = (char)cp;
        }
        i += cl;
    }
    pre[pl] = '\0';
    if (pl == 0) {
        fail_paren(p, "prefix* needs a letter or digit before the *", s);
        return NULL;
    }
    /* More than MAX_LEAVES terms fail the leaf limit anyway: stop there. */
    collect c = {.p = p, .max = p->max_exp < MAX_LEAVES ? p->max_exp : MAX_LEAVES};
    if (p->lex && p->lex->each_prefix) {
        p->lex->each_prefix(p->lex->ctx, pre, pl, collect_cb, &c);
        if (p->b.rc)
            return NULL;
        /* The stem of the word itself, when indexed and not already there. */
        const char *st;
        size_t stl;
        if (as_analyze_word(p->an, pre, pl, &st, &stl) == AS_OK && stl > 0
            && !(stl >= pl && memcmp(st, pre, pl) == 0)) {
            char *stem = as_qarena_strdup(p->b.A, st, stl);
            if (!stem) {
                nomem(p);
                return NULL;
            }
            if (p->lex->each_prefix(p->lex->ctx, stem, stl, exact_cb, stem) == 1) {
                void *v = c.terms;
                if (as_qarena_grow(p->b.A, &v, &c.cap, c.n, sizeof(char *))) {
                    nomem(p);
                    return NULL;
                }
                c.terms = v;
                size_t at = 0;
                while (at < c.n && strcmp(c.terms[at], stem) < 0)
                    at++;
                if (at == c.n || strcmp(c.terms[at], stem) != 0) {
                    memmove(c.terms + at + 1, c.terms + at, (c.n - at) * sizeof(char *));
                    c.terms[at] = stem;
                    c.n++;
                }
            }
        }
    }
    if (c.truncated)
        p->out->truncated_prefix = 1;
    if (c.n == 0)
        return as_qnode_new(&p->b, AS_Q_NOTHING, AS_QF_PREFIX, origin);
    if (c.n == 1)
        return as_qnode_term(&p->b, c.terms[0], strlen(c.terms[0]), 0, AS_QF_PREFIX, origin);
    as_qnode **kids = as_qarena_alloc(p->b.A, c.n * sizeof *kids);
    if (!kids) {
        nomem(p);
        return NULL;
    }
    for (size_t i = 0; i < c.n; i++)
        if (!(kids[i] = as_qnode_term(&p->b, c.terms[i], strlen(c.terms[i]), 0, AS_QF_PREFIX,
                                      origin)))
            return NULL;
    return as_qnode_list(&p->b, AS_Q_OR, AS_QF_PREFIX, kids, c.n, origin);
}

/* ---- Filters ----------------------------------------------------------- */

static void field_filter(parser *p, const tok *t)
{
    as_err e = {0};
    int rc = t->field == AS_QFIELD_COUNCIL
        ? as_qfilter_council(&p->out->filter, p->b.A, p->q + t->s, t->e - t->s, &e)
        : as_qfilter_set(&p->out->filter, t->field, p->q + t->s, t->e - t->s, &e);
    if (rc && !p->b.rc)
        p->b.rc = as_err_set(p->b.err, rc, "%s (column %zu)", e.msg, column(p, t->off));
    p->saw_filter = 1;
}

int as_query_add_filter(as_query *q, const char *field, const char *value, as_err *err)
{
    if (!q || !field || !value)
        return as_err_set(err, AS_EINVAL, "no query, field or value");
    int f = as_qfield_lookup(field, strlen(field));
    if (f < 0)
        return as_err_set(err, AS_EINVAL,
                          "unknown filter '%.40s': "
                          "use council, statement, theme, score, year or kind",
                          field);
    if (f == AS_QFIELD_COUNCIL)
        return as_qfilter_council(&q->filter, as_qtree_arena(q), value, strlen(value), err);
    return as_qfilter_set(&q->filter, f, value, strlen(value), err);
}

/* ---- Grammar ----------------------------------------------------------- */

static const tok *peek(const parser *p)
{
    return &p->toks[p->ti];
}

static as_qnode *parse_seq(parser *p, int depth, size_t open_off);

static void parse_primary(parser *p, int depth, item *it)
{
    const tok *t = peek(p);
    p->ti++;
    it->off = t->off;
    switch (t->type) {
    case T_WORD:
        if (t->prefix)
            it->node = prefix_node(p, t->s, t->e);
        else
            it->node = word_node(p, t->s, t->e, it);
        break;
    case T_PHRASE:
        it->node = quoted_node(p, t->s, t->e);
        break;
    case T_LP:
        if (depth + 1 > MAX_DEPTH) {
            char m[64];
            snprintf(m, sizeof m, "parentheses nested too deeply (more than %d)", MAX_DEPTH);
            fail(p, AS_ELIMIT, m, t->off);
            return;
        }
        it->node = parse_seq(p, depth + 1, t->off);
        break;
    case T_FIELD:
        if (depth > 0) {
            fail_paren(p, "a filter cannot go inside parentheses", t->off);
            return;
        }
        it->filter = 1;
        field_filter(p, t);
        break;
    default: /* callers only come here for the four above */
        fail_paren(p, "unexpected operator", t->off);
        break;
    }
}

static int starts_operand(int type)
{
    return type == T_WORD || type == T_PHRASE || type == T_LP || type == T_FIELD;
}

static void parse_unary(parser *p, int depth, item *it)
{
    const tok *t = peek(p);
    if (t->type == T_MINUS || t->type == T_NOT) {
        p->ti++;
        const tok *nt = peek(p);
        if (!starts_operand(nt->type)) {
            fail_paren(p, t->type == T_NOT ? "NOT needs a word, phrase or group after it"
                                           : "- needs a word, phrase or group right after it",
                       t->off);
            return;
        }
        if (nt->type == T_FIELD) {
            fail_paren(p, "a filter cannot be excluded", t->off);
            return;
        }
        parse_primary(p, depth, it);
        it->neg = 1;
        it->eligible = 0;
        it->off = t->off;
        return;
    }
    parse_primary(p, depth, it);
}

#define OR_FILTER "a filter cannot be joined with OR: repeat the field to allow several values"

static void parse_item(parser *p, int depth, item *it)
{
    parse_unary(p, depth, it);
    while (!p->b.rc && peek(p)->type == T_OR) {
        const tok *ort = peek(p);
        p->ti++;
        int nt = peek(p)->type;
        if (nt == T_END || nt == T_RP || nt == T_OR) {
            fail_paren(p, "OR needs a word on both sides", ort->off);
            return;
        }
        if (it->filter) {
            fail_paren(p, OR_FILTER, ort->off);
            return;
        }
        item b = {0};
        parse_unary(p, depth, &b);
        if (p->b.rc)
            return;
        if (b.filter) {
            fail_paren(p, OR_FILTER, ort->off);
            return;
        }
        if (it->neg || b.neg) {
            fail_paren(p, "OR cannot join an excluded item", ort->off);
            return;
        }
        it->eligible = 0;
        if (!it->node)
            it->node = b.node;
        else if (b.node)
            it->node = as_qnode_pair(&p->b, AS_Q_OR, 0, it->node, b.node);
    }
}

/* The table entries that may hold term (may_hold), ascending, in *n;
 * NULL with p's status set when out of memory.  Kept for the next call
 * with the same term (arena strings: one address is one term per parse). */
static const size_t *candidates(parser *p, const char *term, size_t *n)
{
    *n = 0;
    if (p->cand && p->cand_term == term) {
        *n = p->ncand;
        return p->cand;
    }
    if (!p->cand &&
        !(p->cand = as_qarena_alloc(p->b.A, (p->nexps ? p->nexps : 1) * sizeof *p->cand))) {
        nomem(p);
        return NULL;
    }
    size_t k = 0;
    for (size_t x = 0; x < p->nexps; x++)
        if (may_hold(p->exps, x, term))
            p->cand[k++] = x;
    p->cand_term = term;
    p->ncand = k;
    *n = k;
    return p->cand;
}

/* Finds the longest run of eligible items from i whose plain terms are
 * exactly an acronym expansion's; returns the number of items (0: none). */
static size_t find_run(parser *p, const item *items, size_t n, size_t i, const expn **best)
{
    size_t best_items = 0, best_len = 0;
    *best = NULL;
    const char *first = items[i].seq[0].term;
    size_t nc;
    const size_t *cand = candidates(p, first, &nc);
    if (!cand)
        return 0;
    for (size_t c = 0; c < nc; c++) {
        const expn *e = prep_entry(p, cand[c]);
        if (!e)
            return 0;
        if (e->n < 2 || e->n <= best_len || strcmp(e->terms[0].term, first))
            continue;
        size_t t = 0, j = i;
        while (j < n && items[j].eligible && t < e->n) {
            const item *it = &items[j];
            if (t + it->nseq > e->n)
                break;
            size_t k = 0;
            while (k < it->nseq && strcmp(it->seq[k].term, e->terms[t + k].term) == 0)
                k++;
            if (k < it->nseq)
                break;
            t += it->nseq;
            j++;
        }
        if (t == e->n) {
            best_len = e->n;
            best_items = j - i;
            *best = e;
        }
    }
    return best_items;
}

/* A single word that is the head (last word) of exactly one acronym's
 * expansion, when that acronym occurs in the index: "Ombudsman" also finds
 * "LGSCO" (Local Government and Social Care Ombudsman), "Commission" finds
 * "CQC".  A word found in several acronyms' expansions ("care": TEC,
 * LGSCO) is too vague to expand, and so is an acronym the corpus never
 * uses. */
static const expn *find_head(parser *p, const item *it)
{
    if (!it->eligible || it->nseq != 1 || !it->node || it->node->op != AS_Q_TERM
        || it->node->flags != 0 || !p->lex || !p->lex->each_prefix)
        return NULL;
    const expn *found = NULL;
    const char *term = it->seq[0].term;
    size_t nc;
    const size_t *cand = candidates(p, term, &nc);
    if (!cand)
        return NULL;
    for (size_t c = 0; c < nc; c++) {
        const expn *e = prep_entry(p, cand[c]);
        if (!e)
            return NULL;
        if (e->n < 2 || !e->acro_term || e->idx < 0)
            continue;
        size_t k = 0;
        while (k < e->n && strcmp(e->terms[k].term, term) != 0)
            k++;
        if (k == e->n)
            continue;
        /* In another acronym's expansion too ("care": TEC, LGSCO), or not
         * its last word: too vague to stand for the acronym. */
        if ((found && found->idx != e->idx) || k != e->n - 1)
            return NULL;
        found = e;
    }
    if (!found)
        return NULL;
    const char *t = found->acro_term;
    if (p->lex->each_prefix(p->lex->ctx, t, strlen(t), exact_cb, (void *)t) != 1)
        return NULL;
    return found;
}

/* The k words of items, plus one term standing for all of them (^acro, or
 * the joined form of a compound written apart): OR(AND(words), alt), or
 * with --any, where the words stay optional, OR(words..., alt). */
static as_qnode *alt_node(parser *p, const item *items, size_t k, const char *alt, int flags,
                          int acronym)
{
    as_qnode **kids = as_qarena_alloc(p->b.A, (k + 1) * sizeof *kids);
    if (!kids) {
        nomem(p);
        return NULL;
    }
    for (size_t i = 0; i < k; i++)
        kids[i] = items[i].node;
    /* The words as typed, from the first to the last. */
    const char *origin = as_qarena_strdup(p->b.A, p->q + items[0].s, items[k - 1].e - items[0].s);
    if (!origin) {
        nomem(p);
        return NULL;
    }
    as_qnode *t = as_qnode_term(&p->b, alt, strlen(alt), 0, flags, origin);
    if (!t)
        return NULL;
    t->acronym = acronym;
    as_qnode *node;
    if (p->any) {
        kids[k] = t;
        node = as_qnode_list(&p->b, AS_Q_OR, flags, kids, k + 1, NULL);
    } else {
        as_qnode *words = k == 1 ? kids[0] : as_qnode_list(&p->b, AS_Q_AND, 0, kids, k, NULL);
        node = as_qnode_pair(&p->b, AS_Q_OR, flags, words, t);
    }
    if (node) {
        node->origin = origin;
        node->acronym = acronym;
        if (acronym >= 0)
            record_acronym(p, acronym);
    }
    return node;
}

/* The joined term of the k words of items from i, in the query's arena,
 * when they may join (one-term plain words, not numbers) and it differs
 * from each word's own term; NULL (*tl 0) otherwise or out of memory. */
static char *join_term(parser *p, const item *items, size_t i, size_t k, size_t *tl)
{
    char buf[3 * AS_TERM_MAX];
    size_t bl = 0, j;
    *tl = 0;
    for (j = i; j < i + k; j++) {
        const item *it = &items[j];
        if (!it->eligible || it->nseq != 1 || it->node->op != AS_Q_TERM
            || it->node->flags != 0 || (it->seq[0].flags & AS_TOK_NUMBER)
            || it->e - it->s > AS_TERM_MAX || bl + (it->e - it->s) > sizeof buf)
            return NULL;
        memcpy(buf + bl, p->q + it->s, it->e - it->s);
        bl += it->e - it->s;
    }
    const char *t;
    size_t n;
    if (as_analyze_word(p->an, buf, bl, &t, &n) != AS_OK || n == 0)
        return NULL;
    char *term = as_qarena_strdup(p->b.A, t, n);
    if (!term) {
        nomem(p);
        return NULL;
    }
    for (j = i; j < i + k; j++)
        if (strcmp(items[j].seq[0].term, term) == 0)
            return NULL;
    *tl = n;
    return term;
}

/* Looks for two terms in one pass over the terms that start with their
 * common prefix (a dictionary lookup each was most of a three-word
 * query's parse): want[0..1], found[] set for those present. */
typedef struct twoterms {
    const char *want[2];
    size_t len[2];
    int found[2];
} twoterms;

/* Byte order, a prefix first (the lexicon's order). */
static int cmp_term(const char *a, size_t al, const char *b, size_t bl)
{
    int c = memcmp(a, b, al < bl ? al : bl);
    return c ? c : (al > bl) - (al < bl);
}

static int two_cb(void *arg, const char *term, size_t len)
{
    twoterms *w = arg;
    int past = 1;
    for (int k = 0; k < 2; k++) {
        int c = cmp_term(term, len, w->want[k], w->len[k]);
        if (c == 0)
            w->found[k] = 1;
        past &= c >= 0;
    }
    return past; /* every later term is greater than both */
}

/* Shortest common prefix worth one pass (a short one may cover many terms). */
#define JOIN_PREFIX_MIN 6

/* A run of 3 or 2 one-term words that the index also holds written as one
 * ("co production" -> coproduct, "north east" -> northeast), so that the
 * three spellings of a compound find one another from the query side too.
 * Returns the number of words (0: none) and the joined term.  Three words
 * win over two; both joins are looked for in one pass when they share a
 * long enough prefix (they begin with the same words). */
static size_t find_join(parser *p, const item *items, size_t n, size_t i, const char **joined)
{
    if (!p->lex || !p->lex->each_prefix)
        return 0;
    size_t l3 = 0, l2 = 0;
    char *t3 = i + 3 <= n ? join_term(p, items, i, 3, &l3) : NULL;
    if (p->b.rc)
        return 0;
    char *t2 = i + 2 <= n ? join_term(p, items, i, 2, &l2) : NULL;
    if (p->b.rc)
        return 0;
    size_t common = 0;
    while (t3 && t2 && common < l3 && common < l2 && t3[common] == t2[common])
        common++;
    if (t3 && t2 && common >= JOIN_PREFIX_MIN) {
        twoterms w = {{t3, t2}, {l3, l2}, {0, 0}};
        p->lex->each_prefix(p->lex->ctx, t3, common, two_cb, &w);
        if (w.found[0] || w.found[1]) {
            *joined = w.found[0] ? t3 : t2;
            return w.found[0] ? 3 : 2;
        }
        return 0;
    }
    if (t3 && p->lex->each_prefix(p->lex->ctx, t3, l3, exact_cb, t3) == 1) {
        *joined = t3;
        return 3;
    }
    if (t2 && p->lex->each_prefix(p->lex->ctx, t2, l2, exact_cb, t2) == 1) {
        *joined = t2;
        return 2;
    }
    return 0;
}

/* Combines the items of one conjunction: acronym runs, then
 * ANDNOT(AND(positives), OR(negatives)). */
/* Function words that carry no topic: with --any (long natural-language
 * queries) they only add noise to the ranking; measured on Vaswani
 * (bench/RESULTS.md).  Our own short list of English articles, pronouns,
 * prepositions, conjunctions and auxiliaries; sorted for bsearch. */
static const char *const stoplist[] = {
    "a", "about", "above", "after", "again", "against", "all", "also", "am", "an", "and",
    "any", "are", "as", "at", "be", "because", "been", "before", "being", "below",
    "between", "both", "but", "by", "can", "could", "did", "do", "does", "doing", "down",
    "during", "each", "either", "etc", "few", "for", "from", "further", "had", "has",
    "have", "having", "he", "her", "here", "hers", "him", "his", "how", "i", "if", "in",
    "into", "is", "it", "its", "itself", "just", "may", "me", "might", "more", "most",
    "much", "must", "my", "no", "nor", "not", "of", "off", "on", "once", "only", "or",
    "other", "our", "ours", "out", "over", "own", "same", "shall", "she", "should", "so",
    "some", "such", "than", "that", "the", "their", "theirs", "them", "then", "there",
    "these", "they", "this", "those", "through", "to", "too", "under", "until", "up",
    "upon", "us", "very", "was", "we", "were", "what", "when", "where", "whether", "which",
    "while", "who", "whom", "why", "will", "with", "within", "without", "would", "you",
    "your", "yours"};

static int cmp_stop(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static int is_stopword(const parser *p, const item *it)
{
    size_t n = it->e - it->s;
    char w[16];
    if (!it->node || it->node->op != AS_Q_TERM || n == 0 || n >= sizeof w)
        return 0;
    for (size_t i = 0; i < n; i++) {
        char c = p->q[it->s + i];
        if (c >= 'A' && c <= 'Z')
            c = (char)(c + 32);
        w[i] = c;
    }
    w[n] = '\0';
    const char *key = w;
    return bsearch(&key, stoplist, sizeof stoplist / sizeof stoplist[0], sizeof stoplist[0],
                   cmp_stop) != NULL;
}

static as_qnode *combine(parser *p, item *items, size_t n)
{
    size_t npos = 0, nneg = 0, elig = 0;
    for (size_t i = 0; i < n; i++) {
        if (!items[i].node)
            continue;
        if (items[i].neg)
            nneg++;
        else
            npos++;
        elig += items[i].eligible;
    }
    if (p->stopwords && p->any && npos > 0) {
        size_t nstop = 0;
        for (size_t i = 0; i < n; i++)
            nstop += items[i].node && !items[i].neg && is_stopword(p, &items[i]);
        if (nstop < npos) /* a query of nothing but function words keeps them */
            for (size_t i = 0; i < n; i++)
                if (items[i].node && !items[i].neg && is_stopword(p, &items[i])) {
                    items[i].node = NULL;
                    npos--;
                }
    }
    if (npos == 0) {
        if (nneg && !p->b.rc)
            p->b.rc = as_err_set(p->b.err, AS_ESYNTAX,
                                 "nothing to search for: add a word that is not excluded");
        return NULL;
    }
    /* Positives in order (so runs are of consecutive words), then negatives. */
    item *pos = as_qarena_alloc(p->b.A, npos * sizeof *pos);
    as_qnode **pk = as_qarena_alloc(p->b.A, npos * sizeof *pk);
    as_qnode **nk = as_qarena_alloc(p->b.A, (nneg ? nneg : 1) * sizeof *nk);
    if (!pos || !pk || !nk) {
        nomem(p);
        return NULL;
    }
    size_t a = 0, b = 0;
    for (size_t i = 0; i < n; i++)
        if (items[i].node) {
            if (items[i].neg)
                nk[b++] = items[i].node;
            else
                pos[a++] = items[i];
        }
    if (elig)
        load_exps(p);
    size_t m = 0;
    for (size_t i = 0; i < npos && !p->b.rc;) {
        const expn *e = NULL;
        const char *joined = NULL;
        size_t k = pos[i].eligible && p->nexps ? find_run(p, pos, npos, i, &e) : 0;
        if (k) {
            pk[m++] = alt_node(p, pos + i, k, e->acro_term, AS_QF_ACRONYM, e->idx);
        } else if (pos[i].eligible && (k = find_join(p, pos, npos, i, &joined)) > 0) {
            pk[m++] = alt_node(p, pos + i, k, joined, AS_QF_COMPOUND, -1);
        } else if (p->nexps && (e = find_head(p, &pos[i])) != NULL) {
            k = 1;
            pk[m++] = alt_node(p, pos + i, 1, e->acro_term, AS_QF_ACRONYM, e->idx);
        } else {
            k = 1;
            pk[m++] = pos[i].node;
        }
        i += k;
    }
    if (p->b.rc)
        return NULL;
    as_qnode *yes = m == 1 ? pk[0]
                           : as_qnode_list(&p->b, p->any ? AS_Q_OR : AS_Q_AND, 0, pk, m, NULL);
    if (nneg == 0)
        return yes;
    as_qnode *no = nneg == 1 ? nk[0] : as_qnode_list(&p->b, AS_Q_OR, 0, nk, nneg, NULL);
    return as_qnode_pair(&p->b, AS_Q_ANDNOT, 0, yes, no);
}

/* A conjunction up to the end of the query (depth 0) or the ')' closing the
 * '(' at open_off. */
static as_qnode *parse_seq(parser *p, int depth, size_t open_off)
{
    item *items = NULL;
    size_t n = 0, cap = 0;
    for (;;) {
        if (p->b.rc)
            return NULL;
        const tok *t = peek(p);
        if (t->type == T_END) {
            if (depth > 0) {
                fail(p, AS_ESYNTAX, "unbalanced parenthesis", open_off);
                return NULL;
            }
            break;
        }
        if (t->type == T_RP) {
            if (depth == 0) {
                fail(p, AS_ESYNTAX, "unbalanced parenthesis", t->off);
                return NULL;
            }
            p->ti++;
            break;
        }
        if (t->type == T_OR) {
            fail_paren(p, "OR needs a word on both sides", t->off);
            return NULL;
        }
        void *v = items;
        if (as_qarena_grow(p->b.A, &v, &cap, n, sizeof *items)) {
            nomem(p);
            return NULL;
        }
        items = v;
        memset(&items[n], 0, sizeof items[n]);
        parse_item(p, depth, &items[n]);
        n++;
    }
    return combine(p, items, n);
}

/* ---- Public ------------------------------------------------------------ */

int as_query_parse(const char *q, size_t len, as_analyzer *an, const as_lexicon *lex,
                   const as_query_opts *o, as_query **out, as_err *err)
{
    if (!out)
        return as_err_set(err, AS_EINVAL, "no result pointer");
    *out = NULL;
    if ((!q && len) || !an)
        return as_err_set(err, AS_EINVAL, "no query text or analyzer");
    size_t max_len = o && o->max_length ? o->max_length : DEFAULT_LENGTH;
    if (len > max_len)
        return as_err_set(err, AS_ELIMIT, "query too long (%zu bytes, limit %zu)", len, max_len);
    as_err e = {0};
    parser p = {
        .q = q ? q : "",
        .len = len,
        .an = an,
        .lex = lex,
        .max_exp = o && o->max_expansion ? o->max_expansion : DEFAULT_EXPANSION,
        .any = o ? o->any : 0,
        .literal = o ? o->literal : 0,
        .stopwords = o ? o->stopwords : 0,
        .out = as_qtree_query_new(),
    };
    if (!p.out)
        return as_err_set(err, AS_ENOMEM, "out of memory");
    p.b = (as_qbuild){.A = as_qtree_arena(p.out), .max_leaves = MAX_LEAVES, .err = &e};
    tokenize(&p);
    int nonblank = 0;
    for (size_t i = 0; i < p.len && !nonblank; i++)
        nonblank = !space_len(&p, i);
    as_qnode *root = p.b.rc ? NULL : parse_seq(&p, 0, 0);
    if (!p.b.rc && !root && !p.saw_filter && nonblank)
        p.b.rc = as_err_set(&e, AS_ESYNTAX, "nothing to search for: the query has no words");
    if (p.b.rc) {
        as_query_free(p.out);
        if (err)
            *err = e;
        return p.b.rc;
    }
    p.out->root = root;
    *out = p.out;
    return AS_OK;
}

