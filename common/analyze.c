/*
 * analyze.c — the analyzer: UTF-8 text to index terms (Snowball stems,
 * compounds, acronyms).  The contract is in analyze.h; the decisions it
 * leaves open are taken here:
 *
 * Words.  A word is a run of letters and digits (utf8.c decides what is a
 * letter).  Case is folded and diacritics are stripped (utf8.c: "Café" ->
 * "cafe").  Invalid UTF-8 bytes, NUL and every other character separate
 * words.  Soft hyphens, combining marks and zero-width joiners inside a word
 * are dropped without splitting it.
 *
 * Apostrophes (' and the curly ’ ‘ ʼ).  A trailing possessive 's is
 * stripped, its bytes still part of the word's span ("people’s" -> "peopl",
 * "staff's" -> "staff", "it's" -> "it").  An apostrophe between two word
 * characters is otherwise dropped and the word goes on ("don't" -> "dont",
 * "O'Neill" -> "oneill"), so the spelling with and without it meet.  A
 * leading or trailing apostrophe is a quote mark ("carers'" -> "carer").
 *
 * Numbers.  Inside a word, '.' and '/' between two ASCII digits are kept
 * ("68.42%" -> "68.42", "2022/23", "17/11/2023", "3.2.1"), and a ',' between
 * digits that is followed by exactly three digits is a thousands separator
 * and is dropped ("1,000" -> "1000", "12,345,678" -> "12345678").  Letters
 * glued to a number stay with it ("£1.5m" -> "1.5m", "10th").  A word that
 * contains a digit is never stemmed; one that starts with a digit is flagged
 * AS_TOK_NUMBER.
 *
 * Compounds.  Words joined by '-', U+2010, U+2011 or an en dash (folded to
 * '-') with no space on either side form a compound of up to MAX_PARTS
 * parts (a longer chain is cut there and goes on as a new word).  Each part
 * is a term of its own at consecutive positions (AS_TOK_PART) and the joined
 * spelling ("coproduction" -> "coproduct") is a term at the first part's
 * position (AS_TOK_JOINED), spanning the whole compound, unless it is the
 * same term as the first part.  An em dash, or a dash with spaces, is
 * punctuation.
 *
 * Acronyms.  A word (or part) of ASCII letters only is an acronym when,
 * after dropping a plural lower-case "s" that follows a capital ("SARs"),
 * it has at least two capitals, more capitals than lower-case letters, and
 * at most ACRO_MAX (6) letters: TEC, SARs, DoLS, LGSCO, ADASS, NHS, OT, PhD,
 * DfE.  The length limit keeps capitalised headings ("MEASUREMENT OF
 * DIELECTRIC CONSTANT") from filling the index with ^terms; their short
 * words (OF) still get one, which is harmless: a ^term only matters when a
 * query writes the word in capitals too.  An acronym gets its ordinary term
 * (the stem of the lower-cased word: "SARs" -> "sar", "DoLS" -> "dol") and,
 * after it at the same position, "^" + the lower-case singular ("^sar",
 * "^dols"), flagged AS_TOK_ACRONYM (| AS_TOK_PART inside a compound).
 *
 * Terms.  A word whose folded form is longer than PART_MAX bytes is not
 * stemmed; every term is cut to AS_TERM_MAX bytes at a character boundary.
 *
 * Speed.  Stemming dominates, so a small two-way cache of recent
 * (word -> term) pairs per analyzer skips libstemmer for repeated words
 * (a word hashes to a pair of slots; a new one goes first and pushes the
 * pair's first to second: half the misses of one slot per word).
 * The cache only remembers a pure function of the word, so results never
 * depend on what was analyzed before.  It starts small and grows (emptied)
 * when misses outnumber its slots CACHE_GROW times: indexing soon has the
 * full size, while a search, which stems a few hundred words, does not
 * touch (page-fault) most of a 768 KiB table it would never fill.
 * Words are read by a tight loop over ASCII letters and digits (scan_part)
 * that falls back to the per-character reader for anything else; cache keys
 * are the word as three 8-byte words (one multiply to hash, three compares
 * to check); short terms are copied as 16 fixed bytes.  None of it changes
 * a term: tests/unit/test_analyze_fast.c compares every token with the
 * per-character analyzer on hostile input.
 */
#include "analyze.h"
#include "termhash.h"
#include "utf8.h"

#include <libstemmer.h>
#include <stdlib.h>
#include <string.h>

/* For the few helpers on the per-word path whose call costs more than
 * their body on a cache hit (measured with callgrind). */
#if defined(__GNUC__)
#define HOT_INLINE inline __attribute__((always_inline))
#else
#define HOT_INLINE inline
#endif

#define PART_MAX 128  /* folded bytes kept per part; longer parts are not stemmed */
#define MAX_PARTS 16  /* parts in one compound */
#define ACRO_MAX 6    /* letters in an acronym (singular) */
#define FOLD_CAP (MAX_PARTS * PART_MAX)

#define CACHE_SLOTS 16384 /* power of two; ~94% hits on the Vaswani abstracts */
#define CACHE_SLOTS0 256  /* the first size */
#define CACHE_GROW 4
#define CACHE_KEY 22 /* longest word cached; its key is compared as three words */
#define CACHE_VAL 22

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
    uint64_t key[3];          /* the word's bytes, zero after klen */
    unsigned char klen, vlen; /* klen 0: empty */
    char val[CACHE_VAL];      /* zero after vlen: its first 8 bytes are the head */
    uint32_t hash;            /* as_term_hash of val */
} cache_slot;

struct as_analyzer {
    struct sb_stemmer *stemmer;
    as_token *toks;
    uint32_t *toff; /* term offsets into arena, until the pointers are set */
    size_t ntoks, tcap;
    char *arena;
    size_t alen, acap;
    part parts[MAX_PARTS];
    char fold[FOLD_CAP + 32];   /* + 32: word_term reads 24 bytes of any word */
    char word[AS_TERM_MAX + 8]; /* as_analyze_word's result */
    char stem[AS_TERM_MAX + 16]; /* a stem not from the cache (see push) */
    cache_slot *cache;
    size_t cache_slots;         /* power of two, CACHE_SLOTS0..CACHE_SLOTS */
    size_t cache_misses;        /* since the last growth */
    uint32_t mhash;             /* word_term_miss's term's hash and head */
    uint64_t mhead;
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

/* ASCII letters and digits, the bytes the fast loop of scan_part takes
 * without decoding, as what each adds to its counters: capitals 1 << 0,
 * lower-case letters 1 << 10, digits 1 << 20; 0 for any other byte (left to
 * the general path, which reads it with readch).  A part stores at most
 * PART_MAX (128) bytes, so no field carries into the next.  Every weight
 * also has W_IS (bit 31), so four bytes are all word bytes when the AND of
 * their weights has it; in the sum it only ever carries out of the word. */
#define W_IS (1u << 31)
#define W_UP (W_IS | 1u)
#define W_LO (W_IS | 1u << 10)
#define W_DIG (W_IS | 1u << 20)
#define W_FIELD 1023u
static const uint32_t ascii_word[256] = {
    ['0'] = W_DIG, ['1'] = W_DIG, ['2'] = W_DIG, ['3'] = W_DIG, ['4'] = W_DIG,
    ['5'] = W_DIG, ['6'] = W_DIG, ['7'] = W_DIG, ['8'] = W_DIG, ['9'] = W_DIG,
    ['A'] = W_UP, ['B'] = W_UP, ['C'] = W_UP, ['D'] = W_UP, ['E'] = W_UP,
    ['F'] = W_UP, ['G'] = W_UP, ['H'] = W_UP, ['I'] = W_UP, ['J'] = W_UP,
    ['K'] = W_UP, ['L'] = W_UP, ['M'] = W_UP, ['N'] = W_UP, ['O'] = W_UP,
    ['P'] = W_UP, ['Q'] = W_UP, ['R'] = W_UP, ['S'] = W_UP, ['T'] = W_UP,
    ['U'] = W_UP, ['V'] = W_UP, ['W'] = W_UP, ['X'] = W_UP, ['Y'] = W_UP,
    ['Z'] = W_UP,
    ['a'] = W_LO, ['b'] = W_LO, ['c'] = W_LO, ['d'] = W_LO, ['e'] = W_LO,
    ['f'] = W_LO, ['g'] = W_LO, ['h'] = W_LO, ['i'] = W_LO, ['j'] = W_LO,
    ['k'] = W_LO, ['l'] = W_LO, ['m'] = W_LO, ['n'] = W_LO, ['o'] = W_LO,
    ['p'] = W_LO, ['q'] = W_LO, ['r'] = W_LO, ['s'] = W_LO, ['t'] = W_LO,
    ['u'] = W_LO, ['v'] = W_LO, ['w'] = W_LO, ['x'] = W_LO, ['y'] = W_LO,
    ['z'] = W_LO,
};

/* The ASCII bytes other than letters and digits that may go on a word:
 * apostrophes and the number separators.  Any other ends it. */
static const unsigned char ascii_goes_on[128] = {
    ['\''] = 1, ['.'] = 1, ['/'] = 1, [','] = 1,
};

/* Whether the character at t[i] (i < len) is a letter or digit: ASCII by
 * the table, anything else decoded. */
static inline int wordch_at(const unsigned char *t, size_t len, size_t i)
{
    if (t[i] < 0x80)
        return ascii_word[t[i]] != 0;
    size_t clen, flen;
    char f[4];
    return is_wordch(readch(t, len, i, &clen, f, &flen));
}

/* Reads one part starting at the word character t[*ip], appending its
 * folded form at an->fold[*fl].  Stops before anything that is not part of
 * the word (a hyphen included); consumes a possessive 's.
 * Speed: runs of ASCII letters and digits (nearly every byte of a word) go
 * through a tight loop on local state, one table lookup per byte; the
 * first other byte drops to the general path below, which reads one
 * character and applies every rule, then the fast loop resumes.  Both
 * paths update the same state the same way, so the part is the one the
 * general path alone would give (tests/unit/test_analyze_fast.c checks
 * this against the plain per-character reader). */
static HOT_INLINE void scan_part(as_analyzer *an, const unsigned char *t, size_t len,
                      size_t *ip, size_t *fl, part *p)
{
    size_t i = *ip, f = *fl;
    char *fold = an->fold;
    size_t start = i, end = i;
    uint32_t pflen = 0;
    unsigned nup = 0, nlo = 0, b0 = 0, b1 = 0;
    unsigned other = 0, digit = 0, over = 0;
    /* A part starts at a word character: a digit there makes it a number
     * (full-width digits do not: they are not ASCII). */
    unsigned digit_first = ascii_word[t[i]] == W_DIG;
    uint32_t acc = 0; /* the stored ASCII bytes' counts, as ascii_word */
    for (;;) {
        /* Fast: ASCII letters and digits, while they fit.  Folding is
         * c | 0x20 (capitals to lower case; lower case and digits have the
         * bit already). */
        size_t room = PART_MAX - pflen;
        if (FOLD_CAP - f < room)
            room = FOLD_CAP - f;
        size_t i0 = i, lim = len - i < room ? len : i + room;
        uint32_t w;
        while (lim - i >= 4) { /* four at a time: most words are longer */
            uint32_t w0 = ascii_word[t[i]], w1 = ascii_word[t[i + 1]];
            uint32_t w2 = ascii_word[t[i + 2]], w3 = ascii_word[t[i + 3]];
            if (!(w0 & w1 & w2 & w3 & W_IS))
                break;
            uint32_t x;
            memcpy(&x, t + i, 4);
            x |= 0x20202020u; /* per byte, in either byte order */
            memcpy(fold + f, &x, 4);
            acc += w0 + w1 + w2 + w3;
            i += 4;
            f += 4;
        }
        while (i < lim && (w = ascii_word[t[i]]) != 0) {
            fold[f++] = (char)(t[i] | 0x20);
            acc += w;
            i++;
        }
        pflen += (uint32_t)(i - i0);
        /* Those that do not fit: counted, not stored (rare: long words). */
        while (i < len && (w = ascii_word[t[i]]) != 0) {
            over = 1;
            nup += w == W_UP;
            nlo += w == W_LO;
            digit |= w == W_DIG;
            i++;
        }
        if (i > i0) {
            end = i;
            b1 = i - i0 >= 2 ? t[i - 2] : b0;
            b0 = t[i - 1];
        }
        if (i >= len)
            break;
        if (t[i] < 0x80 && !ascii_goes_on[t[i]])
            break; /* a space, a hyphen, other punctuation: the usual end */
        /* General: one character of any other kind. */
        size_t clen, flen;
        char fb[4];
        int cls = readch(t, len, i, &clen, fb, &flen);
        unsigned c = t[i];
        if (is_wordch(cls)) { /* not ASCII here: the fast loop took those */
            if (pflen + flen <= PART_MAX && f + flen <= FOLD_CAP) {
                memcpy(fold + f, fb, flen);
                f += flen;
                pflen += (uint32_t)flen;
            } else {
                over = 1;
            }
            if (cls == AS_CH_DIGIT)
                digit = 1;
            other = 1;
            b1 = b0;
            b0 = 0;
            i += clen;
            end = i;
            continue;
        }
        if (cls == AS_CH_IGNORE) {
            i += clen;
            continue;
        }
        if (cls == AS_CH_APOS) {
            size_t j = i + clen;
            if (j >= len || !wordch_at(t, len, j))
                break;
            if ((t[j] == 's' || t[j] == 'S') && (j + 1 >= len || !wordch_at(t, len, j + 1))) {
                i = j + 1; /* possessive: part of the span, not the term */
                end = i;
                break;
            }
            other = 1; /* in-word apostrophe: dropped */
            i = j;
            continue;
        }
        if ((c == '.' || c == '/' || c == ',') && is_digit(b0) && i + 1 < len
            && is_digit(t[i + 1])) {
            if (c == ',') {
                if (i + 3 < len && is_digit(t[i + 2]) && is_digit(t[i + 3])
                    && (i + 4 >= len || !is_digit(t[i + 4]))) {
                    i++;
                    continue;
                }
                break;
            }
            if (pflen + 1 <= PART_MAX && f + 1 <= FOLD_CAP) {
                fold[f++] = (char)c;
                pflen++;
            } else {
                over = 1;
            }
            other = 1;
            i++;
            continue;
        }
        break;
    }
    p->start = (uint32_t)start;
    p->end = (uint32_t)end;
    p->foff = (uint32_t)*fl;
    p->flen = pflen;
    p->nup = nup + (acc & W_FIELD);
    p->nlo = nlo + (acc >> 10 & W_FIELD);
    digit |= (acc >> 20 & W_FIELD) != 0;
    p->b0 = (unsigned char)b0;
    p->b1 = (unsigned char)b1;
    p->other = (unsigned char)other;
    p->digit = (unsigned char)digit;
    p->digit_first = (unsigned char)digit_first;
    p->over = (unsigned char)over;
    *fl = f;
    *ip = i;
}

/* Reads a compound (one or more parts) starting at the word character
 * t[*ip]; returns the number of parts. */
static HOT_INLINE size_t scan_compound(as_analyzer *an, const unsigned char *t, size_t len,
                            size_t *ip, size_t *fl)
{
    size_t np = 0, i = *ip;
    for (;;) {
        scan_part(an, t, len, &i, fl, &an->parts[np]);
        np++;
        if (np == MAX_PARTS || i >= len)
            break;
        size_t hlen;
        if (t[i] == '-') {
            hlen = 1;
        } else if (t[i] < 0x80) {
            break; /* the common end of a word: a space or punctuation */
        } else {
            size_t flen;
            char f[4];
            if (readch(t, len, i, &hlen, f, &flen) != AS_CH_HYPHEN)
                break;
        }
        if (i + hlen >= len || !wordch_at(t, len, i + hlen))
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

/* The first k (< 8) bytes, in memory order, of the 8 loaded into x. */
static inline uint64_t first_bytes(uint64_t x, size_t k)
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    return k ? x & ~(~(uint64_t)0 >> (8 * k)) : 0;
#else
    return x & (((uint64_t)1 << (8 * k)) - 1);
#endif
}

/* The cache key of w[0..n) (n <= CACHE_KEY): its bytes as three words,
 * zero after n.  Reads w[0..24), which every caller's buffer has (fold).
 * Whole-word loads and compares replace a byte-wise hash and memcmp. */
static inline void cache_key(const char *w, size_t n, uint64_t k[3])
{
    memcpy(k, w, 24);
    if (n < 8) {
        k[0] = first_bytes(k[0], n);
        k[1] = k[2] = 0;
    } else if (n < 16) {
        k[1] = first_bytes(k[1], n - 8);
        k[2] = 0;
    } else {
        k[2] = first_bytes(k[2], n - 16); /* n <= CACHE_KEY < 24 */
    }
}

static inline size_t cache_index(const uint64_t k[3], size_t n, size_t slots)
{
    uint64_t h = k[0] ^ (k[1] << 21 | k[1] >> 43) ^ (k[2] << 42 | k[2] >> 22) ^ n;
    h *= 0x9E3779B97F4A7C15u; /* multiplicative hashing: the top bits mix all */
    return (size_t)(h >> 40) & (slots - 2); /* a pair's first slot */
}

/* word_term's cache miss: the protected form or the Snowball stem, then
 * remembered in the pair of slots at slot (if any; key is the word's
 * cache_key).  Its hash goes to an->mhash and an->mhead, not through
 * pointers: word_term's callers then keep theirs in registers. */
static int word_term_miss(as_analyzer *an, const char *w, size_t n,
                          cache_slot *slot, const uint64_t key[3],
                          const char **out, size_t *olen)
{
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
    an->mhash = as_term_hash(r, rn, &an->mhead);
    if (slot && ++an->cache_misses > CACHE_GROW * an->cache_slots
        && an->cache_slots < CACHE_SLOTS) {
        /* A larger table, empty: a failed allocation keeps the old one. */
        size_t ns = an->cache_slots * 8 < CACHE_SLOTS ? an->cache_slots * 8 : CACHE_SLOTS;
        cache_slot *nc = calloc(ns, sizeof *nc);
        if (nc) {
            free(an->cache);
            an->cache = nc;
            an->cache_slots = ns;
            slot = &nc[cache_index(key, n, ns)];
        }
        an->cache_misses = 0;
    }
    if (slot && rn <= CACHE_VAL) {
        slot[1] = slot[0]; /* the pair keeps the two most recently stored */
        slot->klen = (unsigned char)n;
        memcpy(slot->key, key, sizeof slot->key);
        slot->vlen = (unsigned char)rn;
        memset(slot->val, 0, sizeof slot->val);
        memcpy(slot->val, r, rn);
        slot->hash = an->mhash;
    }
    /* Into our own buffer, which push may read 16 bytes of (see there). */
    memcpy(an->stem, r, rn);
    *out = an->stem;
    *olen = rn;
    return AS_OK;
}

/* The term for folded word w[0..n) (in an->fold): protected form or
 * Snowball stem when stem is set, else w itself; cut to AS_TERM_MAX; its
 * as_term_hash in *hash and *head (a cached stem's kept with it, so that
 * a repeated word is not hashed again).  The result has 16 readable bytes
 * from its start (for push): it is in the fold buffer, a cache slot's val
 * (22 bytes) or an->stem. */
static HOT_INLINE int word_term(as_analyzer *an, const char *w, size_t n, int stem,
                            const char **out, size_t *olen, uint32_t *hash, uint64_t *head)
{
    if (!stem || n == 0) {
        *out = w;
        *olen = cut_utf8(w, n);
        *hash = as_term_hash(w, *olen, head);
        return AS_OK;
    }
    cache_slot *slot = NULL;
    uint64_t key[3] = {0, 0, 0};
    if (n <= CACHE_KEY) {
        cache_key(w, n, key);
        slot = &an->cache[cache_index(key, n, an->cache_slots)];
        for (int k = 0; k < 2; k++) {
            const cache_slot *c = &slot[k];
            if (c->klen == n && c->key[0] == key[0] && c->key[1] == key[1]
                && c->key[2] == key[2]) {
                *out = c->val;
                *olen = c->vlen;
                *hash = c->hash;
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
                as_term_hash(c->val, c->vlen, head);
#else
                memcpy(head, c->val, 8); /* val is zero after vlen */
#endif
                return AS_OK;
            }
        }
    }
    int rc = word_term_miss(an, w, n, slot, key, out, olen);
    *hash = an->mhash;
    *head = an->mhead;
    return rc;
}

/* Appends a token.  term must have 16 readable bytes from its start
 * (word_term's results and emit_compound's acronym buffer do): a term of up
 * to 16 bytes, nearly all, is copied as 16 without a call to memcpy, into
 * an arena kept 16 bytes longer than its contents. */
static HOT_INLINE int push(as_analyzer *an, const char *term, size_t tlen, uint32_t hash,
                       uint64_t head, uint32_t pos, uint32_t start, uint32_t end,
                       uint32_t flags)
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
    if (an->alen + tlen + 16 > an->acap) {
        size_t nc = an->acap ? an->acap : 4096;
        while (nc < an->alen + tlen + 16)
            nc *= 2;
        char *na = realloc(an->arena, nc);
        if (!na)
            return AS_ENOMEM;
        an->arena = na;
        an->acap = nc;
    }
    if (tlen <= 16)
        memcpy(an->arena + an->alen, term, 16);
    else
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
    tk->hash = hash;
    tk->head = head;
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

static int emit_compound(as_analyzer *an, size_t np, size_t fl, uint32_t pos)
{
    int rc;
    const char *term;
    size_t tlen;
    uint32_t hash, kind = np > 1 ? AS_TOK_PART : AS_TOK_WORD;
    uint64_t head;
    for (size_t k = 0; k < np; k++) {
        const part *p = &an->parts[k];
        const char *w = an->fold + p->foff;
        if ((rc = word_term(an, w, p->flen, !p->digit && !p->over, &term, &tlen, &hash,
                            &head)))
            return rc;
        size_t first = an->ntoks;
        if ((rc = push(an, term, tlen, hash, head, pos + (uint32_t)k, p->start, p->end,
                       kind | (p->digit_first ? AS_TOK_NUMBER : 0))))
            return rc;
        size_t al = acro_len(p);
        if (al) {
            char a[16] = {0}; /* push reads 16 */
            a[0] = '^';
            memcpy(a + 1, w, al);
            hash = as_term_hash(a, al + 1, &head);
            if ((rc = push(an, a, al + 1, hash, head, pos + (uint32_t)k, p->start, p->end,
                           AS_TOK_ACRONYM | (kind & AS_TOK_PART))))
                return rc;
        }
        if (k == 0 && np > 1) {
            int digit = 0, over = fl > PART_MAX;
            for (size_t m = 0; m < np; m++) {
                digit |= an->parts[m].digit;
                over |= an->parts[m].over;
            }
            if ((rc = word_term(an, an->fold, fl, !digit && !over, &term, &tlen, &hash,
                                &head)))
                return rc;
            const as_token *t0 = &an->toks[first];
            if (tlen == t0->len && memcmp(term, an->arena + an->toff[first], tlen) == 0)
                continue; /* "car-s": joined term = first part's term */
            if ((rc = push(an, term, tlen, hash, head, pos, p->start, an->parts[np - 1].end,
                           AS_TOK_JOINED | (p->digit_first ? AS_TOK_NUMBER : 0))))
                return rc;
        }
    }
    return AS_OK;
}

int as_analyzer_new(as_analyzer **out)
{
    *out = NULL;
    as_analyzer *an = calloc(1, sizeof *an);
    if (!an)
        return AS_ENOMEM;
    an->cache_slots = CACHE_SLOTS0;
    an->cache = calloc(an->cache_slots, sizeof *an->cache);
    an->stemmer = sb_stemmer_new("english", NULL);
    if (!an->cache || !an->stemmer) {
        as_analyzer_free(an);
        return AS_ENOMEM;
    }
    *out = an;
    return AS_OK;
}

void as_analyzer_free(as_analyzer *an)
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

int as_analyze(as_analyzer *an, const char *text, size_t len,
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

int as_analyze_word(as_analyzer *an, const char *word, size_t len,
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
    uint32_t hash;
    uint64_t head;
    int rc = word_term(an, an->fold, fl, !digit && !over, &r, &rn, &hash, &head);
    if (rc)
        return rc;
    memcpy(an->word, r, rn);
    *tlen = rn;
    return AS_OK;
}
