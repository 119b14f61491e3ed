/*
 * encode.c — The final encoding of the index writer: every term's postings
 * from every source (the in-memory buffers or the runs, and the copied
 * files of older generations, remapped) merged in docid order and written
 * as blocks of AS_BLOCK_SIZE (format.h: postings, positions), with its
 * dictionary entry (format.h: terms).  A copied file's block that stays a
 * whole block is taken without decoding its positions (oread below); the
 * bytes are those a fresh build writes either way.  A full build's terms
 * are encoded on two threads to the same bytes, in chunks merged from the
 * runs and memory by the writer's thread (encode_pipe).
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bitpack.h"
#include "varint.h"
#include "wint.h"

/* The bytes a term costs to encode beside its buffer's, for cutting the
 * terms in chunks of about equal work. */
#define ENC_TERM_COST 48

/* The postings encoder of one term (format.h: postings, positions). */
typedef struct tenc {
    uint32_t docs[AS_BLOCK_SIZE], wdfs[AS_BLOCK_SIZE], vals[AS_BLOCK_SIZE];
    uint32_t n;
    uint32_t *pos;             /* block's position values as encoded */
    size_t npos, poscap;
    as_gbuf pdata, pskip, posdata;
    uint32_t nb, prevlast;
    uint32_t bmaxwdf, bmindl[4]; /* per wdf class (format.h: skip) */
    uint64_t df, cf;
    uint32_t maxwdf, mindl;
    const uint32_t *doclen;    /* every doc's length (the writer's column) */
    /* The same capped at a byte (as_bitpack_narrow), or NULL: a full
     * build's blocks read their lengths here (encode_pipe). */
    const uint8_t *dl8;
    const uint8_t *rawpos;     /* the block's posblock as it is (a copied one) */
    size_t rawposlen;
    /* Every posting of the term so far, for its high list (format.h:
     * high): its doc, wdf and cell key (HSTRIDE below), and the postings per key
     * (hist, HSLOTS, made as the blocks are flushed); unused in the high
     * list's own encoder.  Arrays of each rather than (doc, wdf, doclen)
     * triples: a block goes in with two memcpy and a loop of keys, the
     * high list's limits come from hist without a pass over the postings,
     * and its selection reads a key a posting. */
    uint32_t *alld, *allw, *hist;
    uint16_t *allk;
    size_t nall, allcap;
    int keep;                  /* record postings in all */
} tenc;

/* A posting's cell key (as_bitpack_block_keys with cap AS_HIGH_MAXLEN,
 * made with the block's gaps): (wdf - 1) * HSTRIDE + doclen for wdf 1..3
 * and doclen <= AS_HIGH_MAXLEN, (wdf - 1) * HSTRIDE + AS_HIGH_MAXLEN + 1
 * for a longer doc (in no high list but by wdf), HN4 for wdf 4 or more
 * (in every high list). */
#define HSTRIDE (AS_HIGH_MAXLEN + 2)
#define HN4 (3 * HSTRIDE)
#define HSLOTS (HN4 + 1)

/* Makes room in e's high list arrays for n more postings (the first time
 * for the term: its hist cleared): AS_OK, or AS_ENOMEM with c failed. */
static int all_room(as_wctx *c, tenc *e, size_t n)
{
    if (!e->hist && !(e->hist = malloc(HSLOTS * sizeof *e->hist))) {
        as_wctx_fail(c, AS_ENOMEM, "out of memory");
        return AS_ENOMEM;
    }
    if (e->nall == 0)
        memset(e->hist, 0, HSLOTS * sizeof *e->hist);
    if (e->nall + n <= e->allcap)
        return AS_OK;
    size_t nc = e->allcap ? e->allcap : 1024;
    while (nc < e->nall + n)
        nc *= 2;
    uint32_t *d = realloc(e->alld, nc * sizeof *d);
    if (d)
        e->alld = d;
    uint32_t *w = d ? realloc(e->allw, nc * sizeof *w) : NULL;
    if (w)
        e->allw = w;
    uint16_t *k = w ? realloc(e->allk, nc * sizeof *k) : NULL;
    if (!k) {
        as_wctx_fail(c, AS_ENOMEM, "out of memory");
        return AS_ENOMEM;
    }
    e->allk = k;
    e->allcap = nc;
    return AS_OK;
}

static void all_free(tenc *e)
{
    free(e->alld);
    free(e->allw);
    free(e->allk);
    free(e->hist);
}

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
    for (int k = 0; k < 4; k++)
        e->bmindl[k] = UINT32_MAX;
    e->df = e->cf = 0;
    e->maxwdf = 0;
    e->mindl = UINT32_MAX;
    e->nall = 0;
}

static void enc_flush_block(as_wctx *c, tenc *e)
{
    if (e->n == 0 || c->rc != AS_OK)
        return;
    /* The block's doc lengths, looked up here rather than per posting:
     * the column is megabytes and a term's docs are scattered over it, so
     * nearly every lookup misses the cache; 128 independent loads in a row
     * overlap their misses (one per posting, among the decoding, cost a
     * quarter of a one-file incremental run at 1M sentences); with AVX2
     * eight a gather (as_bitpack_gather: 10M of a 100k build's
     * instructions, no slower on this machine's EPYC).  Then one
     * pass (as_bitpack_block: eight postings a step with AVX2; the scalar
     * loop here took ~24 instructions a posting, 55M of a 100k build's
     * 2.93G) makes the doc gaps and the wdfs as packed, their widths and
     * the classes' length minima, whose least is the term's. */
    const uint32_t n = e->n, *docs = e->docs, *wdfs = e->wdfs, *doclen = e->doclen;
    uint32_t wv[AS_BLOCK_SIZE], dl[AS_BLOCK_SIZE];
    if (e->keep && all_room(c, e, n) != AS_OK)
        return;
    if (e->dl8)
        as_bitpack_gather8(e->dl8, doclen, docs, n, dl);
    else
        as_bitpack_gather(doclen, docs, n, dl);
    uint32_t ors[2];
    as_bitpack_block_keys(docs, wdfs, dl, n, e->prevlast, e->vals, wv, ors, e->bmindl,
                          e->keep ? e->allk + e->nall : NULL, AS_HIGH_MAXLEN);
    /* the term's shortest doc: the shortest of the block's classes */
    uint32_t mindl = e->mindl;
    for (int k = 0; k < 4; k++)
        if (e->bmindl[k] < mindl)
            mindl = e->bmindl[k];
    e->mindl = mindl;
    if (e->keep) {
        memcpy(e->alld + e->nall, docs, n * sizeof *docs);
        memcpy(e->allw + e->nall, wdfs, n * sizeof *wdfs);
        const uint16_t *k = e->allk + e->nall;
        uint32_t *hist = e->hist;
        for (uint32_t j = 0; j < n; j++)
            hist[k[j]]++;
        e->nall += n;
    }
    uint32_t orp = as_bitpack_or(e->pos, e->npos);
    unsigned wg = bits_for(ors[0]), ww = bits_for(ors[1]), wp = bits_for(orp);
    if (wp == 0 && e->npos > AS_POS_ZERO_MAX)
        wp = 1;
    const uint8_t *rawpos = e->rawpos;
    e->rawpos = NULL;
    size_t need = 2 + as_bitpack_size(e->n, wg) + as_bitpack_size(e->n, ww);
    uint8_t *q = as_gbuf_room(c, &e->pdata, need);
    if (!q)
        return;
    q[0] = (uint8_t)wg;
    q[1] = (uint8_t)ww;
    q += 2;
    q += as_bitpack_pack(q, e->vals, e->n, wg);
    as_bitpack_pack(q, wv, e->n, ww);
    e->pdata.n += need;
    if (rawpos) { /* the same positions the same encoder packed */
        as_gbuf_put(c, &e->posdata, rawpos, e->rawposlen);
        if (c->rc != AS_OK)
            return;
    } else {
        need = 1 + as_bitpack_size(e->npos, wp);
        q = as_gbuf_room(c, &e->posdata, need);
        if (!q)
            return;
        q[0] = (uint8_t)wp;
        as_bitpack_pack(q + 1, e->pos, e->npos, wp);
        e->posdata.n += need;
    }
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
    for (int k = 0; k < 4; k++)
        put16(s + 14 + 2 * k, (uint16_t)(e->bmindl[k] > 0xffff ? 0xffff : e->bmindl[k]));
    e->pskip.n += AS_SKIP_ENTRY;
    e->nb++;
    e->prevlast = e->docs[e->n - 1];
    e->n = 0;
    e->npos = 0;
    e->bmaxwdf = 0;
    for (int k = 0; k < 4; k++)
        e->bmindl[k] = UINT32_MAX;
}

/* Grows the block's position buffer to hold wdf more: AS_OK, or AS_ENOMEM
 * with the context failed.  Callers test the room first (the hot path). */
static int pos_grow(as_wctx *c, tenc *e, uint32_t wdf)
{
    /* as_wr_grow keeps e->pos (and e->poscap) when it fails */
    uint32_t *p = as_wr_grow(c, e->pos, &e->poscap, e->npos + wdf, sizeof *p);
    if (!p)
        return AS_ENOMEM;
    e->pos = p;
    return AS_OK;
}

/* Adds one posting; pos are the absolute positions (non-decreasing), or
 * with gaps the values a posblock holds (the first position, then gaps);
 * doc is below the writer's ndocs. */
static void enc_add(as_wctx *c, tenc *e, uint32_t doc, uint32_t wdf, const uint32_t *pos,
                    int gaps)
{
    if (c->rc != AS_OK)
        return;
    if (wdf == 0 || (e->df > 0 && doc <= (e->n ? e->docs[e->n - 1] : e->prevlast))) {
        as_wctx_fail(c, AS_ECORRUPT, "postings out of order while merging");
        return;
    }
    if (e->npos + wdf > e->poscap && pos_grow(c, e, wdf) != AS_OK)
        return;
    if (gaps) {
        if (wdf == 1) /* most postings: no call */
            e->pos[e->npos] = pos[0];
        else
            memcpy(e->pos + e->npos, pos, (size_t)wdf * sizeof *pos);
        e->npos += wdf;
    } else {
        uint32_t prev = 0;
        for (uint32_t k = 0; k < wdf; k++) {
            if (pos[k] < prev) {
                as_wctx_fail(c, AS_ECORRUPT, "positions out of order while merging");
                return;
            }
            e->pos[e->npos++] = pos[k] - prev;
            prev = pos[k];
        }
    }
    e->docs[e->n] = doc;
    e->wdfs[e->n] = wdf;
    e->n++;
    e->df++;
    e->cf += wdf;
    if (wdf > e->bmaxwdf)
        e->bmaxwdf = wdf;
    if (wdf > e->maxwdf)
        e->maxwdf = wdf;
    if (e->n == AS_BLOCK_SIZE)
        enc_flush_block(c, e);
}

/* A term's dictionary values (format.h: terms) but its offsets. */
typedef struct dstat {
    uint64_t df, cf, post_len, pos_len;
    uint32_t maxwdf, mindl;
    uint32_t id;               /* the term (a part's entries, below) */
} dstat;

static void dict_add(as_wctx *c, as_writer *w, dwriter *dw, const char *term, size_t tlen,
                     const dstat *e, uint64_t post_off, uint64_t pos_off)
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
    q += varint_put(q, e->post_len);
    q += varint_put(q, e->pos_len);
    as_wfile_write(c, f, b, (size_t)(q - b));
    memcpy(dw->prev, term, tlen);
    dw->prevlen = tlen;
    dw->nterms++;
    if (++dw->nin == AS_DICT_BLOCK)
        dw->nin = 0;
}

/* The cells (wdf 1..3, doclen 0..AS_HIGH_MAXLEN) of the impact order: by
 * BM25 with the default parameters (AS_HIGH_K1, AS_HIGH_B, min_normlen 0.5)
 * falling, ties by doclen rising, so that each wdf's cells come in length
 * order.  Made once per generation: it depends on the mean length only. */
typedef struct hcell { double s; uint32_t w, dl; } hcell;

static int hcell_cmp(const void *a, const void *b)
{
    const hcell *x = a, *y = b;
    if (x->s != y->s)
        return x->s > y->s ? -1 : 1;
    if (x->dl != y->dl)
        return x->dl < y->dl ? -1 : 1;
    return x->w < y->w ? -1 : x->w > y->w;
}

static hcell *high_order(as_wctx *c, uint64_t total_len, uint32_t ndocs)
{
    hcell *o = malloc(3 * (AS_HIGH_MAXLEN + 1) * sizeof *o);
    if (!o) {
        as_wctx_fail(c, AS_ENOMEM, "out of memory");
        return NULL;
    }
    double f = ndocs && total_len ? (double)ndocs / (double)total_len : 1;
    size_t n = 0;
    for (uint32_t w = 1; w <= 3; w++)
        for (uint32_t dl = 0; dl <= AS_HIGH_MAXLEN; dl++) {
            double nl = dl * f;
            if (nl < 0.5)
                nl = 0.5;
            o[n].s = w / (AS_HIGH_K1 * (nl * AS_HIGH_B + (1 - AS_HIGH_B)) + w);
            o[n].w = w;
            o[n].dl = dl;
            n++;
        }
    qsort(o, n, sizeof *o, hcell_cmp);
    return o;
}

/* The length limits L[0..2] of a term's high list (format.h: high): the
 * cells of the impact order taken while the postings in them (and those of
 * wdf >= 4) stay within df / AS_HIGH_FRAC; L[w - 1] is the longest length
 * taken for wdf w (0: none). */
static void high_limits(const tenc *e, const hcell *order, uint32_t l[3])
{
    const uint32_t *hist = e->hist;
    uint64_t n4 = hist[HN4];
    uint64_t budget = e->df / AS_HIGH_FRAC, sum = n4;
    l[0] = l[1] = l[2] = 0;
    for (size_t k = 0; k < 3 * (AS_HIGH_MAXLEN + 1); k++) {
        const hcell *h = &order[k];
        sum += hist[(h->w - 1) * HSTRIDE + h->dl];
        if (sum > budget)
            break;
        if (h->dl > l[h->w - 1])
            l[h->w - 1] = h->dl;
    }
    /* Each Lw then runs on over lengths that hold no posting of wdf w (up to
     * AS_HIGH_MAXLEN): the list is the same, but the bound on what it
     * leaves out is taken past them.  Without this a word seen at most
     * twice per sentence would keep L3 near 60 on a corpus whose longest
     * sentence has 47 words, and the engine would have to allow a left-out
     * wdf of 3 at length 61 (engine_iter.c: the joint bound of an AND). */
    for (int w = 0; w < 3; w++) {
        const uint32_t *hw = hist + w * HSTRIDE;
        uint32_t dl = l[w] + 1;
        /* fours of empty lengths at a time (most of the way is empty) */
        while (dl + 4 <= AS_HIGH_MAXLEN + 1 && (hw[dl] | hw[dl + 1] | hw[dl + 2] | hw[dl + 3]) == 0)
            dl += 4;
        while (dl <= AS_HIGH_MAXLEN && hw[dl] == 0)
            dl++;
        l[w] = dl - 1;
    }
}

/* enc_high's block of n postings (cf their wdfs' sum, bmax the largest)
 * into h's counts, before the block is flushed. */
static inline void high_counts(tenc *h, uint32_t n, uint64_t cf, uint32_t bmax)
{
    h->n = n;
    h->df += n;
    h->cf += cf;
    h->bmaxwdf = bmax;
    if (bmax > h->maxwdf)
        h->maxwdf = bmax;
}

/* Encodes the term's high list into h (format.h: high): the postings of
 * wdf >= 4 or doclen <= l[wdf - 1], in blocks like the term's own, without
 * positions (the skip entries' pos_end is 0). */
static void enc_high(as_wctx *c, const tenc *e, tenc *h, const uint32_t l[3])
{
    enc_reset(h);
    h->doclen = e->doclen;
    h->dl8 = e->dl8;
    /* a block's counts in locals (a store into docs may alias h's fields),
     * put in h before it is flushed */
    const uint32_t *alld = e->alld, *allw = e->allw;
    const uint16_t *allk = e->allk;
    /* the keys in the list: each wdf's lengths up to its limit, and HN4;
     * selected a slice at a time (as_bitpack_select: sixteen keys a step
     * with AVX2, where a byte table's test took ~6 instructions a key) */
    const uint16_t lo[4] = {0, HSTRIDE, 2 * HSTRIDE, HN4};
    const uint16_t hi[4] = {(uint16_t)l[0], (uint16_t)(HSTRIDE + l[1]),
                            (uint16_t)(2 * HSTRIDE + l[2]), HN4};
    uint32_t n = 0, bmax = 0, sel[1024];
    uint64_t cf = 0;
    for (size_t j0 = 0, nall = e->nall; j0 < nall; j0 += 1024) {
        size_t ns = as_bitpack_select(allk + j0, nall - j0 < 1024 ? nall - j0 : 1024, lo, hi, sel);
        for (size_t i = 0; i < ns; i++) {
            size_t j = j0 + sel[i];
            uint32_t wdf = allw[j];
            h->docs[n] = alld[j];
            h->wdfs[n] = wdf;
            n++;
            cf += wdf;
            if (wdf > bmax)
                bmax = wdf;
            if (n == AS_BLOCK_SIZE) {
                high_counts(h, n, cf, bmax);
                enc_flush_block(c, h);
                if (c->rc != AS_OK)
                    return;
                n = bmax = 0;
                cf = 0;
            }
        }
    }
    high_counts(h, n, cf, bmax);
    enc_flush_block(c, h);
    for (size_t o = 8; o + 4 <= h->pskip.n; o += AS_SKIP_ENTRY)
        put32(h->pskip.p + o, 0);
}

/* Where encoded terms go: the files themselves (fp set), or buffers of a
 * contiguous range of terms encoded on a thread of its own, with their
 * dictionary values, to be appended to the files after the terms before
 * them (part_write: the same bytes as if written in order). */
typedef struct osink {
    as_wfile *fp, *fq;         /* postings, positions */
    as_gbuf post, pos;
    dstat *d;
    size_t nd, dcap;
} osink;

static uint64_t sink_len(const osink *k, int pos)
{
    if (k->fp)
        return pos ? k->fq->body_len : k->fp->body_len;
    return pos ? k->pos.n : k->post.n;
}

static void sink_put(as_wctx *c, osink *k, int pos, const void *p, size_t n)
{
    if (k->fp)
        as_wfile_write(c, pos ? k->fq : k->fp, p, n);
    else
        as_gbuf_put(c, pos ? &k->pos : &k->post, p, n);
}

/* Writes the encoded term out: postings (and its high list), positions,
 * dictionary entry (or its values, for a part). */
static void enc_finish_term(as_wctx *c, as_writer *w, dwriter *dw, osink *k, tenc *e, tenc *h,
                            const hcell *order, const char *term, size_t tlen, uint32_t id)
{
    enc_flush_block(c, e);
    if (c->rc != AS_OK || e->df == 0)
        return;
    uint64_t post_off = sink_len(k, 0), pos_off = sink_len(k, 1);
    if (e->nb > 1)
        sink_put(c, k, 0, e->pskip.p, e->pskip.n);
    sink_put(c, k, 0, e->pdata.p, e->pdata.n);
    if (e->nb > 1 && e->df >= w->high_min_df) {
        uint32_t l[3];
        high_limits(e, order, l);
        enc_high(c, e, h, l);
        if (c->rc != AS_OK)
            return;
        uint8_t b[40], *q = b;
        q += varint_put(q, h->df);
        for (int j = 0; j < 3; j++)
            q += varint_put(q, l[j]);
        sink_put(c, k, 0, b, (size_t)(q - b));
        if (h->nb > 1)
            sink_put(c, k, 0, h->pskip.p, h->pskip.n);
        sink_put(c, k, 0, h->pdata.p, h->pdata.n);
    }
    sink_put(c, k, 1, e->posdata.p, e->posdata.n);
    if (c->rc != AS_OK)
        return;
    dstat st = {e->df, e->cf, sink_len(k, 0) - post_off, sink_len(k, 1) - pos_off,
                e->maxwdf, e->mindl, id};
    if (k->fp) {
        dict_add(c, w, dw, term, tlen, &st, post_off, pos_off);
    } else if (GROW(c, k->d, k->dcap, k->nd + 1)) {
        k->d[k->nd++] = st;
    }
}

/* A copied term's postings, read block by block from the old generation
 * (format.h: postings, positions) with the checks a cursor makes.  Why
 * not as_pcur: a whole block of the old term that lies inside one copied
 * file and becomes a whole block of the new one (the other sources have
 * nothing among its docs) is taken as it is: its docs shifted, its
 * posblock's bytes copied, nothing of its positions decoded. */
typedef struct oread {
    const as_index *ix;
    uint64_t skip_at, data_at, data_len, pos_at, pos_len;
    uint32_t df, nb, next;     /* next: the block to load next */
    uint32_t n, i;             /* the loaded block's docs, the current one */
    uint32_t docs[AS_BLOCK_SIZE], wdfs[AS_BLOCK_SIZE], pstart[AS_BLOCK_SIZE];
    const uint8_t *posblk;     /* its posblock */
    size_t poslen;
    uint32_t ptotal;           /* its number of positions */
    unsigned pw;
    uint32_t *vals;            /* its position values, decoded when needed */
    size_t valcap;
    int valsok;
} oread;

static int or_bad(const oread *o, int f, const char *why)
{
    return as_ix_corrupt(o->ix, f, "%s at %llu: %s", f == IXF_POSTINGS ? "postings" : "positions",
                         (unsigned long long)(f == IXF_POSTINGS ? o->skip_at : o->pos_at), why);
}

static const uint8_t *or_skip(const oread *o, uint32_t b)
{
    if (ix_need(o->ix, IXF_POSTINGS, o->skip_at + (uint64_t)AS_SKIP_ENTRY * b, AS_SKIP_ENTRY) !=
        AS_OK)
        return NULL;
    return o->ix->f[IXF_POSTINGS].body + o->skip_at + (uint64_t)AS_SKIP_ENTRY * b;
}

static int or_init(oread *o, const as_index *ix, const as_term *t)
{
    o->ix = ix;
    o->df = t->df;
    o->nb = (t->df + AS_BLOCK_SIZE - 1) / AS_BLOCK_SIZE;
    o->next = o->n = o->i = 0;
    o->skip_at = t->post_off;
    o->pos_at = t->pos_off;
    uint64_t plen = ix->f[IXF_POSTINGS].len, qlen = ix->f[IXF_POSITIONS].len;
    uint64_t skip = o->nb > 1 ? (uint64_t)AS_SKIP_ENTRY * o->nb : 0;
    if (t->df > ix->ndocs || t->post_off > plen || t->post_len > plen - t->post_off ||
        t->pos_off > qlen || t->pos_len > qlen - t->pos_off || skip > t->post_len)
        return or_bad(o, IXF_POSTINGS, "term entry out of range");
    o->data_at = t->post_off + skip;
    o->data_len = t->post_len - skip;
    o->pos_len = t->pos_len;
    return AS_OK;
}

/* Decodes block b's docs and wdfs and finds its posblock. */
static int or_load(oread *o, uint32_t b)
{
    const as_index *ix = o->ix;
    uint32_t n = b + 1 < o->nb ? AS_BLOCK_SIZE : o->df - AS_BLOCK_SIZE * (o->nb - 1);
    uint64_t s = 0, e = o->data_len, ps = 0, pe = o->pos_len;
    uint32_t prev1 = 0; /* the previous block's last doc + 1 */
    const uint8_t *se = NULL;
    if (o->nb > 1) {
        se = or_skip(o, b);
        if (!se)
            return AS_ECORRUPT;
        e = le32(se + 4);
        pe = le32(se + 8);
        if (b > 0) {
            const uint8_t *pp = or_skip(o, b - 1);
            if (!pp)
                return AS_ECORRUPT;
            if (le32(pp) >= UINT32_MAX - 1)
                return or_bad(o, IXF_POSTINGS, "bad skip entry");
            s = le32(pp + 4);
            ps = le32(pp + 8);
            prev1 = le32(pp) + 1;
        }
    }
    if (s > e || e > o->data_len || e - s < 2 || ps > pe || pe > o->pos_len || pe - ps < 1)
        return or_bad(o, IXF_POSTINGS, "bad block bounds");
    if (ix_need(ix, IXF_POSTINGS, o->data_at + s, e - s) != AS_OK ||
        ix_need(ix, IXF_POSITIONS, o->pos_at + ps, pe - ps) != AS_OK)
        return AS_ECORRUPT;
    const uint8_t *p = ix->f[IXF_POSTINGS].body + o->data_at + s;
    unsigned wg = p[0], ww = p[1];
    if (wg > 32 || ww > 32)
        return or_bad(o, IXF_POSTINGS, "bad bit width");
    size_t gb = as_bitpack_size(n, wg), wb = as_bitpack_size(n, ww);
    if (2 + gb + wb != e - s)
        return or_bad(o, IXF_POSTINGS, "block size does not match");
    as_bitpack_unpack(p + 2, o->docs, n, wg);
    as_bitpack_unpack(p + 2 + gb, o->wdfs, n, ww);
    uint64_t acc = prev1, total = 0;
    for (uint32_t j = 0; j < n; j++) {
        acc += o->docs[j];
        o->docs[j] = (uint32_t)acc;
        acc++;
        if (o->wdfs[j] == UINT32_MAX)
            return or_bad(o, IXF_POSTINGS, "bad wdf");
        o->wdfs[j]++;
        o->pstart[j] = (uint32_t)total;
        total += o->wdfs[j];
    }
    if (acc - 1 >= ix->ndocs || (se && o->docs[n - 1] != le32(se)))
        return or_bad(o, IXF_POSTINGS, "docid out of range");
    const uint8_t *q = ix->f[IXF_POSITIONS].body + o->pos_at + ps;
    unsigned w = q[0];
    if (w > 32 || total > (pe - ps) * 8 + AS_POS_ZERO_MAX ||
        (w == 0 && total > AS_POS_ZERO_MAX) || 1 + as_bitpack_size(total, w) != pe - ps)
        return or_bad(o, IXF_POSITIONS, "block size does not match");
    o->posblk = q;
    o->poslen = (size_t)(pe - ps);
    o->ptotal = (uint32_t)total;
    o->pw = w;
    o->n = n;
    o->i = 0;
    o->valsok = 0;
    return AS_OK;
}

/* The loaded block's position values. */
static int or_vals(as_wctx *c, oread *o)
{
    if (o->ptotal + (size_t)1 > o->valcap) {
        uint32_t *v = realloc(o->vals, (o->ptotal + (size_t)1) * sizeof *v);
        if (!v) {
            as_wctx_fail(c, AS_ENOMEM, "out of memory");
            return AS_ENOMEM;
        }
        o->vals = v;
        o->valcap = o->ptotal + (size_t)1;
    }
    as_bitpack_unpack(o->posblk + 1, o->vals, o->ptotal, o->pw);
    o->valsok = 1;
    return AS_OK;
}

/* A stream of one term's postings from one source, in docid order. */
typedef struct pstream {
    int old;                   /* 0: varint buffer, 1: an old generation's */
    const uint8_t *p, *end;
    uint32_t prev1;
    oread o;
    const wcopy *segs;
    size_t nseg, seg;
    uint32_t doc, wdf;
    const uint32_t *pos;       /* as a posblock holds them: the first, then gaps */
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
        /* Kept as the buffer has them, the first then gaps: what a posblock
         * holds (making them absolute for the encoder to take the gaps
         * again was a tenth of the final merge). */
        uint32_t prev = 0;
        for (uint32_t k = 0; k < wdf; k++) {
            uint32_t d;
            if (varint_get32(&s->p, s->end, &d) != 0 || d > UINT32_MAX - prev) {
                as_wctx_fail(c, AS_EIO, "run file damaged (positions)");
                return;
            }
            prev += d;
            s->posbuf[k] = d;
        }
        s->prev1 += (uint32_t)gap;
        s->doc = s->prev1 - 1;
        s->wdf = wdf;
        s->pos = s->posbuf;
        return;
    }
    /* old: the postings inside the copied files, remapped */
    oread *o = &s->o;
    for (;;) {
        const wcopy *g = &s->segs[s->seg];
        if (o->i >= o->n) {
            if (o->next >= o->nb) {
                s->done = 1;
                return;
            }
            /* a block wholly before the file: its skip entry suffices */
            if (o->nb > 1 && o->next + 1 < o->nb) {
                const uint8_t *se = or_skip(o, o->next);
                if (!se)
                    break;
                if (le32(se) < g->old_first) {
                    o->next++;
                    continue;
                }
            }
            if (or_load(o, o->next) != AS_OK)
                break;
            o->next++;
        }
        uint32_t d = o->docs[o->i];
        if (d >= g->old_first && d - g->old_first >= g->n) {
            if (++s->seg == s->nseg) {
                s->done = 1;
                return;
            }
            continue;
        }
        if (d < g->old_first) {
            o->i++;
            continue;
        }
        if (!o->valsok && or_vals(c, o) != AS_OK)
            return;
        s->doc = d - g->old_first + g->new_first;
        s->wdf = o->wdfs[o->i];
        s->pos = o->vals + o->pstart[o->i];
        return;
    }
    as_wctx_fail(c, AS_ECORRUPT, "copy: %s", as_index_errmsg(o->ix));
}

/* The length (3 or 4) of the posting at p when it is a short one: a doc
 * gap g of one or two bytes that leaves the doc below ndocs (*doc), wdf 1
 * and one position under 128 (*pos); else 0.  room is ndocs - prev1 (the
 * docs left after the previous one: prev1 <= ndocs), so that one unsigned
 * test g - 1 < room rejects both a gap of 0 and a doc past the end.  The
 * four bytes must be there (end - p >= 4): a term's last posting of three
 * bytes goes the general way, one posting a term. */
static inline unsigned short_posting(const uint8_t *p, uint32_t room, uint32_t *g1,
                                     uint32_t *pos)
{
    uint32_t x = le32(p), g;
    unsigned k;
    if ((x & 0x80ff80u) == 0x100u) { /* g < 0x80, 1, position < 0x80 */
        g = x & 0x7f;
        *pos = x >> 16 & 0x7f;
        k = 3;
    } else if ((x & 0x80ff8080u) == 0x10080u) { /* g in two bytes, 1, position */
        g = (x & 0x7f) | (x >> 1 & 0x3f80);
        *pos = x >> 24;
        k = 4;
    } else {
        return 0;
    }
    if (g - 1 >= room)
        return 0;
    *g1 = g - 1;
    return k;
}

/* 1 when the 16 bytes at p look like five 3-byte short postings (no top
 * bit in bytes 0..14, wdf bytes 1, 4, 7, 10, 13 equal to 1): the test of
 * as_bitpack_short3's first group but the gaps' 0 and the doc bound, in
 * ~10 instructions inline, where a call that takes nothing costs ~50. */
static inline int short3_likely(const uint8_t *p)
{
    uint64_t a = le64(p), b = le64(p + 8);
    return ((a & 0x8080808080808080ull) | (b & 0x0080808080808080ull)) == 0 &&
           (a & 0xff0000ff0000ff00ull) == 0x0100000100000100ull &&
           (b & 0x0000ff0000ff0000ull) == 0x0000010000010000ull;
}

/* A term whose postings are all new docs from one source (every term of a
 * full build): its buffer decoded straight into the encoder, with the
 * checks ps_next and enc_add make, no posting copied between them (the
 * general merge's steps were half of the final encoding).  s is as
 * ps_next left it: its first posting current. */
static void enc_one_new(as_wctx *c, tenc *e, pstream *s, uint32_t ndocs)
{
    if (s->done || c->rc != AS_OK)
        return;
    if (s->doc >= ndocs) {
        as_wctx_fail(c, AS_ECORRUPT, "posting for doc %u past the end", s->doc);
        return;
    }
    enc_add(c, e, s->doc, s->wdf, s->pos, 1);
    const uint8_t *p = s->p, *end = s->end;
    uint32_t prev1 = s->prev1;
    while (p < end && c->rc == AS_OK) {
        /* Most postings: a gap of one or two bytes, wdf 1 and a position
         * under 128; a run of them taken with the same checks, the counts
         * in locals (a store into pos may alias e's fields), none of
         * varint_get's loops.  Anything else (a doc past the end too) goes
         * the general way below, to its error. */
        uint32_t g1, sp;
        unsigned k = end - p >= 4 ? short_posting(p, ndocs - prev1, &g1, &sp) : 0;
        if (k) {
            if (e->npos + AS_BLOCK_SIZE > e->poscap && pos_grow(c, e, AS_BLOCK_SIZE) != AS_OK)
                return;
            uint32_t n = e->n, run = 0, *pos = e->pos + e->npos;
            /* After each short posting, fives of 3-byte ones at once
             * (as_bitpack_short3: 85% of a 100k build's postings are 3
             * bytes); where it takes none, 8 one by one before it is
             * tried again (a rare term's gaps take two bytes). */
#define WAIT_SHORT3 8
            unsigned wait = 0;
            do {
                uint32_t doc = prev1 + g1;
                e->docs[n] = doc;
                e->wdfs[n] = 1;
                pos[run] = sp;
                n++;
                run++;
                p += k;
                prev1 = doc + 1;
                if (wait > 0) {
                    wait--;
                } else if (end - p < 16 || !short3_likely(p)) {
                    wait = WAIT_SHORT3;
                } else {
                    size_t m = as_bitpack_short3(p, (size_t)(end - p), prev1, ndocs, e->docs + n,
                                                 e->wdfs + n, pos + run, AS_BLOCK_SIZE - n);
                    if (m) {
                        n += (uint32_t)m;
                        run += (uint32_t)m;
                        p += 3 * m;
                        prev1 = e->docs[n - 1] + 1;
                    } else {
                        wait = WAIT_SHORT3;
                    }
                }
            } while (n < AS_BLOCK_SIZE && end - p >= 4 &&
                     (k = short_posting(p, ndocs - prev1, &g1, &sp)) != 0);
            e->n = n;
            e->npos += run;
            e->df += run;
            e->cf += run;
            if (e->bmaxwdf == 0)
                e->bmaxwdf = 1;
            if (e->maxwdf == 0)
                e->maxwdf = 1;
            if (e->n == AS_BLOCK_SIZE)
                enc_flush_block(c, e);
            continue;
        }
        uint64_t gap;
        uint32_t wdf;
        if (varint_get(&p, end, &gap) != 0 || gap == 0 || varint_get32(&p, end, &wdf) != 0 ||
            wdf == 0 || gap + prev1 > UINT32_MAX) {
            as_wctx_fail(c, AS_EIO, "run file damaged (postings)");
            return;
        }
        uint32_t doc = prev1 + (uint32_t)gap - 1;
        if (doc >= ndocs) {
            as_wctx_fail(c, AS_ECORRUPT, "posting for doc %u past the end", doc);
            return;
        }
        prev1 = doc + 1;
        if (e->npos + wdf > e->poscap && pos_grow(c, e, wdf) != AS_OK)
            return;
        uint32_t prev = 0;
        for (uint32_t k = 0; k < wdf; k++) {
            uint32_t d;
            if (varint_get32(&p, end, &d) != 0 || d > UINT32_MAX - prev) {
                as_wctx_fail(c, AS_EIO, "run file damaged (positions)");
                return;
            }
            prev += d;
            e->pos[e->npos + k] = d;
        }
        e->npos += wdf;
        e->docs[e->n] = doc;
        e->wdfs[e->n] = wdf;
        e->n++;
        e->df++;
        e->cf += wdf;
        if (wdf > e->bmaxwdf)
            e->bmaxwdf = wdf;
        if (wdf > e->maxwdf)
            e->maxwdf = wdf;
        if (e->n == AS_BLOCK_SIZE)
            enc_flush_block(c, e);
    }
    s->done = 1;
}

/* Moves a stream past its current posting. */
static void ps_advance(as_wctx *c, pstream *s)
{
    if (s->old)
        s->o.i++;
    ps_next(c, s);
}

/* Takes the current block of old stream s as the encoder's next block when
 * it becomes one whole: the encoder is between blocks, s is at the block's
 * first doc, the block lies inside s's current file, no other stream has a
 * doc up to its last, and it is full (or the term's last, the others done).
 * Returns 1 when taken. */
static int take_block(as_wctx *c, tenc *e, pstream *s, const pstream *ps, size_t np)
{
    oread *o = &s->o;
    const wcopy *g = &s->segs[s->seg];
    if (e->n != 0 || o->i != 0 || o->n == 0 || o->docs[o->n - 1] - g->old_first >= g->n)
        return 0;
    uint32_t mlast = o->docs[o->n - 1] - g->old_first + g->new_first;
    int others = 0;
    for (size_t k = 0; k < np; k++)
        if (&ps[k] != s && !ps[k].done) {
            if (ps[k].doc <= mlast)
                return 0;
            others = 1;
        }
    if (o->n != AS_BLOCK_SIZE && (o->next < o->nb || others))
        return 0;
    if (e->df > 0 && s->doc <= e->prevlast) {
        as_wctx_fail(c, AS_ECORRUPT, "postings out of order while merging");
        return 1;
    }
    uint64_t cf = 0;
    for (uint32_t j = 0; j < o->n; j++) {
        uint32_t wdf = o->wdfs[j];
        e->docs[j] = o->docs[j] - g->old_first + g->new_first;
        e->wdfs[j] = wdf;
        cf += wdf;
        if (wdf > e->bmaxwdf)
            e->bmaxwdf = wdf;
    }
    if (e->bmaxwdf > e->maxwdf)
        e->maxwdf = e->bmaxwdf;
    e->n = o->n;
    e->df += o->n;
    e->cf += cf;
    e->rawpos = o->posblk;
    e->rawposlen = o->poslen;
    enc_flush_block(c, e);
    o->i = o->n;
    return 1;
}

/* A term of a chunk: its bytes at toff in the chunk's terms, its postings
 * (a buffer as runs.c describes, every doc new) at p, or at off in the
 * chunk's data when copied there. */
typedef struct pterm {
    size_t toff, off, len;
    uint32_t tlen;
    const uint8_t *p;
} pterm;

typedef struct pchunk {
    as_gbuf terms, data;
    pterm *t;
    size_t nt, tcap, cost;
    osink k;
    as_wctx c;
    int state;                 /* 0 free, 1 filling, 2 queued, 3 encoding, 4 encoded */
} pchunk;

/* Appends a chunk (encoded after the terms already written): its postings
 * and positions as they are, its dictionary entries with their offsets
 * made absolute. */
static void part_write(as_wctx *c, as_writer *w, dwriter *dw, const osink *k,
                       const pchunk *ch)
{
    as_wfile *fp = &w->f[IXF_POSTINGS], *fq = &w->f[IXF_POSITIONS];
    uint64_t post_off = fp->body_len, pos_off = fq->body_len;
    as_wfile_write(c, fp, k->post.p, k->post.n);
    as_wfile_write(c, fq, k->pos.p, k->pos.n);
    for (size_t i = 0; i < k->nd && c->rc == AS_OK; i++) {
        const dstat *d = &k->d[i];
        const pterm *t = &ch->t[d->id];
        dict_add(c, w, dw, (const char *)ch->terms.p + t->toff, t->tlen, d, post_off, pos_off);
        post_off += d->post_len;
        pos_off += d->pos_len;
    }
}

/* ---- The pipeline: a full build's terms from runs and memory ------------
 *
 * A full build that spilled had its final merge on one thread (a fifth of
 * a 5M-sentence build, the other core idle); one that did not was cut in
 * two halves of the dictionary, the later encoded into one buffer grown by
 * doubling (at 5M with --mem 1024 hundreds of MB copied on the way; 6.0-6.7
 * s CPU for the finish, 5.3 s so).  Here the writer's thread merges the
 * sources term by term into chunks of about PIPE_CHUNK bytes of postings
 * (a term's parts concatenated, each later part's first gap re-based as
 * merge_runs does; a term only in memory is not copied), two threads
 * encode the chunks into buffers (osink) reused from chunk to chunk, and
 * the writer's thread appends them in order (part_write) while the next
 * are encoded: the bytes are those of the merge below, term for term.  At
 * most PIPE_SLOTS chunks are in flight, which bounds the memory (the runs
 * are read, never loaded whole), and the last postings in memory are
 * merged from there, not spilled first. */
#define PIPE_CHUNK ((size_t)4 << 20)
#define PIPE_SLOTS 6
#define PIPE_THREADS 2

/* One encoding thread's scratch. */
typedef struct encws {
    tenc *e, *h;
    pstream *p;
} encws;

typedef struct epipe {
    as_writer *w;
    const hcell *order;
    const uint8_t *dl8;        /* the doc lengths capped at a byte */
    pthread_mutex_t mu;
    pthread_cond_t cv;
    pchunk slot[PIPE_SLOTS];
    uint64_t queued, taken;    /* chunk sequence numbers */
    int closing;
} epipe;

static int encws_init(as_wctx *c, encws *x, const as_writer *w, const uint8_t *dl8)
{
    x->e = calloc(1, sizeof *x->e);
    x->h = calloc(1, sizeof *x->h);
    x->p = calloc(1, sizeof *x->p);
    if (!x->e || !x->h || !x->p) {
        as_wctx_fail(c, AS_ENOMEM, "out of memory");
        return AS_ENOMEM;
    }
    x->e->doclen = x->h->doclen = w->doclen;
    x->e->dl8 = x->h->dl8 = dl8;
    x->e->keep = 1;
    return AS_OK;
}

static void encws_free(encws *x)
{
    if (x->p)
        free(x->p->posbuf);
    free(x->p);
    if (x->e) {
        free(x->e->pos);
        all_free(x->e);
        as_gbuf_free(&x->e->pdata);
        as_gbuf_free(&x->e->pskip);
        as_gbuf_free(&x->e->posdata);
    }
    if (x->h) {
        free(x->h->pos);
        as_gbuf_free(&x->h->pdata);
        as_gbuf_free(&x->h->pskip);
        as_gbuf_free(&x->h->posdata);
    }
    free(x->e);
    free(x->h);
    memset(x, 0, sizeof *x);
}

/* Encodes one term whose postings (every doc new) are buf[0..len) into k;
 * id goes to its dstat. */
static void enc_term_buf(as_wctx *c, as_writer *w, encws *x, const hcell *order, osink *k,
                         dwriter *dw, const uint8_t *buf, size_t len, const char *term,
                         size_t tlen, uint32_t id)
{
    pstream *p = x->p;
    p->p = buf;
    p->end = buf + len;
    p->prev1 = 0;
    p->done = 0;
    ps_next(c, p);
    enc_reset(x->e);
    /* a posting takes 3 bytes or more: a shorter buffer cannot reach the
     * df of a high list, whose triples are then not kept */
    x->e->keep = len / 3 >= w->high_min_df;
    enc_one_new(c, x->e, p, w->ndocs);
    enc_finish_term(c, w, dw, k, x->e, x->h, order, term, tlen, id);
}

static void encode_chunk(as_writer *w, encws *x, const hcell *order, pchunk *ch)
{
    for (size_t i = 0; i < ch->nt && ch->c.rc == AS_OK; i++) {
        const pterm *t = &ch->t[i];
        enc_term_buf(&ch->c, w, x, order, &ch->k, NULL, t->p ? t->p : ch->data.p + t->off,
                     t->len, (const char *)ch->terms.p + t->toff, t->tlen, (uint32_t)i);
    }
}

static void *pipe_thread(void *arg)
{
    epipe *pp = arg;
    encws x;
    memset(&x, 0, sizeof x);
    as_wctx xc = {0};
    encws_init(&xc, &x, pp->w, pp->dl8);
    pthread_mutex_lock(&pp->mu);
    for (;;) {
        while (!pp->closing && pp->taken == pp->queued)
            pthread_cond_wait(&pp->cv, &pp->mu);
        if (pp->taken == pp->queued)
            break;
        pchunk *ch = &pp->slot[pp->taken++ % PIPE_SLOTS];
        ch->state = 3;
        pthread_mutex_unlock(&pp->mu);
        if (xc.rc != AS_OK)
            as_wctx_fail(&ch->c, xc.rc, "%s", xc.msg);
        else
            encode_chunk(pp->w, &x, pp->order, ch);
        pthread_mutex_lock(&pp->mu);
        ch->state = 4;
        pthread_cond_broadcast(&pp->cv);
    }
    pthread_mutex_unlock(&pp->mu);
    encws_free(&x);
    return NULL;
}

static void chunk_reset(pchunk *ch)
{
    ch->terms.n = ch->data.n = 0;
    ch->nt = ch->cost = 0;
    ch->k.post.n = ch->k.pos.n = 0;
    ch->k.nd = 0;
    ch->c.rc = AS_OK;
    ch->c.msg[0] = '\0';
}

static void chunk_free(pchunk *ch)
{
    as_gbuf_free(&ch->terms);
    as_gbuf_free(&ch->data);
    free(ch->t);
    as_gbuf_free(&ch->k.post);
    as_gbuf_free(&ch->k.pos);
    free(ch->k.d);
}

/* Appends the current term of the sources at parts[0..np) (in doc order)
 * to ch. */
static void chunk_add(as_wctx *c, pchunk *ch, tsrc *const *parts, size_t np,
                      const char *term, size_t tlen)
{
    if (!GROW(c, ch->t, ch->tcap, ch->nt + 1))
        return;
    pterm *t = &ch->t[ch->nt];
    t->toff = ch->terms.n;
    t->tlen = (uint32_t)tlen;
    as_gbuf_put(c, &ch->terms, term, tlen);
    if (np == 1 && parts[0]->type == 0) {
        t->p = parts[0]->p; /* the buffer stays until the writer is freed */
        t->off = 0;
        t->len = parts[0]->plen;
    } else {
        t->p = NULL;
        t->off = ch->data.n;
        uint64_t prev1 = 0;
        for (size_t i = 0; i < np && c->rc == AS_OK; i++) {
            const tsrc *s = parts[i];
            const uint8_t *p = s->p, *end = s->p + s->plen;
            uint64_t g0;
            if (varint_get(&p, end, &g0) != 0 || g0 <= prev1) {
                as_wctx_fail(c, AS_EIO, "%s: damaged", s->path ? s->path : "postings");
                return;
            }
            uint8_t *q = as_gbuf_room(c, &ch->data, 10 + (size_t)(end - p));
            if (!q)
                return;
            q += varint_put(q, g0 - prev1);
            memcpy(q, p, (size_t)(end - p));
            ch->data.n = (size_t)(q + (end - p) - ch->data.p);
            prev1 = s->last1;
        }
        t->len = ch->data.n - t->off;
    }
    ch->nt++;
    ch->cost += t->len + ENC_TERM_COST;
}

/* Writes the oldest queued chunk when it is encoded (wait: waits for it);
 * returns 1 when one was written. */
static int pipe_drain(as_wctx *c, epipe *pp, dwriter *dw, uint64_t *written, int wait)
{
    if (*written == pp->queued)
        return 0;
    pchunk *ch = &pp->slot[*written % PIPE_SLOTS];
    pthread_mutex_lock(&pp->mu);
    while (wait && ch->state != 4)
        pthread_cond_wait(&pp->cv, &pp->mu);
    int done = ch->state == 4;
    pthread_mutex_unlock(&pp->mu);
    if (!done)
        return 0;
    if (ch->c.rc != AS_OK)
        as_wctx_fail(c, ch->c.rc, "%s", ch->c.msg);
    part_write(c, pp->w, dw, &ch->k, ch);
    ch->state = 0;
    (*written)++;
    return 1;
}

/* Every term of the sources (runs, then memory; no old generation) through
 * the pipeline above. */
static void encode_pipe(as_writer *w, tsrc *src, size_t nsrc, const hcell *order, dwriter *dw)
{
    as_wctx *c = &w->c;
    epipe *pp = calloc(1, sizeof *pp);
    tsrc **parts = calloc(nsrc ? nsrc : 1, sizeof *parts);
    if (!pp || !parts) {
        free(pp);
        free(parts);
        as_wctx_fail(c, AS_ENOMEM, "out of memory");
        return;
    }
    pp->w = w;
    pp->order = order;
    /* The blocks' doc lengths from a quarter of the column (a 5M build's
     * is 20 MB, read at random: its gathers were 3% of the build's time
     * against 1% at 1M): sentences are far shorter than 255 tokens, the
     * rare longer doc is read from the column.  Without the memory the
     * column is read as it is. */
    uint8_t *dl8 = malloc((size_t)w->ndocs + 3);
    if (dl8)
        as_bitpack_narrow(w->doclen, w->ndocs, dl8);
    pp->dl8 = dl8;
    pthread_mutex_init(&pp->mu, NULL);
    pthread_cond_init(&pp->cv, NULL);
    pthread_t th[PIPE_THREADS];
    int nth = 0;
    while (nth < PIPE_THREADS && pthread_create(&th[nth], NULL, pipe_thread, pp) == 0)
        nth++;
    encws self; /* when no thread could start: the chunks are encoded here */
    memset(&self, 0, sizeof self);
    if (nth == 0)
        encws_init(c, &self, w, pp->dl8);
    uint64_t written = 0;
    pchunk *ch = NULL;
    size_t chunk = w->pipe_chunk ? w->pipe_chunk : PIPE_CHUNK;
    for (size_t i = 0; i < nsrc; i++)
        as_wr_src_next(c, w, &src[i]);
    for (;;) {
        const tsrc *min = c->rc == AS_OK ? as_wr_src_min(src, nsrc) : NULL;
        if (ch && (!min || ch->cost >= chunk)) {
            /* hand it over */
            if (nth == 0 && ch->c.rc == AS_OK)
                encode_chunk(w, &self, order, ch);
            pthread_mutex_lock(&pp->mu);
            ch->state = nth == 0 ? 4 : 2;
            pp->queued++;
            if (nth == 0)
                pp->taken++;
            pthread_cond_broadcast(&pp->cv);
            pthread_mutex_unlock(&pp->mu);
            ch = NULL;
            while (pipe_drain(c, pp, dw, &written, 0))
                ;
        }
        if (!min)
            break;
        if (!ch) {
            if (pp->queued - written == PIPE_SLOTS)
                pipe_drain(c, pp, dw, &written, 1);
            ch = &pp->slot[pp->queued % PIPE_SLOTS];
            chunk_reset(ch);
            ch->state = 1;
        }
        char term[AS_TERM_BYTES];
        size_t tlen = min->tlen, np = 0;
        memcpy(term, min->term, tlen);
        for (size_t i = 0; i < nsrc; i++) {
            tsrc *s = &src[i];
            if (!s->done && bytes_cmp(s->term, s->tlen, term, tlen) == 0)
                parts[np++] = s;
        }
        chunk_add(c, ch, parts, np, term, tlen);
        for (size_t i = 0; i < np; i++)
            as_wr_src_next(c, w, parts[i]);
    }
    pthread_mutex_lock(&pp->mu);
    pp->closing = 1;
    pthread_cond_broadcast(&pp->cv);
    pthread_mutex_unlock(&pp->mu);
    while (pipe_drain(c, pp, dw, &written, 1))
        ;
    for (int i = 0; i < nth; i++)
        pthread_join(th[i], NULL);
    encws_free(&self);
    for (int i = 0; i < PIPE_SLOTS; i++)
        chunk_free(&pp->slot[i]);
    pthread_mutex_destroy(&pp->mu);
    pthread_cond_destroy(&pp->cv);
    free(dl8);
    free(pp);
    free(parts);
}

/* Merges every source term by term and encodes the final files. */
static void merge_and_encode(as_writer *w, tsrc *src, size_t nsrc)
{
    as_wctx *c = &w->c;
    tenc e;
    dwriter dw;
    memset(&e, 0, sizeof e);
    memset(&dw, 0, sizeof dw);
    e.doclen = w->doclen;
    e.keep = 1;
    tenc *h = calloc(1, sizeof *h); /* the high list's encoder */
    if (!h) {
        as_wctx_fail(c, AS_ENOMEM, "out of memory");
        return;
    }
    h->doclen = w->doclen;
    hcell *order = high_order(c, w->total_len, w->ndocs);
    if (!order) {
        free(h);
        return;
    }
    pstream *ps = calloc(nsrc ? nsrc : 1, sizeof *ps);
    if (!ps) {
        free(order);
        free(h);
        as_wctx_fail(c, AS_ENOMEM, "out of memory");
        return;
    }
    osink fk;
    memset(&fk, 0, sizeof fk);
    fk.fp = &w->f[IXF_POSTINGS];
    fk.fq = &w->f[IXF_POSITIONS];
    int allnew = 1; /* no old generation among the sources */
    for (size_t i = 0; i < nsrc; i++)
        allnew &= src[i].type != 2;
    if (allnew) { /* a full build */
        encode_pipe(w, src, nsrc, order, &dw);
        for (size_t i = 0; i < nsrc; i++)
            src[i].done = 1;
    } else
        for (size_t i = 0; i < nsrc; i++)
            as_wr_src_next(c, w, &src[i]);
    while (c->rc == AS_OK) {
        const tsrc *min = as_wr_src_min(src, nsrc);
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
                if (or_init(&p->o, s->it.ix, &s->it.t) != AS_OK)
                    as_wctx_fail(c, AS_ECORRUPT, "copy: %s", as_index_errmsg(s->it.ix));
            } else {
                p->p = s->p;
                p->end = s->p + s->plen;
            }
            ps_next(c, p);
        }
        enc_reset(&e);
        if (np == 1 && !ps[0].old)
            enc_one_new(c, &e, &ps[0], w->ndocs);
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
            if (best->old && take_block(c, &e, best, ps, np)) {
                w->mstats.blocks_taken++;
                ps_next(c, best);
                continue;
            }
            w->mstats.postings_one_by_one += (uint64_t)best->old;
            enc_add(c, &e, best->doc, best->wdf, best->pos, 1);
            ps_advance(c, best);
        }
        enc_finish_term(c, w, &dw, &fk, &e, h, order, term, tlen, 0);
        for (size_t i = 0; i < nsrc; i++) {
            tsrc *s = &src[i];
            if (!s->done && bytes_cmp(s->term, s->tlen, term, tlen) == 0)
                as_wr_src_next(c, w, s);
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
    for (size_t i = 0; i < nsrc; i++) {
        free(ps[i].posbuf);
        free(ps[i].o.vals);
    }
    free(ps);
    free(e.pos);
    all_free(&e);
    free(order);
    free(h->pos);
    as_gbuf_free(&h->pdata);
    as_gbuf_free(&h->pskip);
    as_gbuf_free(&h->posdata);
    free(h);
    as_gbuf_free(&e.pdata);
    as_gbuf_free(&e.pskip);
    as_gbuf_free(&e.posdata);
    as_gbuf_free(&dw.bindex);
}

/* Encodes the postings, positions and dictionary of every term. */
void as_wr_write_postings(as_writer *w)
{
    as_wctx *c = &w->c;
    as_wfile_open(c, &w->f[IXF_TERMS], w->dir, "terms", AS_MAGIC_TERMS, 1);
    as_wfile_open(c, &w->f[IXF_POSTINGS], w->dir, "postings", AS_MAGIC_POSTINGS, 1);
    as_wfile_open(c, &w->f[IXF_POSITIONS], w->dir, "positions", AS_MAGIC_POSITIONS, 1);
    if (c->rc != AS_OK)
        return;
    /* the new documents' postings: runs on disk, or memory; a full build
     * merges the last postings in memory with the runs (encode_pipe) */
    int pipe = w->nruns > 0 && w->ncopies == 0;
    if (w->nruns > 0 && !pipe) {
        size_t n;
        uint32_t *ids = as_wr_live_ids(w, &n);
        free(ids);
        if (n > 0)
            as_wr_spill(w);
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
        s->ids = as_wr_live_ids(w, &s->nids);
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
        if (pipe && c->rc == AS_OK) {
            tsrc *s = &src[nsrc++];
            s->type = 0;
            s->ids = as_wr_live_ids(w, &s->nids);
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
        for (size_t j = i; j < w->ncopies; j++) {
            const wcopy *cj = &w->copies[j];
            if (cj->old != w->copies[i].old)
                continue;
            /* Files next to each other in both generations are one run of
             * docs: a block across their boundary is then still taken
             * whole (take_block), not re-read posting by posting. */
            wcopy *last = nsegs > (size_t)(s->segs - segs) ? &segs[nsegs - 1] : NULL;
            if (last && last->old_first + last->n == cj->old_first &&
                last->new_first + last->n == cj->new_first)
                last->n += cj->n;
            else
                segs[nsegs++] = *cj;
        }
        s->nseg = (size_t)(segs + nsegs - s->segs);
        if (as_ix_dictit_start(&s->it, w->copies[i].old, 0) != AS_OK)
            as_wctx_fail(c, AS_ECORRUPT, "copy: %s", as_index_errmsg(w->copies[i].old));
    }
    if (c->rc == AS_OK)
        merge_and_encode(w, src, nsrc);
    for (size_t i = 0; i < nsrc; i++)
        as_wr_src_free(&src[i]);
out:
    free(olds);
    free(segs);
    free(src);
    w->post_len = w->f[IXF_POSTINGS].body_len;
    w->pos_len = w->f[IXF_POSITIONS].body_len;
    for (int i = IXF_TERMS; i <= IXF_POSITIONS; i++)
        as_wfile_close(c, &w->f[i]);
}

