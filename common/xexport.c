/*
 * xexport.c — exports a native generation into Xapian shards and a stub
 * file (layout, terms, values, data and metadata: xexport.h).
 *
 * The native index is inverted (term -> docs) and Xapian wants documents,
 * so the export re-inverts it: every term's postings and positions are read
 * with a cursor and scattered into per-document arrays, whose sizes are
 * known in advance (a document's length is its number of term positions).
 * To bound memory on big generations this happens in chunks of documents,
 * each chunk scanning the dictionary again (cursors seek to the chunk), and
 * each chunk is one Xapian transaction per shard.
 */
#include "xexport.h"
#include "xapian_shim.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Postings held in memory at once (8 bytes each). */
#define CHUNK_POSTINGS (16u << 20)

typedef struct tinfo {
    size_t off, len; /* bytes in ex->tbytes */
    as_term info;
} tinfo;

typedef struct post {
    uint32_t term, pos;
} post;

typedef struct exporter {
    const as_index *ix;
    const char *dir;
    unsigned nshards;
    asx_db **db;
    as_err *err;
    uint32_t ndocs;
    /* dictionary */
    tinfo *terms;
    size_t nterms, capterms;
    char *tbytes;
    size_t ntbytes, captbytes;
    /* one chunk */
    post *posts;
    size_t capposts;
    uint64_t *start; /* per doc of the chunk: first post */
    uint32_t *fill;  /* per doc: posts stored so far */
    size_t capdocs;
    as_pcur *cur;
    /* docid mapping */
    uint64_t lastc;
    as_docbuf buf;
    char *data;
    size_t capdata;
} exporter;

static int grow(void **p, size_t *cap, size_t need, size_t size)
{
    if (need <= *cap)
        return 0;
    size_t c = *cap ? *cap : 64;
    while (c < need) {
        if (c > SIZE_MAX / 2 / size)
            return -1;
        c *= 2;
    }
    void *q = realloc(*p, c * size);
    if (!q)
        return -1;
    *p = q;
    *cap = c;
    return 0;
}

static int collect_term(void *arg, const char *term, size_t len, const as_term *info)
{
    exporter *ex = arg;
    if (grow((void **)&ex->terms, &ex->capterms, ex->nterms + 1, sizeof *ex->terms) ||
        grow((void **)&ex->tbytes, &ex->captbytes, ex->ntbytes + len + 1, 1))
        return AS_ENOMEM;
    memcpy(ex->tbytes + ex->ntbytes, term, len);
    ex->tbytes[ex->ntbytes + len] = '\0';
    ex->terms[ex->nterms++] = (tinfo){ex->ntbytes, len, *info};
    ex->ntbytes += len + 1;
    return 0;
}

static int shard_of(const exporter *ex, uint32_t doc, const as_unit **unit)
{
    const as_unit *u = as_index_unit(ex->ix, as_index_unit_of(ex->ix, doc));
    *unit = u;
    if (!u || u->council == AS_NONE)
        return 0;
    return (int)(u->council % ex->nshards);
}

/* Appends s and a NUL to the data buffer. */
static int put_field(exporter *ex, size_t *n, const char *s)
{
    size_t l = strlen(s);
    if (grow((void **)&ex->data, &ex->capdata, *n + l + 1, 1))
        return AS_ENOMEM;
    memcpy(ex->data + *n, s, l + 1);
    *n += l + 1;
    return AS_OK;
}

static int put_num(exporter *ex, size_t *n, uint64_t v)
{
    char b[24];
    snprintf(b, sizeof b, "%" PRIu64, v);
    return put_field(ex, n, b);
}

static int add_bool(asx_doc *d, char prefix, uint64_t v)
{
    char b[24];
    int l = snprintf(b, sizeof b, "%c%" PRIu64, prefix, v);
    return asx_doc_add_boolean(d, b, (size_t)l);
}

static int set_num_value(asx_doc *d, uint32_t slot, uint64_t v)
{
    char b[24];
    int l = snprintf(b, sizeof b, "%" PRIu64, v);
    return asx_doc_set_value(d, slot, b, (size_t)l);
}

/* Builds and stores document `doc` whose postings are posts[0..n). */
static int write_doc(exporter *ex, uint32_t doc, const post *posts, size_t n)
{
    const as_unit *u;
    unsigned s = (unsigned)shard_of(ex, doc, &u);
    /* Smallest combined docid above the previous one in shard s. */
    uint64_t c = ex->lastc + 1;
    c += (s + ex->nshards - (unsigned)((c - 1) % ex->nshards)) % ex->nshards;
    if (c > UINT32_MAX)
        return as_err_set(ex->err, AS_ELIMIT, "%s: too many sentences for %u shards",
                          ex->dir, ex->nshards);
    ex->lastc = c;
    uint32_t local = (uint32_t)((c - 1) / ex->nshards + 1);

    as_docrec rec;
    int rc = as_index_doc(ex->ix, doc, &ex->buf, &rec);
    if (rc != AS_OK)
        return as_err_set(ex->err, rc, "sentence %u: %s", doc, as_index_errmsg(ex->ix));
    int kind = rec.kind >= 0 && rec.kind < AS_NKINDS ? rec.kind : 0;
    const uint32_t *m = NULL;
    uint32_t nm = 0;
    as_index_dups(ex->ix, doc, &m, &nm);
    uint32_t key = m && nm > 0 && m[0] < ex->ndocs ? m[0] : doc;

    as_file_state fs;
    memset(&fs, 0, sizeof fs);
    const char *council = "";
    if (u) {
        if (as_index_file(ex->ix, u->file, &fs) != AS_OK)
            memset(&fs, 0, sizeof fs);
        if (u->council != AS_NONE) {
            const char *cn = as_index_council(ex->ix, u->council);
            council = cn ? cn : "";
        }
    }
    const char *path = fs.display ? fs.display : fs.path ? fs.path : "";

    size_t dn = 0;
    rc = put_field(ex, &dn, AS_XDATA_MAGIC);
    if (!rc) rc = put_num(ex, &dn, doc);
    if (!rc) rc = put_num(ex, &dn, u ? u->file : AS_NONE);
    if (!rc) rc = put_field(ex, &dn, council);
    if (!rc) rc = put_num(ex, &dn, u ? u->statement : 0);
    if (!rc) rc = put_num(ex, &dn, u ? u->theme : 0);
    if (!rc) rc = put_num(ex, &dn, u ? u->score : 0);
    if (!rc) rc = put_num(ex, &dn, u ? u->published : 0);
    if (!rc) rc = put_num(ex, &dn, u ? u->updated : 0);
    if (!rc) rc = put_num(ex, &dn, (uint64_t)kind);
    if (!rc) rc = put_num(ex, &dn, rec.line);
    if (!rc) rc = put_num(ex, &dn, rec.paragraph);
    if (!rc) rc = put_num(ex, &dn, rec.sentence);
    if (!rc) rc = put_field(ex, &dn, rec.section ? rec.section : "");
    if (!rc) rc = put_field(ex, &dn, rec.text ? rec.text : "");
    if (!rc) rc = put_field(ex, &dn, path);
    if (rc)
        return as_err_set(ex->err, rc, "out of memory");

    asx_doc *d;
    rc = asx_doc_new(&d);
    if (rc)
        return as_err_set(ex->err, rc, "out of memory");
    /* Sticky errors on d: one check at the end covers every call. */
    for (size_t i = 0; i < n; i++) {
        const tinfo *t = &ex->terms[posts[i].term];
        asx_doc_add_posting(d, ex->tbytes + t->off, t->len, posts[i].pos);
    }
    add_bool(d, 'K', (uint64_t)kind);
    if (u) {
        add_bool(d, 'S', u->statement);
        add_bool(d, 'T', u->theme);
        add_bool(d, 'R', u->score);
        if (u->published)
            add_bool(d, 'Y', u->published / 10000);
        else
            asx_doc_add_boolean(d, "YN", 2);
        if (u->council != AS_NONE)
            add_bool(d, 'C', u->council);
        else
            asx_doc_add_boolean(d, "CN", 2);
    } else {
        add_bool(d, 'S', 0);
        add_bool(d, 'T', 0);
        add_bool(d, 'R', 0);
        asx_doc_add_boolean(d, "YN", 2);
        asx_doc_add_boolean(d, "CN", 2);
    }
    if (nm > 1)
        add_bool(d, 'G', key);
    set_num_value(d, AS_XSLOT_DOC, doc);
    set_num_value(d, AS_XSLOT_GROUP, key);
    set_num_value(d, AS_XSLOT_FILE, u ? u->file : AS_NONE);
    set_num_value(d, AS_XSLOT_GROUPSIZE, nm > 0 ? nm : 1);
    asx_doc_set_data(d, ex->data, dn);
    rc = asx_db_replace(ex->db[s], local, d);
    if (rc != AS_OK)
        as_err_set(ex->err, rc, "%s/shard-%u: sentence %u: %s", ex->dir, s, doc,
                   asx_db_errmsg(ex->db[s]));
    asx_doc_free(d);
    return rc;
}

/* Exports docs [lo, hi), whose lengths sum to npost. */
static int export_chunk(exporter *ex, uint32_t lo, uint32_t hi, uint64_t npost)
{
    size_t nd = hi - lo;
    if (grow((void **)&ex->posts, &ex->capposts, npost ? npost : 1, sizeof *ex->posts) ||
        grow((void **)&ex->start, &ex->capdocs, nd + 1, sizeof *ex->start))
        return as_err_set(ex->err, AS_ENOMEM, "out of memory");
    size_t cap = ex->capdocs;
    uint32_t *fill = realloc(ex->fill, cap * sizeof *fill);
    if (!fill)
        return as_err_set(ex->err, AS_ENOMEM, "out of memory");
    ex->fill = fill;
    uint64_t at = 0;
    for (size_t i = 0; i < nd; i++) {
        ex->start[i] = at;
        ex->fill[i] = 0;
        at += as_index_doclen(ex->ix, lo + (uint32_t)i);
    }
    ex->start[nd] = at;

    for (size_t t = 0; t < ex->nterms; t++) {
        as_pcur_init(ex->cur, ex->ix, &ex->terms[t].info);
        for (uint32_t d = as_pcur_seek(ex->cur, lo); d < hi; d = as_pcur_next(ex->cur)) {
            const uint32_t *pos;
            uint32_t np;
            if (as_pcur_positions(ex->cur, &pos, &np) != AS_OK || d < lo) {
                as_pcur_release(ex->cur);
                return as_err_set(ex->err, AS_ECORRUPT, "term '%s': bad postings",
                                  ex->tbytes + ex->terms[t].off);
            }
            size_t i = d - lo;
            uint64_t room = ex->start[i + 1] - ex->start[i] - ex->fill[i];
            if (np > room) {
                as_pcur_release(ex->cur);
                return as_err_set(ex->err, AS_ECORRUPT,
                                  "sentence %u: more term positions than its length", d);
            }
            post *p = ex->posts + ex->start[i] + ex->fill[i];
            for (uint32_t k = 0; k < np; k++)
                p[k] = (post){(uint32_t)t, pos[k]};
            ex->fill[i] += np;
        }
        as_pcur_release(ex->cur);
    }
    if (as_index_status(ex->ix) != AS_OK)
        return as_err_set(ex->err, AS_ECORRUPT, "%s", as_index_errmsg(ex->ix));
    for (size_t i = 0; i < nd; i++)
        if (ex->start[i] + ex->fill[i] != ex->start[i + 1])
            /* Xapian's length would differ from the native one, and so
             * would every weight. */
            return as_err_set(ex->err, AS_ECORRUPT,
                              "sentence %u: %u term positions, length %" PRIu64,
                              lo + (uint32_t)i, ex->fill[i],
                              ex->start[i + 1] - ex->start[i]);

    for (unsigned s = 0; s < ex->nshards; s++)
        if (asx_db_begin(ex->db[s]) != AS_OK)
            return as_err_set(ex->err, AS_EIO, "%s", asx_db_errmsg(ex->db[s]));
    int rc = AS_OK;
    for (size_t i = 0; rc == AS_OK && i < nd; i++)
        rc = write_doc(ex, lo + (uint32_t)i, ex->posts + ex->start[i], ex->fill[i]);
    for (unsigned s = 0; s < ex->nshards; s++) {
        if (rc != AS_OK) {
            asx_db_cancel(ex->db[s]);
            continue;
        }
        rc = asx_db_commit(ex->db[s]);
        if (rc != AS_OK)
            as_err_set(ex->err, rc, "%s", asx_db_errmsg(ex->db[s]));
    }
    return rc;
}

static int write_metadata(exporter *ex)
{
    /* Council names, "\n"-terminated; a newline inside a name (never seen
     * in a title line) would split it, so it becomes a space. */
    char *cl = NULL;
    size_t ncl = 0, capcl = 0;
    uint32_t nc = as_index_ncouncils(ex->ix);
    for (uint32_t c = 0; c < nc; c++) {
        const char *name = as_index_council(ex->ix, c);
        if (!name)
            name = "";
        size_t l = strlen(name);
        if (grow((void **)&cl, &capcl, ncl + l + 1, 1)) {
            free(cl);
            return as_err_set(ex->err, AS_ENOMEM, "out of memory");
        }
        for (size_t i = 0; i < l; i++)
            cl[ncl + i] = name[i] == '\n' ? ' ' : name[i];
        cl[ncl + l] = '\n';
        ncl += l + 1;
    }
    char *acro = NULL;
    size_t nacro = 0;
    const as_acrotab *t = as_index_acronyms(ex->ix);
    if (t && as_acrotab_serialize(t, &acro, &nacro) != AS_OK) {
        free(cl);
        return as_err_set(ex->err, AS_ENOMEM, "out of memory");
    }
    char ndocs[24], nshards[24];
    snprintf(ndocs, sizeof ndocs, "%" PRIu32, ex->ndocs);
    snprintf(nshards, sizeof nshards, "%u", ex->nshards);
    int rc = AS_OK;
    for (unsigned s = 0; rc == AS_OK && s < ex->nshards; s++) {
        asx_db *db = ex->db[s];
        rc = asx_db_set_metadata(db, AS_XMETA_FORMAT, AS_XFORMAT, strlen(AS_XFORMAT));
        if (!rc) rc = asx_db_set_metadata(db, AS_XMETA_NDOCS, ndocs, strlen(ndocs));
        if (!rc) rc = asx_db_set_metadata(db, AS_XMETA_SHARDS, nshards, strlen(nshards));
        if (!rc) rc = asx_db_set_metadata(db, AS_XMETA_COUNCILS, cl ? cl : "", ncl);
        if (!rc && acro) rc = asx_db_set_metadata(db, AS_XMETA_ACRONYMS, acro, nacro);
        if (!rc) rc = asx_db_commit(db);
        if (rc)
            as_err_set(ex->err, rc, "%s", asx_db_errmsg(db));
    }
    free(cl);
    free(acro);
    return rc;
}

static int write_stub(exporter *ex)
{
    size_t l = strlen(ex->dir) + 16;
    char *tmp = malloc(l), *fin = malloc(l);
    if (!tmp || !fin) {
        free(tmp);
        free(fin);
        return as_err_set(ex->err, AS_ENOMEM, "out of memory");
    }
    snprintf(tmp, l, "%s/STUB.tmp", ex->dir);
    snprintf(fin, l, "%s/STUB", ex->dir);
    int rc = AS_OK;
    FILE *f = fopen(tmp, "w");
    if (!f) {
        rc = as_err_set(ex->err, AS_EIO, "%s: %s", tmp, strerror(errno));
    } else {
        for (unsigned s = 0; s < ex->nshards; s++)
            fprintf(f, "auto shard-%u\n", s);
        if (fflush(f) != 0 || fsync(fileno(f)) != 0)
            rc = as_err_set(ex->err, AS_EIO, "%s: %s", tmp, strerror(errno));
        if (fclose(f) != 0 && rc == AS_OK)
            rc = as_err_set(ex->err, AS_EIO, "%s: %s", tmp, strerror(errno));
        /* rename: a reader sees the old stub or the new one, never half. */
        if (rc == AS_OK && rename(tmp, fin) != 0)
            rc = as_err_set(ex->err, AS_EIO, "%s: %s", fin, strerror(errno));
        if (rc != AS_OK)
            unlink(tmp);
    }
    free(tmp);
    free(fin);
    return rc;
}

int as_xapian_export(const as_index *ix, const char *dir, unsigned shards, as_err *err)
{
    if (!ix || !dir || !*dir)
        return as_err_set(err, AS_EINVAL, "xapian export: no index or directory");
    if (shards < 1 || shards > AS_XSHARDS_MAX)
        return as_err_set(err, AS_EINVAL, "xapian export: shards must be 1 to %d, not %u",
                          AS_XSHARDS_MAX, shards);
    if (mkdir(dir, 0777) != 0 && errno != EEXIST)
        return as_err_set(err, AS_EIO, "%s: %s", dir, strerror(errno));

    exporter ex;
    memset(&ex, 0, sizeof ex);
    ex.ix = ix;
    ex.dir = dir;
    ex.nshards = shards;
    ex.err = err;
    ex.ndocs = as_index_ndocs(ix);
    int rc = AS_OK;
    ex.db = calloc(shards, sizeof *ex.db);
    ex.cur = calloc(1, sizeof *ex.cur);
    if (!ex.db || !ex.cur) {
        rc = as_err_set(err, AS_ENOMEM, "out of memory");
        goto out;
    }
    for (unsigned s = 0; rc == AS_OK && s < shards; s++) {
        size_t l = strlen(dir) + 32;
        char *p = malloc(l);
        if (!p) {
            rc = as_err_set(err, AS_ENOMEM, "out of memory");
            break;
        }
        snprintf(p, l, "%s/shard-%u", dir, s);
        rc = asx_db_create(p, &ex.db[s], err);
        free(p);
    }
    if (rc != AS_OK)
        goto out;

    rc = as_index_each_term(ix, "", 0, collect_term, &ex);
    if (rc != AS_OK) {
        rc = as_err_set(err, rc < 0 ? rc : AS_ECORRUPT, "reading the dictionary: %s",
                        rc == AS_ENOMEM ? "out of memory" : as_index_errmsg(ix));
        goto out;
    }
    if (ex.nterms > UINT32_MAX) {
        rc = as_err_set(err, AS_ELIMIT, "too many terms");
        goto out;
    }
    /* Chunks of whole documents holding at most CHUNK_POSTINGS postings
     * (a longer document is a chunk of its own). */
    uint32_t lo = 0;
    while (rc == AS_OK && lo < ex.ndocs) {
        uint32_t hi = lo;
        uint64_t n = 0;
        while (hi < ex.ndocs) {
            uint64_t l = as_index_doclen(ix, hi);
            if (hi > lo && n + l > CHUNK_POSTINGS)
                break;
            n += l;
            hi++;
        }
        rc = export_chunk(&ex, lo, hi, n);
        lo = hi;
    }
    if (rc == AS_OK)
        rc = write_metadata(&ex);
    if (rc == AS_OK)
        rc = write_stub(&ex);
out:
    for (unsigned s = 0; ex.db && s < shards; s++)
        asx_db_close(ex.db[s]);
    free(ex.db);
    free(ex.cur);
    free(ex.terms);
    free(ex.tbytes);
    free(ex.posts);
    free(ex.start);
    free(ex.fill);
    free(ex.data);
    as_docbuf_free(&ex.buf);
    return rc;
}
