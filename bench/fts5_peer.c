/*
 * fts5_peer.c — SQLite FTS5 as a user would set it up, the benchmark's
 * first peer: one row per sentence in an FTS5 table with the porter
 * tokenizer over the text and the metadata as UNINDEXED columns (filters
 * are WHERE clauses), built in one transaction and then 'optimize'd (merged
 * into one segment, as one would for a read-only index), ranked with
 * FTS5's bm25() through ORDER BY rank.
 *
 *   fts5_peer build DB DIR            build from a corpus tree (.tsv)
 *   fts5_peer bench DB MIX ITERS      in-process latency of the query mix
 *
 * MIX is bench/queries.tsv (mix.h).  bench runs each query ITERS times (or
 * until its time budget, mix.h) and prints one line per query:
 *   name  median_us  p95_us  hits   (top 10; "-" where FTS5 has no query)
 */
#include "tsvwalk.h"

#include <errno.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "mix.h"

typedef struct bctx {
    sqlite3_stmt *ins;
    unsigned long long rows;
} bctx;

static int on_row(void *ctx, const tw_row *r)
{
    bctx *b = ctx;
    static const int cols[] = {TW_TEXT, TW_COUNCIL, TW_STATEMENT, TW_SCORE,
                               TW_PUBLISHED, TW_KIND};
    for (int i = 0; i < 6; i++) {
        int c = cols[i];
        if (c == TW_SCORE)
            sqlite3_bind_int(b->ins, i + 1, r->len[c] ? atoi(r->f[c]) : 0);
        else
            sqlite3_bind_text(b->ins, i + 1, r->f[c] ? r->f[c] : "",
                              (int)r->len[c], SQLITE_STATIC);
    }
    if (sqlite3_step(b->ins) != SQLITE_DONE)
        return -1;
    sqlite3_reset(b->ins);
    b->rows++;
    return 0;
}

static int exec(sqlite3 *db, const char *sql)
{
    char *msg = NULL;
    if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK) {
        fprintf(stderr, "fts5_peer: %s: %s\n", sql, msg ? msg : "?");
        sqlite3_free(msg);
        return -1;
    }
    return 0;
}

static int build(const char *path, const char *dir)
{
    sqlite3 *db;
    remove(path);
    if (sqlite3_open(path, &db) != SQLITE_OK) {
        fprintf(stderr, "fts5_peer: %s: %s\n", path, sqlite3_errmsg(db));
        return 2;
    }
    bctx b = {0};
    int rc = exec(db, "CREATE VIRTUAL TABLE s USING fts5(text, council UNINDEXED,"
                      " statement UNINDEXED, score UNINDEXED, published UNINDEXED,"
                      " kind UNINDEXED, tokenize = 'porter unicode61')");
    if (rc == 0)
        rc = exec(db, "BEGIN");
    if (rc == 0
        && sqlite3_prepare_v2(db, "INSERT INTO s VALUES (?, ?, ?, ?, ?, ?)", -1,
                              &b.ins, NULL) != SQLITE_OK) {
        fprintf(stderr, "fts5_peer: %s\n", sqlite3_errmsg(db));
        rc = -1;
    }
    if (rc == 0 && tw_walk(dir, on_row, &b, NULL) != 0) {
        fprintf(stderr, "fts5_peer: insert failed: %s\n", sqlite3_errmsg(db));
        rc = -1;
    }
    sqlite3_finalize(b.ins);
    if (rc == 0)
        rc = exec(db, "COMMIT");
    if (rc == 0)
        rc = exec(db, "INSERT INTO s(s) VALUES ('optimize')");
    sqlite3_close(db);
    if (rc == 0)
        printf("rows %llu\n", b.rows);
    return rc == 0 ? 0 : 2;
}

static double now_us(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec * 1e6 + (double)t.tv_nsec / 1e3;
}

static int bench(const char *path, const char *mixpath, long iters)
{
    sqlite3 *db;
    if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
        fprintf(stderr, "fts5_peer: %s: %s\n", path, sqlite3_errmsg(db));
        return 2;
    }
    mix m;
    if (mix_load(mixpath, &m) != 0)
        return 2;
    double *t = malloc((size_t)iters * sizeof *t);
    if (!t)
        return 2;
    int rc = 0;
    mixpool pool = {0};
    for (size_t q = 0; q < m.n && rc == 0; q++) {
        const mixq *mq = &m.q[q];
        if (!mq->fts5[0]) {
            printf("%s\t-\t-\t-\n", mq->name);
            continue;
        }
        char sql[2048];
        snprintf(sql, sizeof sql,
                 "SELECT rowid, text FROM s WHERE s MATCH ?1%s%s ORDER BY rank LIMIT 10",
                 mq->where[0] ? " AND " : "", mq->where);
        int hits = 0;
        long i;
        double spent = 0;
        for (i = 0; i < iters && rc == 0; i++) {
            if (spent > MIX_BUDGET_US && i >= MIX_MIN_ITERS)
                break;
            double t0 = now_us();
            sqlite3_stmt *st;
            if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) {
                fprintf(stderr, "fts5_peer: %s: %s\n", sql, sqlite3_errmsg(db));
                rc = 2;
                break;
            }
            sqlite3_bind_text(st, 1, mq->fts5, -1, SQLITE_STATIC);
            int n = 0, s;
            while ((s = sqlite3_step(st)) == SQLITE_ROW)
                n++;
            if (s != SQLITE_DONE) {
                fprintf(stderr, "fts5_peer: %s: %s\n", mq->fts5, sqlite3_errmsg(db));
                rc = 2;
            }
            sqlite3_finalize(st);
            t[i] = now_us() - t0;
            spent += t[i];
            hits = n;
        }
        if (rc == 0) {
            double med, p95;
            mixpool_add(&pool, t, (size_t)i);
            mix_stats(t, (size_t)i, &med, &p95);
            printf("%s\t%.1f\t%.1f\t%d\n", mq->name, med, p95, hits);
        }
    }
    mixpool_finish(&pool);
    free(t);
    mix_free(&m);
    sqlite3_close(db);
    return rc;
}

int main(int argc, char **argv)
{
    if (argc == 4 && strcmp(argv[1], "build") == 0)
        return build(argv[2], argv[3]);
    if (argc == 5 && strcmp(argv[1], "bench") == 0) {
        char *e;
        errno = 0;
        long it = strtol(argv[4], &e, 10);
        if (*e || e == argv[4] || errno || it < 1 || it > 10000000) {
            fprintf(stderr, "fts5_peer: bad iteration count '%s'\n", argv[4]);
            return 2;
        }
        return bench(argv[2], argv[3], it);
    }
    fprintf(stderr, "usage: fts5_peer build DB DIR | bench DB MIX ITERS\n");
    return 2;
}
