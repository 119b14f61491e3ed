/*
 * facets.c — --count and --by: walks every match of the query once (in
 * docid order, through as_engine_each), collapses duplicate groups the way
 * the hit list does (a group's first matching member stands for it), and
 * counts hits and distinct reports per value.  Exact, never estimated.
 */
#include "facets.h"
#include "render.h"
#include "reader.h"

#include <stdlib.h>
#include <string.h>

int as_by_parse(const char *s)
{
    static const char *const names[] = {"", "council", "statement", "theme", "score", "year"};
    for (int i = 1; i <= AS_BY_YEAR; i++)
        if (!strcmp(s, names[i]))
            return i;
    return -1;
}

typedef struct bucket {
    uint64_t hits;
    uint64_t reports;
    uint32_t lastfile;  /* files arrive in ascending order: a new one counts */
} bucket;

typedef struct walk {
    const as_index *ix;
    int collapse, by;
    uint8_t *seen;       /* duplicate groups already represented (by key) */
    bucket *b;           /* per value */
    size_t nb;
    bucket total;
} walk;

/* The value a unit has for the field: an index into walk.b. */
static size_t value_of(const walk *w, const as_unit *u)
{
    switch (w->by) {
    case AS_BY_COUNCIL: return u->council == AS_NONE ? 0 : (size_t)u->council + 1;
    case AS_BY_STATEMENT: return u->statement <= 9 ? u->statement : 0;
    case AS_BY_THEME: return u->theme <= 4 ? u->theme : 0;
    case AS_BY_SCORE: return u->score <= 4 ? u->score : 0;
    case AS_BY_YEAR: {
        uint32_t y = u->published / 10000;
        return y >= 1900 && y < 2200 ? y - 1900 + 1 : 0;
    }
    }
    return 0;
}

static void count(bucket *b, uint32_t file)
{
    b->hits++;
    if (b->reports == 0 || b->lastfile != file) {
        /* Docids ascend, so a file's matches are contiguous: a change of
         * file is a new report for this bucket unless seen before, which
         * ascending order rules out. */
        b->reports++;
        b->lastfile = file;
    }
}

static int on_match(void *arg, uint32_t doc, double weight)
{
    (void)weight;
    walk *w = arg;
    if (w->collapse) {
        uint32_t n;
        uint32_t key = as_index_dup_first(w->ix, doc, &n);
        if (n > 1) {
            if (w->seen[key / 8] & (1u << (key % 8)))
                return 0;
            w->seen[key / 8] |= (uint8_t)(1u << (key % 8));
        }
    }
    const as_unit *u = as_index_unit(w->ix, as_index_unit_of(w->ix, doc));
    if (!u)
        return 0;
    count(&w->total, u->file);
    if (w->by != AS_BY_NONE) {
        size_t v = value_of(w, u);
        if (v < w->nb)
            count(&w->b[v], u->file);
    }
    return 0;
}

static void label(const walk *w, size_t v, char *buf, size_t cap)
{
    if (v == 0) {
        snprintf(buf, cap, "(unknown)");
        return;
    }
    switch (w->by) {
    case AS_BY_COUNCIL: snprintf(buf, cap, "%s", as_index_council(w->ix, (uint32_t)(v - 1))); break;
    case AS_BY_STATEMENT: snprintf(buf, cap, "%zu %s", v, as_statement_name((int)v)); break;
    case AS_BY_THEME: snprintf(buf, cap, "%zu %s", v, as_theme_name((int)v)); break;
    case AS_BY_SCORE: snprintf(buf, cap, "%zu %s", v, as_score_label((int)v)); break;
    case AS_BY_YEAR: snprintf(buf, cap, "%zu", v - 1 + 1900); break;
    }
}

static const char *field_name(int by)
{
    static const char *const n[] = {"total", "council", "statement", "theme", "score", "year"};
    return n[by];
}

static int cmp_idx(const void *a, const void *b, void *ctx)
{
    const bucket *bk = ctx;
    size_t x = *(const size_t *)a, y = *(const size_t *)b;
    if (bk[x].hits != bk[y].hits)
        return bk[x].hits > bk[y].hits ? -1 : 1;
    return x < y ? -1 : x > y;
}

/* Text width of a UTF-8 string (code points; labels are names). */
static size_t width(const char *s)
{
    size_t n = 0;
    for (; *s; s++)
        n += ((unsigned char)*s & 0xc0) != 0x80;
    return n;
}

static void print_table(const walk *w, const size_t *ord, size_t n, const as_facet_out *fo)
{
    FILE *f = fo->out;
    char lab[512];
    size_t lw = strlen(field_name(w->by));
    for (size_t i = 0; i < n; i++) {
        label(w, ord[i], lab, sizeof lab);
        size_t l = width(lab);
        if (l > lw)
            lw = l;
    }
    if (lw > 60)
        lw = 60;
    uint64_t max = n ? w->b[ord[0]].hits : 0;
    fprintf(f, "%-*s  %9s  %7s\n", (int)lw, field_name(w->by), "sentences", "reports");
    for (size_t i = 0; i < n; i++) {
        const bucket *b = &w->b[ord[i]];
        label(w, ord[i], lab, sizeof lab);
        as_render_safe(f, lab, strlen(lab));
        for (size_t pad = width(lab); pad < lw; pad++)
            fputc(' ', f);
        fprintf(f, "  %9llu  %7llu  ", (unsigned long long)b->hits,
                (unsigned long long)b->reports);
        /* Bar: 30 cells for the largest count, in eighths on UTF-8. */
        unsigned eighths = max ? (unsigned)((b->hits * 240 + max / 2) / max) : 0;
        if (eighths == 0 && b->hits)
            eighths = 1;
        if (fo->utf8) {
            static const char *const part[8] = {"", "\u258f", "\u258e", "\u258d",
                                                "\u258c", "\u258b", "\u258a", "\u2589"};
            for (unsigned k = 0; k < eighths / 8; k++)
                fputs("\u2588", f);
            fputs(part[eighths % 8], f);
        } else {
            unsigned cells = (eighths + 7) / 8;
            for (unsigned k = 0; k < cells; k++)
                fputc('#', f);
        }
        fputc('\n', f);
    }
    fprintf(f, "%-*s  %9llu  %7llu\n", (int)lw, "total", (unsigned long long)w->total.hits,
            (unsigned long long)w->total.reports);
}

int as_facets_print(as_engine *e, const as_index *ix, const as_query *q,
                    const as_search_opts *o, int by, const as_facet_out *fo,
                    uint64_t *nhits)
{
    walk w;
    memset(&w, 0, sizeof w);
    w.ix = ix;
    w.collapse = o->collapse;
    w.by = by;
    uint32_t nd = as_index_ndocs(ix);
    switch (by) {
    case AS_BY_COUNCIL: w.nb = (size_t)as_index_ncouncils(ix) + 1; break;
    case AS_BY_STATEMENT: w.nb = 10; break;
    case AS_BY_THEME: w.nb = 5; break;
    case AS_BY_SCORE: w.nb = 5; break;
    case AS_BY_YEAR: w.nb = 301; break;
    default: w.nb = 0; break;
    }
    w.seen = calloc((size_t)nd / 8 + 1, 1);
    w.b = calloc(w.nb ? w.nb : 1, sizeof *w.b);
    size_t *ord = calloc(w.nb ? w.nb : 1, sizeof *ord);
    if (!w.seen || !w.b || !ord) {
        free(w.seen);
        free(w.b);
        free(ord);
        return AS_ENOMEM;
    }
    int rc = as_engine_each(e, q, o, on_match, &w);
    if (rc == AS_OK) {
        size_t n = 0;
        for (size_t v = 0; v < w.nb; v++)
            if (w.b[v].hits)
                ord[n++] = v;
        qsort_r(ord, n, sizeof *ord, cmp_idx, w.b);
        FILE *f = fo->out;
        char lab[512];
        if (by == AS_BY_NONE) {
            if (fo->format == AS_OUT_JSON)
                fprintf(f, "{\"sentences\":%llu,\"reports\":%llu}\n",
                        (unsigned long long)w.total.hits, (unsigned long long)w.total.reports);
            else if (fo->format == AS_OUT_CSV)
                fprintf(f, "sentences,reports\r\n%llu,%llu\r\n",
                        (unsigned long long)w.total.hits, (unsigned long long)w.total.reports);
            else
                fprintf(f, "%llu sentences in %llu reports\n",
                        (unsigned long long)w.total.hits, (unsigned long long)w.total.reports);
        } else if (fo->format == AS_OUT_JSON) {
            for (size_t i = 0; i < n; i++) {
                label(&w, ord[i], lab, sizeof lab);
                fprintf(f, "{\"%s\":", field_name(by));
                if (ord[i] == 0)
                    fputs("null", f);
                else if (by == AS_BY_COUNCIL)
                    as_json_string(f, lab, strlen(lab));
                else
                    fprintf(f, "%zu", by == AS_BY_YEAR ? ord[i] - 1 + 1900 : ord[i]);
                fprintf(f, ",\"sentences\":%llu,\"reports\":%llu}\n",
                        (unsigned long long)w.b[ord[i]].hits,
                        (unsigned long long)w.b[ord[i]].reports);
            }
        } else if (fo->format == AS_OUT_CSV) {
            fprintf(f, "%s,sentences,reports\r\n", field_name(by));
            for (size_t i = 0; i < n; i++) {
                label(&w, ord[i], lab, sizeof lab);
                fputc('"', f);
                for (const char *p = lab; *p; p++) {
                    if (*p == '"')
                        fputc('"', f);
                    fputc(*p, f);
                }
                fprintf(f, "\",%llu,%llu\r\n", (unsigned long long)w.b[ord[i]].hits,
                        (unsigned long long)w.b[ord[i]].reports);
            }
        } else {
            print_table(&w, ord, n, fo);
        }
        *nhits = w.total.hits;
        if (ferror(f))
            rc = AS_EIO;
    }
    free(w.seen);
    free(w.b);
    free(ord);
    return rc;
}
