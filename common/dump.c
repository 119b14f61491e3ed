/*
 * dump.c — a parsed page as JSON Lines (the --dump format of assess-index).
 */
#include "dump.h"

#include <string.h>

static void str_or_null(FILE *f, const char *s)
{
    if (s)
        as_json_string(f, s, strlen(s));
    else
        fputs("null", f);
}

static void int_or_null(FILE *f, int v)
{
    if (v > 0)
        fprintf(f, "%d", v);
    else
        fputs("null", f);
}

static void date_or_null(FILE *f, uint32_t ymd)
{
    char iso[11];
    as_date_iso(ymd, iso);
    if (ymd)
        fprintf(f, "\"%s\"", iso);
    else
        fputs("null", f);
}

int as_dump_page(FILE *f, const as_page *p)
{
    if (!p)
        return AS_OK;
    for (size_t i = 0; i < p->nsents; i++) {
        const as_sentence *s = &p->sents[i];
        static const as_meta none = {0};
        const as_meta *m = s->meta ? s->meta : &none;
        fputs("{\"council\":", f);
        str_or_null(f, m->council);
        fputs(",\"statement\":", f);
        int_or_null(f, m->statement);
        fputs(",\"statement_name\":", f);
        str_or_null(f, as_statement_name(m->statement));
        fputs(",\"theme\":", f);
        int_or_null(f, as_statement_theme(m->statement));
        fputs(",\"score\":", f);
        int_or_null(f, m->score);
        fputs(",\"score_label\":", f);
        str_or_null(f, as_score_label(m->score));
        fputs(",\"published\":", f);
        date_or_null(f, m->published);
        fputs(",\"updated\":", f);
        date_or_null(f, m->updated);
        fputs(",\"section\":", f);
        str_or_null(f, s->section);
        fputs(",\"kind\":", f);
        str_or_null(f, as_kind_name(s->kind));
        fputs(",\"text\":", f);
        str_or_null(f, s->text);
        fputs(",\"path\":", f);
        str_or_null(f, p->path);
        fprintf(f, ",\"line\":%u,\"paragraph\":%u,\"sentence\":%u}\n", (unsigned)s->line,
                (unsigned)s->paragraph, (unsigned)s->sentence);
    }
    return ferror(f) ? AS_EIO : AS_OK;
}
