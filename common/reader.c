/*
 * reader.c — reading one corpus page: bytes -> checked UTF-8 text -> lines
 * -> metadata, sections and paragraphs -> sentences (through segment.c).
 *
 * The page shapes are those of DESIGN.md section 5 and man/assess-corpus.5.
 * One forward pass over the lines.  Each non-blank line is first offered to
 * the metadata recognisers (title, dates, score, rating, fixed section
 * labels, quality statement heading, page chrome); a line they take is not
 * text and separates paragraphs.  The remaining lines gather into blocks
 * (runs of lines without a blank line, rule or metadata line between), and
 * a block becomes paragraphs:
 *   - a bullet line (• - * · ◦ ▪ – or "1." / "1)") starts a paragraph of its
 *     own, without its mark;
 *   - when every line of the block ends a sentence (or is a heading-like
 *     line followed by a capitalised line), each line is a paragraph ("one
 *     per line"); otherwise the lines are one wrapped paragraph;
 *   - a paragraph of one short line without final punctuation that stands
 *     alone (or stands on its own line in a one-per-line block) is a
 *     sub-heading, and so is every Markdown heading that is not metadata.
 * Memory is bounded by the file cap (AS_READ_MAX) plus the sentences; the
 * block keeps at most BLOCK_MAX line records.
 */
#include "reader.h"
#include "crc.h"
#include "manifest.h"
#include "segment.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

/* Refuse bigger files (after decompression): a page is a few kB, so this
 * only stops runaway inputs and decompression bombs from taking the memory. */
#define AS_READ_MAX ((size_t)256 << 20)
#define BLOCK_MAX 65536
#define HEADING_MAX 120 /* longest bare line taken as a sub-heading */
#define LABEL_MAX 300   /* longer lines are never metadata */
#define UTF8_WARN_MAX 10

/* ---- Page memory: one arena for all strings ---------------------------- */

struct chunk {
    struct chunk *next;
    size_t used, cap;
    char data[];
};

typedef struct page_impl {
    as_page pub; /* first: as_page_free casts back */
    struct chunk *arena;
    char *text;  /* the checked text (prepare), which .tsv sentences lie in */
} page_impl;

static char *arena_alloc(page_impl *pg, size_t n)
{
    struct chunk *c = pg->arena;
    if (!c || c->cap - c->used < n) {
        size_t cap = n > 65536 ? n : 65536;
        c = malloc(sizeof *c + cap);
        if (!c)
            return NULL;
        c->cap = cap;
        c->used = 0;
        /* A big one-off string gets its own chunk behind the current one,
         * so the current chunk's free space is not lost. */
        if (pg->arena && n > 65536) {
            c->next = pg->arena->next;
            pg->arena->next = c;
        } else {
            c->next = pg->arena;
            pg->arena = c;
        }
    }
    char *r = c->data + c->used;
    c->used += n;
    return r;
}

static char *arena_strndup(page_impl *pg, const char *s, size_t n)
{
    char *r = arena_alloc(pg, n + 1);
    if (r) {
        memcpy(r, s, n);
        r[n] = '\0';
    }
    return r;
}

void as_page_free(as_page *p)
{
    if (!p)
        return;
    page_impl *pg = (page_impl *)p;
    struct chunk *c = pg->arena;
    while (c) {
        struct chunk *n = c->next;
        free(c);
        c = n;
    }
    free(pg->text);
    free(p->metas);
    free(p->sents);
    free(pg);
}

/* ---- Small text helpers ------------------------------------------------ */

static int is_sp(unsigned char c)
{
    return c == ' ' || c == '\t' || c == '\f' || c == '\v' || c == '\r';
}

static int lc(int c)
{
    return c >= 'A' && c <= 'Z' ? c + 32 : c;
}

static int eq_ci(const char *s, size_t n, const char *lit)
{
    size_t l = strlen(lit);
    return n == l && strncasecmp(s, lit, l) == 0;
}

static int starts_ci(const char *s, size_t n, const char *lit)
{
    size_t l = strlen(lit);
    return n >= l && strncasecmp(s, lit, l) == 0;
}

static int ends_ci(const char *s, size_t n, const char *lit)
{
    size_t l = strlen(lit);
    return n >= l && strncasecmp(s + n - l, lit, l) == 0;
}

/* Offset of lit in s[0..n) ignoring case, or -1.  Only used on short lines. */
static long find_ci(const char *s, size_t n, const char *lit)
{
    size_t l = strlen(lit);
    for (size_t i = 0; i + l <= n; i++)
        if (strncasecmp(s + i, lit, l) == 0)
            return (long)i;
    return -1;
}

static inline void trim(const char **s, size_t *n)
{
    /* every byte trimmed is <= ' ': most strings end in none (a field of
     * every row is trimmed) */
    if (*n && (unsigned char)(*s)[0] > ' ' && (unsigned char)(*s)[*n - 1] > ' ')
        return;
    while (*n && (is_sp((unsigned char)**s) || **s == '\n'))
        (*s)++, (*n)--;
    while (*n && (is_sp((unsigned char)(*s)[*n - 1]) || (*s)[*n - 1] == '\n'))
        (*n)--;
}

/* Bytes of a closing quote/bracket ending s[0..n), else 0. */
static size_t tail_closer(const char *s, size_t n)
{
    if (n == 0)
        return 0;
    char c = s[n - 1];
    if (c == '"' || c == '\'' || c == ')' || c == ']')
        return 1;
    if (n >= 3 && (unsigned char)s[n - 3] == 0xE2 && (unsigned char)s[n - 2] == 0x80
        && ((unsigned char)c == 0x9D || (unsigned char)c == 0x99))
        return 3;
    return 0;
}

/* Does s end like a sentence or a clause (. ! ? : ; , …, maybe quoted)? */
static int ends_punct(const char *s, size_t n)
{
    size_t k;
    while ((k = tail_closer(s, n)) && k < n)
        n -= k;
    if (n == 0)
        return 0;
    char c = s[n - 1];
    if (c == '.' || c == '!' || c == '?' || c == ':' || c == ';' || c == ',')
        return 1;
    return n >= 3 && (unsigned char)s[n - 3] == 0xE2 && (unsigned char)s[n - 2] == 0x80
           && (unsigned char)c == 0xA6;
}

static int starts_upper(const char *s, size_t n)
{
    if (n == 0)
        return 0;
    unsigned char c = (unsigned char)s[0];
    if ((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '"' || c == '\'')
        return 1;
    if (n >= 2 && c == 0xC3)
        return (unsigned char)s[1] >= 0x80 && (unsigned char)s[1] <= 0x9E;
    if (n >= 3 && c == 0xE2 && (unsigned char)s[1] == 0x80)
        return (unsigned char)s[2] == 0x9C || (unsigned char)s[2] == 0x98;
    return 0;
}

/* A bare line that could be a heading: short, capitalised, with a letter,
 * and no final punctuation. */
static int heading_like(const char *s, size_t n)
{
    if (n == 0 || n > HEADING_MAX || !starts_upper(s, n) || ends_punct(s, n))
        return 0;
    for (size_t i = 0; i < n; i++)
        if ((s[i] >= 'A' && s[i] <= 'Z') || (s[i] >= 'a' && s[i] <= 'z'))
            return 1;
    return 0;
}

/* Strips Markdown emphasis around a whole line and a trailing colon: the
 * form in which labels are compared. */
static void label_form(const char **s, size_t *n)
{
    trim(s, n);
    while (*n >= 4 && (((*s)[0] == '*' && (*s)[1] == '*' && (*s)[*n - 1] == '*' && (*s)[*n - 2] == '*')
                       || ((*s)[0] == '_' && (*s)[1] == '_' && (*s)[*n - 1] == '_' && (*s)[*n - 2] == '_'))) {
        *s += 2;
        *n -= 4;
        trim(s, n);
    }
    while (*n && ((*s)[*n - 1] == ':' || is_sp((unsigned char)(*s)[*n - 1])))
        (*n)--;
    trim(s, n);
}

/* ---- Dates and scores -------------------------------------------------- */

static const char *const months[12] = {
    "january", "february", "march", "april", "may", "june", "july",
    "august", "september", "october", "november", "december"
};

static int days_in(int y, int m)
{
    static const int d[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
        return 29;
    return d[m - 1];
}

static int num(const char *s, size_t n, size_t *i, int maxdigits, int *out)
{
    int v = 0, k = 0;
    while (*i < n && s[*i] >= '0' && s[*i] <= '9' && k < maxdigits) {
        v = v * 10 + (s[*i] - '0');
        (*i)++, k++;
    }
    if (k == 0 || (*i < n && s[*i] >= '0' && s[*i] <= '9'))
        return 0;
    *out = v;
    return k;
}

static int month_at(const char *s, size_t n, size_t *i)
{
    size_t a = *i;
    while (*i < n && ((s[*i] >= 'a' && s[*i] <= 'z') || (s[*i] >= 'A' && s[*i] <= 'Z')))
        (*i)++;
    size_t l = *i - a;
    if (l < 3)
        return 0;
    for (int m = 0; m < 12; m++)
        if ((l == strlen(months[m]) || l == 3 || (m == 8 && l == 4))
            && strncasecmp(s + a, months[m], l) == 0)
            return m + 1;
    return 0;
}

uint32_t as_reader_parse_date(const char *s, size_t n)
{
    size_t i = 0;
    int d = 0, m = 0, y = 0;
    while (i < n && is_sp((unsigned char)s[i]))
        i++;
    size_t a = i;
    int k = num(s, n, &i, 4, &d);
    if (k == 4 && i < n && s[i] == '-') { /* ISO */
        y = d;
        i++;
        if (!num(s, n, &i, 2, &m) || i >= n || s[i] != '-')
            return 0;
        i++;
        if (!num(s, n, &i, 2, &d))
            return 0;
    } else if (k >= 1 && k <= 2 && i < n && s[i] == '/') {
        i++;
        if (!num(s, n, &i, 2, &m) || i >= n || s[i] != '/')
            return 0;
        i++;
        if (num(s, n, &i, 4, &y) != 4)
            return 0;
    } else if (k >= 1 && k <= 2) {
        if (i + 1 < n && strchr("snrt", lc(s[i])) && strchr("tdh", lc(s[i + 1])))
            i += 2; /* 1st 2nd 3rd 17th */
        while (i < n && is_sp((unsigned char)s[i]))
            i++;
        if (!(m = month_at(s, n, &i)))
            return 0;
        while (i < n && (is_sp((unsigned char)s[i]) || s[i] == ','))
            i++;
        if (num(s, n, &i, 4, &y) != 4)
            return 0;
    } else if (k == 0) {
        i = a;
        if (!(m = month_at(s, n, &i)))
            return 0;
        while (i < n && is_sp((unsigned char)s[i]))
            i++;
        if (!num(s, n, &i, 2, &d))
            return 0;
        while (i < n && (is_sp((unsigned char)s[i]) || s[i] == ','))
            i++;
        if (num(s, n, &i, 4, &y) != 4)
            return 0;
    } else {
        return 0;
    }
    if (y < 1900 || y > 2999 || m < 1 || m > 12 || d < 1 || d > days_in(y, m))
        return 0;
    return (uint32_t)(y * 10000 + m * 100 + d);
}

/* Which score label s is: the full label or its part after "Evidence
 * shows"; 0 if none. */
static int label_score(const char *s, size_t n)
{
    trim(&s, &n);
    while (n && (s[n - 1] == '.' || s[n - 1] == ':'))
        n--;
    for (int k = 1; k <= 4; k++) {
        const char *l = as_score_label(k);
        const char *tail = l + strlen("Evidence shows ");
        if (eq_ci(s, n, l) || eq_ci(s, n, tail))
            return k;
    }
    return 0;
}

/* A score value: "3", "3/4", "3 out of 4", each optionally followed by a
 * separator (- – — :) and a label; or a label alone when label_ok.  Returns
 * 1..4 or 0. */
static int score_value(const char *s, size_t n, int label_ok)
{
    trim(&s, &n);
    if (n == 0)
        return 0;
    if (s[0] < '1' || s[0] > '4')
        return label_ok ? label_score(s, n) : 0;
    int v = s[0] - '0';
    size_t i = 1;
    if (i < n && s[i] >= '0' && s[i] <= '9')
        return 0;
    if (i + 1 < n && s[i] == '/' && s[i + 1] == '4')
        i += 2;
    else if (starts_ci(s + i, n - i, " out of 4"))
        i += 9;
    while (i < n && is_sp((unsigned char)s[i]))
        i++;
    if (i == n)
        return v;
    if (s[i] == '-' || s[i] == ':')
        i++;
    else if (n - i >= 3 && (unsigned char)s[i] == 0xE2 && (unsigned char)s[i + 1] == 0x80
             && ((unsigned char)s[i + 2] == 0x93 || (unsigned char)s[i + 2] == 0x94))
        i += 3;
    else
        return 0;
    return label_score(s + i, n - i) ? v : 0;
}

/* "Score: 3", "Score 3", "Indicative score: 3 - Evidence ...": the value
 * after the word, or 0.  *label_only set when the line is only the word. */
static int score_line(const char *s, size_t n, int *label_only)
{
    static const char *const words[] = {
        "indicative score", "quality statement score", "score", NULL
    };
    *label_only = 0;
    for (int k = 0; words[k]; k++) {
        if (!starts_ci(s, n, words[k]))
            continue;
        size_t i = strlen(words[k]);
        if (i == n) {
            *label_only = 1;
            return 0;
        }
        if (s[i] != ':' && !is_sp((unsigned char)s[i]))
            return 0;
        while (i < n && (s[i] == ':' || is_sp((unsigned char)s[i])))
            i++;
        if (i == n) {
            *label_only = 1;
            return 0;
        }
        return score_value(s + i, n - i, 0);
    }
    return 0;
}

/* "78 out of 100", "78%", "78 per cent" at s[i...]: the percentage or -1. */
static int percent_at(const char *s, size_t n, size_t i)
{
    int v = 0, k = 0;
    while (i < n && s[i] >= '0' && s[i] <= '9' && k < 4)
        v = v * 10 + (s[i++] - '0'), k++;
    if (k == 0 || k > 3 || v > 100)
        return -1;
    if (i < n && s[i] == '%')
        return v;
    while (i < n && is_sp((unsigned char)s[i]))
        i++;
    if (starts_ci(s + i, n - i, "out of 100") || starts_ci(s + i, n - i, "per cent")
        || starts_ci(s + i, n - i, "percent"))
        return v;
    return -1;
}

/* ---- The parser -------------------------------------------------------- */

enum { RATING_NONE = 0 };
static const char *const ratings[] = {
    "Outstanding", "Good", "Requires improvement", "Inadequate", NULL
};

/* The fixed section labels: they set kind and section, and are not
 * sentences themselves (they are the same on every page). */
static const struct {
    const char *label;
    int kind;
} sections[] = {
    {"What people expect", AS_KIND_EXPECTATION},
    {"The local authority commitment", AS_KIND_COMMITMENT},
    {"Local authority commitment", AS_KIND_COMMITMENT},
    {"Key findings for this quality statement", AS_KIND_FINDING},
    {"Key findings", AS_KIND_FINDING},
};
static const char *const section_names[] = {
    "What people expect", "The local authority commitment",
    "The local authority commitment", "Key findings for this quality statement",
    "Key findings for this quality statement",
};

/* Page chrome: whole lines dropped wherever they appear. */
static const char *const noise[] = {
    "downloads", "download", "download report", "download this report",
    "back to top", "print this page", "print", "share", "share this page",
    "skip to main content", "skip to content", "contents", "on this page",
    "cookies", "cookie settings", "accept all cookies", "reject all cookies",
    "accept additional cookies", "reject additional cookies",
    "hide this message", "hide cookie message", "view cookies",
    "change your cookie settings", "menu", "search", "home",
    "local authority rating and score", "quality statement scores",
    "overall rating and score", "is this page useful", "report a concern",
    NULL
};
static const char *const noise_prefix[] = {
    "we use cookies", "we use some essential cookies",
    "we'd like to set additional cookies", "we’d like to set additional cookies",
    "you've accepted", "you’ve accepted", "you have accepted",
    "you've rejected", "you’ve rejected", "you have rejected",
    "cookies on ", NULL
};

struct bline {
    size_t toff, end; /* text (after any bullet mark) */
    uint32_t no;
    int bullet;
};

typedef struct parser {
    page_impl *pg;
    const char *path;
    as_warn_fn warn;
    void *wctx;
    const char *t; /* the checked, LF-only text */
    size_t n;
    size_t pos;    /* start of the next line */
    uint32_t lineno;

    size_t capm, caps;
    uint32_t *smeta; /* meta index of each sentence, fixed into pointers last */
    size_t cur;      /* current meta */
    char *council;   /* from the title */
    uint32_t published, updated;
    int nstatements; /* statement headings taken */
    int seen_section;
    int stmt_section;  /* a section label since the last statement heading */
    int pending_score; /* after a lone "Indicative score:" */
    int kind;
    const char *fixed;   /* fixed section name, or NULL */
    const char *subhead; /* current sub-heading, or NULL */
    uint32_t paragraph;
    uint32_t sentence;   /* within the paragraph being emitted */
    int rating;          /* index into ratings + 1, or 0 */
    int percent;         /* -1 unknown */
    struct bline *blk;
    size_t nblk, capblk;
    int rc;
} parser;

static void warnf(parser *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void warnf(parser *p, const char *fmt, ...)
{
    char msg[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    p->pg->pub.nwarnings++;
    if (p->warn)
        p->warn(p->wctx, p->path, msg);
}

static int new_meta(parser *p)
{
    as_page *pub = &p->pg->pub;
    if (pub->nmetas == p->capm) {
        size_t cap = p->capm ? p->capm * 2 : 4;
        as_meta *m = realloc(pub->metas, cap * sizeof *m);
        if (!m)
            return AS_ENOMEM;
        pub->metas = m;
        p->capm = cap;
    }
    memset(&pub->metas[pub->nmetas], 0, sizeof(as_meta));
    p->cur = pub->nmetas++;
    return AS_OK;
}

/* Does any sentence point at the current meta yet? */
static int meta_used(const parser *p)
{
    const as_page *pub = &p->pg->pub;
    return pub->nsents > 0 && p->smeta[pub->nsents - 1] == p->cur;
}

/* Room for cap sentences (cap > p->caps). */
static int sents_grow(parser *p, size_t cap)
{
    as_page *pub = &p->pg->pub;
    as_sentence *v = realloc(pub->sents, cap * sizeof *v);
    if (!v)
        return AS_ENOMEM;
    pub->sents = v;
    uint32_t *m = realloc(p->smeta, cap * sizeof *m);
    if (!m)
        return AS_ENOMEM;
    p->smeta = m;
    p->caps = cap;
    return AS_OK;
}

/* nolf: s[0..len) is known to hold no line break.  inplace: s lies in
 * the page's own text (p->pg->text) and s[len] belongs to no later piece
 * and is read no more: the sentence is ended there with a NUL instead of
 * being copied. */
static int add_sentence(parser *p, const char *s, size_t len, uint32_t line,
                        int kind, const char *section, int nolf, int inplace)
{
    as_page *pub = &p->pg->pub;
    if (pub->nsents == p->caps && sents_grow(p, p->caps ? p->caps * 2 : 64) != AS_OK)
        return AS_ENOMEM;
    char *text;
    size_t tlen;
    if (inplace && nolf) {
        /* writable: the text prepare made, which the page now owns */
        text = (char *)s;
        text[len] = '\0';
        tlen = len;
    } else if (!(text = arena_alloc(p->pg, len + 1))) {
        return AS_ENOMEM;
    } else if (nolf || !memchr(s, '\n', len)) {
        /* The checked text holds no CR (prepare), so a piece without a
         * line break is copied as it is, and a .tsv row's pieces have
         * none: the cleaner's two scans for LF and CR, on every sentence,
         * were most of the cost of cleaning. */
        memcpy(text, s, len);
        text[len] = '\0';
        tlen = len;
    } else {
        tlen = as_segment_clean(s, len, text);
    }
    as_sentence *st = &pub->sents[pub->nsents];
    st->meta = NULL;
    st->text = text;
    st->len = tlen;
    st->section = (char *)section;
    st->kind = kind;
    st->line = line;
    st->paragraph = p->paragraph + 1;
    st->sentence = ++p->sentence;
    st->id = NULL;
    p->smeta[pub->nsents++] = (uint32_t)p->cur;
    return AS_OK;
}

struct unit_ctx {
    parser *p;
    const char *base;
    int kind;
    const char *section;
    int nolf;   /* the text is one .tsv row */
    size_t end; /* with nolf: the field's length, base[end] its separator */
};

static int on_segment(void *ctx, const as_segment *g)
{
    struct unit_ctx *u = ctx;
    if (g->cut)
        warnf(u->p, "sentence over %d bytes at line %u split", AS_SENTENCE_MAX,
              (unsigned)g->line);
    /* A .tsv row's last piece ends at its field's end, whose separator
     * (tab, line feed, or the NUL after the text) the row walk has passed:
     * a sentence in place of a copy, a tenth of the reader (and of the
     * memory its pages filled) saved.  An earlier piece's end may be the
     * next piece's first byte, or a space the splitter reads again. */
    return add_sentence(u->p, u->base + g->off, g->len, g->line, u->kind, u->section,
                        u->nolf, u->nolf && g->off + g->len == u->end);
}

/* Emits one paragraph (or heading); it counts as a paragraph only if it
 * yields a sentence. */
static int emit_unit(parser *p, const char *s, size_t len, uint32_t line, int heading)
{
    size_t before = p->pg->pub.nsents;
    struct unit_ctx u = {p, s, AS_KIND_FINDING, NULL, 0, 0};
    p->sentence = 0;
    if (heading && p->nstatements >= 2 && !p->stmt_section
        && p->pg->pub.metas[p->cur].statement != 0) {
        /* On a summary page the statements are listed name and score
         * only; a heading straight after one (no section label between)
         * starts page text again, which belongs to no statement. */
        int rc = new_meta(p);
        if (rc)
            return rc;
        p->fixed = NULL;
        p->kind = AS_KIND_FINDING;
    }
    if (heading) {
        u.kind = AS_KIND_HEADING;
        u.section = p->fixed;
        int rc = as_segment_bound(s, len, line, on_segment, &u);
        if (rc)
            return rc;
        trim(&s, &len);
        char *h = arena_alloc(p->pg, len + 1);
        if (!h)
            return AS_ENOMEM;
        as_segment_clean(s, len, h);
        p->subhead = h;
        /* The commitment and the I-statements have no sub-headings: one
         * here means the findings have begun without their label. */
        if (p->kind != AS_KIND_FINDING)
            p->kind = AS_KIND_FINDING;
    } else {
        u.kind = p->kind;
        u.section = p->subhead ? p->subhead : p->fixed;
        int rc = as_segment_split(s, len, line, on_segment, &u);
        if (rc)
            return rc;
    }
    if (p->pg->pub.nsents > before)
        p->paragraph++;
    return AS_OK;
}

/* Can a one-per-line block break after line i? */
static int break_after(const parser *p, size_t i)
{
    const struct bline *b = &p->blk[i], *nx = &p->blk[i + 1];
    const char *s = p->t + b->toff;
    size_t n = b->end - b->toff;
    if (ends_punct(s, n))
        return 1;
    return !b->bullet && heading_like(s, n) && starts_upper(p->t + nx->toff, nx->end - nx->toff);
}

static int flush(parser *p)
{
    size_t nb = p->nblk;
    if (nb == 0)
        return AS_OK;
    p->nblk = 0;
    int oneper = 1;
    for (size_t i = 0; i + 1 < nb && oneper; i++)
        if (!p->blk[i + 1].bullet && !break_after(p, i))
            oneper = 0;
    for (size_t a = 0; a < nb;) {
        size_t b = a + 1;
        if (!oneper)
            while (b < nb && !p->blk[b].bullet)
                b++;
        const char *s = p->t + p->blk[a].toff;
        size_t len = p->blk[b - 1].end - p->blk[a].toff;
        int heading = b == a + 1 && !p->blk[a].bullet && (nb == 1 || oneper)
                      && heading_like(s, len);
        int rc = emit_unit(p, s, len, p->blk[a].no, heading);
        if (rc)
            return rc;
        a = b;
    }
    return AS_OK;
}

/* Length of a bullet mark (with its following space) at s, or 0. */
static size_t bullet_mark(const char *s, size_t n)
{
    static const char *const marks[] = {"•", "·", "◦", "▪", "–", "-", "*", NULL};
    for (int k = 0; marks[k]; k++) {
        size_t l = strlen(marks[k]);
        if (n > l && memcmp(s, marks[k], l) == 0
            && (is_sp((unsigned char)s[l]) || (k == 0 && (unsigned char)s[l] != ' ')))
            return k == 0 && !is_sp((unsigned char)s[l]) ? l : l + 1;
    }
    /* "1." "12)" list numbers; a year like "2023." is not one. */
    size_t i = 0;
    while (i < n && i < 3 && s[i] >= '0' && s[i] <= '9')
        i++;
    if (i >= 1 && i <= 2 && i + 1 < n && (s[i] == '.' || s[i] == ')') && is_sp((unsigned char)s[i + 1]))
        return i + 2;
    return 0;
}

static int is_rule(const char *s, size_t n)
{
    if (n < 3 || (s[0] != '-' && s[0] != '*' && s[0] != '_'))
        return 0;
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] == s[0])
            k++;
        else if (!is_sp((unsigned char)s[i]))
            return 0;
    }
    return k >= 3;
}

static int set_score(parser *p, int v)
{
    as_meta *m = &p->pg->pub.metas[p->cur];
    p->pending_score = 0;
    if (m->score == 0)
        m->score = v;
    else if (m->score != v)
        warnf(p, "conflicting score %d at line %u (kept %d)", v, (unsigned)p->lineno, m->score);
    return 1;
}

/* Is the next non-blank line a score line?  (Look-ahead for summary pages:
 * a statement name counts as a heading there only when its score follows.) */
static int score_follows(const parser *p)
{
    size_t i = p->pos;
    while (i < p->n) {
        const char *e = memchr(p->t + i, '\n', p->n - i);
        size_t end = e ? (size_t)(e - p->t) : p->n;
        const char *s = p->t + i;
        size_t n = end - i;
        label_form(&s, &n);
        while (n && s[0] == '#')
            s++, n--;
        trim(&s, &n);
        if (n) {
            int only;
            if (n > LABEL_MAX)
                return 0;
            return score_line(s, n, &only) || only || score_value(s, n, 1);
        }
        i = end + 1;
    }
    return 0;
}

static int statement_event(parser *p, int st, int score)
{
    as_meta *m = &p->pg->pub.metas[p->cur];
    if (m->statement != 0 || meta_used(p)) {
        int rc = new_meta(p);
        if (rc)
            return rc;
        m = &p->pg->pub.metas[p->cur];
    }
    m->statement = st;
    if (score)
        m->score = score;
    p->nstatements++;
    p->stmt_section = 0;
    p->pending_score = 0;
    p->kind = AS_KIND_FINDING;
    p->fixed = NULL;
    p->subhead = NULL;
    return AS_OK;
}

/* "<Council> assessment" or "<Council>: local authority assessment": the
 * council's name range, or 0. */
static int title_line(const char *s, size_t n, const char **cs, size_t *cn)
{
    static const char *const suffixes[] = {
        " - Care Quality Commission", " | Care Quality Commission", " - CQC", " | CQC", NULL
    };
    for (int k = 0; suffixes[k]; k++)
        if (ends_ci(s, n, suffixes[k]))
            n -= strlen(suffixes[k]);
    if (!ends_ci(s, n, " assessment"))
        return 0;
    n -= strlen(" assessment");
    trim(&s, &n);
    if (ends_ci(s, n, "local authority")) {
        n -= strlen("local authority");
        trim(&s, &n);
        if (n && (s[n - 1] == ':' || s[n - 1] == '-' || s[n - 1] == ','))
            n--;
        trim(&s, &n);
    }
    if (n == 0 || n > HEADING_MAX || !starts_upper(s, n) || ends_punct(s, n)
        || eq_ci(s, n, "the local authority") || eq_ci(s, n, "local authority"))
        return 0;
    *cs = s;
    *cn = n;
    return 1;
}

static int dates_line(parser *p, const char *s, size_t n)
{
    static const char *const labels[] = {
        "published", "assessment published", "page last updated", "last updated",
        "updated", "assessment start date", "assessment date", "date of assessment",
        "date published", NULL
    };
    int hit = 0;
    for (int k = 0; labels[k] && !hit; k++)
        if (starts_ci(s, n, labels[k]) && n > strlen(labels[k]) && s[strlen(labels[k])] == ':')
            hit = 1;
    if (!hit)
        return 0;
    long a = find_ci(s, n, "published:");
    long u = find_ci(s, n, "updated:");
    int bad = 0;
    if (a >= 0) {
        uint32_t d = as_reader_parse_date(s + a + 10, n - (size_t)a - 10);
        if (d && !p->published)
            p->published = d;
        bad |= !d;
    }
    if (u >= 0) {
        uint32_t d = as_reader_parse_date(s + u + 8, n - (size_t)u - 8);
        if (d && !p->updated)
            p->updated = d;
        bad |= !d;
    }
    if (bad)
        warnf(p, "unrecognised date at line %u", (unsigned)p->lineno);
    return 1;
}

/* Overall rating and percentage lines of summary pages. */
static int rating_line(parser *p, const char *s, size_t n)
{
    static const char *const rl[] = {
        "overall rating", "local authority rating", "rating", NULL
    };
    static const char *const pl[] = {
        "overall score", "local authority score", "overall percentage", NULL
    };
    for (int k = 0; rl[k]; k++) {
        size_t l = strlen(rl[k]);
        if (!starts_ci(s, n, rl[k]) || n == l || (s[l] != ':' && !is_sp((unsigned char)s[l])))
            continue;
        const char *v = s + l;
        size_t vn = n - l;
        while (vn && (*v == ':' || is_sp((unsigned char)*v)))
            v++, vn--;
        label_form(&v, &vn);
        for (int r = 0; ratings[r]; r++)
            if (eq_ci(v, vn, ratings[r])) {
                p->rating = r + 1;
                return 1;
            }
    }
    for (int k = 0; pl[k]; k++) {
        size_t l = strlen(pl[k]);
        if (!starts_ci(s, n, pl[k]))
            continue;
        while (l < n && (s[l] == ':' || is_sp((unsigned char)s[l])))
            l++;
        int v = percent_at(s, n, l);
        if (v >= 0) {
            if (p->percent < 0)
                p->percent = v;
            return 1;
        }
    }
    /* A bare "Good" under the page title. */
    if (p->nstatements == 0 && !p->seen_section)
        for (int r = 0; ratings[r]; r++)
            if (eq_ci(s, n, ratings[r])) {
                p->rating = r + 1;
                return 1;
            }
    return 0;
}

/* Statement name with the score on the same line: "Assessing needs: 2",
 * "Assessing needs 2 - Evidence shows some shortfalls".  Returns the score
 * and sets *namelen, or 0. */
static int inline_score(const char *s, size_t n, size_t *namelen)
{
    for (size_t i = n; i-- > 1;) {
        if (s[i] < '1' || s[i] > '4' || !(is_sp((unsigned char)s[i - 1]) || s[i - 1] == ':'))
            continue;
        int v = score_value(s + i, n - i, 0);
        if (!v)
            continue;
        size_t k = i;
        while (k && (is_sp((unsigned char)s[k - 1]) || s[k - 1] == ':' || s[k - 1] == '-'))
            k--;
        if (ends_ci(s, k, "score"))
            k -= 5;
        while (k && (is_sp((unsigned char)s[k - 1]) || s[k - 1] == ':' || s[k - 1] == '-'
                     || s[k - 1] == ','))
            k--;
        *namelen = k;
        return v;
    }
    return 0;
}

/* Offers a line to the metadata recognisers; returns 1 when one took it
 * (then p->rc may carry an error).  A taken line separates paragraphs: the
 * block before it is emitted first, under the state it was written in. */
#define TAKE() do { if ((p->rc = flush(p))) return 1; } while (0)
static int meta_line(parser *p, const char *c, size_t cn, int md)
{
    const char *s = c;
    size_t n = cn;
    label_form(&s, &n);
    if (n == 0) { /* a line of only "**" or ":" */
        TAKE();
        return 1;
    }
    if (n > LABEL_MAX)
        return 0;
    for (int k = 0; noise[k]; k++)
        if (eq_ci(s, n, noise[k])) {
            TAKE();
            return 1;
        }
    for (int k = 0; noise_prefix[k]; k++)
        if (starts_ci(s, n, noise_prefix[k])) {
            TAKE();
            return 1;
        }
    if (dates_line(p, s, n)) {
        TAKE();
        return 1;
    }
    int only, v = score_line(s, n, &only);
    if (v || only || ((v = score_value(s, n, 1)) && (n > 1 || p->pending_score))) {
        TAKE();
        if (v)
            set_score(p, v);
        else
            p->pending_score = 1;
        return 1;
    }
    if (rating_line(p, s, n)) {
        TAKE();
        return 1;
    }
    for (size_t k = 0; k < sizeof sections / sizeof sections[0]; k++)
        if (eq_ci(s, n, sections[k].label)) {
            TAKE();
            p->kind = sections[k].kind;
            p->fixed = section_names[k];
            p->subhead = NULL;
            p->seen_section = 1;
            p->stmt_section = 1;
            return 1;
        }
    if (p->council && eq_ci(s, n, p->council) && !p->seen_section && p->nstatements == 0) {
        TAKE(); /* the council's name repeated under the title */
        return 1;
    }
    const char *cs;
    size_t cln;
    if (p->nstatements == 0 && !p->seen_section && title_line(s, n, &cs, &cln)) {
        TAKE();
        if (!p->council && !(p->council = arena_strndup(p->pg, cs, cln)))
            p->rc = AS_ENOMEM;
        return 1;
    }
    if (!md && !heading_like(s, n))
        return 0;
    size_t namelen = n;
    int sc = inline_score(s, n, &namelen);
    if (!sc)
        namelen = n;
    int st = as_statement_match(s, namelen);
    if (!st)
        return 0;
    const char *canon = as_statement_name(st);
    size_t cl = strlen(canon);
    int exact = namelen + 12 >= cl && namelen <= cl + 12;
    int cur = p->pg->pub.metas[p->cur].statement;
    int used = meta_used(p) || p->nblk > 0;
    int take;
    if (cur == 0)
        take = !p->seen_section || exact;
    else if (st == cur) /* a sub-heading, unless the name is repeated in the header */
        take = sc || (!p->seen_section && exact && !used);
    else
        take = exact && (sc || score_follows(p));
    if (!take)
        return 0;
    TAKE();
    if (cur == st) {
        if (sc)
            set_score(p, sc);
        return 1;
    }
    p->rc = statement_event(p, st, sc);
    return 1;
}
#undef TAKE

static int add_line(parser *p, size_t toff, size_t end, int bullet)
{
    if (p->nblk == BLOCK_MAX) {
        int rc = flush(p);
        if (rc)
            return rc;
    }
    if (p->nblk == p->capblk) {
        size_t cap = p->capblk ? p->capblk * 2 : 64;
        struct bline *b = realloc(p->blk, cap * sizeof *b);
        if (!b)
            return AS_ENOMEM;
        p->blk = b;
        p->capblk = cap;
    }
    p->blk[p->nblk++] = (struct bline){toff, end, p->lineno, bullet};
    return AS_OK;
}

static int parse_lines(parser *p)
{
    int rc;
    while (p->pos < p->n) {
        size_t a = p->pos;
        const char *e = memchr(p->t + a, '\n', p->n - a);
        size_t end = e ? (size_t)(e - p->t) : p->n;
        p->pos = end + 1;
        p->lineno++;
        const char *c = p->t + a;
        size_t cn = end - a;
        trim(&c, &cn);
        if (cn == 0 || is_rule(c, cn)) {
            if ((rc = flush(p)))
                return rc;
            continue;
        }
        int md = 0;
        const char *h = c;
        size_t hn = cn, hashes = 0;
        while (hashes < hn && h[hashes] == '#')
            hashes++;
        if (hashes >= 1 && hashes <= 6 && (hashes == hn || is_sp((unsigned char)h[hashes]))) {
            md = 1;
            h += hashes;
            hn -= hashes;
            while (hn && h[hn - 1] == '#') /* closing hashes */
                hn--;
            trim(&h, &hn);
        }
        if (meta_line(p, h, hn, md)) {
            if (p->rc)
                return p->rc;
            continue;
        }
        p->pending_score = 0;
        if (md) {
            if ((rc = flush(p)))
                return rc;
            label_form(&h, &hn);
            if (hn && (rc = emit_unit(p, h, hn, p->lineno, 1)))
                return rc;
            continue;
        }
        size_t bm = bullet_mark(c, cn);
        size_t toff = (size_t)(c - p->t) + bm;
        while (toff < (size_t)(c - p->t) + cn && is_sp((unsigned char)p->t[toff]))
            toff++;
        if ((rc = add_line(p, toff, (size_t)(c - p->t) + cn, bm > 0)))
            return rc;
    }
    return flush(p);
}

/* ---- Checking the bytes ------------------------------------------------ */

/* The first i' >= i such that raw[i'..i'+64) is not all ASCII or fewer
 * than 64 bytes are left: the check of every byte's high bit, 64 bytes a
 * step (SSE2: 7 instructions where the eight-byte words took 18 a 32-byte
 * step, a tenth of the reader). */
static size_t skip_ascii(const char *raw, size_t i, size_t len)
{
#ifdef __SSE2__
    for (; len - i >= 64; i += 64) {
        const __m128i *v = (const __m128i *)(const void *)(raw + i);
        __m128i o = _mm_or_si128(_mm_or_si128(_mm_loadu_si128(v), _mm_loadu_si128(v + 1)),
                                 _mm_or_si128(_mm_loadu_si128(v + 2), _mm_loadu_si128(v + 3)));
        if (_mm_movemask_epi8(o))
            break;
    }
#else
    for (; len - i >= 32; i += 32) {
        uint64_t y[4];
        memcpy(y, raw + i, 32);
        if ((y[0] | y[1] | y[2] | y[3]) & 0x8080808080808080ull)
            break;
    }
#endif
    return i;
}

/* Turns the raw bytes into the text the parser reads: refuses empty and
 * binary input, drops a byte-order mark, turns CRLF into LF (a lone CR into
 * a space, so line numbers stay those of grep -n), and replaces each
 * ill-formed UTF-8 sequence by U+FFFD with a warning naming the line.
 * *out is malloc'd. */
/* own: NULL, or the writable buffer raw lies in (with raw[len] writable
 * too), which *out may then be (the caller frees own, not *out == own):
 * most files need no repair, and copying them was a tenth of the reader. */
static int prepare(parser *p, const char *raw, size_t len, char *own, char **out,
                   size_t *outlen, as_err *err)
{
    if (len == 0)
        return as_err_set(err, AS_ESKIP, "%s: empty file", p->path);
    const char *nul = memchr(raw, '\0', len);
    if (nul)
        return as_err_set(err, AS_ESKIP, "%s: binary file (NUL byte at offset %zu)",
                          p->path, (size_t)(nul - raw));
    if (len >= 3 && memcmp(raw, "\xEF\xBB\xBF", 3) == 0)
        raw += 3, len -= 3;
    size_t nbad = 0, i = 0;
    int valid;
    while (i < len) {
        /* ASCII eight bytes at a time: most text is, and a byte loop was
         * a quarter of the reader's time. */
        uint64_t x;
        if ((i = skip_ascii(raw, i, len)) >= len)
            break;
        if (len - i >= 8 && (memcpy(&x, raw + i, 8), !(x & 0x8080808080808080ull))) {
            i += 8;
            continue;
        }
        if ((unsigned char)raw[i] < 0x80) {
            i++;
            continue;
        }
        i += as_utf8_next(raw + i, len - i, &valid);
        nbad += !valid;
    }
    char *t;
    if (nbad == 0 && !memchr(raw, '\r', len)) {
        /* The common case: nothing to repair. */
        for (i = 0; i < len && (is_sp((unsigned char)raw[i]) || raw[i] == '\n'); i++)
            ;
        if (i == len)
            return as_err_set(err, AS_ESKIP, "%s: empty file", p->path);
        if (own) {
            t = own;
            if (raw != own)
                memmove(t, raw, len); /* a byte order mark dropped */
        } else if (!(t = malloc(len + 1))) {
            return as_err_set(err, AS_ENOMEM, "%s: out of memory", p->path);
        } else {
            memcpy(t, raw, len);
        }
        t[len] = '\0';
        *out = t;
        *outlen = len;
        return AS_OK;
    }
    t = malloc(len + 2 * nbad + 1);
    if (!t)
        return as_err_set(err, AS_ENOMEM, "%s: out of memory", p->path);
    size_t o = 0, more = 0;
    uint32_t line = 1, warned_line = 0;
    unsigned nwarned = 0;
    int content = 0;
    for (i = 0; i < len;) {
        unsigned char c = (unsigned char)raw[i];
        if (c < 0x80) {
            if (c == '\r') {
                if (!(i + 1 < len && raw[i + 1] == '\n'))
                    t[o++] = ' ';
            } else {
                if (c == '\n')
                    line++;
                else if (!is_sp(c))
                    content = 1;
                t[o++] = (char)c;
            }
            i++;
            continue;
        }
        size_t k = as_utf8_next(raw + i, len - i, &valid);
        content = 1;
        if (valid) {
            memcpy(t + o, raw + i, k);
            o += k;
        } else {
            memcpy(t + o, "\xEF\xBF\xBD", 3);
            o += 3;
            if (warned_line != line) {
                warned_line = line;
                if (nwarned < UTF8_WARN_MAX) {
                    nwarned++;
                    warnf(p, "invalid UTF-8 at line %u, replaced", (unsigned)line);
                } else {
                    more++;
                }
            }
        }
        i += k;
    }
    if (more)
        warnf(p, "invalid UTF-8 on %zu more lines, replaced", more);
    t[o] = '\0';
    if (!content) {
        free(t);
        return as_err_set(err, AS_ESKIP, "%s: empty file", p->path);
    }
    *out = t;
    *outlen = o;
    return AS_OK;
}

/* ---- .tsv findings ----------------------------------------------------- */

enum { F_IGNORE, F_COUNCIL, F_STATEMENT, F_SCORE, F_PUBLISHED, F_UPDATED,
       F_SECTION, F_KIND, F_ID, F_TEXT, F_N };
static const char *const tsv_cols[F_N] = {
    NULL, "council", "statement", "score", "published", "updated",
    "section", "kind", "id", "text"
};

/* A field value for a warning: at most 40 bytes, cut at a character. */
static int shown(const char *s, size_t n)
{
    if (n <= 40)
        return (int)n;
    n = 40;
    while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
        n--;
    return (int)n;
}

/* The last date a column parsed: rows of a file usually repeat one, and
 * parsing it again was a tenth of the reader's time. */
typedef struct datememo {
    char s[32];
    size_t n;       /* 0: none */
    uint32_t day;
} datememo;

static uint32_t memo_date(datememo *d, const char *s, size_t n)
{
    if (d->n && n == d->n && memcmp(s, d->s, n) == 0)
        return d->day;
    uint32_t day = as_reader_parse_date(s, n);
    if (day && n <= sizeof d->s) {
        memcpy(d->s, s, n);
        d->n = n;
        d->day = day;
    }
    return day;
}

/* The last kind a column parsed: rows repeat a few kinds, and matching
 * each against the names (strlen and strncasecmp per name) cost more than
 * the rest of the row's fields. */
typedef struct kindmemo {
    char s[24];
    size_t n;       /* 0: none */
    int kind;
} kindmemo;

static int memo_kind(kindmemo *d, const char *s, size_t n)
{
    if (d->n && n == d->n && memcmp(s, d->s, n) == 0)
        return d->kind;
    int kind = as_kind_parse(s, n);
    if (kind >= 0 && n <= sizeof d->s) {
        memcpy(d->s, s, n);
        d->n = n;
        d->kind = kind;
    }
    return kind;
}

static int parse_tsv(parser *p, as_err *err)
{
    size_t ncols = 0, pos = 0;
    int *col = NULL, rc = AS_OK;
    size_t *tabs = NULL; /* a row's first ncols tab offsets */
    const char *prev_section = NULL;
    size_t prev_seclen = 0; /* strlen(prev_section) */
    /* The header: the first non-blank line. */
    while (pos < p->n) {
        const char *e = memchr(p->t + pos, '\n', p->n - pos);
        size_t end = e ? (size_t)(e - p->t) : p->n;
        const char *s = p->t + pos;
        size_t n = end - pos;
        p->lineno++;
        pos = end + 1;
        trim(&s, &n);
        if (n == 0)
            continue;
        ncols = 1;
        for (size_t i = 0; i < n; i++)
            ncols += s[i] == '\t';
        /* tabs: a row's, then the last taken row's first ones (ptabs) */
        if (!(col = calloc(ncols, sizeof *col)) || !(tabs = malloc(2 * ncols * sizeof *tabs))) {
            free(col);
            return as_err_set(err, AS_ENOMEM, "%s: out of memory", p->path);
        }
        int seen[F_N] = {0};
        for (size_t c = 0, a = 0; c < ncols; c++) {
            size_t b = a;
            while (b < n && s[b] != '\t')
                b++;
            const char *f = s + a;
            size_t fn = b - a;
            trim(&f, &fn);
            for (int k = 1; k < F_N; k++)
                if (eq_ci(f, fn, tsv_cols[k]) && !seen[k]) {
                    col[c] = k;
                    seen[k] = 1;
                }
            a = b + 1;
        }
        if (!seen[F_TEXT]) {
            free(col);
            free(tabs);
            return as_err_set(err, AS_ESKIP, "%s: no \"text\" column in the header line",
                              p->path);
        }
        break;
    }
    if (!col)
        return as_err_set(err, AS_ESKIP, "%s: empty file", p->path);

    /* strlen of the current meta's council (set below whenever the meta
     * is; a .tsv meta's council comes only from these rows) */
    size_t councillen = 0;
    char last_stval[128];
    size_t last_stlen = 0;
    int last_st = 0;
    datememo dpub = {0}, dupd = {0};
    kindmemo dkind = {0};
    /* Rows of a file mostly repeat their metadata columns byte for byte
     * (council, statement, score, dates, section, kind): when they all come
     * before the id and text (the first pre columns), a row whose first pre
     * fields are the last taken row's bytes takes that row's findings (its
     * meta, kind and section) without parsing them again, its meta the
     * current one (same below).  The last taken row's bytes are still in
     * p->t (only its text's end was overwritten). */
    size_t pre = 0;
    while (pre < ncols && col[pre] != F_ID && col[pre] != F_TEXT)
        pre++;
    for (size_t c = pre; c < ncols; c++)
        if (col[c] != F_ID && col[c] != F_TEXT && col[c] != F_IGNORE)
            pre = 0;
    const char *prevrow = NULL; /* the last taken row, when pre > 0 */
    size_t prevn = 0;           /* its first pre fields' bytes, with their tabs */
    size_t *ptabs = tabs + ncols; /* their tabs */
    as_meta prevm = {0};
    int prevkind = 0;
    const char *prevsec = NULL;
    while (pos < p->n && rc == AS_OK) {
        /* The row's end and its tabs in one pass, 16 bytes at a time (a
         * memchr for the end and then a pass for the tabs read each row
         * twice; a memchr per field, and before it byte loops, were most of
         * the reader's time), the first ncols of the tabs kept.  No load
         * passes p->n: the last bytes go through the byte loop. */
        const char *s = p->t + pos;
        size_t left = p->n - pos, n = left, nt = 0, i = 0;
        /* The same first fields as the last taken row (pre): their bytes
         * hold its tabs and no line break, and the walk starts after them
         * (they were a third of each row's bytes). */
        int reuse = prevrow && left >= prevn && memcmp(s, prevrow, prevn) == 0;
        if (reuse) {
            memcpy(tabs, ptabs, pre * sizeof *tabs);
            nt = pre;
            i = prevn;
        }
        int tail = 0; /* the row's end found by memchr */
#ifdef __SSE2__
        const __m128i tabv = _mm_set1_epi8('\t'), nlv = _mm_set1_epi8('\n');
        for (; i + 16 <= left; i += 16) {
            __m128i v = _mm_loadu_si128((const __m128i *)(const void *)(s + i));
            unsigned m = (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(v, tabv));
            unsigned e = (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(v, nlv));
            if (e)
                m &= (1u << __builtin_ctz(e)) - 1; /* tabs before the end only */
            for (; m; m &= m - 1, nt++)
                if (nt < ncols)
                    tabs[nt] = i + (size_t)__builtin_ctz(m);
            if (e) {
                n = i + (size_t)__builtin_ctz(e);
                break;
            }
            if (nt + 1 >= ncols) {
                /* The header's tabs all seen: the rest, the last field
                 * (the text, in the bench corpus), seldom has one, and
                 * libc's memchr finds its end, then shows it has none,
                 * in fewer instructions than this loop. */
                i += 16;
                tail = 1;
                break;
            }
        }
#endif
        if (tail) {
            const char *nl = memchr(s + i, '\n', left - i);
            n = nl ? (size_t)(nl - s) : left;
            for (const char *q = s + i; (q = memchr(q, '\t', (size_t)(s + n - q))) != NULL; q++, nt++)
                if (nt < ncols)
                    tabs[nt] = (size_t)(q - s);
        } else if (n == left) {
            for (; i < left; i++) {
                if (s[i] == '\n') {
                    n = i;
                    break;
                }
                if (s[i] == '\t') {
                    if (nt < ncols)
                        tabs[nt] = i;
                    nt++;
                }
            }
        }
        p->lineno++;
        pos += n + 1; /* past the end of the text when no newline ends it */
        const char *ts = s;
        size_t tn = n;
        trim(&ts, &tn);
        if (tn == 0)
            continue;
        const char *fv[F_N] = {0};
        size_t fl[F_N] = {0};
        size_t nf = nt + 1;
        size_t f0 = reuse ? pre : 0;
        for (size_t f = f0, a = f0 ? prevn : 0; f < nf && f < ncols; f++) {
            size_t b = f < nt ? tabs[f] : n;
            if (col[f]) {
                fv[col[f]] = s + a;
                fl[col[f]] = b - a;
                trim(&fv[col[f]], &fl[col[f]]);
            }
            a = b + 1;
        }
        if (nf > ncols) {
            warnf(p, "line %u: %zu fields, the header has %zu; row skipped",
                  (unsigned)p->lineno, nf, ncols);
            continue;
        }
        as_meta m = {0};
        int kind = AS_KIND_FINDING;
        const char *bad = NULL;
        if (reuse) {
            m = prevm;
            kind = prevkind;
        /* Rows of a file usually repeat one statement name: matching it by
         * keyword once per distinct value saves most of the reader's time. */
        } else if (fl[F_STATEMENT] && fl[F_STATEMENT] == last_stlen && last_st
            && memcmp(fv[F_STATEMENT], last_stval, last_stlen) == 0) {
            m.statement = last_st;
        } else if (fl[F_STATEMENT]) {
            m.statement = as_statement_match(fv[F_STATEMENT], fl[F_STATEMENT]);
            if (m.statement && fl[F_STATEMENT] <= sizeof last_stval) {
                memcpy(last_stval, fv[F_STATEMENT], fl[F_STATEMENT]);
                last_stlen = fl[F_STATEMENT];
                last_st = m.statement;
            }
        }
        if (reuse)
            ; /* the last taken row's fields: none bad */
        else if (fl[F_STATEMENT] && !m.statement)
            bad = "statement";
        else if (fl[F_SCORE] && !(m.score = score_value(fv[F_SCORE], fl[F_SCORE], 0)))
            bad = "score";
        else if (fl[F_PUBLISHED] && !(m.published = memo_date(&dpub, fv[F_PUBLISHED], fl[F_PUBLISHED])))
            bad = "published";
        else if (fl[F_UPDATED] && !(m.updated = memo_date(&dupd, fv[F_UPDATED], fl[F_UPDATED])))
            bad = "updated";
        else if (fl[F_KIND] && (kind = memo_kind(&dkind, fv[F_KIND], fl[F_KIND])) < 0)
            bad = "kind";
        if (bad) {
            int f = !strcmp(bad, "statement") ? F_STATEMENT : !strcmp(bad, "score") ? F_SCORE
                    : !strcmp(bad, "published") ? F_PUBLISHED : !strcmp(bad, "updated") ? F_UPDATED
                    : F_KIND;
            warnf(p, "line %u: bad %s \"%.*s\"; row skipped", (unsigned)p->lineno, bad,
                  shown(fv[f], fl[f]), fv[f]);
            continue;
        }
        if (fl[F_TEXT] == 0) {
            warnf(p, "line %u: empty text; row skipped", (unsigned)p->lineno);
            continue;
        }
        /* Consecutive rows with the same metadata share one meta. */
        as_meta *last = &p->pg->pub.metas[p->cur];
        int same = reuse || (last->statement == m.statement && last->score == m.score
                   && last->published == m.published && last->updated == m.updated
                   && (last->council ? fl[F_COUNCIL] == councillen
                                           && memcmp(last->council, fv[F_COUNCIL], fl[F_COUNCIL]) == 0
                                     : fl[F_COUNCIL] == 0));
        if (!same && meta_used(p)) {
            if ((rc = new_meta(p)))
                break;
            last = &p->pg->pub.metas[p->cur];
        }
        if (!same) {
            *last = m;
            if (fl[F_COUNCIL] && !(last->council = arena_strndup(p->pg, fv[F_COUNCIL], fl[F_COUNCIL]))) {
                rc = AS_ENOMEM;
                break;
            }
            councillen = fl[F_COUNCIL];
        }
        const char *section = NULL;
        if (reuse) {
            section = prevsec;
        } else if (fl[F_SECTION]) {
            if (prev_section && prev_seclen == fl[F_SECTION]
                && memcmp(prev_section, fv[F_SECTION], fl[F_SECTION]) == 0)
                section = prev_section;
            else if (!(section = prev_section = arena_strndup(p->pg, fv[F_SECTION], fl[F_SECTION]))) {
                rc = AS_ENOMEM;
                break;
            } else
                prev_seclen = fl[F_SECTION];
        }
        size_t first = p->pg->pub.nsents;
        struct unit_ctx u = {p, fv[F_TEXT], kind, section, 1, fl[F_TEXT]}; /* a row: no LF */
        p->sentence = 0;
        if (fl[F_TEXT] <= AS_SENTENCE_MAX) {
            /* What as_segment_bound gives a text within the limit: the
             * text itself (trimmed above of the same white space, no line
             * break inside), on the row's line, ended in place (its end
             * is the field's: on_segment); its walk and callback were a
             * sixth of the reader. */
            if ((rc = add_sentence(p, fv[F_TEXT], fl[F_TEXT], p->lineno, kind, section, 1, 1)))
                break;
        } else if ((rc = as_segment_bound(fv[F_TEXT], fl[F_TEXT], p->lineno, on_segment, &u))) {
            break;
        }
        if (fl[F_ID] && p->pg->pub.nsents > first) {
            /* In place like the text (on_segment): the byte after the
             * trimmed id, a space or its separator, is past the first pre
             * fields and read no more. */
            char *id = (char *)fv[F_ID];
            id[fl[F_ID]] = '\0';
            for (size_t i = first; i < p->pg->pub.nsents; i++)
                p->pg->pub.sents[i].id = id;
        }
        p->paragraph++;
        /* the row taken: the one the next rows compare with (none when it
         * lacks a field of the first pre: its meta may be any) */
        prevrow = pre && nt >= pre ? s : NULL;
        if (prevrow) {
            prevn = tabs[pre - 1] + 1;
            memcpy(ptabs, tabs, pre * sizeof *tabs);
            prevm = m;
            prevkind = kind;
            prevsec = section;
        }
    }
    free(col);
    free(tabs);
    if (rc == AS_ENOMEM)
        as_err_set(err, rc, "%s: out of memory", p->path);
    return rc;
}

/* ---- Finishing: metadata precedence ------------------------------------ */

/* The directory a page sits in names its council only when written as a
 * name ("Durham County Council/"), never as a slug: a slug's spelling
 * ("stoke-on-trent-city-council") cannot be turned back into the name
 * without guessing. */
static int dir_council(const char *path, const char **s, size_t *n)
{
    const char *slash = strrchr(path, '/');
    if (!slash || slash == path)
        return 0;
    const char *a = slash;
    while (a > path && a[-1] != '/')
        a--;
    size_t l = (size_t)(slash - a);
    if (l == 0 || l > HEADING_MAX || !memchr(a, ' ', l))
        return 0;
    static const char *const words[] = {"Council", "Borough", "Corporation", NULL};
    int ok = 0;
    for (int k = 0; words[k] && !ok; k++) {
        size_t wl = strlen(words[k]);
        for (size_t i = 0; i + wl <= l && !ok; i++)
            ok = memcmp(a + i, words[k], wl) == 0;
    }
    if (!ok)
        return 0;
    *s = a;
    *n = l;
    return 1;
}

/* Looks for "scored 78 out of 100" or "score of 75%" in the sentences of a
 * summary page. */
static int sentence_percent(const as_page *pg)
{
    for (size_t i = 0; i < pg->nsents; i++) {
        const char *t = pg->sents[i].text;
        size_t n = pg->sents[i].len;
        for (const char *q = t; (q = strstr(q, "score")) != NULL; q++) {
            size_t j = (size_t)(q - t) + 5;
            if (j < n && t[j] == 'd')
                j++;
            else if (starts_ci(t + j, n - j, " of"))
                j += 3;
            while (j < n && t[j] == ' ')
                j++;
            int v = percent_at(t, n, j);
            if (v >= 0)
                return v;
        }
    }
    return -1;
}

static int finish(parser *p, const as_meta *man, int tsv, as_err *err)
{
    as_page *pub = &p->pg->pub;
    char *man_council = NULL, *dir = NULL;
    if (man && man->council && !(man_council = arena_strndup(p->pg, man->council, strlen(man->council))))
        return as_err_set(err, AS_ENOMEM, "%s: out of memory", p->path);
    const char *ds;
    size_t dn;
    int has_statement = 0;
    for (size_t i = 0; i < pub->nmetas; i++) {
        as_meta *m = &pub->metas[i];
        if (!m->council)
            m->council = p->council;
        if (!m->published)
            m->published = p->published;
        if (!m->updated)
            m->updated = p->updated;
        if (man) {
            if (man_council)
                m->council = man_council;
            if (man->published)
                m->published = man->published;
            if (man->updated)
                m->updated = man->updated;
            /* A summary page's statements are its own; one manifest
             * statement cannot describe them all. */
            if (p->nstatements < 2 && man->statement)
                m->statement = man->statement;
            if (p->nstatements < 2 && man->score)
                m->score = man->score;
        }
        if (!m->council && dir_council(p->path, &ds, &dn)) {
            if (!dir && !(dir = arena_strndup(p->pg, ds, dn)))
                return as_err_set(err, AS_ENOMEM, "%s: out of memory", p->path);
            m->council = dir;
        }
        has_statement |= m->statement != 0;
    }
    if (!tsv && !has_statement)
        return as_err_set(err, AS_ESKIP, "%s: no recognisable quality statement", p->path);
    for (size_t i = 0; i < pub->nsents; i++)
        pub->sents[i].meta = &pub->metas[p->smeta[i]];
    if (!tsv && (p->nstatements >= 2 || p->rating)) {
        if (p->rating && !(pub->overall_rating = arena_strndup(p->pg, ratings[p->rating - 1],
                                                               strlen(ratings[p->rating - 1]))))
            return as_err_set(err, AS_ENOMEM, "%s: out of memory", p->path);
        pub->overall_percent = p->percent >= 0 ? p->percent : sentence_percent(pub);
    }
    return AS_OK;
}

static int is_tsv_path(const char *path)
{
    size_t n = strlen(path);
    return ends_ci(path, n, ".tsv") || ends_ci(path, n, ".tsv.gz");
}

/* as_page_parse; own: NULL, or buf as a malloc'd buffer with buf[len]
 * writable, which this frees in every case (prepare). */
static int page_parse(const char *path, const char *buf, size_t len, char *own,
                      const as_meta *manifest, as_warn_fn warn, void *warn_ctx, as_page **out,
                      as_err *err)
{
    *out = NULL;
    if (!path)
        path = "(memory)";
    page_impl *pg = calloc(1, sizeof *pg);
    if (!pg) {
        free(own);
        return as_err_set(err, AS_ENOMEM, "%s: out of memory", path);
    }
    pg->pub.overall_percent = -1;
    parser p = {0};
    p.pg = pg;
    p.warn = warn;
    p.wctx = warn_ctx;
    p.kind = AS_KIND_FINDING;
    p.percent = -1;
    int rc;
    char *text = NULL;
    if (!(p.path = pg->pub.path = arena_strndup(pg, path, strlen(path)))) {
        rc = as_err_set(err, AS_ENOMEM, "%s: out of memory", path);
        goto fail;
    }
    if ((rc = prepare(&p, buf ? buf : "", buf ? len : 0, own, &text, &p.n, err)))
        goto fail;
    p.t = text;
    /* The sentence arrays sized from the text at once: a sentence with its
     * row or line takes some 350 bytes in the bench corpus, so one slot per
     * 256 bytes seldom grows, where doubling from 64 copied them four or
     * five times a file. */
    if ((rc = new_meta(&p)) || (rc = sents_grow(&p, p.n / 256 + 64))) {
        as_err_set(err, rc, "%s: out of memory", path);
        goto fail;
    }
    int tsv = is_tsv_path(path);
    if (tsv) {
        rc = parse_tsv(&p, err);
    } else if ((rc = parse_lines(&p))) {
        as_err_set(err, rc, "%s: %s", path, as_strerror(rc));
    }
    if (rc || (rc = finish(&p, manifest, tsv, err)))
        goto fail;
    pg->text = text; /* the .tsv sentences lie in it */
    if (text != own)
        free(own);
    free(p.smeta);
    free(p.blk);
    *out = &pg->pub;
    return AS_OK;
fail:
    if (text != own)
        free(text);
    free(own);
    free(p.smeta);
    free(p.blk);
    as_page_free(&pg->pub);
    return rc;
}

int as_page_parse(const char *path, const char *buf, size_t len, const as_meta *manifest,
                  as_warn_fn warn, void *warn_ctx, as_page **out, as_err *err)
{
    return page_parse(path, buf, len, NULL, manifest, warn, warn_ctx, out, err);
}

/* ---- Reading a file ---------------------------------------------------- */

/* *out holds *outlen bytes and room for one more (the loop below stops
 * only after a read found the buffer not full). */
static int read_all(int fd, char **out, size_t *outlen, size_t hint)
{
    size_t cap = hint + 1, n = 0;
    char *b = malloc(cap);
    if (!b)
        return AS_ENOMEM;
    for (;;) {
        if (n == cap) {
            if (cap > AS_READ_MAX) {
                free(b);
                return AS_ELIMIT;
            }
            /* Grow to at most one byte past the cap: enough to see that a
             * file is too large without holding twice the cap. */
            size_t ncap = cap * 2 > AS_READ_MAX + 1 ? AS_READ_MAX + 1 : cap * 2;
            char *nb = realloc(b, ncap);
            if (!nb) {
                free(b);
                return AS_ENOMEM;
            }
            b = nb;
            cap = ncap;
        }
        ssize_t r = read(fd, b + n, cap - n);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            free(b);
            return AS_EIO;
        }
        if (r == 0)
            break;
        n += (size_t)r;
    }
    if (n > AS_READ_MAX) {
        free(b);
        return AS_ELIMIT;
    }
    *out = b;
    *outlen = n;
    return AS_OK;
}

/* Decompresses through zlib's gz* API (which also reads concatenated
 * members); the output is capped at AS_READ_MAX so a decompression bomb
 * is refused rather than obeyed. */
static int gunzip_fd(int fd, char **out, size_t *outlen, char why[128])
{
    int dfd = dup(fd);
    if (dfd < 0 || lseek(dfd, 0, SEEK_SET) < 0) {
        if (dfd >= 0)
            close(dfd);
        snprintf(why, 128, "cannot reopen: %s", strerror(errno));
        return AS_EIO;
    }
    gzFile gz = gzdopen(dfd, "rb");
    if (!gz) {
        close(dfd);
        return AS_ENOMEM;
    }
    gzbuffer(gz, 1 << 17);
    size_t cap = 1 << 16, n = 0;
    char *b = malloc(cap);
    int rc = b ? AS_OK : AS_ENOMEM;
    while (rc == AS_OK) {
        if (n == cap) {
            if (cap > AS_READ_MAX) {
                rc = AS_ELIMIT;
                break;
            }
            size_t ncap = cap * 2 > AS_READ_MAX + 1 ? AS_READ_MAX + 1 : cap * 2;
            char *nb = realloc(b, ncap);
            if (!nb) {
                rc = AS_ENOMEM;
                break;
            }
            b = nb;
            cap = ncap;
        }
        size_t want = cap - n > (1u << 30) ? (1u << 30) : cap - n;
        int r = gzread(gz, b + n, (unsigned)want);
        if (r < 0) {
            int zerr;
            const char *m = gzerror(gz, &zerr);
            /* gzerror's text dies with gz: copy it. */
            snprintf(why, 128, "corrupt gzip data (%s)", m && *m ? m : "unknown error");
            rc = AS_EIO;
            break;
        }
        if (r == 0)
            break;
        n += (size_t)r;
    }
    if (rc == AS_OK && n > AS_READ_MAX)
        rc = AS_ELIMIT;
    if (rc == AS_OK) {
        /* A truncated stream reads as a short one without error until
         * gzclose_r reports it. */
        int zc = gzclose_r(gz);
        gz = NULL;
        if (zc != Z_OK) {
            snprintf(why, 128, "%s", zc == Z_BUF_ERROR ? "truncated gzip data" : "corrupt gzip data");
            rc = AS_EIO;
        }
    }
    if (gz)
        gzclose_r(gz);
    if (rc) {
        free(b);
        return rc;
    }
    *out = b;
    *outlen = n;
    return AS_OK;
}

int as_page_read(const as_file *f, as_warn_fn warn, void *warn_ctx, as_page **out,
                 uint32_t *crc32_out, as_err *err)
{
    *out = NULL;
    const char *disp = f->display ? f->display : f->path;
    /* O_NONBLOCK: a file swapped for a FIFO since the walk must not hang
     * us in open(); it is refused below as not regular. */
    int fd = open(f->path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
    if (fd < 0)
        return as_err_set(err, AS_ESKIP, "%s: cannot open: %s", disp, strerror(errno));
    struct stat st;
    int rc;
    if (fstat(fd, &st) < 0) {
        rc = as_err_set(err, AS_ESKIP, "%s: cannot stat: %s", disp, strerror(errno));
        close(fd);
        return rc;
    }
    if (!S_ISREG(st.st_mode)) {
        close(fd);
        return as_err_set(err, AS_ESKIP, "%s: not a regular file", disp);
    }
    int fl = fcntl(fd, F_GETFL);
    if (fl >= 0)
        fcntl(fd, F_SETFL, fl & ~O_NONBLOCK);
    if ((uint64_t)st.st_size > AS_READ_MAX) {
        close(fd);
        return as_err_set(err, AS_ESKIP, "%s: too large (over %zu MiB)", disp, AS_READ_MAX >> 20);
    }
    char *raw = NULL;
    size_t rawlen = 0;
    rc = read_all(fd, &raw, &rawlen, (size_t)st.st_size);
    if (rc) {
        int e = errno;
        close(fd);
        if (rc == AS_ENOMEM)
            return as_err_set(err, rc, "%s: out of memory", disp);
        if (rc == AS_ELIMIT)
            return as_err_set(err, AS_ESKIP, "%s: too large (over %zu MiB)", disp, AS_READ_MAX >> 20);
        return as_err_set(err, AS_ESKIP, "%s: read error: %s", disp, strerror(e));
    }
    if (crc32_out)
        *crc32_out = as_crc32(0, raw, rawlen); /* zlib's values, folded faster */
    char *data = raw;
    size_t len = rawlen;
    int owned = 1; /* data[len] is writable: read_all's */
    if (rawlen >= 2 && (unsigned char)raw[0] == 0x1f && (unsigned char)raw[1] == 0x8b) {
        owned = 0;
        char why[128] = "corrupt gzip data";
        rc = gunzip_fd(fd, &data, &len, why);
        free(raw);
        if (rc) {
            close(fd);
            if (rc == AS_ENOMEM)
                return as_err_set(err, rc, "%s: out of memory", disp);
            if (rc == AS_ELIMIT)
                return as_err_set(err, AS_ESKIP, "%s: too large (over %zu MiB uncompressed)",
                                  disp, AS_READ_MAX >> 20);
            return as_err_set(err, AS_ESKIP, "%s: %s", disp, why);
        }
    }
    close(fd);
    if (owned) /* the parse takes data over */
        return page_parse(disp, data, len, data, f->manifest, warn, warn_ctx, out, err);
    rc = as_page_parse(disp, data, len, f->manifest, warn, warn_ctx, out, err);
    free(data);
    return rc;
}
