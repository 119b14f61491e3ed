/*
 * suggest.c — "did you mean": for a word whose term the index does not hold,
 * scan the dictionary for terms within a small edit distance (1 for words up
 * to 4 letters, else 2), prefer the nearest and then the most frequent, and
 * show it as the corpus writes it (the surface of its first plain
 * occurrence, found by re-analysing a sentence that contains it).
 */
#include "suggest.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

unsigned as_edit_distance(const char *a, size_t alen, const char *b, size_t blen,
                          unsigned max)
{
    if (alen > 64 || blen > 64)
        return max + 1;
    if ((alen > blen ? alen - blen : blen - alen) > max)
        return max + 1;
    unsigned d[65][65];
    for (size_t i = 0; i <= alen; i++)
        d[i][0] = (unsigned)i;
    for (size_t j = 0; j <= blen; j++)
        d[0][j] = (unsigned)j;
    for (size_t i = 1; i <= alen; i++) {
        unsigned rowmin = max + 1;
        for (size_t j = 1; j <= blen; j++) {
            unsigned cost = a[i - 1] != b[j - 1];
            unsigned v = d[i - 1][j] + 1;
            if (d[i][j - 1] + 1 < v) v = d[i][j - 1] + 1;
            if (d[i - 1][j - 1] + cost < v) v = d[i - 1][j - 1] + cost;
            if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]
                && d[i - 2][j - 2] + 1 < v)
                v = d[i - 2][j - 2] + 1; /* transposition */
            d[i][j] = v;
            if (v < rowmin)
                rowmin = v;
        }
        if (rowmin > max)
            return max + 1;
    }
    return d[alen][blen] <= max ? d[alen][blen] : max + 1;
}

typedef struct best {
    const char *want;
    size_t wlen;
    unsigned max;
    unsigned dist;
    uint32_t df;
    char term[AS_TERM_MAX + 1];
    as_term info;
} best;

static int scan(void *arg, const char *term, size_t len, const as_term *info)
{
    best *b = arg;
    if (len == 0 || term[0] == '^' || isdigit((unsigned char)term[0]) || len > AS_TERM_MAX)
        return 0;
    unsigned d = as_edit_distance(b->want, b->wlen, term, len, b->max);
    if (d > b->max || d == 0)
        return 0;
    if (d < b->dist || (d == b->dist && info->df > b->df)) {
        b->dist = d;
        b->df = info->df;
        memcpy(b->term, term, len);
        b->term[len] = '\0';
        b->info = *info;
    }
    return 0;
}

/* The corpus's own spelling of a term: the source span of its first plain
 * (not joined, not acronym) occurrence, lower-cased when the corpus
 * capitalised it only at a sentence start. */
static char *surface(const as_index *ix, as_analyzer *an, const as_term *t, const char *term)
{
    as_pcur c;
    as_docbuf db = {0};
    char *out = NULL;
    as_pcur_init(&c, ix, t);
    for (int tries = 0; tries < 20 && !out; tries++) {
        uint32_t doc = as_pcur_next(&c);
        if (doc == AS_DOC_END)
            break;
        as_docrec r;
        if (as_index_doc(ix, doc, &db, &r) != AS_OK)
            break;
        const as_token *tk;
        size_t n;
        if (as_analyze(an, r.text, strlen(r.text), &tk, &n) != AS_OK)
            break;
        for (size_t i = 0; i < n; i++) {
            if (tk[i].flags & (AS_TOK_JOINED | AS_TOK_ACRONYM))
                continue;
            if (tk[i].len != strlen(term) || memcmp(tk[i].term, term, tk[i].len) != 0)
                continue;
            size_t l = tk[i].end - tk[i].start;
            out = malloc(l + 1);
            if (out) {
                memcpy(out, r.text + tk[i].start, l);
                out[l] = '\0';
                for (size_t k = 0; k < l; k++)
                    out[k] = (char)tolower((unsigned char)out[k]);
            }
            break;
        }
    }
    as_pcur_release(&c);
    as_docbuf_free(&db);
    return out ? out : strdup(term);
}

static int plain_word(const char *w, size_t n)
{
    if (n == 0 || (n == 2 && !memcmp(w, "OR", 2)) || (n == 3 && !memcmp(w, "NOT", 3)))
        return 0;
    for (size_t i = 0; i < n; i++)
        if (!isalpha((unsigned char)w[i]) && w[i] != '-' && w[i] != '\'')
            return 0;
    return 1;
}

int as_suggest_query(const as_index *ix, as_analyzer *an, const char *query, char **out)
{
    size_t cap = strlen(query) * 4 + 64, len = 0;
    char *res = malloc(cap);
    int changed = 0;
    *out = NULL;
    if (!res)
        return AS_ENOMEM;
    const char *p = query;
    while (*p) {
        size_t sp = strspn(p, " \t");
        size_t wl = strcspn(p + sp, " \t");
        const char *w = p + sp;
        char *repl = NULL;
        if (plain_word(w, wl)) {
            const char *term;
            size_t tlen;
            as_term info;
            if (as_analyze_word(an, w, wl, &term, &tlen) == AS_OK && tlen > 0
                && tlen <= AS_TERM_MAX
                && as_index_find_term(ix, term, tlen, &info) == AS_ENOTFOUND) {
                best b;
                memset(&b, 0, sizeof b);
                char want[AS_TERM_MAX + 1];
                memcpy(want, term, tlen);
                want[tlen] = '\0';
                b.want = want;
                b.wlen = tlen;
                b.max = tlen <= 4 ? 1 : 2;
                b.dist = b.max + 1;
                as_index_each_term(ix, "", 0, scan, &b);
                if (b.dist <= b.max)
                    repl = surface(ix, an, &b.info, b.term);
            }
        }
        const char *src = repl ? repl : w;
        size_t sl = repl ? strlen(repl) : wl;
        if (len + sp + sl + 1 > cap) {
            cap = (len + sp + sl + 1) * 2;
            char *g = realloc(res, cap);
            if (!g) {
                free(res);
                free(repl);
                return AS_ENOMEM;
            }
            res = g;
        }
        memcpy(res + len, p, sp);
        len += sp;
        memcpy(res + len, src, sl);
        len += sl;
        changed |= repl != NULL;
        free(repl);
        p = w + wl;
    }
    res[len] = '\0';
    if (changed)
        *out = res;
    else
        free(res);
    return AS_OK;
}

size_t as_suggest_council(const as_index *ix, const char *value, const char **names,
                          size_t cap)
{
    char want[128];
    size_t wl = 0;
    for (const char *p = value; *p && wl < sizeof want - 1; p++)
        if (isalnum((unsigned char)*p))
            want[wl++] = (char)tolower((unsigned char)*p);
    want[wl] = '\0';
    size_t n = 0;
    unsigned max = wl <= 4 ? 1 : 2;
    for (uint32_t c = 0; c < as_index_ncouncils(ix) && n < cap; c++) {
        const char *name = as_index_council(ix, c);
        /* Compare with each word of the name. */
        const char *s = name;
        while (*s) {
            while (*s && !isalnum((unsigned char)*s))
                s++;
            char word[128];
            size_t l = 0;
            while (*s && isalnum((unsigned char)*s)) {
                if (l < sizeof word - 1)
                    word[l++] = (char)tolower((unsigned char)*s);
                s++;
            }
            if (l && as_edit_distance(want, wl, word, l, max) <= max) {
                names[n++] = name;
                break;
            }
        }
    }
    return n;
}
