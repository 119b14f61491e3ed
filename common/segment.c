/*
 * segment.c — the sentence splitter: one paragraph in, sentences with their
 * source lines out; plus the UTF-8 decoding step the reader and the JSON
 * writer share.
 *
 * One forward pass over the paragraph.  The only look-behind is the word
 * before a full stop (at most ABBREV_MAX bytes, for the abbreviation test)
 * and the search for a word boundary when a sentence reaches
 * AS_SENTENCE_MAX (at most half of it, and each search advances the start by
 * at least half of it), so the time is linear in the paragraph: a 10 MB line
 * costs what ten thousand ordinary paragraphs cost.
 */
#include "segment.h"

#include <string.h>

size_t as_utf8_next(const char *str, size_t n, int *valid)
{
    const unsigned char *s = (const unsigned char *)str;
    *valid = 0;
    if (n == 0)
        return 0;
    unsigned char c = s[0];
    if (c < 0x80) {
        *valid = 1;
        return 1;
    }
    size_t need;
    unsigned char lo = 0x80, hi = 0xBF; /* range of the second byte */
    if (c >= 0xC2 && c <= 0xDF)
        need = 1;
    else if (c == 0xE0)
        need = 2, lo = 0xA0;
    else if (c == 0xED)
        need = 2, hi = 0x9F; /* no UTF-16 surrogates */
    else if (c >= 0xE1 && c <= 0xEF)
        need = 2;
    else if (c == 0xF0)
        need = 3, lo = 0x90;
    else if (c == 0xF4)
        need = 3, hi = 0x8F; /* nothing past U+10FFFF */
    else if (c >= 0xF1 && c <= 0xF3)
        need = 3;
    else
        return 1; /* 80..C1, F5..FF never start a character */
    size_t i = 1;
    for (; i <= need; i++) {
        if (i >= n)
            return i;
        unsigned char b = s[i];
        if (i == 1 ? (b < lo || b > hi) : (b < 0x80 || b > 0xBF))
            return i;
    }
    *valid = 1;
    return need + 1;
}

static int is_ws(unsigned char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

size_t as_segment_clean(const char *s, size_t len, char *out)
{
    /* Most sentences sit on one line: copy them whole. */
    if (!memchr(s, '\n', len) && !memchr(s, '\r', len)) {
        memcpy(out, s, len);
        out[len] = '\0';
        return len;
    }
    size_t o = 0;
    for (size_t i = 0; i < len;) {
        if (!is_ws((unsigned char)s[i])) {
            out[o++] = s[i++];
            continue;
        }
        size_t j = i;
        int nl = 0;
        while (j < len && is_ws((unsigned char)s[j])) {
            if (s[j] == '\n' || s[j] == '\r')
                nl = 1;
            j++;
        }
        if (nl) {
            out[o++] = ' ';
        } else {
            memcpy(out + o, s + i, j - i);
            o += j - i;
        }
        i = j;
    }
    out[o] = '\0';
    return o;
}

/* ---- The splitter ------------------------------------------------------ */

struct seg {
    const char *t;
    size_t n;
    size_t lpos;    /* line counting has reached here ... */
    uint32_t lline; /* ... and this is the line of t[lpos] */
    as_segment_fn fn;
    void *ctx;
};

/* Positions asked for only ever grow, so counting is linear overall. */
static uint32_t line_at(struct seg *s, size_t p)
{
    while (s->lpos < p) {
        const char *nl = memchr(s->t + s->lpos, '\n', p - s->lpos);
        if (!nl) {
            s->lpos = p;
            break;
        }
        s->lline++;
        s->lpos = (size_t)(nl - s->t) + 1;
    }
    return s->lline;
}

static int emit(struct seg *s, size_t a, size_t b, int cut)
{
    while (a < b && is_ws((unsigned char)s->t[a]))
        a++;
    while (b > a && is_ws((unsigned char)s->t[b - 1]))
        b--;
    if (a == b)
        return 0;
    as_segment g = {a, b - a, line_at(s, a), cut};
    return s->fn(s->ctx, &g);
}

static size_t skip_ws(const struct seg *s, size_t i)
{
    while (i < s->n && is_ws((unsigned char)s->t[i]))
        i++;
    return i;
}

/* Emits the first AS_SENTENCE_MAX bytes (or fewer) of the text at *start,
 * which must have more than that many bytes left: cut at the last white
 * space in the second half of the window, else at a character boundary. */
static int cut_once(struct seg *s, size_t *start)
{
    size_t lim = *start + AS_SENTENCE_MAX, w = lim, next;
    while (w > *start + AS_SENTENCE_MAX / 2 && !is_ws((unsigned char)s->t[w]))
        w--;
    if (is_ws((unsigned char)s->t[w])) {
        next = w;
    } else {
        w = lim;
        /* At most 3 steps back: a character has at most 3 continuation
         * bytes (and garbage must not stall the cut). */
        while (w > lim - 3 && ((unsigned char)s->t[w] & 0xC0) == 0x80)
            w--;
        next = w;
    }
    int rc = emit(s, *start, w, 1);
    *start = skip_ws(s, next);
    return rc;
}

/* Bytes of a closing quote or bracket at t[i], else 0. */
static size_t closer(const char *t, size_t n, size_t i)
{
    unsigned char c = (unsigned char)t[i];
    if (c == '"' || c == '\'' || c == ')' || c == ']')
        return 1;
    if (c == 0xE2 && i + 2 < n && (unsigned char)t[i + 1] == 0x80
        && ((unsigned char)t[i + 2] == 0x9D || (unsigned char)t[i + 2] == 0x99))
        return 3; /* ” ’ */
    if (c == 0xC2 && i + 1 < n && (unsigned char)t[i + 1] == 0xBB)
        return 2; /* » */
    return 0;
}

/* Bytes of sentence-final punctuation at t[i] (. ! ? or …), else 0. */
static size_t terminal(const char *t, size_t n, size_t i)
{
    unsigned char c = (unsigned char)t[i];
    if (c == '.' || c == '!' || c == '?')
        return 1;
    if (c == 0xE2 && i + 2 < n && (unsigned char)t[i + 1] == 0x80
        && (unsigned char)t[i + 2] == 0xA6)
        return 3;
    return 0;
}

/* Can a sentence start at p?  Upper-case letter (ASCII or Latin-1), digit,
 * opening quote or bracket, or a currency sign. */
static int starts_sentence(const char *p, size_t n)
{
    unsigned char c = (unsigned char)p[0];
    if ((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '"' || c == '\''
        || c == '(' || c == '[' || c == '$')
        return 1;
    if (n >= 2 && c == 0xC3) {
        unsigned char d = (unsigned char)p[1];
        return d >= 0x80 && d <= 0x9E && d != 0x97; /* À..Þ except × */
    }
    if (n >= 2 && c == 0xC2)
        return (unsigned char)p[1] == 0xA3 || (unsigned char)p[1] == 0xAB; /* £ « */
    if (n >= 3 && c == 0xE2 && (unsigned char)p[1] == 0x80)
        return (unsigned char)p[2] == 0x9C || (unsigned char)p[2] == 0x98; /* “ ‘ */
    if (n >= 3 && c == 0xE2 && (unsigned char)p[1] == 0x82)
        return (unsigned char)p[2] == 0xAC; /* € */
    return 0;
}

#define ABBREV_MAX 12

/* Abbreviations after which a full stop does not end a sentence.  "no" is
 * one only before a number ("No. 5"), so "The answer was no. The ..." splits. */
static const char *const abbrevs[] = {
    "e.g", "i.e", "etc", "dr", "mr", "mrs", "ms", "st", "vs", "approx",
    "cf", "al", "prof", "rev", "fig", "ref", "nos", NULL
};

static int lower(int c)
{
    return c >= 'A' && c <= 'Z' ? c + 32 : c;
}

/* Is the full stop at t[dot] the end of an abbreviation?  next is the first
 * byte of what follows the white space. */
static int is_abbrev(const char *t, size_t start, size_t dot, const char *next)
{
    size_t a = dot;
    while (a > start && !is_ws((unsigned char)t[a - 1]) && t[a - 1] != '('
           && t[a - 1] != '"' && t[a - 1] != '[' && dot - a <= ABBREV_MAX)
        a--;
    size_t wl = dot - a;
    if (wl == 0 || wl > ABBREV_MAX)
        return 0;
    const char *w = t + a;
    /* A single-letter initial: "J. Smith". */
    if (wl == 1 && w[0] >= 'A' && w[0] <= 'Z')
        return 1;
    for (int k = 0; abbrevs[k]; k++) {
        size_t al = strlen(abbrevs[k]);
        if (al != wl)
            continue;
        size_t i = 0;
        while (i < al && lower((unsigned char)w[i]) == abbrevs[k][i])
            i++;
        if (i == al)
            return 1;
    }
    if (wl == 2 && lower(w[0]) == 'n' && lower(w[1]) == 'o')
        return *next >= '0' && *next <= '9';
    /* Dotted initials: U.K. a.m. p.m. — single letters between points. */
    int dots = 0, ok = 1;
    for (size_t i = 0; i < wl; i++) {
        if (w[i] == '.') {
            dots++;
            ok &= i > 0 && w[i - 1] != '.';
        } else {
            int c = lower((unsigned char)w[i]);
            ok &= c >= 'a' && c <= 'z' && (i == 0 || w[i - 1] == '.');
        }
    }
    return dots > 0 && ok;
}

static int run(const char *text, size_t len, uint32_t line, int split,
               as_segment_fn fn, void *ctx)
{
    struct seg s = {text, len, 0, line, fn, ctx};
    size_t start = skip_ws(&s, 0), i = start;
    int rc;
    while (i < len) {
        if (i - start > AS_SENTENCE_MAX) {
            if ((rc = cut_once(&s, &start)))
                return rc;
            if (i < start)
                i = start;
            continue;
        }
        if (!split) {
            /* Only the length limit applies: jump to it. */
            i = start + AS_SENTENCE_MAX + 1 < len ? start + AS_SENTENCE_MAX + 1 : len;
            continue;
        }
        /* Skip bytes that cannot end a sentence (all but . ! ? and the
         * lead byte of …), up to the length limit. */
        size_t stop = start + AS_SENTENCE_MAX + 1 < len ? start + AS_SENTENCE_MAX + 1 : len;
        while (i < stop && text[i] != '.' && text[i] != '!' && text[i] != '?'
               && (unsigned char)text[i] != 0xE2)
            i++;
        if (i >= stop)
            continue;
        size_t tl = terminal(text, len, i);
        if (tl == 0) {
            i++;
            continue;
        }
        /* Runs like "?!", "...", ".)" and ".”" end together. */
        size_t j = i + tl, k;
        while (j < len) {
            if ((k = terminal(text, len, j)) || (k = closer(text, len, j)))
                j += k;
            else
                break;
        }
        if (j < len && is_ws((unsigned char)text[j])) {
            k = skip_ws(&s, j);
            if (k < len && starts_sentence(text + k, len - k)
                && !(text[i] == '.' && is_abbrev(text, start, i, text + k))) {
                /* A boundary past the limit is cut first, so no piece is
                 * longer than AS_SENTENCE_MAX. */
                while (j - start > AS_SENTENCE_MAX)
                    if ((rc = cut_once(&s, &start)))
                        return rc;
                if ((rc = emit(&s, start, j, 0)))
                    return rc;
                start = i = k;
                continue;
            }
        }
        i = j;
    }
    while (len - start > AS_SENTENCE_MAX) {
        if ((rc = cut_once(&s, &start)))
            return rc;
        if (start >= len)
            return 0;
    }
    return emit(&s, start, len, 0);
}

int as_segment_split(const char *text, size_t len, uint32_t line,
                     as_segment_fn fn, void *ctx)
{
    return run(text, len, line, 1, fn, ctx);
}

int as_segment_bound(const char *text, size_t len, uint32_t line,
                     as_segment_fn fn, void *ctx)
{
    return run(text, len, line, 0, fn, ctx);
}
