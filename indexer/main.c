/*
 * main.c — assess-index: the command line.  Builds (incrementally) the
 * native index of a corpus, or dumps parsed sentences, or checks the live
 * generation.  Exit status: 0 ok (also when a damaged live generation was
 * replaced by a rebuild), 1 some files skipped or repaired,
 * 2 usage or fatal error, 75 index locked by another writer.
 */
#include "as.h"
#include "build.h"
#include "dump.h"
#include "generation.h"
#include "index.h"
#include "reader.h"
#include "safeout.h"
#include "xexport.h"
#include "xplugin.h"

#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define EXIT_SKIPPED 1
#define EXIT_FATAL 2
#define EXIT_LOCKED 75

static const char *prog = "assess-index";

static void usage(FILE *f)
{
    fprintf(f,
"usage: assess-index [options] [CORPUS...]\n"
"Build or update the assess-search index of a corpus of CQC assessment pages.\n"
"CORPUS is a file or directory (default: ./corpus if present, else the\n"
"installed bundled corpus).  Unchanged files are reused from the live index.\n"
"\n"
"  --index PATH     index directory (default $ASSESS_INDEX, else\n"
"                   $XDG_DATA_HOME/assess-search/index)\n"
"  --rebuild        ignore the live index and build from scratch\n"
"  --wait           wait for another running assess-index instead of exit 75\n"
"  --check          verify every byte of the live index and its source files\n"
"  --dump           print the parsed sentences as JSON Lines; no index\n"
"  --xapian DIR     also export the index into Xapian databases in DIR\n"
"  --shards N       with --xapian: N databases split by council (default 1)\n"
"  --threads N      analysis threads (default: number of cores)\n"
"  --mem MB         memory for postings before spilling to disk (default 256)\n"
"  -v, --verbose    print a summary line\n"
"  -h, --help       this help\n"
"      --version    print the version\n"
"\n"
"Exit status: 0 ok, 1 some files skipped, 2 usage or fatal error, 75 locked.\n");
}

typedef struct warnctx {
    unsigned n;
    char last[1024];        /* the last warning printed by --dump */
    unsigned long repeats;  /* identical ones since, not printed */
} warnctx;

/* Build warnings arrive folded (reason "(N times)" after the message);
 * --dump's come one by one and are folded here. */
static void flush_repeats(warnctx *w)
{
    if (w->repeats) {
        fprintf(stderr, "%s: ", prog);
        as_safe_write(stderr, w->last, strlen(w->last));
        fprintf(stderr, " (%lu more times)\n", w->repeats);
    }
    w->repeats = 0;
}

static void warn_cb(void *ctx, const char *path, const char *reason)
{
    warnctx *w = ctx;
    char msg[1024];
    w->n++;
    if (reason)
        snprintf(msg, sizeof msg, "%s: %s", path, reason);
    else
        snprintf(msg, sizeof msg, "%s", path);
    if (!strcmp(msg, w->last)) {
        w->repeats++;
        return;
    }
    flush_repeats(w);
    snprintf(w->last, sizeof w->last, "%s", msg);
    /* File names are untrusted: no escape sequence reaches the terminal. */
    fprintf(stderr, "%s: ", prog);
    as_safe_write(stderr, msg, strlen(msg));
    fputc('\n', stderr);
}

/* The corpus when none is named: ./corpus in a checkout, else the bundled
 * corpus installed with the program. */
static const char *default_corpus(void)
{
    struct stat st;
    if (stat("corpus", &st) == 0 && S_ISDIR(st.st_mode))
        return "corpus";
    return AS_DATADIR "/corpus";
}

static int run_dump(const char *const *roots, size_t nroots)
{
    warnctx wc = {0};
    as_err err = {0};
    as_corpus *c = NULL;
    if (as_corpus_walk(roots, nroots, warn_cb, &wc, &c, &err) != AS_OK) {
        fprintf(stderr, "%s: %s\n", prog, err.msg);
        return EXIT_FATAL;
    }
    int status = 0;
    for (size_t i = 0; i < as_corpus_nfiles(c); i++) {
        const as_file *f = as_corpus_file(c, i);
        as_page *p = NULL;
        as_err e = {0};
        int rc = as_page_read(f, warn_cb, &wc, &p, NULL, &e);
        if (rc == AS_ENOMEM) {
            fprintf(stderr, "%s: %s: out of memory\n", prog, f->display);
            as_corpus_free(c);
            return EXIT_FATAL;
        }
        if (rc != AS_OK) {
            warn_cb(&wc, e.msg, NULL); /* the message names the file */
            status = EXIT_SKIPPED;
            continue;
        }
        if (as_dump_page(stdout, p) != AS_OK) {
            fprintf(stderr, "%s: write error: %s\n", prog, strerror(errno));
            as_page_free(p);
            as_corpus_free(c);
            return EXIT_FATAL;
        }
        as_page_free(p);
    }
    as_corpus_free(c);
    flush_repeats(&wc);
    if (fflush(stdout) != 0) {
        fprintf(stderr, "%s: write error: %s\n", prog, strerror(errno));
        return EXIT_FATAL;
    }
    return wc.n ? EXIT_SKIPPED : status;
}

/* --check: every byte of the live generation, then every source file's
 * recorded state against the disk. */
static int run_check(const char *indexdir, int verbose)
{
    as_err err = {0};
    as_index *ix = NULL;
    if (as_index_open(indexdir, &ix, &err) != AS_OK) {
        fprintf(stderr, "%s: %s\n", prog, err.msg);
        return EXIT_FATAL;
    }
    if (as_index_verify(ix, &err) != AS_OK) {
        fprintf(stderr, "%s: %s/%s\n", prog, as_index_gen_dir(ix), err.msg);
        as_index_close(ix);
        return EXIT_FATAL;
    }
    unsigned stale = 0;
    for (uint32_t f = 0; f < as_index_nfiles(ix); f++) {
        as_file_state fs;
        struct stat st;
        if (as_index_file(ix, f, &fs) != AS_OK)
            continue;
        if (stat(fs.path, &st) != 0) {
            printf("%s: source gone since indexing: %s\n", prog, fs.display);
            stale++;
        } else if ((uint64_t)st.st_size != fs.size
                   || (int64_t)st.st_mtim.tv_sec * 1000000000 + st.st_mtim.tv_nsec
                          != fs.mtime_ns) {
            printf("%s: source changed since indexing: %s\n", prog, fs.display);
            stale++;
        }
    }
    if (verbose || isatty(STDOUT_FILENO))
        printf("%s: %s: ok: %u files, %u sentences%s\n", prog, as_index_gen_dir(ix),
               as_index_nfiles(ix), as_index_ndocs(ix),
               stale ? " (some sources changed: run assess-index)" : "");
    as_index_close(ix);
    return stale ? EXIT_SKIPPED : 0;
}

static int parse_count(const char *s, long min, long max, long *out)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || end == s || *end || v < min || v > max)
        return -1;
    *out = v;
    return 0;
}

int main(int argc, char **argv)
{
    enum { O_INDEX = 256, O_REBUILD, O_WAIT, O_CHECK, O_DUMP, O_THREADS, O_MEM,
           O_VERSION, O_XAPIAN, O_SHARDS };
    static const struct option opts[] = {
        {"index", required_argument, NULL, O_INDEX},
        {"rebuild", no_argument, NULL, O_REBUILD},
        {"wait", no_argument, NULL, O_WAIT},
        {"check", no_argument, NULL, O_CHECK},
        {"dump", no_argument, NULL, O_DUMP},
        {"threads", required_argument, NULL, O_THREADS},
        {"mem", required_argument, NULL, O_MEM},
        {"xapian", required_argument, NULL, O_XAPIAN},
        {"shards", required_argument, NULL, O_SHARDS},
        {"verbose", no_argument, NULL, 'v'},
        {"help", no_argument, NULL, 'h'},
        {"version", no_argument, NULL, O_VERSION},
        {NULL, 0, NULL, 0}};
    const char *index_opt = NULL;
    int rebuild = 0, wait = 0, check = 0, dump = 0, verbose = 0;
    long threads = 0, mem = 0, shards = 1;
    const char *xapian = NULL;
    int c;
    while ((c = getopt_long(argc, argv, "vh", opts, NULL)) != -1) {
        switch (c) {
        case O_INDEX: index_opt = optarg; break;
        case O_REBUILD: rebuild = 1; break;
        case O_WAIT: wait = 1; break;
        case O_CHECK: check = 1; break;
        case O_DUMP: dump = 1; break;
        case O_THREADS:
            if (parse_count(optarg, 1, 256, &threads) != 0) {
                fprintf(stderr, "%s: --threads: expected a number from 1 to 256, got '%s'\n",
                        prog, optarg);
                return EXIT_FATAL;
            }
            break;
        case O_MEM:
            if (parse_count(optarg, 1, 1 << 20, &mem) != 0) {
                fprintf(stderr, "%s: --mem: expected megabytes (1 or more), got '%s'\n",
                        prog, optarg);
                return EXIT_FATAL;
            }
            break;
        case O_XAPIAN: xapian = optarg; break;
        case O_SHARDS:
            if (parse_count(optarg, 1, AS_XSHARDS_MAX, &shards) != 0) {
                fprintf(stderr, "%s: --shards: expected a number from 1 to %d, got '%s'\n",
                        prog, AS_XSHARDS_MAX, optarg);
                return EXIT_FATAL;
            }
            break;
        case 'v': verbose = 1; break;
        case 'h': usage(stdout); return 0;
        case O_VERSION: printf("assess-index %s\n", AS_VERSION); return 0;
        default: usage(stderr); return EXIT_FATAL;
        }
    }
    const char *defroot = default_corpus();
    const char *const *roots = (const char *const *)argv + optind;
    size_t nroots = (size_t)(argc - optind);
    if (nroots == 0) {
        roots = &defroot;
        nroots = 1;
    }
    if (dump)
        return run_dump(roots, nroots);

    char indexdir[4096];
    as_err err = {0};
    /* The Xapian plugin is loaded before any work, so that a missing one
     * costs no build. */
    const as_xplugin *xp = NULL;
    void *xph = NULL;
    int status = EXIT_FATAL;
    if (xapian && !check && as_xplugin_load(&xp, &xph, &err) != AS_OK) {
        fprintf(stderr, "%s: --xapian: %s\n", prog, err.msg);
        return EXIT_FATAL;
    }
    if (as_gen_default_dir(index_opt, indexdir, sizeof indexdir, &err) != AS_OK) {
        fprintf(stderr, "%s: %s\n", prog, err.msg);
        status = EXIT_FATAL;
        goto out;
    }
    if (check) {
        status = run_check(indexdir, verbose);
        goto out;
    }

    /* A full disk or `ulimit -f` must surface as a write error we report,
     * not kill us half-way (the live generation is safe either way). */
    signal(SIGXFSZ, SIG_IGN);
    signal(SIGPIPE, SIG_IGN);

    if (as_gen_mkdir(indexdir, &err) != AS_OK) {
        fprintf(stderr, "%s: %s\n", prog, err.msg);
        status = EXIT_FATAL;
        goto out;
    }
    int lockfd = -1;
    int rc = as_gen_lock(indexdir, wait, &lockfd, &err);
    if (rc == AS_ELOCKED) {
        fprintf(stderr, "%s: %s\n", prog, err.msg);
        status = EXIT_LOCKED;
        goto out;
    }
    if (rc != AS_OK) {
        fprintf(stderr, "%s: %s\n", prog, err.msg);
        status = EXIT_FATAL;
        goto out;
    }
    warnctx wc = {0};
    as_build_opts bo = {0};
    bo.indexdir = indexdir;
    bo.roots = roots;
    bo.nroots = nroots;
    bo.rebuild = rebuild;
    bo.threads = (int)threads;
    bo.mem_limit = (size_t)mem << 20;
    bo.progress = isatty(STDERR_FILENO);
    bo.warn = warn_cb;
    bo.warn_ctx = &wc;
    as_build_stats st;
    rc = as_build_run(&bo, &st, &err);
    as_gen_unlock(lockfd);
    if (st.damaged[0]) {
        /* Not a warning about the corpus (the exit status stays 0): the
         * run repaired the index by rebuilding it. */
        flush_repeats(&wc);
        fprintf(stderr, "%s: ", prog);
        as_safe_write(stderr, st.damaged, strlen(st.damaged));
        fprintf(stderr, rc == AS_OK ? "; rebuilt from the corpus\n"
                                    : "; a rebuild from the corpus failed too:\n");
    }
    if (rc != AS_OK) {
        fprintf(stderr, "%s: %s (the live index, if any, is unchanged)\n", prog, err.msg);
        status = EXIT_FATAL;
        goto out;
    }
    if (verbose || isatty(STDOUT_FILENO))
        printf("%s: %u added, %u changed, %u removed, %u unchanged, %u skipped; "
               "%llu files parsed; %llu sentences; %s%s; %.2f s\n",
               prog, st.added, st.changed, st.removed, st.unchanged, st.skipped,
               (unsigned long long)st.parsed, (unsigned long long)st.sentences,
               st.new_generation ? "new generation " : "no change, still ",
               st.generation, st.seconds);
    if (xapian) {
        /* The export reads the live generation: exactly what the native
         * engine searches, terms and positions included. */
        as_index *ix = NULL;
        rc = as_index_open(indexdir, &ix, &err);
        if (rc == AS_OK)
            rc = xp->export_index(ix, xapian, (unsigned)shards, &err);
        as_index_close(ix);
        if (rc != AS_OK) {
            fprintf(stderr, "%s: %s\n", prog, err.msg);
            status = EXIT_FATAL;
            goto out;
        }
        if (verbose)
            printf("%s: exported %llu sentences into %ld Xapian shard%s in %s\n", prog,
                   (unsigned long long)st.sentences, shards, shards == 1 ? "" : "s", xapian);
    }
    status = (st.skipped || wc.n) ? EXIT_SKIPPED : 0;
out:
    as_xplugin_unload(xph);
    return status;
}
