/*
 * build.c — one indexing run: walk the corpus, decide per file whether the
 * live generation's copy can be reused (size and mtime equal, or crc32
 * equal), read and analyse the rest on all cores, feed everything to the
 * writer in canonical (path) order, verify the new generation and switch.
 *
 * Threads: workers parse and analyse files into self-contained results
 * (page, tokens, mined acronyms, warnings); the main thread alone talks to
 * the writer, consuming results strictly in file order so the generation
 * is identical whatever the scheduling.  Workers stay at most WINDOW files
 * ahead of the consumer, which bounds the memory held in results.  The
 * main thread was the longest of the pipeline, most of it interning every
 * token in a term table bigger than the caches: the workers now group a
 * file's postings by term (as_wpost_*, wint.h), so that it interns each
 * distinct term of a file once and appends the term's postings of the
 * whole file in one piece (as_writer_add_post; its share of a 1M build's
 * CPU samples 28% -> 14%), the sentences' columns and store records going
 * through as_writer_add_doc.
 */
#include "build.h"

#include "analyze.h"
#include "crc.h"
#include "generation.h"
#include "index.h"
#include "ixint.h" /* page checks of a generation just written */
#include "wint.h"  /* as_writer_set_base */

#include <errno.h>
#include <stddef.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define WINDOW_PER_THREAD 8

typedef struct warnmsg {
    char *text;
    unsigned long repeats;  /* further identical warnings folded into this one */
    struct warnmsg *next;
} warnmsg;

/* Everything one file produced, owned by the result until consumed. */
typedef struct fileres {
    int done;
    int status;           /* AS_OK, AS_ESKIP, AS_ENOMEM */
    char msg[512];
    as_page *page;
    uint32_t crc;
    as_wpost post;        /* the postings grouped by term (wint.h) */
    size_t *tokstart;     /* nsents + 1 offsets into post's tokens */
    as_acrotab *mined;
    warnmsg *warns, **warntail;
} fileres;

typedef struct job {
    const as_file *file;
    int parse;            /* 0: reused from the old generation */
    uint32_t oldfile;     /* when reused */
    fileres res;
} job;

typedef struct pool {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    job *jobs;
    size_t njobs;
    size_t next;          /* next job a worker may take */
    size_t consumed;      /* jobs the main thread has finished with */
    size_t window;
    int stop;
} pool;

static void res_warn(void *ctx, const char *path, const char *reason)
{
    fileres *r = ctx;
    size_t n = strlen(path) + strlen(reason) + 3;
    /* A 50 MB line split every 8 KiB must not print thousands of lines:
     * identical consecutive warnings are counted, not repeated. */
    warnmsg *last = r->warns ? (warnmsg *)((char *)r->warntail - offsetof(warnmsg, next)) : NULL;
    if (last && strlen(last->text) == n - 1 && !strncmp(last->text, path, strlen(path))
        && !strcmp(last->text + strlen(path) + 2, reason)) {
        last->repeats++;
        return;
    }
    warnmsg *w = malloc(sizeof *w);
    char *t = malloc(n);
    if (!w || !t) {
        free(w);
        free(t);
        return;
    }
    snprintf(t, n, "%s: %s", path, reason);
    w->text = t;
    w->repeats = 0;
    w->next = NULL;
    *r->warntail = w;
    r->warntail = &w->next;
}

static void res_free(fileres *r)
{
    as_page_free(r->page);
    as_wpost_free(&r->post);
    free(r->tokstart);
    as_acrotab_free(r->mined);
    for (warnmsg *w = r->warns, *n; w; w = n) {
        n = w->next;
        free(w->text);
        free(w);
    }
    memset(r, 0, sizeof *r);
}

/* Reads and analyses one file into r.  Runs on a worker thread. */
static void analyse_file(as_analyzer *an, const as_file *f, fileres *r)
{
    as_err err = {0};
    r->warntail = &r->warns;
    r->status = as_page_read(f, res_warn, r, &r->page, &r->crc, &err);
    if (r->status != AS_OK) {
        snprintf(r->msg, sizeof r->msg, "%s", err.msg);
        return;
    }
    const as_page *p = r->page;
    r->tokstart = malloc((p->nsents + 1) * sizeof *r->tokstart);
    if (as_acrotab_new(&r->mined) != AS_OK || !r->tokstart)
        goto nomem;
    /* the file's tokens, about one per 5 bytes of text (6.7 on the bench
     * corpus), reserved at once: grown by doubling, their arrays' copies
     * were a twentieth of an analysis thread */
    size_t bytes = 0;
    for (size_t s = 0; s < p->nsents; s++)
        bytes += p->sents[s].len;
    if (as_wpost_reserve(&r->post, bytes / 5 + 64) != AS_OK)
        goto nomem;
    for (size_t s = 0; s < p->nsents; s++) {
        const as_token *tk;
        size_t nt;
        const char *text = p->sents[s].text;
        size_t len = p->sents[s].len;
        r->tokstart[s] = r->post.nk;
        /* Every definition the miner knows has a "(" (an ASCII byte that
         * never occurs inside a UTF-8 sequence), and most sentences have
         * none: skipping them saves a sixth of the analysis. */
        if (memchr(text, '(', len) && as_acrotab_mine(r->mined, text, len) != AS_OK)
            goto nomem;
        if (as_analyze(an, text, len, &tk, &nt) != AS_OK)
            goto nomem;
        int rc = as_wpost_add_an(&r->post, (uint32_t)s, tk, nt);
        if (rc == AS_EINVAL) {
            r->status = AS_ESKIP;
            snprintf(r->msg, sizeof r->msg, "%s: a term the index cannot hold", f->display);
            return;
        }
        if (rc != AS_OK)
            goto nomem;
    }
    r->tokstart[p->nsents] = r->post.nk;
    if (as_wpost_finish(&r->post) != AS_OK)
        goto nomem;
    return;
nomem:
    r->status = AS_ENOMEM;
    snprintf(r->msg, sizeof r->msg, "out of memory");
}

static void *worker(void *arg)
{
    pool *pl = arg;
    as_analyzer *an = NULL;
    int anrc = as_analyzer_new(&an);
    pthread_mutex_lock(&pl->mu);
    for (;;) {
        while (!pl->stop && pl->next < pl->njobs
               && (!pl->jobs[pl->next].parse || pl->next >= pl->consumed + pl->window)) {
            if (!pl->jobs[pl->next].parse) {
                pl->next++; /* reused files need no work */
                continue;
            }
            pthread_cond_wait(&pl->cv, &pl->mu);
        }
        if (pl->stop || pl->next >= pl->njobs)
            break;
        job *j = &pl->jobs[pl->next++];
        pthread_mutex_unlock(&pl->mu);
        if (anrc == AS_OK) {
            analyse_file(an, j->file, &j->res);
        } else {
            j->res.status = AS_ENOMEM;
            snprintf(j->res.msg, sizeof j->res.msg, "out of memory");
        }
        pthread_mutex_lock(&pl->mu);
        j->res.done = 1;
        pthread_cond_broadcast(&pl->cv);
    }
    pthread_mutex_unlock(&pl->mu);
    as_analyzer_free(an);
    return NULL;
}

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static uint32_t file_crc(const char *path, int *ok)
{
    FILE *f = fopen(path, "rbe");
    uint32_t crc = 0;
    *ok = 0;
    if (!f)
        return 0;
    unsigned char buf[65536];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, f)) > 0)
        crc = as_crc32(crc, buf, n);
    *ok = !ferror(f);
    fclose(f);
    return crc;
}

/* Index of the old generation's file with this canonical path, or AS_NONE. */
static uint32_t find_old(const as_index *old, const char *path)
{
    uint32_t lo = 0, hi = as_index_nfiles(old);
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        as_file_state fs;
        if (as_index_file(old, mid, &fs) != AS_OK)
            return AS_NONE;
        int c = strcmp(fs.path, path);
        if (c == 0)
            return mid;
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return AS_NONE;
}

static void progress(const as_build_opts *o, size_t i, size_t n, double t0, int *shown)
{
    if (!o->progress)
        return;
    double t = now() - t0;
    if (t < 1.0 && !*shown)
        return; /* short runs draw nothing */
    fprintf(stderr, "\rassess-index: %zu/%zu files, %.0f s", i, n, t);
    *shown = 1;
    if (i == n)
        fputc('\n', stderr);
}

/* What a run expects to find in the generation it wrote. */
typedef struct canary {
    uint32_t ndocs, nfiles;
    char term[AS_TERM_MAX + 8]; /* a term posted for doc (tlen 0: none) */
    size_t tlen;
    uint32_t doc;
    char *text;                 /* doc's text (malloc'd) */
    const as_index *old;        /* a copied sentence: old's olddoc is doc2 */
    uint32_t olddoc, doc2;
} canary;

/* Makes sentence s of r (doc number doc) the canary. */
static int set_canary(canary *cy, const fileres *r, size_t s, uint32_t doc, as_err *err)
{
    const as_wpterm *t = &r->post.t[r->post.lid[r->tokstart[s]]];
    char *text = strdup(r->page->sents[s].text);
    if (!text || t->len > sizeof cy->term) {
        free(text);
        return as_err_set(err, AS_ENOMEM, "out of memory");
    }
    free(cy->text);
    cy->text = text;
    memcpy(cy->term, r->post.terms + t->toff, t->len);
    cy->tlen = t->len;
    cy->doc = doc;
    return AS_OK;
}

/* Checks the freshly written generation before it goes live: it opens
 * (headers, versions, sizes, the meta crc32), every page of every file
 * matches its crc32 (the bytes on disk are the bytes the writer summed:
 * ~0.1 s for 1M sentences), the counts are the run's, a canary query
 * answers (a term of the last analysed sentence finds that sentence, with
 * its positions, and the store gives back its text) and a sentence copied
 * from the old generation reads back with the same text, section, line and
 * length.  The full structural check (as_index_verify: every posting
 * decoded, every store block inflated) costs as much as a fifth of a build
 * and stays with assess-index --check; the writer's own consistency is what
 * the unit tests establish (spilled, copied and plain builds byte-identical). */
static int verify_new(const char *gendir, const canary *cy, as_err *err)
{
    as_index *ix = NULL;
    int rc = as_index_open_gen(gendir, &ix, err);
    if (rc != AS_OK)
        return rc;
    for (int f = 0; f < IXF_N && rc == AS_OK; f++)
        if (ix->f[f].npages && as_ix_check_pages(ix, f, 0, ix->f[f].npages - 1) != AS_OK)
            rc = as_ix_verr(ix, err);
    if (rc == AS_OK && (as_index_ndocs(ix) != cy->ndocs || as_index_nfiles(ix) != cy->nfiles))
        rc = as_err_set(err, AS_ECORRUPT, "%s: holds %u sentences of %u files, %u of %u were written",
                        gendir, as_index_ndocs(ix), as_index_nfiles(ix), cy->ndocs, cy->nfiles);
    if (rc == AS_OK && cy->tlen > 0) {
        as_term t;
        as_pcur c;
        as_docbuf db = {0};
        as_docrec dr;
        const uint32_t *pos;
        uint32_t npos;
        int ok = as_index_find_term(ix, cy->term, cy->tlen, &t) == AS_OK;
        if (ok) {
            as_pcur_init(&c, ix, &t);
            ok = as_pcur_seek(&c, cy->doc) == cy->doc && c.wdf > 0 &&
                 as_pcur_positions(&c, &pos, &npos) == AS_OK && npos == c.wdf;
            as_pcur_release(&c);
        }
        ok = ok && as_index_doc(ix, cy->doc, &db, &dr) == AS_OK && cy->text &&
             strcmp(dr.text, cy->text) == 0;
        as_docbuf_free(&db);
        if (ok && as_index_status(ix) != AS_OK)
            ok = 0;
        if (!ok)
            rc = as_err_set(err, AS_ECORRUPT, "%s: canary query failed", gendir);
    }
    if (rc == AS_OK && cy->old) {
        as_docbuf ob = {0}, nb = {0};
        as_docrec orec, nrec;
        int ok = as_index_doc(cy->old, cy->olddoc, &ob, &orec) == AS_OK &&
                 as_index_doc(ix, cy->doc2, &nb, &nrec) == AS_OK &&
                 strcmp(orec.text, nrec.text) == 0 && strcmp(orec.section, nrec.section) == 0 &&
                 orec.line == nrec.line &&
                 as_index_doclen(cy->old, cy->olddoc) == as_index_doclen(ix, cy->doc2) &&
                 as_index_status(ix) == AS_OK;
        as_docbuf_free(&ob);
        as_docbuf_free(&nb);
        if (!ok)
            rc = as_err_set(err, AS_ECORRUPT, "%s: a copied sentence does not read back", gendir);
    }
    as_index_close(ix);
    return rc;
}

/* The warnings a run has printed, so that a second attempt (the fallback
 * on a damaged generation) does not print them again. */
typedef struct seen {
    char **v;
    size_t n, cap;
    int sorted;
} seen;

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Passes text to o->warn unless an earlier attempt printed it (sn sorted),
 * else records it. */
static void emit_warn(const as_build_opts *o, seen *sn, const char *text)
{
    if (!o->warn)
        return;
    if (sn->sorted && sn->n && bsearch(&text, sn->v, sn->n, sizeof *sn->v, cmp_str))
        return;
    if (!sn->sorted) {
        /* (a failed allocation only costs a warning printed twice) */
        if (sn->n == sn->cap) {
            size_t cap = sn->cap ? 2 * sn->cap : 16;
            char **v = realloc(sn->v, cap * sizeof *v);
            if (v) {
                sn->v = v;
                sn->cap = cap;
            }
        }
        if (sn->n < sn->cap && (sn->v[sn->n] = strdup(text)) != NULL)
            sn->n++;
    }
    o->warn(o->warn_ctx, text, NULL);
}

static void seen_free(seen *sn)
{
    for (size_t i = 0; i < sn->n; i++)
        free(sn->v[i]);
    free(sn->v);
}

/* One attempt at a run: copies unchanged files from *oldp (when not NULL)
 * and parses the rest.  Closes *oldp (sets it NULL) before publishing. */
static int build_once(const as_build_opts *o, const as_corpus *corpus, as_index **oldp,
                      seen *sn, double t0, as_build_stats *st, as_err *err)
{
    as_index *old = *oldp;
    as_writer *w = NULL;
    job *jobs = NULL;
    pool pl;
    pthread_t *tids = NULL;
    int nthreads = 0, rc, shown = 0;
    char tmppath[4096] = "", name[64] = "";
    canary cy;
    memset(&cy, 0, sizeof cy);
    as_wstore_stats sws = {0, 0, 0};
    size_t nf = as_corpus_nfiles(corpus);

    jobs = calloc(nf ? nf : 1, sizeof *jobs);
    if (!jobs) {
        rc = as_err_set(err, AS_ENOMEM, "out of memory");
        goto out;
    }
    size_t toparse = 0, kept = 0, matched = 0;
    uint64_t keptbytes = 0, parsebytes = 0;
    for (size_t i = 0; i < nf; i++) {
        const as_file *f = as_corpus_file(corpus, i);
        jobs[i].file = f;
        jobs[i].parse = 1;
        uint32_t of = old ? find_old(old, f->path) : AS_NONE;
        if (of != AS_NONE) {
            as_file_state fs;
            as_index_file(old, of, &fs);
            int same = fs.size == f->size && fs.mtime_ns == f->mtime_ns;
            if (!same && fs.size == f->size) {
                /* Touched but maybe not changed: the crc decides. */
                int ok;
                uint32_t c = file_crc(f->path, &ok);
                same = ok && c == fs.crc32;
            }
            if (same) {
                jobs[i].parse = 0;
                jobs[i].oldfile = of;
                st->unchanged++;
                kept++;
                keptbytes += f->size;
            } else {
                st->changed++;
            }
            matched++;
        } else {
            st->added++;
        }
        toparse += jobs[i].parse;
        if (jobs[i].parse)
            parsebytes += f->size;
    }
    if (old)
        st->removed = as_index_nfiles(old) - (unsigned)matched;

    if (old && toparse == 0 && st->removed == 0) {
        /* Nothing changed: no work, no new generation. */
        st->sentences = as_index_ndocs(old);
        snprintf(st->generation, sizeof st->generation, "%s", as_index_gen_dir(old));
        rc = AS_OK;
        goto out;
    }

    rc = as_gen_begin(o->indexdir, tmppath, sizeof tmppath, name, sizeof name, err);
    if (rc != AS_OK)
        goto out;
    as_writer_opts wo = {o->mem_limit, NULL};
    rc = as_writer_open(tmppath, &wo, &w, err);
    if (rc != AS_OK)
        goto out;
    /* Unchanged files' store blocks are then copied as they are, not
     * decoded and coded again (storew.h; --rebuild ranks afresh).  Not
     * when most of the corpus is new: its vocab would be the old one's
     * with the new text's tokens appended unranked, and coding the copied
     * blocks again costs little beside analysing the new text. */
    if (old && kept > 0 && keptbytes >= parsebytes &&
        as_writer_set_base(w, old, &sws) != AS_OK) {
        rc = as_err_set(err, AS_EINVAL, "%s", as_writer_errmsg(w));
        goto out;
    }

    nthreads = o->threads > 0 ? o->threads : (int)sysconf(_SC_NPROCESSORS_ONLN);
    if (nthreads < 1)
        nthreads = 1;
    if ((size_t)nthreads > toparse)
        nthreads = (int)(toparse ? toparse : 1);
    memset(&pl, 0, sizeof pl);
    pthread_mutex_init(&pl.mu, NULL);
    pthread_cond_init(&pl.cv, NULL);
    pl.jobs = jobs;
    pl.njobs = nf;
    pl.window = (size_t)nthreads * WINDOW_PER_THREAD;
    tids = calloc((size_t)nthreads, sizeof *tids);
    if (!tids) {
        rc = as_err_set(err, AS_ENOMEM, "out of memory");
        goto out;
    }
    for (int t = 0; t < nthreads; t++)
        if (pthread_create(&tids[t], NULL, worker, &pl) != 0) {
            nthreads = t;
            break;
        }
    if (nthreads == 0) {
        rc = as_err_set(err, AS_ENOMEM, "cannot start analysis threads");
        goto out;
    }

    uint64_t ndocs = 0;
    for (size_t i = 0; i < nf && rc == AS_OK; i++) {
        job *j = &jobs[i];
        const as_file *f = j->file;
        if (!j->parse) {
            rc = as_writer_copy_file(w, old, j->oldfile);
            if (rc != AS_OK) {
                as_err_set(err, rc, "%s", as_writer_errmsg(w));
                break;
            }
            as_file_state fs;
            as_index_file(old, j->oldfile, &fs);
            if (fs.ndocs > 0) { /* its last sentence: the copy's canary */
                cy.old = old;
                cy.olddoc = fs.first_doc + fs.ndocs - 1;
                cy.doc2 = (uint32_t)(ndocs + fs.ndocs - 1);
            }
            ndocs += fs.ndocs;
        } else {
            pthread_mutex_lock(&pl.mu);
            while (!j->res.done)
                pthread_cond_wait(&pl.cv, &pl.mu);
            pthread_mutex_unlock(&pl.mu);
            fileres *r = &j->res;
            for (warnmsg *m = r->warns; m; m = m->next) {
                char line[1200];
                snprintf(line, sizeof line, "%s (%lu times)", m->text, m->repeats + 1);
                emit_warn(o, sn, m->repeats ? line : m->text);
            }
            if (r->warns)
                st->warned++;
            as_file_state fs = {0};
            fs.path = f->path;
            fs.display = f->display;
            fs.size = f->size;
            fs.mtime_ns = f->mtime_ns;
            fs.crc32 = r->crc;
            if (r->status == AS_ENOMEM) {
                rc = as_err_set(err, AS_ENOMEM, "%s: out of memory", f->display);
            } else if (r->status != AS_OK) {
                /* Skipped files are recorded with no sentences so that an
                 * unchanged bad file does not force a new generation on
                 * every run; it is reported again when it changes. */
                emit_warn(o, sn, r->msg); /* the reader's message names the file */
                st->skipped++;
                if (r->crc == 0) {
                    int ok;
                    fs.crc32 = file_crc(f->path, &ok);
                }
                rc = as_writer_begin_file(w, &fs);
                if (rc == AS_OK)
                    rc = as_writer_end_file(w, NULL);
            } else {
                rc = as_writer_begin_file(w, &fs);
                const as_page *p = r->page;
                size_t last = SIZE_MAX; /* the last sentence with terms */
                uint32_t first = (uint32_t)ndocs;
                for (size_t s = 0; s < p->nsents && rc == AS_OK; s++) {
                    const as_sentence *se = &p->sents[s];
                    as_doc_in d = {se->meta, se->text, se->section, se->kind,
                                   se->line, se->paragraph, se->sentence, se->id};
                    size_t a = r->tokstart[s], b = r->tokstart[s + 1];
                    rc = as_writer_add_doc_n(w, &d, b - a, se->len);
                    if (rc == AS_OK && b > a)
                        last = s;
                    ndocs++;
                }
                if (rc == AS_OK)
                    rc = as_writer_add_post(w, first, &r->post);
                if (rc == AS_OK && last != SIZE_MAX)
                    rc = set_canary(&cy, r, last, (uint32_t)(ndocs - p->nsents + last), err);
                if (rc == AS_OK)
                    rc = as_writer_end_file(w, r->mined);
            }
            if (rc != AS_OK && err->code == AS_OK)
                as_err_set(err, rc, "%s", as_writer_errmsg(w));
            st->parsed++;
            res_free(r);
        }
        pthread_mutex_lock(&pl.mu);
        pl.consumed = i + 1;
        pthread_cond_broadcast(&pl.cv);
        pthread_mutex_unlock(&pl.mu);
        progress(o, i + 1, nf, t0, &shown);
    }
    pthread_mutex_lock(&pl.mu);
    pl.stop = 1;
    pthread_cond_broadcast(&pl.cv);
    pthread_mutex_unlock(&pl.mu);
    for (int t = 0; t < nthreads; t++)
        pthread_join(tids[t], NULL);
    nthreads = 0;
    if (rc != AS_OK)
        goto out;

    rc = as_writer_finish(w, err);
    w = NULL;
    if (rc != AS_OK)
        goto out;
    st->store_verbatim = sws.verbatim;
    st->store_recoded = sws.recoded;
    cy.ndocs = (uint32_t)ndocs;
    cy.nfiles = (uint32_t)nf;
    rc = verify_new(tmppath, &cy, err);
    if (rc != AS_OK)
        goto out;
    as_index_close(old); /* our mapping of the old generation goes first */
    old = *oldp = NULL;
    rc = as_gen_publish(o->indexdir, tmppath, name, err);
    if (rc != AS_OK)
        goto out;
    tmppath[0] = '\0';
    st->new_generation = 1;
    st->sentences = ndocs;
    snprintf(st->generation, sizeof st->generation, "%s", name);
    as_gen_cleanup(o->indexdir, NULL);

out:
    if (shown && rc != AS_OK)
        fputc('\n', stderr);
    if (nthreads > 0) {
        pthread_mutex_lock(&pl.mu);
        pl.stop = 1;
        pthread_cond_broadcast(&pl.cv);
        pthread_mutex_unlock(&pl.mu);
        for (int t = 0; t < nthreads; t++)
            pthread_join(tids[t], NULL);
    }
    if (jobs)
        for (size_t i = 0; i < nf; i++)
            res_free(&jobs[i].res);
    free(jobs);
    free(tids);
    if (w)
        as_writer_abort(w);
    if (tmppath[0])
        as_gen_remove_dir(tmppath, NULL); /* the live generation is untouched */
    free(cy.text);
    return rc;
}

int as_build_run(const as_build_opts *o, as_build_stats *st, as_err *err)
{
    double t0 = now();
    memset(st, 0, sizeof *st);
    as_corpus *corpus = NULL;
    as_index *old = NULL;
    seen sn = {NULL, 0, 0, 0};

    as_gen_cleanup(o->indexdir, NULL); /* a dead run's leftovers */
    int rc = as_corpus_walk(o->roots, o->nroots, o->warn, o->warn_ctx, &corpus, err);
    if (rc != AS_OK)
        return rc;
    if (!o->rebuild) {
        as_err oerr = {0};
        if (as_index_open(o->indexdir, &old, &oerr) != AS_OK)
            old = NULL; /* none, or unreadable: build from scratch */
    }
    rc = build_once(o, corpus, &old, &sn, t0, st, err);
    if (rc == AS_ECORRUPT && old && st->unchanged > 0) {
        /* The old generation failed a check while its files were copied
         * (a flipped bit on disk, say).  Every later incremental run would
         * fail the same way until a --rebuild, so this run is one: every
         * file parsed, nothing taken from the damaged generation, which
         * stays live until the new one replaces it.  The counts of what
         * changed are the first attempt's. */
        const char *m = err->msg;
        if (!strncmp(m, "copy: ", 6))
            m += 6;
        snprintf(st->damaged, sizeof st->damaged, "%s", m);
        as_index_close(old);
        old = NULL;
        as_build_stats first = *st;
        memset(st, 0, sizeof *st);
        if (sn.n > 1) /* qsort of an empty (NULL) list is undefined */
            qsort(sn.v, sn.n, sizeof *sn.v, cmp_str);
        sn.sorted = 1;
        *err = (as_err){0};
        rc = build_once(o, corpus, &old, &sn, t0, st, err);
        st->added = first.added;
        st->changed = first.changed;
        st->removed = first.removed;
        st->unchanged = first.unchanged;
        memcpy(st->damaged, first.damaged, sizeof st->damaged);
    }
    as_index_close(old);
    as_corpus_free(corpus);
    seen_free(&sn);
    st->seconds = now() - t0;
    return rc;
}
