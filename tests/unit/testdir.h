/*
 * testdir.h — removing the temporary directories of the unit tests that
 * write indexes and corpora.  Header-only because each tests/unit/test_*.c
 * is a program of its own, linked with the library alone; written once
 * here so that the test programs do not each carry a copy.
 */
#ifndef AS_TESTDIR_H
#define AS_TESTDIR_H

#include <dirent.h>
#include <stdio.h>
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

#endif
