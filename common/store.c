/*
 * store.c — The sentence store of a generation (format.h: store): finding
 * a sentence's block, walking its records' fields to the sentence,
 * decoding its text from token ids through the vocab into the caller's
 * as_docbuf; the raw form of a block for the writer (storew.h); and the
 * full check of the store.
 *
 * Every read goes through the page checks (ix_need) and every length is
 * bounded by the bytes it lies in, so damaged or hostile bytes give
 * AS_ECORRUPT, never a read out of bounds: a text must decode to exactly
 * its recorded length.
 */
#include <stdlib.h>
#include <string.h>

#include "ixint.h"
#include "varint.h"

#define MAX_ULEN ((uint32_t)1 << 30)

int as_ix_store_block(const as_index *ix, uint64_t i, as_ix_sblock *out)
{
    if (i >= ix->mf[MF_STORE_NBLOCKS])
        return as_ix_corrupt(ix, IXF_STORE, "block %llu past the end", (unsigned long long)i);
    uint64_t o = ix->mf[MF_STORE_SINDEX_OFF] + (uint64_t)AS_STORE_SINDEX * i;
    if (ix_need(ix, IXF_STORE, o, AS_STORE_SINDEX) != AS_OK)
        return AS_ECORRUPT;
    const uint8_t *e = ix->f[IXF_STORE].body + o;
    out->first_doc = le32(e);
    out->ndocs = le32(e + 4);
    out->off = le64(e + 8);
    out->clen = le32(e + 16);
    out->ulen = le32(e + 20);
    if (out->first_doc >= ix->ndocs || out->ndocs == 0 ||
        out->ndocs > ix->ndocs - out->first_doc || out->clen == 0 ||
        out->off > ix->voc_off || out->clen > ix->voc_off - out->off ||
        out->ulen > MAX_ULEN)
        return as_ix_corrupt(ix, IXF_STORE, "block %llu: index entry out of range",
                             (unsigned long long)i);
    return AS_OK;
}

/* The docs of block entry i < nblocks, all a search needs: the entry lies
 * inside the file (checked at open), and the block found is checked whole
 * by as_ix_store_block before anyone reads it. */
static inline int block_docs(const as_index *ix, uint64_t i, as_ix_sblock *out)
{
    uint64_t o = ix->mf[MF_STORE_SINDEX_OFF] + (uint64_t)AS_STORE_SINDEX * i;
    if (ix_need(ix, IXF_STORE, o, 8) != AS_OK)
        return AS_ECORRUPT;
    const uint8_t *e = ix->f[IXF_STORE].body + o;
    out->first_doc = le32(e);
    out->ndocs = le32(e + 4);
    return AS_OK;
}

int as_ix_store_find(const as_index *ix, uint32_t doc, uint64_t *blk)
{
    uint64_t lo = 0, hi = ix->mf[MF_STORE_NBLOCKS];
    as_ix_sblock b;
    /* Interpolation search: blocks hold about the same number of docs, so
     * the docs a range of blocks covers tell where doc lies; two or three
     * probes instead of a bisection's seventeen (at 1M sentences), each a
     * page touched (and on first touch checked).  The answer stays in
     * [lo, hi); a probe that does not narrow much falls back to halving. */
    uint32_t dlo = 0, dhi = ix->ndocs; /* docs of [lo, hi) lie in [dlo, dhi) */
    uint64_t prevn = UINT64_MAX;
    while (lo < hi) {
        uint64_t n = hi - lo, g = lo + n / 2;
        if (n > 4 && n <= prevn / 2 && dhi > dlo && doc >= dlo && doc < dhi)
            g = lo + (uint64_t)(doc - dlo) * n / (dhi - dlo);
        prevn = g == lo + n / 2 ? UINT64_MAX : n; /* after halving, guess again */
        if (g >= hi)
            g = hi - 1;
        if (block_docs(ix, g, &b) != AS_OK)
            return AS_ECORRUPT;
        if (b.first_doc > doc) {
            hi = g;
            dhi = b.first_doc;
        } else if (doc - b.first_doc < b.ndocs) {
            *blk = g;
            return AS_OK;
        } else {
            lo = g + 1;
            dlo = b.first_doc + b.ndocs;
        }
    }
    return as_ix_corrupt(ix, IXF_STORE, "doc %u is in no block", doc);
}

/* ---- walking records ---------------------------------------------------- */

typedef as_ix_rwalk rwalk;

static int walk_start(rwalk *w, const uint8_t *p, size_t n, int coded)
{
    const uint8_t *end = p + n;
    uint64_t fl;
    if (varint_get(&p, end, &fl) || fl > (uint64_t)(end - p))
        return -1;
    w->f = p;
    w->fend = p + fl;
    w->t = w->fend;
    w->tend = end;
    w->sec = (const uint8_t *)"";
    w->slen = 0;
    w->line = w->para = 0;
    w->coded = coded;
    return 0;
}

int as_ix_walk_start(rwalk *w, const uint8_t *p, size_t n)
{
    return walk_start(w, p, n, 0);
}

int as_ix_walk_start_coded(rwalk *w, const uint8_t *p, size_t n)
{
    return walk_start(w, p, n, 1);
}

static uint32_t unzigzag_add(uint32_t base, uint64_t z, int *bad)
{
    int64_t d = (z & 1) ? -(int64_t)(z >> 1) - 1 : (int64_t)(z >> 1);
    int64_t v = (int64_t)base + d;
    if (z > ((uint64_t)1 << 34) || v < 0 || v > UINT32_MAX)
        *bad = 1;
    return (uint32_t)v;
}

/* The next record; 0, or -1 when damaged. */
int as_ix_walk_next(rwalk *w, as_ix_rec *r)
{
    uint64_t tl, cl = 0, sc, dl, dp, ish = 0, il;
    uint32_t sent;
    int bad = 0;
    if (varint_get(&w->f, w->fend, &tl) || (w->coded && varint_get(&w->f, w->fend, &cl)) ||
        varint_get(&w->f, w->fend, &sc))
        return -1;
    r->sec_new = sc > 0;
    if (sc > 0) {
        if (sc - 1 > (uint64_t)(w->fend - w->f))
            return -1;
        w->sec = w->f;
        w->slen = (size_t)(sc - 1);
        w->f += sc - 1;
    }
    if (varint_get(&w->f, w->fend, &dl) || varint_get(&w->f, w->fend, &dp) ||
        varint_get32(&w->f, w->fend, &sent) ||
        (w->coded && varint_get(&w->f, w->fend, &ish)) || varint_get(&w->f, w->fend, &il) ||
        il > (uint64_t)(w->fend - w->f))
        return -1;
    r->id = w->f;
    r->id_shared = (size_t)ish;
    r->id_len = (size_t)il;
    w->f += il;
    w->line = unzigzag_add(w->line, dl, &bad);
    w->para = unzigzag_add(w->para, dp, &bad);
    if (bad || tl > MAX_ULEN)
        return -1;
    size_t take = (size_t)(w->coded ? cl : tl);
    if (take > (size_t)(w->tend - w->t))
        return -1;
    r->tlen = (size_t)tl;
    r->clen = (size_t)cl;
    r->text = w->coded ? NULL : w->t;
    r->codes = w->coded ? w->t : NULL;
    w->t += take;
    r->section = w->sec;
    r->slen = w->slen;
    r->line = w->line;
    r->paragraph = w->para;
    r->sentence = sent;
    return 0;
}

/* Steps over k coded records on the way to a later one of their block
 * (as_index_doc), keeping only what later records build on: the section,
 * line and paragraph, the id (rebuilt at idb: *idn bytes, room for idcap
 * and 16 more) and the place of the codes.  The checks of as_ix_walk_next
 * record by record, with the walk's fields in locals for all k records
 * (the walk's own fields, reloaded and stored per record, were a third of
 * a step: a fetch walks ten records on average at 1M sentences), and a
 * delta's zigzag undone without a branch (|d| <= 2^33 once checked, so
 * the sum cannot overflow).  An id piece of up to 16 bytes is copied as
 * two words: the bytes read past it lie in the store body (the block is
 * followed by others, or the vocab and the 24-byte entries of the block
 * index), and those written past it are overwritten or lie past the id. */
static inline int walk_skip_n(rwalk *w, uint32_t k, uint8_t *idb, size_t *idnp, size_t idcap)
{
    const uint8_t *f = w->f, *t = w->t;
    const uint8_t *const fend = w->fend, *const tend = w->tend;
    int64_t line = w->line, para = w->para;
    size_t idn = *idnp;
    for (; k > 0; k--) {
        uint64_t tl, cl, sc, dl, dp, sent, ish, il;
        if (fend - f >= 2 && f[0] >= 0x80 && f[1] < 0x80) { /* most texts: 128..16383 bytes */
            tl = (uint64_t)(f[0] & 0x7f) | (uint64_t)f[1] << 7;
            f += 2;
        } else if (varint_get(&f, fend, &tl)) {
            return -1;
        }
        /* Most records: the seven fields after the text length one byte
         * each and no new section: tested together (the high bits of a
         * word). */
        if (fend - f >= 8 && !(le64(f) & 0x0080808080808080ull) && f[1] == 0) {
            cl = f[0];
            dl = f[2];
            dp = f[3];
            ish = f[5];
            il = f[6];
            f += 7;
            if (il > (uint64_t)(fend - f) || ish > idn || il > idcap - ish)
                return -1;
        } else {
            if (varint_get(&f, fend, &cl) || varint_get(&f, fend, &sc))
                return -1;
            if (sc > 0) {
                if (sc - 1 > (uint64_t)(fend - f))
                    return -1;
                w->sec = f;
                w->slen = (size_t)(sc - 1);
                f += sc - 1;
            }
            if (varint_get(&f, fend, &dl) || varint_get(&f, fend, &dp) ||
                varint_get(&f, fend, &sent) || sent > UINT32_MAX || varint_get(&f, fend, &ish) ||
                varint_get(&f, fend, &il) || il > (uint64_t)(fend - f) || ish > idn ||
                il > idcap - ish || dl > ((uint64_t)1 << 34) || dp > ((uint64_t)1 << 34))
                return -1;
        }
        if (il <= 16) { /* most: two words into the slack (as_index_doc) */
            memcpy(idb + ish, f, 8);
            memcpy(idb + ish + 8, f + 8, 8);
        } else {
            memcpy(idb + ish, f, (size_t)il);
        }
        idn = (size_t)(ish + il);
        f += il;
        line += (int64_t)(dl >> 1) ^ -(int64_t)(dl & 1);
        para += (int64_t)(dp >> 1) ^ -(int64_t)(dp & 1);
        if ((uint64_t)line > UINT32_MAX || (uint64_t)para > UINT32_MAX || tl > MAX_ULEN ||
            cl > (uint64_t)(tend - t))
            return -1;
        t += cl;
    }
    w->f = f;
    w->t = t;
    w->line = (uint32_t)line;
    w->para = (uint32_t)para;
    *idnp = idn;
    return 0;
}

/* as_ix_walk_next of a coded walk, its commonest record (a text length of
 * one or two bytes, then the seven fields one byte each and no new
 * section, as walk_skip_n tests them) read inline with the same checks:
 * the generic varint reads were ~200 instructions of each fetch.  Any
 * other record: as_ix_walk_next. */
static inline int walk_rec(rwalk *w, as_ix_rec *r)
{
    const uint8_t *f = w->f, *const fend = w->fend;
    uint64_t tl;
    if (!w->coded || fend - f < 10)
        return as_ix_walk_next(w, r);
    if (f[0] < 0x80) {
        tl = f[0];
        f += 1;
    } else if (f[1] < 0x80) {
        tl = (uint64_t)(f[0] & 0x7f) | (uint64_t)f[1] << 7;
        f += 2;
    } else {
        return as_ix_walk_next(w, r);
    }
    if ((le64(f) & 0x0080808080808080ull) || f[1] != 0)
        return as_ix_walk_next(w, r);
    uint64_t cl = f[0], dl = f[2], dp = f[3], il = f[6];
    r->sentence = f[4];
    r->id_shared = f[5];
    f += 7;
    if (il > (uint64_t)(fend - f))
        return -1;
    r->id = f;
    r->id_len = (size_t)il;
    f += il;
    int64_t line = (int64_t)w->line + ((int64_t)(dl >> 1) ^ -(int64_t)(dl & 1));
    int64_t para = (int64_t)w->para + ((int64_t)(dp >> 1) ^ -(int64_t)(dp & 1));
    if ((uint64_t)line > UINT32_MAX || (uint64_t)para > UINT32_MAX || tl > MAX_ULEN ||
        cl > (uint64_t)(w->tend - w->t))
        return -1;
    w->f = f;
    w->line = (uint32_t)line;
    w->para = (uint32_t)para;
    r->sec_new = 0;
    r->tlen = (size_t)tl;
    r->clen = (size_t)cl;
    r->text = NULL;
    r->codes = w->t;
    w->t += cl;
    r->section = w->sec;
    r->slen = w->slen;
    r->line = w->line;
    r->paragraph = w->para;
    return 0;
}

/* ---- the vocab and decoding ------------------------------------------------- */

/* Tokens checked together on first use, so that the commonest need no
 * page lookups per token: ~10 KB at 1M sentences.  Measured on a top 10 at
 * 1M: 1,024 touches 68-78 store pages in all, 4,096 (~46 KB checked up
 * front) 103-105, 256 the same as 1,024 but more lookups per text. */
#define VOC_HOT AS_IX_VOC_HOT

int as_ix_store_vocab(const as_index *ix, as_ix_vocab *v)
{
    const uint8_t *b = ix->f[IXF_STORE].body;
    as_index *mix = (as_index *)ix; /* the one-time check is the mutable part */
    v->ix = ix;
    v->ntok = ix->voc_ntok;
    v->offs_at = ix->voc_off;
    v->bytes_at = ix->voc_off + 4 * ((uint64_t)ix->voc_ntok + 1);
    v->nbytes = ix->voc_len - 4 * ((uint64_t)ix->voc_ntok + 1); /* checked at open */
    v->offs = b ? b + v->offs_at : NULL;
    v->bytes = b ? b + v->bytes_at : NULL;
    v->hot = 0;
    if (atomic_load_explicit(&mix->voc_hot_ok, memory_order_acquire)) {
        v->hot = ix->voc_hot;
        return AS_OK;
    }
    /* One thread makes the hot facts; another meanwhile checks its tokens
     * one by one (v->hot 0) rather than write them too. */
    int unclaimed = 0;
    if (!atomic_compare_exchange_strong(&mix->voc_claim, &unclaimed, 1))
        return AS_OK;
    uint32_t hot = ix->voc_ntok < VOC_HOT ? ix->voc_ntok : VOC_HOT;
    if (ix_need(ix, IXF_STORE, v->offs_at, 4 * ((uint64_t)hot + 1)) != AS_OK)
        return AS_ECORRUPT; /* (the claim stays: damage is sticky) */
    uint32_t end = le32(v->offs + 4 * (size_t)hot);
    if (end > v->nbytes)
        return as_ix_corrupt(ix, IXF_STORE, "vocab offset %u out of range", hot);
    if (ix_need(ix, IXF_STORE, v->bytes_at, end) != AS_OK)
        return AS_ECORRUPT;
    /* The hot offsets ascending from the first (so inside the bytes just
     * checked) up to the first that is not; their word flags.  A decode
     * then reads a hot token with no test of its own. */
    uint32_t valid = 0;
    uint64_t word[VOC_HOT / 64] = {0};
    while (valid < hot) {
        uint32_t a = le32(v->offs + 4 * (size_t)valid), b = le32(v->offs + 4 * (size_t)valid + 4);
        if (a >= b || b > end)
            break;
        word[valid / 64] |= (uint64_t)(as_ix_wordbyte(v->bytes[a]) != 0) << (valid % 64);
        valid++;
    }
    memcpy(mix->voc_word, word, sizeof word);
    mix->voc_valid = valid;
    mix->voc_hot = hot;
    atomic_store_explicit(&mix->voc_hot_ok, 1, memory_order_release);
    v->hot = hot;
    return AS_OK;
}

/* Token id's bytes; 0, or -1 when it is not in the vocab or damaged. */
static inline int token(const as_ix_vocab *v, uint32_t id, const uint8_t **p, size_t *n)
{
    if (id >= v->ntok)
        return -1;
    int check = v->ix && id >= v->hot;
    if (check && ix_need(v->ix, IXF_STORE, v->offs_at + 4 * (uint64_t)id, 8) != AS_OK)
        return -1;
    uint32_t a = le32(v->offs + 4 * (size_t)id), b = le32(v->offs + 4 * (size_t)id + 4);
    if (a >= b || b > v->nbytes)
        return -1;
    if (check && ix_need(v->ix, IXF_STORE, v->bytes_at + a, b - a) != AS_OK)
        return -1;
    *p = v->bytes + a;
    *n = b - a;
    return 0;
}

/* as_ix_decode; with slack, 16 bytes past out + tlen may be written and
 * v's tokens lie in an index's store (v->ix), where 16 bytes from any
 * token's start can be read: the vocab is followed by the block index
 * (format.h: store), whose last entry alone is 24 bytes.  Then a token of
 * up to 16 bytes is copied as two 8-byte words, whatever its length (the
 * bytes past it are overwritten by the next token, or lie past the text);
 * bytes read past a token but not kept need no page check. */
static inline __attribute__((always_inline)) int decode(const as_ix_vocab *v, const uint8_t *p,
                                                        size_t n, uint8_t *out, size_t tlen,
                                                        int slack)
{
    const uint8_t *end = p + n;
    uint8_t *o = out, *oend = out + tlen;
    int prevword = 0;
    /* v->hot is set once the index's hot tokens are checked (and voc_valid
     * and voc_word made: as_ix_store_vocab) */
    const uint32_t valid = v->ix && v->hot ? v->ix->voc_valid : 0;
    const uint64_t *wordbits = v->ix ? v->ix->voc_word : NULL;
    while (p < end) {
        uint32_t id = *p++;
        if (id >= 0xc0) {
            if (id < 0xf0) {
                if (end - p < 1)
                    return -1;
                id = 192 + ((id - 0xc0) << 8 | p[0]);
                p += 1;
            } else if (id < 0xff) {
                if (end - p < 2)
                    return -1;
                id = 12480 + ((id - 0xf0) << 16 | (uint32_t)p[0] << 8 | p[1]);
                p += 2;
            } else {
                if (end - p < 4 || le32(p) > UINT32_MAX - 995520)
                    return -1;
                id = 995520 + le32(p);
                p += 4;
            }
        }
        const uint8_t *t;
        size_t tn;
        int word;
        if (id < valid) { /* a hot token, checked up front */
            uint32_t a = le32(v->offs + 4 * (size_t)id), b = le32(v->offs + 4 * (size_t)id + 4);
            t = v->bytes + a;
            tn = b - a;
            word = (int)(wordbits[id / 64] >> (id % 64) & 1);
        } else {
            if (token(v, id, &t, &tn) != 0)
                return -1;
            word = as_ix_wordbyte(t[0]) != 0;
        }
        /* sp: the space left out between two words; it and the token
         * must fit (one test) */
        size_t sp = (size_t)(word & prevword);
        if (tn + sp > (size_t)(oend - o))
            return -1;
        if (slack) { /* the space written always, kept only when due (tn >= 1
                      * overwrites it otherwise) */
            *o = ' ';
            o += sp;
        } else if (sp) {
            *o++ = ' ';
        }
        if (slack && tn <= 16) {
            memcpy(o, t, 8);
            memcpy(o + 8, t + 8, 8);
        } else if (tn <= 16) { /* most tokens: cheaper than a call */
            for (size_t k = 0; k < tn; k++)
                o[k] = t[k];
        } else {
            memcpy(o, t, tn);
        }
        o += tn;
        prevword = word;
    }
    return o == oend ? 0 : -1;
}

int as_ix_decode(const as_ix_vocab *v, const uint8_t *p, size_t n, uint8_t *out, size_t tlen)
{
    return decode(v, p, n, out, tlen, 0);
}

static size_t vsize(uint64_t v)
{
    size_t n = 1;
    while (v >= 0x80) {
        v >>= 7;
        n++;
    }
    return n;
}

static uint64_t zigzag(int64_t v)
{
    return v < 0 ? ((uint64_t)(-(v + 1)) << 1) | 1 : (uint64_t)v << 1;
}

/* The raw fields of record r (previous line and paragraph pline, ppara;
 * whole id of idn bytes). */
static uint64_t raw_fields_len(const as_ix_rec *r, uint32_t pline, uint32_t ppara, size_t idn)
{
    return vsize(r->tlen) + (r->sec_new ? vsize(r->slen + 1) + r->slen : 1) +
           vsize(zigzag((int64_t)r->line - pline)) +
           vsize(zigzag((int64_t)r->paragraph - ppara)) + vsize(r->sentence) + vsize(idn) + idn;
}

int as_ix_block_raw(const as_ix_vocab *v, const uint8_t *p, size_t n, uint32_t ndocs,
                    uint8_t *out, size_t ulen)
{
    /* Pass 1: every record walks, and the raw form's size is ulen. */
    rwalk w;
    as_ix_rec r;
    if (as_ix_walk_start_coded(&w, p, n) != 0)
        return -1;
    uint64_t rf = 0, texts = 0;
    size_t idn = 0;
    uint32_t pline = 0, ppara = 0;
    for (uint32_t k = 0; k < ndocs; k++) {
        if (as_ix_walk_next(&w, &r) != 0 || r.id_shared > idn)
            return -1;
        idn = r.id_shared + r.id_len;
        rf += raw_fields_len(&r, pline, ppara, idn);
        pline = r.line;
        ppara = r.paragraph;
        texts += r.tlen;
        if (rf > ulen || texts > ulen)
            return -1;
    }
    if (w.f != w.fend || w.t != w.tend || vsize(rf) + rf + texts != ulen)
        return -1;
    /* Pass 2: the fields from the front, the texts after them.  A whole id
     * is the previous one's first id_shared bytes (already written, just
     * before) and its piece. */
    uint8_t *fo = out + varint_put(out, rf), *to = fo + rf;
    const uint8_t *previd = NULL;
    as_ix_walk_start_coded(&w, p, n);
    pline = ppara = 0;
    for (uint32_t k = 0; k < ndocs; k++) {
        as_ix_walk_next(&w, &r);
        fo += varint_put(fo, r.tlen);
        if (r.sec_new) {
            fo += varint_put(fo, r.slen + 1);
            memcpy(fo, r.section, r.slen);
            fo += r.slen;
        } else {
            *fo++ = 0;
        }
        fo += varint_put(fo, zigzag((int64_t)r.line - pline));
        fo += varint_put(fo, zigzag((int64_t)r.paragraph - ppara));
        fo += varint_put(fo, r.sentence);
        pline = r.line;
        ppara = r.paragraph;
        idn = r.id_shared + r.id_len;
        fo += varint_put(fo, idn);
        if (r.id_shared)
            memcpy(fo, previd, r.id_shared);
        memcpy(fo + r.id_shared, r.id, r.id_len);
        previd = fo;
        fo += idn;
        if (as_ix_decode(v, r.codes, r.clen, to, r.tlen) != 0)
            return -1;
        to += r.tlen;
    }
    return 0;
}

void as_docbuf_free(as_docbuf *b)
{
    if (!b)
        return;
    free(b->p);
    memset(b, 0, sizeof *b);
}

/* Makes room for n bytes in the buffer, keeping what it holds. */
static int reserve(as_docbuf *b, size_t n)
{
    if (n <= b->cap)
        return AS_OK;
    size_t nc = b->cap ? b->cap : 1024;
    while (nc < n)
        nc *= 2;
    void *p = realloc(b->p, nc);
    if (!p)
        return AS_ENOMEM;
    b->p = p;
    b->cap = nc;
    return AS_OK;
}

int as_index_doc(const as_index *ix, uint32_t doc, as_docbuf *buf, as_docrec *out)
{
    memset(out, 0, sizeof *out);
    if (doc >= ix->ndocs)
        return AS_ENOTFOUND;
    uint64_t blk;
    as_ix_sblock sb;
    int rc = as_ix_store_find(ix, doc, &blk);
    if (rc == AS_OK)
        rc = as_ix_store_block(ix, blk, &sb);
    if (rc == AS_OK && ix_need(ix, IXF_STORE, sb.off, sb.clen) != AS_OK)
        rc = AS_ECORRUPT;
    if (rc != AS_OK)
        return rc;
    const uint8_t *p = ix->f[IXF_STORE].body + sb.off;
    rwalk w;
    as_ix_rec r;
    if (as_ix_walk_start_coded(&w, p, sb.clen) != 0)
        goto bad;
    /* The id is rebuilt at the buffer's start as the walk goes (no id is
     * longer than the fields it is made from). */
    if (reserve(buf, (size_t)(w.fend - w.f) + 1 + 16) != AS_OK)
        return AS_ENOMEM;
    uint8_t *idb = buf->p;
    size_t idn = 0, idcap = (size_t)(w.fend - w.f);
    if (walk_skip_n(&w, doc - sb.first_doc, idb, &idn, idcap) != 0)
        goto bad;
    if (walk_rec(&w, &r) != 0 || r.id_shared > idn || r.id_len > idcap - r.id_shared)
        goto bad;
    if (r.id_len)
        memcpy(idb + r.id_shared, r.id, r.id_len);
    idn = r.id_shared + r.id_len;
    /* id NUL section NUL text NUL, and the 16 bytes decode's slack writes */
    if (reserve(buf, idn + r.slen + r.tlen + 3 + 16) != AS_OK)
        return AS_ENOMEM;
    char *id = (char *)buf->p, *sec = id + idn + 1, *text = sec + r.slen + 1;
    id[idn] = 0;
    memcpy(sec, r.section, r.slen);
    sec[r.slen] = 0;
    as_ix_vocab v;
    if (as_ix_store_vocab(ix, &v) != AS_OK || decode(&v, r.codes, r.clen, (uint8_t *)text, r.tlen, 1) != 0)
        goto bad;
    text[r.tlen] = 0;
    buf->n = idn + r.slen + r.tlen + 3;
    buf->block = blk + 1;
    buf->ix = ix;
    out->text = text;
    out->section = sec;
    out->id = idn ? id : NULL;
    out->line = r.line;
    out->paragraph = r.paragraph;
    out->sentence = r.sentence;
    out->doclen = as_index_doclen(ix, doc);
    out->kind = as_index_kind(ix, doc);
    return as_index_status(ix) == AS_OK ? AS_OK : AS_ECORRUPT;
bad:
    return as_ix_corrupt(ix, IXF_STORE, "block %llu: record of doc %u damaged",
                         (unsigned long long)blk, doc);
}

/* The vocab's offsets ascend within its bytes and every token is one run
 * of word or gap bytes (format.h: store). */
static int verify_vocab(const as_index *ix, as_err *err)
{
    as_ix_vocab v;
    if (as_ix_store_vocab(ix, &v) != AS_OK ||
        ix_need(ix, IXF_STORE, ix->voc_off, ix->voc_len) != AS_OK)
        return as_ix_verr(ix, err);
    if (le32(v.offs) != 0 || le32(v.offs + 4 * (size_t)v.ntok) != v.nbytes)
        return as_err_set(err, AS_ECORRUPT, "store: vocab offsets do not cover its bytes");
    for (uint32_t i = 0; i < v.ntok; i++) {
        const uint8_t *t;
        size_t n;
        if (token(&v, i, &t, &n) != 0)
            return as_err_set(err, AS_ECORRUPT, "store: vocab token %u out of range", i);
        int word = as_ix_wordbyte(t[0]);
        for (size_t k = 1; k < n; k++)
            if (as_ix_wordbyte(t[k]) != word)
                return as_err_set(err, AS_ECORRUPT, "store: vocab token %u mixes words and gaps",
                                  i);
    }
    return AS_OK;
}

int as_ix_store_verify(const as_index *ix, as_err *err)
{
    if (err)
        err->msg[0] = 0;
    int rc = verify_vocab(ix, err);
    if (rc != AS_OK)
        return rc;
    as_ix_vocab v;
    as_ix_store_vocab(ix, &v); /* checked by verify_vocab */
    uint8_t *raw = NULL;
    size_t rawcap = 0;
    uint32_t next = 0, file = 0;
    uint64_t off = 0, nb = ix->mf[MF_STORE_NBLOCKS];
    as_file_state fs = {0};
    int have_file = 0;
    for (uint64_t i = 0; i < nb && rc == AS_OK; i++) {
        as_ix_sblock sb;
        if (as_ix_store_block(ix, i, &sb) != AS_OK) {
            rc = AS_ECORRUPT;
            break;
        }
        if (sb.first_doc != next || sb.off != off) {
            rc = as_err_set(err, AS_ECORRUPT, "store: block %llu out of sequence",
                            (unsigned long long)i);
            break;
        }
        /* the block lies inside one file */
        while (!have_file || sb.first_doc >= fs.first_doc + fs.ndocs) {
            if (have_file)
                file++;
            if (as_index_file(ix, file, &fs) != AS_OK) {
                rc = as_err_set(err, AS_ECORRUPT, "store: block %llu belongs to no file",
                                (unsigned long long)i);
                break;
            }
            have_file = 1;
        }
        if (rc != AS_OK)
            break;
        if (sb.first_doc < fs.first_doc || sb.ndocs > fs.first_doc + fs.ndocs - sb.first_doc) {
            rc = as_err_set(err, AS_ECORRUPT, "store: block %llu spans two files",
                            (unsigned long long)i);
            break;
        }
        if (ix_need(ix, IXF_STORE, sb.off, sb.clen) != AS_OK) {
            rc = AS_ECORRUPT;
            break;
        }
        /* every record decodes, exactly, and the raw form is ulen bytes */
        if (sb.ulen + 1 > rawcap) {
            uint8_t *q = realloc(raw, sb.ulen + 1);
            if (!q) {
                rc = as_err_set(err, AS_ENOMEM, "out of memory");
                break;
            }
            raw = q;
            rawcap = sb.ulen + 1;
        }
        if (as_ix_block_raw(&v, ix->f[IXF_STORE].body + sb.off, sb.clen, sb.ndocs, raw,
                            sb.ulen) != 0) {
            if (as_index_status(ix) == AS_OK)
                rc = as_err_set(err, AS_ECORRUPT, "store: block %llu: damaged",
                                (unsigned long long)i);
            else
                rc = AS_ECORRUPT;
            break;
        }
        next += sb.ndocs;
        off += sb.clen;
    }
    free(raw);
    if (rc == AS_OK && next != ix->ndocs)
        rc = as_err_set(err, AS_ECORRUPT, "store: blocks cover %u docs of %u", next, ix->ndocs);
    if (rc == AS_OK && (off > ix->voc_off || ix->voc_off - off >= 8))
        rc = as_err_set(err, AS_ECORRUPT, "store: bytes between the blocks and the vocab");
    if (rc != AS_OK && err && !err->msg[0]) /* damage found by a read */
        return rc == AS_ECORRUPT ? as_ix_verr(ix, err) : as_err_set(err, rc, "store: %s", as_strerror(rc));
    return rc;
}
