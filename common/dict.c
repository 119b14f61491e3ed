/*
 * dict.c — The dictionary of a generation (format.h: terms): lookup of a
 * term, prefix iteration, the sequential walk the writer uses to copy
 * files, and its full check.
 *
 * Front coding in blocks of AS_DICT_BLOCK terms (each block starts with a
 * whole term) stores the shared prefixes of neighbouring terms once, and a
 * binary search over the blocks' first terms in the mmap needs nothing
 * loaded at open (about 13 bytes a term with its statistics, bench corpus).  Every byte read is page-checked first (ix_need), so a
 * damaged dictionary gives AS_ECORRUPT, never a wrong lookup.
 */
#include <string.h>

#include "ixint.h"
#include "varint.h"

static int cmp_bytes(const char *a, size_t an, const char *b, size_t bn)
{
    int r = memcmp(a, b, an < bn ? an : bn);
    if (r)
        return r;
    return an < bn ? -1 : an > bn;
}

/* Block b's bounds in the terms body and its first offsets. */
static int block_at(const as_index *ix, uint64_t b, const uint8_t **p, const uint8_t **end,
                    uint64_t *post_off, uint64_t *pos_off)
{
    uint64_t nb = ix->mf[MF_DICT_NBLOCKS], bi = ix->mf[MF_DICT_BINDEX_OFF];
    uint64_t o = bi + (uint64_t)AS_DICT_BINDEX * b;
    if (b >= nb)
        return as_ix_corrupt(ix, IXF_TERMS, "block %llu past the end", (unsigned long long)b);
    if (ix_need(ix, IXF_TERMS, o, b + 1 < nb ? 2 * AS_DICT_BINDEX : AS_DICT_BINDEX) != AS_OK)
        return AS_ECORRUPT;
    const uint8_t *body = ix->f[IXF_TERMS].body;
    uint64_t s = le64(body + o), e = b + 1 < nb ? le64(body + o + AS_DICT_BINDEX) : bi;
    if (s > e || e > bi)
        return as_ix_corrupt(ix, IXF_TERMS, "block %llu: bad offsets", (unsigned long long)b);
    if (ix_need(ix, IXF_TERMS, s, e - s) != AS_OK)
        return AS_ECORRUPT;
    *p = body + s;
    *end = body + e;
    *post_off = le64(body + o + 8);
    *pos_off = le64(body + o + 16);
    return AS_OK;
}

int as_ix_dictit_start(as_ix_dictit *it, const as_index *ix, uint64_t blk)
{
    memset(it, 0, sizeof *it);
    it->ix = ix;
    it->blk = blk;
    it->nblk = ix->mf[MF_DICT_NBLOCKS];
    return AS_OK;
}

int as_ix_dictit_next(as_ix_dictit *it)
{
    const as_index *ix = it->ix;
    if (it->i == it->n) {
        if (it->blk >= it->nblk)
            return 0;
        if (block_at(ix, it->blk, &it->p, &it->end, &it->post_off, &it->pos_off) != AS_OK)
            return AS_ECORRUPT;
        uint64_t left = ix->mf[MF_NTERMS] - it->blk * AS_DICT_BLOCK;
        it->n = left < AS_DICT_BLOCK ? (unsigned)left : AS_DICT_BLOCK;
        it->i = 0;
        it->tlen = 0;
        it->blk++;
    }
    uint64_t shared, slen, df, cfx, maxwdf, mindl, plen, qlen;
    const uint8_t *p = it->p;
    if (varint_get(&p, it->end, &shared) || varint_get(&p, it->end, &slen) ||
        shared > it->tlen || (it->i == 0 && shared != 0) || slen > AS_TERM_BYTES - shared ||
        shared + slen == 0 || slen > (uint64_t)(it->end - p))
        return as_ix_corrupt(ix, IXF_TERMS, "block %llu entry %u: bad term",
                             (unsigned long long)it->blk - 1, it->i);
    memcpy(it->term + shared, p, (size_t)slen);
    it->tlen = (size_t)(shared + slen);
    it->term[it->tlen] = 0;
    p += slen;
    if (varint_get(&p, it->end, &df) || varint_get(&p, it->end, &cfx) ||
        varint_get(&p, it->end, &maxwdf) || varint_get(&p, it->end, &mindl) ||
        varint_get(&p, it->end, &plen) || varint_get(&p, it->end, &qlen) || df == 0 ||
        df > ix->ndocs || cfx > UINT64_MAX - df || maxwdf == 0 || maxwdf > UINT32_MAX ||
        mindl > UINT32_MAX || plen > ix->f[IXF_POSTINGS].len ||
        qlen > ix->f[IXF_POSITIONS].len)
        return as_ix_corrupt(ix, IXF_TERMS, "term \"%s\": bad entry", it->term);
    it->t.df = (uint32_t)df;
    it->t.cf = df + cfx;
    it->t.max_wdf = (uint32_t)maxwdf;
    it->t.min_doclen = (uint32_t)mindl;
    it->t.post_off = it->post_off;
    it->t.post_len = plen;
    it->t.pos_off = it->pos_off;
    it->t.pos_len = qlen;
    it->post_off += plen;
    it->pos_off += qlen;
    it->p = p;
    it->i++;
    return 1;
}

/* The first term of block b. */
static int first_term(const as_index *ix, uint64_t b, const char **t, size_t *tlen)
{
    const uint8_t *p, *end;
    uint64_t po, qo, shared, slen;
    if (block_at(ix, b, &p, &end, &po, &qo) != AS_OK)
        return AS_ECORRUPT;
    if (varint_get(&p, end, &shared) || varint_get(&p, end, &slen) || shared != 0 ||
        slen == 0 || slen > AS_TERM_BYTES || slen > (uint64_t)(end - p))
        return as_ix_corrupt(ix, IXF_TERMS, "block %llu: bad first term",
                             (unsigned long long)b);
    *t = (const char *)p;
    *tlen = (size_t)slen;
    return AS_OK;
}

/* The last block whose first term is < key (strict) or <= key; 0 if none. */
static int find_block(const as_index *ix, const char *key, size_t klen, int strict,
                      uint64_t *out)
{
    uint64_t lo = 0, hi = ix->mf[MF_DICT_NBLOCKS];
    while (lo < hi) {
        uint64_t mid = lo + (hi - lo) / 2;
        const char *t = NULL;
        size_t tl = 0;
        if (first_term(ix, mid, &t, &tl) != AS_OK)
            return AS_ECORRUPT;
        int c = cmp_bytes(t, tl, key, klen);
        if (c < 0 || (!strict && c == 0))
            lo = mid + 1;
        else
            hi = mid;
    }
    *out = lo ? lo - 1 : 0;
    return AS_OK;
}

int as_index_find_term(const as_index *ix, const char *t, size_t len, as_term *out)
{
    if (len == 0 || len > AS_TERM_BYTES || ix->mf[MF_NTERMS] == 0)
        return AS_ENOTFOUND;
    uint64_t b;
    if (find_block(ix, t, len, 0, &b) != AS_OK)
        return AS_ECORRUPT;
    as_ix_dictit it;
    as_ix_dictit_start(&it, ix, b);
    for (unsigned k = 0; k < AS_DICT_BLOCK; k++) {
        int r = as_ix_dictit_next(&it);
        if (r < 0)
            return AS_ECORRUPT;
        if (r == 0)
            break;
        int c = cmp_bytes(it.term, it.tlen, t, len);
        if (c == 0) {
            *out = it.t;
            return AS_OK;
        }
        if (c > 0)
            break;
    }
    return AS_ENOTFOUND;
}

int as_index_each_term(const as_index *ix, const char *prefix, size_t plen, as_term_fn fn,
                       void *arg)
{
    uint64_t b = 0;
    if (plen > 0 && find_block(ix, prefix, plen, 1, &b) != AS_OK)
        return AS_ECORRUPT;
    as_ix_dictit it;
    as_ix_dictit_start(&it, ix, b);
    for (;;) {
        int r = as_ix_dictit_next(&it);
        if (r < 0)
            return AS_ECORRUPT;
        if (r == 0)
            return AS_OK;
        if (it.tlen >= plen && memcmp(it.term, prefix, plen) == 0) {
            int v = fn(arg, it.term, it.tlen, &it.t);
            if (v)
                return v;
        } else if (cmp_bytes(it.term, it.tlen, prefix, plen) > 0) {
            return AS_OK; /* past every term with the prefix */
        }
    }
}

int as_ix_dict_verify(const as_index *ix, const uint32_t *doclens, as_err *err)
{
    as_ix_dictit it;
    as_ix_dictit_start(&it, ix, 0);
    char prev[AS_TERM_BYTES + 1];
    size_t prevlen = 0;
    uint64_t n = 0, post = 0, pos = 0;
    for (;;) {
        int r = as_ix_dictit_next(&it);
        if (r < 0)
            return as_err_set(err, AS_ECORRUPT, "%s", as_index_errmsg(ix));
        if (r == 0)
            break;
        if (n > 0 && cmp_bytes(prev, prevlen, it.term, it.tlen) >= 0)
            return as_err_set(err, AS_ECORRUPT, "terms: \"%s\" out of order", it.term);
        if (it.t.post_off != post || it.t.pos_off != pos)
            return as_err_set(err, AS_ECORRUPT, "terms: \"%s\": offsets not contiguous",
                              it.term);
        if (it.i == it.n && it.blk < it.nblk && it.p != it.end)
            return as_err_set(err, AS_ECORRUPT, "terms: block %llu: trailing bytes",
                              (unsigned long long)it.blk - 1);
        post += it.t.post_len;
        pos += it.t.pos_len;
        memcpy(prev, it.term, it.tlen);
        prevlen = it.tlen;
        n++;
        if (as_ix_postings_verify(ix, it.term, it.tlen, &it.t, doclens, err) != AS_OK)
            return AS_ECORRUPT;
    }
    if (n != ix->mf[MF_NTERMS])
        return as_err_set(err, AS_ECORRUPT, "terms: %llu terms, meta says %llu",
                          (unsigned long long)n, (unsigned long long)ix->mf[MF_NTERMS]);
    if (post != ix->f[IXF_POSTINGS].len || pos != ix->f[IXF_POSITIONS].len)
        return as_err_set(err, AS_ECORRUPT,
                          "terms: postings/positions not covered exactly by the terms");
    return AS_OK;
}
