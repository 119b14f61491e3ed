/*
 * walk.c — walking corpus roots: which files are corpus files, in which
 * order, with which MANIFEST.tsv row, and which things are refused.
 *
 * Corpus files are regular files named *.txt, *.md, *.tsv, each optionally
 * with .gz (any case); hidden names, MANIFEST.tsv, NOTICE* and README* are
 * not.  The walker never opens anything but directories and MANIFEST.tsv
 * files: FIFOs, sockets and devices are seen with lstat/stat only and
 * skipped with a warning.  Symbolic links are followed only when their
 * target stays inside the root's canonical path, and a directory already on
 * the current path (by device and inode) is not entered again, so link loops
 * end with a warning.  MANIFEST.tsv files are read from every directory
 * walked and from the ancestors of each root; when several name one file,
 * the deepest manifest's row wins.
 */
#include "reader.h"
#include "manifest.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#define WALK_DEPTH_MAX 256
#define MANIFEST_MAX ((size_t)16 << 20)

struct as_corpus {
    as_file *files;
    size_t nfiles, capf;
    unsigned char *vialink; /* while walking: reached through a link? */
    as_manifest_row *rows; /* all manifest rows, in load order */
    size_t nrows, caprows;
    size_t *rowdepth;      /* parallel to rows: length of the manifest's
                              directory, so the deepest manifest wins */
    char **mdirs;          /* directories whose manifest was read */
    size_t nmdirs, capmd;
};

struct walker {
    as_corpus *c;
    as_warn_fn warn;
    void *ctx;
    const char *root; /* canonical root being walked */
    int links;        /* symbolic links followed on the current path */
    struct {
        dev_t dev;
        ino_t ino;
    } stack[WALK_DEPTH_MAX];
    int depth;
};

static void wwarn(struct walker *w, const char *path, const char *fmt, const char *arg)
{
    char msg[512];
    snprintf(msg, sizeof msg, fmt, arg);
    if (w->warn)
        w->warn(w->ctx, path, msg);
}

size_t as_corpus_nfiles(const as_corpus *c)
{
    return c ? c->nfiles : 0;
}

const as_file *as_corpus_file(const as_corpus *c, size_t i)
{
    return c && i < c->nfiles ? &c->files[i] : NULL;
}

void as_corpus_free(as_corpus *c)
{
    if (!c)
        return;
    for (size_t i = 0; i < c->nfiles; i++) {
        free(c->files[i].path);
        free(c->files[i].display);
    }
    free(c->files);
    free(c->vialink);
    as_manifest_rows_free(c->rows, c->nrows);
    free(c->rowdepth);
    for (size_t i = 0; i < c->nmdirs; i++)
        free(c->mdirs[i]);
    free(c->mdirs);
    free(c);
}

static int ends_ci(const char *s, const char *lit)
{
    size_t n = strlen(s), l = strlen(lit);
    return n > l && strcasecmp(s + n - l, lit) == 0;
}

/* Is name a corpus file name? */
static int corpus_name(const char *name)
{
    static const char *const ext[] = {
        ".txt", ".md", ".tsv", ".txt.gz", ".md.gz", ".tsv.gz", NULL
    };
    if (name[0] == '.' || strcmp(name, "MANIFEST.tsv") == 0
        || strncmp(name, "NOTICE", 6) == 0 || strncmp(name, "README", 6) == 0)
        return 0;
    for (int k = 0; ext[k]; k++)
        if (ends_ci(name, ext[k]))
            return 1;
    return 0;
}

static const char *kind_of(mode_t m)
{
    return S_ISFIFO(m) ? "a FIFO" : S_ISSOCK(m) ? "a socket"
           : S_ISCHR(m) ? "a character device" : S_ISBLK(m) ? "a block device"
           : "not a regular file";
}

static char *join(const char *a, const char *b)
{
    size_t al = strlen(a), bl = strlen(b);
    int slash = al > 0 && a[al - 1] != '/';
    char *r = malloc(al + slash + bl + 1);
    if (r) {
        memcpy(r, a, al);
        if (slash)
            r[al] = '/';
        memcpy(r + al + slash, b, bl + 1);
    }
    return r;
}

static int within(const char *path, const char *root)
{
    size_t rl = strlen(root);
    if (rl == 1 && root[0] == '/')
        return 1;
    return strncmp(path, root, rl) == 0 && (path[rl] == '/' || path[rl] == '\0');
}

static int add_file(struct walker *w, const char *canon, const char *display,
                    const struct stat *st)
{
    as_corpus *c = w->c;
    if (c->nfiles == c->capf) {
        size_t cap = c->capf ? c->capf * 2 : 64;
        as_file *f = realloc(c->files, cap * sizeof *f);
        if (!f)
            return AS_ENOMEM;
        c->files = f;
        unsigned char *v = realloc(c->vialink, cap);
        if (!v)
            return AS_ENOMEM;
        c->vialink = v;
        c->capf = cap;
    }
    c->vialink[c->nfiles] = w->links > 0;
    as_file *f = &c->files[c->nfiles];
    memset(f, 0, sizeof *f);
    f->path = strdup(canon);
    f->display = strdup(display);
    if (!f->path || !f->display) {
        free(f->path);
        free(f->display);
        return AS_ENOMEM;
    }
    f->size = (uint64_t)st->st_size;
    f->mtime_ns = (int64_t)st->st_mtim.tv_sec * 1000000000 + st->st_mtim.tv_nsec;
    c->nfiles++;
    return AS_OK;
}

/* Reads dir/MANIFEST.tsv once, if it exists and is a regular file. */
static int load_manifest(struct walker *w, const char *dir, const char *display)
{
    as_corpus *c = w->c;
    for (size_t i = 0; i < c->nmdirs; i++)
        if (strcmp(c->mdirs[i], dir) == 0)
            return AS_OK;
    if (c->nmdirs == c->capmd) {
        size_t cap = c->capmd ? c->capmd * 2 : 8;
        char **m = realloc(c->mdirs, cap * sizeof *m);
        if (!m)
            return AS_ENOMEM;
        c->mdirs = m;
        c->capmd = cap;
    }
    if (!(c->mdirs[c->nmdirs] = strdup(dir)))
        return AS_ENOMEM;
    c->nmdirs++;
    char *path = join(dir, "MANIFEST.tsv");
    if (!path)
        return AS_ENOMEM;
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
    free(path);
    if (fd < 0)
        return AS_OK; /* none here */
    struct stat st;
    if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
        close(fd);
        return AS_OK;
    }
    if ((size_t)st.st_size > MANIFEST_MAX) {
        close(fd);
        wwarn(w, display, "%s", "too large (over 16 MiB); manifest ignored");
        return AS_OK;
    }
    size_t len = (size_t)st.st_size, got = 0;
    char *buf = malloc(len + 1);
    if (!buf) {
        close(fd);
        return AS_ENOMEM;
    }
    while (got < len) {
        ssize_t r = read(fd, buf + got, len - got);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            break;
        got += (size_t)r;
    }
    close(fd);
    size_t before = c->nrows;
    int rc = as_manifest_parse(dir, display, buf, got, w->warn, w->ctx, &c->rows, &c->nrows,
                               &c->caprows);
    free(buf);
    if (rc)
        return rc;
    size_t *d = realloc(c->rowdepth, (c->caprows ? c->caprows : 1) * sizeof *d);
    if (!d)
        return AS_ENOMEM;
    c->rowdepth = d;
    for (size_t i = before; i < c->nrows; i++)
        d[i] = strlen(dir);
    return AS_OK;
}

static int cmp_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static int walk_dir(struct walker *w, const char *canon, const char *display,
                    const struct stat *dst);

/* One directory entry (or a root): canon is where it really is (no
 * symbolic links in it unless the entry itself is one), display how the
 * user names it. */
static int visit(struct walker *w, const char *canon, const char *display, const char *name)
{
    struct stat st;
    if (lstat(canon, &st) < 0) {
        wwarn(w, display, "cannot stat: %s", strerror(errno));
        return AS_OK;
    }
    char *real = NULL;
    int rc = AS_OK;
    if (S_ISLNK(st.st_mode)) {
        if (!(real = realpath(canon, NULL))) {
            wwarn(w, display, "broken symbolic link (%s), skipped", strerror(errno));
            return AS_OK;
        }
        if (!within(real, w->root)) {
            wwarn(w, display, "%s", "symbolic link leaves the corpus root, not followed");
            free(real);
            return AS_OK;
        }
        if (stat(real, &st) < 0) {
            wwarn(w, display, "cannot stat: %s", strerror(errno));
            free(real);
            return AS_OK;
        }
        canon = real;
        w->links++;
    }
    if (S_ISDIR(st.st_mode)) {
        rc = walk_dir(w, canon, display, &st);
    } else if (S_ISREG(st.st_mode)) {
        if (corpus_name(name))
            rc = add_file(w, canon, display, &st);
    } else {
        wwarn(w, display, "%s, skipped", kind_of(st.st_mode));
    }
    if (real)
        w->links--;
    free(real);
    return rc;
}

static int walk_dir(struct walker *w, const char *canon, const char *display,
                    const struct stat *dst)
{
    for (int i = 0; i < w->depth; i++)
        if (w->stack[i].dev == dst->st_dev && w->stack[i].ino == dst->st_ino) {
            wwarn(w, display, "%s", "symbolic link loop, not followed");
            return AS_OK;
        }
    if (w->depth == WALK_DEPTH_MAX) {
        wwarn(w, display, "%s", "directories nested too deep, not entered");
        return AS_OK;
    }
    DIR *d = opendir(canon);
    if (!d) {
        wwarn(w, display, "cannot read directory: %s", strerror(errno));
        return AS_OK;
    }
    char **names = NULL;
    size_t n = 0, cap = 0;
    int rc = AS_OK;
    struct dirent *de;
    errno = 0;
    while ((de = readdir(d)) != NULL) {
        if (de->d_name[0] == '.')
            continue; /* ".", ".." and hidden names */
        if (n == cap) {
            size_t nc = cap ? cap * 2 : 32;
            char **nn = realloc(names, nc * sizeof *nn);
            if (!nn) {
                rc = AS_ENOMEM;
                break;
            }
            names = nn;
            cap = nc;
        }
        if (!(names[n] = strdup(de->d_name))) {
            rc = AS_ENOMEM;
            break;
        }
        n++;
    }
    closedir(d);
    if (rc == AS_OK) {
        char *mdisp = join(display, "MANIFEST.tsv");
        rc = mdisp ? load_manifest(w, canon, mdisp) : AS_ENOMEM;
        free(mdisp);
    }
    if (n > 1)
        qsort(names, n, sizeof *names, cmp_name);
    w->stack[w->depth].dev = dst->st_dev;
    w->stack[w->depth].ino = dst->st_ino;
    w->depth++;
    for (size_t i = 0; i < n && rc == AS_OK; i++) {
        char *cc = join(canon, names[i]), *dd = join(display, names[i]);
        rc = cc && dd ? visit(w, cc, dd, names[i]) : AS_ENOMEM;
        free(cc);
        free(dd);
    }
    w->depth--;
    for (size_t i = 0; i < n; i++)
        free(names[i]);
    free(names);
    return rc;
}

/* Manifests above a root apply too: `assess-index corpus/durham-county-council`
 * still finds corpus/MANIFEST.tsv. */
static int load_ancestors(struct walker *w, const char *canon_dir)
{
    char *p = strdup(canon_dir);
    if (!p)
        return AS_ENOMEM;
    int rc = AS_OK;
    for (;;) {
        char *slash = strrchr(p, '/');
        if (!slash)
            break;
        if (slash == p) {
            if (p[1] == '\0')
                break;
            p[1] = '\0';
        } else {
            *slash = '\0';
        }
        char *disp = join(p, "MANIFEST.tsv");
        rc = disp ? load_manifest(w, p, disp) : AS_ENOMEM;
        free(disp);
        if (rc)
            break;
    }
    free(p);
    return rc;
}

/* File order: canonical path; for one file reached twice, the name
 * reached without symbolic links first, then the least name. */
static int cmp_file(const void *a, const void *b, void *arg)
{
    const as_corpus *c = arg;
    size_t i = *(const size_t *)a, j = *(const size_t *)b;
    int d = strcmp(c->files[i].path, c->files[j].path);
    if (d)
        return d;
    if (c->vialink[i] != c->vialink[j])
        return c->vialink[i] - c->vialink[j];
    return strcmp(c->files[i].display, c->files[j].display);
}

/* Sorts the files and drops second sightings of one file. */
static int sort_files(as_corpus *c)
{
    if (c->nfiles == 0)
        return AS_OK;
    size_t *ord = malloc(c->nfiles * sizeof *ord);
    as_file *sorted = malloc(c->nfiles * sizeof *sorted);
    if (!ord || !sorted) {
        free(ord);
        free(sorted);
        return AS_ENOMEM;
    }
    for (size_t i = 0; i < c->nfiles; i++)
        ord[i] = i;
    qsort_r(ord, c->nfiles, sizeof *ord, cmp_file, c);
    size_t k = 0;
    for (size_t i = 0; i < c->nfiles; i++) {
        as_file *f = &c->files[ord[i]];
        if (k > 0 && strcmp(sorted[k - 1].path, f->path) == 0) {
            free(f->path);
            free(f->display);
            continue;
        }
        sorted[k++] = *f;
    }
    free(ord);
    free(c->files);
    c->files = sorted;
    c->nfiles = c->capf = k;
    free(c->vialink);
    c->vialink = NULL;
    return AS_OK;
}

/* Row order for lookup: by path, then deepest manifest first. */
static int cmp_row(const void *a, const void *b, void *arg)
{
    const as_corpus *c = arg;
    size_t i = *(const size_t *)a, j = *(const size_t *)b;
    int d = strcmp(c->rows[i].path, c->rows[j].path);
    if (d)
        return d;
    return c->rowdepth[i] > c->rowdepth[j] ? -1 : c->rowdepth[i] < c->rowdepth[j] ? 1
           : (i > j) - (i < j);
}

/* Points each file at its manifest row: files and rows both sorted by
 * path, merged in one pass. */
static int attach_rows(as_corpus *c)
{
    if (c->nrows == 0)
        return AS_OK;
    size_t *ord = malloc(c->nrows * sizeof *ord);
    if (!ord)
        return AS_ENOMEM;
    for (size_t i = 0; i < c->nrows; i++)
        ord[i] = i;
    qsort_r(ord, c->nrows, sizeof *ord, cmp_row, c);
    size_t r = 0;
    for (size_t i = 0; i < c->nfiles; i++) {
        while (r < c->nrows && strcmp(c->rows[ord[r]].path, c->files[i].path) < 0)
            r++;
        if (r < c->nrows && strcmp(c->rows[ord[r]].path, c->files[i].path) == 0)
            c->files[i].manifest = &c->rows[ord[r]].meta;
    }
    free(ord);
    return AS_OK;
}

int as_corpus_walk(const char *const *roots, size_t nroots, as_warn_fn warn,
                   void *warn_ctx, as_corpus **out, as_err *err)
{
    *out = NULL;
    as_corpus *c = calloc(1, sizeof *c);
    if (!c)
        return as_err_set(err, AS_ENOMEM, "out of memory");
    struct walker w = {0};
    w.c = c;
    w.warn = warn;
    w.ctx = warn_ctx;
    int rc = AS_OK;
    for (size_t r = 0; r < nroots && rc == AS_OK; r++) {
        const char *root = roots[r];
        struct stat st;
        if (stat(root, &st) < 0) {
            rc = as_err_set(err, errno == ENOENT ? AS_ENOTFOUND : AS_EIO, "%s: %s", root,
                            strerror(errno));
            break;
        }
        char *canon = realpath(root, NULL);
        if (!canon) {
            rc = as_err_set(err, AS_EIO, "%s: %s", root, strerror(errno));
            break;
        }
        if (S_ISDIR(st.st_mode)) {
            w.root = canon;
            w.depth = 0;
            rc = load_ancestors(&w, canon);
            if (rc == AS_OK)
                rc = walk_dir(&w, canon, root, &st);
        } else if (S_ISREG(st.st_mode)) {
            const char *base = strrchr(canon, '/');
            base = base ? base + 1 : canon;
            if (!corpus_name(base)) {
                wwarn(&w, root, "%s",
                      "not a corpus file (.txt .md .tsv, optionally .gz), skipped");
            } else {
                char *dir = strdup(canon);
                if (!dir) {
                    rc = AS_ENOMEM;
                } else {
                    char *slash = strrchr(dir, '/');
                    if (slash)
                        slash[slash == dir] = '\0';
                    char *disp = join(dir, "MANIFEST.tsv");
                    rc = disp ? load_manifest(&w, dir, disp) : AS_ENOMEM;
                    free(disp);
                    if (rc == AS_OK)
                        rc = load_ancestors(&w, dir);
                    free(dir);
                }
                if (rc == AS_OK)
                    rc = add_file(&w, canon, root, &st);
            }
        } else {
            wwarn(&w, root, "%s, skipped", kind_of(st.st_mode));
        }
        free(canon);
        w.root = NULL;
    }
    if (rc != AS_OK) {
        if (rc == AS_ENOMEM)
            as_err_set(err, rc, "out of memory");
        as_corpus_free(c);
        return rc;
    }
    if (sort_files(c) != AS_OK || attach_rows(c) != AS_OK) {
        as_corpus_free(c);
        return as_err_set(err, AS_ENOMEM, "out of memory");
    }
    *out = c;
    return AS_OK;
}
