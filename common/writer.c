/*
 * writer.c — Writes one generation of the native index (format.h): the
 * as_writer_* functions, the in-memory inversion fed one sentence at a
 * time, columns, units, files, store records, and at finish the docs and
 * meta files.  Its helpers (wint.h): strtab.c interns terms, runs.c spills
 * sorted runs, encode.c encodes the final postings and dictionary, dups.c
 * finds duplicate groups, storew.c compresses the store on a thread.
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
 * corpus writes, so queries answer identically after either; but for the
 * store, whose copied blocks are written verbatim when their generation is
 * the base (as_writer_set_base, storew.h): the same texts, other token ids.
 */
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

#include "crc.h"
#include "varint.h"
#include "wint.h"

#define DEFAULT_MEM_LIMIT ((size_t)256 << 20)

/* The crc32 of zlib (reflected polynomial 0xedb88320) eight bytes a step
 * ("slicing by 8", Kounavis & Berry, Intel 2005): the hash column takes
 * one per sentence, and zlib's own costs ~3 ns a byte on texts this short
 * (its fast path pays for itself only on long inputs). */
static void crc_tables(uint32_t t[8][256])
{
    for (uint32_t i = 0; i < 256; i++) {
        uint32_t c = i;
        for (int k = 0; k < 8; k++)
            c = c & 1 ? 0xedb88320u ^ (c >> 1) : c >> 1;
        t[0][i] = c;
    }
    for (int k = 1; k < 8; k++)
        for (int i = 0; i < 256; i++)
            t[k][i] = (t[k - 1][i] >> 8) ^ t[0][t[k - 1][i] & 0xff];
}

static uint32_t text_crc(const uint32_t t[8][256], uint32_t crc0, const char *s, size_t n)
{
    const uint8_t *p = (const uint8_t *)s;
    uint32_t crc = ~crc0; /* zlib's crc32(crc0, ...) */
    for (; n >= 8; n -= 8, p += 8) {
        uint64_t x = le64(p) ^ crc;
        crc = t[7][x & 0xff] ^ t[6][(x >> 8) & 0xff] ^ t[5][(x >> 16) & 0xff] ^
              t[4][(x >> 24) & 0xff] ^ t[3][(x >> 32) & 0xff] ^ t[2][(x >> 40) & 0xff] ^
              t[1][(x >> 48) & 0xff] ^ t[0][x >> 56];
    }
    while (n--)
        crc = (crc >> 8) ^ t[0][(crc ^ *p++) & 0xff];
    return ~crc;
}

void *as_wr_grow(as_wctx *c, void *p, size_t *cap, size_t need, size_t elem)
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
    w->high_min_df = AS_HIGH_MIN_DF;
    crc_tables(w->crct);
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

void as_writer_set_high_min_df(as_writer *w, uint32_t df)
{
    if (w)
        w->high_min_df = df;
}

void as_writer_set_pipe_chunk(as_writer *w, size_t bytes)
{
    if (w)
        w->pipe_chunk = bytes;
}

void as_writer_set_merge_stats(as_writer *w, as_wmerge_stats *st)
{
    if (w)
        w->mstats_out = st;
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
    /* the previous file's strings may be gone, their addresses reused */
    w->council_p = w->sprevsecp = NULL;
    return AS_OK;
}

/* ---- Store -------------------------------------------------------------- */

static void store_flush(as_writer *w)
{
    as_wctx *c = &w->c;
    if (w->sndocs == 0 || c->rc != AS_OK)
        return;
    w->sbuf.n = 0;
    /* the block's size is known: one allocation, not a doubling series */
    if (!as_gbuf_room(c, &w->sbuf, 10 + w->sfields.n + w->stexts.n))
        return;
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
                      size_t slen, int samesec, int stable)
{
    as_wctx *c = &w->c;
    if (w->sndocs == 0) {
        w->sfirst = doc;
        w->sprevline = w->sprevpara = 0;
        w->shavesec = 0;
    }
    const char *sec = d->section ? d->section : "";
    int same = w->shavesec &&
               (samesec || (slen == w->sprevseclen && memcmp(sec, w->sprevsecbuf, slen) == 0));
    size_t idlen = d->id ? strlen(d->id) : 0; /* storew.h: the raw form */
    /* the record's fields at most: six varints, the section and the id;
     * room made once, not at each field */
    uint8_t *q = as_gbuf_room(c, &w->sfields, 60 + (same ? 0 : slen) + idlen);
    if (!q)
        return;
    q += varint_put(q, tlen);
    if (same) {
        *q++ = 0;
    } else {
        q += varint_put(q, slen + 1);
        memcpy(q, sec, slen);
        q += slen;
    }
    q += varint_put(q, zigzag((int64_t)d->line - w->sprevline));
    q += varint_put(q, zigzag((int64_t)d->paragraph - w->sprevpara));
    q += varint_put(q, d->sentence);
    q += varint_put(q, idlen);
    if (idlen)
        memcpy(q, d->id, idlen);
    w->sfields.n = (size_t)(q + idlen - w->sfields.p);
    if (!same) {
        if (!GROW(c, w->sprevsecbuf, w->sprevseccap, slen + 1))
            return;
        memcpy(w->sprevsecbuf, sec, slen);
        w->sprevseclen = slen;
        w->shavesec = 1;
    }
    w->sprevsecp = stable ? d->section : NULL; /* sprevsecbuf holds its bytes */
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
    if (w->ndocs >= w->dcap) { /* (three calls a sentence before) */
        size_t cap = w->dcap, cap2 = w->dcap, cap3 = w->dcap;
        if (!GROW(&w->c, w->doclen, cap, (size_t)w->ndocs + 1) ||
            !GROW(&w->c, w->hash, cap2, (size_t)w->ndocs + 1) ||
            !GROW(&w->c, w->kind, cap3, (size_t)w->ndocs + 1))
            return w->c.rc;
        w->dcap = cap;
    }
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
    return as_writer_add_h(w, d, toks, ntoks, NULL, NULL);
}

void as_writer_prefetch(const as_writer *w, const uint32_t *hash, size_t n)
{
    for (size_t k = 0; k < n; k++)
        __builtin_prefetch(as_strtab_slot(&w->terms, hash[k]));
}

/* The checks of a sentence before anything changes: AS_OK or the failure. */
static int check_doc(as_writer *w, const as_doc_in *d, size_t ntoks)
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
    return AS_OK;
}

/* A checked sentence's unit, columns and store record; stable: d's strings
 * stay until the file ends (as_writer_add_doc_n). */
static int put_doc(as_writer *w, const as_doc_in *d, size_t ntoks, size_t tlen, int stable)
{
    as_wctx *c = &w->c;
    const as_meta *m = d->meta;
    uint32_t doc = w->ndocs;
    /* A page's sentences point at few sections and councils, each string
     * kept while the file is added: at the previous one's address it is
     * that string (a strlen and a memcmp of each per sentence before). */
    int samesec = stable && d->section && d->section == w->sprevsecp;
    size_t slen = samesec ? w->sprevseclen : d->section ? strlen(d->section) : 0;
    uint32_t council = AS_NONE;
    if (m && m->council && stable && m->council == w->council_p) {
        council = w->council_last1 - 1;
    } else if (m && m->council) {
        /* a file's sentences share their council: the last one's id is
         * checked against the name before the table is asked */
        size_t cl = strlen(m->council);
        const sent *last = w->council_last1 ? &w->councils.e[w->council_last1 - 1] : NULL;
        if (last && last->len == cl && memcmp(last->s, m->council, cl) == 0) {
            council = w->council_last1 - 1;
        } else {
            int added;
            council = as_strtab_intern(c, &w->councils, m->council, cl, &added);
            if (c->rc != AS_OK)
                return c->rc;
            w->council_last1 = council + 1;
        }
        w->council_p = stable ? m->council : NULL;
    }
    add_to_unit(w, doc, (uint32_t)(w->nfiles - 1), council, m);
    /* From 64 bytes (most sentences) folding by carry-less multiplication
     * (crc.c) costs a fraction of the tables': it takes the 16-byte blocks,
     * the tables the tail (zlib's call for a few bytes costs more). */
    size_t fold = tlen >= 64 ? tlen & ~(size_t)15 : 0;
    uint32_t hash = text_crc(w->crct, fold ? as_crc32(0, d->text, fold) : 0, d->text + fold,
                             tlen - fold);
    if (add_doc_columns(w, (uint32_t)ntoks, d->kind, hash) != AS_OK)
        return c->rc;
    w->files[w->nfiles - 1].ndocs++;
    store_add(w, doc, d, tlen, slen, samesec, stable);
    return c->rc;
}

/* The id of a term (hash and head: as_strtab_hash's), interned with a
 * zeroed record when new, its record prefetched for the caller's next
 * touch; UINT32_MAX when interning failed (w->c.rc says why). */
static inline uint32_t term_id(as_writer *w, const char *term, uint32_t len, uint32_t hash,
                               uint64_t head)
{
    as_wctx *c = &w->c;
    uint32_t id = as_strtab_find_h(&w->terms, term, len, hash, head);
    if (id == UINT32_MAX) {
        int added;
        id = as_strtab_intern_h(c, &w->terms, term, len, hash, head, &added);
        if (c->rc != AS_OK)
            return UINT32_MAX;
        if (added) {
            size_t cap = w->twcap;
            if (!GROW(c, w->tw, cap, (size_t)id + 1))
                return UINT32_MAX;
            w->twcap = (uint32_t)cap;
            memset(&w->tw[id], 0, sizeof w->tw[id]);
        }
    }
    __builtin_prefetch(&w->tw[id]);
    return id;
}

int as_writer_add_doc(as_writer *w, const as_doc_in *d, size_t doclen)
{
    int rc = check_doc(w, d, doclen);
    return rc != AS_OK ? rc : put_doc(w, d, doclen, strlen(d->text), 0);
}

int as_writer_add_doc_n(as_writer *w, const as_doc_in *d, size_t doclen, size_t tlen)
{
    int rc = check_doc(w, d, doclen);
    return rc != AS_OK ? rc : put_doc(w, d, doclen, tlen, 1);
}

int as_writer_add_h(as_writer *w, const as_doc_in *d, const as_token *toks, size_t ntoks,
                    const uint32_t *hash, const uint64_t *head)
{
    as_wctx *c = &w->c;
    if (check_doc(w, d, ntoks) != AS_OK)
        return c->rc;
    /* per-token scratch */
    size_t tc = w->tcap, tc2 = w->tcap, tc3 = w->tcap, tc4 = w->tcap;
    if (!GROW(c, w->tslot, tc, ntoks + 1) || !GROW(c, w->thash, tc2, ntoks + 1) ||
        !GROW(c, w->tid, tc3, ntoks + 1) || !GROW(c, w->thead, tc4, ntoks + 1))
        return c->rc;
    w->tcap = tc;
    size_t lc = w->lcap, lc2 = w->lcap, lc3 = w->lcap, lc4 = w->lcap, lc5 = w->lcap;
    if (!GROW(c, w->lid, lc, ntoks + 1) || !GROW(c, w->lwdf, lc2, ntoks + 1) ||
        !GROW(c, w->lstart, lc3, ntoks + 1) || !GROW(c, w->lfill, lc4, ntoks + 1) ||
        !GROW(c, w->lpos, lc5, ntoks + 1))
        return c->rc;
    w->lcap = lc;
    /* Checked and hashed in one pass, before anything changes.  The tables
     * are far bigger than the caches and a token's slot, term record and
     * buffer tail are three likely misses: each pass prefetches what the
     * next one reads, so that the misses overlap. */
    for (size_t k = 0; k < ntoks; k++) {
        if (toks[k].len == 0 || toks[k].len > AS_TERM_BYTES || !toks[k].term) {
            as_wctx_fail(c, AS_EINVAL, "as_writer_add: term of %u bytes", toks[k].len);
            return c->rc;
        }
        if (k > 0 && toks[k].pos < toks[k - 1].pos) {
            as_wctx_fail(c, AS_EINVAL, "as_writer_add: tokens not in position order");
            return c->rc;
        }
        if (!hash) {
            w->thash[k] = as_strtab_hash(toks[k].term, toks[k].len, &w->thead[k]);
            __builtin_prefetch(as_strtab_slot(&w->terms, w->thash[k]));
        }
    }
    const uint32_t *th = hash ? hash : w->thash;
    const uint64_t *hd = hash ? head : w->thead;
    uint32_t doc = w->ndocs;
    if (put_doc(w, d, ntoks, strlen(d->text), 0) != AS_OK)
        return c->rc;

    /* Interning; then the tokens grouped by term: a slot per distinct term
     * of the doc. */
    for (size_t k = 0; k < ntoks; k++) {
        uint32_t id = term_id(w, toks[k].term, toks[k].len, th[k], hd[k]);
        if (id == UINT32_MAX)
            return c->rc;
        w->tid[k] = id;
    }
    uint32_t nl = 0;
    for (size_t k = 0; k < ntoks; k++) {
        uint32_t id = w->tid[k];
        wterm *t = &w->tw[id];
        if (t->curdoc != doc + 1) {
            if (t->buf) /* a term new to this run has none yet: NULL + 0 is UB */
                __builtin_prefetch(t->buf + t->len, 1);
            t->curdoc = doc + 1;
            t->slot = nl;
            w->lid[nl] = id;
            w->lwdf[nl] = 0;
            nl++;
        }
        w->lwdf[t->slot]++;
        w->tslot[k] = t->slot;
    }
    if (nl == ntoks) {
        /* every term once (the common case): slot l is token l */
        for (uint32_t l = 0; l < nl && c->rc == AS_OK; l++)
            term_append(w, w->lid[l], doc, &toks[l].pos, 1);
    } else {
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
    }
    /* Only the postings buffers count: the term table cannot be spilled
     * (it is bounded by the vocabulary, not by the corpus). */
    if (c->rc == AS_OK && w->mem_post > w->mem_limit)
        as_wr_spill(w);
    return c->rc;
}

/* ---- A file's postings grouped on an analysis thread (wint.h) ------------ */

/* Grows *pp (elements of size elem, capacity *cap) to hold need: 0 or -1. */
static int wp_grow(void **pp, size_t *cap, size_t need, size_t elem)
{
    if (need <= *cap)
        return 0;
    size_t nc = *cap ? *cap : 256;
    while (nc < need)
        nc *= 2;
    if (nc > SIZE_MAX / elem)
        return -1;
    void *q = realloc(*pp, nc * elem);
    if (!q)
        return -1;
    *pp = q;
    *cap = nc;
    return 0;
}

/* Rebuilds the local table with n (a power of two) slots. */
static int wp_resize(as_wpost *p, uint32_t n)
{
    if (n == 0)
        return -1;
    uint32_t *sl = calloc(n, sizeof *sl);
    if (!sl)
        return -1;
    for (uint32_t i = 0; i < p->nt; i++) {
        uint32_t j = p->t[i].hash & (n - 1);
        while (sl[j])
            j = (j + 1) & (n - 1);
        sl[j] = i + 1;
    }
    free(p->slots);
    p->slots = sl;
    p->mask = n - 1;
    return 0;
}

/* Doubles the local table (load <= 1/2). */
static int wp_rehash(as_wpost *p)
{
    return wp_resize(p, p->mask ? 2 * (p->mask + 1) : 1024);
}

int as_wpost_reserve(as_wpost *p, size_t ntok)
{
    size_t kc = p->kcap;
    if (wp_grow((void **)&p->lid, &kc, ntok, sizeof *p->lid) != 0)
        return AS_ENOMEM;
    kc = p->kcap;
    if (wp_grow((void **)&p->pos, &kc, ntok, sizeof *p->pos) != 0)
        return AS_ENOMEM;
    p->kcap = kc;
    /* a file's distinct terms: about a quarter of its tokens */
    size_t nt = ntok / 4, tc = p->tcap;
    if (nt > UINT32_MAX / 4 || wp_grow((void **)&p->t, &tc, nt, sizeof *p->t) != 0)
        return AS_ENOMEM;
    p->tcap = (uint32_t)tc;
    /* and their bytes: 6.1 a term on the bench corpus, 8 reserved (grown
     * from 256 by doubling they were copied several times a file) */
    size_t bc = p->tbcap;
    if (nt > SIZE_MAX / 8 || wp_grow((void **)&p->terms, &bc, nt * 8, 1) != 0)
        return AS_ENOMEM;
    p->tbcap = bc;
    /* the size the doubling would reach, allocated once */
    uint64_t n = p->mask ? (uint64_t)p->mask + 1 : 1024;
    while (((uint64_t)nt + 1) * 2 > n)
        n *= 2;
    if (n != (uint64_t)p->mask + 1 && (n > UINT32_MAX || wp_resize(p, (uint32_t)n) != 0))
        return AS_ENOMEM;
    return AS_OK;
}

#if defined(__GNUC__)
#define WP_INLINE inline __attribute__((always_inline))
#else
#define WP_INLINE inline
#endif

/* The bytes of varint_put(v): (bits + 6) / 7 by a multiply (exact for
 * 1..32 bits). */
static WP_INLINE uint32_t vlen32(uint32_t v)
{
    uint32_t bits = 32 - (uint32_t)__builtin_clz(v | 1);
    return ((bits + 6) * 37) >> 8;
}

/* The sentence run for s (a new one unless the last run is s's), or NULL
 * when out of memory; *prevpos: the position tokens of s must not go
 * below (the last one added to s: a position gap is then never more than
 * the file's largest position, as as_wpost_finish's bound takes it). */
static as_wprun *wp_run(as_wpost *p, uint32_t s, uint32_t *prevpos)
{
    if (p->nr > 0 && p->runs[p->nr - 1].s == s) {
        *prevpos = p->pos[p->nk - 1];
        return &p->runs[p->nr - 1];
    }
    if (wp_grow((void **)&p->runs, &p->rcap, p->nr + 1, sizeof *p->runs) != 0)
        return NULL;
    *prevpos = 0;
    as_wprun *r = &p->runs[p->nr++];
    *r = (as_wprun){s, (uint32_t)p->nk};
    return r;
}

/* Whether two terms of len (> 8) bytes whose first 8 are equal are:
 * up to 16 bytes by one 8-byte load of each ending at its last byte (a
 * memcmp call there, most long terms, cost the loop its registers). */
static WP_INLINE int wp_tail_eq(const char *a, const char *b, uint32_t len)
{
    if (len > 16)
        return memcmp(a + 8, b + 8, len - 8) == 0;
    uint64_t x, y;
    memcpy(&x, a + len - 8, 8);
    memcpy(&y, b + len - 8, 8);
    return x == y;
}

/* as_wpost_add's work; given: the tokens' hash and head fields are set
 * (a constant in each caller, so that each has its own loop).
 *
 * Each term's sentences and tokens are counted as they come, so that
 * as_wpost_finish can bound its bytes and code each token straight at its
 * term's place, with no sort. */
static WP_INLINE int wpost_add(as_wpost *p, uint32_t s, const as_token *toks, size_t n,
                               int given)
{
    if (p->nr > 0 && s < p->runs[p->nr - 1].s)
        return AS_EINVAL;
    if (n == 0)
        return AS_OK;
    if (n > UINT32_MAX - p->nk)
        return AS_ENOMEM;
    size_t kc = p->kcap;
    if (wp_grow((void **)&p->lid, &kc, p->nk + n, sizeof *p->lid) != 0)
        return AS_ENOMEM;
    kc = p->kcap;
    if (wp_grow((void **)&p->pos, &kc, p->nk + n, sizeof *p->pos) != 0)
        return AS_ENOMEM;
    p->kcap = kc;
    /* room for n new terms at load <= 1/2 and their records, once for the
     * sentence, not at each new term */
    while (((uint64_t)p->nt + n + 1) * 2 > (uint64_t)p->mask + 1)
        if (wp_rehash(p) != 0)
            return AS_ENOMEM;
    size_t tc = p->tcap;
    if ((uint64_t)p->nt + n >= UINT32_MAX ||
        wp_grow((void **)&p->t, &tc, (size_t)p->nt + n, sizeof *p->t) != 0)
        return AS_ENOMEM;
    p->tcap = (uint32_t)tc;
    uint32_t pp;
    as_wprun *run = wp_run(p, s, &pp);
    if (!run)
        return AS_ENOMEM;
    uint32_t prevpos = pp; /* (its address not taken: kept in a register) */
    /* The table, the token arrays and their count in locals: a store into
     * them may alias p's fields and the tokens' (p->t moves only when a
     * term is added, and is taken again then). */
    uint32_t *slots = p->slots, mask = p->mask, *lid = p->lid, *pa = p->pos;
    as_wpterm *t = p->t;
    size_t nk = p->nk;
    int rc = AS_OK;
    for (size_t k = 0; k < n; k++) {
        const as_token *tk = &toks[k];
        const char *term = tk->term;
        uint32_t len = tk->len, pos = tk->pos;
        /* len 0 wraps: three tests, not five, on every token (two for
         * as_analyze's tokens, whose term is never NULL) */
        if (len - 1 >= AS_TERM_BYTES || (!given && !term) || pos < prevpos) {
            rc = AS_EINVAL;
            break;
        }
        prevpos = pos;
        /* the analyzer's hash when given (made once per stem it caches):
         * hashing every token here was a quarter of this loop */
        uint64_t head;
        uint32_t h, j, id = UINT32_MAX;
        if (given) {
            h = tk->hash;
            head = tk->head;
        } else {
            h = as_strtab_hash_in(term, len, &head);
        }
        for (j = h & mask; slots[j]; j = (j + 1) & mask) {
            const as_wpterm *e = &t[slots[j] - 1];
            if (e->hash == h && e->head == head && e->len == len &&
                (len <= 8 || wp_tail_eq(p->terms + e->toff, term, len))) {
                id = slots[j] - 1;
                break;
            }
        }
        if (id != UINT32_MAX) {
            as_wpterm *e = &t[id];
            /* its sentences and tokens, until as_wpost_finish (with no
             * branch: a term repeats in a sentence at random) */
            e->boff += e->last != s;
            e->last = s;
            e->blen++;
        } else {
            if (p->tbytes + len > p->tbcap) {
                size_t bc = p->tbcap;
                if (p->tbytes + len > UINT32_MAX ||
                    wp_grow((void **)&p->terms, &bc, p->tbytes + len, 1) != 0) {
                    rc = AS_ENOMEM;
                    break;
                }
                p->tbcap = bc;
            }
            id = p->nt++;
            t[id] = (as_wpterm){head, h, len, (uint32_t)p->tbytes, s, s, 1, 1};
            memcpy(p->terms + p->tbytes, term, len);
            p->tbytes += len;
            slots[j] = id + 1;
        }
        lid[nk] = id;
        pa[nk] = pos;
        nk++;
    }
    p->nk = nk;
    if (p->nk == run->k0) /* no token of it kept */
        p->nr--;
    else if (prevpos > p->maxpos) /* the last one kept: their largest */
        p->maxpos = prevpos;
    return rc;
}

/* Where as_wpost_finish codes a term's next token: its bytes' end (cur),
 * the sentence and position last coded, the wdf byte of that sentence
 * (wat) and its count so far (cnt; 0: none yet). */
typedef struct wpcur {
    uint32_t cur, lasts, prev, wat, cnt;
} wpcur;

/* Sets a wdf past 127 at its byte, wat, the positions after it (up to cur)
 * moved up by its bytes but one; returns the new cur. */
static uint32_t wp_widen(uint8_t *bytes, uint32_t wat, uint32_t cur, uint32_t cnt)
{
    uint32_t extra = vlen32(cnt) - 1;
    memmove(bytes + wat + 1 + extra, bytes + wat + 1, cur - wat - 1);
    varint_put(bytes + wat, cnt);
    return cur + extra;
}

int as_wpost_finish(as_wpost *p)
{
    if (p->nk == 0)
        return AS_OK;
    /* Each term's place, from a bound on its bytes, so that each token is
     * coded straight at its term's bytes, as term_append codes them, in one
     * pass over the tokens and no sort (a counting sort of the tokens
     * first, 8 bytes each scattered over a file's memory, then read again,
     * missed the caches twice as often).  A sentence's wdf, known at its
     * end, goes into a byte left for it.  The bound leaves gaps between
     * the terms (as_writer_add_post copies each term's blen bytes). */
    wpcur *st = malloc(((size_t)p->nt + 1) * sizeof *st);
    if (!st)
        return AS_ENOMEM;
    /* a sentence of a term codes its gap (at most vs bytes: none is above
     * the last sentence), its wdf (one byte, or vlen32(wdf) - 1 <= wdf / 128
     * more) and its positions' gaps (at most vp bytes each: none is above
     * the file's largest position) */
    uint32_t vs = vlen32(p->runs[p->nr - 1].s), vp = vlen32(p->maxpos);
    uint64_t off = 0;
    for (uint32_t i = 0; i < p->nt; i++) {
        as_wpterm *e = &p->t[i];
        /* lasts: not the first sentence, which so begins with no gap */
        st[i] = (wpcur){(uint32_t)off, e->first + 1, 0, 0, 0};
        uint64_t nsen = e->boff, ntok = e->blen;
        e->boff = (uint32_t)off;
        off += nsen * (vs + 1) + ntok * vp + ntok / 128;
        if (off > UINT32_MAX) {
            free(st);
            return AS_ENOMEM;
        }
    }
    uint8_t *bytes = p->bytes = malloc(off + 16); /* as_writer_add_post's copies */
    if (!bytes) {
        free(st);
        return AS_ENOMEM;
    }
    const uint32_t *lid = p->lid, *pos = p->pos;
    for (size_t r = 0; r < p->nr; r++) {
        uint32_t s = p->runs[r].s;
        size_t k1 = r + 1 < p->nr ? p->runs[r + 1].k0 : p->nk;
        for (size_t k = p->runs[r].k0; k < k1; k++) {
            /* the state in locals: a byte store may alias it */
            wpcur *c = &st[lid[k]];
            uint32_t cur = c->cur, prev = c->prev, cnt = c->cnt, ps = pos[k];
            if (s != c->lasts) {
                if (cnt) { /* the term's previous sentence ends */
                    if (__builtin_expect(cnt < 128, 1))
                        bytes[c->wat] = (uint8_t)cnt;
                    else
                        cur = wp_widen(bytes, c->wat, cur, cnt);
                    cur += varint_put(bytes + cur, s - c->lasts);
                }
                c->wat = cur++;
                c->lasts = s;
                cnt = 0;
                prev = 0;
            }
            cur += varint_put(bytes + cur, ps - prev);
            c->cur = cur;
            c->prev = ps;
            c->cnt = cnt + 1;
        }
    }
    for (uint32_t i = 0; i < p->nt; i++) {
        wpcur *c = &st[i];
        if (c->cnt < 128)
            bytes[c->wat] = (uint8_t)c->cnt;
        else
            c->cur = wp_widen(bytes, c->wat, c->cur, c->cnt);
        p->t[i].blen = c->cur - p->t[i].boff;
    }
    free(st);
    return AS_OK;
}

int as_wpost_add(as_wpost *p, uint32_t s, const as_token *toks, size_t n)
{
    return wpost_add(p, s, toks, n, 0);
}

int as_wpost_add_an(as_wpost *p, uint32_t s, const as_token *toks, size_t n)
{
    return wpost_add(p, s, toks, n, 1);
}

void as_wpost_free(as_wpost *p)
{
    if (!p)
        return;
    free(p->t);
    free(p->terms);
    free(p->lid);
    free(p->pos);
    free(p->runs);
    free(p->bytes);
    free(p->slots);
    memset(p, 0, sizeof *p);
}

int as_writer_add_post(as_writer *w, uint32_t first, const as_wpost *p)
{
    as_wctx *c = &w->c;
    if (c->rc != AS_OK)
        return c->rc;
    if (p->nt > 0 && !p->bytes) {
        as_wctx_fail(c, AS_EINVAL, "as_writer_add_post: postings not finished");
        return c->rc;
    }
    /* A window of terms ahead: their slots, then their records, then
     * their buffers' tails load while earlier ones are appended. */
    enum { AHEAD = 8 };
    uint32_t ids[AHEAD];
    for (uint32_t i = 0; i < p->nt && i < AHEAD; i++)
        __builtin_prefetch(as_strtab_slot(&w->terms, p->t[i].hash));
    for (uint32_t i = 0; i < p->nt + AHEAD; i++) {
        if (i + AHEAD < p->nt)
            __builtin_prefetch(as_strtab_slot(&w->terms, p->t[i + AHEAD].hash));
        if (i >= AHEAD) {
            /* term i - AHEAD: its record came in meanwhile */
            uint32_t j = i - AHEAD;
            const as_wpterm *e = &p->t[j];
            wterm *t = &w->tw[ids[j % AHEAD]];
            uint32_t doc = first + e->first;
            if (t->prev1 > doc) {
                as_wctx_fail(c, AS_EINVAL, "as_writer_add_post: sentences not in order");
                return c->rc;
            }
            size_t need = 10 + (size_t)e->blen;
            if (t->cap - t->len < need) {
                size_t nc = t->cap ? t->cap : 16;
                while (nc - t->len < need)
                    nc *= 2;
                if (nc > UINT32_MAX) {
                    as_wctx_fail(c, AS_ELIMIT, "a term's postings exceed 4 GiB in memory");
                    return c->rc;
                }
                uint8_t *b = realloc(t->buf, nc);
                if (!b) {
                    as_wctx_fail(c, AS_ENOMEM, "out of memory");
                    return c->rc;
                }
                w->mem_post += nc - t->cap;
                t->buf = b;
                t->cap = (uint32_t)nc;
            }
            uint8_t *q = t->buf + t->len;
            q += varint_put(q, (uint64_t)doc + 1 - t->prev1);
            /* most terms of a file code in a few bytes: one 16-byte copy
             * (as_wpost_finish leaves 16 bytes after the last term's), not
             * a call, when the buffer has room for it */
            if (e->blen <= 16 && (size_t)(t->buf + t->cap - q) >= 16)
                memcpy(q, p->bytes + e->boff, 16);
            else
                memcpy(q, p->bytes + e->boff, e->blen);
            t->len = (uint32_t)(q + e->blen - t->buf);
            t->prev1 = first + e->last + 1;
        }
        if (i < p->nt) {
            const as_wpterm *e = &p->t[i];
            if (e->last < e->first || first + (uint64_t)e->last >= w->ndocs) {
                as_wctx_fail(c, AS_EINVAL, "as_writer_add_post: sentence out of range");
                return c->rc;
            }
            const char *term = p->terms + e->toff;
            uint32_t id = term_id(w, term, e->len, e->hash, e->head);
            if (id == UINT32_MAX)
                return c->rc;
            ids[i % AHEAD] = id;
        }
    }
    if (c->rc == AS_OK && w->mem_post > w->mem_limit)
        as_wr_spill(w);
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

/* ---- Copying a file of an older generation -------------------------------- */

int as_writer_set_base(as_writer *w, const as_index *old, as_wstore_stats *st)
{
    if (w->c.rc != AS_OK)
        return w->c.rc;
    if (w->nfiles > 0 || w->infile) {
        as_wctx_fail(&w->c, AS_EINVAL, "as_writer_set_base after a file");
        return w->c.rc;
    }
    as_sw_base(&w->c, &w->sw, old);
    w->swstats = st;
    return w->c.rc;
}

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
                council = as_strtab_intern(c, &w->councils, name, strlen(name), &added);
            }
            as_meta m = {NULL, ou->statement, ou->score, ou->published, ou->updated};
            uint32_t nd = ou->ndocs > n - covered ? n - covered : ou->ndocs;
            for (uint32_t k = 0; k < nd; k++)
                add_to_unit(w, first + covered + k, (uint32_t)(w->nfiles - 1), council, &m);
            covered += nd;
        }
        if (c->rc == AS_OK && covered != n) {
            if (as_index_status(old) != AS_OK) /* a damaged page: it names the file */
                as_wctx_fail(c, AS_ECORRUPT, "copy: %s", as_index_errmsg(old));
            else
                as_wctx_fail(c, AS_ECORRUPT, "copy: %s/docs: units do not cover file %u",
                             as_index_gen_dir(old), file);
        }
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
                if (as_index_status(old) != AS_OK)
                    as_wctx_fail(c, AS_ECORRUPT, "copy: %s", as_index_errmsg(old));
                else
                    as_wctx_fail(c, AS_ECORRUPT, "copy: %s/store: the blocks of file %u",
                                 as_index_gen_dir(old), file);
                break;
            }
            /* the old mapping stays until finish (as_writer_copy_file) */
            as_sw_copy(c, &w->sw, old, old->f[IXF_STORE].body + sb.off, sb.clen, sb.ulen,
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
    const sent *e = ctx;
    const sent *x = &e[*(const uint32_t *)a], *y = &e[*(const uint32_t *)b];
    return bytes_cmp(x->s, x->len, y->s, y->len);
}

static void write_docs(as_writer *w, as_wctx *c, const dupres *dr, const uint32_t *crank,
                       uint64_t *mf)
{
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

/* The corpus acronym table: the union of the files' mined tables,
 * serialized into *acro (malloc'd; NULL and 0 when empty). */
static void merge_acro(as_writer *w, as_wctx *c, char **acro, size_t *acrolen)
{
    *acro = NULL;
    *acrolen = 0;
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
        rc = as_acrotab_serialize(t, acro, acrolen);
    as_acrotab_free(t);
    if (rc != AS_OK)
        as_wctx_fail(c, rc, "acronym table: %s", as_strerror(rc));
}

static void write_meta(as_writer *w, uint64_t *mf, const uint32_t *corder, const char *acro,
                       size_t acrolen)
{
    as_wctx *c = &w->c;
    as_wfile f;
    as_gbuf councils = {0};
    for (uint32_t i = 0; i < w->councils.n; i++) {
        const sent *e = &w->councils.e[corder[i]];
        as_gbuf_put(c, &councils, e->s, e->len);
        as_gbuf_put(c, &councils, "", 1);
    }
    mf[MF_COUNCILS_LEN] = councils.n;
    mf[MF_ACRO_LEN] = acrolen;
    as_wfile_open(c, &f, w->dir, "meta", AS_MAGIC_META, 0);
    for (int i = 0; i < MF_COUNT; i++)
        as_wfile_u64(c, &f, mf[i]);
    as_wfile_write(c, &f, councils.p, councils.n);
    as_wfile_write(c, &f, acro, acrolen);
    as_wfile_close(c, &f);
    as_wfile_drop(&f);
    as_gbuf_free(&councils);
}

static void free_writer(as_writer *w)
{
    for (int i = 0; i < IXF_N; i++)
        as_wfile_drop(&w->f[i]);
    for (uint32_t i = 0; i < w->terms.n && w->tw; i++)
        free(w->tw[i].buf);
    free(w->tw);
    as_strtab_free(&w->terms);
    as_strtab_free(&w->councils);
    free(w->lid);
    free(w->lwdf);
    free(w->lstart);
    free(w->lfill);
    free(w->tslot);
    free(w->thash);
    free(w->tid);
    free(w->thead);
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

/* The work of the finish that does not wait for the postings: done on a
 * thread of its own while the writer's thread and two more encode them. */
typedef struct dupjob {
    as_writer *w;
    as_wctx c;
    uint64_t *mf;      /* the docs' and store's fields (the others: the writer's) */
    uint32_t *corder;  /* councils by name (write_meta) */
    char *acro;        /* the corpus acronym table, serialized */
    size_t acrolen;
    int skip;
} dupjob;

/* The duplicate groups (which wait for the store), then the docs file,
 * the store's block index and the acronym table: none needs the postings,
 * and done after them on the writer's thread they were the build's serial
 * end (88M instructions at 1M sentences, with the docs file's writes and
 * two fsyncs), where beside the encoding they share its two cores. */
static void *dups_thread(void *arg)
{
    dupjob *j = arg;
    as_writer *w = j->w;
    as_wctx *c = &j->c;
    as_sw_sync(c, &w->sw); /* the store is complete */
    if (j->skip || c->rc != AS_OK)
        return NULL;
    dupres dr;
    as_wr_dups(w, c, &dr);
    uint32_t *crank = malloc(((size_t)w->councils.n + 1) * sizeof *crank);
    j->corder = malloc(((size_t)w->councils.n + 1) * sizeof *j->corder);
    if (!j->corder || !crank)
        as_wctx_fail(c, AS_ENOMEM, "out of memory");
    if (c->rc == AS_OK) {
        for (uint32_t i = 0; i < w->councils.n; i++)
            j->corder[i] = i;
        qsort_r(j->corder, w->councils.n, sizeof *j->corder, cmp_council, w->councils.e);
        for (uint32_t i = 0; i < w->councils.n; i++)
            crank[j->corder[i]] = i;
        write_docs(w, c, &dr, crank, j->mf);
    }
    free(crank);
    as_wr_dupres_free(&dr);
    /* the store's block index */
    as_wfile *fs = &w->sw.f;
    as_wfile_align(c, fs, 8);
    j->mf[MF_STORE_NBLOCKS] = w->sw.nblocks;
    j->mf[MF_STORE_SINDEX_OFF] = fs->body_len;
    as_wfile_write(c, fs, w->sw.sindex.p, w->sw.sindex.n);
    as_wfile_close(c, fs);
    if (c->rc == AS_OK)
        merge_acro(w, c, &j->acro, &j->acrolen);
    return NULL;
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
    /* The duplicate groups, docs, store index and acronyms (dups_thread)
     * on a thread of their own while this one encodes the postings. */
    dupjob dj;
    memset(&dj, 0, sizeof dj);
    dj.w = w;
    dj.mf = mf;
    dj.skip = c->rc != AS_OK;
    pthread_t th;
    int threaded = pthread_create(&th, NULL, dups_thread, &dj) == 0;
    if (!threaded)
        dups_thread(&dj);
    if (c->rc == AS_OK)
        as_wr_write_postings(w);
    if (threaded)
        pthread_join(th, NULL);
    if (dj.c.rc != AS_OK)
        as_wctx_fail(c, dj.c.rc, "%s", dj.c.msg);
    if (w->swstats) {
        w->swstats->base = w->sw.base != NULL;
        w->swstats->verbatim = w->sw.nverbatim;
        w->swstats->recoded = w->sw.nrecoded;
    }
    if (w->mstats_out)
        *w->mstats_out = w->mstats;
    mf[MF_NTERMS] = w->terms_nterms;
    mf[MF_DICT_NBLOCKS] = w->dict_nblocks;
    mf[MF_DICT_BINDEX_OFF] = w->dict_bindex_off;
    if (c->rc == AS_OK) {
        /* cross-checks for the reader */
        mf[MF_POST_LEN] = w->post_len;
        mf[MF_POS_LEN] = w->pos_len;
        write_meta(w, mf, dj.corder, dj.acro, dj.acrolen);
    }
    free(dj.corder);
    free(dj.acro);
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
