/*
 * mix.c — loading the benchmark query mix and computing latency statistics
 * (see mix.h).
 */
#include "mix.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static void field(char *dst, size_t cap, const char *s, size_t len)
{
    if (len == 1 && s[0] == '-')
        len = 0;
    if (len >= cap)
        len = cap - 1;
    memcpy(dst, s, len);
    dst[len] = '\0';
}

int mix_load(const char *path, mix *m)
{
    m->q = NULL;
    m->n = 0;
    FILE *f = fopen(path, "r");
    if (!f) {
        fprintf(stderr, "%s: %s\n", path, strerror(errno));
        return -1;
    }
    char line[4096];
    size_t cap = 0, lineno = 0;
    while (fgets(line, sizeof line, f)) {
        lineno++;
        size_t l = strlen(line);
        while (l && (line[l - 1] == '\n' || line[l - 1] == '\r'))
            line[--l] = '\0';
        if (lineno == 1 || l == 0 || line[0] == '#')
            continue;
        if (m->n == cap) {
            cap = cap ? cap * 2 : 32;
            mixq *nq = realloc(m->q, cap * sizeof *nq);
            if (!nq) {
                fclose(f);
                mix_free(m);
                return -1;
            }
            m->q = nq;
        }
        mixq *q = &m->q[m->n];
        memset(q, 0, sizeof *q);
        char *dst[6] = {q->name, q->cls, q->assess, q->fts5, q->where, q->xapian};
        size_t caps[6] = {sizeof q->name, sizeof q->cls, sizeof q->assess,
                          sizeof q->fts5, sizeof q->where, sizeof q->xapian};
        char *a = line;
        for (int c = 0; c < 6; c++) {
            char *b = strchr(a, '\t');
            field(dst[c], caps[c], a, b ? (size_t)(b - a) : strlen(a));
            if (!b)
                break;
            a = b + 1;
        }
        if (q->name[0])
            m->n++;
    }
    fclose(f);
    return 0;
}

void mix_free(mix *m)
{
    free(m->q);
    m->q = NULL;
    m->n = 0;
}

static int cmp_d(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

void mix_stats(double *t, size_t n, double *median, double *p95)
{
    if (n == 0) {
        *median = *p95 = 0;
        return;
    }
    qsort(t, n, sizeof *t, cmp_d);
    *median = n % 2 ? t[n / 2] : (t[n / 2 - 1] + t[n / 2]) / 2;
    size_t k = (95 * n + 99) / 100; /* nearest rank: ceil(0.95 n) */
    *p95 = t[k ? k - 1 : 0];
}

int mixpool_add(mixpool *p, const double *t, size_t n)
{
    if (p->n + n > p->cap) {
        size_t nc = p->cap ? p->cap : 1024;
        while (nc < p->n + n)
            nc *= 2;
        double *nt = realloc(p->t, nc * sizeof *nt);
        if (!nt)
            return -1;
        p->t = nt;
        p->cap = nc;
    }
    memcpy(p->t + p->n, t, n * sizeof *t);
    p->n += n;
    return 0;
}

void mixpool_finish(mixpool *p)
{
    double med, p95;
    mix_stats(p->t, p->n, &med, &p95);
    printf("ALL\t%.1f\t%.1f\t%zu\n", med, p95, p->n);
    free(p->t);
    p->t = NULL;
    p->n = p->cap = 0;
}

static int parse_long(const char *s, long lo, long hi, long *v)
{
    char *e;
    errno = 0;
    *v = strtol(s, &e, 10);
    return *e || e == s || errno || *v < lo || *v > hi ? -1 : 0;
}

int mix_args(int argc, char **argv, int *a, int extra, mix_opts *o, const char *prog)
{
    long v;
    if (*a + 1 < argc && strcmp(argv[*a], "-r") == 0) {
        if (parse_long(argv[*a + 1], 1, 1000, &v) != 0) {
            fprintf(stderr, "%s: bad round count '%s'\n", prog, argv[*a + 1]);
            return -1;
        }
        o->rounds = (int)v;
        *a += 2;
    }
    if (argc - *a != 3 && argc - *a != 3 + extra)
        return 1;
    if (parse_long(argv[*a + 2], 1, 10000000, &v) != 0) {
        fprintf(stderr, "%s: bad iteration count '%s'\n", prog, argv[*a + 2]);
        return -1;
    }
    o->iters = v;
    return 0;
}

double mix_now_us(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec * 1e6 + (double)t.tv_nsec / 1e3;
}

const char *mix_text(const mixq *q, mix_form f)
{
    return f == MIX_FTS5 ? q->fts5 : f == MIX_XAPIAN ? q->xapian : q->assess;
}

/* The timing state of one query: its samples (run times, then each phase's
 * times: iters slots each) and the time spent so far. */
typedef struct mixslot {
    double *t;
    long n;
    double spent;
    size_t hits;
} mixslot;

int mix_print_stats(mixpool *p, const char *name, double *t, size_t n, const char *hits)
{
    if (mixpool_add(p, t, n) != 0) {
        fprintf(stderr, "mix: out of memory\n");
        return -1;
    }
    double med, p95;
    mix_stats(t, n, &med, &p95);
    printf("%s\t%.1f\t%.1f\t%s", name, med, p95, hits);
    return 0;
}

/* mix_time's line for query q (mix.h says which); 0 or -1. */
static int print_slot(const mix_opts *o, const mixq *q, int has, mixslot *s, mixpool *pool)
{
    if (!has) {
        printf(o->rounds ? "%s\t-\n" : "%s\t-\t-\t-\n", q->name);
        return 0;
    }
    if (o->rounds) {
        printf("%s\t%zu\t", q->name, s->hits);
        for (long i = 0; i < s->n; i++)
            printf(i ? " %.2f" : "%.2f", s->t[i]);
        putchar('\n');
        return 0;
    }
    char hits[32];
    snprintf(hits, sizeof hits, "%zu", s->hits);
    if (mix_print_stats(pool, q->name, s->t, (size_t)s->n, hits) != 0)
        return -1;
    for (int k = 0; k < o->nph; k++) {
        double med, p95;
        mix_stats(s->t + (size_t)(k + 1) * (size_t)o->iters, (size_t)s->n, &med, &p95);
        printf("\t%.1f", med);
    }
    putchar('\n');
    return 0;
}

int mix_time(const mix *m, const mix_opts *o, mix_run_fn fn, void *ctx)
{
    int rounds = o->rounds > 0 ? o->rounds : 1;
    double budget = MIX_BUDGET_US / rounds;
    long min = (MIX_MIN_ITERS + rounds - 1) / rounds;
    mixslot s = {0};
    s.t = malloc((size_t)o->iters * (size_t)(1 + o->nph) * sizeof *s.t);
    if (!s.t) {
        fprintf(stderr, "mix: out of memory\n");
        return -1;
    }
    mixpool pool = {0};
    int rc = 0;
    for (size_t q = 0; q < m->n && rc == 0; q++) {
        const mixq *mq = &m->q[q];
        if (o->only && strcmp(mq->name, o->only) != 0)
            continue;
        s.n = 0;
        s.spent = 0;
        s.hits = 0;
        const int has = mix_text(mq, o->form)[0] != '\0';
        double ph[MIX_MAX_PH];
        if (has)
            rc = fn(ctx, mq, &s.hits, ph); /* the warm-up, untimed */
        for (long i = 0; has && i < o->iters && rc == 0; i++) {
            if (i >= min && s.spent > budget)
                break;
            double t0 = mix_now_us();
            rc = fn(ctx, mq, &s.hits, ph);
            double dt = mix_now_us() - t0;
            s.t[i] = dt;
            for (int k = 0; k < o->nph; k++)
                s.t[(size_t)(k + 1) * (size_t)o->iters + (size_t)i] = ph[k];
            s.n = i + 1;
            s.spent += dt;
        }
        if (rc == 0)
            rc = print_slot(o, mq, has, &s, &pool);
    }
    if (rc == 0 && !o->rounds)
        mixpool_finish(&pool);
    free(pool.t); /* when an error left it unfinished */
    free(s.t);
    return rc;
}
