/*
 * fts5_peer.c — SQLite FTS5 as a user would set it up, the benchmark's
 * first peer: one row per sentence in an FTS5 table with the porter
 * tokenizer over the text and the metadata as UNINDEXED columns (filters
 * are WHERE clauses), built in one transaction and then 'optimize'd (merged
 * into one segment, as one would for a read-only index), ranked with
 * FTS5's bm25() through ORDER BY rank.
 *
 *   fts5_peer build DB DIR            build from a corpus tree (.tsv)
 *   fts5_peer bench [-r ROUNDS] DB MIX ITERS
 *                                     in-process latency of the query mix
 *
 * MIX is bench/queries.tsv (mix.h).  bench runs each query ITERS times (or
 * until its time budget, mix.h: mix_time) and prints one line per query:
 *   name  median_us  p95_us  hits   (top 10; "-" where FTS5 has no query)
 * or, with -r, the samples of one of ROUNDS rounds (for mixmerge).
 */
#include "tsvwalk.h"

#include <errno.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

typedef struct runner {
    sqlite3 *db;
} runner;

static int run_one(void *ctx, const mixq *mq, size_t *hits, double *ph)
{
    (void)ph;
    runner *r = ctx;
    char sql[2048];
    snprintf(sql, sizeof sql, "SELECT rowid, text FROM s WHERE s MATCH ?1%s%s ORDER BY rank LIMIT 10",
             mq->where[0] ? " AND " : "", mq->where);
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(r->db, sql, -1, &st, NULL) != SQLITE_OK) {
        fprintf(stderr, "fts5_peer: %s: %s\n", sql, sqlite3_errmsg(r->db));
        return -1;
    }
    sqlite3_bind_text(st, 1, mq->fts5, -1, SQLITE_STATIC);
    size_t n = 0;
    int s;
    while ((s = sqlite3_step(st)) == SQLITE_ROW)
        n++;
    int rc = 0;
    if (s != SQLITE_DONE) {
        fprintf(stderr, "fts5_peer: %s: %s\n", mq->fts5, sqlite3_errmsg(r->db));
        rc = -1;
    }
    sqlite3_finalize(st);
    *hits = n;
    return rc;
}

static int bench(const char *path, const char *mixpath, const mix_opts *o)
{
    runner r;
    if (sqlite3_open_v2(path, &r.db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
        fprintf(stderr, "fts5_peer: %s: %s\n", path, sqlite3_errmsg(r.db));
        sqlite3_close(r.db);
        return 2;
    }
    mix m;
    int rc = 2;
    if (mix_load(mixpath, &m) == 0) {
        rc = mix_time(&m, o, run_one, &r) == 0 ? 0 : 2;
        mix_free(&m);
    }
    sqlite3_close(r.db);
    return rc;
}

int main(int argc, char **argv)
{
    if (argc == 4 && strcmp(argv[1], "build") == 0)
        return build(argv[2], argv[3]);
    if (argc >= 5 && strcmp(argv[1], "bench") == 0) {
        mix_opts o = {.form = MIX_FTS5};
        int a = 2, r = mix_args(argc, argv, &a, 0, &o, "fts5_peer");
        if (r < 0)
            return 2;
        if (r == 0)
            return bench(argv[a], argv[a + 1], &o);
    }
    fprintf(stderr, "usage: fts5_peer build DB DIR | bench [-r ROUNDS] DB MIX ITERS\n");
    return 2;
}
