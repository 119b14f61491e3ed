/*
 * manifest.c — parsing MANIFEST.tsv: per-file metadata that outranks what
 * the pages say about themselves (format in manifest.h and assess-corpus(5)).
 */
#include "manifest.h"
#include "segment.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

enum { M_IGNORE, M_PATH, M_COUNCIL, M_STATEMENT, M_SCORE, M_PUBLISHED, M_UPDATED, M_N };
static const char *const mcols[M_N] = {
    NULL, "path", "council", "statement", "score", "published", "updated"
};

static void trim(const char **s, size_t *n)
{
    while (*n && (**s == ' ' || **s == '\t' || **s == '\r'))
        (*s)++, (*n)--;
    while (*n && ((*s)[*n - 1] == ' ' || (*s)[*n - 1] == '\t' || (*s)[*n - 1] == '\r'))
        (*n)--;
}

void as_manifest_rows_free(as_manifest_row *rows, size_t n)
{
    if (!rows)
        return;
    for (size_t i = 0; i < n; i++) {
        free(rows[i].path);
        free(rows[i].meta.council);
    }
    free(rows);
}

static void mwarn(as_warn_fn warn, void *ctx, const char *display, uint32_t line,
                  const char *what)
{
    char msg[400];
    snprintf(msg, sizeof msg, "line %u: %s", (unsigned)line, what);
    if (warn)
        warn(ctx, display, msg);
}

/* A plain-digit score 1..4 (the manifest is written by people who know
 * the score; labels are not accepted here). */
static int mscore(const char *s, size_t n)
{
    return n == 1 && s[0] >= '1' && s[0] <= '4' ? s[0] - '0' : 0;
}

static int valid_utf8(const char *s, size_t n)
{
    for (size_t i = 0; i < n;) {
        int ok;
        size_t k = as_utf8_next(s + i, n - i, &ok);
        if (!ok)
            return 0;
        i += k;
    }
    return 1;
}

int as_manifest_parse(const char *dir, const char *display, const char *buf, size_t len,
                      as_warn_fn warn, void *warn_ctx, as_manifest_row **rows,
                      size_t *nrows, size_t *cap)
{
    int col[64] = {0};
    size_t ncols = 0, pos = 0;
    uint32_t line = 0;
    int have_header = 0;
    if (len >= 3 && memcmp(buf, "\xEF\xBB\xBF", 3) == 0)
        pos = 3; /* byte-order mark */
    while (pos < len) {
        const char *e = memchr(buf + pos, '\n', len - pos);
        size_t end = e ? (size_t)(e - buf) : len;
        const char *s = buf + pos;
        size_t n = end - pos;
        pos = end + 1;
        line++;
        const char *ts = s;
        size_t tn = n;
        trim(&ts, &tn);
        if (tn == 0 || ts[0] == '#')
            continue; /* blank lines and comments */
        if (memchr(s, '\0', n) || !valid_utf8(s, n)) {
            mwarn(warn, warn_ctx, display, line, "not UTF-8 text; line skipped");
            continue;
        }
        /* Split into at most 64 fields. */
        const char *fv[64];
        size_t fl[64], nf = 0;
        for (size_t a = 0; a <= n && nf < 64;) {
            size_t b = a;
            while (b < n && s[b] != '\t')
                b++;
            fv[nf] = s + a;
            fl[nf] = b - a;
            trim(&fv[nf], &fl[nf]);
            nf++;
            a = b + 1;
        }
        if (!have_header) {
            int seen[M_N] = {0};
            ncols = nf;
            for (size_t c = 0; c < nf; c++)
                for (int k = 1; k < M_N; k++)
                    if (fl[c] == strlen(mcols[k]) && strncasecmp(fv[c], mcols[k], fl[c]) == 0
                        && !seen[k]) {
                        col[c] = k;
                        seen[k] = 1;
                    }
            if (!seen[M_PATH]) {
                mwarn(warn, warn_ctx, display, line,
                      "header has no \"path\" column; manifest ignored");
                return AS_OK;
            }
            have_header = 1;
            continue;
        }
        const char *v[M_N] = {0};
        size_t vl[M_N] = {0};
        for (size_t c = 0; c < nf && c < ncols; c++)
            if (col[c]) {
                v[col[c]] = fv[c];
                vl[col[c]] = fl[c];
            }
        as_manifest_row r = {0};
        r.line = line;
        char what[300];
        if (vl[M_PATH] == 0) {
            mwarn(warn, warn_ctx, display, line, "empty path; row skipped");
            continue;
        }
        if (v[M_PATH][0] == '/') {
            mwarn(warn, warn_ctx, display, line,
                  "absolute path (paths are relative to the manifest); row skipped");
            continue;
        }
        if (vl[M_STATEMENT] && !(r.meta.statement = as_statement_match(v[M_STATEMENT], vl[M_STATEMENT]))) {
            snprintf(what, sizeof what, "bad statement \"%.*s\"; row skipped",
                     (int)(vl[M_STATEMENT] > 60 ? 60 : vl[M_STATEMENT]), v[M_STATEMENT]);
            mwarn(warn, warn_ctx, display, line, what);
            continue;
        }
        if (vl[M_SCORE] && !(r.meta.score = mscore(v[M_SCORE], vl[M_SCORE]))) {
            mwarn(warn, warn_ctx, display, line, "bad score (1-4); row skipped");
            continue;
        }
        if (vl[M_PUBLISHED] && !(r.meta.published = as_reader_parse_date(v[M_PUBLISHED], vl[M_PUBLISHED]))) {
            mwarn(warn, warn_ctx, display, line, "bad published date (yyyy-mm-dd); row skipped");
            continue;
        }
        if (vl[M_UPDATED] && !(r.meta.updated = as_reader_parse_date(v[M_UPDATED], vl[M_UPDATED]))) {
            mwarn(warn, warn_ctx, display, line, "bad updated date (yyyy-mm-dd); row skipped");
            continue;
        }
        size_t dl = strlen(dir);
        char *joined = malloc(dl + 1 + vl[M_PATH] + 1);
        if (!joined)
            return AS_ENOMEM;
        memcpy(joined, dir, dl);
        joined[dl] = '/';
        memcpy(joined + dl + 1, v[M_PATH], vl[M_PATH]);
        joined[dl + 1 + vl[M_PATH]] = '\0';
        r.path = realpath(joined, NULL);
        free(joined);
        if (!r.path) {
            snprintf(what, sizeof what, "no such file \"%.*s\"; row skipped",
                     (int)(vl[M_PATH] > 200 ? 200 : vl[M_PATH]), v[M_PATH]);
            mwarn(warn, warn_ctx, display, line, what);
            continue;
        }
        if (vl[M_COUNCIL] && !(r.meta.council = strndup(v[M_COUNCIL], vl[M_COUNCIL]))) {
            free(r.path);
            return AS_ENOMEM;
        }
        if (*nrows == *cap) {
            size_t nc = *cap ? *cap * 2 : 16;
            as_manifest_row *nr = realloc(*rows, nc * sizeof *nr);
            if (!nr) {
                free(r.path);
                free(r.meta.council);
                return AS_ENOMEM;
            }
            *rows = nr;
            *cap = nc;
        }
        (*rows)[(*nrows)++] = r;
    }
    return AS_OK;
}
