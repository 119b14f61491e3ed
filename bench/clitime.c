/*
 * clitime.c — whole-process wall time of a command, the way a user meets
 * it: fork, exec, wait, repeated; output to /dev/null.  Takes the argv
 * directly (no shell, no quoting) so that queries with quotes and spaces
 * reach each program exactly as written in bench/queries.tsv.
 *
 *   clitime RUNS WARMUP -- COMMAND [ARG...]
 * prints: median_us p95_us min_us max_us status
 * (status: the command's exit status in the last run; 0/1 are the normal
 * "hits"/"no hits" of the programs measured).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "mix.h"

static double now_us(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec * 1e6 + (double)t.tv_nsec / 1e3;
}

/* Runs argv once; returns its exit status, or -1 if it could not run. */
static int run(char **argv)
{
    pid_t pid = fork();
    if (pid < 0)
        return -1;
    if (pid == 0) {
        int fd = open("/dev/null", O_WRONLY);
        if (fd >= 0) {
            dup2(fd, 1);
            dup2(fd, 2);
            close(fd);
        }
        execvp(argv[0], argv);
        _exit(127);
    }
    int st;
    while (waitpid(pid, &st, 0) < 0)
        if (errno != EINTR)
            return -1;
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static long num(const char *s, long lo, long hi)
{
    char *e;
    errno = 0;
    long v = strtol(s, &e, 10);
    if (*e || e == s || errno || v < lo || v > hi)
        return -1;
    return v;
}

int main(int argc, char **argv)
{
    if (argc < 5 || strcmp(argv[3], "--") != 0) {
        fprintf(stderr, "usage: clitime RUNS WARMUP -- COMMAND [ARG...]\n");
        return 2;
    }
    long runs = num(argv[1], 1, 100000), warm = num(argv[2], 0, 100000);
    if (runs < 0 || warm < 0) {
        fprintf(stderr, "clitime: bad count\n");
        return 2;
    }
    char **cmd = argv + 4;
    int status = 0;
    for (long i = 0; i < warm; i++)
        if ((status = run(cmd)) < 0 || status > 1) {
            fprintf(stderr, "clitime: %s: exit status %d\n", cmd[0], status);
            return 2;
        }
    double *t = malloc((size_t)runs * sizeof *t);
    if (!t)
        return 2;
    for (long i = 0; i < runs; i++) {
        double t0 = now_us();
        status = run(cmd);
        t[i] = now_us() - t0;
        if (status < 0 || status > 1) {
            fprintf(stderr, "clitime: %s: exit status %d\n", cmd[0], status);
            free(t);
            return 2;
        }
    }
    double med, p95;
    mix_stats(t, (size_t)runs, &med, &p95); /* sorts t */
    printf("%.1f %.1f %.1f %.1f %d\n", med, p95, t[0], t[runs - 1], status);
    free(t);
    return 0;
}
