/*
 * main.c — assess-search: the command line.  Parses options and the query,
 * runs it on the native engine (or, with --engine xapian, through the
 * Xapian plugin, xplugin.h), prints hits through render.c.
 * Exit status like grep: 0 hits, 1 none, 2 error.
 */
#include "analyze.h"
#include "engine.h"
#include "generation.h"
#include "index.h"
#include "query.h"
#include "facets.h"
#include "reader.h"
#include "render.h"
#include "suggest.h"
#include "xplugin.h"

#include <langinfo.h>
#include <locale.h>

#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <dirent.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <time.h>

#define EXIT_NONE 1
#define EXIT_ERR 2

static const char *prog = "assess-search";

static void usage(FILE *f)
{
    fprintf(f,
"usage: assess-search [options] QUERY...\n"
"Search the findings of CQC local authority assessments; best first.\n"
"Words are all required; \"a phrase\"; a OR b; -word, NOT word; ( ); prefix*;\n"
"council:NAME statement:N|NAME theme:N score:2|<=2|2..3 year:2024 kind:finding\n"
"\n"
"  -n, --limit N      show N hits (default 10)       --offset N  skip N hits\n"
"  -C, --context N    N sentences of context from the same paragraph\n"
"  --json, --csv      JSON Lines or CSV instead of text\n"
"  --by FIELD         counts per council|statement|theme|score|year\n"
"  --count            only the number of hits and reports\n"
"  --all              list every copy of a repeated sentence\n"
"  --explain          show why each hit matched: terms and BM25 parts\n"
"  --any              any word may match (ranked by BM25)\n"
"  --suggest=auto     with no hits, rerun with the suggested spelling\n"
"  --council NAME --statement S --theme T --score S --year Y --kind K\n"
"  --list councils|statements   what the index holds, with counts\n"
"  --stats            facts about the index\n"
"  --batch            read qid<TAB>query lines, write a TREC run\n"
"  --color WHEN       auto, always or never (NO_COLOR is honoured)\n"
"  --index PATH       index (default $ASSESS_INDEX, else\n"
"                     $XDG_DATA_HOME/assess-search/index)\n"
"  --engine xapian    search a Xapian export (--index STUB|DIR)\n"
"  --k1 X --b X --min-normlen X   BM25 parameters\n"
"  -h, --help         this help        --version   the version\n"
"Exit status: 0 hits, 1 no hits, 2 error.  See assess-search(1).\n");
}

/* ---- the lexicon over the native index --------------------------------- */

typedef struct prefix_adapter {
    int (*fn)(void *arg, const char *term, size_t len);
    void *arg;
} prefix_adapter;

static int prefix_cb(void *arg, const char *term, size_t len, const as_term *info)
{
    (void)info;
    prefix_adapter *a = arg;
    return a->fn(a->arg, term, len);
}

static int native_each_prefix(void *ctx, const char *prefix, size_t plen,
                              int (*fn)(void *arg, const char *term, size_t len),
                              void *arg)
{
    prefix_adapter a = {fn, arg};
    return as_index_each_term(ctx, prefix, plen, prefix_cb, &a);
}

/* ---- options ------------------------------------------------------------ */

typedef struct filt {
    const char *field, *value;
} filt;

typedef struct opts {
    const char *index;
    size_t limit, offset, context;
    int limit_set, context_set;
    int format;
    int color;          /* -1 auto */
    int any, all, batch, count, explain, suggest_auto, stats, xapian;
    int stopwords;      /* -1: default (on with --any and --batch) */
    int by;             /* AS_BY_* */
    const char *list;   /* "councils" / "statements" */
    const char *tag;
    as_bm25 bm25;
    filt filters[64];
    size_t nfilters;
} opts;

static int parse_size(const char *name, const char *s, size_t max, size_t *out)
{
    char *end;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (errno || end == s || *end || v < 0 || (unsigned long long)v > max) {
        fprintf(stderr, "%s: %s: expected a number from 0 to %zu, got '%s'\n", prog, name,
                max, s);
        return -1;
    }
    *out = (size_t)v;
    return 0;
}

static int parse_double(const char *name, const char *s, double min, double max, double *out)
{
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (errno || end == s || *end || !isfinite(v) || v < min || v > max) {
        fprintf(stderr, "%s: %s: expected a number from %g to %g, got '%s'\n", prog, name,
                min, max, s);
        return -1;
    }
    *out = v;
    return 0;
}

static int add_filter(opts *o, const char *field, const char *value)
{
    if (o->nfilters == sizeof o->filters / sizeof o->filters[0]) {
        fprintf(stderr, "%s: too many filter options\n", prog);
        return -1;
    }
    o->filters[o->nfilters].field = field;
    o->filters[o->nfilters].value = value;
    o->nfilters++;
    return 0;
}

/* ---- a session: one index (native or a Xapian export) -------------------- */

typedef struct session {
    as_index *ix;       /* native */
    as_xsearch *xs;     /* --engine xapian */
    const as_xplugin *xp; /* its functions; NULL on the native engine */
    void *xph;          /* the plugin's handle */
    as_analyzer *an;
    as_engine *eng;
    as_lexicon lex;
    const as_lexicon *lexp;
    as_docbuf db;
    char cwd[4096];     /* paths under it are shown relative */
} session;

/* A path as the user would type it from here: relative when under the
 * current directory (the index keeps the path given when it was built). */
static const char *show_path(const session *s, const char *path)
{
    size_t n = strlen(s->cwd);
    if (n > 1 && path && path[0] == '/' && strncmp(path, s->cwd, n) == 0 && path[n] == '/')
        return path + n + 1;
    return path;
}

static const char *session_err(const session *s)
{
    return s->xs ? s->xp->search_errmsg(s->xs) : as_engine_errmsg(s->eng);
}

static void xhits_free(const session *s, as_xhits *h)
{
    if (s->xp)
        s->xp->hits_free(h);
}

static void collect_terms(const as_qnode *n, const char ***terms, size_t *nt, size_t *cap)
{
    if (!n)
        return;
    if (n->op == AS_Q_TERM && n->term) {
        if (*nt == *cap) {
            size_t c = *cap ? *cap * 2 : 16;
            const char **g = realloc(*terms, c * sizeof *g);
            if (!g)
                return;
            *terms = g;
            *cap = c;
        }
        (*terms)[(*nt)++] = n->term;
    }
    /* The excluded side of ANDNOT is never highlighted. */
    size_t k = n->op == AS_Q_ANDNOT ? 1 : n->nkids;
    for (size_t i = 0; i < k; i++)
        collect_terms(n->kids[i], terms, nt, cap);
}

static int count_positive_words(const as_qnode *n)
{
    if (!n)
        return 0;
    if (n->op == AS_Q_AND)
        return (int)n->nkids;
    if (n->op == AS_Q_ANDNOT)
        return count_positive_words(n->kids[0]);
    return 1;
}

/* A hit's sentence, read before anything is printed; its strings are
 * copies (the docbuf holds one sentence at a time). */
typedef struct keptdoc {
    as_docrec d;
    char *mem;
} keptdoc;

static int keep_doc(const as_docrec *d, keptdoc *k)
{
    size_t a = strlen(d->text) + 1, b = strlen(d->section) + 1, c = d->id ? strlen(d->id) + 1 : 0;
    k->d = *d;
    k->mem = malloc(a + b + c);
    if (!k->mem)
        return AS_ENOMEM;
    memcpy(k->mem, d->text, a);
    memcpy(k->mem + a, d->section, b);
    if (d->id)
        memcpy(k->mem + a + b, d->id, c);
    k->d.text = k->mem;
    k->d.section = k->mem + a;
    k->d.id = d->id ? k->mem + a + b : NULL;
    return AS_OK;
}

static void free_kept(keptdoc *k, size_t n)
{
    for (size_t i = 0; k && i < n; i++)
        free(k[i].mem);
    free(k);
}

static int fill_hitrec(session *s, uint32_t doc, const as_docrec *dp, as_hitrec *h)
{
    as_docrec d = *dp;
    const as_unit *u = as_index_unit(s->ix, as_index_unit_of(s->ix, doc));
    as_file_state fs;
    memset(h, 0, sizeof *h);
    if (u) {
        h->council = u->council == AS_NONE ? NULL : as_index_council(s->ix, u->council);
        h->statement = u->statement;
        h->score = u->score;
        h->published = u->published;
        h->updated = u->updated;
        if (as_index_file(s->ix, u->file, &fs) == AS_OK)
            h->path = show_path(s, fs.display);
    }
    if (!h->path)
        h->path = "?";
    h->section = d.section;
    h->kind = d.kind;
    h->text = d.text;
    h->line = d.line;
    h->paragraph = d.paragraph;
    h->sentence = d.sentence;
    h->id = d.id;
    return AS_OK;
}

static void xdoc_hitrec(const as_xdoc *d, as_hitrec *h)
{
    memset(h, 0, sizeof *h);
    h->council = d->council;
    h->statement = d->statement;
    h->score = d->score;
    h->published = d->published;
    h->updated = d->updated;
    h->section = d->section;
    h->kind = d->kind;
    h->text = d->text;
    h->path = d->path;
    h->line = d->line;
    h->paragraph = d->paragraph;
    h->sentence = d->sentence;
}

/* Context: up to n sentences before and after doc within the same file and
 * paragraph (docids are consecutive in file order).  Strings are malloc'd
 * into ctx[], freed by the caller. */
static size_t context_side(session *s, uint32_t doc, size_t n, int dir, char **out)
{
    as_docrec d;
    if (as_index_doc(s->ix, doc, &s->db, &d) != AS_OK)
        return 0;
    uint32_t para = d.paragraph, unit = as_index_unit_of(s->ix, doc);
    const as_unit *u = as_index_unit(s->ix, unit);
    if (!u)
        return 0;
    uint32_t file = u->file;
    size_t k = 0;
    for (size_t i = 1; i <= n; i++) {
        int64_t nd = (int64_t)doc + dir * (int64_t)i;
        if (nd < 0 || nd >= (int64_t)as_index_ndocs(s->ix))
            break;
        const as_unit *nu = as_index_unit(s->ix, as_index_unit_of(s->ix, (uint32_t)nd));
        if (!nu || nu->file != file)
            break;
        if (as_index_doc(s->ix, (uint32_t)nd, &s->db, &d) != AS_OK || d.paragraph != para)
            break;
        out[k++] = strdup(d.text);
        if (!out[k - 1]) {
            k--;
            break;
        }
    }
    if (dir < 0) /* nearest first was collected: print in reading order */
        for (size_t i = 0; i < k / 2; i++) {
            char *t = out[i];
            out[i] = out[k - 1 - i];
            out[k - 1 - i] = t;
        }
    return k;
}

static int run_facets(session *s, const opts *o, const as_query *q, const as_search_opts *so)
{
    as_facet_out fo;
    fo.out = stdout;
    fo.format = o->format;
    fo.color = 0;
    /* The bars' eighths need a UTF-8 terminal: only then is the locale
     * read.  Everything else works on bytes the same in every locale, and
     * a search does not pay for loading one. */
    const char *cs = isatty(STDOUT_FILENO) && setlocale(LC_CTYPE, "") ? nl_langinfo(CODESET)
                                                                      : NULL;
    fo.utf8 = cs && !strcmp(cs, "UTF-8");
    uint64_t n = 0;
    int rc = as_facets_print(s->eng, s->ix, q, so, o->count ? AS_BY_NONE : o->by, &fo, &n);
    if (rc != AS_OK) {
        fprintf(stderr, "%s: %s\n", prog, rc == AS_EIO ? strerror(errno) : session_err(s));
        return EXIT_ERR;
    }
    return n > 0 ? 0 : EXIT_NONE;
}

static int search(session *s, const as_query *q, const as_search_opts *so, as_hits *hits,
                  as_xhits *xh)
{
    if (s->xs) {
        int rc = s->xp->search(s->xs, q, so, xh);
        hits->n = rc == AS_OK ? xh->n : 0;
        return rc;
    }
    return as_engine_search(s->eng, q, so, hits);
}

static int run_query(session *s, const opts *o, const char *qtext, as_render *r,
                     const char *batch_qid)
{
    as_err err = {0};
    as_query *q = NULL;
    as_query_opts qo = {0};
    qo.any = o->any || batch_qid != NULL;
    qo.literal = batch_qid != NULL; /* topics are text, not query syntax */
    qo.stopwords = o->stopwords < 0 ? 1 : o->stopwords;
    int rc = as_query_parse(qtext, strlen(qtext), s->an, s->lexp, &qo, &q, &err);
    for (size_t i = 0; rc == AS_OK && i < o->nfilters; i++)
        rc = as_query_add_filter(q, o->filters[i].field, o->filters[i].value, &err);
    if (rc != AS_OK) {
        fprintf(stderr, "%s: %s\n", prog, err.msg);
        as_query_free(q);
        return EXIT_ERR;
    }
    if (q->truncated_prefix)
        fprintf(stderr, "%s: a prefix* matched too many words: only the first 1000 are "
                "searched\n", prog);
    if (!s->xs) {
        rc = as_engine_bind(s->eng, q);
        if (rc != AS_OK) {
            fprintf(stderr, "%s: %s\n", prog, as_engine_errmsg(s->eng));
            if (rc == AS_ENOTFOUND) {
                const char *names[5];
                for (size_t i = 0; i < q->filter.ncouncils; i++) {
                    size_t n = as_suggest_council(s->ix, q->filter.councils[i], names, 5);
                    for (size_t k = 0; k < n; k++)
                        fprintf(stderr, "%s: did you mean council:\"%s\"?\n", prog, names[k]);
                }
            }
            as_query_free(q);
            return EXIT_ERR;
        }
    }
    as_search_opts so;
    as_search_opts_default(&so);
    so.bm25 = o->bm25;
    so.offset = o->offset;
    so.limit = o->limit_set ? o->limit : (batch_qid ? 1000 : 10);
    so.collapse = !o->all && !batch_qid;
    if ((o->count || o->by) && !batch_qid) {
        if (s->xs) {
            fprintf(stderr, "%s: --count and --by need the native engine\n", prog);
            as_query_free(q);
            return EXIT_ERR;
        }
        rc = run_facets(s, o, q, &so);
        as_query_free(q);
        return rc;
    }
    as_hits hits = {0};
    as_xhits xh = {0};
    rc = search(s, q, &so, &hits, &xh);
    int partial = 0;
    if (rc == AS_OK && hits.n == 0 && !qo.any && count_positive_words(q->root) > 1) {
        /* Nothing has every word: say so, then show the best partial matches. */
        as_query *rq = NULL;
        if (as_query_relax(q, &rq, &err) == AS_OK) {
            as_hits_free(&hits);
            xhits_free(s, &xh);
            memset(&hits, 0, sizeof hits);
            memset(&xh, 0, sizeof xh);
            rc = search(s, rq, &so, &hits, &xh);
            as_query_free(rq);
            if (rc == AS_OK && hits.n > 0) {
                partial = 1;
                fprintf(stderr, "%s: no sentence has all the words; best partial matches:\n",
                        prog);
            }
        }
    }
    if (rc != AS_OK) {
        fprintf(stderr, "%s: %s\n", prog, session_err(s));
        as_query_free(q);
        as_hits_free(&hits);
        xhits_free(s, &xh);
        return EXIT_ERR;
    }
    if (hits.n == 0 && !batch_qid && !s->xs) {
        char *sugg = NULL;
        if (as_suggest_query(s->ix, s->an, qtext, &sugg) == AS_OK && sugg) {
            if (o->suggest_auto) {
                fprintf(stderr, "%s: no hits for '%s'; showing hits for '%s'\n", prog, qtext,
                        sugg);
                opts o2 = *o;
                o2.suggest_auto = 0;
                int st = run_query(s, &o2, sugg, r, NULL);
                free(sugg);
                as_query_free(q);
                return st;
            }
            fprintf(stderr, "%s: no hits; did you mean: %s\n", prog, sugg);
            free(sugg);
        }
    }
    /* Read every hit's sentence before printing any: damage found in the
     * store is then one error line, never half a result list. */
    keptdoc *kept = NULL;
    if (!s->xs && hits.n > 0 && !(kept = calloc(hits.n, sizeof *kept))) {
        fprintf(stderr, "%s: out of memory\n", prog);
        as_hits_free(&hits);
        as_query_free(q);
        return EXIT_ERR;
    }
    for (size_t i = 0; !s->xs && i < hits.n; i++) {
        as_docrec d;
        int bad = as_index_doc(s->ix, hits.hits[i].doc, &s->db, &d) != AS_OK
                  || as_index_status(s->ix) != AS_OK;
        if (bad || keep_doc(&d, &kept[i]) != AS_OK) {
            fprintf(stderr, "%s: %s\n", prog, bad ? as_index_errmsg(s->ix) : "out of memory");
            free_kept(kept, i + 1);
            as_hits_free(&hits);
            as_query_free(q);
            return EXIT_ERR;
        }
    }
    const char **terms = NULL;
    size_t nt = 0, cap = 0;
    collect_terms(q->root, &terms, &nt, &cap);
    r->terms = terms;
    r->nterms = nt;
    int status = hits.n > 0 && !partial ? 0 : EXIT_NONE;
    for (size_t i = 0; i < hits.n; i++) {
        as_hitrec h;
        const as_hit *hit = s->xs ? &xh.hits[i].hit : &hits.hits[i];
        char *before[64], *after[64];
        size_t nb = 0, na = 0;
        as_contrib *contrib = NULL;
        size_t nc = 0;
        if (!s->xs && o->context_set) {
            size_t n = o->context > 64 ? 64 : o->context;
            nb = context_side(s, hit->doc, n, -1, before);
            na = context_side(s, hit->doc, n, +1, after);
        }
        if (!s->xs && o->explain)
            as_engine_explain(s->eng, q, &so, hit->doc, &contrib, &nc);
        if (s->xs) {
            xdoc_hitrec(&xh.hits[i].rec, &h);
            h.path = show_path(s, h.path);
        }
        else
            rc = fill_hitrec(s, hit->doc, &kept[i].d, &h);
        if (rc != AS_OK) {
            fprintf(stderr, "%s: %s\n", prog, as_index_errmsg(s->ix));
            status = EXIT_ERR;
        } else {
            h.rank = o->offset + i + 1;
            h.weight = hit->weight;
            h.reports = hit->reports ? hit->reports : 1;
            h.before = (const char *const *)before;
            h.nbefore = nb;
            h.after = (const char *const *)after;
            h.nafter = na;
            h.context = o->context_set;
            h.contrib = contrib;
            h.ncontrib = nc;
            h.explain = o->explain && !s->xs;
            h.kind_weight = h.kind >= 0 && h.kind < AS_NKINDS ? so.kind_weight[h.kind] : 1;
            if (batch_qid) {
                char idbuf[16];
                const char *id = h.id;
                if (!id) {
                    snprintf(idbuf, sizeof idbuf, "%u", hit->doc);
                    id = idbuf;
                }
                printf("%s Q0 %s %zu %.9f %s\n", batch_qid, id, h.rank, h.weight,
                       o->tag ? o->tag : "assess-search");
            } else if (as_render_hit(r, &h) != AS_OK) {
                status = EXIT_ERR;
            }
        }
        for (size_t k = 0; k < nb; k++)
            free(before[k]);
        for (size_t k = 0; k < na; k++)
            free(after[k]);
        free(contrib);
        if (status == EXIT_ERR)
            break;
    }
    if (status != EXIT_ERR && !batch_qid && r->format == AS_OUT_TEXT && hits.n > 0) {
        const as_acrotab *t = s->lexp->acronyms;
        for (size_t i = 0; t && i < q->nacronyms_used; i++) {
            const as_acronym *a = as_acrotab_get(t, (size_t)q->acronyms_used[i]);
            if (a)
                fprintf(r->out, "%s(%s = %s)\n", i == 0 ? "\n" : "", a->acro, a->expansion);
        }
    }
    free(terms);
    r->terms = NULL;
    r->nterms = 0;
    free_kept(kept, hits.n);
    as_hits_free(&hits);
    xhits_free(s, &xh);
    as_query_free(q);
    return status;
}

static int run_batch(session *s, const opts *o, as_render *r)
{
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    int status = EXIT_NONE;
    unsigned long lineno = 0;
    while ((n = getline(&line, &cap, stdin)) > 0) {
        lineno++;
        while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
            line[--n] = '\0';
        if (n == 0)
            continue;
        char *tab = strchr(line, '\t');
        if (!tab || tab == line) {
            fprintf(stderr, "%s: stdin:%lu: expected qid<TAB>query\n", prog, lineno);
            free(line);
            return EXIT_ERR;
        }
        *tab = '\0';
        int rc = run_query(s, o, tab + 1, r, line);
        if (rc == EXIT_ERR) {
            free(line);
            return EXIT_ERR;
        }
        if (rc == 0)
            status = 0;
    }
    free(line);
    return status;
}

/* ---- --stats and --list -------------------------------------------------- */

static uint64_t dir_bytes(const char *dir)
{
    char cmdpath[4200];
    uint64_t total = 0;
    DIR *d = opendir(dir);
    if (!d)
        return 0;
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        struct stat st;
        snprintf(cmdpath, sizeof cmdpath, "%s/%s", dir, de->d_name);
        if (stat(cmdpath, &st) == 0 && S_ISREG(st.st_mode))
            total += (uint64_t)st.st_size;
    }
    closedir(d);
    return total;
}

static int run_stats(session *s, const opts *o)
{
    const as_index *ix = s->ix;
    uint32_t reports = 0;
    for (uint32_t f = 0; f < as_index_nfiles(ix); f++) {
        as_file_state fs;
        if (as_index_file(ix, f, &fs) == AS_OK && fs.ndocs > 0)
            reports++;
    }
    time_t built = (time_t)as_index_built(ix);
    char when[64] = "";
    struct tm tm;
    if (localtime_r(&built, &tm))
        strftime(when, sizeof when, "%Y-%m-%d %H:%M:%S %z", &tm);
    uint64_t bytes = dir_bytes(as_index_gen_dir(ix));
    if (o->format == AS_OUT_JSON) {
        printf("{\"generation\":");
        as_json_string(stdout, as_index_gen_dir(ix), strlen(as_index_gen_dir(ix)));
        printf(",\"built\":\"%s\",\"reports\":%u,\"files\":%u,\"sentences\":%u,"
               "\"councils\":%u,\"terms\":%llu,\"bytes\":%llu}\n",
               when, reports, as_index_nfiles(ix), as_index_ndocs(ix), as_index_ncouncils(ix),
               (unsigned long long)as_index_nterms(ix), (unsigned long long)bytes);
    } else {
        printf("generation  %s\nbuilt       %s\nreports     %u (%u files)\nsentences   %u\n"
               "councils    %u\nterms       %llu\nsize        %llu bytes\n",
               as_index_gen_dir(ix), when, reports, as_index_nfiles(ix), as_index_ndocs(ix),
               as_index_ncouncils(ix), (unsigned long long)as_index_nterms(ix),
               (unsigned long long)bytes);
    }
    return 0;
}

static int run_list(session *s, const opts *o)
{
    const as_index *ix = s->ix;
    int councils = !strcmp(o->list, "councils");
    if (!councils && strcmp(o->list, "statements") != 0) {
        fprintf(stderr, "%s: --list: expected councils or statements\n", prog);
        return EXIT_ERR;
    }
    size_t nv = councils ? as_index_ncouncils(ix) + 1 : 10;
    uint64_t *sent = calloc(nv, sizeof *sent), *rep = calloc(nv, sizeof *rep);
    uint32_t *lastfile = calloc(nv, sizeof *lastfile);
    if (!sent || !rep || !lastfile) {
        free(sent);
        free(rep);
        free(lastfile);
        fprintf(stderr, "%s: out of memory\n", prog);
        return EXIT_ERR;
    }
    for (uint32_t u = 0; u < as_index_nunits(ix); u++) {
        const as_unit *un = as_index_unit(ix, u);
        size_t v = councils ? (un->council == AS_NONE ? 0 : un->council + 1) : un->statement;
        if (v >= nv)
            continue;
        sent[v] += un->ndocs;
        if (rep[v] == 0 || lastfile[v] != un->file + 1) {
            rep[v]++;
            lastfile[v] = un->file + 1;
        }
    }
    if (o->format == AS_OUT_TEXT)
        printf("%-*s  %9s  %7s\n", councils ? 40 : 50, councils ? "council" : "statement",
               "sentences", "reports");
    for (size_t v = councils ? 0 : 1; v < nv; v++) {
        if (!sent[v] && (councils || v == 0))
            continue;
        char name[300];
        if (councils)
            snprintf(name, sizeof name, "%s", v ? as_index_council(ix, (uint32_t)v - 1) : "(unknown)");
        else
            snprintf(name, sizeof name, "%zu %s", v, as_statement_name((int)v));
        if (o->format == AS_OUT_JSON) {
            printf("{\"%s\":", councils ? "council" : "statement");
            if (councils)
                as_json_string(stdout, name, strlen(name));
            else
                printf("%zu,\"statement_name\":\"%s\"", v, as_statement_name((int)v));
            printf(",\"sentences\":%llu,\"reports\":%llu}\n", (unsigned long long)sent[v],
                   (unsigned long long)rep[v]);
        } else {
            as_render_safe(stdout, name, strlen(name));
            printf("%*s  %9llu  %7llu\n", (int)((councils ? 40 : 50) > (int)strlen(name)
                                                 ? (councils ? 40 : 50) - (int)strlen(name) : 0),
                   "", (unsigned long long)sent[v], (unsigned long long)rep[v]);
        }
    }
    if (!councils && sent[0] && o->format == AS_OUT_TEXT)
        printf("%-50s  %9llu  %7llu\n", "(unknown)", (unsigned long long)sent[0],
               (unsigned long long)rep[0]);
    free(sent);
    free(rep);
    free(lastfile);
    return 0;
}

int main(int argc, char **argv)
{
    enum { O_INDEX = 256, O_OFFSET, O_JSON, O_CSV, O_COLOR, O_COUNCIL, O_STATEMENT,
           O_THEME, O_SCORE, O_YEAR, O_KIND, O_ANY, O_ALL, O_BATCH, O_TAG, O_K1, O_B,
           O_MINNORM, O_VERSION, O_ENGINE, O_BY, O_COUNT, O_EXPLAIN, O_SUGGEST, O_LIST,
           O_STATS, O_STOP, O_NOSTOP };
    static const struct option lopts[] = {
        {"index", required_argument, NULL, O_INDEX},
        {"limit", required_argument, NULL, 'n'},
        {"offset", required_argument, NULL, O_OFFSET},
        {"context", required_argument, NULL, 'C'},
        {"json", no_argument, NULL, O_JSON},
        {"csv", no_argument, NULL, O_CSV},
        {"color", required_argument, NULL, O_COLOR},
        {"colour", required_argument, NULL, O_COLOR},
        {"council", required_argument, NULL, O_COUNCIL},
        {"statement", required_argument, NULL, O_STATEMENT},
        {"theme", required_argument, NULL, O_THEME},
        {"score", required_argument, NULL, O_SCORE},
        {"year", required_argument, NULL, O_YEAR},
        {"kind", required_argument, NULL, O_KIND},
        {"any", no_argument, NULL, O_ANY},
        {"all", no_argument, NULL, O_ALL},
        {"by", required_argument, NULL, O_BY},
        {"count", no_argument, NULL, O_COUNT},
        {"explain", no_argument, NULL, O_EXPLAIN},
        {"suggest", required_argument, NULL, O_SUGGEST},
        {"list", required_argument, NULL, O_LIST},
        {"stats", no_argument, NULL, O_STATS},
        {"stopwords", no_argument, NULL, O_STOP},
        {"no-stopwords", no_argument, NULL, O_NOSTOP},
        {"batch", no_argument, NULL, O_BATCH},
        {"tag", required_argument, NULL, O_TAG},
        {"k1", required_argument, NULL, O_K1},
        {"b", required_argument, NULL, O_B},
        {"min-normlen", required_argument, NULL, O_MINNORM},
        {"engine", required_argument, NULL, O_ENGINE},
        {"help", no_argument, NULL, 'h'},
        {"version", no_argument, NULL, O_VERSION},
        {NULL, 0, NULL, 0}};
    opts o;
    memset(&o, 0, sizeof o);
    o.color = -1;
    o.stopwords = -1;
    as_search_opts defaults;
    as_search_opts_default(&defaults);
    o.bm25 = defaults.bm25;
    int c, bad = 0;
    while (!bad && (c = getopt_long(argc, argv, "n:C:h", lopts, NULL)) != -1) {
        switch (c) {
        case O_INDEX: o.index = optarg; break;
        case 'n':
            bad = parse_size("--limit", optarg, 1000000, &o.limit);
            o.limit_set = 1;
            break;
        case 'C':
            bad = parse_size("--context", optarg, 64, &o.context);
            o.context_set = 1;
            break;
        case O_OFFSET: bad = parse_size("--offset", optarg, 100000000, &o.offset); break;
        case O_JSON: o.format = AS_OUT_JSON; break;
        case O_CSV: o.format = AS_OUT_CSV; break;
        case O_COLOR:
            if (!strcmp(optarg, "auto")) o.color = -1;
            else if (!strcmp(optarg, "always")) o.color = 1;
            else if (!strcmp(optarg, "never")) o.color = 0;
            else {
                fprintf(stderr, "%s: --color: expected auto, always or never\n", prog);
                bad = 1;
            }
            break;
        case O_COUNCIL: bad = add_filter(&o, "council", optarg); break;
        case O_STATEMENT: bad = add_filter(&o, "statement", optarg); break;
        case O_THEME: bad = add_filter(&o, "theme", optarg); break;
        case O_SCORE: bad = add_filter(&o, "score", optarg); break;
        case O_YEAR: bad = add_filter(&o, "year", optarg); break;
        case O_KIND: bad = add_filter(&o, "kind", optarg); break;
        case O_ANY: o.any = 1; break;
        case O_ALL: o.all = 1; break;
        case O_BY:
            o.by = as_by_parse(optarg);
            if (o.by < 0) {
                fprintf(stderr, "%s: --by: expected council, statement, theme, score or "
                        "year, got '%s'\n", prog, optarg);
                bad = 1;
            }
            break;
        case O_COUNT: o.count = 1; break;
        case O_EXPLAIN: o.explain = 1; break;
        case O_SUGGEST:
            if (!strcmp(optarg, "auto")) o.suggest_auto = 1;
            else if (!strcmp(optarg, "on") || !strcmp(optarg, "off")) o.suggest_auto = 0;
            else {
                fprintf(stderr, "%s: --suggest: expected auto\n", prog);
                bad = 1;
            }
            break;
        case O_LIST: o.list = optarg; break;
        case O_STATS: o.stats = 1; break;
        case O_STOP: o.stopwords = 1; break;
        case O_NOSTOP: o.stopwords = 0; break;
        case O_BATCH: o.batch = 1; break;
        case O_TAG: o.tag = optarg; break;
        case O_K1: bad = parse_double("--k1", optarg, 0, 1e6, &o.bm25.k1); break;
        case O_B: bad = parse_double("--b", optarg, 0, 1, &o.bm25.b); break;
        case O_MINNORM:
            bad = parse_double("--min-normlen", optarg, 0, 1e6, &o.bm25.min_normlen);
            break;
        case O_ENGINE:
            if (!strcmp(optarg, "xapian")) o.xapian = 1;
            else if (!strcmp(optarg, "native")) o.xapian = 0;
            else {
                fprintf(stderr, "%s: --engine: expected native or xapian\n", prog);
                bad = 1;
            }
            break;
        case 'h': usage(stdout); return 0;
        case O_VERSION: printf("assess-search %s\n", AS_VERSION); return 0;
        default: usage(stderr); bad = 1; break;
        }
    }
    if (bad)
        return EXIT_ERR;
    signal(SIGPIPE, SIG_IGN);
    int info = o.stats || o.list;
    if (!o.batch && !info && optind >= argc && o.nfilters == 0) {
        usage(stderr);
        return EXIT_ERR;
    }
    if (o.xapian && (info || o.explain || o.context_set)) {
        fprintf(stderr, "%s: --stats, --list, --explain and -C need the native engine\n", prog);
        return EXIT_ERR;
    }
    /* The query: the words joined by spaces. */
    size_t qlen = 1;
    for (int i = optind; i < argc; i++)
        qlen += strlen(argv[i]) + 1;
    char *qtext = malloc(qlen);
    if (!qtext) {
        fprintf(stderr, "%s: out of memory\n", prog);
        return EXIT_ERR;
    }
    qtext[0] = '\0';
    for (int i = optind; i < argc; i++) {
        if (i > optind)
            strcat(qtext, " ");
        strcat(qtext, argv[i]);
    }

    char indexdir[4096];
    as_err err = {0};
    session s;
    memset(&s, 0, sizeof s);
    as_render r;
    memset(&r, 0, sizeof r);
    int status = EXIT_ERR;
    if (as_gen_default_dir(o.index, indexdir, sizeof indexdir, &err) != AS_OK) {
        fprintf(stderr, "%s: %s\n", prog, err.msg);
        goto out;
    }
    if (!getcwd(s.cwd, sizeof s.cwd))
        s.cwd[0] = '\0';
    if (as_analyzer_new(&s.an) != AS_OK) {
        fprintf(stderr, "%s: out of memory\n", prog);
        goto out;
    }
    if (o.xapian) {
        if (as_xplugin_load(&s.xp, &s.xph, &err) != AS_OK) {
            fprintf(stderr, "%s: --engine xapian: %s\n", prog, err.msg);
            goto out;
        }
        /* An export directory (assess-index --xapian DIR) is searched
         * through the stub it holds, so DIR and DIR/STUB both work. */
        char stub[sizeof indexdir];
        struct stat st;
        int n = snprintf(stub, sizeof stub, "%s/STUB", indexdir);
        if (n > 0 && (size_t)n < sizeof stub && stat(stub, &st) == 0 && S_ISREG(st.st_mode))
            memcpy(indexdir, stub, (size_t)n + 1);
        if (s.xp->search_open(indexdir, &s.xs, &err) != AS_OK) {
            fprintf(stderr, "%s: %s\n", prog, err.msg);
            goto out;
        }
        s.lexp = s.xp->search_lexicon(s.xs);
    } else {
        int rc = as_index_open(indexdir, &s.ix, &err);
        if (rc == AS_ENOTFOUND) {
            fprintf(stderr, "%s: no index at %s: build one with 'assess-index%s%s CORPUS'\n",
                    prog, indexdir, o.index ? " --index " : "", o.index ? o.index : "");
            goto out;
        }
        if (rc != AS_OK) {
            fprintf(stderr, "%s: %s\n", prog, err.msg);
            goto out;
        }
        if (as_engine_new(s.ix, &s.eng) != AS_OK) {
            fprintf(stderr, "%s: out of memory\n", prog);
            goto out;
        }
        s.lex.ctx = s.ix;
        s.lex.each_prefix = native_each_prefix;
        s.lex.acronyms = as_index_acronyms(s.ix);
        s.lexp = &s.lex;
    }
    if (o.stats) {
        status = run_stats(&s, &o);
        goto out;
    }
    if (o.list) {
        status = run_list(&s, &o);
        goto out;
    }

    r.out = stdout;
    r.format = o.format;
    if (o.color < 0)
        r.color = isatty(STDOUT_FILENO) && !getenv("NO_COLOR") && o.format == AS_OUT_TEXT;
    else
        r.color = o.color && o.format == AS_OUT_TEXT;
    r.an = s.an;
    if (o.format == AS_OUT_TEXT && isatty(STDOUT_FILENO)) {
        /* Long sentences wrap at word boundaries on a terminal only;
         * piped output keeps one line per sentence for grep and friends. */
        struct winsize ws;
        if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col >= 20)
            r.width = ws.ws_col;
    }
    if (o.format == AS_OUT_CSV && !o.batch && !o.count && !o.by
        && as_render_csv_header(&r) != AS_OK)
        goto out;
    status = o.batch ? run_batch(&s, &o, &r) : run_query(&s, &o, qtext, &r, NULL);
    if (fflush(stdout) != 0 && errno != EPIPE) {
        fprintf(stderr, "%s: write error: %s\n", prog, strerror(errno));
        status = EXIT_ERR;
    }
out:
    free(r.brk);
    as_docbuf_free(&s.db);
    as_engine_free(s.eng);
    if (s.xp)
        s.xp->search_close(s.xs);
    as_analyzer_free(s.an);
    as_index_close(s.ix);
    as_xplugin_unload(s.xph);
    free(qtext);
    return status;
}
