/*
 * acronym.c — the acronym table: definitions mined from report text
 * ("Safeguarding Adults Reviews (SAR)"), a small curated table, lookup,
 * and a byte format so an index can store the table.
 *
 * Mining.  A definition is an acronym in parentheses — 2 to ACRO_MINE_MAX
 * ASCII letters, at least two capitals, more capitals than lower-case
 * letters, optionally a plural "s" after a capital ("SARs" -> "SAR") —
 * right after words whose initials spell it.  The words are read backwards
 * from the parenthesis; each of them supplies the next letter (compared
 * case-insensitively), or, if it is one of of/and/the/for/in/to/&, may be
 * skipped.  A stop word supplies a letter only when skipping it leads to no
 * match: D-o-L-S from "Deprivations of Liberty Safeguards"; "and" is skipped
 * in LGSCO, "of" in ADASS, and in ASYE "and" is not the A.  A
 * hyphenated word gives a letter per part ("technology-enabled care (TEC)")
 * or one for the whole ("North-East"), whichever matches.  The word just
 * before the parenthesis must supply the last letter, the words may not
 * cross punctuation, and every letter must be matched, or there is no
 * definition.  The other order, "DoLS (Deprivation of Liberty Safeguards)",
 * is read the same way, but then every word in the parentheses must be used
 * (leading stop words aside: "CQC (the Care Quality Commission)").  The
 * expansion is the matched words as written, whitespace runs collapsed to
 * one space.
 *
 * Table.  Entries are kept sorted by (ASCII-lower-case acronym, expansion
 * bytes) and are unique on that key; adding an existing key adds the counts,
 * ORs the curated flag and keeps the byte-smallest spelling of the acronym.
 * So the table's content never depends on the order things were added in,
 * which incremental index builds rely on.
 *
 * Byte format (all integers little-endian):
 *   magic "ASAC" | u32 version (1) | u32 n |
 *   n x { u8 acro_len (1..32) | acro | u16 exp_len (1..1024) | expansion |
 *         u32 count | u8 curated (0/1) } |
 *   u32 crc32 (zlib) of every byte before it.
 * Entries appear in table order (strictly increasing keys); strings hold
 * no NUL byte.  A reader checks all of it.
 *
 * Memo.  A table may carry one structure derived from its entries alone,
 * built by a user and freed with the table (the query parser's analysed
 * expansions: analysing them per query was most of a short query's parse).
 * Any change of the entries drops it.  A table read by several threads may
 * get two memos built at once: the first installed wins (compare-and-swap),
 * the other is freed, so readers need no lock.
 */
#include "analyze.h"
#include "crc.h"
#include "utf8.h"

#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#define ACRO_STORE_MAX 32   /* bytes of an acronym */
#define EXP_STORE_MAX 1024  /* bytes of an expansion */
#define ACRO_MINE_MAX 10    /* letters of a mined acronym */
#define MINE_WORDS 64       /* words kept before a parenthesis */
#define MINE_SPACES 8       /* spaces back from a "(" its walk starts at first */
#define MATCH_BUDGET 20000  /* recursion steps per candidate */
#define ACAC_VERSION 1

typedef struct memo_box {
    void *m;
    void (*fr)(void *);
} memo_box;

struct as_acrotab {
    as_acronym *e;
    size_t n, cap;
    _Atomic(memo_box *) memo;
};

/* Frees the memo (the table is about to change or go). */
static void drop_memo(as_acrotab *t)
{
    memo_box *b = atomic_exchange(&t->memo, NULL);
    if (b) {
        if (b->fr)
            b->fr(b->m);
        free(b);
    }
}

static int lower_ascii(int c)
{
    return c >= 'A' && c <= 'Z' ? c + 32 : c;
}

/* Compares acronyms case-insensitively (ASCII) as bytes. */
static int acro_cmp(const char *a, size_t an, const char *b, size_t bn)
{
    size_t n = an < bn ? an : bn;
    for (size_t i = 0; i < n; i++) {
        int x = lower_ascii((unsigned char)a[i]), y = lower_ascii((unsigned char)b[i]);
        if (x != y)
            return x < y ? -1 : 1;
    }
    return an < bn ? -1 : an > bn;
}

static int key_cmp(const char *acro, size_t alen, const char *exp, const as_acronym *e)
{
    int c = acro_cmp(acro, alen, e->acro, strlen(e->acro));
    return c ? c : strcmp(exp, e->expansion);
}

/* strcmp's order of s[0..n) (no NUL inside) against the string z. */
static int cmp_nz(const char *s, size_t n, const char *z)
{
    size_t zn = strlen(z);
    int c = memcmp(s, z, n < zn ? n : zn);
    return c ? c : n < zn ? -1 : n > zn;
}

/* key_cmp of an expansion exp[0..elen) (no NUL inside). */
static int key_cmp_n(const char *acro, size_t alen, const char *exp, size_t elen,
                     const as_acronym *e)
{
    int c = acro_cmp(acro, alen, e->acro, strlen(e->acro));
    return c ? c : cmp_nz(exp, elen, e->expansion);
}

/* First index whose key is >= (acro, exp[0..elen)). */
static size_t lower_bound(const as_acrotab *t, const char *acro, size_t alen,
                          const char *exp, size_t elen)
{
    size_t lo = 0, hi = t->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (key_cmp_n(acro, alen, exp, elen, &t->e[mid]) > 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

int as_acrotab_new(as_acrotab **out)
{
    *out = calloc(1, sizeof **out);
    return *out ? AS_OK : AS_ENOMEM;
}

void as_acrotab_free(as_acrotab *t)
{
    if (!t)
        return;
    drop_memo(t);
    for (size_t i = 0; i < t->n; i++) {
        free(t->e[i].acro);
        free(t->e[i].expansion);
    }
    free(t->e);
    free(t);
}

static int valid_str(const char *s, size_t n, size_t max)
{
    return n >= 1 && n <= max && memchr(s, '\0', n) == NULL;
}

/* Adds (acro[0..alen), exp[0..elen)). */
static int add_n(as_acrotab *t, const char *acro, size_t alen, const char *exp,
                 size_t elen, uint32_t count, int curated)
{
    if (!valid_str(acro, alen, ACRO_STORE_MAX) || !valid_str(exp, elen, EXP_STORE_MAX))
        return AS_EINVAL;
    drop_memo(t);
    /* Found before copied: most adds (a file's repeated definitions, every
     * merge of a file's table) find their entry, and the two copies' malloc
     * and free were most of an add. */
    size_t i = lower_bound(t, acro, alen, exp, elen);
    if (i < t->n && key_cmp_n(acro, alen, exp, elen, &t->e[i]) == 0) {
        as_acronym *e = &t->e[i];
        if (cmp_nz(acro, alen, e->acro) < 0) {
            char *a = malloc(alen + 1);
            if (!a)
                return AS_ENOMEM;
            memcpy(a, acro, alen);
            a[alen] = '\0';
            free(e->acro);
            e->acro = a;
        }
        e->count = count > UINT32_MAX - e->count ? UINT32_MAX : e->count + count;
        e->curated |= curated ? 1 : 0;
        return AS_OK;
    }
    char *a = malloc(alen + 1), *x = malloc(elen + 1);
    if (!a || !x) {
        free(a);
        free(x);
        return AS_ENOMEM;
    }
    memcpy(a, acro, alen);
    a[alen] = '\0';
    memcpy(x, exp, elen);
    x[elen] = '\0';
    if (t->n == t->cap) {
        size_t nc = t->cap ? t->cap * 2 : 32;
        as_acronym *ne = realloc(t->e, nc * sizeof *ne);
        if (!ne) {
            free(a);
            free(x);
            return AS_ENOMEM;
        }
        t->e = ne;
        t->cap = nc;
    }
    memmove(&t->e[i + 1], &t->e[i], (t->n - i) * sizeof *t->e);
    t->e[i].acro = a;
    t->e[i].expansion = x;
    t->e[i].count = count;
    t->e[i].curated = curated ? 1 : 0;
    t->n++;
    return AS_OK;
}

int as_acrotab_add(as_acrotab *t, const char *acro, const char *expansion,
                   uint32_t count, int curated)
{
    if (!t || !acro || !expansion)
        return AS_EINVAL;
    return add_n(t, acro, strlen(acro), expansion, strlen(expansion), count, curated);
}

int as_acrotab_merge(as_acrotab *t, const as_acrotab *src)
{
    if (!t || !src)
        return AS_EINVAL;
    if (t == src) { /* doubling: every count twice */
        drop_memo(t);
        for (size_t i = 0; i < t->n; i++)
            t->e[i].count = t->e[i].count > UINT32_MAX / 2 ? UINT32_MAX : t->e[i].count * 2;
        return AS_OK;
    }
    for (size_t i = 0; i < src->n; i++) {
        int rc = as_acrotab_add(t, src->e[i].acro, src->e[i].expansion,
                                src->e[i].count, src->e[i].curated);
        if (rc)
            return rc;
    }
    return AS_OK;
}

size_t as_acrotab_size(const as_acrotab *t)
{
    return t ? t->n : 0;
}

const as_acronym *as_acrotab_get(const as_acrotab *t, size_t i)
{
    return t && i < t->n ? &t->e[i] : NULL;
}

static const as_acronym *find_exact(const as_acrotab *t, const char *acro, size_t len)
{
    size_t lo = 0, hi = t->n;
    while (lo < hi) { /* first entry with this acronym */
        size_t mid = lo + (hi - lo) / 2;
        if (acro_cmp(acro, len, t->e[mid].acro, strlen(t->e[mid].acro)) > 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    const as_acronym *best = NULL;
    /* Within one acronym entries are in expansion byte order, so the first
     * of the best (count, mined) wins ties on byte order. */
    for (size_t i = lo; i < t->n; i++) {
        const as_acronym *e = &t->e[i];
        if (acro_cmp(acro, len, e->acro, strlen(e->acro)) != 0)
            break;
        if (!best || e->count > best->count
            || (e->count == best->count && best->curated && !e->curated))
            best = e;
    }
    return best;
}

int as_acrotab_find_index(const as_acrotab *t, const char *acro, size_t len, size_t *idx)
{
    const as_acronym *e = as_acrotab_find(t, acro, len);
    if (!e)
        return AS_ENOTFOUND;
    *idx = (size_t)(e - t->e);
    return AS_OK;
}

void *as_acrotab_memo(const as_acrotab *t)
{
    memo_box *b = t ? atomic_load(&((as_acrotab *)t)->memo) : NULL;
    return b ? b->m : NULL;
}

void *as_acrotab_set_memo(const as_acrotab *t, void *m, void (*fr)(void *))
{
    memo_box *b = t && m ? malloc(sizeof *b) : NULL;
    if (!b) {
        if (fr && m)
            fr(m);
        return NULL;
    }
    b->m = m;
    b->fr = fr;
    memo_box *none = NULL;
    /* The memo is a cache, not content: installing it on a table the
     * caller holds as const changes nothing it can observe. */
    if (atomic_compare_exchange_strong(&((as_acrotab *)t)->memo, &none, b))
        return m;
    if (fr)
        fr(m);
    free(b);
    return none->m;
}

const as_acronym *as_acrotab_find(const as_acrotab *t, const char *acro, size_t len)
{
    if (!t || !acro || len == 0)
        return NULL;
    /* "SARs" is the plural of SAR even when SARS is known too */
    if (len >= 3 && acro[len - 1] == 's' && acro[len - 2] >= 'A' && acro[len - 2] <= 'Z') {
        const as_acronym *e = find_exact(t, acro, len - 1);
        if (e)
            return e;
    }
    return find_exact(t, acro, len);
}

/* ---- Curated table ----------------------------------------------------- */

/* Acronyms English adult social care reports use without defining them.
 * Expansions are the usual official names, singular. */
static const char *const curated[][2] = {
    {"ADASS", "Association of Directors of Adult Social Services"},
    {"AMHP", "Approved Mental Health Professional"},
    {"ASC", "Adult Social Care"},
    {"ASCOF", "Adult Social Care Outcomes Framework"},
    {"ASYE", "Assessed and Supported Year in Employment"},
    {"BCF", "Better Care Fund"},
    {"CHC", "Continuing Healthcare"},
    {"CQC", "Care Quality Commission"},
    {"DFG", "Disabled Facilities Grant"},
    {"DHSC", "Department of Health and Social Care"},
    {"DoLS", "Deprivation of Liberty Safeguards"},
    {"EDI", "Equality, Diversity and Inclusion"},
    {"ICB", "Integrated Care Board"},
    {"ICS", "Integrated Care System"},
    {"IMCA", "Independent Mental Capacity Advocate"},
    {"JSNA", "Joint Strategic Needs Assessment"},
    {"LGA", "Local Government Association"},
    {"LGSCO", "Local Government and Social Care Ombudsman"},
    {"LPS", "Liberty Protection Safeguards"},
    {"MASH", "Multi-Agency Safeguarding Hub"},
    {"MCA", "Mental Capacity Act"},
    {"NHS", "National Health Service"},
    {"OT", "Occupational Therapist"},
    {"PA", "Personal Assistant"},
    {"PSW", "Principal Social Worker"},
    {"SAB", "Safeguarding Adults Board"},
    {"SAR", "Safeguarding Adults Review"},
    {"SEND", "Special Educational Needs and Disabilities"},
    {"TEC", "Technology Enabled Care"},
    {"VCS", "Voluntary and Community Sector"},
    {"VCSE", "Voluntary, Community and Social Enterprise"},
};

int as_acrotab_add_curated(as_acrotab *t)
{
    if (!t)
        return AS_EINVAL;
    for (size_t i = 0; i < sizeof curated / sizeof curated[0]; i++) {
        int rc = as_acrotab_add(t, curated[i][0], curated[i][1], 0, 1);
        if (rc)
            return rc;
    }
    return AS_OK;
}

/* ---- Mining ------------------------------------------------------------ */

typedef struct mword {
    uint32_t start, end; /* bytes in the text */
    char init;           /* folded first byte */
    unsigned char stop;  /* of/and/the/for/in/to/& */
    unsigned char gpos;  /* index within its hyphenated group (0: first) */
    unsigned char cut;   /* its group's head fell out of the window */
} mword;

typedef struct matcher {
    const mword *w;
    const char *acro; /* folded (lower-case) letters */
    int budget;
    int all;   /* every word must be used (but leading stop words) */
    int under; /* a step wanted a word before w[0] */
} matcher;

/* Matches acronym letters [0..li] against words [0..wi], reading backwards;
 * on success *first is the index of the expansion's first word.  noskip:
 * this word must supply a letter (the word next to the parenthesis). */
static int match(matcher *m, int wi, int li, int noskip, int *first)
{
    if (li < 0) {
        /* the expansion may not start inside a hyphenated word */
        if (m->w[wi + 1].gpos > 0 || m->w[wi + 1].cut)
            return 0;
        if (m->all)
            for (int k = 0; k <= wi; k++)
                if (!m->w[k].stop)
                    return 0;
        *first = wi + 1;
        return 1;
    }
    if (wi < 0) {
        m->under = 1;
        return 0;
    }
    if (--m->budget < 0)
        return 0;
    const mword *w = &m->w[wi];
    char want = m->acro[li];
    /* Skipping a stop word is tried first: "Assessed and Supported Year in
     * Employment (ASYE)" must not stop at "and" for the A. */
    if (w->stop && !noskip && match(m, wi - 1, li, 0, first))
        return 1;
    if (w->init == want && match(m, wi - 1, li - 1, 0, first))
        return 1;
    if (w->gpos > 0) { /* the whole hyphenated word gives one letter */
        int a = wi - w->gpos;
        if (!w->cut && m->w[a].init == want && match(m, a - 1, li - 1, 0, first))
            return 1;
    }
    return 0;
}

static int is_stop(const char *f, size_t n)
{
    switch (n) {
    case 2: return memcmp(f, "of", 2) == 0 || memcmp(f, "in", 2) == 0
                   || memcmp(f, "to", 2) == 0;
    case 3: return memcmp(f, "and", 3) == 0 || memcmp(f, "the", 3) == 0
                   || memcmp(f, "for", 3) == 0;
    }
    return 0;
}

/* Whitespace and quote marks: transparent between the words of a
 * definition.  Everything else that is not a word character is a barrier. */
static int is_space_or_quote(uint32_t cp)
{
    switch (cp) {
    case ' ': case '\t': case '\n': case '\r': case '\f': case '\v':
    case '"': case '\'': case 0xA0: case 0x2018: case 0x2019: case 0x201C:
    case 0x201D: case 0x202F: case 0x205F: case 0x3000:
        return 1;
    }
    return cp >= 0x2000 && cp <= 0x200B;
}

/* The character at s[i] (i < len): its length (0: invalid UTF-8), code
 * point, class and folded bytes, as as_utf8_decode and as_utf8_fold give
 * them.  ASCII, nearly all of the text, is classed here without the two
 * calls (they were most of the miner's time). */
static inline size_t dec_fold(const unsigned char *s, size_t len, size_t i, uint32_t *cp,
                              int *cls, char f[4], size_t *fl)
{
    unsigned c = s[i];
    if (c < 0x80) {
        *cp = c;
        *fl = 0;
        if ((unsigned)((c | 0x20) - 'a') < 26) {
            f[0] = (char)(c | 0x20);
            *fl = 1;
            *cls = AS_CH_LETTER;
        } else if ((unsigned)(c - '0') < 10) {
            f[0] = (char)c;
            *fl = 1;
            *cls = AS_CH_DIGIT;
        } else {
            *cls = c == '\'' ? AS_CH_APOS : c == '-' ? AS_CH_HYPHEN : AS_CH_SEP;
        }
        return 1;
    }
    size_t n = as_utf8_decode(s + i, len - i, cp);
    if (n)
        *cls = as_utf8_fold(*cp, f, fl);
    return n;
}

static int wordcls(const unsigned char *s, size_t len, size_t i, size_t *cl)
{
    uint32_t cp;
    char f[4];
    size_t fl;
    int cls;
    *cl = dec_fold(s, len, i, &cp, &cls, f, &fl);
    if (!*cl) {
        *cl = 1;
        return AS_CH_SEP;
    }
    return cls;
}

/* What the miner's lexer sees next. */
enum { IT_WORD, IT_SPACE, IT_OPEN, IT_CLOSE, IT_BARRIER };

/* Reads the item at s[*ip]: a word (letters, digits, in-word apostrophes,
 * invisibles; *hyphen set when a hyphen joins it to the next word, which
 * is then consumed), "&" (a stop word), whitespace or a quote, a
 * parenthesis, or a barrier. */
static int next_item(const unsigned char *s, size_t len, size_t *ip, mword *wd,
                     int *hyphen)
{
    size_t i = *ip;
    uint32_t cp;
    char f[4];
    size_t fl;
    int cls;
    size_t cl = dec_fold(s, len, i, &cp, &cls, f, &fl);
    if (!cl) {
        *ip = i + 1;
        return IT_BARRIER;
    }
    if (cls != AS_CH_LETTER && cls != AS_CH_DIGIT) {
        *ip = i + cl;
        if (cp == '&') {
            *wd = (mword){(uint32_t)i, (uint32_t)(i + 1), '&', 1, 0, 0};
            *hyphen = 0;
            return IT_WORD;
        }
        if (cp == '(')
            return IT_OPEN;
        if (cp == ')')
            return IT_CLOSE;
        return is_space_or_quote(cp) ? IT_SPACE : IT_BARRIER;
    }
    *wd = (mword){(uint32_t)i, 0, f[0], 0, 0, 0};
    char lw[4];
    size_t ln = 0, j = i, l2;
    while (j < len) {
        unsigned a = s[j];
        if ((unsigned)((a | 0x20) - 'a') < 26 || (unsigned)(a - '0') < 10) {
            /* a run of ASCII letters and digits (most of a word) without
             * dec_fold: each folds to itself | 0x20 (digits have that bit) */
            do {
                if (ln < sizeof lw)
                    lw[ln] = (char)(a | 0x20);
                ln++;
                j++;
            } while (j < len && ((unsigned)(((a = s[j]) | 0x20) - 'a') < 26 ||
                                 (unsigned)(a - '0') < 10));
            wd->end = (uint32_t)j;
            continue;
        }
        size_t l3;
        char f2[4];
        uint32_t c2;
        int k2;
        l2 = dec_fold(s, len, j, &c2, &k2, f2, &fl);
        if (!l2)
            break;
        if (k2 == AS_CH_LETTER || k2 == AS_CH_DIGIT) {
            for (size_t q = 0; q < fl; q++, ln++)
                if (ln < sizeof lw)
                    lw[ln] = f2[q];
            j += l2;
            wd->end = (uint32_t)j;
            continue;
        }
        if (k2 == AS_CH_IGNORE) {
            j += l2;
            continue;
        }
        if (k2 == AS_CH_APOS && j + l2 < len) {
            int k3 = wordcls(s, len, j + l2, &l3);
            if (k3 == AS_CH_LETTER || k3 == AS_CH_DIGIT) {
                j += l2;
                continue;
            }
        }
        break;
    }
    wd->stop = (unsigned char)is_stop(lw, ln);
    *hyphen = 0;
    size_t hl, cl3;
    /* (an ASCII byte other than "-" is no hyphen: most words end so) */
    if (j < len && (s[j] >= 0x80 || s[j] == '-') && wordcls(s, len, j, &hl) == AS_CH_HYPHEN
        && j + hl < len) {
        int k3 = wordcls(s, len, j + hl, &cl3);
        if (k3 == AS_CH_LETTER || k3 == AS_CH_DIGIT) {
            *hyphen = 1;
            j += hl;
        }
    }
    *ip = j;
    return IT_WORD;
}

/* Appends a word to a window, dropping the oldest when it is full.  joined:
 * the word before it ended with a joining hyphen. */
static void push_word(mword *w, size_t *nw, mword cur, int joined)
{
    if (*nw == MINE_WORDS) {
        memmove(w, w + 1, (MINE_WORDS - 1) * sizeof *w);
        (*nw)--;
        /* its group lost its head: renumber what is left (so gpos stays
         * inside w) and mark it, so it never passes for a whole word */
        for (size_t q = 0; q < *nw && w[q].gpos; q++) {
            w[q].gpos = (unsigned char)(q ? w[q - 1].gpos + 1 : 0);
            w[q].cut = 1;
        }
    }
    cur.gpos = 0;
    cur.cut = 0;
    if (joined && *nw > 0) {
        cur.gpos = (unsigned char)(w[*nw - 1].gpos + 1);
        cur.cut = w[*nw - 1].cut;
    }
    w[(*nw)++] = cur;
}

/* Checks t[0..n) as an acronym: 2..ACRO_MINE_MAX (+ plural s) ASCII
 * letters, >= 2 capitals, more capitals than lower case.  Writes its folded
 * singular letters to ac and returns their number, or 0. */
static size_t acronym_word(const char *t, size_t n, char *ac)
{
    if (n < 2 || n > ACRO_MINE_MAX + 1)
        return 0;
    unsigned up = 0, lo = 0;
    for (size_t i = 0; i < n; i++) {
        int c = (unsigned char)t[i];
        if (c >= 'A' && c <= 'Z')
            up++;
        else if (c >= 'a' && c <= 'z')
            lo++;
        else
            return 0;
    }
    if (n >= 3 && t[n - 1] == 's' && t[n - 2] >= 'A' && t[n - 2] <= 'Z') {
        n--;
        lo--;
    }
    if (n > ACRO_MINE_MAX || up < 2 || up <= lo)
        return 0;
    for (size_t i = 0; i < n; i++)
        ac[i] = (char)lower_ascii((unsigned char)t[i]);
    return n;
}

/* Matches and, on success, adds acro[0..al) (as written at text+acro_at)
 * defined by words w[0..nw).  under: NULL, or w holds only the last words
 * before the "(" and *under is set, nothing added, when the match asked
 * for a word before them (it may then go otherwise with all the words). */
static int define(as_acrotab *t, const char *text, size_t acro_at, const char *ac,
                  size_t al, const mword *w, size_t nw, int all, int *under)
{
    if (nw == 0 || nw > INT32_MAX) {
        if (under)
            *under = 1;
        return AS_OK;
    }
    matcher m = {w, ac, MATCH_BUDGET, all, 0};
    int first = -1;
    int ok = match(&m, (int)nw - 1, (int)al - 1, 1, &first);
    if (under && m.under) {
        *under = 1;
        return AS_OK;
    }
    if (!ok)
        return AS_OK;
    /* the expansion as written, whitespace (and line breaks) collapsed */
    char exp[EXP_STORE_MAX];
    size_t el = 0;
    int space = 0;
    const unsigned char *s = (const unsigned char *)text;
    for (size_t i = w[first].start; i < w[nw - 1].end;) {
        uint32_t cp = s[i];
        if (cp >= 0x20 && cp < 0x80) {
            /* printable ASCII, most of it, as the general case below would
             * take it but without its two calls a byte */
            if (cp == ' ') {
                space = 1;
                i++;
                continue;
            }
            if (el + space + 1 > sizeof exp)
                return AS_OK;
            if (space)
                exp[el++] = ' ';
            space = 0;
            exp[el++] = (char)cp;
            i++;
            continue;
        }
        size_t cl = as_utf8_decode(s + i, w[nw - 1].end - i, &cp);
        if (!cl) { /* cannot happen between words; be safe */
            cl = 1;
            cp = 0xFFFD;
        }
        if (cp == ' ' || cp == '\t' || cp == '\n' || cp == '\r' || cp == '\f'
            || cp == '\v' || cp == 0xA0) {
            space = 1;
            i += cl;
            continue;
        }
        if (space) {
            if (el + 1 > sizeof exp)
                return AS_OK; /* too long to be a name */
            exp[el++] = ' ';
            space = 0;
        }
        if (el + cl > sizeof exp)
            return AS_OK;
        memcpy(exp + el, s + i, cl);
        el += cl;
        i += cl;
    }
    return add_n(t, text + acro_at, al, exp, el, 1, 0);
}

/* The other way round: "DoLS (Deprivation of Liberty Safeguards)".  The
 * acronym word w ends right before the parenthesis at s[open]; every word
 * inside must be used (leading stop words aside) and nothing but words,
 * spaces, hyphens and & may be there. */
static int define_after(as_acrotab *t, const char *text, size_t len, const mword *aw,
                        size_t open)
{
    char ac[ACRO_MINE_MAX + 1];
    size_t al = acronym_word(text + aw->start, aw->end - aw->start, ac);
    if (!al)
        return AS_OK;
    const unsigned char *s = (const unsigned char *)text;
    mword w[MINE_WORDS];
    size_t nw = 0, i = open + 1;
    int hyphen = 0;
    while (i < len) {
        mword cur;
        int was = hyphen;
        int it = next_item(s, len, &i, &cur, &hyphen);
        if (it == IT_CLOSE)
            return define(t, text, aw->start, ac, al, w, nw, 1, NULL);
        if (it == IT_SPACE)
            continue;
        if (it != IT_WORD || nw == MINE_WORDS)
            return AS_OK;
        push_word(w, &nw, cur, was);
    }
    return AS_OK;
}

/* Whether byte c is an item of its own that ends the words before it
 * (IT_BARRIER or IT_CLOSE: next_item) wherever it stands: ASCII (never
 * inside a UTF-8 sequence) and neither a letter, a digit, a word's
 * apostrophe or joining hyphen, "&", "(", a space nor a quote.  A table:
 * the scan back from each "(" to the last of them reads most of the
 * sentence before it, and the tests per byte were a tenth of the miner. */
static const unsigned char resets[256] = {
    1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 1, 1,  /* 0x00 */
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,  /* 0x10 */
    0, 1, 0, 1, 1, 1, 0, 0, 0, 1, 1, 1, 1, 0, 1, 1,  /* 0x20 */
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1,  /* 0x30 */
    1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,  /* 0x40 */
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1,  /* 0x50 */
    1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,  /* 0x60 */
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1,  /* 0x70 */
    /* 0x80..0xFF: 0 */
};

/* The acronym in the parenthesis at s[at] ("(CQC)"), as acronym_word gives
 * it (its folded letters in ac), or 0. */
static size_t paren_acronym(const unsigned char *s, size_t len, size_t at, char *ac)
{
    size_t pe = at + 1;
    while (pe < len && pe - at <= ACRO_MINE_MAX + 2 && s[pe] != ')')
        pe++;
    if (pe < len && s[pe] == ')')
        return acronym_word((const char *)s + at + 1, pe - at - 1, ac);
    return 0;
}

/* Whether the word before the "(" at s[at] may be an acronym defined
 * after it ("DoLS (Deprivation ...)": define_after), judged from the bytes
 * alone; 1 when unsure.  Only ASCII spaces and quotes may stand between
 * that word and the "(" (any other ASCII byte is a barrier, a "&" or a
 * hyphen, none of which leaves an acronym word last; a non-ASCII byte
 * answers 1).  The word's last byte is then s[e - 1], and the ASCII
 * letters before it are all of it or it holds a byte acronym_word refuses. */
static int acronym_before(const unsigned char *s, size_t at)
{
    size_t e = at;
    while (e > 0 && (s[e - 1] == ' ' || s[e - 1] == '\t' || s[e - 1] == '\n' || s[e - 1] == '\r'
                     || s[e - 1] == '\f' || s[e - 1] == '\v' || s[e - 1] == '"' || s[e - 1] == '\''))
        e--;
    if (e > 0 && s[e - 1] >= 0x80)
        return 1;
    size_t k = e;
    while (k > 0 && e - k <= ACRO_MINE_MAX + 1 && (unsigned)((s[k - 1] | 0x20) - 'a') < 26)
        k--;
    char ac[ACRO_MINE_MAX + 2];
    return acronym_word((const char *)s + k, e - k, ac) > 0;
}

int as_acrotab_mine(as_acrotab *t, const char *text, size_t len)
{
    if (!t || (!text && len))
        return AS_EINVAL;
    if (len > UINT32_MAX)
        return AS_ELIMIT;
    const unsigned char *s = (const unsigned char *)text;
    mword w[MINE_WORDS]; /* the words since the last barrier */
    size_t nw = 0;
    int hyphen = 0; /* the last word ended with a hyphen joining the next */
    size_t i = 0, nexto = 0, al = 0; /* al: paren_acronym at nexto */
    char ac[ACRO_MINE_MAX + 1];
    int seen = 0;
    /* The walk to a "(" starts at first after the MINE_SPACES-th space back
     * (at tfrom, where the whole walk would start at wfrom): a definition
     * seldom has that many words, and the words before it were most of the
     * miner's time.  After a space the whole walk too is between items, at
     * a word's start that no hyphen joins to the one before (a joining
     * hyphen is followed by a letter), so it sees the same words from there
     * on; define says when the match wanted more (under), and the walk then
     * starts again from wfrom. */
    int trunc = 0;
    size_t tfrom = 0, wfrom = 0;
    while (i < len) {
        if (!seen || i > nexto) {
            /* Only a "(" defines, from the words since the last barrier:
             * the items before that barrier change nothing it sees, so
             * the walk goes on after it (a third of a sentence's items
             * are walked, where all were). */
            const unsigned char *op = memchr(s + i, '(', len - i);
            if (!op)
                return AS_OK;
            nexto = (size_t)(op - s);
            seen = 1;
            al = paren_acronym(s, len, nexto, ac);
            if (!al && !acronym_before(s, nexto)) {
                /* This "(" defines nothing, whatever the words before it
                 * (IT_OPEN below), and after it the walk starts afresh:
                 * go straight past it (the words before most "(" were
                 * two thirds of the miner's time). */
                i = nexto + 1;
                nw = 0;
                hyphen = 0;
                continue;
            }
            trunc = 0;
            size_t sp = 0;
            for (size_t r = nexto; r > i; r--) {
                if (resets[s[r - 1]]) {
                    i = r;
                    nw = 0;
                    hyphen = 0;
                    break;
                }
                if (s[r - 1] == ' ' && ++sp == MINE_SPACES) {
                    trunc = 1; /* (nw and hyphen are 0: before any "(" or after one) */
                    wfrom = i;
                    i = tfrom = r;
                    break;
                }
            }
        }
        if (s[i] == ' ') {
            i++; /* IT_SPACE, as next_item would say, without the call */
            continue;
        }
        mword cur;
        size_t at = i;
        int was = hyphen;
        int it = next_item(s, len, &i, &cur, &hyphen);
        if (it == IT_WORD) {
            push_word(w, &nw, cur, was);
            continue;
        }
        if (it == IT_SPACE)
            continue;
        if (it == IT_OPEN) {
            int rc = AS_OK, under = 0; /* at == nexto: al and ac are its */
            if (trunc && (nw == MINE_WORDS || nw == 0))
                under = 1; /* a word may have left the window (its cut
                              marks), or the last word lies before tfrom */
            else if (al)
                rc = define(t, text, at + 1, ac, al, w, nw, 0, trunc ? &under : NULL);
            else if (nw > 0 && w[nw - 1].gpos == 0 && !w[nw - 1].cut && w[nw - 1].init != '&')
                rc = define_after(t, text, len, &w[nw - 1], at);
            if (rc)
                return rc;
            if (under) {
                /* the whole walk, from the last barrier before tfrom */
                trunc = 0;
                i = wfrom;
                for (size_t r = tfrom; r > wfrom; r--)
                    if (resets[s[r - 1]]) {
                        i = r;
                        break;
                    }
                nw = 0;
                hyphen = 0;
                continue;
            }
        }
        nw = 0; /* a definition does not reach across punctuation */
        hyphen = 0;
    }
    return AS_OK;
}

/* ---- Byte format ------------------------------------------------------- */

static void put32(unsigned char *p, uint32_t v)
{
    p[0] = (unsigned char)v;
    p[1] = (unsigned char)(v >> 8);
    p[2] = (unsigned char)(v >> 16);
    p[3] = (unsigned char)(v >> 24);
}

static uint32_t get32(const unsigned char *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16
           | (uint32_t)p[3] << 24;
}

int as_acrotab_serialize(const as_acrotab *t, char **buf, size_t *len)
{
    *buf = NULL;
    *len = 0;
    if (!t)
        return AS_EINVAL;
    size_t n = 12 + 4;
    for (size_t i = 0; i < t->n; i++)
        n += 1 + strlen(t->e[i].acro) + 2 + strlen(t->e[i].expansion) + 4 + 1;
    unsigned char *b = malloc(n), *p = b;
    if (!b)
        return AS_ENOMEM;
    memcpy(p, "ASAC", 4);
    put32(p + 4, ACAC_VERSION);
    put32(p + 8, (uint32_t)t->n);
    p += 12;
    for (size_t i = 0; i < t->n; i++) {
        const as_acronym *e = &t->e[i];
        size_t al = strlen(e->acro), el = strlen(e->expansion);
        *p++ = (unsigned char)al;
        memcpy(p, e->acro, al);
        p += al;
        *p++ = (unsigned char)el;
        *p++ = (unsigned char)(el >> 8);
        memcpy(p, e->expansion, el);
        p += el;
        put32(p, e->count);
        p += 4;
        *p++ = (unsigned char)(e->curated ? 1 : 0);
    }
    put32(p, as_crc32(0, b, n - 4)); /* zlib's crc32, folded faster */
    *buf = (char *)b;
    *len = n;
    return AS_OK;
}

int as_acrotab_deserialize(as_acrotab **out, const char *buf, size_t len, as_err *err)
{
    *out = NULL;
    const unsigned char *b = (const unsigned char *)buf;
    if (!buf || len < 16 || memcmp(b, "ASAC", 4) != 0)
        return as_err_set(err, AS_ECORRUPT, "acronym table: bad header");
    if (get32(b + 4) != ACAC_VERSION)
        return as_err_set(err, AS_EFORMAT, "acronym table: version %u, expected %u",
                          (unsigned)get32(b + 4), ACAC_VERSION);
    if (len > UINT32_MAX
        || get32(b + len - 4) != as_crc32(0, b, len - 4))
        return as_err_set(err, AS_ECORRUPT, "acronym table: checksum mismatch");
    uint32_t n = get32(b + 8);
    if (n > (len - 16) / 9) /* each entry takes >= 9 bytes */
        return as_err_set(err, AS_ECORRUPT, "acronym table: bad entry count");
    as_acrotab *t = calloc(1, sizeof *t);
    if (!t)
        return as_err_set(err, AS_ENOMEM, "acronym table: out of memory");
    if (n) {
        t->e = calloc(n, sizeof *t->e);
        if (!t->e) {
            free(t);
            return as_err_set(err, AS_ENOMEM, "acronym table: out of memory");
        }
        t->cap = n;
    }
    size_t off = 12, end = len - 4;
    int rc = AS_OK;
    for (uint32_t i = 0; i < n; i++) {
        if (end - off < 1) goto corrupt;
        size_t al = b[off++];
        if (end - off < al + 2) goto corrupt;
        const char *a = (const char *)b + off;
        off += al;
        size_t el = (size_t)b[off] | (size_t)b[off + 1] << 8;
        off += 2;
        if (end - off < el + 5) goto corrupt;
        const char *x = (const char *)b + off;
        off += el;
        uint32_t count = get32(b + off);
        off += 4;
        unsigned cur = b[off++];
        if (!valid_str(a, al, ACRO_STORE_MAX) || !valid_str(x, el, EXP_STORE_MAX)
            || cur > 1)
            goto corrupt;
        as_acronym *e = &t->e[t->n];
        if (!(e->acro = malloc(al + 1)) || !(e->expansion = malloc(el + 1))) {
            free(e->acro);
            e->acro = NULL;
            rc = AS_ENOMEM;
            goto fail;
        }
        memcpy(e->acro, a, al);
        e->acro[al] = '\0';
        memcpy(e->expansion, x, el);
        e->expansion[el] = '\0';
        e->count = count;
        e->curated = (int)cur;
        t->n++;
        if (t->n > 1 && key_cmp(e->acro, al, e->expansion, &t->e[t->n - 2]) <= 0)
            goto corrupt; /* out of order or duplicate */
    }
    if (off != end)
        goto corrupt;
    *out = t;
    return AS_OK;
corrupt:
    rc = AS_ECORRUPT;
fail:
    as_acrotab_free(t);
    return as_err_set(err, rc, rc == AS_ENOMEM ? "acronym table: out of memory"
                                               : "acronym table: corrupt entry");
}
