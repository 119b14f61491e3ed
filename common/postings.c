/*
 * postings.c — Cursors over a term's postings (format.h: postings,
 * positions): next, seek with skipping by the skip table (blocks passed
 * over are never decoded), the shallow seek_block for block-max pruning,
 * lazily decoded positions; and the full check of one term's postings.
 *
 * A block is decoded in one go: gaps are bit-unpacked into docs[], then a
 * prefix sum turns them into docids; its wdfs too into wdfs[] when the
 * cursor walks it (next), else only when asked for (a seek reads one wdf
 * from the packed bits: a seek is mostly a membership check).  Every value is
 * checked on the way (docids ascending and < ndocs, the block's last docid
 * equal to its skip entry, sizes exact), so damage that passes the page
 * checksums still cannot send a reader out of bounds.
 */
#include <stdlib.h>
#include <string.h>

#include "bitpack.h"
#include "ixint.h"
#include "varint.h"

#ifdef __SSE2__
#include <emmintrin.h>
#endif
/* The AVX2 meets, chosen at run time (__builtin_cpu_supports).  AS_NO_AVX2
 * leaves them out, as bitpack.c's AVX2 paths: `make test-noavx2` runs the
 * unit tests so, since on a machine with AVX2 the SSE2 and scalar code
 * would otherwise only ever see blocks' last few docs. */
#if defined(__SSE2__) && defined(__GNUC__) && !defined(AS_NO_AVX2)
#define AS_MEET_AVX2 1
#include <immintrin.h>
#endif

static uint32_t fail(as_pcur *c, const char *what)
{
    as_ix_corrupt(c->ix, IXF_POSTINGS, "postings at %llu: %s",
                  (unsigned long long)c->data_off, what);
    c->doc = AS_DOC_END;
    c->wdf = 0;
    c->decoded = c->lazy = 0;
    return AS_DOC_END;
}

/* Skip entry b (nb > 1), checked: the page test of skip_entry, and the
 * cursor's run of checked pages of its skip table grown by the entry's
 * pages (joined to the run when they touch it, else the run from now). */
static __attribute__((noinline)) const uint8_t *skip_entry_slow(as_pcur *c, uint32_t b)
{
    uint64_t o = c->skip_off + (uint64_t)AS_SKIP_ENTRY * b;
    const ixfile *x = &c->ix->f[IXF_POSTINGS];
    if (b >= c->nb || o + AS_SKIP_ENTRY > x->len ||
        ix_need(c->ix, IXF_POSTINGS, o, AS_SKIP_ENTRY) != AS_OK)
        return NULL;
    uint64_t p0 = o >> x->page_log2, p1 = (o + AS_SKIP_ENTRY - 1) >> x->page_log2;
    if (c->skok_n > 0 && p0 <= c->skpg_hi + 1 && p1 + 1 >= c->skpg_lo) {
        p0 = p0 < c->skpg_lo ? p0 : c->skpg_lo;
        p1 = p1 > c->skpg_hi ? p1 : c->skpg_hi;
    }
    /* the entries wholly inside bytes [lo, hi) of the pages */
    uint64_t lo = p0 << x->page_log2, hi = (p1 + 1) << x->page_log2;
    uint64_t e0 = lo > c->skip_off ? (lo - c->skip_off + AS_SKIP_ENTRY - 1) / AS_SKIP_ENTRY : 0;
    uint64_t e1 = (hi - c->skip_off) / AS_SKIP_ENTRY;
    if (e1 > c->nb)
        e1 = c->nb;
    c->skpg_lo = p0;
    c->skpg_hi = p1;
    c->skok_lo = (uint32_t)e0;
    c->skok_n = (uint32_t)(e1 - e0); /* b is inside: e0 <= b < e1 */
    return c->skipp + (uint64_t)AS_SKIP_ENTRY * b;
}

/* Skip entry b (nb > 1), checked.  Seeks read many (find_block's gallop
 * and search); one inside the cursor's run of checked pages costs a
 * compare, the page test of each was ~40 instructions a call (and3common
 * at 1M: ~5% of the query). */
static inline const uint8_t *skip_entry(as_pcur *c, uint32_t b)
{
    if (b - c->skok_lo < c->skok_n)
        return c->skipp + (uint64_t)AS_SKIP_ENTRY * b;
    return skip_entry_slow(c, b);
}

/* Fills block_last/maxwdf/mindoclen from skip entry e (checked). */
static void entry_meta(as_pcur *c, const uint8_t *e)
{
    c->block_last = le32(e);
    uint32_t mw = le16(e + 12);
    c->block_maxwdf = mw == 0xffff ? c->term_maxwdf : mw;
    uint32_t m = UINT32_MAX;
    for (int k = 0; k < 4; k++) {
        c->block_mindl[k] = le16(e + 14 + 2 * k);
        if (c->block_mindl[k] < m)
            m = c->block_mindl[k];
    }
    c->block_mindoclen = m;
}

/* Fills block_last/maxwdf/mindoclen of block b from its skip entry. */
static int block_meta(as_pcur *c, uint32_t b)
{
    const uint8_t *e = skip_entry(c, b);
    if (!e)
        return -1;
    entry_meta(c, e);
    return 0;
}

/* The bounds of a term of one block: the term's own. */
static void term_meta(as_pcur *c)
{
    c->block_maxwdf = c->term_maxwdf;
    c->block_mindoclen = c->term_mindoclen;
    for (int k = 0; k < 4; k++)
        c->block_mindl[k] = c->term_mindoclen;
}

/* Value k of w bits in a packed run of nbytes bytes (format.h: packed, LSB
 * first); bytes past the run read as 0 (callers stay inside it). */
static inline uint32_t get_bits(const uint8_t *p, size_t nbytes, uint64_t k, unsigned w)
{
    uint64_t bit = k * w;
    size_t at = (size_t)(bit >> 3);
    uint64_t x = 0;
    if (at + 8 <= nbytes) {
        memcpy(&x, p + at, 8);
    } else if (nbytes >= 8 && at < nbytes) {
        /* the run's last 8 bytes, shifted down to start at byte at (the
         * tail of a short run: the byte loop was ~2% of SAR at 1M) */
        memcpy(&x, p + nbytes - 8, 8);
        x >>= 8 * (at + 8 - nbytes);
    } else {
        for (size_t i = 0; at + i < nbytes && i < 8; i++)
            x |= (uint64_t)p[at + i] << (8 * i);
    }
    x >>= bit & 7;
    return w == 32 ? (uint32_t)x : (uint32_t)x & ((1u << w) - 1);
}

/* The wdfs of the decoded block, unpacked (load_block leaves them packed
 * for a seek, which reads one: a membership check decodes half a block). */
static __attribute__((noinline)) void unpack_wdfs(as_pcur *c)
{
    /* stored less one: the 1 is added in the unpack's registers, where a
     * pass over wdfs[] after it cost ~190 instructions a block */
    as_bitpack_unpack_add(c->wdfp, c->wdfbytes, c->wdfs, c->n, c->wdfw, 1);
    c->nw = c->n;
}

/* (unpack_wdfs out of line: inlined into as_pcur_next, its call made the
 * walk's step dearer, authority at 1M +3%) */
static inline void need_wdfs(as_pcur *c)
{
    if (!c->nw)
        unpack_wdfs(c);
}

/* The wdf of posting j of the decoded block. */
static inline uint32_t wdf_at(const as_pcur *c, uint32_t j)
{
    return c->nw ? c->wdfs[j] : get_bits(c->wdfp, c->wdfbytes, j, c->wdfw) + 1;
}


/* Puts the cursor on posting j of its decoded block, its wdf read only
 * with w (else left as it was: as_pcur_next_meet_dense). */
static inline __attribute__((always_inline)) void put_to(as_pcur *c, uint32_t j, const int w)
{
    c->i = j;
    c->doc = c->docs[j];
    if (w)
        c->wdf = wdf_at(c, j);
}

/* Puts the cursor on posting j of its decoded block, with its wdf. */
static inline void put_at(as_pcur *c, uint32_t j)
{
    put_to(c, j, 1);
}

/* The end of a meet: each cursor to the index its steps reached (a cursor
 * that did not move keeps its doc and wdf as they are); w: as put_to. */
static inline __attribute__((always_inline)) void put_pair(as_pcur *a, uint32_t ia, as_pcur *b,
                                                           uint32_t ib, const int w)
{
    if (ia != a->i)
        put_to(a, ia, w);
    if (ib != b->i)
        put_to(b, ib, w);
}

/* Block b's bytes, checked (bounds, bit widths, size): *p its start (the
 * widths of gaps and wdfs, then both packed runs, gb and wb bytes), *n its
 * postings, *prev1 the previous block's last doc + 1; block_last and the
 * block's bounds from its skip entry.  0, or -1 after fail. */
static inline __attribute__((always_inline)) int block_head(as_pcur *c, uint32_t b,
                                                            const uint8_t **pp, uint32_t *np,
                                                            uint32_t *prev1p, size_t *gbp,
                                                            size_t *wbp)
{
    const as_index *ix = c->ix;
    uint32_t n = b + 1 < c->nb ? AS_BLOCK_SIZE : c->df - AS_BLOCK_SIZE * (c->nb - 1);
    uint64_t s = 0, e = c->data_len;
    uint32_t prev1 = 0; /* previous block's last doc + 1 */
    if (c->nb > 1) {
        const uint8_t *se = skip_entry(c, b);
        if (!se)
            return fail(c, "skip table"), -1;
        e = le32(se + 4);
        if (b > 0) {
            const uint8_t *pe = skip_entry(c, b - 1);
            if (!pe)
                return fail(c, "skip table"), -1;
            s = le32(pe + 4);
            if (le32(pe) >= UINT32_MAX - 1)
                return fail(c, "bad skip entry"), -1;
            prev1 = le32(pe) + 1;
        }
        entry_meta(c, se); /* checked above */
    } else {
        term_meta(c);
    }
    if (s > e || e > c->data_len || e - s < 2)
        return fail(c, "bad block bounds"), -1;
    if (ix_need(ix, IXF_POSTINGS, c->data_off + s, e - s) != AS_OK)
        return fail(c, "unreadable block"), -1;
    const uint8_t *p = ix->f[IXF_POSTINGS].body + c->data_off + s;
    unsigned wg = p[0], ww = p[1];
    if (wg > 32 || ww > 32)
        return fail(c, "bad bit width"), -1;
    size_t gb = as_bitpack_size(n, wg), wb = as_bitpack_size(n, ww);
    if (2 + gb + wb != e - s)
        return fail(c, "block size does not match"), -1;
    *pp = p;
    *np = n;
    *prev1p = prev1;
    *gbp = gb;
    *wbp = wb;
    return 0;
}

/* Decodes block b and puts the cursor on its first posting; walk: its
 * wdfs too (next will read them all), else only the first (a seek reads one). */
static uint32_t load_block(as_pcur *c, uint32_t b, int walk)
{
    const as_index *ix = c->ix;
    const uint8_t *p;
    uint32_t n, prev1;
    size_t gb, wb;
    if (block_head(c, b, &p, &n, &prev1, &gb, &wb) != 0)
        return AS_DOC_END;
    unsigned wg = p[0], ww = p[1];
    uint32_t *restrict docs = c->docs, *restrict wdfs = c->wdfs;
    /* the file's bytes after the gaps may be read (they are masked off):
     * the last groups unpack in place, not from a copy of the tail */
    const ixfile *x = &ix->f[IXF_POSTINGS];
    size_t avail = (size_t)(x->body + x->len - (p + 2));
    uint64_t acc = prev1;
    if ((uint64_t)prev1 + ((uint64_t)n << wg) < UINT32_MAX) {
        /* no docid + 1 can pass 2^32 - 1: 32-bit sums, in the unpack */
        acc = as_bitpack_unpack_sums(p + 2, avail, docs, n, wg, prev1);
    } else {
        as_bitpack_unpack_in(p + 2, avail, docs, n, wg);
        for (uint32_t j = 0; j < n; j++) {
            acc += docs[j];
            docs[j] = (uint32_t)acc;
            acc++;
        }
    }
    if (acc - 1 >= ix->ndocs)
        return fail(c, "docid out of range");
    if (c->nb > 1 && c->docs[n - 1] != c->block_last)
        return fail(c, "block does not end at its skip entry");
    c->wdfp = p + 2 + gb;
    c->wdfbytes = avail - gb; /* wb and the file's bytes after them */
    c->wdfw = ww;
    c->nw = 0;
    c->n = n;
    if (walk || ww == 32) {
        need_wdfs(c);
        /* wdf - 1 of 32 bits could be 2^32 - 1, and wdf 0 */
        uint32_t bad = 0;
        if (ww == 32)
            for (uint32_t j = 0; j < n; j++)
                bad |= wdfs[j] == 0;
        if (bad)
            return fail(c, "bad wdf");
    }
    c->block_last = c->docs[n - 1];
    c->block = b;
    c->decoded = 1;
    c->lazy = 0;
    c->posdecoded = 0;
    put_at(c, 0);
    return c->doc;
}

/* Decodes the block of a cursor a probe left lazy, keeping it on its
 * posting.  (It and its callers apart: inlined, they made next and seek
 * dearer for every query.) */
static __attribute__((noinline)) uint32_t settle(as_pcur *c)
{
    uint32_t i = c->i;
    if (load_block(c, c->block, 0) == AS_DOC_END)
        return AS_DOC_END;
    if (i >= c->n)
        return fail(c, "bad probe");
    put_at(c, i);
    return c->doc;
}

/* as_pcur_next and as_pcur_seek of a lazy cursor. */
static __attribute__((noinline)) uint32_t next_lazy(as_pcur *c)
{
    return settle(c) == AS_DOC_END ? AS_DOC_END : as_pcur_next(c);
}

static __attribute__((noinline)) uint32_t seek_lazy(as_pcur *c, uint32_t target)
{
    if (c->doc >= target)
        return c->doc;
    return settle(c) == AS_DOC_END ? AS_DOC_END : as_pcur_seek(c, target);
}

void as_pcur_init(as_pcur *c, const as_index *ix, const as_term *t)
{
    c->ix = ix;
    c->doc = AS_DOC_END;
    c->wdf = 0;
    c->decoded = c->posdecoded = c->lazy = 0;
    c->posheap = NULL;
    c->poscap = 0;
    c->df = c->nb = c->block = 0;
    c->block_last = AS_DOC_END;
    c->block_maxwdf = c->block_mindoclen = 0;
    for (int k = 0; k < 4; k++)
        c->block_mindl[k] = 0;
    c->i = c->n = 0;
    c->skipp = NULL;
    c->skok_lo = c->skok_n = 0;
    c->skpg_lo = c->skpg_hi = 0;
    if (!t || t->df == 0)
        return;
    c->df = t->df;
    c->term_maxwdf = t->max_wdf;
    c->term_mindoclen = t->min_doclen;
    c->nb = (t->df + AS_BLOCK_SIZE - 1) / AS_BLOCK_SIZE;
    c->data_off = t->post_off;
    c->pos_off = t->pos_off;
    c->pos_len = t->pos_len;
    uint64_t plen = ix->f[IXF_POSTINGS].len, qlen = ix->f[IXF_POSITIONS].len;
    uint64_t skip = c->nb > 1 ? (uint64_t)AS_SKIP_ENTRY * c->nb : 0;
    if (t->df > ix->ndocs || t->post_off > plen || t->post_len > plen - t->post_off ||
        t->pos_off > qlen || t->pos_len > qlen - t->pos_off || skip > t->post_len) {
        fail(c, "term entry out of range");
        return;
    }
    c->skip_off = t->post_off;
    c->skipp = ix->f[IXF_POSTINGS].body + t->post_off;
    c->data_off = t->post_off + skip;
    c->data_len = t->post_len - skip;
    load_block(c, 0, 1);
}

int as_pcur_high(const as_index *ix, const as_term *t, as_term *hi, uint32_t lmax[3])
{
    uint32_t nb = (t->df + AS_BLOCK_SIZE - 1) / AS_BLOCK_SIZE;
    memset(hi, 0, sizeof *hi);
    lmax[0] = lmax[1] = lmax[2] = 0;
    uint64_t plen = ix->f[IXF_POSTINGS].len, skip = (uint64_t)AS_SKIP_ENTRY * nb;
    if (nb <= 1 || t->df > ix->ndocs || t->post_off > plen || t->post_len > plen - t->post_off ||
        skip > t->post_len)
        return AS_ENOTFOUND;
    uint64_t last = t->post_off + skip - AS_SKIP_ENTRY;
    if (ix_need(ix, IXF_POSTINGS, last, AS_SKIP_ENTRY) != AS_OK)
        return AS_ECORRUPT;
    uint64_t end = skip + le32(ix->f[IXF_POSTINGS].body + last + 4);
    if (end > t->post_len)
        return as_ix_corrupt(ix, IXF_POSTINGS, "postings at %llu: bad skip entry",
                             (unsigned long long)t->post_off);
    if (end == t->post_len)
        return AS_ENOTFOUND;
    uint64_t at = t->post_off + end, rest = t->post_len - end;
    uint64_t hn = rest < 40 ? rest : 40;
    if (ix_need(ix, IXF_POSTINGS, at, hn) != AS_OK)
        return AS_ECORRUPT;
    const uint8_t *p0 = ix->f[IXF_POSTINGS].body + at, *p = p0;
    uint64_t hdf, l[3];
    int bad = varint_get(&p, p0 + hn, &hdf) != 0 || hdf > t->df;
    for (int k = 0; k < 3 && !bad; k++)
        bad = varint_get(&p, p0 + hn, &l[k]) != 0 || l[k] > AS_HIGH_MAXLEN;
    if (bad)
        return as_ix_corrupt(ix, IXF_POSTINGS, "postings at %llu: bad high list",
                             (unsigned long long)t->post_off);
    hi->df = (uint32_t)hdf;
    hi->cf = hdf;
    hi->max_wdf = t->max_wdf;
    hi->min_doclen = t->min_doclen;
    hi->post_off = at + (uint64_t)(p - p0);
    hi->post_len = rest - (uint64_t)(p - p0);
    for (int k = 0; k < 3; k++)
        lmax[k] = (uint32_t)l[k];
    return AS_OK;
}

void as_pcur_release(as_pcur *c)
{
    if (!c)
        return;
    free(c->posheap);
    c->posheap = NULL;
    c->poscap = 0;
    c->posdecoded = 0;
}

uint32_t as_pcur_next(as_pcur *c)
{
    if (c->doc == AS_DOC_END)
        return AS_DOC_END;
    if (!c->decoded)
        return c->lazy ? next_lazy(c) : load_block(c, c->block, 1); /* after seek_block */
    if (c->i + 1 < c->nw) { /* the walk through a block */
        c->i++;
        c->doc = c->docs[c->i];
        c->wdf = c->wdfs[c->i];
        return c->doc;
    }
    if (c->i + 1 < c->n) { /* the first step after a seek into it */
        need_wdfs(c);
        c->i++;
        c->doc = c->docs[c->i];
        c->wdf = c->wdfs[c->i];
        return c->doc;
    }
    if (c->block + 1 >= c->nb) {
        c->doc = AS_DOC_END;
        return AS_DOC_END;
    }
    return load_block(c, c->block + 1, 1);
}

/* The first block >= from whose last doc is >= target, or nb.  Gallops,
 * then binary-searches: each probed skip entry is page-checked, so the
 * search can trust what it reads. */
static uint32_t find_block(as_pcur *c, uint32_t from, uint32_t target, int *bad)
{
    uint32_t lo = from, hi, step = 1;
    *bad = 0;
    for (;;) {
        uint64_t probe = (uint64_t)lo + step - 1;
        if (probe >= c->nb) {
            hi = c->nb;
            break;
        }
        const uint8_t *e = skip_entry(c, (uint32_t)probe);
        if (!e) {
            *bad = 1;
            return c->nb;
        }
        if (le32(e) >= target) {
            hi = (uint32_t)probe;
            break;
        }
        lo = (uint32_t)probe + 1;
        step *= 2;
    }
    /* the answer is in [lo, hi]: hi is a block with last >= target, or nb */
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        const uint8_t *e = skip_entry(c, mid);
        if (!e) {
            *bad = 1;
            return c->nb;
        }
        if (le32(e) >= target)
            hi = mid;
        else
            lo = mid + 1;
    }
    return lo;
}

uint32_t as_pcur_seek(as_pcur *c, uint32_t target)
{
    if (c->doc == AS_DOC_END)
        return AS_DOC_END;
    if (c->decoded && c->doc >= target)
        return c->doc;
    if (!c->decoded || target > c->block_last) {
        if (c->lazy) /* after a probe: on a posting, its block undecoded */
            return seek_lazy(c, target);
        uint32_t b = c->block; /* undecoded (after seek_block) and target inside */
        if (c->decoded || target > c->block_last) {
            int bad = 0;
            b = c->block + 1 < c->nb ? find_block(c, c->block + 1, target, &bad) : c->nb;
            if (bad)
                return fail(c, "skip table");
            if (b >= c->nb) {
                c->doc = AS_DOC_END;
                c->decoded = 0;
                return AS_DOC_END;
            }
        }
        if (load_block(c, b, 0) == AS_DOC_END)
            return AS_DOC_END;
        if (c->doc >= target)
            return c->doc;
    }
    /* target is inside the decoded block: gallop from i (a leapfrog's
     * targets are mostly near), then binary search docs[lo..hi] */
    uint32_t lo = c->i, hi = c->n - 1, step = 1; /* docs[n-1] == block_last >= target */
    while (lo + step < hi && c->docs[lo + step] < target) {
        lo += step + 1;
        step *= 2;
    }
    if (lo + step < hi)
        hi = lo + step;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (c->docs[mid] >= target)
            hi = mid;
        else
            lo = mid + 1;
    }
    put_at(c, lo);
    return c->doc;
}

/* Lazy cursor c: moves it to the first doc >= target of its block (whose
 * last doc is >= target) after posting k - 1 (doc a - 1; a = prev1 when k
 * is 0).  docs[] holds the block's gaps: it sums them from k forwards, or
 * back from the block's last doc when target lies in the upper half of the
 * docs left (a quarter of a block on average, where load_block unpacks,
 * sums and checks all 128).  The doc found is checked to lie in [target,
 * block_last] and below ndocs; the whole block's sums are checked when
 * anything else decodes it (settle). */
static uint32_t lazy_find(as_pcur *c, uint32_t k, uint64_t a, uint32_t target)
{
    const uint32_t *g = c->docs;
    uint32_t n = c->n, j;
    uint64_t d;
    /* forwards where target lies in the lower half of the docs left; with
     * the forwards steps of four (lazy 2), in the lower three quarters:
     * they cost about a quarter of the backwards steps a doc */
    if ((target - a) * (c->lazy == 2 ? 4 : 2) <
        ((uint64_t)c->block_last + 1 - a) * (c->lazy == 2 ? 3 : 1)) {
        j = k;
#ifdef __SSE2__
        if (c->lazy == 2) {
            /* four docs a step: the gaps + 1 summed in the register, each
             * doc compared with target (unsigned, by the sign bit flipped);
             * the sums cannot pass 2^32 - 1 (lazy 2: probe_block), so they
             * equal the 64-bit ones below.  ~12 instructions for four
             * docs, where the loop below takes ~6 a doc (probes of the
             * main lists of learning safeguarding reviews at 1M: ~460 a
             * run, a fresh block each) */
            const __m128i one = _mm_set1_epi32(1), sg = _mm_set1_epi32((int)0x80000000u);
            const __m128i vt = _mm_xor_si128(_mm_set1_epi32((int)target), sg);
            __m128i base = _mm_set1_epi32((int)(uint32_t)a - 1); /* doc before k */
            while (j + 4 <= n) {
                __m128i x = _mm_add_epi32(_mm_loadu_si128((const __m128i *)(g + j)), one);
                x = _mm_add_epi32(x, _mm_slli_si128(x, 4));
                x = _mm_add_epi32(x, _mm_slli_si128(x, 8));
                x = _mm_add_epi32(x, base); /* docs j .. j + 3 */
                unsigned m = (unsigned)_mm_movemask_ps(
                    _mm_castsi128_ps(_mm_cmpgt_epi32(vt, _mm_xor_si128(x, sg))));
                if (m != 0xf) { /* the docs < target lead */
                    uint32_t dd[4];
                    _mm_storeu_si128((__m128i *)dd, x);
                    unsigned l = (unsigned)__builtin_ctz(~m);
                    j += l;
                    a = dd[l];
                    goto found;
                }
                base = _mm_shuffle_epi32(x, 0xff);
                j += 4;
            }
            a = (uint32_t)_mm_cvtsi128_si32(base) + 1; /* doc j - 1, + 1 */
        }
#endif
        for (; j < n; j++) {
            a += g[j];
            if (a >= target)
                break;
            a++;
        }
#ifdef __SSE2__
    found:
#endif
        d = a;
    } else {
        for (j = n - 1, d = c->block_last; j > k; j--) {
            uint64_t p = d - g[j] - 1; /* doc j - 1 (wraps if damaged: fails) */
            if (p < target)
                break;
            d = p;
        }
    }
    if (j >= n || d < target || d > c->block_last || d >= c->ix->ndocs)
        return fail(c, "block does not end at its skip entry");
    uint32_t w = get_bits(c->wdfp, c->wdfbytes, j, c->wdfw) + 1;
    c->i = j;
    c->doc = (uint32_t)d;
    c->wdf = w;
    return c->doc;
}

/* as_pcur_probe into block b (nb > 1), whose last doc is >= target: its
 * gaps unpacked, not summed; the cursor becomes lazy on the doc. */
static uint32_t probe_block(as_pcur *c, uint32_t b, uint32_t target)
{
    const uint8_t *p;
    uint32_t n, prev1;
    size_t gb, wb;
    if (block_head(c, b, &p, &n, &prev1, &gb, &wb) != 0)
        return AS_DOC_END;
    c->block = b;
    c->posdecoded = 0;
    if (p[1] == 32) { /* wdfs of 32 bits, which load_block checks */
        if (load_block(c, b, 0) == AS_DOC_END)
            return AS_DOC_END;
        return as_pcur_seek(c, target);
    }
    const ixfile *x = &c->ix->f[IXF_POSTINGS];
    size_t avail = (size_t)(x->body + x->len - (p + 2)); /* as in load_block */
    as_bitpack_unpack_in(p + 2, avail, c->docs, n, p[0]);
    c->decoded = 0;
    /* 2: no sum of gaps + 1 from prev1 can pass 2^32 - 1 (lazy_find) */
    c->lazy = (uint64_t)prev1 + ((uint64_t)n << p[0]) < UINT32_MAX ? 2 : 1;
    c->n = n;
    c->wdfp = p + 2 + gb;
    c->wdfbytes = avail - gb;
    c->wdfw = p[1];
    c->nw = 0;
    return lazy_find(c, 0, prev1, target);
}

uint32_t as_pcur_probe(as_pcur *c, uint32_t target)
{
    if (c->doc == AS_DOC_END)
        return AS_DOC_END;
    if ((c->decoded || c->lazy) && c->doc >= target)
        return c->doc;
    /* a one-block list is decoded from init; a decoded block holding
     * target: the seek's search of docs[] */
    if (c->nb <= 1 || (c->decoded && target <= c->block_last))
        return as_pcur_seek(c, target);
    if (target <= c->block_last) /* undecoded: after seek_block, or lazy */
        return c->lazy ? lazy_find(c, c->i + 1, (uint64_t)c->doc + 1, target)
                       : probe_block(c, c->block, target);
    int bad = 0;
    uint32_t b = c->block + 1 < c->nb ? find_block(c, c->block + 1, target, &bad) : c->nb;
    if (bad)
        return fail(c, "skip table");
    if (b >= c->nb) {
        c->doc = AS_DOC_END;
        c->decoded = c->lazy = 0;
        return AS_DOC_END;
    }
    return probe_block(c, b, target);
}

/* as_pcur_meet inside the two decoded blocks: steps the lower cursor's
 * index alone (the docs, wdfs and cursors are set once, at the end) until
 * both are on one doc (1), the lower is >= lim (1), or a target lies past
 * a block's end (0: the caller seeks).  Two interleaved lists meet mostly
 * here, at a few instructions a posting. */
#ifdef __SSE2__
/* Two lists meet by meet_dense (as_pcur_meet_dense) when neither has more
 * than this many times the other's postings (else by meet_sparse). */
#define AS_MEET_DENSE 2

/* meet_blocks without a limit, s the list with fewer postings: for each of
 * its docs x the denser list d steps four docs at a time (those < x, one
 * compare) to its first >= x, then s to its first >= that.  Without a
 * limit the meet ends on the first doc both have wherever the steps went;
 * the leapfrog's symmetric step cost ~46 instructions a doc of the rarer
 * list (SAR at 1M: adult against review, 3x denser), this ~25.  The
 * signed compare needs both blocks' docs < 2^31 (the caller checks). */
static inline __attribute__((always_inline)) int meet_sparse(as_pcur *s, as_pcur *d, const int w)
{
    const uint32_t *ds = s->docs, *dd = d->docs;
    uint32_t is = s->i, id = d->i, ns = s->n, nd = d->n;
    const uint32_t sl = ds[ns - 1], dl = dd[nd - 1];
    int done = 0;
    for (;;) {
        uint32_t x = ds[is];
        if (dl < x) {
            id = nd - 1; /* d's block ends before x: the caller seeks */
            break;
        }
        __m128i vx = _mm_set1_epi32((int)x);
        for (;;) {
            if (id + 4 > nd) {
                while (dd[id] < x) /* dl >= x stops it */
                    id++;
                break;
            }
            unsigned m = (unsigned)_mm_movemask_ps(_mm_castsi128_ps(
                _mm_cmplt_epi32(_mm_loadu_si128((const __m128i *)(dd + id)), vx)));
            if (m != 0xf) {
                id += (unsigned)__builtin_ctz(~m); /* the docs < x lead */
                break;
            }
            id += 4;
        }
        uint32_t y = dd[id];
        if (y == x) {
            done = 1;
            break;
        }
        if (sl < y) {
            is = ns - 1; /* s's block ends before y: the caller seeks */
            break;
        }
        do
            is++;
        while (ds[is] < y); /* sl >= y stops it */
        if (ds[is] == y) {
            done = 1;
            break;
        }
    }
    put_pair(s, is, d, id, w);
    return done;
}

/* meet_blocks without a limit for two lists of near density (AS_MEET_DENSE):
 * four docs of each list against the other's four in one go (each against
 * every rotation of the other), then the four whose last doc is lower (or
 * both) move on, so that each step passes four postings where
 * meet_sparse's passes about two, for ~20 instructions (learning
 * safeguarding reviews at 1M: review's 44,112 postings and ^sar's 40,452
 * meet on 3,134 docs).  The lowest lane of a that equals some lane of b is
 * the first doc both have: every doc of a before it was compared with
 * every doc of b it could equal.  The last docs of a block (four or
 * fewer left) merge one at a time.  Its own function, so that no caller's
 * code moves. */
static inline __attribute__((always_inline)) int meet_dense_steps(const uint32_t *da,
                                                                  const uint32_t *db,
                                                                  uint32_t *pia, uint32_t *pib,
                                                                  uint32_t na, uint32_t nb)
{
    uint32_t ia = *pia, ib = *pib;
    int done = 0;
    while (ia + 4 < na && ib + 4 < nb) { /* a step leaves both inside */
        __m128i va = _mm_loadu_si128((const __m128i *)(da + ia));
        __m128i vb = _mm_loadu_si128((const __m128i *)(db + ib));
        __m128i e0 = _mm_or_si128(_mm_cmpeq_epi32(va, vb),
                                  _mm_cmpeq_epi32(va, _mm_shuffle_epi32(vb, 0x39)));
        __m128i e1 = _mm_or_si128(_mm_cmpeq_epi32(va, _mm_shuffle_epi32(vb, 0x4e)),
                                  _mm_cmpeq_epi32(va, _mm_shuffle_epi32(vb, 0x93)));
        unsigned m = (unsigned)_mm_movemask_ps(_mm_castsi128_ps(_mm_or_si128(e0, e1)));
        if (m) {
            ia += (unsigned)__builtin_ctz(m);
            while (db[ib] != da[ia]) /* one of the four */
                ib++;
            done = 1;
            break;
        }
        uint32_t la = da[ia + 3], lb = db[ib + 3];
        ia += la < lb ? 4 : 0;
        ib += lb < la ? 4 : 0;
    }
    while (!done) {
        uint32_t x = da[ia], y = db[ib];
        if (x == y) {
            done = 1;
        } else if (x < y) {
            if (ia + 1 == na)
                break; /* a's block ends before y: the caller seeks */
            ia++;
        } else {
            if (ib + 1 == nb)
                break;
            ib++;
        }
    }
    *pia = ia;
    *pib = ib;
    return done;
}

static inline __attribute__((always_inline)) int meet_dense_in(as_pcur *a, as_pcur *b, const int w)
{
    uint32_t ia = a->i, ib = b->i;
    int done = meet_dense_steps(a->docs, b->docs, &ia, &ib, a->n, b->n);
    put_pair(a, ia, b, ib, w);
    return done;
}

#ifdef AS_MEET_AVX2
/* meet_dense_in with AVX2: first eight docs of each list against the
 * other's eight in one go (each against every rotation of the other:
 * three in-lane rotations of b and of b's halves swapped), the eight
 * whose last doc is lower (or both) moving on, while a step leaves both
 * inside their blocks; then meet_dense_steps' fours and single steps.  A
 * step passes eight postings for ~35 instructions, where the fours pass
 * four for ~25 (learning safeguarding reviews at 1M: review and ^sar meet
 * over 84,564 postings on 3,136 docs).  The lowest lane of a equal to a
 * lane of b is the first doc both have, as in the fours. */
__attribute__((target("avx2"))) static inline __attribute__((always_inline)) int
meet_dense_in8(as_pcur *a, as_pcur *b, const int w)
{
    const uint32_t *da = a->docs, *db = b->docs;
    uint32_t ia = a->i, ib = b->i;
    const uint32_t na = a->n, nb = b->n;
    int done = 0;
    while (ia + 8 < na && ib + 8 < nb) {
        __m256i va = _mm256_loadu_si256((const __m256i *)(da + ia));
        __m256i vb = _mm256_loadu_si256((const __m256i *)(db + ib));
        __m256i vs = _mm256_permute4x64_epi64(vb, 0x4e); /* halves swapped */
        __m256i e0 = _mm256_or_si256(_mm256_cmpeq_epi32(va, vb),
                                     _mm256_cmpeq_epi32(va, _mm256_shuffle_epi32(vb, 0x39)));
        __m256i e1 = _mm256_or_si256(_mm256_cmpeq_epi32(va, _mm256_shuffle_epi32(vb, 0x4e)),
                                     _mm256_cmpeq_epi32(va, _mm256_shuffle_epi32(vb, 0x93)));
        __m256i e2 = _mm256_or_si256(_mm256_cmpeq_epi32(va, vs),
                                     _mm256_cmpeq_epi32(va, _mm256_shuffle_epi32(vs, 0x39)));
        __m256i e3 = _mm256_or_si256(_mm256_cmpeq_epi32(va, _mm256_shuffle_epi32(vs, 0x4e)),
                                     _mm256_cmpeq_epi32(va, _mm256_shuffle_epi32(vs, 0x93)));
        __m256i eq = _mm256_or_si256(_mm256_or_si256(e0, e1), _mm256_or_si256(e2, e3));
        unsigned m = (unsigned)_mm256_movemask_ps(_mm256_castsi256_ps(eq));
        if (m) {
            /* b's lane equal to a's lowest lane that matched: one of the
             * eight, by one compare (a scan of b's lanes cost ~4 steps) */
            ia += (unsigned)__builtin_ctz(m);
            __m256i vx = _mm256_set1_epi32((int)da[ia]);
            unsigned mb = (unsigned)_mm256_movemask_ps(
                _mm256_castsi256_ps(_mm256_cmpeq_epi32(vb, vx)));
            ib += (unsigned)__builtin_ctz(mb);
            done = 1;
            break;
        }
        uint32_t la = da[ia + 7], lb = db[ib + 7];
        ia += la < lb ? 8 : 0;
        ib += lb < la ? 8 : 0;
    }
    if (!done)
        done = meet_dense_steps(da, db, &ia, &ib, na, nb);
    put_pair(a, ia, b, ib, w);
    return done;
}

__attribute__((target("avx2"), noinline)) static int meet_dense_avx2(as_pcur *a, as_pcur *b)
{
    return meet_dense_in8(a, b, 1);
}

__attribute__((target("avx2"), noinline)) static int meet_dense_nw_avx2(as_pcur *a, as_pcur *b)
{
    return meet_dense_in8(a, b, 0);
}
#endif

static __attribute__((noinline)) int meet_dense(as_pcur *a, as_pcur *b)
{
    return meet_dense_in(a, b, 1);
}

/* meet_dense leaving the wdfs unread (as_pcur_next_meet_dense) */
static __attribute__((noinline)) int meet_dense_nw(as_pcur *a, as_pcur *b)
{
    return meet_dense_in(a, b, 0);
}
#endif

static inline __attribute__((always_inline)) int meet_blocks(as_pcur *a, as_pcur *b,
                                                             uint32_t lim, const int dense)
{
    const uint32_t *da = a->docs, *db = b->docs;
    uint32_t ia = a->i, ib = b->i, na = a->n, nb = b->n;
    int done = 1;
    (void)dense; /* without SSE2, the steps below */
#ifdef __SSE2__
    if (dense && (uint64_t)a->df <= AS_MEET_DENSE * (uint64_t)b->df &&
        (uint64_t)b->df <= AS_MEET_DENSE * (uint64_t)a->df)
    {
#ifdef AS_MEET_AVX2
        if (__builtin_cpu_supports("avx2"))
            return dense == 2 ? meet_dense_nw_avx2(a, b) : meet_dense_avx2(a, b);
#endif
        return dense == 2 ? meet_dense_nw(a, b) : meet_dense(a, b);
    }
    if (lim == AS_DOC_END && (da[na - 1] | db[nb - 1]) < 0x80000000u)
        return a->df <= b->df ? meet_sparse(a, b, dense != 2) : meet_sparse(b, a, dense != 2);
#endif
    for (;;) {
        uint32_t x = da[ia], y = db[ib];
        if (x == y)
            break;
        /* a block's last doc stops the step unless the target is past
         * it: then the block is left whole (the caller seeks) */
        if (x < y) {
            if (x >= lim)
                break;
            uint32_t t = y < lim ? y : lim;
            if (da[na - 1] < t) {
                ia = na - 1;
                done = 0;
                break;
            }
            while (da[ia] < t)
                ia++;
        } else {
            if (y >= lim)
                break;
            uint32_t t = x < lim ? x : lim;
            if (db[nb - 1] < t) {
                ib = nb - 1;
                done = 0;
                break;
            }
            while (db[ib] < t)
                ib++;
        }
    }
    put_pair(a, ia, b, ib, dense != 2);
    return done;
}

/* as_pcur_meet; dense: without a limit, by meet_dense where the lists'
 * densities are near (as_pcur_meet_dense); 2: so, and the wdfs of the
 * cursors it moves inside their blocks left unread (a seek reads them). */
static inline __attribute__((always_inline)) uint32_t meet(as_pcur *a, as_pcur *b, uint32_t lim,
                                                           const int dense)
{
    for (;;) {
        if (a->decoded && b->decoded && a->doc != AS_DOC_END && b->doc != AS_DOC_END &&
            meet_blocks(a, b, lim, dense))
            return a->doc < b->doc ? a->doc : b->doc;
        if (a->doc == b->doc)
            return a->doc; /* both there (or both at the end) */
        as_pcur *lo = a->doc < b->doc ? a : b;
        uint32_t t = (lo == a ? b : a)->doc;
        if (lo->doc >= lim)
            return lo->doc;
        if (t > lim)
            t = lim;
        /* two interleaved lists move a posting or two a step: look at the
         * next few of the decoded block before a seek's search */
        if (lo->decoded && t <= lo->block_last) {
            uint32_t i = lo->i + 1, e = i + 8 < lo->n ? i + 8 : lo->n;
            while (i < e && lo->docs[i] < t)
                i++;
            if (i < e) {
                put_to(lo, i, dense != 2);
                continue;
            }
        }
        as_pcur_seek(lo, t);
    }
}

uint32_t as_pcur_meet(as_pcur *a, as_pcur *b, uint32_t lim)
{
    return meet(a, b, lim, 0);
}

uint32_t as_pcur_meet_dense(as_pcur *a, as_pcur *b)
{
    return meet(a, b, AS_DOC_END, 1);
}

/* The step inside a's decoded block moves its index and doc only, and so
 * does the meet inside the blocks (dense 2): the wdfs are read by
 * as_pcur_read_wdf where wanted, not unpacked with the whole block's as
 * as_pcur_next's first step into a block does for a walk (unpack_wdfs:
 * 628,365 of the 13,350,365 instructions of 3 runs of learning
 * safeguarding reviews at 1M), nor read at each meet's end (the lead walk
 * wants them on about one meet in seven there). */
uint32_t as_pcur_next_meet_dense(as_pcur *a, as_pcur *b)
{
    if (a->decoded && a->doc != AS_DOC_END && a->i + 1 < a->n) {
        a->i++;
        a->doc = a->docs[a->i];
    } else {
        as_pcur_next(a);
    }
    return meet(a, b, AS_DOC_END, 2);
}

void as_pcur_read_wdf(as_pcur *c)
{
    if (c->decoded && c->doc != AS_DOC_END)
        c->wdf = wdf_at(c, c->i);
}

uint32_t as_pcur_seek_block(as_pcur *c, uint32_t target)
{
    if (c->doc == AS_DOC_END)
        return AS_DOC_END;
    if (c->block_last >= target)
        return c->block_last;
    int bad;
    uint32_t b = c->nb > 1 ? find_block(c, c->block + 1, target, &bad) : c->nb;
    if (c->nb > 1 && bad)
        return fail(c, "skip table");
    if (b >= c->nb) {
        c->doc = AS_DOC_END;
        c->decoded = 0;
        return AS_DOC_END;
    }
    if (block_meta(c, b) != 0)
        return fail(c, "skip table");
    c->block = b;
    c->decoded = c->lazy = 0;
    c->posdecoded = 0;
    return c->block_last;
}

uint32_t as_pcur_next_block(as_pcur *c)
{
    if (c->doc == AS_DOC_END)
        return AS_DOC_END;
    if (c->block + 1 >= c->nb) {
        c->doc = AS_DOC_END;
        c->decoded = 0;
        return AS_DOC_END;
    }
    if (block_meta(c, c->block + 1) != 0)
        return fail(c, "skip table");
    c->block++;
    c->decoded = c->lazy = 0;
    c->posdecoded = 0;
    return c->block_last;
}

/* Locates the current block's positions and checks its bounds, once per
 * block.  The docs' start offsets are summed only as far as a doc asks
 * (posdecoded - 1 of them are known, posstart[0..posdecoded - 1]): a
 * phrase check wants one doc of the block, and summing all its wdfs cost
 * more than reading that doc's positions. */
static int load_positions(as_pcur *c)
{
    const as_index *ix = c->ix;
    uint64_t s = 0, e = c->pos_len;
    if (c->nb > 1) {
        const uint8_t *se = skip_entry(c, c->block);
        if (!se)
            return AS_ECORRUPT;
        e = le32(se + 8);
        if (c->block > 0) {
            const uint8_t *pe = skip_entry(c, c->block - 1);
            if (!pe)
                return AS_ECORRUPT;
            s = le32(pe + 8);
        }
    }
    if (s > e || e > c->pos_len || e - s < 1)
        return as_ix_corrupt(ix, IXF_POSITIONS, "positions at %llu: bad block bounds",
                             (unsigned long long)c->pos_off);
    if (ix_need(ix, IXF_POSITIONS, c->pos_off + s, e - s) != AS_OK)
        return AS_ECORRUPT;
    const uint8_t *p = ix->f[IXF_POSITIONS].body + c->pos_off + s;
    if (p[0] > 32)
        return as_ix_corrupt(ix, IXF_POSITIONS, "positions at %llu: block size does not match",
                             (unsigned long long)c->pos_off);
    c->posstart[0] = 0;
    c->posdata = p + 1;
    c->poslen = (size_t)(e - s - 1);
    c->posw = p[0];
    c->posdecoded = 1;
    return AS_OK;
}

/* Extends the block's start offsets to posstart[i + 1] (the asked doc's
 * end); the block's size must hold them, and match their sum exactly once
 * the last doc's is known (format.h; w == 0 only for small blocks). */
static int positions_upto(as_pcur *c, uint32_t i)
{
    uint32_t k = (uint32_t)c->posdecoded - 1;
    if (k > i)
        return AS_OK;
    uint64_t total = c->posstart[k];
    /* a few wdfs one by one, more at once (a walk has them all already);
     * an oversized sum is refused below before any offset is used */
    if (!c->nw && i - k >= 8)
        need_wdfs(c);
    if (c->nw)
        for (; k <= i; k++) {
            total += c->wdfs[k];
            c->posstart[k + 1] = (uint32_t)total;
        }
    else
        for (; k <= i; k++) {
            total += get_bits(c->wdfp, c->wdfbytes, k, c->wdfw) + 1;
            c->posstart[k + 1] = (uint32_t)total;
        }
    unsigned w = c->posw;
    uint64_t have = (uint64_t)c->poslen + 1;
    if (total > UINT32_MAX / 2 || total > have * 8 + AS_POS_ZERO_MAX ||
        (w == 0 && total > AS_POS_ZERO_MAX) || 1 + as_bitpack_size(total, w) > have ||
        (k == c->n && 1 + as_bitpack_size(total, w) != have))
        return as_ix_corrupt(c->ix, IXF_POSITIONS, "positions at %llu: block size does not match",
                             (unsigned long long)c->pos_off);
    c->posdecoded = (int)k + 1;
    return AS_OK;
}

int as_pcur_positions(as_pcur *c, const uint32_t **pos, uint32_t *n)
{
    *pos = NULL;
    *n = 0;
    if (c->lazy && c->doc != AS_DOC_END && settle(c) == AS_DOC_END)
        return AS_ECORRUPT;
    if (c->doc == AS_DOC_END || !c->decoded)
        return AS_EINVAL;
    if (!c->posdecoded) {
        int rc = load_positions(c);
        if (rc != AS_OK)
            return rc;
    }
    if ((uint32_t)c->posdecoded <= c->i + 1) {
        int rc = positions_upto(c, c->i);
        if (rc != AS_OK)
            return rc;
    }
    /* only this doc's: its first position, then gaps (format.h) */
    uint32_t k0 = c->posstart[c->i], m = c->wdf;
    uint32_t *buf = c->posbuf;
    if (m > sizeof c->posbuf / sizeof c->posbuf[0]) {
        if (m > c->poscap) {
            uint32_t *nb = realloc(c->posheap, (size_t)m * sizeof *nb);
            if (!nb)
                return AS_ENOMEM;
            c->posheap = nb;
            c->poscap = m;
        }
        buf = c->posheap;
    }
    uint64_t acc = 0;
    for (uint32_t k = 0; k < m; k++) {
        acc += c->posw ? get_bits(c->posdata, c->poslen, (uint64_t)k0 + k, c->posw) : 0;
        if (acc > UINT32_MAX)
            return as_ix_corrupt(c->ix, IXF_POSITIONS, "positions at %llu: overflow",
                                 (unsigned long long)c->pos_off);
        buf[k] = (uint32_t)acc;
    }
    *pos = buf;
    *n = m;
    return AS_OK;
}

/* Checks a term's high list (format.h: high) against its postings: the
 * same docs and wdfs exactly where wdf >= 2 or doclen <= L, block maxima
 * that bound it, and its bytes filling the rest of the term's.  NULL when
 * good, else what is wrong. */
static const char *high_verify(const as_index *ix, const as_term *t, const uint32_t *doclens,
                               uint64_t main_end)
{
    as_term ht;
    uint32_t l[3];
    int rc = as_pcur_high(ix, t, &ht, l);
    if (rc == AS_ENOTFOUND)
        return main_end == t->post_len ? NULL : "blocks do not fill the term's bytes";
    if (rc != AS_OK)
        return "bad high list";
    as_pcur m, h;
    as_pcur_init(&m, ix, t);
    as_pcur_init(&h, ix, &ht);
    const char *why = NULL;
    uint64_t n = 0;
    for (; m.doc != AS_DOC_END && !why; as_pcur_next(&m)) {
        uint32_t dl = doclens[m.doc];
        if (m.wdf < 4 && dl > l[m.wdf - 1])
            continue;
        if (h.doc != m.doc || h.wdf != m.wdf)
            why = "high list differs from the postings";
        else if (h.wdf > h.block_maxwdf || dl < h.block_mindoclen ||
                 dl < h.block_mindl[h.wdf < 4 ? h.wdf - 1 : 3])
            why = "high list's block maxima do not bound it";
        n++;
        as_pcur_next(&h);
    }
    if (!why && (h.doc != AS_DOC_END || n != ht.df))
        why = "high list differs from the postings";
    if (!why && h.nb > 1) {
        const uint8_t *e = skip_entry(&h, h.nb - 1);
        if (e && (le32(e + 4) != h.data_len))
            why = "high list does not fill the term's bytes";
        for (uint32_t b = 0; !why && b < h.nb; b++) {
            e = skip_entry(&h, b);
            if (e && le32(e + 8) != 0)
                why = "high list skip entry has positions";
        }
    }
    as_pcur_release(&m);
    as_pcur_release(&h);
    return why;
}

int as_ix_postings_verify(const as_index *ix, const char *term, size_t tlen,
                          const as_term *t, const uint32_t *doclens, as_err *err)
{
    (void)tlen;
    as_pcur c;
    as_pcur_init(&c, ix, t);
    uint64_t n = 0, cf = 0;
    uint32_t maxwdf = 0, mindl = UINT32_MAX, prev = 0;
    int rc = AS_OK;
    const char *why = NULL;
    while (c.doc != AS_DOC_END) {
        if (n > 0 && c.doc <= prev) {
            why = "docids not ascending";
            break;
        }
        uint32_t dl = doclens[c.doc]; /* c.doc < ndocs: checked by load_block */
        if (c.wdf > c.block_maxwdf || dl < c.block_mindoclen ||
            dl < c.block_mindl[c.wdf < 4 ? c.wdf - 1 : 3]) {
            why = "block maxima do not bound the block";
            break;
        }
        const uint32_t *pos;
        uint32_t np;
        rc = as_pcur_positions(&c, &pos, &np);
        if (rc != AS_OK)
            break;
        for (uint32_t k = 1; k < np; k++)
            if (pos[k] < pos[k - 1]) {
                why = "positions not ascending";
                break;
            }
        if (why)
            break;
        prev = c.doc;
        n++;
        cf += c.wdf;
        if (c.wdf > maxwdf)
            maxwdf = c.wdf;
        if (dl < mindl)
            mindl = dl;
        as_pcur_next(&c);
    }
    if (!why && rc == AS_OK && as_index_status(ix) == AS_OK) {
        if (n != t->df)
            why = "document count differs from df";
        else if (cf != t->cf)
            why = "occurrence count differs from cf";
        else if (maxwdf != t->max_wdf || mindl != t->min_doclen)
            why = "term maxima differ";
        else if (c.nb > 1) {
            const uint8_t *e = skip_entry(&c, c.nb - 1);
            if (e && le32(e + 8) != c.pos_len)
                why = "blocks do not fill the term's bytes";
            else if (e)
                why = high_verify(ix, t, doclens, t->post_len - c.data_len + le32(e + 4));
        }
    }
    as_pcur_release(&c);
    if (as_index_status(ix) != AS_OK)
        return as_ix_verr(ix, err);
    if (rc != AS_OK)
        return as_err_set(err, rc, "postings: term \"%s\": %s", term, as_strerror(rc));
    if (why)
        return as_err_set(err, AS_ECORRUPT, "postings: term \"%s\": %s", term, why);
    return AS_OK;
}
