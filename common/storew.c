/*
 * storew.c — Coding and writing store blocks on a thread of their own (see
 * storew.h; the format in format.h: store).  One producer (the index
 * writer), one consumer, a ring of jobs under one mutex: the queue bounds
 * the memory held by blocks waiting (AS_SW_QUEUE x ~4 KiB).
 *
 * The vocab.  Until the raw blocks seen hold AS_STORE_SAMPLE bytes of text
 * (or the store ends) they are kept, and their tokens counted; then the
 * sample's tokens get ids by falling count, the kept blocks are coded and
 * written, and from there on every token not seen before gets the next id.
 * A hash table (open addressing on the token's hash) finds a token's id.
 *
 * A base (storew.h) replaces the sample: its vocab is loaded as it is, the
 * ids final from the start, and blocks copied from it are written as they
 * are.  Whether it is still good enough is measured on its own blocks,
 * read once on this thread (~0.1 s at 1M sentences, beside the writer):
 * the tokens no block uses, and the code bytes its blocks take against
 * what the same ids ranked by their counts in those blocks would take.
 */
#include "storew.h"

#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "as.h"
#include "format.h"
#include "ixint.h"
#include "stok.h"
#include "varint.h"

/* ---- the vocab -------------------------------------------------------------- */

/* Rebuilds the hash table for ntok tokens (load <= 1/2). */
static int ht_build(as_wctx *c, as_swriter *s, uint32_t want)
{
    uint32_t n = 1024;
    while (n / 2 < want) {
        if (n > UINT32_MAX / 4) {
            as_wctx_fail(c, AS_ELIMIT, "store: too many distinct tokens");
            return -1;
        }
        n *= 2;
    }
    uint32_t *t = calloc(n, sizeof *t);
    if (!t) {
        as_wctx_fail(c, AS_ENOMEM, "out of memory");
        return -1;
    }
    for (uint32_t i = 0; i < s->ntok; i++) {
        uint32_t j = s->vhash[i] & (n - 1);
        while (t[j])
            j = (j + 1) & (n - 1);
        t[j] = i + 1;
    }
    free(s->ht);
    s->ht = t;
    s->htmask = n - 1;
    return 0;
}

/* Grows the vocab's per-token arrays to nc entries: AS_OK, or AS_ENOMEM
 * with the context failed (the arrays that did grow are kept).  */
static int vocab_grow(as_wctx *c, as_swriter *s, uint32_t nc)
{
    uint32_t *o = realloc(s->voff, (size_t)nc * sizeof *o);
    if (o)
        s->voff = o;
    uint32_t *hh = o ? realloc(s->vhash, (size_t)nc * sizeof *hh) : NULL;
    if (hh)
        s->vhash = hh;
    uint64_t *hd = hh ? realloc(s->vhead, (size_t)nc * sizeof *hd) : NULL;
    if (hd)
        s->vhead = hd;
    uint64_t *cn = hd ? realloc(s->vcount, (size_t)nc * sizeof *cn) : NULL;
    if (cn)
        s->vcount = cn;
    if (!cn) {
        as_wctx_fail(c, AS_ENOMEM, "out of memory");
        return AS_ENOMEM;
    }
    s->tokcap = nc;
    return AS_OK;
}

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define SW_LE 1
#else
#define SW_LE 0
#endif

/* The id of token [p, p + n) of hash h, added when new; UINT32_MAX on
 * error.  [p, lim) is readable. */
static uint32_t tok_id_h(as_wctx *c, as_swriter *s, const uint8_t *p, size_t n, uint32_t h,
                         const uint8_t *lim)
{
    /* Most tokens have at most 8 bytes: compared as one word (the bytes
     * past n masked off) where both sides can be read that far, not by a
     * loop whose exit is a mispredicted branch. */
    uint64_t pw = 0, m = 0;
    int word = SW_LE && n <= 8 && lim - p >= 8;
    if (word) {
        m = n == 8 ? ~0ull : (1ull << (8 * n)) - 1;
        memcpy(&pw, p, 8);
        pw &= m;
    }
    uint32_t j = h & s->htmask;
    for (;; j = (j + 1) & s->htmask) {
        uint32_t e = s->ht[j];
        if (!e)
            break;
        uint32_t i = e - 1;
        if (s->vhash[i] == h && s->voff[i + 1] - s->voff[i] == n) {
            const uint8_t *v = s->vbytes.p + s->voff[i];
            if (word && s->vbytes.cap - s->voff[i] >= 8) {
                uint64_t vw;
                memcpy(&vw, v, 8);
                if (((vw & m) ^ pw) == 0)
                    return i;
                continue;
            }
            /* most others are short too: a loop, not a call */
            size_t k = 0;
            if (n <= 16)
                while (k < n && v[k] == p[k])
                    k++;
            if (n <= 16 ? k == n : memcmp(v, p, n) == 0)
                return i;
        }
    }
    if (s->ntok + 1 >= s->tokcap) {
        uint32_t nc = s->tokcap ? 2 * s->tokcap : 4096;
        if (nc <= s->tokcap) {
            as_wctx_fail(c, AS_ELIMIT, "store: too many distinct tokens");
            return UINT32_MAX;
        }
        if (vocab_grow(c, s, nc) != AS_OK)
            return UINT32_MAX;
    }
    if (s->vbytes.n + n > UINT32_MAX) {
        as_wctx_fail(c, AS_ELIMIT, "store: the vocab exceeds 4 GiB");
        return UINT32_MAX;
    }
    as_gbuf_put(c, &s->vbytes, p, n);
    if (c->rc != AS_OK)
        return UINT32_MAX;
    uint32_t i = s->ntok++;
    s->voff[i + 1] = (uint32_t)s->vbytes.n;
    s->vhash[i] = h;
    s->vhead[i] = as_stok_head(p, n);
    s->vcount[i] = 0;
    s->ht[j] = i + 1;
    if ((uint64_t)s->ntok * 2 > (uint64_t)s->htmask + 1 && ht_build(c, s, s->ntok) != 0)
        return UINT32_MAX;
    return i;
}

/* tok_find's answer when it cannot tell: tok_id_h decides. */
#define SW_SLOW (UINT32_MAX - 1)

/* The id of a token seen before, found inline (most tokens: the call,
 * the set-up and the byte loop of tok_id_h were over half of its cost):
 * a token of up to 16 bytes is its length, its head (as_stok_head: the
 * first 8 bytes) and, past 8 bytes, its last 8 (overlapping the head), so
 * two such are equal when those are: no masks, no hash compare, no read
 * past either token.  SW_SLOW when new or longer (tok_id_h then finds or
 * adds it). */
static inline __attribute__((always_inline)) uint32_t tok_find(const as_swriter *s,
                                                               const uint8_t *p, size_t n,
                                                               uint32_t h, uint64_t head,
                                                               uint32_t hint)
{
    if (n - 1 >= 16)
        return SW_SLOW;
    uint64_t tail = 0;
    if (n > 8)
        memcpy(&tail, p + n - 8, 8);
    if (hint) {
        /* the id in the token's first slot when the block was prefetched
         * (ids never change once given: a hit is this token's id) */
        uint32_t i = hint - 1, a = s->voff[i];
        if (s->vhead[i] == head && s->voff[i + 1] - a == n) {
            uint64_t vt = 0;
            if (n > 8)
                memcpy(&vt, s->vbytes.p + a + n - 8, 8);
            if (vt == tail)
                return i;
        }
    }
    for (uint32_t j = h & s->htmask;; j = (j + 1) & s->htmask) {
        uint32_t e = s->ht[j];
        if (!e)
            return SW_SLOW;
        uint32_t i = e - 1, a = s->voff[i];
        if (s->vhead[i] == head && s->voff[i + 1] - a == n) {
            if (n <= 8)
                return i;
            uint64_t vt;
            memcpy(&vt, s->vbytes.p + a + n - 8, 8);
            if (vt == tail)
                return i;
        }
    }
}

static int cmp_rank(const void *a, const void *b, void *arg)
{
    const as_swriter *s = arg;
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    if (s->vcount[x] != s->vcount[y])
        return s->vcount[x] > s->vcount[y] ? -1 : 1;
    const uint8_t *px = s->vbytes.p + s->voff[x], *py = s->vbytes.p + s->voff[y];
    size_t nx = s->voff[x + 1] - s->voff[x], ny = s->voff[y + 1] - s->voff[y];
    int r = memcmp(px, py, nx < ny ? nx : ny);
    return r ? r : nx < ny ? -1 : nx > ny;
}

/* Forgets the memo's ids: they change (the sample ranked, a base taken). */
static void memo_clear(as_swriter *s)
{
    if (s->memo)
        memset(s->memo, 0, sizeof *s->memo);
}

/* Gives the sample's tokens their final ids: by falling count. */
static void freeze(as_wctx *c, as_swriter *s)
{
    s->frozen = 1;
    memo_clear(s);
    if (c->rc != AS_OK || s->ntok == 0)
        return;
    uint32_t *ord = malloc((size_t)s->ntok * sizeof *ord);
    uint8_t *nb = malloc(s->vbytes.n + 1);
    uint32_t *no = malloc(((size_t)s->tokcap) * sizeof *no);
    uint32_t *nh = malloc(((size_t)s->tokcap) * sizeof *nh);
    uint64_t *nd = malloc(((size_t)s->tokcap) * sizeof *nd);
    if (!ord || !nb || !no || !nh || !nd) {
        free(ord);
        free(nb);
        free(no);
        free(nh);
        free(nd);
        as_wctx_fail(c, AS_ENOMEM, "out of memory");
        return;
    }
    for (uint32_t i = 0; i < s->ntok; i++)
        ord[i] = i;
    qsort_r(ord, s->ntok, sizeof *ord, cmp_rank, s);
    size_t at = 0;
    no[0] = 0;
    for (uint32_t k = 0; k < s->ntok; k++) {
        uint32_t i = ord[k], n = s->voff[i + 1] - s->voff[i];
        memcpy(nb + at, s->vbytes.p + s->voff[i], n);
        at += n;
        no[k + 1] = (uint32_t)at;
        nh[k] = s->vhash[i];
        nd[k] = s->vhead[i];
    }
    free(ord);
    free(s->vbytes.p);
    s->vbytes.p = nb;
    s->vbytes.cap = s->vbytes.n + 1;
    free(s->voff);
    s->voff = no;
    free(s->vhash);
    s->vhash = nh;
    free(s->vhead);
    s->vhead = nd;
    ht_build(c, s, s->ntok);
}

/* ---- the base ---------------------------------------------------------------- */

/* Re-ranking must save more than this many thousandths of the base's code
 * bytes to be worth coding every block again (see take_base). */
#define BASE_SLACK 30

/* Body bytes [off, off + len) of old's store with their pages checked
 * against their crc32s; NULL when out of range or damaged.  Unlike ix_need
 * this records nothing in old: damage here only costs the base (blocks the
 * run copies are checked, and damage reported, where they are copied). */
static const uint8_t *base_bytes(const as_index *old, uint64_t off, uint64_t len)
{
    const ixfile *x = &old->f[IXF_STORE];
    if (!x->body || off > x->len || len > x->len - off)
        return NULL;
    if (len == 0)
        return x->body + off;
    for (uint64_t p = off >> x->page_log2; p <= (off + len - 1) >> x->page_log2; p++) {
        if (atomic_load_explicit(&x->ok[p >> 5], memory_order_acquire) >> (p & 31) & 1)
            continue;
        uint64_t start = p << x->page_log2, page = (uint64_t)1 << x->page_log2;
        uint64_t n = x->len - start < page ? x->len - start : page;
        if ((uint32_t)crc32(0, x->body + start, (uInt)n) != le32(x->crcs + 4 * p))
            return NULL;
        atomic_fetch_or_explicit(&x->ok[p >> 5], 1u << (p & 31), memory_order_release);
    }
    return x->body + off;
}

/* The length of the code of id (format.h: store). */
static unsigned code_len(uint64_t id)
{
    return id < 192 ? 1 : id < 12480 ? 2 : id < 995520 ? 3 : 5;
}

static int cmp_count_desc(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return x < y ? 1 : x > y ? -1 : 0;
}

/* Counts the uses of every id in old's blocks (cnt: ntok zeroed) and
 * their code bytes; 0, or -1 when a block or code is out of place. */
static int base_count(const as_index *old, uint32_t ntok, uint32_t *cnt, uint64_t *bytes)
{
    uint64_t nb = old->mf[MF_STORE_NBLOCKS], at = old->mf[MF_STORE_SINDEX_OFF];
    if (nb > old->f[IXF_STORE].len / AS_STORE_SINDEX)
        return -1;
    const uint8_t *e = base_bytes(old, at, nb * AS_STORE_SINDEX);
    const uint8_t *body = base_bytes(old, 0, old->voc_off);
    if (!e || (!body && old->voc_off > 0))
        return -1;
    *bytes = 0;
    for (uint64_t b = 0; b < nb; b++, e += AS_STORE_SINDEX) {
        uint64_t off = le64(e + 8);
        uint32_t clen = le32(e + 16);
        if (off > old->voc_off || clen > old->voc_off - off)
            return -1;
        const uint8_t *p = body + off, *end = p + clen;
        uint64_t fl;
        if (varint_get(&p, end, &fl) || fl > (uint64_t)(end - p))
            return -1;
        *bytes += (uint64_t)(end - p) - fl;
        for (p += fl; p < end;) {
            uint32_t id = *p++;
            if (id >= 0xf0) {
                size_t k = id == 0xff ? 4 : 2;
                if ((size_t)(end - p) < k)
                    return -1;
                id = k == 4 ? (le32(p) > UINT32_MAX - 995520 ? UINT32_MAX : 995520 + le32(p))
                            : 12480 + ((id - 0xf0) << 16 | (uint32_t)p[0] << 8 | p[1]);
                p += k;
            } else if (id >= 0xc0) {
                if (p == end)
                    return -1;
                id = 192 + ((id - 0xc0) << 8 | *p++);
            }
            if (id >= ntok)
                return -1;
            cnt[id]++;
        }
    }
    return 0;
}

/* Takes old's vocab as this store's when it is sound and fresh enough:
 * no more than a quarter of its tokens unused by its blocks, and its
 * blocks' codes within BASE_SLACK thousandths of what ranking the ids by
 * their counts would give (a fresh build ranks a sample only: 1.0045 on
 * the bench corpus, 1M sentences).  Otherwise, or when anything of it does not
 * check, the store is built as a fresh one is. */
static void take_base(as_wctx *c, as_swriter *s, const as_index *old)
{
    if (c->rc != AS_OK || s->frozen || s->npend || s->nblocks || s->base)
        return;
    uint32_t ntok = old->voc_ntok;
    uint64_t vlen = old->voc_len, nbytes = vlen - 4 * ((uint64_t)ntok + 1);
    const uint8_t *offs = base_bytes(old, old->voc_off, vlen);
    if (!offs || vlen < 4 * ((uint64_t)ntok + 1) || ntok >= UINT32_MAX / 2 ||
        le32(offs) != 0 || le32(offs + 4 * (size_t)ntok) != nbytes)
        return;
    const uint8_t *bytes = offs + 4 * ((size_t)ntok + 1);
    for (uint32_t i = 0; i < ntok; i++) {
        uint32_t a = le32(offs + 4 * (size_t)i), b = le32(offs + 4 * (size_t)i + 4);
        if (a >= b || b > nbytes)
            return;
        for (uint32_t k = a + 1; k < b; k++)
            if (as_ix_wordbyte(bytes[k]) != as_ix_wordbyte(bytes[a]))
                return;
    }
    uint32_t *cnt = calloc((size_t)ntok + 1, sizeof *cnt);
    uint64_t have = 0, best = 0, dead = 0;
    if (!cnt) {
        as_wctx_fail(c, AS_ENOMEM, "out of memory");
        return;
    }
    if (base_count(old, ntok, cnt, &have) != 0) {
        free(cnt);
        return;
    }
    for (uint32_t i = 0; i < ntok; i++)
        dead += cnt[i] == 0;
    qsort(cnt, ntok, sizeof *cnt, cmp_count_desc);
    for (uint32_t i = 0; i < ntok; i++)
        best += (uint64_t)cnt[i] * code_len(i);
    free(cnt);
    if (dead * 4 > ntok || have * 1000 > best * (1000 + BASE_SLACK))
        return;
    /* the vocab as it is: every token new to it gets the next id */
    s->ntok = 0;
    s->vbytes.n = 0;
    if (s->tokcap < ntok + 2) {
        uint32_t nc = ntok + 4096;
        if (vocab_grow(c, s, nc) != AS_OK)
            return;
    }
    as_gbuf_put(c, &s->vbytes, bytes, nbytes);
    if (c->rc != AS_OK)
        return;
    s->voff[0] = 0;
    for (uint32_t i = 0; i < ntok; i++) {
        uint32_t a = le32(offs + 4 * (size_t)i), b = le32(offs + 4 * (size_t)i + 4);
        s->voff[i + 1] = b;
        s->vhash[i] = as_stok_hash(bytes + a, b - a);
        s->vhead[i] = as_stok_head(bytes + a, b - a);
        s->vcount[i] = 0;
    }
    s->ntok = ntok;
    memo_clear(s);
    if (ht_build(c, s, ntok) != 0)
        return;
    s->frozen = 1;
    s->base = old;
}

/* ---- blocks ------------------------------------------------------------------ */

static uint64_t zigzag(int64_t v)
{
    return v < 0 ? ((uint64_t)(-(v + 1)) << 1) | 1 : (uint64_t)v << 1;
}

/* Writes id's code (format.h: store) at q: its length in bytes. */
static inline size_t code_put(uint8_t *q, uint32_t id)
{
    if (id < 192) {
        q[0] = (uint8_t)id;
        return 1;
    }
    if (id < 12480) {
        uint32_t x = id - 192;
        q[0] = (uint8_t)(0xc0 + (x >> 8));
        q[1] = (uint8_t)x;
        return 2;
    }
    if (id < 995520) {
        uint32_t x = id - 12480;
        q[0] = (uint8_t)(0xf0 + (x >> 16));
        q[1] = (uint8_t)(x >> 8);
        q[2] = (uint8_t)x;
        return 3;
    }
    q[0] = 0xff;
    put32(q + 1, id - 995520);
    return 5;
}

/* Room for n more tokens in s->ids and s->tk: 0, or -1 with c failed. */
static int tk_room(as_wctx *c, as_swriter *s, size_t n)
{
    if (s->tkcap - s->nids >= n)
        return 0;
    size_t nc = s->tkcap ? s->tkcap : 1024;
    while (nc - s->nids < n)
        nc *= 2;
    uint32_t *ids = realloc(s->ids, nc * sizeof *ids);
    if (ids)
        s->ids = ids;
    as_swtok *g = ids ? realloc(s->tk, nc * sizeof *g) : NULL;
    if (!g) {
        as_wctx_fail(c, AS_ENOMEM, "out of memory");
        return -1;
    }
    s->tk = g;
    s->tkcap = nc;
    return 0;
}

/* The ids of the tokens the memo did not have (s->tk), into s->ids.  Each
 * token's slot in the table was fetched ahead as it was split; here its
 * entry is, and then they are looked up: the vocab is bigger than the
 * caches, and a lookup at a time waiting for its misses was two thirds of
 * this thread's time.  In token order, so that a new token's id is the
 * same as by one lookup per token.  [data, lim): the block. */
static int resolve_misses(as_wctx *c, as_swriter *s, const uint8_t *data, const uint8_t *lim)
{
    for (size_t k = 0; k < s->ntk; k++) {
        uint32_t e = s->ht[s->tk[k].hash & s->htmask];
        s->tk[k].hint = e;
        if (e) {
            __builtin_prefetch(&s->vhead[e - 1]);
            __builtin_prefetch(&s->voff[e - 1]);
        }
    }
    for (size_t k = 0; k < s->ntk; k++) {
        const as_swtok *t = &s->tk[k];
        uint32_t id = tok_find(s, data + t->off, t->len, t->hash, t->head, t->hint);
        if (id == SW_SLOW)
            id = tok_id_h(c, s, data + t->off, t->len, t->hash, lim);
        if (id == UINT32_MAX)
            return -1;
        s->ids[t->at] = id;
        as_stok_memo_put(s->memo, t, id);
    }
    return 0;
}

/* Walks raw block [data, data + n) of ndocs records into s->recs and its
 * tokens' ids into s->ids (record k's end at s->rend[k]): 0, or -1 with c
 * failed. */
static int block_ids(as_wctx *c, as_swriter *s, const uint8_t *data, size_t n, uint32_t ndocs)
{
    as_ix_rwalk w;
    if (n > UINT32_MAX / 2) {
        as_wctx_fail(c, AS_ELIMIT, "store: a block is too long");
        return -1;
    }
    if (as_ix_walk_start(&w, data, n) != 0) {
        as_wctx_fail(c, AS_EINVAL, "store: a raw block does not parse");
        return -1;
    }
    s->nids = s->ntk = 0;
    if (ndocs > s->rendcap) {
        size_t *re = realloc(s->rend, (size_t)ndocs * sizeof *re);
        if (re)
            s->rend = re;
        as_ix_rec *rc = re ? realloc(s->recs, (size_t)ndocs * sizeof *rc) : NULL;
        if (!rc) {
            as_wctx_fail(c, AS_ENOMEM, "out of memory");
            return -1;
        }
        s->recs = rc;
        s->rendcap = ndocs;
    }
    for (uint32_t k = 0; k < ndocs; k++) {
        as_ix_rec *r = &s->recs[k];
        if (as_ix_walk_next(&w, r) != 0) {
            as_wctx_fail(c, AS_EINVAL, "store: a raw block does not parse");
            return -1;
        }
        if (tk_room(c, s, r->tlen) != 0)
            return -1;
        size_t m0 = s->ntk, k0 = s->nids;
        s->nids += as_stok_split(r->text, r->tlen, (size_t)(w.tend - r->text),
                                 (uint32_t)(r->text - data), s->memo, s->ids + k0, s->tk,
                                 &s->ntk);
        for (size_t m = m0; m < s->ntk; m++) {
            s->tk[m].at += (uint32_t)k0; /* the split's index is the record's */
            __builtin_prefetch(&s->ht[s->tk[m].hash & s->htmask]);
        }
        s->rend[k] = s->nids;
    }
    if (w.f != w.fend || w.t != w.tend) {
        as_wctx_fail(c, AS_EINVAL, "store: a raw block does not parse");
        return -1;
    }
    return resolve_misses(c, s, data, data + n);
}

/* Counts the tokens of a raw block's texts (the sample); the text bytes. */
static uint64_t count_block(as_wctx *c, as_swriter *s, const as_swjob *j)
{
    if (block_ids(c, s, j->data, j->n, j->ndocs) != 0)
        return 0;
    uint64_t text = 0;
    for (uint32_t k = 0; k < j->ndocs; k++)
        text += s->recs[k].tlen;
    for (size_t k = 0; k < s->nids; k++)
        s->vcount[s->ids[k]]++;
    return text;
}

/* Codes a raw block (format.h: store) and writes it with its index entry. */
static void write_block(as_wctx *c, as_swriter *s, const as_swjob *j)
{
    as_ix_rec r;
    if (c->rc != AS_OK || block_ids(c, s, j->data, j->n, j->ndocs) != 0)
        return;
    size_t t = 0;
    s->fields.n = s->codes.n = 0;
    const uint8_t *previd = NULL;
    size_t prevn = 0;
    uint32_t pline = 0, ppara = 0;
    for (uint32_t k = 0; k < j->ndocs; k++) {
        r = s->recs[k]; /* walked above */
        size_t c0 = s->codes.n, t1 = s->rend[k];
        /* room for the record's codes at once, not a call per token */
        uint8_t *q = as_gbuf_room(c, &s->codes, 5 * (t1 - t));
        if (!q)
            return;
        const uint32_t *ids = s->ids; /* a local: the stores through q
                                       * could otherwise change s->ids */
        for (; t < t1; t++) {
            uint32_t id = ids[t];
            if (id < 192) /* most: code_put's first case, without its return */
                *q++ = (uint8_t)id;
            else
                q += code_put(q, id);
        }
        s->codes.n = (size_t)(q - s->codes.p);
        /* the id's bytes shared with the previous one's: ids of a block
         * share long prefixes, compared 8 bytes at a time */
        size_t shared = 0, most = prevn < r.id_len ? prevn : r.id_len;
        if (SW_LE)
            for (; shared + 8 <= most; shared += 8) {
                uint64_t x, y;
                memcpy(&x, previd + shared, 8);
                memcpy(&y, r.id + shared, 8);
                if (x != y) {
                    shared += (size_t)__builtin_ctzll(x ^ y) / 8;
                    most = shared;
                    break;
                }
            }
        while (shared < most && previd[shared] == r.id[shared])
            shared++;
        /* the fields written into room taken once (a call per field
         * cost more than the coding) */
        as_gbuf *f = &s->fields;
        uint8_t *fq = as_gbuf_room(c, f, 8 * 10 + r.slen + r.id_len);
        if (!fq)
            return;
        fq += varint_put(fq, r.tlen);
        fq += varint_put(fq, s->codes.n - c0);
        if (r.sec_new) {
            fq += varint_put(fq, r.slen + 1);
            memcpy(fq, r.section, r.slen);
            fq += r.slen;
        } else {
            *fq++ = 0;
        }
        fq += varint_put(fq, zigzag((int64_t)r.line - pline));
        fq += varint_put(fq, zigzag((int64_t)r.paragraph - ppara));
        fq += varint_put(fq, r.sentence);
        fq += varint_put(fq, shared);
        fq += varint_put(fq, r.id_len - shared);
        memcpy(fq, r.id + shared, r.id_len - shared);
        fq += r.id_len - shared;
        f->n = (size_t)(fq - f->p);
        pline = r.line;
        ppara = r.paragraph;
        previd = r.id;
        prevn = r.id_len;
    }
    s->out.n = 0;
    as_gbuf_varint(c, &s->out, s->fields.n);
    as_gbuf_put(c, &s->out, s->fields.p, s->fields.n);
    as_gbuf_put(c, &s->out, s->codes.p, s->codes.n);
    if (c->rc != AS_OK)
        return;
    if (s->out.n > UINT32_MAX / 2 || t != s->nids) {
        as_wctx_fail(c, AS_ELIMIT, "store: a block is too long");
        return;
    }
    as_gbuf_u32(c, &s->sindex, j->first);
    as_gbuf_u32(c, &s->sindex, j->ndocs);
    as_gbuf_u64(c, &s->sindex, s->f.body_len);
    as_gbuf_u32(c, &s->sindex, (uint32_t)s->out.n);
    as_gbuf_u32(c, &s->sindex, (uint32_t)j->n);
    as_wfile_write(c, &s->f, s->out.p, s->out.n);
    s->nblocks++;
}

/* Writes the sample's blocks once their ids are final. */
static void flush_pending(as_wctx *c, as_swriter *s)
{
    if (!s->frozen)
        freeze(c, s);
    for (size_t i = 0; i < s->npend; i++) {
        write_block(c, s, &s->pend[i]);
        free(s->pend[i].data);
        s->pend[i].data = NULL;
    }
    s->npend = 0;
}

/* One job, on the thread (or inline when there is none). */
static void do_job(as_wctx *c, as_swriter *s, as_swjob *j)
{
    if (j->old && !j->data) {
        take_base(c, s, j->old);
        return;
    }
    if (c->rc == AS_OK && j->old && j->old == s->base) {
        /* a block of the base: its codes mean the same here */
        if (j->n > UINT32_MAX / 2) {
            as_wctx_fail(c, AS_ELIMIT, "store: a block is too long");
            return;
        }
        as_gbuf_u32(c, &s->sindex, j->first);
        as_gbuf_u32(c, &s->sindex, j->ndocs);
        as_gbuf_u64(c, &s->sindex, s->f.body_len);
        as_gbuf_u32(c, &s->sindex, (uint32_t)j->n);
        as_gbuf_u32(c, &s->sindex, j->ulen);
        as_wfile_write(c, &s->f, j->data, j->n);
        s->nblocks++;
        s->nverbatim++;
        j->data = NULL;
        return;
    }
    if (c->rc == AS_OK && j->old) {
        s->nrecoded++;
        /* a copied block: back to its raw form through its own vocab */
        uint8_t *raw = malloc((size_t)j->ulen + 1);
        as_ix_vocab v;
        if (!raw)
            as_wctx_fail(c, AS_ENOMEM, "out of memory");
        else if (as_ix_store_vocab(j->old, &v) != AS_OK ||
                 as_ix_block_raw(&v, j->data, j->n, j->ndocs, raw, j->ulen) != 0)
            as_wctx_fail(c, AS_ECORRUPT, "copy: %s: a store block does not decode",
                         as_index_gen_dir(j->old));
        j->data = raw;
        j->n = j->ulen;
        j->old = NULL;
    }
    if (c->rc != AS_OK) {
        if (!j->old) /* a copy's bytes are the old generation's mapping */
            free(j->data);
        j->data = NULL;
        return;
    }
    if (!s->frozen) {
        if (s->npend == s->pendcap) {
            size_t nc = s->pendcap ? 2 * s->pendcap : 64;
            as_swjob *p = realloc(s->pend, nc * sizeof *p);
            if (!p) {
                as_wctx_fail(c, AS_ENOMEM, "out of memory");
                free(j->data);
                j->data = NULL;
                return;
            }
            s->pend = p;
            s->pendcap = nc;
        }
        s->pend[s->npend++] = *j;
        j->data = NULL;
        s->pendtext += count_block(c, s, &s->pend[s->npend - 1]);
        if (s->pendtext >= AS_STORE_SAMPLE)
            flush_pending(c, s);
        return;
    }
    write_block(c, s, j);
    free(j->data);
    j->data = NULL;
}

static void *run(void *arg)
{
    as_swriter *s = arg;
    pthread_mutex_lock(&s->mu);
    for (;;) {
        while (s->n == 0 && !s->closing) {
            s->cwait = 1;
            pthread_cond_wait(&s->cv, &s->mu);
            s->cwait = 0;
        }
        if (s->n == 0 && s->closing)
            break;
        as_swjob j = s->q[s->head];
        pthread_mutex_unlock(&s->mu);
        do_job(&s->c, s, &j);
        pthread_mutex_lock(&s->mu);
        s->head = (s->head + 1) % AS_SW_QUEUE;
        s->n--;
        /* A full queue's producer sleeps until half of it is done: waking
         * it for every block made the two threads take turns block by
         * block (a context switch each, a tenth of an incremental run). */
        if (s->pwait && s->n <= AS_SW_QUEUE / 2)
            pthread_cond_broadcast(&s->cv);
    }
    pthread_mutex_unlock(&s->mu);
    return NULL;
}

void as_sw_open(as_wctx *c, as_swriter *s, const char *dir)
{
    memset(s, 0, sizeof *s);
    s->f.fd = -1;
    as_wfile_open(c, &s->f, dir, "store", AS_MAGIC_STORE, 1);
    if (c->rc != AS_OK)
        return;
    s->voff = malloc(4096 * sizeof *s->voff);
    s->vhash = malloc(4096 * sizeof *s->vhash);
    s->vhead = malloc(4096 * sizeof *s->vhead);
    s->vcount = malloc(4096 * sizeof *s->vcount);
    s->memo = calloc(1, sizeof *s->memo);
    if (!s->voff || !s->vhash || !s->vhead || !s->vcount || !s->memo) {
        as_wctx_fail(c, AS_ENOMEM, "out of memory");
        return;
    }
    s->tokcap = 4096;
    s->voff[0] = 0;
    if (ht_build(c, s, 0) != 0)
        return;
    if (pthread_mutex_init(&s->mu, NULL) != 0)
        return;
    if (pthread_cond_init(&s->cv, NULL) != 0) {
        pthread_mutex_destroy(&s->mu);
        return;
    }
    if (pthread_create(&s->th, NULL, run, s) != 0) {
        pthread_cond_destroy(&s->cv);
        pthread_mutex_destroy(&s->mu);
        return; /* then blocks are coded inline */
    }
    s->threaded = 1;
}

static void push(as_wctx *c, as_swriter *s, as_swjob *j)
{
    if (!s->threaded) {
        do_job(c, s, j);
        return;
    }
    pthread_mutex_lock(&s->mu);
    while (s->n == AS_SW_QUEUE) {
        s->pwait = 1;
        pthread_cond_wait(&s->cv, &s->mu);
        s->pwait = 0;
    }
    s->q[(s->head + s->n) % AS_SW_QUEUE] = *j;
    s->n++;
    /* A sleeping thread is woken for a quarter of the queue, not for each
     * block: waking it for one block at a time put a sleep and a wake-up
     * (two context switches) behind most blocks, a tenth of both threads'
     * time.  Blocks left below the mark are taken at as_sw_sync. */
    if (s->cwait && s->n >= AS_SW_QUEUE / 4)
        pthread_cond_broadcast(&s->cv);
    pthread_mutex_unlock(&s->mu);
}

void as_sw_base(as_wctx *c, as_swriter *s, const as_index *old)
{
    if (c->rc != AS_OK || !old)
        return;
    as_swjob j = {NULL, 0, old, 0, 0, 0};
    push(c, s, &j);
}

void as_sw_block(as_wctx *c, as_swriter *s, uint8_t *raw, size_t n, uint32_t first,
                 uint32_t ndocs)
{
    if (c->rc != AS_OK) {
        free(raw);
        return;
    }
    as_swjob j = {raw, n, NULL, first, ndocs, 0};
    push(c, s, &j);
}

void as_sw_copy(as_wctx *c, as_swriter *s, const as_index *old, const uint8_t *bytes,
                uint32_t clen, uint32_t ulen, uint32_t first, uint32_t ndocs)
{
    if (c->rc != AS_OK)
        return;
    as_swjob j = {(uint8_t *)(uintptr_t)bytes, clen, old, first, ndocs, ulen};
    push(c, s, &j);
}

static void stop(as_swriter *s)
{
    if (!s->threaded)
        return;
    pthread_mutex_lock(&s->mu);
    s->closing = 1;
    pthread_cond_broadcast(&s->cv);
    pthread_mutex_unlock(&s->mu);
    pthread_join(s->th, NULL);
    pthread_cond_destroy(&s->cv);
    pthread_mutex_destroy(&s->mu);
    s->threaded = 0;
}

void as_sw_sync(as_wctx *c, as_swriter *s)
{
    stop(s);
    if (s->c.rc != AS_OK)
        as_wctx_fail(c, s->c.rc, "%s", s->c.msg);
    if (c->rc != AS_OK)
        return;
    flush_pending(c, s);
    /* the vocab, then its entry after the blocks' */
    as_wfile_align(c, &s->f, 8);
    uint64_t at = s->f.body_len;
    for (uint32_t i = 0; i <= s->ntok; i++)
        as_wfile_u32(c, &s->f, s->voff[i]);
    as_wfile_write(c, &s->f, s->vbytes.p, s->vbytes.n);
    as_gbuf_u64(c, &s->sindex, at);
    as_gbuf_u64(c, &s->sindex, s->f.body_len - at);
    as_gbuf_u32(c, &s->sindex, s->ntok);
    as_gbuf_u32(c, &s->sindex, 0);
}

void as_sw_raw_block(as_wctx *c, as_swriter *s, uint64_t b, as_gbuf *out)
{
    if (c->rc != AS_OK)
        return;
    if (b >= s->nblocks) {
        as_wctx_fail(c, AS_EIO, "%s: store block %llu does not read back", s->f.path,
                     (unsigned long long)b);
        return;
    }
    const uint8_t *e = s->sindex.p + b * AS_STORE_SINDEX;
    uint32_t nd = le32(e + 4), clen = le32(e + 16), ulen = le32(e + 20);
    uint64_t off = le64(e + 8);
    s->out.n = 0;
    out->n = 0;
    if (!as_gbuf_room(c, &s->out, clen) || !as_gbuf_room(c, out, (size_t)ulen + 1))
        return;
    as_wfile_pread(c, &s->f, s->out.p, clen, off);
    if (c->rc != AS_OK)
        return;
    as_ix_vocab v = {NULL, (const uint8_t *)s->voff, s->vbytes.p, 0, 0, s->vbytes.n, s->ntok, 0};
    if (as_ix_block_raw(&v, s->out.p, clen, nd, out->p, ulen) != 0) {
        /* read back as written: a block copied verbatim from a base whose
         * bytes were damaged under good crcs */
        as_wctx_fail(c, AS_ECORRUPT, "%s: store block %llu does not decode (copied damaged?)",
                     s->f.path, (unsigned long long)b);
        return;
    }
    out->n = ulen;
}

void as_sw_free(as_swriter *s)
{
    stop(s);
    for (unsigned i = 0; i < s->n; i++) { /* left by a failed thread */
        as_swjob *j = &s->q[(s->head + i) % AS_SW_QUEUE];
        if (!j->old)
            free(j->data);
    }
    s->n = 0;
    for (size_t i = 0; i < s->npend; i++)
        free(s->pend[i].data);
    free(s->pend);
    s->pend = NULL;
    s->npend = 0;
    as_wfile_drop(&s->f);
    as_gbuf_free(&s->sindex);
    as_gbuf_free(&s->out);
    as_gbuf_free(&s->codes);
    as_gbuf_free(&s->fields);
    free(s->tk);
    free(s->ids);
    s->ids = NULL;
    s->nids = 0;
    free(s->memo);
    s->memo = NULL;
    free(s->rend);
    s->rend = NULL;
    free(s->recs);
    s->recs = NULL;
    s->rendcap = 0;
    s->tk = NULL;
    s->ntk = s->tkcap = 0;
    as_gbuf_free(&s->vbytes);
    free(s->voff);
    free(s->vhash);
    free(s->vhead);
    free(s->vcount);
    free(s->ht);
    s->voff = s->vhash = s->ht = NULL;
    s->vhead = s->vcount = NULL;
}
