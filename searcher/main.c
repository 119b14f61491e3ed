/*
 * main.c — assess-search: the command line.  Parses options and the query,
 * runs it on the native engine, prints hits through render.c.
 * Exit status like grep: 0 hits, 1 none, 2 error.
 */
#include "analyze.h"
#include "engine.h"
#include "generation.h"
#include "index.h"
#include "query.h"
#include "render.h"

#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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
"  -n, --limit N       show N hits (default 10)      --offset N  skip N hits\n"
"  --json | --csv      JSON Lines | CSV instead of text\n"
"  --council NAME  --statement S  --theme T  --score S  --year Y  --kind K\n"
"  --any               any word may match (ranked by BM25)\n"
"  --all               list every copy of a repeated sentence\n"
"  --batch             read qid<TAB>query lines, write a TREC run (--any)\n"
"  --color WHEN        auto, always or never (NO_COLOR is honoured)\n"
"  --index PATH        index directory (default $ASSESS_INDEX, else\n"
"                      $XDG_DATA_HOME/assess-search/index)\n"
"  --k1 X --b X --min-normlen X   BM25 parameters\n"
"  -h, --help          this help       --version   the version\n"
"\n"
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

typedef struct opts {
    const char *index;
    size_t limit, offset;
    int limit_set;
    int format;
    int color;          /* -1 auto */
    int any, all, batch;
    const char *tag;
    as_bm25 bm25;
    char *filters;      /* option forms, as query text */
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

static int parse_double(const char *name, const char *s, double min, double *out)
{
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (errno || end == s || *end || !isfinite(v) || v < min) {
        fprintf(stderr, "%s: %s: expected a number >= %g, got '%s'\n", prog, name, min, s);
        return -1;
    }
    *out = v;
    return 0;
}

/* Appends `field:"value"` to the option-form filter text. */
static int add_filter(opts *o, const char *field, const char *value)
{
    if (strchr(value, '"')) {
        fprintf(stderr, "%s: --%s: a value may not contain '\"'\n", prog, field);
        return -1;
    }
    size_t old = o->filters ? strlen(o->filters) : 0;
    size_t n = old + strlen(field) + strlen(value) + 5;
    char *s = realloc(o->filters, n);
    if (!s) {
        fprintf(stderr, "%s: out of memory\n", prog);
        return -1;
    }
    snprintf(s + old, n - old, " %s:\"%s\"", field, value);
    o->filters = s;
    return 0;
}

/* ---- running one query --------------------------------------------------- */

typedef struct session {
    as_index *ix;
    as_analyzer *an;
    as_engine *eng;
    as_lexicon lex;
    as_docbuf db;
} session;

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

static int fill_hitrec(session *s, uint32_t doc, as_hitrec *h)
{
    as_docrec d;
    int rc = as_index_doc(s->ix, doc, &s->db, &d);
    if (rc != AS_OK)
        return rc;
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
            h->path = fs.display;
    }
    if (!h->path)
        h->path = "?";
    h->section = d.section;
    h->kind = d.kind;
    h->text = d.text;
    h->line = d.line;
    h->paragraph = d.paragraph;
    h->sentence = d.sentence;
    return AS_OK;
}

static int run_query(session *s, const opts *o, const char *qtext, as_render *r,
                     const char *batch_qid)
{
    as_err err = {0};
    as_query *q = NULL;
    as_query_opts qo = {0};
    qo.any = o->any || batch_qid != NULL;
    int rc = as_query_parse(qtext, strlen(qtext), s->an, &s->lex, &qo, &q, &err);
    if (rc != AS_OK) {
        fprintf(stderr, "%s: %s\n", prog, err.msg);
        return EXIT_ERR;
    }
    if (q->truncated_prefix)
        fprintf(stderr, "%s: a prefix matched too many words; using the first %u\n", prog,
                1000u);
    rc = as_engine_bind(s->eng, q);
    if (rc != AS_OK) {
        fprintf(stderr, "%s: %s\n", prog, as_engine_errmsg(s->eng));
        as_query_free(q);
        return EXIT_ERR;
    }
    as_search_opts so;
    as_search_opts_default(&so);
    so.bm25 = o->bm25;
    so.offset = o->offset;
    so.limit = o->limit_set ? o->limit : (batch_qid ? 1000 : 10);
    so.collapse = !o->all && !batch_qid;
    as_hits hits = {0};
    rc = as_engine_search(s->eng, q, &so, &hits);
    int partial = 0;
    if (rc == AS_OK && hits.n == 0 && !qo.any && count_positive_words(q->root) > 1) {
        /* Nothing has every word: say so, then show the best partial matches. */
        as_query *rq = NULL;
        if (as_query_relax(q, &rq, &err) == AS_OK) {
            as_hits_free(&hits);
            memset(&hits, 0, sizeof hits);
            if (as_engine_bind(s->eng, rq) == AS_OK)
                rc = as_engine_search(s->eng, rq, &so, &hits);
            as_query_free(rq);
            if (rc == AS_OK && hits.n > 0) {
                partial = 1;
                fprintf(stderr, "%s: no sentence has all the words; best partial matches:\n",
                        prog);
            }
        }
    }
    if (rc != AS_OK) {
        fprintf(stderr, "%s: %s\n", prog, as_engine_errmsg(s->eng));
        as_query_free(q);
        as_hits_free(&hits);
        return EXIT_ERR;
    }
    const char **terms = NULL;
    size_t nt = 0, cap = 0;
    collect_terms(q->root, &terms, &nt, &cap);
    r->terms = terms;
    r->nterms = nt;
    int status = hits.n > 0 && !partial ? 0 : EXIT_NONE;
    for (size_t i = 0; i < hits.n; i++) {
        as_hitrec h;
        rc = fill_hitrec(s, hits.hits[i].doc, &h);
        if (rc != AS_OK) {
            fprintf(stderr, "%s: %s\n", prog, as_index_errmsg(s->ix));
            status = EXIT_ERR;
            break;
        }
        h.rank = o->offset + i + 1;
        h.weight = hits.hits[i].weight;
        h.reports = hits.hits[i].reports ? hits.hits[i].reports : 1;
        if (batch_qid) {
            char idbuf[16];
            const char *id = h.id;
            if (!id) {
                snprintf(idbuf, sizeof idbuf, "%u", hits.hits[i].doc);
                id = idbuf;
            }
            printf("%s Q0 %s %zu %.9f %s\n", batch_qid, id, h.rank, h.weight,
                   o->tag ? o->tag : "assess-search");
            continue;
        }
        if (as_render_hit(r, &h) != AS_OK) {
            status = EXIT_ERR;
            break;
        }
    }
    if (status != EXIT_ERR && !batch_qid && r->format == AS_OUT_TEXT && hits.n > 0) {
        const as_acrotab *t = s->lex.acronyms;
        for (size_t i = 0; t && i < q->nacronyms_used; i++) {
            const as_acronym *a = as_acrotab_get(t, (size_t)q->acronyms_used[i]);
            if (a)
                fprintf(r->out, "%s(%s = %s)\n", i == 0 ? "\n" : "", a->acro, a->expansion);
        }
    }
    free(terms);
    r->terms = NULL;
    r->nterms = 0;
    as_hits_free(&hits);
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

int main(int argc, char **argv)
{
    enum { O_INDEX = 256, O_OFFSET, O_JSON, O_CSV, O_COLOR, O_COUNCIL, O_STATEMENT,
           O_THEME, O_SCORE, O_YEAR, O_KIND, O_ANY, O_ALL, O_BATCH, O_TAG, O_K1, O_B,
           O_MINNORM, O_VERSION, O_ENGINE };
    static const struct option lopts[] = {
        {"index", required_argument, NULL, O_INDEX},
        {"limit", required_argument, NULL, 'n'},
        {"offset", required_argument, NULL, O_OFFSET},
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
    as_search_opts defaults;
    as_search_opts_default(&defaults);
    o.bm25 = defaults.bm25;
    int c, bad = 0;
    while (!bad && (c = getopt_long(argc, argv, "n:h", lopts, NULL)) != -1) {
        switch (c) {
        case O_INDEX: o.index = optarg; break;
        case 'n':
            bad = parse_size("--limit", optarg, 1000000, &o.limit);
            o.limit_set = 1;
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
        case O_BATCH: o.batch = 1; break;
        case O_TAG: o.tag = optarg; break;
        case O_K1: bad = parse_double("--k1", optarg, 0, &o.bm25.k1); break;
        case O_B:
            bad = parse_double("--b", optarg, 0, &o.bm25.b);
            if (!bad && o.bm25.b > 1) {
                fprintf(stderr, "%s: --b: expected a number from 0 to 1\n", prog);
                bad = 1;
            }
            break;
        case O_MINNORM: bad = parse_double("--min-normlen", optarg, 0, &o.bm25.min_normlen); break;
        case O_ENGINE:
            if (strcmp(optarg, "native") != 0) {
                fprintf(stderr, "%s: --engine: only 'native' is available in this build\n",
                        prog);
                bad = 1;
            }
            break;
        case 'h': usage(stdout); free(o.filters); return 0;
        case O_VERSION: printf("assess-search %s\n", AS_VERSION); free(o.filters); return 0;
        default: usage(stderr); bad = 1; break;
        }
    }
    if (bad) {
        free(o.filters);
        return EXIT_ERR;
    }
    signal(SIGPIPE, SIG_IGN);
    if (!o.batch && optind >= argc && !o.filters) {
        usage(stderr);
        return EXIT_ERR;
    }
    /* The query: the words joined by spaces, then the option-form filters. */
    size_t qlen = 1 + (o.filters ? strlen(o.filters) : 0);
    for (int i = optind; i < argc; i++)
        qlen += strlen(argv[i]) + 1;
    char *qtext = malloc(qlen);
    if (!qtext) {
        fprintf(stderr, "%s: out of memory\n", prog);
        free(o.filters);
        return EXIT_ERR;
    }
    qtext[0] = '\0';
    for (int i = optind; i < argc; i++) {
        if (i > optind)
            strcat(qtext, " ");
        strcat(qtext, argv[i]);
    }
    if (o.filters)
        strcat(qtext, o.filters);

    char indexdir[4096];
    as_err err = {0};
    session s;
    memset(&s, 0, sizeof s);
    int status = EXIT_ERR;
    if (as_gen_default_dir(o.index, indexdir, sizeof indexdir, &err) != AS_OK) {
        fprintf(stderr, "%s: %s\n", prog, err.msg);
        goto out;
    }
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
    if (as_analyzer_new(&s.an) != AS_OK || as_engine_new(s.ix, &s.eng) != AS_OK) {
        fprintf(stderr, "%s: out of memory\n", prog);
        goto out;
    }
    s.lex.ctx = s.ix;
    s.lex.each_prefix = native_each_prefix;
    s.lex.acronyms = as_index_acronyms(s.ix);

    as_render r;
    memset(&r, 0, sizeof r);
    r.out = stdout;
    r.format = o.format;
    if (o.color < 0)
        r.color = isatty(STDOUT_FILENO) && !getenv("NO_COLOR") && o.format == AS_OUT_TEXT;
    else
        r.color = o.color && o.format == AS_OUT_TEXT;
    r.an = s.an;
    if (o.format == AS_OUT_CSV && !o.batch && as_render_csv_header(&r) != AS_OK)
        goto out;
    status = o.batch ? run_batch(&s, &o, &r) : run_query(&s, &o, qtext, &r, NULL);
    if (fflush(stdout) != 0 && errno != EPIPE) {
        fprintf(stderr, "%s: write error: %s\n", prog, strerror(errno));
        status = EXIT_ERR;
    }
out:
    as_docbuf_free(&s.db);
    as_engine_free(s.eng);
    as_analyzer_free(s.an);
    as_index_close(s.ix);
    free(qtext);
    free(o.filters);
    return status;
}
