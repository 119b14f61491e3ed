/*
 * mix.c — loading the benchmark query mix and computing latency statistics
 * (see mix.h).
 */
#include "mix.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
