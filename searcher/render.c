/*
 * render.c — prints hits: a text block per hit (header line, the sentence
 * with matched words highlighted on a terminal, path:line), JSON Lines with
 * every field, or RFC 4180 CSV.  Corpus text is hostile: control characters
 * never reach the terminal raw, JSON is always valid, CSV cells that a
 * spreadsheet would execute are made inert.
 */
#include "render.h"
#include "reader.h"
#include "safeout.h"

#include <stdlib.h>
#include <string.h>

#define BOLD_HL "\033[1;31m"
#define DIM "\033[2m"
#define HEAD "\033[1;36m"
#define RESET "\033[0m"

void as_render_safe(FILE *f, const char *s, size_t len)
{
    as_safe_write(f, s, len);
}

static int is_query_term(const as_render *r, const char *t, size_t len)
{
    for (size_t i = 0; i < r->nterms; i++)
        if (strlen(r->terms[i]) == len && memcmp(r->terms[i], t, len) == 0)
            return 1;
    return 0;
}

/* Greedy word wrap for a terminal: marks the spaces where a line should
 * break so that no line is wider than r->width columns (code points; a word
 * longer than the width stands alone).  r->brk[i] != 0: break at byte i. */
static int wrap_points(as_render *r, const char *text, size_t len)
{
    if (r->width <= 0)
        return 0;
    if (len + 1 > r->brkcap) {
        unsigned char *g = realloc(r->brk, len + 1);
        if (!g)
            return 0;
        r->brk = g;
        r->brkcap = len + 1;
    }
    memset(r->brk, 0, len + 1);
    size_t col = 0, last_space = (size_t)-1, col_at_space = 0;
    int any = 0;
    for (size_t i = 0; i < len; i++) {
        if (((unsigned char)text[i] & 0xc0) == 0x80)
            continue; /* continuation byte: same column */
        if (text[i] == ' ') {
            last_space = i;
            col_at_space = col;
        }
        col++;
        if (col > (size_t)r->width && last_space != (size_t)-1) {
            r->brk[last_space] = 1;
            any = 1;
            col -= col_at_space + 1;
            last_space = (size_t)-1;
        }
    }
    return any;
}

/* as_render_safe, with the marked spaces turned into line breaks. */
static void put_wrapped(as_render *r, const char *text, size_t a, size_t b, int wrap)
{
    size_t at = a;
    for (size_t i = a; wrap && i < b; i++)
        if (r->brk[i]) {
            as_render_safe(r->out, text + at, i - at);
            fputc('\n', r->out);
            at = i + 1;
        }
    as_render_safe(r->out, text + at, b - at);
}

/* Prints the sentence, highlighting the spans of tokens whose term is a
 * query term: the same analyzer that indexed it says what matched. */
static void print_highlighted(as_render *r, const char *text)
{
    size_t len = strlen(text);
    const as_token *tk;
    size_t nt;
    int wrap = wrap_points(r, text, len);
    if (!r->color || !r->an || r->nterms == 0
        || as_analyze(r->an, text, len, &tk, &nt) != AS_OK) {
        put_wrapped(r, text, 0, len, wrap);
        return;
    }
    size_t at = 0;
    for (size_t i = 0; i < nt; i++) {
        if (!is_query_term(r, tk[i].term, tk[i].len))
            continue;
        size_t s = tk[i].start, e = tk[i].end;
        if (e > len || s >= e)
            continue;
        if (s < at) /* overlaps the previous highlight (compound parts) */
            s = at;
        if (s >= e)
            continue;
        put_wrapped(r, text, at, s, wrap);
        fputs(BOLD_HL, r->out);
        put_wrapped(r, text, s, e, wrap);
        fputs(RESET, r->out);
        at = e;
    }
    put_wrapped(r, text, at, len, wrap);
}

static int wrap_points(as_render *r, const char *text, size_t len);
static void put_wrapped(as_render *r, const char *text, size_t a, size_t b, int wrap);

/* A context sentence: dimmed on a terminal, marked with "| " otherwise so
 * that it is told apart from the hit in plain text. */
static void print_context(as_render *r, const char *text)
{
    if (r->color)
        fputs(DIM, r->out);
    else
        fputs("| ", r->out);
    size_t len = strlen(text);
    put_wrapped(r, text, 0, len, wrap_points(r, text, len));
    if (r->color)
        fputs(RESET, r->out);
    fputc('\n', r->out);
}

static const char *via(const as_qnode *leaf)
{
    if (leaf->flags & AS_QF_ACRONYM)
        return "acronym";
    if (leaf->flags & AS_QF_PREFIX)
        return "prefix";
    if (leaf->flags & AS_QF_COMPOUND)
        return "compound";
    return NULL;
}

static void print_explain(as_render *r, const as_hitrec *h)
{
    FILE *f = r->out;
    double sum = 0;
    for (size_t i = 0; i < h->ncontrib; i++)
        sum += h->contrib[i].weight;
    fprintf(f, "  explain: weight %.6f = %.6f (sum of terms) x %g (%s)\n", h->weight, sum,
            h->kind_weight, as_kind_name(h->kind));
    for (size_t i = 0; i < h->ncontrib; i++) {
        const as_contrib *c = &h->contrib[i];
        if (c->wdf == 0)
            continue;
        const char *v = via(c->leaf);
        fprintf(f, "    %-16s wdf %-3u %+.6f", c->leaf->term, c->wdf, c->weight);
        if (c->leaf->origin) {
            fputs("  from '", f);
            as_render_safe(f, c->leaf->origin, strlen(c->leaf->origin));
            fputc('\'', f);
        }
        if (v)
            fprintf(f, " (%s)", v);
        fputc('\n', f);
    }
}

static int render_text(as_render *r, const as_hitrec *h)
{
    FILE *f = r->out;
    char date[11];
    if (r->nprinted > 0)
        fputc('\n', f);
    if (r->color)
        fputs(HEAD, f);
    const char *council = h->council ? h->council : "council unknown";
    as_render_safe(f, council, strlen(council));
    const char *sn = as_statement_name(h->statement);
    if (sn)
        fprintf(f, " \xc2\xb7 %s", sn);
    if (h->score)
        fprintf(f, " \xc2\xb7 score %d", h->score);
    as_date_iso(h->published ? h->published : h->updated, date);
    if (date[0])
        fprintf(f, " \xc2\xb7 %s", date);
    if (h->kind != AS_KIND_FINDING)
        fprintf(f, " \xc2\xb7 %s", as_kind_name(h->kind));
    if (h->reports > 1)
        fprintf(f, " \xc2\xb7 in %u reports", h->reports);
    if (r->color)
        fputs(RESET, f);
    fputc('\n', f);
    for (size_t i = 0; i < h->nbefore; i++)
        print_context(r, h->before[i]);
    print_highlighted(r, h->text);
    fputc('\n', f);
    for (size_t i = 0; i < h->nafter; i++)
        print_context(r, h->after[i]);
    if (h->explain)
        print_explain(r, h);
    if (r->color)
        fputs(DIM, f);
    as_render_safe(f, h->path, strlen(h->path));
    fprintf(f, ":%u", h->line);
    if (r->color)
        fputs(RESET, f);
    fputc('\n', f);
    return ferror(f) ? AS_EIO : AS_OK;
}

static void json_str_or_null(FILE *f, const char *s)
{
    if (s && *s)
        as_json_string(f, s, strlen(s));
    else
        fputs("null", f);
}

static void json_int_or_null(FILE *f, long v)
{
    if (v)
        fprintf(f, "%ld", v);
    else
        fputs("null", f);
}

static int render_json(as_render *r, const as_hitrec *h)
{
    FILE *f = r->out;
    char d[11];
    fputs("{\"council\":", f);
    json_str_or_null(f, h->council);
    fputs(",\"statement\":", f);
    json_int_or_null(f, h->statement);
    fputs(",\"statement_name\":", f);
    json_str_or_null(f, as_statement_name(h->statement));
    fputs(",\"theme\":", f);
    json_int_or_null(f, as_statement_theme(h->statement));
    fputs(",\"score\":", f);
    json_int_or_null(f, h->score);
    fputs(",\"score_label\":", f);
    json_str_or_null(f, as_score_label(h->score));
    as_date_iso(h->published, d);
    fputs(",\"published\":", f);
    json_str_or_null(f, d);
    as_date_iso(h->updated, d);
    fputs(",\"updated\":", f);
    json_str_or_null(f, d);
    fputs(",\"section\":", f);
    json_str_or_null(f, h->section);
    fputs(",\"kind\":", f);
    json_str_or_null(f, as_kind_name(h->kind));
    fputs(",\"text\":", f);
    as_json_string(f, h->text, strlen(h->text));
    fputs(",\"path\":", f);
    json_str_or_null(f, h->path);
    fprintf(f, ",\"line\":%u,\"paragraph\":%u,\"sentence\":%u", h->line, h->paragraph,
            h->sentence);
    if (h->id) {
        fputs(",\"id\":", f);
        as_json_string(f, h->id, strlen(h->id));
    }
    if (h->context) {
        fputs(",\"before\":[", f);
        for (size_t i = 0; i < h->nbefore; i++) {
            if (i)
                fputc(',', f);
            as_json_string(f, h->before[i], strlen(h->before[i]));
        }
        fputs("],\"after\":[", f);
        for (size_t i = 0; i < h->nafter; i++) {
            if (i)
                fputc(',', f);
            as_json_string(f, h->after[i], strlen(h->after[i]));
        }
        fputc(']', f);
    }
    if (h->explain) {
        fprintf(f, ",\"kind_weight\":%.17g,\"explain\":[", h->kind_weight);
        size_t k = 0;
        for (size_t i = 0; i < h->ncontrib; i++) {
            const as_contrib *c = &h->contrib[i];
            if (c->wdf == 0)
                continue;
            fputs(k++ ? ",{\"term\":" : "{\"term\":", f);
            as_json_string(f, c->leaf->term, strlen(c->leaf->term));
            fprintf(f, ",\"wdf\":%u,\"weight\":%.17g,\"from\":", c->wdf, c->weight);
            json_str_or_null(f, c->leaf->origin);
            fputs(",\"via\":", f);
            json_str_or_null(f, via(c->leaf));
            fputc('}', f);
        }
        fputc(']', f);
    }
    fprintf(f, ",\"rank\":%zu,\"weight\":%.17g,\"reports\":%u}\n", h->rank, h->weight,
            h->reports);
    return ferror(f) ? AS_EIO : AS_OK;
}

/* RFC 4180 cell; a leading = + - @ (or tab / CR) would make a spreadsheet
 * evaluate the cell, so it gets a leading apostrophe. */
static void csv_cell(FILE *f, const char *s)
{
    if (!s)
        return;
    fputc('"', f);
    if (*s == '=' || *s == '+' || *s == '-' || *s == '@' || *s == '\t' || *s == '\r')
        fputc('\'', f);
    for (; *s; s++) {
        if (*s == '"')
            fputc('"', f);
        fputc(*s, f);
    }
    fputc('"', f);
}

int as_render_csv_header(as_render *r)
{
    fputs("rank,weight,council,statement,statement_name,theme,score,score_label,"
          "published,updated,section,kind,text,path,line,paragraph,sentence,reports\r\n",
          r->out);
    return ferror(r->out) ? AS_EIO : AS_OK;
}

static int render_csv(as_render *r, const as_hitrec *h)
{
    FILE *f = r->out;
    char d[11], num[32];
    fprintf(f, "%zu,%.17g,", h->rank, h->weight);
    csv_cell(f, h->council);
    fputc(',', f);
    if (h->statement)
        fprintf(f, "%d", h->statement);
    fputc(',', f);
    csv_cell(f, as_statement_name(h->statement));
    fputc(',', f);
    if (h->statement)
        fprintf(f, "%d", as_statement_theme(h->statement));
    fputc(',', f);
    if (h->score)
        fprintf(f, "%d", h->score);
    fputc(',', f);
    csv_cell(f, as_score_label(h->score));
    fputc(',', f);
    as_date_iso(h->published, d);
    csv_cell(f, d[0] ? d : NULL);
    fputc(',', f);
    as_date_iso(h->updated, d);
    csv_cell(f, d[0] ? d : NULL);
    fputc(',', f);
    csv_cell(f, h->section && *h->section ? h->section : NULL);
    fputc(',', f);
    csv_cell(f, as_kind_name(h->kind));
    fputc(',', f);
    csv_cell(f, h->text);
    fputc(',', f);
    csv_cell(f, h->path);
    snprintf(num, sizeof num, ",%u,%u,%u,%u\r\n", h->line, h->paragraph, h->sentence,
             h->reports);
    fputs(num, f);
    return ferror(f) ? AS_EIO : AS_OK;
}

int as_render_hit(as_render *r, const as_hitrec *h)
{
    int rc;
    switch (r->format) {
    case AS_OUT_JSON: rc = render_json(r, h); break;
    case AS_OUT_CSV: rc = render_csv(r, h); break;
    default: rc = render_text(r, h); break;
    }
    r->nprinted++;
    return rc;
}
