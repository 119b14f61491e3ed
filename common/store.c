/*
 * store.c — The sentence store of a generation (format.h: store): finding a
 * sentence's block, inflating it into the caller's as_docbuf (which keeps
 * the last block, so the sentences of one block cost one inflate), parsing
 * its record; and the full check of the store.
 */
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

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
        out->off > ix->mf[MF_STORE_SINDEX_OFF] ||
        out->clen > ix->mf[MF_STORE_SINDEX_OFF] - out->off || out->ulen > MAX_ULEN ||
        out->ulen > (uint64_t)out->clen * 1040 + 1024) /* deflate's ratio is < 1032 */
        return as_ix_corrupt(ix, IXF_STORE, "block %llu: index entry out of range",
                             (unsigned long long)i);
    return AS_OK;
}

int as_ix_store_find(const as_index *ix, uint32_t doc, uint64_t *blk)
{
    uint64_t lo = 0, hi = ix->mf[MF_STORE_NBLOCKS];
    as_ix_sblock b;
    while (lo < hi) { /* the last block with first_doc <= doc */
        uint64_t mid = lo + (hi - lo) / 2;
        if (as_ix_store_block(ix, mid, &b) != AS_OK)
            return AS_ECORRUPT;
        if (b.first_doc <= doc)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo == 0 || as_ix_store_block(ix, lo - 1, &b) != AS_OK ||
        doc - b.first_doc >= b.ndocs)
        return as_ix_corrupt(ix, IXF_STORE, "doc %u is in no block", doc);
    *blk = lo - 1;
    return AS_OK;
}

typedef as_ix_rwalk rwalk;

int as_ix_walk_start(rwalk *w, const uint8_t *p, size_t n)
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
    return 0;
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
    uint64_t tl, sc, dl, dp;
    uint32_t sent;
    int bad = 0;
    if (varint_get(&w->f, w->fend, &tl) || tl > (uint64_t)(w->tend - w->t) ||
        varint_get(&w->f, w->fend, &sc))
        return -1;
    if (sc > 0) {
        if (sc - 1 > (uint64_t)(w->fend - w->f))
            return -1;
        w->sec = w->f;
        w->slen = (size_t)(sc - 1);
        w->f += sc - 1;
    }
    if (varint_get(&w->f, w->fend, &dl) || varint_get(&w->f, w->fend, &dp) ||
        varint_get32(&w->f, w->fend, &sent))
        return -1;
    w->line = unzigzag_add(w->line, dl, &bad);
    w->para = unzigzag_add(w->para, dp, &bad);
    if (bad)
        return -1;
    r->text = w->t;
    r->tlen = (size_t)tl;
    w->t += tl;
    r->section = w->sec;
    r->slen = w->slen;
    r->line = w->line;
    r->paragraph = w->para;
    r->sentence = sent;
    return 0;
}

int as_ix_store_record(const uint8_t *p, size_t n, uint32_t k, as_ix_rec *out)
{
    rwalk w;
    if (as_ix_walk_start(&w, p, n) != 0)
        return AS_ECORRUPT;
    for (uint32_t i = 0; i <= k; i++)
        if (as_ix_walk_next(&w, out) != 0)
            return AS_ECORRUPT;
    return AS_OK;
}

void as_docbuf_free(as_docbuf *b)
{
    if (!b)
        return;
    free(b->p);
    memset(b, 0, sizeof *b);
}

/* Makes room for n bytes in the buffer, keeping the first keep bytes. */
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

static int inflate_block(const as_index *ix, uint64_t blk, const as_ix_sblock *sb,
                         as_docbuf *buf)
{
    if (ix_need(ix, IXF_STORE, sb->off, sb->clen) != AS_OK)
        return AS_ECORRUPT;
    buf->block = 0;
    /* room for the block and, after it, one record's text and section */
    if (reserve(buf, 2 * (size_t)sb->ulen + 2) != AS_OK)
        return AS_ENOMEM;
    z_stream z;
    memset(&z, 0, sizeof z);
    if (inflateInit2(&z, -15) != Z_OK)
        return AS_ENOMEM;
    z.next_in = (Bytef *)(uintptr_t)(ix->f[IXF_STORE].body + sb->off);
    z.avail_in = sb->clen;
    z.next_out = buf->p;
    z.avail_out = sb->ulen;
    int zr = inflate(&z, Z_FINISH);
    int ok = zr == Z_STREAM_END && z.avail_out == 0 && z.avail_in == 0;
    inflateEnd(&z);
    if (!ok)
        return as_ix_corrupt(ix, IXF_STORE, "block %llu does not inflate",
                             (unsigned long long)blk);
    buf->n = sb->ulen;
    buf->block = blk + 1;
    buf->ix = ix;
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
    if (rc != AS_OK)
        return rc;
    if (!(buf->ix == ix && buf->block == blk + 1 && buf->p)) {
        rc = inflate_block(ix, blk, &sb, buf);
        if (rc != AS_OK)
            return rc;
    }
    as_ix_rec r;
    if (as_ix_store_record(buf->p, buf->n, doc - sb.first_doc, &r) != AS_OK)
        return as_ix_corrupt(ix, IXF_STORE, "block %llu: record of doc %u damaged",
                             (unsigned long long)blk, doc);
    /* NUL-terminated copies after the block (records hold lengths; the
     * room was reserved at inflate) */
    char *t = (char *)buf->p + buf->n, *s = t + r.tlen + 1;
    memcpy(t, r.text, r.tlen);
    t[r.tlen] = 0;
    memcpy(s, r.section, r.slen);
    s[r.slen] = 0;
    out->text = t;
    out->section = s;
    out->line = r.line;
    out->paragraph = r.paragraph;
    out->sentence = r.sentence;
    out->doclen = as_index_doclen(ix, doc);
    out->kind = as_index_kind(ix, doc);
    return as_index_status(ix) == AS_OK ? AS_OK : AS_ECORRUPT;
}

int as_ix_store_verify(const as_index *ix, as_err *err)
{
    as_docbuf buf = {0};
    uint32_t next = 0, file = 0;
    uint64_t off = 0, nb = ix->mf[MF_STORE_NBLOCKS];
    as_file_state fs = {0};
    int have_file = 0, rc = AS_OK;
    if (err)
        err->msg[0] = 0;
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
        rc = inflate_block(ix, i, &sb, &buf);
        if (rc != AS_OK)
            break;
        rwalk wk;
        as_ix_rec r;
        if (as_ix_walk_start(&wk, buf.p, buf.n) != 0)
            rc = as_err_set(err, AS_ECORRUPT, "store: block %llu: damaged",
                            (unsigned long long)i);
        for (uint32_t k = 0; k < sb.ndocs && rc == AS_OK; k++)
            if (as_ix_walk_next(&wk, &r) != 0)
                rc = as_err_set(err, AS_ECORRUPT, "store: block %llu: record %u damaged",
                                (unsigned long long)i, k);
        if (rc == AS_OK && (wk.f != wk.fend || wk.t != wk.tend))
            rc = as_err_set(err, AS_ECORRUPT, "store: block %llu: trailing bytes",
                            (unsigned long long)i);
        next += sb.ndocs;
        off += sb.clen;
    }
    as_docbuf_free(&buf);
    if (rc == AS_OK && next != ix->ndocs)
        rc = as_err_set(err, AS_ECORRUPT, "store: blocks cover %u docs of %u", next, ix->ndocs);
    if (rc != AS_OK && err && !err->msg[0]) /* damage found by a read */
        return rc == AS_ECORRUPT ? as_ix_verr(ix, err) : as_err_set(err, rc, "store: %s", as_strerror(rc));
    return rc;
}
