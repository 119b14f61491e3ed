/*
 * test_walk.c — the corpus walker (walk.c) and MANIFEST.tsv (manifest.c):
 * which files, in which order, under which names, with which manifest row,
 * and the exact warning for everything refused (special files, symbolic
 * link loops and escapes, unreadable directories, bad manifest rows).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "reader.h"

static char srcdir[2048];
static char tmpdir[256]; /* the test tree */
static char outside[256];

struct warns {
    int n;
    char all[8192];
};

/* Records "PATH: REASON" with the tree's prefix replaced by "T". */
static void collect(void *ctx, const char *path, const char *reason)
{
    struct warns *w = ctx;
    size_t tl = strlen(tmpdir), l = strlen(w->all);
    if (strncmp(path, tmpdir, tl) == 0)
        snprintf(w->all + l, sizeof w->all - l, "T%s: %s\n", path + tl, reason);
    else
        snprintf(w->all + l, sizeof w->all - l, "%s: %s\n", path, reason);
    w->n++;
}

static void put(const char *rel, const char *text)
{
    char p[512];
    snprintf(p, sizeof p, "%s/%s", tmpdir, rel);
    FILE *f = fopen(p, "wb");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static void sub(char *buf, size_t n, const char *rel)
{
    snprintf(buf, n, "%s/%s", tmpdir, rel);
}

static const char *page = "Safeguarding\n\nScore: 2\n\nStaff were trained.\n";

static int setup(void **state)
{
    (void)state;
    char p[512], q[512];
    snprintf(tmpdir, sizeof tmpdir, "/tmp/as-test-walk-XXXXXX");
    snprintf(outside, sizeof outside, "/tmp/as-test-outside-XXXXXX");
    if (!mkdtemp(tmpdir) || !mkdtemp(outside))
        return -1;
    /* The tree is reached through its canonical name, so that canonical
     * and display paths can be compared by prefix. */
    char *real = realpath(tmpdir, NULL);
    snprintf(tmpdir, sizeof tmpdir, "%s", real);
    free(real);
    sub(p, sizeof p, "sub");
    mkdir(p, 0755);
    sub(p, sizeof p, "sub2");
    mkdir(p, 0755);
    sub(p, sizeof p, ".hiddendir");
    mkdir(p, 0755);
    put("MANIFEST.tsv",
        "path\tcouncil\tstatement\tscore\tpublished\tupdated\tnotes\n"
        "a.txt\tAlpha Council\t\t\t2024-01-02\t\tignored column\n"
        "sub/x.md\tShallow Council\t7\t2\t\t\n"
        "missing.txt\tNobody\n"
        "b.md\t\t\t9\t\t\n"
        "sub2/z.txt\tZed Council\tAssessing needs\t\t\t2024-03-04\n"
        "# a comment line\n"
        "/etc/passwd\tNo\n");
    put("a.txt", page);
    put("b.md", page);
    put("c.tsv", "text\nA finding.\n");
    put("d.txt.gz", page); /* the name alone decides; the reader sniffs gzip */
    put("UPPER.TXT", page);
    put("e.pdf", page);
    put(".hidden.txt", page);
    put("NOTICE", "notice\n");
    put("NOTICE.txt", "notice\n");
    put("README.md", "readme\n");
    put("sub/x.md", page);
    put("sub/MANIFEST.tsv", "path\tcouncil\nx.md\tDeeper Council\n");
    put("sub2/z.txt", page);
    put(".hiddendir/y.txt", page);
    snprintf(q, sizeof q, "%s/outside.txt", outside);
    FILE *f = fopen(q, "w");
    fputs(page, f);
    fclose(f);
    sub(p, sizeof p, "out.txt");
    if (symlink(q, p))
        return -1;
    sub(p, sizeof p, "link.txt");
    if (symlink("a.txt", p))
        return -1;
    sub(p, sizeof p, "broken.txt");
    if (symlink("nowhere.txt", p))
        return -1;
    sub(p, sizeof p, "sub/loop");
    if (symlink("..", p))
        return -1;
    sub(p, sizeof p, "linkdir");
    if (symlink("sub", p))
        return -1;
    sub(p, sizeof p, "fifo.txt");
    if (mkfifo(p, 0644))
        return -1;
    sub(p, sizeof p, "sock.txt");
    int s = socket(AF_UNIX, SOCK_STREAM, 0);
    struct sockaddr_un sa = {0};
    sa.sun_family = AF_UNIX;
    if (strlen(p) >= sizeof sa.sun_path)
        return -1;
    memcpy(sa.sun_path, p, strlen(p) + 1);
    if (s < 0 || bind(s, (struct sockaddr *)&sa, sizeof sa))
        return -1;
    close(s);
    if (geteuid() != 0) { /* root reads every directory anyway */
        sub(p, sizeof p, "locked");
        mkdir(p, 0);
    }
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "chmod 755 '%s/locked' 2>/dev/null; rm -rf '%s' '%s'", tmpdir,
             tmpdir, outside);
    return system(cmd) == 0 ? 0 : -1;
}

static void tree(void **state)
{
    (void)state;
    struct warns w = {0};
    char root[512];
    snprintf(root, sizeof root, "%s/", tmpdir); /* a trailing slash is kept once */
    const char *roots[] = {root};
    as_corpus *c;
    as_err err;
    assert_int_equal(as_corpus_walk(roots, 1, collect, &w, &c, &err), AS_OK);
    char expect[4096];
    snprintf(expect, sizeof expect,
             "T/MANIFEST.tsv: line 4: no such file \"missing.txt\"; row skipped\n"
             "T/MANIFEST.tsv: line 5: bad score (1-4); row skipped\n"
             "T/MANIFEST.tsv: line 8: absolute path (paths are relative to the manifest); row skipped\n"
             "T/broken.txt: broken symbolic link (No such file or directory), skipped\n"
             "T/fifo.txt: a FIFO, skipped\n"
             "T/linkdir/loop: symbolic link loop, not followed\n"
             "%s"
             "T/out.txt: symbolic link leaves the corpus root, not followed\n"
             "T/sock.txt: a socket, skipped\n"
             "T/sub/loop: symbolic link loop, not followed\n",
             geteuid() != 0 ? "T/locked: cannot read directory: Permission denied\n" : "");
    assert_string_equal(w.all, expect);

    static const char *const files[] = {
        "UPPER.TXT", "a.txt", "b.md", "c.tsv", "d.txt.gz", "sub/x.md", "sub2/z.txt"
    };
    assert_int_equal(as_corpus_nfiles(c), 7);
    for (size_t i = 0; i < 7; i++) {
        const as_file *f = as_corpus_file(c, i);
        char p[512];
        sub(p, sizeof p, files[i]);
        assert_string_equal(f->path, p);
        assert_string_equal(f->display, p); /* root as given + relative path */
        assert_int_equal(f->size, strcmp(files[i], "c.tsv") ? strlen(page) : 16);
        assert_true(f->mtime_ns > 0);
    }
    assert_null(as_corpus_file(c, 7));
    /* Manifest rows: a.txt from the root manifest (empty fields are
     * unknown), sub/x.md from the deeper one, z.txt with a statement name. */
    const as_meta *m = as_corpus_file(c, 1)->manifest;
    assert_non_null(m);
    assert_string_equal(m->council, "Alpha Council");
    assert_int_equal(m->statement, 0);
    assert_int_equal(m->score, 0);
    assert_int_equal(m->published, 20240102);
    assert_int_equal(m->updated, 0);
    assert_null(as_corpus_file(c, 0)->manifest);
    assert_null(as_corpus_file(c, 2)->manifest); /* its row was bad */
    m = as_corpus_file(c, 5)->manifest;
    assert_string_equal(m->council, "Deeper Council");
    assert_int_equal(m->statement, 0);
    m = as_corpus_file(c, 6)->manifest;
    assert_string_equal(m->council, "Zed Council");
    assert_int_equal(m->statement, 1);
    assert_int_equal(m->updated, 20240304);
    as_corpus_free(c);
}

/* A root below the manifest still gets its rows (ancestors are read), and
 * a file root is taken as given. */
static void roots_below_manifest(void **state)
{
    (void)state;
    struct warns w = {0};
    char r1[512], r2[512], r3[512];
    sub(r1, sizeof r1, "sub2");
    sub(r2, sizeof r2, "a.txt");
    sub(r3, sizeof r3, "e.pdf");
    const char *roots[] = {r1, r2, r3, r2};
    as_corpus *c;
    as_err err;
    assert_int_equal(as_corpus_walk(roots, 4, collect, &w, &c, &err), AS_OK);
    assert_int_equal(as_corpus_nfiles(c), 2); /* a.txt twice is one file */
    assert_string_equal(as_corpus_file(c, 0)->display, r2);
    assert_string_equal(as_corpus_file(c, 0)->manifest->council, "Alpha Council");
    assert_string_equal(as_corpus_file(c, 1)->manifest->council, "Zed Council");
    char expect[1024];
    snprintf(expect, sizeof expect,
             "T/MANIFEST.tsv: line 4: no such file \"missing.txt\"; row skipped\n"
             "T/MANIFEST.tsv: line 5: bad score (1-4); row skipped\n"
             "T/MANIFEST.tsv: line 8: absolute path (paths are relative to the manifest); row skipped\n"
             "T/e.pdf: not a corpus file (.txt .md .tsv, optionally .gz), skipped\n");
    assert_string_equal(w.all, expect);
    as_corpus_free(c);
}

static void missing_root(void **state)
{
    (void)state;
    const char *roots[] = {"/nonexistent-root"};
    as_corpus *c = (as_corpus *)1;
    as_err err;
    assert_int_equal(as_corpus_walk(roots, 1, NULL, NULL, &c, &err), AS_ENOTFOUND);
    assert_string_equal(err.msg, "/nonexistent-root: No such file or directory");
    assert_null(c);
    as_corpus_free(NULL);
}

/* The bundled corpus, as `assess-index --dump corpus/` walks it. */
static void bundled(void **state)
{
    (void)state;
    char root[2100];
    snprintf(root, sizeof root, "%s/corpus/", srcdir);
    const char *roots[] = {root};
    struct warns w = {0};
    as_corpus *c;
    as_err err;
    assert_int_equal(as_corpus_walk(roots, 1, collect, &w, &c, &err), AS_OK);
    assert_int_equal(w.n, 0);
    assert_int_equal(as_corpus_nfiles(c), 2);
    char d[2200];
    snprintf(d, sizeof d, "%sdurham-county-council/learning-improvement-and-innovation.txt", root);
    assert_string_equal(as_corpus_file(c, 0)->display, d);
    assert_string_equal(as_corpus_file(c, 0)->manifest->council, "Durham County Council");
    assert_int_equal(as_corpus_file(c, 0)->manifest->published, 0);
    snprintf(d, sizeof d, "%slincolnshire-county-council/learning-improvement-and-innovation.txt", root);
    assert_string_equal(as_corpus_file(c, 1)->display, d);
    assert_null(as_corpus_file(c, 1)->manifest);
    as_page *p;
    assert_int_equal(as_page_read(as_corpus_file(c, 0), NULL, NULL, &p, NULL, &err), AS_OK);
    assert_string_equal(p->metas[0].council, "Durham County Council");
    assert_int_equal(p->nsents, 50);
    as_page_free(p);
    as_corpus_free(c);
}

int main(void)
{
    const char *s = getenv("AS_SRCDIR");
    snprintf(srcdir, sizeof srcdir, "%s", s ? s : "..");
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(tree),
        cmocka_unit_test(roots_below_manifest),
        cmocka_unit_test(missing_root),
        cmocka_unit_test(bundled),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
