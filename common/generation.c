/*
 * generation.c — the index directory's life cycle: writer lock, CURRENT,
 * creating, publishing and cleaning up generations (see generation.h).
 */
#include "generation.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

static int fsync_path(const char *path, int dir)
{
    int fd = open(path, (dir ? O_RDONLY | O_DIRECTORY : O_RDONLY) | O_CLOEXEC);
    if (fd < 0)
        return -1;
    int r = fsync(fd);
    /* Some filesystems refuse fsync on a directory (EINVAL): not an error. */
    if (r != 0 && dir && (errno == EINVAL || errno == EBADF))
        r = 0;
    close(fd);
    return r;
}

int as_gen_mkdir(const char *indexdir, as_err *err)
{
    char buf[4096];
    size_t n = strlen(indexdir);
    if (n == 0 || n >= sizeof buf)
        return as_err_set(err, AS_EINVAL, "%s: bad index directory name", indexdir);
    memcpy(buf, indexdir, n + 1);
    mode_t um = umask(0);
    umask(um);
    /* Never world-writable, whatever the umask says: other users must not be
     * able to swap a generation under a reader. */
    mode_t mode = (0777 & ~um) & ~(mode_t)S_IWOTH;
    for (size_t i = 1; i <= n; i++) {
        if (buf[i] == '/' || buf[i] == '\0') {
            char c = buf[i];
            buf[i] = '\0';
            if (mkdir(buf, mode) != 0 && errno != EEXIST)
                return as_err_set(err, AS_EIO, "%s: cannot create directory: %s",
                                  buf, strerror(errno));
            buf[i] = c;
        }
    }
    struct stat st;
    if (stat(indexdir, &st) != 0 || !S_ISDIR(st.st_mode))
        return as_err_set(err, AS_EIO, "%s: not a directory", indexdir);
    return AS_OK;
}

int as_gen_lock(const char *indexdir, int wait, int *fd, as_err *err)
{
    char path[4096];
    *fd = -1;
    snprintf(path, sizeof path, "%s/LOCK", indexdir);
    int f = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (f < 0)
        return as_err_set(err, AS_EIO, "%s: %s", path, strerror(errno));
    if (flock(f, LOCK_EX | LOCK_NB) != 0) {
        if (errno != EWOULDBLOCK) {
            int e = errno;
            close(f);
            return as_err_set(err, AS_EIO, "%s: cannot lock: %s", path, strerror(e));
        }
        if (!wait) {
            char pid[32] = "";
            ssize_t r = pread(f, pid, sizeof pid - 1, 0);
            pid[r > 0 ? r : 0] = '\0';
            pid[strcspn(pid, "\n")] = '\0';
            close(f);
            return as_err_set(err, AS_ELOCKED,
                              "%s: locked by another assess-index (pid %s); "
                              "try again later or use --wait",
                              indexdir, pid[0] ? pid : "unknown");
        }
        while (flock(f, LOCK_EX) != 0) {
            if (errno != EINTR) {
                int e = errno;
                close(f);
                return as_err_set(err, AS_EIO, "%s: cannot lock: %s", path, strerror(e));
            }
        }
    }
    char pid[32];
    int len = snprintf(pid, sizeof pid, "%ld\n", (long)getpid());
    if (ftruncate(f, 0) != 0 || pwrite(f, pid, (size_t)len, 0) != len) {
        /* The pid is only for messages; a full disk must not stop a run
         * that may be about to fail cleanly anyway. */
    }
    *fd = f;
    return AS_OK;
}

void as_gen_unlock(int fd)
{
    if (fd >= 0)
        close(fd); /* releases the flock */
}

int as_gen_current(const char *indexdir, char *name, size_t cap, as_err *err)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/CURRENT", indexdir);
    FILE *f = fopen(path, "re");
    if (!f) {
        if (errno == ENOENT)
            return as_err_set(err, AS_ENOTFOUND, "%s: no index here", indexdir);
        return as_err_set(err, AS_EIO, "%s: %s", path, strerror(errno));
    }
    char buf[256];
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    buf[strcspn(buf, "\r\n")] = '\0';
    /* A name is gen-<digits>: anything else is damage, never a path to follow. */
    if (strncmp(buf, "gen-", 4) != 0 || strlen(buf) < 5
        || strspn(buf + 4, "0123456789") != strlen(buf + 4) || strlen(buf) >= cap)
        return as_err_set(err, AS_ECORRUPT, "%s: damaged (not a generation name)", path);
    memcpy(name, buf, strlen(buf) + 1);
    return AS_OK;
}

int as_gen_remove_dir(const char *path, as_err *err)
{
    DIR *d = opendir(path);
    if (!d) {
        if (errno == ENOENT)
            return AS_OK;
        return as_err_set(err, AS_EIO, "%s: %s", path, strerror(errno));
    }
    struct dirent *de;
    char p[4096];
    int rc = AS_OK;
    while ((de = readdir(d)) != NULL) {
        if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
            continue;
        snprintf(p, sizeof p, "%s/%s", path, de->d_name);
        if (unlink(p) != 0 && errno != ENOENT)
            rc = as_err_set(err, AS_EIO, "%s: %s", p, strerror(errno));
    }
    closedir(d);
    if (rmdir(path) != 0 && errno != ENOENT)
        rc = as_err_set(err, AS_EIO, "%s: %s", path, strerror(errno));
    return rc;
}

static long gen_number(const char *name)
{
    const char *p = NULL;
    if (!strncmp(name, "gen-", 4))
        p = name + 4;
    else if (!strncmp(name, "tmp-gen-", 8))
        p = name + 8;
    if (!p || !*p || strspn(p, "0123456789") != strlen(p))
        return -1;
    return strtol(p, NULL, 10);
}

int as_gen_cleanup(const char *indexdir, as_err *err)
{
    char cur[64] = "";
    if (as_gen_current(indexdir, cur, sizeof cur, NULL) != AS_OK)
        cur[0] = '\0';
    long curn = cur[0] ? gen_number(cur) : -1;
    /* The previous generation: the highest-numbered gen-* below the live one. */
    long prev = -1;
    DIR *d = opendir(indexdir);
    if (!d)
        return as_err_set(err, AS_EIO, "%s: %s", indexdir, strerror(errno));
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        long n = gen_number(de->d_name);
        if (!strncmp(de->d_name, "gen-", 4) && n >= 0 && n < curn && n > prev)
            prev = n;
    }
    rewinddir(d);
    int rc = AS_OK;
    char p[4096];
    while ((de = readdir(d)) != NULL) {
        long n = gen_number(de->d_name);
        if (n < 0)
            continue;
        int tmp = !strncmp(de->d_name, "tmp-", 4);
        if (!tmp && (n == curn || n == prev))
            continue;
        snprintf(p, sizeof p, "%s/%s", indexdir, de->d_name);
        int r = as_gen_remove_dir(p, err);
        if (r != AS_OK)
            rc = r;
    }
    closedir(d);
    return rc;
}

int as_gen_begin(const char *indexdir, char *tmppath, size_t tcap, char *name,
                 size_t ncap, as_err *err)
{
    long max = 0;
    DIR *d = opendir(indexdir);
    if (!d)
        return as_err_set(err, AS_EIO, "%s: %s", indexdir, strerror(errno));
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        long n = gen_number(de->d_name);
        if (n > max)
            max = n;
    }
    closedir(d);
    snprintf(name, ncap, "gen-%06ld", max + 1);
    snprintf(tmppath, tcap, "%s/tmp-%s", indexdir, name);
    mode_t um = umask(0);
    umask(um);
    if (mkdir(tmppath, (0777 & ~um) & ~(mode_t)S_IWOTH) != 0)
        return as_err_set(err, AS_EIO, "%s: cannot create: %s", tmppath, strerror(errno));
    return AS_OK;
}

int as_gen_publish(const char *indexdir, const char *tmppath, const char *name,
                   as_err *err)
{
    char final[4096], cur[4096], curtmp[4096];
    snprintf(final, sizeof final, "%s/%s", indexdir, name);
    snprintf(cur, sizeof cur, "%s/CURRENT", indexdir);
    snprintf(curtmp, sizeof curtmp, "%s/CURRENT.tmp", indexdir);
    if (fsync_path(tmppath, 1) != 0)
        return as_err_set(err, AS_EIO, "%s: fsync: %s", tmppath, strerror(errno));
    if (rename(tmppath, final) != 0)
        return as_err_set(err, AS_EIO, "%s: rename: %s", tmppath, strerror(errno));
    int fd = open(curtmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0)
        return as_err_set(err, AS_EIO, "%s: %s", curtmp, strerror(errno));
    char line[128];
    int len = snprintf(line, sizeof line, "%s\n", name);
    if (write(fd, line, (size_t)len) != len || fsync(fd) != 0) {
        int e = errno;
        close(fd);
        unlink(curtmp);
        /* The new generation stays as an orphan gen-*: cleanup removes it,
         * CURRENT still names the old one. */
        rename(final, tmppath);
        return as_err_set(err, AS_EIO, "%s: %s", curtmp, strerror(e ? e : ENOSPC));
    }
    close(fd);
    if (rename(curtmp, cur) != 0) {
        int e = errno;
        unlink(curtmp);
        rename(final, tmppath);
        return as_err_set(err, AS_EIO, "%s: rename: %s", cur, strerror(e));
    }
    if (fsync_path(indexdir, 1) != 0)
        return as_err_set(err, AS_EIO, "%s: fsync: %s", indexdir, strerror(errno));
    return AS_OK;
}

int as_gen_default_dir(const char *opt, char *buf, size_t cap, as_err *err)
{
    const char *e;
    int n;
    if (opt && *opt)
        n = snprintf(buf, cap, "%s", opt);
    else if ((e = getenv("ASSESS_INDEX")) && *e)
        n = snprintf(buf, cap, "%s", e);
    else if ((e = getenv("XDG_DATA_HOME")) && *e)
        n = snprintf(buf, cap, "%s/assess-search/index", e);
    else if ((e = getenv("HOME")) && *e)
        n = snprintf(buf, cap, "%s/.local/share/assess-search/index", e);
    else
        return as_err_set(err, AS_EINVAL,
                          "no index location: use --index, ASSESS_INDEX or XDG_DATA_HOME");
    if (n < 0 || (size_t)n >= cap)
        return as_err_set(err, AS_EINVAL, "index path too long");
    return AS_OK;
}
