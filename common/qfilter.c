/*
 * qfilter.c — the values of the query filters (statement: theme: score:
 * year: kind:; council: values are kept as typed by query.c), parsed the
 * same way whether they come from the query text or a command-line option.
 *
 * Values:
 *   statement:  1..9, or a keyword of the statement's name: anything
 *               as_statement_match() knows ("assessing needs", "live"),
 *               else a word start found in exactly one of the nine names
 *               ("learning" -> 9, "safeguarding" -> 7; "safe" is ambiguous)
 *   theme:      1..4, or a word start of exactly one theme's name or short
 *               name ("leadership", "support", "safety", "people")
 *   score:      N, =N, <N, <=N, >N, >=N, A..B, A.., ..B with N in 1..4
 *   year:       the same forms with four-digit years, of the published date
 *   kind:       finding, commitment, expectation, heading (or plural)
 * Repeating statement/theme/score/kind allows any of the values (the masks
 * are ORed); repeating year narrows the range, so year:>=2023 year:<=2024
 * reads as it would be said.
 */
#include "qfilter.h"
#include "qtree.h"

#include <ctype.h>
#include <limits.h>
#include <string.h>

static const char *const field_names[AS_NQFIELDS] = {
    "council", "statement", "theme", "score", "year", "kind"
};

int as_qfield_lookup(const char *name, size_t len)
{
    for (int f = 0; f < AS_NQFIELDS; f++)
        if (strlen(field_names[f]) == len && strncasecmp(field_names[f], name, len) == 0)
            return f;
    return -1;
}

const char *as_qfield_name(int field)
{
    return field >= 0 && field < AS_NQFIELDS ? field_names[field] : NULL;
}

/* A value as it may appear in a one-line message: at most 40 bytes, control
 * characters shown as '?', never cut inside a UTF-8 sequence. */
static void show(char out[48], const char *v, size_t n)
{
    size_t k = 0;
    if (n > 40) {
        n = 40;
        while (n > 0 && ((unsigned char)v[n] & 0xC0) == 0x80)
            n--;
    }
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)v[i];
        out[k++] = (c < 0x20 || c == 0x7f) ? '?' : (char)c;
    }
    out[k] = '\0';
}

/* Strict decimal: digits only, at most 9 of them. */
static int parse_num(const char *s, size_t n, long *v)
{
    if (n == 0 || n > 9)
        return -1;
    long x = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        x = x * 10 + (s[i] - '0');
    }
    *v = x;
    return 0;
}

/* Parses the comparison and range forms into [*lo, *hi] (LONG_MIN/LONG_MAX
 * when open).  check(v) says whether a number is acceptable.  Returns 0, or
 * -1 for a malformed value or a rejected number. */
static int parse_range(const char *v, size_t n, int (*check)(long), long *lo, long *hi)
{
    long a, b;
    *lo = LONG_MIN;
    *hi = LONG_MAX;
    const char *dots = NULL;
    for (size_t i = 0; i + 1 < n; i++)
        if (v[i] == '.' && v[i + 1] == '.') {
            dots = v + i;
            break;
        }
    if (dots) {
        size_t na = (size_t)(dots - v), nb = n - na - 2;
        if (na == 0 && nb == 0)
            return -1;
        if (na > 0) {
            if (parse_num(v, na, &a) || !check(a))
                return -1;
            *lo = a;
        }
        if (nb > 0) {
            if (parse_num(dots + 2, nb, &b) || !check(b))
                return -1;
            *hi = b;
        }
        return 0;
    }
    int op = 0; /* '<' '>' 'l' (<=) 'g' (>=) '=' */
    size_t skip = 0;
    if (n >= 2 && v[0] == '<' && v[1] == '=') op = 'l', skip = 2;
    else if (n >= 2 && v[0] == '>' && v[1] == '=') op = 'g', skip = 2;
    else if (n >= 1 && (v[0] == '<' || v[0] == '>' || v[0] == '=')) op = v[0], skip = 1;
    if (parse_num(v + skip, n - skip, &a) || !check(a))
        return -1;
    switch (op) {
    case '<': *hi = a - 1; break;
    case 'l': *hi = a; break;
    case '>': *lo = a + 1; break;
    case 'g': *lo = a; break;
    default: *lo = *hi = a; break;
    }
    return 0;
}

static int score_ok(long v) { return v >= 1 && v <= 4; }
static int year_ok(long v) { return v >= 1000 && v <= 9999; }

static int lower_eq(char a, char b)
{
    return tolower((unsigned char)a) == tolower((unsigned char)b);
}

/* Whether v[0..n) occurs in name at the start of a word (case-insensitive). */
static int word_start_in(const char *name, const char *v, size_t n)
{
    size_t ln = strlen(name);
    for (size_t i = 0; i + n <= ln; i++) {
        if (i > 0 && isalnum((unsigned char)name[i - 1]))
            continue;
        size_t k = 0;
        while (k < n && lower_eq(name[i + k], v[k]))
            k++;
        if (k == n)
            return 1;
    }
    return 0;
}

static int set_statement(as_filter *f, const char *v, size_t n, const char *shown, as_err *err)
{
    int s = as_statement_match(v, n);
    if (s == 0) {
        int found = 0, amb = 0;
        for (int i = 1; i <= AS_NSTATEMENTS; i++)
            if (word_start_in(as_statement_name(i), v, n)) {
                if (found)
                    amb = i;
                else
                    found = i;
            }
        if (amb)
            return as_err_set(err, AS_ESYNTAX,
                              "statement '%s' is ambiguous: %d (%s) or %d (%s)?",
                              shown, found, as_statement_name(found), amb,
                              as_statement_name(amb));
        s = found;
    }
    if (s < 1 || s > AS_NSTATEMENTS)
        return as_err_set(err, AS_ESYNTAX,
                          "unknown quality statement '%s': use 1 to 9 or a word of its name",
                          shown);
    f->statements |= (uint16_t)(1u << s);
    return AS_OK;
}

/* Theme names and the short names people use for them (DESIGN.md section 5). */
static const char *const theme_words[][3] = {
    {NULL, NULL, NULL},
    {"working with people", "works with people", NULL},
    {"providing support", NULL, NULL},
    {"ensuring safety", "ensures safety within the system", NULL},
    {"leadership", NULL, NULL},
};

static int set_theme(as_filter *f, const char *v, size_t n, const char *shown, as_err *err)
{
    long t = 0;
    if (parse_num(v, n, &t) == 0) {
        if (t < 1 || t > 4)
            t = 0;
    } else {
        int found = 0, amb = 0;
        for (int i = 1; i <= 4; i++) {
            int hit = word_start_in(as_theme_name(i), v, n);
            for (int k = 0; !hit && k < 3 && theme_words[i][k]; k++)
                hit = word_start_in(theme_words[i][k], v, n);
            if (hit) {
                if (found)
                    amb = i;
                else
                    found = i;
            }
        }
        if (amb)
            return as_err_set(err, AS_ESYNTAX, "theme '%s' is ambiguous: %d (%s) or %d (%s)?",
                              shown, found, as_theme_name(found), amb, as_theme_name(amb));
        t = found;
    }
    if (t == 0)
        return as_err_set(err, AS_ESYNTAX,
                          "unknown theme '%s': use 1 to 4 or a word of its name", shown);
    f->themes |= (uint8_t)(1u << t);
    return AS_OK;
}

static int set_score(as_filter *f, const char *v, size_t n, const char *shown, as_err *err)
{
    long lo, hi;
    if (parse_range(v, n, score_ok, &lo, &hi))
        return as_err_set(err, AS_ESYNTAX, "score must be 1 to 4, not '%s'", shown);
    if (lo < 1) lo = 1;
    if (hi > 4) hi = 4;
    if (lo > hi)
        return as_err_set(err, AS_ESYNTAX, "score:%s allows no score (scores are 1 to 4)",
                          shown);
    for (long s = lo; s <= hi; s++)
        f->scores |= (uint8_t)(1u << s);
    return AS_OK;
}

static int set_year(as_filter *f, const char *v, size_t n, const char *shown, as_err *err)
{
    long lo, hi;
    if (parse_range(v, n, year_ok, &lo, &hi))
        return as_err_set(err, AS_ESYNTAX, "year must be a four-digit year, not '%s'", shown);
    if (lo < 1000) lo = 0;     /* open */
    if (hi > 9999) hi = 0;
    if (lo && hi && lo > hi)
        return as_err_set(err, AS_ESYNTAX, "year:%s allows no year", shown);
    int ymin = f->year_min, ymax = f->year_max;
    if (lo && (ymin == 0 || lo > ymin)) ymin = (int)lo;
    if (hi && (ymax == 0 || hi < ymax)) ymax = (int)hi;
    if (ymin && ymax && ymin > ymax)
        return as_err_set(err, AS_ESYNTAX,
                          "year filters contradict each other: no year is both >= %d and <= %d",
                          ymin, ymax);
    f->year_min = ymin;
    f->year_max = ymax;
    return AS_OK;
}

int as_qfilter_set(as_filter *f, int field, const char *v, size_t vlen, as_err *err)
{
    while (vlen > 0 && isspace((unsigned char)v[0]))
        v++, vlen--;
    while (vlen > 0 && isspace((unsigned char)v[vlen - 1]))
        vlen--;
    const char *name = as_qfield_name(field);
    if (!name || field == AS_QFIELD_COUNCIL)
        return as_err_set(err, AS_EINVAL, "not a filter field");
    if (vlen == 0)
        return as_err_set(err, AS_ESYNTAX, "%s: needs a value", name);
    char shown[48];
    show(shown, v, vlen);
    switch (field) {
    case AS_QFIELD_STATEMENT: return set_statement(f, v, vlen, shown, err);
    case AS_QFIELD_THEME: return set_theme(f, v, vlen, shown, err);
    case AS_QFIELD_SCORE: return set_score(f, v, vlen, shown, err);
    case AS_QFIELD_YEAR: return set_year(f, v, vlen, shown, err);
    default: break;
    }
    int k = as_kind_parse(v, vlen);
    if (k < 0)
        return as_err_set(err, AS_ESYNTAX,
                          "unknown kind '%s': use finding, commitment, expectation or heading",
                          shown);
    f->kinds |= (uint8_t)(1u << k);
    return AS_OK;
}

int as_qfilter_council(as_filter *f, as_qarena *A, const char *v, size_t n, as_err *err)
{
    while (n > 0 && (*v == ' ' || (*v >= '\t' && *v <= '\r')))
        v++, n--;
    while (n > 0 && (v[n - 1] == ' ' || (v[n - 1] >= '\t' && v[n - 1] <= '\r')))
        n--;
    if (n == 0)
        return as_err_set(err, AS_ESYNTAX, "council: needs a value");
    char **nc = as_qarena_alloc(A, (f->ncouncils + 1) * sizeof *nc);
    char *d = as_qarena_strdup(A, v, n);
    if (!nc || !d)
        return as_err_set(err, AS_ENOMEM, "out of memory");
    if (f->ncouncils)
        memcpy(nc, f->councils, f->ncouncils * sizeof *nc);
    nc[f->ncouncils] = d;
    f->councils = nc;
    f->ncouncils++;
    return AS_OK;
}
