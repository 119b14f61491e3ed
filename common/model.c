/*
 * model.c — the CQC domain model: status messages, quality statements,
 * themes, score labels, sentence kinds, dates.
 */
#include "as.h"

#define AS_NONE_COUNCIL UINT32_MAX

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int as_err_set(as_err *err, int code, const char *fmt, ...)
{
    if (err) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err->msg, sizeof err->msg, fmt, ap);
        va_end(ap);
        err->code = code;
    }
    return code;
}

const char *as_strerror(int code)
{
    switch (code) {
    case AS_OK: return "ok";
    case AS_ENOMEM: return "out of memory";
    case AS_EIO: return "input/output error";
    case AS_ECORRUPT: return "corrupt index";
    case AS_EFORMAT: return "index of another format";
    case AS_ESYNTAX: return "query syntax error";
    case AS_ENOTFOUND: return "not found";
    case AS_ESKIP: return "skipped";
    case AS_EINVAL: return "invalid argument";
    case AS_ELOCKED: return "index locked";
    case AS_ELIMIT: return "limit exceeded";
    case AS_EREMOTE: return "remote error";
    }
    return "unknown error";
}

static const char *const kinds[AS_NKINDS] = {
    "finding", "commitment", "expectation", "heading"
};

const char *as_kind_name(int kind)
{
    return kind >= 0 && kind < AS_NKINDS ? kinds[kind] : NULL;
}

int as_kind_parse(const char *s, size_t len)
{
    for (int k = 0; k < AS_NKINDS; k++)
        if (strlen(kinds[k]) == len && strncasecmp(kinds[k], s, len) == 0)
            return k;
    /* plural forms are accepted as a courtesy: kind:findings */
    for (int k = 0; k < AS_NKINDS; k++)
        if (strlen(kinds[k]) + 1 == len && strncasecmp(kinds[k], s, len - 1) == 0
            && (s[len - 1] == 's' || s[len - 1] == 'S'))
            return k;
    return -1;
}

/* The nine quality statements of the CQC assessment framework for local
 * authorities, in the framework's order, with their theme. */
static const struct {
    const char *name;
    int theme;
} statements[AS_NSTATEMENTS + 1] = {
    {NULL, 0},
    {"Assessing needs", 1},
    {"Supporting people to live healthier lives", 1},
    {"Equity in experiences and outcomes", 1},
    {"Care provision, integration and continuity", 2},
    {"Partnerships and communities", 2},
    {"Safe pathways, systems and transitions", 3},
    {"Safeguarding", 3},
    {"Governance, management and sustainability", 4},
    {"Learning, improvement and innovation", 4},
};

static const char *const themes[5] = {
    NULL, "How the local authority works with people",
    "Providing support", "How the local authority ensures safety within the system",
    "Leadership"
};

const char *as_statement_name(int s)
{
    return s >= 1 && s <= AS_NSTATEMENTS ? statements[s].name : NULL;
}

int as_statement_theme(int s)
{
    return s >= 1 && s <= AS_NSTATEMENTS ? statements[s].theme : 0;
}

const char *as_theme_name(int t)
{
    return t >= 1 && t <= 4 ? themes[t] : NULL;
}

/* Case-insensitive substring search in a length-bounded string. */
static int has(const char *s, size_t len, const char *word)
{
    size_t wl = strlen(word);
    for (size_t i = 0; i + wl <= len; i++)
        if (strncasecmp(s + i, word, wl) == 0)
            return 1;
    return 0;
}

/* Keywords, not exact strings: headings vary ("Supporting people to lead
 * healthier lives", "Safe systems, pathways and transitions", "Learning,
 * improvement and innovation:").  Order matters: "safeguarding" before
 * "safe", "care provision" before anything with "care". */
int as_statement_match(const char *s, size_t len)
{
    /* A bare number 1..9 (after trimming). */
    size_t a = 0, b = len;
    while (a < b && isspace((unsigned char)s[a])) a++;
    while (b > a && isspace((unsigned char)s[b - 1])) b--;
    if (b - a == 1 && s[a] >= '1' && s[a] <= '9')
        return s[a] - '0';
    s += a;
    len = b - a;
    if (len == 0 || len > 200)
        return 0;
    if (has(s, len, "assessing need")) return 1;
    if (has(s, len, "healthier lives") || has(s, len, "healthier live")) return 2;
    if (has(s, len, "equity")) return 3;
    if (has(s, len, "care provision") || has(s, len, "integration and continuity")) return 4;
    if (has(s, len, "partnerships and communit")) return 5;
    if (has(s, len, "safe pathways") || has(s, len, "safe systems")
        || (has(s, len, "pathways") && has(s, len, "transitions"))) return 6;
    if (has(s, len, "safeguarding")) return 7;
    if (has(s, len, "governance")) return 8;
    if (has(s, len, "learning, improvement") || has(s, len, "learning improvement")
        || (has(s, len, "improvement") && has(s, len, "innovation"))) return 9;
    return 0;
}

static const char *const score_labels[5] = {
    NULL,
    "Evidence shows significant shortfalls",
    "Evidence shows some shortfalls",
    "Evidence shows a good standard",
    "Evidence shows an exceptional standard",
};

const char *as_score_label(int score)
{
    return score >= 1 && score <= 4 ? score_labels[score] : NULL;
}

void as_date_iso(uint32_t ymd, char buf[11])
{
    if (ymd == 0) {
        buf[0] = '\0';
        return;
    }
    snprintf(buf, 11, "%04u-%02u-%02u", (unsigned)(ymd / 10000) % 10000,
             (unsigned)(ymd / 100 % 100), (unsigned)(ymd % 100));
}

/* Byte -> its folded form in a normalized council name, 0 for a
 * separator: 'A'..'Z' lowered, 'a'..'z' '0'..'9' and bytes >= 0x80 kept.
 * A table, because a search's first council filter normalizes every
 * council's name (~150 at 100k sentences): the tests per byte were ~20
 * instructions a byte, most of that filter's first search. */
#define CN_LOW16(b) (b), (b) + 1, (b) + 2, (b) + 3, (b) + 4, (b) + 5, (b) + 6, (b) + 7, \
                    (b) + 8, (b) + 9, (b) + 10, (b) + 11, (b) + 12, (b) + 13, (b) + 14, (b) + 15
static const unsigned char council_fold[256] = {
    ['0'] = '0', ['1'] = '1', ['2'] = '2', ['3'] = '3', ['4'] = '4',
    ['5'] = '5', ['6'] = '6', ['7'] = '7', ['8'] = '8', ['9'] = '9',
    ['A'] = 'a', ['B'] = 'b', ['C'] = 'c', ['D'] = 'd', ['E'] = 'e', ['F'] = 'f', ['G'] = 'g',
    ['H'] = 'h', ['I'] = 'i', ['J'] = 'j', ['K'] = 'k', ['L'] = 'l', ['M'] = 'm', ['N'] = 'n',
    ['O'] = 'o', ['P'] = 'p', ['Q'] = 'q', ['R'] = 'r', ['S'] = 's', ['T'] = 't', ['U'] = 'u',
    ['V'] = 'v', ['W'] = 'w', ['X'] = 'x', ['Y'] = 'y', ['Z'] = 'z',
    ['a'] = 'a', ['b'] = 'b', ['c'] = 'c', ['d'] = 'd', ['e'] = 'e', ['f'] = 'f', ['g'] = 'g',
    ['h'] = 'h', ['i'] = 'i', ['j'] = 'j', ['k'] = 'k', ['l'] = 'l', ['m'] = 'm', ['n'] = 'n',
    ['o'] = 'o', ['p'] = 'p', ['q'] = 'q', ['r'] = 'r', ['s'] = 's', ['t'] = 't', ['u'] = 'u',
    ['v'] = 'v', ['w'] = 'w', ['x'] = 'x', ['y'] = 'y', ['z'] = 'z',
    [0x80] = CN_LOW16(0x80), CN_LOW16(0x90), CN_LOW16(0xa0), CN_LOW16(0xb0),
    CN_LOW16(0xc0), CN_LOW16(0xd0), CN_LOW16(0xe0), CN_LOW16(0xf0),
};
#undef CN_LOW16

size_t as_council_normalize_to(const char *s, size_t len, char *out)
{
    size_t n = 0;
    int space = 0;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = council_fold[(unsigned char)s[i]];
        if (!c) {
            space = 1;
            continue;
        }
        if (space && n > 0)
            out[n++] = ' ';
        space = 0;
        out[n++] = (char)c;
    }
    out[n] = '\0';
    return n;
}

char *as_council_normalize(const char *s, size_t len)
{
    char *o = malloc(len + 1);
    if (o)
        as_council_normalize_to(s, len, o);
    return o;
}

int as_council_resolve(char *const *norm, uint32_t n,
                       const char *(*name)(void *ctx, uint32_t c), void *ctx,
                       const char *typed, uint32_t *id, as_err *err)
{
    char *q = as_council_normalize(typed, strlen(typed));
    if (!q)
        return as_err_set(err, AS_ENOMEM, "out of memory");
    if (!*q) {
        free(q);
        return as_err_set(err, AS_EINVAL, "empty council name '%s'", typed);
    }
    uint32_t found = AS_NONE_COUNCIL, nfound = 0;
    for (uint32_t c = 0; c < n; c++) {
        if (strcmp(norm[c], q) == 0) { /* an exact match wins */
            found = c;
            nfound = 1;
            break;
        }
        if (strstr(norm[c], q)) {
            if (nfound == 0)
                found = c;
            nfound++;
        }
    }
    if (nfound == 0) {
        free(q);
        return as_err_set(err, AS_ENOTFOUND, "no council matches '%s'", typed);
    }
    if (nfound > 1) {
        /* List the candidates so the user can pick. */
        char msg[sizeof err->msg];
        int len = snprintf(msg, sizeof msg, "council '%s' is ambiguous:", typed);
        uint32_t listed = 0;
        for (uint32_t c = 0; c < n && len > 0 && (size_t)len < sizeof msg; c++) {
            if (!strstr(norm[c], q))
                continue;
            if (listed == 8) {
                len += snprintf(msg + len, sizeof msg - (size_t)len, " ... (%u in all)", nfound);
                break;
            }
            len += snprintf(msg + len, sizeof msg - (size_t)len, "%s %s", listed ? "," : "",
                            name(ctx, c));
            listed++;
        }
        free(q);
        return as_err_set(err, AS_EINVAL, "%s", msg);
    }
    free(q);
    *id = found;
    return AS_OK;
}
