/*
 * writer.c — Writes one generation of the native index (format.h): the
 * in-memory inversion fed one sentence at a time, spilling of sorted runs
 * when memory is short, and at finish the merge that encodes the final
 * postings, dictionary, columns, store index, duplicate groups and meta.
 *
 * Inversion: every distinct term has a growable byte buffer holding, per
 * document, varint(doc + 1 - previous doc + 1), varint(wdf) and the wdf
 * positions (first absolute, then gaps).  Terms are interned in an
 * open-addressing hash table with their bytes in an arena, so a posting
 * costs a hash probe and a few bytes appended, never a malloc.  When the
 * buffers exceed mem_limit, the terms are sorted and written out as a run
 * (runs hold ascending docids, so a term's postings across runs simply
 * concatenate) and the buffers are freed.
 *
 * Copied files (as_writer_copy_file) contribute their columns and store
 * blocks at once, and their postings at finish: the merge walks the old
 * generation's dictionary beside the new terms and, for every term, merges
 * in docid order the new postings with the old ones of the copied files
 * (remapped).  The result is byte for byte what a fresh build of the same
 * corpus writes, so queries answer identically after either.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

#include "bitpack.h"
#include "ixint.h"
#include "varint.h"
#include "storew.h"
#include "wfile.h"

#define DEFAULT_MEM_LIMIT ((size_t)256 << 20)
#define MAX_RUNS 32 /* runs merged into one when there are this many */

/* ---- String interning ------------------------------------------------- */

typedef struct sent {
    const char *s;
    uint32_t len, hash;
    uint32_t slot;    /* where it sits in the table */
} sent;

/* A slot of the hash table: the hash, the id and the term's first bytes
 * in one 32-byte record, so a lookup usually touches one cache line (the
 * interning of every token is the writer's hottest loop). */
#define SLOT_PRE 23
typedef struct slot {
    uint32_t hash;
    uint32_t id1;     /* id + 1, 0 = empty */
    uint8_t len;      /* min(len, 255) */
    char pre[SLOT_PRE];
} slot;

typedef struct strtab {
    slot *slots;
    uint32_t mask;
    sent *e;
    uint32_t n, cap;
    char **chunks;    /* arena */
    size_t nchunks, chunkcap;
    size_t left;      /* bytes left in the last chunk */
    char *next;
    size_t bytes;     /* memory used, for the limit */
} strtab;

#define ARENA_CHUNK ((size_t)1 << 20)

static uint32_t hash_bytes(const char *s, size_t n)
{
    /* 8 bytes at a time (the tail gathered by a fall-through switch, never
     * reading past s + n), each word mixed by one multiply: cheaper than
     * FNV's multiply per byte for the 4-10 byte terms that dominate. */
    const uint8_t *p = (const uint8_t *)s;
    uint64_t h = 0x9e3779b97f4a7c15ull ^ n, x;
    for (; n >= 8; n -= 8, p += 8) {
        memcpy(&x, p, 8);
        h = (h ^ x) * 0xff51afd7ed558ccdull;
        h ^= h >> 32;
    }
    x = 0;
    switch (n) {
    case 7: x |= (uint64_t)p[6] << 48; /* fall through */
    case 6: x |= (uint64_t)p[5] << 40; /* fall through */
    case 5: x |= (uint64_t)p[4] << 32; /* fall through */
    case 4: x |= (uint64_t)p[3] << 24; /* fall through */
    case 3: x |= (uint64_t)p[2] << 16; /* fall through */
    case 2: x |= (uint64_t)p[1] << 8;  /* fall through */
    case 1: x |= p[0];
        h = (h ^ x) * 0xff51afd7ed558ccdull;
        h ^= h >> 32;
    }
    return (uint32_t)h;
}

static char *arena_copy(as_wctx *c, strtab *t, const char *s, size_t n)
{
    if (t->left < n + 1) {
        size_t sz = n + 1 > ARENA_CHUNK ? n + 1 : ARENA_CHUNK;
        if (t->nchunks == t->chunkcap) {
            size_t nc = t->chunkcap ? 2 * t->chunkcap : 16;
            char **p = realloc(t->chunks, nc * sizeof *p);
            if (!p) {
                as_wctx_fail(c, AS_ENOMEM, "out of memory");
                return NULL;
            }
            t->chunks = p;
            t->chunkcap = nc;
        }
        char *ch = malloc(sz);
        if (!ch) {
            as_wctx_fail(c, AS_ENOMEM, "out of memory");
            return NULL;
        }
        t->chunks[t->nchunks++] = ch;
        t->next = ch;
        t->left = sz;
        t->bytes += sz;
    }
    char *r = t->next;
    memcpy(r, s, n);
    r[n] = 0;
    t->next += n + 1;
    t->left -= n + 1;
    return r;
}

static int strtab_grow(as_wctx *c, strtab *t)
{
    uint32_t nslots = t->mask ? 2 * (t->mask + 1) : 1024;
    slot *s = calloc(nslots, sizeof *s);
    if (!s) {
        as_wctx_fail(c, AS_ENOMEM, "out of memory");
        return -1;
    }
    for (uint32_t i = 0; i < t->n; i++) {
        uint32_t j = t->e[i].hash & (nslots - 1);
        while (s[j].id1)
            j = (j + 1) & (nslots - 1);
        s[j] = t->slots[t->e[i].slot];
        t->e[i].slot = j;
    }
    t->bytes += (size_t)nslots * sizeof *s - (t->mask ? (size_t)(t->mask + 1) * sizeof *s : 0);
    free(t->slots);
    t->slots = s;
    t->mask = nslots - 1;
    return 0;
}

/* Returns the id of s (adding it), or UINT32_MAX on error. */
static uint32_t strtab_intern(as_wctx *c, strtab *t, const char *s, size_t n, int *added)
{
    *added = 0;
    if (c->rc != AS_OK)
        return UINT32_MAX;
    if ((uint64_t)(t->n + 1) * 2 > (uint64_t)t->mask + 1 && strtab_grow(c, t) != 0)
        return UINT32_MAX;
    uint32_t h = hash_bytes(s, n), j = h & t->mask;
    uint8_t l8 = n > 255 ? 255 : (uint8_t)n;
    size_t pl = n < SLOT_PRE ? n : SLOT_PRE;
    for (;;) {
        const slot *q = &t->slots[j];
        if (!q->id1)
            break;
        if (q->hash == h && q->len == l8 && memcmp(q->pre, s, pl) == 0 &&
            (n <= SLOT_PRE || (t->e[q->id1 - 1].len == n &&
                               memcmp(t->e[q->id1 - 1].s, s, n) == 0)))
            return q->id1 - 1;
        j = (j + 1) & t->mask;
    }
    if (t->n == UINT32_MAX - 1) {
        as_wctx_fail(c, AS_ELIMIT, "too many distinct terms");
        return UINT32_MAX;
    }
    if (t->n == t->cap) {
        uint32_t nc = t->cap ? 2 * t->cap : 1024;
        sent *e = realloc(t->e, (size_t)nc * sizeof *e);
        if (!e) {
            as_wctx_fail(c, AS_ENOMEM, "out of memory");
            return UINT32_MAX;
        }
        t->bytes += (size_t)(nc - t->cap) * sizeof *e;
        t->e = e;
        t->cap = nc;
    }
    const char *copy = arena_copy(c, t, s, n);
    if (!copy)
        return UINT32_MAX;
    t->e[t->n] = (sent){copy, (uint32_t)n, h, j};
    slot *q = &t->slots[j];
    q->hash = h;
    q->len = l8;
    memcpy(q->pre, s, pl);
    q->id1 = ++t->n;
    *added = 1;
    return t->n - 1;
}

static void strtab_free(strtab *t)
{
    for (size_t i = 0; i < t->nchunks; i++)
        free(t->chunks[i]);
    free(t->chunks);
    free(t->slots);
    free(t->e);
    memset(t, 0, sizeof *t);
}

static int bytes_cmp(const char *a, size_t an, const char *b, size_t bn)
{
    int r = memcmp(a, b, an < bn ? an : bn);
    if (r)
        return r;
    return an < bn ? -1 : an > bn;
}

/* ---- The writer --------------------------------------------------------- */

typedef struct wterm {
    uint8_t *buf;
    uint32_t len, cap;
    uint32_t prev1;   /* last doc + 1 in this run; 0 = none yet */
    uint32_t curdoc;  /* doc + 1 of the doc-local slot below */
    uint32_t slot;
} wterm;

typedef struct wunit {
    uint32_t first_doc, ndocs, file, council; /* council: interned id */
    uint8_t statement, score;
    uint32_t published, updated;
} wunit;

typedef struct wfilerec {
    char *path, *display;
    uint64_t size;
    int64_t mtime_ns;
    uint32_t crc32, first_doc, ndocs;
    uint8_t *acro;
    size_t acrolen;
} wfilerec;

typedef struct wcopy {
    const as_index *old;
    uint32_t old_first, n, new_first;
} wcopy;

struct as_writer {
    as_wctx c;
    char *dir, *tmpdir;
    size_t mem_limit;
    as_wfile f[IXF_N];

    strtab terms;
    wterm *tw;
    uint32_t twcap;
    size_t mem_post;

    /* doc-local scratch */
    uint32_t *lid, *lwdf, *lstart, *lfill, *tslot, *lpos;
    size_t lcap, tcap;

    char **runs;
    size_t nruns, runcap, runseq;

    uint32_t ndocs;
    uint32_t *doclen, *hash;
    uint8_t *kind;
    size_t dcap;
    uint64_t total_len;

    wunit *units;
    size_t nunits, ucap;
    strtab councils;

    wfilerec *files;
    size_t nfiles, fcap;
    int infile;

    /* store */
    as_gbuf sbuf, sfields, stexts;
    uint32_t sprevline, sprevpara;
    char *sprevsecbuf;        /* the block's previous record's section */
    size_t sprevseclen, sprevseccap;
    int shavesec;
    uint32_t sfirst, sndocs;
    as_swriter sw;            /* compresses and writes blocks */

    wcopy *copies;
    size_t ncopies, ccap;

    /* results of the merge */
    uint64_t terms_nterms, dict_nblocks, dict_bindex_off, post_len, pos_len;
};

static void *grow(as_wctx *c, void *p, size_t *cap, size_t need, size_t elem)
{
    if (need <= *cap)
        return p;
    size_t nc = *cap ? *cap : 64;
    while (nc < need)
        nc *= 2;
    void *q = realloc(p, nc * elem);
    if (!q) {
        as_wctx_fail(c, AS_ENOMEM, "out of memory");
        return NULL;
    }
    *cap = nc;
    return q;
}
#define GROW(c, arr, cap, need) \
    ((arr) = grow((c), (arr), &(cap), (need), sizeof *(arr)), (arr) != NULL)

const char *as_writer_errmsg(const as_writer *w)
{
    return w ? w->c.msg : "no writer";
}

int as_writer_open(const char *gendir, const as_writer_opts *o, as_writer **out,
                   as_err *err)
{
    *out = NULL;
    as_writer *w = calloc(1, sizeof *w);
    if (!w)
        return as_err_set(err, AS_ENOMEM, "out of memory");
    for (int i = 0; i < IXF_N; i++)
        w->f[i].fd = -1;
    w->mem_limit = o && o->mem_limit ? o->mem_limit : DEFAULT_MEM_LIMIT;
    w->dir = strdup(gendir);
    w->tmpdir = strdup(o && o->tmpdir ? o->tmpdir : gendir);
    if (!w->dir || !w->tmpdir) {
        as_writer_abort(w);
        return as_err_set(err, AS_ENOMEM, "out of memory");
    }
    as_sw_open(&w->c, &w->sw, gendir);
    if (w->c.rc != AS_OK) {
        int rc = as_err_set(err, w->c.rc, "%s", w->c.msg);
        as_writer_abort(w);
        return rc;
    }
    *out = w;
    return AS_OK;
}

int as_writer_begin_file(as_writer *w, const as_file_state *fs)
{
    if (w->c.rc != AS_OK)
        return w->c.rc;
    if (w->infile) {
        as_wctx_fail(&w->c, AS_EINVAL, "as_writer_begin_file: previous file not ended");
        return w->c.rc;
    }
    if (!fs || !fs->path) {
        as_wctx_fail(&w->c, AS_EINVAL, "as_writer_begin_file: no path");
        return w->c.rc;
    }
    if (w->nfiles > 0 && strcmp(w->files[w->nfiles - 1].path, fs->path) >= 0) {
        as_wctx_fail(&w->c, AS_EINVAL, "%s: files must be added in path order (after %s)",
                     fs->path, w->files[w->nfiles - 1].path);
        return w->c.rc;
    }
    if (!GROW(&w->c, w->files, w->fcap, w->nfiles + 1))
        return w->c.rc;
    wfilerec *r = &w->files[w->nfiles];
    memset(r, 0, sizeof *r);
    r->path = strdup(fs->path);
    r->display = strdup(fs->display ? fs->display : fs->path);
    if (!r->path || !r->display) {
        free(r->path);
        free(r->display);
        as_wctx_fail(&w->c, AS_ENOMEM, "out of memory");
        return w->c.rc;
    }
    r->size = fs->size;
    r->mtime_ns = fs->mtime_ns;
    r->crc32 = fs->crc32;
    r->first_doc = w->ndocs;
    w->nfiles++;
    w->infile = 1;
    return AS_OK;
}

/* ---- Store -------------------------------------------------------------- */

static void store_flush(as_writer *w)
{
    as_wctx *c = &w->c;
    if (w->sndocs == 0 || c->rc != AS_OK)
        return;
    w->sbuf.n = 0;
    as_gbuf_varint(c, &w->sbuf, w->sfields.n);
    as_gbuf_put(c, &w->sbuf, w->sfields.p, w->sfields.n);
    as_gbuf_put(c, &w->sbuf, w->stexts.p, w->stexts.n);
    if (c->rc != AS_OK)
        return;
    if (w->sbuf.n > UINT32_MAX / 2) {
        as_wctx_fail(c, AS_ELIMIT, "store: a sentence is too long");
        return;
    }
    as_sw_block(c, &w->sw, w->sbuf.p, w->sbuf.n, w->sfirst, w->sndocs);
    memset(&w->sbuf, 0, sizeof w->sbuf); /* the block went with its memory */
    w->sbuf.n = w->sfields.n = w->stexts.n = 0;
    w->sndocs = 0;
}

static uint64_t zigzag(int64_t v)
{
    return v < 0 ? ((uint64_t)(-(v + 1)) << 1) | 1 : (uint64_t)v << 1;
}

/* Appends a record (format.h: store): texts go together, apart from the
 * small fields, so that deflate sees prose next to prose. */
static void store_add(as_writer *w, uint32_t doc, const as_doc_in *d, size_t tlen,
                      size_t slen)
{
    as_wctx *c = &w->c;
    if (w->sndocs == 0) {
        w->sfirst = doc;
        w->sprevline = w->sprevpara = 0;
        w->shavesec = 0;
    }
    const char *sec = d->section ? d->section : "";
    as_gbuf_varint(c, &w->sfields, tlen);
    if (w->shavesec && slen == w->sprevseclen && memcmp(sec, w->sprevsecbuf, slen) == 0) {
        as_gbuf_varint(c, &w->sfields, 0);
    } else {
        as_gbuf_varint(c, &w->sfields, slen + 1);
        as_gbuf_put(c, &w->sfields, sec, slen);
        if (!GROW(c, w->sprevsecbuf, w->sprevseccap, slen + 1))
            return;
        memcpy(w->sprevsecbuf, sec, slen);
        w->sprevseclen = slen;
        w->shavesec = 1;
    }
    as_gbuf_varint(c, &w->sfields, zigzag((int64_t)d->line - w->sprevline));
    as_gbuf_varint(c, &w->sfields, zigzag((int64_t)d->paragraph - w->sprevpara));
    as_gbuf_varint(c, &w->sfields, d->sentence);
    as_gbuf_put(c, &w->stexts, d->text, tlen);
    w->sprevline = d->line;
    w->sprevpara = d->paragraph;
    w->sndocs++;
    if (w->sfields.n + w->stexts.n >= AS_STORE_BLOCK)
        store_flush(w);
}

/* ---- Adding sentences ------------------------------------------------- */

static int add_doc_columns(as_writer *w, uint32_t doclen, int kind, uint32_t hash)
{
    size_t cap = w->dcap, cap2 = w->dcap, cap3 = w->dcap;
    if (!GROW(&w->c, w->doclen, cap, (size_t)w->ndocs + 1) ||
        !GROW(&w->c, w->hash, cap2, (size_t)w->ndocs + 1) ||
        !GROW(&w->c, w->kind, cap3, (size_t)w->ndocs + 1))
        return w->c.rc;
    w->dcap = cap;
    w->doclen[w->ndocs] = doclen;
    w->hash[w->ndocs] = hash;
    w->kind[w->ndocs] = (uint8_t)kind;
    w->total_len += doclen;
    w->ndocs++;
    return AS_OK;
}

/* Extends the current unit or starts a new one. */
static void add_to_unit(as_writer *w, uint32_t doc, uint32_t file, uint32_t council,
                        const as_meta *m)
{
    uint8_t st = m ? (uint8_t)m->statement : 0, sc = m ? (uint8_t)m->score : 0;
    uint32_t pub = m ? m->published : 0, upd = m ? m->updated : 0;
    if (w->nunits > 0) {
        wunit *u = &w->units[w->nunits - 1];
        if (u->file == file && u->council == council && u->statement == st &&
            u->score == sc && u->published == pub && u->updated == upd &&
            u->first_doc + u->ndocs == doc) {
            u->ndocs++;
            return;
        }
    }
    if (!GROW(&w->c, w->units, w->ucap, w->nunits + 1))
        return;
    w->units[w->nunits++] = (wunit){doc, 1, file, council, st, sc, pub, upd};
}

static int spill(as_writer *w);
static void merge_runs(as_writer *w);

/* Appends doc's postings of one term to its buffer. */
static void term_append(as_writer *w, uint32_t id, uint32_t doc, const uint32_t *pos,
                        uint32_t wdf)
{
    wterm *t = &w->tw[id];
    size_t need = 10 + 5 + 5 * (size_t)wdf;
    if (t->cap - t->len < need) {
        size_t nc = t->cap ? t->cap : 16;
        while (nc - t->len < need)
            nc *= 2;
        if (nc > UINT32_MAX) {
            as_wctx_fail(&w->c, AS_ELIMIT, "a term's postings exceed 4 GiB in memory");
            return;
        }
        uint8_t *p = realloc(t->buf, nc);
        if (!p) {
            as_wctx_fail(&w->c, AS_ENOMEM, "out of memory");
            return;
        }
        w->mem_post += nc - t->cap;
        t->buf = p;
        t->cap = (uint32_t)nc;
    }
    uint8_t *q = t->buf + t->len;
    q += varint_put(q, (uint64_t)doc + 1 - t->prev1);
    q += varint_put(q, wdf);
    uint32_t prev = 0;
    for (uint32_t k = 0; k < wdf; k++) {
        q += varint_put(q, pos[k] - prev);
        prev = pos[k];
    }
    t->len = (uint32_t)(q - t->buf);
    t->prev1 = doc + 1;
}

int as_writer_add(as_writer *w, const as_doc_in *d, const as_token *toks, size_t ntoks)
{
    as_wctx *c = &w->c;
    if (c->rc != AS_OK)
        return c->rc;
    if (!w->infile) {
        as_wctx_fail(c, AS_EINVAL, "as_writer_add outside a file");
        return c->rc;
    }
    if (!d || !d->text || d->kind < 0 || d->kind >= AS_NKINDS) {
        as_wctx_fail(c, AS_EINVAL, "as_writer_add: bad document (kind %d)", d ? d->kind : -1);
        return c->rc;
    }
    const as_meta *m = d->meta;
    if (m && (m->statement < 0 || m->statement > AS_NSTATEMENTS || m->score < 0 ||
              m->score > 4)) {
        as_wctx_fail(c, AS_EINVAL, "as_writer_add: statement %d / score %d out of range",
                     m->statement, m->score);
        return c->rc;
    }
    if (w->ndocs >= UINT32_MAX - 1 || ntoks > UINT32_MAX) {
        as_wctx_fail(c, AS_ELIMIT, "too many sentences");
        return c->rc;
    }
    for (size_t k = 0; k < ntoks; k++) {
        if (toks[k].len == 0 || toks[k].len > AS_TERM_BYTES || !toks[k].term) {
            as_wctx_fail(c, AS_EINVAL, "as_writer_add: term of %u bytes", toks[k].len);
            return c->rc;
        }
        if (k > 0 && toks[k].pos < toks[k - 1].pos) {
            as_wctx_fail(c, AS_EINVAL, "as_writer_add: tokens not in position order");
            return c->rc;
        }
    }
    uint32_t doc = w->ndocs;
    size_t tlen = strlen(d->text), slen = d->section ? strlen(d->section) : 0;
    uint32_t council = AS_NONE;
    if (m && m->council) {
        int added;
        council = strtab_intern(c, &w->councils, m->council, strlen(m->council), &added);
        if (c->rc != AS_OK)
            return c->rc;
    }
    add_to_unit(w, doc, (uint32_t)(w->nfiles - 1), council, m);
    if (add_doc_columns(w, (uint32_t)ntoks, d->kind, (uint32_t)crc32(0, (const Bytef *)d->text, (uInt)tlen)) != AS_OK)
        return c->rc;
    w->files[w->nfiles - 1].ndocs++;
    store_add(w, doc, d, tlen, slen);

    /* Group the tokens by term: slot per distinct term of the doc. */
    if (!GROW(c, w->tslot, w->tcap, ntoks + 1))
        return c->rc;
    size_t lc = w->lcap, lc2 = w->lcap, lc3 = w->lcap, lc4 = w->lcap, lc5 = w->lcap;
    if (!GROW(c, w->lid, lc, ntoks + 1) || !GROW(c, w->lwdf, lc2, ntoks + 1) ||
        !GROW(c, w->lstart, lc3, ntoks + 1) || !GROW(c, w->lfill, lc4, ntoks + 1) ||
        !GROW(c, w->lpos, lc5, ntoks + 1))
        return c->rc;
    w->lcap = lc;
    uint32_t nl = 0;
    for (size_t k = 0; k < ntoks; k++) {
        int added;
        uint32_t id = strtab_intern(c, &w->terms, toks[k].term, toks[k].len, &added);
        if (c->rc != AS_OK)
            return c->rc;
        if (added) {
            size_t cap = w->twcap;
            if (!GROW(c, w->tw, cap, (size_t)id + 1))
                return c->rc;
            w->twcap = (uint32_t)cap;
            memset(&w->tw[id], 0, sizeof w->tw[id]);
        }
        wterm *t = &w->tw[id];
        if (t->curdoc != doc + 1) {
            t->curdoc = doc + 1;
            t->slot = nl;
            w->lid[nl] = id;
            w->lwdf[nl] = 0;
            nl++;
        }
        w->lwdf[t->slot]++;
        w->tslot[k] = t->slot;
    }
    uint32_t s = 0;
    for (uint32_t l = 0; l < nl; l++) {
        w->lstart[l] = s;
        w->lfill[l] = 0;
        s += w->lwdf[l];
    }
    for (size_t k = 0; k < ntoks; k++) {
        uint32_t l = w->tslot[k];
        w->lpos[w->lstart[l] + w->lfill[l]++] = toks[k].pos;
    }
    for (uint32_t l = 0; l < nl && c->rc == AS_OK; l++)
        term_append(w, w->lid[l], doc, w->lpos + w->lstart[l], w->lwdf[l]);
    /* Only the postings buffers count: the term table cannot be spilled
     * (it is bounded by the vocabulary, not by the corpus). */
    if (c->rc == AS_OK && w->mem_post > w->mem_limit)
        spill(w);
    return c->rc;
}

int as_writer_end_file(as_writer *w, const as_acrotab *mined)
{
    as_wctx *c = &w->c;
    if (c->rc != AS_OK)
        return c->rc;
    if (!w->infile) {
        as_wctx_fail(c, AS_EINVAL, "as_writer_end_file without as_writer_begin_file");
        return c->rc;
    }
    store_flush(w); /* a store block never spans two files */
    wfilerec *r = &w->files[w->nfiles - 1];
    if (mined && as_acrotab_size(mined) > 0) {
        char *buf = NULL;
        size_t len = 0;
        int rc = as_acrotab_serialize(mined, &buf, &len);
        if (rc != AS_OK) {
            as_wctx_fail(c, rc, "%s: acronym table: %s", r->path, as_strerror(rc));
            return c->rc;
        }
        r->acro = (uint8_t *)buf;
        r->acrolen = len;
    }
    w->infile = 0;
    return c->rc;
}

/* ---- Runs ---------------------------------------------------------------- */

static int cmp_ids(const void *a, const void *b, void *ctx)
{
    const sent *e = ctx;
    const sent *x = &e[*(const uint32_t *)a], *y = &e[*(const uint32_t *)b];
    return bytes_cmp(x->s, x->len, y->s, y->len);
}

/* Sorts term ids by their bytes (qsort_r: no global state). */
static void sort_ids(uint32_t *ids, size_t n, const strtab *t)
{
    qsort_r(ids, n, sizeof *ids, cmp_ids, (void *)t->e);
}

/* The term ids with postings in memory, in byte order. */
static uint32_t *live_ids(as_writer *w, size_t *n)
{
    *n = 0;
    uint32_t *ids = malloc(((size_t)w->terms.n + 1) * sizeof *ids);
    if (!ids) {
        as_wctx_fail(&w->c, AS_ENOMEM, "out of memory");
        return NULL;
    }
    for (uint32_t i = 0; i < w->terms.n; i++)
        if (w->tw[i].len > 0)
            ids[(*n)++] = i;
    sort_ids(ids, *n, &w->terms);
    return ids;
}

static void put_varint_file(as_wctx *c, FILE *fp, uint64_t v)
{
    uint8_t b[10];
    unsigned n = varint_put(b, v);
    if (c->rc == AS_OK && fwrite(b, 1, n, fp) != n)
        as_wctx_fail(c, AS_EIO, "run file: write: %s", strerror(errno));
}

/* Writes the in-memory postings as a sorted run and frees them. */
static int spill(as_writer *w)
{
    as_wctx *c = &w->c;
    size_t n;
    uint32_t *ids = live_ids(w, &n);
    if (!ids)
        return c->rc;
    if (!GROW(c, w->runs, w->runcap, w->nruns + 1)) {
        free(ids);
        return c->rc;
    }
    size_t plen = strlen(w->tmpdir) + 32;
    char *path = malloc(plen);
    if (!path) {
        free(ids);
        as_wctx_fail(c, AS_ENOMEM, "out of memory");
        return c->rc;
    }
    snprintf(path, plen, "%s/run-%06zu.tmp", w->tmpdir, w->runseq++);
    w->runs[w->nruns++] = path;
    FILE *fp = fopen(path, "wb");
    if (!fp) {
        as_wctx_fail(c, AS_EIO, "%s: %s", path, strerror(errno));
        free(ids);
        return c->rc;
    }
    setvbuf(fp, NULL, _IOFBF, 1 << 20);
    for (size_t i = 0; i < n && c->rc == AS_OK; i++) {
        const sent *e = &w->terms.e[ids[i]];
        wterm *t = &w->tw[ids[i]];
        put_varint_file(c, fp, e->len);
        if (c->rc == AS_OK && fwrite(e->s, 1, e->len, fp) != e->len)
            as_wctx_fail(c, AS_EIO, "%s: write: %s", path, strerror(errno));
        put_varint_file(c, fp, t->prev1);
        put_varint_file(c, fp, t->len);
        if (c->rc == AS_OK && fwrite(t->buf, 1, t->len, fp) != t->len)
            as_wctx_fail(c, AS_EIO, "%s: write: %s", path, strerror(errno));
        free(t->buf);
        t->buf = NULL;
        t->len = t->cap = 0;
        t->prev1 = 0;
    }
    put_varint_file(c, fp, 0); /* no term has length 0: the end */
    if (fclose(fp) != 0 && c->rc == AS_OK)
        as_wctx_fail(c, AS_EIO, "%s: write: %s", path, strerror(errno));
    free(ids);
    w->mem_post = 0;
    if (c->rc == AS_OK && w->nruns >= MAX_RUNS)
        merge_runs(w);
    return c->rc;
}

/* ---- Copying a file of an older generation -------------------------------- */

int as_writer_copy_file(as_writer *w, const as_index *old, uint32_t file)
{
    as_wctx *c = &w->c;
    if (c->rc != AS_OK)
        return c->rc;
    as_file_state fs;
    if (w->infile) {
        as_wctx_fail(c, AS_EINVAL, "as_writer_copy_file inside a file");
        return c->rc;
    }
    int rc = as_index_file(old, file, &fs);
    if (rc != AS_OK) {
        as_wctx_fail(c, rc, "copy: %s", as_index_errmsg(old));
        return c->rc;
    }
    if (as_writer_begin_file(w, &fs) != AS_OK)
        return c->rc;
    w->infile = 0;
    wfilerec *r = &w->files[w->nfiles - 1];
    uint32_t first = w->ndocs, ofirst = fs.first_doc, n = fs.ndocs;
    if (n > UINT32_MAX - 2 - first) {
        as_wctx_fail(c, AS_ELIMIT, "too many sentences");
        return c->rc;
    }
    /* columns */
    for (uint32_t i = 0; i < n && c->rc == AS_OK; i++) {
        uint32_t od = ofirst + i;
        add_doc_columns(w, as_index_doclen(old, od), as_index_kind(old, od),
                        as_ix_hash(old, od));
    }
    r->ndocs = n;
    /* units: the old file's, in order */
    if (n > 0) {
        uint32_t u = as_index_unit_of(old, ofirst);
        uint32_t covered = 0;
        for (; u < as_index_nunits(old) && covered < n && c->rc == AS_OK; u++) {
            const as_unit *ou = as_index_unit(old, u);
            if (ou->file != file || ou->ndocs == 0 || ou->first_doc != ofirst + covered)
                break;
            uint32_t council = AS_NONE;
            const char *name = ou->council == AS_NONE ? NULL : as_index_council(old, ou->council);
            if (name) {
                int added;
                council = strtab_intern(c, &w->councils, name, strlen(name), &added);
            }
            as_meta m = {NULL, ou->statement, ou->score, ou->published, ou->updated};
            uint32_t nd = ou->ndocs > n - covered ? n - covered : ou->ndocs;
            for (uint32_t k = 0; k < nd; k++)
                add_to_unit(w, first + covered + k, (uint32_t)(w->nfiles - 1), council, &m);
            covered += nd;
        }
        if (c->rc == AS_OK && covered != n)
            as_wctx_fail(c, AS_ECORRUPT, "copy: %s: units do not cover file %u", as_index_gen_dir(old), file);
    }
    /* store blocks, verbatim */
    if (n > 0 && c->rc == AS_OK) {
        uint64_t b;
        if (as_ix_store_find(old, ofirst, &b) != AS_OK) {
            as_wctx_fail(c, AS_ECORRUPT, "copy: %s", as_index_errmsg(old));
            return c->rc;
        }
        uint32_t covered = 0;
        as_gbuf tmp = {0};
        while (covered < n && c->rc == AS_OK) {
            as_ix_sblock sb;
            if (as_ix_store_block(old, b, &sb) != AS_OK ||
                sb.first_doc != ofirst + covered || sb.ndocs > n - covered ||
                ix_need(old, IXF_STORE, sb.off, sb.clen) != AS_OK) {
                as_wctx_fail(c, AS_ECORRUPT, "copy: %s: store blocks of file %u: %s",
                             as_index_gen_dir(old), file, as_index_errmsg(old));
                break;
            }
            /* the old mapping stays until finish (as_writer_copy_file) */
            as_sw_copy(c, &w->sw, old->f[IXF_STORE].body + sb.off, sb.clen, sb.ulen,
                       first + covered, sb.ndocs);
            covered += sb.ndocs;
            b++;
        }
        as_gbuf_free(&tmp);
    }
    /* mined acronyms, verbatim */
    const uint8_t *ap;
    size_t alen;
    if (c->rc == AS_OK && as_ix_file_acro(old, file, &ap, &alen) == AS_OK && alen > 0) {
        r->acro = malloc(alen);
        if (!r->acro)
            as_wctx_fail(c, AS_ENOMEM, "out of memory");
        else {
            memcpy(r->acro, ap, alen);
            r->acrolen = alen;
        }
    }
    /* postings: at finish */
    if (c->rc == AS_OK && n > 0) {
        if (w->ncopies > 0 && w->copies[w->ncopies - 1].old == old &&
            w->copies[w->ncopies - 1].old_first >= ofirst) {
            as_wctx_fail(c, AS_EINVAL, "copy: files of one generation must be copied in order");
            return c->rc;
        }
        if (GROW(c, w->copies, w->ccap, w->ncopies + 1))
            w->copies[w->ncopies++] = (wcopy){old, ofirst, n, first};
    }
    if (c->rc == AS_OK && as_index_status(old) != AS_OK)
        as_wctx_fail(c, AS_ECORRUPT, "copy: %s", as_index_errmsg(old));
    return c->rc;
}

/* ---- Final encoding ---------------------------------------------------- */

/* The postings encoder of one term (format.h: postings, positions). */
typedef struct tenc {
    uint32_t docs[AS_BLOCK_SIZE], wdfs[AS_BLOCK_SIZE], vals[AS_BLOCK_SIZE];
    uint32_t n;
    uint32_t *pos;             /* block's position values as encoded */
    size_t npos, poscap;
    as_gbuf pdata, pskip, posdata;
    uint32_t nb, prevlast;
    uint32_t bmaxwdf, bmindl;
    uint64_t df, cf;
    uint32_t maxwdf, mindl;
} tenc;

/* The dictionary writer (format.h: terms). */
typedef struct dwriter {
    unsigned nin;
    char prev[AS_TERM_BYTES];
    size_t prevlen;
    as_gbuf bindex;
    uint64_t nterms, nblocks;
} dwriter;

static void enc_reset(tenc *e)
{
    e->n = 0;
    e->npos = 0;
    e->pdata.n = e->pskip.n = e->posdata.n = 0;
    e->nb = 0;
    e->prevlast = UINT32_MAX; /* the first gap is from -1 */
    e->bmaxwdf = 0;
    e->bmindl = UINT32_MAX;
    e->df = e->cf = 0;
    e->maxwdf = 0;
    e->mindl = UINT32_MAX;
}

static void enc_flush_block(as_wctx *c, tenc *e)
{
    if (e->n == 0 || c->rc != AS_OK)
        return;
    uint32_t orv = 0, orw = 0, orp = 0;
    for (uint32_t j = 0; j < e->n; j++) {
        uint32_t prev = j ? e->docs[j - 1] : e->prevlast;
        e->vals[j] = e->docs[j] - prev - 1; /* wraps right for prev == -1 */
        orv |= e->vals[j];
        orw |= e->wdfs[j] - 1;
    }
    for (size_t j = 0; j < e->npos; j++)
        orp |= e->pos[j];
    unsigned wg = bits_for(orv), ww = bits_for(orw), wp = bits_for(orp);
    if (wp == 0 && e->npos > AS_POS_ZERO_MAX)
        wp = 1;
    size_t need = 2 + as_bitpack_size(e->n, wg) + as_bitpack_size(e->n, ww);
    uint8_t *q = as_gbuf_room(c, &e->pdata, need);
    if (!q)
        return;
    q[0] = (uint8_t)wg;
    q[1] = (uint8_t)ww;
    q += 2;
    q += as_bitpack_pack(q, e->vals, e->n, wg);
    for (uint32_t j = 0; j < e->n; j++)
        e->vals[j] = e->wdfs[j] - 1;
    as_bitpack_pack(q, e->vals, e->n, ww);
    e->pdata.n += need;
    need = 1 + as_bitpack_size(e->npos, wp);
    q = as_gbuf_room(c, &e->posdata, need);
    if (!q)
        return;
    q[0] = (uint8_t)wp;
    as_bitpack_pack(q + 1, e->pos, e->npos, wp);
    e->posdata.n += need;
    if (e->pdata.n > UINT32_MAX || e->posdata.n > UINT32_MAX) {
        as_wctx_fail(c, AS_ELIMIT, "a term's postings exceed 4 GiB");
        return;
    }
    uint8_t *s = as_gbuf_room(c, &e->pskip, AS_SKIP_ENTRY);
    if (!s)
        return;
    put32(s, e->docs[e->n - 1]);
    put32(s + 4, (uint32_t)e->pdata.n);
    put32(s + 8, (uint32_t)e->posdata.n);
    put16(s + 12, (uint16_t)(e->bmaxwdf > 0xffff ? 0xffff : e->bmaxwdf));
    put16(s + 14, (uint16_t)(e->bmindl > 0xffff ? 0xffff : e->bmindl));
    e->pskip.n += AS_SKIP_ENTRY;
    e->nb++;
    e->prevlast = e->docs[e->n - 1];
    e->n = 0;
    e->npos = 0;
    e->bmaxwdf = 0;
    e->bmindl = UINT32_MAX;
}

/* Adds one posting; pos are the absolute positions (non-decreasing). */
static void enc_add(as_wctx *c, tenc *e, uint32_t doc, uint32_t doclen, uint32_t wdf,
                    const uint32_t *pos)
{
    if (c->rc != AS_OK)
        return;
    if (wdf == 0 || (e->df > 0 && doc <= (e->n ? e->docs[e->n - 1] : e->prevlast))) {
        as_wctx_fail(c, AS_ECORRUPT, "postings out of order while merging");
        return;
    }
    if (e->npos + wdf > e->poscap) {
        size_t nc = e->poscap ? e->poscap : 1024;
        while (nc < e->npos + wdf)
            nc *= 2;
        uint32_t *p = realloc(e->pos, nc * sizeof *p);
        if (!p) {
            as_wctx_fail(c, AS_ENOMEM, "out of memory");
            return;
        }
        e->pos = p;
        e->poscap = nc;
    }
    uint32_t prev = 0;
    for (uint32_t k = 0; k < wdf; k++) {
        if (pos[k] < prev) {
            as_wctx_fail(c, AS_ECORRUPT, "positions out of order while merging");
            return;
        }
        e->pos[e->npos++] = pos[k] - prev;
        prev = pos[k];
    }
    e->docs[e->n] = doc;
    e->wdfs[e->n] = wdf;
    e->n++;
    e->df++;
    e->cf += wdf;
    if (wdf > e->bmaxwdf)
        e->bmaxwdf = wdf;
    if (doclen < e->bmindl)
        e->bmindl = doclen;
    if (wdf > e->maxwdf)
        e->maxwdf = wdf;
    if (doclen < e->mindl)
        e->mindl = doclen;
    if (e->n == AS_BLOCK_SIZE)
        enc_flush_block(c, e);
}

static void dict_add(as_wctx *c, as_writer *w, dwriter *dw, const char *term, size_t tlen,
                     const tenc *e, uint64_t post_off, uint64_t post_len, uint64_t pos_off,
                     uint64_t pos_len)
{
    as_wfile *f = &w->f[IXF_TERMS];
    size_t shared = 0;
    if (dw->nin == 0) {
        as_gbuf_u64(c, &dw->bindex, f->body_len);
        as_gbuf_u64(c, &dw->bindex, post_off);
        as_gbuf_u64(c, &dw->bindex, pos_off);
        dw->nblocks++;
    } else {
        while (shared < tlen && shared < dw->prevlen && term[shared] == dw->prev[shared])
            shared++;
    }
    uint8_t b[AS_TERM_BYTES + 80], *q = b;
    q += varint_put(q, shared);
    q += varint_put(q, tlen - shared);
    memcpy(q, term + shared, tlen - shared);
    q += tlen - shared;
    q += varint_put(q, e->df);
    q += varint_put(q, e->cf - e->df);
    q += varint_put(q, e->maxwdf);
    q += varint_put(q, e->mindl);
    q += varint_put(q, post_len);
    q += varint_put(q, pos_len);
    as_wfile_write(c, f, b, (size_t)(q - b));
    memcpy(dw->prev, term, tlen);
    dw->prevlen = tlen;
    dw->nterms++;
    if (++dw->nin == AS_DICT_BLOCK)
        dw->nin = 0;
}

/* Writes the encoded term out: postings, positions, dictionary entry. */
static void enc_finish_term(as_wctx *c, as_writer *w, dwriter *dw, tenc *e,
                            const char *term, size_t tlen)
{
    enc_flush_block(c, e);
    if (c->rc != AS_OK || e->df == 0)
        return;
    as_wfile *fp = &w->f[IXF_POSTINGS], *fq = &w->f[IXF_POSITIONS];
    uint64_t post_off = fp->body_len, pos_off = fq->body_len;
    if (e->nb > 1)
        as_wfile_write(c, fp, e->pskip.p, e->pskip.n);
    as_wfile_write(c, fp, e->pdata.p, e->pdata.n);
    as_wfile_write(c, fq, e->posdata.p, e->posdata.n);
    dict_add(c, w, dw, term, tlen, e, post_off, fp->body_len - post_off, pos_off,
             fq->body_len - pos_off);
}

/* A stream of one term's postings from one source, in docid order. */
typedef struct pstream {
    int old;                   /* 0: varint buffer, 1: old cursor */
    const uint8_t *p, *end;
    uint32_t prev1;
    as_pcur cur;
    const wcopy *segs;
    size_t nseg, seg;
    uint32_t doc, wdf;
    const uint32_t *pos;
    uint32_t *posbuf;
    size_t poscap;
    int done;
} pstream;

static void ps_next(as_wctx *c, pstream *s)
{
    if (s->done || c->rc != AS_OK)
        return;
    if (!s->old) {
        if (s->p >= s->end) {
            s->done = 1;
            return;
        }
        uint64_t gap;
        uint32_t wdf;
        if (varint_get(&s->p, s->end, &gap) != 0 || gap == 0 ||
            varint_get32(&s->p, s->end, &wdf) != 0 || wdf == 0 ||
            gap + s->prev1 > UINT32_MAX) {
            as_wctx_fail(c, AS_EIO, "run file damaged (postings)");
            return;
        }
        if (wdf > s->poscap) {
            uint32_t *p = realloc(s->posbuf, (size_t)wdf * sizeof *p);
            if (!p) {
                as_wctx_fail(c, AS_ENOMEM, "out of memory");
                return;
            }
            s->posbuf = p;
            s->poscap = wdf;
        }
        uint32_t prev = 0;
        for (uint32_t k = 0; k < wdf; k++) {
            uint32_t d;
            if (varint_get32(&s->p, s->end, &d) != 0 || d > UINT32_MAX - prev) {
                as_wctx_fail(c, AS_EIO, "run file damaged (positions)");
                return;
            }
            prev += d;
            s->posbuf[k] = prev;
        }
        s->prev1 += (uint32_t)gap;
        s->doc = s->prev1 - 1;
        s->wdf = wdf;
        s->pos = s->posbuf;
        return;
    }
    /* old cursor: the postings inside the copied files, remapped */
    for (;;) {
        const wcopy *g = &s->segs[s->seg];
        uint32_t d = as_pcur_seek(&s->cur, g->old_first);
        if (d == AS_DOC_END) {
            s->done = 1;
            break;
        }
        if (d - g->old_first >= g->n) {
            if (++s->seg == s->nseg) {
                s->done = 1;
                break;
            }
            continue;
        }
        uint32_t n;
        if (as_pcur_positions(&s->cur, &s->pos, &n) != AS_OK || n != s->cur.wdf) {
            as_wctx_fail(c, AS_ECORRUPT, "copy: %s", as_index_errmsg(s->cur.ix));
            return;
        }
        s->doc = d - g->old_first + g->new_first;
        s->wdf = s->cur.wdf;
        /* the next call moves on */
        break;
    }
    if (as_index_status(s->segs[0].old) != AS_OK)
        as_wctx_fail(c, AS_ECORRUPT, "copy: %s", as_index_errmsg(s->segs[0].old));
}

/* Advances an old-cursor stream past its current posting. */
static void ps_advance(as_wctx *c, pstream *s)
{
    if (s->old && !s->done)
        as_pcur_next(&s->cur);
    ps_next(c, s);
}

/* Term sources of the final merge. */
typedef struct tsrc {
    int type;                  /* 0 memory, 1 run, 2 old generation */
    /* memory */
    uint32_t *ids;
    size_t nids, i;
    /* run */
    FILE *fp;
    char *path;
    as_gbuf data;
    uint64_t last1;            /* the term's last doc + 1 in this run */
    /* old */
    as_ix_dictit it;
    const wcopy *segs;
    size_t nseg;
    /* the current term */
    char term[AS_TERM_BYTES];
    size_t tlen;
    const uint8_t *p;
    size_t plen;
    int done;
} tsrc;

static int read_varint_file(FILE *fp, uint64_t *v)
{
    uint64_t x = 0;
    for (unsigned shift = 0; shift < 64; shift += 7) {
        int ch = getc_unlocked(fp);
        if (ch == EOF)
            return -1;
        x |= (uint64_t)(ch & 0x7f) << shift;
        if (ch < 0x80) {
            *v = x;
            return 0;
        }
    }
    return -1;
}

static void src_next(as_wctx *c, as_writer *w, tsrc *s)
{
    if (s->done || c->rc != AS_OK)
        return;
    if (s->type == 0) {
        if (s->i == s->nids) {
            s->done = 1;
            return;
        }
        const sent *e = &w->terms.e[s->ids[s->i]];
        const wterm *t = &w->tw[s->ids[s->i]];
        memcpy(s->term, e->s, e->len);
        s->tlen = e->len;
        s->p = t->buf;
        s->plen = t->len;
        s->i++;
    } else if (s->type == 1) {
        uint64_t tl, pl;
        if (read_varint_file(s->fp, &tl) != 0 || tl > AS_TERM_BYTES) {
            as_wctx_fail(c, AS_EIO, "%s: damaged or unreadable", s->path);
            return;
        }
        if (tl == 0) {
            s->done = 1;
            return;
        }
        if (fread(s->term, 1, tl, s->fp) != tl || read_varint_file(s->fp, &s->last1) != 0 ||
            read_varint_file(s->fp, &pl) != 0 || pl > UINT32_MAX) {
            as_wctx_fail(c, AS_EIO, "%s: damaged or unreadable", s->path);
            return;
        }
        s->tlen = tl;
        s->data.n = 0;
        if (!as_gbuf_room(c, &s->data, pl))
            return;
        if (fread(s->data.p, 1, pl, s->fp) != pl) {
            as_wctx_fail(c, AS_EIO, "%s: damaged or unreadable", s->path);
            return;
        }
        s->p = s->data.p;
        s->plen = pl;
    } else {
        int r = as_ix_dictit_next(&s->it);
        if (r < 0) {
            as_wctx_fail(c, AS_ECORRUPT, "copy: %s", as_index_errmsg(s->it.ix));
            return;
        }
        if (r == 0) {
            s->done = 1;
            return;
        }
        memcpy(s->term, s->it.term, s->it.tlen);
        s->tlen = s->it.tlen;
    }
}

/* Merges every source term by term and encodes the final files. */
static void merge_and_encode(as_writer *w, tsrc *src, size_t nsrc)
{
    as_wctx *c = &w->c;
    tenc e;
    dwriter dw;
    memset(&e, 0, sizeof e);
    memset(&dw, 0, sizeof dw);
    pstream *ps = calloc(nsrc ? nsrc : 1, sizeof *ps);
    if (!ps) {
        as_wctx_fail(c, AS_ENOMEM, "out of memory");
        return;
    }
    for (size_t i = 0; i < nsrc; i++)
        src_next(c, w, &src[i]);
    while (c->rc == AS_OK) {
        const tsrc *min = NULL;
        for (size_t i = 0; i < nsrc; i++)
            if (!src[i].done &&
                (!min || bytes_cmp(src[i].term, src[i].tlen, min->term, min->tlen) < 0))
                min = &src[i];
        if (!min)
            break;
        char term[AS_TERM_BYTES];
        size_t tlen = min->tlen;
        memcpy(term, min->term, tlen);
        size_t np = 0;
        for (size_t i = 0; i < nsrc; i++) {
            tsrc *s = &src[i];
            if (s->done || bytes_cmp(s->term, s->tlen, term, tlen) != 0)
                continue;
            pstream *p = &ps[np++];
            /* field by field: the embedded cursor is 5 KiB */
            p->p = p->end = NULL;
            p->prev1 = 0;
            p->segs = NULL;
            p->nseg = p->seg = 0;
            p->doc = p->wdf = 0;
            p->pos = NULL;
            p->done = 0;
            p->old = 0;
            if (s->type == 2) {
                p->old = 1;
                p->segs = s->segs;
                p->nseg = s->nseg;
                as_pcur_init(&p->cur, s->it.ix, &s->it.t);
            } else {
                p->p = s->p;
                p->end = s->p + s->plen;
            }
            ps_next(c, p);
        }
        enc_reset(&e);
        for (;;) {
            pstream *best = NULL;
            for (size_t i = 0; i < np; i++)
                if (!ps[i].done && (!best || ps[i].doc < best->doc))
                    best = &ps[i];
            if (!best || c->rc != AS_OK)
                break;
            if (best->doc >= w->ndocs) {
                as_wctx_fail(c, AS_ECORRUPT, "posting for doc %u past the end", best->doc);
                break;
            }
            enc_add(c, &e, best->doc, w->doclen[best->doc], best->wdf, best->pos);
            ps_advance(c, best);
        }
        for (size_t i = 0; i < np; i++)
            if (ps[i].old)
                as_pcur_release(&ps[i].cur);
        enc_finish_term(c, w, &dw, &e, term, tlen);
        for (size_t i = 0; i < nsrc; i++) {
            tsrc *s = &src[i];
            if (!s->done && bytes_cmp(s->term, s->tlen, term, tlen) == 0)
                src_next(c, w, s);
        }
    }
    /* the dictionary's block index */
    as_wfile *ft = &w->f[IXF_TERMS];
    as_wfile_align(c, ft, 8);
    uint64_t bi_off = ft->body_len;
    as_wfile_write(c, ft, dw.bindex.p, dw.bindex.n);
    w->terms_nterms = dw.nterms;
    w->dict_nblocks = dw.nblocks;
    w->dict_bindex_off = bi_off;
    for (size_t i = 0; i < nsrc; i++)
        free(ps[i].posbuf);
    free(ps);
    free(e.pos);
    as_gbuf_free(&e.pdata);
    as_gbuf_free(&e.pskip);
    as_gbuf_free(&e.posdata);
    as_gbuf_free(&dw.bindex);
}

static void free_src(tsrc *s)
{
    if (s->fp)
        fclose(s->fp);
    s->fp = NULL;
    free(s->ids);
    s->ids = NULL;
    as_gbuf_free(&s->data);
}

/* Merges all runs into one, so that at most MAX_RUNS files are ever open
 * and read at once.  A term's parts concatenate (the runs hold ascending
 * docids); only each later part's first gap, which a run codes from doc -1,
 * is re-based on the previous part's last doc. */
static void merge_runs(as_writer *w)
{
    as_wctx *c = &w->c;
    size_t n = w->nruns;
    tsrc *src = calloc(n, sizeof *src);
    size_t plen = strlen(w->tmpdir) + 32;
    char *path = malloc(plen);
    FILE *out = NULL;
    if (!src || !path) {
        as_wctx_fail(c, AS_ENOMEM, "out of memory");
        goto out;
    }
    snprintf(path, plen, "%s/run-%06zu.tmp", w->tmpdir, w->runseq++);
    out = fopen(path, "wb");
    if (!out) {
        as_wctx_fail(c, AS_EIO, "%s: %s", path, strerror(errno));
        goto out;
    }
    setvbuf(out, NULL, _IOFBF, 1 << 20);
    for (size_t i = 0; i < n && c->rc == AS_OK; i++) {
        src[i].type = 1;
        src[i].path = w->runs[i];
        src[i].fp = fopen(w->runs[i], "rb");
        if (!src[i].fp)
            as_wctx_fail(c, AS_EIO, "%s: %s", w->runs[i], strerror(errno));
        else {
            setvbuf(src[i].fp, NULL, _IOFBF, 1 << 16);
            src_next(c, w, &src[i]);
        }
    }
    while (c->rc == AS_OK) {
        tsrc *min = NULL;
        for (size_t i = 0; i < n; i++)
            if (!src[i].done &&
                (!min || bytes_cmp(src[i].term, src[i].tlen, min->term, min->tlen) < 0))
                min = &src[i];
        if (!min)
            break;
        char term[AS_TERM_BYTES];
        size_t tlen = min->tlen;
        memcpy(term, min->term, tlen);
        /* the parts, in run order, with their re-based first gaps */
        uint64_t total = 0, last1 = 0, prev1 = 0;
        for (size_t i = 0; i < n; i++) {
            tsrc *s = &src[i];
            if (s->done || bytes_cmp(s->term, s->tlen, term, tlen) != 0)
                continue;
            const uint8_t *p = s->p;
            uint64_t g0;
            uint8_t tmp[10];
            if (varint_get(&p, s->p + s->plen, &g0) != 0 || g0 <= prev1) {
                as_wctx_fail(c, AS_EIO, "%s: damaged", s->path);
                break;
            }
            total += s->plen - (size_t)(p - s->p) + varint_put(tmp, g0 - prev1);
            prev1 = last1 = s->last1;
        }
        put_varint_file(c, out, tlen);
        if (c->rc == AS_OK && fwrite(term, 1, tlen, out) != tlen)
            as_wctx_fail(c, AS_EIO, "%s: write: %s", path, strerror(errno));
        put_varint_file(c, out, last1);
        put_varint_file(c, out, total);
        prev1 = 0;
        for (size_t i = 0; i < n && c->rc == AS_OK; i++) {
            tsrc *s = &src[i];
            if (s->done || bytes_cmp(s->term, s->tlen, term, tlen) != 0)
                continue;
            const uint8_t *p = s->p;
            uint64_t g0 = 0;
            varint_get(&p, s->p + s->plen, &g0);
            put_varint_file(c, out, g0 - prev1);
            size_t rest = s->plen - (size_t)(p - s->p);
            if (c->rc == AS_OK && fwrite(p, 1, rest, out) != rest)
                as_wctx_fail(c, AS_EIO, "%s: write: %s", path, strerror(errno));
            prev1 = s->last1;
            src_next(c, w, s);
        }
    }
    put_varint_file(c, out, 0);
out:
    if (out && fclose(out) != 0 && c->rc == AS_OK)
        as_wctx_fail(c, AS_EIO, "%s: write: %s", path, strerror(errno));
    for (size_t i = 0; src && i < n; i++)
        free_src(&src[i]);
    free(src);
    if (c->rc == AS_OK) {
        for (size_t i = 0; i < n; i++) {
            unlink(w->runs[i]);
            free(w->runs[i]);
        }
        w->runs[0] = path;
        w->nruns = 1;
    } else if (path) {
        if (out)
            unlink(path);
        free(path);
    }
}

/* Encodes the postings, positions and dictionary of every term. */
static void write_postings(as_writer *w)
{
    as_wctx *c = &w->c;
    as_wfile_open(c, &w->f[IXF_TERMS], w->dir, "terms", AS_MAGIC_TERMS, 1);
    as_wfile_open(c, &w->f[IXF_POSTINGS], w->dir, "postings", AS_MAGIC_POSTINGS, 1);
    as_wfile_open(c, &w->f[IXF_POSITIONS], w->dir, "positions", AS_MAGIC_POSITIONS, 1);
    if (c->rc != AS_OK)
        return;
    /* the new documents' postings: runs on disk, or memory */
    if (w->nruns > 0) {
        size_t n;
        uint32_t *ids = live_ids(w, &n);
        free(ids);
        if (n > 0)
            spill(w);
    }
    size_t nold = 0;
    const as_index **olds = calloc(w->ncopies + 1, sizeof *olds);
    wcopy *segs = calloc(w->ncopies + 1, sizeof *segs);
    tsrc *src = calloc(w->nruns + w->ncopies + 1, sizeof *src);
    if (!olds || !segs || !src) {
        as_wctx_fail(c, AS_ENOMEM, "out of memory");
        goto out;
    }
    size_t nsrc = 0;
    if (w->nruns == 0) {
        tsrc *s = &src[nsrc++];
        s->type = 0;
        s->ids = live_ids(w, &s->nids);
    } else {
        for (size_t i = 0; i < w->nruns && c->rc == AS_OK; i++) {
            tsrc *s = &src[nsrc++];
            s->type = 1;
            s->path = w->runs[i];
            s->fp = fopen(s->path, "rb");
            if (!s->fp)
                as_wctx_fail(c, AS_EIO, "%s: %s", s->path, strerror(errno));
            else
                setvbuf(s->fp, NULL, _IOFBF, 1 << 20);
        }
    }
    /* the copied files' postings, one source per old generation */
    size_t nsegs = 0;
    for (size_t i = 0; i < w->ncopies; i++) {
        size_t k;
        for (k = 0; k < nold && olds[k] != w->copies[i].old; k++)
            ;
        if (k < nold)
            continue;
        olds[nold++] = w->copies[i].old;
        tsrc *s = &src[nsrc++];
        s->type = 2;
        s->segs = segs + nsegs;
        for (size_t j = i; j < w->ncopies; j++)
            if (w->copies[j].old == w->copies[i].old)
                segs[nsegs++] = w->copies[j];
        s->nseg = (size_t)(segs + nsegs - s->segs);
        if (as_ix_dictit_start(&s->it, w->copies[i].old, 0) != AS_OK)
            as_wctx_fail(c, AS_ECORRUPT, "copy: %s", as_index_errmsg(w->copies[i].old));
    }
    if (c->rc == AS_OK)
        merge_and_encode(w, src, nsrc);
    for (size_t i = 0; i < nsrc; i++)
        free_src(&src[i]);
out:
    free(olds);
    free(segs);
    free(src);
    w->post_len = w->f[IXF_POSTINGS].body_len;
    w->pos_len = w->f[IXF_POSITIONS].body_len;
    for (int i = IXF_TERMS; i <= IXF_POSITIONS; i++)
        as_wfile_close(c, &w->f[i]);
}

/* ---- Duplicate groups -------------------------------------------------- */

typedef struct dupres {
    uint32_t *members;   /* ndup, grouped, ascending within a group */
    uint32_t *starts;    /* ngroups + 1 */
    uint32_t *mapdoc, *mapgroup; /* ndup, ascending doc */
    uint32_t ndup, ngroups;
} dupres;

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

/* Sorts 64-bit keys: LSD radix, 16 bits a pass, passes over constant
 * digits skipped (fast for millions of docs where qsort is not). */
static int sort_u64(uint64_t *a, size_t n)
{
    if (n < 4096) {
        qsort(a, n, sizeof *a, cmp_u64);
        return 0;
    }
    uint64_t *tmp = malloc(n * sizeof *tmp);
    size_t *cnt = malloc(65536 * sizeof *cnt);
    if (!tmp || !cnt) {
        free(tmp);
        free(cnt);
        return -1;
    }
    for (unsigned shift = 0; shift < 64; shift += 16) {
        memset(cnt, 0, 65536 * sizeof *cnt);
        for (size_t i = 0; i < n; i++)
            cnt[(a[i] >> shift) & 0xffff]++;
        if (cnt[(a[0] >> shift) & 0xffff] == n)
            continue;
        size_t sum = 0;
        for (size_t d = 0; d < 65536; d++) {
            size_t k = cnt[d];
            cnt[d] = sum;
            sum += k;
        }
        for (size_t i = 0; i < n; i++)
            tmp[cnt[(a[i] >> shift) & 0xffff]++] = a[i];
        memcpy(a, tmp, n * sizeof *a);
    }
    free(tmp);
    free(cnt);
    return 0;
}

typedef struct rep {
    char *text;
    size_t len;
    uint32_t cls, next; /* next rep of the same hash run, UINT32_MAX = none */
} rep;

/* Groups byte-identical texts: equal crc32 proposes, the text decides. */
static void compute_dups(as_writer *w, dupres *r)
{
    as_wctx *c = &w->c;
    memset(r, 0, sizeof *r);
    if (w->ndocs < 2)
        return;
    uint64_t *keys = malloc((size_t)w->ndocs * sizeof *keys);
    if (!keys) {
        as_wctx_fail(c, AS_ENOMEM, "out of memory");
        return;
    }
    for (uint32_t i = 0; i < w->ndocs; i++)
        keys[i] = (uint64_t)w->hash[i] << 32 | i;
    if (sort_u64(keys, w->ndocs) != 0) {
        free(keys);
        as_wctx_fail(c, AS_ENOMEM, "out of memory");
        return;
    }
    /* candidates: (doc << 32 | hash run), reusing keys */
    size_t ncand = 0;
    uint32_t nruns = 0;
    for (size_t i = 0; i < w->ndocs;) {
        size_t j = i + 1;
        while (j < w->ndocs && keys[j] >> 32 == keys[i] >> 32)
            j++;
        if (j - i >= 2) {
            for (size_t k = i; k < j; k++)
                keys[ncand++] = (keys[k] & 0xffffffffu) << 32 | nruns;
            nruns++;
        }
        i = j;
    }
    if (ncand == 0) {
        free(keys);
        return;
    }
    sort_u64(keys, ncand); /* by doc; ncand <= ndocs so it cannot fail worse than before */
    uint32_t *runhead = malloc((size_t)nruns * sizeof *runhead);
    uint32_t *cls = malloc(ncand * sizeof *cls);
    rep *reps = NULL;
    size_t nreps = 0, repcap = 0;
    as_gbuf ubuf = {0}, cbuf = {0};
    if (!runhead || !cls) {
        as_wctx_fail(c, AS_ENOMEM, "out of memory");
        goto out;
    }
    memset(runhead, 0xff, (size_t)nruns * sizeof *runhead);
    /* one pass over the store, inflating only blocks with candidates */
    as_wfile *fs = &w->sw.f; /* the store thread has stopped */
    as_wfile_flush(c, fs);
    size_t k = 0;
    z_stream z;
    memset(&z, 0, sizeof z);
    if (inflateInit2(&z, -15) != Z_OK) {
        as_wctx_fail(c, AS_ENOMEM, "out of memory (zlib)");
        goto out;
    }
    for (uint64_t b = 0; b < w->sw.nblocks && k < ncand && c->rc == AS_OK; b++) {
        const uint8_t *e = w->sw.sindex.p + b * AS_STORE_SINDEX;
        uint32_t first = le32(e), nd = le32(e + 4), clen = le32(e + 16), ulen = le32(e + 20);
        uint64_t off = le64(e + 8);
        uint32_t d0 = (uint32_t)(keys[k] >> 32);
        if (d0 >= first + nd)
            continue;
        cbuf.n = ubuf.n = 0;
        if (!as_gbuf_room(c, &cbuf, clen + 1) || !as_gbuf_room(c, &ubuf, (size_t)ulen + 1))
            break;
        as_wfile_pread(c, fs, cbuf.p, clen, off);
        if (c->rc != AS_OK)
            break;
        inflateReset(&z);
        z.next_in = cbuf.p;
        z.avail_in = clen;
        z.next_out = ubuf.p;
        z.avail_out = ulen;
        if (inflate(&z, Z_FINISH) != Z_STREAM_END || z.avail_out != 0) {
            as_wctx_fail(c, AS_EIO, "%s: store block %llu does not read back", fs->path,
                         (unsigned long long)b);
            break;
        }
        as_ix_rwalk wk;
        uint32_t at = first; /* the doc of the walker's next record */
        if (as_ix_walk_start(&wk, ubuf.p, ulen) != 0) {
            as_wctx_fail(c, AS_EIO, "%s: store block %llu does not read back", fs->path,
                         (unsigned long long)b);
            break;
        }
        while (k < ncand && (uint32_t)(keys[k] >> 32) < first + nd && c->rc == AS_OK) {
            uint32_t doc = (uint32_t)(keys[k] >> 32), run = (uint32_t)keys[k];
            as_ix_rec dr;
            int bad = 0;
            while (at <= doc && !bad)
                bad = as_ix_walk_next(&wk, &dr) != 0, at++;
            if (bad) {
                as_wctx_fail(c, AS_EIO, "%s: store block %llu does not read back", fs->path,
                             (unsigned long long)b);
                break;
            }
            size_t tl = dr.tlen;
            uint32_t ri;
            for (ri = runhead[run]; ri != UINT32_MAX; ri = reps[ri].next)
                if (reps[ri].len == tl && memcmp(reps[ri].text, dr.text, tl) == 0)
                    break;
            if (ri == UINT32_MAX) {
                if (!GROW(c, reps, repcap, nreps + 1))
                    break;
                rep *p = &reps[nreps];
                p->text = malloc(tl + 1);
                if (!p->text) {
                    as_wctx_fail(c, AS_ENOMEM, "out of memory");
                    break;
                }
                memcpy(p->text, dr.text, tl);
                p->len = tl;
                p->cls = (uint32_t)nreps;
                p->next = runhead[run];
                runhead[run] = (uint32_t)nreps;
                ri = (uint32_t)nreps++;
            }
            cls[k] = reps[ri].cls;
            k++;
        }
    }
    inflateEnd(&z);
    if (c->rc == AS_OK && k != ncand)
        as_wctx_fail(c, AS_EIO, "%s: store does not cover every sentence", fs->path);
    if (c->rc != AS_OK)
        goto out;
    /* classes are numbered in order of their first doc; groups are the
     * classes with two or more members, in that order */
    uint32_t *cnt = calloc(nreps + 1, sizeof *cnt), *gid = NULL;
    if (!cnt) {
        as_wctx_fail(c, AS_ENOMEM, "out of memory");
        goto out;
    }
    for (size_t i = 0; i < ncand; i++)
        cnt[cls[i]]++;
    gid = malloc((nreps + 1) * sizeof *gid);
    r->starts = malloc((nreps + 2) * sizeof *r->starts);
    if (!gid || !r->starts) {
        free(cnt);
        free(gid);
        as_wctx_fail(c, AS_ENOMEM, "out of memory");
        goto out;
    }
    uint32_t ng = 0, nm = 0;
    for (size_t i = 0; i < nreps; i++) {
        if (cnt[i] >= 2) {
            gid[i] = ng;
            r->starts[ng++] = nm;
            nm += cnt[i];
        } else
            gid[i] = UINT32_MAX;
    }
    r->starts[ng] = nm;
    r->ngroups = ng;
    r->ndup = nm;
    r->members = malloc((nm + 1) * sizeof *r->members);
    r->mapdoc = malloc((nm + 1) * sizeof *r->mapdoc);
    r->mapgroup = malloc((nm + 1) * sizeof *r->mapgroup);
    uint32_t *fill = calloc(ng + 1, sizeof *fill);
    if (!r->members || !r->mapdoc || !r->mapgroup || !fill) {
        as_wctx_fail(c, AS_ENOMEM, "out of memory");
    } else {
        uint32_t m = 0;
        for (size_t i = 0; i < ncand; i++) {
            uint32_t g = gid[cls[i]];
            if (g == UINT32_MAX)
                continue;
            uint32_t doc = (uint32_t)(keys[i] >> 32);
            r->members[r->starts[g] + fill[g]++] = doc;
            r->mapdoc[m] = doc;
            r->mapgroup[m] = g;
            m++;
        }
    }
    free(fill);
    free(cnt);
    free(gid);
out:
    for (size_t i = 0; i < nreps; i++)
        free(reps[i].text);
    free(reps);
    free(runhead);
    free(cls);
    free(keys);
    as_gbuf_free(&ubuf);
    as_gbuf_free(&cbuf);
}

static void dupres_free(dupres *r)
{
    free(r->members);
    free(r->starts);
    free(r->mapdoc);
    free(r->mapgroup);
    memset(r, 0, sizeof *r);
}

/* ---- docs, store index, meta ---------------------------------------- */

static void write_u32s(as_wctx *c, as_wfile *f, const uint32_t *v, size_t n)
{
    uint8_t b[4096];
    for (size_t i = 0; i < n;) {
        size_t k = 0;
        for (; i < n && k + 4 <= sizeof b; i++, k += 4)
            put32(b + k, v[i]);
        as_wfile_write(c, f, b, k);
    }
}

static int cmp_council(const void *a, const void *b, void *ctx)
{
    return cmp_ids(a, b, ctx);
}

static void write_docs(as_writer *w, const dupres *dr, const uint32_t *crank, uint64_t *mf)
{
    as_wctx *c = &w->c;
    as_wfile *f = &w->f[IXF_DOCS];
    as_wfile_open(c, f, w->dir, "docs", AS_MAGIC_DOCS, 1);
    uint8_t b[4096];
    uint64_t nover = 0;
    mf[MF_DOCLEN_OFF] = f->body_len;
    for (uint32_t i = 0; i < w->ndocs;) {
        size_t k = 0;
        for (; i < w->ndocs && k + 2 <= sizeof b; i++, k += 2) {
            uint32_t dl = w->doclen[i];
            if (dl >= AS_DOCLEN_ESC) {
                dl = AS_DOCLEN_ESC;
                nover++;
            }
            put16(b + k, (uint16_t)dl);
        }
        as_wfile_write(c, f, b, k);
    }
    as_wfile_align(c, f, 8);
    mf[MF_KIND_OFF] = f->body_len;
    as_wfile_write(c, f, w->kind, w->ndocs);
    as_wfile_align(c, f, 8);
    mf[MF_HASH_OFF] = f->body_len;
    write_u32s(c, f, w->hash, w->ndocs);
    as_wfile_align(c, f, 8);
    mf[MF_OVER_OFF] = f->body_len;
    mf[MF_NOVER] = nover;
    for (uint32_t i = 0; i < w->ndocs && nover; i++)
        if (w->doclen[i] >= AS_DOCLEN_ESC) {
            as_wfile_u32(c, f, i);
            as_wfile_u32(c, f, w->doclen[i]);
        }
    as_wfile_align(c, f, 8);
    mf[MF_UNITS_OFF] = f->body_len;
    for (size_t i = 0; i < w->nunits; i++) {
        const wunit *u = &w->units[i];
        uint8_t r[AS_UNIT_SIZE] = {0};
        put32(r, u->first_doc);
        put32(r + 4, u->ndocs);
        put32(r + 8, u->file);
        put32(r + 12, u->council == AS_NONE ? AS_NONE : crank[u->council]);
        r[16] = u->statement;
        r[17] = (uint8_t)as_statement_theme(u->statement);
        r[18] = u->score;
        put32(r + 20, u->published);
        put32(r + 24, u->updated);
        as_wfile_write(c, f, r, sizeof r);
    }
    as_wfile_align(c, f, 8);
    mf[MF_FILES_OFF] = f->body_len;
    uint64_t soff = 0;
    for (size_t i = 0; i < w->nfiles; i++) {
        const wfilerec *r = &w->files[i];
        uint8_t e[AS_FREC_SIZE] = {0};
        size_t pl = strlen(r->path), dl = strlen(r->display);
        put64(e, r->size);
        put64(e + 8, (uint64_t)r->mtime_ns);
        put32(e + 16, r->crc32);
        put32(e + 20, r->first_doc);
        put32(e + 24, r->ndocs);
        put32(e + 28, (uint32_t)pl);
        put32(e + 32, (uint32_t)dl);
        put32(e + 36, (uint32_t)r->acrolen);
        put64(e + 40, soff);
        soff += pl + 1 + dl + 1 + r->acrolen;
        as_wfile_write(c, f, e, sizeof e);
    }
    as_wfile_align(c, f, 8);
    mf[MF_STR_OFF] = f->body_len;
    mf[MF_STR_LEN] = soff;
    for (size_t i = 0; i < w->nfiles; i++) {
        const wfilerec *r = &w->files[i];
        as_wfile_write(c, f, r->path, strlen(r->path) + 1);
        as_wfile_write(c, f, r->display, strlen(r->display) + 1);
        as_wfile_write(c, f, r->acro, r->acrolen);
    }
    as_wfile_align(c, f, 8);
    mf[MF_DUPMAP_OFF] = f->body_len;
    for (uint32_t i = 0; i < dr->ndup; i++) {
        as_wfile_u32(c, f, dr->mapdoc[i]);
        as_wfile_u32(c, f, dr->mapgroup[i]);
    }
    mf[MF_GROUPS_OFF] = f->body_len;
    if (dr->starts)
        write_u32s(c, f, dr->starts, (size_t)dr->ngroups + 1);
    else
        as_wfile_u32(c, f, 0);
    mf[MF_MEMBERS_OFF] = f->body_len;
    write_u32s(c, f, dr->members, dr->ndup);
    mf[MF_NGROUPS] = dr->ngroups;
    mf[MF_NDUPDOCS] = dr->ndup;
    as_wfile_close(c, f);
}

static void write_meta(as_writer *w, uint64_t *mf, const uint32_t *corder)
{
    as_wctx *c = &w->c;
    as_wfile f;
    as_gbuf councils = {0};
    for (uint32_t i = 0; i < w->councils.n; i++) {
        const sent *e = &w->councils.e[corder[i]];
        as_gbuf_put(c, &councils, e->s, e->len);
        as_gbuf_put(c, &councils, "", 1);
    }
    /* the corpus acronym table: the union of the files' mined tables */
    char *acro = NULL;
    size_t acrolen = 0;
    as_acrotab *t = NULL;
    int rc = as_acrotab_new(&t);
    for (size_t i = 0; i < w->nfiles && rc == AS_OK; i++) {
        if (w->files[i].acrolen == 0)
            continue;
        as_acrotab *ft = NULL;
        as_err e = {0};
        rc = as_acrotab_deserialize(&ft, (const char *)w->files[i].acro, w->files[i].acrolen, &e);
        if (rc == AS_OK)
            rc = as_acrotab_merge(t, ft);
        as_acrotab_free(ft);
        if (rc != AS_OK)
            as_wctx_fail(c, rc, "%s: acronym table: %s", w->files[i].path, e.msg[0] ? e.msg : as_strerror(rc));
    }
    if (rc == AS_OK && as_acrotab_size(t) > 0)
        rc = as_acrotab_serialize(t, &acro, &acrolen);
    as_acrotab_free(t);
    if (rc != AS_OK)
        as_wctx_fail(c, rc, "acronym table: %s", as_strerror(rc));
    mf[MF_COUNCILS_LEN] = councils.n;
    mf[MF_ACRO_LEN] = acrolen;
    as_wfile_open(c, &f, w->dir, "meta", AS_MAGIC_META, 0);
    for (int i = 0; i < MF_COUNT; i++)
        as_wfile_u64(c, &f, mf[i]);
    as_wfile_write(c, &f, councils.p, councils.n);
    as_wfile_write(c, &f, acro, acrolen);
    as_wfile_close(c, &f);
    as_wfile_drop(&f);
    free(acro);
    as_gbuf_free(&councils);
}

static void free_writer(as_writer *w)
{
    for (int i = 0; i < IXF_N; i++)
        as_wfile_drop(&w->f[i]);
    for (uint32_t i = 0; i < w->terms.n && w->tw; i++)
        free(w->tw[i].buf);
    free(w->tw);
    strtab_free(&w->terms);
    strtab_free(&w->councils);
    free(w->lid);
    free(w->lwdf);
    free(w->lstart);
    free(w->lfill);
    free(w->tslot);
    free(w->lpos);
    for (size_t i = 0; i < w->nruns; i++) {
        unlink(w->runs[i]);
        free(w->runs[i]);
    }
    free(w->runs);
    free(w->doclen);
    free(w->hash);
    free(w->kind);
    free(w->units);
    for (size_t i = 0; i < w->nfiles; i++) {
        free(w->files[i].path);
        free(w->files[i].display);
        free(w->files[i].acro);
    }
    free(w->files);
    as_gbuf_free(&w->sbuf);
    as_gbuf_free(&w->sfields);
    as_gbuf_free(&w->stexts);
    free(w->sprevsecbuf);
    as_sw_free(&w->sw);
    free(w->copies);
    free(w->dir);
    free(w->tmpdir);
    free(w);
}

int as_writer_finish(as_writer *w, as_err *err)
{
    as_wctx *c = &w->c;
    if (c->rc == AS_OK && w->infile)
        as_wctx_fail(c, AS_EINVAL, "as_writer_finish inside a file");
    uint64_t mf[MF_COUNT] = {0};
    mf[MF_FORMAT] = AS_FORMAT_VERSION;
    mf[MF_ANALYZER] = AS_ANALYZER_VERSION;
    mf[MF_BUILT] = (uint64_t)time(NULL);
    mf[MF_NDOCS] = w->ndocs;
    mf[MF_TOTAL_LEN] = w->total_len;
    mf[MF_NUNITS] = w->nunits;
    mf[MF_NFILES] = w->nfiles;
    mf[MF_NCOUNCILS] = w->councils.n;
    if (c->rc == AS_OK)
        write_postings(w); /* while the store thread finishes its queue */
    as_sw_sync(c, &w->sw);
    mf[MF_NTERMS] = w->terms_nterms;
    mf[MF_DICT_NBLOCKS] = w->dict_nblocks;
    mf[MF_DICT_BINDEX_OFF] = w->dict_bindex_off;
    dupres dr = {0};
    if (c->rc == AS_OK)
        compute_dups(w, &dr);
    uint32_t *corder = malloc(((size_t)w->councils.n + 1) * sizeof *corder);
    uint32_t *crank = malloc(((size_t)w->councils.n + 1) * sizeof *crank);
    if (!corder || !crank)
        as_wctx_fail(c, AS_ENOMEM, "out of memory");
    if (c->rc == AS_OK) {
        for (uint32_t i = 0; i < w->councils.n; i++)
            corder[i] = i;
        qsort_r(corder, w->councils.n, sizeof *corder, cmp_council, w->councils.e);
        for (uint32_t i = 0; i < w->councils.n; i++)
            crank[corder[i]] = i;
        write_docs(w, &dr, crank, mf);
    }
    /* the store's block index */
    as_wfile *fs = &w->sw.f;
    as_wfile_align(c, fs, 8);
    mf[MF_STORE_NBLOCKS] = w->sw.nblocks;
    mf[MF_STORE_SINDEX_OFF] = fs->body_len;
    as_wfile_write(c, fs, w->sw.sindex.p, w->sw.sindex.n);
    as_wfile_close(c, fs);
    if (c->rc == AS_OK) {
        /* cross-checks for the reader */
        mf[MF_POST_LEN] = w->post_len;
        mf[MF_POS_LEN] = w->pos_len;
        write_meta(w, mf, corder);
    }
    dupres_free(&dr);
    free(corder);
    free(crank);
    int rc = c->rc;
    if (rc != AS_OK)
        as_err_set(err, rc, "%s", c->msg);
    free_writer(w);
    return rc;
}

void as_writer_abort(as_writer *w)
{
    if (w)
        free_writer(w);
}
