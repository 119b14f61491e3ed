/*
 * tsvwalk.c — listing and reading the .tsv files of a corpus tree for the
 * benchmark programs (see tsvwalk.h).  Rows with more fields than the
 * header are skipped, as assess-index skips them.
 */
#include "tsvwalk.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

typedef struct list {
    char **p;
    size_t n, cap;
} list;

static int push(list *l, const char *s)
{
    if (l->n == l->cap) {
        size_t nc = l->cap ? l->cap * 2 : 256;
        char **np = realloc(l->p, nc * sizeof *np);
        if (!np)
            return -1;
        l->p = np;
        l->cap = nc;
    }
    if (!(l->p[l->n] = strdup(s)))
        return -1;
    l->n++;
    return 0;
}

static int ends_with(const char *s, const char *suf)
{
    size_t a = strlen(s), b = strlen(suf);
    return a >= b && strcmp(s + a - b, suf) == 0;
}

static int walk(const char *dir, list *l, int depth)
{
    if (depth > 32)
        return 0;
    DIR *d = opendir(dir);
    if (!d) {
        fprintf(stderr, "%s: %s\n", dir, strerror(errno));
        return -1;
    }
    struct dirent *e;
    int rc = 0;
    while (rc == 0 && (e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        size_t need = strlen(dir) + strlen(e->d_name) + 2;
        char *p = malloc(need);
        if (!p) {
            rc = -1;
            break;
        }
        snprintf(p, need, "%s/%s", dir, e->d_name);
        struct stat st;
        if (stat(p, &st) == 0) {
            if (S_ISDIR(st.st_mode))
                rc = walk(p, l, depth + 1);
            else if (S_ISREG(st.st_mode) && ends_with(p, ".tsv"))
                rc = push(l, p);
        }
        free(p);
    }
    closedir(d);
    return rc;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

void tw_free_list(char **paths, size_t n)
{
    for (size_t i = 0; paths && i < n; i++)
        free(paths[i]);
    free(paths);
}

int tw_list(const char *root, char ***paths, size_t *n)
{
    list l = {0};
    struct stat st;
    int rc;
    if (stat(root, &st) != 0) {
        fprintf(stderr, "%s: %s\n", root, strerror(errno));
        return -1;
    }
    rc = S_ISDIR(st.st_mode) ? walk(root, &l, 0) : push(&l, root);
    if (rc != 0) {
        tw_free_list(l.p, l.n);
        return -1;
    }
    qsort(l.p, l.n, sizeof *l.p, cmp_str);
    *paths = l.p;
    *n = l.n;
    return 0;
}

static const char *const colnames[TW_NCOLS] = {
    "council", "statement", "score", "published", "updated",
    "section", "kind", "id", "text",
};

int tw_file(const char *path, tw_row_fn fn, void *ctx)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "%s: %s\n", path, strerror(errno));
        return -1;
    }
    struct stat st;
    if (fstat(fileno(f), &st) != 0 || st.st_size < 0) {
        fclose(f);
        return -1;
    }
    size_t len = (size_t)st.st_size;
    char *buf = malloc(len + 1);
    if (!buf || fread(buf, 1, len, f) != len) {
        fprintf(stderr, "%s: read error\n", path);
        free(buf);
        fclose(f);
        return -1;
    }
    fclose(f);
    buf[len] = '\0';

    int col[64];
    size_t ncols = 0;
    int rc = 0, header = 1;
    char *p = buf, *end = buf + len;
    while (p < end && rc == 0) {
        char *nl = memchr(p, '\n', (size_t)(end - p));
        char *le = nl ? nl : end;
        if (le > p && le[-1] == '\r')
            le--;
        if (le > p) {
            tw_row row;
            memset(&row, 0, sizeof row);
            size_t c = 0;
            char *a = p;
            int skip = 0;
            for (;;) {
                char *b = memchr(a, '\t', (size_t)(le - a));
                char *fe = b ? b : le;
                if (header) {
                    if (c < 64) {
                        col[c] = -1;
                        for (int k = 0; k < TW_NCOLS; k++)
                            if ((size_t)(fe - a) == strlen(colnames[k])
                                && strncasecmp(a, colnames[k], (size_t)(fe - a)) == 0)
                                col[c] = k;
                    }
                } else if (c >= ncols) {
                    skip = 1;
                    break;
                } else if (col[c] >= 0) {
                    row.f[col[c]] = a;
                    row.len[col[c]] = (size_t)(fe - a);
                }
                c++;
                if (!b)
                    break;
                a = b + 1;
            }
            if (header) {
                ncols = c < 64 ? c : 64;
                header = 0;
            } else if (!skip) {
                rc = fn(ctx, &row);
            }
        }
        p = nl ? nl + 1 : end;
    }
    free(buf);
    return rc;
}

int tw_walk(const char *root, tw_row_fn fn, void *ctx, size_t *nfiles)
{
    char **paths;
    size_t n;
    if (tw_list(root, &paths, &n) != 0)
        return -1;
    int rc = 0;
    for (size_t i = 0; i < n && rc == 0; i++)
        rc = tw_file(paths[i], fn, ctx);
    tw_free_list(paths, n);
    if (nfiles)
        *nfiles = n;
    return rc;
}
