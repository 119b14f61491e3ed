/*
 * test_analyze_fast.c — the analyzer's fast paths (analyze.c: the ASCII
 * loops of scan_part, the word-keyed stem cache, push's fixed-size copy)
 * against a reference: the analyzer as it was before them (same
 * AS_ANALYZER_VERSION), kept below unchanged but for ref_ names and static
 * (byte-at-a-time reading through readch, FNV-hashed cache, memcmp).  Every
 * token (term, position, span, flags) and every as_analyze_word result must
 * be the same on random bytes, invalid UTF-8, hostile mixes of letters,
 * digits, apostrophes, curly quotes, hyphens and dashes, numbers with
 * separators, capitals runs, words longer than PART_MAX and compounds
 * longer than the fold buffer.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analyze.h"
#include "utf8.h"

#include <libstemmer.h>

/* ---- The reference: analyze.c before the fast paths --------------------- */

typedef struct ref_analyzer ref_analyzer;
static void ref_analyzer_free(ref_analyzer *an);

#define PART_MAX 128  /* folded bytes kept per part; longer parts are not stemmed */
#define MAX_PARTS 16  /* parts in one compound */
#define ACRO_MAX 6    /* letters in an acronym (singular) */
#define FOLD_CAP (MAX_PARTS * PART_MAX)

#define CACHE_SLOTS 16384 /* power of two; ~94% hits on the Vaswani abstracts */
#define CACHE_SLOTS0 256  /* the first size */
#define CACHE_GROW 4
#define CACHE_KEY 22
#define CACHE_VAL 24

/* Protected words: Snowball english conflations that mislead in social-care
 * reports, mapped to a fixed term before stemming.  Each checked against
 * libstemmer (stems in brackets):
 *   commission(s) [commiss] would match commissioning/commissioned
 *     [commiss] — the Care Quality Commission is not commissioning of
 *     services.  Commissioner(s) [commission!] is a commissioning role, so
 *     it joins that family instead of colliding with "Commission".
 *   careful(ly) [care] would match care/cared/caring: "careful" is not care.
 *   university/universities [univers] would match universal (services) and
 *     universe.
 *   provider(s) [provid] would match provide/provided/providing: a search
 *     for care providers should not return every "provided".
 *   personal [person] would match person: "personal care", "personal
 *     budget" are terms of art, "person" is everywhere.
 * Sorted by word; keep it short. */
static const struct {
    const char *word;
    const char *term;
} protected_words[] = {
    {"careful", "careful"},
    {"carefully", "careful"},
    {"commission", "commission"},
    {"commissioner", "commiss"},
    {"commissioners", "commiss"},
    {"commissions", "commission"},
    {"personal", "personal"},
    {"provider", "provider"},
    {"providers", "provider"},
    {"universities", "universiti"},
    {"university", "universiti"},
};

typedef struct part {
    uint32_t start, end; /* byte span in the input */
    uint32_t foff, flen; /* folded bytes in an->fold */
    unsigned nup, nlo;   /* ASCII capitals / lower-case letters */
    unsigned char b0, b1; /* last two ASCII word bytes as written (0: other) */
    unsigned char other;  /* non-ASCII letter or in-word punctuation seen */
    unsigned char digit, digit_first, over;
} part;

typedef struct cache_slot {
    unsigned char klen, vlen; /* klen 0: empty */
    char key[CACHE_KEY];
    char val[CACHE_VAL];
} cache_slot;

struct ref_analyzer {
    struct sb_stemmer *stemmer;
    as_token *toks;
    uint32_t *toff; /* term offsets into arena, until the pointers are set */
    size_t ntoks, tcap;
    char *arena;
    size_t alen, acap;
    part parts[MAX_PARTS];
    char fold[FOLD_CAP + 8];
    char word[AS_TERM_MAX + 8]; /* as_analyze_word's result */
    cache_slot *cache;
    size_t cache_slots;         /* power of two, CACHE_SLOTS0..CACHE_SLOTS */
    size_t cache_misses;        /* since the last growth */
};

/* ASCII classes and folds, so the common case needs no decoding. */
static const unsigned char ascii_class[128] = {
    ['\''] = AS_CH_APOS, ['-'] = AS_CH_HYPHEN,
    ['0'] = AS_CH_DIGIT, ['1'] = AS_CH_DIGIT, ['2'] = AS_CH_DIGIT,
    ['3'] = AS_CH_DIGIT, ['4'] = AS_CH_DIGIT, ['5'] = AS_CH_DIGIT,
    ['6'] = AS_CH_DIGIT, ['7'] = AS_CH_DIGIT, ['8'] = AS_CH_DIGIT,
    ['9'] = AS_CH_DIGIT,
    ['A'] = 1, ['B'] = 1, ['C'] = 1, ['D'] = 1, ['E'] = 1, ['F'] = 1, ['G'] = 1,
    ['H'] = 1, ['I'] = 1, ['J'] = 1, ['K'] = 1, ['L'] = 1, ['M'] = 1, ['N'] = 1,
    ['O'] = 1, ['P'] = 1, ['Q'] = 1, ['R'] = 1, ['S'] = 1, ['T'] = 1, ['U'] = 1,
    ['V'] = 1, ['W'] = 1, ['X'] = 1, ['Y'] = 1, ['Z'] = 1,
    ['a'] = 1, ['b'] = 1, ['c'] = 1, ['d'] = 1, ['e'] = 1, ['f'] = 1, ['g'] = 1,
    ['h'] = 1, ['i'] = 1, ['j'] = 1, ['k'] = 1, ['l'] = 1, ['m'] = 1, ['n'] = 1,
    ['o'] = 1, ['p'] = 1, ['q'] = 1, ['r'] = 1, ['s'] = 1, ['t'] = 1, ['u'] = 1,
    ['v'] = 1, ['w'] = 1, ['x'] = 1, ['y'] = 1, ['z'] = 1,
};

/* Reads the character at t[i] (i < len): returns its class, its byte
 * length in *clen (>= 1) and, for letters and digits, its folded bytes. */
static inline int readch(const unsigned char *t, size_t len, size_t i,
                         size_t *clen, char f[4], size_t *flen)
{
    unsigned c = t[i];
    if (c < 0x80) {
        int cls = ascii_class[c];
        *clen = 1;
        *flen = 0;
        if (cls == AS_CH_LETTER || cls == AS_CH_DIGIT) {
            f[0] = (char)(c >= 'A' && c <= 'Z' ? c + 32 : c);
            *flen = 1;
        }
        return cls;
    }
    uint32_t cp;
    size_t n = as_utf8_decode(t + i, len - i, &cp);
    if (!n) {
        *clen = 1;
        *flen = 0;
        return AS_CH_SEP;
    }
    *clen = n;
    return as_utf8_fold(cp, f, flen);
}

static inline int is_wordch(int cls)
{
    return cls == AS_CH_LETTER || cls == AS_CH_DIGIT;
}

static inline int is_digit(unsigned c)
{
    return c >= '0' && c <= '9';
}

/* Reads one part starting at the word character t[*ip], appending its
 * folded form at an->fold[*fl].  Stops before anything that is not part of
 * the word (a hyphen included); consumes a possessive 's. */
static void scan_part(ref_analyzer *an, const unsigned char *t, size_t len,
                      size_t *ip, size_t *fl, part *p)
{
    size_t i = *ip;
    memset(p, 0, sizeof *p);
    p->start = (uint32_t)i;
    p->end = (uint32_t)i;
    p->foff = (uint32_t)*fl;
    while (i < len) {
        size_t clen, flen;
        char f[4];
        int cls = readch(t, len, i, &clen, f, &flen);
        unsigned c = t[i];
        if (is_wordch(cls)) {
            if (p->flen + flen <= PART_MAX && *fl + flen <= FOLD_CAP) {
                if (flen == 1) /* the common case, without a call to memcpy */
                    an->fold[*fl] = f[0];
                else
                    memcpy(an->fold + *fl, f, flen);
                *fl += flen;
                p->flen += (uint32_t)flen;
            } else {
                p->over = 1;
            }
            if (c < 0x80) {
                if (c >= 'A' && c <= 'Z')
                    p->nup++;
                else if (c >= 'a' && c <= 'z')
                    p->nlo++;
                else if (i == p->start)
                    p->digit = p->digit_first = 1;
                else
                    p->digit = 1;
                p->b1 = p->b0;
                p->b0 = (unsigned char)c;
            } else {
                if (cls == AS_CH_DIGIT)
                    p->digit = 1;
                p->other = 1;
                p->b1 = p->b0;
                p->b0 = 0;
            }
            i += clen;
            p->end = (uint32_t)i;
            continue;
        }
        if (cls == AS_CH_IGNORE) {
            i += clen;
            continue;
        }
        if (cls == AS_CH_APOS) {
            size_t j = i + clen, c2len, f2len;
            char f2[4];
            if (j >= len || !is_wordch(readch(t, len, j, &c2len, f2, &f2len)))
                break;
            if (t[j] == 's' || t[j] == 'S') {
                size_t c3len, f3len;
                char f3[4];
                if (j + 1 >= len
                    || !is_wordch(readch(t, len, j + 1, &c3len, f3, &f3len))) {
                    i = j + 1; /* possessive: part of the span, not the term */
                    p->end = (uint32_t)i;
                    break;
                }
            }
            p->other = 1; /* in-word apostrophe: dropped */
            i = j;
            continue;
        }
        if ((c == '.' || c == '/' || c == ',') && is_digit(p->b0) && i + 1 < len
            && is_digit(t[i + 1])) {
            if (c == ',') {
                if (i + 3 < len && is_digit(t[i + 2]) && is_digit(t[i + 3])
                    && (i + 4 >= len || !is_digit(t[i + 4]))) {
                    i++;
                    continue;
                }
                break;
            }
            if (p->flen + 1 <= PART_MAX && *fl + 1 <= FOLD_CAP) {
                an->fold[(*fl)++] = (char)c;
                p->flen++;
            } else {
                p->over = 1;
            }
            p->other = 1;
            i++;
            continue;
        }
        break;
    }
    *ip = i;
}

/* Reads a compound (one or more parts) starting at the word character
 * t[*ip]; returns the number of parts. */
static size_t scan_compound(ref_analyzer *an, const unsigned char *t, size_t len,
                            size_t *ip, size_t *fl)
{
    size_t np = 0, i = *ip;
    for (;;) {
        scan_part(an, t, len, &i, fl, &an->parts[np]);
        np++;
        if (np == MAX_PARTS || i >= len)
            break;
        size_t hlen, clen, flen;
        char f[4];
        if (readch(t, len, i, &hlen, f, &flen) != AS_CH_HYPHEN || i + hlen >= len)
            break;
        if (!is_wordch(readch(t, len, i + hlen, &clen, f, &flen)))
            break;
        i += hlen;
    }
    *ip = i;
    return np;
}

static size_t cut_utf8(const char *s, size_t n)
{
    if (n <= AS_TERM_MAX)
        return n;
    size_t k = AS_TERM_MAX;
    while (k > 0 && ((unsigned char)s[k] & 0xC0) == 0x80)
        k--;
    return k;
}

static uint32_t hash_bytes(const char *s, size_t n)
{
    uint32_t h = 2166136261u; /* FNV-1a */
    for (size_t i = 0; i < n; i++) {
        h ^= (unsigned char)s[i];
        h *= 16777619u;
    }
    return h;
}

/* The term for folded word w[0..n): protected form or Snowball stem when
 * stem is set, else w itself; cut to AS_TERM_MAX. */
static int word_term(ref_analyzer *an, const char *w, size_t n, int stem,
                     const char **out, size_t *olen)
{
    if (!stem || n == 0) {
        *out = w;
        *olen = cut_utf8(w, n);
        return AS_OK;
    }
    cache_slot *slot = NULL;
    if (n <= CACHE_KEY) {
        slot = &an->cache[hash_bytes(w, n) & (an->cache_slots - 1)];
        if (slot->klen == n && memcmp(slot->key, w, n) == 0) {
            *out = slot->val;
            *olen = slot->vlen;
            return AS_OK;
        }
    }
    const char *r = NULL;
    size_t rn = 0;
    if (n >= 7 && n <= 13 && (w[0] == 'c' || w[0] == 'p' || w[0] == 'u')) {
        for (size_t k = 0; k < sizeof protected_words / sizeof protected_words[0]; k++) {
            const char *pw = protected_words[k].word;
            if (strlen(pw) == n && memcmp(pw, w, n) == 0) {
                r = protected_words[k].term;
                rn = strlen(r);
                break;
            }
        }
    }
    if (!r) {
        r = (const char *)sb_stemmer_stem(an->stemmer, (const sb_symbol *)w, (int)n);
        if (!r)
            return AS_ENOMEM;
        rn = (size_t)sb_stemmer_length(an->stemmer);
    }
    rn = cut_utf8(r, rn);
    if (slot && ++an->cache_misses > CACHE_GROW * an->cache_slots
        && an->cache_slots < CACHE_SLOTS) {
        /* A larger table, empty: a failed allocation keeps the old one. */
        size_t ns = an->cache_slots * 8 < CACHE_SLOTS ? an->cache_slots * 8 : CACHE_SLOTS;
        cache_slot *nc = calloc(ns, sizeof *nc);
        if (nc) {
            free(an->cache);
            an->cache = nc;
            an->cache_slots = ns;
            slot = &nc[hash_bytes(w, n) & (ns - 1)];
        }
        an->cache_misses = 0;
    }
    if (slot && rn <= CACHE_VAL) {
        slot->klen = (unsigned char)n;
        memcpy(slot->key, w, n);
        slot->vlen = (unsigned char)rn;
        memcpy(slot->val, r, rn);
    }
    *out = r;
    *olen = rn;
    return AS_OK;
}

static int push(ref_analyzer *an, const char *term, size_t tlen, uint32_t pos,
                uint32_t start, uint32_t end, uint32_t flags)
{
    if (an->ntoks == an->tcap) {
        size_t nc = an->tcap ? an->tcap * 2 : 256;
        as_token *nt = realloc(an->toks, nc * sizeof *nt);
        if (!nt)
            return AS_ENOMEM;
        an->toks = nt;
        uint32_t *no = realloc(an->toff, nc * sizeof *no);
        if (!no)
            return AS_ENOMEM;
        an->toff = no;
        an->tcap = nc;
    }
    if (an->alen + tlen > an->acap) {
        size_t nc = an->acap ? an->acap : 4096;
        while (nc < an->alen + tlen)
            nc *= 2;
        char *na = realloc(an->arena, nc);
        if (!na)
            return AS_ENOMEM;
        an->arena = na;
        an->acap = nc;
    }
    memcpy(an->arena + an->alen, term, tlen);
    as_token *tk = &an->toks[an->ntoks];
    an->toff[an->ntoks] = (uint32_t)an->alen;
    an->alen += tlen;
    tk->term = NULL;
    tk->len = (uint32_t)tlen;
    tk->pos = pos;
    tk->start = start;
    tk->end = end;
    tk->flags = flags;
    an->ntoks++;
    return AS_OK;
}

/* Length of the acronym (singular) a part spells, 0 if it is not one. */
static size_t acro_len(const part *p)
{
    if (p->other || p->digit || p->over)
        return 0;
    unsigned up = p->nup, lo = p->nlo;
    size_t n = p->flen;
    if (p->b0 == 's' && p->b1 >= 'A' && p->b1 <= 'Z' && n >= 3) {
        lo--;
        n--;
    }
    return up >= 2 && up > lo && n <= ACRO_MAX ? n : 0;
}

static int emit_compound(ref_analyzer *an, size_t np, size_t fl, uint32_t pos)
{
    int rc;
    const char *term;
    size_t tlen;
    uint32_t kind = np > 1 ? AS_TOK_PART : AS_TOK_WORD;
    for (size_t k = 0; k < np; k++) {
        const part *p = &an->parts[k];
        const char *w = an->fold + p->foff;
        if ((rc = word_term(an, w, p->flen, !p->digit && !p->over, &term, &tlen)))
            return rc;
        size_t first = an->ntoks;
        if ((rc = push(an, term, tlen, pos + (uint32_t)k, p->start, p->end,
                       kind | (p->digit_first ? AS_TOK_NUMBER : 0))))
            return rc;
        size_t al = acro_len(p);
        if (al) {
            char a[ACRO_MAX + 1];
            a[0] = '^';
            memcpy(a + 1, w, al);
            if ((rc = push(an, a, al + 1, pos + (uint32_t)k, p->start, p->end,
                           AS_TOK_ACRONYM | (kind & AS_TOK_PART))))
                return rc;
        }
        if (k == 0 && np > 1) {
            int digit = 0, over = fl > PART_MAX;
            for (size_t m = 0; m < np; m++) {
                digit |= an->parts[m].digit;
                over |= an->parts[m].over;
            }
            if ((rc = word_term(an, an->fold, fl, !digit && !over, &term, &tlen)))
                return rc;
            const as_token *t0 = &an->toks[first];
            if (tlen == t0->len && memcmp(term, an->arena + an->toff[first], tlen) == 0)
                continue; /* "car-s": joined term = first part's term */
            if ((rc = push(an, term, tlen, pos, p->start, an->parts[np - 1].end,
                           AS_TOK_JOINED | (p->digit_first ? AS_TOK_NUMBER : 0))))
                return rc;
        }
    }
    return AS_OK;
}

static int ref_analyzer_new(ref_analyzer **out)
{
    *out = NULL;
    ref_analyzer *an = calloc(1, sizeof *an);
    if (!an)
        return AS_ENOMEM;
    an->cache_slots = CACHE_SLOTS0;
    an->cache = calloc(an->cache_slots, sizeof *an->cache);
    an->stemmer = sb_stemmer_new("english", NULL);
    if (!an->cache || !an->stemmer) {
        ref_analyzer_free(an);
        return AS_ENOMEM;
    }
    *out = an;
    return AS_OK;
}

static void ref_analyzer_free(ref_analyzer *an)
{
    if (!an)
        return;
    if (an->stemmer)
        sb_stemmer_delete(an->stemmer);
    free(an->toks);
    free(an->toff);
    free(an->arena);
    free(an->cache);
    free(an);
}

static int ref_analyze(ref_analyzer *an, const char *text, size_t len,
               const as_token **toks, size_t *ntoks)
{
    *toks = NULL;
    *ntoks = 0;
    an->ntoks = 0;
    an->alen = 0;
    if (len == 0)
        return AS_OK;
    if (!text)
        return AS_EINVAL;
    if (len > UINT32_MAX) /* spans and positions are 32-bit */
        return AS_ELIMIT;
    const unsigned char *t = (const unsigned char *)text;
    size_t i = 0;
    uint32_t pos = 0;
    int rc;
    while (i < len) {
        unsigned c = t[i];
        if (c < 0x80) { /* fast skip of ASCII separators */
            int cls = ascii_class[c];
            if (cls != AS_CH_LETTER && cls != AS_CH_DIGIT) {
                i++;
                continue;
            }
        } else {
            size_t clen, flen;
            char f[4];
            if (!is_wordch(readch(t, len, i, &clen, f, &flen))) {
                i += clen;
                continue;
            }
        }
        size_t fl = 0;
        size_t np = scan_compound(an, t, len, &i, &fl);
        if ((rc = emit_compound(an, np, fl, pos))) {
            an->ntoks = 0;
            return rc;
        }
        pos += (uint32_t)np;
    }
    for (size_t k = 0; k < an->ntoks; k++)
        an->toks[k].term = an->arena + an->toff[k];
    *toks = an->toks;
    *ntoks = an->ntoks;
    return AS_OK;
}

static int ref_analyze_word(ref_analyzer *an, const char *word, size_t len,
                    const char **term, size_t *tlen)
{
    *term = an->word;
    *tlen = 0;
    if (len == 0)
        return AS_OK;
    if (!word)
        return AS_EINVAL;
    if (len > UINT32_MAX)
        return AS_ELIMIT;
    /* Every word character of the input, as one word: "co-production" gives
     * the joined compound's term, "SARs" the acronym's ordinary term. */
    const unsigned char *t = (const unsigned char *)word;
    size_t i = 0, fl = 0;
    int digit = 0, over = 0;
    while (i < len) {
        size_t clen, flen;
        char f[4];
        if (!is_wordch(readch(t, len, i, &clen, f, &flen))) {
            i += clen;
            continue;
        }
        size_t np = scan_compound(an, t, len, &i, &fl);
        for (size_t k = 0; k < np; k++) {
            digit |= an->parts[k].digit;
            over |= an->parts[k].over;
        }
    }
    if (fl > PART_MAX)
        over = 1;
    const char *r;
    size_t rn;
    int rc = word_term(an, an->fold, fl, !digit && !over, &r, &rn);
    if (rc)
        return rc;
    memcpy(an->word, r, rn);
    *tlen = rn;
    return AS_OK;
}

/* ---- The comparison ----------------------------------------------------- */

/* Renders tokens; returns a malloc'd string. */
static char *render(const as_token *t, size_t n)
{
    size_t cap = 64 + n * (AS_TERM_MAX + 64), len = 0;
    char *s = malloc(cap);
    assert_non_null(s);
    s[0] = '\0';
    for (size_t i = 0; i < n; i++) {
        len += (size_t)snprintf(s + len, cap - len, "%s[", i ? " " : "");
        memcpy(s + len, t[i].term, t[i].len);
        len += t[i].len;
        len += (size_t)snprintf(s + len, cap - len, "]@%u:%u-%u:%u", t[i].pos,
                                t[i].start, t[i].end, t[i].flags);
    }
    return s;
}

typedef struct pair {
    as_analyzer *an;
    ref_analyzer *ref;
    size_t checked, tokens;
} pair;

static void same(pair *p, const char *text, size_t len)
{
    const as_token *t1, *t2;
    size_t n1, n2;
    int rc1 = as_analyze(p->an, text, len, &t1, &n1);
    int rc2 = ref_analyze(p->ref, text, len, &t2, &n2);
    assert_int_equal(rc1, rc2);
    char *s1 = render(t1, n1), *s2 = render(t2, n2);
    if (strcmp(s1, s2) != 0) {
        fprintf(stderr, "input (%zu bytes):", len);
        for (size_t i = 0; i < len; i++)
            fprintf(stderr, " %02x", (unsigned char)text[i]);
        fprintf(stderr, "\nfast: %s\nref:  %s\n", s1, s2);
    }
    assert_string_equal(s1, s2);
    assert_int_equal(n1, n2);
    free(s1);
    free(s2);
    const char *w1, *w2;
    size_t l1, l2;
    assert_int_equal(as_analyze_word(p->an, text, len, &w1, &l1),
                     ref_analyze_word(p->ref, text, len, &w2, &l2));
    assert_int_equal(l1, l2);
    assert_memory_equal(w1, w2, l1);
    p->checked++;
    p->tokens += n1;
}

static uint64_t rnd(uint64_t *s)
{
    /* xorshift64*: a fixed sequence, so a failure reproduces */
    *s ^= *s >> 12;
    *s ^= *s << 25;
    *s ^= *s >> 27;
    return *s * 2685821657736338717u;
}

/* Pieces the hostile texts are made of. */
static const char *const pieces[] = {
    "a", "b", "s", "S", "e", "x", "A", "B", "T", "E", "C", "O", "L", "G",
    "care", "Care", "CARE", "SARs", "DoLS", "TEC", "PhD", "DfE", "LGSCO",
    "providers", "Commissioners", "carefully", "universities", "personal",
    "co", "production", "well", "being", "staff", "people", "it", "O", "Neill",
    "0", "1", "2", "9", "68", "42", "2022", "23", "000", "1000", "12", "345",
    "'", "'s", "'S", "\xE2\x80\x99", "\xE2\x80\x99s", "\xE2\x80\x98", "\xCA\xBC",
    "\xE2\x80\x9B", "-", "--", "\xE2\x80\x90", "\xE2\x80\x91", "\xE2\x80\x93",
    "\xE2\x80\x94", ".", ",", "/", " ", " ", " ", "  ", "\t", "\n", "(", ")",
    "%", "\xC2\xA3", "\xC2\xAD", "\xCC\x81", "\xE2\x80\x8D", "\xE2\x80\x8C",
    "\xE2\x81\xA0", "\xEF\xB8\x8F", "\xEF\xBB\xBF", "\xC3\x9F", "\xC3\x89",
    "\xC3\xA9", "\xC3\x86", "\xC4\xB3", "\xEF\xBC\x91", "\xEF\xBC\xA1",
    "\xEF\xBD\x82", "\xCE\x91", "\xD0\x96", "\xE4\xB8\xAD", "\xF0\x9F\x98\x80",
    "\xC3", "\x80", "\xFF", "\xE2\x80", "\xED\xA0\x80", "\xC0\xAF",
    "\xF4\x90\x80\x80", "", "\xC3\x97",
};
#define NPIECES (sizeof pieces / sizeof pieces[0])

/* One hostile text in buf (at most cap bytes); returns its length. */
static size_t gen(uint64_t *s, char *buf, size_t cap)
{
    size_t n = 0, mode = rnd(s) % 8;
    size_t target = rnd(s) % (mode == 7 ? 3000 : 200);
    while (n < target) {
        const char *pc;
        char one[2] = {0, 0};
        size_t pl = 1;
        pc = one;
        switch (mode) {
        case 0: /* random bytes */
            one[0] = (char)(rnd(s) & 0xFF);
            break;
        case 1: /* random ASCII */
            one[0] = (char)(rnd(s) & 0x7F);
            break;
        case 2: /* digits and number separators */
            one[0] = "0123456789.,/,.-'s 0123456789"[rnd(s) % 29];
            break;
        case 3: /* letters, capitals, apostrophes and hyphens anywhere */
            one[0] = "aAsSbBZz-sS' XYZ-"[rnd(s) % 17];
            break;
        default: /* pieces ("" is a NUL byte); 6, 7: also long runs */
            pc = pieces[rnd(s) % NPIECES];
            pl = strlen(pc);
            if (pl == 0) {
                pc = one;
                pl = 1;
            }
            if (mode >= 6 && rnd(s) % 16 == 0) {
                size_t run = 1 + rnd(s) % 300;
                char c = "aZ9s-"[rnd(s) % 5];
                for (size_t k = 0; k < run && n < cap; k++)
                    buf[n++] = (c == '-' && k % 2 == 0) ? 'a' : c;
            }
            break;
        }
        for (size_t k = 0; k < pl && n < cap; k++)
            buf[n++] = pc[k];
        if (n >= cap)
            break;
    }
    return n;
}

static void test_random(void **state)
{
    (void)state;
    pair p = {0};
    assert_int_equal(as_analyzer_new(&p.an), AS_OK);
    assert_int_equal(ref_analyzer_new(&p.ref), AS_OK);
    static char buf[8192];
    uint64_t s = 0x9E3779B97F4A7C15u;
    for (int r = 0; r < 30000; r++) {
        size_t n = gen(&s, buf, sizeof buf);
        /* In a buffer of exactly n bytes, so ASan sees any read past it. */
        char *text = malloc(n ? n : 1);
        assert_non_null(text);
        memcpy(text, buf, n);
        same(&p, text, n);
        free(text);
    }
    assert_int_equal(p.checked, 30000);
    assert_true(p.tokens > 300000); /* the inputs did contain words */
    as_analyzer_free(p.an);
    ref_analyzer_free(p.ref);
}

/* Cases at the edges of the fast loop and the cache key. */
static void test_edges(void **state)
{
    (void)state;
    pair p = {0};
    assert_int_equal(as_analyzer_new(&p.an), AS_OK);
    assert_int_equal(ref_analyzer_new(&p.ref), AS_OK);
    static const char *const cases[] = {
        "a", "A", "9", "as", "AS", "SARs", "ABs", "Abs", "aBs", "XYZs", "XYZS",
        "ABCDEFs", "ABCDEFGs", "ABCDEF", "ABCDEFG", "1,000", "1,0000", "1,00",
        "12,345,678", "68.42%", "2022/23", "3.2.1", "3..2", "a.1", "1.a",
        "staff's", "staff'S", "staff'st", "it's", "'s", "s'", "don't", "O'Neill",
        "carers'", "people\xE2\x80\x99s", "co-production", "co--production",
        "-a-", "a-", "-a", "a-b-c-d-e-f-g-h-i-j-k-l-m-n-o-p-q-r-s-t",
        "well\xE2\x80\x93" "being", "well\xE2\x80\x94" "being", "Caf\xC3\xA9",
        "na\xC3\xAFve", "stra\xC3\x9F" "e", "x\xC2\xAD" "y", "x\xCC\x81y",
        "commission", "commissioners", "Providers", "UNIVERSITY", "personal-care",
        "car-s", "s-car", "\xEF\xBC\x91" "2", "1\xEF\xBC\x92", "A\xEF\xBC\xA1",
    };
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++)
        same(&p, cases[k], strlen(cases[k]));
    /* Words of every length around the cache key (22), the 16-byte copy,
     * PART_MAX (128) and AS_TERM_MAX (64), in each case and with digits,
     * alone and followed by a possessive, a number separator and a hyphen. */
    char w[620];
    static const char *const after[] = {"", "'s", ".5", "-x", " y"};
    for (size_t n = 1; n < 600; n++) {
        for (int v = 0; v < 4; v++) {
            for (size_t i = 0; i < n; i++)
                w[i] = v == 0 ? (char)('a' + (i * 7) % 26)
                     : v == 1 ? (char)('A' + (i * 5) % 26)
                     : v == 2 ? (char)(i % 3 ? 'a' + i % 26 : '0' + i % 10)
                              : (char)(i % 2 ? 's' : 'S');
            for (size_t a = 0; a < sizeof after / sizeof after[0]; a++) {
                size_t al = strlen(after[a]);
                memcpy(w + n, after[a], al);
                same(&p, w, n + al);
            }
        }
    }
    /* 16 parts of 150 letters: longer than the fold buffer (2048). */
    char big[16 * 151];
    size_t bl = 0;
    for (int k = 0; k < 16; k++) {
        for (int i = 0; i < 150; i++)
            big[bl++] = (char)('a' + (k + i) % 26);
        big[bl++] = '-';
    }
    same(&p, big, bl - 1);
    big[5] = (char)0xC3; /* with a 2-byte letter inside */
    big[6] = (char)0x9F;
    same(&p, big, bl - 1);
    big[2000] = (char)0xC3; /* and one where the fold buffer is full */
    big[2001] = (char)0x9F;
    same(&p, big, bl - 1);
    as_analyzer_free(p.an);
    ref_analyzer_free(p.ref);
}

/* Many more distinct words than cache slots (16384), of every cacheable
 * length, drawn with a skew so some recur: hits, evictions from both
 * slots of a pair and the growth of the table all happen. */
static void test_cache(void **state)
{
    (void)state;
    pair p = {0};
    assert_int_equal(as_analyzer_new(&p.an), AS_OK);
    assert_int_equal(ref_analyzer_new(&p.ref), AS_OK);
    enum { NW = 60000 };
    static char vocab[NW][24];
    uint64_t s = 12345;
    for (size_t k = 0; k < NW; k++) {
        size_t n = 1 + rnd(&s) % 24; /* 23, 24: longer than the key */
        for (size_t i = 0; i < n; i++)
            vocab[k][i] = "etaoinshrdlucmfwypvbgkqjxzETAS"[rnd(&s) % 30];
        vocab[k][n < 24 ? n : 23] = '\0';
    }
    char text[24 * 40];
    for (int r = 0; r < 8000; r++) {
        size_t tl = 0;
        for (int k = 0; k < 30; k++) {
            uint64_t x = rnd(&s);
            size_t id = x % 4 ? (x >> 8) % 2000 : (x >> 8) % NW;
            size_t n = strlen(vocab[id]);
            memcpy(text + tl, vocab[id], n);
            tl += n;
            text[tl++] = k % 7 == 6 ? '-' : ' ';
        }
        same(&p, text, tl);
    }
    as_analyzer_free(p.an);
    ref_analyzer_free(p.ref);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_edges),
        cmocka_unit_test(test_random),
        cmocka_unit_test(test_cache),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
