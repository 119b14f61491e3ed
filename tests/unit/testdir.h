/*
 * testdir.h — the files of the unit tests that write indexes and corpora:
 * reading one whole, removing a temporary directory.  Header-only because
 * each tests/unit/test_*.c is a program of its own, linked with the
 * library alone; written once here so that the test programs do not each
 * carry a copy.  Include it after <cmocka.h> (slurp asserts).
 */
#ifndef AS_TESTDIR_H
#define AS_TESTDIR_H

#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Removes dir and everything under it; symbolic links are removed, not
 * followed.  Errors are ignored: a test's leftovers are not its result. */
static inline void rmtree(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d)
        return;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        char p[4096];
        int n = snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
        if (n < 0 || (size_t)n >= sizeof p)
            continue; /* never under the tests' short /tmp names */
        struct stat st;
        if (lstat(p, &st) == 0 && S_ISDIR(st.st_mode))
            rmtree(p);
        else
            unlink(p);
    }
    closedir(d);
    rmdir(dir);
}

/* dir/name's bytes (malloc'd, the caller frees; one byte more than *n),
 * or the test fails. */
static inline uint8_t *slurp(const char *dir, const char *name, size_t *n)
{
    char p[4096];
    snprintf(p, sizeof p, "%s/%s", dir, name);
    FILE *fp = fopen(p, "rb");
    assert_non_null(fp);
    assert_int_equal(fseek(fp, 0, SEEK_END), 0);
    long len = ftell(fp);
    assert_true(len >= 0);
    assert_int_equal(fseek(fp, 0, SEEK_SET), 0);
    uint8_t *b = malloc((size_t)len + 1);
    assert_non_null(b);
    assert_int_equal(fread(b, 1, (size_t)len, fp), (size_t)len);
    fclose(fp);
    *n = (size_t)len;
    return b;
}

#endif
