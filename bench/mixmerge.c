/*
 * mixmerge.c — pools the samples of several rounds of one in-process timer
 * (inproc, fts5_peer bench, xapian_peer bench, each run with -r ROUNDS)
 * into the statistics those timers print without -r (mix.h: mix_time).
 *
 *   mixmerge FILE...
 * FILE lines: "name hits t1 t2 ..." or "name -" (no such query), tabs
 * between the first fields.  Prints "name median_us p95_us hits" per query
 * in the order first seen ("name - - -" when no round ran it), then the
 * ALL line over every sample.  The hits of a query must agree across the
 * rounds: a timer that answered differently is an error, not an average.
 */
#include "mix.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct qsamples {
    char name[64];
    char hits[32]; /* as written; "" until a round ran it */
    double *t;
    size_t n, cap;
} qsamples;

typedef struct merge {
    qsamples *q;
    size_t n, cap;
} merge;

static qsamples *find(merge *mg, const char *name)
{
    for (size_t i = 0; i < mg->n; i++)
        if (strcmp(mg->q[i].name, name) == 0)
            return &mg->q[i];
    if (mg->n == mg->cap) {
        size_t nc = mg->cap ? 2 * mg->cap : 32;
        qsamples *nq = realloc(mg->q, nc * sizeof *nq);
        if (!nq)
            return NULL;
        mg->q = nq;
        mg->cap = nc;
    }
    qsamples *s = &mg->q[mg->n++];
    memset(s, 0, sizeof *s);
    snprintf(s->name, sizeof s->name, "%s", name);
    return s;
}

static int add(qsamples *s, double v)
{
    if (s->n == s->cap) {
        size_t nc = s->cap ? 2 * s->cap : 256;
        double *nt = realloc(s->t, nc * sizeof *nt);
        if (!nt)
            return -1;
        s->t = nt;
        s->cap = nc;
    }
    s->t[s->n++] = v;
    return 0;
}

/* One line of FILE (modified in place): 0, or -1 with a message. */
static int take_line(merge *mg, const char *file, size_t lineno, char *line)
{
    char *name = line, *hits = strchr(line, '\t'), *ts;
    if (!hits) {
        fprintf(stderr, "mixmerge: %s:%zu: no tab\n", file, lineno);
        return -1;
    }
    *hits++ = '\0';
    if ((ts = strchr(hits, '\t')))
        *ts++ = '\0';
    qsamples *s = find(mg, name);
    if (!s) {
        fprintf(stderr, "mixmerge: out of memory\n");
        return -1;
    }
    if (strcmp(hits, "-") == 0)
        return 0;
    if (s->hits[0] && strcmp(s->hits, hits) != 0) {
        fprintf(stderr, "mixmerge: %s:%zu: %s: %s hits, another round had %s\n", file, lineno,
                name, hits, s->hits);
        return -1;
    }
    snprintf(s->hits, sizeof s->hits, "%s", hits);
    for (char *p = ts; p && *p;) {
        char *e;
        double v = strtod(p, &e);
        if (e == p || v < 0) {
            fprintf(stderr, "mixmerge: %s:%zu: %s: bad sample\n", file, lineno, name);
            return -1;
        }
        if (add(s, v) != 0) {
            fprintf(stderr, "mixmerge: out of memory\n");
            return -1;
        }
        p = e + strspn(e, " \n");
    }
    return 0;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: mixmerge FILE...\n");
        return 2;
    }
    merge mg = {0};
    char *line = NULL;
    size_t cap = 0;
    int rc = 0;
    for (int a = 1; a < argc && rc == 0; a++) {
        FILE *f = fopen(argv[a], "r");
        if (!f) {
            perror(argv[a]);
            rc = 2;
            break;
        }
        size_t lineno = 0;
        while (rc == 0 && getline(&line, &cap, f) > 0) {
            lineno++;
            line[strcspn(line, "\n")] = '\0';
            if (line[0] && take_line(&mg, argv[a], lineno, line) != 0)
                rc = 2;
        }
        if (ferror(f)) {
            perror(argv[a]);
            rc = 2;
        }
        fclose(f);
    }
    free(line);
    mixpool pool = {0};
    for (size_t i = 0; i < mg.n && rc == 0; i++) {
        qsamples *s = &mg.q[i];
        if (!s->hits[0] || s->n == 0) {
            printf("%s\t-\t-\t-\n", s->name);
            continue;
        }
        if (mix_print_stats(&pool, s->name, s->t, s->n, s->hits) != 0) {
            rc = 2;
            break;
        }
        putchar('\n');
    }
    if (rc == 0)
        mixpool_finish(&pool);
    free(pool.t);
    for (size_t i = 0; i < mg.n; i++)
        free(mg.q[i].t);
    free(mg.q);
    return rc;
}
