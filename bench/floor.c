/*
 * floor.c — the tokenise-and-stem floor of an index build: reads every
 * sentence of a corpus tree (.tsv) and runs the project's analyzer
 * (common/analyze.h) over its text, doing nothing with the terms.  An index
 * build cannot be faster than this on the same threads, so the benchmark
 * states build times as multiples of it.
 *
 *   floor [-t THREADS] DIR
 * prints: files sentences tokens text_bytes wall_s cpu_s
 */
#include "analyze.h"
#include "tsvwalk.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

typedef struct shared {
    char **paths;
    size_t npaths;
    atomic_size_t next; /* next file to take */
} shared;

typedef struct worker {
    shared *sh;
    as_analyzer *an;
    uint64_t sentences, tokens, bytes;
    int rc;
    pthread_t tid;
} worker;

static int on_row(void *ctx, const tw_row *row)
{
    worker *w = ctx;
    const as_token *toks;
    size_t n;
    if (as_analyze(w->an, row->f[TW_TEXT] ? row->f[TW_TEXT] : "", row->len[TW_TEXT],
                   &toks, &n) != AS_OK)
        return -1;
    w->sentences++;
    w->tokens += n;
    w->bytes += row->len[TW_TEXT] + 1;
    return 0;
}

static void *run(void *arg)
{
    worker *w = arg;
    for (;;) {
        size_t i = atomic_fetch_add(&w->sh->next, 1);
        if (i >= w->sh->npaths)
            break;
        if (tw_file(w->sh->paths[i], on_row, w) != 0) {
            w->rc = -1;
            break;
        }
    }
    return NULL;
}

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
    long threads = 1;
    int a = 1;
    if (argc >= 3 && strcmp(argv[1], "-t") == 0) {
        char *e;
        errno = 0;
        threads = strtol(argv[2], &e, 10);
        if (*e || e == argv[2] || errno || threads < 1 || threads > 256) {
            fprintf(stderr, "floor: bad thread count '%s'\n", argv[2]);
            return 2;
        }
        a = 3;
    }
    if (argc - a != 1) {
        fprintf(stderr, "usage: floor [-t THREADS] DIR\n");
        return 2;
    }
    double t0 = now();
    shared sh = {0};
    if (tw_list(argv[a], &sh.paths, &sh.npaths) != 0)
        return 2;
    worker *w = calloc((size_t)threads, sizeof *w);
    if (!w)
        return 2;
    int rc = 0;
    for (long i = 0; i < threads; i++) {
        w[i].sh = &sh;
        if (as_analyzer_new(&w[i].an) != AS_OK) {
            fprintf(stderr, "floor: cannot create analyzer\n");
            return 2;
        }
        if (threads > 1 && pthread_create(&w[i].tid, NULL, run, &w[i]) != 0) {
            fprintf(stderr, "floor: cannot start thread\n");
            return 2;
        }
    }
    if (threads == 1)
        run(&w[0]);
    uint64_t s = 0, t = 0, b = 0;
    for (long i = 0; i < threads; i++) {
        if (threads > 1)
            pthread_join(w[i].tid, NULL);
        rc |= w[i].rc;
        s += w[i].sentences;
        t += w[i].tokens;
        b += w[i].bytes;
        as_analyzer_free(w[i].an);
    }
    double wall = now() - t0;
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    double cpu = (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6
                 + (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
    printf("files %zu sentences %llu tokens %llu text_bytes %llu wall_s %.3f cpu_s %.3f\n",
           sh.npaths, (unsigned long long)s, (unsigned long long)t,
           (unsigned long long)b, wall, cpu);
    tw_free_list(sh.paths, sh.npaths);
    free(w);
    return rc ? 2 : 0;
}
